//! Judging rules v2 at the kiosk: the arrival is the first read of the
//! code, the verdict is shown before anyone signs, and another agency's
//! protection holds.

use super::helpers::{AGENT_PHONE, RIVAL_PHONE, TestApp, t};
use super::kiosk::{Kiosk, signature};
use panke::domain::token::ReportId;
use serde_json::{Value, json};

async fn token_of(app: &TestApp, agent_phone: &str, project: &str, phone: &str) -> (i64, String) {
    let c = app.signed_in(agent_phone).await;
    let id = app.filed_id(&c, project, "王先生", phone).await;
    let r = app.store.report(ReportId(id)).unwrap();
    (id, app.key_ring.sign_with(r.key_id, r.id, r.filed_at.to_utc()).unwrap())
}

fn reasons(v: &Value) -> Vec<String> {
    v["reasons"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn a_code_first_read_25_minutes_after_filing_is_too_late_however_long_the_desk_waits() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    let (id, token) = token_of(&app, AGENT_PHONE, "demo", "138****5678").await;
    app.clock.set(t("2026-11-18T10:25:00+08:00"));
    let (status, scan) = kiosk.scan(&token).await;
    assert_eq!(status, 200, "{scan}");
    assert_eq!(scan["report"]["minutes_since_filing"], 25);
    assert_eq!(scan["report"]["first_read_at"], "11-18 10:25:00");
    // A second read, later, at any kiosk, does not move the arrival.
    app.clock.set(t("2026-11-18T10:31:00+08:00"));
    let (_, again) = kiosk.scan(&token).await;
    assert_eq!(again["report"]["first_read_at"], "11-18 10:25:00");
    assert_eq!(again["report"]["minutes_since_filing"], 25);
    let read = app.store.first_read(ReportId(id)).unwrap().unwrap();
    assert_eq!(read.at, t("2026-11-18T10:25:00+08:00"));
    // The provisional verdict already says so, before anyone signs.
    let (_, p) = kiosk.post("/kiosk/provisional", json!({ "code": token, "customer_phone": "13812345678" })).await;
    assert_eq!(p["verdict"], "invalid", "{p}");
    assert_eq!(reasons(&p), ["REPORT_TOO_LATE"]);
    assert_eq!(p["sign"], "natural-visit");
    // Completed 10 minutes later: judged at the first read.
    app.clock.set(t("2026-11-18T10:35:00+08:00"));
    let (status, v) = kiosk.check_in(Some(&token), "13812345678", json!({})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["verdict"], "invalid");
    assert_eq!(reasons(&v), ["REPORT_TOO_LATE"]);
    let row = app.store.ledger_row(v["record"].as_i64().unwrap()).unwrap();
    let body = row.visit_body().unwrap();
    assert_eq!(body.first_read.as_ref().unwrap().at, t("2026-11-18T10:25:00+08:00"));
    assert_eq!(body.arrival_at(), Some(t("2026-11-18T10:25:00+08:00").fixed_offset()));
}

#[tokio::test]
async fn an_expired_report_is_a_natural_visit_before_anyone_signs_and_no_agent_statement_is_recorded() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    let (_, token) = token_of(&app, AGENT_PHONE, "demo", "138****5678").await;
    app.clock.set(t("2026-11-26T11:00:00+08:00"));
    kiosk.sign_in_again().await;
    let (status, scan) = kiosk.scan(&token).await;
    assert_eq!(status, 200, "{scan}");
    let (status, p) = kiosk.post("/kiosk/provisional", json!({ "code": token, "customer_phone": "13812345678" })).await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["verdict"], "invalid");
    assert_eq!(reasons(&p), ["REPORT_EXPIRED"]);
    assert_eq!(p["sign"], "natural-visit");
    // The customer signs the natural visit registration; nobody else.
    let only_customer = json!([{ "signer": "customer", "png": signature(7), "strokes": [] }]);
    let (status, v) = kiosk.check_in(Some(&token), "13812345678", json!({ "signatures": only_customer })).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(reasons(&v), ["REPORT_EXPIRED"], "missing signatures are no reason: nobody was asked");
    let body = app.store.ledger_row(v["record"].as_i64().unwrap()).unwrap().visit_body().unwrap();
    assert_eq!(body.signatures.len(), 1);
    assert!(body.signatures.iter().all(|s| s.signer == panke::domain::judge::Signer::Customer));
    assert_eq!(body.provisional.unwrap().reasons, vec![panke::domain::reason::Reason::ReportExpired]);
    // The customer signed the natural visit registration, not a 带看
    // confirmation: the statement the kiosk showed after the questions
    // (asked with the name and the answers).
    let (_, p) = kiosk
        .post(
            "/kiosk/provisional",
            json!({ "code": token, "customer_phone": "13812345678", "customer_name": "王小明",
                    "agent_present": true, "customer_confirms_agent": true }),
        )
        .await;
    assert!(p["statements"]["customer"].as_str().unwrap().contains("自然到访"), "{p}");
    let signed = panke::crypto::sha256_hex(p["statements"]["customer"].as_str().unwrap().as_bytes());
    assert_eq!(body.signatures[0].statement_sha256, signed);
}

