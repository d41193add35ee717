//! `/api/v1/disputes`: an agency's own system raises its objections (异议)
//! and follows them — the claim, its evidence, the ruling and one appeal.
//! Authenticated by the agency's API key (`Authorization: Bearer pk_…`);
//! errors are JSON with a stable code (`DISPUTE_LATE` when a period is
//! over, naming the date it was due by). Described in `static/openapi.json`.
//!
//! An agency only ever reads disputes it is a party to (any other is "not
//! found"), its own evidence only, and never the other agency's name: the
//! sides are `us`, `other` or `site`, and free texts have the other
//! party's name replaced (`json`: the answers' shapes). The agent pages
//! (`agent::disputes`) share the helpers below.

mod json;

pub(crate) use json::{Side, Standing, scrub, standing};

use super::AppState;
use super::api::ApiKey;
use super::error::{ApiError, WebError};
use super::error_code::ErrorCode;
use crate::domain::dispute::ClaimKind;
use crate::domain::evidence::EVIDENCE_MAX_BYTES;
use crate::domain::token::ReportId;
use crate::service::disputes as service;
use crate::store::Store;
use crate::store::deals::Subscription;
use crate::store::disputes::{Dispute, DisputeFilter, Evidence, NewDispute, Subject};
use crate::store::reports::ReportFilter;
use axum::body::Bytes;
use axum::extract::multipart::MultipartError;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use json::{DisputeJson, dispute_json, evidence_json};
use serde::Deserialize;

/// An evidence upload's body: the file (≤ 10 MB) and a little text. A
/// larger body is cut off at this size with a clean 413.
pub const UPLOAD_LIMIT: usize = EVIDENCE_MAX_BYTES + 64 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/disputes", get(list).post(create))
        .route("/api/v1/disputes/{id}", get(show))
        .route("/api/v1/disputes/{id}/evidence", post(evidence).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)))
        .route("/api/v1/disputes/{id}/appeal", post(appeal))
}

// ---- Shared with the agent pages -------------------------------------

/// The dispute, if `agency_id` is a party to it; else "not found", so its
/// existence is not revealed.
pub(crate) fn party_dispute(store: &Store, agency_id: i64, id: i64) -> Result<Dispute, WebError> {
    let d = store.dispute(id)?;
    if d.party_of(agency_id).is_none() {
        return Err(WebError::NotFound);
    }
    Ok(d)
}

/// A deal an agency may raise an objection about: attributed to it, or a
/// customer it reported. Anything else is "not found" (nothing about
/// another agency's deal is revealed before a dispute exists).
pub(crate) fn deal_for_agency(store: &Store, agency_id: i64, subscription_id: i64) -> Result<Subscription, WebError> {
    let deal = store.subscription(subscription_id)?;
    if store.attribution(subscription_id)?.is_some_and(|a| a.agency_id == Some(agency_id)) {
        return Ok(deal);
    }
    let filter = ReportFilter {
        project: Some(deal.project_id.clone()),
        phone: Some(deal.phone.as_str().to_owned()),
        ..ReportFilter::default()
    };
    let reported = store
        .reports_page(&filter, None, 200)?
        .iter()
        .any(|(r, _)| r.agency_id == agency_id && r.customer_phone.matches_full(&deal.phone));
    if reported { Ok(deal) } else { Err(WebError::NotFound) }
}

/// A visit record an agency may contest: one of its own reports' visits.
pub(crate) fn visit_for_agency(store: &Store, agency_id: i64, seq: i64) -> Result<(), WebError> {
    let row = store.ledger_row(seq)?;
    let report = match (row.kind.as_str(), row.report_id) {
        ("visit", Some(id)) => store.report(ReportId(id))?,
        _ => return Err(WebError::NotFound),
    };
    if report.agency_id != agency_id {
        return Err(WebError::NotFound);
    }
    Ok(())
}

/// An evidence form as received (multipart: `kind`, `file`, `note`; the
/// page's form adds `csrf`).
#[derive(Default)]
pub(crate) struct EvidenceForm {
    pub csrf: String,
    pub kind: String,
    pub note: String,
    pub file_name: String,
    pub bytes: Option<Bytes>,
    /// The first field that is none of `kind`, `file`, `note` (the page's
    /// `csrf` included): the API refuses it, as its JSON bodies do.
    pub extra: Option<String>,
}

