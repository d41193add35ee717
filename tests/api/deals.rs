//! Deals (认购 → 签约 / 退订) and their attribution (渠道业绩) over HTTP:
//! entered, imported (CSV, xlsx) and sent by the developer's system; sealed
//! in the ledger and re-attributed — never edited — when a visit is voided
//! or a spouse is linked; a contracted customer can no longer be reported;
//! employees are never channel performance; and who may do any of it.

use super::helpers::{AGENT_PHONE, TestApp, csrf, staff_sign_in, t};
use super::kiosk::{Kiosk, staff};
use panke::domain::attribute::AttributeReason;
use panke::domain::phone::Phone;
use panke::domain::rules::Rules;
use panke::domain::token::ReportId;
use panke::store::deals::{DealFilter, DealStatus, NewSubscription, SubscriptionText};
use panke::store::people::{By, NewStaff, Role};
use reqwest::Client;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

const AGENCY: &str = "链家-天河店";
const CUSTOMER: &str = "13812345678";
const SPOUSE: &str = "13900001111";

/// A valid visit of `phone` for the agency at 10:45 (its report filed at
/// 10:00): the visit record's number.
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

/// The id in `/staff/deals/<id>?…`.
fn deal_id(location: &str) -> i64 {
    location.trim_start_matches("/staff/deals/").split(['?', '#']).next().unwrap().parse().unwrap()
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text.find(start).unwrap_or_else(|| panic!("{start} in {text}")) + start.len();
    &text[from..from + text[from..].find(end).unwrap()]
}

/// The back office's entry form, filled in and posted.
async fn enter(app: &TestApp, c: &Client, phone: &str, unit: &str, at: &str) -> (u16, String) {
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
        ("sales_id", ""),
    ];
    answer(c.post(app.url("/staff/deals/new")).form(&fields).send().await.unwrap()).await
}

/// A file posted to an upload form (`page` holds the session's token).
async fn upload(app: &TestApp, c: &Client, page: &str, path: &str, name: &str, bytes: Vec<u8>) -> (u16, String) {
    let (_, form_page) = app.get_text(c, page).await;
    let form = Form::new().text("csrf", csrf(&form_page)).part("file", Part::bytes(bytes).file_name(name.to_owned()));
    answer(c.post(app.url(path)).multipart(form).send().await.unwrap()).await
}

async fn import(app: &TestApp, c: &Client, name: &str, bytes: Vec<u8>) -> (u16, String) {
    upload(app, c, "/staff/deals/import", "/staff/deals/import", name, bytes).await
}

fn all_deals(app: &TestApp) -> usize {
    app.store.deals_page(&DealFilter::default(), None, 1000).unwrap().len()
}

#[tokio::test]
async fn a_subscription_covered_by_a_valid_visit_is_the_agencys_channel_performance_sealed_in_the_ledger() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    let visit = valid_visit(&app, &kiosk, CUSTOMER).await;
    let boss = manager(&app, "demo", "boss-demo").await;
    let (status, to) = enter(&app, &boss, CUSTOMER, "3-1-1201", "2026-11-20T15:00").await;
    assert_eq!(status, 303, "{to}");
    assert!(to.ends_with("?done=entered"), "{to}");
    let id = deal_id(&to);
    let a = app.store.attribution(id).unwrap().expect("attributed when entered");
    assert!(a.channel_performance && a.reasons.is_empty(), "{a:?}");
    assert_eq!(a.agency.as_deref(), Some(AGENCY));
    assert_eq!(a.visit_seq, Some(visit), "the covering visit is the kiosk's record");
    let entry = app.store.ledger_row(a.ledger_seq).unwrap();
    assert_eq!(entry.kind, "attribution");
    let body = entry.body_json().unwrap();
    assert_eq!((body["cause"].as_str(), body["replaces"].is_null()), (Some("entered"), true));
    assert_eq!(body["result"]["channel_performance"], true);
    assert_eq!(body["subscription"]["price_fen"], 200_000_000);
    assert!(!entry.body.contains(CUSTOMER), "the ledger keeps the customer's phone masked: {}", entry.body);
    assert_eq!(app.store.verify_ledger().unwrap(), Ok(2), "the visit and its attribution, both sealed");
    // The list and the page say so, in words, with the amount.
    let (_, list) = app.get_text(&boss, "/staff/deals").await;
    let row = between(&list, &format!("data-deal=\"{id}\""), "</tr>");
    assert!(row.contains("data-performance=\"yes\"") && row.contains(AGENCY) && row.contains("¥2,000,000.00"), "{row}");
    let (_, page) = app.get_text(&boss, &format!("/staff/deals/{id}")).await;
    assert!(page.contains(&format!("href=\"/records/{visit}\"")), "the covering visit is linked: {page}");
    // Entering the same subscription again adds nothing.
    let (_, again) = enter(&app, &boss, CUSTOMER, "3-1-1201", "2026-11-20T15:00").await;
    assert_eq!((deal_id(&again), again.ends_with("?done=existing")), (id, true), "{again}");
    assert_eq!(app.store.ledger_len().unwrap(), 2);
}

