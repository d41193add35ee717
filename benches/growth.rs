//! A group's ten years on one machine: `cargo bench --bench growth`.
//!
//! Builds a group's database — by default 200 projects, 1,000,000 visits,
//! 5,000,000 history rows and 2,000,000 reports (`PANKE_GROWTH_SCALE=0.1`
//! builds a tenth; `cargo test --benches` a smoke size) — and measures on it,
//! beside the same measurements on an empty database in the same run:
//! check-in and filing p50/p99 (each durable, one at a time), the back
//! office's first page of visits, a month's channel performance, `verify`
//! (records/s) and `verify --since-checkpoint` after a day's records.
//! `PANKE_GROWTH_DIR` is where the databases are made (default: the system's
//! temporary folder; the full size needs ~10 GB).
//!
//! **The loader** uses the real write paths: `Store::file_report` and
//! `Store::record_checkin` (judging, ledger, signatures as strokes, Merkle
//! log, history, indexes) and `Store::import_history` (CSV). What it changes
//! is only the grouping: like the service's writer thread it runs them in
//! one outer transaction per 2,000 visits (savepoints inside), so the load
//! is not one fsync per row. Times advance through ten years; every visit's
//! report is filed an hour before it; as many reports again are filed and
//! never visited; 50 agencies of 10 agents serve all projects; three
//! different hands sign every visit.
//!
//! Figures are printed (with ok / OVER against the targets), never
//! asserted: a noisy machine must not fail CI.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod support;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use panke::domain::name::CustomerName;
use panke::domain::phone::{CustomerPhone, Phone};
use panke::domain::rules::Rules;
use panke::domain::signature::StatementFacts;
use panke::domain::token::KeyId;
use panke::store::Store;
use panke::store::checkin::CheckInRequest;
use panke::store::history::HistoryImport;
use panke::store::reports::{NewReport, StoredReport};
use panke::store::visits::VisitFilter;
use panke::wire::record::DeskAnswers;
use std::path::Path;
use std::time::Instant;

const KEY: [u8; 32] = [7u8; 32];
const AGENCIES: usize = 50;
const AGENTS_PER_AGENCY: usize = 10;
/// Visits per outer transaction while loading.
const BATCH: usize = 2_000;
/// Measured operations on each database.
const SAMPLES: usize = 200;

struct Sizes {
    projects: usize,
    visits: usize,
    history: usize,
    reports: usize,
}

fn sizes() -> Sizes {
    let scale: f64 = std::env::var("PANKE_GROWTH_SCALE").ok().and_then(|s| s.parse().ok()).unwrap_or(1.0);
    if !support::full_run() {
        return Sizes { projects: 2, visits: 300, history: 1_000, reports: 600 };
    }
    let n = |full: f64| ((full * scale).round() as usize).max(1);
    Sizes { projects: n(200.0).min(200), visits: n(1_000_000.0), history: n(5_000_000.0), reports: n(2_000_000.0) }
}

fn project_id(p: usize) -> String {
    format!("p{p:03}")
}

/// A customer's phone, unique per `n`.
fn phone(n: usize) -> Phone {
    Phone::parse(&format!("1{}{:09}", 3 + n % 7, n % 1_000_000_000)).unwrap()
}

struct Group {
    store: Store,
    rules: Rules,
    agents: Vec<i64>,
    projects: usize,
    seed: u64,
    next_phone: usize,
}

impl Group {
    fn open(dir: &Path, name: &str, projects: usize, now: DateTime<Utc>) -> Group {
        let store = Store::open(&dir.join(name), &KEY).unwrap();
        for p in 0..projects {
            store.sync_project(&project_id(p), &format!("项目{p}"), "x", now).unwrap();
        }
        let mut agents = Vec::new();
        for a in 0..AGENCIES {
            let agency = store.create_agency(&format!("渠道{a:02}"), None, now).unwrap();
            for k in 0..AGENTS_PER_AGENCY {
                let n = a * AGENTS_PER_AGENCY + k;
                agents.push(store.create_agent(agency, &format!("经纪人{n}"), &phone(900_000_000 + n), now).unwrap().0);
            }
        }
        Group { store, rules: Rules::default(), agents, projects, seed: 1, next_phone: 0 }
    }

    fn file(&mut self, project: &str, customer: Phone, at: DateTime<Utc>) -> StoredReport {
        let agent = self.agents[self.next_phone % self.agents.len()];
        let seed = &mut self.seed;
        self.store
            .file_report(
                NewReport {
                    project_id: project.into(),
                    agent_id: agent,
                    customer_name: CustomerName::parse("王先生").unwrap(),
                    customer_phone: CustomerPhone::Full(customer),
                    expected_arrival: None,
                    party_size: None,
                    note: None,
                    idempotency_key: None,
                    demo: false,
                },
                KeyId(1),
                at.fixed_offset(),
                || {
                    *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    *seed
                },
            )
            .unwrap()
    }

