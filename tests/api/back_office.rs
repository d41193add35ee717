//! The back office's visits ledger (带看台账): who may list it, what the
//! filters find, and the CSV export with masked phones.

use super::helpers::{AGENT_PHONE, TestApp, staff_sign_in, t};
use super::kiosk::{Kiosk, staff};
use panke::domain::token::ReportId;
use panke::store::people::Role;
use serde_json::json;

/// Three visits at the demo kiosk: two valid, one filed too late.
async fn three_visits(app: &TestApp) {
    let kiosk = Kiosk::ready(app, "demo").await;
    let agent = app.signed_in(AGENT_PHONE).await;
    let mut tokens = Vec::new();
    for phone in ["13812345678", "13912345678"] {
        let id = app.filed_id(&agent, "demo", "王先生", phone).await;
        let r = app.store.report(ReportId(id)).unwrap();
        tokens.push((phone, app.key_ring.sign_with(r.key_id, r.id, r.filed_at.to_utc()).unwrap()));
    }
    app.clock.set(t("2026-11-18T10:45:00+08:00"));
    let late = app.filed_id(&agent, "demo", "李先生", "13712345678").await;
    let r = app.store.report(ReportId(late)).unwrap();
    tokens.push(("13712345678", app.key_ring.sign_with(r.key_id, r.id, r.filed_at.to_utc()).unwrap()));
    app.clock.set(t("2026-11-18T10:50:00+08:00"));
    for (phone, token) in &tokens {
        kiosk.scan(token).await;
        let (status, v) = kiosk.check_in(Some(token), phone, json!({})).await;
        assert_eq!(status, 200, "{v}");
    }
}

