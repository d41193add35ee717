//! Deals: the customer's subscriptions (认购) with their deposit, down
//! payment, contract or cancellation, and every attribution entry (渠道业绩)
//! sealed for them, with the award of a dispute's ruling when one decides
//! over the rules.

use super::super::deals::{AttributionEntry, Product, format_yuan};
use super::super::{Store, StoreResult};
use super::text::{Words, cause_words, detail, local, masked_text, subscription_rule, words};
use super::versions::RuleVersions;
use super::{Names, TimelineEvent, TimelineKind, event, with_words};
use crate::domain::phone::Phone;
use crate::domain::reason::Lang as ReasonLang;
use crate::domain::rules::Rules;
use rusqlite::{Connection, params};
use std::collections::BTreeMap;

struct SubscriptionFound {
    id: i64,
    customer_name: String,
    phone: String,
    unit: String,
    product: String,
    price_fen: i64,
    subscribed_at: String,
    deposit_at: Option<String>,
    down_payment_at: Option<String>,
    contracted_at: Option<String>,
    cancelled_at: Option<String>,
    sales_name: String,
}

fn customer_subscriptions(
    conn: &Connection,
    project_id: &str,
    customer: &[Phone],
) -> StoreResult<BTreeMap<i64, SubscriptionFound>> {
    // subscriptions: subscriptions_by_customer (project_id, phone_head, phone_tail).
    // A subscription holds the full number.
    let mut stmt = conn.prepare_cached(
        "SELECT id, customer_name, phone, unit, product, price_fen, subscribed_at, deposit_at, down_payment_at,
                contracted_at, cancelled_at, sales_name
         FROM subscriptions WHERE project_id = ?1 AND phone_head = ?2 AND phone_tail = ?3",
    )?;
    let mut found = BTreeMap::new();
    for wanted in customer {
        let masked = wanted.masked();
        let rows = stmt.query_map(params![project_id, masked.head(), masked.tail()], |r| {
            Ok(SubscriptionFound {
                id: r.get(0)?,
                customer_name: r.get(1)?,
                phone: r.get(2)?,
                unit: r.get(3)?,
                product: r.get(4)?,
                price_fen: r.get(5)?,
                subscribed_at: r.get(6)?,
                deposit_at: r.get(7)?,
                down_payment_at: r.get(8)?,
                contracted_at: r.get(9)?,
                cancelled_at: r.get(10)?,
                sales_name: r.get(11)?,
            })
        })?;
        for row in rows {
            let s = row?;
            if s.phone == wanted.as_str() {
                found.entry(s.id).or_insert(s);
            }
        }
    }
    Ok(found)
}

/// Each subscription with its dates (the protection in force when it was
/// subscribed) and its attribution entries. `rules`: the project's clock.
pub(super) fn subscription_events(
    store: &Store,
    project_id: &str,
    rules: &Rules,
    versions: &RuleVersions<'_>,
    customer: &[Phone],
    names: &mut Names,
    events: &mut Vec<TimelineEvent>,
) -> StoreResult<()> {
    let conn = &store.conn;
    for s in customer_subscriptions(conn, project_id, customer)?.values() {
        let Some(subscribed_at) = crate::time::parse_instant(&s.subscribed_at) else { continue };
        let masked = masked_text(&s.phone);
        let (product_zh, product_en) = match Product::parse(&s.product) {
            Some(p) => (p.zh(), p.en()),
            None => (s.product.as_str(), s.product.as_str()),
        };
        let unit = s.unit.as_str();
        let price = format_yuan(s.price_fen);
        let details = [
            detail("客户姓名", "Customer name", &s.customer_name),
            detail("置业顾问", "Sales consultant", &s.sales_name),
        ];
        let base =
            TimelineEvent { subscription_id: Some(s.id), ..event(subscribed_at, TimelineKind::Subscription, masked) };
        events.push(with_words(
            TimelineEvent { details: details.into_iter().flatten().collect(), ..base.clone() },
            (
                format!("认购 {unit}({product_zh}),总价 ¥{price}"),
                format!("subscribed {unit} ({product_en}), price ¥{price}"),
            ),
            versions.at(subscribed_at).say(subscription_rule),
        ));
        let steps = [
            (&s.deposit_at, TimelineKind::Deposit, ("交定金", "deposit paid"), ("交定金", "deposit")),
            (&s.down_payment_at, TimelineKind::DownPayment, ("付首付", "down payment"), ("付首付", "down payment")),
            (&s.contracted_at, TimelineKind::Contract, ("签约", "contract signed"), ("签约", "contract")),
            (
                &s.cancelled_at,
                TimelineKind::Cancellation,
                ("退订", "cancelled"),
                (
                    "退订:该认购保留最后一次业绩判定,客户的其他认购重新判定",
                    "cancelled: this subscription keeps its last attribution; the customer's other subscriptions are attributed again",
                ),
            ),
        ];
        for (when, kind, (what_zh, what_en), (rule_zh, rule_en)) in steps {
            let Some(at) = when.as_deref().and_then(crate::time::parse_instant) else { continue };
            events.push(with_words(
                TimelineEvent { at, kind, ..base.clone() },
                (format!("{what_zh}({unit})"), format!("{what_en} ({unit})")),
                words(rule_zh, rule_en),
            ));
        }

        // attributions: primary key (subscription_id); the entries it
        // replaces by the ledger's primary key.
        for entry in store.attribution_entries(s.id)? {
            attribution_events(conn, rules, names, &base, &entry, events)?;
        }
    }
    Ok(())
}

