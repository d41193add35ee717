//! Staff sessions over HTTP: a PIN session belongs to the kiosk it was
//! opened on (revoking the kiosk ends it; without that kiosk's device
//! session it is not signed in), and staff sign out here or everywhere.

use super::helpers::{AGENT_PHONE, TestApp, csrf, t};
use panke::domain::token::ReportId;
use panke::store::people::{NewStaff, Role};
use panke::store::sessions::SessionKind;
use serde_json::{Value, json};

const STAFF_PASSWORD: &str = "a long password";

/// The value a response sets for cookie `name`.
fn set_cookie(r: &reqwest::Response, name: &str) -> String {
    let prefix = format!("{name}=");
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(prefix.as_str()).map(|rest| rest.split(';').next().unwrap_or("").to_owned()))
        .unwrap_or_else(|| panic!("the response sets no {name} cookie"))
}

fn location(r: &reqwest::Response) -> String {
    r.headers().get("location").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

/// A client with no cookie store: it sends exactly the cookies it is given.
fn bare() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// The status of `GET path` sent with exactly these cookies.
async fn status_with(app: &TestApp, path: &str, cookies: &str) -> u16 {
    bare().get(app.url(path)).header("cookie", cookies).send().await.unwrap().status().as_u16()
}

fn boot(page: &str) -> Value {
    let start = page.find("type=\"application/json\">").unwrap() + 24;
    let end = start + page[start..].find("</script>").unwrap();
    serde_json::from_str(&page[start..end].replace("<\\/", "</")).unwrap()
}

fn new_staff(app: &TestApp, login: &str, role: Role) -> i64 {
    let new = NewStaff {
        project_id: Some("demo"),
        login,
        name: login,
        role,
        password: Some(STAFF_PASSWORD),
        pin: Some("1234"),
    };
    app.store.create_staff(&new, t("2026-11-18T08:00:00+08:00")).unwrap()
}

/// A paired tablet of project `demo` (no one signed in yet).
struct Tablet {
    http: reqwest::Client,
    kiosk_id: i64,
    /// The device session's cookie secret.
    device: String,
    /// The device session's CSRF token.
    csrf: String,
}

impl Tablet {
    async fn paired(app: &TestApp, name: &str) -> Tablet {
        let (kiosk, code) = app.store.create_kiosk("demo", name, t("2026-11-18T08:00:00+08:00")).unwrap();
        let http = app.browser();
        let pre = boot(&app.get_text(&http, "/kiosk").await.1)["csrf"].as_str().unwrap().to_owned();
        let r = http
            .post(app.url("/kiosk/pair"))
            .header("x-csrf-token", &pre)
            .json(&json!({ "code": code.to_lowercase() }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "pairing failed");
        let device = set_cookie(&r, "pk_kiosk");
        let b = boot(&app.get_text(&http, "/kiosk").await.1);
        assert_eq!(b["screen"], "signin");
        let csrf = b["csrf"].as_str().unwrap().to_owned();
        Tablet { http, kiosk_id: kiosk.id, device, csrf }
    }

    /// A staff member signs in on the tablet with a PIN; returns the staff
    /// session's cookie secret.
    async fn pin_sign_in(&self, app: &TestApp, staff_id: i64) -> String {
        let r = self
            .http
            .post(app.url("/kiosk/signin"))
            .header("x-csrf-token", &self.csrf)
            .json(&json!({ "staff_id": staff_id, "pin": "1234" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "PIN sign-in failed");
        set_cookie(&r, "pk_staff")
    }

    /// An agent's report, checked in on this tablet: the record's number.
    async fn a_record(&self, app: &TestApp) -> i64 {
        let agent = app.signed_in(AGENT_PHONE).await;
        let id = app.filed_id(&agent, "demo", "王先生", "138****5678").await;
        let r = app.store.report(ReportId(id)).unwrap();
        let token = app.key_ring.sign_with(r.key_id, r.id, r.filed_at.to_utc()).unwrap();
        app.clock.set(t("2026-11-18T10:45:00+08:00"));
        let signatures: Vec<Value> = ["customer", "agent", "sales"]
            .iter()
            .enumerate()
            .map(|(i, s)| {
                json!({ "signer": s, "png": super::kiosk::signature(i as u64),
                        "strokes": [[[10, 10, 0.5, 0], [200, 80, 0.6, 120]]] })
            })
            .collect();
        let body = json!({
            "code": token, "customer_name": "王小明", "customer_phone": "13812345678",
            "agent_present": true, "badge_seen": true, "first_visit": true, "contacted_before": false,
            "customer_confirms_agent": true, "signatures": signatures,
        });
        let r = self
            .http
            .post(app.url("/kiosk/checkins"))
            .header("x-csrf-token", &self.csrf)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        assert_eq!(status, 200, "{v}");
        v["record"].as_i64().unwrap()
    }
}

/// Signs in on the staff sign-in page with no `next`; returns the staff
/// session's cookie secret.
async fn password_sign_in(app: &TestApp, c: &reqwest::Client, login: &str) -> String {
    let (_, page) = app.get_text(c, "/staff/login").await;
    let r = c
        .post(app.url("/staff/login"))
        .form(&[("csrf", csrf(&page).as_str()), ("login", login), ("password", STAFF_PASSWORD), ("next", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "staff sign-in failed");
    assert_eq!(location(&r), "/staff/home", "without a next, staff land on their page");
    set_cookie(&r, "pk_staff")
}

#[tokio::test]
async fn revoking_a_kiosk_ends_the_staff_sessions_opened_on_it() {
    let app = TestApp::spawn().await;
    let tablet = Tablet::paired(&app, "前台").await;
    let desk = new_staff(&app, "desk-demo", Role::Desk);
    let staff_secret = tablet.pin_sign_in(&app, desk).await;
    let seq = tablet.a_record(&app).await;
    let pages = [
        format!("/records/{seq}"),
        format!("/records/{seq}/sheet?copy=channel"),
        format!("/records/{seq}/signatures/customer"),
    ];
    for page in &pages {
        assert_eq!(app.get_text(&tablet.http, page).await.0, 200, "{page} before the revocation");
    }
    let now = t("2026-11-18T11:00:00+08:00");
    app.clock.set(now);
    app.store.revoke_kiosk(tablet.kiosk_id, now).unwrap();
    for page in &pages {
        let (status, _) = app.get_text(&tablet.http, page).await;
        assert!(status == 303 || status == 404, "{page} after the revocation: {status}");
    }
    // The staff session itself is gone, not merely refused here.
    assert_eq!(app.store.session(&staff_secret, SessionKind::Staff, now).unwrap(), None);
    assert_eq!(app.store.session(&tablet.device, SessionKind::Kiosk, now).unwrap(), None);
    let audit = app.store.audit_entries(20).unwrap();
    let revoke = audit.iter().find(|e| e.action == "kiosk.revoke").expect("the revocation is audited");
    assert!(revoke.detail.contains("1 staff session"), "{}", revoke.detail);
}

#[tokio::test]
async fn revoking_a_kiosk_leaves_other_kiosks_and_password_sessions_alone() {
    let app = TestApp::spawn().await;
    let first = Tablet::paired(&app, "前台一").await;
    let second = Tablet::paired(&app, "前台二").await;
    let desk = new_staff(&app, "desk-demo", Role::Desk);
    new_staff(&app, "boss-demo", Role::Manager);
    first.pin_sign_in(&app, desk).await;
    let other = second.pin_sign_in(&app, desk).await;
    let seq = first.a_record(&app).await;
    let office = app.browser();
    let password = password_sign_in(&app, &office, "boss-demo").await;
    let now = t("2026-11-18T11:00:00+08:00");
    app.store.revoke_kiosk(first.kiosk_id, now).unwrap();
    assert!(app.store.session(&other, SessionKind::Staff, now).unwrap().is_some());
    assert!(app.store.session(&password, SessionKind::Staff, now).unwrap().is_some());
    assert_eq!(app.get_text(&second.http, &format!("/records/{seq}")).await.0, 200);
    assert_eq!(app.get_text(&office, &format!("/records/{seq}")).await.0, 200);
}

#[tokio::test]
async fn a_kiosk_pin_session_does_not_work_without_its_kiosk() {
    let app = TestApp::spawn().await;
    let tablet = Tablet::paired(&app, "前台").await;
    let desk = new_staff(&app, "desk-demo", Role::Desk);
    let staff_secret = tablet.pin_sign_in(&app, desk).await;
    let seq = tablet.a_record(&app).await;
    let page = format!("/records/{seq}");
    // With its own kiosk's device session, in any client: signed in.
    let both = format!("pk_kiosk={}; pk_staff={staff_secret}", tablet.device);
    assert_eq!(status_with(&app, &page, &both).await, 200);
    // The staff cookie copied into another browser, alone: not signed in.
    let alone = format!("pk_staff={staff_secret}");
    assert_ne!(status_with(&app, &page, &alone).await, 200);
    assert_ne!(status_with(&app, &format!("{page}/sheet?copy=channel"), &alone).await, 200);
    assert_ne!(status_with(&app, "/staff/home", &alone).await, 200);
    // Shown beside another paired kiosk of the same project: not signed in either.
    let other = Tablet::paired(&app, "前台二").await;
    let elsewhere = format!("pk_kiosk={}; pk_staff={staff_secret}", other.device);
    assert_ne!(status_with(&app, &page, &elsewhere).await, 200);
    // The tablet itself still reads the record.
    assert_eq!(app.get_text(&tablet.http, &page).await.0, 200);
}

#[tokio::test]
async fn staff_logout_ends_the_session() {
    let app = TestApp::spawn().await;
    new_staff(&app, "boss-demo", Role::Manager);
    let c = app.browser();
    let secret = password_sign_in(&app, &c, "boss-demo").await;
    let (status, home) = app.get_text(&c, "/staff/home").await;
    assert_eq!(status, 200, "{home}");
    assert!(home.contains("action=\"/staff/logout\"") && home.contains("action=\"/staff/logout-everywhere\""));
    // A forged form signs nobody out.
    let r = c.post(app.url("/staff/logout")).form(&[("csrf", "forged")]).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(app.get_text(&c, "/staff/home").await.0, 200);
    let r = c.post(app.url("/staff/logout")).form(&[("csrf", csrf(&home).as_str())]).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(location(&r), "/staff/login");
    assert_ne!(app.get_text(&c, "/staff/home").await.0, 200);
    // The session is ended on the server: its secret opens nothing anywhere.
    assert_ne!(status_with(&app, "/staff/home", &format!("pk_staff={secret}")).await, 200);
    assert_eq!(app.store.session(&secret, SessionKind::Staff, t("2026-11-18T10:00:00+08:00")).unwrap(), None);
    assert!(app.store.audit_entries(20).unwrap().iter().any(|e| e.action == "staff.sign_out"));
}

#[tokio::test]
async fn staff_sign_out_everywhere_ends_every_session_of_that_person() {
    let app = TestApp::spawn().await;
    new_staff(&app, "boss-demo", Role::Manager);
    new_staff(&app, "other-boss", Role::Manager);
    let (laptop, phone, colleague) = (app.browser(), app.browser(), app.browser());
    password_sign_in(&app, &laptop, "boss-demo").await;
    password_sign_in(&app, &phone, "boss-demo").await;
    password_sign_in(&app, &colleague, "other-boss").await;
    let (_, home) = app.get_text(&laptop, "/staff/home").await;
    let r =
        laptop.post(app.url("/staff/logout-everywhere")).form(&[("csrf", csrf(&home).as_str())]).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(location(&r), "/staff/login");
    assert_ne!(app.get_text(&laptop, "/staff/home").await.0, 200);
    assert_ne!(app.get_text(&phone, "/staff/home").await.0, 200, "the other browser is signed out too");
    assert_eq!(app.get_text(&colleague, "/staff/home").await.0, 200, "a colleague stays signed in");
    assert!(app.store.audit_entries(20).unwrap().iter().any(|e| e.action == "session.end_all"));
}

#[tokio::test]
async fn a_disabled_staff_member_is_signed_out_at_once() {
    let app = TestApp::spawn().await;
    let boss = new_staff(&app, "boss-demo", Role::Manager);
    let c = app.browser();
    password_sign_in(&app, &c, "boss-demo").await;
    assert_eq!(app.get_text(&c, "/staff/home").await.0, 200);
    let ended = app.store.disable_staff(boss, "test", t("2026-11-18T10:00:00+08:00")).unwrap();
    assert_eq!(ended, 1);
    assert_ne!(app.get_text(&c, "/staff/home").await.0, 200);
}

#[tokio::test]
async fn a_control_character_in_next_lands_on_the_staff_page() {
    let app = TestApp::spawn().await;
    new_staff(&app, "boss-demo", Role::Manager);
    for next in ["/records/1\u{7f}", "/\\evil.example", "//evil.example/records/1", "/agent/reports"] {
        let c = app.browser();
        let (_, page) = app.get_text(&c, "/staff/login").await;
        let r = c
            .post(app.url("/staff/login"))
            .form(&[
                ("csrf", csrf(&page).as_str()),
                ("login", "boss-demo"),
                ("password", STAFF_PASSWORD),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 303, "{next:?}");
        assert_eq!(location(&r), "/staff/home", "{next:?}");
    }
}
