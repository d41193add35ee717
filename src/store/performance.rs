//! Channel performance (渠道业绩) and the deals behind the settlement
//! statement (结佣对账单), read straight from the tables: reports and their
//! first reads, the visit index, and the attribution in force per
//! subscription (`attributions`, kept by the deals service).
//!
//! Every figure is a GROUP BY over indexed columns, so a month of a project
//! costs the same with a million visits behind it as with a thousand:
//!
//! - reports: `(project_id, filed_unix)` range, per agency and local day
//!   (the index `reports_by_project_filed` on `reports (project_id,
//!   filed_unix, agency_id)` makes this a covering range scan — without it
//!   SQLite reads the project's reports through another index);
//! - first reads: a primary-key look-up per report of the range;
//! - valid visits: `visit_index_arrived (project_id, arrived_unix)`;
//! - subscriptions and deals: `attributions_by_agency (project_id, …)`,
//!   and for the second agency of a deal a ruling shared
//!   `attributions_by_co_agency (project_id, co_agency_id, …)`;
//! - disputes: `disputes_by_project`, or for one agency
//!   `disputes_by_claimant` and `disputes_by_respondent`.
//!
//! Reports and first reads count by filing time (the arrival rate of the
//! reports filed in the period, as the funnel counts them); valid visits by
//! arrival time; subscriptions and deals by subscription time; disputes by
//! the time they were opened. A cancelled subscription (退订) counts
//! nowhere.
//!
//! A deal a dispute's ruling shared (争议裁决分成: the attribution's agency
//! holds `share_percent`, its co agency `co_percent`) counts for both
//! agencies: one subscription and one deal each (the seeds: 佣金甲乙各50%),
//! and each agency's amount is its share of the price (`share_of`).

use super::{Store, StoreError, StoreResult};
use chrono::{NaiveDate, TimeZone};
use rusqlite::{OptionalExtension, Row, params};
use std::collections::{BTreeMap, HashMap};

/// The seeds' daily rule: an agency that filed at least this many reports
/// on one local day …
pub const DAILY_RULE_MIN_REPORTS: i64 = 10;
/// … of which fewer than this share (percent) arrived, has that day's
/// disputed reports treated as void (当日报备10组以上考核到访率不足50%,
/// 当日报备客户遇有争议时作无效处理).
pub const DAILY_RULE_MIN_ARRIVAL_PERCENT: i64 = 50;

/// An agency's share of an amount in fen: `fen × percent / 100`, rounded
/// half up (in i128: no overflow at any price). The SQL of
/// `channel_performance` computes the same, `(fen × percent + 50) / 100`.
pub fn share_of(fen: i64, percent: i64) -> i64 {
    if percent == 100 {
        return fen;
    }
    let scaled = i128::from(fen) * i128::from(percent);
    let shared = if scaled >= 0 { (scaled + 50) / 100 } else { (scaled - 50) / 100 };
    i64::try_from(shared).unwrap_or(if shared > 0 { i64::MAX } else { i64::MIN })
}

/// Is a day of `reports` reports with `arrived` first reads flagged by the
/// daily rule?
pub fn daily_rule_flags(reports: i64, arrived: i64) -> bool {
    reports >= DAILY_RULE_MIN_REPORTS && arrived * 100 < reports * DAILY_RULE_MIN_ARRIVAL_PERCENT
}

/// One local day of a period: `[start_unix, end_unix)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day {
    pub date: NaiveDate,
    pub start_unix: i64,
    pub end_unix: i64,
}

/// The start of local day `day` in `tz`, as unix seconds (a day whose
/// midnight does not exist starts at the first instant that does).
pub fn local_midnight(tz: chrono_tz::Tz, day: NaiveDate) -> i64 {
    let Some(naive) = day.and_hms_opt(0, 0, 0) else { return 0 };
    tz.from_local_datetime(&naive)
        .earliest()
        .or_else(|| tz.from_local_datetime(&(naive + chrono::Duration::hours(1))).earliest())
        .map(|t| t.timestamp())
        .unwrap_or_else(|| naive.and_utc().timestamp())
}

