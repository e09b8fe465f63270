//! The offers steps of the dialog: where (home, postcode or part of town), what kind,
//! when; then the best offers read one at a time, with details and booking a seat; and,
//! for a returning caller, their next booking after the greeting, kept or cancelled.
//!
//! Searching, booking and cancelling are actions the call task carries out; their
//! results come back as events, so this stays a pure function of events.

use super::{Action, Dialog, Say, Step};
use crate::domain::PhoneNumber;
use crate::domain::tickets::TicketKind;
use crate::offers::spoken;
use crate::offers::{Booker, Booking, Category, OfferDate, OfferHit, Whereabouts};
use crate::rides::phone::UpcomingRide;
use crate::speech::numbers_de::{cardinal, on_date, time_of_day};
use crate::speech::understand::MenuChoices;
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use std::num::NonZeroU32;

/// Offers read out per search: three is what a caller can keep in mind.
pub(super) const OFFERS_PER_SEARCH: usize = 3;
/// Most seats booked in one call.
const MAX_SEATS: u32 = 4;

/// What to search for; the call task turns it into an [`crate::offers::Query`].
#[derive(Debug, Clone, PartialEq)]
pub struct OfferSearch {
    pub near: Whereabouts,
    /// Empty: every category.
    pub categories: Vec<Category>,
    /// First day (from now on, when it is today).
    pub from: NaiveDate,
    /// Day after the last.
    pub until: NaiveDate,
    pub limit: usize,
}

/// The result of an [`Action::FindOffers`].
#[derive(Debug, Clone, PartialEq)]
pub enum OfferSearchResult {
    Found(Vec<OfferHit>),
    /// The directory does not know the postcode or the name.
    UnknownPlace,
    Failed,
}

/// Seats to book on one date of an offer.
#[derive(Debug, Clone, PartialEq)]
pub struct BookingOrder {
    pub offer_date_id: String,
    pub seats: NonZeroU32,
    pub booker: Booker,
}

/// The result of an [`Action::BookOffer`].
#[derive(Debug, Clone, PartialEq)]
pub enum BookingOutcome {
    /// Booked, and the office's queue has the confirmation.
    Booked {
        office_name: String,
    },
    /// Fewer seats left than asked for (0: fully booked).
    Full {
        free: u32,
    },
    /// Called off, begun, or not bookable after all.
    Unavailable,
    Failed,
}

/// A booking to cancel, as [`crate::offers::cancel`] takes it.
#[derive(Debug, Clone, PartialEq)]
pub struct CancelOrder {
    pub booking_id: String,
    pub booker: Booker,
}

/// A ride a person cancels on the phone.
#[derive(Debug, Clone, PartialEq)]
pub struct CancelRideOrder {
    pub ride_id: String,
    pub person_id: String,
}

/// Something a returning caller has coming up: told after the greeting.
#[derive(Debug, Clone, PartialEq)]
pub enum Upcoming {
    Booking(Booking),
    Ride(UpcomingRide),
}

impl Upcoming {
    pub fn starts_at(&self) -> NaiveDateTime {
        match self {
            Upcoming::Booking(b) => b.starts_at,
            Upcoming::Ride(r) => r.appointment_at,
        }
    }
}

/// Names of places the caller may say: the offices' districts (offered as a list by
/// key) and parts of town.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OfferAreas {
    /// Offices' districts, in the order read out (keys 1 to 9).
    pub districts: Vec<String>,
    /// Parts of town (and districts), as [`crate::offers::area_names`] lists them.
    pub areas: Vec<String>,
}

/// Names as a menu for understanding: digit keys for the districts, letters for the
/// other parts of town (letters are never typed, so they only come from speech).
#[derive(Debug, Clone, Default)]
pub(super) struct AreaMenu {
    options: Vec<(char, Vec<String>)>,
    names: Vec<(char, String)>,
}

impl AreaMenu {
    fn new(areas: &OfferAreas, with_district_keys: bool) -> AreaMenu {
        let words = |name: &str| {
            let lower = name.to_lowercase();
            let spaced = lower.replace('-', " ");
            if spaced == lower { vec![lower] } else { vec![lower, spaced] }
        };
        let mut menu = AreaMenu::default();
        let mut add = |key: char, name: &str| {
            menu.options.push((key, words(name)));
            menu.names.push((key, name.to_string()));
        };
        if with_district_keys {
            for (name, key) in areas.districts.iter().zip('1'..='9') {
                add(key, name);
            }
        }
        let letters = ('a'..='z').chain('A'..='Z');
        let listed = |a: &String| with_district_keys && areas.districts.contains(a);
        for (name, key) in areas.areas.iter().filter(|a| !listed(a)).zip(letters) {
            add(key, name);
        }
        menu
    }

    fn name(&self, key: char) -> Option<&str> {
        self.names.iter().find(|(k, _)| *k == key).map(|(_, n)| n.as_str())
    }
}

impl MenuChoices for AreaMenu {
    fn choices(&self) -> Vec<(char, &[String])> {
        self.options.iter().map(|(k, w)| (*k, w.as_slice())).collect()
    }
}

/// The search as chosen so far, and what it found.
#[derive(Debug, Clone, Default)]
pub(super) struct OffersDraft {
    near: Option<Whereabouts>,
    categories: Vec<Category>,
    from: Option<NaiveDate>,
    until: Option<NaiveDate>,
    hits: Vec<OfferHit>,
    /// The offer being read out, and its date on offer.
    current: usize,
    date: usize,
    seats: u32,
    /// The caller asked to book and a callback number is being asked for.
    pub(super) number_for_booking: bool,
    /// History length when booking started, to return to the offer afterwards.
    history_at_offer: usize,
    /// History length when the first offer was read, to start again from there.
    history_at_first: usize,
    /// Index into the context's upcoming bookings being talked about.
    pub(super) upcoming: usize,
    /// Menus for spoken place names: everywhere, and in the district list.
    pub(super) spoken_areas: AreaMenu,
    pub(super) district_list: AreaMenu,
}

impl OffersDraft {
    pub(super) fn new(areas: &OfferAreas) -> OffersDraft {
        OffersDraft { spoken_areas: AreaMenu::new(areas, false), district_list: AreaMenu::new(areas, true), ..OffersDraft::default() }
    }
}

