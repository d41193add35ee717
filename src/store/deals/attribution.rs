//! 渠道业绩, recorded: the attribution of a subscription, decided by the
//! pure `domain::attribute::attribute` on the facts gathered here, sealed in
//! the ledger as an `attribution` entry (`wire::record::AttributionBody`),
//! and kept as the row in force in `attributions` (for lists and sums; the
//! ledger is the evidence).
//!
//! The facts: the customer (the subscription's phone and its customer
//! group's, 直系亲属), their visits in the history the judge reads (voided
//! visits do not count; a kiosk visit judged valid carries its agency and
//! the end of its protection, an imported visit is a natural one), the
//! contract end of each agency that appears, whether any of the customer's
//! phones is on the employees list, and the customer's earlier
//! subscriptions (not cancelled).
//!
//! Never edited: when something the attribution rests on changes — an
//! amendment of a visit, a customer group link or unlink, a contract or
//! cancellation, the employees list, a ruling — the subscription is
//! attributed again and a new entry is appended that `replaces` the one in
//! force, but only when the result differs from it (or there is none yet):
//! the same facts twice append nothing.

use super::super::groups::group_phones_in;
use super::super::ledger::{EntryKind, LedgerRow, NewEntry, Tip, append_in};
use super::super::{Store, StoreError, StoreResult};
use super::employees::is_employee_in;
use crate::config::rules::RulesPatch;
use crate::domain::attribute::{self as attr, AttributeReason};
use crate::domain::phone::{CustomerPhone, Phone};
use crate::domain::rules::Rules;
use crate::wire::record::{
    self, ATTRIBUTION_VERSION, AttributedEarlier, AttributedSubscription, AttributedVisit, AttributionBody,
    AttributionFacts, AttributionOutcome, AttributionSettings,
};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::{BTreeMap, BTreeSet};

/// The attribution in force for a subscription (the newest entry's result).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributionInForce {
    pub ledger_seq: i64,
    pub channel_performance: bool,
    /// The covering visit's agency (also when a reason withholds the
    /// performance).
    pub agency: Option<String>,
    pub agency_id: Option<i64>,
    /// The covering visit's record, when it is one of panke's.
    pub visit_seq: Option<i64>,
    /// RFC 3339.
    pub visit_at: Option<String>,
    pub reasons: Vec<AttributeReason>,
    /// UTC stamp.
    pub attributed_at: String,
}

/// One attribution entry of a subscription, as sealed.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributionEntry {
    pub seq: i64,
    pub recorded_at: String,
    pub body: AttributionBody,
}

/// Reason codes as the `attributions` row keeps them (comma-separated).
pub(crate) fn parse_reasons(text: &str) -> Vec<AttributeReason> {
    text.split(',').filter_map(|c| AttributeReason::ALL.iter().copied().find(|r| r.code() == c)).collect()
}

/// Appends attribution entries inside the caller's transaction, each
/// chained to the one before; once the transaction has committed the caller
/// hands every row to `Store::appended`, in order.
pub(crate) struct Appender<'k> {
    key: &'k [u8],
    tip: Option<Tip>,
    rows: Vec<LedgerRow>,
}

