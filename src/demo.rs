//! Demo material: signature images that look hand-drawn, for `serve
//! --demo`, the soak test and benchmarks.

use image::{ImageBuffer, Rgba};

/// A 600×240 transparent PNG with a wavy pen stroke; `seed` varies it.
pub fn signature_png(seed: u64) -> Vec<u8> {
    let (w, h) = (600u32, 240u32);
    let mut img = ImageBuffer::from_pixel(w, h, Rgba([255u8, 255, 255, 0]));
    let phase = (seed % 97) as f32 / 10.0;
    for x in 40..560u32 {
        let t = x as f32 / 35.0 + phase;
        let y = (120.0 + 60.0 * t.sin() * (0.6 + 0.4 * (t / 3.0).cos())) as u32;
        for dx in 0..3u32 {
            for dy in 0..3u32 {
                img.put_pixel((x + dx).min(w - 1), (y + dy).min(h - 1), Rgba([20, 20, 40, 255]));
            }
        }
    }
    let mut out = Vec::new();
    // Encoding an in-memory RGBA buffer as PNG cannot fail.
    let _ = img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png);
    out
}

/// A realistic signature as a kiosk records it (issue 16's size budget is
/// measured with these): a surname glyph of short strokes and a flowing
/// given name, about 240 points sampled at ~60 Hz, 0.1 px precision,
/// varying pen pressure; `seed` varies the hand.
pub fn signature_stroke_points(seed: u64) -> Vec<Vec<[f64; 4]>> {
    let mut rng = Lcg(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5349_474e);
    let mut unit = move || ((rng.raw() >> 33) % 10_000) as f64 / 10_000.0;
    let round1 = |v: f64| (v * 10.0).round() / 10.0;
    let mut strokes = Vec::new();
    let mut t = 0.0;
    let slant = 0.15 + unit() * 0.2;
    // The surname: five short strokes in a box about 110 px wide.
    let (gx, gy) = (50.0 + unit() * 30.0, 70.0 + unit() * 20.0);
    for k in 0..5 {
        let (x0, y0) = (gx + unit() * 90.0, gy + k as f64 * 18.0 + unit() * 10.0);
        let (dx, dy) = (10.0 + unit() * 80.0, -10.0 + unit() * 50.0);
        let n = 10 + (unit() * 10.0) as usize;
        let mut stroke = Vec::with_capacity(n);
        for i in 0..n {
            let f = i as f64 / (n - 1) as f64;
            let wobble = (f * 6.0 + unit()).sin() * 2.0;
            let x = (x0 + dx * f + wobble + slant * dy * f).clamp(0.0, 600.0);
            let y = (y0 + dy * f + wobble).clamp(0.0, 240.0);
            let pressure = ((0.35 + 0.4 * (f * 3.1).sin().abs() + unit() * 0.05) * 1000.0).round() / 1000.0;
            stroke.push([round1(x), round1(y), pressure, t]);
            t += (15.0 + unit() * 3.0).round();
        }
        strokes.push(stroke);
        t += (150.0 + unit() * 200.0).round();
    }
    // The given name: one flowing stroke across the rest of the pad.
    let phase = unit() * 6.0;
    let n = 150 + (unit() * 40.0) as usize;
    let mut stroke = Vec::with_capacity(n);
    for i in 0..n {
        let f = i as f64 / (n - 1) as f64;
        let a = f * 14.0 + phase;
        let x = 210.0 + f * 340.0 + 18.0 * a.cos();
        let y = 120.0 + 55.0 * a.sin() * (0.6 + 0.4 * (a / 3.0).cos()) + slant * 20.0;
        let pressure = ((0.4 + 0.35 * (a / 2.0).sin().abs() + unit() * 0.05) * 1000.0).round() / 1000.0;
        stroke.push([round1(x.clamp(0.0, 600.0)), round1(y.clamp(0.0, 240.0)), pressure, t]);
        t += (15.0 + unit() * 3.0).round();
    }
    strokes.push(stroke);
    strokes
}

