//! Offers pages: an office's offers with their dates, changing the seats per date,
//! calling off a date (the people who booked get call-backs), and importing the offers
//! file with a preview of every problem line by line before anything is stored.
//! Staff manage their own office's offers, coordinators and admins every office's and
//! the import (a file spans offices); the ride desk has no offers.

use super::error::StaffError;
use super::extract::SignedIn;
use super::layout::{csrf_field, page};
use crate::offers::manage::{self, ManageError, ManagedDate, ManagedOffer};
use crate::offers::{ImportError, ImportSummary, LineError, OffersFile};
use crate::server::AppState;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::{Deserialize, Serialize};

/// Weeks of dates an import creates for weekly series, as `hotline import offers`.
const IMPORT_WEEKS: u32 = 12;

impl From<ManageError> for StaffError {
    fn from(e: ManageError) -> Self {
        match e {
            ManageError::NotFound => StaffError::NotFound,
            ManageError::BelowBooked { .. } => {
                StaffError::Conflict("An einem Termin sind schon mehr Plätze gebucht. Bitte mehr Plätze angeben.")
            }
            ManageError::CapacityRequired => StaffError::Invalid("Dieses Angebot braucht eine Anmeldung, also eine Platzzahl."),
            ManageError::CancelledAlready => StaffError::Conflict("Dieser Termin ist schon abgesagt."),
            ManageError::Db(e) => e.into(),
        }
    }
}

pub(crate) async fn list(app: &AppState, who: &SignedIn) -> Result<Vec<ManagedOffer>, StaffError> {
    let office = who.session.staff.offer_office().ok_or(StaffError::NotFound)?;
    let offers = manage::offers(&app.db, office).await?;
    who.audit(app, "offers.list", "", "", &format!("{} Angebote", offers.len())).await?;
    Ok(offers)
}

/// The offer `id` if `who` manages it; 404 otherwise, as for a missing one.
pub(crate) async fn offer(app: &AppState, who: &SignedIn, id: &str) -> Result<ManagedOffer, StaffError> {
    match manage::offer(&app.db, id).await? {
        Some(o) if who.session.staff.offer_office().is_some_and(|office| office.is_empty() || office == o.office_id) => Ok(o),
        _ => Err(StaffError::NotFound),
    }
}

/// Upcoming dates: from now, local time.
pub(crate) async fn upcoming(app: &AppState, offer_id: &str) -> Result<Vec<ManagedDate>, StaffError> {
    let from = crate::rides::format_local(app.config.dialog.local_now());
    Ok(manage::dates(&app.db, offer_id, &from).await?)
}

const MAX_CAPACITY: u32 = 10_000;
const CAPACITY_HINT: &str = "Bitte eine Platzzahl von 1 bis 10000 angeben, oder leer für „ohne Platzbegrenzung“.";

/// Capacity as typed: empty for "open to all", else a whole number of seats.
fn parse_capacity(text: &str) -> Result<Option<u32>, StaffError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<u32>().map(Some).map_err(|_| StaffError::Invalid(CAPACITY_HINT))
}

pub(crate) async fn set_capacity(app: &AppState, who: &SignedIn, id: &str, capacity: Option<u32>) -> Result<(), StaffError> {
    let o = offer(app, who, id).await?;
    if capacity.is_some_and(|c| !(1..=MAX_CAPACITY).contains(&c)) {
        return Err(StaffError::Invalid(CAPACITY_HINT));
    }
    manage::set_capacity(&app.db, &o.id, capacity).await?;
    let detail = capacity.map_or_else(|| "ohne Begrenzung".to_string(), |c| c.to_string());
    Ok(who.audit(app, "offer.capacity", "offer", &o.id, &detail).await?)
}

pub(crate) async fn cancel_date(app: &AppState, who: &SignedIn, id: &str, date_id: &str, reason: &str) -> Result<Vec<String>, StaffError> {
    let o = offer(app, who, id).await?;
    if !upcoming(app, &o.id).await?.iter().any(|d| d.id == date_id) {
        return Err(StaffError::NotFound);
    }
    let tickets = manage::cancel_date(&app.db, date_id, who.username(), reason).await?;
    who.audit(app, "offer.cancel_date", "offer_date", date_id, &format!("{} Rückrufe", tickets.len())).await?;
    Ok(tickets)
}

/// What checking an offers file found: every problem by line, or how many offers it holds.
#[derive(Debug, Serialize)]
pub struct Preview {
    pub offers: usize,
    pub errors: Vec<PreviewError>,
}

#[derive(Debug, Serialize)]
pub struct PreviewError {
    pub line: u64,
    pub message: String,
}

fn errors(lines: Vec<LineError>) -> Vec<PreviewError> {
    lines.into_iter().map(|e| PreviewError { line: e.line, message: e.message }).collect()
}

