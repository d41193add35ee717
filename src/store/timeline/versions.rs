//! The project's rules as they stood at a step. Every start records the
//! project's effective rules when they changed (`rule_versions`, with the
//! instant first seen): the version in force at an instant is the newest
//! first seen at or before it, and for a step older than every version,
//! the oldest. A visit states the rules sealed in its record and an
//! attribution the settings sealed in its entry; the other steps whose
//! rule is the project's (a report, a subscription, an imported visit)
//! read it here. Loaded once per timeline.

use super::super::StoreResult;
use super::text::{Words, words};
use crate::config::rules::RulesPatch;
use crate::domain::rules::Rules;
use chrono::{DateTime, FixedOffset};
use rusqlite::Connection;

pub(super) struct RuleVersions<'a> {
    /// By the instant first seen, oldest first; `None`: a version whose
    /// JSON no longer reads.
    versions: Vec<(DateTime<FixedOffset>, Option<Rules>)>,
    /// The project's rules now, for a database where none is recorded.
    current: &'a Rules,
}

/// The rules of one step.
pub(super) enum InForce<'a> {
    /// The version recorded for that instant.
    Recorded(&'a Rules),
    /// The version recorded for that instant cannot be read.
    Unreadable,
    /// No version is recorded at all: the project's rules now.
    Current(&'a Rules),
}

impl<'a> RuleVersions<'a> {
    pub(super) fn load(conn: &Connection, project_id: &str, current: &'a Rules) -> StoreResult<RuleVersions<'a>> {
        // rule_versions: rule_versions_by_project (project_id, id). A few
        // rows per project (one per change of its file).
        let mut stmt = conn
            .prepare_cached("SELECT first_seen_at, rules_json FROM rule_versions WHERE project_id = ?1 ORDER BY id")?;
        let rows = stmt.query_map([project_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut versions = Vec::new();
        for row in rows {
            let (seen, json) = row?;
            let Some(seen) = crate::time::parse_instant(&seen) else { continue };
            // Read as `deals::rules_in_force_in` reads the newest.
            let rules =
                serde_json::from_str::<RulesPatch>(&json).ok().and_then(|patch| patch.resolve("rule_versions").ok());
            versions.push((seen, rules));
        }
        // Stable: versions first seen at one instant keep their order.
        versions.sort_by_key(|(seen, _)| *seen);
        Ok(RuleVersions { versions, current })
    }

    /// The rules in force at `at`.
    pub(super) fn at(&self, at: DateTime<FixedOffset>) -> InForce<'_> {
        let version = self.versions.iter().rev().find(|(seen, _)| *seen <= at).or_else(|| self.versions.first());
        match version {
            Some((_, Some(rules))) => InForce::Recorded(rules),
            Some((_, None)) => InForce::Unreadable,
            None => InForce::Current(self.current),
        }
    }
}

impl InForce<'_> {
    /// The rule `say` spells out, and which rules it is by.
    pub(super) fn say(&self, say: impl Fn(&Rules) -> Words) -> Words {
        match self {
            InForce::Recorded(rules) => {
                let (zh, en) = say(rules);
                (format!("按当时有效的规则:{zh}"), format!("by the rules in force then: {en}"))
            }
            InForce::Current(rules) => {
                let (zh, en) = say(rules);
                (
                    format!("按项目现行规则(无当时的规则记录):{zh}"),
                    format!("by the project's rules now (none recorded for then): {en}"),
                )
            }
            InForce::Unreadable => {
                words("(当时的规则记录无法读取)", "(the rules recorded for that time cannot be read)")
            }
        }
    }
}
