//! 重新判定 and 假如: every visit record — the demo's weeks of visits, the
//! release 0.1 fixture, a fresh check-in — judged again with the rules it
//! keeps gives what it recorded; a what-if is shown, never recorded; only
//! the project's managers and admins open the page.

use super::helpers::{AGENT_PHONE, TestApp, staff_sign_in, t};
use super::kiosk::{Kiosk, staff};
use crate::support::TestDeployment;
use panke::domain::token::ReportId;
use panke::service::replay::judge_again;
use panke::store::Store;
use panke::store::people::{NewStaff, Role};
use serde_json::json;
use std::path::Path;

/// Judges every visit record of `store` again, asserting each gives what
/// it recorded; returns (visit records, valid ones).
fn replay_all(store: &Store) -> (usize, usize) {
    let (mut records, mut valid) = (0, 0);
    for seq in 1..=store.ledger_len().unwrap() {
        let row = store.ledger_row(seq).unwrap();
        if row.kind != "visit" {
            continue;
        }
        let r = judge_again(&row).unwrap_or_else(|e| panic!("record {seq}: {e}"));
        assert!(r.same, "record {seq}: recorded {:?}, judged again {:?} ({:?})", r.recorded, r.replayed, r.differences);
        records += 1;
        valid += usize::from(r.replayed.is_valid());
    }
    (records, valid)
}

#[test]
fn every_visit_record_of_the_demo_judged_again_gives_its_recorded_verdict() {
    let now = t("2026-11-18T10:00:00+08:00");
    let deployment = TestDeployment::demo_and_other();
    let ctx = deployment.context(now);
    let mut store = ctx.open_store(now).unwrap();
    let project = ctx.deployment.project("demo").expect("the demo project");
    panke::demo::seed(&mut store, &project.id, project.rules.timezone, &ctx.key_ring, now).unwrap();
    let seeded = panke::demo::seed_history(&mut store, project, &ctx.key_ring, now).unwrap();
    let (records, valid) = replay_all(&store);
    assert!(records > 100, "{records} visit records judged again (the demo seeded {seeded:?})");
    assert!(valid > 0 && valid < records, "valid visits and natural visits both: {valid} of {records}");
}

#[test]
fn the_release_0_1_records_judged_again_give_their_recorded_verdicts() {
    let now = t("2026-11-20T10:00:00+08:00");
    let dep = TestDeployment::demo_and_other();
    let db = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/release-0.1/panke.db");
    dep.install_database(&db, &[42; 32], now);
    let store = dep.context(now).open_store_plain().unwrap();
    assert_eq!(replay_all(&store), (3, 1), "a valid visit, a late one and a walk-in");
}

/// An agent's report filed at the clock's time, checked in at `at`: the
/// record's number.
async fn checked_in(app: &TestApp, kiosk: &Kiosk<'_>, phone: &str, at: &str) -> i64 {
    let agent = app.signed_in(AGENT_PHONE).await;
    let id = app.filed_id(&agent, "demo", "王先生", phone).await;
    let r = app.store.report(ReportId(id)).unwrap();
    let token = app.key_ring.sign_with(r.key_id, r.id, r.filed_at.to_utc()).unwrap();
    app.clock.set(t(at));
    kiosk.scan(&token).await;
    let (status, v) = kiosk.check_in(Some(&token), phone, json!({})).await;
    assert_eq!(status, 200, "{v}");
    v["record"].as_i64().unwrap()
}

async fn signed_in_staff(app: &TestApp, project: &str, login: &str, role: Role) -> reqwest::Client {
    staff(app, project, login, role, "9999");
    let c = app.browser();
    staff_sign_in(&c, &app.base, login, "a long password").await;
    c
}

