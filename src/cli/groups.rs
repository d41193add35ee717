//! `panke group …`: customer groups (直系亲属 = one customer). Only a
//! manager (or admin) links or unlinks, named with `--by`; every change is
//! audited with who and why.

use super::fail;
use crate::domain::phone::Phone;
use crate::store::people::Role;
use chrono::Utc;
use clap::Subcommand;
use std::path::Path;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum GroupAction {
    /// Link phones as one customer (spouse, parents, children).
    Link {
        #[arg(long)]
        project: String,
        /// The manager's login.
        #[arg(long)]
        by: String,
        /// Why (e.g. 户口本 seen at the desk).
        #[arg(long)]
        reason: String,
        /// Two or more full phone numbers.
        #[arg(required = true, num_args = 2..)]
        phones: Vec<String>,
    },
    /// Take a phone out of its group.
    Unlink {
        #[arg(long)]
        project: String,
        #[arg(long)]
        by: String,
        #[arg(long)]
        reason: String,
        phone: String,
    },
    /// Show a phone's group (masked).
    Show {
        #[arg(long)]
        project: String,
        phone: String,
    },
}

pub fn group(config: &Path, action: GroupAction) -> ExitCode {
    let (_ctx, mut store) = match super::people::open(config) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let manager = |store: &crate::store::Store, project: &str, login: &str| -> Result<String, ExitCode> {
        match store.staff_by_login(login) {
            Ok(Some(s))
                if matches!(s.role, Role::Manager | Role::Admin)
                    && s.project_id.as_deref().is_none_or(|p| p == project) =>
            {
                Ok(format!("staff:{}", s.id))
            }
            Ok(_) => Err(fail(2, format_args!("`{login}` is not a manager of project `{project}`"))),
            Err(e) => Err(fail(1, e)),
        }
    };
    let phone = |raw: &str| Phone::parse(raw).map_err(|e| fail(2, e));
    match action {
        GroupAction::Link { project, by, reason, phones } => {
            let actor = match manager(&store, &project, &by) {
                Ok(a) => a,
                Err(code) => return code,
            };
            let parsed = match phones.iter().map(|p| phone(p)).collect::<Result<Vec<_>, _>>() {
                Ok(p) => p,
                Err(code) => return code,
            };
            match store.link_group(&project, &parsed, &actor, &reason, Utc::now()) {
                Ok(members) => {
                    let shown: Vec<String> = members.iter().map(|p| p.masked().to_string()).collect();
                    println!("linked as one customer: {}", shown.join(", "));
                    ExitCode::SUCCESS
                }
                Err(e) => fail(2, e),
            }
        }
        GroupAction::Unlink { project, by, reason, phone: raw } => {
            let actor = match manager(&store, &project, &by) {
                Ok(a) => a,
                Err(code) => return code,
            };
            let p = match phone(&raw) {
                Ok(p) => p,
                Err(code) => return code,
            };
            match store.unlink_group(&project, &p, &actor, &reason, Utc::now()) {
                Ok(()) => {
                    println!("{} unlinked", p.masked());
                    ExitCode::SUCCESS
                }
                Err(e) => fail(2, e),
            }
        }
        GroupAction::Show { project, phone: raw } => {
            let p = match phone(&raw) {
                Ok(p) => p,
                Err(code) => return code,
            };
            match store.group_phones(&project, &p) {
                Ok(others) => {
                    let shown: Vec<String> = others.iter().map(|o| o.masked().to_string()).collect();
                    println!(
                        "{}: {}",
                        p.masked(),
                        if shown.is_empty() { "no group".to_owned() } else { shown.join(", ") }
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => fail(1, e),
            }
        }
    }
}
