//! One dispute on the agent's phone: the claim, where it stands and by
//! when, the agency's OWN evidence (download, and the upload form while
//! the dispute is open), the customer's timeline as the agency may read it,
//! the rulings with their reasons, and the appeal and withdrawal forms.
//! Opening the page marks the agency's notices of the dispute read.

use super::super::super::AppState;
use super::super::super::dispute_api::{
    EvidenceForm, Side, attach, party_dispute, read_evidence_form, scrub, standing,
};
use super::super::super::disputes::timeline::{TimelineItem, Viewer, items};
use super::super::super::error::WebError;
use super::super::super::i18n::{Lang, Texts};
use super::super::super::session::{CurrentAgent, check_csrf, url_escape};
use super::super::auth::CsrfForm;
use super::super::html;
use super::{Waits, local, status_class, status_label, waits};
use crate::domain::dispute::{EvidenceKind, Party, Status};
use crate::service::disputes as service;
use crate::store::disputes::{Dispute, Evidence, Recipient};
use askama::Template;
use axum::extract::{Form, Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

struct DisputeView {
    id: i64,
    project: String,
    phone: String,
    subject: String,
    kind: &'static str,
    claim: String,
    status: &'static str,
    status_class: &'static str,
    /// 申诉方 / 被申诉方: our side.
    our_side: &'static str,
    claimant: &'static str,
    respondent: &'static str,
    opened_at: String,
    objection_due: String,
    evidence_due: String,
    opinion_due: String,
    appeal_due: String,
    waits: Waits,
    open: bool,
    can_appeal: bool,
    can_withdraw: bool,
}

struct EvidenceView {
    href: String,
    kind: &'static str,
    name: String,
    size: String,
    uploaded_at: String,
    note: String,
}

struct RulingView {
    level: &'static str,
    outcome: String,
    reasons: String,
    ruled_at: String,
}

struct AppealView {
    ours: bool,
    reason: String,
    at: String,
}

#[derive(Template)]
#[template(path = "agent/dispute.html")]
struct DisputePage {
    t: &'static Texts,
    lang: Lang,
    csrf: String,
    agency: String,
    d: DisputeView,
    evidence: Vec<EvidenceView>,
    kinds: Vec<(&'static str, &'static str)>,
    rulings: Vec<RulingView>,
    appeal: Option<AppealView>,
    timeline: Vec<TimelineItem>,
    error: Option<String>,
    /// The refusal's stable code (`DISPUTE_LATE` …), for `data-code`.
    error_code: &'static str,
}

fn date(d: Option<chrono::NaiveDate>) -> String {
    d.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_else(|| "—".to_owned())
}

fn size(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", (bytes + 1023) / 1024)
    }
}

/// What the page is made of, read in one job.
struct Found {
    dispute: Dispute,
    evidence: Vec<Evidence>,
    unit: Option<String>,
    timeline: Vec<crate::store::timeline::TimelineEvent>,
    unread: i64,
}

