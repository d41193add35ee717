//! A database written by release 0.1 (`tests/fixtures/release-0.1/`: two
//! reported visits, a walk-in and an amendment, sealed with the key
//! `[42; 32]`) still verifies, parses into the typed record and renders,
//! byte for byte as it was sealed.

use super::helpers::{staff_sign_in, t};
use crate::support::{TestDeployment, serve};
use panke::clock::{Clock, FixedClock};
use panke::store::people::{NewStaff, Role};
use panke::wire::record::{self, AmendmentBody, RecordBody};
use std::path::Path;
use std::sync::Arc;

const LEDGER_KEY: [u8; 32] = [42; 32];

fn fixture() -> TestDeployment {
    let dep = TestDeployment::demo_and_other();
    let db = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/release-0.1/panke.db");
    dep.install_database(&db, &LEDGER_KEY, t("2026-11-20T10:00:00+08:00"));
    dep
}

#[test]
fn every_release_0_1_body_parses_and_reserialises_to_its_sealed_bytes() {
    let dep = fixture();
    let store = dep.context(t("2026-11-20T10:00:00+08:00")).open_store_plain().unwrap();
    assert_eq!(store.verify_ledger().unwrap(), Ok(4));
    for seq in 1..=4 {
        let row = store.ledger_row(seq).unwrap();
        let again = if row.kind == "visit" {
            let body: RecordBody = row.visit_body().unwrap();
            assert_eq!(body.version, None, "0.1 bodies have no version");
            record::canonical(&body).unwrap()
        } else {
            let body: AmendmentBody = row.amendment_body().unwrap();
            assert_eq!(body.amends, 1);
            record::canonical(&body).unwrap()
        };
        assert_eq!(serde_json::to_string(&again).unwrap(), row.body, "record {seq}");
    }
}

#[test]
fn panke_verify_accepts_the_release_0_1_ledger() {
    let dep = fixture();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_panke"))
        .arg("--config")
        .arg(dep.config_dir())
        .arg("verify")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains('4'), "{text}");
}

#[tokio::test]
async fn the_release_0_1_records_display_on_the_sheet_and_verification_page() {
    let dep = fixture();
    let now = t("2026-11-20T10:00:00+08:00");
    let ctx = dep.context(now);
    let store = ctx.open_store(now).unwrap();
    let manager = NewStaff {
        project_id: Some("demo"),
        login: "manager",
        name: "经理",
        role: Role::Manager,
        password: Some("a long password"),
        pin: None,
    };
    store.create_staff(&manager, now).unwrap();
    let base = serve(ctx, Arc::new(FixedClock::new(now)) as Arc<dyn Clock>, 1).await;
    let http =
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    staff_sign_in(&http, &base, "manager", "a long password").await;
    let get = |path: String| {
        let http = http.clone();
        async move {
            let r = http.get(path).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (status, sheet) = get(format!("{base}/records/1/sheet")).await;
    assert_eq!(status, 200, "{sheet}");
    for expected in
        ["王晓明", "139****5678", "链家-天河店", "张三", "赵判客", "钱顾问", "2026-11-18 10:45", "2026-12-03 10:45"]
    {
        assert!(sheet.contains(expected), "sheet of record 1 lacks {expected}");
    }
    assert!(!sheet.contains("13912345678"), "the developer's copy masks the phone");
    let (_, late) = get(format!("{base}/records/2/sheet")).await;
    assert!(late.contains("中原-体育西") && late.contains("137****5678"));
    let (_, walk_in) = get(format!("{base}/records/3/sheet")).await;
    assert!(walk_in.contains("136****5678"));
    let (status, verify) = get(format!("{base}/records/1")).await;
    assert_eq!(status, 200);
    assert!(verify.contains("客户姓名录入有误"), "the amendment is shown with its reason");
    // The 0.1 amendment takes effect after the upgrade (schema 10): the
    // sheet shows the corrected name, the record page both.
    assert!(verify.contains("王晓明") && verify.contains("王小明"), "{verify}");
    assert!(verify.contains("139****5678"));
}

/// A release 0.1 database gets its Merkle log at start-up; a receipt of
/// its last record holds with `panke verify --receipt`, and once that record
/// is cut, the same receipt says so (exit 3).
#[test]
fn panke_verify_checks_a_receipt_of_an_old_record_and_notices_it_cut() {
    let dep = fixture();
    let mut store = dep.context(t("2026-11-20T10:00:00+08:00")).open_store(t("2026-11-20T10:00:00+08:00")).unwrap();
    let receipt = store.receipt_for(4).unwrap();
    let file = dep.config_dir().join("receipt.json");
    std::fs::write(&file, serde_json::to_string_pretty(&receipt).unwrap()).unwrap();
    let run = || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_panke"))
            .arg("--config")
            .arg(dep.config_dir())
            .arg("verify")
            .arg("--receipt")
            .arg(&file)
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr))
    };
    let (code, text) = run();
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains(&receipt.code()), "{text}");
    store.catch_up_log().unwrap();
    drop(store);
    let raw = rusqlite::Connection::open(dep.db_path()).unwrap();
    raw.execute_batch(
        "DROP TRIGGER ledger_no_delete; DROP TRIGGER signatures_no_delete;
         DELETE FROM signatures WHERE ledger_seq = 4; DELETE FROM ledger WHERE seq = 4;",
    )
    .unwrap();
    let (code, text) = run();
    assert_eq!(code, Some(3), "{text}");
    assert!(text.contains("NOT hold") && text.contains("4"), "{text}");
}
