//! Throughput of the judging core and of the attribution (渠道业绩):
//! `cargo bench --bench judge`.
//! Figures go in the README (cases/second = 1 / time per iteration).

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use panke::config::rules::RulesPatch;
use panke::domain::judge::judge;
use panke::domain::token::{KeyId, KeyMaterial, KeyRing, ReportId};
use panke::wire::case::{CaseJson, judge_json};
use std::hint::black_box;

const VALID_BASIC: &str = include_str!("../tests/cases/valid-basic.json");
const BUSY: &str = include_str!("../tests/cases/repeat-5-before.json");
const ATTR_BASIC: &str = include_str!("../tests/attribute-cases/attr-valid-basic.json");
const ATTR_MANY: &str = include_str!("../tests/attribute-cases/attr-many-reasons-sorted.json");
const ATTR_EPISODE: &str = include_str!("../tests/attribute-cases/attr-second-episode.json");

fn case_text(file: &str) -> String {
    let doc: serde_json::Value = serde_json::from_str(file).expect("case file");
    doc["case"].to_string()
}

fn bench_judge(c: &mut Criterion) {
    let rules_patch = RulesPatch::default();
    let rules = rules_patch.resolve("defaults").expect("defaults");
    let mut g = c.benchmark_group("judge");
    g.throughput(Throughput::Elements(1));
    for (name, file) in [("valid-basic", VALID_BASIC), ("repeat-5-before", BUSY)] {
        let text = case_text(file);
        let case = CaseJson::parse(&text).and_then(|j| j.to_case(&rules)).expect("case");
        g.bench_function(format!("rules/{name}"), |b| b.iter(|| judge(black_box(&case), black_box(&rules))));
        g.bench_function(format!("json-in-json-out/{name}"), |b| {
            b.iter(|| judge_json(black_box(&text), black_box(&rules_patch)).expect("judged"))
        });
    }
    g.finish();
}

fn bench_attribute(c: &mut Criterion) {
    use panke::domain::attribute::attribute;
    use panke::wire::attribute::{AttributeCaseJson, attribute_json};
    let rules_patch = RulesPatch::default();
    let rules = rules_patch.resolve("defaults").expect("defaults");
    let mut g = c.benchmark_group("attribute");
    g.throughput(Throughput::Elements(1));
    for (name, file) in [("valid-basic", ATTR_BASIC), ("many-reasons", ATTR_MANY), ("second-episode", ATTR_EPISODE)] {
        let text = case_text(file);
        let case = AttributeCaseJson::parse(&text).and_then(|j| j.to_case()).expect("case");
        g.bench_function(format!("rules/{name}"), |b| b.iter(|| attribute(black_box(&case), black_box(&rules))));
        g.bench_function(format!("json-in-json-out/{name}"), |b| {
            b.iter(|| attribute_json(black_box(&text), black_box(&rules_patch)).expect("attributed"))
        });
    }
    g.finish();
}

fn bench_tokens(c: &mut Criterion) {
    let secret = [7u8; 32];
    let ring = KeyRing::new(KeyId(1), [KeyMaterial { id: KeyId(1), secret: &secret, retired: false }]).expect("ring");
    let now: DateTime<Utc> = DateTime::from_timestamp(1_800_000_000, 0).expect("instant");
    let token = ring.sign(ReportId(123_456), now);
    let mut g = c.benchmark_group("token");
    g.throughput(Throughput::Elements(1));
    g.bench_function("sign", |b| b.iter(|| ring.sign(black_box(ReportId(123_456)), black_box(now))));
    g.bench_function("verify", |b| b.iter(|| ring.verify(black_box(&token)).expect("verifies")));
    let forged = format!("{}A", &token[..token.len() - 1]);
    g.bench_function("refuse-forged", |b| b.iter(|| ring.verify(black_box(&forged)).is_err()));
    g.finish();
}

criterion_group!(benches, bench_judge, bench_attribute, bench_tokens);
criterion_main!(benches);
