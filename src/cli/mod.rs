//! The `panke` command line: one subcommand per job, each a thin shell
//! around the library.

mod data;
mod groups;
mod keys;
mod people;
mod serve;

use crate::config::rules::load_rules_file;
use crate::wire::case::judge_json;
use clap::{Parser, Subcommand};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub const DEFAULT_SECRETS_PATH: &str = "data/secrets.json";
pub const DEFAULT_CONFIG_DIR: &str = "kiosk-config";

#[derive(Parser)]
#[command(name = "panke", version, about = "判客 — QR-code check-in for real-estate sales offices")]
struct Cli {
    /// The configuration folder (panke.toml, rules.toml, projects/).
    #[arg(long, global = true, value_name = "DIR", default_value = DEFAULT_CONFIG_DIR)]
    config: PathBuf,
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
    /// Attribute one subscription (渠道业绩): the case as JSON on standard
    /// input, the attribution as JSON on standard output (see rules.md).
    Attribute {
        /// Rules file; keys it lacks take the defaults of the rules.
        #[arg(long, value_name = "FILE")]
        rules: Option<PathBuf>,
    },
    /// Run the web service (agent pages, kiosk, API).
    Serve {
        /// Address to listen on (default: [server] listen in panke.toml).
        #[arg(long)]
        listen: Option<String>,
        /// Use a separate demo database with demo people and reports.
        #[arg(long)]
        demo: bool,
    },
    /// Walk the visit ledger's hash chain, its Merkle log and checkpoints;
    /// non-zero exit names the first altered, removed or inserted record.
    /// With --receipt: prove that receipt still holds against this ledger.
    /// With --since-checkpoint: only the records after the last verified
    /// checkpoint (seconds, whatever the ledger's size; a full run now and
    /// then re-reads everything).
    Verify {
        /// A receipt (JSON, as the kiosk's check-in, the agent page or the
        /// API hands it out).
        #[arg(long, value_name = "FILE")]
        receipt: Option<PathBuf>,
        #[arg(long, conflicts_with = "receipt")]
        since_checkpoint: bool,
    },
    /// Copy the database while panke runs (SQLite online backup).
    Backup { file: PathBuf },
    /// Import the developer's visit records (来访登记) from CSV:
    /// time,name,phone,source.
    ImportHistory {
        #[arg(long)]
        project: String,
        file: PathBuf,
    },
    /// Append a correction to a ledger record (the record stays as it was).
    Amend {
        record: i64,
        /// Who makes the correction.
        #[arg(long)]
        by: String,
        /// Why (shown wherever the record is shown).
        #[arg(long)]
        reason: String,
        /// What changes, as a JSON object, e.g. '{"customer_name": "王小明"}'.
        #[arg(long, default_value = "{}")]
        changes: String,
    },
    /// Channel agencies (渠道公司).
    Agency {
        #[command(subcommand)]
        action: people::AgencyAction,
    },
    /// Agents (经纪人): created by a manager, activated by an invitation.
    Agent {
        #[command(subcommand)]
        action: people::AgentAction,
    },
    /// Project staff: managers, desk clerks (判客岗), sales consultants.
    Staff {
        #[command(subcommand)]
        action: people::StaffAction,
    },
    /// Customer groups (直系亲属 = one customer): managers link phones.
    Group {
        #[command(subcommand)]
        action: groups::GroupAction,
    },
    /// Kiosks: the desk tablets.
    Kiosk {
        #[command(subcommand)]
        action: people::KioskAction,
    },
    /// Manage the keys that sign report QR codes.
    Keys {
        #[arg(long, value_name = "FILE", default_value = DEFAULT_SECRETS_PATH)]
        secrets: PathBuf,
        #[command(subcommand)]
        action: keys::KeysAction,
    },
    /// Sign or check a report token by hand (for support at the desk).
    Token {
        #[arg(long, value_name = "FILE", default_value = DEFAULT_SECRETS_PATH)]
        secrets: PathBuf,
        #[command(subcommand)]
        action: keys::TokenAction,
    },
    /// Test support: record check-ins in a loop, printing each committed
    /// record number (used by the crash test).
    #[command(hide = true)]
    SoakCheckins {
        #[arg(long)]
        project: String,
        #[arg(long, default_value_t = u64::MAX)]
        count: u64,
    },
}

/// Exit status 2: the input was refused (malformed case, bad token, bad
/// argument); 1: panke itself could not work (files, permissions).
pub(crate) fn fail(code: u8, message: impl std::fmt::Display) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "panke: {message}");
    ExitCode::from(code)
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let config = cli.config.as_path();
    match cli.command {
        Command::Judge { rules } => judge(rules.as_deref()),
        Command::Attribute { rules } => attribute(rules.as_deref()),
        Command::Serve { listen, demo } => serve::serve(config, listen, demo),
        Command::Verify { receipt: None, since_checkpoint } => data::verify(config, since_checkpoint),
        Command::Verify { receipt: Some(file), .. } => data::verify_receipt(config, &file),
        Command::Backup { file } => data::backup(config, &file),
        Command::ImportHistory { project, file } => data::import_history(config, &project, &file),
        Command::Amend { record, by, reason, changes } => data::amend(config, record, &by, &reason, &changes),
        Command::SoakCheckins { project, count } => data::soak_checkins(config, &project, count),
        Command::Agency { action } => people::agency(config, action),
        Command::Agent { action } => people::agent(config, action),
        Command::Staff { action } => people::staff(config, action),
        Command::Kiosk { action } => people::kiosk(config, action),
        Command::Group { action } => groups::group(config, action),
        Command::Keys { secrets, action } => keys::keys(&secrets, action),
        Command::Token { secrets, action } => keys::token(&secrets, action),
    }
}

fn attribute(rules_path: Option<&Path>) -> ExitCode {
    contract(rules_path, |input, rules| {
        crate::wire::attribute::attribute_json(input, rules).and_then(|a| Ok(serde_json::to_string(&a)?))
    })
}

/// A black-box contract of rules.md: the rules file, one case on standard
/// input, one JSON answer on standard output.
fn contract(
    rules_path: Option<&Path>,
    answer: impl FnOnce(&str, &crate::config::rules::RulesPatch) -> Result<String, crate::wire::case::CaseError>,
) -> ExitCode {
    let file_rules = match load_rules_file(rules_path) {
        Ok(r) => r,
        Err(e) => return fail(2, e),
    };
    let mut input = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut input) {
        return fail(2, format_args!("cannot read the case from standard input: {e}"));
    }
    match answer(&input, &file_rules) {
        Ok(json) => {
            let _ = writeln!(std::io::stdout(), "{json}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(2, format_args!("malformed case: {e}")),
    }
}

fn judge(rules_path: Option<&Path>) -> ExitCode {
    contract(rules_path, |input, rules| judge_json(input, rules).and_then(|v| Ok(serde_json::to_string(&v)?)))
}
