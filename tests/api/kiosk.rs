//! The kiosk over HTTP: pairing, PIN sign-in, scanning, every verdict,
//! the double tap, refusals, and the records it leaves.

use super::helpers::{AGENT_PHONE, RIVAL_PHONE, TestApp, t};
use data_encoding::BASE64;
use panke::domain::phone::Phone;
use panke::domain::token::ReportId;
use panke::store::people::{NewStaff, Role};
use serde_json::{Value, json};

pub struct Kiosk<'a> {
    app: &'a TestApp,
    http: reqwest::Client,
    csrf: String,
    desk: i64,
}

fn boot(page: &str) -> Value {
    let start = page.find("type=\"application/json\">").unwrap() + 24;
    let end = start + page[start..].find("</script>").unwrap();
    serde_json::from_str(&page[start..end].replace("<\\/", "</")).unwrap()
}

pub fn staff(app: &TestApp, project: &str, login: &str, role: Role, pin: &str) -> i64 {
    let new = NewStaff {
        project_id: Some(project),
        login,
        name: login,
        role,
        password: Some("a long password"),
        pin: Some(pin),
    };
    app.store.create_staff(&new, t("2026-11-18T08:00:00+08:00")).unwrap()
}

pub fn signature(seed: u64) -> Value {
    json!(format!("data:image/png;base64,{}", BASE64.encode(&panke::demo::signature_png(seed))))
}

/// A signature as the kiosk sends it since issue 16: its strokes alone.
pub fn strokes(seed: u64) -> Value {
    serde_json::from_str(&panke::demo::signature_strokes(seed)).unwrap()
}

fn three_signatures() -> Vec<Value> {
    ["customer", "agent", "sales"]
        .iter()
        .enumerate()
        .map(|(i, s)| json!({ "signer": s, "strokes": strokes(i as u64) }))
        .collect()
}

