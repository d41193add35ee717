//! Projects, agencies (渠道公司), agents (经纪人) and staff. Agencies and
//! agents are shared across the deployment's projects; staff belong to one
//! project (admins to none).

use super::{Store, StoreError, StoreResult, unique_violation};
use crate::domain::name::visible_text;
use crate::domain::phone::Phone;
use crate::password::{check_password_policy, check_pin_policy, hash_secret, verify_secret};
use crate::time::stamp;
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{OptionalExtension, params};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    Manager,
    /// 判客岗
    Desk,
    /// 置业顾问
    Sales,
}

impl Role {
    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Desk => "desk",
            Role::Sales => "sales",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        [Role::Admin, Role::Manager, Role::Desk, Role::Sales].into_iter().find(|r| r.code() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agency {
    pub id: i64,
    pub name: String,
    pub contract_end: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    pub id: i64,
    pub agency_id: i64,
    pub agency_name: String,
    pub name: String,
    pub phone: String,
    pub active: bool,
}

/// A staff member to create; secrets are hashed before they are stored.
#[derive(Debug, Clone, Copy)]
pub struct NewStaff<'a> {
    pub project_id: Option<&'a str>,
    pub login: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub password: Option<&'a str>,
    pub pin: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    pub id: i64,
    pub project_id: Option<String>,
    pub login: String,
    pub name: String,
    pub role: Role,
}

fn invite_hash(secret: &str) -> String {
    crate::crypto::sha256_hex(secret.as_bytes())
}

const INVITE_DAYS: i64 = 7;

/// A name as it is stored: NFC, trimmed, with no control or text-direction
/// characters and something visible (the rule customer names follow).
fn checked_name(raw: &str, field_zh: &str, field_en: &str) -> StoreResult<String> {
    visible_text(raw).map_err(|e| {
        let (zh, en) = e.problem();
        StoreError::Invalid(format!("{field_zh}{zh} / the {field_en} {en}"))
    })
}

impl Store {
    /// Creates or renames a project from its config file. Returns true when
    /// its rules changed since the last start (written to the audit log).
    pub fn sync_project(&self, id: &str, name: &str, rules_sha256: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        let before: Option<String> =
            self.conn.query_row("SELECT rules_sha256 FROM projects WHERE id = ?1", [id], |r| r.get(0)).optional()?;
        self.conn.execute(
            "INSERT INTO projects (id, name, rules_sha256, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(id) DO UPDATE SET name = excluded.name, rules_sha256 = excluded.rules_sha256",
            params![id, name, rules_sha256, stamp(now)],
        )?;
        let changed = before.as_deref() != Some(rules_sha256);
        if changed {
            let what = if before.is_some() { "rules changed" } else { "project added" };
            self.audit(now, "system", "config.project", Some(id), &format!("{what}; rules sha256 {rules_sha256}"))?;
        }
        Ok(changed)
    }

    pub fn projects(&self) -> StoreResult<Vec<Project>> {
        let mut stmt = self.conn.prepare("SELECT id, name FROM projects ORDER BY id")?;
        let rows = stmt.query_map([], |r| Ok(Project { id: r.get(0)?, name: r.get(1)? }))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn project(&self, id: &str) -> StoreResult<Project> {
        self.conn
            .query_row("SELECT id, name FROM projects WHERE id = ?1", [id], |r| {
                Ok(Project { id: r.get(0)?, name: r.get(1)? })
            })
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("project {id}")))
    }

