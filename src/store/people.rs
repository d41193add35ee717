//! Projects, agencies (渠道公司), agents (经纪人) and staff. Agencies and
//! agents are shared across the deployment's projects; staff belong to one
//! project (admins to none).

use super::sessions::SessionKind;
use super::{Store, StoreError, StoreResult, unique_violation};
use crate::domain::name::visible_text;
use crate::domain::phone::Phone;
use crate::password::{check_password_policy, check_pin_policy, hash_secret, verify_secret};
use crate::time::stamp;
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, params};

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
    /// Reports for every project of the deployment; else only for
    /// `projects` (合作项目).
    pub all_projects: bool,
    /// The partner projects listed, by id (not consulted while
    /// `all_projects`).
    pub projects: Vec<String>,
}

impl Agency {
    /// May this agency report for `project_id`?
    pub fn reports_for(&self, project_id: &str) -> bool {
        self.all_projects || self.projects.iter().any(|p| p == project_id)
    }

    /// Is `today` (a local date) after the last day of its contract?
    pub fn contract_ended(&self, today: NaiveDate) -> bool {
        self.contract_end.is_some_and(|end| today > end)
    }
}

/// Who makes a change, as the audit log names them (`staff:3`, `cli`),
/// and the project the entry is filed under: a manager's own, so it shows
/// in their audit log; `None` for an admin or the command line.
#[derive(Debug, Clone, Copy)]
pub struct By<'a> {
    pub actor: &'a str,
    pub project: Option<&'a str>,
}

/// Where an agent stands on their agency's roster (带看人员名单).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentStatus {
    /// Added (or reset): has not set a password from the invitation yet.
    Invited,
    Active,
    /// Left the roster: no sign-in, no reports.
    Disabled,
}

impl AgentStatus {
    pub fn code(self) -> &'static str {
        match self {
            AgentStatus::Invited => "invited",
            AgentStatus::Active => "active",
            AgentStatus::Disabled => "disabled",
        }
    }
}

/// One line of an agency's roster: who, since when, until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterEntry {
    pub id: i64,
    pub agency_id: i64,
    pub name: String,
    /// 前三后四: the roster never carries a full number.
    pub phone_masked: String,
    pub status: AgentStatus,
    /// Joined the roster (added), RFC 3339.
    pub joined_at: String,
    /// Left it (disabled), RFC 3339; `None` while on it (or disabled
    /// before schema 11 kept the date).
    pub left_at: Option<String>,
    /// When a pending invitation stops working (unix seconds).
    pub invite_expires_unix: Option<i64>,
}

/// A staff member as the back office lists them, active or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffEntry {
    pub id: i64,
    pub project_id: Option<String>,
    pub login: String,
    pub name: String,
    pub role: Role,
    pub active: bool,
    pub has_pin: bool,
    pub created_at: String,
    pub disabled_at: Option<String>,
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
/// characters and something visible (the rule customer names follow), at
/// most 40 characters.
pub(crate) fn checked_name(raw: &str, field_zh: &str, field_en: &str) -> StoreResult<String> {
    let name = visible_text(raw).map_err(|e| {
        let (zh, en) = e.problem();
        StoreError::Invalid(format!("{field_zh}{zh} / the {field_en} {en}"))
    })?;
    if name.chars().count() > 40 {
        return Err(StoreError::Invalid(format!("{field_zh}最多 40 个字 / the {field_en} has at most 40 characters")));
    }
    Ok(name)
}

/// A staff login: 2–40 ASCII letters, digits or `. _ - @`.
fn checked_login(raw: &str) -> StoreResult<String> {
    let login = raw.trim();
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b".-_@".contains(&b);
    if (2..=40).contains(&login.len()) && login.bytes().all(allowed) {
        Ok(login.to_owned())
    } else {
        Err(StoreError::Invalid(
            "登录名为 2–40 位字母、数字或 . _ - @ / a login is 2 to 40 letters, digits or . _ - @".into(),
        ))
    }
}

/// A password to hand over once (12 letters and digits, no look-alikes).
pub fn generated_password() -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rngs::OsRng;
    (0..12).map(|_| char::from(CHARS[rng.gen_range(0..CHARS.len())])).collect()
}

/// A kiosk PIN to hand over once (6 digits).
pub fn generated_pin() -> String {
    use rand::Rng;
    format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000))
}

