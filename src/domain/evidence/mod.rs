//! Evidence files for disputes (撞单 / 申诉): JPEG and PNG images and PDF
//! documents, at most 10 MB each.
//!
//! The type is decided by the content alone — the magic bytes and, for
//! images, a complete decode — never by the file name or the declared
//! Content-Type, which the uploader controls. A renamed program is refused
//! with a message naming what it is and what is accepted.
//!
//! Images are re-encoded from their decoded pixels: EXIF (GPS position,
//! camera serial numbers, owner names), XMP, IPTC, comments and PNG text
//! chunks are not pixels, so they do not survive. An EXIF orientation is
//! applied to the pixels first, so a portrait photo stays upright. PDFs are
//! kept byte for byte (re-writing a PDF could change what it shows); only
//! their structure is checked.
//!
//! Pure: no I/O and no clock. Decoding a large photo takes a while, so
//! callers run [`EvidenceFile::parse`] off the async runtime.

mod sniff;

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use super::signature::sha256_hex;
use sniff::{HEIF, JPEG_MAGIC, PDF_MAGIC, PNG_MAGIC, check_pdf, describe, foreign, jpeg_reaches_eoi};

/// The most an evidence upload may weigh, as received.
pub const EVIDENCE_MAX_BYTES: usize = 10 * 1024 * 1024;
/// The longest side an evidence image may have, in pixels.
pub const EVIDENCE_MAX_SIDE: u32 = 12_000;
/// The most pixels an evidence image may have: 50 megapixels covers a
/// phone's full-resolution photo (8160 × 6120) and refuses a decompression
/// bomb — a small file that claims a huge canvas.
pub const EVIDENCE_MAX_PIXELS: u64 = 50_000_000;
/// The most memory the decoded pixels may take (16-bit PNGs take 2 bytes a
/// channel); also handed to the decoders as their allocation limit.
const MAX_DECODED_BYTES: u64 = 256 * 1024 * 1024;
/// Good enough to read a document photographed on a phone, and smaller
/// than most phones' own output.
const JPEG_QUALITY: u8 = 85;

/// The accepted kinds of evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EvidenceType {
    Jpeg,
    Png,
    Pdf,
}

impl EvidenceType {
    pub const ALL: [EvidenceType; 3] = [EvidenceType::Jpeg, EvidenceType::Png, EvidenceType::Pdf];

    /// The Content-Type the stored file is served with.
    pub fn mime(self) -> &'static str {
        match self {
            EvidenceType::Jpeg => "image/jpeg",
            EvidenceType::Png => "image/png",
            EvidenceType::Pdf => "application/pdf",
        }
    }

    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            EvidenceType::Jpeg => "jpg",
            EvidenceType::Png => "png",
            EvidenceType::Pdf => "pdf",
        }
    }

    /// The inverse of [`EvidenceType::mime`], for reading a stored row back.
    pub fn from_mime(mime: &str) -> Option<EvidenceType> {
        EvidenceType::ALL.into_iter().find(|t| t.mime() == mime)
    }
}

/// An upload that passed the checks, ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceFile {
    pub kind: EvidenceType,
    /// What is stored and served: the re-encoded image, or the PDF as given.
    pub bytes: Vec<u8>,
    /// SHA-256 of `bytes`, lowercase hex: the hash sealed in the ledger.
    pub sha256_hex: String,
    /// SHA-256 of the upload as received, kept for the record (it equals
    /// `sha256_hex` for a PDF).
    pub original_sha256_hex: String,
    /// The stored image's size after orientation; `None` for a PDF.
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// True when `bytes` were re-encoded from pixels (every image).
    pub reencoded: bool,
}

