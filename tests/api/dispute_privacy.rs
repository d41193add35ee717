//! A dispute's ruling that moves a deal from agency A to agency B (upheld)
//! leaves the attribution naming the covering visit the rules found — A's.
//! B's pages and API then carry nothing of that visit: not A's name, not
//! A's agent, not A's report or visit numbers, times or receipt — only
//! 带看记录属对方渠道(依争议裁决 #id). The staff keep everything.
//!
//! And the confirmation sheet: A initiated its sheet before the ruling; B,
//! now holding the deal, initiates its own, which supersedes A's (A no
//! longer reads it; no one confirms it); the staff see both, the old one
//! marked.
//!
//! Everything goes through the real paths, as in `dispute_shares.rs`: A's
//! report, the kiosk's visit, the manager's entry of the subscription
//! (attributed to A), A's agent initiating the sheet on its page, B's
//! dispute against the deal (`Store::open_dispute`) and the manager's
//! ruling (`service::disputes::rule`), which attributes the deal again.

use super::helpers::{AGENT_PHONE, RIVAL_PHONE, TestApp, csrf, staff_sign_in, t};
use crate::support::TestDeployment;
use panke::domain::dispute::{ClaimKind, Settings};
use panke::store::disputes::{NewDispute, Subject};
use reqwest::Client;
use serde_json::Value;

const AGENCY_A: &str = "链家-天河店";
const AGENCY_B: &str = "中原-体育西";
/// A's agent (the helpers' agent of `AGENT_PHONE`), and B's.
const AGENT_A: &str = "张三";
const AGENT_B: &str = "李四";
const CUSTOMER: &str = "13812345678";
const SHANGHAI: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

/// The demo project with a 1.5 % commission.
fn deployment() -> TestDeployment {
    TestDeployment::new(&[("demo", "[project]\nname = \"云境·演示项目\"\n[commission]\npercent = 1.5\n")])
}

/// The deal the ruling moved to B, and A's evidence chain behind it.
struct Moved {
    app: TestApp,
    boss: Client,
    deal: i64,
    dispute: i64,
    /// A's report and the visit record the attribution still names.
    report: i64,
    visit: i64,
    /// The visit record's receipt code (printed beside its QR).
    receipt: String,
    /// A's confirmation sheet, initiated before the ruling.
    a_sheet: i64,
}

/// Does `page` name "No. n" (not the start of a longer number)?
fn names_no(page: &str, n: i64) -> bool {
    let needle = format!("No. {n}");
    page.match_indices(&needle).any(|(at, _)| !page[at + needle.len()..].starts_with(|c: char| c.is_ascii_digit()))
}