fn seats_words(prompts: &crate::dialog::Prompts, n: u32, one: &str, many: &str) -> String {
    if n == 1 {
        prompts.text(one).unwrap_or_default().to_string()
    } else {
        prompts.text(many).unwrap_or_default().replace("{count}", &cardinal(n))
    }
}

/// The date of `hit` to offer: the first with a free seat, else the first.
fn offered_date(hit: &OfferHit) -> usize {
    hit.dates.iter().position(|d| d.free_seats != Some(0)).unwrap_or(0)
}

impl Dialog {
    /// "1" in the main menu.
    pub(super) fn start_offers(&mut self, out: &mut Vec<Action>) {
        self.offers = OffersDraft { upcoming: self.offers.upcoming, ..OffersDraft::new(&self.ctx.offer_areas) };
        let person = self.ctx.person.as_ref();
        let near = person.and_then(|p| p.home.map(Whereabouts::At).or_else(|| p.postcode.clone().map(Whereabouts::Postcode)));
        match near {
            Some(near) => {
                self.path.push("offers:home".into());
                self.offers.near = Some(near);
                out.push(Action::Say(Say::new("offers_intro_home")));
                self.go(Step::Menu("offers_category".into()), out);
            }
            None => self.go(Step::Menu("offers_where".into()), out),
        }
    }

    /// Menu targets of the offers steps ("offers:cat:bewegung", "offers:book", ...).
    pub(super) fn offers_choice(&mut self, target: &str, out: &mut Vec<Action>) {
        if let Some(category) = target.strip_prefix("cat:") {
            self.offers.categories = Category::parse(category).into_iter().collect();
            return self.go(Step::Menu("offers_when".into()), out);
        }
        if let Some(when) = target.strip_prefix("when:") {
            let today = self.ctx.today;
            let next_monday = today + Duration::days(7 - i64::from(today.weekday().num_days_from_monday()));
            let (from, until) = match when {
                "today" => (today, today + Duration::days(1)),
                "week" => (today, next_monday),
                _ => (next_monday, next_monday + Duration::days(7)),
            };
            (self.offers.from, self.offers.until) = (Some(from), Some(until));
            return self.search_offers(out);
        }
        if let Some(n) = target.strip_prefix("seats:") {
            return self.choose_seats(n.parse().unwrap_or(1), out);
        }
        match target {
            "postcode" => self.go(Step::OfferPostcode(String::new()), out),
            "district" => self.go(Step::ChooseDistrict, out),
            "details" => {
                let hit = &self.offers.hits[self.offers.current];
                let details = spoken::details(&hit.offer, &hit.dates[self.offers.date]);
                out.push(Action::Say(Say::with("offer_details", &[("details", details)])));
                self.offer_options(out);
                out.push(Action::Listen);
            }
            "next" => self.next_offer(out),
            "again" => {
                self.history.truncate(self.offers.history_at_first);
                self.select_offer(0);
                self.step = Step::Offer(0);
                self.misunderstood = 0;
                self.prompt_step(out)
            }
            "book" => self.start_booking(out),
            "confirm" => self.book_offer(out),
            "dont_book" => {
                out.push(Action::Say(Say::new("offer_not_booked")));
                self.back_to_offer(out);
            }
            "callback" => self.callback_instead(TicketKind::Other, "angebote", "offers_by_callback_intro", out),
            other => {
                tracing::error!(target = other, "unknown offers menu target");
                self.prompt_step(out);
            }
        }
    }

    /// Where the offers are looked for, once known.
    fn offers_near(&mut self, near: Whereabouts, out: &mut Vec<Action>) {
        self.path.push(match &near {
            Whereabouts::Postcode(pc) => format!("offers:postcode:{pc}"),
            Whereabouts::Area(name) => format!("offers:area:{name}"),
            Whereabouts::At(_) => "offers:home".into(),
        });
        self.offers.near = Some(near);
        self.go(Step::Menu("offers_category".into()), out);
    }

    pub(super) fn finish_offer_postcode(&mut self, digits: &str, out: &mut Vec<Action>) {
        match crate::domain::Postcode::parse(digits) {
            Ok(pc) => self.offers_near(Whereabouts::Postcode(pc), out),
            Err(_) => {
                out.push(Action::Say(Say::new("postcode_invalid")));
                self.prompt_step(out);
            }
        }
    }

    pub(super) fn district_key(&mut self, key: char, out: &mut Vec<Action>) {
        match self.offers.district_list.name(key).map(str::to_string) {
            Some(name) => self.offers_near(Whereabouts::Area(name), out),
            None => {
                out.push(Action::Say(Say::new("invalid_key")));
                self.prompt_step(out);
            }
        }
    }

    /// A part of town said where the place is asked for; `true` when understood.
    pub(super) fn spoken_area(&mut self, text: &str, out: &mut Vec<Action>) -> bool {
        use crate::speech::understand::{Expectation, Understood, understand};
        let today = self.ctx.today;
        let in_list = matches!(self.step, Step::ChooseDistrict);
        let menus = if in_list { vec![&self.offers.district_list, &self.offers.spoken_areas] } else { vec![&self.offers.spoken_areas] };
        let name = menus.into_iter().find_map(|m| match understand(text, &Expectation::Menu(m), today) {
            Some(Understood::Key(k)) => m.name(k).map(str::to_string),
            _ => None,
        });
        if let Some(name) = name {
            self.path.push("said".into());
            self.offers_near(Whereabouts::Area(name), out);
            return true;
        }
        if let Some(Understood::Digits(d)) = understand(text, &Expectation::Number { min_digits: 5, max_digits: 5 }, today) {
            self.path.push("said:digits".into());
            self.finish_offer_postcode(&d, out);
            return true;
        }
        false
    }

    pub(super) fn district_prompt(&self, out: &mut Vec<Action>) {
        out.push(Action::Say(Say::new("offers_district_intro")));
        for (district, key) in self.ctx.offer_areas.districts.iter().zip('1'..='9') {
            out.push(Action::Say(Say::with("offers_district", &[("district", district.clone()), ("key", key.to_string())])));
        }
    }

    fn search_offers(&mut self, out: &mut Vec<Action>) {
        let (Some(near), Some(from), Some(until)) = (self.offers.near.clone(), self.offers.from, self.offers.until) else {
            tracing::error!("offers searched with fields missing");
            return self.start_offers(out);
        };
        self.path.push("offers:search".into());
        out.push(Action::Say(Say::new("one_moment")));
        let previous = std::mem::replace(&mut self.step, Step::Searching);
        self.history.push(previous);
        out.push(Action::FindOffers(OfferSearch {
            near,
            categories: self.offers.categories.clone(),
            from,
            until,
            limit: OFFERS_PER_SEARCH,
        }));
    }

