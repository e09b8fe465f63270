//! The ride booking steps of the dialog: destination, day, time, return trip, wheelchair,
//! companion, then a summary the caller confirms or corrects one field of.

use super::{Action, Dialog, Say, Step};
use crate::domain::tickets::{NewTicket, TicketKind};
use crate::rides::phone::{PlaceChoice, RideOrder};
use crate::speech::numbers_de::{cardinal, on_date, time_of_day};
use crate::speech::understand::MenuChoices;
use chrono::{Datelike, NaiveDate, NaiveTime};

/// Key for "another destination" in the place list.
pub(super) const OTHER_PLACE_KEY: char = '9';

/// What the ride service offers this caller, looked up when the call starts.
#[derive(Debug, Clone, PartialEq)]
pub struct RideOffer {
    pub places: Vec<PlaceChoice>,
    pub first_appointment: NaiveTime,
    pub last_appointment: NaiveTime,
    pub min_lead_days: u32,
    pub horizon_days: u32,
    /// The part of town the service drives in (its office's district), when the person's
    /// home is outside it: then the office finds a way by phone.
    pub outside_area: Option<String>,
}

/// The ride as collected so far; `None` fields are still to be asked.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct RideDraft {
    place: Option<usize>,
    date: Option<NaiveDate>,
    time: Option<NaiveTime>,
    return_trip: Option<bool>,
    wheelchair: Option<bool>,
    companion: Option<bool>,
    rollator: bool,
    /// Known from the person's record, so not asked.
    wheelchair_on_file: bool,
    /// What a ride planned by callback still needs, asked for in the caller's own words.
    pub(super) note: Option<RideNote>,
}

/// Part of a ride the caller says in their own words, recorded (and transcribed) for the
/// office to check before it plans the ride.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum RideNote {
    /// No home address on file: where to pick the caller up.
    Pickup,
    /// A place that is not on the list.
    Destination,
}

impl RideNote {
    /// Prompts: the question before the tone, then the thanks, or the words for nothing said.
    pub(super) fn prompts(self) -> (&'static str, &'static str, &'static str) {
        match self {
            RideNote::Pickup => ("ride_pickup_record", "ride_pickup_received", "ride_pickup_empty"),
            RideNote::Destination => ("ride_destination_record", "ride_destination_received", "ride_destination_empty"),
        }
    }
}

/// The place list as a menu for speech: each place by the words of its name and aliases.
#[derive(Debug, Clone, Default)]
pub(super) struct PlaceMenu(Vec<(char, Vec<String>)>);

impl PlaceMenu {
    pub(super) fn new(places: &[PlaceChoice]) -> PlaceMenu {
        // Callers say "zum Augenarzt" for the "Augenarztpraxis": compounds count by their head too.
        const TAILS: [&str; 5] = ["praxis", "klinik", "zentrum", "apotheke", "ambulanz"];
        let words = |p: &PlaceChoice| {
            std::iter::once(&p.name)
                .chain(&p.aliases)
                .flat_map(|n| n.split(|c: char| !c.is_alphanumeric()))
                .filter(|w| w.chars().count() >= 4)
                .map(str::to_lowercase)
                .flat_map(|w| {
                    let head = TAILS.iter().find_map(|t| w.strip_suffix(t)).filter(|h| h.chars().count() >= 4).map(str::to_string);
                    std::iter::once(w.clone()).chain(head)
                })
                .collect()
        };
        let mut options: Vec<(char, Vec<String>)> = places.iter().zip('1'..='8').map(|(p, key)| (key, words(p))).collect();
        options.push((OTHER_PLACE_KEY, vec!["anderes".into(), "anderen".into(), "woanders".into()]));
        PlaceMenu(options)
    }
}

impl MenuChoices for PlaceMenu {
    fn choices(&self) -> Vec<(char, &[String])> {
        self.0.iter().map(|(k, w)| (*k, w.as_slice())).collect()
    }
}

