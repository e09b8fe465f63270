//! Times of day as callers say them: "halb neun", "Viertel nach zehn", "viertel vor elf",
//! "drei viertel elf", "zehn vor halb neun", "14 Uhr 30", "vierzehn Uhr dreißig", "um
//! neun", "9:15", "acht Uhr morgens", "drei Uhr nachmittags".
//!
//! An hour on the twelve-hour dial ("um drei", "halb sieben") without "morgens",
//! "nachmittags", "abends" etc. is read for a daytime service: 7:00 to 12:59 as said, 1:00
//! to 6:59 as afternoon ("um drei" is 15:00, "halb sieben" 18:30, "halb eins" 12:30).
//! Hours said on the 24-hour clock ("vierzehn Uhr", "0 Uhr") are taken as said.
//! Approximate times ("kurz nach neun", "gegen neun"), ranges ("zwischen neun und zehn",
//! "von neun bis zehn") and alternatives ("neun oder zehn") are not understood: the dialog
//! asks again rather than guess. A bare number is a time only after "um", "ab", "bis" or
//! when it is all that was said.

use super::dates::weekday;
use super::numbers::number_at;
use super::words::{Token, is_filler};
use chrono::NaiveTime;

const HEDGES: [&str; 9] = ["kurz", "gegen", "ungefaehr", "etwa", "circa", "zirka", "ca", "zwischen", "oder"];
/// Words after which a bare number is an hour; "von" only in a range ("von neun bis
/// zehn", then not understood): alone it is more often a misheard "vor" ("Viertel vor
/// drei" came out as "Sonst ist von drei").
const HOUR_ANNOUNCERS: [&str; 3] = ["um", "ab", "bis"];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Part {
    Morning,
    Noon,
    Afternoon,
    Night,
}

/// A time as said, before the part of day is applied.
#[derive(Debug, Clone, Copy)]
struct Clock {
    hour: u32,
    minute: u32,
    /// The hour was said on the twelve-hour dial (1 to 12).
    twelve: bool,
}

impl Clock {
    fn at(hour: u32, minute: u32) -> Option<Clock> {
        (hour <= 24 && minute < 60).then_some(Clock { hour: hour % 24, minute, twelve: (1..=12).contains(&hour) })
    }

    /// `minutes` before the full `hour`: "halb neun" is 30 before nine.
    fn before(hour: u32, minutes: u32) -> Option<Clock> {
        let full = Clock::at(hour, 0)?;
        let t = (full.hour * 60 + 24 * 60 - minutes) % (24 * 60);
        Some(Clock { hour: t / 60, minute: t % 60, ..full })
    }
}

pub(super) fn time(tokens: &[Token]) -> Option<NaiveTime> {
    let prev = |i: usize| i.checked_sub(1).and_then(|p| tokens[p].word());
    if tokens.iter().filter_map(Token::word).any(|w| HEDGES.contains(&w)) {
        return None;
    }
    let mut parts = tokens.iter().enumerate().filter_map(|(i, t)| part_of_day(prev(i), t.word()?));
    let part = parts.next();
    if parts.any(|p| Some(p) != part) {
        return None;
    }
    let mut times = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        match clock_at(tokens, i) {
            Some((clock, used)) => {
                times.push(resolve(clock, part)?);
                i += used;
            }
            None => i += 1,
        }
    }
    let first = *times.first()?;
    times.iter().all(|&t| t == first).then_some(first)
}

fn part_of_day(prev: Option<&str>, word: &str) -> Option<Part> {
    // "Dienstagabend": the weekday is the date's business.
    let (rest, after_weekday) = weekday(word).map_or((word, false), |(_, rest)| (rest, true));
    match rest {
        _ if prev == Some("guten") => None,
        "morgens" | "frueh" | "vormittag" | "vormittags" => Some(Part::Morning),
        // Plain "morgen" is tomorrow; "am Morgen", "heute Morgen", "Dienstag Morgen" are not.
        "morgen" if after_weekday || prev.is_some_and(|p| matches!(p, "am" | "heute") || weekday(p).is_some()) => Some(Part::Morning),
        "mittag" | "mittags" => Some(Part::Noon),
        "nachmittag" | "nachmittags" | "abend" | "abends" => Some(Part::Afternoon),
        "nacht" | "nachts" => Some(Part::Night),
        _ => None,
    }
}

