//! Voice messages and transcripts are kept only `privacy.voice_retention_days`: after
//! that the audio file is deleted and both columns are cleared. The ticket, its topic
//! and its history stay (the office's records and anonymous statistics), and the
//! deletion is written into that history.

use crate::db::{Db, DbError, new_id, timestamp};
use crate::domain::tickets;
use chrono::{DateTime, Utc};
use sqlx::Row;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How often `hotline serve` looks for expired recordings (also once at start).
pub const INTERVAL: Duration = Duration::from_secs(3600);

/// Actor of the history event the purge writes.
pub const ACTOR: &str = "system";

/// Deletes the voice messages and transcripts of tickets created before `now - keep`;
/// returns how many tickets were purged. Each ticket is its own transaction, so a
/// failure halfway keeps what is done and the next run picks up the rest.
pub async fn purge(db: &Db, data_dir: &Path, keep: chrono::Duration, now: DateTime<Utc>) -> Result<u32, DbError> {
    let cutoff = timestamp(now - keep);
    let rows = sqlx::query(
        "SELECT id, message_audio_path FROM tickets
         WHERE created_at < $1 AND (message_audio_path IS NOT NULL OR transcript IS NOT NULL) ORDER BY created_at",
    )
    .bind(&cutoff)
    .fetch_all(db.pool())
    .await?;
    let detail = format!("Sprachnachricht und Abschrift nach {} Tagen gelöscht (Aufbewahrungsfrist)", keep.num_days());
    let mut purged = 0;
    for r in rows {
        let id: String = r.get("id");
        let stored: Option<String> = r.get("message_audio_path");
        // The file goes first: should the update fail, the row still names it and the next
        // run deletes it; the other order could leave a file no row points to.
        if let Some(stored) = &stored {
            remove_voice_file(data_dir, stored).await;
        }
        if clear(db, &id, &detail, &timestamp(now)).await? {
            purged += 1;
        }
    }
    if purged > 0 {
        tracing::info!(purged, "voice messages past their retention deleted");
    }
    Ok(purged)
}

/// Deletes a stored voice message file, if it exists inside the data directory. A file
/// already gone is fine; any other failure is logged (the row is cleared anyway, so the
/// recording is at least unreachable).
pub async fn remove_voice_file(data_dir: &Path, stored: &str) {
    let Some(path): Option<PathBuf> = tickets::voice_file(data_dir, stored) else { return };
    if let Err(e) = tokio::fs::remove_file(&path).await
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::error!(error = %e, path = %path.display(), "cannot delete a voice message");
    }
}

async fn clear(db: &Db, id: &str, detail: &str, at: &str) -> Result<bool, DbError> {
    let mut tx = db.pool().begin().await?;
    let changed = sqlx::query(
        "UPDATE tickets SET message_audio_path = NULL, transcript = NULL, updated_at = $2
         WHERE id = $1 AND (message_audio_path IS NOT NULL OR transcript IS NOT NULL)",
    )
    .bind(id)
    .bind(at)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    // Another instance purged it meanwhile: one history entry is enough.
    if changed != 1 {
        tx.rollback().await?;
        return Ok(false);
    }
    sqlx::query("INSERT INTO ticket_events (id, ticket_id, at, actor, kind, detail) VALUES ($1, $2, $3, $4, 'purged', $5)")
        .bind(new_id())
        .bind(id)
        .bind(at)
        .bind(ACTOR)
        .bind(detail)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(true)
}

/// The job inside `hotline serve`: purges at once, then every [`INTERVAL`]. Errors are
/// logged and retried at the next tick; the service keeps answering calls.
pub async fn run(db: Db, data_dir: PathBuf, keep: chrono::Duration) {
    let mut tick = tokio::time::interval(INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = purge(&db, &data_dir, keep, Utc::now()).await {
            tracing::error!(error = %e, "retention purge failed; trying again later");
        }
    }
}
