//! 重新判定 and 假如: a visit record's sealed case judged once more, with
//! the rules the record keeps (never the rules in force today), beside
//! what it recorded; and the same case under settings a manager asks about.
//! Pure: nothing here reads the clock or writes anything.
//!
//! The judge is today's: a record whose replay differs shows that the
//! judge changed since it was made, which is what the check is for. Reasons
//! are compared as a set: the judge collects them as one (`Reasons`), and
//! the order a record lists them in carries no meaning.

use crate::config::rules::{DeskHoursPatch, RulesPatch};
use crate::domain::judge::{Verdict, judge};
use crate::domain::reason::Reason;
use crate::domain::rules::Rules;
use crate::store::checkin::before_signing_judgement;
use crate::store::ledger::LedgerRow;
use crate::wire::record::{self, BodyError, RecordBody, RecordedVerdict};
use chrono::NaiveTime;
use serde::Deserialize;
use std::collections::BTreeSet;

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("记录 {seq} 不是带看记录(而是 {kind}),无法重新判定 / record {seq} is a {kind} entry, not a visit record")]
    NotAVisit { seq: i64, kind: String },
    #[error("记录内容无法读取 / the record's body does not parse: {0}")]
    Body(#[from] BodyError),
    #[error("记录 {seq} 保存的规则无效 / record {seq}: the rules it keeps do not resolve: {cause}")]
    Rules { seq: i64, cause: String },
    #[error("记录 {seq} 保存的案情无法重新判定 / record {seq}: its case cannot be judged again: {cause}")]
    Case { seq: i64, cause: String },
    #[error("{0}")]
    WhatIf(#[from] WhatIfError),
}

/// What differs between the recorded verdict and the replayed one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Difference {
    Verdict,
    Reasons,
    ProtectedUntil,
    OffHours,
}

impl Difference {
    pub fn label_zh(self) -> &'static str {
        match self {
            Difference::Verdict => "判定结果不同",
            Difference::Reasons => "判定原因不同",
            Difference::ProtectedUntil => "保护期不同",
            Difference::OffHours => "非工作时间标记不同",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Difference::Verdict => "the verdict differs",
            Difference::Reasons => "the reasons differ",
            Difference::ProtectedUntil => "the protection end differs",
            Difference::OffHours => "the off-hours flag differs",
        }
    }
}

/// One setting a what-if changed: its key (as `RulesPatch::flat_values`
/// names it) and both values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleChange {
    pub key: String,
    pub recorded: String,
    pub used: String,
}

/// A record judged again.
#[derive(Debug, Clone, PartialEq)]
pub struct Replay {
    pub seq: i64,
    /// As the record says (reasons in the record's order).
    pub recorded: RecordedVerdict,
    /// As judged now (reasons in code order).
    pub replayed: RecordedVerdict,
    pub same: bool,
    pub differences: Vec<Difference>,
    /// The rules judged by, every key spelled out.
    pub rules_used: RulesPatch,
    /// What a what-if changed against the record's rules (empty when
    /// judging again).
    pub changed_rules: Vec<RuleChange>,
}

/// The record's case judged again with the record's own rules.
pub fn judge_again(row: &LedgerRow) -> Result<Replay, ReplayError> {
    replay(row, None)
}

/// The record's case judged with its rules changed by `overrides`. The
/// result is for reading only: nothing records it.
pub fn what_if(row: &LedgerRow, overrides: &WhatIf) -> Result<Replay, ReplayError> {
    replay(row, Some(&overrides.patch))
}

fn replay(row: &LedgerRow, overrides: Option<&RulesPatch>) -> Result<Replay, ReplayError> {
    let seq = row.seq;
    if row.kind != "visit" {
        return Err(ReplayError::NotAVisit { seq, kind: row.kind.clone() });
    }
    let body: RecordBody = record::parse(seq, &row.body)?;
    // The record's rules, then the case's own overrides: the order `panke
    // judge` applies (records panke writes carry none in the case).
    let recorded_patch = match &body.case.rules {
        Some(in_case) => body.rules.overlay(in_case),
        None => body.rules.clone(),
    };
    let resolve = |patch: &RulesPatch| {
        patch.resolve(&format!("record {seq}")).map_err(|e| ReplayError::Rules { seq, cause: e.to_string() })
    };
    let recorded_rules = resolve(&recorded_patch)?;
    let (rules, changed_rules) = match overrides {
        None => (recorded_rules, Vec::new()),
        Some(over) => {
            let rules = resolve(&recorded_patch.overlay(over))?;
            let changes = rule_changes(&RulesPatch::from_rules(&recorded_rules), &RulesPatch::from_rules(&rules));
            (rules, changes)
        }
    };
    let replayed = judged(&body, &rules).map_err(|cause| ReplayError::Case { seq, cause })?;
    let found = differences(&body.verdict, &replayed);
    Ok(Replay {
        seq,
        same: found.is_empty(),
        differences: found,
        recorded: body.verdict,
        replayed,
        rules_used: RulesPatch::from_rules(&rules),
        changed_rules,
    })
}

