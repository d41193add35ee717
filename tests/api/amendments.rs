//! Amendments in the back office (更正): kinds, reasons, attachments, who
//! may make them, and what they change afterwards — the report's status,
//! the lists, the sheet, and what the judge sees.

use super::helpers::{AGENT_PHONE, RIVAL_PHONE, TestApp, csrf, staff_sign_in, t};
use super::kiosk::{Kiosk, staff};
use panke::domain::token::ReportId;
use panke::store::people::Role;
use panke::store::reports::ReportStatus;
use reqwest::multipart::{Form, Part};
use serde_json::json;

async fn token_of(app: &TestApp, agent: &str, project: &str, phone: &str) -> (i64, String) {
    let c = app.signed_in(agent).await;
    let id = app.filed_id(&c, project, "王先生", phone).await;
    let r = app.store.report(ReportId(id)).unwrap();
    (id, app.key_ring.sign_with(r.key_id, r.id, r.filed_at.to_utc()).unwrap())
}

/// A valid visit of the agency's customer at `project`: (report, record).
async fn valid_visit(app: &TestApp, kiosk: &Kiosk<'_>, project: &str, phone: &str) -> (i64, i64) {
    let (id, token) = token_of(app, AGENT_PHONE, project, phone).await;
    app.clock.set(t("2026-11-18T10:45:00+08:00"));
    kiosk.scan(&token).await;
    let (status, v) = kiosk.check_in(Some(&token), phone, json!({})).await;
    assert_eq!((status, v["verdict"].as_str()), (200, Some("valid")), "{v}");
    (id, v["record"].as_i64().unwrap())
}

async fn manager(app: &TestApp, project: &str, login: &str) -> reqwest::Client {
    staff(app, project, login, Role::Manager, "9999");
    let c = app.browser();
    staff_sign_in(&c, &app.base, login, "a long password").await;
    c
}

/// Posts the record page's amendment form.
async fn amend(
    app: &TestApp,
    c: &reqwest::Client,
    seq: i64,
    fields: &[(&str, &str)],
    file: Option<(&str, Vec<u8>)>,
) -> (u16, String) {
    let page = c.get(app.url(&format!("/records/{seq}"))).send().await.unwrap().text().await.unwrap();
    let mut form = Form::new().text("csrf", csrf(&page));
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    if let Some((name, bytes)) = file {
        form = form.part("attachment", Part::bytes(bytes).file_name(name.to_owned()));
    }
    let r = c.post(app.url(&format!("/records/{seq}/amend"))).multipart(form).send().await.unwrap();
    let status = r.status().as_u16();
    let location = r.headers().get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, if status == 303 { location } else { r.text().await.unwrap() })
}

async fn text(app: &TestApp, c: &reqwest::Client, path: &str) -> (u16, String) {
    let r = c.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn voiding_a_visit_voids_its_report_and_the_next_agency_is_no_longer_blocked_by_its_protection() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "firstvisit").await;
    // first-visit rule: both agencies may report; the first visit protects.
    let (_, first) = token_of(&app, AGENT_PHONE, "firstvisit", "13812345678").await;
    let (rival_id, second) = token_of(&app, RIVAL_PHONE, "firstvisit", "13812345678").await;
    app.clock.set(t("2026-11-18T10:45:00+08:00"));
    kiosk.scan(&first).await;
    let (_, v) = kiosk.check_in(Some(&first), "13812345678", json!({})).await;
    assert_eq!(v["verdict"], "valid", "{v}");
    let seq = v["record"].as_i64().unwrap();

    let boss = manager(&app, "firstvisit", "boss-fv").await;
    let (status, to) =
        amend(&app, &boss, seq, &[("kind", "void"), ("reason", "切客:客户由自然到访转报备")], None).await;
    assert_eq!((status, to.as_str()), (303, format!("/records/{seq}?done=amended").as_str()));
    let first_report = app.store.ledger_row(seq).unwrap().report_id.unwrap();
    assert_eq!(app.store.report(ReportId(first_report)).unwrap().status, ReportStatus::Voided);
    // Everyone who reads the report sees it: the agent's page, the kiosk
    // scanning the code again, the funnel.
    let agent = app.signed_in(AGENT_PHONE).await;
    let (_, mine) = text(&app, &agent, &format!("/agent/reports/{first_report}")).await;
    assert!(mine.contains("已作废"), "{mine}");
    let (_, again) = kiosk.scan(&first).await;
    assert_eq!(again["outcome"]["voided"], true, "{again}");
    let (_, funnel) = text(&app, &boss, "/staff/funnel?from=2026-11-18&to=2026-11-18").await;
    let row = funnel.split("<tbody>").nth(1).unwrap();
    let cells: Vec<&str> = row.split("<td>").skip(2).map(|c| c.split('<').next().unwrap()).collect();
    assert_eq!(&cells[..3], ["1", "0", "0"], "a voided visit neither arrives nor counts: {row}");

    app.clock.set(t("2026-11-19T11:00:00+08:00"));
    kiosk.sign_in_again().await;
    kiosk.scan(&second).await;
    let (_, v) = kiosk.check_in(Some(&second), "13812345678", json!({})).await;
    assert_eq!(v["verdict"], "valid", "the voided visit protects nobody: {v}");
    assert_eq!(app.store.report(ReportId(rival_id)).unwrap().status, ReportStatus::VisitedValid);
    assert_eq!(app.store.verify_ledger().unwrap(), Ok(3), "visit, amendment, visit — all sealed");
}

