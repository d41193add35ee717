//! Channel performance (渠道业绩), the settlement statement (结佣对账单), the
//! agency's deal pages and the channel's deal confirmation (渠道成交客户确认单)
//! over real HTTP.
//!
//! Reports and visits go through the real paths: the agent's report form,
//! the kiosk's scan (the first read, 到访) and check-in (the visit record).
//! Subscriptions and their attributions are inserted with SQL through
//! `app.store.conn()`: the deals service that enters and attributes them
//! (`src/service/deals.rs`, `src/store/deals/`) is being written beside
//! this and is not available to these tests yet. The attribution's ledger
//! entry number is therefore a stand-in (`ATTRIBUTION_SEQ + subscription`).

use super::helpers::{AGENT_PHONE, RIVAL_PHONE, TestApp, csrf, staff_sign_in, t};
use super::kiosk::{Kiosk, staff};
use crate::support::TestDeployment;
use panke::config::deployment::Commission;
use panke::domain::token::ReportId;
use panke::store::people::Role;
use serde_json::{Value, json};

const STAFF_PASSWORD: &str = "a long password";
const AGENCY_A: &str = "链家-天河店";
const AGENCY_B: &str = "中原-体育西";
/// Stand-in ledger numbers of the attributions (see the module comment).
const ATTRIBUTION_SEQ: i64 = 900;
const COMMISSION: Commission = Commission::Percent { basis_points: 150 };

/// The demo project with a 1.5 % commission.
fn deployment() -> TestDeployment {
    TestDeployment::new(&[("demo", "[project]\nname = \"云境·演示项目\"\n[commission]\npercent = 1.5\n")])
}

fn a_phone(i: usize) -> String {
    format!("1390000{i:04}")
}

fn b_phone(i: usize) -> String {
    format!("1370000{i:04}")
}

/// An agent files a report for each phone at the clock's time; returns
/// their QR tokens.
async fn file_reports(app: &TestApp, agent_phone: &str, phones: &[String]) -> Vec<String> {
    let c = app.signed_in(agent_phone).await;
    let mut tokens = Vec::new();
    for phone in phones {
        let id = app.filed_id(&c, "demo", "王先生", phone).await;
        let r = app.store.report(ReportId(id)).unwrap();
        tokens.push(app.key_ring.sign_with(r.key_id, r.id, r.filed_at.to_utc()).unwrap());
    }
    tokens
}

/// A subscription and the attribution in force, inserted directly.
struct NewDeal<'a> {
    agency_id: i64,
    agency: &'a str,
    phone: &'a str,
    unit: &'a str,
    product: &'a str,
    price_fen: i64,
    at: &'a str,
    status: &'a str,
    channel_performance: bool,
    reasons: &'a str,
    visit_seq: Option<i64>,
}

fn insert_deal(app: &TestApp, d: NewDeal<'_>) -> i64 {
    let conn = app.store.conn();
    let unix = chrono::DateTime::parse_from_rfc3339(d.at).unwrap().timestamp();
    conn.execute(
        "INSERT INTO subscriptions (project_id, customer_name, phone, phone_head, phone_tail, unit, product, price_fen,
            subscribed_at, subscribed_unix, sales_name, status, source, dedup_key, created_at)
         VALUES ('demo', '王小明', ?1, substr(?1, 1, 3), substr(?1, 8, 4), ?2, ?3, ?4, ?5, ?6, 'sales-demo', ?7,
            'test', ?8, ?5)",
        rusqlite::params![
            d.phone,
            d.unit,
            d.product,
            d.price_fen,
            d.at,
            unix,
            d.status,
            format!("test:{}:{}", d.unit, d.phone)
        ],
    )
    .unwrap();
    let id = conn.last_insert_rowid();
    let visit_at: Option<String> = d
        .visit_seq
        .map(|seq| conn.query_row("SELECT arrived_at FROM visit_index WHERE seq = ?1", [seq], |r| r.get(0)).unwrap());
    conn.execute(
        "INSERT INTO attributions (subscription_id, project_id, ledger_seq, channel_performance, agency, agency_id,
            visit_seq, visit_at, reasons, subscribed_unix, price_fen, attributed_at)
         VALUES (?1, 'demo', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        rusqlite::params![
            id,
            ATTRIBUTION_SEQ + id,
            d.channel_performance,
            d.agency,
            d.agency_id,
            d.visit_seq,
            visit_at,
            d.reasons,
            unix,
            d.price_fen,
            d.at
        ],
    )
    .unwrap();
    id
}

