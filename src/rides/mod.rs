//! Ride service: ride requests (with linked return trips), the offices' vehicles, and
//! the day plans the dispatcher makes of them.
//!
//! [`store`] keeps requests, vehicles and plans in the database; [`day`] turns one
//! office's day into a [`crate::dispatch`] instance and its plan back into rows;
//! [`planner`] plans and stores a whole day; [`report`] shows a plan to the ride desk.
//! [`desk`] is the ride desk's work on a request (address check, accept, decline).
//! [`phone`] is what the phone dialog needs: places, service hours, storing a booking.
//! Not for: solving (that is [`crate::dispatch`]), the dialog itself, geocoding.

mod clock;
pub mod day;
pub mod desk;
pub mod phone;
pub mod planner;
pub mod report;
pub mod store;

pub use clock::{ClockTime, format_local, parse_local};
pub use day::Unplanned;
pub use planner::{DayPlan, plan_day};
pub use store::{CreatedRide, Direction, FleetVehicle, Location, NewRide, Point, RideRequest, RideStatus};

use crate::db::DbError;
use crate::dispatch::ModelError;

#[derive(Debug, thiserror::Error)]
pub enum RidesError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("ride data does not form a dispatcher instance: {0}")]
    Model(#[from] ModelError),
    #[error("the dispatcher failed: {0}")]
    Solver(String),
    /// The independent validator rejected the solver's plan; nothing was stored.
    #[error("the plan for office {office} breaks constraints, not stored: {}", violations.join("; "))]
    InvalidPlan { office: String, violations: Vec<String> },
}
