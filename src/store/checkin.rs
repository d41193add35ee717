//! Recording a visit: gather the case from the database, judge it with the
//! server's clock, append it to the ledger, mark the report and register
//! the visit in the history — one durable transaction, so a power cut
//! leaves either the whole visit or none of it.

use super::first_reads::{FirstRead, record_first_read_in};
use super::ledger::{EntryKind, LedgerRow, NewEntry, SignatureInput, append_in, signature_refs};
use super::people::Role;
use super::reports::{ReportStatus, StoredReport, customer_reports_in, report_in};
use super::{Refusal, Store, StoreError, StoreResult};
use crate::config::rules::RulesPatch;
use crate::domain::judge::{Arrival, Case, Judgement, Signatures, Verdict, judge};
use crate::domain::name::CustomerName;
use crate::domain::phone::{CustomerPhone, Phone};
use crate::domain::reason::Reason;
use crate::domain::rules::Rules;
use crate::domain::token::ReportId;
use crate::wire::case::CaseJson;
use crate::wire::record::{self, DeskAnswers, FirstReadRef, RECORD_VERSION, RecordBody, RecordedVerdict, StaffRef};
use chrono::{DateTime, FixedOffset, Utc};
use rusqlite::OptionalExtension;

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
    /// A walk-in's registration, started at the desk (its arrival instant).
    pub walk_in_id: Option<i64>,
    /// The live report a walk-in is registered over, chosen by the desk.
    pub over_report: Option<ReportId>,
    /// The customer asked for this consultant by name (指定): no turn used.
    pub sales_requested: bool,
}

impl<'a> CheckInRequest<'a> {
    /// A visit the agent accompanied and the customer confirmed, with no
    /// desk answers, clerk, consultant, kiosk or walk-in named (the CLI's
    /// soak, the demo's history, benchmarks and tests); callers change
    /// what differs with `..`.
    pub fn accompanied(
        project_id: &'a str,
        report_id: Option<ReportId>,
        customer_name: CustomerName,
        customer_phone: Phone,
        signatures: Vec<SignatureInput>,
    ) -> CheckInRequest<'a> {
        CheckInRequest {
            project_id,
            report_id,
            customer_name,
            customer_phone,
            agent_present: true,
            customer_confirms_agent: true,
            answers: DeskAnswers::default(),
            desk_clerk_id: None,
            sales_id: None,
            kiosk_id: None,
            signatures,
            demo: false,
            walk_in_id: None,
            over_report: None,
            sales_requested: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CheckInOutcome {
    pub row: LedgerRow,
    pub record: RecordBody,
    /// The report had been checked in before: this is that record.
    pub already_recorded: bool,
    /// The record's receipt: its checkpoint and inclusion proof.
    pub receipt: Option<crate::domain::transparency::Receipt>,
    /// A new record's receipt still to be signed (`record_checkin_receipt_later`).
    pub unsigned_receipt: Option<super::ledger::UnsignedReceipt>,
    /// What the record says now when amendments point at it (voided,
    /// corrected name or phone); `None` for a record never amended.
    pub amended: Option<crate::domain::amendment::Effective>,
}

impl CheckInOutcome {
    pub fn verdict(&self) -> &RecordedVerdict {
        &self.record.verdict
    }

    pub fn verdict_code(&self) -> &'static str {
        self.record.verdict.verdict.code()
    }

    pub fn reason_codes(&self) -> Vec<&'static str> {
        self.record.verdict.reasons.iter().map(|r| r.code()).collect()
    }

    /// A valid return visit (复访): its protection ends before a new visit's
    /// would (arrival + the rules' protection days), so it was not extended.
    pub fn is_return_visit(&self) -> bool {
        let days = self.record.rules.protection_days.unwrap_or(0);
        match (self.record.verdict.protected_until, self.record.arrival_at()) {
            (Some(until), Some(at)) => until < at + chrono::Duration::days(days),
            _ => false,
        }
    }

    pub fn protected_until_text(&self) -> Option<String> {
        self.record.verdict.protected_until.map(crate::time::format_instant)
    }
}

