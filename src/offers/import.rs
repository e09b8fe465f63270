//! The offers file: one CSV line per offer (comma or semicolon separated, UTF-8), checked
//! line by line before anything is written, then imported in one transaction. Importing
//! the same file again updates in place: offers by id, dates by their start; a date that
//! is no longer in the file is cancelled, never deleted (it may have bookings).
//! The columns are described in the README ("Offers file").

use super::schedule::{Recurrence, Schedule};
use super::{Access, Category, Offer};
use crate::db::{Db, DbError, new_id, now};
use crate::domain::Postcode;
use crate::domain::directory::{check_position, check_slug};
use crate::rides::{ClockTime, Point, format_local};
use chrono::{Days, NaiveDate, Weekday};
use csv::StringRecord;
use sqlx::Row;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

const REQUIRED: [&str; 12] =
    ["id", "office", "category", "title", "provider", "venue", "address", "postcode", "lat", "lon", "time", "end_time"];
const OPTIONAL: [&str; 12] = [
    "description",
    "price",
    "wheelchair",
    "hearing_loop",
    "step_free",
    "capacity",
    "booking_required",
    "date",
    "weekday",
    "every_weeks",
    "first_date",
    "last_date",
];

/// How a venue starts, so that it reads on after the title: "im Begegnungszentrum".
const PREPOSITIONS: [&str; 14] =
    ["im", "in", "am", "an", "auf", "beim", "bei", "vor", "hinter", "neben", "unter", "über", "zwischen", "gegenüber"];
const MAX_TITLE: usize = 80;
/// The description is read out on the phone: a long one loses the caller.
const MAX_DESCRIPTION: usize = 300;
const MAX_PRICE_CENTS: u32 = 100_000;
const MAX_CAPACITY: u32 = 10_000;

/// A problem with one line of the file (line 1 is the header).
#[derive(Debug, Clone, PartialEq)]
pub struct LineError {
    pub line: u64,
    pub message: String,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Every problem found in a file, one per line of text.
#[derive(Debug, Clone, PartialEq)]
pub struct LineErrors(pub Vec<LineError>);

impl fmt::Display for LineErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.0.iter().map(LineError::to_string).collect();
        f.write_str(&lines.join("\n"))
    }
}

