//! The channel funnel (渠道漏斗) for managers: per agency, the reports filed
//! in a period, how many led to a visit, and to a valid one.

use super::AppState;
use super::error::WebError;
use super::i18n::Lang;
use super::listing::{day_start, may_list};
use super::session::CurrentStaff;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new().route("/staff/funnel", get(page))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Period {
    from: String,
    to: String,
}

struct Row {
    agency: String,
    reported: i64,
    arrived: i64,
    valid: i64,
    arrival_rate: String,
    valid_rate: String,
}

fn percent(part: i64, whole: i64) -> String {
    if whole == 0 { "—".into() } else { format!("{:.0}%", part as f64 * 100.0 / whole as f64) }
}

#[derive(Template)]
#[template(path = "staff/funnel.html")]
struct FunnelPage {
    nav: super::nav::StaffNav,
    from: String,
    to: String,
    rows: Vec<Row>,
}

async fn page(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Query(q): Query<Period>,
) -> Result<Response, WebError> {
    may_list(&me)?;
    // The last 30 days unless a period is given.
    let tz = me.staff.project_id.as_deref().map(|p| state.project_tz(p)).unwrap_or(chrono_tz::Asia::Shanghai);
    let today = state.clock.now().with_timezone(&tz).date_naive();
    let from = if q.from.is_empty() { (today - chrono::Duration::days(29)).to_string() } else { q.from };
    let to = if q.to.is_empty() { today.to_string() } else { q.to };
    let (Some(start), Some(end)) = (day_start(&me, &state, &from, 0), day_start(&me, &state, &to, 1)) else {
        return Err(WebError::bad(
            super::error_code::ErrorCode::Invalid,
            "日期格式应为 2026-11-23 / dates are yyyy-mm-dd",
        ));
    };
    let project = me.staff.project_id.clone();
    let rows = state
        .db
        .run(move |store| store.agency_funnel(project.as_deref(), start, end))
        .await
        .map_err(WebError::from)?
        .into_iter()
        .map(|r| Row {
            arrival_rate: percent(r.arrived, r.reported),
            valid_rate: percent(r.valid, r.reported),
            agency: r.agency,
            reported: r.reported,
            arrived: r.arrived,
            valid: r.valid,
        })
        .collect();
    let nav = super::nav::StaffNav::new(&me, lang, "/staff/funnel");
    Ok(Html(FunnelPage { nav, from, to, rows }.render()?).into_response())
}
