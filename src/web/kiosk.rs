//! The kiosk at the property desk (物业判客岗): pair the tablet, a clerk signs
//! in with a PIN, scan the agent's code, collect the answers and three
//! signatures, record the visit with the server's clock. The screens are
//! one page (`templates/kiosk/app.html` + `static/kiosk.js`) talking JSON.

use super::AppState;
use super::error::{ApiError, WebError};
use super::i18n::Lang;
use super::session::{
    CurrentStaff, KIOSK_COOKIE, KIOSK_SESSION_SECS, PRE_CSRF_COOKIE, PairedKiosk, STAFF_COOKIE, STAFF_SESSION_SECS,
    check_csrf, clear_cookie, cookie, pre_csrf, set_cookie, with_pre_csrf,
};
use crate::domain::judge::Signer;
use crate::domain::manual_code::ManualCode;
use crate::domain::name::CustomerName;
use crate::domain::phone::Phone;
use crate::domain::reason::{Lang as ReasonLang, Reason};
use crate::domain::signature::{statement, validate_png};
use crate::store::checkin::{CheckInOutcome, CheckInRequest, DeskAnswers};
use crate::store::ledger::SignatureInput;
use crate::store::reports::{ReportStatus, StoredReport};
use crate::store::sessions::SessionKind;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use data_encoding::BASE64;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Three signature PNGs (base64) and their strokes fit well within this.
const CHECKIN_BODY_LIMIT: usize = 4 * 1024 * 1024;
/// A camera frame sent for decoding on the server.
const FRAME_BODY_LIMIT: usize = 3 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/kiosk", get(app))
        .route("/kiosk/pair", post(pair))
        .route("/kiosk/signin", post(sign_in))
        .route("/kiosk/signout", post(sign_out))
        .route("/kiosk/scan", post(scan))
        .route("/kiosk/name-check", post(name_check))
        .route("/kiosk/decode", post(decode).layer(DefaultBodyLimit::max(FRAME_BODY_LIMIT)))
        .route("/kiosk/checkins", post(check_in).layer(DefaultBodyLimit::max(CHECKIN_BODY_LIMIT)))
}

#[derive(Template)]
#[template(path = "kiosk/app.html")]
struct AppPage {
    lang: &'static str,
    boot: String,
}

/// The shell page; what it shows first depends on pairing and sign-in.
async fn app(State(state): State<AppState>, lang: Lang, headers: HeaderMap) -> Result<Response, WebError> {
    let now = state.clock.now();
    let kiosk_secret = cookie(&headers, KIOSK_COOKIE);
    let staff_secret = cookie(&headers, STAFF_COOKIE);
    let (pre_token, fresh) = pre_csrf(&headers);
    let pre = pre_token.clone();
    let boot = state
        .db
        .run(move |store| -> Result<serde_json::Value, WebError> {
            let kiosk = match kiosk_secret {
                Some(s) => store.session(&s, SessionKind::Kiosk, now)?.map(|sess| (store.kiosk(sess.subject_id), sess)),
                None => None,
            };
            let Some((Ok(kiosk), session)) = kiosk.filter(|(k, _)| k.as_ref().is_ok_and(|k| !k.revoked)) else {
                return Ok(json!({ "screen": "pair", "csrf": pre }));
            };
            let operators: Vec<_> = store
                .kiosk_operators(&kiosk.project_id)?
                .into_iter()
                .map(|s| json!({ "id": s.id, "name": s.name, "role": s.role.code() }))
                .collect();
            let operator = match staff_secret {
                Some(s) => {
                    store.session(&s, SessionKind::Staff, now)?.and_then(|sess| store.staff(sess.subject_id).ok())
                }
                None => None,
            }
            .filter(|s| s.project_id.as_deref() == Some(kiosk.project_id.as_str()));
            let project = store.project(&kiosk.project_id)?;
            Ok(json!({
                "screen": if operator.is_some() { "scan" } else { "signin" },
                "csrf": session.csrf,
                "kiosk": { "id": kiosk.id, "name": kiosk.name },
                "project": { "id": project.id, "name": project.name },
                "operators": operators,
                "operator": operator.map(|s| json!({ "id": s.id, "name": s.name, "role": s.role.code() })),
            }))
        })
        .await?;
    let page =
        AppPage { lang: if lang == Lang::En { "en" } else { "zh-CN" }, boot: boot.to_string().replace("</", "<\\/") };
    Ok(with_pre_csrf(
        page.render().map(Html).map_err(WebError::from),
        &pre_token,
        fresh,
        axum::http::StatusCode::OK,
        state.secure_cookies,
    ))
}

