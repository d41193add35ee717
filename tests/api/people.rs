//! People and devices in the back office (`/staff/people`): agencies and
//! the projects each may report for (合作项目), the roster of agents
//! (带看人员名单) with invitations, API keys, staff, kiosks — who may do
//! what (the right role, and each wrong one: desk, sales, a manager of
//! another project, an agent, an anonymous visitor), and that every change
//! is audited.

use super::helpers::{AGENT_PHONE, PASSWORD, TestApp, csrf, decode_qr, staff_sign_in, t};
use super::kiosk::{Kiosk, staff};
use data_encoding::BASE64;
use panke::domain::phone::Phone;
use panke::store::people::{NewStaff, Role};
use reqwest::Client;
use serde_json::{Value, json};

const STAFF_PASSWORD: &str = "a long password";

/// What a request got back.
struct Answer {
    status: u16,
    location: String,
    body: String,
}

async fn answer(r: reqwest::Response) -> Answer {
    let status = r.status().as_u16();
    let location = r.headers().get("location").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    Answer { status, location, body: r.text().await.unwrap() }
}

async fn get(app: &TestApp, c: &Client, path: &str) -> Answer {
    answer(c.get(app.url(path)).send().await.unwrap()).await
}

/// POSTs a form as the signed-in page would: with the session's CSRF token
/// (from the staff home; none when not signed in as staff).
async fn post(app: &TestApp, c: &Client, path: &str, fields: &[(&str, &str)]) -> Answer {
    let home = c.get(app.url("/staff/home")).send().await.unwrap();
    let token = if home.status().as_u16() == 200 { csrf(&home.text().await.unwrap()) } else { "none".to_owned() };
    let mut form = vec![("csrf", token.as_str())];
    form.extend_from_slice(fields);
    answer(c.post(app.url(path)).form(&form).send().await.unwrap()).await
}

/// The text of the element with this id (a one-time page's values).
fn value_of(page: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\">");
    let start = page.find(&marker).unwrap_or_else(|| panic!("no #{id} in {page}")) + marker.len();
    page[start..start + page[start..].find('<').unwrap()].to_owned()
}

/// The QR code a one-time page shows, decoded.
fn qr_of(page: &str) -> String {
    let marker = "src=\"data:image/png;base64,";
    let start = page.find(marker).expect("a QR code on the page") + marker.len();
    let end = start + page[start..].find('"').unwrap();
    decode_qr(&BASE64.decode(&page.as_bytes()[start..end]).unwrap())
}

/// The table row marked `marker` (e.g. `data-agent="3"`).
fn row_of(page: &str, marker: &str) -> String {
    page.split(marker)
        .nth(1)
        .unwrap_or_else(|| panic!("no row {marker} in {page}"))
        .split("</tr>")
        .next()
        .unwrap()
        .to_owned()
}

/// The id at the end of a redirect to `/staff/people/agencies/<id>?…`.
fn agency_in(location: &str) -> i64 {
    location.trim_start_matches("/staff/people/agencies/").split(['?', '#']).next().unwrap().parse().unwrap()
}

fn agent_id(app: &TestApp, phone: &str) -> i64 {
    app.store.agent_by_phone(&Phone::parse(phone).unwrap()).unwrap().unwrap().id
}

async fn as_staff(app: &TestApp, login: &str) -> Client {
    let c = app.browser();
    staff_sign_in(&c, &app.base, login, STAFF_PASSWORD).await;
    c
}

/// The status of a staff sign-in with this password.
async fn staff_login(app: &TestApp, login: &str, password: &str) -> u16 {
    let c = app.browser();
    let (_, page) = app.get_text(&c, "/staff/login").await;
    let form = [
        ("csrf", csrf(&page)),
        ("login", login.to_owned()),
        ("password", password.to_owned()),
        ("next", String::new()),
    ];
    c.post(app.url("/staff/login")).form(&form).send().await.unwrap().status().as_u16()
}

/// The status of an agent's sign-in with this password.
async fn agent_login(app: &TestApp, phone: &str, password: &str) -> u16 {
    let c = app.browser();
    let (_, page) = app.get_text(&c, "/agent/login").await;
    let form = [("csrf", csrf(&page)), ("phone", phone.to_owned()), ("password", password.to_owned())];
    c.post(app.url("/agent/login")).form(&form).send().await.unwrap().status().as_u16()
}

/// An agent opens an invitation link and sets a password: signed in.
async fn accept(app: &TestApp, link: &str, password: &str) -> Client {
    let path = &link[link.find("/invite/").expect("an invitation link")..];
    let c = app.browser();
    let (status, page) = app.get_text(&c, path).await;
    assert_eq!(status, 200);
    let r = c.post(app.url(path)).form(&[("csrf", csrf(&page).as_str()), ("password", password)]).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303, "the invitation works");
    c
}

fn boot(page: &str) -> Value {
    let start = page.find("type=\"application/json\">").unwrap() + 24;
    let end = start + page[start..].find("</script>").unwrap();
    serde_json::from_str(&page[start..end].replace("<\\/", "</")).unwrap()
}

/// Everyone the tests sign in as: demo's manager, desk clerk and sales
/// consultant, strict's manager, an admin, an agent, and nobody.
struct Cast {
    manager: Client,
    admin: Client,
    desk: Client,
    sales: Client,
    other_manager: Client,
    agent: Client,
    anonymous: Client,
    manager_id: i64,
    admin_id: i64,
    desk_id: i64,
    sales_id: i64,
}