#[tokio::test]
async fn a_second_agencys_visit_inside_the_firsts_protection_is_protected_by_other() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "firstvisit").await;
    // overlap_rule = "first-visit", protection_days = 30: both agencies may
    // report; whoever brings the customer first protects them.
    let (_, first) = token_of(&app, AGENT_PHONE, "firstvisit", "13812345678").await;
    app.clock.set(t("2026-11-18T10:10:00+08:00"));
    let (_, second) = token_of(&app, RIVAL_PHONE, "firstvisit", "13812345678").await;
    app.clock.set(t("2026-11-18T10:45:00+08:00"));
    kiosk.scan(&first).await;
    let (_, v) = kiosk.check_in(Some(&first), "13812345678", json!({})).await;
    assert_eq!(v["verdict"], "valid", "{v}");
    assert_eq!(v["protected_until"], "2026-12-18 10:45");
    app.clock.set(t("2026-12-08T10:45:00+08:00"));
    kiosk.sign_in_again().await;
    let (status, scan) = kiosk.scan(&second).await;
    assert_eq!(status, 200, "{scan}");
    let (_, p) = kiosk.post("/kiosk/provisional", json!({ "code": second, "customer_phone": "13812345678" })).await;
    assert!(reasons(&p).contains(&"PROTECTED_BY_OTHER".to_owned()), "{p}");
    let (_, v) = kiosk.check_in(Some(&second), "13812345678", json!({})).await;
    assert_eq!(v["verdict"], "invalid");
    assert!(reasons(&v).contains(&"PROTECTED_BY_OTHER".to_owned()), "{v}");
}

#[tokio::test]
async fn the_same_agency_coming_back_is_a_return_visit_that_keeps_its_protection_end() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "firstvisit").await;
    let (_, first) = token_of(&app, AGENT_PHONE, "firstvisit", "13812345678").await;
    app.clock.set(t("2026-11-18T10:45:00+08:00"));
    kiosk.scan(&first).await;
    let (_, v) = kiosk.check_in(Some(&first), "13812345678", json!({})).await;
    assert_eq!(v["protected_until"], "2026-12-18 10:45");
    app.clock.set(t("2026-11-25T10:00:00+08:00"));
    let (_, again) = token_of(&app, AGENT_PHONE, "firstvisit", "13812345678").await;
    app.clock.set(t("2026-11-25T11:00:00+08:00"));
    kiosk.sign_in_again().await;
    kiosk.scan(&again).await;
    let (_, p) = kiosk.post("/kiosk/provisional", json!({ "code": again, "customer_phone": "13812345678" })).await;
    assert_eq!(p["verdict"], "valid", "{p}");
    assert_eq!(p["return_visit"], true);
    assert_eq!(p["protected_until"], "2026-12-18 10:45", "首次到访为准: not extended");
    let (_, v) = kiosk.check_in(Some(&again), "13812345678", json!({})).await;
    assert_eq!(v["verdict"], "valid", "{v}");
    assert_eq!(v["protected_until"], "2026-12-18 10:45");
    assert_eq!(v["return_visit"], true);
}

