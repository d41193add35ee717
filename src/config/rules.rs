//! Reads `kiosk-config/rules.toml` (and later overlays: a project's file, a
//! judge case's `"rules"` object) into the domain's `Rules`. Unknown keys and
//! bad values are refused with the source, the key and what is allowed.

use crate::domain::rules::{DeskHours, OpenHours, OverlapRule, ReportValidity, Rules};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime};
use serde::{Deserialize, Deserializer, Serialize};
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("{source_name}: cannot read the file: {cause}")]
    Read { source_name: String, cause: std::io::Error },
    #[error("{source_name}: {message}")]
    Syntax { source_name: String, message: String },
    #[error("{source_name}: key `{key}`: {got:?} is not allowed; expected {allowed}")]
    Invalid { source_name: String, key: &'static str, got: String, allowed: &'static str },
}

/// Settings as written: every key optional, so files and overrides can be
/// layered; `resolve` fills the defaults of rules.md and validates.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RulesPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_gap_minutes: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report_validity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history_window_days: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protection_days: Option<i64>,
    /// `Some(None)`: explicitly no start (JSON `null` or `"none"`).
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub reporting_start: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overlap_rule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_reports_per_month: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_must_accompany: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_masked_phone: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desk_hours: Option<DeskHoursPatch>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holidays: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contract_grace_days: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excluded_products: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeat_buyer_excluded: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DeskHoursPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mon_thu: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fri_sun: Option<String>,
}

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

pub const DEFAULT_RULES_PATH: &str = "kiosk-config/rules.toml";

impl RulesPatch {
    pub fn from_toml(text: &str, source_name: &str) -> Result<RulesPatch, RulesError> {
        toml::from_str(text).map_err(|e| RulesError::Syntax {
            source_name: source_name.to_owned(),
            message: e.to_string().trim_end().replace('\n', " | "),
        })
    }

