//! Reports (报备): filing, reading, cancelling, and the same-customer
//! lookups the judge needs.

mod agent_list;
mod filing;

pub use agent_list::{CustomerSearch, ExpectedArrival, StatusCounts};
pub use filing::FilingError;

use super::{Store, StoreError, StoreResult};
use crate::domain::judge::Report;
use crate::domain::manual_code::ManualCode;
use crate::domain::name::CustomerName;
use crate::domain::phone::CustomerPhone;
use crate::domain::token::{KeyId, ReportId};
use chrono::{DateTime, FixedOffset, Utc};
use rusqlite::{Connection, OptionalExtension, params};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportStatus {
    Pending,
    VisitedValid,
    VisitedInvalid,
    Expired,
    Cancelled,
    /// Its visit was voided by an amendment (作废): the report no longer
    /// counts for the agency. Not a stored status: read from `voided_by`.
    Voided,
}

impl ReportStatus {
    pub fn code(self) -> &'static str {
        match self {
            ReportStatus::Pending => "pending",
            ReportStatus::VisitedValid => "visited-valid",
            ReportStatus::VisitedInvalid => "visited-invalid",
            ReportStatus::Expired => "expired",
            ReportStatus::Cancelled => "cancelled",
            ReportStatus::Voided => "voided",
        }
    }

    pub fn parse(s: &str) -> Option<ReportStatus> {
        use ReportStatus::*;
        [Pending, VisitedValid, VisitedInvalid, Expired, Cancelled, Voided].into_iter().find(|r| r.code() == s)
    }

    /// As the agent's list shows it, in the kiosk's and the sheet's words
    /// (有效带看 / 自然到访).
    pub fn label_zh(self) -> &'static str {
        match self {
            ReportStatus::Pending => "待到访",
            ReportStatus::VisitedValid => "有效带看",
            ReportStatus::VisitedInvalid => "自然到访",
            ReportStatus::Expired => "已过期",
            ReportStatus::Cancelled => "已撤销",
            ReportStatus::Voided => "已作废",
        }
    }
}

/// What the back office's reports list shows. Every field narrows.
#[derive(Debug, Clone, Default)]
pub struct ReportFilter {
    /// `None`: every project (an admin).
    pub project: Option<String>,
    pub status: Option<ReportStatus>,
    pub agency: Option<String>,
    /// Part of the agent's name.
    pub agent: Option<String>,
    pub filed_from_unix: Option<i64>,
    pub filed_to_unix: Option<i64>,
    /// Part of the customer's name.
    pub name: Option<String>,
    /// A full phone, a masked one, or its last digits.
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredReport {
    pub id: ReportId,
    pub project_id: String,
    pub agency_id: i64,
    pub agency_name: String,
    pub agent_id: i64,
    pub agent_name: String,
    pub customer_name: CustomerName,
    pub customer_phone: CustomerPhone,
    pub filed_at: DateTime<FixedOffset>,
    pub status: ReportStatus,
    pub key_id: KeyId,
    pub manual_code: ManualCode,
    pub expected_arrival: Option<String>,
    pub party_size: Option<i64>,
    pub note: Option<String>,
    pub demo: bool,
}

impl StoredReport {
    pub fn as_judged(&self) -> Report {
        Report {
            agency: self.agency_name.clone(),
            agent: self.agent_name.clone(),
            customer_name: self.customer_name.clone(),
            customer_phone: self.customer_phone,
            filed_at: self.filed_at,
        }
    }
}

/// A report as the agent's form (or API) submits it, already parsed.
pub struct NewReport {
    pub project_id: String,
    pub agent_id: i64,
    pub customer_name: CustomerName,
    pub customer_phone: CustomerPhone,
    pub expected_arrival: Option<String>,
    pub party_size: Option<i64>,
    pub note: Option<String>,
    /// The form's one-time submission id: a double submit files once.
    pub idempotency_key: Option<String>,
    pub demo: bool,
}

const REPORT_COLUMNS: &str =
    "r.id, r.project_id, r.agency_id, g.name, r.agent_id, a.name, r.customer_name, r.customer_phone,
     r.filed_at, r.status, r.key_id, r.manual_code, r.expected_arrival, r.party_size, r.note, r.demo, r.voided_by";
const REPORT_FROM: &str = "reports r JOIN agencies g ON g.id = r.agency_id JOIN agents a ON a.id = r.agent_id";

fn read_report(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredReport> {
    let bad = |i: usize, what: &str| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, format!("bad stored {what}").into())
    };
    let name: String = r.get(6)?;
    let phone: String = r.get(7)?;
    let filed: String = r.get(8)?;
    let status: String = r.get(9)?;
    let code: String = r.get(11)?;
    Ok(StoredReport {
        id: ReportId(r.get(0)?),
        project_id: r.get(1)?,
        agency_id: r.get(2)?,
        agency_name: r.get(3)?,
        agent_id: r.get(4)?,
        agent_name: r.get(5)?,
        customer_name: CustomerName::from_stored(&name),
        customer_phone: CustomerPhone::parse(&phone, true).map_err(|_| bad(7, "phone"))?,
        filed_at: DateTime::parse_from_rfc3339(&filed).map_err(|_| bad(8, "instant"))?,
        status: match r.get::<_, Option<i64>>(16)? {
            Some(_) => ReportStatus::Voided,
            None => ReportStatus::parse(&status).ok_or_else(|| bad(9, "status"))?,
        },
        key_id: KeyId(r.get(10)?),
        manual_code: ManualCode::parse(&code).map_err(|_| bad(11, "manual code"))?,
        expected_arrival: r.get(12)?,
        party_size: r.get(13)?,
        note: r.get(14)?,
        demo: r.get(15)?,
    })
}

