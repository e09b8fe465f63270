//! German numbers as callers say them and whisper writes them: digits ("44139",
//! "0 2 3 1", "0231-555"), words ("zweiundvierzig", "zwo", "achtzehnhundert"), telephone
//! habits ("Doppel-Null", "zweimal die Fünf") and ordinals ("dritte", "3.").

use super::words::{Token, is_filler};

const UNITS: [(&str, u32); 11] = [
    ("null", 0),
    ("eins", 1),
    ("zwei", 2),
    ("zwo", 2),
    ("drei", 3),
    ("vier", 4),
    ("fuenf", 5),
    ("sechs", 6),
    ("sieben", 7),
    ("acht", 8),
    ("neun", 9),
];
const TEENS: [(&str, u32); 10] = [
    ("zehn", 10),
    ("elf", 11),
    ("zwoelf", 12),
    ("dreizehn", 13),
    ("vierzehn", 14),
    ("fuenfzehn", 15),
    ("sechzehn", 16),
    ("siebzehn", 17),
    ("achtzehn", 18),
    ("neunzehn", 19),
];
const TENS: [(&str, u32); 8] = [
    ("zwanzig", 20),
    ("dreissig", 30),
    ("vierzig", 40),
    ("fuenfzig", 50),
    ("sechzig", 60),
    ("siebzig", 70),
    ("achtzig", 80),
    ("neunzig", 90),
];

/// Words allowed between the parts of one spoken digit sequence.
const JOINERS: [&str; 4] = ["und", "dann", "die", "der"];

fn lookup(table: &[(&str, u32)], word: &str) -> Option<u32> {
    table.iter().find(|(w, _)| *w == word).map(|&(_, n)| n)
}

/// A single digit word: "null" to "neun", "zwo". Not "ein"/"eine", which are articles.
pub(super) fn digit(word: &str) -> Option<u32> {
    lookup(&UNITS, word)
}

/// A number written as one word: "zwölf", "zweiundvierzig", "hundertdrei",
/// "achtzehnhundert", "zweitausendfünfundzwanzig".
pub(super) fn cardinal(word: &str) -> Option<u32> {
    scaled(word, "tausend", 1000, below_thousand)
}

fn below_thousand(word: &str) -> Option<u32> {
    scaled(word, "hundert", 100, below_hundred)
}

/// `head` `scale` `tail`, as in "zwei|hundert|drei"; a missing head is one.
fn scaled(word: &str, scale: &str, factor: u32, lower: fn(&str) -> Option<u32>) -> Option<u32> {
    let Some((head, tail)) = word.split_once(scale) else { return lower(word) };
    let head = match head {
        "" | "ein" => 1,
        _ => lower(head).filter(|&n| n > 0)?,
    };
    let tail = tail.strip_prefix("und").unwrap_or(tail);
    let tail = if tail.is_empty() { 0 } else { lower(tail)? };
    (tail < factor).then_some(head * factor + tail)
}

fn below_hundred(word: &str) -> Option<u32> {
    lookup(&UNITS, word).or_else(|| lookup(&TEENS, word)).or_else(|| lookup(&TENS, word)).or_else(|| {
        let (unit, tens) = word.split_once("und")?;
        let unit = if unit == "ein" { 1 } else { lookup(&UNITS, unit).filter(|&u| u >= 2)? };
        Some(unit + lookup(&TENS, tens)?)
    })
}

/// An ordinal word in any inflection: "erste", "dritten", "zwanzigster", "erstens".
pub(super) fn ordinal(word: &str) -> Option<u32> {
    let stem = ["ens", "en", "er", "es", "em", "e"].iter().find_map(|end| word.strip_suffix(end))?;
    match stem {
        "erst" => Some(1),
        "dritt" => Some(3),
        "siebt" | "siebent" => Some(7),
        "acht" => Some(8),
        // From twenty on the ending is "-ste"; below it "-te".
        _ => stem
            .strip_suffix("st")
            .and_then(cardinal)
            .filter(|&n| n >= 20)
            .or_else(|| stem.strip_suffix('t').and_then(cardinal).filter(|n| (2..20).contains(n))),
    }
}

