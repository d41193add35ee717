//! The back office's customer groups (客户组), rules view (判客规则) and
//! fallback reports (补录) over HTTP: who may open each page and run each
//! action, and the rules they carry — a linked spouse's earlier visit
//! counts, a fallback report is judged at its message's time, nothing is
//! back-dated outside an open window, a screenshot is checked by its
//! content, each rule value names where it comes from, and a change of
//! rules at a restart is kept in the history.

use super::helpers::{AGENT_PHONE, TestApp, csrf, decode_qr, staff_sign_in, t};
use super::kiosk::{Kiosk, staff};
use crate::support::TestDeployment;
use panke::domain::phone::Phone;
use panke::domain::token::ReportId;
use panke::store::people::{NewStaff, Role};
use reqwest::Client;
use serde_json::json;

const PASSWORD: &str = "a long password";
const WIFE: &str = "13900004321";
const HUSBAND: &str = "13812345678";

struct Roles {
    admin: Client,
    manager: Client,
    desk: Client,
    sales: Client,
    /// The manager of another project.
    other: Client,
    agent: Client,
    anonymous: Client,
}

async fn signed(app: &TestApp, login: &str) -> Client {
    let c = app.browser();
    staff_sign_in(&c, &app.base, login, PASSWORD).await;
    c
}

/// An admin, the demo project's manager, desk clerk and sales consultant,
/// the strict project's manager, an agent and a stranger.
async fn roles(app: &TestApp) -> Roles {
    let admin = NewStaff {
        project_id: None,
        login: "hq-admin",
        name: "集团管理员",
        role: Role::Admin,
        password: Some(PASSWORD),
        pin: None,
    };
    app.store.create_staff(&admin, t("2026-11-18T08:00:00+08:00")).unwrap();
    staff(app, "demo", "boss-demo", Role::Manager, "9999");
    staff(app, "demo", "clerk-demo", Role::Desk, "1111");
    staff(app, "demo", "consultant-demo", Role::Sales, "2222");
    staff(app, "strict", "boss-strict", Role::Manager, "3333");
    Roles {
        admin: signed(app, "hq-admin").await,
        manager: signed(app, "boss-demo").await,
        desk: signed(app, "clerk-demo").await,
        sales: signed(app, "consultant-demo").await,
        other: signed(app, "boss-strict").await,
        agent: app.signed_in(AGENT_PHONE).await,
        anonymous: app.browser(),
    }
}

struct Got {
    status: u16,
    location: String,
    body: String,
}

async fn got(r: reqwest::Response) -> Got {
    let status = r.status().as_u16();
    let location = r.headers().get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
    Got { status, location, body: r.text().await.unwrap_or_default() }
}

async fn get(app: &TestApp, c: &Client, path: &str) -> Got {
    got(c.get(app.url(path)).send().await.unwrap()).await
}

async fn post(app: &TestApp, c: &Client, path: &str, form: &[(&str, &str)]) -> Got {
    got(c.post(app.url(path)).form(form).send().await.unwrap()).await
}

/// The CSRF token of a signed-in browser (from its home page).
async fn token(app: &TestApp, c: &Client) -> String {
    let home = get(app, c, "/staff/home").await;
    if home.status == 200 { csrf(&home.body) } else { "no-session".to_owned() }
}

/// The numbers in `attr="…"` of a page, in order.
fn numbers(page: &str, attr: &str) -> Vec<i64> {
    let marker = format!("{attr}=\"");
    page.split(&marker).skip(1).filter_map(|s| s.split('"').next()?.parse().ok()).collect()
}

/// `/staff/groups/demo/3?done=linked` → 3.
fn group_of(location: &str) -> i64 {
    location.split('?').next().unwrap().rsplit('/').next().unwrap().parse().unwrap()
}

/// `/staff/fallback/reports/12?done=entered` → 12.
fn report_of(location: &str) -> i64 {
    group_of(location)
}

