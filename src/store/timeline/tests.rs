use super::deals::attribution_events;
use super::text::mask_phones_in;
use super::*;
use crate::config::rules::RulesPatch;
use crate::domain::dispute::{ClaimKind, EvidenceKind, Outcome, Party, Settings};
use crate::domain::evidence::EvidenceFile;
use crate::domain::name::CustomerName;
use crate::domain::signature::StatementFacts;
use crate::domain::token::KeyId;
use crate::store::checkin::CheckInRequest;
use crate::store::deals::{NewSubscription, Product};
use crate::store::disputes::{NewDispute, NewEvidence, Subject};
use crate::store::people::{By, NewStaff, Role};
use crate::store::reports::{NewReport, StoredReport};
use crate::wire::record::DeskAnswers;
use chrono::Utc;
use serde_json::json;

const KEY: [u8; 32] = [7; 32];
const CUSTOMER: &str = "13812345678";
const SPOUSE: &str = "13900004321";

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn utc(s: &str) -> DateTime<Utc> {
    at(s).to_utc()
}

fn phone(s: &str) -> Phone {
    Phone::parse(s).unwrap()
}

struct World {
    store: Store,
    rules: Rules,
    agency_a: i64,
    agency_b: i64,
    agent_a: i64,
    agent_b: i64,
    _dir: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("panke.db"), &KEY).unwrap();
        let now = utc("2026-11-01T09:00:00+08:00");
        store.sync_project("demo", "演示项目", "x", now).unwrap();
        let rules = Rules::default();
        let rules_json = serde_json::to_string(&RulesPatch::from_rules(&rules)).unwrap();
        store.record_rule_version("demo", "x", &rules_json, "{}", now).unwrap();
        let agency_a = store.create_agency("链家-天河店", None, now).unwrap();
        let agency_b = store.create_agency("中原-体育西", None, now).unwrap();
        let (agent_a, _) = store.create_agent(agency_a, "张三", &phone("13500000001"), now).unwrap();
        let (agent_b, _) = store.create_agent(agency_b, "李四", &phone("13500000002"), now).unwrap();
        World { store, rules, agency_a, agency_b, agent_a, agent_b, _dir: dir }
    }

    fn file(&mut self, agent: i64, customer: &str, when: &str) -> StoredReport {
        let mut n = (at(when).timestamp() as u64) ^ (agent as u64).wrapping_mul(7919);
        let new = NewReport {
            project_id: "demo".into(),
            agent_id: agent,
            customer_name: CustomerName::parse("王先生").unwrap(),
            customer_phone: CustomerPhone::parse(customer, true).unwrap(),
            expected_arrival: None,
            party_size: Some(2),
            note: None,
            idempotency_key: None,
            demo: false,
        };
        self.store
            .file_report(new, KeyId(1), at(when), || {
                n = n.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                n
            })
            .unwrap()
    }

    /// Records a visit at `when` (a walk-in without a report); its seq.
    fn check_in(&mut self, report: Option<&StoredReport>, customer: &str, when: &str) -> i64 {
        let facts = StatementFacts {
            project: "演示项目",
            agency: "",
            agent: "",
            reported_name: "王先生",
            arrived_name: "王先生",
            arrival: "2026-11-18 10:45",
        };
        let (name, signatures) = (CustomerName::parse("王先生").unwrap(), crate::demo::signatures(3, &facts).unwrap());
        let req = CheckInRequest {
            answers: DeskAnswers { first_visit: Some(true), contacted_before: Some(false), badge_seen: true },
            ..CheckInRequest::accompanied("demo", report.map(|r| r.id), name, phone(customer), signatures)
        };
        self.store.record_checkin(req, &self.rules, utc(when)).unwrap().row.seq
    }

    /// The customer subscribes 3-1-1201 at 11:00 on the 20th; its id.
    fn subscribe(&mut self, deposit: &str, down_payment: Option<&str>) -> i64 {
        let subscription = NewSubscription {
            project_id: "demo".into(),
            customer_name: CustomerName::parse("王小明").unwrap(),
            phone: phone(CUSTOMER),
            unit: "3-1-1201".into(),
            product: Product::Residential,
            price_fen: 200_000_000,
            subscribed_at: at("2026-11-20T11:00:00+08:00"),
            deposit_at: Some(at(deposit)),
            down_payment_at: down_payment.map(at),
            sales: None,
            external_id: None,
        };
        let by = By { actor: "staff:1", project: Some("demo") };
        let now = utc("2026-11-20T12:00:00+08:00");
        self.store.enter_subscription(&subscription, "staff:1", "entered", &self.rules, by, now).unwrap().id
    }

    fn staff(&self, login: &str, name: &str, role: Role) -> i64 {
        let project_id = (role != Role::Admin).then_some("demo");
        let new = NewStaff { project_id, login, name, role, password: None, pin: None };
        self.store.create_staff(&new, utc("2026-11-01T09:00:00+08:00")).unwrap()
    }
}

