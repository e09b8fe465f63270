//! Registered people: staff find the people of their office and keep their caregivers
//! and consents (see [`super::caregivers`]); coordinators and admins also answer data
//! protection requests (download everything stored about a person as JSON, or erase
//! them). Every view, download, change and erasure is audit-logged. A person outside
//! someone's offices, and the data protection pages for other roles, are 404.

use super::error::StaffError;
use super::extract::SignedIn;
use super::layout::{csrf_field, page};
use crate::domain::caregivers::{self, Caregiver};
use crate::domain::directory::{self, Consents, PersonListing};
use crate::privacy::person::{self, Erased};
use crate::server::AppState;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

fn allowed(who: &SignedIn) -> Result<(), StaffError> {
    if who.session.staff.oversees() { Ok(()) } else { Err(StaffError::NotFound) }
}

#[derive(Deserialize, Default)]
pub struct Search {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    done: String,
}

/// People matching the search within the staff member's offices. Staff of an office see
/// their office's people without a search; across all offices nobody browses the
/// register (an empty search finds no one).
pub(crate) async fn search(app: &AppState, who: &SignedIn, q: &str) -> Result<Vec<PersonListing>, StaffError> {
    let office = who.session.staff.people_office().ok_or(StaffError::NotFound)?;
    if office.is_empty() && q.trim().chars().count() < 2 {
        return Ok(Vec::new());
    }
    let found = directory::search_people(&app.db, q, office).await?;
    who.audit(app, "person.search", "", "", &format!("{} Treffer", found.len())).await?;
    Ok(found)
}

/// The person `id`, if they are the staff member's to see.
pub(crate) async fn person(app: &AppState, who: &SignedIn, id: &str) -> Result<PersonListing, StaffError> {
    match directory::person_listing(&app.db, id).await? {
        Some(p) if who.session.staff.may_see_person_of(p.office_id.as_deref()) => Ok(p),
        _ => Err(StaffError::NotFound),
    }
}

/// A person with their consents and caregivers, as the person page and the API show them.
#[derive(Debug, serde::Serialize)]
pub struct PersonDetail {
    pub person: PersonListing,
    pub consents: Consents,
    pub caregivers: Vec<Caregiver>,
}

pub(crate) async fn detail(app: &AppState, who: &SignedIn, id: &str) -> Result<PersonDetail, StaffError> {
    let person = person(app, who, id).await?;
    let consents = directory::consents(&app.db, id).await?.ok_or(StaffError::NotFound)?;
    let caregivers = caregivers::of_person(&app.db, id).await?;
    who.audit(app, "person.view", "person", id, "").await?;
    Ok(PersonDetail { person, consents, caregivers })
}

pub(crate) async fn export(app: &AppState, who: &SignedIn, id: &str) -> Result<serde_json::Value, StaffError> {
    allowed(who)?;
    let doc = person::export(&app.db, id).await?.ok_or(StaffError::NotFound)?;
    who.audit(app, "person.export", "person", id, "").await?;
    Ok(doc)
}

pub(crate) async fn erase(app: &AppState, who: &SignedIn, id: &str) -> Result<Erased, StaffError> {
    allowed(who)?;
    let erased = person::erase(&app.db, &app.config.server.data_dir, id, who.username()).await?.ok_or(StaffError::NotFound)?;
    let detail = format!(
        "Anliegen {}, Anrufe {}, Buchungen {}, Fahrten {}, Angehörige {}",
        erased.tickets, erased.calls, erased.bookings, erased.rides, erased.caregivers
    );
    who.audit(app, "person.erase", "person", id, &detail).await?;
    Ok(erased)
}