impl<'a> Kiosk<'a> {
    /// A tablet of `project`, paired and signed in as a desk clerk.
    pub async fn ready(app: &'a TestApp, project: &str) -> Kiosk<'a> {
        let (_, code) = app.store.create_kiosk(project, "前台", t("2026-11-18T08:00:00+08:00")).unwrap();
        let desk = staff(app, project, &format!("desk-{project}"), Role::Desk, "1234");
        staff(app, project, &format!("sales-{project}"), Role::Sales, "5678");
        let mut k = Kiosk { app, http: app.browser(), csrf: String::new(), desk };
        let b = k.boot().await;
        assert_eq!(b["screen"], "pair");
        k.csrf = b["csrf"].as_str().unwrap().to_owned();
        let (status, _) = k.post("/kiosk/pair", json!({ "code": code.to_lowercase() })).await;
        assert_eq!(status, 200);
        let b = k.boot().await;
        assert_eq!(b["screen"], "signin");
        k.csrf = b["csrf"].as_str().unwrap().to_owned();
        let (status, body) = k.post("/kiosk/signin", json!({ "staff_id": desk, "pin": "1234" })).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(k.boot().await["screen"], "scan");
        k
    }

    /// A new shift: the clerk signs in again.
    pub async fn sign_in_again(&self) {
        let (status, body) = self.post("/kiosk/signin", json!({ "staff_id": self.desk, "pin": "1234" })).await;
        assert_eq!(status, 200, "{body}");
    }

    async fn boot(&self) -> Value {
        boot(&self.app.get_text(&self.http, "/kiosk").await.1)
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self.http.post(self.app.url(path)).header("x-csrf-token", &self.csrf).json(&body).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn scan(&self, code: &str) -> (u16, Value) {
        self.post("/kiosk/scan", json!({ "code": code })).await
    }

    pub async fn check_in(&self, code: Option<&str>, phone: &str, extra: Value) -> (u16, Value) {
        let mut body = json!({
            "code": code, "customer_name": "王小明", "customer_phone": phone,
            "agent_present": true, "badge_seen": true, "first_visit": true, "contacted_before": false,
            "customer_confirms_agent": true, "signatures": three_signatures(),
        });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        self.post("/kiosk/checkins", body).await
    }
}

/// An agent files a report at 10:00 (the clock's time); returns its token.
async fn filed(app: &TestApp, phone: &str) -> (i64, String) {
    let c = app.signed_in(AGENT_PHONE).await;
    let id = app.filed_id(&c, "demo", "王先生", phone).await;
    let r = app.store.report(ReportId(id)).unwrap();
    (id, app.key_ring.sign_with(r.key_id, r.id, r.filed_at.to_utc()).unwrap())
}

#[tokio::test]
async fn a_valid_visit_end_to_end_over_http() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    let (id, token) = filed(&app, "138****5678").await;
    app.clock.set(t("2026-11-18T10:45:00+08:00"));
    let (status, scan) = kiosk.scan(&token).await;
    assert_eq!(status, 200, "{scan}");
    assert_eq!(scan["report"]["agency"], "链家-天河店");
    assert_eq!(scan["report"]["masked_phone"], "138****5678");
    assert_eq!(scan["report"]["minutes_since_filing"], 45);
    // What each signer will sign names the facts: agency, agent, the
    // customer as reported and as arrived, the arrival instant.
    let (status, p) = kiosk
        .post(
            "/kiosk/provisional",
            json!({ "code": token, "customer_phone": "13812345678", "customer_name": "王小明",
                    "agent_present": true, "customer_confirms_agent": true }),
        )
        .await;
    assert_eq!(status, 200, "{p}");
    let customer = p["statements"]["customer"].as_str().unwrap();
    for fact in ["链家-天河店", "张三", "王小明", "2026-11-18 10:45", "声明版本 v2"] {
        assert!(customer.contains(fact), "{fact} missing from {customer}");
    }
    assert!(p["statements"]["agent"].as_str().unwrap().contains("王小明"));
    assert_eq!(scan["next_sales"]["name"], "sales-demo");
    let sales = scan["next_sales"]["id"].clone();
    let (status, v) = kiosk.check_in(Some(&token), "13812345678", json!({ "sales_id": sales })).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["verdict"], "valid");
    assert_eq!(v["protected_until"], "2026-12-03 10:45");
    assert_eq!(v["off_hours"], false);
    let seq = v["record"].as_i64().unwrap();
    assert_eq!(app.store.report(ReportId(id)).unwrap().status, panke::store::reports::ReportStatus::VisitedValid);
    assert_eq!(app.store.verify_ledger().unwrap(), Ok(1));
    // The sheet: masked on the developer's copy, full on the channel's.
    let (status, sheet) = app.get_text(&kiosk.http, &format!("/records/{seq}/sheet")).await;
    assert_eq!(status, 200);
    assert!(sheet.contains("有效带看") && sheet.contains("138****5678") && !sheet.contains("13812345678"));
    assert!(sheet.contains("<svg") && sheet.contains(&v["hash"].as_str().unwrap()[..16]));
    let (_, channel) = app.get_text(&kiosk.http, &format!("/records/{seq}/sheet?copy=channel&size=a5")).await;
    assert!(channel.contains("13812345678") && channel.contains("sheet-A5"));
    // Printed in place: the statements as signed, a print button, size links
    // that keep the copy, and the way back to the kiosk.
    assert!(sheet.contains(customer), "the customer's statement is printed as shown before signing");
    // And it is the text whose hash was sealed with the signature.
    let body = app.store.ledger_row(seq).unwrap().visit_body().unwrap();
    assert_eq!(body.signatures[0].statement_sha256, panke::crypto::sha256_hex(customer.as_bytes()));
    assert!(channel.contains("?copy=channel&amp;size=a4") && channel.contains("id=\"print\""));
    assert!(channel.contains("href=\"/kiosk\"") && channel.contains("name=\"viewport\""));
    let png = kiosk.http.get(app.url(&format!("/records/{seq}/signatures/customer"))).send().await.unwrap();
    assert_eq!(png.headers()["content-type"], "image/png");
    let (_, page) = app.get_text(&kiosk.http, &format!("/records/{seq}")).await;
    assert!(page.contains("签章校验通过"));
}

#[tokio::test]
async fn reading_the_same_code_again_or_a_double_tap_records_once() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    let (_, token) = filed(&app, "13812345678").await;
    app.clock.set(t("2026-11-18T10:45:00+08:00"));
    let (a, b) = tokio::join!(
        kiosk.check_in(Some(&token), "13812345678", json!({})),
        kiosk.check_in(Some(&token), "13812345678", json!({}))
    );
    assert_eq!((a.0, b.0), (200, 200));
    assert_eq!(a.1["record"], b.1["record"]);
    assert!(a.1["already_recorded"].as_bool().unwrap() != b.1["already_recorded"].as_bool().unwrap());
    let (_, again) = kiosk.scan(&token).await;
    assert_eq!(again["status"], "recorded");
    assert_eq!(again["outcome"]["record"], a.1["record"]);
    assert_eq!(app.store.ledger_len().unwrap(), 1);
}

