//! Staff sign-in (password) for the pages of records and, later, the
//! back office. A password session never operates a kiosk. Signed-in
//! staff land on `/staff/home`, where they sign out (this browser, or
//! everywhere).

use super::AppState;
use super::error::WebError;
use super::i18n::Lang;
use super::session::{
    CurrentStaff, PRE_CSRF_COOKIE, STAFF_COOKIE, STAFF_SESSION_SECS, check_csrf, clear_cookie, cookie, pre_csrf,
    set_cookie, with_pre_csrf,
};
use crate::store::sessions::SessionKind;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/login", get(login_page).post(login))
        .route("/staff", get(home))
        .route("/staff/home", get(home))
        .route("/staff/logout", post(logout))
        .route("/staff/logout-everywhere", post(logout_everywhere))
}

#[derive(Template)]
#[template(path = "staff/login.html")]
struct LoginPage {
    t: &'static super::i18n::Texts,
    csrf: String,
    next: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "staff/home.html")]
struct HomePage {
    nav: super::nav::StaffNav,
    login: String,
    at_kiosk: bool,
}

#[derive(Deserialize, Default)]
struct Next {
    next: Option<String>,
}

/// Where a signed-in staff member lands when no (acceptable) `next` is given.
const LANDING: &str = "/staff/home";

/// Only paths of this site's staff and kiosk pages: no open redirect, and
/// nothing a `Location` header cannot carry.
fn safe_next(next: Option<&str>) -> String {
    next.filter(|n| is_safe_next(n)).unwrap_or(LANDING).to_owned()
}

