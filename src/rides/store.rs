//! Ride data in the database: requests (with their linked return trips), the fleet, and
//! the stored day plans.

use super::clock::{ClockTime, format_local, parse_local};
use crate::db::{Db, DbError, bad_value, count, new_id, now};
use crate::dispatch::StopKind;
use chrono::{NaiveDate, NaiveDateTime};
use sqlx::Row;
use sqlx::any::AnyRow;

/// A position in degrees (WGS 84).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Point {
    pub lat: f64,
    pub lon: f64,
}

/// One end of a trip: the address as said or known, and its position once verified.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    pub text: String,
    /// `None` until staff have verified the address; such a trip is not planned.
    pub point: Option<Point>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// To the appointment: arrive by its start.
    Outbound,
    /// Back from it: picked up after its end.
    Return,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Outbound => "outbound",
            Direction::Return => "return",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RideStatus {
    Requested,
    Verified,
    Planned,
    Declined,
    Cancelled,
}

impl RideStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RideStatus::Requested => "requested",
            RideStatus::Verified => "verified",
            RideStatus::Planned => "planned",
            RideStatus::Declined => "declined",
            RideStatus::Cancelled => "cancelled",
        }
    }

    /// Still to be driven: the dispatcher plans it.
    pub fn is_open(self) -> bool {
        matches!(self, RideStatus::Requested | RideStatus::Verified | RideStatus::Planned)
    }

    fn parse(s: &str) -> Option<RideStatus> {
        [RideStatus::Requested, RideStatus::Verified, RideStatus::Planned, RideStatus::Declined, RideStatus::Cancelled]
            .into_iter()
            .find(|st| st.as_str() == s)
    }
}

/// A ride as the dialog (or staff) books it: the trip to the appointment and, if wanted,
/// the trip back. The service day is the appointment's day.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRide {
    pub office_id: String,
    pub person_id: Option<String>,
    pub ticket_id: Option<String>,
    pub call_id: Option<String>,
    /// Where the person is picked up for the appointment (usually home).
    pub home: Location,
    /// The appointment's place; `destination_place_id` when it is a known place.
    pub destination: Location,
    pub destination_place_id: Option<String>,
    /// Start of the appointment, local time.
    pub appointment_at: NaiveDateTime,
    /// Expected length of the appointment, for the return trip.
    pub appointment_minutes: u32,
    pub wheelchair: bool,
    pub rollator: bool,
    pub companion: bool,
    pub return_trip: bool,
}

