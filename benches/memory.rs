//! Memory of a running panke: `cargo bench --bench memory`.
//!
//! Starts `panke serve` as its own process (so its resident memory is its
//! own, not the load generator's) on a loopback port with a fresh
//! database, reads its RSS from `/proc/<pid>/status` once it is idle, then
//! drives a bounded mixed load for `PANKE_MEMORY_MINUTES` (default 10; a
//! few seconds under `cargo test --benches`): every 100 ms a kiosk check-in
//! (three signatures as strokes), an agency filing through the API, the
//! agency's report list, and the back office's first page of visits — ten
//! of each a second. RSS is sampled every 10 s; at the end it is read again
//! idle, and a least-squares line over the second half of the samples gives
//! the trend (KB per minute). `PANKE_MEMORY_MINUTES=30` is the soak.
//!
//! Targets (printed, never asserted): idle RSS after start and after the
//! load ≤ 40 MB; no growth trend.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod support;

use panke::domain::name::CustomerName;
use panke::domain::phone::{CustomerPhone, Phone};
use panke::store::people::{NewStaff, Role};
use panke::store::reports::NewReport;
use panke::store::sessions::SessionKind;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const KIOSKS: usize = 8;
const TICK: Duration = Duration::from_millis(100);

fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Least-squares slope of (minute, KB) points, in KB per minute.
fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    if n < 2.0 {
        return 0.0;
    }
    let (mx, my) = (points.iter().map(|p| p.0).sum::<f64>() / n, points.iter().map(|p| p.1).sum::<f64>() / n);
    let num: f64 = points.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
    let den: f64 = points.iter().map(|(x, _)| (x - mx) * (x - mx)).sum();
    if den == 0.0 { 0.0 } else { num / den }
}

