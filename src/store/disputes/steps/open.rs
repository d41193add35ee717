//! Opening a dispute: what it is raised against, resolved to the deal,
//! visit or report it is about and the agency that answers it.

use super::{body, deal_dates_in, seal_in};
use crate::domain::dispute::{self as rule, ClaimKind, DealDates, Settings};
use crate::domain::phone::{CustomerPhone, Phone};
use crate::store::deals::Appender;
use crate::store::disputes::notices::{agency_recipient, managers_recipient, notify_in};
use crate::store::disputes::{Dispute, dispute_in};
use crate::store::{Store, StoreError, StoreResult, WriteTx, unique_violation};
use crate::wire::dispute::ClaimRef;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rusqlite::{Connection, OptionalExtension, params};

/// What a dispute is raised against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// An attributed deal (认购).
    Deal(i64),
    /// A visit record (带看确认单), by its ledger number.
    Visit(i64),
    /// The claimant's own report: the dispute is about that customer's
    /// deal, or else their latest visit.
    Report(i64),
}

pub struct NewDispute<'a> {
    pub project_id: &'a str,
    pub subject: Subject,
    pub kind: ClaimKind,
    /// What is claimed and why (checked here: `domain::dispute::claim_text`).
    pub claim: &'a str,
    /// `None`: the site itself claims (staff only).
    pub claimant_agency_id: Option<i64>,
    /// `agent:7`, `staff:3`, `api:2`.
    pub by: &'a str,
    pub idempotency_key: Option<&'a str>,
}

/// The subject resolved: what the dispute row holds.
struct Resolved {
    subscription_id: Option<i64>,
    visit_seq: Option<i64>,
    report_id: Option<i64>,
    phone: String,
    respondent: Option<i64>,
    dates: DealDates,
}

