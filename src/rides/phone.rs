//! Rides booked on the phone: what the dialog can offer a caller (known places, the hours
//! the service drives) and storing a booking together with its ticket, all or nothing.

use super::store::{self, CreatedRide, Location, NewRide, Point};
use crate::db::{Db, DbError};
use crate::domain::tickets::{self, CreatedTicket, NewTicket};
use chrono::{NaiveDateTime, NaiveTime};
use sqlx::Row;

/// Places read out on the phone, at most (the menu rule: no more than four options).
const MAX_PLACES: usize = 4;
/// Appointments can be served from this long after the first shift starts until this
/// long before the last one ends (time to get there and to bring people home).
const FIRST_APPOINTMENT_AFTER_SHIFT_START_MIN: i64 = 30;
const LAST_APPOINTMENT_BEFORE_SHIFT_END_MIN: i64 = 90;

#[derive(Debug, Clone, PartialEq)]
pub struct PlaceChoice {
    pub id: String,
    pub name: String,
    /// Other names callers use for it.
    pub aliases: Vec<String>,
}

/// What an office's ride service offers on the phone.
#[derive(Debug, Clone, PartialEq)]
pub struct RideService {
    pub places: Vec<PlaceChoice>,
    /// Earliest and latest appointment time the vehicles can serve.
    pub first_appointment: NaiveTime,
    pub last_appointment: NaiveTime,
}

/// The office's ride service, or `None` when it has no vehicle (then rides are arranged
/// by a callback).
pub async fn service_for(db: &Db, office_id: &str) -> Result<Option<RideService>, DbError> {
    let shifts: Vec<(String, String)> = sqlx::query_as("SELECT shift_start, shift_end FROM vehicles WHERE office_id = $1 AND active = 1")
        .bind(office_id)
        .fetch_all(db.pool())
        .await?;
    let parse = |t: &str| NaiveTime::parse_from_str(t, "%H:%M").ok();
    let first = shifts.iter().filter_map(|s| parse(&s.0)).min();
    let last = shifts.iter().filter_map(|s| parse(&s.1)).max();
    let (Some(first), Some(last)) = (first, last) else { return Ok(None) };
    let first_appointment = first + chrono::Duration::minutes(FIRST_APPOINTMENT_AFTER_SHIFT_START_MIN);
    let last_appointment = last - chrono::Duration::minutes(LAST_APPOINTMENT_BEFORE_SHIFT_END_MIN);
    if first_appointment > last_appointment {
        return Ok(None);
    }
    // The office's own places first, then those every office offers.
    let rows = sqlx::query(
        "SELECT id, name, aliases FROM places WHERE (office_id = $1 OR office_id IS NULL) AND kind IN ('practice', 'hospital')
         ORDER BY CASE WHEN office_id IS NULL THEN 1 ELSE 0 END, name",
    )
    .bind(office_id)
    .fetch_all(db.pool())
    .await?;
    let places = rows
        .iter()
        .take(MAX_PLACES)
        .map(|r| PlaceChoice {
            id: r.get("id"),
            name: r.get("name"),
            aliases: r.get::<String, _>("aliases").split(';').map(str::trim).filter(|a| !a.is_empty()).map(str::to_string).collect(),
        })
        .collect();
    Ok(Some(RideService { places, first_appointment, last_appointment }))
}