/// The local days `from ..= to` in `tz` (empty when `to` is before `from`).
pub fn local_days(tz: chrono_tz::Tz, from: NaiveDate, to: NaiveDate) -> Vec<Day> {
    let mut days = Vec::new();
    let mut date = from;
    let mut start = local_midnight(tz, date);
    while date <= to {
        let Some(next) = date.succ_opt() else { break };
        let end = local_midnight(tz, next);
        days.push(Day { date, start_unix: start, end_unix: end });
        date = next;
        start = end;
    }
    days
}

/// One agency's figures over a period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgencyPerformance {
    /// `None`: a name in visit records or attributions that no agency row
    /// has (an agency renamed since, say).
    pub agency_id: Option<i64>,
    pub agency: String,
    /// Reports filed in the period (报备).
    pub reports: i64,
    /// Of those, the ones whose code was read at a kiosk (到访, first reads).
    pub first_reads: i64,
    /// Valid visits that arrived in the period and are not voided (有效带看).
    pub valid_visits: i64,
    /// Subscriptions of the period attributed to the agency, channel
    /// performance or not (认购), not cancelled; a deal a ruling shared
    /// counts for each of its agencies.
    pub subscriptions: i64,
    /// Of those, the channel-performance deals (渠道业绩成交).
    pub deals: i64,
    /// Their amount, in fen: each deal's price, or the agency's share of
    /// it where a ruling shared the deal.
    pub deal_amount_fen: i64,
    /// Disputes (争议) opened in the period in which the agency is the
    /// claimant or the respondent, whatever became of them since.
    pub disputed: i64,
}

impl AgencyPerformance {
    /// 到访率: first reads / reports.
    pub fn arrival_rate(&self) -> Option<f64> {
        (self.reports > 0).then(|| self.first_reads as f64 / self.reports as f64)
    }

    /// 转化率: channel-performance deals / valid visits.
    pub fn conversion(&self) -> Option<f64> {
        (self.valid_visits > 0).then(|| self.deals as f64 / self.valid_visits as f64)
    }

    fn is_empty(&self) -> bool {
        self.reports == 0
            && self.first_reads == 0
            && self.valid_visits == 0
            && self.subscriptions == 0
            && self.deals == 0
            && self.disputed == 0
    }
}

/// A day the daily rule flags for an agency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyFlag {
    pub agency_id: i64,
    pub agency: String,
    pub date: NaiveDate,
    pub reports: i64,
    pub first_reads: i64,
}

/// A project's channel performance over a period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Performance {
    /// Most reports first, then most deals, then by name.
    pub rows: Vec<AgencyPerformance>,
    /// By day, then agency.
    pub flags: Vec<DailyFlag>,
}

impl Performance {
    /// The sum of every row (the totals line).
    pub fn totals(&self) -> AgencyPerformance {
        let mut t = AgencyPerformance { agency: "合计".into(), ..AgencyPerformance::default() };
        for r in &self.rows {
            t.reports += r.reports;
            t.first_reads += r.first_reads;
            t.valid_visits += r.valid_visits;
            t.subscriptions += r.subscriptions;
            t.deals += r.deals;
            t.deal_amount_fen += r.deal_amount_fen;
            t.disputed += r.disputed;
        }
        t
    }
}

/// An agency as the aggregates name it: by id, or by a name no agency row has.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Id(i64),
    Name(String),
}

/// The SQL giving a report's day key, and each day's key. Where every day
/// of the period is 24 hours long (no offset change inside it, as in
/// China), the key is plain arithmetic on the local day number; otherwise
/// a CASE over the days' ends (still one pass, a little slower).
fn day_keys(days: &[Day], column: &str) -> (String, Vec<i64>) {
    let uniform = days.iter().all(|d| d.end_unix - d.start_unix == 86_400);
    match days.first() {
        Some(first) if uniform => {
            // Shift so that local midnights fall on multiples of a day.
            let shift = (86_400 - first.start_unix.rem_euclid(86_400)) % 86_400;
            let keys = days.iter().map(|d| (d.start_unix + shift).div_euclid(86_400)).collect();
            (format!("(({column} + {shift}) / 86400)"), keys)
        }
        _ => {
            let mut sql = String::from("(CASE");
            for (i, d) in days.iter().enumerate() {
                sql.push_str(&format!(" WHEN {column} < {} THEN {i}", d.end_unix));
            }
            sql.push_str(" ELSE -1 END)");
            (sql, (0..days.len() as i64).collect())
        }
    }
}

