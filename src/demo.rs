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

/// The strokes that "drew" it: one stroke of `[x, y, pressure, t_ms]`.
pub fn signature_strokes(seed: u64) -> String {
    let phase = (seed % 97) as f32 / 10.0;
    let points: Vec<String> = (40..560)
        .step_by(8)
        .enumerate()
        .map(|(i, x)| {
            let t = x as f32 / 35.0 + phase;
            let y = 120.0 + 60.0 * t.sin() * (0.6 + 0.4 * (t / 3.0).cos());
            format!("[{x},{y:.1},0.5,{}]", i * 16)
        })
        .collect();
    format!("[[{}]]", points.join(","))
}

use crate::domain::name::CustomerName;
use crate::domain::phone::{CustomerPhone, Phone};
use crate::domain::signature::ValidPng;
use crate::domain::token::KeyRing;
use crate::store::ledger::SignatureInput;
use crate::store::people::{NewStaff, Role};
use crate::store::reports::{NewReport, StoredReport};
use crate::store::{Store, StoreError};
use chrono::{DateTime, Duration, Utc};

pub const DEMO_PASSWORD: &str = "demo1234";

/// All three parties' signatures, each under the statement it signs:
/// the PNGs are used in order, repeated if fewer than three are given.
pub fn signatures(
    pngs: &[ValidPng],
    strokes_json: &str,
    facts: &crate::domain::signature::StatementFacts<'_>,
) -> Vec<SignatureInput> {
    crate::domain::judge::Signer::ALL
        .into_iter()
        .zip(pngs.iter().cycle())
        .map(|(signer, png)| SignatureInput {
            signer,
            png: png.clone(),
            strokes_json: strokes_json.to_owned(),
            statement: crate::domain::signature::statement(signer, facts),
        })
        .collect()
}

/// What `serve --demo` tells a newcomer.
pub struct DemoInfo {
    pub agent_phone: &'static str,
    pub rival_agent_phone: &'static str,
    pub api_key: String,
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
            let agency = store.create_agency("链家-演示店", None, now)?;
            let rival = store.create_agency("中原-演示店", None, now)?;
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
                    note: Some("演示数据 / demo".into()),
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
    let (_, kiosk_pairing_code) = store.create_kiosk(project_id, "演示前台", now)?;
    let agent =
        store.agent_by_phone(&Phone::parse(agent_phone).map_err(invalid)?)?.ok_or_else(|| invalid("demo agent"))?;
    let reports = store.reports_of_agent(agent.id, 10)?;
    Ok(DemoInfo { agent_phone, rival_agent_phone, api_key, kiosk_pairing_code, reports })
}
