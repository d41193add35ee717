//! Issue 15, items 1 and 3, over HTTP: what the agent's report page says
//! after the visit (有效带看 / 复访 / 自然到访 with every reason / 已过期 /
//! 已撤销, and no scannable code once the report is used or closed), the
//! channel copy of the sheet for the agency that filed the report only, the
//! list's status tabs, counts and search, the duplicate hint, the expected
//! arrival refused in the past and flagged outside the desk's hours, and the
//! back office's list of today's expected arrivals.

use super::helpers::{AGENT_PHONE, RIVAL_PHONE, TestApp, csrf, location_id, staff_sign_in, t};
use super::kiosk::{Kiosk, staff};
use panke::clock::Clock;
use panke::domain::token::ReportId;
use panke::store::people::Role;
use serde_json::{Value, json};

/// The token report `id`'s QR code carries.
fn token(app: &TestApp, id: i64) -> String {
    let r = app.store.report(ReportId(id)).unwrap();
    app.key_ring.sign_with(r.key_id, r.id, r.filed_at.to_utc()).unwrap()
}

/// Report `id` (filed at 10:00) checked in at 10:45; the kiosk's verdict.
async fn visit(app: &TestApp, kiosk: &Kiosk<'_>, id: i64, phone: &str, extra: Value) -> Value {
    app.clock.set(t("2026-11-18T10:45:00+08:00"));
    let token = token(app, id);
    kiosk.scan(&token).await;
    let (status, v) = kiosk.check_in(Some(&token), phone, extra).await;
    assert_eq!(status, 200, "{v}");
    v
}

/// Files a report of `phone` at the clock's time expecting the customer at
/// `expected` (local `YYYY-MM-DDTHH:MM`), ticking 已知悉 when `off_hours_ok`.
async fn file_expecting(
    app: &TestApp,
    c: &reqwest::Client,
    phone: &str,
    expected: &str,
    idem: &str,
    off_hours_ok: bool,
) -> reqwest::Response {
    let (_, form) = app.get_text(c, "/agent/reports/new").await;
    let mut fields: Vec<(&str, String)> = vec![
        ("csrf", csrf(&form)),
        ("idem", idem.to_owned()),
        ("project", "demo".to_owned()),
        ("customer_name", "王先生".to_owned()),
        ("customer_phone", phone.to_owned()),
        ("expected_arrival", expected.to_owned()),
    ];
    if off_hours_ok {
        fields.push(("off_hours_ok", "1".to_owned()));
    }
    c.post(app.url("/agent/reports")).form(&fields).send().await.unwrap()
}

async fn status_of(c: &reqwest::Client, app: &TestApp, path: &str) -> u16 {
    c.get(app.url(path)).send().await.unwrap().status().as_u16()
}

/// Nothing on the page can be scanned or saved as a code.
fn assert_no_code(page: &str, manual_code: &str) {
    assert!(!page.contains("/qr.png") && !page.contains("/qr.svg"), "no QR image: {page}");
    assert!(!page.contains("请向判客岗出示此二维码"), "no «show this code»: {page}");
    assert!(!page.contains(manual_code), "no manual code: {page}");
    assert!(!page.contains("保存二维码图片"), "no save button: {page}");
    assert!(!page.contains("二维码密钥已停用"), "no key message either: {page}");
}

async fn assert_code_gone(app: &TestApp, c: &reqwest::Client, id: i64) {
    for image in ["qr.png", "qr.svg"] {
        assert_eq!(status_of(c, app, &format!("/agent/reports/{id}/{image}")).await, 410, "{image}");
    }
}

