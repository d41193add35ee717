//! The back office's visits ledger (带看台账) over a large generated
//! database: `cargo bench --bench backoffice`.
//!
//! Sizes: `PANKE_BENCH_VISITS` visits in the manager's project (default
//! 1,000,000; 20,000 under `cargo test --benches`), `PANKE_BENCH_EXPORT_ROWS`
//! rows exported (default 100,000, at most the visits). `PANKE_BENCH_RUNS`
//! (default 20) repetitions of each page query, `PANKE_BENCH_EXPORT_RUNS`
//! (default 5; 2 under `cargo test --benches`) of each export, `PANKE_BENCH_DIR` the folder the databases
//! are made in (default: the system's temporary folder).
//!
//! Shared machines are noisy, so every figure stands beside a baseline
//! measured in the same run, alternating with it:
//! - a first page (50 rows, `Store::visits`) on the big database beside the
//!   same query on a database of 1,000 visits generated the same way;
//! - the xlsx export (`xlsx_of`'s loop: pages of 1,000 through
//!   `Store::visits`, rust_xlsxwriter in constant-memory mode, the same
//!   cells) beside the same rows, read beforehand, written the same way
//!   without the database; memory from `/proc/self/status`.
//!
//! **The loader.** Recording a million visits through the check-in path
//! would take hours, and the list never reads what that path adds: it reads
//! only `visit_index` (the ledger stays the evidence; this table is its
//! index). So the loader opens a real `Store` (all migrations, the same
//! pragmas) and inserts the rows straight into `visit_index`, 50,000 per
//! transaction with one prepared statement. Record numbers follow arrival
//! order, as in the ledger. Distributions: the manager's project holds the
//! visits counted; a second project adds a tenth as many, interleaved, so
//! the project filter has something to filter; 30 agencies (skewed: the
//! k-th has weight 1/k), 10 agents each (300), 20 sales consultants, 8
//! kiosks (5 % of visits entered at the desk, no kiosk); 80 % valid, the
//! invalid ones with realistic reasons (40 % not reported — walk-ins, no
//! agency —, 20 % visited before, …; 15 % carry a second reason); 10 % off
//! hours; 0.3 % voided, 1 % amended; phones `1[3-9]` + 9 random digits with
//! `phone_head`/`phone_tail` filled; customer names from 300 full names and
//! 40 `X先生`/`X女士`; arrivals spread evenly over three years ending
//! 2026-11-18. The phone index is dropped for the load and built again
//! after it (the same `CREATE INDEX` as schema 9): grown by a million
//! random inserts through SQLite's default 2 MB page cache it would spill a
//! page to the WAL on almost every insert, and a larger cache for the load
//! would leave freed memory behind that hides the export's growth. Built in
//! one go it is packed tighter than a grown one (its size here is a little
//! low). The list does not use it.
//!
//! The targets (first page ≤ 50 ms, export ≥ 20,000 rows/s) are printed
//! as ok / OVER / BELOW, never asserted: a noisy machine must not fail CI.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod support;

use chrono::{DateTime, FixedOffset};
use panke::domain::reason::Reason;
use panke::store::Store;
use panke::store::visits::{VisitFilter, VisitRow};
use panke::web::visits::{COLUMNS, export_line};
use rusqlite::{Connection, params};
use rust_xlsxwriter::{Workbook, Worksheet};
use std::path::Path;
use std::time::Instant;

const KEY: [u8; 32] = [9u8; 32];
/// The manager's project and the other one.
const MAIN: &str = "bench";
const OTHER: &str = "other";
/// The back office's page (`web/visits.rs`).
const PAGE: u32 = 50;
/// The export's page (`web/visits.rs`).
const EXPORT_PAGE: u32 = 1000;
/// The baseline database.
const SMALL_VISITS: usize = 1_000;
/// Rows per load transaction.
const LOAD_BATCH: usize = 50_000;
/// Untimed runs before each measurement.
const WARM_UP: usize = 2;
/// The targets.
const TARGET_PAGE_MS: f64 = 50.0;
const TARGET_ROWS_PER_SEC: f64 = 20_000.0;
/// Arrivals end here and go back three years.
const END: &str = "2026-11-18T00:00:00+08:00";
const DAY: i64 = 86_400;
const SPAN_SECS: i64 = 3 * 365 * DAY;

