//! Data protection (GDPR): the retention job that deletes old voice messages and
//! transcripts, and a person's right of access and erasure ([`person`]).
//!
//! Not for: who may do this (that is [`crate::staff`], which also audit-logs it).

pub mod person;
pub mod retention;
