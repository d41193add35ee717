//! The customer timeline of a dispute (issue 14, item 3): everything panke
//! holds about one customer, in time order, each step with the rule that
//! applied to it — every report of the customer by any agency, the first
//! reads of their codes, the visits with their verdicts (voided ones
//! marked), the amendments of those visits, the customer group's links and
//! unlinks, the developer's visit records (imported), the subscriptions with
//! their deposit, down payment, contract or cancellation, and every
//! attribution entry (渠道业绩) sealed for them — with the dispute ruling
//! it applies when one decides over the rules (a split: one step per
//! agency and share). Disputes add their own steps
//! (`TimelineKind::Dispute`); the store makes none.
//!
//! A customer is a phone and its customer group (直系亲属): each phone
//! asked for is expanded with its group's phones. Reports and imported
//! visits may hold a masked phone (`138****5678`): they are found by the
//! first three and last four digits and kept when `matches_full` says so.
//!
//! **Only masked phones leave this module.** The `summary_*` and `rule_*`
//! texts never hold an agency's name (an agency's page shows other
//! agencies' events without their name, and the name is only ever in
//! `agency`), nor anything people typed: names as typed, notes, reasons
//! and file names are `details`, for staff (digit runs that are mobile
//! numbers are masked there too).
//!
//! Every query reads an index (named at each query); a customer's records
//! are read by their phone, never by scanning a table. The one exception
//! is said where it is: the ledger has no index on `amends_seq`.

use super::ledger::{LedgerRow, ROW_COLUMNS, read_row};
use super::{Store, StoreResult};
use crate::domain::amendment::{AmendKind, attachment_of, describe};
use crate::domain::phone::{CustomerPhone, Phone};
use crate::domain::reason::Lang as ReasonLang;
use crate::domain::rules::{OverlapRule, ReportValidity, Rules};
use crate::wire::record::RecordBody;
use chrono::{DateTime, FixedOffset};
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::{BTreeMap, BTreeSet};

/// What happened at a step of the timeline. Declared in the order events
/// of one instant are listed (a report before its first read, the first
/// read before the visit judged at that very instant …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TimelineKind {
    /// 报备
    Report,
    /// 首次扫码: the arrival instant.
    FirstRead,
    /// 到访: a visit record (带看确认单), or a visit in the developer's
    /// records (imported).
    Visit,
    /// 更正 of a visit record.
    Amendment,
    /// A phone linked into the customer group (直系亲属).
    GroupLink,
    /// A phone taken out of the customer group.
    GroupUnlink,
    /// 认购
    Subscription,
    /// 定金
    Deposit,
    /// 首付
    DownPayment,
    /// 签约
    Contract,
    /// 退订
    Cancellation,
    /// 渠道业绩: an attribution entry of a subscription.
    Attribution,
    /// 异议: added by the disputes, never by the store.
    Dispute,
}

impl TimelineKind {
    pub const ALL: [TimelineKind; 13] = [
        TimelineKind::Report,
        TimelineKind::FirstRead,
        TimelineKind::Visit,
        TimelineKind::Amendment,
        TimelineKind::GroupLink,
        TimelineKind::GroupUnlink,
        TimelineKind::Subscription,
        TimelineKind::Deposit,
        TimelineKind::DownPayment,
        TimelineKind::Contract,
        TimelineKind::Cancellation,
        TimelineKind::Attribution,
        TimelineKind::Dispute,
    ];

    pub fn code(self) -> &'static str {
        match self {
            TimelineKind::Report => "report",
            TimelineKind::FirstRead => "first_read",
            TimelineKind::Visit => "visit",
            TimelineKind::Amendment => "amendment",
            TimelineKind::GroupLink => "group_link",
            TimelineKind::GroupUnlink => "group_unlink",
            TimelineKind::Subscription => "subscription",
            TimelineKind::Deposit => "deposit",
            TimelineKind::DownPayment => "down_payment",
            TimelineKind::Contract => "contract",
            TimelineKind::Cancellation => "cancellation",
            TimelineKind::Attribution => "attribution",
            TimelineKind::Dispute => "dispute",
        }
    }

    pub fn parse(code: &str) -> Option<TimelineKind> {
        TimelineKind::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn zh(self) -> &'static str {
        match self {
            TimelineKind::Report => "报备",
            TimelineKind::FirstRead => "首次扫码",
            TimelineKind::Visit => "到访",
            TimelineKind::Amendment => "更正",
            TimelineKind::GroupLink => "关联直系亲属",
            TimelineKind::GroupUnlink => "解除关联",
            TimelineKind::Subscription => "认购",
            TimelineKind::Deposit => "定金",
            TimelineKind::DownPayment => "首付",
            TimelineKind::Contract => "签约",
            TimelineKind::Cancellation => "退订",
            TimelineKind::Attribution => "业绩判定",
            TimelineKind::Dispute => "异议",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            TimelineKind::Report => "Report",
            TimelineKind::FirstRead => "First read",
            TimelineKind::Visit => "Visit",
            TimelineKind::Amendment => "Amendment",
            TimelineKind::GroupLink => "Family linked",
            TimelineKind::GroupUnlink => "Family unlinked",
            TimelineKind::Subscription => "Subscription",
            TimelineKind::Deposit => "Deposit",
            TimelineKind::DownPayment => "Down payment",
            TimelineKind::Contract => "Contract",
            TimelineKind::Cancellation => "Cancellation",
            TimelineKind::Attribution => "Attribution",
            TimelineKind::Dispute => "Dispute",
        }
    }
}

/// Text people typed (a name as reported, a note, an amendment's reason, a
/// file name) or a staff member's name: for staff only, since it may name
/// anyone. Mobile numbers in it are masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detail {
    pub label_zh: &'static str,
    pub label_en: &'static str,
    pub text: String,
}

/// One step of the customer's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineEvent {
    pub at: DateTime<FixedOffset>,
    pub kind: TimelineKind,
    /// The agency the step concerns (the reporting agency, the visit's,
    /// the amended visit's, the attributed one); `None` for the sales
    /// office's own steps (walk-ins, groups, subscriptions).
    pub agency_id: Option<i64>,
    /// That agency's name — the only field that holds it.
    pub agency: Option<String>,
    pub agent: Option<String>,
    /// 前三后四, never the full number.
    pub masked_phone: String,
    pub summary_zh: String,
    pub summary_en: String,
    /// The rule that applied at this step.
    pub rule_zh: String,
    pub rule_en: String,
    /// The ledger entry (visit, amendment, attribution).
    pub ledger_seq: Option<i64>,
    pub report_id: Option<i64>,
    pub subscription_id: Option<i64>,
    /// For staff only (see `Detail`).
    pub details: Vec<Detail>,
}

/// A (Chinese, English) pair of texts.
type Words = (String, String);

fn event(at: DateTime<FixedOffset>, kind: TimelineKind, masked_phone: String) -> TimelineEvent {
    TimelineEvent {
        at,
        kind,
        agency_id: None,
        agency: None,
        agent: None,
        masked_phone,
        summary_zh: String::new(),
        summary_en: String::new(),
        rule_zh: String::new(),
        rule_en: String::new(),
        ledger_seq: None,
        report_id: None,
        subscription_id: None,
        details: Vec::new(),
    }
}

fn with_words(mut e: TimelineEvent, summary: Words, rule: Words) -> TimelineEvent {
    (e.summary_zh, e.summary_en) = summary;
    (e.rule_zh, e.rule_en) = rule;
    e
}

