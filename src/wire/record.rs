//! What a ledger record holds, typed once. The store writes these bodies,
//! and every reader (the check-in outcome, filing checks, the sheet, the
//! verification page, `panke verify`) parses them here instead of reading
//! JSON by string key.
//!
//! A body is stored as canonical JSON: serialised through
//! `serde_json::Value`, whose objects keep their keys sorted, so the bytes
//! the ledger seals do not depend on field order in this file. Bodies
//! written before `version` existed (release 0.1) have no `version` key and
//! parse and re-serialise to the very same bytes (see the tests).

use crate::config::rules::RulesPatch;
use crate::domain::attribute::AttributeReason;
use crate::domain::judge::{Judgement, Signer, Verdict};
use crate::domain::reason::Reason;
use crate::wire::case::CaseJson;
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

/// The body version written from now on. Absent (`None`) in 0.1 records.
pub const RECORD_VERSION: u32 = 2;

#[derive(Debug, thiserror::Error)]
#[error("record {seq}: {cause}")]
pub struct BodyError {
    pub seq: i64,
    pub cause: String,
}

/// The desk's answers (三问) as the kiosk collected them.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct DeskAnswers {
    /// 第一次到访?
    pub first_visit: Option<bool>,
    /// 之前是否有人联系过您?
    pub contacted_before: Option<bool>,
    /// 工作证已查看
    pub badge_seen: bool,
}

/// A staff member as the record names them (the name at the time).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StaffRef {
    pub id: i64,
    pub name: String,
    pub role: String,
}

/// The verdict as recorded: typed, written in the judge contract's shape.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RecordedVerdict {
    pub verdict: Verdict,
    pub reasons: Vec<Reason>,
    pub off_hours: bool,
    #[serde(with = "crate::time::opt_instant")]
    pub protected_until: Option<DateTime<FixedOffset>>,
}

impl From<&Judgement> for RecordedVerdict {
    fn from(j: &Judgement) -> Self {
        RecordedVerdict {
            verdict: j.verdict,
            reasons: j.reasons.iter().collect(),
            off_hours: j.off_hours,
            protected_until: j.protected_until,
        }
    }
}

impl RecordedVerdict {
    pub fn is_valid(&self) -> bool {
        self.verdict == Verdict::Valid
    }
}

/// One signature as the sealed body lists it: the hashes bind the stored
/// signature and statement to the record. Since issue 16 a signature is its
/// pen strokes (`pen_sha256`, of the stored `PK1` bytes); before, the PNG
/// and the strokes' JSON (`png_sha256`, `strokes_sha256`). The empty ones
/// are left out, so a record of either kind reads as it was sealed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct SignatureRef {
    pub signer: Signer,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub png_sha256: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub strokes_sha256: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub pen_sha256: String,
    pub statement_sha256: String,
    pub width: u32,
    pub height: u32,
}

/// The first read of the report's code: the arrival instant the visit was
/// judged at, and where it happened.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FirstReadRef {
    #[serde(with = "crate::time::instant")]
    pub at: DateTime<FixedOffset>,
    pub kiosk_id: Option<i64>,
    pub staff_id: Option<i64>,
}

/// A visit record (带看确认单).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RecordBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    /// The case exactly as judged (the `panke judge` input shape).
    pub case: CaseJson,
    /// The rules in force, every key stated.
    pub rules: RulesPatch,
    pub verdict: RecordedVerdict,
    pub answers: DeskAnswers,
    pub desk_clerk: Option<StaffRef>,
    pub sales_consultant: Option<StaffRef>,
    pub kiosk_id: Option<i64>,
    pub signatures: Vec<SignatureRef>,
    pub demo: bool,
    /// When the report's code was first read (absent in 0.1 records and
    /// for walk-ins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_read: Option<FirstReadRef>,
    /// The verdict shown before anyone signed (absent in 0.1 records).
    /// When it was already invalid, nobody signed the confirmation
    /// statement: the visit is a natural visit (自然到访) with these reasons.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisional: Option<RecordedVerdict>,
    /// A walk-in registered over this live report, by the desk's choice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub over_report: Option<i64>,
}

/// An amendment: a correction that points at a record, in the open.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AmendmentBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    pub amends: i64,
    pub by: String,
    pub reason: String,
    /// What the correction changes, e.g. `{"customer_name": "王小明"}`.
    pub changes: serde_json::Value,
}

/// The attribution body version written from now on.
pub const ATTRIBUTION_VERSION: u32 = 1;

