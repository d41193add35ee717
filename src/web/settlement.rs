//! The settlement statement (结佣对账单) per agency and month, for managers:
//! every channel-performance deal of the agency subscribed in the month
//! (local days of the project), not cancelled, each with its evidence chain
//! — report → first read → visit record → deal — and the commission the
//! project file sets (`[commission]`: a percentage of the price or a fixed
//! amount per unit). The totals are the sums of the rows. Printable (A4,
//! `static/settlement.css`) and as xlsx. Without an agency: the month's
//! overview per agency, each linking to its statement.
//!
//! A deal a dispute's ruling shared (争议裁决分成) is on the statement of
//! each of its agencies, with the agency's share: its commission is the
//! deal's commission × the share (rounded half up, `share_of`), and the
//! overview adds each agency's share of the price.
//!
//! The statement's rows and totals are built here for the agency's own
//! pages too (`agent/deals.rs`). There a deal whose covering visit is
//! another agency's (a ruling moved or shared the deal) carries no part of
//! that visit's evidence chain — no agent, report, visit record, times or
//! verdict — only 带看记录属对方渠道(依争议裁决 #id).

use super::AppState;
use super::error::WebError;
use super::error_code::ErrorCode;
use super::i18n::Lang;
use super::nav::StaffNav;
use super::performance::{
    month_end, month_start, parse_month, product_label, status_label, today, xlsx_error, xlsx_response, yuan,
    yuan_number,
};
use super::rules_page::{chosen_project, project_choices};
use super::session::{CurrentStaff, url_escape};
use crate::config::deployment::{Commission, ProjectConfig};
use crate::store::performance::{DealRow, local_midnight};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::NaiveDate;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new().route("/staff/settlement", get(page)).route("/staff/settlement.xlsx", get(export_xlsx))
}

/// `[from, to)` of a local month, as unix seconds.
pub(crate) fn month_bounds(tz: chrono_tz::Tz, first: NaiveDate) -> (i64, i64) {
    let next = month_end(first).succ_opt().unwrap_or(first);
    (local_midnight(tz, first), local_midnight(tz, next))
}

/// The month asked for (`yyyy-mm`), or this month; its first day.
pub(crate) fn chosen_month(text: &str, today: NaiveDate) -> Result<NaiveDate, WebError> {
    if text.trim().is_empty() {
        return Ok(month_start(today));
    }
    parse_month(text).ok_or_else(|| WebError::bad(ErrorCode::Invalid, "月份格式应为 2026-11 / the month is yyyy-mm"))
}

/// The commission rule in words.
pub(crate) fn commission_rule(commission: Option<Commission>, lang: Lang) -> String {
    match commission {
        Some(Commission::Percent { basis_points }) => {
            format!("{} {}.{:02}%", lang.tr("成交价 ×", "price ×"), basis_points / 100, basis_points % 100)
        }
        Some(Commission::PerUnit { fen }) => {
            format!("{}{}{}", lang.tr("每套 ", ""), yuan(fen), lang.tr(" 元", " yuan per unit"))
        }
        None => lang.tr("未配置佣金", "no commission configured").to_owned(),
    }
}

/// One deal of a statement, as shown (times local, phone masked).
pub(crate) struct StatementLine {
    pub subscription_id: i64,
    pub agency: String,
    pub customer: String,
    pub phone: String,
    pub unit: String,
    pub product: String,
    pub price: String,
    pub price_fen: i64,
    pub subscribed: String,
    pub status: String,
    pub contracted: String,
    pub sales: String,
    /// 0: no report (a visit imported, not one of panke's).
    pub report_id: i64,
    pub filed: String,
    pub first_read: String,
    /// 0: the covering visit is not one of panke's records.
    pub visit_seq: i64,
    pub arrived: String,
    pub verdict: String,
    pub voided: bool,
    pub agent: String,
    pub attribution_seq: i64,
    pub commission: String,
    pub commission_fen: i64,
    /// The agency's share of the deal in percent (100 unless a ruling
    /// shared it), and the price × that share.
    pub share_percent: i64,
    pub share_amount_fen: i64,
    /// The dispute whose ruling decided the deal (0: none).
    pub dispute_id: i64,
    /// The other side of a shared deal as this reader may see it: for the
    /// staff its agency's name (现场 for the site), for an agency only
    /// 对方渠道 / 现场; empty when the deal is not shared.
    pub other: String,
    /// The other side's agency for a link to its statement (0: none, or
    /// not the reader's to follow).
    pub other_agency_id: i64,
    pub other_percent: i64,
    /// For an agency reading a deal whose covering visit is another
    /// agency's: 带看记录属对方渠道(依争议裁决 #id), in place of the visit's
    /// evidence chain (all of it left empty). Empty otherwise.
    pub visit_note: String,
}

