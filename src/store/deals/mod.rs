//! Deals: a subscription (认购) and what became of it — its contract (签约)
//! or cancellation (退订) — entered in the back office, sent by the
//! developer's own system (`developer_keys`) or imported from its sales
//! export (`import`); the attribution of each subscription to an agency
//! (渠道业绩, `attribution`), sealed in the ledger; and the project's
//! employees list (`employees`), whose phones are never channel
//! performance.
//!
//! Every change is audited in the transaction that makes it, and every
//! change that can move an attribution re-attributes in that same
//! transaction. A subscription is kept with its customer's full phone (it is
//! signed with it); lists and the ledger only ever show it masked.
//!
//! A contracted customer is no longer protected: new reports of that
//! customer (and of their customer group) are refused at filing
//! (`customer_contracted_in`, 成交客户签订合同后不再受保护).

mod attribution;
mod employees;
mod import;

pub use super::history::LineError;
pub(crate) use attribution::{Appender, attribute_subscription_in, reattribute_customer_in};
pub use attribution::{AttributionEntry, AttributionInForce};
pub(crate) use attribution::{reattribute_after_change_in, rules_in_force_in};
pub use employees::{EmployeeEntry, EmployeeImportSummary};
pub use import::{DealImport, DealImportError, DealImportSummary};

use super::people::By;
use super::{Refusal, Store, StoreError, StoreResult, WriteTx};
use crate::crypto::sha256_hex;
use crate::domain::name::CustomerName;
use crate::domain::phone::{CustomerPhone, Phone};
use crate::domain::rules::Rules;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use rusqlite::{Connection, OptionalExtension, ToSql, params};

/// The product kinds (业态) panke knows; the rules' `excluded_products`
/// name them by code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Product {
    Residential,
    Commercial,
    Office,
    Parking,
    Storage,
}

impl Product {
    pub const ALL: [Product; 5] =
        [Product::Residential, Product::Commercial, Product::Office, Product::Parking, Product::Storage];

    pub fn code(self) -> &'static str {
        match self {
            Product::Residential => "residential",
            Product::Commercial => "commercial",
            Product::Office => "office",
            Product::Parking => "parking",
            Product::Storage => "storage",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Product::Residential => "住宅",
            Product::Commercial => "商业",
            Product::Office => "办公",
            Product::Parking => "车位",
            Product::Storage => "储藏室",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Product::Residential => "Residential",
            Product::Commercial => "Commercial",
            Product::Office => "Office",
            Product::Parking => "Parking",
            Product::Storage => "Storage",
        }
    }

    /// The code (`parking`), the Chinese label (`车位`) or one of the
    /// labels sales systems use for it (商铺, 写字楼, 车库, 储藏间 …).
    pub fn parse(raw: &str) -> Option<Product> {
        let s = raw.trim();
        let lower = s.to_ascii_lowercase();
        if let Some(p) = Product::ALL.iter().copied().find(|p| p.code() == lower || p.zh() == s) {
            return Some(p);
        }
        match s {
            "普通住宅" | "住宅楼" | "洋房" | "高层住宅" | "别墅" => Some(Product::Residential),
            "商铺" | "商业用房" | "底商" => Some(Product::Commercial),
            "写字楼" | "办公楼" | "办公用房" => Some(Product::Office),
            "车库" | "地下车位" | "机动车位" | "停车位" => Some(Product::Parking),
            "储藏间" | "储物间" | "杂物间" | "地下室" => Some(Product::Storage),
            _ => None,
        }
    }
}

/// Where a subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DealStatus {
    /// 认购
    Subscribed,
    /// 签约: the purchase contract is signed (the customer is no longer
    /// protected for new reports).
    Contracted,
    /// 退订: it keeps its last attribution.
    Cancelled,
}

impl DealStatus {
    pub const ALL: [DealStatus; 3] = [DealStatus::Subscribed, DealStatus::Contracted, DealStatus::Cancelled];

    pub fn code(self) -> &'static str {
        match self {
            DealStatus::Subscribed => "subscribed",
            DealStatus::Contracted => "contracted",
            DealStatus::Cancelled => "cancelled",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            DealStatus::Subscribed => "认购",
            DealStatus::Contracted => "签约",
            DealStatus::Cancelled => "退订",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            DealStatus::Subscribed => "Subscribed",
            DealStatus::Contracted => "Contracted",
            DealStatus::Cancelled => "Cancelled",
        }
    }

    pub fn parse(code: &str) -> Option<DealStatus> {
        DealStatus::ALL.iter().copied().find(|s| s.code() == code)
    }
}

