//! Browser sessions of signed-in staff. The cookie holds a random 256-bit token; the
//! database holds only its SHA-256, with a per-session CSRF token, an absolute expiry and
//! the time of the last activity (idle timeout).

use super::access::Staff;
use crate::db::{Db, DbError, now, timestamp};
use chrono::Utc;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A session ends after this long without a request.
pub const IDLE_TIMEOUT: chrono::Duration = chrono::Duration::minutes(30);
/// ... and after this long in any case (one working day).
pub const MAX_AGE: chrono::Duration = chrono::Duration::hours(12);
/// Activity is written at most this often, so busy pages do not write on every request.
const TOUCH_EVERY: chrono::Duration = chrono::Duration::minutes(1);

#[derive(Debug, Clone)]
pub struct Session {
    pub staff: Staff,
    pub csrf_token: String,
    token_hash: String,
}

impl Session {
    /// Constant-time comparison with a token sent back by a form or API client.
    pub fn csrf_matches(&self, given: &str) -> bool {
        bool::from(self.csrf_token.as_bytes().ct_eq(given.as_bytes()))
    }
}

/// A fresh random token, hex-encoded (256 bits).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Starts a session for `user_id` and returns the token for the cookie. Sessions that
/// have run out are cleared on the way.
pub async fn start(db: &Db, user_id: &str) -> Result<String, DbError> {
    let at = Utc::now();
    sqlx::query("DELETE FROM staff_sessions WHERE expires_at < $1 OR last_seen_at < $2")
        .bind(timestamp(at))
        .bind(timestamp(at - IDLE_TIMEOUT))
        .execute(db.pool())
        .await?;
    let token = random_token();
    sqlx::query(
        "INSERT INTO staff_sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $4, $5)",
    )
    .bind(hash(&token))
    .bind(user_id)
    .bind(random_token())
    .bind(timestamp(at))
    .bind(timestamp(at + MAX_AGE))
    .execute(db.pool())
    .await?;
    Ok(token)
}

/// The live session for a cookie token: not expired, not idle, its user still active.
/// `activity` marks the request as the user's own (background refreshes are not, so an
/// open queue page does not keep a session alive forever).
pub async fn find(db: &Db, token: &str, activity: bool) -> Result<Option<Session>, DbError> {
    let at = Utc::now();
    let token_hash = hash(token);
    let row = sqlx::query(
        "SELECT s.csrf_token, s.last_seen_at, u.id, u.username, u.display_name, u.role, u.office_id
         FROM staff_sessions s JOIN staff_users u ON u.id = s.user_id
         WHERE s.token_hash = $1 AND u.active = 1 AND s.expires_at > $2 AND s.last_seen_at > $3",
    )
    .bind(&token_hash)
    .bind(timestamp(at))
    .bind(timestamp(at - IDLE_TIMEOUT))
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let Some(staff) = Staff::from_row(&row) else { return Ok(None) };
    use sqlx::Row;
    let last_seen: String = row.get("last_seen_at");
    if activity && last_seen < timestamp(at - TOUCH_EVERY) {
        sqlx::query("UPDATE staff_sessions SET last_seen_at = $2 WHERE token_hash = $1")
            .bind(&token_hash)
            .bind(now())
            .execute(db.pool())
            .await?;
    }
    Ok(Some(Session { staff, csrf_token: row.get("csrf_token"), token_hash }))
}

pub async fn end(db: &Db, session: &Session) -> Result<(), DbError> {
    sqlx::query("DELETE FROM staff_sessions WHERE token_hash = $1").bind(&session.token_hash).execute(db.pool()).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let (a, b) = (random_token(), random_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_ne!(hash(&a), a);
        assert_eq!(hash(&a), hash(&a));
    }
}
