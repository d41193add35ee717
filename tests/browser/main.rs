//! The kiosk in a real browser (Debian's Chromium, headless, through
//! chromedriver): pairing, the QR shown to the tablet's camera (Chromium's
//! fake camera playing a video of the code), the keypad, the verdict before
//! signing, the questions, three signatures drawn with pen pointer events,
//! the verdict — then the ledger row and its verification. A second run
//! uses the scanner field, a third a forged code. Then the desk flow: a
//! report filed too late (a natural visit before anyone signs: only the
//! customer signs), back and cancel at three steps, the idle countdown, and
//! a scanner burst typed while the focus is elsewhere, and the rotation
//! board (轮排) with a consultant marked away. CI installs chromium
//! and chromium-driver; elsewhere the test says so and skips when they are
//! missing.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;
#[path = "../support/mod.rs"]
mod support;
mod webdriver;

use helpers::{AGENT_PHONE, TestApp, t};
use panke::domain::rotation::Presence;
use panke::domain::token::ReportId;
use panke::store::people::{NewStaff, Role};
use serde_json::json;
use std::time::{Duration, Instant};
use webdriver::Driver;

/// Enter, as WebDriver key actions name it.
const ENTER: char = '\u{E007}';

fn browser_or_skip() -> Option<(String, String)> {
    match webdriver::chromium() {
        Some(found) => Some(found),
        None if std::env::var_os("CI").is_some() => {
            panic!("CI must install chromium and chromium-driver (see .ci/run)")
        }
        None => {
            eprintln!("skipping: chromium / chromedriver are not installed (apt-get install chromium chromium-driver)");
            None
        }
    }
}

/// The fake camera's frame size.
const VIDEO: (u32, u32) = (640, 480);

/// A Y4M video (what Chromium's fake camera plays) of 20 frames with this
/// luma plane (grey chroma), written to `path`.
fn y4m(y_plane: &[u8], path: std::path::PathBuf) -> std::path::PathBuf {
    let (w, h) = VIDEO;
    let mut video = format!("YUV4MPEG2 W{w} H{h} F10:1 Ip A1:1 C420jpeg\n").into_bytes();
    for _ in 0..20 {
        video.extend_from_slice(b"FRAME\n");
        video.extend_from_slice(y_plane);
        video.extend(std::iter::repeat_n(128u8, (w * h / 2) as usize));
    }
    std::fs::write(&path, video).unwrap();
    path
}

/// A video showing the QR code of `text` on white, 640×480.
fn qr_video(text: &str, dir: &std::path::Path) -> std::path::PathBuf {
    let png = panke::qr::png(text).unwrap();
    let qr = image::load_from_memory(&png).unwrap().to_luma8();
    let (w, h) = VIDEO;
    let (ox, oy) = ((w - qr.width().min(w)) / 2, (h - qr.height().min(h)) / 2);
    let mut y_plane = vec![255u8; (w * h) as usize];
    for (x, y, p) in qr.enumerate_pixels() {
        if x + ox < w && y + oy < h {
            y_plane[((y + oy) * w + x + ox) as usize] = p[0];
        }
    }
    y4m(&y_plane, dir.join("qr.y4m"))
}

/// A camera that sees no code at all (a white wall): codes come from the
/// scanner field or the scanner's key bursts only.
fn blank_video(dir: &std::path::Path) -> std::path::PathBuf {
    let (w, h) = VIDEO;
    let white: Vec<u8> = std::iter::repeat_n(255u8, (w * h) as usize).collect();
    y4m(&white, dir.join("blank.y4m"))
}

struct Setup {
    app: TestApp,
    pairing: String,
    desk: i64,
    token: String,
    report: i64,
}

async fn setup() -> Setup {
    let app = TestApp::spawn().await;
    let now = t("2026-11-18T08:00:00+08:00");
    let (_, pairing) = app.store.create_kiosk("demo", "前台1", now).unwrap();
    let staff = |login, role, pin| NewStaff {
        project_id: Some("demo"),
        login,
        name: login,
        role,
        password: None,
        pin: Some(pin),
    };
    let desk = app.store.create_staff(&staff("赵判客", Role::Desk, "1234"), now).unwrap();
    app.store.create_staff(&staff("钱顾问", Role::Sales, "5678"), now).unwrap();
    let agent = app.signed_in(AGENT_PHONE).await;
    let report = app.filed_id(&agent, "demo", "王先生", "138****5678").await;
    let r = app.store.report(ReportId(report)).unwrap();
    let token = app.key_ring.sign_with(r.key_id, r.id, r.filed_at.to_utc()).unwrap();
    app.clock.set(t("2026-11-18T10:45:00+08:00"));
    Setup { app, pairing, desk, token, report }
}

