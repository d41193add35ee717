//! A report's life on the agent's phone: file, list, show its QR code, cancel.

use super::super::AppState;
use super::super::error::WebError;
use super::super::error_code::ErrorCode;
use super::super::i18n::{Lang, Texts};
use super::super::pages::{NewReportPage, ReportPage, ReportRow, ReportsPage};
use super::super::session::{CurrentAgent, check_csrf};
use super::auth::CsrfForm;
use super::html;
use crate::crypto::random_secret;
use crate::domain::name::CustomerName;
use crate::domain::phone::CustomerPhone;
use crate::domain::token::ReportId;
use crate::service::filing::{Filing, token_of};
use crate::store::reports::{NewReport, ReportStatus, StoredReport};
use crate::web::qr::qr_response;
use axum::extract::{Form, Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{NaiveDateTime, TimeZone};
use serde::Deserialize;

pub fn status_class(s: ReportStatus) -> &'static str {
    match s {
        ReportStatus::Pending => "pending",
        ReportStatus::VisitedValid => "valid",
        ReportStatus::VisitedInvalid => "invalid",
        ReportStatus::Expired | ReportStatus::Cancelled | ReportStatus::Voided => "closed",
    }
}

pub async fn list(State(state): State<AppState>, lang: Lang, me: CurrentAgent) -> Result<Html<String>, WebError> {
    let (agent_id, agency_id) = (me.agent.id, me.agent.agency_id);
    let (reports, disputes_unread) = state
        .db
        .run(move |store| -> Result<_, WebError> {
            let unread = store.unread_dispute_notices(crate::store::disputes::Recipient::Agency(agency_id))?;
            Ok((store.reports_of_agent(agent_id, 200)?, unread))
        })
        .await?;
    let rows = reports
        .iter()
        .map(|r| ReportRow {
            id: r.id.0,
            project_name: state.project_name(&r.project_id),
            customer_name: r.customer_name.to_string(),
            masked_phone: r.customer_phone.masked().to_string(),
            filed_local: state.local_time(&r.project_id, &r.filed_at, "%m-%d %H:%M"),
            status_label: lang.status_label(r.status),
            status_class: status_class(r.status),
        })
        .collect();
    html(ReportsPage {
        t: lang.texts(),
        csrf: me.session.csrf,
        agency: me.agent.agency_name,
        agent: me.agent.name,
        rows,
        disputes_unread,
    })
}

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

fn form_page(
    projects: Vec<(String, String)>,
    t: &'static Texts,
    csrf: String,
    form: ReportForm,
    error: Option<String>,
) -> NewReportPage {
    NewReportPage {
        t,
        csrf,
        idem: if form.idem.is_empty() { random_secret() } else { form.idem },
        error,
        projects,
        project: form.project,
        customer_name: form.customer_name,
        customer_phone: form.customer_phone,
        expected_arrival: form.expected_arrival,
        party_size: form.party_size,
        note: form.note,
    }
}

pub async fn new_form(State(state): State<AppState>, lang: Lang, me: CurrentAgent) -> Result<Html<String>, WebError> {
    let projects = partner_projects(&state, me.agent.agency_id).await?;
    html(form_page(projects, lang.texts(), me.session.csrf, ReportForm::default(), None))
}

/// A report as typed, checked field by field; the error is for the agent.
fn parse_report(state: &AppState, agent_id: i64, form: &ReportForm) -> Result<NewReport, WebError> {
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
    let expected_arrival = match form.expected_arrival.trim() {
        "" => None,
        s => {
            let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").map_err(|_| {
                WebError::bad(ErrorCode::Invalid, "预计到访时间格式不正确 / expected arrival is not a date and time")
            })?;
            let at = project.rules.timezone.from_local_datetime(&naive).earliest().ok_or_else(|| {
                WebError::bad(ErrorCode::Invalid, "预计到访时间格式不正确 / expected arrival is not a date and time")
            })?;
            Some(crate::time::format_instant(at.fixed_offset()))
        }
    };
    let note = form.note.trim();
    if note.chars().count() > 200 {
        return Err(WebError::bad(ErrorCode::Invalid, "备注最多 200 字 / the note has at most 200 characters"));
    }
    Ok(NewReport {
        project_id: project.id.clone(),
        agent_id,
        customer_name,
        customer_phone,
        expected_arrival,
        party_size,
        note: (!note.is_empty()).then(|| note.to_owned()),
        idempotency_key: (!form.idem.is_empty()).then(|| format!("form:{agent_id}:{}", form.idem)),
        demo: state.demo,
    })
}

