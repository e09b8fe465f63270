//! The hotline's business: offices, people, calls and tickets.
//!
//! Domain code speaks in parsed values ([`PhoneNumber`], [`Postcode`]) and stores through
//! [`crate::db::Db`]; it knows nothing about calls' audio or menus.

pub mod calls;
pub mod caregivers;
pub mod directory;
pub mod hours;
pub mod phone;
pub mod tickets;

pub use phone::{PhoneNumber, Postcode};
