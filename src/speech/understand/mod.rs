//! Understanding what a caller said, given what the current dialog step expects: a menu
//! option, yes or no, a number, a date or a time. Text in, meaning out; no audio, no state.
//!
//! The text is a whisper transcript: German, with capitals, punctuation, digits or number
//! words as whisper fancies, and fillers ("äh", "also", "bitte", "ich möchte"). Whatever is
//! unclear stays unclear: `None` makes the dialog ask again kindly, which is always better
//! than storing a wrong guess.
//!
//! "wiederholen", "zurück" and "Mitarbeiter" work at every step, but only when the expected
//! answer was not understood and the whole utterance is that request (see `intents.rs`):
//! "am Dienstag zurück" is a date, "zwei Personen" no request for a person.

mod dates;
mod emergency;
mod intents;
mod menu;
mod numbers;
mod phrases;
mod times;
mod words;
mod yesno;

use crate::speech::stt::Listen;
use chrono::{NaiveDate, NaiveTime};
pub use phrases::PhraseSet;
use std::fmt;

/// A menu as understanding sees it. The dialog's menus implement it, so a step's menu is
/// passed as it is.
pub trait MenuChoices: fmt::Debug {
    /// Each option's key and the words that select it.
    fn choices(&self) -> Vec<(char, &[String])>;
}

