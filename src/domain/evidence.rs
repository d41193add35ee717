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

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use super::signature::sha256_hex;

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

const JPEG_MAGIC: &[u8] = b"\xFF\xD8\xFF";
const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";
const PDF_MAGIC: &[u8] = b"%PDF-";
/// Readers look for `%%EOF` within the last 1024 bytes, tolerating junk
/// after it; panke does the same.
const PDF_EOF_WINDOW: usize = 1024;

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

/// A PDF must start with `%PDF-` and a version digit and end (give or take
/// trailing junk) with `%%EOF`: a file cut short in transfer lacks it.
/// Encrypted PDFs are accepted; their content is the uploader's business.
fn check_pdf(bytes: &[u8]) -> Result<(), EvidenceError> {
    let versioned = bytes.get(PDF_MAGIC.len()).is_some_and(u8::is_ascii_digit);
    let tail = &bytes[bytes.len().saturating_sub(PDF_EOF_WINDOW)..];
    if versioned && tail.windows(5).any(|w| w == b"%%EOF") { Ok(()) } else { Err(EvidenceError::Corrupt) }
}

/// True when the JPEG's segments run, length by length, to an end-of-image
/// marker. The JPEG decoder is lenient: a file cut off in transfer comes out
/// with its missing rows filled in, which is evidence of nothing. Bytes
/// after EOI (some phones append data there) are not decoded, and are gone
/// after re-encoding.
fn jpeg_reaches_eoi(b: &[u8]) -> bool {
    let mut i = 2; // past SOI
    loop {
        // Stray bytes before a marker are skipped, as decoders do; a marker
        // may be padded with fill bytes (0xFF).
        let Some(at) = next_ff(b, i) else { return false };
        i = at;
        while b.get(i).copied() == Some(0xFF) {
            i += 1;
        }
        let Some(marker) = b.get(i).copied() else { return false };
        i += 1;
        match marker {
            0xD9 => return true,
            // A stuffed zero outside a scan, or a second SOI.
            0x00 | 0xD8 => return false,
            // TEM and the restart markers have no length.
            0x01 | 0xD0..=0xD7 => continue,
            _ => {}
        }
        let (Some(hi), Some(lo)) = (b.get(i).copied(), b.get(i + 1).copied()) else { return false };
        let length = usize::from(u16::from_be_bytes([hi, lo]));
        if length < 2 || i + length > b.len() {
            return false;
        }
        i += length;
        if marker == 0xDA {
            // Entropy-coded data follows a scan header. It ends at the first
            // 0xFF that is neither stuffing (FF 00) nor a restart (FF D0–D7).
            loop {
                let Some(at) = next_ff(b, i) else { return false };
                i = at;
                match b.get(i + 1).copied() {
                    Some(0x00 | 0xD0..=0xD7) => i += 2,
                    Some(_) => break,
                    None => return false,
                }
            }
        }
    }
}

fn next_ff(b: &[u8], from: usize) -> Option<usize> {
    b.get(from..)?.iter().position(|&x| x == 0xFF).map(|p| from + p)
}

/// A refused kind of file, recognised by its first bytes so the message can
/// say what the file is. `program` marks what would run if opened.
struct Foreign {
    at: usize,
    magics: &'static [&'static [u8]],
    en: &'static str,
    zh: &'static str,
    program: bool,
}

const fn program(magics: &'static [&'static [u8]], en: &'static str, zh: &'static str) -> Foreign {
    Foreign { at: 0, magics, en, zh, program: true }
}

const fn other(magics: &'static [&'static [u8]], en: &'static str, zh: &'static str) -> Foreign {
    Foreign { at: 0, magics, en, zh, program: false }
}

const SCRIPT: Foreign = program(&[b"#!"], "a script", "脚本");
/// iPhones save HEIC by default; MP4 and MOV share the `ftyp` box.
const HEIF: Foreign = Foreign {
    at: 4,
    magics: &[b"ftyp"],
    en: "an HEIC/HEIF photo or an MP4/MOV video",
    zh: "HEIC 照片或视频(苹果手机的默认格式)",
    program: false,
};
const WEB_PAGE: Foreign = other(&[], "a web page or SVG (HTML/XML)", "网页或 SVG 文件(HTML/XML)");
const TEXT: Foreign = other(&[], "a text file", "文本文件");
const UNKNOWN: Foreign = other(&[], "a file of unknown type", "无法识别的文件");