/// Disputes opened in `[?2, ?3)` (UTC stamps, as `opened_at` is kept) per
/// agency that is their claimant or respondent (an agency is never both
/// in one dispute).
const DISPUTED: &str = "SELECT agency_id, count(*) FROM (
        SELECT claimant_agency_id AS agency_id FROM disputes
        WHERE project_id = ?1 AND opened_at >= ?2 AND opened_at < ?3 AND claimant_agency_id IS NOT NULL
        UNION ALL
        SELECT respondent_agency_id FROM disputes
        WHERE project_id = ?1 AND opened_at >= ?2 AND opened_at < ?3 AND respondent_agency_id IS NOT NULL
     )
     GROUP BY agency_id";

/// The same for agency `?4` alone, through the claimant's and the
/// respondent's index.
const DISPUTED_OF_AGENCY: &str = "SELECT ?4,
        (SELECT count(*) FROM disputes
         WHERE claimant_agency_id = ?4 AND project_id = ?1 AND opened_at >= ?2 AND opened_at < ?3)
      + (SELECT count(*) FROM disputes
         WHERE respondent_agency_id = ?4 AND project_id = ?1 AND opened_at >= ?2 AND opened_at < ?3)";

fn read_disputed(r: &Row<'_>) -> rusqlite::Result<(i64, i64)> {
    Ok((r.get(0)?, r.get(1)?))
}

/// A unix instant as the UTC stamp the dispute rows keep (`crate::time::stamp`),
/// which orders as text.
fn stamp_of(unix: i64) -> String {
    crate::time::stamp(chrono::DateTime::from_timestamp(unix, 0).unwrap_or_default())
}

