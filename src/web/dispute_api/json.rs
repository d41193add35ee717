//! The answers' JSON shapes, and what they are built from: where a
//! dispute stands on its project's calendar (`standing`) and the other
//! party's name scrubbed from free texts (`scrub`). The agent pages read
//! `Side`, `Standing` and `scrub` too.

use crate::domain::dispute::{self as rule, Deadlines, Next, Party};
use crate::store::disputes::{Dispute, Evidence};
use crate::web::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

/// A side of a dispute as an agency reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Us,
    /// The other agency, never named.
    Other,
    /// The sales office itself (现场 / 自然来访).
    Site,
}

impl Side {
    pub(crate) fn of(agency: Option<i64>, me: i64) -> Side {
        match agency {
            Some(a) if a == me => Side::Us,
            Some(_) => Side::Other,
            None => Side::Site,
        }
    }

    pub(crate) fn code(self) -> &'static str {
        match self {
            Side::Us => "us",
            Side::Other => "other",
            Side::Site => "site",
        }
    }

    pub(crate) fn zh(self) -> &'static str {
        match self {
            Side::Us => "我方",
            Side::Other => "对方渠道",
            Side::Site => "案场(现场客户)",
        }
    }

    pub(crate) fn en(self) -> &'static str {
        match self {
            Side::Us => "us",
            Side::Other => "the other agency",
            Side::Site => "the sales office (site customer)",
        }
    }
}

/// `text` with the other party's agency name replaced by `other` (a claim
/// or reasons someone typed may name it). Our own name stays whole even
/// when it contains the other's (链家 in 链家-天河店).
pub(crate) fn scrub(text: &str, d: &Dispute, me: i64, other: &str) -> String {
    let (own, theirs) = if d.claimant_agency_id == Some(me) {
        (d.claimant.as_deref(), d.respondent.as_deref())
    } else {
        (d.respondent.as_deref(), d.claimant.as_deref())
    };
    let Some(theirs) = theirs.map(str::trim).filter(|t| !t.is_empty()) else { return text.to_owned() };
    match own.map(str::trim).filter(|o| !o.is_empty() && o.contains(theirs)) {
        Some(own) => text.split(own).map(|part| part.replace(theirs, other)).collect::<Vec<_>>().join(own),
        None => text.replace(theirs, other),
    }
}

/// Where a dispute stands on its project's calendar today.
pub(crate) struct Standing {
    pub due: Deadlines,
    /// The last day to appeal the first ruling, once there is one.
    pub appeal_due: Option<NaiveDate>,
    pub next: Next,
    /// Days until `next` is due (negative: overdue).
    pub days_left: Option<i64>,
}

pub(crate) fn standing(state: &AppState, d: &Dispute, now: DateTime<Utc>) -> Standing {
    // The periods in force when the dispute was opened.
    let (settings, tz) = (d.settings, state.project_tz(&d.project_id));
    let today = rule::local_date(tz, now);
    let due = d.deadlines(tz);
    let at = |s: &str| crate::time::parse_instant(s).map(|t| t.with_timezone(&Utc));
    let ruled_at = d.ruling().and_then(|r| at(&r.ruled_at));
    let first_ruled_at = d.rulings.iter().find(|r| r.level == 1).and_then(|r| at(&r.ruled_at));
    let appealed_at = d.appeal.as_ref().and_then(|a| at(&a.appealed_at));
    let next = rule::next(&settings, tz, d.status, &due, ruled_at, appealed_at, today);
    Standing {
        due,
        appeal_due: first_ruled_at.map(|r| rule::appeal_due(&settings, tz, r)),
        next,
        days_left: next.due().map(|x| rule::days_left(x, today)),
    }
}

fn next_code(next: Next) -> &'static str {
    match next {
        Next::Evidence(_) => "evidence",
        Next::Ruling(_) => "ruling",
        Next::Appeal(_) => "appeal",
        Next::AppealRuling(_) => "appeal_ruling",
        Next::Nothing => "nothing",
    }
}

fn date_text(d: Option<NaiveDate>) -> Option<String> {
    d.map(|d| d.format("%Y-%m-%d").to_string())
}