impl Dialog {
    /// "2" in the main menu: a ride, booked on the phone when the caller's address and
    /// the office's ride service are known, otherwise arranged by a callback.
    pub(super) fn start_ride(&mut self, out: &mut Vec<Action>) {
        let street = self.ctx.person.as_ref().and_then(|p| p.street.clone());
        if let Some(area) = self.ctx.ride.as_ref().and_then(|o| o.outside_area.clone()) {
            self.path.push("ride:outside_area".into());
            out.push(Action::Say(Say::with("ride_outside_area", &[("area", area)])));
            return self.callback_instead(TicketKind::Ride, "fahrdienst", "ride_by_callback", out);
        }
        let bookable = self.ctx.ride.as_ref().is_some_and(|offer| !offer.places.is_empty());
        let (Some(street), true, Some(person)) = (street.clone(), bookable, &self.ctx.person) else {
            // Planned with the caller on the phone; where to pick them up, if the office
            // does not know, they say now.
            self.ride = RideDraft { note: street.is_none().then_some(RideNote::Pickup), ..RideDraft::default() };
            return self.callback_instead(TicketKind::Ride, "fahrdienst", "ride_by_callback", out);
        };
        self.kind = TicketKind::Ride;
        self.topic = "fahrdienst".into();
        self.ride = RideDraft {
            wheelchair: person.wheelchair.then_some(true),
            wheelchair_on_file: person.wheelchair,
            rollator: person.rollator,
            ..RideDraft::default()
        };
        out.push(Action::Say(Say::with("ride_intro", &[("street", street)])));
        self.ride_next(out);
    }

    /// Asks for the first field still missing, or for confirmation once all are there.
    pub(super) fn ride_next(&mut self, out: &mut Vec<Action>) {
        let d = &self.ride;
        let step = if d.place.is_none() {
            Step::ChoosePlace
        } else if d.date.is_none() {
            Step::EnterDate(String::new())
        } else if d.time.is_none() {
            Step::EnterTime(String::new())
        } else if d.return_trip.is_none() {
            Step::Menu("ride_return".into())
        } else if d.wheelchair.is_none() {
            Step::Menu("ride_wheelchair".into())
        } else if d.companion.is_none() {
            Step::Menu("ride_companion".into())
        } else {
            Step::Menu("ride_confirm".into())
        };
        self.go(step, out);
    }

    /// Menu targets of the ride steps ("ride:return:yes", "ride:fix:date", "ride:book").
    pub(super) fn ride_choice(&mut self, target: &str, out: &mut Vec<Action>) {
        let d = &mut self.ride;
        match target {
            "return:yes" | "return:no" => d.return_trip = Some(target.ends_with("yes")),
            "wheelchair:yes" | "wheelchair:no" => d.wheelchair = Some(target.ends_with("yes")),
            "companion:yes" | "companion:no" => d.companion = Some(target.ends_with("yes")),
            "fix:place" => d.place = None,
            "fix:date" => d.date = None,
            "fix:time" => d.time = None,
            "fix:options" => {
                d.return_trip = None;
                d.companion = None;
                if !d.wheelchair_on_file {
                    d.wheelchair = None;
                }
            }
            "book" => return self.store_ride(out),
            other => tracing::error!(target = other, "unknown ride menu target"),
        }
        self.ride_next(out);
    }

    pub(super) fn ride_place_prompt(&self, out: &mut Vec<Action>) {
        out.push(Action::Say(Say::new("ride_destination")));
        for (place, key) in self.offer().places.iter().zip('1'..='8') {
            out.push(Action::Say(Say::with("ride_choice", &[("place", place.name.clone()), ("key", key.to_string())])));
        }
        out.push(Action::Say(Say::new("ride_destination_other")));
    }

    pub(super) fn ride_place_key(&mut self, key: char, out: &mut Vec<Action>) {
        if key == OTHER_PLACE_KEY {
            self.path.push("ride:other_place".into());
            self.ride.note = Some(RideNote::Destination);
            return self.callback_instead(TicketKind::Ride, "fahrdienst", "ride_other_destination", out);
        }
        let index = key.to_digit(10).and_then(|k| (k as usize).checked_sub(1)).filter(|&i| i < self.offer().places.len());
        match index {
            Some(i) => {
                self.path.push(format!("ride:place:{}", self.offer().places[i].id));
                self.ride.place = Some(i);
                self.ride_next(out);
            }
            None => {
                out.push(Action::Say(Say::new("invalid_key")));
                self.prompt_step(out);
            }
        }
    }

    /// Four typed digits, day and month ("0312"); the year is the next one with that day.
    pub(super) fn finish_date_digits(&mut self, digits: &str, out: &mut Vec<Action>) {
        let today = self.ctx.today;
        let parsed = (digits.len() == 4).then(|| (digits[..2].parse::<u32>().ok(), digits[2..].parse::<u32>().ok())).and_then(|(d, m)| {
            let (d, m) = (d?, m?);
            NaiveDate::from_ymd_opt(today.year(), m, d)
                .map(|date| if date < today { date.with_year(today.year() + 1) } else { Some(date) })?
        });
        match parsed {
            Some(date) => self.accept_date(date, out),
            None => self.ride_reask("ride_date_invalid", &[], out),
        }
    }

