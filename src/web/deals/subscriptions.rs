//! The subscriptions (认购) with their attribution: the list (渠道业绩 yes
//! or no, the agency, the reasons in words, the amount), the entry form,
//! one subscription with every attribution entry the ledger holds for it
//! (why each was made, the covering visit linked to its record), and its
//! contract (签约) and cancellation (退订).

use super::super::AppState;
use super::super::error::WebError;
use super::super::i18n::Lang;
use super::super::listing::{day_start, full_phone_projects, may_list, next_page, text};
use super::super::nav::StaffNav;
use super::super::people::{Actor, ProjectChoice, page, project_choices};
use super::super::session::{CurrentStaff, check_csrf, url_escape};
use super::{cause_words, choose_project, money, project_for, reason_words};
use crate::service::ServiceError;
use crate::store::deals::{DealFilter, DealRow, DealStatus, Product, SalesRef, SubscriptionText};
use crate::store::people::Role;
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

const PAGE: u32 = 50;

/// An option of a select.
struct Choice {
    code: &'static str,
    zh: &'static str,
    en: &'static str,
    selected: bool,
}

/// One subscription in the list.
struct DealView {
    id: i64,
    project: String,
    subscribed: String,
    customer: String,
    phone: String,
    unit: String,
    product_zh: &'static str,
    product_en: &'static str,
    amount: String,
    status: &'static str,
    status_zh: &'static str,
    status_en: &'static str,
    /// Attributed at all (an attribution is in force).
    attributed: bool,
    performance: bool,
    agency: String,
    reasons: Vec<&'static str>,
}

fn product_words(code: &str) -> (&'static str, &'static str) {
    Product::parse(code).map(|p| (p.zh(), p.en())).unwrap_or(("—", "—"))
}

fn deal_view(state: &AppState, row: DealRow, lang: Lang) -> DealView {
    let s = row.subscription;
    let (product_zh, product_en) = product_words(&s.product);
    let attribution = row.attribution;
    DealView {
        id: s.id,
        project: state.project_name(&s.project_id),
        subscribed: state.local_text(&s.project_id, &s.subscribed_at, "%Y-%m-%d %H:%M"),
        customer: s.customer_name,
        phone: s.phone.masked().to_string(),
        unit: s.unit,
        product_zh,
        product_en,
        amount: money(s.price_fen),
        status: s.status.code(),
        status_zh: s.status.zh(),
        status_en: s.status.en(),
        attributed: attribution.is_some(),
        performance: attribution.as_ref().is_some_and(|a| a.channel_performance),
        agency: attribution.as_ref().and_then(|a| a.agency.clone()).unwrap_or_else(|| "—".to_owned()),
        reasons: attribution.as_ref().map(|a| reason_words(&a.reasons, lang)).unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "staff/deals/list.html")]
struct ListPage {
    nav: StaffNav,
    notice: Option<(&'static str, &'static str)>,
    is_admin: bool,
    projects: Vec<ProjectChoice>,
    statuses: Vec<Choice>,
    performance: Vec<Choice>,
    agency: String,
    from: String,
    to: String,
    rows: Vec<DealView>,
    /// The next page's address, when there is one.
    next: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    status: String,
    /// `yes` / `no` (渠道业绩).
    performance: String,
    agency: String,
    from: String,
    to: String,
    project: String,
    before: Option<i64>,
    done: String,
}

impl ListQuery {
    fn link(&self) -> String {
        [
            ("status", &self.status),
            ("performance", &self.performance),
            ("agency", &self.agency),
            ("from", &self.from),
            ("to", &self.to),
            ("project", &self.project),
        ]
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", url_escape(v.trim())))
        .collect::<Vec<_>>()
        .join("&")
    }
}

