//! How instants are written as text. Evidence (cases, reports, history)
//! keeps the project's local offset; metadata columns (audit, sessions,
//! people) use UTC. One function each, so the formats do not drift.

use chrono::{DateTime, FixedOffset, Utc};

/// RFC 3339 with offset, seconds precision, as the judge contract and the
/// ledger write instants (`2026-11-20T10:00:00+08:00`).
pub fn format_instant(t: DateTime<FixedOffset>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// A metadata timestamp: UTC, seconds, `Z` (`2026-11-20T02:00:00Z`).
pub fn stamp(now: DateTime<Utc>) -> String {
    now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Parses what `format_instant` wrote (any RFC 3339 instant).
pub fn parse_instant(text: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(text.trim()).ok()
}

/// Serde for an optional instant written by `format_instant`.
pub mod opt_instant {
    use chrono::{DateTime, FixedOffset};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<DateTime<FixedOffset>>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_some(&super::format_instant(*t)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<FixedOffset>>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(text) => super::parse_instant(&text)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom(format!("not an RFC 3339 instant: {text:?}"))),
        }
    }
}

/// Serde for an instant written by `format_instant`.
pub mod instant {
    use chrono::{DateTime, FixedOffset};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<FixedOffset>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_instant(*t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<FixedOffset>, D::Error> {
        let text = String::deserialize(d)?;
        super::parse_instant(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("not an RFC 3339 instant: {text:?}")))
    }
}
