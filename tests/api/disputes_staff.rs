//! Disputes in the back office (issue 14): a manager opens one for one
//! agency against another's attributed deal and finds it in the deadline
//! list; the office's evidence is checked by content and sealed by its
//! hash; a split ruling attributes the deal again and the ledger still
//! verifies; a dispute is ruled once; and only managers and admins of the
//! project reach any of it.

use super::helpers::{AGENT_PHONE, TestApp, csrf, staff_sign_in, t};
use super::kiosk::{Kiosk, staff};
use panke::domain::token::ReportId;
use panke::store::disputes::{DisputeFilter, Recipient};
use panke::store::people::Role;
use reqwest::Client;
use reqwest::multipart::{Form, Part};
use serde_json::json;

const CUSTOMER: &str = "13812345678";
const AGENCY_A: &str = "链家-天河店";
const AGENCY_B: &str = "中原-体育西";

/// Agency A's valid visit of `phone` at 10:45 (its report filed at 10:00).
async fn valid_visit(app: &TestApp, kiosk: &Kiosk<'_>, phone: &str) -> i64 {
    let agent = app.signed_in(AGENT_PHONE).await;
    let id = app.filed_id(&agent, "demo", "王先生", phone).await;
    let r = app.store.report(ReportId(id)).unwrap();
    let token = app.key_ring.sign_with(r.key_id, r.id, r.filed_at.to_utc()).unwrap();
    app.clock.set(t("2026-11-18T10:45:00+08:00"));
    kiosk.scan(&token).await;
    let (status, v) = kiosk.check_in(Some(&token), phone, json!({})).await;
    assert_eq!((status, v["verdict"].as_str()), (200, Some("valid")), "{v}");
    v["record"].as_i64().unwrap()
}

async fn manager(app: &TestApp, project: &str, login: &str) -> Client {
    staff(app, project, login, Role::Manager, "9999");
    let c = app.browser();
    staff_sign_in(&c, &app.base, login, "a long password").await;
    c
}

fn location(r: &reqwest::Response) -> String {
    r.headers().get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default()
}

/// The status, and the redirect's target or the page.
async fn answer(r: reqwest::Response) -> (u16, String) {
    let status = r.status().as_u16();
    let to = location(&r);
    (status, if status == 303 { to } else { r.text().await.unwrap() })
}

/// The value of the hidden field `name` of a page's form.
fn hidden(page: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let start = page.find(&key).unwrap_or_else(|| panic!("{name} in {page}")) + key.len();
    page[start..start + page[start..].find('"').unwrap()].to_owned()
}

/// The id in `/staff/<what>/<id>?…`.
fn id_in(location: &str) -> i64 {
    location.rsplit('/').next().unwrap().split(['?', '#']).next().unwrap().parse().unwrap()
}

/// The session's CSRF token (every staff page's sign-out form has it).
async fn token(app: &TestApp, c: &Client) -> String {
    let (status, home) = app.get_text(c, "/staff/home").await;
    assert_eq!(status, 200);
    csrf(&home)
}

/// A subscription entered on the back office's form, with its deposit and
/// down payment: its id.
async fn enter_deal(app: &TestApp, c: &Client, phone: &str, unit: &str, at: &str) -> i64 {
    let (_, form) = app.get_text(c, "/staff/deals/new").await;
    let token = csrf(&form);
    let fields = [
        ("csrf", token.as_str()),
        ("customer_name", "王小明"),
        ("customer_phone", phone),
        ("unit", unit),
        ("product", "residential"),
        ("price_yuan", "2,000,000"),
        ("subscribed_at", at),
        ("deposit_at", at),
        ("down_payment_at", at),
        ("sales_id", ""),
    ];
    let (status, to) = answer(c.post(app.url("/staff/deals/new")).form(&fields).send().await.unwrap()).await;
    assert_eq!(status, 303, "{to}");
    id_in(&to)
}

/// The form for a dispute about `deal`, as the page gives it (its token
/// and idempotency key), and the key.
async fn dispute_form(app: &TestApp, c: &Client, deal: i64) -> (String, String) {
    let (status, page) = app.get_text(c, &format!("/staff/disputes/new?deal={deal}")).await;
    assert_eq!(status, 200, "{page}");
    let idem = hidden(&page, "idem");
    (page, idem)
}

