//! The ride desk's pages: the ride requests of a day, and one request with its address
//! check, accept and decline. Staff see their own office's rides, the ride desk,
//! coordinators and admins every office's; any other ride answers 404.

use super::error::StaffError;
use super::extract::SignedIn;
use super::layout::{csrf_field, page};
use crate::rides::desk::{self, DeskRide};
use crate::rides::store::Point;
use crate::server::AppState;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use maud::{Markup, html};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct DayQuery {
    /// 'YYYY-MM-DD'; empty: tomorrow, the day the desk usually prepares.
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    done: String,
}

fn parse_day(app: &AppState, date: &str) -> Result<NaiveDate, StaffError> {
    if date.is_empty() {
        return Ok(app.config.dialog.local_now().date() + chrono::Duration::days(1));
    }
    NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| StaffError::Invalid("Bitte ein Datum wie 2026-12-03 angeben."))
}

/// The rides of `date` (see [`DayQuery::date`]) that `who` may see.
pub(crate) async fn day(app: &AppState, who: &SignedIn, date: &str) -> Result<(NaiveDate, Vec<DeskRide>), StaffError> {
    let date = parse_day(app, date)?;
    let Some(office) = who.session.staff.ride_office() else { return Ok((date, Vec::new())) };
    let rides = desk::day(&app.db, date, office).await?;
    who.audit(app, "rides.list", "", "", &format!("{date}: {} Fahrten", rides.len())).await?;
    Ok((date, rides))
}

/// The ride `id` if `who` may see it; 404 whether it is missing or another office's.
pub(crate) async fn ride(app: &AppState, who: &SignedIn, id: &str) -> Result<DeskRide, StaffError> {
    match desk::get(&app.db, id).await? {
        Some(r) if who.session.staff.may_see_rides_of(&r.office_id) => Ok(r),
        _ => Err(StaffError::NotFound),
    }
}

/// A coordinate as typed, with a decimal point or comma.
fn coordinate(text: &str, limit: f64) -> Option<f64> {
    text.trim().replace(',', ".").parse::<f64>().ok().filter(|v| v.is_finite() && v.abs() <= limit)
}

pub(crate) async fn set_pickup(app: &AppState, who: &SignedIn, id: &str, address: &str, lat: &str, lon: &str) -> Result<(), StaffError> {
    let r = ride(app, who, id).await?;
    let address = address.trim();
    let at = coordinate(lat, 90.0).zip(coordinate(lon, 180.0)).map(|(lat, lon)| Point { lat, lon });
    let (false, Some(at)) = (address.is_empty(), at) else {
        return Err(StaffError::Invalid("Bitte Adresse, Breite und Länge angeben (z. B. 51,4832 und 7,5062)."));
    };
    desk::set_pickup(&app.db, &r.id, who.username(), address, at).await?;
    Ok(who.audit(app, "ride.pickup", "ride", &r.id, "").await?)
}

pub(crate) async fn accept(app: &AppState, who: &SignedIn, id: &str) -> Result<(), StaffError> {
    let r = ride(app, who, id).await?;
    desk::accept(&app.db, &r.id, who.username()).await?;
    Ok(who.audit(app, "ride.accept", "ride", &r.id, "").await?)
}

/// Returns the id of the call-back ticket that tells the person.
pub(crate) async fn decline(app: &AppState, who: &SignedIn, id: &str, reason: &str) -> Result<String, StaffError> {
    let r = ride(app, who, id).await?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(StaffError::Invalid("Bitte geben Sie den Grund für die Ablehnung an."));
    }
    let ticket = desk::decline(&app.db, &r.id, who.username(), reason).await?;
    who.audit(app, "ride.decline", "ride", &r.id, &ticket).await?;
    Ok(ticket)
}

fn direction_label(d: &str) -> &str {
    if d == "return" { "Rückfahrt" } else { "Hinfahrt" }
}

