//! Ride dispatcher (issue 8): the dial-a-ride problem (DARP).
//!
//! Turns a day's ride requests into vehicle routes ([`solver`]), inserts a single new
//! booking into an existing day plan while the caller is on the line ([`insert`]), and
//! checks any plan against every constraint with code that shares nothing with the
//! solver's scheduling ([`validator`]). [`cordeau`] reads the Cordeau (2006) benchmark and
//! [`bench`] measures us against it. Not for: booking storage, the phone dialog, maps.
//!
//! Times are minutes since the start of the service day, as `f64`.

pub mod bench;
pub mod cordeau;
pub mod insert;
pub mod model;
pub(crate) mod rng;
pub mod schedule;
pub mod solver;
pub mod validator;

pub use insert::{Alternatives, Inserted, insert_request};
pub use model::{
    Euclidean, Haversine, Instance, Link, MatrixTimes, ModelError, Request, Stop, TimeWindow, TravelTimes, Vehicle, great_circle_km,
};
pub use solver::{Plan, PlannedStop, RoutePlan, SolverConfig, StopKind, Unserved, UnservedReason, solve};
pub use validator::{Violation, validate};