/// The subscriptions of the manager's project (an admin: every project's,
/// or one), newest first, 50 a page.
pub async fn list(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    may_list(&me)?;
    let project = match &me.staff.project_id {
        Some(own) => Some(own.clone()),
        None => text(&q.project).filter(|p| state.deployment.project(p).is_some()),
    };
    let filter = DealFilter {
        project,
        status: DealStatus::parse(q.status.trim()),
        performance: match q.performance.as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        },
        agency: text(&q.agency),
        from_unix: day_start(&me, &state, q.from.trim(), 0),
        to_unix: day_start(&me, &state, q.to.trim(), 1),
    };
    let before = q.before;
    let rows = state.db.run(move |store| store.deals_page(&filter, before, PAGE)).await.map_err(WebError::from)?;
    let next = next_page(&rows, PAGE, |r| r.subscription.id).map(|id| {
        let link = q.link();
        if link.is_empty() { format!("/staff/deals?before={id}") } else { format!("/staff/deals?{link}&before={id}") }
    });
    let mut statuses =
        vec![Choice { code: "", zh: "全部", en: "All", selected: DealStatus::parse(q.status.trim()).is_none() }];
    statuses.extend(DealStatus::ALL.iter().map(|s| Choice {
        code: s.code(),
        zh: s.zh(),
        en: s.en(),
        selected: s.code() == q.status.trim(),
    }));
    let performance = [("", "全部", "All"), ("yes", "是", "Yes"), ("no", "否", "No")]
        .into_iter()
        .map(|(code, zh, en)| Choice { code, zh, en, selected: code == q.performance.as_str() })
        .collect();
    let notice = match q.done.as_str() {
        "imported" => Some(("已导入。", "Imported.")),
        _ => None,
    };
    let view = ListPage {
        nav: StaffNav::new(&me, lang, "/staff/deals"),
        notice,
        is_admin: me.staff.project_id.is_none(),
        projects: project_choices(&state, q.project.trim()),
        statuses,
        performance,
        agency: q.agency.clone(),
        from: q.from.clone(),
        to: q.to.clone(),
        rows: rows.into_iter().map(|r| deal_view(&state, r, lang)).collect(),
        next,
    };
    page(&view, StatusCode::OK)
}

/// The entry form as typed (kept when it comes back with an error).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct DealForm {
    csrf: String,
    project: String,
    customer_name: String,
    customer_phone: String,
    unit: String,
    product: String,
    price_yuan: String,
    subscribed_at: String,
    deposit_at: String,
    down_payment_at: String,
    sales_id: String,
    external_id: String,
}

impl DealForm {
    fn text(&self) -> SubscriptionText {
        SubscriptionText {
            customer_name: self.customer_name.clone(),
            customer_phone: self.customer_phone.clone(),
            unit: self.unit.clone(),
            product: self.product.clone(),
            price_yuan: self.price_yuan.clone(),
            subscribed_at: self.subscribed_at.clone(),
            deposit_at: self.deposit_at.clone(),
            down_payment_at: self.down_payment_at.clone(),
            external_id: self.external_id.clone(),
        }
    }
}

/// A sales consultant the form offers.
struct Consultant {
    id: i64,
    name: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "staff/deals/new.html")]
struct NewPage {
    nav: StaffNav,
    error: Option<String>,
    /// The project the subscription goes to; `None`: an admin chooses first.
    project: Option<String>,
    project_name: String,
    projects: Vec<ProjectChoice>,
    products: Vec<Choice>,
    consultants: Vec<Consultant>,
    form: DealForm,
}