/// The same strokes as the kiosk sends them (JSON).
pub fn signature_strokes(seed: u64) -> String {
    serde_json::to_string(&signature_stroke_points(seed)).unwrap_or_default()
}

/// A demo signature as the kiosk records it since issue 16 (strokes).
/// Every seed draws enough ink (a unit test walks many).
pub fn signature_pen(seed: u64) -> Result<Pen, SignatureError> {
    Pen::parse(&signature_stroke_points(seed))
}

use crate::domain::name::CustomerName;
use crate::domain::phone::{CustomerPhone, Phone};
use crate::domain::signature::{Pen, SignatureError, ValidPng};
use crate::domain::token::KeyRing;
use crate::store::ledger::{Ink, SignatureInput};
use crate::store::people::{NewStaff, Role};
use crate::store::reports::{NewReport, StoredReport};
use crate::store::{Store, StoreError, StoreResult};
use chrono::{DateTime, Duration, Utc};

pub const DEMO_PASSWORD: &str = "demo1234";

/// The note of the demo's pending reports (the ones `serve --demo` lists).
const DEMO_NOTE: &str = "演示数据 / demo";

/// All three parties' signatures, each drawn by its own hand (`seed`,
/// `seed + 1`, `seed + 2`) under the statement it signs.
pub fn signatures(
    seed: u64,
    facts: &crate::domain::signature::StatementFacts<'_>,
) -> Result<Vec<SignatureInput>, SignatureError> {
    crate::domain::judge::Signer::ALL
        .into_iter()
        .zip(seed..)
        .map(|(signer, seed)| {
            Ok(SignatureInput {
                signer,
                ink: Ink::Pen(signature_pen(seed)?),
                statement: crate::domain::signature::statement(signer, facts),
            })
        })
        .collect()
}

/// Signatures as kiosks stored them before issue 16 (a PNG and its
/// strokes' JSON), for tests of old records.
pub fn legacy_signatures(
    pngs: &[ValidPng],
    strokes_json: &str,
    facts: &crate::domain::signature::StatementFacts<'_>,
) -> Vec<SignatureInput> {
    crate::domain::judge::Signer::ALL
        .into_iter()
        .zip(pngs.iter().cycle())
        .map(|(signer, png)| SignatureInput {
            signer,
            ink: Ink::Png { png: png.clone(), strokes_json: strokes_json.to_owned() },
            statement: crate::domain::signature::statement(signer, facts),
        })
        .collect()
}

/// What `serve --demo` tells a newcomer.
pub struct DemoInfo {
    pub agent_phone: &'static str,
    pub rival_agent_phone: &'static str,
    pub api_key: String,
    /// The demo project's developer key (`pd_…`, /api/v1/subscriptions).
    pub developer_key: String,
    pub kiosk_pairing_code: String,
    pub reports: Vec<StoredReport>,
}

fn invalid(e: impl ToString) -> StoreError {
    StoreError::Invalid(e.to_string())
}

