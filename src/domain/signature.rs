//! A signature drawn on the kiosk: the PNG is only accepted after decoding
//! it, within size limits, and with enough ink to be more than a tap.

use super::judge::Signer;
use sha2::{Digest, Sha256};

pub const MAX_PNG_BYTES: usize = 512 * 1024;
pub const MIN_SIDE: u32 = 100;
pub const MAX_SIDE: u32 = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("签名图片过大(最大 512 KB)/ the signature image is larger than 512 KB")]
    TooLarge,
    #[error("签名不是有效的 PNG 图片 / the signature is not a valid PNG image")]
    NotPng,
    #[error("签名图片尺寸不符(100–4096 像素)/ the signature image must be 100 to 4096 pixels a side")]
    BadDimensions,
    #[error("签名为空或过于简单,请重新签名 / the signature is empty or too small; please sign again")]
    Blank,
    #[error(
        "签名区域几乎被涂满,这不是签名,请重新签名 / the pad is nearly all ink: that is no signature; please sign again"
    )]
    Filled,
}

/// A PNG that decoded and passed the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidPng {
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
    pub sha256_hex: String,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(&Sha256::digest(bytes))
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

/// The facts a signer confirms, as the kiosk shows them above the pad and
/// the sheet prints them: who brought whom, where and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementFacts<'a> {
    pub project: &'a str,
    pub agency: &'a str,
    pub agent: &'a str,
    /// The customer's name as reported by the agency.
    pub reported_name: &'a str,
    /// The name the customer gave at the desk.
    pub arrived_name: &'a str,
    /// The arrival instant (the first read of the code), local time as
    /// printed ("2026-11-18 10:45").
    pub arrival: &'a str,
}

impl StatementFacts<'_> {
    /// "王小明" — or "王小明（报备姓名 王先生）" when the names differ.
    fn customer(&self) -> String {
        if self.reported_name == self.arrived_name || self.reported_name.is_empty() {
            self.arrived_name.to_owned()
        } else {
            format!("{}（报备姓名 {}）", self.arrived_name, self.reported_name)
        }
    }
}

/// The version printed at the end of every statement; v1 (before
/// 2026-11) named only the agency, agent and project.
pub const STATEMENT_VERSION: &str = "v2";

/// What each party signs; the text is versioned, and its SHA-256 is kept
/// with the signature, so a later change of wording cannot be passed off
/// as what was signed.
pub fn statement(signer: Signer, f: &StatementFacts<'_>) -> String {
    let (customer, v) = (f.customer(), STATEMENT_VERSION);
    let StatementFacts { project, agency, agent, arrival, .. } = f;
    match signer {
        Signer::Customer => format!(
            "本人 {customer} 于 {arrival} 到访 {project}，确认由 {agency} 经纪人 {agent} 带看，以上到访信息属实。（声明版本 {v}）"
        ),
        Signer::Agent => format!(
            "本人 {agent}（{agency}）确认于 {arrival} 亲自陪同客户 {customer} 到访 {project}，所报信息属实。（声明版本 {v}）"
        ),
        Signer::Sales => format!(
            "本人作为 {project} 现场置业顾问，确认于 {arrival} 接待客户 {customer}，并见证以上签字。（声明版本 {v}）"
        ),
    }
}

/// What is signed when the verdict before signing is already a natural
/// visit (自然到访): nobody confirms a 带看 the rules refuse. The customer
/// registers the visit; the agent may sign having seen the reasons; the
/// sales consultant witnesses.
pub fn natural_visit_statement(signer: Signer, f: &StatementFacts<'_>, reasons: &str) -> String {
    let (customer, v) = (f.customer(), STATEMENT_VERSION);
    let StatementFacts { project, agency, agent, arrival, .. } = f;
    match signer {
        Signer::Customer => format!("本人 {customer} 于 {arrival} 到访 {project}，按自然到访登记。（声明版本 {v}）"),
        Signer::Agent => format!(
            "本人 {agent}（{agency}）已知悉客户 {customer} 于 {arrival} 的到访按自然到访处理，原因：{reasons}（声明版本 {v}）"
        ),
        Signer::Sales => format!(
            "本人作为 {project} 现场置业顾问，见证客户 {customer} 于 {arrival} 的自然到访登记。（声明版本 {v}）"
        ),
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use image::{ImageBuffer, Rgba};

    const FACTS: StatementFacts<'static> = StatementFacts {
        project: "云境",
        agency: "链家-天河店",
        agent: "张三",
        reported_name: "王先生",
        arrived_name: "王小明",
        arrival: "2026-11-18 10:45",
    };

    #[test]
    fn every_statement_names_the_facts_it_confirms() {
        for signer in Signer::ALL {
            let text = statement(signer, &FACTS);
            for fact in ["云境", "王小明（报备姓名 王先生）", "2026-11-18 10:45", "（声明版本 v2）"]
            {
                assert!(text.contains(fact), "{signer:?}: {fact} missing from {text}");
            }
            assert!(!text.contains(',') && !text.contains('('), "full-width punctuation: {text}");
        }
        assert!(statement(Signer::Agent, &FACTS).contains("张三（链家-天河店）"));
    }

    #[test]
    fn a_name_as_reported_is_said_once() {
        let same = StatementFacts { arrived_name: "王先生", ..FACTS };
        assert!(!statement(Signer::Customer, &same).contains("报备姓名"));
    }

    #[test]
    fn a_natural_visit_statement_confirms_no_visit_with_the_agent() {
        let text = natural_visit_statement(Signer::Customer, &FACTS, "经纪人未陪同。");
        assert!(text.contains("按自然到访登记") && !text.contains("带看"), "{text}");
        assert!(natural_visit_statement(Signer::Agent, &FACTS, "经纪人未陪同。").contains("原因：经纪人未陪同。"));
    }

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
