//! QR codes for report tokens: error correction M, a 4-module quiet zone,
//! 12 px modules (a version-3 code is 444 px: a phone shows it ~6 cm wide,
//! which a tablet camera reads at 30 cm).

use qrcode::{Color, EcLevel, QrCode};

pub const MODULE_PX: u32 = 12;
pub const QUIET_MODULES: u32 = 4;

#[derive(Debug, thiserror::Error)]
pub enum QrError {
    #[error("the token does not fit a QR code: {0}")]
    Encode(String),
    #[error("could not write the PNG: {0}")]
    Png(String),
}

fn code(token: &str) -> Result<QrCode, QrError> {
    QrCode::with_error_correction_level(token.as_bytes(), EcLevel::M).map_err(|e| QrError::Encode(e.to_string()))
}

/// A 1-bit greyscale PNG: a few hundred bytes, and cheap to make on every
/// request.
pub fn png(token: &str) -> Result<Vec<u8>, QrError> {
    let code = code(token)?;
    let modules = code.width() as u32;
    let side = (modules + 2 * QUIET_MODULES) * MODULE_PX;
    let colors = code.to_colors();
    let row_bytes = side.div_ceil(8) as usize;
    let mut pixels = vec![0u8; row_bytes * side as usize];
    // One pixel row per module row, then copied MODULE_PX times.
    let mut row = vec![0u8; row_bytes];
    for module_y in 0..modules + 2 * QUIET_MODULES {
        row.fill(0);
        for x in 0..side {
            let module_x = x / MODULE_PX;
            let inside = QUIET_MODULES..QUIET_MODULES + modules;
            let dark = inside.contains(&module_x)
                && inside.contains(&module_y)
                && colors[((module_y - QUIET_MODULES) * modules + (module_x - QUIET_MODULES)) as usize] == Color::Dark;
            if !dark {
                // In 1-bit greyscale a set bit is white.
                row[(x / 8) as usize] |= 0x80 >> (x % 8);
            }
        }
        for dy in 0..MODULE_PX {
            let y = (module_y * MODULE_PX + dy) as usize;
            pixels[y * row_bytes..(y + 1) * row_bytes].copy_from_slice(&row);
        }
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, side, side);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::One);
        encoder.set_compression(png::Compression::Fast);
        encoder.set_filter(png::Filter::NoFilter);
        let mut writer = encoder.write_header().map_err(|e| QrError::Png(e.to_string()))?;
        writer.write_image_data(&pixels).map_err(|e| QrError::Png(e.to_string()))?;
    }
    Ok(out)
}

/// The code's modules without the quiet zone, row by row (`true` is dark),
/// and its width in modules: for drawing the code into a larger image (the
/// pass card, `crate::pass_card`).
pub fn modules(token: &str) -> Result<(u32, Vec<bool>), QrError> {
    let code = code(token)?;
    let width = code.width() as u32;
    Ok((width, code.to_colors().into_iter().map(|c| c == Color::Dark).collect()))
}

pub fn svg(token: &str) -> Result<String, QrError> {
    Ok(code(token)?
        .render::<qrcode::render::svg::Color<'_>>()
        .quiet_zone(true)
        .module_dimensions(MODULE_PX, MODULE_PX)
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_renders_as_a_version_3_code_with_quiet_zone() {
        let token = "PK1AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        let png = png(token).unwrap();
        let img = image::load_from_memory(&png).unwrap();
        assert_eq!(img.width(), (29 + 8) * MODULE_PX);
        assert!(svg(token).unwrap().starts_with("<?xml"));
    }
}
