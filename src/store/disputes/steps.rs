//! A dispute's steps: opened, evidence attached, appealed, ruled,
//! withdrawn. Each writes its row and its ledger entry in one transaction,
//! tells the parties (`notices`), and — a ruling — attributes the deal
//! again with the ruling in force.

use super::notices::{ADMINS, agency_recipient, managers_recipient, notify_in};
use super::{Dispute, Evidence, dispute_in};
use crate::domain::dispute::{self as rule, ClaimKind, DealDates, EvidenceKind, Outcome, Party, Settings, Status};
use crate::domain::evidence::EvidenceFile;
use crate::domain::phone::{CustomerPhone, Phone};
use crate::store::deals::{Appender, attribute_subscription_in, reattribute_customer_in, rules_in_force_in};
use crate::store::ledger::{EntryKind, NewEntry};
use crate::store::{Store, StoreError, StoreResult, WriteTx, unique_violation};
use crate::wire::dispute::{AppealRef, ClaimRef, DISPUTE_VERSION, DisputeBody, EvidenceRef, RulingRef};
use crate::wire::record;
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

pub struct NewEvidence<'a> {
    pub dispute_id: i64,
    pub party: Party,
    /// The uploading agency (`None` for the office).
    pub agency_id: Option<i64>,
    pub kind: EvidenceKind,
    pub file: &'a EvidenceFile,
    pub name: &'a str,
    pub note: &'a str,
    pub by: &'a str,
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

