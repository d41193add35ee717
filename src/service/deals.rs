//! Deals (认购 → 签约 / 退订): what the back office and the developer's API
//! both do — enter a subscription, record its contract or cancellation,
//! import the sales system's export. Each attributes (渠道业绩) in the same
//! transaction as the change, with the project's rules (see
//! `store::deals`); the caller runs it inside one database job.

use super::{ServiceError, ServiceResult};
use crate::domain::rules::Rules;
use crate::store::Store;
use crate::store::deals::{
    DealImport, DealImportError, DealImportSummary, Entered, NewSubscription, SalesRef, SubscriptionText,
    parse_local_time,
};
use crate::store::people::By;
use chrono::{DateTime, FixedOffset, Utc};

/// Enters a subscription as typed in the back office or sent by the
/// developer's system (`source`: `staff:3`, `api:dev:2`); its times are
/// local to the project's zone unless they carry an offset. The same
/// subscription again returns the one entered before (`created: false`).
#[allow(clippy::too_many_arguments)]
pub fn enter(
    store: &mut Store,
    project_id: &str,
    rules: &Rules,
    text: &SubscriptionText,
    sales: Option<SalesRef>,
    source: &str,
    by: By<'_>,
    now: DateTime<Utc>,
) -> ServiceResult<Entered> {
    let new = NewSubscription::parse(project_id, text, sales, rules.timezone).map_err(ServiceError::Invalid)?;
    let entered = store.enter_subscription(&new, source, "entered", rules, by, now)?;
    if entered.created {
        tracing::info!(subscription = entered.id, project = %project_id, "subscription entered");
    }
    Ok(entered)
}

/// When a contract or a cancellation happened: as typed (local time, or
/// RFC 3339), or now when left empty.
fn when(text: Option<&str>, rules: &Rules, now: DateTime<Utc>) -> ServiceResult<DateTime<FixedOffset>> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(now.with_timezone(&rules.timezone).fixed_offset()),
        Some(t) => parse_local_time(t, rules.timezone).ok_or_else(|| {
            ServiceError::Invalid(
                "时间格式不正确(如 2026-11-25 15:00)/ the time is not valid (e.g. 2026-11-25 15:00 or RFC 3339)".into(),
            )
        }),
    }
}

/// The purchase contract (签约) of subscription `id` was signed `at` (now
/// when `None`). A contracted customer can no longer be reported.
pub fn contract(
    store: &mut Store,
    rules: &Rules,
    id: i64,
    at: Option<&str>,
    by: By<'_>,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let at = when(at, rules, now)?;
    store.contract_subscription(id, at, rules, by, now)?;
    tracing::info!(subscription = id, "subscription contracted");
    Ok(())
}

/// Subscription `id` was cancelled (退订) `at` (now when `None`).
pub fn cancel(
    store: &mut Store,
    rules: &Rules,
    id: i64,
    at: Option<&str>,
    by: By<'_>,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let at = when(at, rules, now)?;
    store.cancel_subscription(id, at, rules, by, now)?;
    tracing::info!(subscription = id, "subscription cancelled");
    Ok(())
}

/// Imports the sales system's export (CSV or xlsx): all or nothing,
/// idempotent, bad lines named (see `store::deals::import`).
pub fn import(
    store: &mut Store,
    project_id: &str,
    rules: &Rules,
    bytes: &[u8],
    actor: &str,
    now: DateTime<Utc>,
) -> Result<DealImportSummary, DealImportError> {
    let summary = store.import_subscriptions(&DealImport { project_id, actor }, bytes, rules, now)?;
    tracing::info!(
        project = %project_id,
        added = summary.added,
        updated = summary.updated,
        attributions = summary.attributions,
        "subscriptions imported"
    );
    Ok(summary)
}
