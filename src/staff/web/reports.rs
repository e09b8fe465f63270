//! The coordinators' reports page: the figures of [`crate::reports`] for a date range,
//! each as an SVG bar chart with its table, and each downloadable as CSV.

use super::chart;
use super::error::StaffError;
use super::extract::SignedIn;
use super::layout::{page, topic_label};
use crate::reports::{self, Count, Range, Report};
use crate::server::AppState;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use maud::{Markup, html};
use serde::Deserialize;

/// The range form: 'YYYY-MM-DD' days, both included; empty: the last 30 days.
#[derive(Deserialize, Default)]
pub struct RangeQuery {
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
}

const LONGEST_DAYS: i64 = 366;

fn range(app: &AppState, q: &RangeQuery) -> Result<Range, StaffError> {
    let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| StaffError::Invalid("Bitte Daten wie 2026-11-01 angeben."));
    let to = if q.to.is_empty() { app.config.dialog.local_now().date() } else { day(&q.to)? };
    let from = if q.from.is_empty() { to - chrono::Duration::days(29) } else { day(&q.from)? };
    if from > to || (to - from).num_days() >= LONGEST_DAYS {
        return Err(StaffError::Invalid("Der Zeitraum muss vorwärts laufen und darf höchstens ein Jahr lang sein."));
    }
    Ok(Range { from, to })
}

/// The report for the range asked for, if `who` may read reports (404 otherwise).
pub(crate) async fn report(app: &AppState, who: &SignedIn, q: &RangeQuery, what: &str) -> Result<Report, StaffError> {
    if !who.session.staff.oversees() {
        return Err(StaffError::NotFound);
    }
    let range = range(app, q)?;
    let report = reports::build(&app.db, range, app.config.dialog.timezone).await?;
    who.audit(app, "reports.view", "report", what, &format!("{} bis {}", range.from, range.to)).await?;
    Ok(report)
}

/// The report as staff read it: topics by their names ("Pflege und Unterstützung"), not
/// their ids (the API keeps the ids).
fn topics_named(app: &AppState, mut report: Report) -> Report {
    for t in &mut report.tickets {
        t.topic = topic_label(&app.prompts, &t.topic).to_string();
    }
    report
}

fn pairs(counts: &[Count]) -> Vec<(String, u64)> {
    counts.iter().map(|c| (c.label.clone(), c.count)).collect()
}

fn booking_label(status: &str) -> &str {
    match status {
        "booked" => "gebucht",
        "cancelled" => "storniert",
        "requested" => "angefragt",
        "verified" => "angenommen",
        "planned" => "eingeplant",
        "declined" => "abgelehnt",
        other => other,
    }
}

fn german(c: &[Count]) -> Vec<Count> {
    c.iter().map(|c| Count { label: booking_label(&c.label).to_string(), count: c.count }).collect()
}

/// One CSV download per report section, by file name.
const FILES: [(&str, &str); 6] = [
    ("anrufe-pro-tag", "Anrufe pro Tag"),
    ("anrufe-pro-stunde", "Anrufe pro Stunde"),
    ("menuewege", "Wege durch das Menü"),
    ("anliegen", "Anliegen nach Büro und Thema"),
    ("rueckruf", "Zeit bis zum ersten Rückrufversuch"),
    ("buchungen-fahrten", "Buchungen und Fahrten"),
];

fn minutes(m: Option<i64>) -> String {
    m.map_or_else(|| "–".to_string(), |m| format!("{m} Minuten"))
}

/// The rows of one downloadable section: a header row, then data.
fn table_rows(r: &Report, file: &str) -> Option<Vec<Vec<String>>> {
    let counts = |head: &str, c: &[Count]| {
        let mut rows = vec![vec![head.to_string(), "Anzahl".to_string()]];
        rows.extend(c.iter().map(|c| vec![c.label.clone(), c.count.to_string()]));
        rows
    };
    Some(match file {
        "anrufe-pro-tag" => counts("Tag", &r.calls_per_day),
        "anrufe-pro-stunde" => counts("Stunde", &r.calls_per_hour),
        "menuewege" => counts("Weg durch das Menü", &r.paths),
        "anliegen" => {
            let mut rows = vec![vec!["Büro".to_string(), "Thema".to_string(), "Anzahl".to_string()]];
            rows.extend(r.tickets.iter().map(|t| vec![t.office.clone(), t.topic.clone(), t.count.to_string()]));
            rows
        }
        "rueckruf" => vec![
            vec!["Kennzahl".into(), "Wert".into()],
            vec!["Anliegen mit Rückrufversuch".into(), r.callback_wait.tickets.to_string()],
            vec!["Median (Minuten)".into(), r.callback_wait.median_minutes.map(|m| m.to_string()).unwrap_or_default()],
            vec!["90. Perzentil (Minuten)".into(), r.callback_wait.p90_minutes.map(|m| m.to_string()).unwrap_or_default()],
        ],
        "buchungen-fahrten" => {
            let mut rows = vec![vec!["Art".to_string(), "Status".to_string(), "Anzahl".to_string()]];
            rows.extend(german(&r.bookings).into_iter().map(|c| vec!["Buchung".into(), c.label, c.count.to_string()]));
            rows.extend(german(&r.rides).into_iter().map(|c| vec!["Fahrt".into(), c.label, c.count.to_string()]));
            rows
        }
        _ => return None,
    })
}

