//! Raising an objection (提出异议) from one of the agency's reports or from
//! a deal it may dispute. The form names only what the agency already
//! knows: its own report, or the deal's unit and masked phone.

use super::super::super::AppState;
use super::super::super::dispute_api::deal_for_agency;
use super::super::super::error::WebError;
use super::super::super::error_code::ErrorCode;
use super::super::super::i18n::{Lang, Texts};
use super::super::super::session::{CurrentAgent, check_csrf};
use super::super::html;
use super::super::reports::own_report;
use crate::crypto::random_secret;
use crate::domain::dispute::ClaimKind;
use crate::service::disputes as service;
use crate::store::disputes::{NewDispute, Subject};
use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

/// What the objection is raised from: ids only.
#[derive(Debug, Clone, Copy)]
enum Origin {
    Report(i64),
    Deal(i64),
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SubjectQuery {
    report: Option<i64>,
    deal: Option<i64>,
}

/// The subject as the form shows it.
struct SubjectView {
    /// The hidden field's name: `report` or `deal`.
    field: &'static str,
    id: i64,
    project_id: String,
    project: String,
    /// (label, text) lines.
    lines: Vec<(&'static str, String)>,
}

/// The subject, if the agency may raise an objection about it; "not
/// found" otherwise (another agency's report, a deal it has no part in).
async fn subject_view(state: &AppState, me: &CurrentAgent, from: Origin, lang: Lang) -> Result<SubjectView, WebError> {
    match from {
        Origin::Report(id) => {
            let r = own_report(state, me, id).await?;
            let filed = state.local_time(&r.project_id, &r.filed_at, "%Y-%m-%d %H:%M");
            Ok(SubjectView {
                field: "report",
                id,
                project: state.project_name(&r.project_id),
                lines: vec![
                    (lang.tr("报备", "Report"), format!("No. {id} · {filed}")),
                    (lang.tr("客户", "Customer"), format!("{} {}", r.customer_name, r.customer_phone.masked())),
                ],
                project_id: r.project_id,
            })
        }
        Origin::Deal(id) => {
            let agency = me.agent.agency_id;
            let deal = state.db.run(move |store| deal_for_agency(store, agency, id)).await?;
            Ok(SubjectView {
                field: "deal",
                id,
                project: state.project_name(&deal.project_id),
                lines: vec![
                    (lang.tr("认购房号", "Unit subscribed"), deal.unit.clone()),
                    (lang.tr("客户电话", "Customer phone"), deal.phone.masked().to_string()),
                ],
                project_id: deal.project_id,
            })
        }
    }
}

struct KindOption {
    code: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "agent/dispute_new.html")]
struct NewDisputePage {
    t: &'static Texts,
    lang: Lang,
    csrf: String,
    idem: String,
    subject: SubjectView,
    kinds: Vec<KindOption>,
    claim: String,
    error: Option<String>,
    /// The refusal's stable code (`DISPUTE_LATE` …), for the page's
    /// `data-code`.
    error_code: &'static str,
}

fn page(
    lang: Lang,
    me: &CurrentAgent,
    subject: SubjectView,
    form: &OpenForm,
    error: Option<&WebError>,
) -> NewDisputePage {
    NewDisputePage {
        t: lang.texts(),
        lang,
        csrf: me.session.csrf.clone(),
        idem: if form.idem.is_empty() { random_secret() } else { form.idem.clone() },
        subject,
        kinds: ClaimKind::ALL
            .into_iter()
            .map(|k| KindOption { code: k.code(), label: lang.tr(k.zh(), k.en()), selected: k.code() == form.kind })
            .collect(),
        claim: form.claim.clone(),
        error: error.map(ToString::to_string),
        error_code: error.map(|e| e.error_code().as_str()).unwrap_or(""),
    }
}

pub async fn form(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentAgent,
    Query(q): Query<SubjectQuery>,
) -> Result<Response, WebError> {
    let from = match (q.report, q.deal) {
        (Some(id), None) => Origin::Report(id),
        (None, Some(id)) => Origin::Deal(id),
        _ => return Err(WebError::NotFound),
    };
    let subject = subject_view(&state, &me, from, lang).await?;
    Ok(html(page(lang, &me, subject, &OpenForm::default(), None))?.into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OpenForm {
    csrf: String,
    idem: String,
    report: String,
    deal: String,
    kind: String,
    claim: String,
}

impl OpenForm {
    fn origin(&self) -> Option<Origin> {
        let id = |s: &str| s.trim().parse::<i64>().ok();
        match (self.report.trim().is_empty(), self.deal.trim().is_empty()) {
            (false, true) => id(&self.report).map(Origin::Report),
            (true, false) => id(&self.deal).map(Origin::Deal),
            _ => None,
        }
    }
}

/// Opens the dispute at the server's clock; a refusal (late, invalid,
/// already open) re-renders the form with the store's message.
pub async fn open(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentAgent,
    Form(form): Form<OpenForm>,
) -> Result<Response, WebError> {
    check_csrf(&me.session.csrf, &form.csrf)?;
    let from = form.origin().ok_or(WebError::NotFound)?;
    let subject = subject_view(&state, &me, from, lang).await?;
    let Some(kind) = ClaimKind::parse(&form.kind) else {
        let e = WebError::bad(ErrorCode::Invalid, "请选择申诉类型 / choose what you claim");
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, html(page(lang, &me, subject, &form, Some(&e)))?).into_response());
    };
    let (agency, agent) = (me.agent.agency_id, me.agent.id);
    let (deployment, now) = (state.deployment.clone(), state.clock.now());
    let project_id = subject.project_id.clone();
    let target = match from {
        Origin::Report(id) => Subject::Report(id),
        Origin::Deal(id) => Subject::Deal(id),
    };
    let (claim, idem) = (form.claim.clone(), form.idem.trim().to_owned());
    let opened = state
        .db
        .write(move |store| -> Result<_, WebError> {
            let by = format!("agent:{agent}");
            let key =
                (!idem.is_empty()).then(|| format!("agent:{agent}:{}", idem.chars().take(100).collect::<String>()));
            let new = NewDispute {
                project_id: &project_id,
                subject: target,
                kind,
                claim: &claim,
                claimant_agency_id: Some(agency),
                by: &by,
                idempotency_key: key.as_deref(),
            };
            Ok(service::open(store, &deployment, &new, now)?)
        })
        .await;
    match opened {
        Ok(d) => Ok(Redirect::to(&format!("/agent/disputes/{}", d.id)).into_response()),
        Err(e @ WebError::Refused { .. }) => {
            Ok((e.status(), html(page(lang, &me, subject, &form, Some(&e)))?).into_response())
        }
        Err(e) => Err(e),
    }
}
