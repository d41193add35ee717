//! Agency webhooks (推送): the addresses an agency registers, the durable
//! outbox its events wait in, and the delivery log it can read.
//!
//! An event is written to the outbox **inside the transaction of the change
//! it tells of** (`enqueue_in`, called by the filing, the first read, the
//! check-in, the attribution and the dispute notices): it commits with the
//! change or not at all, and a restart of panke loses nothing — the
//! delivery worker (`service::webhooks`) reads the table, not memory. One
//! row per event and active address of the agency; no address, no row.
//!
//! Payloads never carry a full phone number: customers appear as
//! `138****5678`, and `enqueue_in` masks any 11-digit mainland mobile
//! number it still finds (and logs that it had to) before the event is
//! stored — what is stored is what is sent, byte for byte.

use super::people::By;
use super::reports::StoredReport;
use super::{Store, StoreError, StoreResult};
use crate::domain::rules::Rules;
use crate::domain::token::ReportId;
use chrono::{DateTime, FixedOffset, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

/// What panke tells an agency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// A report of the agency was filed (by an agent, the API, 补录).
    ReportFiled,
    /// A report's code was first read at a kiosk: the customer arrived.
    ReportFirstRead,
    /// The visit was recorded (带看确认单), with its verdict.
    VisitRecorded,
    /// A deal was attributed to the agency, or away from it.
    DealAttributed,
    /// A step of a dispute the agency is party to.
    DisputeUpdated,
}

impl EventType {
    pub const ALL: [EventType; 5] = [
        EventType::ReportFiled,
        EventType::ReportFirstRead,
        EventType::VisitRecorded,
        EventType::DealAttributed,
        EventType::DisputeUpdated,
    ];

    pub fn code(self) -> &'static str {
        match self {
            EventType::ReportFiled => "report.filed",
            EventType::ReportFirstRead => "report.first_read",
            EventType::VisitRecorded => "visit.recorded",
            EventType::DealAttributed => "deal.attributed",
            EventType::DisputeUpdated => "dispute.updated",
        }
    }

    pub fn parse(code: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|e| e.code() == code)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            EventType::ReportFiled => "报备已提交",
            EventType::ReportFirstRead => "客户到访(首次扫码)",
            EventType::VisitRecorded => "带看已记录",
            EventType::DealAttributed => "成交归属",
            EventType::DisputeUpdated => "争议更新",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            EventType::ReportFiled => "Report filed",
            EventType::ReportFirstRead => "Customer arrived (first scan)",
            EventType::VisitRecorded => "Visit recorded",
            EventType::DealAttributed => "Deal attributed",
            EventType::DisputeUpdated => "Dispute updated",
        }
    }
}

/// Active addresses one agency may have at once (each event is sent to
/// each of them).
pub const MAX_ENDPOINTS: i64 = 5;

/// A delivery handed to the worker is not handed out again for this long
/// (seconds) — longer than an attempt may take (10 s). If panke stops in
/// the middle of an attempt, the delivery is due again after it: at least
/// once, never lost.
pub const CLAIM_LEASE_SECS: i64 = 120;

const URL_MAX: usize = 500;

/// An agency's receiving address, without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEndpoint {
    pub id: i64,
    pub agency_id: i64,
    pub url: String,
    pub created_by: String,
    /// UTC stamp.
    pub created_at: String,
    pub disabled_at: Option<String>,
}

impl WebhookEndpoint {
    pub fn active(&self) -> bool {
        self.disabled_at.is_none()
    }
}

/// A delivery the worker is to attempt now (its address's secret signs
/// it). No `Debug`: it holds the secret.
pub struct Delivery {
    pub outbox_id: i64,
    pub event_id: String,
    pub event_type: String,
    pub url: String,
    pub secret: String,
    /// The body, exactly as stored.
    pub payload: String,
    pub created_unix: i64,
    /// Attempts made before this one.
    pub attempts: i64,
}

/// How an attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryAttempt {
    /// The receiver's HTTP status; `None` when it did not answer.
    pub status: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// What follows an attempt (the worker's retry schedule decides).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    Delivered,
    /// Try again at this Unix second.
    RetryAt(i64),
    /// Retried for 24 h: no more attempts.
    GiveUp,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    Pending,
    Delivered,
    GaveUp,
}

