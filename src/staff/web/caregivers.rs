//! A person's caregivers ("Kümmerer") and consents on the person page: register a
//! caregiver's phone, set or reset their PIN (typed by staff, or made up by the server and
//! shown once), unlock after too many wrong PINs, remove; and what the person agreed to.
//! Only staff who may see the person get here; every change is audit-logged.

use super::error::StaffError;
use super::extract::SignedIn;
use super::layout::{csrf_field, local_time, page};
use super::people::person;
use crate::domain::PhoneNumber;
use crate::domain::caregivers::{self, Caregiver, CaregiverError, MAX_PIN_FAILURES, Pin};
use crate::domain::directory::{self, Consents};
use crate::server::AppState;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

impl From<CaregiverError> for StaffError {
    fn from(e: CaregiverError) -> Self {
        match e {
            CaregiverError::NotFound => StaffError::NotFound,
            CaregiverError::Exists => StaffError::Conflict("Diese Nummer ist für die Person schon eingetragen."),
            CaregiverError::Hash(e) => StaffError::Internal(e),
            CaregiverError::Db(e) => e.into(),
        }
    }
}

/// The caregiver `id` of the person `person_id`, if the staff member may see the person.
async fn caregiver(app: &AppState, who: &SignedIn, person_id: &str, id: &str) -> Result<Caregiver, StaffError> {
    person(app, who, person_id).await?;
    match caregivers::get(&app.db, id).await? {
        Some(c) if c.person_id == person_id => Ok(c),
        _ => Err(StaffError::NotFound),
    }
}

pub(crate) async fn register(app: &AppState, who: &SignedIn, person_id: &str, name: &str, phone: &str) -> Result<String, StaffError> {
    person(app, who, person_id).await?;
    if name.trim().is_empty() {
        return Err(StaffError::Invalid("Bitte geben Sie den Namen der Kümmerin oder des Kümmerers ein."));
    }
    let phone = PhoneNumber::parse(phone).map_err(|_| StaffError::Invalid("Die Telefonnummer ist nicht gültig."))?;
    let id = caregivers::register(&app.db, person_id, name, &phone).await?;
    who.audit(app, "caregiver.register", "person", person_id, &format!("{} ({})", name.trim(), phone.as_str())).await?;
    Ok(id)
}

/// Sets the PIN staff typed, or a new random one when they typed none; returns it so
/// staff can tell the caregiver (it is shown this once and never stored readable).
pub(crate) async fn set_pin(app: &AppState, who: &SignedIn, person_id: &str, id: &str, typed: &str) -> Result<Pin, StaffError> {
    let c = caregiver(app, who, person_id, id).await?;
    let pin = match typed.trim() {
        "" => Pin::generate(),
        typed => Pin::parse(typed).map_err(|_| StaffError::Invalid("Die Geheimzahl hat 4 bis 6 Ziffern."))?,
    };
    caregivers::set_pin(&app.db, id, &pin).await?;
    let how = if typed.trim().is_empty() { "erzeugt" } else { "eingegeben" };
    who.audit(app, "caregiver.pin", "person", person_id, &format!("{}: neue Geheimzahl ({how})", c.name)).await?;
    Ok(pin)
}

pub(crate) async fn unlock(app: &AppState, who: &SignedIn, person_id: &str, id: &str) -> Result<(), StaffError> {
    let c = caregiver(app, who, person_id, id).await?;
    caregivers::unlock(&app.db, id).await?;
    who.audit(app, "caregiver.unlock", "person", person_id, &c.name).await?;
    Ok(())
}

pub(crate) async fn remove(app: &AppState, who: &SignedIn, person_id: &str, id: &str) -> Result<(), StaffError> {
    let c = caregiver(app, who, person_id, id).await?;
    caregivers::remove(&app.db, id).await?;
    who.audit(app, "caregiver.remove", "person", person_id, &format!("{} ({})", c.name, c.phone)).await?;
    Ok(())
}

pub(crate) async fn set_consents(app: &AppState, who: &SignedIn, person_id: &str, consents: Consents) -> Result<(), StaffError> {
    person(app, who, person_id).await?;
    directory::set_consents(&app.db, person_id, consents).await?;
    let detail = format!("Kümmerer: {}, Aufnahme: {}", yes_no(consents.caregivers), yes_no(consents.recording));
    who.audit(app, "person.consent", "person", person_id, &detail).await?;
    Ok(())
}

fn yes_no(b: bool) -> &'static str {
    if b { "ja" } else { "nein" }
}

/// The notice after a change (`?done=...`).
pub(crate) fn done_message(done: &str) -> Option<&'static str> {
    Some(match done {
        "registered" => "Die Nummer ist eingetragen. Bitte setzen Sie jetzt eine Geheimzahl.",
        "unlocked" => "Der Zugang ist wieder frei.",
        "removed" => "Der Eintrag ist entfernt.",
        "consent" => "Die Einwilligungen sind gespeichert.",
        _ => return None,
    })
}

pub(crate) fn consent_form(who: &SignedIn, person_id: &str, c: Consents) -> Markup {
    html! {
        h2 { "Einwilligungen" }
        form.actions method="post" action={ "/staff/people/" (person_id) "/consent" } {
            (csrf_field(who))
            div {
                input #consent_caregivers type="checkbox" name="caregivers" value="ja" checked[c.caregivers];
                label for="consent_caregivers" style="display:inline" { " Angehörige und Helfer dürfen am Telefon für die Person handeln" }
            }
            div {
                input #consent_recording type="checkbox" name="recording" value="ja" checked[c.recording];
                label for="consent_recording" style="display:inline" { " Sprachnachrichten der Person dürfen aufgenommen werden" }
            }
            div.buttons { button type="submit" { "Einwilligungen speichern" } }
        }
    }
}

