//! Tickets: every request a caller makes becomes one, in the queue of the right office.

use super::directory::{self, Office};
use super::{PhoneNumber, Postcode};
use crate::db::{Db, DbError, new_id, now, timestamp};
use chrono::{DateTime, Datelike, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use sqlx::Row;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketKind {
    Callback,
    Ride,
    Booking,
    DigitalHelp,
    Other,
}

impl TicketKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TicketKind::Callback => "callback",
            TicketKind::Ride => "ride",
            TicketKind::Booking => "booking",
            TicketKind::DigitalHelp => "digital_help",
            TicketKind::Other => "other",
        }
    }
}

/// What a caller asked for, as the dialog collected it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTicket {
    pub kind: TicketKind,
    pub topic: String,
    pub callback_number: Option<PhoneNumber>,
    pub postcode: Option<Postcode>,
    pub person_id: Option<String>,
    /// Office of a registered person, preferred over postcode routing.
    pub person_office_id: Option<String>,
    pub call_id: Option<String>,
    /// When the caller wants to be called back.
    pub window: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// A voice message for the advisor, inside the data directory.
    pub message_audio_path: Option<String>,
    /// The caregiver who asked for it on the person's behalf.
    pub caregiver_id: Option<String>,
    /// The caller mentioned an emergency: the ticket goes to the top of the queue.
    pub urgent: bool,
}

/// A time of day to be called back ("vormittags": 09:00 to 12:00), on working days.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DailyWindow {
    pub from: NaiveTime,
    pub until: NaiveTime,
}

/// Offices need this much notice to call back the same day.
const SAME_DAY_NOTICE: chrono::Duration = chrono::Duration::hours(1);

impl DailyWindow {
    /// `"09:00-12:00"`, or `"any"` (any time is fine: `None`).
    pub fn parse(text: &str) -> Result<Option<DailyWindow>, String> {
        if text == "any" {
            return Ok(None);
        }
        let bad = || format!("callback window {text:?} is neither \"any\" nor like \"09:00-12:00\"");
        let (from, until) = text.split_once('-').ok_or_else(bad)?;
        let time = |t: &str| NaiveTime::parse_from_str(t, "%H:%M").map_err(|_| bad());
        let (from, until) = (time(from)?, time(until)?);
        if from >= until {
            return Err(bad());
        }
        Ok(Some(DailyWindow { from, until }))
    }

