//! Disputes (撞单 / 申诉) as the seeds set them (customer-confirmation
//! templates, 争议客户处理注意事项):
//!
//! 1. an objection within 5 days after the deposit (交完定金5日内提出异议);
//! 2. evidence within 3 days after the down payment (交完首付3天内提供证明材料)
//!    — 户口本、结婚证、通话记录(限在册分销人员)、短信、客户签字书面证明、电话录音 —
//!    else the closing party keeps the customer and the commission;
//! 3. the office's opinion within 3 days of the evidence (3日内提供处理意见);
//!    otherwise the earliest report prevails (以时间最早的报备信息为准).
//!
//! Days are counted on the project's local calendar: a deposit at 23:30 on
//! the 1st leaves objections open through the whole of the 6th, whatever
//! the server's time zone. The periods are per-project settings with the
//! seeds' figures as defaults. A ruling is upheld, rejected or split by a
//! percentage (甲乙各50%, 甲30%乙70%), and may be appealed once.

use chrono::{DateTime, Days, FixedOffset, NaiveDate, Utc};
use chrono_tz::Tz;

/// What the claimant says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimKind {
    /// Two agencies claim one customer (撞单).
    Collision,
    /// The visit was judged a natural visit (自然到访) wrongly.
    NaturalVerdict,
    /// A family member (儿女、父母、夫妻) was reported or visited first.
    Family,
    /// The reported number differs from the customer's real one.
    PhoneMismatch,
    Other,
}

impl ClaimKind {
    pub const ALL: [ClaimKind; 5] = [
        ClaimKind::Collision,
        ClaimKind::NaturalVerdict,
        ClaimKind::Family,
        ClaimKind::PhoneMismatch,
        ClaimKind::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ClaimKind::Collision => "collision",
            ClaimKind::NaturalVerdict => "natural_verdict",
            ClaimKind::Family => "family",
            ClaimKind::PhoneMismatch => "phone_mismatch",
            ClaimKind::Other => "other",
        }
    }

    pub fn parse(code: &str) -> Option<ClaimKind> {
        ClaimKind::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn zh(self) -> &'static str {
        match self {
            ClaimKind::Collision => "撞单:客户应归我方",
            ClaimKind::NaturalVerdict => "对自然到访判定有异议",
            ClaimKind::Family => "家庭成员(同组客户)已先报备或到访",
            ClaimKind::PhoneMismatch => "报备号码与客户真实号码不一致",
            ClaimKind::Other => "其他",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            ClaimKind::Collision => "Collision: the customer is ours",
            ClaimKind::NaturalVerdict => "The natural-visit verdict is wrong",
            ClaimKind::Family => "A family member was reported or visited first",
            ClaimKind::PhoneMismatch => "The reported number differs from the customer's real one",
            ClaimKind::Other => "Other",
        }
    }
}

/// The seeds' list of evidence (争议证明材料).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvidenceKind {
    /// 户口本
    Hukou,
    /// 结婚证
    Marriage,
    /// 通话记录 — only of agents on the agency's roster with the customer.
    CallRecords,
    /// 短信 / 微信记录
    Messages,
    /// 客户签字书面证明
    Statement,
    /// 电话录音 (a transcript or screenshot: uploads are JPEG, PNG or PDF)
    Recording,
}

impl EvidenceKind {
    pub const ALL: [EvidenceKind; 6] = [
        EvidenceKind::Hukou,
        EvidenceKind::Marriage,
        EvidenceKind::CallRecords,
        EvidenceKind::Messages,
        EvidenceKind::Statement,
        EvidenceKind::Recording,
    ];

    pub fn code(self) -> &'static str {
        match self {
            EvidenceKind::Hukou => "hukou",
            EvidenceKind::Marriage => "marriage",
            EvidenceKind::CallRecords => "call_records",
            EvidenceKind::Messages => "messages",
            EvidenceKind::Statement => "statement",
            EvidenceKind::Recording => "recording",
        }
    }

    pub fn parse(code: &str) -> Option<EvidenceKind> {
        EvidenceKind::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn zh(self) -> &'static str {
        match self {
            EvidenceKind::Hukou => "户口本",
            EvidenceKind::Marriage => "结婚证",
            EvidenceKind::CallRecords => "通话记录(限在册渠道人员与客户)",
            EvidenceKind::Messages => "短信 / 微信记录",
            EvidenceKind::Statement => "客户签字书面证明",
            EvidenceKind::Recording => "电话录音(截图或文字稿)",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            EvidenceKind::Hukou => "Household register",
            EvidenceKind::Marriage => "Marriage certificate",
            EvidenceKind::CallRecords => "Call records (rostered agents with the customer only)",
            EvidenceKind::Messages => "Text or WeChat messages",
            EvidenceKind::Statement => "The customer's signed statement",
            EvidenceKind::Recording => "Call recording (screenshot or transcript)",
        }
    }
}