/// An attribution (渠道业绩): whether a subscription is channel performance
/// and whose, with every fact it was decided on and the settings in force,
/// so the entry can be re-checked with `panke attribute` without the
/// database. A later change of those facts (a voided visit, a linked family
/// member, a ruling …) appends a new entry that `replaces` this one; the
/// entry itself is never edited. No full phone number is kept here.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AttributionBody {
    pub version: u32,
    pub subscription: AttributedSubscription,
    /// The customer: the subscription's phone, then its customer group's
    /// (直系亲属), masked 前三后四.
    pub customer_phones: Vec<String>,
    pub facts: AttributionFacts,
    /// The project's attribution settings in force.
    pub rules: AttributionSettings,
    pub result: AttributionOutcome,
    /// Why this entry was made: `entered`, `imported`, `amendment:<seq>`,
    /// `group`, `contract`, `cancel`, `employees`, `ruling:<id>`.
    pub cause: String,
    /// The attribution entry this one replaces (none for the first).
    pub replaces: Option<i64>,
    /// A dispute's ruling in force over the rules' result: who earns the
    /// deal instead, and in what shares. `result` stays what the rules
    /// decide on `facts` (so the entry still re-checks with `panke
    /// attribute`); this award is what counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ruling: Option<AppliedRuling>,
}

/// A ruling applied to a deal (`crate::domain::dispute::award`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AppliedRuling {
    pub dispute_id: i64,
    /// The ledger entry of the ruling (level 1: the manager's; 2: the
    /// admin's on appeal).
    pub ruling_seq: i64,
    pub level: u8,
    /// `upheld` or `split`.
    pub outcome: String,
    /// The agency awarded the deal (`None`: the site, no channel).
    pub agency: Option<String>,
    pub agency_id: Option<i64>,
    pub percent: u8,
    /// The respondent's share of a split.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub co_agency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub co_agency_id: Option<i64>,
    #[serde(default)]
    pub co_percent: u8,
}

/// The subscription (认购) attributed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AttributedSubscription {
    pub id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    pub unit: String,
    pub product: String,
    pub price_fen: i64,
    #[serde(with = "crate::time::instant")]
    pub at: DateTime<FixedOffset>,
}

/// A recorded visit of the customer, as the attribution read it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AttributedVisit {
    /// The agency of a valid visit (`None`: a natural visit).
    pub agency: Option<String>,
    #[serde(with = "crate::time::instant")]
    pub at: DateTime<FixedOffset>,
    /// Masked 前三后四.
    pub phone: String,
    pub valid: bool,
    #[serde(default, with = "crate::time::opt_instant")]
    pub protected_until: Option<DateTime<FixedOffset>>,
    /// panke's visit record (带看确认单); `None` for an imported visit.
    pub record_seq: Option<i64>,
}

/// An earlier subscription of the same customer (not cancelled).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AttributedEarlier {
    pub subscription_id: i64,
    #[serde(with = "crate::time::instant")]
    pub at: DateTime<FixedOffset>,
    /// Masked 前三后四.
    pub phone: String,
}

/// The facts of the case (the `panke attribute` input, phones masked).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct AttributionFacts {
    pub visits: Vec<AttributedVisit>,
    /// Each agency that appears → its contract end (local date), `None`
    /// when it has none (or is unknown).
    pub agencies: std::collections::BTreeMap<String, Option<String>>,
    /// The customer's phones found on the employees list (masked).
    pub employees: Vec<String>,
    pub earlier_subscriptions: Vec<AttributedEarlier>,
}

/// The rules' attribution settings, as in force.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AttributionSettings {
    pub timezone: String,
    pub protection_days: i64,
    pub contract_grace_days: u32,
    pub excluded_products: Vec<String>,
    pub repeat_buyer_excluded: bool,
}

/// The attribution's result.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AttributionOutcome {
    pub channel_performance: bool,
    /// The covering visit's agency (also when a reason withholds it).
    pub agency: Option<String>,
    #[serde(default, with = "crate::time::opt_instant")]
    pub visit_at: Option<DateTime<FixedOffset>>,
    pub reasons: Vec<AttributeReason>,
    /// The covering visit: its index in `facts.visits`.
    pub covering: Option<usize>,
    /// The covering visit's record, when it is one of panke's.
    pub visit_seq: Option<i64>,
}

/// Only the signature list of a body (what verification needs of any
/// record, whatever else it holds).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SignatureList {
    #[serde(default)]
    pub signatures: Vec<SignatureRef>,
}

/// The canonical JSON value of a body (sorted keys).
pub fn canonical<T: Serialize>(body: &T) -> Result<serde_json::Value, serde_json::Error> {
    serde_json::to_value(body)
}

/// Parses a stored body of record `seq`.
pub fn parse<T: for<'de> Deserialize<'de>>(seq: i64, text: &str) -> Result<T, BodyError> {
    serde_json::from_str(text).map_err(|e| BodyError { seq, cause: e.to_string() })
}

impl RecordBody {
    pub fn arrival_at(&self) -> Option<DateTime<FixedOffset>> {
        self.case.arrival.as_ref().and_then(|a| a.at.as_deref()).and_then(crate::time::parse_instant)
    }

    pub fn customer_name(&self) -> &str {
        self.case.arrival.as_ref().and_then(|a| a.customer_name.as_deref()).unwrap_or_default()
    }

