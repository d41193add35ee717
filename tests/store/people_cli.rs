//! Ending access: revoking a kiosk ends the PIN sessions opened on it,
//! "sign out everywhere", disabling agents and staff, revoking API keys —
//! in the store and through `panke agent|staff|agency …`.

use super::helpers::{TestDeployment, World, t};
use panke::domain::phone::Phone;
use panke::store::StoreError;
use panke::store::people::{NewStaff, Role};
use panke::store::sessions::SessionKind;

const TTL: i64 = 12 * 3600;

#[test]
fn revoking_a_kiosk_ends_its_device_session_and_the_pin_sessions_opened_on_it() {
    let w = World::new();
    let now = t("2026-11-18T10:00:00+08:00");
    let (k1, _) = w.store.create_kiosk("demo", "前台一", now).unwrap();
    let (k2, _) = w.store.create_kiosk("demo", "前台二", now).unwrap();
    let device1 = w.store.create_session(SessionKind::Kiosk, k1.id, TTL, now).unwrap();
    let device2 = w.store.create_session(SessionKind::Kiosk, k2.id, TTL, now).unwrap();
    let pin1 = w.store.create_operator_session(w.desk, k1.id, TTL, now).unwrap();
    let sales1 = w.store.create_operator_session(w.sales, k1.id, TTL, now).unwrap();
    let pin2 = w.store.create_operator_session(w.desk, k2.id, TTL, now).unwrap();
    let office = w.store.create_session(SessionKind::Staff, w.desk, TTL, now).unwrap();
    w.store.revoke_kiosk(k1.id, now).unwrap();
    let live = |secret: &str, kind: SessionKind| w.store.session(secret, kind, now).unwrap().is_some();
    assert!(!live(&device1, SessionKind::Kiosk));
    assert!(!live(&pin1, SessionKind::Staff) && !live(&sales1, SessionKind::Staff));
    assert!(live(&device2, SessionKind::Kiosk) && live(&pin2, SessionKind::Staff), "another kiosk is untouched");
    assert!(live(&office, SessionKind::Staff), "a password session is not the kiosk's");
    assert!(w.store.kiosk(k1.id).unwrap().revoked);
    let audit = w.store.audit_entries(5).unwrap();
    assert_eq!(audit[0].action, "kiosk.revoke");
    assert!(audit[0].detail.contains("1 device and 2 staff"), "{}", audit[0].detail);
}

#[test]
fn signing_out_everywhere_ends_every_session_of_that_person_only() {
    let w = World::new();
    let now = t("2026-11-18T10:00:00+08:00");
    let (kiosk, _) = w.store.create_kiosk("demo", "前台", now).unwrap();
    let mine = [
        w.store.create_session(SessionKind::Staff, w.desk, TTL, now).unwrap(),
        w.store.create_session(SessionKind::Staff, w.desk, TTL, now).unwrap(),
        w.store.create_operator_session(w.desk, kiosk.id, TTL, now).unwrap(),
    ];
    let colleague = w.store.create_session(SessionKind::Staff, w.sales, TTL, now).unwrap();
    // The same number as an agent's id is another subject.
    let agent = w.store.create_session(SessionKind::Agent, w.desk, TTL, now).unwrap();
    assert_eq!(w.store.end_all_sessions(SessionKind::Staff, w.desk, "staff:1", now).unwrap(), 3);
    for s in &mine {
        assert_eq!(w.store.session(s, SessionKind::Staff, now).unwrap(), None);
    }
    assert!(w.store.session(&colleague, SessionKind::Staff, now).unwrap().is_some());
    assert!(w.store.session(&agent, SessionKind::Agent, now).unwrap().is_some());
    let audit = w.store.audit_entries(1).unwrap();
    assert_eq!((audit[0].action.as_str(), audit[0].actor.as_str()), ("session.end_all", "staff:1"));
    assert!(audit[0].detail.contains("3 session"), "{}", audit[0].detail);
    assert!(w.store.staff(w.desk).is_ok(), "signing out does not disable");
}

