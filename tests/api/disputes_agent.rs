//! Disputes for agencies (issue 14), over real HTTP: the agent pages
//! (`/agent/disputes…`) and the agency API (`/api/v1/disputes…`).
//!
//! The case: agency B (中原-体育西) reported the customer on 1 Nov; agency A
//! (链家-天河店) reported them on 18 Nov and brought them (a valid visit);
//! the deal was subscribed on 20 Nov with its deposit on 1 Dec at 23:30
//! (+08:00) and is attributed to A. B objects. The server's clock is the
//! test's (`app.clock`): every period is counted by it, on the project's
//! calendar.

use super::helpers::{AGENT_PHONE, PASSWORD, RIVAL_PHONE, TestApp, csrf, t};
use super::kiosk::{Kiosk, staff};
use panke::domain::dispute::{Outcome, Status};
use panke::domain::phone::Phone;
use panke::domain::rules::Rules;
use panke::domain::token::ReportId;
use panke::store::deals::{NewSubscription, SubscriptionText};
use panke::store::disputes::DisputeFilter;
use panke::store::people::{By, Role};
use reqwest::multipart::{Form, Part};
use reqwest::{Client, Method};
use serde_json::{Value, json};

const CUSTOMER: &str = "13812345678";
const A_NAME: &str = "链家-天河店";
const A_AGENT: &str = "张三";
const B_NAME: &str = "中原-体育西";
/// The stem of agency A's evidence file.
const A_FILE: &str = "天河店微信截图";
const CLAIM: &str = "客户11月1日由我司首次报备并电话联系,应归我方";
const REASONS: &str = "双方均有报备与联系记录,按三七比例分配佣金";

struct Case {
    app: TestApp,
    deal: i64,
    b_report: i64,
}

/// B reports on 1 Nov (expired by the 18th), A reports on 18 Nov and the
/// customer arrives with A at 10:45 (valid); the deal, deposit 1 Dec 23:30
/// local, is attributed to A.
async fn case() -> Case {
    let mut app = TestApp::spawn().await;
    app.clock.set(t("2026-11-01T10:00:00+08:00"));
    let b = app.signed_in(RIVAL_PHONE).await;
    let b_report = app.filed_id(&b, "demo", "王先生", CUSTOMER).await;
    app.clock.set(t("2026-11-18T10:00:00+08:00"));
    {
        let kiosk = Kiosk::ready(&app, "demo").await;
        let a = app.signed_in(AGENT_PHONE).await;
        let id = app.filed_id(&a, "demo", "王先生", CUSTOMER).await;
        let r = app.store.report(ReportId(id)).unwrap();
        let token = app.key_ring.sign_with(r.key_id, r.id, r.filed_at.to_utc()).unwrap();
        app.clock.set(t("2026-11-18T10:45:00+08:00"));
        kiosk.scan(&token).await;
        let (status, v) = kiosk.check_in(Some(&token), CUSTOMER, json!({})).await;
        assert_eq!((status, v["verdict"].as_str()), (200, Some("valid")), "{v}");
    }
    let text = SubscriptionText {
        customer_name: "王小明".into(),
        customer_phone: CUSTOMER.into(),
        unit: "3-1-1201".into(),
        product: "住宅".into(),
        price_yuan: "2000000".into(),
        subscribed_at: "2026-11-20 15:00".into(),
        deposit_at: "2026-12-01 23:30".into(),
        ..SubscriptionText::default()
    };
    let new = NewSubscription::parse("demo", &text, None, chrono_tz::Asia::Shanghai).unwrap();
    assert_eq!(new.deposit_at.map(|d| d.to_rfc3339()).as_deref(), Some("2026-12-01T23:30:00+08:00"));
    let by = By { actor: "test", project: Some("demo") };
    let now = t("2026-11-20T15:00:00+08:00");
    let deal = app.store.enter_subscription(&new, "test", "entered", &Rules::default(), by, now).unwrap().id;
    let attribution = app.store.attribution(deal).unwrap().expect("attributed when entered");
    assert_eq!(attribution.agency_id, Some(app.agency), "the deal is A's");
    Case { app, deal, b_report }
}

