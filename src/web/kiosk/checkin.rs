//! Recording the visit: the answers, the sales consultant and the
//! signatures, judged by the server's clock.

use super::super::AppState;
use super::super::error::{ApiError, WebError};
use super::super::error_code::ErrorCode;
use super::KioskOperator;
use super::scan::{may_record, refusal};
use super::views::{NearMiss, OutcomeView};
use crate::domain::judge::Signer;
use crate::domain::name::CustomerName;
use crate::domain::phone::Phone;
use crate::domain::signature::pen::{MAX_POINTS, MAX_STROKES};
use crate::domain::signature::{Pen, SignatureError, validate_png};
use crate::service;
use crate::service::statements::statements_for;
use crate::store::checkin::{CheckInRequest, DecisiveAnswers, Provisional};
use crate::store::ledger::{Ink, SignatureInput};
use crate::wire::record::DeskAnswers;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use data_encoding::BASE64;
use serde::Deserialize;
use serde_json::value::RawValue;

/// A signature as the kiosk sends it since issue 16: `pen`, its strokes in
/// the stored `PK1` form (base64). Also accepted: the strokes as JSON, or a
/// PNG with the strokes beside it (older kiosks, API clients).
#[derive(Deserialize)]
struct SignatureUpload {
    signer: String,
    #[serde(default)]
    pen: Option<String>,
    #[serde(default)]
    png: Option<String>,
    #[serde(default)]
    strokes: Option<Box<RawValue>>,
}

#[derive(Deserialize)]
struct CheckInUpload {
    /// The scanned token or typed manual code; absent for a walk-in.
    code: Option<String>,
    customer_name: String,
    customer_phone: String,
    #[serde(default)]
    agent_present: bool,
    #[serde(default)]
    badge_seen: bool,
    first_visit: Option<bool>,
    contacted_before: Option<bool>,
    #[serde(default)]
    customer_confirms_agent: bool,
    sales_id: Option<i64>,
    #[serde(default)]
    signatures: Vec<SignatureUpload>,
    /// A walk-in: the registration started with `POST /kiosk/walk-ins`.
    walk_in_id: Option<i64>,
    /// A walk-in registered over this live report (the desk's choice).
    over_report: Option<i64>,
    /// The customer asked for the consultant by name (指定): no turn used.
    #[serde(default)]
    sales_requested: bool,
}

/// The uploaded signatures, checked, with the statement each signer
/// signed. A refusal names the signer first (`customer: …`), so the kiosk
/// can send that signer back to the pad.
fn signature_inputs(
    uploads: Vec<SignatureUpload>,
    statement_of: impl Fn(Signer) -> String,
) -> Result<Vec<SignatureInput>, ApiError> {
    let bad = |code: ErrorCode, message: String| ApiError(WebError::bad(code, message));
    let mut signatures: Vec<SignatureInput> = Vec::new();
    for s in uploads {
        let signer =
            Signer::from_code(&s.signer).ok_or_else(|| bad(ErrorCode::BadSigner, ErrorCode::BadSigner.message()))?;
        if signatures.iter().any(|x| x.signer == signer) {
            return Err(bad(ErrorCode::BadSigner, format!("{} signed twice", signer.code())));
        }
        let refused = |e: SignatureError| bad(ErrorCode::BadSignature, format!("{}: {e}", signer.code()));
        let ink = match (s.pen, s.png) {
            (Some(pen), _) => Ink::Pen(
                BASE64
                    .decode(pen.as_bytes())
                    .map_err(|_| SignatureError::BadStrokes)
                    .and_then(|bytes| Pen::from_wire(&bytes))
                    .map_err(refused)?,
            ),
            (None, Some(png)) => legacy_ink(&png, s.strokes.as_deref()).map_err(refused)?,
            (None, None) => {
                Ink::Pen(stroke_points(s.strokes.as_deref()).and_then(|p| Pen::parse(&p)).map_err(refused)?)
            }
        };
        if let Some(twin) = signatures.iter().find(|x| x.ink.sha256_hex() == ink.sha256_hex()) {
            return Err(bad(
                ErrorCode::BadSignature,
                format!(
                    "{}: 与{}的签名完全相同,每人须亲自签名 / identical to the {} signature; everyone signs themselves",
                    signer.code(),
                    twin.signer.code(),
                    twin.signer.code()
                ),
            ));
        }
        signatures.push(SignatureInput { signer, ink, statement: statement_of(signer) });
    }
    Ok(signatures)
}

/// The strokes as sent: `[[[x, y, pressure, t_ms], …], …]`; none is no ink.
fn stroke_points(raw: Option<&RawValue>) -> Result<Vec<Vec<[f64; 4]>>, SignatureError> {
    match raw.map(RawValue::get) {
        None | Some("null") => Ok(Vec::new()),
        Some(text) => serde_json::from_str(text).map_err(|_| SignatureError::BadStrokes),
    }
}

