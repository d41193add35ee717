//! Walking the whole chain: every seal, every link, every signature, and
//! the head file's last record.

use super::super::{Store, StoreResult};
use super::Head;
use super::row::{GENESIS, LedgerRow, ROW_COLUMNS, read_row, row_hmac_ok};
use crate::crypto::sha256_hex;
use crate::domain::merkle::{MemoryTree, Nodes, infallible, root};
use crate::domain::signature::Pen;
use crate::domain::signature::pen::{PAD_HEIGHT, PAD_WIDTH};

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
    #[error(
        "the ledger head file is missing or empty: the newest records cannot be checked (restore it from the backup)"
    )]
    HeadMissing,
    #[error("the ledger head file is damaged: {detail} (a power cut while it was written, or tampering)")]
    HeadDamaged { detail: String },
    #[error("the Merkle log does not match the records (node {level}/{index}): it was altered")]
    LogAltered { level: u32, index: u64 },
    #[error("checkpoint {size} {detail}")]
    CheckpointBad { size: u64, detail: String },
    #[error("audit log entry {id} does not follow the entry before it: an entry was edited, removed or inserted")]
    AuditAltered { id: i64 },
    #[error("dispute evidence {id}: its file is missing or does not match the SHA-256 its ledger entry sealed")]
    EvidenceAltered { id: i64 },
}

impl Store {
    /// Walks the whole chain. `Ok(n)`: n records verified.
    pub fn verify_ledger(&self) -> StoreResult<Result<i64, LedgerFault>> {
        // The head file first, then one read snapshot of the database: a
        // check-in committed meanwhile is neither half seen nor a "cut".
        let head = self.read_head_slots();
        let _snapshot = ReadSnapshot::begin(&self.conn)?;
        let mut tree = MemoryTree::default();
        let (previous_seq, count) = match self.walk_records(0, GENESIS.to_owned(), |row| {
            tree.push(super::merkle::leaf_of(row));
        })? {
            Ok(walked) => walked,
            Err(fault) => return Ok(Err(fault)),
        };
        if let Err(fault) = self.check_head(&head, previous_seq)? {
            return Ok(Err(fault));
        }
        if let Err(fault) = self.check_log(&mut tree)? {
            return Ok(Err(fault));
        }
        if let Err(id) = super::super::audit::verify_chain(&self.conn, &self.ledger_key)? {
            return Ok(Err(LedgerFault::AuditAltered { id }));
        }
        // Dispute evidence is kept beside the ledger, sealed by its hash.
        if let Some(id) = self.verify_evidence()?.1.first() {
            return Ok(Err(LedgerFault::EvidenceAltered { id: *id }));
        }
        Ok(Ok(count))
    }

    /// The records after `after` (whose hash is `previous_hash`), in order:
    /// none missing, each sealed, chained and with exactly its signatures.
    /// `Ok((last, n))`: the last record and how many were walked.
    pub(super) fn walk_records(
        &self,
        after: i64,
        previous_hash: String,
        mut each: impl FnMut(&LedgerRow),
    ) -> StoreResult<Result<(i64, i64), LedgerFault>> {
        let mut stmt = self.conn.prepare(&format!("SELECT {ROW_COLUMNS} FROM ledger WHERE seq > ?1 ORDER BY seq"))?;
        let mut sigs = self.conn.prepare(
            "SELECT signer, png, png_sha256, strokes, statement, width, height, pen FROM signatures WHERE ledger_seq = ?1 ORDER BY signer",
        )?;
        let mut rows = stmt.query([after])?;
        let (mut previous_seq, mut previous_hash, mut count) = (after, previous_hash, 0i64);
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
            each(&row);
            count += 1;
        }
        Ok(Ok((previous_seq, count)))
    }

    /// The head file against the ledger's last record (`last`, which is
    /// also the count of records): nothing cut from the end, the newest
    /// record unchanged.
    pub(super) fn check_head(&self, slots: &[Option<Head>; 2], last: i64) -> StoreResult<Result<(), LedgerFault>> {
        let (previous_seq, count) = (last, last);
        if count == 0 {
            return Ok(Ok(()));
        }
        let Some(head) = slots.iter().flatten().max_by_key(|h| h.seq).cloned() else {
            return Ok(Err(LedgerFault::HeadMissing));
        };
        // Both slots hold the two newest records written (one once
        // there is a single record): a blanked slot could hide a cut.
        let newest_two = slots.iter().flatten().map(|h| h.seq).collect::<Vec<_>>();
        if count >= 2 && (newest_two.len() != 2 || !newest_two.contains(&(head.seq - 1))) {
            return Ok(Err(LedgerFault::HeadDamaged {
                detail: format!("its two slots should hold records {} and {}", head.seq - 1, head.seq),
            }));
        }
        if head.seq > previous_seq {
            return Ok(Err(LedgerFault::Truncated { expected: head.seq, found: previous_seq }));
        }
        let at_head = self.ledger_row(head.seq)?;
        if at_head.sha256_hex() != head.sha256 {
            return Ok(Err(LedgerFault::Altered { seq: head.seq }));
        }
        Ok(Ok(()))
    }

    /// The stored Merkle log against the tree rebuilt from the records.
    fn check_log(&self, tree: &mut MemoryTree) -> StoreResult<Result<(), LedgerFault>> {
        let mut nodes = self.conn.prepare("SELECT level, idx, hash FROM merkle_nodes ORDER BY level, idx")?;
        let mut rows = nodes.query([])?;
        while let Some(r) = rows.next()? {
            let (level, index, hash): (u32, i64, Vec<u8>) = (r.get(0)?, r.get(1)?, r.get(2)?);
            let index = index as u64;
            if (index + 1) << level > tree.len() || infallible(tree.node(level, index)).as_slice() != hash.as_slice() {
                return Ok(Err(LedgerFault::LogAltered { level, index }));
            }
        }
        // Every checkpoint is made from these nodes: the newest one must
        // be the tree of all the records, signed by this ledger's key.
        if let Some(cp) = self.latest_checkpoint()?
            && (!cp.signature_ok(&self.checkpoint_key.verifying_key())
                || cp.size != tree.len()
                || Some(infallible(root(tree, cp.size))) != cp.root_hash())
        {
            return Ok(Err(LedgerFault::CheckpointBad { size: cp.size, detail: "does not match the records".into() }));
        }
        Ok(Ok(()))
    }
}

