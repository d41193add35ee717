//! Resolving what the kiosk read — a signed token from the QR code or a
//! typed manual code — to a report of the kiosk's project.

use super::{ServiceError, ServiceResult};
use crate::domain::manual_code::ManualCode;
use crate::domain::token::KeyRing;
use crate::store::Store;
use crate::store::reports::StoredReport;
use chrono::{DateTime, Utc};

/// A token (`PK…`) is verified with the key ring, a manual code looked up
/// in the project. Anything else, or a report of another project, is
/// refused with a sentence for the desk.
pub fn resolve_code(store: &Store, key_ring: &KeyRing, project_id: &str, code: &str) -> ServiceResult<StoredReport> {
    let code = code.trim();
    let refused = |reason: &str| ServiceError::CodeRefused(reason.to_owned());
    let report = if code.starts_with("PK") {
        let claims = key_ring.verify(code).map_err(|e| ServiceError::CodeRefused(e.to_string()))?;
        store.report(claims.report_id).map_err(|_| refused("报备不存在 / no such report"))?
    } else {
        let manual = ManualCode::parse(code).map_err(|e| ServiceError::CodeRefused(e.to_string()))?;
        store
            .report_by_manual_code(project_id, &manual)
            .map_err(|_| refused("手动码不存在 / no report has this code"))?
    };
    if report.project_id != project_id {
        return Err(refused("该报备不属于本项目 / this report is for another project"));
    }
    Ok(report)
}

/// A refused code is audited (who tried what, never the code itself).
pub fn audit_refusal(
    store: &Store,
    now: DateTime<Utc>,
    actor: &str,
    project_id: &str,
    reason: &str,
) -> ServiceResult<()> {
    Ok(store.audit(now, actor, "kiosk.code_refused", Some(project_id), reason)?)
}