    pub(super) fn on_offers_found(&mut self, result: OfferSearchResult, out: &mut Vec<Action>) {
        if self.step != Step::Searching {
            return;
        }
        match result {
            OfferSearchResult::Found(hits) if hits.iter().all(|h| h.dates.is_empty()) => {
                self.path.push("offers:none".into());
                self.offers.hits.clear();
                self.go(Step::Menu("offers_none".into()), out);
            }
            OfferSearchResult::Found(mut hits) => {
                hits.retain(|h| !h.dates.is_empty());
                hits.truncate(OFFERS_PER_SEARCH);
                self.path.push(format!("offers:found:{}", hits.len()));
                if hits.len() == 1 {
                    out.push(Action::Say(Say::new("offers_found_one")));
                } else {
                    out.push(Action::Say(Say::with("offers_found", &[("count", cardinal(hits.len() as u32))])));
                }
                self.offers.hits = hits;
                self.select_offer(0);
                self.offers.history_at_first = self.history.len();
                self.go(Step::Offer(0), out);
            }
            OfferSearchResult::UnknownPlace => {
                self.path.push("offers:unknown_place".into());
                out.push(Action::Say(Say::new("offers_place_unknown")));
                self.offers.near = None;
                self.history.clear();
                self.history.push(Step::Menu("main".into()));
                self.step = Step::Menu("offers_where".into());
                self.prompt_step(out);
            }
            OfferSearchResult::Failed => {
                self.path.push("offers:search_failed".into());
                self.step = Step::Menu("offers_when".into());
                self.callback_instead(TicketKind::Other, "angebote", "offers_search_failed", out);
            }
        }
    }

    /// Makes offer `i` the one talked about; `false` when this search has no such offer
    /// (a step of an earlier search, gone back to).
    pub(super) fn select_offer(&mut self, i: usize) -> bool {
        let Some(hit) = self.offers.hits.get(i) else { return false };
        self.offers.date = offered_date(hit);
        self.offers.current = i;
        true
    }

    fn current_hit(&self) -> &OfferHit {
        &self.offers.hits[self.offers.current]
    }

    fn current_date(&self) -> &OfferDate {
        &self.current_hit().dates[self.offers.date]
    }

