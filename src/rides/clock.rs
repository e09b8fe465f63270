//! Local clock times of the ride service: 'HH:MM' for shifts, and the conversion between
//! local date-times and the dispatcher's minutes since the start of the service day.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use serde::Deserialize;
use std::fmt;
use std::str::FromStr;

/// A time of day, 'HH:MM' (00:00 to 23:59), local.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct ClockTime(u16);

impl ClockTime {
    /// Minutes since midnight.
    pub fn minutes(self) -> u16 {
        self.0
    }
}

impl FromStr for ClockTime {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        NaiveTime::parse_from_str(s, "%H:%M")
            .ok()
            .filter(|_| s.len() == 5)
            .map(|t| ClockTime((t.hour() * 60 + t.minute()) as u16))
            .ok_or_else(|| format!("{s:?} is not a time of day like 07:30"))
    }
}

impl TryFrom<String> for ClockTime {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

/// How local date-times ('YYYY-MM-DDTHH:MM') are written in the database.
pub const LOCAL_FORMAT: &str = "%Y-%m-%dT%H:%M";

pub fn parse_local(s: &str) -> Result<NaiveDateTime, String> {
    NaiveDateTime::parse_from_str(s, LOCAL_FORMAT).map_err(|_| format!("{s:?} is not a local time like 2026-12-03T09:00"))
}

pub fn format_local(t: NaiveDateTime) -> String {
    t.format(LOCAL_FORMAT).to_string()
}

/// Minutes from the start of `day` to `t` (the dispatcher's time axis). Local wall-clock
/// minutes: rides run by day, far from the night-time switch to and from summer time.
pub fn minutes_into(day: NaiveDate, t: NaiveDateTime) -> f64 {
    (t - day.and_time(NaiveTime::MIN)).num_minutes() as f64
}

/// The local time `minutes` after the start of `day`, to the nearest minute. Windows are
/// whole minutes, so a time inside one stays inside after rounding.
pub fn at_minutes(day: NaiveDate, minutes: f64) -> NaiveDateTime {
    day.and_time(NaiveTime::MIN) + chrono::Duration::minutes(minutes.round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_times_parse_and_print() {
        assert_eq!("07:30".parse::<ClockTime>().unwrap().minutes(), 450);
        assert_eq!("23:59".parse::<ClockTime>().unwrap().to_string(), "23:59");
        for bad in ["7:30", "24:00", "07:60", "0730", "07:30:00", ""] {
            assert!(bad.parse::<ClockTime>().is_err(), "{bad}");
        }
    }

    #[test]
    fn local_times_map_to_minutes_of_the_day_and_back() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        let t = parse_local("2026-12-03T09:15").unwrap();
        assert_eq!(minutes_into(day, t), 555.0);
        assert_eq!(format_local(at_minutes(day, 554.6)), "2026-12-03T09:15");
        assert!(parse_local("2026-12-03 09:15").is_err());
    }
}