#[tokio::test]
async fn an_export_with_one_bad_line_imports_nothing_and_names_the_line() {
    let app = TestApp::spawn().await;
    let boss = manager(&app, "demo", "boss-demo").await;
    let csv = "认购单号,客户名称,联系电话,房间,业态,成交总价(元),认购日期\n\
               A-1,王小明,13812345678,3-1-1201,住宅,2000000,2026-11-20\n\
               A-2,李四,1380000,3-1-1202,住宅,1500000,2026-11-21\n";
    let (status, page) = import(&app, &boss, "认购台账.csv", csv.as_bytes().to_vec()).await;
    assert_eq!(status, 422, "{page}");
    let line = between(&page, "data-line=\"3\"", "</tr>");
    assert!(line.contains("手机号"), "line 3 is named with what is wrong: {line}");
    assert!(!page.contains("data-line=\"2\""), "line 2 is fine");
    assert_eq!(all_deals(&app), 0, "nothing was imported");
    assert_eq!(app.store.ledger_len().unwrap(), 0);
}

#[tokio::test]
async fn importing_the_same_export_twice_adds_nothing_and_a_later_contract_date_updates_the_status() {
    let app = TestApp::spawn().await;
    let boss = manager(&app, "demo", "boss-demo").await;
    let csv = "云境项目认购台账\n\
               认购单号,客户名称,联系电话,房间,业态,成交总价(元),认购日期,签约日期,置业顾问\n\
               A-1,王小明,13812345678,3-1-1201,住宅,\"2,000,000.00\",2026-11-20,,钱顾问\n\
               A-2,李四,13900002222,3-1-1202,车位,150000,2026-11-21 10:00,,钱顾问\n";
    let (status, to) = import(&app, &boss, "认购台账.csv", csv.as_bytes().to_vec()).await;
    assert_eq!(status, 303, "{to}");
    assert!(to.contains("added=2") && to.contains("present=0"), "{to}");
    let entries = app.store.ledger_len().unwrap();
    assert_eq!(entries, 2, "each new subscription attributed once");
    let (status, to) = import(&app, &boss, "认购台账.csv", csv.as_bytes().to_vec()).await;
    assert_eq!(status, 303, "{to}");
    assert!(to.contains("added=0") && to.contains("present=2"), "{to}");
    assert_eq!((all_deals(&app), app.store.ledger_len().unwrap()), (2, entries), "nothing new, nothing appended");
    // The export a week later brings A-1's contract.
    let signed = csv.replace("2026-11-20,,钱顾问", "2026-11-20,2026-11-27,钱顾问");
    let (status, to) = import(&app, &boss, "认购台账.csv", signed.into_bytes()).await;
    assert_eq!(status, 303, "{to}");
    assert!(to.contains("added=0") && to.contains("updated=1"), "{to}");
    let a1 = app.store.subscription_by_external("demo", "A-1").unwrap().unwrap();
    assert_eq!(a1.status, DealStatus::Contracted);
    assert_eq!(a1.contracted_at.as_deref(), Some("2026-11-27T23:59:59+08:00"));
    assert_eq!(a1.price_fen, 200_000_000);
    let audit = app.store.audit_entries(100).unwrap();
    assert!(audit.iter().any(|e| e.action == "deal.contract" && e.detail.contains(&format!("subscription {}", a1.id))));
    assert!(audit.iter().filter(|e| e.action == "deal.import").count() == 3);
    assert_eq!(app.store.verify_ledger().unwrap(), Ok(2));
}

