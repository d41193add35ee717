//! Sign-in sessions and agency API keys. Secrets are random, shown to
//! their holder once, and stored only as SHA-256.

use super::people::By;
use super::{Store, StoreError, StoreResult};
use crate::crypto::{random_secret, sha256_hex};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Agent,
    Staff,
    Kiosk,
}

impl SessionKind {
    fn code(self) -> &'static str {
        match self {
            SessionKind::Agent => "agent",
            SessionKind::Staff => "staff",
            SessionKind::Kiosk => "kiosk",
        }
    }
}

/// An agency API key as stored: never the key itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: i64,
    pub agency_id: i64,
    pub label: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
    /// The key's first characters (`pk_` and 7 more), to tell keys apart;
    /// `None` for keys issued before schema 11.
    pub prefix: Option<String>,
}

/// How many characters of a key are kept to recognise it.
const KEY_PREFIX_CHARS: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub kind: SessionKind,
    pub subject_id: i64,
    pub csrf: String,
    pub expires_unix: i64,
    /// The kiosk a PIN session was started at (staff at a kiosk only).
    pub kiosk_id: Option<i64>,
}

impl Store {
    /// Starts a session; returns the cookie secret (never stored).
    pub fn create_session(
        &self,
        kind: SessionKind,
        subject_id: i64,
        ttl_secs: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<String> {
        self.insert_session(kind, subject_id, None, ttl_secs, now)
    }

    /// Starts a staff member's session at a kiosk (PIN sign-in): the only
    /// kind of session that may operate that kiosk.
    pub fn create_operator_session(
        &self,
        staff_id: i64,
        kiosk_id: i64,
        ttl_secs: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<String> {
        self.insert_session(SessionKind::Staff, staff_id, Some(kiosk_id), ttl_secs, now)
    }

    fn insert_session(
        &self,
        kind: SessionKind,
        subject_id: i64,
        kiosk_id: Option<i64>,
        ttl_secs: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<String> {
        let secret = random_secret();
        self.conn.execute(
            "INSERT INTO sessions (id_sha256, kind, subject_id, csrf, created_unix, expires_unix, kiosk_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                sha256_hex(secret.as_bytes()),
                kind.code(),
                subject_id,
                random_secret(),
                now.timestamp(),
                now.timestamp() + ttl_secs,
                kiosk_id
            ],
        )?;
        Ok(secret)
    }

    /// The live session of a cookie secret, if any.
    pub fn session(&self, secret: &str, kind: SessionKind, now: DateTime<Utc>) -> StoreResult<Option<Session>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT subject_id, csrf, expires_unix, kiosk_id FROM sessions
                 WHERE id_sha256 = ?1 AND kind = ?2 AND expires_unix > ?3",
            )?
            .query_row(params![sha256_hex(secret.as_bytes()), kind.code(), now.timestamp()], |r| {
                Ok(Session {
                    kind,
                    subject_id: r.get(0)?,
                    csrf: r.get(1)?,
                    expires_unix: r.get(2)?,
                    kiosk_id: r.get(3)?,
                })
            })
            .optional()?)
    }

    /// Runs `job` as one unit of writing through `&self`: a transaction of
    /// its own, or a savepoint inside the caller's (the web writer's group
    /// commit). A failed job leaves nothing behind.
    pub(crate) fn all_or_nothing<T>(&self, job: impl FnOnce(&Store) -> StoreResult<T>) -> StoreResult<T> {
        self.conn.execute_batch("SAVEPOINT panke_unit")?;
        let result = job(self).and_then(|value| {
            self.conn.execute_batch("RELEASE panke_unit")?;
            Ok(value)
        });
        if result.is_err() {
            let _ = self.conn.execute_batch("ROLLBACK TO panke_unit; RELEASE panke_unit");
        }
        result
    }

    pub fn end_session(&self, secret: &str) -> StoreResult<()> {
        self.conn.execute("DELETE FROM sessions WHERE id_sha256 = ?1", [sha256_hex(secret.as_bytes())])?;
        Ok(())
    }

    /// Ends every session of a subject (a revoked kiosk, a disabled agent).
    pub fn end_sessions_of(&self, kind: SessionKind, subject_id: i64) -> StoreResult<usize> {
        Ok(self
            .conn
            .execute("DELETE FROM sessions WHERE kind = ?1 AND subject_id = ?2", params![kind.code(), subject_id])?)
    }

    /// Ends every session of a subject but the one with secret `keep` (a
    /// changed password: the device that changed it stays signed in).
    pub fn end_other_sessions_of(&self, kind: SessionKind, subject_id: i64, keep: &str) -> StoreResult<usize> {
        Ok(self.conn.execute(
            "DELETE FROM sessions WHERE kind = ?1 AND subject_id = ?2 AND id_sha256 <> ?3",
            params![kind.code(), subject_id, sha256_hex(keep.as_bytes())],
        )?)
    }

    /// Ends the staff sessions started with a PIN at a kiosk (a revoked
    /// kiosk).
    pub fn end_sessions_at_kiosk(&self, kiosk_id: i64) -> StoreResult<usize> {
        Ok(self.conn.execute(
            "DELETE FROM sessions WHERE kind = ?1 AND kiosk_id = ?2",
            params![SessionKind::Staff.code(), kiosk_id],
        )?)
    }

    /// Ends a staff member's PIN sessions at kiosks (a new PIN), leaving
    /// their back-office sessions.
    pub fn end_pin_sessions_of(&self, staff_id: i64) -> StoreResult<usize> {
        Ok(self.conn.execute(
            "DELETE FROM sessions WHERE kind = ?1 AND subject_id = ?2 AND kiosk_id IS NOT NULL",
            params![SessionKind::Staff.code(), staff_id],
        )?)
    }

    /// "Sign out everywhere": ends every session of a person (or kiosk),
    /// audited in the same transaction. Returns how many ended.
    pub fn end_all_sessions(
        &self,
        kind: SessionKind,
        subject_id: i64,
        actor: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<usize> {
        self.all_or_nothing(|store| {
            let ended = store.end_sessions_of(kind, subject_id)?;
            store.audit(
                now,
                actor,
                "session.end_all",
                None,
                &format!("{} {subject_id}: {ended} session(s) ended", kind.code()),
            )?;
            Ok(ended)
        })
    }

    pub fn purge_expired_sessions(&self, now: DateTime<Utc>) -> StoreResult<usize> {
        Ok(self.conn.execute("DELETE FROM sessions WHERE expires_unix <= ?1", [now.timestamp()])?)
    }

    /// Issues an API key for an agency; the key is returned once.
    pub fn create_api_key(&self, agency_id: i64, label: &str, now: DateTime<Utc>) -> StoreResult<String> {
        let key = format!("pk_{}", random_secret().to_lowercase());
        let prefix: String = key.chars().take(KEY_PREFIX_CHARS).collect();
        self.conn
            .execute(
                "INSERT INTO api_keys (agency_id, key_sha256, label, created_at, prefix) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![agency_id, sha256_hex(key.as_bytes()), label.trim(), now.to_rfc3339(), prefix],
            )
            .map_err(|e| super::unique_violation(e, "渠道公司不存在 / no such agency"))?;
        Ok(key)
    }

    /// Issues an API key from the back office: a label is required (which
    /// system uses it), audited with the insert. Returns the key's id and
    /// the key, shown once.
    pub fn issue_api_key(
        &self,
        agency_id: i64,
        label: &str,
        by: By<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<(i64, String)> {
        let label = super::people::checked_name(label, "密钥用途", "key label")?;
        self.all_or_nothing(|store| {
            let key = store.create_api_key(agency_id, &label, now)?;
            let id = store.conn.last_insert_rowid();
            store.audit(
                now,
                by.actor,
                "agency.api_key",
                by.project,
                &format!("key {id} ({label}) of agency {agency_id}"),
            )?;
            Ok((id, key))
        })
    }

    /// The agency an API key belongs to, if it is live.
    pub fn agency_of_api_key(&self, key: &str) -> StoreResult<Option<i64>> {
        Ok(self
            .conn
            .prepare_cached("SELECT agency_id FROM api_keys WHERE key_sha256 = ?1 AND revoked_at IS NULL")?
            .query_row([sha256_hex(key.as_bytes())], |r| r.get(0))
            .optional()?)
    }
    /// An agency's API keys, oldest first.
    pub fn api_keys(&self, agency_id: i64) -> StoreResult<Vec<ApiKey>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, agency_id, label, created_at, revoked_at, prefix FROM api_keys WHERE agency_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([agency_id], read_api_key)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn api_key(&self, id: i64) -> StoreResult<ApiKey> {
        self.conn
            .query_row(
                "SELECT id, agency_id, label, created_at, revoked_at, prefix FROM api_keys WHERE id = ?1",
                [id],
                read_api_key,
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("API key {id}")))
    }

    /// The id of a full API key (as issued), live or revoked.
    pub fn api_key_id(&self, key: &str) -> StoreResult<Option<i64>> {
        Ok(self
            .conn
            .query_row("SELECT id FROM api_keys WHERE key_sha256 = ?1", [sha256_hex(key.trim().as_bytes())], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Revokes an API key: the API refuses it from the next request on.
    /// Audited in the same transaction.
    pub fn revoke_api_key(&self, id: i64, actor: &str, now: DateTime<Utc>) -> StoreResult<ApiKey> {
        self.revoke_api_key_by(id, By { actor, project: None }, now)
    }

    /// The same, the audit entry filed under `by.project`.
    pub fn revoke_api_key_by(&self, id: i64, by: By<'_>, now: DateTime<Utc>) -> StoreResult<ApiKey> {
        let key = self.api_key(id)?;
        let already = || StoreError::Conflict(format!("API key {id} 已吊销 / is already revoked"));
        if key.revoked_at.is_some() {
            return Err(already());
        }
        self.all_or_nothing(|store| {
            // The write comes first, so the transaction never has to turn
            // from reading into writing.
            let at = now.to_rfc3339();
            let changed = store
                .conn
                .execute("UPDATE api_keys SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL", params![at, id])?;
            if changed == 0 {
                return Err(already());
            }
            store.audit(
                now,
                by.actor,
                "agency.api_key_revoke",
                by.project,
                &format!("key {id} of agency {} ({})", key.agency_id, key.label),
            )?;
            Ok(ApiKey { revoked_at: Some(at), ..key })
        })
    }
}

fn read_api_key(r: &rusqlite::Row<'_>) -> rusqlite::Result<ApiKey> {
    Ok(ApiKey {
        id: r.get(0)?,
        agency_id: r.get(1)?,
        label: r.get(2)?,
        created_at: r.get(3)?,
        revoked_at: r.get(4)?,
        prefix: r.get(5)?,
    })
}