async fn cast(app: &TestApp) -> Cast {
    let manager_id = staff(app, "demo", "boss", Role::Manager, "9999");
    let desk_id = staff(app, "demo", "clerk", Role::Desk, "1111");
    let sales_id = staff(app, "demo", "seller", Role::Sales, "2222");
    staff(app, "strict", "boss-strict", Role::Manager, "3333");
    let root = NewStaff {
        project_id: None,
        login: "root",
        name: "集团管理员",
        role: Role::Admin,
        password: Some(STAFF_PASSWORD),
        pin: None,
    };
    let admin_id = app.store.create_staff(&root, t("2026-11-18T08:00:00+08:00")).unwrap();
    // The demo agency works for the demo project alone: demo's manager
    // manages its roster and keys (an admin sets that up).
    let admin = as_staff(app, "root").await;
    let projects = format!("/staff/people/agencies/{}/projects", app.agency);
    assert_eq!(post(app, &admin, &projects, &[("project", "*"), ("partner", "0")]).await.status, 303);
    for other in ["firstvisit", "later", "strict"] {
        assert_eq!(post(app, &admin, &projects, &[("project", other), ("partner", "0")]).await.status, 303);
    }
    assert_eq!(app.store.agency(app.agency).unwrap().projects, vec!["demo"]);
    Cast {
        manager: as_staff(app, "boss").await,
        admin: as_staff(app, "root").await,
        desk: as_staff(app, "clerk").await,
        sales: as_staff(app, "seller").await,
        other_manager: as_staff(app, "boss-strict").await,
        agent: app.signed_in(AGENT_PHONE).await,
        anonymous: app.browser(),
        manager_id,
        admin_id,
        desk_id,
        sales_id,
    }
}

fn pages(app: &TestApp) -> Vec<String> {
    vec![
        "/staff/people".to_owned(),
        "/staff/people/agencies".to_owned(),
        format!("/staff/people/agencies/{}", app.agency),
        "/staff/people/staff".to_owned(),
        "/staff/people/kiosks".to_owned(),
    ]
}

/// Every action of the section, on real targets.
fn actions(
    app: &TestApp,
    agent: i64,
    key: i64,
    staff: i64,
    kiosk: i64,
) -> Vec<(String, Vec<(&'static str, &'static str)>)> {
    let agency = app.agency;
    vec![
        ("/staff/people/agencies".to_owned(), vec![("name", "新渠道")]),
        (format!("/staff/people/agencies/{agency}/projects"), vec![("project", "demo"), ("partner", "0")]),
        (format!("/staff/people/agencies/{agency}/contract"), vec![("contract_end", "2027-01-01")]),
        (format!("/staff/people/agencies/{agency}/agents"), vec![("name", "王五"), ("phone", "13800000009")]),
        (format!("/staff/people/agents/{agent}/reinvite"), vec![]),
        (format!("/staff/people/agents/{agent}/disable"), vec![]),
        (format!("/staff/people/agencies/{agency}/keys"), vec![("label", "erp")]),
        (format!("/staff/people/keys/{key}/revoke"), vec![]),
        ("/staff/people/staff".to_owned(), vec![("login", "new-desk"), ("name", "新人"), ("role", "desk")]),
        (format!("/staff/people/staff/{staff}/disable"), vec![]),
        (format!("/staff/people/staff/{staff}/password"), vec![]),
        (format!("/staff/people/staff/{staff}/pin"), vec![]),
        ("/staff/people/kiosks".to_owned(), vec![("name", "前台2")]),
        (format!("/staff/people/kiosks/{kiosk}/revoke"), vec![]),
    ]
}

/// What the people pages write to the audit log.
const PEOPLE_ACTIONS: [&str; 14] = [
    "agency.add",
    "agency.projects",
    "agency.contract_end",
    "agency.api_key",
    "agency.api_key_revoke",
    "agent.add",
    "agent.reinvite",
    "agent.disable",
    "staff.add",
    "staff.disable",
    "staff.password_reset",
    "staff.pin_reset",
    "kiosk.create",
    "kiosk.revoke",
];

/// The audit entries of people changes made by staff: (actor, action).
fn staff_changes(app: &TestApp) -> Vec<(String, String)> {
    app.store
        .audit_entries(500)
        .unwrap()
        .into_iter()
        .filter(|e| e.actor.starts_with("staff:") && PEOPLE_ACTIONS.contains(&e.action.as_str()))
        .map(|e| (e.actor, e.action))
        .collect()
}

#[tokio::test]
async fn managers_and_admins_open_every_people_page() {
    let app = TestApp::spawn().await;
    let cast = cast(&app).await;
    for c in [&cast.manager, &cast.admin] {
        for path in pages(&app) {
            let a = get(&app, c, &path).await;
            assert_eq!(a.status, 200, "{path}: {}", a.body);
            assert!(
                a.body.contains("href=\"/staff/people\" aria-current=\"page\""),
                "{path}: the navigation says where"
            );
        }
    }
}

