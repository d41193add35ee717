//! The signed report token an agent's QR code carries.
//!
//! `PK1` + base32 (RFC 4648, upper case, no padding) of 31 bytes:
//! report id (u64) ‖ issued at (unix seconds, 40 bits) ‖ key id (u16) ‖
//! the first 16 bytes of HMAC-SHA256(key, "PK1" ‖ the 15 bytes before it).
//! 53 characters, all in the QR alphanumeric set, so the code stays a small
//! version-3 symbol that scans from a phone screen. No personal data:
//! the name and phone stay on the server.

use chrono::{DateTime, Utc};
use data_encoding::BASE32_NOPAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;

type HmacSha256 = Hmac<Sha256>;

pub const TOKEN_VERSION_PREFIX: &str = "PK1";
const BODY_LEN: usize = 8 + 5 + 2;
const TAG_LEN: usize = 16;
const RAW_LEN: usize = BODY_LEN + TAG_LEN;
/// Length of a token in characters.
pub const TOKEN_LEN: usize = 3 + (RAW_LEN * 8).div_ceil(5);

/// A report's number, as the database assigns it (always positive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReportId(pub i64);

impl fmt::Display for ReportId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Identifies one signing key; carried in the token so old keys can still
/// verify after a rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub u16);

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What a verified token says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenClaims {
    pub report_id: ReportId,
    pub issued_at: DateTime<Utc>,
    pub key_id: KeyId,
}

/// Why a scanned code is refused. The kiosk shows these on its red screen
/// and writes them to the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("不是本系统的报备二维码 / not a panke report code")]
    NotAToken,
    #[error("二维码版本不受支持 / unsupported code version")]
    WrongVersion,
    #[error("二维码内容不完整或被改动 / the code is truncated or has extra characters")]
    WrongLength,
    #[error("二维码含有非法字符 / the code contains characters it cannot contain")]
    BadCharacters,
    #[error("二维码签名密钥未知 / the code was signed with an unknown key")]
    UnknownKey,
    #[error("二维码签名密钥已停用 / the code was signed with a retired key")]
    RetiredKey,
    #[error("二维码签名校验失败,可能被伪造或篡改 / the signature does not verify: forged or altered")]
    BadSignature,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyRingError {
    #[error("token key {0} is shorter than 32 bytes")]
    ShortKey(KeyId),
    #[error("token key id {0} appears twice")]
    DuplicateKey(KeyId),
    #[error("the signing key {0} is not among the keys, or is retired")]
    NoSigningKey(KeyId),
}

struct RingKey {
    id: KeyId,
    retired: bool,
    /// HMAC state already keyed, cloned per use: saves two SHA-256 blocks.
    mac: HmacSha256,
}

/// Every key that may verify tokens and the one that signs new ones.
pub struct KeyRing {
    signing: KeyId,
    keys: Vec<RingKey>,
}

/// A key as stored in the secrets file.
pub struct KeyMaterial<'a> {
    pub id: KeyId,
    pub secret: &'a [u8],
    pub retired: bool,
}