#[tokio::test]
async fn a_walk_in_with_a_live_report_needs_the_desks_choice_and_does_not_make_the_agents_customer_an_old_one() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    let (id, token) = token_of(&app, AGENT_PHONE, "demo", "138****5678").await;
    // 10:40: the customer walks in alone; the agent is parking the car.
    app.clock.set(t("2026-11-18T10:40:00+08:00"));
    let (status, w) = kiosk.post("/kiosk/walk-ins", json!({})).await;
    assert_eq!(status, 200, "{w}");
    let walk_in = w["walk_in_id"].as_i64().unwrap();
    app.clock.set(t("2026-11-18T10:42:00+08:00"));
    let (_, p) =
        kiosk.post("/kiosk/provisional", json!({ "walk_in_id": walk_in, "customer_phone": "13812345678" })).await;
    assert_eq!(p["live_reports"][0]["id"], id, "{p}");
    assert_eq!(p["live_reports"][0]["masked_phone"], "138****5678");
    assert_eq!(p["arrival_at"], "2026-11-18 10:40");
    // Registering a natural visit over it is an explicit choice.
    let (status, v) = kiosk.check_in(None, "13812345678", json!({ "walk_in_id": walk_in })).await;
    assert_eq!(status, 409, "{v}");
    assert_eq!(v["error"]["code"], "LIVE_REPORT_FOUND");
    let (status, v) = kiosk.check_in(None, "13812345678", json!({ "walk_in_id": walk_in, "over_report": id })).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["verdict"], "invalid");
    let walk_in_record = app.store.ledger_row(v["record"].as_i64().unwrap()).unwrap().visit_body().unwrap();
    assert_eq!(walk_in_record.over_report, Some(id));
    assert_eq!(walk_in_record.arrival_at(), Some(t("2026-11-18T10:40:00+08:00").fixed_offset()));
    // The same registration sent again is the same record.
    let (_, again) = kiosk.check_in(None, "13812345678", json!({ "walk_in_id": walk_in, "over_report": id })).await;
    assert_eq!(again["record"], v["record"]);
    // 10:50 the agent arrives with the code: judged at the walk-in's
    // instant, and the desk's own registration is no visit before.
    app.clock.set(t("2026-11-18T10:50:00+08:00"));
    let (_, scan) = kiosk.scan(&token).await;
    assert_eq!(scan["report"]["first_read_at"], "11-18 10:40:00", "{scan}");
    let (_, v) = kiosk.check_in(Some(&token), "13812345678", json!({})).await;
    assert_eq!(v["verdict"], "valid", "{v}");
}

