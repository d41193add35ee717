//! Fallback reports (补录): a report received in the WeChat group during
//! an incident window, filed at its message's time with the screenshot of
//! the message, marked and audited; and what the pages list of them.

use super::super::reports::{FilingError, NewReport, StoredReport, report_in};
use super::super::{Store, StoreError, StoreResult};
use super::{MAX_SCREENSHOT_BYTES, at, bad_instant, incident_in};
use crate::domain::rules::Rules;
use crate::domain::token::{KeyId, ReportId};
use chrono::{DateTime, FixedOffset, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::HashSet;

/// A report entered from the WeChat group, with its report.
#[derive(Debug, Clone, PartialEq)]
pub struct FallbackReport {
    pub report: StoredReport,
    pub incident_id: i64,
    pub message_at: DateTime<FixedOffset>,
    pub screenshot_sha256: String,
    pub screenshot_mime: String,
    pub screenshot_bytes: i64,
    pub entered_by: String,
    pub entered_by_name: Option<String>,
    /// UTC stamp.
    pub entered_at: String,
}

/// What a fallback report adds to its report.
#[derive(Debug, Clone)]
pub struct FallbackEntry {
    pub incident_id: i64,
    /// The message's time in the group, in the project's offset: the
    /// report's `filed_at`.
    pub message_at: DateTime<FixedOffset>,
    pub screenshot: Vec<u8>,
    /// `image/jpeg` or `image/png`, checked by content.
    pub screenshot_mime: &'static str,
    pub screenshot_sha256: String,
    /// Who entered it (`staff:2`).
    pub actor: String,
}

/// An agent of the roster, to pick from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterAgent {
    pub id: i64,
    pub name: String,
    pub agency_id: i64,
    pub agency_name: String,
}

fn fallback_report_in(conn: &Connection, report_id: i64) -> StoreResult<Option<FallbackReport>> {
    let row = conn
        .prepare_cached(
            "SELECT f.incident_id, f.message_at, f.screenshot_sha256, f.screenshot_mime, length(f.screenshot),
                    f.entered_by, s.name, f.entered_at
             FROM fallback_reports f LEFT JOIN staff s ON f.entered_by = 'staff:' || s.id
             WHERE f.report_id = ?1",
        )?
        .query_row([report_id], |r| {
            let message: String = r.get(1)?;
            Ok((
                r.get::<_, i64>(0)?,
                DateTime::parse_from_rfc3339(&message).map_err(|_| bad_instant(1))?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, String>(7)?,
            ))
        })
        .optional()?;
    let Some((incident_id, message_at, sha, mime, bytes, entered_by, entered_by_name, entered_at)) = row else {
        return Ok(None);
    };
    Ok(Some(FallbackReport {
        report: report_in(conn, ReportId(report_id))?,
        incident_id,
        message_at,
        screenshot_sha256: sha,
        screenshot_mime: mime,
        screenshot_bytes: bytes,
        entered_by,
        entered_by_name,
        entered_at,
    }))
}

