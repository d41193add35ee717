//! Reports as the agent's list and the back office's day see them: the
//! counts per status (one GROUP BY), the list by status and by customer,
//! the live report an agency already has of a customer (filing it twice is
//! answered with a link to it), when a report was cancelled, and the
//! reports expected to arrive on a day.

use super::super::{Store, StoreResult};
use super::{REPORT_COLUMNS, REPORT_FROM, ReportStatus, StoredReport, head_tail, live_reports_in, read_report};
use crate::domain::phone::CustomerPhone;
use crate::domain::rules::Rules;
use crate::domain::token::ReportId;
use chrono::{DateTime, FixedOffset, NaiveDate};
use rusqlite::{OptionalExtension, params};

/// How an agent looks a customer up in their list.
#[derive(Debug, Clone, PartialEq)]
pub enum CustomerSearch {
    /// Part of the name as reported.
    Name(String),
    /// The phone's last four digits.
    PhoneTail(String),
    /// A whole number, full or masked (前三后四).
    Phone(CustomerPhone),
}

impl CustomerSearch {
    /// What the agent typed: four digits are the phone's last four, a
    /// phone number (full or masked) is that phone, anything else is part
    /// of a name. Nothing typed: no search.
    pub fn parse(typed: &str) -> Option<CustomerSearch> {
        let t = typed.trim();
        if t.is_empty() {
            return None;
        }
        if t.len() == 4 && t.chars().all(|c| c.is_ascii_digit()) {
            return Some(CustomerSearch::PhoneTail(t.to_owned()));
        }
        if let Ok(phone) = CustomerPhone::parse(t, true) {
            return Some(CustomerSearch::Phone(phone));
        }
        Some(CustomerSearch::Name(t.chars().take(40).collect()))
    }
}

/// How many reports have each status (已作废 counted apart).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusCounts(Vec<(ReportStatus, i64)>);

impl StatusCounts {
    pub fn of(&self, status: ReportStatus) -> i64 {
        self.0.iter().find(|(s, _)| *s == status).map(|(_, n)| *n).unwrap_or(0)
    }

    pub fn total(&self) -> i64 {
        self.0.iter().map(|(_, n)| n).sum()
    }
}

/// A report expected to arrive on the day asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectedArrival {
    pub report: StoredReport,
    /// The expected arrival, as filed.
    pub at: DateTime<FixedOffset>,
    /// The report's first read at a kiosk (its arrival), if any.
    pub first_read: Option<String>,
}

/// A report's status as the lists show it: a voided visit's report is 已作废.
const SHOWN_STATUS: &str = "CASE WHEN r.voided_by IS NOT NULL THEN 'voided' ELSE r.status END";

