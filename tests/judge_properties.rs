//! Properties of the rules that hold for every case, not just the samples.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Duration, FixedOffset, TimeZone};
use panke::domain::judge::{Arrival, Case, HistoryVisit, Report, Signatures, Signer, Verdict, judge};
use panke::domain::name::CustomerName;
use panke::domain::phone::{CustomerPhone, Phone};
use panke::domain::reason::Reason;
use panke::domain::rules::{ReportValidity, Rules};
use proptest::prelude::*;

fn t0() -> DateTime<FixedOffset> {
    FixedOffset::east_opt(8 * 3600).unwrap().with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap()
}

fn phone_strategy() -> impl Strategy<Value = Phone> {
    // A small pool, so that random cases often share customers.
    prop::sample::select(vec!["13812345678", "13899995678", "13912345678", "15000000001"])
        .prop_map(|p| Phone::parse(p).unwrap())
}

fn customer_phone_strategy() -> impl Strategy<Value = CustomerPhone> {
    (phone_strategy(), any::<bool>())
        .prop_map(|(p, masked)| if masked { CustomerPhone::Masked(p.masked()) } else { CustomerPhone::Full(p) })
}

fn instant(max_minutes: i64) -> impl Strategy<Value = DateTime<FixedOffset>> {
    (0..max_minutes, prop::sample::select(vec![0, 8 * 3600, -5 * 3600]))
        .prop_map(|(m, off)| (t0() + Duration::minutes(m)).with_timezone(&FixedOffset::east_opt(off).unwrap()))
}

const MONTHS: i64 = 60 * 24 * 62;

fn name_strategy() -> impl Strategy<Value = CustomerName> {
    prop::sample::select(vec!["王小明", "王", "王先生", "黄小明", "李雷"]).prop_map(|n| CustomerName::parse(n).unwrap())
}

fn report_strategy(agency: &'static str) -> impl Strategy<Value = Report> {
    (name_strategy(), customer_phone_strategy(), instant(MONTHS)).prop_map(
        move |(customer_name, customer_phone, filed_at)| Report {
            agency: agency.into(),
            agent: "张三".into(),
            customer_name,
            customer_phone,
            filed_at,
        },
    )
}

fn case_strategy() -> impl Strategy<Value = Case> {
    (
        prop::option::weighted(0.85, report_strategy("链家-天河店")),
        prop::collection::vec(report_strategy("中原-体育西"), 0..3),
        prop::collection::vec(instant(MONTHS), 0..7),
        prop::collection::vec(history_strategy(), 0..3),
        (
            instant(MONTHS),
            name_strategy(),
            phone_strategy(),
            prop::collection::vec(customer_phone_strategy(), 0..2),
            any::<bool>(),
            any::<bool>(),
            prop::collection::vec(prop::sample::select(Signer::ALL.to_vec()), 0..4),
        ),
    )
        .prop_map(
            |(report, other_reports, agency_reports, history, (at, name, phone, group, present, confirms, signers))| {
                Case {
                    report,
                    other_reports,
                    agency_reports,
                    history,
                    arrival: Arrival {
                        at,
                        customer_name: name,
                        customer_phone: phone,
                        group_phones: group,
                        agent_present: present,
                        customer_confirms_agent: confirms,
                        signatures: signers.into_iter().collect(),
                    },
                }
            },
        )
}

/// A visit in the records: plain, or an agency's valid visit with the end
/// of its protection.
fn history_strategy() -> impl Strategy<Value = HistoryVisit> {
    (
        instant(MONTHS),
        customer_phone_strategy(),
        prop::option::of((prop::sample::select(vec!["链家-天河店", "中原-体育西"]), 1i64..60)),
    )
        .prop_map(|(at, phone, valid)| HistoryVisit {
            at,
            phone,
            agency: valid.map(|(a, _)| a.to_owned()),
            protected_until: valid.map(|(_, days)| at + Duration::days(days)),
        })
}

