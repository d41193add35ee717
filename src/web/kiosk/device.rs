//! The tablet itself: the shell page, pairing, and a clerk's PIN sign-in
//! and sign-out.

use super::super::AppState;
use super::super::credentials::{Source, verified};
use super::super::error::{ApiError, WebError};
use super::super::error_code::ErrorCode;
use super::super::i18n::Lang;
use super::super::session::{
    KIOSK_COOKIE, KIOSK_SESSION_SECS, PRE_CSRF_COOKIE, PairedKiosk, STAFF_COOKIE, STAFF_SESSION_SECS, check_csrf,
    clear_cookie, cookie, pre_csrf, set_cookie, with_pre_csrf,
};
use super::csrf_header;
use super::views::{Boot, Named, OperatorView, ProjectView};
use crate::store::sessions::SessionKind;
use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

#[derive(Template)]
#[template(path = "kiosk/app.html")]
struct AppPage {
    lang: &'static str,
    assets: &'static str,
    boot: String,
}

/// The shell page; what it shows first depends on pairing and sign-in.
pub async fn app(State(state): State<AppState>, lang: Lang, headers: HeaderMap) -> Result<Response, WebError> {
    let now = state.clock.now();
    let kiosk_secret = cookie(&headers, KIOSK_COOKIE);
    let staff_secret = cookie(&headers, STAFF_COOKIE);
    let (pre_token, fresh) = pre_csrf(&headers);
    let pre = pre_token.clone();
    let deployment = state.deployment.clone();
    let boot = state
        .db
        .run(move |store| -> Result<Boot, WebError> {
            let kiosk = match kiosk_secret {
                Some(s) => store.session(&s, SessionKind::Kiosk, now)?.map(|sess| (store.kiosk(sess.subject_id), sess)),
                None => None,
            };
            let Some((Ok(kiosk), session)) = kiosk.filter(|(k, _)| k.as_ref().is_ok_and(|k| !k.revoked)) else {
                return Ok(Boot {
                    screen: "pair",
                    csrf: pre,
                    kiosk: None,
                    project: None,
                    operators: Vec::new(),
                    operator: None,
                    off_hours: None,
                });
            };
            let operators = store.kiosk_operators(&kiosk.project_id)?.iter().map(OperatorView::from).collect();
            let operator = match staff_secret {
                Some(s) => store
                    .session(&s, SessionKind::Staff, now)?
                    .filter(|sess| sess.kiosk_id == Some(kiosk.id))
                    .and_then(|sess| store.staff(sess.subject_id).ok()),
                None => None,
            }
            .filter(|s| s.project_id.as_deref() == Some(kiosk.project_id.as_str()));
            let project = store.project(&kiosk.project_id)?;
            let rules = deployment.project(&kiosk.project_id).map(|p| &p.rules);
            Ok(Boot {
                screen: if operator.is_some() { "scan" } else { "signin" },
                csrf: session.csrf,
                kiosk: Some(Named { id: kiosk.id, name: kiosk.name }),
                project: Some(ProjectView {
                    id: project.id,
                    name: project.name,
                    agent_must_accompany: rules.is_none_or(|r| r.agent_must_accompany),
                }),
                operators,
                operator: operator.as_ref().map(OperatorView::from),
                off_hours: rules.map(|r| r.is_off_hours(now.with_timezone(&r.timezone).fixed_offset())),
            })
        })
        .await?;
    let page = AppPage {
        lang: if lang == Lang::En { "en" } else { "zh-CN" },
        assets: super::super::assets::prefix(),
        boot: boot.to_script_json(),
    };
    Ok(with_pre_csrf(
        page.render().map(Html).map_err(WebError::from),
        &pre_token,
        fresh,
        axum::http::StatusCode::OK,
        state.secure_cookies,
    ))
}

#[derive(Deserialize)]
pub struct PairRequest {
    code: String,
}

pub async fn pair(
    State(state): State<AppState>,
    headers: HeaderMap,
    source: Source,
    Json(req): Json<PairRequest>,
) -> Result<Response, ApiError> {
    check_csrf(&cookie(&headers, PRE_CSRF_COOKIE).unwrap_or_default(), &csrf_header(&headers))?;
    // Pairing codes (50 bits) cannot be guessed: limited per source, so a
    // stranger cannot block the office's pairing.
    state.limiter.attempt("kiosk-pair", source.0)?;
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
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct SignInRequest {
    staff_id: i64,
    pin: String,
}

pub async fn sign_in(
    State(state): State<AppState>,
    device: PairedKiosk,
    headers: HeaderMap,
    source: Source,
    Json(req): Json<SignInRequest>,
) -> Result<Response, ApiError> {
    check_csrf(&device.session.csrf, &csrf_header(&headers))?;
    let now = state.clock.now();
    let account = format!("pin:{}:{}", device.kiosk.id, req.staff_id);
    let (project, staff_id) = (device.kiosk.project_id.clone(), req.staff_id);
    let id = verified(&state, &account, source, req.pin, move |store| store.staff_pin_secret(staff_id)).await?;
    let found = match id {
        Some(id) => state.db.run(move |store| store.staff(id)).await.map(Some).map_err(WebError::from)?,
        None => None,
    };
    let Some(staff) = found.filter(|s| s.project_id.as_deref() == Some(project.as_str())) else {
        return Err(WebError::code(ErrorCode::BadPin).into());
    };
    let kiosk_id = device.kiosk.id;
    let (staff_id, name, role) = (staff.id, staff.name.clone(), staff.role.code());
    let secret = state
        .db
        .write(move |store| -> Result<_, WebError> {
            store.audit(
                now,
                &format!("staff:{staff_id}"),
                "kiosk.sign_in",
                Some(&project),
                &format!("kiosk {kiosk_id}"),
            )?;
            Ok(store.create_operator_session(staff_id, kiosk_id, STAFF_SESSION_SECS, now)?)
        })
        .await?;
    let cookie = set_cookie(STAFF_COOKIE, &secret, STAFF_SESSION_SECS, state.secure_cookies);
    Ok(([(header::SET_COOKIE, cookie)], Json(json!({ "name": name, "role": role }))).into_response())
}

pub async fn sign_out(
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
