//! The channel's deal confirmation (渠道成交客户确认单) in the back office
//! and on the agency API.
//!
//! - `/staff/confirmations`: the project's sheets, pending and confirmed;
//!   a sales consultant of the project confirms (置业顾问确认), then a
//!   manager as the project's channel lead (项目渠道负责人确认). Each step
//!   is a POSTed form with the session's CSRF token, audited by the store.
//! - `/staff/confirmations/{id}/sheet`: the printable A4 sheet — project,
//!   agency, agent, customer (masked), unit, product, price and date, the
//!   visit it rests on (record number, arrival, verdict, protection end),
//!   both confirmations, the attribution's ledger entry and the visit
//!   record's receipt code with its QR. The agency's own copy is
//!   `/agent/deals/{subscription}/confirmation` (same template).
//! - `/api/v1/deals`, `/api/v1/deals/{subscription}/confirmation`: the
//!   agency's system lists its attributed deals (masked phones) and
//!   initiates or reads a confirmation with its bearer key.
//!
//! After a dispute's ruling moved (upheld) or shared (split) a deal, its
//! attribution still names the covering visit the rules found — possibly
//! another agency's. An agency's copy of the sheet and its API then carry
//! nothing of that visit (agent, report, visit record, times, verdict,
//! receipt code and QR): 带看记录属对方渠道(依争议裁决 #id) instead. The
//! staff see everything. A sheet the other agency initiated before the
//! ruling is superseded when the agency now holding the deal initiates its
//! own; the staff's list keeps it, marked.

use super::AppState;
use super::error::{ApiError, WebError};
use super::i18n::Lang;
use super::nav::StaffNav;
use super::performance::{product_label, status_label, yuan};
use super::session::{CurrentStaff, check_csrf};
use super::settlement::foreign_visit_note;
use crate::store::confirmations::{ConfirmStep, Confirmation};
use crate::store::people::Role;
use crate::store::performance::DealRow;
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/confirmations", get(list))
        .route("/staff/confirmations/{id}/sales", post(confirm_sales))
        .route("/staff/confirmations/{id}/lead", post(confirm_lead))
        .route("/staff/confirmations/{id}/sheet", get(staff_sheet))
        .route("/api/v1/deals", get(api_deals))
        .route("/api/v1/deals/{id}/confirmation", get(api_show).post(api_initiate))
}

/// How many sheets the list shows.
const LISTED: u32 = 200;

#[derive(Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
}

/// Who may open the list and the sheets: the project's managers and sales
/// consultants, and admins; desk clerks are refused.
fn may_see(me: &CurrentStaff) -> Result<(), WebError> {
    match me.staff.role {
        Role::Admin | Role::Manager | Role::Sales => Ok(()),
        Role::Desk => Err(WebError::Forbidden),
    }
}

/// A sheet's state in words.
pub(crate) fn state_label(c: &Confirmation, lang: Lang) -> &'static str {
    match (c.sales_confirmed_at.is_some(), c.lead_confirmed_at.is_some()) {
        (true, true) => lang.tr("已确认", "confirmed"),
        (true, false) => lang.tr("待渠道负责人确认", "awaiting the channel lead"),
        _ => lang.tr("待置业顾问确认", "awaiting the sales consultant"),
    }
}

/// Who initiated a sheet, in words.
fn initiator(c: &Confirmation) -> String {
    match &c.initiator_agent {
        Some(name) => format!("{}(经纪人 {name})", c.agency),
        None if c.initiated_by.starts_with("api:") => format!("{}(渠道系统 API)", c.agency),
        None => c.agency.clone(),
    }
}

struct ListRow {
    id: i64,
    subscription_id: i64,
    project: String,
    customer: String,
    phone: String,
    unit: String,
    price: String,
    subscribed: String,
    initiator: String,
    initiated_at: String,
    state: &'static str,
    sales_name: String,
    sales_at: String,
    lead_name: String,
    lead_at: String,
    sales_pending: bool,
    lead_pending: bool,
    in_force: bool,
    /// When the agency now holding the deal initiated its own sheet over
    /// this one (local time; empty: the live sheet).
    superseded: String,
}

/// Pending, confirmed or superseded sheets.
struct Section {
    id: &'static str,
    title_zh: &'static str,
    title_en: &'static str,
    rows: Vec<ListRow>,
}

#[derive(Template)]
#[template(path = "staff/confirmations.html")]
struct ConfirmationsPage {
    nav: StaffNav,
    sections: Vec<Section>,
    is_sales: bool,
    is_manager: bool,
}

