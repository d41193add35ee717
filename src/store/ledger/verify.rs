//! Walking the whole chain: every seal, every link, every signature, and
//! the head file's last record.

use super::super::{Store, StoreResult};
use super::row::{GENESIS, LedgerRow, ROW_COLUMNS, read_row, row_hmac_ok};
use crate::crypto::sha256_hex;

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

impl Store {
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
    let list = match row.signature_list() {
        Ok(list) => list,
        Err(e) => {
            return Ok(Err(LedgerFault::Unreadable { seq: row.seq, detail: e.cause }));
        }
    };
    let mut listed: Vec<(String, String, String, String)> = list
        .signatures
        .into_iter()
        .map(|s| (s.signer.code().to_owned(), s.png_sha256, s.strokes_sha256, s.statement_sha256))
        .collect();
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
