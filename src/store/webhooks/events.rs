//! One payload per event, built inside the transaction of the change it
//! tells of — and only when the agency has an active address.

use super::EventType;
use super::outbox::{enqueue_in, has_endpoints_in};
use crate::domain::rules::Rules;
use crate::domain::token::ReportId;
use crate::store::StoreResult;
use crate::store::reports::StoredReport;
use chrono::{DateTime, FixedOffset, Utc};
use rusqlite::{Connection, OptionalExtension};
use serde_json::json;

/// `report.filed`: the report as its agency knows it — never the
/// customer's name or full phone, never the agent's phone. `rules`: the
/// project's, for 到访不早于 and 有效至 (the rules in force when none are
/// given; both `null` when none are recorded).
pub(crate) fn report_filed_in(
    conn: &Connection,
    report: &StoredReport,
    rules: Option<&Rules>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    if !has_endpoints_in(conn, report.agency_id)? {
        return Ok(());
    }
    let in_force = match rules {
        Some(_) => None,
        None => crate::store::deals::rules_in_force_in(conn, &report.project_id).ok(),
    };
    let rules = rules.or(in_force.as_ref());
    let not_before = rules.map(|r| crate::time::format_instant(report.filed_at + r.min_gap));
    let valid_until = rules.map(|r| crate::time::format_instant(r.report_valid_until(report.filed_at).fixed_offset()));
    let data = json!({
        "report_id": report.id.0,
        "manual_code": report.manual_code.as_str(),
        "customer_phone": report.customer_phone.masked().to_string(),
        "agent": { "id": report.agent_id, "name": report.agent_name },
        "filed_at": crate::time::format_instant(report.filed_at),
        "arrive_not_before": not_before,
        "valid_until": valid_until,
    });
    enqueue_in(conn, report.agency_id, &report.project_id, EventType::ReportFiled, data, now)
}

/// `report.first_read`: the report's code was read at a kiosk for the
/// first time (the arrival instant).
pub(crate) fn report_first_read_in(
    conn: &Connection,
    report_id: ReportId,
    kiosk_id: Option<i64>,
    at: DateTime<FixedOffset>,
) -> StoreResult<()> {
    let found: Option<(i64, String)> = conn
        .prepare_cached("SELECT agency_id, project_id FROM reports WHERE id = ?1")?
        .query_row([report_id.0], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((agency_id, project_id)) = found else { return Ok(()) };
    if !has_endpoints_in(conn, agency_id)? {
        return Ok(());
    }
    let data = json!({
        "report_id": report_id.0,
        "at": crate::time::format_instant(at),
        "kiosk_id": kiosk_id,
    });
    enqueue_in(conn, agency_id, &project_id, EventType::ReportFirstRead, data, at.to_utc())
}

/// `visit.recorded`: the visit record of the agency's report, its verdict
/// and reasons (codes, as the API and `panke judge` name them).
pub(crate) fn visit_recorded_in(
    conn: &Connection,
    report: &StoredReport,
    record_seq: i64,
    verdict: &crate::wire::record::RecordedVerdict,
    arrival_at: DateTime<FixedOffset>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    if !has_endpoints_in(conn, report.agency_id)? {
        return Ok(());
    }
    let reasons: Vec<&str> = verdict.reasons.iter().map(|r| r.code()).collect();
    let protected_until = verdict.protected_until.map(crate::time::format_instant);
    let data = json!({
        "report_id": report.id.0,
        "record": record_seq,
        "verdict": verdict.verdict.code(),
        "reasons": reasons,
        "off_hours": verdict.off_hours,
        "arrival_at": crate::time::format_instant(arrival_at),
        "protected_until": protected_until,
    });
    enqueue_in(conn, report.agency_id, &report.project_id, EventType::VisitRecorded, data, now)
}

/// A deal's attribution, as every agency it concerns is told it.
pub(crate) struct DealNews<'a> {
    pub project_id: &'a str,
    pub subscription_id: i64,
    pub unit: &'a str,
    pub product: &'a str,
    /// 前三后四.
    pub customer_phone: String,
    /// The rules' reasons (codes).
    pub reasons: Vec<&'static str>,
    /// The dispute whose ruling decides the attribution.
    pub dispute_id: Option<i64>,
}

/// `deal.attributed` for one agency: its own share (`channel_performance`
/// false and share 0 when the deal is no longer, or never was, its
/// channel performance). Another agency is never named.
pub(crate) fn deal_attributed_in(
    conn: &Connection,
    news: &DealNews<'_>,
    agency_id: i64,
    channel_performance: bool,
    share_percent: i64,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    if !has_endpoints_in(conn, agency_id)? {
        return Ok(());
    }
    let share = if channel_performance { share_percent } else { 0 };
    let data = json!({
        "subscription_id": news.subscription_id,
        "unit": news.unit,
        "product": news.product,
        "customer_phone": news.customer_phone,
        "channel_performance": channel_performance,
        "share_percent": share,
        "reasons": news.reasons,
        "dispute_id": news.dispute_id,
        "attributed_at": crate::time::stamp(now),
    });
    enqueue_in(conn, agency_id, news.project_id, EventType::DealAttributed, data, now)
}

/// `dispute.updated`: a step of a dispute the agency is party to (the
/// notice it gets on its pages, `event`: opened, evidence, appeal, ruling,
/// withdrawn), with the dispute's status after it.
pub(crate) fn dispute_updated_in(
    conn: &Connection,
    dispute_id: i64,
    agency_id: i64,
    event: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    if !has_endpoints_in(conn, agency_id)? {
        return Ok(());
    }
    type Row = (String, String, String, Option<i64>, Option<i64>, Option<i64>);
    let found: Option<Row> = conn
        .prepare_cached(
            "SELECT project_id, status, claim_kind, subscription_id, visit_seq, claimant_agency_id
             FROM disputes WHERE id = ?1",
        )?
        .query_row([dispute_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
        .optional()?;
    let Some((project_id, status, kind, subscription_id, visit_seq, claimant)) = found else { return Ok(()) };
    let role = if claimant == Some(agency_id) { "claimant" } else { "respondent" };
    let data = json!({
        "dispute_id": dispute_id,
        "event": event,
        "status": status,
        "claim_kind": kind,
        "role": role,
        "subscription_id": subscription_id,
        "visit_record": visit_seq,
    });
    enqueue_in(conn, agency_id, &project_id, EventType::DisputeUpdated, data, now)
}
