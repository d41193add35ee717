//! The outbox: events written in the transaction of the change they tell
//! of, handed to the delivery worker, and the log of its attempts.

use super::EventType;
use crate::store::{Store, StoreError, StoreResult};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use serde_json::{Value, json};

/// A delivery handed to the worker is not handed out again for this long
/// (seconds) — longer than an attempt may take (10 s). If panke stops in
/// the middle of an attempt, the delivery is due again after it: at least
/// once, never lost.
pub const CLAIM_LEASE_SECS: i64 = 120;

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
pub(super) fn scrub(value: &mut Value) -> bool {
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
pub(super) fn new_event_id() -> String {
    format!("evt_{}", crate::crypto::random_secret().to_ascii_lowercase())
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

impl Store {
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
