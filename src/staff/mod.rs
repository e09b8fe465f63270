//! The staff side: accounts, sessions and access rules, the browser workspace and the
//! JSON API over the same tickets.

pub mod access;
pub mod api;
pub mod audit;
pub mod login;
pub mod sessions;
pub mod users;
pub mod web;
