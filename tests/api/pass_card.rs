//! The pass (带看凭证) over real HTTP: the card image carries a code that
//! decodes to a verifying token and exactly the texts the report page was
//! given; WeChat's browser gets the card to long-press, others a download
//! link; another agency's report is not found, a used, cancelled or expired
//! one has no pass.

use super::helpers::{AGENT_PHONE, RIVAL_PHONE, TestApp, csrf, t};
use super::kiosk::Kiosk;
use panke::domain::token::ReportId;
use panke::pass_card::PassCard;
use serde_json::json;

const WECHAT_UA: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/UQ1A.240205.004; wv) AppleWebKit/537.36 \
    (KHTML, like Gecko) Version/4.0 Chrome/122.0.6261.120 Mobile Safari/537.36 XWEB/1220099 MMWEBSDK/20240404 \
    MMWEBID/1234 MicroMessenger/8.0.47.2560(0x28002F35) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64";
const CHROME_UA: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) \
    Chrome/122.0.6261.120 Mobile Safari/537.36";

/// Every QR code rqrr reads in the image (another decoder than the one
/// that drew it).
fn decoded(png: &[u8]) -> Vec<String> {
    let img = image::load_from_memory(png).unwrap().to_luma8();
    let (w, h) = img.dimensions();
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w as usize, h as usize, |x, y| {
        img.get_pixel(x as u32, y as u32)[0]
    });
    prepared.detect_grids().iter().filter_map(|g| g.decode().ok()).map(|(_, text)| text).collect()
}

async fn page(app: &TestApp, c: &reqwest::Client, id: i64, ua: &str) -> (u16, String) {
    let r = c.get(app.url(&format!("/agent/reports/{id}"))).header("user-agent", ua).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn pass(app: &TestApp, c: &reqwest::Client, id: i64) -> reqwest::Response {
    c.get(app.url(&format!("/agent/reports/{id}/pass.png"))).header("user-agent", WECHAT_UA).send().await.unwrap()
}

#[tokio::test]
async fn the_pass_card_carries_a_verifying_token_and_the_texts_the_page_shows() {
    let app = TestApp::spawn().await;
    let c = app.signed_in(AGENT_PHONE).await;
    let id = app.filed_id(&c, "demo", "王先生", "138****5678").await;

    let r = pass(&app, &c, id).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.headers()["content-disposition"], format!("inline; filename=\"panke-pass-{id}.png\"").as_str());
    assert_eq!(r.headers()["cache-control"], "private, no-store");
    let png = r.bytes().await.unwrap().to_vec();
    let img = image::load_from_memory(&png).unwrap();
    assert_eq!((img.width(), img.height()), (panke::pass_card::WIDTH, panke::pass_card::HEIGHT));

    // The code: one, and its token verifies as this report's.
    let tokens = decoded(&png);
    assert_eq!(tokens.len(), 1, "one readable code on the card: {tokens:?}");
    let token = tokens[0].clone();
    assert_eq!(app.key_ring.verify(&token).unwrap().report_id, ReportId(id));
    assert!(!token.contains("138") && !token.contains("5678"), "no personal data in the code");

    // The texts: the card served is, byte for byte, the card drawn from
    // these texts (drawing is deterministic).
    let report = app.store.report(ReportId(id)).unwrap();
    let expected = PassCard {
        project: "云境·演示项目".to_owned(),
        customer_masked: "王先生 138****5678".to_owned(),
        agent: "张三".to_owned(),
        agency: "链家-天河店".to_owned(),
        manual_code: report.manual_code.to_string(),
        arrive_not_before: "2026-11-18 10:30".to_owned(),
        valid_until: "2026-11-25 10:00".to_owned(),
        token,
    };
    assert_eq!(expected.render().unwrap(), png, "the card says exactly these texts");

    // The same struct is the report page's: in WeChat the card to
    // long-press, its texts as the image's alternative, no download link.
    let (status, wechat) = page(&app, &c, id, WECHAT_UA).await;
    assert_eq!(status, 200);
    assert!(wechat.contains("长按图片保存到相册"), "the long-press hint");
    assert!(wechat.contains(&format!("id=\"pass-card\" src=\"/agent/reports/{id}/pass.png\"")), "the card");
    assert!(wechat.contains(&format!("alt=\"{}\"", expected.summary())), "the card's texts on the page");
    assert!(!wechat.contains("id=\"pass-save\"") && !wechat.contains("download=\"panke-pass"));

    // Elsewhere, a link that downloads it.
    let (_, chrome) = page(&app, &c, id, CHROME_UA).await;
    assert!(chrome.contains(&format!(
        "id=\"pass-save\" href=\"/agent/reports/{id}/pass.png\" download=\"panke-pass-{id}.png\">保存凭证图片</a>"
    )));
    assert!(!chrome.contains("长按图片保存") && !chrome.contains("id=\"pass-card\""));
}