fn status_label(s: &str) -> &str {
    match s {
        "requested" => "angefragt",
        "verified" => "angenommen",
        "planned" => "eingeplant",
        "declined" => "abgelehnt",
        "cancelled" => "storniert",
        other => other,
    }
}

fn aids(r: &DeskRide) -> String {
    let list: Vec<&str> = [(r.wheelchair, "Rollstuhl"), (r.rollator, "Rollator"), (r.companion, "Begleitung")]
        .into_iter()
        .filter(|(on, _)| *on)
        .map(|(_, l)| l)
        .collect();
    if list.is_empty() { "–".into() } else { list.join(", ") }
}

/// 'YYYY-MM-DDTHH:MM' as "09:00".
fn clock(local: &str) -> &str {
    local.split_once('T').map_or(local, |(_, t)| t)
}

pub async fn list(State(app): State<AppState>, who: SignedIn, Query(q): Query<DayQuery>) -> Result<Markup, StaffError> {
    let (date, rides) = day(&app, &who, &q.date).await?;
    let link = |d: NaiveDate| format!("/staff/rides?date={d}");
    let content = html! {
        h1 { "Fahrten am " (date.format("%d.%m.%Y")) }
        @if q.done == "declined" { p.notice role="status" { "Die Fahrt ist abgelehnt. Ein Rückruf-Anliegen für das Büro ist angelegt." } }
        form.filters method="get" action="/staff/rides" {
            div { label for="date" { "Tag" } input #date name="date" type="date" value=(date); }
            div { button type="submit" { "Anzeigen" } }
            div { a href=(link(date - chrono::Duration::days(1))) { "← Vortag" } " " a href=(link(date + chrono::Duration::days(1))) { "Folgetag →" } }
        }
        table {
            caption.skip { "Fahrtwünsche" }
            thead {
                tr {
                    th scope="col" { "Termin" } th scope="col" { "Richtung" } th scope="col" { "Person" } th scope="col" { "Abholung" }
                    th scope="col" { "Ziel" } th scope="col" { "Hilfen" } th scope="col" { "Büro" } th scope="col" { "Status" }
                }
            }
            tbody {
                @if rides.is_empty() { tr { td colspan="8" { "Keine Fahrtwünsche an diesem Tag." } } }
                @for r in &rides {
                    tr {
                        td { a href={ "/staff/rides/" (r.id) } { (clock(&r.appointment_at)) " Uhr" } }
                        td { (direction_label(&r.direction)) }
                        td { (r.person_name.as_deref().unwrap_or("nicht registriert")) }
                        td { (r.pickup_address) br; @if r.pickup.is_some() { "geprüft" } @else { strong { "nicht geprüft" } } }
                        td { (r.destination) }
                        td { (aids(r)) }
                        td { (r.office_name) }
                        td { (status_label(&r.status)) }
                    }
                }
            }
        }
    };
    Ok(page("Fahrten", Some(&who), content))
}

#[derive(Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    done: String,
}

