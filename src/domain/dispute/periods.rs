//! A dispute's periods: the deadlines counted from the deal's dates on the
//! project's calendar, what is refused as late, what a dispute waits for
//! next, and the seeds' default when a period passes.

use super::{Outcome, Status};
use chrono::{DateTime, Days, FixedOffset, NaiveDate, Utc};
use chrono_tz::Tz;

/// The periods, in days, per project (`[disputes]` in its file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Objection after the deposit (定金).
    pub objection_days: u32,
    /// Evidence after the down payment (首付).
    pub evidence_days: u32,
    /// The office's opinion after the evidence closes.
    pub opinion_days: u32,
    /// An appeal after the ruling (the seeds are silent; as long as the
    /// office has to rule).
    pub appeal_days: u32,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings { objection_days: 5, evidence_days: 3, opinion_days: 3, appeal_days: 3 }
    }
}

/// The deal's dates the periods count from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DealDates {
    pub deposit_at: Option<DateTime<FixedOffset>>,
    pub down_payment_at: Option<DateTime<FixedOffset>>,
}

/// The last local day of each period (inclusive); `None` while the date
/// it counts from is not known yet (no deposit, no down payment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Deadlines {
    pub objection_due: Option<NaiveDate>,
    pub evidence_due: Option<NaiveDate>,
    pub opinion_due: Option<NaiveDate>,
}

/// The project's calendar day of an instant.
pub fn local_date(tz: Tz, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

fn plus(day: NaiveDate, days: u32) -> NaiveDate {
    day.checked_add_days(Days::new(u64::from(days))).unwrap_or(NaiveDate::MAX)
}

/// The deadlines of a deal's dispute.
pub fn deadlines(settings: &Settings, tz: Tz, dates: &DealDates) -> Deadlines {
    let day = |at: DateTime<FixedOffset>| local_date(tz, at.with_timezone(&Utc));
    let evidence_due = dates.down_payment_at.map(|at| plus(day(at), settings.evidence_days));
    Deadlines {
        objection_due: dates.deposit_at.map(|at| plus(day(at), settings.objection_days)),
        evidence_due,
        opinion_due: evidence_due.map(|d| plus(d, settings.opinion_days)),
    }
}

/// A step refused because its period is over; the date it was due by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Late {
    #[error("objection due by {due} ({days} days after the deposit)")]
    Objection { due: NaiveDate, days: u32 },
    #[error("evidence due by {due} ({days} days after the down payment)")]
    Evidence { due: NaiveDate, days: u32 },
    #[error("appeal due by {due} ({days} days after the ruling)")]
    Appeal { due: NaiveDate, days: u32 },
}

impl Late {
    /// The refusal as the user reads it, Chinese then English.
    pub fn message(&self) -> String {
        match *self {
            Late::Objection { due, days } => format!(
                "已超过提出异议的期限:须在交定金后 {days} 日内(最迟 {due})提出 / Too late to object: objections were due by {due}, {days} days after the deposit"
            ),
            Late::Evidence { due, days } => format!(
                "已超过提交证明材料的期限:须在交首付后 {days} 日内(最迟 {due})提交 / Too late for evidence: it was due by {due}, {days} days after the down payment"
            ),
            Late::Appeal { due, days } => format!(
                "已超过复核申请期限:须在裁决后 {days} 日内(最迟 {due})提出 / Too late to appeal: appeals were due by {due}, {days} days after the ruling"
            ),
        }
    }
}

fn by(due: Option<NaiveDate>, today: NaiveDate) -> Result<(), NaiveDate> {
    match due {
        Some(due) if today > due => Err(due),
        _ => Ok(()),
    }
}

/// May an objection be raised now? Open until the deposit is known, then
/// through the last local day of the period.
pub fn may_object(settings: &Settings, tz: Tz, dates: &DealDates, now: DateTime<Utc>) -> Result<Deadlines, Late> {
    let due = deadlines(settings, tz, dates);
    by(due.objection_due, local_date(tz, now)).map_err(|due| Late::Objection { due, days: settings.objection_days })?;
    Ok(due)
}

/// May a party add evidence now? (The office may at any time before it
/// rules.)
pub fn may_add_evidence(settings: &Settings, tz: Tz, dates: &DealDates, now: DateTime<Utc>) -> Result<(), Late> {
    by(deadlines(settings, tz, dates).evidence_due, local_date(tz, now))
        .map_err(|due| Late::Evidence { due, days: settings.evidence_days })
}

/// The last day to appeal a ruling made at `ruled_at`.
pub fn appeal_due(settings: &Settings, tz: Tz, ruled_at: DateTime<Utc>) -> NaiveDate {
    plus(local_date(tz, ruled_at), settings.appeal_days)
}

