//! Issue 14 in a real browser: an agent of the demo's rival agency objects
//! to a natural-visit verdict on their phone, attaches a screenshot, and
//! the demo manager finds the dispute in the deadline list, reads the
//! timeline, replays the verdict and rules; the agent then reads the ruling
//! and its reasons. Every page is photographed (target/screenshots/dispute-*).

use super::webdriver::Driver;
use super::{DESKTOP, PHONE, accept_confirmations, blank_video, browser_or_skip, demo_backoffice, viewport};
use serde_json::json;

const RIVAL_AGENCY: &str = "中原-演示店";
const RIVAL_AGENT_PHONE: &str = "13800000002";
const CLAIM: &str = "客户到访前一小时已通过微信报备,系统时间延误导致判为自然到访,请复核。";
const REASONS: &str = "微信截图显示报备早于到访 60 分钟,支持申诉。";

#[tokio::test]
async fn a_dispute_walks_from_the_agents_objection_to_the_managers_ruling() {
    let Some((browser, driver)) = browser_or_skip() else { return };
    let b = demo_backoffice().await;
    // One of the rival agency's reports whose visit was recorded (a natural
    // one if there is), of a customer without a deal.
    let raw = rusqlite::Connection::open(b.store.path()).unwrap();
    let report: i64 = raw
        .query_row(
            "SELECT r.id FROM reports r JOIN agencies a ON a.id = r.agency_id
             WHERE a.name = ?1 AND r.status IN ('visited-invalid', 'visited-valid')
               AND NOT EXISTS (SELECT 1 FROM subscriptions s WHERE s.phone = r.customer_phone)
             ORDER BY r.status = 'visited-invalid' DESC, r.id DESC LIMIT 1",
            [RIVAL_AGENCY],
            |r| r.get(0),
        )
        .expect("a visited report of the rival demo agency");
    let dir = tempfile::tempdir().unwrap();
    let video = blank_video(dir.path());
    let screenshot = dir.path().join("wechat.png");
    std::fs::write(&screenshot, panke::demo::signature_png(11)).unwrap();

    // The agent, on a phone: signs in, opens the report, objects.
    let agent = Driver::start(&browser, &driver, &video, DESKTOP).await;
    viewport(&agent, PHONE).await;
    agent.goto(&b.url("/agent/login")).await;
    agent.type_into("input[name='phone']", RIVAL_AGENT_PHONE).await;
    agent.type_into("input[name='password']", panke::demo::DEMO_PASSWORD).await;
    agent.click("form[action='/agent/login'] button[type='submit']").await;
    agent.find("main").await;
    agent.goto(&b.url(&format!("/agent/reports/{report}"))).await;
    agent.click("#to-dispute").await;
    agent.find("#submit-dispute").await;
    agent.click("select[name='kind'] option[value='natural_verdict']").await;
    agent.type_into("textarea[name='claim']", CLAIM).await;
    agent.screenshot("dispute-agent-new-390").await;
    agent.click("#submit-dispute").await;
    agent.find("#claim").await;
    let path = agent.script("return location.pathname", json!([])).await;
    let id: i64 = path
        .as_str()
        .and_then(|p| p.strip_prefix("/agent/disputes/"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("the objection leads to its dispute page, not {path}"));
    assert!(agent.text("#claim").await.contains(CLAIM));

    // A screenshot of the messages as evidence.
    agent.click("#evidence select[name='kind'] option[value='messages']").await;
    agent.type_into("#evidence input[type='file']", screenshot.to_str().unwrap()).await;
    agent.click("#submit-evidence").await;
    agent.find("#evidence ul.reports li").await;
    assert!(agent.text("#evidence").await.contains(".png"), "the uploaded file is listed");
    agent.screenshot("dispute-agent-evidence-390").await;

    // The manager, at a desk: the deadline list, the dispute, its
    // timeline, the verdict replayed, the ruling.
    let manager = Driver::start(&browser, &driver, &video, DESKTOP).await;
    manager.goto(&b.url("/staff/login")).await;
    manager.type_into("input[name='login']", "manager").await;
    manager.type_into("input[name='password']", panke::demo::DEMO_PASSWORD).await;
    manager.click("form[action='/staff/login'] button[type='submit']").await;
    manager.find("#home-nav").await;
    manager.goto(&b.url("/staff/disputes")).await;
    manager.find(&format!("#deadline-list tr[data-dispute='{id}']")).await;
    manager.screenshot("dispute-manager-list-1280").await;
    manager.click(&format!("#deadline-list tr[data-dispute='{id}'] a")).await;
    manager.find("#rule-form").await;
    assert!(manager.text("#claimant").await.contains(RIVAL_AGENCY), "staff see the agency's name");
    assert!(manager.text("#evidence").await.contains(".png"), "staff see the agent's evidence");
    manager.find("#customer-timeline li").await;
    manager.screenshot("dispute-manager-detail-1280").await;
    // Judge again: the disputed verdict replayed with the rules stored in
    // the record is the verdict recorded.
    manager.click("#judge-again").await;
    manager.find("#replay-same").await;
    manager.screenshot("dispute-manager-replay-1280").await;
    manager.goto(&b.url(&format!("/staff/disputes/{id}"))).await;
    manager.find("#rule-form").await;
    manager.click("#rule-form input[name='outcome'][value='upheld']").await;
    manager.type_into("#rule-form textarea[name='reasons']", REASONS).await;
    accept_confirmations(&manager).await;
    manager.click("#rule-submit").await;
    manager.find(".ruling[data-level='1']").await;
    assert_eq!(
        manager.script("return document.getElementById('dispute-status').dataset.status", json!([])).await,
        json!("ruled")
    );
    manager.screenshot("dispute-manager-ruled-1280").await;
    let ruled = b.store.dispute(id).unwrap();
    assert_eq!(ruled.rulings.len(), 1, "the ruling is stored");
    assert!(b.store.verify_ledger().unwrap().is_ok(), "the ledger verifies with the ruling in it");

    // The agent reads the ruling and its reasons.
    agent.goto(&b.url("/agent/disputes")).await;
    agent.find(&format!("li[data-dispute='{id}']")).await;
    agent.screenshot("dispute-agent-list-390").await;
    agent.goto(&b.url(&format!("/agent/disputes/{id}"))).await;
    agent.find("#rulings").await;
    assert!(agent.text("#rulings").await.contains(REASONS), "the agent sees the reasons");
    agent.screenshot("dispute-agent-ruled-390").await;
}