impl StatementLine {
    /// The share is worth showing: a ruling decided the deal, or shares it.
    pub fn ruled(&self) -> bool {
        self.dispute_id > 0 || self.share_percent != 100
    }
}

/// A statement: its lines and their sums.
pub(crate) struct Statement {
    pub lines: Vec<StatementLine>,
    pub count: usize,
    /// The sum of the prices listed.
    pub amount_fen: i64,
    pub amount: String,
    /// The sum of the agency's shares of them (the amount channel
    /// performance counts).
    pub share_amount_fen: i64,
    pub commission_fen: i64,
    pub commission: String,
    /// The project's rule in words ("未配置佣金" when the file sets none).
    pub rule: String,
    pub configured: bool,
}

/// Who reads a statement: the staff see who holds the other share of a
/// shared deal and every deal's evidence chain; an agency (its id) never
/// sees another agency's name, nor the evidence chain of a visit that is
/// not its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reader {
    Staff,
    Agency(i64),
}

impl Reader {
    /// May this reader see the deal's covering visit (agent, report,
    /// visit record, times, verdict, receipt)?
    pub(crate) fn sees_visit(self, d: &DealRow) -> bool {
        match self {
            Reader::Staff => true,
            Reader::Agency(id) => d.visit_is_of(id),
        }
    }
}

/// What an agency reads in place of the evidence chain of a covering visit
/// that is not its own: 带看记录属对方渠道(依争议裁决 #id) — another agency
/// is never named.
pub(crate) fn foreign_visit_note(d: &DealRow, lang: Lang) -> String {
    let whose = if d.visit_agency_id.is_some() {
        lang.tr("带看记录属对方渠道", "the visit is the other agency's")
    } else {
        lang.tr("带看记录不属本渠道", "the visit is not your agency's")
    };
    match (d.dispute_id, lang) {
        (Some(id), Lang::En) => format!("{whose} (by dispute ruling #{id})"),
        (Some(id), _) => format!("{whose}(依争议裁决 #{id})"),
        (None, _) => whose.to_owned(),
    }
}

/// The other side of a shared deal in words, for `reader` (empty when the
/// deal is not shared).
fn other_side(d: &DealRow, reader: Reader, lang: Lang) -> String {
    if d.co_percent == 0 && d.co_agency_id.is_none() {
        return String::new();
    }
    match (reader, d.co_agency_id, &d.co_agency) {
        (Reader::Staff, Some(_), Some(name)) => name.clone(),
        (_, Some(_), _) => lang.tr("对方渠道", "the other agency").to_owned(),
        (_, None, _) => lang.tr("现场", "the site").to_owned(),
    }
}