impl Store {
    /// The channel performance of `project` over `days` (consecutive local
    /// days, see `local_days`), per agency, with the daily-rule flags.
    /// `agency`: only that agency (its id; its name is looked up), as the
    /// agency's own pages show it.
    pub fn channel_performance(&self, project: &str, days: &[Day], agency: Option<i64>) -> StoreResult<Performance> {
        let (Some(first), Some(last)) = (days.first(), days.last()) else { return Ok(Performance::default()) };
        let (from_unix, to_unix) = (first.start_unix, last.end_unix);

        let mut names: HashMap<i64, String> = HashMap::new();
        let mut ids: HashMap<String, i64> = HashMap::new();
        {
            let mut stmt = self.conn.prepare_cached("SELECT id, name FROM agencies")?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
            for row in rows {
                let (id, name) = row?;
                ids.insert(name.clone(), id);
                names.insert(id, name);
            }
        }
        let agency_name: Option<String> = match agency {
            Some(id) => Some(names.get(&id).cloned().ok_or_else(|| StoreError::NotFound(format!("agency {id}")))?),
            None => None,
        };
        let key_of = |id: Option<i64>, name: &str| match id {
            Some(id) => Key::Id(id),
            None => ids.get(name).map(|id| Key::Id(*id)).unwrap_or_else(|| Key::Name(name.to_owned())),
        };
        let mut table: BTreeMap<Key, AgencyPerformance> = BTreeMap::new();

        // Reports and their first reads, per local day and agency.
        let (day_sql, keys) = day_keys(days, "r.filed_unix");
        let date_of: HashMap<i64, NaiveDate> = keys.iter().copied().zip(days.iter().map(|d| d.date)).collect();
        let sql = format!(
            "SELECT {day_sql} AS day, r.agency_id, count(*), count(f.report_id)
             FROM reports r LEFT JOIN first_reads f ON f.report_id = r.id
             WHERE r.project_id = ?1 AND r.filed_unix >= ?2 AND r.filed_unix < ?3
               AND (?4 IS NULL OR r.agency_id = ?4)
             GROUP BY day, r.agency_id"
        );
        let mut flags = Vec::new();
        {
            let mut stmt = self.conn.prepare(&sql)?;
            let rows = stmt.query_map(params![project, from_unix, to_unix, agency], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?, r.get::<_, i64>(3)?))
            })?;
            for row in rows {
                let (day, agency_id, reports, first_reads) = row?;
                let entry = table.entry(Key::Id(agency_id)).or_default();
                entry.agency_id = Some(agency_id);
                entry.reports += reports;
                entry.first_reads += first_reads;
                if let Some(date) = date_of.get(&day).filter(|_| daily_rule_flags(reports, first_reads)) {
                    flags.push(DailyFlag {
                        agency_id,
                        agency: names.get(&agency_id).cloned().unwrap_or_default(),
                        date: *date,
                        reports,
                        first_reads,
                    });
                }
            }
        }

        // Valid visits (not voided) by the agency named in the record.
        {
            let mut stmt = self.conn.prepare_cached(
                "SELECT agency, count(*) FROM visit_index
                 WHERE project_id = ?1 AND arrived_unix >= ?2 AND arrived_unix < ?3
                   AND verdict = 'valid' AND voided = 0 AND agency <> ''
                   AND (?4 IS NULL OR agency = ?4)
                 GROUP BY agency",
            )?;
            let rows = stmt.query_map(params![project, from_unix, to_unix, agency_name], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })?;
            for row in rows {
                let (name, n) = row?;
                let key = key_of(None, &name);
                let entry = table.entry(key.clone()).or_default();
                if let Key::Id(id) = key {
                    entry.agency_id = Some(id);
                }
                if entry.agency.is_empty() {
                    entry.agency = name;
                }
                entry.valid_visits += n;
            }
        }

        // Subscriptions attributed to an agency, and the channel-performance
        // deals: the attribution's agency with its share, and the co agency
        // of a deal a ruling shared with its own.
        {
            let mut stmt = self.conn.prepare_cached(
                "SELECT agency_id, agency, count(*), coalesce(sum(performance <> 0), 0),
                        coalesce(sum(CASE WHEN performance <> 0 THEN amount ELSE 0 END), 0)
                 FROM (
                    SELECT a.agency_id AS agency_id, coalesce(a.agency, '') AS agency,
                           a.channel_performance AS performance, (a.price_fen * a.share_percent + 50) / 100 AS amount
                    FROM attributions a JOIN subscriptions s ON s.id = a.subscription_id
                    WHERE a.project_id = ?1 AND a.subscribed_unix >= ?2 AND a.subscribed_unix < ?3
                      AND s.status <> 'cancelled'
                      AND (a.agency_id IS NOT NULL OR coalesce(a.agency, '') <> '')
                      AND (?4 IS NULL OR a.agency_id = ?4 OR (a.agency_id IS NULL AND a.agency = ?5))
                    UNION ALL
                    SELECT a.co_agency_id, coalesce(a.co_agency, ''), a.channel_performance,
                           -- the rest of the price: the two shares add up to it
                           a.price_fen - (a.price_fen * a.share_percent + 50) / 100
                    FROM attributions a JOIN subscriptions s ON s.id = a.subscription_id
                    WHERE a.project_id = ?1 AND a.co_agency_id IS NOT NULL
                      AND a.subscribed_unix >= ?2 AND a.subscribed_unix < ?3
                      AND s.status <> 'cancelled'
                      AND (?4 IS NULL OR a.co_agency_id = ?4)
                 )
                 GROUP BY agency_id, agency",
            )?;
            let rows = stmt.query_map(params![project, from_unix, to_unix, agency, agency_name], |r| {
                Ok((
                    r.get::<_, Option<i64>>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })?;
            for row in rows {
                let (id, name, subscriptions, deals, amount) = row?;
                let key = key_of(id, &name);
                let entry = table.entry(key.clone()).or_default();
                if let Key::Id(id) = key {
                    entry.agency_id = Some(id);
                }
                if entry.agency.is_empty() {
                    entry.agency = name;
                }
                entry.subscriptions += subscriptions;
                entry.deals += deals;
                entry.deal_amount_fen += amount;
            }
        }

        // Disputes opened in the period, per agency that is a party to one.
        {
            let since = stamp_of(from_unix);
            let until = stamp_of(to_unix);
            let mut stmt = self.conn.prepare_cached(match agency {
                Some(_) => DISPUTED_OF_AGENCY,
                None => DISPUTED,
            })?;
            let rows = match agency {
                Some(id) => stmt.query_map(params![project, since, until, id], read_disputed)?,
                None => stmt.query_map(params![project, since, until], read_disputed)?,
            };
            for row in rows {
                let (id, n) = row?;
                if n == 0 {
                    continue;
                }
                let entry = table.entry(Key::Id(id)).or_default();
                entry.agency_id = Some(id);
                entry.disputed += n;
            }
        }

        let mut rows: Vec<AgencyPerformance> = table
            .into_iter()
            .map(|(key, mut row)| {
                if let Key::Id(id) = key
                    && let Some(name) = names.get(&id)
                {
                    row.agency = name.clone();
                }
                row
            })
            .filter(|r| !r.is_empty())
            .collect();
        rows.sort_by(|a, b| {
            b.reports.cmp(&a.reports).then(b.deals.cmp(&a.deals)).then_with(|| a.agency.cmp(&b.agency))
        });
        flags.sort_by(|a, b| a.date.cmp(&b.date).then_with(|| a.agency.cmp(&b.agency)));
        Ok(Performance { rows, flags })
    }
}

