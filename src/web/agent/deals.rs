//! The agency's deals on the agent's phone: its attributed deals (masked
//! phones), its performance of the month per project (with the daily
//! arrival rule), its settlement statements by month, and the channel's
//! deal confirmation (渠道成交客户确认单) — initiated here, shown as the
//! printable sheet. Only the agent's own agency's rows ever appear: another
//! agency's deal or sheet is "not found", and no page names another agency.
//!
//! A deal a dispute's ruling shared shows the agency's own share and the
//! dispute's number; the other side is 对方渠道 (or 现场), never named.
//! Where a ruling gave the agency a deal whose covering visit is another
//! agency's, none of that visit's evidence chain appears (agent, report,
//! visit record, times, receipt): 带看记录属对方渠道(依争议裁决 #id). A
//! confirmation sheet the other agency initiated before the ruling is not
//! this agency's: it initiates its own, which supersedes that one.

use super::super::AppState;
use super::super::confirmations::{Viewer, sheet};
use super::super::error::WebError;
use super::super::i18n::{Lang, Texts};
use super::super::performance::{month_end, percent, product_label, status_label, today, yuan};
use super::super::session::{CurrentAgent, check_csrf};
use super::super::settlement::{Reader, Statement, chosen_month, foreign_visit_note, month_bounds, statement};
use super::auth::CsrfForm;
use super::html;
use crate::store::performance::local_days;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/agent/deals", get(list))
        .route("/agent/deals/settlement", get(settlement))
        .route("/agent/deals/{id}/confirmation", get(confirmation).post(initiate))
}

/// How many deals the list shows.
const LISTED: u32 = 200;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MonthQuery {
    month: String,
}

/// The zone months are read in when no project says otherwise.
fn default_tz(state: &AppState) -> chrono_tz::Tz {
    state.deployment.projects.first().map(|p| p.rules.timezone).unwrap_or(chrono_tz::Asia::Shanghai)
}

/// A day the daily arrival rule flags.
struct FlagView {
    pub date: String,
    pub reports: i64,
    pub first_reads: i64,
}

/// The agency's month in one project.
struct Summary {
    pub project: String,
    pub reports: i64,
    pub first_reads: i64,
    pub arrival_rate: String,
    pub valid_visits: i64,
    pub subscriptions: i64,
    pub deals: i64,
    pub amount: String,
    pub conversion: String,
    pub flags: Vec<FlagView>,
}

/// One attributed deal, as the agency sees it (phone masked).
struct DealView {
    pub subscription_id: i64,
    pub project: String,
    pub customer: String,
    pub phone: String,
    pub unit: String,
    pub product: String,
    pub price: String,
    pub subscribed: String,
    pub status: String,
    pub performance: bool,
    pub cancelled: bool,
    /// The live confirmation sheet is this agency's own.
    pub confirmation: bool,
    /// The agency's share in percent (100 unless a ruling shared the deal).
    pub share: i64,
    /// The dispute whose ruling decided the deal (0: none).
    pub dispute_id: i64,
    /// The other side of a shared deal, unnamed: 对方渠道 or 现场 ("" when
    /// the deal is not shared), and its share.
    pub other: String,
    pub other_percent: i64,
    /// The confirmation sheet is this agency's to initiate (not the
    /// second agency's of a deal shared with another agency).
    pub may_initiate: bool,
    /// 带看记录属对方渠道(依争议裁决 #id) when the covering visit is not
    /// this agency's (empty otherwise).
    pub visit_note: String,
}

/// A month with channel-performance deals: its statement.
struct MonthLink {
    pub month: String,
    pub count: usize,
    pub amount: String,
}

#[derive(Template)]
#[template(path = "agent/deals.html")]
struct DealsPage {
    t: &'static Texts,
    lang: Lang,
    csrf: String,
    agency: String,
    agent: String,
    month: String,
    summaries: Vec<Summary>,
    deals: Vec<DealView>,
    months: Vec<MonthLink>,
    /// Unread dispute notices of the agency (the badge).
    disputes_unread: i64,
}

