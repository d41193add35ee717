//! Channel performance (渠道业绩): is a subscription (认购) the agency's, and
//! whose? rules.md "the attribution of a subscription", as a pure function
//! like the judge: the facts and the rules in, the attribution out — no
//! clock, no I/O.
//!
//! The covering visit is the customer's valid visit with
//! `at ≤ subscription ≤ protected_until` (the earliest if several): a later
//! valid visit of another agency starts a new episode (the second-episode
//! sample). Reasons are sorted by code, without duplicates.

use super::phone::CustomerPhone;
use super::reason::Lang;
use super::rules::Rules;
use chrono::{DateTime, Days, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The subscription being attributed: who (a phone and the customer
/// group's phones), when, what kind of product.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    pub at: DateTime<FixedOffset>,
    pub customer_phone: CustomerPhone,
    pub group_phones: Vec<CustomerPhone>,
    pub product: String,
}

/// A recorded visit of the customer, any verdict (`agency` is `None` for a
/// natural visit).
#[derive(Debug, Clone, PartialEq)]
pub struct VisitFact {
    pub agency: Option<String>,
    pub at: DateTime<FixedOffset>,
    pub phone: CustomerPhone,
    pub valid: bool,
    /// `None`: `at` + the rules' protection.
    pub protected_until: Option<DateTime<FixedOffset>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EarlierSubscription {
    pub at: DateTime<FixedOffset>,
    pub phone: CustomerPhone,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AttributeCase {
    pub subscription: Subscription,
    pub visits: Vec<VisitFact>,
    /// Each agency's contract end (a local date); absent or `None`: no limit.
    pub agencies: BTreeMap<String, Option<NaiveDate>>,
    /// The developer's and sales office's employees and their families.
    pub employees: Vec<CustomerPhone>,
    pub earlier_subscriptions: Vec<EarlierSubscription>,
}

/// Declared in the byte order of their codes, so the derived `Ord` sorts
/// them as the JSON contract wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AttributeReason {
    AfterContractGrace,
    Employee,
    ExcludedProduct,
    NoValidVisit,
    OutsideProtection,
    RepeatBuyer,
    SubscribedBeforeVisit,
}

impl AttributeReason {
    pub const ALL: [AttributeReason; 7] = [
        AttributeReason::AfterContractGrace,
        AttributeReason::Employee,
        AttributeReason::ExcludedProduct,
        AttributeReason::NoValidVisit,
        AttributeReason::OutsideProtection,
        AttributeReason::RepeatBuyer,
        AttributeReason::SubscribedBeforeVisit,
    ];

    pub fn code(self) -> &'static str {
        match self {
            AttributeReason::AfterContractGrace => "AFTER_CONTRACT_GRACE",
            AttributeReason::Employee => "EMPLOYEE",
            AttributeReason::ExcludedProduct => "EXCLUDED_PRODUCT",
            AttributeReason::NoValidVisit => "NO_VALID_VISIT",
            AttributeReason::OutsideProtection => "OUTSIDE_PROTECTION",
            AttributeReason::RepeatBuyer => "REPEAT_BUYER",
            AttributeReason::SubscribedBeforeVisit => "SUBSCRIBED_BEFORE_VISIT",
        }
    }

    pub fn parse(code: &str) -> Option<AttributeReason> {
        AttributeReason::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn message(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (AttributeReason::AfterContractGrace, Lang::Zh) => "认购日期晚于渠道委托代理期到期后的宽限期",
            (AttributeReason::AfterContractGrace, Lang::En) => {
                "the subscription came after the agency's contract end and its grace days"
            }
            (AttributeReason::Employee, Lang::Zh) => "客户为开发商或案场员工(含直系亲属)",
            (AttributeReason::Employee, Lang::En) => "the customer is an employee or an employee's family",
            (AttributeReason::ExcludedProduct, Lang::Zh) => "该产品类型(如车位)不计渠道业绩",
            (AttributeReason::ExcludedProduct, Lang::En) => {
                "this product kind (e.g. a car park) is not channel performance"
            }
            (AttributeReason::NoValidVisit, Lang::Zh) => "客户在认购前没有有效带看",
            (AttributeReason::NoValidVisit, Lang::En) => "the customer had no valid visit before subscribing",
            (AttributeReason::OutsideProtection, Lang::Zh) => "认购时已过保护期(保护期外成交)",
            (AttributeReason::OutsideProtection, Lang::En) => "the subscription came after the protection had ended",
            (AttributeReason::RepeatBuyer, Lang::Zh) => "客户此前已认购过(已认购客户再次成交)",
            (AttributeReason::RepeatBuyer, Lang::En) => "the customer had subscribed before",
            (AttributeReason::SubscribedBeforeVisit, Lang::Zh) => "首次有效带看晚于认购(首次到访须早于认购)",
            (AttributeReason::SubscribedBeforeVisit, Lang::En) => "the first valid visit came after the subscription",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attribution {
    /// No reason withholds it.
    pub channel_performance: bool,
    /// The covering visit's agency (also when another reason withholds it).
    pub agency: Option<String>,
    pub visit_at: Option<DateTime<FixedOffset>>,
    /// Sorted by code, no duplicates.
    pub reasons: Vec<AttributeReason>,
    /// The covering visit, as an index into `case.visits`.
    pub covering: Option<usize>,
}

/// Attributes one subscription under `rules`.
pub fn attribute(case: &AttributeCase, rules: &Rules) -> Attribution {
    let sub = &case.subscription;
    let customer =
        |p: &CustomerPhone| std::iter::once(&sub.customer_phone).chain(sub.group_phones.iter()).any(|c| c.matches(p));
    let protected_until = |v: &VisitFact| v.protected_until.unwrap_or(v.at + rules.protection);
    let valid: Vec<(usize, &VisitFact)> =
        case.visits.iter().enumerate().filter(|(_, v)| v.valid && customer(&v.phone)).collect();
    // The earliest covering visit; on equal instants the first given.
    let covering = valid
        .iter()
        .filter(|(_, v)| v.at <= sub.at && sub.at <= protected_until(v))
        .min_by_key(|(i, v)| (v.at, *i))
        .copied();

    let mut reasons = BTreeSet::new();
    match covering {
        Some((_, v)) => {
            let grace_end = v
                .agency
                .as_ref()
                .and_then(|a| case.agencies.get(a).copied().flatten())
                .and_then(|end| end.checked_add_days(Days::new(u64::from(rules.contract_grace_days))));
            if grace_end.is_some_and(|last| rules.local_date(sub.at) > last) {
                reasons.insert(AttributeReason::AfterContractGrace);
            }
        }
        None if valid.iter().any(|(_, v)| v.at <= sub.at) => {
            reasons.insert(AttributeReason::OutsideProtection);
        }
        None if !valid.is_empty() => {
            reasons.insert(AttributeReason::SubscribedBeforeVisit);
        }
        None => {
            reasons.insert(AttributeReason::NoValidVisit);
        }
    }
    if rules.excluded_products.contains(sub.product.trim()) {
        reasons.insert(AttributeReason::ExcludedProduct);
    }
    if case.employees.iter().any(customer) {
        reasons.insert(AttributeReason::Employee);
    }
    if rules.repeat_buyer_excluded && case.earlier_subscriptions.iter().any(|e| e.at < sub.at && customer(&e.phone)) {
        reasons.insert(AttributeReason::RepeatBuyer);
    }
    Attribution {
        channel_performance: reasons.is_empty(),
        agency: covering.and_then(|(_, v)| v.agency.clone()),
        visit_at: covering.map(|(_, v)| v.at),
        reasons: reasons.into_iter().collect(),
        covering: covering.map(|(i, _)| i),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::phone::Phone;

    fn t(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    fn phone(s: &str) -> CustomerPhone {
        CustomerPhone::parse(s, true).unwrap()
    }

    fn case(at: &str, visits: Vec<VisitFact>) -> AttributeCase {
        AttributeCase {
            subscription: Subscription {
                at: t(at),
                customer_phone: CustomerPhone::Full(Phone::parse("13812345678").unwrap()),
                group_phones: vec![],
                product: "residential".into(),
            },
            visits,
            agencies: BTreeMap::from([("链家".to_owned(), NaiveDate::from_ymd_opt(2026, 12, 31))]),
            employees: vec![],
            earlier_subscriptions: vec![],
        }
    }

    fn valid(at: &str, until: Option<&str>) -> VisitFact {
        VisitFact {
            agency: Some("链家".into()),
            at: t(at),
            phone: phone("13812345678"),
            valid: true,
            protected_until: until.map(t),
        }
    }

    #[test]
    fn a_subscription_exactly_at_the_protection_end_is_covered() {
        let c = case(
            "2026-12-05T10:45:00+08:00",
            vec![valid("2026-11-20T10:45:00+08:00", Some("2026-12-05T10:45:00+08:00"))],
        );
        let a = attribute(&c, &Rules::default());
        assert!(a.channel_performance, "{a:?}");
        assert_eq!(a.covering, Some(0));
    }

    #[test]
    fn without_protected_until_the_rules_protection_days_apply() {
        let c = case("2026-12-05T10:45:01+08:00", vec![valid("2026-11-20T10:45:00+08:00", None)]);
        assert_eq!(attribute(&c, &Rules::default()).reasons, vec![AttributeReason::OutsideProtection]);
    }

    #[test]
    fn the_grace_is_counted_in_local_days_after_the_contract_end() {
        // Contract end 2026-12-31 + 15 days: 2027-01-15 is the last local day.
        let visit = vec![valid("2027-01-05T10:00:00+08:00", Some("2027-01-20T10:00:00+08:00"))];
        let last_day = attribute(&case("2027-01-15T23:59:59+08:00", visit.clone()), &Rules::default());
        assert!(last_day.channel_performance, "{last_day:?}");
        // 2027-01-15T16:00Z is already the 16th in Shanghai.
        let next_day = attribute(&case("2027-01-15T16:00:00Z", visit), &Rules::default());
        assert_eq!(next_day.reasons, vec![AttributeReason::AfterContractGrace]);
        assert_eq!(next_day.agency.as_deref(), Some("链家"), "the covering visit is still named");
    }

    #[test]
    fn a_masked_employee_phone_matches_the_customer() {
        let mut c = case("2026-11-25T15:00:00+08:00", vec![valid("2026-11-20T10:45:00+08:00", None)]);
        c.employees = vec![phone("138****5678")];
        assert_eq!(attribute(&c, &Rules::default()).reasons, vec![AttributeReason::Employee]);
    }

    #[test]
    fn an_earlier_subscription_of_the_spouse_makes_a_repeat_buyer_unless_the_rule_is_off() {
        let mut c = case("2026-11-25T15:00:00+08:00", vec![valid("2026-11-20T10:45:00+08:00", None)]);
        c.subscription.group_phones = vec![phone("13698765432")];
        c.earlier_subscriptions =
            vec![EarlierSubscription { at: t("2025-05-01T10:00:00+08:00"), phone: phone("13698765432") }];
        assert_eq!(attribute(&c, &Rules::default()).reasons, vec![AttributeReason::RepeatBuyer]);
        let off = Rules { repeat_buyer_excluded: false, ..Rules::default() };
        assert!(attribute(&c, &off).channel_performance);
    }

    #[test]
    fn every_reason_has_both_sentences_and_round_trips_its_code() {
        for r in AttributeReason::ALL {
            assert!(!r.message(Lang::Zh).is_empty() && !r.message(Lang::En).is_empty());
            assert_eq!(AttributeReason::parse(r.code()), Some(r));
        }
        let mut sorted = AttributeReason::ALL.to_vec();
        sorted.sort_by_key(|r| r.code());
        assert_eq!(sorted, AttributeReason::ALL.to_vec(), "declared in code order");
    }
}