/// The status, and the redirect's target or the body.
async fn answer(r: reqwest::Response) -> (u16, String) {
    let status = r.status().as_u16();
    let to = r.headers().get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, if status == 303 { to } else { r.text().await.unwrap() })
}

/// A hidden field's value in a form.
fn hidden(page: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let start = page.find(&key).unwrap_or_else(|| panic!("{name} in {page}")) + key.len();
    page[start..start + page[start..].find('"').unwrap()].to_owned()
}

/// The id in `/agent/disputes/<id>`.
fn dispute_id(location: &str) -> i64 {
    location.trim_start_matches("/agent/disputes/").split(['?', '#']).next().unwrap().parse().unwrap()
}

/// B objects from its own report on the agent page.
async fn object_on_page(app: &TestApp, b: &Client, report: i64) -> (u16, String) {
    let (status, form) = app.get_text(b, &format!("/agent/disputes/new?report={report}")).await;
    assert_eq!(status, 200, "{form}");
    let fields = [
        ("csrf", csrf(&form)),
        ("idem", hidden(&form, "idem")),
        ("report", report.to_string()),
        ("kind", "collision".to_owned()),
        ("claim", CLAIM.to_owned()),
    ];
    answer(b.post(app.url("/agent/disputes")).form(&fields).send().await.unwrap()).await
}

async fn upload_on_page(app: &TestApp, c: &Client, id: i64, name: &str, bytes: Vec<u8>) -> (u16, String) {
    let (_, page) = app.get_text(c, &format!("/agent/disputes/{id}")).await;
    let form = Form::new()
        .text("csrf", csrf(&page))
        .text("kind", "messages")
        .text("note", "微信聊天记录")
        .part("file", Part::bytes(bytes).file_name(name.to_owned()));
    answer(c.post(app.url(&format!("/agent/disputes/{id}/evidence"))).multipart(form).send().await.unwrap()).await
}

async fn appeal_on_page(app: &TestApp, c: &Client, id: i64) -> (u16, String) {
    let (_, page) = app.get_text(c, &format!("/agent/disputes/{id}")).await;
    let fields = [("csrf", csrf(&page)), ("reason", "裁决未考虑我方的通话记录,申请复核".to_owned())];
    answer(c.post(app.url(&format!("/agent/disputes/{id}/appeal"))).form(&fields).send().await.unwrap()).await
}

async fn api(app: &TestApp, method: Method, path: &str, key: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = reqwest::Client::new().request(method, app.url(path)).bearer_auth(key);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn upload_by_api(app: &TestApp, key: &str, id: i64, name: &str, bytes: Vec<u8>) -> (u16, Value) {
    let form = Form::new().text("kind", "statement").part("file", Part::bytes(bytes).file_name(name.to_owned()));
    let r = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/disputes/{id}/evidence")))
        .bearer_auth(key)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn objection(report: i64, key: &str) -> Value {
    json!({
        "project": "demo",
        "subject": { "report": report },
        "kind": "collision",
        "claim": CLAIM,
        "idempotency_key": key,
    })
}

fn api_key(app: &TestApp, agency: i64) -> String {
    app.store.create_api_key(agency, "crm", t("2026-11-18T09:00:00+08:00")).unwrap()
}

fn all_disputes(app: &TestApp) -> usize {
    app.store.disputes(&DisputeFilter::default(), 100).unwrap().len()
}

#[tokio::test]
async fn on_the_agent_page_an_objection_on_day_5_is_accepted_and_on_day_6_refused_after_a_2330_deposit() {
    let Case { app, b_report, deal } = case().await;
    // Day 5 after the deposit of 1 Dec 23:30, one minute before midnight.
    app.clock.set(t("2026-12-06T23:59:00+08:00"));
    let b = app.signed_in(RIVAL_PHONE).await;
    let (status, to) = object_on_page(&app, &b, b_report).await;
    assert_eq!(status, 303, "{to}");
    let id = dispute_id(&to);
    let d = app.store.dispute(id).unwrap();
    assert_eq!(d.subscription_id, Some(deal), "the report leads to the customer's deal");
    assert_eq!((d.claimant_agency_id, d.respondent_agency_id), (Some(app.rival_agency), Some(app.agency)));
    assert_eq!(
        d.opened_by,
        format!("agent:{}", app.store.agent_by_phone(&Phone::parse(RIVAL_PHONE).unwrap()).unwrap().unwrap().id)
    );
    let (status, page) = app.get_text(&b, &to).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("2026-12-06"), "the page shows the objection's last day: {page}");
    // Day 6, at midnight local: refused, naming the last day.
    app.clock.set(t("2026-12-07T00:00:00+08:00"));
    let (status, page) = object_on_page(&app, &b, b_report).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("data-code=\"DISPUTE_LATE\""), "{page}");
    assert!(page.contains("已超过提出异议的期限") && page.contains("最迟 2026-12-06"), "{page}");
    assert_eq!(all_disputes(&app), 1, "nothing more was opened");
}