/// A subscription with the attribution in force, and the evidence chain it
/// rests on: report → first read → visit record → deal.
///
/// A row is read for one agency of the attribution: `agency_id`, `agency`
/// and `share_percent` are that agency's, `co_*` the other side's. Where a
/// dispute's ruling shared the deal, the second agency's row has the two
/// sides swapped (`co_side`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealRow {
    pub subscription_id: i64,
    pub project_id: String,
    pub customer_name: String,
    /// 前三后四 (138****5678): a deal row never carries the full number.
    pub masked_phone: String,
    /// 房号
    pub unit: String,
    pub product: String,
    /// The price the attribution was made on, in fen.
    pub price_fen: i64,
    /// RFC 3339, as entered.
    pub subscribed_at: String,
    pub subscribed_unix: i64,
    /// `subscribed`, `contracted` or `cancelled`.
    pub status: String,
    pub contracted_at: Option<String>,
    pub sales_staff_id: Option<i64>,
    pub sales_name: String,
    pub channel_performance: bool,
    /// Reason codes, comma-separated (empty for channel performance).
    pub reasons: String,
    pub agency_id: Option<i64>,
    /// The agency holding the deal: the covering visit's, or the one a
    /// ruling gave it to ("" when none).
    pub agency: String,
    /// The ledger entry of the attribution in force.
    pub attribution_seq: i64,
    /// The covering visit's record, when it is one of panke's.
    pub visit_seq: Option<i64>,
    /// The covering visit's instant as the attribution names it.
    pub visit_at: Option<String>,
    /// From the visit index: the record's arrival, verdict, voided, agent.
    pub arrived_at: Option<String>,
    pub verdict: Option<String>,
    pub visit_voided: bool,
    pub agent: Option<String>,
    /// The report the visit was recorded for, its filing and first read.
    pub report_id: Option<i64>,
    pub filed_at: Option<String>,
    pub first_read_at: Option<String>,
    /// The channel's live confirmation sheet (渠道成交客户确认单), once
    /// initiated (a sheet superseded by a later one is not this).
    pub confirmation_id: Option<i64>,
    /// The agency that initiated that live sheet: after a ruling moved the
    /// deal it may be another agency than this row's.
    pub confirmation_agency_id: Option<i64>,
    /// The agency's share of the deal in percent (100 unless a ruling
    /// shared it).
    pub share_percent: i64,
    /// The other side of a shared deal: its agency (`None` for the site
    /// itself, 现场) and its share (0 when the deal is not shared).
    pub co_agency: Option<String>,
    pub co_agency_id: Option<i64>,
    pub co_percent: i64,
    /// The dispute whose ruling decided who holds the deal.
    pub dispute_id: Option<i64>,
    /// The row is the second agency's of a shared deal (the ruling's
    /// respondent): the confirmation sheet is the first agency's to
    /// initiate.
    pub co_side: bool,
    /// The agency whose report the covering visit was recorded for (the
    /// rules' result, `visit_seq`): after a ruling moved or shared the
    /// deal, possibly not the agency holding it. For a visit that is not
    /// one of panke's records, the attribution's agency while no ruling
    /// decided; `None` when unknown (a walk-in, an imported visit under a
    /// ruling) — never the viewer's then.
    pub visit_agency_id: Option<i64>,
}

