//! A dispute's steps as the ledger seals them (`dispute` entries): each
//! step is its own entry, chained like every record, so the claim, every
//! evidence file's hash, the appeal and each ruling outlive the database's
//! working tables. Agencies appear by id; no phone number is kept here.

use serde::{Deserialize, Serialize};

/// The dispute body version written from now on.
pub const DISPUTE_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DisputeBody {
    pub version: u32,
    pub dispute_id: i64,
    /// `opened`, `evidence`, `appeal`, `ruling`, `withdrawn`.
    pub event: String,
    pub subscription_id: Option<i64>,
    pub visit_seq: Option<i64>,
    /// `agent:7`, `staff:3`, `api:2`.
    pub by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim: Option<ClaimRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<EvidenceRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appeal: Option<AppealRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ruling: Option<RulingRef>,
}

/// What was claimed, by whom against whom, and the deadlines then.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ClaimRef {
    pub kind: String,
    pub text: String,
    pub claimant_agency_id: Option<i64>,
    pub respondent_agency_id: Option<i64>,
    pub report_id: Option<i64>,
    /// Local dates (YYYY-MM-DD), none until the deal's date is known.
    pub objection_due: Option<String>,
    pub evidence_due: Option<String>,
    pub opinion_due: Option<String>,
}

/// An evidence file attached: its SHA-256 is the seal (the file itself is
/// kept in `evidence_files`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct EvidenceRef {
    pub evidence_id: i64,
    pub party: String,
    pub kind: String,
    pub mime: String,
    pub size: u64,
    pub sha256: String,
    /// The upload as received, before an image was re-encoded without its
    /// metadata.
    pub original_sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AppealRef {
    pub party: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RulingRef {
    /// 1: the project's manager; 2: the admin on appeal.
    pub level: u8,
    pub outcome: String,
    pub claimant_percent: u8,
    pub reasons: String,
}
