use super::*;
use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

const SHANGHAI: Tz = chrono_tz::Asia::Shanghai;

fn local(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).expect("test instant")
}

fn utc(s: &str) -> DateTime<Utc> {
    local(s).with_timezone(&Utc)
}

fn deposit(s: &str) -> DealDates {
    DealDates { deposit_at: Some(local(s)), down_payment_at: None }
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
}

#[test]
fn an_objection_on_the_fifth_local_day_after_a_late_evening_deposit_is_accepted() {
    let dates = deposit("2026-11-01T23:30:00+08:00");
    let due = may_object(&Settings::default(), SHANGHAI, &dates, utc("2026-11-06T23:59:00+08:00"));
    assert_eq!(due.map(|d| d.objection_due), Ok(Some(day("2026-11-06"))));
}

#[test]
fn an_objection_on_the_sixth_local_day_is_refused_with_its_due_date() {
    let dates = deposit("2026-11-01T23:30:00+08:00");
    let late = may_object(&Settings::default(), SHANGHAI, &dates, utc("2026-11-07T00:00:00+08:00"));
    assert_eq!(late, Err(Late::Objection { due: day("2026-11-06"), days: 5 }));
    let message = late.err().map(|l| l.message()).unwrap_or_default();
    assert!(message.contains("2026-11-06") && message.contains("5 日内"), "{message}");
}

#[test]
fn the_deposit_counts_on_the_projects_calendar_not_utc() {
    // 23:30 in Shanghai is 15:30 UTC the same day; 00:30 is the day
    // before in UTC — the local day decides.
    let dates = deposit("2026-11-02T00:30:00+08:00");
    let due = deadlines(&Settings::default(), SHANGHAI, &dates);
    assert_eq!(due.objection_due, Some(day("2026-11-07")));
    assert_eq!(Utc.from_utc_datetime(&local("2026-11-02T00:30:00+08:00").naive_utc()).date_naive(), day("2026-11-01"));
}

#[test]
fn without_a_deposit_an_objection_is_open() {
    let due = may_object(&Settings::default(), SHANGHAI, &DealDates::default(), utc("2030-01-01T12:00:00+08:00"));
    assert_eq!(due, Ok(Deadlines::default()));
}

#[test]
fn evidence_closes_three_days_after_the_down_payment_and_the_opinion_three_after_that() {
    let dates = DealDates {
        deposit_at: Some(local("2026-11-01T10:00:00+08:00")),
        down_payment_at: Some(local("2026-11-10T18:00:00+08:00")),
    };
    let s = Settings::default();
    let due = deadlines(&s, SHANGHAI, &dates);
    assert_eq!(due.evidence_due, Some(day("2026-11-13")));
    assert_eq!(due.opinion_due, Some(day("2026-11-16")));
    assert_eq!(may_add_evidence(&s, SHANGHAI, &dates, utc("2026-11-13T23:00:00+08:00")), Ok(()));
    assert_eq!(
        may_add_evidence(&s, SHANGHAI, &dates, utc("2026-11-14T08:00:00+08:00")),
        Err(Late::Evidence { due: day("2026-11-13"), days: 3 })
    );
}

#[test]
fn project_settings_change_every_period() {
    let s = Settings { objection_days: 7, evidence_days: 5, opinion_days: 2, appeal_days: 1 };
    let dates = DealDates {
        deposit_at: Some(local("2026-11-01T10:00:00+08:00")),
        down_payment_at: Some(local("2026-11-10T10:00:00+08:00")),
    };
    let due = deadlines(&s, SHANGHAI, &dates);
    assert_eq!(
        (due.objection_due, due.evidence_due, due.opinion_due),
        (Some(day("2026-11-08")), Some(day("2026-11-15")), Some(day("2026-11-17")))
    );
    assert_eq!(appeal_due(&s, SHANGHAI, utc("2026-11-20T22:00:00+08:00")), day("2026-11-21"));
}

