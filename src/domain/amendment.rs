//! Amendments (更正) as the back office chooses them, and what a record
//! says once its amendments are read in order. A record is never edited:
//! its amendments are appended to the ledger, and everything derived from
//! the record (the visits list, the history the judge reads, the report's
//! status) is recomputed from the original and the amendments together.
//!
//! An amendment's `changes` are JSON (sealed in the ledger); the keys are
//! the ones release 0.1's `panke amend` already wrote (`customer_name`,
//! `customer_phone`, `note`, `void`), plus `sales_consultant` and
//! `attachment`. `{"void": false}` reinstates a voided record.

use crate::domain::name::CustomerName;
use crate::domain::phone::Phone;
use serde_json::{Map, Value, json};

/// What kind of correction a manager makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmendKind {
    /// Correct the customer's name (a typo at the desk).
    FixName,
    /// Correct the customer's phone.
    FixPhone,
    /// The visit does not count (a fake customer, 切客 discovered …).
    Void,
    /// A voided visit counts again.
    Reinstate,
    /// Another sales consultant received the customer.
    ChangeSales,
    /// A remark only; changes nothing.
    Note,
}

impl AmendKind {
    pub const ALL: [AmendKind; 6] = [
        AmendKind::FixName,
        AmendKind::FixPhone,
        AmendKind::Void,
        AmendKind::Reinstate,
        AmendKind::ChangeSales,
        AmendKind::Note,
    ];

    pub fn code(self) -> &'static str {
        match self {
            AmendKind::FixName => "fix_name",
            AmendKind::FixPhone => "fix_phone",
            AmendKind::Void => "void",
            AmendKind::Reinstate => "reinstate",
            AmendKind::ChangeSales => "change_sales",
            AmendKind::Note => "note",
        }
    }

    pub fn parse(s: &str) -> Option<AmendKind> {
        AmendKind::ALL.into_iter().find(|k| k.code() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            AmendKind::FixName => "更正客户姓名",
            AmendKind::FixPhone => "更正客户手机号",
            AmendKind::Void => "作废本次到访",
            AmendKind::Reinstate => "恢复已作废的到访",
            AmendKind::ChangeSales => "更换置业顾问",
            AmendKind::Note => "备注说明",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            AmendKind::FixName => "Correct the customer's name",
            AmendKind::FixPhone => "Correct the customer's phone",
            AmendKind::Void => "Void this visit",
            AmendKind::Reinstate => "Reinstate a voided visit",
            AmendKind::ChangeSales => "Change the sales consultant",
            AmendKind::Note => "Add a note",
        }
    }
}

/// One correction, parsed from untrusted input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Amendment {
    FixName(CustomerName),
    FixPhone(Phone),
    Void,
    Reinstate,
    ChangeSales { id: i64, name: String },
    Note(String),
}

/// A file attached to an amendment, named by its content hash (the file
/// itself is stored beside the ledger; the hash is sealed in it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentRef {
    pub sha256: String,
    pub mime: String,
    pub name: String,
    pub size: u64,
}

/// Why an amendment cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmendError {
    #[error("该记录已作废 / the record is already void")]
    AlreadyVoid,
    #[error("该记录未作废,无需恢复 / the record is not void, nothing to reinstate")]
    NotVoid,
    #[error("与当前内容相同,无需更正 / this is what the record already says")]
    Unchanged,
    #[error("已作废的记录只能恢复或备注 / a void record can only be reinstated or noted")]
    VoidRecord,
}

/// A record's facts as amendments may change them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Effective {
    pub voided: bool,
    pub customer_name: String,
    pub customer_phone: String,
    pub sales: Option<(i64, String)>,
    /// At least one amendment points at the record.
    pub amended: bool,
}

impl Amendment {
    pub fn kind(&self) -> AmendKind {
        match self {
            Amendment::FixName(_) => AmendKind::FixName,
            Amendment::FixPhone(_) => AmendKind::FixPhone,
            Amendment::Void => AmendKind::Void,
            Amendment::Reinstate => AmendKind::Reinstate,
            Amendment::ChangeSales { .. } => AmendKind::ChangeSales,
            Amendment::Note(_) => AmendKind::Note,
        }
    }

    /// May this amendment be made to a record that says `now`?
    pub fn check(&self, now: &Effective) -> Result<(), AmendError> {
        match self {
            Amendment::Void if now.voided => Err(AmendError::AlreadyVoid),
            Amendment::Reinstate if !now.voided => Err(AmendError::NotVoid),
            Amendment::Void | Amendment::Reinstate | Amendment::Note(_) => Ok(()),
            _ if now.voided => Err(AmendError::VoidRecord),
            Amendment::FixName(n) if n.as_str() == now.customer_name => Err(AmendError::Unchanged),
            Amendment::FixPhone(p) if p.as_str() == now.customer_phone => Err(AmendError::Unchanged),
            Amendment::ChangeSales { id, .. } if now.sales.as_ref().is_some_and(|(s, _)| s == id) => {
                Err(AmendError::Unchanged)
            }
            _ => Ok(()),
        }
    }

    /// The `changes` object sealed in the ledger.
    pub fn changes(&self, attachment: Option<&AttachmentRef>) -> Value {
        let mut changes = match self {
            Amendment::FixName(n) => json!({ "customer_name": n.as_str() }),
            Amendment::FixPhone(p) => json!({ "customer_phone": p.as_str() }),
            Amendment::Void => json!({ "void": true }),
            Amendment::Reinstate => json!({ "void": false }),
            Amendment::ChangeSales { id, name } => json!({ "sales_consultant": { "id": id, "name": name } }),
            Amendment::Note(text) => json!({ "note": text }),
        };
        if let (Some(a), Some(map)) = (attachment, changes.as_object_mut()) {
            map.insert(
                "attachment".into(),
                json!({ "sha256": a.sha256, "mime": a.mime, "name": a.name, "size": a.size }),
            );
        }
        changes
    }
}