impl Store {
    /// The reports entered for a window, in the order of their messages.
    pub fn fallback_reports_of(&self, incident_id: i64) -> StoreResult<Vec<FallbackReport>> {
        let ids: Vec<i64> = self
            .conn
            .prepare_cached(
                "SELECT report_id FROM fallback_reports WHERE incident_id = ?1 ORDER BY message_unix, report_id",
            )?
            .query_map([incident_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut reports = Vec::with_capacity(ids.len());
        for id in ids {
            reports.extend(fallback_report_in(&self.conn, id)?);
        }
        Ok(reports)
    }

    /// The fallback record of a report, if it was entered as one.
    pub fn fallback_report(&self, report_id: i64) -> StoreResult<Option<FallbackReport>> {
        fallback_report_in(&self.conn, report_id)
    }

    /// A fallback report's screenshot and its media type.
    pub fn fallback_screenshot(&self, report_id: i64) -> StoreResult<(Vec<u8>, String)> {
        self.conn
            .query_row(
                "SELECT screenshot, screenshot_mime FROM fallback_reports WHERE report_id = ?1",
                [report_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("screenshot of report {report_id}")))
    }

    /// Which of these reports were entered as fallback reports (补录), for
    /// the lists to mark them.
    pub fn fallback_report_ids(&self, ids: &[i64]) -> StoreResult<HashSet<i64>> {
        let mut found = HashSet::new();
        for chunk in ids.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let mut stmt =
                self.conn.prepare(&format!("SELECT report_id FROM fallback_reports WHERE report_id IN ({marks})"))?;
            let rows = stmt.query_map(rusqlite::params_from_iter(chunk.iter()), |r| r.get::<_, i64>(0))?;
            for id in rows {
                found.insert(id?);
            }
        }
        Ok(found)
    }

    /// The active agents of the agencies that report for the project (合作
    /// 项目), by agency, to pick the one who reported in the group.
    pub fn fallback_roster(&self, project_id: &str) -> StoreResult<Vec<RosterAgent>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT a.id, a.name, g.id, g.name FROM agents a JOIN agencies g ON g.id = a.agency_id
             WHERE a.active = 1 ORDER BY g.name, a.name, a.id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(RosterAgent { id: r.get(0)?, name: r.get(1)?, agency_id: r.get(2)?, agency_name: r.get(3)? })
        })?;
        let mut roster = Vec::new();
        let mut partner: std::collections::HashMap<i64, bool> = std::collections::HashMap::new();
        for agent in rows {
            let agent = agent?;
            let reports_for = match partner.get(&agent.agency_id) {
                Some(&yes) => yes,
                None => {
                    let yes = super::super::people::agency_reports_for_in(&self.conn, agent.agency_id, project_id)?;
                    partner.insert(agent.agency_id, yes);
                    yes
                }
            };
            if reports_for {
                roster.push(agent);
            }
        }
        Ok(roster)
    }

    /// Files a report received in the WeChat group during an incident
    /// window: the window is checked (open, the message within it and not
    /// in the future), the report is filed with the project's filing rules
    /// at the message's time, and the fallback record and its audit entry
    /// are written — all in one savepoint, so a refusal leaves nothing. A
    /// repeated submission (the same `idempotency_key`) returns the report
    /// entered before.
    pub fn file_fallback_report(
        &mut self,
        new: NewReport,
        rules: &Rules,
        key_id: KeyId,
        entry: &FallbackEntry,
        now: DateTime<Utc>,
        random: impl FnMut() -> u64,
    ) -> Result<FallbackReport, FilingError> {
        self.conn.execute_batch("SAVEPOINT fallback_report")?;
        let result = self.file_fallback_in(new, rules, key_id, entry, now, random);
        match &result {
            Ok(_) => self.conn.execute_batch("RELEASE fallback_report")?,
            Err(_) => self.conn.execute_batch("ROLLBACK TO fallback_report; RELEASE fallback_report")?,
        }
        result
    }

    fn file_fallback_in(
        &mut self,
        new: NewReport,
        rules: &Rules,
        key_id: KeyId,
        entry: &FallbackEntry,
        now: DateTime<Utc>,
        random: impl FnMut() -> u64,
    ) -> Result<FallbackReport, FilingError> {
        let incident = incident_in(&self.conn, entry.incident_id)?;
        if incident.project_id != new.project_id {
            return Err(StoreError::NotFound(format!("incident {}", entry.incident_id)).into());
        }
        incident.check_entry(entry.message_at, now).map_err(StoreError::Invalid)?;
        if entry.screenshot.is_empty() || entry.screenshot.len() > MAX_SCREENSHOT_BYTES {
            return Err(StoreError::Invalid(
                "截图须为 5 MB 以内的图片 / the screenshot must be an image of at most 5 MB".into(),
            )
            .into());
        }
        let report: StoredReport = self.file_report_checked(new, Some(rules), key_id, entry.message_at, random)?;
        if let Some(existing) = fallback_report_in(&self.conn, report.id.0)? {
            return Ok(existing);
        }
        self.conn
            .prepare_cached(
                "INSERT INTO fallback_reports (report_id, incident_id, message_at, message_unix, screenshot,
                    screenshot_sha256, screenshot_mime, entered_by, entered_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                report.id.0,
                incident.id,
                crate::time::format_instant(entry.message_at),
                entry.message_at.timestamp(),
                entry.screenshot,
                entry.screenshot_sha256,
                entry.screenshot_mime,
                entry.actor,
                crate::time::stamp(now)
            ])?;
        super::super::audit::record_in(
            &self.conn,
            &self.ledger_key,
            now,
            &entry.actor,
            "report.fallback",
            Some(&report.project_id),
            &format!(
                "report {} (补录) in incident {}: message {}, {} / {}, customer {}; screenshot {} sha256 {}",
                report.id.0,
                incident.id,
                at(entry.message_at),
                report.agency_name,
                report.agent_name,
                report.customer_phone.masked(),
                entry.screenshot_mime,
                entry.screenshot_sha256
            ),
        )?;
        fallback_report_in(&self.conn, report.id.0)?
            .ok_or_else(|| StoreError::NotFound(format!("fallback report {}", report.id.0)).into())
    }
}