async fn post_dispute(
    app: &TestApp,
    c: &Client,
    page: &str,
    idem: &str,
    deal: i64,
    claimant: &str,
    claim: &str,
) -> (u16, String) {
    let deal = deal.to_string();
    let fields = [
        ("csrf", csrf(page)),
        ("idem", idem.to_owned()),
        ("deal", deal),
        ("claimant", claimant.to_owned()),
        ("kind", "collision".to_owned()),
        ("claim", claim.to_owned()),
    ];
    answer(c.post(app.url("/staff/disputes")).form(&fields).send().await.unwrap()).await
}

/// A deal of agency A's customer, attributed to A, and a dispute a manager
/// opened about it for agency B: (the manager, the deal, the dispute).
async fn disputed_deal(app: &TestApp) -> (Client, i64, i64) {
    let kiosk = Kiosk::ready(app, "demo").await;
    valid_visit(app, &kiosk, CUSTOMER).await;
    app.clock.set(t("2026-11-18T11:30:00+08:00"));
    let boss = manager(app, "demo", "boss-demo").await;
    let deal = enter_deal(app, &boss, CUSTOMER, "3-1-1201", "2026-11-18T11:00").await;
    let a = app.store.attribution(deal).unwrap().expect("attributed");
    assert_eq!((a.agency.as_deref(), a.channel_performance), (Some(AGENCY_A), true), "{a:?}");
    let (page, idem) = dispute_form(app, &boss, deal).await;
    let claimant = app.rival_agency.to_string();
    let (status, to) = post_dispute(app, &boss, &page, &idem, deal, &claimant, "客户由我方先带看,有通话记录为证").await;
    assert_eq!(status, 303, "{to}");
    assert!(to.ends_with("?done=opened"), "{to}");
    (boss, deal, id_in(&to))
}

/// Posts the office's evidence form with the session's token `token`.
async fn upload(app: &TestApp, c: &Client, token: &str, id: i64, name: &str, bytes: Vec<u8>) -> (u16, String) {
    let form = Form::new()
        .text("csrf", token.to_owned())
        .text("kind", "statement")
        .text("note", "案场核实材料")
        .part("file", Part::bytes(bytes).file_name(name.to_owned()));
    answer(c.post(app.url(&format!("/staff/disputes/{id}/evidence"))).multipart(form).send().await.unwrap()).await
}

async fn rule(app: &TestApp, c: &Client, id: i64, outcome: &str, percent: &str, reasons: &str) -> (u16, String) {
    let fields = [
        ("csrf", token(app, c).await),
        ("outcome", outcome.into()),
        ("percent", percent.into()),
        ("reasons", reasons.into()),
    ];
    answer(c.post(app.url(&format!("/staff/disputes/{id}/rule"))).form(&fields).send().await.unwrap()).await
}

fn all_disputes(app: &TestApp) -> usize {
    app.store.disputes(&DisputeFilter::default(), 1000).unwrap().len()
}