/// The attachment an amendment's changes name, if any.
pub fn attachment_of(changes: &Value) -> Option<AttachmentRef> {
    let a = changes.get("attachment")?;
    Some(AttachmentRef {
        sha256: a.get("sha256")?.as_str()?.to_owned(),
        mime: a.get("mime")?.as_str()?.to_owned(),
        name: a.get("name").and_then(Value::as_str).unwrap_or_default().to_owned(),
        size: a.get("size").and_then(Value::as_u64).unwrap_or(0),
    })
}

/// What the record says after its amendments, oldest first. Keys it does
/// not know are ignored (they change nothing).
pub fn effective<'a>(original: Effective, amendments: impl IntoIterator<Item = &'a Value>) -> Effective {
    amendments.into_iter().fold(original, |mut now, changes| {
        now.amended = true;
        let empty = Map::new();
        let fields = changes.as_object().unwrap_or(&empty);
        if let Some(v) = fields.get("void").and_then(Value::as_bool) {
            now.voided = v;
        }
        if let Some(n) = fields.get("customer_name").and_then(Value::as_str) {
            now.customer_name = n.to_owned();
        }
        if let Some(p) = fields.get("customer_phone").and_then(Value::as_str) {
            now.customer_phone = p.to_owned();
        }
        if let Some(s) = fields.get("sales_consultant")
            && let (Some(id), Some(name)) = (s.get("id").and_then(Value::as_i64), s.get("name").and_then(Value::as_str))
        {
            now.sales = Some((id, name.to_owned()));
        }
        now
    })
}

/// In plain words, what an amendment's changes did (for the record page).
pub fn describe(changes: &Value, zh: bool) -> String {
    let mut parts = Vec::new();
    let say = |z: &str, e: &str| if zh { z.to_owned() } else { e.to_owned() };
    match changes.get("void").and_then(Value::as_bool) {
        Some(true) => parts.push(say("作废本次到访", "voided the visit")),
        Some(false) => parts.push(say("恢复本次到访", "reinstated the visit")),
        None => {}
    }
    if let Some(n) = changes.get("customer_name").and_then(Value::as_str) {
        parts.push(format!("{}{n}", say("客户姓名改为 ", "customer's name → ")));
    }
    if let Some(p) = changes.get("customer_phone").and_then(Value::as_str) {
        let masked = Phone::parse(p).map(|p| p.masked().to_string()).unwrap_or_else(|_| p.to_owned());
        parts.push(format!("{}{masked}", say("客户手机号改为 ", "customer's phone → ")));
    }
    if let Some(name) = changes.get("sales_consultant").and_then(|s| s.get("name")).and_then(Value::as_str) {
        parts.push(format!("{}{name}", say("置业顾问改为 ", "sales consultant → ")));
    }
    if let Some(note) = changes.get("note").and_then(Value::as_str) {
        parts.push(format!("{}{note}", say("备注:", "note: ")));
    }
    if parts.is_empty() {
        parts.push(say("(无字段变化)", "(no field changed)"));
    }
    parts.join(if zh { ";" } else { "; " })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn original() -> Effective {
        Effective {
            customer_name: "王小明".into(),
            customer_phone: "13812345678".into(),
            sales: Some((3, "李娜".into())),
            ..Effective::default()
        }
    }

    #[test]
    fn amendments_apply_in_order_and_the_last_void_wins() {
        let changes = [json!({"void": true}), json!({"void": false}), json!({"customer_name": "王晓明"})];
        let now = effective(original(), changes.iter());
        assert!(!now.voided && now.amended);
        assert_eq!(now.customer_name, "王晓明");
        assert!(effective(original(), changes[..1].iter()).voided);
    }

    #[test]
    fn a_record_is_voided_once_and_reinstated_only_when_void() {
        let void = effective(original(), [&json!({"void": true})]);
        assert_eq!(Amendment::Void.check(&void), Err(AmendError::AlreadyVoid));
        assert_eq!(Amendment::Reinstate.check(&original()), Err(AmendError::NotVoid));
        assert_eq!(Amendment::Reinstate.check(&void), Ok(()));
        let name = Amendment::FixName(CustomerName::parse("王晓明").unwrap());
        assert_eq!(name.check(&void), Err(AmendError::VoidRecord));
        assert_eq!(name.check(&original()), Ok(()));
    }

    #[test]
    fn a_correction_to_what_the_record_already_says_is_refused() {
        let same = Amendment::FixPhone(Phone::parse("13812345678").unwrap());
        assert_eq!(same.check(&original()), Err(AmendError::Unchanged));
        let sales = Amendment::ChangeSales { id: 3, name: "李娜".into() };
        assert_eq!(sales.check(&original()), Err(AmendError::Unchanged));
    }

    #[test]
    fn changes_round_trip_through_the_ledger_shape() {
        let attachment =
            AttachmentRef { sha256: "ab".repeat(32), mime: "image/png".into(), name: "证明.png".into(), size: 12 };
        let c = Amendment::ChangeSales { id: 9, name: "赵敏".into() }.changes(Some(&attachment));
        assert_eq!(effective(original(), [&c]).sales, Some((9, "赵敏".into())));
        assert_eq!(attachment_of(&c), Some(attachment));
        assert!(
            describe(&Amendment::FixPhone(Phone::parse("13912345678").unwrap()).changes(None), true)
                .contains("139****5678")
        );
    }
}
