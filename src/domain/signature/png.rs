//! Signatures as PNG images, as kiosks sent them before issue 16 (and as
//! an agency API client may still send them): accepted only after decoding,
//! within size limits, with enough ink to be more than a tap.

use super::{SignatureError, sha256_hex};

pub const MAX_PNG_BYTES: usize = 512 * 1024;
pub const MIN_SIDE: u32 = 100;
pub const MAX_SIDE: u32 = 4096;

/// A PNG that decoded and passed the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidPng {
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
    pub sha256_hex: String,
}

/// Decodes and checks a signature PNG. Ink is any pixel that is visible
/// (alpha) and dark; a real signature has some of it spread across the pad.
pub fn validate_png(bytes: Vec<u8>) -> Result<ValidPng, SignatureError> {
    if bytes.len() > MAX_PNG_BYTES {
        return Err(SignatureError::TooLarge);
    }
    if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Err(SignatureError::NotPng);
    }
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(&bytes), image::ImageFormat::Png);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(64 * 1024 * 1024);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => SignatureError::BadDimensions,
        _ => SignatureError::NotPng,
    })?;
    let (width, height) = (img.width(), img.height());
    if !(MIN_SIDE..=MAX_SIDE).contains(&width) || !(MIN_SIDE..=MAX_SIDE).contains(&height) {
        return Err(SignatureError::BadDimensions);
    }
    // Canvas signatures arrive as 8-bit RGBA; anything else is converted.
    let converted;
    let rgba = match img.as_rgba8() {
        Some(buffer) => buffer,
        None => {
            converted = img.to_rgba8();
            &converted
        }
    };
    let (ink, spread_x, spread_y) = ink_extent(rgba.as_raw(), width as usize);
    let area = u64::from(width) * u64::from(height);
    if ink * 1000 < area || spread_x < width / 8 || spread_y < height / 20 {
        return Err(SignatureError::Blank);
    }
    // A pad painted over (or a filled square pasted in) is not a signature:
    // real signatures ink well under a third of the pad.
    if ink * 2 > area {
        return Err(SignatureError::Filled);
    }
    let sha256_hex = sha256_hex(&bytes);
    Ok(ValidPng { bytes, width, height, sha256_hex })
}

/// Estimates ink pixels (visible and dark: alpha > 64, r + g + b < 480)
/// and the extent they cover, on a 2×2 sampling grid: a pen stroke is
/// several pixels wide, so the grid sees every stroke at a quarter of the
/// cost. The count is scaled back to the full image.
fn ink_extent(rgba: &[u8], width: usize) -> (u64, u32, u32) {
    let (mut ink, mut min_x, mut max_x, mut min_y, mut max_y) = (0u64, usize::MAX, 0usize, usize::MAX, 0usize);
    for (y, row) in rgba.chunks_exact(width * 4).enumerate().step_by(2) {
        let mut first = None;
        let mut last = 0;
        for (x, p) in row.chunks_exact(4).enumerate().step_by(2) {
            if p[3] > 64 && u16::from(p[0]) + u16::from(p[1]) + u16::from(p[2]) < 480 {
                ink += 4;
                first.get_or_insert(x);
                last = x;
            }
        }
        if let Some(first) = first {
            min_x = min_x.min(first);
            max_x = max_x.max(last);
            min_y = min_y.min(y);
            max_y = max_y.max(y);
        }
    }
    (ink, max_x.saturating_sub(min_x) as u32, max_y.saturating_sub(min_y) as u32)
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use image::{ImageBuffer, Rgba};

    #[test]
    fn an_all_ink_square_is_no_signature() {
        let img = ImageBuffer::from_pixel(300, 120, Rgba([0u8, 0, 0, 255]));
        let mut png = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
        assert_eq!(validate_png(png), Err(SignatureError::Filled));
    }

    /// A PNG with a diagonal zig-zag "signature" drawn in it.
    pub fn signature_png(width: u32, height: u32) -> Vec<u8> {
        let mut img = ImageBuffer::from_pixel(width, height, Rgba([255u8, 255, 255, 0]));
        for x in width / 10..width * 9 / 10 {
            let phase = (x % 40) as f32 / 40.0;
            let y = (height as f32 * (0.3 + 0.4 * phase)) as u32;
            for dy in 0..3 {
                img.put_pixel(x, (y + dy).min(height - 1), Rgba([0, 0, 0, 255]));
            }
        }
        let mut out = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).unwrap();
        out
    }

    fn blank_png(width: u32, height: u32) -> Vec<u8> {
        let img = ImageBuffer::from_pixel(width, height, Rgba([255u8, 255, 255, 255]));
        let mut out = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).unwrap();
        out
    }

    #[test]
    fn a_drawn_signature_is_accepted_with_its_hash() {
        let png = signature_png(600, 240);
        let v = validate_png(png.clone()).unwrap();
        assert_eq!((v.width, v.height), (600, 240));
        assert_eq!(v.sha256_hex, sha256_hex(&png));
    }

    #[test]
    fn empty_tiny_oversized_and_non_png_signatures_are_refused() {
        assert_eq!(validate_png(blank_png(600, 240)), Err(SignatureError::Blank));
        assert_eq!(validate_png(signature_png(60, 40)), Err(SignatureError::BadDimensions));
        assert_eq!(validate_png(b"GIF89a....".to_vec()), Err(SignatureError::NotPng));
        let mut truncated = signature_png(600, 240);
        truncated.truncate(truncated.len() / 2);
        assert_eq!(validate_png(truncated), Err(SignatureError::NotPng));
        assert_eq!(validate_png(vec![0u8; MAX_PNG_BYTES + 1]), Err(SignatureError::TooLarge));
    }

    #[test]
    fn a_dot_is_not_a_signature() {
        let mut img = ImageBuffer::from_pixel(600, 240, Rgba([255u8, 255, 255, 0]));
        for x in 300..306 {
            for y in 100..106 {
                img.put_pixel(x, y, Rgba([0, 0, 0, 255]));
            }
        }
        let mut out = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).unwrap();
        assert_eq!(validate_png(out), Err(SignatureError::Blank));
    }
}
