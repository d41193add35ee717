//! The one font panke draws text with: GNU Unifont 15.0.01, the bitmap
//! glyphs of every visible character of Unicode's plane 0 (the BMP), among
//! them all 27,000-odd CJK ideographs of the unified block and extension A.
//!
//! Why this font: the pass card (`super`) is drawn on the server, and panke
//! runs on a fresh machine with no fonts and no network, so the font is in
//! the binary. Customers' and agents' names are arbitrary, so it must cover
//! every common hanzi — a subset of a vector CJK font chosen from the names
//! seen so far would not, and the whole of one (Noto Sans CJK SC, ~16 MB,
//! plus a rasteriser crate) is far larger. Unifont's 16-pixel glyphs,
//! drawn scaled ×2 to ×5 pixel for pixel, are legible on a phone's screen,
//! need no rasteriser and give the same pixels on every machine.
//!
//! The file: `assets/fonts/unifont-15.0.01.hex.gz` is Unifont's own `.hex`
//! format (`XXXX:` and 32 or 64 hex digits per glyph, 8 or 16 pixels wide,
//! 16 high), unchanged, compressed with `gzip -9n` (~0.9 MB; 3.7 MB as
//! text); how it was made is in `assets/fonts/README.md`. It is read once,
//! at the first card drawn (a `OnceLock`), into a table of ~2.4 MB.
//!
//! Licence: Unifont is dual-licensed, GNU GPL 2+ with the GNU font
//! embedding exception, or the SIL Open Font License 1.1; panke uses it
//! under the OFL 1.1 (`assets/fonts/OFL-1.1.txt`, `assets/fonts/NOTICE`),
//! which allows bundling and embedding it in software of any licence.

use std::io::Read;
use std::sync::OnceLock;

const UNIFONT_HEX_GZ: &[u8] = include_bytes!("../../assets/fonts/unifont-15.0.01.hex.gz");

/// Every glyph is 16 pixels high.
pub const GLYPH_HEIGHT: u32 = 16;

/// One glyph: 8 (half-width) or 16 (full-width) pixels wide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Glyph {
    width: u8,
    /// Pixel rows, top first; bit 15 is the leftmost pixel.
    rows: [u16; 16],
}

/// What a character the font does not have is drawn as: an empty box the
/// width of a hanzi ("tofu"), never a panic and never nothing.
static MISSING: Glyph = Glyph {
    width: 16,
    rows: [
        0, 0x7FFE, 0x4002, 0x4002, 0x4002, 0x4002, 0x4002, 0x4002, 0x4002, 0x4002, 0x4002, 0x4002, 0x4002, 0x4002,
        0x7FFE, 0,
    ],
};

impl Glyph {
    pub fn width(&self) -> u32 {
        u32::from(self.width)
    }

    /// Row `y` (0 at the top); emboldened, each pixel also inks the one to
    /// its right.
    pub fn row(&self, y: usize, bold: bool) -> u16 {
        let row = self.rows.get(y).copied().unwrap_or(0);
        if bold { row | (row >> 1) } else { row }
    }
}

pub struct Font {
    /// Indexed by code point (plane 0); `None` where the font has no glyph.
    glyphs: Vec<Option<Glyph>>,
}

impl Font {
    /// Reads Unifont's `.hex` format; lines that are not a plane-0 glyph
    /// are skipped.
    pub fn parse(hex: &str) -> Font {
        let mut glyphs = vec![None; 0x10000];
        for line in hex.lines() {
            let Some((code, bits)) = line.split_once(':') else { continue };
            let Ok(code) = u32::from_str_radix(code.trim(), 16) else { continue };
            if let Some(slot) = glyphs.get_mut(code as usize) {
                *slot = parse_bits(bits.trim());
            }
        }
        Font { glyphs }
    }

    /// The glyph of `c`, if the font has one.
    pub fn glyph(&self, c: char) -> Option<&Glyph> {
        self.glyphs.get(c as usize).and_then(Option::as_ref)
    }

    /// The glyph of `c`, or the empty box.
    pub fn glyph_or_box(&self, c: char) -> &Glyph {
        self.glyph(c).unwrap_or(&MISSING)
    }

    /// The width of `text` in font pixels.
    pub fn width(&self, text: &str) -> u32 {
        text.chars().map(|c| self.glyph_or_box(c).width()).sum()
    }
}

/// 32 hex digits: 8 pixels × 16 rows; 64: 16 × 16.
fn parse_bits(bits: &str) -> Option<Glyph> {
    let (digits_per_row, width) = match bits.len() {
        32 => (2, 8),
        64 => (4, 16),
        _ => return None,
    };
    let mut rows = [0u16; 16];
    for (i, row) in rows.iter_mut().enumerate() {
        let digits = bits.get(i * digits_per_row..(i + 1) * digits_per_row)?;
        let value = u16::from_str_radix(digits, 16).ok()?;
        *row = if width == 8 { value << 8 } else { value };
    }
    Some(Glyph { width, rows })
}

static UNIFONT: OnceLock<Font> = OnceLock::new();

/// The embedded Unifont, decompressed and read at the first call.
pub fn unifont() -> &'static Font {
    UNIFONT.get_or_init(|| {
        let mut hex = String::new();
        if let Err(e) = flate2::read::GzDecoder::new(UNIFONT_HEX_GZ).read_to_string(&mut hex) {
            // Cannot happen with the file compiled in (a unit test reads
            // it); should it, every character is drawn as a box.
            tracing::error!(error = %e, "the embedded font could not be read");
            hex.clear();
        }
        Font::parse(&hex)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_font_has_every_cjk_ideograph_of_the_bmp_and_the_latin_letters() {
        let font = unifont();
        let missing: Vec<u32> = (0x4E00..=0x9FFF_u32)
            .chain(0x3400..=0x4DBF)
            .filter(|&c| char::from_u32(c).and_then(|c| font.glyph(c)).is_none())
            .collect();
        assert!(missing.is_empty(), "no glyph for {} ideographs, e.g. {:X?}", missing.len(), &missing[..1]);
        assert_eq!(font.glyph('判').map(Glyph::width), Some(16));
        assert_eq!(font.glyph('A').map(Glyph::width), Some(8));
        assert_eq!(font.glyph('（').map(Glyph::width), Some(16), "full-width punctuation");
        assert_eq!(font.width("王先生 138"), 3 * 16 + 4 * 8);
    }

    #[test]
    fn a_character_outside_the_font_is_a_box() {
        let font = unifont();
        for c in ['😀', '𠀀', '\u{E000}'] {
            assert!(font.glyph(c).is_none(), "{c:?}");
            assert_eq!(font.glyph_or_box(c), &MISSING);
        }
        assert_eq!(font.width("😀"), 16);
    }

    #[test]
    fn glyph_rows_are_read_left_to_right() {
        let hex = format!(
            "0041:0000000018242442427E424242420000\nnot a glyph\n4E00:{}FFFE{}\n",
            "0000".repeat(5),
            "0000".repeat(10)
        );
        let font = Font::parse(&hex);
        let a = font.glyph('A').copied().unwrap_or(MISSING);
        assert_eq!((a.width(), a.row(4, false)), (8, 0x1800));
        assert_eq!(a.row(4, true), 0x1C00, "bold inks one more pixel to the right");
        let yi = font.glyph('一').copied().unwrap_or(MISSING);
        assert_eq!((yi.width(), yi.row(5, false)), (16, 0xFFFE));
        assert!(font.glyph('B').is_none());
    }
}
