//! Durable visit commits: `cargo bench --bench ledger`.
//!
//! panke's full check-in transaction (load the report and the customer's
//! records, judge, canonical JSON, hash chain + HMAC, three signatures'
//! strokes, report status, history row, fsync'd WAL commit, head
//! file) against a bare rusqlite insert of the same rows with the same
//! pragmas. Both on the same disk, one after the other.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod support;

use chrono::{DateTime, Duration, Utc};
use panke::domain::name::CustomerName;
use panke::domain::phone::{CustomerPhone, Phone};
use panke::domain::rules::Rules;
use panke::domain::signature::StatementFacts;
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
use std::time::Instant;

fn store_body(store: &Store) -> String {
    store.ledger_row(1).expect("first record").body
}

fn main() {
    let n_records = support::size(400, 20);
    let dir = tempfile::tempdir().expect("temp dir");

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

    // The kiosk's signatures arrive parsed (the handler checks them before
    // the write): made beforehand, outside the timed commits.
    let mut signed: Vec<Vec<_>> =
        (0..n_records).map(|i| panke::demo::signatures(i as u64 * 3, &BENCH_FACTS).expect("signatures")).collect();
    let mut panke_one = |store: &mut Store, i: usize| {
        let req = CheckInRequest::accompanied(
            "bench",
            Some(reports[i].id),
            CustomerName::parse("王小明").expect("name"),
            Phone::parse(&format!("1390000{i:04}")).expect("phone"),
            std::mem::take(&mut signed[i]),
        );
        store.record_checkin(req, &rules, now + Duration::minutes(45)).expect("check-in");
    };

    // --- bare rusqlite, same rows, same pragmas (support::BareInsert) ---
    // A first panke record gives the body the bare side writes.
    panke_one(&mut store, 0);
    let mut bare = support::BareInsert::new(dir.path(), store_body(&store), n_records);
    let mut bare_one = |_: usize| bare.insert_one();

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
    println!("panke durable check-ins: {panke_rate:8.0}/s  ({:.2} ms each)", 1000.0 / panke_rate);
    println!("bare rusqlite inserts:   {bare_rate:8.0}/s  ({:.2} ms each)", 1000.0 / bare_rate);
    println!("ratio panke / bare:      {:8.2}", panke_rate / bare_rate);
}
