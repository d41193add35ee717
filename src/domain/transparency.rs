//! Evidence that outlives the server (透明账本): signed checkpoints of the
//! ledger's Merkle tree and receipts that prove a record is in it. An
//! agency that keeps a receipt, or anyone who keeps a checkpoint, can later
//! prove that the record is still there and that the ledger only grew —
//! whatever happens to the server's disk (RFC 9162's model, as in
//! Certificate Transparency and Sigstore's Rekor). Pure: keys and values in,
//! verdicts out.

use super::merkle::{self, Hash};
use data_encoding::HEXLOWER;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The checkpoint key, derived from the ledger key of the secrets file
/// (so it is kept, backed up and restored with it): HMAC-SHA256 of a fixed
/// label is the Ed25519 seed.
pub fn derive_signing_key(ledger_key: &[u8]) -> SigningKey {
    #[allow(clippy::expect_used)]
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(ledger_key).expect("HMAC takes keys of any length");
    mac.update(b"panke checkpoint key v1");
    let seed: [u8; 32] = mac.finalize().into_bytes().into();
    SigningKey::from_bytes(&seed)
}

/// The public key in hex, as `panke keys list` prints it and
/// `/ledger/public-key` serves it.
pub fn public_key_hex(key: &VerifyingKey) -> String {
    HEXLOWER.encode(key.as_bytes())
}

pub fn parse_public_key(hex: &str) -> Option<VerifyingKey> {
    let bytes: [u8; 32] = HEXLOWER.decode(hex.trim().as_bytes()).ok()?.try_into().ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}

pub fn hash_hex(h: &Hash) -> String {
    HEXLOWER.encode(h)
}

pub fn parse_hash(hex: &str) -> Option<Hash> {
    HEXLOWER.decode(hex.as_bytes()).ok()?.try_into().ok()
}

/// A signed statement of the ledger's tree: `size` records with this root,
/// at this instant. Checkpoints of one ledger never contradict each other:
/// each later one is consistent with each earlier one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Which ledger (the deployment's public URL, or "panke").
    pub origin: String,
    pub size: u64,
    /// The Merkle root, hex.
    pub root: String,
    /// RFC 3339, the server's clock.
    pub at: String,
    /// Ed25519 over [`Checkpoint::signed_text`], hex.
    pub signature: String,
}

impl Checkpoint {
    /// The exact bytes signed (one field per line, like a signed note).
    pub fn signed_text(origin: &str, size: u64, root: &str, at: &str) -> String {
        format!("panke checkpoint v1\n{origin}\n{size}\n{root}\n{at}\n")
    }

    pub fn sign(key: &SigningKey, origin: &str, size: u64, root: &Hash, at: &str) -> Checkpoint {
        let root = hash_hex(root);
        let signature = key.sign(Self::signed_text(origin, size, &root, at).as_bytes());
        Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            at: at.to_owned(),
            signature: HEXLOWER.encode(&signature.to_bytes()),
        }
    }

    pub fn signature_ok(&self, key: &VerifyingKey) -> bool {
        let Some(bytes) = HEXLOWER.decode(self.signature.as_bytes()).ok().and_then(|b| <[u8; 64]>::try_from(b).ok())
        else {
            return false;
        };
        let text = Self::signed_text(&self.origin, self.size, &self.root, &self.at);
        key.verify(text.as_bytes(), &Signature::from_bytes(&bytes)).is_ok()
    }

    pub fn root_hash(&self) -> Option<Hash> {
        parse_hash(&self.root)
    }
}

/// What a check-in hands out: the record's number and hash, a checkpoint
/// that includes it, and the proof of inclusion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub format: String,
    /// The record number (1-based); its leaf is `record - 1`.
    pub record: u64,
    /// The record's hash in the chain (SHA-256 of its sealed bytes), hex.
    pub record_hash: String,
    pub checkpoint: Checkpoint,
    /// The audit path of the leaf in the checkpoint's tree, hex.
    pub inclusion_proof: Vec<String>,
}

pub const RECEIPT_FORMAT: &str = "panke-receipt/1";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    #[error("不是 panke 回执 / not a panke receipt")]
    Format,
    #[error("检查点签名无效:回执被改动或不是本账本签发 / the checkpoint's signature does not verify")]
    Signature,
    #[error("包含证明不成立:记录不在该检查点的账本中 / the inclusion proof does not verify")]
    Inclusion,
}