#[tokio::test]
async fn desk_clerks_sales_consultants_agents_and_anonymous_visitors_are_refused_every_page_and_action() {
    let app = TestApp::spawn().await;
    let cast = cast(&app).await;
    let set_up = staff_changes(&app);
    let now = t("2026-11-18T09:00:00+08:00");
    let key = app.store.create_api_key(app.agency, "crm", now).unwrap();
    let key_id = app.store.api_key_id(&key).unwrap().unwrap();
    let (kiosk, _) = app.store.create_kiosk("demo", "前台", now).unwrap();
    let agent = agent_id(&app, AGENT_PHONE);
    let actions = actions(&app, agent, key_id, cast.sales_id, kiosk.id);
    let who = [
        ("desk", &cast.desk, 403),
        ("sales", &cast.sales, 403),
        ("agent", &cast.agent, 303),
        ("anonymous", &cast.anonymous, 303),
    ];
    for (name, c, want) in who {
        for path in pages(&app) {
            let a = get(&app, c, &path).await;
            assert_eq!(a.status, want, "{name}: GET {path}");
            if want == 303 {
                assert!(a.location.starts_with("/staff/login?next="), "{name}: GET {path} → {}", a.location);
            }
        }
        for (path, fields) in &actions {
            let a = post(&app, c, path, fields).await;
            assert_eq!(a.status, want, "{name}: POST {path}");
            if want == 303 {
                assert!(a.location.starts_with("/staff/login"), "{name}: POST {path} → {}", a.location);
            }
        }
    }
    assert_eq!(staff_changes(&app), set_up, "nothing changed");
    assert_eq!(app.store.agency_of_api_key(&key).unwrap(), Some(app.agency));
    assert!(!app.store.kiosk(kiosk.id).unwrap().revoked);
    assert!(app.store.agent(agent).unwrap().active);
    assert!(app.store.staff(cast.sales_id).is_ok());
}

#[tokio::test]
async fn a_manager_of_another_project_neither_sees_nor_changes_this_projects_staff_and_kiosks() {
    let app = TestApp::spawn().await;
    let cast = cast(&app).await;
    let (kiosk, _) = app.store.create_kiosk("demo", "前台", t("2026-11-18T09:00:00+08:00")).unwrap();
    let list = get(&app, &cast.other_manager, "/staff/people/staff").await;
    assert_eq!(list.status, 200);
    assert!(!list.body.contains(&format!("data-staff=\"{}\"", cast.desk_id)), "another project's staff are not listed");
    let list = get(&app, &cast.other_manager, "/staff/people/kiosks").await;
    assert_eq!(list.status, 200);
    assert!(!list.body.contains(&format!("data-kiosk=\"{}\"", kiosk.id)), "nor its kiosks");
    let desk = cast.desk_id;
    for path in [
        format!("/staff/people/staff/{desk}/disable"),
        format!("/staff/people/staff/{desk}/password"),
        format!("/staff/people/staff/{desk}/pin"),
        format!("/staff/people/kiosks/{}/revoke", kiosk.id),
    ] {
        assert_eq!(post(&app, &cast.other_manager, &path, &[]).await.status, 404, "{path}");
    }
    // They add staff and kiosks to their own project only, and no admins.
    let demo_desk = [("login", "sneaky"), ("name", "x"), ("role", "desk"), ("project", "demo")];
    assert_eq!(post(&app, &cast.other_manager, "/staff/people/staff", &demo_desk).await.status, 403);
    let admin = [("login", "sneaky"), ("name", "x"), ("role", "admin")];
    assert_eq!(post(&app, &cast.other_manager, "/staff/people/staff", &admin).await.status, 403);
    let demo_kiosk = [("name", "前台9"), ("project", "demo")];
    assert_eq!(post(&app, &cast.other_manager, "/staff/people/kiosks", &demo_kiosk).await.status, 403);
    assert!(app.store.staff(desk).is_ok() && app.store.check_staff_pin(desk, "1111").unwrap().is_some());
    assert!(!app.store.kiosk(kiosk.id).unwrap().revoked);
    assert_eq!(app.store.staff_id_by_login("sneaky").unwrap(), None);
    // And this project's manager does all of it.
    let a = post(&app, &cast.manager, &format!("/staff/people/kiosks/{}/revoke", kiosk.id), &[]).await;
    assert_eq!(a.status, 303);
}