#[tokio::test]
async fn through_the_api_an_objection_on_day_5_is_accepted_and_on_day_6_refused_and_a_late_appeal_too() {
    let Case { mut app, b_report, deal } = case().await;
    let key = api_key(&app, app.rival_agency);
    app.clock.set(t("2026-12-06T23:59:00+08:00"));
    let (status, body) = api(&app, Method::POST, "/api/v1/disputes", &key, Some(objection(b_report, "crm-1"))).await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_i64().unwrap();
    assert_eq!(body["subscription_id"].as_i64(), Some(deal));
    assert_eq!(
        (body["side"].as_str(), body["claimant"].as_str(), body["respondent"].as_str()),
        (Some("claimant"), Some("us"), Some("other"))
    );
    assert_eq!(body["deadlines"]["objection_due"], "2026-12-06");
    assert_eq!(body["customer_phone"], "138****5678");
    assert!(!body.to_string().contains(A_NAME), "the other agency is never named: {body}");
    assert_eq!(app.store.dispute(id).unwrap().opened_by, format!("api:{}", app.rival_agency));
    // The same idempotency key again: the same dispute.
    let (status, again) = api(&app, Method::POST, "/api/v1/disputes", &key, Some(objection(b_report, "crm-1"))).await;
    assert_eq!((status, again["id"].as_i64()), (201, Some(id)));
    // Day 6 at 00:00 local.
    app.clock.set(t("2026-12-07T00:00:00+08:00"));
    let (status, body) = api(&app, Method::POST, "/api/v1/disputes", &key, Some(objection(b_report, "crm-2"))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("DISPUTE_LATE")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("2026-12-06"), "{body}");
    assert_eq!(all_disputes(&app), 1);

    // Ruled on 7 Dec: appeals are open through 10 Dec, local.
    let boss = staff(&app, "demo", "boss-demo", Role::Manager, "9999");
    let ruled = t("2026-12-07T10:00:00+08:00");
    app.store.rule_dispute(id, Outcome::Rejected, REASONS, boss, false, &format!("staff:{boss}"), ruled).unwrap();
    app.clock.set(t("2026-12-10T12:00:00+08:00"));
    let (_, body) = api(&app, Method::GET, &format!("/api/v1/disputes/{id}"), &key, None).await;
    assert_eq!(
        (body["status"].as_str(), body["deadlines"]["appeal_due"].as_str()),
        (Some("ruled"), Some("2026-12-10"))
    );
    assert_eq!(body["next"]["step"], "appeal");
    assert_eq!(body["rulings"][0]["reasons"], REASONS);
    app.clock.set(t("2026-12-11T00:00:00+08:00"));
    let appeal = json!({ "reason": "裁决未考虑我方的通话记录" });
    let (status, body) = api(&app, Method::POST, &format!("/api/v1/disputes/{id}/appeal"), &key, Some(appeal)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("DISPUTE_LATE")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("2026-12-10"), "{body}");
    // The same on the agent page.
    let b = app.signed_in(RIVAL_PHONE).await;
    let (status, page) = appeal_on_page(&app, &b, id).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("data-code=\"DISPUTE_LATE\"") && page.contains("2026-12-10"), "{page}");
    assert!(app.store.dispute(id).unwrap().appeal.is_none(), "no appeal recorded");
}