    /// Which actions menu the current offer has: to book, open to all, or fully booked.
    pub(super) fn offer_menu_id(&self) -> &'static str {
        let hit = self.current_hit();
        match self.current_date().free_seats {
            _ if hit.offer.capacity.is_none() => "offer_actions_open",
            None => "offer_actions_open",
            Some(0) => "offer_actions_full",
            Some(_) => "offer_actions",
        }
    }

    /// The offer read out, then what the caller can do with it.
    pub(super) fn offer_prompt(&self, out: &mut Vec<Action>) {
        let summary = spoken::summary(&self.current_hit().offer, self.current_date(), self.ctx.today);
        out.push(Action::Say(Say::with("offer_summary", &[("summary", summary)])));
        self.offer_options(out);
    }

    fn offer_options(&self, out: &mut Vec<Action>) {
        out.push(Action::Say(Say::new(&self.menu(self.offer_menu_id()).prompt)));
    }

    pub(super) fn offer_key(&mut self, key: char, out: &mut Vec<Action>) {
        let menu = self.menu(self.offer_menu_id());
        match menu.option_for_key(key).map(|o| o.goto.clone()) {
            Some(goto) => self.choose(&goto, out),
            None if key == '2' => {
                // Said or typed "book" where there is nothing to book: say why.
                let why = if self.current_date().free_seats == Some(0) { "offer_is_full" } else { "offer_no_booking_needed" };
                out.push(Action::Say(Say::new(why)));
                self.offer_options(out);
                out.push(Action::Listen);
            }
            None => {
                out.push(Action::Say(Say::new("invalid_key")));
                self.offer_options(out);
                out.push(Action::Listen);
            }
        }
    }

    fn next_offer(&mut self, out: &mut Vec<Action>) {
        let next = self.offers.current + 1;
        if self.select_offer(next) {
            self.go(Step::Offer(next), out);
        } else {
            self.go(Step::Menu("offers_end".into()), out);
        }
    }

    fn back_to_offer(&mut self, out: &mut Vec<Action>) {
        self.history.truncate(self.offers.history_at_offer);
        self.step = Step::Offer(self.offers.current);
        self.misunderstood = 0;
        self.prompt_step(out);
    }

    fn start_booking(&mut self, out: &mut Vec<Action>) {
        self.offers.history_at_offer = self.history.len();
        self.offers.seats = 0;
        if self.ctx.person.is_some()
            && let Some(caller) = self.ctx.caller.clone()
        {
            self.number = Some(caller);
            return self.go(Step::Menu("offer_seats".into()), out);
        }
        // Unknown callers leave a number the office can reach them at.
        self.offers.number_for_booking = true;
        out.push(Action::Say(Say::new("offer_booking_number")));
        self.ask_number(out);
    }

    /// After the callback number was confirmed: `true` when it was for a booking.
    pub(super) fn number_was_for_booking(&mut self, out: &mut Vec<Action>) -> bool {
        if !std::mem::take(&mut self.offers.number_for_booking) {
            return false;
        }
        self.go(Step::Menu("offer_seats".into()), out);
        true
    }

    fn choose_seats(&mut self, seats: u32, out: &mut Vec<Action>) {
        let seats = seats.clamp(1, MAX_SEATS);
        if let Some(free) = self.current_date().free_seats
            && free < seats
        {
            let free = seats_words(&self.prompts, free, "free_one", "free_many");
            out.push(Action::Say(Say::with("offer_seats_only", &[("free", free)])));
            return self.prompt_step(out);
        }
        self.offers.seats = seats;
        self.go(Step::Menu("offer_confirm".into()), out);
    }

    fn book_offer(&mut self, out: &mut Vec<Action>) {
        let Some(phone) = self.number.clone().or_else(|| self.ctx.caller.clone()) else {
            tracing::error!("booking without a number");
            return self.back_to_offer(out);
        };
        let seats = NonZeroU32::new(self.offers.seats.max(1)).expect("at least one");
        self.step = Step::Storing;
        out.push(Action::BookOffer(Box::new(BookingOrder {
            offer_date_id: self.current_date().id.clone(),
            seats,
            booker: self.booker(phone),
        })));
    }

    fn booker(&self, phone: PhoneNumber) -> Booker {
        Booker { person_id: self.ctx.person.as_ref().map(|p| p.id.clone()), phone, caregiver_id: self.care.acting.clone(), call_id: None }
    }

    pub(super) fn on_booked(&mut self, outcome: BookingOutcome, out: &mut Vec<Action>) {
        if self.step != Step::Storing {
            return;
        }
        match outcome {
            BookingOutcome::Booked { office_name } => {
                self.path.push("booked".into());
                let mut args = self.offer_args();
                args.push(("office", office_name));
                out.push(Action::Say(Say::with("offer_booked", &args)));
                out.push(Action::Say(Say::new("goodbye")));
                out.push(Action::HangUp);
                self.outcome = Some("booking_created");
                self.step = Step::Finished;
            }
            BookingOutcome::Full { free } => {
                self.path.push(format!("offers:full:{free}"));
                let (current, date, seats) = (self.offers.current, self.offers.date, self.offers.seats);
                self.offers.hits[current].dates[date].free_seats = Some(free);
                if free > 0 {
                    let free = seats_words(&self.prompts, free, "free_one", "free_many");
                    out.push(Action::Say(Say::with("offer_seats_only", &[("free", free)])));
                    self.step = Step::Offer(current);
                    return self.go(Step::Menu("offer_seats".into()), out);
                }
                out.push(Action::Say(Say::new("offer_full_now")));
                let other = self.offers.hits[current].dates.iter().position(|d| d.free_seats.is_some_and(|f| f >= seats));
                self.step = Step::Offer(current);
                match other {
                    Some(other) => {
                        self.offers.date = other;
                        self.go(Step::Menu("offer_full_next".into()), out)
                    }
                    None => self.next_offer(out),
                }
            }
            BookingOutcome::Unavailable => {
                self.path.push("offers:unavailable".into());
                out.push(Action::Say(Say::new("offer_unavailable")));
                self.step = Step::Offer(self.offers.current);
                self.next_offer(out);
            }
            BookingOutcome::Failed => self.on_stored(Err(()), out),
        }
    }

    /// The values the booking prompts read out.
    pub(super) fn offer_args(&self) -> Vec<(&'static str, String)> {
        let mut args = Vec::new();
        if let Some(hit) = self.offers.hits.get(self.offers.current)
            && let Some(date) = hit.dates.get(self.offers.date)
        {
            args.push(("title", hit.offer.title.clone()));
            args.push(("venue", hit.offer.venue.clone()));
            args.push(("day", on_date(date.starts_at.date(), self.ctx.today)));
            args.push(("clock", time_of_day(date.starts_at.time())));
            args.push(("seats", seats_words(&self.prompts, self.offers.seats.max(1), "seats_one", "seats_many")));
        } else if let Some(item) = self.ctx.upcoming.get(self.offers.upcoming) {
            args.push(("day", on_date(item.starts_at().date(), self.ctx.today)));
            args.push(("clock", time_of_day(item.starts_at().time())));
            match item {
                Upcoming::Booking(b) => {
                    args.push(("title", b.title.clone()));
                    args.push(("venue", b.venue.clone()));
                    args.push(("seats", seats_words(&self.prompts, b.seats, "seats_one", "seats_many")));
                }
                Upcoming::Ride(r) => args.push(("destination", r.destination.clone())),
            }
        }
        args
    }

    /// After the greeting: the caller's next booking, if any. `true` when one is asked about.
    pub(super) fn tell_upcoming(&mut self, out: &mut Vec<Action>) -> bool {
        while let Some(item) = self.ctx.upcoming.get(self.offers.upcoming) {
            let b = match item {
                Upcoming::Ride(_) => {
                    self.path.push("upcoming:ride".into());
                    self.go(Step::Menu("upcoming_ride".into()), out);
                    return true;
                }
                Upcoming::Booking(b) if !b.date_cancelled => {
                    self.path.push("upcoming".into());
                    self.go(Step::Menu("upcoming".into()), out);
                    return true;
                }
                Upcoming::Booking(b) => b,
            };
            let args = [("title", b.title.clone()), ("day", on_date(b.starts_at.date(), self.ctx.today))];
            out.push(Action::Say(Say::with("upcoming_called_off", &args)));
            self.offers.upcoming += 1;
        }
        false
    }

    pub(super) fn upcoming_choice(&mut self, target: &str, out: &mut Vec<Action>) {
        match target {
            "keep" => {
                out.push(Action::Say(Say::new("upcoming_kept")));
                self.offers.upcoming += 1;
                self.step = self.home_step();
                self.history.clear();
                if !self.tell_upcoming(out) {
                    self.prompt_step(out);
                }
            }
            "cancel" => {
                let item = self.ctx.upcoming.get(self.offers.upcoming);
                let action = match (item, self.ctx.caller.clone(), self.ctx.person.as_ref()) {
                    (Some(Upcoming::Booking(b)), Some(phone), _) => {
                        Action::CancelBooking(CancelOrder { booking_id: b.id.clone(), booker: self.booker(phone) })
                    }
                    (Some(Upcoming::Ride(r)), _, Some(person)) => {
                        Action::CancelRide(CancelRideOrder { ride_id: r.id.clone(), person_id: person.id.clone() })
                    }
                    _ => return self.go(self.home_step(), out),
                };
                self.step = Step::Storing;
                out.push(action);
            }
            other => {
                tracing::error!(target = other, "unknown upcoming menu target");
                self.prompt_step(out);
            }
        }
    }

    pub(super) fn on_cancelled(&mut self, result: Result<(), ()>, out: &mut Vec<Action>) {
        if self.step != Step::Storing {
            return;
        }
        self.history.clear();
        let ride = matches!(self.ctx.upcoming.get(self.offers.upcoming), Some(Upcoming::Ride(_)));
        match result {
            Ok(()) => {
                self.path.push("cancelled".into());
                self.outcome = Some(if ride { "ride_cancelled" } else { "booking_cancelled" });
                out.push(Action::Say(Say::new(if ride { "upcoming_ride_cancelled" } else { "upcoming_cancelled" })));
            }
            Err(()) => {
                self.path.push("cancel_failed".into());
                out.push(Action::Say(Say::new("upcoming_cancel_failed")));
            }
        }
        self.offers.upcoming += 1;
        self.step = self.home_step();
        self.prompt_step(out);
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::tests::{erika, keys, prompts, said, speech, today};
    use super::super::{CallContext, Dialog, Event};
    use super::*;
    use crate::domain::Postcode;
    use crate::offers::{Access, Offer};
    use crate::rides::{Point, parse_local};

    fn offer(id: &str, title: &str, venue: &str, capacity: Option<u32>) -> Offer {
        Offer {
            id: id.into(),
            office_id: "do-hoerde".into(),
            category: Category::Bewegung,
            title: title.into(),
            provider: "Nachbarschaftsverein Hörde".into(),
            description: "Sanfte Übungen auf dem Stuhl".into(),
            venue: venue.into(),
            address: "Wiggerstraße 4".into(),
            postcode: Postcode::parse("44263").unwrap(),
            point: Point { lat: 51.487, lon: 7.506 },
            price_cents: 0,
            access: Access { wheelchair: true, hearing_loop: false, step_free: true },
            capacity,
            booking_required: capacity.is_some(),
        }
    }

    fn date(id: &str, starts: &str, free_seats: Option<u32>) -> OfferDate {
        let starts_at = parse_local(starts).unwrap();
        OfferDate { id: id.into(), starts_at, ends_at: starts_at + Duration::hours(1), free_seats }
    }

    /// Three offers: one to book (its first date has one seat left), one open to all,
    /// one fully booked.
    pub(in crate::dialog::engine) fn hits() -> Vec<OfferHit> {
        vec![
            OfferHit {
                offer: offer("gym", "Gymnastik im Sitzen", "im Begegnungszentrum Hörde", Some(12)),
                distance_km: 0.3,
                dates: vec![date("gym-1", "2026-12-03T10:00", Some(1)), date("gym-2", "2026-12-10T10:00", Some(12))],
            },
            OfferHit {
                offer: offer("cafe", "Erzählcafé", "im Café am Markt", None),
                distance_km: 0.8,
                dates: vec![date("cafe-1", "2026-11-26T15:00", None)],
            },
            OfferHit {
                offer: offer("phone", "Smartphone-Sprechstunde", "in der Bibliothek Hörde", Some(6)),
                distance_km: 1.1,
                dates: vec![date("phone-1", "2026-11-27T14:00", Some(0))],
            },
        ]
    }

    pub(in crate::dialog::engine) fn booking() -> Booking {
        Booking {
            id: "b1".into(),
            offer_date_id: "gym-1".into(),
            offer_id: "gym".into(),
            office_id: "do-hoerde".into(),
            title: "Gymnastik im Sitzen".into(),
            venue: "im Begegnungszentrum Hörde".into(),
            starts_at: parse_local("2026-12-03T10:00").unwrap(),
            seats: 1,
            person_id: Some("p1".into()),
            phone: "+4923155512345".into(),
            cancelled: false,
            date_cancelled: false,
            ticket_id: Some("t1".into()),
        }
    }

    fn areas() -> OfferAreas {
        OfferAreas {
            districts: vec!["Hörde".into(), "Innenstadt-West".into()],
            areas: vec!["Aplerbeck".into(), "Hörde".into(), "Innenstadt-West".into(), "Phoenix-See".into(), "Westpark".into()],
        }
    }

    pub(in crate::dialog::engine) fn erika_with_areas() -> CallContext {
        CallContext { today: today(), offer_areas: areas(), ..erika() }
    }

    /// A caller with caller ID who is not registered.
    pub(in crate::dialog::engine) fn stranger() -> CallContext {
        CallContext {
            caller: Some(PhoneNumber::parse("+492315559999").unwrap()),
            today: today(),
            offer_areas: areas(),
            ..CallContext::default()
        }
    }

    fn searched(actions: &[Action]) -> Option<&OfferSearch> {
        actions.iter().find_map(|a| match a {
            Action::FindOffers(s) => Some(s),
            _ => None,
        })
    }

    fn booked(actions: &[Action]) -> Option<&BookingOrder> {
        actions.iter().find_map(|a| match a {
            Action::BookOffer(o) => Some(&**o),
            _ => None,
        })
    }

    fn text(actions: &[Action], id: &str) -> String {
        let say = actions
            .iter()
            .find_map(|a| match a {
                Action::Say(s) if s.id == id => Some(s),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{id} not said in {actions:?}"));
        prompts().render(&say.id, &say.args).unwrap()
    }

    fn found(d: &mut Dialog) -> Vec<Action> {
        d.handle(Event::OffersFound(OfferSearchResult::Found(hits())))
    }

    #[test]
    fn a_known_caller_books_a_seat_by_keypad() {
        let mut d = Dialog::new(prompts(), erika_with_areas());
        d.handle(Event::CallStarted);
        assert_eq!(said(&d.handle(Event::Key('1'))), ["offers_intro_home", "offers_category_menu"]);
        assert_eq!(said(&d.handle(Event::Key('1'))), ["offers_when_menu"], "all kinds");
        let a = d.handle(Event::Key('2'));
        assert_eq!(said(&a), ["one_moment"]);
        let search = searched(&a).expect("a search");
        assert_eq!(search.near, Whereabouts::At(Point { lat: 51.4832, lon: 7.5062 }), "near her home");
        assert!(search.categories.is_empty());
        let week = (NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(), NaiveDate::from_ymd_opt(2026, 11, 30).unwrap());
        assert_eq!((search.from, search.until, search.limit), (week.0, week.1, 3), "until Sunday");
        assert!(d.handle(Event::Key('5')).is_empty(), "keys while searching change nothing");
        assert!(d.handle(Event::Silence).is_empty());
        let a = found(&mut d);
        assert_eq!(said(&a), ["offers_found", "offer_summary", "offer_actions_menu"]);
        assert!(text(&a, "offers_found").contains("drei passende Angebote"));
        assert!(
            text(&a, "offer_summary").starts_with("Gymnastik im Sitzen, im Begegnungszentrum Hörde, am Donnerstag, dem dritten Dezember")
        );
        assert_eq!(said(&d.handle(Event::Key('2'))), ["offer_seats_menu"]);
        let a = d.handle(Event::Key('1'));
        assert_eq!(said(&a), ["offer_confirm_menu"]);
        assert!(
            text(&a, "offer_confirm_menu").contains(
                "Gymnastik im Sitzen, am Donnerstag, dem dritten Dezember, um zehn Uhr, im Begegnungszentrum Hörde. Soll ich einen Platz buchen?"
            ),
            "{}",
            text(&a, "offer_confirm_menu")
        );
        let a = d.handle(Event::Key('1'));
        assert!(said(&a).is_empty(), "nothing is confirmed before it is booked");
        let order = booked(&a).expect("booked");
        assert_eq!((order.offer_date_id.as_str(), order.seats.get()), ("gym-1", 1));
        assert_eq!(order.booker.person_id.as_deref(), Some("p1"));
        assert_eq!(order.booker.phone.as_str(), "+4923155512345");
        assert!(d.handle(Event::Key('1')).is_empty(), "keys while booking change nothing");
        let a = d.handle(Event::Booked(BookingOutcome::Booked { office_name: "Seniorenbüro Hörde".into() }));
        assert_eq!(said(&a), ["offer_booked", "goodbye"]);
        assert!(text(&a, "offer_booked").starts_with("Sie sind angemeldet: einen Platz für Gymnastik im Sitzen, am Donnerstag"));
        assert_eq!(a.last(), Some(&Action::HangUp));
        assert_eq!(d.outcome(), Some("booking_created"));
        assert_eq!(
            d.path(),
            "main>offers>offers:home>offers:cat:alle>offers:when:week>offers:search>offers:found:3>offers:book>offers:seats:1>offers:confirm>booked"
        );
    }

    #[test]
    fn offers_are_read_one_at_a_time_with_details_repeat_and_back() {
        let mut d = Dialog::new(prompts(), erika_with_areas());
        d.handle(Event::CallStarted);
        keys(&mut d, "11");
        d.handle(Event::Key('3'));
        found(&mut d);
        let a = d.handle(Event::Key('1'));
        assert_eq!(said(&a), ["offer_details", "offer_actions_menu"]);
        assert!(text(&a, "offer_details").contains("Sanfte Übungen auf dem Stuhl. Es endet um elf Uhr."));
        let a = d.handle(Event::Key('3'));
        assert_eq!(said(&a), ["offer_summary", "offer_actions_open_menu"], "the café is open to all");
        assert!(text(&a, "offer_summary").contains("ohne Anmeldung"));
        assert_eq!(said(&d.handle(Event::Key('2'))), ["offer_no_booking_needed", "offer_actions_open_menu"]);
        assert_eq!(said(&d.handle(Event::Key('7'))), ["invalid_key", "offer_actions_open_menu"]);
        let a = d.handle(Event::Key('3'));
        assert_eq!(said(&a), ["offer_summary", "offer_actions_full_menu"]);
        assert!(text(&a, "offer_summary").contains("leider ausgebucht"));
        assert_eq!(said(&d.handle(Event::Key('2'))), ["offer_is_full", "offer_actions_full_menu"]);
        assert_eq!(said(&d.handle(Event::Key('*'))), ["offer_summary", "offer_actions_full_menu"], "star repeats the offer");
        let a = d.handle(Event::Key('#'));
        assert!(text(&a, "offer_summary").starts_with("Erzählcafé"), "hash goes back one offer");
        d.handle(Event::Key('3'));
        assert_eq!(said(&d.handle(Event::Key('3'))), ["offers_end_menu"]);
        let a = d.handle(Event::Key('1'));
        assert!(text(&a, "offer_summary").starts_with("Gymnastik"), "again from the first");
        // From the first offer, back goes to the question of when.
        assert_eq!(said(&d.handle(Event::Key('#'))), ["offers_when_menu"]);
    }

    #[test]
    fn an_unknown_caller_types_a_postcode_and_leaves_a_number_for_the_booking() {
        let mut d = Dialog::new(prompts(), CallContext { today: today(), offer_areas: areas(), ..CallContext::default() });
        d.handle(Event::CallStarted);
        assert_eq!(said(&d.handle(Event::Key('1'))), ["offers_where_menu"]);
        assert_eq!(said(&d.handle(Event::Key('1'))), ["offers_postcode"]);
        assert_eq!(said(&keys(&mut d, "4426#")), ["postcode_invalid", "offers_postcode"]);
        assert_eq!(said(&keys(&mut d, "44263")), ["offers_category_menu"]);
        assert_eq!(said(&d.handle(Event::Key('4'))), ["offers_category_more_menu"]);
        assert_eq!(said(&d.handle(Event::Key('3'))), ["offers_when_menu"]);
        let a = d.handle(Event::Key('1'));
        let search = searched(&a).unwrap();
        assert_eq!(search.near, Whereabouts::Postcode(Postcode::parse("44263").unwrap()));
        assert_eq!(search.categories, [Category::Digital]);
        assert_eq!((search.from, search.until), (today(), today() + Duration::days(1)), "today");
        found(&mut d);
        assert_eq!(said(&d.handle(Event::Key('2'))), ["offer_booking_number", "enter_number"]);
        assert_eq!(said(&keys(&mut d, "02315559876#")), ["confirm_typed_number"]);
        assert_eq!(said(&d.handle(Event::Key('1'))), ["offer_seats_menu"]);
        assert_eq!(said(&d.handle(Event::Key('2'))), ["offer_seats_only", "offer_seats_menu"], "one seat left");
        d.handle(Event::Key('1'));
        let a = d.handle(Event::Key('1'));
        let order = booked(&a).unwrap();
        assert_eq!((order.booker.person_id.as_deref(), order.booker.phone.as_str()), (None, "+492315559876"));
    }

    #[test]
    fn a_caller_id_not_on_file_is_confirmed_for_the_booking() {
        let mut d = Dialog::new(prompts(), stranger());
        d.handle(Event::CallStarted);
        keys(&mut d, "12");
        assert_eq!(said(&d.handle(Event::Key('2'))), ["offers_category_menu"], "Innenstadt-West from the list");
        d.handle(Event::Key('1'));
        let a = d.handle(Event::Key('3'));
        assert_eq!(searched(&a).unwrap().near, Whereabouts::Area("Innenstadt-West".into()));
        assert_eq!(searched(&a).unwrap().from, NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(), "next week starts on Monday");
        found(&mut d);
        assert_eq!(said(&d.handle(Event::Key('2'))), ["offer_booking_number", "confirm_number"]);
        assert_eq!(said(&d.handle(Event::Key('1'))), ["offer_seats_menu"]);
        d.handle(Event::Key('1'));
        let order = booked(&d.handle(Event::Key('1'))).cloned().unwrap();
        assert_eq!(order.booker.phone.as_str(), "+492315559999");
    }

    #[test]
    fn the_district_list_is_read_with_keys() {
        let mut d = Dialog::new(prompts(), stranger());
        d.handle(Event::CallStarted);
        d.handle(Event::Key('1'));
        let a = d.handle(Event::Key('2'));
        assert_eq!(said(&a), ["offers_district_intro", "offers_district", "offers_district"]);
        assert_eq!(text(&a, "offers_district"), "Für Hörde drücken Sie die 1.");
        assert_eq!(said(&d.handle(Event::Key('5'))), ["invalid_key", "offers_district_intro", "offers_district", "offers_district"]);
        assert_eq!(said(&d.handle(speech("Westpark"))), ["offers_category_menu"], "any part of town by name");
    }

    #[test]
    fn offers_can_be_found_and_booked_by_voice() {
        let mut d = Dialog::new(prompts(), stranger());
        d.handle(Event::CallStarted);
        assert_eq!(said(&d.handle(speech("Ich suche Angebote in der Nähe"))), ["offers_where_menu"]);
        assert_eq!(said(&d.handle(speech("Ich wohne in Aplerbeck."))), ["offers_category_menu"]);
        assert_eq!(said(&d.handle(speech("Was mit Bewegung"))), ["offers_when_menu"]);
        let a = d.handle(speech("Diese Woche bitte"));
        let search = searched(&a).unwrap();
        assert_eq!((search.near.clone(), search.categories.clone()), (Whereabouts::Area("Aplerbeck".into()), vec![Category::Bewegung]));
        found(&mut d);
        assert_eq!(said(&d.handle(speech("Erzählen Sie mir mehr"))), ["offer_details", "offer_actions_menu"]);
        assert_eq!(said(&d.handle(speech("Ich möchte buchen"))), ["offer_booking_number", "confirm_number"]);
        assert_eq!(said(&d.handle(speech("Ja"))), ["offer_seats_menu"]);
        assert_eq!(said(&d.handle(speech("Ja"))), ["offer_confirm_menu"], "yes is one seat");
        let order = booked(&d.handle(speech("Ja, genau"))).cloned().unwrap();
        assert_eq!(order.seats.get(), 1);
    }

    #[test]
    fn a_postcode_can_be_said_where_the_place_is_asked() {
        let mut d = Dialog::new(prompts(), stranger());
        d.handle(Event::CallStarted);
        d.handle(Event::Key('1'));
        assert_eq!(said(&d.handle(speech("vier vier eins drei sieben"))), ["offers_category_menu"]);
        d.handle(Event::Key('1'));
        let a = d.handle(Event::Key('1'));
        assert_eq!(searched(&a).unwrap().near, Whereabouts::Postcode(Postcode::parse("44137").unwrap()));
        assert_eq!(said(&d.handle(speech("Blumenkohl"))), [] as [&str; 0], "speech while searching is ignored");
    }

    #[test]
    fn a_date_booked_up_meanwhile_is_told_kindly_with_the_next_date() {
        let mut d = Dialog::new(prompts(), erika_with_areas());
        d.handle(Event::CallStarted);
        keys(&mut d, "112");
        found(&mut d);
        keys(&mut d, "21");
        booked(&d.handle(Event::Key('1'))).unwrap();
        let a = d.handle(Event::Booked(BookingOutcome::Full { free: 0 }));
        assert_eq!(said(&a), ["offer_full_now", "offer_full_next_menu"]);
        assert!(
            text(&a, "offer_full_next_menu")
                .starts_with("Der nächste Termin mit freien Plätzen ist am Donnerstag, dem zehnten Dezember, um zehn Uhr.")
        );
        let order = booked(&d.handle(Event::Key('1'))).cloned().unwrap();
        assert_eq!(order.offer_date_id, "gym-2");
        // That one is gone too, and no other date is left: on to the next offer.
        let a = d.handle(Event::Booked(BookingOutcome::Full { free: 0 }));
        assert_eq!(said(&a), ["offer_full_now", "offer_summary", "offer_actions_open_menu"]);
        assert_eq!(d.outcome(), None);
    }

    #[test]
    fn saying_no_to_the_summary_books_nothing_and_a_hang_up_stores_nothing() {
        let mut d = Dialog::new(prompts(), erika_with_areas());
        d.handle(Event::CallStarted);
        keys(&mut d, "112");
        found(&mut d);
        keys(&mut d, "21");
        let a = d.handle(Event::Key('2'));
        assert_eq!(said(&a), ["offer_not_booked", "offer_summary", "offer_actions_menu"]);
        assert!(booked(&a).is_none());
        assert_eq!(said(&d.handle(Event::Key('#'))), ["offers_when_menu"], "back from the offer, not into the booking");
        let mut d = Dialog::new(prompts(), erika_with_areas());
        d.handle(Event::CallStarted);
        keys(&mut d, "112");
        found(&mut d);
        keys(&mut d, "21");
        assert!(d.handle(Event::HangUp).is_empty());
        assert_eq!(d.outcome(), Some("caller_hung_up"));
        assert!(d.handle(Event::Key('1')).is_empty());
    }

    #[test]
    fn nothing_found_an_unknown_place_and_a_failed_search() {
        let mut d = Dialog::new(prompts(), erika_with_areas());
        d.handle(Event::CallStarted);
        keys(&mut d, "111");
        assert_eq!(said(&d.handle(Event::OffersFound(OfferSearchResult::Found(Vec::new())))), ["offers_none_menu"]);
        assert_eq!(said(&d.handle(Event::Key('1'))), ["offers_when_menu"]);
        d.handle(Event::Key('2'));
        assert_eq!(said(&d.handle(Event::OffersFound(OfferSearchResult::UnknownPlace))), ["offers_place_unknown", "offers_where_menu"]);
        assert_eq!(said(&d.handle(Event::Key('#'))), ["main_menu"]);
        keys(&mut d, "111");
        let a = d.handle(Event::OffersFound(OfferSearchResult::Failed));
        assert_eq!(said(&a), ["offers_search_failed", "confirm_number"]);
        let t = super::super::tests::stored(&d.handle(Event::Key('1'))).cloned().unwrap();
        assert_eq!((t.kind, t.topic.as_str()), (TicketKind::Other, "angebote"));
    }

    #[test]
    fn wrong_keys_and_silence_in_the_offer_menus() {
        let mut d = Dialog::new(prompts(), erika_with_areas());
        d.handle(Event::CallStarted);
        keys(&mut d, "11");
        assert_eq!(said(&d.handle(Event::Key('7'))), ["invalid_key", "offers_when_menu"]);
        assert_eq!(said(&d.handle(Event::Silence)), ["no_input", "offers_when_menu"]);
        d.handle(Event::Key('2'));
        found(&mut d);
        assert_eq!(said(&d.handle(Event::Silence)), ["no_input", "offer_summary", "offer_actions_menu"]);
        assert_eq!(said(&d.handle(Event::Silence)), ["no_input_again", "offer_summary", "offer_actions_menu"]);
        assert_eq!(said(&d.handle(Event::Silence)), ["goodbye_no_input"]);
        assert_eq!(d.outcome(), Some("no_input"));
    }

    #[test]
    fn a_returning_caller_hears_her_booking_and_cancels_it() {
        let mut d = Dialog::new(prompts(), CallContext { upcoming: vec![Upcoming::Booking(booking())], ..erika_with_areas() });
        let a = d.handle(Event::CallStarted);
        assert_eq!(said(&a), ["greeting_known", "upcoming_menu"]);
        assert!(
            text(&a, "upcoming_menu").starts_with(
                "Sie haben einen Platz gebucht: Gymnastik im Sitzen, am Donnerstag, dem dritten Dezember, um zehn Uhr, im Begegnungszentrum Hörde."
            ),
            "{}",
            text(&a, "upcoming_menu")
        );
        let a = d.handle(Event::Key('2'));
        assert_eq!(said(&a), ["upcoming_cancel_menu"]);
        assert!(text(&a, "upcoming_cancel_menu").starts_with("Soll ich Gymnastik im Sitzen, am Donnerstag"));
        let a = d.handle(Event::Key('1'));
        assert!(said(&a).is_empty(), "nothing is confirmed before it is done");
        let Some(Action::CancelBooking(order)) = a.last() else { panic!("{a:?}") };
        assert_eq!((order.booking_id.as_str(), order.booker.person_id.as_deref()), ("b1", Some("p1")));
        let a = d.handle(Event::Cancelled(Ok(())));
        assert_eq!(said(&a), ["upcoming_cancelled", "main_menu"]);
        assert_eq!(d.outcome(), Some("booking_cancelled"));
        d.handle(Event::HangUp);
        assert_eq!(d.outcome(), Some("booking_cancelled"));
        assert_eq!(d.path(), "main>upcoming>menu:upcoming_cancel>upcoming:cancel>cancelled>hangup");
    }

    #[test]
    fn a_returning_caller_keeps_her_booking_or_goes_to_the_menu() {
        let ctx = CallContext { upcoming: vec![Upcoming::Booking(booking())], ..erika_with_areas() };
        let mut d = Dialog::new(prompts(), ctx.clone());
        d.handle(Event::CallStarted);
        assert_eq!(said(&d.handle(Event::Key('1'))), ["upcoming_kept", "main_menu"]);
        let mut d = Dialog::new(prompts(), ctx.clone());
        d.handle(Event::CallStarted);
        assert_eq!(said(&d.handle(Event::Key('3'))), ["main_menu"]);
        assert_eq!(said(&d.handle(Event::Key('#'))), ["upcoming_menu"]);
        d.handle(Event::Key('2'));
        assert_eq!(said(&d.handle(Event::Key('2'))), ["upcoming_kept", "main_menu"], "no: kept");
        let mut d = Dialog::new(prompts(), ctx.clone());
        d.handle(Event::CallStarted);
        d.handle(speech("absagen bitte"));
        assert!(matches!(d.handle(speech("ja")).last(), Some(Action::CancelBooking(_))));
        assert_eq!(said(&d.handle(Event::Cancelled(Err(())))), ["upcoming_cancel_failed", "main_menu"]);
        let called_off = Booking { date_cancelled: true, ..booking() };
        let mut d = Dialog::new(prompts(), CallContext { upcoming: vec![Upcoming::Booking(called_off), ride()], ..ctx });
        let a = d.handle(Event::CallStarted);
        assert_eq!(said(&a), ["greeting_known", "upcoming_called_off", "upcoming_ride_menu"], "then her ride");
    }

    pub(in crate::dialog::engine) fn ride() -> Upcoming {
        Upcoming::Ride(UpcomingRide {
            id: "r1".into(),
            destination: "Augenarztpraxis Dr. Lindner".into(),
            appointment_at: parse_local("2026-12-01T09:30").unwrap(),
            ticket_id: None,
        })
    }

    #[test]
    fn a_returning_caller_cancels_her_ride() {
        let mut d = Dialog::new(prompts(), CallContext { upcoming: vec![ride(), Upcoming::Booking(booking())], ..erika_with_areas() });
        let a = d.handle(Event::CallStarted);
        assert_eq!(said(&a), ["greeting_known", "upcoming_ride_menu"]);
        assert!(
            text(&a, "upcoming_ride_menu").starts_with(
                "Sie haben eine Fahrt am Dienstag, dem ersten Dezember, zum Termin um neun Uhr dreißig, zur Augenarztpraxis Dr. Lindner."
            ),
            "{}",
            text(&a, "upcoming_ride_menu")
        );
        assert_eq!(said(&d.handle(Event::Key('2'))), ["upcoming_ride_cancel_menu"]);
        let a = d.handle(Event::Key('1'));
        assert_eq!(a.last(), Some(&Action::CancelRide(CancelRideOrder { ride_id: "r1".into(), person_id: "p1".into() })));
        assert_eq!(said(&d.handle(Event::Cancelled(Ok(())))), ["upcoming_ride_cancelled", "main_menu"]);
        assert_eq!(d.outcome(), Some("ride_cancelled"));
        // Keeping the ride goes on to the booking.
        let mut d = Dialog::new(prompts(), CallContext { upcoming: vec![ride(), Upcoming::Booking(booking())], ..erika_with_areas() });
        d.handle(Event::CallStarted);
        assert_eq!(said(&d.handle(Event::Key('1'))), ["upcoming_kept", "upcoming_menu"]);
    }
}