/// Only coordinators and admins import: a file spans offices.
fn may_import(who: &SignedIn) -> Result<(), StaffError> {
    if who.session.staff.oversees() { Ok(()) } else { Err(StaffError::NotFound) }
}

pub(crate) fn preview(who: &SignedIn, text: &str) -> Result<(Preview, Option<OffersFile>), StaffError> {
    may_import(who)?;
    Ok(match OffersFile::parse(text) {
        Ok(file) => (Preview { offers: file.offer_count(), errors: Vec::new() }, Some(file)),
        Err(e) => (Preview { offers: 0, errors: errors(e.0) }, None),
    })
}

/// Imports a file without problems; a file with problems imports nothing and says why.
pub(crate) async fn import(app: &AppState, who: &SignedIn, text: &str) -> Result<Result<ImportSummary, Preview>, StaffError> {
    let (checked, file) = preview(who, text)?;
    let Some(file) = file else { return Ok(Err(checked)) };
    match file.import(&app.db, app.config.dialog.local_now().date(), IMPORT_WEEKS).await {
        Ok(summary) => {
            let detail = format!("{} Angebote, {} Termine neu, {} abgesagt", summary.offers, summary.dates_added, summary.dates_cancelled);
            who.audit(app, "offers.import", "", "", &detail).await?;
            Ok(Ok(summary))
        }
        Err(ImportError::Lines(lines)) => Ok(Err(Preview { offers: 0, errors: errors(lines.0) })),
        Err(ImportError::Db(e)) => Err(e.into()),
    }
}

fn capacity_label(o: &ManagedOffer) -> String {
    o.capacity.map_or_else(|| "ohne Begrenzung".to_string(), |c| format!("{c} Plätze"))
}

pub async fn list_page(State(app): State<AppState>, who: SignedIn) -> Result<Markup, StaffError> {
    let offers = list(&app, &who).await?;
    let content = html! {
        h1 { "Angebote" }
        @if who.session.staff.oversees() { p { a href="/staff/offers/import" { "Angebotsdatei einlesen" } } }
        table {
            caption.skip { "Angebote" }
            thead { tr { th scope="col" { "Angebot" } th scope="col" { "Anbieter" } th scope="col" { "Ort" } th scope="col" { "Plätze je Termin" } th scope="col" { "Status" } } }
            tbody {
                @if offers.is_empty() { tr { td colspan="5" { "Keine Angebote." } } }
                @for o in &offers {
                    tr {
                        td { a href={ "/staff/offers/" (o.id) } { (o.title) } }
                        td { (o.provider) }
                        td { (o.venue) }
                        td { (capacity_label(o)) }
                        td { @if o.status == "active" { "aktiv" } @else { "abgesagt" } }
                    }
                }
            }
        }
    };
    Ok(page("Angebote", Some(&who), content))
}

#[derive(Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    done: String,
}

