//! The agent's pages on a phone inside WeChat (390×844, WeChat's user
//! agent): the demo agent signs in, files a report and opens it; the page
//! shows the pass card (带看凭证) as an image to long-press with the hint
//! 长按图片保存到相册, since WeChat ignores `<a download>`; outside WeChat the
//! same page offers the download link instead. Every agent page is
//! photographed (target/screenshots/agent-*-390.png), and the card is
//! kept as target/screenshots/agent-pass-card.png.

use super::webdriver::Driver;
use super::{DESKTOP, PHONE, blank_video, browser_or_skip, demo_backoffice, viewport, wait_for};
use serde_json::json;

/// WeChat 8.0.47 on Android (XWEB), as the November browser walk used it.
const WECHAT_UA: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/UQ1A.240205.004; wv) AppleWebKit/537.36 \
    (KHTML, like Gecko) Version/4.0 Chrome/122.0.6261.120 Mobile Safari/537.36 XWEB/1220099 MMWEBSDK/20240404 \
    MMWEBID/1234 MicroMessenger/8.0.47.2560(0x28002F35) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64";
const CHROME_UA: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) \
    Chrome/122.0.6261.120 Mobile Safari/537.36";
const DEMO_AGENT_PHONE: &str = "13800000001";
/// A customer of no demo report and no demo history (their phones never
/// start 1381234).
const CUSTOMER: (&str, &str) = ("赵女士", "13812340099");

#[tokio::test]
async fn in_wechat_the_report_page_shows_the_pass_card_to_long_press() {
    let Some((browser, driver)) = browser_or_skip() else { return };
    let b = demo_backoffice().await;
    let dir = tempfile::tempdir().unwrap();
    let d = Driver::start(&browser, &driver, &blank_video(dir.path()), DESKTOP).await;
    d.set_user_agent(WECHAT_UA).await;
    viewport(&d, PHONE).await;

    d.goto(&b.url("/agent/login")).await;
    let ua = d.script("return navigator.userAgent", json!([])).await;
    assert!(ua.as_str().unwrap_or_default().contains("MicroMessenger"), "the browser is WeChat's: {ua}");
    d.find("input[name='phone']").await;
    d.screenshot("agent-login-390").await;
    d.type_into("input[name='phone']", DEMO_AGENT_PHONE).await;
    d.type_into("input[name='password']", panke::demo::DEMO_PASSWORD).await;
    d.click("form[action='/agent/login'] button[type='submit']").await;
    d.find("main").await;

    d.goto(&b.url("/agent/reports")).await;
    d.find("main h1").await;
    d.screenshot("agent-reports-390").await;

    // File a report on the form.
    d.goto(&b.url("/agent/reports/new")).await;
    d.find("select[name='project']").await;
    d.screenshot("agent-new-report-390").await;
    d.click("select[name='project'] option[value='demo']").await;
    d.type_into("input[name='customer_name']", CUSTOMER.0).await;
    d.type_into("input[name='customer_phone']", CUSTOMER.1).await;
    d.click("form[action='/agent/reports'] button[type='submit']").await;
    let id = wait_for(
        &d,
        "const m = location.pathname.match(/^\\/agent\\/reports\\/(\\d+)$/); return m ? Number(m[1]) : null;",
        "the report's page after filing",
    )
    .await;
    let id = id.as_i64().unwrap();

    // The report page: the hint, and the card as an image that loaded.
    d.find("#pass-card").await;
    assert!(d.text("#pass-hint").await.contains("长按图片保存到相册"), "the long-press hint");
    let card = wait_for(
        &d,
        "const i = document.getElementById('pass-card'); \
         return i && i.complete && i.naturalWidth > 0 ? [i.naturalWidth, i.naturalHeight] : null;",
        "the pass card to load",
    )
    .await;
    assert_eq!(card, json!([panke::pass_card::WIDTH, panke::pass_card::HEIGHT]), "the card image");
    let alt = d.script("return document.getElementById('pass-card').alt", json!([])).await;
    for text in ["云境·演示项目", "赵女士 138****0099", "张三", "链家-演示店"] {
        assert!(alt.as_str().unwrap_or_default().contains(text), "{text} in the card's text: {alt}");
    }
    let link = d.script("return document.getElementById('pass-save') !== null", json!([])).await;
    assert_eq!(link, json!(false), "no download link in WeChat");
    d.screenshot("agent-report-390").await;
    d.script("document.getElementById('pass-card').scrollIntoView({ block: 'center' })", json!([])).await;
    d.screenshot("agent-report-pass-390").await;

    // The card itself, as the agent's album keeps it.
    let png = card_png(&b.url(&format!("/agent/reports/{id}/pass.png")), &d).await;
    assert!(png.starts_with(b"\x89PNG"), "the card is a PNG");
    let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    let _ = std::fs::create_dir_all(&shots);
    let _ = std::fs::write(shots.join("agent-pass-card.png"), png);

    d.goto(&b.url("/agent/disputes")).await;
    d.find("main h1").await;
    d.screenshot("agent-disputes-390").await;
    d.goto(&b.url("/agent/deals")).await;
    d.find("main h1").await;
    d.screenshot("agent-deals-390").await;
    d.goto(&b.url("/agent/webhooks")).await;
    d.find("main h1").await;
    d.screenshot("agent-webhooks-390").await;
    d.goto(&b.url("/agent/account")).await;
    d.find("main h1").await;
    d.screenshot("agent-account-390").await;

    // Outside WeChat the same page offers the download instead.
    d.set_user_agent(CHROME_UA).await;
    d.goto(&b.url(&format!("/agent/reports/{id}"))).await;
    d.find("#pass-save").await;
    let download = d.script("return document.getElementById('pass-save').getAttribute('download')", json!([])).await;
    assert_eq!(download, json!(format!("panke-pass-{id}.png")));
    let card = d.script("return document.getElementById('pass-card') !== null", json!([])).await;
    assert_eq!(card, json!(false), "no card image outside WeChat");
    d.screenshot("agent-report-chrome-390").await;
}

/// The card as the signed-in browser gets it (its session cookie goes
/// along): fetched by the page, handed back as base64.
async fn card_png(url: &str, d: &Driver) -> Vec<u8> {
    let b64 = d
        .script(
            "const x = new XMLHttpRequest(); \
             x.open('GET', arguments[0], false); \
             x.overrideMimeType('text/plain; charset=x-user-defined'); \
             x.send(); \
             if (x.status !== 200) return 'HTTP ' + x.status; \
             let bytes = ''; \
             for (let i = 0; i < x.responseText.length; i++) bytes += String.fromCharCode(x.responseText.charCodeAt(i) & 0xff); \
             return btoa(bytes);",
            json!([url]),
        )
        .await;
    let b64 = b64.as_str().unwrap_or_default();
    data_encoding::BASE64
        .decode(b64.as_bytes())
        .unwrap_or_else(|e| panic!("the card did not come back ({e}): {b64:.80}"))
}