fn words(zh: &str, en: &str) -> Words {
    (zh.to_owned(), en.to_owned())
}

fn detail(label_zh: &'static str, label_en: &'static str, text: &str) -> Option<Detail> {
    let text = text.trim();
    (!text.is_empty()).then(|| Detail { label_zh, label_en, text: mask_phones_in(text) })
}

/// Masks every run of digits that is a mainland mobile number (11 digits,
/// or 13 starting with the country code 86) in free text.
pub(crate) fn mask_phones_in(text: &str) -> String {
    fn flush(out: &mut String, run: &mut String) {
        let start = match run.len() {
            11 => 0,
            13 if run.starts_with("86") => 2,
            _ => usize::MAX,
        };
        match run.get(start..).and_then(|p| Phone::parse(p).ok()) {
            Some(phone) => {
                out.push_str(run.get(..start).unwrap_or_default());
                out.push_str(&phone.masked().to_string());
            }
            None => out.push_str(run),
        }
        run.clear();
    }
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            run.push(c);
        } else {
            flush(&mut out, &mut run);
            out.push(c);
        }
    }
    flush(&mut out, &mut run);
    out
}

fn local(rules: &Rules, t: DateTime<FixedOffset>) -> String {
    t.with_timezone(&rules.timezone).format("%Y-%m-%d %H:%M").to_string()
}