fn staff_ref(conn: &rusqlite::Connection, id: Option<i64>) -> StoreResult<Option<StaffRef>> {
    let Some(id) = id else {
        return Ok(None);
    };
    let found: Option<(String, String)> = conn
        .prepare_cached("SELECT name, role FROM staff WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (name, role) = found.ok_or_else(|| StoreError::NotFound(format!("staff {id}")))?;
    Ok(Some(StaffRef { id, name, role }))
}

/// The sales consultant named by the tablet must be an active sales
/// consultant of the kiosk's project: the record names them as the
/// witness of the visit.
fn sales_consultant_in(conn: &rusqlite::Connection, project_id: &str, id: i64) -> StoreResult<StaffRef> {
    let found: Option<(String, String, Option<String>, bool)> = conn
        .prepare_cached("SELECT name, role, project_id, active FROM staff WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?;
    match found {
        Some((name, role, Some(project), true)) if project == project_id && role == Role::Sales.code() => {
            Ok(StaffRef { id, name, role })
        }
        _ => Err(StoreError::Refused(Refusal::SalesNotAllowed)),
    }
}

/// The record a report already has, if any.
fn visit_seq_of(conn: &rusqlite::Connection, report_id: ReportId) -> StoreResult<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT seq FROM ledger WHERE report_id = ?1 AND kind = 'visit'")?
        .query_row([report_id.0], |r| r.get(0))
        .optional()?)
}

/// The case as the database knows it at `arrival_at`: the customer is the
/// arrival's phone and its customer group's (直系亲属).
fn gather_case(
    tx: &rusqlite::Connection,
    req: &CheckInRequest<'_>,
    report: Option<&StoredReport>,
    arrival_at: DateTime<FixedOffset>,
) -> StoreResult<Case> {
    let group_phones = super::groups::group_phones_in(tx, req.project_id, &req.customer_phone)?;
    let mut phones = vec![CustomerPhone::Full(req.customer_phone)];
    phones.extend(group_phones.iter().copied());
    let known = customer_reports_in(tx, req.project_id, &phones, report)?;
    Ok(Case {
        report: report.map(|r| r.as_judged()),
        other_reports: known.others,
        agency_reports: known.own_agency,
        history: super::history::history_in(tx, req.project_id, &phones, arrival_at, report.map(|r| r.id))?,
        arrival: Arrival {
            at: arrival_at,
            customer_name: req.customer_name.clone(),
            customer_phone: req.customer_phone,
            group_phones,
            agent_present: req.agent_present,
            customer_confirms_agent: req.customer_confirms_agent,
            signatures: req.signatures.iter().map(|s| s.signer).collect::<Signatures>(),
        },
    })
}

/// The verdict before anyone signs (rules.md): the same case with the desk's
/// answers all in order and every signature present.
pub fn provisional_judgement(case: &Case, rules: &Rules) -> Judgement {
    let mut hoped = case.clone();
    hoped.arrival.agent_present = true;
    hoped.arrival.customer_confirms_agent = true;
    hoped.arrival.signatures = Signatures::all();
    judge(&hoped, rules)
}

/// The verdict before signing, once the desk has the name and its answers:
/// the case as it is with every signature present. When it is already a
/// natural visit, the signers sign the natural visit's statements (the
/// kiosk asks for them after the questions) and no missing signature is a
/// reason: nobody was asked to confirm a 带看 the answers refuse.
pub fn before_signing_judgement(case: &Case, rules: &Rules) -> Judgement {
    let mut signed = case.clone();
    signed.arrival.signatures = Signatures::all();
    judge(&signed, rules)
}

/// The desk's two answers that decide a verdict, once they are given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecisiveAnswers {
    pub agent_present: bool,
    pub customer_confirms_agent: bool,
}

/// The arrival instant of a reported visit: the recorded first read of its
/// code, recorded now if the code was never read at a kiosk (a check-in
/// from the CLI or a test).
fn arrival_of(
    tx: &rusqlite::Connection,
    req: &CheckInRequest<'_>,
    report: Option<&StoredReport>,
    now: DateTime<FixedOffset>,
) -> StoreResult<(DateTime<FixedOffset>, Option<FirstRead>)> {
    match (report, req.walk_in_id) {
        (Some(r), _) => {
            let read = record_first_read_in(tx, req.project_id, r.id, req.kiosk_id, req.desk_clerk_id, now)?;
            Ok((read.at, Some(read)))
        }
        (None, Some(id)) => {
            let walk_in = super::walk_ins::walk_in_in(tx, id)?;
            if walk_in.project_id != req.project_id {
                return Err(StoreError::NotFound(format!("walk-in {id}")));
            }
            Ok((walk_in.at, None))
        }
        (None, None) => Ok((now, None)),
    }
}

