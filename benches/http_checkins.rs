//! Complete check-ins over HTTP on loopback: `cargo bench --bench http_checkins`.
//!
//! 32 paired kiosks, each with a signed-in clerk, post check-ins: token
//! check, the customer's records, judge, three signatures as the kiosk
//! sends them (realistic strokes, ~240 points each, in the stored PK1 form,
//! checked for ink), durable ledger append — answered only after the commit.
//! Clients and server share this machine's cores.
//!
//! The baseline, measured in the same run on the same disk: bare rusqlite
//! inserting the same rows, one durable transaction per check-in
//! (`support::BareInsert`), before and after the HTTP phases.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod support;

use panke::domain::name::CustomerName;
use panke::domain::phone::CustomerPhone;
use panke::store::reports::NewReport;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

const KIOSKS: usize = 32;
/// The open-loop phase offers check-ins at this rate, spread over the kiosks.
const OFFERED_PER_SEC: usize = 500;

/// One check-in from a kiosk (device and clerk cookies); it must be valid.
async fn post_checkin(http: &reqwest::Client, base: &str, cookie: &str, csrf: &str, body: String) {
    let r = http
        .post(format!("{base}/kiosk/checkins"))
        .header("cookie", cookie)
        .header("x-csrf-token", csrf)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap_or_default());
    let v: serde_json::Value = r.json().await.expect("json");
    assert_eq!(v["verdict"], "valid");
}