#[tokio::test]
async fn a_manager_changes_the_roster_and_keys_only_of_agencies_that_report_for_their_project() {
    let app = TestApp::spawn().await;
    let cast = cast(&app).await;
    let a = post(
        &app,
        &cast.manager,
        "/staff/people/agencies",
        &[("name", "满堂红-珠江新城"), ("contract_end", "2027-06-30")],
    )
    .await;
    assert_eq!(a.status, 303, "{}", a.body);
    let id = agency_in(&a.location);
    let agency = app.store.agency(id).unwrap();
    assert!(
        !agency.all_projects && agency.projects == vec!["demo"],
        "a manager's new agency reports for demo only: {agency:?}"
    );
    assert_eq!(agency.contract_end.unwrap().to_string(), "2027-06-30");
    // Another project's manager sees it, not a partner of theirs.
    let list = get(&app, &cast.other_manager, "/staff/people/agencies").await;
    assert_eq!(list.status, 200);
    assert!(row_of(&list.body, &format!("data-agency=\"{id}\"")).contains("data-partner=\"no\""));
    let page = get(&app, &cast.other_manager, &format!("/staff/people/agencies/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"not-manageable\"") && !page.body.contains("id=\"add-agent\""));
    let added = post(
        &app,
        &cast.manager,
        &format!("/staff/people/agencies/{id}/agents"),
        &[("name", "赵六"), ("phone", "13800000011")],
    )
    .await;
    assert_eq!(added.status, 200, "{}", added.body);
    let agent = agent_id(&app, "13800000011");
    for (path, fields) in [
        (format!("/staff/people/agencies/{id}/agents"), vec![("name", "钱七"), ("phone", "13800000012")]),
        (format!("/staff/people/agencies/{id}/keys"), vec![("label", "erp")]),
        (format!("/staff/people/agencies/{id}/projects"), vec![("project", "demo"), ("partner", "0")]),
        (format!("/staff/people/agencies/{id}/projects"), vec![("project", "*"), ("partner", "1")]),
        (format!("/staff/people/agencies/{id}/contract"), vec![("contract_end", "2030-01-01")]),
        (format!("/staff/people/agents/{agent}/reinvite"), vec![]),
        (format!("/staff/people/agents/{agent}/disable"), vec![]),
    ] {
        assert_eq!(post(&app, &cast.other_manager, &path, &fields).await.status, 403, "{path}");
    }
    assert!(app.store.agent(agent).unwrap().active);
    assert_eq!(app.store.agency(id).unwrap().projects, vec!["demo"]);
    // Strict's manager cannot join an agency that works for demo: its
    // roster and keys would reach demo's reports. An admin can.
    let a = post(
        &app,
        &cast.other_manager,
        &format!("/staff/people/agencies/{id}/projects"),
        &[("project", "strict"), ("partner", "1")],
    )
    .await;
    assert_eq!(a.status, 403);
    assert_eq!(app.store.agency(id).unwrap().projects, vec!["demo"]);
    let a = post(
        &app,
        &cast.admin,
        &format!("/staff/people/agencies/{id}/projects"),
        &[("project", "strict"), ("partner", "1")],
    )
    .await;
    assert_eq!((a.status, a.location), (303, format!("/staff/people/agencies/{id}?done=projects#projects")));
    assert_eq!(app.store.agency(id).unwrap().projects, vec!["demo", "strict"]);
    // Shared between projects, its roster is the admin's: neither manager
    // disables its agents or sees its roster.
    for manager in [&cast.other_manager, &cast.manager] {
        let a = post(&app, manager, &format!("/staff/people/agents/{agent}/disable"), &[]).await;
        assert_eq!(a.status, 403);
    }
    let page = manager_page(&app, &cast.other_manager, &format!("/staff/people/agencies/{id}")).await;
    assert!(page.contains("not-manageable") && !page.contains("data-agent="), "{page}");
    let a = post(&app, &cast.admin, &format!("/staff/people/agents/{agent}/disable"), &[]).await;
    assert_eq!(a.status, 303);
    // The contract end stays an admin's.
    let a =
        post(&app, &cast.admin, &format!("/staff/people/agencies/{id}/contract"), &[("contract_end", "2027-12-31")])
            .await;
    assert_eq!((a.status, a.location), (303, format!("/staff/people/agencies/{id}?done=contract")));
    assert_eq!(app.store.agency(id).unwrap().contract_end.unwrap().to_string(), "2027-12-31");
    let bad =
        post(&app, &cast.admin, &format!("/staff/people/agencies/{id}/contract"), &[("contract_end", "明年")]).await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("value=\"明年\""), "what was typed stays");
}

#[tokio::test]
async fn an_agency_that_is_not_a_partner_of_a_project_has_its_reports_for_it_refused() {
    let app = TestApp::spawn().await;
    let cast = cast(&app).await;
    let a = post(&app, &cast.manager, "/staff/people/agencies", &[("name", "满堂红-珠江新城")]).await;
    let id = agency_in(&a.location);
    let added = post(
        &app,
        &cast.manager,
        &format!("/staff/people/agencies/{id}/agents"),
        &[("name", "赵六"), ("phone", "13800000011")],
    )
    .await;
    let agent = accept(&app, &value_of(&added.body, "invite-link"), "zhao's password").await;
    // The form offers the partner projects only; another is refused anyway.
    let (_, form) = app.get_text(&agent, "/agent/reports/new").await;
    assert!(form.contains("value=\"demo\"") && !form.contains("value=\"strict\""), "{form}");
    let r = app.file(&agent, "strict", "王先生", "13812345678").await;
    assert_eq!(r.status().as_u16(), 403);
    let page = r.text().await.unwrap();
    assert!(page.contains("不是本项目的合作渠道") && page.contains("not a partner"), "{page}");
    assert_eq!(app.file(&agent, "demo", "王先生", "13812345678").await.status().as_u16(), 303);
    // Through the agency's API as well.
    let issued = post(&app, &cast.manager, &format!("/staff/people/agencies/{id}/keys"), &[("label", "CRM")]).await;
    let key = value_of(&issued.body, "api-key");
    let body = json!({ "project": "strict", "agent_phone": "13800000011", "customer_name": "李先生", "customer_phone": "13912345678" });
    let r = Client::new().post(app.url("/api/v1/reports")).bearer_auth(&key).json(&body).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "NOT_PARTNER");
    // Demo stops the partnership: its next report for demo is refused too.
    let a = post(
        &app,
        &cast.manager,
        &format!("/staff/people/agencies/{id}/projects"),
        &[("project", "demo"), ("partner", "0")],
    )
    .await;
    assert_eq!(a.status, 303);
    assert_eq!(app.file(&agent, "demo", "王先生", "13912345678").await.status().as_u16(), 403);
    // An agency reporting everywhere that demo stops keeps every other project.
    let path = format!("/staff/people/agencies/{}/projects", app.agency);
    assert_eq!(post(&app, &cast.admin, &path, &[("project", "*"), ("partner", "1")]).await.status, 303);
    assert_eq!(post(&app, &cast.manager, &path, &[("project", "demo"), ("partner", "0")]).await.status, 303);
    assert_eq!(app.file(&cast.agent, "demo", "王先生", "13712345678").await.status().as_u16(), 403);
    assert_eq!(app.file(&cast.agent, "strict", "王先生", "13712345678").await.status().as_u16(), 303);
    // The admin lets it report everywhere again (new projects too).
    let a = post(&app, &cast.admin, &path, &[("project", "*"), ("partner", "1")]).await;
    assert_eq!(a.status, 303);
    assert!(app.store.agency(app.agency).unwrap().all_projects);
    assert_eq!(app.file(&cast.agent, "demo", "王先生", "13612345678").await.status().as_u16(), 303);
}