    /// A date, typed or said, checked against the service's booking rules.
    pub(super) fn accept_date(&mut self, date: NaiveDate, out: &mut Vec<Action>) {
        let (lead, horizon) = (self.offer().min_lead_days, self.offer().horizon_days);
        let days_ahead = (date - self.ctx.today).num_days();
        if days_ahead < i64::from(lead) {
            let days = if lead == 1 { "einen Tag".to_string() } else { format!("{} Tage", cardinal(lead)) };
            return self.ride_reask("ride_date_too_soon", &[("days", days)], out);
        }
        if days_ahead > i64::from(horizon) {
            return self.ride_reask("ride_date_too_far", &[], out);
        }
        self.path.push("ride:date".into());
        self.ride.date = Some(date);
        self.ride_next(out);
    }

    /// Four typed digits, hours and minutes ("0930").
    pub(super) fn finish_time_digits(&mut self, digits: &str, out: &mut Vec<Action>) {
        let parsed =
            (digits.len() == 4).then(|| NaiveTime::from_hms_opt(digits[..2].parse().ok()?, digits[2..].parse().ok()?, 0)).flatten();
        match parsed {
            Some(time) => self.accept_time(time, out),
            None => self.ride_reask("ride_time_invalid", &[], out),
        }
    }

    pub(super) fn accept_time(&mut self, time: NaiveTime, out: &mut Vec<Action>) {
        let (first, last) = (self.offer().first_appointment, self.offer().last_appointment);
        if time < first || time > last {
            return self.ride_reask("ride_time_outside", &[("first", time_of_day(first)), ("last", time_of_day(last))], out);
        }
        self.path.push("ride:time".into());
        self.ride.time = Some(time);
        self.ride_next(out);
    }

    fn ride_reask(&mut self, prompt: &str, args: &[(&str, String)], out: &mut Vec<Action>) {
        out.push(Action::Say(Say::with(prompt, args)));
        self.prompt_step(out);
    }

    /// The values the ride summary reads out.
    pub(super) fn ride_summary(&self) -> Vec<(&'static str, String)> {
        let d = &self.ride;
        let place = d.place.map(|i| self.offer().places[i].name.clone()).unwrap_or_default();
        let ret = if d.return_trip == Some(true) { "ride_with_return" } else { "ride_without_return" };
        vec![
            ("place", place),
            ("date", d.date.map(|date| on_date(date, self.ctx.today)).unwrap_or_default()),
            ("time", d.time.map(time_of_day).unwrap_or_default()),
            ("return", self.prompts.text(ret).unwrap_or_default().to_string()),
        ]
    }

    fn store_ride(&mut self, out: &mut Vec<Action>) {
        let (Some(person), Some(place), Some(date), Some(time)) = (&self.ctx.person, self.ride.place, self.ride.date, self.ride.time)
        else {
            tracing::error!("ride booked with fields missing");
            return self.ride_next(out);
        };
        let order = RideOrder {
            ticket: NewTicket {
                kind: TicketKind::Ride,
                topic: "fahrdienst".into(),
                callback_number: self.ctx.caller.clone(),
                postcode: person.postcode.clone(),
                person_id: Some(person.id.clone()),
                person_office_id: person.office_id.clone(),
                call_id: None,
                window: None,
                message_audio_path: None,
                caregiver_id: self.care.acting.clone(),
                urgent: false,
            },
            person_id: person.id.clone(),
            place_id: self.offer().places[place].id.clone(),
            appointment_at: date.and_time(time),
            return_trip: self.ride.return_trip.unwrap_or(false),
            wheelchair: self.ride.wheelchair.unwrap_or(false),
            rollator: self.ride.rollator,
            companion: self.ride.companion.unwrap_or(false),
        };
        self.step = Step::Storing;
        out.push(Action::StoreRide(Box::new(order)));
    }

    /// Whether the request being stored is a booked ride (for the confirmation).
    pub(super) fn ride_booked(&self) -> bool {
        self.kind == TicketKind::Ride && self.ride.time.is_some() && self.ride.place.is_some()
    }

    fn offer(&self) -> &RideOffer {
        self.ctx.ride.as_ref().expect("ride steps run only with a ride offer")
    }
}