/// The number spoken in words from `tokens[0]` on, and how many tokens it took: one word
/// ("zweiundvierzig"), or a compound whisper wrote apart ("drei und zwanzig", "ein
/// hundert", "hundert drei"). Words are not joined otherwise: "acht zehn" is 8 and 10.
pub(super) fn spoken_number(tokens: &[Token]) -> Option<(u32, usize)> {
    let word = |i: usize| tokens.get(i).and_then(Token::word);
    let mut joined = word(0)?.to_string();
    let mut used = 1;
    loop {
        let (next, take) = match (word(used), word(used + 1)) {
            (Some("und"), Some(tens)) if lookup(&TENS, tens).is_some() => (format!("und{tens}"), 2),
            (Some(w @ ("hundert" | "tausend")), _) => (w.to_string(), 1),
            (Some(w), _) if joined.ends_with("hundert") || joined.ends_with("tausend") => (w.to_string(), 1),
            _ => break,
        };
        let longer = format!("{joined}{next}");
        if cardinal(&longer).is_none() {
            break;
        }
        joined = longer;
        used += take;
    }
    Some((cardinal(&joined)?, used))
}

/// A number in digits or words at `tokens[0]`, and how many tokens it took.
pub(super) fn number_at(tokens: &[Token]) -> Option<(u32, usize)> {
    match tokens.first()? {
        Token::Num(d) if d.len() <= 4 => Some((d.parse().ok()?, 1)),
        Token::Word(_) => spoken_number(tokens),
        _ => None,
    }
}

/// An ordinal at `tokens[0]`: a word ("dritten") or digits with a dot ("3.").
pub(super) fn ordinal_at(tokens: &[Token]) -> Option<(u32, usize)> {
    match tokens {
        [Token::Word(w), ..] => Some((ordinal(w)?, 1)),
        [Token::Num(d), Token::Sep('.'), ..] if d.len() <= 2 => Some((d.parse().ok()?, 2)),
        _ => None,
    }
}

/// "doppel", "zweimal", "2 mal", "drei mal": the next number is said that often.
fn repeat_at(tokens: &[Token]) -> Option<(usize, usize)> {
    if let Some(w) = tokens.first()?.word() {
        if matches!(w, "doppel" | "doppelt" | "doppelte") {
            return Some((2, 1));
        }
        if let Some(n) = w.strip_suffix("mal").and_then(cardinal) {
            return (2..=9).contains(&n).then_some((n as usize, 1));
        }
    }
    let (n, used) = number_at(tokens)?;
    (tokens.get(used).and_then(Token::word) == Some("mal") && (2..=9).contains(&n)).then_some((n as usize, used + 1))
}

