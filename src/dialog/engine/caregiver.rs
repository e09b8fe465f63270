//! Caregivers ("Kümmerer", main menu 9): a caller whose number the office registered for
//! a person chooses that person (if there are several), gives their PIN, and then uses
//! the ordinary flows (upcoming appointments, offers, rides, callbacks) for the person.
//! Acting for the person is just the person in the call's context, plus who acts.

use super::{Action, CallContext, Dialog, KnownPerson, RideOffer, Say, Step, Upcoming};
use crate::domain::caregivers::{CaredFor, Pin};
use crate::domain::tickets::TicketKind;
use crate::speech::understand::MenuChoices;

/// Check this PIN for this caregiver entry, then report [`super::Event::PinChecked`].
#[derive(Debug, Clone, PartialEq)]
pub struct PinOrder {
    pub caregiver_id: String,
    pub pin: Pin,
}

/// What the PIN check came to, with the person's context when it was right.
#[derive(Debug, Clone, PartialEq)]
pub enum PinOutcome {
    Accepted(Box<ActingFor>),
    Wrong,
    /// That was one wrong PIN too many: the entry is locked now and the office will call.
    LockedNow,
    /// Locked already (by an earlier call, or another call just now).
    Locked,
    /// The check itself failed (database trouble).
    Failed,
}

/// The person a caregiver acts for, as the call side loads them after the right PIN.
#[derive(Debug, Clone, PartialEq)]
pub struct ActingFor {
    pub person: KnownPerson,
    pub upcoming: Vec<Upcoming>,
    pub ride: Option<RideOffer>,
}

/// The caregiver part of a call: whom the caller chose, and whether they are in.
#[derive(Debug, Default)]
pub(super) struct CareDraft {
    chosen: Option<usize>,
    /// The caregiver entry acting for the person, once the PIN was right.
    pub(super) acting: Option<String>,
    pub(super) menu: NameMenu,
}

/// The people a caregiver looks after, by key and by the words of their names.
#[derive(Debug, Default)]
pub(super) struct NameMenu(Vec<(char, Vec<String>)>);

impl NameMenu {
    fn new(entries: &[CaredFor]) -> NameMenu {
        let words = |e: &CaredFor| e.person_name.split_whitespace().filter(|w| w.chars().count() >= 3).map(str::to_lowercase).collect();
        NameMenu(entries.iter().zip('1'..='9').map(|(e, key)| (key, words(e))).collect())
    }
}

impl MenuChoices for NameMenu {
    fn choices(&self) -> Vec<(char, &[String])> {
        self.0.iter().map(|(k, w)| (*k, w.as_slice())).collect()
    }
}

impl CareDraft {
    pub(super) fn new(ctx: &CallContext) -> CareDraft {
        CareDraft { chosen: None, acting: None, menu: NameMenu::new(&ctx.caregiving) }
    }
}

impl Dialog {
    /// "9" in the main menu.
    pub(super) fn start_caregiver(&mut self, out: &mut Vec<Action>) {
        if self.care.acting.is_some() {
            return self.go(Step::Menu("caregiver".into()), out);
        }
        match self.ctx.caregiving.len() {
            0 => {
                self.path.push("caregiver:unknown".into());
                out.push(Action::Say(Say::new("caregiver_unknown")));
                self.go(Step::Menu("caregiver_help".into()), out)
            }
            1 => self.choose_cared(0, out),
            _ => self.go(Step::ChooseCared, out),
        }
    }

    /// The caregiver's people, one at a time, each with its key.
    pub(super) fn cared_prompt(&self, out: &mut Vec<Action>) {
        out.push(Action::Say(Say::new("caregiver_choose")));
        for (entry, key) in self.ctx.caregiving.iter().zip('1'..='9') {
            out.push(Action::Say(Say::with("caregiver_choice", &[("name", entry.person_name.clone()), ("key", key.to_string())])));
        }
    }

    pub(super) fn cared_key(&mut self, key: char, out: &mut Vec<Action>) {
        let index = key.to_digit(10).and_then(|k| (k as usize).checked_sub(1)).filter(|&i| i < self.ctx.caregiving.len());
        match index {
            Some(i) => self.choose_cared(i, out),
            None => {
                out.push(Action::Say(Say::new("invalid_key")));
                self.prompt_step(out);
            }
        }
    }