pub(crate) fn section(who: &SignedIn, tz: chrono_tz::Tz, person_id: &str, consents: Consents, list: &[Caregiver]) -> Markup {
    let base = format!("/staff/people/{person_id}/caregivers");
    html! {
        h2 { "Angehörige und Helfer (Kümmerer)" }
        p {
            "Wer von einer eingetragenen Nummer anruft, kann im Hauptmenü mit der 9 und seiner Geheimzahl "
            "für die Person Termine hören, Angebote buchen, Fahrten und Rückrufe bestellen. "
            "Nach " (MAX_PIN_FAILURES) " falschen Geheimzahlen ist der Zugang gesperrt."
        }
        @if !consents.caregivers { p.notice { "Die Person hat noch nicht eingewilligt: eingetragene Nummern können noch nicht für sie handeln." } }
        table {
            caption.skip { "Eingetragene Kümmerer" }
            thead { tr { th scope="col" { "Name" } th scope="col" { "Telefon" } th scope="col" { "Geheimzahl" } th scope="col" { "Ändern" } } }
            tbody {
                @if list.is_empty() { tr { td colspan="4" { "Noch niemand eingetragen." } } }
                @for c in list {
                    tr {
                        td { (c.name) }
                        td { (c.phone) }
                        td {
                            @if let Some(at) = &c.locked_at { strong { "gesperrt seit " (local_time(at, tz)) } }
                            @else if !c.pin_set { "noch keine" }
                            @else if c.pin_failures > 0 { "gesetzt, " (c.pin_failures) " falsche Versuche" }
                            @else { "gesetzt" }
                        }
                        td {
                            form.inline method="post" action={ (base) "/" (c.id) "/pin" } {
                                (csrf_field(who))
                                label for={ "pin-" (c.id) } { "Neue Geheimzahl (4 bis 6 Ziffern, leer lassen zum Erzeugen)" }
                                input id={ "pin-" (c.id) } name="pin" type="text" inputmode="numeric" pattern="[0-9]{4,6}" autocomplete="off";
                                button type="submit" { "Geheimzahl setzen" }
                            }
                            @if c.locked_at.is_some() {
                                form.inline method="post" action={ (base) "/" (c.id) "/unlock" } {
                                    (csrf_field(who))
                                    button type="submit" { "Entsperren" }
                                }
                            }
                            form.inline method="post" action={ (base) "/" (c.id) "/remove" } {
                                (csrf_field(who))
                                button.danger type="submit" { "Entfernen" }
                            }
                        }
                    }
                }
            }
        }
        h3 { "Kümmerer eintragen" }
        form.actions method="post" action=(base) {
            (csrf_field(who))
            div { label for="cg-name" { "Name" } input #cg-name name="name" type="text" required; }
            div { label for="cg-phone" { "Telefonnummer, von der sie oder er anruft" } input #cg-phone name="phone" type="tel" required; }
            div.buttons { button type="submit" { "Eintragen" } }
        }
    }
}

#[derive(Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
}

pub async fn register_form(
    State(app): State<AppState>,
    who: SignedIn,
    Path(person_id): Path<String>,
    Form(f): Form<RegisterForm>,
) -> Result<Response, StaffError> {
    register(&app, &who, &person_id, &f.name, &f.phone).await?;
    Ok(Redirect::to(&format!("/staff/people/{person_id}?done=registered")).into_response())
}

#[derive(Deserialize)]
pub struct PinForm {
    #[serde(default)]
    pin: String,
}

/// The new PIN on a page of its own: shown once, not part of any link or redirect.
pub async fn pin_form(
    State(app): State<AppState>,
    who: SignedIn,
    Path((person_id, id)): Path<(String, String)>,
    Form(f): Form<PinForm>,
) -> Result<Markup, StaffError> {
    let pin = set_pin(&app, &who, &person_id, &id, &f.pin).await?;
    let content = html! {
        h1 { "Neue Geheimzahl" }
        p.notice role="status" { "Die neue Geheimzahl lautet: " strong.pin { (pin.as_str()) } }
        p { "Bitte teilen Sie sie der Kümmerin oder dem Kümmerer mit. Sie wird nur jetzt angezeigt. Ein gesperrter Zugang ist damit wieder frei." }
        p { a href={ "/staff/people/" (person_id) } { "← Zurück zur Person" } }
    };
    Ok(page("Neue Geheimzahl", Some(&who), content))
}

pub async fn unlock_form(
    State(app): State<AppState>,
    who: SignedIn,
    Path((person_id, id)): Path<(String, String)>,
) -> Result<Response, StaffError> {
    unlock(&app, &who, &person_id, &id).await?;
    Ok(Redirect::to(&format!("/staff/people/{person_id}?done=unlocked")).into_response())
}

pub async fn remove_form(
    State(app): State<AppState>,
    who: SignedIn,
    Path((person_id, id)): Path<(String, String)>,
) -> Result<Response, StaffError> {
    remove(&app, &who, &person_id, &id).await?;
    Ok(Redirect::to(&format!("/staff/people/{person_id}?done=removed")).into_response())
}

#[derive(Deserialize)]
pub struct ConsentForm {
    #[serde(default)]
    caregivers: String,
    #[serde(default)]
    recording: String,
}

pub async fn consent_submit(
    State(app): State<AppState>,
    who: SignedIn,
    Path(person_id): Path<String>,
    Form(f): Form<ConsentForm>,
) -> Result<Response, StaffError> {
    let consents = Consents { caregivers: f.caregivers == "ja", recording: f.recording == "ja" };
    set_consents(&app, &who, &person_id, consents).await?;
    Ok(Redirect::to(&format!("/staff/people/{person_id}?done=consent")).into_response())
}
