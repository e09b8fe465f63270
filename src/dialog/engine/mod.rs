//! The first dialog: greeting, main menu and the advisor-callback path by keypad.

mod caregiver;
mod offers;
mod ride;

use caregiver::CareDraft;
pub use caregiver::{ActingFor, PinOrder, PinOutcome};
use offers::OffersDraft;
pub use offers::{BookingOrder, BookingOutcome, CancelOrder, CancelRideOrder, OfferAreas, OfferSearch, OfferSearchResult, Upcoming};
pub use ride::RideOffer;
use ride::{PlaceMenu, RideDraft, RideNote};

use super::prompts::{Menu, Prompts};
use crate::domain::caregivers::CaredFor;
use crate::domain::tickets::{DailyWindow, NewTicket, TicketKind};
use crate::domain::{PhoneNumber, Postcode};
use crate::rides::Point;
use crate::rides::phone::RideOrder;
use crate::speech::keywords::Keyword;
use crate::speech::numbers_de::digits_in_groups;
use crate::speech::stt::Listen;
use crate::speech::understand::{self, Expectation, Understood};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use chrono_tz::Tz;
use std::sync::Arc;

/// Something that happened on the line.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    CallStarted,
    /// One key (0-9, * or #).
    Key(char),
    /// Recognised speech (from the speech pipeline, where it runs).
    Speech {
        text: String,
        confidence: f32,
        /// The closed-set phrase the recogniser also heard (`speech::stt::Phrase`), used
        /// when the text says nothing this step understands.
        phrase: Option<String>,
    },
    /// The keyword spotter heard a keyword (at any time, also over a prompt).
    Keyword(Keyword),
    /// The caller said nothing for the whole listening time.
    Silence,
    /// Outcome of the last [`Action::Store`].
    Stored(Result<Stored, ()>),
    /// The voice message asked for by [`Action::Record`] is saved at this path (inside the
    /// data directory), or `None` when the caller said nothing.
    Recorded(Option<String>),
    /// Outcome of the last [`Action::FindOffers`].
    OffersFound(OfferSearchResult),
    /// Outcome of the last [`Action::BookOffer`].
    Booked(BookingOutcome),
    /// Outcome of the last [`Action::CancelBooking`] or [`Action::CancelRide`].
    Cancelled(Result<(), ()>),
    /// Outcome of the last [`Action::CheckPin`].
    PinChecked(PinOutcome),
    HangUp,
}

/// What the domain reports back after storing a request.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub office_name: String,
}

/// A prompt to speak: its id and the values for its placeholders.
#[derive(Debug, Clone, PartialEq)]
pub struct Say {
    pub id: String,
    pub args: Vec<(String, String)>,
}

impl Say {
    fn new(id: &str) -> Say {
        Say { id: id.to_string(), args: Vec::new() }
    }

    fn with(id: &str, args: &[(&str, String)]) -> Say {
        Say { id: id.to_string(), args: args.iter().map(|(k, v)| (k.to_string(), v.clone())).collect() }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Say(Say),
    /// Wait for input once everything queued has been played.
    Listen,
    /// Commit this request, then report [`Event::Stored`]. The caller hears the
    /// confirmation only after that.
    Store(NewTicket),
    /// End the call once everything queued has been played.
    HangUp,
    /// Commit this ride booking with its ticket, then report [`Event::Stored`].
    StoreRide(Box<RideOrder>),
    /// Put the caller through to this number once everything queued has been played;
    /// the conversation with the hotline ends there.
    Transfer(PhoneNumber),
    /// Once everything queued has been played, sound a tone and record a voice message
    /// (up to a minute, ended by a key or silence), then report [`Event::Recorded`].
    Record,
    /// Look for offers, then report [`Event::OffersFound`].
    FindOffers(OfferSearch),
    /// Book seats (the booking and its ticket in one transaction), then report
    /// [`Event::Booked`]. The caller hears the confirmation only after that.
    BookOffer(Box<BookingOrder>),
    /// Cancel a booking, then report [`Event::Cancelled`].
    CancelBooking(CancelOrder),
    /// Cancel a ride with its return trip, then report [`Event::Cancelled`].
    CancelRide(CancelRideOrder),
    /// Check a caregiver's PIN (counting wrong ones), then report [`Event::PinChecked`].
    CheckPin(PinOrder),
}

/// What is known about the caller when the call starts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallContext {
    pub caller: Option<PhoneNumber>,
    pub person: Option<KnownPerson>,
    /// Where "a person, please" is put through to: set only while that office is open.
    pub transfer: Option<TransferTarget>,
    /// The caller is back because nobody answered the transfer.
    pub after_failed_transfer: bool,
    /// The offices' date today, for spoken dates ("morgen", "am Dienstag").
    pub today: NaiveDate,
    /// The offices' clock time when the call started, and their time zone: callback
    /// windows are days and times there.
    pub time: NaiveTime,
    pub timezone: Tz,
    /// The caller's ride service, when rides can be booked on the phone.
    pub ride: Option<RideOffer>,
    /// The caller's bookings and rides from now on, soonest first (a registered caller's only).
    pub upcoming: Vec<Upcoming>,
    /// Districts and parts of town a caller may name for offers near them.
    pub offer_areas: OfferAreas,
    /// People the caller looks after as a caregiver (their number is registered for them).
    pub caregiving: Vec<CaredFor>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TransferTarget {
    pub office_name: String,
    pub number: PhoneNumber,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KnownPerson {
    pub id: String,
    pub name: String,
    pub office_id: Option<String>,
    pub postcode: Option<Postcode>,
    /// Home address on file, where rides start.
    pub street: Option<String>,
    pub wheelchair: bool,
    pub rollator: bool,
    /// Position of the home address, when the office checked it.
    pub home: Option<Point>,
}

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Menu(String),
    EnterNumber(String),
    EnterPostcode(String),
    /// Where the ride goes: the office's known places, by key or name.
    ChoosePlace,
    /// Day and month of an appointment, four digits.
    EnterDate(String),
    /// Time of an appointment, four digits.
    EnterTime(String),
    /// Recording the caller's voice message for the advisor.
    Recording,
    /// A postcode for offers near it, five digits.
    OfferPostcode(String),
    /// The offices' districts, by key or any part of town by name.
    ChooseDistrict,
    /// Waiting for offers found.
    Searching,
    /// One offer of those found read out, with what can be done with it.
    Offer(usize),
    /// Whom a caregiver calls for: the people they look after, by key or name.
    ChooseCared,
    /// A caregiver's PIN, 4 to 6 digits.
    EnterPin(String),
    /// Waiting for the PIN to be checked.
    CheckingPin,
    Storing,
    Finished,
}

/// Longest number E.164 allows, plus a national leading 0.
const MAX_NUMBER_DIGITS: usize = 16;
/// Consecutive silences before the call is ended (with an explanation).
const MAX_SILENCES: u32 = 3;
/// Topic of the urgent callback for a caller who mentioned an emergency.
const EMERGENCY_TOPIC: &str = "notfall";
/// Misunderstood spoken answers before the caller is asked to use the keypad.
const MAX_MISUNDERSTOOD: u32 = 2;

pub struct Dialog {
    prompts: Arc<Prompts>,
    ctx: CallContext,
    step: Step,
    /// Steps to return to with `#`.
    history: Vec<Step>,
    kind: TicketKind,
    topic: String,
    number: Option<PhoneNumber>,
    postcode: Option<Postcode>,
    silences: u32,
    misunderstood: u32,
    path: Vec<String>,
    outcome: Option<&'static str>,
    ride: RideDraft,
    place_menu: PlaceMenu,
    advice: AdviceDraft,
    offers: OffersDraft,
    care: CareDraft,
    /// The caller mentioned an emergency during this call.
    emergency: bool,
}

/// What an advisor callback collects after the number: when to call, and a message.
#[derive(Debug, Default)]
struct AdviceDraft {
    /// The caller chose a topic for an advisor (other callbacks ask no more).
    asked_for: bool,
    /// `Some(None)`: any time is fine.
    window: Option<Option<(DateTime<Utc>, DateTime<Utc>)>>,
    message_offered: bool,
    /// Where the recorded message is stored.
    message: Option<String>,
}

impl Dialog {
    pub fn new(prompts: Arc<Prompts>, ctx: CallContext) -> Dialog {
        let ctx_places = ctx.ride.as_ref().map(|r| PlaceMenu::new(&r.places)).unwrap_or_default();
        let offers = OffersDraft::new(&ctx.offer_areas);
        let care = CareDraft::new(&ctx);
        Dialog {
            prompts,
            ctx,
            step: Step::Menu("main".into()),
            history: Vec::new(),
            kind: TicketKind::Callback,
            topic: String::new(),
            number: None,
            postcode: None,
            silences: 0,
            misunderstood: 0,
            path: Vec::new(),
            outcome: None,
            ride: RideDraft::default(),
            place_menu: ctx_places,
            advice: AdviceDraft::default(),
            offers,
            care,
            emergency: false,
        }
    }

