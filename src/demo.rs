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
