//! Signing in: password check and the rate limit on failures, per username and per
//! address, kept in the database so it holds across server instances.

use super::access::Staff;
use super::users::verify_password;
use crate::db::{Db, DbError, new_id, now, timestamp};

/// At most this many failures ...
pub const MAX_FAILURES: i64 = 5;
/// ... within this window, per username and per address.
pub const FAILURE_WINDOW: chrono::Duration = chrono::Duration::minutes(15);

/// A hash of a random password: unknown usernames are checked against it, so a
/// response's timing does not tell which usernames exist.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| super::users::hash_password(&super::sessions::random_token()).unwrap_or_default());

#[derive(Debug, PartialEq)]
pub enum Outcome {
    SignedIn(Staff),
    WrongCredentials,
    /// Too many failures lately; nothing was checked.
    Throttled,
}

pub async fn attempt(db: &Db, username: &str, password: &str, ip: &str) -> Result<Outcome, DbError> {
    let username = username.trim();
    // Case does not make another target for guessing.
    let limit_key = username.to_lowercase();
    if throttled(db, &limit_key, ip).await? {
        return Ok(Outcome::Throttled);
    }
    let row = sqlx::query(
        "SELECT id, username, display_name, role, office_id, password_hash FROM staff_users WHERE username = $1 AND active = 1",
    )
    .bind(username)
    .fetch_optional(db.pool())
    .await?;
    let hash: String = row.as_ref().map(|r| sqlx::Row::get(r, "password_hash")).unwrap_or_else(|| DUMMY_HASH.clone());
    // argon2 takes tens of milliseconds of CPU: off the async reactor.
    let password = password.to_string();
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash)).await.unwrap_or(false);
    match row.as_ref().and_then(Staff::from_row) {
        Some(staff) if ok => Ok(Outcome::SignedIn(staff)),
        _ => {
            record_failure(db, &limit_key, ip).await?;
            Ok(Outcome::WrongCredentials)
        }
    }
}

async fn throttled(db: &Db, username: &str, ip: &str) -> Result<bool, DbError> {
    let since = timestamp(chrono::Utc::now() - FAILURE_WINDOW);
    let count = |column: &'static str, value: String| {
        let since = since.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM staff_login_failures WHERE {column} = $1 AND at > $2"
            )))
            .bind(value)
            .bind(since)
            .fetch_one(db.pool())
            .await
        }
    };
    Ok(count("username", username.to_string()).await? >= MAX_FAILURES || count("ip", ip.to_string()).await? >= MAX_FAILURES)
}

async fn record_failure(db: &Db, username: &str, ip: &str) -> Result<(), DbError> {
    sqlx::query("DELETE FROM staff_login_failures WHERE at < $1")
        .bind(timestamp(chrono::Utc::now() - FAILURE_WINDOW))
        .execute(db.pool())
        .await?;
    sqlx::query("INSERT INTO staff_login_failures (id, username, ip, at) VALUES ($1, $2, $3, $4)")
        .bind(new_id())
        .bind(username)
        .bind(ip)
        .bind(now())
        .execute(db.pool())
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dummy_hash_is_a_valid_argon2_hash() {
        assert!(DUMMY_HASH.starts_with("$argon2"));
        assert!(!verify_password("", &DUMMY_HASH));
    }
}
