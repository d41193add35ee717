//! Recording visits against the database: the judge sees what the
//! database knows, with the server's clock.

use super::helpers::{World, t};
use panke::store::Refusal;
use panke::store::StoreError;
use panke::store::reports::ReportStatus;

#[test]
fn a_report_checked_in_on_time_is_a_valid_visit_and_marks_the_report() {
    let mut w = World::new();
    let r = w.file(w.agent, "138****5678", "2026-11-18T10:00:00+08:00");
    let out = w.check_in(Some(&r), "13812345678", "2026-11-18T10:45:00+08:00");
    assert_eq!(out.verdict_code(), "valid", "{:?}", out.verdict());
    assert_eq!(out.protected_until_text().as_deref(), Some("2026-12-03T10:45:00+08:00"));
    assert!(!out.already_recorded);
    assert_eq!(w.store.report(r.id).unwrap().status, ReportStatus::VisitedValid);
    let body = out.row.body_json().unwrap();
    assert_eq!(body["desk_clerk"]["name"], "赵判客");
    assert_eq!(body["sales_consultant"]["name"], "钱顾问");
    assert_eq!(body["rules"]["min_gap_minutes"], 30);
    assert_eq!(body["signatures"].as_array().unwrap().len(), 3);
    assert_eq!(body["case"]["report"]["customer_phone"], "138****5678");
}

#[test]
fn the_server_clock_decides_the_thirty_minutes() {
    let mut w = World::new();
    let r = w.file(w.agent, "13812345678", "2026-11-18T10:00:00+08:00");
    let out = w.check_in(Some(&r), "13812345678", "2026-11-18T10:29:59+08:00");
    assert_eq!(out.reason_codes(), vec!["REPORT_TOO_LATE"]);
    assert_eq!(w.store.report(r.id).unwrap().status, ReportStatus::VisitedInvalid);
}

#[test]
fn reading_the_same_code_again_shows_the_existing_record() {
    let mut w = World::new();
    let r = w.file(w.agent, "13812345678", "2026-11-18T10:00:00+08:00");
    let first = w.check_in(Some(&r), "13812345678", "2026-11-18T10:45:00+08:00");
    let second = w.check_in(Some(&r), "13812345678", "2026-11-18T10:46:00+08:00");
    assert!(second.already_recorded);
    assert_eq!(second.row, first.row);
    assert_eq!(w.store.ledger_len().unwrap(), 1);
}

#[test]
fn an_unreported_walk_in_is_recorded_as_a_natural_visit() {
    let mut w = World::new();
    let out = w.check_in(None, "13812345678", "2026-11-18T10:45:00+08:00");
    assert_eq!(out.reason_codes(), vec!["NOT_REPORTED"]);
    assert_eq!(out.row.report_id, None);
}

#[test]
fn a_recorded_visit_counts_as_history_for_later_reports() {
    let mut w = World::new();
    w.check_in(None, "13812345678", "2026-11-10T10:45:00+08:00");
    let r = w.file(w.agent, "13812345678", "2026-11-18T10:00:00+08:00");
    let out = w.check_in(Some(&r), "13812345678", "2026-11-18T10:45:00+08:00");
    assert_eq!(out.reason_codes(), vec!["VISITED_BEFORE"]);
}

#[test]
fn another_agencys_earlier_report_in_the_database_wins() {
    let mut w = World::new();
    w.file(w.rival_agent, "138****5678", "2026-11-17T09:00:00+08:00");
    let r = w.file(w.agent, "13812345678", "2026-11-18T10:00:00+08:00");
    let out = w.check_in(Some(&r), "13812345678", "2026-11-18T10:45:00+08:00");
    assert_eq!(out.reason_codes(), vec!["REPORTED_BY_OTHER_FIRST"]);
}

#[test]
fn a_cancelled_rival_report_protects_nobody() {
    let mut w = World::new();
    let rival = w.file(w.rival_agent, "13812345678", "2026-11-17T09:00:00+08:00");
    let agency = w.store.agent(w.rival_agent).unwrap().agency_id;
    w.store.cancel_report(rival.id, agency, "agent:2", t("2026-11-17T10:00:00+08:00")).unwrap();
    let r = w.file(w.agent, "13812345678", "2026-11-18T10:00:00+08:00");
    assert_eq!(w.check_in(Some(&r), "13812345678", "2026-11-18T10:45:00+08:00").verdict_code(), "valid");
}