pub async fn show(State(app): State<AppState>, who: SignedIn, Path(id): Path<String>, Query(q): Query<Done>) -> Result<Markup, StaffError> {
    let r = ride(&app, &who, &id).await?;
    who.audit(&app, "ride.view", "ride", &r.id, "").await?;
    let done = match q.done.as_str() {
        "pickup" => Some("Die Abholadresse ist gespeichert."),
        "accepted" => Some("Die Fahrt ist angenommen und kann eingeplant werden."),
        _ => None,
    };
    let action = |what: &str| format!("/staff/rides/{}/{what}", r.id);
    let (lat, lon) = r.pickup.map(|p| (p.lat.to_string(), p.lon.to_string())).unwrap_or_default();
    let open = matches!(r.status.as_str(), "requested" | "verified" | "planned");
    let content = html! {
        p { a href={ "/staff/rides?date=" (r.service_date) } { "← Zurück zu den Fahrten des Tages" } }
        h1 { (direction_label(&r.direction)) " am " (r.appointment_at.replace('T', " um ")) " Uhr" }
        @if let Some(d) = done { p.notice role="status" { (d) } }
        dl.facts {
            dt { "Status" } dd { (status_label(&r.status)) }
            dt { "Person" } dd { (r.person_name.as_deref().unwrap_or("nicht registriert")) }
            dt { "Telefon" } dd { @match &r.person_phone { Some(n) => a href={ "tel:" (n) } { (n) }, None => "–" } }
            dt { "Abholung" } dd { (r.pickup_address) " – " @if r.pickup.is_some() { "geprüft" } @else { strong { "nicht geprüft" } } }
            dt { "Ziel" } dd { (r.destination) }
            dt { "Termin dauert" } dd { (r.appointment_minutes) " Minuten" }
            dt { "Hilfen" } dd { (aids(&r)) }
            dt { "Büro" } dd { (r.office_name) }
            @if let Some(t) = &r.ticket_id { dt { "Anliegen" } dd { a href={ "/staff/tickets/" (t) } { "zum Anliegen" } } }
        }
        h2 { "Bearbeiten" }
        div.actions {
            @if matches!(r.status.as_str(), "requested" | "verified") {
                form method="post" action=(action("pickup")) {
                    (csrf_field(&who))
                    p { strong { "Abholadresse prüfen" } }
                    label for="address" { "Adresse" }
                    input #address name="address" type="text" size="40" required value=(r.pickup_address);
                    label for="lat" { "Breite (z. B. 51,4832)" }
                    input #lat name="lat" type="text" inputmode="decimal" size="12" required value=(lat);
                    label for="lon" { "Länge (z. B. 7,5062)" }
                    input #lon name="lon" type="text" inputmode="decimal" size="12" required value=(lon);
                    div.buttons { button type="submit" { "Adresse speichern" } }
                }
            }
            @if r.status == "requested" {
                form method="post" action=(action("accept")) {
                    (csrf_field(&who))
                    p { "Die Fahrt kann eingeplant werden, wenn beide Adressen geprüft sind." }
                    div.buttons { button type="submit" { "Fahrt annehmen" } }
                }
            }
            @if open {
                form method="post" action=(action("decline")) {
                    (csrf_field(&who))
                    label for="reason" { "Ablehnen (Grund, wird der Person mitgeteilt)" }
                    input #reason name="reason" type="text" size="40" required;
                    p { "Das Büro bekommt ein Rückruf-Anliegen, um der Person Bescheid zu geben." }
                    div.buttons { button.danger type="submit" { "Fahrt ablehnen" } }
                }
            }
        }
    };
    Ok(page("Fahrt", Some(&who), content))
}

#[derive(Deserialize)]
pub struct PickupForm {
    #[serde(default)]
    address: String,
    #[serde(default)]
    lat: String,
    #[serde(default)]
    lon: String,
}

pub async fn pickup_form(
    State(app): State<AppState>,
    who: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<PickupForm>,
) -> Result<Response, StaffError> {
    set_pickup(&app, &who, &id, &f.address, &f.lat, &f.lon).await?;
    Ok(Redirect::to(&format!("/staff/rides/{id}?done=pickup")).into_response())
}

pub async fn accept_form(State(app): State<AppState>, who: SignedIn, Path(id): Path<String>) -> Result<Response, StaffError> {
    accept(&app, &who, &id).await?;
    Ok(Redirect::to(&format!("/staff/rides/{id}?done=accepted")).into_response())
}

#[derive(Deserialize)]
pub struct DeclineForm {
    #[serde(default)]
    reason: String,
}

pub async fn decline_form(
    State(app): State<AppState>,
    who: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<DeclineForm>,
) -> Result<Response, StaffError> {
    let r = ride(&app, &who, &id).await?;
    decline(&app, &who, &id, &f.reason).await?;
    Ok(Redirect::to(&format!("/staff/rides?date={}&done=declined", r.service_date)).into_response())
}