/// What the current step asks for.
#[derive(Debug, Clone, Copy)]
pub enum Expectation<'a> {
    Menu(&'a dyn MenuChoices),
    YesNo,
    /// A digit string (postcode, telephone number, PIN) with `min_digits..=max_digits` digits.
    Number {
        min_digits: usize,
        max_digits: usize,
    },
    /// A day, from today on.
    Date,
    Time,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Understood {
    Key(char),
    Yes,
    No,
    Digits(String),
    Date(NaiveDate),
    Time(NaiveTime),
    Repeat,
    Back,
    Person,
}

/// The meaning of `text` at a step that expects `expectation`; `today` anchors "morgen",
/// "nächsten Dienstag" and dates without a year.
pub fn understand(text: &str, expectation: &Expectation, today: NaiveDate) -> Option<Understood> {
    let tokens = words::tokens(text);
    let answer = match *expectation {
        Expectation::Menu(menu) => menu::choose(&tokens, &menu.choices()).map(Understood::Key),
        Expectation::YesNo => yesno::yes_or_no(&tokens).map(|yes| if yes { Understood::Yes } else { Understood::No }),
        Expectation::Number { min_digits, max_digits } => {
            numbers::digit_sequence(&tokens).filter(|d| (min_digits..=max_digits).contains(&d.len())).map(Understood::Digits)
        }
        Expectation::Date => dates::date(&tokens, today).map(Understood::Date),
        Expectation::Time => times::time(&tokens).map(Understood::Time),
    };
    answer.or_else(|| intents::intent(&tokens))
}

/// Whether `text` mentions a possible emergency ("Notfall", "gestürzt", "keine Luft"),
/// whatever the step expects.
pub fn emergency(text: &str) -> bool {
    emergency::mentioned(&words::tokens(text))
}

/// The words of `text` as understanding compares them, for word error rates: folded
/// ("Rückruf" = "rueckruf"), punctuation dropped, and every number, written or spoken, as
/// its single digits ("44139", "vier vier eins drei neun" and "vierundvierzig eins
/// neununddreißig" are all 4 4 1 3 9; "dritten" and "3." are 3).
pub fn normalized_words(text: &str) -> Vec<String> {
    let digits = |n: u32| n.to_string().chars().map(String::from).collect::<Vec<_>>();
    words::tokens(text)
        .into_iter()
        .flat_map(|token| match token {
            words::Token::Num(d) => d.chars().map(String::from).collect(),
            words::Token::Word(w) => numbers::cardinal(&w).or_else(|| numbers::ordinal(&w)).map(digits).unwrap_or_else(|| vec![w]),
            words::Token::Sep(_) => Vec::new(),
        })
        .collect()
}

/// What the recogniser is told at a step that expects `expectation`: its hint, and for
/// dates and times the closed set of phrases to fall back on.
pub fn listen(expectation: &Expectation, today: NaiveDate) -> Listen {
    let phrases = match expectation {
        Expectation::Date => Some(PhraseSet::Dates),
        Expectation::Time => Some(PhraseSet::Times),
        _ => None,
    };
    Listen { hint: hint(expectation), phrases, today }
}

/// The meaning of what was heard: the transcript's, or when that says nothing the step
/// understands, the closed-set phrase's (see [`PhraseSet`]).
pub fn understand_heard(text: &str, phrase: Option<&str>, expectation: &Expectation, today: NaiveDate) -> Option<Understood> {
    understand(text, expectation, today).or_else(|| understand(phrase?, expectation, today))
}

/// Whisper's initial prompt for this step: the words expected here, which then win over
/// sound-alikes.
pub fn hint(expectation: &Expectation) -> String {
    match expectation {
        // The option words as they are. Tried on the tuning set: adding the keys ("die
        // Eins, die Zwei") made whisper echo them and pick wrong options.
        Expectation::Menu(menu) => {
            let words: Vec<&str> = menu.choices().into_iter().flat_map(|(_, words)| words.iter().map(String::as_str)).collect();
            if words.is_empty() { String::new() } else { format!("{}.", words.join(", ")) }
        }
        // Short sentences, no list: "Ja, nein." was echoed for answers whisper was unsure of.
        Expectation::YesNo => "Ja. Nein.".into(),
        // "zwei", not the telephone "zwo": whisper knows it far better.
        Expectation::Number { .. } => "Null, eins, zwei, drei, vier, fünf, sechs, sieben, acht, neun.".into(),
        // With the months: "Dezember" was heard as "September" without them.
        Expectation::Date => "Heute, morgen, übermorgen. Montag, Dienstag, Mittwoch, Donnerstag, Freitag, Samstag, Sonntag. Januar, Februar, März, April, Mai, Juni, Juli, August, September, Oktober, November, Dezember.".into(),
        Expectation::Time => "Uhr, halb, Viertel nach, Viertel vor, morgens, vormittags, nachmittags.".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Understood::*;

    #[derive(Debug)]
    struct TestMenu(Vec<(char, Vec<String>)>);

    impl MenuChoices for TestMenu {
        fn choices(&self) -> Vec<(char, &[String])> {
            self.0.iter().map(|(key, words)| (*key, words.as_slice())).collect()
        }
    }

    fn menu(options: &[(char, &[&str])]) -> TestMenu {
        TestMenu(options.iter().map(|(key, words)| (*key, words.iter().map(|w| w.to_string()).collect())).collect())
    }

    /// As in prompts/de/main.toml.
    fn main_menu() -> TestMenu {
        menu(&[
            ('1', &["angebote", "angebot", "veranstaltungen", "kurse"]),
            ('2', &["fahrt", "fahrdienst", "fahren", "arzt"]),
            ('3', &["rückruf", "beratung", "zurückrufen", "beraterin"]),
            ('0', &["mitarbeiter", "mitarbeiterin", "mensch", "person"]),
        ])
    }

    /// Wednesday, 10 December 2025.
    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 12, 10).unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> Option<Understood> {
        Some(Date(NaiveDate::from_ymd_opt(y, m, d).unwrap()))
    }

    fn time(h: u32, m: u32) -> Option<Understood> {
        Some(Time(NaiveTime::from_hms_opt(h, m, 0).unwrap()))
    }

    fn check(expectation: Expectation, cases: &[(&str, Option<Understood>)]) {
        let wrong: Vec<String> = cases
            .iter()
            .filter_map(|(text, expected)| {
                let got = understand(text, &expectation, today());
                (&got != expected).then(|| format!("{text:?}: {got:?}, expected {expected:?}"))
            })
            .collect();
        assert!(wrong.is_empty(), "at {expectation:?}:\n{}", wrong.join("\n"));
    }

    #[test]
    fn menu_options_by_number_or_by_word() {
        let main = main_menu();
        check(
            Expectation::Menu(&main),
            &[
                ("eins", Some(Key('1'))),
                ("Die Zwei.", Some(Key('2'))),
                ("Nummer drei", Some(Key('3'))),
                ("3", Some(Key('3'))),
                ("Äh, die Null bitte", Some(Key('0'))),
                ("Taste 1", Some(Key('1'))),
                ("Zwei, bitte.", Some(Key('2'))),
                ("Ich nehme die erste", Some(Key('1'))),
                ("Fahrdienst", Some(Key('2'))),
                ("Ich brauche eine Fahrt zum Arzt.", Some(Key('2'))),
                ("Eine Arztfahrt bitte", Some(Key('2'))),
                ("Die Zwei, Fahrdienst.", Some(Key('2'))),
                ("Rückruf", Some(Key('3'))),
                ("Ich hätte gern einen Rückruf, bitte.", Some(Key('3'))),
                ("Ruckruf", Some(Key('3'))),
                ("Rueckruf bitte", Some(Key('3'))),
                ("Angebote", Some(Key('1'))),
                ("Welche Angebote gibt es?", Some(Key('1'))),
                ("Ein Angebot in meiner Nähe", Some(Key('1'))),
                ("Veranstaltung", Some(Key('1'))),
                ("Beratung", Some(Key('3'))),
                ("Mitarbeiter", Some(Key('0'))),
                ("Ich möchte mit einem Menschen sprechen", Some(Key('0'))),
                ("Ich möchte zurückgerufen werden", Some(Key('3'))),
                ("Ich habe erfahren, dass es Kurse gibt", Some(Key('1'))),
                ("Ich bin 84 Jahre alt und brauche eine Fahrt", Some(Key('2'))),
                ("Fahrdinst", Some(Key('2'))),
                ("Angebotte", Some(Key('1'))),
                // Two options, an unknown key, or nothing known: no guess.
                ("Fahrt oder Rückruf", None),
                ("eins oder zwei", None),
                ("die Eins, Fahrdienst", None),
                ("die Neun", None),
                ("Guten Morgen", None),
                ("Fahrt für zwei Personen", None),
                ("", None),
                ("Ich weiß es nicht", None),
                // Global requests when no option is meant.
                ("zurück", Some(Back)),
                ("Noch einmal bitte", Some(Repeat)),
            ],
        );
    }

    #[test]
    fn numbers_as_digit_strings_within_bounds() {
        let digits = |d: &str| Some(Digits(d.into()));
        check(
            Expectation::Number { min_digits: 5, max_digits: 5 },
            &[
                ("44139", digits("44139")),
                ("44139.", digits("44139")),
                ("Vier vier eins drei neun.", digits("44139")),
                ("vierundvierzig eins neununddreißig", digits("44139")),
                ("Meine Postleitzahl ist 44 139.", digits("44139")),
                ("4413", None),
                ("441399", None),
                ("Dortmund", None),
                ("nochmal", Some(Repeat)),
            ],
        );
        check(
            Expectation::Number { min_digits: 4, max_digits: 16 },
            &[
                ("null eins sieben eins", digits("0171")),
                ("0 2 3 1", digits("0231")),
                ("Null, zwo, drei, eins, fünf fünf fünf, zwölf, vierunddreißig.", digits("02315551234")),
                ("0231 - 55 51 23 4", digits("02315551234")),
                ("0231/555-1234", digits("02315551234")),
                ("null zwei drei eins, doppel-fünf, fünf eins", digits("02315551")),
                ("null zwei drei eins, zweimal die fünf", digits("023155")),
                ("null eins sieben eins, dreimal die Null, zwo", digits("01710002")),
                ("Achtzehnhundert", digits("1800")),
                ("hundertdreiundzwanzig", None),
                ("Meine Nummer weiß ich nicht", None),
                ("Mitarbeiter", Some(Person)),
            ],
        );
        check(
            Expectation::Number { min_digits: 1, max_digits: 4 },
            &[("zweiundvierzig", digits("42")), ("zwo", digits("2")), ("hundertdreiundzwanzig", digits("123")), ("Keine Ahnung", None)],
        );
    }

    #[test]
    fn each_expectation_uses_its_parser() {
        check(Expectation::YesNo, &[("Ja, gerne.", Some(Yes)), ("Das ist nicht richtig.", Some(No)), ("Vielleicht", None)]);
        check(Expectation::Date, &[("übermorgen", date(2025, 12, 12)), ("am dritten Dezember", date(2026, 12, 3)), ("um neun", None)]);
        check(Expectation::Time, &[("halb neun", time(8, 30)), ("um drei", time(15, 0)), ("kurz nach neun", None)]);
    }

    #[test]
    fn global_requests_when_no_answer_was_understood() {
        let main = main_menu();
        for expectation in [
            Expectation::Menu(&main),
            Expectation::YesNo,
            Expectation::Number { min_digits: 5, max_digits: 5 },
            Expectation::Date,
            Expectation::Time,
        ] {
            check(
                expectation,
                &[
                    ("Können Sie das bitte noch einmal wiederholen?", Some(Repeat)),
                    ("Zurück", Some(Back)),
                    (
                        "Ich möchte mit einer Mitarbeiterin sprechen",
                        Some(if matches!(expectation, Expectation::Menu(_)) { Key('0') } else { Person }),
                    ),
                ],
            );
        }
        // The answer wins where it was understood.
        check(Expectation::Date, &[("Ich muss am Freitag zum Arzt und dann wieder zurück", date(2025, 12, 12))]);
        check(Expectation::YesNo, &[("Nein, zurück", Some(No)), ("Wie bitte?", Some(Repeat))]);
    }

    #[test]
    fn normalized_words_compare_numbers_by_digits() {
        let n = |t: &str| normalized_words(t).join(" ");
        assert_eq!(n("Meine Postleitzahl ist 44139."), "meine postleitzahl ist 4 4 1 3 9");
        assert_eq!(n("vierundvierzig eins neununddreißig"), "4 4 1 3 9");
        assert_eq!(n("Einen Rückruf, bitte!"), "einen rueckruf bitte");
        assert_eq!(n("am dritten Dezember"), n("am 3. Dezember"));
    }

    #[test]
    fn hints_name_the_expected_words() {
        let main = main_menu();
        let h = hint(&Expectation::Menu(&main));
        assert!(h.starts_with("angebote, angebot,") && h.contains("fahrdienst") && h.ends_with("person."), "{h}");
        assert_eq!(hint(&Expectation::Menu(&menu(&[]))), "");
        assert_eq!(hint(&Expectation::YesNo), "Ja. Nein.");
        assert_eq!(
            hint(&Expectation::Number { min_digits: 5, max_digits: 5 }),
            "Null, eins, zwei, drei, vier, fünf, sechs, sieben, acht, neun."
        );
        assert!(hint(&Expectation::Date).contains("übermorgen") && hint(&Expectation::Date).contains("Dezember"));
        assert!(hint(&Expectation::Time).contains("halb"));
    }
}
