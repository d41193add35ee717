//! Durable visit commits: `cargo bench --bench ledger`.
//!
//! panke's full check-in transaction (load the report and the customer's
//! records, judge, canonical JSON, hash chain + HMAC, three ~20 KB
//! signature PNGs, report status, history row, fsync'd WAL commit, head
//! file) against a bare rusqlite insert of the same rows with the same
//! pragmas. Both on the same disk, one after the other.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod support;

use chrono::{DateTime, Duration, Utc};
use panke::domain::judge::Signer;
use panke::domain::name::CustomerName;
use panke::domain::phone::{CustomerPhone, Phone};
use panke::domain::rules::Rules;
use panke::domain::signature::{StatementFacts, ValidPng, validate_png};
use panke::domain::token::KeyId;
use panke::store::Store;
use panke::store::checkin::CheckInRequest;
use panke::store::reports::NewReport;

/// What the benchmark's signers confirm.
const BENCH_FACTS: StatementFacts<'static> = StatementFacts {
    project: "bench",
    agency: "bench",
    agent: "a",
    reported_name: "王先生",
    arrived_name: "王先生",
    arrival: "2026-11-18 10:45",
};
use panke::wire::record::DeskAnswers;
use std::time::Instant;

fn store_body(store: &Store) -> String {
    store.ledger_row(1).expect("first record").body
}

