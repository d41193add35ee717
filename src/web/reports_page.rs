//! The reports (报备) of a project for managers, newest first, by status and
//! agency; phones masked.

use super::AppState;
use super::error::WebError;
use super::i18n::Lang;
use super::listing::{may_list, next_page, text};
use super::session::{CurrentStaff, url_escape};
use crate::store::reports::ReportStatus;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new().route("/staff/reports", get(page))
}

const PAGE: u32 = 50;
const STATUSES: [ReportStatus; 5] = [
    ReportStatus::Pending,
    ReportStatus::VisitedValid,
    ReportStatus::VisitedInvalid,
    ReportStatus::Expired,
    ReportStatus::Cancelled,
];

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ReportQuery {
    status: String,
    agency: String,
    before: Option<i64>,
}

struct Row {
    id: i64,
    filed: String,
    agency: String,
    agent: String,
    customer: String,
    phone: String,
    status: &'static str,
    status_label: &'static str,
}

#[derive(Template)]
#[template(path = "staff/reports.html")]
struct ReportsPage {
    t: &'static super::i18n::Texts,
    statuses: Vec<(&'static str, &'static str)>,
    status: String,
    agency: String,
    agency_query: String,
    rows: Vec<Row>,
    next: Option<i64>,
}

async fn page(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Query(q): Query<ReportQuery>,
) -> Result<Response, WebError> {
    may_list(&me)?;
    let status = STATUSES.iter().find(|s| s.code() == q.status).map(|s| s.code());
    let (project, agency, before) = (me.staff.project_id.clone(), text(&q.agency), q.before);
    let found = state
        .db
        .run(move |store| store.reports_page(project.as_deref(), status, agency.as_deref(), before, PAGE))
        .await
        .map_err(WebError::from)?;
    let next = next_page(&found, PAGE, |r| r.id.0);
    let rows = found
        .into_iter()
        .map(|r| Row {
            id: r.id.0,
            filed: r.filed_at.format("%Y-%m-%d %H:%M").to_string(),
            agency: r.agency_name,
            agent: r.agent_name,
            customer: r.customer_name.to_string(),
            phone: r.customer_phone.masked().to_string(),
            status: r.status.code(),
            status_label: r.status.label_zh(),
        })
        .collect();
    let page = ReportsPage {
        t: lang.texts(),
        statuses: STATUSES.iter().map(|s| (s.code(), s.label_zh())).collect(),
        status: status.unwrap_or_default().to_owned(),
        agency_query: url_escape(&q.agency),
        agency: q.agency,
        rows,
        next,
    };
    Ok(Html(page.render()?).into_response())
}
