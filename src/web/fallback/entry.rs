//! Entering a fallback report (补录) for an incident window — the agent from
//! the roster, the customer, the message's time and its screenshot — and
//! the report's page: the manual code and the QR code to send to the
//! agent, the screenshot kept as evidence.

use super::super::AppState;
use super::super::error::WebError;
use super::super::error_code::ErrorCode;
use super::super::i18n::Lang;
use super::super::listing::may_list;
use super::super::nav::StaffNav;
use super::super::session::{CurrentStaff, check_csrf};
use super::{PATH, actor, field_value, local_instant, shown};
use crate::config::deployment::ProjectConfig;
use crate::crypto::random_secret;
use crate::domain::name::CustomerName;
use crate::domain::phone::CustomerPhone;
use crate::service::fallback::{FallbackFiling, check_screenshot};
use crate::service::filing::token_of;
use crate::store::incidents::{ENTRY_GRACE_HOURS, FallbackEntry, FallbackReport, Incident, RosterAgent};
use crate::store::reports::NewReport;
use askama::Template;
use axum::extract::multipart::MultipartError;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

/// Fields a form may send (the screenshot and seven text fields).
const MAX_FIELDS: usize = 16;

/// The window `id`, if the viewer may see its project, and that project.
async fn incident_for<'a>(
    state: &'a AppState,
    me: &CurrentStaff,
    id: i64,
) -> Result<(Incident, &'a ProjectConfig), WebError> {
    may_list(me)?;
    let incident = state.db.run(move |store| store.incident(id)).await.map_err(WebError::from)?;
    if !me.sees(&incident.project_id) {
        return Err(WebError::NotFound);
    }
    let project = state.deployment.project(&incident.project_id).ok_or(WebError::NotFound)?;
    Ok((incident, project))
}

/// The form as typed (kept when it is shown again).
#[derive(Debug, Default)]
struct EntryForm {
    csrf: String,
    idem: String,
    agent: String,
    customer_name: String,
    customer_phone: String,
    message_at: String,
    note: String,
}

struct AgentOption {
    id: i64,
    name: String,
    selected: bool,
}

struct AgencyOption {
    name: String,
    agents: Vec<AgentOption>,
}

#[derive(Template)]
#[template(path = "staff/fallback_new.html")]
struct EntryPage {
    nav: StaffNav,
    project_id: String,
    project_name: String,
    incident_id: i64,
    from: String,
    to: String,
    why: String,
    entries_until: String,
    grace_hours: i64,
    /// Why nothing can be entered now (closed, over, not begun).
    closed: Option<String>,
    error: Option<String>,
    agencies: Vec<AgencyOption>,
    form: EntryForm,
    /// The window as `datetime-local` bounds.
    min: String,
    max: String,
    allow_masked: bool,
}

fn agencies(roster: Vec<RosterAgent>, selected: &str) -> Vec<AgencyOption> {
    let mut out: Vec<(i64, AgencyOption)> = Vec::new();
    for a in roster {
        let option = AgentOption { selected: a.id.to_string() == selected.trim(), id: a.id, name: a.name };
        let same_agency = out.last().is_some_and(|(agency, _)| *agency == a.agency_id);
        if !same_agency {
            out.push((a.agency_id, AgencyOption { name: a.agency_name, agents: Vec::new() }));
        }
        if let Some((_, group)) = out.last_mut() {
            group.agents.push(option);
        }
    }
    out.into_iter().map(|(_, g)| g).collect()
}

#[allow(clippy::too_many_arguments)]
async fn render_form(
    state: &AppState,
    me: &CurrentStaff,
    lang: Lang,
    incident: &Incident,
    project: &ProjectConfig,
    form: EntryForm,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let id = project.id.clone();
    let roster = state.db.run(move |store| store.fallback_roster(&id)).await.map_err(WebError::from)?;
    let page = EntryPage {
        nav: StaffNav::new(me, lang, PATH),
        project_id: project.id.clone(),
        project_name: project.name.clone(),
        incident_id: incident.id,
        from: shown(project, incident.from),
        to: shown(project, incident.to),
        why: incident.why.clone(),
        entries_until: shown(project, incident.entries_until()),
        grace_hours: ENTRY_GRACE_HOURS,
        closed: incident.check_open(state.clock.now()).err(),
        error,
        agencies: agencies(roster, &form.agent),
        min: field_value(project, incident.from),
        max: field_value(project, incident.to),
        allow_masked: project.rules.allow_masked_phone,
        form,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// The entry form of window `id`.
pub(super) async fn form(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let (incident, project) = incident_for(&state, &me, id).await?;
    let form = EntryForm { idem: random_secret(), ..EntryForm::default() };
    render_form(&state, &me, lang, &incident, project, form, None, StatusCode::OK).await
}

fn upload_error(e: MultipartError) -> WebError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        WebError::bad(
            ErrorCode::PayloadTooLarge,
            "上传内容过大:截图最多 5 MB / the upload is too large: the screenshot is at most 5 MB",
        )
    } else {
        WebError::bad(ErrorCode::BadRequest, "表单无法读取,请重试 / the form could not be read; try again")
    }
}

