//! What became of a report, on its page (`report_outcome.html`): while it
//! waits, its expected arrival (flagged when outside the desk's hours) and
//! the code's first read; after the visit the verdict in the kiosk's and
//! the sheet's words — 有效带看 with the protection end (复访 when the
//! agency's own protection already ran and was not extended, as the kiosk
//! decides it), 自然到访 with every reason in plain words — the first read
//! and arrival times, the receipt and the channel copy of the sheet (渠道联);
//! expired, cancelled or voided, the status and when, and no code.

use super::super::AppState;
use super::super::error::WebError;
use super::super::i18n::Lang;
use super::super::session::CurrentAgent;
use super::reports::own_report;
use crate::config::deployment::ProjectConfig;
use crate::domain::phone::CustomerPhone;
use crate::store::reports::{ReportStatus, StoredReport};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{Html, Response};
use axum::routing::{get, post};
use chrono::{DateTime, FixedOffset};
use serde::Deserialize;

/// The report list's search, the channel copy and its signatures.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/agent/reports/search", post(super::reports::search))
        .route("/agent/reports/{id}/sheet", get(channel_copy))
        .route("/agent/reports/{id}/signatures/{signer}", get(signature))
}

pub struct ReportOutcome {
    lang: Lang,
    /// `pending`, `valid`, `return` (复访), `natural`, `expired`,
    /// `cancelled` or `voided`.
    pub kind: &'static str,
    pub title: &'static str,
    /// Local `YYYY-MM-DD HH:MM`, or empty.
    pub protected_until: String,
    /// Every reason of a natural visit, in the page's language.
    pub reasons: Vec<&'static str>,
    pub first_read: String,
    pub arrived: String,
    /// The visit was recorded outside the desk's hours.
    pub off_hours: bool,
    /// The visit's record number; 0 without a visit.
    pub record: i64,
    pub receipt_code: String,
    /// When it expired or was cancelled.
    pub closed_at: String,
    pub expected_arrival: String,
    /// The expected arrival is outside the desk's hours (the office keeps
    /// a clerk and a consultant for it).
    pub expected_off_hours: bool,
}

impl ReportOutcome {
    /// The text in the page's language.
    pub fn tr(&self, zh: &'static str, en: &'static str) -> &'static str {
        self.lang.tr(zh, en)
    }
}

/// What became of a report, as one word the agent's page and the API share:
/// `pending`, `valid`, `return` (复访: valid, the protection not extended),
/// `natural`, `expired`, `cancelled` or `voided`.
pub fn outcome_kind(status: ReportStatus, visit: Option<&crate::store::checkin::CheckInOutcome>) -> &'static str {
    match status {
        ReportStatus::Pending => "pending",
        ReportStatus::VisitedValid if visit.is_some_and(|v| v.is_return_visit()) => "return",
        ReportStatus::VisitedValid => "valid",
        ReportStatus::VisitedInvalid => "natural",
        ReportStatus::Expired => "expired",
        ReportStatus::Cancelled => "cancelled",
        ReportStatus::Voided => "voided",
    }
}

/// The words for an outcome, the same on every page, sheet and API answer.
pub fn outcome_label(kind: &str) -> &'static str {
    match kind {
        "pending" => "待到访",
        "valid" => "有效带看",
        "return" => "有效带看（复访）",
        "natural" => "自然到访",
        "expired" => "已过期",
        "cancelled" => "已撤销",
        _ => "已作废",
    }
}

pub fn outcome_label_en(kind: &str) -> &'static str {
    match kind {
        "pending" => "Awaiting the visit",
        "valid" => "Valid visit",
        "return" => "Valid visit (return visit)",
        "natural" => "Natural visit",
        "expired" => "Expired",
        "cancelled" => "Cancelled",
        _ => "Voided",
    }
}