fn masked_text(stored: &str) -> String {
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

fn history_words(rules: &Rules) -> Words {
    let d = rules.history_window.num_days();
    (
        format!("{d} 天内有到访记录的客户视为老客户,不属于渠道"),
        format!("a customer who visited within {d} days is an existing customer, not the agency's"),
    )
}

fn join(parts: Vec<Words>) -> Words {
    let (zh, en): (Vec<String>, Vec<String>) = parts.into_iter().unzip();
    (zh.join(";"), en.join("; "))
}

/// The reporting rules in force, concretely.
fn report_rule(rules: &Rules) -> Words {
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

/// The rules sealed in a visit record, and the reasons of its verdict.
fn visit_rule(body: &RecordBody) -> Words {
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
fn cause_words(cause: &str) -> Words {
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

fn status_words(status: &str, voided: bool) -> (&'static str, &'static str) {
    if voided {
        return ("已作废", "voided");
    }
    match status {
        "pending" => ("待到访", "awaiting the visit"),
        "visited-valid" => ("有效到访", "visited (valid)"),
        "visited-invalid" => ("无效到访", "visited (natural visit)"),
        "expired" => ("已过期", "expired"),
        "cancelled" => ("已撤销", "cancelled"),
        _ => ("未知状态", "unknown status"),
    }
}

// ---- reading -------------------------------------------------------------

/// Staff names and agency ids, each read once.
#[derive(Default)]
struct Names {
    staff: BTreeMap<i64, Option<String>>,
    agencies: BTreeMap<String, Option<i64>>,
}

impl Names {
    fn staff(&mut self, conn: &Connection, id: i64) -> StoreResult<Option<String>> {
        if let Some(name) = self.staff.get(&id) {
            return Ok(name.clone());
        }
        // staff: primary key.
        let name: Option<String> =
            conn.prepare_cached("SELECT name FROM staff WHERE id = ?1")?.query_row([id], |r| r.get(0)).optional()?;
        self.staff.insert(id, name.clone());
        Ok(name)
    }

    /// `staff:3` → the staff member's name; anything else as written.
    fn actor(&mut self, conn: &Connection, actor: &str) -> StoreResult<String> {
        match actor.strip_prefix("staff:").and_then(|id| id.parse::<i64>().ok()) {
            Some(id) => Ok(self.staff(conn, id)?.unwrap_or_else(|| actor.to_owned())),
            None => Ok(actor.to_owned()),
        }
    }

    fn agency_id(&mut self, conn: &Connection, name: &str) -> StoreResult<Option<i64>> {
        if let Some(id) = self.agencies.get(name) {
            return Ok(*id);
        }
        // agencies: the UNIQUE index on name.
        let id: Option<i64> = conn
            .prepare_cached("SELECT id FROM agencies WHERE name = ?1")?
            .query_row([name], |r| r.get(0))
            .optional()?;
        self.agencies.insert(name.to_owned(), id);
        Ok(id)
    }
}

/// The phones asked for, each with its customer group's.
fn customer_phones(conn: &Connection, project_id: &str, phones: &[Phone]) -> StoreResult<Vec<Phone>> {
    let mut customer: Vec<Phone> = Vec::new();
    for p in phones {
        if !customer.contains(p) {
            customer.push(*p);
        }
        // customer_group_members: primary key (project_id, phone), then
        // customer_groups_by_group.
        for member in super::groups::group_phones_in(conn, project_id, p)? {
            if let CustomerPhone::Full(full) = member
                && !customer.contains(&full)
            {
                customer.push(full);
            }
        }
    }
    Ok(customer)
}

struct ReportFound {
    id: i64,
    agency_id: i64,
    agency: String,
    agent: String,
    customer_name: String,
    phone: String,
    filed_at: String,
    status: String,
    voided_by: Option<i64>,
    cancelled_at: Option<String>,
    expected_arrival: Option<String>,
    party_size: Option<i64>,
    note: Option<String>,
}

const REPORT_SELECT: &str = "SELECT r.id, r.agency_id, g.name, a.name, r.customer_name, r.customer_phone, r.filed_at,
        r.status, r.voided_by, r.cancelled_at, r.expected_arrival, r.party_size, r.note
 FROM reports r JOIN agencies g ON g.id = r.agency_id JOIN agents a ON a.id = r.agent_id";

fn read_report(r: &rusqlite::Row<'_>) -> rusqlite::Result<ReportFound> {
    Ok(ReportFound {
        id: r.get(0)?,
        agency_id: r.get(1)?,
        agency: r.get(2)?,
        agent: r.get(3)?,
        customer_name: r.get(4)?,
        phone: r.get(5)?,
        filed_at: r.get(6)?,
        status: r.get(7)?,
        voided_by: r.get(8)?,
        cancelled_at: r.get(9)?,
        expected_arrival: r.get(10)?,
        party_size: r.get(11)?,
        note: r.get(12)?,
    })
}

/// Every report of the customer, by any agency (masked phones included).
fn customer_reports(
    conn: &Connection,
    project_id: &str,
    customer: &[Phone],
) -> StoreResult<BTreeMap<i64, ReportFound>> {
    // reports: reports_by_customer (project_id, phone_head, phone_tail, …);
    // agencies and agents by primary key.
    let mut stmt = conn.prepare_cached(&format!(
        "{REPORT_SELECT} WHERE r.project_id = ?1 AND r.phone_head = ?2 AND r.phone_tail = ?3"
    ))?;
    let mut found = BTreeMap::new();
    for wanted in customer {
        let masked = wanted.masked();
        for row in stmt.query_map(params![project_id, masked.head(), masked.tail()], read_report)? {
            let report = row?;
            let same = CustomerPhone::parse(&report.phone, true).is_ok_and(|p| p.matches_full(wanted));
            if same {
                found.entry(report.id).or_insert(report);
            }
        }
    }
    Ok(found)
}

fn report_by_id(conn: &Connection, id: i64) -> StoreResult<Option<ReportFound>> {
    // reports, agencies, agents: primary keys.
    Ok(conn.prepare_cached(&format!("{REPORT_SELECT} WHERE r.id = ?1"))?.query_row([id], read_report).optional()?)
}

fn report_events(
    conn: &Connection,
    rules: &Rules,
    reports: &BTreeMap<i64, ReportFound>,
    names: &mut Names,
    events: &mut Vec<TimelineEvent>,
) -> StoreResult<()> {
    let rule = report_rule(rules);
    for r in reports.values() {
        let Some(filed_at) = crate::time::parse_instant(&r.filed_at) else { continue };
        let masked = masked_text(&r.phone);
        // fallback_reports: primary key (report_id).
        let fallback: bool = conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM fallback_reports WHERE report_id = ?1)")?
            .query_row([r.id], |row| row.get(0))?;
        let (status_zh, status_en) = status_words(&r.status, r.voided_by.is_some());
        let mut zh = format!("报备客户 {masked},状态:{status_zh}");
        let mut en = format!("reported the customer {masked}; status: {status_en}");
        if let Some(cancelled) = r.cancelled_at.as_deref().and_then(crate::time::parse_instant) {
            let when = local(rules, cancelled);
            zh.push_str(&format!("(撤销于 {when})"));
            en.push_str(&format!(" (cancelled {when})"));
        }
        if fallback {
            zh.push_str(";补录(报备系统故障期间的报备)");
            en.push_str("; entered afterwards (reported while the reporting system was down)");
        }
        let details = [
            detail("报备姓名", "Name as reported", &r.customer_name),
            detail("预计到访", "Expected arrival", r.expected_arrival.as_deref().unwrap_or_default()),
            detail("人数", "Party size", &r.party_size.map(|n| n.to_string()).unwrap_or_default()),
            detail("报备备注", "Report note", r.note.as_deref().unwrap_or_default()),
        ];
        let base = TimelineEvent {
            agency_id: Some(r.agency_id),
            agency: Some(r.agency.clone()),
            agent: Some(r.agent.clone()),
            report_id: Some(r.id),
            details: details.into_iter().flatten().collect(),
            ..event(filed_at, TimelineKind::Report, masked.clone())
        };
        events.push(with_words(base, (zh, en), rule.clone()));

        // first_reads: primary key (report_id).
        let read: Option<(String, Option<i64>, Option<i64>)> = conn
            .prepare_cached("SELECT at, kiosk_id, staff_id FROM first_reads WHERE report_id = ?1")?
            .query_row([r.id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .optional()?;
        let Some((read_at, kiosk_id, staff_id)) = read else { continue };
        let Some(read_at) = crate::time::parse_instant(&read_at) else { continue };
        let when = local(rules, read_at);
        let mut summary = (format!("首次扫码,到访时间 {when}"), format!("first read of the code: arrival {when}"));
        if let Some(k) = kiosk_id {
            summary.0.push_str(&format!("(前台 #{k})"));
            summary.1.push_str(&format!(" (kiosk #{k})"));
        }
        let clerk = match staff_id {
            Some(id) => names.staff(conn, id)?,
            None => None,
        };
        let read_event = TimelineEvent {
            agency_id: Some(r.agency_id),
            agency: Some(r.agency.clone()),
            agent: Some(r.agent.clone()),
            report_id: Some(r.id),
            details: detail("扫码人员", "Read by", clerk.as_deref().unwrap_or_default()).into_iter().collect(),
            ..event(read_at, TimelineKind::FirstRead, masked)
        };
        let rule = words(
            "到访时间以首次扫码为准;再次扫码不改变到访时间",
            "the arrival is the first read of the code; reading it again does not move it",
        );
        events.push(with_words(read_event, summary, rule));
    }
    Ok(())
}

struct VisitFound {
    seq: i64,
    phone: String,
    voided: bool,
    amended: bool,
    customer_name: String,
    sales: String,
    row: LedgerRow,
    body: RecordBody,
}

/// The customer's visit records (walk-ins included), voided ones too.
fn customer_visits(conn: &Connection, project_id: &str, customer: &[Phone]) -> StoreResult<Vec<VisitFound>> {
    // visit_index: visit_index_phone (project_id, phone_head, phone_tail).
    // Its phone is the arrival's full phone as amended.
    let mut stmt = conn.prepare_cached(
        "SELECT seq, phone, voided, amended, customer_name, sales FROM visit_index
         WHERE project_id = ?1 AND phone_head = ?2 AND phone_tail = ?3",
    )?;
    let mut listed: BTreeMap<i64, (String, bool, bool, String, String)> = BTreeMap::new();
    for wanted in customer {
        let masked = wanted.masked();
        let rows = stmt.query_map(params![project_id, masked.head(), masked.tail()], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, bool>(2)?,
                r.get::<_, bool>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
            ))
        })?;
        for row in rows {
            let (seq, phone, voided, amended, name, sales) = row?;
            if phone == wanted.as_str() {
                listed.entry(seq).or_insert((phone, voided, amended, name, sales));
            }
        }
    }
    let mut visits = Vec::with_capacity(listed.len());
    // ledger: primary key (seq).
    let mut by_seq = conn.prepare_cached(&format!("SELECT {ROW_COLUMNS} FROM ledger WHERE seq = ?1"))?;
    for (seq, (phone, voided, amended, customer_name, sales)) in listed {
        let Some(row) = by_seq.query_row([seq], read_row).optional()? else { continue };
        if row.kind != "visit" {
            continue;
        }
        let body = row.visit_body()?;
        visits.push(VisitFound { seq, phone, voided, amended, customer_name, sales, row, body });
    }
    Ok(visits)
}

fn visit_events(
    rules: &Rules,
    visits: &[VisitFound],
    reports: &BTreeMap<i64, ReportFound>,
    events: &mut Vec<TimelineEvent>,
) {
    for v in visits {
        let Some(at) = v.body.arrival_at().or_else(|| crate::time::parse_instant(&v.row.recorded_at)) else {
            continue;
        };
        let walk_in = v.body.case.report.is_none();
        let mut summary = if walk_in {
            words("未报备到访登记(自然到访)", "walk-in registered (natural visit)")
        } else if v.body.verdict.is_valid() {
            let until = v.body.verdict.protected_until.map(|t| local(rules, t)).unwrap_or_default();
            (format!("有效带看,保护期至 {until}"), format!("valid visit, protected until {until}"))
        } else {
            words("自然到访(无效带看)", "natural visit (not the agency's)")
        };
        let mut add = |zh: &str, en: &str| {
            summary.0.push_str(zh);
            summary.1.push_str(en);
        };
        if v.body.verdict.off_hours {
            add(";非判客岗工作时间", "; outside desk hours");
        }
        if v.voided {
            add(";已作废,不计为到访", "; voided: counts as no visit");
        } else if v.amended {
            add(";已更正", "; amended");
        }
        let report = v.row.report_id.and_then(|id| reports.get(&id));
        let agency = Some(v.body.agency()).filter(|a| !walk_in && !a.is_empty()).map(str::to_owned);
        let agent = Some(v.body.agent()).filter(|a| !walk_in && !a.is_empty()).map(str::to_owned);
        let details = [
            detail("到访姓名", "Name at arrival", &v.customer_name),
            detail("报备姓名", "Name as reported", v.body.reported_customer_name()),
            detail("置业顾问", "Sales consultant", &v.sales),
            detail("判客员", "Desk clerk", v.body.desk_clerk.as_ref().map(|s| s.name.as_str()).unwrap_or_default()),
        ];
        let base = TimelineEvent {
            agency_id: if agency.is_some() { report.map(|r| r.agency_id) } else { None },
            agency,
            agent,
            ledger_seq: Some(v.seq),
            report_id: v.row.report_id,
            details: details.into_iter().flatten().collect(),
            ..event(at, TimelineKind::Visit, masked_text(&v.phone))
        };
        events.push(with_words(base, summary, visit_rule(&v.body)));
    }
}

fn amendment_events(
    conn: &Connection,
    visits: &[VisitFound],
    reports: &BTreeMap<i64, ReportFound>,
    names: &mut Names,
    events: &mut Vec<TimelineEvent>,
) -> StoreResult<()> {
    let amended: BTreeMap<i64, &VisitFound> = visits.iter().filter(|v| v.amended).map(|v| (v.seq, v)).collect();
    let Some(first) = amended.keys().next().copied() else { return Ok(()) };
    // The ledger has no index on amends_seq (schema 13): this reads the
    // ledger's primary key from the first amended record on, and only when
    // the customer has an amended record (visit_index.amended). The seqs
    // are integers read from the database, written into the statement.
    let list: Vec<String> = amended.keys().map(i64::to_string).collect();
    let mut stmt = conn.prepare(&format!(
        "SELECT {ROW_COLUMNS} FROM ledger WHERE seq > ?1 AND kind = 'amendment' AND amends_seq IN ({}) ORDER BY seq",
        list.join(",")
    ))?;
    let rows = stmt.query_map([first], read_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    for row in rows {
        let Some(visit) = row.amends_seq.and_then(|s| amended.get(&s)) else { continue };
        let Some(at) = crate::time::parse_instant(&row.recorded_at) else { continue };
        let body = row.amendment_body()?;
        let mut shown = body.changes.clone();
        let note = shown.as_object_mut().and_then(|m| m.remove("note")).and_then(|v| v.as_str().map(str::to_owned));
        if let Some(m) = shown.as_object_mut() {
            m.remove("attachment");
        }
        let attachment = attachment_of(&body.changes);
        let has_fields = shown.as_object().is_some_and(|m| !m.is_empty());
        let (what_zh, what_en) = if !has_fields && note.is_some() {
            words(AmendKind::Note.label_zh(), AmendKind::Note.label_en())
        } else {
            (describe(&shown, true), describe(&shown, false))
        };
        let mut summary = (
            format!("更正到访记录 #{}:{what_zh}", body.amends),
            format!("amended visit record #{}: {what_en}", body.amends),
        );
        if attachment.is_some() {
            summary.0.push_str(";附证明材料");
            summary.1.push_str("; with an attachment");
        }
        let rule = match body.changes.get("void").and_then(serde_json::Value::as_bool) {
            Some(true) => words(
                "作废的到访不计为到访,也不给予保护期;原记录不变,作废以追加的更正记录留痕",
                "a voided visit counts as no visit and gives no protection; the record stays as sealed and the voiding is appended",
            ),
            Some(false) => words("恢复后该到访重新计入", "a reinstated visit counts again"),
            None => words(
                "带看确认单封存后不可修改,更正以追加的更正记录留痕",
                "a sealed record is never edited; corrections are appended",
            ),
        };
        let by = names.actor(conn, &body.by)?;
        let details = [
            detail("更正原因", "Reason", &body.reason),
            detail("备注", "Note", note.as_deref().unwrap_or_default()),
            detail("附件", "Attachment", attachment.as_ref().map(|a| a.name.as_str()).unwrap_or_default()),
            detail("操作人", "By", &by),
        ];
        let agency = Some(visit.body.agency()).filter(|a| visit.body.case.report.is_some() && !a.is_empty());
        let report = visit.row.report_id.and_then(|id| reports.get(&id));
        let base = TimelineEvent {
            agency_id: if agency.is_some() { report.map(|r| r.agency_id) } else { None },
            agency: agency.map(str::to_owned),
            ledger_seq: Some(row.seq),
            report_id: visit.row.report_id,
            details: details.into_iter().flatten().collect(),
            ..event(at, TimelineKind::Amendment, masked_text(&visit.phone))
        };
        events.push(with_words(base, summary, rule));
    }
    Ok(())
}

/// Visits in the developer's own records (imported, 来访登记): no record
/// of panke's, no verdict, but they make a customer an existing one.
fn imported_visit_events(
    conn: &Connection,
    project_id: &str,
    rules: &Rules,
    customer: &[Phone],
    events: &mut Vec<TimelineEvent>,
) -> StoreResult<()> {
    // history: history_by_customer (project_id, phone_head, phone_tail, at_unix).
    // Kiosk visits (record_seq set) are the visit records listed above.
    let mut stmt = conn.prepare_cached(
        "SELECT id, at, customer_name, phone, source FROM history
         WHERE project_id = ?1 AND phone_head = ?2 AND phone_tail = ?3 AND record_seq IS NULL",
    )?;
    let mut seen = BTreeSet::new();
    for wanted in customer {
        let masked = wanted.masked();
        let rows = stmt.query_map(params![project_id, masked.head(), masked.tail()], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        for row in rows {
            let (id, at, name, phone, source) = row?;
            let same = CustomerPhone::parse(&phone, true).is_ok_and(|p| p.matches_full(wanted));
            let Some(at) = crate::time::parse_instant(&at) else { continue };
            if !same || !seen.insert(id) {
                continue;
            }
            let details = [
                detail("登记姓名", "Name recorded", name.as_deref().unwrap_or_default()),
                detail("来源", "Source", &source),
            ];
            let base = TimelineEvent {
                details: details.into_iter().flatten().collect(),
                ..event(at, TimelineKind::Visit, masked_text(&phone))
            };
            let summary = words("开发商来访登记(导入)", "a visit in the developer's records (imported)");
            events.push(with_words(base, summary, history_words(rules)));
        }
    }
    Ok(())
}

struct GroupEventFound {
    id: i64,
    group_id: i64,
    phone: String,
    action: String,
    reason: String,
    actor: String,
    at: String,
}

fn read_group_event(r: &rusqlite::Row<'_>) -> rusqlite::Result<GroupEventFound> {
    Ok(GroupEventFound {
        id: r.get(0)?,
        group_id: r.get(1)?,
        phone: r.get(2)?,
        action: r.get(3)?,
        reason: r.get(4)?,
        actor: r.get(5)?,
        at: r.get(6)?,
    })
}

/// Links and unlinks of the customer's phones, and of every phone of each
/// group while one of the customer's phones was in it. A group's id can be
/// used again once the group dissolved (its last phone unlinked): a group's
/// events are split into such lives, and only the lives the customer was
/// part of are kept.
fn group_events(
    conn: &Connection,
    project_id: &str,
    customer: &[Phone],
    names: &mut Names,
    events: &mut Vec<TimelineEvent>,
) -> StoreResult<()> {
    const COLUMNS: &str = "id, group_id, phone, action, reason, actor, at";
    let wanted: BTreeSet<&str> = customer.iter().map(Phone::as_str).collect();
    let mut found: BTreeMap<i64, GroupEventFound> = BTreeMap::new();
    // Each group the customer was ever in → a customer phone is in it now.
    let mut groups: BTreeMap<i64, bool> = BTreeMap::new();
    {
        // customer_group_events: customer_group_events_by_phone (project_id, phone, id).
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM customer_group_events WHERE project_id = ?1 AND phone = ?2"
        ))?;
        for p in customer {
            for row in stmt.query_map(params![project_id, p.as_str()], read_group_event)? {
                let e = row?;
                groups.entry(e.group_id).or_insert(false);
                found.entry(e.id).or_insert(e);
            }
        }
    }
    {
        // customer_group_members: primary key (project_id, phone).
        let mut current =
            conn.prepare_cached("SELECT group_id FROM customer_group_members WHERE project_id = ?1 AND phone = ?2")?;
        for p in customer {
            let group: Option<i64> = current.query_row(params![project_id, p.as_str()], |r| r.get(0)).optional()?;
            if let Some(g) = group {
                groups.insert(g, true);
            }
        }
    }
    {
        // customer_group_events: customer_group_events_by_group (project_id, group_id, id).
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM customer_group_events WHERE project_id = ?1 AND group_id = ?2 ORDER BY id"
        ))?;
        for (group, member_now) in &groups {
            let rows: Vec<GroupEventFound> =
                stmt.query_map(params![project_id, group], read_group_event)?.collect::<rusqlite::Result<_>>()?;
            let mut members: BTreeSet<String> = BTreeSet::new();
            let mut life = 0usize;
            let mut lives: Vec<usize> = Vec::with_capacity(rows.len());
            for e in &rows {
                lives.push(life);
                if e.action == "unlink" {
                    members.remove(&e.phone);
                    if members.is_empty() {
                        life += 1;
                    }
                } else {
                    members.insert(e.phone.clone());
                }
            }
            let mut keep: BTreeSet<usize> =
                rows.iter().zip(&lives).filter(|(e, _)| wanted.contains(e.phone.as_str())).map(|(_, l)| *l).collect();
            if *member_now {
                keep.insert(life);
            }
            for (e, l) in rows.into_iter().zip(lives) {
                if keep.contains(&l) {
                    found.entry(e.id).or_insert(e);
                }
            }
        }
    }
    for e in found.values() {
        let Some(at) = crate::time::parse_instant(&e.at) else { continue };
        let masked = masked_text(&e.phone);
        let g = e.group_id;
        let (kind, summary, rule) = if e.action == "unlink" {
            (
                TimelineKind::GroupUnlink,
                (format!("解除关联(客户组 #{g}):{masked}"), format!("unlinked from customer group #{g}: {masked}")),
                words("解除关联后不再视为同一客户", "once unlinked, the phones are separate customers"),
            )
        } else {
            (
                TimelineKind::GroupLink,
                (
                    format!("关联为同一客户(客户组 #{g}):{masked}"),
                    format!("linked as one customer (group #{g}): {masked}"),
                ),
                words(
                    "儿女、父母、夫妻视为同一组客户(直系亲属),报备、判客与业绩按同一客户计",
                    "children, parents and spouses are one customer (直系亲属) for reports, judging and attribution",
                ),
            )
        };
        let by = names.actor(conn, &e.actor)?;
        let details = [detail("原因", "Reason", &e.reason), detail("操作人", "By", &by)];
        let base = TimelineEvent { details: details.into_iter().flatten().collect(), ..event(at, kind, masked) };
        events.push(with_words(base, summary, rule));
    }
    Ok(())
}

