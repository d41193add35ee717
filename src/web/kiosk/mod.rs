//! The kiosk at the property desk (物业判客岗): pair the tablet, a clerk signs
//! in with a PIN, scan the agent's code, collect the answers and three
//! signatures, record the visit with the server's clock. The screens are
//! one page (`templates/kiosk/app.html` + `static/kiosk/*.js`) talking JSON
//! (`views.rs`).

mod checkin;
mod device;
mod scan;
mod views;

use super::AppState;
use super::error::{ApiError, WebError};
use super::error_code::ErrorCode;
use super::session::{KIOSK_COOKIE, STAFF_COOKIE, check_csrf, cookie};
use crate::store::kiosks::Kiosk;
use crate::store::people::Staff;
use crate::store::sessions::{Session, SessionKind};
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::routing::{get, post};

/// Three signature PNGs (base64) and their strokes fit well within this.
const CHECKIN_BODY_LIMIT: usize = 4 * 1024 * 1024;
/// A camera frame sent for decoding on the server.
const FRAME_BODY_LIMIT: usize = 3 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/kiosk", get(device::app))
        .route("/kiosk/pair", post(device::pair))
        .route("/kiosk/signin", post(device::sign_in))
        .route("/kiosk/signout", post(device::sign_out))
        .route("/kiosk/scan", post(scan::scan))
        .route("/kiosk/name-check", post(scan::name_check))
        .route("/kiosk/provisional", post(scan::provisional))
        .route("/kiosk/walk-ins", post(scan::start_walk_in))
        .route("/kiosk/visits/cancel", post(scan::cancel_visit))
        .route("/kiosk/rotation", get(scan::rotation).post(scan::set_presence))
        .route("/kiosk/decode", post(scan::decode).layer(DefaultBodyLimit::max(FRAME_BODY_LIMIT)))
        .route("/kiosk/checkins", post(checkin::check_in).layer(DefaultBodyLimit::max(CHECKIN_BODY_LIMIT)))
}

fn csrf_header(headers: &HeaderMap) -> String {
    headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

/// A paired kiosk and the staff member who signed in on it with a PIN,
/// both of one project, looked up in one database job; the request carries
/// the kiosk session's CSRF token. A password session (the back office)
/// is not an operator: it was not started at this kiosk.
pub struct KioskOperator {
    pub kiosk: Kiosk,
    pub session: Session,
    pub staff: Staff,
}

impl KioskOperator {
    /// How the audit log names what this operator does.
    pub fn actor(&self) -> String {
        format!("kiosk:{}/staff:{}", self.kiosk.id, self.staff.id)
    }
}

enum Lookup {
    NotPaired,
    /// Carries the kiosk session's CSRF token: a forged request is refused
    /// as such before anything else is said.
    SignedOut(String),
    OtherProject(String),
    Found(Box<KioskOperator>),
}

impl FromRequestParts<AppState> for KioskOperator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let kiosk_secret = cookie(&parts.headers, KIOSK_COOKIE);
        let staff_secret = cookie(&parts.headers, STAFF_COOKIE);
        let now = state.clock.now();
        let found = state
            .db
            .run(move |store| -> Result<Lookup, WebError> {
                let Some(kiosk_secret) = kiosk_secret else { return Ok(Lookup::NotPaired) };
                let Some(session) = store.session(&kiosk_secret, SessionKind::Kiosk, now)? else {
                    return Ok(Lookup::NotPaired);
                };
                let kiosk = store.kiosk(session.subject_id)?;
                if kiosk.revoked {
                    return Ok(Lookup::NotPaired);
                }
                let signed_out = Lookup::SignedOut(session.csrf.clone());
                let Some(staff_secret) = staff_secret else { return Ok(signed_out) };
                let Some(staff_session) = store.session(&staff_secret, SessionKind::Staff, now)? else {
                    return Ok(signed_out);
                };
                if staff_session.kiosk_id != Some(kiosk.id) {
                    return Ok(signed_out);
                }
                let staff = match store.staff(staff_session.subject_id) {
                    Ok(s) => s,
                    Err(crate::store::StoreError::NotFound(_)) => return Ok(signed_out),
                    Err(e) => return Err(e.into()),
                };
                if staff.project_id.as_deref() != Some(kiosk.project_id.as_str()) {
                    return Ok(Lookup::OtherProject(session.csrf));
                }
                Ok(Lookup::Found(Box::new(KioskOperator { kiosk, session, staff })))
            })
            .await?;
        let given = csrf_header(&parts.headers);
        match found {
            Lookup::NotPaired => Err(WebError::code(ErrorCode::NotPaired).into()),
            Lookup::SignedOut(csrf) => {
                check_csrf(&csrf, &given)?;
                Err(WebError::code(ErrorCode::SignIn).into())
            }
            Lookup::OtherProject(csrf) => {
                check_csrf(&csrf, &given)?;
                Err(WebError::Forbidden.into())
            }
            Lookup::Found(op) => {
                check_csrf(&op.session.csrf, &given)?;
                // The back office's kiosk list shows when each tablet was last
                // seen and which app version it runs (written once a minute).
                super::session::note_kiosk_seen(state, &op.kiosk, super::session::kiosk_app_version(&parts.headers))
                    .await;
                Ok(*op)
            }
        }
    }
}
