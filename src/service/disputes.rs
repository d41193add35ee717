//! Disputes (撞单 / 申诉) as the agent pages, the agency API and the back
//! office all run them: open, attach evidence, rule, appeal, withdraw, and
//! the deadline list. The periods and the calendar come from the project's
//! file; the store checks them against the deal's dates in the same
//! transaction as the step.

use super::{ServiceError, ServiceResult};
use crate::config::deployment::{Deployment, ProjectConfig};
use crate::domain::dispute::{self as rule, EvidenceKind, Next, Outcome, Party, SeedsDefault, Status};
use crate::domain::evidence::{EvidenceFile, display_name};
use crate::store::Store;
use crate::store::disputes::{Dispute, DisputeFilter, Evidence, NewDispute, NewEvidence};
use chrono::{DateTime, NaiveDate, Utc};

fn project<'d>(deployment: &'d Deployment, id: &str) -> ServiceResult<&'d ProjectConfig> {
    deployment.project(id).ok_or_else(|| ServiceError::UnknownProject(id.to_owned()))
}

/// Opens a dispute (refused after the objection period, with its date).
pub fn open(
    store: &mut Store,
    deployment: &Deployment,
    new: &NewDispute<'_>,
    now: DateTime<Utc>,
) -> ServiceResult<Dispute> {
    let p = project(deployment, new.project_id)?;
    let dispute = store.open_dispute(new, &p.disputes, p.rules.timezone, now)?;
    tracing::info!(dispute = dispute.id, project = %dispute.project_id, by = new.by, "dispute opened");
    Ok(dispute)
}

/// An evidence upload whose file was already checked by content
/// ([`parse_upload`]): attached and sealed.
pub struct Upload<'a> {
    pub dispute_id: i64,
    pub party: Party,
    pub agency_id: Option<i64>,
    /// The kind's code from the form (`hukou`, `marriage`, …).
    pub kind: &'a str,
    pub file_name: &'a str,
    /// Parsed before the database job: decoding an image there would hold
    /// up the writer thread, and every kiosk's check-in with it.
    pub file: &'a EvidenceFile,
    pub note: &'a str,
    pub by: &'a str,
}

/// The evidence kind's code from the form. Callers check it before they
/// parse the file: it costs nothing, the parse may cost seconds.
pub fn evidence_kind(code: &str) -> ServiceResult<EvidenceKind> {
    EvidenceKind::parse(code)
        .ok_or_else(|| ServiceError::Invalid("请选择证明材料的类型 / choose what kind of evidence this is".into()))
}

/// Checks an upload by its content: an image is decoded (up to 50 MP) and
/// re-encoded without its metadata, a PDF's structure is checked. CPU work:
/// callers run it on a blocking thread, never in a database job. A refusal
/// says in both languages what the file is and what is accepted.
pub fn parse_upload(bytes: &[u8]) -> ServiceResult<EvidenceFile> {
    EvidenceFile::parse(bytes).map_err(|e| ServiceError::Invalid(e.to_string()))
}

pub fn attach(
    store: &mut Store,
    deployment: &Deployment,
    dispute: &Dispute,
    upload: &Upload<'_>,
    now: DateTime<Utc>,
) -> ServiceResult<Evidence> {
    let p = project(deployment, &dispute.project_id)?;
    let kind = evidence_kind(upload.kind)?;
    let file = upload.file;
    let name = display_name(upload.file_name, file.kind);
    let evidence = store.add_evidence(
        &NewEvidence {
            dispute_id: upload.dispute_id,
            party: upload.party,
            agency_id: upload.agency_id,
            kind,
            file,
            name: &name,
            note: upload.note,
            by: upload.by,
        },
        p.rules.timezone,
        now,
    )?;
    tracing::info!(dispute = dispute.id, evidence = evidence.id, sha256 = %evidence.sha256, "evidence attached");
    Ok(evidence)
}

/// Rules on a dispute (`outcome`: `upheld`, `rejected`, `split` with the
/// claimant's percentage).
#[allow(clippy::too_many_arguments)]
pub fn rule(
    store: &mut Store,
    dispute_id: i64,
    outcome: &str,
    percent: Option<i64>,
    reasons: &str,
    staff_id: i64,
    admin: bool,
    by: &str,
    now: DateTime<Utc>,
) -> ServiceResult<Dispute> {
    let outcome = Outcome::parse(outcome, percent).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let dispute = store.rule_dispute(dispute_id, outcome, reasons, staff_id, admin, by, now)?;
    tracing::info!(dispute = dispute_id, outcome = outcome.code(), by, "dispute ruled");
    Ok(dispute)
}

pub fn appeal(
    store: &mut Store,
    deployment: &Deployment,
    dispute: &Dispute,
    agency_id: i64,
    reason: &str,
    by: &str,
    now: DateTime<Utc>,
) -> ServiceResult<Dispute> {
    let p = project(deployment, &dispute.project_id)?;
    Ok(store.appeal_dispute(dispute.id, agency_id, reason, by, p.rules.timezone, now)?)
}

/// A dispute with what it waits for next and how urgent that is.
pub struct Due {
    pub dispute: Dispute,
    pub next: Next,
    /// Days until the next step is due (negative: overdue).
    pub days_left: Option<i64>,
    /// The seeds' default once a period passed (offered, never applied).
    pub seeds_default: Option<SeedsDefault>,
}

impl Due {
    pub fn overdue(&self) -> bool {
        self.days_left.is_some_and(|d| d < 0)
    }
}

/// What a dispute waits for on the project's calendar today.
pub fn due(store: &Store, deployment: &Deployment, dispute: Dispute, now: DateTime<Utc>) -> ServiceResult<Due> {
    let p = project(deployment, &dispute.project_id)?;
    let tz = p.rules.timezone;
    let today: NaiveDate = rule::local_date(tz, now);
    let deadlines = dispute.deadlines(tz);
    let at = |s: &str| crate::time::parse_instant(s).map(|t| t.with_timezone(&Utc));
    let ruled_at = dispute.ruling().and_then(|r| at(&r.ruled_at));
    let appealed_at = dispute.appeal.as_ref().and_then(|a| at(&a.appealed_at));
    let next = rule::next(&dispute.settings, tz, dispute.status, &deadlines, ruled_at, appealed_at, today);
    let seeds_default = if dispute.status == Status::Open {
        let evidence = store.claimant_evidence_count(dispute.id)?;
        let first = store.earliest_report_agency(&dispute)?;
        rule::seeds_default(&deadlines, today, evidence, first.is_some() && first == dispute.claimant_agency_id)
    } else {
        None
    };
    Ok(Due { days_left: next.due().map(|d| rule::days_left(d, today)), dispute, next, seeds_default })
}

/// The deadline list: disputes still waiting on someone, most urgent first
/// (overdue, then due soonest; those whose date is not known yet last).
pub fn deadline_list(
    store: &Store,
    deployment: &Deployment,
    filter: &DisputeFilter,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<Due>> {
    let mut out = Vec::new();
    for d in store.disputes(filter, 500)? {
        if matches!(d.status, Status::Closed | Status::Withdrawn) {
            continue;
        }
        let due = due(store, deployment, d, now)?;
        if due.next != Next::Nothing {
            out.push(due);
        }
    }
    out.sort_by_key(|d| (d.days_left.is_none(), d.days_left.unwrap_or(i64::MAX), d.dispute.id));
    Ok(out)
}