fn head_tail(phone: &CustomerPhone) -> (String, String) {
    let masked = phone.masked();
    (masked.head().to_owned(), masked.tail().to_owned())
}

/// Pending reports of the customer (any of `phones`) that are valid at
/// `at`, oldest first — one index read per phone.
pub(crate) fn live_reports_in(
    conn: &Connection,
    project_id: &str,
    phones: &[CustomerPhone],
    rules: &crate::domain::rules::Rules,
    at: DateTime<FixedOffset>,
) -> StoreResult<Vec<StoredReport>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {REPORT_COLUMNS} FROM {REPORT_FROM}
         WHERE r.project_id = ?1 AND r.phone_head = ?2 AND r.phone_tail = ?3 AND r.status = ?4"
    ))?;
    let mut found: Vec<StoredReport> = Vec::new();
    for wanted in phones {
        let (head, tail) = head_tail(wanted);
        for report in stmt.query_map(params![project_id, head, tail, ReportStatus::Pending.code()], read_report)? {
            let report = report?;
            let live = report.customer_phone.matches(wanted)
                && report.filed_at <= at
                && rules.report_valid_at(report.filed_at, at);
            if live && !found.iter().any(|r| r.id == report.id) {
                found.push(report);
            }
        }
    }
    found.sort_by_key(|r| r.filed_at);
    Ok(found)
}

pub(crate) fn report_in(conn: &Connection, id: ReportId) -> StoreResult<StoredReport> {
    conn.prepare_cached(&format!("SELECT {REPORT_COLUMNS} FROM {REPORT_FROM} WHERE r.id = ?1"))?
        .query_row([id.0], read_report)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("report {id}")))
}

/// Every report of this customer in the project, split the way the judge
/// wants them: other agencies' live (not cancelled) reports, and the
/// filing instants of the reporting agency's other reports, cancelled ones
/// included (withdrawing a report does not reset the monthly repeat count).
/// One index read serves both.
pub(crate) struct CustomerReports {
    pub others: Vec<Report>,
    pub own_agency: Vec<DateTime<FixedOffset>>,
}

