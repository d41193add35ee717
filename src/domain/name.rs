//! Customer names and the one fuzziness the rules allow: a reported
//! surname-only form (`王`, `王先生`, `欧阳女士`) matches the full arrival name.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("客户姓名不能为空(至少填写姓氏)/ the customer name is empty (a surname is enough)")]
    Empty,
    #[error("客户姓名过长(最多 40 个字符)/ the customer name is too long (40 characters at most)")]
    TooLong,
}

/// A trimmed, non-empty name of at most 40 characters.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CustomerName(String);

const MAX_CHARS: usize = 40;
const POLITE_SUFFIXES: [&str; 3] = ["先生", "女士", "小姐"];

impl CustomerName {
    pub fn parse(raw: &str) -> Result<CustomerName, NameError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(NameError::Empty);
        }
        if trimmed.chars().count() > MAX_CHARS {
            return Err(NameError::TooLong);
        }
        Ok(CustomerName(trimmed.to_owned()))
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
}
