//! Verifying from the last checkpoint: `panke verify --since-checkpoint`.
//!
//! A full walk re-reads every record (a group's ten years: minutes). After
//! a verification succeeds, the signed checkpoint of the records it covered
//! is kept (`verified_checkpoints`). The next check starts there: the log
//! must still have that checkpoint's root (so the verified history was not
//! rewritten in the log), its last record must be the one verified, and
//! every record after it is walked as the full check walks them — seal,
//! chain, signatures — with the log's new leaves and every node above them
//! recomputed, and the head file. Its cost follows the new records, not
//! the ledger's size. What it cannot see: a record of the verified range
//! edited in place with the log left alone; the full walk (weekly, say)
//! catches that, and the audit log and dispute evidence too.

use super::super::{Store, StoreResult};
use super::merkle::{SqlNodes, leaf_of, leaves_in};
use super::row::row_hmac_ok;
use super::verify::LedgerFault;
use crate::domain::merkle::{self, Hash, Nodes};
use crate::domain::transparency::Checkpoint;
use chrono::{DateTime, Utc};
use hmac::Mac;
use rusqlite::{OptionalExtension, params};

fn sealing(key: &[u8], size: u64, checkpoint: &str, verified_at: &str) -> super::row::HmacSha256 {
    let mut mac = super::row::keyed(key);
    mac.update(format!("panke verified v1\n{size}\n{checkpoint}\n{verified_at}\n").as_bytes());
    mac
}

/// The seal of a kept checkpoint: HMAC-SHA256 with the ledger key.
fn seal(key: &[u8], size: u64, checkpoint: &str, verified_at: &str) -> String {
    data_encoding::HEXLOWER.encode(&sealing(key, size, checkpoint, verified_at).finalize().into_bytes())
}

/// Whether a kept checkpoint's seal holds (compared in constant time).
fn seal_holds(key: &[u8], size: u64, checkpoint: &str, verified_at: &str, sealed: &str) -> bool {
    data_encoding::HEXLOWER
        .decode(sealed.as_bytes())
        .is_ok_and(|bytes| sealing(key, size, checkpoint, verified_at).verify_slice(&bytes).is_ok())
}

/// What a verification from the last checkpoint covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Since {
    /// The checkpoint it started from (0: none yet, the whole ledger was walked).
    pub from: u64,
    /// Records walked after it.
    pub walked: i64,
    /// The ledger's records in all.
    pub total: i64,
}

impl Store {
    /// After a verification of the first `size` records succeeded: keeps
    /// their signed checkpoint, sealed with the ledger key, where the next
    /// `verify_since_checkpoint` starts. (The size walked, not the log's
    /// size now: records committed since were not checked.)
    pub fn remember_verified(&self, size: u64, now: DateTime<Utc>) -> StoreResult<Option<u64>> {
        let Some(cp) = self.checkpoint(size)? else {
            return Ok(None);
        };
        let json = serde_json::to_string(&cp).map_err(|e| super::super::StoreError::Invalid(e.to_string()))?;
        let at = crate::time::stamp(now);
        self.conn.execute(
            "INSERT OR IGNORE INTO verified_checkpoints (size, checkpoint, verified_at, seal) VALUES (?1, ?2, ?3, ?4)",
            params![cp.size as i64, json, at, seal(&self.ledger_key, cp.size, &json, &at)],
        )?;
        Ok(Some(cp.size))
    }

    /// The newest checkpoint a verification succeeded at; `Err` when that
    /// row's seal does not hold (it was written without the ledger key).
    pub fn last_verified_checkpoint(&self) -> StoreResult<Result<Option<Checkpoint>, u64>> {
        let row: Option<(i64, String, String, String)> = self
            .conn
            .query_row(
                "SELECT size, checkpoint, verified_at, seal FROM verified_checkpoints ORDER BY size DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let Some((size, json, at, sealed)) = row else {
            return Ok(Ok(None));
        };
        let cp: Option<Checkpoint> = serde_json::from_str(&json).ok();
        match cp {
            Some(cp) if cp.size == size as u64 && seal_holds(&self.ledger_key, cp.size, &json, &at, &sealed) => {
                Ok(Ok(Some(cp)))
            }
            _ => Ok(Err(size as u64)),
        }
    }