impl<'k> Appender<'k> {
    /// `tip`: the store's cached tip, or the row just appended in this
    /// transaction.
    pub(crate) fn new(key: &'k [u8], tip: Option<Tip>) -> Appender<'k> {
        Appender { key, tip, rows: Vec::new() }
    }

    pub(crate) fn append(&mut self, tx: &Connection, entry: NewEntry<'_>, now: DateTime<Utc>) -> StoreResult<i64> {
        let row = append_in(tx, self.key, self.tip.as_ref(), entry, now)?;
        self.tip = Some(Tip::from(&row));
        let seq = row.seq;
        self.rows.push(row);
        Ok(seq)
    }

    /// The rows appended, oldest first.
    pub(crate) fn into_rows(self) -> Vec<LedgerRow> {
        self.rows
    }

    /// Commits the transaction the rows were appended in and returns them,
    /// oldest first, for `Store::appended_all`.
    pub(crate) fn commit(self, tx: super::super::WriteTx<'_>) -> StoreResult<Vec<LedgerRow>> {
        tx.commit()?;
        Ok(self.rows)
    }
}

impl Store {
    /// Caches the rows a committed transaction appended, in order (the tip,
    /// the head file).
    pub(crate) fn appended_all(&mut self, rows: &[LedgerRow]) {
        for row in rows {
            self.appended(row);
        }
    }
}

/// The rules in force for a project: its newest recorded rule version
/// (recorded at every start, `Store::record_rule_version`); the defaults of
/// rules.md when none is recorded.
pub(crate) fn rules_in_force_in(conn: &Connection, project_id: &str) -> StoreResult<Rules> {
    let json: Option<String> = conn
        .prepare_cached("SELECT rules_json FROM rule_versions WHERE project_id = ?1 ORDER BY id DESC LIMIT 1")?
        .query_row([project_id], |r| r.get(0))
        .optional()?;
    // Every start records the project's rules (app.rs): none recorded means
    // this database was never served with this project — refuse rather
    // than judge by defaults the project may not use.
    let Some(json) = json else {
        return Err(StoreError::Corrupt(format!(
            "no rules recorded for project {project_id}: start panke once with its configuration"
        )));
    };
    let damaged = |e: String| StoreError::Corrupt(format!("the rules recorded for {project_id}: {e}"));
    let patch: RulesPatch = serde_json::from_str(&json).map_err(|e| damaged(e.to_string()))?;
    patch.resolve("rule_versions").map_err(|e| damaged(e.to_string()))
}

/// The subscription as the attribution needs it.
struct Facts {
    project_id: String,
    phone: Phone,
    unit: String,
    product: String,
    price_fen: i64,
    at: DateTime<FixedOffset>,
    subscribed_unix: i64,
    external_id: Option<String>,
}

fn facts_in(conn: &Connection, id: i64) -> StoreResult<Facts> {
    type Row = (String, String, String, String, i64, String, i64, Option<String>);
    let row: Option<Row> = conn
        .prepare_cached(
            "SELECT project_id, phone, unit, product, price_fen, subscribed_at, subscribed_unix, external_id
             FROM subscriptions WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?))
        })
        .optional()?;
    let Some((project_id, phone, unit, product, price_fen, at, subscribed_unix, external_id)) = row else {
        return Err(StoreError::NotFound(format!("subscription {id}")));
    };
    let phone = Phone::parse(&phone).map_err(|_| StoreError::Corrupt(format!("subscription {id}: phone")))?;
    let at = crate::time::parse_instant(&at)
        .ok_or_else(|| StoreError::Corrupt(format!("subscription {id}: subscribed_at")))?;
    Ok(Facts { project_id, phone, unit, product, price_fen, at, subscribed_unix, external_id })
}

/// A visit of the customer in the history.
struct Seen {
    id: i64,
    agency: Option<String>,
    at: DateTime<FixedOffset>,
    phone: CustomerPhone,
    protected_until: Option<DateTime<FixedOffset>>,
    record_seq: Option<i64>,
}

impl Seen {
    /// A kiosk visit judged valid keeps its agency and protection end; any
    /// other visit (invalid, imported) is natural.
    fn valid(&self) -> bool {
        self.agency.is_some() && self.protected_until.is_some()
    }
}

/// Every visit of any of the customer's phones (full or masked match), not
/// voided, oldest first.
fn visits_in(conn: &Connection, project_id: &str, customer: &[Phone]) -> StoreResult<Vec<Seen>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, at, phone, agency, protected_until, record_seq FROM history
         WHERE project_id = ?1 AND phone_head = ?2 AND phone_tail = ?3 AND voided = 0",
    )?;
    let mut ids = BTreeSet::new();
    let mut out = Vec::new();
    for wanted in customer {
        let masked = wanted.masked();
        let rows = stmt.query_map(params![project_id, masked.head(), masked.tail()], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<i64>>(5)?,
            ))
        })?;
        for row in rows {
            let (id, at, stored, agency, until, record_seq) = row?;
            let (Some(at), Ok(phone)) = (crate::time::parse_instant(&at), CustomerPhone::parse(&stored, true)) else {
                continue;
            };
            if !phone.matches_full(wanted) || !ids.insert(id) {
                continue;
            }
            let protected_until = until.as_deref().and_then(crate::time::parse_instant);
            out.push(Seen { id, agency, at, phone, protected_until, record_seq });
        }
    }
    out.sort_by_key(|v| (v.at, v.id));
    Ok(out)
}

