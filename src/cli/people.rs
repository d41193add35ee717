//! `panke agency|agent|staff …`: what a manager does before the back
//! office pages exist. Passwords and PINs are generated and shown once.

use super::fail;
use crate::app::Context;
use crate::domain::phone::{MaskedPhone, Phone};
use crate::store::people::{NewStaff, Role};
use chrono::{NaiveDate, Utc};
use clap::Subcommand;
use rand::Rng;
use std::path::Path;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum AgencyAction {
    /// Add an agency.
    Add {
        name: String,
        /// Last day of the agency contract (委托代理期到期日), YYYY-MM-DD.
        #[arg(long)]
        contract_end: Option<NaiveDate>,
    },
    /// List agencies.
    List,
    /// Issue an API key for the agency's own systems (shown once).
    ApiKey {
        agency: i64,
        #[arg(long, default_value = "api")]
        label: String,
    },
}

#[derive(Subcommand)]
pub enum AgentAction {
    /// Add an agent; prints the invitation link the agent opens to set a password.
    Add {
        #[arg(long)]
        agency: i64,
        #[arg(long)]
        name: String,
        #[arg(long)]
        phone: String,
    },
}

#[derive(Subcommand)]
pub enum StaffAction {
    /// Add a staff member; prints a generated password (and PIN for desk and sales).
    Add {
        /// Project id (not for admins).
        #[arg(long)]
        project: Option<String>,
        #[arg(long)]
        login: String,
        #[arg(long)]
        name: String,
        /// admin, manager, desk or sales
        #[arg(long)]
        role: String,
    },
}

pub(super) fn open(config: &Path) -> Result<(Context, crate::store::Store), ExitCode> {
    let now = Utc::now();
    let ctx = Context::load(config, now).map_err(|e| fail(1, e))?;
    let store = ctx.open_store(now).map_err(|e| fail(1, e))?;
    Ok((ctx, store))
}

pub fn agency(config: &Path, action: AgencyAction) -> ExitCode {
    let (_, store) = match open(config) {
        Ok(x) => x,
        Err(code) => return code,
    };
    match action {
        AgencyAction::Add { name, contract_end } => match store.create_agency(&name, contract_end, Utc::now()) {
            Ok(id) => {
                let _ = store.audit(Utc::now(), "cli", "agency.add", None, &format!("agency {id}"));
                println!("agency {id}: {}", name.trim());
                ExitCode::SUCCESS
            }
            Err(e) => fail(2, e),
        },
        AgencyAction::ApiKey { agency, label } => match store.create_api_key(agency, &label, Utc::now()) {
            Ok(key) => {
                let _ = store.audit(Utc::now(), "cli", "agency.api_key", None, &format!("agency {agency} ({label})"));
                println!("API key for agency {agency} (shown once): {key}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(2, e),
        },
        AgencyAction::List => match store.agencies() {
            Ok(list) => {
                for a in list {
                    let end = a.contract_end.map(|d| d.to_string()).unwrap_or_else(|| "-".into());
                    println!("{:>5}  {}  (contract end {end})", a.id, a.name);
                }
                ExitCode::SUCCESS
            }
            Err(e) => fail(1, e),
        },
    }
}

pub fn agent(config: &Path, action: AgentAction) -> ExitCode {
    let (ctx, store) = match open(config) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let AgentAction::Add { agency, name, phone } = action;
    let phone = match Phone::parse(&phone) {
        Ok(p) => p,
        Err(e) => return fail(2, e),
    };
    match store.create_agent(agency, &name, &phone, Utc::now()) {
        Ok((id, secret)) => {
            let masked: MaskedPhone = phone.masked();
            let _ = store.audit(Utc::now(), "cli", "agent.add", None, &format!("agent {id} ({masked})"));
            println!("agent {id}: {} {masked}", name.trim());
            println!("invitation (valid 7 days, shown once): {}/invite/{secret}", ctx.deployment.server.public_url);
            ExitCode::SUCCESS
        }
        Err(e) => fail(2, e),
    }
}

pub fn staff(config: &Path, action: StaffAction) -> ExitCode {
    let (_, store) = match open(config) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let StaffAction::Add { project, login, name, role } = action;
    let Some(role) = Role::parse(&role) else {
        return fail(2, "--role must be admin, manager, desk or sales");
    };
    let mut rng = rand::thread_rng();
    let password: String =
        (0..12).map(|_| char::from(b"abcdefghjkmnpqrstuvwxyz23456789"[rng.gen_range(0..31)])).collect();
    let pin = matches!(role, Role::Desk | Role::Sales).then(|| format!("{:06}", rng.gen_range(0..1_000_000)));
    let new = NewStaff {
        project_id: project.as_deref(),
        login: &login,
        name: &name,
        role,
        password: Some(&password),
        pin: pin.as_deref(),
    };
    match store.create_staff(&new, Utc::now()) {
        Ok(id) => {
            let _ =
                store.audit(Utc::now(), "cli", "staff.add", project.as_deref(), &format!("staff {id} {}", role.code()));
            println!("staff {id}: {} ({})", name.trim(), role.code());
            println!("password (shown once): {password}");
            if let Some(pin) = pin {
                println!("kiosk PIN (shown once): {pin}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(2, e),
    }
}

#[derive(Subcommand)]
pub enum KioskAction {
    /// Add a kiosk (desk tablet) to a project; prints its one-time pairing code.
    Add {
        #[arg(long)]
        project: String,
        #[arg(long)]
        name: String,
    },
    /// Revoke a kiosk: the tablet is signed out at once and cannot pair again.
    Revoke { id: i64 },
}

pub fn kiosk(config: &Path, action: KioskAction) -> ExitCode {
    let (ctx, store) = match open(config) {
        Ok(x) => x,
        Err(code) => return code,
    };
    match action {
        KioskAction::Add { project, name } => match store.create_kiosk(&project, &name, Utc::now()) {
            Ok((kiosk, code)) => {
                println!("kiosk {}: {} ({})", kiosk.id, kiosk.name, kiosk.project_id);
                println!(
                    "open {}/kiosk on the tablet and enter the pairing code (valid 24 h, once): {code}",
                    ctx.deployment.server.public_url
                );
                ExitCode::SUCCESS
            }
            Err(e) => fail(2, e),
        },
        KioskAction::Revoke { id } => match store.revoke_kiosk(id, Utc::now()) {
            Ok(()) => {
                println!("kiosk {id} revoked");
                ExitCode::SUCCESS
            }
            Err(e) => fail(2, e),
        },
    }
}
