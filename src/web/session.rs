//! Cookies, sessions and CSRF. Session cookies are HttpOnly and
//! SameSite=Lax (an agent arriving from a WeChat link is still signed in;
//! cross-site POSTs carry no cookie); `Secure` when served over https.
//! Forms carry a CSRF token: the session's, or before sign-in a
//! double-submit cookie.

use super::AppState;
use super::error::WebError;
use super::i18n::Lang;
use crate::crypto::random_secret;
use crate::store::people::Agent;
use crate::store::sessions::{Session, SessionKind};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

pub const AGENT_COOKIE: &str = "pk_agent";
pub const PRE_CSRF_COOKIE: &str = "pk_csrf";
pub const LANG_COOKIE: &str = "pk_lang";
/// An agent stays signed in for a working week.
pub const AGENT_SESSION_SECS: i64 = 7 * 24 * 3600;

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
}

pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("pk_invalid=; Max-Age=0"))
}

pub fn clear_cookie(name: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"))
        .unwrap_or_else(|_| HeaderValue::from_static("pk_invalid=; Max-Age=0"))
}

/// Compares in constant time, so a token cannot be guessed byte by byte.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn check_csrf(expected: &str, given: &str) -> Result<(), WebError> {
    if !expected.is_empty() && same_secret(expected, given) { Ok(()) } else { Err(WebError::Csrf) }
}

/// Before sign-in the form's CSRF token is a double-submit cookie.
pub fn pre_csrf(headers: &HeaderMap) -> (String, bool) {
    match cookie(headers, PRE_CSRF_COOKIE) {
        Some(c) => (c, false),
        None => (random_secret(), true),
    }
}

pub fn with_pre_csrf(
    page: Result<Html<String>, WebError>,
    csrf: &str,
    fresh: bool,
    status: StatusCode,
    secure: bool,
) -> Response {
    match page {
        Ok(body) if fresh => {
            (status, [(header::SET_COOKIE, set_cookie(PRE_CSRF_COOKIE, csrf, 3600, secure))], body).into_response()
        }
        Ok(body) => (status, body).into_response(),
        Err(e) => e.into_response(),
    }
}

/// A signed-in agent.
pub struct CurrentAgent {
    pub agent: Agent,
    pub session: Session,
    pub secret: String,
}

impl FromRequestParts<AppState> for CurrentAgent {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let sign_in = WebError::SignIn { to: "/agent/login".to_owned() };
        let Some(secret) = cookie(&parts.headers, AGENT_COOKIE) else {
            return Err(sign_in);
        };
        let now = state.clock.now();
        let lookup = secret.clone();
        let found = state
            .db
            .run(move |store| -> Result<_, WebError> {
                let Some(session) = store.session(&lookup, SessionKind::Agent, now)? else {
                    return Ok(None);
                };
                let agent = store.agent(session.subject_id)?;
                Ok(agent.active.then_some((agent, session)))
            })
            .await?;
        match found {
            Some((agent, session)) => Ok(CurrentAgent { agent, session, secret }),
            None => Err(sign_in),
        }
    }
}

/// The visitor's language: the `pk_lang` cookie, else the browser's
/// preference, else Chinese.
impl FromRequestParts<AppState> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(lang) = cookie(&parts.headers, LANG_COOKIE).and_then(|c| Lang::parse(&c)) {
            return Ok(lang);
        }
        let accept = parts.headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
        Ok(if accept.trim_start().starts_with("en") { Lang::En } else { Lang::Zh })
    }
}

pub const KIOSK_COOKIE: &str = "pk_kiosk";
pub const STAFF_COOKIE: &str = "pk_staff";
/// A paired tablet stays paired for a year unless revoked.
pub const KIOSK_SESSION_SECS: i64 = 365 * 24 * 3600;
/// A desk shift.
pub const STAFF_SESSION_SECS: i64 = 12 * 3600;

/// A paired, not revoked kiosk.
pub struct PairedKiosk {
    pub kiosk: crate::store::kiosks::Kiosk,
    pub session: Session,
}

impl FromRequestParts<AppState> for PairedKiosk {
    type Rejection = super::error::ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let not_paired = || super::error::ApiError(WebError::code(super::error_code::ErrorCode::NotPaired));
        let secret = cookie(&parts.headers, KIOSK_COOKIE).ok_or_else(not_paired)?;
        let now = state.clock.now();
        let found = state
            .db
            .run(move |store| -> Result<_, WebError> {
                let Some(session) = store.session(&secret, SessionKind::Kiosk, now)? else { return Ok(None) };
                let kiosk = store.kiosk(session.subject_id)?;
                Ok((!kiosk.revoked).then_some((kiosk, session)))
            })
            .await?;
        if let Some((kiosk, _)) = &found {
            note_kiosk_seen(state, kiosk, kiosk_app_version(&parts.headers)).await;
        }
        found.map(|(kiosk, session)| PairedKiosk { kiosk, session }).ok_or_else(not_paired)
    }
}

