//! The settings a project judges by (`kiosk-config/rules.toml`), as typed,
//! already-validated values. Parsing and defaults live in `config::rules`.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone, Weekday};
use chrono_tz::Tz;
use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    pub timezone: Tz,
    pub min_gap: Duration,
    pub report_validity: ReportValidity,
    pub history_window: Duration,
    pub protection: Duration,
    pub reporting_start: Option<DateTime<FixedOffset>>,
    pub overlap_rule: OverlapRule,
    pub max_reports_per_month: u32,
    pub agent_must_accompany: bool,
    pub allow_masked_phone: bool,
    pub desk_hours: DeskHours,
    pub holidays: BTreeSet<NaiveDate>,
    /// Attribution (渠道业绩): a subscription counts up to this many local
    /// days after the agency's contract end (委托代理期到期之日起15日内).
    pub contract_grace_days: u32,
    /// Product kinds that are never channel performance (车位 …).
    pub excluded_products: BTreeSet<String>,
    /// A customer who subscribed before is not channel performance again.
    pub repeat_buyer_excluded: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportValidity {
    /// Valid until filed + N × 24 h (inclusive).
    Days(u32),
    /// Valid until 23:59:59 local on the filing date.
    SameDay,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverlapRule {
    /// 先报备者有效: an earlier, still valid report of another agency wins.
    FirstReport,
    /// Whoever brings the customer within its report validity wins.
    FirstVisit,
}

/// Opening hours of the judging desk, `[open, close)` in local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenHours {
    pub open: NaiveTime,
    pub close: NaiveTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeskHours {
    pub mon_thu: OpenHours,
    /// Friday to Sunday, and holidays.
    pub fri_sun: OpenHours,
}

impl Default for Rules {
    fn default() -> Self {
        let hm = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN);
        Rules {
            timezone: chrono_tz::Asia::Shanghai,
            min_gap: Duration::minutes(30),
            report_validity: ReportValidity::Days(7),
            history_window: Duration::days(15),
            protection: Duration::days(15),
            reporting_start: None,
            overlap_rule: OverlapRule::FirstReport,
            max_reports_per_month: 5,
            agent_must_accompany: true,
            allow_masked_phone: true,
            desk_hours: DeskHours {
                mon_thu: OpenHours { open: hm(9, 0), close: hm(18, 0) },
                fri_sun: OpenHours { open: hm(9, 0), close: hm(19, 0) },
            },
            holidays: BTreeSet::new(),
            contract_grace_days: 15,
            excluded_products: BTreeSet::from(["parking".to_owned()]),
            repeat_buyer_excluded: true,
        }
    }
}

impl Rules {
    pub fn local_date(&self, at: DateTime<FixedOffset>) -> NaiveDate {
        at.with_timezone(&self.timezone).date_naive()
    }

    /// A report filed before the project's reporting start is void
    /// (提前报备无效).
    pub fn filed_before_start(&self, filed: DateTime<FixedOffset>) -> bool {
        self.reporting_start.is_some_and(|start| filed < start)
    }

    /// Is a report filed at `filed` still valid at instant `at`?
    pub fn report_valid_at(&self, filed: DateTime<FixedOffset>, at: DateTime<FixedOffset>) -> bool {
        match self.report_validity {
            ReportValidity::Days(n) => at <= filed + Duration::days(i64::from(n)),
            ReportValidity::SameDay => self.local_date(filed) == self.local_date(at),
        }
    }

    /// The last instant a report filed at `filed` is valid, in the
    /// project's time zone (shown to agents as 有效至).
    pub fn report_valid_until(&self, filed: DateTime<FixedOffset>) -> DateTime<Tz> {
        match self.report_validity {
            ReportValidity::Days(n) => (filed + Duration::days(i64::from(n))).with_timezone(&self.timezone),
            ReportValidity::SameDay => {
                let end = self.local_date(filed).and_hms_opt(23, 59, 59).unwrap_or_default();
                self.timezone.from_local_datetime(&end).latest().unwrap_or_else(|| filed.with_timezone(&self.timezone))
            }
        }
    }

    /// Same local calendar month (the repeat limit counts per month).
    pub fn same_local_month(&self, a: DateTime<FixedOffset>, b: DateTime<FixedOffset>) -> bool {
        let (a, b) = (self.local_date(a), self.local_date(b));
        a.year() == b.year() && a.month() == b.month()
    }

    /// Outside the desk's hours for the local weekday; holidays use the
    /// Friday–Sunday hours.
    pub fn is_off_hours(&self, at: DateTime<FixedOffset>) -> bool {
        let local = at.with_timezone(&self.timezone);
        let date = local.date_naive();
        let hours = if self.holidays.contains(&date) {
            self.desk_hours.fri_sun
        } else {
            match date.weekday() {
                Weekday::Mon | Weekday::Tue | Weekday::Wed | Weekday::Thu => self.desk_hours.mon_thu,
                Weekday::Fri | Weekday::Sat | Weekday::Sun => self.desk_hours.fri_sun,
            }
        };
        let t = local.time();
        !(hours.open <= t && t < hours.close)
    }
}
