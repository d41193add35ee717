//! Fallback reports (补录). The seeds allow reporting in the WeChat group
//! while the reporting system is down (如客户报备系统出现问题,将临时转由微信群
//! 报备). An admin opens an incident window (from, to, why); during it and
//! for `ENTRY_GRACE_HOURS` after its end a manager enters the reports
//! received in the group with the message's time and a screenshot
//! (`entry.rs`). They are marked 补录 and audited; their QR and manual codes
//! work like any other, and the judge measures from the message's time.
//! Outside an open window nobody can back-date a report.
//!
//! This file: the list of windows with their reports, opening and closing
//! a window (admins). `entry.rs`: entering a report, and its page.

mod entry;

use super::AppState;
use super::error::WebError;
use super::error_code::ErrorCode;
use super::i18n::Lang;
use super::nav::StaffNav;
use super::rules_page::{chosen_project, project_choices};
use super::session::{CurrentStaff, check_csrf};
use crate::config::deployment::ProjectConfig;
use crate::store::incidents::{ENTRY_GRACE_HOURS, FallbackReport, Incident, MAX_WINDOW_DAYS, NewIncident};
use crate::store::people::Role;
use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use serde::Deserialize;

/// The entry form: a screenshot of at most 5 MB and a few text fields.
const ENTRY_BODY_LIMIT: usize = 6 * 1024 * 1024;
const PATH: &str = "/staff/fallback";
const INCIDENTS_LISTED: u32 = 50;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/fallback", get(index))
        .route("/staff/fallback/incidents", post(open))
        .route("/staff/fallback/incidents/{id}/close", post(close))
        .route("/staff/fallback/incidents/{id}/new", get(entry::form))
        .route(
            "/staff/fallback/incidents/{id}/reports",
            post(entry::file).layer(DefaultBodyLimit::max(ENTRY_BODY_LIMIT)),
        )
        .route("/staff/fallback/reports/{id}", get(entry::show))
        .route("/staff/fallback/reports/{id}/qr.png", get(entry::qr_png))
        .route("/staff/fallback/reports/{id}/screenshot", get(entry::screenshot))
}

fn actor(me: &CurrentStaff) -> String {
    me.actor()
}

fn is_admin(me: &CurrentStaff) -> bool {
    me.staff.role == Role::Admin
}

/// A local date and time as a `datetime-local` field sends it
/// (`2026-11-18T09:30`, seconds optional), in the project's zone.
pub(crate) fn local_instant(project: &ProjectConfig, text: &str) -> Option<DateTime<FixedOffset>> {
    let text = text.trim();
    let naive = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())?;
    project.rules.timezone.from_local_datetime(&naive).earliest().map(|t| t.fixed_offset())
}

/// An instant as a `datetime-local` field shows it, in the project's zone.
pub(crate) fn field_value(project: &ProjectConfig, at: DateTime<FixedOffset>) -> String {
    at.with_timezone(&project.rules.timezone).format("%Y-%m-%dT%H:%M").to_string()
}

fn shown(project: &ProjectConfig, at: DateTime<FixedOffset>) -> String {
    at.with_timezone(&project.rules.timezone).format("%Y-%m-%d %H:%M").to_string()
}

/// Where a window stands at `now`, for the list.
fn status_of(incident: &Incident, now: DateTime<Utc>) -> &'static str {
    if incident.closed_at.is_some() {
        "closed"
    } else if now < incident.from {
        "upcoming"
    } else if now > incident.entries_until() {
        "over"
    } else {
        "open"
    }
}

struct FallbackRow {
    report_id: i64,
    message_at: String,
    agency: String,
    agent: String,
    customer: String,
    phone: String,
    manual_code: String,
    status_label: &'static str,
    entered_by: String,
    entered_at: String,
}

impl FallbackRow {
    fn new(state: &AppState, project: &ProjectConfig, lang: Lang, f: FallbackReport) -> FallbackRow {
        FallbackRow {
            report_id: f.report.id.0,
            message_at: shown(project, f.message_at),
            agency: f.report.agency_name.clone(),
            agent: f.report.agent_name.clone(),
            customer: f.report.customer_name.to_string(),
            phone: f.report.customer_phone.masked().to_string(),
            manual_code: f.report.manual_code.to_string(),
            status_label: lang.status_label(f.report.status),
            entered_by: f.entered_by_name.map(|n| format!("{n} ({})", f.entered_by)).unwrap_or(f.entered_by),
            entered_at: state.local_text(&project.id, &f.entered_at, "%Y-%m-%d %H:%M"),
        }
    }
}

struct IncidentView {
    id: i64,
    from: String,
    to: String,
    why: String,
    opened_by: String,
    opened_at: String,
    /// `open`, `upcoming`, `over` or `closed`.
    status: &'static str,
    entries_until: String,
    reports: Vec<FallbackRow>,
}