    fn choose_cared(&mut self, i: usize, out: &mut Vec<Action>) {
        self.care.chosen = Some(i);
        let entry = &self.ctx.caregiving[i];
        out.push(Action::Say(Say::with("caregiver_for", &[("name", entry.person_name.clone())])));
        if entry.locked {
            self.path.push("caregiver:locked".into());
            out.push(Action::Say(Say::new("caregiver_locked")));
            return self.go(Step::Menu("caregiver_help".into()), out);
        }
        self.path.push("caregiver:pin".into());
        self.go(Step::EnterPin(String::new()), out)
    }

    /// Digits typed or said for the PIN: checked by the call side unless they cannot be one.
    pub(super) fn finish_pin(&mut self, digits: &str, out: &mut Vec<Action>) {
        let (Ok(pin), Some(entry)) = (Pin::parse(digits), self.care.chosen.and_then(|i| self.ctx.caregiving.get(i))) else {
            out.push(Action::Say(Say::new("caregiver_pin_invalid")));
            return self.prompt_step(out);
        };
        self.step = Step::CheckingPin;
        out.push(Action::CheckPin(PinOrder { caregiver_id: entry.caregiver_id.clone(), pin }));
    }

    pub(super) fn on_pin_checked(&mut self, outcome: PinOutcome, out: &mut Vec<Action>) {
        if self.step != Step::CheckingPin {
            return;
        }
        match outcome {
            PinOutcome::Accepted(acting) => {
                self.path.push("caregiver:in".into());
                let ActingFor { person, upcoming, ride } = *acting;
                out.push(Action::Say(Say::with("caregiver_welcome", &[("name", person.name.clone())])));
                self.place_menu = ride.as_ref().map(|r| super::PlaceMenu::new(&r.places)).unwrap_or_default();
                self.ctx.person = Some(person);
                self.ctx.upcoming = upcoming;
                self.ctx.ride = ride;
                self.offers.upcoming = 0;
                self.care.acting = self.care.chosen.map(|i| self.ctx.caregiving[i].caregiver_id.clone());
                // The PIN is behind them: "back" never leads there again.
                self.history.clear();
                self.go(Step::Menu("caregiver".into()), out);
            }
            PinOutcome::Wrong => {
                self.path.push("caregiver:pin_wrong".into());
                out.push(Action::Say(Say::new("caregiver_pin_wrong")));
                self.step = Step::EnterPin(String::new());
                self.prompt_step(out);
            }
            PinOutcome::LockedNow => {
                self.path.push("caregiver:locked_now".into());
                out.push(Action::Say(Say::new("caregiver_locked_now")));
                out.push(Action::Say(Say::new("goodbye")));
                out.push(Action::HangUp);
                self.outcome = Some("caregiver_locked");
                self.step = Step::Finished;
            }
            PinOutcome::Locked => {
                self.path.push("caregiver:locked".into());
                out.push(Action::Say(Say::new("caregiver_locked")));
                self.go(Step::Menu("caregiver_help".into()), out);
            }
            PinOutcome::Failed => {
                self.path.push("caregiver:check_failed".into());
                out.push(Action::Say(Say::new("caregiver_pin_failed")));
                self.go(Step::Menu("caregiver_help".into()), out);
            }
        }
    }

    /// Menu targets "caregiver:upcoming" and "caregiver:callback".
    pub(super) fn caregiver_choice(&mut self, target: &str, out: &mut Vec<Action>) {
        match target {
            "upcoming" => {
                self.offers.upcoming = 0;
                if !self.tell_upcoming(out) {
                    out.push(Action::Say(Say::new("caregiver_no_upcoming")));
                    self.prompt_step(out);
                }
            }
            "callback" => self.callback_instead(TicketKind::Callback, "kuemmerer", "caregiver_callback", out),
            other => {
                tracing::error!(target = other, "unknown caregiver menu target");
                self.prompt_step(out);
            }
        }
    }

    /// Where a caregiver's own callback goes before they are in: the chosen person's office.
    pub(super) fn cared_office(&self) -> Option<String> {
        self.care.chosen.and_then(|i| self.ctx.caregiving.get(i)).and_then(|e| e.office_id.clone())
    }