#[tokio::test]
async fn the_roster_lists_each_agent_with_the_dates_they_joined_and_left() {
    let app = TestApp::spawn().await;
    let cast = cast(&app).await;
    let agency_page = format!("/staff/people/agencies/{}", app.agency);
    let path = format!("{agency_page}/agents");
    // Bad input is refused on the form, nothing typed is lost.
    let bad = post(&app, &cast.manager, &path, &[("name", "赵六"), ("phone", "1380000")]).await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.body.contains("value=\"赵六\"") && bad.body.contains("value=\"1380000\"") && bad.body.contains("手机号")
    );
    let taken = post(&app, &cast.manager, &path, &[("name", "张三"), ("phone", AGENT_PHONE)]).await;
    assert_eq!(taken.status, 409);
    // Added: the invitation, once, as a link and a QR code of it.
    let added = post(&app, &cast.manager, &path, &[("name", "赵六"), ("phone", "13800000011")]).await;
    assert_eq!(added.status, 200, "{}", added.body);
    let link = value_of(&added.body, "invite-link");
    assert!(link.starts_with("http://127.0.0.1:8080/invite/"), "{link}");
    assert_eq!(qr_of(&added.body), link);
    assert!(added.body.contains("138****0011") && !added.body.contains("13800000011"), "the phone is masked");
    let agent = agent_id(&app, "13800000011");
    let marker = format!("data-agent=\"{agent}\"");
    let page = get(&app, &cast.manager, &agency_page).await;
    let secret = &link[link.rfind('/').unwrap() + 1..];
    assert!(!page.body.contains(secret), "the invitation is never shown again");
    let row = row_of(&page.body, &marker);
    assert!(row.contains("data-status=\"invited\"") && row.contains("2026-11-18"), "{row}");
    accept(&app, &link, "zhao's password").await;
    assert!(row_of(&get(&app, &cast.manager, &agency_page).await.body, &marker).contains("data-status=\"active\""));
    // Two weeks later the agent leaves the roster.
    app.clock.set(t("2026-12-02T10:00:00+08:00"));
    staff_sign_in(&cast.manager, &app.base, "boss", STAFF_PASSWORD).await;
    let a = post(&app, &cast.manager, &format!("/staff/people/agents/{agent}/disable"), &[]).await;
    assert_eq!((a.status, a.location), (303, format!("{agency_page}?done=disabled#roster")));
    let row = row_of(&get(&app, &cast.manager, &agency_page).await.body, &marker);
    assert!(
        row.contains("data-status=\"disabled\"") && row.contains("2026-11-18") && row.contains("2026-12-02"),
        "{row}"
    );
    assert!(!row.contains("/disable"), "no actions for someone who left");
}

#[tokio::test]
async fn a_disabled_agent_is_signed_out_at_once_and_cannot_sign_in() {
    let app = TestApp::spawn().await;
    let cast = cast(&app).await;
    let agent = agent_id(&app, AGENT_PHONE);
    assert_eq!(get(&app, &cast.agent, "/agent/reports").await.status, 200);
    let a = post(&app, &cast.manager, &format!("/staff/people/agents/{agent}/disable"), &[]).await;
    assert_eq!(a.status, 303);
    let after = get(&app, &cast.agent, "/agent/reports").await;
    assert_eq!((after.status, after.location.as_str()), (303, "/agent/login"));
    assert_eq!(agent_login(&app, AGENT_PHONE, PASSWORD).await, 401);
    // Nor is a disabled agent invited again.
    let again = post(&app, &cast.manager, &format!("/staff/people/agents/{agent}/reinvite"), &[]).await;
    assert_eq!(again.status, 409);
    assert!(again.body.contains("已停用"), "{}", again.body);
}

#[tokio::test]
async fn a_password_reset_by_a_new_invitation_signs_the_agent_out_and_only_the_new_password_works() {
    let app = TestApp::spawn().await;
    let cast = cast(&app).await;
    let agent = agent_id(&app, AGENT_PHONE);
    let a = post(&app, &cast.manager, &format!("/staff/people/agents/{agent}/reinvite"), &[]).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let link = value_of(&a.body, "invite-link");
    assert_eq!(qr_of(&a.body), link);
    assert_eq!(get(&app, &cast.agent, "/agent/reports").await.status, 303, "signed out at once");
    assert_eq!(agent_login(&app, AGENT_PHONE, PASSWORD).await, 401, "the old password no longer works");
    let row = row_of(
        &get(&app, &cast.manager, &format!("/staff/people/agencies/{}", app.agency)).await.body,
        &format!("data-agent=\"{agent}\""),
    );
    assert!(row.contains("data-status=\"invited\""), "{row}");
    let c = accept(&app, &link, "a brand new password").await;
    assert_eq!(get(&app, &c, "/agent/reports").await.status, 200);
    assert_eq!(agent_login(&app, AGENT_PHONE, "a brand new password").await, 303);
}