/// An amount in yuan as people and sales systems write it (`2000000`,
/// `1,999,999.50`, `¥2,000,000元`), in fen. At most two decimals; never
/// negative.
pub fn parse_yuan(raw: &str) -> Option<i64> {
    let cleaned: String =
        raw.trim().chars().filter(|c| !matches!(c, ',' | '，' | ' ' | '\u{3000}' | '¥' | '￥')).collect();
    let number = cleaned.strip_suffix('元').unwrap_or(&cleaned);
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || int.len() > 13 || frac.len() > 2 || !digits(int) || !digits(frac) {
        return None;
    }
    let yuan: i64 = int.parse().ok()?;
    let fen: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().ok()? };
    yuan.checked_mul(100)?.checked_add(fen)
}

/// Fen as yuan with thousands separators: `2,000,000.00`.
pub fn format_yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    let digits = (abs / 100).to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{:02}", abs % 100)
}

/// An instant as people and sales systems write it: RFC 3339, or a local
/// date and time in the project's zone (`2026-11-20 15:00`,
/// `2026/11/20 15:00:00`, `2026-11-20T15:00` from a form). A date alone
/// (`2026-11-20`, `2026/11/20`, `2026年11月20日`) is the last second of that
/// local day (23:59:59): a visit the same day comes before it.
pub fn parse_local_time(raw: &str, tz: Tz) -> Option<DateTime<FixedOffset>> {
    const WITH_TIME: [&str; 8] = [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y/%m/%d %H:%M:%S",
        "%Y/%m/%d %H:%M",
        "%Y.%m.%d %H:%M:%S",
        "%Y.%m.%d %H:%M",
    ];
    const DATES: [&str; 4] = ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"];
    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t);
    }
    let naive = WITH_TIME.iter().find_map(|f| NaiveDateTime::parse_from_str(s, f).ok()).or_else(|| {
        DATES.iter().find_map(|f| NaiveDate::parse_from_str(s, f).ok()).and_then(|d| d.and_hms_opt(23, 59, 59))
    })?;
    tz.from_local_datetime(&naive).earliest().map(|t| t.fixed_offset())
}

/// Who the sales consultant (置业顾问) of a subscription is, as the entry
/// point knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SalesRef {
    /// Chosen in the back office: must be an active sales consultant of
    /// the project.
    Staff(i64),
    /// Named by login (the developer's API): the same.
    Login(String),
    /// A name from an export: linked to the project's sales consultant of
    /// that name when there is one, kept as written otherwise.
    Name(String),
}

/// A subscription's fields as typed or exported, before any check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscriptionText {
    pub customer_name: String,
    pub customer_phone: String,
    pub unit: String,
    pub product: String,
    pub price_yuan: String,
    pub subscribed_at: String,
    pub deposit_at: String,
    pub down_payment_at: String,
    pub external_id: String,
}

/// A checked subscription, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSubscription {
    pub project_id: String,
    pub customer_name: CustomerName,
    pub phone: Phone,
    pub unit: String,
    pub product: Product,
    pub price_fen: i64,
    pub subscribed_at: DateTime<FixedOffset>,
    pub deposit_at: Option<DateTime<FixedOffset>>,
    pub down_payment_at: Option<DateTime<FixedOffset>>,
    pub sales: Option<SalesRef>,
    /// The sales system's own id (认购单号): the subscription's identity
    /// when given.
    pub external_id: Option<String>,
}

fn message_of(e: StoreError) -> String {
    match e {
        StoreError::Invalid(m) => m,
        other => other.to_string(),
    }
}

