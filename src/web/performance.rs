//! Channel performance (渠道业绩) for managers: per agency over a period of
//! local days (this month unless asked) — reports, first reads (到访),
//! valid visits, arrival rate (到访率), subscriptions, channel-performance
//! deals and their amount, conversion, the disputes the agency is a party
//! to (opened in the period; the number links to /staff/disputes) — with a
//! totals line, the same table as xlsx, two server-side SVG charts, and the
//! seeds' daily rule flagged per agency and day ("当日报备10组以上考核到访率
//! 不足50%,当日报备客户遇有争议时作无效处理").
//!
//! Also the helpers the settlement statement and the agency's pages share
//! (money, rates, months, product and status words, the xlsx response).

use super::AppState;
use super::error::WebError;
use super::error_code::ErrorCode;
use super::i18n::Lang;
use super::nav::StaffNav;
use super::rules_page::{chosen_project, project_choices};
use super::session::{CurrentStaff, url_escape};
use super::svg_chart::{BarChart, COLOURS, Group, Series, horizontal_bars};
use crate::store::performance::{
    AgencyPerformance, DAILY_RULE_MIN_ARRIVAL_PERCENT, DAILY_RULE_MIN_REPORTS, Performance, local_days,
};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new().route("/staff/performance", get(page)).route("/staff/performance.xlsx", get(export_xlsx))
}

/// The agencies a chart shows (the table lists them all).
const CHART_AGENCIES: usize = 20;
/// The longest period one page adds up.
const MAX_DAYS: i64 = 366;

// ---- helpers shared with the settlement statement and the agency's pages ----

/// Fen as yuan with thousands separators: 123456789 → "1,234,567.89".
pub(crate) fn yuan(fen: i64) -> String {
    crate::store::deals::format_yuan(fen)
}

/// Fen as a yuan number (for spreadsheets).
pub(crate) fn yuan_number(fen: i64) -> f64 {
    fen as f64 / 100.0
}

/// A rate as a percentage ("—" when there is nothing to divide by).
pub(crate) fn percent(rate: Option<f64>) -> String {
    match rate {
        Some(r) => format!("{:.0}%", r * 100.0),
        None => "—".to_owned(),
    }
}

/// `yyyy-mm` as the month's first day.
pub(crate) fn parse_month(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    if text.len() != 7 {
        return None;
    }
    NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").ok()
}

/// The last day of `day`'s month.
pub(crate) fn month_end(day: NaiveDate) -> NaiveDate {
    let (y, m) = if day.month() == 12 { (day.year() + 1, 1) } else { (day.year(), day.month() + 1) };
    NaiveDate::from_ymd_opt(y, m, 1).and_then(|d| d.pred_opt()).unwrap_or(day)
}