/// Reads the multipart form: its text fields and the screenshot's bytes.
async fn read_form(multipart: &mut Multipart) -> Result<(EntryForm, Vec<u8>), WebError> {
    let mut form = EntryForm::default();
    let mut shot = Vec::new();
    let mut fields = 0;
    while let Some(field) = multipart.next_field().await.map_err(upload_error)? {
        fields += 1;
        if fields > MAX_FIELDS {
            return Err(WebError::bad(ErrorCode::BadRequest, "表单字段过多 / too many form fields"));
        }
        let name = field.name().unwrap_or_default().to_owned();
        let bytes = field.bytes().await.map_err(upload_error)?;
        if name == "screenshot" {
            shot = bytes.to_vec();
            continue;
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        match name.as_str() {
            "csrf" => form.csrf = text,
            "idem" => form.idem = text,
            "agent" => form.agent = text,
            "customer_name" => form.customer_name = text,
            "customer_phone" => form.customer_phone = text,
            "message_at" => form.message_at = text,
            "note" => form.note = text,
            _ => {}
        }
    }
    Ok((form, shot))
}

/// The report and its fallback record as typed, checked field by field;
/// the error is for the manager.
async fn prepare(
    state: &AppState,
    me: &CurrentStaff,
    incident: &Incident,
    project: &ProjectConfig,
    form: &EntryForm,
    shot: Vec<u8>,
) -> Result<(NewReport, FallbackEntry), WebError> {
    let bad = |code: ErrorCode, e: &dyn ToString| WebError::bad(code, e.to_string());
    let agent_id: i64 =
        form.agent.trim().parse().map_err(|_| {
            WebError::bad(ErrorCode::UnknownAgent, "请选择报备的经纪人 / choose the agent who reported")
        })?;
    let id = project.id.clone();
    let roster = state.db.run(move |store| store.fallback_roster(&id)).await.map_err(WebError::from)?;
    if !roster.iter().any(|a| a.id == agent_id) {
        return Err(WebError::bad(ErrorCode::UnknownAgent, "请选择报备的经纪人 / choose the agent who reported"));
    }
    let customer_name = CustomerName::parse(&form.customer_name).map_err(|e| bad(ErrorCode::BadName, &e))?;
    let customer_phone = CustomerPhone::parse(&form.customer_phone, project.rules.allow_masked_phone)
        .map_err(|e| bad(ErrorCode::BadPhone, &e))?;
    let message_at = local_instant(project, &form.message_at).ok_or_else(|| {
        WebError::bad(
            ErrorCode::Invalid,
            "请填写微信群消息的发送时间(年-月-日 时:分) / give the time the group message was sent (date and time)",
        )
    })?;
    incident.check_entry(message_at, state.clock.now()).map_err(|m| WebError::bad(ErrorCode::Invalid, m))?;
    let note = form.note.trim();
    if note.chars().count() > 200 {
        return Err(WebError::bad(ErrorCode::Invalid, "备注最多 200 字 / the note has at most 200 characters"));
    }
    let shot = tokio::task::spawn_blocking(move || check_screenshot(shot))
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?
        .map_err(|e| bad(ErrorCode::Invalid, &e))?;
    let idem = form.idem.trim();
    let new = NewReport {
        project_id: project.id.clone(),
        agent_id,
        customer_name,
        customer_phone,
        expected_arrival: None,
        party_size: None,
        note: (!note.is_empty()).then(|| note.to_owned()),
        idempotency_key: (!idem.is_empty()).then(|| format!("fallback:{}:{idem}", me.staff.id)),
        demo: state.demo,
    };
    Ok((new, crate::service::fallback::entry(incident.id, message_at, shot, actor(me))))
}

/// Enters a report of window `id` (multipart: the fields and the
/// screenshot).
pub(super) async fn file(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Path(id): Path<i64>,
    mut multipart: Multipart,
) -> Result<Response, WebError> {
    let (incident, project) = incident_for(&state, &me, id).await?;
    let (form, shot) = read_form(&mut multipart).await?;
    check_csrf(&me.session.csrf, &form.csrf)?;
    let outcome = match prepare(&state, &me, &incident, project, &form, shot).await {
        Ok((new, entry)) => {
            let filing = FallbackFiling::new(project, &state.key_ring, state.clock.now());
            state.db.write(move |store| filing.file(store, new, &entry).map_err(WebError::from)).await
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok(entered) => {
            Ok(Redirect::to(&format!("/staff/fallback/reports/{}?done=entered", entered.report.id.0)).into_response())
        }
        Err(e @ WebError::Refused { .. }) => {
            let status = e.status();
            render_form(&state, &me, lang, &incident, project, form, Some(e.to_string()), status).await
        }
        Err(e) => Err(e),
    }
}

/// A fallback report the viewer may see, and its project.
async fn fallback_for<'a>(
    state: &'a AppState,
    me: &CurrentStaff,
    id: i64,
) -> Result<(FallbackReport, &'a ProjectConfig), WebError> {
    may_list(me)?;
    let found = state.db.run(move |store| store.fallback_report(id)).await.map_err(WebError::from)?;
    let found = found.ok_or(WebError::NotFound)?;
    if !me.sees(&found.report.project_id) {
        return Err(WebError::NotFound);
    }
    let project = state.deployment.project(&found.report.project_id).ok_or(WebError::NotFound)?;
    Ok((found, project))
}

#[derive(Template)]
#[template(path = "staff/fallback_report.html")]
struct ReportPage {
    nav: StaffNav,
    notice: Option<&'static str>,
    project_id: String,
    project_name: String,
    id: i64,
    incident_id: i64,
    message_at: String,
    entered_by: String,
    entered_at: String,
    agency: String,
    agent: String,
    customer: String,
    phone: String,
    status_label: &'static str,
    manual_code: String,
    qr_available: bool,
    not_before: String,
    valid_until: String,
    screenshot_mime: String,
    screenshot_kb: i64,
    screenshot_sha256: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Done {
    done: String,
}

/// The entered report: what to send to the agent, and the evidence.
pub(super) async fn show(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Query(q): Query<Done>,
) -> Result<Response, WebError> {
    let (f, project) = fallback_for(&state, &me, id).await?;
    let r = &f.report;
    let page = ReportPage {
        nav: StaffNav::new(&me, lang, PATH),
        notice: (q.done == "entered").then(|| {
            lang.tr(
                "已补录。请把二维码或手动码发给经纪人,到访时在判客岗出示。",
                "Entered. Send the QR code or the manual code to the agent, to show at the desk.",
            )
        }),
        project_id: project.id.clone(),
        project_name: project.name.clone(),
        id: r.id.0,
        incident_id: f.incident_id,
        message_at: shown(project, f.message_at),
        entered_by: match &f.entered_by_name {
            Some(n) => format!("{n} ({})", f.entered_by),
            None => f.entered_by.clone(),
        },
        entered_at: state.local_text(&project.id, &f.entered_at, "%Y-%m-%d %H:%M"),
        agency: r.agency_name.clone(),
        agent: r.agent_name.clone(),
        customer: r.customer_name.to_string(),
        phone: r.customer_phone.masked().to_string(),
        status_label: lang.status_label(r.status),
        manual_code: r.manual_code.to_string(),
        qr_available: token_of(&state.key_ring, r).is_some(),
        not_before: shown(project, r.filed_at + project.rules.min_gap),
        valid_until: project.rules.report_valid_until(r.filed_at).format("%Y-%m-%d %H:%M").to_string(),
        screenshot_mime: f.screenshot_mime.clone(),
        screenshot_kb: (f.screenshot_bytes + 1023) / 1024,
        screenshot_sha256: f.screenshot_sha256.clone(),
    };
    Ok(Html(page.render()?).into_response())
}

pub(super) async fn qr_png(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let (f, _) = fallback_for(&state, &me, id).await?;
    super::super::qr::qr_response(token_of(&state.key_ring, &f.report), false)
}

pub(super) async fn screenshot(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    fallback_for(&state, &me, id).await?;
    let (bytes, mime) = state.db.run(move |store| store.fallback_screenshot(id)).await.map_err(WebError::from)?;
    Ok((
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
            (header::CONTENT_DISPOSITION, format!("inline; filename=\"panke-fallback-{id}\"")),
        ],
        bytes,
    )
        .into_response())
}