pub async fn show(State(app): State<AppState>, who: SignedIn, Path(id): Path<String>, Query(q): Query<Done>) -> Result<Markup, StaffError> {
    let o = offer(&app, &who, &id).await?;
    let dates = upcoming(&app, &o.id).await?;
    who.audit(&app, "offer.view", "offer", &o.id, "").await?;
    let done = match q.done.as_str() {
        "capacity" => Some("Die Platzzahl ist gespeichert."),
        "cancelled" => Some("Der Termin ist abgesagt. Für jede Anmeldung ist ein Rückruf-Anliegen angelegt."),
        _ => None,
    };
    let action = |what: &str| format!("/staff/offers/{}/{what}", o.id);
    let content = html! {
        p { a href="/staff/offers" { "← Zurück zu den Angeboten" } }
        h1 { (o.title) }
        @if let Some(d) = done { p.notice role="status" { (d) } }
        dl.facts {
            dt { "Anbieter" } dd { (o.provider) }
            dt { "Ort" } dd { (o.venue) }
            dt { "Plätze je Termin" } dd { (capacity_label(&o)) }
            dt { "Anmeldung" } dd { @if o.booking_required { "nötig" } @else { "nicht nötig" } }
        }
        h2 { "Plätze ändern" }
        form.actions method="post" action=(action("capacity")) {
            (csrf_field(&who))
            div {
                label for="capacity" { "Plätze je Termin (leer: ohne Begrenzung)" }
                input #capacity name="capacity" type="number" min="1" max="10000" value=[o.capacity];
            }
            div.buttons { button type="submit" { "Speichern" } }
        }
        h2 { "Kommende Termine" }
        table {
            caption.skip { "Kommende Termine" }
            thead { tr { th scope="col" { "Beginn" } th scope="col" { "Gebucht" } th scope="col" { "Status" } th scope="col" { "Absagen" } } }
            tbody {
                @if dates.is_empty() { tr { td colspan="4" { "Keine kommenden Termine." } } }
                @for d in &dates {
                    tr {
                        td { (d.starts_at.replace('T', " um ")) " Uhr" }
                        td { (d.seats_taken) }
                        td { @if d.status == "scheduled" { "findet statt" } @else { "abgesagt" } }
                        td {
                            @if d.status == "scheduled" {
                                form method="post" action={ (action("dates")) "/" (d.id) "/cancel" } {
                                    (csrf_field(&who))
                                    label for={ "reason-" (d.id) } { "Grund (freiwillig)" }
                                    input id={ "reason-" (d.id) } name="reason" type="text" size="20";
                                    " "
                                    button.danger type="submit" aria-label={ "Termin am " (d.starts_at) " absagen" } { "Absagen" }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(&o.title, Some(&who), content))
}

#[derive(Deserialize)]
pub struct CapacityForm {
    #[serde(default)]
    capacity: String,
}

pub async fn capacity_form(
    State(app): State<AppState>,
    who: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<CapacityForm>,
) -> Result<Response, StaffError> {
    offer(&app, &who, &id).await?;
    set_capacity(&app, &who, &id, parse_capacity(&f.capacity)?).await?;
    Ok(Redirect::to(&format!("/staff/offers/{id}?done=capacity")).into_response())
}

#[derive(Deserialize)]
pub struct CancelForm {
    #[serde(default)]
    reason: String,
}

pub async fn cancel_form(
    State(app): State<AppState>,
    who: SignedIn,
    Path((id, date_id)): Path<(String, String)>,
    Form(f): Form<CancelForm>,
) -> Result<Response, StaffError> {
    cancel_date(&app, &who, &id, &date_id, &f.reason).await?;
    Ok(Redirect::to(&format!("/staff/offers/{id}?done=cancelled")).into_response())
}

#[derive(Deserialize)]
pub struct ImportForm {
    #[serde(default)]
    csv: String,
    /// `preview` or `import`.
    #[serde(default)]
    step: String,
}

fn import_page(who: &SignedIn, text: &str, result: Option<&Result<ImportSummary, Preview>>, checked: Option<&Preview>) -> Markup {
    let problems = match (result, checked) {
        (Some(Err(p)), _) | (None, Some(p)) => Some(p),
        _ => None,
    };
    let content = html! {
        p { a href="/staff/offers" { "← Zurück zu den Angeboten" } }
        h1 { "Angebotsdatei einlesen" }
        p { "Fügen Sie den Inhalt der CSV-Datei ein (Spalten wie in der Anleitung). Zuerst wird jede Zeile geprüft; "
            "eingelesen wird erst nach der Prüfung und nur, wenn keine Zeile einen Fehler hat." }
        @if let Some(Ok(s)) = result {
            p.notice role="status" {
                "Eingelesen: " (s.offers) " Angebote, " (s.dates_added) " neue Termine, " (s.dates_changed) " geänderte, "
                (s.dates_cancelled) " abgesagte Termine."
                @if s.bookings_on_cancelled > 0 { " " strong { (s.bookings_on_cancelled) " Anmeldungen betreffen abgesagte Termine: bitte die Personen informieren." } }
            }
        }
        @if let Some(p) = problems {
            @if p.errors.is_empty() {
                p.notice role="status" { "Geprüft: " (p.offers) " Angebote, keine Fehler. Sie können die Datei jetzt einlesen." }
            } @else {
                div.error role="alert" {
                    p { strong { (p.errors.len()) " Fehler – nichts wurde eingelesen." } }
                    table {
                        caption.skip { "Fehler nach Zeile" }
                        thead { tr { th scope="col" { "Zeile" } th scope="col" { "Problem" } } }
                        tbody { @for e in &p.errors { tr { td { (e.line) } td { (e.message) } } } }
                    }
                }
            }
        }
        form method="post" action="/staff/offers/import" {
            (csrf_field(who))
            label for="csv" { "Inhalt der Angebotsdatei (CSV)" }
            textarea #csv name="csv" rows="14" required { (text) }
            div.buttons {
                button.secondary type="submit" name="step" value="preview" { "Prüfen" }
                @if problems.is_some_and(|p| p.errors.is_empty()) { " " button type="submit" name="step" value="import" { "Einlesen" } }
            }
        }
    };
    page("Angebote einlesen", Some(who), content)
}

pub async fn import_form(who: SignedIn) -> Result<Markup, StaffError> {
    may_import(&who)?;
    Ok(import_page(&who, "", None, None))
}

pub async fn import_submit(State(app): State<AppState>, who: SignedIn, Form(f): Form<ImportForm>) -> Result<Markup, StaffError> {
    if f.step == "import" {
        let result = import(&app, &who, &f.csv).await?;
        let text = if result.is_ok() { "" } else { f.csv.as_str() };
        return Ok(import_page(&who, text, Some(&result), None));
    }
    let (checked, _) = preview(&who, &f.csv)?;
    Ok(import_page(&who, &f.csv, None, Some(&checked)))
}