    fn check_in(&mut self, project: &str, report: &StoredReport, customer: Phone, at: DateTime<Utc>, hand: u64) {
        let facts = StatementFacts {
            project,
            agency: &report.agency_name,
            agent: &report.agent_name,
            reported_name: "王先生",
            arrived_name: "王小明",
            arrival: "2026-11-18 10:45",
        };
        let name = CustomerName::parse("王小明").unwrap();
        let signatures = panke::demo::signatures(hand, &facts).unwrap();
        let req = CheckInRequest {
            answers: DeskAnswers { first_visit: Some(true), contacted_before: Some(false), badge_seen: true },
            ..CheckInRequest::accompanied(project, Some(report.id), name, customer, signatures)
        };
        self.store.record_checkin(req, &self.rules, at).unwrap();
    }

    /// One report filed an hour before and its visit, at `at`.
    fn visit(&mut self, at: DateTime<Utc>) {
        let (n, project) = (self.next_phone, project_id(self.next_phone % self.projects));
        self.next_phone += 1;
        let customer = phone(n);
        let report = self.file(&project, customer, at - Duration::hours(1));
        self.check_in(&project, &report, customer, at, n as u64 * 3 % 997);
    }

    fn in_batches(&mut self, n: usize, mut each: impl FnMut(&mut Group, usize)) {
        for start in (0..n).step_by(BATCH) {
            self.store.conn().execute_batch("BEGIN IMMEDIATE").unwrap();
            for i in start..(start + BATCH).min(n) {
                each(self, i);
            }
            self.store.conn().execute_batch("COMMIT").unwrap();
            self.store.outer_finished(true);
        }
    }

    fn size_on_disk(&self) -> u64 {
        let conn = self.store.conn();
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").unwrap();
        let pages: i64 = conn.pragma_query_value(None, "page_count", |r| r.get(0)).unwrap();
        let page: i64 = conn.pragma_query_value(None, "page_size", |r| r.get(0)).unwrap();
        (pages * page) as u64
    }
}

/// Ten years ending 2026-11-18, in `n` even steps.
fn instant(i: usize, n: usize) -> DateTime<Utc> {
    let start = DateTime::parse_from_rfc3339("2016-11-18T10:00:00+08:00").unwrap().to_utc();
    start + Duration::seconds((i as f64 * (3650.0 * 86400.0) / n.max(1) as f64) as i64)
}

fn load(group: &mut Group, s: &Sizes) {
    let started = Instant::now();
    let visits = s.visits;
    group.in_batches(visits, |g, i| g.visit(instant(i, visits)));
    let after_visits = started.elapsed().as_secs_f64();
    let unvisited = s.reports.saturating_sub(visits);
    group.in_batches(unvisited, |g, i| {
        let (n, project) = (g.next_phone, project_id(i % g.projects));
        g.next_phone += 1;
        g.file(&project, phone(n), instant(i, unvisited));
    });
    let after_reports = started.elapsed().as_secs_f64();
    let per_project = s.history / s.projects;
    let tz = group.rules.timezone;
    for p in 0..s.projects {
        let mut csv = String::from("time,name,phone,source\n");
        for k in 0..per_project {
            let at = instant(k, per_project).with_timezone(&tz);
            let n = 500_000_000 + p * per_project + k;
            csv.push_str(&format!("{},张女士,{},来访登记\n", at.format("%Y-%m-%d %H:%M"), phone(n).as_str()));
        }
        let job = HistoryImport { project_id: &project_id(p), tz, default_source: "来访登记", actor: "bench" };
        group.store.import_history(&job, csv.as_bytes(), Utc::now(), |_| {}).unwrap();
    }
    let done = started.elapsed().as_secs_f64();
    println!(
        "loaded in {done:.0} s: {visits} visits in {after_visits:.0} s ({:.0}/s), {unvisited} more reports in {:.0} s, {} history rows in {:.0} s",
        visits as f64 / after_visits,
        after_reports - after_visits,
        per_project * s.projects,
        done - after_reports
    );
}

