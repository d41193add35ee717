//! The rules view (判客规则): a project's effective rules, each value with
//! where it comes from — the built-in default (rules.md), the deployment's
//! `rules.toml`, or the project's own file — and the history of its rule
//! changes (recorded at start-up), newest first, with what changed.
//!
//! Also the one rule the back office's project pages share: which project
//! a page is about (`chosen_project`).

use super::AppState;
use super::error::WebError;
use super::i18n::Lang;
use super::listing::may_list;
use super::nav::StaffNav;
use super::session::CurrentStaff;
use crate::config::deployment::ProjectConfig;
use crate::config::rules::{RuleSource, RulesPatch};
use crate::domain::rules::Rules;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

pub fn routes() -> Router<AppState> {
    Router::new().route("/staff/rules", get(page))
}

/// The project a back-office page is about: a manager's own project (any
/// other is refused); for an admin the one asked for, else the first
/// configured one. Desk clerks and sales consultants are refused.
pub(crate) fn chosen_project<'a>(
    state: &'a AppState,
    me: &CurrentStaff,
    asked: &str,
) -> Result<&'a ProjectConfig, WebError> {
    may_list(me)?;
    let asked = asked.trim();
    let id = if asked.is_empty() {
        match &me.staff.project_id {
            Some(own) => own.clone(),
            None => state.deployment.projects.first().map(|p| p.id.clone()).ok_or(WebError::NotFound)?,
        }
    } else {
        asked.to_owned()
    };
    if !me.sees(&id) {
        return Err(WebError::Forbidden);
    }
    state.deployment.project(&id).ok_or(WebError::NotFound)
}

/// The projects an admin may switch between (empty for a manager: their
/// pages show one project).
pub(crate) fn project_choices(state: &AppState, me: &CurrentStaff) -> Vec<(String, String)> {
    if me.staff.project_id.is_some() {
        return Vec::new();
    }
    state.deployment.projects.iter().map(|p| (p.id.clone(), p.name.clone())).collect()
}

/// What each key means, in both languages.
const MEANINGS: [(&str, &str, &str); 16] = [
    ("timezone", "项目所在时区(“当地时间”)", "IANA zone for \"local\""),
    ("min_gap_minutes", "报备须提前到访的分钟数", "minutes a report must precede the arrival"),
    ("report_validity", "报备有效期", "how long a report stays valid"),
    (
        "history_window_days",
        "到访前此天数内有到访记录则为老客户",
        "a visit this many days before arrival: VISITED_BEFORE",
    ),
    ("protection_days", "有效带看后的保护期(天)", "protection after a valid visit (days)"),
    ("reporting_start", "开放报备时间(之前的报备无效)", "reports filed before this are void"),
    ("overlap_rule", "多家渠道报备同一客户时", "two agencies report one customer"),
    ("max_reports_per_month", "同一渠道每月对同一客户最多报备次数", "reports per agency and customer per month"),
    ("agent_must_accompany", "经纪人必须陪同", "the agent must come with the customer"),
    ("allow_masked_phone", "允许隐号报备", "a report may carry a masked phone"),
    ("desk_hours.mon_thu", "判客岗工作时间(周一至周四)", "desk hours, Monday to Thursday"),
    ("desk_hours.fri_sun", "判客岗工作时间(周五至周日及节假日)", "desk hours, Friday to Sunday and holidays"),
    ("holidays", "节假日", "holidays (use the Friday–Sunday hours)"),
    (
        "contract_grace_days",
        "委托代理期到期后仍计业绩的天数",
        "days after the agency's contract end a deal still counts",
    ),
    ("excluded_products", "不计渠道业绩的产品类型", "product kinds never counted as channel performance"),
    ("repeat_buyer_excluded", "已认购客户再次成交不计业绩", "a customer who subscribed before is not counted again"),
];

/// How many versions the page shows.
const VERSIONS: u32 = 50;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RulesQuery {
    project: String,
}

struct RuleRow {
    key: &'static str,
    zh: &'static str,
    en: &'static str,
    value: String,
    /// `default`, `deployment` or `project`.
    source: &'static str,
    default_value: String,
    differs_from_default: bool,
}

struct ChangeView {
    key: String,
    old: String,
    new: String,
    /// Where the new value came from (`default`, `deployment`, `project`;
    /// empty when not known).
    source: String,
}

