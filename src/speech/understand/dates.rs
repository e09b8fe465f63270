//! Dates as callers say them, relative to today: "heute", "übermorgen", "nächsten
//! Dienstag", "Dienstag in einer Woche", "nächste Woche Montag", "am dritten Dezember",
//! "3. Dezember", "den 3.12.", "am 15.", "in drei Tagen".
//!
//! Rules, so that nothing is guessed:
//! - Every date said must agree, and a weekday said with a date must be its weekday
//!   ("Dienstag, den 16. Dezember"); otherwise nothing is understood.
//! - A weekday alone is its next occurrence after today: on a Tuesday, "Dienstag" and
//!   "nächsten Dienstag" are in seven days (today is "heute"). The dialog reads the full
//!   date back, so a caller who meant the week after can correct it.
//! - "in acht Tagen" is a week and "in vierzehn Tagen" two, as the idiom means.
//! - A day and month that have passed this year are next year's; "am 15." alone is the
//!   next 15th. Dates that do not exist (31. Februar) and past days ("gestern") are unclear.
//! - "nächste Woche" without a weekday, "Anfang Dezember", "am Wochenende" are no date.

use super::numbers::{cardinal, number_at, ordinal, ordinal_at};
use super::words::Token;
use chrono::{Datelike, Days, Months, NaiveDate, Weekday};

const WEEKDAYS: [(&str, Weekday); 8] = [
    ("montag", Weekday::Mon),
    ("dienstag", Weekday::Tue),
    ("mittwoch", Weekday::Wed),
    ("donnerstag", Weekday::Thu),
    ("freitag", Weekday::Fri),
    ("samstag", Weekday::Sat),
    ("sonnabend", Weekday::Sat),
    ("sonntag", Weekday::Sun),
];
const MONTHS: [(&str, u32); 13] = [
    ("januar", 1),
    ("jaenner", 1),
    ("februar", 2),
    ("maerz", 3),
    ("april", 4),
    ("mai", 5),
    ("juni", 6),
    ("juli", 7),
    ("august", 8),
    ("september", 9),
    ("oktober", 10),
    ("november", 11),
    ("dezember", 12),
];
/// Words after which a lone ordinal is a day of the month: "am dritten", "den 3.".
const DAY_ANNOUNCERS: [&str; 5] = ["am", "den", "dem", "zum", "der"];

/// A word naming a weekday, and what follows the name: "dienstag" (""), "dienstags" ("s"),
/// "Dienstagnachmittag" ("nachmittag"). A word that starts with a weekday refers to it.
pub(super) fn weekday(word: &str) -> Option<(Weekday, &str)> {
    WEEKDAYS.iter().find_map(|&(name, day)| word.strip_prefix(name).map(|rest| (day, rest)))
}

fn month(word: Option<&str>) -> Option<u32> {
    MONTHS.iter().find(|(name, _)| Some(*name) == word).map(|&(_, m)| m)
}

/// One date expression heard in the utterance.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Said {
    On(NaiveDate),
    /// A weekday alone: its next occurrence, or a check on a date said with it.
    Weekday(Weekday),
    Unclear,
}

pub(super) fn date(tokens: &[Token], today: NaiveDate) -> Option<NaiveDate> {
    let mut said = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        match said_at(tokens, i, today) {
            Some((s, used)) => {
                said.push(s);
                i += used;
            }
            None => i += 1,
        }
    }
    let mut dates = said.iter().filter_map(|s| if let Said::On(d) = s { Some(*d) } else { None });
    let mut weekdays = said.iter().filter_map(|s| if let Said::Weekday(w) = s { Some(*w) } else { None });
    if said.contains(&Said::Unclear) {
        return None;
    }
    let date = match dates.next() {
        Some(first) => dates.all(|d| d == first).then_some(first)?,
        None => next_weekday(today, weekdays.next()?)?,
    };
    weekdays.all(|w| w == date.weekday()).then_some(date)
}

