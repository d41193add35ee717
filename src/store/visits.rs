//! The visits ledger as a list (台账) for the back office: filtered and
//! paged by record number (newest first, keyset paging: a page costs the
//! same on the millionth record as on the first), from `visit_index`.

use super::{Store, StoreResult};
use crate::wire::record::RecordBody;
use rusqlite::{Connection, ToSql, params};

/// One visit as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitRow {
    pub seq: i64,
    pub project_id: String,
    /// Local RFC 3339, as recorded.
    pub arrived_at: String,
    pub agency: String,
    pub agent: String,
    /// `valid` or `invalid`.
    pub verdict: String,
    /// Reason codes, comma-separated.
    pub reasons: String,
    pub off_hours: bool,
    pub sales: String,
    pub customer_name: String,
    /// The full phone; pages and exports show it masked.
    pub phone: String,
    pub kiosk_id: Option<i64>,
    /// An amendment voided the visit (作废).
    pub voided: bool,
    /// At least one amendment points at the record.
    pub amended: bool,
}

/// What to list. Every field narrows; `None` / empty: no condition.
#[derive(Debug, Clone, Default)]
pub struct VisitFilter {
    /// The projects the viewer may see; `None`: every project (an admin).
    pub project: Option<String>,
    pub from_unix: Option<i64>,
    pub to_unix: Option<i64>,
    /// Part of the agency's name.
    pub agency: Option<String>,
    /// Part of the agent's name.
    pub agent: Option<String>,
    /// Part of the sales consultant's name.
    pub sales: Option<String>,
    pub kiosk_id: Option<i64>,
    /// `Some(true)`: only voided visits; `Some(false)`: only those that count.
    pub voided: Option<bool>,
    pub verdict: Option<String>,
    pub reason: Option<String>,
    pub off_hours: Option<bool>,
    /// A full phone, a masked one (138****5678), or its last four digits.
    pub phone: Option<String>,
    /// Part of the customer's name.
    pub name: Option<String>,
}

