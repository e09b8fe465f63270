//! What an office changes on its offers between imports: the seats per date, and calling
//! off a single date. Calling off a date with bookings opens one call-back ticket per
//! booking in the offer's office, in the same transaction, so that every person who
//! booked is told.
//!
//! Not for: importing the offers file (see [`super::import`]), booking by phone.

use crate::db::{Db, DbError, now};
use crate::domain::PhoneNumber;
use crate::domain::tickets::{self, NewTicket, TicketKind};
use serde::Serialize;
use sqlx::Row;

/// An offer with what the office manages about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ManagedOffer {
    pub id: String,
    pub office_id: String,
    pub title: String,
    pub provider: String,
    pub venue: String,
    pub capacity: Option<i64>,
    pub booking_required: bool,
    pub status: String,
}

/// One date of an offer; times are local 'YYYY-MM-DDTHH:MM'.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ManagedDate {
    pub id: String,
    pub starts_at: String,
    pub ends_at: String,
    pub seats_taken: i64,
    pub status: String,
}

const SELECT_OFFER: &str = "SELECT id, office_id, title, provider, venue, capacity, booking_required, status FROM offers";

fn offer_from_row(r: &sqlx::any::AnyRow) -> ManagedOffer {
    ManagedOffer {
        id: r.get("id"),
        office_id: r.get("office_id"),
        title: r.get("title"),
        provider: r.get("provider"),
        venue: r.get("venue"),
        capacity: r.get("capacity"),
        booking_required: r.get::<i64, _>("booking_required") != 0,
        status: r.get("status"),
    }
}

/// The offers of one office (`office_id` empty: all), by title.
pub async fn offers(db: &Db, office_id: &str) -> Result<Vec<ManagedOffer>, DbError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT_OFFER} WHERE ($1 = '' OR office_id = $1) ORDER BY title, id")))
        .bind(office_id)
        .fetch_all(db.pool())
        .await?;
    Ok(rows.iter().map(offer_from_row).collect())
}

pub async fn offer(db: &Db, id: &str) -> Result<Option<ManagedOffer>, DbError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT_OFFER} WHERE id = $1"))).bind(id).fetch_optional(db.pool()).await?;
    Ok(row.as_ref().map(offer_from_row))
}

/// The offer's dates from `from` (local 'YYYY-MM-DDTHH:MM') on, soonest first.
pub async fn dates(db: &Db, offer_id: &str, from: &str) -> Result<Vec<ManagedDate>, DbError> {
    let rows = sqlx::query(
        "SELECT id, starts_at, ends_at, seats_taken, status FROM offer_dates WHERE offer_id = $1 AND starts_at >= $2 ORDER BY starts_at",
    )
    .bind(offer_id)
    .bind(from)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| ManagedDate {
            id: r.get("id"),
            starts_at: r.get("starts_at"),
            ends_at: r.get("ends_at"),
            seats_taken: r.get("seats_taken"),
            status: r.get("status"),
        })
        .collect())
}

#[derive(Debug, thiserror::Error)]
pub enum ManageError {
    #[error("no such offer or date")]
    NotFound,
    /// More seats are booked on a scheduled date than the new capacity allows.
    #[error("{booked} seats are booked on one date")]
    BelowBooked { booked: i64 },
    /// An offer only open with a booking needs a number of seats.
    #[error("an offer that needs a booking needs a capacity")]
    CapacityRequired,
    #[error("the date is cancelled already")]
    CancelledAlready,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for ManageError {
    fn from(e: sqlx::Error) -> Self {
        ManageError::Db(e.into())
    }
}

/// Sets the seats per date (`None`: open to all). Never below what is booked on a date
/// still to come: the update itself checks, so a booking made meanwhile is not overrun.
pub async fn set_capacity(db: &Db, offer_id: &str, capacity: Option<u32>) -> Result<(), ManageError> {
    let offer = offer(db, offer_id).await?.ok_or(ManageError::NotFound)?;
    let ts = now();
    let changed = match capacity {
        None if offer.booking_required => return Err(ManageError::CapacityRequired),
        None => sqlx::query("UPDATE offers SET capacity = NULL, updated_at = $2 WHERE id = $1 AND booking_required = 0")
            .bind(offer_id)
            .bind(&ts)
            .execute(db.pool())
            .await?
            .rows_affected(),
        Some(seats) => sqlx::query(
            "UPDATE offers SET capacity = $2, updated_at = $3 WHERE id = $1
               AND NOT EXISTS (SELECT 1 FROM offer_dates WHERE offer_id = $1 AND status = 'scheduled' AND seats_taken > $2)",
        )
        .bind(offer_id)
        .bind(i64::from(seats))
        .bind(&ts)
        .execute(db.pool())
        .await?
        .rows_affected(),
    };
    if changed == 1 {
        return Ok(());
    }
    let booked: Option<i64> = sqlx::query_scalar("SELECT MAX(seats_taken) FROM offer_dates WHERE offer_id = $1 AND status = 'scheduled'")
        .bind(offer_id)
        .fetch_one(db.pool())
        .await?;
    Err(ManageError::BelowBooked { booked: booked.unwrap_or(0) })
}

/// Topic of the call-back tickets a called-off date opens.
pub const CANCELLED_TOPIC: &str = "Termin abgesagt";

/// Calls off one date; every booking on it gets a call-back ticket in the offer's office
/// (with the booker's number). Returns those tickets' ids.
pub async fn cancel_date(db: &Db, date_id: &str, actor: &str, reason: &str) -> Result<Vec<String>, ManageError> {
    let row = sqlx::query(
        "SELECT d.starts_at, d.status, o.office_id, o.title FROM offer_dates d JOIN offers o ON o.id = d.offer_id WHERE d.id = $1",
    )
    .bind(date_id)
    .fetch_optional(db.pool())
    .await?
    .ok_or(ManageError::NotFound)?;
    let (starts_at, office_id, title): (String, String, String) = (row.get("starts_at"), row.get("office_id"), row.get("title"));
    let mut tx = db.pool().begin().await?;
    let changed = sqlx::query("UPDATE offer_dates SET status = 'cancelled', updated_at = $2 WHERE id = $1 AND status = 'scheduled'")
        .bind(date_id)
        .bind(now())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if changed != 1 {
        tx.rollback().await?;
        return Err(ManageError::CancelledAlready);
    }
    let bookings =
        sqlx::query("SELECT person_id, phone FROM bookings WHERE offer_date_id = $1 AND status = 'booked' ORDER BY created_at, id")
            .bind(date_id)
            .fetch_all(&mut *tx)
            .await?;
    let when = crate::rides::parse_local(&starts_at).map(|t| t.format("%d.%m.%Y %H:%M").to_string()).unwrap_or(starts_at);
    let reason = if reason.trim().is_empty() { String::new() } else { format!(" ({})", reason.trim()) };
    let detail = format!("{title} am {when} abgesagt{reason}. Bitte die Person anrufen und Bescheid geben.");
    let mut created = Vec::new();
    for b in &bookings {
        let phone: String = b.get("phone");
        let ticket = NewTicket {
            kind: TicketKind::Booking,
            topic: CANCELLED_TOPIC.to_string(),
            callback_number: PhoneNumber::parse(&phone).ok(),
            postcode: None,
            person_id: b.get("person_id"),
            person_office_id: None,
            call_id: None,
            window: None,
            message_audio_path: None,
            caregiver_id: None,
            urgent: false,
        };
        created.push(tickets::insert_by(&mut tx, &ticket, &office_id, &detail, actor).await?);
    }
    tx.commit().await?;
    Ok(created)
}