pub(crate) fn customer_reports_in(
    conn: &Connection,
    project_id: &str,
    phones: &[CustomerPhone],
    report: Option<&StoredReport>,
) -> StoreResult<CustomerReports> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {REPORT_COLUMNS} FROM {REPORT_FROM} WHERE r.project_id = ?1 AND r.phone_head = ?2 AND r.phone_tail = ?3"
    ))?;
    let mut found = CustomerReports { others: Vec::new(), own_agency: Vec::new() };
    let mut seen = std::collections::BTreeSet::new();
    for wanted in phones {
        let (head, tail) = head_tail(wanted);
        for r in stmt.query_map(params![project_id, head, tail], read_report)? {
            let r = r?;
            if !r.customer_phone.matches(wanted) || report.is_some_and(|own| own.id == r.id) || !seen.insert(r.id) {
                continue;
            }
            match report {
                Some(own) if own.agency_id == r.agency_id => found.own_agency.push(r.filed_at),
                // A cancelled report, or one whose visit was voided, claims nothing.
                _ if matches!(r.status, ReportStatus::Cancelled | ReportStatus::Voided) => {}
                _ => found.others.push(r.as_judged()),
            }
        }
    }
    Ok(found)
}

impl Store {
    pub fn report(&self, id: ReportId) -> StoreResult<StoredReport> {
        report_in(&self.conn, id)
    }

    /// Resolves a manual code typed at a kiosk of `project_id`; codes of
    /// other projects are not found.
    pub fn report_by_manual_code(&self, project_id: &str, code: &ManualCode) -> StoreResult<StoredReport> {
        self.conn
            .query_row(
                &format!("SELECT {REPORT_COLUMNS} FROM {REPORT_FROM} WHERE r.manual_code = ?1 AND r.project_id = ?2"),
                params![code.as_str(), project_id],
                read_report,
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound("手动码不存在 / no report has this code".into()))
    }

