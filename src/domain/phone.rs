//! Mainland mobile numbers, full (`13812345678`) or masked (隐号报备) as
//! 前三后四 (`138****5678`) or 前四后五 (`1381**45678`). Parsed once at the edge; inside panke a `Phone`
//! is always valid, so nothing re-checks it.

use std::fmt;

/// Why a phone string was refused. The messages are shown to agents, clerks
/// and importers, so they name the expected shape and never echo the input
/// (it may be a real number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("手机号为空 / the phone number is empty")]
    Empty,
    #[error(
        "手机号格式不正确:应为 11 位大陆手机号,以 13–19 开头 / not a mainland mobile number: 11 digits starting 13–19"
    )]
    NotMobile,
    #[error(
        "隐号格式不正确:应为前三后四(138****5678)或前四后五(1381**45678) / a masked phone is 3 digits, 4 '*', 4 digits (138****5678) or 4 digits, 2 '*', 5 digits (1381**45678)"
    )]
    BadMask,
    #[error("该项目不接受隐号报备,请填写完整手机号 / this project needs the full phone number")]
    MaskNotAllowed,
}

/// A full, valid mainland mobile number, stored as its 11 ASCII digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Phone([u8; 11]);

/// A masked phone: typed by an agent (隐号报备) as 前三后四 or 前四后五, or
/// made from a full `Phone` for display. The 11 positions keep the digits
/// that are known and `*` where they are not, so matching compares every
/// position known on both sides. It is always *shown* as 前三后四: a
/// 前四后五 report is masked again on every page.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct MaskedPhone {
    digits: [u8; 11],
}

/// The phone a report or history record carries: full or masked.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum CustomerPhone {
    Full(Phone),
    Masked(MaskedPhone),
}

/// Removes what people type around numbers: spaces (also full-width),
/// dashes and a leading `+86` / `86` country code. Full-width digits and
/// asterisks (common from Chinese IMEs) are folded to ASCII.
fn normalise(raw: &str) -> String {
    let folded: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{3000}' | '-' | '\u{2010}'..='\u{2015}' | '\t'))
        .map(|c| match c {
            '\u{FF10}'..='\u{FF19}' => char::from(b'0' + (c as u32 - 0xFF10) as u8),
            '\u{FF0A}' => '*',
            '\u{FF0B}' => '+',
            other => other,
        })
        .collect();
    if let Some(rest) = folded.strip_prefix("+86") {
        rest.to_owned()
    } else if folded.len() == 13 && folded.starts_with("86") {
        folded[2..].to_owned()
    } else {
        folded
    }
}

impl Phone {
    /// Parses a full number after normalisation; `1[3-9]` then 9 digits.
    pub fn parse(raw: &str) -> Result<Phone, PhoneError> {
        let s = normalise(raw);
        if s.is_empty() {
            return Err(PhoneError::Empty);
        }
        let b = s.as_bytes();
        if b.len() != 11 || b[0] != b'1' || !(b'3'..=b'9').contains(&b[1]) {
            return Err(PhoneError::NotMobile);
        }
        if !b.iter().all(u8::is_ascii_digit) {
            return Err(PhoneError::NotMobile);
        }
        let mut digits = [0u8; 11];
        digits.copy_from_slice(b);
        Ok(Phone(digits))
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    pub fn masked(&self) -> MaskedPhone {
        let mut digits = self.0;
        digits[3..7].copy_from_slice(b"****");
        MaskedPhone { digits }
    }
}

impl MaskedPhone {
    /// Parses 前三后四 (3 digits, 4 `*`, 4 digits) or 前四后五 (4 digits,
    /// 2 `*`, 5 digits), after the same normalisation as full numbers.
    pub fn parse(raw: &str) -> Result<MaskedPhone, PhoneError> {
        let s = normalise(raw);
        if s.is_empty() {
            return Err(PhoneError::Empty);
        }
        let b = s.as_bytes();
        let shape = |head: usize, stars: usize| {
            b.len() == 11
                && b[..head].iter().all(u8::is_ascii_digit)
                && b[head..head + stars].iter().all(|&c| c == b'*')
                && b[head + stars..].iter().all(u8::is_ascii_digit)
        };
        if !(shape(3, 4) || shape(4, 2)) || b[0] != b'1' || !(b'3'..=b'9').contains(&b[1]) {
            return Err(PhoneError::BadMask);
        }
        let mut digits = [0u8; 11];
        digits.copy_from_slice(b);
        Ok(MaskedPhone { digits })
    }

