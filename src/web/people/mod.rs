//! People and devices (人员与设备): agencies and the projects each may
//! report for (合作项目), their agents' roster (带看人员名单) and API keys
//! (`agencies`, `agents`, `api_keys`), project staff (`staff`), and the desk
//! tablets (`kiosks`).
//!
//! Managers act on their own project; agencies belong to the deployment, so
//! a manager sees every agency, decides whether it reports for their
//! project, and manages the roster and keys of the agencies that do.
//! Admins act on every project. Desk clerks and sales consultants are
//! refused; another project's staff and kiosks are "not found". Every
//! change is audited in the transaction that makes it. Invitation links,
//! passwords, PINs, pairing codes and API keys are shown once, on the page
//! that answers the change — never in a URL of their own.

mod agencies;
mod agents;
mod api_keys;
mod kiosks;
mod staff;
pub mod webhooks;

use super::AppState;
use super::error::WebError;
use super::i18n::Lang;
use super::listing::may_list;
use super::nav::StaffNav;
use super::session::CurrentStaff;
use crate::store::people::{By, Role};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/people", get(index))
        .route("/staff/people/agencies", get(agencies::list).post(agencies::add))
        .route("/staff/people/agencies/{id}", get(agencies::show))
        .route("/staff/people/agencies/{id}/projects", post(agencies::set_projects))
        .route("/staff/people/agencies/{id}/contract", post(agencies::set_contract))
        .route("/staff/people/agencies/{id}/agents", post(agents::add))
        .route("/staff/people/agents/{id}/reinvite", post(agents::reinvite))
        .route("/staff/people/agents/{id}/disable", post(agents::disable))
        .route("/staff/people/agencies/{id}/keys", post(api_keys::issue))
        .route("/staff/people/keys/{id}/revoke", post(api_keys::revoke))
        .route("/staff/people/agencies/{id}/webhooks", post(webhooks::add))
        .route("/staff/people/webhooks/{id}/disable", post(webhooks::disable))
        .route("/staff/people/staff", get(staff::list).post(staff::add))
        .route("/staff/people/staff/{id}/disable", post(staff::disable))
        .route("/staff/people/staff/{id}/password", post(staff::reset_password))
        .route("/staff/people/staff/{id}/pin", post(staff::reset_pin))
        .route("/staff/people/kiosks", get(kiosks::list).post(kiosks::add))
        .route("/staff/people/kiosks/{id}/revoke", post(kiosks::revoke))
}

/// Who makes a change, owned so it moves into a database job; `by()`
/// names them to the store (`staff:3`, filed under a manager's project).
#[derive(Debug, Clone)]
pub(super) struct Actor {
    who: String,
    project: Option<String>,
}

impl Actor {
    pub(super) fn of(me: &CurrentStaff) -> Actor {
        Actor { who: me.actor(), project: me.staff.project_id.clone() }
    }

    pub(super) fn by(&self) -> By<'_> {
        By { actor: &self.who, project: self.project.as_deref() }
    }

    pub(super) fn who(&self) -> &str {
        &self.who
    }
}

/// `?done=…` after a change (post/redirect/get), and `?project=…` (an
/// admin's filter).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ListQuery {
    pub done: String,
    pub project: String,
}

/// A form that only confirms an action.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct CsrfForm {
    pub csrf: String,
}

/// The line a list shows after a change.
pub(super) fn notice(done: &str) -> Option<(&'static str, &'static str)> {
    Some(match done {
        "added" => ("已添加。", "Added."),
        "disabled" => ("已停用,其所有登录已退出。", "Disabled; every session of theirs has ended."),
        "revoked" => ("已吊销,立即生效。", "Revoked, effective at once."),
        "projects" => ("合作项目已更新。", "Partner projects updated."),
        "contract" => ("合同到期日已更新。", "Contract end updated."),
        "webhook_off" => (
            "推送地址已停用:不再向它发送事件,未送达的不再重试。",
            "Webhook disabled: no more events go to it, and undelivered ones are not retried.",
        ),
        "unchanged" => ("没有变化。", "Nothing changed."),
        _ => return None,
    })
}

