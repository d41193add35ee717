//! The ruling in force over a deal, as the attribution reads it: the
//! newest ruling (an admin's on appeal replaces the manager's) of the
//! disputes about the subscription, or about a visit of the same customer
//! raised before the deal existed. A rejected claim leaves the rules'
//! attribution standing.

use crate::domain::dispute::{Outcome, award};
use crate::domain::phone::Phone;
use crate::store::StoreResult;
use crate::wire::record::AppliedRuling;
use rusqlite::{Connection, params};

struct Candidate {
    dispute_id: i64,
    claimant: Option<(i64, String)>,
    respondent: Option<(i64, String)>,
    outcome: Outcome,
    level: u8,
    ruled_at: String,
    ledger_seq: i64,
}

const CANDIDATES: &str = "SELECT d.id, d.claimant_agency_id, ca.name, d.respondent_agency_id, ra.name,
        r.outcome, r.claimant_percent, r.level, r.ruled_at, r.ledger_seq
     FROM disputes d
     JOIN dispute_rulings r ON r.dispute_id = d.id
         AND r.level = (SELECT max(level) FROM dispute_rulings WHERE dispute_id = d.id)
     LEFT JOIN agencies ca ON ca.id = d.claimant_agency_id
     LEFT JOIN agencies ra ON ra.id = d.respondent_agency_id";

fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Option<Candidate>> {
    let party = |id: Option<i64>, name: Option<String>| id.map(|id| (id, name.unwrap_or_default()));
    let outcome: String = r.get(5)?;
    let Ok(outcome) = Outcome::parse(&outcome, Some(r.get(6)?)) else { return Ok(None) };
    Ok(Some(Candidate {
        dispute_id: r.get(0)?,
        claimant: party(r.get(1)?, r.get(2)?),
        respondent: party(r.get(3)?, r.get(4)?),
        outcome,
        level: r.get(7)?,
        ruled_at: r.get(8)?,
        ledger_seq: r.get(9)?,
    }))
}

/// The award in force over subscription `id` of customer `phones`.
pub(crate) fn ruling_in_force_in(
    conn: &Connection,
    subscription_id: i64,
    project_id: &str,
    phones: &[Phone],
) -> StoreResult<Option<AppliedRuling>> {
    let mut found: Vec<Candidate> = Vec::new();
    {
        let mut stmt = conn.prepare_cached(&format!("{CANDIDATES} WHERE d.subscription_id = ?1"))?;
        for c in stmt.query_map([subscription_id], read)? {
            found.extend(c?);
        }
    }
    {
        // Uses disputes_by_customer (project_id, phone_head, phone_tail).
        let mut stmt = conn.prepare_cached(&format!(
            "{CANDIDATES} WHERE d.project_id = ?1 AND d.phone_head = ?2 AND d.phone_tail = ?3 AND d.phone = ?4
               AND d.subscription_id IS NULL"
        ))?;
        for phone in phones {
            let masked = phone.masked();
            for c in stmt.query_map(params![project_id, masked.head(), masked.tail(), phone.as_str()], read)? {
                found.extend(c?);
            }
        }
    }
    // A rejected claim awards nothing, and must not undo another
    // dispute's award: only upheld and split rulings (each dispute's
    // newest level) compete, the newest winning.
    let Some(newest) = found
        .into_iter()
        .filter(|c| c.outcome != Outcome::Rejected)
        .max_by(|a, b| (&a.ruled_at, a.ledger_seq).cmp(&(&b.ruled_at, b.ledger_seq)))
    else {
        return Ok(None);
    };
    let Some(given) = award(newest.outcome, newest.claimant.clone(), newest.respondent.clone()) else {
        return Ok(None);
    };
    let (co_agency, co_agency_id, co_percent) = match given.co {
        Some((Some((id, name)), percent)) => (Some(name), Some(id), percent),
        Some((None, percent)) => (None, None, percent),
        None => (None, None, 0),
    };
    Ok(Some(AppliedRuling {
        dispute_id: newest.dispute_id,
        ruling_seq: newest.ledger_seq,
        level: newest.level,
        outcome: newest.outcome.code().to_owned(),
        agency_id: given.agency.as_ref().map(|(id, _)| *id),
        agency: given.agency.map(|(_, name)| name),
        percent: given.percent,
        co_agency,
        co_agency_id,
        co_percent,
    }))
}
