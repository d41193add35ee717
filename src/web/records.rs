//! Visit records for signed-in staff: the printable confirmation sheet
//! (带看确认单), signature images, and the record's verification page that
//! the sheet's QR code opens. Every reader goes through the typed record
//! (`wire::record`).

use super::AppState;
use super::error::WebError;
use super::session::CurrentStaff;
use crate::domain::judge::Signer;
use crate::domain::phone::Phone;
use crate::domain::reason::Lang as ReasonLang;
use crate::store::ledger::LedgerRow;
use crate::wire::record::{AmendmentBody, RecordBody, RecordedVerdict};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/records/{seq}", get(verify_page))
        .route("/records/{seq}/sheet", get(sheet))
        .route("/records/{seq}/signatures/{signer}", get(signature))
        .route("/records/{seq}/receipt", get(receipt))
}

/// A record the signed-in staff member may see, its typed body, whether
/// its seal holds, and its amendments.
struct Shown {
    row: LedgerRow,
    body: RecordBody,
    sealed: bool,
    amendments: Vec<(LedgerRow, AmendmentBody)>,
}

async fn record(state: &AppState, me: &CurrentStaff, seq: i64) -> Result<Shown, WebError> {
    let (row, sealed, amendments) = state
        .db
        .run(move |store| -> Result<_, WebError> {
            Ok((store.ledger_row(seq)?, store.record_sealed(seq)?, store.amendments_of(seq)?))
        })
        .await?;
    if !me.sees(&row.project_id) || row.kind != "visit" {
        return Err(WebError::NotFound);
    }
    let body = row.visit_body()?;
    let amendments =
        amendments.into_iter().map(|a| a.amendment_body().map(|b| (a, b))).collect::<Result<Vec<_>, _>>()?;
    Ok(Shown { row, body, sealed, amendments })
}

fn masked(phone: &str) -> String {
    Phone::parse(phone).map(|p| p.masked().to_string()).unwrap_or_else(|_| phone.to_owned())
}

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
}

#[derive(Deserialize, Default)]
struct SheetQuery {
    copy: Option<String>,
    size: Option<String>,
}

fn reasons_zh(verdict: &RecordedVerdict) -> Vec<&'static str> {
    verdict.reasons.iter().map(|r| r.message(ReasonLang::Zh)).collect()
}

async fn sheet(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(seq): Path<i64>,
    Query(q): Query<SheetQuery>,
) -> Result<Html<String>, WebError> {
    let Shown { row, body, amendments, .. } = record(&state, &me, seq).await?;
    let project = state.deployment.project(&row.project_id);
    let tz = state.project_tz(&row.project_id);
    let local = |t: Option<chrono::DateTime<chrono::FixedOffset>>| {
        t.map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default()
    };
    let phone = body.customer_phone();
    let (copy, copy_label, full_phone) = match q.copy.as_deref() {
        Some("agency") => ("agency", "代理公司联", false),
        Some("channel") => ("channel", "渠道联", project.is_some_and(|p| p.channel_copy_full_phone)),
        _ => ("developer", "开发商联", false),
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
        Some(code) => super::ledger::receipt_url(&state, code),
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
            reported if reported.is_empty() || reported == body.customer_name() => body.customer_name().to_owned(),
            reported => format!("{}（报备姓名 {reported}）", body.customer_name()),
        },
        customer_phone: if full_phone { phone.to_owned() } else { masked(phone) },
        filed_at: local(body.filed_at()),
        arrived_at: local(body.arrival_at()),
        valid: body.verdict.is_valid(),
        reasons: reasons_zh(&body.verdict),
        protected_until: local(body.verdict.protected_until),
        off_hours: body.verdict.off_hours,
        desk_clerk: body.desk_clerk.as_ref().map(|s| s.name.clone()).unwrap_or_default(),
        sales: body.sales_consultant.as_ref().map(|s| s.name.clone()).unwrap_or_default(),
        signatures,
        hash: row.sha256_hex(),
        qr_svg: crate::qr::svg(&url).map_err(|e| WebError::Internal(e.to_string()))?,
        receipt_code: receipt.unwrap_or_default(),
        demo: body.demo,
        amended: !amendments.is_empty(),
    };
    Ok(Html(page.render()?))
}

#[derive(Template)]
#[template(path = "records/verify.html")]
struct VerifyPage {
    seq: i64,
    project: String,
    recorded_at: String,
    sealed: bool,
    valid: bool,
    reasons: Vec<&'static str>,
    agency: String,
    agent: String,
    customer: String,
    hash: String,
    amendments: Vec<(i64, String, String)>,
}

async fn verify_page(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(seq): Path<i64>,
) -> Result<Html<String>, WebError> {
    let Shown { row, body, sealed, amendments } = record(&state, &me, seq).await?;
    let page = VerifyPage {
        seq,
        project: state
            .deployment
            .project(&row.project_id)
            .map(|p| p.name.clone())
            .unwrap_or_else(|| row.project_id.clone()),
        recorded_at: state.local_text(&row.project_id, &row.recorded_at, "%Y-%m-%d %H:%M"),
        sealed,
        valid: body.verdict.is_valid(),
        reasons: reasons_zh(&body.verdict),
        agency: body.agency().to_owned(),
        agent: body.agent().to_owned(),
        customer: format!("{} {}", body.customer_name(), masked(body.customer_phone())),
        hash: row.sha256_hex(),
        amendments: amendments.into_iter().map(|(a, b)| (a.seq, b.by, b.reason)).collect(),
    };
    Ok(Html(page.render()?))
}

async fn signature(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path((seq, signer)): Path<(i64, String)>,
) -> Result<Response, WebError> {
    let signer = Signer::from_code(signer.trim_end_matches(".png")).ok_or(WebError::NotFound)?;
    let (row, png) = state
        .db
        .run(move |store| -> Result<_, WebError> { Ok((store.ledger_row(seq)?, store.signature_png(seq, signer)?)) })
        .await?;
    if !me.sees(&row.project_id) {
        return Err(WebError::NotFound);
    }
    Ok(([(header::CONTENT_TYPE, "image/png"), (header::CACHE_CONTROL, "private, max-age=3600")], png).into_response())
}

/// The record's receipt (JSON download), for staff of its project.
async fn receipt(State(state): State<AppState>, me: CurrentStaff, Path(seq): Path<i64>) -> Result<Response, WebError> {
    let (row, receipt) = state
        .db
        .run(move |store| -> Result<_, WebError> { Ok((store.ledger_row(seq)?, store.receipt_for(seq)?)) })
        .await?;
    if !me.sees(&row.project_id) {
        return Err(WebError::NotFound);
    }
    Ok(super::ledger::receipt_download(&receipt))
}
