//! Staff open a dispute (提出争议) about a visit record or a deal: the
//! claimant (an agency, or 现场 — the site itself), what is claimed, and
//! why. The subject arrives as an id in the link (`?visit=SEQ` or
//! `?deal=ID`), never personal data. A late objection comes back with the
//! store's message and the form as typed; a hidden key, new with each
//! form, makes a double submit open one dispute.

use super::staff::{nav, visible_project};
use crate::domain::dispute::{ClaimKind, DealDates, deadlines};
use crate::domain::phone::CustomerPhone;
use crate::store::disputes::{NewDispute, Subject};
use crate::store::people::Agency;
use crate::web::AppState;
use crate::web::error::WebError;
use crate::web::error_code::ErrorCode;
use crate::web::i18n::Lang;
use crate::web::listing::may_list;
use crate::web::nav::StaffNav;
use crate::web::session::{CurrentStaff, check_csrf};
use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

/// What the dispute is raised against.
#[derive(Debug, Clone, Copy)]
enum Target {
    Visit(i64),
    Deal(i64),
}

impl Target {
    fn of(visit: Option<i64>, deal: Option<i64>) -> Result<Target, WebError> {
        match (visit, deal) {
            (Some(seq), None) => Ok(Target::Visit(seq)),
            (None, Some(id)) => Ok(Target::Deal(id)),
            _ => Err(WebError::bad(
                ErrorCode::BadRequest,
                "请从带看记录或认购页面发起争议 / open a dispute from a visit record or a deal page",
            )),
        }
    }

    fn subject(self) -> Subject {
        match self {
            Target::Visit(seq) => Subject::Visit(seq),
            Target::Deal(id) => Subject::Deal(id),
        }
    }
}

/// The subject as the form shows it.
struct SubjectView {
    project_id: String,
    project: String,
    /// `visit` or `deal`, and its id (the hidden fields).
    visit: Option<i64>,
    deal: Option<i64>,
    href: String,
    /// (label, value) lines, in the page's language.
    lines: Vec<(&'static str, String)>,
    /// When objections are due: the last day once the deposit is known.
    objection: String,
}

struct AgencyChoice {
    id: i64,
    name: String,
    selected: bool,
}

struct KindChoice {
    code: &'static str,
    label: &'static str,
    selected: bool,
}

/// The form as typed (kept when it comes back with a message).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub(super) struct NewForm {
    csrf: String,
    /// The idempotency key of this form (random per rendering).
    idem: String,
    visit: String,
    deal: String,
    /// An agency's id, or `site` (现场).
    claimant: String,
    kind: String,
    claim: String,
}