#[tokio::test]
async fn every_verdict_path_over_http() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    let cases: Vec<(&str, Value, &str)> = vec![
        ("13900000001", json!({ "agent_present": false }), "AGENT_ABSENT"),
        ("13900000002", json!({ "customer_confirms_agent": false }), "CUSTOMER_DENIES_AGENT"),
        ("13900000003", json!({ "signatures": three_signatures()[..2] }), "SIGNATURES_MISSING"),
        ("13900000004", json!({ "customer_phone": "13900009999" }), "IDENTITY_MISMATCH"),
        ("13900000005", json!({ "customer_name": "黄小明" }), "IDENTITY_MISMATCH"),
    ];
    for (phone, extra, reason) in cases {
        app.clock.set(t("2026-11-18T10:00:00+08:00"));
        let (_, token) = filed(&app, phone).await;
        app.clock.set(t("2026-11-18T10:45:00+08:00"));
        let (status, v) = kiosk.check_in(Some(&token), phone, extra).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["verdict"], "invalid", "{reason}");
        let codes: Vec<&str> = v["reasons"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
        assert_eq!(codes, vec![reason]);
        assert!(v["reasons"][0]["zh"].as_str().unwrap().chars().count() > 5, "a Chinese sentence for the desk");
    }
    // Too late: scanned 10 minutes after filing.
    app.clock.set(t("2026-11-18T11:00:00+08:00"));
    let (_, token) = filed(&app, "13900000006").await;
    app.clock.set(t("2026-11-18T11:10:00+08:00"));
    assert_eq!(kiosk.check_in(Some(&token), "13900000006", json!({})).await.1["reasons"][0]["code"], "REPORT_TOO_LATE");
    // Expired: eight days later.
    let (_, token) = filed(&app, "13900000007").await;
    app.clock.set(t("2026-11-26T11:10:00+08:00"));
    kiosk.sign_in_again().await;
    assert_eq!(kiosk.check_in(Some(&token), "13900000007", json!({})).await.1["reasons"][0]["code"], "REPORT_EXPIRED");
    // An unreported walk-in.
    let (status, v) = kiosk.check_in(None, "13900000008", json!({ "signatures": [] })).await;
    assert_eq!((status, v["reasons"][0]["code"].as_str()), (200, Some("NOT_REPORTED")));
    // Visited before: the walk-in's visit is now history for a later report.
    app.clock.set(t("2026-11-27T10:00:00+08:00"));
    let rival = app.signed_in(RIVAL_PHONE).await;
    let r = app.file(&rival, "demo", "王", "13900000008").await;
    assert_eq!(r.status().as_u16(), 409, "a recent visitor cannot be reported");
    assert_eq!(app.store.ledger_len().unwrap(), 8);
    assert_eq!(app.store.verify_ledger().unwrap(), Ok(8));
}

#[tokio::test]
async fn reported_by_another_agency_first_and_repeat_limit_come_from_the_database() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    // Unchecked filings (as if made before the rules changed) set the stage.
    let mut store = panke::store::Store::open(app.store.path(), &[0; 32]).unwrap();
    let rival = app.store.agent_by_phone(&Phone::parse(RIVAL_PHONE).unwrap()).unwrap().unwrap();
    let me = app.store.agent_by_phone(&Phone::parse(AGENT_PHONE).unwrap()).unwrap().unwrap();
    let file = |store: &mut panke::store::Store, agent: i64, phone: &str, at: &str| {
        let new = panke::store::reports::NewReport {
            project_id: "demo".into(),
            agent_id: agent,
            customer_name: panke::domain::name::CustomerName::parse("王").unwrap(),
            customer_phone: panke::domain::phone::CustomerPhone::parse(phone, true).unwrap(),
            expected_arrival: None,
            party_size: None,
            note: None,
            idempotency_key: None,
            demo: false,
        };
        let mut rng = rand::rngs::OsRng;
        store
            .file_report(new, app.key_ring.signing_key(), chrono::DateTime::parse_from_rfc3339(at).unwrap(), || {
                rand::RngCore::next_u64(&mut rng)
            })
            .unwrap()
    };
    file(&mut store, rival.id, "138****0001", "2026-11-17T09:00:00+08:00");
    let mine = file(&mut store, me.id, "13800000001", "2026-11-18T09:00:00+08:00");
    for d in 2..=6 {
        file(&mut store, me.id, "13700000002", &format!("2026-11-0{d}T09:00:00+08:00"));
    }
    let sixth = file(&mut store, me.id, "13700000002", "2026-11-18T09:00:00+08:00");
    app.clock.set(t("2026-11-18T10:00:00+08:00"));
    let token =
        |r: &panke::store::reports::StoredReport| app.key_ring.sign_with(r.key_id, r.id, r.filed_at.to_utc()).unwrap();
    let (_, v) = kiosk.check_in(Some(&token(&mine)), "13800000001", json!({})).await;
    assert_eq!(v["reasons"][0]["code"], "REPORTED_BY_OTHER_FIRST");
    let (_, v) = kiosk.check_in(Some(&token(&sixth)), "13700000002", json!({})).await;
    assert_eq!(v["reasons"][0]["code"], "REPEAT_LIMIT");
}