fn kinds(events: &[TimelineEvent]) -> Vec<TimelineKind> {
    events.iter().map(|e| e.kind).collect()
}

/// Every text an event carries.
fn texts(e: &TimelineEvent) -> Vec<String> {
    let mut all = vec![
        e.masked_phone.clone(),
        e.summary_zh.clone(),
        e.summary_en.clone(),
        e.rule_zh.clone(),
        e.rule_en.clone(),
        e.agency.clone().unwrap_or_default(),
        e.agent.clone().unwrap_or_default(),
    ];
    all.extend(e.details.iter().map(|d| d.text.clone()));
    all
}

#[test]
fn the_timeline_is_the_whole_group_in_time_order_with_masked_phones_only() {
    let mut w = World::new();
    // The spouse walks in alone; later a manager links the couple.
    let walk_in = w.check_in(None, SPOUSE, "2026-11-10T15:00:00+08:00");
    w.store
        .link_group("demo", &[phone(CUSTOMER), phone(SPOUSE)], "staff:1", "户口本", utc("2026-11-17T09:00:00+08:00"))
        .unwrap();
    // Agency B reports the spouse with a masked phone (隐号报备).
    let b = w.file(w.agent_b, "139****4321", "2026-11-17T10:00:00+08:00");
    // Another customer in the same index bucket (138…5678): not theirs.
    let stranger = w.file(w.agent_a, "13899995678", "2026-11-16T10:00:00+08:00");
    let a = w.file(w.agent_a, CUSTOMER, "2026-11-18T10:00:00+08:00");
    let visit = w.check_in(Some(&a), CUSTOMER, "2026-11-18T10:45:00+08:00");
    w.store
        .amend(
            visit,
            "staff:1",
            "切客,客户实际手机 13812345678",
            json!({"void": true, "note": "中原-体育西 先带看"}),
            utc("2026-11-18T12:00:00+08:00"),
        )
        .unwrap();
    let entered = w.subscribe("2026-11-21T10:00:00+08:00", None);

    let timeline = w.store.customer_timeline("demo", &[phone(CUSTOMER)], &w.rules, DisputeSteps::All).unwrap();
    use TimelineKind::*;
    assert_eq!(
        kinds(&timeline),
        vec![
            Visit,
            GroupLink,
            GroupLink,
            Report,
            Report,
            FirstRead,
            Visit,
            Amendment,
            Subscription,
            Attribution,
            Deposit
        ]
    );
    assert!(timeline.windows(2).all(|p| p[0].at <= p[1].at), "in time order");
    // The spouse's walk-in: the sales office's, no agency.
    assert_eq!(timeline[0].ledger_seq, Some(walk_in));
    assert_eq!(timeline[0].agency, None);
    assert_eq!(timeline[0].masked_phone, "139****4321");
    // Agency B's masked report of the spouse, then agency A's.
    assert_eq!(timeline[3].report_id, Some(b.id.0));
    assert_eq!((timeline[3].agency_id, timeline[3].agency.as_deref()), (Some(w.agency_b), Some("中原-体育西")));
    assert_eq!(timeline[3].agent.as_deref(), Some("李四"));
    assert_eq!(timeline[4].report_id, Some(a.id.0));
    assert_eq!(timeline[4].agency_id, Some(w.agency_a));
    assert!(timeline.iter().all(|e| e.report_id != Some(stranger.id.0)), "a stranger sharing head and tail");
    // The first read comes before the visit judged at that instant.
    assert_eq!(timeline[5].at, timeline[6].at);
    assert_eq!(timeline[6].ledger_seq, Some(visit));
    assert_eq!(timeline[6].agency_id, Some(w.agency_a));
    assert!(timeline[6].summary_zh.contains("已作废"), "{}", timeline[6].summary_zh);
    assert!(timeline[6].rule_zh.starts_with("按本记录封存的规则"), "{}", timeline[6].rule_zh);
    assert!(timeline[4].rule_zh.contains("报备须早于到访至少 30 分钟"), "{}", timeline[4].rule_zh);
    // The amendment concerns agency A's visit; its free text is a detail.
    assert_eq!(timeline[7].agency_id, Some(w.agency_a));
    assert!(timeline[7].summary_zh.contains("作废本次到访"), "{}", timeline[7].summary_zh);
    assert!(!timeline[7].summary_zh.contains("中原"), "typed text stays out of the summary");
    assert!(timeline[7].details.iter().any(|d| d.text.contains("138****5678")));
    assert_eq!(timeline[8].subscription_id, Some(entered));
    assert_eq!(timeline[9].subscription_id, Some(entered));
    assert!(timeline[9].ledger_seq.is_some());
    // No agency's name in any summary or rule; no full phone anywhere.
    for e in &timeline {
        for text in [&e.summary_zh, &e.summary_en, &e.rule_zh, &e.rule_en] {
            assert!(!text.contains("链家") && !text.contains("中原"), "{:?}: {text}", e.kind);
        }
        for text in texts(e) {
            assert!(!text.contains(CUSTOMER) && !text.contains(SPOUSE), "{:?}: {text}", e.kind);
        }
    }
    // The same customer asked for by the spouse's phone.
    assert_eq!(w.store.customer_timeline("demo", &[phone(SPOUSE)], &w.rules, DisputeSteps::All).unwrap(), timeline);
    // A dispute's own step, added by its caller, lands in order.
    let mut with_dispute = timeline.clone();
    with_dispute.insert(0, TimelineEvent { kind: Dispute, ..timeline[9].clone() });
    sort_events(&mut with_dispute);
    assert_eq!(kinds(&with_dispute)[9..], [Attribution, Dispute, Deposit]);
}

