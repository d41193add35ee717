//! The transparent ledger over HTTP: a check-in's receipt, its download by
//! the agent, the agency's system and staff, and the public checkpoint,
//! key, consistency proofs and receipt check — without signing in.

use super::helpers::{AGENT_PHONE, TestApp, t};
use super::kiosk::Kiosk;
use panke::domain::token::ReportId;
use serde_json::{Value, json};

async fn visited(app: &TestApp) -> (i64, Value) {
    let kiosk = Kiosk::ready(app, "demo").await;
    let c = app.signed_in(AGENT_PHONE).await;
    let id = app.filed_id(&c, "demo", "王先生", "13812345678").await;
    let r = app.store.report(ReportId(id)).unwrap();
    let token = app.key_ring.sign_with(r.key_id, r.id, r.filed_at.to_utc()).unwrap();
    app.clock.set(t("2026-11-18T10:45:00+08:00"));
    kiosk.scan(&token).await;
    let (status, v) = kiosk.check_in(Some(&token), "13812345678", json!({})).await;
    assert_eq!(status, 200, "{v}");
    (id, v)
}

#[tokio::test]
async fn a_check_in_hands_out_a_receipt_that_anyone_can_check() {
    let app = TestApp::spawn().await;
    let (id, v) = visited(&app).await;
    let code = v["receipt"]["code"].as_str().expect("a receipt code").to_owned();
    assert!(code.starts_with("R1-"), "{code}");
    let public = reqwest::Client::new();
    // The QR of the public check.
    let qr = public.get(app.url(v["receipt"]["qr"].as_str().unwrap())).send().await.unwrap();
    assert_eq!(qr.headers()["content-type"], "image/svg+xml");
    // The code, checked by anyone (no sign-in).
    let page = public.get(app.url(&format!("/ledger/verify?code={code}"))).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("哈希与回执码相符"), "{page}");
    assert!(!page.contains("13812345678") && !page.contains("王"), "nothing personal on the public page");
    let wrong = public.get(app.url("/ledger/verify?code=R1-00000000")).send().await.unwrap().text().await.unwrap();
    assert!(wrong.contains("不符"), "{wrong}");
    // The agent downloads the full receipt; it holds.
    let agent = app.signed_in(AGENT_PHONE).await;
    let r = agent.get(app.url(&format!("/agent/reports/{id}/receipt"))).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains(&code));
    let receipt: Value = r.json().await.unwrap();
    assert_eq!(receipt["record"], 1);
    let check = public.post(app.url("/ledger/verify.json")).json(&receipt).send().await.unwrap();
    let check: Value = check.json().await.unwrap();
    assert_eq!(check["valid"], true, "{check}");
    // Pasted into the page, too.
    let form = public
        .post(app.url("/ledger/verify"))
        .form(&[("receipt", receipt.to_string())])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(form.contains("回执有效"), "{form}");
    // Altered, it does not.
    let mut altered = receipt.clone();
    altered["record_hash"] = json!("00".repeat(32));
    let check: Value =
        public.post(app.url("/ledger/verify.json")).json(&altered).send().await.unwrap().json().await.unwrap();
    assert_eq!(check["valid"], false, "{check}");
}

#[tokio::test]
async fn the_checkpoint_key_and_consistency_proofs_are_public() {
    let app = TestApp::spawn().await;
    visited(&app).await;
    let public = reqwest::Client::new();
    let cp: Value = public.get(app.url("/ledger/checkpoint")).send().await.unwrap().json().await.unwrap();
    assert_eq!(cp["checkpoint"]["size"], 1);
    let key = public.get(app.url("/ledger/public-key")).send().await.unwrap().text().await.unwrap();
    assert_eq!(key.trim(), cp["public_key"].as_str().unwrap());
    let key = panke::domain::transparency::parse_public_key(&key).unwrap();
    let checkpoint: panke::domain::transparency::Checkpoint = serde_json::from_value(cp["checkpoint"].clone()).unwrap();
    assert!(checkpoint.signature_ok(&key));
    let proof: Value =
        public.get(app.url("/ledger/consistency?from=1&to=1")).send().await.unwrap().json().await.unwrap();
    assert_eq!(proof["proof"], json!([]));
    let bad = public.get(app.url("/ledger/consistency?from=2&to=1")).send().await.unwrap();
    assert_eq!(bad.status().as_u16(), 422);
}

#[tokio::test]
async fn only_the_reports_agency_downloads_its_receipt() {
    let app = TestApp::spawn().await;
    let (id, _) = visited(&app).await;
    let now = t("2026-11-18T11:00:00+08:00");
    let key = app.store.create_api_key(app.agency, "crm", now).unwrap();
    let rival = app.store.create_api_key(app.rival_agency, "crm", now).unwrap();
    let http = reqwest::Client::new();
    let mine = http.get(app.url(&format!("/api/v1/reports/{id}/receipt"))).bearer_auth(&key).send().await.unwrap();
    assert_eq!(mine.status().as_u16(), 200);
    let receipt: panke::domain::transparency::Receipt = mine.json().await.unwrap();
    assert_eq!(receipt.record, 1);
    let theirs = http.get(app.url(&format!("/api/v1/reports/{id}/receipt"))).bearer_auth(&rival).send().await.unwrap();
    assert_eq!(theirs.status().as_u16(), 404);
    // Before a visit there is no receipt.
    let c = app.signed_in(AGENT_PHONE).await;
    let pending = app.filed_id(&c, "demo", "李先生", "13912345678").await;
    let none = http.get(app.url(&format!("/api/v1/reports/{pending}/receipt"))).bearer_auth(&key).send().await.unwrap();
    assert_eq!(none.status().as_u16(), 404);
}
