//! Filing reports over HTTP on loopback: `cargo bench --bench http_reports`.
//!
//! 32 concurrent API clients each file a report (`POST /api/v1/reports`,
//! durable commit) and fetch its QR code (`GET …/qr.png`); one report =
//! both requests. Server and clients share this machine's cores, so the
//! figures are a floor for a server with the machine to itself.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

const CLIENTS: usize = 32;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    let app = support::spawn().await;
    let key = app.store.create_api_key(app.agency, "bench", chrono::Utc::now()).expect("key");
    let base = app.base.clone();

    let (reports, warm_up) = (support::size(6000, 64), support::size(300, 8));
    let http = reqwest::Client::builder().pool_max_idle_per_host(CLIENTS).build().expect("client");
    let next = Arc::new(AtomicUsize::new(0));
    let total = warm_up + reports;
    let mut tasks = Vec::new();
    let started = Arc::new(std::sync::Mutex::new(None::<Instant>));
    for _ in 0..CLIENTS {
        let (http, base, key, next, started) = (http.clone(), base.clone(), key.clone(), next.clone(), started.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                if i == warm_up {
                    *started.lock().expect("lock") = Some(Instant::now());
                }
                let t0 = Instant::now();
                let body = serde_json::json!({
                    "project": "bench", "agent_phone": "13500000000", "customer_name": "王先生",
                    "customer_phone": format!("139{:08}", i),
                });
                let r = http
                    .post(format!("{base}/api/v1/reports"))
                    .bearer_auth(&key)
                    .json(&body)
                    .send()
                    .await
                    .expect("post");
                assert_eq!(r.status().as_u16(), 201);
                let report: serde_json::Value = r.json().await.expect("json");
                let png = http
                    .get(format!("{base}{}", report["qr_png"].as_str().expect("url")))
                    .bearer_auth(&key)
                    .send()
                    .await
                    .expect("get");
                assert_eq!(png.status().as_u16(), 200);
                png.bytes().await.expect("png");
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
    println!(
        "{} reports (file + QR PNG) by {CLIENTS} concurrent clients in {:.2} s",
        latencies.len(),
        elapsed.as_secs_f64()
    );
    println!("throughput: {:.0} reports/s", latencies.len() as f64 / elapsed.as_secs_f64());
    println!("latency p50 {p50:.1} ms, p99 {p99:.1} ms, max {max:.1} ms");
}