fn is_safe_next(n: &str) -> bool {
    let known = n.starts_with("/records/")
        || n.starts_with("/staff/")
        || n == "/kiosk"
        || n.starts_with("/kiosk/")
        || n.starts_with("/kiosk?");
    known
        // One leading slash: `//host` and `/\host` leave the site.
        && !n.contains("//")
        && !n.contains('\\')
        // Visible ASCII only: no control characters, spaces or non-ASCII.
        && n.bytes().all(|b| b.is_ascii_graphic())
        // No dot segments (plain or percent-encoded) to step out of the prefix.
        && !n.contains("/.")
        && !n.to_ascii_lowercase().contains("%2e")
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
    source: super::credentials::Source,
    Form(form): Form<LoginForm>,
) -> Result<Response, WebError> {
    let expected = cookie(&headers, PRE_CSRF_COOKIE).unwrap_or_default();
    check_csrf(&expected, &form.csrf)?;
    let account = format!("staff:{}", form.login.trim());
    let (login, password, now) = (form.login.trim().to_owned(), form.password.clone(), state.clock.now());
    let id = super::credentials::verified(&state, &account, source, password, move |store| {
        store.staff_password_secret(&login)
    })
    .await?;
    let found = match id {
        Some(id) => Some(state.db.run(move |store| store.staff(id)).await.map_err(WebError::from)?),
        None => None,
    };
    let Some(staff) = found else {
        let t = lang.texts();
        let page = LoginPage {
            t,
            csrf: expected,
            next: safe_next(Some(&form.next)),
            error: Some(t.bad_staff_login.to_owned()),
        };
        return Ok((StatusCode::UNAUTHORIZED, Html(page.render()?)).into_response());
    };
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

/// The staff landing page: who is signed in, and the ways to sign out.
async fn home(lang: Lang, me: CurrentStaff) -> Result<Html<String>, WebError> {
    let page = HomePage {
        nav: super::nav::StaffNav::new(&me, lang, "/staff/home"),
        login: me.staff.login.clone(),
        at_kiosk: me.session.kiosk_id.is_some(),
    };
    Ok(Html(page.render()?))
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

/// Ends this browser's staff session.
async fn logout(
    State(state): State<AppState>,
    me: CurrentStaff,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    check_csrf(&me.session.csrf, &form.csrf)?;
    let (secret, staff_id, now) = (me.secret.clone(), me.staff.id, state.clock.now());
    let project = me.staff.project_id.clone();
    state
        .db
        .write(move |store| -> Result<_, WebError> {
            store.end_session(&secret)?;
            store.audit(now, &format!("staff:{staff_id}"), "staff.sign_out", project.as_deref(), "")?;
            Ok(())
        })
        .await?;
    Ok(([(header::SET_COOKIE, clear_cookie(STAFF_COOKIE))], Redirect::to("/staff/login")).into_response())
}

/// Ends every session of the signed-in staff member: password sessions in
/// other browsers and PIN sessions at kiosks alike.
async fn logout_everywhere(
    State(state): State<AppState>,
    me: CurrentStaff,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    check_csrf(&me.session.csrf, &form.csrf)?;
    let (staff_id, now) = (me.staff.id, state.clock.now());
    state
        .db
        .write(move |store| store.end_all_sessions(SessionKind::Staff, staff_id, &format!("staff:{staff_id}"), now))
        .await
        .map_err(WebError::from)?;
    Ok(([(header::SET_COOKIE, clear_cookie(STAFF_COOKIE))], Redirect::to("/staff/login")).into_response())
}

#[cfg(test)]
mod tests {
    use super::{LANDING, safe_next};

    fn kept(next: &str) -> bool {
        safe_next(Some(next)) == next
    }

    #[test]
    fn a_record_path_is_kept() {
        assert!(kept("/records/1"));
        assert!(kept("/records/12/sheet?copy=channel&size=a5"));
    }

    #[test]
    fn a_staff_path_is_kept() {
        assert!(kept("/staff/home"));
    }

    #[test]
    fn the_kiosk_path_is_kept() {
        assert!(kept("/kiosk"));
        assert!(kept("/kiosk/"));
    }

    #[test]
    fn no_next_falls_back_to_the_landing_page() {
        assert_eq!(safe_next(None), LANDING);
        assert_eq!(safe_next(Some("")), LANDING);
    }

    #[test]
    fn an_unknown_path_is_refused() {
        assert_eq!(safe_next(Some("/agent/reports")), LANDING);
        assert_eq!(safe_next(Some("/")), LANDING);
        assert_eq!(safe_next(Some("/kiosks-elsewhere")), LANDING);
    }

    #[test]
    fn a_path_without_a_leading_slash_is_refused() {
        assert_eq!(safe_next(Some("records/1")), LANDING);
        assert_eq!(safe_next(Some("https://evil.example/records/1")), LANDING);
    }

    #[test]
    fn a_double_slash_path_is_refused() {
        assert_eq!(safe_next(Some("//evil.example/records/1")), LANDING);
        assert_eq!(safe_next(Some("/records//evil.example")), LANDING);
    }

    #[test]
    fn a_backslash_path_is_refused() {
        assert_eq!(safe_next(Some("/\\evil.example")), LANDING);
        assert_eq!(safe_next(Some("/records/\\evil.example")), LANDING);
    }

    #[test]
    fn a_control_character_is_refused() {
        assert_eq!(safe_next(Some("/records/1\u{7f}")), LANDING);
        assert_eq!(safe_next(Some("/records/1\r\nSet-Cookie: x=1")), LANDING);
        assert_eq!(safe_next(Some("/records/1\t")), LANDING);
    }

    #[test]
    fn a_non_ascii_character_is_refused() {
        assert_eq!(safe_next(Some("/records/一")), LANDING);
    }

    #[test]
    fn a_space_is_refused() {
        assert_eq!(safe_next(Some("/records/1 2")), LANDING);
    }

    #[test]
    fn a_dot_segment_is_refused() {
        assert_eq!(safe_next(Some("/records/../agent/reports")), LANDING);
        assert_eq!(safe_next(Some("/records/%2E%2E/agent/reports")), LANDING);
    }
}