    /// The first such window on a working day (Monday to Friday) that starts at least an
    /// hour after `now` (local time in `tz`), in UTC.
    pub fn next_after(&self, now: NaiveDateTime, tz: Tz) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let mut day = now.date();
        if now + SAME_DAY_NOTICE > day.and_time(self.from) {
            day = day.succ_opt()?;
        }
        while day.weekday().num_days_from_monday() >= 5 {
            day = day.succ_opt()?;
        }
        let utc = |t: NaiveTime| tz.from_local_datetime(&day.and_time(t)).earliest().map(|t| t.with_timezone(&Utc));
        Some((utc(self.from)?, utc(self.until)?))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CreatedTicket {
    pub id: String,
    pub office: Office,
}

/// Routes the ticket to an office and stores it with its first history event, in one
/// transaction. When this returns, the request is durable.
pub async fn create(db: &Db, ticket: &NewTicket, default_office: &str) -> Result<CreatedTicket, DbError> {
    let office = route(db, ticket, default_office).await?;
    let mut tx = db.pool().begin().await?;
    let detail = format!("{} / {} via Telefon", ticket.kind.as_str(), ticket.topic);
    let id = insert(&mut tx, ticket, &office.id, &detail).await?;
    tx.commit().await?;
    Ok(CreatedTicket { id, office })
}

/// Stores a ticket for `office_id` with its first history event (`detail`) inside the
/// caller's transaction, for requests that are stored together with other rows (a
/// booking and its confirmation). Returns the ticket's id.
pub(crate) async fn insert(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    ticket: &NewTicket,
    office_id: &str,
    detail: &str,
) -> Result<String, DbError> {
    insert_by(tx, ticket, office_id, detail, "phone").await
}

/// [`insert`] for a ticket someone other than the phone dialog opens (`actor`: a
/// staff member's username), so its history says who.
pub(crate) async fn insert_by(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    ticket: &NewTicket,
    office_id: &str,
    detail: &str,
    actor: &str,
) -> Result<String, DbError> {
    let id = new_id();
    let ts = now();
    sqlx::query(
        "INSERT INTO tickets (id, kind, office_id, person_id, call_id, topic, callback_number, postcode, window_start, window_end,
                              message_audio_path, caregiver_id, priority, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)",
    )
    .bind(&id)
    .bind(ticket.kind.as_str())
    .bind(office_id)
    .bind(ticket.person_id.as_deref())
    .bind(ticket.call_id.as_deref())
    .bind(&ticket.topic)
    .bind(ticket.callback_number.as_ref().map(PhoneNumber::as_str))
    .bind(ticket.postcode.as_ref().map(Postcode::as_str))
    .bind(ticket.window.map(|(start, _)| timestamp(start)))
    .bind(ticket.window.map(|(_, end)| timestamp(end)))
    .bind(ticket.message_audio_path.as_deref())
    .bind(ticket.caregiver_id.as_deref())
    .bind(i64::from(ticket.urgent))
    .bind(&ts)
    .execute(&mut **tx)
    .await?;
    let on_behalf = match &ticket.caregiver_id {
        Some(caregiver) => super::caregivers::acted_for(tx, caregiver).await?,
        None => None,
    };
    // Who acted for whom is an event of its own: an erasure blanks it with the other
    // personal details, while the "created" event stays for the statistics.
    for (kind, detail) in std::iter::once(("created", detail)).chain(on_behalf.as_deref().map(|d| ("on_behalf", d))) {
        sqlx::query("INSERT INTO ticket_events (id, ticket_id, at, actor, kind, detail) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(new_id())
            .bind(&id)
            .bind(&ts)
            .bind(actor)
            .bind(kind)
            .bind(detail)
            .execute(&mut **tx)
            .await?;
    }
    Ok(id)
}

/// The office a ticket goes to: the person's own, else by postcode, else the fallback.
pub async fn route(db: &Db, ticket: &NewTicket, default_office: &str) -> Result<Office, DbError> {
    if let Some(id) = &ticket.person_office_id
        && let Some(o) = directory::office(db, id).await?
    {
        return Ok(o);
    }
    if let Some(pc) = &ticket.postcode
        && let Some(o) = directory::office_for_postcode(db, pc).await?
    {
        return Ok(o);
    }
    directory::fallback_office(db, default_office).await?.ok_or_else(|| {
        DbError::Query(sqlx::Error::Protocol("no office is configured: import offices first (hotline import directory FILE)".into()))
    })
}

/// How long a caller waits for a callback when they named no time window: the office
/// promises to call back within a day.
pub const CALLBACK_WITHIN: chrono::Duration = chrono::Duration::hours(24);

/// A ticket as staff see it, with its office, person and call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ticket {
    pub id: String,
    pub kind: String,
    pub office_id: String,
    pub office_name: String,
    pub topic: String,
    pub callback_number: Option<String>,
    pub postcode: Option<String>,
    pub window_start: Option<String>,
    pub window_end: Option<String>,
    pub transcript: Option<String>,
    /// Whether a voice message is stored; the path itself never leaves the server.
    pub has_audio: bool,
    pub priority: i64,
    pub status: String,
    /// Username of the staff member working the ticket.
    pub assignee: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// When the caller expects the call back: the end of their window, else a day after
    /// the call.
    pub due_at: String,
    pub person: Option<PersonSummary>,
    pub call: Option<CallSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonSummary {
    pub id: String,
    pub name: String,
    pub phone: Option<String>,
    pub address: String,
    pub mobility: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallSummary {
    pub id: String,
    pub caller: Option<String>,
    pub started_at: String,
    /// Steps through the menu, e.g. "main>callback>topic:pflege>stored".
    pub path: String,
    pub outcome: Option<String>,
}

/// One entry of a ticket's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketEvent {
    pub at: String,
    pub actor: String,
    pub kind: String,
    pub detail: String,
}

/// Which tickets to list. Empty strings mean "any".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TicketQuery {
    pub office_id: String,
    pub kind: String,
    pub topic: String,
    /// Empty: every ticket that is not closed.
    pub status: String,
    /// A username, or [`UNASSIGNED`].
    pub assignee: String,
}