/// Why an upload was refused. `Display` gives both languages; [`zh`] and
/// [`en`] give one each, for the page's language.
///
/// [`zh`]: EvidenceError::zh
/// [`en`]: EvidenceError::en
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} / {}", self.zh(), self.en())]
pub enum EvidenceError {
    /// Zero bytes: usually a picker that failed on the phone.
    Empty,
    /// Over [`EVIDENCE_MAX_BYTES`].
    TooLarge { bytes: usize },
    /// Not JPEG, PNG or PDF. `detected` is what the first bytes say it is,
    /// in English (e.g. "a Windows executable (MZ/PE)"), for the audit log.
    NotAccepted { detected: &'static str },
    /// The magic bytes say JPEG, PNG or PDF but the file does not decode or
    /// is cut short.
    Corrupt,
    /// An image wider or taller than [`EVIDENCE_MAX_SIDE`], or with more than
    /// [`EVIDENCE_MAX_PIXELS`]: refused from its header, before decoding.
    TooManyPixels,
}

const ACCEPTED_ZH: &str = "只接受 JPEG、PNG 图片或 PDF 文件";
const ACCEPTED_EN: &str = "Only JPEG or PNG images and PDF files are accepted";

impl EvidenceError {
    pub fn zh(&self) -> String {
        match self {
            EvidenceError::Empty => "文件是空的(0 字节),请重新选择文件。".to_owned(),
            EvidenceError::TooLarge { bytes } => {
                format!("文件过大({:.1} MB),每个文件不能超过 10 MB,请压缩或截图后再上传。", megabytes(*bytes))
            }
            EvidenceError::NotAccepted { detected } => {
                let foreign = foreign(detected);
                let mut text = if foreign.program {
                    format!("{ACCEPTED_ZH};此文件是可执行程序({}),已拒绝。", foreign.zh)
                } else {
                    format!("{ACCEPTED_ZH};此文件是{},已拒绝。", foreign.zh)
                };
                if foreign.en == HEIF.en {
                    text.push_str("请在手机上将照片存为 JPEG(或截图)后再上传。");
                }
                text
            }
            EvidenceError::Corrupt => "文件已损坏或不完整(可能没有传完),无法打开,请重新导出后再上传。".to_owned(),
            EvidenceError::TooManyPixels => {
                format!("图片尺寸过大(每边最多 {EVIDENCE_MAX_SIDE} 像素、总共最多 5000 万像素),请缩小后再上传。")
            }
        }
    }

