//! Signatures since issue 16: the strokes are the record (compact, sealed),
//! the image is drawn from them; records from before keep their PNG and
//! still verify and display. And what a visit costs on disk.

use super::helpers::{FACTS, TestDeployment, World};
use super::ledger::{drop_triggers, fault};
use panke::domain::judge::Signer;
use panke::domain::signature::validate_png;
use panke::store::ledger::LedgerFault;

/// The issue's budget: a visit with its three signatures and everything
/// else it writes.
const BYTES_PER_VISIT: u64 = 12 * 1024;

/// The database's size once the WAL is folded in: page count × page size.
fn size_on_disk(path: &std::path::Path) -> u64 {
    let raw = rusqlite::Connection::open(path).unwrap();
    raw.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").unwrap();
    let pages: i64 = raw.pragma_query_value(None, "page_count", |r| r.get(0)).unwrap();
    let page: i64 = raw.pragma_query_value(None, "page_size", |r| r.get(0)).unwrap();
    (pages * page) as u64
}

#[test]
fn a_visit_with_three_realistic_signatures_takes_at_most_12_kb() {
    let mut world = World::new();
    world.visits(20);
    let before = size_on_disk(&world.path);
    world.visits(120);
    let per_visit = (size_on_disk(&world.path) - before) / 100;
    println!("{per_visit} bytes a visit");
    assert!(per_visit <= BYTES_PER_VISIT, "{per_visit} bytes a visit");
    // The signatures themselves: strokes and statement, no image.
    let raw = world.raw();
    let (pngs, pens, points): (i64, i64, i64) = raw
        .query_row(
            "SELECT sum(length(png)), sum(length(pen)), count(*) FROM signatures WHERE pen IS NOT NULL",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(pngs, 0, "no image is stored for a signature recorded as strokes");
    assert!(pens / points < 2_000, "{} bytes of strokes a signature", pens / points);
}

#[test]
fn soak_checkins_grow_the_database_by_at_most_12_kb_a_visit() {
    let dep = TestDeployment::demo_and_other();
    let soak = |count: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_panke"))
            .arg("--config")
            .arg(dep.config_dir())
            .args(["soak-checkins", "--project", "demo", "--count", count])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    soak("20");
    let db = dep.db_path();
    let before = size_on_disk(&db);
    soak("300");
    let per_visit = (size_on_disk(&db) - before) / 300;
    println!("{per_visit} bytes a visit");
    assert!(per_visit <= BYTES_PER_VISIT, "{per_visit} bytes a visit");
}

#[test]
fn a_signature_is_shown_drawn_from_its_strokes() {
    let mut world = World::new();
    world.visits(1);
    let png = world.store.signature_png(1, Signer::Agent).unwrap();
    let shown = validate_png(png).expect("a signature image with ink");
    assert_eq!((shown.width, shown.height), (600, 240));
    assert_eq!(world.store.verify_ledger().unwrap(), Ok(1));
}

#[test]
fn verify_catches_replaced_strokes() {
    let mut world = World::new();
    world.visits(2);
    let raw = world.raw();
    drop_triggers(&raw);
    let other = panke::demo::signature_pen(77).unwrap();
    raw.execute("UPDATE signatures SET pen = ?1 WHERE ledger_seq = 2 AND signer = 'sales'", [other.bytes()]).unwrap();
    assert_eq!(fault(&world), LedgerFault::SignatureAltered { seq: 2, signer: "sales".into() });
}

#[test]
fn verify_catches_an_image_slipped_beside_the_strokes() {
    let mut world = World::new();
    world.visits(1);
    let raw = world.raw();
    drop_triggers(&raw);
    raw.execute(
        "UPDATE signatures SET png = ?1 WHERE ledger_seq = 1 AND signer = 'customer'",
        [panke::demo::signature_png(5)],
    )
    .unwrap();
    assert_eq!(fault(&world), LedgerFault::SignatureAltered { seq: 1, signer: "customer".into() });
}

#[test]
fn a_record_stored_before_issue_16_still_verifies_and_shows_its_own_png() {
    let mut world = World::new();
    let report = world.file(world.agent, "13800001234", "2026-11-18T10:00:00+08:00");
    let png = validate_png(panke::demo::signature_png(3)).unwrap();
    let mut req = world.request("demo", Some(&report), "13800001234");
    req.signatures =
        panke::demo::legacy_signatures(std::slice::from_ref(&png), &panke::demo::signature_strokes(3), &FACTS);
    let at = super::helpers::t("2026-11-18T10:45:00+08:00");
    let outcome = world.store.record_checkin(req, &world.rules, at).unwrap();
    // Sealed as before: the image's and the strokes' JSON hashes.
    let body: serde_json::Value = serde_json::from_str(&outcome.row.body).unwrap();
    let first = &body["signatures"][0];
    assert_eq!(first["png_sha256"], png.sha256_hex.as_str());
    assert!(first.get("strokes_sha256").is_some() && first.get("pen_sha256").is_none());
    world.visits(2);
    assert_eq!(world.store.verify_ledger().unwrap(), Ok(3));
    assert_eq!(world.store.signature_png(1, Signer::Customer).unwrap(), png.bytes);
    // And tampering with it is still caught.
    let raw = world.raw();
    drop_triggers(&raw);
    raw.execute("UPDATE signatures SET strokes = '[]' WHERE ledger_seq = 1 AND signer = 'agent'", []).unwrap();
    assert_eq!(fault(&world), LedgerFault::SignatureAltered { seq: 1, signer: "agent".into() });
}
