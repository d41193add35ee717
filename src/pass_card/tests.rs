use super::*;

const TOKEN: &str = "PK1AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

fn card() -> PassCard {
    PassCard {
        project: "云境·演示项目".to_owned(),
        customer_masked: "王先生 138****5678".to_owned(),
        agent: "张三".to_owned(),
        agency: "链家-天河店".to_owned(),
        manual_code: "E78X-GZ89".to_owned(),
        arrive_not_before: "2026-11-18 10:30".to_owned(),
        valid_until: "2026-11-25 10:00".to_owned(),
        token: TOKEN.to_owned(),
    }
}

/// Every QR code rqrr finds in the PNG that decodes, as text.
fn decoded(png: &[u8]) -> Vec<String> {
    let img = image::load_from_memory(png).unwrap().to_luma8();
    let (w, h) = img.dimensions();
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w as usize, h as usize, |x, y| {
        img.get_pixel(x as u32, y as u32)[0]
    });
    prepared.detect_grids().iter().filter_map(|g| g.decode().ok()).map(|(_, text)| text).collect()
}

/// Whether two placed runs (or a run and the QR code) share a pixel.
fn overlap(a: (u32, u32, u32, u32), b: (u32, u32, u32, u32)) -> bool {
    a.0 < b.0 + b.2 && b.0 < a.0 + a.2 && a.1 < b.1 + b.3 && b.1 < a.1 + a.3
}

/// Every run of text inside the margins and on the card, none over
/// another or over the QR code (with its quiet zone).
fn assert_fits(layout: &Layout, font: &Font) {
    // The code with its quiet zone.
    let quiet = QUIET_MODULES * layout.qr.module;
    let (qx, qy) = (layout.qr.x - quiet, layout.qr.y - quiet);
    let side = (layout.qr.width + 2 * QUIET_MODULES) * layout.qr.module;
    let boxes: Vec<_> = layout.texts.iter().map(|t| (t.x, t.y, t.width(font), t.height())).collect();
    for (t, b) in layout.texts.iter().zip(&boxes) {
        assert!(b.0 >= MARGIN && b.0 + b.2 <= WIDTH - MARGIN, "{:?} is {} px wide at x {}", t.text, b.2, b.0);
        assert!(b.1 + b.3 <= HEIGHT, "{:?} runs off the bottom", t.text);
        assert!(!overlap(*b, (qx, qy, side, side)), "{:?} is over the QR code", t.text);
    }
    for (i, a) in boxes.iter().enumerate() {
        for (j, b) in boxes.iter().enumerate().skip(i + 1) {
            assert!(!overlap(*a, *b), "{:?} overlaps {:?}", layout.texts[i].text, layout.texts[j].text);
        }
    }
    let rows_bottom = layout.texts.iter().filter(|t| t.y < FOOTER_TOP).map(|t| t.y + t.height()).max();
    assert!(rows_bottom.unwrap() <= FOOTER_RULE_TOP, "the rows end above the footer");
}

#[test]
fn the_card_carries_the_token_in_a_code_rqrr_reads() {
    let png = card().render().unwrap();
    let img = image::load_from_memory(&png).unwrap();
    assert_eq!((img.width(), img.height()), (WIDTH, HEIGHT));
    assert_eq!(decoded(&png), vec![TOKEN.to_owned()]);
    assert!(png.len() < 200_000, "{} bytes", png.len());
}

#[test]
fn the_same_card_gives_the_same_bytes_and_another_card_other_bytes() {
    assert_eq!(card().render().unwrap(), card().render().unwrap());
    let other = PassCard { manual_code: "E78X-GZ80".to_owned(), ..card() };
    assert_ne!(card().render().unwrap(), other.render().unwrap());
}

