//! The dial-a-ride model: requests, vehicles and the travel times between places.
//!
//! Places are plain indices into a [`TravelTimes`] implementation, so an operator can swap
//! straight-line estimates for a routing engine's table without touching the solver.

use serde::{Deserialize, Serialize};
use std::sync::Arc;
use thiserror::Error;

/// Latest time used for "no limit": finite, so slack arithmetic never meets `inf - inf`.
pub const OPEN_END: f64 = 1.0e7;

#[derive(Debug, Error)]
pub enum ModelError {
    #[error("request {request}: place {place} is unknown to the travel times ({places} places)")]
    UnknownPlace { request: usize, place: usize, places: usize },
    #[error("vehicle {vehicle}: depot place {place} is unknown to the travel times ({places} places)")]
    UnknownDepot { vehicle: usize, place: usize, places: usize },
    #[error("request {request}: linked outbound trip {outbound} does not exist or is the request itself")]
    BadLink { request: usize, outbound: usize },
    #[error("request {request}: {what}")]
    BadRequest { request: usize, what: String },
    #[error("travel time matrix: {0}")]
    Matrix(String),
}

/// Begin of service must lie in `[earliest, latest]`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimeWindow {
    pub earliest: f64,
    pub latest: f64,
}

impl TimeWindow {
    pub const fn new(earliest: f64, latest: f64) -> Self {
        TimeWindow { earliest, latest }
    }

    /// No constraint.
    pub const fn open() -> Self {
        TimeWindow { earliest: 0.0, latest: OPEN_END }
    }

    pub fn contains(&self, t: f64) -> bool {
        t >= self.earliest && t <= self.latest
    }
}

/// One end of a trip.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stop {
    pub place: usize,
    pub window: TimeWindow,
    /// Minutes spent at the stop (helping someone in or out).
    pub service: f64,
}

/// A return trip that may not start before the appointment of its outbound trip ends.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Link {
    /// Index of the outbound request.
    pub outbound: usize,
    /// Length of the appointment. It starts at the latest drop-off of the outbound trip
    /// (the booked "arrive by" time), so the return pickup is not before
    /// `outbound.dropoff.window.latest + appointment`.
    pub appointment: f64,
}

/// A ride for one person (or a small party travelling together).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub pickup: Stop,
    pub dropoff: Stop,
    /// Seats taken.
    pub seats: u32,
    /// Wheelchair places taken (separate from seats).
    pub wheelchairs: u32,
    /// Longest time on board: drop-off begin minus pickup departure.
    pub max_ride: f64,
    pub link: Option<Link>,
}

impl Request {
    /// The pickup window after applying the link to an outbound trip: the one the
    /// solver must respect.
    pub fn effective_pickup_window(&self, requests: &[Request]) -> TimeWindow {
        let mut w = self.pickup.window;
        if let Some(link) = self.link
            && let Some(out) = requests.get(link.outbound)
        {
            w.earliest = w.earliest.max(out.dropoff.window.latest + link.appointment);
        }
        w
    }
}

/// A vehicle and its driver's shift.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Vehicle {
    pub start_place: usize,
    pub end_place: usize,
    /// Leave the start depot no earlier than `shift.earliest`, be back by `shift.latest`.
    pub shift: TimeWindow,
    pub seats: u32,
    pub wheelchairs: u32,
    /// Back at the end depot at most this long after leaving the start depot.
    pub max_duration: f64,
}

/// Travel time in minutes between two places. Also the cost the solver minimises.
pub trait TravelTimes: Send + Sync {
    fn minutes(&self, from: usize, to: usize) -> f64;
    /// Number of places.
    fn places(&self) -> usize;
}

/// Plane coordinates, time = distance (the Cordeau benchmark convention).
#[derive(Clone, Debug, Default)]
pub struct Euclidean {
    pub points: Vec<(f64, f64)>,
}

impl Euclidean {
    pub fn new(points: Vec<(f64, f64)>) -> Self {
        Euclidean { points }
    }

    /// Adds a place and returns its index.
    pub fn push(&mut self, x: f64, y: f64) -> usize {
        self.points.push((x, y));
        self.points.len() - 1
    }
}

impl TravelTimes for Euclidean {
    fn minutes(&self, from: usize, to: usize) -> f64 {
        let (a, b) = (self.points[from], self.points[to]);
        ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
    }

    fn places(&self) -> usize {
        self.points.len()
    }
}

/// Straight-line (great-circle) distance times a detour factor, at an average speed:
/// the estimate to start with before a routing engine is connected.
#[derive(Clone, Debug)]
pub struct Haversine {
    /// (latitude, longitude) in degrees.
    pub points: Vec<(f64, f64)>,
    /// Road distance / straight-line distance; about 1.3 in towns.
    pub detour: f64,
    pub speed_kmh: f64,
}