/// The admin's open-window form, as typed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct OpenForm {
    csrf: String,
    project: String,
    from: String,
    to: String,
    why: String,
}

#[derive(Template)]
#[template(path = "staff/fallback.html")]
struct IndexPage {
    nav: StaffNav,
    projects: Vec<(String, String)>,
    project_id: String,
    project_name: String,
    is_admin: bool,
    grace_hours: i64,
    max_days: i64,
    notice: Option<&'static str>,
    error: Option<String>,
    form: OpenForm,
    incidents: Vec<IncidentView>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct IndexQuery {
    project: String,
    done: String,
}

async fn index(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Query(q): Query<IndexQuery>,
) -> Result<Response, WebError> {
    let project = chosen_project(&state, &me, &q.project)?;
    let notice = match q.done.as_str() {
        "opened" => Some(lang.tr("故障时段已开启。", "The incident window is open.")),
        "closed" => Some(lang.tr("故障时段已关闭,不能再补录。", "The window is closed: no more entries.")),
        _ => None,
    };
    render_index(&state, &me, lang, project, notice, None, OpenForm::default()).await
}

async fn render_index(
    state: &AppState,
    me: &CurrentStaff,
    lang: Lang,
    project: &ProjectConfig,
    notice: Option<&'static str>,
    error: Option<String>,
    form: OpenForm,
) -> Result<Response, WebError> {
    let id = project.id.clone();
    let found = state
        .db
        .run(move |store| -> Result<_, WebError> {
            let mut out = Vec::new();
            for incident in store.incidents(&id, INCIDENTS_LISTED)? {
                let reports = store.fallback_reports_of(incident.id)?;
                out.push((incident, reports));
            }
            Ok(out)
        })
        .await?;
    let now = state.clock.now();
    let incidents = found
        .into_iter()
        .map(|(i, reports)| IncidentView {
            id: i.id,
            from: shown(project, i.from),
            to: shown(project, i.to),
            status: status_of(&i, now),
            entries_until: shown(project, i.entries_until()),
            opened_by: match &i.opened_by_name {
                Some(n) => format!("{n} ({})", i.opened_by),
                None => i.opened_by.clone(),
            },
            opened_at: state.local_text(&project.id, &i.opened_at, "%Y-%m-%d %H:%M"),
            why: i.why,
            reports: reports.into_iter().map(|f| FallbackRow::new(state, project, lang, f)).collect(),
        })
        .collect();
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = IndexPage {
        nav: StaffNav::new(me, lang, PATH),
        projects: project_choices(state, me),
        project_id: project.id.clone(),
        project_name: project.name.clone(),
        is_admin: is_admin(me),
        grace_hours: ENTRY_GRACE_HOURS,
        max_days: MAX_WINDOW_DAYS,
        notice,
        error,
        form,
        incidents,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// An admin opens a window.
async fn open(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Form(form): Form<OpenForm>,
) -> Result<Response, WebError> {
    super::listing::may_list(&me)?;
    if !is_admin(&me) {
        return Err(WebError::Forbidden);
    }
    check_csrf(&me.session.csrf, &form.csrf)?;
    let project = chosen_project(&state, &me, &form.project)?;
    let bad_time = || {
        WebError::bad(
            ErrorCode::Invalid,
            "请填写开始和结束时间(年-月-日 时:分) / give the start and the end (date and time)",
        )
    };
    let times = local_instant(project, &form.from).zip(local_instant(project, &form.to)).ok_or_else(bad_time);
    let opened = match times {
        Ok((from, to)) => {
            let (id, why, who, now) = (project.id.clone(), form.why.clone(), actor(&me), state.clock.now());
            state
                .db
                .write(move |store| {
                    let new = NewIncident { project_id: &id, from, to, why: &why, actor: &who };
                    store.open_incident(&new, now).map_err(WebError::from)
                })
                .await
        }
        Err(e) => Err(e),
    };
    match opened {
        Ok(_) => Ok(Redirect::to(&format!("/staff/fallback?project={}&done=opened", project.id)).into_response()),
        Err(WebError::Refused { message, .. }) => {
            render_index(&state, &me, lang, project, None, Some(message), form).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CsrfForm {
    csrf: String,
}

/// An admin closes a window early.
async fn close(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    super::listing::may_list(&me)?;
    if !is_admin(&me) {
        return Err(WebError::Forbidden);
    }
    check_csrf(&me.session.csrf, &form.csrf)?;
    let (who, now) = (actor(&me), state.clock.now());
    let closed = state.db.write(move |store| store.close_incident(id, &who, now)).await.map_err(WebError::from)?;
    Ok(Redirect::to(&format!("/staff/fallback?project={}&done=closed", closed.project_id)).into_response())
}
