//! Agencies (渠道公司): the list, adding one, its page (contract end, the
//! projects it may report for, its roster and API keys), and the changes
//! to what it may report for (合作项目).

use super::super::AppState;
use super::super::error::WebError;
use super::super::i18n::Lang;
use super::super::listing::may_list;
use super::super::nav::StaffNav;
use super::super::session::{CurrentStaff, check_csrf};
use super::{Actor, ListQuery, ProjectChoice, chosen, local, notice, page, project_choices};
use crate::store::people::{Agency, AgentStatus};
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use serde::Deserialize;

/// A manager changes the roster and API keys of an agency that reports for
/// their project *only* (its agents and keys reach nothing else); an agency
/// shared with other projects is the admin's, as is every agency for an admin.
pub(super) fn may_manage(me: &CurrentStaff, agency: &Agency) -> Result<(), WebError> {
    match me.staff.project_id.as_deref() {
        None => Ok(()),
        Some(p) if exclusive_to(agency, p) => Ok(()),
        Some(_) => Err(WebError::Forbidden),
    }
}

/// The agency reports for `project` and no other.
fn exclusive_to(agency: &Agency, project: &str) -> bool {
    !agency.all_projects && agency.projects.iter().all(|p| p == project) && agency.reports_for(project)
}

/// Only an admin (an agency's contract is the deployment's, not a project's).
fn admin_only(me: &CurrentStaff) -> Result<(), WebError> {
    if me.staff.project_id.is_none() { Ok(()) } else { Err(WebError::Forbidden) }
}

fn parse_date(raw: &str) -> Result<Option<NaiveDate>, WebError> {
    match raw.trim() {
        "" => Ok(None),
        s => NaiveDate::parse_from_str(s, "%Y-%m-%d").map(Some).map_err(|_| {
            WebError::bad(
                super::super::error_code::ErrorCode::Invalid,
                "合同到期日应为日期 YYYY-MM-DD / the contract end is a date, YYYY-MM-DD",
            )
        }),
    }
}

/// Today in the viewer's project (Beijing for an admin).
fn today(state: &AppState, me: &CurrentStaff) -> NaiveDate {
    let tz = state.project_tz(me.staff.project_id.as_deref().unwrap_or(""));
    state.clock.now().with_timezone(&tz).date_naive()
}

struct Row {
    id: i64,
    name: String,
    contract_end: String,
    ended: bool,
    all_projects: bool,
    projects: String,
    partner_here: bool,
}

