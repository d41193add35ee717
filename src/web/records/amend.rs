//! A manager amends a record (更正) from its page: one kind of correction,
//! a reason (required), and optionally a file (JPEG, PNG or PDF, checked
//! by content, ≤ 5 MB) whose SHA-256 is sealed in the amendment.

use super::page::{AmendForm, may_amend, render};
use crate::domain::amendment::{AmendKind, Amendment};
use crate::domain::name::CustomerName;
use crate::domain::phone::Phone;
use crate::store::amendments::{ATTACHMENT_MAX_BYTES, NewAttachment};
use crate::web::AppState;
use crate::web::error::WebError;
use crate::web::i18n::Lang;
use crate::web::session::{CurrentStaff, check_csrf};
use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

/// The form's body: the file plus a little text.
pub(super) const UPLOAD_LIMIT: usize = ATTACHMENT_MAX_BYTES + 64 * 1024;

struct Upload {
    name: String,
    mime: &'static str,
    bytes: Vec<u8>,
}

/// The media type a file's first bytes say it is; `None` for anything
/// else (an executable renamed `.jpg` is refused).
pub(crate) fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

fn refused(message: &str) -> String {
    message.to_owned()
}

pub(super) async fn amend(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Path(seq): Path<i64>,
    mut multipart: Multipart,
) -> Result<Response, WebError> {
    let mut form = AmendForm::default();
    let mut csrf = String::new();
    let mut upload: Option<Upload> = None;
    let mut problem: Option<String> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                problem = Some(refused("附件不能超过 5 MB / the attachment is larger than 5 MB"));
                break;
            }
            Err(e) => return Err(WebError::bad(crate::web::error_code::ErrorCode::BadRequest, e.body_text())),
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "attachment" {
            let file_name = field.file_name().unwrap_or("附件").chars().filter(|c| !c.is_control()).take(100).collect();
            match field.bytes().await {
                Ok(bytes) if bytes.is_empty() => {}
                Ok(bytes) if bytes.len() > ATTACHMENT_MAX_BYTES => {
                    problem = Some(refused("附件不能超过 5 MB / the attachment is larger than 5 MB"));
                }
                Ok(bytes) => match sniff(&bytes) {
                    Some(mime) => upload = Some(Upload { name: file_name, mime, bytes: bytes.to_vec() }),
                    None => {
                        problem = Some(refused(
                            "附件只能是 JPEG、PNG 图片或 PDF / the attachment must be a JPEG or PNG image or a PDF",
                        ))
                    }
                },
                Err(_) => problem = Some(refused("附件不能超过 5 MB / the attachment is larger than 5 MB")),
            }
            continue;
        }
        let value = field.text().await.unwrap_or_default();
        match name.as_str() {
            "csrf" => csrf = value,
            "kind" => form.kind = value,
            "reason" => form.reason = value,
            "customer_name" => form.customer_name = value,
            "customer_phone" => form.customer_phone = value,
            "sales_id" => form.sales_id = value,
            "note" => form.note = value,
            _ => {}
        }
    }
    check_csrf(&me.session.csrf, &csrf)?;
    if !may_amend(&me) {
        return Err(WebError::Forbidden);
    }
    let amendment = match problem {
        Some(p) => Err(p),
        None => parse(&form),
    };
    let amendment = match amendment {
        Ok(a) => a,
        Err(message) => return render(&state, lang, &me, seq, form, Some(message), false).await,
    };
    let (actor, reason, now) = (me.actor(), form.reason.clone(), state.clock.now());
    // The record must be one this manager sees (render checks it too).
    super::record(&state, &me, seq).await?;
    let result = state
        .db
        .write(move |store| {
            let attachment = upload.as_ref().map(|u| NewAttachment { name: &u.name, mime: u.mime, bytes: &u.bytes });
            crate::service::amend::amend(store, seq, &actor, &reason, amendment, attachment, now)
        })
        .await;
    match result {
        Ok(row) => {
            tracing::info!(record = seq, amendment = row.seq, "record amended");
            Ok(Redirect::to(&format!("/records/{seq}?done=amended")).into_response())
        }
        Err(crate::service::ServiceError::Invalid(m))
        | Err(crate::service::ServiceError::Store(crate::store::StoreError::Invalid(m))) => {
            render(&state, lang, &me, seq, form, Some(m), false).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The form's fields as one correction; a message when they do not make one.
fn parse(form: &AmendForm) -> Result<Amendment, String> {
    if form.reason.trim().is_empty() {
        return Err("请写明更正原因 / give the reason for the amendment".into());
    }
    if form.reason.chars().count() > 500 {
        return Err("原因不超过 500 字 / the reason is at most 500 characters".into());
    }
    match AmendKind::parse(&form.kind) {
        None => Err("请选择更正类型 / choose what to amend".into()),
        Some(AmendKind::FixName) => CustomerName::parse(&form.customer_name)
            .map(Amendment::FixName)
            .map_err(|e| format!("客户姓名:{e} / customer's name: {e}")),
        Some(AmendKind::FixPhone) => Phone::parse(&form.customer_phone)
            .map(Amendment::FixPhone)
            .map_err(|e| format!("客户手机号:{e} / customer's phone: {e}")),
        Some(AmendKind::Void) => Ok(Amendment::Void),
        Some(AmendKind::Reinstate) => Ok(Amendment::Reinstate),
        Some(AmendKind::ChangeSales) => form
            .sales_id
            .trim()
            .parse()
            .map(|id| Amendment::ChangeSales { id, name: String::new() })
            .map_err(|_| "请选择置业顾问 / choose a sales consultant".into()),
        Some(AmendKind::Note) => Some(form.note.trim())
            .filter(|n| !n.is_empty())
            .map(|n| Amendment::Note(n.to_owned()))
            .ok_or_else(|| "请填写备注 / write the note".into()),
    }
}

/// A file attached to one of the record's amendments, for staff who see
/// the record. Served as a download, never rendered inline.
pub(super) async fn attachment(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path((seq, sha256)): Path<(i64, String)>,
) -> Result<Response, WebError> {
    super::record(&state, &me, seq).await?;
    let found = state.db.run(move |store| store.attachment(seq, &sha256)).await.map_err(WebError::from)?;
    let Some((mime, name, bytes)) = found else { return Err(WebError::NotFound) };
    let ascii: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')).collect();
    let disposition = format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{}",
        if ascii.is_empty() { "attachment".to_owned() } else { ascii },
        crate::web::session::url_escape(&name)
    );
    Ok((
        [
            (header::CONTENT_TYPE, mime),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}
