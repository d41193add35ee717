use super::endpoints::new_secret;
use super::outbox::{new_event_id, scrub};
use super::*;
use serde_json::json;

#[test]
fn full_phones_are_found_anywhere_and_masked() {
    assert!(crate::domain::phone::contains_full_phone("13812345678"));
    assert!(crate::domain::phone::contains_full_phone("tel:+8613812345678;"));
    assert!(crate::domain::phone::contains_full_phone("x１３８１２３４５６７８y"), "full-width digits");
    assert!(!crate::domain::phone::contains_full_phone("138****5678"));
    assert!(!crate::domain::phone::contains_full_phone("1381**45678"));
    assert!(!crate::domain::phone::contains_full_phone("12812345678"), "12… is no mobile number");
    assert!(!crate::domain::phone::contains_full_phone("1381234567"), "ten digits");
    assert!(!crate::domain::phone::contains_full_phone("2026-11-18T10:00:00+08:00"));
    assert_eq!(crate::domain::phone::mask_phones_in_text("call 13812345678 now"), "call 138****5678 now");
    assert_eq!(crate::domain::phone::mask_phones_in_text("1381234567813912345678"), "138****5678139****5678");
    assert!(!crate::domain::phone::contains_full_phone(&crate::domain::phone::mask_phones_in_text(
        "913812345678913912345678"
    )));
}

#[test]
fn a_payload_is_scrubbed_in_strings_and_numbers() {
    let mut v = json!({ "a": "13812345678", "b": [13912345678_i64, "ok"], "c": { "d": 7 } });
    assert!(scrub(&mut v));
    assert_eq!(v, json!({ "a": "138****5678", "b": ["139****5678", "ok"], "c": { "d": 7 } }));
    let mut clean = json!({ "phone": "138****5678", "n": 1_795_000_000_i64 });
    assert!(!scrub(&mut clean));
}

#[test]
fn event_ids_never_look_like_phones() {
    for _ in 0..200 {
        let id = new_event_id();
        assert!(id.starts_with("evt_") && id.len() == 36, "{id}");
        assert!(!crate::domain::phone::contains_full_phone(&id));
    }
    assert_eq!(new_secret().len(), 64);
}

#[test]
fn addresses_are_https_or_this_machine() {
    assert!(check_webhook_url("https://crm.example.com/panke?token=x").is_ok());
    assert!(check_webhook_url("http://127.0.0.1:8181/hook").is_ok());
    assert!(check_webhook_url("http://localhost:9000/").is_ok());
    assert!(check_webhook_url("http://[::1]:9000/").is_ok());
    for refused in [
        "",
        "crm.example.com",
        "http://crm.example.com/hook",
        "ftp://crm.example.com/",
        "https://user:pw@crm.example.com/",
        "https://10.0.0.8/hook",
        "https://192.168.1.2/hook",
        "https://169.254.169.254/latest",
        "https://[fd00::1]/",
        "https://[::ffff:10.0.0.1]/",
        "http://10.0.0.8/hook",
    ] {
        assert!(check_webhook_url(refused).is_err(), "{refused}");
    }
    assert_eq!(
        check_webhook_url(" https://CRM.example.com/a#frag ").ok().as_deref(),
        Some("https://crm.example.com/a")
    );
}

#[test]
fn event_codes_parse_back() {
    for e in EventType::ALL {
        assert_eq!(EventType::parse(e.code()), Some(e));
    }
}

#[test]
fn only_globally_routable_addresses_are_public() {
    let public = |s: &str| super::is_public(s.parse().unwrap());
    for inside in [
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "127.0.0.1",
        "169.254.169.254",
        "100.64.0.1",
        "198.18.0.1",
        "192.0.0.8",
        "0.0.0.0",
        "::1",
        "fe80::1",
        "fd00::1",
        "::ffff:10.0.0.1",
        "64:ff9b::a00:1",
        "2002:a00:1::",
        "::a00:1",
    ] {
        assert!(!public(inside), "{inside} is not public");
    }
    for outside in ["8.8.8.8", "203.119.1.1", "2400:3200::1", "64:ff9b::808:808", "2002:808:808::"] {
        assert!(public(outside), "{outside} is public");
    }
}
