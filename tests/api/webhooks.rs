//! Agency webhooks against a local receiver (a small axum server on
//! 127.0.0.1 that records every request and can be told to fail): a filed
//! report arrives signed (`Panke-Signature: t=…,v1=HMAC-SHA256(secret,
//! "<t>.<body>")`) by the worker panke runs; a receiver that fails three
//! times gets the event on the fourth try, with panke restarted in between
//! (the clock is moved past each back-off; nothing sleeps); no payload of
//! a whole flow — report, first read, visit, deal, dispute and its split
//! ruling — carries a full phone number; and the back office adds, shows
//! and disables an address while the agent reads the delivery log.

use super::helpers::{AGENT_PHONE, PASSWORD, RIVAL_PHONE, TestApp, csrf, deployment, location_id, staff_sign_in, t};
use crate::support::TestDeployment;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::Duration;
use hmac::Mac;
use panke::clock::{Clock, FixedClock};
use panke::domain::dispute::{ClaimKind, Settings};
use panke::domain::phone::Phone;
use panke::service::webhooks::{deliver_due_now, spawn_delivery_worker, verify_signature};
use panke::store::Store;
use panke::store::disputes::{NewDispute, Subject};
use panke::store::people::{By, NewStaff, Role};
use panke::store::webhooks::DeliveryState;
use panke::web::{AppState, Application, StateOptions};
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

const CUSTOMER: &str = "13812345678";
const SHANGHAI: chrono_tz::Tz = chrono_tz::Asia::Shanghai;
const BY: By<'static> = By { actor: "staff:1", project: None };

/// Every full mainland mobile number in `text`, as `1[3-9]\d{9}` finds
/// them (written here again, independently of panke's own check).
fn full_phones(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars
        .windows(11)
        .filter(|w| w[0] == '1' && ('3'..='9').contains(&w[1]) && w[2..].iter().all(char::is_ascii_digit))
        .map(|w| w.iter().collect())
        .collect()
}

/// One request the receiver got, and what it answered.
#[derive(Debug, Clone)]
struct Hit {
    status: u16,
    signature: String,
    event_id: String,
    event_type: String,
    body: String,
}

#[derive(Default)]
struct Inbox {
    /// Answer 500 to this many requests first.
    fail_first: usize,
    hits: Vec<Hit>,
}

type Shared = Arc<Mutex<Inbox>>;

struct Receiver {
    url: String,
    inbox: Shared,
}

async fn receive(State(inbox): State<Shared>, headers: HeaderMap, body: String) -> StatusCode {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let mut inbox = inbox.lock().unwrap();
    let status = if inbox.hits.len() < inbox.fail_first { 500 } else { 200 };
    let hit = Hit {
        status,
        signature: header("panke-signature"),
        event_id: header("panke-event-id"),
        event_type: header("panke-event-type"),
        body,
    };
    inbox.hits.push(hit);
    StatusCode::from_u16(status).unwrap()
}