fn rules_strategy() -> impl Strategy<Value = Rules> {
    (any::<bool>(), 0i64..120, 1u32..10).prop_map(|(same_day, gap, days)| Rules {
        report_validity: if same_day { ReportValidity::SameDay } else { ReportValidity::Days(days) },
        min_gap: Duration::minutes(gap),
        ..Rules::default()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn verdict_is_valid_exactly_when_there_are_no_reasons(case in case_strategy(), rules in rules_strategy()) {
        let j = judge(&case, &rules);
        prop_assert_eq!(j.verdict == Verdict::Valid, j.reasons.is_empty());
        prop_assert_eq!(j.protected_until.is_some(), j.verdict == Verdict::Valid);
        if let Some(until) = j.protected_until {
            prop_assert_eq!(until, case.arrival.at + rules.protection);
        }
    }

    #[test]
    fn reasons_are_sorted_without_duplicates(case in case_strategy(), rules in rules_strategy()) {
        let codes: Vec<&str> = judge(&case, &rules).reasons.iter().map(Reason::code).collect();
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        prop_assert_eq!(codes, sorted);
    }

    #[test]
    fn not_reported_is_joined_only_by_visited_before(case in case_strategy(), rules in rules_strategy()) {
        let j = judge(&case, &rules);
        prop_assert_eq!(j.reasons.contains(Reason::NotReported), case.report.is_none());
        if case.report.is_none() {
            prop_assert!(j.reasons.iter().all(|r| matches!(r, Reason::NotReported | Reason::VisitedBefore)));
        }
    }

    #[test]
    fn another_agencys_covering_valid_visit_never_makes_an_invalid_verdict_valid(
        case in case_strategy(),
        rules in rules_strategy(),
        back in 1i64..50_000,
        ahead in 0i64..50_000,
    ) {
        let before = judge(&case, &rules);
        let mut more = case.clone();
        let at = case.arrival.at - Duration::minutes(back);
        more.history.push(HistoryVisit {
            at,
            phone: CustomerPhone::Full(case.arrival.customer_phone),
            agency: Some("中原-体育西".to_owned()),
            protected_until: Some(case.arrival.at + Duration::minutes(ahead)),
        });
        let after = judge(&more, &rules);
        prop_assert!(before.verdict == Verdict::Valid || after.verdict == Verdict::Invalid);
        if case.report.as_ref().is_some_and(|r| r.agency != "中原-体育西") {
            prop_assert!(after.reasons.contains(Reason::ProtectedByOther));
        }
    }

    #[test]
    fn protection_is_new_or_the_agencys_own_running_protection(case in case_strategy(), rules in rules_strategy()) {
        let j = judge(&case, &rules);
        if let (Some(until), Some(report)) = (j.protected_until, &case.report) {
            let own_running: Vec<_> = case
                .history
                .iter()
                .filter(|h| h.agency.as_deref() == Some(report.agency.as_str()))
                .filter_map(|h| h.protected_until.filter(|&u| h.at < case.arrival.at && case.arrival.at <= u))
                .collect();
            prop_assert!(until == case.arrival.at + rules.protection || own_running.contains(&until));
        }
    }

    #[test]
    fn moving_arrival_later_never_turns_report_too_late_on(case in case_strategy(), rules in rules_strategy(), later in 0i64..100_000) {
        let before = judge(&case, &rules);
        let mut moved = case.clone();
        moved.arrival.at += Duration::minutes(later);
        let after = judge(&moved, &rules);
        prop_assert!(!after.reasons.contains(Reason::ReportTooLate) || before.reasons.contains(Reason::ReportTooLate));
    }

    #[test]
    fn moving_arrival_earlier_never_turns_report_expired_on(case in case_strategy(), rules in rules_strategy(), earlier in 0i64..100_000) {
        let before = judge(&case, &rules);
        let mut moved = case.clone();
        moved.arrival.at -= Duration::minutes(earlier);
        // Before filing, `same-day` rightly differs in local date; the
        // property is about the validity window, which starts at filing.
        if let Some(r) = &case.report {
            moved.arrival.at = moved.arrival.at.max(r.filed_at.min(case.arrival.at));
        }
        let after = judge(&moved, &rules);
        prop_assert!(!after.reasons.contains(Reason::ReportExpired) || before.reasons.contains(Reason::ReportExpired));
    }

    #[test]
    fn masking_the_reported_phone_never_creates_a_mismatch(case in case_strategy(), rules in rules_strategy()) {
        let before = judge(&case, &rules);
        let mut masked = case.clone();
        if let Some(r) = masked.report.as_mut() {
            r.customer_phone = CustomerPhone::Masked(r.customer_phone.masked());
        }
        let after = judge(&masked, &rules);
        prop_assert!(!after.reasons.contains(Reason::IdentityMismatch) || before.reasons.contains(Reason::IdentityMismatch));
    }

    #[test]
    fn another_customers_records_never_change_the_verdict(case in case_strategy(), rules in rules_strategy(), at in instant(MONTHS)) {
        let stranger = Phone::parse("17700000000").unwrap();
        let mut noisy = case.clone();
        noisy.history.push(HistoryVisit::plain(at, CustomerPhone::Full(stranger)));
        noisy.other_reports.push(Report {
            agency: "其他".into(), agent: "某".into(),
            customer_name: CustomerName::parse("王").unwrap(),
            customer_phone: CustomerPhone::Masked(stranger.masked()),
            filed_at: at,
        });
        prop_assert_eq!(judge(&case, &rules), judge(&noisy, &rules));
    }

    #[test]
    fn the_answers_of_the_desk_only_ever_add_reasons(case in case_strategy(), rules in rules_strategy()) {
        let mut ideal = case.clone();
        ideal.arrival.agent_present = true;
        ideal.arrival.customer_confirms_agent = true;
        ideal.arrival.signatures = Signatures::all();
        let ideal_reasons = judge(&ideal, &rules).reasons;
        let actual = judge(&case, &rules).reasons;
        prop_assert!(ideal_reasons.iter().all(|r| actual.contains(r)));
    }

    #[test]
    fn judging_ignores_the_offset_instants_are_written_in(case in case_strategy(), rules in rules_strategy()) {
        let utc = FixedOffset::east_opt(0).unwrap();
        let mut shifted = case.clone();
        shifted.arrival.at = shifted.arrival.at.with_timezone(&utc);
        if let Some(r) = shifted.report.as_mut() { r.filed_at = r.filed_at.with_timezone(&utc); }
        for t in shifted.agency_reports.iter_mut() { *t = t.with_timezone(&utc); }
        let (a, b) = (judge(&case, &rules), judge(&shifted, &rules));
        prop_assert_eq!(a.reasons, b.reasons);
        prop_assert_eq!(a.off_hours, b.off_hours);
    }
}