fn multipart_error(e: &MultipartError) -> WebError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        WebError::bad(
            ErrorCode::PayloadTooLarge,
            "文件过大,每个文件不能超过 10 MB,请压缩或截图后再上传 / the file is larger than 10 MB: compress it or take a screenshot",
        )
    } else {
        WebError::bad(ErrorCode::BadRequest, e.body_text())
    }
}

/// Reads the upload; a body over [`UPLOAD_LIMIT`] is a 413 refusal
/// (`PAYLOAD_TOO_LARGE`), whatever field it cut off.
pub(crate) async fn read_evidence_form(mut multipart: Multipart) -> Result<EvidenceForm, WebError> {
    let mut form = EvidenceForm::default();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(multipart_error(&e)),
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            form.file_name = field.file_name().unwrap_or_default().chars().take(200).collect();
            form.bytes = Some(field.bytes().await.map_err(|e| multipart_error(&e))?);
            continue;
        }
        if !matches!(name.as_str(), "kind" | "note") && form.extra.is_none() {
            form.extra = Some(name.chars().take(40).collect());
        }
        let value = field.text().await.map_err(|e| multipart_error(&e))?;
        match name.as_str() {
            "csrf" => form.csrf = value,
            "kind" => form.kind = value,
            "note" => form.note = value,
            _ => {}
        }
    }
    Ok(form)
}

/// Checks the file by its content and attaches it for the agency's side,
/// sealed in the ledger; refused after the evidence period with its date.
/// Cheapest first: a dispute the agency is not a party to is "not found",
/// then the kind, then the file. Parsing (an image decoded and re-encoded,
/// up to 50 MP) runs on a blocking thread, not in the database job: every
/// kiosk's check-in would wait behind it on the writer thread.
pub(crate) async fn attach(
    state: &AppState,
    agency_id: i64,
    dispute_id: i64,
    form: EvidenceForm,
    by: String,
) -> Result<Evidence, WebError> {
    let bytes = form
        .bytes
        .filter(|b| !b.is_empty())
        .ok_or_else(|| WebError::bad(ErrorCode::Invalid, "请选择要上传的文件 / choose the file to upload"))?;
    state.db.run(move |store| party_dispute(store, agency_id, dispute_id).map(|_| ())).await?;
    service::evidence_kind(&form.kind)?;
    let file = tokio::task::spawn_blocking(move || service::parse_upload(&bytes))
        .await
        .map_err(|e| WebError::Internal(e.to_string()))??;
    let (deployment, now) = (state.deployment.clone(), state.clock.now());
    state
        .db
        .write(move |store| -> Result<Evidence, WebError> {
            let d = party_dispute(store, agency_id, dispute_id)?;
            let party = d.party_of(agency_id).ok_or(WebError::NotFound)?;
            let upload = service::Upload {
                dispute_id,
                party,
                agency_id: Some(agency_id),
                kind: &form.kind,
                file_name: &form.file_name,
                file: &file,
                note: &form.note,
                by: &by,
            };
            Ok(service::attach(store, &deployment, &d, &upload, now)?)
        })
        .await
}

// ---- The API ----------------------------------------------------------

fn invalid(e: impl ToString) -> ApiError {
    ApiError(WebError::bad(ErrorCode::Invalid, e.to_string()))
}

#[derive(Deserialize)]
struct ListQuery {
    limit: Option<u32>,
}

async fn list(State(state): State<AppState>, key: ApiKey, Query(q): Query<ListQuery>) -> Result<Response, ApiError> {
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let (agency, disputes) = state
        .db
        .run(move |store| -> Result<_, WebError> {
            let agency = key.agency(store)?;
            let filter = DisputeFilter { agency_id: Some(agency), ..DisputeFilter::default() };
            Ok((agency, store.disputes(&filter, limit)?))
        })
        .await?;
    let now = state.clock.now();
    let items: Vec<DisputeJson> = disputes.iter().map(|d| dispute_json(&state, d, agency, now, None)).collect();
    Ok(Json(serde_json::json!({ "disputes": items })).into_response())
}

/// What the objection is about: exactly one of the three.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubjectJson {
    #[serde(default)]
    report: Option<i64>,
    #[serde(default)]
    deal: Option<i64>,
    #[serde(default)]
    visit: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateDispute {
    project: String,
    subject: SubjectJson,
    kind: String,
    claim: String,
    #[serde(default)]
    idempotency_key: Option<String>,
}