/// Files a report with the project's rules at the server's clock.
pub async fn file(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentAgent,
    Form(form): Form<ReportForm>,
) -> Response {
    if let Err(e) = check_csrf(&me.session.csrf, &form.csrf) {
        return e.into_response();
    }
    let t = lang.texts();
    let outcome = match parse_report(&state, me.agent.id, &form) {
        Ok(new) => match project_of(&state, &new.project_id) {
            Ok(project) => {
                let filing = Filing::new(project, &state.key_ring, state.clock.now());
                state.db.write(move |store| filing.file(store, new).map_err(WebError::from)).await
            }
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    match outcome {
        Ok(report) => Redirect::to(&format!("/agent/reports/{}", report.id)).into_response(),
        Err(e @ WebError::Refused { .. }) => {
            let status = e.status();
            let projects = match partner_projects(&state, me.agent.agency_id).await {
                Ok(p) => p,
                Err(e) => return e.into_response(),
            };
            let page = form_page(projects, t, me.session.csrf.clone(), form, Some(e.to_string()));
            match html(page) {
                Ok(body) => (status, body).into_response(),
                Err(e) => e.into_response(),
            }
        }
        Err(e) => e.into_response(),
    }
}

/// The report, if it belongs to the agent's agency; another agency's
/// report is "not found", so its existence is not revealed.
pub async fn own_report(state: &AppState, me: &CurrentAgent, id: i64) -> Result<StoredReport, WebError> {
    let report = state.db.run(move |store| store.report(ReportId(id))).await.map_err(WebError::from)?;
    if report.agency_id != me.agent.agency_id {
        return Err(WebError::NotFound);
    }
    Ok(report)
}

pub async fn show(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentAgent,
    Path(id): Path<i64>,
) -> Result<Html<String>, WebError> {
    let r = own_report(&state, &me, id).await?;
    let project = state.deployment.project(&r.project_id).ok_or(WebError::NotFound)?;
    let filed = r.filed_at.to_utc();
    html(ReportPage {
        t: lang.texts(),
        csrf: me.session.csrf,
        id: r.id.0,
        project_name: project.name.clone(),
        customer_name: r.customer_name.to_string(),
        masked_phone: r.customer_phone.masked().to_string(),
        manual_code: r.manual_code.to_string(),
        filed_local: state.local_time(&r.project_id, &filed, "%Y-%m-%d %H:%M"),
        not_before: state.local_time(&r.project_id, &(filed + project.rules.min_gap), "%m-%d %H:%M"),
        valid_until: project.rules.report_valid_until(r.filed_at).format("%Y-%m-%d %H:%M").to_string(),
        status_label: lang.status_label(r.status),
        status_class: status_class(r.status),
        pending: r.status == ReportStatus::Pending,
        qr_available: token_of(&state.key_ring, &r).is_some(),
    })
}

pub async fn qr_png(
    State(state): State<AppState>,
    me: CurrentAgent,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let r = own_report(&state, &me, id).await?;
    qr_response(token_of(&state.key_ring, &r), false)
}

pub async fn qr_svg(
    State(state): State<AppState>,
    me: CurrentAgent,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let r = own_report(&state, &me, id).await?;
    qr_response(token_of(&state.key_ring, &r), true)
}

pub async fn cancel(
    State(state): State<AppState>,
    me: CurrentAgent,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    check_csrf(&me.session.csrf, &form.csrf)?;
    let (agency, actor, now) = (me.agent.agency_id, format!("agent:{}", me.agent.id), state.clock.now());
    state
        .db
        .write(move |store| store.cancel_report(ReportId(id), agency, &actor, now))
        .await
        .map_err(WebError::from)?;
    Ok(Redirect::to(&format!("/agent/reports/{id}")).into_response())
}

fn project_of<'a>(state: &'a AppState, id: &str) -> Result<&'a crate::config::deployment::ProjectConfig, WebError> {
    state.deployment.project(id).ok_or(WebError::NotFound)
}

/// The receipt of the visit this report led to (JSON download).
pub async fn receipt(
    State(state): State<AppState>,
    me: CurrentAgent,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let r = own_report(&state, &me, id).await?;
    super::super::ledger::receipt_of_report(&state, r.id).await
}
