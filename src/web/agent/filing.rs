//! Filing a report from the agent's form: the fields checked, an expected
//! arrival in the past refused and one outside the desk's hours asked
//! about once (已知悉), a customer the agency already has a live report of
//! answered with a link to it instead of a second report, then the
//! project's filing rules at the server's clock.

use super::super::AppState;
use super::super::error::WebError;
use super::super::error_code::ErrorCode;
use super::super::i18n::Lang;
use super::super::pages::NewReportPage;
use super::super::session::{CurrentAgent, check_csrf};
use super::html;
use super::reports::project_of;
use crate::crypto::random_secret;
use crate::domain::name::CustomerName;
use crate::domain::phone::CustomerPhone;
use crate::domain::rules::{OpenHours, Rules};
use crate::domain::token::ReportId;
use crate::service::filing::Filing;
use crate::store::reports::{NewReport, StoredReport};
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct ReportForm {
    csrf: String,
    idem: String,
    project: String,
    customer_name: String,
    customer_phone: String,
    #[serde(default)]
    expected_arrival: String,
    #[serde(default)]
    party_size: String,
    #[serde(default)]
    note: String,
    /// Ticked after the warning that the expected arrival is outside the
    /// desk's hours.
    #[serde(default)]
    off_hours_ok: String,
}

/// The projects the agency may report for (合作项目), as (id, name): the
/// form offers no other.
async fn partner_projects(state: &AppState, agency_id: i64) -> Result<Vec<(String, String)>, WebError> {
    let agency = state.db.run(move |store| store.agency(agency_id)).await.map_err(WebError::from)?;
    Ok(state
        .deployment
        .projects
        .iter()
        .filter(|p| agency.reports_for(&p.id))
        .map(|p| (p.id.clone(), p.name.clone()))
        .collect())
}

/// What the form says above its fields besides the fields themselves.
#[derive(Default)]
struct FormNotes {
    error: Option<String>,
    off_hours_warning: Option<String>,
    duplicate: Option<(i64, String)>,
}

/// The desk's hours, as the agent reads them.
fn desk_hours_text(rules: &Rules, lang: Lang) -> String {
    let span = |h: &OpenHours| format!("{}–{}", h.open.format("%H:%M"), h.close.format("%H:%M"));
    let (mon_thu, fri_sun) = (span(&rules.desk_hours.mon_thu), span(&rules.desk_hours.fri_sun));
    match lang {
        Lang::Zh => format!("周一至周四 {mon_thu}，周五至周日及节假日 {fri_sun}"),
        Lang::En => format!("Mon–Thu {mon_thu}, Fri–Sun and holidays {fri_sun}"),
    }
}

fn form_page(
    state: &AppState,
    projects: Vec<(String, String)>,
    lang: Lang,
    csrf: String,
    form: ReportForm,
    notes: FormNotes,
) -> NewReportPage {
    let rules_of = |id: &str| state.deployment.project(id).map(|p| &p.rules);
    let mut desk_hours: Vec<(String, String)> = projects
        .iter()
        .filter_map(|(id, name)| rules_of(id.as_str()).map(|rules| (name.clone(), desk_hours_text(rules, lang))))
        .collect();
    // The same hours everywhere: one line, no project named.
    if desk_hours.windows(2).all(|w| w[0].1 == w[1].1) {
        desk_hours.truncate(1);
        if let Some(only) = desk_hours.first_mut() {
            only.0.clear();
        }
    }
    let tz = projects
        .first()
        .and_then(|(id, _)| rules_of(id.as_str()))
        .map(|r| r.timezone)
        .unwrap_or(chrono_tz::Asia::Shanghai);
    NewReportPage {
        t: lang.texts(),
        csrf,
        idem: if form.idem.is_empty() { random_secret() } else { form.idem },
        error: notes.error,
        projects,
        project: form.project,
        customer_name: form.customer_name,
        customer_phone: form.customer_phone,
        expected_arrival: form.expected_arrival,
        party_size: form.party_size,
        note: form.note,
        lang,
        desk_hours,
        min_arrival: state.clock.now().with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string(),
        off_hours_warning: notes.off_hours_warning,
        duplicate: notes.duplicate,
    }
}

pub async fn new_form(State(state): State<AppState>, lang: Lang, me: CurrentAgent) -> Result<Html<String>, WebError> {
    let projects = partner_projects(&state, me.agent.agency_id).await?;
    html(form_page(&state, projects, lang, me.session.csrf, ReportForm::default(), FormNotes::default()))
}

