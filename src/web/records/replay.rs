//! 重新判定 / judge again: a record's sealed case judged once more with the
//! rules it keeps, beside what it recorded; and 假如 / what if, the same
//! case under settings a manager asks about. The what-if settings travel
//! as GET parameters (rule values, never personal data). Reads only:
//! nothing on this page is ever recorded.

use super::page::may_amend;
use super::{Shown, record};
use crate::domain::reason::Lang as ReasonLang;
use crate::service::replay::{self, Replay, WhatIf, WhatIfInput};
use crate::web::AppState;
use crate::web::error::WebError;
use crate::web::error_code::ErrorCode;
use crate::web::i18n::Lang;
use crate::web::nav::StaffNav;
use crate::web::session::CurrentStaff;
use crate::wire::record::RecordedVerdict;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use std::collections::BTreeMap;

/// The settings the page shows (as `RulesPatch::flat_values` names them),
/// the ones a verdict turns on first.
const SETTINGS: [(&str, &str, &str); 12] = [
    ("min_gap_minutes", "最短提前报备(分钟)", "Minimum advance (minutes)"),
    ("report_validity", "报备有效期", "Report validity"),
    ("history_window_days", "老客户判定天数", "History window (days)"),
    ("protection_days", "保护期(天)", "Protection (days)"),
    ("max_reports_per_month", "每月重复报备上限", "Monthly repeat limit"),
    ("overlap_rule", "多家渠道报备", "Two agencies, one customer"),
    ("agent_must_accompany", "经纪人必须陪同", "Agent must come"),
    ("reporting_start", "开放报备时间", "Reporting start"),
    ("desk_hours.mon_thu", "判客岗工作时间(周一至周四)", "Desk hours, Mon–Thu"),
    ("desk_hours.fri_sun", "判客岗工作时间(周五至周日)", "Desk hours, Fri–Sun"),
    ("holidays", "节假日", "Holidays"),
    ("timezone", "时区", "Time zone"),
];

fn label(key: &str) -> (&'static str, &'static str) {
    SETTINGS.iter().find(|(k, _, _)| *k == key).map(|(_, zh, en)| (*zh, *en)).unwrap_or(("", ""))
}

struct VerdictView {
    valid: bool,
    /// (code, sentence)
    reasons: Vec<(&'static str, &'static str)>,
    protected_until: String,
    off_hours: bool,
}

struct Column {
    id: &'static str,
    zh: &'static str,
    en: &'static str,
    verdict: VerdictView,
}

struct SettingView {
    key: &'static str,
    zh: &'static str,
    en: &'static str,
    value: String,
}

struct InputView {
    name: &'static str,
    zh: &'static str,
    en: &'static str,
    value: String,
    /// The record's value, shown while the field is blank.
    recorded: String,
    numeric: bool,
}

struct OptionView {
    value: &'static str,
    zh: &'static str,
    en: &'static str,
    selected: bool,
}

struct ChoiceView {
    name: &'static str,
    zh: &'static str,
    en: &'static str,
    recorded: String,
    options: Vec<OptionView>,
}

struct ChangeView {
    key: String,
    zh: &'static str,
    en: &'static str,
    recorded: String,
    used: String,
}

struct WhatIfView {
    verdict: VerdictView,
    same: bool,
    changes: Vec<ChangeView>,
}

#[derive(Template)]
#[template(path = "records/replay.html")]
struct ReplayPage {
    nav: StaffNav,
    seq: i64,
    same: bool,
    /// (zh, en) of each difference.
    differences: Vec<(&'static str, &'static str)>,
    /// A body of release 0.1 (no version).
    old_record: bool,
    columns: Vec<Column>,
    settings: Vec<SettingView>,
    inputs: Vec<InputView>,
    choices: Vec<ChoiceView>,
    what_if: Option<WhatIfView>,
    error: Option<String>,
}