async fn list(State(state): State<AppState>, lang: Lang, me: CurrentStaff) -> Result<Response, WebError> {
    may_see(&me)?;
    let project = me.staff.project_id.clone();
    let found = state
        .db
        .run(move |store| -> Result<_, WebError> {
            let mut out = Vec::new();
            for c in store.deal_confirmations(project.as_deref(), LISTED)? {
                let deal = match store.attributed_deal(c.subscription_id) {
                    Ok(d) => Some(d),
                    Err(crate::store::StoreError::NotFound(_)) => None,
                    Err(e) => return Err(e.into()),
                };
                let in_force = store.deal_still_attributed(c.subscription_id, c.agency_id)?;
                out.push((c, deal, in_force));
            }
            Ok(out)
        })
        .await?;
    let (mut pending, mut confirmed, mut superseded) = (Vec::new(), Vec::new(), Vec::new());
    for (c, deal, in_force) in found {
        let pid = c.project_id.clone();
        let local =
            |t: &Option<String>| t.as_deref().map(|t| state.local_text(&pid, t, "%Y-%m-%d %H:%M")).unwrap_or_default();
        let row = ListRow {
            id: c.id,
            subscription_id: c.subscription_id,
            project: state.project_name(&pid),
            customer: deal.as_ref().map(|d| d.customer_name.clone()).unwrap_or_default(),
            phone: deal.as_ref().map(|d| d.masked_phone.clone()).unwrap_or_default(),
            unit: deal.as_ref().map(|d| d.unit.clone()).unwrap_or_default(),
            price: deal.as_ref().map(|d| yuan(d.price_fen)).unwrap_or_default(),
            subscribed: deal.as_ref().map(|d| state.local_text(&pid, &d.subscribed_at, "%Y-%m-%d")).unwrap_or_default(),
            initiator: initiator(&c),
            initiated_at: state.local_text(&pid, &c.initiated_at, "%Y-%m-%d %H:%M"),
            state: state_label(&c, lang),
            sales_name: c.sales_name.clone().unwrap_or_default(),
            sales_at: local(&c.sales_confirmed_at),
            lead_name: c.lead_name.clone().unwrap_or_default(),
            lead_at: local(&c.lead_confirmed_at),
            sales_pending: c.sales_confirmed_at.is_none(),
            lead_pending: c.sales_confirmed_at.is_some() && c.lead_confirmed_at.is_none(),
            in_force: in_force && !c.superseded(),
            superseded: local(&c.superseded_at),
        };
        if c.superseded() {
            superseded.push(row);
        } else if c.confirmed() {
            confirmed.push(row);
        } else {
            pending.push(row);
        }
    }
    let page = ConfirmationsPage {
        nav: StaffNav::new(&me, lang, "/staff/confirmations"),
        sections: vec![
            Section { id: "pending", title_zh: "待确认", title_en: "Pending", rows: pending },
            Section { id: "confirmed", title_zh: "已确认", title_en: "Confirmed", rows: confirmed },
            Section {
                id: "superseded",
                title_zh: "已被取代(归属变更后由现归属渠道重新发起)",
                title_en: "Superseded (initiated again by the agency now holding the deal)",
                rows: superseded,
            },
        ],
        is_sales: me.staff.role == Role::Sales,
        is_manager: me.staff.role == Role::Manager,
    };
    Ok(Html(page.render()?).into_response())
}

async fn confirm_sales(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    confirm(state, me, id, form, ConfirmStep::Sales).await
}

async fn confirm_lead(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    confirm(state, me, id, form, ConfirmStep::Lead).await
}

/// A confirmation step: a sales consultant confirms as such, a manager as
/// the channel lead — of the sheet's own project; anyone else is refused.
async fn confirm(
    state: AppState,
    me: CurrentStaff,
    id: i64,
    form: CsrfForm,
    step: ConfirmStep,
) -> Result<Response, WebError> {
    check_csrf(&me.session.csrf, &form.csrf)?;
    let role = match step {
        ConfirmStep::Sales => Role::Sales,
        ConfirmStep::Lead => Role::Manager,
    };
    if me.staff.role != role {
        return Err(WebError::Forbidden);
    }
    let sheet = state.db.run(move |store| store.deal_confirmation(id)).await.map_err(WebError::from)?;
    if !me.sees(&sheet.project_id) {
        return Err(WebError::NotFound);
    }
    let (staff_id, now) = (me.staff.id, state.clock.now());
    state.db.write(move |store| store.confirm_deal_step(id, step, staff_id, now)).await.map_err(WebError::from)?;
    Ok(Redirect::to("/staff/confirmations").into_response())
}