impl DeliveryState {
    pub fn code(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::GaveUp => "gave-up",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            DeliveryState::Pending => "待重试",
            DeliveryState::Delivered => "已送达",
            DeliveryState::GaveUp => "已放弃",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            DeliveryState::Pending => "Retrying",
            DeliveryState::Delivered => "Delivered",
            DeliveryState::GaveUp => "Gave up",
        }
    }
}

/// One attempt in the delivery log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedAttempt {
    /// UTC stamp.
    pub at: String,
    pub status: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// One event to one address, in the delivery log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedEvent {
    pub outbox_id: i64,
    pub event_id: String,
    pub event_type: String,
    pub endpoint_id: i64,
    pub url: String,
    /// UTC stamp.
    pub created_at: String,
    pub attempts: i64,
    pub next_attempt_unix: i64,
    pub delivered_at: Option<String>,
    pub gave_up_at: Option<String>,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    /// The body sent (the agency's own data; phones masked).
    pub payload: String,
    /// Every attempt, oldest first.
    pub tries: Vec<LoggedAttempt>,
}

impl LoggedEvent {
    pub fn state(&self) -> DeliveryState {
        match (&self.delivered_at, &self.gave_up_at) {
            (Some(_), _) => DeliveryState::Delivered,
            (None, Some(_)) => DeliveryState::GaveUp,
            (None, None) => DeliveryState::Pending,
        }
    }
}

/// Masks every full phone in the values of `value` (a number that reads as
/// one becomes the masked text); says whether it had to.
fn scrub(value: &mut Value) -> bool {
    let number_text = match &*value {
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    if let Some(text) = number_text {
        if crate::domain::phone::contains_full_phone(&text) {
            *value = Value::String(crate::domain::phone::mask_phones_in_text(&text));
            return true;
        }
        return false;
    }
    match value {
        Value::String(s) if crate::domain::phone::contains_full_phone(s.as_str()) => {
            *s = crate::domain::phone::mask_phones_in_text(s.as_str());
            true
        }
        // Every element is scrubbed (no short circuit).
        Value::Array(items) => items.iter_mut().map(scrub).filter(|hit| *hit).count() > 0,
        Value::Object(map) => map.values_mut().map(scrub).filter(|hit| *hit).count() > 0,
        _ => false,
    }
}

/// `evt_` and 160 random bits in lowercase base32: its alphabet has no
/// `0`, `1`, `8` or `9`, so an id can never look like a phone number.
fn new_event_id() -> String {
    format!("evt_{}", crate::crypto::random_secret().to_ascii_lowercase())
}

/// 32 random bytes, hex.
fn new_secret() -> String {
    use rand::RngCore;
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    data_encoding::HEXLOWER.encode(&raw)
}

/// Does the agency have an active address? (Events are built only then.)
pub(crate) fn has_endpoints_in(conn: &Connection, agency_id: i64) -> StoreResult<bool> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM webhook_endpoints WHERE agency_id = ?1 AND disabled_at IS NULL)")?
        .query_row([agency_id], |r| r.get(0))?)
}