/// Each agency named by a visit: its id and contract end (both `None` for
/// an agency no longer known by that name).
/// Each agency seen: its id (when known) and its contract end.
type AgencyContracts = BTreeMap<String, (Option<i64>, Option<NaiveDate>)>;

fn agencies_in(conn: &Connection, visits: &[Seen]) -> StoreResult<AgencyContracts> {
    let mut out = BTreeMap::new();
    let mut stmt = conn.prepare_cached("SELECT id, contract_end FROM agencies WHERE name = ?1")?;
    for name in visits.iter().filter_map(|v| v.agency.as_ref()) {
        if out.contains_key(name) {
            continue;
        }
        let found: Option<(i64, Option<String>)> =
            stmt.query_row(params![name], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
        let entry = match found {
            Some((id, end)) => (Some(id), end.and_then(|e| NaiveDate::parse_from_str(&e, "%Y-%m-%d").ok())),
            None => (None, None),
        };
        out.insert(name.clone(), entry);
    }
    Ok(out)
}

/// An earlier subscription of the customer.
struct Earlier {
    id: i64,
    at: DateTime<FixedOffset>,
    phone: Phone,
}

/// The customer's subscriptions before `before_unix`, not cancelled, other
/// than `id`; oldest first.
fn earlier_in(
    conn: &Connection,
    project_id: &str,
    id: i64,
    before_unix: i64,
    customer: &[Phone],
) -> StoreResult<Vec<Earlier>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, subscribed_at, phone FROM subscriptions
         WHERE project_id = ?1 AND phone_head = ?2 AND phone_tail = ?3 AND status != 'cancelled'
           AND id != ?4 AND subscribed_unix < ?5",
    )?;
    let mut ids = BTreeSet::new();
    let mut out = Vec::new();
    for wanted in customer {
        let masked = wanted.masked();
        let rows = stmt.query_map(params![project_id, masked.head(), masked.tail(), id, before_unix], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
        })?;
        for row in rows {
            let (other, at, stored) = row?;
            let (Some(at), Ok(phone)) = (crate::time::parse_instant(&at), Phone::parse(&stored)) else { continue };
            if phone != *wanted || !ids.insert(other) {
                continue;
            }
            out.push(Earlier { id: other, at, phone });
        }
    }
    out.sort_by_key(|e| (e.at, e.id));
    Ok(out)
}

/// Who holds a deal in the `attributions` row: the rules' result, or a
/// ruling's award over it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Held {
    channel_performance: bool,
    agency: Option<String>,
    agency_id: Option<i64>,
    share_percent: i64,
    co_agency: Option<String>,
    co_agency_id: Option<i64>,
    co_percent: i64,
    dispute_id: Option<i64>,
}

