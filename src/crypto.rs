//! Small hashing and randomness helpers shared by the store, the config
//! and the web layer (the domain computes its own digests, to stay pure).

use data_encoding::{BASE32_NOPAD, HEXLOWER};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// SHA-256 as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    HEXLOWER.encode(&Sha256::digest(bytes))
}

/// A fresh random secret: 160 bits, base32 (cookie- and URL-safe).
pub fn random_secret() -> String {
    let mut raw = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    BASE32_NOPAD.encode(&raw)
}
