//! Incident windows (报备系统故障) and fallback reports (补录). The seeds let
//! agents report in the WeChat group while the reporting system is down.
//! An admin opens a window (from, to, why); during it and for
//! `ENTRY_GRACE_HOURS` after its end a manager enters the reports received
//! in the group, each with the message's time and a screenshot. Such a
//! report is an ordinary report filed at the message's time (its QR and
//! manual code work like any other, the judge measures from that time),
//! marked 补录, audited. Outside an open window nothing is back-dated.
//!
//! This file: the windows. `fallback.rs`: the reports entered in them.

mod fallback;

pub use fallback::{FallbackEntry, FallbackReport, RosterAgent};

use super::{Store, StoreError, StoreResult};
use chrono::{DateTime, Duration, FixedOffset, Utc};
use rusqlite::{Connection, OptionalExtension, params};

/// Reports of a window may be entered until this long after its end.
pub const ENTRY_GRACE_HOURS: i64 = 24;
/// A window is at most this long.
pub const MAX_WINDOW_DAYS: i64 = 7;
/// The largest screenshot kept.
pub const MAX_SCREENSHOT_BYTES: usize = 5 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    pub id: i64,
    pub project_id: String,
    pub from: DateTime<FixedOffset>,
    pub to: DateTime<FixedOffset>,
    pub why: String,
    pub opened_by: String,
    pub opened_by_name: Option<String>,
    /// UTC stamp.
    pub opened_at: String,
    pub closed_at: Option<String>,
    pub closed_by: Option<String>,
}

fn at(t: DateTime<FixedOffset>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

impl Incident {
    /// The last instant a report of this window may be entered.
    pub fn entries_until(&self) -> DateTime<FixedOffset> {
        self.to + Duration::hours(ENTRY_GRACE_HOURS)
    }

    /// May reports of this window be entered at `now`? (Why not, if not.)
    pub fn check_open(&self, now: DateTime<Utc>) -> Result<(), String> {
        if self.closed_at.is_some() {
            return Err("该故障时段已被关闭,不能再补录 / this incident window was closed: no more entries".into());
        }
        if now < self.from {
            return Err(format!(
                "故障时段 {} 开始后才能补录 / entries open when the window begins ({})",
                at(self.from),
                at(self.from)
            ));
        }
        if now > self.entries_until() {
            return Err(format!(
                "补录期限已过:须在故障结束后 {ENTRY_GRACE_HOURS} 小时内({} 前)补录 / entries closed {ENTRY_GRACE_HOURS} h after the window's end ({})",
                at(self.entries_until()),
                at(self.entries_until())
            ));
        }
        Ok(())
    }

    /// May a report whose message was sent at `message_at` be entered at
    /// `now`? The message lies within the window and not in the future.
    pub fn check_entry(&self, message_at: DateTime<FixedOffset>, now: DateTime<Utc>) -> Result<(), String> {
        self.check_open(now)?;
        if message_at > now {
            return Err("消息时间不能晚于当前时间 / the message time cannot be in the future".into());
        }
        if message_at < self.from || message_at > self.to {
            return Err(format!(
                "消息时间须在故障时段内({} – {});时段外的报备不能补录 / the message time must lie within the window ({} – {}); reports outside it cannot be back-dated",
                at(self.from),
                at(self.to),
                at(self.from),
                at(self.to)
            ));
        }
        Ok(())
    }
}

/// A window to open.
#[derive(Debug, Clone, Copy)]
pub struct NewIncident<'a> {
    pub project_id: &'a str,
    pub from: DateTime<FixedOffset>,
    pub to: DateTime<FixedOffset>,
    pub why: &'a str,
    pub actor: &'a str,
}