pub async fn list(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentAgent,
    Query(q): Query<MonthQuery>,
) -> Result<Html<String>, WebError> {
    let month = chosen_month(&q.month, today(&state, default_tz(&state)))?;
    let plans: Vec<(String, Vec<crate::store::performance::Day>)> = state
        .deployment
        .projects
        .iter()
        .map(|p| (p.id.clone(), local_days(p.rules.timezone, month, month_end(month))))
        .collect();
    let (agency_id, agency_name) = (me.agent.agency_id, me.agent.agency_name.clone());
    let (performances, deals, disputes_unread) = state
        .db
        .run(move |store| -> Result<_, WebError> {
            let unread = store.unread_dispute_notices(crate::store::disputes::Recipient::Agency(agency_id))?;
            let agency = store.agency(agency_id)?;
            let deals = store.attributed_deals_of_agency(agency_id, &agency_name, LISTED)?;
            let mut performances = Vec::new();
            for (pid, days) in &plans {
                if agency.reports_for(pid) || deals.iter().any(|d| &d.project_id == pid) {
                    performances.push((pid.clone(), store.channel_performance(pid, days, Some(agency_id))?));
                }
            }
            Ok((performances, deals, unread))
        })
        .await?;
    let summaries = performances
        .into_iter()
        .filter_map(|(pid, p)| {
            let t = p.totals();
            let empty = t.reports == 0 && t.valid_visits == 0 && t.subscriptions == 0 && p.flags.is_empty();
            (!empty).then(|| Summary {
                project: state.project_name(&pid),
                reports: t.reports,
                first_reads: t.first_reads,
                arrival_rate: percent(t.arrival_rate()),
                valid_visits: t.valid_visits,
                subscriptions: t.subscriptions,
                deals: t.deals,
                amount: yuan(t.deal_amount_fen),
                conversion: percent(t.conversion()),
                flags: p
                    .flags
                    .iter()
                    .map(|f| FlagView { date: f.date.to_string(), reports: f.reports, first_reads: f.first_reads })
                    .collect(),
            })
        })
        .collect();
    // The months with channel-performance deals, newest first (the
    // agency's share of each amount).
    let mut months: Vec<(String, usize, i64)> = Vec::new();
    for d in deals.iter().filter(|d| d.channel_performance && d.status != "cancelled") {
        let m = state.local_text(&d.project_id, &d.subscribed_at, "%Y-%m");
        let amount = d.share_amount(d.price_fen);
        match months.iter_mut().find(|x| x.0 == m) {
            Some(x) => {
                x.1 += 1;
                x.2 += amount;
            }
            None => months.push((m, 1, amount)),
        }
    }
    months.sort_by(|a, b| b.0.cmp(&a.0));
    let deals = deals
        .into_iter()
        .map(|d| DealView {
            confirmation: d.confirmation_is_of(agency_id),
            visit_note: if d.visit_is_of(agency_id) { String::new() } else { foreign_visit_note(&d, lang) },
            // The second side of a deal shared with the site (现场 holds
            // the first share) initiates: the sheet is the agency's then.
            may_initiate: !d.co_side || (d.co_agency_id.is_none() && d.co_agency.as_deref().is_none_or(str::is_empty)),
            other: match (d.co_percent, d.co_agency_id) {
                (0, None) => String::new(),
                (_, Some(_)) => lang.tr("对方渠道", "the other agency").to_owned(),
                (_, None) => lang.tr("现场", "the site").to_owned(),
            },
            other_percent: d.co_percent,
            share: d.share_percent,
            dispute_id: d.dispute_id.unwrap_or(0),
            subscription_id: d.subscription_id,
            project: state.project_name(&d.project_id),
            subscribed: state.local_text(&d.project_id, &d.subscribed_at, "%Y-%m-%d"),
            customer: d.customer_name,
            phone: d.masked_phone,
            unit: d.unit,
            product: product_label(&d.product, lang),
            price: yuan(d.price_fen),
            status: status_label(&d.status, lang),
            performance: d.channel_performance,
            cancelled: d.status == "cancelled",
        })
        .collect();
    html(DealsPage {
        t: lang.texts(),
        lang,
        csrf: me.session.csrf,
        agency: me.agent.agency_name,
        agent: me.agent.name,
        month: month.format("%Y-%m").to_string(),
        summaries,
        deals,
        months: months
            .into_iter()
            .map(|(month, count, amount)| MonthLink { month, count, amount: yuan(amount) })
            .collect(),
        disputes_unread,
    })
}