#[tokio::test]
async fn forged_altered_and_foreign_codes_are_refused_and_audited() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    let (id, token) = filed(&app, "13812345678").await;
    let forged = format!("{}{}", &token[..20], if &token[20..21] == "A" { "B" } else { "A" }) + &token[21..];
    for code in [forged.as_str(), "PK1AAAA", "hello", "ZZZZ-ZZZZ"] {
        let (status, body) = kiosk.scan(code).await;
        assert_eq!((status, body["error"]["code"].as_str()), (422, Some("CODE_REFUSED")), "{code}");
    }
    // Audited, summarised per kiosk and minute (a tablet cannot flood the log).
    let refused: Vec<_> =
        app.store.audit_entries(20).unwrap().into_iter().filter(|a| a.action == "kiosk.code_refused").collect();
    assert_eq!(refused.len(), 1, "{refused:?}");
    // The manual code works, case and dash aside.
    let manual = app.store.report(ReportId(id)).unwrap().manual_code.to_string().to_lowercase().replace('-', "");
    assert_eq!(kiosk.scan(&manual).await.1["status"], "ok");
    // A kiosk of another project does not find this project's report.
    let other = Kiosk::ready(&app, "strict").await;
    let (status, body) = other.scan(&token).await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("CODE_REFUSED")));
    let (status, body) = other.check_in(Some(&token), "13812345678", json!({})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("CODE_REFUSED")), "{body}");
    assert_eq!(app.store.ledger_len().unwrap(), 0);
    // A code refused at the check-in itself (no scan before) is audited too.
    let refusals = || app.store.audit_entries(100).unwrap().iter().filter(|a| a.action == "kiosk.code_refused").count();
    let before = refusals();
    // A minute later (refusals are summarised per kiosk and minute).
    app.clock.set(panke::clock::Clock::now(&*app.clock) + chrono::Duration::minutes(2));
    let (status, _) = other.check_in(Some(&forged), "13812345678", json!({})).await;
    assert_eq!(status, 422);
    assert_eq!(refusals(), before + 1, "the check-in's refused code is audited");
}

#[tokio::test]
async fn bad_signatures_are_refused_with_the_signer_named() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    let (_, token) = filed(&app, "13812345678").await;
    app.clock.set(t("2026-11-18T10:45:00+08:00"));
    let gif = json!([{ "signer": "agent", "png": BASE64.encode(b"GIF89a not a png") }]);
    let (status, body) = kiosk.check_in(Some(&token), "13812345678", json!({ "signatures": gif })).await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("BAD_SIGNATURE")));
    assert!(body["error"]["message"].as_str().unwrap().starts_with("agent"));
    let blank = image::ImageBuffer::from_pixel(600, 240, image::Rgba([255u8, 255, 255, 255]));
    let mut png = Vec::new();
    blank.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
    let (status, body) = kiosk
        .check_in(
            Some(&token),
            "13812345678",
            json!({ "signatures": [{ "signer": "customer", "png": BASE64.encode(&png) }] }),
        )
        .await;
    assert_eq!(status, 422);
    assert!(body["error"]["message"].as_str().unwrap().contains("签名为空"));
    let huge = "A".repeat(5 * 1024 * 1024);
    let r = kiosk
        .http
        .post(app.url("/kiosk/checkins"))
        .header("x-csrf-token", &kiosk.csrf)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
    assert_eq!(app.store.ledger_len().unwrap(), 0, "nothing recorded");
}

#[tokio::test]
async fn an_unpaired_tablet_or_a_signed_out_desk_can_do_nothing() {
    let app = TestApp::spawn().await;
    let (_, token) = filed(&app, "13812345678").await;
    let stranger = app.browser();
    let r = stranger.post(app.url("/kiosk/scan")).json(&json!({ "code": token })).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 422);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "NOT_PAIRED");
    let kiosk = Kiosk::ready(&app, "demo").await;
    let (status, _) = kiosk.post("/kiosk/signout", json!({})).await;
    assert_eq!(status, 200);
    let (status, body) = kiosk.scan(&token).await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("SIGN_IN")));
    let r = kiosk
        .http
        .post(app.url("/kiosk/scan"))
        .header("x-csrf-token", "forged")
        .json(&json!({ "code": token }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403, "CSRF");
    // A wrong PIN, and a clerk of another project, cannot sign in here.
    let foreign = staff(&app, "strict", "other-desk", Role::Desk, "9999");
    let desk = kiosk.boot().await["operators"][0]["id"].as_i64().unwrap();
    assert_eq!(
        kiosk.post("/kiosk/signin", json!({ "staff_id": desk, "pin": "0000" })).await.1["error"]["code"],
        "BAD_PIN"
    );
    assert_eq!(
        kiosk.post("/kiosk/signin", json!({ "staff_id": foreign, "pin": "9999" })).await.1["error"]["code"],
        "BAD_PIN"
    );
    // A revoked kiosk is signed out at once.
    let kiosk_id = kiosk.boot().await["kiosk"]["id"].as_i64().unwrap();
    app.store.revoke_kiosk(kiosk_id, t("2026-11-18T10:00:00+08:00")).unwrap();
    assert_eq!(kiosk.boot().await["screen"], "pair");
}

