//! The JSON shape of a judge case and its verdict (rules.md, "The judge
//! command"). It is the edge: strings in, domain types out, every problem
//! named by its field path. The ledger stores cases in this same shape.

use crate::config::rules::RulesPatch;
use crate::domain::judge::{Arrival, Case, HistoryVisit, Judgement, Report, Signatures, Signer};
use crate::domain::name::CustomerName;
use crate::domain::phone::{CustomerPhone, Phone};
use crate::domain::rules::Rules;
use crate::time::format_instant;
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("the case is not valid JSON (a single object as in rules.md): {0}")]
    Json(#[from] serde_json::Error),
    #[error("{field}: {message}")]
    Field { field: String, message: String },
    #[error("rules: {0}")]
    Rules(#[from] crate::config::rules::RulesError),
}

/// One JSON object of a black-box contract, every problem named by its
/// field path (`visits[0].at`).
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, CaseError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() || path == "?" || path == "." {
            CaseError::Json(inner)
        } else {
            field_err(path, inner)
        }
    })?;
    de.end()?;
    Ok(value)
}

/// The rules file, then a case's `"rules"` overrides.
pub(crate) fn rules_with(file: &RulesPatch, over: Option<&RulesPatch>) -> Result<Rules, CaseError> {
    match over {
        Some(over) => Ok(file.overlay(over).resolve("case \"rules\"")?),
        None => Ok(file.resolve("rules file")?),
    }
}

