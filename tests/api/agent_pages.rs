//! The agent's pages, every path over real HTTP.

use super::helpers::{AGENT_PHONE, PASSWORD, RIVAL_PHONE, TestApp, csrf, decode_qr, location_id, t};
use panke::domain::token::ReportId;

#[tokio::test]
async fn health_and_static_assets_are_served_by_panke() {
    let app = TestApp::spawn().await;
    let c = app.browser();
    let (status, body) = app.get_text(&c, "/health").await;
    assert_eq!(status, 200);
    assert!(body.contains("\"ok\""));
    let css = c.get(app.url("/static/app.css")).send().await.unwrap();
    assert_eq!(css.status().as_u16(), 200);
    assert!(css.headers()["content-type"].to_str().unwrap().starts_with("text/css"));
    assert_eq!(app.get_text(&c, "/static/nope.js").await.0, 404);
}

#[tokio::test]
async fn signing_in_sets_an_httponly_samesite_session_cookie() {
    let app = TestApp::spawn().await;
    let c = app.browser();
    let (_, page) = app.get_text(&c, "/agent/login").await;
    assert!(page.contains("经纪人登录"));
    let r = c
        .post(app.url("/agent/login"))
        .form(&[("csrf", csrf(&page).as_str()), ("phone", "138 0000 0001"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("pk_agent="))
        .unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    let (status, list) = app.get_text(&c, "/agent/reports").await;
    assert_eq!(status, 200);
    assert!(list.contains("链家-天河店") && list.contains("张三"));
}

#[tokio::test]
async fn a_wrong_password_is_refused_and_repeated_failures_are_rate_limited() {
    let app = TestApp::spawn().await;
    let c = app.browser();
    let (_, page) = app.get_text(&c, "/agent/login").await;
    let token = csrf(&page);
    // The attempts allowed per account and address (see web/limiter.rs).
    for _ in 0..panke::web::limiter::PER_ACCOUNT.0 {
        let r = c
            .post(app.url("/agent/login"))
            .form(&[("csrf", token.as_str()), ("phone", AGENT_PHONE), ("password", "wrong password")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 401);
        assert!(r.text().await.unwrap().contains("手机号或密码不正确"));
    }
    let r = c
        .post(app.url("/agent/login"))
        .form(&[("csrf", token.as_str()), ("phone", AGENT_PHONE), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 429, "even the right password waits");
    assert!(r.text().await.unwrap().contains("分钟后再试"), "says how long");
    // Audited masked, and summarised: one row for the source's minute,
    // not one per failure.
    let audit = app.store.audit_entries(50).unwrap();
    let rows: Vec<_> = audit.iter().filter(|a| a.action == "agent.sign_in_failed").collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].detail.starts_with("138****0001") && !rows[0].detail.contains("13800000001"), "{rows:?}");
}

#[tokio::test]
async fn a_bad_phone_format_on_sign_in_gets_a_clear_message() {
    let app = TestApp::spawn().await;
    let c = app.browser();
    let (_, page) = app.get_text(&c, "/agent/login").await;
    let r = c
        .post(app.url("/agent/login"))
        .form(&[("csrf", csrf(&page).as_str()), ("phone", "12345"), ("password", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert!(r.text().await.unwrap().contains("11 位大陆手机号"));
}

#[tokio::test]
async fn forms_without_the_right_csrf_token_are_rejected() {
    let app = TestApp::spawn().await;
    let c = app.browser();
    app.get_text(&c, "/agent/login").await;
    let r = c
        .post(app.url("/agent/login"))
        .form(&[("csrf", "forged"), ("phone", AGENT_PHONE), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let c = app.signed_in(AGENT_PHONE).await;
    let r = c
        .post(app.url("/agent/reports"))
        .form(&[
            ("csrf", "forged"),
            ("idem", "x"),
            ("project", "demo"),
            ("customer_name", "王"),
            ("customer_phone", "13912345678"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert!(app.store.reports_of_agency(app.agency, 10).unwrap().is_empty());
}

#[tokio::test]
async fn filing_a_report_shows_a_qr_code_that_decodes_to_a_verifying_token() {
    let app = TestApp::spawn().await;
    let c = app.signed_in(AGENT_PHONE).await;
    let id = app.filed_id(&c, "demo", "王先生", "138****5678").await;
    let (status, page) = app.get_text(&c, &format!("/agent/reports/{id}")).await;
    assert_eq!(status, 200);
    let report = app.store.report(ReportId(id)).unwrap();
    assert!(page.contains(&report.manual_code.to_string()), "manual code shown");
    assert!(page.contains("到访不早于") && page.contains("11-18 10:30"), "filed 10:00 + 30 min, local time");
    assert!(page.contains("有效至") && page.contains("2026-11-25 10:00"));
    assert!(page.contains("138****5678") && page.contains("待到访"));
    assert_eq!(report.expected_arrival.as_deref(), Some("2026-11-18T15:00:00+08:00"));
    let png = c.get(app.url(&format!("/agent/reports/{id}/qr.png"))).send().await.unwrap();
    assert_eq!(png.headers()["content-type"], "image/png");
    let token = decode_qr(&png.bytes().await.unwrap());
    let claims = app.key_ring.verify(&token).unwrap();
    assert_eq!(claims.report_id, ReportId(id));
    assert!(!token.contains("138") && !token.contains("5678"), "no personal data in the code");
    let svg = c.get(app.url(&format!("/agent/reports/{id}/qr.svg"))).send().await.unwrap();
    assert!(svg.text().await.unwrap().contains("<svg"));
}

#[tokio::test]
async fn refusals_at_filing_each_say_why_without_naming_the_other_agency() {
    let app = TestApp::spawn().await;
    let me = app.signed_in(AGENT_PHONE).await;
    let rival = app.signed_in(RIVAL_PHONE).await;
    let refused = |r: reqwest::Response, status: u16, says: &'static str| async move {
        assert_eq!(r.status().as_u16(), status);
        let body = r.text().await.unwrap();
        assert!(body.contains(says), "expected «{says}» in the page");
        assert!(!body.contains("中原"), "the other agency is never named");
        body
    };
    refused(app.file(&me, "demo", "王先生", "1381234567").await, 422, "11 位大陆手机号").await;
    refused(app.file(&me, "demo", "", "13812345678").await, 422, "客户姓名不能为空").await;
    refused(app.file(&me, "strict", "王先生", "138****5678").await, 422, "不接受隐号报备").await;
    refused(app.file(&me, "later", "王先生", "13812345678").await, 409, "尚未开放报备").await;
    // Another agency reported the customer first (a masked report covers the full number).
    app.filed_id(&rival, "demo", "王", "139****0001").await;
    let body = refused(app.file(&me, "demo", "王先生", "13912340001").await, 409, "其他渠道").await;
    assert!(body.contains("value=\"13912340001\""), "the form keeps what was typed");
    // The agency's own monthly repeat limit (5). A live report is opened,
    // not filed again, so each is withdrawn first: withdrawn ones count.
    for _ in 0..5 {
        let id = app.filed_id(&me, "demo", "陈", "13700000005").await;
        let (_, page) = app.get_text(&me, &format!("/agent/reports/{id}")).await;
        let r = me.post(app.url(&format!("/agent/reports/{id}/cancel"))).form(&[("csrf", csrf(&page).as_str())]);
        assert_eq!(r.send().await.unwrap().status().as_u16(), 303);
    }
    refused(app.file(&me, "demo", "陈", "13700000005").await, 409, "报备次数已达上限").await;
    // A customer who visited within the history window (老客户).
    let job = panke::store::history::HistoryImport {
        project_id: "demo",
        tz: chrono_tz::Asia::Shanghai,
        default_source: "test",
        actor: "test",
    };
    let csv = "time,name,phone\n2026-11-10 15:00,周,13600000006\n";
    let mut store = panke::store::Store::open(app.store.path(), &[0; 32]).unwrap();
    store.import_history(&job, csv.as_bytes(), t("2026-11-18T09:00:00+08:00"), |_| {}).unwrap();
    refused(app.file(&me, "demo", "周", "13600000006").await, 409, "老客户").await;
}

#[tokio::test]
async fn a_double_submitted_form_files_one_report() {
    let app = TestApp::spawn().await;
    let c = app.signed_in(AGENT_PHONE).await;
    let a = app.file_with(&c, "demo", "王", "13812345678", "same-form").await;
    let b = app.file_with(&c, "demo", "王", "13812345678", "same-form").await;
    assert_eq!(location_id(&a), location_id(&b));
    assert_eq!(app.store.reports_of_agency(app.agency, 10).unwrap().len(), 1);
}

#[tokio::test]
async fn another_agencys_agent_cannot_read_or_cancel_a_report() {
    let app = TestApp::spawn().await;
    let me = app.signed_in(AGENT_PHONE).await;
    let rival = app.signed_in(RIVAL_PHONE).await;
    let id = app.filed_id(&me, "demo", "王", "13812345678").await;
    for path in
        [format!("/agent/reports/{id}"), format!("/agent/reports/{id}/qr.png"), format!("/agent/reports/{id}/qr.svg")]
    {
        assert_eq!(app.get_text(&rival, &path).await.0, 404, "{path}");
    }
    let (_, list) = app.get_text(&rival, "/agent/reports").await;
    let r = rival
        .post(app.url(&format!("/agent/reports/{id}/cancel")))
        .form(&[("csrf", csrf(&list).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    assert_eq!(app.store.report(ReportId(id)).unwrap().status, panke::store::reports::ReportStatus::Pending);
}

#[tokio::test]
async fn an_agent_cancels_a_pending_report_once() {
    let app = TestApp::spawn().await;
    let c = app.signed_in(AGENT_PHONE).await;
    let id = app.filed_id(&c, "demo", "王", "13812345678").await;
    let (_, page) = app.get_text(&c, &format!("/agent/reports/{id}")).await;
    let token = csrf(&page);
    let r =
        c.post(app.url(&format!("/agent/reports/{id}/cancel"))).form(&[("csrf", token.as_str())]).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let (_, page) = app.get_text(&c, &format!("/agent/reports/{id}")).await;
    assert!(page.contains("已撤销") && !page.contains("撤销报备</button>"));
    let again =
        c.post(app.url(&format!("/agent/reports/{id}/cancel"))).form(&[("csrf", token.as_str())]).send().await.unwrap();
    assert_eq!(again.status().as_u16(), 409);
}

#[tokio::test]
async fn an_expired_session_sends_the_agent_back_to_sign_in() {
    let app = TestApp::spawn().await;
    let c = app.signed_in(AGENT_PHONE).await;
    assert_eq!(app.get_text(&c, "/agent/reports").await.0, 200);
    app.clock.advance(chrono::Duration::days(8));
    let r = c.get(app.url("/agent/reports")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(r.headers()["location"], "/agent/login");
}

#[tokio::test]
async fn signing_out_ends_the_session() {
    let app = TestApp::spawn().await;
    let c = app.signed_in(AGENT_PHONE).await;
    let (_, page) = app.get_text(&c, "/agent/reports").await;
    let r = c.post(app.url("/agent/logout")).form(&[("csrf", csrf(&page).as_str())]).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(c.get(app.url("/agent/reports")).send().await.unwrap().status().as_u16(), 303);
}

#[tokio::test]
async fn an_invitation_link_sets_the_password_once() {
    let app = TestApp::spawn().await;
    let now = t("2026-11-18T09:00:00+08:00");
    let (_, secret) = app
        .store
        .create_agent(app.agency, "王五", &panke::domain::phone::Phone::parse("13700000009").unwrap(), now)
        .unwrap();
    let c = app.browser();
    let (status, page) = app.get_text(&c, &format!("/invite/{secret}")).await;
    assert_eq!(status, 200);
    let short = c
        .post(app.url(&format!("/invite/{secret}")))
        .form(&[("csrf", csrf(&page).as_str()), ("password", "short")])
        .send()
        .await
        .unwrap();
    assert_eq!(short.status().as_u16(), 422);
    let ok = c
        .post(app.url(&format!("/invite/{secret}")))
        .form(&[("csrf", csrf(&page).as_str()), ("password", "a long password")])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status().as_u16(), 303);
    assert_eq!(app.get_text(&c, "/agent/reports").await.0, 200, "signed in");
    let again = c
        .post(app.url(&format!("/invite/{secret}")))
        .form(&[("csrf", csrf(&page).as_str()), ("password", "another password")])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 422);
}

#[tokio::test]
async fn pages_switch_to_english_and_carry_security_headers() {
    let app = TestApp::spawn().await;
    let c = app.browser();
    let r = c.get(app.url("/lang/en")).header("referer", format!("{}/agent/login", app.base)).send().await.unwrap();
    assert_eq!(r.headers()["location"], "/agent/login");
    let r = c.get(app.url("/agent/login")).send().await.unwrap();
    assert!(r.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'self'"));
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert!(r.text().await.unwrap().contains("Agent sign-in"));
    let evil =
        c.get(app.url("/lang/zh")).header("referer", "https://evil.example//evil.example/x").send().await.unwrap();
    assert_eq!(evil.headers()["location"], "/", "no open redirect");
}

#[tokio::test]
async fn an_oversized_form_is_refused() {
    let app = TestApp::spawn().await;
    let c = app.signed_in(AGENT_PHONE).await;
    let r = c
        .post(app.url("/agent/reports"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![b'a'; 200_000])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
}