#[tokio::test]
async fn an_api_key_is_shown_once_when_issued_and_refused_once_revoked() {
    let app = TestApp::spawn().await;
    let cast = cast(&app).await;
    let agency_page = format!("/staff/people/agencies/{}", app.agency);
    let no_label = post(&app, &cast.manager, &format!("{agency_page}/keys"), &[("label", "  ")]).await;
    assert_eq!(no_label.status, 422);
    let issued = post(&app, &cast.manager, &format!("{agency_page}/keys"), &[("label", "CRM")]).await;
    assert_eq!(issued.status, 200, "{}", issued.body);
    let key = value_of(&issued.body, "api-key");
    assert!(key.starts_with("pk_"), "{key}");
    let api = Client::new();
    let listed = api.get(app.url("/api/v1/reports")).bearer_auth(&key).send().await.unwrap();
    assert_eq!(listed.status().as_u16(), 200);
    let page = get(&app, &cast.manager, &agency_page).await;
    assert!(!page.body.contains(&key), "the key is never shown again");
    let id: i64 = value_of(&issued.body, "key-id").parse().unwrap();
    let row = row_of(&page.body, &format!("data-key=\"{id}\""));
    assert!(
        row.contains("CRM") && row.contains(&format!("{}…", &key[..10])) && row.contains("data-live=\"yes\""),
        "{row}"
    );
    let a = post(&app, &cast.manager, &format!("/staff/people/keys/{id}/revoke"), &[]).await;
    assert_eq!((a.status, a.location), (303, format!("{agency_page}?done=revoked#keys")));
    let refused = api.get(app.url("/api/v1/reports")).bearer_auth(&key).send().await.unwrap();
    assert_eq!(refused.status().as_u16(), 401);
    assert_eq!(post(&app, &cast.manager, &format!("/staff/people/keys/{id}/revoke"), &[]).await.status, 409);
    let row = row_of(&get(&app, &cast.manager, &agency_page).await.body, &format!("data-key=\"{id}\""));
    assert!(row.contains("data-live=\"no\""), "{row}");
}

#[tokio::test]
async fn staff_are_added_with_a_password_and_pin_shown_once() {
    let app = TestApp::spawn().await;
    let cast = cast(&app).await;
    let bad =
        post(&app, &cast.manager, "/staff/people/staff", &[("login", "a b"), ("name", "王判客"), ("role", "desk")])
            .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("value=\"a b\"") && bad.body.contains("value=\"王判客\""), "what was typed stays");
    let taken =
        post(&app, &cast.manager, "/staff/people/staff", &[("login", "clerk"), ("name", "王判客"), ("role", "desk")])
            .await;
    assert_eq!(taken.status, 409);
    let added =
        post(&app, &cast.manager, "/staff/people/staff", &[("login", "desk2"), ("name", "王判客"), ("role", "desk")])
            .await;
    assert_eq!(added.status, 200, "{}", added.body);
    let (password, pin) = (value_of(&added.body, "new-password"), value_of(&added.body, "new-pin"));
    assert_eq!((password.len(), pin.len()), (12, 6));
    assert_eq!(staff_login(&app, "desk2", &password).await, 303);
    let id = app.store.staff_id_by_login("desk2").unwrap().unwrap();
    assert!(app.store.check_staff_pin(id, &pin).unwrap().is_some());
    assert_eq!(app.store.staff(id).unwrap().project_id.as_deref(), Some("demo"));
    let list = get(&app, &cast.manager, "/staff/people/staff").await;
    assert!(!list.body.contains(&password), "the password is never shown again");
    let row = row_of(&list.body, &format!("data-staff=\"{id}\""));
    assert!(row.contains("data-role=\"desk\"") && row.contains("云境·演示项目") && row.contains("2026-11-18"), "{row}");
    // A manager adds managers of their project, never admins.
    let deputy = post(
        &app,
        &cast.manager,
        "/staff/people/staff",
        &[("login", "deputy"), ("name", "副经理"), ("role", "manager")],
    )
    .await;
    assert_eq!(deputy.status, 200);
    assert!(!deputy.body.contains("id=\"new-pin\""), "managers get no kiosk PIN");
    let admin = [("login", "root2"), ("name", "总部"), ("role", "admin")];
    assert_eq!(post(&app, &cast.manager, "/staff/people/staff", &admin).await.status, 403);
    // An admin adds admins, and staff of the project chosen (one is needed).
    assert_eq!(post(&app, &cast.admin, "/staff/people/staff", &admin).await.status, 200);
    let chosen = [("login", "desk-s"), ("name", "严格判客"), ("role", "desk"), ("project", "strict")];
    assert_eq!(post(&app, &cast.admin, "/staff/people/staff", &chosen).await.status, 200);
    let strict = app.store.staff_id_by_login("desk-s").unwrap().unwrap();
    assert_eq!(app.store.staff(strict).unwrap().project_id.as_deref(), Some("strict"));
    let none = [("login", "desk-x"), ("name", "无项目"), ("role", "desk")];
    assert_eq!(post(&app, &cast.admin, "/staff/people/staff", &none).await.status, 422);
}

#[tokio::test]
async fn a_disabled_staff_member_is_signed_out_everywhere_and_cannot_sign_in() {
    let app = TestApp::spawn().await;
    let cast = cast(&app).await;
    assert_eq!(get(&app, &cast.desk, "/staff/home").await.status, 200);
    let a = post(&app, &cast.manager, &format!("/staff/people/staff/{}/disable", cast.desk_id), &[]).await;
    assert_eq!((a.status, a.location.as_str()), (303, "/staff/people/staff?done=disabled"));
    assert_eq!(get(&app, &cast.desk, "/staff/home").await.status, 303, "signed out at once");
    assert_eq!(staff_login(&app, "clerk", STAFF_PASSWORD).await, 401);
    assert!(app.store.check_staff_pin(cast.desk_id, "1111").unwrap().is_none(), "nor with the PIN");
    let row = row_of(
        &get(&app, &cast.manager, "/staff/people/staff").await.body,
        &format!("data-staff=\"{}\"", cast.desk_id),
    );
    assert!(row.contains("data-status=\"disabled\""), "{row}");
    assert_eq!(
        post(&app, &cast.manager, &format!("/staff/people/staff/{}/disable", cast.desk_id), &[]).await.status,
        409
    );
    // Nobody disables themselves here.
    let own = post(&app, &cast.manager, &format!("/staff/people/staff/{}/disable", cast.manager_id), &[]).await;
    assert_eq!(own.status, 409);
}