/// [`TicketQuery::assignee`] value for tickets nobody works yet.
pub const UNASSIGNED: &str = "-";

const SELECT_TICKET: &str = "SELECT t.id, t.kind, t.office_id, o.name AS office_name, t.topic, t.callback_number, t.postcode,
        t.window_start, t.window_end, t.transcript, t.message_audio_path, t.priority, t.status, t.assignee, t.created_at, t.updated_at,
        p.id AS person_id, p.given_name, p.family_name, p.phone AS person_phone, p.street, p.postcode AS person_postcode, p.city, p.mobility,
        c.id AS call_id, c.caller, c.started_at, c.path, c.outcome
    FROM tickets t JOIN offices o ON o.id = t.office_id
    LEFT JOIN people p ON p.id = t.person_id
    LEFT JOIN calls c ON c.id = t.call_id";

fn ticket_from_row(r: &sqlx::any::AnyRow) -> Ticket {
    let created_at: String = r.get("created_at");
    let window_end: Option<String> = r.get("window_end");
    let person = r.get::<Option<String>, _>("person_id").map(|id| {
        let street: Option<String> = r.get("street");
        let place = [r.get::<Option<String>, _>("person_postcode"), r.get("city")].into_iter().flatten().collect::<Vec<_>>().join(" ");
        PersonSummary {
            id,
            name: format!("{} {}", r.get::<String, _>("given_name"), r.get::<String, _>("family_name")),
            phone: r.get("person_phone"),
            address: [street.unwrap_or_default(), place].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(", "),
            mobility: r.get("mobility"),
        }
    });
    let call = r.get::<Option<String>, _>("call_id").map(|id| CallSummary {
        id,
        caller: r.get("caller"),
        started_at: r.get("started_at"),
        path: r.get("path"),
        outcome: r.get("outcome"),
    });
    Ticket {
        id: r.get("id"),
        kind: r.get("kind"),
        office_id: r.get("office_id"),
        office_name: r.get("office_name"),
        topic: r.get("topic"),
        callback_number: r.get("callback_number"),
        postcode: r.get("postcode"),
        window_start: r.get("window_start"),
        due_at: due_at(&created_at, window_end.as_deref()),
        window_end,
        transcript: r.get("transcript"),
        has_audio: r.get::<Option<String>, _>("message_audio_path").is_some(),
        priority: r.get("priority"),
        status: r.get("status"),
        assignee: r.get("assignee"),
        created_at,
        updated_at: r.get("updated_at"),
        person,
        call,
    }
}

fn due_at(created_at: &str, window_end: Option<&str>) -> String {
    if let Some(end) = window_end {
        return end.to_string();
    }
    match chrono::DateTime::parse_from_rfc3339(created_at) {
        Ok(t) => crate::db::timestamp(t.with_timezone(&chrono::Utc) + CALLBACK_WITHIN),
        Err(_) => created_at.to_string(),
    }
}

pub async fn get(db: &Db, id: &str) -> Result<Option<Ticket>, DbError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT_TICKET} WHERE t.id = $1"))).bind(id).fetch_optional(db.pool()).await?;
    Ok(row.as_ref().map(ticket_from_row))
}