/// The header the kiosk app sends with every request: the asset version it
/// was loaded with (`v-…`, see `assets::prefix`).
pub const KIOSK_VERSION_HEADER: &str = "x-panke-kiosk-version";

/// The kiosk app version a request names, if it looks like one.
pub fn kiosk_app_version(headers: &HeaderMap) -> Option<String> {
    headers
        .get(KIOSK_VERSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.len() <= 40)
        .filter(|v| v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_'))
        .map(str::to_owned)
}

/// Notes that a paired kiosk called (last seen, app version), writing at
/// most once a minute per kiosk — decided from the row the request just
/// read, so no write happens in between (a race of two requests writes
/// twice at worst; the store's condition keeps the row right). A failure
/// is logged; the request goes on.
pub async fn note_kiosk_seen(state: &AppState, kiosk: &crate::store::kiosks::Kiosk, version: Option<String>) {
    let now = state.clock.now();
    let stale = kiosk.last_seen_unix.is_none_or(|t| now.timestamp() - t >= crate::store::kiosks::SEEN_EVERY_SECS);
    let new_version = version.as_ref().is_some_and(|v| kiosk.app_version.as_ref() != Some(v));
    if kiosk.revoked || !(stale || new_version) {
        return;
    }
    let id = kiosk.id;
    let written = state.db.write(move |store| store.note_kiosk_seen(id, version.as_deref(), now)).await;
    if let Err(e) = written {
        tracing::warn!(kiosk = id, error = %e, "could not note that the kiosk was seen");
    }
}

/// A signed-in staff member (at a kiosk, or on the staff pages).
///
/// A session started with a PIN at a kiosk counts only in that kiosk's
/// browser: the request must also carry the live device session of that
/// same, not revoked kiosk. A copied staff cookie alone, or one shown with
/// another kiosk, is not signed in.
pub struct CurrentStaff {
    pub staff: crate::store::people::Staff,
    pub session: Session,
    /// The session cookie's secret (to end this session on sign-out).
    pub secret: String,
    /// Disputes waiting on this person's office (a manager's project's
    /// open ones; open and appealed ones for the group's admin): the
    /// navigation's badge, read in the same database job as the session.
    pub disputes_waiting: i64,
}

impl CurrentStaff {
    /// How the audit log and the ledger name this person (`staff:3`).
    pub fn actor(&self) -> String {
        format!("staff:{}", self.staff.id)
    }

    /// May this person see records of `project_id`?
    pub fn sees(&self, project_id: &str) -> bool {
        self.staff.project_id.as_deref().is_none_or(|p| p == project_id)
    }

    /// The staff member the request's cookies sign in, if any.
    pub async fn from_headers(headers: &HeaderMap, state: &AppState) -> Result<Option<CurrentStaff>, WebError> {
        let Some(secret) = cookie(headers, STAFF_COOKIE) else { return Ok(None) };
        let kiosk_secret = cookie(headers, KIOSK_COOKIE);
        let now = state.clock.now();
        let lookup = secret.clone();
        let found = state
            .db
            .run(move |store| -> Result<_, WebError> {
                let Some(session) = store.session(&lookup, SessionKind::Staff, now)? else { return Ok(None) };
                if let Some(kiosk_id) = session.kiosk_id {
                    // A PIN session: only beside its own kiosk's live device session.
                    let device = match kiosk_secret {
                        Some(k) => store.session(&k, SessionKind::Kiosk, now)?,
                        None => None,
                    };
                    if device.is_none_or(|d| d.subject_id != kiosk_id) {
                        return Ok(None);
                    }
                    match store.kiosk(kiosk_id) {
                        Ok(kiosk) if !kiosk.revoked => {}
                        Ok(_) | Err(crate::store::StoreError::NotFound(_)) => return Ok(None),
                        Err(e) => return Err(e.into()),
                    }
                }
                match store.staff(session.subject_id) {
                    Ok(staff) => {
                        use crate::store::people::Role;
                        let waiting = match staff.role {
                            Role::Admin | Role::Manager => {
                                store.disputes_waiting_on_office(staff.project_id.as_deref())?
                            }
                            Role::Desk | Role::Sales => 0,
                        };
                        Ok(Some((staff, session, waiting)))
                    }
                    Err(crate::store::StoreError::NotFound(_)) => Ok(None),
                    Err(e) => Err(e.into()),
                }
            })
            .await?;
        Ok(found.map(|(staff, session, disputes_waiting)| CurrentStaff { staff, session, secret, disputes_waiting }))
    }
}

impl FromRequestParts<AppState> for CurrentStaff {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // Back to the page asked for once signed in (the sheet's and the
        // kiosk's links); the login page keeps only known paths.
        let asked = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/staff/home");
        let to = format!("/staff/login?next={}", url_escape(asked));
        CurrentStaff::from_headers(&parts.headers, state).await?.ok_or(WebError::SignIn { to })
    }
}

/// Percent-encodes a query value (everything but unreserved characters).
pub(crate) fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