/// Writes the index row of a visit record, in the record's transaction.
pub(crate) fn index_visit_in(tx: &Connection, seq: i64, project_id: &str, body: &RecordBody) -> StoreResult<()> {
    let arrived = body.arrival_at();
    let phone = body.customer_phone();
    let (head, tail) = (phone.get(..3).unwrap_or(""), phone.get(phone.len().saturating_sub(4)..).unwrap_or(""));
    let reasons: Vec<&str> = body.verdict.reasons.iter().map(|r| r.code()).collect();
    tx.prepare_cached(
        "INSERT OR IGNORE INTO visit_index (seq, project_id, arrived_at, arrived_unix, agency, agent, verdict, reasons,
            off_hours, sales, kiosk_id, customer_name, phone, phone_head, phone_tail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?
    .execute(params![
        seq,
        project_id,
        arrived.map(|t| t.to_rfc3339()).unwrap_or_default(),
        arrived.map(|t| t.timestamp()).unwrap_or(0),
        body.agency(),
        body.agent(),
        body.verdict.verdict.code(),
        reasons.join(","),
        body.verdict.off_hours,
        body.sales_consultant.as_ref().map(|s| s.name.as_str()).unwrap_or(""),
        body.kiosk_id,
        body.customer_name(),
        phone,
        head,
        tail,
    ])?;
    Ok(())
}

impl Store {
    /// Indexes the visit records the index does not have yet (records from
    /// before schema 9). Run at start-up; a no-op once caught up.
    pub fn catch_up_visit_index(&mut self) -> StoreResult<usize> {
        let missing: Vec<(i64, String)> = {
            let mut stmt = self.conn.prepare(
                "SELECT seq, project_id FROM ledger WHERE kind = 'visit'
                 AND seq > (SELECT coalesce(max(seq), 0) FROM visit_index) ORDER BY seq",
            )?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?
        };
        if missing.is_empty() {
            return Ok(0);
        }
        let tx = super::WriteTx::begin(&mut self.conn)?;
        for (seq, project) in &missing {
            let row = tx.query_row(
                &format!("SELECT {} FROM ledger WHERE seq = ?1", super::ledger::ROW_COLUMNS),
                [seq],
                super::ledger::read_row,
            )?;
            index_visit_in(&tx, *seq, project, &row.visit_body()?)?;
        }
        super::amendments::refresh_all_in(&tx)?;
        tx.commit()?;
        Ok(missing.len())
    }

    /// A page of visits, newest first, with record numbers below `before`.
    pub fn visits(&self, filter: &VisitFilter, before: Option<i64>, limit: u32) -> StoreResult<Vec<VisitRow>> {
        let mut sql = String::from(
            "SELECT seq, project_id, arrived_at, agency, agent, verdict, reasons, off_hours, sales, customer_name, phone,
                    kiosk_id, voided, amended
             FROM visit_index WHERE 1 = 1",
        );
        let mut args: Vec<Box<dyn ToSql>> = Vec::new();
        let mut cond = |sql_part: &str, value: Box<dyn ToSql>| {
            sql.push_str(sql_part);
            args.push(value);
        };
        if let Some(p) = &filter.project {
            cond(" AND project_id = ?", Box::new(p.clone()));
        }
        if let Some(b) = before {
            cond(" AND seq < ?", Box::new(b));
        }
        if let Some(f) = filter.from_unix {
            cond(" AND arrived_unix >= ?", Box::new(f));
        }
        if let Some(t) = filter.to_unix {
            cond(" AND arrived_unix < ?", Box::new(t));
        }

        for (column, part) in [("agency", &filter.agency), ("agent", &filter.agent), ("sales", &filter.sales)] {
            if let Some(n) = part.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
                let escaped = super::audit::like_literal(n);
                cond(&format!(" AND {column} LIKE ? ESCAPE '\\'"), Box::new(format!("%{escaped}%")));
            }
        }
        if let Some(k) = filter.kiosk_id {
            cond(" AND kiosk_id = ?", Box::new(k));
        }
        if let Some(v) = filter.voided {
            cond(" AND voided = ?", Box::new(v));
        }
        if let Some(v) = filter.verdict.as_deref().filter(|v| !v.is_empty()) {
            cond(" AND verdict = ?", Box::new(v.to_owned()));
        }
        if let Some(r) = filter.reason.as_deref().filter(|r| !r.is_empty()) {
            cond(" AND (',' || reasons || ',') LIKE ?", Box::new(format!("%,{r},%")));
        }
        if let Some(o) = filter.off_hours {
            cond(" AND off_hours = ?", Box::new(o));
        }
        if let Some(n) = filter.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
            let escaped = super::audit::like_literal(n);
            cond(" AND customer_name LIKE ? ESCAPE '\\'", Box::new(format!("%{escaped}%")));
        }
        if let Some(p) = filter.phone.as_deref().map(|p| p.trim().replace([' ', '-'], "")).filter(|p| !p.is_empty()) {
            match (p.len(), p.find('*')) {
                (11, None) if p.bytes().all(|b| b.is_ascii_digit()) => {
                    // Head and tail first: the (project, head, tail) index finds them.
                    cond(" AND phone_head = ?", Box::new(p[..3].to_owned()));
                    cond(" AND phone_tail = ?", Box::new(p[7..].to_owned()));
                    cond(" AND phone = ?", Box::new(p));
                }
                (_, Some(_)) => {
                    let head: String = p.chars().take_while(char::is_ascii_digit).collect();
                    let tail: String = p
                        .chars()
                        .rev()
                        .take_while(char::is_ascii_digit)
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .collect();
                    if head.len() == 3 && tail.len() == 4 {
                        cond(" AND phone_head = ?", Box::new(head));
                        cond(" AND phone_tail = ?", Box::new(tail));
                    } else {
                        cond(" AND phone LIKE ?", Box::new(format!("{head}%")));
                        cond(" AND phone LIKE ?", Box::new(format!("%{tail}")));
                    }
                }
                // The last four digits: the (project, tail) index.
                (4, None) if p.bytes().all(|b| b.is_ascii_digit()) => cond(" AND phone_tail = ?", Box::new(p)),
                _ => cond(" AND phone LIKE ?", Box::new(format!("%{p}"))),
            }
        }
        sql.push_str(" ORDER BY seq DESC LIMIT ?");
        args.push(Box::new(limit));
        let mut stmt = self.conn.prepare(&sql)?;
        let refs: Vec<&dyn ToSql> = args.iter().map(|a| a.as_ref()).collect();
        let rows = stmt.query_map(refs.as_slice(), |r| {
            Ok(VisitRow {
                seq: r.get(0)?,
                project_id: r.get(1)?,
                arrived_at: r.get(2)?,
                agency: r.get(3)?,
                agent: r.get(4)?,
                verdict: r.get(5)?,
                reasons: r.get(6)?,
                off_hours: r.get(7)?,
                sales: r.get(8)?,
                customer_name: r.get(9)?,
                phone: r.get(10)?,
                kiosk_id: r.get(11)?,
                voided: r.get(12)?,
                amended: r.get(13)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// One agency's funnel over a period: reports filed, of those the ones that
/// led to a visit, and to a valid one (报备 → 到访 → 有效).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunnelRow {
    pub agency: String,
    pub reported: i64,
    pub arrived: i64,
    pub valid: i64,
}

impl Store {
    /// The funnel per agency of the reports filed in `[from, to)` (unix
    /// seconds), in `project` (every project when `None`), most reports first.
    pub fn agency_funnel(&self, project: Option<&str>, from_unix: i64, to_unix: i64) -> StoreResult<Vec<FunnelRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT a.name, count(*),
                    sum(r.status IN ('visited-valid', 'visited-invalid') AND r.voided_by IS NULL),
                    sum(r.status = 'visited-valid' AND r.voided_by IS NULL)
             FROM reports r JOIN agencies a ON a.id = r.agency_id
             WHERE (?1 IS NULL OR r.project_id = ?1) AND r.filed_unix >= ?2 AND r.filed_unix < ?3
             GROUP BY a.id ORDER BY count(*) DESC, a.name",
        )?;
        let rows = stmt.query_map(params![project, from_unix, to_unix], |r| {
            Ok(FunnelRow { agency: r.get(0)?, reported: r.get(1)?, arrived: r.get(2)?, valid: r.get(3)? })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
