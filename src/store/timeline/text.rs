//! The timeline's words: masked phones, the typed texts kept for staff
//! (`Detail`), and the rules said concretely.

use super::Detail;
use crate::domain::phone::CustomerPhone;
use crate::domain::reason::Lang as ReasonLang;
use crate::domain::rules::{OverlapRule, ReportValidity, Rules};
use crate::wire::record::RecordBody;
use chrono::{DateTime, FixedOffset};

/// A (Chinese, English) pair of texts.
pub(super) type Words = (String, String);

pub(super) fn words(zh: &str, en: &str) -> Words {
    (zh.to_owned(), en.to_owned())
}

pub(super) fn join(parts: Vec<Words>) -> Words {
    let (zh, en): (Vec<String>, Vec<String>) = parts.into_iter().unzip();
    (zh.join(";"), en.join("; "))
}

/// A typed text for staff, its mobile numbers masked; `None` when empty.
pub(super) fn detail(label_zh: &'static str, label_en: &'static str, text: &str) -> Option<Detail> {
    let text = text.trim();
    (!text.is_empty()).then(|| Detail { label_zh, label_en, text: mask_phones_in(text) })
}

/// Free text with every mobile number masked (`domain::phone`).
pub(super) fn mask_phones_in(text: &str) -> String {
    crate::domain::phone::mask_phones_in_text(text)
}

/// An instant on the project's clock (`rules.timezone`).
pub(super) fn local(rules: &Rules, t: DateTime<FixedOffset>) -> String {
    t.with_timezone(&rules.timezone).format("%Y-%m-%d %H:%M").to_string()
}

/// A stored phone (full or masked) as 前三后四.
pub(super) fn masked_text(stored: &str) -> String {
    CustomerPhone::parse(stored, true).map(|p| p.masked().to_string()).unwrap_or_else(|_| "***".to_owned())
}

// ---- the rules, in words -------------------------------------------------

fn validity_words(rules: &Rules) -> Words {
    match rules.report_validity {
        ReportValidity::Days(n) => {
            (format!("报备后 {n} 天内有效"), format!("a report is valid for {n} days after filing"))
        }
        ReportValidity::SameDay => words("报备当日有效", "a report is valid on the day it is filed"),
    }
}

fn gap_words(rules: &Rules) -> Words {
    let gap = rules.min_gap.num_minutes();
    (
        format!("报备须早于到访至少 {gap} 分钟"),
        format!("a report must be filed at least {gap} minutes before the arrival"),
    )
}

fn overlap_words(rules: &Rules) -> Words {
    match rules.overlap_rule {
        OverlapRule::FirstReport => {
            words("多家渠道报备同一客户,先报备者有效", "when agencies report one customer, the first valid report wins")
        }
        OverlapRule::FirstVisit => words(
            "多家渠道报备同一客户,在报备有效期内先带客到访者有效",
            "when agencies report one customer, the first to bring them while its report is valid wins",
        ),
    }
}

pub(super) fn history_words(rules: &Rules) -> Words {
    let d = rules.history_window.num_days();
    (
        format!("{d} 天内有到访记录的客户视为老客户,不属于渠道"),
        format!("a customer who visited within {d} days is an existing customer, not the agency's"),
    )
}

/// The reporting rules, concretely.
pub(super) fn report_rule(rules: &Rules) -> Words {
    let n = rules.max_reports_per_month;
    let mut parts = vec![
        gap_words(rules),
        validity_words(rules),
        overlap_words(rules),
        (
            format!("同一渠道每月报备同一客户不超过 {n} 次"),
            format!("one agency reports one customer at most {n} times a month"),
        ),
    ];
    if let Some(start) = rules.reporting_start {
        let when = local(rules, start);
        parts.push((format!("{when} 前的报备无效"), format!("reports filed before {when} are void")));
    }
    join(parts)
}

/// What the protection period means for a subscription.
pub(super) fn subscription_rule(rules: &Rules) -> Words {
    let protection = rules.protection.num_days();
    (
        format!("渠道业绩按认购时的有效带看与保护期判定(保护期 {protection} 天)"),
        format!(
            "channel performance is decided by the valid visits and their protection at the subscription ({protection} days)"
        ),
    )
}

/// The rules sealed in a visit record, and the reasons of its verdict.
pub(super) fn visit_rule(body: &RecordBody) -> Words {
    let mut parts = Vec::new();
    match body.rules.resolve("record") {
        Ok(r) => {
            if body.case.report.is_some() {
                parts.push(gap_words(&r));
                parts.push(validity_words(&r));
                parts.push(overlap_words(&r));
            } else {
                parts.push(words("未报备的到访按自然到访处理", "a visit without a report is a natural visit"));
            }
            parts.push(history_words(&r));
            if r.agent_must_accompany && body.case.report.is_some() {
                parts.push(words("经纪人须陪同到访", "the agent must come with the customer"));
            }
            if body.verdict.is_valid() {
                let d = r.protection.num_days();
                parts.push((
                    format!("有效带看后保护期 {d} 天"),
                    format!("a valid visit protects the customer for {d} days"),
                ));
            }
        }
        Err(_) => parts.push(words("(记录中封存的规则无法读取)", "(the rules sealed in the record cannot be read)")),
    }
    let (mut zh, mut en) = join(parts);
    zh = format!("按本记录封存的规则:{zh}");
    en = format!("by the rules sealed in the record: {en}");
    if !body.verdict.reasons.is_empty() {
        let zh_reasons: Vec<&str> = body.verdict.reasons.iter().map(|r| r.message(ReasonLang::Zh)).collect();
        let en_reasons: Vec<&str> = body.verdict.reasons.iter().map(|r| r.message(ReasonLang::En)).collect();
        zh.push_str(&format!("。判定原因:{}", zh_reasons.join("")));
        en.push_str(&format!(". Reasons: {}", en_reasons.join(" ")));
    }
    (zh, en)
}

/// Why an attribution entry was made, in words.
pub(super) fn cause_words(cause: &str) -> Words {
    match cause.split_once(':') {
        Some(("amendment", seq)) => (format!("到访记录更正(#{seq})"), format!("a visit record was amended (#{seq})")),
        Some(("visit", seq)) => (format!("客户到访(#{seq})"), format!("the customer visited (#{seq})")),
        Some(("ruling", id)) => (format!("争议裁决(#{id})"), format!("a dispute ruling (#{id})")),
        _ => match cause {
            "entered" => words("录入认购", "subscription entered"),
            "imported" => words("导入", "imported"),
            "group" => words("客户组变更(直系亲属)", "customer group changed"),
            "contract" => words("签约", "contract signed"),
            "cancel" => words("退订", "cancellation"),
            "employees" => words("员工名单变更", "employees list changed"),
            "agency_contract" => words("渠道合同到期日变更", "the agency's contract end changed"),
            other => words(other, other),
        },
    }
}

/// A report's status, in words.
pub(super) fn status_words(status: &str, voided: bool) -> (&'static str, &'static str) {
    if voided {
        return ("已作废", "voided");
    }
    match status {
        "pending" => ("待到访", "awaiting the visit"),
        "visited-valid" => ("有效带看", "visited (valid visit)"),
        "visited-invalid" => ("自然到访", "visited (natural visit)"),
        "expired" => ("已过期", "expired"),
        "cancelled" => ("已撤销", "cancelled"),
        _ => ("未知状态", "unknown status"),
    }
}
