//! The kiosk in a real browser (Debian's Chromium, headless, through
//! chromedriver): pairing, the QR shown to the tablet's camera (Chromium's
//! fake camera playing a video of the code), the keypad, the questions,
//! three signatures drawn with pen pointer events, the verdict — then the
//! ledger row and its verification. A second run uses the scanner field, a
//! third a forged code. CI installs chromium and chromium-driver; elsewhere
//! the test says so and skips when they are missing.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;
#[path = "../support/mod.rs"]
mod support;
mod webdriver;

use helpers::{AGENT_PHONE, TestApp, t};
use panke::domain::token::ReportId;
use panke::store::people::{NewStaff, Role};
use webdriver::Driver;

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

/// A Y4M video (what Chromium's fake camera plays) showing the QR code of
/// `text` on white, 640×480.
fn qr_video(text: &str, dir: &std::path::Path) -> std::path::PathBuf {
    let png = panke::qr::png(text).unwrap();
    let qr = image::load_from_memory(&png).unwrap().to_luma8();
    let (w, h) = (640u32, 480u32);
    let (ox, oy) = ((w - qr.width().min(w)) / 2, (h - qr.height().min(h)) / 2);
    let mut y_plane = vec![255u8; (w * h) as usize];
    for (x, y, p) in qr.enumerate_pixels() {
        if x + ox < w && y + oy < h {
            y_plane[((y + oy) * w + x + ox) as usize] = p[0];
        }
    }
    let mut video = format!("YUV4MPEG2 W{w} H{h} F10:1 Ip A1:1 C420jpeg\n").into_bytes();
    for _ in 0..20 {
        video.extend_from_slice(b"FRAME\n");
        video.extend_from_slice(&y_plane);
        video.extend(std::iter::repeat_n(128u8, (w * h / 2) as usize));
    }
    let path = dir.join("qr.y4m");
    std::fs::write(&path, video).unwrap();
    path
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
    d.type_into("#pair-code", &s.pairing).await;
    d.click("#pair-go").await;
    d.click(&format!("#op-{}", s.desk)).await;
    for k in ["1", "2", "3", "4"] {
        d.click(&format!("#key-{k}")).await;
    }
    d.click("#keypad-ok").await;
    d.find("#scan-field").await;
}

async fn finish_visit(d: &Driver, s: &Setup, shots: &str) {
    d.find("#start").await;
    d.screenshot(&format!("{shots}-report")).await;
    assert!(d.text("#r-agency").await.contains("链家-天河店"));
    d.click("#start").await;
    for digit in "13812345678".chars() {
        d.click(&format!("#key-{digit}")).await;
    }
    d.click("#keypad-ok").await;
    d.type_into("#customer-name", "王小明").await;
    d.click("#name-next").await;
    for id in
        ["#first_visit-yes", "#contacted_before-no", "#customer_confirms_agent-yes", "#agent_present", "#badge_seen"]
    {
        d.click(id).await;
    }
    d.screenshot(&format!("{shots}-questions")).await;
    d.click("#questions-next").await;
    d.click("#sales-next").await;
    for i in 0..3 {
        d.find("#pad").await;
        d.draw("#pad", i).await;
        if i == 0 {
            d.screenshot(&format!("{shots}-signature")).await;
        }
        d.click("#sign-next").await;
        // Wait until the next screen replaced this pad.
        let title = if i < 2 { format!("({}/3)", i + 2) } else { String::new() };
        if !title.is_empty() {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while !d.text("h1").await.contains(&title) {
                assert!(
                    std::time::Instant::now() < deadline,
                    "signature {} was not accepted: {}",
                    i + 1,
                    d.text(".msg").await
                );
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
    assert_eq!(d.text("#verdict-title").await, "有效带看");
    d.screenshot(&format!("{shots}-verdict")).await;
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
    d.screenshot("kiosk-scan").await;
    finish_visit(&d, &s, "kiosk").await;
}

#[tokio::test]
async fn a_visit_through_the_handheld_scanner_field() {
    let Some((browser, driver)) = browser_or_skip() else { return };
    let s = setup().await;
    let dir = tempfile::tempdir().unwrap();
    // The camera shows something that is not a code; a 768×1024 tablet in portrait.
    let d = Driver::start(&browser, &driver, &qr_video("not a panke code", dir.path()), (768, 1024)).await;
    pair_and_sign_in(&d, &s).await;
    d.type_into("#scan-field", &format!("{}\n", s.token)).await;
    finish_visit(&d, &s, "portrait").await;
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