fn clock_at(tokens: &[Token], i: usize) -> Option<(Clock, usize)> {
    let word = |k: usize| tokens.get(k).and_then(Token::word);
    let hour_at = |k: usize| tokens.get(k..).and_then(number_at);
    let quarter = |k: usize, clock: fn(u32) -> Option<Clock>| hour_at(k).and_then(|(h, used)| Some((clock(h)?, k - i + used)));
    match (word(i), word(i + 1)) {
        (Some("halb"), _) => return quarter(i + 1, |h| Clock::before(h, 30)),
        (Some("viertel"), Some("nach")) => return quarter(i + 2, |h| Clock::at(h, 15)),
        (Some("viertel"), Some("vor")) => return quarter(i + 2, |h| Clock::before(h, 15)),
        // Regional: "viertel elf" is 10:15, "drei viertel elf" 10:45.
        (Some("viertel"), _) => return quarter(i + 1, |h| Clock::before(h, 45)),
        (Some("dreiviertel"), _) => return quarter(i + 1, |h| Clock::before(h, 15)),
        (Some("drei"), Some("viertel")) => return quarter(i + 2, |h| Clock::before(h, 15)),
        _ => {}
    }
    let (n, used) = number_at(&tokens[i..]).or_else(|| (word(i) == Some("ein") && word(i + 1) == Some("uhr")).then_some((1, 1)))?;
    let j = i + used;
    // "zehn nach neun", "zehn Minuten vor elf", "fünf vor halb zehn"
    let k = if word(j) == Some("minuten") { j + 1 } else { j };
    if let Some(direction @ ("nach" | "vor")) = word(k)
        && (1..30).contains(&n)
    {
        let half = word(k + 1) == Some("halb");
        let h = k + 1 + usize::from(half);
        let (hour, hour_used) = hour_at(h)?;
        let clock = match (direction, half) {
            ("nach", false) => Clock::at(hour, n),
            ("nach", true) => Clock::before(hour, 30 - n),
            (_, false) => Clock::before(hour, n),
            (_, true) => Clock::before(hour, 30 + n),
        }?;
        return Some((clock, h + hour_used - i));
    }
    // "neun Uhr", "neun Uhr fünfzehn", "14 Uhr 30"
    if word(j) == Some("uhr") {
        return match tokens.get(j + 1..).and_then(number_at).filter(|&(m, _)| m < 60) {
            Some((minute, minute_used)) => Some((Clock::at(n, minute)?, j + 1 + minute_used - i)),
            None => Some((Clock::at(n, 0)?, j + 1 - i)),
        };
    }
    let prev = i.checked_sub(1).and_then(|p| tokens[p].word());
    let in_range = prev == Some("von") && tokens.iter().any(|t| t.word() == Some("bis"));
    let announced = in_range || prev.is_some_and(|p| HOUR_ANNOUNCERS.contains(&p));
    // "9:15", "14.30 Uhr", "um 9.30" (a dot alone could be a date: "3.12.")
    if let [Token::Num(_), Token::Sep(sep @ (':' | '.')), Token::Num(m), ..] = &tokens[i..]
        && m.len() == 2
    {
        let with_uhr = word(i + 3) == Some("uhr");
        if *sep == ':' || with_uhr || announced {
            return Some((Clock::at(n, m.parse().ok()?)?, 3 + usize::from(with_uhr)));
        }
        return None;
    }
    // "um neun", or "Neun." as the whole answer
    let content = tokens.iter().enumerate().filter(|&(k, t)| match t {
        Token::Word(w) => !is_filler(w) && part_of_day(k.checked_sub(1).and_then(|p| tokens[p].word()), w).is_none(),
        Token::Num(_) => true,
        Token::Sep(_) => false,
    });
    (announced || content.count() == used).then(|| Clock::at(n, 0).map(|c| (c, used))).flatten()
}