#[derive(Template)]
#[template(path = "staff/people/agencies.html")]
struct ListPage {
    nav: StaffNav,
    notice: Option<(&'static str, &'static str)>,
    error: Option<String>,
    is_admin: bool,
    rows: Vec<Row>,
    form_name: String,
    form_contract_end: String,
    project_choices: Vec<ProjectChoice>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AgencyForm {
    csrf: String,
    name: String,
    contract_end: String,
    /// An admin's choice: the one project it reports for; empty: every one.
    project: String,
}

async fn render_list(
    state: &AppState,
    me: &CurrentStaff,
    lang: Lang,
    form: &AgencyForm,
    done: &str,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let agencies = state.db.run(|store| store.agencies()).await.map_err(WebError::from)?;
    let date = today(state, me);
    let here = me.staff.project_id.clone().unwrap_or_default();
    let rows = agencies
        .iter()
        .map(|a| Row {
            id: a.id,
            name: a.name.clone(),
            contract_end: a.contract_end.map(|d| d.to_string()).unwrap_or_else(|| "—".into()),
            ended: a.contract_ended(date),
            all_projects: a.all_projects,
            projects: a.projects.iter().map(|p| state.project_name(p)).collect::<Vec<_>>().join("、"),
            partner_here: a.reports_for(&here),
        })
        .collect();
    let list = ListPage {
        nav: StaffNav::new(me, lang, "/staff/people/agencies"),
        notice: notice(done),
        error,
        is_admin: me.staff.project_id.is_none(),
        rows,
        form_name: form.name.clone(),
        form_contract_end: form.contract_end.clone(),
        project_choices: project_choices(state, &form.project),
    };
    page(&list, status)
}

pub async fn list(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    may_list(&me)?;
    render_list(&state, &me, lang, &AgencyForm::default(), &q.done, None, StatusCode::OK).await
}

/// Adds an agency: a manager's reports for their project only; an admin's
/// for the project chosen, or every project.
pub async fn add(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Form(form): Form<AgencyForm>,
) -> Result<Response, WebError> {
    may_list(&me)?;
    check_csrf(&me.session.csrf, &form.csrf)?;
    let project = match &me.staff.project_id {
        Some(own) if chosen(&form.project).is_some_and(|p| &p != own) => return Err(WebError::Forbidden),
        Some(own) => Some(own.clone()),
        None => chosen(&form.project),
    };
    let added = match parse_date(&form.contract_end) {
        Ok(end) => {
            let (actor, name, now) = (Actor::of(&me), form.name.clone(), state.clock.now());
            state
                .db
                .write(move |store| store.add_agency(&name, end, project.as_deref(), actor.by(), now))
                .await
                .map_err(WebError::from)
        }
        Err(e) => Err(e),
    };
    match added {
        Ok(id) => Ok(Redirect::to(&format!("/staff/people/agencies/{id}?done=added")).into_response()),
        Err(e @ WebError::Refused { .. }) => {
            render_list(&state, &me, lang, &form, "", Some(e.to_string()), e.status()).await
        }
        Err(e) => Err(e),
    }
}

/// What the agency page shows beyond the agency: the notice after a
/// change, or a refusal (its message and status) with what the forms held.
#[derive(Debug, Default)]
pub(super) struct Typed {
    pub done: String,
    pub error: Option<(String, StatusCode)>,
    pub agent_name: String,
    pub agent_phone: String,
    pub key_label: String,
    pub contract_end: Option<String>,
    /// The webhook address typed (a refused one).
    pub webhook_url: String,
}

impl Typed {
    /// The page after a refused change.
    pub(super) fn refused(e: &WebError) -> Typed {
        Typed { error: Some((e.to_string(), e.status())), ..Typed::default() }
    }
}

struct ProjectRow {
    id: String,
    name: String,
    partner: bool,
    /// This viewer may change it: their own project, or any for an admin.
    editable: bool,
}

struct RosterRow {
    id: i64,
    name: String,
    phone: String,
    status: &'static str,
    status_zh: &'static str,
    status_en: &'static str,
    badge: &'static str,
    joined: String,
    left: String,
    invite_until: String,
    on_roster: bool,
}

struct KeyRow {
    id: i64,
    label: String,
    prefix: String,
    created: String,
    revoked: String,
    live: bool,
}

#[derive(Template)]
#[template(path = "staff/people/agency.html")]
struct AgencyPage {
    nav: StaffNav,
    notice: Option<(&'static str, &'static str)>,
    error: Option<String>,
    id: i64,
    name: String,
    contract_end: String,
    contract_value: String,
    ended: bool,
    all_projects: bool,
    scope: String,
    projects: Vec<ProjectRow>,
    is_admin: bool,
    may_manage: bool,
    roster: Vec<RosterRow>,
    keys: Vec<KeyRow>,
    agent_name: String,
    agent_phone: String,
    key_label: String,
    webhooks: Vec<super::webhooks::EndpointRow>,
    deliveries: Vec<super::webhooks::DeliveryRow>,
    webhook_url: String,
}

fn roster_row(state: &AppState, project: Option<&str>, r: crate::store::people::RosterEntry) -> RosterRow {
    let (status_zh, status_en, badge) = match r.status {
        AgentStatus::Invited => ("已邀请,未激活", "Invited", "warn"),
        AgentStatus::Active => ("在册", "Active", "ok"),
        AgentStatus::Disabled => ("已停用", "Disabled", "danger"),
    };
    let invite_until = match r.status {
        AgentStatus::Invited => {
            super::local_unix(state, project.unwrap_or(""), r.invite_expires_unix, "%Y-%m-%d %H:%M")
        }
        _ => String::new(),
    };
    RosterRow {
        id: r.id,
        name: r.name,
        phone: r.phone_masked,
        status: r.status.code(),
        status_zh,
        status_en,
        badge,
        joined: local(state, project, Some(r.joined_at.as_str()), "%Y-%m-%d"),
        left: local(state, project, r.left_at.as_deref(), "%Y-%m-%d"),
        invite_until,
        on_roster: r.status != AgentStatus::Disabled,
    }
}

/// The agency's page (a refused change: `typed` says why, and what the
/// forms held).
pub(super) async fn render_agency(
    state: &AppState,
    me: &CurrentStaff,
    lang: Lang,
    id: i64,
    typed: Typed,
) -> Result<Response, WebError> {
    let (agency, roster, keys, (endpoints, log)) = state
        .db
        .run(move |store| -> Result<_, WebError> {
            let webhooks = (store.webhook_endpoints(id)?, store.webhook_log(id, super::webhooks::LOGGED)?);
            Ok((store.agency(id)?, store.agency_roster(id)?, store.api_keys(id)?, webhooks))
        })
        .await?;
    let project = me.staff.project_id.as_deref();
    let is_admin = project.is_none();
    let projects = state
        .deployment
        .projects
        .iter()
        .map(|p| ProjectRow {
            id: p.id.clone(),
            name: p.name.clone(),
            partner: agency.reports_for(&p.id),
            editable: is_admin || project == Some(p.id.as_str()),
        })
        .collect();
    let keys = keys
        .into_iter()
        .map(|k| KeyRow {
            id: k.id,
            label: k.label,
            prefix: k.prefix.map(|p| format!("{p}…")).unwrap_or_else(|| "—".into()),
            created: local(state, project, Some(k.created_at.as_str()), "%Y-%m-%d %H:%M"),
            live: k.revoked_at.is_none(),
            revoked: local(state, project, k.revoked_at.as_deref(), "%Y-%m-%d %H:%M"),
        })
        .collect();
    let (error, status) = match typed.error {
        Some((message, status)) => (Some(message), status),
        None => (None, StatusCode::OK),
    };
    let manages = may_manage(me, &agency).is_ok();
    let view = AgencyPage {
        nav: StaffNav::new(me, lang, &format!("/staff/people/agencies/{id}")),
        notice: notice(&typed.done),
        error,
        id,
        contract_end: agency.contract_end.map(|d| d.to_string()).unwrap_or_else(|| "—".into()),
        contract_value: typed
            .contract_end
            .unwrap_or_else(|| agency.contract_end.map(|d| d.to_string()).unwrap_or_default()),
        ended: agency.contract_ended(today(state, me)),
        all_projects: agency.all_projects,
        scope: agency.projects.iter().map(|p| state.project_name(p)).collect::<Vec<_>>().join("、"),
        projects,
        is_admin,
        may_manage: manages,
        // The roster and keys of an agency this manager does not manage
        // are not theirs to see either.
        roster: if manages { roster.into_iter().map(|r| roster_row(state, project, r)).collect() } else { Vec::new() },
        keys: if manages { keys } else { Vec::new() },
        webhooks: if manages { super::webhooks::endpoint_rows(state, endpoints) } else { Vec::new() },
        deliveries: if manages { super::webhooks::delivery_rows(state, log) } else { Vec::new() },
        webhook_url: typed.webhook_url,
        name: agency.name,
        agent_name: typed.agent_name,
        agent_phone: typed.agent_phone,
        key_label: typed.key_label,
    };
    page(&view, status)
}

pub async fn show(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    may_list(&me)?;
    render_agency(&state, &me, lang, id, Typed { done: q.done, ..Typed::default() }).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ProjectsForm {
    csrf: String,
    /// A project id, or `*`: every project (admins only).
    project: String,
    /// `1`: may report for it; `0`: may not.
    partner: String,
}

/// 合作项目: a manager lets the agency report for their project or stops
/// it; an admin does so for any project, or for every project at once.
pub async fn set_projects(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(form): Form<ProjectsForm>,
) -> Result<Response, WebError> {
    may_list(&me)?;
    check_csrf(&me.session.csrf, &form.csrf)?;
    let project = form.project.trim().to_owned();
    if !me.sees(&project) || (project == "*" && me.staff.project_id.is_some()) {
        return Err(WebError::Forbidden);
    }
    let partner = match form.partner.as_str() {
        "1" => true,
        "0" => false,
        _ => return Err(WebError::bad(super::super::error_code::ErrorCode::Invalid, "partner: 1 or 0")),
    };
    if partner && me.staff.project_id.is_some() {
        // Joining an agency that already reports elsewhere would hand this
        // manager its roster and keys, which reach the other projects.
        let agency = state.db.run(move |store| store.agency(id)).await.map_err(WebError::from)?;
        if agency.all_projects || agency.projects.iter().any(|p| p != &project) {
            return Err(WebError::bad(
                super::super::error_code::ErrorCode::Forbidden,
                "该渠道公司已与其他项目合作,请集团管理员开通 / this agency works with other projects: ask an admin to add yours",
            ));
        }
    }
    let (actor, now) = (Actor::of(&me), state.clock.now());
    let changed = state
        .db
        .write(move |store| {
            if project == "*" {
                store.set_agency_all_projects(id, partner, actor.by(), now)
            } else {
                store.set_agency_partner(id, &project, partner, actor.by(), now)
            }
        })
        .await
        .map_err(WebError::from)?;
    let done = if changed { "projects" } else { "unchanged" };
    Ok(Redirect::to(&format!("/staff/people/agencies/{id}?done={done}#projects")).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ContractForm {
    csrf: String,
    contract_end: String,
}

/// Sets or clears the contract end (委托代理期到期日): admins only.
pub async fn set_contract(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(form): Form<ContractForm>,
) -> Result<Response, WebError> {
    may_list(&me)?;
    admin_only(&me)?;
    check_csrf(&me.session.csrf, &form.csrf)?;
    let end = match parse_date(&form.contract_end) {
        Ok(end) => end,
        Err(e) => {
            let typed = Typed { contract_end: Some(form.contract_end.clone()), ..Typed::refused(&e) };
            return render_agency(&state, &me, lang, id, typed).await;
        }
    };
    let (actor, now) = (Actor::of(&me), state.clock.now());
    let deployment = state.deployment.clone();
    state
        .db
        .write(move |store| -> Result<(), crate::store::StoreError> {
            store.set_agency_contract_end(id, end, actor.by(), now)?;
            // The contract end decides AFTER_CONTRACT_GRACE: the agency's
            // deals are attributed again (a new ledger entry where it changes).
            let deals: Vec<(i64, String)> = store
                .conn()
                .prepare("SELECT subscription_id, project_id FROM attributions WHERE agency_id = ?1")?
                .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            for (subscription, project) in deals {
                if let Some(p) = deployment.project(&project) {
                    store.reattribute_subscription(subscription, &p.rules, "agency_contract", now)?;
                }
            }
            Ok(())
        })
        .await
        .map_err(WebError::from)?;
    Ok(Redirect::to(&format!("/staff/people/agencies/{id}?done=contract")).into_response())
}