    /// The steps taken so far, for the `calls` row ("main>callback>topic:pflege>...").
    pub fn path(&self) -> String {
        self.path.join(">")
    }

    /// How the call ended, once it has.
    pub fn outcome(&self) -> Option<&'static str> {
        self.outcome
    }

    pub fn is_finished(&self) -> bool {
        self.step == Step::Finished
    }

    pub fn handle(&mut self, event: Event) -> Vec<Action> {
        if self.step == Step::Finished {
            return Vec::new();
        }
        let mut out = Vec::new();
        match event {
            Event::CallStarted if self.ctx.after_failed_transfer => {
                self.path.push("transfer_failed".into());
                self.callback_instead(TicketKind::Callback, "persoenlich", "transfer_failed", &mut out);
            }
            Event::CallStarted => {
                self.path.push("main".into());
                match &self.ctx.person {
                    Some(p) => out.push(Action::Say(Say::with("greeting_known", &[("name", p.name.clone())]))),
                    None => out.push(Action::Say(Say::new("greeting"))),
                }
                if self.ctx.person.is_none() || !self.tell_upcoming(&mut out) {
                    self.prompt_step(&mut out);
                }
            }
            Event::Key(key) => {
                self.silences = 0;
                self.on_key(key, &mut out);
            }
            Event::Speech { text, phrase, .. } => {
                self.silences = 0;
                self.on_speech(&text, phrase.as_deref(), &mut out);
            }
            Event::Keyword(keyword) => {
                self.silences = 0;
                self.on_keyword(keyword, &mut out);
            }
            Event::Silence => self.on_silence(&mut out),
            Event::Stored(result) => self.on_stored(result, &mut out),
            Event::Recorded(message) => self.on_recorded(message, &mut out),
            Event::OffersFound(result) => self.on_offers_found(result, &mut out),
            Event::Booked(outcome) => self.on_booked(outcome, &mut out),
            Event::Cancelled(result) => self.on_cancelled(result, &mut out),
            Event::PinChecked(outcome) => self.on_pin_checked(outcome, &mut out),
            Event::HangUp => {
                self.path.push("hangup".into());
                self.outcome.get_or_insert(if self.step == Step::Storing { "hung_up_while_storing" } else { "caller_hung_up" });
                self.step = Step::Finished;
            }
        }
        if self.care.acting.is_some() {
            self.about_the_person(&mut out);
        }
        out
    }

    /// A caregiver hears about the person they act for, not about themselves: each prompt
    /// with a `_for` form in the prompt files ("Fahren Sie im Rollstuhl?" -> "Fährt Erika
    /// Mustermann im Rollstuhl?") is said in that form, with the person's `{name}`.
    fn about_the_person(&self, out: &mut [Action]) {
        let Some(person) = &self.ctx.person else { return };
        for action in out {
            if let Action::Say(say) = action
                && let Ok(text) = self.prompts.text(&format!("{}_for", say.id))
            {
                if text.contains("{name}") && !say.args.iter().any(|(k, _)| k == "name") {
                    say.args.push(("name".into(), person.name.clone()));
                }
                say.id.push_str("_for");
            }
        }
    }

    fn menu(&self, id: &str) -> &Menu {
        self.prompts.menu(id).expect("menus named in the dialog exist (checked by tests)")
    }

    /// Speaks the current step's question and listens.
    fn prompt_step(&self, out: &mut Vec<Action>) {
        let say = match &self.step {
            Step::Menu(id) => {
                let prompt = &self.menu(id).prompt;
                // Confirmations read back what was collected; other menus have no placeholders.
                if self.prompts.is_static(prompt) {
                    Say::new(prompt)
                } else {
                    let mut args = self.ride_summary();
                    args.extend(self.offer_args());
                    args.push(("number", self.spoken_number()));
                    let text = self.prompts.text(prompt).unwrap_or_default();
                    args.retain(|(name, _)| text.contains(&format!("{{{name}}}")));
                    Say::with(prompt, &args)
                }
            }
            Step::EnterNumber(_) => Say::new("enter_number"),
            Step::EnterPostcode(_) => Say::new("enter_postcode"),
            Step::EnterDate(_) => Say::new("ride_date"),
            Step::EnterTime(_) => Say::new("ride_time"),
            Step::OfferPostcode(_) => Say::new("offers_postcode"),
            Step::EnterPin(_) => Say::new("caregiver_pin"),
            Step::ChooseCared => {
                self.cared_prompt(out);
                out.push(Action::Listen);
                return;
            }
            Step::ChoosePlace => {
                self.ride_place_prompt(out);
                out.push(Action::Listen);
                return;
            }
            Step::ChooseDistrict => {
                self.district_prompt(out);
                out.push(Action::Listen);
                return;
            }
            Step::Offer(_) => {
                self.offer_prompt(out);
                out.push(Action::Listen);
                return;
            }
            Step::Recording | Step::Searching | Step::CheckingPin | Step::Storing | Step::Finished => return,
        };
        out.push(Action::Say(say));
        out.push(Action::Listen);
    }

    fn spoken_number(&self) -> String {
        self.number.as_ref().map(|n| digits_in_groups(&n.dialable_digits())).unwrap_or_default()
    }

    fn go(&mut self, step: Step, out: &mut Vec<Action>) {
        let previous = std::mem::replace(&mut self.step, step);
        if !matches!(previous, Step::Searching | Step::CheckingPin | Step::Storing | Step::Finished) {
            self.history.push(previous);
        }
        self.misunderstood = 0;
        self.prompt_step(out);
    }

    fn back(&mut self, out: &mut Vec<Action>) {
        self.path.push("back".into());
        // An offer of an earlier search is no step to go back to.
        let mut previous = self.history.pop();
        while let Some(Step::Offer(i)) = previous {
            if self.select_offer(i) {
                break;
            }
            previous = self.history.pop();
        }
        if let Some(previous) = previous {
            self.step = match previous {
                // Going back into digit entry starts that entry afresh.
                Step::EnterNumber(_) => Step::EnterNumber(String::new()),
                Step::EnterPostcode(_) => Step::EnterPostcode(String::new()),
                Step::EnterDate(_) => Step::EnterDate(String::new()),
                Step::EnterTime(_) => Step::EnterTime(String::new()),
                Step::OfferPostcode(_) => Step::OfferPostcode(String::new()),
                Step::EnterPin(_) => Step::EnterPin(String::new()),
                other => other,
            };
        }
        self.prompt_step(out);
    }

    fn on_key(&mut self, key: char, out: &mut Vec<Action>) {
        match (&mut self.step, key) {
            // Keys end a recording in the call task; none reach the dialog then.
            (Step::Recording | Step::Searching | Step::CheckingPin | Step::Storing | Step::Finished, _) => {}
            (_, '*') => {
                self.path.push("repeat".into());
                if let Step::EnterNumber(d)
                | Step::EnterPostcode(d)
                | Step::EnterDate(d)
                | Step::EnterTime(d)
                | Step::OfferPostcode(d)
                | Step::EnterPin(d) = &mut self.step
                {
                    d.clear();
                }
                self.prompt_step(out);
            }
            (Step::EnterNumber(digits), '#') => {
                let digits = std::mem::take(digits);
                self.finish_number(&digits, out);
            }
            (Step::EnterNumber(digits), d) if d.is_ascii_digit() => {
                digits.push(d);
                if digits.len() >= MAX_NUMBER_DIGITS {
                    let digits = std::mem::take(digits);
                    self.finish_number(&digits, out);
                }
            }
            (Step::EnterPostcode(digits), d) if d.is_ascii_digit() => {
                digits.push(d);
                if digits.len() == 5 {
                    let digits = std::mem::take(digits);
                    self.finish_postcode(&digits, out);
                }
            }
            (Step::EnterPostcode(digits), '#') if !digits.is_empty() => {
                let digits = std::mem::take(digits);
                self.finish_postcode(&digits, out);
            }
            (Step::EnterDate(digits) | Step::EnterTime(digits), d) if d.is_ascii_digit() => {
                digits.push(d);
                if digits.len() == 4 {
                    let digits = std::mem::take(digits);
                    match self.step {
                        Step::EnterDate(_) => self.finish_date_digits(&digits, out),
                        _ => self.finish_time_digits(&digits, out),
                    }
                }
            }
            (Step::ChoosePlace, d) if d.is_ascii_digit() => self.ride_place_key(d, out),
            (Step::OfferPostcode(digits), d) if d.is_ascii_digit() => {
                digits.push(d);
                if digits.len() == 5 {
                    let digits = std::mem::take(digits);
                    self.finish_offer_postcode(&digits, out);
                }
            }
            (Step::OfferPostcode(digits), '#') if !digits.is_empty() => {
                let digits = std::mem::take(digits);
                self.finish_offer_postcode(&digits, out);
            }
            (Step::ChooseDistrict, d) if d.is_ascii_digit() => self.district_key(d, out),
            (Step::EnterPin(digits), d) if d.is_ascii_digit() => {
                digits.push(d);
                if digits.len() == 6 {
                    let digits = std::mem::take(digits);
                    self.finish_pin(&digits, out);
                }
            }
            (Step::EnterPin(digits), '#') if !digits.is_empty() => {
                let digits = std::mem::take(digits);
                self.finish_pin(&digits, out);
            }
            (Step::ChooseCared, d) if d.is_ascii_digit() => self.cared_key(d, out),
            (Step::Offer(_), d) if d.is_ascii_digit() => self.offer_key(d, out),
            (_, '#') => self.back(out),
            (Step::Menu(id), key) => {
                let id = id.clone();
                match self.menu(&id).option_for_key(key).map(|o| o.goto.clone()) {
                    Some(goto) => self.choose(&goto, out),
                    None => {
                        out.push(Action::Say(Say::new("invalid_key")));
                        self.prompt_step(out);
                    }
                }
            }
            (_, _) => {
                out.push(Action::Say(Say::new("invalid_key")));
                self.prompt_step(out);
            }
        }
    }

