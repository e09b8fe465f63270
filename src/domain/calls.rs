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

/// Records the provider's final status of a call. A call that never reached us (busy,
/// no answer) gets a row of its own, so reports see every call.
pub async fn record_provider_status(
    db: &Db,
    transport: &str,
    provider_call_id: &str,
    status: &str,
    duration_secs: Option<i64>,
    caller: Option<&PhoneNumber>,
) -> Result<(), DbError> {
    let updated = sqlx::query("UPDATE calls SET provider_status = $1, duration_secs = $2 WHERE transport = $3 AND provider_call_id = $4")
        .bind(status)
        .bind(duration_secs)
        .bind(transport)
        .bind(provider_call_id)
        .execute(db.pool())
        .await?
        .rows_affected();
    if updated == 0 {
        let ts = now();
        sqlx::query(
            "INSERT INTO calls (id, transport, provider_call_id, caller, started_at, ended_at, outcome, provider_status, duration_secs)
             VALUES ($1, $2, $3, $4, $5, $5, $6, $6, $7)",
        )
        .bind(new_id())
        .bind(transport)
        .bind(provider_call_id)
        .bind(caller.map(PhoneNumber::as_str))
        .bind(ts)
        .bind(status)
        .bind(duration_secs)
        .execute(db.pool())
        .await?;
    }
    Ok(())
}
