//! Small charts written by hand as inline SVG, rendered on the server: no
//! script, no chart library, nothing from a CDN, and nothing the page's CSP
//! refuses (presentation attributes only, no `style`).
//!
//! Accessible: the `<svg>` is `role="img"`, labelled by its `<title>` and
//! described by its `<desc>`, which spells out every value (a screen
//! reader hears the figures, not the shapes). Every bar carries its value
//! as text beside it, so colour is never the only way to tell series
//! apart, and the series' colours keep at least 4.5:1 against white.

/// Colours of the series, in order: the back office's green, blue and
/// brown (each ≥ 4.5:1 on white, and told apart by lightness too).
pub const COLOURS: [&str; 3] = ["#0b6e4f", "#175cd3", "#93370d"];

const INK: &str = "#1d2433";
const AXIS: &str = "#4f5869";
const WIDTH: i64 = 760;
const LABEL_WIDTH: i64 = 170;
const VALUE_WIDTH: i64 = 130;
const BAR: i64 = 16;
const GAP: i64 = 12;
const LEGEND: i64 = 30;
/// Longer labels are cut (the table beside the chart has the full name).
const LABEL_CHARS: usize = 12;

/// One series: its name (legend) and colour.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub colour: &'static str,
}

/// One group of bars (a category, e.g. an agency): a value per series and
/// the text written beside each bar.
#[derive(Debug, Clone)]
pub struct Group {
    pub label: String,
    pub values: Vec<i64>,
    pub texts: Vec<String>,
}

/// A horizontal bar chart: one row per group, one bar per series.
#[derive(Debug, Clone)]
pub struct BarChart {
    /// Unique on the page (ids of the title and description).
    pub id: String,
    pub title: String,
    pub desc: String,
    pub series: Vec<Series>,
    pub groups: Vec<Group>,
}

/// Text for SVG (and HTML) content and attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn cut(label: &str) -> String {
    if label.chars().count() <= LABEL_CHARS {
        label.to_owned()
    } else {
        let mut s: String = label.chars().take(LABEL_CHARS - 1).collect();
        s.push('…');
        s
    }
}

/// A safe id: letters, digits and dashes only.
fn id_of(id: &str) -> String {
    let id: String = id.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
    if id.is_empty() { "chart".to_owned() } else { id }
}

/// The chart as an `<svg>` element; empty when there is nothing to draw.
pub fn horizontal_bars(chart: &BarChart) -> String {
    if chart.groups.is_empty() || chart.series.is_empty() {
        return String::new();
    }
    let id = id_of(&chart.id);
    let n = chart.series.len() as i64;
    let group_height = n * BAR + GAP;
    let top = LEGEND + 6;
    let height = top + chart.groups.len() as i64 * group_height + 6;
    let plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
    let max = chart.groups.iter().flat_map(|g| g.values.iter().copied()).max().unwrap_or(0).max(1);

    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" id=\"{id}\" role=\"img\" \
         aria-labelledby=\"{id}-title {id}-desc\" viewBox=\"0 0 {WIDTH} {height}\" width=\"100%\" \
         preserveAspectRatio=\"xMinYMin meet\" font-size=\"13\" fill=\"{INK}\">\
         <title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>",
        escape(&chart.title),
        escape(&chart.desc)
    );
    // The legend: a swatch and the series' name, in a row.
    for (i, s) in chart.series.iter().enumerate() {
        let x = LABEL_WIDTH + i as i64 * 170;
        svg.push_str(&format!(
            "<rect x=\"{x}\" y=\"8\" width=\"14\" height=\"14\" fill=\"{}\"/><text x=\"{}\" y=\"20\">{}</text>",
            s.colour,
            x + 20,
            escape(&s.name)
        ));
    }
    for (g, group) in chart.groups.iter().enumerate() {
        let y0 = top + g as i64 * group_height;
        let middle = y0 + n * BAR / 2 + 5;
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{middle}\" text-anchor=\"end\">{}</text>",
            LABEL_WIDTH - 8,
            escape(&cut(&group.label))
        ));
        for (i, s) in chart.series.iter().enumerate() {
            let value = group.values.get(i).copied().unwrap_or(0).max(0);
            let mut width = value * plot / max;
            if value > 0 && width < 1 {
                width = 1;
            }
            let y = y0 + i as i64 * BAR;
            let text = group.texts.get(i).cloned().unwrap_or_else(|| value.to_string());
            svg.push_str(&format!(
                "<rect x=\"{LABEL_WIDTH}\" y=\"{y}\" width=\"{width}\" height=\"{}\" fill=\"{}\"/>\
                 <text x=\"{}\" y=\"{}\" font-size=\"12\">{}</text>",
                BAR - 3,
                s.colour,
                LABEL_WIDTH + width + 4,
                y + BAR - 5,
                escape(&text)
            ));
        }
    }
    svg.push_str(&format!(
        "<line x1=\"{LABEL_WIDTH}\" y1=\"{top}\" x2=\"{LABEL_WIDTH}\" y2=\"{}\" stroke=\"{AXIS}\" stroke-width=\"1\"/></svg>",
        height - 6
    ));
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart() -> BarChart {
        BarChart {
            id: "c1".into(),
            title: "报备 <到访>".into(),
            desc: "A & B".into(),
            series: vec![
                Series { name: "报备".into(), colour: COLOURS[0] },
                Series { name: "到访".into(), colour: COLOURS[1] },
            ],
            groups: vec![
                Group { label: "链家-天河店".into(), values: vec![10, 4], texts: vec!["10".into(), "4".into()] },
                Group {
                    label: "一个名字非常非常非常长的渠道公司".into(),
                    values: vec![0, 0],
                    texts: vec!["0".into(), "0".into()],
                },
            ],
        }
    }

    #[test]
    fn the_chart_is_an_accessible_image_with_its_values_as_text() {
        let svg = horizontal_bars(&chart());
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"));
        assert!(svg.contains("role=\"img\"") && svg.contains("aria-labelledby=\"c1-title c1-desc\""));
        assert!(svg.contains("<title id=\"c1-title\">报备 &lt;到访&gt;</title>"));
        assert!(svg.contains("<desc id=\"c1-desc\">A &amp; B</desc>"));
        assert!(svg.contains(">链家-天河店</text>") && svg.contains(">10</text>") && svg.contains(">4</text>"));
        assert!(svg.contains("一个名字非常非常非常长…"), "long labels are cut");
        assert!(!svg.contains("style="), "no inline style under the CSP");
        assert!(!svg.contains("<script"));
    }

    #[test]
    fn nothing_to_draw_is_no_chart() {
        let mut c = chart();
        c.groups.clear();
        assert_eq!(horizontal_bars(&c), "");
    }
}
