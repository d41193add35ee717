//! Walk-ins (未报备客户登记): the arrival instant is when the desk started
//! the registration, recorded by the server; and the live reports of the
//! customer the desk must see before registering a natural visit over one
//! (the agent may be parking the car).

use super::reports::{StoredReport, live_reports_in};
use super::{Store, StoreError, StoreResult};
use crate::domain::phone::{CustomerPhone, Phone};
use crate::domain::rules::Rules;
use chrono::{DateTime, FixedOffset};
use rusqlite::{Connection, OptionalExtension, params};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkIn {
    pub id: i64,
    pub project_id: String,
    pub at: DateTime<FixedOffset>,
    /// The record it became, once checked in.
    pub record_seq: Option<i64>,
}

pub(crate) fn walk_in_in(conn: &Connection, id: i64) -> StoreResult<WalkIn> {
    let row: Option<(String, String, Option<i64>)> = conn
        .prepare_cached("SELECT project_id, at, record_seq FROM walk_ins WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let (project_id, at, record_seq) = row.ok_or_else(|| StoreError::NotFound(format!("walk-in {id}")))?;
    let at = crate::time::parse_instant(&at).ok_or_else(|| StoreError::Corrupt(format!("walk-in {id}: instant")))?;
    Ok(WalkIn { id, project_id, at, record_seq })
}

pub(crate) fn mark_walk_in_recorded(conn: &Connection, id: i64, seq: i64) -> StoreResult<()> {
    conn.prepare_cached("UPDATE walk_ins SET record_seq = ?1 WHERE id = ?2")?.execute(params![seq, id])?;
    Ok(())
}

impl Store {
    /// The desk starts registering a walk-in: the arrival instant is now.
    pub fn start_walk_in(
        &self,
        project_id: &str,
        kiosk_id: Option<i64>,
        staff_id: Option<i64>,
        at: DateTime<FixedOffset>,
    ) -> StoreResult<WalkIn> {
        self.conn.execute(
            "INSERT INTO walk_ins (project_id, at, kiosk_id, staff_id) VALUES (?1, ?2, ?3, ?4)",
            params![project_id, crate::time::format_instant(at), kiosk_id, staff_id],
        )?;
        walk_in_in(&self.conn, self.conn.last_insert_rowid())
    }

    pub fn walk_in(&self, id: i64) -> StoreResult<WalkIn> {
        walk_in_in(&self.conn, id)
    }

    /// Live reports of a customer (and their group) in the project at `at`.
    pub fn live_reports(
        &self,
        project_id: &str,
        phone: &Phone,
        rules: &Rules,
        at: DateTime<FixedOffset>,
    ) -> StoreResult<Vec<StoredReport>> {
        let mut phones = vec![CustomerPhone::Full(*phone)];
        phones.extend(super::groups::group_phones_in(&self.conn, project_id, phone)?);
        live_reports_in(&self.conn, project_id, &phones, rules, at)
    }
}
