//! 判客: decides whether a visit is the reporting agency's customer.
//! A pure function of the case and the rules: the caller supplies every
//! instant (the server's clock, never a tablet's), so tests can set time.

use super::name::CustomerName;
use super::phone::{CustomerPhone, Phone};
use super::reason::Reason;
use super::rules::{OverlapRule, Rules};
use chrono::{DateTime, Duration, FixedOffset};

/// A report (报备) as the judge sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub agency: String,
    pub agent: String,
    pub customer_name: CustomerName,
    pub customer_phone: CustomerPhone,
    pub filed_at: DateTime<FixedOffset>,
}

/// A visit in the developer's own records (来访登记), or one panke
/// recorded. A visit panke judged valid for an agency names the agency and
/// the end of its protection.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryVisit {
    pub at: DateTime<FixedOffset>,
    pub phone: CustomerPhone,
    pub agency: Option<String>,
    pub protected_until: Option<DateTime<FixedOffset>>,
}

impl HistoryVisit {
    /// A plain visit (no agency's protection).
    pub fn plain(at: DateTime<FixedOffset>, phone: CustomerPhone) -> HistoryVisit {
        HistoryVisit { at, phone, agency: None, protected_until: None }
    }

    /// This visit was `agency`'s valid visit and its protection runs at `at`
    /// (t < at ≤ protected_until).
    fn protects_at(&self, at: DateTime<FixedOffset>) -> Option<(&str, DateTime<FixedOffset>)> {
        match (&self.agency, self.protected_until) {
            (Some(agency), Some(until)) if self.at < at && at <= until => Some((agency.as_str(), until)),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Signer {
    Customer,
    Agent,
    Sales,
}

impl Signer {
    pub const ALL: [Signer; 3] = [Signer::Customer, Signer::Agent, Signer::Sales];

    pub fn code(self) -> &'static str {
        match self {
            Signer::Customer => "customer",
            Signer::Agent => "agent",
            Signer::Sales => "sales",
        }
    }

    pub fn from_code(code: &str) -> Option<Signer> {
        Signer::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// Which of the three parties signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Signatures(u8);

impl Signatures {
    pub fn all() -> Signatures {
        Signer::ALL.into_iter().collect()
    }

    pub fn add(&mut self, s: Signer) {
        self.0 |= 1 << s as u8;
    }

    pub fn has(self, s: Signer) -> bool {
        self.0 & (1 << s as u8) != 0
    }

    pub fn is_complete(self) -> bool {
        Signer::ALL.into_iter().all(|s| self.has(s))
    }

    pub fn iter(self) -> impl Iterator<Item = Signer> {
        Signer::ALL.into_iter().filter(move |s| self.has(*s))
    }
}

impl FromIterator<Signer> for Signatures {
    fn from_iter<I: IntoIterator<Item = Signer>>(iter: I) -> Self {
        let mut set = Signatures::default();
        iter.into_iter().for_each(|s| set.add(s));
        set
    }
}

/// What the desk establishes when the customer arrives.
#[derive(Debug, Clone, PartialEq)]
pub struct Arrival {
    pub at: DateTime<FixedOffset>,
    pub customer_name: CustomerName,
    pub customer_phone: Phone,
    /// Phones staff linked to the same customer group (直系亲属); the
    /// arrival's own phone is not among them.
    pub group_phones: Vec<CustomerPhone>,
    pub agent_present: bool,
    pub customer_confirms_agent: bool,
    pub signatures: Signatures,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// `None` when the customer arrives unreported.
    pub report: Option<Report>,
    /// Other agencies' reports; only those of the same customer matter.
    pub other_reports: Vec<Report>,
    /// Filing instants of earlier reports of this customer by the same
    /// agency (the report itself is not among them).
    pub agency_reports: Vec<DateTime<FixedOffset>>,
    /// Earlier visits of any customer; only the same customer's matter.
    pub history: Vec<HistoryVisit>,
    pub arrival: Arrival,
}

/// A set of reasons; iterates in code order without duplicates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reasons(u16);

impl Reasons {
    pub fn insert(&mut self, r: Reason) {
        self.0 |= 1 << r as u16;
    }

    pub fn contains(self, r: Reason) -> bool {
        self.0 & (1 << r as u16) != 0
    }

    pub fn remove(&mut self, r: Reason) {
        self.0 &= !(1 << r as u16);
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Reason> {
        Reason::ALL.into_iter().filter(move |r| self.contains(*r))
    }
}

impl FromIterator<Reason> for Reasons {
    fn from_iter<I: IntoIterator<Item = Reason>>(iter: I) -> Self {
        let mut set = Reasons::default();
        iter.into_iter().for_each(|r| set.insert(r));
        set
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// 有效带看: the agency's customer.
    Valid,
    /// 自然到访: a natural visit.
    Invalid,
}

impl Verdict {
    pub fn code(self) -> &'static str {
        match self {
            Verdict::Valid => "valid",
            Verdict::Invalid => "invalid",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    pub verdict: Verdict,
    pub reasons: Reasons,
    pub off_hours: bool,
    pub protected_until: Option<DateTime<FixedOffset>>,
}

/// Judges one visit. Every applicable reason is collected, not only the
/// first: the record must show the whole picture in a dispute.
pub fn judge(case: &Case, rules: &Rules) -> Judgement {
    let arrival = &case.arrival;
    let customer = CustomerPhone::Full(arrival.customer_phone);
    let mut reasons = Reasons::default();
    let agency = case.report.as_ref().map(|r| r.agency.as_str());

    if visited_before(case, agency, rules) {
        reasons.insert(Reason::VisitedBefore);
    }

    match &case.report {
        None => reasons.insert(Reason::NotReported),
        Some(report) => {
            let filed = report.filed_at;
            if rules.filed_before_start(filed) {
                reasons.insert(Reason::ReportBeforeStart);
            }
            if arrival.at - filed < rules.min_gap {
                reasons.insert(Reason::ReportTooLate);
            }
            if !rules.report_valid_at(filed, arrival.at) {
                reasons.insert(Reason::ReportExpired);
            }
            let name_ok = report.customer_name.reported_matches(&arrival.customer_name);
            if !name_ok || !report.customer_phone.matches(&customer) {
                reasons.insert(Reason::IdentityMismatch);
            }
            if protected_by_other(case, &report.agency) {
                reasons.insert(Reason::ProtectedByOther);
            }
            if rules.overlap_rule == OverlapRule::FirstReport && other_reported_first(case, report, rules) {
                reasons.insert(Reason::ReportedByOtherFirst);
            }
            if repeat_count(case, report, rules) > u64::from(rules.max_reports_per_month) {
                reasons.insert(Reason::RepeatLimit);
            }
            if rules.agent_must_accompany && !arrival.agent_present {
                reasons.insert(Reason::AgentAbsent);
            }
            if !arrival.customer_confirms_agent {
                reasons.insert(Reason::CustomerDeniesAgent);
            }
            if !signatures_complete(arrival, rules) {
                reasons.insert(Reason::SignaturesMissing);
            }
        }
    }

    let verdict = if reasons.is_empty() { Verdict::Valid } else { Verdict::Invalid };
    let protected_until = (verdict == Verdict::Valid).then(|| match agency.and_then(|a| own_protection(case, a)) {
        // A return visit (复访) does not extend the protection (首次到访为准).
        Some(until) => until,
        None => arrival.at + rules.protection,
    });
    Judgement { verdict, reasons, off_hours: rules.is_off_hours(arrival.at), protected_until }
}

/// The customer at the desk: the arrival's full phone and the phones of
/// their customer group.
pub fn same_customer(arrival: &Arrival, phone: &CustomerPhone) -> bool {
    phone.matches_full(&arrival.customer_phone) || arrival.group_phones.iter().any(|g| g.matches(phone))
}

/// The customer, the agent and the sales consultant sign; a reported
/// customer who came alone (客户自行到访, allowed when the agent need not
/// accompany) is confirmed without the agent's signature.
fn signatures_complete(arrival: &Arrival, rules: &Rules) -> bool {
    let s = arrival.signatures;
    let agent_needed = arrival.agent_present || rules.agent_must_accompany;
    s.has(Signer::Customer) && s.has(Signer::Sales) && (!agent_needed || s.has(Signer::Agent))
}

/// A recorded visit of the same customer strictly before arrival and no
/// more than the history window before it. The visit being judged may
/// already be in the records at the arrival instant; it must not count.
/// The reporting agency's own valid visit whose protection still runs is a
/// return visit (复访), not a visit before.
fn visited_before(case: &Case, agency: Option<&str>, rules: &Rules) -> bool {
    let arrival = &case.arrival;
    case.history.iter().any(|h| {
        let since = arrival.at - h.at;
        let return_visit = agency.is_some_and(|a| h.protects_at(arrival.at).is_some_and(|(owner, _)| owner == a));
        since > Duration::zero() && since <= rules.history_window && !return_visit && same_customer(arrival, &h.phone)
    })
}

/// Another agency's valid visit of the same customer whose protection runs
/// at arrival (保护期内).
fn protected_by_other(case: &Case, agency: &str) -> bool {
    case.history.iter().any(|h| {
        h.protects_at(case.arrival.at).is_some_and(|(owner, _)| owner != agency)
            && same_customer(&case.arrival, &h.phone)
    })
}

/// A return visit (复访): the end of the reporting agency's own protection
/// that still runs at arrival, if any.
pub fn return_visit_until(case: &Case) -> Option<DateTime<FixedOffset>> {
    case.report.as_ref().and_then(|r| own_protection(case, &r.agency))
}

/// The latest end of the agency's own protection that runs at arrival.
fn own_protection(case: &Case, agency: &str) -> Option<DateTime<FixedOffset>> {
    case.history
        .iter()
        .filter(|h| same_customer(&case.arrival, &h.phone))
        .filter_map(|h| h.protects_at(case.arrival.at).filter(|(owner, _)| *owner == agency).map(|(_, until)| until))
        .max()
}

/// Another agency's report of the customer who arrived, filed before this
/// one and still valid when this one was filed. A report filed before the
/// project's reporting start is void and protects nobody.
fn other_reported_first(case: &Case, report: &Report, rules: &Rules) -> bool {
    case.other_reports.iter().any(|other| {
        let same_agency = !other.agency.is_empty() && other.agency == report.agency;
        !same_agency
            && same_customer(&case.arrival, &other.customer_phone)
            && other.filed_at < report.filed_at
            && !rules.filed_before_start(other.filed_at)
            && rules.report_valid_at(other.filed_at, report.filed_at)
    })
}

/// The report's number among the agency's reports of this customer in the
/// local calendar month of its filing, counting itself.
fn repeat_count(case: &Case, report: &Report, rules: &Rules) -> u64 {
    let earlier = case
        .agency_reports
        .iter()
        .filter(|&&t| t <= report.filed_at && rules.same_local_month(t, report.filed_at))
        .count();
    earlier as u64 + 1
}
