//! `/api/v1/reports/{id}/…` for what happened after the visit, as the
//! agent's report page shows it: the outcome (有效带看 with the protection
//! end, 复访, 自然到访 with every reason), the pass card to show (带看凭证,
//! PNG; only while the report is live), and the channel copy of the sheet
//! (渠道联, HTML, with its signature images). An agency reads only its own
//! reports; phones stay masked unless the project lets the channel copy
//! show the number the agency itself filed.

use super::AppState;
use super::agent::outcome::{outcome_kind, outcome_label};
use super::agent::pass::pass_card;
use super::api::{ApiKey, agency_report};
use super::error::{ApiError, WebError};
use crate::domain::phone::CustomerPhone;
use crate::domain::reason::Lang as ReasonLang;
use crate::store::reports::ReportStatus;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/reports/{id}/outcome", get(outcome))
        .route("/api/v1/reports/{id}/pass.png", get(pass_png))
        .route("/api/v1/reports/{id}/sheet", get(channel_copy))
        .route("/api/v1/reports/{id}/signatures/{signer}", get(signature))
}

#[derive(Serialize)]
struct ReasonJson {
    code: &'static str,
    zh: &'static str,
    en: &'static str,
}

#[derive(Serialize)]
struct OutcomeJson {
    id: i64,
    /// `pending`, `valid`, `return` (复访), `natural`, `expired`,
    /// `cancelled`, `voided`.
    outcome: &'static str,
    /// 待到访 / 有效带看 / 有效带看（复访）/ 自然到访 / 已过期 / 已撤销 / 已作废.
    label: &'static str,
    reasons: Vec<ReasonJson>,
    /// RFC 3339: when the code was first read at the desk.
    first_read_at: Option<String>,
    arrived_at: Option<String>,
    protected_until: Option<String>,
    off_hours: bool,
    /// The visit's record and the receipt that proves it.
    record: Option<i64>,
    receipt_code: Option<String>,
    receipt: Option<String>,
    /// The channel copy of the sheet, once visited.
    sheet: Option<String>,
    /// The pass card, while the report is live.
    pass_png: Option<String>,
}

/// `GET /api/v1/reports/{id}/outcome`.
async fn outcome(State(state): State<AppState>, key: ApiKey, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let r = agency_report(&state, key, id).await?;
    let project = state.deployment.project(&r.project_id).ok_or(ApiError(WebError::NotFound))?;
    let report_id = r.id;
    let (visit, first_read) = state
        .db
        .run(move |store| -> Result<_, WebError> {
            Ok((store.visit_of_report(report_id)?, store.first_read(report_id)?))
        })
        .await?;
    let now = state.clock.now().with_timezone(&project.rules.timezone).fixed_offset();
    // A pending report past its validity is expired already (the sweep
    // marks it within minutes).
    let status = match r.status {
        ReportStatus::Pending if !project.rules.report_valid_at(r.filed_at, now) => ReportStatus::Expired,
        s => s,
    };
    let kind = outcome_kind(status, visit.as_ref());
    let base = format!("/api/v1/reports/{id}");
    let mut out = OutcomeJson {
        id,
        outcome: kind,
        label: outcome_label(kind),
        reasons: Vec::new(),
        first_read_at: first_read.map(|f| crate::time::format_instant(f.at)),
        arrived_at: None,
        protected_until: None,
        off_hours: false,
        record: None,
        receipt_code: None,
        receipt: None,
        sheet: None,
        pass_png: (kind == "pending").then(|| format!("{base}/pass.png")),
    };
    if let Some(v) = &visit {
        let verdict = v.verdict();
        out.reasons = verdict
            .reasons
            .iter()
            .map(|reason| ReasonJson {
                code: reason.code(),
                zh: reason.message(ReasonLang::Zh),
                en: reason.message(ReasonLang::En),
            })
            .collect();
        out.arrived_at = v.record.arrival_at().map(crate::time::format_instant);
        out.protected_until = verdict.protected_until.map(crate::time::format_instant);
        out.off_hours = verdict.off_hours;
        out.record = Some(v.row.seq);
        out.receipt_code = v.receipt.as_ref().map(|receipt| receipt.code());
        out.receipt = Some(format!("{base}/receipt"));
        out.sheet = Some(format!("{base}/sheet"));
    }
    Ok(Json(out).into_response())
}

/// `GET /api/v1/reports/{id}/pass.png`: 410 once the report is used,
/// expired or cancelled.
async fn pass_png(State(state): State<AppState>, key: ApiKey, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let r = agency_report(&state, key, id).await?;
    let project = state.deployment.project(&r.project_id).ok_or(ApiError(WebError::NotFound))?;
    let Some(card) = pass_card(&state, &r, project) else {
        return Err(ApiError(WebError::code(super::error_code::ErrorCode::Gone)));
    };
    let png = tokio::task::spawn_blocking(move || card.render())
        .await
        .map_err(|e| ApiError(WebError::Internal(e.to_string())))?
        .map_err(|e| ApiError(WebError::Internal(e.to_string())))?;
    let headers = [
        (header::CONTENT_TYPE, "image/png".to_owned()),
        (header::CONTENT_DISPOSITION, format!("inline; filename=\"panke-pass-{id}.png\"")),
        (header::CACHE_CONTROL, "private, no-store".to_owned()),
    ];
    Ok((headers, png).into_response())
}

/// The record of the report's visit (not found before the visit).
async fn visit_seq(state: &AppState, report: crate::domain::token::ReportId) -> Result<i64, ApiError> {
    let seq = state
        .db
        .run(move |store| -> Result<_, WebError> { Ok(store.visit_of_report(report)?.map(|v| v.row.seq)) })
        .await?;
    seq.ok_or(ApiError(WebError::NotFound))
}

/// `GET /api/v1/reports/{id}/sheet`: the channel copy (渠道联), HTML.
async fn channel_copy(
    State(state): State<AppState>,
    key: ApiKey,
    Path(id): Path<i64>,
    Query(q): Query<super::agent::outcome::SheetSize>,
) -> Result<Response, ApiError> {
    let r = agency_report(&state, key, id).await?;
    let seq = visit_seq(&state, r.id).await?;
    let reported_phone = match r.customer_phone {
        CustomerPhone::Full(p) => Some(p.as_str().to_owned()),
        CustomerPhone::Masked(_) => None,
    };
    let page = crate::web::records::channel_copy_for_agency(&state, seq, id, reported_phone, q.size, "/api/v1/reports")
        .await?;
    Ok(page.into_response())
}

/// `GET /api/v1/reports/{id}/signatures/{signer}`: the channel copy's
/// signature images.
async fn signature(
    State(state): State<AppState>,
    key: ApiKey,
    Path((id, signer)): Path<(i64, String)>,
) -> Result<Response, ApiError> {
    let r = agency_report(&state, key, id).await?;
    let seq = visit_seq(&state, r.id).await?;
    Ok(crate::web::records::signature_png(&state, seq, &signer, |row| row.report_id == Some(id)).await?)
}