/// Attributes subscription `id` with `rules` and records the result: an
/// `attribution` ledger entry (the facts, the settings, the result, `cause`
/// and the entry it `replaces`) and the row in force in `attributions`.
///
/// Appends **only when the result differs from the attribution in force**
/// (channel performance, agency, covering visit and its instant, reasons),
/// or when the subscription has none yet; returns whether it appended.
pub(crate) fn attribute_subscription_in(
    tx: &Connection,
    app: &mut Appender<'_>,
    rules: &Rules,
    id: i64,
    cause: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let facts = facts_in(tx, id)?;
    let mut customer = vec![facts.phone];
    for member in group_phones_in(tx, &facts.project_id, &facts.phone)? {
        if let CustomerPhone::Full(full) = member
            && !customer.contains(&full)
        {
            customer.push(full);
        }
    }
    let visits = visits_in(tx, &facts.project_id, &customer)?;
    let agencies = agencies_in(tx, &visits)?;
    let mut employees = Vec::new();
    for p in &customer {
        if is_employee_in(tx, app.key, &facts.project_id, &CustomerPhone::Full(*p))? {
            employees.push(*p);
        }
    }
    let earlier = earlier_in(tx, &facts.project_id, id, facts.subscribed_unix, &customer)?;
    let case = attr::AttributeCase {
        subscription: attr::Subscription {
            at: facts.at,
            customer_phone: CustomerPhone::Full(facts.phone),
            group_phones: customer.iter().skip(1).map(|p| CustomerPhone::Full(*p)).collect(),
            product: facts.product.clone(),
        },
        visits: visits
            .iter()
            .map(|v| attr::VisitFact {
                agency: v.agency.clone(),
                at: v.at,
                phone: v.phone,
                valid: v.valid(),
                protected_until: v.protected_until,
            })
            .collect(),
        agencies: agencies.iter().map(|(name, (_, end))| (name.clone(), *end)).collect(),
        employees: employees.iter().map(|p| CustomerPhone::Full(*p)).collect(),
        earlier_subscriptions: earlier
            .iter()
            .map(|e| attr::EarlierSubscription { at: e.at, phone: CustomerPhone::Full(e.phone) })
            .collect(),
    };
    let attr::Attribution { channel_performance, agency, visit_at, reasons, covering, .. } =
        attr::attribute(&case, rules);
    let visit_seq = covering.and_then(|i| visits.get(i)).and_then(|v| v.record_seq);
    let agency_id = agency.as_ref().and_then(|a| agencies.get(a)).and_then(|(id, _)| *id);
    let reasons_text = reasons.iter().map(|r| r.code()).collect::<Vec<_>>().join(",");
    let visit_at_text = visit_at.map(crate::time::format_instant);

    // A dispute's ruling in force decides over the rules' result.
    let ruling = crate::store::disputes::award::ruling_in_force_in(tx, id, &facts.project_id, &customer)?;
    let held = match &ruling {
        Some(r) => Held {
            channel_performance: r.agency_id.is_some() || r.co_agency_id.is_some(),
            agency: r.agency.clone(),
            agency_id: r.agency_id,
            share_percent: i64::from(r.percent),
            co_agency: r.co_agency.clone(),
            co_agency_id: r.co_agency_id,
            co_percent: i64::from(r.co_percent),
            dispute_id: Some(r.dispute_id),
        },
        None => Held {
            channel_performance,
            agency: agency.clone(),
            agency_id,
            share_percent: 100,
            co_agency: None,
            co_agency_id: None,
            co_percent: 0,
            dispute_id: None,
        },
    };

    type InForce = (i64, bool, Option<String>, Option<i64>, Option<String>, String, Held);
    let current: Option<InForce> = tx
        .prepare_cached(
            "SELECT ledger_seq, channel_performance, agency, visit_seq, visit_at, reasons, agency_id, share_percent,
                    co_agency, co_agency_id, co_percent, dispute_id
             FROM attributions WHERE subscription_id = ?1",
        )?
        .query_row([id], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                Held {
                    channel_performance: r.get(1)?,
                    agency: r.get(2)?,
                    agency_id: r.get(6)?,
                    share_percent: r.get(7)?,
                    co_agency: r.get(8)?,
                    co_agency_id: r.get(9)?,
                    co_percent: r.get(10)?,
                    dispute_id: r.get(11)?,
                },
            ))
        })
        .optional()?;
    if let Some((_, _, _, was_seq, was_at, was_reasons, was_held)) = &current
        && *was_held == held
        && *was_seq == visit_seq
        && *was_at == visit_at_text
        && *was_reasons == reasons_text
    {
        return Ok(false);
    }

    let body = AttributionBody {
        version: ATTRIBUTION_VERSION,
        subscription: AttributedSubscription {
            id,
            external_id: facts.external_id.clone(),
            unit: facts.unit.clone(),
            product: facts.product.clone(),
            price_fen: facts.price_fen,
            at: facts.at,
        },
        customer_phones: customer.iter().map(|p| p.masked().to_string()).collect(),
        facts: AttributionFacts {
            visits: visits
                .iter()
                .map(|v| AttributedVisit {
                    agency: v.agency.clone(),
                    at: v.at,
                    phone: v.phone.masked().to_string(),
                    valid: v.valid(),
                    protected_until: v.protected_until,
                    record_seq: v.record_seq,
                })
                .collect(),
            agencies: agencies.iter().map(|(name, (_, end))| (name.clone(), end.map(|d| d.to_string()))).collect(),
            employees: employees.iter().map(|p| p.masked().to_string()).collect(),
            earlier_subscriptions: earlier
                .iter()
                .map(|e| AttributedEarlier { subscription_id: e.id, at: e.at, phone: e.phone.masked().to_string() })
                .collect(),
        },
        rules: AttributionSettings {
            timezone: rules.timezone.name().to_owned(),
            protection_days: rules.protection.num_days(),
            contract_grace_days: rules.contract_grace_days,
            excluded_products: rules.excluded_products.iter().cloned().collect(),
            repeat_buyer_excluded: rules.repeat_buyer_excluded,
        },
        result: AttributionOutcome {
            channel_performance,
            agency: agency.clone(),
            visit_at,
            reasons: reasons.clone(),
            covering,
            visit_seq,
        },
        cause: cause.to_owned(),
        replaces: current.as_ref().map(|c| c.0),
        ruling,
    };
    let value = record::canonical(&body).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let entry = NewEntry {
        kind: EntryKind::Attribution,
        project_id: &facts.project_id,
        report_id: None,
        amends_seq: None,
        body: &value,
        signatures: Vec::new(),
    };
    let seq = app.append(tx, entry, now)?;
    tx.prepare_cached(
        "INSERT INTO attributions (subscription_id, project_id, ledger_seq, channel_performance, agency, agency_id,
            visit_seq, visit_at, reasons, subscribed_unix, price_fen, attributed_at, share_percent, co_agency_id,
            co_agency, co_percent, dispute_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
         ON CONFLICT(subscription_id) DO UPDATE SET
            project_id = excluded.project_id, ledger_seq = excluded.ledger_seq,
            channel_performance = excluded.channel_performance, agency = excluded.agency,
            agency_id = excluded.agency_id, visit_seq = excluded.visit_seq, visit_at = excluded.visit_at,
            reasons = excluded.reasons, subscribed_unix = excluded.subscribed_unix, price_fen = excluded.price_fen,
            attributed_at = excluded.attributed_at, share_percent = excluded.share_percent,
            co_agency_id = excluded.co_agency_id, co_agency = excluded.co_agency, co_percent = excluded.co_percent,
            dispute_id = excluded.dispute_id",
    )?
    .execute(params![
        id,
        facts.project_id,
        seq,
        held.channel_performance,
        held.agency,
        held.agency_id,
        visit_seq,
        visit_at_text,
        reasons_text,
        facts.subscribed_unix,
        facts.price_fen,
        crate::time::stamp(now),
        held.share_percent,
        held.co_agency_id,
        held.co_agency,
        held.co_percent,
        held.dispute_id,
    ])?;
    // The agencies' webhooks, in this transaction: each agency the deal is
    // attributed to is told its own share, and each it was attributed to
    // before and no longer is, that it is not theirs (another agency is
    // never named).
    let news = crate::store::webhooks::DealNews {
        project_id: &facts.project_id,
        subscription_id: id,
        unit: &facts.unit,
        product: &facts.product,
        customer_phone: facts.phone.masked().to_string(),
        reasons: reasons.iter().map(|r| r.code()).collect(),
        dispute_id: held.dispute_id,
    };
    let mut told: Vec<i64> = Vec::new();
    for (agency, percent) in [(held.agency_id, held.share_percent), (held.co_agency_id, held.co_percent)] {
        if let Some(agency) = agency
            && !told.contains(&agency)
        {
            told.push(agency);
            let performance = held.channel_performance && percent > 0;
            crate::store::webhooks::deal_attributed_in(tx, &news, agency, performance, percent, now)?;
        }
    }
    if let Some((.., was)) = &current {
        for agency in [was.agency_id, was.co_agency_id].into_iter().flatten() {
            if !told.contains(&agency) {
                told.push(agency);
                crate::store::webhooks::deal_attributed_in(tx, &news, agency, false, 0, now)?;
            }
        }
    }
    Ok(true)
}

