//! Finding customers in a project's visit records, reports and visit
//! history (full phone, masked, last four digits or name), naming them by
//! the row they were found in, and listing a customer's visits.

use super::super::{Store, StoreError, StoreResult};
use super::group_of_in;
use crate::domain::phone::{CustomerPhone, MaskedPhone, Phone};
use rusqlite::{OptionalExtension, params};
use std::collections::{BTreeSet, HashMap};
use std::fmt;

/// A row a customer was found in: what links and forms carry instead of
/// the customer's number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CustomerRef {
    /// A visit record (its number, `visit_index.seq`).
    Record(i64),
    /// A report (报备).
    Report(i64),
    /// A visit of the developer's history (来访登记).
    History(i64),
}

impl CustomerRef {
    pub fn parse(s: &str) -> Option<CustomerRef> {
        let (kind, id) = s.trim().split_once(':')?;
        let id: i64 = id.parse().ok().filter(|n| *n > 0)?;
        match kind {
            "record" => Some(CustomerRef::Record(id)),
            "report" => Some(CustomerRef::Report(id)),
            "history" => Some(CustomerRef::History(id)),
            _ => None,
        }
    }
}

impl fmt::Display for CustomerRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CustomerRef::Record(n) => write!(f, "record:{n}"),
            CustomerRef::Report(n) => write!(f, "report:{n}"),
            CustomerRef::History(n) => write!(f, "history:{n}"),
        }
    }
}

/// What a customer search looks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerQuery {
    Full(Phone),
    Masked(MaskedPhone),
    LastFour(String),
    /// Part of the customer's name.
    Name(String),
}

/// The search field's rule, for the form.
pub const QUERY_HELP: &str = "请输入完整手机号、隐号(138****5678)、手机号后四位或客户姓名 / enter a full phone, a masked one (138****5678), the last four digits or a name";

impl CustomerQuery {
    pub fn parse(raw: &str) -> Result<CustomerQuery, &'static str> {
        let text = raw.trim();
        if text.is_empty() {
            return Err(QUERY_HELP);
        }
        if text.contains('*') || text.contains('\u{FF0A}') {
            return MaskedPhone::parse(text).map(CustomerQuery::Masked).map_err(|_| QUERY_HELP);
        }
        let digits: String = text.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(CustomerQuery::LastFour(digits));
        }
        if text.chars().any(|c| c.is_ascii_digit() || c == '+' || ('\u{FF10}'..='\u{FF19}').contains(&c)) {
            return Phone::parse(text).map(CustomerQuery::Full).map_err(|_| QUERY_HELP);
        }
        let name = crate::domain::name::visible_text(text).map_err(|_| QUERY_HELP)?;
        if name.chars().count() > 40 {
            return Err(QUERY_HELP);
        }
        Ok(CustomerQuery::Name(name))
    }

    fn keeps(&self, phone: &CustomerPhone) -> bool {
        match self {
            CustomerQuery::Full(p) => phone.matches_full(p),
            CustomerQuery::Masked(m) => phone.matches(&CustomerPhone::Masked(*m)),
            CustomerQuery::LastFour(_) | CustomerQuery::Name(_) => true,
        }
    }
}

/// One customer (one phone, full or masked) found by a search.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundCustomer {
    /// Shown masked, always.
    pub phone: CustomerPhone,
    /// The names it was seen with (at most three).
    pub names: Vec<String>,
    pub visits: u32,
    pub reports: u32,
    pub history: u32,
    /// The latest instant it was seen (as stored) and as unix seconds.
    pub last_seen: String,
    pub last_seen_unix: i64,
    /// Its customer group, if any.
    pub group: Option<i64>,
    /// A row holding the full number, to link it by; `None` when only a
    /// masked number (隐号报备) is known.
    pub link_ref: Option<CustomerRef>,
}

/// A visit of a customer: a visit record, or a visit of the developer's
/// own history (imported 来访登记).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerVisit {
    /// The record number; `None` for a history visit.
    pub seq: Option<i64>,
    /// As stored (RFC 3339).
    pub at: String,
    pub at_unix: i64,
    pub agency: String,
    /// `valid`, `invalid`, or empty for a history visit.
    pub verdict: String,
    pub customer_name: String,
    pub phone: CustomerPhone,
    /// Where a history visit came from (its import's source).
    pub source: String,
    /// The record was voided by an amendment (作废): no visit before.
    pub voided: bool,
}

/// The rows a search reads per source.
const SEARCH_ROWS: u32 = 200;

struct Source {
    table: &'static str,
    id: &'static str,
    phone: &'static str,
    name: &'static str,
    at: &'static str,
    unix: &'static str,
    extra: &'static str,
    make_ref: fn(i64) -> CustomerRef,
}

