//! Shared by the HTTP benchmarks: panke on a random loopback port with a
//! fresh database, one project, one agency and its agent.

#![allow(dead_code)]

use chrono::Utc;
use panke::clock::{Clock, SystemClock};
use panke::domain::phone::Phone;
use panke::domain::token::KeyRing;
use panke::store::Store;
use std::sync::Arc;
use std::time::Duration;

#[path = "../../tests/support/mod.rs"]
mod deployment;

pub struct BenchApp {
    pub base: String,
    pub store: Store,
    pub key_ring: KeyRing,
    pub agency: i64,
    pub agent: i64,
    pub dir: deployment::TestDeployment,
}

/// panke wired exactly as `serve` wires it (`AppState::from_context`).
pub async fn spawn() -> BenchApp {
    let dep = deployment::TestDeployment::new(&[("bench", "[project]\nname = \"bench\"\n")]);
    let now = Utc::now();
    let ctx = dep.context(now);
    let store = ctx.open_store(now).expect("store");
    let key_ring = ctx.secrets.key_ring().expect("ring");
    let agency = store.create_agency("bench", None, now).expect("agency");
    let (agent, _) = store.create_agent(agency, "a", &Phone::parse("13500000000").expect("phone"), now).expect("agent");
    let base = deployment::serve(ctx, Arc::new(SystemClock) as Arc<dyn Clock>, 4).await;
    BenchApp { base, store, key_ring, agency, agent, dir: dep }
}

/// p50, p99 and max of sorted latencies, in milliseconds.
pub fn percentiles(latencies: &mut [Duration]) -> (f64, f64, f64) {
    latencies.sort();
    let pct =
        |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)].as_secs_f64() * 1000.0;
    (pct(0.50), pct(0.99), pct(1.0))
}

/// A signature PNG of about 20 KB: a hand-drawn-looking trace with
/// pressure-varying ink, as a real pad produces (800×300 RGBA).
pub fn signature_png_20kb(seed: u64) -> Vec<u8> {
    use image::{ImageBuffer, Rgba};
    let (w, h) = (800u32, 300u32);
    let mut img = ImageBuffer::from_pixel(w, h, Rgba([255u8, 255, 255, 0]));
    let mut state = seed.wrapping_mul(2862933555777941757).wrapping_add(3037000493);
    let mut next = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 33) as u32
    };
    let (mut x, mut y) = (60i32, 150i32);
    for _ in 0..1300 {
        x = (x + (next() % 7) as i32 - 2).clamp(10, w as i32 - 10);
        y = (y + (next() % 9) as i32 - 4).clamp(10, h as i32 - 10);
        let ink = 20 + (next() % 120) as u8;
        for d in 0..3 {
            img.put_pixel((x + d) as u32, y as u32, Rgba([ink, ink, 60, 200 + (next() % 55) as u8]));
        }
        if x >= w as i32 - 12 {
            x = 60;
        }
    }
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).expect("png");
    out
}

/// `cargo bench` passes `--bench`; `cargo test --benches` (CI) does not,
/// and then the benchmarks only check that they still run, with small
/// counts, unoptimised.
pub fn full_run() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// `full` under `cargo bench`, else `smoke`.
pub fn size(full: usize, smoke: usize) -> usize {
    if full_run() { full } else { smoke }
}
