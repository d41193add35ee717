//! Disputes (撞单 / 申诉) as stored: the claim, its evidence, the rulings,
//! the one appeal, and what each party is told. Every step is also a
//! `dispute` entry of the ledger (`wire::dispute::DisputeBody`), appended
//! in the same transaction as the row it describes; a ruling that changes
//! who earns a deal appends the deal's new attribution right after it
//! (`award::ruling_in_force_in`, read by the attribution).
//!
//! The periods (`domain::dispute`) are checked here against the deal's
//! dates as stored, with the project's settings and calendar passed in by
//! the caller (they live in the project's file, not the database).

pub(crate) mod award;
mod notices;
mod steps;

pub use notices::{Notice, Recipient};
pub use steps::{NewDispute, NewEvidence, Subject};

use super::{Store, StoreError, StoreResult};
use crate::domain::dispute::{ClaimKind, Deadlines, DealDates, EvidenceKind, Outcome, Party, Settings, Status};
use rusqlite::{Connection, OptionalExtension, Row, params};

/// A dispute with its parties' names, rulings and appeal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispute {
    pub id: i64,
    pub project_id: String,
    pub subscription_id: Option<i64>,
    pub visit_seq: Option<i64>,
    pub report_id: Option<i64>,
    /// 前三后四.
    pub masked_phone: String,
    pub claim_kind: ClaimKind,
    pub claim: String,
    /// `None`: the site itself (现场).
    pub claimant_agency_id: Option<i64>,
    pub claimant: Option<String>,
    pub respondent_agency_id: Option<i64>,
    pub respondent: Option<String>,
    pub opened_by: String,
    /// UTC stamp.
    pub opened_at: String,
    pub opened_seq: i64,
    /// The deal's deposit and down payment, as stored now (the periods
    /// count from them).
    pub dates: DealDates,
    /// The project's periods when the dispute was opened.
    pub settings: Settings,
    pub status: Status,
    pub updated_at: String,
    /// Oldest first (level 1, then level 2 on appeal).
    pub rulings: Vec<Ruling>,
    pub appeal: Option<Appeal>,
}

impl Dispute {
    /// The deadlines: the periods in force when it was opened, counted
    /// from the deal's dates on the project's calendar.
    pub fn deadlines(&self, tz: chrono_tz::Tz) -> Deadlines {
        crate::domain::dispute::deadlines(&self.settings, tz, &self.dates)
    }

    /// The ruling in force (the newest).
    pub fn ruling(&self) -> Option<&Ruling> {
        self.rulings.last()
    }

