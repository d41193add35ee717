//! The audit log: who did what and when (sign-ins, refused codes,
//! amendments, imports, exports, config changes). Append-only like the
//! ledger; never holds a full phone number.

use super::{Store, StoreResult};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub project_id: Option<String>,
    pub detail: String,
}

/// Records inside the caller's transaction, so the entry commits with the
/// change it describes.
pub(crate) fn record_in(
    conn: &Connection,
    now: DateTime<Utc>,
    actor: &str,
    action: &str,
    project_id: Option<&str>,
    detail: &str,
) -> StoreResult<()> {
    conn.prepare_cached("INSERT INTO audit_log (at, actor, action, project_id, detail) VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(params![crate::time::stamp(now), actor, action, project_id, detail])?;
    Ok(())
}

impl Store {
    pub fn audit(
        &self,
        now: DateTime<Utc>,
        actor: &str,
        action: &str,
        project_id: Option<&str>,
        detail: &str,
    ) -> StoreResult<()> {
        record_in(&self.conn, now, actor, action, project_id, detail)
    }

    /// The newest entries first.
    pub fn audit_entries(&self, limit: u32) -> StoreResult<Vec<AuditEntry>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, at, actor, action, project_id, detail FROM audit_log ORDER BY id DESC LIMIT ?1")?;
        let rows = stmt.query_map([limit], |r| {
            Ok(AuditEntry {
                id: r.get(0)?,
                at: r.get(1)?,
                actor: r.get(2)?,
                action: r.get(3)?,
                project_id: r.get(4)?,
                detail: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
