//! The secrets file (default `data/secrets.json`, mode 0600, never in git):
//! the token signing keys and the ledger's HMAC key. Created on first start;
//! rotated with `panke keys rotate`. Secrets are never logged or printed.

use crate::domain::token::{KeyId, KeyMaterial, KeyRing, KeyRingError};
use chrono::{DateTime, Utc};
use data_encoding::HEXLOWER;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("{path}: {cause}")]
    Io { path: PathBuf, cause: std::io::Error },
    #[error("{path}: not a panke secrets file: {cause}")]
    Format { path: PathBuf, cause: String },
    #[error("{path}: {cause}")]
    Ring { path: PathBuf, cause: KeyRingError },
    #[error("{path}: is readable by other users (mode {mode:o}); run `chmod 600` on it")]
    Permissions { path: PathBuf, mode: u32 },
    #[error("key {0} does not exist")]
    NoSuchKey(KeyId),
    #[error("key {0} signs new tokens; rotate first, then retire it")]
    RetiringSigningKey(KeyId),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenKeyEntry {
    pub id: u16,
    pub secret_hex: String,
    pub created_at: DateTime<Utc>,
    pub retired: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Secrets {
    pub format: u32,
    pub signing_key: u16,
    pub token_keys: Vec<TokenKeyEntry>,
    /// Keys the ledger's per-row HMAC; never rotated in place, because old
    /// rows must keep verifying.
    pub ledger_key_hex: String,
}

fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    HEXLOWER.encode(&bytes)
}

impl Secrets {
    fn generate(now: DateTime<Utc>) -> Secrets {
        Secrets {
            format: 1,
            signing_key: 1,
            token_keys: vec![TokenKeyEntry { id: 1, secret_hex: random_hex(), created_at: now, retired: false }],
            ledger_key_hex: random_hex(),
        }
    }

    /// Loads the file, creating it (mode 0600) when it does not exist yet.
    pub fn load_or_create(path: &Path, now: DateTime<Utc>) -> Result<Secrets, SecretsError> {
        if !path.exists() {
            let fresh = Secrets::generate(now);
            fresh.save(path)?;
            return Ok(fresh);
        }
        Secrets::load(path)
    }

    pub fn load(path: &Path) -> Result<Secrets, SecretsError> {
        let io = |cause| SecretsError::Io { path: path.to_owned(), cause };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path).map_err(io)?.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(SecretsError::Permissions { path: path.to_owned(), mode });
            }
        }
        let text = std::fs::read_to_string(path).map_err(io)?;
        let secrets: Secrets = serde_json::from_str(&text)
            .map_err(|e| SecretsError::Format { path: path.to_owned(), cause: e.to_string() })?;
        secrets.key_ring().map_err(|cause| SecretsError::Ring { path: path.to_owned(), cause })?;
        secrets.ledger_key().map_err(|cause| SecretsError::Format { path: path.to_owned(), cause })?;
        Ok(secrets)
    }

    /// Writes atomically (temporary file, fsync, rename), mode 0600 from
    /// the first byte so the secret is never readable by others.
    pub fn save(&self, path: &Path) -> Result<(), SecretsError> {
        let io = |cause| SecretsError::Io { path: path.to_owned(), cause };
        if let Some(dir) = path.parent() {
            crate::private_dir::ensure_private_dir(dir).map_err(io)?;
        }
        let tmp = path.with_extension("json.tmp");
        let _ = std::fs::remove_file(&tmp);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&tmp).map_err(io)?;
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| SecretsError::Format { path: path.to_owned(), cause: e.to_string() })?;
        file.write_all(text.as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)?;
        Ok(())
    }

    pub fn key_ring(&self) -> Result<KeyRing, KeyRingError> {
        let decoded: Vec<(u16, Vec<u8>, bool)> = self
            .token_keys
            .iter()
            .map(|k| (k.id, HEXLOWER.decode(k.secret_hex.as_bytes()).unwrap_or_default(), k.retired))
            .collect();
        KeyRing::new(
            KeyId(self.signing_key),
            decoded.iter().map(|(id, secret, retired)| KeyMaterial { id: KeyId(*id), secret, retired: *retired }),
        )
    }

    pub fn ledger_key(&self) -> Result<Vec<u8>, String> {
        match HEXLOWER.decode(self.ledger_key_hex.as_bytes()) {
            Ok(k) if k.len() >= 32 => Ok(k),
            _ => Err("ledger_key_hex must be at least 32 bytes of lower-case hex".into()),
        }
    }

    /// Adds a new key that signs from now on; older keys keep verifying.
    pub fn rotate(&mut self, now: DateTime<Utc>) -> KeyId {
        let id = self.token_keys.iter().map(|k| k.id).max().unwrap_or(0).saturating_add(1);
        self.token_keys.push(TokenKeyEntry { id, secret_hex: random_hex(), created_at: now, retired: false });
        self.signing_key = id;
        KeyId(id)
    }

    /// Stops a key from verifying: codes it signed are refused from now on.
    pub fn retire(&mut self, id: KeyId) -> Result<(), SecretsError> {
        if id.0 == self.signing_key {
            return Err(SecretsError::RetiringSigningKey(id));
        }
        let key = self.token_keys.iter_mut().find(|k| k.id == id.0).ok_or(SecretsError::NoSuchKey(id))?;
        key.retired = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_on_first_start_with_mode_0600_and_reloads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data/secrets.json");
        let first = Secrets::load_or_create(&path, Utc::now()).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let again = Secrets::load_or_create(&path, Utc::now()).unwrap();
        assert_eq!(first.token_keys[0].secret_hex, again.token_keys[0].secret_hex);
    }

    #[test]
    fn a_world_readable_secrets_file_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.json");
        Secrets::load_or_create(&path, Utc::now()).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(Secrets::load(&path), Err(SecretsError::Permissions { .. })));
    }

    #[test]
    fn rotation_signs_with_the_new_key_and_old_tokens_verify_until_retired() {
        use crate::domain::token::{ReportId, TokenError};
        let mut s = Secrets::generate(Utc::now());
        let old_token = s.key_ring().unwrap().sign(ReportId(5), Utc::now());
        let new_id = s.rotate(Utc::now());
        let ring = s.key_ring().unwrap();
        assert_eq!(ring.signing_key(), new_id);
        assert_eq!(ring.verify(&old_token).unwrap().key_id, KeyId(1));
        assert!(matches!(s.retire(new_id), Err(SecretsError::RetiringSigningKey(_))));
        s.retire(KeyId(1)).unwrap();
        assert_eq!(s.key_ring().unwrap().verify(&old_token), Err(TokenError::RetiredKey));
    }
}
