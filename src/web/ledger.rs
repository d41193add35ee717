//! The transparent ledger, in public (no sign-in; nothing personal: record
//! numbers, hashes and signatures only): the newest signed checkpoint, the
//! checkpoint key, consistency proofs between any two tree sizes, and the
//! page (and JSON endpoint) that checks a receipt against the ledger.

use super::AppState;
use super::error::{ApiError, WebError};
use super::error_code::ErrorCode;
use crate::domain::transparency::{Checkpoint, Receipt, public_key_hex, receipt_code};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Json, Router};
use serde::Deserialize;
use serde_json::json;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/ledger/checkpoint", get(checkpoint))
        .route("/ledger/public-key", get(public_key))
        .route("/ledger/consistency", get(consistency))
        .route("/ledger/verify", get(verify_page).post(verify_form))
        .route("/ledger/verify.json", axum::routing::post(verify_json))
        .route("/ledger/qr.svg", get(receipt_qr))
}

/// A receipt as a download (`panke-receipt-R12-3F9A0C1D.json`).
pub fn receipt_download(receipt: &Receipt) -> Response {
    let body = serde_json::to_string_pretty(receipt).unwrap_or_default();
    let disposition = format!("attachment; filename=\"panke-receipt-{}.json\"", receipt.code());
    (
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}

/// The receipt of the visit recorded for a report (the caller has checked
/// that the report is theirs); "not found" before the visit.
pub async fn receipt_of_report(state: &AppState, report: crate::domain::token::ReportId) -> Result<Response, WebError> {
    let receipt = state
        .db
        .run(move |store| -> Result<_, WebError> {
            let visit = store.visit_of_report(report)?.ok_or(WebError::NotFound)?;
            Ok(store.receipt_for(visit.row.seq)?)
        })
        .await?;
    Ok(receipt_download(&receipt))
}

/// The public URL of a receipt code's check (what the sheet's and the
/// kiosk's QR open).
pub fn receipt_url(state: &AppState, code: &str) -> String {
    format!("{}/ledger/verify?code={code}", state.deployment.server.public_url.trim_end_matches('/'))
}

async fn checkpoint(State(state): State<AppState>) -> Result<Response, ApiError> {
    let (cp, key) = state
        .db
        .run(|store| -> Result<_, WebError> { Ok((store.latest_checkpoint()?, store.checkpoint_public_key())) })
        .await?;
    let body = json!({ "checkpoint": cp, "public_key": public_key_hex(&key), "algorithm": "ed25519", "hashing": "RFC 9162 SHA-256" });
    Ok(([(header::CACHE_CONTROL, "no-cache")], Json(body)).into_response())
}

async fn public_key(State(state): State<AppState>) -> Result<Response, ApiError> {
    let key = state.db.run(|store| -> Result<_, WebError> { Ok(store.checkpoint_public_key()) }).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], format!("{}\n", public_key_hex(&key))).into_response())
}

#[derive(Deserialize)]
struct Between {
    from: u64,
    to: u64,
}

/// RFC 9162 PROOF(from, D[to]) with the two checkpoints (where the ledger
/// signed one of exactly that size).
async fn consistency(State(state): State<AppState>, Query(q): Query<Between>) -> Result<Response, ApiError> {
    let (proof, first, second) = state
        .db
        .run(move |store| -> Result<_, WebError> {
            Ok((store.consistency_proof(q.from, q.to)?, store.checkpoint(q.from)?, store.checkpoint(q.to)?))
        })
        .await?;
    Ok(Json(json!({ "from": q.from, "to": q.to, "proof": proof, "from_checkpoint": first, "to_checkpoint": second }))
        .into_response())
}

/// What the page says about a receipt or a receipt code.
struct Outcome {
    ok: bool,
    message: String,
    details: Vec<String>,
}

#[derive(Template)]
#[template(path = "ledger/verify.html")]
struct VerifyPage {
    result: Option<Outcome>,
    code: String,
    public_key: String,
    checkpoint: Option<Checkpoint>,
}

#[derive(Deserialize)]
struct CodeQuery {
    code: Option<String>,
}

/// "R12-3F9A0C1D" → (12, "3f9a0c1d").
fn parse_code(code: &str) -> Option<(i64, String)> {
    let code = code.trim();
    let rest = code.strip_prefix('R').or_else(|| code.strip_prefix('r'))?;
    let (seq, prefix) = rest.split_once('-')?;
    let seq: i64 = seq.parse().ok().filter(|n| *n > 0)?;
    let prefix = prefix.to_ascii_lowercase();
    (prefix.len() == 8 && prefix.bytes().all(|b| b.is_ascii_hexdigit())).then_some((seq, prefix))
}

