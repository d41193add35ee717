//! `/api/v1/reports/{id}/outcome`, `…/pass.png`, `…/sheet` (issue 15,
//! item 5): what happened after the visit, for the agency's own system.

use super::helpers::{AGENT_PHONE, TestApp, decode_qr, t};
use super::kiosk::Kiosk;
use panke::domain::token::ReportId;
use serde_json::{Value, json};

async fn get(app: &TestApp, path: &str, key: &str) -> reqwest::Response {
    reqwest::Client::new().get(app.url(path)).bearer_auth(key).send().await.unwrap()
}

async fn json_of(app: &TestApp, path: &str, key: &str) -> (u16, Value) {
    let r = get(app, path, key).await;
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_live_report_has_a_pass_and_a_visited_one_its_outcome_receipt_and_channel_copy() {
    let app = TestApp::spawn().await;
    let now = t("2026-11-18T09:00:00+08:00");
    let key = app.store.create_api_key(app.agency, "crm", now).unwrap();
    let rival_key = app.store.create_api_key(app.rival_agency, "crm", now).unwrap();
    let agent = app.signed_in(AGENT_PHONE).await;
    let id = app.filed_id(&agent, "demo", "王先生", "13812345678").await;

    // Pending: the outcome says so and points at the pass, which decodes
    // to the report's own token.
    let (status, body) = json_of(&app, &format!("/api/v1/reports/{id}/outcome"), &key).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["outcome"], "pending");
    assert_eq!(body["label"], "待到访");
    assert_eq!(body["pass_png"], json!(format!("/api/v1/reports/{id}/pass.png")));
    let r = get(&app, &format!("/api/v1/reports/{id}/pass.png"), &key).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()[reqwest::header::CONTENT_TYPE], "image/png");
    let png = r.bytes().await.unwrap();
    let report = app.store.report(ReportId(id)).unwrap();
    let token = app.key_ring.sign_with(report.key_id, report.id, report.filed_at.to_utc()).unwrap();
    assert_eq!(decode_qr(&png), token, "the card's code is the report's token");
    // Another agency's key finds nothing.
    assert_eq!(get(&app, &format!("/api/v1/reports/{id}/outcome"), &rival_key).await.status().as_u16(), 404);
    assert_eq!(get(&app, &format!("/api/v1/reports/{id}/pass.png"), &rival_key).await.status().as_u16(), 404);
    assert_eq!(get(&app, &format!("/api/v1/reports/{id}/sheet"), &key).await.status().as_u16(), 404, "no visit yet");

    // Visited (filed 09:00, arrives 10:45): a valid visit.
    let kiosk = Kiosk::ready(&app, "demo").await;
    app.clock.set(t("2026-11-18T10:45:00+08:00"));
    kiosk.scan(&token).await;
    let (status, v) = kiosk.check_in(Some(&token), "13812345678", json!({})).await;
    assert_eq!(status, 200, "{v}");
    let (_, body) = json_of(&app, &format!("/api/v1/reports/{id}/outcome"), &key).await;
    assert_eq!(body["outcome"], "valid", "{body}");
    assert_eq!(body["label"], "有效带看");
    assert!(body["protected_until"].is_string() && body["arrived_at"].is_string() && body["first_read_at"].is_string());
    assert_eq!(body["pass_png"], Value::Null, "a used report has no pass");
    assert!(body["receipt_code"].is_string());
    assert!(!body.to_string().contains("13812345678"), "no full phone in the outcome");
    let r = get(&app, &format!("/api/v1/reports/{id}/pass.png"), &key).await;
    assert_eq!(r.status().as_u16(), 410);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "GONE");
    // No scannable code is left about: the QR answers 410, the report no token.
    for qr in ["qr.png", "qr.svg"] {
        let r = get(&app, &format!("/api/v1/reports/{id}/{qr}"), &key).await;
        assert_eq!(r.status().as_u16(), 410, "{qr}");
    }
    let (_, shown) = json_of(&app, &format!("/api/v1/reports/{id}"), &key).await;
    assert_eq!(shown["token"], Value::Null, "{shown}");

    // The channel copy: HTML, its signatures under the API's own paths.
    let r = get(&app, &format!("/api/v1/reports/{id}/sheet"), &key).await;
    assert_eq!(r.status().as_u16(), 200);
    let sheet = r.text().await.unwrap();
    assert!(sheet.contains("渠道联"), "the channel copy");
    assert!(sheet.contains(&format!("/api/v1/reports/{id}/signatures/customer")));
    let sig = get(&app, &format!("/api/v1/reports/{id}/signatures/customer"), &key).await;
    assert_eq!(sig.status().as_u16(), 200);
    assert_eq!(sig.headers()[reqwest::header::CONTENT_TYPE], "image/png");
    assert_eq!(get(&app, &format!("/api/v1/reports/{id}/sheet"), &rival_key).await.status().as_u16(), 404);
}

#[tokio::test]
async fn a_natural_visit_lists_every_reason_in_both_languages() {
    let app = TestApp::spawn().await;
    let key = app.store.create_api_key(app.agency, "crm", t("2026-11-18T09:00:00+08:00")).unwrap();
    let agent = app.signed_in(AGENT_PHONE).await;
    let id = app.filed_id(&agent, "demo", "王先生", "13812345678").await;
    let report = app.store.report(ReportId(id)).unwrap();
    let token = app.key_ring.sign_with(report.key_id, report.id, report.filed_at.to_utc()).unwrap();
    let kiosk = Kiosk::ready(&app, "demo").await;
    // Ten minutes after filing: too early (30 minutes are required).
    app.clock.set(t("2026-11-18T09:10:00+08:00"));
    kiosk.scan(&token).await;
    kiosk.check_in(Some(&token), "13812345678", json!({})).await;
    let (_, body) = json_of(&app, &format!("/api/v1/reports/{id}/outcome"), &key).await;
    assert_eq!(body["outcome"], "natural", "{body}");
    assert_eq!(body["label"], "自然到访");
    let reasons = body["reasons"].as_array().unwrap();
    assert!(reasons.iter().any(|r| r["code"] == "REPORT_TOO_LATE"), "{body}");
    assert!(reasons.iter().all(|r| r["zh"].is_string() && r["en"].is_string()));
}

#[tokio::test]
async fn a_report_filed_through_the_api_with_an_expected_arrival_in_the_past_is_refused() {
    let app = TestApp::spawn().await;
    let key = app.store.create_api_key(app.agency, "crm", t("2026-11-18T09:00:00+08:00")).unwrap();
    let file = |arrival: &'static str| {
        let body = json!({
            "project": "demo", "agent_phone": AGENT_PHONE, "customer_name": "王先生",
            "customer_phone": "13812345678", "expected_arrival": arrival,
        });
        reqwest::Client::new().post(app.url("/api/v1/reports")).bearer_auth(&key).json(&body).send()
    };
    // The clock stands at 2026-11-18 10:00 (+08:00).
    let r = file("2026-11-18T09:00:00+08:00").await.unwrap();
    assert_eq!(r.status().as_u16(), 422);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "INVALID");
    let r = file("2026-11-18T15:00:00+08:00").await.unwrap();
    assert_eq!(r.status().as_u16(), 201);
}