struct SubscriptionFound {
    id: i64,
    customer_name: String,
    phone: String,
    unit: String,
    product: String,
    price_fen: i64,
    subscribed_at: String,
    deposit_at: Option<String>,
    down_payment_at: Option<String>,
    contracted_at: Option<String>,
    cancelled_at: Option<String>,
    sales_name: String,
}

fn customer_subscriptions(
    conn: &Connection,
    project_id: &str,
    customer: &[Phone],
) -> StoreResult<BTreeMap<i64, SubscriptionFound>> {
    // subscriptions: subscriptions_by_customer (project_id, phone_head, phone_tail).
    // A subscription holds the full number.
    let mut stmt = conn.prepare_cached(
        "SELECT id, customer_name, phone, unit, product, price_fen, subscribed_at, deposit_at, down_payment_at,
                contracted_at, cancelled_at, sales_name
         FROM subscriptions WHERE project_id = ?1 AND phone_head = ?2 AND phone_tail = ?3",
    )?;
    let mut found = BTreeMap::new();
    for wanted in customer {
        let masked = wanted.masked();
        let rows = stmt.query_map(params![project_id, masked.head(), masked.tail()], |r| {
            Ok(SubscriptionFound {
                id: r.get(0)?,
                customer_name: r.get(1)?,
                phone: r.get(2)?,
                unit: r.get(3)?,
                product: r.get(4)?,
                price_fen: r.get(5)?,
                subscribed_at: r.get(6)?,
                deposit_at: r.get(7)?,
                down_payment_at: r.get(8)?,
                contracted_at: r.get(9)?,
                cancelled_at: r.get(10)?,
                sales_name: r.get(11)?,
            })
        })?;
        for row in rows {
            let s = row?;
            if s.phone == wanted.as_str() {
                found.entry(s.id).or_insert(s);
            }
        }
    }
    Ok(found)
}

