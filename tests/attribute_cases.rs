//! Every attribution case in tests/attribute-cases (the 10 samples of
//! rules.md plus our own rule edges) is attributed twice: by the library and
//! by the `panke attribute` binary — the second black-box contract.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

#[path = "support/contract.rs"]
mod contract;

use contract::{case_files, run_binary, shipped_rules};

use panke::wire::attribute::{AttributionJson, attribute_json};
use serde_json::Value;
use std::path::Path;

const SAMPLE_CASES: [&str; 10] = [
    "attr-after-protection-1s.json",
    "attr-before-visit.json",
    "attr-contract-grace-over.json",
    "attr-employee.json",
    "attr-no-visit.json",
    "attr-parking.json",
    "attr-repeat-buyer.json",
    "attr-second-episode.json",
    "attr-spouse-visit.json",
    "attr-valid-basic.json",
];

fn load(path: &Path) -> (String, AttributionJson) {
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    (doc["case"].to_string(), serde_json::from_value(doc["expect"].clone()).unwrap())
}

#[test]
fn every_sample_of_the_rule_book_is_in_the_suite_with_our_own_edges() {
    let names: Vec<String> =
        case_files("attribute-cases").iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    for sample in SAMPLE_CASES {
        assert!(names.iter().any(|n| n == sample), "missing sample case {sample}");
    }
    assert!(names.len() >= 30, "only {} cases", names.len());
}

#[test]
fn library_gives_the_expected_attribution_for_every_case() {
    let rules = shipped_rules();
    let mut failures = Vec::new();
    for path in case_files("attribute-cases") {
        let (case, expect) = load(&path);
        match attribute_json(&case, &rules) {
            Ok(got) if got == expect => {}
            Ok(got) => failures.push(format!("{}: got {got:?}, expected {expect:?}", path.display())),
            Err(e) => failures.push(format!("{}: refused: {e}", path.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn attribute_command_prints_the_expected_attribution_for_every_case() {
    for path in case_files("attribute-cases") {
        let (case, expect) = load(&path);
        let (code, stdout, stderr) = run_binary(&["attribute"], &case);
        assert_eq!(code, 0, "{}: {stderr}", path.display());
        let got: AttributionJson = serde_json::from_str(&stdout).unwrap();
        assert_eq!(got, expect, "{}", path.display());
        assert!(stdout.starts_with("{\"channel_performance\":"), "{stdout}");
    }
}

#[test]
fn attribute_command_accepts_a_whole_sample_file_and_an_explicit_rules_file() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/attribute-cases/attr-valid-basic.json");
    let text = std::fs::read_to_string(&file).unwrap();
    let (code, stdout, _) = run_binary(&["attribute", "--rules", "kiosk-config/rules.toml"], &text);
    assert_eq!(code, 0);
    assert_eq!(
        stdout.trim(),
        r#"{"channel_performance":true,"agency":"链家-天河店","reasons":[],"visit_at":"2026-11-20T10:45:00+08:00"}"#
    );
}

fn valid_case() -> Value {
    let (case, _) = load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/attribute-cases/attr-valid-basic.json"));
    serde_json::from_str(&case).unwrap()
}

#[test]
fn malformed_cases_exit_non_zero_naming_the_problem() {
    type Mutation = Box<dyn Fn(&mut Value)>;
    let mutations: Vec<(&str, Mutation, &str)> = vec![
        ("not json", Box::new(|c| *c = Value::String("[".into())), "JSON"),
        (
            "no subscription",
            Box::new(|c| {
                c.as_object_mut().unwrap().remove("subscription");
            }),
            "subscription",
        ),
        (
            "bad phone",
            Box::new(|c| c["subscription"]["customer_phone"] = "12345".into()),
            "subscription.customer_phone",
        ),
        (
            "instant without offset",
            Box::new(|c| c["subscription"]["at"] = "2026-11-25T15:00:00".into()),
            "subscription.at",
        ),
        ("no product", Box::new(|c| c["subscription"]["product"] = Value::Null), "subscription.product"),
        ("bad verdict", Box::new(|c| c["visits"][0]["verdict"] = "maybe".into()), "visits[0].verdict"),
        ("bad visit phone", Box::new(|c| c["visits"][0]["phone"] = "abc".into()), "visits[0].phone"),
        (
            "bad protection end",
            Box::new(|c| c["visits"][0]["protected_until"] = "soon".into()),
            "visits[0].protected_until",
        ),
        (
            "bad contract end",
            Box::new(|c| c["agencies"]["链家-天河店"]["contract_end"] = "2026/12/31".into()),
            "contract_end",
        ),
        ("bad employee", Box::new(|c| c["employees"] = serde_json::json!(["1380000"])), "employees[0]"),
        (
            "earlier subscription without time",
            Box::new(|c| c["earlier_subscriptions"] = serde_json::json!([{"phone": "13812345678"}])),
            "earlier_subscriptions[0].at",
        ),
        ("unknown rules key", Box::new(|c| c["rules"] = serde_json::json!({"grace": 3})), "grace"),
        (
            "bad rules value",
            Box::new(|c| c["rules"] = serde_json::json!({"contract_grace_days": -1})),
            "contract_grace_days",
        ),
    ];
    for (what, mutate, names) in mutations {
        let mut case = valid_case();
        mutate(&mut case);
        let input = match &case {
            Value::String(s) => s.clone(),
            v => v.to_string(),
        };
        let (code, stdout, stderr) = run_binary(&["attribute"], &input);
        assert_ne!(code, 0, "{what}: accepted");
        assert!(stdout.is_empty(), "{what}: {stdout}");
        assert!(stderr.contains(names), "{what}: stderr does not name {names}: {stderr}");
    }
}
