//! A dispute's outcome: appealed, withdrawn, ruled (and the deal
//! attributed again with the ruling in force).

use super::{body, seal_in, set_status_in};
use crate::domain::dispute::{self as rule, Outcome, Party, Status};
use crate::domain::phone::Phone;
use crate::store::deals::{Appender, attribute_subscription_in, reattribute_customer_in, rules_in_force_in};
use crate::store::disputes::notices::{ADMINS, agency_recipient, managers_recipient, notify_in};
use crate::store::disputes::{Dispute, dispute_in};
use crate::store::{Store, StoreError, StoreResult, WriteTx, unique_violation};
use crate::wire::dispute::{AppealRef, RulingRef};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rusqlite::params;

impl Store {
    /// A party appeals the manager's ruling to the admin: once per dispute,
    /// within the appeal period.
    pub fn appeal_dispute(
        &mut self,
        dispute_id: i64,
        agency_id: i64,
        reason: &str,
        by: &str,
        tz: Tz,
        now: DateTime<Utc>,
    ) -> StoreResult<Dispute> {
        let reason = rule::ruling_reasons(reason)
            .map_err(|_| StoreError::Invalid("请写明复核理由(至少 4 个字)/ give the appeal's reasons".into()))?;
        let reason = crate::domain::phone::mask_phones_in_text(&reason);
        let tx = WriteTx::begin(&mut self.conn)?;
        let dispute = dispute_in(&tx, dispute_id)?;
        let party = dispute.party_of(agency_id).ok_or_else(|| StoreError::NotFound(format!("dispute {dispute_id}")))?;
        if dispute.appeal.is_some() {
            return Err(StoreError::Conflict("每件申诉只能申请一次复核 / a dispute can be appealed only once".into()));
        }
        let ruled_at = match (dispute.status, dispute.ruling()) {
            (Status::Ruled, Some(r)) => crate::time::parse_instant(&r.ruled_at)
                .map(|t| t.with_timezone(&Utc))
                .ok_or_else(|| StoreError::Corrupt(format!("dispute {dispute_id}: ruled_at")))?,
            _ => return Err(StoreError::Conflict("尚未裁决,不能申请复核 / nothing ruled to appeal yet".into())),
        };
        rule::may_appeal(&dispute.settings, tz, ruled_at, now).map_err(|late| StoreError::Late(late.message()))?;
        tx.prepare_cached(
            "INSERT INTO dispute_appeals (dispute_id, party, agency_id, by_actor, reason, appealed_at, ledger_seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0)",
        )?
        .execute(params![dispute_id, party.code(), agency_id, by, reason, crate::time::stamp(now)])
        .map_err(|e| unique_violation(e, "每件申诉只能申请一次复核 / a dispute can be appealed only once"))?;
        let mut app = Appender::new(&self.ledger_key, self.tip.clone());
        let mut sealed = body(&dispute, "appeal", by);
        sealed.appeal = Some(AppealRef { party: party.code().to_owned(), reason });
        let seq = seal_in(&tx, &mut app, &dispute.project_id, &sealed, now)?;
        tx.prepare_cached("UPDATE dispute_appeals SET ledger_seq = ?2 WHERE dispute_id = ?1")?
            .execute(params![dispute_id, seq])?;
        set_status_in(&tx, dispute_id, Status::Appealed, now)?;
        notify_in(&tx, dispute_id, ADMINS, "appeal", now)?;
        let other = if party == Party::Claimant { dispute.respondent_agency_id } else { dispute.claimant_agency_id };
        if let Some(other) = other {
            notify_in(&tx, dispute_id, &agency_recipient(other), "appeal", now)?;
        }
        let dispute = dispute_in(&tx, dispute_id)?;
        let rows = app.commit(tx)?;
        self.appended_all(&rows);
        Ok(dispute)
    }

