//! Numbers the German way, for speaking them to callers: digit groups, amounts, times of
//! day, dates with their weekday, euros. Words, not figures, so every voice says them
//! alike ("14:30" is "vierzehn Uhr dreißig", never "vierzehn Doppelpunkt dreißig").

use chrono::{Datelike, NaiveDate, NaiveTime, Timelike, Weekday};

pub(crate) const DIGITS: [&str; 10] = ["null", "eins", "zwo", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun"];

const BELOW_TWENTY: [&str; 20] = [
    "null",
    "eins",
    "zwei",
    "drei",
    "vier",
    "fünf",
    "sechs",
    "sieben",
    "acht",
    "neun",
    "zehn",
    "elf",
    "zwölf",
    "dreizehn",
    "vierzehn",
    "fünfzehn",
    "sechzehn",
    "siebzehn",
    "achtzehn",
    "neunzehn",
];
const TENS: [&str; 10] = ["", "", "zwanzig", "dreißig", "vierzig", "fünfzig", "sechzig", "siebzig", "achtzig", "neunzig"];
pub(crate) const MONTHS: [&str; 12] =
    ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"];

/// Reads a digit string back in small groups, digit by digit, as people do on the phone:
/// "0231555123" -> "null zwo drei, eins fünf fünf, fünf eins zwo drei". "zwo" is
/// the telephone word for 2 (it cannot be confused with "drei"). Groups are three digits;
/// the last group takes four rather than leaving one digit alone.
pub fn digits_in_groups(digits: &str) -> String {
    let words: Vec<&str> = digits.chars().filter_map(|c| c.to_digit(10)).map(|d| DIGITS[d as usize]).collect();
    let mut groups = Vec::new();
    let mut rest = &words[..];
    while !rest.is_empty() {
        let take = if rest.len() == 4 { 4 } else { rest.len().min(3) };
        groups.push(rest[..take].join(" "));
        rest = &rest[take..];
    }
    groups.join(", ")
}

/// A whole number in words, as said alone: 1 "eins", 21 "einundzwanzig", 250
/// "zweihundertfünfzig", 1001 "eintausendeins". From a million on, the figures (never
/// needed for what the hotline says).
pub fn cardinal(n: u32) -> String {
    if n == 1 { "eins".into() } else { in_compound(n) }
}

/// The number as it starts a longer word or stands before a noun: 1 is "ein" ("ein Uhr",
/// "einhundert", "einundzwanzig").
fn in_compound(n: u32) -> String {
    match n {
        1 => "ein".into(),
        0..20 => BELOW_TWENTY[n as usize].into(),
        20..100 => match n % 10 {
            0 => TENS[n as usize / 10].into(),
            unit => format!("{}und{}", in_compound(unit), TENS[n as usize / 10]),
        },
        100..1000 => scaled(n, 100, "hundert"),
        1000..1_000_000 => scaled(n, 1000, "tausend"),
        _ => n.to_string(),
    }
}

/// `n` as head-scale-tail: "zwei|hundert|fünfzig"; the tail is said as alone ("hunderteins").
fn scaled(n: u32, factor: u32, scale: &str) -> String {
    let (head, tail) = (n / factor, n % factor);
    let tail = if tail == 0 { String::new() } else { cardinal(tail) };
    format!("{}{scale}{tail}", in_compound(head))
}

/// The ordinal with its dative ending, as in "am dritten Dezember": 1 "ersten",
/// 7 "siebten", 20 "zwanzigsten".
pub(crate) fn ordinal_dative(n: u32) -> String {
    match n {
        1 => "ersten".into(),
        3 => "dritten".into(),
        7 => "siebten".into(),
        8 => "achten".into(),
        0..20 => format!("{}ten", cardinal(n)),
        _ => format!("{}sten", in_compound(n)),
    }
}

/// A time of day on the 24-hour clock, as announcements say it: "zehn Uhr",
/// "vierzehn Uhr dreißig", "ein Uhr fünf".
pub fn time_of_day(t: NaiveTime) -> String {
    let hour = format!("{} Uhr", in_compound(t.hour()));
    match t.minute() {
        0 => hour,
        m => format!("{hour} {}", cardinal(m)),
    }
}

pub(crate) fn weekday_name(day: Weekday) -> &'static str {
    ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"][day.num_days_from_monday() as usize]
}

