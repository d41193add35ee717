//! The agent's account (issue 15, item 6): change the password (the
//! current one first; other sessions end, this one stays), sign out
//! everywhere, and a forgotten password reset by the manager's new
//! invitation.

use super::helpers::{AGENT_PHONE, TestApp, csrf};

const PASSWORD: &str = super::helpers::PASSWORD;

async fn account_csrf(app: &TestApp, c: &reqwest::Client) -> String {
    let (status, page) = app.get_text(c, "/agent/account").await;
    assert_eq!(status, 200, "{page}");
    csrf(&page)
}

async fn sign_in_with(app: &TestApp, phone: &str, password: &str) -> (u16, reqwest::Client) {
    let c = app.browser();
    let (_, page) = app.get_text(&c, "/agent/login").await;
    let r = c
        .post(app.url("/agent/login"))
        .form(&[("csrf", csrf(&page).as_str()), ("phone", phone), ("password", password)])
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), c)
}

#[tokio::test]
async fn a_new_password_needs_the_current_one_and_ends_the_other_sessions() {
    let app = TestApp::spawn().await;
    let phone = app.signed_in(AGENT_PHONE).await;
    let laptop = app.signed_in(AGENT_PHONE).await;
    let token = account_csrf(&app, &phone).await;

    let wrong = phone
        .post(app.url("/agent/account"))
        .form(&[("csrf", token.as_str()), ("current", "not-it-at-all"), ("new", "newpass123"), ("again", "newpass123")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 422);
    assert!(wrong.text().await.unwrap().contains("当前密码不正确"));

    let differ = phone
        .post(app.url("/agent/account"))
        .form(&[("csrf", token.as_str()), ("current", PASSWORD), ("new", "newpass123"), ("again", "newpass124")])
        .send()
        .await
        .unwrap();
    assert_eq!(differ.status().as_u16(), 422);

    let short = phone
        .post(app.url("/agent/account"))
        .form(&[("csrf", token.as_str()), ("current", PASSWORD), ("new", "short"), ("again", "short")])
        .send()
        .await
        .unwrap();
    assert_eq!(short.status().as_u16(), 422, "the password policy holds");

    let done = phone
        .post(app.url("/agent/account"))
        .form(&[("csrf", token.as_str()), ("current", PASSWORD), ("new", "newpass123"), ("again", "newpass123")])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status().as_u16(), 200);
    assert!(done.text().await.unwrap().contains("password-changed"));
    // This session stays; the laptop's ended.
    assert_eq!(app.get_text(&phone, "/agent/reports").await.0, 200);
    let r = laptop.get(app.url("/agent/reports")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303, "the other session ended");
    assert_eq!(sign_in_with(&app, AGENT_PHONE, PASSWORD).await.0, 401, "the old password no longer works");
    assert_eq!(sign_in_with(&app, AGENT_PHONE, "newpass123").await.0, 303);
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_session() {
    let app = TestApp::spawn().await;
    let phone = app.signed_in(AGENT_PHONE).await;
    let laptop = app.signed_in(AGENT_PHONE).await;
    let token = account_csrf(&app, &phone).await;
    let forged =
        phone.post(app.url("/agent/account/sign-out-everywhere")).form(&[("csrf", "forged")]).send().await.unwrap();
    assert_eq!(forged.status().as_u16(), 403, "CSRF checked");
    let r = phone
        .post(app.url("/agent/account/sign-out-everywhere"))
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    for c in [&phone, &laptop] {
        assert_eq!(c.get(app.url("/agent/reports")).send().await.unwrap().status().as_u16(), 303);
    }
}

#[tokio::test]
async fn the_sign_in_page_says_how_to_get_a_forgotten_password_reset() {
    let app = TestApp::spawn().await;
    let (_, page) = app.get_text(&app.browser(), "/agent/login").await;
    assert!(page.contains("忘记密码") && page.contains("重新发送邀请"));
}
