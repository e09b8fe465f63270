//! Offers near the caller: what is on in their part of town (exercise, meeting places,
//! courses, advice), when, what it costs and how accessible it is; and booking seats.
//!
//! [`OffersFile`] reads an office's CSV file and imports it (weekly series become single
//! dates, so seats are counted per date); [`search`] finds offers near a place within a
//! date range; [`book`] and [`cancel`] take and give back seats, never more than a date
//! has; [`spoken`] puts an offer into the words the dialog reads out.
//! Not for: the phone dialog and its prompts, geocoding addresses.

mod booking;
mod import;
pub mod manage;
mod schedule;
mod search;
pub mod spoken;

pub use booking::{Booker, Booking, BookingError, book, cancel, upcoming_for_person};
pub use import::{ImportError, ImportSummary, LineError, LineErrors, OffersFile};
pub use search::{OfferDate, OfferHit, Query, Whereabouts, area_names, locate, search};

use crate::domain::Postcode;
use crate::rides::Point;

/// What kind of offer it is; the dialog's category menu maps onto these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// Exercise and health: gymnastics, walking groups, dance.
    Bewegung,
    /// Concerts, readings, celebrations.
    Kultur,
    /// Courses and memory training.
    Bildung,
    /// Help with smartphones, tablets and computers.
    Digital,
    /// Meeting places: cafés, lunch tables, games afternoons.
    Treffpunkt,
    /// Advice: pensions, care, living, legal provisions.
    Beratung,
}

impl Category {
    const ALL: [Category; 6] =
        [Category::Bewegung, Category::Kultur, Category::Bildung, Category::Digital, Category::Treffpunkt, Category::Beratung];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Bewegung => "bewegung",
            Category::Kultur => "kultur",
            Category::Bildung => "bildung",
            Category::Digital => "digital",
            Category::Treffpunkt => "treffpunkt",
            Category::Beratung => "beratung",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// How an offer can be reached and followed by people with a disability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Access {
    pub wheelchair: bool,
    /// An induction loop for hearing aids.
    pub hearing_loop: bool,
    /// No steps on the way in (with a rollator, say), without being fit for wheelchairs.
    pub step_free: bool,
}

/// An offer as listed: what, who, where and on what terms; its dates are separate.
#[derive(Debug, Clone, PartialEq)]
pub struct Offer {
    /// A readable slug from the imported file.
    pub id: String,
    pub office_id: String,
    pub category: Category,
    pub title: String,
    pub provider: String,
    /// One or two short sentences for callers who want to hear more.
    pub description: String,
    /// Where, as said after the title: "im Begegnungszentrum Hörde".
    pub venue: String,
    /// Street and number.
    pub address: String,
    pub postcode: Postcode,
    pub point: Point,
    /// Per person and date; 0 is free of charge.
    pub price_cents: u32,
    pub access: Access,
    /// Seats per date; `None`: open to all, nothing to book.
    pub capacity: Option<u32>,
    /// Only with a booking (else a booking just keeps a seat).
    pub booking_required: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_round_trip() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(c));
        }
        assert_eq!(Category::parse("Bewegung"), None);
    }
}