#[test]
fn an_unlinked_spouse_is_another_customer_but_the_links_stay_on_the_timeline() {
    let mut w = World::new();
    w.check_in(None, SPOUSE, "2026-11-10T15:00:00+08:00");
    w.store
        .link_group("demo", &[phone(CUSTOMER), phone(SPOUSE)], "staff:1", "结婚证", utc("2026-11-17T09:00:00+08:00"))
        .unwrap();
    w.file(w.agent_b, "139****4321", "2026-11-17T10:00:00+08:00");
    let a = w.file(w.agent_a, "138****5678", "2026-11-18T10:00:00+08:00");
    w.store.unlink_group("demo", &phone(SPOUSE), "staff:1", "录入错误", utc("2026-11-19T09:00:00+08:00")).unwrap();

    let timeline = w.store.customer_timeline("demo", &[phone(CUSTOMER)], &w.rules, DisputeSteps::All).unwrap();
    use TimelineKind::*;
    assert_eq!(kinds(&timeline), vec![GroupLink, GroupLink, Report, GroupUnlink, GroupUnlink]);
    // Agency A's masked report matches the full phone asked for.
    assert_eq!(timeline[2].report_id, Some(a.id.0));
    assert_eq!(timeline[2].masked_phone, "138****5678");
    let spouse = w.store.customer_timeline("demo", &[phone(SPOUSE)], &w.rules, DisputeSteps::All).unwrap();
    assert_eq!(kinds(&spouse), vec![Visit, GroupLink, GroupLink, Report, GroupUnlink, GroupUnlink]);
    assert_eq!(spouse[3].agency_id, Some(w.agency_b));
}

