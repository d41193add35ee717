//! What every command that touches data starts from: the deployment's
//! configuration, its secrets and an open, migrated database with the
//! configured projects synced into it.

use crate::config::deployment::{ConfigError, Deployment};
use crate::domain::token::{KeyRing, KeyRingError};
use crate::secrets::{Secrets, SecretsError};
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Secrets(#[from] SecretsError),
    #[error("secrets: {0}")]
    KeyRing(#[from] KeyRingError),
    #[error("secrets: {0}")]
    LedgerKey(String),
    #[error("{0}")]
    Store(#[from] StoreError),
}

pub struct Context {
    pub deployment: Deployment,
    pub secrets: Secrets,
    pub key_ring: KeyRing,
    ledger_key: Vec<u8>,
}

impl Context {
    pub fn load(config_dir: &Path, now: DateTime<Utc>) -> Result<Context, AppError> {
        let deployment = Deployment::load(config_dir)?;
        let secrets = Secrets::load_or_create(&deployment.storage.secrets, now)?;
        let key_ring = secrets.key_ring()?;
        let ledger_key = secrets.ledger_key().map_err(AppError::LedgerKey)?;
        Ok(Context { deployment, secrets, key_ring, ledger_key })
    }

    /// Re-reads the secrets after the storage paths were changed (demo).
    pub fn reload_secrets(ctx: Context, now: DateTime<Utc>) -> Result<Context, AppError> {
        let secrets = Secrets::load_or_create(&ctx.deployment.storage.secrets, now)?;
        let key_ring = secrets.key_ring()?;
        let ledger_key = secrets.ledger_key().map_err(AppError::LedgerKey)?;
        Ok(Context { deployment: ctx.deployment, secrets, key_ring, ledger_key })
    }

    pub fn ledger_key(&self) -> &[u8] {
        &self.ledger_key
    }

    /// Opens the database without touching project rows (for read-only
    /// jobs such as verify and backup).
    pub fn open_store_plain(&self) -> Result<Store, AppError> {
        Ok(Store::open(&self.deployment.storage.database, &self.ledger_key)?)
    }

    /// Opens the database and brings the project rows in line with the
    /// project files (a change of rules is written to the audit log and
    /// kept as a new rule version), and
    /// the Merkle log up to the ledger (records from before schema 7).
    pub fn open_store(&self, now: DateTime<Utc>) -> Result<Store, AppError> {
        let mut store = self.open_store_plain()?;
        for p in &self.deployment.projects {
            store.sync_project(&p.id, &p.name, &p.rules_sha256, now)?;
            let sources: serde_json::Map<String, serde_json::Value> = p
                .rule_sources()
                .into_iter()
                .map(|(key, source)| (key.to_owned(), serde_json::Value::from(source.code())))
                .collect();
            let sources = serde_json::Value::Object(sources).to_string();
            store.record_rule_version(&p.id, &p.rules_sha256, &p.rules_snapshot, &sources, now)?;
        }
        store.catch_up_log()?;
        store.catch_up_visit_index()?;
        Ok(store)
    }
}
