//! Office opening hours as staff write them ("Mo-Fr 09:00-12:00, Di und Do 14:00-16:00"),
//! parsed so the hotline knows whether someone can take a transferred call right now.
//!
//! Grammar: day tokens (`Mo`..`So`, ranges `Mo-Fr`, `täglich`) collect a set of days; the
//! time ranges that follow (`9-12`, `09:00-12:30`, `14.00-16.00 Uhr`) apply to that set.
//! A day token after a time range starts a new rule. `und`, commas and `Uhr` are filler.

use chrono::{Datelike, NaiveDateTime, NaiveTime, Weekday};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpeningHours {
    /// (day, from, until) with `until` exclusive; minutes since midnight, `until` up to 24:00.
    slots: Vec<(Weekday, u32, u32)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("opening hours {text:?}: {problem}")]
pub struct HoursError {
    text: String,
    problem: String,
}

const DAYS: [(&str, Weekday); 7] = [
    ("mo", Weekday::Mon),
    ("di", Weekday::Tue),
    ("mi", Weekday::Wed),
    ("do", Weekday::Thu),
    ("fr", Weekday::Fri),
    ("sa", Weekday::Sat),
    ("so", Weekday::Sun),
];

fn day(token: &str) -> Option<Weekday> {
    // "Mo", "Mo.", "Montag", "montags" all name Monday.
    let t = token.trim_end_matches('.').to_lowercase();
    DAYS.iter()
        .find(|(short, _)| t.starts_with(short) && (t.len() == 2 || t.chars().nth(2).is_some_and(|c| c.is_alphabetic())))
        .map(|d| d.1)
}

fn day_span(token: &str) -> Option<Vec<Weekday>> {
    if matches!(token.to_lowercase().as_str(), "täglich" | "taeglich" | "tgl." | "tgl") {
        return Some(DAYS.iter().map(|d| d.1).collect());
    }
    match token.split_once(['-', '–']) {
        Some((a, b)) => {
            let (mut d, last) = (day(a)?, day(b)?);
            let mut days = vec![d];
            while d != last {
                d = d.succ();
                days.push(d);
            }
            Some(days)
        }
        None => Some(vec![day(token)?]),
    }
}

/// "9", "09:30", "9.30" -> minutes since midnight; 24:00 only as an end.
fn clock(text: &str) -> Option<u32> {
    let (h, m) = match text.split_once([':', '.']) {
        Some((h, m)) if m.len() == 2 => (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?),
        Some(_) => return None,
        None => (text.parse::<u32>().ok()?, 0),
    };
    (h <= 24 && m < 60 && h * 60 + m <= 24 * 60).then_some(h * 60 + m)
}

fn time_span(token: &str) -> Option<(u32, u32)> {
    let (a, b) = token.split_once(['-', '–'])?;
    let (from, until) = (clock(a)?, clock(b)?);
    (from < until && from < 24 * 60).then_some((from, until))
}

impl OpeningHours {
    pub fn parse(text: &str) -> Result<OpeningHours, HoursError> {
        let err = |problem: String| HoursError { text: text.to_string(), problem };
        let mut slots = Vec::new();
        let mut days: Vec<Weekday> = Vec::new();
        let mut days_have_times = false;
        for token in text.split([' ', ',', ';', '\t']).filter(|t| !t.is_empty()) {
            let lower = token.to_lowercase();
            if matches!(lower.as_str(), "und" | "uhr" | "sowie" | "&" | "+") {
                continue;
            }
            if let Some(span) = day_span(token) {
                if days_have_times {
                    days.clear();
                    days_have_times = false;
                }
                days.extend(span);
            } else if let Some((from, until)) = time_span(token.trim_end_matches("Uhr")) {
                if days.is_empty() {
                    return Err(err(format!("time {token:?} without days before it")));
                }
                slots.extend(days.iter().map(|&d| (d, from, until)));
                days_have_times = true;
            } else {
                return Err(err(format!("cannot read {token:?} (write e.g. \"Mo-Fr 09:00-12:00, Do 14:00-16:00\")")));
            }
        }
        if !days.is_empty() && !days_have_times {
            return Err(err("days without opening times at the end".into()));
        }
        if slots.is_empty() {
            return Err(err("no opening times".into()));
        }
        Ok(OpeningHours { slots })
    }

    /// Whether the office is open at this local wall-clock time.
    pub fn is_open(&self, at: NaiveDateTime) -> bool {
        let minute = at.time().signed_duration_since(NaiveTime::MIN).num_minutes() as u32;
        let weekday = at.date().weekday();
        self.slots.iter().any(|&(d, from, until)| d == weekday && from <= minute && minute < until)
    }
}

impl fmt::Display for OpeningHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .slots
            .iter()
            .map(|(d, a, b)| {
                format!("{} {:02}:{:02}-{:02}:{:02}", DAYS[d.num_days_from_monday() as usize].0, a / 60, a % 60, b / 60, b % 60)
            })
            .collect();
        f.write_str(&parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(day: u32, hh: u32, mm: u32) -> NaiveDateTime {
        // 2026-11-23 is a Monday.
        NaiveDate::from_ymd_opt(2026, 11, 23 + day).unwrap().and_hms_opt(hh, mm, 0).unwrap()
    }

    #[test]
    fn demo_office_hours() {
        let h = OpeningHours::parse("Mo-Fr 09:00-12:00, Di und Do 14:00-16:00").unwrap();
        assert!(h.is_open(at(0, 9, 0)));
        assert!(h.is_open(at(0, 11, 59)));
        assert!(!h.is_open(at(0, 12, 0)), "end is exclusive");
        assert!(!h.is_open(at(0, 8, 59)));
        assert!(!h.is_open(at(0, 15, 0)), "Monday afternoon closed");
        assert!(h.is_open(at(1, 15, 0)), "Tuesday afternoon open");
        assert!(h.is_open(at(3, 14, 0)), "Thursday afternoon open");
        assert!(!h.is_open(at(2, 14, 30)), "Wednesday afternoon closed");
        assert!(!h.is_open(at(5, 10, 0)), "Saturday closed");
    }

    #[test]
    fn other_ways_of_writing_hours() {
        let h = OpeningHours::parse("Mo, Mi 9-12 und 13.30-15 Uhr; Sa 10:00-12:00").unwrap();
        assert!(h.is_open(at(0, 13, 45)));
        assert!(h.is_open(at(2, 9, 0)));
        assert!(!h.is_open(at(1, 10, 0)));
        assert!(h.is_open(at(5, 11, 0)));
        let always = OpeningHours::parse("täglich 00:00-24:00").unwrap();
        assert!(always.is_open(at(6, 23, 59)));
        assert!(always.is_open(at(4, 0, 0)));
        let weekend = OpeningHours::parse("Fr-Mo 10-11").unwrap();
        assert!(weekend.is_open(at(6, 10, 30)) && weekend.is_open(at(0, 10, 30)) && !weekend.is_open(at(1, 10, 30)));
        assert_eq!(OpeningHours::parse("Montag 8-9").unwrap().to_string(), "mo 08:00-09:00");
    }

    #[test]
    fn unreadable_hours_are_errors_that_say_why() {
        for bad in ["", "Mo-Fr", "9-12", "Mo 12-9", "Mo 9:5-12", "Mo 25-26", "nach Vereinbarung", "Mo-Fr 9-12, Sa"] {
            let e = OpeningHours::parse(bad).unwrap_err().to_string();
            assert!(e.contains("opening hours"), "{bad}: {e}");
        }
    }
}
