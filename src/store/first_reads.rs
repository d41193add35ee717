//! The arrival instant (rules.md, "The arrival instant"): the first time a
//! kiosk of the project reads a report's code. Recorded before anything
//! else, never moved (triggers refuse UPDATE and DELETE), so a desk cannot
//! wait out the minimum gap by scanning again later.

use super::{Store, StoreResult};
use crate::domain::token::ReportId;
use chrono::{DateTime, FixedOffset};
use rusqlite::{Connection, OptionalExtension, params};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstRead {
    pub report_id: ReportId,
    pub at: DateTime<FixedOffset>,
    pub kiosk_id: Option<i64>,
    pub staff_id: Option<i64>,
}

pub(crate) fn first_read_in(conn: &Connection, report_id: ReportId) -> StoreResult<Option<FirstRead>> {
    let row: Option<(String, Option<i64>, Option<i64>)> = conn
        .prepare_cached("SELECT at, kiosk_id, staff_id FROM first_reads WHERE report_id = ?1")?
        .query_row([report_id.0], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    Ok(row.and_then(|(at, kiosk_id, staff_id)| {
        crate::time::parse_instant(&at).map(|at| FirstRead { report_id, at, kiosk_id, staff_id })
    }))
}

/// Records `at` as the first read unless one is recorded already; returns
/// the one that stands.
pub(crate) fn record_first_read_in(
    conn: &Connection,
    project_id: &str,
    report_id: ReportId,
    kiosk_id: Option<i64>,
    staff_id: Option<i64>,
    at: DateTime<FixedOffset>,
) -> StoreResult<FirstRead> {
    let inserted = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO first_reads (report_id, project_id, at, at_unix, kiosk_id, staff_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            report_id.0,
            project_id,
            crate::time::format_instant(at),
            at.timestamp(),
            kiosk_id,
            staff_id
        ])?;
    if inserted > 0 {
        // This is the first read: the agency's webhooks hear of it, in the
        // same transaction.
        super::webhooks::report_first_read_in(conn, report_id, kiosk_id, at)?;
    }
    Ok(first_read_in(conn, report_id)?.unwrap_or(FirstRead { report_id, at, kiosk_id, staff_id }))
}

impl Store {
    /// The first read of a report's code at a kiosk, recorded now if this
    /// is it.
    pub fn record_first_read(
        &self,
        project_id: &str,
        report_id: ReportId,
        kiosk_id: Option<i64>,
        staff_id: Option<i64>,
        at: DateTime<FixedOffset>,
    ) -> StoreResult<FirstRead> {
        // The read and its webhook event commit together.
        self.all_or_nothing(|store| record_first_read_in(&store.conn, project_id, report_id, kiosk_id, staff_id, at))
    }

    pub fn first_read(&self, report_id: ReportId) -> StoreResult<Option<FirstRead>> {
        first_read_in(&self.conn, report_id)
    }
}