    /// The menu a caller returns to after hearing an appointment: the caregiver's, once in.
    pub(super) fn home_step(&self) -> Step {
        Step::Menu(if self.care.acting.is_some() { "caregiver" } else { "main" }.into())
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::tests::{erika, keys, prompts, said, speech, stored};
    use super::super::{Event, Stored};
    use super::*;
    use crate::dialog::engine::offers::tests as offer_tests;
    use crate::offers::Whereabouts;
    use crate::rides::Point;

    pub(in crate::dialog::engine) fn klaus(names: &[(&str, bool)]) -> CallContext {
        CallContext {
            caller: Some(crate::domain::PhoneNumber::parse("+491701234567").unwrap()),
            caregiving: names
                .iter()
                .enumerate()
                .map(|(i, (name, locked))| CaredFor {
                    caregiver_id: format!("cg{}", i + 1),
                    person_id: format!("p{}", i + 1),
                    person_name: name.to_string(),
                    office_id: Some("do-hoerde".into()),
                    locked: *locked,
                })
                .collect(),
            ..offer_tests::stranger()
        }
    }

    pub(in crate::dialog::engine) fn erika_acting() -> PinOutcome {
        let erika = erika();
        PinOutcome::Accepted(Box::new(ActingFor {
            person: erika.person.unwrap(),
            upcoming: vec![Upcoming::Booking(offer_tests::booking())],
            ride: None,
        }))
    }

    fn pin_order(actions: &[Action]) -> Option<&PinOrder> {
        actions.iter().find_map(|a| match a {
            Action::CheckPin(o) => Some(o),
            _ => None,
        })
    }

    #[test]
    fn a_caregiver_chooses_the_person_gives_the_pin_and_hears_the_appointment() {
        let mut d = Dialog::new(prompts(), klaus(&[("Erika Mustermann", false), ("Gisela Sonnenschein", false)]));
        d.handle(Event::CallStarted);
        assert_eq!(said(&d.handle(Event::Key('9'))), ["caregiver_choose", "caregiver_choice", "caregiver_choice"]);
        assert_eq!(said(&d.handle(Event::Key('3'))), ["invalid_key", "caregiver_choose", "caregiver_choice", "caregiver_choice"]);
        assert_eq!(said(&d.handle(Event::Key('1'))), ["caregiver_for", "caregiver_pin"]);
        // Too short a PIN is no try: asked again.
        assert_eq!(said(&keys(&mut d, "123#")), ["caregiver_pin_invalid", "caregiver_pin"]);
        let a = keys(&mut d, "4711#");
        assert!(said(&a).is_empty(), "nothing is said before the PIN is checked");
        let order = pin_order(&a).expect("a PIN check");
        assert_eq!((order.caregiver_id.as_str(), order.pin.as_str()), ("cg1", "4711"));
        assert!(d.handle(Event::Key('1')).is_empty(), "keys wait for the check");
        assert_eq!(said(&d.handle(Event::PinChecked(PinOutcome::Wrong))), ["caregiver_pin_wrong", "caregiver_pin"]);
        // Six digits end the PIN on their own.
        let a = keys(&mut d, "471100");
        assert_eq!(pin_order(&a).unwrap().pin.as_str(), "471100");
        assert_eq!(said(&d.handle(Event::PinChecked(erika_acting()))), ["caregiver_welcome", "caregiver_menu"]);
        // Told about the person: "Erika Mustermann hat ... gebucht", not "Sie haben".
        let a = d.handle(Event::Key('1'));
        assert_eq!(said(&a), ["upcoming_menu_for"]);
        let Action::Say(say) = &a[0] else { panic!() };
        assert!(say.args.contains(&("name".to_string(), "Erika Mustermann".to_string())), "{say:?}");
        // Keeping it leads back to the caregiver's menu, not the main menu.
        assert_eq!(said(&d.handle(Event::Key('1'))), ["upcoming_kept", "caregiver_menu"]);
        assert_eq!(said(&d.handle(Event::Key('1'))), ["upcoming_menu_for"], "heard again on asking");
        assert_eq!(said(&d.handle(Event::Key('#'))), ["caregiver_menu"]);
        assert_eq!(said(&d.handle(Event::Key('#'))), ["caregiver_menu"], "no way back to the PIN");
        assert_eq!(
            d.path(),
            "main>caregiver>caregiver:pin>caregiver:pin_wrong>caregiver:in>caregiver:upcoming>upcoming>upcoming:keep>caregiver:upcoming>upcoming>back>back"
        );
    }

    #[test]
    fn a_caregiver_books_and_asks_for_a_callback_for_the_person() {
        let mut d = Dialog::new(prompts(), klaus(&[("Erika Mustermann", false)]));
        d.handle(Event::CallStarted);
        assert_eq!(said(&d.handle(speech("Ich bin Angehöriger"))), ["caregiver_for", "caregiver_pin"]);
        let a = d.handle(speech("vier sieben eins eins"));
        assert_eq!(pin_order(&a).unwrap().pin.as_str(), "4711", "the PIN may be spoken");
        d.handle(Event::PinChecked(erika_acting()));
        // Callback: topic, then the caregiver's own number (caller ID) is confirmed.
        assert_eq!(said(&d.handle(Event::Key('4'))), ["callback_topic_menu"]);
        assert_eq!(said(&d.handle(Event::Key('1'))), ["confirm_number"]);
        let a = keys(&mut d, "132");
        let t = stored(&a).expect("stored");
        assert_eq!((t.person_id.as_deref(), t.caregiver_id.as_deref()), (Some("p1"), Some("cg1")));
        assert_eq!(t.callback_number.as_ref().unwrap().as_str(), "+491701234567");
        assert_eq!(t.person_office_id.as_deref(), Some("do-hoerde"));
        d.handle(Event::Stored(Ok(Stored { office_name: "Seniorenbüro Hörde".into() })));
        assert_eq!(d.outcome(), Some("ticket_created"));

        // Offers near the person's home, booked with the caregiver named as who booked.
        let mut d = Dialog::new(prompts(), klaus(&[("Erika Mustermann", false)]));
        d.handle(Event::CallStarted);
        keys(&mut d, "94711#");
        d.handle(Event::PinChecked(erika_acting()));
        assert_eq!(said(&d.handle(Event::Key('2'))), ["offers_intro_home_for", "offers_category_menu"]);
        let a = keys(&mut d, "12");
        let search = a.iter().find_map(|a| if let Action::FindOffers(s) = a { Some(s) } else { None }).expect("search");
        assert_eq!(search.near, Whereabouts::At(Point { lat: 51.4832, lon: 7.5062 }), "near the person's home");
        d.handle(Event::OffersFound(crate::dialog::engine::OfferSearchResult::Found(offer_tests::hits())));
        let a = keys(&mut d, "211");
        let Some(Action::BookOffer(order)) = a.last() else { panic!("{a:?}") };
        assert_eq!(order.booker.person_id.as_deref(), Some("p1"));
        assert_eq!(order.booker.caregiver_id.as_deref(), Some("cg1"));
        assert_eq!(order.booker.phone.as_str(), "+491701234567");
    }

    #[test]
    fn locked_unknown_and_failed_entries_are_offered_a_callback() {
        let mut d = Dialog::new(prompts(), klaus(&[("Erika Mustermann", true)]));
        d.handle(Event::CallStarted);
        assert_eq!(said(&d.handle(Event::Key('9'))), ["caregiver_for", "caregiver_locked", "caregiver_help_menu"]);
        assert_eq!(said(&d.handle(Event::Key('1'))), ["caregiver_callback", "confirm_number"]);
        let t = stored(&d.handle(Event::Key('1'))).cloned().expect("routed to the person's office, no postcode asked");
        assert_eq!((t.topic.as_str(), t.person_office_id.as_deref(), t.caregiver_id), ("kuemmerer", Some("do-hoerde"), None));

        let mut d = Dialog::new(prompts(), offer_tests::stranger());
        d.handle(Event::CallStarted);
        assert_eq!(said(&d.handle(Event::Key('9'))), ["caregiver_unknown", "caregiver_help_menu"]);
        assert_eq!(said(&d.handle(Event::Key('0'))), ["person_by_callback", "confirm_number"]);

        let mut d = Dialog::new(prompts(), klaus(&[("Erika Mustermann", false)]));
        d.handle(Event::CallStarted);
        keys(&mut d, "94711#");
        assert_eq!(said(&d.handle(Event::PinChecked(PinOutcome::Failed))), ["caregiver_pin_failed", "caregiver_help_menu"]);
    }

    #[test]
    fn the_fifth_wrong_pin_ends_the_call_kindly() {
        let mut d = Dialog::new(prompts(), klaus(&[("Erika Mustermann", false)]));
        d.handle(Event::CallStarted);
        keys(&mut d, "90000#");
        let a = d.handle(Event::PinChecked(PinOutcome::LockedNow));
        assert_eq!(said(&a), ["caregiver_locked_now", "goodbye"]);
        assert_eq!(a.last(), Some(&Action::HangUp));
        assert_eq!(d.outcome(), Some("caregiver_locked"));

        // Locked by another call meanwhile: told so, with a callback offered.
        let mut d = Dialog::new(prompts(), klaus(&[("Erika Mustermann", false)]));
        d.handle(Event::CallStarted);
        keys(&mut d, "94711#");
        assert_eq!(said(&d.handle(Event::PinChecked(PinOutcome::Locked))), ["caregiver_locked", "caregiver_help_menu"]);
        // A pause after the digits ends the PIN, as with phone numbers.
        let mut d = Dialog::new(prompts(), klaus(&[("Erika Mustermann", false)]));
        d.handle(Event::CallStarted);
        keys(&mut d, "94711");
        assert!(pin_order(&d.handle(Event::Silence)).is_some());
    }
}