fn csrf_header(headers: &HeaderMap) -> String {
    headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

#[derive(Deserialize)]
struct PairRequest {
    code: String,
}

async fn pair(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(req): Json<PairRequest>,
) -> Result<Response, ApiError> {
    check_csrf(&cookie(&headers, PRE_CSRF_COOKIE).unwrap_or_default(), &csrf_header(&headers))?;
    if !state.limiter.allowed("kiosk-pair") {
        return Err(WebError::TooManyAttempts.into());
    }
    let now = state.clock.now();
    let result = state
        .db
        .write(move |store| -> Result<_, WebError> {
            let kiosk = store.pair_kiosk(&req.code, now)?;
            Ok(store.create_session(SessionKind::Kiosk, kiosk.id, KIOSK_SESSION_SECS, now)?)
        })
        .await;
    match result {
        Ok(secret) => {
            let cookie = set_cookie(KIOSK_COOKIE, &secret, KIOSK_SESSION_SECS, state.secure_cookies);
            Ok(([(header::SET_COOKIE, cookie)], Json(json!({ "paired": true }))).into_response())
        }
        Err(e) => {
            state.limiter.failed("kiosk-pair");
            Err(e.into())
        }
    }
}

#[derive(Deserialize)]
struct SignInRequest {
    staff_id: i64,
    pin: String,
}

async fn sign_in(
    State(state): State<AppState>,
    device: PairedKiosk,
    headers: HeaderMap,
    Json(req): Json<SignInRequest>,
) -> Result<Response, ApiError> {
    check_csrf(&device.session.csrf, &csrf_header(&headers))?;
    let key = format!("pin:{}:{}", device.kiosk.id, req.staff_id);
    if !state.limiter.allowed(&key) {
        return Err(WebError::TooManyAttempts.into());
    }
    let now = state.clock.now();
    let (project, staff_id, pin) = (device.kiosk.project_id.clone(), req.staff_id, req.pin);
    let checked = state.db.run(move |store| store.check_staff_pin(staff_id, &pin)).await.map_err(WebError::from)?;
    let Some(staff) = checked.filter(|s| s.project_id.as_deref() == Some(project.as_str())) else {
        state.limiter.failed(&key);
        return Err(WebError::bad("BAD_PIN", "PIN 不正确 / wrong PIN").into());
    };
    state.limiter.reset(&key);
    let kiosk_id = device.kiosk.id;
    let (secret, name, role) = (staff.id, staff.name.clone(), staff.role.code());
    let secret = state
        .db
        .write(move |store| -> Result<_, WebError> {
            store.audit(
                now,
                &format!("staff:{secret}"),
                "kiosk.sign_in",
                Some(&project),
                &format!("kiosk {kiosk_id}"),
            )?;
            Ok(store.create_session(SessionKind::Staff, secret, STAFF_SESSION_SECS, now)?)
        })
        .await?;
    let cookie = set_cookie(STAFF_COOKIE, &secret, STAFF_SESSION_SECS, state.secure_cookies);
    Ok(([(header::SET_COOKIE, cookie)], Json(json!({ "name": name, "role": role }))).into_response())
}

async fn sign_out(
    State(state): State<AppState>,
    device: PairedKiosk,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    check_csrf(&device.session.csrf, &csrf_header(&headers))?;
    if let Some(secret) = cookie(&headers, STAFF_COOKIE) {
        state.db.write(move |store| store.end_session(&secret)).await.map_err(WebError::from)?;
    }
    Ok(([(header::SET_COOKIE, clear_cookie(STAFF_COOKIE))], Json(json!({ "signed_out": true }))).into_response())
}

/// The kiosk and its signed-in operator, both of one project.
struct Operator {
    device: PairedKiosk,
    staff: CurrentStaff,
}

fn operator(
    device: PairedKiosk,
    staff: Result<CurrentStaff, WebError>,
    headers: &HeaderMap,
) -> Result<Operator, ApiError> {
    check_csrf(&device.session.csrf, &csrf_header(headers))?;
    let staff = staff.map_err(|_| ApiError(WebError::bad("SIGN_IN", "请先登录 / sign in first")))?;
    if staff.staff.project_id.as_deref() != Some(device.kiosk.project_id.as_str()) {
        return Err(WebError::Forbidden.into());
    }
    Ok(Operator { device, staff })
}

/// A scanned token or typed manual code, resolved to a report of the
/// kiosk's project. A refused code is audited.
async fn resolve_code(state: &AppState, op: &Operator, code: &str) -> Result<StoredReport, ApiError> {
    let code = code.trim().to_owned();
    let project = op.device.kiosk.project_id.clone();
    let now = state.clock.now();
    let actor = format!("kiosk:{}/staff:{}", op.device.kiosk.id, op.staff.staff.id);
    let refuse = |reason: String| {
        let (project, actor) = (project.clone(), actor.clone());
        async move {
            let detail = reason.clone();
            let _ = state
                .db
                .write(move |store| store.audit(now, &actor, "kiosk.code_refused", Some(&project), &detail))
                .await;
            ApiError(WebError::bad("CODE_REFUSED", reason))
        }
    };
    let report = if code.starts_with("PK") {
        let claims = match state.key_ring.verify(&code) {
            Ok(c) => c,
            Err(e) => return Err(refuse(e.to_string()).await),
        };
        match state.db.run(move |store| store.report(claims.report_id)).await {
            Ok(r) => r,
            Err(_) => return Err(refuse("报备不存在 / no such report".into()).await),
        }
    } else {
        let manual = match ManualCode::parse(&code) {
            Ok(m) => m,
            Err(e) => return Err(refuse(e.to_string()).await),
        };
        let p = project.clone();
        match state.db.run(move |store| store.report_by_manual_code(&p, &manual)).await {
            Ok(r) => r,
            Err(_) => return Err(refuse("手动码不存在 / no report has this code".into()).await),
        }
    };
    if report.project_id != project {
        return Err(refuse("该报备不属于本项目 / this report is for another project".into()).await);
    }
    Ok(report)
}

#[derive(Deserialize)]
struct ScanRequest {
    code: String,
}

fn reasons_json(codes: &[String]) -> Vec<serde_json::Value> {
    codes
        .iter()
        .filter_map(|c| Reason::from_code(c))
        .map(|r| json!({ "code": r.code(), "zh": r.message(ReasonLang::Zh), "en": r.message(ReasonLang::En) }))
        .collect()
}

fn outcome_json(state: &AppState, project: &str, o: &CheckInOutcome) -> serde_json::Value {
    let until = state.local_text(project, o.verdict.protected_until.as_deref().unwrap_or(""), "%Y-%m-%d %H:%M");
    json!({
        "record": o.row.seq,
        "verdict": o.verdict.verdict,
        "reasons": reasons_json(&o.verdict.reasons),
        "off_hours": o.verdict.off_hours,
        "protected_until": (!until.is_empty()).then_some(until),
        "already_recorded": o.already_recorded,
        "hash": o.row.sha256_hex(),
        "sheet": format!("/records/{}/sheet", o.row.seq),
    })
}

async fn scan(
    State(state): State<AppState>,
    device: PairedKiosk,
    staff: Result<CurrentStaff, WebError>,
    headers: HeaderMap,
    Json(req): Json<ScanRequest>,
) -> Result<Response, ApiError> {
    let op = operator(device, staff, &headers)?;
    let report = resolve_code(&state, &op, &req.code).await?;
    let project = state.deployment.project(&report.project_id).ok_or(WebError::NotFound)?;
    let (id, project_id) = (report.id, report.project_id.clone());
    let (existing, next_sales, sales) = state
        .db
        .run(move |store| -> Result<_, WebError> {
            Ok((
                store.visit_of_report(id)?,
                store.next_sales(&project_id)?,
                store.project_staff(&project_id, crate::store::people::Role::Sales)?,
            ))
        })
        .await?;
    if let Some(done) = existing {
        return Ok(
            Json(json!({ "status": "recorded", "outcome": outcome_json(&state, &project.id, &done) })).into_response()
        );
    }
    if report.status == ReportStatus::Cancelled {
        return Err(WebError::Conflict {
            code: "CANCELLED",
            message: "该报备已撤销 / this report was cancelled".into(),
        }
        .into());
    }
    let now = state.clock.now();
    let minutes = (now - report.filed_at.to_utc()).num_minutes();
    Ok(Json(json!({
        "status": "ok",
        "report": {
            "agency": report.agency_name,
            "agent": report.agent_name,
            "customer_name": report.customer_name.to_string(),
            "masked_phone": report.customer_phone.masked().to_string(),
            "filed_at": state.local_time(&project.id, &report.filed_at, "%m-%d %H:%M"),
            "minutes_since_filing": minutes,
            "min_gap_minutes": project.rules.min_gap.num_minutes(),
        },
        "statements": {
            "customer": statement(Signer::Customer, &report.agency_name, &report.agent_name, &project.name),
            "agent": statement(Signer::Agent, &report.agency_name, &report.agent_name, &project.name),
            "sales": statement(Signer::Sales, &report.agency_name, &report.agent_name, &project.name),
        },
        "off_hours": project.rules.is_off_hours(now.with_timezone(&project.rules.timezone).fixed_offset()),
        "next_sales": next_sales.map(|s| json!({ "id": s.id, "name": s.name })),
        "sales": sales.iter().map(|s| json!({ "id": s.id, "name": s.name })).collect::<Vec<_>>(),
    }))
    .into_response())
}

#[derive(Deserialize)]
struct NameCheck {
    reported: String,
    name: String,
}

/// Warns the desk when the arrival's surname differs from the reported one
/// but sounds alike (黄/王), compared by pinyin. Never part of the verdict.
async fn name_check(device: PairedKiosk, headers: HeaderMap, Json(req): Json<NameCheck>) -> Result<Response, ApiError> {
    check_csrf(&device.session.csrf, &csrf_header(&headers))?;
    let (Ok(reported), Ok(name)) = (CustomerName::parse(&req.reported), CustomerName::parse(&req.name)) else {
        return Err(WebError::bad("BAD_NAME", "客户姓名不能为空 / the name is empty").into());
    };
    Ok(Json(json!({ "matches": reported.reported_matches(&name), "near_miss": reported.surname_sounds_like(&name) }))
        .into_response())
}

/// The server-side fallback for cameras the browser cannot decode: a
/// captured frame (PNG or JPEG) decoded with rqrr.
async fn decode(device: PairedKiosk, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    check_csrf(&device.session.csrf, &csrf_header(&headers))?;
    let text = tokio::task::spawn_blocking(move || -> Option<String> {
        let img = image::load_from_memory(&body).ok()?.to_luma8();
        let (w, h) = img.dimensions();
        let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w as usize, h as usize, |x, y| {
            img.get_pixel(x as u32, y as u32)[0]
        });
        prepared.detect_grids().into_iter().find_map(|g| g.decode().ok().map(|(_, text)| text))
    })
    .await
    .map_err(|e| WebError::Internal(e.to_string()))?;
    match text {
        Some(text) => Ok(Json(json!({ "text": text })).into_response()),
        None => Err(WebError::bad("NO_CODE", "画面中未识别到二维码 / no QR code found in the frame").into()),
    }
}