#[test]
fn the_repeat_limit_counts_the_agencys_reports_in_the_database() {
    let mut w = World::new();
    for day in 2..=6 {
        w.file(w.agent, "13812345678", &format!("2026-11-0{day}T09:00:00+08:00"));
    }
    let r = w.file(w.agent, "13812345678", "2026-11-18T10:00:00+08:00");
    let out = w.check_in(Some(&r), "13812345678", "2026-11-18T10:45:00+08:00");
    assert_eq!(out.reason_codes(), vec!["REPEAT_LIMIT"]);
}

#[test]
fn a_cancelled_report_cannot_be_checked_in() {
    let mut w = World::new();
    let r = w.file(w.agent, "13812345678", "2026-11-18T10:00:00+08:00");
    let agency = w.store.agent(w.agent).unwrap().agency_id;
    w.store.cancel_report(r.id, agency, "agent:1", t("2026-11-18T10:05:00+08:00")).unwrap();
    let req = w.request("demo", Some(&r), "13812345678");
    let err = w.store.record_checkin(req, &w.rules, t("2026-11-18T10:45:00+08:00")).unwrap_err();
    assert!(matches!(err, StoreError::Refused(Refusal::ReportCancelled)), "{err}");
    assert_eq!(w.store.ledger_len().unwrap(), 0);
}

fn refused_as_sales(w: &mut World, sales_id: i64) {
    let r = w.file(w.agent, "13812345678", "2026-11-18T10:00:00+08:00");
    let mut req = w.request("demo", Some(&r), "13812345678");
    req.sales_id = Some(sales_id);
    let err = w.store.record_checkin(req, &w.rules, t("2026-11-18T10:45:00+08:00")).unwrap_err();
    assert!(matches!(err, StoreError::Refused(Refusal::SalesNotAllowed)), "{err}");
    assert_eq!(w.store.ledger_len().unwrap(), 0, "nothing is recorded");
}

#[test]
fn a_desk_clerk_named_as_sales_consultant_is_refused() {
    let mut w = World::new();
    let desk = w.desk;
    refused_as_sales(&mut w, desk);
}

#[test]
fn another_projects_sales_consultant_is_refused() {
    let mut w = World::new();
    let other = w.staff_of("other", "sales9", panke::store::people::Role::Sales);
    refused_as_sales(&mut w, other);
}

#[test]
fn an_unknown_staff_id_as_sales_consultant_is_refused() {
    let mut w = World::new();
    refused_as_sales(&mut w, 9999);
}

#[test]
fn the_record_names_the_sales_consultant_and_desk_clerk_typed() {
    let mut w = World::new();
    let r = w.file(w.agent, "13812345678", "2026-11-18T10:00:00+08:00");
    let out = w.check_in(Some(&r), "13812345678", "2026-11-18T10:45:00+08:00");
    assert_eq!(out.record.version, Some(panke::wire::record::RECORD_VERSION));
    assert_eq!(out.record.sales_consultant.as_ref().map(|s| s.id), Some(w.sales));
    assert_eq!(out.record.desk_clerk.as_ref().map(|s| s.name.as_str()), Some("赵判客"));
    // What the ledger holds parses back to the same typed record.
    assert_eq!(w.store.ledger_row(out.row.seq).unwrap().visit_body().unwrap(), out.record);
}

#[test]
fn a_kiosk_of_another_project_does_not_find_the_report() {
    let mut w = World::new();
    let r = w.file(w.agent, "13812345678", "2026-11-18T10:00:00+08:00");
    let req = w.request("other", Some(&r), "13812345678");
    let err = w.store.record_checkin(req, &w.rules, t("2026-11-18T10:45:00+08:00")).unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err}");
    assert!(w.store.report_by_manual_code("other", &r.manual_code).is_err());
    assert_eq!(w.store.report_by_manual_code("demo", &r.manual_code).unwrap().id, r.id);
}

#[test]
fn another_agency_cannot_cancel_a_report_nor_can_a_visited_one_be_cancelled() {
    let mut w = World::new();
    let r = w.file(w.agent, "13812345678", "2026-11-18T10:00:00+08:00");
    let rival_agency = w.store.agent(w.rival_agent).unwrap().agency_id;
    assert!(matches!(
        w.store.cancel_report(r.id, rival_agency, "agent:2", t("2026-11-18T10:05:00+08:00")),
        Err(StoreError::NotFound(_))
    ));
    w.check_in(Some(&r), "13812345678", "2026-11-18T10:45:00+08:00");
    let agency = w.store.agent(w.agent).unwrap().agency_id;
    assert!(matches!(
        w.store.cancel_report(r.id, agency, "agent:1", t("2026-11-18T11:00:00+08:00")),
        Err(StoreError::Conflict(_))
    ));
}