fn main() {
    let n_records = support::size(400, 20);
    let dir = tempfile::tempdir().expect("temp dir");
    let pngs: Vec<ValidPng> =
        (1..=3).map(|i| validate_png(support::signature_png_20kb(i)).expect("valid signature")).collect();
    let sizes: Vec<usize> = pngs.iter().map(|p| p.bytes.len()).collect();
    let strokes = panke::demo::signature_strokes(5);

    // --- panke ---
    let mut store = Store::open(&dir.path().join("panke.db"), &[9u8; 32]).expect("store");
    let now: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-11-18T10:00:00+08:00").expect("t").to_utc();
    store.sync_project("bench", "bench", "x", now).expect("project");
    let agency = store.create_agency("bench", None, now).expect("agency");
    let (agent, _) = store.create_agent(agency, "a", &Phone::parse("13500000000").expect("p"), now).expect("agent");
    let rules = Rules::default();
    let mut seed = 1u64;
    let reports: Vec<_> = (0..n_records)
        .map(|i| {
            let phone = CustomerPhone::Full(Phone::parse(&format!("1390000{i:04}")).expect("phone"));
            store
                .file_report(
                    NewReport {
                        project_id: "bench".into(),
                        agent_id: agent,
                        customer_name: CustomerName::parse("王先生").expect("name"),
                        customer_phone: phone,
                        expected_arrival: None,
                        party_size: None,
                        note: None,
                        idempotency_key: None,
                        demo: false,
                    },
                    KeyId(1),
                    now.fixed_offset(),
                    || {
                        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                        seed
                    },
                )
                .expect("report")
        })
        .collect();

    let panke_one = |store: &mut Store, i: usize| {
        let req = CheckInRequest {
            project_id: "bench",
            report_id: Some(reports[i].id),
            customer_name: CustomerName::parse("王小明").expect("name"),
            customer_phone: Phone::parse(&format!("1390000{i:04}")).expect("phone"),
            agent_present: true,
            customer_confirms_agent: true,
            answers: DeskAnswers::default(),
            desk_clerk_id: None,
            sales_id: None,
            kiosk_id: None,
            signatures: panke::demo::signatures(&pngs, &strokes, &BENCH_FACTS),
            demo: false,
            walk_in_id: None,
            over_report: None,
            sales_requested: false,
        };
        store.record_checkin(req, &rules, now + Duration::minutes(45)).expect("check-in");
    };

    // --- bare rusqlite, same rows, same pragmas ---
    let conn = rusqlite::Connection::open(dir.path().join("bare.db")).expect("bare");
    conn.pragma_update(None, "journal_mode", "WAL").expect("wal");
    conn.pragma_update(None, "synchronous", "FULL").expect("full");
    conn.pragma_update(None, "foreign_keys", "ON").expect("fk");
    // The same pragmas as `Store::open`.
    // A first panke record gives the body the bare side writes.
    panke_one(&mut store, 0);
    let body = store_body(&store);
    // panke's own schema (triggers included), so only panke's work differs.
    conn.execute_batch(include_str!("../src/store/migrations/0001_init.sql")).expect("schema");
    conn.execute_batch(
        "INSERT INTO projects VALUES ('bench', 'bench', 'x', '');
         INSERT INTO agencies VALUES (1, 'bench', NULL, '');
         INSERT INTO agents (id, agency_id, name, phone, created_at) VALUES (1, 1, 'a', '13500000000', '');",
    )
    .expect("people");
    for i in 0..n_records {
        conn.execute(
            "INSERT INTO reports (id, project_id, agency_id, agent_id, customer_name, customer_phone, phone_head, phone_tail,
                filed_at, filed_unix, key_id, manual_code) VALUES (?1, 'bench', 1, 1, '王先生', ?2, '139', ?3, '', 0, 1, ?4)",
            rusqlite::params![i as i64 + 1, format!("1390000{i:04}"), format!("{i:04}"), format!("C{i:07}")],
        )
        .expect("report");
    }
    let bare_one = |i: usize| {
        let tx = conn.unchecked_transaction().expect("tx");
        tx.execute(
            "INSERT INTO ledger (seq, kind, project_id, report_id, amends_seq, recorded_at, body, prev_sha256, row_hmac)
             VALUES (?1, 'visit', 'bench', ?1, NULL, '2026-11-18T02:45:00.000Z', ?2, ?3, ?4)",
            rusqlite::params![i as i64 + 1, body, "0".repeat(64), "1".repeat(64)],
        )
        .expect("insert");
        for (signer, png) in Signer::ALL.into_iter().zip(&pngs) {
            tx.execute(
                "INSERT INTO signatures (ledger_seq, signer, png, png_sha256, width, height, strokes, statement, statement_sha256)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                rusqlite::params![i as i64 + 1, signer.code(), png.bytes, png.sha256_hex, png.width, png.height, strokes, "s", "h"],
            )
            .expect("insert");
        }
        tx.execute("UPDATE reports SET status = 'visited-valid' WHERE id = ?1", [i as i64 + 1]).expect("update");
        tx.execute(
            "INSERT INTO history (project_id, at, at_unix, customer_name, phone, phone_head, phone_tail, source, dedup_key)
             VALUES ('bench', '2026-11-18T10:45:00+08:00', 0, '王小明', ?2, '139', ?3, 'kiosk', ?1)",
            rusqlite::params![
                panke::crypto::sha256_hex(format!("bench|{i}").as_bytes()),
                format!("1390000{i:04}"),
                format!("{i:04}")
            ],
        )
        .expect("insert");
        tx.commit().expect("commit");
    };

    // Alternate batches so that drift in the disk's state affects both alike.
    let (mut panke_secs, mut bare_secs) = (0.0, 0.0);
    for batch in (1..n_records).collect::<Vec<_>>().chunks(50) {
        let start = Instant::now();
        batch.iter().for_each(|&i| panke_one(&mut store, i));
        panke_secs += start.elapsed().as_secs_f64();
        let start = Instant::now();
        batch.iter().for_each(|&i| bare_one(i));
        bare_secs += start.elapsed().as_secs_f64();
    }
    let n = (n_records - 1) as f64;
    assert_eq!(store.verify_ledger().expect("verify"), Ok(n_records as i64));

    let panke_rate = n / panke_secs;
    let bare_rate = n / bare_secs;
    println!("signature PNG sizes: {sizes:?} bytes");
    println!("panke durable check-ins: {panke_rate:8.0}/s  ({:.2} ms each)", 1000.0 / panke_rate);
    println!("bare rusqlite inserts:   {bare_rate:8.0}/s  ({:.2} ms each)", 1000.0 / bare_rate);
    println!("ratio panke / bare:      {:8.2}", panke_rate / bare_rate);
}