/// The digits of a spoken number sequence (postcode, telephone number, PIN), as written.
/// Words before the first number are ignored ("Meine Nummer ist ..."); once digits have
/// started, only separators, fillers and joiners ("und", "dann") may come between them: a
/// second group of digits after other words makes the answer unclear (`None`), as does a
/// dangling "zweimal".
pub(super) fn digit_sequence(tokens: &[Token]) -> Option<String> {
    // "Doppelnull" is "doppel" + "null".
    let tokens: Vec<Token> = tokens
        .iter()
        .flat_map(|t| match t.word().and_then(|w| w.strip_prefix("doppel")) {
            Some(rest) if cardinal(rest).is_some() => vec![Token::Word("doppel".into()), Token::Word(rest.into())],
            _ => vec![t.clone()],
        })
        .collect();
    let mut digits = String::new();
    let mut times = 1;
    let mut ended = false;
    let mut i = 0;
    while i < tokens.len() {
        let rest = &tokens[i..];
        if let Some((n, used)) = repeat_at(rest) {
            if times != 1 {
                return None;
            }
            times = n;
            i += used;
            continue;
        }
        let (said, used) = match &rest[0] {
            Token::Num(d) => (d.clone(), 1),
            Token::Word(w) => match spoken_number(rest) {
                Some((n, used)) => (n.to_string(), used),
                None => {
                    ended |= !digits.is_empty() && !is_filler(w) && !JOINERS.contains(&w.as_str());
                    i += 1;
                    continue;
                }
            },
            Token::Sep(_) => {
                i += 1;
                continue;
            }
        };
        if ended {
            return None;
        }
        digits.push_str(&said.repeat(times));
        times = 1;
        i += used;
    }
    (times == 1 && !digits.is_empty()).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::super::words::tokens;
    use super::*;

    #[test]
    fn number_words() {
        for (word, n) in [
            ("null", 0),
            ("eins", 1),
            ("zwo", 2),
            ("elf", 11),
            ("zwoelf", 12),
            ("sechzehn", 16),
            ("siebzehn", 17),
            ("zwanzig", 20),
            ("einundzwanzig", 21),
            ("zweiundvierzig", 42),
            ("neunundneunzig", 99),
            ("dreissig", 30),
            ("hundert", 100),
            ("einhundert", 100),
            ("hundertdrei", 103),
            ("hundertunddrei", 103),
            ("hundertdreiundzwanzig", 123),
            ("zweihundertfuenfzig", 250),
            ("achtzehnhundert", 1800),
            ("neunzehnhundertneunzig", 1990),
            ("tausend", 1000),
            ("zweitausendfuenfundzwanzig", 2025),
            ("vierundvierzigtausendeinhundertneununddreissig", 44139),
        ] {
            assert_eq!(cardinal(word), Some(n), "{word}");
        }
        for word in
            ["ein", "eine", "einsundzwanzig", "nullundzwanzig", "zwanzigdrei", "hunderthundert", "vierzigzehn", "achtzig und", "", "dreiig"]
        {
            assert_eq!(cardinal(word), None, "{word}");
        }
    }

    #[test]
    fn ordinal_words() {
        for (word, n) in [
            ("erste", 1),
            ("ersten", 1),
            ("erstens", 1),
            ("zweiter", 2),
            ("dritten", 3),
            ("vierte", 4),
            ("sechste", 6),
            ("siebten", 7),
            ("achte", 8),
            ("zehnten", 10),
            ("elfte", 11),
            ("neunzehnten", 19),
            ("zwanzigsten", 20),
            ("einundzwanzigste", 21),
            ("dreissigsten", 30),
            ("einunddreissigsten", 31),
        ] {
            assert_eq!(ordinal(word), Some(n), "{word}");
        }
        for word in ["acht", "leute", "neuen", "beste", "letzte", "monate", "zwei"] {
            assert_eq!(ordinal(word), None, "{word}");
        }
    }

    #[test]
    fn digit_sequences() {
        for (text, digits) in [
            ("44139", "44139"),
            ("44139.", "44139"),
            ("Vier vier eins drei neun.", "44139"),
            ("vierundvierzig eins neununddreißig", "44139"),
            ("null eins sieben eins", "0171"),
            ("Null, eins, sieben, eins.", "0171"),
            ("0 2 3 1", "0231"),
            ("0231-555 12 34", "02315551234"),
            ("0231.555.12", "023155512"),
            ("4, 4, 1, 3, 9", "44139"),
            ("zwo", "2"),
            ("zweiundvierzig", "42"),
            ("hundertdreiundzwanzig", "123"),
            ("hundert dreiundzwanzig", "123"),
            ("drei und zwanzig", "23"),
            ("drei-und-zwanzig", "23"),
            ("ein hundert", "100"),
            ("achtzehnhundert", "1800"),
            ("acht zehn", "810"),
            ("Doppel-Null", "00"),
            ("doppel null vier", "004"),
            ("Doppelnull vier", "004"),
            ("null zwei drei eins, zweimal die fünf, eins", "0231551"),
            ("dreimal die Null", "000"),
            ("2 mal 5", "55"),
            ("Meine Postleitzahl ist 44139", "44139"),
            ("Meine Nummer ist null zwei drei eins, äh, fünf fünf fünf und dann eins zwei", "023155512"),
            ("vier vier und vier", "444"),
        ] {
            assert_eq!(digit_sequence(&tokens(text)).as_deref(), Some(digits), "{text}");
        }
        for text in [
            "",
            "Das weiß ich nicht",
            "noch einmal",
            "zweimal",
            "Hauptstraße 12 in 44139",
            "null zwei, nein, drei",
            "doppel zweimal fünf",
            "eine Nummer",
        ] {
            assert_eq!(digit_sequence(&tokens(text)), None, "{text}");
        }
    }
}
