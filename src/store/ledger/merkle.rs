//! The ledger's Merkle log and its signed checkpoints (schema 7): every
//! append adds the record's leaf (and the perfect subtrees it completes) in
//! the record's own transaction. A checkpoint of any size is made when asked
//! — its root from the stored subtrees, its time the `recorded_at` of its
//! newest record — so it is the same every time (Ed25519 is deterministic)
//! and costs the append nothing. Receipts and consistency proofs read
//! O(log n) rows.

use super::super::{Store, StoreError, StoreResult};
use super::row::{LedgerRow, ROW_COLUMNS, read_row};
use crate::domain::merkle::{self, Hash, MemoryTree, Nodes};
use crate::domain::transparency::{Checkpoint, RECEIPT_FORMAT, Receipt, hash_hex, parse_hash};
use ed25519_dalek::SigningKey;
use rusqlite::{Connection, params};

/// The name a checkpoint gives its ledger.
pub const ORIGIN: &str = "panke";

/// The stored perfect subtrees, read through one connection.
pub(super) struct SqlNodes<'c>(pub(super) &'c Connection);

impl Nodes for SqlNodes<'_> {
    type Error = rusqlite::Error;
    fn node(&mut self, level: u32, index: u64) -> Result<Hash, rusqlite::Error> {
        let bytes: Vec<u8> = self
            .0
            .prepare_cached("SELECT hash FROM merkle_nodes WHERE level = ?1 AND idx = ?2")?
            .query_row(params![level, index as i64], |r| r.get(0))?;
        bytes.try_into().map_err(|_| rusqlite::Error::InvalidQuery)
    }
}

/// The record's leaf: its chain hash, hashed as an RFC 9162 leaf.
pub fn leaf_of(row: &LedgerRow) -> Hash {
    merkle::leaf_hash(&row.sha256())
}

/// How many leaves the stored tree has.
pub(super) fn leaves_in(tx: &Connection) -> StoreResult<u64> {
    let n: i64 = tx
        .prepare_cached("SELECT coalesce(max(idx) + 1, 0) FROM merkle_nodes WHERE level = 0")?
        .query_row([], |r| r.get(0))?;
    Ok(n as u64)
}

/// Stores leaf `index` and every perfect subtree it completes.
fn push_leaf_in(tx: &Connection, index: u64, leaf: Hash) -> StoreResult<()> {
    let mut insert = tx.prepare_cached("INSERT INTO merkle_nodes (level, idx, hash) VALUES (?1, ?2, ?3)")?;
    let (mut level, mut idx, mut hash) = (0u32, index, leaf);
    loop {
        insert.execute(params![level, idx as i64, hash.as_slice()])?;
        if idx.is_multiple_of(2) {
            return Ok(());
        }
        let left = SqlNodes(tx).node(level, idx - 1)?;
        hash = merkle::node_hash(&left, &hash);
        level += 1;
        idx /= 2;
    }
}

/// Adds the leaves of records the tree does not have yet (a database from
/// before schema 7, whose records predate the log), up to `size` leaves.
fn catch_up_in(tx: &Connection, size: u64) -> StoreResult<()> {
    let have = leaves_in(tx)?;
    if have >= size {
        return Ok(());
    }
    let mut stmt =
        tx.prepare_cached(&format!("SELECT {ROW_COLUMNS} FROM ledger WHERE seq > ?1 AND seq <= ?2 ORDER BY seq"))?;
    let rows: Vec<LedgerRow> =
        stmt.query_map(params![have as i64, size as i64], read_row)?.collect::<rusqlite::Result<_>>()?;
    for row in rows {
        push_leaf_in(tx, row.seq as u64 - 1, leaf_of(&row))?;
    }
    Ok(())
}

/// After a record's row is inserted: its leaf.
pub(crate) fn log_append_in(tx: &Connection, row: &LedgerRow) -> StoreResult<()> {
    let index = row.seq as u64 - 1;
    catch_up_in(tx, index)?;
    push_leaf_in(tx, index, leaf_of(row))
}

