//! The JSON shape of an attribution case and its answer (rules.md, "Channel
//! performance": the `panke attribute` contract). Strings in, domain types
//! out, every problem named by its field path — as for the judge.

use super::case::{CaseError, field_err, instant, parse_json, required, rules_with};
use crate::config::rules::RulesPatch;
use crate::domain::attribute::{AttributeCase, Attribution, EarlierSubscription, Subscription, VisitFact, attribute};
use crate::domain::phone::CustomerPhone;
use crate::domain::rules::Rules;
use crate::time::format_instant;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct AttributeCaseJson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<RulesPatch>,
    pub subscription: Option<SubscriptionJson>,
    #[serde(default)]
    pub visits: Vec<VisitJson>,
    #[serde(default)]
    pub agencies: BTreeMap<String, AgencyJson>,
    #[serde(default)]
    pub employees: Vec<String>,
    #[serde(default)]
    pub earlier_subscriptions: Vec<EarlierJson>,
    /// A sample file wraps the case as `{"case": {...}, "expect": {...}}`.
    #[serde(default, skip_serializing)]
    pub case: Option<Box<AttributeCaseJson>>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct SubscriptionJson {
    pub at: Option<String>,
    pub customer_phone: Option<String>,
    #[serde(default)]
    pub group_phones: Vec<String>,
    pub product: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct VisitJson {
    #[serde(default)]
    pub agency: Option<String>,
    pub at: Option<String>,
    pub phone: Option<String>,
    /// `valid` or `invalid`.
    pub verdict: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protected_until: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct AgencyJson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract_end: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct EarlierJson {
    pub at: Option<String>,
    pub phone: Option<String>,
}

/// The answer, as rules.md writes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct AttributionJson {
    pub channel_performance: bool,
    pub agency: Option<String>,
    pub reasons: Vec<String>,
    pub visit_at: Option<String>,
}

impl From<&Attribution> for AttributionJson {
    fn from(a: &Attribution) -> Self {
        AttributionJson {
            channel_performance: a.channel_performance,
            agency: a.agency.clone(),
            reasons: a.reasons.iter().map(|r| r.code().to_owned()).collect(),
            visit_at: a.visit_at.map(format_instant),
        }
    }
}

fn phone(v: &Option<String>, field: &str) -> Result<CustomerPhone, CaseError> {
    CustomerPhone::parse(required(v, field)?, true).map_err(|e| field_err(field, e))
}

impl AttributeCaseJson {
    pub fn parse(text: &str) -> Result<AttributeCaseJson, CaseError> {
        match parse_json::<AttributeCaseJson>(text)? {
            AttributeCaseJson { subscription: None, case: Some(inner), .. } => Ok(*inner),
            other => Ok(other),
        }
    }

    /// The rules file, then the case's `"rules"` overrides.
    pub fn rules(&self, file: &RulesPatch) -> Result<Rules, CaseError> {
        rules_with(file, self.rules.as_ref())
    }

    pub fn to_case(&self) -> Result<AttributeCase, CaseError> {
        let s = required(&self.subscription, "subscription")?;
        let subscription = Subscription {
            at: instant(&s.at, "subscription.at")?,
            customer_phone: phone(&s.customer_phone, "subscription.customer_phone")?,
            group_phones: s
                .group_phones
                .iter()
                .enumerate()
                .map(|(i, p)| phone(&Some(p.clone()), &format!("subscription.group_phones[{i}]")))
                .collect::<Result<_, _>>()?,
            product: required(&s.product, "subscription.product")?.trim().to_owned(),
        };
        let visits = self
            .visits
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let field = |name: &str| format!("visits[{i}].{name}");
                let valid = match required(&v.verdict, &field("verdict"))?.as_str() {
                    "valid" => true,
                    "invalid" => false,
                    other => {
                        return Err(field_err(field("verdict"), format!("\"valid\" or \"invalid\", not {other:?}")));
                    }
                };
                Ok(VisitFact {
                    agency: v.agency.clone().filter(|a| !a.trim().is_empty()),
                    at: instant(&v.at, &field("at"))?,
                    phone: phone(&v.phone, &field("phone"))?,
                    valid,
                    protected_until: match &v.protected_until {
                        None => None,
                        Some(_) => Some(instant(&v.protected_until, &field("protected_until"))?),
                    },
                })
            })
            .collect::<Result<_, CaseError>>()?;
        let agencies =
            self.agencies
                .iter()
                .map(|(name, a)| {
                    let end = match a.contract_end.as_deref().map(str::trim) {
                        None | Some("") => None,
                        Some(d) => Some(NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
                            field_err(format!("agencies.{name}.contract_end"), "a local date, YYYY-MM-DD")
                        })?),
                    };
                    Ok((name.clone(), end))
                })
                .collect::<Result<_, CaseError>>()?;
        let employees = self
            .employees
            .iter()
            .enumerate()
            .map(|(i, p)| phone(&Some(p.clone()), &format!("employees[{i}]")))
            .collect::<Result<_, _>>()?;
        let earlier_subscriptions = self
            .earlier_subscriptions
            .iter()
            .enumerate()
            .map(|(i, e)| {
                Ok(EarlierSubscription {
                    at: instant(&e.at, &format!("earlier_subscriptions[{i}].at"))?,
                    phone: phone(&e.phone, &format!("earlier_subscriptions[{i}].phone"))?,
                })
            })
            .collect::<Result<_, CaseError>>()?;
        Ok(AttributeCase { subscription, visits, agencies, employees, earlier_subscriptions })
    }
}

/// The whole `panke attribute` pipeline on one case text.
pub fn attribute_json(text: &str, file_rules: &RulesPatch) -> Result<AttributionJson, CaseError> {
    let case_json = AttributeCaseJson::parse(text)?;
    let rules = case_json.rules(file_rules)?;
    let case = case_json.to_case()?;
    Ok(AttributionJson::from(&attribute(&case, &rules)))
}
