//! A person's right of access (everything stored about them, as one JSON document) and
//! right to erasure (their personal data deleted or anonymised in every table, in one
//! transaction). Both find the person's rows the same way ([`Subject`]), so what an
//! export shows is exactly what an erasure removes.
//!
//! Erasure keeps what statistics need and names no one: a ticket's kind, topic, office,
//! postcode area and timestamps; a call's times, menu path and outcome; a booking's date
//! and seats; a ride's day, direction and status.

use super::retention::remove_voice_file;
use crate::db::{Db, DbError, new_id, now};
use serde::Serialize;
use serde_json::{Map, Value};
use sqlx::{AnyConnection, Column, Row};
use std::path::Path;

/// What a text column that must not be empty holds once its content is erased.
pub const ERASED: &str = "(gelöscht)";

/// The rows that are about one person: linked by id, or carrying their phone number (a
/// call or call-back request from before they were registered).
struct Subject {
    tickets: Vec<String>,
    calls: Vec<String>,
    bookings: Vec<String>,
    rides: Vec<String>,
}

/// The person's phone number ('' if none); `None` if there is no such person.
async fn phone_of(conn: &mut AnyConnection, person_id: &str) -> Result<Option<String>, DbError> {
    let phone: Option<Option<String>> =
        sqlx::query_scalar("SELECT phone FROM people WHERE id = $1").bind(person_id).fetch_optional(conn).await?;
    Ok(phone.map(Option::unwrap_or_default))
}

/// Ids selected by `sql`, where `$1` is the person's id and `$2`, if used, their phone.
async fn ids(conn: &mut AnyConnection, sql: &'static str, person_id: &str, phone: &str) -> Result<Vec<String>, DbError> {
    let mut query = sqlx::query_scalar(sql).bind(person_id);
    // PostgreSQL refuses a parameter the statement does not use.
    if sql.contains("$2") {
        query = query.bind(phone);
    }
    Ok(query.fetch_all(conn).await?)
}

impl Subject {
    async fn find(conn: &mut AnyConnection, person_id: &str, phone: &str) -> Result<Subject, DbError> {
        Ok(Subject {
            tickets: ids(
                conn,
                "SELECT id FROM tickets WHERE person_id = $1 OR ($2 <> '' AND callback_number = $2) ORDER BY created_at, id",
                person_id,
                phone,
            )
            .await?,
            calls: ids(
                conn,
                "SELECT id FROM calls WHERE person_id = $1 OR ($2 <> '' AND caller = $2)
                    OR id IN (SELECT call_id FROM tickets WHERE person_id = $1) ORDER BY started_at, id",
                person_id,
                phone,
            )
            .await?,
            bookings: ids(
                conn,
                "SELECT id FROM bookings WHERE person_id = $1 OR booked_by = $1 OR ($2 <> '' AND phone = $2) ORDER BY created_at, id",
                person_id,
                phone,
            )
            .await?,
            rides: ids(conn, "SELECT id FROM ride_requests WHERE person_id = $1 ORDER BY created_at, id", person_id, phone).await?,
        })
    }
}

/// A row as a JSON object, column by column, whatever the table.
fn row_json(r: &sqlx::any::AnyRow) -> Value {
    let mut object = Map::new();
    for (i, column) in r.columns().iter().enumerate() {
        let value = if let Ok(v) = r.try_get::<Option<i64>, _>(i) {
            Value::from(v)
        } else if let Ok(v) = r.try_get::<Option<f64>, _>(i) {
            Value::from(v)
        } else {
            Value::from(r.try_get::<Option<String>, _>(i).ok().flatten())
        };
        object.insert(column.name().to_string(), value);
    }
    Value::Object(object)
}

async fn rows(conn: &mut AnyConnection, sql: &'static str, key: &str) -> Result<Vec<Value>, DbError> {
    Ok(sqlx::query(sql).bind(key).fetch_all(conn).await?.iter().map(row_json).collect())
}

async fn rows_of(conn: &mut AnyConnection, sql: &'static str, keys: &[String]) -> Result<Vec<Value>, DbError> {
    let mut all = Vec::new();
    for key in keys {
        all.extend(rows(conn, sql, key).await?);
    }
    Ok(all)
}