#[test]
fn a_split_ruling_is_one_step_per_agency_and_share_without_names_in_the_texts() {
    let body: crate::wire::record::AttributionBody = serde_json::from_value(json!({
        "version": 1,
        "subscription": {"id": 4, "unit": "3-1-1201", "product": "residential", "price_fen": 100,
                         "at": "2026-11-20T11:00:00+08:00"},
        "customer_phones": ["138****5678"],
        "facts": {"visits": [], "agencies": {}, "employees": [], "earlier_subscriptions": []},
        "rules": {"timezone": "Asia/Shanghai", "protection_days": 15, "contract_grace_days": 15,
                  "excluded_products": ["parking"], "repeat_buyer_excluded": true},
        "result": {"channel_performance": false, "agency": null, "visit_at": null,
                   "reasons": ["NO_VALID_VISIT"], "covering": null, "visit_seq": null},
        "cause": "ruling:9",
        "replaces": 12,
        "ruling": {"dispute_id": 9, "ruling_seq": 20, "level": 1, "outcome": "split",
                   "agency": "链家-天河店", "agency_id": 1, "percent": 60,
                   "co_agency": "中原-体育西", "co_agency_id": 2, "co_percent": 40}
    }))
    .unwrap();
    let entry = crate::store::deals::AttributionEntry { seq: 21, recorded_at: "2026-11-25T02:00:00.000Z".into(), body };
    let base = TimelineEvent {
        subscription_id: Some(4),
        ..event(at("2026-11-20T11:00:00+08:00"), TimelineKind::Subscription, "138****5678".into())
    };
    let conn = Connection::open_in_memory().unwrap();
    let mut events = Vec::new();
    attribution_events(&conn, &Rules::default(), &mut Names::default(), &base, &entry, &mut events).unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!((events[0].agency_id, events[0].agency.as_deref()), (Some(1), Some("链家-天河店")));
    assert_eq!((events[1].agency_id, events[1].agency.as_deref()), (Some(2), Some("中原-体育西")));
    assert!(events[0].summary_zh.contains("60%") && events[1].summary_zh.contains("40%"));
    for e in &events {
        assert_eq!((e.kind, e.ledger_seq, e.subscription_id), (TimelineKind::Attribution, Some(21), Some(4)));
        assert!(e.rule_zh.contains("争议裁决") && e.rule_zh.contains("客户在认购前没有有效带看"), "{}", e.rule_zh);
        for text in [&e.summary_zh, &e.summary_en, &e.rule_zh, &e.rule_en] {
            assert!(!text.contains("链家") && !text.contains("中原"), "{text}");
        }
    }
}

#[test]
fn phones_in_typed_text_are_masked() {
    assert_eq!(mask_phones_in("客户 13812345678 说"), "客户 138****5678 说");
    assert_eq!(mask_phones_in("+8613812345678"), "+86138****5678");
    assert_eq!(mask_phones_in("单号 20261120123456789"), "单号 20261120123456789");
    assert_eq!(mask_phones_in("12345678901"), "12345678901");
}

#[test]
fn every_kind_has_a_code_and_both_languages() {
    for k in TimelineKind::ALL {
        assert_eq!(TimelineKind::parse(k.code()), Some(k));
        assert!(!k.zh().is_empty() && k.en().is_ascii());
    }
    let mut sorted = TimelineKind::ALL;
    sorted.sort();
    assert_eq!(sorted, TimelineKind::ALL);
}

#[test]
fn a_report_states_the_rules_in_force_when_it_was_filed_not_todays() {
    // The world records the default rules (30 minutes) as first seen on the 1st.
    let mut w = World::new();
    let before_any = w.file(w.agent_a, CUSTOMER, "2026-10-20T10:00:00+08:00");
    let old = w.file(w.agent_a, CUSTOMER, "2026-11-10T10:00:00+08:00");
    let stricter = Rules { min_gap: chrono::Duration::minutes(60), ..Rules::default() };
    let json = serde_json::to_string(&RulesPatch::from_rules(&stricter)).unwrap();
    w.store.record_rule_version("demo", "y", &json, "{}", utc("2026-11-12T09:00:00+08:00")).unwrap();
    let new = w.file(w.agent_b, CUSTOMER, "2026-11-15T10:00:00+08:00");
    // The rules the caller holds today differ again: no step states them.
    let today = Rules { min_gap: chrono::Duration::minutes(90), ..Rules::default() };

    let timeline = w.store.customer_timeline("demo", &[phone(CUSTOMER)], &today, DisputeSteps::Without).unwrap();
    let rule = |id: i64| {
        let e = timeline.iter().find(|e| e.kind == TimelineKind::Report && e.report_id == Some(id)).unwrap();
        e.rule_zh.clone()
    };
    assert!(rule(old.id.0).contains("报备须早于到访至少 30 分钟"), "{}", rule(old.id.0));
    assert!(rule(old.id.0).starts_with("按当时有效的规则"), "{}", rule(old.id.0));
    assert!(rule(before_any.id.0).contains("至少 30 分钟"), "older than every version: the oldest");
    assert!(rule(new.id.0).contains("报备须早于到访至少 60 分钟"), "{}", rule(new.id.0));
    assert!(timeline.iter().all(|e| !e.rule_zh.contains("90 分钟")));
}