#[tokio::test]
async fn an_xlsx_export_is_read_by_its_column_names_and_a_bad_row_is_named_by_its_spreadsheet_row() {
    let app = TestApp::spawn().await;
    let boss = manager(&app, "demo", "boss-demo").await;
    let xlsx = |second_product: &str| {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (col, h) in
            ["客户姓名", "手机号码", "房号", "产品类型", "认购总价", "认购时间", "订单编号"].iter().enumerate()
        {
            sheet.write_string(0, col as u16, *h).unwrap();
        }
        for (row, (name, phone, unit, product)) in
            [("王小明", 13812345678.0, "5-2-801", "车位"), ("赵六", 13700003333.0, "5-2-802", second_product)]
                .into_iter()
                .enumerate()
        {
            let row = row as u32 + 1;
            sheet.write_string(row, 0, name).unwrap();
            // Phones and prices are numbers in the sheet, as Excel keeps them.
            sheet.write_number(row, 1, phone).unwrap();
            sheet.write_string(row, 2, unit).unwrap();
            sheet.write_string(row, 3, product).unwrap();
            sheet.write_number(row, 4, 150000.0).unwrap();
            sheet.write_string(row, 5, "2026-11-20 15:00").unwrap();
            sheet.write_string(row, 6, format!("X-{row}")).unwrap();
        }
        book.save_to_buffer().unwrap()
    };
    let (status, page) = import(&app, &boss, "认购.xlsx", xlsx("飞机")).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("data-line=\"3\""), "the spreadsheet's row 3: {page}");
    assert_eq!(all_deals(&app), 0);
    let (status, to) = import(&app, &boss, "认购.xlsx", xlsx("储藏室")).await;
    assert_eq!(status, 303, "{to}");
    assert!(to.contains("added=2"), "{to}");
    let parking = app.store.subscription_by_external("demo", "X-1").unwrap().unwrap();
    assert_eq!((parking.phone.as_str(), parking.product.as_str()), ("13812345678", "parking"));
    let a = app.store.attribution(parking.id).unwrap().unwrap();
    assert_eq!(a.reasons, vec![AttributeReason::ExcludedProduct, AttributeReason::NoValidVisit]);
}

/// Posts the record page's amendment form (multipart).
async fn amend(app: &TestApp, c: &Client, seq: i64, fields: &[(&str, &str)]) -> (u16, String) {
    let (_, page) = app.get_text(c, &format!("/records/{seq}")).await;
    let mut form = Form::new().text("csrf", csrf(&page));
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    answer(c.post(app.url(&format!("/records/{seq}/amend"))).multipart(form).send().await.unwrap()).await
}

#[tokio::test]
async fn voiding_the_covering_visit_reattributes_with_a_new_entry_and_keeps_the_old_one() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    let visit = valid_visit(&app, &kiosk, CUSTOMER).await;
    let boss = manager(&app, "demo", "boss-demo").await;
    let (_, to) = enter(&app, &boss, CUSTOMER, "3-1-1201", "2026-11-20T15:00").await;
    let id = deal_id(&to);
    let first = app.store.attribution(id).unwrap().unwrap();
    assert!(first.channel_performance);
    let (status, to) = amend(&app, &boss, visit, &[("kind", "void"), ("reason", "假客户:非渠道带看")]).await;
    assert_eq!(status, 303, "{to}");
    let now = app.store.attribution(id).unwrap().unwrap();
    assert!(!now.channel_performance, "{now:?}");
    assert_eq!(now.reasons, vec![AttributeReason::NoValidVisit]);
    assert_eq!((now.agency, now.visit_seq), (None, None));
    let entries = app.store.attribution_entries(id).unwrap();
    assert_eq!(entries.len(), 2, "a new entry; the first one stays");
    let amendment = app.store.amendments_of(visit).unwrap()[0].seq;
    assert_eq!(entries[0].body.cause, format!("amendment:{amendment}"));
    assert_eq!(entries[0].body.replaces, Some(first.ledger_seq));
    assert_eq!(entries[1].seq, first.ledger_seq);
    assert!(entries[1].body.result.channel_performance, "the old entry is there as it was sealed");
    assert_eq!(app.store.ledger_row(first.ledger_seq).unwrap().kind, "attribution");
    assert_eq!(app.store.verify_ledger().unwrap(), Ok(4), "visit, attribution, amendment, attribution");
    // The page lists both, with why the second was made.
    let (_, page) = app.get_text(&boss, &format!("/staff/deals/{id}")).await;
    assert_eq!(page.matches("<tr data-entry=").count(), 2, "{page}");
    assert!(page.contains("到访记录更正"), "{page}");
    // Reinstated: the covering visit counts again, in a third entry.
    let (status, _) = amend(&app, &boss, visit, &[("kind", "reinstate"), ("reason", "核实为真实带看")]).await;
    assert_eq!(status, 303);
    let back = app.store.attribution(id).unwrap().unwrap();
    assert!(back.channel_performance && back.visit_seq == Some(visit), "{back:?}");
    assert_eq!(app.store.attribution_entries(id).unwrap().len(), 3);
}

