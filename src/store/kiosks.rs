//! Kiosks (the desk tablets) and the sales consultants' rotation.

use super::people::{Role, Staff};
use super::{Store, StoreError, StoreResult};
use crate::crypto::random_secret;
use crate::crypto::sha256_hex;
use crate::domain::rotation::{self, Presence, Seat};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{OptionalExtension, params};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kiosk {
    pub id: i64,
    pub project_id: String,
    pub name: String,
    pub revoked: bool,
}

/// Pairing codes are short enough to type on a tablet and live a day.
const PAIRING_SECS: i64 = 24 * 3600;

impl Store {
    /// Creates a kiosk and returns it with its one-time pairing code.
    pub fn create_kiosk(&self, project_id: &str, name: &str, now: DateTime<Utc>) -> StoreResult<(Kiosk, String)> {
        self.project(project_id)?;
        let code = random_secret()[..10].to_owned();
        self.conn.execute(
            "INSERT INTO kiosks (project_id, name, pairing_sha256, pairing_expires_unix, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![project_id, name.trim(), sha256_hex(code.as_bytes()), now.timestamp() + PAIRING_SECS, now.to_rfc3339()],
        )?;
        let kiosk = self.kiosk(self.conn.last_insert_rowid())?;
        self.audit(now, "cli", "kiosk.create", Some(project_id), &format!("kiosk {} {}", kiosk.id, kiosk.name))?;
        Ok((kiosk, code))
    }

    pub fn kiosk(&self, id: i64) -> StoreResult<Kiosk> {
        self.conn
            .prepare_cached("SELECT id, project_id, name, revoked_at IS NOT NULL FROM kiosks WHERE id = ?1")?
            .query_row([id], |r| {
                Ok(Kiosk { id: r.get(0)?, project_id: r.get(1)?, name: r.get(2)?, revoked: r.get(3)? })
            })
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("kiosk {id}")))
    }

    /// Uses up a pairing code: the kiosk it was for, if the code is live.
    pub fn pair_kiosk(&self, code: &str, now: DateTime<Utc>) -> StoreResult<Kiosk> {
        let code = code.trim().to_uppercase();
        let id: Option<i64> = self
            .conn
            .query_row(
                "SELECT id FROM kiosks WHERE pairing_sha256 = ?1 AND pairing_expires_unix >= ?2 AND revoked_at IS NULL",
                params![sha256_hex(code.as_bytes()), now.timestamp()],
                |r| r.get(0),
            )
            .optional()?;
        let id = id.ok_or_else(|| {
            StoreError::Invalid("配对码无效或已过期 / the pairing code is wrong or has expired".into())
        })?;
        self.conn.execute(
            "UPDATE kiosks SET pairing_sha256 = NULL, pairing_expires_unix = NULL, paired_at = ?1 WHERE id = ?2",
            params![now.to_rfc3339(), id],
        )?;
        let kiosk = self.kiosk(id)?;
        self.audit(now, &format!("kiosk:{id}"), "kiosk.paired", Some(&kiosk.project_id), &kiosk.name)?;
        Ok(kiosk)
    }

    /// Revokes a kiosk: its device session and every staff session opened
    /// on it with a PIN end at once, in one transaction with the audit
    /// entry.
    pub fn revoke_kiosk(&self, id: i64, now: DateTime<Utc>) -> StoreResult<()> {
        let kiosk = self.kiosk(id)?;
        self.all_or_nothing(|store| {
            store.conn.execute("UPDATE kiosks SET revoked_at = ?1 WHERE id = ?2", params![now.to_rfc3339(), id])?;
            let device = store.end_sessions_of(super::sessions::SessionKind::Kiosk, id)?;
            let staff = store.end_sessions_at_kiosk(id)?;
            store.audit(
                now,
                "cli",
                "kiosk.revoke",
                Some(&kiosk.project_id),
                &format!("kiosk {id}; {device} device and {staff} staff session(s) ended"),
            )
        })
    }

    /// The sales consultant whose turn it is (轮排) on local day `day`.
    pub fn next_sales(&self, project_id: &str, day: NaiveDate) -> StoreResult<Option<Staff>> {
        let board = board_in(&self.conn, project_id, day)?;
        rotation::propose(&board).map(|id| self.staff(id)).transpose()
    }

    /// The board of a local day: every active consultant with presence and
    /// last turn.
    pub fn rotation_board(&self, project_id: &str, day: NaiveDate) -> StoreResult<Vec<(Staff, Seat)>> {
        board_in(&self.conn, project_id, day)?.into_iter().map(|seat| Ok((self.staff(seat.staff_id)?, seat))).collect()
    }

    /// A consultant marks themselves present, away or busy for the day.
    pub fn set_presence(
        &self,
        project_id: &str,
        staff_id: i64,
        day: NaiveDate,
        presence: Presence,
        actor: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let staff = self.staff(staff_id)?;
        if staff.role != Role::Sales || staff.project_id.as_deref() != Some(project_id) {
            return Err(super::StoreError::Refused(super::Refusal::SalesNotAllowed));
        }
        self.conn.execute(
            "INSERT INTO sales_presence (project_id, staff_id, day, presence) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(project_id, staff_id, day) DO UPDATE SET presence = excluded.presence",
            params![project_id, staff_id, day.to_string(), presence.code()],
        )?;
        self.audit(now, actor, "rotation.presence", Some(project_id), &format!("staff {staff_id}: {}", presence.code()))
    }

    /// After a visit: who goes to the back of the queue (rotation rules in
    /// `domain::rotation`).
    pub(crate) fn rotate_sales_in(
        conn: &rusqlite::Connection,
        project_id: &str,
        served: i64,
        requested_by_name: bool,
        day: NaiveDate,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let board = board_in(conn, project_id, day)?;
        let mut stmt = conn.prepare_cached(
            "INSERT INTO sales_rotation (project_id, staff_id, last_unix) VALUES (?1, ?2, ?3)
             ON CONFLICT(project_id, staff_id) DO UPDATE SET last_unix = excluded.last_unix",
        )?;
        for id in rotation::after_visit(&board, served, requested_by_name) {
            stmt.execute(params![project_id, id, now.timestamp()])?;
        }
        Ok(())
    }

    /// Staff who may operate a project's kiosk: desk clerks and sales.
    pub fn kiosk_operators(&self, project_id: &str) -> StoreResult<Vec<Staff>> {
        let mut all = self.project_staff(project_id, Role::Desk)?;
        all.extend(self.project_staff(project_id, Role::Sales)?);
        Ok(all)
    }
}

fn board_in(conn: &rusqlite::Connection, project_id: &str, day: NaiveDate) -> StoreResult<Vec<Seat>> {
    let mut stmt = conn.prepare_cached(
        "SELECT s.id, coalesce(p.presence, 'present'), coalesce(r.last_unix, 0) FROM staff s
         LEFT JOIN sales_rotation r ON r.staff_id = s.id AND r.project_id = s.project_id
         LEFT JOIN sales_presence p ON p.staff_id = s.id AND p.project_id = s.project_id AND p.day = ?2
         WHERE s.project_id = ?1 AND s.role = 'sales' AND s.active = 1 ORDER BY s.id",
    )?;
    let rows = stmt.query_map(params![project_id, day.to_string()], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?))
    })?;
    let mut board = Vec::new();
    for row in rows {
        let (staff_id, presence, last_turn) = row?;
        let presence = Presence::parse(&presence).unwrap_or(Presence::Present);
        board.push(Seat { staff_id, presence, last_turn });
    }
    Ok(board)
}
