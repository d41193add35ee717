//! The visits ledger (带看台账) for managers: filtered, paged newest first,
//! each row opening its record; the filtered list exported as CSV, streamed
//! page by page (never the whole ledger in memory), phones masked.
//!
//! A search by the customer's phone or name is personal data: it is only
//! taken from a POSTed form (never from a URL, where it would stay in
//! browser history and proxies' logs); paging and exports of such a search
//! are POSTed forms too.

use super::AppState;
use super::error::WebError;
use super::i18n::Lang;
use super::listing::{PersonalFilter, Search, day_start, may_list, next_page, text};
use super::session::{CurrentStaff, url_escape};
use crate::domain::phone::Phone;
use crate::domain::reason::{Lang as ReasonLang, Reason};
use crate::store::visits::{VisitFilter, VisitRow};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/visits", get(list).post(list))
        .route("/staff/visits.csv", get(export_csv).post(export_csv))
        .route("/staff/visits.xlsx", get(export_xlsx).post(export_xlsx))
}

const PAGE: u32 = 50;
const EXPORT_PAGE: u32 = 1000;

/// The filter as the form sends it (every field text; empty: no condition).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct VisitQuery {
    pub from: String,
    pub to: String,
    pub agency: String,
    pub agent: String,
    pub sales: String,
    pub kiosk: String,
    /// `void`: only voided visits; `counted`: only those not voided.
    pub state: String,
    pub verdict: String,
    pub reason: String,
    pub off_hours: String,
    pub phone: String,
    pub name: String,
    pub before: Option<i64>,
    /// Only in POSTed searches.
    pub csrf: String,
}

impl PersonalFilter for VisitQuery {
    fn url_safe(mut self) -> VisitQuery {
        self.phone.clear();
        self.name.clear();
        self
    }

    fn csrf(&self) -> &str {
        &self.csrf
    }
}

impl VisitQuery {
    /// The store's filter for this viewer: a manager sees their project, an
    /// admin every project. Dates are local days in the project's zone.
    fn filter(&self, me: &CurrentStaff, state: &AppState) -> VisitFilter {
        let day = |s: &str, plus: i64| day_start(me, state, s, plus);
        VisitFilter {
            project: me.staff.project_id.clone(),
            from_unix: day(&self.from, 0),
            to_unix: day(&self.to, 1),
            agency: text(&self.agency),
            agent: text(&self.agent),
            sales: text(&self.sales),
            kiosk_id: self.kiosk.trim().parse().ok(),
            voided: match self.state.as_str() {
                "void" => Some(true),
                "counted" => Some(false),
                _ => None,
            },
            verdict: text(&self.verdict).filter(|v| v == "valid" || v == "invalid"),
            reason: text(&self.reason).filter(|r| Reason::ALL.iter().any(|x| x.code() == r)),
            off_hours: match self.off_hours.as_str() {
                "yes" => Some(true),
                "no" => Some(false),
                _ => None,
            },
            phone: text(&self.phone),
            name: text(&self.name),
        }
    }

    /// A search by phone or name (POSTed only).
    fn personal(&self) -> bool {
        !self.phone.trim().is_empty() || !self.name.trim().is_empty()
    }

