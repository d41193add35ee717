//! Customer groups (直系亲属 = one customer): phones that staff linked as one
//! customer. Judging and filing treat a group's phones as the same
//! customer. Every link and unlink is audited with who and why, in the same
//! transaction, and kept per phone (`customer_group_events`) for the back
//! office. The back office finds customers in the project's visits,
//! reports and visit history, and names them by the row they were found
//! in (`CustomerRef`), never by their number.

mod search;

pub use search::{CustomerQuery, CustomerRef, CustomerVisit, FoundCustomer, QUERY_HELP};

use super::{Store, StoreError, StoreResult};
use crate::domain::phone::{CustomerPhone, Phone};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::BTreeSet;

/// The other phones of `phone`'s group in the project (not `phone` itself).
pub(crate) fn group_phones_in(conn: &Connection, project_id: &str, phone: &Phone) -> StoreResult<Vec<CustomerPhone>> {
    let group: Option<i64> = conn
        .prepare_cached("SELECT group_id FROM customer_group_members WHERE project_id = ?1 AND phone = ?2")?
        .query_row(params![project_id, phone.as_str()], |r| r.get(0))
        .optional()?;
    let Some(group) = group else { return Ok(Vec::new()) };
    let mut stmt = conn.prepare_cached(
        "SELECT phone FROM customer_group_members WHERE project_id = ?1 AND group_id = ?2 AND phone != ?3 ORDER BY phone",
    )?;
    let phones = stmt
        .query_map(params![project_id, group, phone.as_str()], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(phones.iter().filter_map(|p| Phone::parse(p).ok().map(CustomerPhone::Full)).collect())
}

#[allow(clippy::too_many_arguments)]
fn record_event(
    conn: &Connection,
    project_id: &str,
    group: i64,
    phone: &str,
    action: &str,
    reason: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO customer_group_events (project_id, group_id, phone, action, reason, actor, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![project_id, group, phone, action, reason, actor, crate::time::stamp(now)])?;
    Ok(())
}

fn group_of_in(conn: &Connection, project_id: &str, phone: &str) -> StoreResult<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT group_id FROM customer_group_members WHERE project_id = ?1 AND phone = ?2")?
        .query_row(params![project_id, phone], |r| r.get(0))
        .optional()?)
}

fn masked_text(phone: &str) -> String {
    Phone::parse(phone).map(|p| p.masked().to_string()).unwrap_or_else(|_| "***".to_owned())
}

/// A phone of a customer group, with who linked it, when and why (none
/// for links made before schema 12).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMember {
    /// Names the member in forms (never the number).
    pub member_id: i64,
    pub phone: Phone,
    pub linked_at: Option<String>,
    pub linked_by: Option<String>,
    pub linked_by_name: Option<String>,
    pub reason: Option<String>,
}

/// A link or unlink, as the group's history shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupEvent {
    pub at: String,
    /// `link` or `unlink`.
    pub action: String,
    pub phone: String,
    pub actor: String,
    pub actor_name: Option<String>,
    pub reason: String,
}

/// A group in the project's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSummary {
    pub group_id: i64,
    pub phones: Vec<Phone>,
}