async fn render_new(
    state: &AppState,
    me: &CurrentStaff,
    lang: Lang,
    project: Option<String>,
    form: DealForm,
    error: Option<(String, StatusCode)>,
) -> Result<Response, WebError> {
    let consultants = match &project {
        Some(p) => {
            let pid = p.clone();
            state.db.run(move |store| store.project_staff(&pid, Role::Sales)).await.map_err(WebError::from)?
        }
        None => Vec::new(),
    };
    let (error, status) = match error {
        Some((message, status)) => (Some(message), status),
        None => (None, StatusCode::OK),
    };
    let view = NewPage {
        nav: StaffNav::new(me, lang, "/staff/deals"),
        error,
        project_name: project.as_deref().map(|p| state.project_name(p)).unwrap_or_default(),
        projects: project_choices(state, project.as_deref().unwrap_or("")),
        products: Product::ALL
            .iter()
            .map(|p| Choice { code: p.code(), zh: p.zh(), en: p.en(), selected: p.code() == form.product })
            .collect(),
        consultants: consultants
            .into_iter()
            .map(|s| Consultant { selected: s.id.to_string() == form.sales_id.trim(), id: s.id, name: s.name })
            .collect(),
        project,
        form,
    };
    page(&view, status)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewQuery {
    project: String,
}

/// The entry form (an admin first chooses the project).
pub async fn new_form(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Query(q): Query<NewQuery>,
) -> Result<Response, WebError> {
    may_list(&me)?;
    let project = project_for(&state, &me, &q.project)?;
    render_new(&state, &me, lang, project, DealForm::default(), None).await
}

/// Enters the subscription and attributes it; on to its page.
pub async fn create(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Form(form): Form<DealForm>,
) -> Result<Response, WebError> {
    may_list(&me)?;
    check_csrf(&me.session.csrf, &form.csrf)?;
    let Some(project) = project_for(&state, &me, &form.project)? else {
        let error = Some((choose_project(), StatusCode::UNPROCESSABLE_ENTITY));
        return render_new(&state, &me, lang, None, form, error).await;
    };
    let rules = state.deployment.project(&project).map(|p| p.rules.clone()).ok_or(WebError::NotFound)?;
    let sales = form.sales_id.trim().parse::<i64>().ok().map(SalesRef::Staff);
    let (actor, now, text, pid) = (Actor::of(&me), state.clock.now(), form.text(), project.clone());
    let result = state
        .db
        .write(move |store| {
            crate::service::deals::enter(store, &pid, &rules, &text, sales, actor.who(), actor.by(), now)
        })
        .await;
    match result {
        Ok(entered) => {
            let done = if entered.created { "entered" } else { "existing" };
            Ok(Redirect::to(&format!("/staff/deals/{}?done={done}", entered.id)).into_response())
        }
        Err(ServiceError::Invalid(message)) => {
            render_new(&state, &me, lang, Some(project), form, Some((message, StatusCode::UNPROCESSABLE_ENTITY))).await
        }
        Err(e) => match WebError::from(e) {
            e @ WebError::Refused { .. } => {
                let status = e.status();
                render_new(&state, &me, lang, Some(project), form, Some((e.to_string(), status))).await
            }
            other => Err(other),
        },
    }
}

/// The attribution in force, as the page shows it.
struct CurrentView {
    performance: bool,
    agency: String,
    visit_at: String,
    visit_seq: Option<i64>,
    reasons: Vec<&'static str>,
    ledger_seq: i64,
}

/// One attribution entry of the subscription.
struct EntryView {
    seq: i64,
    at: String,
    cause: String,
    performance: bool,
    agency: String,
    visit_at: String,
    visit_seq: Option<i64>,
    reasons: Vec<&'static str>,
    replaces: Option<i64>,
    visits: usize,
}

#[derive(Template)]
#[template(path = "staff/deals/show.html")]
struct ShowPage {
    nav: StaffNav,
    notice: Option<(&'static str, &'static str)>,
    error: Option<String>,
    id: i64,
    project: String,
    customer: String,
    phone: String,
    unit: String,
    product_zh: &'static str,
    product_en: &'static str,
    amount: String,
    subscribed: String,
    deposit: String,
    down_payment: String,
    sales: String,
    status: &'static str,
    status_zh: &'static str,
    status_en: &'static str,
    contracted: String,
    cancelled: String,
    source: String,
    external_id: String,
    current: Option<CurrentView>,
    entries: Vec<EntryView>,
    may_contract: bool,
    may_cancel: bool,
    /// What the contract and cancel forms start with (now, local).
    now_local: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DoneQuery {
    done: String,
}

fn notice(done: &str) -> Option<(&'static str, &'static str)> {
    Some(match done {
        "entered" => ("认购已录入,并已判定渠道业绩。", "Subscription entered and attributed."),
        "existing" => ("该认购此前已录入,未重复录入。", "This subscription was entered before; nothing was added."),
        "contracted" => ("已登记签约。", "Contract recorded."),
        "cancelled" => ("已登记退订。", "Cancellation recorded."),
        _ => return None,
    })
}

async fn render_show(
    state: &AppState,
    me: &CurrentStaff,
    lang: Lang,
    id: i64,
    done: &str,
    error: Option<(String, StatusCode)>,
) -> Result<Response, WebError> {
    let (s, current, entries) = state
        .db
        .run(move |store| -> Result<_, WebError> {
            let s = store.subscription(id)?;
            Ok((s, store.attribution(id)?, store.attribution_entries(id)?))
        })
        .await?;
    if !me.sees(&s.project_id) {
        return Err(WebError::NotFound);
    }
    let pid = s.project_id.clone();
    let local = |at: Option<&str>| match at {
        Some(t) => state.local_text(&pid, t, "%Y-%m-%d %H:%M"),
        None => "—".to_owned(),
    };
    let full_phone = full_phone_projects(me, state).contains(&s.project_id);
    let (product_zh, product_en) = product_words(&s.product);
    let current = current.map(|a| CurrentView {
        performance: a.channel_performance,
        agency: a.agency.clone().unwrap_or_else(|| "—".to_owned()),
        visit_at: local(a.visit_at.as_deref()),
        visit_seq: a.visit_seq,
        reasons: reason_words(&a.reasons, lang),
        ledger_seq: a.ledger_seq,
    });
    let entries = entries
        .into_iter()
        .map(|e| EntryView {
            seq: e.seq,
            at: local(Some(e.recorded_at.as_str())),
            cause: cause_words(&e.body.cause, lang),
            performance: e.body.result.channel_performance,
            agency: e.body.result.agency.clone().unwrap_or_else(|| "—".to_owned()),
            visit_at: e
                .body
                .result
                .visit_at
                .map(|t| state.local_time(&pid, &t, "%Y-%m-%d %H:%M"))
                .unwrap_or_else(|| "—".to_owned()),
            visit_seq: e.body.result.visit_seq,
            reasons: reason_words(&e.body.result.reasons, lang),
            replaces: e.body.replaces,
            visits: e.body.facts.visits.len(),
        })
        .collect();
    let (error, status) = match error {
        Some((message, status)) => (Some(message), status),
        None => (None, StatusCode::OK),
    };
    let view = ShowPage {
        nav: StaffNav::new(me, lang, "/staff/deals"),
        notice: notice(done),
        error,
        id: s.id,
        project: state.project_name(&s.project_id),
        customer: s.customer_name.clone(),
        phone: if full_phone { s.phone.as_str().to_owned() } else { s.phone.masked().to_string() },
        unit: s.unit.clone(),
        product_zh,
        product_en,
        amount: money(s.price_fen),
        subscribed: local(Some(s.subscribed_at.as_str())),
        deposit: local(s.deposit_at.as_deref()),
        down_payment: local(s.down_payment_at.as_deref()),
        sales: if s.sales_name.is_empty() { "—".to_owned() } else { s.sales_name.clone() },
        status: s.status.code(),
        status_zh: s.status.zh(),
        status_en: s.status.en(),
        contracted: local(s.contracted_at.as_deref()),
        cancelled: local(s.cancelled_at.as_deref()),
        source: s.source.clone(),
        external_id: s.external_id.clone().unwrap_or_else(|| "—".to_owned()),
        current,
        entries,
        may_contract: s.status == DealStatus::Subscribed,
        may_cancel: s.status != DealStatus::Cancelled,
        now_local: state.local_time(&s.project_id, &state.clock.now(), "%Y-%m-%dT%H:%M"),
    };
    page(&view, status)
}

/// One subscription: its facts, its attribution in force and every
/// attribution entry sealed for it, newest first.
pub async fn show(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, WebError> {
    may_list(&me)?;
    render_show(&state, &me, lang, id, &q.done, None).await
}

/// The contract or cancellation form: when it happened (empty: now).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AtForm {
    csrf: String,
    at: String,
}

#[derive(Clone, Copy)]
enum Change {
    Contract,
    Cancel,
}

async fn change(
    state: AppState,
    lang: Lang,
    me: CurrentStaff,
    id: i64,
    form: AtForm,
    change: Change,
) -> Result<Response, WebError> {
    may_list(&me)?;
    check_csrf(&me.session.csrf, &form.csrf)?;
    let subscription = state.db.run(move |store| store.subscription(id)).await.map_err(WebError::from)?;
    if !me.sees(&subscription.project_id) {
        return Err(WebError::NotFound);
    }
    let rules =
        state.deployment.project(&subscription.project_id).map(|p| p.rules.clone()).ok_or(WebError::NotFound)?;
    let (actor, now, at) = (Actor::of(&me), state.clock.now(), form.at.clone());
    let result = state
        .db
        .write(move |store| match change {
            Change::Contract => crate::service::deals::contract(store, &rules, id, Some(at.as_str()), actor.by(), now),
            Change::Cancel => crate::service::deals::cancel(store, &rules, id, Some(at.as_str()), actor.by(), now),
        })
        .await
        .map_err(WebError::from);
    match result {
        Ok(()) => {
            let done = match change {
                Change::Contract => "contracted",
                Change::Cancel => "cancelled",
            };
            Ok(Redirect::to(&format!("/staff/deals/{id}?done={done}")).into_response())
        }
        Err(e @ WebError::Refused { .. }) => {
            let status = e.status();
            render_show(&state, &me, lang, id, "", Some((e.to_string(), status))).await
        }
        Err(e) => Err(e),
    }
}

/// 签约: the purchase contract was signed (the customer can no longer be
/// reported).
pub async fn contract(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(form): Form<AtForm>,
) -> Result<Response, WebError> {
    change(state, lang, me, id, form, Change::Contract).await
}

/// 退订: the subscription was cancelled (it keeps its last attribution).
pub async fn cancel(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(form): Form<AtForm>,
) -> Result<Response, WebError> {
    change(state, lang, me, id, form, Change::Cancel).await
}