#[tokio::test]
async fn off_hours_visits_are_flagged_and_judged_alike() {
    // The scan screen knows off hours from the start (boot).
    {
        let app = TestApp::spawn().await;
        app.clock.set(t("2026-11-18T08:00:00+08:00"));
        let kiosk = Kiosk::ready(&app, "demo").await;
        assert_eq!(kiosk.boot().await["off_hours"], true);
        app.clock.set(t("2026-11-18T10:00:00+08:00"));
        assert_eq!(kiosk.boot().await["off_hours"], false);
    }
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    app.clock.set(t("2026-11-18T18:00:00+08:00"));
    let (_, token) = filed(&app, "13812345678").await;
    app.clock.set(t("2026-11-18T19:30:00+08:00"));
    let (_, scan) = kiosk.scan(&token).await;
    assert_eq!(scan["off_hours"], true);
    let (_, v) = kiosk.check_in(Some(&token), "13812345678", json!({})).await;
    assert_eq!((v["verdict"].as_str(), v["off_hours"].as_bool()), (Some("valid"), Some(true)));
}

#[tokio::test]
async fn the_server_decodes_a_camera_frame_and_warns_of_sound_alike_names() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    let (_, token) = filed(&app, "13812345678").await;
    let png = panke::qr::png(&token).unwrap();
    let r = kiosk
        .http
        .post(app.url("/kiosk/decode"))
        .header("x-csrf-token", &kiosk.csrf)
        .header("content-type", "image/png")
        .body(png)
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["text"], token.as_str());
    let (_, v) = kiosk.post("/kiosk/name-check", json!({ "reported": "黄先生", "name": "王小明" })).await;
    assert_eq!((v["matches"].as_bool(), v["near_miss"].as_bool()), (Some(false), Some(true)));
    let (_, v) = kiosk.post("/kiosk/name-check", json!({ "reported": "王先生", "name": "王小明" })).await;
    assert_eq!((v["matches"].as_bool(), v["near_miss"].as_bool()), (Some(true), Some(false)));
}

#[tokio::test]
async fn the_sales_rotation_proposes_the_consultant_who_waited_longest() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    let second = staff(&app, "demo", "sales-two", Role::Sales, "1111");
    let (_, token) = filed(&app, "13812345678").await;
    app.clock.set(t("2026-11-18T10:45:00+08:00"));
    let (_, scan) = kiosk.scan(&token).await;
    let first = scan["next_sales"]["id"].as_i64().unwrap();
    assert_ne!(first, second);
    kiosk.check_in(Some(&token), "13812345678", json!({ "sales_id": first })).await;
    app.clock.set(t("2026-11-18T11:00:00+08:00"));
    let (_, token) = filed(&app, "13912345678").await;
    assert_eq!(kiosk.scan(&token).await.1["next_sales"]["id"].as_i64(), Some(second));
}

#[tokio::test]
async fn a_desk_clerk_or_another_projects_consultant_named_as_sales_is_refused() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    let foreign_sales = staff(&app, "strict", "sales-strict", Role::Sales, "5678");
    let (_, token) = filed(&app, "138****5678").await;
    app.clock.set(t("2026-11-18T10:45:00+08:00"));
    for sales_id in [kiosk.desk, foreign_sales, 99_999] {
        let (status, v) = kiosk.check_in(Some(&token), "13812345678", json!({ "sales_id": sales_id })).await;
        assert_eq!(status, 422, "{v}");
        assert_eq!(v["error"]["code"], "SALES_NOT_ALLOWED");
    }
    assert_eq!(app.store.ledger_len().unwrap(), 0, "nothing was recorded");
}