/// Puts an event for the agency in the outbox, one row per active
/// address, **inside the caller's transaction**: it commits with the change
/// it tells of. No active address: nothing. The envelope:
/// `{"id": "evt_…", "type": "report.filed", "created": RFC 3339 UTC,
/// "project": "<project id>", "data": {…}}`.
///
/// A full phone number found in the payload is masked (and logged as the
/// fault it is); should one remain (in a key), the event is not stored at
/// all — the change itself still commits.
pub(crate) fn enqueue_in(
    conn: &Connection,
    agency_id: i64,
    project_id: &str,
    event: EventType,
    data: Value,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let endpoints: Vec<i64> = conn
        .prepare_cached("SELECT id FROM webhook_endpoints WHERE agency_id = ?1 AND disabled_at IS NULL ORDER BY id")?
        .query_map([agency_id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if endpoints.is_empty() {
        return Ok(());
    }
    let event_id = new_event_id();
    let created = crate::time::stamp(now);
    let mut envelope = json!({
        "id": event_id,
        "type": event.code(),
        "created": created,
        "project": project_id,
        "data": data,
    });
    if scrub(&mut envelope) {
        tracing::error!(
            event = event.code(),
            agency_id,
            "a full phone number in a webhook payload was masked before it was stored"
        );
    }
    let payload = serde_json::to_string(&envelope).map_err(|e| StoreError::Invalid(e.to_string()))?;
    if crate::domain::phone::contains_full_phone(&payload) {
        tracing::error!(event = event.code(), agency_id, "a webhook payload held a full phone number: not sent");
        return Ok(());
    }
    let mut insert = conn.prepare_cached(
        "INSERT INTO webhook_outbox (event_id, agency_id, endpoint_id, event_type, payload, created_at, created_unix,
            next_attempt_unix)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
    )?;
    for endpoint in endpoints {
        insert.execute(params![event_id, agency_id, endpoint, event.code(), payload, created, now.timestamp()])?;
    }
    Ok(())
}

/// `report.filed`: the report as its agency knows it — never the
/// customer's name or full phone, never the agent's phone. `rules`: the
/// project's, for 到访不早于 and 有效至 (the rules in force when none are
/// given; both `null` when none are recorded).
pub(crate) fn report_filed_in(
    conn: &Connection,
    report: &StoredReport,
    rules: Option<&Rules>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    if !has_endpoints_in(conn, report.agency_id)? {
        return Ok(());
    }
    let in_force = match rules {
        Some(_) => None,
        None => super::deals::rules_in_force_in(conn, &report.project_id).ok(),
    };
    let rules = rules.or(in_force.as_ref());
    let not_before = rules.map(|r| crate::time::format_instant(report.filed_at + r.min_gap));
    let valid_until = rules.map(|r| crate::time::format_instant(r.report_valid_until(report.filed_at).fixed_offset()));
    let data = json!({
        "report_id": report.id.0,
        "manual_code": report.manual_code.as_str(),
        "customer_phone": report.customer_phone.masked().to_string(),
        "agent": { "id": report.agent_id, "name": report.agent_name },
        "filed_at": crate::time::format_instant(report.filed_at),
        "arrive_not_before": not_before,
        "valid_until": valid_until,
    });
    enqueue_in(conn, report.agency_id, &report.project_id, EventType::ReportFiled, data, now)
}

/// `report.first_read`: the report's code was read at a kiosk for the
/// first time (the arrival instant).
pub(crate) fn report_first_read_in(
    conn: &Connection,
    report_id: ReportId,
    kiosk_id: Option<i64>,
    at: DateTime<FixedOffset>,
) -> StoreResult<()> {
    let found: Option<(i64, String)> = conn
        .prepare_cached("SELECT agency_id, project_id FROM reports WHERE id = ?1")?
        .query_row([report_id.0], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((agency_id, project_id)) = found else { return Ok(()) };
    if !has_endpoints_in(conn, agency_id)? {
        return Ok(());
    }
    let data = json!({
        "report_id": report_id.0,
        "at": crate::time::format_instant(at),
        "kiosk_id": kiosk_id,
    });
    enqueue_in(conn, agency_id, &project_id, EventType::ReportFirstRead, data, at.to_utc())
}

/// `visit.recorded`: the visit record of the agency's report, its verdict
/// and reasons (codes, as the API and `panke judge` name them).
pub(crate) fn visit_recorded_in(
    conn: &Connection,
    report: &StoredReport,
    record_seq: i64,
    verdict: &crate::wire::record::RecordedVerdict,
    arrival_at: DateTime<FixedOffset>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    if !has_endpoints_in(conn, report.agency_id)? {
        return Ok(());
    }
    let reasons: Vec<&str> = verdict.reasons.iter().map(|r| r.code()).collect();
    let protected_until = verdict.protected_until.map(crate::time::format_instant);
    let data = json!({
        "report_id": report.id.0,
        "record": record_seq,
        "verdict": verdict.verdict.code(),
        "reasons": reasons,
        "off_hours": verdict.off_hours,
        "arrival_at": crate::time::format_instant(arrival_at),
        "protected_until": protected_until,
    });
    enqueue_in(conn, report.agency_id, &report.project_id, EventType::VisitRecorded, data, now)
}

/// A deal's attribution, as every agency it concerns is told it.
pub(crate) struct DealNews<'a> {
    pub project_id: &'a str,
    pub subscription_id: i64,
    pub unit: &'a str,
    pub product: &'a str,
    /// 前三后四.
    pub customer_phone: String,
    /// The rules' reasons (codes).
    pub reasons: Vec<&'static str>,
    /// The dispute whose ruling decides the attribution.
    pub dispute_id: Option<i64>,
}

/// `deal.attributed` for one agency: its own share (`channel_performance`
/// false and share 0 when the deal is no longer, or never was, its
/// channel performance). Another agency is never named.
pub(crate) fn deal_attributed_in(
    conn: &Connection,
    news: &DealNews<'_>,
    agency_id: i64,
    channel_performance: bool,
    share_percent: i64,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    if !has_endpoints_in(conn, agency_id)? {
        return Ok(());
    }
    let share = if channel_performance { share_percent } else { 0 };
    let data = json!({
        "subscription_id": news.subscription_id,
        "unit": news.unit,
        "product": news.product,
        "customer_phone": news.customer_phone,
        "channel_performance": channel_performance,
        "share_percent": share,
        "reasons": news.reasons,
        "dispute_id": news.dispute_id,
        "attributed_at": crate::time::stamp(now),
    });
    enqueue_in(conn, agency_id, news.project_id, EventType::DealAttributed, data, now)
}

/// `dispute.updated`: a step of a dispute the agency is party to (the
/// notice it gets on its pages, `event`: opened, evidence, appeal, ruling,
/// withdrawn), with the dispute's status after it.
pub(crate) fn dispute_updated_in(
    conn: &Connection,
    dispute_id: i64,
    agency_id: i64,
    event: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    if !has_endpoints_in(conn, agency_id)? {
        return Ok(());
    }
    type Row = (String, String, String, Option<i64>, Option<i64>, Option<i64>);
    let found: Option<Row> = conn
        .prepare_cached(
            "SELECT project_id, status, claim_kind, subscription_id, visit_seq, claimant_agency_id
             FROM disputes WHERE id = ?1",
        )?
        .query_row([dispute_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
        .optional()?;
    let Some((project_id, status, kind, subscription_id, visit_seq, claimant)) = found else { return Ok(()) };
    let role = if claimant == Some(agency_id) { "claimant" } else { "respondent" };
    let data = json!({
        "dispute_id": dispute_id,
        "event": event,
        "status": status,
        "claim_kind": kind,
        "role": role,
        "subscription_id": subscription_id,
        "visit_record": visit_seq,
    });
    enqueue_in(conn, agency_id, &project_id, EventType::DisputeUpdated, data, now)
}

/// Checks a receiving address: `https://` (a host name or a public
/// address), or `http://` to this machine only (`127.0.0.1`, `[::1]`,
/// `localhost`: a local relay, the tests). No user name or password in it,
/// no private, link-local or reserved IP address (a literal one: names are
/// not resolved here). Returns it normalised.
pub fn check_webhook_url(raw: &str) -> StoreResult<String> {
    let bad = |zh: &str, en: &str| StoreError::Invalid(format!("{zh} / {en}"));
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > URL_MAX || raw.chars().any(char::is_control) {
        return Err(bad(
            "推送地址应为 https:// 开头的网址(500 字符以内)",
            "the address is an https:// URL (500 characters at most)",
        ));
    }
    let mut url = reqwest::Url::parse(raw)
        .map_err(|_| bad("推送地址应为 https:// 开头的网址", "the address is an https:// URL"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            "推送地址不能包含用户名或密码:请用签名核实来源",
            "no user name or password in the address: check the signature instead",
        ));
    }
    url.set_fragment(None);
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    if host.is_empty() {
        return Err(bad("推送地址缺少主机名", "the address has no host"));
    }
    let ip = host.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>().ok();
    let loopback = host == "localhost" || ip.is_some_and(|ip| ip.is_loopback());
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => {
            return Err(bad(
                "推送地址必须使用 https(仅本机 127.0.0.1 / localhost 可用 http)",
                "the address must be https (http only to 127.0.0.1 / localhost)",
            ));
        }
    }
    if let Some(ip) = ip
        && !ip.is_loopback()
        && !is_public(ip)
    {
        return Err(bad("推送地址不能是内网、链路本地或保留地址", "not a private, link-local or reserved address"));
    }
    Ok(url.to_string())
}

/// A globally routable address (not private, shared, link-local — cloud
/// metadata lives there —, documentation, multicast or unspecified).
fn is_public(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_unspecified()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || (first == 0x2001 && v6.segments()[1] == 0x0db8))
        }
    }
}

