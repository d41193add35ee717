//! The ledger is append-only, and tampering with it below the triggers is
//! caught by `verify`, naming the first bad record.

use super::helpers::{LEDGER_KEY, TestDeployment, World, t};
use panke::store::ledger::LedgerFault;
use panke::store::{SCHEMA_VERSION, Store, StoreError};

pub(crate) fn drop_triggers(conn: &rusqlite::Connection) {
    conn.execute_batch(
        "DROP TRIGGER ledger_no_update; DROP TRIGGER ledger_no_delete;
         DROP TRIGGER signatures_no_update; DROP TRIGGER signatures_no_delete;",
    )
    .unwrap();
}

pub(crate) fn fault(world: &World) -> LedgerFault {
    world.store.verify_ledger().unwrap().expect_err("tampering went unnoticed")
}

#[test]
fn migrations_run_from_an_empty_file_and_reopen_cleanly() {
    let world = World::new();
    assert_eq!(world.store.schema_version().unwrap(), SCHEMA_VERSION);
    drop(world.store);
    let again = Store::open(&world.path, &LEDGER_KEY).unwrap();
    assert_eq!(again.schema_version().unwrap(), SCHEMA_VERSION);
    let mode: String = again.conn().pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    let sync: i64 = again.conn().pragma_query_value(None, "synchronous", |r| r.get(0)).unwrap();
    assert_eq!(sync, 2, "synchronous=FULL");
}

#[test]
fn an_older_binary_refuses_a_newer_database() {
    let world = World::new();
    world.raw().pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
    drop(world.store);
    match Store::open(&world.path, &LEDGER_KEY) {
        Err(e @ StoreError::SchemaTooNew { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("newer") && msg.contains(&world.path.display().to_string()), "{msg}");
        }
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("opened a newer database"),
    }
}