const FOREIGN: &[Foreign] = &[
    program(&[b"\x7FELF"], "an ELF executable", "Linux/安卓 ELF"),
    program(&[b"MZ"], "a Windows executable (MZ/PE)", "Windows exe/dll"),
    program(
        &[b"\xCF\xFA\xED\xFE", b"\xCE\xFA\xED\xFE", b"\xFE\xED\xFA\xCF", b"\xFE\xED\xFA\xCE", b"\xCA\xFE\xBA\xBE"],
        "a macOS executable (Mach-O) or a Java class",
        "macOS/Java",
    ),
    program(&[b"dex\n"], "an Android DEX program", "安卓 dex"),
    program(&[b"\0asm"], "a WebAssembly program", "WebAssembly"),
    SCRIPT,
    other(
        &[b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"],
        "a ZIP archive (or .docx/.xlsx/.apk/.jar)",
        "ZIP 压缩包(含 docx、xlsx、apk 等)",
    ),
    other(&[b"Rar!\x1A\x07"], "a RAR archive", "RAR 压缩包"),
    other(&[b"7z\xBC\xAF\x27\x1C"], "a 7-Zip archive", "7z 压缩包"),
    other(&[b"\x1F\x8B", b"BZh", b"\xFD7zXZ\0"], "a compressed archive (gzip/bzip2/xz)", "压缩包(gz/bz2/xz)"),
    other(
        &[b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"],
        "an old Office document or installer (.doc/.xls/.msi)",
        "旧版 Office 文档或安装包(doc/xls/msi)",
    ),
    other(&[b"{\\rtf"], "an RTF document", "RTF 文档"),
    other(&[b"GIF8"], "a GIF image", "GIF 图片"),
    Foreign { at: 8, magics: &[b"WEBP"], en: "a WebP image", zh: "WebP 图片", program: false },
    other(&[b"II*\0", b"MM\0*"], "a TIFF image", "TIFF 图片"),
    other(&[b"BM"], "a BMP image", "BMP 图片"),
    HEIF,
    WEB_PAGE,
    TEXT,
    UNKNOWN,
];

/// What a refused file is, in English (see [`FOREIGN`]).
fn describe(bytes: &[u8]) -> &'static str {
    let by_magic = FOREIGN.iter().find(|f| {
        let head = bytes.get(f.at..).unwrap_or_default();
        f.magics.iter().any(|m| head.starts_with(m))
    });
    if let Some(f) = by_magic {
        return f.en;
    }
    let head = &bytes[..bytes.len().min(512)];
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head).trim_ascii_start().to_ascii_lowercase();
    // Scripts without a #! line: PHP, Windows batch, bare JavaScript.
    if [&b"<?php"[..], b"@echo", b"<script"].iter().any(|p| head.starts_with(p)) {
        SCRIPT.en
    } else if head.starts_with(b"<") {
        WEB_PAGE.en
    } else if !head.contains(&0) && is_utf8_prefix(&head) {
        TEXT.en
    } else {
        UNKNOWN.en
    }
}

/// Valid UTF-8, allowing for a character cut off by the 512-byte window.
fn is_utf8_prefix(head: &[u8]) -> bool {
    match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    }
}