#[test]
fn the_texts_are_on_the_card_where_the_layout_puts_them() {
    let font = font::unifont();
    let layout = layout(&card(), font).unwrap();
    assert_fits(&layout, font);
    let texts: Vec<&str> = layout.texts.iter().map(|t| t.text.as_str()).collect();
    for expected in [
        "云境·演示项目",
        "E78X-GZ89",
        "王先生 138****5678",
        "张三（链家-天河店）",
        "2026-11-18 10:30",
        "2026-11-25 10:00",
        "到访不早于",
        "有效至",
        FOOTER,
    ] {
        assert!(texts.contains(&expected), "{expected} in {texts:?}");
    }
    // Ink where the project's name is drawn: white on the band.
    let png = card().render().unwrap();
    let img = image::load_from_memory(&png).unwrap().to_rgb8();
    let title = layout.texts.iter().find(|t| t.text == "云境·演示项目").unwrap();
    let inked = (title.x..title.x + title.width(font))
        .flat_map(|x| (title.y..title.y + title.height()).map(move |y| (x, y)))
        .filter(|&(x, y)| img.get_pixel(x, y).0 == [0xff, 0xff, 0xff])
        .count();
    assert!(inked > 500, "{inked} white pixels in the title");
    assert_eq!(img.get_pixel(5, 5).0, PALETTE[BRAND as usize]);
}

#[test]
fn long_names_wrap_then_end_in_an_ellipsis_and_still_fit() {
    let font = font::unifont();
    let long = PassCard {
        project: "云境·演示项目二期东区样板间与商业综合体配套住宅营销中心".repeat(2),
        customer_masked: format!("{} 138****5678", "欧阳".repeat(30)),
        agent: "Alexander Maximilian von Humboldt-Schwarzenberg".to_owned(),
        agency: "链家地产经纪有限公司广州天河区体育西路第一分店".repeat(2),
        ..card()
    };
    let layout = layout(&long, font).unwrap();
    assert_fits(&layout, font);
    let project: Vec<&Placed> = layout.texts.iter().filter(|t| t.y < BAND_HEIGHT && t.bold).collect();
    assert_eq!(project.len(), 2, "the project on two lines");
    assert!(project[1].text.ends_with('…'));
    assert!(layout.texts.iter().any(|t| t.text.starts_with("欧阳") && t.text.ends_with('…')));
    assert_eq!(decoded(&long.render().unwrap()), vec![TOKEN.to_owned()], "the code still reads");
}

#[test]
fn a_short_project_name_is_one_large_line() {
    let font = font::unifont();
    let layout = layout(&card(), font).unwrap();
    let title = layout.texts.iter().find(|t| t.text == "云境·演示项目").unwrap();
    assert_eq!(title.scale, 4);
}

#[test]
fn characters_the_font_lacks_are_boxes_not_a_panic() {
    let font = font::unifont();
    let odd = PassCard {
        customer_masked: "😀𠀀\u{E000}\u{0301} 138****5678".to_owned(),
        agent: "\u{200B}\u{FEFF}张三\t\n".to_owned(),
        ..card()
    };
    let layout = layout(&odd, font).unwrap();
    assert_fits(&layout, font);
    assert_eq!(font.width("😀"), 16, "a box a hanzi wide");
    assert_eq!(decoded(&odd.render().unwrap()), vec![TOKEN.to_owned()]);
}

#[test]
fn wrapping_breaks_between_characters_and_drops_the_space_at_a_break() {
    let font = font::unifont();
    // 16 px a hanzi at scale 1: three to a 48 px line.
    assert_eq!(wrap(font, "王先生", 1, 48, 2), (vec!["王先生".to_owned()], false));
    assert_eq!(wrap(font, "王先生 李", 1, 48, 2), (vec!["王先生".to_owned(), "李".to_owned()], false));
    let (lines, cut) = wrap(font, "一二三四五六七", 1, 48, 2);
    assert!(cut);
    assert_eq!(lines, vec!["一二三".to_owned(), "四五…".to_owned()]);
    assert_eq!(fit(font, "一二三四", 48, &[(1, 1), (1, 2)]), (1, vec!["一二三".to_owned(), "四".to_owned()]));
}
