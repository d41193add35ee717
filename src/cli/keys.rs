//! `panke keys …` and `panke token …`.

use super::fail;
use crate::domain::token::{KeyId, ReportId};
use crate::secrets::Secrets;
use chrono::Utc;
use clap::Subcommand;
use std::path::Path;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum KeysAction {
    /// List key ids, which one signs and which are retired (never secrets).
    List,
    /// Add a new signing key; older keys still verify.
    Rotate,
    /// Stop a key from verifying: codes it signed are refused from now on.
    Retire { id: u16 },
}

#[derive(Subcommand)]
pub enum TokenAction {
    /// Print a signed token for a report number.
    Sign { report_id: i64 },
    /// Check a token and print what it carries.
    Verify { token: String },
}

pub fn keys(path: &Path, action: KeysAction) -> ExitCode {
    let mut secrets = match Secrets::load_or_create(path, Utc::now()) {
        Ok(s) => s,
        Err(e) => return fail(1, e),
    };
    let changed = match action {
        KeysAction::List => false,
        KeysAction::Rotate => {
            let id = secrets.rotate(Utc::now());
            println!("key {id} now signs new codes; older keys still verify until retired");
            true
        }
        KeysAction::Retire { id } => match secrets.retire(KeyId(id)) {
            Ok(()) => {
                println!("key {id} retired: codes it signed are refused from now on");
                true
            }
            Err(e) => return fail(2, e),
        },
    };
    if changed && let Err(e) = secrets.save(path) {
        return fail(1, e);
    }
    for k in &secrets.token_keys {
        let role = if k.id == secrets.signing_key {
            "signing"
        } else if k.retired {
            "retired"
        } else {
            "verifies"
        };
        println!("{:>5}  {:<8}  created {}", k.id, role, k.created_at.format("%Y-%m-%d %H:%M UTC"));
    }
    // The public half only: agencies check receipts and checkpoints with it.
    if let Ok(ledger_key) = secrets.ledger_key() {
        let public = crate::domain::transparency::derive_signing_key(&ledger_key).verifying_key();
        println!("ledger checkpoint key (Ed25519, public): {}", crate::domain::transparency::public_key_hex(&public));
    }
    ExitCode::SUCCESS
}

pub fn token(path: &Path, action: TokenAction) -> ExitCode {
    let ring = match Secrets::load_or_create(path, Utc::now()).map(|s| s.key_ring()) {
        Ok(Ok(ring)) => ring,
        Ok(Err(e)) => return fail(1, e),
        Err(e) => return fail(1, e),
    };
    match action {
        TokenAction::Sign { report_id } if report_id > 0 => {
            println!("{}", ring.sign(ReportId(report_id), Utc::now()));
            ExitCode::SUCCESS
        }
        TokenAction::Sign { .. } => fail(2, "a report number is a positive whole number"),
        TokenAction::Verify { token } => match ring.verify(token.trim()) {
            Ok(c) => {
                println!("report {} issued {} by key {}", c.report_id, c.issued_at.to_rfc3339(), c.key_id);
                ExitCode::SUCCESS
            }
            Err(e) => fail(2, e),
        },
    }
}
