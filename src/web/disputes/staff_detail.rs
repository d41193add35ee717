//! One dispute in the back office: the claim and the parties, its subject
//! (the visit record — with 重新判定 — and the deal), the deadlines and
//! what the seeds would decide (建议, never applied), every evidence file
//! with its seal, the customer's timeline, the rulings and the appeal, and
//! the forms: the office's evidence and the ruling (`staff_rule` takes
//! them). Opening it marks the notices of the manager's project (or the
//! admins') read. Evidence files download as attachments, never inline.

use super::staff::{days_words, nav, party, visible, visible_project};
use super::timeline::{self, TimelineItem, Viewer};
use crate::domain::dispute::{EvidenceKind, Status, appeal_due};
use crate::domain::evidence::EVIDENCE_MAX_BYTES;
use crate::store::Store;
use crate::store::disputes::{Dispute, Recipient};
use crate::store::people::Role;
use crate::web::AppState;
use crate::web::error::WebError;
use crate::web::i18n::Lang;
use crate::web::nav::StaffNav;
use crate::web::session::{CurrentStaff, url_escape};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use std::collections::BTreeMap;

/// An option of a select or a radio group.
pub(super) struct Choice {
    pub code: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

/// The ruling form as typed (kept on an error).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub(super) struct RuleForm {
    pub csrf: String,
    /// `upheld`, `rejected` or `split`.
    pub outcome: String,
    /// The claimant's share of a split, 1–99.
    pub percent: String,
    pub reasons: String,
}

/// The evidence form's text fields as typed.
#[derive(Debug, Default, Clone)]
pub(super) struct EvidenceForm {
    pub kind: String,
    pub note: String,
}

/// What the forms bring back to the page: what was typed and the message.
#[derive(Debug, Default)]
pub(super) struct Forms {
    pub rule: RuleForm,
    pub rule_error: Option<String>,
    pub evidence: EvidenceForm,
    pub evidence_error: Option<String>,
}

struct DueLine {
    label: &'static str,
    date: String,
}

struct EvidenceView {
    id: i64,
    name: String,
    kind: &'static str,
    party: &'static str,
    agency: String,
    size: String,
    sha_short: String,
    sha256: String,
    /// The upload's own hash, when the file was re-encoded (metadata removed).
    original_sha256: Option<String>,
    uploaded: String,
    by: String,
    note: String,
    ledger_seq: i64,
}

struct RulingView {
    level: u8,
    level_label: &'static str,
    outcome: String,
    reasons: String,
    by: String,
    at: String,
    ledger_seq: i64,
}

struct AppealView {
    party: &'static str,
    agency: String,
    reason: String,
    at: String,
    ledger_seq: i64,
}

#[derive(Template)]
#[template(path = "disputes/staff_detail.html")]
struct DetailPage {
    nav: StaffNav,
    notice: Option<&'static str>,
    id: i64,
    project: String,
    status: &'static str,
    status_label: &'static str,
    kind: &'static str,
    claim: String,
    customer: String,
    claimant: String,
    respondent: String,
    opened: String,
    opened_by: String,
    opened_seq: i64,
    visit_seq: Option<i64>,
    deal_id: Option<i64>,
    report_id: Option<i64>,
    waits: &'static str,
    due: String,
    days: String,
    overdue: bool,
    deadlines: Vec<DueLine>,
    /// The seeds' default (text, outcome code), offered, never applied.
    suggestion: Option<(&'static str, &'static str)>,
    evidence: Vec<EvidenceView>,
    may_add_evidence: bool,
    evidence_kinds: Vec<Choice>,
    evidence_form: EvidenceForm,
    evidence_error: Option<String>,
    max_mb: usize,
    timeline: Vec<TimelineItem>,
    rulings: Vec<RulingView>,
    appeal: Option<AppealView>,
    /// The ruling this person may make now: 1 (the office's), 2 (the
    /// admin's on appeal), none.
    rule_level: Option<u8>,
    /// That ruling is the admin's on appeal (final).
    rule_final: bool,
    /// Appealed, and this person is a manager: the admin rules.
    awaiting_admin: bool,
    outcomes: Vec<Choice>,
    rule_form: RuleForm,
    rule_error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct DoneQuery {
    done: String,
}

/// The line the page shows after a change (post/redirect/get).
fn notice(done: &str, lang: Lang) -> Option<&'static str> {
    Some(match done {
        "opened" => lang.tr(
            "争议已登记:被申诉方与案场经理已收到通知。",
            "The dispute is registered; the respondent and the managers were told.",
        ),
        "evidence" => {
            lang.tr("材料已保存,其 SHA-256 已记入账本。", "The file is stored and its SHA-256 sealed in the ledger.")
        }
        "ruled" => lang.tr(
            "裁决已记入账本,该认购已按裁决重新判定渠道业绩。",
            "The ruling is in the ledger, and the deal was attributed again with it.",
        ),
        _ => return None,
    })
}

