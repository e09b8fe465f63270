//! One ticket: who called and why, the way through the menu, the voice message, the
//! history, and the actions that work it (claim, note, call-back attempt, close, hand to
//! another office). Every action writes a history event and an audit entry.

use super::actions;
use super::error::StaffError;
use super::extract::{SignedIn, TicketAccess};
use super::layout::{Urgency, csrf_field, event_label, kind_label, local_time, page, status_label, topic_label, urgent_badge};
use crate::domain::directory::{self, Office};
use crate::domain::tickets::{self, Attempt, Ticket, TicketEvent};
use crate::server::AppState;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use chrono_tz::Tz;
use maud::{Markup, html};
use serde::Deserialize;

/// Outcome shown after an action (fixed texts: nothing from the URL reaches the page).
#[derive(Deserialize)]
pub struct Done {
    #[serde(default)]
    done: String,
}

fn done_message(key: &str) -> Option<&'static str> {
    Some(match key {
        "claimed" => "Sie bearbeiten dieses Anliegen jetzt.",
        "note" => "Die Notiz ist gespeichert.",
        "attempt" => "Der Rückrufversuch ist eingetragen.",
        "closed" => "Das Anliegen ist geschlossen.",
        _ => return None,
    })
}

pub async fn show(
    State(app): State<AppState>,
    TicketAccess { who, ticket }: TicketAccess,
    Query(q): Query<Done>,
) -> Result<Markup, StaffError> {
    let events = tickets::events(&app.db, &ticket.id).await?;
    let offices = directory::offices(&app.db).await?;
    who.audit(&app, "ticket.view", "ticket", &ticket.id, "").await?;
    let topic = topic_label(&app.prompts, &ticket.topic);
    let content = detail(&app.config.dialog.timezone, &who, &ticket, topic, &events, &offices, done_message(&q.done));
    Ok(page(topic, Some(&who), content))
}

fn detail(tz: &Tz, who: &SignedIn, t: &Ticket, topic: &str, events: &[TicketEvent], offices: &[Office], done: Option<&str>) -> Markup {
    let tz = *tz;
    let urgency = Urgency::of(&t.due_at, chrono::Utc::now(), tz);
    let window = match (&t.window_start, &t.window_end) {
        (Some(a), Some(b)) => format!("{} bis {}", local_time(a, tz), local_time(b, tz)),
        _ => "keins genannt".to_string(),
    };
    let action = |what: &str| format!("/staff/tickets/{}/{what}", t.id);
    html! {
        p { a href="/staff/queue" { "← Zurück zur Warteschlange" } }
        h1 { (kind_label(&t.kind)) ": " (topic) @if t.priority > 0 { " " (urgent_badge()) } }
        @if let Some(d) = done { p.notice role="status" { (d) } }
        dl.facts {
            dt { "Status" } dd { (status_label(&t.status)) @if let Some(a) = &t.assignee { " (" (a) ")" } }
            dt { "Fällig" } dd {
                @if t.status != "closed" { span class=(urgency.class()) { (urgency.label()) } " " }
                (local_time(&t.due_at, tz))
            }
            dt { "Rückrufnummer" } dd {
                @match &t.callback_number { Some(n) => a href={ "tel:" (n) } { (n) }, None => "–" }
            }
            dt { "Zeitfenster" } dd { (window) }
            dt { "Büro" } dd { (t.office_name) }
            dt { "Postleitzahl" } dd { (t.postcode.as_deref().unwrap_or("–")) }
            dt { "Eingang" } dd { (local_time(&t.created_at, tz)) }
        }

        h2 { "Anrufende Person" }
        @match &t.person {
            Some(p) => dl.facts {
                dt { "Name" } dd { (p.name) }
                dt { "Telefon" } dd { (p.phone.as_deref().unwrap_or("–")) }
                dt { "Adresse" } dd { (p.address) }
                @if !p.mobility.is_empty() { dt { "Mobilität" } dd { (p.mobility) } }
            },
            None => p { "Nicht registriert." },
        }
        @if let Some(c) = &t.call {
            h2 { "Anruf" }
            dl.facts {
                dt { "Anrufer-Nummer" } dd { (c.caller.as_deref().unwrap_or("unterdrückt")) }
                dt { "Zeit" } dd { (local_time(&c.started_at, tz)) }
                @if let Some(o) = &c.outcome { dt { "Ergebnis" } dd { (o) } }
            }
            h3 { "Weg durch das Menü" }
            ol.path { @for step in c.path.split('>').filter(|s| !s.is_empty()) { li { (step) } } }
        }
        @if t.has_audio || t.transcript.is_some() {
            h2 { "Sprachnachricht" }
            @if t.has_audio {
                audio controls preload="none" src=(action("audio")) { "Ihr Browser kann die Aufnahme nicht abspielen." }
            }
            @if let Some(text) = &t.transcript { p { strong { "Abschrift: " } (text) } }
        }

        h2 { "Bearbeiten" }
        div.actions {
            @if t.status == "open" {
                form method="post" action=(action("claim")) {
                    (csrf_field(who))
                    p { "Noch niemand bearbeitet dieses Anliegen." }
                    button type="submit" { "Übernehmen" }
                }
            }
            @if t.status != "closed" {
                form method="post" action=(action("attempt")) {
                    (csrf_field(who))
                    label for="attempt-note" { "Rückrufversuch (Notiz, freiwillig)" }
                    input #attempt-note name="note" type="text" size="30";
                    div.buttons {
                        @for a in Attempt::ALL { button.secondary type="submit" name="outcome" value=(a.as_str()) { (a.label()) } }
                    }
                }
            }
            form method="post" action=(action("note")) {
                (csrf_field(who))
                label for="note-text" { "Notiz" }
                textarea #note-text name="text" required rows="3" cols="40" {}
                div.buttons { button type="submit" { "Notiz speichern" } }
            }
            @if t.status != "closed" {
                form method="post" action=(action("reassign")) {
                    (csrf_field(who))
                    label for="office" { "An anderes Büro geben" }
                    select #office name="office_id" {
                        @for o in offices.iter().filter(|o| o.id != t.office_id) { option value=(o.id) { (o.name) } }
                    }
                    div.buttons { button.secondary type="submit" { "Übergeben" } }
                }
                form method="post" action=(action("close")) {
                    (csrf_field(who))
                    label for="close-reason" { "Schließen (Grund, freiwillig)" }
                    input #close-reason name="reason" type="text" size="30";
                    div.buttons { button.danger type="submit" { "Anliegen schließen" } }
                }
            }
        }

        h2 { "Verlauf" }
        table {
            thead { tr { th scope="col" { "Zeit" } th scope="col" { "Wer" } th scope="col" { "Was" } th scope="col" { "Details" } } }
            tbody {
                @for e in events {
                    tr { td { (local_time(&e.at, tz)) } td { (e.actor) } td { (event_label(&e.kind)) } td { (e.detail) } }
                }
            }
        }
    }
}