impl NewSubscription {
    /// Checks every field (times without an offset are local to `tz`); the
    /// first problem as a sentence for people, in both languages.
    pub fn parse(
        project_id: &str,
        text: &SubscriptionText,
        sales: Option<SalesRef>,
        tz: Tz,
    ) -> Result<NewSubscription, String> {
        let customer_name = CustomerName::parse(&text.customer_name).map_err(|e| e.to_string())?;
        let phone = Phone::parse(&text.customer_phone).map_err(|e| format!("客户手机号 / customer phone: {e}"))?;
        let unit = super::people::checked_name(&text.unit, "房号", "unit").map_err(message_of)?;
        let product = Product::parse(&text.product).ok_or_else(|| {
            "产品类型应为 住宅、商业、办公、车位 或 储藏室 / product: residential, commercial, office, parking or storage"
                .to_owned()
        })?;
        let price_fen = parse_yuan(&text.price_yuan).ok_or_else(|| {
            "总价应为金额(元),如 2000000 或 1,999,999.50 / price: an amount in yuan, e.g. 2000000 or 1,999,999.50"
                .to_owned()
        })?;
        let time = |raw: &str, zh: &str, en: &str, required: bool| -> Result<Option<DateTime<FixedOffset>>, String> {
            if raw.trim().is_empty() {
                return if required { Err(format!("请填写{zh} / the {en} is missing")) } else { Ok(None) };
            }
            parse_local_time(raw, tz).map(Some).ok_or_else(|| {
                format!("{zh}格式不正确(如 2026-11-20 15:00)/ the {en} is not a time such as 2026-11-20 15:00")
            })
        };
        let Some(subscribed_at) = time(&text.subscribed_at, "认购时间", "subscription time", true)? else {
            return Err("请填写认购时间 / the subscription time is missing".into());
        };
        let deposit_at = time(&text.deposit_at, "定金日期", "deposit date", false)?;
        let down_payment_at = time(&text.down_payment_at, "首付日期", "down payment date", false)?;
        let external_id = match text.external_id.trim() {
            "" => None,
            id if id.chars().count() > 64 || id.chars().any(char::is_control) => {
                return Err("认购单号最多 64 个字符 / the external id has at most 64 characters".into());
            }
            id => Some(id.to_owned()),
        };
        Ok(NewSubscription {
            project_id: project_id.to_owned(),
            customer_name,
            phone,
            unit,
            product,
            price_fen,
            subscribed_at,
            deposit_at,
            down_payment_at,
            sales,
            external_id,
        })
    }
}

/// A subscription as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    pub id: i64,
    pub project_id: String,
    pub customer_name: String,
    pub phone: Phone,
    pub unit: String,
    /// A `Product` code.
    pub product: String,
    pub price_fen: i64,
    /// RFC 3339 in the project's offset.
    pub subscribed_at: String,
    pub deposit_at: Option<String>,
    pub down_payment_at: Option<String>,
    pub sales_staff_id: Option<i64>,
    pub sales_name: String,
    pub status: DealStatus,
    pub contracted_at: Option<String>,
    pub cancelled_at: Option<String>,
    /// `staff:3`, `import`, `api:dev:2`.
    pub source: String,
    pub external_id: Option<String>,
    pub created_at: String,
}

impl Subscription {
    pub fn product_kind(&self) -> Option<Product> {
        Product::parse(&self.product)
    }
}

/// A subscription with the attribution in force (none before it was
/// attributed).
#[derive(Debug, Clone, PartialEq)]
pub struct DealRow {
    pub subscription: Subscription,
    pub attribution: Option<AttributionInForce>,
}

/// Which subscriptions to list. Every field narrows; `None`: no condition.
#[derive(Debug, Clone, Default)]
pub struct DealFilter {
    pub project: Option<String>,
    pub status: Option<DealStatus>,
    /// Channel performance or not (a subscription not attributed yet counts
    /// as not).
    pub performance: Option<bool>,
    /// The covering visit's agency, by name.
    pub agency: Option<String>,
    /// Subscribed at or after (unix seconds).
    pub from_unix: Option<i64>,
    /// Subscribed before (unix seconds).
    pub to_unix: Option<i64>,
}

/// The outcome of entering a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entered {
    pub id: i64,
    /// `false`: the same subscription (same external id, or same unit,
    /// time and phone) was entered before; it is returned unchanged.
    pub created: bool,
}

/// The developer's API key (`pd_…`), as listed: the key itself is shown
/// once and never kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeveloperKey {
    pub id: i64,
    pub project_id: String,
    pub label: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

const SUBSCRIPTION_COLUMNS: &str = "s.id, s.project_id, s.customer_name, s.phone, s.unit, s.product, s.price_fen, \
     s.subscribed_at, s.deposit_at, s.down_payment_at, s.sales_staff_id, s.sales_name, s.status, s.contracted_at, \
     s.cancelled_at, s.source, s.external_id, s.created_at";

/// Reads `SUBSCRIPTION_COLUMNS` (columns 0 to 17).
fn read_subscription(r: &rusqlite::Row<'_>) -> rusqlite::Result<Subscription> {
    let phone: String = r.get(3)?;
    let status: String = r.get(12)?;
    Ok(Subscription {
        id: r.get(0)?,
        project_id: r.get(1)?,
        customer_name: r.get(2)?,
        phone: Phone::parse(&phone)
            .map_err(|_| rusqlite::Error::InvalidColumnType(3, "phone".into(), rusqlite::types::Type::Text))?,
        unit: r.get(4)?,
        product: r.get(5)?,
        price_fen: r.get(6)?,
        subscribed_at: r.get(7)?,
        deposit_at: r.get(8)?,
        down_payment_at: r.get(9)?,
        sales_staff_id: r.get(10)?,
        sales_name: r.get(11)?,
        status: DealStatus::parse(&status)
            .ok_or_else(|| rusqlite::Error::InvalidColumnType(12, "status".into(), rusqlite::types::Type::Text))?,
        contracted_at: r.get(13)?,
        cancelled_at: r.get(14)?,
        source: r.get(15)?,
        external_id: r.get(16)?,
        created_at: r.get(17)?,
    })
}

