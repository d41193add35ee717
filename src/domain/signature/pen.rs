//! A signature as its pen strokes: the record since issue 16.
//!
//! The kiosk keeps every stroke in the pad's own 600×240 space as points
//! `[x, y, pressure, t_ms]`. They are parsed once, at the edge, into fixed
//! precision (0.1 px, 0.001 pressure, 1 ms — what the kiosk sends), checked
//! for enough ink, and stored as a compact byte string whose SHA-256 the
//! record seals. The same bytes always decode to the same strokes, and the
//! image is drawn from them (`render`), so nothing but the strokes needs
//! keeping.
//!
//! The byte format (`PK1`): the magic `PK1`, the stroke count, then per
//! stroke its point count and its points, each as four zig-zag varints: the
//! change of x and y (tenths of a pixel), pressure (thousandths) and time
//! (ms) from the point before (the first from zero). A signature of 300
//! points takes about 1.3 KB.

use super::{SignatureError, sha256_hex};

/// The pad's drawing space (the kiosk scales any screen to it).
pub const PAD_WIDTH: u32 = 600;
pub const PAD_HEIGHT: u32 = 240;
pub const MAX_STROKES: usize = 200;
pub const MAX_POINTS: usize = 5_000;
/// Points carry at most an hour of drawing.
const MAX_T_MS: f64 = 3_600_000.0;
/// Pressure is 0..1 (the kiosk clamps a pen's force to it): the drawn line
/// is at most 4 px wide, which the ink rule's 4 px cells assume.
const MAX_PRESSURE: f64 = 1.0;
/// More pen travel than this (some ten long signatures) paints the pad
/// over; it also bounds the work of drawing a record's image.
pub const MAX_PATH_PX: f64 = 20_000.0;
const MAGIC: &[u8] = b"PK1";

/// The side of the grid cells that ink is counted in, in pad pixels.
const CELL: f64 = 4.0;
const COLUMNS: usize = (PAD_WIDTH / 4) as usize;
const ROWS: usize = (PAD_HEIGHT / 4) as usize;

/// One point, in the stored precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PenPoint {
    /// Tenths of a pixel, 0..=6000.
    pub x: i32,
    /// Tenths of a pixel, 0..=2400.
    pub y: i32,
    /// Thousandths, 0..=1000.
    pub pressure: i32,
    /// Milliseconds since the pad was shown.
    pub t_ms: i32,
}

impl PenPoint {
    pub fn x_px(&self) -> f64 {
        f64::from(self.x) / 10.0
    }
    pub fn y_px(&self) -> f64 {
        f64::from(self.y) / 10.0
    }
    pub fn pressure(&self) -> f64 {
        f64::from(self.pressure) / 1000.0
    }
}

/// A signature's strokes that passed the checks, with their stored bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pen {
    strokes: Vec<Vec<PenPoint>>,
    bytes: Vec<u8>,
    sha256_hex: String,
}

impl Pen {
    /// The strokes as the kiosk sends them. Refused: malformed or out of
    /// the pad, too many points, too little ink (a tap, a dot, a short
    /// line), or a pad painted over.
    pub fn parse(strokes: &[Vec<[f64; 4]>]) -> Result<Pen, SignatureError> {
        let points: usize = strokes.iter().map(Vec::len).sum();
        if strokes.len() > MAX_STROKES || points > MAX_POINTS {
            return Err(SignatureError::TooManyPoints);
        }
        let quantised = strokes
            .iter()
            .map(|stroke| stroke.iter().map(|p| quantise(*p)).collect::<Result<Vec<_>, _>>())
            .collect::<Result<Vec<_>, _>>()?;
        let quantised: Vec<Vec<PenPoint>> = quantised.into_iter().filter(|s| !s.is_empty()).collect();
        check_ink(&quantised)?;
        Ok(Pen::from_strokes(quantised))
    }