/// Who is looking at a sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Viewer {
    /// Staff of the project (or an admin): everything, with links to the record.
    Staff,
    /// The sheet's own agency: nothing of the deal's attribution once it
    /// no longer names the agency, and nothing of a covering visit that is
    /// another agency's (a ruling gave the deal to this one).
    Agency,
}

#[derive(Template)]
#[template(path = "staff/confirmation_sheet.html")]
struct SheetPage {
    id: i64,
    back: String,
    project: String,
    agency: String,
    agent: String,
    customer: String,
    phone: String,
    unit: String,
    product: String,
    price: String,
    subscribed: String,
    subscribed_day: String,
    status: String,
    sales: String,
    in_force: bool,
    /// When another agency's sheet superseded this one (local time; empty:
    /// the live sheet).
    superseded: String,
    show_visit: bool,
    /// 带看记录属对方渠道(依争议裁决 #id): the agency's copy when the
    /// covering visit is not its own (empty otherwise).
    visit_note: String,
    /// The dispute whose ruling decided the deal (0: none).
    dispute_id: i64,
    links: bool,
    visit_seq: i64,
    report_id: i64,
    filed: String,
    first_read: String,
    arrived: String,
    visit_day: String,
    verdict: String,
    voided: bool,
    protected_until: String,
    initiator: String,
    initiated_at: String,
    sales_name: String,
    sales_at: String,
    lead_name: String,
    lead_at: String,
    attribution_seq: i64,
    receipt_code: String,
    qr_svg: String,
}

/// The printable sheet of confirmation `c` for `viewer` (the caller has
/// checked that the viewer may see it).
pub(crate) async fn sheet(state: &AppState, c: Confirmation, viewer: Viewer) -> Result<Html<String>, WebError> {
    let (sid, agency_id) = (c.subscription_id, c.agency_id);
    let (deal, in_force, protected_until, receipt) = state
        .db
        .run(move |store| -> Result<_, WebError> {
            let deal: DealRow = store.attributed_deal(sid)?;
            let in_force = store.deal_still_attributed(sid, agency_id)?;
            let (protected, receipt) = match deal.visit_seq {
                Some(seq) => (store.visit_protected_until(seq)?, store.receipt_for(seq).ok().map(|r| r.code())),
                None => (None, None),
            };
            Ok((deal, in_force, protected, receipt))
        })
        .await?;
    let pid = c.project_id.clone();
    let tz = state.project_tz(&pid);
    let local =
        |t: &Option<String>| t.as_deref().map(|t| state.local_text(&pid, t, "%Y-%m-%d %H:%M")).unwrap_or_default();
    let day = |t: &Option<String>| t.as_deref().map(|t| state.local_text(&pid, t, "%Y年%m月%d日")).unwrap_or_default();
    // The agency's copy shows the covering visit only when it is the
    // agency's own: a ruling may hold the deal for it over another
    // agency's visit (the attribution's `visit_seq` is the rules' result).
    let own_visit = match viewer {
        Viewer::Staff => true,
        Viewer::Agency => deal.visit_is_of(agency_id),
    };
    let show_visit = (in_force || viewer == Viewer::Staff) && own_visit;
    let visit_note = if own_visit { String::new() } else { foreign_visit_note(&deal, Lang::Zh) };
    let qr_svg = match (&receipt, show_visit) {
        (Some(code), true) => {
            crate::qr::svg(&super::ledger::receipt_url(state, code)).map_err(|e| WebError::Internal(e.to_string()))?
        }
        _ => String::new(),
    };
    let visit_instant = deal.arrived_at.clone().or_else(|| deal.visit_at.clone());
    let page = SheetPage {
        id: c.id,
        back: match viewer {
            Viewer::Staff => "/staff/confirmations".to_owned(),
            Viewer::Agency => "/agent/deals".to_owned(),
        },
        project: state.project_name(&pid),
        agency: c.agency.clone(),
        agent: if show_visit { deal.agent.clone().unwrap_or_default() } else { String::new() },
        customer: deal.customer_name.clone(),
        phone: deal.masked_phone.clone(),
        unit: deal.unit.clone(),
        product: product_label(&deal.product, Lang::Zh),
        price: yuan(deal.price_fen),
        subscribed: state.local_text(&pid, &deal.subscribed_at, "%Y-%m-%d %H:%M"),
        subscribed_day: state.local_text(&pid, &deal.subscribed_at, "%Y年%m月%d日"),
        status: status_label(&deal.status, Lang::Zh),
        sales: deal.sales_name.clone(),
        in_force: in_force && !c.superseded(),
        superseded: local(&c.superseded_at),
        show_visit,
        visit_note,
        dispute_id: deal.dispute_id.unwrap_or(0),
        links: viewer == Viewer::Staff,
        visit_seq: if show_visit { deal.visit_seq.unwrap_or(0) } else { 0 },
        report_id: if show_visit { deal.report_id.unwrap_or(0) } else { 0 },
        filed: if show_visit { local(&deal.filed_at) } else { String::new() },
        first_read: if show_visit { local(&deal.first_read_at) } else { String::new() },
        arrived: if show_visit { local(&visit_instant) } else { String::new() },
        visit_day: if show_visit { day(&visit_instant) } else { String::new() },
        verdict: match (show_visit, deal.verdict.as_deref()) {
            (true, Some("valid")) => "有效带看".to_owned(),
            (true, Some(_)) => "自然到访".to_owned(),
            _ => String::new(),
        },
        voided: show_visit && deal.visit_voided,
        protected_until: match (show_visit, protected_until) {
            (true, Some(t)) => t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
            _ => String::new(),
        },
        initiator: initiator(&c),
        initiated_at: state.local_text(&pid, &c.initiated_at, "%Y-%m-%d %H:%M"),
        sales_name: c.sales_name.clone().unwrap_or_default(),
        sales_at: local(&c.sales_confirmed_at),
        lead_name: c.lead_name.clone().unwrap_or_default(),
        lead_at: local(&c.lead_confirmed_at),
        attribution_seq: if in_force || viewer == Viewer::Staff { deal.attribution_seq } else { 0 },
        receipt_code: if show_visit { receipt.unwrap_or_default() } else { String::new() },
        qr_svg,
    };
    Ok(Html(page.render()?))
}

