//! Which option of a menu the caller chose: by its number ("die Zwei", "Nummer drei", "3",
//! "erstens") or by its words ("Fahrdienst", "einen Rückruf bitte", "Angebot"). When two
//! different options are heard, or a number the menu does not have, nothing is chosen.

use super::numbers::{digit, ordinal};
use super::words::{Token, fold, is_filler, same_or_inflected, same_word};
use std::collections::BTreeSet;

/// Words that announce an option's number: "die Zwei", "Nummer drei", "Taste eins".
const ANNOUNCERS: [&str; 6] = ["die", "das", "der", "nummer", "taste", "option"];

pub(super) fn choose(tokens: &[Token], choices: &[(char, &[String])]) -> Option<char> {
    let words: Vec<&str> = tokens.iter().filter_map(Token::word).collect();
    let mut heard: BTreeSet<char> =
        choices.iter().filter(|(_, option_words)| option_words.iter().any(|w| said(&words, w))).map(|&(key, _)| key).collect();
    heard.extend(keys_said(tokens));
    let mut heard = heard.into_iter();
    let key = heard.next()?;
    (heard.next().is_none() && choices.iter().any(|&(k, _)| k == key)).then_some(key)
}

/// Whether the option word (or phrase, "digitale hilfe") occurs among the spoken words.
/// Whisper sometimes splits a word it is unsure of ("an Gebote", "Rück ruf"): two spoken
/// words written together count too, but only as the very word, without mishearings.
fn said(words: &[&str], option_word: &str) -> bool {
    let folded = fold(option_word);
    let parts: Vec<&str> = folded.split_whitespace().collect();
    let split = |part: &str| words.windows(2).any(|pair| same_or_inflected(&pair.concat(), part));
    match parts[..] {
        [] => false,
        [part] => words.iter().any(|spoken| same_word(spoken, part)) || split(part),
        _ => words.windows(parts.len()).any(|w| w.iter().zip(&parts).all(|(spoken, part)| same_word(spoken, part))),
    }
}

/// Keys said as numbers. A number counts when announced ("die Zwei", "Nummer 3") or when it
/// is all that was said ("Drei.", "Zwei, bitte."): in "Fahrt am 3." the 3 is no key.
fn keys_said(tokens: &[Token]) -> Vec<char> {
    let content = tokens
        .iter()
        .filter(|t| match t {
            Token::Word(w) => !is_filler(w),
            Token::Num(_) => true,
            Token::Sep(_) => false,
        })
        .count();
    let key = |t: &Token| match t {
        Token::Word(w) => digit(w).or_else(|| ordinal(w).filter(|n| (1..=9).contains(n))),
        Token::Num(d) if d.len() == 1 => d.parse().ok(),
        _ => None,
    };
    tokens
        .iter()
        .enumerate()
        .filter(|&(i, _)| content == 1 || i.checked_sub(1).and_then(|p| tokens[p].word()).is_some_and(|p| ANNOUNCERS.contains(&p)))
        .filter_map(|(_, t)| char::from_digit(key(t)?, 10))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::words::tokens;
    use super::*;

    #[test]
    fn option_words_may_be_phrases() {
        let words = ["ich", "brauche", "digitale", "hilfe"];
        assert!(said(&words, "Digitale Hilfe"));
        assert!(!said(&words, "digitale beratung"));
        assert!(!said(&words, " "));
    }

    #[test]
    fn a_word_whisper_split_in_two_still_counts() {
        assert!(said(&["ichuche", "an", "gebote", "in", "meiner", "naehe"], "angebote"));
        assert!(said(&["einen", "rueck", "ruf"], "Rückruf"));
        // Written together, the parts must make the very word: no mishearing on top.
        assert!(!said(&["an", "gebete"], "angebote"));
        assert!(!said(&["in", "meiner", "naehe"], "angebote"));
    }

    #[test]
    fn numbers_count_as_keys_only_when_meant_as_keys() {
        for (text, keys) in [
            ("Die Zwei.", vec!['2']),
            ("Nummer 3", vec!['3']),
            ("Drei.", vec!['3']),
            ("Äh, zwei bitte", vec!['2']),
            ("die erste", vec!['1']),
            ("Fahrt am 3.", vec![]),
            ("zwei Personen", vec![]),
            ("Taste 12", vec![]),
        ] {
            assert_eq!(keys_said(&tokens(text)), keys, "{text}");
        }
    }
}
