//! Every rejection on `/api/*` and `/kiosk/*` — the framework's own too —
//! is JSON with a stable code from the one list (`ErrorCode`).

use super::helpers::{AGENT_PHONE, TestApp};
use panke::web::error_code::ErrorCode;
use serde_json::Value;

async fn json_error(r: reqwest::Response) -> (u16, String) {
    let status = r.status().as_u16();
    let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    assert!(ct.starts_with("application/json"), "status {status}: content-type {ct}");
    let body: Value = r.json().await.unwrap();
    let code = body["error"]["code"].as_str().expect("error.code").to_owned();
    assert!(ErrorCode::ALL.iter().any(|c| c.as_str() == code), "{code} is in the list");
    assert!(!body["error"]["message"].as_str().unwrap_or("").is_empty());
    (status, code)
}

async fn with_key(app: &TestApp) -> String {
    app.store.create_api_key(app.agency, "test", panke::clock::Clock::now(&*app.clock)).unwrap()
}

#[tokio::test]
async fn a_path_id_that_is_not_a_number_is_a_json_bad_request() {
    let app = TestApp::spawn().await;
    let key = with_key(&app).await;
    let r = app.browser().get(app.url("/api/v1/reports/abc")).bearer_auth(&key).send().await.unwrap();
    assert_eq!(json_error(r).await, (400, "BAD_REQUEST".into()));
}

#[tokio::test]
async fn a_bad_query_value_is_a_json_bad_request() {
    let app = TestApp::spawn().await;
    let key = with_key(&app).await;
    let r = app.browser().get(app.url("/api/v1/reports?limit=many")).bearer_auth(&key).send().await.unwrap();
    assert_eq!(json_error(r).await, (400, "BAD_REQUEST".into()));
}

#[tokio::test]
async fn an_oversized_body_is_json_413() {
    let app = TestApp::spawn().await;
    let key = with_key(&app).await;
    let big = "x".repeat(200 * 1024);
    let r = app.browser().post(app.url("/api/v1/reports")).bearer_auth(&key).body(big).send().await.unwrap();
    assert_eq!(json_error(r).await, (413, "PAYLOAD_TOO_LARGE".into()));
}

#[tokio::test]
async fn a_wrong_content_type_at_the_kiosk_is_json_415() {
    let app = TestApp::spawn().await;
    let r = app.browser().post(app.url("/kiosk/pair")).body("code=abc").send().await.unwrap();
    assert_eq!(json_error(r).await, (415, "UNSUPPORTED_MEDIA_TYPE".into()));
}

#[tokio::test]
async fn unknown_routes_and_methods_are_json_too() {
    let app = TestApp::spawn().await;
    let r = app.browser().get(app.url("/api/v1/nothing-here")).send().await.unwrap();
    assert_eq!(json_error(r).await, (404, "NOT_FOUND".into()));
    let r = app.browser().delete(app.url("/api/v1/reports")).send().await.unwrap();
    assert_eq!(json_error(r).await, (405, "METHOD_NOT_ALLOWED".into()));
}

#[tokio::test]
async fn a_missing_key_and_a_malformed_body_keep_their_codes() {
    let app = TestApp::spawn().await;
    let r = app.browser().get(app.url("/api/v1/reports")).send().await.unwrap();
    assert_eq!(json_error(r).await, (401, "UNAUTHENTICATED".into()));
    let key = with_key(&app).await;
    let r = app.browser().post(app.url("/api/v1/reports")).bearer_auth(&key).body("{not json").send().await.unwrap();
    assert_eq!(json_error(r).await, (422, "BAD_JSON".into()));
}

#[test]
fn the_openapi_document_lists_exactly_the_error_codes() {
    let doc: Value = serde_json::from_str(include_str!("../../static/openapi.json")).unwrap();
    let listed: Vec<&str> = doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"]
        .as_array()
        .expect("components.schemas.Error…code.enum in openapi.json")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let ours: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(listed, ours);
}

#[tokio::test]
async fn a_wrong_staff_password_names_the_login_field() {
    let app = TestApp::spawn().await;
    let c = app.browser();
    let (_, page) = app.get_text(&c, "/staff/login").await;
    let r = c
        .post(app.url("/staff/login"))
        .form(&[
            ("csrf", super::helpers::csrf(&page).as_str()),
            ("login", "nobody"),
            ("password", "wrong password"),
            ("next", "/records/1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let text = r.text().await.unwrap();
    assert!(text.contains("登录名或密码不正确") && !text.contains("手机号"), "staff sign in by login name");
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

#[tokio::test]
async fn pages_with_personal_data_are_not_cached() {
    let app = TestApp::spawn().await;
    let c = app.signed_in(AGENT_PHONE).await;
    let r = c.get(app.url("/agent/reports")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(header(&r, "cache-control"), "no-store", "the agent's report list");
    assert!(r.headers().get("strict-transport-security").is_none(), "no HSTS over plain http");

    let key = with_key(&app).await;
    let r = app.browser().get(app.url("/api/v1/reports")).bearer_auth(&key).send().await.unwrap();
    assert_eq!(header(&r, "cache-control"), "no-store", "the API's answers");

    let (_, login) = app.get_text(&app.browser(), "/agent/login").await;
    let start = login.find("/static/v-").expect("the page links its assets");
    let css = &login[start..start + login[start..].find('"').unwrap()];
    assert!(css.ends_with("/app.css"), "{css}");
    let r = app.browser().get(app.url(css)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let cache = header(&r, "cache-control");
    assert!(cache.contains("immutable") && !cache.contains("no-store"), "static assets keep their caching: {cache}");
}

#[tokio::test]
async fn a_name_with_a_bidi_override_is_refused_when_filing() {
    let app = TestApp::spawn().await;
    let c = app.signed_in(AGENT_PHONE).await;
    let r = app.file(&c, "demo", "王\u{202e}生先", "13812345678").await;
    let status = r.status().as_u16();
    assert_ne!(status, 303, "a name shown reversed is not filed");
    assert_eq!(status, 422);
    let text = r.text().await.unwrap();
    assert!(text.contains("客户姓名含有文字方向控制符"), "{text}");
}

/// The audit's I1: the language switch goes back only to a path of this
/// site (no `/\evil.com`, no control characters).
#[tokio::test]
async fn the_language_switch_never_redirects_off_the_site() {
    let app = TestApp::spawn().await;
    let c = app.browser();
    for referer in ["http://x/\\evil.com", "http://x//evil.com", "http://x/a%0d%0aSet-Cookie:x"] {
        let r = c.get(app.url("/lang/en")).header("referer", referer).send().await.unwrap();
        let to = header(&r, "location");
        assert!(to.starts_with('/') && !to.starts_with("//") && !to.contains('\\'), "{referer} → {to}");
    }
}