#[test]
fn a_disabled_agent_loses_every_session() {
    let w = World::new();
    let now = t("2026-11-18T10:00:00+08:00");
    let session = w.store.create_session(SessionKind::Agent, w.agent, TTL, now).unwrap();
    let rival = w.store.create_session(SessionKind::Agent, w.rival_agent, TTL, now).unwrap();
    assert_eq!(w.store.disable_agent(w.agent, "cli", now).unwrap(), 1);
    assert!(!w.store.agent(w.agent).unwrap().active);
    assert_eq!(w.store.session(&session, SessionKind::Agent, now).unwrap(), None);
    assert!(w.store.session(&rival, SessionKind::Agent, now).unwrap().is_some());
    let audit = w.store.audit_entries(1).unwrap();
    assert_eq!(audit[0].action, "agent.disable");
    assert!(audit[0].detail.contains("135****0001") && !audit[0].detail.contains("13500000001"));
    assert!(matches!(w.store.disable_agent(99_999, "cli", now), Err(StoreError::NotFound(_))));
}

#[test]
fn a_disabled_staff_member_can_no_longer_sign_in_anywhere() {
    let w = World::new();
    let now = t("2026-11-18T10:00:00+08:00");
    let (kiosk, _) = w.store.create_kiosk("demo", "前台", now).unwrap();
    let pin = w.store.create_operator_session(w.desk, kiosk.id, TTL, now).unwrap();
    assert!(w.store.check_staff_pin(w.desk, "1234").unwrap().is_some());
    assert_eq!(w.store.disable_staff(w.desk, "cli", now).unwrap(), 1);
    assert_eq!(w.store.session(&pin, SessionKind::Staff, now).unwrap(), None);
    assert!(w.store.check_staff_pin(w.desk, "1234").unwrap().is_none());
    assert!(matches!(w.store.staff(w.desk), Err(StoreError::NotFound(_))));
    assert!(w.store.kiosk_operators("demo").unwrap().iter().all(|s| s.id != w.desk));
    assert_eq!(w.store.staff_id_by_login("desk1").unwrap(), Some(w.desk), "still found to audit or re-check");
    assert_eq!(w.store.audit_entries(1).unwrap()[0].action, "staff.disable");
    assert!(matches!(w.store.disable_staff(99_999, "cli", now), Err(StoreError::NotFound(_))));
}

#[test]
fn a_revoked_api_key_is_refused_and_revoked_once() {
    let w = World::new();
    let now = t("2026-11-18T10:00:00+08:00");
    let agency = w.store.agent(w.agent).unwrap().agency_id;
    let key = w.store.create_api_key(agency, "erp", now).unwrap();
    let other = w.store.create_api_key(agency, "crm", now).unwrap();
    let id = w.store.api_key_id(&key).unwrap().unwrap();
    assert_eq!(w.store.agency_of_api_key(&key).unwrap(), Some(agency));
    let revoked = w.store.revoke_api_key(id, "cli", now).unwrap();
    assert_eq!((revoked.id, revoked.agency_id, revoked.label.as_str()), (id, agency, "erp"));
    assert_eq!(w.store.agency_of_api_key(&key).unwrap(), None);
    assert_eq!(w.store.agency_of_api_key(&other).unwrap(), Some(agency), "another key still works");
    assert!(matches!(w.store.revoke_api_key(id, "cli", now), Err(StoreError::Conflict(_))));
    assert!(matches!(w.store.revoke_api_key(99_999, "cli", now), Err(StoreError::NotFound(_))));
    let keys = w.store.api_keys(agency).unwrap();
    assert_eq!(keys.len(), 2);
    assert!(keys[0].revoked_at.is_some() && keys[1].revoked_at.is_none());
    let audit = w.store.audit_entries(5).unwrap();
    assert_eq!(audit.iter().filter(|e| e.action == "agency.api_key_revoke").count(), 1);
}