    /// The claimant withdraws an open dispute.
    pub fn withdraw_dispute(
        &mut self,
        dispute_id: i64,
        agency_id: Option<i64>,
        by: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Dispute> {
        let tx = WriteTx::begin(&mut self.conn)?;
        let dispute = dispute_in(&tx, dispute_id)?;
        if agency_id.is_some() && dispute.claimant_agency_id != agency_id {
            return Err(StoreError::NotFound(format!("dispute {dispute_id}")));
        }
        if dispute.status == Status::Withdrawn {
            // Withdrawn already (a double tap): nothing more to do.
            return Ok(dispute);
        }
        if dispute.status != Status::Open {
            return Err(StoreError::Conflict(
                "只有处理中的申诉可以撤回 / only an open dispute can be withdrawn".into(),
            ));
        }
        let mut app = Appender::new(&self.ledger_key, self.tip.clone());
        seal_in(&tx, &mut app, &dispute.project_id, &body(&dispute, "withdrawn", by), now)?;
        set_status_in(&tx, dispute_id, Status::Withdrawn, now)?;
        if let Some(respondent) = dispute.respondent_agency_id {
            notify_in(&tx, dispute_id, &agency_recipient(respondent), "withdrawn", now)?;
        }
        notify_in(&tx, dispute_id, &managers_recipient(&dispute.project_id), "withdrawn", now)?;
        let dispute = dispute_in(&tx, dispute_id)?;
        let rows = app.commit(tx)?;
        self.appended_all(&rows);
        Ok(dispute)
    }

    /// Rules on a dispute: the project's manager on an open one (level 1),
    /// the admin on an appealed one (level 2, final). The ruling is sealed,
    /// the deal is attributed again with it (cause `ruling:<id>`: a new
    /// attribution entry when the result changes), and both parties are
    /// told.
    #[allow(clippy::too_many_arguments)]
    pub fn rule_dispute(
        &mut self,
        dispute_id: i64,
        outcome: Outcome,
        reasons: &str,
        staff_id: i64,
        admin: bool,
        by: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Dispute> {
        let reasons = rule::ruling_reasons(reasons).map_err(|m| StoreError::Invalid(m.to_owned()))?;
        // Both parties read the reasons: a number typed into them is masked.
        let reasons = crate::domain::phone::mask_phones_in_text(&reasons);
        let tx = WriteTx::begin(&mut self.conn)?;
        let dispute = dispute_in(&tx, dispute_id)?;
        if let Some(last) = dispute.ruling()
            && last.ruled_by == staff_id
            && last.outcome == outcome
            && last.reasons == reasons
        {
            // The same ruling sent twice (a double submit): already done.
            return Ok(dispute);
        }
        let level: u8 = match dispute.status {
            Status::Open => 1,
            Status::Appealed if admin && dispute.rulings.iter().any(|r| r.ruled_by == staff_id) => {
                return Err(StoreError::Conflict(
                    "复核须由未参与原裁决的管理员裁决 / an appeal is ruled by an admin who did not make the first ruling"
                        .into(),
                ));
            }
            Status::Appealed if admin => 2,
            Status::Appealed => {
                return Err(StoreError::Conflict(
                    "复核须由集团管理员裁决 / an appeal is ruled by the group's admin".into(),
                ));
            }
            _ => {
                return Err(StoreError::Conflict(
                    "该申诉已裁决或撤回 / this dispute is already ruled or withdrawn".into(),
                ));
            }
        };
        if matches!(outcome, Outcome::Split { .. })
            && dispute.claimant_agency_id.is_none()
            && dispute.respondent_agency_id.is_none()
        {
            return Err(StoreError::Invalid("无渠道可分配 / no agency to share with".into()));
        }
        tx.prepare_cached(
            "INSERT INTO dispute_rulings (dispute_id, level, outcome, claimant_percent, reasons, ruled_by, ruled_at, ledger_seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0)",
        )?
        .execute(params![
            dispute_id,
            level,
            outcome.code(),
            outcome.claimant_percent(),
            reasons,
            staff_id,
            crate::time::stamp(now)
        ])
        .map_err(|e| unique_violation(e, "该申诉已裁决 / this dispute is already ruled"))?;
        let mut app = Appender::new(&self.ledger_key, self.tip.clone());
        let mut sealed = body(&dispute, "ruling", by);
        sealed.ruling = Some(RulingRef {
            level,
            outcome: outcome.code().to_owned(),
            claimant_percent: outcome.claimant_percent(),
            reasons,
        });
        let seq = seal_in(&tx, &mut app, &dispute.project_id, &sealed, now)?;
        tx.prepare_cached("UPDATE dispute_rulings SET ledger_seq = ?3 WHERE dispute_id = ?1 AND level = ?2")?
            .execute(params![dispute_id, level, seq])?;
        set_status_in(&tx, dispute_id, if level == 1 { Status::Ruled } else { Status::Closed }, now)?;

        // The deal (or the customer's deals, when the dispute is about a
        // visit) attributed again with the ruling in force.
        let cause = format!("ruling:{dispute_id}");
        let rules = rules_in_force_in(&tx, &dispute.project_id)?;
        match dispute.subscription_id {
            Some(subscription) => {
                attribute_subscription_in(&tx, &mut app, &rules, subscription, &cause, now)?;
            }
            None => {
                let phone: String =
                    tx.query_row("SELECT phone FROM disputes WHERE id = ?1", [dispute_id], |r| r.get(0))?;
                if let Ok(full) = Phone::parse(&phone) {
                    reattribute_customer_in(&tx, &mut app, &rules, &dispute.project_id, &[full], &cause, now)?;
                }
            }
        }
        for agency in [dispute.claimant_agency_id, dispute.respondent_agency_id].into_iter().flatten() {
            notify_in(&tx, dispute_id, &agency_recipient(agency), "ruling", now)?;
        }
        if level == 2 {
            notify_in(&tx, dispute_id, &managers_recipient(&dispute.project_id), "ruling", now)?;
        }
        let dispute = dispute_in(&tx, dispute_id)?;
        let rows = app.commit(tx)?;
        self.appended_all(&rows);
        Ok(dispute)
    }
}