/// The statement of `deals` (already the agency's channel-performance
/// deals of the month) under the project's commission.
pub(crate) fn statement(
    state: &AppState,
    project: &ProjectConfig,
    deals: Vec<DealRow>,
    reader: Reader,
    lang: Lang,
) -> Statement {
    let pid = project.id.as_str();
    let local =
        |t: &Option<String>| t.as_deref().map(|t| state.local_text(pid, t, "%Y-%m-%d %H:%M")).unwrap_or_default();
    let lines: Vec<StatementLine> = deals
        .into_iter()
        .map(|d| {
            let commission_fen = project.commission.map(|c| d.share_amount(c.of(d.price_fen))).unwrap_or(0);
            let visit = reader.sees_visit(&d);
            StatementLine {
                subscription_id: d.subscription_id,
                agency: d.agency.clone(),
                customer: d.customer_name.clone(),
                phone: d.masked_phone.clone(),
                unit: d.unit.clone(),
                product: product_label(&d.product, lang),
                price: yuan(d.price_fen),
                price_fen: d.price_fen,
                subscribed: state.local_text(pid, &d.subscribed_at, "%Y-%m-%d %H:%M"),
                status: status_label(&d.status, lang),
                contracted: local(&d.contracted_at),
                sales: d.sales_name.clone(),
                report_id: if visit { d.report_id.unwrap_or(0) } else { 0 },
                filed: if visit { local(&d.filed_at) } else { String::new() },
                first_read: if visit { local(&d.first_read_at) } else { String::new() },
                visit_seq: if visit { d.visit_seq.unwrap_or(0) } else { 0 },
                arrived: match (visit, &d.arrived_at, &d.visit_at) {
                    (false, _, _) => String::new(),
                    (true, Some(a), _) => state.local_text(pid, a, "%Y-%m-%d %H:%M"),
                    (true, None, v) => local(v),
                },
                verdict: match (visit, d.verdict.as_deref()) {
                    (true, Some("valid")) => lang.tr("有效带看", "valid visit").to_owned(),
                    (true, Some(_)) => lang.tr("自然到访", "natural visit").to_owned(),
                    _ => String::new(),
                },
                voided: visit && d.visit_voided,
                agent: if visit { d.agent.clone().unwrap_or_default() } else { String::new() },
                attribution_seq: d.attribution_seq,
                commission: yuan(commission_fen),
                commission_fen,
                share_percent: d.share_percent,
                share_amount_fen: d.share_amount(d.price_fen),
                dispute_id: d.dispute_id.unwrap_or(0),
                other: other_side(&d, reader, lang),
                other_agency_id: match reader {
                    Reader::Staff => d.co_agency_id.unwrap_or(0),
                    Reader::Agency(_) => 0,
                },
                other_percent: d.co_percent,
                visit_note: if visit { String::new() } else { foreign_visit_note(&d, lang) },
            }
        })
        .collect();
    let amount_fen = lines.iter().map(|l| l.price_fen).sum();
    let share_amount_fen = lines.iter().map(|l| l.share_amount_fen).sum();
    let commission_fen = lines.iter().map(|l| l.commission_fen).sum();
    Statement {
        count: lines.len(),
        amount_fen,
        amount: yuan(amount_fen),
        share_amount_fen,
        commission_fen,
        commission: yuan(commission_fen),
        rule: commission_rule(project.commission, lang),
        configured: project.commission.is_some(),
        lines,
    }
}

/// The columns of the xlsx statement (the share and the ruling after the
/// original seventeen, whose places stay).
pub const COLUMNS: [&str; 20] = [
    "渠道公司",
    "认购编号",
    "客户",
    "手机号",
    "房号",
    "产品",
    "成交价(元)",
    "认购时间",
    "合同状态",
    "报备编号",
    "报备时间",
    "首次到访",
    "带看记录",
    "到访时间",
    "判定",
    "佣金(元)",
    "归属账本记录",
    "份额(%)",
    "争议裁决",
    "对方及份额",
];
/// The agency's share (percent).
pub const SHARE_COLUMN: u16 = 17;
/// Where the sums are.
pub const PRICE_COLUMN: u16 = 6;
pub const COMMISSION_COLUMN: u16 = 15;