/// `SUBSCRIPTION_COLUMNS` then the attribution's eight columns.
fn read_deal_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DealRow> {
    let subscription = read_subscription(r)?;
    let seq: Option<i64> = r.get(18)?;
    let attribution = match seq {
        None => None,
        Some(ledger_seq) => Some(AttributionInForce {
            ledger_seq,
            channel_performance: r.get(19)?,
            agency: r.get(20)?,
            agency_id: r.get(21)?,
            visit_seq: r.get(22)?,
            visit_at: r.get(23)?,
            reasons: attribution::parse_reasons(&r.get::<_, String>(24)?),
            attributed_at: r.get(25)?,
        }),
    };
    Ok(DealRow { subscription, attribution })
}

/// The key that makes a subscription the same subscription: the project
/// and the sales system's id, or the project, unit, instant and phone.
fn dedup_key(new: &NewSubscription) -> String {
    match &new.external_id {
        Some(id) => external_key(&new.project_id, id),
        None => sha256_hex(
            format!("{}|{}|{}|{}", new.project_id, new.unit, new.subscribed_at.timestamp(), new.phone.as_str())
                .as_bytes(),
        ),
    }
}

fn external_key(project_id: &str, external_id: &str) -> String {
    sha256_hex(format!("{project_id}|ext|{external_id}").as_bytes())
}

pub(crate) enum Inserted {
    New(i64),
    /// The same subscription was stored before (its dedup key).
    Existing(i64),
}

/// What a new subscription is stored as: its status and the instants that
/// go with it.
pub(crate) struct Standing {
    pub status: DealStatus,
    pub contracted_at: Option<DateTime<FixedOffset>>,
    pub cancelled_at: Option<DateTime<FixedOffset>>,
}

/// An active sales consultant of the project, found by `sql` (`?1` the
/// key, `?2` the project).
fn active_sales_in(
    conn: &Connection,
    sql: &str,
    key: &dyn ToSql,
    project_id: &str,
) -> StoreResult<(Option<i64>, String)> {
    let found: Option<(i64, String)> =
        conn.prepare_cached(sql)?.query_row(params![key, project_id], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
    found.map(|(id, name)| (Some(id), name)).ok_or(StoreError::Refused(Refusal::SalesNotAllowed))
}

/// The sales consultant's staff id (if known) and name.
pub(crate) fn resolve_sales_in(
    conn: &Connection,
    project_id: &str,
    sales: Option<&SalesRef>,
) -> StoreResult<(Option<i64>, String)> {
    match sales {
        None => Ok((None, String::new())),
        Some(SalesRef::Staff(id)) => active_sales_in(
            conn,
            "SELECT id, name FROM staff WHERE id = ?1 AND project_id = ?2 AND role = 'sales' AND active = 1",
            id,
            project_id,
        ),
        Some(SalesRef::Login(login)) => active_sales_in(
            conn,
            "SELECT id, name FROM staff WHERE login = ?1 AND project_id = ?2 AND role = 'sales' AND active = 1",
            &login.trim(),
            project_id,
        ),
        Some(SalesRef::Name(name)) => {
            let name: String = name.trim().chars().filter(|c| !c.is_control()).take(40).collect();
            if name.is_empty() {
                return Ok((None, String::new()));
            }
            let id: Option<i64> = conn
                .prepare_cached(
                    "SELECT id FROM staff WHERE project_id = ?1 AND role = 'sales' AND name = ?2
                     ORDER BY active DESC, id LIMIT 1",
                )?
                .query_row(params![project_id, name], |r| r.get(0))
                .optional()?;
            Ok((id, name))
        }
    }
}

/// Inserts a subscription unless the same one is stored already.
pub(crate) fn insert_in(
    conn: &Connection,
    new: &NewSubscription,
    (sales_id, sales_name): (Option<i64>, String),
    standing: &Standing,
    source: &str,
    now: DateTime<Utc>,
) -> StoreResult<Inserted> {
    let key = dedup_key(new);
    let existing: Option<i64> = conn
        .prepare_cached("SELECT id FROM subscriptions WHERE dedup_key = ?1")?
        .query_row([&key], |r| r.get(0))
        .optional()?;
    if let Some(id) = existing {
        return Ok(Inserted::Existing(id));
    }
    let masked = new.phone.masked();
    let instant = |t: Option<DateTime<FixedOffset>>| t.map(crate::time::format_instant);
    conn.prepare_cached(
        "INSERT INTO subscriptions (project_id, customer_name, phone, phone_head, phone_tail, unit, product, price_fen,
            subscribed_at, subscribed_unix, deposit_at, down_payment_at, sales_staff_id, sales_name, status,
            contracted_at, cancelled_at, source, external_id, dedup_key, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)",
    )?
    .execute(params![
        new.project_id,
        new.customer_name.as_str(),
        new.phone.as_str(),
        masked.head(),
        masked.tail(),
        new.unit,
        new.product.code(),
        new.price_fen,
        crate::time::format_instant(new.subscribed_at),
        new.subscribed_at.timestamp(),
        instant(new.deposit_at),
        instant(new.down_payment_at),
        sales_id,
        sales_name,
        standing.status.code(),
        instant(standing.contracted_at),
        instant(standing.cancelled_at),
        source,
        new.external_id,
        key,
        crate::time::stamp(now),
    ])?;
    Ok(Inserted::New(conn.last_insert_rowid()))
}