impl KeyRing {
    pub fn new<'a>(signing: KeyId, keys: impl IntoIterator<Item = KeyMaterial<'a>>) -> Result<KeyRing, KeyRingError> {
        let mut ring = Vec::new();
        for k in keys {
            if k.secret.len() < 32 {
                return Err(KeyRingError::ShortKey(k.id));
            }
            if ring.iter().any(|r: &RingKey| r.id == k.id) {
                return Err(KeyRingError::DuplicateKey(k.id));
            }
            let mac = HmacSha256::new_from_slice(k.secret).map_err(|_| KeyRingError::ShortKey(k.id))?;
            ring.push(RingKey { id: k.id, retired: k.retired, mac });
        }
        if !ring.iter().any(|r| r.id == signing && !r.retired) {
            return Err(KeyRingError::NoSigningKey(signing));
        }
        Ok(KeyRing { signing, keys: ring })
    }

    pub fn signing_key(&self) -> KeyId {
        self.signing
    }

    fn key(&self, id: KeyId) -> Option<&RingKey> {
        self.keys.iter().find(|k| k.id == id)
    }

    /// Signs a token for `report_id`, issued at `now` (the server's clock).
    pub fn sign(&self, report_id: ReportId, now: DateTime<Utc>) -> String {
        self.sign_with(self.signing, report_id, now).unwrap_or_default()
    }

    /// The token of a report as its key signed it: the same report, time
    /// and key always give the same token, so a report's QR is stable.
    /// `None` when that key is unknown or retired.
    pub fn sign_with(&self, key_id: KeyId, report_id: ReportId, issued_at: DateTime<Utc>) -> Option<String> {
        let key = self.key(key_id).filter(|k| !k.retired)?;
        let mut raw = [0u8; RAW_LEN];
        raw[..8].copy_from_slice(&(report_id.0 as u64).to_be_bytes());
        let secs = issued_at.timestamp().clamp(0, (1 << 40) - 1) as u64;
        raw[8..13].copy_from_slice(&secs.to_be_bytes()[3..]);
        raw[13..15].copy_from_slice(&key_id.0.to_be_bytes());
        let tag = tag(&key.mac, &raw[..BODY_LEN]);
        raw[BODY_LEN..].copy_from_slice(&tag[..TAG_LEN]);
        let mut out = String::with_capacity(TOKEN_LEN);
        out.push_str(TOKEN_VERSION_PREFIX);
        out.push_str(&BASE32_NOPAD.encode(&raw));
        Some(out)
    }

    /// Checks a token exactly as scanned. Any change to any character —
    /// case, padding, truncation, extension — is refused.
    pub fn verify(&self, token: &str) -> Result<TokenClaims, TokenError> {
        let Some(rest) = token.strip_prefix("PK") else {
            return Err(TokenError::NotAToken);
        };
        let Some(body) = rest.strip_prefix('1') else {
            return Err(TokenError::WrongVersion);
        };
        if token.len() != TOKEN_LEN {
            return Err(TokenError::WrongLength);
        }
        let mut raw = [0u8; RAW_LEN];
        match BASE32_NOPAD.decode_mut(body.as_bytes(), &mut raw) {
            Ok(RAW_LEN) => {}
            _ => return Err(TokenError::BadCharacters),
        }
        let key_id = KeyId(u16::from_be_bytes([raw[13], raw[14]]));
        let key = self.key(key_id).ok_or(TokenError::UnknownKey)?;
        if key.retired {
            return Err(TokenError::RetiredKey);
        }
        let mut mac = key.mac.clone();
        mac.update(TOKEN_VERSION_PREFIX.as_bytes());
        mac.update(&raw[..BODY_LEN]);
        mac.verify_truncated_left(&raw[BODY_LEN..]).map_err(|_| TokenError::BadSignature)?;

        let mut id = [0u8; 8];
        id.copy_from_slice(&raw[..8]);
        let mut secs = [0u8; 8];
        secs[3..].copy_from_slice(&raw[8..13]);
        let issued_at = DateTime::from_timestamp(u64::from_be_bytes(secs) as i64, 0).ok_or(TokenError::BadSignature)?;
        Ok(TokenClaims { report_id: ReportId(u64::from_be_bytes(id) as i64), issued_at, key_id })
    }
}

