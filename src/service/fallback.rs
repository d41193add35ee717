//! Fallback reports (补录): a report an agent sent to the WeChat group while
//! the reporting system was down, entered by a manager during an incident
//! window. It is filed like any report — the project's filing rules, the
//! key ring's current key — but at the message's time, so the judge
//! measures the 30 minutes from when the agent really reported. The
//! screenshot of the message is kept as evidence, checked by its content:
//! a JPEG or a PNG, nothing else.

use super::{ServiceError, ServiceResult};
use crate::config::deployment::ProjectConfig;
use crate::domain::rules::Rules;
use crate::domain::token::{KeyId, KeyRing};
use crate::store::Store;
use crate::store::incidents::{FallbackEntry, FallbackReport, MAX_SCREENSHOT_BYTES};
use crate::store::reports::{FilingError, NewReport};
use chrono::{DateTime, FixedOffset, Utc};

/// A screenshot whose content was checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screenshot {
    pub bytes: Vec<u8>,
    pub mime: &'static str,
    pub sha256: String,
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ScreenshotError {
    #[error("请上传微信群消息的截图 / attach the screenshot of the group message")]
    Missing,
    #[error("截图不能超过 5 MB / the screenshot is larger than 5 MB")]
    TooLarge,
    #[error(
        "截图须为 JPEG 或 PNG 图片(按文件内容检查,改文件名无效) / the screenshot must be a JPEG or PNG image (checked by its content, not its name)"
    )]
    NotAnImage,
    #[error("截图图片已损坏或尺寸不正确 / the screenshot image is damaged or of an impossible size")]
    Damaged,
}

/// The largest side a screenshot may have (a long scrolling capture).
const MAX_SIDE: u32 = 20_000;

/// Checks a screenshot by its content: a PNG that decodes, or a JPEG whose
/// structure is whole (start, frame header, scan, end).
pub fn check_screenshot(bytes: Vec<u8>) -> Result<Screenshot, ScreenshotError> {
    if bytes.is_empty() {
        return Err(ScreenshotError::Missing);
    }
    if bytes.len() > MAX_SCREENSHOT_BYTES {
        return Err(ScreenshotError::TooLarge);
    }
    let (mime, (width, height)) = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        ("image/png", png_size(&bytes)?)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        ("image/jpeg", jpeg_size(&bytes).ok_or(ScreenshotError::Damaged)?)
    } else {
        return Err(ScreenshotError::NotAnImage);
    };
    if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
        return Err(ScreenshotError::Damaged);
    }
    let sha256 = crate::crypto::sha256_hex(&bytes);
    Ok(Screenshot { bytes, mime, sha256, width, height })
}

/// Decodes the PNG (within limits) to know it is whole.
fn png_size(bytes: &[u8]) -> Result<(u32, u32), ScreenshotError> {
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), image::ImageFormat::Png);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let img = reader.decode().map_err(|_| ScreenshotError::Damaged)?;
    Ok((img.width(), img.height()))
}

/// Walks a JPEG's segments: start of image, a frame header (SOFn) with its
/// size, a start of scan, and the end-of-image marker last (trailing zero
/// padding allowed). `None` when any of it is missing or cut short.
fn jpeg_size(b: &[u8]) -> Option<(u32, u32)> {
    let mut i = 2;
    let mut size = None;
    loop {
        if *b.get(i)? != 0xFF {
            return None;
        }
        while *b.get(i)? == 0xFF {
            i += 1;
        }
        let marker = *b.get(i)?;
        i += 1;
        match marker {
            // Markers without a length: TEM, RSTn, a second SOI.
            0x01 | 0xD0..=0xD8 => continue,
            0xD9 => return None,
            _ => {}
        }
        let len = usize::from(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?]));
        if len < 2 {
            return None;
        }
        let segment = b.get(i + 2..i + len)?;
        let frame = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if frame {
            let (h, w) = (
                u16::from_be_bytes([*segment.get(1)?, *segment.get(2)?]),
                u16::from_be_bytes([*segment.get(3)?, *segment.get(4)?]),
            );
            size = Some((u32::from(w), u32::from(h)));
        }
        i += len;
        if marker == 0xDA {
            let end = b.iter().rposition(|&x| x != 0)?;
            let ends_well = end >= 1 && b[end - 1] == 0xFF && b[end] == 0xD9 && end > i;
            return if ends_well { size } else { None };
        }
    }
}

