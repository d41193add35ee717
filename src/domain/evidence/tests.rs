use super::sniff::{TEXT, UNKNOWN};
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