/// A natural visit of `phone` registered at the demo kiosk; its record number.
async fn walk_in(kiosk: &Kiosk<'_>, phone: &str) -> i64 {
    let (status, v) = kiosk.check_in(None, phone, json!({ "signatures": [] })).await;
    assert_eq!(status, 200, "{v}");
    v["record"].as_i64().unwrap()
}

/// The admin opens an incident window of the demo project; its id.
async fn open_window(app: &TestApp, admin: &Client, from: &str, to: &str) -> i64 {
    let page = get(app, admin, "/staff/fallback?project=demo").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let form = vec![
        ("csrf", csrf(&page.body)),
        ("project", "demo".to_owned()),
        ("from", from.to_owned()),
        ("to", to.to_owned()),
        ("why", "云客系统无法登录".to_owned()),
    ];
    let r = got(admin.post(app.url("/staff/fallback/incidents")).form(&form).send().await.unwrap()).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location, "/staff/fallback?project=demo&done=opened");
    app.store.incidents("demo", 10).unwrap()[0].id
}

fn agent_id(app: &TestApp) -> i64 {
    app.store.agent_by_phone(&Phone::parse(AGENT_PHONE).unwrap()).unwrap().unwrap().id
}

/// Enters a report received in the group (multipart, as the form sends it).
async fn enter(
    app: &TestApp,
    c: &Client,
    incident: i64,
    csrf: &str,
    phone: &str,
    message_at: &str,
    shot: Vec<u8>,
) -> Got {
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.to_owned())
        .text("idem", "")
        .text("agent", agent_id(app).to_string())
        .text("customer_name", "王先生")
        .text("customer_phone", phone.to_owned())
        .text("message_at", message_at.to_owned())
        .text("note", "")
        .part(
            "screenshot",
            reqwest::multipart::Part::bytes(shot).file_name("wechat.png").mime_str("image/png").unwrap(),
        );
    let url = app.url(&format!("/staff/fallback/incidents/{incident}/reports"));
    got(c.post(url).multipart(form).send().await.unwrap()).await
}

fn screenshot() -> Vec<u8> {
    panke::demo::signature_png(7)
}

fn refused_to_sign_in(who: &str, what: &str, r: &Got) {
    assert_eq!(r.status, 303, "{who} {what}");
    assert!(r.location.starts_with("/staff/login?next="), "{who} {what}: {}", r.location);
}

