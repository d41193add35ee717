//! A dispute's ruling that shares a deal (争议裁决分成) counts for both
//! agencies: in channel performance (one subscription and one deal each,
//! the amount by share), in each agency's settlement statement (the deal's
//! commission × the share), on the agencies' own pages and API (their own
//! share, the other side never named), and the dispute in the disputed
//! column of both parties.
//!
//! Everything goes through the real paths: agency A's report, the kiosk's
//! visit, the manager's entry of the subscription (attributed to A), agency
//! B's dispute against A's deal (`Store::open_dispute`), and the manager's
//! ruling, 30 % to B (`service::disputes::rule`), which attributes the deal
//! again.

use super::helpers::{AGENT_PHONE, RIVAL_PHONE, TestApp, t};
use crate::support::TestDeployment;
use panke::config::deployment::Commission;
use panke::domain::dispute::{ClaimKind, Settings};
use panke::store::disputes::{NewDispute, Subject};
use panke::store::performance::{local_days, share_of};
use reqwest::Client;
use serde_json::{Value, json};

const AGENCY_A: &str = "链家-天河店";
const AGENCY_B: &str = "中原-体育西";
const CUSTOMER: &str = "13812345678";
const PRICE_FEN: i64 = 123_456_789;
const COMMISSION: Commission = Commission::Percent { basis_points: 150 };
const SHANGHAI: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

/// The demo project with a 1.5 % commission.
fn deployment() -> TestDeployment {
    TestDeployment::new(&[("demo", "[project]\nname = \"云境·演示项目\"\n[commission]\npercent = 1.5\n")])
}

/// The shared deal, and who is who.
struct Shared {
    app: TestApp,
    boss: Client,
    deal: i64,
    dispute: i64,
    third_agency: i64,
}

/// A's valid visit of the customer, the manager's entry of the
/// subscription, B's dispute and the manager's split ruling (B 30 %, A 70 %).
async fn shared_deal() -> Shared {
    let mut app = TestApp::spawn_in(deployment()).await;
    let third_agency = app.store.create_agency("我爱我家-珠江新城", None, t("2026-11-18T08:00:00+08:00")).unwrap();
    super::deal_fixture::valid_visit(&app, CUSTOMER).await;
    // The manager enters the subscription on the back office's form.
    let (deal, boss_id, boss) = super::deal_fixture::entered_deal(&app, CUSTOMER).await;
    let before = app.store.attributed_deal(deal).unwrap();
    assert_eq!((before.agency_id, before.share_percent, before.dispute_id), (Some(app.agency), 100, None));
    assert!(before.channel_performance, "{before:?}");

    // Agency B disputes A's deal; the manager shares it, 30 % to B.
    let opened = app
        .store
        .open_dispute(
            &NewDispute {
                project_id: "demo",
                subject: Subject::Deal(deal),
                kind: ClaimKind::Collision,
                claim: "该客户由我司先行带看,有通话记录为证",
                claimant_agency_id: Some(app.rival_agency),
                by: "agent:2",
                idempotency_key: None,
            },
            &Settings::default(),
            SHANGHAI,
            t("2026-11-21T09:00:00+08:00"),
        )
        .unwrap();
    assert_eq!(opened.respondent_agency_id, Some(app.agency), "the deal's agency answers the claim");
    panke::service::disputes::rule(
        &mut app.store,
        opened.id,
        "split",
        Some(30),
        "双方均有带看证据,按三七分成",
        boss_id,
        false,
        &format!("staff:{boss_id}"),
        t("2026-11-22T10:00:00+08:00"),
    )
    .unwrap();
    // The clock stays in November (the sessions stay fresh): the pages
    // are asked for the month by name anyway.
    Shared { app, boss, deal, dispute: opened.id, third_agency }
}

/// A workbook's sheet as text cells.
async fn xlsx(c: &Client, app: &TestApp, path: &str, sheet: &str) -> Vec<Vec<String>> {
    let r = c.get(app.url(path)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "{path}");
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

fn row<'a>(rows: &'a [Vec<String>], first: &str) -> &'a Vec<String> {
    rows.iter().find(|r| r[0] == first).unwrap_or_else(|| panic!("{first} in {rows:?}"))
}

#[tokio::test]
async fn a_split_ruling_holds_the_deal_for_both_agencies_with_their_shares() {
    let s = shared_deal().await;
    let app = &s.app;
    let held = app.store.attributed_deal(s.deal).unwrap();
    assert_eq!((held.agency_id, held.agency.as_str(), held.share_percent), (Some(app.rival_agency), AGENCY_B, 30));
    assert_eq!((held.co_agency_id, held.co_agency.as_deref(), held.co_percent), (Some(app.agency), Some(AGENCY_A), 70));
    assert_eq!((held.dispute_id, held.co_side, held.channel_performance), (Some(s.dispute), false, true));
}