/// A walk-in over a live report needs the desk's explicit choice of it; the
/// chosen report's first read becomes the walk-in's instant, so its own
/// check-in later is judged at the customer's real arrival.
fn check_live_reports(
    tx: &rusqlite::Connection,
    req: &CheckInRequest<'_>,
    case: &Case,
    rules: &Rules,
) -> StoreResult<()> {
    let mut phones = vec![CustomerPhone::Full(req.customer_phone)];
    phones.extend(case.arrival.group_phones.iter().copied());
    let live = super::reports::live_reports_in(tx, req.project_id, &phones, rules, case.arrival.at)?;
    match req.over_report {
        None if live.is_empty() => Ok(()),
        Some(chosen) if live.iter().any(|r| r.id == chosen) => {
            record_first_read_in(tx, req.project_id, chosen, req.kiosk_id, req.desk_clerk_id, case.arrival.at)?;
            Ok(())
        }
        _ => Err(StoreError::Refused(Refusal::LiveReportFound)),
    }
}

/// What the kiosk shows before anyone signs.
#[derive(Debug, Clone, PartialEq)]
pub struct Provisional {
    pub judgement: Judgement,
    pub arrival_at: DateTime<FixedOffset>,
    /// A return visit (复访): the protection that still runs (not extended).
    pub return_visit_until: Option<DateTime<FixedOffset>>,
}

impl Store {
    /// The provisional verdict (rules.md, "Before anyone signs"), judged at
    /// the recorded first read of the report's code (now for a walk-in,
    /// or for a code never read). With the desk's `answers` (and the name
    /// typed), the verdict before signing instead: see
    /// [`before_signing_judgement`]. Reads only.
    #[allow(clippy::too_many_arguments)]
    pub fn provisional(
        &self,
        project_id: &str,
        report: Option<&StoredReport>,
        customer_phone: Phone,
        customer_name: Option<CustomerName>,
        answers: Option<DecisiveAnswers>,
        rules: &Rules,
        now: DateTime<Utc>,
    ) -> StoreResult<Provisional> {
        let now_local = now.with_timezone(&rules.timezone).fixed_offset();
        let arrival_at = match report {
            Some(r) => super::first_reads::first_read_in(&self.conn, r.id)?.map(|f| f.at).unwrap_or(now_local),
            None => now_local,
        };
        // Before the name is typed, the reported name stands in for it: the
        // name check waits for the name.
        let customer_name = match (customer_name, report) {
            (Some(n), _) => n,
            (None, Some(r)) => r.customer_name.clone(),
            (None, None) => CustomerName::parse("客户").map_err(|e| StoreError::Invalid(e.to_string()))?,
        };
        let req = CheckInRequest {
            project_id,
            report_id: report.map(|r| r.id),
            customer_name,
            customer_phone,
            agent_present: answers.is_none_or(|a| a.agent_present),
            customer_confirms_agent: answers.is_none_or(|a| a.customer_confirms_agent),
            answers: DeskAnswers::default(),
            desk_clerk_id: None,
            sales_id: None,
            kiosk_id: None,
            signatures: Vec::new(),
            demo: false,
            walk_in_id: None,
            over_report: None,
            sales_requested: false,
        };
        let case = gather_case(&self.conn, &req, report, arrival_at)?;
        Ok(Provisional {
            judgement: match answers {
                None => provisional_judgement(&case, rules),
                Some(_) => before_signing_judgement(&case, rules),
            },
            arrival_at,
            return_visit_until: crate::domain::judge::return_visit_until(&case),
        })
    }

    /// The record already made for a report, if any.
    pub fn visit_of_report(&self, report_id: ReportId) -> StoreResult<Option<CheckInOutcome>> {
        visit_seq_of(&self.conn, report_id)?.map(|seq| self.outcome_of(seq, true, true)).transpose()
    }