/// Seeds a demo project's people and reports once (an existing demo agency
/// means it was seeded before; then only a fresh API key is issued).
pub fn seed(
    store: &mut Store,
    project_id: &str,
    tz: chrono_tz::Tz,
    ring: &KeyRing,
    now: DateTime<Utc>,
) -> Result<DemoInfo, StoreError> {
    let agent_phone = "13800000001";
    let rival_agent_phone = "13800000002";
    let agency = match store.agency_by_name("链家-演示店")? {
        Some(id) => id,
        None => {
            // The demo agencies work for the demo project alone (合作项目), so
            // its manager manages their rosters and keys.
            let by = crate::store::people::By { actor: "system", project: Some(project_id) };
            let agency = store.add_agency("链家-演示店", None, Some(project_id), by, now)?;
            let rival = store.add_agency("中原-演示店", None, Some(project_id), by, now)?;
            for (agency, name, phone) in [(agency, "张三", agent_phone), (rival, "李四", rival_agent_phone)] {
                let phone = Phone::parse(phone).map_err(invalid)?;
                let (_, invite) = store.create_agent(agency, name, &phone, now)?;
                store.accept_invite(&invite, DEMO_PASSWORD, now)?;
            }
            let staff = [
                ("manager", "王经理", Role::Manager, None),
                ("desk1", "赵判客", Role::Desk, Some("1234")),
                ("sales1", "钱顾问", Role::Sales, Some("1111")),
                ("sales2", "孙顾问", Role::Sales, Some("2222")),
            ];
            for (login, name, role, pin) in staff {
                let new =
                    NewStaff { project_id: Some(project_id), login, name, role, password: Some(DEMO_PASSWORD), pin };
                store.create_staff(&new, now)?;
            }
            let agent = store
                .agent_by_phone(&Phone::parse(agent_phone).map_err(invalid)?)?
                .ok_or_else(|| invalid("demo agent"))?;
            let tz_now = now.with_timezone(&tz).fixed_offset();
            let customers = [
                ("王先生", "13912340001", 120),
                ("李女士", "139****0002", 45),
                ("陈", "13912340003", 31),
                ("周先生", "13912340004", 0),
            ];
            let mut seed = now.timestamp() as u64;
            for (name, phone, minutes_ago) in customers {
                let new = NewReport {
                    project_id: project_id.to_owned(),
                    agent_id: agent.id,
                    customer_name: CustomerName::parse(name).map_err(invalid)?,
                    customer_phone: CustomerPhone::parse(phone, true).map_err(invalid)?,
                    expected_arrival: None,
                    party_size: Some(2),
                    note: Some(DEMO_NOTE.into()),
                    idempotency_key: None,
                    demo: true,
                };
                store.file_report(new, ring.signing_key(), tz_now - Duration::minutes(minutes_ago), || {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    seed
                })?;
            }
            store.audit(now, "system", "demo.seeded", Some(project_id), "")?;
            agency
        }
    };
    let api_key = store.create_api_key(agency, "demo", now)?;
    let by = crate::store::people::By { actor: "system", project: Some(project_id) };
    let (_, developer_key) = store.issue_developer_key(project_id, "demo", by, now)?;
    let (_, kiosk_pairing_code) = store.create_kiosk(project_id, "演示前台", now)?;
    let agent =
        store.agent_by_phone(&Phone::parse(agent_phone).map_err(invalid)?)?.ok_or_else(|| invalid("demo agent"))?;
    // The agent's newest reports, leaving out the visited history of
    // `seed_history` (told apart by its note).
    let reports: Vec<StoredReport> = store
        .reports_of_agent(agent.id, 1000)?
        .into_iter()
        .filter(|r| r.note.as_deref() != Some(HISTORY_NOTE))
        .take(10)
        .collect();
    Ok(DemoInfo { agent_phone, rival_agent_phone, api_key, developer_key, kiosk_pairing_code, reports })
}

use crate::config::deployment::ProjectConfig;
use crate::domain::judge::Signer;
use crate::domain::rules::{OpenHours, Rules};
use crate::store::checkin::{CheckInRequest, DecisiveAnswers};
use crate::wire::record::DeskAnswers;
use chrono::{Datelike, Days, NaiveDate, TimeZone, Weekday};

/// How much history `seed_history` makes: visits over the days before now.
pub const HISTORY_VISITS: usize = 300;
pub const HISTORY_DAYS: u64 = 60;

/// The note of the history's reports (not listed as demo reports).
const HISTORY_NOTE: &str = "演示历史 / demo history";

/// The three agencies the history spreads over, with their agents; the
/// first two are `seed`'s, the third is made here if missing. The weights
/// (percent) give each agency its share of the visits.
const HISTORY_AGENTS: [(&str, &str, &str, u64); 3] = [
    ("链家-演示店", "张三", "13800000001", 45),
    ("中原-演示店", "李四", "13800000002", 35),
    ("我爱我家-演示店", "王五", "13800000003", 20),
];