#[tokio::test]
async fn a_pending_report_shows_its_code_and_its_expected_arrival() {
    let app = TestApp::spawn().await;
    let c = app.signed_in(AGENT_PHONE).await;
    let id = app.filed_id(&c, "demo", "王先生", "13812345678").await;
    let (status, page) = app.get_text(&c, &format!("/agent/reports/{id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("data-outcome=\"pending\"") && page.contains("待到访"), "{page}");
    assert!(page.contains(&format!("/agent/reports/{id}/qr.png")), "the code is shown");
    assert!(page.contains("id=\"expected-arrival\"") && page.contains("2026-11-18 15:00"), "{page}");
    assert!(!page.contains("id=\"expected-off-hours\""), "15:00 on a Wednesday is within the desk's hours");
    assert_eq!(status_of(&c, &app, &format!("/agent/reports/{id}/qr.png")).await, 200);
}

#[tokio::test]
async fn a_valid_visit_shows_the_protection_end_times_receipt_and_channel_copy_and_no_code() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    let c = app.signed_in(AGENT_PHONE).await;
    let id = app.filed_id(&c, "demo", "王先生", "13812345678").await;
    let code = app.store.report(ReportId(id)).unwrap().manual_code.to_string();
    let v = visit(&app, &kiosk, id, "13812345678", json!({})).await;
    assert_eq!(v["verdict"], "valid", "{v}");
    let until = v["protected_until"].as_str().unwrap();
    let (_, page) = app.get_text(&c, &format!("/agent/reports/{id}")).await;
    assert!(page.contains("data-outcome=\"valid\""), "{page}");
    assert!(page.contains("有效带看") && page.contains("客户保护期至") && page.contains(until), "{page}");
    assert!(page.contains("id=\"first-read\">2026-11-18 10:45"), "the first read: {page}");
    assert!(page.contains("id=\"arrived\">2026-11-18 10:45"), "the arrival: {page}");
    assert!(page.contains(&format!("href=\"/agent/reports/{id}/receipt\"")), "the receipt");
    if let Some(receipt) = v["receipt"]["code"].as_str() {
        assert!(page.contains(receipt), "the receipt code");
    }
    assert!(page.contains(&format!("href=\"/agent/reports/{id}/sheet\"")), "the channel copy");
    assert!(!page.contains("有效到访") && !page.contains("无效到访"), "the kiosk's words");
    assert_no_code(&page, &code);
    assert_code_gone(&app, &c, id).await;
    // The list says it the same way.
    let (_, list) = app.get_text(&c, "/agent/reports").await;
    assert!(list.contains("有效带看") && !list.contains("有效到访"));
}

#[tokio::test]
async fn a_natural_visit_shows_every_reason_in_plain_chinese() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    let c = app.signed_in(AGENT_PHONE).await;
    let id = app.filed_id(&c, "demo", "王先生", "13812345678").await;
    let code = app.store.report(ReportId(id)).unwrap().manual_code.to_string();
    // Read 10 minutes after filing (too late), and the customer denies the agent.
    app.clock.set(t("2026-11-18T10:10:00+08:00"));
    let token = token(&app, id);
    kiosk.scan(&token).await;
    let (status, v) = kiosk.check_in(Some(&token), "13812345678", json!({ "customer_confirms_agent": false })).await;
    assert_eq!((status, v["verdict"].as_str()), (200, Some("invalid")), "{v}");
    let reasons = v["reasons"].as_array().unwrap();
    assert!(!reasons.is_empty());
    let (_, page) = app.get_text(&c, &format!("/agent/reports/{id}")).await;
    assert!(page.contains("data-outcome=\"natural\"") && page.contains("自然到访"), "{page}");
    for reason in reasons {
        let zh = reason["zh"].as_str().unwrap();
        assert!(page.contains(zh), "the reason «{zh}» in plain Chinese: {page}");
        assert!(!page.contains(reason["code"].as_str().unwrap()), "no code shown for words");
    }
    assert!(page.contains("id=\"first-read\">2026-11-18 10:10") && page.contains("id=\"arrived\">2026-11-18 10:10"));
    assert!(page.contains(&format!("href=\"/agent/reports/{id}/receipt\"")));
    assert!(page.contains(&format!("href=\"/agent/reports/{id}/sheet\"")));
    assert!(!page.contains("无效到访") && !page.contains("客户保护期至"), "{page}");
    assert_no_code(&page, &code);
    assert_code_gone(&app, &c, id).await;
    let (_, list) = app.get_text(&c, "/agent/reports").await;
    assert!(list.contains("自然到访") && !list.contains("无效到访"));
    // In English too, the same word.
    let r = c.get(app.url("/lang/en")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let (_, english) = app.get_text(&c, &format!("/agent/reports/{id}")).await;
    assert!(english.contains("Natural visit") && !english.contains("Invalid visit"), "{english}");
}