#[tokio::test]
async fn a_new_password_or_pin_is_shown_once_and_the_old_one_stops_working() {
    let app = TestApp::spawn().await;
    let cast = cast(&app).await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    let desk = app.store.staff_id_by_login("desk-demo").unwrap().unwrap();
    // A new PIN: the clerk's PIN session at the kiosk ends.
    let a = post(&app, &cast.manager, &format!("/staff/people/staff/{desk}/pin"), &[]).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let pin = value_of(&a.body, "new-pin");
    let (status, body) = kiosk.scan("ABCD-EFGH").await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("SIGN_IN")), "the PIN session ended");
    assert_eq!(
        kiosk.post("/kiosk/signin", json!({ "staff_id": desk, "pin": "1234" })).await.0,
        422,
        "the old PIN fails"
    );
    assert_eq!(kiosk.post("/kiosk/signin", json!({ "staff_id": desk, "pin": pin })).await.0, 200);
    // A new password: every session ends.
    let a = post(&app, &cast.manager, &format!("/staff/people/staff/{}/password", cast.desk_id), &[]).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let password = value_of(&a.body, "new-password");
    assert_eq!(get(&app, &cast.desk, "/staff/home").await.status, 303, "signed out at once");
    assert_eq!(staff_login(&app, "clerk", STAFF_PASSWORD).await, 401);
    assert_eq!(staff_login(&app, "clerk", &password).await, 303);
    // Managers use no PIN; nobody resets their own password here.
    let pin = post(&app, &cast.manager, &format!("/staff/people/staff/{}/pin", cast.manager_id), &[]).await;
    assert_eq!(pin.status, 409);
    let deputy = staff(&app, "demo", "deputy", Role::Manager, "4444");
    assert_eq!(post(&app, &cast.manager, &format!("/staff/people/staff/{deputy}/pin"), &[]).await.status, 422);
    let own = post(&app, &cast.admin, &format!("/staff/people/staff/{}/password", cast.admin_id), &[]).await;
    assert_eq!(own.status, 409);
}

#[tokio::test]
async fn a_kiosk_pairs_with_a_one_time_code_and_shows_when_it_was_seen_who_is_signed_in_and_its_version() {
    let app = TestApp::spawn().await;
    let cast = cast(&app).await;
    let added = post(&app, &cast.manager, "/staff/people/kiosks", &[("name", "前台2")]).await;
    assert_eq!(added.status, 200, "{}", added.body);
    let code = value_of(&added.body, "pairing-code");
    let address = value_of(&added.body, "pairing-address");
    assert_eq!(address, format!("http://127.0.0.1:8080/kiosk?pair={code}"));
    assert_eq!(qr_of(&added.body), address);
    let id = app.store.kiosk_statuses(Some("demo"), t("2026-11-18T10:00:00+08:00")).unwrap()[0].kiosk.id;
    let marker = format!("data-kiosk=\"{id}\"");
    let list = get(&app, &cast.manager, "/staff/people/kiosks").await;
    assert!(!list.body.contains(&code), "the code is never shown again");
    assert!(row_of(&list.body, &marker).contains("data-status=\"waiting\""));
    // The tablet pairs and the clerk signs in; the app names its version.
    let tablet = app.browser();
    let version = "v-0123456789ab";
    let pre = boot(&app.get_text(&tablet, "/kiosk").await.1)["csrf"].as_str().unwrap().to_owned();
    let call = |path: &str, csrf: &str, body: Value| {
        tablet
            .post(app.url(path))
            .header("x-csrf-token", csrf)
            .header("x-panke-kiosk-version", version)
            .json(&body)
            .send()
    };
    assert_eq!(call("/kiosk/pair", &pre, json!({ "code": code })).await.unwrap().status().as_u16(), 200);
    let device = boot(&app.get_text(&tablet, "/kiosk").await.1)["csrf"].as_str().unwrap().to_owned();
    let signed_in = call("/kiosk/signin", &device, json!({ "staff_id": cast.desk_id, "pin": "1111" })).await.unwrap();
    assert_eq!(signed_in.status().as_u16(), 200);
    let row = row_of(&get(&app, &cast.manager, "/staff/people/kiosks").await.body, &marker);
    for shown in ["data-status=\"paired\"", "2026-11-18 10:00", "class=\"clerk\">clerk", "判客岗", version, "旧版本"]
    {
        assert!(row.contains(shown), "{shown} in {row}");
    }
    // Seen again within the minute: not written again; after it, written.
    let seen = app.store.kiosk(id).unwrap().last_seen_unix;
    assert_eq!(seen, Some(t("2026-11-18T10:00:00+08:00").timestamp()));
    app.clock.set(t("2026-11-18T10:00:30+08:00"));
    assert_eq!(call("/kiosk/signout", &device, json!({})).await.unwrap().status().as_u16(), 200);
    assert_eq!(app.store.kiosk(id).unwrap().last_seen_unix, seen);
    app.clock.set(t("2026-11-18T10:01:00+08:00"));
    assert_eq!(call("/kiosk/signout", &device, json!({})).await.unwrap().status().as_u16(), 200);
    assert_eq!(app.store.kiosk(id).unwrap().last_seen_unix, Some(t("2026-11-18T10:01:00+08:00").timestamp()));
    let row = row_of(&get(&app, &cast.manager, "/staff/people/kiosks").await.body, &marker);
    assert!(!row.contains("class=\"clerk\">clerk"), "nobody signed in now: {row}");
    // The code worked once.
    let other = app.browser();
    let pre = boot(&app.get_text(&other, "/kiosk").await.1)["csrf"].as_str().unwrap().to_owned();
    let r = other
        .post(app.url("/kiosk/pair"))
        .header("x-csrf-token", &pre)
        .json(&json!({ "code": code }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
}

#[tokio::test]
async fn a_revoked_kiosk_is_unpaired_and_its_clerk_signed_out_at_once() {
    let app = TestApp::spawn().await;
    let cast = cast(&app).await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    let id = app.store.kiosk_statuses(Some("demo"), t("2026-11-18T10:00:00+08:00")).unwrap()[0].kiosk.id;
    let marker = format!("data-kiosk=\"{id}\"");
    let row = row_of(&get(&app, &cast.manager, "/staff/people/kiosks").await.body, &marker);
    assert!(row.contains("data-status=\"paired\"") && row.contains("desk-demo"), "{row}");
    let a = post(&app, &cast.manager, &format!("/staff/people/kiosks/{id}/revoke"), &[]).await;
    assert_eq!((a.status, a.location.as_str()), (303, "/staff/people/kiosks?done=revoked"));
    let (status, body) = kiosk.scan("ABCD-EFGH").await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("NOT_PAIRED")));
    let row = row_of(&get(&app, &cast.manager, "/staff/people/kiosks").await.body, &marker);
    assert!(row.contains("data-status=\"revoked\"") && !row.contains("/revoke"), "{row}");
    assert_eq!(post(&app, &cast.manager, &format!("/staff/people/kiosks/{id}/revoke"), &[]).await.status, 409);
}