pub async fn list(State(app): State<AppState>, who: SignedIn, Query(s): Query<Search>) -> Result<Markup, StaffError> {
    let found = search(&app, &who, &s.q).await?;
    let content = html! {
        h1 { "Personen" }
        @if s.done == "erased" { p.notice role="status" { "Die Daten der Person sind gelöscht." } }
        p {
            "Registrierte Personen mit ihren Angehörigen und Helfern (Kümmerer) und ihren Einwilligungen. "
            @if who.session.staff.oversees() { "Auskunft (Art. 15 DSGVO) und Löschung (Art. 17 DSGVO) auf der Seite der Person. " }
            "Jeder Zugriff wird protokolliert."
        }
        form.filters method="get" action="/staff/people" role="search" {
            div {
                label for="q" { "Name oder Telefonnummer" }
                input #q name="q" type="search" value=(s.q) minlength="2" required;
            }
            div { button type="submit" { "Suchen" } }
        }
        @if !s.q.trim().is_empty() || !found.is_empty() {
            table {
                caption.skip { "Suchergebnis" }
                thead { tr { th scope="col" { "Name" } th scope="col" { "Telefon" } th scope="col" { "Postleitzahl" } } }
                tbody {
                    @if found.is_empty() { tr { td colspan="3" { "Niemand gefunden." } } }
                    @for p in &found {
                        tr {
                            td { a href={ "/staff/people/" (p.id) } { (p.name) } }
                            td { (p.phone.as_deref().unwrap_or("–")) }
                            td { (p.postcode.as_deref().unwrap_or("–")) }
                        }
                    }
                }
            }
        }
    };
    Ok(page("Personen", Some(&who), content))
}

pub async fn show(
    State(app): State<AppState>,
    who: SignedIn,
    Path(id): Path<String>,
    Query(s): Query<Search>,
) -> Result<Markup, StaffError> {
    let PersonDetail { person: p, consents, caregivers } = detail(&app, &who, &id).await?;
    let content = html! {
        p { a href="/staff/people" { "← Zurück zur Suche" } }
        h1 { (p.name) }
        @if let Some(done) = super::caregivers::done_message(&s.done) { p.notice role="status" { (done) } }
        dl.facts {
            dt { "Telefon" } dd { (p.phone.as_deref().unwrap_or("–")) }
            dt { "Postleitzahl" } dd { (p.postcode.as_deref().unwrap_or("–")) }
        }
        (super::caregivers::consent_form(&who, &p.id, consents))
        (super::caregivers::section(&who, app.config.dialog.timezone, &p.id, consents, &caregivers))
        @if who.session.staff.oversees() {
            h2 { "Auskunft" }
            p { "Alle gespeicherten Daten dieser Person (Person, Angehörige, Anliegen mit Verlauf, Anrufe, Buchungen, Fahrten) als Datei." }
            p { a.button href={ "/staff/people/" (p.id) "/export" } download { "Daten herunterladen (JSON)" } }
            h2 { "Löschen" }
            form.actions method="post" action={ "/staff/people/" (p.id) "/erase" } {
                (csrf_field(&who))
                p {
                    "Löscht die Person und ihre Angehörigen und entfernt Namen, Nummern, Adressen, Notizen und Sprachnachrichten "
                    "aus allen Anliegen, Anrufen, Buchungen und Fahrten. Offene Fahrten werden storniert. "
                    "Anonyme Zahlen für die Statistik bleiben. " strong { "Das lässt sich nicht rückgängig machen." }
                }
                div {
                    input #confirm type="checkbox" name="confirm" value="ja" required;
                    label for="confirm" style="display:inline" { " Ja, alle Daten von " (p.name) " löschen" }
                }
                div.buttons { button.danger type="submit" { "Endgültig löschen" } }
            }
        }
    };
    Ok(page(&p.name, Some(&who), content))
}

pub async fn download(State(app): State<AppState>, who: SignedIn, Path(id): Path<String>) -> Result<Response, StaffError> {
    let doc = export(&app, &who, &id).await?;
    let body = serde_json::to_string_pretty(&doc).map_err(|e| StaffError::Internal(e.to_string()))?;
    let disposition = format!("attachment; filename=\"person-{id}.json\"");
    Ok(([(header::CONTENT_TYPE, "application/json".to_string()), (header::CONTENT_DISPOSITION, disposition)], body).into_response())
}

#[derive(Deserialize)]
pub struct EraseForm {
    #[serde(default)]
    confirm: String,
}

pub async fn erase_form(
    State(app): State<AppState>,
    who: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<EraseForm>,
) -> Result<Response, StaffError> {
    allowed(&who)?;
    if f.confirm != "ja" {
        return Err(StaffError::Invalid("Bitte bestätigen Sie das Löschen mit dem Häkchen."));
    }
    erase(&app, &who, &id).await?;
    Ok(Redirect::to("/staff/people?done=erased").into_response())
}