    /// Which side an agency is on (`None`: not a party — it sees nothing).
    pub fn party_of(&self, agency_id: i64) -> Option<Party> {
        if self.claimant_agency_id == Some(agency_id) {
            Some(Party::Claimant)
        } else if self.respondent_agency_id == Some(agency_id) {
            Some(Party::Respondent)
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ruling {
    pub level: u8,
    pub outcome: Outcome,
    pub reasons: String,
    pub ruled_by: i64,
    pub ruled_by_name: String,
    pub ruled_at: String,
    pub ledger_seq: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appeal {
    pub party: Party,
    pub agency_id: Option<i64>,
    pub by: String,
    pub reason: String,
    pub appealed_at: String,
    pub ledger_seq: i64,
}

/// An evidence file's row (the bytes are fetched on their own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub id: i64,
    pub dispute_id: i64,
    pub party: Party,
    pub agency_id: Option<i64>,
    pub kind: EvidenceKind,
    pub name: String,
    pub mime: String,
    pub size: i64,
    pub sha256: String,
    pub original_sha256: String,
    pub note: String,
    pub uploaded_by: String,
    pub uploaded_at: String,
    pub ledger_seq: i64,
}

/// Which disputes a list shows.
#[derive(Debug, Clone, Default)]
pub struct DisputeFilter {
    /// `None`: every project (the group's admin).
    pub project_id: Option<String>,
    /// Only disputes where this agency is claimant or respondent.
    pub agency_id: Option<i64>,
    pub statuses: Vec<Status>,
}

fn instant(text: Option<String>) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    text.as_deref().and_then(crate::time::parse_instant)
}

const DISPUTE_COLUMNS: &str =
    "d.id, d.project_id, d.subscription_id, d.visit_seq, d.report_id, d.phone_head, d.phone_tail,
    d.claim_kind, d.claim, d.claimant_agency_id, ca.name, d.respondent_agency_id, ra.name, d.opened_by, d.opened_at,
    d.opened_seq, s.deposit_at, s.down_payment_at, d.status, d.updated_at, d.objection_days, d.evidence_days,
    d.opinion_days, d.appeal_days";

const DISPUTE_FROM: &str = "FROM disputes d
    LEFT JOIN agencies ca ON ca.id = d.claimant_agency_id
    LEFT JOIN agencies ra ON ra.id = d.respondent_agency_id
    LEFT JOIN subscriptions s ON s.id = d.subscription_id";

fn read_dispute(r: &Row<'_>) -> rusqlite::Result<Dispute> {
    let corrupt = |i: usize, what: &str| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, format!("bad {what}").into())
    };
    let head: String = r.get(5)?;
    let tail: String = r.get(6)?;
    let kind: String = r.get(7)?;
    let status: String = r.get(18)?;
    Ok(Dispute {
        id: r.get(0)?,
        project_id: r.get(1)?,
        subscription_id: r.get(2)?,
        visit_seq: r.get(3)?,
        report_id: r.get(4)?,
        masked_phone: format!("{head}****{tail}"),
        claim_kind: ClaimKind::parse(&kind).ok_or_else(|| corrupt(7, "claim kind"))?,
        claim: r.get(8)?,
        claimant_agency_id: r.get(9)?,
        claimant: r.get(10)?,
        respondent_agency_id: r.get(11)?,
        respondent: r.get(12)?,
        opened_by: r.get(13)?,
        opened_at: r.get(14)?,
        opened_seq: r.get(15)?,
        dates: DealDates { deposit_at: instant(r.get(16)?), down_payment_at: instant(r.get(17)?) },
        status: Status::parse(&status).ok_or_else(|| corrupt(18, "status"))?,
        updated_at: r.get(19)?,
        settings: Settings {
            objection_days: r.get(20)?,
            evidence_days: r.get(21)?,
            opinion_days: r.get(22)?,
            appeal_days: r.get(23)?,
        },
        rulings: Vec::new(),
        appeal: None,
    })
}

pub(crate) fn dispute_in(conn: &Connection, id: i64) -> StoreResult<Dispute> {
    let mut d = conn
        .prepare_cached(&format!("SELECT {DISPUTE_COLUMNS} {DISPUTE_FROM} WHERE d.id = ?1"))?
        .query_row([id], read_dispute)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("dispute {id}")))?;
    let mut stmt = conn.prepare_cached(
        "SELECT r.level, r.outcome, r.claimant_percent, r.reasons, r.ruled_by, coalesce(s.name, ''), r.ruled_at,
                r.ledger_seq
         FROM dispute_rulings r LEFT JOIN staff s ON s.id = r.ruled_by WHERE r.dispute_id = ?1 ORDER BY r.level",
    )?;
    let rows = stmt.query_map([id], |r| {
        Ok((
            r.get::<_, u8>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, i64>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, String>(6)?,
            r.get::<_, i64>(7)?,
        ))
    })?;
    for row in rows {
        let (level, outcome, percent, reasons, ruled_by, ruled_by_name, ruled_at, ledger_seq) = row?;
        let outcome = Outcome::parse(&outcome, Some(percent))
            .map_err(|_| StoreError::Corrupt(format!("dispute {id}: ruling outcome")))?;
        d.rulings.push(Ruling { level, outcome, reasons, ruled_by, ruled_by_name, ruled_at, ledger_seq });
    }
    d.appeal = conn
        .prepare_cached(
            "SELECT party, agency_id, by_actor, reason, appealed_at, ledger_seq FROM dispute_appeals WHERE dispute_id = ?1",
        )?
        .query_row([id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<i64>>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, i64>(5)?,
            ))
        })
        .optional()?
        .map(|(party, agency_id, by, reason, appealed_at, ledger_seq)| Appeal {
            party: Party::parse(&party).unwrap_or(Party::Claimant),
            agency_id,
            by,
            reason,
            appealed_at,
            ledger_seq,
        });
    Ok(d)
}

