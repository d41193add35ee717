//! What a record's amendments do outside the ledger. The ledger row of an
//! amendment is the evidence; the derived tables — the visits list
//! (`visit_index`), the history the judge reads (`history`) and the
//! report's status (`reports.voided_by`) — are recomputed from the record
//! and *all* its amendments (never patched by the newest alone), so they
//! can be rebuilt at any time and always agree with the ledger.

use super::ledger::{EntryKind, LedgerRow, NewEntry, ROW_COLUMNS, append_in, read_row};
use super::{Store, StoreError, StoreResult};
use crate::crypto::sha256_hex;
use crate::domain::amendment::{Amendment, AttachmentRef, Effective, effective};
use crate::domain::phone::Phone;
use crate::wire::record::{self, AmendmentBody, RECORD_VERSION};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

/// The largest file an amendment may carry.
pub const ATTACHMENT_MAX_BYTES: usize = 5 * 1024 * 1024;

/// The record's facts as sealed, before any amendment.
pub(crate) fn original_in(conn: &Connection, seq: i64) -> StoreResult<Effective> {
    let row = conn
        .query_row(&format!("SELECT {ROW_COLUMNS} FROM ledger WHERE seq = ?1"), [seq], read_row)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("record {seq}")))?;
    if row.kind != "visit" {
        return Err(StoreError::Invalid("只能更正到访记录 / only visit records are amended".into()));
    }
    let body = row.visit_body()?;
    Ok(Effective {
        voided: false,
        customer_name: body.customer_name().to_owned(),
        customer_phone: body.customer_phone().to_owned(),
        sales: body.sales_consultant.as_ref().map(|s| (s.id, s.name.clone())),
        amended: false,
    })
}

/// The `changes` of a record's amendments, oldest first.
fn changes_in(conn: &Connection, seq: i64) -> StoreResult<Vec<serde_json::Value>> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {ROW_COLUMNS} FROM ledger WHERE amends_seq = ?1 ORDER BY seq"))?;
    let rows = stmt.query_map([seq], read_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    rows.iter().map(|r| r.amendment_body().map(|b| b.changes)).collect()
}

/// What record `seq` says now, amendments applied.
pub(crate) fn effective_in(conn: &Connection, seq: i64) -> StoreResult<Effective> {
    let original = original_in(conn, seq)?;
    Ok(effective(original, changes_in(conn, seq)?.iter()))
}

/// Rewrites what is derived from record `seq` to what its amendments make
/// of it. `voided_by`: the newest amendment that voided it (for the report).
pub(crate) fn refresh_in(conn: &Connection, seq: i64) -> StoreResult<Effective> {
    let now = effective_in(conn, seq)?;
    let (head, tail) = match Phone::parse(&now.customer_phone) {
        Ok(p) => (p.masked().head().to_owned(), p.masked().tail().to_owned()),
        Err(_) => (String::new(), String::new()),
    };
    conn.prepare_cached(
        "UPDATE visit_index SET voided = ?2, amended = ?3, customer_name = ?4, phone = ?5,
            phone_head = ?6, phone_tail = ?7, sales = ?8 WHERE seq = ?1",
    )?
    .execute(params![
        seq,
        now.voided,
        now.amended,
        now.customer_name,
        now.customer_phone,
        head,
        tail,
        now.sales.as_ref().map(|(_, n)| n.as_str()).unwrap_or(""),
    ])?;
    conn.prepare_cached(
        "UPDATE history SET voided = ?2, customer_name = ?3, phone = ?4, phone_head = ?5, phone_tail = ?6
         WHERE record_seq = ?1",
    )?
    .execute(params![seq, now.voided, now.customer_name, now.customer_phone, head, tail])?;
    let voided_by: Option<i64> = if now.voided {
        conn.query_row(
            "SELECT max(seq) FROM ledger WHERE amends_seq = ?1 AND json_extract(body, '$.changes.void') = 1",
            [seq],
            |r| r.get(0),
        )?
    } else {
        None
    };
    conn.prepare_cached(
        "UPDATE reports SET voided_by = ?2 WHERE id = (SELECT report_id FROM ledger WHERE seq = ?1 AND kind = 'visit')",
    )?
    .execute(params![seq, voided_by])?;
    Ok(now)
}