fn millis(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

struct Figures {
    checkin: (f64, f64),
    filing: (f64, f64),
    first_page: f64,
    month: f64,
    verify_per_sec: f64,
    verify_since: f64,
    since_walked: i64,
}

fn measure(group: &mut Group, last: DateTime<Utc>) -> Figures {
    // A full verify, which also keeps the checkpoint the incremental one starts from.
    let records = group.store.ledger_len().unwrap();
    let t0 = Instant::now();
    assert_eq!(group.store.verify_ledger().unwrap(), Ok(records));
    let verify_per_sec = records as f64 / t0.elapsed().as_secs_f64().max(1e-9);
    group.store.remember_verified(records as u64, last).unwrap();

    // The next day: check-ins and filings, each durable on its own.
    let (mut filing, mut checkin) = (Vec::new(), Vec::new());
    for i in 0..SAMPLES {
        let at = last + Duration::hours(2) + Duration::minutes(i as i64);
        let (n, project) = (group.next_phone, project_id(i % group.projects));
        group.next_phone += 1;
        let customer = phone(n);
        let t0 = Instant::now();
        let report = group.file(&project, customer, at - Duration::hours(1));
        filing.push(t0.elapsed());
        let t0 = Instant::now();
        group.check_in(&project, &report, customer, at, i as u64);
        checkin.push(t0.elapsed());
    }
    let (f50, f99, _) = support::percentiles(&mut filing);
    let (c50, c99, _) = support::percentiles(&mut checkin);

    // The back office: the first page of a project's visits, and a month
    // of its channel performance (the last month of the ten years).
    let filter = VisitFilter { project: Some(project_id(0)), ..VisitFilter::default() };
    let mut pages = Vec::new();
    for _ in 0..20 {
        let t0 = Instant::now();
        let rows = group.store.visits(&filter, None, 50).unwrap();
        pages.push(t0.elapsed());
        assert!(!rows.is_empty());
    }
    let tz = group.rules.timezone;
    let days = panke::store::performance::local_days(
        tz,
        NaiveDate::from_ymd_opt(2026, 10, 19).unwrap(),
        NaiveDate::from_ymd_opt(2026, 11, 18).unwrap(),
    );
    let mut months = Vec::new();
    for _ in 0..5 {
        let t0 = Instant::now();
        group.store.channel_performance(&project_id(0), &days, None).unwrap();
        months.push(t0.elapsed());
    }
    let t0 = Instant::now();
    let since = group.store.verify_since_checkpoint().unwrap().unwrap();
    let verify_since = millis(t0.elapsed());
    Figures {
        checkin: (c50, c99),
        filing: (f50, f99),
        first_page: support::percentiles(&mut pages).0,
        month: support::percentiles(&mut months).0,
        verify_per_sec,
        verify_since,
        since_walked: since.walked,
    }
}

fn main() {
    let s = sizes();
    let base = std::env::var_os("PANKE_GROWTH_DIR").map(std::path::PathBuf::from).unwrap_or_else(std::env::temp_dir);
    let dir = tempfile::tempdir_in(base).unwrap();
    let now = DateTime::parse_from_rfc3339("2016-11-01T09:00:00+08:00").unwrap().to_utc();
    let last = instant(s.visits, s.visits);
    println!(
        "growth: {} projects, {} visits, {} history rows, {} reports (visited and not)",
        s.projects, s.visits, s.history, s.reports
    );

    let mut empty = Group::open(dir.path(), "empty.db", 1, now);
    // One visit, so there is a record and a checkpoint to start from.
    empty.visit(last - Duration::hours(3));
    let empty_size = empty.size_on_disk();

    let mut big = Group::open(dir.path(), "group.db", s.projects, now);
    let before = big.size_on_disk();
    load(&mut big, &s);
    let size = big.size_on_disk();
    println!(
        "size on disk: {:.2} GB; {:.0} bytes per visit (everything loaded — visits, reports, history — over the visits; the empty database: {} KB)",
        size as f64 / 1e9,
        (size - before) as f64 / s.visits as f64,
        empty_size / 1024
    );

    let mut tables =
        big.store.conn().prepare("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT 8").unwrap();
    let biggest: Vec<(String, i64)> =
        tables.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect();
    drop(tables);
    let per_visit: Vec<String> =
        biggest.iter().map(|(name, bytes)| format!("{name} {:.0}", *bytes as f64 / s.visits as f64)).collect();
    println!("bytes per visit by table (largest): {}", per_visit.join(", "));

    // The same measurements on both, one after the other.
    let e = measure(&mut empty, last);
    let g = measure(&mut big, last);
    let ratio = |grown: f64, baseline: f64| grown / baseline.max(1e-9);
    let ok = |good: bool| if good { "ok" } else { "OVER" };
    println!("{:<44} {:>14} {:>14} {:>8}", "measure", "empty", "group", "ratio");
    let row = |what: &str, e: f64, g: f64, unit: &str| {
        println!("{what:<44} {:>11.2} {unit:<2} {:>11.2} {unit:<2} {:>7.2}×", e, g, ratio(g, e));
    };
    row("check-in p50 (durable, one at a time)", e.checkin.0, g.checkin.0, "ms");
    row("check-in p99", e.checkin.1, g.checkin.1, "ms");
    row("filing p50 (durable, one at a time)", e.filing.0, g.filing.0, "ms");
    row("filing p99", e.filing.1, g.filing.1, "ms");
    row("back office: first page of visits (50)", e.first_page, g.first_page, "ms");
    row("channel performance, one month", e.month, g.month, "ms");
    row("verify, records per second", e.verify_per_sec, g.verify_per_sec, "/s");
    println!(
        "verify --since-checkpoint after a day ({} records): {:.0} ms on the group [{} ≤ 1 s]",
        g.since_walked,
        g.verify_since,
        ok(g.verify_since <= 1000.0)
    );
    println!("full verify of the group: {:.0} s", big.store.ledger_len().unwrap() as f64 / g.verify_per_sec.max(1e-9));
}
