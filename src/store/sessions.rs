//! Sign-in sessions and agency API keys. Secrets are random, shown to
//! their holder once, and stored only as SHA-256.

use super::{Store, StoreResult};
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

    pub fn purge_expired_sessions(&self, now: DateTime<Utc>) -> StoreResult<usize> {
        Ok(self.conn.execute("DELETE FROM sessions WHERE expires_unix <= ?1", [now.timestamp()])?)
    }

    /// Issues an API key for an agency; the key is returned once.
    pub fn create_api_key(&self, agency_id: i64, label: &str, now: DateTime<Utc>) -> StoreResult<String> {
        let key = format!("pk_{}", random_secret().to_lowercase());
        self.conn
            .execute(
                "INSERT INTO api_keys (agency_id, key_sha256, label, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![agency_id, sha256_hex(key.as_bytes()), label.trim(), now.to_rfc3339()],
            )
            .map_err(|e| super::unique_violation(e, "渠道公司不存在 / no such agency"))?;
        Ok(key)
    }

    /// The agency an API key belongs to, if it is live.
    pub fn agency_of_api_key(&self, key: &str) -> StoreResult<Option<i64>> {
        Ok(self
            .conn
            .prepare_cached("SELECT agency_id FROM api_keys WHERE key_sha256 = ?1 AND revoked_at IS NULL")?
            .query_row([sha256_hex(key.as_bytes())], |r| r.get(0))
            .optional()?)
    }
}
