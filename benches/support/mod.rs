//! Shared by the HTTP benchmarks: panke on a random loopback port with a
//! fresh database, one project, one agency and its agent.

#![allow(dead_code)]

use chrono::Utc;
use panke::clock::{Clock, SystemClock};
use panke::domain::phone::Phone;
use panke::domain::token::KeyRing;
use panke::store::Store;
use std::sync::Arc;
use std::time::Duration;

#[path = "../../tests/support/mod.rs"]
pub mod deployment;

pub struct BenchApp {
    pub base: String,
    pub store: Store,
    pub key_ring: KeyRing,
    pub agency: i64,
    pub agent: i64,
    pub dir: deployment::TestDeployment,
}

/// panke wired exactly as `serve` wires it (`AppState::from_context`).
pub async fn spawn() -> BenchApp {
    let dep = deployment::TestDeployment::new(&[("bench", "[project]\nname = \"bench\"\n")]);
    let now = Utc::now();
    let ctx = dep.context(now);
    let store = ctx.open_store(now).expect("store");
    let key_ring = ctx.secrets.key_ring().expect("ring");
    let agency = store.create_agency("bench", None, now).expect("agency");
    let (agent, _) = store.create_agent(agency, "a", &Phone::parse("13500000000").expect("phone"), now).expect("agent");
    let base = deployment::serve(ctx, Arc::new(SystemClock) as Arc<dyn Clock>, 4).await;
    BenchApp { base, store, key_ring, agency, agent, dir: dep }
}

/// p50, p99 and max of sorted latencies, in milliseconds.
pub fn percentiles(latencies: &mut [Duration]) -> (f64, f64, f64) {
    latencies.sort();
    let pct =
        |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)].as_secs_f64() * 1000.0;
    (pct(0.50), pct(0.99), pct(1.0))
}

/// A signature PNG of about 20 KB: a hand-drawn-looking trace with
/// pressure-varying ink, as a real pad produces (800×300 RGBA).
pub fn signature_png_20kb(seed: u64) -> Vec<u8> {
    use image::{ImageBuffer, Rgba};
    let (w, h) = (800u32, 300u32);
    let mut img = ImageBuffer::from_pixel(w, h, Rgba([255u8, 255, 255, 0]));
    let mut state = seed.wrapping_mul(2862933555777941757).wrapping_add(3037000493);
    let mut next = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 33) as u32
    };
    let (mut x, mut y) = (60i32, 150i32);
    for _ in 0..1300 {
        x = (x + (next() % 7) as i32 - 2).clamp(10, w as i32 - 10);
        y = (y + (next() % 9) as i32 - 4).clamp(10, h as i32 - 10);
        let ink = 20 + (next() % 120) as u8;
        for d in 0..3 {
            img.put_pixel((x + d) as u32, y as u32, Rgba([ink, ink, 60, 200 + (next() % 55) as u8]));
        }
        if x >= w as i32 - 12 {
            x = 60;
        }
    }
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).expect("png");
    out
}

/// `cargo bench` passes `--bench`; `cargo test --benches` (CI) does not,
/// and then the benchmarks only check that they still run, with small
/// counts, unoptimised.
pub fn full_run() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// `full` under `cargo bench`, else `smoke`.
pub fn size(full: usize, smoke: usize) -> usize {
    if full_run() { full } else { smoke }
}

/// The baseline every check-in figure is a ratio of: bare rusqlite
/// inserting the rows a check-in writes — its ledger row (a real panke
/// record's body), three signatures (strokes and statement), the report's
/// status and the history row — one durable transaction (WAL,
/// synchronous = FULL, as panke) per check-in, with panke's own schema.
pub struct BareInsert {
    conn: rusqlite::Connection,
    body: String,
    pens: Vec<Vec<u8>>,
    next: i64,
}