    /// The outcome of record `seq`, its receipt signed (`signed`) or left
    /// for the caller to sign (the writer thread never signs).
    fn outcome_of(&self, seq: i64, already_recorded: bool, signed: bool) -> StoreResult<CheckInOutcome> {
        let row = self.ledger_row(seq)?;
        let record = row.visit_body()?;
        let (receipt, unsigned_receipt) = match signed {
            true => (self.receipt_for(seq).ok(), None),
            false => (None, self.unsigned_receipt_for(&row).ok()),
        };
        let amended = Some(super::amendments::effective_in(&self.conn, seq)?).filter(|e| e.amended);
        Ok(CheckInOutcome { row, record, already_recorded, receipt, unsigned_receipt, amended })
    }

    /// Records the visit and hands out its receipt.
    pub fn record_checkin(
        &mut self,
        req: CheckInRequest<'_>,
        rules: &Rules,
        now: DateTime<Utc>,
    ) -> StoreResult<CheckInOutcome> {
        let mut outcome = self.record_checkin_receipt_later(req, rules, now)?;
        if let Some(unsigned) = outcome.unsigned_receipt.take() {
            outcome.receipt = Some(unsigned.sign(&self.checkpoint_key));
        }
        Ok(outcome)
    }

    /// Records the visit; a new record's receipt comes unsigned
    /// (`unsigned_receipt`) for the caller to sign. The web's single writer
    /// thread thus never signs checkpoints: an Ed25519 signature costs more
    /// than the rest of the append (issue 16's profile), and the handlers
    /// sign in parallel.
    pub fn record_checkin_receipt_later(
        &mut self,
        req: CheckInRequest<'_>,
        rules: &Rules,
        now: DateTime<Utc>,
    ) -> StoreResult<CheckInOutcome> {
        let now_local = now.with_timezone(&rules.timezone).fixed_offset();
        let tx = super::WriteTx::begin(&mut self.conn)?;
        let report = match req.report_id {
            Some(id) => {
                let report = report_in(&tx, id)?;
                if report.project_id != req.project_id {
                    return Err(StoreError::NotFound(format!("report {id}")));
                }
                if let Some(seq) = visit_seq_of(&tx, id)? {
                    drop(tx);
                    return self.outcome_of(seq, true, false);
                }
                if report.status == ReportStatus::Cancelled {
                    return Err(StoreError::Refused(Refusal::ReportCancelled));
                }
                Some(report)
            }
            None => match req.walk_in_id.map(|id| super::walk_ins::walk_in_in(&tx, id)).transpose()? {
                Some(super::walk_ins::WalkIn { record_seq: Some(seq), .. }) => {
                    // The same registration submitted again: one record.
                    drop(tx);
                    return self.outcome_of(seq, true, false);
                }
                _ => None,
            },
        };
        let sales = req.sales_id.map(|id| sales_consultant_in(&tx, req.project_id, id)).transpose()?;
        let (arrival_at, first_read) = arrival_of(&tx, &req, report.as_ref(), now_local)?;
        let case = gather_case(&tx, &req, report.as_ref(), arrival_at)?;
        if report.is_none() {
            check_live_reports(&tx, &req, &case, rules)?;
        }
        let provisional = provisional_judgement(&case, rules);
        let mut judgement = judge(&case, rules);
        if before_signing_judgement(&case, rules).verdict == Verdict::Invalid {
            // A natural visit already: nobody was asked to sign a statement
            // that contradicts it, so missing signatures are no reason.
            judgement.reasons.remove(Reason::SignaturesMissing);
        }
        let record = RecordBody {
            version: Some(RECORD_VERSION),
            case: CaseJson::from_case(&case),
            rules: RulesPatch::from_rules(rules),
            verdict: RecordedVerdict::from(&judgement),
            answers: req.answers.clone(),
            desk_clerk: staff_ref(&tx, req.desk_clerk_id)?,
            sales_consultant: sales,
            kiosk_id: req.kiosk_id,
            signatures: signature_refs(&req.signatures),
            demo: req.demo,
            first_read: first_read.map(|f| FirstReadRef { at: f.at, kiosk_id: f.kiosk_id, staff_id: f.staff_id }),
            provisional: Some(RecordedVerdict::from(&provisional)),
            over_report: req.over_report.map(|r| r.0),
        };
        let body = record::canonical(&record).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let visitor = Visitor {
            project_id: req.project_id,
            customer_name: &req.customer_name,
            customer_phone: req.customer_phone,
            sales_id: req.sales_id,
            sales_requested: req.sales_requested,
            report_id: req.report_id.or(req.over_report),
        };
        let walk_in_id = req.walk_in_id;
        let entry = NewEntry {
            kind: EntryKind::Visit,
            project_id: req.project_id,
            report_id: req.report_id.map(|id| id.0),
            amends_seq: None,
            body: &body,
            signatures: req.signatures,
        };
        let row = append_in(&tx, &self.ledger_key, self.tip.as_ref(), entry, now)?;
        super::visits::index_visit_in(&tx, row.seq, req.project_id, &record)?;
        let protection =
            judgement.protected_until.zip(report.as_ref()).map(|(until, r)| (r.agency_name.as_str(), until));
        apply_side_effects(&tx, &visitor, report.as_ref(), &judgement, &row, (arrival_at, protection), now)?;
        if let Some(r) = &report {
            // The agency's webhooks: the event commits with the record.
            super::webhooks::visit_recorded_in(&tx, r, row.seq, &record.verdict, arrival_at, now)?;
        }
        if let Some(id) = walk_in_id.filter(|_| report.is_none()) {
            super::walk_ins::mark_walk_in_recorded(&tx, id, row.seq)?;
        }
        // A visit can change whose a subscription of this customer is (a
        // first valid visit after it: SUBSCRIBED_BEFORE_VISIT, not NO_VALID_VISIT).
        let attributions = super::deals::reattribute_after_change_in(
            &tx,
            &self.ledger_key,
            Some(super::ledger::Tip::from(&row)),
            req.project_id,
            &[req.customer_phone],
            &format!("visit:{}", row.seq),
            now,
        )?;
        tx.commit()?;
        self.appended(&row);
        for attribution in &attributions {
            self.appended(attribution);
        }
        // Read after the commit, so the tree is the one the append ended.
        let unsigned_receipt = self.unsigned_receipt_for(&row).ok();
        Ok(CheckInOutcome { row, record, already_recorded: false, receipt: None, unsigned_receipt, amended: None })
    }
}