impl std::error::Error for LineErrors {}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Lines that refer to what the database does not have (an unknown office).
    #[error("{0}")]
    Lines(LineErrors),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for ImportError {
    fn from(e: sqlx::Error) -> Self {
        ImportError::Db(e.into())
    }
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct ImportSummary {
    pub offers: usize,
    pub dates_added: usize,
    /// Dates whose end moved, or that were cancelled and are back in the file.
    pub dates_changed: usize,
    pub dates_cancelled: usize,
    /// Bookings on the dates just cancelled: staff tell those people.
    pub bookings_on_cancelled: usize,
}

/// A checked offers file.
#[derive(Debug)]
pub struct OffersFile {
    offers: Vec<OfferLine>,
}

#[derive(Debug)]
struct OfferLine {
    line: u64,
    offer: Offer,
    schedule: Schedule,
}

impl OffersFile {
    /// Reads and checks every line; on any problem, all of them are returned.
    pub fn parse(text: &str) -> Result<OffersFile, LineErrors> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut reader =
            csv::ReaderBuilder::new().delimiter(delimiter(text)).comment(Some(b'#')).trim(csv::Trim::All).from_reader(text.as_bytes());
        let header_line = |e: String| LineErrors(vec![LineError { line: line_at(text, 0), message: e }]);
        let headers = reader.headers().map_err(|e| header_line(e.to_string()))?.clone();
        let columns = columns(&headers).map_err(header_line)?;
        let mut errors = Vec::new();
        let mut offers: Vec<OfferLine> = Vec::new();
        let mut first_line_of: HashMap<String, u64> = HashMap::new();
        for record in reader.records() {
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    let line = line_at(text, e.position().map_or(0, |p| p.byte()));
                    errors.push(LineError { line, message: e.to_string() });
                    continue;
                }
            };
            let line = line_at(text, record.position().map_or(0, |p| p.byte()));
            match parse_line(&Fields { columns: &columns, record: &record }) {
                Ok((offer, schedule)) => {
                    if let Some(first) = first_line_of.insert(offer.id.clone(), line) {
                        errors.push(LineError { line, message: format!("id {}: already used on line {first}", offer.id) });
                    }
                    offers.push(OfferLine { line, offer, schedule });
                }
                Err(problems) => errors.extend(problems.into_iter().map(|message| LineError { line, message })),
            }
        }
        if errors.is_empty() { Ok(OffersFile { offers }) } else { Err(LineErrors(errors)) }
    }

    /// How many offers the file holds.
    pub fn offer_count(&self) -> usize {
        self.offers.len()
    }

    /// Imports every offer with its dates from `today` to `weeks` weeks ahead (series
    /// without a last date get their later dates when the file is imported again), all
    /// in one transaction.
    pub async fn import(&self, db: &Db, today: NaiveDate, weeks: u32) -> Result<ImportSummary, ImportError> {
        // Checked before the transaction, so that every line with an unknown office is
        // reported, and the transaction starts with a write (see `booking.rs` on SQLite).
        let offices: HashSet<String> = sqlx::query_scalar("SELECT id FROM offices").fetch_all(db.pool()).await?.into_iter().collect();
        let unknown: Vec<LineError> = self
            .offers
            .iter()
            .filter(|o| !offices.contains(&o.offer.office_id))
            .map(|o| LineError {
                line: o.line,
                message: format!("office {}: not in the directory (hotline import directory FILE)", o.offer.office_id),
            })
            .collect();
        if !unknown.is_empty() {
            return Err(ImportError::Lines(LineErrors(unknown)));
        }
        let until = today + Days::new(u64::from(weeks) * 7);
        let ts = now();
        let mut summary = ImportSummary { offers: self.offers.len(), ..ImportSummary::default() };
        let mut tx = db.pool().begin().await?;
        for o in &self.offers {
            upsert_offer(&mut tx, &o.offer, &ts).await?;
            sync_dates(&mut tx, o, today, until, &ts, &mut summary).await?;
        }
        tx.commit().await?;
        Ok(summary)
    }
}

/// The line (from 1) of the record csv places at `byte`. csv's own positions count from
/// the end of the previous record, before the empty and comment lines it skips.
fn line_at(text: &str, byte: u64) -> u64 {
    let mut at = usize::try_from(byte).map_or(text.len(), |b| b.min(text.len()));
    while let Some(rest) = text.get(at..).filter(|r| !r.is_empty()) {
        let len = rest.find('\n').map_or(rest.len(), |i| i + 1);
        let line = rest[..len].trim_end_matches(['\r', '\n']);
        if !line.is_empty() && !line.starts_with('#') {
            break;
        }
        at += len;
    }
    text[..at].matches('\n').count() as u64 + 1
}

/// Spreadsheets in German locales save CSV with semicolons.
fn delimiter(text: &str) -> u8 {
    let header = text.lines().find(|l| !l.trim().is_empty() && !l.starts_with('#')).unwrap_or_default();
    if header.matches(';').count() > header.matches(',').count() { b';' } else { b',' }
}

/// Column positions by name; every required column present, none unknown.
fn columns(headers: &StringRecord) -> Result<HashMap<String, usize>, String> {
    let mut columns = HashMap::new();
    for (i, name) in headers.iter().enumerate() {
        let name = name.to_lowercase();
        if !REQUIRED.contains(&name.as_str()) && !OPTIONAL.contains(&name.as_str()) {
            return Err(format!("unknown column {name:?} (columns: {}, {})", REQUIRED.join(", "), OPTIONAL.join(", ")));
        }
        if columns.insert(name.clone(), i).is_some() {
            return Err(format!("column {name:?} appears twice"));
        }
    }
    let missing: Vec<&str> = REQUIRED.into_iter().filter(|c| !columns.contains_key(*c)).collect();
    if !missing.is_empty() {
        return Err(format!("missing columns: {}", missing.join(", ")));
    }
    Ok(columns)
}

