//! Staff user accounts with argon2 password hashes.

use crate::db::{Db, DbError, new_id, now};
use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
use argon2::{Argon2, PasswordHash, PasswordVerifier};

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("role must be one of staff, ride_desk, coordinator, admin (got {0:?})")]
    Role(String),
    #[error("username must be 3-64 characters: letters, digits, '.', '-' or '_'")]
    Username,
    #[error("password must be at least 12 characters")]
    WeakPassword,
    #[error("role staff and ride_desk need an office")]
    OfficeRequired,
    #[error("office {0:?} does not exist")]
    UnknownOffice(String),
    #[error("user {0:?} exists already")]
    Exists(String),
    #[error("cannot hash password: {0}")]
    Hash(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

pub const ROLES: [&str; 4] = ["staff", "ride_desk", "coordinator", "admin"];
const MIN_PASSWORD: usize = 12;

pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: &'a str,
    pub office_id: Option<&'a str>,
    pub password: &'a str,
}

pub fn hash_password(password: &str) -> Result<String, UserError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| UserError::Hash(e.to_string()))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

pub async fn add(db: &Db, user: &NewUser<'_>) -> Result<String, UserError> {
    if !ROLES.contains(&user.role) {
        return Err(UserError::Role(user.role.to_string()));
    }
    let name_ok =
        (3..=64).contains(&user.username.len()) && user.username.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if !name_ok {
        return Err(UserError::Username);
    }
    if user.password.chars().count() < MIN_PASSWORD {
        return Err(UserError::WeakPassword);
    }
    if matches!(user.role, "staff" | "ride_desk") && user.office_id.is_none() {
        return Err(UserError::OfficeRequired);
    }
    if let Some(office) = user.office_id
        && crate::domain::directory::office(db, office).await?.is_none()
    {
        return Err(UserError::UnknownOffice(office.to_string()));
    }
    let exists: Option<String> = sqlx::query_scalar("SELECT id FROM staff_users WHERE username = $1")
        .bind(user.username)
        .fetch_optional(db.pool())
        .await
        .map_err(DbError::from)?;
    if exists.is_some() {
        return Err(UserError::Exists(user.username.to_string()));
    }
    let id = new_id();
    sqlx::query(
        "INSERT INTO staff_users (id, username, display_name, password_hash, role, office_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(user.username)
    .bind(user.display_name)
    .bind(hash_password(user.password)?)
    .bind(user.role)
    .bind(user.office_id)
    .bind(now())
    .execute(db.pool())
    .await
    .map_err(DbError::from)?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ() {
        let a = hash_password("ein langes Passwort").unwrap();
        let b = hash_password("ein langes Passwort").unwrap();
        assert_ne!(a, b, "salted");
        assert!(a.starts_with("$argon2"));
        assert!(verify_password("ein langes Passwort", &a));
        assert!(!verify_password("ein falsches Passwort", &a));
        assert!(!verify_password("x", "not a hash"));
    }
}
