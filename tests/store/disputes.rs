//! Disputes in the store: the seeds' periods on the project's calendar,
//! evidence sealed by its hash, a ruling that re-attributes the deal (and
//! an appeal that can undo it), every step in the ledger and `verify`
//! catching a changed evidence file.

use super::helpers::{World, t};
use panke::config::rules::RulesPatch;
use panke::domain::dispute::{ClaimKind, EvidenceKind, Outcome, Party, Settings, Status};
use panke::domain::evidence::EvidenceFile;
use panke::store::StoreError;
use panke::store::disputes::{NewDispute, NewEvidence, Subject};
use panke::store::ledger::LedgerFault;

const SHANGHAI: chrono_tz::Tz = chrono_tz::Asia::Shanghai;
const CUSTOMER: &str = "13812345678";

/// Agency A (链家) brings the customer, who subscribes with the deposit at
/// 23:30 on the 20th and the down payment on the 22nd.
fn deal(w: &mut World) -> i64 {
    let rules_json = serde_json::to_string(&RulesPatch::from_rules(&w.rules)).unwrap();
    w.store.record_rule_version("demo", "sha", &rules_json, "{}", t("2026-11-01T09:00:00+08:00")).unwrap();
    let r = w.file(w.agent, CUSTOMER, "2026-11-18T10:00:00+08:00");
    assert_eq!(w.check_in(Some(&r), CUSTOMER, "2026-11-18T10:45:00+08:00").verdict_code(), "valid");
    let text = panke::store::deals::SubscriptionText {
        customer_name: "王小明".into(),
        customer_phone: CUSTOMER.into(),
        unit: "1-2-1801".into(),
        product: "住宅".into(),
        price_yuan: "3000000".into(),
        subscribed_at: "2026-11-20T23:30:00+08:00".into(),
        deposit_at: "2026-11-20T23:30:00+08:00".into(),
        down_payment_at: "2026-11-22T10:00:00+08:00".into(),
        external_id: "RG-1".into(),
    };
    let new = panke::store::deals::NewSubscription::parse("demo", &text, None, SHANGHAI).unwrap();
    let by = panke::store::people::By { actor: "staff:1", project: Some("demo") };
    w.store.enter_subscription(&new, "test", "entered", &w.rules, by, t("2026-11-21T09:00:00+08:00")).unwrap().id
}

fn agency(w: &World, name: &str) -> i64 {
    w.store.agency_by_name(name).unwrap().unwrap()
}

fn claim<'a>(deal: i64, claimant: i64, key: &'a str) -> NewDispute<'a> {
    NewDispute {
        project_id: "demo",
        subject: Subject::Deal(deal),
        kind: ClaimKind::Collision,
        claim: "客户在认购前由我司带看过样板间",
        claimant_agency_id: Some(claimant),
        by: "agent:2",
        idempotency_key: Some(key),
    }
}

fn png() -> Vec<u8> {
    panke::demo::signature_png(3)
}

#[test]
fn an_objection_on_the_fifth_local_day_after_a_2330_deposit_is_taken_and_on_the_sixth_refused() {
    let mut w = World::new();
    let id = deal(&mut w);
    let rival = agency(&w, "中原-体育西");
    let third = w.store.create_agency("我爱我家-一店", None, t("2026-11-01T09:00:00+08:00")).unwrap();
    let s = Settings::default();
    let late = w.store.open_dispute(&claim(id, third, "k-late"), &s, SHANGHAI, t("2026-11-26T00:00:00+08:00"));
    match late {
        Err(StoreError::Late(m)) => assert!(m.contains("2026-11-25"), "{m}"),
        other => panic!("expected a late objection, got {other:?}"),
    }
    let d = w.store.open_dispute(&claim(id, rival, "k-1"), &s, SHANGHAI, t("2026-11-25T23:59:00+08:00")).unwrap();
    assert_eq!(d.status, Status::Open);
    assert_eq!(d.respondent.as_deref(), Some("链家-天河店"));
    assert_eq!(d.masked_phone, "138****5678");
    // The same form again is the same dispute; another objection on the
    // same deal by the same agency is refused.
    let again = w.store.open_dispute(&claim(id, rival, "k-1"), &s, SHANGHAI, t("2026-11-25T23:59:30+08:00")).unwrap();
    assert_eq!(again.id, d.id);
    assert!(matches!(
        w.store.open_dispute(&claim(id, rival, "k-2"), &s, SHANGHAI, t("2026-11-25T23:59:40+08:00")),
        Err(StoreError::Conflict(_))
    ));
    let opened = w.store.ledger_row(d.opened_seq).unwrap();
    assert_eq!(opened.kind, "dispute");
    assert!(!opened.body.contains(CUSTOMER), "no full phone in the ledger");
}