/// May `agency_id` report for `project_id` (合作项目)? `false` for an
/// unknown agency.
pub(crate) fn agency_reports_for_in(conn: &Connection, agency_id: i64, project_id: &str) -> StoreResult<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT all_projects = 1 OR EXISTS (SELECT 1 FROM agency_projects WHERE agency_id = ?1 AND project_id = ?2)
             FROM agencies WHERE id = ?1",
        )?
        .query_row(params![agency_id, project_id], |r| r.get::<_, bool>(0))
        .optional()?
        .unwrap_or(false))
}

fn read_agency(r: &rusqlite::Row<'_>) -> rusqlite::Result<Agency> {
    let end: Option<String> = r.get(2)?;
    Ok(Agency {
        id: r.get(0)?,
        name: r.get(1)?,
        contract_end: end.and_then(|d| d.parse().ok()),
        all_projects: r.get(3)?,
        projects: Vec::new(),
    })
}

fn read_roster_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<RosterEntry> {
    let phone: String = r.get(3)?;
    let (active, has_password): (bool, bool) = (r.get(4)?, r.get(5)?);
    Ok(RosterEntry {
        id: r.get(0)?,
        agency_id: r.get(1)?,
        name: r.get(2)?,
        phone_masked: Phone::parse(&phone).map(|p| p.masked().to_string()).unwrap_or_else(|_| "***".into()),
        status: match (active, has_password) {
            (false, _) => AgentStatus::Disabled,
            (true, false) => AgentStatus::Invited,
            (true, true) => AgentStatus::Active,
        },
        joined_at: r.get(6)?,
        left_at: r.get(7)?,
        invite_expires_unix: r.get(8)?,
    })
}

const ROSTER_COLUMNS: &str = "SELECT id, agency_id, name, phone, active, password_hash IS NOT NULL, created_at, disabled_at, invite_expires_at FROM agents";

fn read_staff_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<StaffEntry> {
    let role: String = r.get(4)?;
    Ok(StaffEntry {
        id: r.get(0)?,
        project_id: r.get(1)?,
        login: r.get(2)?,
        name: r.get(3)?,
        role: Role::parse(&role).unwrap_or(Role::Sales),
        active: r.get(5)?,
        has_pin: r.get(6)?,
        created_at: r.get(7)?,
        disabled_at: r.get(8)?,
    })
}