#[tokio::test]
async fn a_managers_password_session_cannot_operate_a_kiosk() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    staff(&app, "demo", "manager-demo", Role::Manager, "9999");
    // The manager signs in on the staff pages in the tablet's browser: the
    // tablet stays paired, but a password session is no kiosk operator.
    super::helpers::staff_sign_in(&kiosk.http, &app.base, "manager-demo", "a long password").await;
    let (_, token) = filed(&app, "138****5678").await;
    let (status, v) = kiosk.scan(&token).await;
    assert_eq!(status, 422, "{v}");
    assert_eq!(v["error"]["code"], "SIGN_IN");
    assert_eq!(kiosk.boot().await["screen"], "signin");
}

#[tokio::test]
async fn a_sales_consultant_operates_the_kiosk_only_off_hours() {
    let app = TestApp::spawn().await;
    let mut kiosk = Kiosk::ready(&app, "demo").await;
    let sales = app.store.project_staff("demo", Role::Sales).unwrap()[0].id;
    let (status, body) = kiosk.post("/kiosk/signin", json!({ "staff_id": sales, "pin": "5678" })).await;
    assert_eq!(status, 200, "{body}");
    kiosk.csrf = kiosk.boot().await["csrf"].as_str().unwrap().to_owned();
    let (_, token) = filed(&app, "138****5678").await;
    app.clock.set(t("2026-11-18T10:45:00+08:00"));
    let (status, v) = kiosk.scan(&token).await;
    assert_eq!(status, 403, "{v}");
    assert_eq!(v["error"]["code"], "OPERATOR_NOT_ALLOWED");
    app.clock.set(t("2026-11-18T18:30:00+08:00"));
    let (status, v) = kiosk.scan(&token).await;
    assert_eq!(status, 200, "{v}");
}

#[tokio::test]
async fn one_png_for_two_signers_or_a_painted_pad_is_refused_naming_the_signer() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    let (_, token) = filed(&app, "138****5678").await;
    app.clock.set(t("2026-11-18T10:45:00+08:00"));
    let same = signature(3);
    let twins = json!([
        { "signer": "customer", "png": same, "strokes": [] },
        { "signer": "agent", "png": same, "strokes": [] },
        { "signer": "sales", "png": signature(5), "strokes": [] },
    ]);
    let (status, v) = kiosk.check_in(Some(&token), "13812345678", json!({ "signatures": twins })).await;
    assert_eq!(status, 422, "{v}");
    assert_eq!(v["error"]["code"], "BAD_SIGNATURE");
    assert!(v["error"]["message"].as_str().unwrap().starts_with("agent:"), "{v}");
    let mut painted = Vec::new();
    image::ImageBuffer::from_pixel(600, 240, image::Rgba([0u8, 0, 0, 255]))
        .write_to(&mut std::io::Cursor::new(&mut painted), image::ImageFormat::Png)
        .unwrap();
    let painted = json!(format!("data:image/png;base64,{}", BASE64.encode(&painted)));
    let filled = json!([
        { "signer": "customer", "png": painted, "strokes": [] },
        { "signer": "agent", "png": signature(4), "strokes": [] },
        { "signer": "sales", "png": signature(5), "strokes": [] },
    ]);
    let (status, v) = kiosk.check_in(Some(&token), "13812345678", json!({ "signatures": filled })).await;
    assert_eq!(status, 422, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().starts_with("customer:"), "{v}");
    assert_eq!(app.store.ledger_len().unwrap(), 0);
}

#[tokio::test]
async fn the_rotation_board_skips_the_away_keeps_the_busy_and_a_named_request_uses_no_turn() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    let a = app.store.project_staff("demo", Role::Sales).unwrap()[0].id;
    let b = staff(&app, "demo", "sales-b", Role::Sales, "1111");
    let c = staff(&app, "demo", "sales-c", Role::Sales, "2222");
    app.clock.set(t("2026-11-18T10:45:00+08:00"));
    // a is away today (轮空), b is busy with a customer (累计).
    let (status, board) = kiosk.post("/kiosk/rotation", json!({ "staff_id": a, "presence": "away" })).await;
    assert_eq!(status, 200, "{board}");
    kiosk.post("/kiosk/rotation", json!({ "staff_id": b, "presence": "busy" })).await;
    let (_, token) = filed(&app, "13812345678").await;
    app.clock.set(t("2026-11-18T11:20:00+08:00"));
    let (_, scan) = kiosk.scan(&token).await;
    assert_eq!(scan["next_sales"]["id"].as_i64(), Some(c), "{scan}");
    kiosk.check_in(Some(&token), "13812345678", json!({ "sales_id": c })).await;
    // b is free again: b kept the place; a lost the turn with c's customer.
    let (_, board) = kiosk.post("/kiosk/rotation", json!({ "staff_id": b, "presence": "present" })).await;
    let next: Vec<i64> = board["board"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["next"] == true)
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    assert_eq!(next, vec![b]);
    kiosk.post("/kiosk/rotation", json!({ "staff_id": a, "presence": "present" })).await;
    // The next customer asks for c by name (指定): b's turn is not used.
    let (_, token) = filed(&app, "13912345678").await;
    app.clock.set(t("2026-11-18T12:00:00+08:00"));
    kiosk.scan(&token).await;
    kiosk.check_in(Some(&token), "13912345678", json!({ "sales_id": c, "sales_requested": true })).await;
    let (_, token) = filed(&app, "13712345678").await;
    app.clock.set(t("2026-11-18T12:40:00+08:00"));
    assert_eq!(kiosk.scan(&token).await.1["next_sales"]["id"].as_i64(), Some(b));
    // Only this project's consultants are on the board.
    let other = staff(&app, "strict", "sales-x", Role::Sales, "3333");
    let (status, v) = kiosk.post("/kiosk/rotation", json!({ "staff_id": other, "presence": "away" })).await;
    assert_eq!(status, 422, "{v}");
}