fn claim(deal: i64, claimant: i64, by: &str) -> NewDispute<'_> {
    NewDispute {
        project_id: "demo",
        subject: Subject::Deal(deal),
        kind: ClaimKind::Collision,
        claim: "客户 13812345678 认购前由我司带看",
        claimant_agency_id: Some(claimant),
        by,
        idempotency_key: None,
    }
}

fn evidence<'a>(
    dispute_id: i64,
    party: Party,
    agency_id: Option<i64>,
    file: &'a EvidenceFile,
    by: &'a str,
) -> NewEvidence<'a> {
    let kind = if party == Party::Claimant { EvidenceKind::Messages } else { EvidenceKind::Statement };
    NewEvidence {
        dispute_id, party, agency_id, kind, file, name: "聊天记录.png", note: "客户 13812345678 说的", by
    }
}

#[test]
fn a_disputes_steps_come_in_order_each_by_the_party_that_acted_in_its_own_periods() {
    let mut w = World::new();
    let report = w.file(w.agent_a, CUSTOMER, "2026-11-18T10:00:00+08:00");
    w.check_in(Some(&report), CUSTOMER, "2026-11-18T10:45:00+08:00");
    let deal = w.subscribe("2026-11-21T10:00:00+08:00", Some("2026-11-22T10:00:00+08:00"));
    let manager = w.staff("manager", "王经理", Role::Manager);
    let admin = w.staff("admin", "周总", Role::Admin);
    let agency_c = w.store.create_agency("我爱我家-一店", None, utc("2026-11-01T09:00:00+08:00")).unwrap();
    let (agent_c, _) =
        w.store.create_agent(agency_c, "王五", &phone("13500000003"), utc("2026-11-01T09:00:00+08:00")).unwrap();
    // The project's periods when the disputes are opened, not the seeds'.
    let settings = Settings { objection_days: 7, evidence_days: 4, opinion_days: 2, appeal_days: 1 };
    let tz = chrono_tz::Asia::Shanghai;
    let (by_a, by_b, by_c) =
        (format!("agent:{}", w.agent_a), format!("agent:{}", w.agent_b), format!("agent:{agent_c}"));
    let d =
        w.store.open_dispute(&claim(deal, w.agency_b, &by_b), &settings, tz, utc("2026-11-23T10:00:00+08:00")).unwrap();
    assert_eq!(d.respondent_agency_id, Some(w.agency_a));
    let file = EvidenceFile::parse(&crate::demo::signature_png(3)).unwrap();
    let mine = evidence(d.id, Party::Claimant, Some(w.agency_b), &file, &by_b);
    w.store.add_evidence(&mine, tz, utc("2026-11-24T09:00:00+08:00")).unwrap();
    let theirs = evidence(d.id, Party::Respondent, Some(w.agency_a), &file, &by_a);
    w.store.add_evidence(&theirs, tz, utc("2026-11-24T15:00:00+08:00")).unwrap();
    // A third agency objects too, then withdraws.
    let c =
        w.store.open_dispute(&claim(deal, agency_c, &by_c), &settings, tz, utc("2026-11-25T10:00:00+08:00")).unwrap();
    w.store.withdraw_dispute(c.id, Some(agency_c), &by_c, utc("2026-11-25T12:00:00+08:00")).unwrap();
    let staff = format!("staff:{manager}");
    w.store
        .rule_dispute(d.id, Outcome::Rejected, "对方报备在先", manager, false, &staff, utc("2026-11-27T10:00:00+08:00"))
        .unwrap();
    w.store
        .appeal_dispute(d.id, w.agency_b, "我方带看在先,请复核", &by_b, tz, utc("2026-11-28T09:00:00+08:00"))
        .unwrap();
    let split = Outcome::Split { claimant_percent: 40 };
    let staff = format!("staff:{admin}");
    w.store
        .rule_dispute(d.id, split, "双方均有带看证据", admin, true, &staff, utc("2026-11-30T10:00:00+08:00"))
        .unwrap();

    let timeline = w.store.customer_timeline("demo", &[phone(CUSTOMER)], &w.rules, DisputeSteps::All).unwrap();
    let steps: Vec<&TimelineEvent> = timeline.iter().filter(|e| e.kind == TimelineKind::Dispute).collect();
    let (a, b, c3) = (Some(w.agency_a), Some(w.agency_b), Some(agency_c));
    assert_eq!(steps.iter().map(|e| e.agency_id).collect::<Vec<_>>(), [b, b, a, c3, c3, None, b, None]);
    assert!(steps.windows(2).all(|p| p[0].at < p[1].at), "in time order");
    let said =
        ["提出异议", "提交证明材料", "提交证明材料", "提出异议", "撤回异议", "案场裁决", "申请复核", "集团复核终裁"];
    for (e, said) in steps.iter().zip(said) {
        assert!(e.summary_zh.starts_with(said), "{}", e.summary_zh);
    }
    // The acting agency's name and agent; the office's steps have none.
    assert_eq!((steps[0].agency.as_deref(), steps[0].agent.as_deref()), (Some("中原-体育西"), Some("李四")));
    assert_eq!((steps[2].agency.as_deref(), steps[2].agent.as_deref()), (Some("链家-天河店"), Some("张三")));
    assert_eq!((steps[5].agency.as_deref(), steps[5].agent.as_deref()), (None, None));
    // The kind of evidence in the summary, the file's name for staff only.
    assert!(steps[1].summary_zh.contains(EvidenceKind::Messages.zh()), "{}", steps[1].summary_zh);
    assert!(steps.iter().all(|e| !e.summary_zh.contains("聊天记录") && !e.summary_en.contains("聊天记录")));
    assert!(steps[1].details.iter().any(|d| d.text == "聊天记录.png"));
    assert!(steps[5].details.iter().any(|d| d.text == "王经理"));
    // Each rule in the dispute's own periods.
    assert!(steps[0].rule_zh.contains("交定金后 7 日内"), "{}", steps[0].rule_zh);
    assert!(steps[1].rule_zh.contains("交首付后 4 日内"), "{}", steps[1].rule_zh);
    assert!(steps[5].rule_zh.contains("案场 2 日内给出处理意见"), "{}", steps[5].rule_zh);
    assert!(steps[6].rule_zh.contains("裁决后 1 日内"), "{}", steps[6].rule_zh);
    assert!(steps[7].rule_zh.contains("集团终裁"), "{}", steps[7].rule_zh);
    for e in &steps {
        for text in [&e.summary_zh, &e.summary_en, &e.rule_zh, &e.rule_en] {
            assert!(!text.contains("链家") && !text.contains("中原") && !text.contains("我爱我家"), "{text}");
        }
        assert!(texts(e).iter().all(|t| !t.contains(CUSTOMER)), "no full phone: {:?}", texts(e));
    }

    // An agency sees the disputes it is a party to, and no other.
    let dispute_steps = |steps: DisputeSteps| {
        let timeline = w.store.customer_timeline("demo", &[phone(CUSTOMER)], &w.rules, steps).unwrap();
        timeline.into_iter().filter(|e| e.kind == TimelineKind::Dispute).collect::<Vec<_>>()
    };
    let for_c = dispute_steps(DisputeSteps::PartyOf(agency_c));
    assert_eq!(for_c.iter().map(|e| e.agency_id).collect::<Vec<_>>(), [c3, c3]);
    let for_b = dispute_steps(DisputeSteps::PartyOf(w.agency_b));
    assert_eq!(for_b.len(), 6);
    assert_eq!(dispute_steps(DisputeSteps::PartyOf(w.agency_a)).len(), 8, "the respondent of both");
    assert!(dispute_steps(DisputeSteps::Without).is_empty());
    assert_eq!(w.store.dispute_events(d.id).unwrap(), for_b);
}