/// An attribution entry: the rules' result, or a dispute's ruling in
/// force over it. A split ruling is two steps, one per agency and share, so
/// each agency finds its own share as its own step.
pub(super) fn attribution_events(
    conn: &Connection,
    rules: &Rules,
    names: &mut Names,
    base: &TimelineEvent,
    entry: &AttributionEntry,
    events: &mut Vec<TimelineEvent>,
) -> StoreResult<()> {
    let Some(at) = crate::time::parse_instant(&entry.recorded_at) else { return Ok(()) };
    let result = &entry.body.result;
    let mut facts = (String::new(), String::new());
    if let Some(seq) = result.visit_seq {
        facts.0.push_str(&format!(",覆盖到访记录 #{seq}"));
        facts.1.push_str(&format!(", covered by visit record #{seq}"));
    }
    if let Some(visit_at) = result.visit_at {
        let when = local(rules, visit_at);
        facts.0.push_str(&format!("(到访 {when})"));
        facts.1.push_str(&format!(" (visit {when})"));
    }
    let (cause_zh, cause_en) = cause_words(&entry.body.cause);
    facts.0.push_str(&format!(";起因:{cause_zh}"));
    facts.1.push_str(&format!("; cause: {cause_en}"));
    if let Some(older) = entry.body.replaces {
        facts.0.push_str(&format!(";取代 #{older}"));
        facts.1.push_str(&format!("; replaces #{older}"));
    }
    // What the rules decide on the facts sealed in the entry.
    let by_rules = if result.channel_performance {
        let p = entry.body.rules.protection_days;
        (
            format!("渠道业绩:有效带看覆盖认购(认购在有效带看后 {p} 天保护期内)"),
            format!(
                "channel performance: a valid visit covers the subscription (it came within the {p}-day protection after that visit)"
            ),
        )
    } else {
        let zh: Vec<&str> = result.reasons.iter().map(|r| r.message(ReasonLang::Zh)).collect();
        let en: Vec<&str> = result.reasons.iter().map(|r| r.message(ReasonLang::En)).collect();
        (format!("不计渠道业绩:{}", zh.join(";")), format!("not channel performance: {}", en.join("; ")))
    };
    let step = |agency: Option<String>, agency_id: Option<i64>, summary: Words, rule: Words| {
        let e = TimelineEvent {
            at,
            kind: TimelineKind::Attribution,
            agency_id,
            agency,
            ledger_seq: Some(entry.seq),
            details: Vec::new(),
            ..base.clone()
        };
        with_words(e, (summary.0 + &facts.0, summary.1 + &facts.1), rule)
    };
    match &entry.body.ruling {
        None => {
            let agency = result.agency.clone().filter(|a| !a.is_empty());
            let agency_id = match &agency {
                Some(name) => names.agency_id(conn, name)?,
                None => None,
            };
            let summary = if result.channel_performance {
                words("渠道业绩:计入", "channel performance: yes")
            } else {
                words("渠道业绩:不计入", "channel performance: no")
            };
            events.push(step(agency, agency_id, summary, by_rules));
        }
        Some(ruling) => {
            let d = ruling.dispute_id;
            let (level_zh, level_en) =
                if ruling.level >= 2 { ("申诉复核", "on appeal") } else { ("项目裁决", "first ruling") };
            let rule = (
                format!("争议裁决(#{d},{level_zh})优先于规则判定;规则判定为:{}", by_rules.0),
                format!(
                    "the ruling of dispute #{d} ({level_en}) decides over the rules; the rules say: {}",
                    by_rules.1
                ),
            );
            let agency = ruling.agency.clone().filter(|a| !a.is_empty());
            let agency_id = match (&agency, ruling.agency_id) {
                (Some(_), Some(id)) => Some(id),
                (Some(name), None) => names.agency_id(conn, name)?,
                (None, _) => None,
            };
            let p = ruling.percent;
            let summary = match &agency {
                Some(_) => (
                    format!("渠道业绩:争议 #{d} 裁决计入,所属渠道分得 {p}%"),
                    format!("channel performance by the ruling of dispute #{d}: this agency earns {p}%"),
                ),
                None => (
                    format!("渠道业绩:争议 #{d} 裁决不计入(归案场)"),
                    format!("not channel performance by the ruling of dispute #{d} (the site keeps the deal)"),
                ),
            };
            events.push(step(agency, agency_id, summary, rule.clone()));
            if let Some(co) = ruling.co_agency.clone().filter(|a| !a.is_empty()) {
                let co_id = match ruling.co_agency_id {
                    Some(id) => Some(id),
                    None => names.agency_id(conn, &co)?,
                };
                let q = ruling.co_percent;
                let summary = (
                    format!("渠道业绩:争议 #{d} 裁决分成,所属渠道分得 {q}%"),
                    format!("channel performance by the ruling of dispute #{d}, split: this agency earns {q}%"),
                );
                events.push(step(Some(co), co_id, summary, rule));
            }
        }
    }
    Ok(())
}
