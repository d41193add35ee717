//! Signing in and out, and accepting an invitation.

use super::super::AppState;
use super::super::credentials::{Source, verified};
use super::super::error::WebError;
use super::super::i18n::Lang;
use super::super::pages::{InvitePage, LoginPage};
use super::super::session::{
    AGENT_COOKIE, AGENT_SESSION_SECS, CurrentAgent, PRE_CSRF_COOKIE, check_csrf, clear_cookie, cookie, pre_csrf,
    set_cookie, with_pre_csrf,
};
use super::html;
use crate::domain::phone::Phone;
use crate::store::sessions::SessionKind;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

pub async fn login_page(State(state): State<AppState>, lang: Lang, headers: HeaderMap) -> Response {
    let (csrf, fresh) = pre_csrf(&headers);
    let page = html(LoginPage { t: lang.texts(), csrf: csrf.clone(), error: None, phone: String::new() });
    with_pre_csrf(page, &csrf, fresh, StatusCode::OK, state.secure_cookies)
}

#[derive(Deserialize)]
pub struct LoginForm {
    csrf: String,
    phone: String,
    password: String,
}

pub async fn login(
    State(state): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    source: Source,
    Form(form): Form<LoginForm>,
) -> Response {
    let t = lang.texts();
    let expected = cookie(&headers, PRE_CSRF_COOKIE).unwrap_or_default();
    if let Err(e) = check_csrf(&expected, &form.csrf) {
        return e.into_response();
    }
    let again = |error: String| {
        let page = html(LoginPage { t, csrf: expected.clone(), error: Some(error), phone: form.phone.clone() });
        with_pre_csrf(page, &expected, false, StatusCode::UNAUTHORIZED, state.secure_cookies)
    };
    let phone = match Phone::parse(&form.phone) {
        Ok(p) => p,
        Err(e) => return again(e.to_string()),
    };
    let now = state.clock.now();
    let account = format!("agent:{}", phone.as_str());
    let checked =
        verified(&state, &account, source, form.password.clone(), move |store| store.agent_secret(&phone)).await;
    // A failure is audited summarised per source and minute (anyone can
    // cause them); the phone is masked.
    let failure_row = match &checked {
        Ok(None) => state.limiter.audit.note("agent.sign_in_failed", source.0, now),
        _ => None,
    };
    let masked = phone.masked().to_string();
    let signed_in = match checked {
        Ok(found) => {
            state
                .db
                .write(move |store| -> Result<_, WebError> {
                    let Some(agent_id) = found else {
                        if let Some(detail) = failure_row {
                            store.audit(
                                now,
                                "anonymous",
                                "agent.sign_in_failed",
                                None,
                                &format!("{masked} {detail}"),
                            )?;
                        }
                        return Ok(None);
                    };
                    let secret = store.create_session(SessionKind::Agent, agent_id, AGENT_SESSION_SECS, now)?;
                    store.audit(now, &format!("agent:{agent_id}"), "agent.sign_in", None, "")?;
                    Ok(Some(secret))
                })
                .await
        }
        Err(e) => Err(e),
    };
    match signed_in {
        Ok(Some(secret)) => {
            let cookie = set_cookie(AGENT_COOKIE, &secret, AGENT_SESSION_SECS, state.secure_cookies);
            ([(header::SET_COOKIE, cookie)], Redirect::to("/agent/reports")).into_response()
        }
        Ok(None) => again(t.bad_login.to_owned()),
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    me: CurrentAgent,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    check_csrf(&me.session.csrf, &form.csrf)?;
    let secret = me.secret.clone();
    state.db.write(move |store| store.end_session(&secret)).await.map_err(WebError::from)?;
    Ok(([(header::SET_COOKIE, clear_cookie(AGENT_COOKIE))], Redirect::to("/agent/login")).into_response())
}

pub async fn invite_page(
    State(state): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Path(secret): Path<String>,
) -> Response {
    let (csrf, fresh) = pre_csrf(&headers);
    let page = html(InvitePage { t: lang.texts(), csrf: csrf.clone(), secret, error: None });
    with_pre_csrf(page, &csrf, fresh, StatusCode::OK, state.secure_cookies)
}

#[derive(Deserialize)]
pub struct InviteForm {
    csrf: String,
    password: String,
}

pub async fn accept_invite(
    State(state): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    source: Source,
    Path(secret): Path<String>,
    Form(form): Form<InviteForm>,
) -> Response {
    let expected = cookie(&headers, PRE_CSRF_COOKIE).unwrap_or_default();
    if let Err(e) = check_csrf(&expected, &form.csrf) {
        return e.into_response();
    }
    // Invitation secrets (160 bits) cannot be guessed: the limit is per
    // source, so nobody can block everyone's invitations.
    if let Err(e) = state.limiter.attempt("invite", source.0) {
        return e.into_response();
    }
    // Hashing the new password takes an argon2 slot.
    let slot = match state.limiter.secret_slot() {
        Ok(slot) => slot,
        Err(e) => return e.into_response(),
    };
    let now = state.clock.now();
    let invite = secret.clone();
    let result = state
        .db
        .write(move |store| -> Result<_, WebError> {
            let _slot = slot;
            let agent_id = store.accept_invite(&invite, &form.password, now)?;
            Ok(store.create_session(SessionKind::Agent, agent_id, AGENT_SESSION_SECS, now)?)
        })
        .await;
    match result {
        Ok(session) => {
            let cookie = set_cookie(AGENT_COOKIE, &session, AGENT_SESSION_SECS, state.secure_cookies);
            ([(header::SET_COOKIE, cookie)], Redirect::to("/agent/reports")).into_response()
        }
        Err(WebError::Refused { message, .. }) => {
            let page = html(InvitePage { t: lang.texts(), csrf: expected.clone(), secret, error: Some(message) });
            with_pre_csrf(page, &expected, false, StatusCode::UNPROCESSABLE_ENTITY, state.secure_cookies)
        }
        Err(e) => e.into_response(),
    }
}
