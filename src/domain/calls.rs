//! The `calls` table: one row per phone call, with the path through the menus and how it
//! ended, for reporting.

use super::PhoneNumber;
use crate::db::{Db, DbError, new_id, now};
use sqlx::Row;

#[derive(Debug, Clone)]
pub struct NewCall<'a> {
    pub transport: &'a str,
    pub provider_call_id: Option<&'a str>,
    pub caller: Option<&'a PhoneNumber>,
    pub called: Option<&'a str>,
    pub person_id: Option<&'a str>,
}

/// How a call's conversation could begin.
#[derive(Debug, Clone, PartialEq)]
pub enum Started {
    New {
        id: String,
    },
    /// The caller is back after a transfer nobody answered; the call keeps its row and
    /// continues its path.
    Resumed {
        id: String,
        path: String,
    },
    /// The provider's call id already has a conversation that is running or over:
    /// a duplicate or replayed stream, refused.
    Refused {
        active: bool,
    },
}

pub async fn start(db: &Db, call: &NewCall<'_>) -> Result<Started, DbError> {
    let id = new_id();
    // The unique (transport, provider_call_id) index decides, so concurrent duplicates
    // on several instances cannot both start.
    let inserted = sqlx::query(
        "INSERT INTO calls (id, transport, provider_call_id, caller, called, person_id, started_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (transport, provider_call_id) DO NOTHING",
    )
    .bind(&id)
    .bind(call.transport)
    .bind(call.provider_call_id)
    .bind(call.caller.map(PhoneNumber::as_str))
    .bind(call.called)
    .bind(call.person_id)
    .bind(now())
    .execute(db.pool())
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(Started::New { id });
    }
    let provider_call_id = call.provider_call_id.unwrap_or_default();
    let resumed = sqlx::query(
        "UPDATE calls SET ended_at = NULL, outcome = NULL, transfer_status = 'resumed'
         WHERE transport = $1 AND provider_call_id = $2 AND ended_at IS NOT NULL AND transfer_to IS NOT NULL
           AND (transfer_status IS NULL OR transfer_status NOT IN ('completed', 'resumed'))
         RETURNING id, path",
    )
    .bind(call.transport)
    .bind(provider_call_id)
    .fetch_optional(db.pool())
    .await?;
    if let Some(row) = resumed {
        return Ok(Started::Resumed { id: row.try_get("id")?, path: row.try_get("path")? });
    }
    let ended: Option<Option<String>> = sqlx::query_scalar("SELECT ended_at FROM calls WHERE transport = $1 AND provider_call_id = $2")
        .bind(call.transport)
        .bind(provider_call_id)
        .fetch_optional(db.pool())
        .await?;
    Ok(Started::Refused { active: matches!(ended, Some(None)) })
}

/// Records the end of the conversation on our side.
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

/// Ends the conversation with a transfer to `number`; the transport then hands the call
/// over (Twilio asks `/twilio/after-stream`, Asterisk's dialplan asks
/// `/audiosocket/transfer`).
pub async fn finish_with_transfer(db: &Db, id: &str, path: &str, number: &PhoneNumber) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE calls SET ended_at = $1, path = $2, outcome = 'transferred', transfer_to = $3, transfer_status = NULL WHERE id = $4",
    )
    .bind(now())
    .bind(path)
    .bind(number.as_str())
    .bind(id)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// The number a finished conversation asked to be put through to, if any.
pub async fn pending_transfer(db: &Db, transport: &str, provider_call_id: &str) -> Result<Option<PhoneNumber>, DbError> {
    let number: Option<Option<String>> = sqlx::query_scalar(
        "SELECT transfer_to FROM calls WHERE transport = $1 AND provider_call_id = $2 AND ended_at IS NOT NULL AND transfer_status IS NULL",
    )
    .bind(transport)
    .bind(provider_call_id)
    .fetch_optional(db.pool())
    .await?;
    // Stored numbers were valid E.164 when written.
    Ok(number.flatten().and_then(|n| PhoneNumber::parse(&n).ok()))
}

/// Records how the transfer went (the provider's dial status).
pub async fn record_transfer_status(db: &Db, transport: &str, provider_call_id: &str, status: &str) -> Result<(), DbError> {
    sqlx::query("UPDATE calls SET transfer_status = $1 WHERE transport = $2 AND provider_call_id = $3 AND transfer_to IS NOT NULL")
        .bind(status)
        .bind(transport)
        .bind(provider_call_id)
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