/// November 2026 in the demo project:
///
/// - agency A (链家-天河店) files 10 reports on 11-18; 4 are read at the
///   kiosk, 3 of those checked in (valid visits);
/// - agency B (中原-体育西) files 10; 5 are read, 1 checked in;
/// - A's subscriptions: `a1` (1,234,567.89 元) and `a2` (987,654.32 元,
///   contracted) are channel performance; `a3` is a car park (withheld);
///   `a4` was cancelled. B's: `b1` (1,000,000.00 元).
struct Scenario {
    app: TestApp,
    visits_a: Vec<i64>,
    a1: i64,
    a2: i64,
    a3: i64,
    b1: i64,
}

async fn scenario() -> Scenario {
    let app = TestApp::spawn_in(deployment()).await;
    let (visits_a, visit_b) = {
        let kiosk = Kiosk::ready(&app, "demo").await;
        let a_phones: Vec<String> = (0..10).map(a_phone).collect();
        let b_phones: Vec<String> = (0..10).map(b_phone).collect();
        let a_tokens = file_reports(&app, AGENT_PHONE, &a_phones).await;
        let b_tokens = file_reports(&app, RIVAL_PHONE, &b_phones).await;
        app.clock.set(t("2026-11-18T10:45:00+08:00"));
        for token in a_tokens.iter().take(4).chain(b_tokens.iter().take(5)) {
            let (status, v) = kiosk.scan(token).await;
            assert_eq!(status, 200, "{v}");
        }
        let mut visits_a = Vec::new();
        for (token, phone) in a_tokens.iter().zip(&a_phones).take(3) {
            let (status, v) = kiosk.check_in(Some(token), phone, json!({})).await;
            assert_eq!(status, 200, "{v}");
            assert_eq!(v["verdict"], "valid", "{v}");
            visits_a.push(v["record"].as_i64().unwrap());
        }
        let (status, v) = kiosk.check_in(Some(&b_tokens[0]), &b_phones[0], json!({})).await;
        assert_eq!(status, 200, "{v}");
        (visits_a, v["record"].as_i64().unwrap())
    };
    let (a, b) = (app.agency, app.rival_agency);
    let deal = |agency_id: i64, agency: &'static str, phone: &'static str, unit: &'static str| NewDeal {
        agency_id,
        agency,
        phone,
        unit,
        product: "residential",
        price_fen: 0,
        at: "2026-11-20T15:00:00+08:00",
        status: "subscribed",
        channel_performance: true,
        reasons: "",
        visit_seq: None,
    };
    let a1 = insert_deal(
        &app,
        NewDeal {
            price_fen: 123_456_789,
            visit_seq: Some(visits_a[0]),
            ..deal(a, AGENCY_A, "13900000000", "3-1-1201")
        },
    );
    let a2 = insert_deal(
        &app,
        NewDeal {
            price_fen: 98_765_432,
            at: "2026-11-21T11:00:00+08:00",
            status: "contracted",
            visit_seq: Some(visits_a[1]),
            ..deal(a, AGENCY_A, "13900000001", "3-1-1202")
        },
    );
    let a3 = insert_deal(
        &app,
        NewDeal {
            price_fen: 20_000_000,
            product: "parking",
            channel_performance: false,
            reasons: "EXCLUDED_PRODUCT",
            visit_seq: Some(visits_a[2]),
            ..deal(a, AGENCY_A, "13900000002", "B1-066")
        },
    );
    insert_deal(
        &app,
        NewDeal {
            price_fen: 50_000_000,
            status: "cancelled",
            visit_seq: Some(visits_a[2]),
            ..deal(a, AGENCY_A, "13900000002", "3-1-1203")
        },
    );
    let b1 = insert_deal(
        &app,
        NewDeal { price_fen: 100_000_000, visit_seq: Some(visit_b), ..deal(b, AGENCY_B, "13700000000", "5-2-0801") },
    );
    Scenario { app, visits_a, a1, a2, a3, b1 }
}

