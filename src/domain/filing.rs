//! Refusals at filing time (报备时拦截): a report the rules would judge
//! invalid whatever happens next is refused up front, with a reason the
//! agent understands. The messages never name another agency.

use super::phone::CustomerPhone;
use super::rules::{OverlapRule, Rules};
use chrono::{DateTime, FixedOffset};

/// Another agency's live report of a customer with a compatible phone.
#[derive(Debug, Clone, PartialEq)]
pub struct RivalReport {
    pub phone: CustomerPhone,
    pub filed_at: DateTime<FixedOffset>,
}

/// A recorded visit of a customer: history, and whether it made the
/// customer another agency's (a valid visit, protected until then).
#[derive(Debug, Clone, PartialEq)]
pub struct KnownVisit {
    pub phone: CustomerPhone,
    pub at: DateTime<FixedOffset>,
    pub protected_until_for_other_agency: Option<DateTime<FixedOffset>>,
    /// The reporting agency's own valid visit and the end of its
    /// protection: while it runs, coming back is a return visit (复访), not
    /// a visit before.
    pub own_protection_until: Option<DateTime<FixedOffset>>,
}

/// What the database knows about the customer being reported.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FilingContext {
    pub rival_reports: Vec<RivalReport>,
    pub own_agency_reports: Vec<DateTime<FixedOffset>>,
    pub visits: Vec<KnownVisit>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FilingRefusal {
    /// The agency is not a partner of the project (合作项目): it may not
    /// report for it at all.
    #[error(
        "贵公司不是本项目的合作渠道,不能报备本项目 / your agency is not a partner of this project and cannot report for it"
    )]
    NotPartner,
    #[error("本项目尚未开放报备,提前报备无效 / this project does not accept reports yet")]
    BeforeReportingStart,
    #[error(
        "该客户已在其他渠道的有效报备或保护期内,不能重复报备 / this customer is already protected by another agency"
    )]
    ProtectedByOtherAgency,
    #[error("本月对该客户的报备次数已达上限 / your agency has reached this month's report limit for this customer")]
    RepeatLimit,
    #[error("该客户近期已到访过(老客户),不能报备 / this customer visited recently and cannot be reported")]
    VisitedRecently,
    /// 成交客户签订合同后不再受保护: the customer (or a member of their
    /// customer group) signed a purchase contract in the project.
    #[error(
        "该客户已签约(成交客户签订合同后不再受保护),不能报备 / this customer has signed a purchase contract for this project and can no longer be reported"
    )]
    CustomerContracted,
}

impl FilingRefusal {
    /// Stable codes for the JSON API.
    pub fn code(self) -> &'static str {
        match self {
            FilingRefusal::NotPartner => "NOT_PARTNER",
            FilingRefusal::BeforeReportingStart => "REPORT_BEFORE_START",
            FilingRefusal::ProtectedByOtherAgency => "PROTECTED_BY_OTHER_AGENCY",
            FilingRefusal::RepeatLimit => "REPEAT_LIMIT",
            FilingRefusal::VisitedRecently => "VISITED_BEFORE",
            FilingRefusal::CustomerContracted => "CUSTOMER_CONTRACTED",
        }
    }
}