#[tokio::test]
async fn linking_the_spouse_makes_her_subscription_the_agencys_channel_performance() {
    let mut app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    valid_visit(&app, &kiosk, CUSTOMER).await;
    drop(kiosk);
    let boss = manager(&app, "demo", "boss-demo").await;
    let (_, to) = enter(&app, &boss, SPOUSE, "3-1-1201", "2026-11-20T15:00").await;
    let id = deal_id(&to);
    let before = app.store.attribution(id).unwrap().unwrap();
    assert_eq!(before.reasons, vec![AttributeReason::NoValidVisit], "her own phone never visited");
    let phones = [Phone::parse(CUSTOMER).unwrap(), Phone::parse(SPOUSE).unwrap()];
    app.store.link_group("demo", &phones, "staff:1", "夫妻(结婚证)", t("2026-11-20T16:00:00+08:00")).unwrap();
    let after = app.store.attribution(id).unwrap().unwrap();
    assert!(after.channel_performance, "{after:?}");
    assert_eq!(after.agency.as_deref(), Some(AGENCY));
    let entries = app.store.attribution_entries(id).unwrap();
    assert_eq!((entries.len(), entries[0].body.cause.as_str()), (2, "group"));
    assert_eq!(entries[0].body.customer_phones, vec!["139****1111".to_owned(), "138****5678".to_owned()]);
    assert_eq!(app.store.verify_ledger().unwrap(), Ok(3));
    // Unlinked again: back to her own visits.
    app.store.unlink_group("demo", &phones[1], "staff:1", "录入错误", t("2026-11-20T17:00:00+08:00")).unwrap();
    assert!(!app.store.attribution(id).unwrap().unwrap().channel_performance);
    assert_eq!(app.store.verify_ledger().unwrap(), Ok(4));
}

/// An agency's system files a report of `phone` (the API's JSON answer).
async fn file_by_api(app: &TestApp, key: &str, phone: &str) -> (u16, Value) {
    let body =
        json!({ "project": "demo", "agent_phone": AGENT_PHONE, "customer_name": "王先生", "customer_phone": phone });
    let r = Client::new().post(app.url("/api/v1/reports")).bearer_auth(key).json(&body).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_contracted_customer_can_no_longer_be_reported() {
    let app = TestApp::spawn().await;
    let key = app.store.create_api_key(app.agency, "crm", t("2026-11-18T09:00:00+08:00")).unwrap();
    let boss = manager(&app, "demo", "boss-demo").await;
    let (_, to) = enter(&app, &boss, CUSTOMER, "3-1-1201", "2026-11-18T09:00").await;
    let id = deal_id(&to);
    // Subscribed only: the customer may still be reported.
    let (status, report) = file_by_api(&app, &key, "138****5678").await;
    assert_eq!(status, 201, "{report}");
    let cancel = format!("/api/v1/reports/{}/cancel", report["id"]);
    Client::new().post(app.url(&cancel)).bearer_auth(&key).send().await.unwrap();
    let (_, page) = app.get_text(&boss, &format!("/staff/deals/{id}")).await;
    let fields = [("csrf", csrf(&page)), ("at", "2026-11-18T09:30".to_owned())];
    let (status, to) =
        answer(boss.post(app.url(&format!("/staff/deals/{id}/contract"))).form(&fields).send().await.unwrap()).await;
    assert_eq!((status, to.as_str()), (303, format!("/staff/deals/{id}?done=contracted").as_str()));
    assert_eq!(app.store.subscription(id).unwrap().status, DealStatus::Contracted);
    // 成交客户签订合同后不再受保护: full or masked, the report is refused.
    for phone in ["138****5678", CUSTOMER] {
        let (status, body) = file_by_api(&app, &key, phone).await;
        assert_eq!((status, body["error"]["code"].as_str()), (409, Some("CUSTOMER_CONTRACTED")), "{body}");
    }
    // Contracting twice is refused with the reason.
    let (_, page) = app.get_text(&boss, &format!("/staff/deals/{id}")).await;
    let fields = [("csrf", csrf(&page)), ("at", String::new())];
    let (status, page) =
        answer(boss.post(app.url(&format!("/staff/deals/{id}/contract"))).form(&fields).send().await.unwrap()).await;
    assert_eq!(status, 409);
    assert!(page.contains("已签约"), "{page}");
}

#[tokio::test]
async fn an_employees_purchase_is_never_channel_performance() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    valid_visit(&app, &kiosk, "13700000000").await;
    let boss = manager(&app, "demo", "boss-demo").await;
    let (_, page) = app.get_text(&boss, "/staff/employees").await;
    let fields = [("csrf", csrf(&page)), ("phone", "137-0000-0000".to_owned()), ("note", "员工".to_owned())];
    let (status, to) = answer(boss.post(app.url("/staff/employees")).form(&fields).send().await.unwrap()).await;
    assert_eq!((status, to.as_str()), (303, "/staff/employees?project=demo&done=added"));
    let (_, list) = app.get_text(&boss, "/staff/employees").await;
    assert!(list.contains("137****0000") && !list.contains("13700000000"), "listed masked: {list}");
    let stored: String = app
        .store
        .conn()
        .query_row("SELECT phone_hmac || ' ' || phone_head || ' ' || phone_tail FROM employees", [], |r| r.get(0))
        .unwrap();
    assert!(!stored.contains("13700000000"), "the list keeps no number: {stored}");

    let (_, to) = enter(&app, &boss, "13700000000", "3-1-1201", "2026-11-20T15:00").await;
    let id = deal_id(&to);
    let a = app.store.attribution(id).unwrap().unwrap();
    assert!(!a.channel_performance && a.reasons == vec![AttributeReason::Employee], "{a:?}");
    assert_eq!(a.agency.as_deref(), Some(AGENCY), "the covering visit is still named");

    // Off the list (they left): attributed again, now the agency's.
    let employee = between(&list, "data-employee=\"", "\"").to_owned();
    let (_, page) = app.get_text(&boss, "/staff/employees").await;
    let (status, _) = answer(
        boss.post(app.url(&format!("/staff/employees/{employee}/remove")))
            .form(&[("csrf", csrf(&page))])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 303);
    let a = app.store.attribution(id).unwrap().unwrap();
    assert!(a.channel_performance, "{a:?}");
    assert_eq!(app.store.attribution_entries(id).unwrap()[0].body.cause, "employees");

    // A list imported: all or nothing, line named; then added once.
    let bad = "手机号,备注\n13700000001,家属\n1370000,员工\n".as_bytes().to_vec();
    let (status, page) = upload(&app, &boss, "/staff/employees", "/staff/employees/import", "员工.csv", bad).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("data-line=\"3\""), "{page}");
    assert!(app.store.employees("demo").unwrap().is_empty(), "nothing imported");
    let good = "手机号,备注\n13700000001,家属\n13700000002,员工\n".as_bytes().to_vec();
    let (status, to) =
        upload(&app, &boss, "/staff/employees", "/staff/employees/import", "员工.csv", good.clone()).await;
    assert_eq!(status, 303, "{to}");
    assert!(to.contains("added=2"), "{to}");
    let (_, to) = upload(&app, &boss, "/staff/employees", "/staff/employees/import", "员工.csv", good).await;
    assert!(to.contains("added=0") && to.contains("present=2"), "{to}");
    assert_eq!(app.store.employees("demo").unwrap().len(), 2);
    assert_eq!(app.store.verify_ledger().unwrap(), Ok(3));
}

