//! When an offer takes place: single dates, or a weekly series that is expanded into
//! dates up to a horizon (so every date has its own seats).

use crate::rides::ClockTime;
use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, Weekday};

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Schedule {
    pub recurrence: Recurrence,
    pub start: ClockTime,
    /// After `start`, on the same day.
    pub end: ClockTime,
}

/// Which days a schedule has.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Recurrence {
    /// On these days.
    Once(Vec<NaiveDate>),
    /// On these weekdays of every `every_weeks`-th week, counted from the week of
    /// `first`, from `first` until `last` (open-ended without).
    Weekly { weekdays: Vec<Weekday>, every_weeks: u32, first: NaiveDate, last: Option<NaiveDate> },
}

impl Schedule {
    /// Start and end of every date from `from` to `until` (both days included), in order.
    pub fn dates(&self, from: NaiveDate, until: NaiveDate) -> Vec<(NaiveDateTime, NaiveDateTime)> {
        let days: Vec<NaiveDate> = match &self.recurrence {
            Recurrence::Once(days) => {
                let mut days: Vec<NaiveDate> = days.iter().copied().filter(|d| (from..=until).contains(d)).collect();
                days.sort();
                days.dedup();
                days
            }
            Recurrence::Weekly { weekdays, every_weeks, first, last } => {
                let anchor = first.week(Weekday::Mon).first_day();
                let last = last.map_or(until, |l| l.min(until));
                let mut days = Vec::new();
                let mut day = from.max(*first);
                while day <= last {
                    let week = (day - anchor).num_days() / 7;
                    if weekdays.contains(&day.weekday()) && week % i64::from(*every_weeks) == 0 {
                        days.push(day);
                    }
                    day = day + Days::new(1);
                }
                days
            }
        };
        days.into_iter().map(|d| (d.and_time(clock(self.start)), d.and_time(clock(self.end)))).collect()
    }
}

fn clock(t: ClockTime) -> NaiveTime {
    let m = u32::from(t.minutes());
    NaiveTime::from_hms_opt(m / 60, m % 60, 0).expect("a ClockTime is a time of day")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn starts(schedule: &Schedule, from: &str, until: &str) -> Vec<String> {
        schedule.dates(d(from), d(until)).iter().map(|(s, _)| s.format("%a %Y-%m-%dT%H:%M").to_string()).collect()
    }

    fn weekly(weekdays: &[Weekday], every_weeks: u32, first: &str, last: Option<&str>) -> Schedule {
        Schedule {
            recurrence: Recurrence::Weekly { weekdays: weekdays.to_vec(), every_weeks, first: d(first), last: last.map(d) },
            start: "10:00".parse().unwrap(),
            end: "11:30".parse().unwrap(),
        }
    }

    #[test]
    fn a_weekly_series_becomes_dates_within_the_horizon() {
        // 2026-12-01 is a Tuesday.
        let s = weekly(&[Weekday::Tue, Weekday::Thu], 1, "2026-11-01", None);
        assert_eq!(
            starts(&s, "2026-12-01", "2026-12-10"),
            ["Tue 2026-12-01T10:00", "Thu 2026-12-03T10:00", "Tue 2026-12-08T10:00", "Thu 2026-12-10T10:00"]
        );
        let (start, end) = s.dates(d("2026-12-01"), d("2026-12-01"))[0];
        assert_eq!(end - start, chrono::Duration::minutes(90));
    }

    #[test]
    fn a_series_keeps_to_its_first_and_last_date() {
        let s = weekly(&[Weekday::Wed], 1, "2026-12-09", Some("2026-12-23"));
        assert_eq!(starts(&s, "2026-12-01", "2027-03-01"), ["Wed 2026-12-09T10:00", "Wed 2026-12-16T10:00", "Wed 2026-12-23T10:00"]);
        assert!(starts(&s, "2026-12-24", "2027-03-01").is_empty());
    }

    #[test]
    fn every_other_week_counts_from_the_first_week_whatever_the_start_of_the_horizon() {
        // First date a Friday; the Monday of its week anchors the count.
        let s = weekly(&[Weekday::Mon, Weekday::Fri], 2, "2026-11-06", None);
        let all = starts(&s, "2026-11-01", "2026-11-30");
        assert_eq!(all, ["Fri 2026-11-06T10:00", "Mon 2026-11-16T10:00", "Fri 2026-11-20T10:00", "Mon 2026-11-30T10:00"]);
        // Importing later gives the same weeks.
        assert_eq!(starts(&s, "2026-11-17", "2026-11-30"), all[2..]);
    }

    #[test]
    fn single_dates_in_order_without_repeats() {
        let s = Schedule {
            recurrence: Recurrence::Once(vec![d("2026-12-17"), d("2026-12-03"), d("2026-12-17"), d("2026-11-20")]),
            start: "15:00".parse().unwrap(),
            end: "17:00".parse().unwrap(),
        };
        assert_eq!(starts(&s, "2026-12-01", "2026-12-31"), ["Thu 2026-12-03T15:00", "Thu 2026-12-17T15:00"]);
    }
}
