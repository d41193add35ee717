//! The dispute page's two forms: the office's evidence (multipart: kind,
//! file, note — checked by content, an image re-encoded without its
//! metadata, sealed by its SHA-256) and the ruling (upheld, rejected or
//! split with the claimant's percentage, and the reasons). Both answer
//! with a redirect to the page, or the page again with what was typed and
//! the message (413 for a file over the limit, 422 for one refused, 409
//! for a dispute already ruled).

use super::staff::visible;
use super::staff_detail::{EvidenceForm, Forms, RuleForm, render};
use crate::domain::dispute::Party;
use crate::domain::evidence::EVIDENCE_MAX_BYTES;
use crate::service::ServiceResult;
use crate::service::disputes::{Upload, evidence_kind, parse_upload};
use crate::store::people::Role;
use crate::web::AppState;
use crate::web::error::WebError;
use crate::web::error_code::ErrorCode;
use crate::web::i18n::Lang;
use crate::web::listing::may_list;
use crate::web::session::{CurrentStaff, check_csrf};
use axum::extract::{Form, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

/// The evidence form's body: the file plus a little text.
pub(super) const UPLOAD_LIMIT: usize = EVIDENCE_MAX_BYTES + 64 * 1024;

fn too_large() -> String {
    let mb = EVIDENCE_MAX_BYTES / (1024 * 1024);
    format!("文件不能超过 {mb} MB / the file is larger than {mb} MB")
}

/// The page again with the evidence form as typed and `message`.
async fn evidence_refused(
    state: &AppState,
    me: &CurrentStaff,
    lang: Lang,
    id: i64,
    form: EvidenceForm,
    message: String,
    status: StatusCode,
) -> Result<Response, WebError> {
    let dispute = visible(state, me, id).await?;
    let forms = Forms { evidence: form, evidence_error: Some(message), ..Forms::default() };
    render(state, me, lang, dispute, forms, "", status).await
}

/// `POST /staff/disputes/{id}/evidence`: the office's evidence.
pub(super) async fn upload(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Path(id): Path<i64>,
    mut multipart: Multipart,
) -> Result<Response, WebError> {
    may_list(&me)?;
    let (mut csrf, mut form) = (String::new(), EvidenceForm::default());
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut over = false;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                over = true;
                break;
            }
            Err(e) => return Err(WebError::bad(ErrorCode::BadRequest, e.body_text())),
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let file_name = field.file_name().unwrap_or_default().to_owned();
            match field.bytes().await {
                Ok(bytes) if bytes.is_empty() => {}
                Ok(bytes) => file = Some((file_name, bytes.to_vec())),
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    over = true;
                    break;
                }
                Err(e) => return Err(WebError::bad(ErrorCode::BadRequest, e.body_text())),
            }
            continue;
        }
        let value = field.text().await.unwrap_or_default();
        match name.as_str() {
            "csrf" => csrf = value,
            "kind" => form.kind = value,
            "note" => form.note = value,
            _ => {}
        }
    }
    check_csrf(&me.session.csrf, &csrf)?;
    // Another project's dispute is "not found", whatever was sent.
    visible(&state, &me, id).await?;
    if over {
        return evidence_refused(&state, &me, lang, id, form, too_large(), StatusCode::PAYLOAD_TOO_LARGE).await;
    }
    let Some((file_name, bytes)) = file else {
        let message = "请选择要上传的文件 / choose a file to upload".to_owned();
        return evidence_refused(&state, &me, lang, id, form, message, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    // The kind first (cheap), then the file by its content. Parsing (an
    // image decoded and re-encoded, up to 50 MP) runs on a blocking thread,
    // not in the database job: every kiosk's check-in would wait behind it
    // on the writer thread.
    let parsed = match evidence_kind(&form.kind) {
        Ok(_) => tokio::task::spawn_blocking(move || parse_upload(&bytes))
            .await
            .map_err(|e| WebError::Internal(e.to_string()))?,
        Err(e) => Err(e),
    };
    let result = match parsed {
        Ok(file) => {
            let (deployment, now, by) = (state.deployment.clone(), state.clock.now(), me.actor());
            let (kind, note) = (form.kind.clone(), form.note.clone());
            state
                .db
                .write(move |store| -> ServiceResult<_> {
                    let dispute = store.dispute(id)?;
                    let upload = Upload {
                        dispute_id: id,
                        party: Party::Office,
                        agency_id: None,
                        kind: &kind,
                        file_name: &file_name,
                        file: &file,
                        note: &note,
                        by: &by,
                    };
                    crate::service::disputes::attach(store, &deployment, &dispute, &upload, now)
                })
                .await
        }
        Err(e) => Err(e),
    };
    match result.map_err(WebError::from) {
        Ok(_) => Ok(Redirect::to(&format!("/staff/disputes/{id}?done=evidence")).into_response()),
        Err(e @ WebError::Refused { .. }) => {
            let status = e.status();
            evidence_refused(&state, &me, lang, id, form, e.to_string(), status).await
        }
        Err(e) => Err(e),
    }
}

/// `POST /staff/disputes/{id}/rule`: the office's ruling on an open
/// dispute (a manager or an admin), or the admin's on an appealed one.
pub(super) async fn rule(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(form): Form<RuleForm>,
) -> Result<Response, WebError> {
    may_list(&me)?;
    check_csrf(&me.session.csrf, &form.csrf)?;
    visible(&state, &me, id).await?;
    let admin = me.staff.role == Role::Admin;
    let outcome = form.outcome.trim().to_owned();
    let percent = if outcome == "split" { Some(form.percent.trim().parse::<i64>().unwrap_or(0)) } else { None };
    let (staff_id, by, now, reasons) = (me.staff.id, me.actor(), state.clock.now(), form.reasons.clone());
    let result = state
        .db
        .write(move |store| {
            crate::service::disputes::rule(store, id, &outcome, percent, &reasons, staff_id, admin, &by, now)
        })
        .await;
    match result.map_err(WebError::from) {
        Ok(_) => Ok(Redirect::to(&format!("/staff/disputes/{id}?done=ruled")).into_response()),
        Err(e @ WebError::Refused { .. }) => {
            let status = e.status();
            let dispute = visible(&state, &me, id).await?;
            let forms = Forms { rule: form, rule_error: Some(e.to_string()), ..Forms::default() };
            render(&state, &me, lang, dispute, forms, "", status).await
        }
        Err(e) => Err(e),
    }
}