/// The baseline's rate: a fresh bare database beside panke's, with a real
/// panke record's body (the first one, once there is one).
fn bare_rate(app: &support::BenchApp, n: usize) -> f64 {
    let dir = tempfile::tempdir_in(app.dir.config_dir()).expect("dir");
    let body = app.store.ledger_row(1).map(|r| r.body).unwrap_or_else(|_| "{}".repeat(950));
    support::BareInsert::new(dir.path(), body, n + 1).rate(n)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    let mut app = support::spawn().await;
    let now = chrono::Utc::now();
    let (checkins, warm_up, offered) = (support::size(3000, 64), support::size(200, 8), support::size(2500, 40));
    let saturation = warm_up + checkins;
    let total = saturation + offered;
    // Reports filed an hour ago, so every check-in is on time.
    let filed = (now - chrono::Duration::hours(1)).fixed_offset();
    let mut rng = rand::rngs::OsRng;
    let tokens: Vec<String> = (0..total)
        .map(|i| {
            let new = NewReport {
                project_id: "bench".into(),
                agent_id: app.agent,
                customer_name: CustomerName::parse("王先生").expect("name"),
                customer_phone: CustomerPhone::parse(&format!("139{i:08}"), true).expect("phone"),
                expected_arrival: None,
                party_size: None,
                note: None,
                idempotency_key: None,
                demo: false,
            };
            let r = app
                .store
                .file_report(new, app.key_ring.signing_key(), filed, || rand::RngCore::next_u64(&mut rng))
                .expect("report");
            app.key_ring.sign_with(r.key_id, r.id, r.filed_at.to_utc()).expect("token")
        })
        .collect();
    // 32 paired kiosks, each with its clerk signed in.
    let kiosks = support::signed_in_kiosks(&app.store, KIOSKS, 3600, now);
    let signatures: Vec<serde_json::Value> = ["customer", "agent", "sales"]
        .iter()
        .zip(1u64..)
        .map(|(s, seed)| {
            // As the kiosk sends it: the strokes in the stored PK1 form.
            let pen = data_encoding::BASE64.encode(panke::demo::signature_pen(seed).expect("pen").bytes());
            serde_json::json!({ "signer": s, "pen": pen })
        })
        .collect();
    let tail = serde_json::json!({
        "agent_present": true, "badge_seen": true, "first_visit": true, "contacted_before": false,
        "customer_confirms_agent": true, "signatures": signatures,
    })
    .to_string();
    let template = Arc::new((
        "{\"customer_name\":\"王小明\",\"code\":\"".to_owned(),
        "\",\"customer_phone\":\"".to_owned(),
        format!("\",{}", &tail[1..]),
    ));
    let tokens = Arc::new(tokens);
    let bare_before = bare_rate(&app, support::size(1000, 20));
    let http = reqwest::Client::builder().pool_max_idle_per_host(KIOSKS).build().expect("client");
    let next = Arc::new(AtomicUsize::new(0));
    let started = Arc::new(std::sync::Mutex::new(None::<Instant>));
    let mut tasks = Vec::new();
    let cookies = kiosks.clone();
    for (cookie, csrf) in kiosks {
        let (http, base, next, started, tokens, template) =
            (http.clone(), app.base.clone(), next.clone(), started.clone(), tokens.clone(), template.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= saturation {
                    break;
                }
                if i == warm_up {
                    *started.lock().expect("lock") = Some(Instant::now());
                }
                // Only the code and phone change: splice them into the
                // pre-serialised body instead of re-encoding 88 KB of JSON.
                let body = format!("{}{}{}139{i:08}{}", template.0, tokens[i], template.1, template.2);
                let t0 = Instant::now();
                post_checkin(&http, &base, &cookie, &csrf, body).await;
                if i >= warm_up {
                    latencies.push(t0.elapsed());
                }
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.expect("task"));
    }
    let elapsed = started.lock().expect("lock").map(|s| s.elapsed()).unwrap_or_default();
    let (p50, p99, max) = support::percentiles(&mut latencies);
    let saturation_rate = latencies.len() as f64 / elapsed.as_secs_f64();
    println!(
        "request body: {} bytes (three signatures' strokes, PK1 in base64)",
        template.0.len() + template.1.len() + template.2.len() + 40
    );
    println!("saturation (closed loop, each of {KIOSKS} kiosks posts again as soon as answered):");
    println!(
        "  {} check-ins in {:.2} s: {:.0} check-ins/s",
        latencies.len(),
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64()
    );
    println!("  latency p50 {p50:.1} ms, p99 {p99:.1} ms, max {max:.1} ms");

    // Open loop: check-ins arrive at OFFERED_PER_SEC whatever the answers,
    // round-robin over the kiosks; latency counts from each scheduled send.
    let interval = std::time::Duration::from_secs_f64(1.0 / OFFERED_PER_SEC as f64);
    let start = Instant::now() + std::time::Duration::from_millis(50);
    let mut handles = Vec::new();
    for n in 0..offered {
        let i = saturation + n;
        let (cookie, csrf) = cookies[n % KIOSKS].clone();
        let (http, base, tokens, template) = (http.clone(), app.base.clone(), tokens.clone(), template.clone());
        let due = start + interval * n as u32;
        handles.push(tokio::spawn(async move {
            tokio::time::sleep_until(due.into()).await;
            let body = format!("{}{}{}139{i:08}{}", template.0, tokens[i], template.1, template.2);
            post_checkin(&http, &base, &cookie, &csrf, body).await;
            due.elapsed()
        }));
    }
    let mut open = Vec::new();
    for h in handles {
        open.push(h.await.expect("task"));
    }
    let took = start.elapsed();
    let (p50, p99, max) = support::percentiles(&mut open);
    println!("offered load (open loop, {OFFERED_PER_SEC} check-ins/s over {KIOSKS} kiosks):");
    println!(
        "  {} check-ins in {:.2} s: {:.0} check-ins/s served",
        open.len(),
        took.as_secs_f64(),
        open.len() as f64 / took.as_secs_f64()
    );
    println!("  latency p50 {p50:.1} ms, p99 {p99:.1} ms, max {max:.1} ms");
    assert_eq!(app.store.verify_ledger().expect("verify"), Ok(total as i64));
    let bare_after = bare_rate(&app, support::size(1000, 20));
    let bare = (bare_before + bare_after) / 2.0;
    println!("baseline: bare rusqlite, the same rows, one durable transaction per check-in:");
    println!(
        "  {bare:.0} inserts/s ({bare_before:.0} before the HTTP phases, {bare_after:.0} after; {:.2} ms each)",
        1000.0 / bare
    );
    println!("ratio HTTP check-ins at saturation / bare insert: {:.2}", saturation_rate / bare);
    let _ = &mut app;
}