/// The first day of `day`'s month.
pub(crate) fn month_start(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// Today in a time zone, at the server's clock.
pub(crate) fn today(state: &AppState, tz: chrono_tz::Tz) -> NaiveDate {
    state.clock.now().with_timezone(&tz).date_naive()
}

/// A product kind in words.
pub(crate) fn product_label(code: &str, lang: Lang) -> String {
    let (zh, en) = match code {
        "residential" => ("住宅", "residential"),
        "commercial" => ("商铺", "commercial"),
        "office" => ("写字楼", "office"),
        "apartment" => ("公寓", "apartment"),
        "parking" => ("车位", "car park"),
        "storage" => ("储藏室", "storage"),
        other => (other, other),
    };
    lang.tr(zh, en).to_owned()
}

/// A subscription's state in words (认购 → 签约 / 退订).
pub(crate) fn status_label(code: &str, lang: Lang) -> String {
    let (zh, en) = match code {
        "subscribed" => ("已认购", "subscribed"),
        "contracted" => ("已签约", "contracted"),
        "cancelled" => ("已退订", "cancelled"),
        other => (other, other),
    };
    lang.tr(zh, en).to_owned()
}

/// A finished workbook as a download.
pub(crate) fn xlsx_response(bytes: Vec<u8>, filename: &str) -> Response {
    let disposition = format!("attachment; filename=\"{filename}\"");
    (
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

pub(crate) fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> WebError {
    WebError::Internal(format!("xlsx: {e}"))
}

// ---- the page ----

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct PeriodQuery {
    project: String,
    from: String,
    to: String,
}

fn parse_day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

/// The period asked for: `from ..= to`, local days. Unset: this month
/// (or the month of the one bound given).
fn period(q: &PeriodQuery, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), WebError> {
    let bad = || {
        WebError::bad(
            ErrorCode::Invalid,
            format!(
                "日期格式应为 2026-11-23,起止日期最多相隔 {MAX_DAYS} 天 / dates are yyyy-mm-dd, at most {MAX_DAYS} days apart"
            ),
        )
    };
    let given = |s: &str| if s.trim().is_empty() { Ok(None) } else { parse_day(s).map(Some).ok_or_else(bad) };
    let (from, to) = match (given(&q.from)?, given(&q.to)?) {
        (Some(f), Some(t)) => (f, t),
        (Some(f), None) => (f, month_end(f)),
        (None, Some(t)) => (month_start(t), t),
        (None, None) => (month_start(today), month_end(today)),
    };
    if to < from || to.signed_duration_since(from).num_days() >= MAX_DAYS {
        return Err(bad());
    }
    Ok((from, to))
}

/// The project, period and figures a request asks for.
struct Computed {
    project_id: String,
    project_name: String,
    from: NaiveDate,
    to: NaiveDate,
    performance: Performance,
}

async fn compute(state: &AppState, me: &CurrentStaff, q: &PeriodQuery) -> Result<Computed, WebError> {
    let project = chosen_project(state, me, &q.project)?;
    let tz = project.rules.timezone;
    let (from, to) = period(q, today(state, tz))?;
    let days = local_days(tz, from, to);
    let id = project.id.clone();
    let performance =
        state.db.run(move |store| store.channel_performance(&id, &days, None)).await.map_err(WebError::from)?;
    Ok(Computed { project_id: project.id.clone(), project_name: project.name.clone(), from, to, performance })
}

/// One line of the table, as shown.
pub(crate) struct RowView {
    pub agency: String,
    pub reports: i64,
    pub first_reads: i64,
    pub valid_visits: i64,
    pub arrival_rate: String,
    pub subscriptions: i64,
    pub deals: i64,
    pub amount: String,
    pub conversion: String,
    pub disputed: i64,
}

impl RowView {
    pub(crate) fn new(r: &AgencyPerformance) -> RowView {
        RowView {
            agency: r.agency.clone(),
            reports: r.reports,
            first_reads: r.first_reads,
            valid_visits: r.valid_visits,
            arrival_rate: percent(r.arrival_rate()),
            subscriptions: r.subscriptions,
            deals: r.deals,
            amount: yuan(r.deal_amount_fen),
            conversion: percent(r.conversion()),
            disputed: r.disputed,
        }
    }
}

/// A day the daily rule flags.
pub(crate) struct FlagView {
    pub date: String,
    pub agency: String,
    pub reports: i64,
    pub first_reads: i64,
}

#[derive(Template)]
#[template(path = "staff/performance.html")]
struct PerformancePage {
    nav: StaffNav,
    projects: Vec<(String, String)>,
    project_id: String,
    project_name: String,
    from: String,
    to: String,
    query: String,
    rows: Vec<RowView>,
    totals: RowView,
    flags: Vec<FlagView>,
    volume_chart: String,
    deals_chart: String,
    min_reports: i64,
    min_percent: i64,
}

/// Reports, arrivals and valid visits of the busiest agencies.
fn volume_chart(rows: &[AgencyPerformance], lang: Lang) -> String {
    let top: Vec<&AgencyPerformance> = rows.iter().take(CHART_AGENCIES).collect();
    let desc = top
        .iter()
        .map(|r| {
            format!(
                "{}{}{}{}{}{}{}",
                r.agency,
                lang.tr(":报备 ", ": reports "),
                r.reports,
                lang.tr(",到访 ", ", arrivals "),
                r.first_reads,
                lang.tr(",有效带看 ", ", valid visits "),
                r.valid_visits
            )
        })
        .collect::<Vec<_>>()
        .join(lang.tr(";", "; "));
    horizontal_bars(&BarChart {
        id: "chart-volume".into(),
        title: format!(
            "{}{}",
            lang.tr("各渠道报备、到访与有效带看", "Reports, arrivals and valid visits per agency"),
            if rows.len() > CHART_AGENCIES {
                format!(
                    "{} {CHART_AGENCIES} {}",
                    lang.tr("(报备最多的前", " (the"),
                    lang.tr("家)", " agencies with most reports)")
                )
            } else {
                String::new()
            }
        ),
        desc,
        series: vec![
            Series { name: lang.tr("报备", "Reports").to_owned(), colour: COLOURS[0] },
            Series { name: lang.tr("首次到访", "Arrivals").to_owned(), colour: COLOURS[1] },
            Series { name: lang.tr("有效带看", "Valid visits").to_owned(), colour: COLOURS[2] },
        ],
        groups: top
            .iter()
            .map(|r| Group {
                label: r.agency.clone(),
                values: vec![r.reports, r.first_reads, r.valid_visits],
                texts: vec![r.reports.to_string(), r.first_reads.to_string(), r.valid_visits.to_string()],
            })
            .collect(),
    })
}

/// Channel-performance deal amounts of the agencies with deals.
fn deals_chart(rows: &[AgencyPerformance], lang: Lang) -> String {
    let mut with_deals: Vec<&AgencyPerformance> = rows.iter().filter(|r| r.deal_amount_fen > 0).collect();
    with_deals.sort_by(|a, b| b.deal_amount_fen.cmp(&a.deal_amount_fen).then_with(|| a.agency.cmp(&b.agency)));
    with_deals.truncate(CHART_AGENCIES);
    let unit = lang.tr("元", "yuan");
    let desc = with_deals
        .iter()
        .map(|r| {
            format!(
                "{}{}{} {unit}({} {})",
                r.agency,
                lang.tr(":", ": "),
                yuan(r.deal_amount_fen),
                r.deals,
                lang.tr("套", "deals")
            )
        })
        .collect::<Vec<_>>()
        .join(lang.tr(";", "; "));
    horizontal_bars(&BarChart {
        id: "chart-deals".into(),
        title: lang.tr("各渠道渠道业绩成交金额", "Channel-performance deal amounts per agency").to_owned(),
        desc,
        series: vec![Series { name: lang.tr("成交金额(元)", "Amount (yuan)").to_owned(), colour: COLOURS[0] }],
        groups: with_deals
            .iter()
            .map(|r| Group {
                label: r.agency.clone(),
                values: vec![r.deal_amount_fen],
                texts: vec![format!("{} {unit}", yuan(r.deal_amount_fen))],
            })
            .collect(),
    })
}

async fn page(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, WebError> {
    let c = compute(&state, &me, &q).await?;
    let mut totals = RowView::new(&c.performance.totals());
    totals.agency = lang.tr("合计", "Total").to_owned();
    let query = format!(
        "project={}&from={}&to={}",
        url_escape(&c.project_id),
        url_escape(&c.from.to_string()),
        url_escape(&c.to.to_string())
    );
    let page = PerformancePage {
        nav: StaffNav::new(&me, lang, "/staff/performance"),
        projects: project_choices(&state, &me),
        project_id: c.project_id,
        project_name: c.project_name,
        from: c.from.to_string(),
        to: c.to.to_string(),
        query,
        rows: c.performance.rows.iter().map(RowView::new).collect(),
        totals,
        flags: c
            .performance
            .flags
            .iter()
            .map(|f| FlagView {
                date: f.date.to_string(),
                agency: f.agency.clone(),
                reports: f.reports,
                first_reads: f.first_reads,
            })
            .collect(),
        volume_chart: volume_chart(&c.performance.rows, lang),
        deals_chart: deals_chart(&c.performance.rows, lang),
        min_reports: DAILY_RULE_MIN_REPORTS,
        min_percent: DAILY_RULE_MIN_ARRIVAL_PERCENT,
    };
    Ok(Html(page.render()?).into_response())
}

/// The columns of the xlsx export (the page's table).
pub const COLUMNS: [&str; 10] =
    ["渠道公司", "报备", "首次到访", "有效带看", "到访率", "认购", "渠道业绩成交", "成交金额(元)", "转化率", "争议"];

/// The performance as a workbook: the table with its totals line, and the
/// daily-rule flags on a second sheet.
pub fn performance_workbook(performance: &Performance) -> Result<Vec<u8>, WebError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let money = rust_xlsxwriter::Format::new().set_num_format("#,##0.00");
    let money_bold = rust_xlsxwriter::Format::new().set_num_format("#,##0.00").set_bold();
    let rate = rust_xlsxwriter::Format::new().set_num_format("0.0%");
    {
        let sheet = book.add_worksheet();
        sheet.set_name("渠道业绩").map_err(xlsx_error)?;
        for (col, title) in COLUMNS.iter().enumerate() {
            sheet.write_string_with_format(0, col as u16, *title, &bold).map_err(xlsx_error)?;
        }
        sheet.set_column_width(0, 24).map_err(xlsx_error)?;
        sheet.set_column_width(7, 16).map_err(xlsx_error)?;
        let totals = performance.totals();
        let lines = performance.rows.iter().map(|r| (r, false)).chain(std::iter::once((&totals, true)));
        for (i, (r, total)) in lines.enumerate() {
            let row = i as u32 + 1;
            let money_format = if total { &money_bold } else { &money };
            sheet.write_string(row, 0, r.agency.as_str()).map_err(xlsx_error)?;
            for (col, n) in [
                (1u16, r.reports),
                (2, r.first_reads),
                (3, r.valid_visits),
                (5, r.subscriptions),
                (6, r.deals),
                (9, r.disputed),
            ] {
                sheet.write_number(row, col, n as f64).map_err(xlsx_error)?;
            }
            sheet.write_number_with_format(row, 7, yuan_number(r.deal_amount_fen), money_format).map_err(xlsx_error)?;
            for (col, value) in [(4u16, r.arrival_rate()), (8, r.conversion())] {
                match value {
                    Some(v) => sheet.write_number_with_format(row, col, v, &rate).map_err(xlsx_error)?,
                    None => sheet.write_string(row, col, "—").map_err(xlsx_error)?,
                };
            }
        }
    }
    {
        let sheet = book.add_worksheet();
        sheet.set_name("到访率预警").map_err(xlsx_error)?;
        for (col, title) in ["日期", "渠道公司", "报备", "到访", "说明"].iter().enumerate() {
            sheet.write_string_with_format(0, col as u16, *title, &bold).map_err(xlsx_error)?;
        }
        for (i, f) in performance.flags.iter().enumerate() {
            let row = i as u32 + 1;
            sheet.write_string(row, 0, f.date.to_string()).map_err(xlsx_error)?;
            sheet.write_string(row, 1, f.agency.as_str()).map_err(xlsx_error)?;
            sheet.write_number(row, 2, f.reports as f64).map_err(xlsx_error)?;
            sheet.write_number(row, 3, f.first_reads as f64).map_err(xlsx_error)?;
            sheet
                .write_string(
                    row,
                    4,
                    format!("该日报备 {} 组,到访 {} 组 < 50%:当日争议报备无效", f.reports, f.first_reads),
                )
                .map_err(xlsx_error)?;
        }
    }
    book.save_to_buffer().map_err(xlsx_error)
}

async fn export_xlsx(
    State(state): State<AppState>,
    me: CurrentStaff,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, WebError> {
    let c = compute(&state, &me, &q).await?;
    let bytes = performance_workbook(&c.performance)?;
    Ok(xlsx_response(bytes, &format!("panke-performance-{}-{}-{}.xlsx", c.project_id, c.from, c.to)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_yuan_with_thousands_separators() {
        assert_eq!(yuan(0), "0.00");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(123_456_789), "1,234,567.89");
        assert_eq!(yuan(100_000_000), "1,000,000.00");
        assert_eq!(yuan(-150), "-1.50");
    }

    #[test]
    fn months_and_periods() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(parse_month("2026-11"), Some(d("2026-11-01")));
        assert_eq!(parse_month("2026-13"), None);
        assert_eq!(month_end(d("2026-12-05")), d("2026-12-31"));
        assert_eq!(month_end(d("2028-02-10")), d("2028-02-29"));
        let q = PeriodQuery::default();
        assert_eq!(period(&q, d("2026-11-18")).unwrap(), (d("2026-11-01"), d("2026-11-30")));
        let q = PeriodQuery { from: "2026-11-20".into(), to: "2026-11-10".into(), ..PeriodQuery::default() };
        assert!(period(&q, d("2026-11-18")).is_err());
        let q = PeriodQuery { from: "2025-01-01".into(), to: "2026-11-10".into(), ..PeriodQuery::default() };
        assert!(period(&q, d("2026-11-18")).is_err(), "too long a period");
    }
}