#[tokio::test]
async fn every_change_to_people_and_devices_is_audited_with_who_made_it() {
    let app = TestApp::spawn().await;
    let cast = cast(&app).await;
    let (manager, admin) = (format!("staff:{}", cast.manager_id), format!("staff:{}", cast.admin_id));
    let a = post(&app, &cast.manager, "/staff/people/agencies", &[("name", "满堂红-珠江新城")]).await;
    let agency = agency_in(&a.location);
    let page = format!("/staff/people/agencies/{agency}");
    post(&app, &cast.admin, &format!("{page}/contract"), &[("contract_end", "2027-06-30")]).await;
    post(&app, &cast.manager, &format!("{page}/agents"), &[("name", "赵六"), ("phone", "13800000011")]).await;
    let agent = agent_id(&app, "13800000011");
    post(&app, &cast.manager, &format!("/staff/people/agents/{agent}/reinvite"), &[]).await;
    post(&app, &cast.manager, &format!("/staff/people/agents/{agent}/disable"), &[]).await;
    let issued = post(&app, &cast.manager, &format!("{page}/keys"), &[("label", "CRM")]).await;
    let key = value_of(&issued.body, "key-id");
    post(&app, &cast.manager, &format!("/staff/people/keys/{key}/revoke"), &[]).await;
    post(&app, &cast.manager, &format!("{page}/projects"), &[("project", "demo"), ("partner", "0")]).await;
    post(&app, &cast.manager, "/staff/people/staff", &[("login", "desk2"), ("name", "王判客"), ("role", "desk")]).await;
    post(&app, &cast.manager, &format!("/staff/people/staff/{}/password", cast.sales_id), &[]).await;
    post(&app, &cast.manager, &format!("/staff/people/staff/{}/pin", cast.sales_id), &[]).await;
    post(&app, &cast.manager, &format!("/staff/people/staff/{}/disable", cast.sales_id), &[]).await;
    post(&app, &cast.manager, "/staff/people/kiosks", &[("name", "前台2")]).await;
    let kiosk = app.store.kiosk_statuses(Some("demo"), t("2026-11-18T10:00:00+08:00")).unwrap()[0].kiosk.id;
    post(&app, &cast.manager, &format!("/staff/people/kiosks/{kiosk}/revoke"), &[]).await;
    let log = staff_changes(&app);
    for (actor, action) in [
        (&manager, "agency.add"),
        (&admin, "agency.contract_end"),
        (&manager, "agent.add"),
        (&manager, "agent.reinvite"),
        (&manager, "agent.disable"),
        (&manager, "agency.api_key"),
        (&manager, "agency.api_key_revoke"),
        (&manager, "agency.projects"),
        (&manager, "staff.add"),
        (&manager, "staff.password_reset"),
        (&manager, "staff.pin_reset"),
        (&manager, "staff.disable"),
        (&manager, "kiosk.create"),
        (&manager, "kiosk.revoke"),
    ] {
        assert!(log.contains(&(actor.clone(), action.to_owned())), "{action} by {actor} missing from {log:?}");
    }
    // Phones are masked in the log; the manager reads their entries.
    let details: Vec<String> = app.store.audit_entries(500).unwrap().into_iter().map(|e| e.detail).collect();
    assert!(details.iter().all(|d| !d.contains("13800000011")), "{details:?}");
    let audit = get(&app, &cast.manager, "/staff/audit?action=agent.").await;
    assert_eq!(audit.status, 200);
    for action in ["agent.add", "agent.reinvite", "agent.disable"] {
        assert!(audit.body.contains(&format!("data-action=\"{action}\"")), "{action} in the manager's audit log");
    }
}

async fn manager_page(app: &TestApp, c: &Client, path: &str) -> String {
    c.get(app.url(path)).send().await.unwrap().text().await.unwrap()
}