    /// The first three digits (known in both forms).
    pub fn head(&self) -> &str {
        std::str::from_utf8(&self.digits[..3]).unwrap_or_default()
    }

    /// The last four digits (known in both forms).
    pub fn tail(&self) -> &str {
        std::str::from_utf8(&self.digits[7..]).unwrap_or_default()
    }

    /// Every digit known here is the full number's digit at that place.
    pub fn matches(&self, full: &Phone) -> bool {
        self.digits.iter().zip(full.0.iter()).all(|(m, f)| *m == b'*' || m == f)
    }

    /// Every place known in both is equal.
    pub fn matches_masked(&self, other: &MaskedPhone) -> bool {
        self.digits.iter().zip(other.digits.iter()).all(|(a, b)| *a == b'*' || *b == b'*' || a == b)
    }

    /// The form as typed (前三后四 or 前四后五), for storage only.
    pub fn stored(&self) -> &str {
        std::str::from_utf8(&self.digits).unwrap_or_default()
    }
}

impl CustomerPhone {
    /// Accepts a full number, or a masked one when `allow_masked`.
    pub fn parse(raw: &str, allow_masked: bool) -> Result<CustomerPhone, PhoneError> {
        if raw.contains('*') || raw.contains('\u{FF0A}') {
            let masked = MaskedPhone::parse(raw)?;
            if !allow_masked {
                return Err(PhoneError::MaskNotAllowed);
            }
            Ok(CustomerPhone::Masked(masked))
        } else {
            Phone::parse(raw).map(CustomerPhone::Full)
        }
    }

    /// "The same customer" (rules.md): full numbers equal, otherwise every
    /// position known in both equal.
    pub fn matches(&self, other: &CustomerPhone) -> bool {
        match (self, other) {
            (CustomerPhone::Full(a), CustomerPhone::Full(b)) => a == b,
            (CustomerPhone::Full(f), CustomerPhone::Masked(m)) | (CustomerPhone::Masked(m), CustomerPhone::Full(f)) => {
                m.matches(f)
            }
            (CustomerPhone::Masked(a), CustomerPhone::Masked(b)) => a.matches_masked(b),
        }
    }

    pub fn matches_full(&self, full: &Phone) -> bool {
        match self {
            CustomerPhone::Full(p) => p == full,
            CustomerPhone::Masked(m) => m.matches(full),
        }
    }

    /// For display: always 前三后四.
    pub fn masked(&self) -> MaskedPhone {
        match self {
            CustomerPhone::Full(p) => p.masked(),
            CustomerPhone::Masked(m) => {
                let mut digits = m.digits;
                digits[3..7].copy_from_slice(b"****");
                MaskedPhone { digits }
            }
        }
    }

    /// The form a report keeps: the full digits, or the mask as typed.
    pub fn to_stored(&self) -> String {
        match self {
            CustomerPhone::Full(p) => p.as_str().to_owned(),
            CustomerPhone::Masked(m) => m.stored().to_owned(),
        }
    }
}

impl fmt::Display for MaskedPhone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}****{}", self.head(), self.tail())
    }
}

impl fmt::Debug for MaskedPhone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MaskedPhone({self})")
    }
}

/// Debug never prints the full number, so a stray `{:?}` in a log line
/// cannot leak it.
impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

impl fmt::Debug for CustomerPhone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CustomerPhone({})", self.masked())
    }
}

// Free text (a claim, a note, a ruling's reasons, a webhook's payload)
// may carry a number someone typed: these find and mask it.

fn digit(c: char) -> Option<u32> {
    match c {
        '0'..='9' => c.to_digit(10),
        // Full-width digits (from Chinese IMEs).
        '\u{FF10}'..='\u{FF19}' => Some(c as u32 - 0xFF10),
        _ => None,
    }
}

/// Where (in chars) the first full mainland mobile number starts: `1`,
/// then 3–9, then nine digits — also inside a longer run of digits, as a
/// search for `1[3-9]\d{9}` finds it.
fn phone_at(chars: &[char]) -> Option<usize> {
    if chars.len() < 11 {
        return None;
    }
    (0..=chars.len() - 11).find(|&i| {
        let window = &chars[i..i + 11];
        digit(window[0]) == Some(1)
            && digit(window[1]).is_some_and(|d| d >= 3)
            && window[2..].iter().all(|c| digit(*c).is_some())
    })
}