/// One record, its fields by column name (an absent optional column reads as empty).
struct Fields<'a> {
    columns: &'a HashMap<String, usize>,
    record: &'a StringRecord,
}

impl Fields<'_> {
    fn get(&self, column: &str) -> &str {
        self.columns.get(column).and_then(|&i| self.record.get(i)).unwrap_or_default()
    }
}

/// Collects a line's problems, each with its column, so all are reported at once.
struct Checked<'a> {
    fields: &'a Fields<'a>,
    problems: Vec<String>,
}

impl Checked<'_> {
    fn value<T>(&mut self, column: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        parse(self.fields.get(column)).map_err(|e| self.problems.push(format!("{column}: {e}"))).ok()
    }

    fn problem(&mut self, message: String) {
        self.problems.push(message);
    }
}

fn parse_line(fields: &Fields) -> Result<(Offer, Schedule), Vec<String>> {
    let mut c = Checked { fields, problems: Vec::new() };
    let id = c.value("id", |s| check_slug("offer", s).map(|_| s.to_string()));
    let office_id = c.value("office", text);
    let category = c.value("category", |s| {
        Category::parse(&s.to_lowercase())
            .ok_or_else(|| format!("{s:?} is none of bewegung, kultur, bildung, digital, treffpunkt, beratung"))
    });
    let title = c.value("title", |s| limited(s, MAX_TITLE));
    let provider = c.value("provider", text);
    let description = c.value("description", |s| if s.is_empty() { Ok(String::new()) } else { limited(s, MAX_DESCRIPTION) });
    let venue = c.value("venue", venue);
    let address = c.value("address", text);
    let postcode = c.value("postcode", |s| Postcode::parse(s).map_err(|e| e.to_string()));
    let lat = c.value("lat", coordinate);
    let lon = c.value("lon", coordinate);
    let price_cents = c.value("price", price);
    let wheelchair = c.value("wheelchair", flag);
    let hearing_loop = c.value("hearing_loop", flag);
    let step_free = c.value("step_free", flag);
    let capacity = c.value("capacity", capacity);
    let booking_required = c.value("booking_required", flag);
    let schedule = schedule(&mut c);
    if let (Some(lat), Some(lon)) = (lat, lon)
        && let Err(e) = check_position("lat/lon", lat, lon)
    {
        c.problem(e);
    }
    if booking_required == Some(true) && capacity == Some(None) {
        c.problem("booking_required: needs a capacity (seats per date)".into());
    }
    if !c.problems.is_empty() {
        return Err(c.problems);
    }
    let missing = "a line without problems has every value";
    let offer = Offer {
        id: id.expect(missing),
        office_id: office_id.expect(missing),
        category: category.expect(missing),
        title: title.expect(missing),
        provider: provider.expect(missing),
        description: description.expect(missing),
        venue: venue.expect(missing),
        address: address.expect(missing),
        postcode: postcode.expect(missing),
        point: Point { lat: lat.expect(missing), lon: lon.expect(missing) },
        price_cents: price_cents.expect(missing),
        access: Access {
            wheelchair: wheelchair.expect(missing),
            hearing_loop: hearing_loop.expect(missing),
            step_free: step_free.expect(missing),
        },
        capacity: capacity.expect(missing),
        booking_required: booking_required.expect(missing),
    };
    Ok((offer, schedule.expect(missing)))
}

