//! What each signer signs: the statements of the verdict before signing,
//! with the facts of the visit (agency, agent, the customer's name as
//! reported and as given, the arrival instant). The kiosk shows them
//! (`POST /kiosk/provisional`), the check-in records their hashes, and the
//! demo's history signs them: one function, so they never say different
//! words.

use crate::config::deployment::ProjectConfig;
use crate::domain::judge::{Signer, Verdict};
use crate::domain::name::CustomerName;
use crate::domain::reason::Lang;
use crate::domain::signature::{StatementFacts, natural_visit_statement, statement};
use crate::store::checkin::Provisional;
use crate::store::reports::StoredReport;

/// What each signer signs, by signer.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Statements {
    pub customer: String,
    pub agent: String,
    pub sales: String,
}

/// The statements for this verdict: the 带看确认单's when it is valid, the
/// natural visit's (with its reasons) when it is not.
pub fn statements_for(
    project: &ProjectConfig,
    p: &Provisional,
    report: Option<&StoredReport>,
    arrived_name: Option<&CustomerName>,
) -> Statements {
    let reported = report.map(|r| r.customer_name.to_string()).unwrap_or_default();
    let arrived = arrived_name.map(ToString::to_string).unwrap_or_else(|| reported.clone());
    let arrival = p.arrival_at.with_timezone(&project.rules.timezone).format("%Y-%m-%d %H:%M").to_string();
    let facts = StatementFacts {
        project: &project.name,
        agency: report.map_or("", |r| r.agency_name.as_str()),
        agent: report.map_or("", |r| r.agent_name.as_str()),
        reported_name: &reported,
        arrived_name: &arrived,
        arrival: &arrival,
    };
    let reasons: String = p.judgement.reasons.iter().map(|r| r.message(Lang::Zh)).collect();
    let of = |signer| match p.judgement.verdict {
        Verdict::Valid => statement(signer, &facts),
        Verdict::Invalid => natural_visit_statement(signer, &facts, &reasons),
    };
    Statements { customer: of(Signer::Customer), agent: of(Signer::Agent), sales: of(Signer::Sales) }
}

impl Statements {
    pub fn of(&self, signer: Signer) -> &str {
        match signer {
            Signer::Customer => &self.customer,
            Signer::Agent => &self.agent,
            Signer::Sales => &self.sales,
        }
    }
}
