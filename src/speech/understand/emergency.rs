//! Words that may mean an emergency ("Notfall", "Schmerzen", "gestürzt", "keine Luft"):
//! heard at any step, they make the dialog tell the caller to dial 112. A false alarm
//! costs one sentence and a key to go on; a missed one may cost far more, so the list is
//! generous, and only an explicit "kein Notfall" / "keine Schmerzen" takes a word back.

use super::words::Token;

/// Whole words (and compounds ending in them: "Brustschmerzen", "Kreislaufnotfall").
const WORDS: [&str; 21] = [
    "notfall",
    "notfaelle",
    "notarzt",
    "notruf",
    "rettungswagen",
    "krankenwagen",
    "rettungsdienst",
    "herzinfarkt",
    "schlaganfall",
    "atemnot",
    "bewusstlos",
    "ohnmaechtig",
    "gestuerzt",
    "hingefallen",
    "umgefallen",
    "hingestuerzt",
    "schmerzen",
    "schmerz",
    "blutet",
    "blute",
    "blutung",
];

/// Words that take the next one back: "kein Notfall", "keine Schmerzen", "nicht gestürzt".
const NEGATIONS: [&str; 6] = ["kein", "keine", "keinen", "keiner", "nicht", "nie"];

/// Two-word phrases, each an emergency by itself ("ich kriege keine Luft").
const PHRASES: [(&str, &str); 4] = [("keine", "luft"), ("kaum", "luft"), ("nicht", "aufstehen"), ("nicht", "hoch")];

/// Whether `tokens` mention a possible emergency.
pub(super) fn mentioned(tokens: &[Token]) -> bool {
    let words: Vec<&str> = tokens.iter().filter_map(Token::word).collect();
    words.iter().enumerate().any(|(i, &word)| {
        let next = words.get(i + 1).copied();
        if next.is_some_and(|next| PHRASES.contains(&(word, next))) {
            return true;
        }
        let alarming = WORDS.iter().any(|w| word == *w || (word.len() >= w.len() + 3 && word.ends_with(w)));
        alarming && !(i > 0 && NEGATIONS.contains(&words[i - 1]))
    })
}

#[cfg(test)]
mod tests {
    use super::super::emergency;

    #[test]
    fn emergencies_are_heard_in_many_forms() {
        for text in [
            "Notfall!",
            "Es ist ein Notfall.",
            "Hilfe, ich bin gestürzt.",
            "Mein Mann ist hingefallen und kommt nicht hoch.",
            "Ich kriege keine Luft.",
            "Ich habe starke Schmerzen in der Brust.",
            "Brustschmerzen",
            "Ich glaube, ich habe einen Schlaganfall.",
            "Bitte schicken Sie einen Krankenwagen.",
            "Meine Frau ist bewusstlos.",
            "Ich kann nicht aufstehen.",
            "Es blutet stark.",
            "Ich brauche einen Notarzt",
            "NOTFALL",
        ] {
            assert!(emergency(text), "{text}");
        }
    }

    #[test]
    fn ordinary_answers_and_denials_are_no_emergency() {
        for text in [
            "Einen Rückruf bitte.",
            "Fahrdienst zum Arzt.",
            "Es ist kein Notfall, ich brauche nur eine Fahrt.",
            "Ich habe keine Schmerzen mehr.",
            "Das hat mir gut gefallen.",
            "Ja, genau.",
            "Null zwei drei eins, fünf fünf fünf.",
            "Hilfe im Alltag",
            "Zur Augenärztin am Dienstag um zehn",
            "Luft und Liebe",
        ] {
            assert!(!emergency(text), "{text}");
        }
    }
}
