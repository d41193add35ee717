//! The customer timeline of a dispute as a page shows it
//! (`templates/disputes/timeline.html`, styled by `static/timeline.css`),
//! for the one who looks at it.
//!
//! Staff see every step: agencies and agents by name, what people typed
//! (`details`), and a link to each visit record. An agency sees its own
//! steps, and other agencies' steps as 其他渠道 / another agency with agent
//! "—": their names appear nowhere in its items (the store keeps them out of
//! summaries and rules; here they are also removed from any text, should
//! one hold them). An agency gets no record links (it cannot open
//! `/records`) and none of the typed texts but its own reports'.

use crate::store::timeline::{TimelineEvent, TimelineKind};
use crate::web::i18n::Lang;
use chrono_tz::Tz;

/// Who is looking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    Staff,
    /// The agency with this id (its agents, its API key).
    Agency(i64),
}

/// One step as the template renders it; every text in the page's language
/// except the kind, which it carries in both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineItem {
    /// Local time of the project, `2026-11-03 14:05`.
    pub at: String,
    /// `TimelineKind::code` (the item's CSS class: `tl-visit` …).
    pub code: &'static str,
    pub kind_zh: &'static str,
    pub kind_en: &'static str,
    /// The page is in English (the template picks `kind_en` and its labels).
    pub english: bool,
    /// Agency · agent, 其他渠道 · — for another agency, 案场 for the sales
    /// office's own steps.
    pub who: String,
    pub summary: String,
    /// The rule that applied at this step.
    pub rule: String,
    /// "label: text" lines people typed (staff; an agency: its own reports).
    pub details: Vec<String>,
    /// `/records/{seq}` for a visit record (staff only).
    pub record_href: Option<String>,
    /// The viewing agency's own step.
    pub mine: bool,
}

const OTHER_AGENCY_ZH: &str = "其他渠道";
const OTHER_AGENCY_EN: &str = "another agency";

/// The items of `events` for `viewer`, in the events' order.
pub fn items(events: &[TimelineEvent], viewer: Viewer, lang: Lang, tz: Tz) -> Vec<TimelineItem> {
    let other = lang.tr(OTHER_AGENCY_ZH, OTHER_AGENCY_EN);
    // The names an agency must not read: every other agency's in these
    // events, longest first (a name that contains another goes first).
    let mut hidden: Vec<&str> = match viewer {
        Viewer::Staff => Vec::new(),
        Viewer::Agency(me) => events
            .iter()
            .filter(|e| e.agency_id != Some(me))
            .filter_map(|e| e.agency.as_deref())
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .collect(),
    };
    hidden.sort_by(|a, b| b.chars().count().cmp(&a.chars().count()).then_with(|| a.cmp(b)));
    hidden.dedup();

    events
        .iter()
        .map(|e| {
            let agency = e.agency.as_deref().map(str::trim).filter(|a| !a.is_empty());
            let agent = e.agent.as_deref().map(str::trim).filter(|a| !a.is_empty());
            let (mine, redacted) = match viewer {
                Viewer::Staff => (false, false),
                Viewer::Agency(me) => (e.agency_id == Some(me), agency.is_some() && e.agency_id != Some(me)),
            };
            let who = match (agency, agent) {
                (Some(_), _) if redacted => format!("{other} · —"),
                (Some(a), Some(g)) => format!("{a} · {g}"),
                (Some(a), None) => a.to_owned(),
                (None, _) => lang.tr("案场", "sales office").to_owned(),
            };
            let (summary, rule) = match lang {
                Lang::Zh => (&e.summary_zh, &e.rule_zh),
                Lang::En => (&e.summary_en, &e.rule_en),
            };
            let show_details = match viewer {
                Viewer::Staff => true,
                Viewer::Agency(_) => mine && e.kind == TimelineKind::Report,
            };
            let details = if show_details {
                e.details
                    .iter()
                    .map(|d| {
                        let line = format!("{}{}{}", lang.tr(d.label_zh, d.label_en), lang.tr(":", ": "), d.text);
                        scrub(&line, &hidden, other)
                    })
                    .collect::<Vec<String>>()
            } else {
                Vec::new()
            };
            let record_href = match (viewer, e.kind, e.ledger_seq) {
                (Viewer::Staff, TimelineKind::Visit, Some(seq)) => Some(format!("/records/{seq}")),
                _ => None,
            };
            TimelineItem {
                at: e.at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
                code: e.kind.code(),
                kind_zh: e.kind.zh(),
                kind_en: e.kind.en(),
                english: lang == Lang::En,
                who: if redacted { who } else { scrub_who(&who, agency, &hidden, other) },
                summary: scrub(summary, &hidden, other),
                rule: scrub(rule, &hidden, other),
                details,
                record_href,
                mine,
            }
        })
        .collect()
}

