//! Filing a report (报备): the project's rules at the server's clock, the
//! filing refusals, the insert with its manual code — and the signed token
//! its QR code carries.

use super::{ServiceError, ServiceResult};
use crate::config::deployment::ProjectConfig as Project;
use crate::domain::rules::Rules;
use crate::domain::token::{KeyId, KeyRing};
use crate::store::Store;
use crate::store::reports::{FilingError, NewReport, StoredReport};
use chrono::{DateTime, FixedOffset, Utc};

/// What a filing needs from the server, ready to move into a database job.
pub struct Filing {
    rules: Rules,
    key_id: KeyId,
    filed_at: DateTime<FixedOffset>,
}

impl Filing {
    /// A filing for `project` at `now` (the server's clock), signed with
    /// the key ring's current key.
    pub fn new(project: &Project, key_ring: &KeyRing, now: DateTime<Utc>) -> Filing {
        let rules = project.rules.clone();
        let filed_at = now.with_timezone(&rules.timezone).fixed_offset();
        Filing { rules, key_id: key_ring.signing_key(), filed_at }
    }

    /// Runs on the writer: the project's filing checks and the insert.
    pub fn file(self, store: &mut Store, new: NewReport) -> ServiceResult<StoredReport> {
        let mut rng = rand::rngs::OsRng;
        let next = || rand::RngCore::next_u64(&mut rng);
        match store.file_report_checked(new, Some(&self.rules), self.key_id, self.filed_at, next) {
            Ok(r) => {
                tracing::info!(report = r.id.0, project = %r.project_id, "report filed");
                Ok(r)
            }
            Err(FilingError::Refused(refusal)) => Err(ServiceError::Filing(refusal)),
            Err(FilingError::Store(e)) => Err(e.into()),
        }
    }
}

/// The signed token of a report's QR code; `None` when its key was retired.
pub fn token_of(key_ring: &KeyRing, report: &StoredReport) -> Option<String> {
    key_ring.sign_with(report.key_id, report.id, report.filed_at.to_utc())
}

/// The same, as an error the agent can act on.
pub fn token_or_retired(key_ring: &KeyRing, report: &StoredReport) -> ServiceResult<String> {
    token_of(key_ring, report).ok_or(ServiceError::KeyRetired)
}