fn foreign(detected: &str) -> &'static Foreign {
    FOREIGN.iter().find(|f| f.en == detected).unwrap_or(&FOREIGN[FOREIGN.len() - 1])
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
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    /// 40 × 20: the left half black, the right half white.
    fn half_black() -> DynamicImage {
        DynamicImage::ImageRgb8(RgbImage::from_fn(40, 20, |x, _| if x < 20 { Rgb([0, 0, 0]) } else { Rgb([255; 3]) }))
    }

    fn jpeg(image: &DynamicImage) -> Vec<u8> {
        let mut out = Vec::new();
        image.write_with_encoder(JpegEncoder::new_with_quality(&mut out, 90)).unwrap();
        out
    }

    fn png(image: &DynamicImage) -> Vec<u8> {
        let mut out = Vec::new();
        image.write_with_encoder(PngEncoder::new(&mut out)).unwrap();
        out
    }

    fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![0xFF, marker];
        out.extend_from_slice(&u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
        out.extend_from_slice(payload);
        out
    }

    /// A little-endian TIFF block with one IFD entry, Orientation, then
    /// `extra` (unreferenced bytes, as makers' notes often are).
    fn exif_tiff(orientation: u16, extra: &[u8]) -> Vec<u8> {
        let mut tiff = b"II*\0\x08\0\0\0".to_vec();
        tiff.extend_from_slice(&1u16.to_le_bytes());
        tiff.extend_from_slice(&0x0112u16.to_le_bytes());
        tiff.extend_from_slice(&3u16.to_le_bytes());
        tiff.extend_from_slice(&1u32.to_le_bytes());
        tiff.extend_from_slice(&orientation.to_le_bytes());
        tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        tiff.extend_from_slice(extra);
        tiff
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = u32::MAX;
        for &byte in data {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        let mut out = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
        out
    }

    /// Inserts chunks right after IHDR (signature 8 bytes + IHDR 25 bytes).
    fn png_with_chunks(png: &[u8], chunks: &[Vec<u8>]) -> Vec<u8> {
        let mut out = png[..33].to_vec();
        for c in chunks {
            out.extend_from_slice(c);
        }
        out.extend_from_slice(&png[33..]);
        out
    }

    /// A PNG whose header claims `width × height`, with a few bytes of
    /// "image data": enough for the header to be read, far too little for
    /// the canvas.
    fn png_claiming(width: u32, height: u32) -> Vec<u8> {
        let mut ihdr = width.to_be_bytes().to_vec();
        ihdr.extend_from_slice(&height.to_be_bytes());
        ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
        let mut out = PNG_MAGIC.to_vec();
        out.extend(chunk(b"IHDR", &ihdr));
        out.extend(chunk(b"IDAT", b"\x78\x01\x00\x00\x00\xFF\xFF"));
        out.extend(chunk(b"IEND", b""));
        out
    }

    const GPS: &[u8] = b"GPSLatitude=31.2304N;GPSLongitude=121.4737E";
    const SERIAL: &[u8] = b"BodySerialNumber=SN-4711-CAMERA";

    #[test]
    fn a_jpeg_loses_exif_xmp_and_comments_and_keeps_its_orientation() {
        let plain = jpeg(&half_black());
        let mut exif = b"Exif\0\0".to_vec();
        exif.extend(exif_tiff(6, &[GPS, SERIAL].concat()));
        let xmp = [&b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>"[..], SERIAL, b"</x:xmpmeta>"].concat();
        let mut upload = plain[..2].to_vec();
        upload.extend(segment(0xE1, &exif));
        upload.extend(segment(0xE1, &xmp));
        upload.extend(segment(0xFE, GPS));
        upload.extend_from_slice(&plain[2..]);

        let file = EvidenceFile::parse(&upload).unwrap();
        assert_eq!(file.kind, EvidenceType::Jpeg);
        assert!(file.reencoded);
        assert!(file.bytes.starts_with(JPEG_MAGIC));
        for secret in [GPS, SERIAL, b"Exif", b"xmpmeta"] {
            assert!(contains(&upload, secret) && !contains(&file.bytes, secret));
        }
        // Orientation 6 (rotate 90° clockwise) was applied to the pixels:
        // the black left half is now the top half.
        assert_eq!((file.width, file.height), (Some(20), Some(40)));
        let stored = image::load_from_memory_with_format(&file.bytes, ImageFormat::Jpeg).unwrap().to_luma8();
        assert_eq!(stored.dimensions(), (20, 40));
        assert!(stored.get_pixel(10, 5).0[0] < 64 && stored.get_pixel(10, 35).0[0] > 192);
        assert_eq!(file.original_sha256_hex, sha256_hex(&upload));
        assert_eq!(file.sha256_hex, sha256_hex(&file.bytes));
        assert_ne!(file.sha256_hex, file.original_sha256_hex);
    }

    #[test]
    fn re_encoding_is_repeatable_and_its_output_is_accepted_again() {
        let upload = jpeg(&half_black());
        let (first, second) = (EvidenceFile::parse(&upload).unwrap(), EvidenceFile::parse(&upload).unwrap());
        assert_eq!(first.sha256_hex, second.sha256_hex);
        let again = EvidenceFile::parse(&first.bytes).unwrap();
        assert_eq!((again.width, again.height), (Some(40), Some(20)));
    }

    #[test]
    fn a_png_loses_its_text_chunks_and_keeps_its_pixels() {
        let original = half_black();
        let text = chunk(b"tEXt", &[&b"Comment\0"[..], GPS].concat());
        let xmp = chunk(b"iTXt", &[&b"XML:com.adobe.xmp\0\0\0\0\0"[..], SERIAL].concat());
        let upload = png_with_chunks(&png(&original), &[text, xmp]);

        let file = EvidenceFile::parse(&upload).unwrap();
        assert_eq!(file.kind, EvidenceType::Png);
        assert!(file.bytes.starts_with(PNG_MAGIC));
        for secret in [GPS, SERIAL, b"tEXt", b"iTXt"] {
            assert!(contains(&upload, secret) && !contains(&file.bytes, secret));
        }
        let stored = image::load_from_memory_with_format(&file.bytes, ImageFormat::Png).unwrap();
        assert_eq!(stored.to_rgb8(), original.to_rgb8());
    }

    #[test]
    fn a_png_exif_orientation_is_applied_then_dropped() {
        let upload = png_with_chunks(&png(&half_black()), &[chunk(b"eXIf", &exif_tiff(6, GPS))]);
        let file = EvidenceFile::parse(&upload).unwrap();
        assert_eq!((file.width, file.height), (Some(20), Some(40)));
        assert!(!contains(&file.bytes, GPS) && !contains(&file.bytes, b"eXIf"));
    }

    #[test]
    fn renamed_programs_and_archives_are_refused_naming_the_accepted_types() {
        let cases: [(&[u8], bool); 8] = [
            (b"\x7FELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3E\0", true),
            (b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xFF\xFF\0\0PE\0\0", true),
            (b"#!/bin/sh\nrm -rf ~\n", true),
            (b"@ECHO OFF\r\ndel /q *\r\n", true),
            (b"\xCF\xFA\xED\xFE\x07\0\0\x01", true),
            (b"PK\x03\x04\x14\0\0\0\x08\0payload.exe", false),
            (b"<html><body>not a pdf</body></html>", false),
            (b"\0\0\0\x18ftypheic\0\0\0\0mif1heic", false),
        ];
        for (bytes, is_program) in cases {
            let err = EvidenceFile::parse(bytes).unwrap_err();
            assert!(matches!(err, EvidenceError::NotAccepted { .. }), "{err:?}");
            let (zh, en) = (err.zh(), err.en());
            assert!(zh.starts_with("只接受 JPEG、PNG 图片或 PDF 文件"), "{zh}");
            assert!(en.contains("JPEG") && en.contains("PNG") && en.contains("PDF"), "{en}");
            assert_eq!(zh.contains("可执行程序"), is_program, "{zh}");
            assert_eq!(en.contains("a program"), is_program, "{en}");
        }
        let exe = EvidenceFile::parse(b"MZ\x90\0").unwrap_err();
        assert_eq!(exe, EvidenceError::NotAccepted { detected: "a Windows executable (MZ/PE)" });
        assert!(exe.zh().contains("可执行程序(Windows exe/dll)") && exe.to_string().contains(" / "));
        let heic = EvidenceFile::parse(b"\0\0\0\x18ftypheic\0\0\0\0").unwrap_err();
        assert!(heic.zh().contains("存为 JPEG") && heic.en().contains("as JPEG"));
        assert_eq!(EvidenceFile::parse(b"just words").unwrap_err(), EvidenceError::NotAccepted { detected: TEXT.en });
        assert_eq!(
            EvidenceFile::parse(b"\x00\x01\x02\x03").unwrap_err(),
            EvidenceError::NotAccepted { detected: UNKNOWN.en }
        );
    }

    #[test]
    fn a_program_behind_a_jpeg_or_pdf_header_is_still_refused() {
        // The magic alone is not enough: an image must decode, a PDF must be whole.
        assert_eq!(EvidenceFile::parse(b"\xFF\xD8\xFF\xE0MZ\x90\0 payload").unwrap_err(), EvidenceError::Corrupt);
        assert!(EvidenceFile::parse(b"\x89PNG\r\n\x1a\n\x7FELF").is_err());
        assert_eq!(EvidenceFile::parse(b"%PDF-\x7FELF").unwrap_err(), EvidenceError::Corrupt);
    }

    #[test]
    fn empty_and_oversized_files_are_refused_before_anything_else() {
        assert_eq!(EvidenceFile::parse(b"").unwrap_err(), EvidenceError::Empty);
        let mut big = b"%PDF-1.7\n".to_vec();
        big.resize(EVIDENCE_MAX_BYTES + 1, b' ');
        let err = EvidenceFile::parse(&big).unwrap_err();
        assert_eq!(err, EvidenceError::TooLarge { bytes: EVIDENCE_MAX_BYTES + 1 });
        assert!(err.zh().contains("10 MB") && err.en().contains("10 MB"), "{err}");
    }

    #[test]
    fn a_pdf_exactly_at_the_limit_is_stored_as_given() {
        let mut pdf = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
        pdf.resize(EVIDENCE_MAX_BYTES - 6, b' ');
        pdf.extend_from_slice(b"%%EOF\n");
        assert_eq!(pdf.len(), EVIDENCE_MAX_BYTES);
        let file = EvidenceFile::parse(&pdf).unwrap();
        assert_eq!(file.kind, EvidenceType::Pdf);
        assert!(file.bytes == pdf && !file.reencoded);
        assert_eq!((file.width, file.height), (None, None));
        assert_eq!(file.sha256_hex, file.original_sha256_hex);
        assert_eq!(file.sha256_hex, sha256_hex(&pdf));
    }

    #[test]
    fn a_pdf_must_have_a_version_and_an_end() {
        assert!(EvidenceFile::parse(b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\r\n\0\0").is_ok());
        assert_eq!(EvidenceFile::parse(b"%PDF-1.4\n1 0 obj\n<<>>\n").unwrap_err(), EvidenceError::Corrupt);
        assert_eq!(EvidenceFile::parse(b"%PDF-%%EOF").unwrap_err(), EvidenceError::Corrupt);
        let mut cut = b"%PDF-1.4\n%%EOF\n".to_vec();
        cut.resize(4096, b'x');
        assert_eq!(EvidenceFile::parse(&cut).unwrap_err(), EvidenceError::Corrupt, "%%EOF far from the end");
    }

    #[test]
    fn truncated_images_are_refused() {
        let whole = jpeg(&DynamicImage::ImageRgb8(RgbImage::from_fn(64, 64, |x, y| {
            Rgb([(x * 4) as u8, (y * 4) as u8, ((x ^ y) * 4) as u8])
        })));
        assert!(EvidenceFile::parse(&whole).is_ok());
        for cut in [whole.len() - 2, whole.len() / 2, 20] {
            assert_eq!(EvidenceFile::parse(&whole[..cut]).unwrap_err(), EvidenceError::Corrupt, "cut at {cut}");
        }
        let whole = png(&half_black());
        assert_eq!(EvidenceFile::parse(&whole[..whole.len() / 2]).unwrap_err(), EvidenceError::Corrupt);
    }

    #[test]
    fn trailing_bytes_after_a_jpeg_are_tolerated_and_dropped() {
        let mut upload = jpeg(&half_black());
        upload.extend_from_slice(b"\x7FELF hidden after the image");
        let file = EvidenceFile::parse(&upload).unwrap();
        assert!(!contains(&file.bytes, b"hidden after"));
    }

    #[test]
    fn a_decompression_bomb_is_refused_from_its_header() {
        // 100000 × 100000 RGBA would be 40 GB: were it allocated, the test
        // process would abort rather than see the error.
        assert_eq!(EvidenceFile::parse(&png_claiming(100_000, 100_000)).unwrap_err(), EvidenceError::TooManyPixels);
        // Within the side limit but over the pixel count.
        assert_eq!(EvidenceFile::parse(&png_claiming(11_000, 11_000)).unwrap_err(), EvidenceError::TooManyPixels);
        // A real image, one pixel tall, one side too long.
        let long = png(&DynamicImage::ImageRgb8(RgbImage::new(EVIDENCE_MAX_SIDE + 1, 1)));
        assert_eq!(EvidenceFile::parse(&long).unwrap_err(), EvidenceError::TooManyPixels);
        assert!(EvidenceFile::parse(&png(&DynamicImage::ImageRgb8(RgbImage::new(EVIDENCE_MAX_SIDE, 1)))).is_ok());
        assert!(EvidenceError::TooManyPixels.zh().contains("12000"));
    }

    #[test]
    fn a_jpeg_claiming_a_huge_canvas_is_refused() {
        let mut bomb = jpeg(&half_black());
        // Walk the segments to the frame header (SOF0) and rewrite its size.
        let mut i = 2;
        while bomb[i + 1] != 0xC0 {
            i += 2 + usize::from(u16::from_be_bytes([bomb[i + 2], bomb[i + 3]]));
        }
        bomb[i + 5..i + 9].copy_from_slice(&[0xEA, 0x60, 0xEA, 0x60]); // 60000 × 60000
        assert_eq!(EvidenceFile::parse(&bomb).unwrap_err(), EvidenceError::TooManyPixels);
    }

    #[test]
    fn jpeg_structure_walk() {
        let mut scan = b"\xFF\xD8".to_vec();
        scan.extend(segment(0xDB, &[0; 65]));
        scan.extend(segment(0xDA, &[1, 1, 0, 0, 63, 0]));
        // Entropy data with a stuffed 0xFF and a restart marker, then EOI.
        assert!(jpeg_reaches_eoi(&[scan.as_slice(), b"\x12\xFF\x00\x34\xFF\xD0\x56\xFF\xFF\xD9"].concat()));
        assert!(!jpeg_reaches_eoi(&[scan.as_slice(), b"\x12\xFF\x00\x34"].concat()));
        // An EOI inside a segment (an EXIF thumbnail) is not the end.
        let mut thumb = b"\xFF\xD8".to_vec();
        thumb.extend(segment(0xE1, b"Exif\0\0\xFF\xD8\xFF\xD9"));
        thumb.extend(segment(0xDB, &[0; 4]));
        assert!(!jpeg_reaches_eoi(&thumb));
        assert!(!jpeg_reaches_eoi(b"\xFF\xD8\xFF\xE0\xFF\xFF"), "a length past the end");
    }

    #[test]
    fn every_refusal_has_both_languages() {
        let all = [
            EvidenceError::Empty,
            EvidenceError::TooLarge { bytes: 12 * 1024 * 1024 },
            EvidenceError::NotAccepted { detected: "an ELF executable" },
            EvidenceError::NotAccepted { detected: "not in the table" },
            EvidenceError::Corrupt,
            EvidenceError::TooManyPixels,
        ];
        for err in all {
            let (zh, en) = (err.zh(), err.en());
            assert!(zh.ends_with('。') && en.ends_with('.'), "{zh} {en}");
            assert_eq!(err.to_string(), format!("{zh} / {en}"));
        }
        assert!(EvidenceError::TooLarge { bytes: 12 * 1024 * 1024 }.zh().contains("12.0 MB"));
    }

    #[test]
    fn types_name_their_mime_and_extension() {
        for t in EvidenceType::ALL {
            assert_eq!(EvidenceType::from_mime(t.mime()), Some(t));
        }
        assert_eq!(EvidenceType::Jpeg.extension(), "jpg");
        assert_eq!(EvidenceType::Pdf.mime(), "application/pdf");
        assert_eq!(EvidenceType::from_mime("application/x-msdownload"), None);
    }

    #[test]
    fn display_names_are_safe_and_carry_the_detected_extension() {
        use EvidenceType::*;
        assert_eq!(display_name("C:\\Users\\王\\Desktop\\认购书.jpeg", Jpeg), "认购书.jpg");
        assert_eq!(display_name("../../etc/passwd", Pdf), "passwd.pdf");
        assert_eq!(display_name("setup.exe", Pdf), "setup.pdf");
        assert_eq!(display_name("聊天记录.png.exe", Png), "聊天记录.png.png");
        assert_eq!(display_name("invoice\u{202E}gpj.exe", Jpeg), "invoicegpj.jpg");
        assert_eq!(display_name("a\tb\r\nc\0d.pdf", Pdf), "abcd.pdf");
        assert_eq!(display_name("what?<is>|this*\".png", Png), "whatisthis.png");
        assert_eq!(display_name(" .hidden ", Png), "hidden.png");
        assert_eq!(display_name("", Pdf), "证据.pdf");
        assert_eq!(display_name("...", Jpeg), "证据.jpg");
        assert_eq!(display_name("dir/", Jpeg), "证据.jpg");
        assert_eq!(display_name("CON.txt", Pdf), "_CON.pdf");
        assert_eq!(display_name("lpt1", Pdf), "_lpt1.pdf");
        let long = display_name(&format!("{}.pdf", "长".repeat(200)), Pdf);
        assert_eq!(long.chars().count(), DISPLAY_NAME_MAX_CHARS);
        assert!(long.ends_with("长.pdf"));
    }
}