/// An attribution entry: the rules' result, or a dispute's ruling in
/// force over it. A split ruling is two steps, one per agency and share, so
/// each agency finds its own share as its own step.
fn attribution_events(
    conn: &Connection,
    rules: &Rules,
    names: &mut Names,
    base: &TimelineEvent,
    entry: &super::deals::AttributionEntry,
    events: &mut Vec<TimelineEvent>,
) -> StoreResult<()> {
    let Some(at) = crate::time::parse_instant(&entry.recorded_at) else { return Ok(()) };
    let result = &entry.body.result;
    let mut facts = (String::new(), String::new());
    if let Some(seq) = result.visit_seq {
        facts.0.push_str(&format!(",覆盖到访记录 #{seq}"));
        facts.1.push_str(&format!(", covered by visit record #{seq}"));
    }
    if let Some(visit_at) = result.visit_at {
        let when = local(rules, visit_at);
        facts.0.push_str(&format!("(到访 {when})"));
        facts.1.push_str(&format!(" (visit {when})"));
    }
    let (cause_zh, cause_en) = cause_words(&entry.body.cause);
    facts.0.push_str(&format!(";起因:{cause_zh}"));
    facts.1.push_str(&format!("; cause: {cause_en}"));
    if let Some(older) = entry.body.replaces {
        facts.0.push_str(&format!(";取代 #{older}"));
        facts.1.push_str(&format!("; replaces #{older}"));
    }
    // What the rules decide on the facts sealed in the entry.
    let by_rules = if result.channel_performance {
        let p = entry.body.rules.protection_days;
        (
            format!("渠道业绩:有效带看覆盖认购(认购在有效带看后 {p} 天保护期内)"),
            format!(
                "channel performance: a valid visit covers the subscription (it came within the {p}-day protection after that visit)"
            ),
        )
    } else {
        let zh: Vec<&str> = result.reasons.iter().map(|r| r.message(ReasonLang::Zh)).collect();
        let en: Vec<&str> = result.reasons.iter().map(|r| r.message(ReasonLang::En)).collect();
        (format!("不计渠道业绩:{}", zh.join(";")), format!("not channel performance: {}", en.join("; ")))
    };
    let step = |agency: Option<String>, agency_id: Option<i64>, summary: Words, rule: Words| {
        let e = TimelineEvent {
            at,
            kind: TimelineKind::Attribution,
            agency_id,
            agency,
            ledger_seq: Some(entry.seq),
            details: Vec::new(),
            ..base.clone()
        };
        with_words(e, (summary.0 + &facts.0, summary.1 + &facts.1), rule)
    };
    match &entry.body.ruling {
        None => {
            let agency = result.agency.clone().filter(|a| !a.is_empty());
            let agency_id = match &agency {
                Some(name) => names.agency_id(conn, name)?,
                None => None,
            };
            let summary = if result.channel_performance {
                words("渠道业绩:计入", "channel performance: yes")
            } else {
                words("渠道业绩:不计入", "channel performance: no")
            };
            events.push(step(agency, agency_id, summary, by_rules));
        }
        Some(ruling) => {
            let d = ruling.dispute_id;
            let (level_zh, level_en) =
                if ruling.level >= 2 { ("申诉复核", "on appeal") } else { ("项目裁决", "first ruling") };
            let rule = (
                format!("争议裁决(#{d},{level_zh})优先于规则判定;规则判定为:{}", by_rules.0),
                format!(
                    "the ruling of dispute #{d} ({level_en}) decides over the rules; the rules say: {}",
                    by_rules.1
                ),
            );
            let agency = ruling.agency.clone().filter(|a| !a.is_empty());
            let agency_id = match (&agency, ruling.agency_id) {
                (Some(_), Some(id)) => Some(id),
                (Some(name), None) => names.agency_id(conn, name)?,
                (None, _) => None,
            };
            let p = ruling.percent;
            let summary = match &agency {
                Some(_) => (
                    format!("渠道业绩:争议 #{d} 裁决计入,所属渠道分得 {p}%"),
                    format!("channel performance by the ruling of dispute #{d}: this agency earns {p}%"),
                ),
                None => (
                    format!("渠道业绩:争议 #{d} 裁决不计入(归案场)"),
                    format!("not channel performance by the ruling of dispute #{d} (the site keeps the deal)"),
                ),
            };
            events.push(step(agency, agency_id, summary, rule.clone()));
            if let Some(co) = ruling.co_agency.clone().filter(|a| !a.is_empty()) {
                let co_id = match ruling.co_agency_id {
                    Some(id) => Some(id),
                    None => names.agency_id(conn, &co)?,
                };
                let q = ruling.co_percent;
                let summary = (
                    format!("渠道业绩:争议 #{d} 裁决分成,所属渠道分得 {q}%"),
                    format!("channel performance by the ruling of dispute #{d}, split: this agency earns {q}%"),
                );
                events.push(step(Some(co), co_id, summary, rule));
            }
        }
    }
    Ok(())
}