/// A browser signed in as a back-office user.
async fn staff_browser(app: &TestApp, login: &str) -> reqwest::Client {
    let c = app.browser();
    staff_sign_in(&c, &app.base, login, STAFF_PASSWORD).await;
    c
}

/// The project's manager (created on first use).
async fn manager(app: &TestApp) -> reqwest::Client {
    if app.store.staff_by_login("boss-demo").unwrap().is_none() {
        staff(app, "demo", "boss-demo", Role::Manager, "9999");
    }
    staff_browser(app, "boss-demo").await
}

/// A workbook's sheet as text cells.
async fn xlsx(c: &reqwest::Client, app: &TestApp, path: &str, sheet: &str) -> Vec<Vec<String>> {
    let r = c.get(app.url(path)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "{path}");
    assert!(r.headers()["content-type"].to_str().unwrap().contains("spreadsheetml"));
    let bytes = r.bytes().await.unwrap().to_vec();
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let range = book.worksheet_range(sheet).unwrap();
    range.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()
}

fn num(cell: &str) -> f64 {
    cell.parse().unwrap_or_else(|_| panic!("not a number: {cell:?}"))
}

fn fen(cell: &str) -> i64 {
    (num(cell) * 100.0).round() as i64
}

/// Posts a form carrying the session's CSRF token (read from `token_page`).
async fn post_csrf(c: &reqwest::Client, app: &TestApp, path: &str, token_page: &str) -> reqwest::Response {
    let (_, page) = app.get_text(c, token_page).await;
    let token = csrf(&page);
    c.post(app.url(path)).form(&[("csrf", token.as_str())]).send().await.unwrap()
}

#[tokio::test]
async fn performance_counts_reports_first_reads_valid_visits_deals_and_rates_per_agency() {
    let s = scenario().await;
    let app = &s.app;
    let c = manager(app).await;
    let (status, page) = app.get_text(&c, "/staff/performance").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains(&format!("data-agency=\"{AGENCY_A}\"")) && page.contains(&format!("data-agency=\"{AGENCY_B}\""))
    );
    assert!(
        page.contains("2,222,222.21"),
        "A's channel-performance amount: a1 + a2, not the car park nor the cancelled one"
    );
    assert!(page.contains("value=\"2026-11-01\"") && page.contains("value=\"2026-11-30\""), "this month by default");
    assert!(!page.contains("id=\"disputes-note\""), "disputes are recorded now: no note saying they are not");
    assert!(page.contains("id=\"disputes-hint\""), "the page says what the disputed column counts");
    // Two charts, drawn on the server, readable without seeing them.
    assert_eq!(page.matches("role=\"img\"").count(), 2, "{page}");
    assert!(page.contains("id=\"chart-volume-desc\"") && page.contains("id=\"chart-deals-desc\""));
    assert!(!page.contains("<script>") && !page.contains("style=\""), "no inline script or style (CSP)");

    // The same table as xlsx: exact figures.
    let rows = xlsx(&c, app, "/staff/performance.xlsx?from=2026-11-01&to=2026-11-30", "渠道业绩").await;
    assert_eq!(rows[0][0], "渠道公司");
    assert_eq!(rows.len(), 4, "header, two agencies, totals: {rows:?}");
    let row = |name: &str| rows.iter().find(|r| r[0] == name).unwrap_or_else(|| panic!("{name} in {rows:?}")).clone();
    let a = row(AGENCY_A);
    assert_eq!((num(&a[1]), num(&a[2]), num(&a[3])), (10.0, 4.0, 3.0), "reports, first reads, valid visits: {a:?}");
    assert!((num(&a[4]) - 0.4).abs() < 1e-9, "arrival rate 4 / 10: {a:?}");
    assert_eq!((num(&a[5]), num(&a[6])), (3.0, 2.0), "subscriptions (not the cancelled one), channel deals: {a:?}");
    assert_eq!(fen(&a[7]), 123_456_789 + 98_765_432);
    assert!((num(&a[8]) - 2.0 / 3.0).abs() < 1e-9, "conversion 2 deals / 3 valid visits: {a:?}");
    assert_eq!(num(&a[9]), 0.0, "no dispute opened in the month");
    let b = row(AGENCY_B);
    assert_eq!((num(&b[1]), num(&b[2]), num(&b[3]), num(&b[5]), num(&b[6])), (10.0, 5.0, 1.0, 1.0, 1.0), "{b:?}");
    assert!((num(&b[4]) - 0.5).abs() < 1e-9 && (num(&b[8]) - 1.0).abs() < 1e-9, "{b:?}");
    let total = row("合计");
    assert_eq!((num(&total[1]), num(&total[2]), num(&total[3])), (20.0, 9.0, 4.0), "{total:?}");
    assert_eq!(fen(&total[7]), 123_456_789 + 98_765_432 + 100_000_000);
    assert!((num(&total[4]) - 0.45).abs() < 1e-9 && (num(&total[8]) - 0.75).abs() < 1e-9, "{total:?}");

    // Another month has nothing.
    let (_, october) = app.get_text(&c, "/staff/performance?from=2026-10-01&to=2026-10-31").await;
    assert!(october.contains("id=\"no-performance\""), "{october}");
}