#[tokio::test]
async fn every_page_and_action_admits_the_right_role_and_refuses_every_other() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    let who = roles(&app).await;
    let wife_record = walk_in(&kiosk, WIFE).await;
    let manager_csrf = token(&app, &who.manager).await;
    let admin_csrf = token(&app, &who.admin).await;
    // The manager links the husband to the wife's record.
    let r = post(
        &app,
        &who.manager,
        "/staff/groups/link",
        &[
            ("csrf", &manager_csrf),
            ("project", "demo"),
            ("anchor", &format!("record:{wife_record}")),
            ("phone", HUSBAND),
            ("reason", "夫妻,已核对结婚证"),
        ],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let group = group_of(&r.location);
    let window = open_window(&app, &who.admin, "2026-11-18T09:00", "2026-11-18T12:00").await;
    let r = enter(&app, &who.manager, window, &manager_csrf, "13712345678", "2026-11-18T09:40", screenshot()).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let entered = report_of(&r.location);

    // Pages: (path, what the other project's manager gets).
    let pages: Vec<(String, u16)> = vec![
        ("/staff/groups?project=demo".into(), 403),
        (format!("/staff/groups/demo/{group}"), 403),
        (format!("/staff/groups?record={wife_record}"), 404),
        (format!("/staff/groups/customer?project=demo&ref=record:{wife_record}"), 403),
        ("/staff/rules?project=demo".into(), 403),
        ("/staff/fallback?project=demo".into(), 403),
        (format!("/staff/fallback/incidents/{window}/new"), 404),
        (format!("/staff/fallback/reports/{entered}"), 404),
        (format!("/staff/fallback/reports/{entered}/qr.png"), 404),
        (format!("/staff/fallback/reports/{entered}/screenshot"), 404),
    ];
    for (path, other_gets) in &pages {
        for (name, c) in [("manager", &who.manager), ("admin", &who.admin)] {
            let r = get(&app, c, path).await;
            assert_eq!(r.status, 200, "{name} {path}: {}", r.body);
            assert!(!r.body.contains(HUSBAND) && !r.body.contains(WIFE), "{name} {path}: a full phone shown");
        }
        for (name, c) in [("desk", &who.desk), ("sales", &who.sales)] {
            assert_eq!(get(&app, c, path).await.status, 403, "{name} {path}");
        }
        assert_eq!(get(&app, &who.other, path).await.status, *other_gets, "other manager {path}");
        for (name, c) in [("agent", &who.agent), ("anonymous", &who.anonymous)] {
            refused_to_sign_in(name, path, &get(&app, c, path).await);
        }
    }

    // Actions: each wrong role is refused and changes nothing.
    let members = numbers(&get(&app, &who.manager, &format!("/staff/groups/demo/{group}")).await.body, "data-member");
    assert_eq!(members.len(), 2);
    let second_window = open_window(&app, &who.admin, "2026-11-18T09:30", "2026-11-18T11:00").await;
    let (group_text, member_text) = (group.to_string(), members[0].to_string());
    for (name, c, expect_other) in [
        ("desk", &who.desk, None),
        ("sales", &who.sales, None),
        ("other manager", &who.other, Some(())),
        ("agent", &who.agent, None),
        ("anonymous", &who.anonymous, None),
    ] {
        let their_csrf = token(&app, c).await;
        let signed_out = matches!(name, "agent" | "anonymous");
        let refused = |what: &str, r: &Got, other_status: u16| {
            if signed_out {
                refused_to_sign_in(name, what, r);
            } else if expect_other.is_some() {
                assert_eq!(r.status, other_status, "{name} {what}");
            } else {
                assert_eq!(r.status, 403, "{name} {what}");
            }
        };
        let r =
            post(&app, c, "/staff/groups/search", &[("csrf", &their_csrf), ("project", "demo"), ("q", "4321")]).await;
        refused("search", &r, 403);
        let r = post(
            &app,
            c,
            "/staff/groups/link",
            &[
                ("csrf", &their_csrf),
                ("project", "demo"),
                ("anchor", &format!("group:{group}")),
                ("phone", "13700001111"),
                ("reason", "子女"),
            ],
        )
        .await;
        refused("link", &r, 403);
        let r = post(
            &app,
            c,
            "/staff/groups/unlink",
            &[
                ("csrf", &their_csrf),
                ("project", "demo"),
                ("group", &group_text),
                ("member", &member_text),
                ("reason", "录入错误"),
            ],
        )
        .await;
        refused("unlink", &r, 403);
        let r = post(
            &app,
            c,
            "/staff/fallback/incidents",
            &[
                ("csrf", &their_csrf),
                ("project", "demo"),
                ("from", "2026-11-18T09:00"),
                ("to", "2026-11-18T10:00"),
                ("why", "故障"),
            ],
        )
        .await;
        refused("open a window", &r, 403);
        let r =
            post(&app, c, &format!("/staff/fallback/incidents/{second_window}/close"), &[("csrf", &their_csrf)]).await;
        refused("close a window", &r, 403);
        let r = enter(&app, c, window, &their_csrf, "13712340000", "2026-11-18T09:45", screenshot()).await;
        refused("enter a report", &r, 404);
    }
    assert_eq!(app.store.group_phones("demo", &Phone::parse(WIFE).unwrap()).unwrap().len(), 1, "still linked");
    assert_eq!(app.store.incidents("demo", 10).unwrap().len(), 2, "no window opened");
    assert!(app.store.incidents("demo", 10).unwrap().iter().all(|i| i.closed_at.is_none()), "none closed");
    assert_eq!(app.store.fallback_reports_of(window).unwrap().len(), 1, "no report entered");

    // A manager may not open or close a window: that is the admin's.
    let r = post(
        &app,
        &who.manager,
        "/staff/fallback/incidents",
        &[
            ("csrf", &manager_csrf),
            ("project", "demo"),
            ("from", "2026-11-18T09:00"),
            ("to", "2026-11-18T10:00"),
            ("why", "故障"),
        ],
    )
    .await;
    assert_eq!(r.status, 403, "a manager opens no window");
    let close_path = format!("/staff/fallback/incidents/{second_window}/close");
    let r = post(&app, &who.manager, &close_path, &[("csrf", &manager_csrf)]).await;
    assert_eq!(r.status, 403, "a manager closes no window");

    // The right roles: search, link, unlink (manager and admin), enter
    // (manager and admin), close (admin).
    for (name, c, csrf_token) in [("manager", &who.manager, &manager_csrf), ("admin", &who.admin, &admin_csrf)] {
        let r =
            post(&app, c, "/staff/groups/search", &[("csrf", csrf_token), ("project", "demo"), ("q", "4321")]).await;
        assert_eq!(r.status, 200, "{name} search");
        assert!(r.body.contains("139****4321") && !r.body.contains(WIFE), "{name}: {}", r.body);
    }
    let r = post(
        &app,
        &who.admin,
        "/staff/groups/link",
        &[
            ("csrf", &admin_csrf),
            ("project", "demo"),
            ("anchor", &format!("group:{group}")),
            ("phone", "13700001111"),
            ("reason", "子女,户口本"),
        ],
    )
    .await;
    assert_eq!((r.status, group_of(&r.location)), (303, group), "the admin links a child");
    let r = post(
        &app,
        &who.admin,
        "/staff/groups/unlink",
        &[
            ("csrf", &admin_csrf),
            ("project", "demo"),
            ("group", &group_text),
            ("member", &member_text),
            ("reason", "录入错误"),
        ],
    )
    .await;
    assert_eq!(r.status, 303, "the admin unlinks: {}", r.body);
    let r = enter(&app, &who.admin, window, &admin_csrf, "13712340000", "2026-11-18T09:45", screenshot()).await;
    assert_eq!(r.status, 303, "the admin enters a report: {}", r.body);
    let r = post(&app, &who.admin, &close_path, &[("csrf", &admin_csrf)]).await;
    assert_eq!((r.status, r.location.as_str()), (303, "/staff/fallback?project=demo&done=closed"));
}

