//! Customer groups (直系亲属 = one customer): phones that staff linked as one
//! customer. Judging and filing treat a group's phones as the same
//! customer. Every link and unlink is audited with who and why, in the same
//! transaction.

use super::{Store, StoreError, StoreResult};
use crate::domain::phone::{CustomerPhone, Phone};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

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
        let mut existing = Vec::new();
        for p in phones {
            let g: Option<i64> = tx
                .query_row(
                    "SELECT group_id FROM customer_group_members WHERE project_id = ?1 AND phone = ?2",
                    params![project_id, p.as_str()],
                    |r| r.get(0),
                )
                .optional()?;
            existing.extend(g);
        }
        let group = match existing.iter().min() {
            Some(&g) => g,
            None => tx.query_row(
                "SELECT coalesce(max(group_id), 0) + 1 FROM customer_group_members WHERE project_id = ?1",
                [project_id],
                |r| r.get(0),
            )?,
        };
        for other in existing.iter().filter(|&&g| g != group) {
            tx.execute(
                "UPDATE customer_group_members SET group_id = ?1 WHERE project_id = ?2 AND group_id = ?3",
                params![group, project_id, other],
            )?;
        }
        for p in phones {
            tx.execute(
                "INSERT INTO customer_group_members (project_id, group_id, phone) VALUES (?1, ?2, ?3)
                 ON CONFLICT(project_id, phone) DO UPDATE SET group_id = excluded.group_id",
                params![project_id, group, p.as_str()],
            )?;
        }
        let members: Vec<String> = tx
            .prepare("SELECT phone FROM customer_group_members WHERE project_id = ?1 AND group_id = ?2 ORDER BY phone")?
            .query_map(params![project_id, group], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let masked: Vec<String> =
            members.iter().filter_map(|p| Phone::parse(p).ok()).map(|p| p.masked().to_string()).collect();
        super::audit::record_in(
            &tx,
            &self.ledger_key,
            now,
            actor,
            "customer_group.link",
            Some(project_id),
            &format!("group {group}: {} — {reason}", masked.join(", ")),
        )?;
        tx.commit()?;
        Ok(members.iter().filter_map(|p| Phone::parse(p).ok()).collect())
    }

    /// Takes a phone out of its customer group.
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
        let removed = tx.execute(
            "DELETE FROM customer_group_members WHERE project_id = ?1 AND phone = ?2",
            params![project_id, phone.as_str()],
        )?;
        if removed == 0 {
            return Err(StoreError::NotFound(format!("{} in no customer group", phone.masked())));
        }
        super::audit::record_in(
            &tx,
            &self.ledger_key,
            now,
            actor,
            "customer_group.unlink",
            Some(project_id),
            &format!("{} — {reason}", phone.masked()),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The other phones of `phone`'s customer group.
    pub fn group_phones(&self, project_id: &str, phone: &Phone) -> StoreResult<Vec<CustomerPhone>> {
        group_phones_in(&self.conn, project_id, phone)
    }
}
