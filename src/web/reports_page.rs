//! The reports (报备) for managers, newest first: by status, agency, agent,
//! filing day and customer, each with its first read (arrival); phones
//! masked; the filtered list exported as CSV, streamed page by page. As in
//! the visits list, a search by phone or name is only taken from a POSTed
//! form, never from a URL. Above the list, today's expected arrivals (今日
//! 预计到访), those outside the desk's hours flagged, so the office keeps a
//! desk clerk and a sales consultant for them.

use super::AppState;
use super::error::WebError;
use super::i18n::Lang;
use super::listing::{PersonalFilter, Search, day_start, may_list, next_page, text};
use super::session::{CurrentStaff, url_escape};
use crate::store::reports::{ReportFilter, ReportStatus, StoredReport};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new().route("/staff/reports", get(list).post(list)).route("/staff/reports.csv", get(export).post(export))
}

const PAGE: u32 = 50;
const EXPORT_PAGE: u32 = 1000;
const STATUSES: [ReportStatus; 6] = [
    ReportStatus::Pending,
    ReportStatus::VisitedValid,
    ReportStatus::VisitedInvalid,
    ReportStatus::Expired,
    ReportStatus::Cancelled,
    ReportStatus::Voided,
];

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ReportQuery {
    pub status: String,
    pub agency: String,
    pub agent: String,
    pub from: String,
    pub to: String,
    pub phone: String,
    pub name: String,
    pub before: Option<i64>,
    pub csrf: String,
}

impl PersonalFilter for ReportQuery {
    fn url_safe(mut self) -> ReportQuery {
        self.phone.clear();
        self.name.clear();
        self
    }

    fn csrf(&self) -> &str {
        &self.csrf
    }
}

impl ReportQuery {
    fn filter(&self, me: &CurrentStaff, state: &AppState) -> ReportFilter {
        ReportFilter {
            project: me.staff.project_id.clone(),
            status: STATUSES.iter().copied().find(|s| s.code() == self.status),
            agency: text(&self.agency),
            agent: text(&self.agent),
            filed_from_unix: day_start(me, state, &self.from, 0),
            filed_to_unix: day_start(me, state, &self.to, 1),
            name: text(&self.name),
            phone: text(&self.phone),
        }
    }

