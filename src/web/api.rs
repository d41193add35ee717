//! `/api/v1`: agencies' own systems file, list, cancel reports and fetch
//! their QR codes. Authenticated by an agency API key
//! (`Authorization: Bearer pk_…`); errors are JSON with a stable code.
//! Described in `static/openapi.json`, served at `/api/v1/openapi.json`.

use super::AppState;
use super::error::{ApiError, WebError};
use super::error_code::ErrorCode;
use super::qr::qr_response;
use crate::domain::name::CustomerName;
use crate::domain::phone::{CustomerPhone, Phone};
use crate::domain::token::ReportId;
use crate::service::filing::{Filing, token_of};
use crate::store::reports::{NewReport, ReportStatus, StoredReport};
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::DateTime;
use serde::{Deserialize, Serialize};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/reports", get(list).post(create))
        .route("/api/v1/reports/{id}", get(show))
        .route("/api/v1/reports/{id}/qr.png", get(qr_png))
        .route("/api/v1/reports/{id}/qr.svg", get(qr_svg))
        .route("/api/v1/reports/{id}/cancel", post(cancel))
        .route("/api/v1/reports/{id}/receipt", get(receipt))
}

async fn openapi() -> Response {
    match super::assets::file("openapi.json") {
        Some((mime, body)) => ([(header::CONTENT_TYPE, mime)], body).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The API key a request carries (checked against the database inside
/// each handler's one database job, so a request costs one hop).
pub struct ApiKey(String);

impl FromRequestParts<AppState> for ApiKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|k| k.trim().to_owned())
            .filter(|k| k.starts_with("pk_") && k.len() < 100)
            .map(ApiKey)
            .ok_or(ApiError(WebError::SignIn { to: String::new() }))
    }
}