    /// The customer's name as the agency reported it ("" for a walk-in).
    pub fn reported_customer_name(&self) -> &str {
        self.case.report.as_ref().and_then(|r| r.customer_name.as_deref()).unwrap_or_default()
    }

    /// The arrival's full phone as recorded.
    pub fn customer_phone(&self) -> &str {
        self.case.arrival.as_ref().and_then(|a| a.customer_phone.as_deref()).unwrap_or_default()
    }

    pub fn agency(&self) -> &str {
        self.case.report.as_ref().map(|r| r.agency.as_str()).unwrap_or_default()
    }

    pub fn agent(&self) -> &str {
        self.case.report.as_ref().map(|r| r.agent.as_str()).unwrap_or_default()
    }

    pub fn filed_at(&self) -> Option<DateTime<FixedOffset>> {
        self.case.report.as_ref().and_then(|r| r.filed_at.as_deref()).and_then(crate::time::parse_instant)
    }

    pub fn signature(&self, signer: Signer) -> Option<&SignatureRef> {
        self.signatures.iter().find(|s| s.signer == signer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A body as release 0.1 wrote it (record 1 of the fixture database).
    const V1_BODY: &str = r#"{"answers":{"badge_seen":true,"contacted_before":false,"first_visit":true},"case":{"agency_reports":[],"arrival":{"agent_present":true,"at":"2026-11-18T10:45:00+08:00","customer_confirms_agent":true,"customer_name":"王小明","customer_phone":"13912345678","signatures":["customer","agent","sales"]},"history":[],"other_reports":[],"report":{"agency":"链家-天河店","agent":"张三","customer_name":"王先生","customer_phone":"13912345678","filed_at":"2026-11-18T10:00:00+08:00"}},"demo":false,"desk_clerk":{"id":1,"name":"赵判客","role":"desk"},"kiosk_id":null,"rules":{"agent_must_accompany":true,"allow_masked_phone":true,"desk_hours":{"fri_sun":"09:00-19:00","mon_thu":"09:00-18:00"},"history_window_days":15,"holidays":[],"max_reports_per_month":5,"min_gap_minutes":30,"overlap_rule":"first-report","protection_days":15,"report_validity":"7d","reporting_start":null,"timezone":"Asia/Shanghai"},"sales_consultant":{"id":2,"name":"钱顾问","role":"sales"},"signatures":[{"height":240,"png_sha256":"135d2a8f079cd441934fdf42148b208469706281551e299a45ff09fe8a1aaf3d","signer":"customer","statement_sha256":"52a9465ef379001bcb4c10be199a5ad06a153a13c558f45410a4d9e2b3429a38","strokes_sha256":"a7186ef7cf9b0506a458d923ffb38aa4a50f7494859d49307bdcc854440098ef","width":600},{"height":240,"png_sha256":"135d2a8f079cd441934fdf42148b208469706281551e299a45ff09fe8a1aaf3d","signer":"agent","statement_sha256":"a03d8e9811c1c5f8150f48eefa4460a76247611d6d0800699f649b431fe156b6","strokes_sha256":"a7186ef7cf9b0506a458d923ffb38aa4a50f7494859d49307bdcc854440098ef","width":600},{"height":240,"png_sha256":"135d2a8f079cd441934fdf42148b208469706281551e299a45ff09fe8a1aaf3d","signer":"sales","statement_sha256":"70b48f467e896ff76b5c0ad6974eb3c39d9f2479ed5225a701e2d32e4395413d","strokes_sha256":"a7186ef7cf9b0506a458d923ffb38aa4a50f7494859d49307bdcc854440098ef","width":600}],"verdict":{"off_hours":false,"protected_until":"2026-12-03T10:45:00+08:00","reasons":[],"verdict":"valid"}}"#;

    #[test]
    fn a_release_0_1_body_parses_and_reserialises_byte_for_byte() {
        let body: RecordBody = parse(1, V1_BODY).unwrap();
        assert_eq!(body.version, None);
        assert!(body.verdict.is_valid());
        assert_eq!(body.customer_phone(), "13912345678");
        assert_eq!(body.agency(), "链家-天河店");
        assert_eq!(serde_json::to_string(&canonical(&body).unwrap()).unwrap(), V1_BODY);
    }

    #[test]
    fn reasons_and_verdicts_are_written_as_their_contract_codes() {
        for r in Reason::ALL {
            assert_eq!(serde_json::to_value(r).unwrap(), serde_json::json!(r.code()));
        }
        for v in [Verdict::Valid, Verdict::Invalid] {
            assert_eq!(serde_json::to_value(v).unwrap(), serde_json::json!(v.code()));
        }
        for s in Signer::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), serde_json::json!(s.code()));
        }
    }

    #[test]
    fn an_unknown_reason_code_is_refused_not_dropped() {
        let text = V1_BODY.replace(r#""reasons":[]"#, r#""reasons":["NO_SUCH_REASON"]"#);
        assert!(parse::<RecordBody>(1, &text).is_err());
    }
}