impl DealRow {
    /// Is the covering visit agency `agency_id`'s own? An agency's pages
    /// show the visit's evidence chain (agent, report, visit record, times,
    /// receipt) only then: a ruling may hold the deal for an agency whose
    /// customer another agency brought.
    pub fn visit_is_of(&self, agency_id: i64) -> bool {
        self.visit_agency_id == Some(agency_id)
    }

    /// Is the live confirmation sheet agency `agency_id`'s own?
    pub fn confirmation_is_of(&self, agency_id: i64) -> bool {
        self.confirmation_id.is_some() && self.confirmation_agency_id == Some(agency_id)
    }

    /// This side's part of an amount of the whole deal (its price or its
    /// commission): the first agency's share rounded half up, the second
    /// agency's the rest — so the two parts always add up to the whole.
    pub fn share_amount(&self, whole_fen: i64) -> i64 {
        if self.co_side {
            whole_fen - share_of(whole_fen, self.co_percent)
        } else {
            share_of(whole_fen, self.share_percent)
        }
    }
}

/// The deal columns, read for one side of the attribution: `co` is an SQL
/// expression, true where the row is read for the co agency of a deal a
/// ruling shared (its agency, share and other side are swapped).
pub(crate) fn deal_select(co: &str) -> String {
    format!(
        "SELECT s.id AS subscription_id, s.project_id, s.customer_name, s.phone_head, s.phone_tail, s.unit,
        s.product, a.price_fen, s.subscribed_at, a.subscribed_unix AS subscribed_unix, s.status, s.contracted_at,
        s.sales_staff_id, s.sales_name, a.channel_performance, a.reasons,
        CASE WHEN {co} THEN a.co_agency_id ELSE a.agency_id END,
        CASE WHEN {co} THEN coalesce(a.co_agency, '') ELSE coalesce(a.agency, '') END,
        a.ledger_seq, a.visit_seq, a.visit_at, v.arrived_at, v.verdict, coalesce(v.voided, 0), v.agent, l.report_id,
        r.filed_at, f.at, c.id,
        CASE WHEN {co} THEN a.co_percent ELSE a.share_percent END,
        CASE WHEN {co} THEN a.agency ELSE a.co_agency END,
        CASE WHEN {co} THEN a.agency_id ELSE a.co_agency_id END,
        CASE WHEN {co} THEN a.share_percent ELSE a.co_percent END,
        a.dispute_id, ({co}) <> 0, c.agency_id,
        coalesce(r.agency_id, CASE WHEN a.visit_seq IS NULL AND a.dispute_id IS NULL THEN a.agency_id END)
     FROM attributions a
     JOIN subscriptions s ON s.id = a.subscription_id
     LEFT JOIN visit_index v ON v.seq = a.visit_seq
     LEFT JOIN ledger l ON l.seq = a.visit_seq AND l.kind = 'visit'
     LEFT JOIN reports r ON r.id = l.report_id
     LEFT JOIN first_reads f ON f.report_id = l.report_id
     LEFT JOIN deal_confirmations c ON c.subscription_id = s.id AND c.superseded_at IS NULL"
    )
}