#[tokio::test]
async fn channel_performance_counts_a_shared_deal_for_both_agencies_by_share_and_the_dispute_for_both_parties() {
    let s = shared_deal().await;
    let app = &s.app;
    let rows = xlsx(&s.boss, app, "/staff/performance.xlsx?from=2026-11-01&to=2026-11-30", "渠道业绩").await;
    let a = row(&rows, AGENCY_A);
    let b = row(&rows, AGENCY_B);
    assert_eq!((num(&a[5]), num(&a[6])), (1.0, 1.0), "one subscription, one deal for A: {a:?}");
    assert_eq!((num(&b[5]), num(&b[6])), (1.0, 1.0), "one subscription, one deal for B: {b:?}");
    assert_eq!(fen(&a[7]), share_of(PRICE_FEN, 70), "70 % of the price, rounded half up: {a:?}");
    assert_eq!(fen(&b[7]), share_of(PRICE_FEN, 30), "30 % of the price, rounded half up: {b:?}");
    assert_eq!((fen(&a[7]), fen(&b[7])), (86_419_752, 37_037_037));
    assert_eq!(fen(&row(&rows, "合计")[7]), PRICE_FEN, "the shares add up to the price");
    assert_eq!((num(&a[9]), num(&b[9])), (1.0, 1.0), "the dispute counts for the claimant and the respondent");
    assert!(!rows.iter().any(|r| r[0] == "我爱我家-珠江新城"), "the third agency has nothing: {rows:?}");

    // The page: the disputed number links to the disputes; no "not recorded yet" note.
    let (status, page) = app.get_text(&s.boss, "/staff/performance?from=2026-11-01&to=2026-11-30").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<a href=\"/staff/disputes\">1</a>"), "{page}");
    assert!(page.contains("id=\"disputes-hint\"") && !page.contains("id=\"disputes-note\""));
    assert!(page.contains("864,197.52") && page.contains("370,370.37"), "{page}");

    // Each agency's own figures, and the third agency's, for the month.
    let days = local_days(
        SHANGHAI,
        chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
    );
    let of = |agency: i64| app.store.channel_performance("demo", &days, Some(agency)).unwrap().totals();
    let (mine, theirs, third) = (of(app.agency), of(app.rival_agency), of(s.third_agency));
    assert_eq!((mine.deals, mine.deal_amount_fen, mine.disputed), (1, 86_419_752, 1));
    assert_eq!((theirs.deals, theirs.deal_amount_fen, theirs.disputed), (1, 37_037_037, 1));
    assert_eq!((third.deals, third.disputed), (0, 0), "not a party to the dispute");
    // The dispute was opened in November: October counts none.
    let october = local_days(
        SHANGHAI,
        chrono::NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
        chrono::NaiveDate::from_ymd_opt(2026, 10, 31).unwrap(),
    );
    assert_eq!(app.store.channel_performance("demo", &october, Some(app.agency)).unwrap().totals().disputed, 0);
}

#[tokio::test]
async fn each_agencys_statement_carries_its_share_of_the_commission() {
    let s = shared_deal().await;
    let app = &s.app;
    let commission = COMMISSION.of(PRICE_FEN);
    for (agency, name, share, other) in [
        (app.rival_agency, AGENCY_B, 30, format!("{AGENCY_A} 70%")),
        (app.agency, AGENCY_A, 70, format!("{AGENCY_B} 30%")),
    ] {
        let path = format!("/staff/settlement.xlsx?agency={agency}&month=2026-11");
        let rows = xlsx(&s.boss, app, &path, "结佣对账单").await;
        assert_eq!(rows[0][17], "份额(%)");
        let lines: Vec<&Vec<String>> = rows[1..].iter().filter(|r| r[0] != "合计").collect();
        assert_eq!(lines.len(), 1, "{name}: {rows:?}");
        let line = lines[0];
        assert_eq!((line[0].as_str(), num(&line[1]) as i64), (name, s.deal));
        assert_eq!(fen(&line[6]), PRICE_FEN, "the deal's price as it is");
        assert_eq!(fen(&line[15]), share_of(commission, share), "{name}: {share} % of the commission");
        assert_eq!((num(&line[17]) as i64, num(&line[18]) as i64), (share, s.dispute));
        assert_eq!(line[19], other);
        assert_eq!(fen(&row(&rows, "合计")[15]), fen(&line[15]), "the total is the sum of the rows");
    }
    assert_eq!((share_of(commission, 30), share_of(commission, 70)), (555_556, 1_296_296));
    assert_eq!(share_of(commission, 30) + share_of(commission, 70), commission, "here the two shares add up");

    // The printable statement: the share and the ruling, linked.
    let (status, page) =
        app.get_text(&s.boss, &format!("/staff/settlement?agency={}&month=2026-11", app.rival_agency)).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("5,555.56") && page.contains("30%"), "{page}");
    assert!(page.contains(&format!("href=\"/staff/disputes/{}\"", s.dispute)), "the ruling is linked: {page}");
    // The month's overview: each agency its share; the totals the whole deal.
    let (_, overview) = app.get_text(&s.boss, "/staff/settlement?month=2026-11").await;
    assert!(overview.contains("370,370.37") && overview.contains("864,197.52"), "{overview}");
    assert!(overview.contains("5,555.56") && overview.contains("12,962.96"), "{overview}");
    assert!(overview.contains("1,234,567.89") && overview.contains("18,518.52"), "{overview}");
}

