//! The image of a signature, drawn from its strokes as the kiosk draws them
//! (round caps, width 1.5 + 2.5 × pressure, ink #111) at the pad's 600×240,
//! on a transparent ground. Pure arithmetic: the same strokes give the same
//! pixels on every machine. The image is a view of the record; the record
//! is the strokes (`pen`).

use super::pen::{PAD_HEIGHT, PAD_WIDTH, Pen};

const INK: u8 = 0x11;

/// The signature as a grayscale-with-alpha PNG of the pad's size.
pub fn render_png(pen: &Pen) -> Vec<u8> {
    let (w, h) = (PAD_WIDTH as usize, PAD_HEIGHT as usize);
    let mut alpha = vec![0u8; w * h];
    for stroke in pen.strokes() {
        match stroke.as_slice() {
            [] => {}
            [only] => segment(&mut alpha, (only.x_px(), only.y_px()), (only.x_px(), only.y_px()), 1.5),
            points => {
                for pair in points.windows(2) {
                    let radius = (1.5 + 2.5 * pair[1].pressure()) / 2.0;
                    let (a, b) = ((pair[0].x_px(), pair[0].y_px()), (pair[1].x_px(), pair[1].y_px()));
                    // Pieces of at most 4 px, so each scans a small box:
                    // the work follows the ink, not the segments' extent.
                    let pieces = (((b.0 - a.0) * (b.0 - a.0) + (b.1 - a.1) * (b.1 - a.1)).sqrt() / 4.0).ceil().max(1.0);
                    let at = |k: f64| (a.0 + (b.0 - a.0) * k / pieces, a.1 + (b.1 - a.1) * k / pieces);
                    let mut k = 0.0;
                    while k < pieces {
                        segment(&mut alpha, at(k), at(k + 1.0), radius);
                        k += 1.0;
                    }
                }
            }
        }
    }
    let pixels: Vec<u8> = alpha.iter().flat_map(|a| [INK, *a]).collect();
    let mut out = Vec::new();
    // Encoding an in-memory buffer of the right length cannot fail.
    if let Some(img) = image::ImageBuffer::<image::LumaA<u8>, _>::from_raw(PAD_WIDTH, PAD_HEIGHT, pixels) {
        let _ = img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png);
    }
    out
}

/// A segment with round ends, anti-aliased by distance to its centre line.
fn segment(alpha: &mut [u8], (ax, ay): (f64, f64), (bx, by): (f64, f64), radius: f64) {
    let reach = radius + 1.0;
    let (w, h) = (PAD_WIDTH as i64, PAD_HEIGHT as i64);
    let x0 = ((ax.min(bx) - reach).floor() as i64).clamp(0, w - 1);
    let x1 = ((ax.max(bx) + reach).ceil() as i64).clamp(0, w - 1);
    let y0 = ((ay.min(by) - reach).floor() as i64).clamp(0, h - 1);
    let y1 = ((ay.max(by) + reach).ceil() as i64).clamp(0, h - 1);
    let (dx, dy) = (bx - ax, by - ay);
    let length2 = dx * dx + dy * dy;
    for y in y0..=y1 {
        for x in x0..=x1 {
            let (px, py) = (x as f64 + 0.5, y as f64 + 0.5);
            let k = if length2 > 0.0 { (((px - ax) * dx + (py - ay) * dy) / length2).clamp(0.0, 1.0) } else { 0.0 };
            let (ex, ey) = (px - (ax + k * dx), py - (ay + k * dy));
            let distance = (ex * ex + ey * ey).sqrt();
            let cover = (radius + 0.5 - distance).clamp(0.0, 1.0);
            if cover > 0.0 {
                let cell = &mut alpha[(y * w + x) as usize];
                *cell = (*cell).max((cover * 255.0).round() as u8);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_image_is_the_pad_size_and_holds_the_ink() {
        let pen = Pen::parse(&crate::demo::signature_stroke_points(5)).unwrap();
        let png = render_png(&pen);
        let img = image::load_from_memory_with_format(&png, image::ImageFormat::Png).unwrap().to_rgba8();
        assert_eq!((img.width(), img.height()), (PAD_WIDTH, PAD_HEIGHT));
        // Checked by the PNG rule kiosks used before: enough ink, not filled.
        assert!(super::super::validate_png(png.clone()).is_ok());
        // Every point of the strokes is inked.
        for p in pen.strokes().iter().flatten() {
            let (x, y) = ((p.x_px() as u32).min(PAD_WIDTH - 1), (p.y_px() as u32).min(PAD_HEIGHT - 1));
            assert!(img.get_pixel(x, y)[3] > 64, "no ink at {x},{y}");
        }
    }

    #[test]
    fn the_same_strokes_draw_the_same_bytes() {
        let pen = Pen::parse(&crate::demo::signature_stroke_points(9)).unwrap();
        assert_eq!(render_png(&pen), render_png(&Pen::decode(pen.bytes()).unwrap()));
    }
}