/// Single dates (`date`) or a weekly series (`weekday`, `first_date`, optional
/// `last_date` and `every_weeks`), from `time` to `end_time`.
fn schedule(c: &mut Checked) -> Option<Schedule> {
    let start = c.value("time", clock);
    let end = c.value("end_time", clock);
    if let (Some(start), Some(end)) = (start, end)
        && end <= start
    {
        c.problem(format!("end_time: {end} is not after time {start}"));
    }
    let series_columns = ["first_date", "last_date", "every_weeks"];
    let recurrence = match (c.fields.get("date").is_empty(), c.fields.get("weekday").is_empty()) {
        (false, false) => {
            c.problem("date and weekday: give single dates or a weekly series, not both".into());
            None
        }
        (true, true) => {
            c.problem("date or weekday: say when it takes place".into());
            None
        }
        (false, true) => {
            if let Some(col) = series_columns.into_iter().find(|col| !c.fields.get(col).is_empty()) {
                c.problem(format!("{col}: only for a weekly series (weekday)"));
            }
            let days = c.value("date", |s| s.split_whitespace().map(date).collect::<Result<Vec<_>, _>>());
            days.map(Recurrence::Once)
        }
        (true, false) => {
            let weekdays = c.value("weekday", |s| s.split([' ', '/', '+', ',']).filter(|w| !w.is_empty()).map(weekday).collect());
            let every_weeks = c.value("every_weeks", every_weeks);
            let first = c.value("first_date", |s| if s.is_empty() { Err("a weekly series needs its first date".into()) } else { date(s) });
            let last = c.value("last_date", |s| if s.is_empty() { Ok(None) } else { date(s).map(Some) });
            if let (Some(first), Some(Some(last))) = (first, last)
                && last < first
            {
                c.problem(format!("last_date: {last} is before first_date {first}"));
            }
            Some(Recurrence::Weekly { weekdays: weekdays?, every_weeks: every_weeks?, first: first?, last: last? })
        }
    };
    Some(Schedule { recurrence: recurrence?, start: start?, end: end? })
}

fn text(s: &str) -> Result<String, String> {
    if s.is_empty() { Err("missing".into()) } else { Ok(s.to_string()) }
}

fn limited(s: &str, max: usize) -> Result<String, String> {
    let n = s.chars().count();
    if n > max { Err(format!("{n} characters, at most {max}: it is read out on the phone")) } else { text(s) }
}

fn venue(s: &str) -> Result<String, String> {
    let first = s.split_whitespace().next().unwrap_or_default();
    if PREPOSITIONS.contains(&first) {
        Ok(s.to_string())
    } else {
        Err(format!("{s:?}: write it as said after the title, with its preposition: \"im Begegnungszentrum Hörde\", \"in der Bibliothek\""))
    }
}

/// Degrees; a decimal comma as spreadsheets in German locales write it is fine.
fn coordinate(s: &str) -> Result<f64, String> {
    s.replace(',', ".").parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| format!("{s:?} is not a number of degrees"))
}

/// Euros per person and date: "0", "2,50", "2.50 €"; empty is free of charge.
fn price(s: &str) -> Result<u32, String> {
    let bad = || format!("{s:?} is not a price in euros like 2,50");
    let amount = s.trim_end_matches('€').trim().replace(',', ".");
    if amount.is_empty() {
        return Ok(0);
    }
    let (euros, cents) = amount.split_once('.').unwrap_or((&amount, ""));
    let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if euros.is_empty() || !all_digits(euros) || cents.len() > 2 || !all_digits(cents) {
        return Err(bad());
    }
    let cents = format!("{cents:0<2}").parse::<u32>().map_err(|_| bad())?;
    let total = euros.parse::<u32>().ok().and_then(|e| e.checked_mul(100)).and_then(|c| c.checked_add(cents)).ok_or_else(bad)?;
    if total > MAX_PRICE_CENTS {
        return Err(format!("{s:?} is more than {} euros", MAX_PRICE_CENTS / 100));
    }
    Ok(total)
}

/// Yes or no; empty is no.
fn flag(s: &str) -> Result<bool, String> {
    match s.to_lowercase().as_str() {
        "ja" | "j" | "x" | "1" | "yes" | "true" => Ok(true),
        "" | "nein" | "n" | "0" | "no" | "false" => Ok(false),
        _ => Err(format!("{s:?}: write ja or nein")),
    }
}

/// Seats per date; empty: open to all, nothing to book.
fn capacity(s: &str) -> Result<Option<u32>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    s.parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_CAPACITY).contains(n))
        .map(Some)
        .ok_or_else(|| format!("{s:?} is not a number of seats from 1 to {MAX_CAPACITY} (leave it empty for open offers)"))
}

