//! Filing reports over HTTP on loopback: `cargo bench --bench http_reports`.
//!
//! 32 concurrent API clients each file a report (`POST /api/v1/reports`,
//! durable commit) and fetch its QR code (`GET …/qr.png`); one report =
//! both requests. Server and clients share this machine's cores, so the
//! figures are a floor for a server with the machine to itself.

use chrono::Utc;
use panke::clock::{Clock, SystemClock};
use panke::config::deployment::Deployment;
use panke::db::Db;
use panke::domain::phone::Phone;
use panke::secrets::Secrets;
use panke::store::Store;
use panke::web::{AppState, Application, limiter::Limiter};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const CLIENTS: usize = 32;
const REPORTS: usize = 6000;
const WARM_UP: usize = 300;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = dir.path().join("kiosk-config");
    std::fs::create_dir_all(cfg.join("projects")).expect("dir");
    std::fs::write(cfg.join("rules.toml"), include_str!("../kiosk-config/rules.toml")).expect("rules");
    std::fs::write(cfg.join("projects/bench.toml"), "[project]\nname = \"bench\"\n").expect("project");
    let deployment = Deployment::load(&cfg).expect("config");
    let now = Utc::now();
    let secrets = Secrets::load_or_create(&dir.path().join("data/secrets.json"), now).expect("secrets");
    let ledger_key = secrets.ledger_key().expect("key");
    let db_path = dir.path().join("data/panke.db");
    let store = Store::open(&db_path, &ledger_key).expect("store");
    store.sync_project("bench", "bench", "x", now).expect("project");
    let agency = store.create_agency("bench", None, now).expect("agency");
    store.create_agent(agency, "a", &Phone::parse("13500000000").expect("phone"), now).expect("agent");
    let key = store.create_api_key(agency, "bench", now).expect("key");
    let state = AppState {
        db: Db::open(&db_path, &ledger_key, 4).expect("db"),
        deployment: Arc::new(deployment),
        key_ring: Arc::new(secrets.key_ring().expect("ring")),
        clock: Arc::new(SystemClock) as Arc<dyn Clock>,
        limiter: Arc::new(Limiter::new(5, Duration::from_secs(900))),
        secure_cookies: false,
        demo: false,
    };
    let app = Application::build(state, "127.0.0.1:0").await.expect("bind");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until(std::future::pending()));

    let http = reqwest::Client::builder().pool_max_idle_per_host(CLIENTS).build().expect("client");
    let next = Arc::new(AtomicUsize::new(0));
    let total = WARM_UP + REPORTS;
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
                if i == WARM_UP {
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
                if i >= WARM_UP {
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
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!(
        "{} reports (file + QR PNG) by {CLIENTS} concurrent clients in {:.2} s",
        latencies.len(),
        elapsed.as_secs_f64()
    );
    println!("throughput: {:.0} reports/s", latencies.len() as f64 / elapsed.as_secs_f64());
    println!("latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms", ms(pct(0.50)), ms(pct(0.99)), ms(pct(1.0)));
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