#[derive(Debug, Clone, Copy)]
enum Who {
    Desk,
    Sales,
    OtherManager,
    Agent,
    Anonymous,
}

async fn browser_for(app: &TestApp, who: Who) -> (Client, String) {
    let login = match who {
        Who::Desk => Some(("desk-demo", Role::Desk, "demo")),
        Who::Sales => Some(("sales-demo", Role::Sales, "demo")),
        Who::OtherManager => Some(("boss-strict", Role::Manager, "strict")),
        Who::Agent => return (app.signed_in(AGENT_PHONE).await, "not-a-token".to_owned()),
        Who::Anonymous => return (app.browser(), "not-a-token".to_owned()),
    };
    let c = app.browser();
    if let Some((login, role, project)) = login {
        staff(app, project, login, role, "2468");
        staff_sign_in(&c, &app.base, login, "a long password").await;
    }
    let (_, home) = app.get_text(&c, "/staff/home").await;
    (c, csrf(&home))
}

#[tokio::test]
async fn every_deals_page_and_action_admits_managers_and_admins_and_refuses_everyone_else() {
    let mut app = TestApp::spawn().await;
    let now = t("2026-11-18T09:00:00+08:00");
    let by = By { actor: "test", project: Some("demo") };
    let text = SubscriptionText {
        customer_name: "王小明".into(),
        customer_phone: CUSTOMER.into(),
        unit: "3-1-1201".into(),
        product: "住宅".into(),
        price_yuan: "2000000".into(),
        subscribed_at: "2026-11-18 08:00".into(),
        ..SubscriptionText::default()
    };
    let new = NewSubscription::parse("demo", &text, None, chrono_tz::Asia::Shanghai).unwrap();
    let id = app.store.enter_subscription(&new, "test", "entered", &Rules::default(), by, now).unwrap().id;
    let (key, _) = app.store.issue_developer_key("demo", "ERP", by, now).unwrap();
    app.store.add_employee("demo", &Phone::parse("13700000000").unwrap(), "员工", by, now).unwrap();
    let employee = app.store.employees("demo").unwrap()[0].id;
    let app = app;

    let pages = [
        "/staff/deals".to_owned(),
        "/staff/deals/new".to_owned(),
        format!("/staff/deals/{id}"),
        "/staff/deals/import".to_owned(),
        "/staff/employees".to_owned(),
    ];
    // Managers and admins open every page.
    let boss = manager(&app, "demo", "boss-demo").await;
    app.store
        .create_staff(
            &NewStaff {
                project_id: None,
                login: "group-admin",
                name: "集团管理员",
                role: Role::Admin,
                password: Some("a long password"),
                pin: None,
            },
            now,
        )
        .unwrap();
    let admin = app.browser();
    staff_sign_in(&admin, &app.base, "group-admin", "a long password").await;
    for c in [&boss, &admin] {
        for page in &pages {
            let (status, body) = app.get_text(c, page).await;
            assert_eq!(status, 200, "{page}: {body}");
        }
    }
    let (_, list) = app.get_text(&boss, "/staff/deals").await;
    assert!(list.contains(&format!("data-deal=\"{id}\"")));

    let csv = "客户名称,联系电话,房间,业态,成交总价,认购日期\n张三,13900009999,1-1-101,住宅,1000000,2026-11-18\n";
    for who in [Who::Desk, Who::Sales, Who::OtherManager, Who::Agent, Who::Anonymous] {
        let (c, token) = browser_for(&app, who).await;
        for page in &pages {
            let r = c.get(app.url(page)).send().await.unwrap();
            let (status, to) = (r.status().as_u16(), location(&r));
            let body = r.text().await.unwrap_or_default();
            match who {
                Who::Desk | Who::Sales => assert_eq!(status, 403, "{who:?} {page}"),
                Who::OtherManager if page.ends_with(&format!("/{id}")) => assert_eq!(status, 404, "{page}"),
                Who::OtherManager => {
                    assert_eq!(status, 200, "{page}");
                    for theirs in [
                        format!("data-deal=\"{id}\""),
                        format!("data-key=\"{key}\""),
                        format!("data-employee=\"{employee}\""),
                    ] {
                        assert!(!body.contains(&theirs), "another project's manager sees {theirs} on {page}");
                    }
                }
                Who::Agent | Who::Anonymous => {
                    assert_eq!(status, 303, "{who:?} {page}");
                    assert!(to.starts_with("/staff/login?next="), "{who:?} {page}: {to}");
                }
            }
        }
        let forms: Vec<(String, Vec<(&str, String)>)> = vec![
            (
                "/staff/deals/new".into(),
                vec![
                    ("project", "demo".into()),
                    ("customer_name", "张三".into()),
                    ("customer_phone", "13900009999".into()),
                    ("unit", "1-1-102".into()),
                    ("product", "residential".into()),
                    ("price_yuan", "1".into()),
                    ("subscribed_at", "2026-11-18T08:00".into()),
                ],
            ),
            (format!("/staff/deals/{id}/contract"), vec![("at", "2026-11-18T09:30".into())]),
            (format!("/staff/deals/{id}/cancel"), vec![("at", "2026-11-18T09:30".into())]),
            ("/staff/deals/keys".into(), vec![("project", "demo".into()), ("label", "偷来的".into())]),
            (format!("/staff/deals/keys/{key}/revoke"), vec![]),
            ("/staff/employees".into(), vec![("project", "demo".into()), ("phone", "13700000009".into())]),
            (format!("/staff/employees/{employee}/remove?project=demo"), vec![]),
        ];
        for (path, mut fields) in forms {
            fields.push(("csrf", token.clone()));
            let r = c.post(app.url(&path)).form(&fields).send().await.unwrap();
            let (status, to) = (r.status().as_u16(), location(&r));
            match who {
                Who::Desk | Who::Sales => assert_eq!(status, 403, "{who:?} POST {path}"),
                Who::OtherManager => assert!(matches!(status, 403 | 404), "{who:?} POST {path}: {status}"),
                Who::Agent | Who::Anonymous => {
                    assert_eq!(status, 303, "{who:?} POST {path}");
                    assert!(to.starts_with("/staff/login?next="), "{who:?} POST {path}: {to}");
                }
            }
        }
        for path in ["/staff/deals/import", "/staff/employees/import"] {
            let form = Form::new()
                .text("csrf", token.clone())
                .text("project", "demo")
                .part("file", Part::bytes(csv.as_bytes().to_vec()).file_name("x.csv"));
            let r = c.post(app.url(path)).multipart(form).send().await.unwrap();
            let status = r.status().as_u16();
            match who {
                Who::Desk | Who::Sales | Who::OtherManager => assert_eq!(status, 403, "{who:?} POST {path}"),
                Who::Agent | Who::Anonymous => assert_eq!(status, 303, "{who:?} POST {path}"),
            }
        }
    }
    // Nothing any of them tried went through.
    assert_eq!(all_deals(&app), 1);
    assert_eq!(app.store.subscription(id).unwrap().status, DealStatus::Subscribed);
    let keys = app.store.developer_keys(None).unwrap();
    assert_eq!((keys.len(), keys[0].revoked_at.is_none()), (1, true));
    assert_eq!(app.store.employees("demo").unwrap().len(), 1);
    assert!(app.store.employees("strict").unwrap().is_empty());
}