#[tokio::test]
async fn a_return_visit_says_so_with_the_first_visits_protection_end() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "firstvisit").await;
    let c = app.signed_in(AGENT_PHONE).await;
    let first = app.filed_id(&c, "firstvisit", "王先生", "13812345678").await;
    let v = visit(&app, &kiosk, first, "13812345678", json!({})).await;
    assert_eq!(v["protected_until"], "2026-12-18 10:45");
    let (_, page) = app.get_text(&c, &format!("/agent/reports/{first}")).await;
    assert!(page.contains("data-outcome=\"valid\"") && !page.contains("复访"), "a first visit: {page}");
    // A week later the same agency brings the customer back.
    app.clock.set(t("2026-11-25T10:00:00+08:00"));
    let c = app.signed_in(AGENT_PHONE).await;
    let again = app.filed_id(&c, "firstvisit", "王先生", "13812345678").await;
    app.clock.set(t("2026-11-25T11:00:00+08:00"));
    kiosk.sign_in_again().await;
    let token = token(&app, again);
    kiosk.scan(&token).await;
    let (_, v) = kiosk.check_in(Some(&token), "13812345678", json!({})).await;
    assert_eq!((v["verdict"].as_str(), v["return_visit"].as_bool()), (Some("valid"), Some(true)), "{v}");
    let (_, page) = app.get_text(&c, &format!("/agent/reports/{again}")).await;
    assert!(page.contains("data-outcome=\"return\""), "{page}");
    assert!(page.contains("复访") && page.contains("保护期不延长") && page.contains("2026-12-18 10:45"), "{page}");
    assert_code_gone(&app, &c, again).await;
}

#[tokio::test]
async fn an_expired_report_shows_when_and_no_code() {
    let app = TestApp::spawn().await;
    let c = app.signed_in(AGENT_PHONE).await;
    let id = app.filed_id(&c, "demo", "王先生", "13812345678").await;
    let code = app.store.report(ReportId(id)).unwrap().manual_code.to_string();
    // Seven days' validity: expired on the eighth day, before the sweep
    // marks it and after.
    app.clock.set(t("2026-11-26T10:00:00+08:00"));
    let c = app.signed_in(AGENT_PHONE).await;
    for swept in [false, true] {
        if swept {
            let rules = panke::domain::rules::Rules::default();
            assert_eq!(app.store.expire_due_reports("demo", &rules, app.clock.now()).unwrap(), 1);
        }
        let (_, page) = app.get_text(&c, &format!("/agent/reports/{id}")).await;
        assert!(page.contains("data-outcome=\"expired\"") && page.contains("已过期"), "{page}");
        assert!(page.contains("id=\"closed-at\"") && page.contains("2026-11-25 10:00"), "valid until: {page}");
        assert!(!page.contains("撤销报备</button>"), "nothing to cancel");
        assert_no_code(&page, &code);
        assert_code_gone(&app, &c, id).await;
    }
}

