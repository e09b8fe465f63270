//! The page frame every staff page shares, and the German words and time formats the
//! pages use.

use super::extract::SignedIn;
use crate::dialog::prompts::Prompts;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use maud::{DOCTYPE, Markup, html};

/// A full page: header with the signed-in person and sign-out, then `content`.
pub fn page(title: &str, who: Option<&SignedIn>, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="de" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " – Seniorentelefon" }
                link rel="stylesheet" href="/staff/assets/staff.css";
                script src="/staff/assets/staff.js" defer {}
            }
            body {
                a.skip href="#inhalt" { "Zum Inhalt springen" }
                header.top {
                    p.brand { "Seniorentelefon" span.sub { " · Mitarbeiterbereich" } }
                    @if let Some(who) = who {
                        nav aria-label="Hauptmenü" {
                            a href="/staff/queue" { "Warteschlange" }
                            @if who.session.staff.offer_office().is_some() { " " a href="/staff/offers" { "Angebote" } }
                            @if who.session.staff.ride_office().is_some() { " " a href="/staff/rides" { "Fahrten" } }
                            @if who.session.staff.people_office().is_some() { " " a href="/staff/people" { "Personen" } }
                            @if who.session.staff.oversees() { " " a href="/staff/reports" { "Berichte" } }
                        }
                        div.user {
                            span { (who.session.staff.display_name) " (" (who.session.staff.role.label()) ")" }
                            form method="post" action="/staff/logout" {
                                (csrf_field(who))
                                button.secondary type="submit" { "Abmelden" }
                            }
                        }
                    }
                }
                main #inhalt { (content) }
            }
        }
    }
}

/// A page with a heading and one message (errors, notices).
pub fn message_page(title: &str, message: &str) -> Markup {
    page(title, None, html! { h1 { (title) } p.notice { (message) } p { a href="/staff/queue" { "Zur Warteschlange" } } })
}

/// The hidden CSRF field every form that writes must carry.
pub fn csrf_field(who: &SignedIn) -> Markup {
    html! { input type="hidden" name="csrf" value=(who.session.csrf_token); }
}

pub fn kind_label(kind: &str) -> &str {
    match kind {
        "callback" => "Rückruf",
        "ride" => "Fahrt",
        "booking" => "Buchung",
        "digital_help" => "Digitalhilfe",
        "other" => "Sonstiges",
        other => other,
    }
}

/// A ticket's topic as staff read it ("Pflege und Unterstützung" for `pflege`), from the
/// prompts' `[topics]`; an id without a name is shown as it is.
pub fn topic_label<'a>(prompts: &'a Prompts, topic: &'a str) -> &'a str {
    prompts.topic_label(topic).unwrap_or(topic)
}

/// The mark of an urgent ticket (an emergency was named on the phone).
pub fn urgent_badge() -> Markup {
    html! { span class="due urgent" { "dringend" } }
}

pub const KINDS: [&str; 5] = ["callback", "ride", "booking", "digital_help", "other"];
pub const STATUSES: [&str; 4] = ["open", "claimed", "waiting", "closed"];

pub fn status_label(status: &str) -> &str {
    match status {
        "open" => "offen",
        "claimed" => "in Bearbeitung",
        "waiting" => "wartet",
        "closed" => "erledigt",
        other => other,
    }
}

pub fn event_label(kind: &str) -> &str {
    match kind {
        "created" => "angelegt",
        "claimed" => "übernommen",
        "note" => "Notiz",
        "attempt" => "Rückrufversuch",
        "closed" => "geschlossen",
        "reassigned" => "an anderes Büro gegeben",
        "on_behalf" => "für die Person",
        other => other,
    }
}

fn parse(ts: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(ts).ok().map(|t| t.with_timezone(&Utc))
}

/// A stored timestamp as the offices read it: "25.11.2026 09:30".
pub fn local_time(ts: &str, tz: Tz) -> String {
    parse(ts).map(|t| t.with_timezone(&tz).format("%d.%m.%Y %H:%M").to_string()).unwrap_or_else(|| ts.to_string())
}

/// How pressing a due time is, for colour and wording (never colour alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    Overdue,
    Today,
    Later,
}

impl Urgency {
    pub fn of(due_at: &str, now: DateTime<Utc>, tz: Tz) -> Urgency {
        let Some(due) = parse(due_at) else { return Urgency::Later };
        if due < now {
            Urgency::Overdue
        } else if due.with_timezone(&tz).date_naive() == now.with_timezone(&tz).date_naive() {
            Urgency::Today
        } else {
            Urgency::Later
        }
    }

    pub fn class(self) -> &'static str {
        match self {
            Urgency::Overdue => "due overdue",
            Urgency::Today => "due today",
            Urgency::Later => "due later",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Urgency::Overdue => "überfällig",
            Urgency::Today => "heute fällig",
            Urgency::Later => "fällig",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urgency_by_local_day() {
        let tz = chrono_tz::Europe::Berlin;
        let now = parse("2026-11-25T10:00:00.000Z").unwrap();
        assert_eq!(Urgency::of("2026-11-25T09:59:00.000Z", now, tz), Urgency::Overdue);
        // 22:30 UTC is 23:30 in Berlin: still today there.
        assert_eq!(Urgency::of("2026-11-25T22:30:00.000Z", now, tz), Urgency::Today);
        assert_eq!(Urgency::of("2026-11-25T23:30:00.000Z", now, tz), Urgency::Later);
        assert_eq!(local_time("2026-11-25T08:30:00.000Z", tz), "25.11.2026 09:30");
    }
}