/// The statement as a workbook: a header row, one row per deal, and the
/// totals row (合计) whose sums are the rows'.
pub(crate) fn statement_workbook(s: &Statement) -> Result<Vec<u8>, WebError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let money = rust_xlsxwriter::Format::new().set_num_format("#,##0.00");
    let money_bold = rust_xlsxwriter::Format::new().set_num_format("#,##0.00").set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name("结佣对账单").map_err(xlsx_error)?;
    for (col, title) in COLUMNS.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *title, &bold).map_err(xlsx_error)?;
    }
    for col in [0u16, 7, 10, 11, 13, 19] {
        sheet.set_column_width(col, 18).map_err(xlsx_error)?;
    }
    let mut row = 1u32;
    for l in &s.lines {
        sheet.write_string(row, 0, l.agency.as_str()).map_err(xlsx_error)?;
        sheet.write_number(row, 1, l.subscription_id as f64).map_err(xlsx_error)?;
        sheet.write_string(row, 2, l.customer.as_str()).map_err(xlsx_error)?;
        sheet.write_string(row, 3, l.phone.as_str()).map_err(xlsx_error)?;
        sheet.write_string(row, 4, l.unit.as_str()).map_err(xlsx_error)?;
        sheet.write_string(row, 5, l.product.as_str()).map_err(xlsx_error)?;
        sheet.write_number_with_format(row, PRICE_COLUMN, yuan_number(l.price_fen), &money).map_err(xlsx_error)?;
        sheet.write_string(row, 7, l.subscribed.as_str()).map_err(xlsx_error)?;
        sheet.write_string(row, 8, l.status.as_str()).map_err(xlsx_error)?;
        if l.report_id > 0 {
            sheet.write_number(row, 9, l.report_id as f64).map_err(xlsx_error)?;
        }
        sheet.write_string(row, 10, l.filed.as_str()).map_err(xlsx_error)?;
        sheet.write_string(row, 11, l.first_read.as_str()).map_err(xlsx_error)?;
        if l.visit_seq > 0 {
            sheet.write_number(row, 12, l.visit_seq as f64).map_err(xlsx_error)?;
        }
        sheet.write_string(row, 13, l.arrived.as_str()).map_err(xlsx_error)?;
        let verdict = if l.voided { format!("{}(已作废)", l.verdict) } else { l.verdict.clone() };
        sheet.write_string(row, 14, verdict).map_err(xlsx_error)?;
        sheet
            .write_number_with_format(row, COMMISSION_COLUMN, yuan_number(l.commission_fen), &money)
            .map_err(xlsx_error)?;
        sheet.write_number(row, 16, l.attribution_seq as f64).map_err(xlsx_error)?;
        sheet.write_number(row, SHARE_COLUMN, l.share_percent as f64).map_err(xlsx_error)?;
        if l.dispute_id > 0 {
            sheet.write_number(row, 18, l.dispute_id as f64).map_err(xlsx_error)?;
        }
        if !l.other.is_empty() {
            sheet.write_string(row, 19, format!("{} {}%", l.other, l.other_percent)).map_err(xlsx_error)?;
        }
        row += 1;
    }
    sheet.write_string_with_format(row, 0, "合计", &bold).map_err(xlsx_error)?;
    sheet.write_number(row, 1, s.count as f64).map_err(xlsx_error)?;
    sheet.write_number_with_format(row, PRICE_COLUMN, yuan_number(s.amount_fen), &money_bold).map_err(xlsx_error)?;
    sheet.write_string(row, 7, format!("佣金规则:{}", s.rule)).map_err(xlsx_error)?;
    sheet
        .write_number_with_format(row, COMMISSION_COLUMN, yuan_number(s.commission_fen), &money_bold)
        .map_err(xlsx_error)?;
    book.save_to_buffer().map_err(xlsx_error)
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct SettlementQuery {
    project: String,
    agency: String,
    month: String,
}

/// One agency's month in the overview.
struct OverviewRow {
    /// 0: a name no agency row has.
    agency_id: i64,
    agency: String,
    count: usize,
    amount: String,
    commission: String,
}

#[derive(Template)]
#[template(path = "staff/settlement.html")]
struct SettlementPage {
    nav: StaffNav,
    projects: Vec<(String, String)>,
    project_id: String,
    project_name: String,
    month: String,
    agencies: Vec<(i64, String)>,
    /// 0: none chosen (the overview).
    agency_id: i64,
    agency: String,
    rule: String,
    configured: bool,
    overview: Vec<OverviewRow>,
    overview_count: usize,
    overview_amount: String,
    overview_commission: String,
    statement: Option<Statement>,
    query: String,
}

/// What a request asks for, read.
struct Loaded<'a> {
    project: &'a ProjectConfig,
    month: NaiveDate,
    agencies: Vec<(i64, String)>,
    chosen: Option<(i64, String)>,
    deals: Vec<DealRow>,
}

async fn load<'a>(state: &'a AppState, me: &CurrentStaff, q: &SettlementQuery) -> Result<Loaded<'a>, WebError> {
    let project = chosen_project(state, me, &q.project)?;
    let tz = project.rules.timezone;
    let month = chosen_month(&q.month, today(state, tz))?;
    let (from_unix, to_unix) = month_bounds(tz, month);
    let agency_id = match q.agency.trim() {
        "" => None,
        text => Some(text.parse::<i64>().map_err(|_| WebError::NotFound)?),
    };
    let pid = project.id.clone();
    let (agencies, chosen, deals) = state
        .db
        .run(move |store| -> Result<_, WebError> {
            let all = store.agencies()?;
            let chosen = match agency_id {
                Some(id) => {
                    Some(all.iter().find(|a| a.id == id).map(|a| (a.id, a.name.clone())).ok_or(WebError::NotFound)?)
                }
                None => None,
            };
            let deals = store.settlement_deals(
                &pid,
                chosen.as_ref().map(|(id, name)| (*id, name.as_str())),
                from_unix,
                to_unix,
            )?;
            let agencies: Vec<(i64, String)> = all
                .iter()
                .filter(|a| a.reports_for(&pid) || deals.iter().any(|d| d.agency_id == Some(a.id)))
                .map(|a| (a.id, a.name.clone()))
                .collect();
            Ok((agencies, chosen, deals))
        })
        .await?;
    Ok(Loaded { project, month, agencies, chosen, deals })
}

