//! Signing in and out, and accepting an invitation.

use super::super::AppState;
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
    let limiter_key = format!("agent:{}", phone.as_str());
    if !state.limiter.allowed(&limiter_key) {
        return WebError::TooManyAttempts.into_response();
    }
    let now = state.clock.now();
    let password = form.password.clone();
    // argon2 runs on a reader connection, outside the writers' queue.
    let checked = state.db.run(move |store| store.check_agent_password(&phone, &password)).await;
    let signed_in = match checked {
        Ok(found) => {
            state
                .db
                .write(move |store| -> Result<_, WebError> {
                    let Some(agent) = found else {
                        store.audit(now, "anonymous", "agent.sign_in_failed", None, &phone.masked().to_string())?;
                        return Ok(None);
                    };
                    let secret = store.create_session(SessionKind::Agent, agent.id, AGENT_SESSION_SECS, now)?;
                    store.audit(now, &format!("agent:{}", agent.id), "agent.sign_in", None, "")?;
                    Ok(Some(secret))
                })
                .await
        }
        Err(e) => Err(WebError::from(e)),
    };
    match signed_in {
        Ok(Some(secret)) => {
            state.limiter.reset(&limiter_key);
            let cookie = set_cookie(AGENT_COOKIE, &secret, AGENT_SESSION_SECS, state.secure_cookies);
            ([(header::SET_COOKIE, cookie)], Redirect::to("/agent/reports")).into_response()
        }
        Ok(None) => {
            state.limiter.failed(&limiter_key);
            again(t.bad_login.to_owned())
        }
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
    Path(secret): Path<String>,
    Form(form): Form<InviteForm>,
) -> Response {
    let expected = cookie(&headers, PRE_CSRF_COOKIE).unwrap_or_default();
    if let Err(e) = check_csrf(&expected, &form.csrf) {
        return e.into_response();
    }
    if !state.limiter.allowed("invite") {
        return WebError::TooManyAttempts.into_response();
    }
    let now = state.clock.now();
    let invite = secret.clone();
    let result = state
        .db
        .write(move |store| -> Result<_, WebError> {
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
            state.limiter.failed("invite");
            let page = html(InvitePage { t: lang.texts(), csrf: expected.clone(), secret, error: Some(message) });
            with_pre_csrf(page, &expected, false, StatusCode::UNPROCESSABLE_ENTITY, state.secure_cookies)
        }
        Err(e) => e.into_response(),
    }
}