/// Would a report of `phone` filed `now` be refused? The first refusal in
/// the order an agent can act on: timing, other agency, own limit, visits.
/// (Whether the agency may report for the project at all, `NotPartner`,
/// is checked before, by the store, which knows its partner projects.)
pub fn check_filing(
    phone: &CustomerPhone,
    ctx: &FilingContext,
    rules: &Rules,
    now: DateTime<FixedOffset>,
) -> Result<(), FilingRefusal> {
    if rules.filed_before_start(now) {
        return Err(FilingRefusal::BeforeReportingStart);
    }
    let rival_report_live = rules.overlap_rule == OverlapRule::FirstReport
        && ctx.rival_reports.iter().any(|r| {
            r.phone.matches(phone)
                && r.filed_at <= now
                && !rules.filed_before_start(r.filed_at)
                && rules.report_valid_at(r.filed_at, now)
        });
    let rival_protection = ctx
        .visits
        .iter()
        .any(|v| v.phone.matches(phone) && v.protected_until_for_other_agency.is_some_and(|until| now <= until));
    if rival_report_live || rival_protection {
        return Err(FilingRefusal::ProtectedByOtherAgency);
    }
    let this_month = ctx.own_agency_reports.iter().filter(|t| **t <= now && rules.same_local_month(**t, now)).count();
    if this_month as u64 + 1 > u64::from(rules.max_reports_per_month) {
        return Err(FilingRefusal::RepeatLimit);
    }
    let visited = ctx.visits.iter().any(|v| {
        let since = now - v.at;
        let return_visit = v.own_protection_until.is_some_and(|until| now <= until);
        v.phone.matches(phone) && since > chrono::Duration::zero() && since <= rules.history_window && !return_visit
    });
    if visited {
        return Err(FilingRefusal::VisitedRecently);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    fn phone(s: &str) -> CustomerPhone {
        CustomerPhone::parse(s, true).unwrap()
    }

    const NOW: &str = "2026-11-18T10:00:00+08:00";

    #[test]
    fn the_not_partner_refusal_says_so_in_both_languages_without_naming_anyone() {
        let text = FilingRefusal::NotPartner.to_string();
        assert!(text.contains("合作渠道") && text.contains("not a partner"), "{text}");
        assert_eq!(FilingRefusal::NotPartner.code(), "NOT_PARTNER");
    }

    #[test]
    fn a_fresh_customer_may_be_reported() {
        assert_eq!(check_filing(&phone("13812345678"), &FilingContext::default(), &Rules::default(), at(NOW)), Ok(()));
    }

    #[test]
    fn before_the_reporting_start_is_refused() {
        let rules = Rules { reporting_start: Some(at("2026-11-18T10:00:01+08:00")), ..Rules::default() };
        assert_eq!(
            check_filing(&phone("13812345678"), &FilingContext::default(), &rules, at(NOW)),
            Err(FilingRefusal::BeforeReportingStart)
        );
    }

    #[test]
    fn a_live_rival_report_protects_the_customer_under_first_report() {
        let ctx = FilingContext {
            rival_reports: vec![RivalReport { phone: phone("138****5678"), filed_at: at("2026-11-12T10:00:00+08:00") }],
            ..FilingContext::default()
        };
        let rules = Rules::default();
        assert_eq!(
            check_filing(&phone("13812345678"), &ctx, &rules, at(NOW)),
            Err(FilingRefusal::ProtectedByOtherAgency)
        );
        assert_eq!(
            check_filing(&phone("138****5678"), &ctx, &rules, at(NOW)),
            Err(FilingRefusal::ProtectedByOtherAgency)
        );
        assert_eq!(check_filing(&phone("13812349999"), &ctx, &rules, at(NOW)), Ok(()));
        // Seven days after filing it has expired.
        assert_eq!(check_filing(&phone("13812345678"), &ctx, &rules, at("2026-11-19T10:00:01+08:00")), Ok(()));
        let first_visit = Rules { overlap_rule: OverlapRule::FirstVisit, ..Rules::default() };
        assert_eq!(check_filing(&phone("13812345678"), &ctx, &first_visit, at(NOW)), Ok(()));
    }

    #[test]
    fn the_agencys_own_protected_customer_may_be_reported_again_for_a_return_visit() {
        let visit = |own_until: Option<&str>| FilingContext {
            visits: vec![KnownVisit {
                phone: phone("13812345678"),
                at: at("2026-11-10T10:00:00+08:00"),
                protected_until_for_other_agency: None,
                own_protection_until: own_until.map(at),
            }],
            ..FilingContext::default()
        };
        let rules = Rules::default();
        let returning = visit(Some("2026-11-25T10:00:00+08:00"));
        assert_eq!(check_filing(&phone("13812345678"), &returning, &rules, at(NOW)), Ok(()));
        let lapsed = visit(Some("2026-11-17T10:00:00+08:00"));
        assert_eq!(check_filing(&phone("13812345678"), &lapsed, &rules, at(NOW)), Err(FilingRefusal::VisitedRecently));
    }

    #[test]
    fn a_rival_agencys_protection_period_is_respected_in_both_overlap_rules() {
        let ctx = FilingContext {
            visits: vec![KnownVisit {
                phone: phone("13812345678"),
                at: at("2026-10-01T10:00:00+08:00"),
                protected_until_for_other_agency: Some(at("2026-11-20T10:00:00+08:00")),
                own_protection_until: None,
            }],
            ..FilingContext::default()
        };
        for rule in [OverlapRule::FirstReport, OverlapRule::FirstVisit] {
            let rules = Rules { overlap_rule: rule, ..Rules::default() };
            assert_eq!(
                check_filing(&phone("13812345678"), &ctx, &rules, at(NOW)),
                Err(FilingRefusal::ProtectedByOtherAgency)
            );
        }
    }

    #[test]
    fn the_monthly_limit_refuses_the_report_that_would_exceed_it() {
        let four = (2..=5).map(|d| at(&format!("2026-11-0{d}T09:00:00+08:00"))).collect::<Vec<_>>();
        let mut ctx = FilingContext { own_agency_reports: four, ..FilingContext::default() };
        assert_eq!(check_filing(&phone("13812345678"), &ctx, &Rules::default(), at(NOW)), Ok(()));
        ctx.own_agency_reports.push(at("2026-11-06T09:00:00+08:00"));
        assert_eq!(
            check_filing(&phone("13812345678"), &ctx, &Rules::default(), at(NOW)),
            Err(FilingRefusal::RepeatLimit)
        );
        assert_eq!(
            check_filing(&phone("13812345678"), &ctx, &Rules::default(), at("2026-12-01T00:00:00+08:00")),
            Ok(())
        );
    }

    #[test]
    fn a_recent_visit_makes_an_old_customer() {
        let ctx = FilingContext {
            visits: vec![KnownVisit {
                phone: phone("13812345678"),
                at: at("2026-11-03T10:00:00+08:00"),
                protected_until_for_other_agency: None,
                own_protection_until: None,
            }],
            ..FilingContext::default()
        };
        assert_eq!(
            check_filing(&phone("13812345678"), &ctx, &Rules::default(), at(NOW)),
            Err(FilingRefusal::VisitedRecently)
        );
        assert_eq!(
            check_filing(&phone("13812345678"), &ctx, &Rules::default(), at("2026-11-18T10:00:01+08:00")),
            Ok(())
        );
    }
}
