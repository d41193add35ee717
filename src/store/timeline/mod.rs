//! The customer timeline of a dispute (issue 14, item 3): everything panke
//! holds about one customer, in time order, each step with the rule that
//! applied to it — every report of the customer by any agency, the first
//! reads of their codes, the visits with their verdicts (voided ones
//! marked), the amendments of those visits, the customer group's links and
//! unlinks, the developer's visit records (imported), the subscriptions with
//! their deposit, down payment, contract or cancellation, every attribution
//! entry (渠道业绩) sealed for them — with the dispute ruling it applies
//! when one decides over the rules (a split: one step per agency and
//! share) — and the disputes' own steps (opened, evidence, rulings, the
//! appeal, withdrawn), as `DisputeSteps` asks.
//!
//! The rule of a step is the one in force then: a visit states the rules
//! sealed in its record, an attribution the settings sealed in its entry, a
//! dispute the periods it was opened with, and the other steps the
//! project's rules as recorded at that instant (`versions`).
//!
//! A customer is a phone and its customer group (直系亲属): each phone
//! asked for is expanded with its group's phones. Reports, imported visits
//! and disputes may hold a masked phone (`138****5678`): they are found by
//! the first three and last four digits and kept when `matches_full` says
//! so.
//!
//! **Only masked phones leave this module.** The `summary_*` and `rule_*`
//! texts never hold an agency's name (an agency's page shows other
//! agencies' events without their name, and the name is only ever in
//! `agency`), nor anything people typed: names as typed, notes, reasons,
//! claims and file names are `details`, for staff (digit runs that are
//! mobile numbers are masked there too).
//!
//! Every query reads an index (named at each query); a customer's records
//! are read by their phone, never by scanning a table.
//!
//! One module per source: `reports` (reports, first reads), `visits`
//! (visit records, amendments, imported visits), `groups`, `deals`
//! (subscriptions, their dates, attributions with the rulings' awards),
//! `disputes`; `versions` (the rules in force at an instant) and `text`
//! (masking, the rules in words).

mod deals;
mod disputes;
mod groups;
mod reports;
mod text;
mod versions;
mod visits;

use super::{Store, StoreResult};
use crate::domain::phone::{CustomerPhone, Phone};
use crate::domain::rules::Rules;
use chrono::{DateTime, FixedOffset};
use rusqlite::{Connection, OptionalExtension};
use std::collections::BTreeMap;
use text::Words;
use versions::RuleVersions;

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
    /// 异议: a dispute's step (opened, evidence, ruling, appeal, withdrawn).
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
        self.names().0
    }

    pub fn parse(code: &str) -> Option<TimelineKind> {
        TimelineKind::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn zh(self) -> &'static str {
        self.names().1
    }

    pub fn en(self) -> &'static str {
        self.names().2
    }

    /// (code, Chinese, English).
    fn names(self) -> (&'static str, &'static str, &'static str) {
        match self {
            TimelineKind::Report => ("report", "报备", "Report"),
            TimelineKind::FirstRead => ("first_read", "首次扫码", "First read"),
            TimelineKind::Visit => ("visit", "到访", "Visit"),
            TimelineKind::Amendment => ("amendment", "更正", "Amendment"),
            TimelineKind::GroupLink => ("group_link", "关联直系亲属", "Family linked"),
            TimelineKind::GroupUnlink => ("group_unlink", "解除关联", "Family unlinked"),
            TimelineKind::Subscription => ("subscription", "认购", "Subscription"),
            TimelineKind::Deposit => ("deposit", "定金", "Deposit"),
            TimelineKind::DownPayment => ("down_payment", "首付", "Down payment"),
            TimelineKind::Contract => ("contract", "签约", "Contract"),
            TimelineKind::Cancellation => ("cancellation", "退订", "Cancellation"),
            TimelineKind::Attribution => ("attribution", "业绩判定", "Attribution"),
            TimelineKind::Dispute => ("dispute", "异议", "Dispute"),
        }
    }
}

/// Text people typed (a name as reported, a note, an amendment's reason, a
/// claim, a file name) or a staff member's name: for staff only, since it
/// may name anyone. Mobile numbers in it are masked.
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
    /// the amended visit's, the attributed one, the disputing party that
    /// acted); `None` for the sales office's own steps (walk-ins, groups,
    /// subscriptions, rulings).
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
    /// The ledger entry (visit, amendment, attribution, dispute step).
    pub ledger_seq: Option<i64>,
    pub report_id: Option<i64>,
    pub subscription_id: Option<i64>,
    /// For staff only (see `Detail`).
    pub details: Vec<Detail>,
}