#[tokio::test]
async fn another_agencys_report_has_no_pass_for_it() {
    let app = TestApp::spawn().await;
    let me = app.signed_in(AGENT_PHONE).await;
    let rival = app.signed_in(RIVAL_PHONE).await;
    let id = app.filed_id(&me, "demo", "王", "13812345678").await;
    assert_eq!(pass(&app, &rival, id).await.status().as_u16(), 404);
    assert_eq!(pass(&app, &rival, id + 100).await.status().as_u16(), 404);
    // Signed out: to the sign-in page, never an image.
    let r = pass(&app, &app.browser(), id).await;
    assert_eq!(r.status().as_u16(), 303);
}

#[tokio::test]
async fn a_cancelled_report_has_no_card_on_its_page_and_its_pass_is_gone() {
    let app = TestApp::spawn().await;
    let c = app.signed_in(AGENT_PHONE).await;
    let id = app.filed_id(&c, "demo", "王", "13812345678").await;
    assert_eq!(pass(&app, &c, id).await.status().as_u16(), 200);
    let (_, shown) = page(&app, &c, id, WECHAT_UA).await;
    let r =
        c.post(app.url(&format!("/agent/reports/{id}/cancel"))).form(&[("csrf", csrf(&shown))]).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let r = pass(&app, &c, id).await;
    assert_eq!(r.status().as_u16(), 410);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    for ua in [WECHAT_UA, CHROME_UA] {
        let (_, body) = page(&app, &c, id, ua).await;
        assert!(!body.contains("pass.png") && !body.contains("长按图片保存"), "no pass on a cancelled report");
    }
}

#[tokio::test]
async fn a_used_or_expired_report_has_no_pass() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    let c = app.signed_in(AGENT_PHONE).await;
    let used = app.filed_id(&c, "demo", "王先生", "13812345678").await;
    let later = app.filed_id(&c, "demo", "李女士", "13912345678").await;

    // The visit is recorded at the kiosk: the pass is used.
    app.clock.set(t("2026-11-18T10:45:00+08:00"));
    let r = app.store.report(ReportId(used)).unwrap();
    let token = app.key_ring.sign_with(r.key_id, r.id, r.filed_at.to_utc()).unwrap();
    let (status, scan) = kiosk.scan(&token).await;
    assert_eq!(status, 200, "{scan}");
    let (status, v) = kiosk.check_in(Some(&token), "13812345678", json!({})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(pass(&app, &c, used).await.status().as_u16(), 410);
    let (_, page_used) = page(&app, &c, used, WECHAT_UA).await;
    assert!(!page_used.contains("pass.png"));
    assert_eq!(pass(&app, &c, later).await.status().as_u16(), 200, "the other report is still pending");

    // A week and a day later the other report is past 有效至.
    // (The agent's session has ended too: a week.)
    app.clock.set(t("2026-11-26T10:00:00+08:00"));
    let c = app.signed_in(AGENT_PHONE).await;
    assert_eq!(pass(&app, &c, later).await.status().as_u16(), 410);
    let (_, page_later) = page(&app, &c, later, CHROME_UA).await;
    assert!(!page_later.contains("pass.png"));
}