#[tokio::test]
async fn each_agency_sees_its_own_share_and_never_the_other_agencys_name() {
    let s = shared_deal().await;
    let app = &s.app;
    let key_b = app.store.create_api_key(app.rival_agency, "crm", t("2026-11-18T11:00:00+08:00")).unwrap();
    let key_a = app.store.create_api_key(app.agency, "crm", t("2026-11-18T11:00:00+08:00")).unwrap();
    let http = Client::new();
    let listed = |key: String| {
        let http = http.clone();
        let url = app.url("/api/v1/deals");
        async move { http.get(url).bearer_auth(key).send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let b = listed(key_b).await;
    let deal = &b["deals"][0];
    assert_eq!(deal["subscription_id"], s.deal, "{b}");
    assert_eq!((deal["share_percent"].as_i64(), deal["dispute_id"].as_i64()), (Some(30), Some(s.dispute)), "{b}");
    assert_eq!(deal["shared_with"], json!({ "party": "other_agency", "percent": 70 }), "{b}");
    assert_eq!(deal["customer_phone"], "138****5678");
    assert!(!b.to_string().contains(AGENCY_A) && !b.to_string().contains(CUSTOMER), "{b}");
    let a = listed(key_a).await;
    assert_eq!(a["deals"].as_array().unwrap().len(), 1, "{a}");
    assert_eq!(
        (a["deals"][0]["share_percent"].as_i64(), a["deals"][0]["subscription_id"].as_i64()),
        (Some(70), Some(s.deal))
    );
    assert_eq!(a["deals"][0]["shared_with"], json!({ "party": "other_agency", "percent": 30 }), "{a}");
    assert!(!a.to_string().contains(AGENCY_B), "{a}");

    // The agent pages: B holds the deal (and initiates its confirmation), A its 70 %.
    let rival = app.signed_in(RIVAL_PHONE).await;
    let (status, page) = app.get_text(&rival, "/agent/deals?month=2026-11").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("data-share=\"30\"") && page.contains(&format!("争议裁决 #{}", s.dispute)), "{page}");
    assert!(page.contains(&format!("href=\"/agent/disputes/{}\"", s.dispute)), "the ruling, linked: {page}");
    assert!(page.contains("对方渠道 70%") && !page.contains(AGENCY_A), "{page}");
    assert!(page.contains(&format!("id=\"initiate-{}\"", s.deal)), "{page}");
    let (_, statement) = app.get_text(&rival, "/agent/deals/settlement?month=2026-11").await;
    assert!(statement.contains("5,555.56") && statement.contains("份额 30%"), "{statement}");
    assert!(!statement.contains(AGENCY_A) && !statement.contains("/staff/"), "{statement}");
    let agent = app.signed_in(AGENT_PHONE).await;
    let (_, mine) = app.get_text(&agent, "/agent/deals?month=2026-11").await;
    assert!(mine.contains("data-share=\"70\"") && mine.contains("对方渠道 30%") && !mine.contains(AGENCY_B), "{mine}");
    assert!(!mine.contains(&format!("id=\"initiate-{}\"", s.deal)), "the confirmation is B's to initiate: {mine}");
    let (_, theirs) = app.get_text(&agent, "/agent/deals/settlement?month=2026-11").await;
    assert!(theirs.contains("12,962.96") && theirs.contains("份额 70%") && !theirs.contains(AGENCY_B), "{theirs}");
}
