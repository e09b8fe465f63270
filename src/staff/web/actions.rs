//! What staff do to a ticket, shared by the pages and the API: the change itself (with
//! its history event, in the domain) and the audit entry.

use super::error::StaffError;
use super::extract::SignedIn;
use crate::domain::directory;
use crate::domain::tickets::{self, Attempt, Ticket};
use crate::server::AppState;

const CLOSED_ALREADY: &str = "Dieses Anliegen ist schon geschlossen.";

pub async fn claim(app: &AppState, who: &SignedIn, t: &Ticket) -> Result<(), StaffError> {
    if !tickets::claim(&app.db, &t.id, who.username()).await? {
        return Err(StaffError::Conflict("Dieses Anliegen bearbeitet schon jemand anderes."));
    }
    Ok(who.audit(app, "ticket.claim", "ticket", &t.id, "").await?)
}

pub async fn note(app: &AppState, who: &SignedIn, t: &Ticket, text: &str) -> Result<(), StaffError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(StaffError::Invalid("Bitte schreiben Sie eine Notiz."));
    }
    tickets::add_note(&app.db, &t.id, who.username(), text).await?;
    Ok(who.audit(app, "ticket.note", "ticket", &t.id, "").await?)
}

pub async fn attempt(app: &AppState, who: &SignedIn, t: &Ticket, outcome: Attempt, note: &str) -> Result<(), StaffError> {
    if !tickets::record_attempt(&app.db, &t.id, who.username(), outcome, note.trim()).await? {
        return Err(StaffError::Conflict(CLOSED_ALREADY));
    }
    Ok(who.audit(app, "ticket.attempt", "ticket", &t.id, outcome.as_str()).await?)
}

pub async fn close(app: &AppState, who: &SignedIn, t: &Ticket, reason: &str) -> Result<(), StaffError> {
    if !tickets::close(&app.db, &t.id, who.username(), reason.trim()).await? {
        return Err(StaffError::Conflict(CLOSED_ALREADY));
    }
    Ok(who.audit(app, "ticket.close", "ticket", &t.id, "").await?)
}

pub async fn reassign(app: &AppState, who: &SignedIn, t: &Ticket, office_id: &str) -> Result<(), StaffError> {
    if office_id == t.office_id || directory::office(&app.db, office_id).await?.is_none() {
        return Err(StaffError::Invalid("Bitte wählen Sie ein anderes Büro."));
    }
    if !tickets::reassign(&app.db, &t.id, who.username(), &t.office_id, office_id).await? {
        return Err(StaffError::Conflict("Das Anliegen hat sich inzwischen geändert. Bitte laden Sie die Seite neu."));
    }
    Ok(who.audit(app, "ticket.reassign", "ticket", &t.id, office_id).await?)
}
