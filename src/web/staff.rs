//! Staff sign-in (password) for the pages of records and, later, the
//! back office. A password session never operates a kiosk.

use super::AppState;
use super::error::WebError;
use super::i18n::Lang;
use super::session::{
    PRE_CSRF_COOKIE, STAFF_COOKIE, STAFF_SESSION_SECS, check_csrf, cookie, pre_csrf, set_cookie, with_pre_csrf,
};
use crate::store::sessions::SessionKind;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new().route("/staff/login", get(login_page).post(login))
}

#[derive(Template)]
#[template(path = "staff/login.html")]
struct LoginPage {
    t: &'static super::i18n::Texts,
    csrf: String,
    next: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
struct Next {
    next: Option<String>,
}

/// Only paths of this site: no open redirect.
fn safe_next(next: Option<&str>) -> String {
    next.filter(|n| n.starts_with("/records/") && !n.contains("//")).unwrap_or("/staff/login").to_owned()
}

async fn login_page(State(state): State<AppState>, lang: Lang, headers: HeaderMap, Query(q): Query<Next>) -> Response {
    let (csrf, fresh) = pre_csrf(&headers);
    let page = LoginPage { t: lang.texts(), csrf: csrf.clone(), next: safe_next(q.next.as_deref()), error: None }
        .render()
        .map(Html)
        .map_err(WebError::from);
    with_pre_csrf(page, &csrf, fresh, StatusCode::OK, state.secure_cookies)
}

#[derive(Deserialize)]
struct LoginForm {
    csrf: String,
    login: String,
    password: String,
    next: String,
}

async fn login(
    State(state): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, WebError> {
    let expected = cookie(&headers, PRE_CSRF_COOKIE).unwrap_or_default();
    check_csrf(&expected, &form.csrf)?;
    let key = format!("staff:{}", form.login.trim());
    if !state.limiter.allowed(&key) {
        return Err(WebError::TooManyAttempts);
    }
    let (login, password, now) = (form.login.clone(), form.password.clone(), state.clock.now());
    let found =
        state.db.run(move |store| store.check_staff_password(&login, &password)).await.map_err(WebError::from)?;
    let Some(staff) = found else {
        state.limiter.failed(&key);
        let t = lang.texts();
        let page = LoginPage {
            t,
            csrf: expected,
            next: safe_next(Some(&form.next)),
            error: Some(t.bad_staff_login.to_owned()),
        };
        return Ok((StatusCode::UNAUTHORIZED, Html(page.render()?)).into_response());
    };
    state.limiter.reset(&key);
    let project = staff.project_id.clone();
    let secret = state
        .db
        .write(move |store| -> Result<_, WebError> {
            store.audit(now, &format!("staff:{}", staff.id), "staff.sign_in", project.as_deref(), "")?;
            Ok(store.create_session(SessionKind::Staff, staff.id, STAFF_SESSION_SECS, now)?)
        })
        .await?;
    let cookie = set_cookie(STAFF_COOKIE, &secret, STAFF_SESSION_SECS, state.secure_cookies);
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&safe_next(Some(&form.next)))).into_response())
}