#[tokio::test]
async fn a_cancelled_report_shows_when_and_no_code() {
    let app = TestApp::spawn().await;
    let c = app.signed_in(AGENT_PHONE).await;
    let id = app.filed_id(&c, "demo", "王先生", "13812345678").await;
    let code = app.store.report(ReportId(id)).unwrap().manual_code.to_string();
    app.clock.set(t("2026-11-18T10:05:00+08:00"));
    let (_, page) = app.get_text(&c, &format!("/agent/reports/{id}")).await;
    let r = c
        .post(app.url(&format!("/agent/reports/{id}/cancel")))
        .form(&[("csrf", csrf(&page).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let (_, page) = app.get_text(&c, &format!("/agent/reports/{id}")).await;
    assert!(page.contains("data-outcome=\"cancelled\"") && page.contains("已撤销"), "{page}");
    assert!(page.contains("id=\"closed-at\"") && page.contains("2026-11-18 10:05"), "when: {page}");
    assert_no_code(&page, &code);
    assert_code_gone(&app, &c, id).await;
    // No visit, so no channel copy.
    assert_eq!(status_of(&c, &app, &format!("/agent/reports/{id}/sheet")).await, 404);
}

#[tokio::test]
async fn the_channel_copy_is_the_owning_agencys_only_with_the_full_phone_it_filed() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    let c = app.signed_in(AGENT_PHONE).await;
    let full = app.filed_id(&c, "demo", "王先生", "13812345678").await;
    let masked = app.filed_id(&c, "demo", "李女士", "139****4321").await;
    let pending = app.filed_id(&c, "demo", "赵先生", "13712345678").await;
    visit(&app, &kiosk, full, "13812345678", json!({})).await;
    visit(&app, &kiosk, masked, "13912344321", json!({ "customer_name": "李小红" })).await;
    // The project allows the full phone on the channel copy (the default),
    // and the agency filed that number.
    let (status, sheet) = app.get_text(&c, &format!("/agent/reports/{full}/sheet?size=a5")).await;
    assert_eq!(status, 200, "{sheet}");
    assert!(sheet.contains("渠道联") && sheet.contains("13812345678"), "{sheet}");
    assert!(sheet.contains("sheet-A5"), "the size asked for");
    assert!(!sheet.contains("copy=developer") && !sheet.contains("copy=agency"), "the channel copy only");
    assert!(sheet.contains(&format!("href=\"/agent/reports/{full}\"")) && !sheet.contains("/kiosk"), "{sheet}");
    assert!(sheet.contains(&format!("src=\"/agent/reports/{full}/signatures/customer\"")), "{sheet}");
    let png = c.get(app.url(&format!("/agent/reports/{full}/signatures/customer"))).send().await.unwrap();
    assert_eq!(png.status().as_u16(), 200);
    assert_eq!(png.headers()["content-type"], "image/png");
    // A masked report (隐号报备): the agency never learns the number here.
    let (_, sheet) = app.get_text(&c, &format!("/agent/reports/{masked}/sheet")).await;
    assert!(sheet.contains("139****4321") && !sheet.contains("13912344321"), "{sheet}");
    // No visit yet: no sheet.
    assert_eq!(status_of(&c, &app, &format!("/agent/reports/{pending}/sheet")).await, 404);
    // Another agency's agent reaches neither the sheet nor its signatures.
    let rival = app.signed_in(RIVAL_PHONE).await;
    for path in [format!("/agent/reports/{full}/sheet"), format!("/agent/reports/{full}/signatures/customer")] {
        assert_eq!(status_of(&rival, &app, &path).await, 404, "{path}");
    }
    // Signed out: the sign-in page.
    assert_eq!(status_of(&app.browser(), &app, &format!("/agent/reports/{full}/sheet")).await, 303);
}

#[tokio::test]
async fn a_project_that_keeps_the_channel_copy_masked_masks_it_for_the_agent_too() {
    let dep = crate::support::TestDeployment::new(&[(
        "demo",
        "[project]\nname = \"云境·演示项目\"\nchannel_copy_full_phone = false\n",
    )]);
    let app = TestApp::spawn_in(dep).await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    let c = app.signed_in(AGENT_PHONE).await;
    let id = app.filed_id(&c, "demo", "王先生", "13812345678").await;
    visit(&app, &kiosk, id, "13812345678", json!({})).await;
    let (status, sheet) = app.get_text(&c, &format!("/agent/reports/{id}/sheet")).await;
    assert_eq!(status, 200);
    assert!(sheet.contains("渠道联") && sheet.contains("138****5678") && !sheet.contains("13812345678"), "{sheet}");
}

/// The count on the tab of `code` ("" for 全部).
fn tab_count(page: &str, code: &str) -> i64 {
    let at = page.find(&format!("data-status=\"{code}\"")).unwrap_or_else(|| panic!("a tab {code}: {page}"));
    let rest = &page[at..];
    let start = rest.find("<span class=\"count\">").unwrap() + "<span class=\"count\">".len();
    rest[start..start + rest[start..].find('<').unwrap()].parse().unwrap()
}

#[tokio::test]
async fn the_list_has_status_tabs_with_counts_and_finds_a_customer_by_name_or_last_four_digits() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    let c = app.signed_in(AGENT_PHONE).await;
    let pending = app.filed_id(&c, "demo", "王先生", "13812345678").await;
    let valid = app.filed_id(&c, "demo", "李女士", "13912340002").await;
    let natural = app.filed_id(&c, "demo", "赵先生", "13712340003").await;
    let cancelled = app.filed_id(&c, "demo", "钱先生", "13612340004").await;
    let (_, page) = app.get_text(&c, "/agent/reports").await;
    let token = csrf(&page);
    let r =
        c.post(app.url(&format!("/agent/reports/{cancelled}/cancel"))).form(&[("csrf", token.as_str())]).send().await;
    assert_eq!(r.unwrap().status().as_u16(), 303);
    let v = visit(&app, &kiosk, valid, "13912340002", json!({ "customer_name": "李小红" })).await;
    assert_eq!(v["verdict"], "valid", "{v}");
    let v =
        visit(&app, &kiosk, natural, "13712340003", json!({ "customer_name": "赵大勇", "agent_present": false })).await;
    assert_eq!(v["verdict"], "invalid", "{v}");
    let link = |id: i64| format!("href=\"/agent/reports/{id}\"");

    let (status, all) = app.get_text(&c, "/agent/reports").await;
    assert_eq!(status, 200);
    for (code, n) in
        [("", 4), ("pending", 1), ("visited-valid", 1), ("visited-invalid", 1), ("expired", 0), ("cancelled", 1)]
    {
        assert_eq!(tab_count(&all, code), n, "tab «{code}»");
    }
    for label in ["全部", "待到访", "有效带看", "自然到访", "已过期", "已撤销"] {
        assert!(all.contains(label), "{label}");
    }
    assert!(!all.contains("data-status=\"voided\""), "已作废 only when there is one");
    assert!([pending, valid, natural, cancelled].iter().all(|id| all.contains(&link(*id))));

    // A tab lists its reports; the counts stay the agent's whole list.
    let (_, tab) = app.get_text(&c, "/agent/reports?status=visited-invalid").await;
    assert!(tab.contains(&link(natural)) && !tab.contains(&link(valid)) && !tab.contains(&link(pending)), "{tab}");
    assert!(tab.contains("data-status=\"visited-invalid\" aria-current=\"page\""), "{tab}");
    assert_eq!(tab_count(&tab, ""), 4);
    let (_, none) = app.get_text(&c, "/agent/reports?status=expired").await;
    assert!(none.contains("没有符合条件的报备"), "{none}");

    // The search is a POSTed form: by part of the name, by the last four
    // digits, by the whole number; within the tab it was sent from.
    let search = |q: &'static str, status: &'static str| {
        let (c, url, token) = (c.clone(), app.url("/agent/reports/search"), token.clone());
        async move {
            let r = c.post(url).form(&[("csrf", token.as_str()), ("q", q), ("status", status)]).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (status, by_name) = search("李", "").await;
    assert_eq!(status, 200);
    assert!(by_name.contains(&link(valid)) && !by_name.contains(&link(pending)), "{by_name}");
    assert!(by_name.contains("value=\"李\""), "the search stays in its field");
    let (_, by_tail) = search("0003", "").await;
    assert!(by_tail.contains(&link(natural)) && !by_tail.contains(&link(valid)), "{by_tail}");
    let (_, by_phone) = search("136 1234 0004", "").await;
    assert!(by_phone.contains(&link(cancelled)) && !by_phone.contains(&link(natural)), "{by_phone}");
    let (_, in_tab) = search("0003", "pending").await;
    assert!(!in_tab.contains(&link(natural)) && in_tab.contains("没有符合条件的报备"), "{in_tab}");
    // Never from a URL, never without the form's token.
    let (_, url) = app.get_text(&c, "/agent/reports?q=%E6%9D%8E").await;
    assert!(url.contains(&link(pending)) && url.contains(&link(valid)), "a query string searches nothing");
    let r = c.post(app.url("/agent/reports/search")).form(&[("csrf", "forged"), ("q", "李")]).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 403);
}

#[tokio::test]
async fn filing_a_customer_the_agency_already_has_a_live_report_of_links_to_it_and_files_nothing() {
    let app = TestApp::spawn().await;
    let c = app.signed_in(AGENT_PHONE).await;
    let first = app.filed_id(&c, "demo", "王先生", "13812345678").await;
    for phone in ["13812345678", "138****5678"] {
        let r = app.file(&c, "demo", "王", phone).await;
        assert_eq!(r.status().as_u16(), 409, "{phone}");
        let body = r.text().await.unwrap();
        assert!(body.contains("已有该客户的有效报备"), "{body}");
        assert!(body.contains(&format!("id=\"duplicate-link\" href=\"/agent/reports/{first}\"")), "{body}");
    }
    assert_eq!(app.store.reports_of_agency(app.agency, 10).unwrap().len(), 1, "nothing filed twice");
    // Another agency's agent is refused by the rules, never shown our report.
    let rival = app.signed_in(RIVAL_PHONE).await;
    let r = app.file(&rival, "demo", "王先生", "13812345678").await;
    assert_eq!(r.status().as_u16(), 409);
    let body = r.text().await.unwrap();
    assert!(!body.contains("duplicate-link") && !body.contains(&format!("/agent/reports/{first}")), "{body}");
    // Once the report is withdrawn the customer may be filed again.
    let (_, page) = app.get_text(&c, &format!("/agent/reports/{first}")).await;
    let r = c.post(app.url(&format!("/agent/reports/{first}/cancel"))).form(&[("csrf", csrf(&page).as_str())]);
    assert_eq!(r.send().await.unwrap().status().as_u16(), 303);
    let again = app.file(&c, "demo", "王先生", "13812345678").await;
    assert_eq!(again.status().as_u16(), 303);
    assert_ne!(location_id(&again), first);
}

#[tokio::test]
async fn an_expected_arrival_in_the_past_is_refused() {
    let app = TestApp::spawn().await;
    let c = app.signed_in(AGENT_PHONE).await;
    let r = file_expecting(&app, &c, "13812345678", "2026-11-18T09:59", "past", false).await;
    assert_eq!(r.status().as_u16(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("预计到访时间已过"), "{body}");
    assert!(body.contains("value=\"2026-11-18T09:59\""), "the form keeps what was typed");
    assert!(app.store.reports_of_agency(app.agency, 10).unwrap().is_empty());
    let yesterday = file_expecting(&app, &c, "13812345678", "2026-11-17T15:00", "yesterday", false).await;
    assert_eq!(yesterday.status().as_u16(), 422);
    // The current minute (the server's clock, 10:00) is not the past.
    let now = file_expecting(&app, &c, "13812345678", "2026-11-18T10:00", "now", false).await;
    assert_eq!(now.status().as_u16(), 303);
    // The form says how early it may be.
    let (_, form) = app.get_text(&c, "/agent/reports/new").await;
    assert!(form.contains("min=\"2026-11-18T10:00\""), "{form}");
}

#[tokio::test]
async fn an_off_hours_arrival_is_flagged_on_the_form_and_listed_for_the_back_office_today() {
    let app = TestApp::spawn().await;
    let c = app.signed_in(AGENT_PHONE).await;
    // The form tells the desk's hours (Mon–Thu 09:00–18:00 by default).
    let (_, form) = app.get_text(&c, "/agent/reports/new").await;
    assert!(form.contains("id=\"desk-hours\"") && form.contains("周一至周四 09:00–18:00"), "{form}");
    // Wednesday 19:30 is after hours: the form asks first and files nothing.
    let r = file_expecting(&app, &c, "13912345678", "2026-11-18T19:30", "evening", false).await;
    assert_eq!(r.status().as_u16(), 200);
    let body = r.text().await.unwrap();
    assert!(body.contains("id=\"off-hours-warning\"") && body.contains("不在判客岗接待时间内"), "{body}");
    assert!(body.contains("name=\"off_hours_ok\"") && body.contains("value=\"evening\""), "the same form again");
    assert!(app.store.reports_of_agency(app.agency, 10).unwrap().is_empty());
    let r = file_expecting(&app, &c, "13912345678", "2026-11-18T19:30", "evening", true).await;
    assert_eq!(r.status().as_u16(), 303);
    let evening = location_id(&r);
    let (_, page) = app.get_text(&c, &format!("/agent/reports/{evening}")).await;
    assert!(page.contains("id=\"expected-off-hours\""), "flagged on the report: {page}");
    // Within hours, tomorrow, and cancelled: the first listed, the others not.
    let afternoon = app.filed_id(&c, "demo", "李先生", "13812345678").await;
    let r = file_expecting(&app, &c, "13712345678", "2026-11-19T15:00", "tomorrow", false).await;
    let tomorrow = location_id(&r);
    let r = file_expecting(&app, &c, "13612345678", "2026-11-18T16:00", "withdrawn", false).await;
    let withdrawn = location_id(&r);
    let (_, page) = app.get_text(&c, &format!("/agent/reports/{withdrawn}")).await;
    let r = c.post(app.url(&format!("/agent/reports/{withdrawn}/cancel"))).form(&[("csrf", csrf(&page).as_str())]);
    assert_eq!(r.send().await.unwrap().status().as_u16(), 303);

    staff(&app, "demo", "boss-demo", Role::Manager, "9999");
    let boss = app.browser();
    staff_sign_in(&boss, &app.base, "boss-demo", "a long password").await;
    let (status, list) = app.get_text(&boss, "/staff/reports").await;
    assert_eq!(status, 200);
    assert!(list.contains("id=\"expected-today\"") && list.contains("今日预计到访"), "{list}");
    assert!(list.contains(&format!("<tr data-expected=\"{evening}\" data-off-hours=\"1\">")), "{list}");
    assert!(list.contains(&format!("<tr data-expected=\"{afternoon}\">")), "{list}");
    assert!(
        !list.contains(&format!("data-expected=\"{tomorrow}\""))
            && !list.contains(&format!("data-expected=\"{withdrawn}\""))
    );
    assert!(list.contains("非接待时间") && list.contains("19:30") && list.contains("15:00"), "{list}");
    assert!(list.contains("139****5678") && !list.contains("13912345678"), "phones masked");
    assert_eq!(list.matches("<tr data-status").count(), 4, "the list below is unchanged");
    // The next morning it is tomorrow's turn.
    app.clock.set(t("2026-11-19T08:00:00+08:00"));
    let boss = app.browser();
    staff_sign_in(&boss, &app.base, "boss-demo", "a long password").await;
    let (_, list) = app.get_text(&boss, "/staff/reports").await;
    assert!(list.contains(&format!("<tr data-expected=\"{tomorrow}\">")), "{list}");
    assert!(!list.contains(&format!("data-expected=\"{evening}\"")), "{list}");
}