const SURNAMES: [&str; 20] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林",
    "罗",
];
const GIVEN: [&str; 15] = ["伟", "芳", "娜", "敏", "静", "磊", "强", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明"];
const BRANDS: [&str; 10] =
    ["链家", "我爱我家", "中原地产", "21世纪不动产", "贝壳找房", "麦田房产", "太平洋房屋", "德佑", "房多多", "易居"];
const BRANCHES: [&str; 3] = ["天河店", "海珠店", "越秀店"];
const SALES: [&str; 20] = [
    "赵雪", "钱峰", "孙丽", "李娟", "周婷", "吴昊", "郑凯", "王蕾", "冯磊", "陈晨", "褚静", "卫东", "蒋琳", "沈洁",
    "韩冰", "杨帆", "朱琳", "秦宇", "尤佳", "许诺",
];
/// Why invalid visits are invalid, by weight (of 100).
const INVALID_REASONS: [(Reason, u64); 10] = [
    (Reason::NotReported, 40),
    (Reason::VisitedBefore, 20),
    (Reason::ProtectedByOther, 10),
    (Reason::ReportedByOtherFirst, 10),
    (Reason::ReportExpired, 8),
    (Reason::ReportTooLate, 5),
    (Reason::IdentityMismatch, 3),
    (Reason::AgentAbsent, 2),
    (Reason::CustomerDeniesAgent, 1),
    (Reason::SignaturesMissing, 1),
];
/// The agency the agency filter picks (weight 1/13: about 1.9 %).
const AGENCY_PICKED: usize = 12;
/// The name the name search looks for (陈静: about 0.23 % of visits).
const NAME_PICKED: &str = "陈静";

fn main() {
    let visits = env_count("PANKE_BENCH_VISITS").unwrap_or_else(|| support::size(1_000_000, 20_000)).max(SMALL_VISITS);
    let export_rows = env_count("PANKE_BENCH_EXPORT_ROWS").unwrap_or(100_000).clamp(1, visits);
    let runs = env_count("PANKE_BENCH_RUNS").unwrap_or(20).max(1);
    let export_runs = env_count("PANKE_BENCH_EXPORT_RUNS").unwrap_or_else(|| support::size(5, 2)).max(1);
    let dir = match std::env::var_os("PANKE_BENCH_DIR") {
        Some(d) => tempfile::tempdir_in(d),
        None => tempfile::tempdir(),
    }
    .expect("temp dir");

    println!("panke back office benchmark: the visits ledger (台账) and its xlsx export");
    println!(
        "SQLite {}, databases in {}{}",
        rusqlite::version(),
        dir.path().display(),
        if cfg!(debug_assertions) { "  [unoptimised build: figures are not meaningful]" } else { "" }
    );

    let small_path = dir.path().join("small.db");
    let big_path = dir.path().join("big.db");
    eprintln!("generating {} visits (baseline) …", thousands(SMALL_VISITS as u64));
    let small_built = build(&small_path, SMALL_VISITS);
    eprintln!("generating {} visits …", thousands(visits as u64));
    let big_built = build(&big_path, visits);
    let small = Store::open(&small_path, &KEY).expect("small store");
    let big = Store::open(&big_path, &KEY).expect("big store");

    println!();
    println!("databases (generated with the bulk loader, see the top of benches/backoffice.rs):");
    for (name, b) in [("baseline", &small_built), ("big", &big_built)] {
        print_built(name, b);
    }

    // --- 1-3: pages ---
    println!();
    println!(
        "first page of {PAGE} (Store::visits), {runs} runs each after {WARM_UP} warm-up, big and baseline alternated; \
         every query but the first with the manager's project filter"
    );
    let (big_head, small_head) =
        (format!("{} visits", thousands(visits as u64)), format!("baseline {} visits", thousands(SMALL_VISITS as u64)));
    println!("{:34} {big_head:^23}   {small_head:^23}    ratio        rows   target", String::new());
    let target_head = format!("≤ {TARGET_PAGE_MS} ms");
    println!("{}", table_row(["query", "median", "p95", "median", "p95", "median", "big/base", &target_head]));
    let mut first_page_median = None;
    for case in cases(&big, &small) {
        let m = measure_page(&big, &small, &case, runs);
        let ratio = m.big_median / m.small_median;
        let target = if m.big_median <= TARGET_PAGE_MS { "ok" } else { "OVER" };
        let (ratio, rows) = (format!("{ratio:.1}"), format!("{}/{}", m.big_rows, m.small_rows));
        let (bm, bp, sm, sp) = (ms(m.big_median), ms(m.big_p95), ms(m.small_median), ms(m.small_p95));
        println!("{}", table_row([&case.label, &bm, &bp, &sm, &sp, &ratio, &rows, target]));
        if case.first_page {
            first_page_median = Some(m.big_median);
        }
        if let (true, Some(first)) = (case.deep, first_page_median) {
            println!("{:34} deep page / first page (big database): {:.2}", String::new(), m.big_median / first);
        }
    }

    // --- 4: the export ---
    let export_range = export_filter(&big, export_rows);
    println!();
    println!(
        "xlsx export of the newest {} visits of the manager's project (a date filter selecting exactly that many), \
         as xlsx_of does it: pages of {EXPORT_PAGE} through Store::visits, rust_xlsxwriter constant-memory mode, \
         save_to_buffer",
        thousands(export_rows as u64)
    );

    // Memory first, before the timed runs leave freed memory behind: the
    // first export of a smaller and of the full size.
    let probe_sizes: Vec<usize> = if export_rows > 10_000 { vec![10_000, export_rows] } else { vec![export_rows] };
    let mut probes = Vec::new();
    for &n in &probe_sizes {
        let filter = if n == export_rows { export_range.clone() } else { export_filter(&big, n) };
        let run = export_through_store(&big, &filter);
        assert_eq!(run.rows as usize, n, "the export's filter selects {n} rows");
        probes.push((n, run));
    }

    let prefetched = fetch_all(&big, &export_range);
    assert_eq!(prefetched.len(), export_rows);
    let (mut t_store, mut t_base, mut t_read) = (Vec::new(), Vec::new(), Vec::new());
    let mut file_bytes = 0;
    for _ in 0..export_runs {
        let run = export_through_store(&big, &export_range);
        assert_eq!(run.rows as usize, export_rows);
        file_bytes = run.file_bytes;
        t_store.push(run.secs);
        let rows = prefetched.clone();
        let base = export_from_memory(rows);
        assert_eq!(base.rows as usize, export_rows);
        t_base.push(base.secs);
        let (read, read_secs) = read_through_store(&big, &export_range);
        assert_eq!(read, export_rows);
        t_read.push(read_secs);
    }
    drop(prefetched);
    let (store_med, store_p95) = median_p95(&mut t_store);
    let (base_med, base_p95) = median_p95(&mut t_base);
    let (read_med, read_p95) = median_p95(&mut t_read);
    let n = export_rows as f64;
    let store_rate = n / store_med;
    println!("{export_runs} runs each (after the untimed memory runs above), the three alternated:");
    println!(
        "{}   [≥ {} rows/s: {}]",
        export_row("through the store (xlsx_of's loop)", store_med, store_p95, n),
        thousands(TARGET_ROWS_PER_SEC as u64),
        if store_rate >= TARGET_ROWS_PER_SEC { "ok" } else { "BELOW" }
    );
    println!("{}", export_row("baseline: the same rows from memory", base_med, base_p95, n));
    println!("{}", export_row("the reads alone (Store::visits, no xlsx)", read_med, read_p95, n));
    println!("  ratio export / baseline (time, medians): {:.2}", store_med / base_med);
    println!(
        "  file: {} ({:.0} bytes per row), held in memory by save_to_buffer",
        mebibytes(file_bytes as i64),
        file_bytes as f64 / n
    );

    println!("memory, first export of each size (VmRSS / VmHWM of /proc/self/status, growth from just before it):");
    for (rows, run) in &probes {
        match &run.mem {
            Some(m) => println!(
                "  {:>9} rows: RSS {} once the rows are written; peak {} with the file ({}), {} less the file",
                thousands(*rows as u64),
                signed_mebibytes(m.written_growth()),
                m.peak_growth().map(signed_mebibytes).unwrap_or_else(|| "n/a".into()),
                mebibytes(run.file_bytes as i64),
                m.peak_growth().map(|p| signed_mebibytes(p - run.file_bytes as i64)).unwrap_or_else(|| "n/a".into()),
            ),
            None => println!("  {:>9} rows: /proc/self/status not readable", thousands(*rows as u64)),
        }
    }
    if let [(n_small, small_run), (n_big, big_run)] = probes.as_slice()
        && let (Some(a), Some(b)) = (&small_run.mem, &big_run.mem)
    {
        let per_10k = 10_000.0 / (*n_big - *n_small) as f64;
        let written = (b.written_growth() - a.written_growth()) as f64 * per_10k;
        print!("  growth per 10,000 more rows: {} while writing rows", signed_mebibytes(written as i64));
        if let (Some(pa), Some(pb)) = (a.peak_growth(), b.peak_growth()) {
            let peak = ((pb - big_run.file_bytes as i64) - (pa - small_run.file_bytes as i64)) as f64 * per_10k;
            let file = (big_run.file_bytes as i64 - small_run.file_bytes as i64) as f64 * per_10k;
            print!(
                "; peak less the file {}; the file itself {}",
                signed_mebibytes(peak as i64),
                signed_mebibytes(file as i64)
            );
        }
        println!();
    }
}

// ---------------------------------------------------------------- the loader

struct Built {
    /// Rows in `visit_index`, both projects.
    rows: usize,
    /// Of them in the manager's project.
    main_rows: usize,
    load_secs: f64,
    file_bytes: u64,
    /// `visit_index` and its indexes, from `dbstat`: (name, bytes).
    objects: Vec<(String, i64)>,
}

/// A database of `main_rows` visits in the manager's project and a tenth as
/// many in another, made through `Store::open` (all migrations).
fn build(path: &Path, main_rows: usize) -> Built {
    let store = Store::open(path, &KEY).expect("store");
    let conn = store.conn();
    conn.execute_batch("DROP INDEX visit_index_phone").expect("drop the phone index");
    let start = Instant::now();
    let rows = load_visits(conn, main_rows, 0x5EED ^ main_rows as u64);
    conn.execute_batch("CREATE INDEX visit_index_phone ON visit_index (project_id, phone_head, phone_tail)")
        .expect("phone index");
    let load_secs = start.elapsed().as_secs_f64();
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).expect("checkpoint");
    let objects = visit_index_objects(conn);
    drop(store);
    let file_bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    Built { rows, main_rows, load_secs, file_bytes, objects }
}