/// A read transaction for the length of a verification (when the
/// connection is not in one already): every query sees one state.
pub(super) struct ReadSnapshot<'c>(Option<&'c rusqlite::Connection>);

impl<'c> ReadSnapshot<'c> {
    pub(super) fn begin(conn: &'c rusqlite::Connection) -> StoreResult<ReadSnapshot<'c>> {
        if !conn.is_autocommit() {
            return Ok(ReadSnapshot(None));
        }
        conn.execute_batch("BEGIN")?;
        Ok(ReadSnapshot(Some(conn)))
    }
}

impl Drop for ReadSnapshot<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.0 {
            let _ = conn.execute_batch("COMMIT");
        }
    }
}

/// The signatures stored beside a record must be exactly the ones its
/// (sealed) body lists, byte for byte.
pub(super) fn check_signatures(
    row: &LedgerRow,
    sigs: &mut rusqlite::Statement<'_>,
) -> StoreResult<Result<(), LedgerFault>> {
    let list = match row.signature_list() {
        Ok(list) => list,
        Err(e) => {
            return Ok(Err(LedgerFault::Unreadable { seq: row.seq, detail: e.cause }));
        }
    };
    type Seen = (String, String, String, String, String, (u32, u32));
    let mut listed: Vec<Seen> = list
        .signatures
        .into_iter()
        .map(|s| {
            let size = (s.width, s.height);
            (s.signer.code().to_owned(), s.png_sha256, s.strokes_sha256, s.pen_sha256, s.statement_sha256, size)
        })
        .collect();
    listed.sort();
    // Everything recomputed from the stored bytes, never taken from the
    // stored hash or size columns: the strokes (well formed, on the pad)
    // or the image and its dimensions (from its header), the old strokes'
    // JSON and the statement's text.
    let stored: Vec<Seen> = sigs
        .query_map([row.seq], |r| {
            let png: Vec<u8> = r.get(1)?;
            let declared: String = r.get(2)?;
            let strokes: String = r.get(3)?;
            let statement: String = r.get(4)?;
            let columns: (u32, u32) = (r.get(5)?, r.get(6)?);
            let pen: Option<Vec<u8>> = r.get(7)?;
            let hash_or_empty = |b: &[u8]| if b.is_empty() { String::new() } else { sha256_hex(b) };
            let (png_hash, size, pen_hash) = match &pen {
                Some(pen) => {
                    let drawable = Pen::decode(pen).is_ok() && png.is_empty() && declared.is_empty();
                    let size = if drawable && columns == (PAD_WIDTH, PAD_HEIGHT) { columns } else { (0, 0) };
                    (String::new(), size, if drawable { sha256_hex(pen) } else { format!("{}!", sha256_hex(pen)) })
                }
                None => {
                    let actual = sha256_hex(&png);
                    let size = png_size(&png).filter(|s| *s == columns).unwrap_or((0, 0));
                    (if actual == declared { actual } else { format!("{actual}!") }, size, String::new())
                }
            };
            Ok((
                r.get::<_, String>(0)?,
                png_hash,
                hash_or_empty(strokes.as_bytes()),
                pen_hash,
                sha256_hex(statement.as_bytes()),
                size,
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

/// A PNG's width and height from its IHDR chunk.
fn png_size(png: &[u8]) -> Option<(u32, u32)> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if png.len() < 24 || &png[..8] != SIGNATURE || &png[12..16] != b"IHDR" {
        return None;
    }
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    Some((be(&png[16..20]), be(&png[20..24])))
}