/// What the side effects of a check-in need of its request (the request's
/// signatures have moved into the ledger by then).
struct Visitor<'a> {
    project_id: &'a str,
    customer_name: &'a CustomerName,
    customer_phone: Phone,
    sales_id: Option<i64>,
    sales_requested: bool,
    report_id: Option<ReportId>,
}

/// After the record: the report's status, the sales rotation (轮排), and
/// the visit in the history that later judgements read.
fn apply_side_effects(
    tx: &rusqlite::Connection,
    v: &Visitor<'_>,
    report: Option<&StoredReport>,
    judgement: &Judgement,
    row: &LedgerRow,
    (arrival_at, protection): (DateTime<FixedOffset>, Option<(&str, DateTime<FixedOffset>)>),
    now: DateTime<Utc>,
) -> StoreResult<()> {
    if let Some(r) = report {
        let status =
            if judgement.verdict == Verdict::Valid { ReportStatus::VisitedValid } else { ReportStatus::VisitedInvalid };
        tx.prepare_cached("UPDATE reports SET status = ?1 WHERE id = ?2")?
            .execute(rusqlite::params![status.code(), r.id.0])?;
    }
    if let Some(sales) = v.sales_id {
        Store::rotate_sales_in(tx, v.project_id, sales, v.sales_requested, arrival_at.date_naive(), now)?;
    }
    let visit = super::history::NewVisit {
        at: arrival_at,
        name: Some(v.customer_name.as_str()),
        phone: &CustomerPhone::Full(v.customer_phone),
        source: &format!("kiosk:record {}", row.seq),
        protection,
        report_id: v.report_id,
        record_seq: Some(row.seq),
    };
    super::history::insert_visit_in(tx, v.project_id, &visit)?;
    Ok(())
}
