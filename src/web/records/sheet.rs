//! The printable confirmation sheet (带看确认单) in its three copies, with
//! what the record's amendments say now.

use super::{Shown, load, masked, record};
use crate::domain::judge::Signer;
use crate::domain::reason::Lang as ReasonLang;
use crate::web::AppState;
use crate::web::error::WebError;
use crate::web::session::CurrentStaff;
use crate::wire::record::RecordedVerdict;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Html;
use serde::Deserialize;

struct SignatureView {
    signer: &'static str,
    label: &'static str,
    /// The words signed, as stored beside the signature (sealed by hash).
    statement: String,
    statement_sha256: String,
}

#[derive(Template)]
#[template(path = "records/sheet.html")]
struct SheetPage {
    seq: i64,
    size: &'static str,
    copy: &'static str,
    copy_label: &'static str,
    project: String,
    agency: String,
    agent: String,
    customer_name: String,
    customer_phone: String,
    filed_at: String,
    arrived_at: String,
    valid: bool,
    reasons: Vec<&'static str>,
    protected_until: String,
    off_hours: bool,
    desk_clerk: String,
    sales: String,
    signatures: Vec<SignatureView>,
    hash: String,
    qr_svg: String,
    receipt_code: String,
    demo: bool,
    amended: bool,
    voided: bool,
    /// Staff choose among the three copies; an agency gets its channel copy.
    choices: bool,
    back_href: String,
    back_id: &'static str,
    back_label: &'static str,
    /// Where the signature images are (`…/customer`, `…/agent`, `…/sales`).
    signatures_at: String,
}

/// Who reads the sheet.
enum Reader {
    /// Staff of the project: any copy, and back to the kiosk.
    Staff,
    /// The agency that filed `report`: the channel copy (渠道联) only, and
    /// back to the report. `reported_phone` is the full number the agency
    /// filed, if it filed one: the copy shows no other number in full.
    /// `base`: where the agency reads its reports (`/agent/reports` on the
    /// agent's pages, `/api/v1/reports` for its own system).
    Agency { report: i64, reported_phone: Option<String>, base: &'static str },
}

#[derive(Deserialize, Default)]
pub(super) struct SheetQuery {
    copy: Option<String>,
    size: Option<String>,
}

fn reasons_zh(verdict: &RecordedVerdict) -> Vec<&'static str> {
    verdict.reasons.iter().map(|r| r.message(ReasonLang::Zh)).collect()
}

pub(super) async fn sheet(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(seq): Path<i64>,
    Query(q): Query<SheetQuery>,
) -> Result<Html<String>, WebError> {
    let shown = record(&state, &me, seq).await?;
    render(&state, shown, q, Reader::Staff).await
}

/// The channel copy (渠道联) of record `seq`, for the agency that filed
/// report `report` (the record must be that report's visit); the phone in
/// full only where the project's `channel_copy_full_phone` allows it and
/// the agency filed that very number.
pub(crate) async fn channel_copy_for_agency(
    state: &AppState,
    seq: i64,
    report: i64,
    reported_phone: Option<String>,
    size: Option<String>,
    base: &'static str,
) -> Result<Html<String>, WebError> {
    let shown = load(state, seq, |row| row.report_id == Some(report)).await?;
    let q = SheetQuery { copy: Some("channel".to_owned()), size };
    render(state, shown, q, Reader::Agency { report, reported_phone, base }).await
}

async fn render(state: &AppState, shown: Shown, q: SheetQuery, reader: Reader) -> Result<Html<String>, WebError> {
    let Shown { row, body, amendments, now, .. } = shown;
    let seq = row.seq;
    let project = state.deployment.project(&row.project_id);
    let tz = state.project_tz(&row.project_id);
    let local = |t: Option<chrono::DateTime<chrono::FixedOffset>>| {
        t.map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default()
    };
    let allows_full = project.is_some_and(|p| p.channel_copy_full_phone);
    let (copy, copy_label, full_phone) = match (&reader, q.copy.as_deref()) {
        (Reader::Agency { reported_phone, .. }, _) => {
            ("channel", "渠道联", allows_full && reported_phone.as_deref() == Some(now.customer_phone.as_str()))
        }
        (Reader::Staff, Some("agency")) => ("agency", "代理公司联", false),
        (Reader::Staff, Some("channel")) => ("channel", "渠道联", allows_full),
        (Reader::Staff, _) => ("developer", "开发商联", false),
    };
    let (choices, back_href, back_id, back_label, signatures_at) = match &reader {
        Reader::Staff => (true, "/kiosk".to_owned(), "back-to-kiosk", "返回前台", format!("/records/{seq}/signatures")),
        Reader::Agency { report, base, .. } => {
            (false, format!("{base}/{report}"), "back-to-report", "返回报备", format!("{base}/{report}/signatures"))
        }
    };
    let (statements, receipt) = state
        .db
        .run(move |store| -> Result<_, WebError> {
            Ok((store.signature_statements(seq)?, store.receipt_for(seq).ok().map(|r| r.code())))
        })
        .await?;
    // The QR opens the public check of the record's receipt code: anyone
    // holding the paper can see the record is still in the ledger.
    let url = match &receipt {
        Some(code) => crate::web::ledger::receipt_url(state, code),
        None => format!("{}/records/{seq}", state.deployment.server.public_url.trim_end_matches('/')),
    };
    let signatures = Signer::ALL
        .into_iter()
        .map(|s| {
            let signed = body.signature(s);
            SignatureView {
                signer: if signed.is_some() { s.code() } else { "" },
                label: match s {
                    Signer::Customer => "客户签字",
                    Signer::Agent => "经纪人签字",
                    Signer::Sales => "置业顾问签字",
                },
                statement: statements
                    .iter()
                    .find(|(who, _)| *who == s)
                    .map(|(_, text)| text.clone())
                    .unwrap_or_default(),
                statement_sha256: signed.map(|x| x.statement_sha256.clone()).unwrap_or_default(),
            }
        })
        .collect();
    let page = SheetPage {
        seq,
        size: if q.size.as_deref() == Some("a5") { "A5" } else { "A4" },
        copy,
        copy_label,
        project: project.map(|p| p.name.clone()).unwrap_or_else(|| row.project_id.clone()),
        agency: body.agency().to_owned(),
        agent: body.agent().to_owned(),
        customer_name: match body.reported_customer_name() {
            reported if reported.is_empty() || reported == now.customer_name => now.customer_name.clone(),
            reported => format!("{}（报备姓名 {reported}）", now.customer_name),
        },
        customer_phone: if full_phone { now.customer_phone.clone() } else { masked(&now.customer_phone) },
        filed_at: local(body.filed_at()),
        arrived_at: local(body.arrival_at()),
        valid: body.verdict.is_valid(),
        reasons: reasons_zh(&body.verdict),
        protected_until: local(body.verdict.protected_until),
        off_hours: body.verdict.off_hours,
        desk_clerk: body.desk_clerk.as_ref().map(|s| s.name.clone()).unwrap_or_default(),
        sales: now.sales.as_ref().map(|(_, n)| n.clone()).unwrap_or_default(),
        signatures,
        hash: row.sha256_hex(),
        qr_svg: crate::qr::svg(&url).map_err(|e| WebError::Internal(e.to_string()))?,
        receipt_code: receipt.unwrap_or_default(),
        demo: body.demo,
        amended: !amendments.is_empty(),
        voided: now.voided,
        choices,
        back_href,
        back_id,
        back_label,
        signatures_at,
    };
    Ok(Html(page.render()?))
}
