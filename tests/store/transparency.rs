//! Evidence that outlives the server: every way of making the newest
//! records disappear, or of rewriting history, is caught by a receipt (or
//! a checkpoint) handed out earlier — even when the database's own checks
//! pass, because whoever can write the database can also keep it
//! self-consistent.

use super::helpers::{LEDGER_KEY, World};
use chrono::Duration;
use panke::domain::merkle;
use panke::domain::transparency::{Receipt, parse_hash};
use panke::store::Store;
use panke::store::ledger::{LedgerFault, ReceiptFault};

fn drop_every_trigger(conn: &rusqlite::Connection) {
    for t in [
        "ledger_no_update",
        "ledger_no_delete",
        "signatures_no_update",
        "signatures_no_delete",
        "merkle_nodes_no_update",
        "merkle_nodes_no_delete",
    ] {
        conn.execute_batch(&format!("DROP TRIGGER IF EXISTS {t}")).unwrap();
    }
}

/// Removes the newest record and everything the log keeps of it: its
/// leaf and the subtrees it completed.
fn cut_newest(conn: &rusqlite::Connection) -> i64 {
    drop_every_trigger(conn);
    let seq: i64 = conn.query_row("SELECT max(seq) FROM ledger", [], |r| r.get(0)).unwrap();
    let leaf = seq - 1;
    conn.execute("DELETE FROM signatures WHERE ledger_seq = ?1", [seq]).unwrap();
    conn.execute("DELETE FROM ledger WHERE seq = ?1", [seq]).unwrap();
    // Node (level, idx) covers leaves [idx << level, (idx + 1) << level).
    conn.execute("DELETE FROM merkle_nodes WHERE ((idx + 1) << level) - 1 = ?1", [leaf]).unwrap();
    seq
}

fn visit_at(world: &mut World, i: i64, phone: &str) -> panke::store::checkin::CheckInOutcome {
    let filed = super::helpers::t("2026-11-18T10:00:00+08:00") + Duration::hours(i);
    let r = world.file(world.agent, phone, &filed.to_rfc3339());
    world.check_in(Some(&r), phone, &(filed + Duration::minutes(45)).to_rfc3339())
}

#[test]
fn every_check_in_hands_out_a_receipt_that_holds_and_later_checkpoints_extend_it() {
    let mut world = World::new();
    let mut receipts: Vec<Receipt> = Vec::new();
    for i in 0..5 {
        let outcome = visit_at(&mut world, i, &format!("1380000{i:04}"));
        let receipt = outcome.receipt.expect("a check-in hands out a receipt");
        assert_eq!(receipt.record, outcome.row.seq as u64);
        assert_eq!(receipt.checkpoint.size, outcome.row.seq as u64, "its own append's checkpoint");
        assert_eq!(receipt.verify(&world.store.checkpoint_public_key()), Ok(()));
        // Read by the writer, signed after: the very receipt the record has.
        assert_eq!(receipt, world.store.receipt_for(outcome.row.seq).unwrap());
        receipts.push(receipt);
    }
    for r in &receipts {
        assert_eq!(world.store.check_receipt(r).unwrap(), Ok(()), "{}", r.code());
    }
    // Whoever kept checkpoint 2 can check that checkpoint 5 only added records.
    let (two, five) = (world.store.checkpoint(2).unwrap().unwrap(), world.store.latest_checkpoint().unwrap().unwrap());
    let proof: Vec<_> = world.store.consistency_proof(2, 5).unwrap().iter().map(|h| parse_hash(h).unwrap()).collect();
    let (r2, r5) = (two.root_hash().unwrap(), five.root_hash().unwrap());
    assert!(merkle::verify_consistency(2, 5, &r2, &r5, &proof));
    assert!(!merkle::verify_consistency(2, 5, &r5, &r2, &proof));
    assert_eq!(world.store.verify_ledger().unwrap(), Ok(5));
}

