//! `/api/v1` for agencies' own systems: JSON in and out, stable codes.

use super::helpers::{AGENT_PHONE, RIVAL_PHONE, TestApp, decode_qr, t};
use panke::domain::token::ReportId;
use serde_json::{Value, json};

struct Api {
    app: TestApp,
    key: String,
    rival_key: String,
    http: reqwest::Client,
}

impl Api {
    async fn new() -> Api {
        let app = TestApp::spawn().await;
        let now = t("2026-11-18T09:00:00+08:00");
        let key = app.store.create_api_key(app.agency, "crm", now).unwrap();
        let rival_key = app.store.create_api_key(app.rival_agency, "crm", now).unwrap();
        Api { app, key, rival_key, http: reqwest::Client::new() }
    }

    async fn call(&self, method: reqwest::Method, path: &str, key: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self.http.request(method, self.app.url(path)).bearer_auth(key);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn create(&self, key: &str, agent: &str, phone: &str) -> (u16, Value) {
        let body =
            json!({ "project": "demo", "agent_phone": agent, "customer_name": "王先生", "customer_phone": phone });
        self.call(reqwest::Method::POST, "/api/v1/reports", key, Some(body)).await
    }
}

#[tokio::test]
async fn without_a_valid_key_the_api_answers_401_in_json() {
    let api = Api::new().await;
    let (status, body) = api.call(reqwest::Method::GET, "/api/v1/reports", "pk_nope", None).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "UNAUTHENTICATED");
    let r = api.http.get(api.app.url("/api/v1/reports")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
}

#[tokio::test]
async fn filing_through_the_api_returns_the_report_and_its_qr() {
    let api = Api::new().await;
    let (status, body) = api.create(&api.key, AGENT_PHONE, "13812345678").await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["status"], "pending");
    assert_eq!(body["customer_phone"], "138****5678", "the API never returns a full number");
    assert_eq!(body["arrive_not_before"], "2026-11-18T10:30:00+08:00");
    assert_eq!(body["valid_until"], "2026-11-25T10:00:00+08:00");
    let id = body["id"].as_i64().unwrap();
    let token = body["token"].as_str().unwrap();
    assert_eq!(api.app.key_ring.verify(token).unwrap().report_id, ReportId(id));
    let png =
        api.http.get(api.app.url(&format!("/api/v1/reports/{id}/qr.png"))).bearer_auth(&api.key).send().await.unwrap();
    assert_eq!(decode_qr(&png.bytes().await.unwrap()), token);
    let (_, list) = api.call(reqwest::Method::GET, "/api/v1/reports", &api.key, None).await;
    assert_eq!(list["reports"].as_array().unwrap().len(), 1);
    let (status, one) = api.call(reqwest::Method::GET, &format!("/api/v1/reports/{id}"), &api.key, None).await;
    assert_eq!((status, one["id"].as_i64()), (200, Some(id)));
}

#[tokio::test]
async fn the_api_refuses_with_stable_codes() {
    let api = Api::new().await;
    let (status, body) = api.create(&api.key, RIVAL_PHONE, "13812345678").await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("UNKNOWN_AGENT")), "an agent of another agency");
    let (status, body) = api.create(&api.key, AGENT_PHONE, "138123").await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("INVALID")));
    let r = api
        .http
        .post(api.app.url("/api/v1/reports"))
        .bearer_auth(&api.key)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "BAD_JSON");
    let (status, body) = api.call(reqwest::Method::POST, "/api/v1/reports", &api.key, Some(json!({"project": "nope", "agent_phone": AGENT_PHONE, "customer_name": "王", "customer_phone": "13812345678"}))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("UNKNOWN_PROJECT")));
    // The rival agency reported the customer first.
    assert_eq!(api.create(&api.rival_key, RIVAL_PHONE, "13912345678").await.0, 201);
    let (status, body) = api.create(&api.key, AGENT_PHONE, "139****5678").await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("PROTECTED_BY_OTHER_AGENCY")));
    assert!(!body.to_string().contains("中原"), "the other agency is never named");
}

#[tokio::test]
async fn an_agency_sees_and_cancels_only_its_own_reports() {
    let api = Api::new().await;
    let (_, body) = api.create(&api.key, AGENT_PHONE, "13812345678").await;
    let id = body["id"].as_i64().unwrap();
    for path in [format!("/api/v1/reports/{id}"), format!("/api/v1/reports/{id}/qr.png")] {
        let r = api.http.get(api.app.url(&path)).bearer_auth(&api.rival_key).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 404, "{path}");
    }
    let (status, _) =
        api.call(reqwest::Method::POST, &format!("/api/v1/reports/{id}/cancel"), &api.rival_key, None).await;
    assert_eq!(status, 404);
    let (status, body) = api.call(reqwest::Method::POST, &format!("/api/v1/reports/{id}/cancel"), &api.key, None).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("cancelled")));
    let (status, body) = api.call(reqwest::Method::POST, &format!("/api/v1/reports/{id}/cancel"), &api.key, None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("CONFLICT")));
}

#[tokio::test]
async fn an_idempotency_key_is_counted_in_characters() {
    let api = Api::new().await;
    let body = |key: String| json!({ "project": "demo", "agent_phone": AGENT_PHONE, "customer_name": "王", "customer_phone": "13812345678", "idempotency_key": key });
    // 100 characters of 3 bytes each: within the limit.
    let (status, b) = api.call(reqwest::Method::POST, "/api/v1/reports", &api.key, Some(body("键".repeat(100)))).await;
    assert_eq!(status, 201, "{b}");
    let (status, b) = api.call(reqwest::Method::POST, "/api/v1/reports", &api.key, Some(body("键".repeat(101)))).await;
    assert_eq!((status, b["error"]["code"].as_str()), (422, Some("INVALID")), "{b}");
}

#[tokio::test]
async fn a_repeated_idempotency_key_files_once() {
    let api = Api::new().await;
    let body = json!({ "project": "demo", "agent_phone": AGENT_PHONE, "customer_name": "王", "customer_phone": "13812345678", "idempotency_key": "crm-42" });
    let (_, a) = api.call(reqwest::Method::POST, "/api/v1/reports", &api.key, Some(body.clone())).await;
    let (_, b) = api.call(reqwest::Method::POST, "/api/v1/reports", &api.key, Some(body)).await;
    assert_eq!(a["id"], b["id"]);
}

#[tokio::test]
async fn the_openapi_document_is_served_and_lists_every_route() {
    let api = Api::new().await;
    let doc: Value = api.http.get(api.app.url("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["openapi"], "3.0.3");
    for path in [
        "/api/v1/reports",
        "/api/v1/reports/{id}",
        "/api/v1/reports/{id}/qr.png",
        "/api/v1/reports/{id}/qr.svg",
        "/api/v1/reports/{id}/cancel",
    ] {
        assert!(doc["paths"][path].is_object(), "{path}");
    }
}