#[derive(Template)]
#[template(path = "disputes/staff_new.html")]
struct NewPage {
    nav: StaffNav,
    error: Option<String>,
    subject: SubjectView,
    agencies: Vec<AgencyChoice>,
    site_selected: bool,
    kinds: Vec<KindChoice>,
    form: NewForm,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct SubjectQuery {
    visit: Option<i64>,
    deal: Option<i64>,
}

fn masked(stored: &str) -> String {
    CustomerPhone::parse(stored, true).map(|p| p.masked().to_string()).unwrap_or_else(|_| "—".to_owned())
}

fn objection_words(due: Option<chrono::NaiveDate>, days: u32, lang: Lang) -> String {
    let (zh, en) = match due {
        Some(d) => (
            format!("提出异议截止:{d}(交定金后 {days} 日内)"),
            format!("Objections are due by {d} ({days} days after the deposit)."),
        ),
        None => (
            format!("异议须在交定金后 {days} 日内提出(以该客户认购的定金日期计)。"),
            format!("Objections are due within {days} days of the customer's deposit."),
        ),
    };
    lang.tr(&zh, &en).to_owned()
}

/// The subject (404 when missing or another project's) and the agencies
/// that report for its project.
async fn load(
    state: &AppState,
    me: &CurrentStaff,
    lang: Lang,
    target: Target,
) -> Result<(SubjectView, Vec<Agency>), WebError> {
    enum Found {
        Deal(Box<crate::store::deals::Subscription>, Option<String>),
        Visit { seq: i64, project: String, agency: String, phone: String, arrived: Option<String> },
    }
    let found = state
        .db
        .run(move |store| -> Result<_, WebError> {
            Ok(match target {
                Target::Deal(id) => {
                    let s = store.subscription(id)?;
                    let agency = store.attribution(id)?.and_then(|a| a.agency);
                    Found::Deal(Box::new(s), agency)
                }
                Target::Visit(seq) => {
                    let row = store.ledger_row(seq)?;
                    if row.kind != "visit" {
                        return Err(WebError::NotFound);
                    }
                    let body = row.visit_body()?;
                    let now = store.record_now(seq)?;
                    Found::Visit {
                        seq,
                        project: row.project_id.clone(),
                        agency: body.agency().to_owned(),
                        phone: now.customer_phone,
                        arrived: body.arrival_at().map(crate::time::format_instant),
                    }
                }
            })
        })
        .await?;
    let project_id = match &found {
        Found::Deal(s, _) => s.project_id.clone(),
        Found::Visit { project, .. } => project.clone(),
    };
    let config = visible_project(state, me, &project_id)?;
    let local = |at: Option<&str>| match at {
        Some(t) => state.local_text(&project_id, t, "%Y-%m-%d %H:%M"),
        None => "—".to_owned(),
    };
    let (tz, settings) = (config.rules.timezone, config.disputes);
    let subject = match found {
        Found::Deal(s, agency) => {
            let dates = DealDates {
                deposit_at: s.deposit_at.as_deref().and_then(crate::time::parse_instant),
                down_payment_at: s.down_payment_at.as_deref().and_then(crate::time::parse_instant),
            };
            SubjectView {
                project: config.name.clone(),
                visit: None,
                deal: Some(s.id),
                href: format!("/staff/deals/{}", s.id),
                lines: vec![
                    (lang.tr("认购", "Deal"), format!("#{} · {}", s.id, s.unit)),
                    (lang.tr("客户", "Customer"), format!("{} {}", s.customer_name, s.phone.masked())),
                    (lang.tr("渠道业绩归属", "Attributed to"), agency.unwrap_or_else(|| "—".to_owned())),
                    (lang.tr("定金日期", "Deposit"), local(s.deposit_at.as_deref())),
                    (lang.tr("首付日期", "Down payment"), local(s.down_payment_at.as_deref())),
                ],
                objection: objection_words(
                    deadlines(&settings, tz, &dates).objection_due,
                    settings.objection_days,
                    lang,
                ),
                project_id: project_id.clone(),
            }
        }
        Found::Visit { seq, agency, phone, arrived, .. } => SubjectView {
            project: config.name.clone(),
            visit: Some(seq),
            deal: None,
            href: format!("/records/{seq}"),
            lines: vec![
                (lang.tr("带看记录", "Visit record"), format!("No. {seq}")),
                (
                    lang.tr("渠道", "Agency"),
                    if agency.is_empty() { lang.tr("未报备", "not reported").to_owned() } else { agency },
                ),
                (lang.tr("客户手机号", "Customer phone"), masked(&phone)),
                (lang.tr("到访时间", "Arrived"), local(arrived.as_deref())),
            ],
            objection: objection_words(None, settings.objection_days, lang),
            project_id: project_id.clone(),
        },
    };
    let agencies = state.db.run(|store| store.agencies()).await.map_err(WebError::from)?;
    let agencies = agencies.into_iter().filter(|a| a.reports_for(&project_id)).collect();
    Ok((subject, agencies))
}

fn render(
    me: &CurrentStaff,
    lang: Lang,
    subject: SubjectView,
    agencies: Vec<Agency>,
    form: NewForm,
    error: Option<(String, StatusCode)>,
) -> Result<Response, WebError> {
    let (error, status) = match error {
        Some((message, status)) => (Some(message), status),
        None => (None, StatusCode::OK),
    };
    let claimant = form.claimant.trim().to_owned();
    let page = NewPage {
        nav: nav(me, lang),
        error,
        agencies: agencies
            .into_iter()
            .map(|a| AgencyChoice { selected: a.id.to_string() == claimant, id: a.id, name: a.name })
            .collect(),
        site_selected: claimant == "site",
        kinds: ClaimKind::ALL
            .into_iter()
            .map(|k| KindChoice {
                code: k.code(),
                label: lang.tr(k.zh(), k.en()),
                selected: k.code() == form.kind.trim(),
            })
            .collect(),
        subject,
        form,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// `GET /staff/disputes/new?visit=SEQ` or `?deal=ID`: the form.
pub(super) async fn form(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Query(q): Query<SubjectQuery>,
) -> Result<Response, WebError> {
    may_list(&me)?;
    let target = Target::of(q.visit, q.deal)?;
    let (subject, agencies) = load(&state, &me, lang, target).await?;
    let form = NewForm { idem: crate::crypto::random_secret(), ..NewForm::default() };
    render(&me, lang, subject, agencies, form, None)
}

/// The form's key as the store keeps it: this person's, so two people's
/// keys never meet; `None` for anything but a key this page made.
fn idempotency_key(me: &CurrentStaff, raw: &str) -> Option<String> {
    let raw = raw.trim();
    (!raw.is_empty() && raw.len() <= 64 && raw.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then(|| format!("{}:{raw}", me.actor()))
}

/// `POST /staff/disputes`: opens the dispute; on to its page.
pub(super) async fn create(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Form(form): Form<NewForm>,
) -> Result<Response, WebError> {
    may_list(&me)?;
    check_csrf(&me.session.csrf, &form.csrf)?;
    let number = |s: &str| s.trim().parse::<i64>().ok();
    let target = Target::of(number(form.visit.as_str()), number(form.deal.as_str()))?;
    let (subject, agencies) = load(&state, &me, lang, target).await?;
    let unprocessable = |m: &str| Some((m.to_owned(), StatusCode::UNPROCESSABLE_ENTITY));
    let claimant = match form.claimant.trim() {
        "site" => Some(None),
        id => number(id).filter(|id| agencies.iter().any(|a| a.id == *id)).map(Some),
    };
    let Some(claimant) = claimant else {
        let error = unprocessable("请选择申诉方(渠道或现场)/ choose the claimant (an agency or the site)");
        return render(&me, lang, subject, agencies, form, error);
    };
    let Some(kind) = ClaimKind::parse(form.kind.trim()) else {
        let error = unprocessable("请选择申诉类型 / choose what is claimed");
        return render(&me, lang, subject, agencies, form, error);
    };
    let key = idempotency_key(&me, &form.idem);
    let (deployment, now, by, claim) = (state.deployment.clone(), state.clock.now(), me.actor(), form.claim.clone());
    let project = subject.project_id.clone();
    let result = state
        .db
        .write(move |store| {
            let new = NewDispute {
                project_id: &project,
                subject: target.subject(),
                kind,
                claim: &claim,
                claimant_agency_id: claimant,
                by: &by,
                idempotency_key: key.as_deref(),
            };
            crate::service::disputes::open(store, &deployment, &new, now)
        })
        .await;
    match result.map_err(WebError::from) {
        Ok(dispute) => Ok(Redirect::to(&format!("/staff/disputes/{}?done=opened", dispute.id)).into_response()),
        Err(e @ WebError::Refused { .. }) => {
            let error = Some((e.to_string(), e.status()));
            render(&me, lang, subject, agencies, form, error)
        }
        Err(e) => Err(e),
    }
}