#[test]
fn an_appeal_is_open_through_the_last_local_day() {
    let s = Settings::default();
    let ruled = utc("2026-11-20T23:50:00+08:00");
    assert_eq!(may_appeal(&s, SHANGHAI, ruled, utc("2026-11-23T23:59:00+08:00")), Ok(()));
    assert!(may_appeal(&s, SHANGHAI, ruled, utc("2026-11-24T00:00:00+08:00")).is_err());
}

#[test]
fn what_an_open_dispute_waits_for_follows_the_evidence_period() {
    let s = Settings::default();
    let due = Deadlines {
        objection_due: Some(day("2026-11-06")),
        evidence_due: Some(day("2026-11-13")),
        opinion_due: Some(day("2026-11-16")),
    };
    let at = |d: &str| next(&s, SHANGHAI, Status::Open, &due, None, None, day(d));
    assert_eq!(at("2026-11-13"), Next::Evidence(Some(day("2026-11-13"))));
    assert_eq!(at("2026-11-14"), Next::Ruling(Some(day("2026-11-16"))));
    assert_eq!(days_left(day("2026-11-16"), day("2026-11-18")), -2);
    let none = next(&s, SHANGHAI, Status::Open, &Deadlines::default(), None, None, day("2026-11-14"));
    assert_eq!(none, Next::Evidence(None));
}

#[test]
fn the_seeds_default_without_evidence_keeps_the_closing_party() {
    let due = Deadlines { evidence_due: Some(day("2026-11-13")), ..Deadlines::default() };
    assert_eq!(seeds_default(&due, day("2026-11-13"), 0, true), None);
    assert_eq!(seeds_default(&due, day("2026-11-14"), 0, true), Some(SeedsDefault::NoEvidence));
    assert_eq!(seeds_default(&due, day("2026-11-14"), 2, true).map(SeedsDefault::outcome), Some(Outcome::Upheld));
    assert_eq!(seeds_default(&due, day("2026-11-14"), 2, false).map(SeedsDefault::outcome), Some(Outcome::Rejected));
}

#[test]
fn a_split_needs_a_percentage_strictly_between_none_and_all() {
    assert_eq!(Outcome::parse("split", Some(30)), Ok(Outcome::Split { claimant_percent: 30 }));
    for bad in [None, Some(0), Some(100), Some(-5), Some(250)] {
        assert_eq!(Outcome::parse("split", bad), Err(OutcomeError::SplitPercent));
    }
    assert_eq!(Outcome::parse("maybe", None), Err(OutcomeError::Unknown));
}

#[test]
fn an_award_gives_the_claimant_all_or_its_share_and_nothing_when_rejected() {
    assert_eq!(award(Outcome::Rejected, Some("B"), Some("A")), None);
    assert_eq!(award(Outcome::Upheld, Some("B"), Some("A")), Some(Award { agency: Some("B"), percent: 100, co: None }));
    assert_eq!(
        award(Outcome::Split { claimant_percent: 30 }, Some("B"), Some("A")),
        Some(Award { agency: Some("B"), percent: 30, co: Some((Some("A"), 70)) })
    );
    // The site's own claim upheld: no channel at all.
    assert_eq!(award::<&str>(Outcome::Upheld, None, Some("A")), Some(Award { agency: None, percent: 100, co: None }));
}

#[test]
fn claims_and_reasons_need_words() {
    assert!(claim_text("  ").is_err());
    assert!(claim_text(&"字".repeat(1001)).is_err());
    assert_eq!(claim_text(" 客户11月1日由我司带看\u{7} "), Ok("客户11月1日由我司带看".to_owned()));
    assert!(ruling_reasons("好").is_err());
}

#[test]
fn codes_round_trip() {
    for k in ClaimKind::ALL {
        assert_eq!(ClaimKind::parse(k.code()), Some(k));
    }
    for k in EvidenceKind::ALL {
        assert_eq!(EvidenceKind::parse(k.code()), Some(k));
    }
    for s in Status::ALL {
        assert_eq!(Status::parse(s.code()), Some(s));
    }
}
