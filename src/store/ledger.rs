//! The visit ledger (带看确认单): append-only, hash-chained, HMAC-signed.
//!
//! Every row's canonical bytes are hashed into the next row
//! (`prev_sha256`) and signed with the server's ledger key (`row_hmac`).
//! Triggers refuse UPDATE and DELETE; the chain catches what someone does
//! after dropping them: an edited row fails its HMAC, a removed or moved row
//! breaks the chain, a row inserted without the key fails its HMAC, and a
//! removed tail is caught by the head file written after every append.

use super::{Store, StoreError, StoreResult};
use crate::domain::judge::Signer;
use crate::domain::signature::{ValidPng, sha256_hex};
use chrono::{DateTime, Utc};
use data_encoding::HEXLOWER;
use hmac::{Hmac, Mac};
use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

type HmacSha256 = Hmac<Sha256>;

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Visit,
    Amendment,
}

impl EntryKind {
    fn as_str(self) -> &'static str {
        match self {
            EntryKind::Visit => "visit",
            EntryKind::Amendment => "amendment",
        }
    }
}

/// A signature ready to be stored with its record.
pub struct SignatureInput {
    pub signer: Signer,
    pub png: ValidPng,
    /// JSON array of strokes, each an array of `[x, y, pressure, t_ms]`.
    pub strokes_json: String,
    pub statement: String,
}

/// A row as stored: exactly the fields the canonical bytes cover.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerRow {
    pub seq: i64,
    pub kind: String,
    pub project_id: String,
    pub report_id: Option<i64>,
    pub amends_seq: Option<i64>,
    pub recorded_at: String,
    pub body: String,
    pub prev_sha256: String,
    pub row_hmac: String,
}

impl LedgerRow {
    /// Unambiguous bytes: fixed field order, one per line, the body (the
    /// only field that may hold a newline) last and length-prefixed.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let opt = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
        format!(
            "panke-ledger-v1\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}",
            self.seq,
            self.kind,
            self.project_id,
            opt(self.report_id),
            opt(self.amends_seq),
            self.recorded_at,
            self.prev_sha256,
            self.body.len(),
            self.body
        )
        .into_bytes()
    }

    pub fn sha256_hex(&self) -> String {
        HEXLOWER.encode(&Sha256::digest(self.canonical_bytes()))
    }

    pub fn body_json(&self) -> StoreResult<serde_json::Value> {
        serde_json::from_str(&self.body).map_err(|e| StoreError::Corrupt(format!("record {}: {e}", self.seq)))
    }
}

fn keyed(key: &[u8]) -> HmacSha256 {
    <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC-SHA256 takes keys of any length")
}

fn row_hmac(key: &[u8], row: &LedgerRow) -> String {
    let mut mac = keyed(key);
    mac.update(&row.canonical_bytes());
    HEXLOWER.encode(&mac.finalize().into_bytes())
}

fn row_hmac_ok(key: &[u8], row: &LedgerRow) -> bool {
    let Ok(tag) = HEXLOWER.decode(row.row_hmac.as_bytes()) else {
        return false;
    };
    let mut mac = keyed(key);
    mac.update(&row.canonical_bytes());
    mac.verify_slice(&tag).is_ok()
}

const ROW_COLUMNS: &str = "seq, kind, project_id, report_id, amends_seq, recorded_at, body, prev_sha256, row_hmac";

fn read_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<LedgerRow> {
    Ok(LedgerRow {
        seq: r.get(0)?,
        kind: r.get(1)?,
        project_id: r.get(2)?,
        report_id: r.get(3)?,
        amends_seq: r.get(4)?,
        recorded_at: r.get(5)?,
        body: r.get(6)?,
        prev_sha256: r.get(7)?,
        row_hmac: r.get(8)?,
    })
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
        "INSERT INTO signatures (ledger_seq, signer, png, png_sha256, width, height, strokes, statement, statement_sha256)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for s in &entry.signatures {
        insert_sig.execute(params![
            row.seq,
            s.signer.code(),
            s.png.bytes,
            s.png.sha256_hex,
            s.png.width,
            s.png.height,
            s.strokes_json,
            s.statement,
            sha256_hex(s.statement.as_bytes())
        ])?;
    }
    Ok(row)
}

/// The JSON the record body keeps for each signature, so the chain covers
/// the images, strokes and statements too.
pub fn signature_summary(signatures: &[SignatureInput]) -> serde_json::Value {
    serde_json::Value::Array(
        signatures
            .iter()
            .map(|s| {
                serde_json::json!({
                    "signer": s.signer.code(),
                    "png_sha256": s.png.sha256_hex,
                    "strokes_sha256": sha256_hex(s.strokes_json.as_bytes()),
                    "statement_sha256": sha256_hex(s.statement.as_bytes()),
                    "width": s.png.width,
                    "height": s.png.height,
                })
            })
            .collect(),
    )
}

