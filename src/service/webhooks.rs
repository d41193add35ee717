//! Agency webhooks, delivered: the signature, the retry schedule, and the
//! worker that posts what waits in the outbox (`store::webhooks`).
//!
//! **What a receiver gets.** A `POST` of the event's JSON to the address
//! the agency registered (`Content-Type: application/json`), the body
//! exactly as stored, with:
//!
//! - `Panke-Signature: t=<unix seconds>,v1=<hex>` — `hex` is the lowercase
//!   hex HMAC-SHA256 whose key is the address's secret (its 64 hex
//!   characters as shown, taken as ASCII bytes) and whose message is the
//!   decimal `t`, a `.`, then the raw body bytes: `"<t>.<body>"`. `t` is
//!   panke's clock at the attempt, so every attempt is signed afresh.
//! - `Panke-Event-Id` (the body's `id`) and `Panke-Event-Type`.
//!
//! The receiver recomputes `v1` over the raw body (before parsing it),
//! compares in constant time, and refuses a `t` more than a few minutes
//! from its own clock (a replay): `verify_signature` does exactly that.
//!
//! **Delivery.** At least once: any 2xx answer within 10 s delivers it;
//! anything else — another status, a redirect (never followed), a timeout,
//! no connection — is retried after 30 s, 2 min, 10 min, 30 min, 1 h, 2 h
//! and then every 4 h, for 24 h from the event's creation (the last try at
//! the 24th hour), then given up. The same event keeps its id on every
//! attempt (and on every address of the agency): consumers dedupe by it.
//! The outbox is in the database, so a restart of panke loses nothing; an
//! attempt cut off by a stop is tried again once its lease has run out.
//!
//! **Addresses.** `https://` only, except `http://` to this machine
//! (`127.0.0.1`, `[::1]`, `localhost`) for a local relay and the tests; no
//! literal private, link-local or reserved IP address. Host names are not
//! resolved at registration, so a name pointing into a private network is
//! not caught there (a deployment that must rule that out filters egress).

use crate::store::StoreError;
use crate::store::pool::DbError;
use crate::store::webhooks::{Delivery, DeliveryAttempt, NextStep, check_webhook_url, points_at_this_machine};
use crate::web::AppState;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;

pub const SIGNATURE_HEADER: &str = "Panke-Signature";
pub const EVENT_ID_HEADER: &str = "Panke-Event-Id";
pub const EVENT_TYPE_HEADER: &str = "Panke-Event-Type";

/// A receiver has this long to answer an attempt.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// How long an event is retried, from its creation.
pub const RETRY_FOR_SECS: i64 = 24 * 3600;

/// The wait after the 1st, 2nd, … failed attempt; the last one repeats.
pub const RETRY_DELAYS_SECS: [i64; 7] = [30, 120, 600, 1800, 3600, 7200, 4 * 3600];

/// How often the worker looks for due deliveries.
pub const TICK: Duration = Duration::from_secs(3);

/// Deliveries attempted at once (a full batch is followed by the next at
/// once).
const BATCH: u32 = 32;

type HmacSha256 = Hmac<Sha256>;

fn keyed(secret: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `v1` value: hex HMAC-SHA256(secret, "<timestamp>.<body>").
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(&keyed(secret, timestamp, body).finalize().into_bytes())
}

/// The `Panke-Signature` header's value: `t=<timestamp>,v1=<hex>`.
pub fn signature_header(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!("t={timestamp},v1={}", sign(secret, timestamp, body))
}

/// What a receiver checks: the header's `t` is within `tolerance_secs` of
/// `now` (Unix seconds) and one of its `v1` values is the HMAC of
/// `"<t>.<body>"` with `secret` (compared in constant time). Unknown parts
/// of the header are ignored.
pub fn verify_signature(secret: &str, header: &str, body: &[u8], now: i64, tolerance_secs: i64) -> bool {
    let mut timestamp: Option<i64> = None;
    let mut signatures: Vec<Vec<u8>> = Vec::new();
    for part in header.split(',') {
        let Some((key, value)) = part.trim().split_once('=') else { continue };
        match key.trim() {
            "t" => timestamp = value.trim().parse().ok(),
            "v1" => {
                if let Ok(bytes) = data_encoding::HEXLOWER_PERMISSIVE.decode(value.trim().as_bytes()) {
                    signatures.push(bytes);
                }
            }
            _ => {}
        }
    }
    let Some(t) = timestamp else { return false };
    if now.abs_diff(t) > u64::try_from(tolerance_secs).unwrap_or(0) {
        return false;
    }
    signatures.iter().any(|s| keyed(secret, t, body).verify_slice(s).is_ok())
}

/// The wait after the `failures`-th failed attempt (1 = the first).
pub fn retry_delay_secs(failures: i64) -> i64 {
    let i = usize::try_from(failures.saturating_sub(1)).unwrap_or(0);
    RETRY_DELAYS_SECS.get(i).or(RETRY_DELAYS_SECS.last()).copied().unwrap_or(4 * 3600)
}