/// The dispute's page for the agent's agency (404 unless it is a party),
/// with a refusal to show and the status to answer with.
async fn render(
    state: &AppState,
    lang: Lang,
    me: &CurrentAgent,
    id: i64,
    refused: Option<WebError>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let agency = me.agent.agency_id;
    let deployment = state.deployment.clone();
    let found = state
        .db
        .run(move |store| -> Result<Found, WebError> {
            let dispute = party_dispute(store, agency, id)?;
            let evidence = store.dispute_evidence(id, Some(agency))?;
            let unit = match dispute.subscription_id {
                Some(s) => Some(store.subscription(s)?.unit),
                None => None,
            };
            let timeline = match deployment.project(&dispute.project_id) {
                Some(p) => {
                    let phones = store.dispute_phones(id)?;
                    // Only the steps of the disputes this agency is a party to.
                    let steps = crate::store::timeline::DisputeSteps::PartyOf(agency);
                    store.customer_timeline(&dispute.project_id, &phones, &p.rules, steps)?
                }
                None => Vec::new(),
            };
            let unread = store.unread_dispute_notices(Recipient::Agency(agency))?;
            Ok(Found { dispute, evidence, unit, timeline, unread })
        })
        .await?;
    if found.unread > 0 {
        let now = state.clock.now();
        let marked = state.db.write(move |store| store.mark_dispute_read(id, Recipient::Agency(agency), now)).await;
        if let Err(e) = marked {
            tracing::warn!(dispute = id, error = %e, "could not mark the dispute's notices read");
        }
    }
    let Found { dispute: d, evidence, unit, timeline, .. } = found;
    let now = state.clock.now();
    let s = standing(state, &d, now);
    let party = d.party_of(agency);
    let other = lang.tr("对方渠道", "the other agency");
    let side = |a: Option<i64>| {
        let side = Side::of(a, agency);
        lang.tr(side.zh(), side.en())
    };
    let subject = match (&unit, d.visit_seq) {
        (Some(unit), _) => format!("{} {unit}", lang.tr("认购房号", "unit subscribed")),
        (None, Some(seq)) => format!("{} No. {seq}", lang.tr("带看记录", "visit record")),
        (None, None) => "—".to_owned(),
    };
    let view = DisputeView {
        id: d.id,
        project: state.project_name(&d.project_id),
        phone: d.masked_phone.clone(),
        subject,
        kind: lang.tr(d.claim_kind.zh(), d.claim_kind.en()),
        claim: scrub(&d.claim, &d, agency, other),
        status: status_label(d.status, lang),
        status_class: status_class(d.status),
        our_side: match party {
            Some(Party::Claimant) => lang.tr("申诉方", "claimant"),
            _ => lang.tr("被申诉方", "respondent"),
        },
        claimant: side(d.claimant_agency_id),
        respondent: side(d.respondent_agency_id),
        opened_at: local(state, &d.project_id, &d.opened_at),
        objection_due: date(s.due.objection_due),
        evidence_due: date(s.due.evidence_due),
        opinion_due: date(s.due.opinion_due),
        appeal_due: date(s.appeal_due),
        waits: waits(&s, lang),
        open: d.status == Status::Open,
        can_appeal: d.status == Status::Ruled && d.appeal.is_none(),
        can_withdraw: d.status == Status::Open && party == Some(Party::Claimant),
    };
    let evidence = evidence
        .iter()
        .map(|e| EvidenceView {
            href: format!("/agent/disputes/{}/evidence/{}", d.id, e.id),
            kind: lang.tr(e.kind.zh(), e.kind.en()),
            name: e.name.clone(),
            size: size(e.size),
            uploaded_at: local(state, &d.project_id, &e.uploaded_at),
            note: e.note.clone(),
        })
        .collect();
    let rulings = d
        .rulings
        .iter()
        .map(|r| RulingView {
            level: if r.level >= 2 {
                lang.tr("集团复核(终裁)", "Review by the group (final)")
            } else {
                lang.tr("案场裁决", "Ruling by the sales office")
            },
            outcome: match lang {
                Lang::Zh => r.outcome.zh(),
                Lang::En => r.outcome.en(),
            },
            reasons: scrub(&r.reasons, &d, agency, other),
            ruled_at: local(state, &d.project_id, &r.ruled_at),
        })
        .collect();
    let appeal = d.appeal.as_ref().map(|a| {
        let ours = a.agency_id == Some(agency);
        AppealView {
            ours,
            // The other side's reasons are theirs to read.
            reason: if ours { a.reason.clone() } else { String::new() },
            at: local(state, &d.project_id, &a.appealed_at),
        }
    });
    let tz = state.project_tz(&d.project_id);
    let page = DisputePage {
        t: lang.texts(),
        lang,
        csrf: me.session.csrf.clone(),
        agency: me.agent.agency_name.clone(),
        evidence,
        kinds: EvidenceKind::ALL.into_iter().map(|k| (k.code(), lang.tr(k.zh(), k.en()))).collect(),
        rulings,
        appeal,
        timeline: items(&timeline, Viewer::Agency(agency), lang, tz),
        error: refused.as_ref().map(ToString::to_string),
        error_code: refused.as_ref().map(|e| e.error_code().as_str()).unwrap_or(""),
        d: view,
    };
    Ok((status, html(page)?).into_response())
}