/// Managers and admins of the record's project (as for amending): the page
/// is about the rules, which desk clerks and sales consultants do not set.
pub(super) async fn page(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Path(seq): Path<i64>,
    Query(input): Query<WhatIfInput>,
) -> Result<Response, WebError> {
    if !may_amend(&me) {
        return Err(WebError::Forbidden);
    }
    let Shown { row, body, .. } = record(&state, &me, seq).await?;
    let again = replay::judge_again(&row).map_err(|e| WebError::bad(ErrorCode::Invalid, e))?;
    let (what_if, error) = if input.is_blank() {
        (None, None)
    } else {
        match WhatIf::parse(&input) {
            Ok(w) => {
                let r = replay::what_if(&row, &w).map_err(|e| WebError::bad(ErrorCode::Invalid, e))?;
                (Some(what_if_view(&state, &row.project_id, lang, &r)), None)
            }
            Err(e) => (None, Some(e.to_string())),
        }
    };
    let recorded = again.rules_used.flat_values();
    let value = |key: &str| recorded.get(key).map(|v| v.trim_matches('"').to_owned()).unwrap_or_default();
    let page = ReplayPage {
        nav: StaffNav::new(&me, lang, "/staff/visits"),
        seq,
        same: again.same,
        differences: again.differences.iter().map(|d| (d.label_zh(), d.label_en())).collect(),
        old_record: body.version.is_none(),
        columns: vec![
            Column {
                id: "recorded",
                zh: "记录的判定",
                en: "As recorded",
                verdict: verdict_view(&state, &row.project_id, lang, &again.recorded),
            },
            Column {
                id: "replayed",
                zh: "重新判定",
                en: "Judged again",
                verdict: verdict_view(&state, &row.project_id, lang, &again.replayed),
            },
        ],
        settings: SETTINGS.iter().map(|&(key, zh, en)| SettingView { key, zh, en, value: value(key) }).collect(),
        inputs: inputs(&input, &recorded),
        choices: choices(&input, &recorded),
        what_if,
        error,
    };
    let status = if page.error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, Html(page.render()?)).into_response())
}

fn verdict_view(state: &AppState, project_id: &str, lang: Lang, v: &RecordedVerdict) -> VerdictView {
    VerdictView {
        valid: v.is_valid(),
        reasons: v.reasons.iter().map(|r| (r.code(), r.message(ReasonLang::from(lang)))).collect(),
        protected_until: v
            .protected_until
            .map(|t| state.local_time(project_id, &t, "%Y-%m-%d %H:%M"))
            .unwrap_or_default(),
        off_hours: v.off_hours,
    }
}

fn what_if_view(state: &AppState, project_id: &str, lang: Lang, r: &Replay) -> WhatIfView {
    WhatIfView {
        verdict: verdict_view(state, project_id, lang, &r.replayed),
        same: r.same,
        changes: r
            .changed_rules
            .iter()
            .map(|c| {
                let (zh, en) = label(&c.key);
                ChangeView {
                    key: c.key.clone(),
                    zh,
                    en,
                    recorded: c.recorded.trim_matches('"').to_owned(),
                    used: c.used.trim_matches('"').to_owned(),
                }
            })
            .collect(),
    }
}

fn inputs(input: &WhatIfInput, recorded: &BTreeMap<String, String>) -> Vec<InputView> {
    let field = |name: &'static str, key: &str, value: &str, numeric: bool| {
        let (zh, en) = label(key);
        let recorded = recorded.get(key).map(|v| v.trim_matches('"').to_owned()).unwrap_or_default();
        InputView { name, zh, en, value: value.trim().to_owned(), recorded, numeric }
    };
    vec![
        field("min_gap_minutes", "min_gap_minutes", &input.min_gap_minutes, true),
        field("report_validity", "report_validity", &input.report_validity, false),
        field("history_window_days", "history_window_days", &input.history_window_days, true),
        field("protection_days", "protection_days", &input.protection_days, true),
        field("max_reports_per_month", "max_reports_per_month", &input.max_reports_per_month, true),
        field("desk_hours_mon_thu", "desk_hours.mon_thu", &input.desk_hours_mon_thu, false),
        field("desk_hours_fri_sun", "desk_hours.fri_sun", &input.desk_hours_fri_sun, false),
    ]
}

fn choices(input: &WhatIfInput, recorded: &BTreeMap<String, String>) -> Vec<ChoiceView> {
    let choice =
        |name: &'static str, key: &str, typed: &str, options: [(&'static str, &'static str, &'static str); 2]| {
            let (zh, en) = label(key);
            ChoiceView {
                name,
                zh,
                en,
                recorded: recorded.get(key).map(|v| v.trim_matches('"').to_owned()).unwrap_or_default(),
                options: options
                    .into_iter()
                    .map(|(value, zh, en)| OptionView { value, zh, en, selected: typed.trim() == value })
                    .collect(),
            }
        };
    vec![
        choice(
            "agent_must_accompany",
            "agent_must_accompany",
            &input.agent_must_accompany,
            [("true", "是", "yes"), ("false", "否", "no")],
        ),
        choice(
            "overlap_rule",
            "overlap_rule",
            &input.overlap_rule,
            [
                ("first-report", "先报备者有效", "first report wins"),
                ("first-visit", "先带访者有效", "first visit wins"),
            ],
        ),
    ]
}