async fn pair_and_sign_in(d: &Driver, s: &Setup) {
    d.goto(&s.app.url("/kiosk")).await;
    let size = d.script("return window.innerWidth + 'x' + window.innerHeight", json!([])).await;
    let size = size.as_str().unwrap_or("window").to_owned();
    d.find("#pair-code").await;
    step_shot(d, &format!("{size}-pair")).await;
    d.type_into("#pair-code", &s.pairing).await;
    d.click("#pair-go").await;
    d.find(&format!("#op-{}", s.desk)).await;
    step_shot(d, &format!("{size}-signin")).await;
    d.click(&format!("#op-{}", s.desk)).await;
    d.find("#key-1").await;
    step_shot(d, &format!("{size}-pin")).await;
    for k in ["1", "2", "3", "4"] {
        d.click(&format!("#key-{k}")).await;
    }
    d.click("#keypad-ok").await;
    d.find("#scan-field").await;
}

/// The customer types their phone on the keypad and presses 下一步.
async fn type_phone(d: &Driver, phone: &str) {
    d.find("#phone-shown").await;
    for digit in phone.chars() {
        d.click(&format!("#key-{digit}")).await;
    }
    d.click("#keypad-ok").await;
}

/// Scans the setup's report through the scanner field (focus there, Enter
/// at the end) and waits for the report card.
async fn scan_report(d: &Driver, s: &Setup) {
    d.type_into("#scan-field", &format!("{}\n", s.token)).await;
    d.find("#start").await;
}

/// From the report card to the customer's pad: the phone, the green
/// verdict, the name, every answer in order, the proposed consultant.
async fn to_the_first_pad(d: &Driver) {
    d.click("#start").await;
    type_phone(d, "13812345678").await;
    d.click("#provisional-next").await;
    d.type_into("#customer-name", "王小明").await;
    d.click("#name-next").await;
    for id in
        ["#first_visit-yes", "#contacted_before-no", "#customer_confirms_agent-yes", "#agent_present", "#badge_seen"]
    {
        d.click(id).await;
    }
    d.click("#questions-next").await;
    d.click("#sales-next").await;
    d.find("#sign-customer").await;
}

/// The text of the step bar's current item.
async fn step_now(d: &Driver) -> String {
    d.text("#stepbar li.now").await
}

/// Whether an element matching `css` is in the page right now (no waiting).
async fn present(d: &Driver, css: &str) -> bool {
    d.script("return document.querySelector(arguments[0]) !== null", json!([css])).await == json!(true)
}

/// The steps at which visits were cancelled, from the audit log
/// ("report 1 at step questions, first read … kept").
fn cancelled_steps(s: &Setup) -> Vec<String> {
    s.app
        .store
        .audit_entries(200)
        .unwrap()
        .into_iter()
        .filter(|a| a.action == "kiosk.visit_cancelled")
        .filter_map(|a| {
            let (_, rest) = a.detail.split_once("at step ")?;
            Some(rest.split(',').next().unwrap_or_default().trim().to_owned())
        })
        .collect()
}