#[tokio::test]
async fn a_cancelled_report_is_refused_at_the_desk_and_audited() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    let (id, token) = filed(&app, "13812345678").await;
    app.store.cancel_report(ReportId(id), app.agency, "agent", t("2026-11-18T10:20:00+08:00")).unwrap();
    app.clock.set(t("2026-11-18T10:45:00+08:00"));
    let (status, body) = kiosk.scan(&token).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("CANCELLED")), "{body}");
    let audited = app.store.audit_entries(20).unwrap();
    assert!(audited.iter().any(|a| a.action == "kiosk.code_refused" && a.detail.contains("cancelled")), "{audited:?}");
    assert_eq!(app.store.ledger_len().unwrap(), 0);
}

/// The audit's M3: a small PNG that claims a huge frame is not decoded
/// (nothing allocated for it); the answer is "no code", at once.
#[tokio::test]
async fn an_image_bomb_sent_as_a_camera_frame_is_not_decoded() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    // 22000×22000 grey: a few hundred KB of PNG, 484 MB decoded.
    let mut bomb = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut bomb, 22_000, 22_000);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_compression(png::Compression::Fast);
        let mut writer = encoder.write_header().unwrap();
        let mut stream = writer.stream_writer().unwrap();
        let row = vec![200u8; 22_000];
        for _ in 0..22_000 {
            std::io::Write::write_all(&mut stream, &row).unwrap();
        }
        stream.finish().unwrap();
    }
    assert!(bomb.len() < 3 * 1024 * 1024, "within the body limit: {}", bomb.len());
    let r = kiosk
        .http
        .post(app.url("/kiosk/decode"))
        .header("x-csrf-token", &kiosk.csrf)
        .header("content-type", "image/png")
        .body(bomb)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap();
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("NO_CODE")), "{body}");
}

/// The audit's L3: strokes are checked for their shape and size before
/// anything is stored.
#[tokio::test]
async fn junk_strokes_are_refused_naming_the_signer() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    let (_, token) = filed(&app, "13812345678").await;
    app.clock.set(t("2026-11-18T10:45:00+08:00"));
    let many: Vec<Value> = (0..6000).map(|i| json!([i % 600, 100, 0.5, i])).collect();
    for (junk, what) in [
        (json!({ "a": "b" }), "not strokes"),
        (json!([["x", 1, 2, 3]]), "not numbers"),
        (json!([[[1e300, 1, 0.5, 0]]]), "out of range"),
        (json!([many]), "too many points"),
    ] {
        let sigs = json!([
            { "signer": "customer", "png": signature(3), "strokes": [[[10, 10, 0.5, 0], [500, 200, 0.5, 40]]] },
            { "signer": "agent", "png": signature(4), "strokes": junk },
            { "signer": "sales", "png": signature(5), "strokes": [] },
        ]);
        let (status, v) = kiosk.check_in(Some(&token), "13812345678", json!({ "signatures": sigs })).await;
        assert_eq!(status, 422, "{what}: {v}");
        assert_eq!(v["error"]["code"], "BAD_SIGNATURE", "{what}");
        assert!(v["error"]["message"].as_str().unwrap().starts_with("agent:"), "{what}: {v}");
    }
    assert_eq!(app.store.ledger_len().unwrap(), 0);
}