/// May a party appeal now?
pub fn may_appeal(settings: &Settings, tz: Tz, ruled_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), Late> {
    by(Some(appeal_due(settings, tz, ruled_at)), local_date(tz, now))
        .map_err(|due| Late::Appeal { due, days: settings.appeal_days })
}

/// What a dispute waits for next, and by when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// The parties' evidence (the office rules after it closes, or earlier).
    Evidence(Option<NaiveDate>),
    /// The office's ruling.
    Ruling(Option<NaiveDate>),
    /// An appeal may still come.
    Appeal(NaiveDate),
    /// The admin's ruling on the appeal (as long as the office's own).
    AppealRuling(NaiveDate),
    Nothing,
}

impl Next {
    pub fn due(self) -> Option<NaiveDate> {
        match self {
            Next::Evidence(d) | Next::Ruling(d) => d,
            Next::Appeal(d) | Next::AppealRuling(d) => Some(d),
            Next::Nothing => None,
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Next::Evidence(_) => "等待证明材料",
            Next::Ruling(_) => "等待案场裁决",
            Next::Appeal(_) => "复核申请期内",
            Next::AppealRuling(_) => "等待集团复核",
            Next::Nothing => "—",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Next::Evidence(_) => "waiting for evidence",
            Next::Ruling(_) => "waiting for the office's ruling",
            Next::Appeal(_) => "open to appeal",
            Next::AppealRuling(_) => "waiting for the admin's review",
            Next::Nothing => "—",
        }
    }
}

/// What a dispute in `status` waits for on `today`.
pub fn next(
    settings: &Settings,
    tz: Tz,
    status: Status,
    due: &Deadlines,
    ruled_at: Option<DateTime<Utc>>,
    appealed_at: Option<DateTime<Utc>>,
    today: NaiveDate,
) -> Next {
    match status {
        Status::Open => match due.evidence_due {
            Some(d) if today <= d => Next::Evidence(Some(d)),
            None => Next::Evidence(None),
            Some(_) => Next::Ruling(due.opinion_due),
        },
        Status::Ruled => match ruled_at {
            Some(at) if today <= appeal_due(settings, tz, at) => Next::Appeal(appeal_due(settings, tz, at)),
            _ => Next::Nothing,
        },
        Status::Appealed => match appealed_at {
            Some(at) => Next::AppealRuling(plus(local_date(tz, at), settings.opinion_days)),
            None => Next::Nothing,
        },
        Status::Closed | Status::Withdrawn => Next::Nothing,
    }
}

/// Days from `today` to `due`: negative when overdue.
pub fn days_left(due: NaiveDate, today: NaiveDate) -> i64 {
    (due - today).num_days()
}

/// What the seeds decide when a party or the office lets a period pass —
/// offered to the manager as the default ruling, never applied alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedsDefault {
    /// 超过3日未能提供证明材料的,佣金、客户均归属促进成交的分销单位.
    NoEvidence,
    /// 未能提供书面证明,以时间最早的报备信息为准: the claimant's report
    /// came first.
    EarliestReportClaimant,
    /// … the respondent's (or nobody's) report came first.
    EarliestReportRespondent,
}

impl SeedsDefault {
    pub fn outcome(self) -> Outcome {
        match self {
            SeedsDefault::NoEvidence | SeedsDefault::EarliestReportRespondent => Outcome::Rejected,
            SeedsDefault::EarliestReportClaimant => Outcome::Upheld,
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            SeedsDefault::NoEvidence => "申诉方逾期未提供证明材料:佣金、客户均归属促进成交的一方(驳回)",
            SeedsDefault::EarliestReportClaimant => "未能提供书面证明,以时间最早的报备为准:申诉方报备在先(支持)",
            SeedsDefault::EarliestReportRespondent => "未能提供书面证明,以时间最早的报备为准:申诉方报备不在先(驳回)",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            SeedsDefault::NoEvidence => {
                "The claimant gave no evidence in time: the closing party keeps customer and commission (reject)"
            }
            SeedsDefault::EarliestReportClaimant => {
                "No written proof: the earliest report prevails — the claimant's (uphold)"
            }
            SeedsDefault::EarliestReportRespondent => {
                "No written proof: the earliest report prevails — not the claimant's (reject)"
            }
        }
    }
}

/// The seeds' default once the evidence period is over: without the
/// claimant's evidence the closing party keeps the customer; with it but
/// no written proof decided, the earliest report. `None` while evidence
/// may still come.
pub fn seeds_default(
    due: &Deadlines,
    today: NaiveDate,
    claimant_evidence: usize,
    claimant_report_first: bool,
) -> Option<SeedsDefault> {
    let closed = matches!(due.evidence_due, Some(d) if today > d);
    if !closed {
        return None;
    }
    Some(if claimant_evidence == 0 {
        SeedsDefault::NoEvidence
    } else if claimant_report_first {
        SeedsDefault::EarliestReportClaimant
    } else {
        SeedsDefault::EarliestReportRespondent
    })
}
