//! A transcript as the parsers see it: lower case, umlauts and ß folded (whisper writes
//! "Rückruf", "Ruckruf" or "Rueckruf"), digits and punctuation kept apart from words; and
//! the word comparison that tolerates inflection and small mishearings.

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Token {
    Word(String),
    /// A run of ASCII digits as written ("44139", "0231"); leading zeros matter.
    Num(String),
    /// Punctuation between words or digits ('.', ',', ':', '-', ...).
    Sep(char),
}

impl Token {
    pub(super) fn word(&self) -> Option<&str> {
        match self {
            Token::Word(w) => Some(w),
            _ => None,
        }
    }
}

/// Words that carry no answer: hesitation and politeness.
const FILLERS: [&str; 22] = [
    "aeh", "aehm", "oeh", "oehm", "eh", "ehm", "em", "hm", "hmm", "also", "bitte", "danke", "na", "nun", "ich", "moechte", "will",
    "haette", "gern", "gerne", "nehme", "waehle",
];

/// German inflection endings: "Angebot" / "Angebote" / "Angeboten", "Fahrt" / "Fahrten".
const ENDINGS: [&str; 8] = ["e", "en", "n", "s", "es", "er", "ern", "em"];

pub(super) fn is_filler(word: &str) -> bool {
    FILLERS.contains(&word)
}

/// Lower case with ä, ö, ü, ß spelled out, so that every spelling compares equal.
pub(super) fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            'ä' => out.push_str("ae"),
            'ö' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            _ => out.push(c),
        }
    }
    out
}

pub(super) fn tokens(text: &str) -> Vec<Token> {
    let chars: Vec<char> = fold(text).chars().collect();
    let is_dash = |c: char| matches!(c, '-' | '‐' | '–' | '—');
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_alphabetic() {
            let mut word = String::new();
            // A hyphen inside a word joins its parts: "Doppel-Null", "drei-und-zwanzig".
            while let Some(&c) = chars.get(i) {
                if c.is_alphabetic() {
                    word.push(c);
                } else if !(is_dash(c) && chars.get(i + 1).is_some_and(|n| n.is_alphabetic())) {
                    break;
                }
                i += 1;
            }
            out.push(Token::Word(word));
        } else if c.is_ascii_digit() {
            let start = i;
            while chars.get(i).is_some_and(char::is_ascii_digit) {
                i += 1;
            }
            out.push(Token::Num(chars[start..i].iter().collect()));
        } else {
            if !c.is_whitespace() {
                out.push(Token::Sep(if is_dash(c) { '-' } else { c }));
            }
            i += 1;
        }
    }
    out
}

/// Whether a spoken word is the expected word (both folded): the same, an inflected form
/// of it, a compound ending in it ("Arztfahrt" for "fahrt"), or for longer words a close
/// mishearing (one edit, two from eight letters on).
pub(super) fn same_word(spoken: &str, expected: &str) -> bool {
    let compound = || {
        expected.len() >= 4
            && spoken.len() >= expected.len() + 3
            && (spoken.ends_with(expected) || ENDINGS.iter().any(|e| spoken.strip_suffix(e).is_some_and(|s| s.ends_with(expected))))
    };
    let close = || {
        let len = expected.chars().count().min(spoken.chars().count());
        len >= 5 && edit_distance(spoken, expected) <= if len >= 8 { 2 } else { 1 }
    };
    same_or_inflected(spoken, expected) || compound() || close()
}

/// Whether two words are the same word, inflected or not ("angebot" / "angeboten").
pub(super) fn same_or_inflected(a: &str, b: &str) -> bool {
    let inflected = |long: &str, short: &str| short.len() >= 4 && long.strip_prefix(short).is_some_and(|end| ENDINGS.contains(&end));
    a == b || inflected(a, b) || inflected(b, a)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Token {
        Token::Word(s.into())
    }

    #[test]
    fn transcripts_become_folded_tokens() {
        use Token::{Num, Sep};
        assert_eq!(tokens("Ja, bitte."), [w("ja"), Sep(','), w("bitte"), Sep('.')]);
        assert_eq!(tokens("Übermorgen"), [w("uebermorgen")]);
        assert_eq!(tokens("Straße"), [w("strasse")]);
        assert_eq!(tokens("0231-555 12"), [Num("0231".into()), Sep('-'), Num("555".into()), Num("12".into())]);
        assert_eq!(tokens("Doppel-Null"), [w("doppelnull")]);
        assert_eq!(tokens("drei – vier"), [w("drei"), Sep('-'), w("vier")]);
        assert_eq!(tokens("2mal 9:15"), [Num("2".into()), w("mal"), Num("9".into()), Sep(':'), Num("15".into())]);
        assert_eq!(tokens("  "), []);
    }

    #[test]
    fn words_match_through_inflection_compounds_and_mishearing() {
        for (spoken, expected) in [
            ("angebot", "angebote"),
            ("angeboten", "angebote"),
            ("fahrten", "fahrt"),
            ("rueckruf", "rueckruf"),
            ("ruckruf", "rueckruf"),
            ("arztfahrt", "fahrt"),
            ("hausarzt", "arzt"),
            ("fahrdinst", "fahrdienst"),
            ("veranstaltung", "veranstaltungen"),
            ("beratungen", "beratung"),
        ] {
            assert!(same_word(spoken, expected), "{spoken} ~ {expected}");
        }
        for (spoken, expected) in
            [("ja", "jan"), ("fahrt", "farbe"), ("arzt", "art"), ("mehr", "sehr"), ("wohnung", "wohnen"), ("zurueck", "zurueckrufen")]
        {
            assert!(!same_word(spoken, expected), "{spoken} !~ {expected}");
        }
    }

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("fahrt", "fahrt"), 0);
    }
}
