//! The short code printed under an agent's QR code, typed at the kiosk when
//! the camera fails. It is a random lookup key, not a credential: it only
//! resolves through a signed-in kiosk of the report's project, and carries
//! no data of its own.

use std::fmt;

/// No 0/O, 1/I/L or U/V look-alikes: 29 symbols that survive a hurried
/// reading aloud and a tablet keypad.
pub const ALPHABET: &[u8; 29] = b"23456789ABCDEFGHJKMNPQRSTWXYZ";
pub const LEN: usize = 8;

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ManualCode([u8; LEN]);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ManualCodeError {
    #[error("手动码应为 8 位 / the manual code has 8 characters")]
    WrongLength,
    #[error("手动码含有无效字符 / the manual code contains a character it cannot contain")]
    BadCharacter,
}

impl ManualCode {
    /// Makes a code from 8 random bytes supplied by the caller (the domain
    /// has no randomness of its own). 29^8 ≈ 5·10^11 codes.
    pub fn from_random(random: u64) -> ManualCode {
        let mut n = random;
        let mut code = [0u8; LEN];
        for c in &mut code {
            *c = ALPHABET[(n % ALPHABET.len() as u64) as usize];
            n /= ALPHABET.len() as u64;
        }
        ManualCode(code)
    }

    /// Accepts what a person types: any case, spaces and dashes.
    pub fn parse(raw: &str) -> Result<ManualCode, ManualCodeError> {
        let cleaned: Vec<u8> = raw
            .bytes()
            .filter(|b| !matches!(b, b' ' | b'-' | b'\t' | b'\r' | b'\n'))
            .map(|b| b.to_ascii_uppercase())
            .collect();
        if !cleaned.is_ascii() || cleaned.len() != LEN {
            return Err(ManualCodeError::WrongLength);
        }
        let mut code = [0u8; LEN];
        for (slot, b) in code.iter_mut().zip(cleaned) {
            if !ALPHABET.contains(&b) {
                return Err(ManualCodeError::BadCharacter);
            }
            *slot = b;
        }
        Ok(ManualCode(code))
    }

    /// The canonical form kept in the database: 8 characters, no dash.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// Shown as `ABCD-EFGH` so it is easy to read out.
impl fmt::Display for ManualCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.as_str();
        write!(f, "{}-{}", &s[..4], &s[4..])
    }
}

impl fmt::Debug for ManualCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ManualCode({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_forms_parse_to_the_same_code() {
        let c = ManualCode::from_random(0x1234_5678_9abc);
        let shown = c.to_string();
        assert_eq!(ManualCode::parse(&shown), Ok(c));
        assert_eq!(ManualCode::parse(&shown.to_lowercase()), Ok(c));
        assert_eq!(ManualCode::parse(&shown.replace('-', " ")), Ok(c));
        assert_eq!(ManualCode::parse(c.as_str()), Ok(c));
    }

    #[test]
    fn look_alike_characters_and_wrong_lengths_are_refused() {
        assert_eq!(ManualCode::parse("ABCD-EFG0"), Err(ManualCodeError::BadCharacter));
        assert_eq!(ManualCode::parse("ABCD-EFGI"), Err(ManualCodeError::BadCharacter));
        assert_eq!(ManualCode::parse("ABCD-EFGO"), Err(ManualCodeError::BadCharacter));
        assert_eq!(ManualCode::parse("ABCD-EFG"), Err(ManualCodeError::WrongLength));
        assert_eq!(ManualCode::parse("ABCD-EFGHJ"), Err(ManualCodeError::WrongLength));
        assert_eq!(ManualCode::parse("ABCD-EFG王"), Err(ManualCodeError::WrongLength));
    }

    #[test]
    fn alphabet_has_no_look_alikes() {
        for c in b"01ILOUV" {
            assert!(!ALPHABET.contains(c));
        }
    }
}
