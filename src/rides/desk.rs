//! What the ride desk does with a request before the dispatcher plans it: check and
//! correct the pickup address (with its position), accept the trip, or decline it with
//! a reason. A declined trip opens a call-back ticket in the person's office, in the
//! same transaction, so that someone tells the person; it is never declined silently.
//!
//! Not for: who may do this (that is [`crate::staff`]), planning (see [`super::planner`]).

use super::clock::parse_local;
use super::store::Point;
use crate::db::{Db, DbError, new_id, now};
use crate::domain::tickets::{self, NewTicket, TicketKind};
use crate::domain::{PhoneNumber, Postcode};
use chrono::NaiveDate;
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

/// A ride request as the ride desk sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeskRide {
    pub id: String,
    pub office_id: String,
    pub office_name: String,
    pub service_date: String,
    /// Local 'YYYY-MM-DDTHH:MM'.
    pub appointment_at: String,
    pub appointment_minutes: i64,
    /// `outbound` or `return`.
    pub direction: String,
    pub return_of: Option<String>,
    pub person_id: Option<String>,
    pub person_name: Option<String>,
    pub person_phone: Option<String>,
    pub pickup_address: String,
    pub pickup: Option<Point>,
    pub destination: String,
    pub destination_verified: bool,
    pub wheelchair: bool,
    pub rollator: bool,
    pub companion: bool,
    pub status: String,
    /// The ticket the phone dialog opened for the booking, if any.
    pub ticket_id: Option<String>,
}

const SELECT: &str = "SELECT r.id, r.office_id, o.name AS office_name, r.service_date, r.appointment_at, r.appointment_minutes,
        r.direction, r.return_of, r.person_id, p.given_name, p.family_name, p.phone, r.pickup_address, r.pickup_lat, r.pickup_lon,
        r.destination, r.destination_lat, r.wheelchair, r.rollator, r.companion, r.status, r.ticket_id
    FROM ride_requests r JOIN offices o ON o.id = r.office_id LEFT JOIN people p ON p.id = r.person_id";

fn from_row(r: &AnyRow) -> DeskRide {
    let given: Option<String> = r.get("given_name");
    let family: Option<String> = r.get("family_name");
    let lat: Option<f64> = r.get("pickup_lat");
    let lon: Option<f64> = r.get("pickup_lon");
    DeskRide {
        id: r.get("id"),
        office_id: r.get("office_id"),
        office_name: r.get("office_name"),
        service_date: r.get("service_date"),
        appointment_at: r.get("appointment_at"),
        appointment_minutes: r.get("appointment_minutes"),
        direction: r.get("direction"),
        return_of: r.get("return_of"),
        person_id: r.get("person_id"),
        person_name: given.zip(family).map(|(g, f)| format!("{g} {f}")),
        person_phone: r.get("phone"),
        pickup_address: r.get("pickup_address"),
        pickup: lat.zip(lon).map(|(lat, lon)| Point { lat, lon }),
        destination: r.get("destination"),
        destination_verified: r.get::<Option<f64>, _>("destination_lat").is_some(),
        wheelchair: r.get::<i64, _>("wheelchair") != 0,
        rollator: r.get::<i64, _>("rollator") != 0,
        companion: r.get::<i64, _>("companion") != 0,
        status: r.get("status"),
        ticket_id: r.get("ticket_id"),
    }
}

/// The requests of one service day, of one office or (`office_id` empty) all, by time.
pub async fn day(db: &Db, date: NaiveDate, office_id: &str) -> Result<Vec<DeskRide>, DbError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE r.service_date = $1 AND ($2 = '' OR r.office_id = $2) ORDER BY r.appointment_at, r.direction, r.id"
    )))
    .bind(date.to_string())
    .bind(office_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(from_row).collect())
}

pub async fn get(db: &Db, id: &str) -> Result<Option<DeskRide>, DbError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE r.id = $1"))).bind(id).fetch_optional(db.pool()).await?;
    Ok(row.as_ref().map(from_row))
}

/// Why the desk could not do what it asked.
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// Planned, declined or cancelled meanwhile.
    #[error("the ride request is no longer open for this")]
    NotOpen,
    /// Accepting needs both ends of the trip with a position.
    #[error("the ride request has an unverified address")]
    Unverified,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for DeskError {
    fn from(e: sqlx::Error) -> Self {
        DeskError::Db(e.into())
    }
}

/// Statuses in which the pickup address may still change: not yet in a plan.
const EDITABLE: &str = "('requested', 'verified')";

/// Stores the checked pickup address and its position. For an outbound trip the same
/// address is where its return trip ends, so that one is corrected too.
pub async fn set_pickup(db: &Db, id: &str, actor: &str, address: &str, at: Point) -> Result<(), DeskError> {
    let mut tx = db.pool().begin().await?;
    let ts = now();
    let changed = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE ride_requests SET pickup_address = $2, pickup_lat = $3, pickup_lon = $4, updated_at = $5 WHERE id = $1 AND status IN {EDITABLE}"
    )))
    .bind(id)
    .bind(address)
    .bind(at.lat)
    .bind(at.lon)
    .bind(&ts)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed != 1 {
        return Err(DeskError::NotOpen);
    }
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE ride_requests SET destination = $2, destination_lat = $3, destination_lon = $4, updated_at = $5
         WHERE return_of = $1 AND status IN {EDITABLE}"
    )))
    .bind(id)
    .bind(address)
    .bind(at.lat)
    .bind(at.lon)
    .bind(&ts)
    .execute(&mut *tx)
    .await?;
    note_on_ticket(&mut tx, id, actor, &format!("Abholadresse geprüft: {address}")).await?;
    tx.commit().await?;
    Ok(())
}