/// A ride as the caller booked it.
#[derive(Debug, Clone, PartialEq)]
pub struct RideOrder {
    /// The ride desk's ticket for it.
    pub ticket: NewTicket,
    pub person_id: String,
    pub place_id: String,
    pub appointment_at: NaiveDateTime,
    pub return_trip: bool,
    pub wheelchair: bool,
    pub rollator: bool,
    pub companion: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderedRide {
    pub ticket: CreatedTicket,
    pub ride: CreatedRide,
}

/// Stores the ticket and the ride request (with its return trip) in one transaction. The
/// pickup is the person's home; with its position on file the ride can be planned at once,
/// otherwise the ride desk checks the address first.
pub async fn order(db: &Db, order: &RideOrder, default_office: &str, appointment_minutes: u32) -> Result<OrderedRide, DbError> {
    let office = tickets::route(db, &order.ticket, default_office).await?;
    let mut tx = db.pool().begin().await?;
    let person = sqlx::query("SELECT street, postcode, city, home_lat, home_lon FROM people WHERE id = $1")
        .bind(&order.person_id)
        .fetch_one(&mut *tx)
        .await?;
    let place = sqlx::query("SELECT name, address, lat, lon FROM places WHERE id = $1").bind(&order.place_id).fetch_one(&mut *tx).await?;
    let home_text = [person.get::<Option<String>, _>("street"), person.get("postcode"), person.get("city")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let home_point = match (person.get::<Option<f64>, _>("home_lat"), person.get::<Option<f64>, _>("home_lon")) {
        (Some(lat), Some(lon)) => Some(Point { lat, lon }),
        _ => None,
    };
    let detail = format!("Fahrt am {} via Telefon", order.appointment_at.format("%d.%m.%Y %H:%M"));
    let ticket_id = tickets::insert(&mut tx, &order.ticket, &office.id, &detail).await?;
    let ride = NewRide {
        office_id: office.id.clone(),
        person_id: Some(order.person_id.clone()),
        ticket_id: Some(ticket_id.clone()),
        call_id: order.ticket.call_id.clone(),
        home: Location { text: home_text, point: home_point },
        destination: Location {
            text: format!("{}, {}", place.get::<String, _>("name"), place.get::<String, _>("address")),
            point: Some(Point { lat: place.get("lat"), lon: place.get("lon") }),
        },
        destination_place_id: Some(order.place_id.clone()),
        appointment_at: order.appointment_at,
        appointment_minutes,
        wheelchair: order.wheelchair,
        rollator: order.rollator,
        companion: order.companion,
        return_trip: order.return_trip,
    };
    let created = store::create_in(&mut tx, &ride).await?;
    tx.commit().await?;
    Ok(OrderedRide { ticket: CreatedTicket { id: ticket_id, office }, ride: created })
}

/// A ride a person has coming up, as the phone dialog reminds them of it.
#[derive(Debug, Clone, PartialEq)]
pub struct UpcomingRide {
    /// The outbound trip (a return trip goes with it).
    pub id: String,
    /// The place's name, or the destination as noted.
    pub destination: String,
    pub appointment_at: NaiveDateTime,
    pub ticket_id: Option<String>,
}

/// The person's rides (outbound trips still to happen) with appointments from `from`
/// (local time) on, soonest first.
pub async fn upcoming_for_person(db: &Db, person_id: &str, from: NaiveDateTime) -> Result<Vec<UpcomingRide>, DbError> {
    let rows = sqlx::query(
        "SELECT r.id, r.destination, p.name AS place_name, r.appointment_at, r.ticket_id
         FROM ride_requests r LEFT JOIN places p ON p.id = r.destination_place_id
         WHERE r.person_id = $1 AND r.direction = 'outbound' AND r.status IN ('requested', 'verified', 'planned')
           AND r.appointment_at >= $2
         ORDER BY r.appointment_at, r.id",
    )
    .bind(person_id)
    .bind(super::format_local(from))
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let at: String = r.get("appointment_at");
            Ok(UpcomingRide {
                id: r.get("id"),
                destination: r.get::<Option<String>, _>("place_name").unwrap_or_else(|| r.get("destination")),
                appointment_at: super::parse_local(&at).map_err(|_| crate::db::bad_value("appointment_at", &at))?,
                ticket_id: r.get("ticket_id"),
            })
        })
        .collect()
}

/// Cancels the person's ride and its return trip, and notes it on the ride desk's ticket.
/// `false` when there was nothing (left) to cancel.
pub async fn cancel(db: &Db, ride_id: &str, person_id: &str) -> Result<bool, DbError> {
    let ts = crate::db::now();
    let mut tx = db.pool().begin().await?;
    // A ride still to happen: requested, verified or planned (not declined or done with).
    let changed = sqlx::query(
        "UPDATE ride_requests SET status = 'cancelled', updated_at = $1
         WHERE (id = $2 OR return_of = $2) AND person_id = $3 AND status IN ('requested', 'verified', 'planned')",
    )
    .bind(&ts)
    .bind(ride_id)
    .bind(person_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed == 0 {
        tx.rollback().await?;
        return Ok(false);
    }
    let ride = sqlx::query("SELECT ticket_id, appointment_at FROM ride_requests WHERE id = $1").bind(ride_id).fetch_one(&mut *tx).await?;
    if let Some(ticket_id) = ride.get::<Option<String>, _>("ticket_id") {
        sqlx::query("INSERT INTO ticket_events (id, ticket_id, at, actor, kind, detail) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(crate::db::new_id())
            .bind(ticket_id)
            .bind(&ts)
            .bind("phone")
            .bind("ride_cancelled")
            .bind(format!("Fahrt abgesagt: {}", ride.get::<String, _>("appointment_at")))
            .execute(&mut *tx)
            .await?;
    }
    store::drop_from_plan(&mut tx, ride_id).await?;
    tx.commit().await?;
    tracing::info!(ride = %ride_id, "ride cancelled on the phone");
    Ok(true)
}
