//! The set-up several deal and dispute suites share: agency A's valid visit
//! of a customer through the real kiosk path, then the manager's entry of
//! the customer's subscription on the back office's form.

use super::helpers::{AGENT_PHONE, TestApp, csrf, staff_sign_in, t};
use super::kiosk::{Kiosk, staff};
use panke::domain::token::ReportId;
use panke::store::people::Role;
use serde_json::json;

/// Agency A's agent files `customer` at the clock's time; the kiosk reads
/// the code and records a valid visit at 10:45 on 2026-11-18. The report.
pub async fn valid_visit(app: &TestApp, customer: &str) -> i64 {
    let kiosk = Kiosk::ready(app, "demo").await;
    let agent = app.signed_in(AGENT_PHONE).await;
    let id = app.filed_id(&agent, "demo", "王先生", customer).await;
    let r = app.store.report(ReportId(id)).unwrap();
    let token = app.key_ring.sign_with(r.key_id, r.id, r.filed_at.to_utc()).unwrap();
    app.clock.set(t("2026-11-18T10:45:00+08:00"));
    let (status, scan) = kiosk.scan(&token).await;
    assert_eq!(status, 200, "{scan}");
    let (status, v) = kiosk.check_in(Some(&token), customer, json!({})).await;
    assert_eq!((status, v["verdict"].as_str()), (200, Some("valid")), "{v}");
    id
}

/// The manager (`boss-demo`) enters the subscription of `customer` on the
/// back office's form: unit 3-1-1201, ¥1,234,567.89, 2026-11-20 15:00.
/// Returns the deal, the manager's staff id and their signed-in client.
pub async fn entered_deal(app: &TestApp, customer: &str) -> (i64, i64, reqwest::Client) {
    let boss_id = staff(app, "demo", "boss-demo", Role::Manager, "9999");
    let boss = app.browser();
    staff_sign_in(&boss, &app.base, "boss-demo", "a long password").await;
    let (_, form) = app.get_text(&boss, "/staff/deals/new").await;
    let token = csrf(&form);
    let fields = [
        ("csrf", token.as_str()),
        ("customer_name", "王小明"),
        ("customer_phone", customer),
        ("unit", "3-1-1201"),
        ("product", "residential"),
        ("price_yuan", "1,234,567.89"),
        ("subscribed_at", "2026-11-20T15:00"),
        ("sales_id", ""),
    ];
    let r = boss.post(app.url("/staff/deals/new")).form(&fields).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    let deal: i64 = to.trim_start_matches("/staff/deals/").split(['?', '#']).next().unwrap().parse().unwrap();
    (deal, boss_id, boss)
}