fn deal_dates_in(conn: &Connection, subscription_id: i64) -> StoreResult<DealDates> {
    let (deposit, down): (Option<String>, Option<String>) = conn
        .prepare_cached("SELECT deposit_at, down_payment_at FROM subscriptions WHERE id = ?1")?
        .query_row([subscription_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(DealDates {
        deposit_at: deposit.as_deref().and_then(crate::time::parse_instant),
        down_payment_at: down.as_deref().and_then(crate::time::parse_instant),
    })
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

/// Appends a dispute entry; returns its number.
fn seal_in(
    tx: &Connection,
    app: &mut Appender<'_>,
    project_id: &str,
    body: &DisputeBody,
    now: DateTime<Utc>,
) -> StoreResult<i64> {
    let value = record::canonical(body).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let entry = NewEntry {
        kind: EntryKind::Dispute,
        project_id,
        report_id: None,
        amends_seq: None,
        body: &value,
        signatures: Vec::new(),
    };
    app.append(tx, entry, now)
}

fn body(d: &Dispute, event: &str, by: &str) -> DisputeBody {
    DisputeBody {
        version: DISPUTE_VERSION,
        dispute_id: d.id,
        event: event.to_owned(),
        subscription_id: d.subscription_id,
        visit_seq: d.visit_seq,
        by: by.to_owned(),
        claim: None,
        evidence: None,
        appeal: None,
        ruling: None,
    }
}

fn set_status_in(tx: &Connection, id: i64, status: Status, now: DateTime<Utc>) -> StoreResult<()> {
    tx.prepare_cached("UPDATE disputes SET status = ?2, updated_at = ?3 WHERE id = ?1")?.execute(params![
        id,
        status.code(),
        crate::time::stamp(now)
    ])?;
    Ok(())
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
        let rows = app.into_rows();
        tx.commit()?;
        for row in &rows {
            self.appended(row);
        }
        Ok(dispute)
    }

    /// Attaches an evidence file: its SHA-256 is sealed in the ledger in the
    /// same transaction. A party's evidence is refused after the evidence
    /// period (counted from the down payment); the office's is not.
    pub fn add_evidence(&mut self, new: &NewEvidence<'_>, tz: Tz, now: DateTime<Utc>) -> StoreResult<Evidence> {
        let tx = WriteTx::begin(&mut self.conn)?;
        let dispute = dispute_in(&tx, new.dispute_id)?;
        if dispute.status != Status::Open {
            return Err(StoreError::Conflict(
                "该申诉已裁决或撤回,不能再补充材料 / this dispute is ruled or withdrawn: no more evidence".into(),
            ));
        }
        if new.party != Party::Office {
            rule::may_add_evidence(&dispute.settings, tz, &dispute.dates, now)
                .map_err(|late| StoreError::Late(late.message()))?;
        }
        let file = new.file;
        // The same file from the same side again (a double tap): the one
        // already attached.
        let again: Option<i64> = tx
            .prepare_cached(
                "SELECT id FROM dispute_evidence WHERE dispute_id = ?1 AND party = ?2 AND original_sha256 = ?3
                   AND agency_id IS ?4",
            )?
            .query_row(params![dispute.id, new.party.code(), file.original_sha256_hex, new.agency_id], |r| r.get(0))
            .optional()?;
        if let Some(existing) = again {
            drop(tx);
            return self
                .dispute_evidence(new.dispute_id, None)?
                .into_iter()
                .find(|e| e.id == existing)
                .ok_or_else(|| StoreError::NotFound(format!("evidence {existing}")));
        }
        tx.prepare_cached("INSERT OR IGNORE INTO evidence_files (sha256, mime, bytes) VALUES (?1, ?2, ?3)")?
            .execute(params![file.sha256_hex, file.kind.mime(), file.bytes])?;
        let note: String = new.note.trim().chars().filter(|c| !c.is_control()).take(500).collect();
        let note = crate::domain::phone::mask_phones_in_text(&note);
        tx.prepare_cached(
            "INSERT INTO dispute_evidence (dispute_id, party, agency_id, kind, name, mime, size, sha256,
                original_sha256, note, uploaded_by, uploaded_at, ledger_seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 0)",
        )?
        .execute(params![
            dispute.id,
            new.party.code(),
            new.agency_id,
            new.kind.code(),
            new.name,
            file.kind.mime(),
            file.bytes.len() as i64,
            file.sha256_hex,
            file.original_sha256_hex,
            note,
            new.by,
            crate::time::stamp(now),
        ])?;
        let evidence_id = tx.last_insert_rowid();
        let mut app = Appender::new(&self.ledger_key, self.tip.clone());
        let mut sealed = body(&dispute, "evidence", new.by);
        sealed.evidence = Some(EvidenceRef {
            evidence_id,
            party: new.party.code().to_owned(),
            kind: new.kind.code().to_owned(),
            mime: file.kind.mime().to_owned(),
            size: file.bytes.len() as u64,
            sha256: file.sha256_hex.clone(),
            original_sha256: file.original_sha256_hex.clone(),
        });
        let seq = seal_in(&tx, &mut app, &dispute.project_id, &sealed, now)?;
        tx.prepare_cached("UPDATE dispute_evidence SET ledger_seq = ?2 WHERE id = ?1")?
            .execute(params![evidence_id, seq])?;
        tx.prepare_cached("UPDATE disputes SET updated_at = ?2 WHERE id = ?1")?
            .execute(params![dispute.id, crate::time::stamp(now)])?;
        if new.party != Party::Office {
            notify_in(&tx, dispute.id, &managers_recipient(&dispute.project_id), "evidence", now)?;
        }
        let rows = app.into_rows();
        tx.commit()?;
        for row in &rows {
            self.appended(row);
        }
        self.dispute_evidence(new.dispute_id, None)?
            .into_iter()
            .find(|e| e.id == evidence_id)
            .ok_or_else(|| StoreError::NotFound(format!("evidence {evidence_id}")))
    }

    /// A party appeals the manager's ruling to the admin: once per dispute,
    /// within the appeal period.
    pub fn appeal_dispute(
        &mut self,
        dispute_id: i64,
        agency_id: i64,
        reason: &str,
        by: &str,
        tz: Tz,
        now: DateTime<Utc>,
    ) -> StoreResult<Dispute> {
        let reason = rule::ruling_reasons(reason)
            .map_err(|_| StoreError::Invalid("请写明复核理由(至少 4 个字)/ give the appeal's reasons".into()))?;
        let reason = crate::domain::phone::mask_phones_in_text(&reason);
        let tx = WriteTx::begin(&mut self.conn)?;
        let dispute = dispute_in(&tx, dispute_id)?;
        let party = dispute.party_of(agency_id).ok_or_else(|| StoreError::NotFound(format!("dispute {dispute_id}")))?;
        if dispute.appeal.is_some() {
            return Err(StoreError::Conflict("每件申诉只能申请一次复核 / a dispute can be appealed only once".into()));
        }
        let ruled_at = match (dispute.status, dispute.ruling()) {
            (Status::Ruled, Some(r)) => crate::time::parse_instant(&r.ruled_at)
                .map(|t| t.with_timezone(&Utc))
                .ok_or_else(|| StoreError::Corrupt(format!("dispute {dispute_id}: ruled_at")))?,
            _ => return Err(StoreError::Conflict("尚未裁决,不能申请复核 / nothing ruled to appeal yet".into())),
        };
        rule::may_appeal(&dispute.settings, tz, ruled_at, now).map_err(|late| StoreError::Late(late.message()))?;
        tx.prepare_cached(
            "INSERT INTO dispute_appeals (dispute_id, party, agency_id, by_actor, reason, appealed_at, ledger_seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0)",
        )?
        .execute(params![dispute_id, party.code(), agency_id, by, reason, crate::time::stamp(now)])
        .map_err(|e| unique_violation(e, "每件申诉只能申请一次复核 / a dispute can be appealed only once"))?;
        let mut app = Appender::new(&self.ledger_key, self.tip.clone());
        let mut sealed = body(&dispute, "appeal", by);
        sealed.appeal = Some(AppealRef { party: party.code().to_owned(), reason });
        let seq = seal_in(&tx, &mut app, &dispute.project_id, &sealed, now)?;
        tx.prepare_cached("UPDATE dispute_appeals SET ledger_seq = ?2 WHERE dispute_id = ?1")?
            .execute(params![dispute_id, seq])?;
        set_status_in(&tx, dispute_id, Status::Appealed, now)?;
        notify_in(&tx, dispute_id, ADMINS, "appeal", now)?;
        let other = if party == Party::Claimant { dispute.respondent_agency_id } else { dispute.claimant_agency_id };
        if let Some(other) = other {
            notify_in(&tx, dispute_id, &agency_recipient(other), "appeal", now)?;
        }
        let dispute = dispute_in(&tx, dispute_id)?;
        let rows = app.into_rows();
        tx.commit()?;
        for row in &rows {
            self.appended(row);
        }
        Ok(dispute)
    }

    /// The claimant withdraws an open dispute.
    pub fn withdraw_dispute(
        &mut self,
        dispute_id: i64,
        agency_id: Option<i64>,
        by: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Dispute> {
        let tx = WriteTx::begin(&mut self.conn)?;
        let dispute = dispute_in(&tx, dispute_id)?;
        if agency_id.is_some() && dispute.claimant_agency_id != agency_id {
            return Err(StoreError::NotFound(format!("dispute {dispute_id}")));
        }
        if dispute.status == Status::Withdrawn {
            // Withdrawn already (a double tap): nothing more to do.
            return Ok(dispute);
        }
        if dispute.status != Status::Open {
            return Err(StoreError::Conflict(
                "只有处理中的申诉可以撤回 / only an open dispute can be withdrawn".into(),
            ));
        }
        let mut app = Appender::new(&self.ledger_key, self.tip.clone());
        seal_in(&tx, &mut app, &dispute.project_id, &body(&dispute, "withdrawn", by), now)?;
        set_status_in(&tx, dispute_id, Status::Withdrawn, now)?;
        if let Some(respondent) = dispute.respondent_agency_id {
            notify_in(&tx, dispute_id, &agency_recipient(respondent), "withdrawn", now)?;
        }
        notify_in(&tx, dispute_id, &managers_recipient(&dispute.project_id), "withdrawn", now)?;
        let dispute = dispute_in(&tx, dispute_id)?;
        let rows = app.into_rows();
        tx.commit()?;
        for row in &rows {
            self.appended(row);
        }
        Ok(dispute)
    }

    /// Rules on a dispute: the project's manager on an open one (level 1),
    /// the admin on an appealed one (level 2, final). The ruling is sealed,
    /// the deal is attributed again with it (cause `ruling:<id>`: a new
    /// attribution entry when the result changes), and both parties are
    /// told.
    #[allow(clippy::too_many_arguments)]
    pub fn rule_dispute(
        &mut self,
        dispute_id: i64,
        outcome: Outcome,
        reasons: &str,
        staff_id: i64,
        admin: bool,
        by: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Dispute> {
        let reasons = rule::ruling_reasons(reasons).map_err(|m| StoreError::Invalid(m.to_owned()))?;
        // Both parties read the reasons: a number typed into them is masked.
        let reasons = crate::domain::phone::mask_phones_in_text(&reasons);
        let tx = WriteTx::begin(&mut self.conn)?;
        let dispute = dispute_in(&tx, dispute_id)?;
        if let Some(last) = dispute.ruling()
            && last.ruled_by == staff_id
            && last.outcome == outcome
            && last.reasons == reasons
        {
            // The same ruling sent twice (a double submit): already done.
            return Ok(dispute);
        }
        let level: u8 = match dispute.status {
            Status::Open => 1,
            Status::Appealed if admin && dispute.rulings.iter().any(|r| r.ruled_by == staff_id) => {
                return Err(StoreError::Conflict(
                    "复核须由未参与原裁决的管理员裁决 / an appeal is ruled by an admin who did not make the first ruling"
                        .into(),
                ));
            }
            Status::Appealed if admin => 2,
            Status::Appealed => {
                return Err(StoreError::Conflict(
                    "复核须由集团管理员裁决 / an appeal is ruled by the group's admin".into(),
                ));
            }
            _ => {
                return Err(StoreError::Conflict(
                    "该申诉已裁决或撤回 / this dispute is already ruled or withdrawn".into(),
                ));
            }
        };
        if matches!(outcome, Outcome::Split { .. })
            && dispute.claimant_agency_id.is_none()
            && dispute.respondent_agency_id.is_none()
        {
            return Err(StoreError::Invalid("无渠道可分配 / no agency to share with".into()));
        }
        tx.prepare_cached(
            "INSERT INTO dispute_rulings (dispute_id, level, outcome, claimant_percent, reasons, ruled_by, ruled_at, ledger_seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0)",
        )?
        .execute(params![
            dispute_id,
            level,
            outcome.code(),
            outcome.claimant_percent(),
            reasons,
            staff_id,
            crate::time::stamp(now)
        ])
        .map_err(|e| unique_violation(e, "该申诉已裁决 / this dispute is already ruled"))?;
        let mut app = Appender::new(&self.ledger_key, self.tip.clone());
        let mut sealed = body(&dispute, "ruling", by);
        sealed.ruling = Some(RulingRef {
            level,
            outcome: outcome.code().to_owned(),
            claimant_percent: outcome.claimant_percent(),
            reasons,
        });
        let seq = seal_in(&tx, &mut app, &dispute.project_id, &sealed, now)?;
        tx.prepare_cached("UPDATE dispute_rulings SET ledger_seq = ?3 WHERE dispute_id = ?1 AND level = ?2")?
            .execute(params![dispute_id, level, seq])?;
        set_status_in(&tx, dispute_id, if level == 1 { Status::Ruled } else { Status::Closed }, now)?;

        // The deal (or the customer's deals, when the dispute is about a
        // visit) attributed again with the ruling in force.
        let cause = format!("ruling:{dispute_id}");
        let rules = rules_in_force_in(&tx, &dispute.project_id)?;
        match dispute.subscription_id {
            Some(subscription) => {
                attribute_subscription_in(&tx, &mut app, &rules, subscription, &cause, now)?;
            }
            None => {
                let phone: String =
                    tx.query_row("SELECT phone FROM disputes WHERE id = ?1", [dispute_id], |r| r.get(0))?;
                if let Ok(full) = Phone::parse(&phone) {
                    reattribute_customer_in(&tx, &mut app, &rules, &dispute.project_id, &[full], &cause, now)?;
                }
            }
        }
        for agency in [dispute.claimant_agency_id, dispute.respondent_agency_id].into_iter().flatten() {
            notify_in(&tx, dispute_id, &agency_recipient(agency), "ruling", now)?;
        }
        if level == 2 {
            notify_in(&tx, dispute_id, &managers_recipient(&dispute.project_id), "ruling", now)?;
        }
        let dispute = dispute_in(&tx, dispute_id)?;
        let rows = app.into_rows();
        tx.commit()?;
        for row in &rows {
            self.appended(row);
        }
        Ok(dispute)
    }
}