impl ApiKey {
    /// The agency the key belongs to, inside a database job.
    pub(crate) fn agency(&self, store: &crate::store::Store) -> Result<i64, WebError> {
        store.agency_of_api_key(&self.0)?.ok_or(WebError::SignIn { to: String::new() })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateReport {
    project: String,
    agent_phone: String,
    customer_name: String,
    customer_phone: String,
    #[serde(default)]
    expected_arrival: Option<String>,
    #[serde(default)]
    party_size: Option<i64>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    idempotency_key: Option<String>,
}

#[derive(Serialize)]
struct ReportJson {
    id: i64,
    project: String,
    agency: String,
    agent: String,
    customer_name: String,
    /// Always 前三后四: the API never returns a full number.
    customer_phone: String,
    status: &'static str,
    filed_at: String,
    arrive_not_before: String,
    valid_until: String,
    manual_code: String,
    token: Option<String>,
    qr_png: String,
    qr_svg: String,
}

fn report_json(state: &AppState, r: &StoredReport) -> ReportJson {
    let default_rules;
    let rules = match state.deployment.project(&r.project_id) {
        Some(p) => &p.rules,
        None => {
            default_rules = crate::domain::rules::Rules::default();
            &default_rules
        }
    };
    ReportJson {
        id: r.id.0,
        project: r.project_id.clone(),
        agency: r.agency_name.clone(),
        agent: r.agent_name.clone(),
        customer_name: r.customer_name.to_string(),
        customer_phone: r.customer_phone.masked().to_string(),
        status: r.status.code(),
        filed_at: crate::time::format_instant(r.filed_at),
        arrive_not_before: crate::time::format_instant(r.filed_at + rules.min_gap),
        valid_until: crate::time::format_instant(rules.report_valid_until(r.filed_at).fixed_offset()),
        manual_code: r.manual_code.to_string(),
        // A used, expired or cancelled report has no code to show any more.
        token: (super::agent::reports::shown_status(r, rules, state.clock.now()) == ReportStatus::Pending)
            .then(|| token_of(&state.key_ring, r))
            .flatten(),
        qr_png: format!("/api/v1/reports/{}/qr.png", r.id),
        qr_svg: format!("/api/v1/reports/{}/qr.svg", r.id),
    }
}

fn invalid(e: impl ToString) -> ApiError {
    ApiError(WebError::bad(ErrorCode::Invalid, e.to_string()))
}

async fn create(State(state): State<AppState>, key: ApiKey, body: Bytes) -> Result<Response, ApiError> {
    let req: CreateReport =
        serde_json::from_slice(&body).map_err(|e| ApiError(WebError::bad(ErrorCode::BadJson, e)))?;
    let project = state
        .deployment
        .project(&req.project)
        .ok_or_else(|| ApiError(WebError::bad(ErrorCode::UnknownProject, format!("no project `{}`", req.project))))?;
    let agent_phone = Phone::parse(&req.agent_phone).map_err(invalid)?;
    let customer_phone =
        CustomerPhone::parse(&req.customer_phone, project.rules.allow_masked_phone).map_err(invalid)?;
    let customer_name = CustomerName::parse(&req.customer_name).map_err(invalid)?;
    let expected_arrival = match req.expected_arrival.as_deref() {
        Some(t) => {
            let at = DateTime::parse_from_rfc3339(t).map_err(|_| {
                invalid("expected_arrival: an RFC 3339 instant with offset, e.g. 2026-11-20T15:00:00+08:00")
            })?;
            // By the server's clock, as on the agent's form (the minute
            // sent is still "now").
            if at.to_utc() + chrono::Duration::minutes(1) <= state.clock.now() {
                return Err(invalid("expected_arrival: 预计到访时间已过 / the expected arrival is in the past"));
            }
            Some(crate::time::format_instant(at))
        }
        None => None,
    };
    if req.party_size.is_some_and(|n| !(1..=50).contains(&n)) {
        return Err(invalid("party_size: 1 to 50"));
    }
    if req.note.as_deref().is_some_and(|n| n.chars().count() > 200) {
        return Err(invalid("note: at most 200 characters"));
    }
    if req.idempotency_key.as_deref().is_some_and(|k| k.is_empty() || k.chars().count() > 100) {
        return Err(invalid("idempotency_key: 1 to 100 characters"));
    }
    let filing = Filing::new(project, &state.key_ring, state.clock.now());
    let (project_id, demo) = (project.id.clone(), state.demo);
    let report = state
        .db
        .write(move |store| -> Result<StoredReport, WebError> {
            let agency = key.agency(store)?;
            let agent =
                store.agent_by_phone(&agent_phone)?.filter(|a| a.agency_id == agency && a.active).ok_or_else(|| {
                    WebError::bad(
                        ErrorCode::UnknownAgent,
                        "该手机号不是本渠道的经纪人 / no agent of your agency has this phone",
                    )
                })?;
            let new = NewReport {
                project_id,
                agent_id: agent.id,
                customer_name,
                customer_phone,
                expected_arrival,
                party_size: req.party_size,
                note: req.note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()),
                idempotency_key: req.idempotency_key.map(|k| format!("api:{agency}:{k}")),
                demo,
            };
            Ok(filing.file(store, new)?)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(report_json(&state, &report))).into_response())
}

#[derive(Deserialize)]
struct ListQuery {
    limit: Option<u32>,
}

async fn list(State(state): State<AppState>, key: ApiKey, Query(q): Query<ListQuery>) -> Result<Response, ApiError> {
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let reports = state
        .db
        .run(move |store| -> Result<_, WebError> { Ok(store.reports_of_agency(key.agency(store)?, limit)?) })
        .await?;
    let items: Vec<ReportJson> = reports.iter().map(|r| report_json(&state, r)).collect();
    Ok(Json(serde_json::json!({ "reports": items })).into_response())
}

/// One database job: the key's agency, and its report (another agency's
/// report is "not found").
/// The agency's own report `id` (another's: not found).
pub(crate) async fn agency_report(state: &AppState, key: ApiKey, id: i64) -> Result<StoredReport, ApiError> {
    let report = state
        .db
        .run(move |store| -> Result<_, WebError> {
            let agency = key.agency(store)?;
            let report = store.report(ReportId(id))?;
            if report.agency_id != agency {
                return Err(WebError::NotFound);
            }
            Ok(report)
        })
        .await?;
    Ok(report)
}

async fn show(State(state): State<AppState>, key: ApiKey, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let r = agency_report(&state, key, id).await?;
    Ok(Json(report_json(&state, &r)).into_response())
}

async fn qr_png(State(state): State<AppState>, key: ApiKey, Path(id): Path<i64>) -> Result<Response, ApiError> {
    live_code(&state, key, id, false).await
}

async fn qr_svg(State(state): State<AppState>, key: ApiKey, Path(id): Path<i64>) -> Result<Response, ApiError> {
    live_code(&state, key, id, true).await
}

/// The report's code while it is live; 410 GONE once used, expired or
/// cancelled (as on the agent's page: no scannable code is left about).
async fn live_code(state: &AppState, key: ApiKey, id: i64, svg: bool) -> Result<Response, ApiError> {
    let r = agency_report(state, key, id).await?;
    let rules = state.deployment.project(&r.project_id).map(|p| &p.rules).ok_or(ApiError(WebError::NotFound))?;
    if super::agent::reports::shown_status(&r, rules, state.clock.now()) != ReportStatus::Pending {
        return Err(ApiError(WebError::code(ErrorCode::Gone)));
    }
    Ok(qr_response(token_of(&state.key_ring, &r), svg)?)
}

async fn cancel(State(state): State<AppState>, key: ApiKey, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let report = state
        .db
        .write(move |store| -> Result<_, WebError> {
            let agency = key.agency(store)?;
            store.cancel_report(ReportId(id), agency, &format!("api:agency:{agency}"), now)?;
            Ok(store.report(ReportId(id))?)
        })
        .await?;
    Ok(Json(report_json(&state, &report)).into_response())
}

/// The receipt of the visit the report led to: 404 before the visit.
async fn receipt(State(state): State<AppState>, key: ApiKey, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let r = agency_report(&state, key, id).await?;
    Ok(super::ledger::receipt_of_report(&state, r.id).await?)
}