/// Where verification found the first problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerFault {
    #[error("record {seq} was altered (or inserted without the ledger key): its seal does not match its content")]
    Altered { seq: i64 },
    #[error("record {expected} is missing: the records jump from {previous} to {found}")]
    Removed { previous: i64, expected: i64, found: i64 },
    #[error("record {seq} does not follow record {previous}: a record before it was removed, replaced or moved")]
    ChainBroken { seq: i64, previous: i64 },
    #[error("record {seq}: signature {signer} was altered, removed or added")]
    SignatureAltered { seq: i64, signer: String },
    #[error("the ledger ends at record {found}, but record {expected} was written: records were removed from the end")]
    Truncated { expected: i64, found: i64 },
    #[error("record {seq}: {detail}")]
    Unreadable { seq: i64, detail: String },
}

/// The last record written, kept outside the database so that removing
/// the newest records is noticed too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub seq: i64,
    pub sha256: String,
}

/// The head file holds two fixed-size slots, written alternately in place:
/// a torn write (power cut) can spoil at most the slot being written, and
/// the reader takes the newest slot whose seal verifies.
const HEAD_SLOT: u64 = 256;

fn head_seal(key: &[u8], text: &str) -> String {
    let mut m = keyed(key);
    m.update(text.as_bytes());
    HEXLOWER.encode(&m.finalize().into_bytes())
}

impl Store {
    pub(crate) fn head_path(&self) -> PathBuf {
        let mut p = self.path.clone().into_os_string();
        p.push(".head");
        PathBuf::from(p)
    }

    /// Written after each commit without fsync: after a crash the head may
    /// lag the database, never lead it.
    pub(crate) fn write_head(&mut self, row: &LedgerRow) {
        use std::os::unix::fs::FileExt;
        let text = format!("{} {}", row.seq, row.sha256_hex());
        let mut slot = format!("{text} {}\n", head_seal(&self.ledger_key, &text)).into_bytes();
        slot.resize(HEAD_SLOT as usize, b' ');
        if self.head_file.is_none() {
            match std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(self.head_path())
            {
                Ok(f) => self.head_file = Some(f),
                Err(e) => {
                    tracing::warn!(error = %e, "could not open the ledger head file");
                    return;
                }
            }
        }
        let offset = (row.seq as u64 % 2) * HEAD_SLOT;
        if let Some(Err(e)) = self.head_file.as_ref().map(|f| f.write_all_at(&slot, offset)) {
            tracing::warn!(error = %e, "could not write the ledger head file");
        }
    }

    pub fn read_head(&self) -> Option<Head> {
        let bytes = std::fs::read(self.head_path()).ok()?;
        bytes
            .chunks(HEAD_SLOT as usize)
            .filter_map(|slot| {
                let text = std::str::from_utf8(slot).ok()?;
                let mut parts = text.split_whitespace();
                let (seq, sha, seal) = (parts.next()?, parts.next()?, parts.next()?);
                let mut m = keyed(&self.ledger_key);
                m.update(format!("{seq} {sha}").as_bytes());
                m.verify_slice(&HEXLOWER.decode(seal.as_bytes()).ok()?).ok()?;
                Some(Head { seq: seq.parse().ok()?, sha256: sha.to_owned() })
            })
            .max_by_key(|h| h.seq)
    }

    /// Appends a record in its own durable transaction.
    pub fn append(&mut self, entry: NewEntry<'_>, now: DateTime<Utc>) -> StoreResult<LedgerRow> {
        let tx = super::WriteTx::begin(&mut self.conn)?;
        let row = append_in(&tx, &self.ledger_key, self.tip.as_ref(), entry, now)?;
        tx.commit()?;
        self.appended(&row);
        Ok(row)
    }