fn tag(keyed: &HmacSha256, body: &[u8]) -> [u8; 32] {
    let mut mac = keyed.clone();
    mac.update(TOKEN_VERSION_PREFIX.as_bytes());
    mac.update(body);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring() -> KeyRing {
        KeyRing::new(
            KeyId(2),
            [
                KeyMaterial { id: KeyId(1), secret: &[1u8; 32], retired: false },
                KeyMaterial { id: KeyId(2), secret: &[2u8; 32], retired: false },
                KeyMaterial { id: KeyId(3), secret: &[3u8; 32], retired: true },
            ],
        )
        .unwrap()
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-20T10:00:00+08:00").unwrap().to_utc()
    }

    #[test]
    fn token_round_trips_and_carries_no_personal_data() {
        let t = ring().sign(ReportId(42), now());
        assert_eq!(t.len(), TOKEN_LEN);
        assert!(t.starts_with("PK1"));
        let qr_alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
        assert!(t.chars().all(|c| qr_alnum.contains(c)), "{t}");
        let c = ring().verify(&t).unwrap();
        assert_eq!(c, TokenClaims { report_id: ReportId(42), issued_at: now(), key_id: KeyId(2) });
    }

    #[test]
    fn older_key_still_verifies_after_rotation_retired_does_not() {
        let old = KeyRing::new(KeyId(1), [KeyMaterial { id: KeyId(1), secret: &[1u8; 32], retired: false }]).unwrap();
        let t = old.sign(ReportId(7), now());
        assert_eq!(ring().verify(&t).unwrap().key_id, KeyId(1));
        let by_retired = KeyRing::new(KeyId(3), [KeyMaterial { id: KeyId(3), secret: &[3u8; 32], retired: false }])
            .unwrap()
            .sign(ReportId(7), now());
        assert_eq!(ring().verify(&by_retired), Err(TokenError::RetiredKey));
        let unknown = KeyRing::new(KeyId(9), [KeyMaterial { id: KeyId(9), secret: &[9u8; 32], retired: false }])
            .unwrap()
            .sign(ReportId(7), now());
        assert_eq!(ring().verify(&unknown), Err(TokenError::UnknownKey));
    }

    #[test]
    fn same_key_id_with_other_secret_is_a_forgery() {
        let forger =
            KeyRing::new(KeyId(2), [KeyMaterial { id: KeyId(2), secret: &[7u8; 32], retired: false }]).unwrap();
        assert_eq!(ring().verify(&forger.sign(ReportId(42), now())), Err(TokenError::BadSignature));
    }

    #[test]
    fn malformed_tokens_are_refused_with_a_reason() {
        let t = ring().sign(ReportId(42), now());
        assert_eq!(ring().verify(""), Err(TokenError::NotAToken));
        assert_eq!(ring().verify("hello"), Err(TokenError::NotAToken));
        assert_eq!(ring().verify(&t.replacen("PK1", "PK2", 1)), Err(TokenError::WrongVersion));
        assert_eq!(ring().verify(&t[..t.len() - 1]), Err(TokenError::WrongLength));
        assert_eq!(ring().verify(&format!("{t}=")), Err(TokenError::WrongLength));
        assert_eq!(ring().verify(&format!("{t}\n")), Err(TokenError::WrongLength));
        assert_eq!(ring().verify(&format!("PK1{}", t[3..].to_lowercase())), Err(TokenError::BadCharacters));
        assert_eq!(ring().verify(&t.to_lowercase()), Err(TokenError::NotAToken));
    }

    #[test]
    fn ring_refuses_short_duplicate_and_missing_signing_keys() {
        let short = KeyRing::new(KeyId(1), [KeyMaterial { id: KeyId(1), secret: &[1u8; 16], retired: false }]);
        assert!(matches!(short, Err(KeyRingError::ShortKey(_))));
        let dup = KeyRing::new(
            KeyId(1),
            [
                KeyMaterial { id: KeyId(1), secret: &[1u8; 32], retired: false },
                KeyMaterial { id: KeyId(1), secret: &[2u8; 32], retired: false },
            ],
        );
        assert!(matches!(dup, Err(KeyRingError::DuplicateKey(_))));
        let retired_signer = KeyRing::new(KeyId(1), [KeyMaterial { id: KeyId(1), secret: &[1u8; 32], retired: true }]);
        assert!(matches!(retired_signer, Err(KeyRingError::NoSigningKey(_))));
    }
}
