//! The `panke` command line: one subcommand per job, each a thin shell
//! around the library.

use crate::config::rules::load_rules_file;
use crate::contract::judge_json;
use crate::domain::token::{KeyId, ReportId};
use crate::secrets::Secrets;
use chrono::Utc;
use clap::{Parser, Subcommand};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub const DEFAULT_SECRETS_PATH: &str = "data/secrets.json";

#[derive(Parser)]
#[command(
    name = "panke",
    version,
    about = "判客 — QR-code check-in for real-estate sales offices"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Judge one case: JSON on standard input, the verdict as JSON on
    /// standard output (see rules.md).
    Judge {
        /// Rules file; keys it lacks take the defaults of the rules.
        #[arg(long, value_name = "FILE")]
        rules: Option<PathBuf>,
    },
    /// Manage the keys that sign report QR codes.
    Keys {
        #[arg(long, value_name = "FILE", default_value = DEFAULT_SECRETS_PATH)]
        secrets: PathBuf,
        #[command(subcommand)]
        action: KeysAction,
    },
    /// Sign or check a report token by hand (for support at the desk).
    Token {
        #[arg(long, value_name = "FILE", default_value = DEFAULT_SECRETS_PATH)]
        secrets: PathBuf,
        #[command(subcommand)]
        action: TokenAction,
    },
}

#[derive(Subcommand)]
enum KeysAction {
    /// List key ids, which one signs and which are retired (never secrets).
    List,
    /// Add a new signing key; older keys still verify.
    Rotate,
    /// Stop a key from verifying: codes it signed are refused from now on.
    Retire { id: u16 },
}

#[derive(Subcommand)]
enum TokenAction {
    /// Print a signed token for a report number.
    Sign { report_id: i64 },
    /// Check a token and print what it carries.
    Verify { token: String },
}

/// Exit status 2: the input was refused (malformed case, bad token);
/// 1: panke itself could not work (files, permissions).
fn fail(code: u8, message: impl std::fmt::Display) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "panke: {message}");
    ExitCode::from(code)
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Judge { rules } => judge(rules.as_deref()),
        Command::Keys { secrets, action } => keys(&secrets, action),
        Command::Token { secrets, action } => token(&secrets, action),
    }
}

fn judge(rules_path: Option<&Path>) -> ExitCode {
    let file_rules = match load_rules_file(rules_path) {
        Ok(r) => r,
        Err(e) => return fail(2, e),
    };
    let mut input = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut input) {
        return fail(
            2,
            format_args!("cannot read the case from standard input: {e}"),
        );
    }
    match judge_json(&input, &file_rules) {
        Ok(verdict) => match serde_json::to_string(&verdict) {
            Ok(json) => {
                let _ = writeln!(std::io::stdout(), "{json}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(1, e),
        },
        Err(e) => fail(2, format_args!("malformed case: {e}")),
    }
}

fn keys(path: &Path, action: KeysAction) -> ExitCode {
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
        println!(
            "{:>5}  {:<8}  created {}",
            k.id,
            role,
            k.created_at.format("%Y-%m-%d %H:%M UTC")
        );
    }
    ExitCode::SUCCESS
}

fn token(path: &Path, action: TokenAction) -> ExitCode {
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
                println!(
                    "report {} issued {} by key {}",
                    c.report_id,
                    c.issued_at.to_rfc3339(),
                    c.key_id
                );
                ExitCode::SUCCESS
            }
            Err(e) => fail(2, e),
        },
    }
}