#[tokio::test]
async fn linking_a_spouse_makes_the_judge_see_her_earlier_visit() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    staff(&app, "demo", "boss-demo", Role::Manager, "9999");
    let manager = signed(&app, "boss-demo").await;
    // The wife came in on her own at 10:00 (a natural visit).
    let wife_record = walk_in(&kiosk, WIFE).await;
    // At 11:00 an agent reports the husband; he arrives at 11:45.
    app.clock.set(t("2026-11-18T11:00:00+08:00"));
    let agent = app.signed_in(AGENT_PHONE).await;
    let id = app.filed_id(&agent, "demo", "王先生", HUSBAND).await;
    let report = app.store.report(ReportId(id)).unwrap();
    let token = app.key_ring.sign_with(report.key_id, report.id, report.filed_at.to_utc()).unwrap();
    app.clock.set(t("2026-11-18T11:45:00+08:00"));
    let (status, _) = kiosk.scan(&token).await;
    assert_eq!(status, 200);
    let provisional = json!({ "code": token, "customer_phone": HUSBAND, "customer_name": "王小明",
                              "agent_present": true, "customer_confirms_agent": true });
    let (_, p) = kiosk.post("/kiosk/provisional", provisional.clone()).await;
    assert_eq!(p["verdict"], "valid", "unlinked, the husband is a new customer: {p}");
    // The manager opens the wife's record's customer and links the husband.
    let page = get(&app, &manager, &format!("/staff/groups?record={wife_record}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("139****4321") && page.body.contains("id=\"no-group\""), "{}", page.body);
    let r = post(
        &app,
        &manager,
        "/staff/groups/link",
        &[
            ("csrf", &csrf(&page.body)),
            ("project", "demo"),
            ("anchor", &format!("record:{wife_record}")),
            ("phone", HUSBAND),
            ("reason", "夫妻,已核对结婚证"),
        ],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // The judge now sees her visit 1 h 45 min before his arrival.
    let (_, p) = kiosk.post("/kiosk/provisional", provisional).await;
    assert_eq!(p["verdict"], "invalid", "{p}");
    let (status, v) = kiosk.check_in(Some(&token), HUSBAND, json!({})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["verdict"], "invalid");
    let codes: Vec<&str> = v["reasons"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
    assert_eq!(codes, vec!["VISITED_BEFORE"], "{v}");
    // The group page lists both visits, phones masked.
    let group = get(&app, &manager, &r.location).await;
    assert_eq!(group.status, 200);
    assert_eq!(group.body.matches("<tr class=\"visit\"").count(), 2, "{}", group.body);
    assert!(group.body.contains("138****5678") && !group.body.contains(HUSBAND));
}

#[tokio::test]
async fn a_link_or_an_unlink_needs_a_reason_and_keeps_who_when_and_why() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    staff(&app, "demo", "boss-demo", Role::Manager, "9999");
    let manager = signed(&app, "boss-demo").await;
    let wife_record = walk_in(&kiosk, WIFE).await;
    let husband_record = walk_in(&kiosk, HUSBAND).await;
    let csrf = token(&app, &manager).await;
    let anchor = format!("record:{wife_record}");
    // Without a reason: refused on the form, the phone kept.
    let r = post(
        &app,
        &manager,
        "/staff/groups/link",
        &[("csrf", &csrf), ("project", "demo"), ("anchor", &anchor), ("phone", "13700001111"), ("reason", " ")],
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("id=\"link-error\"") && r.body.contains("原因"), "{}", r.body);
    // A masked number cannot be linked.
    let r = post(
        &app,
        &manager,
        "/staff/groups/link",
        &[("csrf", &csrf), ("project", "demo"), ("anchor", &anchor), ("phone", "138****5678"), ("reason", "夫妻")],
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    // Found by its last four digits, the husband's visit links by its
    // record (the form carries no number).
    let found = post(
        &app,
        &manager,
        "/staff/groups/search",
        &[("csrf", &csrf), ("project", "demo"), ("q", "5678"), ("anchor", &anchor)],
    )
    .await;
    assert_eq!(found.status, 200);
    assert!(found.body.contains("138****5678") && !found.body.contains(HUSBAND), "{}", found.body);
    let other = format!("record:{husband_record}");
    assert!(found.body.contains(&format!("name=\"other\" value=\"{other}\"")), "{}", found.body);
    let r = post(
        &app,
        &manager,
        "/staff/groups/link",
        &[
            ("csrf", &csrf),
            ("project", "demo"),
            ("anchor", &anchor),
            ("other", &other),
            ("reason", "夫妻,已核对结婚证"),
        ],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = get(&app, &manager, &r.location).await;
    assert!(page.body.contains("已关联"), "the notice");
    assert_eq!(page.body.matches("<tr class=\"member\"").count(), 2);
    assert!(page.body.contains("夫妻,已核对结婚证") && page.body.contains("boss-demo"), "who and why: {}", page.body);
    // Unlinking needs a reason too; the last phone of a group leaves with it.
    let members = numbers(&page.body, "data-member");
    let group = group_of(&r.location).to_string();
    let unlink = |reason: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("project", "demo".to_owned()),
            ("group", group.clone()),
            ("member", members[0].to_string()),
            ("reason", reason.to_owned()),
        ]
    };
    let r = got(manager.post(app.url("/staff/groups/unlink")).form(&unlink("")).send().await.unwrap()).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let r = got(manager.post(app.url("/staff/groups/unlink")).form(&unlink("录入错误")).send().await.unwrap()).await;
    assert_eq!((r.status, r.location.as_str()), (303, "/staff/groups?project=demo&done=dissolved"));
    assert!(app.store.group_phones("demo", &Phone::parse(WIFE).unwrap()).unwrap().is_empty());
    let list = get(&app, &manager, &r.location).await;
    assert!(list.body.contains("id=\"no-groups\""), "{}", list.body);
    // Audited, phones masked.
    let audit = app.store.audit_entries(50).unwrap();
    for action in ["customer_group.link", "customer_group.unlink"] {
        let entry = audit.iter().find(|a| a.action == action).unwrap_or_else(|| panic!("{action}: {audit:?}"));
        assert!(!entry.detail.contains(WIFE) && !entry.detail.contains(HUSBAND), "{entry:?}");
    }
}