#[tokio::test]
async fn the_replay_page_agrees_with_the_record_and_a_what_if_changes_the_verdict_without_recording_it() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    // Reported at 10:00, at the desk at 10:10: too late for 30 minutes.
    let seq = checked_in(&app, &kiosk, "13812345678", "2026-11-18T10:10:00+08:00").await;
    let boss = signed_in_staff(&app, "demo", "boss-demo", Role::Manager).await;
    let (_, record) = app.get_text(&boss, &format!("/records/{seq}")).await;
    assert!(record.contains(&format!("href=\"/records/{seq}/replay\" id=\"judge-again\"")), "{record}");

    let (status, page) = app.get_text(&boss, &format!("/records/{seq}/replay")).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("id=\"replay-same\">一致<") && !page.contains("id=\"replay-different\""), "{page}");
    assert!(page.contains("id=\"recorded\" data-verdict=\"invalid\""), "{page}");
    assert!(page.contains("id=\"replayed\" data-verdict=\"invalid\""), "{page}");
    assert_eq!(page.matches("data-reason=\"REPORT_TOO_LATE\"").count(), 2, "recorded and judged again: {page}");
    assert!(page.contains("报备过晚"), "the reason in Chinese: {page}");
    assert!(page.contains("data-key=\"min_gap_minutes\">30<"), "the rules judged by: {page}");
    assert!(!page.contains("id=\"what-if-result\""), "no question, no what-if");

    let ledger = app.store.ledger_len().unwrap();
    let (status, page) = app.get_text(&boss, &format!("/records/{seq}/replay?min_gap_minutes=5")).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("id=\"what-if-result\" data-verdict=\"valid\""), "{page}");
    assert!(page.contains("仅供参考,不会记录") && page.contains("id=\"what-if-different\""), "{page}");
    assert!(page.contains("<span class=\"mono\">30</span> → <span class=\"mono\">5</span>"), "the change: {page}");
    assert!(page.contains("id=\"recorded\" data-verdict=\"invalid\"") && page.contains("id=\"replay-same\""));
    let (status, page) = app.get_text(&boss, &format!("/records/{seq}/replay?min_gap_minutes=soon")).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("id=\"what-if-error\"") && page.contains("须为") && page.contains("whole number"), "{page}");
    assert!(!page.contains("id=\"what-if-result\""));
    assert_eq!(app.store.ledger_len().unwrap(), ledger, "a what-if is never recorded");
    let again = judge_again(&app.store.ledger_row(seq).unwrap()).unwrap();
    assert!(again.same && !again.recorded.is_valid(), "the record still says what it said");
}

#[tokio::test]
async fn only_managers_and_admins_of_the_records_project_open_its_replay() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    let seq = checked_in(&app, &kiosk, "13812345678", "2026-11-18T10:45:00+08:00").await;
    let path = format!("/records/{seq}/replay");
    for (login, role) in [("desk-r", Role::Desk), ("sales-r", Role::Sales)] {
        let c = signed_in_staff(&app, "demo", login, role).await;
        assert_eq!(app.get_text(&c, &path).await.0, 403, "{login}");
        let (_, record) = app.get_text(&c, &format!("/records/{seq}")).await;
        assert!(!record.contains("id=\"judge-again\""), "{login} is not offered the link");
    }
    let other = signed_in_staff(&app, "strict", "boss-strict", Role::Manager).await;
    assert_eq!(app.get_text(&other, &path).await.0, 404, "a manager of another project");
    let agent = app.signed_in(AGENT_PHONE).await;
    assert_eq!(app.get_text(&agent, &path).await.0, 303, "an agent is sent to the staff sign-in");
    assert_eq!(app.get_text(&app.browser(), &path).await.0, 303, "so is anyone signed out");

    let boss = signed_in_staff(&app, "demo", "boss-demo", Role::Manager).await;
    let (status, page) = app.get_text(&boss, &path).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("id=\"replayed\" data-verdict=\"valid\"") && page.contains("id=\"replay-same\""));
    let admin = NewStaff {
        project_id: None,
        login: "group-admin",
        name: "集团管理员",
        role: Role::Admin,
        password: Some("a long password"),
        pin: None,
    };
    app.store.create_staff(&admin, t("2026-11-18T08:00:00+08:00")).unwrap();
    let c = app.browser();
    staff_sign_in(&c, &app.base, "group-admin", "a long password").await;
    assert_eq!(app.get_text(&c, &path).await.0, 200, "an admin opens any project's record");
}