#[tokio::test]
async fn a_manager_opens_a_dispute_for_one_agency_against_anothers_deal_and_finds_it_in_the_deadline_list() {
    let app = TestApp::spawn().await;
    let (boss, deal, id) = disputed_deal(&app).await;
    let d = app.store.dispute(id).unwrap();
    assert_eq!((d.claimant_agency_id, d.respondent_agency_id), (Some(app.rival_agency), Some(app.agency)));
    assert_eq!(d.subscription_id, Some(deal));
    assert!(d.opened_by.starts_with("staff:"), "{}", d.opened_by);
    assert_eq!(app.store.ledger_row(d.opened_seq).unwrap().kind, "dispute");

    // The deadline list: parties by name, what it waits for, the due date.
    let (status, list) = app.get_text(&boss, "/staff/disputes").await;
    assert_eq!(status, 200, "{list}");
    let deadlines = &list[list.find("id=\"deadline-list\"").expect("a deadline list")..];
    let row = &deadlines[deadlines.find(&format!("data-dispute=\"{id}\"")).expect("the dispute is listed")..];
    let row = &row[..row.find("</tr>").unwrap()];
    for expected in [AGENCY_A, AGENCY_B, "等待证明材料", "138****5678", "2026-11-21", "还剩 3 天"] {
        assert!(row.contains(expected), "{expected} in {row}");
    }
    assert!(!list.contains(CUSTOMER), "the customer's phone is masked");
    assert!(list.contains("处理中 <span class=\"count\">1</span>"), "the status tab counts it: {list}");
    // The list marks nothing read; the dispute's page does.
    assert_eq!(app.store.unread_dispute_notices(Recipient::Managers("demo")).unwrap(), 1);
    let (status, page) = app.get_text(&boss, &format!("/staff/disputes/{id}")).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("客户由我方先带看") && page.contains(&format!("href=\"/staff/deals/{deal}\"")), "{page}");
    assert!(page.contains("/replay\""), "the visit can be judged again from the page: {page}");
    assert_eq!(app.store.unread_dispute_notices(Recipient::Managers("demo")).unwrap(), 0);

    // A second dispute of the same claimant about the same deal, while the
    // first is live, is refused: evidence goes to the first.
    let (form, idem) = dispute_form(&app, &boss, deal).await;
    let claimant = app.rival_agency.to_string();
    let (status, page) = post_dispute(&app, &boss, &form, &idem, deal, &claimant, "再次提出同一申诉").await;
    assert_eq!(status, 409, "{page}");
    assert!(page.contains("已有一件处理中的申诉") && page.contains("再次提出同一申诉"), "{page}");
    assert_eq!(all_disputes(&app), 1);

    // A deal whose deposit is older than the objection period: the form
    // comes back with the store's message and what was typed.
    let old = enter_deal(&app, &boss, "13900002222", "3-1-1202", "2026-11-01T10:00").await;
    let (form, idem) = dispute_form(&app, &boss, old).await;
    let (status, page) = post_dispute(&app, &boss, &form, &idem, old, &claimant, "定金之后才发现撞单").await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("已超过提出异议的期限") && page.contains("2026-11-06"), "{page}");
    assert!(page.contains("定金之后才发现撞单"), "the claim is kept: {page}");
    assert_eq!(hidden(&page, "idem"), idem, "the same form, the same key");
    assert_eq!(all_disputes(&app), 1, "nothing was opened");
}

#[tokio::test]
async fn a_double_submitted_form_opens_one_dispute() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    valid_visit(&app, &kiosk, CUSTOMER).await;
    app.clock.set(t("2026-11-18T11:30:00+08:00"));
    let boss = manager(&app, "demo", "boss-demo").await;
    let deal = enter_deal(&app, &boss, CUSTOMER, "3-1-1201", "2026-11-18T11:00").await;
    let (form, idem) = dispute_form(&app, &boss, deal).await;
    let claimant = app.rival_agency.to_string();
    let (s1, to1) = post_dispute(&app, &boss, &form, &idem, deal, &claimant, "客户由我方先带看").await;
    let (s2, to2) = post_dispute(&app, &boss, &form, &idem, deal, &claimant, "客户由我方先带看").await;
    assert_eq!((s1, s2), (303, 303), "{to1} {to2}");
    assert_eq!(id_in(&to1), id_in(&to2), "the second submit answers with the first dispute");
    assert_eq!(all_disputes(&app), 1);
}