struct VersionView {
    id: i64,
    first_seen: String,
    sha: String,
    current: bool,
    /// The oldest version recorded: there is nothing to compare it with.
    first: bool,
    changes: Vec<ChangeView>,
    /// Every value of this version (key, value).
    values: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "staff/rules.html")]
struct RulesPage {
    nav: StaffNav,
    projects: Vec<(String, String)>,
    project_id: String,
    project_name: String,
    deployment_file: String,
    project_file: String,
    sha: String,
    rows: Vec<RuleRow>,
    versions: Vec<VersionView>,
}

/// The values of a stored version, by flattened key.
fn flat(json: &str) -> BTreeMap<String, String> {
    serde_json::from_str::<RulesPatch>(json).map(|p| p.flat_values()).unwrap_or_default()
}

/// The keys whose values differ between two versions: (key, old, new);
/// "—" where a version has no value.
pub(crate) fn changes(old: &BTreeMap<String, String>, new: &BTreeMap<String, String>) -> Vec<(String, String, String)> {
    let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    keys.into_iter()
        .filter(|k| old.get(*k) != new.get(*k))
        .map(|k| {
            let shown = |m: &BTreeMap<String, String>| m.get(k).cloned().unwrap_or_else(|| "—".to_owned());
            (k.clone(), shown(old), shown(new))
        })
        .collect()
}

fn rows(project: &ProjectConfig) -> Vec<RuleRow> {
    let values = RulesPatch::from_rules(&project.rules).flat_values();
    let defaults = RulesPatch::from_rules(&Rules::default()).flat_values();
    let sources: BTreeMap<&str, RuleSource> = project.rule_sources().into_iter().collect();
    MEANINGS
        .iter()
        .map(|&(key, zh, en)| {
            let value = values.get(key).cloned().unwrap_or_default();
            let default_value = defaults.get(key).cloned().unwrap_or_default();
            RuleRow {
                key,
                zh,
                en,
                differs_from_default: value != default_value,
                value,
                source: sources.get(key).copied().unwrap_or(RuleSource::Default).code(),
                default_value,
            }
        })
        .collect()
}

async fn page(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Query(q): Query<RulesQuery>,
) -> Result<Response, WebError> {
    let project = chosen_project(&state, &me, &q.project)?;
    let id = project.id.clone();
    let stored = state.db.run(move |store| store.rule_versions(&id, VERSIONS)).await.map_err(WebError::from)?;
    let current_sha = project.rules_sha256.clone();
    let flats: Vec<BTreeMap<String, String>> = stored.iter().map(|v| flat(&v.rules_json)).collect();
    let versions = stored
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let sources: BTreeMap<String, String> = serde_json::from_str(&v.sources_json).unwrap_or_default();
            let older = flats.get(i + 1);
            VersionView {
                id: v.id,
                first_seen: state.local_text(&project.id, &v.first_seen_at, "%Y-%m-%d %H:%M"),
                sha: v.rules_sha256.chars().take(12).collect(),
                current: v.rules_sha256 == current_sha,
                first: older.is_none(),
                changes: older
                    .map(|old| {
                        changes(old, &flats[i])
                            .into_iter()
                            .map(|(key, old, new)| ChangeView {
                                source: sources.get(&key).cloned().unwrap_or_default(),
                                key,
                                old,
                                new,
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                values: flats[i].iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            }
        })
        .collect();
    let page = RulesPage {
        nav: StaffNav::new(&me, lang, "/staff/rules"),
        projects: project_choices(&state, &me),
        project_id: project.id.clone(),
        project_name: project.name.clone(),
        deployment_file: "kiosk-config/rules.toml".to_owned(),
        project_file: format!("kiosk-config/projects/{}.toml", project.id),
        sha: project.rules_sha256.chars().take(12).collect(),
        rows: rows(project),
        versions,
    };
    Ok(Html(page.render()?).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_names_the_key_and_both_values() {
        let old = RulesPatch::from_rules(&Rules::default()).flat_values();
        let rules = Rules { min_gap: chrono::Duration::minutes(45), ..Rules::default() };
        let new = RulesPatch::from_rules(&rules).flat_values();
        assert_eq!(changes(&old, &new), vec![("min_gap_minutes".to_owned(), "30".to_owned(), "45".to_owned())]);
        assert!(changes(&new, &new).is_empty());
    }

    #[test]
    fn every_key_has_a_meaning() {
        for key in crate::config::rules::RULE_KEYS {
            assert!(MEANINGS.iter().any(|(k, _, _)| *k == key), "{key}");
        }
    }
}