/// Everything stored about the person, for a GDPR access request; `None` if there is
/// no such person.
pub async fn export(db: &Db, person_id: &str) -> Result<Option<Value>, DbError> {
    let mut conn = db.pool().acquire().await?;
    let Some(phone) = phone_of(&mut conn, person_id).await? else { return Ok(None) };
    let s = Subject::find(&mut conn, person_id, &phone).await?;
    let person = rows(&mut conn, "SELECT * FROM people WHERE id = $1", person_id).await?;
    let mut doc = Map::new();
    doc.insert("exported_at".into(), Value::from(now()));
    doc.insert("person".into(), person.into_iter().next().unwrap_or(Value::Null));
    // Everything but the PIN's hash: it is a secret of the caregiver's, and no use to anyone.
    let caregivers = rows(
        &mut conn,
        "SELECT id, person_id, name, phone, pin_failures, locked_at, created_at FROM caregivers WHERE person_id = $1 ORDER BY created_at, id",
        person_id,
    )
    .await?;
    doc.insert("caregivers".into(), Value::from(caregivers));
    doc.insert("tickets".into(), Value::from(rows_of(&mut conn, "SELECT * FROM tickets WHERE id = $1", &s.tickets).await?));
    let events = rows_of(&mut conn, "SELECT * FROM ticket_events WHERE ticket_id = $1 ORDER BY at, id", &s.tickets).await?;
    doc.insert("ticket_events".into(), Value::from(events));
    doc.insert("calls".into(), Value::from(rows_of(&mut conn, "SELECT * FROM calls WHERE id = $1", &s.calls).await?));
    doc.insert("bookings".into(), Value::from(rows_of(&mut conn, "SELECT * FROM bookings WHERE id = $1", &s.bookings).await?));
    doc.insert("rides".into(), Value::from(rows_of(&mut conn, "SELECT * FROM ride_requests WHERE id = $1", &s.rides).await?));
    Ok(Some(Value::Object(doc)))
}

/// How many rows an erasure changed, per table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Erased {
    pub tickets: usize,
    pub calls: usize,
    pub bookings: usize,
    pub rides: usize,
    pub caregivers: u64,
}

/// Deletes the person and anonymises every row about them, in one transaction; then
/// deletes their voice message files. `None` if there is no such person.
pub async fn erase(db: &Db, data_dir: &Path, person_id: &str, actor: &str) -> Result<Option<Erased>, DbError> {
    let mut tx = db.pool().begin().await?;
    let Some(phone) = phone_of(&mut tx, person_id).await? else { return Ok(None) };
    let s = Subject::find(&mut tx, person_id, &phone).await?;
    let ts = now();
    let mut audio = Vec::new();
    for id in &s.tickets {
        let path: Option<String> =
            sqlx::query_scalar("SELECT message_audio_path FROM tickets WHERE id = $1").bind(id).fetch_one(&mut *tx).await?;
        audio.extend(path);
        // Notes and reasons are free text about the person; what happened stays visible.
        sqlx::query("UPDATE ticket_events SET detail = '' WHERE ticket_id = $1 AND kind <> 'created'").bind(id).execute(&mut *tx).await?;
        sqlx::query(
            "UPDATE tickets SET person_id = NULL, callback_number = NULL, transcript = NULL, message_audio_path = NULL, caregiver_id = NULL,
                updated_at = $2
             WHERE id = $1",
        )
        .bind(id)
        .bind(&ts)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO ticket_events (id, ticket_id, at, actor, kind, detail) VALUES ($1, $2, $3, $4, 'erased', $5)")
            .bind(new_id())
            .bind(id)
            .bind(&ts)
            .bind(actor)
            .bind("Personenbezogene Daten auf Antrag gelöscht")
            .execute(&mut *tx)
            .await?;
    }
    for id in &s.calls {
        sqlx::query("UPDATE calls SET caller = NULL, person_id = NULL, caregiver_id = NULL WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    for id in &s.bookings {
        sqlx::query(
            "UPDATE bookings SET person_id = CASE WHEN person_id = $2 THEN NULL ELSE person_id END,
                booked_by = CASE WHEN booked_by = $2 THEN NULL ELSE booked_by END,
                phone = CASE WHEN phone = $3 OR caregiver_id IS NOT NULL THEN $4 ELSE phone END,
                caregiver_id = NULL
             WHERE id = $1",
        )
        .bind(id)
        .bind(person_id)
        .bind(&phone)
        .bind(ERASED)
        .execute(&mut *tx)
        .await?;
    }
    for id in &s.rides {
        // Nobody is left to drive: open trips are cancelled rather than planned for an
        // address that is gone.
        sqlx::query(
            "UPDATE ride_requests SET person_id = NULL, pickup_address = $2, pickup_lat = NULL, pickup_lon = NULL,
                destination = $2, destination_lat = NULL, destination_lon = NULL, destination_place_id = NULL,
                status = CASE WHEN status IN ('requested', 'verified', 'planned') THEN 'cancelled' ELSE status END, updated_at = $3
             WHERE id = $1",
        )
        .bind(id)
        .bind(ERASED)
        .bind(&ts)
        .execute(&mut *tx)
        .await?;
    }
    let caregivers = sqlx::query("DELETE FROM caregivers WHERE person_id = $1").bind(person_id).execute(&mut *tx).await?.rows_affected();
    sqlx::query("DELETE FROM people WHERE id = $1").bind(person_id).execute(&mut *tx).await?;
    tx.commit().await?;
    for stored in &audio {
        remove_voice_file(data_dir, stored).await;
    }
    Ok(Some(Erased { tickets: s.tickets.len(), calls: s.calls.len(), bookings: s.bookings.len(), rides: s.rides.len(), caregivers }))
}