pub(crate) fn field_err(field: impl Into<String>, message: impl ToString) -> CaseError {
    CaseError::Field { field: field.into(), message: message.to_string() }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct CaseJson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<RulesPatch>,
    #[serde(default)]
    pub report: Option<ReportJson>,
    #[serde(default)]
    pub other_reports: Vec<ReportJson>,
    #[serde(default)]
    pub agency_reports: Vec<AgencyReportJson>,
    #[serde(default)]
    pub history: Vec<HistoryJson>,
    pub arrival: Option<ArrivalJson>,
    /// The sample files wrap a case as `{"case": {...}, "expect": {...}}`;
    /// piping such a file to `panke judge` judges the wrapped case.
    #[serde(default, skip_serializing)]
    pub case: Option<Box<CaseJson>>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct ReportJson {
    #[serde(default)]
    pub agency: String,
    #[serde(default)]
    pub agent: String,
    pub customer_name: Option<String>,
    pub customer_phone: Option<String>,
    pub filed_at: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct AgencyReportJson {
    pub filed_at: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct HistoryJson {
    pub at: Option<String>,
    pub phone: Option<String>,
    /// The agency whose valid visit this was (visits panke judged valid).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency: Option<String>,
    /// The end of that agency's protection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protected_until: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct ArrivalJson {
    pub at: Option<String>,
    pub customer_name: Option<String>,
    pub customer_phone: Option<String>,
    /// Phones of the same customer group (直系亲属), full or masked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_phones: Option<Vec<String>>,
    pub agent_present: Option<bool>,
    pub customer_confirms_agent: Option<bool>,
    pub signatures: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct VerdictJson {
    pub verdict: String,
    pub reasons: Vec<String>,
    pub off_hours: bool,
    pub protected_until: Option<String>,
}

pub(crate) fn required<'a, T>(v: &'a Option<T>, field: &str) -> Result<&'a T, CaseError> {
    v.as_ref().ok_or_else(|| field_err(field, "is missing"))
}

pub(crate) fn instant(v: &Option<String>, field: &str) -> Result<DateTime<FixedOffset>, CaseError> {
    let s = required(v, field)?;
    DateTime::parse_from_rfc3339(s.trim())
        .map_err(|_| field_err(field, "is not an RFC 3339 instant with offset, e.g. \"2026-11-20T10:00:00+08:00\""))
}

fn report(r: &ReportJson, field: &str, rules: &Rules) -> Result<Report, CaseError> {
    let name = required(&r.customer_name, &format!("{field}.customer_name"))?;
    let phone = required(&r.customer_phone, &format!("{field}.customer_phone"))?;
    Ok(Report {
        agency: r.agency.trim().to_owned(),
        agent: r.agent.trim().to_owned(),
        customer_name: CustomerName::parse(name).map_err(|e| field_err(format!("{field}.customer_name"), e))?,
        customer_phone: CustomerPhone::parse(phone, rules.allow_masked_phone)
            .map_err(|e| field_err(format!("{field}.customer_phone"), e))?,
        filed_at: instant(&r.filed_at, &format!("{field}.filed_at"))?,
    })
}

impl CaseJson {
    pub fn parse(text: &str) -> Result<CaseJson, CaseError> {
        match parse_json::<CaseJson>(text)? {
            CaseJson { arrival: None, case: Some(inner), .. } => Ok(*inner),
            other => Ok(other),
        }
    }

    pub fn rules(&self, file: &RulesPatch) -> Result<Rules, CaseError> {
        rules_with(file, self.rules.as_ref())
    }

    pub fn to_case(&self, rules: &Rules) -> Result<Case, CaseError> {
        let a = required(&self.arrival, "arrival")?;
        let at = instant(&a.at, "arrival.at")?;
        let customer_name = CustomerName::parse(required(&a.customer_name, "arrival.customer_name")?)
            .map_err(|e| field_err("arrival.customer_name", e))?;
        let customer_phone = Phone::parse(required(&a.customer_phone, "arrival.customer_phone")?)
            .map_err(|e| field_err("arrival.customer_phone", e))?;
        let agent_present = *required(&a.agent_present, "arrival.agent_present")?;
        let customer_confirms_agent = *required(&a.customer_confirms_agent, "arrival.customer_confirms_agent")?;
        let mut signatures = Signatures::default();
        for (i, s) in required(&a.signatures, "arrival.signatures")?.iter().enumerate() {
            let signer = Signer::from_code(s.trim()).ok_or_else(|| {
                field_err(format!("arrival.signatures[{i}]"), "must be \"customer\", \"agent\" or \"sales\"")
            })?;
            signatures.add(signer);
        }
        let group_phones = a
            .group_phones
            .iter()
            .flatten()
            .enumerate()
            .map(|(i, p)| {
                // Staff link full numbers, but a masked one is accepted as
                // rules.md allows it.
                CustomerPhone::parse(p, true).map_err(|e| field_err(format!("arrival.group_phones[{i}]"), e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let arrival = Arrival {
            at,
            customer_name,
            customer_phone,
            group_phones,
            agent_present,
            customer_confirms_agent,
            signatures,
        };
        let other_reports = self
            .other_reports
            .iter()
            .enumerate()
            .map(|(i, r)| report(r, &format!("other_reports[{i}]"), rules))
            .collect::<Result<_, _>>()?;
        let agency_reports = self
            .agency_reports
            .iter()
            .enumerate()
            .map(|(i, r)| instant(&r.filed_at, &format!("agency_reports[{i}].filed_at")))
            .collect::<Result<_, _>>()?;
        let history = self
            .history
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let field = format!("history[{i}].phone");
                let protected_until = match &h.protected_until {
                    Some(_) => Some(instant(&h.protected_until, &format!("history[{i}].protected_until"))?),
                    None => None,
                };
                Ok(HistoryVisit {
                    at: instant(&h.at, &format!("history[{i}].at"))?,
                    // The developer's own records may hold 前三后四 numbers
                    // whatever the project allows agents to report.
                    phone: CustomerPhone::parse(required(&h.phone, &field)?, true).map_err(|e| field_err(&field, e))?,
                    agency: h.agency.as_ref().map(|a| a.trim().to_owned()).filter(|a| !a.is_empty()),
                    protected_until,
                })
            })
            .collect::<Result<_, CaseError>>()?;
        Ok(Case {
            report: self.report.as_ref().map(|r| report(r, "report", rules)).transpose()?,
            other_reports,
            agency_reports,
            history,
            arrival,
        })
    }

    /// The case as the ledger keeps it: the same JSON shape, normalised.
    pub fn from_case(case: &Case) -> CaseJson {
        let report_json = |r: &Report| ReportJson {
            agency: r.agency.clone(),
            agent: r.agent.clone(),
            customer_name: Some(r.customer_name.to_string()),
            customer_phone: Some(r.customer_phone.to_stored()),
            filed_at: Some(format_instant(r.filed_at)),
        };
        let a = &case.arrival;
        CaseJson {
            rules: None,
            report: case.report.as_ref().map(report_json),
            other_reports: case.other_reports.iter().map(report_json).collect(),
            agency_reports: case
                .agency_reports
                .iter()
                .map(|t| AgencyReportJson { filed_at: Some(format_instant(*t)) })
                .collect(),
            history: case
                .history
                .iter()
                .map(|h| HistoryJson {
                    at: Some(format_instant(h.at)),
                    phone: Some(h.phone.to_stored()),
                    agency: h.agency.clone(),
                    protected_until: h.protected_until.map(format_instant),
                })
                .collect(),
            arrival: Some(ArrivalJson {
                at: Some(format_instant(a.at)),
                customer_name: Some(a.customer_name.to_string()),
                customer_phone: Some(a.customer_phone.as_str().to_owned()),
                group_phones: (!a.group_phones.is_empty())
                    .then(|| a.group_phones.iter().map(CustomerPhone::to_stored).collect()),
                agent_present: Some(a.agent_present),
                customer_confirms_agent: Some(a.customer_confirms_agent),
                signatures: Some(a.signatures.iter().map(|s| s.code().to_owned()).collect()),
            }),
            case: None,
        }
    }
}

impl From<&Judgement> for VerdictJson {
    fn from(j: &Judgement) -> Self {
        VerdictJson {
            verdict: j.verdict.code().to_owned(),
            reasons: j.reasons.iter().map(|r| r.code().to_owned()).collect(),
            off_hours: j.off_hours,
            protected_until: j.protected_until.map(format_instant),
        }
    }
}

/// The whole `panke judge` pipeline on one case text: parse, resolve the
/// rules (file, then the case's overrides), judge.
pub fn judge_json(text: &str, file_rules: &RulesPatch) -> Result<VerdictJson, CaseError> {
    let case_json = CaseJson::parse(text)?;
    let rules = case_json.rules(file_rules)?;
    let case = case_json.to_case(&rules)?;
    Ok(VerdictJson::from(&crate::domain::judge::judge(&case, &rules)))
}