    /// What the current step expects, for understanding speech and steering recognition.
    fn expectation(&self) -> Option<Expectation<'_>> {
        Some(match &self.step {
            Step::Menu(id) if self.menu(id).is_yes_no() => Expectation::YesNo,
            Step::Menu(id) => Expectation::Menu(self.menu(id)),
            Step::EnterNumber(_) => Expectation::Number { min_digits: 3, max_digits: MAX_NUMBER_DIGITS },
            Step::EnterPostcode(_) => Expectation::Number { min_digits: 5, max_digits: 5 },
            Step::ChoosePlace => Expectation::Menu(&self.place_menu),
            Step::EnterDate(_) => Expectation::Date,
            Step::EnterTime(_) => Expectation::Time,
            Step::OfferPostcode(_) => Expectation::Number { min_digits: 5, max_digits: 5 },
            Step::ChooseDistrict => Expectation::Menu(&self.offers.district_list),
            Step::Offer(_) => Expectation::Menu(self.menu(self.offer_menu_id())),
            Step::ChooseCared => Expectation::Menu(&self.care.menu),
            Step::EnterPin(_) => Expectation::Number { min_digits: 4, max_digits: 6 },
            Step::Recording | Step::Searching | Step::CheckingPin | Step::Storing | Step::Finished => return None,
        })
    }

    /// What the speech recogniser is told about the answer expected now (the words the
    /// caller is likely to say), or `None` when the dialog waits for no answer (storing a
    /// request, finished).
    pub fn listen(&self) -> Option<Listen> {
        self.expectation().map(|e| understand::listen(&e, self.ctx.today))
    }

    /// "Hilfe" and "Mitarbeiter" ask for a person like the 0, "wiederholen" repeats like
    /// the *, "zurück" goes back (not the #, which ends a number being typed). Only while
    /// the dialog waits for an answer: not while a request is being stored.
    fn on_keyword(&mut self, keyword: Keyword, out: &mut Vec<Action>) {
        if self.expectation().is_none() {
            return;
        }
        self.path.push(format!("keyword:{}", keyword.name()));
        match keyword {
            Keyword::Help | Keyword::Agent => self.choose("person", out),
            Keyword::Repeat => self.on_key('*', out),
            Keyword::Back => self.back(out),
        }
    }

    fn on_speech(&mut self, text: &str, phrase: Option<&str>, out: &mut Vec<Action>) {
        if self.expectation().is_some() && understand::emergency(text) {
            // Asked whether to reach the office, an emergency word means yes.
            return if self.step == Step::Menu("emergency".into()) { self.on_key('1', out) } else { self.emergency(out) };
        }
        // Where offers are looked for, a part of town or a postcode may be said at once.
        let asks_place = matches!(&self.step, Step::ChooseDistrict) || self.step == Step::Menu("offers_where".into());
        if asks_place && self.spoken_area(text, out) {
            return;
        }
        let Some(expectation) = self.expectation() else { return };
        let understood = understand::understand_heard(text, phrase, &expectation, self.ctx.today);
        let yes_no = match &self.step {
            Step::Menu(id) => (self.menu(id).yes, self.menu(id).no),
            _ => (None, None),
        };
        // Spoken answers become the key that means the same, so both share one path.
        let key = match understood {
            Some(Understood::Key(k)) => Some(k),
            Some(Understood::Yes) => yes_no.0,
            Some(Understood::No) => yes_no.1,
            Some(Understood::Repeat) => Some('*'),
            Some(Understood::Back) => Some('#'),
            Some(Understood::Person) => {
                self.path.push("said:person".into());
                return self.choose("person", out);
            }
            Some(Understood::Digits(digits)) => {
                self.path.push("said:digits".into());
                return match &self.step {
                    Step::EnterPostcode(_) => self.finish_postcode(&digits, out),
                    Step::OfferPostcode(_) => self.finish_offer_postcode(&digits, out),
                    Step::EnterPin(_) => self.finish_pin(&digits, out),
                    _ => self.finish_number(&digits, out),
                };
            }
            Some(Understood::Date(date)) if matches!(self.step, Step::EnterDate(_)) => {
                self.path.push("said:date".into());
                return self.accept_date(date, out);
            }
            Some(Understood::Time(time)) if matches!(self.step, Step::EnterTime(_)) => {
                self.path.push("said:time".into());
                return self.accept_time(time, out);
            }
            Some(Understood::Date(_) | Understood::Time(_)) | None => None,
        };
        match key {
            Some(key) => {
                self.path.push("said".into());
                self.on_key(key, out);
            }
            None => {
                self.misunderstood += 1;
                out.push(Action::Say(Say::new("not_understood")));
                if self.misunderstood >= MAX_MISUNDERSTOOD {
                    out.push(Action::Say(Say::new("use_keypad")));
                }
                self.prompt_step(out);
            }
        }
    }

    fn on_silence(&mut self, out: &mut Vec<Action>) {
        match &mut self.step {
            Step::Recording | Step::Searching | Step::CheckingPin | Step::Storing | Step::Finished => return,
            Step::OfferPostcode(digits) if !digits.is_empty() => {
                let digits = std::mem::take(digits);
                return self.finish_offer_postcode(&digits, out);
            }
            // A pause after typing digits means "that's all".
            Step::EnterNumber(digits) if !digits.is_empty() => {
                let digits = std::mem::take(digits);
                return self.finish_number(&digits, out);
            }
            Step::EnterPin(digits) if !digits.is_empty() => {
                let digits = std::mem::take(digits);
                return self.finish_pin(&digits, out);
            }
            // Too few digits for a date or time: say so and ask again.
            Step::EnterDate(digits) if !digits.is_empty() => {
                let digits = std::mem::take(digits);
                return self.finish_date_digits(&digits, out);
            }
            Step::EnterTime(digits) if !digits.is_empty() => {
                let digits = std::mem::take(digits);
                return self.finish_time_digits(&digits, out);
            }
            _ => {}
        }
        self.silences += 1;
        self.path.push("silence".into());
        match self.silences {
            1 => out.push(Action::Say(Say::new("no_input"))),
            n if n < MAX_SILENCES => out.push(Action::Say(Say::new("no_input_again"))),
            // Someone who spoke of an emergency and then fell silent is not simply hung up on.
            _ if self.emergency && self.ctx.caller.is_some() => {
                self.path.push("emergency:silent".into());
                self.kind = TicketKind::Callback;
                self.topic = EMERGENCY_TOPIC.into();
                self.number = self.ctx.caller.clone();
                out.push(Action::Say(Say::new("emergency_silent")));
                self.store(out);
                return;
            }
            _ => {
                out.push(Action::Say(Say::new("goodbye_no_input")));
                out.push(Action::HangUp);
                self.outcome = Some("no_input");
                self.step = Step::Finished;
                return;
            }
        }
        self.prompt_step(out);
    }

    fn choose(&mut self, goto: &str, out: &mut Vec<Action>) {
        self.path.push(goto.to_string());
        match goto {
            "callback" => {
                self.offers.number_for_booking = false;
                self.kind = TicketKind::Callback;
                self.go(Step::Menu("callback_topic".into()), out)
            }
            "offers" => self.start_offers(out),
            "emergency:office" if self.ctx.transfer.is_none() => {
                self.callback_instead(TicketKind::Callback, EMERGENCY_TOPIC, "emergency_callback", out)
            }
            "emergency:office" => self.choose("person", out),
            "emergency:continue" => self.back(out),
            "ride" => self.start_ride(out),
            "caregiver" => self.start_caregiver(out),
            "person" => match self.ctx.transfer.clone() {
                Some(target) => {
                    self.path.push("transfer".into());
                    out.push(Action::Say(Say::with("transfer_connecting", &[("office", target.office_name)])));
                    out.push(Action::Transfer(target.number));
                    self.outcome = Some("transferred");
                    self.step = Step::Finished;
                }
                None => self.callback_instead(TicketKind::Callback, "persoenlich", "person_by_callback", out),
            },
            "number:ok" => self.after_number(out),
            "message:no" => {
                self.advice.message_offered = true;
                self.before_store(out)
            }
            "message:yes" => {
                self.advice.message_offered = true;
                out.push(Action::Say(Say::new("message_record")));
                out.push(Action::Record);
                self.step = Step::Recording;
            }
            "number:other" => self.go(Step::EnterNumber(String::new()), out),
            other => {
                if let Some(topic) = other.strip_prefix("topic:") {
                    self.topic = topic.to_string();
                    self.advice.asked_for = true;
                    return self.ask_number(out);
                }
                if let Some(window) = other.strip_prefix("window:") {
                    return self.choose_window(window, out);
                }
                if let Some(menu) = other.strip_prefix("menu:") {
                    return self.go(Step::Menu(menu.to_string()), out);
                }
                if let Some(target) = other.strip_prefix("ride:") {
                    return self.ride_choice(target, out);
                }
                if let Some(target) = other.strip_prefix("offers:") {
                    return self.offers_choice(target, out);
                }
                if let Some(target) = other.strip_prefix("upcoming:") {
                    return self.upcoming_choice(target, out);
                }
                if let Some(target) = other.strip_prefix("caregiver:") {
                    return self.caregiver_choice(target, out);
                }
                // Menus are validated at load; an unknown target is a prompt-file bug.
                tracing::error!(goto = other, "menu option goes nowhere");
                out.push(Action::Say(Say::new("invalid_key")));
                self.prompt_step(out)
            }
        }
    }

    /// The request is an urgent callback: an emergency was mentioned.
    fn urgent(&self) -> bool {
        self.topic == EMERGENCY_TOPIC
    }

    /// Possibly an emergency: first and clearly the 112, then the office at once, or on
    /// with what the caller was doing.
    fn emergency(&mut self, out: &mut Vec<Action>) {
        self.path.push("emergency".into());
        self.emergency = true;
        out.push(Action::Say(Say::new("emergency_112")));
        self.go(Step::Menu("emergency".into()), out);
    }

    /// A request that a person at the office takes up by calling back, said with `intro`.
    fn callback_instead(&mut self, kind: TicketKind, topic: &str, intro: &str, out: &mut Vec<Action>) {
        self.offers.number_for_booking = false;
        self.kind = kind;
        self.topic = topic.into();
        out.push(Action::Say(Say::new(intro)));
        self.ask_number(out);
    }

    fn ask_number(&mut self, out: &mut Vec<Action>) {
        match self.ctx.caller.clone() {
            Some(caller) => {
                self.number = Some(caller);
                self.go(Step::Menu("confirm_number".into()), out);
            }
            None => self.go(Step::EnterNumber(String::new()), out),
        }
    }

    fn finish_number(&mut self, digits: &str, out: &mut Vec<Action>) {
        match PhoneNumber::parse(digits) {
            Ok(number) => {
                self.path.push("number:typed".into());
                self.number = Some(number);
                // Replace the entry step: "back" from the confirmation re-enters the number.
                self.step = Step::EnterNumber(String::new());
                self.go(Step::Menu("confirm_typed_number".into()), out);
            }
            Err(_) => {
                out.push(Action::Say(Say::new("number_invalid")));
                self.prompt_step(out);
            }
        }
    }

    fn finish_postcode(&mut self, digits: &str, out: &mut Vec<Action>) {
        match Postcode::parse(digits) {
            Ok(pc) => {
                self.path.push(format!("postcode:{pc}"));
                self.postcode = Some(pc);
                self.before_store(out);
            }
            Err(_) => {
                out.push(Action::Say(Say::new("postcode_invalid")));
                self.prompt_step(out);
            }
        }
    }

    fn after_number(&mut self, out: &mut Vec<Action>) {
        if self.number_was_for_booking(out) {
            return;
        }
        let routed =
            self.ctx.person.as_ref().is_some_and(|p| p.office_id.is_some() || p.postcode.is_some()) || self.cared_office().is_some();
        if routed {
            self.before_store(out);
        } else {
            self.go(Step::EnterPostcode(String::new()), out);
        }
    }

    /// An advisor callback asks when to call and offers a message before it is stored.
    fn before_store(&mut self, out: &mut Vec<Action>) {
        if self.advice.asked_for && self.advice.window.is_none() {
            self.go(Step::Menu("callback_window".into()), out);
        } else if self.advice.asked_for && !self.advice.message_offered {
            self.go(Step::Menu("message_offer".into()), out);
        } else if let Some(note) = self.ride.note.filter(|_| !self.advice.message_offered) {
            self.advice.message_offered = true;
            out.push(Action::Say(Say::new(note.prompts().0)));
            out.push(Action::Record);
            self.step = Step::Recording;
        } else {
            self.store(out);
        }
    }

    /// `window` is "any" or local times "09:00-12:00" (checked when the prompts load).
    fn choose_window(&mut self, window: &str, out: &mut Vec<Action>) {
        let daily = DailyWindow::parse(window).unwrap_or_else(|e| {
            tracing::error!(error = %e, "callback window in the prompt files unreadable; taken as any time");
            None
        });
        let start = NaiveDateTime::new(self.ctx.today, self.ctx.time);
        self.advice.window = Some(daily.and_then(|w| w.next_after(start, self.ctx.timezone)));
        self.before_store(out);
    }

    fn on_recorded(&mut self, message: Option<String>, out: &mut Vec<Action>) {
        if self.step != Step::Recording {
            return;
        }
        self.path.push(if message.is_some() { "message:recorded" } else { "message:empty" }.into());
        let (_, received, empty) = self.ride.note.map(RideNote::prompts).unwrap_or(("message_record", "message_received", "message_empty"));
        out.push(Action::Say(Say::new(if message.is_some() { received } else { empty })));
        self.advice.message = message;
        self.store(out);
    }

    fn store(&mut self, out: &mut Vec<Action>) {
        let person = self.ctx.person.as_ref();
        self.step = Step::Storing;
        out.push(Action::Store(NewTicket {
            kind: self.kind,
            topic: self.topic.clone(),
            callback_number: self.number.clone(),
            postcode: self.postcode.clone().or_else(|| person.and_then(|p| p.postcode.clone())),
            person_id: person.map(|p| p.id.clone()),
            person_office_id: person.and_then(|p| p.office_id.clone()).or_else(|| self.cared_office()),
            call_id: None,
            window: self.advice.window.flatten(),
            message_audio_path: self.advice.message.clone(),
            caregiver_id: self.care.acting.clone(),
            urgent: self.urgent(),
        }));
    }

    fn on_stored(&mut self, result: Result<Stored, ()>, out: &mut Vec<Action>) {
        if self.step != Step::Storing {
            return;
        }
        match result {
            Ok(stored) => {
                self.path.push("stored".into());
                if self.ride_booked() {
                    out.push(Action::Say(Say::with("ride_received", &[("office", stored.office_name)])));
                } else {
                    let received = if self.urgent() { "urgent_received" } else { "request_received" };
                    out.push(Action::Say(Say::with(received, &[("office", stored.office_name), ("number", self.spoken_number())])));
                }
                out.push(Action::Say(Say::new("goodbye")));
                self.outcome = Some("ticket_created");
            }
            Err(()) => {
                self.path.push("store_failed".into());
                out.push(Action::Say(Say::new("store_failed")));
                self.outcome = Some("store_failed");
            }
        }
        out.push(Action::HangUp);
        self.step = Step::Finished;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rides::phone::PlaceChoice;
    use chrono::NaiveTime;
    use std::path::Path;

    pub(super) fn prompts() -> Arc<Prompts> {
        Arc::new(Prompts::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("prompts/de")).unwrap())
    }

    pub(super) fn erika() -> CallContext {
        CallContext {
            caller: Some(PhoneNumber::parse("+4923155512345").unwrap()),
            person: Some(KnownPerson {
                id: "p1".into(),
                name: "Erika Mustermann".into(),
                office_id: Some("do-hoerde".into()),
                postcode: Some(Postcode::parse("44263").unwrap()),
                street: Some("Faßstraße 12".into()),
                wheelchair: false,
                rollator: true,
                home: Some(Point { lat: 51.4832, lon: 7.5062 }),
            }),
            ..CallContext::default()
        }
    }

    pub(super) fn today() -> NaiveDate {
        // A Wednesday.
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    /// Erika with the Hörde ride service: two places, appointments 8:00 to 12:00.
    fn erika_with_rides() -> CallContext {
        let place = |id: &str, name: &str| PlaceChoice { id: id.into(), name: name.into(), aliases: vec![] };
        CallContext {
            today: today(),
            ride: Some(RideOffer {
                places: vec![place("hausarzt", "Hausarztpraxis am Phoenix-See"), place("augen", "Augenarztpraxis Dr. Lindner")],
                first_appointment: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
                last_appointment: NaiveTime::from_hms_opt(12, 0, 0).unwrap(),
                min_lead_days: 1,
                horizon_days: 60,
                outside_area: None,
            }),
            ..erika()
        }
    }

    pub(super) fn keys(d: &mut Dialog, keys: &str) -> Vec<Action> {
        keys.chars().flat_map(|k| d.handle(Event::Key(k))).collect()
    }

    pub(super) fn said(actions: &[Action]) -> Vec<&str> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Say(s) => Some(s.id.as_str()),
                _ => None,
            })
            .collect()
    }

    pub(super) fn stored(actions: &[Action]) -> Option<&NewTicket> {
        actions.iter().find_map(|a| match a {
            Action::Store(t) => Some(t),
            _ => None,
        })
    }

    #[test]
    fn known_caller_requests_a_callback_with_three_keys() {
        let mut d = Dialog::new(prompts(), erika());
        let a = d.handle(Event::CallStarted);
        assert_eq!(said(&a), ["greeting_known", "main_menu"]);
        assert_eq!(a.last(), Some(&Action::Listen));
        assert_eq!(said(&d.handle(Event::Key('3'))), ["callback_topic_menu"]);
        let a = d.handle(Event::Key('1'));
        assert_eq!(said(&a), ["confirm_number"]);
        let Action::Say(confirm) = &a[0] else { panic!() };
        assert_eq!(confirm.args, vec![("number".to_string(), "null zwo drei, eins fünf fünf, fünf eins zwo, drei vier fünf".to_string())]);
        assert_eq!(said(&d.handle(Event::Key('1'))), ["callback_window_menu"]);
        assert_eq!(said(&d.handle(Event::Key('3'))), ["message_offer_menu"], "any time");
        let a = d.handle(Event::Key('2'));
        assert!(said(&a).is_empty(), "nothing is confirmed before the request is stored");
        let t = stored(&a).expect("store");
        assert_eq!(t.kind, TicketKind::Callback);
        assert_eq!(t.topic, "pflege");
        assert_eq!(t.callback_number.as_ref().unwrap().as_str(), "+4923155512345");
        assert_eq!(t.person_office_id.as_deref(), Some("do-hoerde"));
        assert_eq!((t.window, t.message_audio_path.as_deref()), (None, None));
        // Keys while storing change nothing.
        assert!(d.handle(Event::Key('1')).is_empty());
        let a = d.handle(Event::Stored(Ok(Stored { office_name: "Seniorenbüro Hörde".into() })));
        assert_eq!(said(&a), ["request_received", "goodbye"]);
        assert_eq!(a.last(), Some(&Action::HangUp));
        assert_eq!(d.outcome(), Some("ticket_created"));
        assert_eq!(d.path(), "main>callback>topic:pflege>number:ok>window:any>message:no>stored");
        assert!(d.is_finished());
    }

    /// Wednesday 25 November 2026, 10:30 in Berlin.
    fn erika_at_half_past_ten() -> CallContext {
        CallContext { today: today(), time: NaiveTime::from_hms_opt(10, 30, 0).unwrap(), timezone: chrono_tz::Europe::Berlin, ..erika() }
    }

    #[test]
    fn the_callback_window_is_the_next_working_day_window_with_notice() {
        let utc = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        // Morning has begun: tomorrow morning. The afternoon is still ahead: today.
        for (key, window) in
            [('1', ("2026-11-26T08:00:00Z", "2026-11-26T11:00:00Z")), ('2', ("2026-11-25T13:00:00Z", "2026-11-25T16:00:00Z"))]
        {
            let mut d = Dialog::new(prompts(), erika_at_half_past_ten());
            d.handle(Event::CallStarted);
            keys(&mut d, "311");
            let a = keys(&mut d, &format!("{key}2"));
            assert_eq!(stored(&a).unwrap().window, Some((utc(window.0), utc(window.1))));
        }
        // Friday afternoon at four: Monday.
        let friday = CallContext {
            today: today() + chrono::Days::new(2),
            time: NaiveTime::from_hms_opt(16, 0, 0).unwrap(),
            ..erika_at_half_past_ten()
        };
        let mut d = Dialog::new(prompts(), friday);
        d.handle(Event::CallStarted);
        let a = keys(&mut d, "31122");
        assert_eq!(stored(&a).unwrap().window, Some((utc("2026-11-30T13:00:00Z"), utc("2026-11-30T16:00:00Z"))));
        assert!(d.path().contains(">window:14:00-17:00>message:no"), "{}", d.path());
    }

    #[test]
    fn a_voice_message_is_recorded_before_the_request_is_stored() {
        let mut d = Dialog::new(prompts(), erika_at_half_past_ten());
        d.handle(Event::CallStarted);
        keys(&mut d, "3113");
        let a = d.handle(Event::Key('1'));
        assert_eq!(said(&a), ["message_record"]);
        assert_eq!(a.last(), Some(&Action::Record));
        // Nothing else happens while the caller speaks; keys end it in the call task.
        assert!(d.handle(Event::Silence).is_empty());
        assert!(d.listen().is_none(), "a message is not an answer to understand");
        let a = d.handle(Event::Recorded(Some("messages/m1.wav".into())));
        assert_eq!(said(&a), ["message_received"]);
        assert_eq!(stored(&a).unwrap().message_audio_path.as_deref(), Some("messages/m1.wav"));
        assert!(d.path().ends_with(">message:yes>message:recorded"), "{}", d.path());

        // Nothing said: told so kindly, and the request is stored all the same.
        let mut d = Dialog::new(prompts(), erika_at_half_past_ten());
        d.handle(Event::CallStarted);
        keys(&mut d, "31131");
        let a = d.handle(Event::Recorded(None));
        assert_eq!(said(&a), ["message_empty"]);
        assert_eq!(stored(&a).unwrap().message_audio_path, None);

        // Spoken: "vormittags", "ja".
        let mut d = Dialog::new(prompts(), erika_at_half_past_ten());
        d.handle(Event::CallStarted);
        keys(&mut d, "311");
        assert_eq!(said(&d.handle(speech("Am liebsten vormittags."))), ["message_offer_menu"]);
        assert_eq!(d.handle(speech("Ja, gern.")).last(), Some(&Action::Record));
    }

    #[test]
    fn anonymous_caller_types_number_and_postcode() {
        let mut d = Dialog::new(prompts(), CallContext::default());
        assert_eq!(said(&d.handle(Event::CallStarted)), ["greeting", "main_menu"]);
        d.handle(Event::Key('3'));
        d.handle(Event::Key('4'));
        assert_eq!(said(&d.handle(Event::Key('1'))), ["enter_number"]);
        for k in "0231555".chars() {
            assert!(d.handle(Event::Key(k)).is_empty());
        }
        assert_eq!(said(&d.handle(Event::Key('#'))), ["number_invalid", "enter_number"]);
        for k in "02315559876".chars() {
            d.handle(Event::Key(k));
        }
        assert_eq!(said(&d.handle(Event::Key('#'))), ["confirm_typed_number"]);
        assert_eq!(said(&d.handle(Event::Key('1'))), ["enter_postcode"]);
        for k in "4413".chars() {
            assert!(d.handle(Event::Key(k)).is_empty());
        }
        assert_eq!(said(&d.handle(Event::Key('7'))), ["callback_window_menu"]);
        assert_eq!(said(&d.handle(Event::Key('3'))), ["message_offer_menu"]);
        let a = d.handle(Event::Key('2'));
        let t = stored(&a).expect("stored after the last question");
        assert_eq!(t.topic, "digitale_hilfe");
        assert_eq!(t.postcode.as_ref().unwrap().as_str(), "44137");
        assert_eq!(t.callback_number.as_ref().unwrap().as_str(), "+492315559876");
        assert_eq!(t.person_id, None);
    }

    #[test]
    fn a_pause_after_typing_ends_the_number() {
        let mut d = Dialog::new(prompts(), CallContext::default());
        d.handle(Event::CallStarted);
        d.handle(Event::Key('3'));
        d.handle(Event::Key('1'));
        for k in "02315559876".chars() {
            d.handle(Event::Key(k));
        }
        assert_eq!(said(&d.handle(Event::Silence)), ["confirm_typed_number"]);
        // "2" re-enters the number.
        assert_eq!(said(&d.handle(Event::Key('2'))), ["enter_number"]);
    }

    #[test]
    fn wrong_keys_repeat_and_back_and_star_work() {
        let mut d = Dialog::new(prompts(), erika());
        d.handle(Event::CallStarted);
        assert_eq!(said(&d.handle(Event::Key('7'))), ["invalid_key", "main_menu"]);
        assert_eq!(said(&d.handle(Event::Key('*'))), ["main_menu"]);
        assert_eq!(said(&d.handle(Event::Key('#'))), ["main_menu"], "back at the top stays at the top");
        d.handle(Event::Key('3'));
        assert_eq!(said(&d.handle(Event::Key('4'))), ["callback_topic_more_menu"]);
        assert_eq!(said(&d.handle(Event::Key('#'))), ["callback_topic_menu"]);
        assert_eq!(said(&d.handle(Event::Key('#'))), ["main_menu"]);
    }

    #[test]
    fn silence_is_met_kindly_then_the_call_ends_with_an_explanation() {
        let mut d = Dialog::new(prompts(), erika());
        d.handle(Event::CallStarted);
        assert_eq!(said(&d.handle(Event::Silence)), ["no_input", "main_menu"]);
        assert_eq!(said(&d.handle(Event::Silence)), ["no_input_again", "main_menu"]);
        let a = d.handle(Event::Silence);
        assert_eq!(said(&a), ["goodbye_no_input"]);
        assert_eq!(a.last(), Some(&Action::HangUp));
        assert_eq!(d.outcome(), Some("no_input"));
    }

    #[test]
    fn a_key_resets_the_silence_count() {
        let mut d = Dialog::new(prompts(), erika());
        d.handle(Event::CallStarted);
        d.handle(Event::Silence);
        d.handle(Event::Silence);
        d.handle(Event::Key('*'));
        assert_eq!(said(&d.handle(Event::Silence)), ["no_input", "main_menu"]);
    }

    #[test]
    fn a_person_becomes_a_callback_while_the_office_is_closed() {
        let mut d = Dialog::new(prompts(), erika());
        d.handle(Event::CallStarted);
        assert_eq!(said(&d.handle(Event::Key('0'))), ["person_by_callback", "confirm_number"]);
        let a = d.handle(Event::Key('1'));
        let t = stored(&a).unwrap();
        assert_eq!((t.kind, t.topic.as_str()), (TicketKind::Callback, "persoenlich"));
    }

    /// "Notfall", "gestürzt", "Schmerzen" at any step: the 112 first, then the office at
    /// once (an urgent callback while it is closed), or on where the caller was.
    #[test]
    fn emergency_words_bring_the_112_then_the_office_or_back_to_the_question() {
        let mut d = Dialog::new(prompts(), erika());
        d.handle(Event::CallStarted);
        let a = d.handle(speech("Hilfe, ich bin gestürzt."));
        assert_eq!(said(&a), ["emergency_112", "emergency_menu"]);
        assert_eq!(a.last(), Some(&Action::Listen));
        assert_eq!(said(&d.handle(Event::Key('2'))), ["main_menu"], "2: on with the question");
        assert_eq!(said(&d.handle(Event::Key('3'))), ["callback_topic_menu"]);
        assert_eq!(said(&d.handle(speech("Ich habe so starke Schmerzen."))), ["emergency_112", "emergency_menu"]);
        assert_eq!(said(&d.handle(speech("Ja, bitte."))), ["emergency_callback", "confirm_number"]);
        let a = d.handle(Event::Key('1'));
        let t = stored(&a).expect("stored at once, without window or message");
        assert_eq!((t.kind, t.topic.as_str(), t.urgent), (TicketKind::Callback, "notfall", true));
        assert_eq!(t.callback_number.as_ref().unwrap().as_str(), "+4923155512345");
        let a = d.handle(Event::Stored(Ok(Stored { office_name: "Seniorenbüro Hörde".into() })));
        assert_eq!(said(&a), ["urgent_received", "goodbye"]);
        assert_eq!(d.path(), "main>emergency>emergency:continue>back>callback>emergency>said>emergency:office>number:ok>stored");

        // An ordinary request stays ordinary; a denial is no emergency.
        let mut d = Dialog::new(prompts(), erika());
        d.handle(Event::CallStarted);
        assert_eq!(said(&d.handle(speech("Es ist kein Notfall."))), ["not_understood", "main_menu"]);
        let a = keys(&mut d, "31132");
        assert!(!stored(&a).unwrap().urgent);
    }

    #[test]
    fn an_emergency_while_the_office_is_open_is_put_through() {
        let office = PhoneNumber::parse("+492315550110").unwrap();
        let ctx = CallContext {
            transfer: Some(TransferTarget { office_name: "Seniorenbüro Hörde".into(), number: office.clone() }),
            ..erika()
        };
        let mut d = Dialog::new(prompts(), ctx);
        d.handle(Event::CallStarted);
        keys(&mut d, "3");
        assert_eq!(said(&d.handle(speech("Ich kriege keine Luft"))), ["emergency_112", "emergency_menu"]);
        // Another emergency word at the question means yes.
        let a = d.handle(speech("Notfall!"));
        assert_eq!(said(&a), ["transfer_connecting"]);
        assert_eq!(a.last(), Some(&Action::Transfer(office)));
    }

    #[test]
    fn a_caller_silent_after_an_emergency_gets_an_urgent_callback() {
        let mut d = Dialog::new(prompts(), erika());
        d.handle(Event::CallStarted);
        d.handle(speech("Mein Mann ist hingefallen"));
        d.handle(Event::Silence);
        d.handle(Event::Silence);
        let a = d.handle(Event::Silence);
        assert_eq!(said(&a), ["emergency_silent"]);
        let t = stored(&a).expect("urgent callback");
        assert_eq!((t.topic.as_str(), t.urgent), ("notfall", true));
        let a = d.handle(Event::Stored(Ok(Stored { office_name: "Seniorenbüro Hörde".into() })));
        assert_eq!(said(&a), ["urgent_received", "goodbye"]);
        assert_eq!(a.last(), Some(&Action::HangUp));

        // Without a number to call back, the call ends as for any silent caller.
        let mut d = Dialog::new(prompts(), CallContext::default());
        d.handle(Event::CallStarted);
        d.handle(speech("Notfall"));
        let a: Vec<Action> = (0..3).flat_map(|_| d.handle(Event::Silence)).collect();
        assert_eq!(said(&a).last(), Some(&"goodbye_no_input"));
        assert!(stored(&a).is_none());
    }

    #[test]
    fn a_person_is_put_through_while_the_office_is_open() {
        let office = PhoneNumber::parse("+492315550110").unwrap();
        let mut d = Dialog::new(
            prompts(),
            CallContext {
                transfer: Some(TransferTarget { office_name: "Seniorenbüro Hörde".into(), number: office.clone() }), ..erika()
            },
        );
        d.handle(Event::CallStarted);
        let a = d.handle(Event::Key('0'));
        assert_eq!(said(&a), ["transfer_connecting"]);
        let Action::Say(say) = &a[0] else { panic!() };
        assert_eq!(say.args, vec![("office".to_string(), "Seniorenbüro Hörde".to_string())]);
        assert_eq!(a.last(), Some(&Action::Transfer(office)));
        assert_eq!((d.outcome(), d.path().as_str()), (Some("transferred"), "main>person>transfer"));
        assert!(d.is_finished());
    }

    #[test]
    fn keywords_ask_for_a_person_repeat_and_go_back_at_any_step() {
        let mut d = Dialog::new(prompts(), erika());
        d.handle(Event::CallStarted);
        assert_eq!(said(&d.handle(Event::Keyword(Keyword::Repeat))), ["main_menu"]);
        keys(&mut d, "31");
        // "zurück" while a number is typed goes back; it does not end the number like #.
        assert_eq!(said(&keys(&mut d, "2")), ["enter_number"]);
        keys(&mut d, "0231");
        assert_eq!(said(&d.handle(Event::Keyword(Keyword::Back))), ["confirm_number"]);
        assert_eq!(said(&d.handle(Event::Keyword(Keyword::Help))), ["person_by_callback", "confirm_number"]);
        assert!(d.path().starts_with("main>keyword:wiederholen>repeat>callback>"), "{}", d.path());
        assert!(d.path().contains(">keyword:zurueck>") && d.path().contains(">keyword:hilfe>person"), "{}", d.path());
        // While a request is being stored, a keyword changes nothing.
        let mut d = Dialog::new(prompts(), erika());
        d.handle(Event::CallStarted);
        assert!(stored(&keys(&mut d, "01")).is_some());
        assert!(d.handle(Event::Keyword(Keyword::Agent)).is_empty());
    }

    #[test]
    fn after_a_failed_transfer_the_caller_is_offered_a_callback() {
        let mut d = Dialog::new(prompts(), CallContext { after_failed_transfer: true, ..erika() });
        assert_eq!(said(&d.handle(Event::CallStarted)), ["transfer_failed", "confirm_number"]);
        let a = d.handle(Event::Key('1'));
        let t = stored(&a).unwrap();
        assert_eq!((t.kind, t.topic.as_str()), (TicketKind::Callback, "persoenlich"));
        assert_eq!(d.path(), "transfer_failed>number:ok");
    }

    #[test]
    fn speech_chooses_menu_options_and_misunderstanding_leads_to_the_keypad() {
        let mut d = Dialog::new(prompts(), erika());
        d.handle(Event::CallStarted);
        assert_eq!(
            said(&d.handle(Event::Speech { text: "Blumenkohl".into(), confidence: 0.9, phrase: None })),
            ["not_understood", "main_menu"]
        );
        assert_eq!(
            said(&d.handle(Event::Speech { text: "Hm?".into(), confidence: 0.9, phrase: None })),
            ["not_understood", "use_keypad", "main_menu"]
        );
        assert_eq!(
            said(&d.handle(Event::Speech { text: "Einen Rückruf bitte".into(), confidence: 0.9, phrase: None })),
            ["callback_topic_menu"]
        );
    }

    pub(super) fn speech(text: &str) -> Event {
        Event::Speech { text: text.into(), confidence: 0.9, phrase: None }
    }

    #[test]
    fn every_step_can_be_answered_by_voice() {
        let mut d = Dialog::new(prompts(), CallContext::default());
        d.handle(Event::CallStarted);
        let hint = d.listen().unwrap().hint;
        assert!(hint.contains("rückruf"), "{hint}");
        assert_eq!(said(&d.handle(speech("Ich hätte gern einen Rückruf."))), ["callback_topic_menu"]);
        assert_eq!(said(&d.handle(speech("Wohnen bitte"))), ["enter_number"]);
        assert_eq!(said(&d.handle(speech("null zwo drei eins, fünf fünf fünf, neun acht sieben sechs"))), ["confirm_typed_number"]);
        assert_eq!(d.listen(), Some(understand::listen(&Expectation::YesNo, d.ctx.today)));
        assert_eq!(said(&d.handle(speech("Nee, falsch."))), ["enter_number"], "no: enter the number again");
        d.handle(speech("0231 5559876"));
        assert_eq!(said(&d.handle(speech("Ja, genau."))), ["enter_postcode"]);
        assert_eq!(said(&d.handle(speech("vier vier eins drei sieben"))), ["callback_window_menu"]);
        assert_eq!(said(&d.handle(speech("Das ist mir egal."))), ["message_offer_menu"]);
        let a = d.handle(speech("Nein, danke."));
        let t = stored(&a).expect("stored after the last spoken answer");
        assert_eq!((t.topic.as_str(), t.postcode.as_ref().unwrap().as_str()), ("wohnen", "44137"));
        assert_eq!(t.callback_number.as_ref().unwrap().as_str(), "+492315559876");
    }

    #[test]
    fn spoken_requests_work_at_any_step() {
        let mut d = Dialog::new(prompts(), erika());
        d.handle(Event::CallStarted);
        d.handle(Event::Key('3'));
        assert_eq!(said(&d.handle(speech("Bitte noch einmal wiederholen."))), ["callback_topic_menu"]);
        assert_eq!(said(&d.handle(speech("zurück"))), ["main_menu"]);
        assert_eq!(said(&d.handle(speech("Ich möchte mit einem Mitarbeiter sprechen."))), ["person_by_callback", "confirm_number"]);
        assert_eq!(said(&d.handle(speech("am Dienstag um neun"))), ["not_understood", "confirm_number"], "no date is asked here");
    }

    #[test]
    fn a_ride_is_booked_by_keypad_with_a_correction() {
        let mut d = Dialog::new(prompts(), erika_with_rides());
        d.handle(Event::CallStarted);
        let a = d.handle(Event::Key('2'));
        assert_eq!(said(&a), ["ride_intro", "ride_destination", "ride_choice", "ride_choice", "ride_destination_other"]);
        assert_eq!(said(&d.handle(Event::Key('1'))), ["ride_date"]);
        // Today and tomorrow-but-one-too-soon rules: today is refused, the 3rd of December is fine.
        assert_eq!(said(&keys(&mut d, "2511")), ["ride_date_too_soon", "ride_date"]);
        assert_eq!(said(&keys(&mut d, "3102")), ["ride_date_invalid", "ride_date"], "31 February");
        assert_eq!(said(&keys(&mut d, "0312")), ["ride_time"]);
        assert_eq!(said(&keys(&mut d, "1430")), ["ride_time_outside", "ride_time"], "after the last appointment");
        assert_eq!(said(&keys(&mut d, "0930")), ["ride_return_menu"]);
        assert_eq!(said(&d.handle(Event::Key('1'))), ["ride_wheelchair_menu"]);
        assert_eq!(said(&d.handle(Event::Key('2'))), ["ride_companion_menu"]);
        let a = d.handle(Event::Key('2'));
        assert_eq!(said(&a), ["ride_confirm_menu"]);
        let Action::Say(summary) = &a[0] else { panic!() };
        let text = prompts().render(&summary.id, &summary.args).unwrap();
        assert!(
            text.contains("Fahrt zur Hausarztpraxis am Phoenix-See, am Donnerstag, dem dritten Dezember, zum Termin um neun Uhr dreißig, mit Rückfahrt."),
            "{text}"
        );
        // Change only the time.
        assert_eq!(said(&d.handle(Event::Key('2'))), ["ride_fix_menu"]);
        assert_eq!(said(&d.handle(Event::Key('3'))), ["ride_time"]);
        assert_eq!(said(&keys(&mut d, "1000")), ["ride_confirm_menu"], "straight back to the summary");
        let a = d.handle(Event::Key('1'));
        assert!(said(&a).is_empty(), "nothing is confirmed before it is stored");
        let Some(Action::StoreRide(order)) = a.last() else { panic!("{a:?}") };
        assert_eq!(order.place_id, "hausarzt");
        assert_eq!(order.appointment_at, NaiveDate::from_ymd_opt(2026, 12, 3).unwrap().and_hms_opt(10, 0, 0).unwrap());
        assert!(order.return_trip && !order.wheelchair && !order.companion && order.rollator);
        assert_eq!((order.ticket.kind, order.ticket.person_id.as_deref()), (TicketKind::Ride, Some("p1")));
        let a = d.handle(Event::Stored(Ok(Stored { office_name: "Seniorenbüro Hörde".into() })));
        assert_eq!(said(&a), ["ride_received", "goodbye"]);
        assert_eq!(d.outcome(), Some("ticket_created"));
        assert_eq!(
            d.path(),
            "main>ride>ride:place:hausarzt>ride:date>ride:time>ride:return:yes>ride:wheelchair:no>ride:companion:no>menu:ride_fix>ride:fix:time>ride:time>ride:book>stored"
        );
    }

    #[test]
    fn a_ride_can_be_booked_by_voice() {
        let mut d = Dialog::new(prompts(), erika_with_rides());
        d.handle(Event::CallStarted);
        d.handle(speech("Ich brauche eine Fahrt zum Arzt"));
        assert_eq!(said(&d.handle(speech("Zum Augenarzt bitte"))), ["ride_date"]);
        assert_eq!(said(&d.handle(speech("nächsten Dienstag"))), ["ride_time"]);
        assert_eq!(said(&d.handle(speech("um halb zehn"))), ["ride_return_menu"]);
        d.handle(speech("nein"));
        d.handle(speech("ja, im Rollstuhl"));
        let a = d.handle(speech("nein, ich komme allein"));
        assert_eq!(said(&a), ["ride_confirm_menu"]);
        let Some(Action::StoreRide(order)) = d.handle(speech("Ja, genau.")).pop() else { panic!() };
        assert!(d.path().contains(">said>ride:place:augen>said:date>ride:date>said:time>ride:time>said>ride:return:no"), "{}", d.path());
        assert_eq!(order.place_id, "augen");
        assert_eq!(order.appointment_at, NaiveDate::from_ymd_opt(2026, 12, 1).unwrap().and_hms_opt(9, 30, 0).unwrap());
        assert!(!order.return_trip && order.wheelchair && !order.companion);
    }

    #[test]
    fn a_time_whisper_garbled_counts_by_its_closed_set_phrase() {
        let mut d = Dialog::new(prompts(), erika_with_rides());
        d.handle(Event::CallStarted);
        d.handle(speech("Ich brauche eine Fahrt zum Arzt"));
        d.handle(speech("Zum Augenarzt bitte"));
        assert_eq!(d.listen().and_then(|l| l.phrases), Some(understand::PhraseSet::Dates));
        assert_eq!(said(&d.handle(speech("nächsten Dienstag"))), ["ride_time"]);
        assert_eq!(d.listen().and_then(|l| l.phrases), Some(understand::PhraseSet::Times));
        let heard =
            |text: &str, phrase: Option<&str>| Event::Speech { text: text.into(), confidence: 0.3, phrase: phrase.map(String::from) };
        // Without a phrase a garbled answer is asked again; with one it is the time.
        assert_eq!(said(&d.handle(heard("Umfängur.", None))), ["not_understood", "ride_time"]);
        assert_eq!(said(&d.handle(heard("Umfängur.", Some("Um zehn Uhr")))), ["ride_return_menu"]);
        assert!(d.path().ends_with(">said:time>ride:time"), "{}", d.path());
        // What the transcript itself says comes first: "zurück" goes back, whatever the phrase.
        assert_eq!(said(&d.handle(Event::Key('#'))), ["ride_time"]);
        assert_eq!(said(&d.handle(heard("Zurück.", Some("Um zehn Uhr")))), ["ride_date"]);
    }

    #[test]
    fn without_an_address_on_file_or_a_ride_service_a_ride_becomes_a_callback() {
        // No address on file: the caller says where to be picked up, for the office to check.
        let unknown = CallContext { ride: erika_with_rides().ride, ..CallContext::default() };
        let mut d = Dialog::new(prompts(), unknown);
        d.handle(Event::CallStarted);
        assert_eq!(said(&d.handle(Event::Key('2'))), ["ride_by_callback", "enter_number"]);
        assert_eq!(said(&keys(&mut d, "023155598765#")), ["confirm_typed_number"]);
        assert_eq!(said(&d.handle(Event::Key('1'))), ["enter_postcode"]);
        let a = keys(&mut d, "44263");
        assert_eq!(said(&a), ["ride_pickup_record"]);
        assert_eq!(a.last(), Some(&Action::Record));
        assert!(stored(&a).is_none(), "nothing stored before the address is said");
        let a = d.handle(Event::Recorded(Some("messages/abholung.wav".into())));
        assert_eq!(said(&a), ["ride_pickup_received"]);
        let t = stored(&a).unwrap();
        assert_eq!(
            (t.kind, t.topic.as_str(), t.message_audio_path.as_deref()),
            (TicketKind::Ride, "fahrdienst", Some("messages/abholung.wav"))
        );
        assert_eq!(d.path(), "main>ride>number:typed>number:ok>postcode:44263>message:recorded");

        // Another destination than the list: said after the tone too (here: nothing said).
        let mut d = Dialog::new(prompts(), erika_with_rides());
        d.handle(Event::CallStarted);
        d.handle(Event::Key('2'));
        assert_eq!(said(&d.handle(Event::Key('9'))), ["ride_other_destination", "confirm_number"], "another destination");
        assert_eq!(said(&d.handle(Event::Key('1'))), ["ride_destination_record"]);
        let a = d.handle(Event::Recorded(None));
        assert_eq!(said(&a), ["ride_destination_empty"]);
        let t = stored(&a).cloned().unwrap();
        assert_eq!((t.kind, t.topic.as_str(), t.message_audio_path), (TicketKind::Ride, "fahrdienst", None));

        // A home outside the area the service drives in: said, and planned by phone.
        let mut outside = erika_with_rides();
        outside.ride.as_mut().unwrap().outside_area = Some("Hörde".into());
        let mut d = Dialog::new(prompts(), outside);
        d.handle(Event::CallStarted);
        let a = d.handle(Event::Key('2'));
        assert_eq!(said(&a), ["ride_outside_area", "ride_by_callback", "confirm_number"]);
        let Action::Say(say) = &a[0] else { panic!() };
        assert_eq!(say.args, [("area".to_string(), "Hörde".to_string())]);
        let t = stored(&d.handle(Event::Key('1'))).cloned().unwrap();
        assert_eq!((t.kind, t.message_audio_path), (TicketKind::Ride, None), "the address is on file: nothing to record");
        assert!(d.path().starts_with("main>ride>ride:outside_area"), "{}", d.path());

        // An address on file, but no ride service to book: the office plans it, nothing asked.
        let mut d = Dialog::new(prompts(), erika());
        d.handle(Event::CallStarted);
        assert_eq!(said(&d.handle(Event::Key('2'))), ["ride_by_callback", "confirm_number"]);
        assert!(stored(&d.handle(Event::Key('1'))).is_some());
    }

    #[test]
    fn a_failed_store_is_admitted() {
        let mut d = Dialog::new(prompts(), erika());
        d.handle(Event::CallStarted);
        d.handle(Event::Key('3'));
        keys(&mut d, "1132");
        let a = d.handle(Event::Stored(Err(())));
        assert_eq!(said(&a), ["store_failed"]);
        assert_eq!(a.last(), Some(&Action::HangUp));
        assert_eq!(d.outcome(), Some("store_failed"));
    }

    #[test]
    fn hang_up_mid_flow_is_recorded() {
        let mut d = Dialog::new(prompts(), erika());
        d.handle(Event::CallStarted);
        d.handle(Event::Key('3'));
        d.handle(Event::HangUp);
        assert_eq!(d.outcome(), Some("caller_hung_up"));
        assert!(d.handle(Event::Key('1')).is_empty());
    }

    /// Random walks through the whole dialog: every prompt it asks for renders, and from
    /// any point a silent caller reaches the end (no dead end, no endless loop).
    #[test]
    fn random_walks_render_every_prompt_and_always_end() {
        let prompts = prompts();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let keys: Vec<char> = "0123456789*#".chars().collect();
        let mut turn = 0u64;
        let mut pick = move || {
            turn += 1;
            turn
        };
        let mut check = |actions: &[Action], d: &mut Dialog| -> Vec<Action> {
            let mut follow_up = Vec::new();
            for a in actions {
                match a {
                    Action::Say(s) => {
                        prompts.render(&s.id, &s.args).unwrap_or_else(|e| panic!("{e}"));
                    }
                    Action::Store(_) => follow_up = d.handle(Event::Stored(Ok(Stored { office_name: "Seniorenbüro Hörde".into() }))),
                    // The call task always reports a recording's end.
                    Action::Record => follow_up = d.handle(Event::Recorded(None)),
                    // The call task answers every job; here with offers of each kind, a
                    // booking that sometimes finds the date full, and a cancellation.
                    Action::FindOffers(_) => {
                        let result = match pick() % 4 {
                            0 => OfferSearchResult::Found(Vec::new()),
                            1 => OfferSearchResult::UnknownPlace,
                            _ => OfferSearchResult::Found(offers::tests::hits()),
                        };
                        follow_up = d.handle(Event::OffersFound(result));
                    }
                    Action::BookOffer(_) => {
                        let outcome = match pick() % 3 {
                            0 => BookingOutcome::Full { free: 0 },
                            1 => BookingOutcome::Full { free: 1 },
                            _ => BookingOutcome::Booked { office_name: "Seniorenbüro Hörde".into() },
                        };
                        follow_up = d.handle(Event::Booked(outcome));
                    }
                    Action::CancelBooking(_) | Action::CancelRide(_) => follow_up = d.handle(Event::Cancelled(Ok(()))),
                    Action::CheckPin(_) => {
                        let outcome = match pick() % 4 {
                            0 => PinOutcome::Wrong,
                            1 => PinOutcome::LockedNow,
                            _ => caregiver::tests::erika_acting(),
                        };
                        follow_up = d.handle(Event::PinChecked(outcome));
                    }
                    _ => {}
                }
            }
            follow_up
        };
        for walk in 0..500 {
            let ctx = match walk % 5 {
                0 => erika(),
                4 => caregiver::tests::klaus(&[("Erika Mustermann", false), ("Gisela Sonnenschein", walk % 2 == 0)]),
                1 => CallContext {
                    upcoming: vec![offers::tests::ride(), Upcoming::Booking(offers::tests::booking())],
                    ..offers::tests::erika_with_areas()
                },
                2 => offers::tests::stranger(),
                _ => CallContext::default(),
            };
            let mut d = Dialog::new(Arc::clone(&prompts), ctx);
            let mut actions = d.handle(Event::CallStarted);
            for _ in 0..(next() % 25) {
                while !actions.is_empty() {
                    actions = check(&actions, &mut d);
                }
                let event = match next() % 12 {
                    0 => Event::Silence,
                    1 => Event::Speech { text: "ja".into(), confidence: 0.8, phrase: None },
                    2 => Event::Speech { text: "Ich bin gestürzt".into(), confidence: 0.8, phrase: None },
                    _ => Event::Key(keys[(next() % keys.len() as u64) as usize]),
                };
                actions = d.handle(event);
            }
            let mut silences = 0;
            while !d.is_finished() {
                while !actions.is_empty() {
                    actions = check(&actions, &mut d);
                }
                if d.is_finished() {
                    break;
                }
                silences += 1;
                assert!(silences <= 5, "walk {walk}: still going after {silences} silences, path {}", d.path());
                actions = d.handle(Event::Silence);
            }
        }
    }
}
