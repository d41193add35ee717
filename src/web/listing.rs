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