fn print_built(name: &str, b: &Built) {
    println!(
        "  {name:<8} {:>9} visits in the manager's project, {:>9} rows in all; loaded in {:.1} s ({} rows/s); \
         file {} = {:.0} bytes per visit row",
        thousands(b.main_rows as u64),
        thousands(b.rows as u64),
        b.load_secs,
        thousands((b.rows as f64 / b.load_secs.max(1e-9)) as u64),
        mebibytes(b.file_bytes as i64),
        b.file_bytes as f64 / b.rows as f64
    );
    if !b.objects.is_empty() {
        let parts: Vec<String> = b
            .objects
            .iter()
            .map(|(n, bytes)| format!("{n} {} ({:.0} B/row)", mebibytes(*bytes), *bytes as f64 / b.rows as f64))
            .collect();
        println!("{:10} {}", String::new(), parts.join(", "));
    }
}

/// The space `visit_index` and its indexes take (empty when this SQLite has
/// no `dbstat`).
fn visit_index_objects(conn: &Connection) -> Vec<(String, i64)> {
    let read = || -> rusqlite::Result<Vec<(String, i64)>> {
        let mut stmt = conn.prepare(
            "SELECT name, sum(pgsize) FROM dbstat
             WHERE name IN ('visit_index', 'visit_index_project', 'visit_index_phone')
             GROUP BY name ORDER BY name DESC",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        rows.collect()
    };
    read().unwrap_or_default()
}

/// Inserts the generated visits; returns how many rows in all.
fn load_visits(conn: &Connection, main_rows: usize, seed: u64) -> usize {
    let other_rows = main_rows / 10;
    let total = main_rows + other_rows;
    let end = DateTime::parse_from_rfc3339(END).expect("end").timestamp();
    let start = end - SPAN_SECS;
    // Record i arrives in [start + i·step, start + i·step + ⌊step⌋): arrivals
    // strictly increase with the record number (step ≥ 1 s up to 94 M rows).
    let step = SPAN_SECS as f64 / total as f64;
    let jitter = (step as u64).max(1);
    let tz = FixedOffset::east_opt(8 * 3600).expect("+08:00");
    let agencies: Vec<String> =
        (0..30).map(|k| format!("{}-{}", BRANDS[k % BRANDS.len()], BRANCHES[k / BRANDS.len()])).collect();
    let agency_weights: Vec<f64> = (0..30).map(|k| 1.0 / (k + 1) as f64).collect();
    let agents: Vec<String> = (0..300).map(|k| format!("{}{}", SURNAMES[k % 20], GIVEN[k / 20])).collect();
    let mut rng = Rng(seed);
    let mut stmt = conn
        .prepare(
            "INSERT INTO visit_index (seq, project_id, arrived_at, arrived_unix, agency, agent, verdict, reasons,
                off_hours, sales, kiosk_id, customer_name, phone, phone_head, phone_tail, voided, amended)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
        )
        .expect("prepare");
    let (mut main_left, mut other_left) = (main_rows as u64, other_rows as u64);
    let mut i = 0usize;
    while i < total {
        conn.execute_batch("BEGIN").expect("begin");
        let batch_end = (i + LOAD_BATCH).min(total);
        while i < batch_end {
            let project = if rng.below(main_left + other_left) < other_left {
                other_left -= 1;
                OTHER
            } else {
                main_left -= 1;
                MAIN
            };
            let arrived_unix = start + (i as f64 * step) as i64 + rng.below(jitter) as i64;
            let arrived = DateTime::from_timestamp(arrived_unix, 0).expect("time").with_timezone(&tz);
            let mut reasons: Vec<Reason> = Vec::new();
            if !rng.chance(0.8) {
                reasons.push(pick_reason(&mut rng));
                if rng.chance(0.15) {
                    let second = pick_reason(&mut rng);
                    if !reasons.contains(&second) {
                        reasons.push(second);
                    }
                }
                reasons.sort();
            }
            let verdict = if reasons.is_empty() { "valid" } else { "invalid" };
            let reason_codes: Vec<&str> = reasons.iter().map(|r| r.code()).collect();
            let agency_ix = pick_weighted(&mut rng, &agency_weights);
            let agent_ix = agency_ix * 10 + rng.below(10) as usize;
            // A walk-in without a report has no agency (`RecordBody::agency`).
            let (agency, agent) = if reasons.contains(&Reason::NotReported) {
                ("", "")
            } else {
                (agencies[agency_ix].as_str(), agents[agent_ix].as_str())
            };
            let off_hours = rng.chance(0.1);
            let sales = SALES[rng.below(SALES.len() as u64) as usize];
            let kiosk_id: Option<i64> = if rng.chance(0.05) { None } else { Some(1 + rng.below(8) as i64) };
            let surname = SURNAMES[rng.below(SURNAMES.len() as u64) as usize];
            let customer_name = if rng.chance(0.7) {
                format!("{surname}{}", GIVEN[rng.below(GIVEN.len() as u64) as usize])
            } else {
                format!("{surname}{}", if rng.chance(0.5) { "先生" } else { "女士" })
            };
            let phone = format!("1{}{:09}", 3 + rng.below(7), rng.below(1_000_000_000));
            let voided = rng.chance(0.003);
            let amended = voided || rng.chance(0.007);
            stmt.execute(params![
                i as i64 + 1,
                project,
                arrived.to_rfc3339(),
                arrived_unix,
                agency,
                agent,
                verdict,
                reason_codes.join(","),
                off_hours,
                sales,
                kiosk_id,
                customer_name,
                phone,
                &phone[..3],
                &phone[7..],
                voided,
                amended,
            ])
            .expect("insert");
            i += 1;
        }
        conn.execute_batch("COMMIT").expect("commit");
    }
    total
}