impl NewIncident<'_> {
    /// The window's own rules: a reason, an end after its start, at most
    /// `MAX_WINDOW_DAYS` long, and not so old that its entries are over.
    pub fn check(&self, now: DateTime<Utc>) -> Result<String, String> {
        let why = crate::domain::name::visible_text(self.why)
            .map_err(|_| "请写明故障原因 / say why the reporting system was down".to_owned())?;
        if why.chars().count() > 200 {
            return Err("故障原因最多 200 字 / the reason has at most 200 characters".into());
        }
        if self.to <= self.from {
            return Err("结束时间须晚于开始时间 / the end must be after the start".into());
        }
        if self.to - self.from > Duration::days(MAX_WINDOW_DAYS) {
            return Err(format!("故障时段最长 {MAX_WINDOW_DAYS} 天 / a window is at most {MAX_WINDOW_DAYS} days"));
        }
        if self.to + Duration::hours(ENTRY_GRACE_HOURS) < now {
            return Err(format!(
                "该时段结束已超过 {ENTRY_GRACE_HOURS} 小时,不能再补录 / this window ended more than {ENTRY_GRACE_HOURS} h ago: nothing could be entered"
            ));
        }
        if self.from > now + Duration::days(MAX_WINDOW_DAYS) {
            return Err(format!(
                "开始时间最多为 {MAX_WINDOW_DAYS} 天后 / the start is at most {MAX_WINDOW_DAYS} days ahead"
            ));
        }
        Ok(why)
    }
}

const INCIDENT_SELECT: &str =
    "SELECT i.id, i.project_id, i.from_at, i.to_at, i.why, i.opened_by, s.name, i.opened_at, i.closed_at, i.closed_by
     FROM incidents i LEFT JOIN staff s ON i.opened_by = 'staff:' || s.id";

fn bad_instant(i: usize) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, "bad stored instant".into())
}

fn read_incident(r: &rusqlite::Row<'_>) -> rusqlite::Result<Incident> {
    let from: String = r.get(2)?;
    let to: String = r.get(3)?;
    Ok(Incident {
        id: r.get(0)?,
        project_id: r.get(1)?,
        from: DateTime::parse_from_rfc3339(&from).map_err(|_| bad_instant(2))?,
        to: DateTime::parse_from_rfc3339(&to).map_err(|_| bad_instant(3))?,
        why: r.get(4)?,
        opened_by: r.get(5)?,
        opened_by_name: r.get(6)?,
        opened_at: r.get(7)?,
        closed_at: r.get(8)?,
        closed_by: r.get(9)?,
    })
}

fn incident_in(conn: &Connection, id: i64) -> StoreResult<Incident> {
    conn.prepare_cached(&format!("{INCIDENT_SELECT} WHERE i.id = ?1"))?
        .query_row([id], read_incident)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("incident {id}")))
}