#[test]
fn evidence_is_sealed_by_its_hash_refused_after_the_period_and_checked_by_verify() {
    let mut w = World::new();
    let id = deal(&mut w);
    let rival = agency(&w, "中原-体育西");
    let s = Settings::default();
    let d = w.store.open_dispute(&claim(id, rival, "k"), &s, SHANGHAI, t("2026-11-23T10:00:00+08:00")).unwrap();
    let file = EvidenceFile::parse(&png()).unwrap();
    let evidence = |kind| NewEvidence {
        dispute_id: d.id,
        party: Party::Claimant,
        agency_id: Some(rival),
        kind,
        file: &file,
        name: "聊天记录.png",
        note: "",
        by: "agent:2",
    };
    let e = w.store.add_evidence(&evidence(EvidenceKind::Messages), SHANGHAI, t("2026-11-25T23:00:00+08:00")).unwrap();
    let sealed = w.store.ledger_row(e.ledger_seq).unwrap();
    assert!(sealed.body.contains(&e.sha256), "the file's hash is in the ledger");
    assert_eq!(w.store.evidence_file(d.id, e.id).unwrap().1, file.bytes);
    // Down payment on the 22nd + 3 days: the 26th is too late for a party.
    match w.store.add_evidence(&evidence(EvidenceKind::Statement), SHANGHAI, t("2026-11-26T08:00:00+08:00")) {
        Err(StoreError::Late(m)) => assert!(m.contains("2026-11-25"), "{m}"),
        other => panic!("expected late evidence, got {other:?}"),
    }
    assert!(w.store.verify_ledger().unwrap().is_ok());
    w.raw().execute("UPDATE evidence_files SET bytes = x'00'", []).unwrap();
    assert_eq!(w.store.verify_ledger().unwrap(), Err(LedgerFault::EvidenceAltered { id: e.id }));
}