#[test]
fn a_double_submitted_report_form_files_once() {
    let mut w = World::new();
    let new = |key: &str| panke::store::reports::NewReport {
        project_id: "demo".into(),
        agent_id: w.agent,
        customer_name: panke::domain::name::CustomerName::parse("王").unwrap(),
        customer_phone: panke::domain::phone::CustomerPhone::parse("13812345678", true).unwrap(),
        expected_arrival: None,
        party_size: None,
        note: None,
        idempotency_key: Some(key.to_owned()),
        demo: false,
    };
    let at = super::helpers::local(&w.rules, t("2026-11-18T10:00:00+08:00"));
    let (a, b) = (new("form-1"), new("form-1"));
    let first = w.store.file_report(a, panke::domain::token::KeyId(1), at, || 1).unwrap();
    let second = w.store.file_report(b, panke::domain::token::KeyId(1), at, || 2).unwrap();
    assert_eq!(first.id, second.id);
    assert_eq!(w.store.reports_of_agent(w.agent, 10).unwrap().len(), 1);
}

#[test]
fn signins_check_argon2_hashes() {
    let w = World::new();
    assert!(w.store.check_staff_pin(w.desk, "1234").unwrap().is_some());
    assert!(w.store.check_staff_pin(w.desk, "1235").unwrap().is_none());
    let now = t("2026-11-01T10:00:00+08:00");
    let agency = w.store.create_agency("新渠道", None, now).unwrap();
    let phone = panke::domain::phone::Phone::parse("13600000009").unwrap();
    let (_, invite) = w.store.create_agent(agency, "孙七", &phone, now).unwrap();
    assert!(w.store.check_agent_password(&phone, "anything1").unwrap().is_none(), "no password before the invitation");
    assert!(w.store.accept_invite(&invite, "short", now).is_err());
    w.store.accept_invite(&invite, "a good password", now).unwrap();
    assert!(w.store.accept_invite(&invite, "a good password", now).is_err(), "an invitation works once");
    assert!(w.store.check_agent_password(&phone, "a good password").unwrap().is_some());
    assert!(w.store.check_agent_password(&phone, "a bad password").unwrap().is_none());
}

#[test]
fn pending_reports_past_their_validity_become_expired() {
    let mut w = World::new();
    let old = w.file(w.agent, "13812345678", "2026-11-01T10:00:00+08:00");
    let fresh = w.file(w.agent, "13912345678", "2026-11-07T10:00:00+08:00");
    let n = w.store.expire_due_reports("demo", &w.rules, t("2026-11-08T10:00:01+08:00")).unwrap();
    assert_eq!(n, 1);
    assert_eq!(w.store.report(old.id).unwrap().status, ReportStatus::Expired);
    assert_eq!(w.store.report(fresh.id).unwrap().status, ReportStatus::Pending);
}

#[test]
fn completing_the_check_in_later_never_removes_report_too_late() {
    for minutes_after_first_read in [0, 5, 10, 60, 600] {
        let mut w = World::new();
        let r = w.file(w.agent, "13812345678", "2026-11-18T10:00:00+08:00");
        let first = super::helpers::local(&w.rules, t("2026-11-18T10:25:00+08:00"));
        w.store.record_first_read("demo", r.id, None, Some(w.desk), first).unwrap();
        let done = t("2026-11-18T10:25:00+08:00") + chrono::Duration::minutes(minutes_after_first_read);
        let req = w.request("demo", Some(&r), "13812345678");
        let out = w.store.record_checkin(req, &w.rules, done).unwrap();
        assert_eq!(out.reason_codes(), vec!["REPORT_TOO_LATE"], "completed {minutes_after_first_read} min later");
    }
}

#[test]
fn the_first_read_survives_a_restart_and_cannot_be_moved() {
    let mut w = World::new();
    let r = w.file(w.agent, "13812345678", "2026-11-18T10:00:00+08:00");
    let first = super::helpers::local(&w.rules, t("2026-11-18T10:25:00+08:00"));
    w.store.record_first_read("demo", r.id, None, None, first).unwrap();
    let later = super::helpers::local(&w.rules, t("2026-11-18T11:00:00+08:00"));
    assert_eq!(w.store.record_first_read("demo", r.id, None, None, later).unwrap().at, first, "a second read");
    let moved = w.raw().execute("UPDATE first_reads SET at_unix = 0", []);
    assert!(moved.is_err(), "the trigger refuses to move it");
    let reopened = panke::store::Store::open(&w.path, &super::helpers::LEDGER_KEY).unwrap();
    assert_eq!(reopened.first_read(r.id).unwrap().unwrap().at, first);
}