#[tokio::test]
async fn a_fallback_report_is_judged_at_its_message_time() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    let who = roles(&app).await;
    let window = open_window(&app, &who.admin, "2026-11-18T09:00", "2026-11-18T12:00").await;
    // The agent reported in the group at 10:05; the manager enters it at
    // 10:35, ten minutes before the customer arrives.
    app.clock.set(t("2026-11-18T10:35:00+08:00"));
    let form = get(&app, &who.manager, &format!("/staff/fallback/incidents/{window}/new")).await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("id=\"fallback-entry\"") && form.body.contains("24"), "{}", form.body);
    let r = enter(&app, &who.manager, window, &csrf(&form.body), HUSBAND, "2026-11-18T10:05", screenshot()).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(r.location.ends_with("?done=entered"), "{}", r.location);
    let id = report_of(&r.location);
    let report = app.store.report(ReportId(id)).unwrap();
    assert_eq!(report.filed_at, chrono::DateTime::parse_from_rfc3339("2026-11-18T10:05:00+08:00").unwrap());
    // The page gives the manual code and the QR code to send to the agent.
    let page = get(&app, &who.manager, &r.location).await;
    assert!(page.body.contains(&report.manual_code.to_string()) && page.body.contains("补录"), "{}", page.body);
    let png = who.manager.get(app.url(&format!("/staff/fallback/reports/{id}/qr.png"))).send().await.unwrap();
    assert_eq!(png.headers()["content-type"], "image/png");
    let token = decode_qr(&png.bytes().await.unwrap());
    let shot = who.manager.get(app.url(&format!("/staff/fallback/reports/{id}/screenshot"))).send().await.unwrap();
    assert_eq!(shot.headers()["content-type"], "image/png");
    assert_eq!(shot.bytes().await.unwrap().to_vec(), screenshot(), "the screenshot is kept as sent");
    // Listed under its window, marked 补录; the reports list can mark it too.
    let list = get(&app, &who.manager, "/staff/fallback").await;
    assert!(list.body.contains(&format!("data-report=\"{id}\"")), "{}", list.body);
    assert_eq!(app.store.fallback_report_ids(&[id, id + 1000]).unwrap(), std::collections::HashSet::from([id]));
    // At the desk at 10:45: the manual code and the QR work like any
    // other; 40 minutes after the message, it is a valid visit.
    app.clock.set(t("2026-11-18T10:45:00+08:00"));
    let (status, scan) = kiosk.scan(&report.manual_code.to_string()).await;
    assert_eq!((status, scan["status"].as_str()), (200, Some("ok")), "{scan}");
    let (_, scan) = kiosk.scan(&token).await;
    assert_eq!(scan["report"]["minutes_since_filing"], 40, "{scan}");
    let (status, v) = kiosk.check_in(Some(&token), HUSBAND, json!({})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["verdict"], "valid", "{v}");
    // Audited, without the full number.
    let audit = app.store.audit_entries(50).unwrap();
    let entry = audit.iter().find(|a| a.action == "report.fallback").expect("audited");
    assert!(entry.detail.contains("补录") && !entry.detail.contains(HUSBAND), "{entry:?}");
    assert!(audit.iter().any(|a| a.action == "incident.open"));
}