impl NewRide {
    /// Seats taken: a wheelchair user sits in a wheelchair place, a companion on a seat.
    pub fn seats(&self) -> u32 {
        u32::from(!self.wheelchair) + u32::from(self.companion)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CreatedRide {
    pub outbound_id: String,
    pub return_id: Option<String>,
}

/// Stores the outbound request and its return trip in one transaction.
pub async fn create(db: &Db, ride: &NewRide) -> Result<CreatedRide, DbError> {
    let mut tx = db.pool().begin().await?;
    let created = create_in(&mut tx, ride).await?;
    tx.commit().await?;
    Ok(created)
}

/// The same inside a caller's transaction (a ride booked by phone comes with its ticket).
pub async fn create_in(tx: &mut sqlx::Transaction<'_, sqlx::Any>, ride: &NewRide) -> Result<CreatedRide, DbError> {
    let ts = now();
    let outbound_id = new_id();
    insert(tx, ride, &outbound_id, Direction::Outbound, None, &ts).await?;
    let return_id = if ride.return_trip {
        let id = new_id();
        insert(tx, ride, &id, Direction::Return, Some(&outbound_id), &ts).await?;
        Some(id)
    } else {
        None
    };
    Ok(CreatedRide { outbound_id, return_id })
}

async fn insert(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    ride: &NewRide,
    id: &str,
    direction: Direction,
    return_of: Option<&str>,
    ts: &str,
) -> Result<(), DbError> {
    // The return trip starts where the appointment is and goes home.
    let (from, to, to_place) = match direction {
        Direction::Outbound => (&ride.home, &ride.destination, ride.destination_place_id.as_deref()),
        Direction::Return => (&ride.destination, &ride.home, None),
    };
    sqlx::query(
        "INSERT INTO ride_requests (id, office_id, person_id, ticket_id, call_id, service_date, pickup_address,
           destination_place_id, destination, appointment_at, appointment_minutes, direction, return_of,
           wheelchair, rollator, companion, seats, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19)",
    )
    .bind(id)
    .bind(&ride.office_id)
    .bind(ride.person_id.as_deref())
    .bind(ride.ticket_id.as_deref())
    .bind(ride.call_id.as_deref())
    .bind(ride.appointment_at.date().to_string())
    .bind(&from.text)
    .bind(to_place)
    .bind(&to.text)
    .bind(format_local(ride.appointment_at))
    .bind(i64::from(ride.appointment_minutes))
    .bind(direction.as_str())
    .bind(return_of)
    .bind(i64::from(ride.wheelchair))
    .bind(i64::from(ride.rollator))
    .bind(i64::from(ride.companion))
    .bind(i64::from(ride.seats()))
    .bind(RideStatus::Requested.as_str())
    .bind(ts)
    .execute(&mut **tx)
    .await?;
    // Positions are set only when known: sqlx's Any driver sends a missing f64 to
    // PostgreSQL as a float4 NULL, which fixes a cached statement's parameter to float4.
    let positions = [
        ("UPDATE ride_requests SET pickup_lat = $1, pickup_lon = $2 WHERE id = $3", from.point),
        ("UPDATE ride_requests SET destination_lat = $1, destination_lon = $2 WHERE id = $3", to.point),
    ];
    for (sql, point) in positions {
        if let Some(p) = point {
            sqlx::query(sql).bind(p.lat).bind(p.lon).bind(id).execute(&mut **tx).await?;
        }
    }
    Ok(())
}

/// A stored ride request.
#[derive(Debug, Clone, PartialEq)]
pub struct RideRequest {
    pub id: String,
    pub office_id: String,
    /// "Given Family" of the registered person, if any.
    pub person_name: Option<String>,
    pub direction: Direction,
    pub return_of: Option<String>,
    pub pickup: Location,
    pub destination: Location,
    pub appointment_at: NaiveDateTime,
    pub appointment_minutes: u32,
    pub wheelchair: bool,
    pub rollator: bool,
    pub companion: bool,
    pub seats: u32,
    pub status: RideStatus,
}

/// Every request of a service day, in the order they were made.
pub async fn requests_on(db: &Db, day: NaiveDate) -> Result<Vec<RideRequest>, DbError> {
    let rows = sqlx::query(
        "SELECT r.id, r.office_id, p.given_name, p.family_name, r.direction, r.return_of,
                r.pickup_address, r.pickup_lat, r.pickup_lon, r.destination, r.destination_lat, r.destination_lon,
                r.appointment_at, r.appointment_minutes, r.wheelchair, r.rollator, r.companion, r.seats, r.status
         FROM ride_requests r LEFT JOIN people p ON p.id = r.person_id
         WHERE r.service_date = $1 ORDER BY r.created_at, r.id",
    )
    .bind(day.to_string())
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(request_from_row).collect()
}

fn request_from_row(r: &AnyRow) -> Result<RideRequest, DbError> {
    let point = |lat: &str, lon: &str| -> Result<Option<Point>, sqlx::Error> {
        Ok(r.try_get::<Option<f64>, _>(lat)?.zip(r.try_get::<Option<f64>, _>(lon)?).map(|(lat, lon)| Point { lat, lon }))
    };
    let given: Option<String> = r.try_get("given_name")?;
    let family: Option<String> = r.try_get("family_name")?;
    let direction = match r.try_get::<String, _>("direction")?.as_str() {
        "outbound" => Direction::Outbound,
        "return" => Direction::Return,
        other => return Err(bad_value("direction", other)),
    };
    let status: String = r.try_get("status")?;
    let appointment: String = r.try_get("appointment_at")?;
    Ok(RideRequest {
        id: r.try_get("id")?,
        office_id: r.try_get("office_id")?,
        person_name: given.zip(family).map(|(g, f)| format!("{g} {f}")),
        direction,
        return_of: r.try_get("return_of")?,
        pickup: Location { text: r.try_get("pickup_address")?, point: point("pickup_lat", "pickup_lon")? },
        destination: Location { text: r.try_get("destination")?, point: point("destination_lat", "destination_lon")? },
        appointment_at: parse_local(&appointment).map_err(|_| bad_value("appointment_at", &appointment))?,
        appointment_minutes: count(r, "appointment_minutes")?,
        wheelchair: r.try_get::<i64, _>("wheelchair")? != 0,
        rollator: r.try_get::<i64, _>("rollator")? != 0,
        companion: r.try_get::<i64, _>("companion")? != 0,
        seats: count(r, "seats")?,
        status: RideStatus::parse(&status).ok_or_else(|| bad_value("status", &status))?,
    })
}

/// A vehicle of an office's fleet with its driver's shift.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetVehicle {
    pub id: String,
    pub office_id: String,
    pub name: String,
    pub depot: Point,
    pub shift_start: ClockTime,
    pub shift_end: ClockTime,
    pub seats: u32,
    pub wheelchair_places: u32,
    pub max_route_minutes: u32,
}

/// The vehicles in service.
pub async fn active_vehicles(db: &Db) -> Result<Vec<FleetVehicle>, DbError> {
    let rows = sqlx::query(
        "SELECT id, office_id, name, depot_lat, depot_lon, shift_start, shift_end, seats, wheelchair_places, max_route_minutes
         FROM vehicles WHERE active <> 0 ORDER BY office_id, name, id",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let clock = |col: &str| -> Result<ClockTime, DbError> {
                let s: String = r.try_get(col)?;
                s.parse().map_err(|_| bad_value(col, &s))
            };
            Ok(FleetVehicle {
                id: r.try_get("id")?,
                office_id: r.try_get("office_id")?,
                name: r.try_get("name")?,
                depot: Point { lat: r.try_get("depot_lat")?, lon: r.try_get("depot_lon")? },
                shift_start: clock("shift_start")?,
                shift_end: clock("shift_end")?,
                seats: count(r, "seats")?,
                wheelchair_places: count(r, "wheelchair_places")?,
                max_route_minutes: count(r, "max_route_minutes")?,
            })
        })
        .collect()
}

