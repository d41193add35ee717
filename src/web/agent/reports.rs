//! A report's life on the agent's phone: list (tabs and search), show its
//! QR code and what became of it, cancel. Filing is `filing`.

use super::super::AppState;
use super::super::error::WebError;
use super::super::i18n::Lang;
use super::super::pages::{ReportPage, ReportRow, ReportTab, ReportsPage};
use super::super::session::{CurrentAgent, check_csrf};
use super::auth::CsrfForm;
use super::html;
use crate::domain::rules::Rules;
use crate::domain::token::ReportId;
use crate::service::filing::token_of;
use crate::store::reports::{CustomerSearch, ReportStatus, StoredReport};
use crate::web::qr::qr_response;
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;

pub use super::filing::{file, new_form};

pub fn status_class(s: ReportStatus) -> &'static str {
    match s {
        ReportStatus::Pending => "pending",
        ReportStatus::VisitedValid => "valid",
        ReportStatus::VisitedInvalid => "invalid",
        ReportStatus::Expired | ReportStatus::Cancelled | ReportStatus::Voided => "closed",
    }
}

/// The tabs of the list, after 全部 (已作废 only when there is one).
const TABS: [ReportStatus; 5] = [
    ReportStatus::Pending,
    ReportStatus::VisitedValid,
    ReportStatus::VisitedInvalid,
    ReportStatus::Expired,
    ReportStatus::Cancelled,
];

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    status: String,
}

/// `/agent/reports?status=…`: the agent's reports, a tab per status with
/// its count.
pub async fn list(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentAgent,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, WebError> {
    list_page(state, lang, me, &q.status, String::new()).await
}

#[derive(Deserialize)]
pub struct SearchForm {
    csrf: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
}

/// The list searched by customer (part of the name, the phone's last four
/// digits or the whole number). A POSTed form, never a query string: a
/// customer's name and digits stay out of URLs (the browser's and WeChat's
/// history, shared links, logs), as in the back office's lists.
pub async fn search(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentAgent,
    Form(form): Form<SearchForm>,
) -> Result<Html<String>, WebError> {
    check_csrf(&me.session.csrf, &form.csrf)?;
    let typed: String = form.q.trim().chars().take(40).collect();
    list_page(state, lang, me, &form.status, typed).await
}

async fn list_page(
    state: AppState,
    lang: Lang,
    me: CurrentAgent,
    status: &str,
    search: String,
) -> Result<Html<String>, WebError> {
    let status = ReportStatus::parse(status);
    let wanted = CustomerSearch::parse(&search);
    let (agent_id, agency_id) = (me.agent.id, me.agent.agency_id);
    let (reports, counts, disputes_unread) = state
        .db
        .run(move |store| -> Result<_, WebError> {
            let unread = store.unread_dispute_notices(crate::store::disputes::Recipient::Agency(agency_id))?;
            let reports = store.reports_of_agent_where(agent_id, status, wanted.as_ref(), 200)?;
            Ok((reports, store.report_counts_of_agent(agent_id)?, unread))
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
    let mut tabs =
        vec![ReportTab { code: "", label: lang.tr("全部", "All"), count: counts.total(), current: status.is_none() }];
    let voided = (counts.of(ReportStatus::Voided) > 0).then_some(ReportStatus::Voided);
    tabs.extend(TABS.into_iter().chain(voided).map(|s| ReportTab {
        code: s.code(),
        label: lang.status_label(s),
        count: counts.of(s),
        current: status == Some(s),
    }));
    html(ReportsPage {
        t: lang.texts(),
        lang,
        csrf: me.session.csrf,
        agency: me.agent.agency_name,
        agent: me.agent.name,
        rows,
        disputes_unread,
        tabs,
        status: status.map(ReportStatus::code).unwrap_or(""),
        search,
    })
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

/// The status the agent sees: a pending report past its validity has
/// expired already, before the periodic sweep marks it so.
pub fn shown_status(r: &StoredReport, rules: &Rules, now: DateTime<Utc>) -> ReportStatus {
    match r.status {
        ReportStatus::Pending
            if !rules.report_valid_at(r.filed_at, now.with_timezone(&rules.timezone).fixed_offset()) =>
        {
            ReportStatus::Expired
        }
        status => status,
    }
}

/// The report's page: its code while it waits for the visit, what became of
/// it after (`outcome`).
pub async fn show(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentAgent,
    wechat: super::pass::InWeChat,
    Path(id): Path<i64>,
) -> Result<Html<String>, WebError> {
    let r = own_report(&state, &me, id).await?;
    let project = state.deployment.project(&r.project_id).ok_or(WebError::NotFound)?;
    let status = shown_status(&r, &project.rules, state.clock.now());
    let outcome = super::outcome::outcome_of(&state, lang, &r, status, project).await?;
    let pending = status == ReportStatus::Pending;
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
        status_label: lang.status_label(status),
        status_class: status_class(status),
        pending,
        // A used, expired or cancelled report shows nothing scannable.
        qr_available: pending && token_of(&state.key_ring, &r).is_some(),
        // The pass card to save: the image is drawn from the same struct.
        pass: super::pass::SaveBlock::new(super::pass::pass_card(&state, &r, project), lang, wechat),
        outcome,
    })
}

/// The QR image of a report that still waits for its visit; a used,
/// expired or cancelled report's code is gone (410).
async fn live_code(state: &AppState, me: &CurrentAgent, id: i64, svg: bool) -> Result<Response, WebError> {
    let r = own_report(state, me, id).await?;
    let rules = &project_of(state, &r.project_id)?.rules;
    if shown_status(&r, rules, state.clock.now()) != ReportStatus::Pending {
        let gone = "该报备已到访、过期或撤销，二维码已失效。/ This report's code is no longer valid.";
        return Ok((StatusCode::GONE, [(header::CACHE_CONTROL, "no-store")], gone).into_response());
    }
    qr_response(token_of(&state.key_ring, &r), svg)
}

pub async fn qr_png(
    State(state): State<AppState>,
    me: CurrentAgent,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    live_code(&state, &me, id, false).await
}

pub async fn qr_svg(
    State(state): State<AppState>,
    me: CurrentAgent,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    live_code(&state, &me, id, true).await
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

pub(super) fn project_of<'a>(
    state: &'a AppState,
    id: &str,
) -> Result<&'a crate::config::deployment::ProjectConfig, WebError> {
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