#[tokio::test]
async fn channel_performance_is_for_managers_and_admins_only() {
    let s = scenario().await;
    let app = &s.app;
    for login in ["desk-demo", "sales-demo"] {
        let c = staff_browser(app, login).await;
        for path in ["/staff/performance", "/staff/performance.xlsx", "/staff/settlement", "/staff/settlement.xlsx"] {
            let (status, _) = app.get_text(&c, path).await;
            assert_eq!(status, 403, "{login} {path}");
        }
    }
    let (status, _) = app.get_text(&app.browser(), "/staff/performance").await;
    assert_eq!(status, 303, "signed out: to the sign-in page");
}

#[tokio::test]
async fn the_daily_rule_flags_ten_reports_with_four_arrivals_but_not_with_five() {
    let s = scenario().await;
    let app = &s.app;
    let c = manager(app).await;
    let (_, page) = app.get_text(&c, "/staff/performance").await;
    assert_eq!(page.matches("<tr class=\"flag\"").count(), 1, "{page}");
    assert!(page.contains(&format!("<tr class=\"flag\" data-agency=\"{AGENCY_A}\" data-day=\"2026-11-18\">")));
    assert!(page.contains("该日报备 10 组,到访 4 组 &lt; 50%:当日争议报备无效"), "{page}");
    assert!(!page.contains("到访 5 组"), "B: 5 of 10 arrived, exactly half, is not flagged");
    let flags = xlsx(&c, app, "/staff/performance.xlsx", "到访率预警").await;
    assert_eq!(flags.len(), 2, "{flags:?}");
    assert_eq!(flags[1][..4], ["2026-11-18".to_owned(), AGENCY_A.to_owned(), "10".to_owned(), "4".to_owned()]);
    // The agency sees its own flag on its page; the other agency sees none.
    let agent = app.signed_in(AGENT_PHONE).await;
    let (_, mine) = app.get_text(&agent, "/agent/deals?month=2026-11").await;
    assert!(mine.contains("该日报备 10 组,到访 4 组"), "{mine}");
    let rival = app.signed_in(RIVAL_PHONE).await;
    let (_, theirs) = app.get_text(&rival, "/agent/deals?month=2026-11").await;
    assert!(!theirs.contains("该日报备"), "{theirs}");
}