impl Receipt {
    pub fn leaf(&self) -> Option<Hash> {
        parse_hash(&self.record_hash).map(|h| merkle::leaf_hash(&h))
    }

    /// A short code printed beside the receipt's QR: record number and the
    /// first 8 hex digits of its hash ("R12-3F9A0C1D").
    pub fn code(&self) -> String {
        receipt_code(self.record, &self.record_hash)
    }

    /// The receipt on its own: signed by this key, and its record in its
    /// checkpoint's tree. (Whether the ledger still holds it is the
    /// store's check.)
    pub fn verify(&self, key: &VerifyingKey) -> Result<(), ReceiptError> {
        if self.format != RECEIPT_FORMAT || self.record == 0 {
            return Err(ReceiptError::Format);
        }
        if !self.checkpoint.signature_ok(key) {
            return Err(ReceiptError::Signature);
        }
        let (Some(leaf), Some(root)) = (self.leaf(), self.checkpoint.root_hash()) else {
            return Err(ReceiptError::Format);
        };
        let proof: Option<Vec<Hash>> = self.inclusion_proof.iter().map(|h| parse_hash(h)).collect();
        let proof = proof.ok_or(ReceiptError::Format)?;
        if merkle::verify_inclusion(&leaf, self.record - 1, self.checkpoint.size, &proof, &root) {
            Ok(())
        } else {
            Err(ReceiptError::Inclusion)
        }
    }
}

pub fn receipt_code(record: u64, record_hash: &str) -> String {
    let head: String = record_hash.chars().take(8).collect();
    format!("R{record}-{}", head.to_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use merkle::{MemoryTree, infallible};

    fn ledger(n: u64) -> (MemoryTree, Vec<String>) {
        let mut t = MemoryTree::default();
        let hashes: Vec<String> = (1..=n).map(|i| hash_hex(&merkle::leaf_hash(&i.to_be_bytes()))).collect();
        for h in &hashes {
            t.push(merkle::leaf_hash(&parse_hash(h).unwrap()));
        }
        (t, hashes)
    }

    fn receipt(t: &mut MemoryTree, hashes: &[String], record: u64, size: u64, key: &SigningKey) -> Receipt {
        let root = infallible(merkle::root(t, size));
        Receipt {
            format: RECEIPT_FORMAT.into(),
            record,
            record_hash: hashes[record as usize - 1].clone(),
            checkpoint: Checkpoint::sign(key, "panke", size, &root, "2026-11-18T10:45:00Z"),
            inclusion_proof: infallible(merkle::inclusion_proof(t, record - 1, size)).iter().map(hash_hex).collect(),
        }
    }

    #[test]
    fn a_receipt_verifies_and_any_change_to_it_does_not() {
        let key = derive_signing_key(&[42; 32]);
        let (mut t, hashes) = ledger(11);
        let r = receipt(&mut t, &hashes, 7, 11, &key);
        assert_eq!(r.verify(&key.verifying_key()), Ok(()));
        let mut other_record = r.clone();
        other_record.record_hash = hashes[5].clone();
        assert_eq!(other_record.verify(&key.verifying_key()), Err(ReceiptError::Inclusion));
        let mut moved = r.clone();
        moved.checkpoint.size = 12;
        assert_eq!(moved.verify(&key.verifying_key()), Err(ReceiptError::Signature));
        let stranger = derive_signing_key(&[7; 32]);
        assert_eq!(r.verify(&stranger.verifying_key()), Err(ReceiptError::Signature));
        assert_eq!(r.code(), format!("R7-{}", hashes[6][..8].to_uppercase()));
    }

    #[test]
    fn the_key_is_the_same_for_the_same_ledger_key_and_round_trips_as_hex() {
        let a = derive_signing_key(&[1; 32]).verifying_key();
        assert_eq!(a, derive_signing_key(&[1; 32]).verifying_key());
        assert_ne!(a, derive_signing_key(&[2; 32]).verifying_key());
        assert_eq!(parse_public_key(&public_key_hex(&a)), Some(a));
    }
}