fn read_endpoint(r: &rusqlite::Row<'_>) -> rusqlite::Result<WebhookEndpoint> {
    Ok(WebhookEndpoint {
        id: r.get(0)?,
        agency_id: r.get(1)?,
        url: r.get(2)?,
        created_by: r.get(3)?,
        created_at: r.get(4)?,
        disabled_at: r.get(5)?,
    })
}

const ENDPOINT_COLUMNS: &str = "id, agency_id, url, created_by, created_at, disabled_at";

/// The scheme and host of an address, for the audit log (a query string
/// may hold the receiver's token).
fn origin(url: &str) -> String {
    reqwest::Url::parse(url)
        .map(|u| format!("{}://{}", u.scheme(), u.host_str().unwrap_or_default()))
        .unwrap_or_default()
}

impl Store {
    /// Registers a receiving address for the agency (checked by
    /// `check_webhook_url`), audited; returns its id and its signing
    /// secret, to be shown once.
    pub fn add_webhook_endpoint(
        &self,
        agency_id: i64,
        url: &str,
        by: By<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<(i64, String)> {
        let url = check_webhook_url(url)?;
        self.all_or_nothing(|store| {
            let known: bool = store
                .conn
                .query_row("SELECT EXISTS (SELECT 1 FROM agencies WHERE id = ?1)", [agency_id], |r| r.get(0))?;
            if !known {
                return Err(StoreError::NotFound(format!("agency {agency_id}")));
            }
            let active: i64 = store.conn.query_row(
                "SELECT count(*) FROM webhook_endpoints WHERE agency_id = ?1 AND disabled_at IS NULL",
                [agency_id],
                |r| r.get(0),
            )?;
            if active >= MAX_ENDPOINTS {
                return Err(StoreError::Conflict(format!(
                    "每个渠道公司最多 {MAX_ENDPOINTS} 个推送地址,请先停用不用的地址 / at most {MAX_ENDPOINTS} addresses per agency: disable one first"
                )));
            }
            let secret = new_secret();
            store.conn.execute(
                "INSERT INTO webhook_endpoints (agency_id, url, secret, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![agency_id, url, secret, by.actor, crate::time::stamp(now)],
            )?;
            let id = store.conn.last_insert_rowid();
            store.audit(
                now,
                by.actor,
                "agency.webhook",
                by.project,
                &format!("webhook {id} of agency {agency_id}: {}", origin(&url)),
            )?;
            Ok((id, secret))
        })
    }

    pub fn webhook_endpoint(&self, id: i64) -> StoreResult<WebhookEndpoint> {
        self.conn
            .query_row(&format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = ?1"), [id], read_endpoint)
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("webhook {id}")))
    }