/// Which disputes' own steps (`TimelineKind::Dispute`) a customer timeline
/// shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisputeSteps {
    /// None: the customer's records only.
    Without,
    /// Every dispute of the customer in the project (staff).
    All,
    /// The customer's disputes this agency is a party to: an agency's page
    /// never reveals a dispute it is not part of.
    PartyOf(i64),
}

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

/// Staff and agent names and agency ids, each read once.
#[derive(Default)]
struct Names {
    staff: BTreeMap<i64, Option<String>>,
    agents: BTreeMap<i64, Option<String>>,
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

    fn agent(&mut self, conn: &Connection, id: i64) -> StoreResult<Option<String>> {
        if let Some(name) = self.agents.get(&id) {
            return Ok(name.clone());
        }
        // agents: primary key.
        let name: Option<String> =
            conn.prepare_cached("SELECT name FROM agents WHERE id = ?1")?.query_row([id], |r| r.get(0)).optional()?;
        self.agents.insert(id, name.clone());
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

impl Store {
    /// The customer timeline of `phones` (each with its customer group) in
    /// the project, oldest first: sorted by instant, then kind (declaration
    /// order of `TimelineKind`), then ledger entry. `rules`: the project's
    /// rules now — its clock for the times written in the texts, and the
    /// rules of a step only where the database recorded no version of the
    /// project's rules (each step states the rules in force at it).
    /// `steps`: whose disputes' own steps join in.
    pub fn customer_timeline(
        &self,
        project_id: &str,
        phones: &[Phone],
        rules: &Rules,
        steps: DisputeSteps,
    ) -> StoreResult<Vec<TimelineEvent>> {
        let conn = &self.conn;
        let versions = RuleVersions::load(conn, project_id, rules)?;
        let mut names = Names::default();
        let mut events = Vec::new();
        let customer = customer_phones(conn, project_id, phones)?;

        let mut report_list = reports::customer_reports(conn, project_id, &customer)?;
        let visit_list = visits::customer_visits(conn, project_id, &customer)?;
        // A visit recorded on a report filed with another phone (the
        // customer gave theirs at the desk): that report is part of it.
        for v in &visit_list {
            if let Some(id) = v.row.report_id
                && !report_list.contains_key(&id)
                && let Some(report) = reports::report_by_id(conn, id)?
            {
                report_list.insert(id, report);
            }
        }
        reports::report_events(conn, rules, &versions, &report_list, &mut names, &mut events)?;
        visits::visit_events(rules, &visit_list, &report_list, &mut events);
        visits::amendment_events(conn, &visit_list, &report_list, &mut names, &mut events)?;
        visits::imported_visit_events(conn, project_id, &versions, &customer, &mut events)?;
        groups::group_events(conn, project_id, &customer, &mut names, &mut events)?;
        deals::subscription_events(self, project_id, rules, &versions, &customer, &mut names, &mut events)?;
        for id in disputes::customer_disputes(conn, project_id, &customer, steps)? {
            disputes::dispute_events_of(self, id, &mut names, &mut events)?;
        }

        sort_events(&mut events);
        Ok(events)
    }

    /// One dispute's own steps (opened, evidence, rulings, the appeal,
    /// withdrawn) in time order, each with the rule of the periods the
    /// dispute was opened with, and the acting party's agency (`None`: the
    /// office). `customer_timeline` includes them already.
    pub fn dispute_events(&self, dispute_id: i64) -> StoreResult<Vec<TimelineEvent>> {
        let mut events = Vec::new();
        disputes::dispute_events_of(self, dispute_id, &mut Names::default(), &mut events)?;
        sort_events(&mut events);
        Ok(events)
    }
}

/// The timeline's order: instant, then kind (declaration order of
/// `TimelineKind`), then ledger entry (steps without one after), report,
/// subscription; stable otherwise. For a caller that adds its own steps
/// to `Store::customer_timeline`'s.
pub fn sort_events(events: &mut [TimelineEvent]) {
    events.sort_by_key(|e| {
        (e.at, e.kind, e.ledger_seq.unwrap_or(i64::MAX), e.report_id.unwrap_or(0), e.subscription_id.unwrap_or(0))
    });
}

#[cfg(test)]
mod tests;