/// The signed checkpoint of the first `size` records (none beyond the log).
fn checkpoint_in(conn: &Connection, key: &SigningKey, size: u64) -> StoreResult<Option<Checkpoint>> {
    if size == 0 || size > leaves_in(conn)? {
        return Ok(None);
    }
    let at: String =
        conn.prepare_cached("SELECT recorded_at FROM ledger WHERE seq = ?1")?.query_row([size as i64], |r| r.get(0))?;
    let root = merkle::root(&mut SqlNodes(conn), size)?;
    Ok(Some(Checkpoint::sign(key, ORIGIN, size, &root, &at)))
}

/// A new record's receipt before its checkpoint is signed (in the tree its
/// append ended): the writer thread reads it; whoever needs the signed
/// receipt signs it (the kiosk needs only its code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsignedReceipt {
    record: u64,
    record_hash: String,
    root: Hash,
    at: String,
    proof: Vec<Hash>,
}

impl UnsignedReceipt {
    /// The receipt's code (record number and hash): what the kiosk shows
    /// needs no signature; the download link makes the signed receipt.
    pub fn code(&self) -> String {
        crate::domain::transparency::receipt_code(self.record, &self.record_hash)
    }

    /// The receipt, exactly as `Store::receipt_for` makes it.
    pub fn sign(&self, key: &SigningKey) -> Receipt {
        Receipt {
            format: RECEIPT_FORMAT.to_owned(),
            record: self.record,
            record_hash: self.record_hash.clone(),
            checkpoint: Checkpoint::sign(key, ORIGIN, self.record, &self.root, &self.at),
            inclusion_proof: self.proof.iter().map(hash_hex).collect(),
        }
    }
}

/// Why a receipt no longer holds against this ledger.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptFault {
    #[error("{0}")]
    Receipt(#[from] crate::domain::transparency::ReceiptError),
    #[error(
        "账本只有 {found} 条记录,回执的检查点有 {expected} 条:末尾的记录被删除或账本被换回旧备份 / \
         the ledger has {found} records but the receipt's checkpoint has {expected}: records were cut or an older backup restored"
    )]
    Shrunk { expected: u64, found: u64 },
    #[error("记录 {record} 与回执不符:记录被改写 / record {record} is not the one the receipt names: it was rewritten")]
    RecordChanged { record: u64 },
    #[error(
        "账本前 {size} 条记录的根哈希与回执的检查点不符:历史被改写 / \
         the ledger's first {size} records no longer have the receipt's root: history was rewritten"
    )]
    HistoryRewritten { size: u64 },
}

impl Store {
    /// The checkpoint of the whole log (none before the first record).
    pub fn latest_checkpoint(&self) -> StoreResult<Option<Checkpoint>> {
        checkpoint_in(&self.conn, &self.checkpoint_key, leaves_in(&self.conn)?)
    }

    /// The checkpoint of the first `size` records.
    pub fn checkpoint(&self, size: u64) -> StoreResult<Option<Checkpoint>> {
        checkpoint_in(&self.conn, &self.checkpoint_key, size)
    }

    /// The receipt of record `seq` in the checkpoint of tree size `size`
    /// (the newest when `None`).
    pub fn receipt(&self, seq: i64, size: Option<u64>) -> StoreResult<Receipt> {
        let row = self.ledger_row(seq)?;
        let checkpoint = match size {
            Some(n) => self.checkpoint(n)?,
            None => self.latest_checkpoint()?,
        }
        .filter(|c| c.size >= seq as u64)
        .ok_or_else(|| StoreError::NotFound(format!("a checkpoint that includes record {seq}")))?;
        let proof = merkle::inclusion_proof(&mut SqlNodes(&self.conn), seq as u64 - 1, checkpoint.size)?;
        Ok(Receipt {
            format: RECEIPT_FORMAT.to_owned(),
            record: seq as u64,
            record_hash: row.sha256_hex(),
            checkpoint,
            inclusion_proof: proof.iter().map(hash_hex).collect(),
        })
    }

    /// The receipt handed out with a record: in the checkpoint of the
    /// tree its append ended.
    pub fn receipt_for(&self, seq: i64) -> StoreResult<Receipt> {
        self.receipt(seq, Some(seq as u64))
    }