    /// The agency's addresses, active and disabled, oldest first.
    pub fn webhook_endpoints(&self, agency_id: i64) -> StoreResult<Vec<WebhookEndpoint>> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE agency_id = ?1 ORDER BY id"))?;
        let rows = stmt.query_map([agency_id], read_endpoint)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Disables an address, audited: no new event goes to it, and what it
    /// had not yet received is given up.
    pub fn disable_webhook_endpoint(&self, id: i64, by: By<'_>, now: DateTime<Utc>) -> StoreResult<WebhookEndpoint> {
        self.all_or_nothing(|store| {
            let endpoint = store.webhook_endpoint(id)?;
            let stamp = crate::time::stamp(now);
            let changed = store.conn.execute(
                "UPDATE webhook_endpoints SET disabled_at = ?2, disabled_by = ?3 WHERE id = ?1 AND disabled_at IS NULL",
                params![id, stamp, by.actor],
            )?;
            if changed == 0 {
                return Err(StoreError::Conflict("该推送地址已停用 / this address is already disabled".into()));
            }
            store.conn.execute(
                "UPDATE webhook_outbox SET gave_up_at = ?2, last_error = 'address disabled'
                 WHERE endpoint_id = ?1 AND delivered_at IS NULL AND gave_up_at IS NULL",
                params![id, stamp],
            )?;
            store.audit(
                now,
                by.actor,
                "agency.webhook_disable",
                by.project,
                &format!("webhook {id} of agency {}: {}", endpoint.agency_id, origin(&endpoint.url)),
            )?;
            store.webhook_endpoint(id)
        })
    }

