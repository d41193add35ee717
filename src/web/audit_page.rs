//! The audit log (审计日志) for managers and admins: who did what and when,
//! filtered by actor, action and day, paged newest first like the visits
//! ledger. A manager sees their project's entries; an admin every entry.

use super::AppState;
use super::error::WebError;
use super::i18n::Lang;
use super::listing::{day_start, may_list, next_page, text};
use super::session::{CurrentStaff, url_escape};
use crate::store::audit::{AuditEntry, AuditFilter};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new().route("/staff/audit", get(list))
}

const PAGE: u32 = 50;

/// The filter as the form sends it (every field text; empty: no condition).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AuditQuery {
    pub actor: String,
    pub action: String,
    /// An admin narrows to one project (a manager always sees their own).
    pub project: String,
    pub from: String,
    pub to: String,
    pub before: Option<i64>,
}

impl AuditQuery {
    /// The store's filter for this viewer: a manager sees their project, an
    /// admin every entry. Dates are local days in the project's zone.
    fn filter(&self, me: &CurrentStaff, state: &AppState) -> AuditFilter {
        let day = |s: &str, plus: i64| day_start(me, state, s, plus);
        AuditFilter {
            project: me.staff.project_id.clone().or_else(|| text(&self.project)),
            actor: text(&self.actor),
            action: text(&self.action),
            from_unix: day(&self.from, 0),
            to_unix: day(&self.to, 1),
        }
    }

    /// The filter again as a query string (for the next page).
    fn query_string(&self) -> String {
        let pairs = [
            ("actor", &self.actor),
            ("action", &self.action),
            ("project", &self.project),
            ("from", &self.from),
            ("to", &self.to),
        ];
        pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", url_escape(v)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

struct RowView {
    id: i64,
    /// Local time of the entry's project (Shanghai when it has none).
    at: String,
    actor: String,
    /// The query string listing this actor's entries.
    actor_query: String,
    action: String,
    /// Empty: no project.
    project: String,
    detail: String,
}

impl RowView {
    fn new(e: AuditEntry, state: &AppState) -> RowView {
        let project = e.project_id.unwrap_or_default();
        RowView {
            id: e.id,
            at: state.local_text(&project, &e.at, "%Y-%m-%d %H:%M:%S"),
            actor_query: format!("actor={}", url_escape(&e.actor)),
            actor: e.actor,
            action: e.action,
            project,
            detail: e.detail,
        }
    }
}

#[derive(Template)]
#[template(path = "staff/audit.html")]
struct AuditPage {
    nav: super::nav::StaffNav,
    /// An admin may choose a project.
    projects: Vec<(String, String)>,
    q: AuditQuery,
    query: String,
    rows: Vec<RowView>,
    next: Option<i64>,
}

async fn list(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Query(q): Query<AuditQuery>,
) -> Result<Response, WebError> {
    may_list(&me)?;
    let (filter, before) = (q.filter(&me, &state), q.before);
    let entries = state.db.run(move |store| store.audit_page(&filter, before, PAGE)).await.map_err(WebError::from)?;
    let next = next_page(&entries, PAGE, |e| e.id);
    let page = AuditPage {
        nav: super::nav::StaffNav::new(&me, lang, "/staff/audit"),
        projects: match me.staff.project_id {
            Some(_) => Vec::new(),
            None => state.deployment.projects.iter().map(|p| (p.id.clone(), p.name.clone())).collect(),
        },
        query: q.query_string(),
        q,
        rows: entries.into_iter().map(|e| RowView::new(e, &state)).collect(),
        next,
    };
    Ok(Html(page.render()?).into_response())
}
