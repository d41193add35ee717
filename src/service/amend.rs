//! Amending a record (更正): the original stays as it was; a new record
//! points at it, says who, why and what changes, and its effect is applied
//! everywhere the record counts (the visits list, the history the judge
//! reads, the report's status) — see `store::amendments`.

use super::{ServiceError, ServiceResult};
use crate::domain::amendment::Amendment;
use crate::domain::name::CustomerName;
use crate::domain::phone::Phone;
use crate::store::Store;
use crate::store::amendments::NewAttachment;
use crate::store::ledger::LedgerRow;
use chrono::{DateTime, Utc};

/// The keys `panke amend --changes` accepts, one per amendment.
pub const AMENDABLE: &[&str] = &["customer_name", "customer_phone", "note", "void", "sales_consultant"];

/// One correction from the CLI's JSON (`{"customer_name": "王晓明"}`,
/// `{"void": true}`, `{"void": false}` to reinstate …).
pub fn parse_changes(changes: &serde_json::Value) -> ServiceResult<Amendment> {
    let invalid = |m: String| ServiceError::Invalid(m);
    let Some(fields) = changes.as_object() else {
        return Err(invalid("更正内容应为 JSON 对象 / the changes must be a JSON object".into()));
    };
    let mut entries = fields.iter();
    let (Some((key, value)), None) = (entries.next(), entries.next()) else {
        return Err(invalid(format!("每次更正只改一项 / one change per amendment (one of: {})", AMENDABLE.join(", "))));
    };
    let text = || value.as_str().map(str::trim).filter(|s| !s.is_empty());
    match key.as_str() {
        "customer_name" => text()
            .ok_or_else(|| invalid("姓名不能为空 / the name is empty".into()))
            .and_then(|n| CustomerName::parse(n).map_err(|e| invalid(e.to_string())))
            .map(Amendment::FixName),
        "customer_phone" => text()
            .ok_or_else(|| invalid("手机号不能为空 / the phone is empty".into()))
            .and_then(|p| Phone::parse(p).map_err(|e| invalid(e.to_string())))
            .map(Amendment::FixPhone),
        "void" => match value.as_bool() {
            Some(true) => Ok(Amendment::Void),
            Some(false) => Ok(Amendment::Reinstate),
            None => Err(invalid("void 应为 true 或 false / void must be true or false".into())),
        },
        "note" => text()
            .map(|n| Amendment::Note(n.to_owned()))
            .ok_or_else(|| invalid("备注不能为空 / the note is empty".into())),
        "sales_consultant" => {
            let id = value.get("id").and_then(serde_json::Value::as_i64);
            let name = value.get("name").and_then(serde_json::Value::as_str);
            match (id, name) {
                (Some(id), Some(name)) => Ok(Amendment::ChangeSales { id, name: name.to_owned() }),
                _ => Err(invalid("sales_consultant 需要 id 和 name / needs id and name".into())),
            }
        }
        unknown => Err(invalid(format!(
            "不能更正字段 {unknown} / `{unknown}` cannot be amended (allowed: {})",
            AMENDABLE.join(", ")
        ))),
    }
}

/// Appends `amendment` to record `record` after checking it against what
/// the record says now. A new sales consultant must be one of the
/// project's (active) consultants; the name recorded is theirs.
pub fn amend(
    store: &mut Store,
    record: i64,
    actor: &str,
    reason: &str,
    amendment: Amendment,
    attachment: Option<NewAttachment<'_>>,
    now: DateTime<Utc>,
) -> ServiceResult<LedgerRow> {
    let original = store.ledger_row(record)?;
    if original.kind != "visit" {
        return Err(ServiceError::Invalid("只能更正到访记录 / only visit records are amended".into()));
    }
    let amendment = match amendment {
        Amendment::ChangeSales { id, .. } => {
            let consultants = store.project_staff(&original.project_id, crate::store::people::Role::Sales)?;
            let staff = consultants.into_iter().find(|s| s.id == id);
            let Some(staff) = staff else {
                return Err(ServiceError::Invalid(
                    "请选择本项目的置业顾问 / choose a sales consultant of this project".into(),
                ));
            };
            Amendment::ChangeSales { id, name: staff.name }
        }
        other => other,
    };
    Ok(store.amend_record(record, actor, reason, &amendment, attachment, now)?)
}