    /// The agent's reports, newest first.
    pub fn reports_of_agent(&self, agent_id: i64, limit: u32) -> StoreResult<Vec<StoredReport>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {REPORT_COLUMNS} FROM {REPORT_FROM} WHERE r.agent_id = ?1 ORDER BY r.filed_unix DESC, r.id DESC LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![agent_id, limit], read_report)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Marks the project's pending reports whose validity has ended as
    /// expired (已过期). Run at start and periodically by the server.
    pub fn expire_due_reports(
        &self,
        project_id: &str,
        rules: &crate::domain::rules::Rules,
        now: DateTime<Utc>,
    ) -> StoreResult<usize> {
        let now_local = now.with_timezone(&rules.timezone).fixed_offset();
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, filed_at FROM reports WHERE project_id = ?1 AND status = 'pending'")?;
        let due: Vec<i64> = stmt
            .query_map([project_id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
            .filter_map(Result::ok)
            .filter(|(_, filed)| {
                DateTime::parse_from_rfc3339(filed).is_ok_and(|filed| !rules.report_valid_at(filed, now_local))
            })
            .map(|(id, _)| id)
            .collect();
        let mut update =
            self.conn.prepare_cached("UPDATE reports SET status = 'expired' WHERE id = ?1 AND status = 'pending'")?;
        for id in &due {
            update.execute([id])?;
        }
        Ok(due.len())
    }

    /// The agency's reports, newest first (for its API).
    pub fn reports_of_agency(&self, agency_id: i64, limit: u32) -> StoreResult<Vec<StoredReport>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {REPORT_COLUMNS} FROM {REPORT_FROM} WHERE r.agency_id = ?1 ORDER BY r.filed_unix DESC, r.id DESC LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![agency_id, limit], read_report)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A page of reports for the back office, newest first (ids below
    /// `before`), with each report's first read (arrival) when there is one.
    pub fn reports_page(
        &self,
        filter: &ReportFilter,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<(StoredReport, Option<String>)>> {
        use rusqlite::ToSql;
        let mut sql = format!(
            "SELECT {REPORT_COLUMNS}, f.at FROM {REPORT_FROM} LEFT JOIN first_reads f ON f.report_id = r.id WHERE 1 = 1"
        );
        let mut args: Vec<Box<dyn ToSql>> = Vec::new();
        let mut cond = |part: &str, value: Box<dyn ToSql>| {
            sql.push_str(part);
            args.push(value);
        };
        if let Some(p) = &filter.project {
            cond(" AND r.project_id = ?", Box::new(p.clone()));
        }
        if let Some(b) = before {
            cond(" AND r.id < ?", Box::new(b));
        }
        match filter.status {
            Some(ReportStatus::Voided) => cond(" AND r.voided_by IS NOT NULL AND ? = 1", Box::new(1)),
            Some(s) => cond(" AND r.status = ? AND r.voided_by IS NULL", Box::new(s.code())),
            None => {}
        }
        if let Some(a) = &filter.agency {
            cond(" AND g.name LIKE ? ESCAPE '\\'", Box::new(format!("%{}%", super::audit::like_literal(a))));
        }
        if let Some(a) = &filter.agent {
            cond(" AND a.name LIKE ? ESCAPE '\\'", Box::new(format!("%{}%", super::audit::like_literal(a))));
        }
        if let Some(f) = filter.filed_from_unix {
            cond(" AND r.filed_unix >= ?", Box::new(f));
        }
        if let Some(t) = filter.filed_to_unix {
            cond(" AND r.filed_unix < ?", Box::new(t));
        }
        if let Some(n) = &filter.name {
            cond(" AND r.customer_name LIKE ? ESCAPE '\\'", Box::new(format!("%{}%", super::audit::like_literal(n))));
        }
        if let Some(p) = filter.phone.as_deref().map(|p| p.trim().replace([' ', '-'], "")).filter(|p| !p.is_empty()) {
            // Full or masked: the first three and last four; else the last digits.
            let digits_at = |from_end: bool| -> String {
                let it: Box<dyn Iterator<Item = char>> =
                    if from_end { Box::new(p.chars().rev()) } else { Box::new(p.chars()) };
                let d: String = it.take_while(char::is_ascii_digit).collect();
                if from_end { d.chars().rev().collect() } else { d }
            };
            if p.len() == 11 || p.contains('*') {
                cond(" AND r.phone_head = ?", Box::new(digits_at(false).chars().take(3).collect::<String>()));
                let tail: String = digits_at(true);
                cond(" AND r.phone_tail = ?", Box::new(tail[tail.len().saturating_sub(4)..].to_owned()));
            } else {
                cond(" AND r.customer_phone LIKE ?", Box::new(format!("%{}", digits_at(true))));
            }
        }
        sql.push_str(" ORDER BY r.id DESC LIMIT ?");
        args.push(Box::new(limit));
        let mut stmt = self.conn.prepare(&sql)?;
        let refs: Vec<&dyn ToSql> = args.iter().map(|a| a.as_ref()).collect();
        let rows = stmt.query_map(refs.as_slice(), |r| Ok((read_report(r)?, r.get::<_, Option<String>>(17)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn cancel_report(&self, id: ReportId, agency_id: i64, actor: &str, now: DateTime<Utc>) -> StoreResult<()> {
        let report = self.report(id)?;
        if report.agency_id != agency_id {
            return Err(StoreError::NotFound(format!("report {id}")));
        }
        if report.status != ReportStatus::Pending {
            return Err(StoreError::Conflict(format!(
                "该报备状态为「{}」,不能撤销 / only a pending report can be cancelled",
                report.status.label_zh()
            )));
        }
        self.conn.execute(
            "UPDATE reports SET status = 'cancelled', cancelled_at = ?1 WHERE id = ?2 AND status = 'pending'",
            params![crate::time::stamp(now), id.0],
        )?;
        self.audit(now, actor, "report.cancel", Some(&report.project_id), &format!("report {id}"))?;
        Ok(())
    }
}