fn read_evidence(r: &Row<'_>) -> rusqlite::Result<Evidence> {
    let party: String = r.get(2)?;
    let kind: String = r.get(4)?;
    let bad = |i: usize| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, "bad code".into());
    Ok(Evidence {
        id: r.get(0)?,
        dispute_id: r.get(1)?,
        party: Party::parse(&party).ok_or_else(|| bad(2))?,
        agency_id: r.get(3)?,
        kind: EvidenceKind::parse(&kind).ok_or_else(|| bad(4))?,
        name: r.get(5)?,
        mime: r.get(6)?,
        size: r.get(7)?,
        sha256: r.get(8)?,
        original_sha256: r.get(9)?,
        note: r.get(10)?,
        uploaded_by: r.get(11)?,
        uploaded_at: r.get(12)?,
        ledger_seq: r.get(13)?,
    })
}

const EVIDENCE_COLUMNS: &str =
    "id, dispute_id, party, agency_id, kind, name, mime, size, sha256, original_sha256, note,
    uploaded_by, uploaded_at, ledger_seq";

impl Store {
    pub fn dispute(&self, id: i64) -> StoreResult<Dispute> {
        dispute_in(&self.conn, id)
    }

    /// The disputes a list shows, newest first, at most `limit`.
    pub fn disputes(&self, filter: &DisputeFilter, limit: u32) -> StoreResult<Vec<Dispute>> {
        let statuses: Vec<&str> = filter.statuses.iter().map(|s| s.code()).collect();
        let status_list = if statuses.is_empty() {
            String::new()
        } else {
            format!(" AND d.status IN ({})", statuses.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(","))
        };
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {DISPUTE_COLUMNS} {DISPUTE_FROM}
             WHERE (?1 IS NULL OR d.project_id = ?1)
               AND (?2 IS NULL OR d.claimant_agency_id = ?2 OR d.respondent_agency_id = ?2){status_list}
             ORDER BY d.id DESC LIMIT ?3"
        ))?;
        let ids: Vec<i64> = stmt
            .query_map(params![filter.project_id, filter.agency_id, limit], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ids.into_iter().map(|id| dispute_in(&self.conn, id)).collect()
    }

    /// Disputes about a deal or a visit record (for their pages' links).
    pub fn disputes_about(&self, subscription_id: Option<i64>, visit_seq: Option<i64>) -> StoreResult<Vec<Dispute>> {
        let ids: Vec<i64> = self
            .conn
            .prepare_cached(
                "SELECT id FROM disputes WHERE (?1 IS NOT NULL AND subscription_id = ?1)
                    OR (?2 IS NOT NULL AND visit_seq = ?2) ORDER BY id",
            )?
            .query_map(params![subscription_id, visit_seq], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ids.into_iter().map(|id| dispute_in(&self.conn, id)).collect()
    }

    /// A dispute's evidence, oldest first; only `agency_id`'s own when
    /// given (an agency never sees the other side's files).
    pub fn dispute_evidence(&self, dispute_id: i64, agency_id: Option<i64>) -> StoreResult<Vec<Evidence>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {EVIDENCE_COLUMNS} FROM dispute_evidence
             WHERE dispute_id = ?1 AND (?2 IS NULL OR agency_id = ?2) ORDER BY id"
        ))?;
        let rows = stmt.query_map(params![dispute_id, agency_id], read_evidence)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// One evidence file with its bytes, re-hashed against its seal.
    pub fn evidence_file(&self, dispute_id: i64, evidence_id: i64) -> StoreResult<(Evidence, Vec<u8>)> {
        let evidence = self
            .conn
            .prepare_cached(&format!(
                "SELECT {EVIDENCE_COLUMNS} FROM dispute_evidence WHERE dispute_id = ?1 AND id = ?2"
            ))?
            .query_row(params![dispute_id, evidence_id], read_evidence)
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("evidence {evidence_id}")))?;
        let bytes: Vec<u8> = self
            .conn
            .prepare_cached("SELECT bytes FROM evidence_files WHERE sha256 = ?1")?
            .query_row([&evidence.sha256], |r| r.get(0))
            .optional()?
            .ok_or_else(|| StoreError::Corrupt(format!("evidence {evidence_id}: its file is missing")))?;
        if crate::crypto::sha256_hex(&bytes) != evidence.sha256 {
            return Err(StoreError::Corrupt(format!("evidence {evidence_id}: the file does not match its seal")));
        }
        Ok((evidence, bytes))
    }

    /// Every evidence file re-hashed against the hash its ledger entry
    /// sealed: `(files checked, ids that fail)`.
    pub fn verify_evidence(&self) -> StoreResult<(u64, Vec<i64>)> {
        let mut stmt = self.conn.prepare(
            "SELECT e.id, e.sha256, l.body, f.bytes FROM dispute_evidence e
             LEFT JOIN ledger l ON l.seq = e.ledger_seq LEFT JOIN evidence_files f ON f.sha256 = e.sha256",
        )?;
        let mut rows = stmt.query([])?;
        let (mut checked, mut bad) = (0u64, Vec::new());
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let sha: String = r.get(1)?;
            let body: Option<String> = r.get(2)?;
            let bytes: Option<Vec<u8>> = r.get(3)?;
            checked += 1;
            let sealed = body
                .and_then(|b| serde_json::from_str::<crate::wire::dispute::DisputeBody>(&b).ok())
                .and_then(|b| b.evidence)
                .map(|e| e.sha256);
            let ok =
                sealed.as_deref() == Some(sha.as_str()) && bytes.is_some_and(|b| crate::crypto::sha256_hex(&b) == sha);
            if !ok {
                bad.push(id);
            }
        }
        Ok((checked, bad))
    }

    /// How many evidence files the claimant's side gave (for the seeds'
    /// default: no evidence in time, the closing party keeps the customer).
    pub fn claimant_evidence_count(&self, dispute_id: i64) -> StoreResult<usize> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM dispute_evidence WHERE dispute_id = ?1 AND party = 'claimant'",
            [dispute_id],
            |r| r.get(0),
        )?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// The agency of the customer's earliest report in the project (the
    /// seeds: 以时间最早的报备信息为准), by the dispute's phone (full or
    /// masked: a report may hold either).
    pub fn earliest_report_agency(&self, dispute: &Dispute) -> StoreResult<Option<i64>> {
        let (phone, head, tail): (String, String, String) = self.conn.query_row(
            "SELECT phone, phone_head, phone_tail FROM disputes WHERE id = ?1",
            [dispute.id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let full = crate::domain::phone::Phone::parse(&phone).ok();
        // Uses reports_by_customer (project_id, phone_head, phone_tail, filed_unix).
        let mut stmt = self.conn.prepare_cached(
            "SELECT agency_id, customer_phone FROM reports
             WHERE project_id = ?1 AND phone_head = ?2 AND phone_tail = ?3 ORDER BY filed_unix, id",
        )?;
        let mut rows = stmt.query(params![dispute.project_id, head, tail])?;
        while let Some(r) = rows.next()? {
            let agency: i64 = r.get(0)?;
            let stored: String = r.get(1)?;
            let same = match (&full, crate::domain::phone::CustomerPhone::parse(&stored, true)) {
                (Some(full), Ok(seen)) => seen.matches_full(full),
                (None, Ok(_)) => true,
                _ => false,
            };
            if same {
                return Ok(Some(agency));
            }
        }
        Ok(None)
    }

    /// The dispute's customer as full numbers (for the timeline): the
    /// subject's phone when full, and the deal's.
    pub fn dispute_phones(&self, dispute_id: i64) -> StoreResult<Vec<crate::domain::phone::Phone>> {
        let (phone, deal_phone): (String, Option<String>) = self
            .conn
            .query_row(
                "SELECT d.phone, s.phone FROM disputes d LEFT JOIN subscriptions s ON s.id = d.subscription_id
                 WHERE d.id = ?1",
                [dispute_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("dispute {dispute_id}")))?;
        let mut out = Vec::new();
        for p in std::iter::once(phone).chain(deal_phone) {
            if let Ok(full) = crate::domain::phone::Phone::parse(&p)
                && !out.contains(&full)
            {
                out.push(full);
            }
        }
        Ok(out)
    }
}