    /// The `PK1` bytes as the kiosk sends them (it encodes its strokes
    /// itself: a quarter of the JSON's size, and no floats to parse). Held
    /// to the same checks as `parse`; kept in the canonical encoding.
    pub fn from_wire(bytes: &[u8]) -> Result<Pen, SignatureError> {
        let strokes = decode_strokes(bytes).ok_or(SignatureError::BadStrokes)?;
        let strokes: Vec<Vec<PenPoint>> = strokes.into_iter().filter(|s| !s.is_empty()).collect();
        check_ink(&strokes)?;
        Ok(Pen::from_strokes(strokes))
    }

    /// Stored bytes read back (a record's signature). Verification compares
    /// their hash with the sealed one; this only needs them well formed.
    pub fn decode(bytes: &[u8]) -> Result<Pen, SignatureError> {
        let strokes = decode_strokes(bytes).ok_or(SignatureError::BadStrokes)?;
        Ok(Pen { strokes, bytes: bytes.to_vec(), sha256_hex: sha256_hex(bytes) })
    }

    fn from_strokes(strokes: Vec<Vec<PenPoint>>) -> Pen {
        let bytes = encode(&strokes);
        let sha256_hex = sha256_hex(&bytes);
        Pen { strokes, bytes, sha256_hex }
    }

