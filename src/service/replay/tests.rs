use super::*;
use serde_json::{Value, json};

const ALL: &[&str] = &["customer", "agent", "sales"];
const UNTIL: &str = "2026-12-03T10:45:00+08:00";

fn verdict(reasons: &[&str], until: Option<&str>) -> Value {
    let code = if reasons.is_empty() { "valid" } else { "invalid" };
    json!({ "verdict": code, "reasons": reasons, "off_hours": false, "protected_until": until })
}

/// A body as the check-in writes it: reported (masked phone) at 10:00,
/// the customer at the desk at `at`. Without `provisional`, a body as
/// release 0.1 wrote it (no version either).
fn body(at: &str, confirms: bool, signed: &[&str], recorded: Value, provisional: Option<Value>) -> Value {
    let mut body = json!({
        "answers": { "badge_seen": true, "contacted_before": false, "first_visit": true },
        "case": {
            "agency_reports": [], "history": [], "other_reports": [],
            "report": { "agency": "链家-天河店", "agent": "张三", "customer_name": "王先生",
                        "customer_phone": "139****5678", "filed_at": "2026-11-18T10:00:00+08:00" },
            "arrival": { "at": at, "agent_present": true, "customer_confirms_agent": confirms,
                         "customer_name": "王小明", "customer_phone": "13912345678", "signatures": signed },
        },
        "demo": false, "desk_clerk": null, "kiosk_id": null, "sales_consultant": null, "signatures": [],
        "rules": RulesPatch::from_rules(&Rules::default()),
        "verdict": recorded,
    });
    if let Some(p) = provisional {
        body["version"] = json!(2);
        body["provisional"] = p;
    }
    body
}

fn row(body: &Value) -> LedgerRow {
    LedgerRow {
        seq: 7,
        kind: "visit".into(),
        project_id: "demo".into(),
        report_id: Some(1),
        amends_seq: None,
        recorded_at: "2026-11-18T10:45:01+08:00".into(),
        body: body.to_string(),
        prev_sha256: String::new(),
        row_hmac: String::new(),
    }
}

fn min_gap(minutes: &str) -> WhatIf {
    WhatIf::parse(&WhatIfInput { min_gap_minutes: minutes.into(), ..WhatIfInput::default() }).unwrap()
}

#[test]
fn a_recorded_valid_visit_judged_again_gives_its_recorded_verdict() {
    let valid = verdict(&[], Some(UNTIL));
    let r = judge_again(&row(&body("2026-11-18T10:45:00+08:00", true, ALL, valid.clone(), Some(valid)))).unwrap();
    assert!(r.same, "{r:?}");
    assert_eq!(r.replayed.verdict, Verdict::Valid);
    assert_eq!(r.replayed.protected_until, crate::time::parse_instant(UNTIL));
    assert_eq!(r.rules_used.min_gap_minutes, Some(30));
    assert!(r.changed_rules.is_empty());
}

#[test]
fn what_if_a_larger_minimum_advance_makes_the_valid_visit_too_late() {
    let valid = verdict(&[], Some(UNTIL));
    let record = row(&body("2026-11-18T10:45:00+08:00", true, ALL, valid.clone(), Some(valid)));
    let r = what_if(&record, &min_gap("60")).unwrap();
    assert!(!r.same);
    assert_eq!(r.recorded.verdict, Verdict::Valid);
    assert_eq!((r.replayed.verdict, r.replayed.reasons.as_slice()), (Verdict::Invalid, &[Reason::ReportTooLate][..]));
    assert_eq!(r.replayed.protected_until, None);
    assert_eq!(r.differences, [Difference::Verdict, Difference::Reasons, Difference::ProtectedUntil]);
    let change = RuleChange { key: "min_gap_minutes".into(), recorded: "30".into(), used: "60".into() };
    assert_eq!(r.changed_rules, [change]);
    assert!(judge_again(&record).unwrap().same, "the question leaves the record's own judgement alone");
}

#[test]
fn what_if_a_smaller_minimum_advance_makes_the_late_visit_valid() {
    let late = verdict(&["REPORT_TOO_LATE"], None);
    let record = row(&body("2026-11-18T10:10:00+08:00", true, ALL, late.clone(), Some(late)));
    assert!(judge_again(&record).unwrap().same);
    let r = what_if(&record, &min_gap("5")).unwrap();
    assert_eq!(r.replayed.verdict, Verdict::Valid);
    assert_eq!(r.replayed.protected_until, crate::time::parse_instant("2026-12-03T10:10:00+08:00"));
}

#[test]
fn missing_signatures_count_as_the_check_in_of_each_release_counted_them() {
    // The customer denies the agent: since the verdict before signing,
    // the agent is not asked to sign and no signature is missing.
    let (at, signed) = ("2026-11-18T10:45:00+08:00", &["customer", "sales"][..]);
    let before = || Some(verdict(&[], Some(UNTIL)));
    let now = body(at, false, signed, verdict(&["CUSTOMER_DENIES_AGENT"], None), before());
    assert!(judge_again(&row(&now)).unwrap().same);
    // Release 0.1 had no such step; its reasons, in any order, still match.
    let old = body(at, false, signed, verdict(&["SIGNATURES_MISSING", "CUSTOMER_DENIES_AGENT"], None), None);
    assert!(judge_again(&row(&old)).unwrap().same);
    let wrong = body(at, false, signed, verdict(&["CUSTOMER_DENIES_AGENT", "SIGNATURES_MISSING"], None), before());
    assert_eq!(judge_again(&row(&wrong)).unwrap().differences, [Difference::Reasons]);
}

#[test]
fn what_if_settings_parse_and_refuse_in_both_languages() {
    let input = WhatIfInput {
        report_validity: "当日".into(),
        desk_hours_mon_thu: " 08:30～20:00 ".into(),
        agent_must_accompany: "否".into(),
        ..WhatIfInput::default()
    };
    let parsed = WhatIf::parse(&input).unwrap();
    let o = parsed.overrides();
    assert_eq!(o.report_validity.as_deref(), Some("same-day"));
    assert_eq!(o.desk_hours.as_ref().and_then(|h| h.mon_thu.as_deref()), Some("08:30-20:00"));
    assert_eq!(o.agent_must_accompany, Some(false));
    assert!(WhatIf::parse(&WhatIfInput::default()).unwrap().is_empty());
    let blank = WhatIfInput::default;
    for (input, field) in [
        (WhatIfInput { min_gap_minutes: "abc".into(), ..blank() }, "min_gap_minutes"),
        (WhatIfInput { protection_days: "0".into(), ..blank() }, "protection_days"),
        (WhatIfInput { report_validity: "400d".into(), ..blank() }, "report_validity"),
        (WhatIfInput { desk_hours_fri_sun: "19:00-09:00".into(), ..blank() }, "desk_hours_fri_sun"),
        (WhatIfInput { overlap_rule: "whoever".into(), ..blank() }, "overlap_rule"),
    ] {
        let e = WhatIf::parse(&input).unwrap_err();
        assert_eq!(e.field, field);
        let chinese = e.message.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        assert!(chinese && e.message.contains(" / ") && e.message.contains("not \""), "{e}");
    }
}

#[test]
fn only_visit_records_are_judged_again() {
    let mut amendment = row(&json!({ "amends": 1 }));
    amendment.kind = "amendment".into();
    assert!(matches!(judge_again(&amendment), Err(ReplayError::NotAVisit { seq: 7, .. })));
}