#[tokio::test]
async fn a_qian_si_hou_wu_report_is_accepted_matched_and_masked_again_everywhere() {
    let app = TestApp::spawn().await;
    let c = app.signed_in(AGENT_PHONE).await;
    let id = app.filed_id(&c, "demo", "王先生", "1381**45678").await;
    let (status, page) = app.get_text(&c, &format!("/agent/reports/{id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("138****5678") && !page.contains("1381**45678"), "shown as 前三后四");
    let kiosk = Kiosk::ready(&app, "demo").await;
    let r = app.store.report(ReportId(id)).unwrap();
    let token = app.key_ring.sign_with(r.key_id, r.id, r.filed_at.to_utc()).unwrap();
    app.clock.set(t("2026-11-18T10:45:00+08:00"));
    let (_, scan) = kiosk.scan(&token).await;
    assert_eq!(scan["report"]["masked_phone"], "138****5678");
    // The 4th digit is known: 1382… is another customer.
    let (_, wrong) = kiosk.post("/kiosk/provisional", json!({ "code": token, "customer_phone": "13820045678" })).await;
    assert_eq!(reasons(&wrong), ["IDENTITY_MISMATCH"]);
    let (_, v) = kiosk.check_in(Some(&token), "13810045678", json!({})).await;
    assert_eq!(v["verdict"], "valid", "{v}");
}

#[tokio::test]
async fn a_cancelled_visit_keeps_its_first_read_and_is_audited() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    let (id, token) = token_of(&app, AGENT_PHONE, "demo", "138****5678").await;
    app.clock.set(t("2026-11-18T10:20:00+08:00"));
    kiosk.scan(&token).await;
    let (status, v) = kiosk.post("/kiosk/visits/cancel", json!({ "code": token, "step": "questions" })).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["first_read_kept"], true);
    app.clock.set(t("2026-11-18T10:40:00+08:00"));
    let (_, again) = kiosk.scan(&token).await;
    assert_eq!(again["report"]["first_read_at"], "11-18 10:20:00", "cancelling does not reset the arrival");
    assert_eq!(app.store.first_read(ReportId(id)).unwrap().unwrap().at, t("2026-11-18T10:20:00+08:00"));
    let audited: String = rusqlite::Connection::open(app.store.path())
        .unwrap()
        .query_row("SELECT detail FROM audit_log WHERE action = 'kiosk.visit_cancelled'", [], |r| r.get(0))
        .unwrap();
    assert!(audited.contains(&format!("report {id}")) && audited.contains("questions"), "{audited}");
}

/// The answers decide before anyone signs: once the desk says the agent is
/// not here (or another name is given), the verdict before signing is a
/// natural visit, the statements are the natural visit's, and the record
/// has that reason alone — not "signatures missing" for signatures nobody
/// was asked for.
#[tokio::test]
async fn answers_that_make_a_natural_visit_change_what_is_signed_before_anyone_signs() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    let cases = [
        ("13812345678", "王小明", false, true, "AGENT_ABSENT"),
        ("13912345678", "王小明", true, false, "CUSTOMER_DENIES_AGENT"),
        ("13712345678", "李四", true, true, "IDENTITY_MISMATCH"),
    ];
    let mut tokens = Vec::new();
    for (phone, ..) in cases {
        tokens.push(token_of(&app, AGENT_PHONE, "demo", phone).await.1);
    }
    app.clock.set(t("2026-11-18T10:45:00+08:00"));
    for ((phone, name, present, confirms, reason), token) in cases.into_iter().zip(tokens) {
        kiosk.scan(&token).await;
        // The provisional verdict (answers hoped for) is green ...
        let (_, p) = kiosk.post("/kiosk/provisional", json!({ "code": token, "customer_phone": phone })).await;
        assert_eq!(p["verdict"], "valid", "{p}");
        // ... the verdict before signing, with the name and the answers, is not.
        let (status, s) = kiosk
            .post(
                "/kiosk/provisional",
                json!({ "code": token, "customer_phone": phone, "customer_name": name,
                        "agent_present": present, "customer_confirms_agent": confirms }),
            )
            .await;
        assert_eq!(status, 200, "{s}");
        assert_eq!(s["verdict"], "invalid", "{reason}: {s}");
        assert_eq!(reasons(&s), [reason]);
        assert_eq!(s["sign"], "natural-visit");
        let statement = s["statements"]["customer"].as_str().unwrap();
        assert!(statement.contains("按自然到访登记") && statement.contains(name), "{statement}");
        // The customer signs that statement alone.
        let only_customer = json!([{ "signer": "customer", "png": signature(9), "strokes": [] }]);
        let extra = json!({ "customer_name": name, "agent_present": present,
                            "customer_confirms_agent": confirms, "signatures": only_customer });
        let (status, v) = kiosk.check_in(Some(&token), phone, extra).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(reasons(&v), [reason], "no SIGNATURES_MISSING: nobody else was asked to sign");
        let body = app.store.ledger_row(v["record"].as_i64().unwrap()).unwrap().visit_body().unwrap();
        assert_eq!(body.signatures[0].statement_sha256, panke::crypto::sha256_hex(statement.as_bytes()));
    }
}
