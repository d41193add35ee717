//! The channel's deal confirmation (渠道成交客户确认单): after a deal the
//! channel initiates it for one of its channel-performance subscriptions
//! (its agent's page or its API key); the sales consultant (置业顾问) and
//! then the project's channel lead (a manager, 项目渠道负责人) confirm it.
//! Each step is audited in its own transaction; a step is refused once the
//! attribution in force no longer names the channel (re-attributed,
//! withheld, or the subscription cancelled).
//!
//! One sheet is live per subscription. When a ruling (or any new
//! attribution) gives the deal to another agency after the first one
//! initiated its sheet, the agency now holding the deal initiates its own:
//! the earlier sheet is superseded (`superseded_at`, `superseded_by`,
//! audited) in the same transaction, kept and marked for the staff, and no
//! longer the earlier agency's to read or the staff's to confirm.

use super::{Store, StoreError, StoreResult, WriteTx};
use chrono::{DateTime, FixedOffset, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};

/// A confirmation sheet's state and who confirmed it when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmation {
    pub id: i64,
    pub subscription_id: i64,
    pub project_id: String,
    pub agency_id: i64,
    pub agency: String,
    /// `agent:7` or `api:agency:3`.
    pub initiated_by: String,
    /// The agent's name when an agent initiated it.
    pub initiator_agent: Option<String>,
    /// UTC stamp.
    pub initiated_at: String,
    pub sales_confirmed_by: Option<i64>,
    pub sales_name: Option<String>,
    pub sales_confirmed_at: Option<String>,
    pub lead_confirmed_by: Option<i64>,
    pub lead_name: Option<String>,
    pub lead_confirmed_at: Option<String>,
    /// The ledger entry sealing both confirmations (none yet: the ledger
    /// takes no such entry kind).
    pub ledger_seq: Option<i64>,
    /// UTC stamp: when the agency now holding the deal initiated its own
    /// sheet over this one (`None`: the live sheet).
    pub superseded_at: Option<String>,
    /// Who initiated that sheet (`agent:7`, `api:agency:3`).
    pub superseded_by: Option<String>,
}

impl Confirmation {
    /// Both the sales consultant and the channel lead confirmed.
    pub fn confirmed(&self) -> bool {
        self.sales_confirmed_at.is_some() && self.lead_confirmed_at.is_some()
    }

    /// Another agency's sheet replaced this one.
    pub fn superseded(&self) -> bool {
        self.superseded_at.is_some()
    }
}

/// Which confirmation a staff member gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmStep {
    /// 置业顾问确认: a sales consultant of the project.
    Sales,
    /// 项目渠道负责人确认: a manager of the project, after the sales consultant.
    Lead,
}

impl ConfirmStep {
    pub fn role(self) -> &'static str {
        match self {
            ConfirmStep::Sales => "sales",
            ConfirmStep::Lead => "manager",
        }
    }

    fn action(self) -> &'static str {
        match self {
            ConfirmStep::Sales => "deal_confirmation.sales",
            ConfirmStep::Lead => "deal_confirmation.lead",
        }
    }
}

const CONFIRMATION_SELECT: &str = "SELECT c.id, c.subscription_id, c.project_id, c.agency_id, ag.name, c.initiated_by,
        CASE WHEN c.initiated_by LIKE 'agent:%'
             THEN (SELECT g.name FROM agents g WHERE g.id = CAST(substr(c.initiated_by, 7) AS INTEGER)) END,
        c.initiated_at, c.sales_confirmed_by, ss.name, c.sales_confirmed_at, c.lead_confirmed_by, ls.name,
        c.lead_confirmed_at, c.ledger_seq, c.superseded_at, c.superseded_by
     FROM deal_confirmations c
     JOIN agencies ag ON ag.id = c.agency_id
     LEFT JOIN staff ss ON ss.id = c.sales_confirmed_by
     LEFT JOIN staff ls ON ls.id = c.lead_confirmed_by";