impl Store {
    /// The agent's reports per status, in one query.
    pub fn report_counts_of_agent(&self, agent_id: i64) -> StoreResult<StatusCounts> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {SHOWN_STATUS} AS shown, COUNT(*) FROM reports r WHERE r.agent_id = ?1 GROUP BY shown"
        ))?;
        let rows = stmt.query_map([agent_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        let mut counts = Vec::new();
        for row in rows {
            let (status, n) = row?;
            if let Some(status) = ReportStatus::parse(&status) {
                counts.push((status, n));
            }
        }
        Ok(StatusCounts(counts))
    }

    /// The agent's reports with `status` (any when `None`) of the customer
    /// searched for (any when `None`), newest first.
    pub fn reports_of_agent_where(
        &self,
        agent_id: i64,
        status: Option<ReportStatus>,
        search: Option<&CustomerSearch>,
        limit: u32,
    ) -> StoreResult<Vec<StoredReport>> {
        let (name, head, tail) = match search {
            Some(CustomerSearch::Name(n)) => (Some(format!("%{}%", super::super::audit::like_literal(n))), None, None),
            Some(CustomerSearch::PhoneTail(t)) => (None, None, Some(t.clone())),
            Some(CustomerSearch::Phone(p)) => {
                let (head, tail) = head_tail(p);
                (None, Some(head), Some(tail))
            }
            None => (None, None, None),
        };
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {REPORT_COLUMNS} FROM {REPORT_FROM}
             WHERE r.agent_id = ?1
               AND (?2 IS NULL OR {SHOWN_STATUS} = ?2)
               AND (?3 IS NULL OR r.customer_name LIKE ?3 ESCAPE '\\')
               AND (?4 IS NULL OR r.phone_head = ?4)
               AND (?5 IS NULL OR r.phone_tail = ?5)
             ORDER BY r.filed_unix DESC, r.id DESC LIMIT ?6"
        ))?;
        let rows =
            stmt.query_map(params![agent_id, status.map(ReportStatus::code), name, head, tail, limit], read_report)?;
        let found: Vec<StoredReport> = rows.collect::<rusqlite::Result<_>>()?;
        Ok(match search {
            // Head and tail narrowed it; the phone itself decides.
            Some(CustomerSearch::Phone(p)) => found.into_iter().filter(|r| r.customer_phone.matches(p)).collect(),
            _ => found,
        })
    }

    /// The agency's own live report (pending and still valid at `at`) of
    /// this customer in the project, the oldest if several.
    pub fn live_report_of_agency(
        &self,
        project_id: &str,
        agency_id: i64,
        phone: &CustomerPhone,
        rules: &Rules,
        at: DateTime<FixedOffset>,
    ) -> StoreResult<Option<StoredReport>> {
        Ok(live_reports_in(&self.conn, project_id, std::slice::from_ref(phone), rules, at)?
            .into_iter()
            .find(|r| r.agency_id == agency_id))
    }

    /// The report a form's one-time submission id filed, if it filed one.
    pub fn report_filed_with(&self, idempotency_key: &str) -> StoreResult<Option<ReportId>> {
        let id: Option<i64> = self
            .conn
            .query_row("SELECT id FROM reports WHERE idempotency_key = ?1", [idempotency_key], |r| r.get(0))
            .optional()?;
        Ok(id.map(ReportId))
    }

    /// When the report was cancelled (已撤销), if it was.
    pub fn report_cancelled_at(&self, id: ReportId) -> StoreResult<Option<DateTime<FixedOffset>>> {
        let at: Option<Option<String>> =
            self.conn.query_row("SELECT cancelled_at FROM reports WHERE id = ?1", [id.0], |r| r.get(0)).optional()?;
        Ok(at.flatten().and_then(|s| DateTime::parse_from_rfc3339(&s).ok()))
    }

    /// The project's reports expected to arrive on local day `day` (in
    /// `tz`), cancelled and voided ones left out, earliest first, with
    /// their first reads. At most `limit`.
    pub fn expected_arrivals_on(
        &self,
        project_id: &str,
        day: NaiveDate,
        tz: chrono_tz::Tz,
        limit: u32,
    ) -> StoreResult<Vec<ExpectedArrival>> {
        // Instants are stored with their offset: the text's date is within
        // a day of the project's date; the exact day is decided below.
        let text = |d: Option<NaiveDate>| d.unwrap_or(day).format("%Y-%m-%d").to_string();
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {REPORT_COLUMNS}, f.at FROM {REPORT_FROM} LEFT JOIN first_reads f ON f.report_id = r.id
             WHERE r.project_id = ?1 AND r.expected_arrival IS NOT NULL
               AND substr(r.expected_arrival, 1, 10) BETWEEN ?2 AND ?3
               AND r.status != 'cancelled' AND r.voided_by IS NULL
             ORDER BY r.expected_arrival, r.id LIMIT ?4"
        ))?;
        let rows = stmt.query_map(params![project_id, text(day.pred_opt()), text(day.succ_opt()), limit], |r| {
            Ok((read_report(r)?, r.get::<_, Option<String>>(17)?))
        })?;
        let mut found = Vec::new();
        for row in rows {
            let (report, first_read) = row?;
            let at = report.expected_arrival.as_deref().and_then(|t| DateTime::parse_from_rfc3339(t).ok());
            if let Some(at) = at.filter(|at| at.with_timezone(&tz).date_naive() == day) {
                found.push(ExpectedArrival { report, at, first_read });
            }
        }
        found.sort_by_key(|e| (e.at, e.report.id.0));
        Ok(found)
    }
}