#[tokio::test]
async fn the_settlement_totals_equal_the_sum_of_their_rows() {
    let s = scenario().await;
    let app = &s.app;
    let c = manager(app).await;
    let path = format!("/staff/settlement.xlsx?agency={}&month=2026-11", app.agency);
    let rows = xlsx(&c, app, &path, "结佣对账单").await;
    assert_eq!(rows[0][6], "成交价(元)");
    assert_eq!(rows[0][15], "佣金(元)");
    let lines: Vec<&Vec<String>> = rows[1..].iter().filter(|r| r[0] != "合计").collect();
    let total = rows.iter().find(|r| r[0] == "合计").unwrap();
    let ids: Vec<i64> = lines.iter().map(|r| num(&r[1]) as i64).collect();
    assert_eq!(ids, vec![s.a1, s.a2], "the channel-performance deals only, oldest first: {rows:?}");
    assert!(lines.iter().all(|r| r[0] == AGENCY_A), "only the agency's deals");
    let prices: i64 = lines.iter().map(|r| fen(&r[6])).sum();
    let commissions: i64 = lines.iter().map(|r| fen(&r[15])).sum();
    assert_eq!(fen(&total[6]), prices);
    assert_eq!(fen(&total[15]), commissions);
    assert_eq!(num(&total[1]) as usize, lines.len());
    for r in &lines {
        assert_eq!(fen(&r[15]), COMMISSION.of(fen(&r[6])), "1.5 % of the price: {r:?}");
    }
    assert_eq!(commissions, COMMISSION.of(123_456_789) + COMMISSION.of(98_765_432));
    // The evidence chain: report → first read → visit record → deal.
    assert!(
        lines[0][9].parse::<f64>().is_ok() && !lines[0][10].is_empty() && !lines[0][11].is_empty(),
        "{:?}",
        lines[0]
    );
    assert_eq!(num(&lines[0][12]) as i64, s.visits_a[0]);

    // The printable page shows the same rows and totals.
    let (status, page) = app.get_text(&c, &format!("/staff/settlement?agency={}&month=2026-11", app.agency)).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page.matches("<tr data-subscription=").count(), 2);
    assert!(page.contains("2,222,222.21") && page.contains("33,333.33"), "{page}");
    assert!(page.contains("成交价 × 1.50%"));
    assert!(page.contains(&format!("href=\"/records/{}\"", s.visits_a[0])), "the visit record is linked");
    assert!(page.contains("id=\"print\"") && page.contains("settlement.css"));
    assert!(
        !page.contains("1,000,000.00") && !page.contains(&format!("data-subscription=\"{}\"", s.b1)),
        "B's deal is not on A's statement"
    );
    assert!(!page.contains("139****0002"), "neither the car park nor the cancelled unit");
    // The month's overview lists both agencies.
    let (_, overview) = app.get_text(&c, "/staff/settlement?month=2026-11").await;
    assert!(overview.contains("id=\"overview\"") && overview.contains("3,222,222.21"), "{overview}");
}

#[tokio::test]
async fn a_project_without_a_commission_settles_at_zero_and_says_so() {
    let app = TestApp::spawn().await;
    insert_deal(
        &app,
        NewDeal {
            agency_id: app.agency,
            agency: AGENCY_A,
            phone: "13812345678",
            unit: "1-1-101",
            product: "residential",
            price_fen: 300_000_000,
            at: "2026-11-10T10:00:00+08:00",
            status: "subscribed",
            channel_performance: true,
            reasons: "",
            visit_seq: None,
        },
    );
    let c = manager(&app).await;
    let (status, page) = app.get_text(&c, &format!("/staff/settlement?agency={}&month=2026-11", app.agency)).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("未配置佣金"), "{page}");
    assert!(page.contains("3,000,000.00") && page.contains(">0.00<"), "{page}");
}

