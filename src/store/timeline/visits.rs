//! Visits: the customer's visit records (带看确认单, walk-ins included,
//! voided ones too) with their verdicts and the rules sealed in each, the
//! amendments of those records, and the visits in the developer's own
//! records (imported).

use super::super::StoreResult;
use super::super::ledger::{LedgerRow, ROW_COLUMNS, read_row};
use super::reports::ReportFound;
use super::text::{detail, history_words, local, masked_text, visit_rule, words};
use super::versions::RuleVersions;
use super::{Names, TimelineEvent, TimelineKind, event, with_words};
use crate::domain::amendment::{AmendKind, attachment_of, describe};
use crate::domain::phone::{CustomerPhone, Phone};
use crate::domain::rules::Rules;
use crate::wire::record::RecordBody;
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::{BTreeMap, BTreeSet};

pub(super) struct VisitFound {
    seq: i64,
    phone: String,
    voided: bool,
    amended: bool,
    customer_name: String,
    sales: String,
    pub(super) row: LedgerRow,
    body: RecordBody,
}

/// The customer's visit records (walk-ins included), voided ones too.
pub(super) fn customer_visits(conn: &Connection, project_id: &str, customer: &[Phone]) -> StoreResult<Vec<VisitFound>> {
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

/// Each visit record with its verdict and the rules sealed in it.
/// `rules`: the project's clock.
pub(super) fn visit_events(
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
            words("自然到访", "natural visit")
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

/// The amendments of the customer's amended visit records.
pub(super) fn amendment_events(
    conn: &Connection,
    visits: &[VisitFound],
    reports: &BTreeMap<i64, ReportFound>,
    names: &mut Names,
    events: &mut Vec<TimelineEvent>,
) -> StoreResult<()> {
    // ledger: ledger_by_amends (amends_seq), only for the records the
    // visit index marks amended.
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ROW_COLUMNS} FROM ledger WHERE amends_seq = ?1 AND kind = 'amendment' ORDER BY seq"
    ))?;
    for visit in visits.iter().filter(|v| v.amended) {
        let rows = stmt.query_map([visit.seq], read_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        for row in rows {
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
    }
    Ok(())
}

/// Visits in the developer's own records (imported, 来访登记): no record
/// of panke's, no verdict, but they make a customer an existing one — by
/// the history window in force at the visit.
pub(super) fn imported_visit_events(
    conn: &Connection,
    project_id: &str,
    versions: &RuleVersions<'_>,
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
            events.push(with_words(base, summary, versions.at(at).say(history_words)));
        }
    }
    Ok(())
}