impl Store {
    /// The customer timeline of `phones` (each with its customer group) in
    /// the project, oldest first: sorted by instant, then kind (declaration
    /// order of `TimelineKind`), then ledger entry. `rules`: the project's
    /// rules in force (a visit states the rules sealed in its record, an
    /// attribution the settings sealed in its entry).
    pub fn customer_timeline(
        &self,
        project_id: &str,
        phones: &[Phone],
        rules: &Rules,
    ) -> StoreResult<Vec<TimelineEvent>> {
        let conn = &self.conn;
        let mut names = Names::default();
        let mut events = Vec::new();
        let customer = customer_phones(conn, project_id, phones)?;

        let mut reports = customer_reports(conn, project_id, &customer)?;
        let visits = customer_visits(conn, project_id, &customer)?;
        // A visit recorded on a report filed with another phone (the
        // customer gave theirs at the desk): that report is part of it.
        for v in &visits {
            if let Some(id) = v.row.report_id
                && !reports.contains_key(&id)
                && let Some(report) = report_by_id(conn, id)?
            {
                reports.insert(id, report);
            }
        }
        report_events(conn, rules, &reports, &mut names, &mut events)?;
        visit_events(rules, &visits, &reports, &mut events);
        amendment_events(conn, &visits, &reports, &mut names, &mut events)?;
        imported_visit_events(conn, project_id, rules, &customer, &mut events)?;
        group_events(conn, project_id, &customer, &mut names, &mut events)?;

        let protection = rules.protection.num_days();
        for s in customer_subscriptions(conn, project_id, &customer)?.values() {
            let Some(subscribed_at) = crate::time::parse_instant(&s.subscribed_at) else { continue };
            let masked = masked_text(&s.phone);
            let (product_zh, product_en) = match super::deals::Product::parse(&s.product) {
                Some(p) => (p.zh(), p.en()),
                None => (s.product.as_str(), s.product.as_str()),
            };
            let unit = s.unit.as_str();
            let price = super::deals::format_yuan(s.price_fen);
            let details = [
                detail("客户姓名", "Customer name", &s.customer_name),
                detail("置业顾问", "Sales consultant", &s.sales_name),
            ];
            let base = TimelineEvent {
                subscription_id: Some(s.id),
                ..event(subscribed_at, TimelineKind::Subscription, masked)
            };
            events.push(with_words(
                TimelineEvent { details: details.into_iter().flatten().collect(), ..base.clone() },
                (
                    format!("认购 {unit}({product_zh}),总价 ¥{price}"),
                    format!("subscribed {unit} ({product_en}), price ¥{price}"),
                ),
                (
                    format!("渠道业绩按认购时的有效带看与保护期判定(保护期 {protection} 天)"),
                    format!(
                        "channel performance is decided by the valid visits and their protection at the subscription ({protection} days)"
                    ),
                ),
            ));
            let steps = [
                (&s.deposit_at, TimelineKind::Deposit, ("交定金", "deposit paid"), ("交定金", "deposit")),
                (&s.down_payment_at, TimelineKind::DownPayment, ("付首付", "down payment"), ("付首付", "down payment")),
                (&s.contracted_at, TimelineKind::Contract, ("签约", "contract signed"), ("签约", "contract")),
                (
                    &s.cancelled_at,
                    TimelineKind::Cancellation,
                    ("退订", "cancelled"),
                    (
                        "退订:该认购保留最后一次业绩判定,客户的其他认购重新判定",
                        "cancelled: this subscription keeps its last attribution; the customer's other subscriptions are attributed again",
                    ),
                ),
            ];
            for (when, kind, (what_zh, what_en), (rule_zh, rule_en)) in steps {
                let Some(at) = when.as_deref().and_then(crate::time::parse_instant) else { continue };
                events.push(with_words(
                    TimelineEvent { at, kind, ..base.clone() },
                    (format!("{what_zh}({unit})"), format!("{what_en} ({unit})")),
                    words(rule_zh, rule_en),
                ));
            }

            // attributions: primary key (subscription_id); the entries it
            // replaces by the ledger's primary key.
            for entry in self.attribution_entries(s.id)? {
                attribution_events(conn, rules, &mut names, &base, &entry, &mut events)?;
            }
        }

        sort_events(&mut events);
        Ok(events)
    }
}