#[tokio::test]
async fn reinstating_a_voided_visit_restores_the_report_and_the_lists_show_both_steps() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    let (report, seq) = valid_visit(&app, &kiosk, "demo", "13812345678").await;
    let boss = manager(&app, "demo", "boss-demo").await;
    amend(&app, &boss, seq, &[("kind", "void"), ("reason", "假客户")], None).await;
    let (_, list) = text(&app, &boss, "/staff/visits?state=void").await;
    assert_eq!(list.matches("<tr data-verdict").count(), 1, "{list}");
    assert!(list.contains("<tr data-verdict=\"valid\" class=\"voided\">"), "{list}");
    let (_, reports) = text(&app, &boss, "/staff/reports?status=voided").await;
    assert_eq!(reports.matches("<tr data-status=\"voided\">").count(), 1, "{reports}");
    // Voiding twice is refused with the reason, and nothing is appended.
    let (status, page) = amend(&app, &boss, seq, &[("kind", "void"), ("reason", "again")], None).await;
    assert_eq!(status, 422);
    assert!(page.contains("该记录已作废"), "{page}");
    let (status, _) = amend(&app, &boss, seq, &[("kind", "reinstate"), ("reason", "核实为真实客户")], None).await;
    assert_eq!(status, 303);
    assert_eq!(app.store.report(ReportId(report)).unwrap().status, ReportStatus::VisitedValid);
    let (_, counted) = text(&app, &boss, "/staff/visits?state=counted").await;
    assert_eq!(counted.matches("<tr data-verdict").count(), 1);
    let (_, record) = text(&app, &boss, &format!("/records/{seq}")).await;
    assert!(record.contains("假客户") && record.contains("核实为真实客户"), "both amendments listed");
    assert_eq!(app.store.amendments_of(seq).unwrap().len(), 2);
}

#[tokio::test]
async fn a_corrected_name_and_phone_show_on_the_record_the_sheet_and_the_list_and_the_judge_follows_them() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    let (_, seq) = valid_visit(&app, &kiosk, "demo", "13812345678").await;
    let boss = manager(&app, "demo", "boss-demo").await;
    let (status, _) =
        amend(&app, &boss, seq, &[("kind", "fix_name"), ("customer_name", "王晓明"), ("reason", "录入错字")], None)
            .await;
    assert_eq!(status, 303);
    let (status, _) = amend(
        &app,
        &boss,
        seq,
        &[("kind", "fix_phone"), ("customer_phone", "13912345678"), ("reason", "号码抄错")],
        None,
    )
    .await;
    assert_eq!(status, 303);
    let (_, record) = text(&app, &boss, &format!("/records/{seq}")).await;
    assert!(record.contains("王晓明") && record.contains("139****5678"), "{record}");
    assert!(record.contains("138****5678"), "the sealed value is still shown beside it");
    assert!(!record.contains("13912345678"), "masked on the page");
    let (_, sheet) = text(&app, &boss, &format!("/records/{seq}/sheet")).await;
    assert!(sheet.contains("王晓明") && sheet.contains("139****5678"), "{sheet}");
    let (_, found) = text(&app, &boss, "/staff/visits?verdict=valid").await;
    assert!(found.contains("王晓明") && found.contains("已更正"));
    // The history the judge reads now has the corrected phone: a rival's
    // report of 139… is refused as protected, 138… is free.
    let rival = app.signed_in(RIVAL_PHONE).await;
    let r = app.file(&rival, "demo", "王先生", "13912345678").await;
    assert_ne!(r.status().as_u16(), 303, "the corrected customer is protected");
    let r = app.file(&rival, "demo", "李先生", "13812345678").await;
    assert_eq!(r.status().as_u16(), 303, "the mistyped number is nobody's customer");
}

#[tokio::test]
async fn an_amendment_needs_a_kind_and_a_reason_and_keeps_what_was_typed() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    let (_, seq) = valid_visit(&app, &kiosk, "demo", "13812345678").await;
    let boss = manager(&app, "demo", "boss-demo").await;
    let (status, page) =
        amend(&app, &boss, seq, &[("kind", "fix_name"), ("customer_name", "王晓明"), ("reason", " ")], None).await;
    assert_eq!(status, 422);
    assert!(page.contains("请写明更正原因") && page.contains("value=\"王晓明\""), "{page}");
    let (status, page) =
        amend(&app, &boss, seq, &[("kind", "fix_phone"), ("customer_phone", "1381234"), ("reason", "x")], None).await;
    assert_eq!(status, 422);
    assert!(page.contains("手机号"), "{page}");
    let (status, _) = amend(&app, &boss, seq, &[("reason", "x")], None).await;
    assert_eq!(status, 422);
    assert!(app.store.amendments_of(seq).unwrap().is_empty(), "nothing appended");
}