    pub fn en(&self) -> String {
        match self {
            EvidenceError::Empty => "The file is empty (0 bytes); please choose it again.".to_owned(),
            EvidenceError::TooLarge { bytes } => format!(
                "The file is too large ({:.1} MB); each file may be at most 10 MB. Please compress it or take a screenshot.",
                megabytes(*bytes)
            ),
            EvidenceError::NotAccepted { detected } => {
                let foreign = foreign(detected);
                let mut text = if foreign.program {
                    format!("{ACCEPTED_EN}; this file is a program ({detected}) and was refused.")
                } else {
                    format!("{ACCEPTED_EN}; this file is {detected} and was refused.")
                };
                if foreign.en == HEIF.en {
                    text.push_str(" Please save the photo as JPEG (or take a screenshot) and upload that.");
                }
                text
            }
            EvidenceError::Corrupt => {
                "The file is damaged or incomplete (perhaps not fully uploaded) and cannot be opened; please export it again.".to_owned()
            }
            EvidenceError::TooManyPixels => format!(
                "The image is too large (at most {EVIDENCE_MAX_SIDE} pixels a side and 50 megapixels in all); please reduce it."
            ),
        }
    }
}

fn megabytes(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

impl EvidenceFile {
    /// Checks an upload and turns it into what is stored. The order is
    /// cheapest first: the size, the magic bytes, the structure, and only
    /// then a decode, with limits, of an image.
    pub fn parse(bytes: &[u8]) -> Result<EvidenceFile, EvidenceError> {
        if bytes.is_empty() {
            return Err(EvidenceError::Empty);
        }
        if bytes.len() > EVIDENCE_MAX_BYTES {
            return Err(EvidenceError::TooLarge { bytes: bytes.len() });
        }
        let kind = if bytes.starts_with(JPEG_MAGIC) {
            EvidenceType::Jpeg
        } else if bytes.starts_with(PNG_MAGIC) {
            EvidenceType::Png
        } else if bytes.starts_with(PDF_MAGIC) {
            EvidenceType::Pdf
        } else {
            return Err(EvidenceError::NotAccepted { detected: describe(bytes) });
        };
        let original_sha256_hex = sha256_hex(bytes);
        let (stored, size) = match kind {
            EvidenceType::Pdf => {
                check_pdf(bytes)?;
                (bytes.to_vec(), None)
            }
            EvidenceType::Jpeg => {
                if !jpeg_reaches_eoi(bytes) {
                    return Err(EvidenceError::Corrupt);
                }
                let image = decode(bytes, ImageFormat::Jpeg)?;
                let mut out = Vec::new();
                // The encoder writes only a JFIF header: no EXIF, no ICC.
                image
                    .write_with_encoder(JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY))
                    .map_err(|_| EvidenceError::Corrupt)?;
                (out, Some((image.width(), image.height())))
            }
            EvidenceType::Png => {
                let image = decode(bytes, ImageFormat::Png)?;
                let mut out = Vec::new();
                // IHDR, IDAT and IEND only: no text, eXIf or iCCP chunks.
                image
                    .write_with_encoder(PngEncoder::new_with_quality(
                        &mut out,
                        CompressionType::Default,
                        FilterType::Adaptive,
                    ))
                    .map_err(|_| EvidenceError::Corrupt)?;
                (out, Some((image.width(), image.height())))
            }
        };
        let stored_hash = if kind == EvidenceType::Pdf { original_sha256_hex.clone() } else { sha256_hex(&stored) };
        Ok(EvidenceFile {
            kind,
            bytes: stored,
            sha256_hex: stored_hash,
            original_sha256_hex,
            width: size.map(|(w, _)| w),
            height: size.map(|(_, h)| h),
            reencoded: kind != EvidenceType::Pdf,
        })
    }
}

/// Decodes an image with limits, upright. The header is read first: an
/// absurd canvas is refused there, before a pixel buffer is allocated.
fn decode(bytes: &[u8], format: ImageFormat) -> Result<DynamicImage, EvidenceError> {
    let mut limits = Limits::default();
    limits.max_image_width = Some(EVIDENCE_MAX_SIDE);
    limits.max_image_height = Some(EVIDENCE_MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(image_error)?;
    let (width, height) = decoder.dimensions();
    // `into_decoder` checks the sides but not the buffer: the JPEG decoder
    // ignores `max_alloc`, so the total is checked here.
    if u64::from(width) * u64::from(height) > EVIDENCE_MAX_PIXELS || decoder.total_bytes() > MAX_DECODED_BYTES {
        return Err(EvidenceError::TooManyPixels);
    }
    // Read before decoding consumes the decoder (and its EXIF with it). A
    // damaged EXIF block is no reason to refuse the photo: it is dropped
    // anyway, so it just means no rotation.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(image_error)?;
    image.apply_orientation(orientation);
    Ok(image)
}

fn image_error(e: image::ImageError) -> EvidenceError {
    match e {
        image::ImageError::Limits(_) => EvidenceError::TooManyPixels,
        _ => EvidenceError::Corrupt,
    }
}

/// The longest display name, in characters, extension included.
const DISPLAY_NAME_MAX_CHARS: usize = 80;

/// A name to show and to download the file under, from the name the
/// browser sent: the last path component only, without control or
/// invisible direction characters (U+202E can make `gpj.exe` read as
/// `exe.jpg`), characters Windows refuses, leading or trailing dots and
/// spaces; at most 80 characters; and the extension of the detected type,
/// so `setup.exe` holding a PDF is offered as `setup.pdf`.
pub fn display_name(raw: &str, kind: EvidenceType) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String =
        base.chars().filter(|&c| !c.is_control() && !is_invisible_format(c) && !"<>:\"|?*".contains(c)).collect();
    let cleaned = cleaned.trim_matches(|c: char| c == '.' || c.is_whitespace());
    let stem = match cleaned.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => cleaned,
    };
    let ext = kind.extension();
    let room = DISPLAY_NAME_MAX_CHARS - ext.len() - 1;
    let stem: String = stem.chars().take(room).collect();
    let stem = stem.trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    if stem.is_empty() {
        format!("证据.{ext}")
    } else if is_reserved_on_windows(stem) {
        format!("_{stem}.{ext}")
    } else {
        format!("{stem}.{ext}")
    }
}

/// Zero-width and bidirectional formatting characters: invisible, and able
/// to disguise an extension.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// `CON.pdf` cannot be saved on Windows, whatever the extension.
fn is_reserved_on_windows(stem: &str) -> bool {
    let upper = stem.to_ascii_uppercase();
    matches!(upper.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || (upper.len() == 4
            && (upper.starts_with("COM") || upper.starts_with("LPT"))
            && upper.ends_with(|c: char| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests;
