//! What a file is, from its first bytes: the magic bytes and structure
//! checks of the accepted kinds, and the table of refused kinds that lets
//! a refusal name what was sent (a program, an archive, an iPhone photo …).

use super::EvidenceError;

pub(super) const JPEG_MAGIC: &[u8] = b"\xFF\xD8\xFF";
pub(super) const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";
pub(super) const PDF_MAGIC: &[u8] = b"%PDF-";
/// Readers look for `%%EOF` within the last 1024 bytes, tolerating junk
/// after it; panke does the same.
const PDF_EOF_WINDOW: usize = 1024;

/// A PDF must start with `%PDF-` and a version digit and end (give or take
/// trailing junk) with `%%EOF`: a file cut short in transfer lacks it.
/// Encrypted PDFs are accepted; their content is the uploader's business.
pub(super) fn check_pdf(bytes: &[u8]) -> Result<(), EvidenceError> {
    let versioned = bytes.get(PDF_MAGIC.len()).is_some_and(u8::is_ascii_digit);
    let tail = &bytes[bytes.len().saturating_sub(PDF_EOF_WINDOW)..];
    if versioned && tail.windows(5).any(|w| w == b"%%EOF") { Ok(()) } else { Err(EvidenceError::Corrupt) }
}

/// True when the JPEG's segments run, length by length, to an end-of-image
/// marker. The JPEG decoder is lenient: a file cut off in transfer comes out
/// with its missing rows filled in, which is evidence of nothing. Bytes
/// after EOI (some phones append data there) are not decoded, and are gone
/// after re-encoding.
pub(super) fn jpeg_reaches_eoi(b: &[u8]) -> bool {
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
pub(super) struct Foreign {
    at: usize,
    magics: &'static [&'static [u8]],
    pub(super) en: &'static str,
    pub(super) zh: &'static str,
    pub(super) program: bool,
}

const fn program(magics: &'static [&'static [u8]], en: &'static str, zh: &'static str) -> Foreign {
    Foreign { at: 0, magics, en, zh, program: true }
}

const fn other(magics: &'static [&'static [u8]], en: &'static str, zh: &'static str) -> Foreign {
    Foreign { at: 0, magics, en, zh, program: false }
}

const SCRIPT: Foreign = program(&[b"#!"], "a script", "脚本");
/// iPhones save HEIC by default; MP4 and MOV share the `ftyp` box.
pub(super) const HEIF: Foreign = Foreign {
    at: 4,
    magics: &[b"ftyp"],
    en: "an HEIC/HEIF photo or an MP4/MOV video",
    zh: "HEIC 照片或视频(苹果手机的默认格式)",
    program: false,
};
const WEB_PAGE: Foreign = other(&[], "a web page or SVG (HTML/XML)", "网页或 SVG 文件(HTML/XML)");
pub(super) const TEXT: Foreign = other(&[], "a text file", "文本文件");
pub(super) const UNKNOWN: Foreign = other(&[], "a file of unknown type", "无法识别的文件");

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
pub(super) fn describe(bytes: &[u8]) -> &'static str {
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

pub(super) fn foreign(detected: &str) -> &'static Foreign {
    FOREIGN.iter().find(|f| f.en == detected).unwrap_or(&FOREIGN[FOREIGN.len() - 1])
}