#[tokio::test]
async fn agency_b_sees_neither_agency_a_deals_nor_its_statements_and_no_full_phone() {
    let s = scenario().await;
    let app = &s.app;
    let rival = app.signed_in(RIVAL_PHONE).await;
    let (status, page) = app.get_text(&rival, "/agent/deals?month=2026-11").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(AGENCY_B) && page.contains("137****0000"), "its own deal, masked");
    assert!(!page.contains(AGENCY_A), "never another agency's name");
    assert!(!page.contains("139****") && !page.contains("1,234,567.89"), "never another agency's deal");
    assert!(!page.contains("13700000000"), "never a full phone");
    let (_, statement) = app.get_text(&rival, "/agent/deals/settlement?month=2026-11").await;
    assert!(statement.contains("1,000,000.00") && statement.contains("15,000.00"), "{statement}");
    assert!(!statement.contains(AGENCY_A) && !statement.contains("1,234,567.89") && !statement.contains("13700000000"));
    // A's deal, its sheet and its confirmation are "not found" for B.
    let (status, _) = app.get_text(&rival, &format!("/agent/deals/{}/confirmation", s.a1)).await;
    assert_eq!(status, 404);
    let r = post_csrf(&rival, app, &format!("/agent/deals/{}/confirmation", s.a1), "/agent/deals").await;
    assert_eq!(r.status().as_u16(), 404);
    assert_eq!(
        app.store.conn().query_row("SELECT count(*) FROM deal_confirmations", [], |r| r.get::<_, i64>(0)).unwrap(),
        0
    );
    // And A sees its own deals, masked, without B's name.
    let agent = app.signed_in(AGENT_PHONE).await;
    let (_, mine) = app.get_text(&agent, "/agent/deals?month=2026-11").await;
    assert!(mine.contains("139****0000") && mine.contains("1,234,567.89"), "{mine}");
    assert!(!mine.contains(AGENCY_B) && !mine.contains("137****0000"));
    assert!(!mine.contains("13900000000") && !mine.contains("13900000001"), "never a full phone");
    let (_, theirs) = app.get_text(&agent, "/agent/deals/settlement?month=2026-11").await;
    assert!(theirs.contains("2,222,222.21") && !theirs.contains(AGENCY_B) && !theirs.contains("1,000,000.00"));
    // The API: B's key cannot reach A's deal; each key lists only its own.
    let now = t("2026-11-22T09:00:00+08:00");
    let key_b = app.store.create_api_key(app.rival_agency, "crm", now).unwrap();
    let http = reqwest::Client::new();
    let r =
        http.post(app.url(&format!("/api/v1/deals/{}/confirmation", s.a1))).bearer_auth(&key_b).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let listed: Value =
        http.get(app.url("/api/v1/deals")).bearer_auth(&key_b).send().await.unwrap().json().await.unwrap();
    let ids: Vec<i64> =
        listed["deals"].as_array().unwrap().iter().map(|d| d["subscription_id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![s.b1]);
    assert_eq!(listed["deals"][0]["customer_phone"], "137****0000");
    assert!(!listed.to_string().contains("13700000000") && !listed.to_string().contains(AGENCY_A));
}

#[tokio::test]
async fn a_deal_confirmation_is_initiated_by_the_channel_then_confirmed_by_sales_and_the_channel_lead() {
    let s = scenario().await;
    let app = &s.app;
    let agent = app.signed_in(AGENT_PHONE).await;
    let (_, deals) = app.get_text(&agent, "/agent/deals").await;
    assert!(deals.contains(&format!("id=\"initiate-{}\"", s.a1)), "{deals}");
    assert!(!deals.contains(&format!("id=\"initiate-{}\"", s.a3)), "a withheld deal offers no confirmation");
    let r = post_csrf(&agent, app, &format!("/agent/deals/{}/confirmation", s.a1), "/agent/deals").await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(r.headers()["location"], format!("/agent/deals/{}/confirmation", s.a1).as_str());
    let r = post_csrf(&agent, app, &format!("/agent/deals/{}/confirmation", s.a3), "/agent/deals").await;
    assert_eq!(r.status().as_u16(), 409, "not channel performance: nothing to confirm");
    let id: i64 = app
        .store
        .conn()
        .query_row("SELECT id FROM deal_confirmations WHERE subscription_id = ?1", [s.a1], |r| r.get(0))
        .unwrap();

    // The sales consultant confirms, then the manager as the channel lead.
    let sales = staff_browser(app, "sales-demo").await;
    let (status, list) = app.get_text(&sales, "/staff/confirmations").await;
    assert_eq!(status, 200, "{list}");
    assert!(list.contains(&format!("id=\"confirm-sales-{id}\"")) && list.contains("139****0000"));
    assert!(!list.contains("13900000000"));
    let r = post_csrf(&sales, app, &format!("/staff/confirmations/{id}/sales"), "/staff/confirmations").await;
    assert_eq!(r.status().as_u16(), 303);
    let boss = manager(app).await;
    let r = post_csrf(&boss, app, &format!("/staff/confirmations/{id}/lead"), "/staff/confirmations").await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, list) = app.get_text(&boss, "/staff/confirmations").await;
    let confirmed_at = list.find("id=\"confirmations-confirmed\"").unwrap();
    let row_at = list.find(&format!("data-confirmation=\"{id}\"")).unwrap();
    assert!(row_at > confirmed_at, "listed among the confirmed: {list}");

    // The sheet: both confirmations, the visit it rests on, the
    // attribution's ledger entry and the visit's receipt with its QR.
    let (status, sheet) = app.get_text(&boss, &format!("/staff/confirmations/{id}/sheet")).await;
    assert_eq!(status, 200, "{sheet}");
    assert!(sheet.contains("渠道成交客户确认单") && sheet.contains("云境·演示项目") && sheet.contains(AGENCY_A));
    assert!(sheet.contains("sales-demo") && sheet.contains("boss-demo"), "who confirmed: {sheet}");
    assert!(!sheet.contains("待确认"), "both confirmed");
    assert!(
        sheet.contains(&format!("No. {}", s.visits_a[0])) && sheet.contains("有效带看") && sheet.contains("保护期至")
    );
    assert!(sheet.contains("2026-12-03 10:45"), "the protection end of the visit");
    assert!(sheet.contains(&format!("No. {}", ATTRIBUTION_SEQ + s.a1)), "the attribution's ledger entry");
    assert!(sheet.contains("class=\"receipt-code\"") && sheet.contains("<svg"), "the receipt code and its QR");
    assert!(sheet.contains("139****0000") && !sheet.contains("13900000000"), "the customer masked");
    assert!(sheet.contains("3-1-1201") && sheet.contains("1,234,567.89") && sheet.contains("2026-11-20"));
    // The agency's copy shows the same confirmations.
    let (status, copy) = app.get_text(&agent, &format!("/agent/deals/{}/confirmation", s.a1)).await;
    assert_eq!(status, 200);
    assert!(copy.contains("sales-demo") && copy.contains("boss-demo") && !copy.contains("13900000000"));
    assert!(!copy.contains("href=\"/records/"), "no links into the back office for the agency");
    // Every step audited.
    let actions: Vec<String> = app.store.audit_entries(50).unwrap().into_iter().map(|a| a.action).collect();
    for action in ["deal_confirmation.initiate", "deal_confirmation.sales", "deal_confirmation.lead"] {
        assert!(actions.iter().any(|a| a == action), "{action} in {actions:?}");
    }
}