/// Posts a search form with the session's CSRF token (unless one is given).
async fn post(c: &reqwest::Client, app: &TestApp, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let (_, form) = page(c, app, path).await;
    let token = super::helpers::csrf(&form);
    let mut all: Vec<(&str, &str)> = vec![("csrf", token.as_str())];
    all.retain(|(k, _)| !fields.iter().any(|(f, _)| f == k));
    all.extend_from_slice(fields);
    let r = c.post(app.url(path)).form(&all).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn page(c: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let r = c.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn a_manager_lists_filters_and_exports_the_projects_visits() {
    let app = TestApp::spawn().await;
    three_visits(&app).await;
    staff(&app, "demo", "boss-demo", Role::Manager, "9999");
    let c = app.browser();
    staff_sign_in(&c, &app.base, "boss-demo", "a long password").await;
    let (status, all) = page(&c, &app, "/staff/visits").await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(all.matches("<tr data-verdict").count(), 3);
    assert!(all.contains("138****5678") && !all.contains("13812345678"), "phones masked");
    let (_, natural) = page(&c, &app, "/staff/visits?verdict=invalid").await;
    assert_eq!(natural.matches("<tr data-verdict").count(), 1);
    assert!(natural.contains("报备过晚"), "{natural}");
    let (_, by_reason) = page(&c, &app, "/staff/visits?reason=REPORT_TOO_LATE").await;
    assert_eq!(by_reason.matches("<tr data-verdict").count(), 1);
    for search in ["13912345678", "139****5678", "5678"] {
        let (_, found) = post(&c, &app, "/staff/visits", &[("phone", search)]).await;
        let want = if search == "5678" { 3 } else { 1 };
        assert_eq!(found.matches("<tr data-verdict").count(), want, "{search}");
    }
    let (_, by_name) = post(&c, &app, "/staff/visits", &[("name", "王")]).await;
    assert_eq!(by_name.matches("<tr data-verdict").count(), 3, "王小明 at every visit");
    // A phone in a URL is ignored: personal data only travels in a POST.
    let (_, in_url) = page(&c, &app, "/staff/visits?phone=13912345678").await;
    assert_eq!(in_url.matches("<tr data-verdict").count(), 3);
    let (_, phone_search) = post(&c, &app, "/staff/visits", &[("phone", "13912345678")]).await;
    assert!(!phone_search.contains("phone=139"), "pages and exports of a phone search are forms, not links");
    let (status, _) = post(&c, &app, "/staff/visits", &[("phone", "13912345678"), ("csrf", "forged")]).await;
    assert_eq!(status, 403, "a search without the session's token is refused");
    let (_, other_day) = page(&c, &app, "/staff/visits?from=2026-11-19").await;
    assert!(other_day.contains("没有符合条件"), "{other_day}");
    let (_, that_day) = page(&c, &app, "/staff/visits?from=2026-11-18&to=2026-11-18").await;
    assert_eq!(that_day.matches("<tr data-verdict").count(), 3);
    // The export: the filtered rows, phones masked, a header row.
    let r = c.get(app.url("/staff/visits.csv?verdict=valid")).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    let text = r.text().await.unwrap();
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("编号,到访时间"));
    assert!(text.contains("139****5678") && !text.contains("13912345678"));
    // And as xlsx, read back with calamine: the header and the two valid visits.
    let r = c.get(app.url("/staff/visits.xlsx?verdict=valid")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let bytes = r.bytes().await.unwrap().to_vec();
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range("带看台账").unwrap();
    let rows: Vec<Vec<String>> = sheet.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(rows[0][0], "编号");
    assert!(rows[1..].iter().all(|r| r[7] == "有效带看"), "{rows:?}");
    assert!(rows.iter().flatten().all(|c| !c.contains("13912345678")), "phones masked");
}

#[tokio::test]
async fn only_managers_of_the_project_see_its_visits() {
    let app = TestApp::spawn().await;
    three_visits(&app).await;
    staff(&app, "demo", "clerk2-demo", Role::Desk, "1111");
    staff(&app, "strict", "boss-strict", Role::Manager, "2222");
    let desk = app.browser();
    staff_sign_in(&desk, &app.base, "clerk2-demo", "a long password").await;
    assert_eq!(page(&desk, &app, "/staff/visits").await.0, 403);
    assert_eq!(page(&desk, &app, "/staff/visits.csv").await.0, 403);
    let other = app.browser();
    staff_sign_in(&other, &app.base, "boss-strict", "a long password").await;
    let (status, list) = page(&other, &app, "/staff/visits").await;
    assert_eq!(status, 200);
    assert!(list.contains("没有符合条件"), "another project's visits are not listed");
    // Anonymous: sign in first, and come back to the list asked for.
    let anonymous = app.browser();
    let r = anonymous.get(app.url("/staff/visits?verdict=valid")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303, "sign in first");
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(to, "/staff/login?next=%2Fstaff%2Fvisits%3Fverdict%3Dvalid");
    let login = anonymous.get(app.url(&to)).send().await.unwrap().text().await.unwrap();
    assert!(login.contains("value=\"/staff/visits?verdict=valid\""), "the form keeps where to go");
    let agent = app.signed_in(AGENT_PHONE).await;
    let r = agent.get(app.url("/staff/visits")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303, "an agent is no staff member");
}

#[tokio::test]
async fn the_funnel_counts_reports_visits_and_valid_visits_per_agency() {
    let app = TestApp::spawn().await;
    three_visits(&app).await;
    // A fourth report that never led to a visit.
    let agent = app.signed_in(AGENT_PHONE).await;
    app.filed_id(&agent, "demo", "赵先生", "13612345678").await;
    staff(&app, "demo", "boss-demo", Role::Manager, "9999");
    let c = app.browser();
    staff_sign_in(&c, &app.base, "boss-demo", "a long password").await;
    let (status, funnel) = page(&c, &app, "/staff/funnel?from=2026-11-18&to=2026-11-18").await;
    assert_eq!(status, 200, "{funnel}");
    let row = funnel.split("<tbody>").nth(1).unwrap();
    assert!(row.contains("链家-天河店"), "{row}");
    let cells: Vec<&str> = row.split("<td>").skip(2).map(|c| c.split('<').next().unwrap()).collect();
    assert_eq!(&cells[..5], ["4", "3", "2", "75%", "50%"], "{row}");
    let (_, empty) = page(&c, &app, "/staff/funnel?from=2026-10-01&to=2026-10-31").await;
    assert!(empty.contains("该期间没有报备"));
    let (status, _) = page(&c, &app, "/staff/funnel?from=yesterday").await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn a_manager_lists_the_projects_reports_by_status() {
    let app = TestApp::spawn().await;
    three_visits(&app).await;
    let agent = app.signed_in(AGENT_PHONE).await;
    app.filed_id(&agent, "demo", "赵先生", "13612345678").await;
    staff(&app, "demo", "boss-demo", Role::Manager, "9999");
    staff(&app, "demo", "clerk2-demo", Role::Desk, "1111");
    let c = app.browser();
    staff_sign_in(&c, &app.base, "boss-demo", "a long password").await;
    let (status, all) = page(&c, &app, "/staff/reports").await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(all.matches("<tr data-status").count(), 4);
    assert!(all.contains("136****5678") && !all.contains("13612345678"), "phones masked");
    let (_, pending) = page(&c, &app, "/staff/reports?status=pending").await;
    assert_eq!(pending.matches("<tr data-status=\"pending\"").count(), 1, "{pending}");
    let (_, valid) = page(&c, &app, "/staff/reports?status=visited-valid").await;
    assert_eq!(valid.matches("<tr data-status").count(), 2);
    let (_, other) = page(&c, &app, "/staff/reports?agency=%E4%B8%AD%E5%8E%9F-%E4%BD%93%E8%82%B2%E8%A5%BF").await;
    assert!(other.contains("没有符合条件"), "{other}");
    let desk = app.browser();
    staff_sign_in(&desk, &app.base, "clerk2-demo", "a long password").await;
    assert_eq!(page(&desk, &app, "/staff/reports").await.0, 403);
}

#[tokio::test]
async fn a_project_may_let_its_managers_export_full_phones() {
    let dep = crate::support::TestDeployment::new(&[(
        "demo",
        "[project]\nname = \"云境·演示项目\"\nfull_phone_roles = [\"manager\"]\n",
    )]);
    let app = TestApp::spawn_in(dep).await;
    three_visits(&app).await;
    staff(&app, "demo", "boss-demo", Role::Manager, "9999");
    let c = app.browser();
    staff_sign_in(&c, &app.base, "boss-demo", "a long password").await;
    let text = c.get(app.url("/staff/visits.csv?verdict=valid")).send().await.unwrap().text().await.unwrap();
    assert!(text.contains("13912345678"), "{text}");
    let (_, list) = page(&c, &app, "/staff/visits").await;
    assert!(!list.contains("13912345678"), "the list itself stays masked");
}