impl Store {
    /// Links phones into one customer group; groups they already belong to
    /// merge. Returns the group's phones.
    pub fn link_group(
        &mut self,
        project_id: &str,
        phones: &[Phone],
        actor: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Phone>> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(StoreError::Invalid("关联客户需写明原因 / linking customers needs a reason".into()));
        }
        if phones.len() < 2 {
            return Err(StoreError::Invalid("至少关联两个手机号 / link at least two phones".into()));
        }
        let tx = super::WriteTx::begin(&mut self.conn)?;
        let mut before = Vec::with_capacity(phones.len());
        for p in phones {
            before.push(group_of_in(&tx, project_id, p.as_str())?);
        }
        let existing: BTreeSet<i64> = before.iter().flatten().copied().collect();
        let group = match existing.first() {
            Some(&g) => g,
            None => tx.query_row(
                "SELECT coalesce(max(group_id), 0) + 1 FROM customer_group_members WHERE project_id = ?1",
                [project_id],
                |r| r.get(0),
            )?,
        };
        // Phones whose group changes: members of merged groups, and the
        // phones named that were elsewhere or nowhere.
        let mut moved: Vec<String> = Vec::new();
        for other in existing.iter().filter(|&&g| g != group) {
            let members: Vec<String> = tx
                .prepare("SELECT phone FROM customer_group_members WHERE project_id = ?1 AND group_id = ?2")?
                .query_map(params![project_id, other], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            moved.extend(members);
            tx.execute(
                "UPDATE customer_group_members SET group_id = ?1 WHERE project_id = ?2 AND group_id = ?3",
                params![group, project_id, other],
            )?;
        }
        for (p, was) in phones.iter().zip(&before) {
            tx.execute(
                "INSERT INTO customer_group_members (project_id, group_id, phone) VALUES (?1, ?2, ?3)
                 ON CONFLICT(project_id, phone) DO UPDATE SET group_id = excluded.group_id",
                params![project_id, group, p.as_str()],
            )?;
            if *was != Some(group) && !moved.iter().any(|m| m == p.as_str()) {
                moved.push(p.as_str().to_owned());
            }
        }
        for phone in &moved {
            record_event(&tx, project_id, group, phone, "link", reason, actor, now)?;
        }
        let members: Vec<String> = tx
            .prepare("SELECT phone FROM customer_group_members WHERE project_id = ?1 AND group_id = ?2 ORDER BY phone")?
            .query_map(params![project_id, group], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let masked: Vec<String> = members.iter().map(|p| masked_text(p)).collect();
        super::audit::record_in(
            &tx,
            &self.ledger_key,
            now,
            actor,
            "customer_group.link",
            Some(project_id),
            &format!("group {group}: {} — {reason}", masked.join(", ")),
        )?;
        // One customer now: their subscriptions are attributed again (渠道业绩).
        let linked: Vec<Phone> = members.iter().filter_map(|p| Phone::parse(p).ok()).collect();
        let attributions = super::deals::reattribute_after_change_in(
            &tx,
            &self.ledger_key,
            self.tip.clone(),
            project_id,
            &linked,
            "group",
            now,
        )?;
        tx.commit()?;
        for row in &attributions {
            self.appended(row);
        }
        Ok(linked)
    }

    /// Takes a phone out of its customer group. A group left with one
    /// phone links nothing: that phone leaves it too (the group dissolves).
    pub fn unlink_group(
        &mut self,
        project_id: &str,
        phone: &Phone,
        actor: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(StoreError::Invalid("解除关联需写明原因 / unlinking needs a reason".into()));
        }
        let tx = super::WriteTx::begin(&mut self.conn)?;
        let Some(group) = group_of_in(&tx, project_id, phone.as_str())? else {
            return Err(StoreError::NotFound(format!("{} in no customer group", phone.masked())));
        };
        tx.execute(
            "DELETE FROM customer_group_members WHERE project_id = ?1 AND phone = ?2",
            params![project_id, phone.as_str()],
        )?;
        record_event(&tx, project_id, group, phone.as_str(), "unlink", reason, actor, now)?;
        let left: Vec<String> = tx
            .prepare("SELECT phone FROM customer_group_members WHERE project_id = ?1 AND group_id = ?2")?
            .query_map(params![project_id, group], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut detail = format!("group {group}: {} — {reason}", phone.masked());
        if let [last] = left.as_slice() {
            tx.execute(
                "DELETE FROM customer_group_members WHERE project_id = ?1 AND phone = ?2",
                params![project_id, last],
            )?;
            record_event(&tx, project_id, group, last, "unlink", reason, actor, now)?;
            detail.push_str(&format!("; {} was the last phone: group dissolved", masked_text(last)));
        }
        super::audit::record_in(&tx, &self.ledger_key, now, actor, "customer_group.unlink", Some(project_id), &detail)?;
        // No longer one customer: each side's subscriptions are attributed again.
        let mut parted = vec![*phone];
        parted.extend(left.iter().filter_map(|p| Phone::parse(p).ok()));
        let attributions = super::deals::reattribute_after_change_in(
            &tx,
            &self.ledger_key,
            self.tip.clone(),
            project_id,
            &parted,
            "group",
            now,
        )?;
        tx.commit()?;
        for row in &attributions {
            self.appended(row);
        }
        Ok(())
    }

    /// The other phones of `phone`'s customer group.
    pub fn group_phones(&self, project_id: &str, phone: &Phone) -> StoreResult<Vec<CustomerPhone>> {
        group_phones_in(&self.conn, project_id, phone)
    }

    /// The customer group `phone` belongs to, if any.
    pub fn group_of_phone(&self, project_id: &str, phone: &Phone) -> StoreResult<Option<i64>> {
        group_of_in(&self.conn, project_id, phone.as_str())
    }

    /// The phones of a group, with who linked each, when and why.
    pub fn group_members(&self, project_id: &str, group_id: i64) -> StoreResult<Vec<GroupMember>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT m.rowid, m.phone, e.at, e.actor, s.name, e.reason
             FROM customer_group_members m
             LEFT JOIN customer_group_events e ON e.id = (
                 SELECT max(x.id) FROM customer_group_events x
                 WHERE x.project_id = m.project_id AND x.phone = m.phone AND x.action = 'link')
             LEFT JOIN staff s ON e.actor = 'staff:' || s.id
             WHERE m.project_id = ?1 AND m.group_id = ?2
             ORDER BY m.rowid",
        )?;
        let rows = stmt.query_map(params![project_id, group_id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<String>>(5)?,
            ))
        })?;
        let mut members = Vec::new();
        for row in rows {
            let (member_id, phone, linked_at, linked_by, linked_by_name, reason) = row?;
            let Ok(phone) = Phone::parse(&phone) else { continue };
            members.push(GroupMember { member_id, phone, linked_at, linked_by, linked_by_name, reason });
        }
        Ok(members)
    }

    /// Links and unlinks of the group and of its phones, newest first.
    pub fn group_events(&self, project_id: &str, group_id: i64, limit: u32) -> StoreResult<Vec<GroupEvent>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT e.at, e.action, e.phone, e.actor, s.name, e.reason
             FROM customer_group_events e LEFT JOIN staff s ON e.actor = 'staff:' || s.id
             WHERE e.project_id = ?1 AND (e.group_id = ?2 OR e.phone IN (
                 SELECT phone FROM customer_group_members WHERE project_id = ?1 AND group_id = ?2))
             ORDER BY e.id DESC LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![project_id, group_id, limit], |r| {
            Ok(GroupEvent {
                at: r.get(0)?,
                action: r.get(1)?,
                phone: r.get(2)?,
                actor: r.get(3)?,
                actor_name: r.get(4)?,
                reason: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The project's customer groups, newest group first.
    pub fn project_groups(&self, project_id: &str, limit: usize) -> StoreResult<Vec<GroupSummary>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT group_id, phone FROM customer_group_members WHERE project_id = ?1 ORDER BY group_id DESC, phone",
        )?;
        let rows = stmt.query_map([project_id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        let mut groups: Vec<GroupSummary> = Vec::new();
        for row in rows {
            let (group_id, phone) = row?;
            let Ok(phone) = Phone::parse(&phone) else { continue };
            let same_group = groups.last().is_some_and(|g| g.group_id == group_id);
            if same_group {
                if let Some(g) = groups.last_mut() {
                    g.phones.push(phone);
                }
            } else if groups.len() >= limit {
                break;
            } else {
                groups.push(GroupSummary { group_id, phones: vec![phone] });
            }
        }
        Ok(groups)
    }
}
