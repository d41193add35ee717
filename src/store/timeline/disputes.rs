//! A dispute's own steps (异议): opened, each evidence file, the rulings,
//! the one appeal, withdrawn. Each step is the acting party's — the
//! claimant's or the respondent's agency, `None` for the office (rulings,
//! its own evidence) — so an agency's page shows the other side as
//! 其他渠道. Its rule is the seeds' for that step, in the periods the
//! dispute was opened with (`Dispute::settings`: a later change of the
//! project's file does not change them). What people typed (the claim,
//! file names, notes, reasons) is in `details`, for staff.

use super::super::{Store, StoreResult};
use super::text::{detail, words};
use super::{Detail, DisputeSteps, Names, TimelineEvent, TimelineKind, event, with_words};
use crate::domain::dispute::{Party, Status};
use crate::domain::phone::{CustomerPhone, Phone};
use crate::store::disputes::{Dispute, dispute_in};
use rusqlite::{Connection, params};
use std::collections::BTreeSet;

/// The customer's disputes in the project that `steps` asks for, by id.
pub(super) fn customer_disputes(
    conn: &Connection,
    project_id: &str,
    customer: &[Phone],
    steps: DisputeSteps,
) -> StoreResult<BTreeSet<i64>> {
    let mut found = BTreeSet::new();
    if steps == DisputeSteps::Without {
        return Ok(found);
    }
    // disputes: disputes_by_customer (project_id, phone_head, phone_tail).
    // The subject's number may be masked: kept when it matches.
    let mut stmt = conn.prepare_cached(
        "SELECT id, phone, claimant_agency_id, respondent_agency_id FROM disputes
         WHERE project_id = ?1 AND phone_head = ?2 AND phone_tail = ?3",
    )?;
    for wanted in customer {
        let masked = wanted.masked();
        let rows = stmt.query_map(params![project_id, masked.head(), masked.tail()], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<i64>>(2)?, r.get::<_, Option<i64>>(3)?))
        })?;
        for row in rows {
            let (id, phone, claimant, respondent) = row?;
            let same = CustomerPhone::parse(&phone, true).is_ok_and(|p| p.matches_full(wanted));
            let shown = match steps {
                DisputeSteps::Without => false,
                DisputeSteps::All => true,
                DisputeSteps::PartyOf(agency) => claimant == Some(agency) || respondent == Some(agency),
            };
            if same && shown {
                found.insert(id);
            }
        }
    }
    Ok(found)
}

/// The agency of a party to the dispute, with its name (`None`: the office,
/// or the site claiming for itself).
fn acting(d: &Dispute, party: Party) -> (Option<i64>, Option<String>) {
    match party {
        Party::Claimant => (d.claimant_agency_id, d.claimant_agency_id.and(d.claimant.clone())),
        Party::Respondent => (d.respondent_agency_id, d.respondent_agency_id.and(d.respondent.clone())),
        Party::Office => (None, None),
    }
}

/// Who did a step: an agent (named beside the agency), or staff or an API
/// key (a detail, for staff).
fn actor(conn: &Connection, names: &mut Names, by: &str) -> StoreResult<(Option<String>, Option<Detail>)> {
    if let Some(id) = by.strip_prefix("agent:").and_then(|id| id.parse::<i64>().ok()) {
        return Ok((names.agent(conn, id)?, None));
    }
    let who = names.actor(conn, by)?;
    Ok((None, detail("操作人", "By", &who)))
}

/// `e` with the agent who acted (only on an agency's step) and the details.
fn done_by(mut e: TimelineEvent, agent: Option<String>, details: Vec<Option<Detail>>) -> TimelineEvent {
    if e.agency.is_some() {
        e.agent = agent;
    }
    e.details = details.into_iter().flatten().collect();
    e
}