    /// The filter again as a query string (for the next page and export).
    fn query_string(&self) -> String {
        let pairs = [
            ("from", &self.from),
            ("to", &self.to),
            ("agency", &self.agency),
            ("agent", &self.agent),
            ("sales", &self.sales),
            ("kiosk", &self.kiosk),
            ("state", &self.state),
            ("verdict", &self.verdict),
            ("reason", &self.reason),
            ("off_hours", &self.off_hours),
        ];
        pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", url_escape(v)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

fn masked(phone: &str) -> String {
    Phone::parse(phone).map(|p| p.masked().to_string()).unwrap_or_default()
}

struct RowView {
    seq: i64,
    arrived: String,
    off_hours: bool,
    agency: String,
    agent: String,
    customer: String,
    phone: String,
    verdict: String,
    reasons: Vec<String>,
    sales: String,
    voided: bool,
    amended: bool,
}

fn reason_texts(codes: &str, lang: ReasonLang) -> Vec<String> {
    codes
        .split(',')
        .filter_map(|c| Reason::ALL.iter().find(|r| r.code() == c))
        .map(|r| r.message(lang).to_owned())
        .collect()
}

fn local(arrived_at: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(arrived_at).map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default()
}

impl RowView {
    fn new(r: VisitRow, lang: ReasonLang) -> RowView {
        RowView {
            seq: r.seq,
            arrived: local(&r.arrived_at),
            off_hours: r.off_hours,
            agency: r.agency,
            agent: r.agent,
            customer: r.customer_name,
            phone: masked(&r.phone),
            verdict: r.verdict,
            reasons: reason_texts(&r.reasons, lang),
            sales: r.sales,
            voided: r.voided,
            amended: r.amended,
        }
    }
}

#[derive(Template)]
#[template(path = "staff/visits.html")]
struct VisitsPage {
    nav: super::nav::StaffNav,
    q: VisitQuery,
    /// The search holds a phone or a name: page and export by POST.
    personal: bool,
    query: String,
    reasons: Vec<(&'static str, &'static str)>,
    rows: Vec<RowView>,
    next: Option<i64>,
}

/// The list, for a link (GET) or a search form (POST, may hold a phone or a name).
async fn list(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    search: Search<VisitQuery>,
) -> Result<Response, WebError> {
    let q = search.for_staff(&me)?;
    show(state, lang, me, q).await
}

async fn show(state: AppState, lang: Lang, me: CurrentStaff, q: VisitQuery) -> Result<Response, WebError> {
    may_list(&me)?;
    let (filter, before) = (q.filter(&me, &state), q.before);
    let rows = state.db.run(move |store| store.visits(&filter, before, PAGE)).await.map_err(WebError::from)?;
    let next = next_page(&rows, PAGE, |r| r.seq);
    let page = VisitsPage {
        nav: super::nav::StaffNav::new(&me, lang, "/staff/visits"),
        query: q.query_string(),
        personal: q.personal(),
        q,
        reasons: Reason::ALL.iter().map(|r| (r.code(), r.message(ReasonLang::from(lang)))).collect(),
        rows: rows.into_iter().map(|r| RowView::new(r, ReasonLang::from(lang))).collect(),
        next,
    };
    Ok(Html(page.render()?).into_response())
}

async fn export_csv(
    State(state): State<AppState>,
    me: CurrentStaff,
    search: Search<VisitQuery>,
) -> Result<Response, WebError> {
    let q = search.for_staff(&me)?;
    csv_of(state, me, q)
}

async fn export_xlsx(
    State(state): State<AppState>,
    me: CurrentStaff,
    search: Search<VisitQuery>,
) -> Result<Response, WebError> {
    let q = search.for_staff(&me)?;
    xlsx_of(state, me, q).await
}

/// The CSV of the filtered list, streamed a thousand rows at a time.
fn csv_of(state: AppState, me: CurrentStaff, q: VisitQuery) -> Result<Response, WebError> {
    may_list(&me)?;
    let filter = q.filter(&me, &state);
    let full = super::listing::full_phone_projects(&me, &state);
    let header_row = super::listing::csv_bytes(&[COLUMNS.map(str::to_owned)]);
    let first = [b"\xEF\xBB\xBF".as_slice(), &header_row].concat();
    let pages = futures_util::stream::unfold(Some((None::<i64>, Some(first))), move |cursor| {
        let (state, filter, full) = (state.clone(), filter.clone(), full.clone());
        async move {
            let (before, first) = cursor?;
            if let Some(bytes) = first {
                return Some((Ok::<_, std::io::Error>(bytes), Some((before, None))));
            }
            let rows = match state.db.run(move |store| store.visits(&filter, before, EXPORT_PAGE)).await {
                Ok(page) => page,
                Err(e) => {
                    // The download fails visibly rather than ending short.
                    tracing::error!(error = %e, "export stopped");
                    return Some((Err(std::io::Error::other("export stopped")), None));
                }
            };
            let last = rows.last().map(|r| r.seq)?;
            let done = rows.len() < EXPORT_PAGE as usize;
            let lines: Vec<[String; 11]> = rows
                .into_iter()
                .map(|r| {
                    let full = full.contains(&r.project_id);
                    export_line(r, full)
                })
                .collect();
            Some((Ok(super::listing::csv_bytes(&lines)), if done { None } else { Some((Some(last), None)) }))
        }
    });
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"panke-visits.csv\""),
            (header::CACHE_CONTROL, "no-store"),
        ],
        axum::body::Body::from_stream(pages),
    )
        .into_response())
}