async fn create(State(state): State<AppState>, key: ApiKey, body: Bytes) -> Result<Response, ApiError> {
    let req: CreateDispute =
        serde_json::from_slice(&body).map_err(|e| ApiError(WebError::bad(ErrorCode::BadJson, e)))?;
    let subject = match (req.subject.report, req.subject.deal, req.subject.visit) {
        (Some(id), None, None) => Subject::Report(id),
        (None, Some(id), None) => Subject::Deal(id),
        (None, None, Some(seq)) => Subject::Visit(seq),
        _ => return Err(invalid("subject: exactly one of report, deal or visit")),
    };
    let kind = ClaimKind::parse(&req.kind)
        .ok_or_else(|| invalid("kind: collision, natural_verdict, family, phone_mismatch or other"))?;
    if state.deployment.project(&req.project).is_none() {
        return Err(ApiError(WebError::bad(ErrorCode::UnknownProject, format!("no project `{}`", req.project))));
    }
    if req.idempotency_key.as_deref().is_some_and(|k| k.is_empty() || k.chars().count() > 100) {
        return Err(invalid("idempotency_key: 1 to 100 characters"));
    }
    let (deployment, now) = (state.deployment.clone(), state.clock.now());
    let (agency, dispute) = state
        .db
        .write(move |store| -> Result<(i64, Dispute), WebError> {
            let agency = key.agency(store)?;
            match subject {
                Subject::Deal(id) => {
                    if deal_for_agency(store, agency, id)?.project_id != req.project {
                        return Err(WebError::NotFound);
                    }
                }
                Subject::Visit(seq) => visit_for_agency(store, agency, seq)?,
                // The store checks the report is the agency's own.
                Subject::Report(_) => {}
            }
            let by = format!("api:{agency}");
            let idempotency_key = req.idempotency_key.as_ref().map(|k| format!("api:{agency}:{k}"));
            let new = NewDispute {
                project_id: &req.project,
                subject,
                kind,
                claim: &req.claim,
                claimant_agency_id: Some(agency),
                by: &by,
                idempotency_key: idempotency_key.as_deref(),
            };
            Ok((agency, service::open(store, &deployment, &new, now)?))
        })
        .await?;
    Ok((StatusCode::CREATED, Json(dispute_json(&state, &dispute, agency, now, None))).into_response())
}

async fn show(State(state): State<AppState>, key: ApiKey, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let (agency, dispute, evidence) = state
        .db
        .run(move |store| -> Result<_, WebError> {
            let agency = key.agency(store)?;
            let dispute = party_dispute(store, agency, id)?;
            Ok((agency, dispute, store.dispute_evidence(id, Some(agency))?))
        })
        .await?;
    let now = state.clock.now();
    Ok(Json(dispute_json(&state, &dispute, agency, now, Some(&evidence))).into_response())
}

async fn evidence(
    State(state): State<AppState>,
    key: ApiKey,
    Path(id): Path<i64>,
    multipart: Multipart,
) -> Result<Response, ApiError> {
    // The key is checked before the body is read.
    let agency = state.db.run(move |store| key.agency(store)).await?;
    let form = read_evidence_form(multipart).await?;
    if let Some(name) = &form.extra {
        return Err(invalid(format!("unknown field `{name}`: send kind, file and note")));
    }
    let evidence = attach(&state, agency, id, form, format!("api:{agency}")).await?;
    Ok((StatusCode::CREATED, Json(evidence_json(&evidence))).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AppealRequest {
    reason: String,
}

async fn appeal(
    State(state): State<AppState>,
    key: ApiKey,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req: AppealRequest =
        serde_json::from_slice(&body).map_err(|e| ApiError(WebError::bad(ErrorCode::BadJson, e)))?;
    let (deployment, now) = (state.deployment.clone(), state.clock.now());
    let (agency, dispute) = state
        .db
        .write(move |store| -> Result<(i64, Dispute), WebError> {
            let agency = key.agency(store)?;
            let d = party_dispute(store, agency, id)?;
            let by = format!("api:{agency}");
            Ok((agency, service::appeal(store, &deployment, &d, agency, &req.reason, &by, now)?))
        })
        .await?;
    Ok(Json(dispute_json(&state, &dispute, agency, now, None)).into_response())
}

#[cfg(test)]
mod tests;