async fn staff_sheet(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Html<String>, WebError> {
    may_see(&me)?;
    let c = state.db.run(move |store| store.deal_confirmation(id)).await.map_err(WebError::from)?;
    if !me.sees(&c.project_id) {
        return Err(WebError::NotFound);
    }
    sheet(&state, c, Viewer::Staff).await
}

// ---- the agency API ----

/// The agency API key of a request (`Authorization: Bearer pk_…`), checked
/// against the database inside the handler's database job.
fn bearer(headers: &HeaderMap) -> Result<String, ApiError> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|k| k.trim().to_owned())
        .filter(|k| k.starts_with("pk_") && k.len() < 100)
        .ok_or(ApiError(WebError::SignIn { to: String::new() }))
}

fn key_agency(store: &crate::store::Store, key: &str) -> Result<i64, WebError> {
    store.agency_of_api_key(key)?.ok_or(WebError::SignIn { to: String::new() })
}

#[derive(Serialize)]
struct ConfirmationJson {
    id: i64,
    subscription_id: i64,
    project: String,
    /// `initiated`, `sales_confirmed` or `confirmed`.
    status: &'static str,
    /// The attribution in force still gives the deal to the agency.
    in_force: bool,
    initiated_at: String,
    sales_confirmed_at: Option<String>,
    lead_confirmed_at: Option<String>,
    /// The agent's page showing the printable sheet.
    sheet: String,
}

fn confirmation_json(c: &Confirmation, in_force: bool) -> ConfirmationJson {
    ConfirmationJson {
        id: c.id,
        subscription_id: c.subscription_id,
        project: c.project_id.clone(),
        status: match (c.sales_confirmed_at.is_some(), c.lead_confirmed_at.is_some()) {
            (true, true) => "confirmed",
            (true, false) => "sales_confirmed",
            _ => "initiated",
        },
        in_force,
        initiated_at: c.initiated_at.clone(),
        sales_confirmed_at: c.sales_confirmed_at.clone(),
        lead_confirmed_at: c.lead_confirmed_at.clone(),
        sheet: format!("/agent/deals/{}/confirmation", c.subscription_id),
    }
}