    /// The filter as (name, value) pairs, for the hidden fields of a
    /// POSTed page or export.
    fn fields(&self) -> [(&'static str, &str); 7] {
        [
            ("status", &self.status),
            ("agency", &self.agency),
            ("agent", &self.agent),
            ("from", &self.from),
            ("to", &self.to),
            ("phone", &self.phone),
            ("name", &self.name),
        ]
    }

    fn personal(&self) -> bool {
        !self.phone.trim().is_empty() || !self.name.trim().is_empty()
    }

    fn query_string(&self) -> String {
        [
            ("status", &self.status),
            ("agency", &self.agency),
            ("agent", &self.agent),
            ("from", &self.from),
            ("to", &self.to),
        ]
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", url_escape(v)))
        .collect::<Vec<_>>()
        .join("&")
    }
}

struct Row {
    id: i64,
    filed: String,
    first_read: String,
    agency: String,
    agent: String,
    customer: String,
    phone: String,
    status: &'static str,
    status_zh: &'static str,
    status_en: &'static str,
    /// Entered by a manager from the WeChat group (补录).
    fallback: bool,
}

fn row(state: &AppState, (r, first_read): (StoredReport, Option<String>)) -> Row {
    Row {
        id: r.id.0,
        filed: r.filed_at.format("%Y-%m-%d %H:%M").to_string(),
        first_read: first_read.map(|f| state.local_text(&r.project_id, &f, "%Y-%m-%d %H:%M")).unwrap_or_default(),
        agency: r.agency_name,
        agent: r.agent_name,
        customer: r.customer_name.to_string(),
        phone: r.customer_phone.masked().to_string(),
        status: r.status.code(),
        status_zh: r.status.label_zh(),
        status_en: Lang::En.status_label(r.status),
        fallback: false,
    }
}

/// A report expected today.
struct Expected {
    id: i64,
    project: String,
    /// Local `HH:MM`.
    at: String,
    agency: String,
    agent: String,
    customer: String,
    phone: String,
    party_size: String,
    status: &'static str,
    status_zh: &'static str,
    status_en: &'static str,
    /// The first read (arrival), local `HH:MM`, or empty.
    arrived: String,
    /// Outside the desk's hours: a desk clerk and a consultant must stay.
    off_hours: bool,
}

#[derive(Template)]
#[template(path = "staff/reports.html")]
struct ReportsPage {
    nav: super::nav::StaffNav,
    statuses: Vec<(&'static str, &'static str, &'static str)>,
    q: ReportQuery,
    query: String,
    personal: bool,
    rows: Vec<Row>,
    next: Option<i64>,
    /// Today's expected arrivals (the first page only).
    expected: Option<Vec<Expected>>,
    /// Several projects are listed (an admin): each row names its own.
    many_projects: bool,
}

/// The reports expected today in each project the staff member sees, by
/// each project's own calendar day and desk hours.
async fn expected_today(state: &AppState, me: &CurrentStaff) -> Result<Vec<Expected>, WebError> {
    let now = state.clock.now();
    let days: Vec<(String, chrono_tz::Tz, chrono::NaiveDate)> = state
        .deployment
        .projects
        .iter()
        .filter(|p| me.sees(&p.id))
        .map(|p| (p.id.clone(), p.rules.timezone, now.with_timezone(&p.rules.timezone).date_naive()))
        .collect();
    let found = state
        .db
        .run(move |store| -> Result<_, crate::store::StoreError> {
            let mut found = Vec::new();
            for (project, tz, day) in days {
                found.extend(store.expected_arrivals_on(&project, day, tz, 500)?);
            }
            Ok(found)
        })
        .await
        .map_err(WebError::from)?;
    Ok(found
        .into_iter()
        .map(|e| {
            let r = e.report;
            let off_hours = state.deployment.project(&r.project_id).is_some_and(|p| p.rules.is_off_hours(e.at));
            Expected {
                id: r.id.0,
                project: state.project_name(&r.project_id),
                at: state.local_time(&r.project_id, &e.at, "%H:%M"),
                arrived: e.first_read.map(|f| state.local_text(&r.project_id, &f, "%H:%M")).unwrap_or_default(),
                agency: r.agency_name,
                agent: r.agent_name,
                customer: r.customer_name.to_string(),
                phone: r.customer_phone.masked().to_string(),
                party_size: r.party_size.map(|n| n.to_string()).unwrap_or_default(),
                status: r.status.code(),
                status_zh: r.status.label_zh(),
                status_en: Lang::En.status_label(r.status),
                off_hours,
            }
        })
        .collect())
}

/// The list, for a link (GET) or a search form (POST, may hold a phone or a name).
async fn list(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    search: Search<ReportQuery>,
) -> Result<Response, WebError> {
    let q = search.for_staff(&me)?;
    show(state, lang, me, q).await
}

async fn show(state: AppState, lang: Lang, me: CurrentStaff, q: ReportQuery) -> Result<Response, WebError> {
    may_list(&me)?;
    let (filter, before) = (q.filter(&me, &state), q.before);
    let (found, fallback) = state
        .db
        .run(move |store| -> Result<_, crate::store::StoreError> {
            let found = store.reports_page(&filter, before, PAGE)?;
            let ids: Vec<i64> = found.iter().map(|(r, _)| r.id.0).collect();
            let fallback = store.fallback_report_ids(&ids)?;
            Ok((found, fallback))
        })
        .await
        .map_err(WebError::from)?;
    let next = next_page(&found, PAGE, |(r, _)| r.id.0);
    let expected = match q.before {
        None => Some(expected_today(&state, &me).await?),
        Some(_) => None,
    };
    let page = ReportsPage {
        nav: super::nav::StaffNav::new(&me, lang, "/staff/reports"),
        statuses: STATUSES.iter().map(|s| (s.code(), s.label_zh(), Lang::En.status_label(*s))).collect(),
        query: q.query_string(),
        personal: q.personal(),
        q,
        rows: found.into_iter().map(|r| Row { fallback: fallback.contains(&r.0.id.0), ..row(&state, r) }).collect(),
        next,
        expected,
        many_projects: me.staff.project_id.is_none(),
    };
    Ok(Html(page.render()?).into_response())
}

async fn export(
    State(state): State<AppState>,
    me: CurrentStaff,
    search: Search<ReportQuery>,
) -> Result<Response, WebError> {
    let q = search.for_staff(&me)?;
    csv_of(state, me, q)
}

const COLUMNS: [&str; 9] =
    ["编号", "报备时间", "首次扫码(到访)", "渠道公司", "经纪人", "客户", "手机号", "状态", "项目"];

/// The CSV of the filtered list, read a thousand reports at a time.
fn csv_of(state: AppState, me: CurrentStaff, q: ReportQuery) -> Result<Response, WebError> {
    may_list(&me)?;
    let filter = q.filter(&me, &state);
    let full = super::listing::full_phone_projects(&me, &state);
    let first = [b"\xEF\xBB\xBF".as_slice(), &super::listing::csv_bytes(&[COLUMNS.map(str::to_owned)])].concat();
    let pages = futures_util::stream::unfold(Some((None::<i64>, Some(first))), move |cursor| {
        let (state, filter, full) = (state.clone(), filter.clone(), full.clone());
        async move {
            let (before, first) = cursor?;
            if let Some(bytes) = first {
                return Some((Ok::<_, std::io::Error>(bytes), Some((before, None))));
            }
            let found = match state.db.run(move |store| store.reports_page(&filter, before, EXPORT_PAGE)).await {
                Ok(page) => page,
                Err(e) => {
                    // The download fails visibly rather than ending short.
                    tracing::error!(error = %e, "export stopped");
                    return Some((Err(std::io::Error::other("export stopped")), None));
                }
            };
            let last = found.last().map(|(r, _)| r.id.0)?;
            let done = found.len() < EXPORT_PAGE as usize;
            let lines: Vec<[String; 9]> = found
                .into_iter()
                .map(|found| {
                    let project = found.0.project_id.clone();
                    let full_phone = full.contains(&project).then(|| found.0.customer_phone.to_stored());
                    let mut r = row(&state, found);
                    if let Some(phone) = full_phone {
                        r.phone = phone;
                    }
                    [
                        r.id.to_string(),
                        r.filed,
                        r.first_read,
                        r.agency,
                        r.agent,
                        r.customer,
                        r.phone,
                        r.status_zh.to_owned(),
                        project,
                    ]
                })
                .collect();
            Some((Ok(super::listing::csv_bytes(&lines)), if done { None } else { Some((Some(last), None)) }))
        }
    });
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"panke-reports.csv\""),
            (header::CACHE_CONTROL, "no-store"),
        ],
        axum::body::Body::from_stream(pages),
    )
        .into_response())
}