/// 'HH:MM'; spreadsheets drop the leading zero ("9:30").
fn clock(s: &str) -> Result<ClockTime, String> {
    if s.len() == 4 && s.as_bytes()[1] == b':' { format!("0{s}").parse() } else { s.parse() }
}

/// 'YYYY-MM-DD', or 'DD.MM.YYYY' as spreadsheets in German locales write it.
fn date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d.%m.%Y"))
        .map_err(|_| format!("{s:?} is not a date like 2026-12-03"))
}

fn weekday(s: &str) -> Result<Weekday, String> {
    const NAMES: [(&str, &str, Weekday); 7] = [
        ("mo", "montag", Weekday::Mon),
        ("di", "dienstag", Weekday::Tue),
        ("mi", "mittwoch", Weekday::Wed),
        ("do", "donnerstag", Weekday::Thu),
        ("fr", "freitag", Weekday::Fri),
        ("sa", "samstag", Weekday::Sat),
        ("so", "sonntag", Weekday::Sun),
    ];
    let s = s.to_lowercase();
    let s = s.trim_end_matches('.');
    NAMES
        .iter()
        .find(|(short, long, _)| s == *short || s == *long)
        .map(|&(_, _, day)| day)
        .ok_or_else(|| format!("{s:?} is not a weekday (Mo, Di, Mi, Do, Fr, Sa, So; several separated by spaces or '/')"))
}

fn every_weeks(s: &str) -> Result<u32, String> {
    if s.is_empty() {
        return Ok(1);
    }
    s.parse::<u32>().ok().filter(|n| (1..=8).contains(n)).ok_or_else(|| format!("{s:?} is not a number of weeks from 1 to 8"))
}

async fn upsert_offer(tx: &mut sqlx::Transaction<'_, sqlx::Any>, o: &Offer, ts: &str) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO offers (id, office_id, category, title, provider, description, venue, address, postcode, lat, lon,
           price_cents, wheelchair, hearing_loop, step_free, capacity, booking_required, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 'active', $18, $18)
         ON CONFLICT (id) DO UPDATE SET office_id = excluded.office_id, category = excluded.category, title = excluded.title,
           provider = excluded.provider, description = excluded.description, venue = excluded.venue, address = excluded.address,
           postcode = excluded.postcode, lat = excluded.lat, lon = excluded.lon, price_cents = excluded.price_cents,
           wheelchair = excluded.wheelchair, hearing_loop = excluded.hearing_loop, step_free = excluded.step_free,
           capacity = excluded.capacity, booking_required = excluded.booking_required, status = 'active',
           updated_at = excluded.updated_at",
    )
    .bind(&o.id)
    .bind(&o.office_id)
    .bind(o.category.as_str())
    .bind(&o.title)
    .bind(&o.provider)
    .bind(&o.description)
    .bind(&o.venue)
    .bind(&o.address)
    .bind(o.postcode.as_str())
    .bind(o.point.lat)
    .bind(o.point.lon)
    .bind(i64::from(o.price_cents))
    .bind(i64::from(o.access.wheelchair))
    .bind(i64::from(o.access.hearing_loop))
    .bind(i64::from(o.access.step_free))
    .bind(o.capacity.map(i64::from))
    .bind(i64::from(o.booking_required))
    .bind(ts)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Makes the offer's dates from `today` on those of its schedule.