/// Initiates the confirmation of one of the agency's channel-performance
/// deals: 201 when initiated now, 200 when it already was; 404 for a
/// subscription not attributed to the agency.
async fn api_initiate(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let key = bearer(&headers)?;
    let now = state.clock.now();
    let (c, created, in_force) = state
        .db
        .write(move |store| -> Result<_, WebError> {
            let agency = key_agency(store, &key)?;
            let (c, created) = store.initiate_deal_confirmation(id, agency, &format!("api:agency:{agency}"), now)?;
            let in_force = store.deal_still_attributed(id, agency)?;
            Ok((c, created, in_force))
        })
        .await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(confirmation_json(&c, in_force))).into_response())
}

async fn api_show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let key = bearer(&headers)?;
    let (c, in_force) = state
        .db
        .run(move |store| -> Result<_, WebError> {
            let agency = key_agency(store, &key)?;
            let c = store.deal_confirmation_of(id)?.filter(|c| c.agency_id == agency).ok_or(WebError::NotFound)?;
            let in_force = store.deal_still_attributed(id, agency)?;
            Ok((c, in_force))
        })
        .await?;
    Ok(Json(confirmation_json(&c, in_force)).into_response())
}

#[derive(Serialize)]
struct DealJson {
    subscription_id: i64,
    project: String,
    customer_name: String,
    /// Always 前三后四: the API never returns a full number.
    customer_phone: String,
    unit: String,
    product: String,
    price_fen: i64,
    subscribed_at: String,
    status: String,
    channel_performance: bool,
    reasons: Vec<String>,
    /// The covering visit's record and instant: null when the visit is not
    /// the agency's own (`visit_owner` = `other`).
    visit_record: Option<i64>,
    visit_at: Option<String>,
    /// `own`: the covering visit is the agency's; `other`: a dispute's
    /// ruling holds the deal for the agency over a visit that is not its
    /// own (another agency's, never named).
    visit_owner: &'static str,
    /// 带看记录属对方渠道(依争议裁决 #id) when `visit_owner` is `other`.
    visit_note: Option<String>,
    /// The agency's own live confirmation sheet, if initiated.
    confirmation_id: Option<i64>,
    /// The agency's share of the deal in percent: 100, or what a dispute's
    /// ruling gave it.
    share_percent: i64,
    /// The dispute whose ruling decided the deal.
    dispute_id: Option<i64>,
    /// The other side of a deal a ruling shared, never named.
    shared_with: Option<SharedWith>,
}

#[derive(Serialize)]
struct SharedWith {
    /// `other_agency` (对方渠道) or `site` (现场).
    party: &'static str,
    percent: i64,
}

/// The agency's attributed deals, newest first (at most 500), with the
/// deals a ruling shared with it (its own share; the other side unnamed).
async fn api_deals(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let key = bearer(&headers)?;
    let (agency_id, deals) = state
        .db
        .run(move |store| -> Result<_, WebError> {
            let agency_id = key_agency(store, &key)?;
            let agency = store.agency(agency_id)?;
            Ok((agency_id, store.attributed_deals_of_agency(agency_id, &agency.name, 500)?))
        })
        .await?;
    let items: Vec<DealJson> = deals
        .into_iter()
        .map(|d| {
            let own_visit = d.visit_is_of(agency_id);
            DealJson {
                visit_owner: if own_visit { "own" } else { "other" },
                visit_note: (!own_visit).then(|| foreign_visit_note(&d, Lang::Zh)),
                confirmation_id: if d.confirmation_is_of(agency_id) { d.confirmation_id } else { None },
                subscription_id: d.subscription_id,
                project: d.project_id,
                customer_name: d.customer_name,
                customer_phone: d.masked_phone,
                unit: d.unit,
                product: d.product,
                price_fen: d.price_fen,
                subscribed_at: d.subscribed_at,
                status: d.status,
                channel_performance: d.channel_performance,
                // Whether the customer is staff family or bought before is not the
                // agency's to know: such reasons read WITHHELD.
                reasons: d
                    .reasons
                    .split(',')
                    .filter(|r| !r.is_empty())
                    .map(|r| if matches!(r, "EMPLOYEE" | "REPEAT_BUYER") { "WITHHELD" } else { r }.to_owned())
                    .collect(),
                visit_record: if own_visit { d.visit_seq } else { None },
                visit_at: if own_visit { d.visit_at } else { None },
                share_percent: d.share_percent,
                dispute_id: d.dispute_id,
                shared_with: match (d.co_percent, d.co_agency_id) {
                    (0, None) => None,
                    (percent, Some(_)) => Some(SharedWith { party: "other_agency", percent }),
                    (percent, None) => Some(SharedWith { party: "site", percent }),
                },
            }
        })
        .collect();
    Ok(Json(serde_json::json!({ "deals": items })).into_response())
}