/// One project's statement of the month.
struct ProjectStatement {
    pub project: String,
    pub statement: Statement,
}

#[derive(Template)]
#[template(path = "agent/deals_settlement.html")]
struct SettlementPage {
    t: &'static Texts,
    lang: Lang,
    csrf: String,
    agency: String,
    month: String,
    sections: Vec<ProjectStatement>,
}

/// The agency's settlement statements of a month, one per project with
/// channel-performance deals.
pub async fn settlement(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentAgent,
    Query(q): Query<MonthQuery>,
) -> Result<Html<String>, WebError> {
    let month = chosen_month(&q.month, today(&state, default_tz(&state)))?;
    let plans: Vec<(String, (i64, i64))> =
        state.deployment.projects.iter().map(|p| (p.id.clone(), month_bounds(p.rules.timezone, month))).collect();
    let (agency_id, agency_name) = (me.agent.agency_id, me.agent.agency_name.clone());
    let found = state
        .db
        .run(move |store| -> Result<_, WebError> {
            let mut found = Vec::new();
            for (pid, (from, to)) in &plans {
                let deals = store.settlement_deals(pid, Some((agency_id, agency_name.as_str())), *from, *to)?;
                if !deals.is_empty() {
                    found.push((pid.clone(), deals));
                }
            }
            Ok(found)
        })
        .await?;
    let mut sections = Vec::new();
    for (pid, deals) in found {
        let Some(project) = state.deployment.project(&pid) else { continue };
        sections.push(ProjectStatement {
            project: project.name.clone(),
            statement: statement(&state, project, deals, Reader::Agency(agency_id), lang),
        });
    }
    html(SettlementPage {
        t: lang.texts(),
        lang,
        csrf: me.session.csrf,
        agency: me.agent.agency_name,
        month: month.format("%Y-%m").to_string(),
        sections,
    })
}

/// The channel initiates the confirmation of one of its deals (a POSTed
/// form with the session's CSRF token); then its sheet.
pub async fn initiate(
    State(state): State<AppState>,
    me: CurrentAgent,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    check_csrf(&me.session.csrf, &form.csrf)?;
    let (agency, actor, now) = (me.agent.agency_id, format!("agent:{}", me.agent.id), state.clock.now());
    state
        .db
        .write(move |store| store.initiate_deal_confirmation(id, agency, &actor, now))
        .await
        .map_err(WebError::from)?;
    Ok(Redirect::to(&format!("/agent/deals/{id}/confirmation")).into_response())
}

/// The agency's copy of the confirmation sheet of subscription `id`.
pub async fn confirmation(
    State(state): State<AppState>,
    me: CurrentAgent,
    Path(id): Path<i64>,
) -> Result<Html<String>, WebError> {
    let agency = me.agent.agency_id;
    let found = state.db.run(move |store| store.deal_confirmation_of(id)).await.map_err(WebError::from)?;
    let c = found.filter(|c| c.agency_id == agency).ok_or(WebError::NotFound)?;
    // A deal attributed to another agency since is not this agency's to read.
    let subscription = c.subscription_id;
    let in_force =
        state.db.run(move |store| store.deal_still_attributed(subscription, agency)).await.map_err(WebError::from)?;
    if !in_force {
        return Err(WebError::NotFound);
    }
    sheet(&state, c, Viewer::Agency).await
}