/// `text` with every hidden name (longest first) replaced by `other`.
fn scrub(text: &str, hidden: &[&str], other: &str) -> String {
    hidden
        .iter()
        .copied()
        .fold(text.to_owned(), |acc, name| if acc.contains(name) { acc.replace(name, other) } else { acc })
}

/// A step's own agency name stays whole in its `who` (another agency's
/// name may be part of it, e.g. 链家 in 链家-天河店); the rest is scrubbed.
fn scrub_who(who: &str, own: Option<&str>, hidden: &[&str], other: &str) -> String {
    match own {
        Some(name) if who.starts_with(name) => {
            let rest = who.get(name.len()..).unwrap_or_default();
            format!("{name}{}", scrub(rest, hidden, other))
        }
        _ => scrub(who, hidden, other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::timeline::Detail;
    use chrono::{DateTime, FixedOffset};

    const LIANJIA: &str = "链家-天河店";
    const ZHONGYUAN: &str = "中原-体育西";

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    fn ev(when: &str, kind: TimelineKind, agency: Option<(i64, &str, &str)>) -> TimelineEvent {
        TimelineEvent {
            at: at(when),
            kind,
            agency_id: agency.map(|(id, _, _)| id),
            agency: agency.map(|(_, name, _)| name.to_owned()),
            agent: agency.map(|(_, _, agent)| agent.to_owned()).filter(|a| !a.is_empty()),
            masked_phone: "138****5678".into(),
            summary_zh: format!("{}摘要", kind.zh()),
            summary_en: format!("{} summary", kind.en()),
            rule_zh: "报备须早于到访至少 30 分钟;报备当日有效".into(),
            rule_en: "a report must be filed at least 30 minutes before the arrival".into(),
            ledger_seq: matches!(kind, TimelineKind::Visit | TimelineKind::Amendment | TimelineKind::Attribution)
                .then_some(7),
            report_id: Some(3),
            subscription_id: None,
            details: vec![Detail { label_zh: "报备姓名", label_en: "Name as reported", text: "王先生".into() }],
        }
    }

    /// Two agencies' steps, and texts that (wrongly) hold the other's name.
    fn events() -> Vec<TimelineEvent> {
        let a = Some((1, LIANJIA, "张三"));
        let b = Some((2, ZHONGYUAN, "李四"));
        let mut leaky = ev("2026-11-18T12:00:00+08:00", TimelineKind::Amendment, Some((2, ZHONGYUAN, "")));
        leaky.summary_zh = format!("更正:{ZHONGYUAN} 先带看");
        leaky.summary_en = format!("amended: {ZHONGYUAN} came first");
        leaky.details.push(Detail { label_zh: "备注", label_en: "Note", text: format!("{ZHONGYUAN} 李四") });
        let mut own_report = ev("2026-11-18T10:00:00+08:00", TimelineKind::Report, a);
        own_report.details.push(Detail {
            label_zh: "报备备注",
            label_en: "Report note",
            text: format!("听说{ZHONGYUAN}也报了"),
        });
        vec![
            ev("2026-11-17T10:00:00+08:00", TimelineKind::Report, b),
            ev("2026-11-17T10:30:00+08:00", TimelineKind::FirstRead, b),
            ev("2026-11-17T10:30:00+08:00", TimelineKind::Visit, b),
            own_report,
            ev("2026-11-18T10:45:00+08:00", TimelineKind::Visit, a),
            leaky,
            ev("2026-11-20T11:00:00+08:00", TimelineKind::Subscription, None),
            ev("2026-11-20T12:00:00+08:00", TimelineKind::Attribution, Some((2, ZHONGYUAN, ""))),
        ]
    }

    fn strings(item: &TimelineItem) -> Vec<String> {
        let mut all = vec![
            item.at.clone(),
            item.code.to_owned(),
            item.kind_zh.to_owned(),
            item.kind_en.to_owned(),
            item.who.clone(),
            item.summary.clone(),
            item.rule.clone(),
            item.record_href.clone().unwrap_or_default(),
        ];
        all.extend(item.details.iter().cloned());
        all
    }

    #[test]
    fn an_agency_never_reads_another_agencys_name_or_agent() {
        for lang in [Lang::Zh, Lang::En] {
            let items = items(&events(), Viewer::Agency(1), lang, chrono_tz::Asia::Shanghai);
            assert_eq!(items.len(), 8);
            for item in &items {
                for text in strings(item) {
                    for secret in [ZHONGYUAN, "中原", "体育西", "李四"] {
                        assert!(!text.contains(secret), "{lang:?} {}: {text:?} holds {secret}", item.code);
                    }
                }
                assert_eq!(item.record_href, None, "an agency opens no record");
            }
            let other = lang.tr("其他渠道 · —", "another agency · —");
            assert_eq!(items[0].who, other);
            assert_eq!(items[7].who, other);
            assert!(!items[0].mine && items[3].mine && items[4].mine);
            assert_eq!(items[3].who, format!("{LIANJIA} · 张三"));
            assert_eq!(items[6].who, lang.tr("案场", "sales office"));
            // Its own report's typed texts, none of anyone else's.
            assert!(!items[3].details.is_empty());
            assert!(items.iter().enumerate().all(|(i, item)| i == 3 || item.details.is_empty()));
        }
    }

    #[test]
    fn staff_see_every_name_and_link_visits_to_their_records() {
        let items = items(&events(), Viewer::Staff, Lang::Zh, chrono_tz::Asia::Shanghai);
        assert_eq!(items[0].who, format!("{ZHONGYUAN} · 李四"));
        assert_eq!(items[5].who, ZHONGYUAN);
        assert!(items[5].summary.contains(ZHONGYUAN));
        assert!(items[5].details.iter().any(|d| d == &format!("备注:{ZHONGYUAN} 李四")));
        assert_eq!(items[2].record_href.as_deref(), Some("/records/7"));
        assert_eq!(items[5].record_href, None, "an amendment is not a record page");
        assert!(items.iter().all(|i| !i.mine));
    }

    #[test]
    fn times_are_the_projects_local_time_and_kinds_carry_both_languages() {
        let items = items(&events(), Viewer::Staff, Lang::En, chrono_tz::Asia::Shanghai);
        assert_eq!(items[0].at, "2026-11-17 10:00");
        assert_eq!((items[0].kind_zh, items[0].kind_en, items[0].code), ("报备", "Report", "report"));
        assert!(items[0].english);
        assert_eq!(items[0].summary, "Report summary");
        let utc = super::items(&events(), Viewer::Staff, Lang::Zh, chrono_tz::Tz::UTC);
        assert_eq!(utc[0].at, "2026-11-17 02:00");
    }

    #[test]
    fn an_agency_whose_name_holds_another_keeps_its_own_name() {
        let mut evs = events();
        for e in &mut evs {
            if e.agency_id == Some(2) {
                e.agency = Some("链家".into());
            }
        }
        let items = items(&evs, Viewer::Agency(1), Lang::Zh, chrono_tz::Asia::Shanghai);
        assert_eq!(items[3].who, format!("{LIANJIA} · 张三"));
        assert_eq!(items[0].who, "其他渠道 · —");
    }
}