#[tokio::test]
async fn office_evidence_is_checked_by_content_sealed_by_hash_and_served_to_the_projects_staff_only() {
    let app = TestApp::spawn().await;
    let (boss, _, id) = disputed_deal(&app).await;
    let session = token(&app, &boss).await;
    let png = panke::demo::signature_png(7);
    let (status, to) = upload(&app, &boss, &session, id, "客户声明.png", png.clone()).await;
    assert_eq!(status, 303, "{to}");
    assert!(to.ends_with("?done=evidence"), "{to}");
    let files = app.store.dispute_evidence(id, None).unwrap();
    assert_eq!(files.len(), 1);
    let e = &files[0];
    assert_eq!((e.party.code(), e.agency_id, e.mime.as_str()), ("office", None, "image/png"));
    assert_eq!(e.original_sha256, panke::crypto::sha256_hex(&png), "the upload's own hash is kept");
    let entry = app.store.ledger_row(e.ledger_seq).unwrap();
    assert_eq!(entry.kind, "dispute");
    assert!(entry.body.contains(&e.sha256) && entry.body.contains(&e.original_sha256), "{}", entry.body);
    let (_, page) = app.get_text(&boss, &format!("/staff/disputes/{id}")).await;
    assert!(page.contains(&e.sha256[..12]) && page.contains(&format!("title=\"{}\"", e.sha256)), "{page}");
    assert!(page.contains(&format!("#{}", e.ledger_seq)), "the sealing entry is named");

    // The download: the stored file, as an attachment, never cached.
    let r = boss.get(app.url(&format!("/staff/disputes/{id}/evidence/{}", e.id))).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.headers()["cache-control"], "private, no-store");
    let disposition = r.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(disposition.starts_with("attachment;") && disposition.contains("filename*=UTF-8''"), "{disposition}");
    let bytes = r.bytes().await.unwrap();
    assert_eq!(panke::crypto::sha256_hex(&bytes), e.sha256);

    // A program named like a photo is refused, saying what is accepted.
    let elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0 payload".to_vec();
    let (status, page) = upload(&app, &boss, &session, id, "evidence.jpg", elf).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("只接受 JPEG"), "{page}");
    // Over the limit: refused before anything is stored.
    let big = [b"%PDF-1.4\n".to_vec(), vec![b'x'; 12 * 1024 * 1024]].concat();
    let (status, _) = upload(&app, &boss, &session, id, "big.pdf", big).await;
    assert!(status == 413 || status == 422, "{status}");
    assert_eq!(app.store.dispute_evidence(id, None).unwrap().len(), 1, "only the PNG is stored");

    // Another project's manager gets nothing, not even its existence.
    let other = manager(&app, "strict", "boss-strict").await;
    let r = other.get(app.url(&format!("/staff/disputes/{id}/evidence/{}", e.id))).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let body = r.bytes().await.unwrap();
    assert_ne!(panke::crypto::sha256_hex(&body), e.sha256);
    assert_eq!(app.store.verify_ledger().unwrap(), Ok(app.store.ledger_len().unwrap()));
}

#[tokio::test]
async fn a_split_ruling_attributes_the_deal_again_the_ledger_verifies_and_a_second_ruling_is_refused() {
    let app = TestApp::spawn().await;
    let (boss, deal, id) = disputed_deal(&app).await;
    let before = app.store.attribution_entries(deal).unwrap().len();
    // A split needs its percentage; the form keeps what was typed.
    let (status, page) = rule(&app, &boss, id, "split", "", "双方均有带看证据").await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("双方均有带看证据"), "{page}");
    assert!(app.store.dispute(id).unwrap().rulings.is_empty());

    let (status, to) = rule(&app, &boss, id, "split", "30", "双方均有带看证据,按三七分配").await;
    assert_eq!(status, 303, "{to}");
    assert!(to.ends_with("?done=ruled"), "{to}");
    let d = app.store.dispute(id).unwrap();
    assert_eq!((d.status.code(), d.rulings.len()), ("ruled", 1));
    let ruling_entry = app.store.ledger_row(d.rulings[0].ledger_seq).unwrap();
    assert_eq!(ruling_entry.kind, "dispute");

    // A new attribution entry, made by the ruling, over the one it replaces.
    let entries = app.store.attribution_entries(deal).unwrap();
    assert_eq!(entries.len(), before + 1);
    let newest = &entries[0];
    assert_eq!(newest.body.cause, format!("ruling:{id}"));
    assert_eq!(newest.body.replaces, Some(entries[1].seq));
    let award = newest.body.ruling.as_ref().expect("the award is sealed with the entry");
    assert_eq!((award.agency.as_deref(), award.percent), (Some(AGENCY_B), 30));
    assert_eq!((award.co_agency.as_deref(), award.co_percent), (Some(AGENCY_A), 70));
    let a = app.store.attribution(deal).unwrap().unwrap();
    assert_eq!((a.ledger_seq, a.agency.as_deref()), (newest.seq, Some(AGENCY_B)));
    // What `panke verify` runs.
    assert_eq!(app.store.verify_ledger().unwrap(), Ok(app.store.ledger_len().unwrap()));

    let (_, page) = app.get_text(&boss, &format!("/staff/disputes/{id}")).await;
    assert!(page.contains("按比例分配:申诉方 30%,被申诉方 70%") && page.contains("按三七分配"), "{page}");
    assert!(!page.contains("id=\"rule-form\""), "nothing left to rule");

    // Ruled once: a second ruling is a conflict, and nothing is appended.
    let entries_now = app.store.ledger_len().unwrap();
    let (status, page) = rule(&app, &boss, id, "upheld", "", "改判:支持申诉方").await;
    assert_eq!(status, 409, "{page}");
    assert!(page.contains("已裁决"), "{page}");
    assert_eq!(app.store.ledger_len().unwrap(), entries_now);
    assert_eq!(app.store.dispute(id).unwrap().rulings.len(), 1);
}

