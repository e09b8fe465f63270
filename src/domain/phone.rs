//! Parsed phone numbers and postcodes: valid once constructed, trusted everywhere after.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ParseError {
    #[error("{0:?} is not a phone number")]
    Phone(String),
    #[error("{0:?} is not a German postcode (five digits)")]
    Postcode(String),
}

/// A phone number in E.164 form (`+4923112345678`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Accepts E.164 (`+49...`), international (`0049...`) and German national (`0231...`)
    /// numbers, with spaces, dashes, slashes or parentheses. German national numbers get
    /// the country code +49.
    pub fn parse(input: &str) -> Result<PhoneNumber, ParseError> {
        let err = || ParseError::Phone(input.to_string());
        let trimmed = input.trim();
        let plus = trimmed.starts_with('+');
        let mut digits = String::with_capacity(trimmed.len());
        for (i, c) in trimmed.chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if i == 0 => {}
                ' ' | '-' | '/' | '(' | ')' | '.' => {}
                _ => return Err(err()),
            }
        }
        let e164 = if plus {
            digits
        } else if let Some(rest) = digits.strip_prefix("00") {
            rest.to_string()
        } else if let Some(rest) = digits.strip_prefix('0') {
            format!("49{rest}")
        } else {
            return Err(err());
        };
        // E.164: country code does not start with 0; at most 15 digits; shorter than 7 is
        // no reachable subscriber. German numbers have at least 7 digits after +49
        // (two-digit area code plus five-digit subscriber number).
        let too_short = e164.len() < 7 || (e164.starts_with("49") && e164.len() < 9);
        if too_short || e164.len() > 15 || e164.starts_with('0') {
            return Err(err());
        }
        Ok(PhoneNumber(format!("+{e164}")))
    }

    /// Caller ID as a provider sends it: empty, "anonymous", "restricted" etc. mean unknown.
    pub fn from_caller_id(raw: &str) -> Option<PhoneNumber> {
        PhoneNumber::parse(raw).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits a German caller would dial: national form for +49, else 00 + number.
    pub fn dialable_digits(&self) -> String {
        match self.0.strip_prefix("+49") {
            Some(national) => format!("0{national}"),
            None => format!("00{}", &self.0[1..]),
        }
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = ParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        PhoneNumber::parse(&s)
    }
}

impl From<PhoneNumber> for String {
    fn from(p: PhoneNumber) -> String {
        p.0
    }
}

/// A German postcode (Postleitzahl): five digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Postcode(String);

impl Postcode {
    pub fn parse(input: &str) -> Result<Postcode, ParseError> {
        let s = input.trim();
        if s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit()) && s != "00000" {
            Ok(Postcode(s.to_string()))
        } else {
            Err(ParseError::Postcode(input.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Postcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Postcode {
    type Error = ParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Postcode::parse(&s)
    }
}

impl From<Postcode> for String {
    fn from(p: Postcode) -> String {
        p.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_normalise_to_e164() {
        for (input, expected) in [
            ("+49 231 1234567", "+492311234567"),
            ("0231/123 45-67", "+492311234567"),
            ("0049 231 1234567", "+492311234567"),
            ("(0231) 1234567", "+492311234567"),
            ("+44 20 7946 0958", "+442079460958"),
        ] {
            assert_eq!(PhoneNumber::parse(input).unwrap().as_str(), expected, "{input}");
        }
    }

    #[test]
    fn rubbish_and_anonymous_caller_ids_are_not_numbers() {
        for input in
            ["", "anonymous", "Restricted", "123", "0231555", "+49231555", "+0123456789", "0231 12x4567", "+1234567890123456", "12+34"]
        {
            assert!(PhoneNumber::parse(input).is_err(), "{input}");
        }
        assert_eq!(PhoneNumber::from_caller_id("anonymous"), None);
    }

    #[test]
    fn dialable_digits_are_national_for_germany() {
        assert_eq!(PhoneNumber::parse("+492311234567").unwrap().dialable_digits(), "02311234567");
        assert_eq!(PhoneNumber::parse("+442079460958").unwrap().dialable_digits(), "00442079460958");
    }

    #[test]
    fn postcodes_are_five_digits() {
        assert_eq!(Postcode::parse(" 44263 ").unwrap().as_str(), "44263");
        for bad in ["4426", "442633", "4426a", "", "00000"] {
            assert!(Postcode::parse(bad).is_err(), "{bad}");
        }
    }
}