#[tokio::test]
async fn only_a_sales_consultant_and_then_a_manager_of_the_project_confirm() {
    let s = scenario().await;
    let app = &s.app;
    let agent = app.signed_in(AGENT_PHONE).await;
    let r = post_csrf(&agent, app, &format!("/agent/deals/{}/confirmation", s.a1), "/agent/deals").await;
    assert_eq!(r.status().as_u16(), 303);
    let id: i64 = app
        .store
        .conn()
        .query_row("SELECT id FROM deal_confirmations WHERE subscription_id = ?1", [s.a1], |r| r.get(0))
        .unwrap();
    let sales_path = format!("/staff/confirmations/{id}/sales");
    let lead_path = format!("/staff/confirmations/{id}/lead");
    // A desk clerk neither lists nor confirms.
    let desk = staff_browser(app, "desk-demo").await;
    assert_eq!(app.get_text(&desk, "/staff/confirmations").await.0, 403);
    assert_eq!(app.get_text(&desk, &format!("/staff/confirmations/{id}/sheet")).await.0, 403);
    assert_eq!(post_csrf(&desk, app, &sales_path, "/staff/home").await.status().as_u16(), 403);
    assert_eq!(post_csrf(&desk, app, &lead_path, "/staff/home").await.status().as_u16(), 403);
    // A manager is no sales consultant; and the lead waits for the sales consultant.
    let boss = manager(app).await;
    assert_eq!(post_csrf(&boss, app, &sales_path, "/staff/confirmations").await.status().as_u16(), 403);
    assert_eq!(post_csrf(&boss, app, &lead_path, "/staff/confirmations").await.status().as_u16(), 409);
    // A sales consultant confirms once, and is no channel lead.
    let sales = staff_browser(app, "sales-demo").await;
    let (_, token_page) = app.get_text(&sales, "/staff/confirmations").await;
    let forged = sales.post(app.url(&sales_path)).form(&[("csrf", "forged")]).send().await.unwrap();
    assert_eq!(forged.status().as_u16(), 403, "a form without the session's token is refused");
    assert!(token_page.contains(&format!("id=\"confirm-sales-{id}\"")));
    assert_eq!(post_csrf(&sales, app, &sales_path, "/staff/confirmations").await.status().as_u16(), 303);
    assert_eq!(post_csrf(&sales, app, &sales_path, "/staff/confirmations").await.status().as_u16(), 409);
    assert_eq!(post_csrf(&sales, app, &lead_path, "/staff/confirmations").await.status().as_u16(), 403);
    // An agent's session is no staff session: sent to the staff sign-in.
    assert_eq!(agent.post(app.url(&lead_path)).form(&[("csrf", "x")]).send().await.unwrap().status().as_u16(), 303);
    assert_eq!(post_csrf(&boss, app, &lead_path, "/staff/confirmations").await.status().as_u16(), 303);
    let c = app.store.deal_confirmation(id).unwrap();
    assert!(
        c.confirmed() && c.sales_name.as_deref() == Some("sales-demo") && c.lead_name.as_deref() == Some("boss-demo")
    );
}