#[test]
fn triggers_refuse_update_and_delete_of_evidence() {
    let mut world = World::new();
    world.visits(2);
    let raw = world.raw();
    for sql in [
        "UPDATE ledger SET body = '{}' WHERE seq = 1",
        "DELETE FROM ledger WHERE seq = 2",
        "UPDATE signatures SET png = x'00' WHERE ledger_seq = 1",
        "DELETE FROM signatures WHERE ledger_seq = 1",
        "UPDATE audit_log SET detail = 'x'",
        "DELETE FROM audit_log",
    ] {
        let err = raw.execute(sql, []).expect_err(sql).to_string();
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
    assert_eq!(world.store.verify_ledger().unwrap(), Ok(2));
}

#[test]
fn verify_counts_an_intact_ledger_with_amendments() {
    let mut world = World::new();
    world.visits(3);
    let amendment = world
        .store
        .amend(
            2,
            "staff:1",
            "客户姓名笔误",
            serde_json::json!({"customer_name": "王晓明"}),
            t("2026-11-20T10:00:00+08:00"),
        )
        .unwrap();
    assert_eq!(amendment.seq, 4);
    assert_eq!(amendment.amends_seq, Some(2));
    assert_eq!(world.store.verify_ledger().unwrap(), Ok(4));
    // The original stays exactly as it was.
    let original = world.store.ledger_row(2).unwrap();
    assert!(original.body.contains("王小明"));
    assert!(world.store.amend(99, "staff:1", "x", serde_json::json!({}), t("2026-11-20T10:00:00+08:00")).is_err());
    assert!(world.store.amend(1, "staff:1", "  ", serde_json::json!({}), t("2026-11-20T10:00:00+08:00")).is_err());
}

#[test]
fn verify_catches_an_edited_row() {
    let mut world = World::new();
    world.visits(4);
    let raw = world.raw();
    drop_triggers(&raw);
    raw.execute(
        "UPDATE ledger SET body = replace(body, '\"verdict\":\"invalid\"', '\"verdict\":\"valid\"') WHERE seq = 2",
        [],
    )
    .unwrap();
    raw.execute("UPDATE ledger SET body = replace(body, '王小明', '黄小明') WHERE seq = 2", []).unwrap();
    assert_eq!(fault(&world), LedgerFault::Altered { seq: 2 });
}

#[test]
fn verify_catches_a_deleted_row() {
    let mut world = World::new();
    world.visits(4);
    let raw = world.raw();
    drop_triggers(&raw);
    raw.execute("DELETE FROM signatures WHERE ledger_seq = 2", []).unwrap();
    raw.execute("DELETE FROM ledger WHERE seq = 2", []).unwrap();
    assert_eq!(fault(&world), LedgerFault::Removed { previous: 1, expected: 2, found: 3 });
}

#[test]
fn verify_catches_a_deleted_row_renumbered_to_hide_the_gap() {
    let mut world = World::new();
    world.visits(4);
    let raw = world.raw();
    drop_triggers(&raw);
    raw.execute_batch(
        "PRAGMA foreign_keys = OFF;
         DELETE FROM signatures WHERE ledger_seq = 2; DELETE FROM ledger WHERE seq = 2;
         UPDATE ledger SET seq = seq - 1 WHERE seq > 2; UPDATE signatures SET ledger_seq = ledger_seq - 1 WHERE ledger_seq > 2;",
    )
    .unwrap();
    assert_eq!(fault(&world), LedgerFault::Altered { seq: 2 });
}

#[test]
fn verify_catches_two_swapped_rows() {
    let mut world = World::new();
    world.visits(4);
    let raw = world.raw();
    drop_triggers(&raw);
    raw.execute_batch(
        "PRAGMA foreign_keys = OFF;
         UPDATE ledger SET seq = -2 WHERE seq = 2; UPDATE ledger SET seq = 2 WHERE seq = 3; UPDATE ledger SET seq = 3 WHERE seq = -2;",
    )
    .unwrap();
    assert_eq!(fault(&world), LedgerFault::Altered { seq: 2 });
}

#[test]
fn verify_catches_a_row_inserted_without_the_key() {
    let mut world = World::new();
    world.visits(2);
    let raw = world.raw();
    let last = world.store.ledger_row(2).unwrap();
    raw.execute(
        "INSERT INTO ledger (seq, kind, project_id, report_id, amends_seq, recorded_at, body, prev_sha256, row_hmac)
         VALUES (3, 'visit', 'demo', NULL, NULL, ?1, '{\"verdict\":{\"verdict\":\"valid\"}}', ?2, ?3)",
        rusqlite::params![last.recorded_at, last.sha256_hex(), "00".repeat(32)],
    )
    .unwrap();
    assert_eq!(fault(&world), LedgerFault::Altered { seq: 3 });
}

#[test]
fn verify_catches_records_removed_from_the_end() {
    let mut world = World::new();
    world.visits(3);
    let raw = world.raw();
    drop_triggers(&raw);
    raw.execute_batch("DELETE FROM signatures WHERE ledger_seq = 3; DELETE FROM ledger WHERE seq = 3;").unwrap();
    assert_eq!(fault(&world), LedgerFault::Truncated { expected: 3, found: 2 });
}

#[test]
fn verify_catches_a_replaced_signature_image() {
    let mut world = World::new();
    world.visits(2);
    let raw = world.raw();
    drop_triggers(&raw);
    let other = panke::demo::signature_png(77);
    raw.execute(
        "UPDATE signatures SET png = ?1, png_sha256 = ?2 WHERE ledger_seq = 1 AND signer = 'agent'",
        rusqlite::params![other, panke::crypto::sha256_hex(&other)],
    )
    .unwrap();
    assert_eq!(fault(&world), LedgerFault::SignatureAltered { seq: 1, signer: "agent".into() });
}

#[test]
fn panke_verify_command_reports_count_or_first_bad_record() {
    let dep = TestDeployment::demo_and_other();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_panke"))
            .arg("--config")
            .arg(dep.config_dir())
            .args(args)
            .output()
            .unwrap()
    };
    let soak = run(&["soak-checkins", "--project", "demo", "--count", "3"]);
    assert!(soak.status.success(), "{}", String::from_utf8_lossy(&soak.stderr));
    let ok = run(&["verify"]);
    assert!(ok.status.success());
    assert!(String::from_utf8_lossy(&ok.stdout).contains("3 records"));
    let raw = rusqlite::Connection::open(dep.db_path()).unwrap();
    drop_triggers(&raw);
    raw.execute("UPDATE ledger SET recorded_at = '2020-01-01T00:00:00.000Z' WHERE seq = 2", []).unwrap();
    let bad = run(&["verify"]);
    assert!(!bad.status.success());
    let msg = String::from_utf8_lossy(&bad.stderr);
    assert!(msg.contains("record 2") && msg.contains("altered"), "{msg}");
}