fn overview(
    state: &AppState,
    project: &ProjectConfig,
    deals: Vec<DealRow>,
    lang: Lang,
) -> (Vec<OverviewRow>, Statement) {
    let whole = statement(state, project, deals, Reader::Staff, lang);
    // (agency, deals, its share of their amount, commission): a deal a
    // ruling shared is one line per agency, each with its share.
    let mut sums: Vec<(String, usize, i64, i64)> = Vec::new();
    for line in &whole.lines {
        match sums.iter_mut().find(|s| s.0 == line.agency) {
            Some(s) => {
                s.1 += 1;
                s.2 += line.share_amount_fen;
                s.3 += line.commission_fen;
            }
            None => sums.push((line.agency.clone(), 1, line.share_amount_fen, line.commission_fen)),
        }
    }
    sums.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    let rows = sums
        .into_iter()
        .map(|(agency, count, amount, commission)| OverviewRow {
            agency_id: 0,
            agency,
            count,
            amount: yuan(amount),
            commission: yuan(commission),
        })
        .collect();
    (rows, whole)
}

async fn page(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Query(q): Query<SettlementQuery>,
) -> Result<Response, WebError> {
    let Loaded { project, month, agencies, chosen, deals } = load(&state, &me, &q).await?;
    let month_text = month.format("%Y-%m").to_string();
    let query = format!(
        "project={}&agency={}&month={}",
        url_escape(&project.id),
        chosen.as_ref().map(|(id, _)| id.to_string()).unwrap_or_default(),
        url_escape(&month_text)
    );
    let (overview_rows, whole, statement_view) = match &chosen {
        Some(_) => (Vec::new(), None, Some(statement(&state, project, deals, Reader::Staff, lang))),
        None => {
            let (mut rows, whole) = overview(&state, project, deals, lang);
            for r in &mut rows {
                r.agency_id = agencies.iter().find(|(_, name)| *name == r.agency).map(|(id, _)| *id).unwrap_or(0);
            }
            (rows, Some(whole), None)
        }
    };
    let page = SettlementPage {
        nav: StaffNav::new(&me, lang, "/staff/settlement"),
        projects: project_choices(&state, &me),
        project_id: project.id.clone(),
        project_name: project.name.clone(),
        month: month_text,
        agency_id: chosen.as_ref().map(|(id, _)| *id).unwrap_or(0),
        agency: chosen.map(|(_, name)| name).unwrap_or_default(),
        agencies,
        rule: commission_rule(project.commission, lang),
        configured: project.commission.is_some(),
        overview_count: whole.as_ref().map(|w| w.count).unwrap_or(0),
        overview_amount: whole.as_ref().map(|w| yuan(w.share_amount_fen)).unwrap_or_default(),
        overview_commission: whole.as_ref().map(|w| w.commission.clone()).unwrap_or_default(),
        overview: overview_rows,
        statement: statement_view,
        query,
    };
    Ok(Html(page.render()?).into_response())
}

async fn export_xlsx(
    State(state): State<AppState>,
    me: CurrentStaff,
    Query(q): Query<SettlementQuery>,
) -> Result<Response, WebError> {
    let Loaded { project, month, chosen, deals, .. } = load(&state, &me, &q).await?;
    let s = statement(&state, project, deals, Reader::Staff, Lang::Zh);
    let bytes = statement_workbook(&s)?;
    let who = chosen.map(|(id, _)| format!("agency{id}")).unwrap_or_else(|| "all".to_owned());
    Ok(xlsx_response(bytes, &format!("panke-settlement-{}-{who}-{}.xlsx", project.id, month.format("%Y-%m"))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_commission_rule_in_words() {
        assert_eq!(commission_rule(Some(Commission::Percent { basis_points: 150 }), Lang::Zh), "成交价 × 1.50%");
        assert_eq!(commission_rule(Some(Commission::PerUnit { fen: 2_000_000 }), Lang::Zh), "每套 20,000.00 元");
        assert_eq!(commission_rule(None, Lang::Zh), "未配置佣金");
    }

    #[test]
    fn a_month_is_bounded_by_local_midnights() {
        let first = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let (from, to) = month_bounds(chrono_tz::Asia::Shanghai, first);
        assert_eq!(to - from, 30 * 86_400);
        assert_eq!(from, 1_793_462_400);
    }
}