/// Re-attributes every subscription (not cancelled: a cancelled one keeps
/// its last attribution) of the customers of `phones` — each phone with its
/// customer group, as the attribution sees a customer — with `cause`.
/// Returns how many entries were appended (only changed results are).
pub(crate) fn reattribute_customer_in(
    tx: &Connection,
    app: &mut Appender<'_>,
    rules: &Rules,
    project_id: &str,
    phones: &[Phone],
    cause: &str,
    now: DateTime<Utc>,
) -> StoreResult<usize> {
    let mut customer: Vec<Phone> = Vec::new();
    for p in phones {
        if !customer.contains(p) {
            customer.push(*p);
        }
        for member in group_phones_in(tx, project_id, p)? {
            if let CustomerPhone::Full(full) = member
                && !customer.contains(&full)
            {
                customer.push(full);
            }
        }
    }
    let mut ids = BTreeSet::new();
    {
        let mut stmt = tx.prepare_cached(
            "SELECT id, phone FROM subscriptions
             WHERE project_id = ?1 AND phone_head = ?2 AND phone_tail = ?3 AND status != 'cancelled'",
        )?;
        for p in &customer {
            let masked = p.masked();
            let rows = stmt.query_map(params![project_id, masked.head(), masked.tail()], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })?;
            for row in rows {
                let (id, stored) = row?;
                if stored == p.as_str() {
                    ids.insert(id);
                }
            }
        }
    }
    let mut appended = 0;
    for id in ids {
        if attribute_subscription_in(tx, app, rules, id, cause, now)? {
            appended += 1;
        }
    }
    Ok(appended)
}