#[tokio::test]
async fn evidence_refuses_renamed_programs_and_a_12_mb_file_and_stores_nothing() {
    let Case { app, b_report, .. } = case().await;
    app.clock.set(t("2026-12-02T10:00:00+08:00"));
    let b = app.signed_in(RIVAL_PHONE).await;
    let (status, to) = object_on_page(&app, &b, b_report).await;
    assert_eq!(status, 303, "{to}");
    let id = dispute_id(&to);
    let key = api_key(&app, app.rival_agency);
    let stored = || app.store.dispute_evidence(id, None).unwrap().len();
    let elf = [b"\x7FELF\x02\x01\x01\x00".to_vec(), vec![0u8; 4096]].concat();
    let mz = [b"MZ\x90\x00\x03\x00\x00\x00".to_vec(), vec![0u8; 56], b"PE\0\0".to_vec(), vec![0u8; 4096]].concat();
    let big = [b"%PDF-1.7\n".to_vec(), vec![b'x'; 12 * 1024 * 1024], b"\n%%EOF\n".to_vec()].concat();
    for (name, bytes) in [("photo.jpg", elf), ("scan.pdf", mz)] {
        let (status, page) = upload_on_page(&app, &b, id, name, bytes.clone()).await;
        assert_eq!(status, 422, "{name}: {page}");
        assert!(page.contains("data-code=\"INVALID\"") && page.contains("只接受 JPEG、PNG 图片或 PDF 文件"), "{page}");
        let (status, body) = upload_by_api(&app, &key, id, name, bytes).await;
        assert_eq!((status, body["error"]["code"].as_str()), (422, Some("INVALID")), "{name}: {body}");
    }
    let (status, page) = upload_on_page(&app, &b, id, "big.pdf", big.clone()).await;
    assert_eq!(status, 413, "{page}");
    assert!(page.contains("10 MB"), "{page}");
    let (status, body) = upload_by_api(&app, &key, id, "big.pdf", big).await;
    assert_eq!((status, body["error"]["code"].as_str()), (413, Some("PAYLOAD_TOO_LARGE")), "{body}");
    assert_eq!(stored(), 0, "nothing stored");
    assert_eq!(app.store.verify_evidence().unwrap(), (0, vec![]));
    // The API takes kind, file and note, nothing else (as its JSON bodies).
    let form = Form::new()
        .text("kind", "statement")
        .text("csrf", "a page's field")
        .part("file", Part::bytes(panke::demo::signature_png(6)).file_name("多余.png"));
    let r = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/disputes/{id}/evidence")))
        .bearer_auth(&key)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "INVALID", "{body}");
    assert_eq!(stored(), 0, "nothing stored");
    // A real image goes through both ways.
    let (status, to) = upload_on_page(&app, &b, id, "聊天.png", panke::demo::signature_png(7)).await;
    assert_eq!(status, 303, "{to}");
    let (status, body) = upload_by_api(&app, &key, id, "书面证明.png", panke::demo::signature_png(8)).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!((body["kind"].as_str(), body["mime"].as_str()), (Some("statement"), Some("image/png")));
    assert_eq!(stored(), 2);
    // The claimant withdraws; then nothing more is added.
    let (_, page) = app.get_text(&b, &format!("/agent/disputes/{id}")).await;
    assert!(page.contains(&format!("action=\"/agent/disputes/{id}/withdraw\"")), "{page}");
    let withdraw = b.post(app.url(&format!("/agent/disputes/{id}/withdraw"))).form(&[("csrf", csrf(&page))]);
    assert_eq!(withdraw.send().await.unwrap().status().as_u16(), 303);
    assert_eq!(app.store.dispute(id).unwrap().status, Status::Withdrawn);
    let (status, body) = upload_by_api(&app, &key, id, "晚到.png", panke::demo::signature_png(9)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("CONFLICT")), "{body}");
    assert_eq!(stored(), 2);
}