/// The steps of dispute `id`, appended to `events` (unsorted).
pub(super) fn dispute_events_of(
    store: &Store,
    id: i64,
    names: &mut Names,
    events: &mut Vec<TimelineEvent>,
) -> StoreResult<()> {
    let conn = &store.conn;
    let d = dispute_in(conn, id)?;
    let s = d.settings;
    let step = |at: &str, party: Party, seq: Option<i64>| -> Option<TimelineEvent> {
        let at = crate::time::parse_instant(at)?;
        let (agency_id, agency) = acting(&d, party);
        Some(TimelineEvent {
            agency_id,
            agency,
            ledger_seq: seq,
            report_id: d.report_id,
            subscription_id: d.subscription_id,
            ..event(at, TimelineKind::Dispute, d.masked_phone.clone())
        })
    };

    if let Some(e) = step(&d.opened_at, Party::Claimant, Some(d.opened_seq)) {
        let (agent, by) = actor(conn, names, &d.opened_by)?;
        let e = done_by(e, agent, vec![detail("异议内容", "Claim", &d.claim), by]);
        let n = s.objection_days;
        events.push(with_words(
            e,
            (
                format!("提出异议(争议 #{id}):{}", d.claim_kind.zh()),
                format!("objection raised (dispute #{id}): {}", d.claim_kind.en()),
            ),
            (
                format!("异议须在交定金后 {n} 日内提出"),
                format!("an objection is raised within {n} days after the deposit"),
            ),
        ));
    }

    for file in store.dispute_evidence(id, None)? {
        let Some(e) = step(&file.uploaded_at, file.party, Some(file.ledger_seq)) else { continue };
        let (agent, by) = actor(conn, names, &file.uploaded_by)?;
        let e =
            done_by(e, agent, vec![detail("文件名", "File name", &file.name), detail("说明", "Note", &file.note), by]);
        let n = s.evidence_days;
        let rule = if file.party == Party::Office {
            (
                format!("案场可在裁决前补充材料;各方证明材料须在交首付后 {n} 日内提交"),
                format!(
                    "the office may add evidence until it rules; the parties' evidence is due within {n} days after the down payment"
                ),
            )
        } else {
            (
                format!("证明材料须在交首付后 {n} 日内提交;逾期未提交的,佣金、客户均归属促成交易的一方"),
                format!(
                    "evidence is due within {n} days after the down payment; without it in time, the party that closed the deal keeps the customer and the commission"
                ),
            )
        };
        let summary = (
            format!("提交证明材料(争议 #{id}):{}", file.kind.zh()),
            format!("evidence attached (dispute #{id}): {}", file.kind.en()),
        );
        events.push(with_words(e, summary, rule));
    }

    for r in &d.rulings {
        let Some(e) = step(&r.ruled_at, Party::Office, Some(r.ledger_seq)) else { continue };
        let e = done_by(
            e,
            None,
            vec![detail("裁决理由", "Reasons", &r.reasons), detail("裁决人", "Ruled by", &r.ruled_by_name)],
        );
        let (summary, rule) = if r.level >= 2 {
            (
                (
                    format!("集团复核终裁(争议 #{id}):{}", r.outcome.zh()),
                    format!("the group ruled on the appeal, final (dispute #{id}): {}", r.outcome.en()),
                ),
                words("复核一次,集团终裁", "one appeal; the group's ruling is final"),
            )
        } else {
            let (o, a) = (s.opinion_days, s.appeal_days);
            (
                (
                    format!("案场裁决(争议 #{id}):{}", r.outcome.zh()),
                    format!("the office ruled (dispute #{id}): {}", r.outcome.en()),
                ),
                (
                    format!(
                        "案场 {o} 日内给出处理意见(证明材料期满后);未能提供书面证明的,以时间最早的报备信息为准;裁决后 {a} 日内可申请复核一次"
                    ),
                    format!(
                        "the office gives its opinion within {o} days (after the evidence closes); without written proof the earliest report prevails; the ruling may be appealed once within {a} days"
                    ),
                ),
            )
        };
        events.push(with_words(e, summary, rule));
    }

    if let Some(appeal) = &d.appeal
        && let Some(e) = step(&appeal.appealed_at, appeal.party, Some(appeal.ledger_seq))
    {
        let (agent, by) = actor(conn, names, &appeal.by)?;
        let e = done_by(e, agent, vec![detail("复核理由", "Reasons", &appeal.reason), by]);
        let n = s.appeal_days;
        events.push(with_words(
            e,
            (
                format!("申请复核(争议 #{id},{})", appeal.party.zh()),
                format!("appealed (dispute #{id}, the {})", appeal.party.en()),
            ),
            (
                format!("复核一次,集团终裁:须在裁决后 {n} 日内申请"),
                format!("one appeal, within {n} days after the ruling; the group's ruling is final"),
            ),
        ));
    }

    if d.status == Status::Withdrawn
        && let Some(e) = step(&d.updated_at, Party::Claimant, None)
    {
        events.push(with_words(
            e,
            (format!("撤回异议(争议 #{id})"), format!("objection withdrawn (dispute #{id})")),
            words(
                "申诉方可在裁决前撤回异议;撤回后不再处理",
                "the claimant may withdraw before a ruling; a withdrawn dispute is closed",
            ),
        ));
    }
    Ok(())
}