/// The customer's newest deal (not cancelled) in the project: by the full
/// phone and the phones of its customer group (直系亲属: a spouse may be
/// the one who bought). `None` for a masked number: 前三后四 cannot tell
/// customers apart.
fn deal_of_customer_in(conn: &Connection, project_id: &str, phone: &str) -> StoreResult<Option<i64>> {
    let Ok(full) = Phone::parse(phone) else { return Ok(None) };
    let mut phones = vec![full];
    for member in crate::store::groups::group_phones_in(conn, project_id, &full)? {
        if let CustomerPhone::Full(p) = member
            && !phones.contains(&p)
        {
            phones.push(p);
        }
    }
    let mut newest: Option<(i64, i64)> = None;
    let mut stmt = conn.prepare_cached(
        "SELECT id, subscribed_unix FROM subscriptions WHERE project_id = ?1 AND phone_head = ?2 AND phone_tail = ?3
           AND phone = ?4 AND status != 'cancelled' ORDER BY subscribed_unix DESC, id DESC LIMIT 1",
    )?;
    for p in &phones {
        let masked = p.masked();
        let found: Option<(i64, i64)> = stmt
            .query_row(params![project_id, masked.head(), masked.tail(), p.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        if let Some((id, at)) = found
            && newest.is_none_or(|(_, best)| at > best)
        {
            newest = Some((id, at));
        }
    }
    Ok(newest.map(|(id, _)| id))
}

/// A deal's attribution in force: its agency and covering visit.
fn attribution_of_in(conn: &Connection, subscription_id: i64) -> StoreResult<(Option<i64>, Option<i64>)> {
    Ok(conn
        .prepare_cached("SELECT agency_id, visit_seq FROM attributions WHERE subscription_id = ?1")?
        .query_row([subscription_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .unwrap_or((None, None)))
}

/// A visit record's project, agency (through its report) and customer
/// phone as its amendments leave it.
fn visit_in(conn: &Connection, seq: i64) -> StoreResult<(String, Option<i64>, String)> {
    let (project, agency): (String, Option<i64>) = conn
        .prepare_cached(
            "SELECT l.project_id, r.agency_id FROM ledger l LEFT JOIN reports r ON r.id = l.report_id
             WHERE l.seq = ?1 AND l.kind = 'visit'",
        )?
        .query_row([seq], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("visit record {seq}")))?;
    let now = crate::store::amendments::effective_in(conn, seq)?;
    Ok((project, agency, now.customer_phone))
}

fn resolve_in(conn: &Connection, new: &NewDispute<'_>) -> StoreResult<Resolved> {
    let from_deal = |subscription_id: i64, report_id: Option<i64>| -> StoreResult<Resolved> {
        let (project, phone): (String, String) = conn
            .prepare_cached("SELECT project_id, phone FROM subscriptions WHERE id = ?1")?
            .query_row([subscription_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("subscription {subscription_id}")))?;
        if project != new.project_id {
            return Err(StoreError::NotFound(format!("subscription {subscription_id}")));
        }
        let (respondent, visit_seq) = attribution_of_in(conn, subscription_id)?;
        Ok(Resolved {
            subscription_id: Some(subscription_id),
            visit_seq,
            report_id,
            phone,
            respondent,
            dates: deal_dates_in(conn, subscription_id)?,
        })
    };
    match new.subject {
        Subject::Deal(id) => from_deal(id, None),
        Subject::Visit(seq) => {
            let (project, agency, phone) = visit_in(conn, seq)?;
            if project != new.project_id {
                return Err(StoreError::NotFound(format!("visit record {seq}")));
            }
            match deal_of_customer_in(conn, new.project_id, &phone)? {
                Some(deal) => Ok(Resolved { visit_seq: Some(seq), respondent: agency, ..from_deal(deal, None)? }),
                None => Ok(Resolved {
                    subscription_id: None,
                    visit_seq: Some(seq),
                    report_id: None,
                    phone,
                    respondent: agency,
                    dates: DealDates::default(),
                }),
            }
        }
        Subject::Report(report_id) => {
            let (project, agency, phone): (String, i64, String) = conn
                .prepare_cached("SELECT project_id, agency_id, customer_phone FROM reports WHERE id = ?1")?
                .query_row([report_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?
                .ok_or_else(|| StoreError::NotFound(format!("report {report_id}")))?;
            if project != new.project_id || new.claimant_agency_id.is_some_and(|c| c != agency) {
                return Err(StoreError::NotFound(format!("report {report_id}")));
            }
            // The report's own visit, when one was recorded: its customer
            // (as the desk confirmed the number) and its agency.
            let own_visit: Option<i64> = conn
                .prepare_cached(
                    "SELECT seq FROM ledger WHERE report_id = ?1 AND kind = 'visit' ORDER BY seq DESC LIMIT 1",
                )?
                .query_row([report_id], |r| r.get(0))
                .optional()?;
            let (phone, visit) = match own_visit {
                Some(seq) => {
                    let (_, agency, phone) = visit_in(conn, seq)?;
                    (phone, Some((seq, agency)))
                }
                None => (phone, None),
            };
            if let Some(deal) = deal_of_customer_in(conn, new.project_id, &phone)? {
                let resolved = from_deal(deal, Some(report_id))?;
                return Ok(Resolved { visit_seq: resolved.visit_seq.or(visit.map(|(seq, _)| seq)), ..resolved });
            }
            if let Some((seq, agency)) = visit {
                return Ok(Resolved {
                    subscription_id: None,
                    visit_seq: Some(seq),
                    report_id: Some(report_id),
                    phone,
                    respondent: agency,
                    dates: DealDates::default(),
                });
            }
            // Not visited on this report: the customer's latest visit, by
            // the full number only (前三后四 cannot tell customers apart).
            let Ok(full) = Phone::parse(&phone) else {
                return Err(StoreError::Invalid(
                    "该报备为隐号报备且未到访,无法确定客户;请从认购或带看记录提出异议 / this masked report was never visited: the customer cannot be told apart; object from the deal or the visit record".into(),
                ));
            };
            let masked = full.masked();
            let mut stmt = conn.prepare_cached(
                "SELECT seq, phone FROM visit_index WHERE project_id = ?1 AND phone_head = ?2 AND phone_tail = ?3
                 ORDER BY arrived_unix DESC, seq DESC",
            )?;
            let rows = stmt.query_map(params![new.project_id, masked.head(), masked.tail()], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })?;
            for row in rows {
                let (seq, stored) = row?;
                if CustomerPhone::parse(&stored, true).is_ok_and(|seen| seen.matches_full(&full)) {
                    let (_, agency, phone) = visit_in(conn, seq)?;
                    return Ok(Resolved {
                        subscription_id: None,
                        visit_seq: Some(seq),
                        report_id: Some(report_id),
                        phone,
                        respondent: agency,
                        dates: DealDates::default(),
                    });
                }
            }
            Err(StoreError::Invalid(
                "该客户尚无到访或认购记录,暂无可申诉的事项 / this customer has no visit or deal to dispute yet".into(),
            ))
        }
    }
}

fn date_text(d: Option<chrono::NaiveDate>) -> Option<String> {
    d.map(|d| d.format("%Y-%m-%d").to_string())
}

impl Store {
    /// Opens a dispute: refused after the objection period (counted from
    /// the deal's deposit on the project's calendar) with the date it was
    /// due; a repeated submission (same idempotency key) returns the first.
    pub fn open_dispute(
        &mut self,
        new: &NewDispute<'_>,
        settings: &Settings,
        tz: Tz,
        now: DateTime<Utc>,
    ) -> StoreResult<Dispute> {
        if let Some(key) = new.idempotency_key {
            let existing: Option<i64> = self
                .conn
                .query_row("SELECT id FROM disputes WHERE idempotency_key = ?1", [key], |r| r.get(0))
                .optional()?;
            if let Some(id) = existing {
                return self.dispute(id);
            }
        }
        // Both parties read the claim: a number typed into it is masked.
        let claim = rule::claim_text(new.claim).map_err(|m| StoreError::Invalid(m.to_owned()))?;
        let claim = crate::domain::phone::mask_phones_in_text(&claim);
        let tx = WriteTx::begin(&mut self.conn)?;
        let mut found = resolve_in(&tx, new)?;
        if found.respondent == new.claimant_agency_id {
            // An agency contesting its own visit's verdict disputes the site.
            found.respondent = None;
        }
        if new.claimant_agency_id.is_none() && found.respondent.is_none() {
            return Err(StoreError::Invalid(
                "该事项不涉及任何渠道,无需申诉 / no agency is involved: nothing to dispute".into(),
            ));
        }
        let due = rule::may_object(settings, tz, &found.dates, now).map_err(|late| StoreError::Late(late.message()))?;
        let customer =
            CustomerPhone::parse(&found.phone, true).map_err(|_| StoreError::Corrupt("customer phone".into()))?;
        let masked = customer.masked();
        let stamp = crate::time::stamp(now);
        tx.prepare_cached(
            "INSERT INTO disputes (project_id, subscription_id, visit_seq, report_id, phone, phone_head, phone_tail,
                claim_kind, claim, claimant_agency_id, respondent_agency_id, opened_by, opened_at, opened_seq,
                objection_days, evidence_days, opinion_days, appeal_days, status, updated_at, idempotency_key)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 0, ?14, ?15, ?16, ?17, 'open', ?13, ?18)",
        )?
        .execute(params![
            new.project_id,
            found.subscription_id,
            found.visit_seq,
            found.report_id,
            customer.to_stored(),
            masked.head(),
            masked.tail(),
            new.kind.code(),
            claim,
            new.claimant_agency_id,
            found.respondent,
            new.by,
            stamp,
            settings.objection_days,
            settings.evidence_days,
            settings.opinion_days,
            settings.appeal_days,
            new.idempotency_key,
        ])
        .map_err(|e| {
            unique_violation(
                e,
                "该事项已有一件处理中的申诉,请在原申诉中补充材料 / a dispute on this is already open: add to it instead",
            )
        })?;
        let id = tx.last_insert_rowid();
        let dispute = dispute_in(&tx, id)?;
        let mut app = Appender::new(&self.ledger_key, self.tip.clone());
        let mut sealed = body(&dispute, "opened", new.by);
        sealed.claim = Some(ClaimRef {
            kind: new.kind.code().to_owned(),
            text: claim,
            claimant_agency_id: new.claimant_agency_id,
            respondent_agency_id: found.respondent,
            report_id: found.report_id,
            objection_due: date_text(due.objection_due),
            evidence_due: date_text(due.evidence_due),
            opinion_due: date_text(due.opinion_due),
        });
        let seq = seal_in(&tx, &mut app, new.project_id, &sealed, now)?;
        tx.prepare_cached("UPDATE disputes SET opened_seq = ?2 WHERE id = ?1")?.execute(params![id, seq])?;
        if let Some(respondent) = found.respondent {
            notify_in(&tx, id, &agency_recipient(respondent), "opened", now)?;
        }
        notify_in(&tx, id, &managers_recipient(new.project_id), "opened", now)?;
        if let Some(claimant) = new.claimant_agency_id
            && !new.by.starts_with("agent:")
            && !new.by.starts_with("api:")
        {
            // Opened by the office on the agency's behalf: it is told too.
            notify_in(&tx, id, &agency_recipient(claimant), "opened", now)?;
        }
        let dispute = dispute_in(&tx, id)?;
        let rows = app.commit(tx)?;
        self.appended_all(&rows);
        Ok(dispute)
    }
}