impl BareInsert {
    /// A fresh database in `dir`, with `reports` reports to mark visited.
    pub fn new(dir: &std::path::Path, body: String, reports: usize) -> BareInsert {
        let conn = rusqlite::Connection::open(dir.join("bare.db")).expect("bare");
        // panke's page size for new databases (src/store/mod.rs).
        conn.pragma_update(None, "page_size", 8192).expect("page size");
        conn.pragma_update(None, "journal_mode", "WAL").expect("wal");
        conn.pragma_update(None, "synchronous", "FULL").expect("full");
        conn.pragma_update(None, "foreign_keys", "ON").expect("fk");
        conn.execute_batch(include_str!("../../src/store/migrations/0001_init.sql")).expect("schema");
        conn.execute_batch("ALTER TABLE signatures ADD COLUMN pen BLOB").expect("schema 16");
        conn.execute_batch(
            "INSERT INTO projects VALUES ('bench', 'bench', 'x', '');
             INSERT INTO agencies VALUES (1, 'bench', NULL, '');
             INSERT INTO agents (id, agency_id, name, phone, created_at) VALUES (1, 1, 'a', '13500000000', '');",
        )
        .expect("people");
        let tx = conn.unchecked_transaction().expect("tx");
        for i in 0..reports {
            tx.execute(
                "INSERT INTO reports (id, project_id, agency_id, agent_id, customer_name, customer_phone, phone_head, phone_tail,
                    filed_at, filed_unix, key_id, manual_code) VALUES (?1, 'bench', 1, 1, '王先生', ?2, '139', ?3, '', 0, 1, ?4)",
                rusqlite::params![i as i64 + 1, format!("139{i:08}"), format!("{:04}", i % 10_000), format!("C{i:07}")],
            )
            .expect("report");
        }
        tx.commit().expect("commit");
        let pens = (1..=3).map(|seed| panke::demo::signature_pen(seed).expect("pen").bytes().to_vec()).collect();
        BareInsert { conn, body, pens, next: 1 }
    }

    /// One check-in's rows, durably.
    pub fn insert_one(&mut self) {
        let i = self.next;
        self.next += 1;
        let tx = self.conn.unchecked_transaction().expect("tx");
        tx.prepare_cached(
            "INSERT INTO ledger (seq, kind, project_id, report_id, amends_seq, recorded_at, body, prev_sha256, row_hmac)
             VALUES (?1, 'visit', 'bench', ?1, NULL, '2026-11-18T02:45:00.000Z', ?2, ?3, ?4)",
        )
        .expect("sql")
        .execute(rusqlite::params![i, self.body, "0".repeat(64), "1".repeat(64)])
        .expect("insert");
        for (signer, pen) in ["customer", "agent", "sales"].into_iter().zip(&self.pens) {
            tx.prepare_cached(
                "INSERT INTO signatures (ledger_seq, signer, png, png_sha256, width, height, strokes, pen, statement, statement_sha256)
                 VALUES (?1, ?2, X'', '', 600, 240, '', ?3, ?4, ?5)",
            )
            .expect("sql")
            .execute(rusqlite::params![i, signer, pen, "本人确认以上到访信息属实。".repeat(4), "h".repeat(64)])
            .expect("insert");
        }
        tx.prepare_cached("UPDATE reports SET status = 'visited-valid' WHERE id = ?1")
            .expect("sql")
            .execute([i])
            .expect("update");
        tx.prepare_cached(
            "INSERT INTO history (project_id, at, at_unix, customer_name, phone, phone_head, phone_tail, source, dedup_key)
             VALUES ('bench', '2026-11-18T10:45:00+08:00', 0, '王小明', ?2, '139', ?3, 'kiosk', ?1)",
        )
        .expect("sql")
        .execute(rusqlite::params![
            panke::crypto::sha256_hex(format!("bench|{i}").as_bytes()),
            format!("139{i:08}"),
            format!("{:04}", i % 10_000)
        ])
        .expect("insert");
        tx.commit().expect("commit");
    }

    /// Inserts `n` check-ins; their rate per second.
    pub fn rate(&mut self, n: usize) -> f64 {
        let start = std::time::Instant::now();
        (0..n).for_each(|_| self.insert_one());
        n as f64 / start.elapsed().as_secs_f64()
    }
}

/// `n` paired kiosks of project `bench`, each with its desk clerk signed
/// in for `ttl_secs`: the cookie header and CSRF token of each.
pub fn signed_in_kiosks(store: &Store, n: usize, ttl_secs: i64, now: chrono::DateTime<Utc>) -> Vec<(String, String)> {
    use panke::store::people::{NewStaff, Role};
    use panke::store::sessions::SessionKind;
    (0..n)
        .map(|k| {
            let (kiosk, _) = store.create_kiosk("bench", &format!("k{k}"), now).expect("kiosk");
            let login = format!("desk{k}");
            let staff = NewStaff {
                project_id: Some("bench"),
                login: &login,
                name: &login,
                role: Role::Desk,
                password: None,
                pin: None,
            };
            let staff = store.create_staff(&staff, now).expect("staff");
            let device = store.create_session(SessionKind::Kiosk, kiosk.id, ttl_secs, now).expect("session");
            let clerk = store.create_operator_session(staff, kiosk.id, ttl_secs, now).expect("session");
            let csrf = store.session(&device, SessionKind::Kiosk, now).expect("read").expect("live").csrf;
            (format!("pk_kiosk={device}; pk_staff={clerk}"), csrf)
        })
        .collect()
}
