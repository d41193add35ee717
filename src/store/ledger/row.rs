//! A ledger row as stored, its canonical bytes and its seal.

use super::super::{StoreError, StoreResult};
use crate::wire::record::{self, AmendmentBody, RecordBody, SignatureList};
use data_encoding::HEXLOWER;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

pub(crate) type HmacSha256 = Hmac<Sha256>;

pub(crate) const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Visit,
    Amendment,
    /// 渠道业绩: the attribution of a subscription (`wire::record::AttributionBody`).
    Attribution,
    /// A dispute's step (`wire::dispute::DisputeBody`).
    Dispute,
}

impl EntryKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            EntryKind::Visit => "visit",
            EntryKind::Amendment => "amendment",
            EntryKind::Attribution => "attribution",
            EntryKind::Dispute => "dispute",
        }
    }
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
        HEXLOWER.encode(&self.sha256())
    }

    /// The record's hash in the chain (and the data of its Merkle leaf).
    pub fn sha256(&self) -> [u8; 32] {
        Sha256::digest(self.canonical_bytes()).into()
    }

    /// The body as raw JSON (for tools and tests that look at the stored
    /// shape itself; readers use the typed bodies below).
    pub fn body_json(&self) -> StoreResult<serde_json::Value> {
        serde_json::from_str(&self.body).map_err(|e| StoreError::Corrupt(format!("record {}: {e}", self.seq)))
    }

    /// A visit record's body, typed.
    pub fn visit_body(&self) -> StoreResult<RecordBody> {
        record::parse(self.seq, &self.body).map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    /// An amendment's body, typed.
    pub fn amendment_body(&self) -> StoreResult<AmendmentBody> {
        record::parse(self.seq, &self.body).map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    /// The signatures any body lists (none for an amendment).
    pub fn signature_list(&self) -> Result<SignatureList, record::BodyError> {
        record::parse(self.seq, &self.body)
    }
}

pub(crate) fn keyed(key: &[u8]) -> HmacSha256 {
    <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC-SHA256 takes keys of any length")
}

pub(crate) fn row_hmac(key: &[u8], row: &LedgerRow) -> String {
    let mut mac = keyed(key);
    mac.update(&row.canonical_bytes());
    HEXLOWER.encode(&mac.finalize().into_bytes())
}

pub(crate) fn row_hmac_ok(key: &[u8], row: &LedgerRow) -> bool {
    let Ok(tag) = HEXLOWER.decode(row.row_hmac.as_bytes()) else {
        return false;
    };
    let mut mac = keyed(key);
    mac.update(&row.canonical_bytes());
    mac.verify_slice(&tag).is_ok()
}

pub(crate) const ROW_COLUMNS: &str =
    "seq, kind, project_id, report_id, amends_seq, recorded_at, body, prev_sha256, row_hmac";

pub(crate) fn read_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<LedgerRow> {
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
