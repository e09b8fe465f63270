//! Staff accounts (the web workspace builds on these).

pub mod users;