    /// Appends a correction that points at record `amends_seq`; the
    /// original stays as it was.
    pub fn amend(
        &mut self,
        amends_seq: i64,
        actor: &str,
        reason: &str,
        changes: serde_json::Value,
        now: DateTime<Utc>,
    ) -> StoreResult<LedgerRow> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(StoreError::Invalid("更正必须写明原因 / an amendment needs a reason".into()));
        }
        let tx = super::WriteTx::begin(&mut self.conn)?;
        let original: Option<(String, Option<i64>)> = tx
            .query_row("SELECT project_id, report_id FROM ledger WHERE seq = ?1", [amends_seq], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let Some((project_id, report_id)) = original else {
            return Err(StoreError::NotFound(format!("record {amends_seq}")));
        };
        let body = serde_json::json!({ "amends": amends_seq, "by": actor, "reason": reason, "changes": changes });
        let entry = NewEntry {
            kind: EntryKind::Amendment,
            project_id: &project_id,
            report_id,
            amends_seq: Some(amends_seq),
            body: &body,
            signatures: Vec::new(),
        };
        let row = append_in(&tx, &self.ledger_key, self.tip.as_ref(), entry, now)?;
        super::audit::record_in(
            &tx,
            now,
            actor,
            "ledger.amend",
            Some(&project_id),
            &format!("record {amends_seq} → {}: {reason}", row.seq),
        )?;
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
            self.pending_head = Some(row.clone());
        }
    }

    /// The outer transaction around several writes committed (`true`) or
    /// rolled back (`false`).
    pub fn outer_finished(&mut self, committed: bool) {
        match self.pending_head.take() {
            Some(row) if committed => self.write_head(&row),
            Some(_) => self.tip = None,
            None => {}
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

    /// A stored signature image.
    pub fn signature_png(&self, seq: i64, signer: Signer) -> StoreResult<Vec<u8>> {
        self.conn
            .query_row(
                "SELECT png FROM signatures WHERE ledger_seq = ?1 AND signer = ?2",
                params![seq, signer.code()],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("signature {} of record {seq}", signer.code())))
    }

    pub fn ledger_len(&self) -> StoreResult<i64> {
        Ok(self.conn.query_row("SELECT count(*) FROM ledger", [], |r| r.get(0))?)
    }

    /// Walks the whole chain. `Ok(n)`: n records verified.
    pub fn verify_ledger(&self) -> StoreResult<Result<i64, LedgerFault>> {
        let mut stmt = self.conn.prepare(&format!("SELECT {ROW_COLUMNS} FROM ledger ORDER BY seq"))?;
        let mut sigs = self.conn.prepare(
            "SELECT signer, png, png_sha256, strokes, statement_sha256 FROM signatures WHERE ledger_seq = ?1 ORDER BY signer",
        )?;
        let mut rows = stmt.query([])?;
        let (mut previous_seq, mut previous_hash, mut count) = (0i64, GENESIS.to_owned(), 0i64);
        while let Some(r) = rows.next()? {
            let row = read_row(r)?;
            if row.seq != previous_seq + 1 {
                return Ok(Err(LedgerFault::Removed {
                    previous: previous_seq,
                    expected: previous_seq + 1,
                    found: row.seq,
                }));
            }
            if !row_hmac_ok(&self.ledger_key, &row) {
                return Ok(Err(LedgerFault::Altered { seq: row.seq }));
            }
            if row.prev_sha256 != previous_hash {
                return Ok(Err(LedgerFault::ChainBroken { seq: row.seq, previous: previous_seq }));
            }
            if let Err(fault) = check_signatures(&row, &mut sigs)? {
                return Ok(Err(fault));
            }
            previous_seq = row.seq;
            previous_hash = row.sha256_hex();
            count += 1;
        }
        if let Some(head) = self.read_head() {
            if head.seq > previous_seq {
                return Ok(Err(LedgerFault::Truncated { expected: head.seq, found: previous_seq }));
            }
            let at_head = self.ledger_row(head.seq)?;
            if at_head.sha256_hex() != head.sha256 {
                return Ok(Err(LedgerFault::Altered { seq: head.seq }));
            }
        }
        Ok(Ok(count))
    }
}

/// The signatures stored beside a record must be exactly the ones its
/// (sealed) body lists, byte for byte.
fn check_signatures(row: &LedgerRow, sigs: &mut rusqlite::Statement<'_>) -> StoreResult<Result<(), LedgerFault>> {
    let body = match row.body_json() {
        Ok(b) => b,
        Err(e) => {
            return Ok(Err(LedgerFault::Unreadable { seq: row.seq, detail: e.to_string() }));
        }
    };
    let mut listed: Vec<(String, String, String, String)> = body["signatures"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|s| {
                    let f = |k: &str| s[k].as_str().unwrap_or_default().to_owned();
                    (f("signer"), f("png_sha256"), f("strokes_sha256"), f("statement_sha256"))
                })
                .collect()
        })
        .unwrap_or_default();
    listed.sort();
    let stored: Vec<(String, String, String, String)> = sigs
        .query_map([row.seq], |r| {
            let png: Vec<u8> = r.get(1)?;
            let strokes: String = r.get(3)?;
            let declared: String = r.get(2)?;
            // Recompute rather than trust the stored hash column.
            let actual = sha256_hex(&png);
            Ok((
                r.get::<_, String>(0)?,
                if actual == declared { actual } else { format!("{actual}!") },
                sha256_hex(strokes.as_bytes()),
                r.get(4)?,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    if listed.len() != stored.len() {
        let signer = listed.first().or(stored.first()).map(|s| s.0.clone()).unwrap_or_default();
        return Ok(Err(LedgerFault::SignatureAltered { seq: row.seq, signer }));
    }
    for (l, s) in listed.iter().zip(&stored) {
        if l != s {
            return Ok(Err(LedgerFault::SignatureAltered { seq: row.seq, signer: s.0.clone() }));
        }
    }
    Ok(Ok(()))
}