/// The ruling `me` may make on a dispute in `status`.
pub(super) fn rule_level(me: &CurrentStaff, status: Status) -> Option<u8> {
    match (status, me.staff.role) {
        (Status::Open, Role::Manager | Role::Admin) => Some(1),
        (Status::Appealed, Role::Admin) => Some(2),
        _ => None,
    }
}

/// How the ledger names someone (`staff:3`, `agent:7`, `api:2`), in words.
fn actor_name(store: &Store, actor: &str, lang: Lang) -> String {
    let id = |prefix: &str| actor.strip_prefix(prefix).and_then(|n| n.parse::<i64>().ok());
    if let Some(name) = id("staff:").and_then(|n| store.staff(n).ok()).map(|s| s.name) {
        return name;
    }
    if let Some(a) = id("agent:").and_then(|n| store.agent(n).ok()) {
        return format!("{} · {}", a.agency_name, a.name);
    }
    if let Some(n) = id("api:") {
        return format!("{} #{n}", lang.tr("渠道接口", "agency API"));
    }
    actor.to_owned()
}

fn size_words(bytes: i64) -> String {
    let kb = bytes as f64 / 1024.0;
    if kb < 1024.0 { format!("{kb:.1} KB") } else { format!("{:.1} MB", kb / 1024.0) }
}

