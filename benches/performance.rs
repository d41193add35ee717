//! Channel performance (渠道业绩) of a month over a group's years of
//! records: `cargo bench --bench performance`.
//!
//! Size: `PANKE_BENCH_VISITS` visits (default 1,000,000; 20,000 under
//! `cargo test --benches`) with 1.3 reports per visit, a first read for each
//! visited report, and one deal per 20 visits (50,000), over 100 agencies
//! and three years; `PANKE_BENCH_RUNS` (default 20) timed runs.
//!
//! **The loader** writes the tables the figures read — `reports`,
//! `first_reads`, `visit_index`, `subscriptions`, `attributions` — straight
//! through one prepared statement each, 50,000 rows a transaction, into a
//! real `Store` (all migrations, the same pragmas). The ledger is not needed
//! for the figures (they read its indexes) and would take hours to build.
//!
//! Every figure stands beside a baseline of the same run: the same month on
//! a database a hundredth the size. The target (≤ 500 ms) is printed, never
//! asserted.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use panke::store::Store;
use panke::store::performance::local_days;
use rusqlite::params;
use std::time::Instant;

const PROJECT: &str = "bench";
const AGENCIES: i64 = 100;
const DAY: i64 = 86_400;
const BATCH: usize = 50_000;
const TARGET_MS: f64 = 500.0;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.replace('_', "").parse().ok()).unwrap_or(default)
}

mod support;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// A database of `visits` visits ending at `end` (unix), in `dir`.
fn build(dir: &std::path::Path, visits: usize, end: i64) -> Store {
    let store = Store::open(&dir.join("panke.db"), &[7u8; 32]).unwrap();
    let now: DateTime<Utc> = DateTime::from_timestamp(end, 0).unwrap();
    store.sync_project(PROJECT, "bench", "", now).unwrap();
    let conn = store.conn();
    conn.execute_batch("BEGIN").unwrap();
    for a in 1..=AGENCIES {
        conn.execute(
            "INSERT INTO agencies (id, name, created_at) VALUES (?1, ?2, '2024-01-01T00:00:00Z')",
            params![a, format!("渠道{a:03}")],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO agents (id, agency_id, name, phone, created_at) VALUES (?1, ?1, 'a', ?2, '2024-01-01T00:00:00Z')",
            params![a, format!("135{a:08}")],
        )
        .unwrap();
    }
    conn.execute_batch("COMMIT").unwrap();
    let span = 3 * 365 * DAY;
    let reports = visits * 13 / 10;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut visit_seq, mut deal_id) = (0i64, 0i64);
    let mut report = 0usize;
    while report < reports {
        conn.execute_batch("BEGIN").unwrap();
        let mut r_stmt = conn
            .prepare_cached(
                "INSERT INTO reports (id, project_id, agency_id, agent_id, customer_name, customer_phone, phone_head, phone_tail,
                 filed_at, filed_unix, status, key_id, manual_code) VALUES (?1, ?2, ?3, ?3, '王先生', ?4, ?5, ?6, ?7, ?8, ?9, 1, ?10)",
            )
            .unwrap();
        let mut f_stmt = conn
            .prepare_cached("INSERT INTO first_reads (report_id, project_id, at, at_unix) VALUES (?1, ?2, ?3, ?4)")
            .unwrap();
        let mut v_stmt = conn
            .prepare_cached(
                "INSERT INTO visit_index (seq, project_id, arrived_at, arrived_unix, agency, agent, verdict, reasons, off_hours,
                 sales, kiosk_id, customer_name, phone, phone_head, phone_tail) VALUES (?1, ?2, ?3, ?4, ?5, 'a', ?6, '', 0, '', 1, '王先生', ?7, ?8, ?9)",
            )
            .unwrap();
        let mut s_stmt = conn
            .prepare_cached(
                "INSERT INTO subscriptions (id, project_id, customer_name, phone, phone_head, phone_tail, unit, product, price_fen,
                 subscribed_at, subscribed_unix, source, dedup_key, created_at)
                 VALUES (?1, ?2, '王先生', ?3, ?4, ?5, ?6, 'residential', ?7, ?8, ?9, 'bench', ?10, ?8)",
            )
            .unwrap();
        let mut a_stmt = conn
            .prepare_cached(
                "INSERT INTO attributions (subscription_id, project_id, ledger_seq, channel_performance, agency, agency_id, visit_seq,
                 visit_at, reasons, subscribed_unix, price_fen, attributed_at) VALUES (?1, ?2, ?1, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?7)",
            )
            .unwrap();
        for _ in 0..BATCH.min(reports - report) {
            report += 1;
            // Ids follow filing time, as they do in use.
            let filed = end - span + (report as i64 * span) / reports as i64;
            let agency = 1 + rng.below(AGENCIES as u64) as i64;
            let phone = format!("13{:09}", rng.below(1_000_000_000));
            let stamp = |t: i64| DateTime::from_timestamp(t, 0).unwrap().to_rfc3339();
            let visited = (visit_seq as usize) < visits && rng.below(13) < 10;
            let status = if visited { "visited-valid" } else { "expired" };
            r_stmt
                .execute(params![
                    report as i64,
                    PROJECT,
                    agency,
                    phone,
                    &phone[..3],
                    &phone[7..],
                    stamp(filed),
                    filed,
                    status,
                    format!("M{report:09}")
                ])
                .unwrap();
            if !visited {
                continue;
            }
            let arrived = filed + 3600;
            f_stmt.execute(params![report as i64, PROJECT, stamp(arrived), arrived]).unwrap();
            visit_seq += 1;
            let valid = rng.below(10) < 8;
            v_stmt
                .execute(params![
                    visit_seq,
                    PROJECT,
                    stamp(arrived),
                    arrived,
                    format!("渠道{agency:03}"),
                    if valid { "valid" } else { "invalid" },
                    phone,
                    &phone[..3],
                    &phone[7..]
                ])
                .unwrap();
            if valid && visit_seq % 16 == 0 {
                deal_id += 1;
                let at = arrived + 5 * DAY;
                let price = 100_000_000 + rng.below(300_000_000) as i64; // fen: ¥1–4 million
                s_stmt
                    .execute(params![
                        deal_id,
                        PROJECT,
                        phone,
                        &phone[..3],
                        &phone[7..],
                        format!("{deal_id}-1201"),
                        price,
                        stamp(at),
                        at,
                        format!("bench-{deal_id}")
                    ])
                    .unwrap();
                let performance = rng.below(10) < 9;
                a_stmt
                    .execute(params![
                        deal_id,
                        PROJECT,
                        performance,
                        format!("渠道{agency:03}"),
                        agency,
                        visit_seq,
                        stamp(arrived),
                        if performance { "" } else { "EMPLOYEE" },
                        at,
                        price
                    ])
                    .unwrap();
            }
        }
        drop((r_stmt, f_stmt, v_stmt, s_stmt, a_stmt));
        conn.execute_batch("COMMIT").unwrap();
    }
    conn.execute_batch("ANALYZE").unwrap();
    store
}