/// Every dispute route for `c`: the list, the form, opening, the page, the
/// ruling, the evidence upload and download — their statuses.
async fn every_route(app: &TestApp, c: &Client, deal: i64, id: i64, evidence: i64) -> Vec<u16> {
    let session = token(app, c).await;
    let mut out = Vec::new();
    for path in
        ["/staff/disputes".to_owned(), format!("/staff/disputes/new?deal={deal}"), format!("/staff/disputes/{id}")]
    {
        out.push(c.get(app.url(&path)).send().await.unwrap().status().as_u16());
    }
    let deal_text = deal.to_string();
    let open = [
        ("csrf", session.as_str()),
        ("idem", "abc123"),
        ("deal", deal_text.as_str()),
        ("claimant", "site"),
        ("kind", "other"),
        ("claim", "越权提交的申诉"),
    ];
    out.push(c.post(app.url("/staff/disputes")).form(&open).send().await.unwrap().status().as_u16());
    let ruling = [("csrf", session.as_str()), ("outcome", "upheld"), ("percent", ""), ("reasons", "越权提交的裁决")];
    let r = c.post(app.url(&format!("/staff/disputes/{id}/rule"))).form(&ruling).send().await.unwrap();
    out.push(r.status().as_u16());
    out.push(upload(app, c, &session, id, "x.png", panke::demo::signature_png(3)).await.0);
    let r = c.get(app.url(&format!("/staff/disputes/{id}/evidence/{evidence}"))).send().await.unwrap();
    out.push(r.status().as_u16());
    out
}

#[tokio::test]
async fn desk_clerks_and_sales_consultants_are_refused_and_another_projects_manager_finds_nothing() {
    let app = TestApp::spawn().await;
    let (boss, deal, id) = disputed_deal(&app).await;
    let session = token(&app, &boss).await;
    let (status, _) = upload(&app, &boss, &session, id, "证明.png", panke::demo::signature_png(7)).await;
    assert_eq!(status, 303);
    let evidence = app.store.dispute_evidence(id, None).unwrap()[0].id;
    let entries = app.store.ledger_len().unwrap();
    // Kiosk::ready made the demo project's desk clerk and sales consultant.
    for login in ["desk-demo", "sales-demo"] {
        let c = app.browser();
        staff_sign_in(&c, &app.base, login, "a long password").await;
        assert_eq!(every_route(&app, &c, deal, id, evidence).await, vec![403; 7], "{login}");
    }
    let other = manager(&app, "strict", "boss-strict").await;
    assert_eq!(every_route(&app, &other, deal, id, evidence).await, vec![200, 404, 404, 404, 404, 404, 404]);
    let (_, list) = app.get_text(&other, "/staff/disputes").await;
    assert!(!list.contains(&format!("data-dispute=\"{id}\"")), "another project's list does not show it");
    // Nothing any of them sent was kept.
    assert_eq!(app.store.ledger_len().unwrap(), entries);
    assert_eq!(all_disputes(&app), 1);
    assert!(app.store.dispute(id).unwrap().rulings.is_empty());
    // The manager of the project, and an admin, do see it.
    assert_eq!(app.get_text(&boss, &format!("/staff/disputes/{id}")).await.0, 200);
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
    let admin = app.browser();
    staff_sign_in(&admin, &app.base, "group-admin", "a long password").await;
    let (status, list) = app.get_text(&admin, "/staff/disputes").await;
    assert_eq!(status, 200);
    assert!(list.contains(&format!("data-dispute=\"{id}\"")), "an admin sees every project's disputes");
}
