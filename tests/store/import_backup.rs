//! History import (all or nothing, idempotent) and online backup.

use super::helpers::{LEDGER_KEY, World, local, t};
use panke::domain::phone::Phone;
use panke::store::Store;
use panke::store::history::{HistoryImport, ImportError};

const GOOD: &str = "time,name,phone,source\n\
2026-11-01 15:00,王小明,13812345678,来访登记\n\
2026-11-02T10:00:00+08:00,,139****5678,人脸识别\n\
2026/11/03 09:30,李雷,+86 137 0000 0001,\n";

fn import(w: &mut World, text: &str) -> Result<panke::store::history::ImportSummary, ImportError> {
    let job =
        HistoryImport { project_id: "demo", tz: w.rules.timezone, default_source: "import:test.csv", actor: "cli" };
    w.store.import_history(&job, text.as_bytes(), t("2026-11-20T00:00:00Z"), |_| {})
}

#[test]
fn importing_the_same_file_twice_adds_nothing_the_second_time() {
    let mut w = World::new();
    let first = import(&mut w, GOOD).unwrap();
    assert_eq!((first.lines, first.added, first.already_present), (3, 3, 0));
    let second = import(&mut w, GOOD).unwrap();
    assert_eq!((second.lines, second.added, second.already_present), (3, 0, 3));
    let history = w
        .store
        .history_of("demo", &Phone::parse("13812345678").unwrap(), local(&w.rules, t("2026-11-20T00:00:00Z")))
        .unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].at.to_rfc3339(), "2026-11-01T15:00:00+08:00", "local times are read in the project's zone");
    let audit = w.store.audit_entries(5).unwrap();
    assert!(audit.iter().any(|a| a.action == "history.import" && a.detail.contains("0 added")));
}

#[test]
fn bad_lines_are_reported_by_number_and_nothing_is_half_imported() {
    let mut w = World::new();
    let text = format!("{GOOD}yesterday,王,13812345678,x\n2026-11-04 10:00,王,12345,x\n2026-11-04 10:00,王,,x\n");
    match import(&mut w, &text) {
        Err(ImportError::BadLines(lines)) => {
            let numbers: Vec<u64> = lines.iter().map(|l| l.line).collect();
            assert_eq!(numbers, vec![5, 6, 7]);
            assert!(lines[0].message.contains("time"));
            assert!(lines[1].message.contains("mobile"));
            assert!(lines[2].message.contains("missing"));
        }
        other => panic!("expected bad lines, got {other:?}"),
    }
    let count: i64 = w.raw().query_row("SELECT count(*) FROM history", [], |r| r.get(0)).unwrap();
    assert_eq!(count, 0);
}

#[test]
fn a_file_without_the_columns_is_refused() {
    let mut w = World::new();
    assert!(matches!(import(&mut w, "a,b,c\n1,2,3\n"), Err(ImportError::Csv(_))));
}

#[test]
fn imported_history_makes_a_later_visit_visited_before() {
    let mut w = World::new();
    import(&mut w, GOOD).unwrap();
    let r = w.file(w.agent, "13812345678", "2026-11-10T10:00:00+08:00");
    let out = w.check_in(Some(&r), "13812345678", "2026-11-10T10:45:00+08:00");
    assert_eq!(out.reason_codes(), vec!["VISITED_BEFORE"]);
}

#[test]
fn a_backup_restores_to_a_database_that_verifies() {
    let mut w = World::new();
    w.visits(5);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("backup.db");
    let records = w.store.backup_to(&dest, |_, _| {}).unwrap();
    assert_eq!(records, 5);
    assert!(w.store.backup_to(&dest, |_, _| {}).is_err(), "never overwrites");
    // Restore: the backup file becomes the database.
    let restored_path = dir.path().join("restored.db");
    std::fs::copy(&dest, &restored_path).unwrap();
    std::fs::copy(dir.path().join("backup.db.head"), dir.path().join("restored.db.head")).unwrap();
    let restored = Store::open(&restored_path, &LEDGER_KEY).unwrap();
    assert_eq!(restored.verify_ledger().unwrap(), Ok(5));
    assert_eq!(restored.ledger_row(3).unwrap(), w.store.ledger_row(3).unwrap());
}

#[test]
fn a_backup_taken_while_visits_are_recorded_is_consistent() {
    let mut w = World::new();
    w.visits(3);
    let path = w.path.clone();
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("live.db");
    let dest2 = dest.clone();
    let backup = std::thread::spawn(move || {
        let reader = Store::open(&path, &LEDGER_KEY).unwrap();
        reader.backup_to(&dest2, |_, _| {}).unwrap()
    });
    w.visits(3);
    let records = backup.join().unwrap();
    let copy = Store::open(&dest, &LEDGER_KEY).unwrap();
    assert_eq!(copy.verify_ledger().unwrap(), Ok(records));
}
