//! The visit ledger (带看确认单): append-only, hash-chained, HMAC-signed.
//!
//! Every row's canonical bytes are hashed into the next row
//! (`prev_sha256`) and signed with the server's ledger key (`row_hmac`).
//! Triggers refuse UPDATE and DELETE; the chain catches what someone does
//! after dropping them: an edited row fails its HMAC, a removed or moved row
//! breaks the chain, a row inserted without the key fails its HMAC, and a
//! removed tail is caught by the head file written after every append.

mod head;
mod merkle;
mod row;
mod verify;
mod verify_since;

pub use head::Head;
pub use merkle::{ORIGIN, ReceiptFault, UnsignedReceipt};
pub use row::{EntryKind, LedgerRow};
pub(crate) use row::{GENESIS, ROW_COLUMNS, keyed, read_row, row_hmac, row_hmac_ok};
pub use verify::LedgerFault;
pub use verify_since::Since;

use super::{Store, StoreError, StoreResult};
use crate::crypto::sha256_hex;
use crate::domain::judge::Signer;
use crate::domain::signature::pen::{PAD_HEIGHT, PAD_WIDTH};
use crate::domain::signature::{Pen, ValidPng};
use crate::wire::record::SignatureRef;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

/// What a signature is recorded as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ink {
    /// Its pen strokes (since issue 16): the image is drawn from them.
    Pen(Pen),
    /// A PNG as the kiosk exported it, with the strokes' JSON beside it
    /// (`[[x, y, pressure, t_ms], …]` per stroke): kiosks before issue 16,
    /// and API clients that still send images.
    Png { png: ValidPng, strokes_json: String },
}

impl Ink {
    /// The hash that tells two signatures apart (nobody signs for another).
    pub fn sha256_hex(&self) -> &str {
        match self {
            Ink::Pen(pen) => pen.sha256_hex(),
            Ink::Png { png, .. } => &png.sha256_hex,
        }
    }
}

/// A signature ready to be stored with its record.
pub struct SignatureInput {
    pub signer: Signer,
    pub ink: Ink,
    pub statement: String,
}

/// What to append. The body is canonical JSON (`serde_json::Value` keeps
/// object keys sorted).
pub struct NewEntry<'a> {
    pub kind: EntryKind,
    pub project_id: &'a str,
    pub report_id: Option<i64>,
    pub amends_seq: Option<i64>,
    pub body: &'a serde_json::Value,
    pub signatures: Vec<SignatureInput>,
}

/// The newest committed record's number and hash, kept in memory so an
/// append need not re-read and re-hash it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tip {
    pub seq: i64,
    pub sha256: String,
}

impl From<&LedgerRow> for Tip {
    fn from(row: &LedgerRow) -> Tip {
        Tip { seq: row.seq, sha256: row.sha256_hex() }
    }
}

/// The tip as the database has it now. The cached tip is used only when
/// it is still the newest record (another process may have appended).
fn current_tip(tx: &rusqlite::Connection, cached: Option<&Tip>) -> StoreResult<Option<Tip>> {
    let newest: Option<i64> = tx.prepare_cached("SELECT max(seq) FROM ledger")?.query_row([], |r| r.get(0))?;
    match (newest, cached) {
        (None, _) => Ok(None),
        (Some(seq), Some(tip)) if tip.seq == seq => Ok(Some(tip.clone())),
        (Some(seq), _) => {
            let row = tx
                .prepare_cached(&format!("SELECT {ROW_COLUMNS} FROM ledger WHERE seq = ?1"))?
                .query_row([seq], read_row)?;
            Ok(Some(Tip::from(&row)))
        }
    }
}

/// Appends within the caller's (IMMEDIATE) transaction, so the record and
/// everything that goes with it commit together. Returns the new row; the
/// caller caches it as the tip once the transaction has committed.
pub(crate) fn append_in(
    tx: &rusqlite::Connection,
    key: &[u8],
    cached_tip: Option<&Tip>,
    entry: NewEntry<'_>,
    now: DateTime<Utc>,
) -> StoreResult<LedgerRow> {
    let (seq, prev_sha256) = match current_tip(tx, cached_tip)? {
        Some(tip) => (tip.seq + 1, tip.sha256),
        None => (1, GENESIS.to_owned()),
    };
    let mut row = LedgerRow {
        seq,
        kind: entry.kind.as_str().to_owned(),
        project_id: entry.project_id.to_owned(),
        report_id: entry.report_id,
        amends_seq: entry.amends_seq,
        recorded_at: now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        body: serde_json::to_string(entry.body).map_err(|e| StoreError::Invalid(e.to_string()))?,
        prev_sha256,
        row_hmac: String::new(),
    };
    row.row_hmac = row_hmac(key, &row);
    tx.prepare_cached(&format!("INSERT INTO ledger ({ROW_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"))?
        .execute(params![
            row.seq,
            row.kind,
            row.project_id,
            row.report_id,
            row.amends_seq,
            row.recorded_at,
            row.body,
            row.prev_sha256,
            row.row_hmac
        ])
        .map_err(|e| {
            super::unique_violation(e, "该报备已登记到访,不能重复登记 / this report has already been checked in")
        })?;
    let mut insert_sig = tx.prepare_cached(
        "INSERT INTO signatures (ledger_seq, signer, png, png_sha256, width, height, strokes, pen, statement, statement_sha256)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for s in &entry.signatures {
        let statement_sha256 = sha256_hex(s.statement.as_bytes());
        match &s.ink {
            Ink::Pen(pen) => insert_sig.execute(params![
                row.seq,
                s.signer.code(),
                &[] as &[u8],
                "",
                PAD_WIDTH,
                PAD_HEIGHT,
                "",
                pen.bytes(),
                s.statement,
                statement_sha256
            ])?,
            Ink::Png { png, strokes_json } => insert_sig.execute(params![
                row.seq,
                s.signer.code(),
                png.bytes,
                png.sha256_hex,
                png.width,
                png.height,
                strokes_json,
                None::<Vec<u8>>,
                s.statement,
                statement_sha256
            ])?,
        };
    }
    merkle::log_append_in(tx, &row)?;
    Ok(row)
}

