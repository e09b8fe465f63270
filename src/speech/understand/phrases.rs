//! The closed sets of answers to the date and time questions, as whisper writes them.
//!
//! Whisper base hears short German number phrases badly ("Um zehn Uhr." came out as
//! "Umfängur"), so for these steps the recogniser also decodes the same audio once more,
//! allowed to write only one of these phrases (see `speech::stt`). What it then writes
//! goes through the same understanding as any transcript; every phrase here is one that
//! understanding reads as a date or a time (a test checks that).

use super::Expectation;
use crate::speech::numbers_de::{MONTHS, cardinal, ordinal_dative, time_of_day, weekday_name};
use chrono::{Datelike, NaiveDate, NaiveTime, Weekday};

/// A step whose answers form a closed set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PhraseSet {
    Dates,
    Times,
}

impl PhraseSet {
    pub const ALL: [PhraseSet; 2] = [PhraseSet::Dates, PhraseSet::Times];

    /// The recogniser's hint for the step (see [`hint`](super::hint)).
    pub fn hint(self) -> String {
        super::hint(&self.expectation())
    }

    /// Whether `text` already says something a step asking for this set understands.
    pub fn understands(self, text: &str, today: NaiveDate) -> bool {
        super::understand(text, &self.expectation(), today).is_some()
    }

    fn expectation(self) -> Expectation<'static> {
        match self {
            PhraseSet::Dates => Expectation::Date,
            PhraseSet::Times => Expectation::Time,
        }
    }

    /// Every phrase of the set, capitalised as whisper begins a sentence, without the full stop.
    pub fn phrases(self) -> Vec<String> {
        let phrases = match self {
            PhraseSet::Dates => dates(),
            PhraseSet::Times => times(),
        };
        phrases.iter().map(|p| capitalised(p)).collect()
    }
}

/// Appointment times from six in the morning to nine at night, in five-minute steps as
/// announcements say them ("um vierzehn Uhr dreißig"), and the clock-face forms ("halb
/// zehn", "Viertel nach zehn", "Viertel vor zehn"), each with and without "um".
fn times() -> Vec<String> {
    let mut said = Vec::new();
    for hour in 6..=20 {
        for minute in (0..60).step_by(5) {
            said.push(time_of_day(NaiveTime::from_hms_opt(hour, minute, 0).expect("valid time")));
        }
    }
    for hour in 1..=12 {
        let h = cardinal(hour);
        said.extend([format!("halb {h}"), format!("Viertel nach {h}"), format!("Viertel vor {h}")]);
    }
    for hour in 7..=11 {
        said.push(format!("{} vormittags", time_of_day(NaiveTime::from_hms_opt(hour, 0, 0).expect("valid time"))));
    }
    for hour in 1..=7 {
        said.push(format!("{} nachmittags", time_of_day(NaiveTime::from_hms_opt(hour, 0, 0).expect("valid time"))));
    }
    said.iter().flat_map(|t| [t.clone(), format!("um {t}")]).collect()
}

/// The relative days, the weekdays ("Dienstag", "am Dienstag", "nächsten Dienstag") and
/// every day of the year ("am dritten Dezember", and "am dritten" for this month's).
fn dates() -> Vec<String> {
    let mut said: Vec<String> = ["heute", "morgen", "übermorgen"].map(String::from).to_vec();
    let weekdays = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun];
    for day in weekdays.map(weekday_name) {
        said.extend([day.to_string(), format!("am {day}"), format!("nächsten {day}")]);
    }
    for day in 1..=31 {
        said.push(format!("am {}", ordinal_dative(day)));
    }
    // A common year: the 29th of February is a date only in some years.
    let mut date = NaiveDate::from_ymd_opt(2027, 1, 1).expect("valid date");
    while date.year() == 2027 {
        said.push(format!("am {} {}", ordinal_dative(date.day()), MONTHS[date.month0() as usize]));
        date = date.succ_opt().expect("valid date");
    }
    said
}

fn capitalised(phrase: &str) -> String {
    let mut chars = phrase.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::super::{Understood, understand};
    use super::*;

    #[test]
    fn every_phrase_is_understood_as_its_kind() {
        let today = NaiveDate::from_ymd_opt(2025, 12, 10).unwrap();
        for set in PhraseSet::ALL {
            let (phrases, expectation) = (set.phrases(), set.expectation());
            assert!(phrases.len() > 100, "{set:?}: {}", phrases.len());
            for phrase in phrases {
                let understood = understand(&format!("{phrase}."), &expectation, today);
                let ok = matches!(
                    (set, &understood),
                    (PhraseSet::Dates, Some(Understood::Date(_))) | (PhraseSet::Times, Some(Understood::Time(_)))
                );
                assert!(ok, "{set:?}: {phrase:?} -> {understood:?}");
            }
        }
    }

    #[test]
    fn phrases_read_as_callers_say_them() {
        let times = PhraseSet::Times.phrases();
        for said in ["Um zehn Uhr", "Um vierzehn Uhr dreißig", "Halb neun", "Um Viertel vor elf", "Um zehn Uhr vormittags"] {
            assert!(times.iter().any(|t| t == said), "{said}");
        }
        let dates = PhraseSet::Dates.phrases();
        for said in ["Übermorgen", "Am Donnerstag", "Nächsten Montag", "Am dritten Dezember", "Am achtundzwanzigsten Februar"] {
            assert!(dates.iter().any(|d| d == said), "{said}");
        }
    }
}
