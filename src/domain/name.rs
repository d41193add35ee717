//! Customer names and the one fuzziness the rules allow: a reported
//! surname-only form (`王`, `王先生`, `欧阳女士`) matches the full arrival name.

use std::fmt;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("客户姓名不能为空(至少填写姓氏)/ the customer name is empty (a surname is enough)")]
    Empty,
    #[error("客户姓名过长(最多 40 个字符)/ the customer name is too long (40 characters at most)")]
    TooLong,
    #[error("客户姓名含有控制字符(如换行符)/ the customer name contains a control character (such as a line break)")]
    ControlCharacter,
    #[error("客户姓名含有文字方向控制符 / the customer name contains a text-direction control character")]
    BidiControl,
    #[error("客户姓名没有可见的文字 / the customer name has no visible character")]
    Invisible,
    #[error("客户姓名中的组合符号过多 / the customer name has too many combining marks")]
    TooManyMarks,
}

impl NameError {
    /// What is wrong, in words that fit any name field (an agency's, an
    /// agent's): the Chinese and the English predicate.
    pub fn problem(self) -> (&'static str, &'static str) {
        match self {
            NameError::Empty => ("不能为空", "is empty"),
            NameError::TooLong => ("过长", "is too long"),
            NameError::ControlCharacter => {
                ("含有控制字符(如换行符)", "contains a control character (such as a line break)")
            }
            NameError::BidiControl => ("含有文字方向控制符", "contains a text-direction control character"),
            NameError::Invisible => ("没有可见的文字", "has no visible character"),
            NameError::TooManyMarks => ("中的组合符号过多", "has too many combining marks"),
        }
    }
}

/// Bidirectional formatting characters: they reorder what is shown
/// (`王\u{202e}生先` reads as 王先生), so a name must not hold them.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Characters that take no room of their own: zero-width spaces and
/// joiners, invisible operators, the byte-order mark, the soft hyphen.
fn is_zero_width(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}' | '\u{180E}')
}

fn is_visible(c: char) -> bool {
    !c.is_whitespace() && !c.is_control() && !is_zero_width(c) && !is_bidi_control(c) && !is_combining_mark(c)
}

/// A name as people will read it, for any name field (customers,
/// agencies, agents): normalised to NFC and trimmed; refused when empty,
/// when it holds control or text-direction characters, when nothing in it
/// is visible, or when more than a third of it is combining marks.
/// No length limit: each field sets its own.
pub fn visible_text(raw: &str) -> Result<String, NameError> {
    let normalised: String = raw.nfc().collect();
    let text = normalised.trim();
    if text.is_empty() {
        return Err(NameError::Empty);
    }
    if text.chars().any(char::is_control) {
        return Err(NameError::ControlCharacter);
    }
    if text.chars().any(is_bidi_control) {
        return Err(NameError::BidiControl);
    }
    if !text.chars().any(is_visible) {
        return Err(NameError::Invisible);
    }
    let total = text.chars().count();
    let marks = text.chars().filter(|&c| is_combining_mark(c)).count();
    if marks * 3 > total {
        return Err(NameError::TooManyMarks);
    }
    Ok(text.to_owned())
}

/// A trimmed, non-empty, visible name of at most 40 characters, in NFC
/// (see [`visible_text`]).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CustomerName(String);

const MAX_CHARS: usize = 40;
const POLITE_SUFFIXES: [&str; 3] = ["先生", "女士", "小姐"];

impl CustomerName {
    /// A name read back from the database: it was checked by the rules in
    /// force when it was stored (older releases accepted control
    /// characters), so it is taken as it is, trimmed; an old report never
    /// becomes unreadable.
    pub fn from_stored(stored: &str) -> CustomerName {
        CustomerName(stored.trim().to_owned())
    }

