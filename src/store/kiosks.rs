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
    /// When the tablet last called panke (unix seconds; written at most
    /// every `SEEN_EVERY_SECS`).
    pub last_seen_unix: Option<i64>,
    /// The kiosk app's version it last named (`v-…`, the asset version).
    pub app_version: Option<String>,
}

/// A kiosk as the back office lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KioskStatus {
    pub kiosk: Kiosk,
    pub created_at: String,
    pub paired_at: Option<String>,
    pub revoked_at: Option<String>,
    /// A pairing code not used yet works until then (unix seconds).
    pub pairing_expires_unix: Option<i64>,
    /// The tablet holds a live device session.
    pub device_live: bool,
    /// The clerk signed in at it now (the newest live PIN session).
    pub clerk: Option<Staff>,
}

/// Pairing codes are short enough to type on a tablet and live a day.
const PAIRING_SECS: i64 = 24 * 3600;

/// A kiosk's last-seen time is written at most this often.
pub const SEEN_EVERY_SECS: i64 = 60;

const KIOSK_COLUMNS: &str = "SELECT id, project_id, name, revoked_at IS NOT NULL, last_seen_unix, app_version";

fn read_kiosk(r: &rusqlite::Row<'_>) -> rusqlite::Result<Kiosk> {
    Ok(Kiosk {
        id: r.get(0)?,
        project_id: r.get(1)?,
        name: r.get(2)?,
        revoked: r.get(3)?,
        last_seen_unix: r.get(4)?,
        app_version: r.get(5)?,
    })
}

impl Store {
    /// Creates a kiosk and returns it with its one-time pairing code.
    pub fn create_kiosk(&self, project_id: &str, name: &str, now: DateTime<Utc>) -> StoreResult<(Kiosk, String)> {
        self.create_kiosk_by(project_id, name, "cli", now)
    }

    /// The same, `actor` named in the audit entry written with the insert.
    pub fn create_kiosk_by(
        &self,
        project_id: &str,
        name: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<(Kiosk, String)> {
        self.project(project_id)?;
        let name = super::people::checked_name(name, "平板名称", "kiosk name")?;
        let code = random_secret()[..10].to_owned();
        self.all_or_nothing(|store| {
            store.conn.execute(
                "INSERT INTO kiosks (project_id, name, pairing_sha256, pairing_expires_unix, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![project_id, name, sha256_hex(code.as_bytes()), now.timestamp() + PAIRING_SECS, now.to_rfc3339()],
            )?;
            let kiosk = store.kiosk(store.conn.last_insert_rowid())?;
            store.audit(now, actor, "kiosk.create", Some(project_id), &format!("kiosk {} {}", kiosk.id, kiosk.name))?;
            Ok((kiosk, code))
        })
    }

    pub fn kiosk(&self, id: i64) -> StoreResult<Kiosk> {
        self.conn
            .prepare_cached(&format!("{KIOSK_COLUMNS} FROM kiosks WHERE id = ?1"))?
            .query_row([id], read_kiosk)
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("kiosk {id}")))
    }

    /// The kiosks of a project (or every project: `None`) with their
    /// status, live ones first.
    pub fn kiosk_statuses(&self, project_id: Option<&str>, now: DateTime<Utc>) -> StoreResult<Vec<KioskStatus>> {
        let mut stmt = self.conn.prepare(&format!(
            "{KIOSK_COLUMNS}, created_at, paired_at, revoked_at, pairing_expires_unix FROM kiosks
             WHERE (?1 IS NULL OR project_id = ?1) ORDER BY revoked_at IS NOT NULL, project_id, id"
        ))?;
        let rows = stmt.query_map([project_id], |r| {
            Ok((
                read_kiosk(r)?,
                r.get::<_, String>(6)?,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, Option<String>>(8)?,
                r.get::<_, Option<i64>>(9)?,
            ))
        })?;
        let mut list = Vec::new();
        for row in rows {
            let (kiosk, created_at, paired_at, revoked_at, pairing_expires_unix) = row?;
            let device_live: bool = self.conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM sessions WHERE kind = 'kiosk' AND subject_id = ?1 AND expires_unix > ?2)",
                params![kiosk.id, now.timestamp()],
                |r| r.get(0),
            )?;
            let clerk_id: Option<i64> = self
                .conn
                .query_row(
                    "SELECT subject_id FROM sessions WHERE kind = 'staff' AND kiosk_id = ?1 AND expires_unix > ?2
                     ORDER BY created_unix DESC LIMIT 1",
                    params![kiosk.id, now.timestamp()],
                    |r| r.get(0),
                )
                .optional()?;
            let clerk = match clerk_id.map(|id| self.staff(id)) {
                Some(Ok(staff)) => Some(staff),
                None | Some(Err(StoreError::NotFound(_))) => None,
                Some(Err(e)) => return Err(e),
            };
            list.push(KioskStatus {
                kiosk,
                created_at,
                paired_at,
                revoked_at,
                pairing_expires_unix,
                device_live,
                clerk,
            });
        }
        Ok(list)
    }

    /// Notes that a kiosk called panke, with the app version it named:
    /// written only when the last note is `SEEN_EVERY_SECS` old or the
    /// version changed (not audited: a status, not a change). Returns
    /// whether it was written.
    pub fn note_kiosk_seen(&self, id: i64, version: Option<&str>, now: DateTime<Utc>) -> StoreResult<bool> {
        Ok(self.conn.execute(
            "UPDATE kiosks SET last_seen_unix = ?2, app_version = coalesce(?3, app_version)
             WHERE id = ?1 AND revoked_at IS NULL
               AND (last_seen_unix IS NULL OR last_seen_unix <= ?2 - ?4 OR (?3 IS NOT NULL AND app_version IS NOT ?3))",
            params![id, now.timestamp(), version, SEEN_EVERY_SECS],
        )? > 0)
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
        self.revoke_kiosk_by(id, "cli", now)
    }

    /// The same, `actor` named in the audit entry. A kiosk is revoked once.
    pub fn revoke_kiosk_by(&self, id: i64, actor: &str, now: DateTime<Utc>) -> StoreResult<()> {
        let kiosk = self.kiosk(id)?;
        if kiosk.revoked {
            return Err(StoreError::Conflict(format!("平板 {id} 已吊销 / kiosk {id} is already revoked")));
        }
        self.all_or_nothing(|store| {
            store.conn.execute("UPDATE kiosks SET revoked_at = ?1 WHERE id = ?2", params![now.to_rfc3339(), id])?;
            let device = store.end_sessions_of(super::sessions::SessionKind::Kiosk, id)?;
            let staff = store.end_sessions_at_kiosk(id)?;
            store.audit(
                now,
                actor,
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
