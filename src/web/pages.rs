//! The askama templates of the agent's pages, mirroring `templates/`.

use super::i18n::Texts;
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

#[derive(Template)]
#[template(path = "agent/reports.html")]
pub struct ReportsPage {
    pub t: &'static Texts,
    pub csrf: String,
    pub agency: String,
    pub agent: String,
    pub rows: Vec<ReportRow>,
    /// Unread dispute notices of the agency (the badge).
    pub disputes_unread: i64,
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
}