const SOURCES: [Source; 3] = [
    Source {
        table: "visit_index",
        id: "seq",
        phone: "phone",
        name: "customer_name",
        at: "arrived_at",
        unix: "arrived_unix",
        extra: "",
        make_ref: CustomerRef::Record,
    },
    Source {
        table: "reports",
        id: "id",
        phone: "customer_phone",
        name: "customer_name",
        at: "filed_at",
        unix: "filed_unix",
        extra: "",
        make_ref: CustomerRef::Report,
    },
    Source {
        table: "history",
        id: "id",
        phone: "phone",
        name: "coalesce(customer_name, '')",
        at: "at",
        unix: "at_unix",
        // The kiosk's own visits are in the history too: they are listed
        // as visit records already.
        extra: " AND source NOT LIKE 'kiosk:%'",
        make_ref: CustomerRef::History,
    },
];

impl Store {
    /// The phone and name of the row a customer was found in, within
    /// `project_id` (a row of another project is not found).
    pub fn customer_by_ref(&self, project_id: &str, found: CustomerRef) -> StoreResult<(CustomerPhone, String)> {
        let (sql, id) = match found {
            CustomerRef::Record(n) => {
                ("SELECT phone, customer_name FROM visit_index WHERE seq = ?1 AND project_id = ?2", n)
            }
            CustomerRef::Report(n) => {
                ("SELECT customer_phone, customer_name FROM reports WHERE id = ?1 AND project_id = ?2", n)
            }
            CustomerRef::History(n) => {
                ("SELECT phone, coalesce(customer_name, '') FROM history WHERE id = ?1 AND project_id = ?2", n)
            }
        };
        let row: Option<(String, String)> =
            self.conn.query_row(sql, params![id, project_id], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
        let (phone, name) = row.ok_or_else(|| StoreError::NotFound(found.to_string()))?;
        let phone = CustomerPhone::parse(&phone, true)
            .map_err(|_| StoreError::Corrupt(format!("{found}: the stored phone does not parse")))?;
        Ok((phone, name))
    }

    /// The project of a visit record (from the visits index).
    pub fn record_project(&self, seq: i64) -> StoreResult<String> {
        self.conn
            .query_row("SELECT project_id FROM visit_index WHERE seq = ?1", [seq], |r| r.get(0))
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("record {seq}")))
    }

    /// Customers of the project matching `query` in its visit records,
    /// reports and visit history: one per phone, most recently seen first.
    pub fn search_customers(
        &self,
        project_id: &str,
        query: &CustomerQuery,
        limit: usize,
    ) -> StoreResult<Vec<FoundCustomer>> {
        let (cond, mut args): (String, Vec<String>) = match query {
            CustomerQuery::Full(p) => {
                let m = p.masked();
                ("phone_head = ?2 AND phone_tail = ?3".into(), vec![m.head().to_owned(), m.tail().to_owned()])
            }
            CustomerQuery::Masked(m) => {
                ("phone_head = ?2 AND phone_tail = ?3".into(), vec![m.head().to_owned(), m.tail().to_owned()])
            }
            CustomerQuery::LastFour(t) => ("phone_tail = ?2".into(), vec![t.clone()]),
            CustomerQuery::Name(n) => {
                ("{name} LIKE ?2 ESCAPE '\\'".into(), vec![format!("%{}%", super::super::audit::like_literal(n))])
            }
        };
        args.insert(0, project_id.to_owned());
        let mut found: HashMap<String, FoundCustomer> = HashMap::new();
        for (kind, source) in SOURCES.iter().enumerate() {
            let cond = cond.replace("{name}", source.name);
            let sql = format!(
                "SELECT {id}, {phone}, {name}, {at}, {unix} FROM {table} WHERE project_id = ?1 AND {cond}{extra}
                 ORDER BY {id} DESC LIMIT {limit}",
                id = source.id,
                phone = source.phone,
                name = source.name,
                at = source.at,
                unix = source.unix,
                table = source.table,
                extra = source.extra,
                limit = SEARCH_ROWS,
            );
            let mut stmt = self.conn.prepare(&sql)?;
            let rows = stmt.query_map(rusqlite::params_from_iter(args.iter()), |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })?;
            for row in rows {
                let (id, phone, name, at, unix) = row?;
                let Ok(phone) = CustomerPhone::parse(&phone, true) else { continue };
                if !query.keeps(&phone) {
                    continue;
                }
                let entry = found.entry(phone.to_stored()).or_insert_with(|| FoundCustomer {
                    phone,
                    names: Vec::new(),
                    visits: 0,
                    reports: 0,
                    history: 0,
                    last_seen: String::new(),
                    last_seen_unix: i64::MIN,
                    group: None,
                    link_ref: None,
                });
                let name = name.trim().to_owned();
                if !name.is_empty() && entry.names.len() < 3 && !entry.names.contains(&name) {
                    entry.names.push(name);
                }
                match kind {
                    0 => entry.visits += 1,
                    1 => entry.reports += 1,
                    _ => entry.history += 1,
                }
                if unix > entry.last_seen_unix {
                    entry.last_seen_unix = unix;
                    entry.last_seen = at;
                }
                if entry.link_ref.is_none() && matches!(phone, CustomerPhone::Full(_)) {
                    entry.link_ref = Some((source.make_ref)(id));
                }
            }
        }
        let mut customers: Vec<FoundCustomer> = found.into_values().collect();
        customers.sort_by(|a, b| {
            b.last_seen_unix.cmp(&a.last_seen_unix).then_with(|| a.phone.to_stored().cmp(&b.phone.to_stored()))
        });
        customers.truncate(limit);
        for c in &mut customers {
            if let CustomerPhone::Full(p) = c.phone {
                c.group = group_of_in(&self.conn, project_id, p.as_str())?;
            }
        }
        Ok(customers)
    }

    /// The visits of these phones in the project, newest first: visit
    /// records, and the visits of the developer's history that the kiosk
    /// did not record (imports).
    pub fn customer_visits(&self, project_id: &str, phones: &[Phone], limit: usize) -> StoreResult<Vec<CustomerVisit>> {
        let mut visits: Vec<CustomerVisit> = Vec::new();
        let mut records = self.conn.prepare_cached(
            "SELECT seq, arrived_at, arrived_unix, agency, verdict, customer_name, phone, voided FROM visit_index
             WHERE project_id = ?1 AND phone_head = ?2 AND phone_tail = ?3 ORDER BY seq DESC LIMIT ?4",
        )?;
        let mut history = self.conn.prepare_cached(
            "SELECT at, at_unix, coalesce(agency, ''), coalesce(customer_name, ''), phone, source FROM history
             WHERE project_id = ?1 AND phone_head = ?2 AND phone_tail = ?3 AND source NOT LIKE 'kiosk:%'
             ORDER BY at_unix DESC LIMIT ?4",
        )?;
        let mut seen_records = BTreeSet::new();
        for wanted in phones {
            let m = wanted.masked();
            let rows = records.query_map(params![project_id, m.head(), m.tail(), limit as i64], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, bool>(7)?,
                ))
            })?;
            for row in rows {
                let (seq, at, at_unix, agency, verdict, customer_name, phone, voided) = row?;
                let Ok(phone) = CustomerPhone::parse(&phone, true) else { continue };
                if phone.matches_full(wanted) && seen_records.insert(seq) {
                    visits.push(CustomerVisit {
                        seq: Some(seq),
                        at,
                        at_unix,
                        agency,
                        verdict,
                        customer_name,
                        phone,
                        source: String::new(),
                        voided,
                    });
                }
            }
            let rows = history.query_map(params![project_id, m.head(), m.tail(), limit as i64], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                ))
            })?;
            for row in rows {
                let (at, at_unix, agency, customer_name, phone, source) = row?;
                let Ok(phone) = CustomerPhone::parse(&phone, true) else { continue };
                let duplicate = visits.iter().any(|v| v.seq.is_none() && v.at_unix == at_unix && v.phone == phone);
                if phone.matches_full(wanted) && !duplicate {
                    visits.push(CustomerVisit {
                        seq: None,
                        at,
                        at_unix,
                        agency,
                        verdict: String::new(),
                        customer_name,
                        phone,
                        source,
                        voided: false,
                    });
                }
            }
        }
        visits.sort_by_key(|v| std::cmp::Reverse(v.at_unix));
        visits.truncate(limit);
        Ok(visits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_reads_full_masked_last_four_or_a_name() {
        assert!(matches!(CustomerQuery::parse("138 1234 5678"), Ok(CustomerQuery::Full(_))));
        assert!(matches!(CustomerQuery::parse("138****5678"), Ok(CustomerQuery::Masked(_))));
        assert_eq!(CustomerQuery::parse(" 5678 "), Ok(CustomerQuery::LastFour("5678".into())));
        assert_eq!(CustomerQuery::parse("王小明"), Ok(CustomerQuery::Name("王小明".into())));
        assert!(CustomerQuery::parse("").is_err());
        assert!(CustomerQuery::parse("12345").is_err());
        assert!(CustomerQuery::parse("138**5678").is_err());
    }

    #[test]
    fn a_customer_ref_reads_back_what_it_wrote() {
        for r in [CustomerRef::Record(3), CustomerRef::Report(12), CustomerRef::History(7)] {
            assert_eq!(CustomerRef::parse(&r.to_string()), Some(r));
        }
        assert_eq!(CustomerRef::parse("record:0"), None);
        assert_eq!(CustomerRef::parse("phone:13812345678"), None);
        assert_eq!(CustomerRef::parse("record:x"), None);
    }
}