fn read_confirmation(r: &Row<'_>) -> rusqlite::Result<Confirmation> {
    Ok(Confirmation {
        id: r.get(0)?,
        subscription_id: r.get(1)?,
        project_id: r.get(2)?,
        agency_id: r.get(3)?,
        agency: r.get(4)?,
        initiated_by: r.get(5)?,
        initiator_agent: r.get(6)?,
        initiated_at: r.get(7)?,
        sales_confirmed_by: r.get(8)?,
        sales_name: r.get(9)?,
        sales_confirmed_at: r.get(10)?,
        lead_confirmed_by: r.get(11)?,
        lead_name: r.get(12)?,
        lead_confirmed_at: r.get(13)?,
        ledger_seq: r.get(14)?,
        superseded_at: r.get(15)?,
        superseded_by: r.get(16)?,
    })
}

fn confirmation_in(conn: &Connection, id: i64) -> StoreResult<Confirmation> {
    conn.prepare_cached(&format!("{CONFIRMATION_SELECT} WHERE c.id = ?1"))?
        .query_row([id], read_confirmation)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("deal confirmation {id}")))
}

/// The live sheet of a subscription (at most one: the partial unique index
/// `deal_confirmations_live`).
fn confirmation_of_in(conn: &Connection, subscription_id: i64) -> StoreResult<Option<Confirmation>> {
    Ok(conn
        .prepare_cached(&format!("{CONFIRMATION_SELECT} WHERE c.subscription_id = ?1 AND c.superseded_at IS NULL"))?
        .query_row([subscription_id], read_confirmation)
        .optional()?)
}

/// The attribution in force of a subscription, as far as a confirmation
/// cares: whether it is channel performance, for which agency, and
/// whether the subscription stands.
struct Standing {
    project_id: String,
    channel_performance: bool,
    agency_id: Option<i64>,
    agency: Option<String>,
    /// The second agency of a deal a ruling shared.
    co_agency_id: Option<i64>,
    cancelled: bool,
}

impl Standing {
    /// Is the deal's sheet this agency's: the attribution names it (by id,
    /// or by name when the attribution has no id) — or, where a ruling
    /// shared the deal between the site itself (现场, the first share) and
    /// an agency, that agency. The second agency of a deal shared between
    /// two agencies does not initiate: one sheet per deal, the first
    /// agency's.
    fn names(&self, agency_id: i64, agency_name: &str) -> bool {
        match self.agency_id {
            Some(id) => id == agency_id,
            None if self.agency.as_deref().is_some_and(|a| !a.is_empty()) => {
                self.agency.as_deref() == Some(agency_name)
            }
            None => self.co_agency_id == Some(agency_id),
        }
    }
}

fn standing_in(conn: &Connection, subscription_id: i64) -> StoreResult<Option<Standing>> {
    Ok(conn
        .prepare_cached(
            "SELECT a.project_id, a.channel_performance, a.agency_id, a.agency, s.status, a.co_agency_id
             FROM attributions a JOIN subscriptions s ON s.id = a.subscription_id
             WHERE a.subscription_id = ?1",
        )?
        .query_row([subscription_id], |r| {
            Ok(Standing {
                project_id: r.get(0)?,
                channel_performance: r.get(1)?,
                agency_id: r.get(2)?,
                agency: r.get(3)?,
                cancelled: r.get::<_, String>(4)? == "cancelled",
                co_agency_id: r.get(5)?,
            })
        })
        .optional()?)
}

fn agency_name_in(conn: &Connection, agency_id: i64) -> StoreResult<String> {
    conn.prepare_cached("SELECT name FROM agencies WHERE id = ?1")?
        .query_row([agency_id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("agency {agency_id}")))
}