/// A's valid visit, the manager's entry of the subscription, A's sheet,
/// B's dispute and the manager's ruling for B (upheld: the whole deal).
async fn moved_deal() -> Moved {
    let mut app = TestApp::spawn_in(deployment()).await;
    let report = super::deal_fixture::valid_visit(&app, CUSTOMER).await;
    // The manager enters the subscription on the back office's form.
    let (deal, boss_id, boss) = super::deal_fixture::entered_deal(&app, CUSTOMER).await;
    let before = app.store.attributed_deal(deal).unwrap();
    assert_eq!((before.agency_id, before.dispute_id), (Some(app.agency), None));
    let visit = before.visit_seq.expect("the covering visit is one of panke's records");
    assert!(before.visit_is_of(app.agency) && !before.visit_is_of(app.rival_agency), "{before:?}");
    let receipt = app.store.receipt_for(visit).unwrap().code();

    // A's agent initiates the confirmation sheet of its deal.
    let agent = app.signed_in(AGENT_PHONE).await;
    let (_, page) = app.get_text(&agent, "/agent/deals?month=2026-11").await;
    assert!(page.contains(&format!("id=\"initiate-{deal}\"")), "{page}");
    let r = agent
        .post(app.url(&format!("/agent/deals/{deal}/confirmation")))
        .form(&[("csrf", csrf(&page).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "A initiated its sheet");
    let a_sheet = app.store.deal_confirmation_of(deal).unwrap().expect("A's sheet");
    assert_eq!((a_sheet.agency_id, a_sheet.superseded()), (app.agency, false));

    // Agency B disputes A's deal; the manager upholds the claim.
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
    assert_eq!(opened.respondent_agency_id, Some(app.agency));
    panke::service::disputes::rule(
        &mut app.store,
        opened.id,
        "upheld",
        None,
        "中原带看在先,证据充分,支持申诉",
        boss_id,
        false,
        &format!("staff:{boss_id}"),
        t("2026-11-22T10:00:00+08:00"),
    )
    .unwrap();
    let after = app.store.attributed_deal(deal).unwrap();
    assert_eq!(
        (after.agency_id, after.share_percent, after.dispute_id),
        (Some(app.rival_agency), 100, Some(opened.id))
    );
    assert_eq!(after.visit_seq, Some(visit), "the attribution still names A's visit (the rules' result)");
    assert!(!after.visit_is_of(app.rival_agency) && after.visit_is_of(app.agency), "{after:?}");
    Moved { app, boss, deal, dispute: opened.id, report, visit, receipt, a_sheet: a_sheet.id }
}

/// Nothing of A on a page or document B reads.
fn nothing_of_a(m: &Moved, what: &str, text: &str) {
    assert!(!text.contains(AGENCY_A), "{what} names agency A: {text}");
    assert!(!text.contains(AGENT_A), "{what} names A's agent: {text}");
    assert!(!text.contains(&m.receipt), "{what} carries the visit's receipt code: {text}");
    assert!(!text.contains(&format!("/records/{}", m.visit)), "{what} links the visit record: {text}");
    assert!(!names_no(text, m.report), "{what} names A's report No. {}: {text}", m.report);
    assert!(!names_no(text, m.visit), "{what} names A's visit record No. {}: {text}", m.visit);
    assert!(!text.contains(CUSTOMER), "{what}: phones masked");
}

#[tokio::test]
async fn the_agency_a_ruling_gave_the_deal_sees_nothing_of_the_other_agencys_visit() {
    let m = moved_deal().await;
    let app = &m.app;
    let note = format!("带看记录属对方渠道(依争议裁决 #{})", m.dispute);
    let rival = app.signed_in(RIVAL_PHONE).await;

    // B's deals page: the deal, the ruling, the note; B may initiate its
    // own sheet (A's is not B's to read).
    let (status, page) = app.get_text(&rival, "/agent/deals?month=2026-11").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("3-1-1201") && page.contains(&note), "{page}");
    assert!(page.contains(&format!("id=\"visit-note-{}\"", m.deal)), "{page}");
    assert!(page.contains(&format!("id=\"initiate-{}\"", m.deal)), "B initiates its own sheet: {page}");
    assert!(!page.contains(&format!("href=\"/agent/deals/{}/confirmation\"", m.deal)), "A's sheet is not B's: {page}");
    nothing_of_a(&m, "B's deals page", &page);

    // B's settlement statement: the deal with its commission, the note in
    // place of the report and the visit.
    let (status, statement) = app.get_text(&rival, "/agent/deals/settlement?month=2026-11").await;
    assert_eq!(status, 200, "{statement}");
    assert!(statement.contains(&format!("data-subscription=\"{}\"", m.deal)), "{statement}");
    assert!(statement.contains("18,518.52"), "the whole commission (1.5 %): {statement}");
    assert!(statement.contains("data-col=\"visit-note\"") && statement.contains(&note), "{statement}");
    assert!(!statement.contains("有效带看"), "no verdict of A's visit: {statement}");
    assert!(!statement.contains("2026-11-18"), "no time of A's report or visit: {statement}");
    nothing_of_a(&m, "B's statement", &statement);

    // B's API: no visit record or instant, the note; no confirmation of B's yet.
    let key_b = app.store.create_api_key(app.rival_agency, "crm", t("2026-11-18T11:00:00+08:00")).unwrap();
    let http = Client::new();
    let listed: Value =
        http.get(app.url("/api/v1/deals")).bearer_auth(&key_b).send().await.unwrap().json().await.unwrap();
    let deal = &listed["deals"][0];
    assert_eq!(deal["subscription_id"], m.deal, "{listed}");
    assert_eq!((deal["share_percent"].as_i64(), deal["dispute_id"].as_i64()), (Some(100), Some(m.dispute)));
    assert!(deal["visit_record"].is_null() && deal["visit_at"].is_null(), "{listed}");
    assert_eq!((deal["visit_owner"].as_str(), deal["visit_note"].as_str()), (Some("other"), Some(note.as_str())));
    assert!(deal["confirmation_id"].is_null(), "A's sheet is not B's: {listed}");
    nothing_of_a(&m, "B's API", &listed.to_string());

    // B initiates its own sheet: A's is superseded in the same step.
    let r = rival
        .post(app.url(&format!("/agent/deals/{}/confirmation", m.deal)))
        .form(&[("csrf", csrf(&page).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "B initiated its sheet after the ruling");
    assert_eq!(r.headers()["location"], format!("/agent/deals/{}/confirmation", m.deal).as_str());
    let b_sheet = app.store.deal_confirmation_of(m.deal).unwrap().expect("B's live sheet");
    assert_eq!((b_sheet.agency_id, b_sheet.superseded()), (app.rival_agency, false));
    let (status, sheet) = app.get_text(&rival, &format!("/agent/deals/{}/confirmation", m.deal)).await;
    assert_eq!(status, 200, "{sheet}");
    assert!(sheet.contains("渠道成交客户确认单") && sheet.contains(AGENCY_B) && sheet.contains(AGENT_B), "{sheet}");
    assert!(sheet.contains(&note) && sheet.contains("id=\"visit-note\""), "{sheet}");
    assert!(!sheet.contains("id=\"visit\"") && !sheet.contains("class=\"receipt-code\""), "{sheet}");
    assert!(!sheet.contains("<svg"), "no QR of A's visit record: {sheet}");
    assert!(!sheet.contains("有效带看") && !sheet.contains("保护期至"), "{sheet}");
    // The sheet names its own number and the attribution's ledger entry:
    // neither may be A's report or visit number, or the check below could
    // not tell them apart.
    let attribution = app.store.attributed_deal(m.deal).unwrap().attribution_seq;
    assert!(names_no(&sheet, b_sheet.id) && names_no(&sheet, attribution), "{sheet}");
    for n in [m.report, m.visit] {
        assert!(n != b_sheet.id && n != attribution, "No. {n}: the numbers must differ for this test");
    }
    nothing_of_a(&m, "B's sheet", &sheet);
    // Initiating again returns B's sheet; nothing new is written.
    let r = rival
        .post(app.url(&format!("/agent/deals/{}/confirmation", m.deal)))
        .form(&[("csrf", csrf(&page).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let count: i64 = app
        .store
        .conn()
        .query_row("SELECT count(*) FROM deal_confirmations WHERE subscription_id = ?1", [m.deal], |r| r.get(0))
        .unwrap();
    assert_eq!(count, 2, "A's superseded sheet and B's live one");
    let listed: Value =
        http.get(app.url("/api/v1/deals")).bearer_auth(&key_b).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed["deals"][0]["confirmation_id"].as_i64(), Some(b_sheet.id), "{listed}");
    let shown: Value = http
        .get(app.url(&format!("/api/v1/deals/{}/confirmation", m.deal)))
        .bearer_auth(&key_b)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!((shown["id"].as_i64(), shown["in_force"].as_bool()), (Some(b_sheet.id), Some(true)), "{shown}");
}

#[tokio::test]
async fn the_new_holders_sheet_supersedes_the_earlier_one_which_the_staff_still_see_marked() {
    let m = moved_deal().await;
    let app = &m.app;
    let rival = app.signed_in(RIVAL_PHONE).await;
    let (_, page) = app.get_text(&rival, "/agent/deals?month=2026-11").await;
    let r = rival
        .post(app.url(&format!("/agent/deals/{}/confirmation", m.deal)))
        .form(&[("csrf", csrf(&page).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let b_sheet = app.store.deal_confirmation_of(m.deal).unwrap().expect("B's live sheet").id;
    assert_ne!(b_sheet, m.a_sheet);
    let a_sheet = app.store.deal_confirmation(m.a_sheet).unwrap();
    assert!(a_sheet.superseded(), "{a_sheet:?}");
    assert!(a_sheet.superseded_by.as_deref().is_some_and(|by| by.starts_with("agent:")), "{a_sheet:?}");
    let actions: Vec<String> = app.store.audit_entries(50).unwrap().into_iter().map(|a| a.action).collect();
    assert!(actions.iter().any(|a| a == "deal_confirmation.supersede"), "{actions:?}");

    // A no longer has a live sheet: no link on its page, "not found" on
    // its sheet's address and on the API.
    let agent = app.signed_in(AGENT_PHONE).await;
    let (_, mine) = app.get_text(&agent, "/agent/deals?month=2026-11").await;
    assert!(!mine.contains(&format!("/agent/deals/{}/confirmation", m.deal)), "{mine}");
    assert!(!mine.contains(AGENCY_B) && !mine.contains(AGENT_B), "{mine}");
    assert_eq!(app.get_text(&agent, &format!("/agent/deals/{}/confirmation", m.deal)).await.0, 404);
    let key_a = app.store.create_api_key(app.agency, "crm", t("2026-11-18T11:00:00+08:00")).unwrap();
    let r = Client::new()
        .get(app.url(&format!("/api/v1/deals/{}/confirmation", m.deal)))
        .bearer_auth(&key_a)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);

    // The staff see both sheets, A's marked superseded and no longer
    // confirmable; B's confirms.
    let sales = app.browser();
    staff_sign_in(&sales, &app.base, "sales-demo", "a long password").await;
    let (status, list) = app.get_text(&sales, "/staff/confirmations").await;
    assert_eq!(status, 200, "{list}");
    let superseded_at = list.find("id=\"confirmations-superseded\"").expect("the superseded section");
    let a_row = list.find(&format!("data-confirmation=\"{}\"", m.a_sheet)).expect("A's sheet listed");
    let b_row = list.find(&format!("data-confirmation=\"{b_sheet}\"")).expect("B's sheet listed");
    assert!(a_row > superseded_at && b_row < superseded_at, "A's among the superseded, B's pending: {list}");
    assert!(list.contains(&format!("id=\"superseded-{}\"", m.a_sheet)), "{list}");
    assert!(!list.contains(&format!("id=\"superseded-{b_sheet}\"")), "{list}");
    assert!(!list.contains(&format!("id=\"confirm-sales-{}\"", m.a_sheet)), "{list}");
    assert!(list.contains(&format!("id=\"confirm-sales-{b_sheet}\"")), "{list}");
    let token = csrf(&list);
    let post = |id: i64| {
        sales.post(app.url(&format!("/staff/confirmations/{id}/sales"))).form(&[("csrf", token.as_str())]).send()
    };
    assert_eq!(post(m.a_sheet).await.unwrap().status().as_u16(), 409, "a superseded sheet is not confirmed");
    assert_eq!(post(b_sheet).await.unwrap().status().as_u16(), 303, "the live sheet is");

    // The staff's copies keep everything: B's sheet names A's visit, agent
    // and receipt; A's is stamped superseded.
    let (status, sheet) = app.get_text(&m.boss, &format!("/staff/confirmations/{b_sheet}/sheet")).await;
    assert_eq!(status, 200, "{sheet}");
    assert!(sheet.contains("id=\"visit\"") && sheet.contains(AGENT_A) && sheet.contains(&m.receipt), "{sheet}");
    assert!(sheet.contains(&format!("href=\"/records/{}\"", m.visit)), "{sheet}");
    assert!(!sheet.contains("id=\"visit-note\"") && !sheet.contains("id=\"superseded\""), "{sheet}");
    let (status, old) = app.get_text(&m.boss, &format!("/staff/confirmations/{}/sheet", m.a_sheet)).await;
    assert_eq!(status, 200, "{old}");
    assert!(old.contains("id=\"superseded\"") && old.contains(AGENCY_A), "{old}");
    // The manager's statement of B keeps the evidence chain too.
    let (_, statement) =
        app.get_text(&m.boss, &format!("/staff/settlement?agency={}&month=2026-11", app.rival_agency)).await;
    assert!(statement.contains(&format!("href=\"/records/{}\"", m.visit)), "{statement}");
    assert!(!statement.contains("data-col=\"visit-note\""), "{statement}");
}