fn said_at(tokens: &[Token], i: usize, today: NaiveDate) -> Option<(Said, usize)> {
    let word = |k: usize| tokens.get(k).and_then(Token::word);
    let prev = i.checked_sub(1).and_then(word);
    let after = |days: u64| today.checked_add_days(Days::new(days)).map_or(Said::Unclear, Said::On);
    match word(i) {
        Some("heute") => Some((Said::On(today), 1)),
        Some("uebermorgen") => Some((after(2), 1)),
        // "Guten Morgen", "Dienstag Morgen", "heute Morgen" are times of day.
        Some("morgen") => {
            let time_of_day = prev.is_some_and(|p| matches!(p, "guten" | "am" | "heute") || weekday(p).is_some());
            (!time_of_day).then(|| (after(1), 1))
        }
        Some("gestern" | "vorgestern") => Some((Said::Unclear, 1)),
        Some("in") => {
            let (days, used) = span_at(&tokens[i + 1..])?;
            Some((after(days), used + 1))
        }
        Some("naechste" | "naechsten" | "naechster" | "kommende" | "kommenden") if word(i + 1) == Some("woche") => {
            Some((in_week(today, 1, word(i + 2)), 3))
        }
        Some("diese" | "dieser") if word(i + 1) == Some("woche") => Some((in_week(today, 0, word(i + 2)), 3)),
        Some("uebernaechsten" | "uebernaechste") => {
            let (day, _) = weekday(word(i + 1)?)?;
            Some((plus(next_weekday(today, day), 7), 2))
        }
        Some(w) if weekday(w).is_some() => Some(weekday_at(tokens, i, today)),
        _ => day_month_at(tokens, i, today),
    }
}

/// "Dienstag", or a weekday with its week: "Dienstag nächste Woche", "Dienstag in einer Woche".
fn weekday_at(tokens: &[Token], i: usize, today: NaiveDate) -> (Said, usize) {
    let word = |k: usize| tokens.get(k).and_then(Token::word);
    match (word(i + 1), word(i + 2)) {
        (Some("naechste" | "naechster" | "kommende" | "kommender"), Some("woche")) => (in_week(today, 1, word(i)), 3),
        (Some("in"), _) => match span_at(&tokens[i + 2..]) {
            Some((days, used)) if days % 7 == 0 => {
                (plus(word(i).and_then(weekday).and_then(|(d, _)| next_weekday(today, d)), days), used + 2)
            }
            Some((_, used)) => (Said::Unclear, used + 2),
            None => (word(i).and_then(weekday).map_or(Said::Unclear, |(d, _)| Said::Weekday(d)), 1),
        },
        _ => (word(i).and_then(weekday).map_or(Said::Unclear, |(d, _)| Said::Weekday(d)), 1),
    }
}

/// "einer Woche", "drei Tagen", "14 Tagen" (after "in"): days, and tokens used.
fn span_at(tokens: &[Token]) -> Option<(u64, usize)> {
    let (n, used) = match tokens.first()?.word() {
        Some("einer" | "einem" | "eine" | "ein") => (1, 1),
        _ => number_at(tokens)?,
    };
    let days = match tokens.get(used)?.word()? {
        "tag" | "tage" | "tagen" if n == 8 => 7,
        "tag" | "tage" | "tagen" => n,
        "woche" | "wochen" => 7 * n,
        _ => return None,
    };
    Some((days as u64, used + 1))
}

/// The weekday named by `word` in this week (`weeks` 0) or a later one; none is unclear.
fn in_week(today: NaiveDate, weeks: u64, word: Option<&str>) -> Said {
    let Some((day, _)) = word.and_then(weekday) else { return Said::Unclear };
    let monday = today.checked_sub_days(Days::new(today.weekday().num_days_from_monday().into()));
    match monday.and_then(|m| m.checked_add_days(Days::new(7 * weeks + u64::from(day.num_days_from_monday())))) {
        Some(date) if date >= today => Said::On(date),
        _ => Said::Unclear,
    }
}