/// CSV as German spreadsheets open it: `;` between fields, UTF-8 with a byte order
/// mark. A field that a spreadsheet would run as a formula gets a leading `'`.
pub fn csv(rows: &[Vec<String>]) -> String {
    let field = |f: &str| {
        let f = if f.starts_with(['=', '+', '-', '@']) { format!("'{f}") } else { f.to_string() };
        if f.contains([';', '"', '\n', '\r']) { format!("\"{}\"", f.replace('"', "\"\"")) } else { f }
    };
    let mut out = String::from("\u{feff}");
    for row in rows {
        out.push_str(&row.iter().map(|f| field(f)).collect::<Vec<_>>().join(";"));
        out.push_str("\r\n");
    }
    out
}

pub async fn download(
    State(app): State<AppState>,
    who: SignedIn,
    Path(file): Path<String>,
    Query(q): Query<RangeQuery>,
) -> Result<Response, StaffError> {
    let name = file.strip_suffix(".csv").ok_or(StaffError::NotFound)?;
    if !FILES.iter().any(|(f, _)| *f == name) {
        return Err(StaffError::NotFound);
    }
    let r = topics_named(&app, report(&app, &who, &q, name).await?);
    let rows = table_rows(&r, name).ok_or(StaffError::NotFound)?;
    let disposition = format!("attachment; filename=\"{name}_{}_{}.csv\"", r.range.from, r.range.to);
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)], csv(&rows))
        .into_response())
}

fn table(rows: &[Vec<String>], caption: &str) -> Markup {
    html! {
        table {
            caption.skip { (caption) }
            @if let Some((head, body)) = rows.split_first() {
                thead { tr { @for h in head { th scope="col" { (h) } } } }
                tbody { @for row in body { tr { @for f in row { td { (f) } } } } }
            }
        }
    }
}

pub async fn show(State(app): State<AppState>, who: SignedIn, Query(q): Query<RangeQuery>) -> Result<Markup, StaffError> {
    let r = topics_named(&app, report(&app, &who, &q, "page").await?);
    let query = format!("?from={}&to={}", r.range.from, r.range.to);
    let section = |file: &str, chart: Markup| {
        let (_, title) = FILES.iter().find(|(f, _)| *f == file).expect("a known file");
        let rows = table_rows(&r, file).unwrap_or_default();
        html! {
            section aria-labelledby={ "h-" (file) } {
                h2 id={ "h-" (file) } { (title) }
                (chart)
                details { summary { "Als Tabelle" } (table(&rows, title)) }
                p { a href={ "/staff/reports/" (file) ".csv" (query) } download { (title) " als CSV herunterladen" } }
            }
        }
    };
    let share = if r.calls == 0 { 0.0 } else { 100.0 * r.abandoned as f64 / r.calls as f64 };
    let ticket_totals: Vec<(String, u64)> = r.tickets.iter().map(|t| (format!("{}: {}", t.office, t.topic), t.count)).collect();
    let status_bars: Vec<(String, u64)> = german(&r.bookings)
        .into_iter()
        .map(|c| (format!("Buchungen {}", c.label), c.count))
        .chain(german(&r.rides).into_iter().map(|c| (format!("Fahrten {}", c.label), c.count)))
        .collect();
    let content = html! {
        h1 { "Berichte" }
        form.filters method="get" action="/staff/reports" {
            div { label for="from" { "Von" } input #from name="from" type="date" value=(r.range.from) required; }
            div { label for="to" { "Bis" } input #to name="to" type="date" value=(r.range.to) required; }
            div { button type="submit" { "Anzeigen" } }
        }
        dl.facts {
            dt { "Anrufe" } dd { (r.calls) }
            dt { "Aufgelegt (abgebrochen)" } dd { (r.abandoned) " (" (format!("{share:.0}")) " %)" }
            dt { "Erster Rückrufversuch, Median" } dd { (minutes(r.callback_wait.median_minutes)) }
            dt { "Erster Rückrufversuch, 90 % innerhalb" } dd { (minutes(r.callback_wait.p90_minutes)) }
        }
        (section("anrufe-pro-tag", chart::bars("c-day", "Anrufe pro Tag", &pairs(&r.calls_per_day))))
        (section("anrufe-pro-stunde", chart::bars("c-hour", "Anrufe pro Stunde (Ortszeit)", &pairs(&r.calls_per_hour))))
        (section("menuewege", chart::bars("c-paths", "Häufigste Wege durch das Menü", &pairs(&r.paths))))
        (section("anliegen", chart::bars("c-tickets", "Anliegen nach Büro und Thema", &ticket_totals)))
        (section("rueckruf", html! {
            p { (r.callback_wait.tickets) " Anliegen mit Rückrufversuch; Median " (minutes(r.callback_wait.median_minutes))
                ", 90. Perzentil " (minutes(r.callback_wait.p90_minutes)) "." }
        }))
        (section("buchungen-fahrten", chart::bars("c-status", "Buchungen und Fahrten nach Status", &status_bars)))
    };
    Ok(page("Berichte", Some(&who), content))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_separators_and_defuses_formulas() {
        let rows = vec![vec!["a;b".to_string(), "say \"hi\"".to_string()], vec!["=1+1".to_string(), "main>callback".to_string()]];
        assert_eq!(csv(&rows), "\u{feff}\"a;b\";\"say \"\"hi\"\"\"\r\n'=1+1;main>callback\r\n");
    }
}