/// A day as the dialog confirms it, with its weekday: "am Dienstag, dem dritten Dezember";
/// "heute, …" and "morgen, …" in front when it is; the year only when the date is not
/// within half a year of `today`.
pub fn on_date(date: NaiveDate, today: NaiveDate) -> String {
    let mut said = format!("am {}, dem {} {}", weekday_name(date.weekday()), ordinal_dative(date.day()), MONTHS[date.month0() as usize]);
    if (date - today).num_days().abs() > 183 {
        said = format!("{said} {}", cardinal(date.year().unsigned_abs()));
    }
    match (date - today).num_days() {
        0 => format!("heute, {said}"),
        1 => format!("morgen, {said}"),
        _ => said,
    }
}

/// An amount of money: "zwei Euro fünfzig", "ein Euro", "fünfzig Cent", "null Euro".
pub fn euros(cents: u32) -> String {
    match (cents / 100, cents % 100) {
        (0, 0) => "null Euro".into(),
        (0, c) => format!("{} Cent", in_compound(c)),
        (e, 0) => format!("{} Euro", in_compound(e)),
        (e, c) => format!("{} Euro {}", in_compound(e), cardinal(c)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_in_words() {
        for (n, words) in [
            (0, "null"),
            (1, "eins"),
            (2, "zwei"),
            (12, "zwölf"),
            (16, "sechzehn"),
            (20, "zwanzig"),
            (21, "einundzwanzig"),
            (30, "dreißig"),
            (57, "siebenundfünfzig"),
            (100, "einhundert"),
            (101, "einhunderteins"),
            (250, "zweihundertfünfzig"),
            (1001, "eintausendeins"),
            (2026, "zweitausendsechsundzwanzig"),
            (31_415, "einunddreißigtausendvierhundertfünfzehn"),
            (1_000_000, "1000000"),
        ] {
            assert_eq!(cardinal(n), words, "{n}");
        }
    }

    #[test]
    fn days_of_the_month_as_ordinals() {
        let said: Vec<String> = [1, 2, 3, 7, 8, 11, 16, 19, 20, 21, 30, 31].into_iter().map(ordinal_dative).collect();
        assert_eq!(
            said,
            [
                "ersten",
                "zweiten",
                "dritten",
                "siebten",
                "achten",
                "elften",
                "sechzehnten",
                "neunzehnten",
                "zwanzigsten",
                "einundzwanzigsten",
                "dreißigsten",
                "einunddreißigsten"
            ]
        );
    }

    #[test]
    fn times_of_day() {
        let t = |h, m| time_of_day(NaiveTime::from_hms_opt(h, m, 0).unwrap());
        assert_eq!(t(10, 0), "zehn Uhr");
        assert_eq!(t(14, 30), "vierzehn Uhr dreißig");
        assert_eq!(t(1, 5), "ein Uhr fünf");
        assert_eq!(t(0, 0), "null Uhr");
        assert_eq!(t(21, 1), "einundzwanzig Uhr eins");
    }

    #[test]
    fn dates_with_their_weekday() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let today = d(2026, 12, 1);
        assert_eq!(on_date(d(2026, 12, 3), today), "am Donnerstag, dem dritten Dezember");
        assert_eq!(on_date(d(2026, 12, 1), today), "heute, am Dienstag, dem ersten Dezember");
        assert_eq!(on_date(d(2026, 12, 2), today), "morgen, am Mittwoch, dem zweiten Dezember");
        assert_eq!(on_date(d(2027, 1, 7), today), "am Donnerstag, dem siebten Januar");
        assert_eq!(on_date(d(2027, 12, 24), today), "am Freitag, dem vierundzwanzigsten Dezember zweitausendsiebenundzwanzig");
    }

    #[test]
    fn amounts_of_money() {
        assert_eq!(euros(0), "null Euro");
        assert_eq!(euros(100), "ein Euro");
        assert_eq!(euros(250), "zwei Euro fünfzig");
        assert_eq!(euros(50), "fünfzig Cent");
        assert_eq!(euros(1201), "zwölf Euro eins");
        assert_eq!(euros(2100), "einundzwanzig Euro");
    }

    #[test]
    fn phone_numbers_are_read_in_groups() {
        assert_eq!(digits_in_groups("02315551234"), "null zwo drei, eins fünf fünf, fünf eins zwo, drei vier");
        assert_eq!(digits_in_groups("0231555123"), "null zwo drei, eins fünf fünf, fünf eins zwo drei");
        assert_eq!(digits_in_groups("1234"), "eins zwo drei vier");
        assert_eq!(digits_in_groups("+49 (7)"), "vier neun sieben");
        assert_eq!(digits_in_groups(""), "");
    }
}