    pub fn from_file(path: &Path) -> Result<RulesPatch, RulesError> {
        let source_name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|cause| RulesError::Read { source_name: source_name.clone(), cause })?;
        let patch = RulesPatch::from_toml(&text, &source_name)?;
        // Refused here, at load time, naming this file, even where a later
        // overlay would replace the bad key.
        patch.resolve(&source_name)?;
        Ok(patch)
    }

    /// Every key spelled out: the snapshot of the rules in force that a
    /// ledger record keeps.
    pub fn from_rules(rules: &Rules) -> RulesPatch {
        let hours = |h: OpenHours| format!("{}-{}", h.open.format("%H:%M"), h.close.format("%H:%M"));
        RulesPatch {
            timezone: Some(rules.timezone.name().to_owned()),
            min_gap_minutes: Some(rules.min_gap.num_minutes()),
            report_validity: Some(match rules.report_validity {
                ReportValidity::Days(n) => format!("{n}d"),
                ReportValidity::SameDay => "same-day".to_owned(),
            }),
            history_window_days: Some(rules.history_window.num_days()),
            protection_days: Some(rules.protection.num_days()),
            reporting_start: Some(rules.reporting_start.map(crate::time::format_instant)),
            overlap_rule: Some(
                match rules.overlap_rule {
                    OverlapRule::FirstReport => "first-report",
                    OverlapRule::FirstVisit => "first-visit",
                }
                .to_owned(),
            ),
            max_reports_per_month: Some(i64::from(rules.max_reports_per_month)),
            agent_must_accompany: Some(rules.agent_must_accompany),
            allow_masked_phone: Some(rules.allow_masked_phone),
            desk_hours: Some(DeskHoursPatch {
                mon_thu: Some(hours(rules.desk_hours.mon_thu)),
                fri_sun: Some(hours(rules.desk_hours.fri_sun)),
            }),
            holidays: Some(rules.holidays.iter().map(|d| d.to_string()).collect()),
            contract_grace_days: Some(i64::from(rules.contract_grace_days)),
            excluded_products: Some(rules.excluded_products.iter().cloned().collect()),
            repeat_buyer_excluded: Some(rules.repeat_buyer_excluded),
        }
    }

    /// `top`'s keys win over `self`'s.
    pub fn overlay(&self, top: &RulesPatch) -> RulesPatch {
        let desk_hours = match (&self.desk_hours, &top.desk_hours) {
            (Some(base), Some(over)) => Some(DeskHoursPatch {
                mon_thu: over.mon_thu.clone().or_else(|| base.mon_thu.clone()),
                fri_sun: over.fri_sun.clone().or_else(|| base.fri_sun.clone()),
            }),
            (base, over) => over.clone().or_else(|| base.clone()),
        };
        RulesPatch {
            timezone: top.timezone.clone().or_else(|| self.timezone.clone()),
            min_gap_minutes: top.min_gap_minutes.or(self.min_gap_minutes),
            report_validity: top.report_validity.clone().or_else(|| self.report_validity.clone()),
            history_window_days: top.history_window_days.or(self.history_window_days),
            protection_days: top.protection_days.or(self.protection_days),
            reporting_start: top.reporting_start.clone().or_else(|| self.reporting_start.clone()),
            overlap_rule: top.overlap_rule.clone().or_else(|| self.overlap_rule.clone()),
            max_reports_per_month: top.max_reports_per_month.or(self.max_reports_per_month),
            agent_must_accompany: top.agent_must_accompany.or(self.agent_must_accompany),
            allow_masked_phone: top.allow_masked_phone.or(self.allow_masked_phone),
            desk_hours,
            holidays: top.holidays.clone().or_else(|| self.holidays.clone()),
            contract_grace_days: top.contract_grace_days.or(self.contract_grace_days),
            excluded_products: top.excluded_products.clone().or_else(|| self.excluded_products.clone()),
            repeat_buyer_excluded: top.repeat_buyer_excluded.or(self.repeat_buyer_excluded),
        }
    }

    /// Validates every key and fills the defaults of rules.md.
    pub fn resolve(&self, source_name: &str) -> Result<Rules, RulesError> {
        let invalid = |key: &'static str, got: &dyn std::fmt::Debug, allowed: &'static str| RulesError::Invalid {
            source_name: source_name.to_owned(),
            key,
            got: format!("{got:?}").trim_matches('"').to_owned(),
            allowed,
        };
        let ranged = |key: &'static str, v: Option<i64>, lo: i64, hi: i64, allowed: &'static str| match v {
            Some(n) if !(lo..=hi).contains(&n) => Err(invalid(key, &n, allowed)),
            other => Ok(other),
        };
        let mut rules = Rules::default();

        if let Some(tz) = &self.timezone {
            rules.timezone =
                tz.parse().map_err(|_| invalid("timezone", tz, "an IANA time zone such as \"Asia/Shanghai\""))?;
        }
        if let Some(m) =
            ranged("min_gap_minutes", self.min_gap_minutes, 0, 7 * 24 * 60, "whole minutes from 0 to 10080")?
        {
            rules.min_gap = Duration::minutes(m);
        }
        if let Some(v) = &self.report_validity {
            rules.report_validity = parse_validity(v).ok_or_else(|| {
                invalid("report_validity", v, "\"Nd\" with N from 1 to 365 (e.g. \"7d\"), or \"same-day\"")
            })?;
        }
        if let Some(d) = ranged("history_window_days", self.history_window_days, 0, 3650, "whole days from 0 to 3650")?
        {
            rules.history_window = Duration::days(d);
        }
        if let Some(d) = ranged("protection_days", self.protection_days, 1, 3650, "whole days from 1 to 3650")? {
            rules.protection = Duration::days(d);
        }
        if let Some(start) = &self.reporting_start {
            rules.reporting_start = match start.as_deref().map(str::trim) {
                None | Some("") | Some("none") => None,
                Some(s) => Some(DateTime::parse_from_rfc3339(s).map_err(|_| {
                    invalid(
                        "reporting_start",
                        &s,
                        "an RFC 3339 instant with offset, e.g. \"2026-05-23T00:00:00+08:00\"",
                    )
                })?),
            };
        }
        if let Some(rule) = &self.overlap_rule {
            rules.overlap_rule = match rule.as_str() {
                "first-report" => OverlapRule::FirstReport,
                "first-visit" => OverlapRule::FirstVisit,
                _ => {
                    return Err(invalid("overlap_rule", rule, "\"first-report\" or \"first-visit\""));
                }
            };
        }
        if let Some(n) =
            ranged("max_reports_per_month", self.max_reports_per_month, 1, 1000, "a whole number from 1 to 1000")?
        {
            rules.max_reports_per_month = n as u32;
        }
        if let Some(b) = self.agent_must_accompany {
            rules.agent_must_accompany = b;
        }
        if let Some(b) = self.allow_masked_phone {
            rules.allow_masked_phone = b;
        }
        if let Some(n) = ranged("contract_grace_days", self.contract_grace_days, 0, 3650, "whole days from 0 to 3650")?
        {
            rules.contract_grace_days = n as u32;
        }
        if let Some(kinds) = &self.excluded_products {
            rules.excluded_products = kinds.iter().map(|k| k.trim().to_owned()).filter(|k| !k.is_empty()).collect();
        }
        if let Some(b) = self.repeat_buyer_excluded {
            rules.repeat_buyer_excluded = b;
        }
        self.resolve_calendar(source_name, &mut rules)?;
        Ok(rules)
    }

    /// Desk hours and holidays: when the desk is open.
    fn resolve_calendar(&self, source_name: &str, rules: &mut Rules) -> Result<(), RulesError> {
        let invalid = |key: &'static str, got: &str, allowed: &'static str| RulesError::Invalid {
            source_name: source_name.to_owned(),
            key,
            got: got.to_owned(),
            allowed,
        };
        if let Some(dh) = &self.desk_hours {
            const ALLOWED: &str = "\"HH:MM-HH:MM\" with the opening before the closing, e.g. \"09:00-18:00\"";
            let parse = |key: &'static str, v: &Option<String>, default: OpenHours| match v {
                None => Ok(default),
                Some(s) => parse_open_hours(s).ok_or_else(|| invalid(key, s, ALLOWED)),
            };
            rules.desk_hours = DeskHours {
                mon_thu: parse("desk_hours.mon_thu", &dh.mon_thu, rules.desk_hours.mon_thu)?,
                fri_sun: parse("desk_hours.fri_sun", &dh.fri_sun, rules.desk_hours.fri_sun)?,
            };
        }
        if let Some(days) = &self.holidays {
            for d in days {
                let date = NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
                    .map_err(|_| invalid("holidays", d, "local dates written \"YYYY-MM-DD\", e.g. \"2026-10-01\""))?;
                rules.holidays.insert(date);
            }
        }
        Ok(())
    }
}