/// What filing a fallback report needs from the server, ready to move
/// into a database job.
pub struct FallbackFiling {
    rules: Rules,
    key_id: KeyId,
    now: DateTime<Utc>,
}

impl FallbackFiling {
    /// For `project` at `now` (the server's clock), signed with the key
    /// ring's current key.
    pub fn new(project: &ProjectConfig, key_ring: &KeyRing, now: DateTime<Utc>) -> FallbackFiling {
        FallbackFiling { rules: project.rules.clone(), key_id: key_ring.signing_key(), now }
    }

    /// The project's time zone (the message time is read in it).
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// Runs on the writer: the window's checks, the filing checks at the
    /// message's time, the insert, the fallback record and its audit entry
    /// — all or nothing.
    pub fn file(self, store: &mut Store, new: NewReport, entry: &FallbackEntry) -> ServiceResult<FallbackReport> {
        let mut rng = rand::rngs::OsRng;
        let next = || rand::RngCore::next_u64(&mut rng);
        match store.file_fallback_report(new, &self.rules, self.key_id, entry, self.now, next) {
            Ok(r) => {
                tracing::info!(report = r.report.id.0, incident = r.incident_id, "fallback report entered");
                Ok(r)
            }
            Err(FilingError::Refused(refusal)) => Err(ServiceError::Filing(refusal)),
            Err(FilingError::Store(e)) => Err(e.into()),
        }
    }
}

/// What the fallback record keeps: the window, the message's time, the
/// checked screenshot and who entered it.
pub fn entry(incident_id: i64, message_at: DateTime<FixedOffset>, shot: Screenshot, actor: String) -> FallbackEntry {
    FallbackEntry {
        incident_id,
        message_at,
        screenshot: shot.bytes,
        screenshot_mime: shot.mime,
        screenshot_sha256: shot.sha256,
        actor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png() -> Vec<u8> {
        crate::demo::signature_png(1)
    }

    /// The smallest JPEG shape the walk accepts: SOI, SOF0 (1×1), SOS,
    /// one byte of scan, EOI.
    fn jpeg() -> Vec<u8> {
        let mut b = vec![0xFF, 0xD8];
        b.extend([0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00]);
        b.extend([0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x01, 0x00, 0x01, 0x01, 0x01, 0x11, 0x00]);
        b.extend([0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00]);
        b.extend([0x12, 0x34]);
        b.extend([0xFF, 0xD9]);
        b
    }

    #[test]
    fn a_png_or_a_jpeg_is_taken_by_its_content() {
        let shot = check_screenshot(png()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(shot.mime, "image/png");
        let shot = check_screenshot(jpeg()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((shot.mime, shot.width, shot.height), ("image/jpeg", 1, 1));
    }

    #[test]
    fn a_renamed_text_file_or_a_cut_image_is_refused() {
        assert_eq!(check_screenshot(b"hello, this is not a picture".to_vec()), Err(ScreenshotError::NotAnImage));
        assert_eq!(check_screenshot(Vec::new()), Err(ScreenshotError::Missing));
        let cut = png()[..40].to_vec();
        assert_eq!(check_screenshot(cut), Err(ScreenshotError::Damaged));
        let mut cut = jpeg();
        cut.truncate(cut.len() - 2);
        assert_eq!(check_screenshot(cut), Err(ScreenshotError::Damaged));
        assert_eq!(check_screenshot(vec![0x89; MAX_SCREENSHOT_BYTES + 1]), Err(ScreenshotError::TooLarge));
    }
}