const STAFF_COLUMNS: &str =
    "SELECT id, project_id, login, name, role, active, pin_hash IS NOT NULL, created_at, disabled_at FROM staff";

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

    /// Every agency, by name, with its partner projects.
    pub fn agencies(&self) -> StoreResult<Vec<Agency>> {
        let mut stmt = self.conn.prepare("SELECT id, name, contract_end, all_projects FROM agencies ORDER BY name")?;
        let rows = stmt.query_map([], read_agency)?;
        let mut list: Vec<Agency> = rows.collect::<rusqlite::Result<_>>()?;
        let mut links = self.conn.prepare("SELECT agency_id, project_id FROM agency_projects ORDER BY project_id")?;
        let pairs = links.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        for pair in pairs {
            let (agency_id, project) = pair?;
            if let Some(a) = list.iter_mut().find(|a| a.id == agency_id) {
                a.projects.push(project);
            }
        }
        Ok(list)
    }

    pub fn agency(&self, id: i64) -> StoreResult<Agency> {
        let mut agency = self
            .conn
            .query_row("SELECT id, name, contract_end, all_projects FROM agencies WHERE id = ?1", [id], read_agency)
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("agency {id}")))?;
        let mut stmt =
            self.conn.prepare("SELECT project_id FROM agency_projects WHERE agency_id = ?1 ORDER BY project_id")?;
        agency.projects = stmt.query_map([id], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(agency)
    }

    /// Adds an agency from the back office, audited with the insert: it
    /// reports for `project` only (合作项目), or for every project when
    /// `project` is `None` (an admin's choice).
    pub fn add_agency(
        &self,
        name: &str,
        contract_end: Option<NaiveDate>,
        project: Option<&str>,
        by: By<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<i64> {
        self.all_or_nothing(|store| {
            let id = store.create_agency(name, contract_end, now)?;
            if let Some(p) = project {
                store.conn.execute("UPDATE agencies SET all_projects = 0 WHERE id = ?1", [id])?;
                store
                    .conn
                    .execute(
                        "INSERT INTO agency_projects (agency_id, project_id, added_at) VALUES (?1, ?2, ?3)",
                        params![id, p, stamp(now)],
                    )
                    .map_err(|e| unique_violation(e, "项目不存在 / no such project"))?;
            }
            let end = contract_end.map(|d| d.to_string()).unwrap_or_else(|| "-".into());
            let scope = project.map(|p| format!("project {p} only")).unwrap_or_else(|| "every project".into());
            store.audit(
                now,
                by.actor,
                "agency.add",
                project.or(by.project),
                &format!("agency {id} {}; contract end {end}; reports for {scope}", name.trim()),
            )?;
            Ok(id)
        })
    }

    /// Sets (or clears) an agency's contract end (委托代理期到期日).
    pub fn set_agency_contract_end(
        &self,
        id: i64,
        contract_end: Option<NaiveDate>,
        by: By<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.all_or_nothing(|store| {
            let end = contract_end.map(|d| d.to_string());
            let changed =
                store.conn.execute("UPDATE agencies SET contract_end = ?1 WHERE id = ?2", params![end, id])?;
            if changed == 0 {
                return Err(StoreError::NotFound(format!("agency {id}")));
            }
            let shown = end.unwrap_or_else(|| "-".into());
            store.audit(now, by.actor, "agency.contract_end", by.project, &format!("agency {id}: contract end {shown}"))
        })
    }

    /// Lets an agency report for `project_id`, or stops it (合作项目).
    /// Stopping one project of an agency that reported everywhere lists
    /// every other project, so they keep it. Returns whether anything
    /// changed; a change is audited under that project.
    pub fn set_agency_partner(
        &self,
        id: i64,
        project_id: &str,
        partner: bool,
        by: By<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        self.all_or_nothing(|store| {
            let agency = store.agency(id)?;
            store.project(project_id)?;
            let added = stamp(now);
            let changed =
                match (partner, agency.all_projects) {
                    (true, true) => false,
                    (true, false) => store.conn.execute(
                        "INSERT OR IGNORE INTO agency_projects (agency_id, project_id, added_at) VALUES (?1, ?2, ?3)",
                        params![id, project_id, added],
                    )? > 0,
                    (false, false) => {
                        store.conn.execute(
                            "DELETE FROM agency_projects WHERE agency_id = ?1 AND project_id = ?2",
                            params![id, project_id],
                        )? > 0
                    }
                    (false, true) => {
                        store.conn.execute("UPDATE agencies SET all_projects = 0 WHERE id = ?1", [id])?;
                        store.conn.execute("DELETE FROM agency_projects WHERE agency_id = ?1", [id])?;
                        store.conn.execute(
                            "INSERT INTO agency_projects (agency_id, project_id, added_at)
                         SELECT ?1, id, ?3 FROM projects WHERE id != ?2",
                            params![id, project_id, added],
                        )?;
                        true
                    }
                };
            if changed {
                let what = if partner { "may now report for" } else { "may no longer report for" };
                store.audit(
                    now,
                    by.actor,
                    "agency.projects",
                    Some(project_id),
                    &format!("agency {id} {} {what} project {project_id}", agency.name),
                )?;
            }
            Ok(changed)
        })
    }

    /// Lets an agency report for every project, or only for its listed
    /// ones; turning "every project" off lists every current project, so
    /// nothing changes until one is removed. Returns whether anything
    /// changed.
    pub fn set_agency_all_projects(&self, id: i64, all: bool, by: By<'_>, now: DateTime<Utc>) -> StoreResult<bool> {
        self.all_or_nothing(|store| {
            let agency = store.agency(id)?;
            if agency.all_projects == all {
                return Ok(false);
            }
            store.conn.execute("UPDATE agencies SET all_projects = ?1 WHERE id = ?2", params![all, id])?;
            if !all {
                store.conn.execute("DELETE FROM agency_projects WHERE agency_id = ?1", [id])?;
                store.conn.execute(
                    "INSERT INTO agency_projects (agency_id, project_id, added_at) SELECT ?1, id, ?2 FROM projects",
                    params![id, stamp(now)],
                )?;
            }
            let what = if all { "every project" } else { "its listed projects only" };
            store.audit(
                now,
                by.actor,
                "agency.projects",
                by.project,
                &format!("agency {id} {} reports for {what}", agency.name),
            )?;
            Ok(true)
        })
    }

    /// The agency's roster (带看人员名单), in the order agents joined.
    pub fn agency_roster(&self, agency_id: i64) -> StoreResult<Vec<RosterEntry>> {
        let mut stmt = self.conn.prepare(&format!("{ROSTER_COLUMNS} WHERE agency_id = ?1 ORDER BY created_at, id"))?;
        let rows = stmt.query_map([agency_id], read_roster_entry)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn roster_entry(&self, agent_id: i64) -> StoreResult<RosterEntry> {
        self.conn
            .query_row(&format!("{ROSTER_COLUMNS} WHERE id = ?1"), [agent_id], read_roster_entry)
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("agent {agent_id}")))
    }

    /// Adds an agent to an agency's roster, audited with the insert;
    /// returns the agent's id and the one-time invitation secret.
    pub fn add_agent(
        &self,
        agency_id: i64,
        name: &str,
        phone: &Phone,
        by: By<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<(i64, String)> {
        self.all_or_nothing(|store| {
            let (id, secret) = store.create_agent(agency_id, name, phone, now)?;
            store.audit(
                now,
                by.actor,
                "agent.add",
                by.project,
                &format!("agent {id} ({}) of agency {agency_id}", phone.masked()),
            )?;
            Ok((id, secret))
        })
    }

    /// Resets an agent's password by a new invitation: the password is
    /// cleared, every session ends, and the new one-time secret is
    /// returned. A disabled agent is not invited again.
    pub fn reinvite_agent(&self, agent_id: i64, by: By<'_>, now: DateTime<Utc>) -> StoreResult<String> {
        let secret = crate::crypto::random_secret();
        self.all_or_nothing(|store| {
            let changed = store.conn.execute(
                "UPDATE agents SET password_hash = NULL, invite_sha256 = ?1, invite_expires_at = ?2
                 WHERE id = ?3 AND active = 1",
                params![invite_hash(&secret), now.timestamp() + INVITE_DAYS * 86_400, agent_id],
            )?;
            let agent = store.agent(agent_id)?;
            if changed == 0 {
                return Err(StoreError::Conflict(
                    "该经纪人已停用,不能重新邀请 / a disabled agent cannot be invited again".into(),
                ));
            }
            let ended = store.end_sessions_of(SessionKind::Agent, agent_id)?;
            let masked = Phone::parse(&agent.phone).map(|p| p.masked().to_string()).unwrap_or_default();
            store.audit(
                now,
                by.actor,
                "agent.reinvite",
                by.project,
                &format!("agent {agent_id} ({masked}): password cleared, new invitation; {ended} session(s) ended"),
            )?;
            Ok(secret)
        })
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

    /// Sets an agent's new password (`hash`: argon2 PHC, made off the
    /// writer) after the caller checked the current one; every other
    /// session of the agent ends (`keep`: this session's secret). Returns
    /// how many sessions ended.
    pub fn set_agent_password(&self, agent_id: i64, hash: &str, keep: &str, now: DateTime<Utc>) -> StoreResult<usize> {
        self.all_or_nothing(|store| {
            store.conn.execute(
                "UPDATE agents SET password_hash = ?1 WHERE id = ?2 AND active = 1",
                params![hash, agent_id],
            )?;
            let ended = store.end_other_sessions_of(SessionKind::Agent, agent_id, keep)?;
            store.audit(
                now,
                &format!("agent:{agent_id}"),
                "agent.password_changed",
                None,
                &format!("{ended} other session(s) ended"),
            )?;
            Ok(ended)
        })
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
        self.disable_agent_by(agent_id, By { actor, project: None }, now)
    }

    /// The same, the audit entry filed under `by.project`. The agent
    /// leaves the roster at `now` (kept if already gone).
    pub fn disable_agent_by(&self, agent_id: i64, by: By<'_>, now: DateTime<Utc>) -> StoreResult<usize> {
        let agent = self.agent(agent_id)?;
        let masked = Phone::parse(&agent.phone).map(|p| p.masked().to_string()).unwrap_or_default();
        self.all_or_nothing(|store| {
            store.conn.execute(
                "UPDATE agents SET active = 0, disabled_at = coalesce(disabled_at, ?2) WHERE id = ?1",
                params![agent_id, stamp(now)],
            )?;
            let ended = store.end_sessions_of(SessionKind::Agent, agent_id)?;
            store.audit(
                now,
                by.actor,
                "agent.disable",
                by.project,
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
            store.conn.execute(
                "UPDATE staff SET active = 0, disabled_at = coalesce(disabled_at, ?2) WHERE id = ?1",
                params![staff_id, stamp(now)],
            )?;
            let ended = store.end_sessions_of(SessionKind::Staff, staff_id)?;
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

    /// Staff as the back office lists them, active first: a project's, or
    /// everyone (`None`, an admin's view).
    pub fn staff_entries(&self, project_id: Option<&str>) -> StoreResult<Vec<StaffEntry>> {
        let mut stmt = self.conn.prepare(&format!(
            "{STAFF_COLUMNS} WHERE (?1 IS NULL OR project_id = ?1) ORDER BY active DESC, coalesce(project_id, ''), id"
        ))?;
        let rows = stmt.query_map([project_id], read_staff_entry)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A staff member, active or not.
    pub fn staff_entry(&self, id: i64) -> StoreResult<StaffEntry> {
        self.conn
            .query_row(&format!("{STAFF_COLUMNS} WHERE id = ?1"), [id], read_staff_entry)
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("staff {id}")))
    }

    /// Adds a staff member from the back office (login and name checked),
    /// audited with the insert under the member's project.
    pub fn add_staff(&self, new: &NewStaff<'_>, by: By<'_>, now: DateTime<Utc>) -> StoreResult<i64> {
        let login = checked_login(new.login)?;
        let name = checked_name(new.name, "姓名", "name")?;
        self.all_or_nothing(|store| {
            let checked = NewStaff {
                project_id: new.project_id,
                login: &login,
                name: &name,
                role: new.role,
                password: new.password,
                pin: new.pin,
            };
            let id = store.create_staff(&checked, now)?;
            store.audit(
                now,
                by.actor,
                "staff.add",
                new.project_id.or(by.project),
                &format!("staff {id} {login} ({})", new.role.code()),
            )?;
            Ok(id)
        })
    }

    /// Sets a new password for an active staff member; every session of
    /// theirs ends (kiosk PIN sessions too). Returns how many ended.
    pub fn reset_staff_password(&self, id: i64, password: &str, by: By<'_>, now: DateTime<Utc>) -> StoreResult<usize> {
        let invalid = |e: crate::password::SecretError| StoreError::Invalid(e.to_string());
        check_password_policy(password).map_err(invalid)?;
        let hash = hash_secret(password).map_err(invalid)?;
        self.reset_staff_secret(id, "password_hash", &hash, "staff.password_reset", by, now)
    }

    /// Sets a new kiosk PIN for an active staff member; the PIN sessions
    /// opened at kiosks end. Returns how many ended.
    pub fn reset_staff_pin(&self, id: i64, pin: &str, by: By<'_>, now: DateTime<Utc>) -> StoreResult<usize> {
        let invalid = |e: crate::password::SecretError| StoreError::Invalid(e.to_string());
        check_pin_policy(pin).map_err(invalid)?;
        let hash = hash_secret(pin).map_err(invalid)?;
        self.reset_staff_secret(id, "pin_hash", &hash, "staff.pin_reset", by, now)
    }

    fn reset_staff_secret(
        &self,
        id: i64,
        column: &str,
        hash: &str,
        action: &str,
        by: By<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<usize> {
        self.all_or_nothing(|store| {
            let changed = store
                .conn
                .execute(&format!("UPDATE staff SET {column} = ?1 WHERE id = ?2 AND active = 1"), params![hash, id])?;
            if changed == 0 {
                return Err(StoreError::NotFound(format!("staff {id}")));
            }
            let ended = if column == "pin_hash" {
                store.end_pin_sessions_of(id)?
            } else {
                store.end_sessions_of(SessionKind::Staff, id)?
            };
            let project: Option<String> =
                store.conn.query_row("SELECT project_id FROM staff WHERE id = ?1", [id], |r| r.get(0))?;
            store.audit(
                now,
                by.actor,
                action,
                project.as_deref().or(by.project),
                &format!("staff {id}; {ended} session(s) ended"),
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