/// The final verdict as the check-in computes it (`Store::record_checkin`):
/// the judge, then — for records made since the verdict before signing
/// existed, which are the ones that keep `provisional` — no
/// SIGNATURES_MISSING when the visit was a natural visit before anyone
/// signed (nobody was asked to sign a 带看 the answers refused). Release
/// 0.1 bodies have no `provisional` and were judged without that step.
/// The desk's three questions (`answers`) never enter the verdict; what
/// does (agent present, customer confirms the agent) is in the case.
fn judged(body: &RecordBody, rules: &Rules) -> Result<RecordedVerdict, String> {
    // The check-in judged the report as stored, masked phone or not; a
    // project that refuses masked phones today must not make its old
    // records unreadable. The judge itself never reads this setting.
    let parsing = Rules { allow_masked_phone: true, ..rules.clone() };
    let case = body.case.to_case(&parsing).map_err(|e| e.to_string())?;
    let mut judgement = judge(&case, rules);
    if body.provisional.is_some() && before_signing_judgement(&case, rules).verdict == Verdict::Invalid {
        judgement.reasons.remove(Reason::SignaturesMissing);
    }
    Ok(RecordedVerdict::from(&judgement))
}

fn differences(recorded: &RecordedVerdict, replayed: &RecordedVerdict) -> Vec<Difference> {
    let set = |v: &RecordedVerdict| v.reasons.iter().copied().collect::<BTreeSet<Reason>>();
    let mut out = Vec::new();
    if recorded.verdict != replayed.verdict {
        out.push(Difference::Verdict);
    }
    if set(recorded) != set(replayed) {
        out.push(Difference::Reasons);
    }
    // Instants compare as instants, whatever offset each was written with.
    if recorded.protected_until != replayed.protected_until {
        out.push(Difference::ProtectedUntil);
    }
    if recorded.off_hours != replayed.off_hours {
        out.push(Difference::OffHours);
    }
    out
}

fn rule_changes(recorded: &RulesPatch, used: &RulesPatch) -> Vec<RuleChange> {
    let (before, after) = (recorded.flat_values(), used.flat_values());
    after
        .iter()
        .filter(|(key, value)| before.get(*key) != Some(*value))
        .map(|(key, value)| RuleChange {
            key: key.clone(),
            recorded: before.get(key).cloned().unwrap_or_else(|| "—".to_owned()),
            used: value.clone(),
        })
        .collect()
}

/// A what-if's settings as a form sends them (GET parameters: rule values,
/// never personal data); blank means "as recorded".
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct WhatIfInput {
    pub min_gap_minutes: String,
    pub report_validity: String,
    pub history_window_days: String,
    pub protection_days: String,
    pub max_reports_per_month: String,
    pub agent_must_accompany: String,
    pub overlap_rule: String,
    pub desk_hours_mon_thu: String,
    pub desk_hours_fri_sun: String,
}

impl WhatIfInput {
    pub fn is_blank(&self) -> bool {
        [
            &self.min_gap_minutes,
            &self.report_validity,
            &self.history_window_days,
            &self.protection_days,
            &self.max_reports_per_month,
            &self.agent_must_accompany,
            &self.overlap_rule,
            &self.desk_hours_mon_thu,
            &self.desk_hours_fri_sun,
        ]
        .iter()
        .all(|v| v.trim().is_empty())
    }
}

/// A what-if setting that does not parse, said in both languages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct WhatIfError {
    /// The form field (a `WhatIfInput` field name).
    pub field: &'static str,
    pub message: String,
}

/// Validated overrides of the record's rules. Only settings the judge reads
/// are offered; the same ranges as the rules file, so the overlay always
/// resolves.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WhatIf {
    patch: RulesPatch,
}