/// Where an effective rule value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleSource {
    /// rules.md's default, built into panke.
    Default,
    /// The deployment's `kiosk-config/rules.toml`.
    Deployment,
    /// The project's own file, `kiosk-config/projects/<id>.toml` `[rules]`.
    Project,
}

impl RuleSource {
    pub fn code(self) -> &'static str {
        match self {
            RuleSource::Default => "default",
            RuleSource::Deployment => "deployment",
            RuleSource::Project => "project",
        }
    }

    pub fn parse(s: &str) -> Option<RuleSource> {
        [RuleSource::Default, RuleSource::Deployment, RuleSource::Project].into_iter().find(|r| r.code() == s)
    }
}

/// Every key of the rules, in the order of rules.md (the desk hours as
/// their two keys).
pub const RULE_KEYS: [&str; 16] = [
    "timezone",
    "min_gap_minutes",
    "report_validity",
    "history_window_days",
    "protection_days",
    "reporting_start",
    "overlap_rule",
    "max_reports_per_month",
    "agent_must_accompany",
    "allow_masked_phone",
    "desk_hours.mon_thu",
    "desk_hours.fri_sun",
    "holidays",
    "contract_grace_days",
    "excluded_products",
    "repeat_buyer_excluded",
];

impl RulesPatch {
    /// Does this patch set `key` (one of [`RULE_KEYS`])?
    pub fn sets(&self, key: &str) -> bool {
        let hours = |f: fn(&DeskHoursPatch) -> bool| self.desk_hours.as_ref().is_some_and(f);
        match key {
            "timezone" => self.timezone.is_some(),
            "min_gap_minutes" => self.min_gap_minutes.is_some(),
            "report_validity" => self.report_validity.is_some(),
            "history_window_days" => self.history_window_days.is_some(),
            "protection_days" => self.protection_days.is_some(),
            "reporting_start" => self.reporting_start.is_some(),
            "overlap_rule" => self.overlap_rule.is_some(),
            "max_reports_per_month" => self.max_reports_per_month.is_some(),
            "agent_must_accompany" => self.agent_must_accompany.is_some(),
            "allow_masked_phone" => self.allow_masked_phone.is_some(),
            "desk_hours.mon_thu" => hours(|h| h.mon_thu.is_some()),
            "desk_hours.fri_sun" => hours(|h| h.fri_sun.is_some()),
            "holidays" => self.holidays.is_some(),
            "contract_grace_days" => self.contract_grace_days.is_some(),
            "excluded_products" => self.excluded_products.is_some(),
            "repeat_buyer_excluded" => self.repeat_buyer_excluded.is_some(),
            _ => false,
        }
    }

