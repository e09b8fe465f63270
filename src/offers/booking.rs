//! Booking seats on an offer's date, and cancelling them. A date is never overbooked,
//! even when two callers take its last seat at the same moment, on SQLite and PostgreSQL
//! alike: the seat check and the seat taking are one conditional UPDATE.
//!
//! Every transaction here starts with its write. On SQLite a transaction that reads first
//! and writes later can fail at once when another connection wrote in between; one that
//! writes first waits for the lock (busy timeout) and then sees the latest data.

use crate::db::{Db, DbError, bad_value, count, new_id, now};
use crate::domain::PhoneNumber;
use crate::domain::tickets::{self, NewTicket, TicketKind};
use crate::rides::{format_local, parse_local};
use chrono::NaiveDateTime;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::num::NonZeroU32;

/// The columns [`booking_from_row`] reads.
macro_rules! select_booking {
    () => {
        "SELECT b.id, b.offer_date_id, d.offer_id, o.office_id, o.title, o.venue, d.starts_at, b.seats, b.person_id, b.phone,
                b.status, d.status AS date_status, o.status AS offer_status, b.ticket_id
         FROM bookings b JOIN offer_dates d ON d.id = b.offer_date_id JOIN offers o ON o.id = d.offer_id"
    };
}

/// Who books (or cancels), as the dialog knows them.
#[derive(Debug, Clone, PartialEq)]
pub struct Booker {
    /// The registered person who comes, if known.
    pub person_id: Option<String>,
    /// Where the office reaches whoever booked (caller ID or a number they gave): a date
    /// may be cancelled.
    pub phone: PhoneNumber,
    /// The caregiver booking for the person, if one does.
    pub caregiver_id: Option<String>,
    pub call_id: Option<String>,
}