#[derive(Serialize)]
struct DeadlinesJson {
    objection_due: Option<String>,
    evidence_due: Option<String>,
    opinion_due: Option<String>,
    appeal_due: Option<String>,
}

#[derive(Serialize)]
struct NextJson {
    step: &'static str,
    due: Option<String>,
    days_left: Option<i64>,
}

#[derive(Serialize)]
struct RulingJson {
    level: u8,
    outcome: &'static str,
    claimant_percent: u8,
    reasons: String,
    ruled_at: String,
}

#[derive(Serialize)]
struct AppealJson {
    by: &'static str,
    /// Only our own appeal's reason.
    reason: Option<String>,
    appealed_at: String,
}

#[derive(Serialize)]
pub(super) struct EvidenceJson {
    id: i64,
    kind: &'static str,
    name: String,
    mime: String,
    size: i64,
    sha256: String,
    note: String,
    uploaded_at: String,
}

#[derive(Serialize)]
pub(super) struct DisputeJson {
    id: i64,
    project: String,
    /// Always 前三后四.
    customer_phone: String,
    subscription_id: Option<i64>,
    visit_record: Option<i64>,
    /// Our own report the claim rests on (only when we are the claimant).
    report_id: Option<i64>,
    kind: &'static str,
    claim: String,
    /// `claimant` or `respondent`: our side.
    side: &'static str,
    claimant: &'static str,
    respondent: &'static str,
    status: &'static str,
    opened_at: String,
    deadlines: DeadlinesJson,
    next: NextJson,
    rulings: Vec<RulingJson>,
    appeal: Option<AppealJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<Vec<EvidenceJson>>,
}

pub(super) const OTHER: &str = "对方渠道";

pub(super) fn evidence_json(e: &Evidence) -> EvidenceJson {
    EvidenceJson {
        id: e.id,
        kind: e.kind.code(),
        name: e.name.clone(),
        mime: e.mime.clone(),
        size: e.size,
        sha256: e.sha256.clone(),
        note: e.note.clone(),
        uploaded_at: e.uploaded_at.clone(),
    }
}

pub(super) fn dispute_json(
    state: &AppState,
    d: &Dispute,
    me: i64,
    now: DateTime<Utc>,
    evidence: Option<&[Evidence]>,
) -> DisputeJson {
    let s = standing(state, d, now);
    let side = d.party_of(me).unwrap_or(Party::Respondent);
    DisputeJson {
        id: d.id,
        project: d.project_id.clone(),
        customer_phone: d.masked_phone.clone(),
        subscription_id: d.subscription_id,
        visit_record: d.visit_seq,
        report_id: if side == Party::Claimant { d.report_id } else { None },
        kind: d.claim_kind.code(),
        claim: scrub(&d.claim, d, me, OTHER),
        side: side.code(),
        claimant: Side::of(d.claimant_agency_id, me).code(),
        respondent: Side::of(d.respondent_agency_id, me).code(),
        status: d.status.code(),
        opened_at: d.opened_at.clone(),
        deadlines: DeadlinesJson {
            objection_due: date_text(s.due.objection_due),
            evidence_due: date_text(s.due.evidence_due),
            opinion_due: date_text(s.due.opinion_due),
            appeal_due: date_text(s.appeal_due),
        },
        next: NextJson { step: next_code(s.next), due: date_text(s.next.due()), days_left: s.days_left },
        rulings: d
            .rulings
            .iter()
            .map(|r| RulingJson {
                level: r.level,
                outcome: r.outcome.code(),
                claimant_percent: r.outcome.claimant_percent(),
                reasons: scrub(&r.reasons, d, me, OTHER),
                ruled_at: r.ruled_at.clone(),
            })
            .collect(),
        appeal: d.appeal.as_ref().map(|a| {
            let by = Side::of(a.agency_id, me);
            AppealJson {
                by: by.code(),
                reason: (by == Side::Us).then(|| a.reason.clone()),
                appealed_at: a.appealed_at.clone(),
            }
        }),
        evidence: evidence.map(|list| list.iter().map(evidence_json).collect()),
    }
}