#[test]
fn a_split_ruling_re_attributes_the_deal_and_an_appeal_ruled_by_the_admin_undoes_it() {
    let mut w = World::new();
    let id = deal(&mut w);
    let (holder, rival) = (agency(&w, "链家-天河店"), agency(&w, "中原-体育西"));
    let s = Settings::default();
    let d = w.store.open_dispute(&claim(id, rival, "k"), &s, SHANGHAI, t("2026-11-23T10:00:00+08:00")).unwrap();
    let before = w.store.attribution(id).unwrap().unwrap();
    assert_eq!(before.agency_id, Some(holder));

    let ruled = w
        .store
        .rule_dispute(
            d.id,
            Outcome::Split { claimant_percent: 30 },
            "双方均有带看证据",
            1,
            false,
            "staff:1",
            t("2026-11-27T10:00:00+08:00"),
        )
        .unwrap();
    assert_eq!(ruled.status, Status::Ruled);
    let entries = w.store.attribution_entries(id).unwrap();
    let newest = &entries[0];
    assert_eq!(newest.body.cause, format!("ruling:{}", d.id));
    let award = newest.body.ruling.as_ref().unwrap();
    assert_eq!(
        (award.agency_id, award.percent, award.co_agency_id, award.co_percent),
        (Some(rival), 30, Some(holder), 70)
    );
    let row: (i64, i64, Option<i64>, i64) = w
        .raw()
        .query_row(
            "SELECT agency_id, share_percent, co_agency_id, co_percent FROM attributions WHERE subscription_id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(row, (rival, 30, Some(holder), 70));
    assert!(matches!(
        w.store.rule_dispute(
            d.id,
            Outcome::Upheld,
            "再裁一次试试",
            1,
            false,
            "staff:1",
            t("2026-11-27T11:00:00+08:00")
        ),
        Err(StoreError::Conflict(_))
    ));

    // The holder appeals once, within three days of the ruling.
    let appealed = w
        .store
        .appeal_dispute(d.id, holder, "对方无有效报备", "agent:1", SHANGHAI, t("2026-11-30T20:00:00+08:00"))
        .unwrap();
    assert_eq!(appealed.status, Status::Appealed);
    assert!(matches!(
        w.store.appeal_dispute(d.id, rival, "我方也要复核", "agent:2", SHANGHAI, t("2026-11-30T21:00:00+08:00")),
        Err(StoreError::Conflict(_))
    ));
    // Only the admin rules on an appeal.
    assert!(matches!(
        w.store.rule_dispute(d.id, Outcome::Rejected, "经理复核", 1, false, "staff:1", t("2026-12-01T10:00:00+08:00")),
        Err(StoreError::Conflict(_))
    ));
    let closed = w
        .store
        .rule_dispute(
            d.id,
            Outcome::Rejected,
            "对方报备晚于到访,驳回",
            2,
            true,
            "staff:2",
            t("2026-12-01T10:00:00+08:00"),
        )
        .unwrap();
    assert_eq!(closed.status, Status::Closed);
    assert_eq!(closed.rulings.len(), 2);
    let back = w.store.attribution(id).unwrap().unwrap();
    assert_eq!(back.agency_id, Some(holder));
    assert!(back.ledger_seq > newest.seq, "undoing the award is a new entry, never an edit");
    assert!(w.store.verify_ledger().unwrap().is_ok());
}

#[test]
fn an_appeal_after_its_period_is_refused_with_the_date() {
    let mut w = World::new();
    let id = deal(&mut w);
    let (holder, rival) = (agency(&w, "链家-天河店"), agency(&w, "中原-体育西"));
    let s = Settings::default();
    let d = w.store.open_dispute(&claim(id, rival, "k"), &s, SHANGHAI, t("2026-11-23T10:00:00+08:00")).unwrap();
    w.store
        .rule_dispute(d.id, Outcome::Upheld, "证据充分", 1, false, "staff:1", t("2026-11-27T22:00:00+08:00"))
        .unwrap();
    match w.store.appeal_dispute(d.id, holder, "不服此裁决", "agent:1", SHANGHAI, t("2026-12-01T00:00:00+08:00")) {
        Err(StoreError::Late(m)) => assert!(m.contains("2026-11-30"), "{m}"),
        other => panic!("expected a late appeal, got {other:?}"),
    }
    // Upheld: the deal is the claimant's whole.
    assert_eq!(w.store.attribution(id).unwrap().unwrap().agency_id, Some(rival));
}

#[test]
fn a_later_rejected_dispute_does_not_undo_an_earlier_award() {
    let mut w = World::new();
    let id = deal(&mut w);
    let (holder, rival) = (agency(&w, "链家-天河店"), agency(&w, "中原-体育西"));
    let s = Settings::default();
    let first = w.store.open_dispute(&claim(id, rival, "k1"), &s, SHANGHAI, t("2026-11-23T10:00:00+08:00")).unwrap();
    w.store
        .rule_dispute(first.id, Outcome::Upheld, "中原报备在先", 1, false, "staff:1", t("2026-11-24T10:00:00+08:00"))
        .unwrap();
    assert_eq!(w.store.attribution(id).unwrap().unwrap().agency_id, Some(rival));
    // The former holder disputes the award and is rejected: the award stands.
    let second = w.store.open_dispute(&claim(id, holder, "k2"), &s, SHANGHAI, t("2026-11-24T11:00:00+08:00")).unwrap();
    assert_eq!(second.respondent_agency_id, Some(rival), "the deal's holder now is the respondent");
    w.store
        .rule_dispute(
            second.id,
            Outcome::Rejected,
            "无新证据,维持原裁决",
            1,
            false,
            "staff:1",
            t("2026-11-25T10:00:00+08:00"),
        )
        .unwrap();
    assert_eq!(w.store.attribution(id).unwrap().unwrap().agency_id, Some(rival));
}

#[test]
fn the_same_file_ruling_or_withdrawal_twice_is_done_once() {
    let mut w = World::new();
    let id = deal(&mut w);
    let rival = agency(&w, "中原-体育西");
    let s = Settings::default();
    let d = w.store.open_dispute(&claim(id, rival, "k"), &s, SHANGHAI, t("2026-11-23T10:00:00+08:00")).unwrap();
    let file = EvidenceFile::parse(&png()).unwrap();
    let new = NewEvidence {
        dispute_id: d.id,
        party: Party::Claimant,
        agency_id: Some(rival),
        kind: EvidenceKind::Messages,
        file: &file,
        name: "a.png",
        note: "",
        by: "agent:2",
    };
    let a = w.store.add_evidence(&new, SHANGHAI, t("2026-11-23T11:00:00+08:00")).unwrap();
    let b = w.store.add_evidence(&new, SHANGHAI, t("2026-11-23T11:00:01+08:00")).unwrap();
    assert_eq!(a.id, b.id);
    assert_eq!(w.store.dispute_evidence(d.id, None).unwrap().len(), 1);
    let len = w.store.ledger_len().unwrap();
    let rule = |w: &mut World| {
        w.store.rule_dispute(d.id, Outcome::Upheld, "证据充分", 1, false, "staff:1", t("2026-11-24T10:00:00+08:00"))
    };
    rule(&mut w).unwrap();
    let after = w.store.ledger_len().unwrap();
    assert!(after > len);
    assert_eq!(rule(&mut w).unwrap().rulings.len(), 1, "the same ruling again is the one made");
    assert_eq!(w.store.ledger_len().unwrap(), after, "and appends nothing");
}

#[test]
fn an_admin_does_not_rule_on_the_appeal_of_their_own_ruling() {
    let mut w = World::new();
    let id = deal(&mut w);
    let (holder, rival) = (agency(&w, "链家-天河店"), agency(&w, "中原-体育西"));
    let s = Settings::default();
    let d = w.store.open_dispute(&claim(id, rival, "k"), &s, SHANGHAI, t("2026-11-23T10:00:00+08:00")).unwrap();
    w.store
        .rule_dispute(d.id, Outcome::Upheld, "证据充分", 2, true, "staff:2", t("2026-11-24T10:00:00+08:00"))
        .unwrap();
    w.store.appeal_dispute(d.id, holder, "我方带看在先", "agent:1", SHANGHAI, t("2026-11-24T12:00:00+08:00")).unwrap();
    assert!(matches!(
        w.store.rule_dispute(
            d.id,
            Outcome::Rejected,
            "复核驳回申诉",
            2,
            true,
            "staff:2",
            t("2026-11-25T10:00:00+08:00")
        ),
        Err(StoreError::Conflict(_))
    ));
    w.store
        .rule_dispute(d.id, Outcome::Rejected, "复核驳回申诉", 1, true, "staff:1", t("2026-11-25T10:00:00+08:00"))
        .unwrap();
}

#[test]
fn a_number_typed_into_a_claim_is_masked_before_anyone_reads_it() {
    let mut w = World::new();
    let id = deal(&mut w);
    let rival = agency(&w, "中原-体育西");
    let mut new = claim(id, rival, "k");
    new.claim = "客户本人号码 13912345678 可核实";
    let d = w.store.open_dispute(&new, &Settings::default(), SHANGHAI, t("2026-11-23T10:00:00+08:00")).unwrap();
    assert_eq!(d.claim, "客户本人号码 139****5678 可核实");
    assert!(!w.store.ledger_row(d.opened_seq).unwrap().body.contains("13912345678"));
}

#[test]
fn an_objection_from_a_visited_report_is_about_that_visit_and_a_masked_unvisited_one_is_refused() {
    let mut w = World::new();
    let rules_json = serde_json::to_string(&RulesPatch::from_rules(&w.rules)).unwrap();
    w.store.record_rule_version("demo", "sha", &rules_json, "{}", t("2026-11-01T09:00:00+08:00")).unwrap();
    let rival = agency(&w, "中原-体育西");
    // The rival's report, filed too late: a natural visit of its own.
    let r = w.file(w.rival_agent, CUSTOMER, "2026-11-18T10:30:00+08:00");
    let out = w.check_in(Some(&r), CUSTOMER, "2026-11-18T10:45:00+08:00");
    assert_eq!(out.verdict_code(), "invalid");
    let mut new = claim(0, rival, "k");
    new.subject = Subject::Report(r.id.0);
    new.kind = ClaimKind::NaturalVerdict;
    let d = w.store.open_dispute(&new, &Settings::default(), SHANGHAI, t("2026-11-19T10:00:00+08:00")).unwrap();
    assert_eq!(d.visit_seq, Some(out.row.seq));
    assert_eq!(d.respondent_agency_id, None, "its own visit: the site answers");
    assert_eq!(d.subscription_id, None);
    // The customer subscribes later: the dispute is about the deal now.
    let text = panke::store::deals::SubscriptionText {
        customer_name: "王小明".into(),
        customer_phone: CUSTOMER.into(),
        unit: "1-2-1801".into(),
        product: "住宅".into(),
        price_yuan: "3000000".into(),
        subscribed_at: "2026-11-20T10:00:00+08:00".into(),
        deposit_at: "2026-11-20T10:00:00+08:00".into(),
        down_payment_at: String::new(),
        external_id: "RG-9".into(),
    };
    let deal = panke::store::deals::NewSubscription::parse("demo", &text, None, SHANGHAI).unwrap();
    let by = panke::store::people::By { actor: "staff:1", project: Some("demo") };
    let sub =
        w.store.enter_subscription(&deal, "test", "entered", &w.rules, by, t("2026-11-20T11:00:00+08:00")).unwrap();
    let linked = w.store.dispute(d.id).unwrap();
    assert_eq!(linked.subscription_id, Some(sub.id));
    assert!(linked.deadlines(SHANGHAI).objection_due.is_some(), "the periods count from the deposit now");

    // A masked report (前三后四) that was never visited names no customer.
    let masked = w.file(w.rival_agent, "137****2468", "2026-11-21T10:00:00+08:00");
    let mut new = claim(0, rival, "k-masked");
    new.subject = Subject::Report(masked.id.0);
    assert!(matches!(
        w.store.open_dispute(&new, &Settings::default(), SHANGHAI, t("2026-11-21T12:00:00+08:00")),
        Err(StoreError::Invalid(_))
    ));
}
