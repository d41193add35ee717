//! Filing a report: the filing context the rules need (the customer's other
//! reports and visits), the checks, and the insert with its manual code.

use super::super::{Store, StoreError, StoreResult, unique_violation};
use super::{NewReport, ReportStatus, StoredReport, head_tail, report_in};
use crate::domain::filing::{FilingContext, FilingRefusal, KnownVisit, RivalReport, check_filing};
use crate::domain::manual_code::ManualCode;
use crate::domain::phone::CustomerPhone;
use crate::domain::rules::Rules;
use crate::domain::token::{KeyId, ReportId};
use chrono::{DateTime, FixedOffset};
use rusqlite::{Connection, OptionalExtension, params};

#[derive(Debug, thiserror::Error)]
pub enum FilingError {
    #[error("{0}")]
    Refused(FilingRefusal),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for FilingError {
    fn from(e: rusqlite::Error) -> Self {
        FilingError::Store(e.into())
    }
}

/// The filing context of the customer and of their customer group
/// (直系亲属 = one customer): what is known of a linked phone counts as
/// known of this one.
fn group_filing_context_in(
    conn: &Connection,
    project_id: &str,
    agency_id: i64,
    phone: &CustomerPhone,
) -> StoreResult<FilingContext> {
    let mut ctx = filing_context_in(conn, project_id, agency_id, phone)?;
    let CustomerPhone::Full(full) = phone else { return Ok(ctx) };
    for member in super::super::groups::group_phones_in(conn, project_id, full)? {
        let theirs = filing_context_in(conn, project_id, agency_id, &member)?;
        ctx.own_agency_reports.extend(theirs.own_agency_reports);
        ctx.rival_reports.extend(theirs.rival_reports.into_iter().map(|r| RivalReport { phone: *phone, ..r }));
        ctx.visits.extend(theirs.visits.into_iter().map(|v| KnownVisit { phone: *phone, ..v }));
    }
    Ok(ctx)
}

/// What the database knows about a customer an agency is about to report.
pub(crate) fn filing_context_in(
    conn: &Connection,
    project_id: &str,
    agency_id: i64,
    phone: &CustomerPhone,
) -> StoreResult<FilingContext> {
    let (head, tail) = head_tail(phone);
    let mut ctx = FilingContext::default();
    let mut reports = conn.prepare_cached(
        "SELECT agency_id, customer_phone, filed_at, status FROM reports WHERE project_id = ?1 AND phone_head = ?2 AND phone_tail = ?3",
    )?;
    let rows = reports.query_map(params![project_id, head, tail], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
    })?;
    for row in rows {
        let (agency, stored_phone, filed, status) = row?;
        let (Ok(p), Ok(filed_at)) = (CustomerPhone::parse(&stored_phone, true), DateTime::parse_from_rfc3339(&filed))
        else {
            continue;
        };
        if !p.matches(phone) {
            continue;
        }
        if agency == agency_id {
            ctx.own_agency_reports.push(filed_at);
        } else if status == ReportStatus::Pending.code() {
            ctx.rival_reports.push(RivalReport { phone: p, filed_at });
        }
    }
    let own_name: Option<String> =
        conn.query_row("SELECT name FROM agencies WHERE id = ?1", [agency_id], |r| r.get(0)).optional()?;
    let mut history = conn.prepare_cached(
        "SELECT at, phone, agency, protected_until FROM history
         WHERE project_id = ?1 AND phone_head = ?2 AND phone_tail = ?3 AND voided = 0",
    )?;
    let rows = history.query_map(params![project_id, head, tail], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, Option<String>>(3)?,
        ))
    })?;
    for row in rows {
        let (at, stored_phone, agency, until) = row?;
        let until = until.as_deref().and_then(crate::time::parse_instant);
        if let (Ok(at), Ok(p)) = (DateTime::parse_from_rfc3339(&at), CustomerPhone::parse(&stored_phone, true))
            && p.matches(phone)
        {
            let own = agency.is_some() && agency == own_name;
            ctx.visits.push(KnownVisit {
                phone: p,
                at,
                protected_until_for_other_agency: if own || agency.is_none() { None } else { until },
                own_protection_until: if own { until } else { None },
            });
        }
    }
    // Valid visits of other agencies protect the customer for them. Visits
    // with a history row were read above (as amended); this reads the
    // sealed bodies of older records, unless an amendment voided them.
    let mut visits = conn.prepare_cached(
        "SELECT l.body FROM ledger l JOIN reports r ON r.id = l.report_id
         WHERE l.kind = 'visit' AND r.project_id = ?1 AND r.phone_head = ?2 AND r.phone_tail = ?3 AND r.agency_id != ?4
           AND r.voided_by IS NULL AND NOT EXISTS (SELECT 1 FROM history h WHERE h.record_seq = l.seq)",
    )?;
    let rows = visits.query_map(params![project_id, head, tail, agency_id], |r| r.get::<_, String>(0))?;
    for text in rows {
        // A body that does not parse protects nobody; verification reports it.
        let Ok(body) = crate::wire::record::parse::<crate::wire::record::RecordBody>(0, &text?) else { continue };
        let p = CustomerPhone::parse(body.customer_phone(), true).ok();
        if let (Some(until), Some(at), Some(p)) = (body.verdict.protected_until, body.arrival_at(), p)
            && p.matches(phone)
        {
            ctx.visits.push(KnownVisit {
                phone: p,
                at,
                protected_until_for_other_agency: Some(until),
                own_protection_until: None,
            });
        }
    }
    Ok(ctx)
}