impl Store {
    /// The channel initiates the confirmation of one of its deals. A
    /// subscription that is not attributed to `agency_id` is "not found"
    /// (its existence is not revealed); one that is withheld or cancelled
    /// is refused. Initiating again returns the sheet already initiated
    /// (`false`: nothing new was written). When the live sheet is another
    /// agency's (initiated before a ruling or a new attribution gave the
    /// deal to this one), it is superseded and this agency's sheet
    /// initiated, in one transaction, both audited.
    pub fn initiate_deal_confirmation(
        &mut self,
        subscription_id: i64,
        agency_id: i64,
        actor: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<(Confirmation, bool)> {
        let tx = WriteTx::begin(&mut self.conn)?;
        let agency = agency_name_in(&tx, agency_id)?;
        let not_found = || StoreError::NotFound(format!("attributed subscription {subscription_id}"));
        let standing = standing_in(&tx, subscription_id)?.ok_or_else(not_found)?;
        if !standing.names(agency_id, &agency) {
            return Err(not_found());
        }
        let live = confirmation_of_in(&tx, subscription_id)?;
        if let Some(existing) = live.as_ref().filter(|c| c.agency_id == agency_id) {
            return Ok((existing.clone(), false));
        }
        if standing.cancelled {
            return Err(StoreError::Conflict("该认购已退订 / this subscription was cancelled".into()));
        }
        if !standing.channel_performance {
            return Err(StoreError::Conflict(
                "该成交不计渠道业绩,不能发起确认单 / this deal is not channel performance: no confirmation can be initiated"
                    .into(),
            ));
        }
        let stamp = crate::time::stamp(now);
        if let Some(earlier) = live {
            // Another agency's sheet, the deal no longer its to confirm.
            let changed = tx.execute(
                "UPDATE deal_confirmations SET superseded_at = ?1, superseded_by = ?2
                 WHERE id = ?3 AND superseded_at IS NULL",
                params![stamp, actor, earlier.id],
            )?;
            if changed != 1 {
                return Err(StoreError::Conflict(
                    "确认单已被他人更新,请刷新 / the sheet changed meanwhile; reload".into(),
                ));
            }
            super::audit::record_in(
                &tx,
                &self.ledger_key,
                now,
                actor,
                "deal_confirmation.supersede",
                Some(&standing.project_id),
                &format!(
                    "confirmation {}: subscription {subscription_id}, agency {} superseded by agency {agency}",
                    earlier.id, earlier.agency
                ),
            )?;
        }
        tx.execute(
            "INSERT INTO deal_confirmations (subscription_id, project_id, agency_id, initiated_by, initiated_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![subscription_id, standing.project_id, agency_id, actor, stamp],
        )
        .map_err(|e| super::unique_violation(e, "该成交已有确认单 / a confirmation of this deal already exists"))?;
        let id = tx.last_insert_rowid();
        super::audit::record_in(
            &tx,
            &self.ledger_key,
            now,
            actor,
            "deal_confirmation.initiate",
            Some(&standing.project_id),
            &format!("confirmation {id}: subscription {subscription_id}, agency {agency}"),
        )?;
        let confirmation = confirmation_in(&tx, id)?;
        tx.commit()?;
        Ok((confirmation, true))
    }

    /// A staff member confirms: `staff_id` must be an active staff member
    /// of the sheet's project in the step's role; the channel lead confirms
    /// after the sales consultant; each step once. Audited.
    pub fn confirm_deal_step(
        &mut self,
        id: i64,
        step: ConfirmStep,
        staff_id: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<Confirmation> {
        let tx = WriteTx::begin(&mut self.conn)?;
        let sheet = confirmation_in(&tx, id)?;
        if sheet.superseded() {
            return Err(StoreError::Conflict(
                "该确认单已被新的确认单取代,不能确认 / this sheet was superseded by a newer one: it cannot be confirmed"
                    .into(),
            ));
        }
        let who: Option<(Option<String>, String)> = tx
            .prepare_cached("SELECT project_id, role FROM staff WHERE id = ?1 AND active = 1")?
            .query_row([staff_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        // The 置业顾问 step is the deal's own consultant when the
        // subscription names one.
        let deal_consultant: Option<i64> = tx
            .prepare_cached("SELECT sales_staff_id FROM subscriptions WHERE id = ?1")?
            .query_row([sheet.subscription_id], |r| r.get(0))
            .optional()?
            .flatten();
        let own_consultant = !matches!(step, ConfirmStep::Sales) || deal_consultant.is_none_or(|s| s == staff_id);
        match who {
            Some((Some(project), role)) if project == sheet.project_id && role == step.role() && own_consultant => {}
            _ => {
                return Err(StoreError::Invalid(match step {
                    ConfirmStep::Sales => {
                        "只有本项目的置业顾问可以确认 / only a sales consultant of the project confirms here".into()
                    }
                    ConfirmStep::Lead => {
                        "只有本项目的渠道负责人(案场经理)可以确认 / only the project's channel lead (a manager) confirms here"
                            .into()
                    }
                }));
            }
        }
        let standing = standing_in(&tx, sheet.subscription_id)?;
        let stands = standing
            .as_ref()
            .is_some_and(|s| s.channel_performance && !s.cancelled && s.names(sheet.agency_id, &sheet.agency));
        if !stands {
            return Err(StoreError::Conflict(
                "该成交的渠道归属已变更或已退订,不能确认 / the deal's attribution changed or it was cancelled: it cannot be confirmed"
                    .into(),
            ));
        }
        let stamp = crate::time::stamp(now);
        let changed = match step {
            ConfirmStep::Sales => {
                if sheet.sales_confirmed_at.is_some() {
                    return Err(StoreError::Conflict(
                        "置业顾问已确认 / the sales consultant has confirmed already".into(),
                    ));
                }
                tx.execute(
                    "UPDATE deal_confirmations SET sales_confirmed_by = ?1, sales_confirmed_at = ?2
                     WHERE id = ?3 AND sales_confirmed_at IS NULL",
                    params![staff_id, stamp, id],
                )?
            }
            ConfirmStep::Lead => {
                if sheet.sales_confirmed_at.is_none() {
                    return Err(StoreError::Conflict(
                        "请先由置业顾问确认 / the sales consultant confirms first".into(),
                    ));
                }
                if sheet.lead_confirmed_at.is_some() {
                    return Err(StoreError::Conflict(
                        "渠道负责人已确认 / the channel lead has confirmed already".into(),
                    ));
                }
                tx.execute(
                    "UPDATE deal_confirmations SET lead_confirmed_by = ?1, lead_confirmed_at = ?2
                     WHERE id = ?3 AND lead_confirmed_at IS NULL AND sales_confirmed_at IS NOT NULL",
                    params![staff_id, stamp, id],
                )?
            }
        };
        if changed != 1 {
            return Err(StoreError::Conflict("确认单已被他人更新,请刷新 / the sheet changed meanwhile; reload".into()));
        }
        super::audit::record_in(
            &tx,
            &self.ledger_key,
            now,
            &format!("staff:{staff_id}"),
            step.action(),
            Some(&sheet.project_id),
            &format!("confirmation {id}: subscription {}", sheet.subscription_id),
        )?;
        let confirmed = confirmation_in(&tx, id)?;
        tx.commit()?;
        Ok(confirmed)
    }

    pub fn deal_confirmation(&self, id: i64) -> StoreResult<Confirmation> {
        confirmation_in(&self.conn, id)
    }

    /// The live confirmation of a subscription, if initiated (a sheet
    /// superseded by another agency's is not returned).
    pub fn deal_confirmation_of(&self, subscription_id: i64) -> StoreResult<Option<Confirmation>> {
        confirmation_of_in(&self.conn, subscription_id)
    }

    /// The confirmations of `project` (every project when `None`), newest
    /// first — the superseded ones too (`superseded_at`), for the staff.
    pub fn deal_confirmations(&self, project: Option<&str>, limit: u32) -> StoreResult<Vec<Confirmation>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "{CONFIRMATION_SELECT} WHERE (?1 IS NULL OR c.project_id = ?1) ORDER BY c.id DESC LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![project, limit], read_confirmation)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Does the attribution in force still give `subscription_id` to the
    /// agency as channel performance, not cancelled? (A sheet whose
    /// attribution moved is shown as no longer in force.)
    pub fn deal_still_attributed(&self, subscription_id: i64, agency_id: i64) -> StoreResult<bool> {
        let agency = agency_name_in(&self.conn, agency_id)?;
        Ok(standing_in(&self.conn, subscription_id)?
            .is_some_and(|s| s.channel_performance && !s.cancelled && s.names(agency_id, &agency)))
    }

    /// The end of the protection a visit record gave (its sealed verdict),
    /// if it is a visit that gave one.
    pub fn visit_protected_until(&self, seq: i64) -> StoreResult<Option<DateTime<FixedOffset>>> {
        let row = match self.ledger_row(seq) {
            Ok(row) => row,
            Err(StoreError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        if row.kind != "visit" {
            return Ok(None);
        }
        Ok(row.visit_body()?.verdict.protected_until)
    }
}
