//! Visit records for signed-in staff of their project: the record page
//! (signatures, statements, first read, reasons, receipt, amendments) with
//! the manager's amendment form, the printable sheet (带看确认单), the
//! signature images, attachments and the receipt. Every reader goes
//! through the typed record (`wire::record`) and what its amendments make
//! of it (`domain::amendment::Effective`).

mod amend;
mod page;
mod replay;
mod sheet;

pub(crate) use sheet::channel_copy_for_agency;

use crate::domain::amendment::Effective;
use crate::domain::judge::Signer;
use crate::domain::phone::Phone;
use crate::store::ledger::LedgerRow;
use crate::web::AppState;
use crate::web::error::WebError;
use crate::web::session::CurrentStaff;
use crate::wire::record::{AmendmentBody, RecordBody};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/records/{seq}", get(page::page))
        .route(
            "/records/{seq}/amend",
            post(amend::amend).layer(axum::extract::DefaultBodyLimit::max(amend::UPLOAD_LIMIT)),
        )
        .route("/records/{seq}/attachments/{sha256}", get(amend::attachment))
        .route("/records/{seq}/sheet", get(sheet::sheet))
        .route("/records/{seq}/replay", get(replay::page))
        .route("/records/{seq}/signatures/{signer}", get(signature))
        .route("/records/{seq}/receipt", get(receipt))
}

/// A record the signed-in staff member may see, its typed body, whether
/// its seal holds, its amendments, and what they make of it.
struct Shown {
    row: LedgerRow,
    body: RecordBody,
    sealed: bool,
    amendments: Vec<(LedgerRow, AmendmentBody)>,
    now: Effective,
}

async fn record(state: &AppState, me: &CurrentStaff, seq: i64) -> Result<Shown, WebError> {
    load(state, seq, |row| me.sees(&row.project_id)).await
}

/// The visit record `seq` if `may_see` lets the reader see it (else "not
/// found", so its existence is not revealed).
async fn load(state: &AppState, seq: i64, may_see: impl FnOnce(&LedgerRow) -> bool) -> Result<Shown, WebError> {
    let (row, sealed, amendments, now) = state
        .db
        .run(move |store| -> Result<_, WebError> {
            let row = store.ledger_row(seq)?;
            if row.kind != "visit" {
                return Err(WebError::NotFound);
            }
            Ok((row, store.record_sealed(seq)?, store.amendments_of(seq)?, store.record_now(seq)?))
        })
        .await?;
    if !may_see(&row) {
        return Err(WebError::NotFound);
    }
    let body = row.visit_body()?;
    let amendments =
        amendments.into_iter().map(|a| a.amendment_body().map(|b| (a, b))).collect::<Result<Vec<_>, _>>()?;
    Ok(Shown { row, body, sealed, amendments, now })
}

fn masked(phone: &str) -> String {
    Phone::parse(phone).map(|p| p.masked().to_string()).unwrap_or_else(|_| phone.to_owned())
}

async fn signature(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path((seq, signer)): Path<(i64, String)>,
) -> Result<Response, WebError> {
    signature_png(&state, seq, &signer, |row| me.sees(&row.project_id)).await
}

/// A signature image of record `seq` (`customer`, `agent`, `sales`, with
/// or without `.png`), if `may_see` lets the reader see the record.
pub(crate) async fn signature_png(
    state: &AppState,
    seq: i64,
    signer: &str,
    may_see: impl FnOnce(&LedgerRow) -> bool,
) -> Result<Response, WebError> {
    let signer = Signer::from_code(signer.trim_end_matches(".png")).ok_or(WebError::NotFound)?;
    // Who may see it first: the image is drawn from the strokes.
    let row = state.db.run(move |store| -> Result<_, WebError> { Ok(store.ledger_row(seq)?) }).await?;
    if !may_see(&row) {
        return Err(WebError::NotFound);
    }
    let png = state.db.run(move |store| -> Result<_, WebError> { Ok(store.signature_png(seq, signer)?) }).await?;
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
    Ok(crate::web::ledger::receipt_download(&receipt))
}