/// One stop of a stored plan.
#[derive(Debug, Clone, PartialEq)]
pub struct StopRow {
    pub vehicle_id: String,
    /// Position in the vehicle's route, from 1.
    pub seq: u32,
    pub request_id: String,
    pub kind: StopKind,
    /// The planned time at the stop (the vehicle may come earlier and wait).
    pub arrive_at: NaiveDateTime,
    /// When the vehicle drives on.
    pub depart_at: NaiveDateTime,
    pub window_start: NaiveDateTime,
    pub window_end: NaiveDateTime,
}

/// A request the plan does not serve.
#[derive(Debug, Clone, PartialEq)]
pub struct UnservedRow {
    pub request_id: String,
    /// Stable code, e.g. `address_unverified`.
    pub code: &'static str,
    /// For staff, in German.
    pub reason: String,
}

/// A day plan as it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRows {
    pub service_date: NaiveDate,
    pub seed: u64,
    /// Total driving time, minutes.
    pub cost: f64,
    pub solver_seconds: f64,
    pub stops: Vec<StopRow>,
    pub unserved: Vec<UnservedRow>,
}

/// Takes a ride and its return trip out of the stored plan of their day, once they will
/// not happen (cancelled, declined): the vehicle no longer drives there, and the rest of
/// its route stays as planned (it may wait a little longer at the next stop).
pub(crate) async fn drop_from_plan(tx: &mut sqlx::Transaction<'_, sqlx::Any>, ride_id: &str) -> Result<(), DbError> {
    for table in ["ride_stops", "ride_plan_unserved"] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE request_id IN (SELECT id FROM ride_requests WHERE id = $1 OR return_of = $1)"
        )))
        .bind(ride_id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Stores the plan of its day, replacing an older one, and marks what it serves as
/// planned, all in one transaction. Returns the plan's id.
pub async fn save_plan(db: &Db, plan: &PlanRows) -> Result<String, DbError> {
    let id = new_id();
    let ts = now();
    let day = plan.service_date.to_string();
    let mut tx = db.pool().begin().await?;
    // Stops and unserved rows go with their plan (ON DELETE CASCADE).
    sqlx::query("DELETE FROM ride_plans WHERE service_date = $1").bind(&day).execute(&mut *tx).await?;
    sqlx::query("INSERT INTO ride_plans (id, service_date, created_at, seed, cost, solver_seconds) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&id)
        .bind(&day)
        .bind(&ts)
        .bind(plan.seed as i64)
        .bind(plan.cost)
        .bind(plan.solver_seconds)
        .execute(&mut *tx)
        .await?;
    for s in &plan.stops {
        sqlx::query(
            "INSERT INTO ride_stops (plan_id, vehicle_id, seq, request_id, kind, arrive_at, depart_at, window_start, window_end)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(&s.vehicle_id)
        .bind(i64::from(s.seq))
        .bind(&s.request_id)
        .bind(match s.kind {
            StopKind::Pickup => "pickup",
            StopKind::Dropoff => "dropoff",
        })
        .bind(format_local(s.arrive_at))
        .bind(format_local(s.depart_at))
        .bind(format_local(s.window_start))
        .bind(format_local(s.window_end))
        .execute(&mut *tx)
        .await?;
    }
    for u in &plan.unserved {
        sqlx::query("INSERT INTO ride_plan_unserved (plan_id, request_id, code, reason) VALUES ($1, $2, $3, $4)")
            .bind(&id)
            .bind(&u.request_id)
            .bind(u.code)
            .bind(&u.reason)
            .execute(&mut *tx)
            .await?;
    }
    // A request the older plan served but this one does not is back to verified: it had
    // a checked address, or it could not have been planned.
    sqlx::query("UPDATE ride_requests SET status = $1, updated_at = $2 WHERE service_date = $3 AND status = $4")
        .bind(RideStatus::Verified.as_str())
        .bind(&ts)
        .bind(&day)
        .bind(RideStatus::Planned.as_str())
        .execute(&mut *tx)
        .await?;
    // Only open requests: one cancelled while the solver ran stays cancelled.
    for s in plan.stops.iter().filter(|s| s.kind == StopKind::Pickup) {
        sqlx::query("UPDATE ride_requests SET status = $1, updated_at = $2 WHERE id = $3 AND status IN ($4, $5)")
            .bind(RideStatus::Planned.as_str())
            .bind(&ts)
            .bind(&s.request_id)
            .bind(RideStatus::Requested.as_str())
            .bind(RideStatus::Verified.as_str())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(id)
}
