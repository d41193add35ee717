//! The agent's account: change the password (the current one first; every
//! other session of the agent ends, this one stays), and sign out
//! everywhere (every session, this one too). A forgotten password is reset
//! by the site's manager with a new invitation (人员与设备 › 渠道公司 ›
//! 重新邀请); the sign-in page says so.

use super::super::AppState;
use super::super::credentials::{Source, verified};
use super::super::error::WebError;
use super::super::i18n::{Lang, Texts};
use super::super::session::{AGENT_COOKIE, CurrentAgent, check_csrf, clear_cookie};
use super::html;
use crate::store::sessions::SessionKind;
use askama::Template;
use axum::Router;
use axum::extract::{Form, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/agent/account", get(page).post(change_password))
        .route("/agent/account/sign-out-everywhere", post(sign_out_everywhere))
}

#[derive(Template)]
#[template(path = "agent/account.html")]
struct AccountPage {
    t: &'static Texts,
    lang: Lang,
    csrf: String,
    name: String,
    agency: String,
    masked_phone: String,
    notice: Option<&'static str>,
    error: Option<String>,
}

fn account_page(me: &CurrentAgent, lang: Lang, notice: Option<&'static str>, error: Option<String>) -> AccountPage {
    let masked_phone =
        crate::domain::phone::Phone::parse(&me.agent.phone).map(|p| p.masked().to_string()).unwrap_or_default();
    AccountPage {
        t: lang.texts(),
        lang,
        csrf: me.session.csrf.clone(),
        name: me.agent.name.clone(),
        agency: me.agent.agency_name.clone(),
        masked_phone,
        notice,
        error,
    }
}

pub async fn page(lang: Lang, me: CurrentAgent) -> Result<Response, WebError> {
    Ok(html(account_page(&me, lang, None, None))?.into_response())
}

#[derive(Deserialize)]
pub struct PasswordForm {
    csrf: String,
    current: String,
    new: String,
    again: String,
}

/// `POST /agent/account`: a new password, after the current one.
pub async fn change_password(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentAgent,
    source: Source,
    Form(form): Form<PasswordForm>,
) -> Result<Response, WebError> {
    check_csrf(&me.session.csrf, &form.csrf)?;
    let refused = |me: &CurrentAgent, message: String| -> Result<Response, WebError> {
        let page = html(account_page(me, lang, None, Some(message)))?;
        Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    };
    if form.new != form.again {
        return refused(&me, lang.tr("两次输入的新密码不一致", "the two new passwords differ").to_owned());
    }
    if let Err(e) = crate::password::check_password_policy(&form.new) {
        return refused(&me, e.to_string());
    }
    // The current password is checked like a sign-in (rate-limited per
    // account and source, off the writer): a stolen session cannot guess it.
    let phone = match crate::domain::phone::Phone::parse(&me.agent.phone) {
        Ok(p) => p,
        Err(_) => return Err(WebError::Internal("agent phone".into())),
    };
    let account = format!("agent:{}", phone.as_str());
    let checked =
        verified(&state, &account, source, form.current.clone(), move |store| store.agent_secret(&phone)).await?;
    if checked != Some(me.agent.id) {
        return refused(&me, lang.tr("当前密码不正确", "the current password is wrong").to_owned());
    }
    let new = form.new.clone();
    let hash = tokio::task::spawn_blocking(move || crate::password::hash_secret(&new))
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?
        .map_err(|e| WebError::Internal(e.to_string()))?;
    let (agent_id, secret, now) = (me.agent.id, me.secret.clone(), state.clock.now());
    state.db.write(move |store| store.set_agent_password(agent_id, &hash, &secret, now)).await?;
    Ok(html(account_page(&me, lang, Some("password-changed"), None))?.into_response())
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    csrf: String,
}

/// `POST /agent/account/sign-out-everywhere`: every session of the agent
/// ends (a lost phone, a shared computer), this one too.
pub async fn sign_out_everywhere(
    State(state): State<AppState>,
    me: CurrentAgent,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, WebError> {
    check_csrf(&me.session.csrf, &form.csrf)?;
    let (agent_id, now) = (me.agent.id, state.clock.now());
    let actor = format!("agent:{agent_id}");
    state.db.write(move |store| store.end_all_sessions(SessionKind::Agent, agent_id, &actor, now)).await?;
    Ok(([(header::SET_COOKIE, clear_cookie(AGENT_COOKIE))], Redirect::to("/agent/login")).into_response())
}