impl WhatIf {
    pub fn parse(input: &WhatIfInput) -> Result<WhatIf, WhatIfError> {
        let mon_thu = hours("desk_hours_mon_thu", &input.desk_hours_mon_thu)?;
        let fri_sun = hours("desk_hours_fri_sun", &input.desk_hours_fri_sun)?;
        let patch = RulesPatch {
            min_gap_minutes: whole(
                "min_gap_minutes",
                &input.min_gap_minutes,
                (0, 7 * 24 * 60),
                ("最短提前报备时间(分钟)", "the minimum advance (minutes)"),
            )?,
            report_validity: validity(&input.report_validity)?,
            history_window_days: whole(
                "history_window_days",
                &input.history_window_days,
                (0, 3650),
                ("老客户判定天数", "the history window (days)"),
            )?,
            protection_days: whole(
                "protection_days",
                &input.protection_days,
                (1, 3650),
                ("保护期天数", "the protection (days)"),
            )?,
            max_reports_per_month: whole(
                "max_reports_per_month",
                &input.max_reports_per_month,
                (1, 1000),
                ("每月重复报备上限", "the monthly repeat limit"),
            )?,
            agent_must_accompany: yes_no(&input.agent_must_accompany)?,
            overlap_rule: overlap(&input.overlap_rule)?,
            desk_hours: (mon_thu.is_some() || fri_sun.is_some()).then_some(DeskHoursPatch { mon_thu, fri_sun }),
            ..RulesPatch::default()
        };
        Ok(WhatIf { patch })
    }

    /// Nothing is changed: the what-if is the record's own judgement.
    pub fn is_empty(&self) -> bool {
        self.patch == RulesPatch::default()
    }

    pub fn overrides(&self) -> &RulesPatch {
        &self.patch
    }
}

/// A refusal naming what was typed (at most 20 characters of it).
fn bad(field: &'static str, zh: &str, en: &str, typed: &str) -> WhatIfError {
    let t: String = typed.chars().take(20).collect();
    WhatIfError { field, message: format!("{zh},“{t}”不行 / {en}, not \"{t}\"") }
}

fn whole(
    field: &'static str,
    text: &str,
    (lo, hi): (i64, i64),
    (zh, en): (&str, &str),
) -> Result<Option<i64>, WhatIfError> {
    let t = text.trim();
    match t.parse::<i64>() {
        _ if t.is_empty() => Ok(None),
        Ok(n) if (lo..=hi).contains(&n) => Ok(Some(n)),
        _ => Err(bad(
            field,
            &format!("{zh}须为 {lo} 到 {hi} 之间的整数"),
            &format!("{en} must be a whole number from {lo} to {hi}"),
            t,
        )),
    }
}

/// `7d`, `7`, `7天`, or `same-day` / `当日` / `当天`.
fn validity(text: &str) -> Result<Option<String>, WhatIfError> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if matches!(t, "same-day" | "当日" | "当天") {
        return Ok(Some("same-day".to_owned()));
    }
    match t.strip_suffix('d').or_else(|| t.strip_suffix('天')).unwrap_or(t).trim().parse::<u32>() {
        Ok(n) if (1..=365).contains(&n) => Ok(Some(format!("{n}d"))),
        _ => Err(bad(
            "report_validity",
            "报备有效期须为 1 到 365 天(如 7d),或 same-day(当日有效)",
            "the report validity must be 1 to 365 days (e.g. 7d) or same-day",
            t,
        )),
    }
}

fn yes_no(text: &str) -> Result<Option<bool>, WhatIfError> {
    match text.trim() {
        "" => Ok(None),
        "true" | "yes" | "1" | "是" => Ok(Some(true)),
        "false" | "no" | "0" | "否" => Ok(Some(false)),
        other => Err(bad(
            "agent_must_accompany",
            "经纪人是否必须陪同:请选择“是”或“否”",
            "whether the agent must come: choose yes or no",
            other,
        )),
    }
}

fn overlap(text: &str) -> Result<Option<String>, WhatIfError> {
    match text.trim() {
        "" => Ok(None),
        "first-report" | "先报备" => Ok(Some("first-report".to_owned())),
        "first-visit" | "先到访" => Ok(Some("first-visit".to_owned())),
        other => Err(bad(
            "overlap_rule",
            "多家渠道报备规则须为 first-report(先报备者有效)或 first-visit(先带访者有效)",
            "the overlap rule must be first-report or first-visit",
            other,
        )),
    }
}

/// `09:00-18:00` (the separators the rules file accepts), opening before
/// closing; written back as `HH:MM-HH:MM`.
fn hours(field: &'static str, text: &str) -> Result<Option<String>, WhatIfError> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let parsed = t.split_once(['-', '–', '—', '~', '～']).and_then(|(open, close)| {
        let open = NaiveTime::parse_from_str(open.trim(), "%H:%M").ok()?;
        let close = NaiveTime::parse_from_str(close.trim(), "%H:%M").ok()?;
        (open < close).then_some((open, close))
    });
    match parsed {
        Some((open, close)) => Ok(Some(format!("{}-{}", open.format("%H:%M"), close.format("%H:%M")))),
        None => Err(bad(
            field,
            "判客岗工作时间须写成 09:00-18:00(开始早于结束)",
            "desk hours must read like 09:00-18:00, opening before closing",
            t,
        )),
    }
}

#[cfg(test)]
mod tests;