fn median_ms(store: &Store, days: &[panke::store::performance::Day], runs: usize) -> (f64, f64, usize) {
    let mut times = Vec::with_capacity(runs);
    let mut rows = 0;
    for _ in 0..runs + 2 {
        let start = Instant::now();
        let p = store.channel_performance(PROJECT, days, None).unwrap();
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        rows = p.rows.len();
    }
    let mut timed = times.split_off(2);
    timed.sort_by(f64::total_cmp);
    (timed[timed.len() / 2], timed[(timed.len() * 95 / 100).min(timed.len() - 1)], rows)
}

fn main() {
    let visits = env_usize("PANKE_BENCH_VISITS", support::size(1_000_000, 20_000));
    let runs = env_usize("PANKE_BENCH_RUNS", support::size(20, 3));
    let end = DateTime::parse_from_rfc3339("2026-11-18T00:00:00+08:00").unwrap().timestamp();
    let tz = chrono_tz::Asia::Shanghai;
    // The last whole local month of the data.
    let month_end = DateTime::from_timestamp(end - DAY, 0).unwrap().with_timezone(&tz).date_naive();
    let from = NaiveDate::from_ymd_opt(month_end.year(), month_end.month(), 1).unwrap() - chrono::Months::new(1);
    let to = from + chrono::Months::new(1) - chrono::Days::new(1);
    let days = local_days(tz, from, to);

    println!("panke channel performance benchmark: {from} – {to}, {AGENCIES} agencies");
    let big_dir = tempfile::tempdir().unwrap();
    let small_dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let big = build(big_dir.path(), visits, end);
    let load_s = started.elapsed().as_secs_f64();
    let small = build(small_dir.path(), (visits / 100).max(1_000), end);
    let count = |s: &Store, t: &str| -> i64 {
        s.conn().query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0)).unwrap()
    };
    println!(
        "big: {} reports, {} visits, {} deals (loaded in {load_s:.1} s); baseline: {} visits",
        count(&big, "reports"),
        count(&big, "visit_index"),
        count(&big, "subscriptions"),
        count(&small, "visit_index")
    );
    let (small_med, small_p95, _) = median_ms(&small, &days, runs);
    let (big_med, big_p95, rows) = median_ms(&big, &days, runs);
    let verdict = if big_med <= TARGET_MS { "ok" } else { "OVER" };
    println!(
        "a month's channel performance ({rows} agencies): median {big_med:.1} ms, p95 {big_p95:.1} ms \
         (baseline, 1/100 the records: {small_med:.1} ms, p95 {small_p95:.1} ms; ratio {:.1}) [≤ {TARGET_MS} ms: {verdict}]",
        big_med / small_med.max(0.001)
    );
}