#[test]
fn cutting_the_newest_record_with_the_service_stopped_is_caught_by_its_receipt_and_the_head_file() {
    let mut world = World::new();
    world.visits(4);
    let receipt = world.store.receipt_for(4).unwrap();
    drop(world.store);
    let raw = rusqlite::Connection::open(&world.path).unwrap();
    assert_eq!(cut_newest(&raw), 4);
    // The head file's slot of record 4 blanked (the audit's H1).
    let head = format!("{}.head", world.path.display());
    let mut bytes = std::fs::read(&head).unwrap();
    bytes[..256].fill(b' ');
    std::fs::write(&head, bytes).unwrap();
    let store = Store::open(&world.path, &LEDGER_KEY).unwrap();
    assert!(matches!(store.verify_ledger().unwrap(), Err(LedgerFault::HeadDamaged { .. })));
    assert_eq!(store.check_receipt(&receipt).unwrap(), Err(ReceiptFault::Shrunk { expected: 4, found: 3 }));
    // Without any head file at all, verify refuses as well.
    std::fs::remove_file(&head).unwrap();
    assert_eq!(store.verify_ledger().unwrap(), Err(LedgerFault::HeadMissing));
}

#[test]
fn cutting_the_newest_record_while_the_service_runs_is_caught_by_its_receipt() {
    let mut world = World::new();
    world.visits(4);
    let receipt = world.store.receipt_for(4).unwrap();
    // Deleted behind the running service's back; the next check-in takes
    // the same number, and the database is whole again (the audit's H1).
    cut_newest(&world.raw());
    visit_at(&mut world, 9, "13900000009");
    assert_eq!(world.store.verify_ledger().unwrap(), Ok(4), "the database alone cannot tell");
    assert_eq!(world.store.check_receipt(&receipt).unwrap(), Err(ReceiptFault::RecordChanged { record: 4 }));
}

#[test]
fn an_older_backup_put_back_with_its_head_file_is_caught_by_a_later_receipt() {
    let mut world = World::new();
    world.visits(2);
    let backup = world.path.with_file_name("older.db");
    world.store.backup_to(&backup, |_, _| {}).unwrap();
    for i in 2..4 {
        visit_at(&mut world, i, &format!("1390000{i:04}"));
    }
    let receipt = world.store.receipt_for(4).unwrap();
    drop(world.store);
    // The audit's M6: the database and its head file replaced by the pair.
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", world.path.display()));
    }
    std::fs::copy(&backup, &world.path).unwrap();
    std::fs::copy(format!("{}.head", backup.display()), format!("{}.head", world.path.display())).unwrap();
    let store = Store::open(&world.path, &LEDGER_KEY).unwrap();
    assert_eq!(store.verify_ledger().unwrap(), Ok(2), "the database alone cannot tell");
    assert_eq!(store.check_receipt(&receipt).unwrap(), Err(ReceiptFault::Shrunk { expected: 4, found: 2 }));
}

#[test]
fn history_rewritten_and_resealed_with_the_server_key_is_caught_by_an_earlier_receipt() {
    // The real history: three visits; the agency of the first keeps a
    // receipt that its checkpoint (of all three) signed.
    let mut world = World::new();
    for i in 0..3 {
        visit_at(&mut world, i, &format!("1380000{i:04}"));
    }
    let first_in_three = world.store.receipt(1, Some(3)).unwrap();
    let third = world.store.receipt_for(3).unwrap();
    // Someone with the server's keys writes a new ledger: the same first
    // visit, others after it, every seal, link, leaf and checkpoint made
    // with the real key — a database that verifies.
    let mut forged = World::new();
    visit_at(&mut forged, 0, "13800000000");
    visit_at(&mut forged, 1, "13700000001");
    visit_at(&mut forged, 2, "13700000002");
    assert_eq!(forged.store.verify_ledger().unwrap(), Ok(3));
    assert_eq!(forged.store.ledger_row(1).unwrap(), world.store.ledger_row(1).unwrap(), "record 1 is the same");
    assert_eq!(first_in_three.verify(&forged.store.checkpoint_public_key()), Ok(()), "the same key");
    assert_eq!(forged.store.check_receipt(&first_in_three).unwrap(), Err(ReceiptFault::HistoryRewritten { size: 3 }));
    assert_eq!(forged.store.check_receipt(&third).unwrap(), Err(ReceiptFault::RecordChanged { record: 3 }));
}

