//! 来访登记: the developer's own visit records. Imported from CSV (all or
//! nothing, idempotent) and written by the kiosk for every recorded visit.

use super::{Store, StoreResult};
use crate::crypto::sha256_hex;
use crate::domain::judge::HistoryVisit;
use crate::domain::phone::{CustomerPhone, Phone};
use crate::domain::token::ReportId;
use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use rusqlite::{Connection, params};

/// One bad line of an import, numbered as a spreadsheet shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: u64,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportSummary {
    pub lines: u64,
    pub added: u64,
    pub already_present: u64,
}

/// Where the lines go and who imports them.
#[derive(Debug, Clone, Copy)]
pub struct HistoryImport<'a> {
    pub project_id: &'a str,
    /// Times without an offset are local to this zone.
    pub tz: Tz,
    /// For lines without a source column.
    pub default_source: &'a str,
    pub actor: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{} bad line(s); nothing was imported", .0.len())]
    BadLines(Vec<LineError>),
    #[error("the file is not readable CSV: {0}")]
    Csv(String),
    #[error(transparent)]
    Store(#[from] super::StoreError),
}

struct Visit {
    at: DateTime<FixedOffset>,
    name: Option<String>,
    phone: CustomerPhone,
    source: String,
}

/// Local times without an offset are read in the project's time zone.
fn parse_time(s: &str, tz: Tz) -> Option<DateTime<FixedOffset>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t);
    }
    ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .and_then(|naive| tz.from_local_datetime(&naive).earliest())
        .map(|t| t.fixed_offset())
}

fn column(headers: &csv::StringRecord, names: &[&str]) -> Option<usize> {
    headers.iter().position(|h| names.iter().any(|n| h.trim().trim_start_matches('\u{feff}').eq_ignore_ascii_case(n)))
}

fn dedup_key(project_id: &str, at: DateTime<FixedOffset>, phone: &CustomerPhone) -> String {
    sha256_hex(format!("{project_id}|{}|{}", at.timestamp(), phone.to_stored()).as_bytes())
}

/// A visit to add to the history.
pub(crate) struct NewVisit<'a> {
    pub at: DateTime<FixedOffset>,
    pub name: Option<&'a str>,
    pub phone: &'a CustomerPhone,
    pub source: &'a str,
    /// An agency's valid visit: the agency and the end of its protection.
    pub protection: Option<(&'a str, DateTime<FixedOffset>)>,
    /// The report the visit was recorded for, or registered over.
    pub report_id: Option<ReportId>,
    /// The visit record (kiosk visits), which amendments may void.
    pub record_seq: Option<i64>,
}

pub(crate) fn insert_visit_in(conn: &Connection, project_id: &str, v: &NewVisit<'_>) -> StoreResult<bool> {
    let masked = v.phone.masked();
    let changed = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO history
             (project_id, at, at_unix, customer_name, phone, phone_head, phone_tail, source, dedup_key, agency, protected_until, report_id,
              record_seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?
        .execute(params![
            project_id,
            crate::time::format_instant(v.at),
            v.at.timestamp(),
            v.name,
            v.phone.to_stored(),
            masked.head(),
            masked.tail(),
            v.source,
            dedup_key(project_id, v.at, v.phone),
            v.protection.map(|(agency, _)| agency),
            v.protection.map(|(_, until)| crate::time::format_instant(until)),
            v.report_id.map(|r| r.0),
            v.record_seq,
        ])?;
    Ok(changed == 1)
}

/// Recorded visits of this customer — any of `phones` (the arrival's and
/// its group's), full or masked match — up to `before`.
pub(crate) fn history_in(
    conn: &Connection,
    project_id: &str,
    phones: &[CustomerPhone],
    before: DateTime<FixedOffset>,
    report: Option<ReportId>,
) -> StoreResult<Vec<HistoryVisit>> {
    // The desk's own registration over this very report (a walk-in while
    // the agent parked) is not a visit before it; a voided visit is none.
    let mut stmt = conn.prepare_cached(
        "SELECT id, at, phone, agency, protected_until FROM history
         WHERE project_id = ?1 AND phone_head = ?2 AND phone_tail = ?3 AND at_unix <= ?4 AND voided = 0
           AND (?5 IS NULL OR report_id IS NULL OR report_id != ?5)",
    )?;
    let mut seen = std::collections::BTreeSet::new();
    let mut visits = Vec::new();
    for wanted in phones {
        let masked = wanted.masked();
        let rows = stmt.query_map(
            params![project_id, masked.head(), masked.tail(), before.timestamp(), report.map(|r| r.0)],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            },
        )?;
        for row in rows {
            let (id, at, stored, agency, until) = row?;
            let (Some(at), Ok(phone)) = (crate::time::parse_instant(&at), CustomerPhone::parse(&stored, true)) else {
                continue;
            };
            if !phone.matches(wanted) || !seen.insert(id) {
                continue;
            }
            let protected_until = until.as_deref().and_then(crate::time::parse_instant);
            visits.push(HistoryVisit { at, phone, agency, protected_until });
        }
    }
    Ok(visits)
}