    pub fn create_agency(&self, name: &str, contract_end: Option<NaiveDate>, now: DateTime<Utc>) -> StoreResult<i64> {
        if name.trim().is_empty() {
            return Err(StoreError::Invalid("渠道公司名称不能为空 / the agency needs a name".into()));
        }
        let name = checked_name(name, "渠道公司名称", "agency name")?;
        self.conn
            .execute(
                "INSERT INTO agencies (name, contract_end, created_at) VALUES (?1, ?2, ?3)",
                params![name, contract_end.map(|d| d.to_string()), stamp(now)],
            )
            .map_err(|e| unique_violation(e, "已有同名渠道公司 / an agency with this name exists"))?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn agency_by_name(&self, name: &str) -> StoreResult<Option<i64>> {
        Ok(self.conn.query_row("SELECT id FROM agencies WHERE name = ?1", [name.trim()], |r| r.get(0)).optional()?)
    }

    pub fn agent_by_phone(&self, phone: &Phone) -> StoreResult<Option<Agent>> {
        let id: Option<i64> =
            self.conn.query_row("SELECT id FROM agents WHERE phone = ?1", [phone.as_str()], |r| r.get(0)).optional()?;
        id.map(|id| self.agent(id)).transpose()
    }

    pub fn agencies(&self) -> StoreResult<Vec<Agency>> {
        let mut stmt = self.conn.prepare("SELECT id, name, contract_end FROM agencies ORDER BY name")?;
        let rows = stmt.query_map([], |r| {
            let end: Option<String> = r.get(2)?;
            Ok(Agency { id: r.get(0)?, name: r.get(1)?, contract_end: end.and_then(|d| d.parse().ok()) })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Creates an agent with no password and returns the one-time
    /// invitation secret for the link the agent opens to set one.
    pub fn create_agent(
        &self,
        agency_id: i64,
        name: &str,
        phone: &Phone,
        now: DateTime<Utc>,
    ) -> StoreResult<(i64, String)> {
        if name.trim().is_empty() {
            return Err(StoreError::Invalid("经纪人姓名不能为空 / the agent needs a name".into()));
        }
        let name = checked_name(name, "经纪人姓名", "agent name")?;
        let secret = crate::crypto::random_secret();
        self.conn
            .execute(
                "INSERT INTO agents (agency_id, name, phone, invite_sha256, invite_expires_at, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![agency_id, name, phone.as_str(), invite_hash(&secret), now.timestamp() + INVITE_DAYS * 86_400, stamp(now)],
            )
            .map_err(|e| unique_violation(e, "该手机号已注册为经纪人,或渠道公司不存在 / this phone already belongs to an agent, or the agency does not exist"))?;
        Ok((self.conn.last_insert_rowid(), secret))
    }

    /// Sets the password of the agent the invitation was for; the
    /// invitation then stops working.
    pub fn accept_invite(&self, secret: &str, password: &str, now: DateTime<Utc>) -> StoreResult<i64> {
        check_password_policy(password).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let found: Option<(i64, i64)> = self
            .conn
            .query_row(
                "SELECT id, invite_expires_at FROM agents WHERE invite_sha256 = ?1 AND active = 1",
                [invite_hash(secret.trim())],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let id = match found {
            Some((id, expires)) if expires >= now.timestamp() => id,
            _ => {
                return Err(StoreError::Invalid(
                    "邀请链接无效或已过期,请联系案场经理 / the invitation is invalid or has expired".into(),
                ));
            }
        };
        let hash = hash_secret(password).map_err(|e| StoreError::Invalid(e.to_string()))?;
        self.conn.execute(
            "UPDATE agents SET password_hash = ?1, invite_sha256 = NULL, invite_expires_at = NULL WHERE id = ?2",
            params![hash, id],
        )?;
        self.audit(now, &format!("agent:{id}"), "agent.invite_accepted", None, "")?;
        Ok(id)
    }

    pub fn agent(&self, id: i64) -> StoreResult<Agent> {
        self.conn
            .query_row(
                "SELECT a.id, a.agency_id, g.name, a.name, a.phone, a.active FROM agents a JOIN agencies g ON g.id = a.agency_id WHERE a.id = ?1",
                [id],
                |r| {
                    Ok(Agent {
                        id: r.get(0)?,
                        agency_id: r.get(1)?,
                        agency_name: r.get(2)?,
                        name: r.get(3)?,
                        phone: r.get(4)?,
                        active: r.get(5)?,
                    })
                },
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("agent {id}")))
    }

    /// The agent whose phone and password these are, if any.
    pub fn check_agent_password(&self, phone: &Phone, password: &str) -> StoreResult<Option<Agent>> {
        let found: Option<(i64, Option<String>)> = self
            .conn
            .query_row("SELECT id, password_hash FROM agents WHERE phone = ?1 AND active = 1", [phone.as_str()], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        match found {
            Some((id, Some(hash))) if verify_secret(password, &hash) => Ok(Some(self.agent(id)?)),
            _ => Ok(None),
        }
    }

    pub fn create_staff(&self, new: &NewStaff<'_>, now: DateTime<Utc>) -> StoreResult<i64> {
        let NewStaff { project_id, login, name, role, password, pin } = *new;
        let invalid = |e: crate::password::SecretError| StoreError::Invalid(e.to_string());
        let hash_checked = |secret: Option<&str>, policy: fn(&str) -> Result<(), crate::password::SecretError>| {
            secret
                .map(|s| {
                    policy(s).map_err(invalid)?;
                    hash_secret(s).map_err(invalid)
                })
                .transpose()
        };
        let password_hash = hash_checked(password, check_password_policy)?;
        let pin_hash = hash_checked(pin, check_pin_policy)?;
        if role != Role::Admin && project_id.is_none() {
            return Err(StoreError::Invalid(
                "除管理员外,员工必须属于一个项目 / staff other than admins belong to a project".into(),
            ));
        }
        self.conn
            .execute(
                "INSERT INTO staff (project_id, login, name, role, password_hash, pin_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![project_id, login.trim(), name.trim(), role.code(), password_hash, pin_hash, stamp(now)],
            )
            .map_err(|e| unique_violation(e, "登录名已被使用,或项目不存在 / the login is taken, or the project does not exist"))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// An active staff member by login.
    pub fn staff_by_login(&self, login: &str) -> StoreResult<Option<Staff>> {
        let id: Option<i64> = self
            .conn
            .query_row("SELECT id FROM staff WHERE login = ?1 AND active = 1", [login.trim()], |r| r.get(0))
            .optional()?;
        id.map(|id| self.staff(id)).transpose()
    }

    pub fn staff(&self, id: i64) -> StoreResult<Staff> {
        self.conn
            .query_row(
                "SELECT id, project_id, login, name, role FROM staff WHERE id = ?1 AND active = 1",
                [id],
                read_staff,
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("staff {id}")))
    }

    /// Staff of a project in a role, by name (the kiosk's pick list).
    pub fn project_staff(&self, project_id: &str, role: Role) -> StoreResult<Vec<Staff>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, project_id, login, name, role FROM staff WHERE project_id = ?1 AND role = ?2 AND active = 1 ORDER BY id",
        )?;
        let rows = stmt.query_map(params![project_id, role.code()], read_staff)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn check_staff_password(&self, login: &str, password: &str) -> StoreResult<Option<Staff>> {
        self.check_staff_secret("SELECT id, password_hash FROM staff WHERE login = ?1 AND active = 1", login, password)
    }

    pub fn check_staff_pin(&self, staff_id: i64, pin: &str) -> StoreResult<Option<Staff>> {
        self.check_staff_secret(
            "SELECT id, pin_hash FROM staff WHERE id = ?1 AND active = 1",
            &staff_id.to_string(),
            pin,
        )
    }

    /// The id of the staff member with this login, active or not.
    pub fn staff_id_by_login(&self, login: &str) -> StoreResult<Option<i64>> {
        Ok(self.conn.query_row("SELECT id FROM staff WHERE login = ?1", [login.trim()], |r| r.get(0)).optional()?)
    }

    /// Disables an agent: no more sign-ins, and every session ends, in one
    /// transaction with the audit entry. Returns how many sessions ended.
    pub fn disable_agent(&self, agent_id: i64, actor: &str, now: DateTime<Utc>) -> StoreResult<usize> {
        let agent = self.agent(agent_id)?;
        let masked = Phone::parse(&agent.phone).map(|p| p.masked().to_string()).unwrap_or_default();
        self.all_or_nothing(|store| {
            store.conn.execute("UPDATE agents SET active = 0 WHERE id = ?1", [agent_id])?;
            let ended = store.end_sessions_of(super::sessions::SessionKind::Agent, agent_id)?;
            store.audit(
                now,
                actor,
                "agent.disable",
                None,
                &format!("agent {agent_id} ({masked}); {ended} session(s) ended"),
            )?;
            Ok(ended)
        })
    }

    /// Disables a staff member: no more sign-ins (password or PIN), and
    /// every session ends, in one transaction with the audit entry.
    /// Returns how many sessions ended.
    pub fn disable_staff(&self, staff_id: i64, actor: &str, now: DateTime<Utc>) -> StoreResult<usize> {
        let project: Option<Option<String>> =
            self.conn.query_row("SELECT project_id FROM staff WHERE id = ?1", [staff_id], |r| r.get(0)).optional()?;
        let Some(project) = project else {
            return Err(StoreError::NotFound(format!("staff {staff_id}")));
        };
        self.all_or_nothing(|store| {
            store.conn.execute("UPDATE staff SET active = 0 WHERE id = ?1", [staff_id])?;
            let ended = store.end_sessions_of(super::sessions::SessionKind::Staff, staff_id)?;
            store.audit(
                now,
                actor,
                "staff.disable",
                project.as_deref(),
                &format!("staff {staff_id}; {ended} session(s) ended"),
            )?;
            Ok(ended)
        })
    }

    fn check_staff_secret(&self, sql: &str, key: &str, secret: &str) -> StoreResult<Option<Staff>> {
        let found: Option<(i64, Option<String>)> =
            self.conn.query_row(sql, [key], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
        match found {
            Some((id, Some(hash))) if verify_secret(secret, &hash) => Ok(Some(self.staff(id)?)),
            _ => Ok(None),
        }
    }
}

fn read_staff(r: &rusqlite::Row<'_>) -> rusqlite::Result<Staff> {
    let role: String = r.get(4)?;
    Ok(Staff {
        id: r.get(0)?,
        project_id: r.get(1)?,
        login: r.get(2)?,
        name: r.get(3)?,
        role: Role::parse(&role).unwrap_or(Role::Sales),
    })
}