    /// The keys this patch sets, flattened (`desk_hours.mon_thu`), each
    /// value written as TOML writes it (`"7d"`, `30`, `true`, `[]`; an
    /// explicitly absent reporting start as `"none"`).
    pub fn flat_values(&self) -> std::collections::BTreeMap<String, String> {
        let mut out = std::collections::BTreeMap::new();
        let json = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        let Some(map) = json.as_object() else { return out };
        for (key, value) in map {
            match value {
                serde_json::Value::Object(inner) => {
                    for (k, v) in inner {
                        out.insert(format!("{key}.{k}"), value_text(v));
                    }
                }
                v => {
                    out.insert(key.clone(), value_text(v));
                }
            }
        }
        out
    }
}

fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "\"none\"".to_owned(),
        other => other.to_string(),
    }
}

/// Where each key's value comes from: the project's file when it sets the
/// key, else the deployment's rules file, else the built-in default.
pub fn rule_sources(deployment: &RulesPatch, project: &RulesPatch) -> Vec<(&'static str, RuleSource)> {
    RULE_KEYS
        .iter()
        .map(|&key| {
            let source = if project.sets(key) {
                RuleSource::Project
            } else if deployment.sets(key) {
                RuleSource::Deployment
            } else {
                RuleSource::Default
            };
            (key, source)
        })
        .collect()
}

fn parse_validity(v: &str) -> Option<ReportValidity> {
    if v == "same-day" {
        return Some(ReportValidity::SameDay);
    }
    let n: u32 = v.strip_suffix('d')?.parse().ok()?;
    (1..=365).contains(&n).then_some(ReportValidity::Days(n))
}

fn parse_open_hours(s: &str) -> Option<OpenHours> {
    let (open, close) = s.split_once(['-', '–', '—', '~', '～'])?;
    let open = NaiveTime::parse_from_str(open.trim(), "%H:%M").ok()?;
    let close = NaiveTime::parse_from_str(close.trim(), "%H:%M").ok()?;
    (open < close).then_some(OpenHours { open, close })
}

