//! The askama templates of the agent's pages, mirroring `templates/`.

use super::i18n::{Lang, Texts};
use askama::Template;

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub t: &'static Texts,
    pub message: String,
    pub status: u16,
}

#[derive(Template)]
#[template(path = "agent/login.html")]
pub struct LoginPage {
    pub t: &'static Texts,
    pub csrf: String,
    pub error: Option<String>,
    pub phone: String,
}

#[derive(Template)]
#[template(path = "agent/invite.html")]
pub struct InvitePage {
    pub t: &'static Texts,
    pub csrf: String,
    pub secret: String,
    pub error: Option<String>,
}

pub struct ReportRow {
    pub id: i64,
    pub project_name: String,
    pub customer_name: String,
    pub masked_phone: String,
    pub filed_local: String,
    pub status_label: &'static str,
    pub status_class: &'static str,
}

/// A status tab of the agent's list, with its count.
pub struct ReportTab {
    /// The status code (`?status=`); empty for every report.
    pub code: &'static str,
    pub label: &'static str,
    pub count: i64,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "agent/reports.html")]
pub struct ReportsPage {
    pub t: &'static Texts,
    pub lang: Lang,
    pub csrf: String,
    pub agency: String,
    pub agent: String,
    pub rows: Vec<ReportRow>,
    /// Unread dispute notices of the agency (the badge).
    pub disputes_unread: i64,
    pub tabs: Vec<ReportTab>,
    /// The tab shown: a status code, empty for every report.
    pub status: &'static str,
    /// The customer searched for (a POSTed form only), or empty.
    pub search: String,
}

#[derive(Template)]
#[template(path = "agent/new_report.html")]
pub struct NewReportPage {
    pub t: &'static Texts,
    pub csrf: String,
    pub idem: String,
    pub error: Option<String>,
    pub projects: Vec<(String, String)>,
    pub project: String,
    pub customer_name: String,
    pub customer_phone: String,
    pub expected_arrival: String,
    pub party_size: String,
    pub note: String,
    pub lang: Lang,
    /// The desk's hours per project offered: (project, hours).
    pub desk_hours: Vec<(String, String)>,
    /// The earliest expected arrival the form takes (`datetime-local`).
    pub min_arrival: String,
    /// The expected arrival is outside the desk's hours: the agent ticks
    /// `off_hours_ok` to file it (the office plans a clerk and a consultant).
    pub off_hours_warning: Option<String>,
    /// The agency already has a live report of this customer: (its id,
    /// what to tell the agent). Nothing was filed.
    pub duplicate: Option<(i64, String)>,
}

#[derive(Template)]
#[template(path = "agent/report.html")]
pub struct ReportPage {
    pub t: &'static Texts,
    pub csrf: String,
    pub id: i64,
    pub project_name: String,
    pub customer_name: String,
    pub masked_phone: String,
    pub manual_code: String,
    pub filed_local: String,
    pub not_before: String,
    pub valid_until: String,
    pub status_label: &'static str,
    pub status_class: &'static str,
    pub pending: bool,
    pub qr_available: bool,
    /// The pass card (带看凭证) to save, and how in this browser.
    pub pass: super::agent::pass::SaveBlock,
    /// What became of the report (`agent/report_outcome.html`).
    pub outcome: super::agent::outcome::ReportOutcome,
}
