//! Disputes (异议 / 申诉) on the agent's phone: the agency's notices and
//! disputes (`/agent/disputes`), raising an objection from one of its
//! reports or deals (`new`), and one dispute's page — claim, deadlines,
//! the agency's own evidence with the upload form, the customer's timeline
//! as the agency may read it, the ruling, appeal and withdrawal (`detail`).
//!
//! Only disputes the agent's agency is a party to ever appear; any other
//! is "not found". No page names the other agency (对方渠道) or shows its
//! evidence. The periods are checked by the store at the server's clock;
//! a late step is refused with the date it was due by.

mod detail;
mod new;

use super::super::AppState;
use super::super::dispute_api::{Side, Standing, UPLOAD_LIMIT, standing};
use super::super::error::WebError;
use super::super::i18n::{Lang, Texts};
use super::super::session::CurrentAgent;
use super::html;
use crate::domain::dispute::Status;
use crate::store::disputes::{Dispute, DisputeFilter, Recipient};
use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::response::Html;
use axum::routing::{get, post};
use chrono::{DateTime, Utc};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/agent/disputes", get(list).post(new::open))
        .route("/agent/disputes/new", get(new::form))
        .route("/agent/disputes/{id}", get(detail::show))
        .route("/agent/disputes/{id}/evidence", post(detail::upload).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)))
        .route("/agent/disputes/{id}/evidence/{eid}", get(detail::download))
        .route("/agent/disputes/{id}/appeal", post(detail::appeal))
        .route("/agent/disputes/{id}/withdraw", post(detail::withdraw))
}

/// How many disputes and notices the list shows.
const LISTED: u32 = 100;
const NOTICES: u32 = 50;

fn status_class(s: Status) -> &'static str {
    match s {
        Status::Open => "pending",
        Status::Ruled => "valid",
        Status::Appealed => "invalid",
        Status::Closed | Status::Withdrawn => "closed",
    }
}

fn status_label(s: Status, lang: Lang) -> &'static str {
    lang.tr(s.zh(), s.en())
}

/// What a dispute waits for, by when, and how many days are left.
struct Waits {
    what: &'static str,
    due: String,
    left: String,
    overdue: bool,
}

fn waits(s: &Standing, lang: Lang) -> Waits {
    let due = s.next.due().map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_else(|| "—".to_owned());
    let left = match (s.days_left, lang) {
        (None, _) => String::new(),
        (Some(0), _) => lang.tr("今天截止", "due today").to_owned(),
        (Some(n), Lang::Zh) if n < 0 => format!("已逾期 {} 天", -n),
        (Some(n), Lang::En) if n < 0 => format!("overdue by {} days", -n),
        (Some(n), Lang::Zh) => format!("剩 {n} 天"),
        (Some(n), Lang::En) => format!("{n} days left"),
    };
    Waits { what: lang.tr(s.next.zh(), s.next.en()), due, left, overdue: s.days_left.is_some_and(|n| n < 0) }
}

/// Our side in words: 我方申诉 / 对方申诉 (against us or the site).
fn our_role(d: &Dispute, me: i64, lang: Lang) -> &'static str {
    match Side::of(d.claimant_agency_id, me) {
        Side::Us => lang.tr("我方提出", "raised by us"),
        Side::Other => lang.tr("对方渠道提出", "raised by the other agency"),
        Side::Site => lang.tr("案场提出", "raised by the sales office"),
    }
}

struct NoticeRow {
    dispute_id: i64,
    text: &'static str,
    at: String,
    unread: bool,
}

struct DisputeRow {
    id: i64,
    project: String,
    phone: String,
    kind: &'static str,
    role: &'static str,
    status: &'static str,
    status_class: &'static str,
    waits: Waits,
}

#[derive(Template)]
#[template(path = "agent/disputes.html")]
struct DisputesPage {
    t: &'static Texts,
    lang: Lang,
    csrf: String,
    agency: String,
    agent: String,
    unread: usize,
    notices: Vec<NoticeRow>,
    disputes: Vec<DisputeRow>,
}

/// A UTC stamp in the project's local time.
fn local(state: &AppState, project_id: &str, stamp: &str) -> String {
    state.local_text(project_id, stamp, "%Y-%m-%d %H:%M")
}

fn dispute_row(state: &AppState, d: &Dispute, me: i64, lang: Lang, now: DateTime<Utc>) -> DisputeRow {
    DisputeRow {
        id: d.id,
        project: state.project_name(&d.project_id),
        phone: d.masked_phone.clone(),
        kind: lang.tr(d.claim_kind.zh(), d.claim_kind.en()),
        role: our_role(d, me, lang),
        status: status_label(d.status, lang),
        status_class: status_class(d.status),
        waits: waits(&standing(state, d, now), lang),
    }
}

/// The agency's notices (unread first, each linking to its dispute) and
/// its disputes, newest first, with what each waits for.
pub async fn list(State(state): State<AppState>, lang: Lang, me: CurrentAgent) -> Result<Html<String>, WebError> {
    let agency = me.agent.agency_id;
    let (notices, disputes) = state
        .db
        .run(move |store| -> Result<_, WebError> {
            let notices = store.dispute_notices(Recipient::Agency(agency), NOTICES)?;
            let filter = DisputeFilter { agency_id: Some(agency), ..DisputeFilter::default() };
            Ok((notices, store.disputes(&filter, LISTED)?))
        })
        .await?;
    let now = state.clock.now();
    let project_of = |id: i64| disputes.iter().find(|d| d.id == id).map(|d| d.project_id.clone()).unwrap_or_default();
    let notices: Vec<NoticeRow> = notices
        .iter()
        .map(|n| NoticeRow {
            dispute_id: n.dispute_id,
            text: lang.tr(n.zh(), n.en()),
            at: local(&state, &project_of(n.dispute_id), &n.created_at),
            unread: !n.read,
        })
        .collect();
    html(DisputesPage {
        t: lang.texts(),
        lang,
        csrf: me.session.csrf,
        agency: me.agent.agency_name,
        agent: me.agent.name,
        unread: notices.iter().filter(|n| n.unread).count(),
        disputes: disputes.iter().map(|d| dispute_row(&state, d, agency, lang, now)).collect(),
        notices,
    })
}
