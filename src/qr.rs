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

pub fn png(token: &str) -> Result<Vec<u8>, QrError> {
    let code = code(token)?;
    let modules = code.width() as u32;
    let side = (modules + 2 * QUIET_MODULES) * MODULE_PX;
    let colors = code.to_colors();
    let img = image::GrayImage::from_fn(side, side, |x, y| {
        let (mx, my) = (x / MODULE_PX, y / MODULE_PX);
        let dark = mx >= QUIET_MODULES
            && my >= QUIET_MODULES
            && mx < QUIET_MODULES + modules
            && my < QUIET_MODULES + modules
            && colors[((my - QUIET_MODULES) * modules + (mx - QUIET_MODULES)) as usize] == Color::Dark;
        image::Luma([if dark { 0 } else { 255 }])
    });
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .map_err(|e| QrError::Png(e.to_string()))?;
    Ok(out)
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
