//! Why a visit is not the agency's (the codes of rules.md), with the
//! sentences a desk clerk reads out and an agent understands.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Declared in byte order of their codes (`REPORTED_…` before `REPORT_…`,
/// as `E` < `_`), so the derived `Ord`
/// sorts reasons exactly as the JSON contract wants them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Reason {
    AgentAbsent,
    CustomerDeniesAgent,
    IdentityMismatch,
    NotReported,
    ProtectedByOther,
    RepeatLimit,
    ReportedByOtherFirst,
    ReportBeforeStart,
    ReportExpired,
    ReportTooLate,
    SignaturesMissing,
    VisitedBefore,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Reason {
    pub const ALL: [Reason; 12] = [
        Reason::AgentAbsent,
        Reason::CustomerDeniesAgent,
        Reason::IdentityMismatch,
        Reason::NotReported,
        Reason::ProtectedByOther,
        Reason::RepeatLimit,
        Reason::ReportedByOtherFirst,
        Reason::ReportBeforeStart,
        Reason::ReportExpired,
        Reason::ReportTooLate,
        Reason::SignaturesMissing,
        Reason::VisitedBefore,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Reason::AgentAbsent => "AGENT_ABSENT",
            Reason::CustomerDeniesAgent => "CUSTOMER_DENIES_AGENT",
            Reason::IdentityMismatch => "IDENTITY_MISMATCH",
            Reason::NotReported => "NOT_REPORTED",
            Reason::ProtectedByOther => "PROTECTED_BY_OTHER",
            Reason::RepeatLimit => "REPEAT_LIMIT",
            Reason::ReportBeforeStart => "REPORT_BEFORE_START",
            Reason::ReportExpired => "REPORT_EXPIRED",
            Reason::ReportTooLate => "REPORT_TOO_LATE",
            Reason::ReportedByOtherFirst => "REPORTED_BY_OTHER_FIRST",
            Reason::SignaturesMissing => "SIGNATURES_MISSING",
            Reason::VisitedBefore => "VISITED_BEFORE",
        }
    }

    pub fn from_code(code: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.code() == code)
    }

    /// The sentence for the kiosk screen and the printed confirmation sheet.
    /// It never names another agency: the agent is told a rule applies,
    /// not who else reported the customer.
    pub fn message(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Reason::NotReported, Lang::Zh) => "未报备:到访前没有该客户的报备记录,按自然到访处理。",
            (Reason::NotReported, Lang::En) => "Not reported: there is no report of this customer before the visit.",
            (Reason::ReportBeforeStart, Lang::Zh) => "报备时间早于本项目开放报备的时间,提前报备无效。",
            (Reason::ReportBeforeStart, Lang::En) => {
                "The report was filed before this project opened for reports; early reports are void."
            }
            (Reason::ReportTooLate, Lang::Zh) => "报备过晚:报备时间距到访时间不足规定的提前量(如 30 分钟)。",
            (Reason::ReportTooLate, Lang::En) => {
                "Reported too late: the report must be filed the required time (e.g. 30 minutes) before the customer arrives."
            }
            (Reason::ReportExpired, Lang::Zh) => "报备已过有效期,客户未在有效期内到访。",
            (Reason::ReportExpired, Lang::En) => {
                "The report has expired: the customer did not arrive while it was valid."
            }
            (Reason::IdentityMismatch, Lang::Zh) => "到访客户的姓名或电话与报备信息不一致。",
            (Reason::IdentityMismatch, Lang::En) => "The visitor's name or phone does not match the report.",
            (Reason::VisitedBefore, Lang::Zh) => "该客户在规定天数内已有到访记录(老客户)。",
            (Reason::VisitedBefore, Lang::En) => {
                "The developer's records show a visit of this customer within the history window."
            }
            (Reason::ProtectedByOther, Lang::Zh) => "该客户仍在其他渠道有效带看后的保护期内。",
            (Reason::ProtectedByOther, Lang::En) => {
                "The customer is still within another agency's protection period after a valid visit."
            }
            (Reason::ReportedByOtherFirst, Lang::Zh) => "该客户已被其他渠道先行有效报备。",
            (Reason::ReportedByOtherFirst, Lang::En) => "Another agency filed a valid report of this customer first.",
            (Reason::RepeatLimit, Lang::Zh) => "本渠道本月对该客户的重复报备超过上限。",
            (Reason::RepeatLimit, Lang::En) => {
                "Your agency has reported this customer more often this month than the limit allows."
            }
            (Reason::AgentAbsent, Lang::Zh) => "经纪人未陪同客户到访。",
            (Reason::AgentAbsent, Lang::En) => "The agent did not come with the customer.",
            (Reason::CustomerDeniesAgent, Lang::Zh) => "客户表示不是由该经纪人带来。",
            (Reason::CustomerDeniesAgent, Lang::En) => "The customer says this agent did not bring them.",
            (Reason::SignaturesMissing, Lang::Zh) => "带看确认单缺少签字:须客户、经纪人、置业顾问三方签字。",
            (Reason::SignaturesMissing, Lang::En) => {
                "Signatures missing: the customer, the agent and the sales consultant must all sign."
            }
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_order_is_alphabetical_order_of_codes() {
        let mut by_code = Reason::ALL;
        by_code.sort_by_key(|r| r.code());
        assert_eq!(by_code, Reason::ALL);
        let mut by_ord = Reason::ALL;
        by_ord.sort();
        assert_eq!(by_ord, Reason::ALL);
    }

    #[test]
    fn serde_uses_the_contract_codes() {
        for r in Reason::ALL {
            assert_eq!(serde_json::to_string(&r).unwrap(), format!("\"{}\"", r.code()));
            assert_eq!(Reason::from_code(r.code()), Some(r));
        }
    }

    #[test]
    fn every_reason_has_a_chinese_and_an_english_sentence() {
        for r in Reason::ALL {
            let zh = r.message(Lang::Zh);
            let en = r.message(Lang::En);
            assert!(zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{r}");
            assert!(en.is_ascii() && en.len() > 20, "{r}");
        }
    }
}