/// The outcome of report `r`, whose status the agent sees is `status`,
/// read in one database job.
pub async fn outcome_of(
    state: &AppState,
    lang: Lang,
    r: &StoredReport,
    status: ReportStatus,
    project: &ProjectConfig,
) -> Result<ReportOutcome, WebError> {
    let id = r.id;
    let (visit, first_read, cancelled_at) = state
        .db
        .run(move |store| -> Result<_, WebError> {
            Ok((store.visit_of_report(id)?, store.first_read(id)?, store.report_cancelled_at(id)?))
        })
        .await?;
    let tz = project.rules.timezone;
    let local = |t: DateTime<FixedOffset>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string();
    let expected = r.expected_arrival.as_deref().and_then(crate::time::parse_instant);
    let kind = outcome_kind(status, visit.as_ref());
    let title = match kind {
        "pending" | "expired" | "cancelled" | "voided" => lang.status_label(status),
        _ => lang.tr(outcome_label(kind), outcome_label_en(kind)),
    };
    let mut outcome = ReportOutcome {
        lang,
        kind,
        title,
        protected_until: String::new(),
        reasons: Vec::new(),
        first_read: first_read.map(|f| local(f.at)).unwrap_or_default(),
        arrived: String::new(),
        off_hours: false,
        record: 0,
        receipt_code: String::new(),
        closed_at: match status {
            ReportStatus::Expired => local(project.rules.report_valid_until(r.filed_at).fixed_offset()),
            ReportStatus::Cancelled => cancelled_at.map(local).unwrap_or_default(),
            _ => String::new(),
        },
        expected_arrival: expected.map(local).unwrap_or_default(),
        expected_off_hours: expected.is_some_and(|at| project.rules.is_off_hours(at)),
    };
    if let Some(v) = &visit {
        let verdict = v.verdict();
        outcome.record = v.row.seq;
        outcome.arrived = v.record.arrival_at().map(local).unwrap_or_default();
        outcome.off_hours = verdict.off_hours;
        outcome.protected_until = verdict.protected_until.map(local).unwrap_or_default();
        outcome.reasons = verdict.reasons.iter().map(|reason| reason.message(lang.into())).collect();
        outcome.receipt_code = v.receipt.as_ref().map(|receipt| receipt.code()).unwrap_or_default();
    }
    Ok(outcome)
}

/// The record of the report's visit, if it has one.
async fn visit_seq(state: &AppState, r: &StoredReport) -> Result<i64, WebError> {
    let id = r.id;
    state
        .db
        .run(move |store| -> Result<_, WebError> { Ok(store.visit_of_report(id)?.map(|v| v.row.seq)) })
        .await?
        .ok_or(WebError::NotFound)
}

#[derive(Deserialize, Default)]
pub struct SheetSize {
    #[serde(default)]
    pub size: Option<String>,
}

/// `/agent/reports/<id>/sheet`: the channel copy (渠道联) of the report's
/// visit record, for the agency that filed the report only.
pub async fn channel_copy(
    State(state): State<AppState>,
    me: CurrentAgent,
    Path(id): Path<i64>,
    Query(q): Query<SheetSize>,
) -> Result<Html<String>, WebError> {
    let r = own_report(&state, &me, id).await?;
    let seq = visit_seq(&state, &r).await?;
    let reported_phone = match r.customer_phone {
        CustomerPhone::Full(p) => Some(p.as_str().to_owned()),
        CustomerPhone::Masked(_) => None,
    };
    crate::web::records::channel_copy_for_agency(&state, seq, id, reported_phone, q.size, "/agent/reports").await
}

/// `/agent/reports/<id>/signatures/<signer>`: the signature images of the
/// channel copy, for the agency that filed the report only.
pub async fn signature(
    State(state): State<AppState>,
    me: CurrentAgent,
    Path((id, signer)): Path<(i64, String)>,
) -> Result<Response, WebError> {
    let r = own_report(&state, &me, id).await?;
    let seq = visit_seq(&state, &r).await?;
    crate::web::records::signature_png(&state, seq, &signer, |row| row.report_id == Some(id)).await
}