    pub fn strokes(&self) -> &[Vec<PenPoint>] {
        &self.strokes
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn sha256_hex(&self) -> &str {
        &self.sha256_hex
    }

    /// The strokes as JSON `[[[x, y, pressure, t_ms], …], …]`, in pixels.
    pub fn to_json(&self) -> serde_json::Value {
        let number =
            |n: f64| serde_json::Number::from_f64(n).map_or(serde_json::Value::Null, serde_json::Value::Number);
        serde_json::Value::Array(
            self.strokes
                .iter()
                .map(|s| {
                    serde_json::Value::Array(
                        s.iter()
                            .map(|p| {
                                serde_json::Value::Array(vec![
                                    number(p.x_px()),
                                    number(p.y_px()),
                                    number(p.pressure()),
                                    serde_json::Value::from(p.t_ms),
                                ])
                            })
                            .collect(),
                    )
                })
                .collect(),
        )
    }
}

fn quantise([x, y, p, t]: [f64; 4]) -> Result<PenPoint, SignatureError> {
    // NaN is in no range.
    let inside = |v: f64, max: f64| (0.0..=max).contains(&v);
    if !(inside(x, f64::from(PAD_WIDTH))
        && inside(y, f64::from(PAD_HEIGHT))
        && inside(p, MAX_PRESSURE)
        && inside(t, MAX_T_MS))
    {
        return Err(SignatureError::BadStrokes);
    }
    // In range, so every product fits an i32.
    Ok(PenPoint {
        x: (x * 10.0).round() as i32,
        y: (y * 10.0).round() as i32,
        pressure: (p * 1000.0).round() as i32,
        t_ms: t.round() as i32,
    })
}

/// What the ink covers: cells of a 4 px grid that a stroke passes through
/// (sampled every 2 px along each segment), and the extent of the points.
/// The kiosk applies the same rule before sending (signature-pad.js).
pub fn ink_cells(strokes: &[Vec<PenPoint>]) -> (usize, f64, f64) {
    let mut grid = [0u64; (COLUMNS * ROWS).div_ceil(64)];
    let mut mark = |x: f64, y: f64| {
        // x and y are never negative: truncation is the floor, without
        // libm's floor() call (baseline x86-64 has no rounding instruction).
        let (c, r) = (((x / CELL) as usize).min(COLUMNS - 1), ((y / CELL) as usize).min(ROWS - 1));
        let cell = r * COLUMNS + c;
        grid[cell / 64] |= 1 << (cell % 64);
    };
    let (mut min_x, mut max_x, mut min_y, mut max_y) = (f64::MAX, 0f64, f64::MAX, 0f64);
    for stroke in strokes {
        for (k, p) in stroke.iter().enumerate() {
            let (x, y) = (p.x_px(), p.y_px());
            (min_x, max_x, min_y, max_y) = (min_x.min(x), max_x.max(x), min_y.min(y), max_y.max(y));
            mark(x, y);
            if k > 0 {
                let (x0, y0) = (stroke[k - 1].x_px(), stroke[k - 1].y_px());
                // sqrt, not hypot: correctly rounded alike in Rust and JS.
                let steps = (((x - x0) * (x - x0) + (y - y0) * (y - y0)).sqrt() / 2.0).ceil();
                let mut i = 1.0;
                while i < steps {
                    mark(x0 + (x - x0) * i / steps, y0 + (y - y0) * i / steps);
                    i += 1.0;
                }
            }
        }
    }
    let covered = grid.iter().map(|w| w.count_ones() as usize).sum::<usize>();
    if covered == 0 {
        return (0, 0.0, 0.0);
    }
    (covered, max_x - min_x, max_y - min_y)
}

/// The pen's travel: the length of every segment, in pixels.
pub fn path_length(strokes: &[Vec<PenPoint>]) -> f64 {
    strokes
        .iter()
        .flat_map(|s| s.windows(2))
        .map(|w| {
            let (dx, dy) = (w[1].x_px() - w[0].x_px(), w[1].y_px() - w[0].y_px());
            (dx * dx + dy * dy).sqrt()
        })
        .sum()
}

/// Blank: fewer than 9 cells (0.1 % of the pad, as the PNG rule), or the
/// ink spans less than an eighth of the pad's width or a twentieth of its
/// height. Filled: more than half of the cells inked, or more pen travel
/// than `MAX_PATH_PX`.
fn check_ink(strokes: &[Vec<PenPoint>]) -> Result<(), SignatureError> {
    if path_length(strokes) > MAX_PATH_PX {
        return Err(SignatureError::Filled);
    }
    let (covered, spread_x, spread_y) = ink_cells(strokes);
    let cells = COLUMNS * ROWS;
    if covered * 1000 < cells || spread_x < f64::from(PAD_WIDTH / 8) || spread_y < f64::from(PAD_HEIGHT / 20) {
        return Err(SignatureError::Blank);
    }
    if covered * 2 > cells {
        return Err(SignatureError::Filled);
    }
    Ok(())
}

fn push_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

fn encode(strokes: &[Vec<PenPoint>]) -> Vec<u8> {
    let points: usize = strokes.iter().map(Vec::len).sum();
    let mut out = Vec::with_capacity(8 + points * 5);
    out.extend_from_slice(MAGIC);
    push_varint(&mut out, strokes.len() as u64);
    let mut last = PenPoint { x: 0, y: 0, pressure: 0, t_ms: 0 };
    for stroke in strokes {
        push_varint(&mut out, stroke.len() as u64);
        for p in stroke {
            for (now, before) in [(p.x, last.x), (p.y, last.y), (p.pressure, last.pressure), (p.t_ms, last.t_ms)] {
                push_varint(&mut out, zigzag(i64::from(now) - i64::from(before)));
            }
            last = *p;
        }
    }
    out
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn varint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self.bytes.get(self.at)?;
            self.at += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }

    fn count(&mut self, max: usize) -> Option<usize> {
        usize::try_from(self.varint()?).ok().filter(|n| *n <= max)
    }

    fn coordinate(&mut self, before: i32, max: i32) -> Option<i32> {
        let v = i64::from(before).checked_add(unzigzag(self.varint()?))?;
        i32::try_from(v).ok().filter(|v| (0..=max).contains(v))
    }
}

