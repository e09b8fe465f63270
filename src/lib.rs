//! Seniorentelefon: a phone hotline for older people.
//!
//! Data flows one way: [`telephony`] (transports) -> [`audio`] -> [`speech`] ->
//! [`dialog`] (pure) -> [`domain`] / [`offers`] / [`rides`] -> [`db`]. See `../shared/design/ARCHITECTURE.md`.

pub mod audio;
pub mod caller;
pub mod config;
pub mod db;
pub mod dialog;
pub mod dispatch;
pub mod domain;
pub mod offers;
pub mod privacy;
pub mod reports;
pub mod rides;
pub mod server;
pub mod speech;
pub mod staff;
pub mod telephony;
