//! The back office's disputes list (争议处理), for managers (their project)
//! and admins (every project): first what is due — the deadline list, most
//! urgent first, overdue steps highlighted — then every dispute by status.
//! Reading the list marks nothing read. Also what the other staff pages
//! share: who may open them, the dispute a staff member may see, the
//! parties' names, the navigation with its count.

use crate::config::deployment::ProjectConfig;
use crate::domain::dispute::Status;
use crate::service::disputes::deadline_list;
use crate::store::disputes::{Dispute, DisputeFilter};
use crate::web::AppState;
use crate::web::error::WebError;
use crate::web::i18n::Lang;
use crate::web::listing::may_list;
use crate::web::nav::StaffNav;
use crate::web::session::CurrentStaff;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

/// The navigation entry of every dispute page.
pub(super) const NAV: &str = "/staff/disputes";

/// The most disputes the list reads (a sales office has dozens).
const LIST_LIMIT: u32 = 500;

/// The dispute `id` if this staff member may see it: managers and admins
/// only (anyone else: 403), of the dispute's project (another project's
/// manager: 404, so its existence is not revealed).
pub(super) async fn visible(state: &AppState, me: &CurrentStaff, id: i64) -> Result<Dispute, WebError> {
    may_list(me)?;
    let dispute = state.db.run(move |store| store.dispute(id)).await.map_err(WebError::from)?;
    if !me.sees(&dispute.project_id) {
        return Err(WebError::NotFound);
    }
    Ok(dispute)
}

/// The project's configuration, if this staff member may see the project
/// (another project's, or one no longer configured: 404).
pub(super) fn visible_project<'a>(
    state: &'a AppState,
    me: &CurrentStaff,
    project_id: &str,
) -> Result<&'a ProjectConfig, WebError> {
    if !me.sees(project_id) {
        return Err(WebError::NotFound);
    }
    state.deployment.project(project_id).ok_or(WebError::NotFound)
}

/// The frame of a dispute page (its badge comes with the session).
pub(super) fn nav(me: &CurrentStaff, lang: Lang) -> StaffNav {
    StaffNav::new(me, lang, NAV)
}

/// A party as staff read it: the agency's name, 现场 for the site itself.
pub(super) fn party(name: Option<&str>, lang: Lang) -> String {
    name.map(str::to_owned).unwrap_or_else(|| lang.tr("现场", "the site").to_owned())
}

/// How long is left: 逾期 N 天 / 今天到期 / 还剩 N 天, or that the date is
/// not known yet (no deposit or down payment entered).
pub(super) fn days_words(days_left: Option<i64>, lang: Lang) -> String {
    let (zh, en) = match days_left {
        Some(d) if d < 0 => (format!("逾期 {} 天", -d), format!("{} days overdue", -d)),
        Some(0) => ("今天到期".to_owned(), "due today".to_owned()),
        Some(d) => (format!("还剩 {d} 天"), format!("{d} days left")),
        None => ("日期未定".to_owned(), "date not known yet".to_owned()),
    };
    lang.tr(&zh, &en).to_owned()
}

/// What the dispute is about, in a few words.
pub(super) fn subject_words(d: &Dispute, lang: Lang) -> String {
    let mut parts = Vec::new();
    if let Some(s) = d.subscription_id {
        parts.push(format!("{} #{s}", lang.tr("认购", "deal")));
    }
    if let Some(v) = d.visit_seq {
        parts.push(format!("{} No. {v}", lang.tr("带看", "visit")));
    }
    if parts.is_empty() { "—".to_owned() } else { parts.join(" · ") }
}

/// One line of the deadline list.
struct DueRow {
    id: i64,
    project: String,
    customer: String,
    claimant: String,
    respondent: String,
    waits: &'static str,
    due: String,
    days: String,
    overdue: bool,
    /// Due today or tomorrow.
    soon: bool,
}

/// One dispute of the list below.
struct DisputeRow {
    id: i64,
    project: String,
    opened: String,
    customer: String,
    claimant: String,
    respondent: String,
    subject: String,
    kind: &'static str,
    status: &'static str,
    status_label: &'static str,
}

/// A status tab with its count.
struct Tab {
    href: String,
    label: &'static str,
    count: usize,
    current: bool,
}

#[derive(Template)]
#[template(path = "disputes/staff_list.html")]
struct ListPage {
    nav: StaffNav,
    is_admin: bool,
    dues: Vec<DueRow>,
    tabs: Vec<Tab>,
    rows: Vec<DisputeRow>,
    /// The list reached its limit: older disputes are not shown.
    truncated: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ListQuery {
    status: String,
}

/// `GET /staff/disputes`: the deadlines, then every dispute by status.
pub(super) async fn list(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    may_list(&me)?;
    let filter = DisputeFilter { project_id: me.staff.project_id.clone(), agency_id: None, statuses: Vec::new() };
    let (deployment, now) = (state.deployment.clone(), state.clock.now());
    let (dues, all) = state
        .db
        .run(move |store| -> Result<_, WebError> {
            let dues = deadline_list(store, &deployment, &filter, now)?;
            let all = store.disputes(&filter, LIST_LIMIT)?;
            Ok((dues, all))
        })
        .await?;
    let chosen = Status::parse(q.status.trim());
    let dues = dues
        .into_iter()
        .map(|due| {
            let d = &due.dispute;
            DueRow {
                id: d.id,
                project: state.project_name(&d.project_id),
                customer: d.masked_phone.clone(),
                claimant: party(d.claimant.as_deref(), lang),
                respondent: party(d.respondent.as_deref(), lang),
                waits: lang.tr(due.next.zh(), due.next.en()),
                due: due.next.due().map(|day| day.format("%Y-%m-%d").to_string()).unwrap_or_else(|| "—".to_owned()),
                days: days_words(due.days_left, lang),
                overdue: due.overdue(),
                soon: due.days_left.is_some_and(|n| (0..=1).contains(&n)),
            }
        })
        .collect();
    let mut tabs =
        vec![Tab {
            href: NAV.to_owned(), label: lang.tr("全部", "All"), count: all.len(), current: chosen.is_none()
        }];
    tabs.extend(Status::ALL.into_iter().map(|s| Tab {
        href: format!("{NAV}?status={}", s.code()),
        label: lang.tr(s.zh(), s.en()),
        count: all.iter().filter(|d| d.status == s).count(),
        current: chosen == Some(s),
    }));
    let truncated = all.len() == LIST_LIMIT as usize;
    let rows = all
        .iter()
        .filter(|d| chosen.is_none_or(|s| d.status == s))
        .map(|d| DisputeRow {
            id: d.id,
            project: state.project_name(&d.project_id),
            opened: state.local_text(&d.project_id, &d.opened_at, "%Y-%m-%d %H:%M"),
            customer: d.masked_phone.clone(),
            claimant: party(d.claimant.as_deref(), lang),
            respondent: party(d.respondent.as_deref(), lang),
            subject: subject_words(d, lang),
            kind: lang.tr(d.claim_kind.zh(), d.claim_kind.en()),
            status: d.status.code(),
            status_label: lang.tr(d.status.zh(), d.status.en()),
        })
        .collect();
    let page = ListPage { nav: nav(&me, lang), is_admin: me.staff.project_id.is_none(), dues, tabs, rows, truncated };
    Ok((StatusCode::OK, Html(page.render()?)).into_response())
}
