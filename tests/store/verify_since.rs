//! `panke verify --since-checkpoint`: the records after the last verified
//! checkpoint are walked as the full check walks them; what was verified is
//! held to its signed root.

use super::helpers::{World, t};
use super::ledger::drop_triggers;
use panke::store::ledger::{LedgerFault, Since};

fn verified(world: &World) -> u64 {
    let records = world.store.ledger_len().unwrap() as u64;
    world.store.remember_verified(records, t("2026-11-20T00:00:00+08:00")).unwrap().unwrap()
}

fn since(world: &World) -> Result<Since, LedgerFault> {
    world.store.verify_since_checkpoint().unwrap()
}

#[test]
fn without_a_verified_checkpoint_every_record_is_walked() {
    let mut world = World::new();
    world.visits(3);
    assert_eq!(since(&world), Ok(Since { from: 0, walked: 3, total: 3 }));
}

#[test]
fn after_a_verified_checkpoint_only_the_new_records_are_walked() {
    let mut world = World::new();
    world.visits(5);
    assert_eq!(world.store.verify_ledger().unwrap(), Ok(5));
    assert_eq!(verified(&world), 5);
    world.visits(3);
    assert_eq!(since(&world), Ok(Since { from: 5, walked: 3, total: 8 }));
    assert_eq!(verified(&world), 8);
    assert_eq!(since(&world), Ok(Since { from: 8, walked: 0, total: 8 }));
}

#[test]
fn a_new_record_altered_is_caught() {
    let mut world = World::new();
    world.visits(4);
    verified(&world);
    world.visits(2);
    let raw = world.raw();
    drop_triggers(&raw);
    raw.execute("UPDATE ledger SET body = replace(body, '王小明', '王大明') WHERE seq = 6", []).unwrap();
    assert_eq!(since(&world), Err(LedgerFault::Altered { seq: 6 }));
}

#[test]
fn a_rewritten_verified_history_is_caught_by_its_root() {
    let mut world = World::new();
    world.visits(4);
    verified(&world);
    world.visits(1);
    let raw = world.raw();
    raw.execute_batch("DROP TRIGGER merkle_nodes_no_update").unwrap();
    // The subtree of the first four records, which the checkpoint's root is read from.
    raw.execute("UPDATE merkle_nodes SET hash = zeroblob(32) WHERE level = 2 AND idx = 0", []).unwrap();
    assert!(matches!(since(&world), Err(LedgerFault::CheckpointBad { size: 4, .. })), "{:?}", since(&world));
}

#[test]
fn a_node_above_the_new_records_altered_is_caught() {
    let mut world = World::new();
    world.visits(3);
    verified(&world);
    world.visits(5);
    let raw = world.raw();
    raw.execute_batch("DROP TRIGGER merkle_nodes_no_update").unwrap();
    raw.execute("UPDATE merkle_nodes SET hash = zeroblob(32) WHERE level = 2 AND idx = 1", []).unwrap();
    assert_eq!(since(&world), Err(LedgerFault::LogAltered { level: 2, index: 1 }));
}

#[test]
fn records_cut_from_the_end_are_caught() {
    let mut world = World::new();
    world.visits(3);
    verified(&world);
    world.visits(2);
    let raw = world.raw();
    drop_triggers(&raw);
    raw.execute_batch(
        "DROP TRIGGER merkle_nodes_no_delete;
         DELETE FROM signatures WHERE ledger_seq = 5; DELETE FROM ledger WHERE seq = 5;
         DELETE FROM merkle_nodes WHERE level = 0 AND idx = 4;",
    )
    .unwrap();
    assert_eq!(since(&world), Err(LedgerFault::Truncated { expected: 5, found: 4 }));
}

#[test]
fn a_signed_checkpoint_copied_in_without_the_ledger_key_is_refused() {
    let mut world = World::new();
    world.visits(2);
    verified(&world);
    world.visits(3);
    // Every receipt carries a signed checkpoint: one of size 5 is easy to get.
    let receipt = world.store.receipt_for(5).unwrap();
    let raw = world.raw();
    raw.execute(
        "INSERT INTO verified_checkpoints (size, checkpoint, verified_at, seal) VALUES (5, ?1, '2026-11-20T00:00:00Z', 'ab')",
        [serde_json::to_string(&receipt.checkpoint).unwrap()],
    )
    .unwrap();
    assert!(matches!(since(&world), Err(LedgerFault::CheckpointBad { size: 5, .. })), "{:?}", since(&world));
}

#[test]
fn a_verified_checkpoint_whose_records_are_gone_is_a_cut() {
    let mut world = World::new();
    world.visits(4);
    verified(&world);
    let raw = world.raw();
    drop_triggers(&raw);
    raw.execute_batch("DELETE FROM signatures WHERE ledger_seq >= 3; DELETE FROM ledger WHERE seq >= 3;").unwrap();
    assert_eq!(since(&world), Err(LedgerFault::Truncated { expected: 4, found: 2 }));
}