/// A form field that is not used by every role (an admin's project
/// choice), `None` when empty.
pub(super) fn chosen(s: &str) -> Option<String> {
    super::listing::text(s)
}

/// An RFC 3339 instant in `project`'s local time (Beijing time when there
/// is none), `"—"` when absent.
pub(super) fn local(state: &AppState, project: Option<&str>, at: Option<&str>, format: &str) -> String {
    match at {
        Some(text) => {
            let shown = state.local_text(project.unwrap_or(""), text, format);
            if shown.is_empty() { "—".to_owned() } else { shown }
        }
        None => "—".to_owned(),
    }
}

/// Unix seconds in `project`'s local time, `"—"` when absent.
pub(super) fn local_unix(state: &AppState, project: &str, at: Option<i64>, format: &str) -> String {
    at.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(|t| state.local_time(project, &t, format))
        .unwrap_or_else(|| "—".to_owned())
}

/// The projects a form offers an admin, one chosen.
pub(super) struct ProjectChoice {
    pub id: String,
    pub name: String,
    pub selected: bool,
}

pub(super) fn project_choices(state: &AppState, chosen: &str) -> Vec<ProjectChoice> {
    state
        .deployment
        .projects
        .iter()
        .map(|p| ProjectChoice { id: p.id.clone(), name: p.name.clone(), selected: p.id == chosen })
        .collect()
}

pub(super) fn role_en(role: Role) -> &'static str {
    match role {
        Role::Admin => "Admin",
        Role::Manager => "Manager",
        Role::Desk => "Desk clerk",
        Role::Sales => "Sales consultant",
    }
}

/// The address people open panke at, without a trailing slash.
pub(super) fn public_url(state: &AppState) -> String {
    state.deployment.server.public_url.trim_end_matches('/').to_owned()
}

/// A QR code of `text` inside the page (a `data:` URI): the secret it
/// carries gets no URL of its own.
pub(super) fn qr_data_uri(text: &str) -> Result<String, WebError> {
    let png = crate::qr::png(text).map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(format!("data:image/png;base64,{}", data_encoding::BASE64.encode(&png)))
}

/// One line of a one-time page.
pub(super) struct Secret {
    pub label_zh: &'static str,
    pub label_en: &'static str,
    pub value: String,
    /// The element's id (tests and people find the value by it).
    pub id: &'static str,
}

/// The page that shows a new secret once (an invitation, a password and
/// PIN, a pairing code, an API key).
#[derive(Template)]
#[template(path = "staff/people/secret.html")]
pub(super) struct SecretPage {
    pub nav: StaffNav,
    pub title_zh: &'static str,
    pub title_en: &'static str,
    pub hint_zh: &'static str,
    pub hint_en: &'static str,
    pub items: Vec<Secret>,
    pub qr: Option<String>,
    pub back: String,
}

/// A rendered page with its status.
pub(super) fn page(template: &impl Template, status: StatusCode) -> Result<Response, WebError> {
    Ok((status, Html(template.render()?)).into_response())
}

#[derive(Template)]
#[template(path = "staff/people/index.html")]
struct IndexPage {
    nav: StaffNav,
    agencies: usize,
    staff: usize,
    kiosks: usize,
}

/// The section's front page: what there is, and where to manage it.
async fn index(State(state): State<AppState>, lang: Lang, me: CurrentStaff) -> Result<Response, WebError> {
    may_list(&me)?;
    let (project, now) = (me.staff.project_id.clone(), state.clock.now());
    let (agencies, staff, kiosks) = state
        .db
        .run(move |store| -> Result<_, WebError> {
            let agencies = store.agencies()?.len();
            let staff = store.staff_entries(project.as_deref())?.iter().filter(|s| s.active).count();
            let kiosks = store.kiosk_statuses(project.as_deref(), now)?.iter().filter(|k| !k.kiosk.revoked).count();
            Ok((agencies, staff, kiosks))
        })
        .await?;
    let nav = StaffNav::new(&me, lang, "/staff/people");
    page(&IndexPage { nav, agencies, staff, kiosks }, StatusCode::OK)
}
