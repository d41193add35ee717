//! The ledger head file: the last record written, kept outside the
//! database so that removing the newest records is noticed too.

use super::super::Store;
use super::row::{LedgerRow, keyed};
use data_encoding::HEXLOWER;
use hmac::Mac;
use std::path::PathBuf;

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
            use std::os::unix::fs::OpenOptionsExt;
            let opened = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .open(self.head_path());
            match opened {
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
        self.read_head_slots().into_iter().flatten().max_by_key(|h| h.seq)
    }

    /// Each of the two slots, `None` where it is missing, blank or its
    /// seal does not verify.
    pub fn read_head_slots(&self) -> [Option<Head>; 2] {
        let bytes = std::fs::read(self.head_path()).unwrap_or_default();
        let slot = |i: usize| -> Option<Head> {
            let slot = bytes.get(i * HEAD_SLOT as usize..((i + 1) * HEAD_SLOT as usize).min(bytes.len()))?;
            let text = std::str::from_utf8(slot).ok()?;
            let mut parts = text.split_whitespace();
            let (seq, sha, seal) = (parts.next()?, parts.next()?, parts.next()?);
            let mut m = keyed(&self.ledger_key);
            m.update(format!("{seq} {sha}").as_bytes());
            m.verify_slice(&HEXLOWER.decode(seal.as_bytes()).ok()?).ok()?;
            Some(Head { seq: seq.parse().ok()?, sha256: sha.to_owned() })
        };
        [slot(0), slot(1)]
    }
}
