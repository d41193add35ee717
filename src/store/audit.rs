//! The audit log: who did what and when (sign-ins, refused codes,
//! amendments, imports, exports, config changes). Append-only like the
//! ledger; never holds a full phone number.

use super::{Store, StoreResult};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, ToSql, params};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub project_id: Option<String>,
    pub detail: String,
}

/// Which entries to list. Every field narrows; `None` / empty: no condition.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// The project the viewer may see; `None`: every entry, with or
    /// without a project (an admin). A manager never sees entries that
    /// have no project.
    pub project: Option<String>,
    /// Ending in a colon (`kiosk:`): every actor of that kind. Otherwise
    /// that actor exactly (`staff:3`, `cli`, `system`), and the actors
    /// under it (`staff` lists `staff:3` too; `staff:3` not `staff:31`).
    pub actor: Option<String>,
    /// The start of the action (`agent.` for every agent action).
    pub action: Option<String>,
    /// Entries at or after this instant (unix seconds).
    pub from_unix: Option<i64>,
    /// Entries before this instant (unix seconds).
    pub to_unix: Option<i64>,
}

/// An instant as `at` holds it (`crate::time::stamp`: UTC, seconds, `Z`,
/// always 4-digit years here), so ranges compare as text. Clamped to the
/// years 1970..=9999, where that text sorts as the instants do.
fn stamp_of_unix(secs: i64) -> String {
    const LAST: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z
    DateTime::<Utc>::from_timestamp(secs.clamp(0, LAST), 0).map(crate::time::stamp).unwrap_or_default()
}

/// An audit row as read by the lists (`id, at, actor, action, project_id,
/// detail`).
fn read_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditEntry> {
    Ok(AuditEntry {
        id: r.get(0)?,
        at: r.get(1)?,
        actor: r.get(2)?,
        action: r.get(3)?,
        project_id: r.get(4)?,
        detail: r.get(5)?,
    })
}

/// `text` for a `LIKE … ESCAPE '\'` pattern, matched literally.
pub(crate) fn like_literal(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
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
        let rows = stmt.query_map([limit], read_entry)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A page of entries, newest first, with ids below `before` (keyset
    /// paging, like `visits`). `at` is `crate::time::stamp` text — RFC 3339
    /// UTC, fixed width — so the date range compares text with text.
    pub fn audit_page(&self, filter: &AuditFilter, before: Option<i64>, limit: u32) -> StoreResult<Vec<AuditEntry>> {
        let mut sql = String::from("SELECT id, at, actor, action, project_id, detail FROM audit_log WHERE 1 = 1");
        let mut args: Vec<Box<dyn ToSql>> = Vec::new();
        let mut cond = |sql_part: &str, value: Box<dyn ToSql>| {
            sql.push_str(sql_part);
            args.push(value);
        };
        if let Some(p) = &filter.project {
            cond(" AND project_id = ?", Box::new(p.clone()));
        }
        if let Some(b) = before {
            cond(" AND id < ?", Box::new(b));
        }
        if let Some(f) = filter.from_unix {
            cond(" AND at >= ?", Box::new(stamp_of_unix(f)));
        }
        if let Some(t) = filter.to_unix {
            cond(" AND at < ?", Box::new(stamp_of_unix(t)));
        }
        if let Some(a) = filter.actor.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
            if a.ends_with(':') {
                cond(" AND actor LIKE ? ESCAPE '\\'", Box::new(format!("{}%", like_literal(a))));
            } else {
                cond(" AND (actor = ?", Box::new(a.to_owned()));
                cond(" OR actor LIKE ? ESCAPE '\\')", Box::new(format!("{}:%", like_literal(a))));
            }
        }
        if let Some(a) = filter.action.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
            cond(" AND action LIKE ? ESCAPE '\\'", Box::new(format!("{}%", like_literal(a))));
        }
        sql.push_str(" ORDER BY id DESC LIMIT ?");
        args.push(Box::new(limit));
        let mut stmt = self.conn.prepare(&sql)?;
        let refs: Vec<&dyn ToSql> = args.iter().map(|a| a.as_ref()).collect();
        let rows = stmt.query_map(refs.as_slice(), read_entry)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