/// The timeline's order: instant, then kind (declaration order of
/// `TimelineKind`), then ledger entry (steps without one after), report,
/// subscription; stable otherwise. For a caller that adds its own steps
/// (a dispute's) to `Store::customer_timeline`'s.
pub fn sort_events(events: &mut [TimelineEvent]) {
    events.sort_by_key(|e| {
        (e.at, e.kind, e.ledger_seq.unwrap_or(i64::MAX), e.report_id.unwrap_or(0), e.subscription_id.unwrap_or(0))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::name::CustomerName;
    use crate::domain::signature::{StatementFacts, validate_png};
    use crate::domain::token::KeyId;
    use crate::store::checkin::CheckInRequest;
    use crate::store::deals::{NewSubscription, Product};
    use crate::store::people::By;
    use crate::store::reports::{NewReport, StoredReport};
    use crate::wire::record::DeskAnswers;
    use chrono::Utc;
    use serde_json::json;

    const KEY: [u8; 32] = [7; 32];
    const CUSTOMER: &str = "13812345678";
    const SPOUSE: &str = "13900004321";

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        at(s).to_utc()
    }

    fn phone(s: &str) -> Phone {
        Phone::parse(s).unwrap()
    }

    struct World {
        store: Store,
        rules: Rules,
        agency_a: i64,
        agency_b: i64,
        agent_a: i64,
        agent_b: i64,
        _dir: tempfile::TempDir,
    }

    impl World {
        fn new() -> World {
            let dir = tempfile::tempdir().unwrap();
            let store = Store::open(&dir.path().join("panke.db"), &KEY).unwrap();
            let now = utc("2026-11-01T09:00:00+08:00");
            store.sync_project("demo", "演示项目", "x", now).unwrap();
            let rules = Rules::default();
            let rules_json = serde_json::to_string(&crate::config::rules::RulesPatch::from_rules(&rules)).unwrap();
            store.record_rule_version("demo", "x", &rules_json, "{}", now).unwrap();
            let agency_a = store.create_agency("链家-天河店", None, now).unwrap();
            let agency_b = store.create_agency("中原-体育西", None, now).unwrap();
            let (agent_a, _) = store.create_agent(agency_a, "张三", &phone("13500000001"), now).unwrap();
            let (agent_b, _) = store.create_agent(agency_b, "李四", &phone("13500000002"), now).unwrap();
            World { store, rules, agency_a, agency_b, agent_a, agent_b, _dir: dir }
        }

        fn file(&mut self, agent: i64, customer: &str, when: &str) -> StoredReport {
            let mut n = (at(when).timestamp() as u64) ^ (agent as u64).wrapping_mul(7919);
            let new = NewReport {
                project_id: "demo".into(),
                agent_id: agent,
                customer_name: CustomerName::parse("王先生").unwrap(),
                customer_phone: CustomerPhone::parse(customer, true).unwrap(),
                expected_arrival: None,
                party_size: Some(2),
                note: None,
                idempotency_key: None,
                demo: false,
            };
            self.store
                .file_report(new, KeyId(1), at(when), || {
                    n = n.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    n
                })
                .unwrap()
        }

        /// Records a visit at `when` (a walk-in without a report); its seq.
        fn check_in(&mut self, report: Option<&StoredReport>, customer: &str, when: &str) -> i64 {
            let png = validate_png(crate::demo::signature_png(3)).unwrap();
            let facts = StatementFacts {
                project: "演示项目",
                agency: "",
                agent: "",
                reported_name: "王先生",
                arrived_name: "王先生",
                arrival: "2026-11-18 10:45",
            };
            let req = CheckInRequest {
                project_id: "demo",
                report_id: report.map(|r| r.id),
                customer_name: CustomerName::parse("王先生").unwrap(),
                customer_phone: phone(customer),
                agent_present: true,
                customer_confirms_agent: true,
                answers: DeskAnswers { first_visit: Some(true), contacted_before: Some(false), badge_seen: true },
                desk_clerk_id: None,
                sales_id: None,
                kiosk_id: None,
                signatures: crate::demo::signatures(&[png], &crate::demo::signature_strokes(3), &facts),
                demo: false,
                walk_in_id: None,
                over_report: None,
                sales_requested: false,
            };
            self.store.record_checkin(req, &self.rules, utc(when)).unwrap().row.seq
        }
    }

    fn kinds(events: &[TimelineEvent]) -> Vec<TimelineKind> {
        events.iter().map(|e| e.kind).collect()
    }

    /// Every text an event carries.
    fn texts(e: &TimelineEvent) -> Vec<String> {
        let mut all = vec![
            e.masked_phone.clone(),
            e.summary_zh.clone(),
            e.summary_en.clone(),
            e.rule_zh.clone(),
            e.rule_en.clone(),
            e.agency.clone().unwrap_or_default(),
            e.agent.clone().unwrap_or_default(),
        ];
        all.extend(e.details.iter().map(|d| d.text.clone()));
        all
    }

    #[test]
    fn the_timeline_is_the_whole_group_in_time_order_with_masked_phones_only() {
        let mut w = World::new();
        // The spouse walks in alone; later a manager links the couple.
        let walk_in = w.check_in(None, SPOUSE, "2026-11-10T15:00:00+08:00");
        w.store
            .link_group(
                "demo",
                &[phone(CUSTOMER), phone(SPOUSE)],
                "staff:1",
                "户口本",
                utc("2026-11-17T09:00:00+08:00"),
            )
            .unwrap();
        // Agency B reports the spouse with a masked phone (隐号报备).
        let b = w.file(w.agent_b, "139****4321", "2026-11-17T10:00:00+08:00");
        // Another customer in the same index bucket (138…5678): not theirs.
        let stranger = w.file(w.agent_a, "13899995678", "2026-11-16T10:00:00+08:00");
        let a = w.file(w.agent_a, CUSTOMER, "2026-11-18T10:00:00+08:00");
        let visit = w.check_in(Some(&a), CUSTOMER, "2026-11-18T10:45:00+08:00");
        w.store
            .amend(
                visit,
                "staff:1",
                "切客,客户实际手机 13812345678",
                json!({"void": true, "note": "中原-体育西 先带看"}),
                utc("2026-11-18T12:00:00+08:00"),
            )
            .unwrap();
        let subscription = NewSubscription {
            project_id: "demo".into(),
            customer_name: CustomerName::parse("王小明").unwrap(),
            phone: phone(CUSTOMER),
            unit: "3-1-1201".into(),
            product: Product::Residential,
            price_fen: 200_000_000,
            subscribed_at: at("2026-11-20T11:00:00+08:00"),
            deposit_at: Some(at("2026-11-21T10:00:00+08:00")),
            down_payment_at: None,
            sales: None,
            external_id: None,
        };
        let entered = w
            .store
            .enter_subscription(
                &subscription,
                "staff:1",
                "entered",
                &w.rules,
                By { actor: "staff:1", project: Some("demo") },
                utc("2026-11-20T12:00:00+08:00"),
            )
            .unwrap();

        let timeline = w.store.customer_timeline("demo", &[phone(CUSTOMER)], &w.rules).unwrap();
        use TimelineKind::*;
        assert_eq!(
            kinds(&timeline),
            vec![
                Visit,
                GroupLink,
                GroupLink,
                Report,
                Report,
                FirstRead,
                Visit,
                Amendment,
                Subscription,
                Attribution,
                Deposit
            ]
        );
        assert!(timeline.windows(2).all(|p| p[0].at <= p[1].at), "in time order");
        // The spouse's walk-in: the sales office's, no agency.
        assert_eq!(timeline[0].ledger_seq, Some(walk_in));
        assert_eq!(timeline[0].agency, None);
        assert_eq!(timeline[0].masked_phone, "139****4321");
        // Agency B's masked report of the spouse, then agency A's.
        assert_eq!(timeline[3].report_id, Some(b.id.0));
        assert_eq!((timeline[3].agency_id, timeline[3].agency.as_deref()), (Some(w.agency_b), Some("中原-体育西")));
        assert_eq!(timeline[3].agent.as_deref(), Some("李四"));
        assert_eq!(timeline[4].report_id, Some(a.id.0));
        assert_eq!(timeline[4].agency_id, Some(w.agency_a));
        assert!(timeline.iter().all(|e| e.report_id != Some(stranger.id.0)), "a stranger sharing head and tail");
        // The first read comes before the visit judged at that instant.
        assert_eq!(timeline[5].at, timeline[6].at);
        assert_eq!(timeline[6].ledger_seq, Some(visit));
        assert_eq!(timeline[6].agency_id, Some(w.agency_a));
        assert!(timeline[6].summary_zh.contains("已作废"), "{}", timeline[6].summary_zh);
        assert!(timeline[6].rule_zh.starts_with("按本记录封存的规则"), "{}", timeline[6].rule_zh);
        assert!(timeline[4].rule_zh.contains("报备须早于到访至少 30 分钟"), "{}", timeline[4].rule_zh);
        // The amendment concerns agency A's visit; its free text is a detail.
        assert_eq!(timeline[7].agency_id, Some(w.agency_a));
        assert!(timeline[7].summary_zh.contains("作废本次到访"), "{}", timeline[7].summary_zh);
        assert!(!timeline[7].summary_zh.contains("中原"), "typed text stays out of the summary");
        assert!(timeline[7].details.iter().any(|d| d.text.contains("138****5678")));
        assert_eq!(timeline[8].subscription_id, Some(entered.id));
        assert_eq!(timeline[9].subscription_id, Some(entered.id));
        assert!(timeline[9].ledger_seq.is_some());
        // No agency's name in any summary or rule; no full phone anywhere.
        for e in &timeline {
            for text in [&e.summary_zh, &e.summary_en, &e.rule_zh, &e.rule_en] {
                assert!(!text.contains("链家") && !text.contains("中原"), "{:?}: {text}", e.kind);
            }
            for text in texts(e) {
                assert!(!text.contains(CUSTOMER) && !text.contains(SPOUSE), "{:?}: {text}", e.kind);
            }
        }
        // The same customer asked for by the spouse's phone.
        assert_eq!(w.store.customer_timeline("demo", &[phone(SPOUSE)], &w.rules).unwrap(), timeline);
        // A dispute's own step, added by its caller, lands in order.
        let mut with_dispute = timeline.clone();
        with_dispute.insert(0, TimelineEvent { kind: Dispute, ..timeline[9].clone() });
        sort_events(&mut with_dispute);
        assert_eq!(kinds(&with_dispute)[9..], [Attribution, Dispute, Deposit]);
    }

    #[test]
    fn an_unlinked_spouse_is_another_customer_but_the_links_stay_on_the_timeline() {
        let mut w = World::new();
        w.check_in(None, SPOUSE, "2026-11-10T15:00:00+08:00");
        w.store
            .link_group(
                "demo",
                &[phone(CUSTOMER), phone(SPOUSE)],
                "staff:1",
                "结婚证",
                utc("2026-11-17T09:00:00+08:00"),
            )
            .unwrap();
        w.file(w.agent_b, "139****4321", "2026-11-17T10:00:00+08:00");
        let a = w.file(w.agent_a, "138****5678", "2026-11-18T10:00:00+08:00");
        w.store.unlink_group("demo", &phone(SPOUSE), "staff:1", "录入错误", utc("2026-11-19T09:00:00+08:00")).unwrap();

        let timeline = w.store.customer_timeline("demo", &[phone(CUSTOMER)], &w.rules).unwrap();
        use TimelineKind::*;
        assert_eq!(kinds(&timeline), vec![GroupLink, GroupLink, Report, GroupUnlink, GroupUnlink]);
        // Agency A's masked report matches the full phone asked for.
        assert_eq!(timeline[2].report_id, Some(a.id.0));
        assert_eq!(timeline[2].masked_phone, "138****5678");
        let spouse = w.store.customer_timeline("demo", &[phone(SPOUSE)], &w.rules).unwrap();
        assert_eq!(kinds(&spouse), vec![Visit, GroupLink, GroupLink, Report, GroupUnlink, GroupUnlink]);
        assert_eq!(spouse[3].agency_id, Some(w.agency_b));
    }

    #[test]
    fn a_split_ruling_is_one_step_per_agency_and_share_without_names_in_the_texts() {
        let body: crate::wire::record::AttributionBody = serde_json::from_value(json!({
            "version": 1,
            "subscription": {"id": 4, "unit": "3-1-1201", "product": "residential", "price_fen": 100,
                             "at": "2026-11-20T11:00:00+08:00"},
            "customer_phones": ["138****5678"],
            "facts": {"visits": [], "agencies": {}, "employees": [], "earlier_subscriptions": []},
            "rules": {"timezone": "Asia/Shanghai", "protection_days": 15, "contract_grace_days": 15,
                      "excluded_products": ["parking"], "repeat_buyer_excluded": true},
            "result": {"channel_performance": false, "agency": null, "visit_at": null,
                       "reasons": ["NO_VALID_VISIT"], "covering": null, "visit_seq": null},
            "cause": "ruling:9",
            "replaces": 12,
            "ruling": {"dispute_id": 9, "ruling_seq": 20, "level": 1, "outcome": "split",
                       "agency": "链家-天河店", "agency_id": 1, "percent": 60,
                       "co_agency": "中原-体育西", "co_agency_id": 2, "co_percent": 40}
        }))
        .unwrap();
        let entry =
            crate::store::deals::AttributionEntry { seq: 21, recorded_at: "2026-11-25T02:00:00.000Z".into(), body };
        let base = TimelineEvent {
            subscription_id: Some(4),
            ..event(at("2026-11-20T11:00:00+08:00"), TimelineKind::Subscription, "138****5678".into())
        };
        let conn = Connection::open_in_memory().unwrap();
        let mut events = Vec::new();
        attribution_events(&conn, &Rules::default(), &mut Names::default(), &base, &entry, &mut events).unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!((events[0].agency_id, events[0].agency.as_deref()), (Some(1), Some("链家-天河店")));
        assert_eq!((events[1].agency_id, events[1].agency.as_deref()), (Some(2), Some("中原-体育西")));
        assert!(events[0].summary_zh.contains("60%") && events[1].summary_zh.contains("40%"));
        for e in &events {
            assert_eq!((e.kind, e.ledger_seq, e.subscription_id), (TimelineKind::Attribution, Some(21), Some(4)));
            assert!(e.rule_zh.contains("争议裁决") && e.rule_zh.contains("客户在认购前没有有效带看"), "{}", e.rule_zh);
            for text in [&e.summary_zh, &e.summary_en, &e.rule_zh, &e.rule_en] {
                assert!(!text.contains("链家") && !text.contains("中原"), "{text}");
            }
        }
    }

    #[test]
    fn phones_in_typed_text_are_masked() {
        assert_eq!(mask_phones_in("客户 13812345678 说"), "客户 138****5678 说");
        assert_eq!(mask_phones_in("+8613812345678"), "+86138****5678");
        assert_eq!(mask_phones_in("单号 20261120123456789"), "单号 20261120123456789");
        assert_eq!(mask_phones_in("12345678901"), "12345678901");
    }

    #[test]
    fn every_kind_has_a_code_and_both_languages() {
        for k in TimelineKind::ALL {
            assert_eq!(TimelineKind::parse(k.code()), Some(k));
            assert!(!k.zh().is_empty() && k.en().is_ascii());
        }
        let mut sorted = TimelineKind::ALL;
        sorted.sort();
        assert_eq!(sorted, TimelineKind::ALL);
    }
}