pub(crate) fn status_in(conn: &Connection, id: i64) -> StoreResult<DealStatus> {
    let status: Option<String> = conn
        .prepare_cached("SELECT status FROM subscriptions WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    let status = status.ok_or_else(|| StoreError::NotFound(format!("subscription {id}")))?;
    DealStatus::parse(&status).ok_or_else(|| StoreError::Corrupt(format!("subscription {id}: status {status}")))
}

/// The subscription's project, phone, unit, status and subscription instant.
fn standing_in(conn: &Connection, id: i64) -> StoreResult<(String, Phone, String, DealStatus, String)> {
    let row: Option<(String, String, String, String, String)> = conn
        .prepare_cached("SELECT project_id, phone, unit, status, subscribed_at FROM subscriptions WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .optional()?;
    let (project_id, phone, unit, status, subscribed_at) =
        row.ok_or_else(|| StoreError::NotFound(format!("subscription {id}")))?;
    let phone = Phone::parse(&phone).map_err(|_| StoreError::Corrupt(format!("subscription {id}: phone")))?;
    let status =
        DealStatus::parse(&status).ok_or_else(|| StoreError::Corrupt(format!("subscription {id}: status {status}")))?;
    Ok((project_id, phone, unit, status, subscribed_at))
}

/// Marks a subscription contracted (签约) at `at`, audited. Only a
/// subscription still in 认购 can be; never before it was subscribed.
pub(crate) fn set_contracted_in(
    conn: &Connection,
    key: &[u8],
    id: i64,
    at: DateTime<FixedOffset>,
    actor: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let (project_id, _, unit, status, subscribed_at) = standing_in(conn, id)?;
    match status {
        DealStatus::Subscribed => {}
        DealStatus::Contracted => {
            return Err(StoreError::Conflict("该认购已签约 / this subscription is already contracted".into()));
        }
        DealStatus::Cancelled => {
            return Err(StoreError::Conflict(
                "该认购已退订,不能签约 / this subscription was cancelled and cannot be contracted".into(),
            ));
        }
    }
    if crate::time::parse_instant(&subscribed_at).is_some_and(|s| at < s) {
        return Err(StoreError::Invalid(
            "签约时间不能早于认购时间 / the contract cannot come before the subscription".into(),
        ));
    }
    let at_text = crate::time::format_instant(at);
    conn.prepare_cached("UPDATE subscriptions SET status = 'contracted', contracted_at = ?1 WHERE id = ?2")?
        .execute(params![at_text, id])?;
    super::audit::record_in(
        conn,
        key,
        now,
        actor,
        "deal.contract",
        Some(&project_id),
        &format!("subscription {id} ({unit}): 签约 / contracted {at_text}"),
    )?;
    Ok(())
}

/// Marks a subscription cancelled (退订) at `at`, audited; returns its
/// project and phone (whose other subscriptions the caller re-attributes).
pub(crate) fn set_cancelled_in(
    conn: &Connection,
    key: &[u8],
    id: i64,
    at: DateTime<FixedOffset>,
    actor: &str,
    now: DateTime<Utc>,
) -> StoreResult<(String, Phone)> {
    let (project_id, phone, unit, status, subscribed_at) = standing_in(conn, id)?;
    if status == DealStatus::Cancelled {
        return Err(StoreError::Conflict("该认购已退订 / this subscription is already cancelled".into()));
    }
    if crate::time::parse_instant(&subscribed_at).is_some_and(|s| at < s) {
        return Err(StoreError::Invalid(
            "退订时间不能早于认购时间 / the cancellation cannot come before the subscription".into(),
        ));
    }
    let at_text = crate::time::format_instant(at);
    conn.prepare_cached("UPDATE subscriptions SET status = 'cancelled', cancelled_at = ?1 WHERE id = ?2")?
        .execute(params![at_text, id])?;
    super::audit::record_in(
        conn,
        key,
        now,
        actor,
        "deal.cancel",
        Some(&project_id),
        &format!("subscription {id} ({unit}): 退订 / cancelled {at_text}"),
    )?;
    Ok((project_id, phone))
}

/// Has the customer — `phone` (full or masked: first three and last four
/// digits, every known digit equal) or a phone of its customer group — a
/// contracted subscription in the project? Such a customer is no longer
/// protected: a new report of them is refused (成交客户签订合同后不再受保护).
pub(crate) fn customer_contracted_in(conn: &Connection, project_id: &str, phone: &CustomerPhone) -> StoreResult<bool> {
    let mut wanted = vec![*phone];
    if let CustomerPhone::Full(full) = phone {
        wanted.extend(super::groups::group_phones_in(conn, project_id, full)?);
    }
    let mut stmt = conn.prepare_cached(
        "SELECT phone FROM subscriptions
         WHERE project_id = ?1 AND phone_head = ?2 AND phone_tail = ?3 AND status = 'contracted'",
    )?;
    for w in &wanted {
        let masked = w.masked();
        let rows = stmt.query_map(params![project_id, masked.head(), masked.tail()], |r| r.get::<_, String>(0))?;
        for row in rows {
            if let Ok(p) = Phone::parse(&row?)
                && w.matches_full(&p)
            {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

impl Store {
    /// Enters a subscription (认购) and attributes it with `rules`, in one
    /// transaction: the insert, its audit entry, the attribution entry in
    /// the ledger (`cause`, e.g. `entered`), and the re-attribution of the
    /// customer's other subscriptions (this one may come before them). The
    /// same subscription again — same external id, or same unit, instant
    /// and phone — writes nothing and returns the one entered before.
    pub fn enter_subscription(
        &mut self,
        new: &NewSubscription,
        source: &str,
        cause: &str,
        rules: &Rules,
        by: By<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<Entered> {
        let tx = WriteTx::begin(&mut self.conn)?;
        let sales = resolve_sales_in(&tx, &new.project_id, new.sales.as_ref())?;
        let standing = Standing { status: DealStatus::Subscribed, contracted_at: None, cancelled_at: None };
        let id = match insert_in(&tx, new, sales, &standing, source, now)? {
            // Nothing was written: the transaction rolls back as it drops.
            Inserted::Existing(id) => return Ok(Entered { id, created: false }),
            Inserted::New(id) => id,
        };
        super::audit::record_in(
            &tx,
            &self.ledger_key,
            now,
            by.actor,
            "deal.subscribe",
            Some(&new.project_id),
            &format!(
                "subscription {id}: {} {}, ¥{}, {} at {}",
                new.unit,
                new.product.code(),
                format_yuan(new.price_fen),
                new.phone.masked(),
                crate::time::format_instant(new.subscribed_at)
            ),
        )?;
        // A live dispute about the customer's visit raised before the deal
        // is about this deal now: its periods count from its deposit.
        tx.prepare_cached(
            "UPDATE disputes SET subscription_id = ?1, updated_at = ?4
             WHERE project_id = ?2 AND subscription_id IS NULL AND phone = ?3
               AND status IN ('open', 'ruled', 'appealed')",
        )?
        .execute(params![id, new.project_id, new.phone.as_str(), crate::time::stamp(now)])?;
        let mut app = Appender::new(&self.ledger_key, self.tip.clone());
        attribute_subscription_in(&tx, &mut app, rules, id, cause, now)?;
        reattribute_customer_in(&tx, &mut app, rules, &new.project_id, &[new.phone], cause, now)?;
        let rows = app.commit(tx)?;
        self.appended_all(&rows);
        Ok(Entered { id, created: true })
    }

    /// The purchase contract (签约) of a subscription was signed at `at`:
    /// audited, and the subscription attributed again (cause `contract`;
    /// an entry only when the result changed).
    pub fn contract_subscription(
        &mut self,
        id: i64,
        at: DateTime<FixedOffset>,
        rules: &Rules,
        by: By<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let tx = WriteTx::begin(&mut self.conn)?;
        set_contracted_in(&tx, &self.ledger_key, id, at, by.actor, now)?;
        let mut app = Appender::new(&self.ledger_key, self.tip.clone());
        attribute_subscription_in(&tx, &mut app, rules, id, "contract", now)?;
        let rows = app.commit(tx)?;
        self.appended_all(&rows);
        Ok(())
    }

    /// The subscription was cancelled (退订) at `at`: audited. It keeps its
    /// last attribution; the customer's other subscriptions are attributed
    /// again (cause `cancel`: it no longer makes them a repeat purchase).
    pub fn cancel_subscription(
        &mut self,
        id: i64,
        at: DateTime<FixedOffset>,
        rules: &Rules,
        by: By<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let tx = WriteTx::begin(&mut self.conn)?;
        let (project_id, phone) = set_cancelled_in(&tx, &self.ledger_key, id, at, by.actor, now)?;
        let mut app = Appender::new(&self.ledger_key, self.tip.clone());
        reattribute_customer_in(&tx, &mut app, rules, &project_id, &[phone], "cancel", now)?;
        let rows = app.commit(tx)?;
        self.appended_all(&rows);
        Ok(())
    }

    pub fn subscription(&self, id: i64) -> StoreResult<Subscription> {
        self.conn
            .prepare_cached(&format!("SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions s WHERE s.id = ?1"))?
            .query_row([id], read_subscription)
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("subscription {id}")))
    }

    /// The project's subscription with the sales system's id `external_id`.
    pub fn subscription_by_external(&self, project_id: &str, external_id: &str) -> StoreResult<Option<Subscription>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions s WHERE s.dedup_key = ?1 AND s.project_id = ?2"
            ))?
            .query_row(params![external_key(project_id, external_id.trim()), project_id], read_subscription)
            .optional()?)
    }

    /// A page of subscriptions with their attribution in force, newest
    /// first, with ids below `before` (keyset paging).
    pub fn deals_page(&self, filter: &DealFilter, before: Option<i64>, limit: u32) -> StoreResult<Vec<DealRow>> {
        let mut sql = format!(
            "SELECT {SUBSCRIPTION_COLUMNS}, a.ledger_seq, a.channel_performance, a.agency, a.agency_id, a.visit_seq,
                    a.visit_at, a.reasons, a.attributed_at
             FROM subscriptions s LEFT JOIN attributions a ON a.subscription_id = s.id WHERE 1 = 1"
        );
        let mut args: Vec<Box<dyn ToSql>> = Vec::new();
        if let Some(p) = &filter.project {
            sql.push_str(" AND s.project_id = ?");
            args.push(Box::new(p.clone()));
        }
        if let Some(s) = filter.status {
            sql.push_str(" AND s.status = ?");
            args.push(Box::new(s.code()));
        }
        match filter.performance {
            Some(true) => sql.push_str(" AND a.channel_performance = 1"),
            Some(false) => sql.push_str(" AND (a.channel_performance IS NULL OR a.channel_performance = 0)"),
            None => {}
        }
        if let Some(a) = &filter.agency {
            sql.push_str(" AND a.agency = ?");
            args.push(Box::new(a.clone()));
        }
        if let Some(f) = filter.from_unix {
            sql.push_str(" AND s.subscribed_unix >= ?");
            args.push(Box::new(f));
        }
        if let Some(t) = filter.to_unix {
            sql.push_str(" AND s.subscribed_unix < ?");
            args.push(Box::new(t));
        }
        if let Some(b) = before {
            sql.push_str(" AND s.id < ?");
            args.push(Box::new(b));
        }
        sql.push_str(" ORDER BY s.id DESC LIMIT ?");
        args.push(Box::new(limit));
        let mut stmt = self.conn.prepare(&sql)?;
        let refs: Vec<&dyn ToSql> = args.iter().map(|a| a.as_ref()).collect();
        let rows = stmt.query_map(refs.as_slice(), read_deal_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Issues an API key for the developer's own sales system (`pd_…`),
    /// one project's; audited. Returns its id and the key, shown once.
    pub fn issue_developer_key(
        &mut self,
        project_id: &str,
        label: &str,
        by: By<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<(i64, String)> {
        let label = super::people::checked_name(label, "密钥用途", "key label")?;
        let key = format!("pd_{}", crate::crypto::random_secret().to_lowercase());
        let tx = WriteTx::begin(&mut self.conn)?;
        tx.execute(
            "INSERT INTO developer_keys (project_id, key_sha256, label, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![project_id, sha256_hex(key.as_bytes()), label, crate::time::stamp(now)],
        )?;
        let id = tx.last_insert_rowid();
        super::audit::record_in(
            &tx,
            &self.ledger_key,
            now,
            by.actor,
            "deal.developer_key",
            Some(project_id),
            &format!("developer key {id} ({label})"),
        )?;
        tx.commit()?;
        Ok((id, key))
    }

    /// Revokes a developer key: refused from the next request on. Audited.
    pub fn revoke_developer_key(&mut self, id: i64, by: By<'_>, now: DateTime<Utc>) -> StoreResult<DeveloperKey> {
        let key = self.developer_key(id)?;
        let already = || StoreError::Conflict(format!("密钥 {id} 已吊销 / developer key {id} is already revoked"));
        if key.revoked_at.is_some() {
            return Err(already());
        }
        let at = crate::time::stamp(now);
        let tx = WriteTx::begin(&mut self.conn)?;
        let changed = tx.execute(
            "UPDATE developer_keys SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL",
            params![at, id],
        )?;
        if changed == 0 {
            return Err(already());
        }
        super::audit::record_in(
            &tx,
            &self.ledger_key,
            now,
            by.actor,
            "deal.developer_key_revoke",
            Some(&key.project_id),
            &format!("developer key {id} ({})", key.label),
        )?;
        tx.commit()?;
        Ok(DeveloperKey { revoked_at: Some(at), ..key })
    }

    pub fn developer_key(&self, id: i64) -> StoreResult<DeveloperKey> {
        self.conn
            .query_row(
                "SELECT id, project_id, label, created_at, revoked_at FROM developer_keys WHERE id = ?1",
                [id],
                read_developer_key,
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("developer key {id}")))
    }

    /// The developer keys of a project (every project's: `None`), oldest
    /// first.
    pub fn developer_keys(&self, project_id: Option<&str>) -> StoreResult<Vec<DeveloperKey>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, project_id, label, created_at, revoked_at FROM developer_keys
             WHERE ?1 IS NULL OR project_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([project_id], read_developer_key)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The live developer key's id and project.
    pub fn project_of_developer_key(&self, key: &str) -> StoreResult<Option<(i64, String)>> {
        Ok(self
            .conn
            .prepare_cached("SELECT id, project_id FROM developer_keys WHERE key_sha256 = ?1 AND revoked_at IS NULL")?
            .query_row([sha256_hex(key.trim().as_bytes())], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }
}

fn read_developer_key(r: &rusqlite::Row<'_>) -> rusqlite::Result<DeveloperKey> {
    Ok(DeveloperKey {
        id: r.get(0)?,
        project_id: r.get(1)?,
        label: r.get(2)?,
        created_at: r.get(3)?,
        revoked_at: r.get(4)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_in_yuan_become_fen_exactly() {
        assert_eq!(parse_yuan("2000000"), Some(200_000_000));
        assert_eq!(parse_yuan("1,999,999.5"), Some(199_999_950));
        assert_eq!(parse_yuan("¥2,000,000.05元"), Some(200_000_005));
        assert_eq!(parse_yuan("12.345"), None);
        assert_eq!(parse_yuan("-5"), None);
        assert_eq!(parse_yuan(""), None);
        assert_eq!(format_yuan(199_999_950), "1,999,999.50");
        assert_eq!(format_yuan(5), "0.05");
    }

    #[test]
    fn a_date_without_a_time_is_the_end_of_that_local_day() {
        let tz = chrono_tz::Asia::Shanghai;
        let t = parse_local_time("2026-11-20", tz).map(crate::time::format_instant);
        assert_eq!(t.as_deref(), Some("2026-11-20T23:59:59+08:00"));
        let t = parse_local_time("2026/11/20 15:00", tz).map(crate::time::format_instant);
        assert_eq!(t.as_deref(), Some("2026-11-20T15:00:00+08:00"));
        let t = parse_local_time("2026-11-20T15:00", tz).map(crate::time::format_instant);
        assert_eq!(t.as_deref(), Some("2026-11-20T15:00:00+08:00"));
        assert!(parse_local_time("next tuesday", tz).is_none());
    }

    #[test]
    fn product_kinds_read_the_codes_and_the_sales_systems_labels() {
        assert_eq!(Product::parse("车位"), Some(Product::Parking));
        assert_eq!(Product::parse("Parking"), Some(Product::Parking));
        assert_eq!(Product::parse("商铺"), Some(Product::Commercial));
        assert_eq!(Product::parse("飞机"), None);
    }
}