#[tokio::test]
async fn outside_an_open_window_nobody_can_back_date_a_report() {
    let app = TestApp::spawn().await;
    let who = roles(&app).await;
    let window = open_window(&app, &who.admin, "2026-11-18T09:00", "2026-11-18T12:00").await;
    app.clock.set(t("2026-11-18T10:30:00+08:00"));
    let manager_csrf = token(&app, &who.manager).await;
    // Before the window, and in the future.
    let r = enter(&app, &who.manager, window, &manager_csrf, HUSBAND, "2026-11-18T08:30", screenshot()).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("故障时段内") && r.body.contains("id=\"entry-error\""), "{}", r.body);
    let r = enter(&app, &who.manager, window, &manager_csrf, HUSBAND, "2026-11-18T10:50", screenshot()).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("不能晚于当前时间"), "{}", r.body);
    // More than 24 hours after the window's end (a new day: new sign-ins).
    app.clock.set(t("2026-11-19T12:01:00+08:00"));
    let (manager, admin) = (signed(&app, "boss-demo").await, signed(&app, "hq-admin").await);
    let manager_csrf = token(&app, &manager).await;
    let r = enter(&app, &manager, window, &manager_csrf, HUSBAND, "2026-11-18T10:05", screenshot()).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("补录期限已过"), "{}", r.body);
    let form = get(&app, &manager, &format!("/staff/fallback/incidents/{window}/new")).await;
    assert!(form.body.contains("id=\"entries-closed\"") && !form.body.contains("id=\"fallback-entry\""));
    // A window the admin closed takes nothing either.
    let admin_csrf = token(&app, &admin).await;
    let second = open_window(&app, &admin, "2026-11-19T09:00", "2026-11-19T11:00").await;
    let r = post(&app, &admin, &format!("/staff/fallback/incidents/{second}/close"), &[("csrf", &admin_csrf)]).await;
    assert_eq!(r.status, 303);
    let r = enter(&app, &manager, second, &manager_csrf, HUSBAND, "2026-11-19T10:00", screenshot()).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("已被关闭"), "{}", r.body);
    // A window too old to take entries cannot be opened to back-date.
    let page = get(&app, &admin, "/staff/fallback?project=demo").await;
    let r = post(
        &app,
        &admin,
        "/staff/fallback/incidents",
        &[
            ("csrf", &csrf(&page.body)),
            ("project", "demo"),
            ("from", "2026-11-10T09:00"),
            ("to", "2026-11-10T12:00"),
            ("why", "补开旧时段"),
        ],
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("id=\"open-error\""), "{}", r.body);
    assert!(app.store.reports_of_agent(agent_id(&app), 50).unwrap().is_empty(), "nothing was filed");
}

