//! Yes or no, the way people say it: "ja gerne", "genau", "das stimmt", "jawohl"; "nee",
//! "nö", "lieber nicht", "das ist nicht richtig". A negated yes word is a no, and wins over
//! a plain yes in the same answer ("ja, das stimmt nicht"); a plain yes together with a
//! plain no ("ja, nein"), or any hedge ("vielleicht", "ich weiß nicht", "aber"), is unclear.

use super::words::Token;

const YES: [&str; 19] = [
    "ja",
    "jaja",
    "jawohl",
    "jo",
    "jep",
    "genau",
    "richtig",
    "stimmt",
    "gerne",
    "gern",
    "korrekt",
    "klar",
    "okay",
    "ok",
    "einverstanden",
    "natuerlich",
    "selbstverstaendlich",
    "doch",
    "freilich",
];
const NO: [&str; 8] = ["nein", "nee", "ne", "noe", "falsch", "nie", "niemals", "keinesfalls"];
const NEGATORS: [&str; 6] = ["nicht", "kein", "keine", "keinen", "keinem", "keiner"];
/// Words that turn a negator into an answer: "lieber nicht", "gar nicht", "auf keinen Fall".
const LEANING: [&str; 5] = ["lieber", "besser", "eher", "gar", "fall"];
const HEDGES: [&str; 11] = [
    "vielleicht",
    "weiss",
    "ahnung",
    "unsicher",
    "eventuell",
    "moeglicherweise",
    "wahrscheinlich",
    "verstanden",
    "aber",
    "sondern",
    "oder",
];

/// `Some(true)` for yes, `Some(false)` for no, `None` when unclear.
pub(super) fn yes_or_no(tokens: &[Token]) -> Option<bool> {
    let words: Vec<&str> = tokens.iter().filter_map(Token::word).collect();
    let (mut yes, mut no, mut negator, mut leaning) = (false, false, false, false);
    let mut i = 0;
    while i < words.len() {
        match (words[i], words.get(i + 1).copied()) {
            ("warum" | "wieso", Some("nicht")) | ("kein", Some("problem")) | ("jeden", Some("fall")) => {
                yes = true;
                i += 2;
                continue;
            }
            // A tag question, not a negation: "richtig, nicht wahr?"
            ("nicht", Some("wahr")) => {
                i += 2;
                continue;
            }
            (w, _) if HEDGES.contains(&w) => return None,
            (w, _) => {
                yes |= YES.contains(&w);
                no |= NO.contains(&w);
                negator |= NEGATORS.contains(&w);
                leaning |= LEANING.contains(&w);
            }
        }
        i += 1;
    }
    // "nicht falsch" is a yes in disguise; too rare to be worth a guess.
    if negator && words.contains(&"falsch") {
        return None;
    }
    let negated = negator && (yes || leaning);
    match (yes && !negator, no || negated) {
        (true, false) => Some(true),
        (false, true) => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::words::tokens;
    use super::*;

    #[test]
    fn yes_no_and_unclear() {
        for (text, expected) in [
            ("Ja", Some(true)),
            ("Ja.", Some(true)),
            ("Jawohl!", Some(true)),
            ("Genau.", Some(true)),
            ("Richtig", Some(true)),
            ("Stimmt.", Some(true)),
            ("Gerne", Some(true)),
            ("Ja, bitte.", Some(true)),
            ("Das stimmt.", Some(true)),
            ("Ja, das ist richtig.", Some(true)),
            ("Ja, gerne.", Some(true)),
            ("Ja, warum nicht.", Some(true)),
            ("Ja, kein Problem.", Some(true)),
            ("Auf jeden Fall", Some(true)),
            ("Richtig, nicht wahr?", Some(true)),
            ("Na klar", Some(true)),
            ("Okay", Some(true)),
            ("Doch", Some(true)),
            ("Nein", Some(false)),
            ("Nein.", Some(false)),
            ("Nee", Some(false)),
            ("Ne.", Some(false)),
            ("Nö", Some(false)),
            ("Lieber nicht.", Some(false)),
            ("Falsch", Some(false)),
            ("Das ist falsch.", Some(false)),
            ("Stimmt nicht.", Some(false)),
            ("Das ist nicht richtig.", Some(false)),
            ("Nein, das ist nicht richtig.", Some(false)),
            ("Ja, das stimmt nicht.", Some(false)),
            ("Nein danke", Some(false)),
            ("Auf keinen Fall", Some(false)),
            ("Natürlich nicht", Some(false)),
            ("Gar nicht", Some(false)),
            ("Nein, nein, nein.", Some(false)),
            ("Ja, nein", None),
            ("Nee, genau", None),
            ("Das ist richtig, ne?", None),
            ("Vielleicht", None),
            ("Ich weiß nicht", None),
            ("Ja, aber nicht am Dienstag", None),
            ("Das ist nicht falsch", None),
            ("Jein", None),
            ("Nicht.", None),
            ("Bitte?", None),
            ("Danke", None),
            ("Na", None),
            ("", None),
        ] {
            assert_eq!(yes_or_no(&tokens(text)), expected, "{text:?}");
        }
    }
}