/// After the `failures`-th failed attempt at `now_unix` of an event
/// created at `created_unix`: when to try again — never past 24 h from its
/// creation (the last try falls on it) — or give up once that has passed.
pub fn after_failure(created_unix: i64, now_unix: i64, failures: i64) -> NextStep {
    let deadline = created_unix.saturating_add(RETRY_FOR_SECS);
    if now_unix >= deadline {
        return NextStep::GiveUp;
    }
    NextStep::RetryAt(now_unix.saturating_add(retry_delay_secs(failures)).min(deadline))
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("the webhook client could not be built: {0}")]
    Client(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<StoreError> for DeliveryError {
    fn from(e: StoreError) -> Self {
        DeliveryError::Db(DbError::Store(e))
    }
}

/// The HTTP client deliveries use: 10 s per attempt, no redirect
/// followed (a 3xx is a failed attempt: register the final https address).
pub fn client(loopback: bool) -> Result<reqwest::Client, DeliveryError> {
    reqwest::Client::builder()
        .dns_resolver(std::sync::Arc::new(PublicOnly { loopback }))
        .timeout(TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("panke-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| DeliveryError::Client(e.to_string()))
}

/// May a delivery connect to `ip`? Public addresses only — a name an
/// agency registered may resolve to the server's own network (SSRF) — and
/// this machine only where `[server] webhooks_to_loopback` allows.
fn allowed(ip: std::net::IpAddr, loopback: bool) -> bool {
    crate::store::webhooks::is_public(ip) || (loopback && ip.is_loopback())
}

/// Resolves host names and keeps only the addresses `allowed` lets a
/// delivery reach, so a name cannot point a webhook inside (checked where
/// the connection is made: a second answer of the DNS cannot slip by).
struct PublicOnly {
    loopback: bool,
}

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let loopback = self.loopback;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let kept: Vec<std::net::SocketAddr> = found.filter(|a| allowed(a.ip(), loopback)).collect();
            if kept.is_empty() {
                return Err("the host resolves only to private, loopback or reserved addresses".into());
            }
            Ok(Box::new(kept.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// What went wrong, without the address (the deepest cause: "Connection
/// refused", a TLS error…).
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "no answer within 10 s"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut cause = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    if cause.is_empty() { kind.to_owned() } else { format!("{kind}: {cause}") }
}

/// One attempt of one delivery, with the server's clock; what to record.
async fn attempt(
    state: &AppState,
    client: &reqwest::Client,
    d: &Delivery,
) -> (i64, DeliveryAttempt, NextStep, DateTime<Utc>) {
    let now = state.clock.now();
    if let Err(e) = check_webhook_url(&d.url) {
        // Allowed once, refused now: retrying would not change that.
        let refused = DeliveryAttempt { status: None, error: Some(format!("address refused: {e}")), duration_ms: 0 };
        return (d.outbox_id, refused, NextStep::GiveUp, now);
    }
    // A literal address is not resolved (the resolver never sees it):
    // check it here; `localhost` is this machine.
    let loopback = state.deployment.server.webhooks_to_loopback;
    let literal = reqwest::Url::parse(&d.url).ok().and_then(|u| {
        u.host_str().and_then(|h| h.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>().ok())
    });
    let inside = match literal {
        Some(ip) => !allowed(ip, loopback),
        None => points_at_this_machine(&d.url) && !loopback,
    };
    if inside {
        let refused = DeliveryAttempt {
            status: None,
            error: Some("address refused: a private or loopback address".to_owned()),
            duration_ms: 0,
        };
        return (d.outbox_id, refused, NextStep::GiveUp, now);
    }
    let started = std::time::Instant::now();
    let sent = client
        .post(d.url.as_str())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, signature_header(&d.secret, now.timestamp(), d.payload.as_bytes()))
        .header(EVENT_ID_HEADER, d.event_id.as_str())
        .header(EVENT_TYPE_HEADER, d.event_type.as_str())
        .body(d.payload.clone())
        .send()
        .await;
    let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let (status, error) = match sent {
        Ok(response) => {
            let code = response.status();
            let error = if code.is_success() {
                None
            } else if code.is_redirection() {
                Some(format!("HTTP {}: redirects are not followed; register the final https address", code.as_u16()))
            } else {
                Some(format!("HTTP {}", code.as_u16()))
            };
            (Some(code.as_u16()), error)
        }
        Err(e) => (None, Some(describe(&e))),
    };
    let next = match error {
        None => NextStep::Delivered,
        Some(_) => after_failure(d.created_unix, state.clock.now().timestamp(), d.attempts + 1),
    };
    (d.outbox_id, DeliveryAttempt { status, error, duration_ms }, next, now)
}

/// One round with `client`: takes the deliveries due by the server's clock
/// (one read; a write only when some are due, which leases them), posts
/// them concurrently, records every attempt in one write. Returns how many
/// were attempted.
pub async fn deliver_due_with(state: &AppState, client: &reqwest::Client) -> Result<usize, DeliveryError> {
    let now = state.clock.now().timestamp();
    let due = state.db.run(move |store| -> Result<bool, DeliveryError> { Ok(store.webhooks_due(now)?) }).await?;
    if !due {
        return Ok(0);
    }
    let claimed = state
        .db
        .write(move |store| -> Result<Vec<Delivery>, DeliveryError> { Ok(store.claim_due_deliveries(now, BATCH)?) })
        .await?;
    let attempts = futures_util::future::join_all(claimed.iter().map(|d| attempt(state, client, d))).await;
    let count = attempts.len();
    state
        .db
        .write(move |store| -> Result<(), DeliveryError> {
            for (outbox_id, result, next, at) in &attempts {
                store.record_delivery_attempt(*outbox_id, result, *next, *at)?;
            }
            Ok(())
        })
        .await?;
    Ok(count)
}

/// One round now, with a client of its own (the worker's loop keeps one;
/// tests call this to drive deliveries with their clock).
pub async fn deliver_due_now(state: &AppState) -> Result<usize, DeliveryError> {
    deliver_due_with(state, &client(state.deployment.server.webhooks_to_loopback)?).await
}

/// The delivery worker: soon after startup and then every few seconds,
/// a round of `deliver_due_with`. Runs until the runtime stops.
pub fn spawn_delivery_worker(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let client = match client(state.deployment.server.webhooks_to_loopback) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "webhook deliveries cannot start");
                return;
            }
        };
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            loop {
                match deliver_due_with(&state, &client).await {
                    Ok(n) if n >= BATCH as usize => continue,
                    Ok(_) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "webhook deliveries failed this round; retried on the next");
                        break;
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_machine_is_reached_only_where_the_deployment_allows_it() {
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        assert!(!allowed(ip("127.0.0.1"), false));
        assert!(allowed(ip("127.0.0.1"), true));
        assert!(!allowed(ip("10.0.0.1"), true), "a private network never");
        assert!(!allowed(ip("169.254.169.254"), true), "cloud metadata never");
        assert!(allowed(ip("8.8.8.8"), false));
    }

    const SECRET: &str = "5f1c0a9e3b7d2468ace013579bdf2468ace013579bdf2468ace013579bdf2468";

    #[test]
    fn a_signature_verifies_and_nothing_else_does() {
        let body = br#"{"id":"evt_x","type":"report.filed"}"#;
        let header = signature_header(SECRET, 1_800_000_000, body);
        assert!(header.starts_with("t=1800000000,v1="), "{header}");
        assert!(verify_signature(SECRET, &header, body, 1_800_000_100, 300));
        assert!(!verify_signature(SECRET, &header, b"{}", 1_800_000_100, 300), "another body");
        assert!(!verify_signature("other", &header, body, 1_800_000_100, 300), "another secret");
        assert!(!verify_signature(SECRET, &header, body, 1_800_000_400, 300), "too old");
        assert!(!verify_signature(SECRET, "v1=00", body, 1_800_000_000, 300), "no timestamp");
        let rotated = format!("t=1800000000,v1={},v1={}", "ab".repeat(32), sign(SECRET, 1_800_000_000, body));
        assert!(verify_signature(SECRET, &rotated, body, 1_800_000_000, 0), "any v1 may match");
        // The scheme, spelled out: HMAC-SHA256(secret, "<t>.<body>").
        let mut mac = <HmacSha256 as Mac>::new_from_slice(SECRET.as_bytes()).expect("any key length");
        mac.update(b"1800000000.");
        mac.update(body);
        assert_eq!(sign(SECRET, 1_800_000_000, body), data_encoding::HEXLOWER.encode(&mac.finalize().into_bytes()));
    }

    #[test]
    fn retries_back_off_and_end_after_24_hours() {
        assert_eq!(after_failure(0, 0, 1), NextStep::RetryAt(30));
        assert_eq!(after_failure(0, 30, 2), NextStep::RetryAt(150));
        assert_eq!(after_failure(0, 150, 3), NextStep::RetryAt(750));
        assert_eq!(retry_delay_secs(20), 4 * 3600);
        // Walk the schedule: every try within 24 h, the last on the 24th hour.
        let (mut at, mut failures, mut tries) = (0, 0, vec![0]);
        loop {
            failures += 1;
            match after_failure(0, at, failures) {
                NextStep::RetryAt(next) => {
                    assert!(next > at && next <= RETRY_FOR_SECS);
                    at = next;
                    tries.push(at);
                }
                NextStep::GiveUp => break,
                NextStep::Delivered => unreachable!(),
            }
        }
        assert_eq!(tries.last().copied(), Some(RETRY_FOR_SECS));
        assert!(tries.len() >= 10 && tries.len() <= 14, "{tries:?}");
    }
}