pub(crate) fn read_deal(r: &Row<'_>) -> rusqlite::Result<DealRow> {
    let head: String = r.get(3)?;
    let tail: String = r.get(4)?;
    Ok(DealRow {
        subscription_id: r.get(0)?,
        project_id: r.get(1)?,
        customer_name: r.get(2)?,
        masked_phone: format!("{head}****{tail}"),
        unit: r.get(5)?,
        product: r.get(6)?,
        price_fen: r.get(7)?,
        subscribed_at: r.get(8)?,
        subscribed_unix: r.get(9)?,
        status: r.get(10)?,
        contracted_at: r.get(11)?,
        sales_staff_id: r.get(12)?,
        sales_name: r.get(13)?,
        channel_performance: r.get(14)?,
        reasons: r.get(15)?,
        agency_id: r.get(16)?,
        agency: r.get(17)?,
        attribution_seq: r.get(18)?,
        visit_seq: r.get(19)?,
        visit_at: r.get(20)?,
        arrived_at: r.get(21)?,
        verdict: r.get(22)?,
        visit_voided: r.get(23)?,
        agent: r.get(24)?,
        report_id: r.get(25)?,
        filed_at: r.get(26)?,
        first_read_at: r.get(27)?,
        confirmation_id: r.get(28)?,
        share_percent: r.get(29)?,
        co_agency: r.get(30)?,
        co_agency_id: r.get(31)?,
        co_percent: r.get(32)?,
        dispute_id: r.get(33)?,
        co_side: r.get(34)?,
        confirmation_agency_id: r.get(35)?,
        visit_agency_id: r.get(36)?,
    })
}

