//! Who may open each back-office page: managers and admins; desk clerks
//! and sales consultants are refused; a manager of another project sees
//! none of this project's rows; agents and anonymous visitors are sent to
//! the staff sign-in. One table, every page.

use super::helpers::{TestApp, staff_sign_in, t};
use super::kiosk::staff;
use panke::store::people::{NewStaff, Role};

/// Every page of the navigation, and the exports.
const PAGES: &[&str] = &[
    "/staff/visits",
    "/staff/visits.csv",
    "/staff/visits.xlsx",
    "/staff/reports",
    "/staff/reports.csv",
    "/staff/funnel",
    "/staff/groups",
    "/staff/people",
    "/staff/rules",
    "/staff/fallback",
    "/staff/audit",
    "/staff/disputes",
];

#[derive(Debug, Clone, Copy)]
enum Who {
    Manager,
    Admin,
    Desk,
    Sales,
    OtherManager,
    Agent,
    Anonymous,
}

async fn browser_for(app: &TestApp, who: Who) -> reqwest::Client {
    let c = app.browser();
    let login = match who {
        Who::Manager => Some(("boss-demo", Role::Manager, "demo")),
        Who::Desk => Some(("desk-demo", Role::Desk, "demo")),
        Who::Sales => Some(("sales-demo", Role::Sales, "demo")),
        Who::OtherManager => Some(("boss-strict", Role::Manager, "strict")),
        Who::Admin => {
            app.store
                .create_staff(
                    &NewStaff {
                        project_id: None,
                        login: "group-admin",
                        name: "集团管理员",
                        role: Role::Admin,
                        password: Some("a long password"),
                        pin: None,
                    },
                    t("2026-11-18T08:00:00+08:00"),
                )
                .unwrap();
            staff_sign_in(&c, &app.base, "group-admin", "a long password").await;
            None
        }
        Who::Agent => return app.signed_in(super::helpers::AGENT_PHONE).await,
        Who::Anonymous => None,
    };
    if let Some((login, role, project)) = login {
        staff(app, project, login, role, "2468");
        staff_sign_in(&c, &app.base, login, "a long password").await;
    }
    c
}

#[tokio::test]
async fn every_back_office_page_admits_managers_and_admins_and_refuses_everyone_else() {
    let app = TestApp::spawn().await;
    // A report of the demo project: another project's manager must not see it.
    let agent = app.signed_in(super::helpers::AGENT_PHONE).await;
    app.filed_id(&agent, "demo", "王先生", "13812345678").await;
    for who in [Who::Manager, Who::Admin, Who::Desk, Who::Sales, Who::OtherManager, Who::Agent, Who::Anonymous] {
        let c = browser_for(&app, who).await;
        for page in PAGES {
            let r = c.get(app.url(page)).send().await.unwrap();
            let status = r.status().as_u16();
            let location = r.headers().get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
            let body = r.text().await.unwrap_or_default();
            if *page == "/staff/reports" {
                let listed = body.contains("data-status=");
                assert_eq!(listed, matches!(who, Who::Manager | Who::Admin), "{who:?} sees the demo report: {listed}");
            }
            match who {
                Who::Manager | Who::Admin | Who::OtherManager => assert_eq!(status, 200, "{who:?} {page}"),
                Who::Desk | Who::Sales => assert_eq!(status, 403, "{who:?} {page}"),
                Who::Agent | Who::Anonymous => {
                    assert_eq!(status, 303, "{who:?} {page}");
                    assert!(location.starts_with("/staff/login?next="), "{who:?} {page}: {location}");
                }
            }
        }
    }
}

#[tokio::test]
async fn the_navigation_shows_each_role_only_what_it_may_open() {
    let app = TestApp::spawn().await;
    let manager = browser_for(&app, Who::Manager).await;
    let home = manager.get(app.url("/staff/home")).send().await.unwrap().text().await.unwrap();
    for page in ["/staff/visits", "/staff/reports", "/staff/people", "/staff/audit"] {
        assert!(home.contains(&format!("href=\"{page}\"")), "{page} in the manager's navigation");
    }
    let desk = browser_for(&app, Who::Desk).await;
    let home = desk.get(app.url("/staff/home")).send().await.unwrap().text().await.unwrap();
    assert!(!home.contains("href=\"/staff/visits\"") && !home.contains("href=\"/staff/people\""), "{home}");
    let english = app.browser();
    let r = english.get(app.url("/lang/en")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303);
    staff(&app, "demo", "boss-en", Role::Manager, "1357");
    staff_sign_in(&english, &app.base, "boss-en", "a long password").await;
    let home = english.get(app.url("/staff/home")).send().await.unwrap().text().await.unwrap();
    assert!(home.contains("Visits") && home.contains("Sign out") && home.contains("lang=\"en\""), "{home}");
}
