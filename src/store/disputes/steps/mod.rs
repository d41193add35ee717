//! A dispute's steps: opened (`open`), evidence attached (`evidence`),
//! appealed, ruled, withdrawn (`ruling`). Each writes its row and its ledger
//! entry in one transaction, tells the parties (`notices`), and — a ruling —
//! attributes the deal again with the ruling in force.

mod evidence;
mod open;
mod ruling;

pub use evidence::NewEvidence;
pub use open::{NewDispute, Subject};

use super::Dispute;
use crate::domain::dispute::{DealDates, Status};
use crate::store::deals::Appender;
use crate::store::ledger::{EntryKind, NewEntry};
use crate::store::{StoreError, StoreResult};
use crate::wire::dispute::{DISPUTE_VERSION, DisputeBody};
use crate::wire::record;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

fn deal_dates_in(conn: &Connection, subscription_id: i64) -> StoreResult<DealDates> {
    let (deposit, down): (Option<String>, Option<String>) = conn
        .prepare_cached("SELECT deposit_at, down_payment_at FROM subscriptions WHERE id = ?1")?
        .query_row([subscription_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(DealDates {
        deposit_at: deposit.as_deref().and_then(crate::time::parse_instant),
        down_payment_at: down.as_deref().and_then(crate::time::parse_instant),
    })
}

/// Appends a dispute entry; returns its number.
fn seal_in(
    tx: &Connection,
    app: &mut Appender<'_>,
    project_id: &str,
    body: &DisputeBody,
    now: DateTime<Utc>,
) -> StoreResult<i64> {
    let value = record::canonical(body).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let entry = NewEntry {
        kind: EntryKind::Dispute,
        project_id,
        report_id: None,
        amends_seq: None,
        body: &value,
        signatures: Vec::new(),
    };
    app.append(tx, entry, now)
}

fn body(d: &Dispute, event: &str, by: &str) -> DisputeBody {
    DisputeBody {
        version: DISPUTE_VERSION,
        dispute_id: d.id,
        event: event.to_owned(),
        subscription_id: d.subscription_id,
        visit_seq: d.visit_seq,
        by: by.to_owned(),
        claim: None,
        evidence: None,
        appeal: None,
        ruling: None,
    }
}

fn set_status_in(tx: &Connection, id: i64, status: Status, now: DateTime<Utc>) -> StoreResult<()> {
    tx.prepare_cached("UPDATE disputes SET status = ?2, updated_at = ?3 WHERE id = ?1")?.execute(params![
        id,
        status.code(),
        crate::time::stamp(now)
    ])?;
    Ok(())
}