impl Store {
    /// The channel-performance deals of `project` subscribed in
    /// `[from_unix, to_unix)`, not cancelled, oldest first — every agency's,
    /// or only `agency`'s (its id and name: an attribution without an id
    /// matches by name). The settlement statement's rows.
    ///
    /// A deal a ruling shared is read for each of its agencies: listed for
    /// every agency, it is two rows (one per agency, each with its share),
    /// so that sums per agency come out right; for one agency, its own row
    /// whether it is the first agency or the co agency.
    pub fn settlement_deals(
        &self,
        project: &str,
        agency: Option<(i64, &str)>,
        from_unix: i64,
        to_unix: i64,
    ) -> StoreResult<Vec<DealRow>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "{}
             WHERE a.project_id = ?1 AND a.subscribed_unix >= ?2 AND a.subscribed_unix < ?3
               AND a.channel_performance <> 0 AND s.status <> 'cancelled'
               AND (a.agency_id IS NOT NULL OR coalesce(a.agency, '') <> '')
               AND (?4 IS NULL OR a.agency_id = ?4 OR (a.agency_id IS NULL AND a.agency = ?5))
             UNION ALL
             {}
             WHERE a.project_id = ?1 AND a.co_agency_id IS NOT NULL
               AND a.subscribed_unix >= ?2 AND a.subscribed_unix < ?3
               AND a.channel_performance <> 0 AND s.status <> 'cancelled'
               AND (?4 IS NULL OR a.co_agency_id = ?4)
             ORDER BY subscribed_unix, subscription_id",
            deal_select("0"),
            deal_select("1"),
        ))?;
        let (id, name) = match agency {
            Some((id, name)) => (Some(id), Some(name)),
            None => (None, None),
        };
        let rows = stmt.query_map(params![project, from_unix, to_unix, id, name], read_deal)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// An agency's attributed subscriptions in every project (channel
    /// performance or withheld), newest first — with the deals a ruling
    /// shared with it as the co agency (its own share on its row).
    pub fn attributed_deals_of_agency(
        &self,
        agency_id: i64,
        agency_name: &str,
        limit: u32,
    ) -> StoreResult<Vec<DealRow>> {
        // The co side through attributions_by_co_agency (project_id,
        // co_agency_id, …): every project, then the agency.
        let mut stmt = self.conn.prepare_cached(&format!(
            "{}
             WHERE (a.agency_id = ?1 OR (a.agency_id IS NULL AND a.agency = ?2))
             UNION ALL
             {}
             WHERE a.project_id IN (SELECT id FROM projects) AND a.co_agency_id IS NOT NULL AND a.co_agency_id = ?1
             ORDER BY subscribed_unix DESC, subscription_id DESC LIMIT ?3",
            deal_select("0"),
            deal_select("1"),
        ))?;
        let rows = stmt.query_map(params![agency_id, agency_name, limit], read_deal)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// One attributed subscription ("not found" without an attribution),
    /// read for the attribution's first agency.
    pub fn attributed_deal(&self, subscription_id: i64) -> StoreResult<DealRow> {
        self.conn
            .prepare_cached(&format!("{} WHERE a.subscription_id = ?1", deal_select("0")))?
            .query_row([subscription_id], read_deal)
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("attributed subscription {subscription_id}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_daily_rule_flags_ten_reports_with_fewer_than_half_arrived() {
        assert!(daily_rule_flags(10, 4));
        assert!(!daily_rule_flags(10, 5), "exactly half is not below half");
        assert!(!daily_rule_flags(9, 0), "fewer than ten reports are never flagged");
        assert!(daily_rule_flags(11, 5));
        assert!(!daily_rule_flags(11, 6));
    }

    #[test]
    fn a_share_of_an_amount_is_rounded_half_up() {
        assert_eq!(share_of(123_456_789, 100), 123_456_789);
        assert_eq!(share_of(123_456_789, 30), 37_037_037, "37,037,036.7 rounds up");
        assert_eq!(share_of(123_456_789, 70), 86_419_752, "86,419,752.3 rounds down");
        assert_eq!(share_of(1_851_852, 30), 555_556);
        assert_eq!(share_of(1_851_852, 70), 1_296_296);
        assert_eq!(share_of(5, 50), 3, "2.5 rounds half up");
        assert_eq!(share_of(0, 30), 0);
        assert_eq!(share_of(7, 0), 0);
        assert_eq!(share_of(i64::MAX, 100), i64::MAX, "no overflow at any price");
        assert_eq!(share_of(i64::MAX, 50), i64::MAX / 2 + 1);
    }

    #[test]
    fn local_days_are_consecutive_and_start_at_local_midnight() {
        let tz = chrono_tz::Asia::Shanghai;
        let from = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap_or_default();
        let to = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap_or_default();
        let days = local_days(tz, from, to);
        assert_eq!(days.len(), 30);
        assert!(days.windows(2).all(|w| w[0].end_unix == w[1].start_unix));
        // 2026-11-01 00:00 +08:00
        assert_eq!(days[0].start_unix, 1_793_462_400);
        let (sql, keys) = day_keys(&days, "x");
        assert!(sql.contains("/ 86400"));
        assert!(keys.windows(2).all(|w| w[1] == w[0] + 1));
        // A report at 23:59:59 local is on its day; at midnight on the next.
        let shift: i64 = 8 * 3600;
        assert_eq!((days[0].end_unix - 1 + shift) / 86_400, keys[0]);
        assert_eq!((days[0].end_unix + shift) / 86_400, keys[1]);
    }

    #[test]
    fn a_period_across_a_clock_change_keys_days_by_their_bounds() {
        let tz = chrono_tz::Europe::Berlin;
        let from = NaiveDate::from_ymd_opt(2026, 10, 24).unwrap_or_default();
        let to = NaiveDate::from_ymd_opt(2026, 10, 26).unwrap_or_default();
        let days = local_days(tz, from, to);
        assert_eq!(days[1].end_unix - days[1].start_unix, 25 * 3600, "the day summer time ends");
        let (sql, keys) = day_keys(&days, "x");
        assert!(sql.starts_with("(CASE"));
        assert_eq!(keys, vec![0, 1, 2]);
    }
}