/// What the record body keeps of each signature, so the chain covers the
/// images, strokes and statements too.
pub fn signature_refs(signatures: &[SignatureInput]) -> Vec<SignatureRef> {
    signatures
        .iter()
        .map(|s| {
            let statement_sha256 = sha256_hex(s.statement.as_bytes());
            match &s.ink {
                Ink::Pen(pen) => SignatureRef {
                    signer: s.signer,
                    png_sha256: String::new(),
                    strokes_sha256: String::new(),
                    pen_sha256: pen.sha256_hex().to_owned(),
                    statement_sha256,
                    width: PAD_WIDTH,
                    height: PAD_HEIGHT,
                },
                Ink::Png { png, strokes_json } => SignatureRef {
                    signer: s.signer,
                    png_sha256: png.sha256_hex.clone(),
                    strokes_sha256: sha256_hex(strokes_json.as_bytes()),
                    pen_sha256: String::new(),
                    statement_sha256,
                    width: png.width,
                    height: png.height,
                },
            }
        })
        .collect()
}

impl Store {
    /// Appends a record in its own durable transaction.
    pub fn append(&mut self, entry: NewEntry<'_>, now: DateTime<Utc>) -> StoreResult<LedgerRow> {
        let tx = super::WriteTx::begin(&mut self.conn)?;
        let row = append_in(&tx, &self.ledger_key, self.tip.as_ref(), entry, now)?;
        tx.commit()?;
        self.appended(&row);
        Ok(row)
    }

    /// After a record's transaction or savepoint committed: remember the
    /// tip, and move the head file forward once the record is durable.
    pub(crate) fn appended(&mut self, row: &LedgerRow) {
        self.tip = Some(Tip::from(row));
        if self.conn.is_autocommit() {
            self.write_head(row);
        } else {
            // Keep the newest two: the head file's two slots hold them.
            if self.pending_head.len() == 2 {
                self.pending_head.remove(0);
            }
            self.pending_head.push(row.clone());
        }
    }

    /// The outer transaction around several writes committed (`true`) or
    /// rolled back (`false`).
    pub fn outer_finished(&mut self, committed: bool) {
        let pending = std::mem::take(&mut self.pending_head);
        match (pending.is_empty(), committed) {
            (true, _) => {}
            (false, true) => pending.iter().for_each(|row| self.write_head(row)),
            (false, false) => self.tip = None,
        }
    }

    pub fn ledger_row(&self, seq: i64) -> StoreResult<LedgerRow> {
        self.conn
            .query_row(&format!("SELECT {ROW_COLUMNS} FROM ledger WHERE seq = ?1"), [seq], read_row)
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("record {seq}")))
    }

    /// Is this one record's seal intact and does it follow its predecessor?
    /// (The full check is `verify_ledger`.)
    pub fn record_sealed(&self, seq: i64) -> StoreResult<bool> {
        let row = self.ledger_row(seq)?;
        let previous = match seq {
            1 => GENESIS.to_owned(),
            _ => self.ledger_row(seq - 1).map(|r| r.sha256_hex()).unwrap_or_default(),
        };
        Ok(row_hmac_ok(&self.ledger_key, &row) && row.prev_sha256 == previous)
    }

    /// Amendments that point at a record, oldest first.
    pub fn amendments_of(&self, seq: i64) -> StoreResult<Vec<LedgerRow>> {
        let mut stmt =
            self.conn.prepare(&format!("SELECT {ROW_COLUMNS} FROM ledger WHERE amends_seq = ?1 ORDER BY seq"))?;
        let rows = stmt.query_map([seq], read_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The statements signed for a record, by signer.
    pub fn signature_statements(&self, seq: i64) -> StoreResult<Vec<(Signer, String)>> {
        let mut stmt = self.conn.prepare("SELECT signer, statement FROM signatures WHERE ledger_seq = ?1")?;
        let rows = stmt.query_map([seq], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (signer, text) = row?;
            if let Some(signer) = Signer::from_code(&signer) {
                out.push((signer, text));
            }
        }
        Ok(out)
    }

    /// A signature's image: drawn from its strokes, or the PNG a record
    /// from before issue 16 stored.
    pub fn signature_png(&self, seq: i64, signer: Signer) -> StoreResult<Vec<u8>> {
        let (png, pen): (Vec<u8>, Option<Vec<u8>>) = self
            .conn
            .query_row(
                "SELECT png, pen FROM signatures WHERE ledger_seq = ?1 AND signer = ?2",
                params![seq, signer.code()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("signature {} of record {seq}", signer.code())))?;
        match pen {
            Some(bytes) => {
                let pen = Pen::decode(&bytes).map_err(|e| StoreError::Corrupt(format!("record {seq}: {e}")))?;
                Ok(crate::domain::signature::render::render_png(&pen))
            }
            None => Ok(png),
        }
    }

    pub fn ledger_len(&self) -> StoreResult<i64> {
        Ok(self.conn.query_row("SELECT count(*) FROM ledger", [], |r| r.get(0))?)
    }
}
