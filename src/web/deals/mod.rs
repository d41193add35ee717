//! 认购与业绩 (deals) in the back office, for managers and admins: the
//! subscriptions with their attribution (渠道业绩) — list, entry, one
//! subscription with every attribution entry sealed for it, contract and
//! cancellation (`subscriptions`); the import of the sales system's export
//! and the developer's API keys (`import`); the employees list
//! (`employees`); and the developer's API, `/api/v1/subscriptions` (`api`).
//!
//! A manager acts on their own project; an admin on any (choosing one
//! where a change needs it). Desk clerks and sales consultants are refused;
//! another project's subscriptions, keys and employees are "not found".
//! Every POST carries the session's CSRF token and answers with a redirect
//! (or, on an error, the form again with what was typed).

mod api;
mod employees;
mod import;
mod subscriptions;

use super::AppState;
use super::error::WebError;
use super::error_code::ErrorCode;
use super::i18n::Lang;
use super::session::CurrentStaff;
use crate::domain::attribute::AttributeReason;
use crate::domain::reason::Lang as ReasonLang;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/deals", get(subscriptions::list))
        .route("/staff/deals/new", get(subscriptions::new_form).post(subscriptions::create))
        .route(
            "/staff/deals/import",
            get(import::form).post(import::upload).layer(DefaultBodyLimit::max(import::UPLOAD_LIMIT)),
        )
        .route("/staff/deals/keys", post(import::issue_key))
        .route("/staff/deals/keys/{id}/revoke", post(import::revoke_key))
        .route("/staff/deals/{id}", get(subscriptions::show))
        .route("/staff/deals/{id}/contract", post(subscriptions::contract))
        .route("/staff/deals/{id}/cancel", post(subscriptions::cancel))
        .route("/staff/employees", get(employees::list).post(employees::add))
        .route("/staff/employees/{id}/remove", post(employees::remove))
        .route("/staff/employees/import", post(employees::import).layer(DefaultBodyLimit::max(employees::UPLOAD_LIMIT)))
        .merge(api::routes())
}

/// The project a page works in: a manager's own (another one named is
/// refused); for an admin, the one chosen, or the only one there is —
/// `None` when an admin has not chosen among several.
fn project_for(state: &AppState, me: &CurrentStaff, chosen: &str) -> Result<Option<String>, WebError> {
    let chosen = chosen.trim();
    match &me.staff.project_id {
        Some(own) if !chosen.is_empty() && chosen != own => Err(WebError::Forbidden),
        Some(own) => Ok(Some(own.clone())),
        None if chosen.is_empty() => Ok(match state.deployment.projects.as_slice() {
            [only] => Some(only.id.clone()),
            _ => None,
        }),
        None => state
            .deployment
            .project(chosen)
            .map(|p| Some(p.id.clone()))
            .ok_or_else(|| WebError::code(ErrorCode::UnknownProject)),
    }
}

/// "Choose a project" (an admin's form without one).
fn choose_project() -> String {
    "请选择项目 / choose a project".to_owned()
}

/// The reasons in words, in the page's language.
fn reason_words(reasons: &[AttributeReason], lang: Lang) -> Vec<&'static str> {
    reasons.iter().map(|r| r.message(ReasonLang::from(lang))).collect()
}

/// An amount of fen as the pages show it: `¥2,000,000.00`.
fn money(fen: i64) -> String {
    format!("¥{}", crate::store::deals::format_yuan(fen))
}

/// Why an attribution entry was made, in words.
fn cause_words(cause: &str, lang: Lang) -> String {
    let (zh, en) = match cause.split_once(':') {
        Some(("amendment", seq)) => (format!("到访记录更正(#{seq})"), format!("a visit record was amended (#{seq})")),
        Some(("visit", seq)) => (format!("客户到访(#{seq})"), format!("the customer visited (#{seq})")),
        Some(("ruling", id)) => (format!("争议裁决(#{id})"), format!("a dispute ruling (#{id})")),
        _ => {
            let (zh, en) = match cause {
                "entered" => ("录入认购", "subscription entered"),
                "imported" => ("导入", "imported"),
                "group" => ("客户组变更(直系亲属)", "customer group changed"),
                "contract" => ("签约", "contract signed"),
                "cancel" => ("退订", "cancellation"),
                "employees" => ("员工名单变更", "employees list changed"),
                "agency_contract" => ("渠道合同到期日变更", "the agency's contract end changed"),
                other => (other, other),
            };
            (zh.to_owned(), en.to_owned())
        }
    };
    lang.tr(&zh, &en).to_owned()
}

/// One bad line of an upload, as the page lists it.
struct LineView {
    line: u64,
    message: String,
}

fn line_views(lines: Vec<crate::store::deals::LineError>) -> Vec<LineView> {
    lines.into_iter().map(|l| LineView { line: l.line, message: l.message }).collect()
}

/// A file uploaded with a little text (multipart).
#[derive(Default)]
struct Upload {
    csrf: String,
    project: String,
    file: Vec<u8>,
    /// The body went over the route's limit.
    too_large: bool,
}

async fn read_upload(mut multipart: axum::extract::Multipart) -> Result<Upload, WebError> {
    use axum::http::StatusCode;
    let mut upload = Upload::default();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                upload.too_large = true;
                break;
            }
            Err(e) => return Err(WebError::bad(ErrorCode::BadRequest, e.body_text())),
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            match field.bytes().await {
                Ok(bytes) => upload.file = bytes.to_vec(),
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    upload.too_large = true;
                    break;
                }
                Err(e) => return Err(WebError::bad(ErrorCode::BadRequest, e.body_text())),
            }
            continue;
        }
        let value = field.text().await.unwrap_or_default();
        match name.as_str() {
            "csrf" => upload.csrf = value,
            "project" => upload.project = value,
            _ => {}
        }
    }
    Ok(upload)
}