#[tokio::test]
async fn a_screenshot_is_checked_by_its_content_not_its_name() {
    let app = TestApp::spawn().await;
    let who = roles(&app).await;
    let window = open_window(&app, &who.admin, "2026-11-18T09:00", "2026-11-18T12:00").await;
    app.clock.set(t("2026-11-18T10:30:00+08:00"));
    let csrf = token(&app, &who.manager).await;
    let renamed = b"not a picture: a text file renamed to wechat.png".to_vec();
    let r = enter(&app, &who.manager, window, &csrf, HUSBAND, "2026-11-18T10:05", renamed).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("JPEG 或 PNG"), "{}", r.body);
    // The form is shown again with what was typed.
    assert!(r.body.contains(&format!("value=\"{HUSBAND}\"")), "{}", r.body);
    let cut = screenshot()[..60].to_vec();
    let r = enter(&app, &who.manager, window, &csrf, HUSBAND, "2026-11-18T10:05", cut).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(app.store.reports_of_agent(agent_id(&app), 50).unwrap().is_empty(), "nothing was filed");
}

/// A deployment whose shared rules set one key and whose demo project file
/// sets another.
fn layered(project_rules: &str) -> TestDeployment {
    let demo = format!("[project]\nname = \"云境\"\n[rules]\n{project_rules}");
    let dep = TestDeployment::new(&[("demo", demo.as_str())]);
    std::fs::write(dep.config_dir().join("rules.toml"), "history_window_days = 20\n").unwrap();
    dep
}