pub async fn show(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentAgent,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    render(&state, lang, &me, id, None, StatusCode::OK).await
}

/// After a step: back to the page, or the page again with the refusal.
async fn after(
    state: &AppState,
    lang: Lang,
    me: &CurrentAgent,
    id: i64,
    result: Result<(), WebError>,
) -> Result<Response, WebError> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/agent/disputes/{id}")).into_response()),
        Err(e @ WebError::Refused { .. }) => {
            let status = e.status();
            render(state, lang, me, id, Some(e), status).await
        }
        Err(e) => Err(e),
    }
}

/// An evidence file for the agency's side (multipart: csrf, kind, file,
/// note). A body over the limit is a 413 page; a renamed program or a late
/// upload is refused with the store's message, and nothing is stored.
pub async fn upload(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentAgent,
    Path(id): Path<i64>,
    multipart: Multipart,
) -> Result<Response, WebError> {
    let form: EvidenceForm = match read_evidence_form(multipart).await {
        Ok(form) => form,
        Err(e) => return after(&state, lang, &me, id, Err(e)).await,
    };
    check_csrf(&me.session.csrf, &form.csrf)?;
    let result = attach(&state, me.agent.agency_id, id, form, format!("agent:{}", me.agent.id)).await;
    after(&state, lang, &me, id, result.map(|_| ())).await
}

/// One of the agency's own evidence files, as a download; another
/// party's file is "not found".
pub async fn download(
    State(state): State<AppState>,
    me: CurrentAgent,
    Path((id, eid)): Path<(i64, i64)>,
) -> Result<Response, WebError> {
    let agency = me.agent.agency_id;
    let (evidence, bytes) = state
        .db
        .run(move |store| -> Result<_, WebError> {
            party_dispute(store, agency, id)?;
            if !store.dispute_evidence(id, Some(agency))?.iter().any(|e| e.id == eid) {
                return Err(WebError::NotFound);
            }
            Ok(store.evidence_file(id, eid)?)
        })
        .await?;
    let ascii: String =
        evidence.name.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')).collect();
    let disposition = format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{}",
        if ascii.is_empty() { "evidence".to_owned() } else { ascii },
        url_escape(&evidence.name)
    );
    Ok((
        [
            (header::CONTENT_TYPE, evidence.mime),
            (header::CONTENT_DISPOSITION, disposition),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct AppealForm {
    csrf: String,
    #[serde(default)]
    reason: String,
}

/// Appeals the ruling to the group (once, within the appeal period).
pub async fn appeal(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentAgent,
    Path(id): Path<i64>,
    Form(form): Form<AppealForm>,
) -> Result<Response, WebError> {
    check_csrf(&me.session.csrf, &form.csrf)?;
    let (agency, by, now) = (me.agent.agency_id, format!("agent:{}", me.agent.id), state.clock.now());
    let deployment = state.deployment.clone();
    let result = state
        .db
        .write(move |store| -> Result<(), WebError> {
            let d = party_dispute(store, agency, id)?;
            service::appeal(store, &deployment, &d, agency, &form.reason, &by, now)?;
            Ok(())
        })
        .await;
    after(&state, lang, &me, id, result).await
}

/// The claimant withdraws its open dispute.
pub async fn withdraw(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentAgent,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    check_csrf(&me.session.csrf, &form.csrf)?;
    let (agency, by, now) = (me.agent.agency_id, format!("agent:{}", me.agent.id), state.clock.now());
    let result = state
        .db
        .write(move |store| -> Result<(), WebError> {
            party_dispute(store, agency, id)?;
            store.withdraw_dispute(id, Some(agency), &by, now)?;
            Ok(())
        })
        .await;
    after(&state, lang, &me, id, result).await
}
