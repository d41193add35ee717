//! Every case in tests/cases (the 16 samples of the rule book plus our own
//! rule edges) is judged twice: by the library and by the `panke judge`
//! binary, the black-box contract of rules.md.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

#[path = "support/contract.rs"]
mod contract;

use contract::{case_files, run_binary, shipped_rules};

use panke::wire::case::{VerdictJson, judge_json};
use serde_json::Value;
use std::path::Path;

const SAMPLE_CASES: [&str; 16] = [
    "agent-absent.json",
    "customer-denies.json",
    "expired-7d-plus-1s.json",
    "gap-29m59s.json",
    "gap-exactly-30.json",
    "history-14d.json",
    "masked-report-ok.json",
    "name-homophone-huang-wang.json",
    "name-surname-only.json",
    "not-reported.json",
    "off-hours-thursday-1800.json",
    "on-hours-friday-1830.json",
    "other-agency-first.json",
    "repeat-5-before.json",
    "signatures-two.json",
    "valid-basic.json",
];

fn load(path: &Path) -> (String, VerdictJson) {
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let expect: VerdictJson = serde_json::from_value(doc["expect"].clone()).unwrap();
    (doc["case"].to_string(), expect)
}

#[test]
fn every_sample_case_of_the_rule_book_is_in_the_suite() {
    let names: Vec<String> =
        case_files("cases").iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    for sample in SAMPLE_CASES {
        assert!(names.iter().any(|n| n == sample), "missing sample case {sample}");
    }
    assert!(names.len() >= 60, "only {} cases", names.len());
}

