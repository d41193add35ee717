//! Evidence attached to a dispute: the file stored once by its hash, its
//! hash sealed in the ledger.

use super::{body, seal_in};
use crate::domain::dispute::{self as rule, EvidenceKind, Party, Status};
use crate::domain::evidence::EvidenceFile;
use crate::store::deals::Appender;
use crate::store::disputes::notices::{managers_recipient, notify_in};
use crate::store::disputes::{Evidence, dispute_in};
use crate::store::{Store, StoreError, StoreResult, WriteTx};
use crate::wire::dispute::EvidenceRef;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rusqlite::{OptionalExtension, params};

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

impl Store {
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
        let rows = app.commit(tx)?;
        self.appended_all(&rows);
        self.dispute_evidence(new.dispute_id, None)?
            .into_iter()
            .find(|e| e.id == evidence_id)
            .ok_or_else(|| StoreError::NotFound(format!("evidence {evidence_id}")))
    }
}