/// The page, with the forms as typed and their messages.
pub(super) async fn render(
    state: &AppState,
    me: &CurrentStaff,
    lang: Lang,
    dispute: Dispute,
    forms: Forms,
    done: &str,
    status: StatusCode,
) -> Result<Response, WebError> {
    let config = visible_project(state, me, &dispute.project_id)?;
    let (tz, rules) = (config.rules.timezone, config.rules.clone());
    let (deployment, now, id, project_id) =
        (state.deployment.clone(), state.clock.now(), dispute.id, dispute.project_id.clone());
    let mut actors: Vec<String> = vec![dispute.opened_by.clone()];
    let (due, evidence, events, names) = state
        .db
        .run(move |store| -> Result<_, WebError> {
            let reader: &Store = store;
            let evidence = reader.dispute_evidence(id, None)?;
            actors.extend(evidence.iter().map(|e| e.uploaded_by.clone()));
            actors.extend(dispute.appeal.iter().map(|a| a.by.clone()));
            let names: BTreeMap<String, String> =
                actors.iter().map(|a| (a.clone(), actor_name(reader, a, lang))).collect();
            let phones = reader.dispute_phones(id)?;
            let steps = crate::store::timeline::DisputeSteps::All;
            let events = reader.customer_timeline(&project_id, &phones, &rules, steps)?;
            let due = crate::service::disputes::due(reader, &deployment, dispute, now)?;
            Ok((due, evidence, events, names))
        })
        .await?;
    let d = &due.dispute;
    let pid = d.project_id.as_str();
    let name_of = |actor: &str| names.get(actor).cloned().unwrap_or_else(|| actor.to_owned());
    let agency_of = |agency_id: Option<i64>| match agency_id {
        None => lang.tr("案场", "sales office").to_owned(),
        Some(a) if Some(a) == d.claimant_agency_id => party(d.claimant.as_deref(), lang),
        Some(a) if Some(a) == d.respondent_agency_id => party(d.respondent.as_deref(), lang),
        Some(a) => format!("#{a}"),
    };
    let day = |date: Option<chrono::NaiveDate>| {
        date.map(|x| x.format("%Y-%m-%d").to_string()).unwrap_or_else(|| lang.tr("未定", "not known yet").to_owned())
    };
    let due_dates = d.deadlines(tz);
    let mut deadlines = vec![
        DueLine {
            label: lang.tr("提出异议截止(交定金后)", "Objections by (after the deposit)"),
            date: day(due_dates.objection_due),
        },
        DueLine {
            label: lang.tr("提交证明材料截止(交首付后)", "Evidence by (after the down payment)"),
            date: day(due_dates.evidence_due),
        },
        DueLine {
            label: lang.tr("案场处理意见截止(材料期满后)", "Office's opinion by (after the evidence)"),
            date: day(due_dates.opinion_due),
        },
    ];
    if let Some(first) = d.rulings.first()
        && let Some(at) = crate::time::parse_instant(&first.ruled_at)
    {
        deadlines.push(DueLine {
            label: lang.tr("申请复核截止(裁决后)", "Appeals by (after the ruling)"),
            date: day(Some(appeal_due(&d.settings, tz, at.to_utc()))),
        });
    }
    let evidence = evidence
        .iter()
        .map(|e| EvidenceView {
            id: e.id,
            name: e.name.clone(),
            kind: lang.tr(e.kind.zh(), e.kind.en()),
            party: lang.tr(e.party.zh(), e.party.en()),
            agency: agency_of(e.agency_id),
            size: size_words(e.size),
            sha_short: e.sha256.chars().take(12).collect(),
            sha256: e.sha256.clone(),
            original_sha256: (e.original_sha256 != e.sha256).then(|| e.original_sha256.clone()),
            uploaded: state.local_text(pid, &e.uploaded_at, "%Y-%m-%d %H:%M"),
            by: name_of(&e.uploaded_by),
            note: e.note.clone(),
            ledger_seq: e.ledger_seq,
        })
        .collect();
    let rulings = d
        .rulings
        .iter()
        .map(|r| RulingView {
            level: r.level,
            level_label: if r.level >= 2 {
                lang.tr("集团复核(终裁)", "Admin's review (final)")
            } else {
                lang.tr("案场裁决", "Office's ruling")
            },
            outcome: lang.tr(&r.outcome.zh(), &r.outcome.en()).to_owned(),
            reasons: r.reasons.clone(),
            by: if r.ruled_by_name.is_empty() { format!("#{}", r.ruled_by) } else { r.ruled_by_name.clone() },
            at: state.local_text(pid, &r.ruled_at, "%Y-%m-%d %H:%M"),
            ledger_seq: r.ledger_seq,
        })
        .collect();
    let appeal = d.appeal.as_ref().map(|a| AppealView {
        party: lang.tr(a.party.zh(), a.party.en()),
        agency: agency_of(a.agency_id),
        reason: a.reason.clone(),
        at: state.local_text(pid, &a.appealed_at, "%Y-%m-%d %H:%M"),
        ledger_seq: a.ledger_seq,
    });
    let rule_level = rule_level(me, d.status);
    let chosen_outcome = forms.rule.outcome.trim().to_owned();
    let chosen_kind = forms.evidence.kind.trim().to_owned();
    let page = DetailPage {
        nav: nav(me, lang),
        notice: notice(done, lang),
        id: d.id,
        project: config.name.clone(),
        status: d.status.code(),
        status_label: lang.tr(d.status.zh(), d.status.en()),
        kind: lang.tr(d.claim_kind.zh(), d.claim_kind.en()),
        claim: d.claim.clone(),
        customer: d.masked_phone.clone(),
        claimant: party(d.claimant.as_deref(), lang),
        respondent: party(d.respondent.as_deref(), lang),
        opened: state.local_text(pid, &d.opened_at, "%Y-%m-%d %H:%M"),
        opened_by: name_of(&d.opened_by),
        opened_seq: d.opened_seq,
        visit_seq: d.visit_seq,
        deal_id: d.subscription_id,
        report_id: d.report_id,
        waits: lang.tr(due.next.zh(), due.next.en()),
        due: due.next.due().map(|x| x.format("%Y-%m-%d").to_string()).unwrap_or_else(|| "—".to_owned()),
        days: days_words(due.days_left, lang),
        overdue: due.overdue(),
        deadlines,
        suggestion: due.seeds_default.map(|s| (lang.tr(s.zh(), s.en()), s.outcome().code())),
        evidence,
        may_add_evidence: d.status == Status::Open,
        evidence_kinds: EvidenceKind::ALL
            .into_iter()
            .map(|k| Choice { code: k.code(), label: lang.tr(k.zh(), k.en()), selected: k.code() == chosen_kind })
            .collect(),
        evidence_form: forms.evidence,
        evidence_error: forms.evidence_error,
        max_mb: EVIDENCE_MAX_BYTES / (1024 * 1024),
        timeline: timeline::items(&events, Viewer::Staff, lang, tz),
        rulings,
        appeal,
        rule_level,
        rule_final: rule_level == Some(2),
        awaiting_admin: d.status == Status::Appealed && rule_level.is_none(),
        outcomes: [
            ("upheld", lang.tr("支持申诉", "Uphold the claim")),
            ("rejected", lang.tr("驳回申诉", "Reject the claim")),
            ("split", lang.tr("按比例分配", "Split by percentage")),
        ]
        .into_iter()
        .map(|(code, label)| Choice { code, label, selected: code == chosen_outcome })
        .collect(),
        rule_form: forms.rule,
        rule_error: forms.rule_error,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// `GET /staff/disputes/{id}`: the page; the notices of this person's
/// office about the dispute are read now.
pub(super) async fn page(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, WebError> {
    let dispute = visible(&state, &me, id).await?;
    let (admin, project, now) = (me.staff.role == Role::Admin, dispute.project_id.clone(), state.clock.now());
    let marked = state
        .db
        .write(move |store| {
            let to = if admin { Recipient::Admins } else { Recipient::Managers(&project) };
            store.mark_dispute_read(id, to, now)
        })
        .await;
    if let Err(e) = marked {
        tracing::warn!(dispute = id, error = %e, "could not mark the dispute's notices read");
    }
    render(&state, &me, lang, dispute, Forms::default(), &q.done, StatusCode::OK).await
}

/// `GET /staff/disputes/{id}/evidence/{eid}`: the file as stored (checked
/// against its seal), as a download, for staff of the dispute's project.
pub(super) async fn download(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path((id, evidence_id)): Path<(i64, i64)>,
) -> Result<Response, WebError> {
    visible(&state, &me, id).await?;
    let (evidence, bytes) =
        state.db.run(move |store| store.evidence_file(id, evidence_id)).await.map_err(WebError::from)?;
    let ascii: String =
        evidence.name.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')).collect();
    let ascii = if ascii.is_empty() || ascii.starts_with('.') { format!("evidence{ascii}") } else { ascii };
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", url_escape(&evidence.name));
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