impl Store {
    /// Files a report without the filing checks (imports, tests, demo).
    pub fn file_report(
        &mut self,
        new: NewReport,
        key_id: KeyId,
        filed_at: DateTime<FixedOffset>,
        random: impl FnMut() -> u64,
    ) -> StoreResult<StoredReport> {
        match self.file_report_checked(new, None, key_id, filed_at, random) {
            Ok(r) => Ok(r),
            Err(FilingError::Store(e)) => Err(e),
            Err(FilingError::Refused(r)) => Err(StoreError::Conflict(r.to_string())),
        }
    }

    /// Files a report at the server's `filed_at` (in the project's offset),
    /// refusing what the project's `rules` refuse at filing. The check and
    /// the insert share one transaction, so two agencies filing the same
    /// customer at once cannot both pass. A repeated `idempotency_key`
    /// returns the report it filed before.
    pub fn file_report_checked(
        &mut self,
        new: NewReport,
        rules: Option<&Rules>,
        key_id: KeyId,
        filed_at: DateTime<FixedOffset>,
        mut random: impl FnMut() -> u64,
    ) -> Result<StoredReport, FilingError> {
        let tx = super::super::WriteTx::begin(&mut self.conn)?;
        if let Some(key) = &new.idempotency_key {
            let existing: Option<(i64, i64)> = tx
                .query_row("SELECT id, agent_id FROM reports WHERE idempotency_key = ?1", [key], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?;
            match existing {
                Some((id, agent)) if agent == new.agent_id => return Ok(report_in(&tx, ReportId(id))?),
                Some(_) => {
                    return Err(StoreError::Conflict("重复的提交编号 / this submission id is taken".into()).into());
                }
                None => {}
            }
        }
        let agency_id: i64 = tx
            .query_row("SELECT agency_id FROM agents WHERE id = ?1 AND active = 1", [new.agent_id], |r| r.get(0))
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("agent {}", new.agent_id)))?;
        // 合作项目: whatever the path (agent page, API, fallback, import), an
        // agency files only for the projects it may report for.
        if !super::super::people::agency_reports_for_in(&tx, agency_id, &new.project_id)? {
            return Err(FilingError::Refused(FilingRefusal::NotPartner));
        }
        if let Some(rules) = rules {
            // 成交客户签订合同后不再受保护: a contracted customer is nobody's to report.
            if super::super::deals::customer_contracted_in(&tx, &new.project_id, &new.customer_phone)? {
                return Err(FilingError::Refused(FilingRefusal::CustomerContracted));
            }
            let ctx = group_filing_context_in(&tx, &new.project_id, agency_id, &new.customer_phone)?;
            check_filing(&new.customer_phone, &ctx, rules, filed_at).map_err(FilingError::Refused)?;
        }
        let (head, tail) = head_tail(&new.customer_phone);
        let mut attempts = 0;
        let id = loop {
            let code = ManualCode::from_random(random());
            let inserted = tx.execute(
                "INSERT INTO reports (project_id, agency_id, agent_id, customer_name, customer_phone, phone_head, phone_tail,
                    expected_arrival, party_size, note, filed_at, filed_unix, key_id, manual_code, idempotency_key, demo)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
                params![
                    new.project_id,
                    agency_id,
                    new.agent_id,
                    new.customer_name.as_str(),
                    new.customer_phone.to_stored(),
                    head,
                    tail,
                    new.expected_arrival,
                    new.party_size,
                    new.note,
                    crate::time::format_instant(filed_at),
                    filed_at.timestamp(),
                    key_id.0,
                    code.as_str(),
                    new.idempotency_key,
                    new.demo
                ],
            );
            match inserted {
                Ok(_) => break tx.last_insert_rowid(),
                // A manual-code collision (1 in ~10^11 per pair): draw again.
                Err(rusqlite::Error::SqliteFailure(f, Some(msg)))
                    if f.code == rusqlite::ErrorCode::ConstraintViolation
                        && msg.contains("manual_code")
                        && attempts < 5 =>
                {
                    attempts += 1;
                }
                Err(e) => {
                    return Err(
                        unique_violation(e, "报备未能保存,请重试 / the report could not be saved; try again").into()
                    );
                }
            }
        };
        let report = report_in(&tx, ReportId(id))?;
        // The agency's webhooks: the event commits with the report.
        super::super::webhooks::report_filed_in(&tx, &report, rules, filed_at.to_utc())?;
        tx.commit()?;
        Ok(report)
    }
}
