//! `panke verify`, `backup`, `import-history`, `amend` and the hidden
//! `soak-checkins` used by the crash test.

use super::fail;
use crate::app::Context;
use crate::domain::name::CustomerName;
use crate::domain::phone::{CustomerPhone, Phone};
use crate::store::checkin::CheckInRequest;
use crate::store::history::{HistoryImport, ImportError};
use crate::store::reports::NewReport;
use chrono::Utc;
use indicatif::{ProgressBar, ProgressStyle};
use rand::RngCore;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

fn context(config: &Path) -> Result<Context, ExitCode> {
    Context::load(config, Utc::now()).map_err(|e| fail(1, e))
}

/// The database as it is, for jobs that must not touch project rows
/// (verify, backup).
fn plain_store(config: &Path) -> Result<crate::store::Store, ExitCode> {
    context(config)?.open_store_plain().map_err(|e| fail(1, e))
}

/// Exit 0: verified (and the checkpoint it reached is kept, where the
/// next `--since-checkpoint` starts); 3: the first fault found.
pub fn verify(config: &Path, since_checkpoint: bool) -> ExitCode {
    let store = match plain_store(config) {
        Ok(s) => s,
        Err(code) => return code,
    };
    // (what was verified, how many records from the first were walked)
    let checked = if since_checkpoint {
        store.verify_since_checkpoint().map(|r| {
            r.map(|s| {
                let what = match s.from {
                    0 => format!("{} records, chain and seals intact (no verified checkpoint yet: all walked)", s.total),
                    from => format!(
                        "{} records after checkpoint {from}, chain and seals intact ({} in all; the log still has checkpoint {from}'s root)",
                        s.walked, s.total
                    ),
                };
                (what, s.total)
            })
        })
    } else {
        store.verify_ledger().map(|r| r.map(|n| (format!("{n} records, chain and seals intact"), n)))
    };
    match checked {
        Ok(Ok((what, walked))) => {
            if let Err(e) = store.remember_verified(walked as u64, Utc::now()) {
                tracing::warn!(error = %e, "could not keep the verified checkpoint");
            }
            println!("ledger verified: {what}");
            ExitCode::SUCCESS
        }
        Ok(Err(fault)) => fail(3, format_args!("ledger NOT verified: {fault}")),
        Err(e) => fail(1, e),
    }
}

/// Exit 0: the receipt holds (signed by this ledger's key, its record in
/// its checkpoint, and the ledger still has that record and that history);
/// 3: it does not, and why; 2: the file is not a receipt.
pub fn verify_receipt(config: &Path, file: &Path) -> ExitCode {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => return fail(1, format_args!("{}: {e}", file.display())),
    };
    let receipt: crate::domain::transparency::Receipt = match serde_json::from_str(&text) {
        Ok(r) => r,
        Err(e) => return fail(2, format_args!("{}: not a panke receipt: {e}", file.display())),
    };
    let store = match plain_store(config) {
        Ok(s) => s,
        Err(code) => return code,
    };
    match store.check_receipt(&receipt) {
        Ok(Ok(())) => {
            println!(
                "receipt {} holds: record {} is in the ledger, and the ledger extends checkpoint {} ({})",
                receipt.code(),
                receipt.record,
                receipt.checkpoint.size,
                receipt.checkpoint.at
            );
            ExitCode::SUCCESS
        }
        Ok(Err(fault)) => fail(3, format_args!("receipt {} does NOT hold: {fault}", receipt.code())),
        Err(e) => fail(1, e),
    }
}

fn progress_bar(len: u64, what: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(&format!("{what} [{{bar:40}}] {{pos}}/{{len}}")) {
        bar.set_style(style);
    }
    bar
}

pub fn backup(config: &Path, file: &Path) -> ExitCode {
    let store = match plain_store(config) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let bar = progress_bar(0, "backup");
    let result = store.backup_to(file, |done, total| {
        bar.set_length(total.max(0) as u64);
        bar.set_position(done.max(0) as u64);
    });
    bar.finish_and_clear();
    match result {
        Ok(records) => {
            let _ = store.audit(Utc::now(), "cli", "backup", None, &file.display().to_string());
            println!("backup written to {} ({records} ledger records)", file.display());
            ExitCode::SUCCESS
        }
        Err(e) => fail(1, e),
    }
}