/// Customers: the full name given at the desk, and the polite form an
/// agent often reports (王先生 designates 王小明).
const HISTORY_CUSTOMERS: [(&str, &str); 16] = [
    ("王小明", "王先生"),
    ("李娜", "李女士"),
    ("张伟", "张先生"),
    ("刘洋", "刘先生"),
    ("陈静", "陈女士"),
    ("杨帆", "杨先生"),
    ("赵丽", "赵女士"),
    ("黄磊", "黄先生"),
    ("周婷", "周女士"),
    ("吴刚", "吴先生"),
    ("徐敏", "徐女士"),
    ("孙浩", "孙先生"),
    ("马丽娟", "马女士"),
    ("朱建国", "朱先生"),
    ("胡雪", "胡女士"),
    ("郭志强", "郭先生"),
];

/// Customer phone prefixes: none is 138 or 139, so no history customer is
/// a demo agent, a pending demo report or a README example.
const HISTORY_PREFIXES: [&str; 12] =
    ["133", "135", "136", "137", "150", "151", "152", "158", "159", "186", "187", "189"];

/// A small deterministic generator (Knuth's MMIX LCG): every fresh demo
/// database gets the same history.
struct Lcg(u64);

impl Lcg {
    fn raw(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0
    }

    /// Well-mixed bits (splitmix64's finaliser), for manual codes.
    fn mixed(&mut self) -> u64 {
        let mut z = self.raw();
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`, from the generator's better high bits.
    fn below(&mut self, n: u64) -> u64 {
        (self.raw() >> 33) % n.max(1)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum VisitKind {
    /// Reported 40–180 minutes before arrival.
    Reported,
    /// Reported only 10–25 minutes before (REPORT_TOO_LATE).
    Late,
    /// No report at all (自然到访).
    WalkIn,
}

struct PlannedVisit {
    arrival: DateTime<Utc>,
    agent: usize,
    kind: VisitKind,
    gap_minutes: i64,
    phone: Phone,
    customer: usize,
    polite_report: bool,
    party_size: i64,
    sales_id: Option<i64>,
    pad: usize,
}

/// The desk's opening hours on a local date (holidays keep Friday–Sunday
/// hours), as `Rules::is_off_hours` reads them.
fn desk_hours_on(rules: &Rules, date: NaiveDate) -> OpenHours {
    if rules.holidays.contains(&date) {
        return rules.desk_hours.fri_sun;
    }
    match date.weekday() {
        Weekday::Mon | Weekday::Tue | Weekday::Wed | Weekday::Thu => rules.desk_hours.mon_thu,
        Weekday::Fri | Weekday::Sat | Weekday::Sun => rules.desk_hours.fri_sun,
    }
}

/// A dispute on the first demo deal: another agency says the customer is
/// theirs (撞单) and gives a screenshot of its messages, so the back office
/// has one to rule on.
fn demo_dispute(
    store: &mut Store,
    project: &ProjectConfig,
    subscription_id: i64,
    actor: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let holder = store.attribution(subscription_id)?.and_then(|a| a.agency_id);
    let mut claimant = None;
    for (agency, ..) in HISTORY_AGENTS {
        if let Some(a) = store.agency_by_name(agency)?
            && Some(a) != holder
        {
            claimant = Some(a);
            break;
        }
    }
    let Some(claimant) = claimant else { return Ok(()) };
    let new = crate::store::disputes::NewDispute {
        project_id: &project.id,
        subject: crate::store::disputes::Subject::Deal(subscription_id),
        kind: crate::domain::dispute::ClaimKind::Collision,
        claim: "演示:客户认购前一周曾由我司经纪人电话邀约,并在微信中约定到访时间,客户应归我司。",
        claimant_agency_id: Some(claimant),
        by: actor,
        idempotency_key: Some("demo-dispute-1"),
    };
    let dispute = match store.open_dispute(&new, &project.disputes, project.rules.timezone, now) {
        Ok(d) => d,
        // Past the objection period (an old demo database): no dispute.
        Err(StoreError::Late(_)) => return Ok(()),
        Err(e) => return Err(e),
    };
    let file = crate::domain::evidence::EvidenceFile::parse(&signature_png(7)).map_err(invalid)?;
    let evidence = crate::store::disputes::NewEvidence {
        dispute_id: dispute.id,
        party: crate::domain::dispute::Party::Claimant,
        agency_id: Some(claimant),
        kind: crate::domain::dispute::EvidenceKind::Messages,
        file: &file,
        name: "微信聊天截图.png",
        note: "演示:与客户的微信约访记录",
        by: actor,
    };
    store.add_evidence(&evidence, project.rules.timezone, now)?;
    Ok(())
}

/// The demo agent with this phone, made (with its agency) if missing.
fn history_agent(
    store: &Store,
    project_id: &str,
    (agency, name, phone): (&str, &str, &str),
    now: DateTime<Utc>,
) -> StoreResult<i64> {
    let phone = Phone::parse(phone).map_err(invalid)?;
    if let Some(agent) = store.agent_by_phone(&phone)? {
        return Ok(agent.id);
    }
    let agency = match store.agency_by_name(agency)? {
        Some(id) => id,
        None => {
            let by = crate::store::people::By { actor: "system", project: Some(project_id) };
            store.add_agency(agency, None, Some(project_id), by, now)?
        }
    };
    let (id, invite) = store.create_agent(agency, name, &phone, now)?;
    store.accept_invite(&invite, DEMO_PASSWORD, now)?;
    Ok(id)
}

/// Seeds the back office's history once: [`HISTORY_VISITS`] visits over the
/// [`HISTORY_DAYS`] days before `now`, across three agencies — reported in
/// time, reported too late, and walk-ins — all marked demo. Only a demo
/// database without any record gets it (`None`: it had records already).
/// One transaction: all of it or none.
pub fn seed_history(
    store: &mut Store,
    project: &ProjectConfig,
    ring: &KeyRing,
    now: DateTime<Utc>,
) -> Result<Option<usize>, StoreError> {
    if store.ledger_len()? > 0 {
        return Ok(None);
    }
    store.conn().execute_batch("BEGIN IMMEDIATE")?;
    let result = history_in(store, project, ring, now).and_then(|n| {
        store.conn().execute_batch("COMMIT")?;
        Ok(n)
    });
    if result.is_err() {
        let _ = store.conn().execute_batch("ROLLBACK");
    }
    store.outer_finished(result.is_ok());
    result.map(Some)
}

fn history_in(store: &mut Store, project: &ProjectConfig, ring: &KeyRing, now: DateTime<Utc>) -> StoreResult<usize> {
    let rules = &project.rules;
    let tz = rules.timezone;
    let mut agents = Vec::with_capacity(HISTORY_AGENTS.len());
    for (agency, name, phone, _) in HISTORY_AGENTS {
        agents.push(history_agent(store, &project.id, (agency, name, phone), now)?);
    }
    let sales: Vec<i64> = store.project_staff(&project.id, Role::Sales)?.iter().map(|s| s.id).collect();
    let desk_clerk = store.project_staff(&project.id, Role::Desk)?.first().map(|s| s.id);
    let pads: Vec<Pen> = (1..=6u64).map(signature_pen).collect::<Result<_, _>>().map_err(invalid)?;

    let mut rng = Lcg(0x5041_4e4b_4544_454d);
    let today = now.with_timezone(&tz).date_naive();
    let mut plan = Vec::with_capacity(HISTORY_VISITS);
    for i in 0..HISTORY_VISITS {
        let days_ago = 1 + rng.below(HISTORY_DAYS);
        let off_hours = rng.below(100) < 10;
        let (before_open, minutes) = (rng.below(2) == 0, rng.below(1440));
        let agent_draw = rng.below(100);
        let kind = match rng.below(100) {
            0..5 => VisitKind::WalkIn,
            5..20 => VisitKind::Late,
            _ => VisitKind::Reported,
        };
        let gap_minutes = match kind {
            VisitKind::Late => 10 + rng.below(16) as i64,
            _ => 40 + rng.below(141) as i64,
        };
        let prefix = HISTORY_PREFIXES[rng.below(HISTORY_PREFIXES.len() as u64) as usize];
        // 7919 is prime to 10^8: every visit gets its own eight digits.
        let phone_text = format!("{prefix}{:08}", (i as u64 * 7919 + 1_000_003) % 100_000_000);
        let phone = Phone::parse(&phone_text).map_err(invalid)?;
        let customer = rng.below(HISTORY_CUSTOMERS.len() as u64) as usize;
        let polite_report = rng.below(2) == 0;
        let party_size = 1 + rng.below(4) as i64;
        let sales_draw = rng.below(sales.len().max(1) as u64) as usize;
        let pad = rng.below(pads.len() as u64) as usize;

        let Some(date) = today.checked_sub_days(Days::new(days_ago)) else { continue };
        let hours = desk_hours_on(rules, date);
        let time = if off_hours {
            if before_open {
                hours.open - Duration::minutes(10 + (minutes % 110) as i64)
            } else {
                hours.close + Duration::minutes(5 + (minutes % 145) as i64)
            }
        } else {
            let span = hours.close.signed_duration_since(hours.open).num_minutes().max(1);
            hours.open + Duration::minutes((minutes % span as u64) as i64)
        };
        let Some(local) = tz.from_local_datetime(&date.and_time(time)).earliest() else { continue };
        let arrival = local.with_timezone(&Utc);
        if arrival >= now {
            continue;
        }
        let mut agent = HISTORY_AGENTS.len() - 1;
        let mut bound = 0u64;
        for (k, &(_, _, _, weight)) in HISTORY_AGENTS.iter().enumerate() {
            bound += weight;
            if agent_draw < bound {
                agent = k;
                break;
            }
        }
        plan.push(PlannedVisit {
            arrival,
            agent,
            kind,
            gap_minutes,
            phone,
            customer,
            polite_report,
            party_size,
            sales_id: sales.get(sales_draw).copied(),
            pad,
        });
    }
    plan.sort_by_key(|v| v.arrival);

    let mut recorded = 0usize;
    let mut valid_records = Vec::new();
    for v in plan {
        let arrival_local = v.arrival.with_timezone(&tz).fixed_offset();
        let (full_name, polite_name) = HISTORY_CUSTOMERS[v.customer];
        let report = match v.kind {
            VisitKind::WalkIn => None,
            VisitKind::Reported | VisitKind::Late => {
                let reported = if v.polite_report { polite_name } else { full_name };
                let new = NewReport {
                    project_id: project.id.clone(),
                    agent_id: agents[v.agent],
                    customer_name: CustomerName::parse(reported).map_err(invalid)?,
                    customer_phone: CustomerPhone::Full(v.phone),
                    expected_arrival: None,
                    party_size: Some(v.party_size),
                    note: Some(HISTORY_NOTE.into()),
                    idempotency_key: None,
                    demo: true,
                };
                let filed = arrival_local - Duration::minutes(v.gap_minutes);
                Some(store.file_report(new, ring.signing_key(), filed, || rng.mixed())?)
            }
        };
        let accompanied = report.is_some();
        let arrived_name = CustomerName::parse(full_name).map_err(invalid)?;
        // What the kiosk would show before signing decides the statements.
        let before = store.provisional(
            &project.id,
            report.as_ref(),
            v.phone,
            Some(arrived_name.clone()),
            Some(DecisiveAnswers { agent_present: accompanied, customer_confirms_agent: accompanied }),
            rules,
            v.arrival,
        )?;
        let statements =
            crate::service::statements::statements_for(project, &before, report.as_ref(), Some(&arrived_name));
        let signers: Vec<Signer> =
            if accompanied { Signer::ALL.to_vec() } else { vec![Signer::Customer, Signer::Sales] };
        let signatures: Vec<SignatureInput> = signers
            .into_iter()
            .enumerate()
            .map(|(k, signer)| {
                let pen = pads[(v.pad + k) % pads.len()].clone();
                SignatureInput { signer, ink: Ink::Pen(pen), statement: statements.of(signer).to_owned() }
            })
            .collect();
        let req = CheckInRequest {
            project_id: &project.id,
            report_id: report.as_ref().map(|r| r.id),
            customer_name: arrived_name,
            customer_phone: v.phone,
            agent_present: accompanied,
            customer_confirms_agent: accompanied,
            answers: DeskAnswers {
                first_visit: Some(true),
                contacted_before: Some(accompanied),
                badge_seen: accompanied,
            },
            desk_clerk_id: desk_clerk,
            sales_id: v.sales_id,
            kiosk_id: None,
            signatures,
            demo: true,
            walk_in_id: None,
            over_report: None,
            sales_requested: false,
        };
        let outcome = store.record_checkin(req, rules, v.arrival)?;
        if outcome.record.verdict.is_valid() && outcome.row.report_id.is_some() {
            valid_records.push(outcome.row.seq);
        }
        recorded += 1;
    }
    // A few corrections, so the back office shows what amendments do.
    let manager = store.project_staff(&project.id, Role::Manager)?.first().map(|m| format!("staff:{}", m.id));
    let actor = manager.as_deref().unwrap_or("system");
    let corrections = [
        (2, crate::domain::amendment::Amendment::Void, "演示:回访核实为假客户(切客)"),
        (5, crate::domain::amendment::Amendment::Note("客户补充了购房意向".into()), "演示:补充说明"),
    ];
    for (nth, amendment, reason) in corrections {
        if let Some(seq) = valid_records.get(nth) {
            store.amend_record(*seq, actor, reason, &amendment, None, now)?;
        }
    }
    // Deals (认购): three customers of valid visits subscribe a few days
    // later, one of them a car park (never channel performance).
    for (k, (nth, unit, product, price)) in
        [(1usize, "1-2-1801", "住宅", "3280000"), (4, "2-1-0602", "住宅", "2960000"), (6, "B1-088", "车位", "180000")]
            .into_iter()
            .enumerate()
    {
        // The newest visits: the deals land in this month's figures.
        let newest = valid_records.len().checked_sub(1 + nth);
        let Some(body) =
            newest.and_then(|i| valid_records.get(i)).and_then(|seq| store.ledger_row(*seq).ok()?.visit_body().ok())
        else {
            continue;
        };
        let Some(arrived) = body.arrival_at() else { continue };
        let at = (arrived + Duration::days(3)).min(now.with_timezone(&tz).fixed_offset());
        let text = crate::store::deals::SubscriptionText {
            customer_name: body.customer_name().to_owned(),
            customer_phone: body.customer_phone().to_owned(),
            unit: unit.to_owned(),
            product: product.to_owned(),
            price_yuan: price.to_owned(),
            subscribed_at: at.to_rfc3339(),
            // 定金 the same day: the objection period (5 days) counts from
            // it; 首付 the day after (evidence within 3 days of it).
            deposit_at: at.to_rfc3339(),
            down_payment_at: (at + Duration::days(1)).min(now.with_timezone(&tz).fixed_offset()).to_rfc3339(),
            external_id: format!("DEMO-RG-{:04}", k + 1),
        };
        let new = crate::store::deals::NewSubscription::parse(&project.id, &text, None, tz).map_err(invalid)?;
        let by = crate::store::people::By { actor, project: Some(project.id.as_str()) };
        let entered = store.enter_subscription(&new, "demo", "entered", rules, by, now)?;
        if k == 0 {
            demo_dispute(store, project, entered.id, actor, now)?;
        }
    }
    // A married couple who came separately: one customer group (直系亲属).
    let couple: Vec<Phone> = valid_records
        .iter()
        .take(2)
        .filter_map(|seq| store.ledger_row(*seq).ok()?.visit_body().ok())
        .filter_map(|body| Phone::parse(body.customer_phone()).ok())
        .collect();
    if couple.len() == 2 {
        store.link_group(&project.id, &couple, actor, "演示:夫妻分别到访,同一客户", now)?;
    }
    store.audit(now, "system", "demo.history_seeded", Some(project.id.as_str()), &format!("{recorded} visits"))?;
    Ok(recorded)
}