/// The `<tr>` of a rule on the rules page.
fn rule_row<'a>(page: &'a str, key: &str) -> &'a str {
    let start = page.find(&format!("data-key=\"{key}\"")).unwrap_or_else(|| panic!("{key} missing: {page}"));
    &page[start..start + page[start..].find("</tr>").unwrap()]
}

#[tokio::test]
async fn each_rule_value_names_where_it_comes_from() {
    let app = TestApp::spawn_in(layered("min_gap_minutes = 45\n")).await;
    staff(&app, "demo", "boss-demo", Role::Manager, "9999");
    let manager = signed(&app, "boss-demo").await;
    let page = get(&app, &manager, "/staff/rules").await;
    assert_eq!(page.status, 200);
    let row = rule_row(&page.body, "min_gap_minutes");
    assert!(row.contains("data-source=\"project\"") && row.contains(">45<"), "{row}");
    let row = rule_row(&page.body, "history_window_days");
    assert!(row.contains("data-source=\"deployment\"") && row.contains(">20<"), "{row}");
    let row = rule_row(&page.body, "protection_days");
    assert!(row.contains("data-source=\"default\"") && row.contains(">15<"), "{row}");
    assert_eq!(page.body.matches("data-version=").count(), 1, "the first version is recorded");
}

#[tokio::test]
async fn a_change_of_rules_at_a_restart_is_kept_in_the_history() {
    let dep = layered("min_gap_minutes = 30\n");
    let first_start = t("2026-11-17T09:00:00+08:00");
    drop(dep.context(first_start).open_store(first_start).unwrap());
    std::fs::write(
        dep.config_dir().join("projects/demo.toml"),
        "[project]\nname = \"云境\"\n[rules]\nmin_gap_minutes = 45\n",
    )
    .unwrap();
    let app = TestApp::spawn_in(dep).await;
    let admin = NewStaff {
        project_id: None,
        login: "hq-admin",
        name: "集团管理员",
        role: Role::Admin,
        password: Some(PASSWORD),
        pin: None,
    };
    app.store.create_staff(&admin, t("2026-11-18T08:00:00+08:00")).unwrap();
    let admin = signed(&app, "hq-admin").await;
    let page = get(&app, &admin, "/staff/rules?project=demo").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(numbers(&page.body, "data-version").len(), 2, "{}", page.body);
    let newest = &page.body[page.body.find("data-version=").unwrap()..];
    let change = &newest[newest.find("data-change=\"min_gap_minutes\"").expect("the change is named")..];
    let change = &change[..change.find("</li>").unwrap()];
    assert!(change.contains(">30<") && change.contains(">45<") && change.contains("项目文件"), "{change}");
    assert!(page.body.contains("2026-11-17 09:00"), "the first version's time");
    // The restart wrote the change to the audit log as well.
    assert!(
        app.store
            .audit_entries(50)
            .unwrap()
            .iter()
            .any(|a| a.action == "config.project" && a.detail.contains("rules changed"))
    );
}
