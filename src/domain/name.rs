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
    fn empty_or_blank_name_is_refused() {
        assert_eq!(CustomerName::parse(""), Err(NameError::Empty));
        assert_eq!(CustomerName::parse(" \u{3000} "), Err(NameError::Empty));
        assert_eq!(CustomerName::parse(&"王".repeat(41)), Err(NameError::TooLong));
    }
}
