//! Customer groups (直系亲属 = one customer): linked by a manager, audited,
//! and judged and filed as one customer.

use super::helpers::{World, t};
use panke::domain::phone::Phone;
use panke::store::StoreError;

fn phone(s: &str) -> Phone {
    Phone::parse(s).unwrap()
}

#[test]
fn a_spouses_visit_makes_the_customer_visited_before() {
    let mut w = World::new();
    w.check_in(None, "13900004321", "2026-11-10T15:00:00+08:00");
    w.store
        .link_group(
            "demo",
            &[phone("13812345678"), phone("13900004321")],
            "staff:9",
            "户口本",
            t("2026-11-17T09:00:00+08:00"),
        )
        .unwrap();
    let r = w.file(w.agent, "13812345678", "2026-11-18T10:00:00+08:00");
    let out = w.check_in(Some(&r), "13812345678", "2026-11-18T10:45:00+08:00");
    assert_eq!(out.reason_codes(), vec!["VISITED_BEFORE"]);
    assert_eq!(out.record.case.arrival.as_ref().unwrap().group_phones, Some(vec!["13900004321".to_owned()]));
}

#[test]
fn without_the_link_the_spouse_is_another_customer() {
    let mut w = World::new();
    w.check_in(None, "13900004321", "2026-11-10T15:00:00+08:00");
    let r = w.file(w.agent, "13812345678", "2026-11-18T10:00:00+08:00");
    assert_eq!(w.check_in(Some(&r), "13812345678", "2026-11-18T10:45:00+08:00").verdict_code(), "valid");
}

#[test]
fn another_agency_reporting_the_spouse_first_counts_for_the_group() {
    let mut w = World::new();
    w.store
        .link_group(
            "demo",
            &[phone("13812345678"), phone("13900004321")],
            "staff:9",
            "结婚证",
            t("2026-11-17T09:00:00+08:00"),
        )
        .unwrap();
    w.file(w.rival_agent, "13900004321", "2026-11-17T10:00:00+08:00");
    let err = w.store.file_report_checked(
        w.new_report(w.agent, "13812345678"),
        Some(&w.rules),
        panke::domain::token::KeyId(1),
        super::helpers::local(&w.rules, t("2026-11-18T10:00:00+08:00")),
        || 7,
    );
    assert!(
        matches!(
            err,
            Err(panke::store::reports::FilingError::Refused(
                panke::domain::filing::FilingRefusal::ProtectedByOtherAgency
            ))
        ),
        "{err:?}"
    );
}

#[test]
fn linking_is_audited_with_who_and_why_and_needs_a_reason() {
    let mut w = World::new();
    let now = t("2026-11-17T09:00:00+08:00");
    assert!(matches!(
        w.store.link_group("demo", &[phone("13812345678"), phone("13900004321")], "staff:9", " ", now),
        Err(StoreError::Invalid(_))
    ));
    w.store.link_group("demo", &[phone("13812345678"), phone("13900004321")], "staff:9", "户口本", now).unwrap();
    // Linking a third phone to either merges into the same group.
    let members =
        w.store.link_group("demo", &[phone("13900004321"), phone("13700001111")], "staff:9", "子女", now).unwrap();
    assert_eq!(members.len(), 3);
    assert_eq!(w.store.group_phones("demo", &phone("13812345678")).unwrap().len(), 2);
    w.store.unlink_group("demo", &phone("13700001111"), "staff:9", "录入错误", now).unwrap();
    assert_eq!(w.store.group_phones("demo", &phone("13812345678")).unwrap().len(), 1);
    let audit: Vec<(String, String, String)> = w
        .raw()
        .prepare("SELECT actor, action, detail FROM audit_log WHERE action LIKE 'customer_group.%' ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(audit.len(), 3);
    assert!(audit.iter().all(|(actor, _, _)| actor == "staff:9"));
    assert!(audit[0].2.contains("户口本") && audit[0].2.contains("138****5678"));
    assert!(!audit.iter().any(|(_, _, d)| d.contains("13812345678")), "no full phone in the audit log");
}

#[test]
fn only_a_manager_links_customers_on_the_command_line() {
    let dep = super::helpers::TestDeployment::demo_and_other();
    let now = t("2026-11-17T09:00:00+08:00");
    let store = dep.context(now).open_store(now).unwrap();
    let staff = |login, role| panke::store::people::NewStaff {
        project_id: Some("demo"),
        login,
        name: login,
        role,
        password: Some("a long password"),
        pin: Some("1234"),
    };
    store.create_staff(&staff("boss", panke::store::people::Role::Manager), now).unwrap();
    store.create_staff(&staff("desk9", panke::store::people::Role::Desk), now).unwrap();
    drop(store);
    let run = |by: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_panke"))
            .arg("--config")
            .arg(dep.config_dir())
            .args([
                "group",
                "link",
                "--project",
                "demo",
                "--by",
                by,
                "--reason",
                "户口本",
                "13812345678",
                "13900004321",
            ])
            .output()
            .unwrap()
    };
    let refused = run("desk9");
    assert_eq!(refused.status.code(), Some(2), "{}", String::from_utf8_lossy(&refused.stderr));
    let linked = run("boss");
    let out = String::from_utf8_lossy(&linked.stdout);
    assert!(linked.status.success(), "{}", String::from_utf8_lossy(&linked.stderr));
    assert!(out.contains("138****5678") && out.contains("139****4321") && !out.contains("13812345678"), "{out}");
}