/// The columns of both exports.
pub const COLUMNS: [&str; 11] =
    ["编号", "到访时间", "非工作时间", "渠道公司", "经纪人", "客户", "手机号", "判定", "原因", "置业顾问", "更正"];

/// One exported line: phones masked (unless `full_phone`), words instead of codes.
pub fn export_line(r: VisitRow, full_phone: bool) -> [String; 11] {
    [
        r.seq.to_string(),
        local(&r.arrived_at),
        if r.off_hours { "是" } else { "否" }.to_owned(),
        r.agency,
        r.agent,
        r.customer_name,
        if full_phone { r.phone.clone() } else { masked(&r.phone) },
        if r.verdict == "valid" { "有效带看" } else { "自然到访" }.to_owned(),
        reason_texts(&r.reasons, ReasonLang::Zh).join(""),
        r.sales,
        match (r.voided, r.amended) {
            (true, _) => "已作废",
            (false, true) => "已更正",
            (false, false) => "",
        }
        .to_owned(),
    ]
}

/// The xlsx of the filtered list. Rows are read a thousand at a time and
/// written in the workbook's constant-memory mode (each row goes to a
/// temporary file as it is written); only the finished, compressed file is
/// held before it is sent.
async fn xlsx_of(state: AppState, me: CurrentStaff, q: VisitQuery) -> Result<Response, WebError> {
    may_list(&me)?;
    let filter = q.filter(&me, &state);
    let full = super::listing::full_phone_projects(&me, &state);
    let bytes = state
        .db
        .run(move |store| -> Result<Vec<u8>, WebError> {
            let mut book = rust_xlsxwriter::Workbook::new();
            write_visits_sheet(store, &filter, &full, &mut book)?;
            book.save_to_buffer().map_err(|e| WebError::Internal(format!("xlsx: {e}")))
        })
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"panke-visits.xlsx\""),
            (header::CACHE_CONTROL, "no-store"),
        ],
        bytes,
    )
        .into_response())
}

/// The export's sheet: the visits `filter` selects, newest first, read a
/// thousand at a time and written in constant-memory mode. Returns how many
/// visits it wrote (public for benches/backoffice.rs).
pub fn write_visits_sheet(
    store: &crate::store::Store,
    filter: &VisitFilter,
    full_phones: &[String],
    book: &mut rust_xlsxwriter::Workbook,
) -> Result<u32, WebError> {
    let fail = |e: rust_xlsxwriter::XlsxError| WebError::Internal(format!("xlsx: {e}"));
    let sheet = book.add_worksheet_with_constant_memory().map_err(fail)?;
    sheet.set_name("带看台账").map_err(fail)?;
    for (col, title) in COLUMNS.iter().enumerate() {
        sheet.write_string(0, col as u16, *title).map_err(fail)?;
    }
    let (mut row, mut before) = (1u32, None);
    loop {
        let page = store.visits(filter, before, EXPORT_PAGE)?;
        let done = page.len() < EXPORT_PAGE as usize;
        before = page.last().map(|r| r.seq);
        for visit in page {
            let seq = visit.seq;
            let full = full_phones.contains(&visit.project_id);
            for (col, value) in export_line(visit, full).iter().enumerate() {
                if col == 0 {
                    sheet.write_number(row, 0, seq as f64).map_err(fail)?;
                } else {
                    sheet.write_string(row, col as u16, value).map_err(fail)?;
                }
            }
            row += 1;
        }
        if done || before.is_none() {
            break;
        }
    }
    Ok(row - 1)
}