/// A PNG and its strokes, as kiosks sent them before issue 16: the image
/// is decoded and checked, the strokes checked for shape and kept as JSON.
fn legacy_ink(png: &str, strokes: Option<&RawValue>) -> Result<Ink, SignatureError> {
    let png = BASE64
        .decode(png.trim_start_matches("data:image/png;base64,").as_bytes())
        .map_err(|_| SignatureError::NotPng)?;
    let png = validate_png(png)?;
    let strokes = stroke_points(strokes)?;
    let points: usize = strokes.iter().map(Vec::len).sum();
    if strokes.len() > MAX_STROKES || points > MAX_POINTS {
        return Err(SignatureError::TooManyPoints);
    }
    let sane = |[x, y, p, t]: [f64; 4]| {
        [x, y, p, t].iter().all(|n| n.is_finite())
            && (-10.0..=10_000.0).contains(&x)
            && (-10.0..=10_000.0).contains(&y)
            && (0.0..=8.0).contains(&p)
            && (0.0..=3_600_000.0).contains(&t)
    };
    if !strokes.iter().flatten().all(|pt| sane(*pt)) {
        return Err(SignatureError::BadStrokes);
    }
    let strokes_json = serde_json::to_string(&strokes).map_err(|_| SignatureError::BadStrokes)?;
    Ok(Ink::Png { png, strokes_json })
}

/// The code's report and the verdict before signing of this upload (the
/// name typed, the desk's answers, every signature present), in one read
/// job: the verdict decides which statements were shown and signed (see
/// `statements.rs`).
async fn report_and_verdict_before_signing(
    state: &AppState,
    op: &KioskOperator,
    code: Option<String>,
    (phone, name): (Phone, CustomerName),
    answers: DecisiveAnswers,
    walk_in_id: Option<i64>,
) -> Result<(Option<crate::store::reports::StoredReport>, Provisional), ApiError> {
    let project = state.deployment.project(&op.kiosk.project_id).ok_or(WebError::NotFound)?;
    let (rules, pid, now, key_ring) =
        (project.rules.clone(), project.id.clone(), state.clock.now(), state.key_ring.clone());
    let found = state
        .db
        .run(move |store| -> Result<_, WebError> {
            let report = match code {
                Some(code) => match service::scan::resolve_code(store, &key_ring, &pid, &code) {
                    Ok(report) => Some(report),
                    Err(refused) => return Ok(Err(refused)),
                },
                None => None,
            };
            let at = match walk_in_id {
                Some(id) => store.walk_in(id)?.at.to_utc(),
                None => now,
            };
            let signing = store.provisional(&pid, report.as_ref(), phone, Some(name), Some(answers), &rules, at)?;
            Ok(Ok((report, signing)))
        })
        .await?;
    match found {
        Ok(found) => Ok(found),
        Err(refused) => Err(refusal(state, op, refused).await),
    }
}

pub async fn check_in(State(state): State<AppState>, op: KioskOperator, body: Bytes) -> Result<Response, ApiError> {
    may_record(&state, &op)?;
    let up: CheckInUpload =
        serde_json::from_slice(&body).map_err(|e| ApiError(WebError::bad(ErrorCode::BadJson, e)))?;
    let customer_name =
        CustomerName::parse(&up.customer_name).map_err(|e| ApiError(WebError::bad(ErrorCode::BadName, e)))?;
    let customer_phone =
        Phone::parse(&up.customer_phone).map_err(|e| ApiError(WebError::bad(ErrorCode::BadPhone, e)))?;
    let code = up.code.clone().filter(|c| !c.trim().is_empty());
    let project = state.deployment.project(&op.kiosk.project_id).ok_or(WebError::NotFound)?;
    // What is signed depends on the verdict before signing: a natural visit
    // is not confirmed as a 带看.
    let answers =
        DecisiveAnswers { agent_present: up.agent_present, customer_confirms_agent: up.customer_confirms_agent };
    let person = (customer_phone, customer_name.clone());
    let (report, signing) =
        report_and_verdict_before_signing(&state, &op, code, person, answers, up.walk_in_id).await?;
    let statements = statements_for(project, &signing, report.as_ref(), Some(&customer_name));
    // Decoding PNGs (older kiosks) is CPU work: off the async executor.
    // Strokes parse in microseconds.
    let statement_of = move |signer: Signer| statements.of(signer).to_owned();
    let signatures = if up.signatures.iter().any(|s| s.png.is_some()) {
        tokio::task::spawn_blocking(move || signature_inputs(up.signatures, statement_of))
            .await
            .map_err(|e| WebError::Internal(e.to_string()))??
    } else {
        signature_inputs(up.signatures, statement_of)?
    };
    let near_miss =
        report.as_ref().is_some_and(|r| r.customer_name.surname_sounds_like(&customer_name)).then_some(NearMiss {
            warning: "姓氏读音相近但不一致(如 黄/王),请核实 / the surnames sound alike but differ",
        });
    let (now, rules, demo) = (state.clock.now(), project.rules.clone(), state.demo);
    let (project_id, kiosk_id, operator) = (project.id.clone(), op.kiosk.id, op.staff);
    let report_id = report.as_ref().map(|r| r.id);
    let outcome = state
        .db
        .write(move |store| -> Result<_, WebError> {
            let req = CheckInRequest {
                project_id: &project_id,
                report_id,
                customer_name,
                customer_phone,
                agent_present: up.agent_present,
                customer_confirms_agent: up.customer_confirms_agent,
                answers: DeskAnswers {
                    first_visit: up.first_visit,
                    contacted_before: up.contacted_before,
                    badge_seen: up.badge_seen,
                },
                desk_clerk_id: Some(operator.id),
                sales_id: up.sales_id,
                kiosk_id: Some(kiosk_id),
                signatures,
                demo,
                walk_in_id: up.walk_in_id,
                over_report: up.over_report.map(crate::domain::token::ReportId),
                sales_requested: up.sales_requested,
            };
            Ok(service::checkin::check_in(store, &operator, req, &rules, now)?)
        })
        .await?;
    let mut view = OutcomeView::new(&outcome, project.rules.timezone);
    view.near_miss = near_miss;
    Ok(Json(view).into_response())
}
