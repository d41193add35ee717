//! Recording a visit: gather the case from the database, judge it with the
//! server's clock, append it to the ledger, mark the report and register
//! the visit in the history — one durable transaction, so a power cut
//! leaves either the whole visit or none of it.

use super::ledger::{EntryKind, LedgerRow, NewEntry, SignatureInput, append_in, signature_summary};
use super::reports::{ReportStatus, customer_reports_in, report_in};
use super::{Store, StoreError, StoreResult};
use crate::config::rules::RulesPatch;
use crate::contract::{CaseJson, VerdictJson};
use crate::domain::judge::{Arrival, Case, Signatures, Verdict, judge};
use crate::domain::name::CustomerName;
use crate::domain::phone::{CustomerPhone, Phone};
use crate::domain::rules::Rules;
use crate::domain::token::ReportId;
use chrono::{DateTime, Utc};
use rusqlite::OptionalExtension;

/// The desk's answers (三问) as the kiosk collected them.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct DeskAnswers {
    /// 第一次到访?
    pub first_visit: Option<bool>,
    /// 之前是否有人联系过您?
    pub contacted_before: Option<bool>,
    /// 工作证已查看
    pub badge_seen: bool,
}

pub struct CheckInRequest<'a> {
    pub project_id: &'a str,
    /// `None`: an unreported walk-in (自然到访).
    pub report_id: Option<ReportId>,
    pub customer_name: CustomerName,
    pub customer_phone: Phone,
    pub agent_present: bool,
    pub customer_confirms_agent: bool,
    pub answers: DeskAnswers,
    pub desk_clerk_id: Option<i64>,
    pub sales_id: Option<i64>,
    pub kiosk_id: Option<i64>,
    pub signatures: Vec<SignatureInput>,
    pub demo: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CheckInOutcome {
    pub row: LedgerRow,
    pub verdict: VerdictJson,
    /// The report had been checked in before: this is that record.
    pub already_recorded: bool,
}

fn staff_json(conn: &rusqlite::Connection, id: Option<i64>) -> StoreResult<serde_json::Value> {
    let Some(id) = id else {
        return Ok(serde_json::Value::Null);
    };
    let found: Option<(String, String)> = conn
        .prepare_cached("SELECT name, role FROM staff WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (name, role) = found.ok_or_else(|| StoreError::NotFound(format!("staff {id}")))?;
    Ok(serde_json::json!({ "id": id, "name": name, "role": role }))
}

impl Store {
    /// The record already made for a report, if any.
    pub fn visit_of_report(&self, report_id: ReportId) -> StoreResult<Option<CheckInOutcome>> {
        let seq: Option<i64> = self
            .conn
            .query_row("SELECT seq FROM ledger WHERE report_id = ?1 AND kind = 'visit'", [report_id.0], |r| r.get(0))
            .optional()?;
        seq.map(|seq| self.outcome_of(seq, true)).transpose()
    }

    fn outcome_of(&self, seq: i64, already_recorded: bool) -> StoreResult<CheckInOutcome> {
        let row = self.ledger_row(seq)?;
        let verdict = serde_json::from_value(row.body_json()?["verdict"].clone())
            .map_err(|e| StoreError::Corrupt(format!("record {seq}: {e}")))?;
        Ok(CheckInOutcome { row, verdict, already_recorded })
    }

    pub fn record_checkin(
        &mut self,
        req: CheckInRequest<'_>,
        rules: &Rules,
        now: DateTime<Utc>,
    ) -> StoreResult<CheckInOutcome> {
        let arrival_at = now.with_timezone(&rules.timezone).fixed_offset();
        let tx = super::WriteTx::begin(&mut self.conn)?;

        let report = match req.report_id {
            Some(id) => {
                let report = report_in(&tx, id)?;
                if report.project_id != req.project_id {
                    return Err(StoreError::NotFound(format!("report {id}")));
                }
                let existing: Option<i64> = tx
                    .prepare_cached("SELECT seq FROM ledger WHERE report_id = ?1 AND kind = 'visit'")?
                    .query_row([id.0], |r| r.get(0))
                    .optional()?;
                if let Some(seq) = existing {
                    drop(tx);
                    return self.outcome_of(seq, true);
                }
                if report.status == ReportStatus::Cancelled {
                    return Err(StoreError::Conflict("该报备已撤销,不能登记到访 / this report was cancelled".into()));
                }
                Some(report)
            }
            None => None,
        };
        let signatures: Signatures = req.signatures.iter().map(|s| s.signer).collect();
        let known = customer_reports_in(&tx, req.project_id, &req.customer_phone, report.as_ref())?;
        let case = Case {
            report: report.as_ref().map(|r| r.as_judged()),
            other_reports: known.others,
            agency_reports: known.own_agency,
            history: super::history::history_in(&tx, req.project_id, &req.customer_phone, arrival_at)?,
            arrival: Arrival {
                at: arrival_at,
                customer_name: req.customer_name.clone(),
                customer_phone: req.customer_phone,
                agent_present: req.agent_present,
                customer_confirms_agent: req.customer_confirms_agent,
                signatures,
            },
        };
        let judgement = judge(&case, rules);
        let verdict = VerdictJson::from(&judgement);
        let body = serde_json::json!({
            "case": CaseJson::from_case(&case),
            "rules": RulesPatch::from_rules(rules),
            "verdict": verdict,
            "answers": req.answers,
            "desk_clerk": staff_json(&tx, req.desk_clerk_id)?,
            "sales_consultant": staff_json(&tx, req.sales_id)?,
            "kiosk_id": req.kiosk_id,
            "signatures": signature_summary(&req.signatures),
            "demo": req.demo,
        });
        let entry = NewEntry {
            kind: EntryKind::Visit,
            project_id: req.project_id,
            report_id: req.report_id.map(|id| id.0),
            amends_seq: None,
            body: &body,
            signatures: req.signatures,
        };
        let row = append_in(&tx, &self.ledger_key, self.tip.as_ref(), entry, now)?;
        if let Some(r) = &report {
            let status = if judgement.verdict == Verdict::Valid {
                ReportStatus::VisitedValid
            } else {
                ReportStatus::VisitedInvalid
            };
            tx.prepare_cached("UPDATE reports SET status = ?1 WHERE id = ?2")?
                .execute(rusqlite::params![status.code(), r.id.0])?;
        }
        if let Some(sales) = req.sales_id {
            Store::rotate_sales_in(&tx, req.project_id, sales, now)?;
        }
        super::history::insert_visit_in(
            &tx,
            req.project_id,
            arrival_at,
            Some(req.customer_name.as_str()),
            &CustomerPhone::Full(req.customer_phone),
            &format!("kiosk:record {}", row.seq),
        )?;
        tx.commit()?;
        self.appended(&row);
        Ok(CheckInOutcome { row, verdict, already_recorded: false })
    }
}