/// Waits (the kiosk does not wait for the answer) until a visit cancelled
/// at `step` is in the audit log.
async fn wait_cancelled_at(s: &Setup, step: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let steps = cancelled_steps(s);
        if steps.iter().any(|x| x == step) {
            return;
        }
        assert!(Instant::now() < deadline, "no visit cancelled at step {step}; cancelled at: {steps:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A screenshot of this step, which must fit the screen: no scrolling, up
/// or sideways (the clerk never hunts for a button below the fold).
async fn step_shot(d: &Driver, name: &str) {
    // Measured until the layout has settled (a screen just shown, a window
    // just resized), for up to 3 s; a page that still scrolls then fails.
    let deadline = Instant::now() + Duration::from_secs(3);
    let fits = loop {
        let size = d
            .script(
                "const e = document.scrollingElement; \
                 return [e.scrollWidth, e.scrollHeight, window.innerWidth, window.innerHeight];",
                json!([]),
            )
            .await;
        let n = |i: usize| size[i].as_i64().unwrap();
        let fits = n(0) <= n(2) && n(1) <= n(3);
        if fits || Instant::now() > deadline {
            break (fits, format!("the page is {}×{} in a {}×{} window", n(0), n(1), n(2), n(3)));
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    };
    d.screenshot(name).await;
    assert!(fits.0, "step {name} scrolls: {}", fits.1);
}

async fn finish_visit(d: &Driver, s: &Setup, shots: &str) {
    d.find("#start").await;
    step_shot(d, &format!("{shots}-report")).await;
    assert!(d.text("#r-agency").await.contains("链家-天河店"));
    d.click("#start").await;
    d.find("#phone-shown").await;
    step_shot(d, &format!("{shots}-phone")).await;
    type_phone(d, "13812345678").await;
    // The verdict before anyone signs: the 带看确认单 may be signed.
    d.find("#provisional[data-verdict='valid']").await;
    assert_eq!(d.text("#provisional-title").await, "可以签署带看确认单");
    step_shot(d, &format!("{shots}-provisional")).await;
    d.click("#provisional-next").await;
    d.type_into("#customer-name", "王小明").await;
    step_shot(d, &format!("{shots}-name")).await;
    d.click("#name-next").await;
    for id in
        ["#first_visit-yes", "#contacted_before-no", "#customer_confirms_agent-yes", "#agent_present", "#badge_seen"]
    {
        d.click(id).await;
    }
    step_shot(d, &format!("{shots}-questions")).await;
    d.click("#questions-next").await;
    d.find("#sales-next").await;
    step_shot(d, &format!("{shots}-sales")).await;
    d.click("#sales-next").await;
    for i in 0..3 {
        d.find("#pad").await;
        d.draw("#pad", i).await;
        step_shot(d, &format!("{shots}-signature-{}", i + 1)).await;
        d.click("#sign-next").await;
        // Wait until the next screen replaced this pad.
        let title = if i < 2 { format!("（{}/3）", i + 2) } else { String::new() };
        if !title.is_empty() {
            let deadline = Instant::now() + Duration::from_secs(10);
            while !d.text("h1").await.contains(&title) {
                assert!(Instant::now() < deadline, "signature {} was not accepted: {}", i + 1, d.text(".msg").await);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    assert_eq!(d.text("#verdict-title").await, "有效带看");
    step_shot(d, &format!("{shots}-verdict")).await;
    // The ledger holds the visit, with three signatures, and verifies.
    let visit = s.app.store.visit_of_report(ReportId(s.report)).unwrap().expect("a ledger row");
    assert_eq!(visit.verdict_code(), "valid");
    let body = visit.row.body_json().unwrap();
    assert_eq!(body["signatures"].as_array().unwrap().len(), 3);
    assert_eq!(body["case"]["arrival"]["customer_phone"], "13812345678");
    assert_eq!(s.app.store.verify_ledger().unwrap(), Ok(1));
    // The confirmation sheet, as the clerk prints it.
    d.goto(&s.app.url(&format!("/records/{}/sheet", visit.row.seq))).await;
    assert!(d.text("article").await.contains("有效带看"));
    d.screenshot(&format!("{shots}-sheet-a4")).await;
}

#[tokio::test]
async fn a_visit_through_the_camera_in_a_real_browser() {
    let Some((browser, driver)) = browser_or_skip() else { return };
    let s = setup().await;
    let dir = tempfile::tempdir().unwrap();
    // A 1280×800 tablet in landscape.
    let d = Driver::start(&browser, &driver, &qr_video(&s.token, dir.path()), (1280, 800)).await;
    pair_and_sign_in(&d, &s).await;
    step_shot(&d, "1280x800-scan").await;
    finish_visit(&d, &s, "1280x800").await;
}

#[tokio::test]
async fn a_visit_through_the_handheld_scanner_field() {
    let Some((browser, driver)) = browser_or_skip() else { return };
    let s = setup().await;
    let dir = tempfile::tempdir().unwrap();
    // The camera shows something that is not a code; a 768×1024 tablet in portrait.
    let d = Driver::start(&browser, &driver, &qr_video("not a panke code", dir.path()), (768, 1024)).await;
    pair_and_sign_in(&d, &s).await;
    step_shot(&d, "768x1024-scan").await;
    d.type_into("#scan-field", &format!("{}\n", s.token)).await;
    finish_visit(&d, &s, "768x1024").await;
}

/// The third size, 1024×768 landscape, through every step — then the
/// channel copy of the sheet, chosen in place and printed on A5.
#[tokio::test]
async fn a_visit_on_a_1024x768_tablet_and_the_channel_copy_on_a5() {
    let Some((browser, driver)) = browser_or_skip() else { return };
    let s = setup().await;
    let dir = tempfile::tempdir().unwrap();
    let d = Driver::start(&browser, &driver, &blank_video(dir.path()), (1024, 768)).await;
    pair_and_sign_in(&d, &s).await;
    step_shot(&d, "1024x768-scan").await;
    scan_report(&d, &s).await;
    finish_visit(&d, &s, "1024x768").await;
    // The sheet opened in place (the kiosk's own tab): the channel copy, then A5.
    d.click("a[href*='copy=channel']").await;
    d.find("a[href*='copy=channel'][aria-current='page']").await;
    d.click("a[href*='size=a5']").await;
    d.find("a[href*='size=a5'][aria-current='page']").await;
    let url = d.script("return location.search", json!([])).await;
    assert_eq!(url, json!("?copy=channel&size=a5"), "the size link keeps the copy");
    assert!(present(&d, "body.sheet-A5").await);
    assert!(d.text(".copy").await.contains("渠道联"));
    d.screenshot("1024x768-sheet-channel-a5").await;
    // 打印 opens the browser's print dialog (stubbed here: headless has none).
    d.script("window.printed = 0; window.print = function () { window.printed += 1; };", json!([])).await;
    d.click("#print").await;
    assert_eq!(d.script("return window.printed", json!([])).await, json!(1));
    // On A5 paper the sheet is one page.
    let pdf = d.print_pdf(14.8, 21.0).await;
    assert!(pdf.starts_with(b"%PDF"), "not a PDF");
    let _ = std::fs::write(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots/sheet-channel-a5.pdf"),
        &pdf,
    );
    assert_eq!(pdf_pages(&pdf), 1, "the A5 channel copy prints on one page");
    // And back to the scan screen.
    d.click("#back-to-kiosk").await;
    d.find("#scan-field").await;
}

/// The number of pages of a PDF: its `/Type /Page` objects (not `/Pages`).
fn pdf_pages(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    text.matches("/Type /Page").count() - text.matches("/Type /Pages").count() + text.matches("/Type/Page").count()
        - text.matches("/Type/Pages").count()
}

/// The signature pad's drawing surface in CSS pixels.
async fn pad_size(d: &Driver) -> (f64, f64) {
    let v =
        d.script("const p = document.getElementById('pad'); return [p.clientWidth, p.clientHeight];", json!([])).await;
    (v[0].as_f64().unwrap(), v[1].as_f64().unwrap())
}

/// The ink of a stored signature PNG, by the server's rule (alpha > 64 and
/// r + g + b < 480): its bounding box (min x, min y, max x, max y).
fn ink_box(png: &[u8]) -> (u32, u32, u32, u32) {
    let img = image::load_from_memory(png).unwrap().to_rgba8();
    let mut b = (u32::MAX, u32::MAX, 0, 0);
    for (x, y, p) in img.enumerate_pixels() {
        if p[3] > 64 && u32::from(p[0]) + u32::from(p[1]) + u32::from(p[2]) < 480 {
            b = (b.0.min(x), b.1.min(y), b.2.max(x), b.3.max(y));
        }
    }
    b
}

/// A signature drawn on a landscape tablet, which is then turned to
/// portrait before the signer taps 确认签字: the pad keeps the PNG's aspect,
/// the strokes are rescaled to it, and the stored 600×240 PNG holds the
/// whole signature — centred, not clipped, not stretched.
#[tokio::test]
async fn a_signature_drawn_in_landscape_and_finished_in_portrait_keeps_its_full_ink() {
    let Some((browser, driver)) = browser_or_skip() else { return };
    let s = setup().await;
    let dir = tempfile::tempdir().unwrap();
    let d = Driver::start(&browser, &driver, &blank_video(dir.path()), (1280, 800)).await;
    pair_and_sign_in(&d, &s).await;
    scan_report(&d, &s).await;
    to_the_first_pad(&d).await;
    let (w1, h1) = pad_size(&d).await;
    assert!((w1 / h1 - 2.5).abs() < 0.02, "the pad has the PNG's 5:2 aspect: {w1}×{h1}");
    // The pen goes 440 CSS px across and 80 px up and down, about the pad's centre.
    d.draw("#pad", 0).await;
    d.screenshot("rotate-1-landscape").await;
    d.resize(768, 1024).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while pad_size(&d).await.0 == w1 {
        assert!(Instant::now() < deadline, "the pad did not follow the rotation");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (w2, h2) = pad_size(&d).await;
    assert!((w2 / h2 - 2.5).abs() < 0.02, "the pad keeps its aspect in portrait: {w2}×{h2}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    d.screenshot("rotate-2-portrait").await;
    d.click("#sign-next").await;
    for (i, who) in [(1, "#sign-agent"), (2, "#sign-sales")] {
        d.find(who).await;
        d.draw("#pad", i).await;
        d.click("#sign-next").await;
    }
    assert_eq!(d.text("#verdict-title").await, "有效带看");
    let visit = s.app.store.visit_of_report(ReportId(s.report)).unwrap().expect("a ledger row");
    let png = s.app.store.signature_png(visit.row.seq, panke::domain::judge::Signer::Customer).unwrap();
    let img = image::load_from_memory(&png).unwrap();
    assert_eq!((img.width(), img.height()), (600, 240), "one fixed resolution");
    let (x0, y0, x1, y1) = ink_box(&png);
    let (spread_x, spread_y) = (f64::from(x1 - x0), f64::from(y1 - y0));
    let expected_x = 440.0 * 600.0 / w1;
    assert!(x0 > 0 && y0 > 0 && x1 < 599 && y1 < 239, "ink touches the edge (clipped): {x0},{y0}–{x1},{y1}");
    assert!((spread_x / expected_x - 1.0).abs() < 0.1, "ink {spread_x} px across, drawn {expected_x:.0}");
    assert!((f64::from(x0 + x1) / 2.0 - 300.0).abs() < 20.0, "the ink is centred: {x0}–{x1}");
    let aspect = spread_y / spread_x;
    assert!((aspect / (80.0 / 440.0) - 1.0).abs() < 0.3, "not stretched: height/width {aspect:.3}");
}

#[tokio::test]
async fn a_forged_code_gets_the_red_screen() {
    let Some((browser, driver)) = browser_or_skip() else { return };
    let s = setup().await;
    let dir = tempfile::tempdir().unwrap();
    let d = Driver::start(&browser, &driver, &qr_video("not a panke code", dir.path()), (1024, 768)).await;
    pair_and_sign_in(&d, &s).await;
    let forged = format!("{}{}", &s.token[..30], if &s.token[30..31] == "Q" { "R" } else { "Q" }) + &s.token[31..];
    d.type_into("#scan-field", &format!("{forged}\n")).await;
    d.find("#refused").await;
    d.screenshot("kiosk-refused").await;
    assert!(d.text("#refused").await.contains("拒绝登记"));
    assert_eq!(s.app.store.ledger_len().unwrap(), 0);
    assert!(s.app.store.audit_entries(10).unwrap().iter().any(|a| a.action == "kiosk.code_refused"));
}

#[tokio::test]
async fn a_report_filed_too_late_is_a_natural_visit_before_anyone_signs() {
    let Some((browser, driver)) = browser_or_skip() else { return };
    let s = setup().await;
    // Filed at 10:00 and first read at 10:10: less than the 30 minutes the
    // rules ask for, whatever is answered or signed.
    s.app.clock.set(t("2026-11-18T10:10:00+08:00"));
    let dir = tempfile::tempdir().unwrap();
    let d = Driver::start(&browser, &driver, &blank_video(dir.path()), (1024, 768)).await;
    pair_and_sign_in(&d, &s).await;
    scan_report(&d, &s).await;
    d.find("#r-early").await;
    d.click("#start").await;
    type_phone(&d, "13812345678").await;
    // Amber, with every reason, in Chinese only.
    d.find("#provisional[data-verdict='invalid']").await;
    assert_eq!(d.text("#provisional-title").await, "自然到访");
    let reasons = d.text("#provisional-reasons").await;
    assert!(reasons.contains("报备过晚"), "{reasons}");
    assert!(!reasons.contains("Reported too late"), "Chinese only: {reasons}");
    d.screenshot("kiosk-provisional-natural").await;
    d.click("#provisional-next").await;
    d.type_into("#customer-name", "王小明").await;
    d.click("#name-next").await;
    for id in
        ["#first_visit-yes", "#contacted_before-no", "#customer_confirms_agent-yes", "#agent_present", "#badge_seen"]
    {
        d.click(id).await;
    }
    d.click("#questions-next").await;
    assert_eq!(d.text("#sales-next").await, "下一步：签字");
    d.click("#sales-next").await;
    // Only the customer signs, the natural visit's statement; the step bar
    // and the counter know of two signers, never the sales consultant.
    d.find("#sign-customer").await;
    assert!(d.text("h1").await.contains("客户签字（1/2）"), "{}", d.text("h1").await);
    assert!(d.text("#statement").await.contains("按自然到访登记"), "{}", d.text("#statement").await);
    d.draw("#pad", 0).await;
    d.click("#sign-next").await;
    // The agent may acknowledge; here the agent does not sign.
    d.find("#sign-agent").await;
    assert!(d.text("h1").await.contains("经纪人确认已知悉（2/2）"), "{}", d.text("h1").await);
    assert!(d.text("#statement").await.contains("已知悉"));
    d.screenshot("kiosk-natural-agent").await;
    d.click("#sign-skip").await;
    assert_eq!(d.text("#verdict-title").await, "自然到访");
    assert!(d.text("#verdict-reasons").await.contains("报备过晚"));
    assert!(!present(&d, "#sign-sales").await);
    d.screenshot("kiosk-natural-verdict").await;
    // The record: a natural visit for that reason alone (no "signatures
    // missing"), with the customer's signature only.
    let visit = s.app.store.visit_of_report(ReportId(s.report)).unwrap().expect("a ledger row");
    assert_eq!(visit.verdict_code(), "invalid");
    assert_eq!(visit.reason_codes(), ["REPORT_TOO_LATE"]);
    let body = visit.row.body_json().unwrap();
    let signers: Vec<&str> =
        body["signatures"].as_array().unwrap().iter().map(|x| x["signer"].as_str().unwrap()).collect();
    assert_eq!(signers, ["customer"]);
    assert_eq!(s.app.store.verify_ledger().unwrap(), Ok(1));
}

#[tokio::test]
async fn back_and_cancel_at_three_steps() {
    let Some((browser, driver)) = browser_or_skip() else { return };
    let s = setup().await;
    let dir = tempfile::tempdir().unwrap();
    let d = Driver::start(&browser, &driver, &blank_video(dir.path()), (1280, 800)).await;
    pair_and_sign_in(&d, &s).await;
    assert!(!present(&d, "#visit-bar:not([hidden])").await, "no visit bar on the scan screen");

    // 1. The report card: on to the phone, back, then cancel the visit.
    scan_report(&d, &s).await;
    let first_read = d.text("#r-first-read").await;
    assert_eq!(step_now(&d).await, "报备信息");
    d.click("#start").await;
    d.find("#phone-shown").await;
    assert_eq!(step_now(&d).await, "手机号");
    d.click("#visit-back").await;
    d.find("#start").await;
    assert_eq!(step_now(&d).await, "报备信息");
    d.click("#visit-cancel").await;
    d.find("#scan-field").await;
    wait_cancelled_at(&s, "report").await;

    // 2. The questions: the warnings come at once; back to the name (kept),
    // forward again (answers kept), then cancel.
    s.app.clock.set(t("2026-11-18T10:50:00+08:00"));
    scan_report(&d, &s).await;
    assert_eq!(d.text("#r-first-read").await, first_read, "cancelling keeps the first read");
    d.click("#start").await;
    type_phone(&d, "13812345678").await;
    d.click("#provisional-next").await;
    d.type_into("#customer-name", "王小明").await;
    d.click("#name-next").await;
    d.click("#first_visit-yes").await;
    assert_eq!(step_now(&d).await, "问询");
    // 经纪人在场 is not ticked yet: what that means is said before anyone signs.
    assert!(d.text("#warn-agent-absent").await.contains("自然到访"));
    d.click("#customer_confirms_agent-no").await;
    assert!(d.text("#warn-denies-agent").await.contains("自然到访"));
    d.click("#agent_present").await;
    assert!(!present(&d, "#warn-agent-absent").await);
    d.screenshot("kiosk-questions-warnings").await;
    d.click("#visit-back").await;
    d.find("#customer-name").await;
    assert_eq!(step_now(&d).await, "姓名");
    let name = d.script("return document.getElementById('customer-name').value", json!([])).await;
    assert_eq!(name, json!("王小明"));
    d.click("#name-next").await;
    d.find("#questions-next").await;
    let kept =
        d.script("return document.getElementById('first_visit-yes').classList.contains('chosen')", json!([])).await;
    assert_eq!(kept, json!(true), "the answers are kept");
    assert!(present(&d, "#warn-denies-agent").await);
    d.click("#visit-cancel").await;
    d.find("#scan-field").await;
    wait_cancelled_at(&s, "questions").await;

    // 3. The signatures: the customer signs, back from the agent's pad to
    // the customer's (signed again), back to the sales consultant, on, and
    // cancel at the customer's pad.
    scan_report(&d, &s).await;
    to_the_first_pad(&d).await;
    assert_eq!(step_now(&d).await, "签字");
    d.draw("#pad", 0).await;
    d.click("#sign-next").await;
    d.find("#sign-agent").await;
    d.click("#visit-back").await;
    d.find("#sign-customer").await;
    assert!(d.text("h1").await.contains("（1/3）"));
    d.click("#visit-back").await;
    d.find("#sales-next").await;
    assert_eq!(step_now(&d).await, "置业顾问");
    d.click("#sales-next").await;
    d.find("#sign-customer").await;
    d.click("#visit-cancel").await;
    d.find("#scan-field").await;
    wait_cancelled_at(&s, "sign:customer").await;
    assert_eq!(s.app.store.ledger_len().unwrap(), 0, "a cancelled visit records nothing");

    // And the next visit of the same report goes through, judged at the
    // first read.
    scan_report(&d, &s).await;
    finish_visit(&d, &s, "kiosk-after-cancel").await;
}

#[tokio::test]
async fn an_idle_visit_counts_down_and_continue_keeps_it() {
    let Some((browser, driver)) = browser_or_skip() else { return };
    let s = setup().await;
    let dir = tempfile::tempdir().unwrap();
    let d = Driver::start(&browser, &driver, &blank_video(dir.path()), (1024, 768)).await;
    pair_and_sign_in(&d, &s).await;
    // Short timings (read at boot): 2 s quiet, then a 6 s countdown.
    d.script(
        "localStorage.setItem('pankeIdleMs', '2000'); localStorage.setItem('pankeCountdownMs', '6000');",
        json!([]),
    )
    .await;
    d.goto(&s.app.url("/kiosk")).await;
    scan_report(&d, &s).await;
    // Nobody touches the screen: the countdown covers it.
    d.find("#idle-countdown").await;
    assert_eq!(d.text("#idle-continue").await, "继续");
    d.screenshot("kiosk-idle-countdown").await;
    d.click("#idle-continue").await;
    assert!(!present(&d, "#idle-countdown").await, "继续 ends the countdown");
    assert!(d.text("#r-agency").await.contains("链家-天河店"), "the visit is still on screen");
    // Again nobody: this time the countdown runs out.
    d.find("#idle-countdown").await;
    let notice = d.text("#idle-notice").await;
    assert!(notice.contains("放弃"), "{notice}");
    assert!(present(&d, "#scan-field").await);
    assert!(!present(&d, "#idle-countdown").await);
    d.screenshot("kiosk-idle-given-up").await;
    wait_cancelled_at(&s, "idle-report").await;
    assert_eq!(s.app.store.ledger_len().unwrap(), 0);
}

#[tokio::test]
async fn a_scanner_burst_is_read_wherever_the_focus_is() {
    let Some((browser, driver)) = browser_or_skip() else { return };
    let s = setup().await;
    let dir = tempfile::tempdir().unwrap();
    let d = Driver::start(&browser, &driver, &blank_video(dir.path()), (1280, 800)).await;
    pair_and_sign_in(&d, &s).await;
    // A real scanner leaves ~50 ms at most between keys; a busy headless
    // browser on a loaded CI machine may take longer to take each key, so
    // the test allows 250 ms (read at boot, like the idle timings).
    d.script("localStorage.setItem('pankeScanGapMs', '250');", json!([])).await;
    d.goto(&s.app.url("/kiosk")).await;
    d.find("#scan-field").await;
    let mode = d.script("return document.getElementById('scan-field').getAttribute('inputmode')", json!([])).await;
    assert_eq!(mode, json!("none"), "no soft keyboard over the camera");
    // The focus is on a button, not in the field.
    let focused =
        d.script("document.getElementById('walk-in').focus(); return document.activeElement.id", json!([])).await;
    assert_eq!(focused, json!("walk-in"));
    d.keys(&format!("{}{ENTER}", s.token)).await;
    // The burst is read as a code (its Enter did not press the focused
    // 未报备客户登记 button).
    d.find("#start").await;
    assert!(d.text("#r-agency").await.contains("链家-天河店"));
    // In the middle of a visit a burst in the name field is taken back out
    // of it, and the desk is told to finish or cancel first.
    d.click("#start").await;
    type_phone(&d, "13812345678").await;
    d.click("#provisional-next").await;
    d.type_into("#customer-name", "王小明").await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    d.keys(&format!("{}{ENTER}", s.token)).await;
    assert!(d.text("#scanner-busy").await.contains("扫码枪"));
    let name = d.script("return document.getElementById('customer-name').value", json!([])).await;
    assert_eq!(name, json!("王小明"));
    assert!(present(&d, "#customer-name").await, "still on the name step");
}

#[tokio::test]
async fn the_rotation_board_marks_a_consultant_away() {
    let Some((browser, driver)) = browser_or_skip() else { return };
    let s = setup().await;
    // A second consultant, so that the turn has somewhere to go.
    let second = s
        .app
        .store
        .create_staff(
            &NewStaff {
                project_id: Some("demo"),
                login: "孙顾问",
                name: "孙顾问",
                role: Role::Sales,
                password: None,
                pin: Some("8765"),
            },
            t("2026-11-18T08:00:00+08:00"),
        )
        .unwrap();
    // The kiosk's day: setup's clock says 10:45 in Beijing (the demo
    // project's time zone).
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 18).unwrap();
    let first = s.app.store.next_sales("demo", day).unwrap().expect("a consultant whose turn it is");
    assert_ne!(first.id, second, "nobody received a customer yet: the first consultant (lower id) is next");
    let dir = tempfile::tempdir().unwrap();
    let d = Driver::start(&browser, &driver, &blank_video(dir.path()), (1280, 800)).await;
    pair_and_sign_in(&d, &s).await;
    d.click("#rotation-open").await;
    // Every consultant is a row; 轮到 is on the one the store names.
    d.find(&format!("#presence-{second}-present")).await;
    assert!(d.text(&format!("#rotation-{}", first.id)).await.contains(&first.name));
    assert_eq!(d.text(&format!("#rotation-{} .turn-mark", first.id)).await, "轮到");
    assert!(!present(&d, &format!("#rotation-{second} .turn-mark")).await);
    assert!(present(&d, &format!("#presence-{}-present.chosen[aria-pressed='true']", first.id)).await);
    assert!(!present(&d, "#visit-bar:not([hidden])").await, "the board is no visit: no step bar");
    assert!(d.text("#rotation-rules").await.contains("客户指定的顾问不占轮次"));
    // 暂离: the board is repainted from the reply, the turn moved on.
    d.click(&format!("#presence-{}-away", first.id)).await;
    d.find(&format!("#presence-{}-away.chosen[aria-pressed='true']", first.id)).await;
    assert_eq!(d.text(&format!("#rotation-{second} .turn-mark")).await, "轮到");
    assert!(!present(&d, &format!("#rotation-{} .turn-mark", first.id)).await);
    assert!(!present(&d, &format!("#presence-{}-present.chosen", first.id)).await);
    // The board at the three sizes, without scrolling.
    for (w, h) in [(1280, 800), (1024, 768), (768, 1024)] {
        d.resize(w, h).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        step_shot(&d, &format!("{w}x{h}-rotation-board")).await;
    }
    // The store agrees: away for today, and the turn is the second's.
    let board = s.app.store.rotation_board("demo", day).unwrap();
    let presence = board.iter().find(|(staff, _)| staff.id == first.id).map(|(_, seat)| seat.presence);
    assert_eq!(presence, Some(Presence::Away));
    assert_eq!(s.app.store.next_sales("demo", day).unwrap().map(|x| x.id), Some(second));
    // 返回扫码: the scan screen again.
    d.click("#rotation-back").await;
    d.find("#scan-field").await;
    assert!(present(&d, "#rotation-open").await);
    assert!(!present(&d, "#rotation-board").await);
}