#[tokio::test]
async fn the_developers_system_files_with_its_own_key_and_an_agency_key_or_a_revoked_key_is_refused() {
    let app = TestApp::spawn().await;
    let boss = manager(&app, "demo", "boss-demo").await;
    let (_, page) = app.get_text(&boss, "/staff/deals/import").await;
    let fields = [("csrf", csrf(&page)), ("label", "明源ERP".to_owned())];
    let r = boss.post(app.url("/staff/deals/keys")).form(&fields).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let shown = r.text().await.unwrap();
    let key = between(&shown, "id=\"api-key\">", "<").to_owned();
    assert!(key.starts_with("pd_"), "{key}");
    let http = Client::new();
    let call = |method: reqwest::Method, path: &str, key: &str, body: Option<Value>| {
        let mut req = http.request(method, app.url(path)).bearer_auth(key);
        if let Some(b) = body {
            req = req.json(&b);
        }
        async move {
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let body = json!({
        "external_id": "RG-001", "customer_name": "王小明", "customer_phone": CUSTOMER, "unit": "3-1-1201",
        "product": "住宅", "price_yuan": 2000000, "subscribed_at": "2026-11-18T09:30:00+08:00"
    });
    let (status, created) = call(reqwest::Method::POST, "/api/v1/subscriptions", &key, Some(body.clone())).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["customer_phone"], "138****5678", "the API never answers a full number");
    assert_eq!((created["price_yuan"].as_str(), created["status"].as_str()), (Some("2000000.00"), Some("subscribed")));
    assert_eq!(created["attribution"]["channel_performance"], false);
    assert_eq!(created["attribution"]["reasons"], json!(["NO_VALID_VISIT"]));
    let (status, again) = call(reqwest::Method::POST, "/api/v1/subscriptions", &key, Some(body.clone())).await;
    assert_eq!((status, &again["id"]), (200, &created["id"]), "the same external_id: the same subscription");
    let (status, shown) = call(reqwest::Method::GET, "/api/v1/subscriptions/RG-001", &key, None).await;
    assert_eq!((status, shown["attribution"]["ledger_seq"].as_i64()), (200, Some(1)), "{shown}");
    let (status, contracted) = call(reqwest::Method::POST, "/api/v1/subscriptions/RG-001/contract", &key, None).await;
    assert_eq!((status, contracted["status"].as_str()), (200, Some("contracted")), "{contracted}");
    let (status, twice) = call(reqwest::Method::POST, "/api/v1/subscriptions/RG-001/contract", &key, None).await;
    assert_eq!((status, twice["error"]["code"].as_str()), (409, Some("CONFLICT")), "{twice}");
    let (status, missing) = call(reqwest::Method::GET, "/api/v1/subscriptions/RG-404", &key, None).await;
    assert_eq!((status, missing["error"]["code"].as_str()), (404, Some("NOT_FOUND")));
    let (status, bad) =
        call(reqwest::Method::POST, "/api/v1/subscriptions", &key, Some(json!({ "external_id": "RG-002" }))).await;
    assert_eq!((status, bad["error"]["code"].as_str()), (422, Some("BAD_JSON")), "{bad}");

    // An agency's key is not the developer's.
    let agency_key = app.store.create_api_key(app.agency, "crm", t("2026-11-18T09:00:00+08:00")).unwrap();
    for k in [agency_key.as_str(), "pd_not-a-key"] {
        let (status, refused) = call(reqwest::Method::GET, "/api/v1/subscriptions/RG-001", k, None).await;
        assert_eq!((status, refused["error"]["code"].as_str()), (401, Some("UNAUTHENTICATED")), "{refused}");
    }
    // Revoked on the page: refused from the next request on.
    let (_, page) = app.get_text(&boss, "/staff/deals/import").await;
    let id = between(&page, "data-key=\"", "\"").to_owned();
    let (status, to) = answer(
        boss.post(app.url(&format!("/staff/deals/keys/{id}/revoke")))
            .form(&[("csrf", csrf(&page))])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 303, "{to}");
    let (status, refused) = call(reqwest::Method::GET, "/api/v1/subscriptions/RG-001", &key, None).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (401, Some("UNAUTHENTICATED")));
    let audit = app.store.audit_entries(100).unwrap();
    for action in ["deal.developer_key", "deal.developer_key_revoke", "deal.subscribe", "deal.contract"] {
        assert!(audit.iter().any(|e| e.action == action), "{action} audited");
    }
    assert_eq!(app.store.verify_ledger().unwrap(), Ok(1));
}