#[derive(Deserialize)]
struct SignatureUpload {
    signer: String,
    png: String,
    #[serde(default)]
    strokes: serde_json::Value,
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
}

/// The uploaded signatures, decoded and checked, with the statement each
/// signer signed.
fn signature_inputs(
    uploads: Vec<SignatureUpload>,
    agency: &str,
    agent: &str,
    project: &str,
) -> Result<Vec<SignatureInput>, ApiError> {
    let bad = |code: &'static str, message: String| ApiError(WebError::bad(code, message));
    let mut signatures: Vec<SignatureInput> = Vec::new();
    for s in uploads {
        let signer =
            Signer::from_code(&s.signer).ok_or_else(|| bad("BAD_SIGNER", "signer: customer, agent or sales".into()))?;
        if signatures.iter().any(|x| x.signer == signer) {
            return Err(bad("BAD_SIGNER", format!("{} signed twice", signer.code())));
        }
        let png = BASE64.decode(s.png.trim_start_matches("data:image/png;base64,").as_bytes()).map_err(|_| {
            bad("BAD_SIGNATURE", format!("{}: 签名不是有效的 PNG 图片 / not a valid PNG image", signer.code()))
        })?;
        let png = validate_png(png).map_err(|e| bad("BAD_SIGNATURE", format!("{}: {e}", signer.code())))?;
        let strokes_json = serde_json::to_string(&s.strokes).unwrap_or_else(|_| "[]".into());
        signatures.push(SignatureInput {
            signer,
            png,
            strokes_json,
            statement: statement(signer, agency, agent, project),
        });
    }
    Ok(signatures)
}