#[test]
fn a_receipt_with_a_forged_checkpoint_or_proof_is_refused_on_its_own() {
    let mut world = World::new();
    world.visits(3);
    let good = world.store.receipt_for(2).unwrap();
    let mut bigger = good.clone();
    bigger.checkpoint.size = 3;
    assert!(matches!(world.store.check_receipt(&bigger).unwrap(), Err(ReceiptFault::Receipt(_))));
    let mut other = good.clone();
    other.record_hash = world.store.ledger_row(1).unwrap().sha256_hex();
    assert!(matches!(world.store.check_receipt(&other).unwrap(), Err(ReceiptFault::Receipt(_))));
}

#[test]
fn the_log_is_append_only_and_checked_by_verify() {
    let mut world = World::new();
    world.visits(3);
    let raw = world.raw();
    for sql in ["DELETE FROM merkle_nodes", "UPDATE merkle_nodes SET hash = zeroblob(32)"] {
        let err = raw.execute(sql, []).expect_err(sql).to_string();
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
    drop_every_trigger(&raw);
    raw.execute("UPDATE merkle_nodes SET hash = zeroblob(32) WHERE level = 1 AND idx = 0", []).unwrap();
    assert_eq!(world.store.verify_ledger().unwrap(), Err(LedgerFault::LogAltered { level: 1, index: 0 }));
}

#[test]
fn verify_recomputes_statement_texts_and_image_sizes() {
    let mut world = World::new();
    world.visits(2);
    let raw = world.raw();
    drop_every_trigger(&raw);
    raw.execute("UPDATE signatures SET statement = '本人确认什么也没看' WHERE ledger_seq = 1 AND signer = 'agent'", [])
        .unwrap();
    assert!(matches!(world.store.verify_ledger().unwrap(), Err(LedgerFault::SignatureAltered { seq: 1, .. })));
}

#[test]
fn a_database_from_before_the_log_catches_up_and_its_records_get_receipts() {
    let mut world = World::new();
    world.visits(3);
    let raw = world.raw();
    drop_every_trigger(&raw);
    raw.execute_batch("DELETE FROM merkle_nodes;").unwrap();
    world.store.catch_up_log().unwrap();
    assert_eq!(world.store.verify_ledger().unwrap(), Ok(3));
    let receipt = world.store.receipt_for(2).unwrap();
    assert_eq!(receipt.checkpoint.size, 2, "the tree its append ended");
    assert_eq!(world.store.check_receipt(&receipt).unwrap(), Ok(()));
}

#[test]
fn the_audit_log_has_its_own_chain_and_verify_walks_it() {
    let mut world = World::new();
    world.visits(1);
    let now = super::helpers::t("2026-11-20T09:00:00+08:00");
    for i in 0..3 {
        world.store.audit(now, "staff:1", "test.entry", Some("demo"), &format!("entry {i}")).unwrap();
    }
    assert_eq!(world.store.verify_ledger().unwrap(), Ok(1));
    let raw = world.raw();
    raw.execute_batch("DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;").unwrap();
    let middle: i64 = raw.query_row("SELECT id FROM audit_log WHERE detail = 'entry 1'", [], |r| r.get(0)).unwrap();
    raw.execute("DELETE FROM audit_log WHERE id = ?1", [middle]).unwrap();
    assert_eq!(world.store.verify_ledger().unwrap(), Err(LedgerFault::AuditAltered { id: middle + 1 }));
}

/// The audit's L8: the database, its head file and backups (with theirs)
/// are readable by the service's user only.
#[test]
fn the_database_head_and_backups_are_the_service_users_only() {
    use std::os::unix::fs::PermissionsExt;
    let mut world = World::new();
    world.visits(2);
    let backup = world.path.with_file_name("backup.db");
    world.store.backup_to(&backup, |_, _| {}).unwrap();
    let head = |p: &std::path::Path| std::path::PathBuf::from(format!("{}.head", p.display()));
    for file in [world.path.clone(), head(&world.path), backup.clone(), head(&backup)] {
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", file.display());
    }
}