fn panke(dep: &TestDeployment, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_panke"))
        .arg("--config")
        .arg(dep.config_dir())
        .args(args)
        .output()
        .unwrap()
}

/// Runs panke, which must succeed; its standard output.
fn panke_ok(dep: &TestDeployment, args: &[&str]) -> String {
    let out = panke(dep, args);
    assert!(out.status.success(), "panke {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_command_line_signs_out_disables_and_revokes() {
    let dep = TestDeployment::demo_and_other();
    let now = t("2026-11-17T09:00:00+08:00");
    let store = dep.context(now).open_store(now).unwrap();
    let agency = store.create_agency("链家-天河店", None, now).unwrap();
    let (agent, _) = store.create_agent(agency, "张三", &Phone::parse("13800000001").unwrap(), now).unwrap();
    let boss = NewStaff {
        project_id: Some("demo"),
        login: "boss",
        name: "boss",
        role: Role::Manager,
        password: Some("a long password"),
        pin: None,
    };
    let staff = store.create_staff(&boss, now).unwrap();
    let key = store.create_api_key(agency, "erp", now).unwrap();
    let other_key = store.create_api_key(agency, "crm", now).unwrap();
    let key_id = store.api_key_id(&key).unwrap().unwrap().to_string();
    let agency_arg = agency.to_string();
    let live = |secret: &str, kind: SessionKind| store.session(secret, kind, now).unwrap().is_some();

    let session = store.create_session(SessionKind::Agent, agent, TTL, now).unwrap();
    let out = panke_ok(&dep, &["agent", "sign-out", "13800000001"]);
    assert!(out.contains("1 session") && !out.contains("13800000001"), "{out}");
    assert!(!live(&session, SessionKind::Agent));
    assert!(store.agent(agent).unwrap().active, "signed out, not disabled");
    let session = store.create_session(SessionKind::Agent, agent, TTL, now).unwrap();
    panke_ok(&dep, &["agent", "disable", "13800000001"]);
    assert!(!live(&session, SessionKind::Agent));
    assert!(!store.agent(agent).unwrap().active);

    let session = store.create_session(SessionKind::Staff, staff, TTL, now).unwrap();
    panke_ok(&dep, &["staff", "sign-out", "boss"]);
    assert!(!live(&session, SessionKind::Staff));
    assert!(store.staff(staff).is_ok(), "signed out, not disabled");
    let session = store.create_session(SessionKind::Staff, staff, TTL, now).unwrap();
    panke_ok(&dep, &["staff", "disable", "boss"]);
    assert!(!live(&session, SessionKind::Staff));
    assert!(store.staff(staff).is_err());

    let listed = panke_ok(&dep, &["agency", "keys", agency_arg.as_str()]);
    assert!(listed.contains("erp") && listed.contains("crm") && !listed.contains(&key), "{listed}");
    panke_ok(&dep, &["agency", "revoke-key", key_id.as_str()]);
    assert_eq!(store.agency_of_api_key(&key).unwrap(), None);
    assert_eq!(store.agency_of_api_key(&other_key).unwrap(), Some(agency));
    panke_ok(&dep, &["agency", "revoke-key", other_key.as_str()]);
    assert_eq!(store.agency_of_api_key(&other_key).unwrap(), None);

    let refused: [&[&str]; 6] = [
        &["agency", "revoke-key", key_id.as_str()],
        &["agency", "revoke-key", "pk_notakey"],
        &["agency", "revoke-key", "erp"],
        &["staff", "disable", "nobody"],
        &["agent", "disable", "13900000000"],
        &["agent", "sign-out", "not a phone"],
    ];
    for refused in refused {
        let out = panke(&dep, refused);
        assert_eq!(out.status.code(), Some(2), "panke {refused:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let actions: Vec<String> = store.audit_entries(50).unwrap().into_iter().map(|e| e.action).collect();
    for action in ["session.end_all", "agent.disable", "staff.disable", "agency.api_key_revoke"] {
        assert!(actions.iter().any(|a| a == action), "{action} audited");
    }
}
