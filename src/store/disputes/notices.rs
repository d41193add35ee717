//! What each party is told about a dispute: a notice per step for the
//! agency on the other side, the project's managers, or the group's
//! admins. Agents and managers see the unread ones as a badge and a list;
//! opening the dispute marks its notices read for that recipient.

use crate::store::{Store, StoreResult};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

/// The group's admins (the appeal's judges).
pub(crate) const ADMINS: &str = "admins";

pub(crate) fn agency_recipient(agency_id: i64) -> String {
    format!("agency:{agency_id}")
}

pub(crate) fn managers_recipient(project_id: &str) -> String {
    format!("managers:{project_id}")
}

pub(crate) fn notify_in(
    conn: &Connection,
    dispute_id: i64,
    recipient: &str,
    event: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO dispute_notices (dispute_id, recipient, event, created_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![dispute_id, recipient, event, crate::time::stamp(now)])?;
    // An agency told on its pages is told through its webhooks too, in the
    // same transaction.
    if let Some(agency_id) = recipient.strip_prefix("agency:").and_then(|id| id.parse::<i64>().ok()) {
        crate::store::webhooks::dispute_updated_in(conn, dispute_id, agency_id, event, now)?;
    }
    Ok(())
}

/// A notice as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub id: i64,
    pub dispute_id: i64,
    /// `opened`, `evidence`, `appeal`, `ruling`, `withdrawn`.
    pub event: String,
    pub created_at: String,
    pub read: bool,
}

impl Notice {
    pub fn zh(&self) -> &'static str {
        match self.event.as_str() {
            "opened" => "有一件涉及贵方客户的申诉已提出",
            "evidence" => "申诉有新的证明材料",
            "appeal" => "裁决被申请复核",
            "ruling" => "申诉已裁决",
            "withdrawn" => "申诉已撤回",
            _ => "申诉有更新",
        }
    }

    pub fn en(&self) -> &'static str {
        match self.event.as_str() {
            "opened" => "A dispute involving your customer was opened",
            "evidence" => "New evidence on a dispute",
            "appeal" => "A ruling was appealed",
            "ruling" => "A dispute was ruled",
            "withdrawn" => "A dispute was withdrawn",
            _ => "A dispute was updated",
        }
    }
}

/// Who an agency is, as a recipient.
pub enum Recipient<'a> {
    Agency(i64),
    Managers(&'a str),
    Admins,
}

impl Recipient<'_> {
    fn key(&self) -> String {
        match self {
            Recipient::Agency(id) => agency_recipient(*id),
            Recipient::Managers(project) => managers_recipient(project),
            Recipient::Admins => ADMINS.to_owned(),
        }
    }
}

impl Store {
    /// The newest notices of a recipient, unread first.
    pub fn dispute_notices(&self, to: Recipient<'_>, limit: u32) -> StoreResult<Vec<Notice>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, dispute_id, event, created_at, read_at IS NOT NULL FROM dispute_notices
             WHERE recipient = ?1 ORDER BY read_at IS NOT NULL, id DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![to.key(), limit], |r| {
            Ok(Notice {
                id: r.get(0)?,
                dispute_id: r.get(1)?,
                event: r.get(2)?,
                created_at: r.get(3)?,
                read: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The badge: unread notices of a recipient.
    pub fn unread_dispute_notices(&self, to: Recipient<'_>) -> StoreResult<i64> {
        Ok(self
            .conn
            .prepare_cached("SELECT count(*) FROM dispute_notices WHERE recipient = ?1 AND read_at IS NULL")?
            .query_row([to.key()], |r| r.get(0))?)
    }

    /// The recipient has seen the dispute.
    pub fn mark_dispute_read(&self, dispute_id: i64, to: Recipient<'_>, now: DateTime<Utc>) -> StoreResult<()> {
        self.conn
            .prepare_cached(
                "UPDATE dispute_notices SET read_at = ?3 WHERE dispute_id = ?1 AND recipient = ?2 AND read_at IS NULL",
            )?
            .execute(params![dispute_id, to.key(), crate::time::stamp(now)])?;
        Ok(())
    }

    /// Disputes waiting on the office: open ones of a project (its
    /// managers rule), or — for the group's admins (`None`) — appealed ones.
    pub fn disputes_waiting_on_office(&self, project_id: Option<&str>) -> StoreResult<i64> {
        Ok(match project_id {
            Some(p) => self
                .conn
                .prepare_cached("SELECT count(*) FROM disputes WHERE project_id = ?1 AND status = 'open'")?
                .query_row([p], |r| r.get(0))?,
            None => self
                .conn
                .prepare_cached("SELECT count(*) FROM disputes WHERE status IN ('open', 'appealed')")?
                .query_row([], |r| r.get(0))?,
        })
    }
}
