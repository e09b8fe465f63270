//! Requests that apply at every step: hear it again ("wiederholen", "noch einmal", "wie
//! bitte"), one step back ("zurück"), a person ("Mitarbeiter", "Mensch", "persönlich").
//!
//! Taken only when the whole utterance is about that request: every other word must be a
//! filler or polite framing ("Können Sie das bitte noch einmal wiederholen?", "Ich möchte
//! mit einem Menschen sprechen"). So "... und dann wieder zurück nach Hause" is no "zurück",
//! and "zwei Personen" no request for a person.

use super::Understood;
use super::words::{Token, is_filler};

const REPEAT: [&str; 4] = ["wiederholen", "wiederholung", "nochmal", "nochmals"];
const BACK: [&str; 2] = ["zurueck", "zurueckgehen"];
const PERSON: [&str; 8] =
    ["mitarbeiter", "mitarbeiterin", "mitarbeiterinnen", "mitarbeitern", "mensch", "menschen", "person", "persoenlich"];
const FRAMING: [&str; 42] = [
    "koennen",
    "koennten",
    "kann",
    "sie",
    "das",
    "es",
    "mal",
    "noch",
    "einmal",
    "doch",
    "mit",
    "einem",
    "einer",
    "eine",
    "einen",
    "echten",
    "richtigen",
    "sprechen",
    "reden",
    "verbinden",
    "verbunden",
    "werden",
    "mich",
    "mir",
    "lieber",
    "jemandem",
    "wieder",
    "gehen",
    "schritt",
    "zum",
    "zur",
    "ins",
    "hauptmenue",
    "menue",
    "anfang",
    "letzte",
    "frage",
    "sagen",
    "den",
    "die",
    "der",
    "dem",
];

pub(super) fn intent(tokens: &[Token]) -> Option<Understood> {
    let words: Vec<&str> = tokens.iter().filter_map(Token::word).collect();
    let mut found = None;
    let mut i = 0;
    while i < words.len() {
        let (said, take) = match (words[i], words.get(i + 1).copied()) {
            ("noch", Some("einmal" | "mal")) | ("wie", Some("bitte")) => (Some(Understood::Repeat), 2),
            (w, _) if REPEAT.contains(&w) => (Some(Understood::Repeat), 1),
            (w, _) if BACK.contains(&w) => (Some(Understood::Back), 1),
            (w, _) if PERSON.contains(&w) => (Some(Understood::Person), 1),
            (w, _) if is_filler(w) || FRAMING.contains(&w) => (None, 1),
            _ => return None,
        };
        if let Some(said) = said
            && found.replace(said.clone()).is_some_and(|before| before != said)
        {
            return None;
        }
        i += take;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::super::words::tokens;
    use super::*;

    #[test]
    fn requests_only_when_that_is_all_that_was_said() {
        for (text, expected) in [
            ("Wiederholen", Some(Understood::Repeat)),
            ("Können Sie das bitte noch einmal wiederholen?", Some(Understood::Repeat)),
            ("Nochmal, bitte.", Some(Understood::Repeat)),
            ("noch mal", Some(Understood::Repeat)),
            ("Zurück", Some(Understood::Back)),
            ("Ich möchte zurück zum Hauptmenü", Some(Understood::Back)),
            ("Einen Schritt zurück bitte", Some(Understood::Back)),
            ("Mitarbeiter", Some(Understood::Person)),
            ("Ich möchte bitte mit einem Mitarbeiter sprechen", Some(Understood::Person)),
            ("Kann ich mit einer Mitarbeiterin sprechen?", Some(Understood::Person)),
            ("Mit einem echten Menschen bitte", Some(Understood::Person)),
            ("persönlich", Some(Understood::Person)),
            ("Ich möchte wieder zurück nach Hause", None),
            ("zwei Personen", None),
            ("Mensch, das weiß ich doch nicht", None),
            ("nochmal zurück", None),
            ("Ich will keinen Mitarbeiter", None),
        ] {
            assert_eq!(intent(&tokens(text)), expected, "{text:?}");
        }
    }
}
