//! Numbered `.sql` migrations, applied in order at open; the version
//! reached is kept in SQLite's `user_version`.

use super::{StoreError, StoreResult};
use rusqlite::Connection;
use std::path::Path;

/// (version, SQL). Append only: a released migration never changes.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("migrations/0001_init.sql")),
    (2, include_str!("migrations/0002_web.sql")),
    (3, include_str!("migrations/0003_kiosk.sql")),
    (4, include_str!("migrations/0004_operator_sessions.sql")),
    (5, include_str!("migrations/0005_rules_v2.sql")),
    (6, include_str!("migrations/0006_rotation_board.sql")),
    (7, include_str!("migrations/0007_transparency.sql")),
    (8, include_str!("migrations/0008_audit_chain.sql")),
    (9, include_str!("migrations/0009_visit_index.sql")),
    (10, include_str!("migrations/0010_amendments.sql")),
    (11, include_str!("migrations/0011_people.sql")),
    (12, include_str!("migrations/0012_fallback.sql")),
    (13, include_str!("migrations/0013_deals.sql")),
    (14, include_str!("migrations/0014_disputes.sql")),
    (15, include_str!("migrations/0015_webhooks.sql")),
    (16, include_str!("migrations/0016_growth.sql")),
];

pub const SCHEMA_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].0;

pub(super) fn migrate(conn: &mut Connection, path: &Path) -> StoreResult<()> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew { path: path.to_owned(), found, known: SCHEMA_VERSION });
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > found) {
        // Each migration and its version bump commit together or not at all.
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive)?;
        tx.execute_batch(sql)?;
        // Schemas 13 and 14 rewrite the ledger's CHECK in the schema
        // table: bump the schema version so this very connection re-reads
        // the table's definition (SQLite's documented procedure).
        let new_kind = match *version {
            13 => Some("'attribution'"),
            14 => Some("'dispute'"),
            _ => None,
        };
        if let Some(kind) = new_kind {
            let rewritten: String =
                tx.query_row("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'ledger'", [], |r| {
                    r.get(0)
                })?;
            if !rewritten.contains(kind) {
                return Err(StoreError::Corrupt(format!(
                    "schema {version}: the ledger's kinds could not be extended (its definition differs from schema 1)"
                )));
            }
            let schema: i64 = tx.pragma_query_value(None, "schema_version", |r| r.get(0))?;
            tx.pragma_update(None, "schema_version", schema + 1)?;
        }
        if *version == 10 {
            // Amendments made before schema 10 take effect now.
            super::amendments::refresh_all_in(&tx)?;
        }
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
        tracing::info!(version, "database schema migrated");
    }
    Ok(())
}