#[tokio::test]
async fn the_agency_api_initiates_the_confirmation_of_its_own_channel_deals_once() {
    let s = scenario().await;
    let app = &s.app;
    let key = app.store.create_api_key(app.agency, "crm", t("2026-11-22T09:00:00+08:00")).unwrap();
    let http = reqwest::Client::new();
    let call = |method: reqwest::Method, path: String| http.request(method, app.url(&path)).bearer_auth(&key);
    let r = call(reqwest::Method::POST, format!("/api/v1/deals/{}/confirmation", s.a2)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "initiated");
    assert_eq!(body["subscription_id"], s.a2);
    let r = call(reqwest::Method::POST, format!("/api/v1/deals/{}/confirmation", s.a2)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "initiating again returns the same sheet");
    let again: Value = r.json().await.unwrap();
    assert_eq!(again["id"], body["id"]);
    let r = call(reqwest::Method::GET, format!("/api/v1/deals/{}/confirmation", s.a2)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = call(reqwest::Method::POST, format!("/api/v1/deals/{}/confirmation", s.a3)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 409, "a withheld deal");
    let r = call(reqwest::Method::POST, format!("/api/v1/deals/{}/confirmation", s.b1)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 404, "another agency's deal");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "NOT_FOUND");
    let r = http.post(app.url(&format!("/api/v1/deals/{}/confirmation", s.a2))).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401, "no key");
    let initiated_by: String = app
        .store
        .conn()
        .query_row("SELECT initiated_by FROM deal_confirmations WHERE subscription_id = ?1", [s.a2], |r| r.get(0))
        .unwrap();
    assert_eq!(initiated_by, format!("api:agency:{}", app.agency));
}