impl Receiver {
    async fn start(fail_first: usize) -> Receiver {
        let inbox: Shared = Arc::new(Mutex::new(Inbox { fail_first, hits: Vec::new() }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://127.0.0.1:{}/hook", listener.local_addr().unwrap().port());
        let router = axum::Router::new().route("/hook", axum::routing::post(receive)).with_state(inbox.clone());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Receiver { url, inbox }
    }

    fn hits(&self) -> Vec<Hit> {
        self.inbox.lock().unwrap().hits.clone()
    }

    /// Waits (at most 30 s) until `n` requests have come.
    async fn wait_for(&self, n: usize) -> Vec<Hit> {
        for _ in 0..300 {
            let hits = self.hits();
            if hits.len() >= n {
                return hits;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the receiver got {} requests, not {n}", self.hits().len());
    }
}

/// A deployment with its database, the agency and its agent, and the
/// clock every run of panke on it shares.
struct Setup {
    dep: TestDeployment,
    clock: Arc<FixedClock>,
    store: Store,
    agency: i64,
}

fn setup() -> Setup {
    let dep = deployment();
    let now = t("2026-11-18T10:00:00+08:00");
    let clock = Arc::new(FixedClock::new(now));
    let store = dep.context(now).open_store(now).unwrap();
    let agency = store.create_agency("链家-天河店", None, now).unwrap();
    let (_, invite) = store.create_agent(agency, "张三", &Phone::parse(AGENT_PHONE).unwrap(), now).unwrap();
    store.accept_invite(&invite, PASSWORD, now).unwrap();
    Setup { dep, clock, store, agency }
}

/// One run of panke on the deployment, wired as `serve` wires it, that can
/// be stopped: afterwards only the database remains.
struct Panke {
    state: AppState,
    base: String,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Panke {
    async fn start(dep: &TestDeployment, clock: &Arc<FixedClock>) -> Panke {
        let ctx = dep.context(clock.now());
        let state =
            AppState::from_context(ctx, clock.clone() as Arc<dyn Clock>, StateOptions { readers: 2, demo: false })
                .unwrap();
        let app = Application::build(state.clone(), "127.0.0.1:0").await.unwrap();
        let base = format!("http://127.0.0.1:{}", app.port());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async move {
            let _ = stopped.await;
        }));
        Panke { state, base, stop, server }
    }

    async fn stop(self) {
        let Panke { state, stop, server, .. } = self;
        let _ = stop.send(());
        server.await.unwrap().unwrap();
        drop(state);
    }
}

/// The agent signs in on `base` and files a report of `phone`.
async fn file_report(base: &str, phone: &str) -> i64 {
    let c = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = c.get(format!("{base}/agent/login")).send().await.unwrap().text().await.unwrap();
    let r = c
        .post(format!("{base}/agent/login"))
        .form(&[("csrf", csrf(&page).as_str()), ("phone", AGENT_PHONE), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "sign-in failed");
    let form = c.get(format!("{base}/agent/reports/new")).send().await.unwrap().text().await.unwrap();
    let r = c
        .post(format!("{base}/agent/reports"))
        .form(&[
            ("csrf", csrf(&form).as_str()),
            ("idem", panke::crypto::random_secret().as_str()),
            ("project", "demo"),
            ("customer_name", "王先生"),
            ("customer_phone", phone),
            ("expected_arrival", "2026-11-18T15:00"),
            ("party_size", "2"),
            ("note", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap_or_default());
    location_id(&r)
}

/// The `t` of a `Panke-Signature` header.
fn signed_at(header: &str) -> i64 {
    header.split(',').find_map(|p| p.strip_prefix("t=")).unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_filed_report_is_posted_signed_and_without_the_customers_phone() {
    let s = setup();
    let receiver = Receiver::start(0).await;
    let (_, secret) = s.store.add_webhook_endpoint(s.agency, &receiver.url, BY, s.clock.now()).unwrap();
    assert_eq!(secret.len(), 64, "32 random bytes, hex");
    let panke = Panke::start(&s.dep, &s.clock).await;
    // The worker `serve` starts: it finds the event within a few seconds.
    let worker = spawn_delivery_worker(panke.state.clone());
    let report = file_report(&panke.base, CUSTOMER).await;
    let hits = receiver.wait_for(1).await;
    let hit = &hits[0];
    assert_eq!(hit.status, 200);

    // The signature verifies with the secret, and with nothing else.
    let now = s.clock.now().timestamp();
    assert_eq!(signed_at(&hit.signature), now, "signed with the server's clock");
    assert!(verify_signature(&secret, &hit.signature, hit.body.as_bytes(), now, 300), "{}", hit.signature);
    let altered = hit.body.replacen("\"report.filed\"", "\"report.filex\"", 1);
    assert!(!verify_signature(&secret, &hit.signature, altered.as_bytes(), now, 300), "an altered body");
    assert!(!verify_signature(&"0".repeat(64), &hit.signature, hit.body.as_bytes(), now, 300), "another secret");
    assert!(!verify_signature(&secret, &hit.signature, hit.body.as_bytes(), now + 3600, 300), "a replay an hour on");
    // The documented scheme, computed here: hex HMAC-SHA256(secret, "<t>.<body>").
    let mut mac = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{now}.{}", hit.body).as_bytes());
    let v1 = format!("v1={}", data_encoding::HEXLOWER.encode(&mac.finalize().into_bytes()));
    assert!(hit.signature.split(',').any(|p| p == v1), "{} vs {v1}", hit.signature);

    // The envelope and what it says — never the full phone, the customer's
    // name or the agent's phone.
    let body: Value = serde_json::from_str(&hit.body).unwrap();
    assert_eq!((body["type"].as_str(), body["project"].as_str()), (Some("report.filed"), Some("demo")));
    let id = body["id"].as_str().unwrap();
    assert!(id.starts_with("evt_"), "{id}");
    assert_eq!((hit.event_id.as_str(), hit.event_type.as_str()), (id, "report.filed"));
    assert_eq!(body["data"]["report_id"], report);
    assert_eq!(body["data"]["customer_phone"], "138****5678");
    assert!(body["data"]["valid_until"].is_string() && body["data"]["arrive_not_before"].is_string(), "{body}");
    assert!(full_phones(&hit.body).is_empty(), "{}", hit.body);
    assert!(!hit.body.contains("王先生") && !hit.body.contains(AGENT_PHONE), "{}", hit.body);

    // The log: delivered at the first attempt, the body as sent.
    let mut delivered = false;
    for _ in 0..100 {
        let log = s.store.webhook_log(s.agency, 10).unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].payload, hit.body, "what is stored is what is sent");
        if log[0].state() == DeliveryState::Delivered {
            assert_eq!((log[0].attempts, log[0].tries.len(), log[0].last_status), (1, 1, Some(200)));
            delivered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(delivered, "the attempt is recorded");
    worker.abort();
    panke.stop().await;
}

#[tokio::test]
async fn a_receiver_failing_three_times_gets_the_event_on_the_fourth_try_after_a_restart() {
    let s = setup();
    let receiver = Receiver::start(3).await;
    let (_, secret) = s.store.add_webhook_endpoint(s.agency, &receiver.url, BY, s.clock.now()).unwrap();
    let filed_at = s.clock.now().timestamp();

    let first = Panke::start(&s.dep, &s.clock).await;
    file_report(&first.base, CUSTOMER).await;
    assert_eq!(deliver_due_now(&first.state).await.unwrap(), 1, "the first try");
    assert_eq!(deliver_due_now(&first.state).await.unwrap(), 0, "not again before its back-off");
    s.clock.advance(Duration::seconds(29));
    assert_eq!(deliver_due_now(&first.state).await.unwrap(), 0, "still waiting (30 s)");
    s.clock.advance(Duration::seconds(1));
    assert_eq!(deliver_due_now(&first.state).await.unwrap(), 1, "the second try, 30 s on");
    s.clock.advance(Duration::seconds(119));
    assert_eq!(deliver_due_now(&first.state).await.unwrap(), 0, "waiting 2 min");
    s.clock.advance(Duration::seconds(1));
    assert_eq!(deliver_due_now(&first.state).await.unwrap(), 1, "the third try");
    let log = s.store.webhook_log(s.agency, 10).unwrap();
    assert_eq!((log[0].state(), log[0].attempts, log[0].last_status), (DeliveryState::Pending, 3, Some(500)));
    assert_eq!(log[0].last_error.as_deref(), Some("HTTP 500"));
    assert_eq!(log[0].next_attempt_unix, filed_at + 30 + 120 + 600, "10 min after the third failure");

    // panke stops; the next run knows only the database.
    first.stop().await;
    s.clock.advance(Duration::seconds(600));
    let second = Panke::start(&s.dep, &s.clock).await;
    assert_eq!(deliver_due_now(&second.state).await.unwrap(), 1, "the fourth try, by the new run");
    assert_eq!(deliver_due_now(&second.state).await.unwrap(), 0, "delivered: nothing more to send");

    let hits = receiver.hits();
    assert_eq!(hits.iter().map(|h| h.status).collect::<Vec<_>>(), [500, 500, 500, 200]);
    let body = &hits[0].body;
    for (i, hit) in hits.iter().enumerate() {
        assert_eq!(&hit.body, body, "attempt {i}: the same body");
        assert_eq!(hit.event_id, hits[0].event_id, "attempt {i}: the same event id (consumers dedupe by it)");
        let at = signed_at(&hit.signature);
        assert!(verify_signature(&secret, &hit.signature, hit.body.as_bytes(), at, 0), "attempt {i}");
        assert!(full_phones(&hit.body).is_empty(), "{}", hit.body);
    }
    let times: Vec<i64> = hits.iter().map(|h| signed_at(&h.signature) - filed_at).collect();
    assert_eq!(times, [0, 30, 150, 750], "each attempt signed at its own time");

    // The delivery log lists the four attempts.
    let log = s.store.webhook_log(s.agency, 10).unwrap();
    assert_eq!(log.len(), 1);
    let event = &log[0];
    assert_eq!((event.state(), event.attempts), (DeliveryState::Delivered, 4));
    assert_eq!(event.event_id, hits[0].event_id);
    assert_eq!(event.tries.iter().map(|a| a.status).collect::<Vec<_>>(), [Some(500), Some(500), Some(500), Some(200)]);
    assert!(event.tries[3].error.is_none() && event.delivered_at.is_some());
    second.stop().await;
}

#[tokio::test]
async fn no_payload_of_a_whole_flow_carries_a_full_phone() {
    let mut app = TestApp::spawn().await;
    let receiver = Receiver::start(0).await;
    let now = app.clock.now();
    app.store.add_webhook_endpoint(app.agency, &receiver.url, BY, now).unwrap();
    app.store.add_webhook_endpoint(app.rival_agency, &receiver.url, BY, now).unwrap();

    // The agency's report, its first read at the kiosk, the valid visit.
    let report = super::deal_fixture::valid_visit(&app, CUSTOMER).await;
    // The manager enters the deal (attributed to the agency).
    let (deal, boss_id, _boss) = super::deal_fixture::entered_deal(&app, CUSTOMER).await;

    // The rival disputes it; the manager shares it, 30 % to the rival.
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

    let ours = app.store.webhook_log(app.agency, 100).unwrap();
    let theirs = app.store.webhook_log(app.rival_agency, 100).unwrap();
    let kinds = |log: &[panke::store::webhooks::LoggedEvent]| -> BTreeSet<String> {
        log.iter().map(|e| e.event_type.clone()).collect()
    };
    for wanted in ["report.filed", "report.first_read", "visit.recorded", "deal.attributed", "dispute.updated"] {
        assert!(kinds(&ours).contains(wanted), "{wanted} in {:?}", kinds(&ours));
    }
    for wanted in ["deal.attributed", "dispute.updated"] {
        assert!(kinds(&theirs).contains(wanted), "{wanted} in {:?}", kinds(&theirs));
    }
    for e in ours.iter().chain(&theirs) {
        assert!(full_phones(&e.payload).is_empty(), "{}: {}", e.event_type, e.payload);
        assert!(!e.payload.contains("王小明") && !e.payload.contains("王先生"), "{}", e.payload);
        let body: Value = serde_json::from_str(&e.payload).unwrap();
        assert_eq!(
            (body["id"].as_str(), body["type"].as_str()),
            (Some(e.event_id.as_str()), Some(e.event_type.as_str()))
        );
    }
    // What each event says, in the agency's own terms.
    let data = |log: &[panke::store::webhooks::LoggedEvent], kind: &str| -> Value {
        let e = log.iter().find(|e| e.event_type == kind).unwrap_or_else(|| panic!("{kind}"));
        serde_json::from_str::<Value>(&e.payload).unwrap()["data"].clone()
    };
    assert_eq!(data(&ours, "report.first_read")["report_id"], report);
    let visit = data(&ours, "visit.recorded");
    assert_eq!((visit["report_id"].as_i64(), visit["verdict"].as_str()), (Some(report), Some("valid")), "{visit}");
    // The newest deal event of each side: its own share of the split deal,
    // the other agency never named.
    let mine = data(&ours, "deal.attributed");
    assert_eq!((mine["subscription_id"].as_i64(), mine["share_percent"].as_i64()), (Some(deal), Some(70)), "{mine}");
    assert_eq!(mine["customer_phone"], "138****5678");
    let rivals = data(&theirs, "deal.attributed");
    assert_eq!((rivals["share_percent"].as_i64(), rivals["channel_performance"].as_bool()), (Some(30), Some(true)));
    assert_eq!(rivals["dispute_id"].as_i64(), Some(opened.id));
    for e in &theirs {
        assert!(!e.payload.contains("链家"), "{}", e.payload);
    }
    for e in &ours {
        assert!(!e.payload.contains("中原"), "{}", e.payload);
    }
    let ruling = data(&theirs, "dispute.updated");
    assert_eq!((ruling["event"].as_str(), ruling["role"].as_str()), (Some("ruling"), Some("claimant")), "{ruling}");
    let opened_note = ours.iter().filter(|e| e.event_type == "dispute.updated").count();
    assert_eq!(opened_note, 2, "opened and ruled, told to the respondent");
}

#[tokio::test]
async fn the_back_office_adds_and_disables_an_address_and_the_agent_reads_the_log() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start(0).await;
    let admin = NewStaff {
        project_id: None,
        login: "hq-admin",
        name: "集团管理员",
        role: Role::Admin,
        password: Some(PASSWORD),
        pin: None,
    };
    app.store.create_staff(&admin, t("2026-11-18T08:00:00+08:00")).unwrap();
    let admin = app.browser();
    staff_sign_in(&admin, &app.base, "hq-admin", PASSWORD).await;
    let agency_page = format!("/staff/people/agencies/{}", app.agency);
    let (status, page) = app.get_text(&admin, &agency_page).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("id=\"webhooks\"") && page.contains("id=\"no-webhooks\""), "{page}");

    // Plain http to another machine is refused, the address kept in the form.
    let r = admin
        .post(app.url(&format!("{agency_page}/webhooks")))
        .form(&[("csrf", csrf(&page).as_str()), ("url", "http://crm.example.com/hook")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let refused = r.text().await.unwrap();
    assert!(refused.contains("https") && refused.contains("crm.example.com"), "{refused}");
    assert!(app.store.webhook_endpoints(app.agency).unwrap().is_empty());

    // The receiver's address: the secret is shown once.
    let r = admin
        .post(app.url(&format!("{agency_page}/webhooks")))
        .form(&[("csrf", csrf(&page).as_str()), ("url", receiver.url.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let shown = r.text().await.unwrap();
    let from = shown.find("id=\"webhook-secret\">").expect("the secret") + "id=\"webhook-secret\">".len();
    let secret = shown[from..from + shown[from..].find('<').unwrap()].to_owned();
    assert_eq!(secret.len(), 64, "{secret}");
    let endpoints = app.store.webhook_endpoints(app.agency).unwrap();
    assert_eq!((endpoints.len(), endpoints[0].url.as_str()), (1, receiver.url.as_str()));

    // A report: its event is in the log the manager and the agent read.
    let agent = app.signed_in(AGENT_PHONE).await;
    app.filed_id(&agent, "demo", "王先生", CUSTOMER).await;
    let (_, page) = app.get_text(&admin, &agency_page).await;
    assert!(page.contains("data-type=\"report.filed\""), "{page}");
    assert!(!page.contains(&secret), "the secret is never shown again");
    let (status, mine) = app.get_text(&agent, "/agent/webhooks").await;
    assert_eq!(status, 200, "{mine}");
    assert!(
        mine.contains("data-type=\"report.filed\"") && mine.contains(&format!("data-webhook=\"{}\"", endpoints[0].id))
    );
    assert!(full_phones(&mine).is_empty() && !mine.contains(&secret), "{mine}");
    let rival = app.signed_in(RIVAL_PHONE).await;
    let (_, theirs) = app.get_text(&rival, "/agent/webhooks").await;
    assert!(theirs.contains("id=\"no-deliveries\"") && !theirs.contains("data-delivery="), "another agency's log");

    // Disabled: what waits is given up, and no new event goes to it.
    let r = admin
        .post(app.url(&format!("/staff/people/webhooks/{}/disable", endpoints[0].id)))
        .form(&[("csrf", csrf(&page).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert!(!app.store.webhook_endpoints(app.agency).unwrap()[0].active());
    // (Given up — or delivered already, where the test server runs the
    // delivery worker as `serve` does.)
    let log = app.store.webhook_log(app.agency, 10).unwrap();
    assert_eq!(log.len(), 1);
    assert!(matches!(log[0].state(), DeliveryState::GaveUp | DeliveryState::Delivered), "{:?}", log[0].state());
    app.filed_id(&agent, "demo", "李先生", "13912345678").await;
    assert_eq!(app.store.webhook_log(app.agency, 10).unwrap().len(), 1, "nothing queued for a disabled address");
}