impl Store {
    /// Opens an incident window (an admin), audited in the same
    /// transaction.
    pub fn open_incident(&mut self, new: &NewIncident<'_>, now: DateTime<Utc>) -> StoreResult<Incident> {
        let why = new.check(now).map_err(StoreError::Invalid)?;
        let tx = super::WriteTx::begin(&mut self.conn)?;
        tx.execute(
            "INSERT INTO incidents (project_id, from_at, from_unix, to_at, to_unix, why, opened_by, opened_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                new.project_id,
                crate::time::format_instant(new.from),
                new.from.timestamp(),
                crate::time::format_instant(new.to),
                new.to.timestamp(),
                why,
                new.actor,
                crate::time::stamp(now)
            ],
        )?;
        let id = tx.last_insert_rowid();
        super::audit::record_in(
            &tx,
            &self.ledger_key,
            now,
            new.actor,
            "incident.open",
            Some(new.project_id),
            &format!("incident {id}: {} – {} — {why}", at(new.from), at(new.to)),
        )?;
        let incident = incident_in(&tx, id)?;
        tx.commit()?;
        Ok(incident)
    }

    /// Closes a window early: no more entries (an admin), audited.
    pub fn close_incident(&mut self, id: i64, actor: &str, now: DateTime<Utc>) -> StoreResult<Incident> {
        let tx = super::WriteTx::begin(&mut self.conn)?;
        let incident = incident_in(&tx, id)?;
        if incident.closed_at.is_some() {
            return Err(StoreError::Conflict("该故障时段已关闭 / this window is already closed".into()));
        }
        tx.execute(
            "UPDATE incidents SET closed_at = ?1, closed_by = ?2 WHERE id = ?3 AND closed_at IS NULL",
            params![crate::time::stamp(now), actor, id],
        )?;
        super::audit::record_in(
            &tx,
            &self.ledger_key,
            now,
            actor,
            "incident.close",
            Some(&incident.project_id),
            &format!("incident {id}"),
        )?;
        let closed = incident_in(&tx, id)?;
        tx.commit()?;
        Ok(closed)
    }

    pub fn incident(&self, id: i64) -> StoreResult<Incident> {
        incident_in(&self.conn, id)
    }

    /// The project's windows, newest first.
    pub fn incidents(&self, project_id: &str, limit: u32) -> StoreResult<Vec<Incident>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{INCIDENT_SELECT} WHERE i.project_id = ?1 ORDER BY i.id DESC LIMIT ?2"))?;
        let rows = stmt.query_map(params![project_id, limit], read_incident)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap_or_else(|_| panic!("{s}"))
    }

    fn window() -> Incident {
        Incident {
            id: 1,
            project_id: "demo".into(),
            from: t("2026-11-18T09:00:00+08:00"),
            to: t("2026-11-18T12:00:00+08:00"),
            why: "云客系统故障".into(),
            opened_by: "staff:1".into(),
            opened_by_name: None,
            opened_at: "2026-11-18T03:00:00Z".into(),
            closed_at: None,
            closed_by: None,
        }
    }

    #[test]
    fn a_message_within_an_open_window_may_be_entered_until_the_grace_ends() {
        let w = window();
        let msg = t("2026-11-18T10:05:00+08:00");
        assert!(w.check_entry(msg, t("2026-11-18T10:35:00+08:00").to_utc()).is_ok());
        assert!(w.check_entry(msg, t("2026-11-19T11:59:00+08:00").to_utc()).is_ok());
        assert!(w.check_entry(msg, t("2026-11-19T12:01:00+08:00").to_utc()).is_err());
    }

    #[test]
    fn a_message_outside_the_window_or_in_the_future_is_refused() {
        let w = window();
        let now = t("2026-11-18T11:00:00+08:00").to_utc();
        assert!(w.check_entry(t("2026-11-18T08:59:00+08:00"), now).is_err());
        assert!(w.check_entry(t("2026-11-18T11:30:00+08:00"), now).is_err(), "in the future");
        let mut closed = window();
        closed.closed_at = Some("2026-11-18T02:30:00Z".into());
        assert!(closed.check_entry(t("2026-11-18T10:00:00+08:00"), now).is_err());
    }

    #[test]
    fn a_window_needs_a_reason_an_order_and_a_reachable_end() {
        let now = t("2026-11-18T11:00:00+08:00").to_utc();
        let ok = NewIncident {
            project_id: "demo",
            from: t("2026-11-18T09:00:00+08:00"),
            to: t("2026-11-18T12:00:00+08:00"),
            why: " 云客系统故障 ",
            actor: "staff:1",
        };
        assert_eq!(ok.check(now), Ok("云客系统故障".to_owned()));
        assert!(NewIncident { why: " ", ..ok }.check(now).is_err());
        assert!(NewIncident { to: ok.from, ..ok }.check(now).is_err());
        assert!(NewIncident { to: t("2026-11-26T12:00:00+08:00"), ..ok }.check(now).is_err());
        let old = NewIncident { from: t("2026-11-10T09:00:00+08:00"), to: t("2026-11-10T12:00:00+08:00"), ..ok };
        assert!(old.check(now).is_err());
    }
}