impl Haversine {
    pub fn new(points: Vec<(f64, f64)>, detour: f64, speed_kmh: f64) -> Self {
        Haversine { points, detour, speed_kmh }
    }

    pub fn km(&self, from: usize, to: usize) -> f64 {
        great_circle_km(self.points[from], self.points[to])
    }
}

/// Great-circle distance in km between two (latitude, longitude) positions in degrees
/// (haversine formula).
pub fn great_circle_km((lat1, lon1): (f64, f64), (lat2, lon2): (f64, f64)) -> f64 {
    const EARTH_RADIUS_KM: f64 = 6371.0088;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

impl TravelTimes for Haversine {
    fn minutes(&self, from: usize, to: usize) -> f64 {
        self.km(from, to) * self.detour / self.speed_kmh * 60.0
    }

    fn places(&self) -> usize {
        self.points.len()
    }
}

/// A square table of minutes, e.g. exported from OSRM/Valhalla `table` requests.
#[derive(Clone, Debug)]
pub struct MatrixTimes {
    n: usize,
    minutes: Vec<f64>,
}

impl MatrixTimes {
    pub fn new(n: usize, minutes: Vec<f64>) -> Result<Self, ModelError> {
        if minutes.len() != n * n {
            return Err(ModelError::Matrix(format!("{} values for {n} places, expected {}", minutes.len(), n * n)));
        }
        if let Some(bad) = minutes.iter().position(|m| !m.is_finite() || *m < 0.0) {
            return Err(ModelError::Matrix(format!("row {} column {}: {} is not a travel time", bad / n + 1, bad % n + 1, minutes[bad])));
        }
        Ok(MatrixTimes { n, minutes })
    }

    /// CSV with one row per origin and one column per destination, comma or semicolon
    /// separated; blank lines and lines starting with `#` are ignored.
    pub fn from_csv(text: &str) -> Result<Self, ModelError> {
        let mut rows = Vec::new();
        for (no, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let row = line
                .split([',', ';'])
                .map(|v| {
                    v.trim().parse::<f64>().map_err(|_| ModelError::Matrix(format!("line {}: {:?} is not a number", no + 1, v.trim())))
                })
                .collect::<Result<Vec<_>, _>>()?;
            rows.push((no + 1, row));
        }
        let n = rows.len();
        let mut minutes = Vec::with_capacity(n * n);
        for (line, row) in rows {
            if row.len() != n {
                return Err(ModelError::Matrix(format!("line {line}: {} columns, expected {n} (the table must be square)", row.len())));
            }
            minutes.extend(row);
        }
        Self::new(n, minutes)
    }
}

impl TravelTimes for MatrixTimes {
    fn minutes(&self, from: usize, to: usize) -> f64 {
        self.minutes[from * self.n + to]
    }

    fn places(&self) -> usize {
        self.n
    }
}

/// One service day: what must be driven, with what, over which roads.
#[derive(Clone)]
pub struct Instance {
    pub name: String,
    pub requests: Vec<Request>,
    pub vehicles: Vec<Vehicle>,
    pub travel: Arc<dyn TravelTimes>,
}

impl std::fmt::Debug for Instance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instance")
            .field("name", &self.name)
            .field("requests", &self.requests.len())
            .field("vehicles", &self.vehicles.len())
            .finish()
    }
}

impl Instance {
    /// Checks references and numbers once, so the solver can index without checks.
    pub fn new(
        name: impl Into<String>,
        requests: Vec<Request>,
        vehicles: Vec<Vehicle>,
        travel: Arc<dyn TravelTimes>,
    ) -> Result<Self, ModelError> {
        let places = travel.places();
        for (i, r) in requests.iter().enumerate() {
            for place in [r.pickup.place, r.dropoff.place] {
                if place >= places {
                    return Err(ModelError::UnknownPlace { request: i, place, places });
                }
            }
            if let Some(link) = r.link
                && (link.outbound >= requests.len() || link.outbound == i)
            {
                return Err(ModelError::BadLink { request: i, outbound: link.outbound });
            }
            let numbers = [
                r.pickup.window.earliest,
                r.pickup.window.latest,
                r.dropoff.window.earliest,
                r.dropoff.window.latest,
                r.pickup.service,
                r.dropoff.service,
                r.max_ride,
            ];
            if numbers.iter().any(|v| !v.is_finite()) {
                return Err(ModelError::BadRequest { request: i, what: "times must be finite numbers".into() });
            }
        }
        for (k, v) in vehicles.iter().enumerate() {
            for place in [v.start_place, v.end_place] {
                if place >= places {
                    return Err(ModelError::UnknownDepot { vehicle: k, place, places });
                }
            }
        }
        Ok(Instance { name: name.into(), requests, vehicles, travel })
    }
}
