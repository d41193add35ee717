//! The audit log: who did what and when (sign-ins, refused codes,
//! amendments, imports, exports, config changes). Append-only like the
//! ledger; never holds a full phone number.

use super::{Store, StoreResult};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub project_id: Option<String>,
    pub detail: String,
}

/// The chain value of an entry: HMAC (ledger key) over the previous
/// entry's chain value and this entry's fields, one per line.
fn chain_of(
    key: &[u8],
    previous: &str,
    at: &str,
    actor: &str,
    action: &str,
    project: Option<&str>,
    detail: &str,
) -> String {
    use hmac::Mac;
    let mut m = super::ledger::keyed(key);
    m.update(
        format!(
            "panke-audit-v1\n{previous}\n{at}\n{actor}\n{action}\n{}\n{}\n{detail}",
            project.unwrap_or(""),
            detail.len()
        )
        .as_bytes(),
    );
    data_encoding::HEXLOWER.encode(&m.finalize().into_bytes())
}

/// Records inside the caller's transaction, so the entry commits with the
/// change it describes; chained to the entry before it.
pub(crate) fn record_in(
    conn: &Connection,
    key: &[u8],
    now: DateTime<Utc>,
    actor: &str,
    action: &str,
    project_id: Option<&str>,
    detail: &str,
) -> StoreResult<()> {
    let previous: String = conn
        .prepare_cached("SELECT chain FROM audit_log WHERE chain IS NOT NULL ORDER BY id DESC LIMIT 1")?
        .query_row([], |r| r.get(0))
        .optional()?
        .unwrap_or_default();
    let at = crate::time::stamp(now);
    let chain = chain_of(key, &previous, &at, actor, action, project_id, detail);
    conn.prepare_cached(
        "INSERT INTO audit_log (at, actor, action, project_id, detail, chain) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![at, actor, action, project_id, detail, chain])?;
    Ok(())
}

/// Walks the chained entries: `Err(id)` names the first entry whose chain
/// does not follow (it, or one before it, was edited, removed or inserted).
pub(crate) fn verify_chain(conn: &Connection, key: &[u8]) -> StoreResult<Result<usize, i64>> {
    let mut stmt = conn.prepare(
        "SELECT id, at, actor, action, project_id, detail, chain FROM audit_log WHERE chain IS NOT NULL ORDER BY id",
    )?;
    let mut rows = stmt.query([])?;
    let (mut previous, mut count) = (String::new(), 0usize);
    while let Some(r) = rows.next()? {
        let (id, at, actor, action): (i64, String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
        let (project, detail, chain): (Option<String>, String, String) = (r.get(4)?, r.get(5)?, r.get(6)?);
        if chain_of(key, &previous, &at, &actor, &action, project.as_deref(), &detail) != chain {
            return Ok(Err(id));
        }
        previous = chain;
        count += 1;
    }
    Ok(Ok(count))
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
        record_in(&self.conn, &self.ledger_key, now, actor, action, project_id, detail)
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