    /// Verifies the records after the last verified checkpoint (all of them
    /// when there is none yet). See the module's note for what it covers.
    pub fn verify_since_checkpoint(&self) -> StoreResult<Result<Since, LedgerFault>> {
        let cp = match self.last_verified_checkpoint()? {
            Ok(Some(cp)) => cp,
            Ok(None) => return Ok(self.verify_ledger()?.map(|n| Since { from: 0, walked: n, total: n })),
            Err(size) => {
                return Ok(Err(LedgerFault::CheckpointBad {
                    size,
                    detail: "(kept as verified) is not sealed by this ledger's key: it was written by someone else"
                        .into(),
                }));
            }
        };
        // The head file first, then one read snapshot: records committed
        // meanwhile are after the head, never a false "cut".
        let head = self.read_head_slots();
        let _snapshot = super::verify::ReadSnapshot::begin(&self.conn)?;
        let bad = |detail: &str| Ok(Err(LedgerFault::CheckpointBad { size: cp.size, detail: detail.to_owned() }));
        if !cp.signature_ok(&self.checkpoint_key.verifying_key()) {
            return bad("is not signed by this ledger's key");
        }
        if leaves_in(&self.conn)? < cp.size {
            return bad("covers more records than the log has: records were cut or an older backup restored");
        }
        if Some(merkle::root(&mut SqlNodes(&self.conn), cp.size)?) != cp.root_hash() {
            return bad("no longer matches the log's first records: history was rewritten");
        }
        let last = match self.ledger_row(cp.size as i64) {
            Ok(row) => row,
            Err(super::super::StoreError::NotFound(_)) => {
                let found = self.ledger_len()?;
                return Ok(Err(LedgerFault::Truncated { expected: cp.size as i64, found }));
            }
            Err(e) => return Err(e),
        };
        if !row_hmac_ok(&self.ledger_key, &last) {
            return Ok(Err(LedgerFault::Altered { seq: last.seq }));
        }
        if SqlNodes(&self.conn).node(0, cp.size - 1)? != leaf_of(&last) {
            return Ok(Err(LedgerFault::LogAltered { level: 0, index: cp.size - 1 }));
        }
        let mut new_leaves: Vec<Hash> = Vec::new();
        let (last_seq, walked) =
            match self.walk_records(last.seq, last.sha256_hex(), |row| new_leaves.push(leaf_of(row)))? {
                Ok(walked) => walked,
                Err(fault) => return Ok(Err(fault)),
            };
        if let Err(fault) = self.check_new_nodes(cp.size, &new_leaves)? {
            return Ok(Err(fault));
        }
        if let Err(fault) = self.check_head(&head, last_seq)? {
            return Ok(Err(fault));
        }
        Ok(Ok(Since { from: cp.size, walked, total: last_seq }))
    }

    /// The log beyond the first `size` leaves: exactly the new records'
    /// leaves, and every stored node that covers one of them the hash of
    /// its two children.
    fn check_new_nodes(&self, size: u64, new_leaves: &[Hash]) -> StoreResult<Result<(), LedgerFault>> {
        let total = size + new_leaves.len() as u64;
        if leaves_in(&self.conn)? != total {
            return Ok(Err(LedgerFault::LogAltered { level: 0, index: total }));
        }
        let mut nodes = SqlNodes(&self.conn);
        for (k, leaf) in new_leaves.iter().enumerate() {
            let index = size + k as u64;
            if nodes.node(0, index)? != *leaf {
                return Ok(Err(LedgerFault::LogAltered { level: 0, index }));
            }
        }
        let mut above = self.conn.prepare("SELECT idx, hash FROM merkle_nodes WHERE level = ?1 AND idx >= ?2")?;
        let mut level = 1u32;
        while level < 64 && (1u64 << level) <= total {
            let first = (size >> level) as i64;
            let stored: Vec<(i64, Vec<u8>)> =
                above.query_map(params![level, first], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
            for (index, hash) in stored {
                let index = index as u64;
                let (left, right) = (nodes.node(level - 1, index * 2)?, nodes.node(level - 1, index * 2 + 1)?);
                if merkle::node_hash(&left, &right).as_slice() != hash.as_slice() {
                    return Ok(Err(LedgerFault::LogAltered { level, index }));
                }
            }
            level += 1;
        }
        Ok(Ok(()))
    }
}