/// Tickets matching `query`, most urgent first: higher priority, then the earliest due.
pub async fn list(db: &Db, query: &TicketQuery) -> Result<Vec<Ticket>, DbError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT_TICKET} WHERE ($1 = '' OR t.office_id = $1) AND ($2 = '' OR t.kind = $2) AND ($3 = '' OR t.topic = $3)
           AND (($4 = '' AND t.status <> 'closed') OR t.status = $4)
           AND ($5 = '' OR ($5 = '{UNASSIGNED}' AND t.assignee IS NULL) OR t.assignee = $5)
         ORDER BY t.created_at, t.id"
    )))
    .bind(&query.office_id)
    .bind(&query.kind)
    .bind(&query.topic)
    .bind(&query.status)
    .bind(&query.assignee)
    .fetch_all(db.pool())
    .await?;
    let mut tickets: Vec<Ticket> = rows.iter().map(ticket_from_row).collect();
    // Due times come from two columns, so they are ordered here rather than in SQL.
    tickets.sort_by(|a, b| b.priority.cmp(&a.priority).then_with(|| a.due_at.cmp(&b.due_at)));
    Ok(tickets)
}

/// Stores the transcript of the ticket's voice message (made after the call, when the
/// recognisers have time).
pub async fn set_transcript(db: &Db, id: &str, transcript: &str) -> Result<bool, DbError> {
    let update = sqlx::query("UPDATE tickets SET transcript = $2, updated_at = $3 WHERE id = $1").bind(id).bind(transcript).bind(now());
    change(db, id, "phone", "transcribed", "Sprachnachricht verschriftet", update).await
}

/// Where the ticket's voice message is stored, if it has one (server-side only).
pub async fn audio_path(db: &Db, id: &str) -> Result<Option<String>, DbError> {
    let path: Option<Option<String>> =
        sqlx::query_scalar("SELECT message_audio_path FROM tickets WHERE id = $1").bind(id).fetch_optional(db.pool()).await?;
    Ok(path.flatten())
}

/// The file a stored voice message path names, if it exists inside `data_dir`. Stored
/// paths are relative to the data directory (or absolute inside it); anything that
/// leads outside it is never read or deleted.
pub fn voice_file(data_dir: &std::path::Path, stored: &str) -> Option<std::path::PathBuf> {
    let data_dir = std::fs::canonicalize(data_dir).ok()?;
    let path = std::fs::canonicalize(data_dir.join(stored)).ok()?;
    if path.starts_with(&data_dir) {
        Some(path)
    } else {
        tracing::warn!("voice message path outside the data directory refused");
        None
    }
}

/// Topics in use among the tickets of `query`'s office and kind, for the queue's filter.
pub async fn topics(db: &Db, query: &TicketQuery) -> Result<Vec<String>, DbError> {
    Ok(sqlx::query_scalar("SELECT DISTINCT topic FROM tickets WHERE ($1 = '' OR office_id = $1) AND ($2 = '' OR kind = $2) ORDER BY topic")
        .bind(&query.office_id)
        .bind(&query.kind)
        .fetch_all(db.pool())
        .await?)
}

pub async fn events(db: &Db, id: &str) -> Result<Vec<TicketEvent>, DbError> {
    let rows = sqlx::query("SELECT at, actor, kind, detail FROM ticket_events WHERE ticket_id = $1 ORDER BY at, id")
        .bind(id)
        .fetch_all(db.pool())
        .await?;
    Ok(rows.iter().map(|r| TicketEvent { at: r.get("at"), actor: r.get("actor"), kind: r.get("kind"), detail: r.get("detail") }).collect())
}

/// How a call-back attempt went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Attempt {
    /// Nobody answered; the ticket stays with its assignee for another try.
    NotReached,
    /// The caller's request is settled: the ticket closes.
    Done,
    /// An appointment was made: the ticket waits for it.
    Appointment,
}

