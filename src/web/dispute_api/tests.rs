use super::json::OTHER;
use super::*;
use crate::domain::dispute::{DealDates, Status};

fn dispute(claimant: (i64, &str), respondent: (i64, &str)) -> Dispute {
    Dispute {
        id: 1,
        project_id: "demo".into(),
        subscription_id: Some(1),
        visit_seq: None,
        report_id: Some(3),
        masked_phone: "138****5678".into(),
        claim_kind: ClaimKind::Collision,
        claim: String::new(),
        claimant_agency_id: Some(claimant.0),
        claimant: Some(claimant.1.into()),
        respondent_agency_id: Some(respondent.0),
        respondent: Some(respondent.1.into()),
        opened_by: "agent:1".into(),
        opened_at: "2026-12-06T15:59:00Z".into(),
        opened_seq: 4,
        dates: DealDates::default(),
        settings: crate::domain::dispute::Settings::default(),
        status: Status::Open,
        updated_at: "2026-12-06T15:59:00Z".into(),
        rulings: Vec::new(),
        appeal: None,
    }
}

#[test]
fn the_other_partys_name_is_scrubbed_and_our_own_kept_whole() {
    let d = dispute((2, "中原-体育西"), (1, "链家-天河店"));
    assert_eq!(scrub("链家-天河店先带看", &d, 2, OTHER), "对方渠道先带看");
    assert_eq!(scrub("中原-体育西先报备", &d, 1, OTHER), "对方渠道先报备");
    let d = dispute((2, "链家"), (1, "链家-天河店"));
    assert_eq!(scrub("链家-天河店与链家", &d, 1, OTHER), "链家-天河店与对方渠道");
}

#[test]
fn sides_are_us_other_or_site() {
    assert_eq!(Side::of(Some(1), 1).code(), "us");
    assert_eq!(Side::of(Some(2), 1).code(), "other");
    assert_eq!(Side::of(None, 1).code(), "site");
}
