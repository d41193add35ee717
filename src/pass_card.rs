//! The pass (带看凭证) an agent saves to the phone's gallery and shows at
//! the desk: one PNG, 1080×1600, drawn by panke itself — the project at
//! the top, the report's QR code large in the middle, the manual code under
//! it, then the customer (masked phone), the agent and agency, 到访不早于
//! and 有效至, and a footer saying what to do with it. Opened from the
//! gallery, with no network, it still says everything the desk needs.
//!
//! Pure: the same card gives the same bytes (no clock, no randomness; the
//! PNG encoder is deterministic), so a test can compare the image served
//! with one drawn from the texts it expects. Text is drawn with the embedded
//! bitmap font (`font`: GNU Unifont), scaled pixel for pixel; what does not
//! fit is wrapped, then shortened with "…"; a character the font lacks is
//! an empty box.

mod font;

use crate::qr::{QUIET_MODULES, QrError};
use font::{Font, GLYPH_HEIGHT};

pub const WIDTH: u32 = 1080;
pub const HEIGHT: u32 = 1600;
const MARGIN: u32 = 60;
/// The coloured band at the top, with the project's name.
const BAND_HEIGHT: u32 = 210;
/// The title's room inside the band, below the small "带看凭证".
const TITLE_TOP: u32 = 68;
const TITLE_ROOM: u32 = 126;
/// The square the QR code (with its quiet zone) is drawn in, centred.
const QR_TOP: u32 = 220;
const QR_BOX: u32 = 760;
/// The manual code under the QR code, then a rule, then the rows.
const MANUAL_LABEL_TOP: u32 = QR_TOP + QR_BOX + 4;
const MANUAL_CODE_TOP: u32 = MANUAL_LABEL_TOP + 40;
const ROWS_RULE_TOP: u32 = MANUAL_CODE_TOP + 100;
const ROWS_TOP: u32 = ROWS_RULE_TOP + 22;
/// The rows' labels (×2) in one column, the values (×3, or ×2 on two
/// lines when that does not fit) beside them.
const LABEL_SCALE: u32 = 2;
const VALUE_X: u32 = MARGIN + 5 * 16 * LABEL_SCALE + 32;
const VALUE_WIDTH: u32 = WIDTH - MARGIN - VALUE_X;
const LINE_GAP: u32 = 8;
const ROW_GAP: u32 = 28;
/// The footer: a rule and one line.
const FOOTER_RULE_TOP: u32 = 1530;
const FOOTER_TOP: u32 = 1550;
pub const FOOTER: &str = "判客 · 出示给判客岗扫码";

/// The palette (a 4-bit indexed PNG): the agent pages' colours.
const PAPER: u8 = 0;
const TEXT: u8 = 1;
const MUTED: u8 = 2;
const BRAND: u8 = 3;
const ON_BRAND: u8 = 4;
const ON_BRAND_SOFT: u8 = 5;
const RULE: u8 = 6;
const QR_DARK: u8 = 7;
const PALETTE: [[u8; 3]; 8] = [
    [0xff, 0xff, 0xff],
    [0x1d, 0x24, 0x33],
    [0x5d, 0x66, 0x77],
    [0x0b, 0x6e, 0x4f],
    [0xff, 0xff, 0xff],
    [0xc6, 0xe4, 0xd8],
    [0xd9, 0xde, 0xe7],
    [0x00, 0x00, 0x00],
];

/// What the card says, as shown. The report page gets the same struct, so
/// the page and the image cannot say different things.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassCard {
    pub project: String,
    /// The customer's name as reported and the masked phone: "王先生 138****5678".
    pub customer_masked: String,
    pub agent: String,
    pub agency: String,
    /// "E78X-GZ89", what the desk types when the code cannot be read.
    pub manual_code: String,
    /// In the project's local time, "2026-11-18 10:30".
    pub arrive_not_before: String,
    pub valid_until: String,
    /// The signed token the QR code carries.
    pub token: String,
}

impl PassCard {
    /// "张三（链家-天河店）".
    pub fn agent_line(&self) -> String {
        if self.agency.trim().is_empty() { self.agent.clone() } else { format!("{}（{}）", self.agent, self.agency) }
    }

    /// Everything the card says but the code, in one line: the image's
    /// text alternative on the report page.
    pub fn summary(&self) -> String {
        format!(
            "带看凭证：{}；客户 {}；经纪人 {}；手动码 {}；到访不早于 {}；有效至 {}",
            self.project,
            self.customer_masked,
            self.agent_line(),
            self.manual_code,
            self.arrive_not_before,
            self.valid_until
        )
    }

    /// The card as a PNG.
    pub fn render(&self) -> Result<Vec<u8>, QrError> {
        let font = font::unifont();
        let layout = layout(self, font)?;
        encode(&paint(&layout, font))
    }
}

