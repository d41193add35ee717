//! The history of a project's rules: each time the effective rules change
//! (noticed at start-up by their SHA-256), the new rules spelled out and
//! where each value came from, with the instant they were first seen.

use super::{Store, StoreResult};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleVersion {
    pub id: i64,
    pub project_id: String,
    pub rules_sha256: String,
    /// The effective rules as JSON (`RulesPatch::from_rules`, every key).
    pub rules_json: String,
    /// `{"min_gap_minutes": "project", …}`: default, deployment or project.
    pub sources_json: String,
    /// UTC stamp (`crate::time::stamp`).
    pub first_seen_at: String,
}

impl Store {
    /// Records the project's effective rules as a new version when they
    /// differ from its latest recorded version (or none is recorded yet).
    /// Returns true when a version was added. The project row must exist
    /// (`sync_project` first).
    pub fn record_rule_version(
        &self,
        project_id: &str,
        rules_sha256: &str,
        rules_json: &str,
        sources_json: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let latest: Option<String> = self
            .conn
            .query_row(
                "SELECT rules_sha256 FROM rule_versions WHERE project_id = ?1 ORDER BY id DESC LIMIT 1",
                [project_id],
                |r| r.get(0),
            )
            .optional()?;
        if latest.as_deref() == Some(rules_sha256) {
            return Ok(false);
        }
        self.conn.execute(
            "INSERT INTO rule_versions (project_id, rules_sha256, rules_json, sources_json, first_seen_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![project_id, rules_sha256, rules_json, sources_json, crate::time::stamp(now)],
        )?;
        Ok(true)
    }

    /// The project's rule versions, newest first.
    pub fn rule_versions(&self, project_id: &str, limit: u32) -> StoreResult<Vec<RuleVersion>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, project_id, rules_sha256, rules_json, sources_json, first_seen_at
             FROM rule_versions WHERE project_id = ?1 ORDER BY id DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![project_id, limit], |r| {
            Ok(RuleVersion {
                id: r.get(0)?,
                project_id: r.get(1)?,
                rules_sha256: r.get(2)?,
                rules_json: r.get(3)?,
                sources_json: r.get(4)?,
                first_seen_at: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
