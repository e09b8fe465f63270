//! An offer in the words the dialog reads out: short parts separated by commas (each a
//! pause for the voice), dates with their weekday, times and prices in words.

use super::{Access, Offer, OfferDate};
use crate::speech::numbers_de::{cardinal, euros, on_date, time_of_day};
use chrono::NaiveDate;

/// What is read out for one date of an offer: "Gymnastik im Sitzen, im Begegnungszentrum
/// Hörde, am Dienstag, dem ersten Dezember, um zehn Uhr, kostenlos, mit dem Rollstuhl
/// erreichbar, Anmeldung nötig, noch drei Plätze frei".
pub fn summary(offer: &Offer, date: &OfferDate, today: NaiveDate) -> String {
    let mut parts = vec![
        offer.title.clone(),
        offer.venue.clone(),
        on_date(date.starts_at.date(), today),
        format!("um {}", time_of_day(date.starts_at.time())),
        price(offer.price_cents),
    ];
    parts.extend(access(offer.access));
    parts.push(seats(offer, date));
    parts.join(", ")
}

/// What is read out when the caller wants to hear more: the description, the end, the
/// provider and the address.
pub fn details(offer: &Offer, date: &OfferDate) -> String {
    let mut sentences = Vec::new();
    let description = offer.description.trim();
    if !description.is_empty() {
        let ends_a_sentence = description.ends_with(['.', '!', '?']);
        sentences.push(if ends_a_sentence { description.to_string() } else { format!("{description}.") });
    }
    sentences.push(format!("Es endet um {}.", time_of_day(date.ends_at.time())));
    sentences.push(format!("Veranstalter: {}.", offer.provider));
    sentences.push(format!("Adresse: {}.", offer.address));
    sentences.join(" ")
}

fn price(cents: u32) -> String {
    if cents == 0 { "kostenlos".into() } else { format!("Kostenbeitrag {}", euros(cents)) }
}

fn access(access: Access) -> Vec<String> {
    let mut said = Vec::new();
    // Fit for wheelchairs says "no steps" as well.
    if access.wheelchair {
        said.push("mit dem Rollstuhl erreichbar".into());
    } else if access.step_free {
        said.push("ohne Stufen erreichbar".into());
    }
    if access.hearing_loop {
        said.push("mit Höranlage für Hörgeräte".into());
    }
    said
}

fn seats(offer: &Offer, date: &OfferDate) -> String {
    let free = match date.free_seats {
        None => return "ohne Anmeldung".into(),
        Some(0) => return "leider ausgebucht".into(),
        Some(1) => "noch ein Platz frei".to_string(),
        Some(n) => format!("noch {} Plätze frei", cardinal(n)),
    };
    if offer.booking_required { format!("Anmeldung nötig, {free}") } else { free }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Postcode;
    use crate::offers::Category;
    use crate::rides::{Point, parse_local};

    fn gymnastics() -> Offer {
        Offer {
            id: "sitzgymnastik-hoerde".into(),
            office_id: "do-hoerde".into(),
            category: Category::Bewegung,
            title: "Gymnastik im Sitzen".into(),
            provider: "Nachbarschaftsverein Hörde".into(),
            description: "Sanfte Übungen auf dem Stuhl, für alle geeignet".into(),
            venue: "im Begegnungszentrum Hörde".into(),
            address: "Wiggerstraße 4".into(),
            postcode: Postcode::parse("44263").unwrap(),
            point: Point { lat: 51.487, lon: 7.506 },
            price_cents: 0,
            access: Access { wheelchair: true, hearing_loop: false, step_free: true },
            capacity: None,
            booking_required: false,
        }
    }

    fn date(starts: &str, ends: &str, free_seats: Option<u32>) -> OfferDate {
        OfferDate { id: "d".into(), starts_at: parse_local(starts).unwrap(), ends_at: parse_local(ends).unwrap(), free_seats }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
    }

    #[test]
    fn an_open_offer_as_read_out() {
        let d = date("2026-12-01T10:00", "2026-12-01T11:00", None);
        assert_eq!(
            summary(&gymnastics(), &d, today()),
            "Gymnastik im Sitzen, im Begegnungszentrum Hörde, morgen, am Dienstag, dem ersten Dezember, um zehn Uhr, kostenlos, \
             mit dem Rollstuhl erreichbar, ohne Anmeldung"
        );
    }

    #[test]
    fn price_access_and_seats_in_words() {
        let mut o = gymnastics();
        o.price_cents = 250;
        o.access = Access { wheelchair: false, hearing_loop: true, step_free: true };
        o.capacity = Some(12);
        o.booking_required = true;
        let d = date("2026-12-08T14:30", "2026-12-08T16:00", Some(3));
        assert_eq!(
            summary(&o, &d, today()),
            "Gymnastik im Sitzen, im Begegnungszentrum Hörde, am Dienstag, dem achten Dezember, um vierzehn Uhr dreißig, \
             Kostenbeitrag zwei Euro fünfzig, ohne Stufen erreichbar, mit Höranlage für Hörgeräte, Anmeldung nötig, noch drei Plätze frei"
        );
        assert!(summary(&o, &date("2026-12-08T14:30", "2026-12-08T16:00", Some(1)), today()).ends_with("nötig, noch ein Platz frei"));
        assert!(summary(&o, &date("2026-12-08T14:30", "2026-12-08T16:00", Some(0)), today()).ends_with("Hörgeräte, leider ausgebucht"));
        o.booking_required = false;
        o.access = Access::default();
        assert!(summary(&o, &d, today()).ends_with("fünfzig, noch drei Plätze frei"));
    }

    #[test]
    fn details_for_callers_who_want_more() {
        let d = date("2026-12-01T10:00", "2026-12-01T11:15", None);
        assert_eq!(
            details(&gymnastics(), &d),
            "Sanfte Übungen auf dem Stuhl, für alle geeignet. Es endet um elf Uhr fünfzehn. Veranstalter: Nachbarschaftsverein Hörde. \
             Adresse: Wiggerstraße 4."
        );
        let mut o = gymnastics();
        o.description = String::new();
        assert!(details(&o, &d).starts_with("Es endet"));
    }
}