/// After a change outside the deals (an amendment of a visit record, a
/// customer group link or unlink, the employees list): re-attributes the
/// subscriptions of the customers of `phones` with the project's rules in
/// force, inside the caller's transaction. `tip`: the newest row this
/// transaction appended (or the store's cached tip). Returns the rows
/// appended, for `Store::appended` once the transaction has committed.
pub(crate) fn reattribute_after_change_in(
    tx: &Connection,
    key: &[u8],
    tip: Option<Tip>,
    project_id: &str,
    phones: &[Phone],
    cause: &str,
    now: DateTime<Utc>,
) -> StoreResult<Vec<LedgerRow>> {
    let any: bool = tx
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM subscriptions WHERE project_id = ?1)")?
        .query_row([project_id], |r| r.get(0))?;
    if phones.is_empty() || !any {
        return Ok(Vec::new());
    }
    let rules = rules_in_force_in(tx, project_id)?;
    let mut app = Appender::new(key, tip);
    reattribute_customer_in(tx, &mut app, &rules, project_id, phones, cause, now)?;
    Ok(app.into_rows())
}

impl Store {
    /// The attribution in force for a subscription (none before it was
    /// attributed).
    pub fn attribution(&self, subscription_id: i64) -> StoreResult<Option<AttributionInForce>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT ledger_seq, channel_performance, agency, agency_id, visit_seq, visit_at, reasons, attributed_at
                 FROM attributions WHERE subscription_id = ?1",
            )?
            .query_row([subscription_id], |r| {
                Ok(AttributionInForce {
                    ledger_seq: r.get(0)?,
                    channel_performance: r.get(1)?,
                    agency: r.get(2)?,
                    agency_id: r.get(3)?,
                    visit_seq: r.get(4)?,
                    visit_at: r.get(5)?,
                    reasons: parse_reasons(&r.get::<_, String>(6)?),
                    attributed_at: r.get(7)?,
                })
            })
            .optional()?)
    }

    /// Every attribution entry of a subscription, newest first: the one in
    /// force, then each entry it replaces, as sealed in the ledger.
    pub fn attribution_entries(&self, subscription_id: i64) -> StoreResult<Vec<AttributionEntry>> {
        let mut next: Option<i64> = self
            .conn
            .query_row("SELECT ledger_seq FROM attributions WHERE subscription_id = ?1", [subscription_id], |r| {
                r.get(0)
            })
            .optional()?;
        let mut out = Vec::new();
        while let Some(seq) = next {
            let row = self.ledger_row(seq)?;
            if row.kind != "attribution" {
                return Err(StoreError::Corrupt(format!("record {seq} is not an attribution")));
            }
            let body: AttributionBody =
                record::parse(seq, &row.body).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            if body.subscription.id != subscription_id {
                return Err(StoreError::Corrupt(format!(
                    "record {seq} attributes subscription {}, not {subscription_id}",
                    body.subscription.id
                )));
            }
            // Each entry replaces an older one: the walk ends.
            next = body.replaces.filter(|older| *older < seq);
            out.push(AttributionEntry { seq, recorded_at: row.recorded_at, body });
        }
        Ok(out)
    }

    /// Attributes a subscription again now, with `rules` (a ruling on a
    /// dispute: cause `ruling:<id>`); an entry only when the result changed.
    pub fn reattribute_subscription(
        &mut self,
        id: i64,
        rules: &Rules,
        cause: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let tx = super::super::WriteTx::begin(&mut self.conn)?;
        let mut app = Appender::new(&self.ledger_key, self.tip.clone());
        let appended = attribute_subscription_in(&tx, &mut app, rules, id, cause, now)?;
        let rows = app.commit(tx)?;
        self.appended_all(&rows);
        Ok(appended)
    }
}