/// Who a dispute's step comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    Claimant,
    Respondent,
    /// The sales office (客服部 / 案场): staff.
    Office,
}

impl Party {
    pub fn code(self) -> &'static str {
        match self {
            Party::Claimant => "claimant",
            Party::Respondent => "respondent",
            Party::Office => "office",
        }
    }

    pub fn parse(code: &str) -> Option<Party> {
        [Party::Claimant, Party::Respondent, Party::Office].into_iter().find(|p| p.code() == code)
    }

    pub fn zh(self) -> &'static str {
        match self {
            Party::Claimant => "申诉方",
            Party::Respondent => "被申诉方",
            Party::Office => "案场",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Party::Claimant => "claimant",
            Party::Respondent => "respondent",
            Party::Office => "sales office",
        }
    }
}

/// A ruling's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The claim holds: the claimant takes the customer.
    Upheld,
    /// The claim fails: the attribution by the rules stands.
    Rejected,
    /// Shared: the claimant takes this percentage (1–99), the respondent
    /// the rest.
    Split { claimant_percent: u8 },
}

impl Outcome {
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Upheld => "upheld",
            Outcome::Rejected => "rejected",
            Outcome::Split { .. } => "split",
        }
    }

    /// The claimant's share, as stored.
    pub fn claimant_percent(self) -> u8 {
        match self {
            Outcome::Upheld => 100,
            Outcome::Rejected => 0,
            Outcome::Split { claimant_percent } => claimant_percent,
        }
    }

    /// From a form or the database; a split needs a percentage strictly
    /// between 0 and 100 (0 and 100 are rejected and upheld).
    pub fn parse(code: &str, percent: Option<i64>) -> Result<Outcome, OutcomeError> {
        match code {
            "upheld" => Ok(Outcome::Upheld),
            "rejected" => Ok(Outcome::Rejected),
            "split" => match percent {
                Some(p) if (1..=99).contains(&p) => Ok(Outcome::Split { claimant_percent: p as u8 }),
                _ => Err(OutcomeError::SplitPercent),
            },
            _ => Err(OutcomeError::Unknown),
        }
    }

    pub fn zh(self) -> String {
        match self {
            Outcome::Upheld => "支持申诉".to_owned(),
            Outcome::Rejected => "驳回申诉".to_owned(),
            Outcome::Split { claimant_percent } => {
                format!("按比例分配:申诉方 {claimant_percent}%,被申诉方 {}%", 100 - claimant_percent)
            }
        }
    }

    pub fn en(self) -> String {
        match self {
            Outcome::Upheld => "Upheld".to_owned(),
            Outcome::Rejected => "Rejected".to_owned(),
            Outcome::Split { claimant_percent } => {
                format!("Split: claimant {claimant_percent} %, respondent {} %", 100 - claimant_percent)
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OutcomeError {
    #[error("裁决结果只能是支持、驳回或按比例分配 / a ruling is upheld, rejected or split")]
    Unknown,
    #[error("按比例分配须填写申诉方比例(1–99)/ a split needs the claimant's percentage (1–99)")]
    SplitPercent,
}

/// Where a dispute stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Waiting for evidence and the office's ruling.
    Open,
    /// Ruled by the project's manager; either party may appeal once.
    Ruled,
    /// Appealed: waiting for the admin.
    Appealed,
    /// The admin ruled on the appeal: final.
    Closed,
    /// The claimant withdrew before a ruling.
    Withdrawn,
}

impl Status {
    pub const ALL: [Status; 5] = [Status::Open, Status::Ruled, Status::Appealed, Status::Closed, Status::Withdrawn];

    pub fn code(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Ruled => "ruled",
            Status::Appealed => "appealed",
            Status::Closed => "closed",
            Status::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(code: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn zh(self) -> &'static str {
        match self {
            Status::Open => "处理中",
            Status::Ruled => "已裁决",
            Status::Appealed => "复核中",
            Status::Closed => "已终裁",
            Status::Withdrawn => "已撤回",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Ruled => "ruled",
            Status::Appealed => "under appeal",
            Status::Closed => "final",
            Status::Withdrawn => "withdrawn",
        }
    }
}

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

/// Who earns a deal after a ruling: the claimant and the respondent, each
/// an agency or the site itself (`None`: 现场/自然来访, no channel).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Award<A> {
    /// The first share: the claimant's when upheld or split.
    pub agency: Option<A>,
    pub percent: u8,
    /// The respondent's share of a split.
    pub co: Option<(Option<A>, u8)>,
}

/// What a ruling does to the deal's attribution: `None` when rejected (the
/// rules' attribution stands).
pub fn award<A: Clone>(outcome: Outcome, claimant: Option<A>, respondent: Option<A>) -> Option<Award<A>> {
    match outcome {
        Outcome::Rejected => None,
        Outcome::Upheld => Some(Award { agency: claimant, percent: 100, co: None }),
        Outcome::Split { claimant_percent } => {
            Some(Award { agency: claimant, percent: claimant_percent, co: Some((respondent, 100 - claimant_percent)) })
        }
    }
}

/// A claim's text: what is claimed and why, 4–1000 characters.
pub fn claim_text(raw: &str) -> Result<String, &'static str> {
    let text: String = raw.trim().chars().filter(|c| !c.is_control() || *c == '\n').collect();
    match text.chars().count() {
        0..=3 => Err("请写明申诉内容和理由(至少 4 个字)/ say what you claim and why (at least 4 characters)"),
        1001.. => Err("申诉内容最多 1000 字 / at most 1000 characters"),
        _ => Ok(text),
    }
}

/// A ruling's reasons: required, 4–2000 characters.
pub fn ruling_reasons(raw: &str) -> Result<String, &'static str> {
    let text: String = raw.trim().chars().filter(|c| !c.is_control() || *c == '\n').collect();
    match text.chars().count() {
        0..=3 => Err("请写明裁决理由(至少 4 个字)/ give the ruling's reasons (at least 4 characters)"),
        2001.. => Err("裁决理由最多 2000 字 / at most 2000 characters"),
        _ => Ok(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const SHANGHAI: Tz = chrono_tz::Asia::Shanghai;

    fn local(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).expect("test instant")
    }

    fn utc(s: &str) -> DateTime<Utc> {
        local(s).with_timezone(&Utc)
    }

    fn deposit(s: &str) -> DealDates {
        DealDates { deposit_at: Some(local(s)), down_payment_at: None }
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
    }

    #[test]
    fn an_objection_on_the_fifth_local_day_after_a_late_evening_deposit_is_accepted() {
        let dates = deposit("2026-11-01T23:30:00+08:00");
        let due = may_object(&Settings::default(), SHANGHAI, &dates, utc("2026-11-06T23:59:00+08:00"));
        assert_eq!(due.map(|d| d.objection_due), Ok(Some(day("2026-11-06"))));
    }

    #[test]
    fn an_objection_on_the_sixth_local_day_is_refused_with_its_due_date() {
        let dates = deposit("2026-11-01T23:30:00+08:00");
        let late = may_object(&Settings::default(), SHANGHAI, &dates, utc("2026-11-07T00:00:00+08:00"));
        assert_eq!(late, Err(Late::Objection { due: day("2026-11-06"), days: 5 }));
        let message = late.err().map(|l| l.message()).unwrap_or_default();
        assert!(message.contains("2026-11-06") && message.contains("5 日内"), "{message}");
    }

    #[test]
    fn the_deposit_counts_on_the_projects_calendar_not_utc() {
        // 23:30 in Shanghai is 15:30 UTC the same day; 00:30 is the day
        // before in UTC — the local day decides.
        let dates = deposit("2026-11-02T00:30:00+08:00");
        let due = deadlines(&Settings::default(), SHANGHAI, &dates);
        assert_eq!(due.objection_due, Some(day("2026-11-07")));
        assert_eq!(
            Utc.from_utc_datetime(&local("2026-11-02T00:30:00+08:00").naive_utc()).date_naive(),
            day("2026-11-01")
        );
    }

    #[test]
    fn without_a_deposit_an_objection_is_open() {
        let due = may_object(&Settings::default(), SHANGHAI, &DealDates::default(), utc("2030-01-01T12:00:00+08:00"));
        assert_eq!(due, Ok(Deadlines::default()));
    }

    #[test]
    fn evidence_closes_three_days_after_the_down_payment_and_the_opinion_three_after_that() {
        let dates = DealDates {
            deposit_at: Some(local("2026-11-01T10:00:00+08:00")),
            down_payment_at: Some(local("2026-11-10T18:00:00+08:00")),
        };
        let s = Settings::default();
        let due = deadlines(&s, SHANGHAI, &dates);
        assert_eq!(due.evidence_due, Some(day("2026-11-13")));
        assert_eq!(due.opinion_due, Some(day("2026-11-16")));
        assert_eq!(may_add_evidence(&s, SHANGHAI, &dates, utc("2026-11-13T23:00:00+08:00")), Ok(()));
        assert_eq!(
            may_add_evidence(&s, SHANGHAI, &dates, utc("2026-11-14T08:00:00+08:00")),
            Err(Late::Evidence { due: day("2026-11-13"), days: 3 })
        );
    }

    #[test]
    fn project_settings_change_every_period() {
        let s = Settings { objection_days: 7, evidence_days: 5, opinion_days: 2, appeal_days: 1 };
        let dates = DealDates {
            deposit_at: Some(local("2026-11-01T10:00:00+08:00")),
            down_payment_at: Some(local("2026-11-10T10:00:00+08:00")),
        };
        let due = deadlines(&s, SHANGHAI, &dates);
        assert_eq!(
            (due.objection_due, due.evidence_due, due.opinion_due),
            (Some(day("2026-11-08")), Some(day("2026-11-15")), Some(day("2026-11-17")))
        );
        assert_eq!(appeal_due(&s, SHANGHAI, utc("2026-11-20T22:00:00+08:00")), day("2026-11-21"));
    }

    #[test]
    fn an_appeal_is_open_through_the_last_local_day() {
        let s = Settings::default();
        let ruled = utc("2026-11-20T23:50:00+08:00");
        assert_eq!(may_appeal(&s, SHANGHAI, ruled, utc("2026-11-23T23:59:00+08:00")), Ok(()));
        assert!(may_appeal(&s, SHANGHAI, ruled, utc("2026-11-24T00:00:00+08:00")).is_err());
    }

    #[test]
    fn what_an_open_dispute_waits_for_follows_the_evidence_period() {
        let s = Settings::default();
        let due = Deadlines {
            objection_due: Some(day("2026-11-06")),
            evidence_due: Some(day("2026-11-13")),
            opinion_due: Some(day("2026-11-16")),
        };
        let at = |d: &str| next(&s, SHANGHAI, Status::Open, &due, None, None, day(d));
        assert_eq!(at("2026-11-13"), Next::Evidence(Some(day("2026-11-13"))));
        assert_eq!(at("2026-11-14"), Next::Ruling(Some(day("2026-11-16"))));
        assert_eq!(days_left(day("2026-11-16"), day("2026-11-18")), -2);
        let none = next(&s, SHANGHAI, Status::Open, &Deadlines::default(), None, None, day("2026-11-14"));
        assert_eq!(none, Next::Evidence(None));
    }

    #[test]
    fn the_seeds_default_without_evidence_keeps_the_closing_party() {
        let due = Deadlines { evidence_due: Some(day("2026-11-13")), ..Deadlines::default() };
        assert_eq!(seeds_default(&due, day("2026-11-13"), 0, true), None);
        assert_eq!(seeds_default(&due, day("2026-11-14"), 0, true), Some(SeedsDefault::NoEvidence));
        assert_eq!(seeds_default(&due, day("2026-11-14"), 2, true).map(SeedsDefault::outcome), Some(Outcome::Upheld));
        assert_eq!(
            seeds_default(&due, day("2026-11-14"), 2, false).map(SeedsDefault::outcome),
            Some(Outcome::Rejected)
        );
    }

    #[test]
    fn a_split_needs_a_percentage_strictly_between_none_and_all() {
        assert_eq!(Outcome::parse("split", Some(30)), Ok(Outcome::Split { claimant_percent: 30 }));
        for bad in [None, Some(0), Some(100), Some(-5), Some(250)] {
            assert_eq!(Outcome::parse("split", bad), Err(OutcomeError::SplitPercent));
        }
        assert_eq!(Outcome::parse("maybe", None), Err(OutcomeError::Unknown));
    }

    #[test]
    fn an_award_gives_the_claimant_all_or_its_share_and_nothing_when_rejected() {
        assert_eq!(award(Outcome::Rejected, Some("B"), Some("A")), None);
        assert_eq!(
            award(Outcome::Upheld, Some("B"), Some("A")),
            Some(Award { agency: Some("B"), percent: 100, co: None })
        );
        assert_eq!(
            award(Outcome::Split { claimant_percent: 30 }, Some("B"), Some("A")),
            Some(Award { agency: Some("B"), percent: 30, co: Some((Some("A"), 70)) })
        );
        // The site's own claim upheld: no channel at all.
        assert_eq!(
            award::<&str>(Outcome::Upheld, None, Some("A")),
            Some(Award { agency: None, percent: 100, co: None })
        );
    }

    #[test]
    fn claims_and_reasons_need_words() {
        assert!(claim_text("  ").is_err());
        assert!(claim_text(&"字".repeat(1001)).is_err());
        assert_eq!(claim_text(" 客户11月1日由我司带看\u{7} "), Ok("客户11月1日由我司带看".to_owned()));
        assert!(ruling_reasons("好").is_err());
    }

    #[test]
    fn codes_round_trip() {
        for k in ClaimKind::ALL {
            assert_eq!(ClaimKind::parse(k.code()), Some(k));
        }
        for k in EvidenceKind::ALL {
            assert_eq!(EvidenceKind::parse(k.code()), Some(k));
        }
        for s in Status::ALL {
            assert_eq!(Status::parse(s.code()), Some(s));
        }
    }
}
