//! Bar charts as inline SVG, drawn on the server: no script, readable by screen readers
//! (a `<title>` and `<desc>`, and every bar with its label and number as text), and the
//! same figures are always in a table next to the chart.

use maud::{Markup, html};

const WIDTH: u32 = 720;
const LABEL_WIDTH: u32 = 230;
const ROW: u32 = 30;
const BAR: u32 = 20;

/// Horizontal bars, one per `(label, count)`, scaled to the largest count. `id` must be
/// unique on the page (it names the title for `aria-labelledby`).
pub fn bars(id: &str, title: &str, rows: &[(String, u64)]) -> Markup {
    let max = rows.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let room = WIDTH - LABEL_WIDTH - 70;
    let height = ROW * rows.len().max(1) as u32 + 10;
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");
    let desc = rows.iter().map(|(l, n)| format!("{l}: {n}")).collect::<Vec<_>>().join("; ");
    html! {
        svg.chart xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby={ (title_id) " " (desc_id) }
            viewBox={ "0 0 " (WIDTH) " " (height) } width=(WIDTH) height=(height) {
            title id=(title_id) { (title) }
            desc id=(desc_id) { @if rows.is_empty() { "Keine Daten." } @else { (desc) } }
            @if rows.is_empty() {
                text x="0" y="22" { "Keine Daten in diesem Zeitraum." }
            }
            @for (i, (label, n)) in rows.iter().enumerate() {
                @let y = ROW * i as u32 + 5;
                @let w = ((*n as f64 / max as f64) * room as f64).round() as u32;
                text x=(LABEL_WIDTH - 8) y=(y + BAR - 5) text-anchor="end" { (shorten(label)) }
                rect x=(LABEL_WIDTH) y=(y) width=(w.max(u32::from(*n > 0))) height=(BAR) fill="#0b4f8a" {}
                text x=(LABEL_WIDTH + w + 6) y=(y + BAR - 5) { (n) }
            }
        }
    }
}

/// Labels longer than the label column are cut (the table beside shows them whole).
fn shorten(label: &str) -> String {
    const MAX: usize = 28;
    if label.chars().count() <= MAX { label.to_string() } else { format!("{}…", label.chars().take(MAX - 1).collect::<String>()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_and_carry_text() {
        let svg = bars("c", "Anrufe", &[("Mo".into(), 4), ("Di".into(), 2), ("Mi".into(), 0)]).into_string();
        assert!(svg.contains("<title id=\"c-title\">Anrufe</title>"));
        assert!(svg.contains("Mo: 4; Di: 2; Mi: 0"));
        let room = WIDTH - LABEL_WIDTH - 70;
        assert!(svg.contains(&format!("width=\"{room}\"")), "largest bar fills the room: {svg}");
        assert!(svg.contains(&format!("width=\"{}\"", room / 2)), "half as many, half as long");
        assert!(bars("e", "Leer", &[]).into_string().contains("Keine Daten"));
        assert_eq!(shorten(&"x".repeat(40)).chars().count(), 28);
    }
}