    /// Is any delivery due at `now_unix`? (A read: the worker asks this
    /// every few seconds and writes only when there is work.)
    pub fn webhooks_due(&self, now_unix: i64) -> StoreResult<bool> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM webhook_outbox
                 WHERE delivered_at IS NULL AND gave_up_at IS NULL AND next_attempt_unix <= ?1)",
            )?
            .query_row([now_unix], |r| r.get(0))?)
    }

    /// Takes up to `limit` deliveries due at `now_unix`, oldest due first,
    /// and leases them for `CLAIM_LEASE_SECS` (not handed out again
    /// meanwhile; due again after it if their attempt is never recorded).
    pub fn claim_due_deliveries(&self, now_unix: i64, limit: u32) -> StoreResult<Vec<Delivery>> {
        self.all_or_nothing(|store| {
            let due: Vec<Delivery> = store
                .conn
                .prepare_cached(
                    "SELECT o.id, o.event_id, o.event_type, e.url, e.secret, o.payload, o.created_unix, o.attempts
                     FROM webhook_outbox o JOIN webhook_endpoints e ON e.id = o.endpoint_id
                     WHERE o.delivered_at IS NULL AND o.gave_up_at IS NULL AND o.next_attempt_unix <= ?1
                     ORDER BY o.next_attempt_unix, o.id LIMIT ?2",
                )?
                .query_map(params![now_unix, limit], |r| {
                    Ok(Delivery {
                        outbox_id: r.get(0)?,
                        event_id: r.get(1)?,
                        event_type: r.get(2)?,
                        url: r.get(3)?,
                        secret: r.get(4)?,
                        payload: r.get(5)?,
                        created_unix: r.get(6)?,
                        attempts: r.get(7)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            let mut lease =
                store.conn.prepare_cached("UPDATE webhook_outbox SET next_attempt_unix = ?2 WHERE id = ?1")?;
            for d in &due {
                lease.execute(params![d.outbox_id, now_unix + CLAIM_LEASE_SECS])?;
            }
            Ok(due)
        })
    }

    /// Logs an attempt and moves the delivery on: delivered, due again at
    /// a time, or given up.
    pub fn record_delivery_attempt(
        &self,
        outbox_id: i64,
        attempt: &DeliveryAttempt,
        next: NextStep,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let error: Option<String> = attempt.error.as_deref().map(|e| e.chars().take(300).collect());
        let status = attempt.status.map(i64::from);
        let stamp = crate::time::stamp(now);
        self.all_or_nothing(|store| {
            store
                .conn
                .prepare_cached(
                    "INSERT INTO webhook_attempts (outbox_id, at, status, error, duration_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![outbox_id, stamp, status, error, attempt.duration_ms])?;
            match next {
                NextStep::Delivered => store.conn.prepare_cached(
                    "UPDATE webhook_outbox SET attempts = attempts + 1, last_status = ?2, last_error = NULL, delivered_at = ?3
                     WHERE id = ?1 AND delivered_at IS NULL",
                )?
                .execute(params![outbox_id, status, stamp])?,
                NextStep::RetryAt(at) => store.conn.prepare_cached(
                    "UPDATE webhook_outbox SET attempts = attempts + 1, last_status = ?2, last_error = ?3, next_attempt_unix = ?4
                     WHERE id = ?1 AND delivered_at IS NULL",
                )?
                .execute(params![outbox_id, status, error, at])?,
                NextStep::GiveUp => store.conn.prepare_cached(
                    "UPDATE webhook_outbox SET attempts = attempts + 1, last_status = ?2, last_error = ?3, gave_up_at = ?4
                     WHERE id = ?1 AND delivered_at IS NULL",
                )?
                .execute(params![outbox_id, status, error, stamp])?,
            };
            Ok(())
        })
    }

    /// The agency's newest events, each with its address and every attempt
    /// (the delivery log the agency and its managers read).
    pub fn webhook_log(&self, agency_id: i64, limit: u32) -> StoreResult<Vec<LoggedEvent>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT o.id, o.event_id, o.event_type, o.endpoint_id, e.url, o.created_at, o.attempts, o.next_attempt_unix,
                    o.delivered_at, o.gave_up_at, o.last_status, o.last_error, o.payload
             FROM webhook_outbox o JOIN webhook_endpoints e ON e.id = o.endpoint_id
             WHERE o.agency_id = ?1 ORDER BY o.id DESC LIMIT ?2",
        )?;
        let mut events: Vec<LoggedEvent> = stmt
            .query_map(params![agency_id, limit], |r| {
                Ok(LoggedEvent {
                    outbox_id: r.get(0)?,
                    event_id: r.get(1)?,
                    event_type: r.get(2)?,
                    endpoint_id: r.get(3)?,
                    url: r.get(4)?,
                    created_at: r.get(5)?,
                    attempts: r.get(6)?,
                    next_attempt_unix: r.get(7)?,
                    delivered_at: r.get(8)?,
                    gave_up_at: r.get(9)?,
                    last_status: r.get(10)?,
                    last_error: r.get(11)?,
                    payload: r.get(12)?,
                    tries: Vec::new(),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut tries = self.conn.prepare_cached(
            "SELECT at, status, error, duration_ms FROM webhook_attempts WHERE outbox_id = ?1 ORDER BY id",
        )?;
        for event in &mut events {
            event.tries = tries
                .query_map([event.outbox_id], |r| {
                    Ok(LoggedAttempt { at: r.get(0)?, status: r.get(1)?, error: r.get(2)?, duration_ms: r.get(3)? })
                })?
                .collect::<rusqlite::Result<_>>()?;
        }
        Ok(events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_phones_are_found_anywhere_and_masked() {
        assert!(crate::domain::phone::contains_full_phone("13812345678"));
        assert!(crate::domain::phone::contains_full_phone("tel:+8613812345678;"));
        assert!(crate::domain::phone::contains_full_phone("x１３８１２３４５６７８y"), "full-width digits");
        assert!(!crate::domain::phone::contains_full_phone("138****5678"));
        assert!(!crate::domain::phone::contains_full_phone("1381**45678"));
        assert!(!crate::domain::phone::contains_full_phone("12812345678"), "12… is no mobile number");
        assert!(!crate::domain::phone::contains_full_phone("1381234567"), "ten digits");
        assert!(!crate::domain::phone::contains_full_phone("2026-11-18T10:00:00+08:00"));
        assert_eq!(crate::domain::phone::mask_phones_in_text("call 13812345678 now"), "call 138****5678 now");
        assert_eq!(crate::domain::phone::mask_phones_in_text("1381234567813912345678"), "138****5678139****5678");
        assert!(!crate::domain::phone::contains_full_phone(&crate::domain::phone::mask_phones_in_text(
            "913812345678913912345678"
        )));
    }

    #[test]
    fn a_payload_is_scrubbed_in_strings_and_numbers() {
        let mut v = json!({ "a": "13812345678", "b": [13912345678_i64, "ok"], "c": { "d": 7 } });
        assert!(scrub(&mut v));
        assert_eq!(v, json!({ "a": "138****5678", "b": ["139****5678", "ok"], "c": { "d": 7 } }));
        let mut clean = json!({ "phone": "138****5678", "n": 1_795_000_000_i64 });
        assert!(!scrub(&mut clean));
    }

    #[test]
    fn event_ids_never_look_like_phones() {
        for _ in 0..200 {
            let id = new_event_id();
            assert!(id.starts_with("evt_") && id.len() == 36, "{id}");
            assert!(!crate::domain::phone::contains_full_phone(&id));
        }
        assert_eq!(new_secret().len(), 64);
    }

    #[test]
    fn addresses_are_https_or_this_machine() {
        assert!(check_webhook_url("https://crm.example.com/panke?token=x").is_ok());
        assert!(check_webhook_url("http://127.0.0.1:8181/hook").is_ok());
        assert!(check_webhook_url("http://localhost:9000/").is_ok());
        assert!(check_webhook_url("http://[::1]:9000/").is_ok());
        for refused in [
            "",
            "crm.example.com",
            "http://crm.example.com/hook",
            "ftp://crm.example.com/",
            "https://user:pw@crm.example.com/",
            "https://10.0.0.8/hook",
            "https://192.168.1.2/hook",
            "https://169.254.169.254/latest",
            "https://[fd00::1]/",
            "https://[::ffff:10.0.0.1]/",
            "http://10.0.0.8/hook",
        ] {
            assert!(check_webhook_url(refused).is_err(), "{refused}");
        }
        assert_eq!(
            check_webhook_url(" https://CRM.example.com/a#frag ").ok().as_deref(),
            Some("https://crm.example.com/a")
        );
    }

    #[test]
    fn event_codes_parse_back() {
        for e in EventType::ALL {
            assert_eq!(EventType::parse(e.code()), Some(e));
        }
    }
}