/// Does `text` hold a full mainland mobile number (`1[3-9]` and nine more
/// digits, ASCII or full-width, anywhere)? A masked one (`138****5678`)
/// does not count.
pub fn contains_full_phone(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    phone_at(&chars).is_some()
}

/// `text` with every full mobile number masked as 前三后四 (`138****5678`).
pub fn mask_phones_in_text(text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    // Each pass turns four digits into `*`: it ends.
    while let Some(i) = phone_at(&chars) {
        for c in &mut chars[i + 3..i + 7] {
            *c = '*';
        }
    }
    chars.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_common_ways_of_writing_a_mobile_number() {
        for raw in [
            "13812345678",
            "138 1234 5678",
            "138-1234-5678",
            "+8613812345678",
            "+86 138 1234 5678",
            "8613812345678",
            "１３８１２３４５６７８",
        ] {
            assert_eq!(Phone::parse(raw).map(|p| p.as_str().to_owned()), Ok("13812345678".into()), "{raw}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_mainland_mobile() {
        for raw in
            ["12812345678", "1381234567", "138123456789", "23812345678", "1381234567a", "020-12345678", "+85212345678"]
        {
            assert_eq!(Phone::parse(raw), Err(PhoneError::NotMobile), "{raw}");
        }
        assert_eq!(Phone::parse("  "), Err(PhoneError::Empty));
    }

    #[test]
    fn masked_phone_is_three_digits_four_stars_four_digits() {
        assert!(MaskedPhone::parse("138****5678").is_ok());
        assert!(MaskedPhone::parse("138＊＊＊＊5678").is_ok());
        for raw in
            ["138***5678", "138*****678", "13*****5678", "1381***5678", "abc****5678", "13812**5678", "128****5678"]
        {
            assert_eq!(MaskedPhone::parse(raw), Err(PhoneError::BadMask), "{raw}");
        }
    }

    #[test]
    fn masked_matches_full_with_same_head_and_tail_only() {
        let m = MaskedPhone::parse("138****5678").unwrap();
        assert!(m.matches(&Phone::parse("13812345678").unwrap()));
        assert!(m.matches(&Phone::parse("13899995678").unwrap()));
        assert!(!m.matches(&Phone::parse("13912345678").unwrap()));
        assert!(!m.matches(&Phone::parse("13812345679").unwrap()));
    }

    #[test]
    fn qian_si_hou_wu_is_four_digits_two_stars_five_digits() {
        let m = MaskedPhone::parse("1381**45678").unwrap();
        assert!(m.matches(&Phone::parse("13810045678").unwrap()));
        assert!(!m.matches(&Phone::parse("13820045678").unwrap()), "the 4th digit is known");
        assert!(!m.matches(&Phone::parse("13810055678").unwrap()), "the 5th-last digit is known");
        assert_eq!(m.to_string(), "138****5678", "shown as 前三后四");
        assert_eq!(CustomerPhone::Masked(m).to_stored(), "1381**45678", "stored as typed");
    }

    #[test]
    fn two_masks_match_on_every_place_known_in_both() {
        let three_four = CustomerPhone::parse("138****5678", true).unwrap();
        let four_five = CustomerPhone::parse("1381**45678", true).unwrap();
        let other_fourth = CustomerPhone::parse("1382**45678", true).unwrap();
        assert!(three_four.matches(&four_five));
        assert!(!four_five.matches(&other_fourth));
        assert!(three_four.matches(&other_fourth));
    }

    #[test]
    fn two_masked_phones_match_only_when_equal() {
        let a = CustomerPhone::parse("138****5678", true).unwrap();
        let b = CustomerPhone::parse("138****5678", true).unwrap();
        let c = CustomerPhone::parse("138****5679", true).unwrap();
        assert!(a.matches(&b));
        assert!(!a.matches(&c));
    }

    #[test]
    fn masked_report_refused_when_project_needs_full_phone() {
        assert_eq!(CustomerPhone::parse("138****5678", false), Err(PhoneError::MaskNotAllowed));
        assert!(CustomerPhone::parse("13812345678", false).is_ok());
    }

    #[test]
    fn debug_output_never_shows_the_full_number() {
        let p = Phone::parse("13812345678").unwrap();
        assert_eq!(format!("{p:?}"), "Phone(138****5678)");
        assert_eq!(p.masked().to_string(), "138****5678");
    }
}
