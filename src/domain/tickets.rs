//! Tickets: every request a caller makes becomes one, in the queue of the right office.

use super::directory::{self, Office};
use super::{PhoneNumber, Postcode};
use crate::db::{Db, DbError, new_id, now};
use serde::Serialize;
use sqlx::Row;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketKind {
    Callback,
    Ride,
    Booking,
    DigitalHelp,
    Other,
}

impl TicketKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TicketKind::Callback => "callback",
            TicketKind::Ride => "ride",
            TicketKind::Booking => "booking",
            TicketKind::DigitalHelp => "digital_help",
            TicketKind::Other => "other",
        }
    }
}

/// What a caller asked for, as the dialog collected it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTicket {
    pub kind: TicketKind,
    pub topic: String,
    pub callback_number: Option<PhoneNumber>,
    pub postcode: Option<Postcode>,
    pub person_id: Option<String>,
    /// Office of a registered person, preferred over postcode routing.
    pub person_office_id: Option<String>,
    pub call_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CreatedTicket {
    pub id: String,
    pub office: Office,
}

/// Routes the ticket to an office and stores it with its first history event, in one
/// transaction. When this returns, the request is durable.
pub async fn create(db: &Db, ticket: &NewTicket, default_office: &str) -> Result<CreatedTicket, DbError> {
    let office = route(db, ticket, default_office).await?;
    let mut tx = db.pool().begin().await?;
    let detail = format!("{} / {} via Telefon", ticket.kind.as_str(), ticket.topic);
    let id = insert(&mut tx, ticket, &office.id, &detail).await?;
    tx.commit().await?;
    Ok(CreatedTicket { id, office })
}

/// Stores a ticket for `office_id` with its first history event (`detail`) inside the
/// caller's transaction, for requests that are stored together with other rows (a
/// booking and its confirmation). Returns the ticket's id.
pub(crate) async fn insert(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    ticket: &NewTicket,
    office_id: &str,
    detail: &str,
) -> Result<String, DbError> {
    let id = new_id();
    let ts = now();
    sqlx::query(
        "INSERT INTO tickets (id, kind, office_id, person_id, call_id, topic, callback_number, postcode, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(&id)
    .bind(ticket.kind.as_str())
    .bind(office_id)
    .bind(ticket.person_id.as_deref())
    .bind(ticket.call_id.as_deref())
    .bind(&ticket.topic)
    .bind(ticket.callback_number.as_ref().map(PhoneNumber::as_str))
    .bind(ticket.postcode.as_ref().map(Postcode::as_str))
    .bind(&ts)
    .execute(&mut **tx)
    .await?;
    sqlx::query("INSERT INTO ticket_events (id, ticket_id, at, actor, kind, detail) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(new_id())
        .bind(&id)
        .bind(&ts)
        .bind("phone")
        .bind("created")
        .bind(detail)
        .execute(&mut **tx)
        .await?;
    Ok(id)
}

/// The office a ticket goes to: the person's own, else by postcode, else the fallback.
pub async fn route(db: &Db, ticket: &NewTicket, default_office: &str) -> Result<Office, DbError> {
    if let Some(id) = &ticket.person_office_id
        && let Some(o) = directory::office(db, id).await?
    {
        return Ok(o);
    }
    if let Some(pc) = &ticket.postcode
        && let Some(o) = directory::office_for_postcode(db, pc).await?
    {
        return Ok(o);
    }
    directory::fallback_office(db, default_office).await?.ok_or_else(|| {
        DbError::Query(sqlx::Error::Protocol("no office is configured: import offices first (hotline import directory FILE)".into()))
    })
}

/// A ticket as the staff queue shows it.
#[derive(Debug, Clone, Serialize)]
pub struct TicketRow {
    pub id: String,
    pub kind: String,
    pub office_id: String,
    pub topic: String,
    pub callback_number: Option<String>,
    pub status: String,
    pub created_at: String,
}

/// Open tickets of one office (or all), oldest first.
pub async fn open_tickets(db: &Db, office_id: Option<&str>) -> Result<Vec<TicketRow>, DbError> {
    let rows = sqlx::query(
        "SELECT id, kind, office_id, topic, callback_number, status, created_at FROM tickets
         WHERE status <> 'closed' AND ($1 = '' OR office_id = $1) ORDER BY created_at, id",
    )
    .bind(office_id.unwrap_or(""))
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| TicketRow {
            id: r.get("id"),
            kind: r.get("kind"),
            office_id: r.get("office_id"),
            topic: r.get("topic"),
            callback_number: r.get("callback_number"),
            status: r.get("status"),
            created_at: r.get("created_at"),
        })
        .collect())
}