#[test]
fn library_gives_the_expected_verdict_for_every_case() {
    let rules = shipped_rules();
    let mut failures = Vec::new();
    for path in case_files("cases") {
        let (case, expect) = load(&path);
        match judge_json(&case, &rules) {
            Ok(got) if got == expect => {}
            Ok(got) => failures.push(format!("{}: got {got:?}, expected {expect:?}", path.display())),
            Err(e) => failures.push(format!("{}: refused: {e}", path.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn judge_command_prints_the_expected_verdict_for_every_case() {
    for path in case_files("cases") {
        let (case, expect) = load(&path);
        let (code, stdout, stderr) = run_binary(&["judge"], &case);
        assert_eq!(code, 0, "{}: {stderr}", path.display());
        let got: VerdictJson = serde_json::from_str(&stdout).unwrap();
        assert_eq!(got, expect, "{}", path.display());
        // The contract's key order, as in rules.md.
        assert!(stdout.starts_with("{\"verdict\":"), "{stdout}");
    }
}

#[test]
fn judge_command_accepts_a_whole_sample_file_and_an_explicit_rules_file() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/valid-basic.json");
    let text = std::fs::read_to_string(&file).unwrap();
    let (code, stdout, _) = run_binary(&["judge", "--rules", "kiosk-config/rules.toml"], &text);
    assert_eq!(code, 0);
    assert_eq!(
        stdout.trim(),
        r#"{"verdict":"valid","reasons":[],"off_hours":false,"protected_until":"2026-12-03T10:45:00+08:00"}"#
    );
}

fn valid_case() -> Value {
    let (case, _) = load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/valid-basic.json"));
    serde_json::from_str(&case).unwrap()
}

/// Each malformed case exits non-zero, prints nothing on stdout, and names
/// the problem on stderr.
#[test]
fn malformed_cases_exit_non_zero_naming_the_problem() {
    type Mutation = Box<dyn Fn(&mut Value)>;
    let mutations: Vec<(&str, Mutation, &str)> = vec![
        ("not json", Box::new(|c| *c = Value::String("{".into())), "JSON"),
        (
            "no arrival",
            Box::new(|c| {
                c.as_object_mut().unwrap().remove("arrival");
            }),
            "arrival",
        ),
        ("bad arrival phone", Box::new(|c| c["arrival"]["customer_phone"] = "12345".into()), "arrival.customer_phone"),
        (
            "masked arrival phone",
            Box::new(|c| c["arrival"]["customer_phone"] = "138****5678".into()),
            "arrival.customer_phone",
        ),
        ("empty arrival name", Box::new(|c| c["arrival"]["customer_name"] = " ".into()), "arrival.customer_name"),
        ("report without name", Box::new(|c| c["report"]["customer_name"] = "".into()), "report.customer_name"),
        (
            "report without phone",
            Box::new(|c| {
                c["report"].as_object_mut().unwrap().remove("customer_phone");
            }),
            "report.customer_phone",
        ),
        (
            "bad masked phone",
            Box::new(|c| c["report"]["customer_phone"] = "138***5678".into()),
            "report.customer_phone",
        ),
        (
            "masked not allowed",
            Box::new(|c| {
                c["rules"] = serde_json::json!({"allow_masked_phone": false});
                c["report"]["customer_phone"] = "138****5678".into();
            }),
            "report.customer_phone",
        ),
        (
            "instant without offset",
            Box::new(|c| c["report"]["filed_at"] = "2026-11-18T10:00:00".into()),
            "report.filed_at",
        ),
        ("bad arrival instant", Box::new(|c| c["arrival"]["at"] = "yesterday".into()), "arrival.at"),
        (
            "unknown signer",
            Box::new(|c| c["arrival"]["signatures"] = serde_json::json!(["customer", "boss"])),
            "arrival.signatures[1]",
        ),
        ("agent_present not bool", Box::new(|c| c["arrival"]["agent_present"] = "yes".into()), "agent_present"),
        ("unknown rules key", Box::new(|c| c["rules"] = serde_json::json!({"min_gap": 30})), "min_gap"),
        ("bad rules value", Box::new(|c| c["rules"] = serde_json::json!({"report_validity": "7x"})), "report_validity"),
        (
            "bad other report",
            Box::new(
                |c| c["other_reports"] = serde_json::json!([{"agency": "x", "customer_name": "王", "customer_phone": "1", "filed_at": "2026-11-18T10:00:00+08:00"}]),
            ),
            "other_reports[0].customer_phone",
        ),
        (
            "bad history phone",
            Box::new(|c| c["history"] = serde_json::json!([{"at": "2026-11-01T10:00:00+08:00", "phone": "abc"}])),
            "history[0].phone",
        ),
        (
            "agency report without time",
            Box::new(|c| c["agency_reports"] = serde_json::json!([{}])),
            "agency_reports[0].filed_at",
        ),
    ];
    for (what, mutate, names) in mutations {
        let mut case = valid_case();
        mutate(&mut case);
        let input = match &case {
            Value::String(s) => s.clone(),
            v => v.to_string(),
        };
        let (code, stdout, stderr) = run_binary(&["judge"], &input);
        assert_ne!(code, 0, "{what}: accepted");
        assert!(stdout.is_empty(), "{what}: {stdout}");
        assert!(stderr.contains(names), "{what}: stderr does not name {names}: {stderr}");
        assert!(!stderr.contains("13812345678"), "{what}: stderr leaks the phone: {stderr}");
    }
}

#[test]
fn a_bad_rules_file_is_refused_naming_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.toml");
    std::fs::write(&path, "report_validity = \"7x\"\n").unwrap();
    let (code, _, stderr) = run_binary(&["judge", "--rules", path.to_str().unwrap()], &valid_case().to_string());
    assert_ne!(code, 0);
    assert!(
        stderr.contains("rules.toml") && stderr.contains("report_validity") && stderr.contains("same-day"),
        "{stderr}"
    );
    let (code, _, stderr) = run_binary(&["judge", "--rules", "/nonexistent/rules.toml"], &valid_case().to_string());
    assert_ne!(code, 0);
    assert!(stderr.contains("/nonexistent/rules.toml"), "{stderr}");
}