async fn sync_dates(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    o: &OfferLine,
    today: NaiveDate,
    until: NaiveDate,
    ts: &str,
    summary: &mut ImportSummary,
) -> Result<(), DbError> {
    // Local 'YYYY-MM-DDTHH:MM' sorts as text, and every such time of `today` is >= 'YYYY-MM-DD'.
    let rows = sqlx::query("SELECT id, starts_at, ends_at, status FROM offer_dates WHERE offer_id = $1 AND starts_at >= $2")
        .bind(&o.offer.id)
        .bind(today.to_string())
        .fetch_all(&mut **tx)
        .await?;
    let mut existing = BTreeMap::new();
    for r in &rows {
        let (id, starts, ends, status): (String, String, String, String) =
            (r.try_get("id")?, r.try_get("starts_at")?, r.try_get("ends_at")?, r.try_get("status")?);
        existing.insert(starts, (id, ends, status));
    }
    // Dates an earlier import made beyond this horizon stay, unless the schedule dropped them.
    let latest = existing.keys().next_back().and_then(|s| s.get(..10)).and_then(|d| d.parse::<NaiveDate>().ok());
    let until = latest.map_or(until, |l| l.max(until));
    let wanted: BTreeMap<String, String> =
        o.schedule.dates(today, until).into_iter().map(|(s, e)| (format_local(s), format_local(e))).collect();
    for (starts, ends) in &wanted {
        match existing.get(starts) {
            None => {
                sqlx::query(
                    "INSERT INTO offer_dates (id, offer_id, starts_at, ends_at, seats_taken, status, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, 0, 'scheduled', $5, $5)",
                )
                .bind(new_id())
                .bind(&o.offer.id)
                .bind(starts)
                .bind(ends)
                .bind(ts)
                .execute(&mut **tx)
                .await?;
                summary.dates_added += 1;
            }
            Some((id, old_ends, status)) if old_ends != ends || status != "scheduled" => {
                sqlx::query("UPDATE offer_dates SET ends_at = $1, status = 'scheduled', updated_at = $2 WHERE id = $3")
                    .bind(ends)
                    .bind(ts)
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
                summary.dates_changed += 1;
            }
            Some(_) => {}
        }
    }
    for (starts, (id, _, status)) in &existing {
        if wanted.contains_key(starts) || status != "scheduled" {
            continue;
        }
        sqlx::query("UPDATE offer_dates SET status = 'cancelled', updated_at = $1 WHERE id = $2")
            .bind(ts)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        let booked: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM bookings WHERE offer_date_id = $1 AND status = 'booked'")
            .bind(id)
            .fetch_one(&mut **tx)
            .await?;
        summary.dates_cancelled += 1;
        summary.bookings_on_cancelled += usize::try_from(booked).unwrap_or_default();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "id,office,category,title,provider,venue,address,postcode,lat,lon,price,capacity,booking_required,date,weekday,first_date,time,end_time";

    fn file(lines: &[&str]) -> String {
        format!("{HEADER}\n{}\n", lines.join("\n"))
    }

    fn errors(text: &str) -> Vec<String> {
        OffersFile::parse(text).unwrap_err().0.iter().map(LineError::to_string).collect()
    }

    const GOOD: &str = "sitz,do-hoerde,bewegung,Gymnastik im Sitzen,Verein,im Begegnungszentrum Hörde,Wiggerstraße 4,44263,51.487,7.506,0,12,ja,,Di,2026-11-03,10:00,11:00";

    #[test]
    fn a_good_line_becomes_an_offer_with_its_schedule() {
        let f = OffersFile::parse(&file(&[
            GOOD,
            "tanz,do-hoerde,kultur,Tanztee,Verein,im Saal,Weg 1,44263,\"51,49\",\"7,5\",\"2,50 €\",,,2026-12-06 2026-12-20,,,15:00,17:30",
        ]))
        .unwrap();
        assert_eq!(f.offers.len(), 2);
        let o = &f.offers[0];
        assert_eq!((o.line, o.offer.capacity, o.offer.booking_required, o.offer.price_cents), (2, Some(12), true, 0));
        let tanz = &f.offers[1].offer;
        assert_eq!((tanz.price_cents, tanz.capacity, tanz.point.lat), (250, None, 51.49));
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(f.offers[1].schedule.dates(today, today + Days::new(30)).len(), 2);
    }

    #[test]
    fn every_bad_line_is_reported_with_its_number_and_column() {
        let text = file(&[
            GOOD,
            "Bad Id,do-hoerde,sport,,Verein,Begegnungszentrum,Weg 1,4426,91,7.5,zwei Euro,0,vielleicht,,Di,2026-11-03,25:00,11:00",
            GOOD,
            "x,do-hoerde,bewegung,T,P,im Saal,Weg 1,44263,51.4,7.5,,,ja,2026-12-03,Mi,2026-11-03,10:00,09:00",
        ]);
        let errs = errors(&text);
        let expected = [
            "line 3: id: offer id \"Bad Id\"",
            "line 3: category: \"sport\"",
            "line 3: title: missing",
            "line 3: venue: \"Begegnungszentrum\"",
            "line 3: postcode:",
            "line 3: price: \"zwei Euro\"",
            "line 3: capacity: \"0\"",
            "line 3: booking_required: \"vielleicht\"",
            "line 3: time: \"25:00\"",
            "line 3: lat/lon: (91, 7.5)",
            "line 4: id sitz: already used on line 2",
            "line 5: booking_required: needs a capacity",
            "line 5: end_time: 09:00 is not after time 10:00",
            "line 5: date and weekday",
        ];
        for e in expected {
            assert!(errs.iter().any(|got| got.starts_with(e)), "{e:?} not among {errs:#?}");
        }
        assert_eq!(errs.len(), expected.len(), "{errs:#?}");
    }

    #[test]
    fn series_columns_are_checked() {
        let line = |date: &str, weekday: &str, first: &str| {
            format!("a,o,bewegung,T,P,im Saal,Weg 1,44263,51.4,7.5,,,,{date},{weekday},{first},10:00,11:00")
        };
        assert!(errors(&file(&[&line("", "", "")]))[0].contains("date or weekday"));
        assert!(errors(&file(&[&line("", "Di", "")]))[0].contains("first_date: a weekly series needs its first date"));
        assert!(OffersFile::parse(&file(&[&line("", "Dienstag/Fr", "2026-11-03")])).is_ok());
        assert!(errors(&file(&[&line("", "Tuesday", "2026-11-03")]))[0].contains("\"tuesday\" is not a weekday"));
        assert!(errors(&file(&[&line("2026-12-03", "", "2026-11-03")]))[0].contains("first_date: only for a weekly series"));
        assert!(errors(&file(&[&line("03.12.2026 2026-13-01", "", "")]))[0].contains("\"2026-13-01\" is not a date"));
    }

    #[test]
    fn header_problems_are_line_one() {
        assert_eq!(
            errors("id,office\n"),
            ["line 1: missing columns: category, title, provider, venue, address, postcode, lat, lon, time, end_time"]
        );
        let errs = errors(&format!("{HEADER},colour\n"));
        assert!(errs[0].starts_with("line 1: unknown column \"colour\""), "{errs:?}");
    }

    #[test]
    fn semicolons_comments_and_a_byte_order_mark_are_fine() {
        let text = format!("\u{feff}# Angebote\n{}\n# Hörde\n{}\n", HEADER.replace(',', ";"), GOOD.replace(',', ";"));
        let f = OffersFile::parse(&text).unwrap();
        assert_eq!(f.offers[0].line, 4);
        let errs = errors(&format!("{}\n\n# x\n{}\n\n{GOOD},x\n", HEADER, GOOD.replace("Di,", "Xy,")));
        assert!(errs[0].starts_with("line 4: weekday"), "{errs:?}");
        assert!(errs[1].starts_with("line 6: CSV error"), "{errs:?}");
        assert_eq!(
            errors("# Angebote\n\nid,office\n")[0],
            "line 3: missing columns: category, title, provider, venue, address, postcode, lat, lon, time, end_time"
        );
    }

    #[test]
    fn prices_in_euros() {
        for (s, cents) in [("", 0), ("0", 0), ("2,50", 250), ("2.5", 250), ("3 €", 300), ("12,05€", 1205)] {
            assert_eq!(price(s), Ok(cents), "{s}");
        }
        for s in ["-1", "2,505", "zwei", ",50", "1000,01", "99999999999"] {
            assert!(price(s).is_err(), "{s}");
        }
    }

    #[test]
    fn the_demo_offers_parse() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/demo/offers.csv")).unwrap();
        let f = OffersFile::parse(&text).unwrap_or_else(|e| panic!("{e}"));
        assert!((15..=25).contains(&f.offers.len()), "{}", f.offers.len());
        for office in ["do-hoerde", "do-innenstadt-west"] {
            assert!(f.offers.iter().filter(|o| o.offer.office_id == office).count() >= 6, "{office}");
        }
    }
}
