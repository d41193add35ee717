//! Failures anyone can cause (sign-ins for unknown accounts, refused codes)
//! go to the append-only audit log summarised per source and minute, not one
//! row each: the first of a minute is written with the count of the source's
//! previous minute, the rest are only counted. Bounded memory.

use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Mutex;

const MAX_SOURCES: usize = 10_000;

/// (action, source) → (minute, failures in it).
type Seen = HashMap<(&'static str, String), (i64, u64)>;

#[derive(Default)]
pub struct AuditThrottle {
    seen: Mutex<Seen>,
}

impl AuditThrottle {
    /// Notes one `action` from `source` (an address, a kiosk); `Some(detail)`
    /// when a row is due.
    pub fn note(&self, action: &'static str, source: impl std::fmt::Display, now: DateTime<Utc>) -> Option<String> {
        let source = source.to_string();
        let minute = now.timestamp().div_euclid(60);
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() >= MAX_SOURCES {
            seen.retain(|_, (m, _)| *m >= minute - 1);
        }
        if seen.len() >= MAX_SOURCES && !seen.contains_key(&(action, source.clone())) {
            // Too many distinct sources at once: one row per minute for all.
            return None;
        }
        let entry = seen.entry((action, source.clone())).or_insert((minute - 1, 0));
        if entry.0 == minute {
            entry.1 += 1;
            return None;
        }
        let previous = std::mem::replace(entry, (minute, 1));
        Some(match previous {
            (m, n) if n > 0 && m == minute - 1 => format!("from {source}; {n} in the minute before"),
            _ => format!("from {source}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_from_one_source_is_one_row_a_minute_with_the_count() {
        let t = AuditThrottle::default();
        let ip: std::net::IpAddr = "10.0.0.9".parse().unwrap();
        let at = |s: i64| DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap();
        assert!(t.note("agent.sign_in_failed", ip, at(0)).is_some());
        let rows = (1..59).filter(|s| t.note("agent.sign_in_failed", ip, at(*s)).is_some()).count();
        assert_eq!(rows, 0);
        let next = t.note("agent.sign_in_failed", ip, at(60)).unwrap();
        assert!(next.contains("59 in the minute before"), "{next}");
        assert!(t.note("kiosk.code_refused", ip, at(61)).is_some(), "another action counts apart");
    }
}