impl Store {
    /// Imports `time,name,phone,source` lines (a header row is required;
    /// 时间/姓名/电话/来源 work too). Every line is checked first: with any
    /// bad line nothing is written. Lines already imported are skipped.
    pub fn import_history(
        &mut self,
        job: &HistoryImport<'_>,
        csv_text: impl std::io::Read,
        now: DateTime<Utc>,
        mut progress: impl FnMut(u64),
    ) -> Result<ImportSummary, ImportError> {
        let HistoryImport { project_id, tz, default_source, actor } = *job;
        self.project(project_id)?;
        let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(csv_text);
        let headers = reader.headers().map_err(|e| ImportError::Csv(e.to_string()))?.clone();
        let (Some(time_col), Some(phone_col)) =
            (column(&headers, &["time", "时间", "到访时间"]), column(&headers, &["phone", "电话", "手机号"]))
        else {
            return Err(ImportError::Csv("the first row must name the columns: time,name,phone,source".into()));
        };
        let name_col = column(&headers, &["name", "姓名"]);
        let source_col = column(&headers, &["source", "来源"]);

        let mut visits = Vec::new();
        let mut errors = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| ImportError::Csv(e.to_string()))?;
            let line = record.position().map(|p| p.line()).unwrap_or(0);
            let field = |i: Option<usize>| i.and_then(|i| record.get(i)).map(str::trim).filter(|s| !s.is_empty());
            if record.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            let Some(at) = field(Some(time_col)).and_then(|t| parse_time(t, tz)) else {
                errors.push(LineError {
                    line,
                    message: "时间格式不正确(如 2026-11-01 15:00 或 RFC 3339)/ bad or missing time".into(),
                });
                continue;
            };
            let phone = match field(Some(phone_col)).map(|p| CustomerPhone::parse(p, true)) {
                Some(Ok(p)) => p,
                Some(Err(e)) => {
                    errors.push(LineError { line, message: e.to_string() });
                    continue;
                }
                None => {
                    errors.push(LineError { line, message: "缺少电话 / the phone is missing".into() });
                    continue;
                }
            };
            let source = field(source_col).unwrap_or(default_source).to_owned();
            visits.push(Visit { at, name: field(name_col).map(str::to_owned), phone, source });
            progress(visits.len() as u64 + errors.len() as u64);
        }
        if !errors.is_empty() {
            return Err(ImportError::BadLines(errors));
        }
        let tx = super::WriteTx::begin(&mut self.conn).map_err(super::StoreError::from)?;
        let mut added = 0;
        for v in &visits {
            let visit = NewVisit {
                at: v.at,
                name: v.name.as_deref(),
                phone: &v.phone,
                source: &v.source,
                protection: None,
                report_id: None,
                record_seq: None,
            };
            if insert_visit_in(&tx, project_id, &visit)? {
                added += 1;
            }
        }
        let summary = ImportSummary { lines: visits.len() as u64, added, already_present: visits.len() as u64 - added };
        super::audit::record_in(
            &tx,
            &self.ledger_key,
            now,
            actor,
            "history.import",
            Some(project_id),
            &format!("{} lines, {} added, {} already present", summary.lines, summary.added, summary.already_present),
        )?;
        tx.commit().map_err(super::StoreError::from)?;
        Ok(summary)
    }

    pub fn history_of(
        &self,
        project_id: &str,
        phone: &Phone,
        before: DateTime<FixedOffset>,
    ) -> StoreResult<Vec<HistoryVisit>> {
        history_in(&self.conn, project_id, &[CustomerPhone::Full(*phone)], before, None)
    }
}