/// Accepts a requested trip for planning: it becomes `verified`.
pub async fn accept(db: &Db, id: &str, actor: &str) -> Result<(), DeskError> {
    let ride = get(db, id).await?.ok_or(DeskError::NotOpen)?;
    if ride.status != "requested" {
        return Err(DeskError::NotOpen);
    }
    if ride.pickup.is_none() || !ride.destination_verified {
        return Err(DeskError::Unverified);
    }
    let mut tx = db.pool().begin().await?;
    let changed = sqlx::query("UPDATE ride_requests SET status = 'verified', updated_at = $2 WHERE id = $1 AND status = 'requested'")
        .bind(id)
        .bind(now())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if changed != 1 {
        return Err(DeskError::NotOpen);
    }
    note_on_ticket(&mut tx, id, actor, "Fahrt angenommen").await?;
    tx.commit().await?;
    Ok(())
}

/// Topic of the call-back ticket a declined trip opens.
pub const DECLINED_TOPIC: &str = "Fahrt abgelehnt";

/// Declines the trip (and its return trip, which is pointless alone) and opens a
/// call-back ticket in the trip's office saying why; returns that ticket's id.
pub async fn decline(db: &Db, id: &str, actor: &str, reason: &str) -> Result<String, DeskError> {
    let ride = get(db, id).await?.ok_or(DeskError::NotOpen)?;
    let mut tx = db.pool().begin().await?;
    let open = "('requested', 'verified', 'planned')";
    let changed = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE ride_requests SET status = 'declined', updated_at = $2 WHERE id = $1 AND status IN {open}"
    )))
    .bind(id)
    .bind(now())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed != 1 {
        tx.rollback().await?;
        return Err(DeskError::NotOpen);
    }
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE ride_requests SET status = 'declined', updated_at = $2 WHERE return_of = $1 AND status IN {open}"
    )))
    .bind(id)
    .bind(now())
    .execute(&mut *tx)
    .await?;
    let number = match &ride.person_phone {
        Some(phone) => Some(phone.clone()),
        None => ticket_number(&mut tx, ride.ticket_id.as_deref()).await?,
    };
    let postcode: Option<String> = match &ride.person_id {
        Some(p) => sqlx::query_scalar("SELECT postcode FROM people WHERE id = $1").bind(p).fetch_optional(&mut *tx).await?.flatten(),
        None => None,
    };
    let ticket = NewTicket {
        kind: TicketKind::Callback,
        topic: DECLINED_TOPIC.to_string(),
        callback_number: number.as_deref().and_then(|n| PhoneNumber::parse(n).ok()),
        postcode: postcode.as_deref().and_then(|p| Postcode::parse(p).ok()),
        person_id: ride.person_id.clone(),
        person_office_id: None,
        call_id: None,
        window: None,
        message_audio_path: None,
        caregiver_id: None,
        urgent: false,
    };
    let when = parse_local(&ride.appointment_at).map(|t| t.format("%d.%m.%Y %H:%M").to_string()).unwrap_or(ride.appointment_at.clone());
    let detail = format!("Fahrt am {when} zu {} abgelehnt: {reason}. Bitte die Person anrufen und Bescheid geben.", ride.destination);
    let ticket_id = tickets::insert_by(&mut tx, &ticket, &ride.office_id, &detail, actor).await?;
    note_on_ticket(&mut tx, id, actor, &format!("Fahrt abgelehnt: {reason}")).await?;
    super::store::drop_from_plan(&mut tx, id).await?;
    tx.commit().await?;
    Ok(ticket_id)
}

/// The call-back number of the ride's own ticket (a caller not registered).
async fn ticket_number(tx: &mut sqlx::Transaction<'_, sqlx::Any>, ticket: Option<&str>) -> Result<Option<String>, DbError> {
    let Some(ticket) = ticket else { return Ok(None) };
    let number: Option<Option<String>> =
        sqlx::query_scalar("SELECT callback_number FROM tickets WHERE id = $1").bind(ticket).fetch_optional(&mut **tx).await?;
    Ok(number.flatten())
}

/// Writes what the desk did into the history of the ride's own ticket, if it has one.
async fn note_on_ticket(tx: &mut sqlx::Transaction<'_, sqlx::Any>, ride: &str, actor: &str, detail: &str) -> Result<(), DbError> {
    let ticket: Option<Option<String>> =
        sqlx::query_scalar("SELECT ticket_id FROM ride_requests WHERE id = $1").bind(ride).fetch_optional(&mut **tx).await?;
    if let Some(ticket) = ticket.flatten() {
        sqlx::query("INSERT INTO ticket_events (id, ticket_id, at, actor, kind, detail) VALUES ($1, $2, $3, $4, 'note', $5)")
            .bind(new_id())
            .bind(&ticket)
            .bind(now())
            .bind(actor)
            .bind(detail)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}