impl Attempt {
    pub const ALL: [Attempt; 3] = [Attempt::NotReached, Attempt::Appointment, Attempt::Done];

    pub fn label(self) -> &'static str {
        match self {
            Attempt::NotReached => "nicht erreicht",
            Attempt::Done => "erledigt",
            Attempt::Appointment => "Termin vereinbart",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Attempt::NotReached => "not_reached",
            Attempt::Done => "done",
            Attempt::Appointment => "appointment",
        }
    }
}

/// Takes an open ticket for `actor`. Exactly one of several concurrent claims wins, also
/// across server instances: the update only matches while the ticket is still open.
pub async fn claim(db: &Db, id: &str, actor: &str) -> Result<bool, DbError> {
    let update = sqlx::query("UPDATE tickets SET status = 'claimed', assignee = $2, updated_at = $3 WHERE id = $1 AND status = 'open'")
        .bind(id)
        .bind(actor)
        .bind(now());
    change(db, id, actor, "claimed", "", update).await
}

/// Adds a free-text note to the history.
pub async fn add_note(db: &Db, id: &str, actor: &str, text: &str) -> Result<bool, DbError> {
    change(db, id, actor, "note", text, touch(id)).await
}

/// Records a call-back attempt; `done` closes the ticket, an appointment makes it wait.
pub async fn record_attempt(db: &Db, id: &str, actor: &str, attempt: Attempt, note: &str) -> Result<bool, DbError> {
    let detail = if note.is_empty() { attempt.label().to_string() } else { format!("{}: {note}", attempt.label()) };
    let status = match attempt {
        Attempt::NotReached => None,
        Attempt::Done => Some("closed"),
        Attempt::Appointment => Some("waiting"),
    };
    let update = match status {
        Some(status) => set_status(id, status),
        None => sqlx::query("UPDATE tickets SET updated_at = $2 WHERE id = $1 AND status <> 'closed'").bind(id).bind(now()),
    };
    change(db, id, actor, "attempt", &detail, update).await
}

pub async fn close(db: &Db, id: &str, actor: &str, reason: &str) -> Result<bool, DbError> {
    change(db, id, actor, "closed", reason, set_status(id, "closed")).await
}

/// Hands a ticket to another office's queue, open and unassigned.
pub async fn reassign(db: &Db, id: &str, actor: &str, from_office: &str, to_office: &str) -> Result<bool, DbError> {
    let update = sqlx::query(
        "UPDATE tickets SET office_id = $2, status = 'open', assignee = NULL, updated_at = $3 WHERE id = $1 AND office_id = $4 AND status <> 'closed'",
    )
    .bind(id)
    .bind(to_office)
    .bind(now())
    .bind(from_office);
    change(db, id, actor, "reassigned", &format!("{from_office} → {to_office}"), update).await
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

fn touch(id: &str) -> AnyQuery<'_> {
    sqlx::query("UPDATE tickets SET updated_at = $2 WHERE id = $1").bind(id).bind(now())
}

fn set_status<'q>(id: &'q str, status: &'static str) -> AnyQuery<'q> {
    sqlx::query("UPDATE tickets SET status = $2, updated_at = $3 WHERE id = $1 AND status <> 'closed'").bind(id).bind(status).bind(now())
}

/// Applies `update` and appends the matching history event in one transaction; when the
/// update matches no row (the ticket moved on meanwhile) nothing is written.
async fn change(db: &Db, id: &str, actor: &str, kind: &str, detail: &str, update: AnyQuery<'_>) -> Result<bool, DbError> {
    let mut tx = db.pool().begin().await?;
    if update.execute(&mut *tx).await?.rows_affected() != 1 {
        tx.rollback().await?;
        return Ok(false);
    }
    sqlx::query("INSERT INTO ticket_events (id, ticket_id, at, actor, kind, detail) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(new_id())
        .bind(id)
        .bind(now())
        .bind(actor)
        .bind(kind)
        .bind(detail)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(true)
}