/// Since issue 16 a signature is its strokes: the kiosk sends them in the
/// stored PK1 form; the record keeps exactly them (no image) and the
/// image shown is drawn from them.
#[tokio::test]
async fn the_kiosks_strokes_are_the_record_and_the_image_is_drawn_from_them() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    let (_, token) = filed(&app, "13812345678").await;
    app.clock.set(t("2026-11-18T10:45:00+08:00"));
    let pens: Vec<_> = (11..14).map(|seed| panke::demo::signature_pen(seed).unwrap()).collect();
    let sigs: Vec<Value> = ["customer", "agent", "sales"]
        .iter()
        .zip(&pens)
        .map(|(s, pen)| json!({ "signer": s, "pen": BASE64.encode(pen.bytes()) }))
        .collect();
    let (status, v) = kiosk.check_in(Some(&token), "13812345678", json!({ "signatures": sigs })).await;
    assert_eq!((status, v["verdict"].as_str()), (200, Some("valid")), "{v}");
    let raw = rusqlite::Connection::open(app.store.path()).unwrap();
    let stored: Vec<u8> = raw
        .query_row("SELECT pen FROM signatures WHERE ledger_seq = 1 AND signer = 'agent'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored, pens[1].bytes());
    let body: String = raw.query_row("SELECT body FROM ledger WHERE seq = 1", [], |r| r.get(0)).unwrap();
    assert!(body.contains(pens[1].sha256_hex()), "the record seals the strokes' hash");
    let png = app.store.signature_png(1, panke::domain::judge::Signer::Agent).unwrap();
    assert!(panke::domain::signature::validate_png(png).is_ok());
    assert_eq!(app.store.verify_ledger().unwrap(), Ok(1));
}

/// The strokes' own rules, each refused naming its signer, nothing stored.
#[tokio::test]
async fn strokes_that_are_no_signature_are_refused_naming_the_signer() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    let (_, token) = filed(&app, "13812345678").await;
    app.clock.set(t("2026-11-18T10:45:00+08:00"));
    let painted: Vec<Value> =
        (0..60).map(|r| json!((0..20).map(|i| json!([i * 30, r * 4, 0.5, i])).collect::<Vec<_>>())).collect();
    for (agent, code, what) in [
        (json!({ "signer": "agent", "strokes": [[[300, 120, 0.5, 0]]] }), "签名为空或过于简单", "a dot"),
        (json!({ "signer": "agent", "strokes": [] }), "签名为空或过于简单", "no strokes"),
        (json!({ "signer": "agent" }), "签名为空或过于简单", "nothing at all"),
        (json!({ "signer": "agent", "strokes": painted }), "几乎被涂满", "a pad painted over"),
        (
            json!({ "signer": "agent", "strokes": [[[700, 120, 0.5, 0], [10, 10, 0.5, 9]]] }),
            "笔迹数据格式不正确",
            "off the pad",
        ),
        (json!({ "signer": "agent", "pen": "not base64!" }), "笔迹数据格式不正确", "a pen that is not base64"),
        (json!({ "signer": "agent", "pen": BASE64.encode(b"PK1\x05") }), "笔迹数据格式不正确", "a cut pen"),
        (json!({ "signer": "agent", "strokes": strokes(0) }), "完全相同", "the customer's strokes again"),
    ] {
        let sigs = json!([{ "signer": "customer", "strokes": strokes(0) }, agent, { "signer": "sales", "strokes": strokes(2) }]);
        let (status, v) = kiosk.check_in(Some(&token), "13812345678", json!({ "signatures": sigs })).await;
        assert_eq!((status, v["error"]["code"].as_str()), (422, Some("BAD_SIGNATURE")), "{what}: {v}");
        let message = v["error"]["message"].as_str().unwrap();
        assert!(message.starts_with("agent:") && message.contains(code), "{what}: {message}");
    }
    assert_eq!(app.store.ledger_len().unwrap(), 0);
}

/// The audit's L5: someone typing manual codes at random at a signed-in
/// kiosk gets 20 refused codes, then the clerk must sign in with the PIN
/// again (audited).
#[tokio::test]
async fn guessing_manual_codes_signs_the_kiosk_clerk_out() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    let mut refused = 0;
    let last = loop {
        let (status, body) = kiosk.scan(&format!("ZZZZ-{:04}", refused)).await;
        if body["error"]["code"] != "CODE_REFUSED" {
            break (status, body);
        }
        refused += 1;
        assert!(refused <= 20, "never stopped");
    };
    assert_eq!(refused, 20);
    assert_eq!(last.0, 429, "{}", last.1);
    assert!(last.1["error"]["message"].as_str().unwrap().contains("PIN"), "{}", last.1);
    // Signed out: the next scan needs the PIN first.
    let (status, body) = kiosk.scan("ZZZZ-9999").await;
    assert_ne!(body["error"]["code"], "CODE_REFUSED", "{status} {body}");
    assert!(app.store.audit_entries(50).unwrap().iter().any(|a| a.action == "kiosk.signed_out_for_guessing"));
}