fn back_to(ticket: &Ticket, done: &str) -> Response {
    Redirect::to(&format!("/staff/tickets/{}?done={done}", ticket.id)).into_response()
}

pub async fn claim(State(app): State<AppState>, TicketAccess { who, ticket }: TicketAccess) -> Result<Response, StaffError> {
    actions::claim(&app, &who, &ticket).await?;
    Ok(back_to(&ticket, "claimed"))
}

#[derive(Deserialize)]
pub struct NoteForm {
    text: String,
}

pub async fn note(
    State(app): State<AppState>,
    TicketAccess { who, ticket }: TicketAccess,
    Form(f): Form<NoteForm>,
) -> Result<Response, StaffError> {
    actions::note(&app, &who, &ticket, &f.text).await?;
    Ok(back_to(&ticket, "note"))
}

#[derive(Deserialize)]
pub struct AttemptForm {
    outcome: Attempt,
    #[serde(default)]
    note: String,
}

pub async fn attempt(
    State(app): State<AppState>,
    TicketAccess { who, ticket }: TicketAccess,
    Form(f): Form<AttemptForm>,
) -> Result<Response, StaffError> {
    actions::attempt(&app, &who, &ticket, f.outcome, &f.note).await?;
    Ok(back_to(&ticket, "attempt"))
}

#[derive(Deserialize)]
pub struct CloseForm {
    #[serde(default)]
    reason: String,
}

pub async fn close(
    State(app): State<AppState>,
    TicketAccess { who, ticket }: TicketAccess,
    Form(f): Form<CloseForm>,
) -> Result<Response, StaffError> {
    actions::close(&app, &who, &ticket, &f.reason).await?;
    Ok(back_to(&ticket, "closed"))
}

#[derive(Deserialize)]
pub struct ReassignForm {
    office_id: String,
}

/// Staff of the old office lose sight of the ticket, so they go back to their queue.
pub async fn reassign(
    State(app): State<AppState>,
    TicketAccess { who, ticket }: TicketAccess,
    Form(f): Form<ReassignForm>,
) -> Result<Response, StaffError> {
    actions::reassign(&app, &who, &ticket, &f.office_id).await?;
    Ok(Redirect::to("/staff/queue").into_response())
}

/// The voice message, only through this authorised route (and only from inside the data
/// directory, see [`tickets::voice_file`]).
pub async fn audio(State(app): State<AppState>, TicketAccess { who, ticket }: TicketAccess) -> Result<Response, StaffError> {
    let stored = tickets::audio_path(&app.db, &ticket.id).await?.ok_or(StaffError::NotFound)?;
    let path = tickets::voice_file(&app.config.server.data_dir, &stored).ok_or(StaffError::NotFound)?;
    let bytes = tokio::fs::read(&path).await.map_err(|_| StaffError::NotFound)?;
    who.audit(&app, "ticket.audio", "ticket", &ticket.id, "").await?;
    let mime = match path.extension().and_then(|e| e.to_str()) {
        Some("mp3") => "audio/mpeg",
        Some("ogg" | "opus") => "audio/ogg",
        _ => "audio/wav",
    };
    Ok(([(header::CONTENT_TYPE, mime), (header::CACHE_CONTROL, "no-store")], bytes).into_response())
}