#[tokio::test]
async fn an_attachment_is_checked_by_content_sealed_by_hash_and_served_to_the_projects_staff_only() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    let (_, seq) = valid_visit(&app, &kiosk, "demo", "13812345678").await;
    let boss = manager(&app, "demo", "boss-demo").await;
    let exe = b"MZ\x90\x00 this is a renamed executable".to_vec();
    let (status, page) = amend(
        &app,
        &boss,
        seq,
        &[("kind", "note"), ("note", "聊天记录"), ("reason", "补充证据")],
        Some(("chat.jpg", exe)),
    )
    .await;
    assert_eq!(status, 422);
    assert!(page.contains("JPEG"), "{page}");
    let big = [b"%PDF-1.4\n".to_vec(), vec![b'x'; 6 * 1024 * 1024]].concat();
    let (status, _) =
        amend(&app, &boss, seq, &[("kind", "note"), ("note", "x"), ("reason", "x")], Some(("big.pdf", big))).await;
    assert!(status == 413 || status == 422, "{status}");
    let png = panke::demo::signature_png(7);
    let (status, _) = amend(
        &app,
        &boss,
        seq,
        &[("kind", "note"), ("note", "聊天记录"), ("reason", "补充证据")],
        Some(("聊天.png", png.clone())),
    )
    .await;
    assert_eq!(status, 303);
    let amendment = &app.store.amendments_of(seq).unwrap()[0];
    let sha = panke::crypto::sha256_hex(&png);
    assert!(amendment.body.contains(&sha), "the file's hash is sealed in the ledger");
    let r = boss.get(app.url(&format!("/records/{seq}/attachments/{sha}"))).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.bytes().await.unwrap().to_vec(), png);
    let other = manager(&app, "strict", "boss-strict").await;
    let (status, _) = text(&app, &other, &format!("/records/{seq}/attachments/{sha}")).await;
    assert_eq!(status, 404);
    assert_eq!(app.store.verify_ledger().unwrap(), Ok(2));
}

#[tokio::test]
async fn only_managers_and_admins_of_the_project_amend() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    let (_, seq) = valid_visit(&app, &kiosk, "demo", "13812345678").await;
    for (login, role) in [("desk-2", Role::Desk), ("sales-2", Role::Sales)] {
        staff(&app, "demo", login, role, "1357");
        let c = app.browser();
        staff_sign_in(&c, &app.base, login, "a long password").await;
        let (status, page) = text(&app, &c, &format!("/records/{seq}")).await;
        assert_eq!(status, 200, "{login} reads the record");
        assert!(!page.contains("amend-form"), "{login} sees no amendment form");
        let (status, _) = amend(&app, &c, seq, &[("kind", "void"), ("reason", "x")], None).await;
        assert_eq!(status, 403, "{login}");
    }
    let other = manager(&app, "strict", "boss-strict").await;
    let (status, _) = text(&app, &other, &format!("/records/{seq}")).await;
    assert_eq!(status, 404, "a manager of another project");
    let agent = app.signed_in(AGENT_PHONE).await;
    let r = agent.get(app.url(&format!("/records/{seq}"))).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303, "an agent is sent to the staff sign-in");
    let anonymous = app.browser();
    let r = anonymous
        .post(app.url(&format!("/records/{seq}/amend")))
        .multipart(Form::new().text("kind", "void"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert!(app.store.amendments_of(seq).unwrap().is_empty());
    let admin = app.browser();
    app.store
        .create_staff(
            &panke::store::people::NewStaff {
                project_id: None,
                login: "group-admin",
                name: "集团管理员",
                role: Role::Admin,
                password: Some("a long password"),
                pin: None,
            },
            t("2026-11-18T08:00:00+08:00"),
        )
        .unwrap();
    staff_sign_in(&admin, &app.base, "group-admin", "a long password").await;
    let (status, _) =
        amend(&app, &admin, seq, &[("kind", "note"), ("note", "集团抽查"), ("reason", "抽查")], None).await;
    assert_eq!(status, 303, "an admin amends any project's record");
}

#[tokio::test]
async fn the_sales_consultant_is_changed_only_to_one_of_the_projects_consultants() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    let (_, seq) = valid_visit(&app, &kiosk, "demo", "13812345678").await;
    let boss = manager(&app, "demo", "boss-demo").await;
    let elsewhere = staff(&app, "strict", "sales-strict", Role::Sales, "2468");
    let (status, page) = amend(
        &app,
        &boss,
        seq,
        &[("kind", "change_sales"), ("sales_id", &elsewhere.to_string()), ("reason", "x")],
        None,
    )
    .await;
    assert_eq!(status, 422, "{page}");
    let here = staff(&app, "demo", "sales-zhao", Role::Sales, "2468");
    let (status, _) = amend(
        &app,
        &boss,
        seq,
        &[("kind", "change_sales"), ("sales_id", &here.to_string()), ("reason", "实际接待人为赵")],
        None,
    )
    .await;
    assert_eq!(status, 303);
    let (_, list) = text(&app, &boss, "/staff/visits").await;
    assert!(list.contains("sales-zhao"), "{list}");
}
