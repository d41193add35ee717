//! `panke agency|agent|staff|kiosk …`: what the back office's people and
//! devices pages do (`/staff/people`), from the command line. Passwords,
//! PINs, invitations and keys are generated and shown once.

use super::fail;
use crate::app::Context;
use crate::domain::phone::{MaskedPhone, Phone};
use crate::store::people::{By, NewStaff, Role, generated_password, generated_pin};
use crate::store::sessions::SessionKind;
use chrono::{NaiveDate, Utc};
use clap::Subcommand;
use std::path::Path;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum AgencyAction {
    /// Add an agency. It reports for every project unless --project names
    /// the one project it may report for (合作项目; more in the back office).
    Add {
        name: String,
        /// Last day of the agency contract (委托代理期到期日), YYYY-MM-DD.
        #[arg(long)]
        contract_end: Option<NaiveDate>,
        /// The only project the agency may report for (default: every project).
        #[arg(long)]
        project: Option<String>,
    },
    /// List agencies.
    List,
    /// Issue an API key for the agency's own systems (shown once).
    ApiKey {
        agency: i64,
        #[arg(long, default_value = "api")]
        label: String,
    },
    /// List an agency's API keys: ids, labels, revoked or not (never the keys).
    Keys { agency: i64 },
    /// Revoke an API key: by its id (see `agency keys`) or the full key.
    RevokeKey {
        /// The key's id, or the whole key (pk_…).
        key: String,
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
    /// Disable an agent: no more sign-ins, every session ends.
    Disable { phone: String },
    /// Sign an agent out everywhere (every session ends; the agent may sign in again).
    SignOut { phone: String },
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
    /// Disable a staff member: no more sign-ins (password or PIN), every session ends.
    Disable { login: String },
    /// Sign a staff member out everywhere, kiosks included (they may sign in again).
    SignOut { login: String },
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
        AgencyAction::Add { name, contract_end, project } => {
            let by = By { actor: "cli", project: None };
            match store.add_agency(&name, contract_end, project.as_deref(), by, Utc::now()) {
                Ok(id) => {
                    let scope = project.map(|p| format!("project {p} only")).unwrap_or_else(|| "every project".into());
                    println!("agency {id}: {} (reports for {scope})", name.trim());
                    ExitCode::SUCCESS
                }
                Err(e) => fail(2, e),
            }
        }
        AgencyAction::ApiKey { agency, label } => match store.create_api_key(agency, &label, Utc::now()) {
            Ok(key) => {
                let _ = store.audit(Utc::now(), "cli", "agency.api_key", None, &format!("agency {agency} ({label})"));
                println!("API key for agency {agency} (shown once): {key}");
                if let Ok(Some(id)) = store.api_key_id(&key) {
                    println!("key id {id} (to revoke it: panke agency revoke-key {id})");
                }
                ExitCode::SUCCESS
            }
            Err(e) => fail(2, e),
        },
        AgencyAction::Keys { agency } => match store.api_keys(agency) {
            Ok(keys) => {
                for k in keys {
                    let state = k.revoked_at.map(|at| format!("revoked {at}")).unwrap_or_else(|| "live".into());
                    println!("{:>5}  {}  created {}  {state}", k.id, k.label, k.created_at);
                }
                ExitCode::SUCCESS
            }
            Err(e) => fail(1, e),
        },
        AgencyAction::RevokeKey { key } => {
            let key = key.trim();
            let id = match key.parse::<i64>() {
                Ok(id) => id,
                Err(_) if key.starts_with("pk_") => match store.api_key_id(key) {
                    Ok(Some(id)) => id,
                    Ok(None) => {
                        return fail(
                            2,
                            "no such API key; only whole keys are recognised (the database keeps their SHA-256, \
                             not a prefix): give the key id from `panke agency keys <agency>`",
                        );
                    }
                    Err(e) => return fail(1, e),
                },
                Err(_) => return fail(2, "give the API key's id (see `panke agency keys <agency>`) or the whole key"),
            };
            match store.revoke_api_key(id, "cli", Utc::now()) {
                Ok(k) => {
                    println!("API key {} of agency {} ({}) revoked", k.id, k.agency_id, k.label);
                    ExitCode::SUCCESS
                }
                Err(e) => fail(2, e),
            }
        }
        AgencyAction::List => match store.agencies() {
            Ok(list) => {
                for a in list {
                    let end = a.contract_end.map(|d| d.to_string()).unwrap_or_else(|| "-".into());
                    let scope = if a.all_projects { "every project".to_owned() } else { a.projects.join(", ") };
                    println!("{:>5}  {}  (contract end {end}; reports for {scope})", a.id, a.name);
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
    let (agency, name, phone) = match action {
        AgentAction::Add { agency, name, phone } => (agency, name, phone),
        AgentAction::Disable { phone } => return agent_off(&store, &phone, true),
        AgentAction::SignOut { phone } => return agent_off(&store, &phone, false),
    };
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
    let (project, login, name, role) = match action {
        StaffAction::Add { project, login, name, role } => (project, login, name, role),
        StaffAction::Disable { login } => return staff_off(&store, &login, true),
        StaffAction::SignOut { login } => return staff_off(&store, &login, false),
    };
    let Some(role) = Role::parse(&role) else {
        return fail(2, "--role must be admin, manager, desk or sales");
    };
    let password = generated_password();
    let pin = matches!(role, Role::Desk | Role::Sales).then(generated_pin);
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

/// Disables an agent (`disable`) or only ends their sessions (`sign-out`).
fn agent_off(store: &crate::store::Store, phone: &str, disable: bool) -> ExitCode {
    let phone = match Phone::parse(phone) {
        Ok(p) => p,
        Err(e) => return fail(2, e),
    };
    let agent = match store.agent_by_phone(&phone) {
        Ok(Some(a)) => a,
        Ok(None) => return fail(2, format_args!("no agent with phone {}", phone.masked())),
        Err(e) => return fail(1, e),
    };
    let now = Utc::now();
    let ended = if disable {
        store.disable_agent(agent.id, "cli", now)
    } else {
        store.end_all_sessions(SessionKind::Agent, agent.id, "cli", now)
    };
    match ended {
        Ok(n) => {
            let what = if disable { "disabled" } else { "signed out everywhere" };
            println!("agent {}: {} {} {what}; {n} session(s) ended", agent.id, agent.name, phone.masked());
            ExitCode::SUCCESS
        }
        Err(e) => fail(2, e),
    }
}

/// Disables a staff member (`disable`) or only ends their sessions
/// (`sign-out`), kiosk PIN sessions included.
fn staff_off(store: &crate::store::Store, login: &str, disable: bool) -> ExitCode {
    let id = match store.staff_id_by_login(login) {
        Ok(Some(id)) => id,
        Ok(None) => return fail(2, format_args!("no staff member with login {:?}", login.trim())),
        Err(e) => return fail(1, e),
    };
    let now = Utc::now();
    let ended = if disable {
        store.disable_staff(id, "cli", now)
    } else {
        store.end_all_sessions(SessionKind::Staff, id, "cli", now)
    };
    match ended {
        Ok(n) => {
            let what = if disable { "disabled" } else { "signed out everywhere" };
            println!("staff {id} ({}) {what}; {n} session(s) ended", login.trim());
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
    /// Revoke a kiosk: the tablet, and every staff member who signed in on it
    /// with a PIN, are signed out at once; it cannot pair again.
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