/// A run of text on the card: its top-left corner, how many pixels one font
/// pixel becomes, its colour, and whether it is emboldened.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Placed {
    text: String,
    x: u32,
    y: u32,
    scale: u32,
    bold: bool,
    color: u8,
}

impl Placed {
    fn width(&self, font: &Font) -> u32 {
        (font.width(&self.text) + u32::from(self.bold)) * self.scale
    }

    fn height(&self) -> u32 {
        GLYPH_HEIGHT * self.scale
    }
}

/// The QR code's modules and where they go: the top-left of the first
/// module (inside the quiet zone) and the module's size in pixels.
struct QrPlacement {
    x: u32,
    y: u32,
    module: u32,
    width: u32,
    dark: Vec<bool>,
}

/// A filled rectangle: x, y, width, height, colour.
type Rect = (u32, u32, u32, u32, u8);

struct Layout {
    rects: Vec<Rect>,
    qr: QrPlacement,
    texts: Vec<Placed>,
}

/// `text` broken into lines of at most `max_width` pixels at `scale` —
/// between any two characters, as Chinese text breaks (a space at a break
/// is dropped) — and at most `max_lines` of them. `true` when something was
/// left out: the last line then ends in "…".
fn wrap(font: &Font, text: &str, scale: u32, max_width: u32, max_lines: usize) -> (Vec<String>, bool) {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut lines = Vec::new();
    let (mut line, mut width) = (String::new(), 0);
    for c in text.chars() {
        let w = font.glyph_or_box(c).width() * scale;
        if !line.is_empty() && width + w > max_width {
            lines.push(std::mem::take(&mut line));
            width = 0;
            if c == ' ' {
                continue;
            }
        }
        line.push(c);
        width += w;
    }
    if !line.is_empty() {
        lines.push(line);
    }
    if lines.len() <= max_lines {
        return (lines, false);
    }
    lines.truncate(max_lines.max(1));
    let ellipsis = font.glyph_or_box('…').width() * scale;
    if let Some(last) = lines.last_mut() {
        while !last.is_empty() && font.width(last) * scale + ellipsis > max_width {
            last.pop();
        }
        let kept = last.trim_end().len();
        last.truncate(kept);
        last.push('…');
    }
    (lines, true)
}

/// The first of `tries` (scale, most lines) that shows all of `text`; else
/// the last one, shortened.
fn fit(font: &Font, text: &str, max_width: u32, tries: &[(u32, usize)]) -> (u32, Vec<String>) {
    let mut chosen = (1, Vec::new());
    for &(scale, max_lines) in tries {
        let (lines, cut) = wrap(font, text, scale, max_width, max_lines);
        chosen = (scale, lines);
        if !cut {
            break;
        }
    }
    chosen
}

/// One line centred across the card.
fn centred(font: &Font, text: String, y: u32, scale: u32, bold: bool, color: u8) -> Placed {
    let mut placed = Placed { text, x: 0, y, scale, bold, color };
    placed.x = WIDTH.saturating_sub(placed.width(font)) / 2;
    placed
}

/// Lines of `scale` one under the other from `top`; returns the bottom.
fn lines_at(texts: &mut Vec<Placed>, lines: Vec<String>, x: u32, top: u32, scale: u32, bold: bool, color: u8) -> u32 {
    let mut y = top;
    for (i, text) in lines.into_iter().enumerate() {
        if i > 0 {
            y += LINE_GAP;
        }
        let placed = Placed { text, x, y, scale, bold, color };
        y += placed.height();
        texts.push(placed);
    }
    y
}