/// A booking with what the dialog says about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Booking {
    pub id: String,
    pub offer_date_id: String,
    pub offer_id: String,
    /// The office whose queue has the confirmation.
    pub office_id: String,
    pub title: String,
    pub venue: String,
    pub starts_at: NaiveDateTime,
    pub seats: u32,
    pub person_id: Option<String>,
    /// E.164.
    pub phone: String,
    /// The booking was cancelled.
    pub cancelled: bool,
    /// The date (or the whole offer) was called off: the seats are no use.
    pub date_cancelled: bool,
    /// The confirmation ticket in the office's queue.
    pub ticket_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum BookingError {
    #[error("no such offer date or booking")]
    NotFound,
    /// `free` seats are left, fewer than asked for (0: fully booked).
    #[error("not enough seats left: {free}")]
    Full { free: u32 },
    #[error("the date or the offer is cancelled")]
    Cancelled,
    #[error("the date has begun or is over")]
    InThePast,
    #[error("the offer is open to all: nothing to book")]
    NoBookingNeeded,
    /// Neither the caller's person nor their phone number made the booking.
    #[error("the booking belongs to someone else")]
    NotYours,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for BookingError {
    fn from(e: sqlx::Error) -> Self {
        BookingError::Db(e.into())
    }
}

/// Books `seats` on a date that starts after `now` (local time) and puts a confirmation
/// ticket in the queue of the offer's office, in one transaction: when this returns Ok,
/// the seats are taken and the office knows.
pub async fn book(db: &Db, offer_date_id: &str, seats: NonZeroU32, who: &Booker, now: NaiveDateTime) -> Result<Booking, BookingError> {
    let seats = i64::from(seats.get());
    let ts = crate::db::now();
    let mut tx = db.pool().begin().await?;
    // The check and the taking in one statement: PostgreSQL makes a second UPDATE of the
    // row wait for the first and re-checks its WHERE against the new seats_taken; SQLite
    // lets one writer in at a time. NULL capacity or a cancelled offer never match.
    let taken = sqlx::query(
        "UPDATE offer_dates SET seats_taken = seats_taken + $1, updated_at = $2
         WHERE id = $3 AND status = 'scheduled' AND starts_at > $4
           AND seats_taken + $1 <= (SELECT o.capacity FROM offers o WHERE o.id = offer_dates.offer_id AND o.status = 'active')",
    )
    .bind(seats)
    .bind(&ts)
    .bind(offer_date_id)
    .bind(format_local(now))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if taken == 0 {
        tx.rollback().await?;
        return Err(refusal(db, offer_date_id, now).await?);
    }
    let offer =
        sqlx::query("SELECT o.office_id, o.title, d.starts_at FROM offer_dates d JOIN offers o ON o.id = d.offer_id WHERE d.id = $1")
            .bind(offer_date_id)
            .fetch_one(&mut *tx)
            .await?;
    let (office_id, title, starts_at): (String, String, String) =
        (offer.try_get("office_id")?, offer.try_get("title")?, offer.try_get("starts_at")?);
    let ticket = NewTicket {
        kind: TicketKind::Booking,
        topic: "anmeldung".into(),
        callback_number: Some(who.phone.clone()),
        postcode: None,
        person_id: who.person_id.clone(),
        person_office_id: None,
        call_id: who.call_id.clone(),
        window: None,
        message_audio_path: None,
        caregiver_id: who.caregiver_id.clone(),
        urgent: false,
    };
    let detail = format!("Anmeldung: {title}, {starts_at}, Plätze: {seats}");
    let ticket_id = tickets::insert(&mut tx, &ticket, &office_id, &detail).await?;
    let id = new_id();
    sqlx::query(
        "INSERT INTO bookings (id, offer_date_id, person_id, phone, caregiver_id, seats, status, call_id, ticket_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'booked', $7, $8, $9)",
    )
    .bind(&id)
    .bind(offer_date_id)
    .bind(who.person_id.as_deref())
    .bind(who.phone.as_str())
    .bind(who.caregiver_id.as_deref())
    .bind(seats)
    .bind(who.call_id.as_deref())
    .bind(&ticket_id)
    .bind(&ts)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(booking = %id, offer_date = %offer_date_id, seats, "seats booked");
    fetch(db, &id).await?.ok_or(BookingError::NotFound)
}

/// Why a date could not be booked; read after the failed UPDATE.
async fn refusal(db: &Db, offer_date_id: &str, now: NaiveDateTime) -> Result<BookingError, DbError> {
    let Some(r) = sqlx::query(
        "SELECT d.status, d.starts_at, d.seats_taken, o.status AS offer_status, o.capacity
         FROM offer_dates d JOIN offers o ON o.id = d.offer_id WHERE d.id = $1",
    )
    .bind(offer_date_id)
    .fetch_optional(db.pool())
    .await?
    else {
        return Ok(BookingError::NotFound);
    };
    let (status, offer_status): (String, String) = (r.try_get("status")?, r.try_get("offer_status")?);
    let starts_at: String = r.try_get("starts_at")?;
    let capacity: Option<i64> = r.try_get("capacity")?;
    let taken: i64 = r.try_get("seats_taken")?;
    Ok(match capacity {
        _ if status != "scheduled" || offer_status != "active" => BookingError::Cancelled,
        None => BookingError::NoBookingNeeded,
        Some(_) if starts_at <= format_local(now) => BookingError::InThePast,
        // Seats given back since the UPDATE may make `free` reach the seats asked for:
        // asking again books them.
        Some(capacity) => BookingError::Full { free: u32::try_from(capacity - taken).unwrap_or(0) },
    })
}

/// Cancels a booking made by `who` (their person, or from their phone number) and gives
/// its seats back. Cancelling again changes nothing and returns the booking as it is.
pub async fn cancel(db: &Db, booking_id: &str, who: &Booker) -> Result<Booking, BookingError> {
    // Whose it is never changes, so it is checked before the transaction (which then
    // starts with its write).
    let booking = fetch(db, booking_id).await?.ok_or(BookingError::NotFound)?;
    let by_person = who.person_id.is_some() && booking.person_id == who.person_id;
    if !by_person && booking.phone != who.phone.as_str() {
        return Err(BookingError::NotYours);
    }
    let ts = now();
    let mut tx = db.pool().begin().await?;
    let changed = sqlx::query("UPDATE bookings SET status = 'cancelled', cancelled_at = $1 WHERE id = $2 AND status = 'booked'")
        .bind(&ts)
        .bind(booking_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if changed == 0 {
        tx.rollback().await?;
        return Ok(booking);
    }
    sqlx::query("UPDATE offer_dates SET seats_taken = seats_taken - $1, updated_at = $2 WHERE id = $3")
        .bind(i64::from(booking.seats))
        .bind(&ts)
        .bind(&booking.offer_date_id)
        .execute(&mut *tx)
        .await?;
    if let Some(ticket_id) = &booking.ticket_id {
        sqlx::query("INSERT INTO ticket_events (id, ticket_id, at, actor, kind, detail) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(new_id())
            .bind(ticket_id)
            .bind(&ts)
            .bind("phone")
            .bind("booking_cancelled")
            .bind(format!("Abmeldung: {}, {}", booking.title, format_local(booking.starts_at)))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    tracing::info!(booking = %booking_id, "booking cancelled");
    fetch(db, booking_id).await?.ok_or(BookingError::NotFound)
}

/// The person's bookings (not cancelled) of dates starting from `from` (local time),
/// soonest first; dates called off since are included with `date_cancelled`, so the
/// caller hears about them.
pub async fn upcoming_for_person(db: &Db, person_id: &str, from: NaiveDateTime) -> Result<Vec<Booking>, DbError> {
    let rows = sqlx::query(concat!(
        select_booking!(),
        " WHERE b.person_id = $1 AND b.status = 'booked' AND d.starts_at >= $2 ORDER BY d.starts_at, b.id"
    ))
    .bind(person_id)
    .bind(format_local(from))
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(booking_from_row).collect()
}

async fn fetch(db: &Db, id: &str) -> Result<Option<Booking>, DbError> {
    let row = sqlx::query(concat!(select_booking!(), " WHERE b.id = $1")).bind(id).fetch_optional(db.pool()).await?;
    row.as_ref().map(booking_from_row).transpose()
}

fn booking_from_row(r: &AnyRow) -> Result<Booking, DbError> {
    let starts_at: String = r.try_get("starts_at")?;
    let (status, date_status, offer_status): (String, String, String) =
        (r.try_get("status")?, r.try_get("date_status")?, r.try_get("offer_status")?);
    Ok(Booking {
        id: r.try_get("id")?,
        offer_date_id: r.try_get("offer_date_id")?,
        offer_id: r.try_get("offer_id")?,
        office_id: r.try_get("office_id")?,
        title: r.try_get("title")?,
        venue: r.try_get("venue")?,
        starts_at: parse_local(&starts_at).map_err(|_| bad_value("starts_at", &starts_at))?,
        seats: count(r, "seats")?,
        person_id: r.try_get("person_id")?,
        phone: r.try_get("phone")?,
        cancelled: status != "booked",
        date_cancelled: date_status != "scheduled" || offer_status != "active",
        ticket_id: r.try_get("ticket_id")?,
    })
}
