//! The `calls` table: one row per phone call, with the path through the menus and how it
//! ended, for reporting.

use super::PhoneNumber;
use crate::db::{Db, DbError, new_id, now};

#[derive(Debug, Clone)]
pub struct NewCall<'a> {
    pub transport: &'a str,
    pub provider_call_id: Option<&'a str>,
    pub caller: Option<&'a PhoneNumber>,
    pub called: Option<&'a str>,
    pub person_id: Option<&'a str>,
}

pub async fn start(db: &Db, call: &NewCall<'_>) -> Result<String, DbError> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO calls (id, transport, provider_call_id, caller, called, person_id, started_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(call.transport)
    .bind(call.provider_call_id)
    .bind(call.caller.map(PhoneNumber::as_str))
    .bind(call.called)
    .bind(call.person_id)
    .bind(now())
    .execute(db.pool())
    .await?;
    Ok(id)
}

pub async fn finish(db: &Db, id: &str, path: &str, outcome: &str) -> Result<(), DbError> {
    sqlx::query("UPDATE calls SET ended_at = $1, path = $2, outcome = $3 WHERE id = $4")
        .bind(now())
        .bind(path)
        .bind(outcome)
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(())
}