/// The rules in force for `panke judge`: defaults, then the rules file.
/// An explicitly named file must exist; the default path may be absent
/// (running outside a checkout), and then the defaults of rules.md apply.
pub fn load_rules_file(path: Option<&Path>) -> Result<RulesPatch, RulesError> {
    match path {
        Some(p) => RulesPatch::from_file(p),
        None => {
            let p = Path::new(DEFAULT_RULES_PATH);
            if p.exists() { RulesPatch::from_file(p) } else { Ok(RulesPatch::default()) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(toml_text: &str) -> String {
        match RulesPatch::from_toml(toml_text, "rules.toml").and_then(|p| p.resolve("rules.toml")) {
            Ok(_) => panic!("accepted: {toml_text}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn empty_file_gives_the_defaults_of_rules_md() {
        let rules = RulesPatch::from_toml("", "x").unwrap().resolve("x").unwrap();
        assert_eq!(rules, Rules::default());
    }

    #[test]
    fn the_shipped_rules_file_states_every_default() {
        let text = include_str!("../../kiosk-config/rules.toml");
        let patch = RulesPatch::from_toml(text, "kiosk-config/rules.toml").unwrap();
        assert_eq!(patch.resolve("x").unwrap(), Rules::default());
        assert!(patch.timezone.is_some() && patch.min_gap_minutes.is_some() && patch.report_validity.is_some());
        assert!(patch.history_window_days.is_some() && patch.protection_days.is_some());
        assert!(patch.overlap_rule.is_some() && patch.max_reports_per_month.is_some());
        assert!(patch.agent_must_accompany.is_some() && patch.allow_masked_phone.is_some());
        assert!(patch.desk_hours.is_some() && patch.holidays.is_some());
    }

    #[test]
    fn bad_values_are_refused_naming_file_key_and_allowed() {
        let e = refused("report_validity = \"7x\"");
        assert!(e.contains("rules.toml") && e.contains("report_validity") && e.contains("same-day"), "{e}");
        let e = refused("timezone = \"Asia/Beijing\"");
        assert!(e.contains("timezone") && e.contains("IANA"), "{e}");
        let e = refused("[desk_hours]\nmon_thu = \"18:00-09:00\"");
        assert!(e.contains("desk_hours.mon_thu") && e.contains("HH:MM"), "{e}");
        let e = refused("overlap_rule = \"whoever\"");
        assert!(e.contains("first-report"), "{e}");
        let e = refused("min_gap_minutes = -5");
        assert!(e.contains("min_gap_minutes"), "{e}");
        let e = refused("holidays = [\"2026-13-01\"]");
        assert!(e.contains("holidays"), "{e}");
        let e = refused("reporting_start = \"2020-05-23\"");
        assert!(e.contains("reporting_start") && e.contains("RFC 3339"), "{e}");
        let e = refused("max_reports_per_month = 0");
        assert!(e.contains("max_reports_per_month"), "{e}");
        let e = refused("report_validity = \"0d\"");
        assert!(e.contains("report_validity"), "{e}");
    }

    #[test]
    fn unknown_keys_are_errors_not_ignored() {
        let e = refused("min_gap_minute = 30");
        assert!(e.contains("rules.toml") && e.contains("min_gap_minute"), "{e}");
        let e = refused("[desk_hours]\nmonday = \"09:00-18:00\"");
        assert!(e.contains("monday"), "{e}");
    }

    #[test]
    fn wrong_types_are_refused_with_the_key() {
        let e = refused("min_gap_minutes = \"30\"");
        assert!(e.contains("min_gap_minutes"), "{e}");
    }

    #[test]
    fn a_snapshot_of_the_rules_resolves_to_the_same_rules() {
        let text = "min_gap_minutes = 45\nreport_validity = \"same-day\"\nholidays = [\"2026-10-01\"]\nreporting_start = \"2026-05-23T00:00:00+08:00\"\n[desk_hours]\nmon_thu = \"08:30-17:30\"";
        let rules = RulesPatch::from_toml(text, "x").unwrap().resolve("x").unwrap();
        let snapshot = RulesPatch::from_rules(&rules);
        assert_eq!(snapshot.resolve("snapshot").unwrap(), rules);
        let json = serde_json::to_string(&snapshot).unwrap();
        let back: RulesPatch = serde_json::from_str(&json).unwrap();
        assert_eq!(back.resolve("json").unwrap(), rules);
    }

    #[test]
    fn overlay_takes_top_keys_and_keeps_the_rest() {
        let base = RulesPatch::from_toml("min_gap_minutes = 45\n[desk_hours]\nmon_thu = \"08:00-17:00\"", "a").unwrap();
        let top = RulesPatch::from_toml("report_validity = \"same-day\"\n[desk_hours]\nfri_sun = \"10:00-20:00\"", "b")
            .unwrap();
        let rules = base.overlay(&top).resolve("x").unwrap();
        assert_eq!(rules.min_gap, Duration::minutes(45));
        assert_eq!(rules.report_validity, ReportValidity::SameDay);
        assert_eq!(rules.desk_hours.mon_thu, parse_open_hours("08:00-17:00").unwrap());
        assert_eq!(rules.desk_hours.fri_sun, parse_open_hours("10:00-20:00").unwrap());
    }

    #[test]
    fn each_value_names_the_layer_it_comes_from() {
        let deployment = RulesPatch::from_toml("min_gap_minutes = 30\nhistory_window_days = 20", "a").unwrap();
        let project =
            RulesPatch::from_toml("min_gap_minutes = 45\n[desk_hours]\nfri_sun = \"10:00-20:00\"", "b").unwrap();
        let sources: std::collections::HashMap<_, _> = rule_sources(&deployment, &project).into_iter().collect();
        assert_eq!(sources.len(), RULE_KEYS.len());
        assert_eq!(sources["min_gap_minutes"], RuleSource::Project);
        assert_eq!(sources["history_window_days"], RuleSource::Deployment);
        assert_eq!(sources["protection_days"], RuleSource::Default);
        assert_eq!(sources["desk_hours.fri_sun"], RuleSource::Project);
        assert_eq!(sources["desk_hours.mon_thu"], RuleSource::Default);
    }

    #[test]
    fn a_snapshot_flattens_to_every_key() {
        let values = RulesPatch::from_rules(&Rules::default()).flat_values();
        for key in RULE_KEYS {
            assert!(values.contains_key(key), "{key} missing from {values:?}");
        }
        assert_eq!(values["min_gap_minutes"], "30");
        assert_eq!(values["report_validity"], "\"7d\"");
        assert_eq!(values["reporting_start"], "\"none\"");
        assert_eq!(values["desk_hours.mon_thu"], "\"09:00-18:00\"");
    }

    #[test]
    fn json_null_reporting_start_clears_the_files_start() {
        let base = RulesPatch::from_toml("reporting_start = \"2020-05-23T00:00:00+08:00\"", "a").unwrap();
        assert!(base.resolve("a").unwrap().reporting_start.is_some());
        let top: RulesPatch = serde_json::from_str(r#"{"reporting_start": null}"#).unwrap();
        assert_eq!(base.overlay(&top).resolve("x").unwrap().reporting_start, None);
        let none: RulesPatch = serde_json::from_str("{}").unwrap();
        assert!(base.overlay(&none).resolve("x").unwrap().reporting_start.is_some());
    }
}
