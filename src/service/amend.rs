//! Amending a record (更正): the original stays as it was; a new record
//! points at it, says who, why and what changes, and is shown wherever
//! the original is.

use super::{ServiceError, ServiceResult};
use crate::store::Store;
use crate::store::ledger::LedgerRow;
use chrono::{DateTime, Utc};

/// The fields of a visit record an amendment may correct.
pub const AMENDABLE: &[&str] = &["customer_name", "customer_phone", "note", "void"];

pub fn amend(
    store: &mut Store,
    record: i64,
    actor: &str,
    reason: &str,
    changes: serde_json::Value,
    now: DateTime<Utc>,
) -> ServiceResult<LedgerRow> {
    let Some(fields) = changes.as_object() else {
        return Err(ServiceError::Invalid("更正内容应为 JSON 对象 / the changes must be a JSON object".into()));
    };
    if let Some(unknown) = fields.keys().find(|k| !AMENDABLE.contains(&k.as_str())) {
        return Err(ServiceError::Invalid(format!(
            "不能更正字段 {unknown} / `{unknown}` cannot be amended (allowed: {})",
            AMENDABLE.join(", ")
        )));
    }
    let original = store.ledger_row(record)?;
    if original.kind != "visit" {
        return Err(ServiceError::Invalid("只能更正到访记录 / only visit records are amended".into()));
    }
    Ok(store.amend(record, actor, reason, changes, now)?)
}
