//! The back office's audit log (审计日志): who may read it, whose entries
//! each reader sees, what the filters find, and paging newest first.

use super::helpers::{TestApp, staff_sign_in, t};
use super::kiosk::staff;
use panke::store::people::{NewStaff, Role};

async fn page(c: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let r = c.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn rows(html: &str) -> usize {
    html.matches("<tr data-action=").count()
}

/// The next-page link's path, if the page has one.
fn next_page(html: &str) -> Option<String> {
    let marker = "id=\"next-page\" href=\"";
    let start = html.find(marker)? + marker.len();
    let end = start + html[start..].find('"')?;
    Some(html[start..end].replace("&amp;", "&"))
}

/// Three entries of demo, one of strict, one of no project; each detail
/// is a marker the pages are searched for.
fn entries(app: &TestApp) {
    let now = t("2026-11-18T10:05:00+08:00");
    let s = &app.store;
    s.audit(now, "kiosk:1", "kiosk.code_refused", Some("demo"), "标记-甲").unwrap();
    s.audit(now, "staff:99", "report.cancel", Some("demo"), "标记-乙").unwrap();
    s.audit(now, "staff:991", "report.cancel", Some("demo"), "标记-丙").unwrap();
    s.audit(now, "system", "config.project", Some("strict"), "标记-丁").unwrap();
    s.audit(now, "cli", "backup", None, "标记-戊").unwrap();
}

#[tokio::test]
async fn a_manager_reads_and_filters_the_projects_audit_log() {
    let app = TestApp::spawn().await;
    entries(&app);
    staff(&app, "demo", "boss-demo", Role::Manager, "9999");
    let c = app.browser();
    staff_sign_in(&c, &app.base, "boss-demo", "a long password").await;
    let (status, all) = page(&c, &app, "/staff/audit").await;
    assert_eq!(status, 200, "{all}");
    assert!(all.contains("审计日志"), "{all}");
    for marker in ["标记-甲", "标记-乙", "标记-丙"] {
        assert!(all.contains(marker), "{marker} in {all}");
    }
    assert!(!all.contains("标记-丁"), "another project's entry is not listed");
    assert!(!all.contains("标记-戊"), "an entry of no project is not listed to a manager");
    assert!(all.contains("data-action=\"staff.sign_in\""), "the manager's own sign-in: {all}");
    assert!(all.contains("2026-11-18 10:05:00"), "local time of the project: {all}");
    // By action prefix.
    let (_, cancels) = page(&c, &app, "/staff/audit?action=report.").await;
    assert_eq!(rows(&cancels), 2, "{cancels}");
    assert_eq!(cancels.matches("<tr data-action=\"report.cancel\"").count(), 2);
    assert!(!cancels.contains("标记-甲"));
    // By actor: a kind ("kiosk:"), or exactly one ("staff:99", not "staff:991").
    let (_, kiosks) = page(&c, &app, "/staff/audit?actor=kiosk%3A").await;
    assert_eq!(rows(&kiosks), 1, "{kiosks}");
    assert!(kiosks.contains("标记-甲"));
    let (_, one) = page(&c, &app, "/staff/audit?actor=staff%3A99").await;
    assert_eq!(rows(&one), 1, "{one}");
    assert!(one.contains("标记-乙") && !one.contains("标记-丙"));
    let (_, both) = page(&c, &app, "/staff/audit?actor=staff%3A99&action=kiosk.").await;
    assert!(both.contains("没有符合条件"), "filters combine: {both}");
    // By day (local days; the entries are of 18 November).
    let (_, later) = page(&c, &app, "/staff/audit?from=2026-11-19").await;
    assert!(later.contains("没有符合条件") && rows(&later) == 0, "{later}");
    let (_, earlier) = page(&c, &app, "/staff/audit?to=2026-11-17").await;
    assert_eq!(rows(&earlier), 0, "{earlier}");
    let (_, that_day) = page(&c, &app, "/staff/audit?from=2026-11-18&to=2026-11-18").await;
    assert!(that_day.contains("标记-甲") && that_day.contains("标记-丙"), "{that_day}");
}

#[tokio::test]
async fn the_audit_log_pages_fifty_at_a_time_newest_first() {
    let app = TestApp::spawn().await;
    let now = t("2026-11-18T10:05:00+08:00");
    for i in 0..55 {
        app.store.audit(now, "cli", "paging.test", Some("demo"), &format!("第{i}条")).unwrap();
    }
    staff(&app, "demo", "boss-demo", Role::Manager, "9999");
    let c = app.browser();
    staff_sign_in(&c, &app.base, "boss-demo", "a long password").await;
    let (status, first) = page(&c, &app, "/staff/audit?action=paging.").await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(rows(&first), 50);
    assert!(first.contains("第54条") && !first.contains("第4条"), "newest first");
    let next = next_page(&first).expect("a next-page link");
    assert!(next.contains("action=paging.") && next.contains("before="), "{next}");
    let (status, second) = page(&c, &app, &next).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(rows(&second), 5, "{second}");
    assert!(second.contains("第0条") && second.contains("第4条") && !second.contains("第5条"));
    assert!(next_page(&second).is_none(), "the last page has no next-page link");
}

#[tokio::test]
async fn only_managers_and_admins_read_the_audit_log_and_managers_only_their_project() {
    let app = TestApp::spawn().await;
    entries(&app);
    staff(&app, "demo", "clerk-demo", Role::Desk, "1111");
    staff(&app, "demo", "sales-demo", Role::Sales, "3333");
    staff(&app, "strict", "boss-strict", Role::Manager, "2222");
    let admin = NewStaff {
        project_id: None,
        login: "admin",
        name: "admin",
        role: Role::Admin,
        password: Some("a long password"),
        pin: None,
    };
    app.store.create_staff(&admin, t("2026-11-18T08:00:00+08:00")).unwrap();
    for login in ["clerk-demo", "sales-demo"] {
        let c = app.browser();
        staff_sign_in(&c, &app.base, login, "a long password").await;
        assert_eq!(page(&c, &app, "/staff/audit").await.0, 403, "{login}");
    }
    let other = app.browser();
    staff_sign_in(&other, &app.base, "boss-strict", "a long password").await;
    let (status, list) = page(&other, &app, "/staff/audit").await;
    assert_eq!(status, 200, "{list}");
    assert!(list.contains("标记-丁"), "strict's own entry: {list}");
    for marker in ["标记-甲", "标记-乙", "标记-丙", "标记-戊"] {
        assert!(!list.contains(marker), "{marker} is not strict's");
    }
    let (_, demo_actions) = page(&other, &app, "/staff/audit?action=report.").await;
    assert!(demo_actions.contains("没有符合条件"), "{demo_actions}");
    let a = app.browser();
    staff_sign_in(&a, &app.base, "admin", "a long password").await;
    let (status, everything) = page(&a, &app, "/staff/audit").await;
    assert_eq!(status, 200, "{everything}");
    for marker in ["标记-甲", "标记-乙", "标记-丙", "标记-丁", "标记-戊"] {
        assert!(everything.contains(marker), "an admin sees {marker}");
    }
    let anonymous = app.browser();
    let r = anonymous.get(app.url("/staff/audit")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303, "sign in first");
}
