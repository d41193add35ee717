//! Sign-in under attack, measured in its own process: 200 concurrent wrong
//! passwords for one agent from one address. At most the attempts the
//! limiter allows are checked with argon2 (19 MiB each), the rest are
//! refused at once (429, or 503 while the argon2 slots are taken), and the
//! process's peak memory grows by less than 100 MB. Bounded and on
//! loopback; no timing is asserted.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

#[path = "support/mod.rs"]
mod support;

use panke::clock::{Clock, FixedClock};
use panke::domain::phone::Phone;
use panke::web::{AppState, Application, StateOptions};
use std::sync::Arc;

/// The process's peak resident memory (VmHWM), in kB.
fn peak_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn csrf_of(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
    page[at..].split('"').next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_wrong_passwords_check_at_most_the_allowed_attempts() {
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-18T10:00:00+08:00").unwrap().to_utc();
    let dep = support::TestDeployment::demo_and_other();
    let ctx = dep.context(now);
    let store = ctx.open_store(now).unwrap();
    let agency = store.create_agency("链家-天河店", None, now).unwrap();
    let (_, invite) = store.create_agent(agency, "张三", &Phone::parse("13800000001").unwrap(), now).unwrap();
    store.accept_invite(&invite, "correct horse battery", now).unwrap();
    let clock: Arc<dyn Clock> = Arc::new(FixedClock::new(now));
    let state = AppState::from_context(ctx, clock, StateOptions { readers: 2, demo: false }).unwrap();
    let limiter = state.limiter.clone();
    let app = Application::build(state, "127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until(std::future::pending()));

    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let page = client.get(format!("{base}/agent/login")).send().await.unwrap().text().await.unwrap();
    let csrf = csrf_of(&page);
    let before = peak_kb();
    let checked_before = limiter.secrets_checked();
    let attempts = (0..200).map(|i| {
        let (client, base, csrf) = (client.clone(), base.clone(), csrf.clone());
        tokio::spawn(async move {
            let form = [("csrf", csrf.as_str()), ("phone", "13800000001"), ("password", &format!("wrong {i}"))];
            client.post(format!("{base}/agent/login")).form(&form).send().await.map(|r| r.status().as_u16())
        })
    });
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for a in attempts.collect::<Vec<_>>() {
        let status = a.await.unwrap().unwrap();
        *statuses.entry(status).or_default() += 1;
    }
    let checked = limiter.secrets_checked() - checked_before;
    let growth_mb = (peak_kb().saturating_sub(before)) / 1024;
    println!("statuses {statuses:?}, argon2 checks {checked}, peak memory growth {growth_mb} MB");
    let allowed = u64::from(panke::web::limiter::PER_ACCOUNT.0);
    assert!(checked <= allowed, "{checked} passwords checked, {allowed} allowed");
    assert!(checked >= 1, "some attempts are checked");
    assert_eq!(statuses.get(&401).copied().unwrap_or(0) as u64, checked, "every check was a wrong password");
    assert!(statuses.keys().all(|s| [401, 429, 503].contains(s)), "{statuses:?}");
    assert!(growth_mb < 100, "peak memory grew by {growth_mb} MB");
}

/// The audit's M4: a client that opens a connection and sends nothing (or
/// trickles its headers) is cut off after the header timeout, instead of
/// holding a file descriptor forever.
#[tokio::test]
async fn an_idle_or_slow_connection_is_closed_after_the_header_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-18T10:00:00+08:00").unwrap().to_utc();
    let dep = support::TestDeployment::demo_and_other();
    let ctx = dep.context(now);
    ctx.open_store(now).unwrap();
    let clock: Arc<dyn Clock> = Arc::new(FixedClock::new(now));
    let state = AppState::from_context(ctx, clock, StateOptions { readers: 1, demo: false }).unwrap();
    let limits = panke::web::ServeLimits {
        header_read: std::time::Duration::from_millis(500),
        ..panke::web::ServeLimits::default()
    };
    let app = Application::build_with(state, "127.0.0.1:0", limits).await.unwrap();
    let addr = format!("127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until(std::future::pending()));
    // Silent.
    let mut idle = tokio::net::TcpStream::connect(&addr).await.unwrap();
    // Slow: half a request line, then nothing more.
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    for stream in [&mut idle, &mut slow] {
        let mut buf = Vec::new();
        // The server closes it: read returns (EOF or a 408) well before
        // this test's own 10 s guard.
        let read = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read_to_end(&mut buf)).await;
        assert!(read.is_ok(), "the connection was left open");
    }
    // And a normal request still works.
    let ok = reqwest::get(format!("http://{addr}/health")).await.unwrap();
    assert_eq!(ok.status().as_u16(), 200);
}
