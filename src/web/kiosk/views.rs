//! The JSON the kiosk's scripts read, typed: field names here are the
//! contract with `static/kiosk/*.js`.

use crate::domain::reason::{Lang as ReasonLang, Reason};
use crate::store::checkin::CheckInOutcome;
use crate::store::people::Staff;
use serde::Serialize;

#[derive(Serialize)]
pub struct Named {
    pub id: i64,
    pub name: String,
}

#[derive(Serialize)]
pub struct OperatorView {
    pub id: i64,
    pub name: String,
    pub role: &'static str,
}

impl From<&Staff> for OperatorView {
    fn from(s: &Staff) -> Self {
        OperatorView { id: s.id, name: s.name.clone(), role: s.role.code() }
    }
}

/// What the shell page hands the script at start.
#[derive(Serialize)]
pub struct Boot {
    pub screen: &'static str,
    pub csrf: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kiosk: Option<Named>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<ProjectView>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub operators: Vec<OperatorView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator: Option<OperatorView>,
    /// Outside the desk's hours now (the server's clock and the project's
    /// rules): the scan screen says so from the start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub off_hours: Option<bool>,
}

#[derive(Serialize)]
pub struct ProjectView {
    pub id: String,
    pub name: String,
    /// The rule behind the kiosk's "agent not ticked present" warning.
    pub agent_must_accompany: bool,
}

impl Boot {
    /// JSON safe inside `<script type="application/json">`: `<`, `>` and
    /// `&` are escaped, so no text can close the script element.
    pub fn to_script_json(&self) -> String {
        serde_json::to_string(self)
            .unwrap_or_else(|_| "{}".to_owned())
            .replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026")
    }
}

#[derive(Serialize)]
pub struct ReasonView {
    pub code: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
}

impl From<Reason> for ReasonView {
    fn from(r: Reason) -> Self {
        ReasonView { code: r.code(), zh: r.message(ReasonLang::Zh), en: r.message(ReasonLang::En) }
    }
}

/// A recorded visit as the verdict screen shows it.
#[derive(Serialize)]
pub struct OutcomeView {
    pub record: i64,
    pub verdict: &'static str,
    pub reasons: Vec<ReasonView>,
    pub off_hours: bool,
    /// In the project's local time, `YYYY-MM-DD HH:MM`.
    pub protected_until: Option<String>,
    pub already_recorded: bool,
    /// An amendment voided the visit (作废) since it was recorded.
    pub voided: bool,
    /// A return visit (复访): the protection shown is the first visit's, not
    /// extended.
    pub return_visit: bool,
    pub hash: String,
    pub sheet: String,
    pub near_miss: Option<NearMiss>,
    /// Who was judged: the customer (name, masked phone), the agency and
    /// agent of the report ("" for a walk-in), the arrival instant (local).
    pub customer: String,
    pub agency: String,
    pub agent: String,
    pub arrival_at: String,
    /// The receipt's short code and where its public check (and QR) is.
    pub receipt: Option<ReceiptView>,
}

#[derive(Serialize)]
pub struct ReceiptView {
    pub code: String,
    /// `/ledger/qr.svg?code=…`: the QR of the public check.
    pub qr: String,
    /// `/records/<n>/receipt`: the full receipt (JSON).
    pub download: String,
}

impl OutcomeView {
    pub fn new(o: &CheckInOutcome, tz: chrono_tz::Tz) -> OutcomeView {
        let v = o.verdict();
        OutcomeView {
            record: o.row.seq,
            verdict: v.verdict.code(),
            reasons: v.reasons.iter().copied().map(ReasonView::from).collect(),
            off_hours: v.off_hours,
            protected_until: v.protected_until.map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()),
            already_recorded: o.already_recorded,
            voided: o.amended.as_ref().is_some_and(|e| e.voided),
            return_visit: o.is_return_visit(),
            hash: o.row.sha256_hex(),
            sheet: format!("/records/{}/sheet", o.row.seq),
            near_miss: None,
            customer: {
                // As amended, when a manager corrected the name or phone.
                let (name, phone) = match &o.amended {
                    Some(e) => (e.customer_name.as_str(), e.customer_phone.as_str()),
                    None => (o.record.customer_name(), o.record.customer_phone()),
                };
                let phone =
                    crate::domain::phone::Phone::parse(phone).map(|p| p.masked().to_string()).unwrap_or_default();
                format!("{name} {phone}")
            },
            agency: o.record.agency().to_owned(),
            agent: o.record.agent().to_owned(),
            arrival_at: o
                .record
                .arrival_at()
                .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default(),
            // The code needs no signature: a new record's receipt comes
            // unsigned from the writer; the download signs it.
            receipt: o
                .receipt
                .as_ref()
                .map(|r| r.code())
                .or_else(|| o.unsigned_receipt.as_ref().map(|u| u.code()))
                .map(|code| ReceiptView {
                    qr: format!("/ledger/qr.svg?code={code}"),
                    code,
                    download: format!("/records/{}/receipt", o.row.seq),
                }),
        }
    }
}

#[derive(Serialize)]
pub struct NearMiss {
    pub warning: &'static str,
}

#[derive(Serialize)]
pub struct ReportCard {
    pub agency: String,
    pub agent: String,
    pub customer_name: String,
    pub masked_phone: String,
    pub filed_at: String,
    /// When a kiosk first read this code: the arrival instant.
    pub first_read_at: String,
    /// From filing to the first read (the 30-minute rule is judged on it).
    pub minutes_since_filing: i64,
    pub min_gap_minutes: i64,
}

pub use crate::service::statements::Statements;

/// `/kiosk/scan`: either the report to check in, or the record it already has.
#[derive(Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum ScanView {
    Ok { report: ReportCard, off_hours: bool, next_sales: Option<Named>, sales: Vec<Named> },
    Recorded { outcome: OutcomeView },
}

/// `/kiosk/provisional`: the verdict before anyone signs.
#[derive(Serialize)]
pub struct ProvisionalView {
    pub verdict: &'static str,
    pub reasons: Vec<ReasonView>,
    /// Local `YYYY-MM-DD HH:MM`; for a return visit (复访) the protection
    /// that already runs (it is not extended).
    pub protected_until: Option<String>,
    pub return_visit: bool,
    /// The arrival instant judged (the first read), local.
    pub arrival_at: String,
    /// What is signed next: `confirmation` (the three signatures of the
    /// 带看确认单) or `natural-visit` (the customer's registration; the agent
    /// may sign having seen the reasons).
    pub sign: &'static str,
    /// The statements each signer signs for that kind.
    pub statements: Statements,
    /// A walk-in: live reports of this customer (and group) in the project;
    /// registering a natural visit over one needs choosing it.
    pub live_reports: Vec<LiveReportView>,
}

#[derive(Serialize)]
pub struct LiveReportView {
    pub id: i64,
    pub agency: String,
    pub agent: String,
    pub masked_phone: String,
    pub filed_at: String,
}
