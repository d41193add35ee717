//! What the back office's lists share: who may read them, and the filter
//! fields as the forms send them (text; local days in the viewer's zone).

use super::AppState;
use super::error::WebError;
use super::session::CurrentStaff;
use crate::store::people::Role;

/// Managers and admins; desk clerks and sales consultants are refused.
pub fn may_list(me: &CurrentStaff) -> Result<(), WebError> {
    match me.staff.role {
        Role::Manager | Role::Admin => Ok(()),
        Role::Desk | Role::Sales => Err(WebError::Forbidden),
    }
}

/// A form field as a condition: `None` when left empty.
pub fn text(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// The start of local day `yyyy-mm-dd` (+ `plus_days`) in the viewer's
/// project's zone (Beijing time for an admin), as unix seconds.
pub fn day_start(me: &CurrentStaff, state: &AppState, day: &str, plus_days: i64) -> Option<i64> {
    let tz = me.staff.project_id.as_deref().map(|p| state.project_tz(p)).unwrap_or(chrono_tz::Asia::Shanghai);
    chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|t| t.and_local_timezone(tz).earliest())
        .map(|t| t.timestamp() + plus_days * 86_400)
}

/// Where the next page starts: the key of the last row when the page came
/// back full (keyset paging, newest first), else none.
pub fn next_page<T>(rows: &[T], page: u32, key: impl Fn(&T) -> i64) -> Option<i64> {
    rows.last().filter(|_| rows.len() == page as usize).map(key)
}

/// Rows as CSV bytes (one page of a streamed export).
pub fn csv_bytes<const N: usize>(rows: &[[String; N]]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        // Writing to memory cannot fail.
        let _ = w.write_record(r);
    }
    w.into_inner().unwrap_or_default()
}

/// A list's filter whose personal fields (a customer's phone or name) may
/// only arrive in a POSTed form, never in a URL.
pub trait PersonalFilter {
    /// The filter with its personal fields cleared (what a URL may carry).
    fn url_safe(self) -> Self;
    /// The CSRF token a POSTed form carried.
    fn csrf(&self) -> &str;
}

/// A list's filter as the request brought it: from the query string of a
/// GET (personal fields dropped), or from a POSTed form (which must carry
/// the session's CSRF token). One handler serves both methods.
pub enum Search<Q> {
    Link(Q),
    Form(Q),
}

impl<Q> axum::extract::FromRequest<AppState> for Search<Q>
where
    Q: serde::de::DeserializeOwned + Send + 'static,
{
    type Rejection = WebError;

    async fn from_request(req: axum::extract::Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let bad = |e: String| WebError::bad(super::error_code::ErrorCode::BadRequest, e);
        if req.method() == axum::http::Method::POST {
            let axum::extract::Form(q) =
                axum::extract::Form::<Q>::from_request(req, state).await.map_err(|e| bad(e.body_text()))?;
            Ok(Search::Form(q))
        } else {
            let (mut parts, _) = req.into_parts();
            let axum::extract::Query(q) =
                <axum::extract::Query<Q> as axum::extract::FromRequestParts<AppState>>::from_request_parts(
                    &mut parts, state,
                )
                .await
                .map_err(|e| bad(e.body_text()))?;
            Ok(Search::Link(q))
        }
    }
}

impl<Q: PersonalFilter> Search<Q> {
    /// The filter this staff member asked for: a link's without personal
    /// fields, a form's once its CSRF token is the session's.
    pub fn for_staff(self, me: &CurrentStaff) -> Result<Q, WebError> {
        match self {
            Search::Link(q) => Ok(q.url_safe()),
            Search::Form(q) => {
                super::session::check_csrf(&me.session.csrf, q.csrf())?;
                Ok(q)
            }
        }
    }
}

/// The projects whose full phones this staff member sees in exports and on
/// record pages (the project file's `full_phone_roles`); masked elsewhere.
pub fn full_phone_projects(me: &CurrentStaff, state: &AppState) -> Vec<String> {
    state
        .deployment
        .projects
        .iter()
        .filter(|p| me.sees(&p.id) && p.shows_full_phone(me.staff.role.code()))
        .map(|p| p.id.clone())
        .collect()
}
