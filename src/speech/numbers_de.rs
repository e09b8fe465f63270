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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_are_read_in_groups() {
        assert_eq!(digits_in_groups("02315551234"), "null zwo drei, eins fünf fünf, fünf eins zwo, drei vier");
        assert_eq!(digits_in_groups("0231555123"), "null zwo drei, eins fünf fünf, fünf eins zwo drei");
        assert_eq!(digits_in_groups("1234"), "eins zwo drei vier");
        assert_eq!(digits_in_groups("+49 (7)"), "vier neun sieben");
        assert_eq!(digits_in_groups(""), "");
    }
}
