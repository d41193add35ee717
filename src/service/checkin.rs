//! Checking a visit in at the kiosk: who may record it, then the store's
//! one durable transaction (which also checks the sales consultant named).

use super::{ServiceError, ServiceResult};
use crate::domain::rules::Rules;
use crate::store::Store;
use crate::store::checkin::{CheckInOutcome, CheckInRequest};
use crate::store::people::{Role, Staff};
use chrono::{DateTime, Utc};

/// Desk clerks (判客岗) record visits; a sales consultant only outside the
/// desk's hours, when no clerk is on duty. Managers and admins sign in to
/// the back office, not to a kiosk.
pub fn operator_may_record(operator: &Staff, rules: &Rules, now: DateTime<Utc>) -> ServiceResult<()> {
    match operator.role {
        Role::Desk => Ok(()),
        Role::Sales if rules.is_off_hours(now.with_timezone(&rules.timezone).fixed_offset()) => Ok(()),
        Role::Sales => Err(ServiceError::OperatorNotAllowed(
            "置业顾问只能在非工作时间登记到访,工作时间请由判客岗操作 / sales consultants record visits only off hours; \
             during desk hours the desk clerk does",
        )),
        Role::Manager | Role::Admin => Err(ServiceError::OperatorNotAllowed(
            "经理和管理员不能在前台登记到访 / managers and admins do not record visits at the kiosk",
        )),
    }
}

/// Records the visit judged at `now` (the server's clock). A new record's
/// receipt is not signed here (see `record_checkin_receipt_later`).
pub fn check_in(
    store: &mut Store,
    operator: &Staff,
    req: CheckInRequest<'_>,
    rules: &Rules,
    now: DateTime<Utc>,
) -> ServiceResult<CheckInOutcome> {
    operator_may_record(operator, rules, now)?;
    let outcome = store.record_checkin_receipt_later(req, rules, now)?;
    tracing::info!(record = outcome.row.seq, verdict = outcome.verdict_code(), "visit recorded");
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff(role: Role) -> Staff {
        Staff { id: 1, project_id: Some("demo".into()), login: "x".into(), name: "x".into(), role }
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn a_desk_clerk_records_at_any_hour() {
        let rules = Rules::default();
        assert!(operator_may_record(&staff(Role::Desk), &rules, at("2026-11-18T10:00:00+08:00")).is_ok());
        assert!(operator_may_record(&staff(Role::Desk), &rules, at("2026-11-18T20:00:00+08:00")).is_ok());
    }

    #[test]
    fn a_sales_consultant_records_only_off_hours() {
        let rules = Rules::default();
        assert!(operator_may_record(&staff(Role::Sales), &rules, at("2026-11-18T10:00:00+08:00")).is_err());
        assert!(operator_may_record(&staff(Role::Sales), &rules, at("2026-11-18T20:00:00+08:00")).is_ok());
    }

    #[test]
    fn managers_and_admins_never_record_at_a_kiosk() {
        let rules = Rules::default();
        for role in [Role::Manager, Role::Admin] {
            assert!(operator_may_record(&staff(role), &rules, at("2026-11-18T20:00:00+08:00")).is_err());
        }
    }
}