#[tokio::test]
async fn agency_b_never_sees_agency_as_evidence_or_name_and_agency_c_sees_nothing() {
    let Case { app, b_report, .. } = case().await;
    app.clock.set(t("2026-12-02T10:00:00+08:00"));
    let b = app.signed_in(RIVAL_PHONE).await;
    let (status, to) = object_on_page(&app, &b, b_report).await;
    assert_eq!(status, 303, "{to}");
    let id = dispute_id(&to);
    // A, the respondent, is told, and uploads its evidence.
    let a = app.signed_in(AGENT_PHONE).await;
    let (_, home) = app.get_text(&a, "/agent/reports").await;
    assert!(home.contains("id=\"dispute-badge\""), "A has an unread notice: {home}");
    let (status, page) = app.get_text(&a, &format!("/agent/disputes/{id}")).await;
    assert_eq!(status, 200, "{page}");
    assert!(!page.contains(B_NAME), "A does not read B's name either: {page}");
    let png = panke::demo::signature_png(3);
    let (status, to) = upload_on_page(&app, &a, id, &format!("{A_FILE}.png"), png).await;
    assert_eq!(status, 303, "{to}");
    let own = app.store.dispute_evidence(id, Some(app.agency)).unwrap();
    assert_eq!(own.len(), 1);
    let eid = own[0].id;
    let (_, page) = app.get_text(&a, &format!("/agent/disputes/{id}")).await;
    assert!(page.contains(A_FILE), "A sees its own file: {page}");
    let r = a.get(app.url(&format!("/agent/disputes/{id}/evidence/{eid}"))).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert!(r.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.headers()["cache-control"], "private, no-store");

    // B: its page (with the timeline), its list, its API, A's file.
    let key = api_key(&app, app.rival_agency);
    let mut seen = Vec::new();
    for path in [format!("/agent/disputes/{id}"), "/agent/disputes".to_owned()] {
        let (status, text) = app.get_text(&b, &path).await;
        assert_eq!(status, 200, "{path}: {text}");
        seen.push((path, text));
    }
    assert!(seen[0].1.contains("对方渠道"), "the other side is 对方渠道: {}", seen[0].1);
    assert!(seen[0].1.contains("其他渠道"), "A's steps on the timeline are another agency's: {}", seen[0].1);
    assert!(seen[0].1.contains(B_NAME), "B's own name is there");
    let r = b.get(app.url(&format!("/agent/disputes/{id}/evidence/{eid}"))).send().await.unwrap();
    let status = r.status().as_u16();
    seen.push(("B downloads A's file".into(), r.text().await.unwrap()));
    assert_eq!(status, 404);
    for path in [format!("/api/v1/disputes/{id}"), "/api/v1/disputes".to_owned()] {
        let (status, body) = api(&app, Method::GET, &path, &key, None).await;
        assert_eq!(status, 200, "{path}: {body}");
        seen.push((path, body.to_string()));
    }
    let (_, detail) = api(&app, Method::GET, &format!("/api/v1/disputes/{id}"), &key, None).await;
    assert_eq!(detail["evidence"], json!([]), "B has no evidence of its own");
    assert_eq!(detail["respondent"], "other");
    for (what, text) in &seen {
        for secret in [A_NAME, A_FILE, "天河店", A_AGENT] {
            assert!(!text.contains(secret), "{what} holds {secret}: {text}");
        }
    }

    // C, a party to nothing, finds nothing.
    let now = t("2026-12-02T10:00:00+08:00");
    let c_agency = app.store.create_agency("丙渠道-越秀店", None, now).unwrap();
    let (_, invite) = app.store.create_agent(c_agency, "王五", &Phone::parse("13800000003").unwrap(), now).unwrap();
    app.store.accept_invite(&invite, PASSWORD, now).unwrap();
    let c = app.signed_in("13800000003").await;
    for path in [format!("/agent/disputes/{id}"), format!("/agent/disputes/{id}/evidence/{eid}")] {
        assert_eq!(app.get_text(&c, &path).await.0, 404, "{path}");
    }
    let (_, list) = app.get_text(&c, "/agent/disputes").await;
    assert!(!list.contains(&format!("data-dispute=\"{id}\"")), "{list}");
    let c_key = api_key(&app, c_agency);
    let (status, body) = api(&app, Method::GET, &format!("/api/v1/disputes/{id}"), &c_key, None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("NOT_FOUND")));
    let (status, _) = upload_by_api(&app, &c_key, id, "x.png", panke::demo::signature_png(4)).await;
    assert_eq!(status, 404);
    let appeal = json!({ "reason": "与我无关的申诉" });
    let (status, _) = api(&app, Method::POST, &format!("/api/v1/disputes/{id}/appeal"), &c_key, Some(appeal)).await;
    assert_eq!(status, 404);
    assert_eq!(app.store.dispute_evidence(id, None).unwrap().len(), 1);
}