#[tokio::test]
async fn a_first_valid_visit_after_the_subscription_reattributes_it_as_subscribed_before_the_visit() {
    let app = TestApp::spawn().await;
    let boss = manager(&app, "demo", "boss-demo").await;
    let (_, to) = enter(&app, &boss, CUSTOMER, "3-1-1201", "2026-11-17T15:00").await;
    let id = deal_id(&to);
    assert_eq!(app.store.attribution(id).unwrap().unwrap().reasons, vec![AttributeReason::NoValidVisit]);
    // The customer is brought the next day: the check-in re-attributes.
    let kiosk = Kiosk::ready(&app, "demo").await;
    let seq = valid_visit(&app, &kiosk, CUSTOMER).await;
    let after = app.store.attribution(id).unwrap().unwrap();
    assert_eq!(after.reasons, vec![AttributeReason::SubscribedBeforeVisit], "{after:?}");
    let entries = app.store.attribution_entries(id).unwrap();
    assert_eq!(entries[0].body.cause, format!("visit:{seq}"));
    assert!(app.store.verify_ledger().unwrap().is_ok());
}

#[tokio::test]
async fn an_earlier_contract_end_reattributes_the_agencys_deals_after_the_grace() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    valid_visit(&app, &kiosk, CUSTOMER).await;
    let boss = manager(&app, "demo", "boss-demo").await;
    let (_, to) = enter(&app, &boss, CUSTOMER, "3-1-1201", "2026-11-20T15:00").await;
    let id = deal_id(&to);
    assert!(app.store.attribution(id).unwrap().unwrap().channel_performance);
    let root = NewStaff {
        project_id: None,
        login: "root",
        name: "集团管理员",
        role: Role::Admin,
        password: Some("a long password"),
        pin: None,
    };
    app.store.create_staff(&root, t("2026-11-18T08:00:00+08:00")).unwrap();
    let admin = app.browser();
    staff_sign_in(&admin, &app.base, "root", "a long password").await;
    let page = admin.get(app.url(&format!("/staff/people/agencies/{}", app.agency))).send().await.unwrap();
    let token = csrf(&page.text().await.unwrap());
    // The contract ended on 31 October: 15 days' grace end on 15 November.
    let r = admin
        .post(app.url(&format!("/staff/people/agencies/{}/contract", app.agency)))
        .form(&[("csrf", token.as_str()), ("contract_end", "2026-10-31")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let after = app.store.attribution(id).unwrap().unwrap();
    assert_eq!(after.reasons, vec![AttributeReason::AfterContractGrace], "{after:?}");
    let entries = app.store.attribution_entries(id).unwrap();
    assert_eq!(entries[0].body.cause, "agency_contract");
    assert!(app.store.verify_ledger().unwrap().is_ok());
}

/// The whole chain through the real paths: a check-in, a subscription
/// entered and attributed, the settlement statement, the agency's own page,
/// its confirmation initiated and the sheet naming the real ledger entry.
#[tokio::test]
async fn an_entered_deal_reaches_the_settlement_the_agencys_page_and_the_confirmation_sheet() {
    let app = TestApp::spawn().await;
    let kiosk = Kiosk::ready(&app, "demo").await;
    let visit = valid_visit(&app, &kiosk, CUSTOMER).await;
    let boss = manager(&app, "demo", "boss-demo").await;
    let (_, to) = enter(&app, &boss, CUSTOMER, "3-1-1201", "2026-11-20T15:00").await;
    let id = deal_id(&to);
    let attribution = app.store.attribution(id).unwrap().unwrap();
    let statement = boss
        .get(app.url(&format!("/staff/settlement?agency={}&month=2026-11", app.agency)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(statement.contains("3-1-1201") && statement.contains(&format!("/records/{visit}")), "{statement}");
    assert!(!statement.contains(CUSTOMER), "phones masked on the statement");
    // The agency sees its deal; the rival agency does not.
    let agent = app.signed_in(AGENT_PHONE).await;
    let mine = agent.get(app.url("/agent/deals")).send().await.unwrap().text().await.unwrap();
    assert!(mine.contains("3-1-1201") && !mine.contains(CUSTOMER), "{mine}");
    let rival = app.signed_in(super::helpers::RIVAL_PHONE).await;
    let theirs = rival.get(app.url("/agent/deals")).send().await.unwrap().text().await.unwrap();
    assert!(!theirs.contains("3-1-1201"), "{theirs}");
    let r = agent
        .post(app.url(&format!("/agent/deals/{id}/confirmation")))
        .form(&[("csrf", csrf(&mine).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "initiated");
    let sheet =
        agent.get(app.url(&format!("/agent/deals/{id}/confirmation"))).send().await.unwrap().text().await.unwrap();
    assert!(sheet.contains(&format!("No. {}", attribution.ledger_seq)), "the real attribution entry: {sheet}");
    assert!(sheet.contains(&format!("No. {visit}")), "the visit it rests on");
    let r = rival.get(app.url(&format!("/agent/deals/{id}/confirmation"))).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 404);
}
