//! The customer group (直系亲属): links and unlinks of the customer's
//! phones, and of every phone of a group while the customer was in it.

use super::super::StoreResult;
use super::text::{detail, masked_text, words};
use super::{Names, TimelineEvent, TimelineKind, event, with_words};
use crate::domain::phone::Phone;
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::{BTreeMap, BTreeSet};

struct GroupEventFound {
    id: i64,
    group_id: i64,
    phone: String,
    action: String,
    reason: String,
    actor: String,
    at: String,
}

fn read_group_event(r: &rusqlite::Row<'_>) -> rusqlite::Result<GroupEventFound> {
    Ok(GroupEventFound {
        id: r.get(0)?,
        group_id: r.get(1)?,
        phone: r.get(2)?,
        action: r.get(3)?,
        reason: r.get(4)?,
        actor: r.get(5)?,
        at: r.get(6)?,
    })
}

/// Links and unlinks of the customer's phones, and of every phone of each
/// group while one of the customer's phones was in it. A group's id can be
/// used again once the group dissolved (its last phone unlinked): a group's
/// events are split into such lives, and only the lives the customer was
/// part of are kept.
pub(super) fn group_events(
    conn: &Connection,
    project_id: &str,
    customer: &[Phone],
    names: &mut Names,
    events: &mut Vec<TimelineEvent>,
) -> StoreResult<()> {
    const COLUMNS: &str = "id, group_id, phone, action, reason, actor, at";
    let wanted: BTreeSet<&str> = customer.iter().map(Phone::as_str).collect();
    let mut found: BTreeMap<i64, GroupEventFound> = BTreeMap::new();
    // Each group the customer was ever in → a customer phone is in it now.
    let mut groups: BTreeMap<i64, bool> = BTreeMap::new();
    {
        // customer_group_events: customer_group_events_by_phone (project_id, phone, id).
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM customer_group_events WHERE project_id = ?1 AND phone = ?2"
        ))?;
        for p in customer {
            for row in stmt.query_map(params![project_id, p.as_str()], read_group_event)? {
                let e = row?;
                groups.entry(e.group_id).or_insert(false);
                found.entry(e.id).or_insert(e);
            }
        }
    }
    {
        // customer_group_members: primary key (project_id, phone).
        let mut current =
            conn.prepare_cached("SELECT group_id FROM customer_group_members WHERE project_id = ?1 AND phone = ?2")?;
        for p in customer {
            let group: Option<i64> = current.query_row(params![project_id, p.as_str()], |r| r.get(0)).optional()?;
            if let Some(g) = group {
                groups.insert(g, true);
            }
        }
    }
    {
        // customer_group_events: customer_group_events_by_group (project_id, group_id, id).
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM customer_group_events WHERE project_id = ?1 AND group_id = ?2 ORDER BY id"
        ))?;
        for (group, member_now) in &groups {
            let rows: Vec<GroupEventFound> =
                stmt.query_map(params![project_id, group], read_group_event)?.collect::<rusqlite::Result<_>>()?;
            let mut members: BTreeSet<String> = BTreeSet::new();
            let mut life = 0usize;
            let mut lives: Vec<usize> = Vec::with_capacity(rows.len());
            for e in &rows {
                lives.push(life);
                if e.action == "unlink" {
                    members.remove(&e.phone);
                    if members.is_empty() {
                        life += 1;
                    }
                } else {
                    members.insert(e.phone.clone());
                }
            }
            let mut keep: BTreeSet<usize> =
                rows.iter().zip(&lives).filter(|(e, _)| wanted.contains(e.phone.as_str())).map(|(_, l)| *l).collect();
            if *member_now {
                keep.insert(life);
            }
            for (e, l) in rows.into_iter().zip(lives) {
                if keep.contains(&l) {
                    found.entry(e.id).or_insert(e);
                }
            }
        }
    }
    for e in found.values() {
        let Some(at) = crate::time::parse_instant(&e.at) else { continue };
        let masked = masked_text(&e.phone);
        let g = e.group_id;
        let (kind, summary, rule) = if e.action == "unlink" {
            (
                TimelineKind::GroupUnlink,
                (format!("解除关联(客户组 #{g}):{masked}"), format!("unlinked from customer group #{g}: {masked}")),
                words("解除关联后不再视为同一客户", "once unlinked, the phones are separate customers"),
            )
        } else {
            (
                TimelineKind::GroupLink,
                (
                    format!("关联为同一客户(客户组 #{g}):{masked}"),
                    format!("linked as one customer (group #{g}): {masked}"),
                ),
                words(
                    "儿女、父母、夫妻视为同一组客户(直系亲属),报备、判客与业绩按同一客户计",
                    "children, parents and spouses are one customer (直系亲属) for reports, judging and attribution",
                ),
            )
        };
        let by = names.actor(conn, &e.actor)?;
        let details = [detail("原因", "Reason", &e.reason), detail("操作人", "By", &by)];
        let base = TimelineEvent { details: details.into_iter().flatten().collect(), ..event(at, kind, masked) };
        events.push(with_words(base, summary, rule));
    }
    Ok(())
}