#[tokio::test]
async fn after_a_ruling_both_agencies_see_it_with_a_badge_and_b_appeals_once() {
    let Case { mut app, b_report, .. } = case().await;
    app.clock.set(t("2026-12-02T10:00:00+08:00"));
    let b = app.signed_in(RIVAL_PHONE).await;
    let (status, to) = object_on_page(&app, &b, b_report).await;
    assert_eq!(status, 303, "{to}");
    let id = dispute_id(&to);
    let a = app.signed_in(AGENT_PHONE).await;
    // A has read the objection; B never had a notice.
    assert_eq!(app.get_text(&a, &format!("/agent/disputes/{id}")).await.0, 200);
    for c in [&a, &b] {
        let (_, home) = app.get_text(c, "/agent/reports").await;
        assert!(!home.contains("id=\"dispute-badge\""), "{home}");
    }

    // The project's manager rules: split 30 / 70.
    let boss = staff(&app, "demo", "boss-demo", Role::Manager, "9999");
    let now = t("2026-12-05T10:00:00+08:00");
    let outcome = Outcome::Split { claimant_percent: 30 };
    app.store.rule_dispute(id, outcome, REASONS, boss, false, &format!("staff:{boss}"), now).unwrap();
    app.clock.set(t("2026-12-05T11:00:00+08:00"));
    for c in [&a, &b] {
        let (_, home) = app.get_text(c, "/agent/reports").await;
        assert!(home.contains("id=\"dispute-badge\""), "a notice badge: {home}");
        let (_, list) = app.get_text(c, "/agent/disputes").await;
        assert!(list.contains("申诉已裁决"), "the notice: {list}");
        let (status, page) = app.get_text(c, &format!("/agent/disputes/{id}")).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains(REASONS), "the ruling's reasons: {page}");
        assert!(page.contains("按比例分配:申诉方 30%,被申诉方 70%"), "the outcome: {page}");
        assert!(page.contains("已裁决"), "{page}");
        let (_, home) = app.get_text(c, "/agent/reports").await;
        assert!(!home.contains("id=\"dispute-badge\""), "opening the dispute read its notices: {home}");
    }
    // A's page offers the appeal too; B appeals, once.
    let (_, page) = app.get_text(&a, &format!("/agent/disputes/{id}")).await;
    assert!(page.contains(&format!("action=\"/agent/disputes/{id}/appeal\"")), "{page}");
    let (status, to) = appeal_on_page(&app, &b, id).await;
    assert_eq!(status, 303, "{to}");
    let appeal = app.store.dispute(id).unwrap().appeal.expect("appealed");
    assert_eq!(appeal.agency_id, Some(app.rival_agency));
    let (status, page) = appeal_on_page(&app, &b, id).await;
    assert_eq!(status, 409, "{page}");
    assert!(page.contains("data-code=\"CONFLICT\""), "{page}");
    let key = api_key(&app, app.rival_agency);
    let again = json!({ "reason": "再次申请复核" });
    let (status, body) = api(&app, Method::POST, &format!("/api/v1/disputes/{id}/appeal"), &key, Some(again)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("CONFLICT")), "{body}");
    // A is told of the appeal, and never reads B's reasons.
    let (_, home) = app.get_text(&a, "/agent/reports").await;
    assert!(home.contains("id=\"dispute-badge\""), "{home}");
    let (_, page) = app.get_text(&a, &format!("/agent/disputes/{id}")).await;
    assert!(page.contains("对方渠道已申请复核") && !page.contains("裁决未考虑我方的通话记录"), "{page}");
    assert!(!page.contains(B_NAME), "{page}");
}
