//! Reports (报备) of the customer by any agency, and the first read of
//! each report's code (首次扫码: the arrival instant).

use super::super::StoreResult;
use super::text::{detail, local, masked_text, report_rule, status_words, words};
use super::versions::RuleVersions;
use super::{Names, TimelineEvent, TimelineKind, event, with_words};
use crate::domain::phone::{CustomerPhone, Phone};
use crate::domain::rules::Rules;
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::BTreeMap;

pub(super) struct ReportFound {
    id: i64,
    pub(super) agency_id: i64,
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
pub(super) fn customer_reports(
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

pub(super) fn report_by_id(conn: &Connection, id: i64) -> StoreResult<Option<ReportFound>> {
    // reports, agencies, agents: primary keys.
    Ok(conn.prepare_cached(&format!("{REPORT_SELECT} WHERE r.id = ?1"))?.query_row([id], read_report).optional()?)
}

/// Each report with the reporting rules in force when it was filed, then
/// its first read. `rules`: the project's clock.
pub(super) fn report_events(
    conn: &Connection,
    rules: &Rules,
    versions: &RuleVersions<'_>,
    reports: &BTreeMap<i64, ReportFound>,
    names: &mut Names,
    events: &mut Vec<TimelineEvent>,
) -> StoreResult<()> {
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
        events.push(with_words(base, (zh, en), versions.at(filed_at).say(report_rule)));

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