async fn page(state: &AppState, result: Option<Outcome>, code: String) -> Result<Response, WebError> {
    let (cp, key) = state
        .db
        .run(|store| -> Result<_, WebError> { Ok((store.latest_checkpoint()?, store.checkpoint_public_key())) })
        .await?;
    let page = VerifyPage { result, code, public_key: public_key_hex(&key), checkpoint: cp };
    Ok(Html(page.render()?).into_response())
}

async fn verify_page(State(state): State<AppState>, Query(q): Query<CodeQuery>) -> Result<Response, WebError> {
    let Some(code) = q.code.filter(|c| !c.trim().is_empty()) else {
        return page(&state, None, String::new()).await;
    };
    let outcome = match parse_code(&code) {
        None => Outcome {
            ok: false, message: "回执码格式不正确，应如 R12-3F9A0C1D。".into(), details: Vec::new()
        },
        Some((seq, prefix)) => {
            let row = state.db.run(move |store| -> Result<_, WebError> { Ok(store.ledger_row(seq).ok()) }).await?;
            match row {
                Some(row) if row.sha256_hex().starts_with(&prefix) => Outcome {
                    ok: true,
                    message: format!("账本中有第 {seq} 号记录，哈希与回执码相符。"),
                    details: vec![format!("记录哈希 {}", row.sha256_hex())],
                },
                Some(_) => Outcome {
                    ok: false,
                    message: format!("第 {seq} 号记录的哈希与回执码不符：记录已被改写，或回执码有误。"),
                    details: Vec::new(),
                },
                None => Outcome {
                    ok: false,
                    message: format!("账本中没有第 {seq} 号记录：记录被删除，或账本被换回旧备份。"),
                    details: Vec::new(),
                },
            }
        }
    };
    page(&state, Some(outcome), code.trim().to_owned()).await
}

#[derive(Deserialize)]
struct ReceiptForm {
    receipt: String,
}

async fn check(state: &AppState, receipt: Receipt) -> Result<Outcome, WebError> {
    let r = receipt.clone();
    let verdict = state.db.run(move |store| -> Result<_, WebError> { Ok(store.check_receipt(&r)?) }).await?;
    Ok(match verdict {
        Ok(()) => Outcome {
            ok: true,
            message: format!(
                "回执有效：第 {} 号记录仍在账本中，账本自该检查点（{} 条记录）以来只增未改。",
                receipt.record, receipt.checkpoint.size
            ),
            details: vec![format!("回执码 {}", receipt.code()), format!("检查点时间 {}", receipt.checkpoint.at)],
        },
        Err(fault) => Outcome { ok: false, message: format!("回执不成立：{fault}"), details: Vec::new() },
    })
}

async fn verify_form(State(state): State<AppState>, Form(f): Form<ReceiptForm>) -> Result<Response, WebError> {
    let outcome = match serde_json::from_str::<Receipt>(&f.receipt) {
        Ok(receipt) => check(&state, receipt).await?,
        Err(e) => Outcome { ok: false, message: format!("不是 panke 回执（JSON）：{e}"), details: Vec::new() },
    };
    page(&state, Some(outcome), String::new()).await
}

async fn verify_json(State(state): State<AppState>, Json(receipt): Json<Receipt>) -> Result<Response, ApiError> {
    let outcome = check(&state, receipt).await?;
    Ok(Json(json!({ "valid": outcome.ok, "message": outcome.message })).into_response())
}

/// The QR of a receipt code's public check.
async fn receipt_qr(State(state): State<AppState>, Query(q): Query<CodeQuery>) -> Result<Response, ApiError> {
    let (seq, prefix) = q
        .code
        .as_deref()
        .and_then(parse_code)
        .ok_or_else(|| WebError::bad(ErrorCode::Invalid, "回执码格式不正确 / not a receipt code"))?;
    let svg = crate::qr::svg(&receipt_url(&state, &receipt_code(seq as u64, &prefix)))
        .map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

#[cfg(test)]
mod tests {
    use super::parse_code;

    #[test]
    fn a_receipt_code_is_a_record_number_and_eight_hex_digits() {
        assert_eq!(parse_code("R12-3F9A0C1D"), Some((12, "3f9a0c1d".into())));
        assert_eq!(parse_code(" r7-00ff00ff "), Some((7, "00ff00ff".into())));
        for bad in ["12-3F9A0C1D", "R0-3F9A0C1D", "R12-3F9A0C1", "R12-3F9A0C1G", "R-3F9A0C1D", "R12"] {
            assert_eq!(parse_code(bad), None, "{bad}");
        }
    }
}