pub fn import_history(config: &Path, project: &str, file: &Path) -> ExitCode {
    let ctx = match context(config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let Some(project_config) = ctx.deployment.project(project) else {
        return fail(2, format_args!("no project `{project}` in {}/projects", config.display()));
    };
    let text = match std::fs::File::open(file) {
        Ok(f) => f,
        Err(e) => return fail(2, format_args!("{}: {e}", file.display())),
    };
    let now = Utc::now();
    let mut store = match ctx.open_store(now) {
        Ok(s) => s,
        Err(e) => return fail(1, e),
    };
    let bar = progress_bar(0, "import");
    let source = format!("import:{}", file.file_name().and_then(|n| n.to_str()).unwrap_or("csv"));
    let job =
        HistoryImport { project_id: project, tz: project_config.rules.timezone, default_source: &source, actor: "cli" };
    let result = store.import_history(&job, text, now, |n| bar.set_position(n));
    bar.finish_and_clear();
    match result {
        Ok(s) => {
            println!("{} lines: {} added, {} already present", s.lines, s.added, s.already_present);
            ExitCode::SUCCESS
        }
        Err(ImportError::BadLines(lines)) => {
            for l in &lines {
                let _ = writeln!(std::io::stderr(), "{}:{}: {}", file.display(), l.line, l.message);
            }
            fail(2, format_args!("{} bad line(s); nothing was imported", lines.len()))
        }
        Err(e) => fail(2, format_args!("{}: {e}", file.display())),
    }
}

pub fn amend(config: &Path, record: i64, by: &str, reason: &str, changes: &str) -> ExitCode {
    let changes: serde_json::Value = match serde_json::from_str(changes) {
        Ok(v @ serde_json::Value::Object(_)) => v,
        _ => return fail(2, "--changes must be a JSON object"),
    };
    let ctx = match context(config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let mut store = match ctx.open_store(Utc::now()) {
        Ok(s) => s,
        Err(e) => return fail(1, e),
    };
    let amendment = match crate::service::amend::parse_changes(&changes) {
        Ok(a) => a,
        Err(e) => return fail(2, e),
    };
    match crate::service::amend::amend(&mut store, record, &format!("cli:{by}"), reason, amendment, None, Utc::now()) {
        Ok(row) => {
            println!("record {} appended, amending record {record}", row.seq);
            ExitCode::SUCCESS
        }
        Err(e) => fail(2, e),
    }
}

/// The agency and agent the soak files its reports as (made once).
fn soak_agent(store: &crate::store::Store) -> Result<i64, crate::store::StoreError> {
    let agency = match store.agency_by_name("soak")? {
        Some(id) => id,
        None => store.create_agency("soak", None, Utc::now())?,
    };
    let phone = Phone::parse("13000000000").map_err(|e| crate::store::StoreError::Invalid(e.to_string()))?;
    match store.agent_by_phone(&phone)? {
        Some(a) => Ok(a.id),
        None => Ok(store.create_agent(agency, "soak", &phone, Utc::now())?.0),
    }
}

/// Files a report and checks it in, again and again, printing
/// `committed <record>` only after each durable commit.
pub fn soak_checkins(config: &Path, project: &str, count: u64) -> ExitCode {
    let ctx = match context(config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let Some(project_config) = ctx.deployment.project(project) else {
        return fail(2, format_args!("no project `{project}`"));
    };
    let mut store = match ctx.open_store(Utc::now()) {
        Ok(s) => s,
        Err(e) => return fail(1, e),
    };
    let agent_id = match soak_agent(&store) {
        Ok(id) => id,
        Err(e) => return fail(1, e),
    };
    let mut rng = rand::rngs::OsRng;
    let mut stdout = std::io::stdout();
    for i in 0..count {
        let phone_text = format!("139{:08}", rng.next_u32() % 100_000_000);
        let (Ok(phone), Ok(name)) = (Phone::parse(&phone_text), CustomerName::parse("王小明")) else {
            return fail(1, "bad generated customer");
        };
        let now = Utc::now();
        let report = store.file_report(
            NewReport {
                project_id: project.into(),
                agent_id,
                customer_name: name.clone(),
                customer_phone: CustomerPhone::Full(phone),
                expected_arrival: None,
                party_size: None,
                note: None,
                idempotency_key: Some(format!("soak-{}-{i}", rng.next_u64())),
                demo: true,
            },
            ctx.key_ring.signing_key(),
            now.with_timezone(&project_config.rules.timezone).fixed_offset(),
            || rng.next_u64(),
        );
        let report = match report {
            Ok(r) => r,
            Err(e) => return fail(1, e),
        };
        let (customer, arrival) = (report.customer_name.to_string(), now.format("%Y-%m-%d %H:%M").to_string());
        let facts = crate::domain::signature::StatementFacts {
            project,
            agency: &report.agency_name,
            agent: &report.agent_name,
            reported_name: &customer,
            arrived_name: &customer,
            arrival: &arrival,
        };
        // Three hands, different for every visit, as at a real desk.
        let signatures = match crate::demo::signatures(i.wrapping_mul(3), &facts) {
            Ok(s) => s,
            Err(e) => return fail(1, e),
        };
        let req = CheckInRequest {
            demo: true,
            ..CheckInRequest::accompanied(project, Some(report.id), name, phone, signatures)
        };
        match store.record_checkin(req, &project_config.rules, now) {
            Ok(outcome) => {
                if writeln!(stdout, "committed {}", outcome.row.seq).and_then(|()| stdout.flush()).is_err() {
                    return ExitCode::SUCCESS;
                }
            }
            Err(e) => return fail(1, e),
        }
    }
    ExitCode::SUCCESS
}
