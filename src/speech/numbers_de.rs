//! Numbers the German way, for speaking them to callers.

pub(crate) const DIGITS: [&str; 10] = ["null", "eins", "zwo", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun"];

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

const ONES: [&str; 20] = [
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
const TENS: [&str; 10] = ["", "zehn", "zwanzig", "dreißig", "vierzig", "fünfzig", "sechzig", "siebzig", "achtzig", "neunzig"];
const WEEKDAYS: [&str; 7] = ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"];
const MONTHS: [&str; 12] =
    ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"];

/// A number 0..=999 in words: 21 -> "einundzwanzig", 101 -> "hunderteins".
pub fn cardinal(n: u32) -> String {
    match n {
        0..=19 => ONES[n as usize].to_string(),
        20..=99 => match n % 10 {
            0 => TENS[(n / 10) as usize].to_string(),
            // "eins" loses its s in compounds: einundzwanzig.
            1 => format!("einund{}", TENS[(n / 10) as usize]),
            u => format!("{}und{}", ONES[u as usize], TENS[(n / 10) as usize]),
        },
        100..=999 => {
            let rest = n % 100;
            let hundreds = if n / 100 == 1 { "hundert".to_string() } else { format!("{}hundert", ONES[(n / 100) as usize]) };
            if rest == 0 { hundreds } else { format!("{hundreds}{}", cardinal(rest)) }
        }
        _ => n.to_string(),
    }
}

/// The ordinal in the dative, as in "am dritten Dezember": 1 -> "ersten", 21 -> "einundzwanzigsten".
pub fn ordinal_dative(n: u32) -> String {
    match n {
        1 => "ersten".into(),
        3 => "dritten".into(),
        7 => "siebten".into(),
        8 => "achten".into(),
        2..=19 => format!("{}ten", cardinal(n)),
        _ => format!("{}sten", cardinal(n)),
    }
}

/// A date with its weekday, for "am …": "Donnerstag, dem dritten Dezember".
pub fn spoken_date(date: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    format!(
        "{}, dem {} {}",
        WEEKDAYS[date.weekday().num_days_from_monday() as usize],
        ordinal_dative(date.day()),
        MONTHS[date.month0() as usize]
    )
}

/// A clock time as said on the phone: "neun Uhr dreißig", "vierzehn Uhr", "ein Uhr fünf".
pub fn spoken_time(time: chrono::NaiveTime) -> String {
    use chrono::Timelike;
    let hour = if time.hour() == 1 { "ein".to_string() } else { cardinal(time.hour()) };
    match time.minute() {
        0 => format!("{hour} Uhr"),
        m => format!("{hour} Uhr {}", cardinal(m)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_dates_and_times_in_words() {
        let words: Vec<String> = [0, 1, 2, 16, 20, 21, 30, 37, 99, 100, 101, 245].iter().map(|&n| cardinal(n)).collect();
        assert_eq!(
            words,
            [
                "null",
                "eins",
                "zwei",
                "sechzehn",
                "zwanzig",
                "einundzwanzig",
                "dreißig",
                "siebenunddreißig",
                "neunundneunzig",
                "hundert",
                "hunderteins",
                "zweihundertfünfundvierzig"
            ]
        );
        let ordinals: Vec<String> = [1, 2, 3, 7, 8, 12, 19, 20, 21, 31].iter().map(|&n| ordinal_dative(n)).collect();
        assert_eq!(
            ordinals,
            [
                "ersten",
                "zweiten",
                "dritten",
                "siebten",
                "achten",
                "zwölften",
                "neunzehnten",
                "zwanzigsten",
                "einundzwanzigsten",
                "einunddreißigsten"
            ]
        );
        let d = |y, m, day| chrono::NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(spoken_date(d(2026, 12, 3)), "Donnerstag, dem dritten Dezember");
        assert_eq!(spoken_date(d(2027, 3, 1)), "Montag, dem ersten März");
        let t = |h, m| chrono::NaiveTime::from_hms_opt(h, m, 0).unwrap();
        assert_eq!(spoken_time(t(9, 30)), "neun Uhr dreißig");
        assert_eq!(spoken_time(t(14, 0)), "vierzehn Uhr");
        assert_eq!(spoken_time(t(1, 5)), "ein Uhr fünf");
        assert_eq!(spoken_time(t(11, 45)), "elf Uhr fünfundvierzig");
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