fn decode_strokes(bytes: &[u8]) -> Option<Vec<Vec<PenPoint>>> {
    let body = bytes.strip_prefix(MAGIC)?;
    let mut r = Reader { bytes: body, at: 0 };
    let n = r.count(MAX_STROKES)?;
    let (mut total, mut strokes) = (0usize, Vec::with_capacity(n));
    let mut last = PenPoint { x: 0, y: 0, pressure: 0, t_ms: 0 };
    for _ in 0..n {
        let len = r.count(MAX_POINTS - total)?;
        total += len;
        let mut stroke = Vec::with_capacity(len);
        for _ in 0..len {
            last = PenPoint {
                x: r.coordinate(last.x, PAD_WIDTH as i32 * 10)?,
                y: r.coordinate(last.y, PAD_HEIGHT as i32 * 10)?,
                // Well formed is enough here (parse holds new input to 0..1).
                pressure: r.coordinate(last.pressure, 8000)?,
                t_ms: r.coordinate(last.t_ms, MAX_T_MS as i32)?,
            };
            stroke.push(last);
        }
        strokes.push(stroke);
    }
    (r.at == body.len()).then_some(strokes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(from: (f64, f64), to: (f64, f64), points: usize) -> Vec<[f64; 4]> {
        (0..points)
            .map(|i| {
                let k = i as f64 / (points - 1).max(1) as f64;
                [from.0 + (to.0 - from.0) * k, from.1 + (to.1 - from.1) * k, 0.5, i as f64 * 16.0]
            })
            .collect()
    }

    #[test]
    fn a_drawn_signature_is_kept_exactly_and_compactly() {
        let strokes = crate::demo::signature_stroke_points(7);
        let pen = Pen::parse(&strokes).unwrap();
        let points: usize = strokes.iter().map(Vec::len).sum();
        assert!(pen.bytes().len() < points * 6, "{} bytes for {points} points", pen.bytes().len());
        let again = Pen::decode(pen.bytes()).unwrap();
        assert_eq!(again, pen);
        for (sent, kept) in strokes.iter().flatten().zip(pen.strokes().iter().flatten()) {
            assert!((sent[0] - kept.x_px()).abs() < 0.051 && (sent[1] - kept.y_px()).abs() < 0.051);
            assert!((sent[2] - kept.pressure()).abs() < 0.0006 && (sent[3] - f64::from(kept.t_ms)).abs() < 0.51);
        }
        assert_eq!(pen.sha256_hex(), sha256_hex(pen.bytes()));
    }

    #[test]
    fn the_json_form_parses_back_to_the_same_bytes() {
        let pen = Pen::parse(&crate::demo::signature_stroke_points(3)).unwrap();
        let json: Vec<Vec<[f64; 4]>> = serde_json::from_value(pen.to_json()).unwrap();
        assert_eq!(Pen::parse(&json).unwrap().bytes(), pen.bytes());
    }

    #[test]
    fn a_tap_a_dot_and_a_short_dash_are_no_signature() {
        assert_eq!(Pen::parse(&[]), Err(SignatureError::Blank));
        assert_eq!(Pen::parse(&[vec![[300.0, 120.0, 0.5, 0.0]]]), Err(SignatureError::Blank));
        assert_eq!(Pen::parse(&[line((300.0, 120.0), (360.0, 125.0), 10)]), Err(SignatureError::Blank));
    }

    #[test]
    fn a_flat_line_across_the_pad_is_no_signature() {
        assert_eq!(Pen::parse(&[line((40.0, 120.0), (560.0, 125.0), 40)]), Err(SignatureError::Blank));
    }

    #[test]
    fn a_pad_painted_over_is_no_signature() {
        let rows: Vec<Vec<[f64; 4]>> =
            (0..60).map(|r| line((0.0, r as f64 * 4.0), (600.0, r as f64 * 4.0), 20)).collect();
        assert_eq!(Pen::parse(&rows), Err(SignatureError::Filled));
    }

    #[test]
    fn a_zigzag_of_endless_travel_is_a_pad_painted_over() {
        let zigzag: Vec<[f64; 4]> =
            (0..2000).map(|i| [if i % 2 == 0 { 0.0 } else { 600.0 }, (i % 240) as f64, 0.5, i as f64]).collect();
        assert_eq!(Pen::parse(&[zigzag]), Err(SignatureError::Filled));
    }

    #[test]
    fn a_huge_delta_in_stored_bytes_is_refused_not_overflowed() {
        let mut bytes = b"PK1\x01\x02\x14\x14\x00\x00".to_vec();
        bytes.extend([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 0, 0]);
        assert_eq!(Pen::decode(&bytes), Err(SignatureError::BadStrokes));
    }

    #[test]
    fn points_off_the_pad_or_not_numbers_are_refused() {
        for bad in [[-1.0, 10.0, 0.5, 0.0], [10.0, 241.0, 0.5, 0.0], [10.0, 10.0, 1.5, 0.0], [10.0, 10.0, 0.5, -1.0]] {
            let mut strokes = crate::demo::signature_stroke_points(1);
            strokes[0].push(bad);
            assert_eq!(Pen::parse(&strokes), Err(SignatureError::BadStrokes), "{bad:?}");
        }
        let mut strokes = crate::demo::signature_stroke_points(1);
        strokes[0].push([f64::NAN, 10.0, 0.5, 0.0]);
        assert_eq!(Pen::parse(&strokes), Err(SignatureError::BadStrokes));
    }

    #[test]
    fn too_many_points_are_refused() {
        let many = vec![line((10.0, 10.0), (590.0, 230.0), 26); 200];
        assert_eq!(Pen::parse(&many), Err(SignatureError::TooManyPoints));
        let strokes = vec![vec![[10.0, 10.0, 0.5, 0.0]]; MAX_STROKES + 1];
        assert_eq!(Pen::parse(&strokes), Err(SignatureError::TooManyPoints));
    }

    #[test]
    fn stored_bytes_that_are_not_strokes_are_refused() {
        let pen = Pen::parse(&crate::demo::signature_stroke_points(2)).unwrap();
        let bytes = pen.bytes();
        assert_eq!(Pen::decode(&bytes[..bytes.len() - 1]), Err(SignatureError::BadStrokes));
        let mut longer = bytes.to_vec();
        longer.push(0);
        assert_eq!(Pen::decode(&longer), Err(SignatureError::BadStrokes));
        assert_eq!(Pen::decode(b"PNG"), Err(SignatureError::BadStrokes));
        // A point moved off the pad by a changed delta.
        assert_eq!(Pen::decode(b"PK1\x01\x01\xfe\xff\x03\x00\x00\x00"), Err(SignatureError::BadStrokes));
    }

    #[test]
    fn the_kiosks_bytes_are_held_to_the_same_checks_and_kept_canonical() {
        let pen = Pen::parse(&crate::demo::signature_stroke_points(4)).unwrap();
        assert_eq!(Pen::from_wire(pen.bytes()).unwrap(), pen);
        // Every varint written overlong (one more, empty, 7-bit group): the
        // same strokes, stored in the one canonical form.
        let overlong_varint = |out: &mut Vec<u8>, v: u64| {
            push_varint(out, v);
            if let Some(last) = out.last_mut() {
                *last |= 0x80;
            }
            out.push(0);
        };
        let mut overlong = MAGIC.to_vec();
        overlong_varint(&mut overlong, pen.strokes().len() as u64);
        let mut last = PenPoint { x: 0, y: 0, pressure: 0, t_ms: 0 };
        for stroke in pen.strokes() {
            overlong_varint(&mut overlong, stroke.len() as u64);
            for p in stroke {
                for (now, before) in [(p.x, last.x), (p.y, last.y), (p.pressure, last.pressure), (p.t_ms, last.t_ms)] {
                    overlong_varint(&mut overlong, zigzag(i64::from(now) - i64::from(before)));
                }
                last = *p;
            }
        }
        assert_ne!(overlong.as_slice(), pen.bytes());
        assert_eq!(Pen::from_wire(&overlong).unwrap().bytes(), pen.bytes());
        assert_eq!(Pen::from_wire(b"PK1\x01\x01\x00\x00\x00\x00"), Err(SignatureError::Blank));
        assert_eq!(Pen::from_wire(b"not strokes"), Err(SignatureError::BadStrokes));
    }

    #[test]
    fn zigzag_round_trips() {
        for v in [0i64, 1, -1, 63, -64, 6000, -6000, i64::from(i32::MAX), i64::from(i32::MIN)] {
            assert_eq!(unzigzag(zigzag(v)), v);
        }
    }
}