/// A report as typed, checked field by field, and its expected arrival in
/// the project's time; the error is for the agent.
fn parse_report(
    state: &AppState,
    lang: Lang,
    agent_id: i64,
    form: &ReportForm,
    now: DateTime<Utc>,
) -> Result<(NewReport, Option<DateTime<Tz>>), WebError> {
    let bad = |e: &dyn ToString| WebError::bad(ErrorCode::Invalid, e.to_string());
    let project = state
        .deployment
        .project(&form.project)
        .ok_or_else(|| WebError::bad(ErrorCode::UnknownProject, "请选择项目 / choose a project"))?;
    let customer_name = CustomerName::parse(&form.customer_name).map_err(|e| bad(&e))?;
    let customer_phone =
        CustomerPhone::parse(&form.customer_phone, project.rules.allow_masked_phone).map_err(|e| bad(&e))?;
    let party_size = match form.party_size.trim() {
        "" => None,
        s => Some(
            s.parse::<i64>()
                .ok()
                .filter(|n| (1..=50).contains(n))
                .ok_or_else(|| WebError::bad(ErrorCode::Invalid, "到访人数应为 1–50 / party size is 1 to 50"))?,
        ),
    };
    let expected = match form.expected_arrival.trim() {
        "" => None,
        s => {
            let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").map_err(|_| {
                WebError::bad(ErrorCode::Invalid, "预计到访时间格式不正确 / expected arrival is not a date and time")
            })?;
            let at = project.rules.timezone.from_local_datetime(&naive).earliest().ok_or_else(|| {
                WebError::bad(ErrorCode::Invalid, "预计到访时间格式不正确 / expected arrival is not a date and time")
            })?;
            // By the server's clock; the minute typed is still "now".
            if at.to_utc() + Duration::minutes(1) <= now {
                return Err(WebError::bad(
                    ErrorCode::Invalid,
                    lang.tr(
                        "预计到访时间已过：请填写现在之后的时间。",
                        "The expected arrival is in the past: enter a time from now on.",
                    ),
                ));
            }
            Some(at)
        }
    };
    let note = form.note.trim();
    if note.chars().count() > 200 {
        return Err(WebError::bad(ErrorCode::Invalid, "备注最多 200 字 / the note has at most 200 characters"));
    }
    let new = NewReport {
        project_id: project.id.clone(),
        agent_id,
        customer_name,
        customer_phone,
        expected_arrival: expected.map(|at| crate::time::format_instant(at.fixed_offset())),
        party_size,
        note: (!note.is_empty()).then(|| note.to_owned()),
        idempotency_key: (!form.idem.is_empty()).then(|| format!("form:{agent_id}:{}", form.idem)),
        demo: state.demo,
    };
    Ok((new, expected))
}

/// What a submitted form came to.
enum Filed {
    Report(ReportId),
    /// The agency's live report of this customer: nothing was filed.
    Duplicate(Box<StoredReport>),
    /// The expected arrival is outside the desk's hours and the agent has
    /// not ticked that they know: nothing was filed yet.
    OffHours(DateTime<Tz>),
}

/// Files a report with the project's rules at the server's clock, unless
/// the agency already has a live report of the customer (the agent opens
/// that one) or an off-hours arrival still needs the agent's tick.
pub async fn file(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentAgent,
    Form(form): Form<ReportForm>,
) -> Response {
    if let Err(e) = check_csrf(&me.session.csrf, &form.csrf) {
        return e.into_response();
    }
    let (status, notes) = match submit(&state, lang, &me, &form).await {
        Ok(Filed::Report(id)) => return Redirect::to(&format!("/agent/reports/{id}")).into_response(),
        Ok(Filed::Duplicate(live)) => {
            let filed = state.local_time(&live.project_id, &live.filed_at, "%m-%d %H:%M");
            let until = project_of(&state, &live.project_id)
                .map(|p| p.rules.report_valid_until(live.filed_at).format("%m-%d %H:%M").to_string())
                .unwrap_or_default();
            let text = match lang {
                Lang::Zh => format!(
                    "您的渠道已有该客户的有效报备（{filed} 报备，有效至 {until}），无需重复报备：请打开该报备，使用它的二维码。"
                ),
                Lang::En => format!(
                    "Your agency already has a live report of this customer (filed {filed}, valid until {until}): do not file it twice, open it and use its code."
                ),
            };
            (StatusCode::CONFLICT, FormNotes { duplicate: Some((live.id.0, text)), ..FormNotes::default() })
        }
        Ok(Filed::OffHours(at)) => {
            let hours = project_of(&state, &form.project).map(|p| desk_hours_text(&p.rules, lang)).unwrap_or_default();
            let at = at.format("%m-%d %H:%M");
            let text = match lang {
                Lang::Zh => format!(
                    "预计到访时间 {at} 不在判客岗接待时间内（{hours}）。售楼处会在到访当天的「今日预计到访」中看到本次到访并安排判客岗与置业顾问值班；请勾选「已知悉」后再次提交。"
                ),
                Lang::En => format!(
                    "The expected arrival {at} is outside the desk's hours ({hours}). The sales office sees it among that day's expected arrivals and keeps a desk clerk and a consultant; tick “Understood” and submit again."
                ),
            };
            (StatusCode::OK, FormNotes { off_hours_warning: Some(text), ..FormNotes::default() })
        }
        Err(e @ WebError::Refused { .. }) => {
            (e.status(), FormNotes { error: Some(e.to_string()), ..FormNotes::default() })
        }
        Err(e) => return e.into_response(),
    };
    let projects = match partner_projects(&state, me.agent.agency_id).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let page = form_page(&state, projects, lang, me.session.csrf.clone(), form, notes);
    match html(page) {
        Ok(body) => (status, body).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn submit(state: &AppState, lang: Lang, me: &CurrentAgent, form: &ReportForm) -> Result<Filed, WebError> {
    let now = state.clock.now();
    let (new, expected) = parse_report(state, lang, me.agent.id, form, now)?;
    let project = project_of(state, &new.project_id)?;
    let off_hours = expected.filter(|at| form.off_hours_ok.is_empty() && project.rules.is_off_hours(at.fixed_offset()));
    let filing = Filing::new(project, &state.key_ring, now);
    let (rules, agency_id) = (project.rules.clone(), me.agent.agency_id);
    let at = now.with_timezone(&rules.timezone).fixed_offset();
    state
        .db
        .write(move |store| -> Result<Filed, WebError> {
            // The same form sent again: the report it filed.
            if let Some(key) = new.idempotency_key.as_deref()
                && let Some(id) = store.report_filed_with(key)?
            {
                return Ok(Filed::Report(id));
            }
            if let Some(live) =
                store.live_report_of_agency(&new.project_id, agency_id, &new.customer_phone, &rules, at)?
            {
                return Ok(Filed::Duplicate(Box::new(live)));
            }
            if let Some(at) = off_hours {
                return Ok(Filed::OffHours(at));
            }
            Ok(Filed::Report(filing.file(store, new)?.id))
        })
        .await
}