fn main() {
    let minutes: f64 = if support::full_run() {
        std::env::var("PANKE_MEMORY_MINUTES").ok().and_then(|m| m.parse().ok()).unwrap_or(10.0)
    } else {
        0.1
    };
    let dep = support::deployment::TestDeployment::new(&[("bench", "[project]\nname = \"bench\"\n")]);
    let now = chrono::Utc::now();
    let ctx = dep.context(now);
    let mut store = ctx.open_store(now).unwrap();
    let key_ring = ctx.secrets.key_ring().unwrap();
    let agency = store.create_agency("bench", None, now).unwrap();
    let agent_phone = "13500000000";
    let (agent, _) = store.create_agent(agency, "a", &Phone::parse(agent_phone).unwrap(), now).unwrap();
    let api_key = store.create_api_key(agency, "memory bench", now).unwrap();
    // Reports to check in, filed an hour before the load (so on time).
    let ticks = (minutes * 60.0 / TICK.as_secs_f64()).ceil() as usize;
    let filed = (now - chrono::Duration::hours(1)).fixed_offset();
    let mut rng = rand::rngs::OsRng;
    let tokens: Vec<(String, String)> = (0..ticks)
        .map(|i| {
            let phone = format!("139{i:08}");
            let new = NewReport {
                project_id: "bench".into(),
                agent_id: agent,
                customer_name: CustomerName::parse("王先生").unwrap(),
                customer_phone: CustomerPhone::parse(&phone, true).unwrap(),
                expected_arrival: None,
                party_size: None,
                note: None,
                idempotency_key: None,
                demo: false,
            };
            let r =
                store.file_report(new, key_ring.signing_key(), filed, || rand::RngCore::next_u64(&mut rng)).unwrap();
            (key_ring.sign_with(r.key_id, r.id, r.filed_at.to_utc()).unwrap(), phone)
        })
        .collect();
    let kiosks = support::signed_in_kiosks(&store, KIOSKS, 86_400, now);
    let manager = NewStaff {
        project_id: Some("bench"),
        login: "boss",
        name: "经理",
        role: Role::Manager,
        password: Some("a long password"),
        pin: None,
    };
    let manager = store.create_staff(&manager, now).unwrap();
    let manager_cookie =
        format!("pk_staff={}", store.create_session(SessionKind::Staff, manager, 86_400, now).unwrap());
    drop(store);

    let mut child = Command::new(env!("CARGO_BIN_EXE_panke"))
        .arg("--config")
        .arg(dep.config_dir())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| {
            l.split("panke is serving on ").nth(1).and_then(|r| r.split_whitespace().next()).map(str::to_owned)
        })
        .expect("panke serves");
    std::thread::spawn(move || lines.for_each(drop));
    std::thread::sleep(Duration::from_secs(2));
    let idle_start = rss_kb(pid);

    let pens: Vec<String> =
        (1..=3).map(|s| data_encoding::BASE64.encode(panke::demo::signature_pen(s).unwrap().bytes())).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let samples = runtime.block_on(async {
        let http = reqwest::Client::new();
        let started = Instant::now();
        let mut samples: Vec<(f64, u64)> = vec![(0.0, idle_start)];
        let mut next_sample = started + Duration::from_secs(10);
        let mut tick = tokio::time::interval(TICK);
        for (i, (token, phone)) in tokens.iter().enumerate() {
            tick.tick().await;
            let (cookie, csrf) = &kiosks[i % KIOSKS];
            let signatures: Vec<serde_json::Value> = ["customer", "agent", "sales"]
                .iter()
                .zip(&pens)
                .map(|(s, pen)| serde_json::json!({ "signer": s, "pen": pen }))
                .collect();
            let body = serde_json::json!({
                "code": token, "customer_name": "王小明", "customer_phone": phone,
                "agent_present": true, "badge_seen": true, "first_visit": true, "contacted_before": false,
                "customer_confirms_agent": true, "signatures": signatures,
            });
            let checkin = http
                .post(format!("{base}/kiosk/checkins"))
                .header("cookie", cookie)
                .header("x-csrf-token", csrf)
                .json(&body)
                .send();
            let filing = http.post(format!("{base}/api/v1/reports")).bearer_auth(&api_key).json(&serde_json::json!({
                "project": "bench", "agent_phone": agent_phone, "customer_name": "李女士",
                "customer_phone": format!("137{i:08}"),
            }));
            let list = http.get(format!("{base}/api/v1/reports")).bearer_auth(&api_key).send();
            let page = http.get(format!("{base}/staff/visits")).header("cookie", &manager_cookie).send();
            let (c, f, l, p) = tokio::join!(checkin, filing.send(), list, page);
            for (what, r) in [("check-in", c), ("filing", f), ("list", l), ("page", p)] {
                let r = r.unwrap();
                assert!(r.status().is_success(), "{what}: {} {}", r.status(), r.text().await.unwrap_or_default());
                let _ = r.bytes().await;
            }
            if Instant::now() >= next_sample {
                samples.push((started.elapsed().as_secs_f64() / 60.0, rss_kb(pid)));
                next_sample += Duration::from_secs(10);
            }
        }
        samples
    });
    std::thread::sleep(Duration::from_secs(5));
    let idle_after = rss_kb(pid);
    let _ = child.kill();
    let _ = child.wait();

    let peak = samples.iter().map(|s| s.1).max().unwrap_or(0);
    let second_half: Vec<(f64, f64)> = samples[samples.len() / 2..].iter().map(|(t, kb)| (*t, *kb as f64)).collect();
    let trend = slope(&second_half);
    let ok = |good: bool| if good { "ok" } else { "OVER" };
    println!(
        "mixed load: {} ticks of 100 ms over {minutes} min (check-in, API filing, API list, back office page)",
        ticks
    );
    println!("RSS idle after start:   {:6.1} MB [{} ≤ 40 MB]", idle_start as f64 / 1024.0, ok(idle_start <= 40 * 1024));
    println!("RSS during load, peak:  {:6.1} MB", peak as f64 / 1024.0);
    println!("RSS idle after load:    {:6.1} MB [{} ≤ 40 MB]", idle_after as f64 / 1024.0, ok(idle_after <= 40 * 1024));
    println!(
        "trend over the second half ({} samples): {trend:+.1} KB/min ({:+.2} MB per hour)",
        second_half.len(),
        trend * 60.0 / 1024.0
    );
    let series: Vec<String> = samples.iter().map(|(t, kb)| format!("{t:.1}m {:.1}", *kb as f64 / 1024.0)).collect();
    println!("samples (minute, MB): {}", series.join(", "));
}