fn next_weekday(today: NaiveDate, day: Weekday) -> Option<NaiveDate> {
    let ahead = (7 + day.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
    today.checked_add_days(Days::new(if ahead == 0 { 7 } else { ahead.into() }))
}

fn plus(date: Option<NaiveDate>, days: u64) -> Said {
    date.and_then(|d| d.checked_add_days(Days::new(days))).map_or(Said::Unclear, Said::On)
}

/// "3.12.", "03.12.2025", "dritten Dezember", "3. Dezember 2026", "den dritten zwölften",
/// "am 15.".
fn day_month_at(tokens: &[Token], i: usize, today: NaiveDate) -> Option<(Said, usize)> {
    let rest = &tokens[i..];
    let word = |k: usize| rest.get(k).and_then(Token::word);
    let prev = i.checked_sub(1).and_then(|p| tokens[p].word());
    if let [Token::Num(d), Token::Sep('.'), Token::Num(m), ..] = rest {
        // "14.30 Uhr", "um 9.30" are times.
        if prev == Some("um") || word(3) == Some("uhr") {
            return None;
        }
        let (year, used) = match &rest[3..] {
            [Token::Sep('.'), Token::Num(y), ..] if y.len() == 4 => (y.parse().ok(), 5),
            [Token::Sep('.'), Token::Num(y), ..] if y.len() == 2 => (y.parse::<i32>().ok().map(|y| 2000 + y), 5),
            [Token::Sep('.'), ..] => (None, 4),
            _ => (None, 3),
        };
        return Some((on_day(today, d.parse().ok()?, m.parse().ok()?, year), used));
    }
    let (day, used) = match ordinal_at(rest) {
        Some(day) => day,
        None => number_at(rest).filter(|&(_, used)| month(word(used)).is_some())?,
    };
    let month_at = month(word(used)).or_else(|| word(used).and_then(ordinal).filter(|m| (1..=12).contains(m)));
    match month_at {
        Some(m) => {
            let year = match rest.get(used + 1) {
                Some(Token::Num(y)) if y.len() == 4 => y.parse().ok(),
                Some(Token::Word(y)) => cardinal(y).filter(|y| *y >= 1900).map(|y| y as i32),
                _ => None,
            };
            Some((on_day(today, day, m, year), used + 1 + usize::from(year.is_some())))
        }
        None if prev.is_some_and(|p| DAY_ANNOUNCERS.contains(&p)) => Some((day_of_month(today, day), used)),
        None => None,
    }
}

fn on_day(today: NaiveDate, day: u32, month: u32, year: Option<i32>) -> Said {
    let on = |y: i32| NaiveDate::from_ymd_opt(y, month, day);
    let date = match year {
        Some(y) => on(y),
        None => on(today.year()).filter(|d| *d >= today).or_else(|| on(today.year() + 1)),
    };
    date.map_or(Said::Unclear, Said::On)
}

/// The next such day of the month; a day this month does not have ("am 31." in November)
/// is unclear rather than next month's.
fn day_of_month(today: NaiveDate, day: u32) -> Said {
    let date = match today.with_day(day) {
        Some(d) if d >= today => Some(d),
        Some(_) => today.with_day(1).and_then(|d| d.checked_add_months(Months::new(1))).and_then(|d| d.with_day(day)),
        None => None,
    };
    date.map_or(Said::Unclear, Said::On)
}

#[cfg(test)]
mod tests {
    use super::super::words::tokens;
    use super::*;

    /// Wednesday, 10 December 2025.
    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 12, 10).unwrap()
    }

    fn on(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    #[test]
    fn dates_relative_to_today() {
        for (text, expected) in [
            ("heute", on(2025, 12, 10)),
            ("Morgen.", on(2025, 12, 11)),
            ("Übermorgen", on(2025, 12, 12)),
            ("Uebermorgen bitte", on(2025, 12, 12)),
            ("morgen früh", on(2025, 12, 11)),
            ("heute Nachmittag", on(2025, 12, 10)),
            ("am Dienstag", on(2025, 12, 16)),
            ("Nächsten Dienstag", on(2025, 12, 16)),
            ("kommenden Freitag", on(2025, 12, 12)),
            ("am Mittwoch", on(2025, 12, 17)),
            ("Dienstag in einer Woche", on(2025, 12, 23)),
            ("Dienstag in acht Tagen", on(2025, 12, 23)),
            ("Freitag in zwei Wochen", on(2025, 12, 26)),
            ("übernächsten Freitag", on(2025, 12, 19)),
            ("nächste Woche Montag", on(2025, 12, 15)),
            ("Montag nächste Woche", on(2025, 12, 15)),
            ("nächste Woche Mittwoch", on(2025, 12, 17)),
            ("diese Woche Freitag", on(2025, 12, 12)),
            ("Dienstag Morgen", on(2025, 12, 16)),
            ("Dienstagnachmittag", on(2025, 12, 16)),
            ("Guten Morgen, am Freitag bitte.", on(2025, 12, 12)),
            ("am dritten Dezember", on(2026, 12, 3)),
            ("3. Dezember", on(2026, 12, 3)),
            ("den 3.12.", on(2026, 12, 3)),
            ("am 24. Dezember", on(2025, 12, 24)),
            ("den 24.12.", on(2025, 12, 24)),
            ("am vierundzwanzigsten Dezember", on(2025, 12, 24)),
            ("zehnter Dezember", on(2025, 12, 10)),
            ("am 5. Januar", on(2026, 1, 5)),
            ("5.1.2026", on(2026, 1, 5)),
            ("05.01.26", on(2026, 1, 5)),
            ("dritter Januar", on(2026, 1, 3)),
            ("den dritten ersten", on(2026, 1, 3)),
            ("am 3 Dezember", on(2026, 12, 3)),
            ("am dritten Dezember 2026", on(2026, 12, 3)),
            ("am dritten Dezember zweitausendsechsundzwanzig", on(2026, 12, 3)),
            ("am 15.", on(2025, 12, 15)),
            ("am dritten", on(2026, 1, 3)),
            ("am 31.", on(2025, 12, 31)),
            ("in drei Tagen", on(2025, 12, 13)),
            ("in 3 Tagen", on(2025, 12, 13)),
            ("in einer Woche", on(2025, 12, 17)),
            ("in acht Tagen", on(2025, 12, 17)),
            ("in zwei Wochen", on(2025, 12, 24)),
            ("in vierzehn Tagen", on(2025, 12, 24)),
            ("Dienstag, den 16. Dezember", on(2025, 12, 16)),
            ("morgen, am Donnerstag", on(2025, 12, 11)),
            ("Am Dienstag um 14.30 Uhr", on(2025, 12, 16)),
            ("Am 3.12. um 9 Uhr", on(2026, 12, 3)),
            ("Ich muss am Freitag zum Arzt und dann wieder zurück", on(2025, 12, 12)),
            // Contradictions, vague or impossible dates: no guess.
            ("Dienstag, den 17. Dezember", None),
            ("morgen, am Freitag", None),
            ("In einer Woche am Dienstag", None),
            ("am 30.2.", None),
            ("Dienstag oder Mittwoch", None),
            ("nächste Woche", None),
            ("nächste Woche, am Dienstag", None),
            ("diese Woche Montag", None),
            ("Dienstag in drei Tagen", None),
            ("am 31. Februar", None),
            ("am 29. Februar", None),
            ("gestern", None),
            ("Anfang Dezember", None),
            ("im Dezember", None),
            ("am Wochenende", None),
            ("irgendwann", None),
            ("in Dortmund", None),
            ("um neun", None),
            ("", None),
        ] {
            assert_eq!(date(&tokens(text), today()), expected, "{text:?}");
        }
    }
}