    /// `receipt_for(row.seq)` without the signature: a few reads, for the
    /// writer thread; whoever answers signs it (`UnsignedReceipt::sign`).
    pub fn unsigned_receipt_for(&self, row: &LedgerRow) -> StoreResult<UnsignedReceipt> {
        let size = row.seq as u64;
        let mut nodes = SqlNodes(&self.conn);
        Ok(UnsignedReceipt {
            record: size,
            record_hash: row.sha256_hex(),
            root: merkle::root(&mut nodes, size)?,
            at: row.recorded_at.clone(),
            proof: merkle::inclusion_proof(&mut nodes, size - 1, size)?,
        })
    }

    /// The proof that the tree of `to` leaves extends the tree of `from`.
    pub fn consistency_proof(&self, from: u64, to: u64) -> StoreResult<Vec<String>> {
        let size = leaves_in(&self.conn)?;
        if from > to || to > size {
            return Err(StoreError::Invalid(format!(
                "需要 0 ≤ from ≤ to ≤ {size} / from and to must satisfy 0 ≤ from ≤ to ≤ {size}"
            )));
        }
        Ok(merkle::consistency_proof(&mut SqlNodes(&self.conn), from, to)?.iter().map(hash_hex).collect())
    }

    /// Whether a receipt still holds: it verifies on its own (this
    /// ledger's key), the ledger is at least as long as its checkpoint, the
    /// record is the one it names, and the first `size` records still have
    /// its root — recomputed from the records themselves, not from stored
    /// tree nodes.
    pub fn check_receipt(&self, receipt: &Receipt) -> StoreResult<Result<(), ReceiptFault>> {
        if let Err(e) = receipt.verify(&self.checkpoint_key.verifying_key()) {
            return Ok(Err(e.into()));
        }
        let size = receipt.checkpoint.size;
        let tree = self.tree_of_records(size)?;
        if tree.len() < size {
            return Ok(Err(ReceiptFault::Shrunk { expected: size, found: tree.len() }));
        }
        let row = self.ledger_row(receipt.record as i64)?;
        if row.sha256_hex() != receipt.record_hash {
            return Ok(Err(ReceiptFault::RecordChanged { record: receipt.record }));
        }
        let mut tree = tree;
        let root = merkle::infallible(merkle::root(&mut tree, size));
        if Some(root) != parse_hash(&receipt.checkpoint.root) {
            return Ok(Err(ReceiptFault::HistoryRewritten { size }));
        }
        Ok(Ok(()))
    }

    /// The tree of the first `limit` records, rebuilt from their rows.
    pub(crate) fn tree_of_records(&self, limit: u64) -> StoreResult<MemoryTree> {
        let mut stmt = self.conn.prepare(&format!("SELECT {ROW_COLUMNS} FROM ledger WHERE seq <= ?1 ORDER BY seq"))?;
        let mut rows = stmt.query([limit as i64])?;
        let mut tree = MemoryTree::default();
        while let Some(r) = rows.next()? {
            let row = read_row(r)?;
            if row.seq as u64 != tree.len() + 1 {
                break;
            }
            tree.push(leaf_of(&row));
        }
        Ok(tree)
    }

    /// Brings the Merkle log up to the ledger (a database from before
    /// schema 7): leaves for every record. Run at start-up; a no-op once
    /// caught up.
    pub fn catch_up_log(&mut self) -> StoreResult<()> {
        let records: i64 = self.conn.query_row("SELECT coalesce(max(seq), 0) FROM ledger", [], |r| r.get(0))?;
        if leaves_in(&self.conn)? >= records as u64 {
            return Ok(());
        }
        let tx = super::super::WriteTx::begin(&mut self.conn)?;
        catch_up_in(&tx, records as u64)?;
        tx.commit()?;
        Ok(())
    }

    /// The public half of the checkpoint key.
    pub fn checkpoint_public_key(&self) -> ed25519_dalek::VerifyingKey {
        self.checkpoint_key.verifying_key()
    }
}