    pub fn parse(raw: &str) -> Result<CustomerName, NameError> {
        let text = visible_text(raw)?;
        if text.chars().count() > MAX_CHARS {
            return Err(NameError::TooLong);
        }
        Ok(CustomerName(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Does this reported name designate the person who arrived as
    /// `arrival`? Equal, or a surname-only form: one or two characters that
    /// begin the arrival name, optionally followed by 先生/女士/小姐.
    /// Nothing sounds-alike: 黄 never matches 王.
    pub fn reported_matches(&self, arrival: &CustomerName) -> bool {
        if self.0 == arrival.0 {
            return true;
        }
        let surname = POLITE_SUFFIXES.iter().find_map(|suffix| self.0.strip_suffix(suffix)).unwrap_or(&self.0);
        let len = surname.chars().count();
        (1..=2).contains(&len) && arrival.0.starts_with(surname)
    }
}

/// Pinyin of a character without tone, spelled so that sound-alike finals
/// compare equal (`wang` → `uang`, `yi` → `i`).
fn toneless_pinyin(c: char) -> Option<String> {
    use pinyin::ToPinyin;
    let plain = c.to_pinyin()?.plain();
    let normalised = if let Some(rest) = plain.strip_prefix('w') {
        if rest.starts_with('u') { rest.to_owned() } else { format!("u{rest}") }
    } else if let Some(rest) = plain.strip_prefix('y') {
        if rest.starts_with('i') || rest.starts_with('u') { rest.to_owned() } else { format!("i{rest}") }
    } else {
        plain.to_owned()
    };
    Some(normalised)
}

fn final_of(pinyin: &str) -> &str {
    for initial in
        ["zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x", "r", "z", "c", "s"]
    {
        if let Some(rest) = pinyin.strip_prefix(initial) {
            return rest;
        }
    }
    pinyin
}

impl CustomerName {
    /// A warning for the desk, never a verdict: the surnames differ but
    /// sound alike (黄/王 are both "wong" in Cantonese; in pinyin they share
    /// the final -uang). Compares the first characters.
    pub fn surname_sounds_like(&self, other: &CustomerName) -> bool {
        let (Some(a), Some(b)) = (self.0.chars().next(), other.0.chars().next()) else {
            return false;
        };
        if a == b {
            return false;
        }
        match (toneless_pinyin(a), toneless_pinyin(b)) {
            (Some(pa), Some(pb)) => pa == pb || final_of(&pa) == final_of(&pb),
            _ => false,
        }
    }
}

impl fmt::Display for CustomerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for CustomerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CustomerName({:?})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(reported: &str, arrival: &str) -> bool {
        CustomerName::parse(reported).unwrap().reported_matches(&CustomerName::parse(arrival).unwrap())
    }

    #[test]
    fn name_rule_table() {
        let table = [
            ("王小明", "王小明", true),
            (" 王小明 ", "王小明", true),
            ("王", "王小明", true),
            ("王先生", "王小明", true),
            ("王女士", "王小红", true),
            ("王小姐", "王小红", true),
            ("欧阳", "欧阳娜娜", true),
            ("欧阳女士", "欧阳娜娜", true),
            ("黄", "王小明", false),
            ("黄小明", "王小明", false),
            ("黄先生", "王小明", false),
            ("王小明", "王", false),
            ("王小明", "王小明明", false),
            ("先生", "王小明", false),
            ("司马相", "司马相如", false),
            ("王老板", "王小明", false),
        ];
        for (reported, arrival, expect) in table {
            assert_eq!(matches(reported, arrival), expect, "{reported} vs {arrival}");
        }
    }

    #[test]
    fn sound_alike_surnames_are_flagged_for_the_desk() {
        let n = |s| CustomerName::parse(s).unwrap();
        assert!(n("黄小明").surname_sounds_like(&n("王小明")));
        assert!(n("黄").surname_sounds_like(&n("王小明")));
        assert!(n("张三").surname_sounds_like(&n("章三")), "same pinyin");
        assert!(!n("王小明").surname_sounds_like(&n("王小明")), "the same surname is not a near-miss");
        assert!(!n("李雷").surname_sounds_like(&n("王小明")));
    }

    #[test]
    fn empty_or_blank_name_is_refused() {
        assert_eq!(CustomerName::parse(""), Err(NameError::Empty));
        assert_eq!(CustomerName::parse(" \u{3000} "), Err(NameError::Empty));
        assert_eq!(CustomerName::parse(&"王".repeat(41)), Err(NameError::TooLong));
    }

    #[test]
    fn nfc_and_nfd_spellings_are_the_same_name() {
        let composed = CustomerName::parse("Zo\u{eb}").unwrap();
        let decomposed = CustomerName::parse("Zoe\u{308}").unwrap();
        assert_eq!(composed, decomposed);
        assert_eq!(decomposed.as_str(), "Zo\u{eb}", "stored in NFC");
        assert!(decomposed.reported_matches(&composed));
        assert_eq!(CustomerName::parse("Jose\u{301}").unwrap().as_str(), "Jos\u{e9}");
    }

    #[test]
    fn a_control_character_inside_a_name_is_refused() {
        for name in ["王\0小明", "王\n小明", "王\t小明", "王\r\n小明", "王\u{7f}小明", "王\u{85}小明", "王\u{9b}小明"]
        {
            assert_eq!(CustomerName::parse(name), Err(NameError::ControlCharacter), "{name:?}");
        }
        assert_eq!(CustomerName::parse("王小明\0"), Err(NameError::ControlCharacter), "NUL is not trimmed");
    }

    #[test]
    fn line_breaks_around_a_name_are_trimmed_not_refused() {
        assert_eq!(CustomerName::parse("\n王小明\r\n").unwrap().as_str(), "王小明");
        assert_eq!(CustomerName::parse("\t王小明 ").unwrap().as_str(), "王小明");
    }

    #[test]
    fn a_bidi_override_is_refused() {
        assert_eq!(CustomerName::parse("王\u{202e}生先"), Err(NameError::BidiControl));
        for c in ['\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}'] {
            assert_eq!(CustomerName::parse(&format!("王{c}小明")), Err(NameError::BidiControl), "{c:?}");
        }
    }

    #[test]
    fn a_bidi_mark_is_refused() {
        for c in ['\u{200e}', '\u{200f}', '\u{61c}'] {
            assert_eq!(CustomerName::parse(&format!("王小明{c}")), Err(NameError::BidiControl), "{c:?}");
            assert_eq!(CustomerName::parse(&c.to_string()), Err(NameError::BidiControl), "{c:?} alone");
        }
    }

    #[test]
    fn a_name_of_zero_width_characters_is_refused() {
        for name in ["\u{200b}", "\u{200b}\u{200c}\u{200d}", "\u{2060}", "\u{feff}", " \u{200b} \u{feff} "] {
            assert_eq!(CustomerName::parse(name), Err(NameError::Invisible), "{name:?}");
        }
    }

    #[test]
    fn a_name_of_combining_marks_only_is_refused() {
        assert_eq!(CustomerName::parse("\u{301}"), Err(NameError::Invisible));
        assert_eq!(CustomerName::parse("\u{301}\u{302}\u{200b}"), Err(NameError::Invisible));
    }

    #[test]
    fn a_zero_width_character_beside_visible_ones_is_kept() {
        assert_eq!(CustomerName::parse("王\u{200b}小明").unwrap().as_str(), "王\u{200b}小明");
    }

    #[test]
    fn combining_marks_up_to_a_third_of_the_name_are_accepted() {
        assert!(CustomerName::parse("王小\u{301}").is_ok(), "1 mark of 3 characters");
        assert!(CustomerName::parse("王小明\u{301}\u{302}明").is_ok(), "2 marks of 6 characters");
    }

    #[test]
    fn combining_marks_over_a_third_of_the_name_are_refused() {
        assert_eq!(CustomerName::parse("王\u{301}"), Err(NameError::TooManyMarks), "1 mark of 2 characters");
        assert_eq!(CustomerName::parse("王小明\u{301}\u{302}"), Err(NameError::TooManyMarks), "2 of 5");
        let zalgo = format!("a{}", "\u{301}".repeat(39));
        assert_eq!(CustomerName::parse(&zalgo), Err(NameError::TooManyMarks), "39 combining marks");
    }

    #[test]
    fn visible_text_checks_other_name_fields_without_a_length_limit() {
        assert_eq!(visible_text(" 链家-天河店 "), Ok("链家-天河店".to_owned()));
        assert_eq!(visible_text("链家\u{202e}店"), Err(NameError::BidiControl));
        assert_eq!(visible_text("张\n三"), Err(NameError::ControlCharacter));
        assert_eq!(visible_text("\u{200b}"), Err(NameError::Invisible));
        assert_eq!(visible_text(" "), Err(NameError::Empty));
        assert!(visible_text(&"链".repeat(60)).is_ok());
    }
}