/// Recomputes every amended record (after a migration, or when the
/// visits index was rebuilt).
pub(crate) fn refresh_all_in(conn: &Connection) -> StoreResult<usize> {
    let seqs: Vec<i64> = conn
        .prepare("SELECT DISTINCT amends_seq FROM ledger WHERE kind = 'amendment' ORDER BY amends_seq")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for seq in &seqs {
        match refresh_in(conn, *seq) {
            Ok(_) | Err(StoreError::Invalid(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(seqs.len())
}

/// Keeps an attachment (content-addressed: the same file twice is stored
/// once) and returns what the amendment seals of it.
pub(crate) fn store_attachment_in(
    conn: &Connection,
    name: &str,
    mime: &str,
    bytes: &[u8],
    now: DateTime<Utc>,
) -> StoreResult<AttachmentRef> {
    if bytes.len() > ATTACHMENT_MAX_BYTES {
        return Err(StoreError::Invalid("附件不能超过 5 MB / the attachment is larger than 5 MB".into()));
    }
    let sha256 = sha256_hex(bytes);
    conn.prepare_cached(
        "INSERT OR IGNORE INTO attachments (sha256, mime, name, size, bytes, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![sha256, mime, name, bytes.len() as i64, bytes, now.to_rfc3339()])?;
    Ok(AttachmentRef { sha256, mime: mime.to_owned(), name: name.to_owned(), size: bytes.len() as u64 })
}

impl Store {
    /// What record `seq` says now, its amendments applied.
    pub fn record_now(&self, seq: i64) -> StoreResult<Effective> {
        effective_in(&self.conn, seq)
    }

    /// An attachment of an amendment of record `seq` (`None` when no
    /// amendment of that record names it), with its media type.
    pub fn attachment(&self, seq: i64, sha256: &str) -> StoreResult<Option<(String, String, Vec<u8>)>> {
        let named = changes_in(&self.conn, seq)?
            .iter()
            .filter_map(crate::domain::amendment::attachment_of)
            .any(|a| a.sha256 == sha256);
        if !named {
            return Ok(None);
        }
        Ok(self
            .conn
            .query_row("SELECT mime, name, bytes FROM attachments WHERE sha256 = ?1", [sha256], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?)
    }
}

/// A file to attach to an amendment (type already checked by content).
pub struct NewAttachment<'a> {
    pub name: &'a str,
    pub mime: &'a str,
    pub bytes: &'a [u8],
}

impl Store {
    /// Appends a correction that points at record `amends_seq` (the
    /// original stays as it was) and recomputes what the record's
    /// amendments make of it. `changes` as given (the CLI's JSON); the back
    /// office uses [`Store::amend_record`].
    pub fn amend(
        &mut self,
        amends_seq: i64,
        actor: &str,
        reason: &str,
        changes: serde_json::Value,
        now: DateTime<Utc>,
    ) -> StoreResult<LedgerRow> {
        self.append_amendment(amends_seq, actor, reason, now, |_| Ok(changes))
    }

    /// One typed correction of a visit record, checked against what the
    /// record says now (amendments applied), with an optional file.
    pub fn amend_record(
        &mut self,
        seq: i64,
        actor: &str,
        reason: &str,
        amendment: &Amendment,
        attachment: Option<NewAttachment<'_>>,
        now: DateTime<Utc>,
    ) -> StoreResult<LedgerRow> {
        self.append_amendment(seq, actor, reason, now, |tx| {
            let current = effective_in(tx, seq)?;
            amendment.check(&current).map_err(|e| StoreError::Invalid(e.to_string()))?;
            let attached = attachment.map(|a| store_attachment_in(tx, a.name, a.mime, a.bytes, now)).transpose()?;
            Ok(amendment.changes(attached.as_ref()))
        })
    }

    fn append_amendment(
        &mut self,
        amends_seq: i64,
        actor: &str,
        reason: &str,
        now: DateTime<Utc>,
        changes: impl FnOnce(&Connection) -> StoreResult<serde_json::Value>,
    ) -> StoreResult<LedgerRow> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(StoreError::Invalid("更正必须写明原因 / an amendment needs a reason".into()));
        }
        let tx = super::WriteTx::begin(&mut self.conn)?;
        let original: Option<(String, Option<i64>, String)> = tx
            .query_row("SELECT project_id, report_id, kind FROM ledger WHERE seq = ?1", [amends_seq], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        let Some((project_id, report_id, kind)) = original else {
            return Err(StoreError::NotFound(format!("record {amends_seq}")));
        };
        // The customer before the amendment: a corrected phone moves the
        // visit from one customer to another, and both are attributed again.
        let phone_before = if kind == "visit" { Some(effective_in(&tx, amends_seq)?.customer_phone) } else { None };
        let amendment = AmendmentBody {
            version: Some(RECORD_VERSION),
            amends: amends_seq,
            by: actor.to_owned(),
            reason: reason.to_owned(),
            changes: changes(&tx)?,
        };
        let body = record::canonical(&amendment).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let entry = NewEntry {
            kind: EntryKind::Amendment,
            project_id: &project_id,
            report_id,
            amends_seq: Some(amends_seq),
            body: &body,
            signatures: Vec::new(),
        };
        let row = append_in(&tx, &self.ledger_key, self.tip.as_ref(), entry, now)?;
        let mut attributions = Vec::new();
        if kind == "visit" {
            let after = refresh_in(&tx, amends_seq)?;
            // 渠道业绩 rests on the visits: the customer's subscriptions are
            // attributed again (a new ledger entry where the result changed).
            let phones: Vec<Phone> = phone_before
                .iter()
                .chain(std::iter::once(&after.customer_phone))
                .filter_map(|p| Phone::parse(p).ok())
                .collect();
            attributions = super::deals::reattribute_after_change_in(
                &tx,
                &self.ledger_key,
                Some(super::ledger::Tip::from(&row)),
                &project_id,
                &phones,
                &format!("amendment:{}", row.seq),
                now,
            )?;
        }
        super::audit::record_in(
            &tx,
            &self.ledger_key,
            now,
            actor,
            "ledger.amend",
            Some(&project_id),
            &format!("record {amends_seq} → {}: {reason}", row.seq),
        )?;
        tx.commit()?;
        self.appended(&row);
        for attribution in &attributions {
            self.appended(attribution);
        }
        Ok(row)
    }
}