fn resolve(clock: Clock, part: Option<Part>) -> Option<NaiveTime> {
    let h = clock.hour;
    let hour = match part {
        None if clock.twelve && !(7..=12).contains(&h) => h + 12,
        None => h,
        Some(Part::Morning) => (h < 12).then_some(h)?,
        Some(Part::Afternoon) if h < 12 => h + 12,
        Some(Part::Afternoon) => h,
        Some(Part::Noon) => match h {
            0..=2 => h + 12,
            11..=14 => h,
            _ => return None,
        },
        Some(Part::Night) => match h {
            9..=11 => h + 12,
            12 => 0,
            0..=5 | 21..=23 => h,
            _ => return None,
        },
    };
    NaiveTime::from_hms_opt(hour, clock.minute, 0)
}

#[cfg(test)]
mod tests {
    use super::super::words::tokens;
    use super::*;

    fn at(h: u32, m: u32) -> Option<NaiveTime> {
        NaiveTime::from_hms_opt(h, m, 0)
    }

    #[test]
    fn times_of_day() {
        for (text, expected) in [
            ("halb neun", at(8, 30)),
            ("Um halb 9, bitte.", at(8, 30)),
            ("Viertel nach zehn", at(10, 15)),
            ("viertel vor elf", at(10, 45)),
            ("drei viertel elf", at(10, 45)),
            ("dreiviertel elf", at(10, 45)),
            ("viertel elf", at(10, 15)),
            ("14 Uhr 30", at(14, 30)),
            ("vierzehn Uhr dreißig", at(14, 30)),
            ("um neun", at(9, 0)),
            ("9:15", at(9, 15)),
            ("9:15 Uhr", at(9, 15)),
            ("14.30 Uhr", at(14, 30)),
            ("um 14.30", at(14, 30)),
            ("neun Uhr", at(9, 0)),
            ("neun Uhr fünf", at(9, 5)),
            ("Neun.", at(9, 0)),
            ("um 9.", at(9, 0)),
            ("ab neun", at(9, 0)),
            ("acht Uhr morgens", at(8, 0)),
            ("morgens um acht", at(8, 0)),
            ("drei Uhr nachmittags", at(15, 0)),
            ("am Nachmittag um drei", at(15, 0)),
            ("heute Abend um sieben", at(19, 0)),
            ("Dienstagnachmittag um drei", at(15, 0)),
            ("elf Uhr nachts", at(23, 0)),
            ("zwölf Uhr mittags", at(12, 0)),
            ("um eins mittags", at(13, 0)),
            ("halb sieben morgens", at(6, 30)),
            // The daytime rule for the twelve-hour dial.
            ("um drei", at(15, 0)),
            ("um sieben", at(7, 0)),
            ("halb sieben", at(18, 30)),
            ("halb eins", at(12, 30)),
            ("zwölf Uhr", at(12, 0)),
            ("um ein Uhr", at(13, 0)),
            ("um 0 Uhr", at(0, 0)),
            ("viertel nach sechs", at(18, 15)),
            ("bis 10 Uhr", at(10, 0)),
            ("um neun Uhr morgen früh", at(9, 0)),
            ("zehn nach neun", at(9, 10)),
            ("zehn Minuten nach neun", at(9, 10)),
            ("zwanzig vor elf", at(10, 40)),
            ("fünf vor halb zehn", at(9, 25)),
            ("fünf nach halb neun", at(8, 35)),
            ("morgen um neun", at(9, 0)),
            ("Am Dienstag um 14 Uhr", at(14, 0)),
            ("Guten Morgen, um drei bitte", at(15, 0)),
            // Approximate, ranges, contradictions, nonsense: no guess.
            ("kurz nach neun", None),
            ("gegen neun", None),
            ("ungefähr um drei", None),
            ("zwischen neun und zehn", None),
            ("von neun bis zehn", None),
            ("Sonst ist von drei.", None),
            ("um neun oder zehn", None),
            ("um neun, nein, halb zehn", None),
            ("zwölf Uhr morgens", None),
            ("acht Uhr morgens, nachmittags", None),
            ("um 25 Uhr", None),
            ("9:75", None),
            ("halb", None),
            ("morgens", None),
            ("am Dienstag um 9 und zurück um 12", None),
            ("nach neun", None),
            ("zwei Personen", None),
            ("am 3.12.", None),
            ("", None),
        ] {
            assert_eq!(time(&tokens(text)), expected, "{text:?}");
        }
    }
}