fn layout(card: &PassCard, font: &Font) -> Result<Layout, QrError> {
    let mut texts = Vec::new();
    let inner = WIDTH - 2 * MARGIN;

    // The band: what this is, and the project (one large line, else two
    // smaller ones), centred in the band's room.
    texts.push(Placed {
        text: "带看凭证".to_owned(), x: MARGIN, y: 28, scale: 2, bold: false, color: ON_BRAND_SOFT
    });
    let (scale, lines) = fit(font, &card.project, inner - 4, &[(4, 1), (3, 2)]);
    let n = lines.len() as u32;
    let block = n * GLYPH_HEIGHT * scale + n.saturating_sub(1) * LINE_GAP;
    lines_at(&mut texts, lines, MARGIN, TITLE_TOP + TITLE_ROOM.saturating_sub(block) / 2, scale, true, ON_BRAND);

    // The QR code, as large as the box allows in whole pixels per module.
    let (width, dark) = crate::qr::modules(&card.token)?;
    let module = (QR_BOX / (width + 2 * QUIET_MODULES)).max(1);
    let side = (width + 2 * QUIET_MODULES) * module;
    let qr = QrPlacement {
        x: WIDTH.saturating_sub(side) / 2 + QUIET_MODULES * module,
        y: QR_TOP + QR_BOX.saturating_sub(side) / 2 + QUIET_MODULES * module,
        module,
        width,
        dark,
    };

    // The manual code, large, under the code.
    texts.push(centred(font, "手动码".to_owned(), MANUAL_LABEL_TOP, 2, false, MUTED));
    let (scale, mut code) = fit(font, &card.manual_code, inner - 5, &[(5, 1), (3, 1)]);
    texts.push(centred(font, code.pop().unwrap_or_default(), MANUAL_CODE_TOP, scale, true, TEXT));

    // The rows: label, value.
    let rows = [
        ("客户", card.customer_masked.clone()),
        ("经纪人", card.agent_line()),
        ("到访不早于", card.arrive_not_before.clone()),
        ("有效至", card.valid_until.clone()),
    ];
    let mut y = ROWS_TOP;
    for (label, value) in rows {
        let (scale, lines) = fit(font, &value, VALUE_WIDTH, &[(3, 1), (2, 2)]);
        // The label sits level with the value's first line.
        let label_y = y + (GLYPH_HEIGHT * scale).saturating_sub(GLYPH_HEIGHT * LABEL_SCALE) / 2;
        texts.push(Placed {
            text: label.to_owned(),
            x: MARGIN,
            y: label_y,
            scale: LABEL_SCALE,
            bold: false,
            color: MUTED,
        });
        y = lines_at(&mut texts, lines, VALUE_X, y, scale, false, TEXT) + ROW_GAP;
    }

    texts.push(centred(font, FOOTER.to_owned(), FOOTER_TOP, 2, false, MUTED));
    let rects = vec![
        (0, 0, WIDTH, BAND_HEIGHT, BRAND),
        (MARGIN, ROWS_RULE_TOP, inner, 2, RULE),
        (MARGIN, FOOTER_RULE_TOP, inner, 2, RULE),
    ];
    Ok(Layout { rects, qr, texts })
}

/// The card's pixels, one palette index each, row by row.
struct Canvas {
    pixels: Vec<u8>,
}

impl Canvas {
    fn fill(&mut self, x: u32, y: u32, w: u32, h: u32, color: u8) {
        let (x0, x1) = (x.min(WIDTH) as usize, x.saturating_add(w).min(WIDTH) as usize);
        for row in y.min(HEIGHT)..y.saturating_add(h).min(HEIGHT) {
            let start = row as usize * WIDTH as usize;
            if let Some(span) = self.pixels.get_mut(start + x0..start + x1) {
                span.fill(color);
            }
        }
    }

    fn text(&mut self, font: &Font, placed: &Placed) {
        let s = placed.scale;
        let mut pen = placed.x;
        for c in placed.text.chars() {
            let glyph = font.glyph_or_box(c);
            for gy in 0..GLYPH_HEIGHT {
                let row = glyph.row(gy as usize, placed.bold);
                for gx in 0..16u32 {
                    if (row & (0x8000u16 >> gx)) != 0 {
                        self.fill(pen + gx * s, placed.y + gy * s, s, s, placed.color);
                    }
                }
            }
            pen += glyph.width() * s;
        }
    }
}

fn paint(layout: &Layout, font: &Font) -> Vec<u8> {
    let mut canvas = Canvas { pixels: vec![PAPER; (WIDTH * HEIGHT) as usize] };
    for &(x, y, w, h, color) in &layout.rects {
        canvas.fill(x, y, w, h, color);
    }
    let qr = &layout.qr;
    for (i, &dark) in qr.dark.iter().enumerate() {
        if dark {
            let (mx, my) = (i as u32 % qr.width, i as u32 / qr.width);
            canvas.fill(qr.x + mx * qr.module, qr.y + my * qr.module, qr.module, qr.module, QR_DARK);
        }
    }
    for placed in &layout.texts {
        canvas.text(font, placed);
    }
    canvas.pixels
}

/// A 4-bit indexed PNG (two pixels a byte): a few dozen KB.
fn encode(pixels: &[u8]) -> Result<Vec<u8>, QrError> {
    let packed: Vec<u8> = pixels.chunks_exact(2).map(|pair| (pair[0] << 4) | pair[1]).collect();
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, WIDTH, HEIGHT);
    encoder.set_color(png::ColorType::Indexed);
    encoder.set_depth(png::BitDepth::Four);
    encoder.set_palette(PALETTE.concat());
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder.write_header().map_err(|e| QrError::Png(e.to_string()))?;
    writer.write_image_data(&packed).map_err(|e| QrError::Png(e.to_string()))?;
    writer.finish().map_err(|e| QrError::Png(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests;