fn pick_reason(rng: &mut Rng) -> Reason {
    let total: u64 = INVALID_REASONS.iter().map(|(_, w)| w).sum();
    let mut x = rng.below(total);
    for (reason, weight) in INVALID_REASONS {
        if x < weight {
            return reason;
        }
        x -= weight;
    }
    Reason::NotReported
}

fn pick_weighted(rng: &mut Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.unit() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

/// splitmix64: reproducible, no dependency.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

// ---------------------------------------------------------------- pages

struct Query {
    filter: VisitFilter,
    before: Option<i64>,
}

struct Case {
    label: String,
    big: Query,
    small: Query,
    /// The unfiltered first page of the manager's project.
    first_page: bool,
    /// The page deep in the list.
    deep: bool,
}

fn project() -> VisitFilter {
    VisitFilter { project: Some(MAIN.to_owned()), ..Default::default() }
}

/// The queries, each made for either database from its own data where it
/// needs some (a phone that is there, a record number near the oldest).
fn cases(big: &Store, small: &Store) -> Vec<Case> {
    let end = DateTime::parse_from_rfc3339(END).expect("end").timestamp();
    let weights: Vec<f64> = (0..30).map(|k| 1.0 / (k + 1) as f64).collect();
    let agency_share = weights[AGENCY_PICKED] / weights.iter().sum::<f64>() * 100.0;
    let agency = format!("{}-{}", BRANDS[AGENCY_PICKED % BRANDS.len()], BRANCHES[AGENCY_PICKED / BRANDS.len()]);
    let case = |label: String, make: &dyn Fn(&Store) -> Query| Case {
        label,
        big: make(big),
        small: make(small),
        first_page: false,
        deep: false,
    };
    let filtered = |f: VisitFilter| Query { filter: f, before: None };
    let mut cases = vec![
        case("no filter (admin, every project)".into(), &|_| filtered(VisitFilter::default())),
        Case { first_page: true, ..case("manager's project".into(), &|_| filtered(project())) },
        case(format!("agency ({agency_share:.1} % of visits)"), &|_| {
            filtered(VisitFilter { agency: Some(agency.clone()), ..project() })
        }),
        case("verdict invalid (20 %)".into(), &|_| {
            filtered(VisitFilter { verdict: Some("invalid".into()), ..project() })
        }),
        case("one month, the latest".into(), &|_| {
            filtered(VisitFilter { from_unix: Some(end - 30 * DAY), to_unix: Some(end), ..project() })
        }),
        case("one month, two years back".into(), &|_| {
            filtered(VisitFilter { from_unix: Some(end - 760 * DAY), to_unix: Some(end - 730 * DAY), ..project() })
        }),
        case("phone, last four digits".into(), &|s| {
            let p = newest_phone(s);
            filtered(VisitFilter { phone: Some(p[7..].to_owned()), ..project() })
        }),
        case("phone, masked 138****5678".into(), &|s| {
            let p = newest_phone(s);
            filtered(VisitFilter { phone: Some(format!("{}****{}", &p[..3], &p[7..])), ..project() })
        }),
        case("phone, full number".into(), &|s| filtered(VisitFilter { phone: Some(newest_phone(s)), ..project() })),
        case(format!("customer name {NAME_PICKED} (0.2 %)"), &|_| {
            filtered(VisitFilter { name: Some(NAME_PICKED.into()), ..project() })
        }),
    ];
    cases.push(Case {
        deep: true,
        ..case("deep page (before the 200th-oldest)".into(), &|s| Query {
            filter: project(),
            before: Some(deep_seq(s)),
        })
    });
    cases
}

fn newest_phone(store: &Store) -> String {
    store
        .conn()
        .query_row("SELECT phone FROM visit_index WHERE project_id = ?1 ORDER BY seq DESC LIMIT 1", [MAIN], |r| {
            r.get(0)
        })
        .expect("a phone")
}

/// The record number of the project's 200th-oldest visit: the page before
/// it is 50 rows from near the end of the list.
fn deep_seq(store: &Store) -> i64 {
    store
        .conn()
        .query_row("SELECT seq FROM visit_index WHERE project_id = ?1 ORDER BY seq LIMIT 1 OFFSET 199", [MAIN], |r| {
            r.get(0)
        })
        .expect("a deep record")
}

struct PageFigures {
    big_median: f64,
    big_p95: f64,
    small_median: f64,
    small_p95: f64,
    big_rows: usize,
    small_rows: usize,
}

fn measure_page(big: &Store, small: &Store, case: &Case, runs: usize) -> PageFigures {
    for _ in 0..WARM_UP {
        page_ms(big, &case.big);
        page_ms(small, &case.small);
    }
    let (mut b, mut s) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
    let (mut big_rows, mut small_rows) = (0, 0);
    for _ in 0..runs {
        let (t, n) = page_ms(big, &case.big);
        b.push(t);
        big_rows = n;
        let (t, n) = page_ms(small, &case.small);
        s.push(t);
        small_rows = n;
    }
    let (big_median, big_p95) = median_p95(&mut b);
    let (small_median, small_p95) = median_p95(&mut s);
    PageFigures { big_median, big_p95, small_median, small_p95, big_rows, small_rows }
}

/// One page as the back office asks for it; milliseconds and rows.
fn page_ms(store: &Store, q: &Query) -> (f64, usize) {
    let start = Instant::now();
    let rows = store.visits(&q.filter, q.before, PAGE).expect("page");
    let elapsed_ms = start.elapsed().as_secs_f64() * 1000.0;
    (elapsed_ms, std::hint::black_box(rows).len())
}

// ---------------------------------------------------------------- the export

/// The manager's project from the arrival of its `rows`-th newest visit on:
/// exactly `rows` visits (arrivals increase with the record number).
fn export_filter(store: &Store, rows: usize) -> VisitFilter {
    let from: i64 = store
        .conn()
        .query_row(
            "SELECT arrived_unix FROM visit_index WHERE project_id = ?1 ORDER BY seq DESC LIMIT 1 OFFSET ?2",
            params![MAIN, rows as i64 - 1],
            |r| r.get(0),
        )
        .expect("export start");
    VisitFilter { from_unix: Some(from), ..project() }
}

/// The handler's own workbook code (`web::visits::write_visits_sheet`):
/// the sheet in constant-memory mode, pages of a thousand via `Store::visits`.
fn write_visits_sheet(store: &Store, filter: &VisitFilter, book: &mut Workbook) -> u32 {
    panke::web::visits::write_visits_sheet(store, filter, &[], book).expect("export")
}

fn new_sheet(book: &mut Workbook) -> &mut Worksheet {
    let sheet = book.add_worksheet_with_constant_memory().expect("sheet");
    sheet.set_name("带看台账").expect("sheet name");
    for (col, title) in COLUMNS.iter().enumerate() {
        sheet.write_string(0, col as u16, *title).expect("header");
    }
    sheet
}

/// One row as the handler writes it (its `export_line`).
fn write_visit(sheet: &mut Worksheet, row: u32, visit: VisitRow) {
    let seq = visit.seq;
    for (col, value) in export_line(visit, false).iter().enumerate() {
        if col == 0 {
            sheet.write_number(row, 0, seq as f64).expect("cell");
        } else {
            sheet.write_string(row, col as u16, value).expect("cell");
        }
    }
}

struct ExportRun {
    rows: u32,
    secs: f64,
    file_bytes: usize,
    mem: Option<MemProbe>,
}

/// kB, from /proc/self/status.
struct MemProbe {
    before: u64,
    /// VmRSS once every row is written, before `save_to_buffer`.
    written: u64,
    /// VmHWM after `save_to_buffer`, when the peak could be reset first.
    peak: Option<u64>,
}

impl MemProbe {
    /// Bytes.
    fn written_growth(&self) -> i64 {
        (self.written as i64 - self.before as i64) * 1024
    }

    /// Bytes.
    fn peak_growth(&self) -> Option<i64> {
        self.peak.map(|p| (p as i64 - self.before as i64) * 1024)
    }
}

fn probe(
    peak_reset: bool,
    before: Option<(u64, u64)>,
    written: Option<(u64, u64)>,
    after: Option<(u64, u64)>,
) -> Option<MemProbe> {
    Some(MemProbe { before: before?.0, written: written?.0, peak: peak_reset.then_some(after?.1) })
}

/// The export as the web handler builds it.
fn export_through_store(store: &Store, filter: &VisitFilter) -> ExportRun {
    let peak_reset = reset_peak();
    let before = proc_status();
    let start = Instant::now();
    let mut book = Workbook::new();
    let rows = write_visits_sheet(store, filter, &mut book);
    let written = proc_status();
    let bytes = book.save_to_buffer().expect("xlsx");
    let elapsed = start.elapsed().as_secs_f64();
    let after = proc_status();
    ExportRun { rows, secs: elapsed, file_bytes: bytes.len(), mem: probe(peak_reset, before, written, after) }
}

/// The baseline: the same rows, already in memory, written the same way.
fn export_from_memory(rows: Vec<VisitRow>) -> ExportRun {
    let peak_reset = reset_peak();
    let before = proc_status();
    let start = Instant::now();
    let mut book = Workbook::new();
    let sheet = new_sheet(&mut book);
    let mut row = 1u32;
    for visit in rows {
        write_visit(sheet, row, visit);
        row += 1;
    }
    let written = proc_status();
    let bytes = book.save_to_buffer().expect("xlsx");
    let elapsed = start.elapsed().as_secs_f64();
    let after = proc_status();
    ExportRun { rows: row - 1, secs: elapsed, file_bytes: bytes.len(), mem: probe(peak_reset, before, written, after) }
}

/// The export's reads alone: the same pages, dropped.
fn read_through_store(store: &Store, filter: &VisitFilter) -> (usize, f64) {
    let start = Instant::now();
    let mut n = 0;
    each_page(store, filter, |page| n += std::hint::black_box(page).len());
    (n, start.elapsed().as_secs_f64())
}

fn fetch_all(store: &Store, filter: &VisitFilter) -> Vec<VisitRow> {
    let mut all = Vec::new();
    each_page(store, filter, |page| all.extend(page));
    all
}

/// The export's paging: a thousand at a time until a short page.
fn each_page(store: &Store, filter: &VisitFilter, mut f: impl FnMut(Vec<VisitRow>)) {
    let mut before = None;
    loop {
        let page = store.visits(filter, before, EXPORT_PAGE).expect("page");
        let done = page.len() < EXPORT_PAGE as usize;
        before = page.last().map(|r| r.seq);
        f(page);
        if done || before.is_none() {
            break;
        }
    }
}

/// (VmRSS, VmHWM) in kB; `None` off Linux.
fn proc_status() -> Option<(u64, u64)> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<u64> {
        text.lines().find_map(|l| l.strip_prefix(name))?.trim().trim_end_matches("kB").trim().parse().ok()
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// Resets VmHWM to the current RSS (Linux ≥ 4.0: `5 > /proc/self/clear_refs`).
fn reset_peak() -> bool {
    use std::io::Write;
    std::fs::OpenOptions::new().write(true).open("/proc/self/clear_refs").and_then(|mut f| f.write_all(b"5")).is_ok()
}

// ---------------------------------------------------------------- figures

/// A count from the environment (`1_000_000` and `1,000,000` read too).
fn env_count(name: &str) -> Option<usize> {
    let raw = std::env::var(name).ok()?;
    let digits = raw.trim().replace(['_', ','], "");
    Some(digits.parse().unwrap_or_else(|_| panic!("{name}={raw}: not a count")))
}

/// Median and p95 (nearest rank).
fn median_p95(samples: &mut [f64]) -> (f64, f64) {
    samples.sort_by(|a, b| a.total_cmp(b));
    let n = samples.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let median = if n % 2 == 1 { samples[n / 2] } else { (samples[n / 2 - 1] + samples[n / 2]) / 2.0 };
    let rank = ((n as f64 * 0.95).ceil() as usize).clamp(1, n);
    (median, samples[rank - 1])
}

/// One line of the pages' table.
fn table_row(c: [&str; 8]) -> String {
    format!("{:<34} {:>11} {:>11}   {:>11} {:>11}   {:>6}   {:>9}   {}", c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7])
}

/// One line of the export's figures: times and the rate of the median.
fn export_row(label: &str, median: f64, p95: f64, rows: f64) -> String {
    format!(
        "  {label:<44} median {:>9}  p95 {:>9}  {:>9} rows/s",
        secs(median),
        secs(p95),
        thousands((rows / median) as u64)
    )
}

fn ms(v: f64) -> String {
    if v < 10.0 { format!("{v:.2} ms") } else { format!("{v:.1} ms") }
}

fn secs(v: f64) -> String {
    format!("{v:.2} s")
}

fn mebibytes(bytes: i64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_048_576.0)
}

fn signed_mebibytes(bytes: i64) -> String {
    format!("{:+.2} MB", bytes as f64 / 1_048_576.0)
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