#[derive(Serialize)]
struct NearMiss {
    warning: &'static str,
}

async fn check_in(
    State(state): State<AppState>,
    device: PairedKiosk,
    staff: Result<CurrentStaff, WebError>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let op = operator(device, staff, &headers)?;
    let up: CheckInUpload = serde_json::from_slice(&body).map_err(|e| ApiError(WebError::bad("BAD_JSON", e)))?;
    let bad = |code: &'static str, e: &dyn ToString| ApiError(WebError::bad(code, e.to_string()));
    let customer_name = CustomerName::parse(&up.customer_name).map_err(|e| bad("BAD_NAME", &e))?;
    let customer_phone = Phone::parse(&up.customer_phone).map_err(|e| bad("BAD_PHONE", &e))?;
    let report = match up.code.as_deref().filter(|c| !c.trim().is_empty()) {
        Some(code) => Some(resolve_code(&state, &op, code).await?),
        None => None,
    };
    let project_id = op.device.kiosk.project_id.clone();
    let project = state.deployment.project(&project_id).ok_or(WebError::NotFound)?;
    let (agency, agent) = report.as_ref().map(|r| (r.agency_name.clone(), r.agent_name.clone())).unwrap_or_default();
    // Decoding three PNGs is CPU work: keep it off the async executor.
    let project_name = project.name.clone();
    let signatures =
        tokio::task::spawn_blocking(move || signature_inputs(up.signatures, &agency, &agent, &project_name))
            .await
            .map_err(|e| WebError::Internal(e.to_string()))??;
    let now = state.clock.now();
    let rules = project.rules.clone();
    let near_miss =
        report.as_ref().is_some_and(|r| r.customer_name.surname_sounds_like(&customer_name)).then_some(NearMiss {
            warning: "姓氏读音相近但不一致(如 黄/王),请核实 / the surnames sound alike but differ",
        });
    let (kiosk_id, clerk) = (op.device.kiosk.id, op.staff.staff.id);
    let report_id = report.as_ref().map(|r| r.id);
    let demo = state.demo;
    let pid = project_id.clone();
    let outcome = state
        .db
        .write(move |store| -> Result<_, WebError> {
            let req = CheckInRequest {
                project_id: &pid,
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
                desk_clerk_id: Some(clerk),
                sales_id: up.sales_id,
                kiosk_id: Some(kiosk_id),
                signatures,
                demo,
            };
            Ok(store.record_checkin(req, &rules, now)?)
        })
        .await?;
    tracing::info!(record = outcome.row.seq, verdict = %outcome.verdict.verdict, "visit recorded");
    let mut out = outcome_json(&state, &project_id, &outcome);
    out["near_miss"] = serde_json::to_value(near_miss).unwrap_or_default();
    Ok(Json(out).into_response())
}
