//! Caregivers ("Kümmerer"): relatives or helpers whose own phone number the office has
//! registered for a person they look after. With their PIN they act for that person on
//! the phone. Here: the PIN (parsed, hashed, checked), the lock after too many wrong
//! PINs with its ticket to the office, and the register staff keep.
//!
//! Not here: asking for the PIN (the dialog), who of the staff may change what (staff).

use super::PhoneNumber;
use super::tickets::{self, NewTicket, TicketKind};
use crate::db::{Db, DbError, count, new_id, now};
use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
use argon2::{Argon2, PasswordHash, PasswordVerifier};
use rand::Rng;
use serde::Serialize;
use sqlx::Row;
use std::fmt;

/// Wrong PINs in a row (across calls) after which the entry is locked.
pub const MAX_PIN_FAILURES: u32 = 5;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PinError {
    #[error("a PIN is 4 to 6 digits")]
    Format,
}

/// A caregiver's PIN: 4 to 6 digits. Never printed, not even in debug output.
#[derive(Clone, PartialEq, Eq)]
pub struct Pin(String);

impl Pin {
    pub fn parse(input: &str) -> Result<Pin, PinError> {
        let digits = input.trim();
        if (4..=6).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) {
            Ok(Pin(digits.to_string()))
        } else {
            Err(PinError::Format)
        }
    }

    /// A random six-digit PIN, for staff to read out once.
    pub fn generate() -> Pin {
        let mut rng = rand::thread_rng();
        Pin((0..6).map(|_| char::from(b'0' + rng.gen_range(0..10u8))).collect())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn hash(&self) -> Result<String, CaregiverError> {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(self.0.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| CaregiverError::Hash(e.to_string()))
    }

    /// argon2 compares in constant time; an unreadable hash never matches.
    fn matches(&self, hash: &str) -> bool {
        PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(self.0.as_bytes(), &h).is_ok())
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(****)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CaregiverError {
    #[error("no such caregiver")]
    NotFound,
    #[error("this number is registered for the person already")]
    Exists,
    #[error("cannot hash the PIN: {0}")]
    Hash(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for CaregiverError {
    fn from(e: sqlx::Error) -> Self {
        CaregiverError::Db(e.into())
    }
}

/// A person the caller may act for: their number is registered for the person, a PIN is
/// set and the person agreed.
#[derive(Debug, Clone, PartialEq)]
pub struct CaredFor {
    pub caregiver_id: String,
    pub person_id: String,
    pub person_name: String,
    pub office_id: Option<String>,
    /// Too many wrong PINs: the office has to unlock the entry first.
    pub locked: bool,
}

/// Everyone the caller at `phone` looks after, by name.
pub async fn cared_for_by(db: &Db, phone: &PhoneNumber) -> Result<Vec<CaredFor>, DbError> {
    let rows = sqlx::query(
        "SELECT c.id, c.person_id, c.locked_at, p.given_name, p.family_name, p.office_id
         FROM caregivers c JOIN people p ON p.id = c.person_id
         WHERE c.phone = $1 AND c.pin_hash IS NOT NULL AND p.consent_caregivers = 1
         ORDER BY p.family_name, p.given_name, c.id",
    )
    .bind(phone.as_str())
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| CaredFor {
            caregiver_id: r.get("id"),
            person_id: r.get("person_id"),
            person_name: format!("{} {}", r.get::<String, _>("given_name"), r.get::<String, _>("family_name")),
            office_id: r.get("office_id"),
            locked: r.get::<Option<String>, _>("locked_at").is_some(),
        })
        .collect())
}

/// What a PIN attempt came to.
#[derive(Debug, Clone, PartialEq)]
pub enum PinCheck {
    /// Right PIN: the caregiver acts for this person now.
    Accepted {
        person_id: String,
    },
    Wrong {
        tries_left: u32,
    },
    /// This attempt was the last wrong one: the entry is locked and the office has a ticket.
    LockedNow,
    /// Locked before this attempt; the PIN was not even compared.
    Locked,
}

/// Checks a PIN for the caregiver entry, given on the call `call_id`. Wrong PINs count
/// across calls; the one that reaches [`MAX_PIN_FAILURES`] locks the entry and puts a
/// callback ticket into the person's office's queue, in one transaction. A right PIN
/// resets the count, and the call is recorded as made for the person by the caregiver.
pub async fn check_pin(
    db: &Db,
    caregiver_id: &str,
    pin: &Pin,
    default_office: &str,
    call_id: Option<&str>,
) -> Result<PinCheck, CaregiverError> {
    let row = sqlx::query(
        "SELECT c.pin_hash, c.locked_at, c.person_id, c.phone, p.office_id, p.postcode
         FROM caregivers c JOIN people p ON p.id = c.person_id WHERE c.id = $1 AND p.consent_caregivers = 1",
    )
    .bind(caregiver_id)
    .fetch_optional(db.pool())
    .await?
    .ok_or(CaregiverError::NotFound)?;
    if row.get::<Option<String>, _>("locked_at").is_some() {
        return Ok(PinCheck::Locked);
    }
    let hash: String = row.get::<Option<String>, _>("pin_hash").ok_or(CaregiverError::NotFound)?;
    let person_id: String = row.get("person_id");
    // argon2 takes tens of milliseconds of CPU on purpose: off the async reactor.
    let attempt = pin.clone();
    let right = tokio::task::spawn_blocking(move || attempt.matches(&hash)).await.map_err(|e| CaregiverError::Hash(e.to_string()))?;
    if right {
        let mut tx = db.pool().begin().await?;
        // Locked meanwhile by wrong PINs from another call: locked stays locked.
        let reset = sqlx::query("UPDATE caregivers SET pin_failures = 0 WHERE id = $1 AND locked_at IS NULL")
            .bind(caregiver_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if reset == 0 {
            tx.commit().await?;
            return Ok(PinCheck::Locked);
        }
        if let Some(call_id) = call_id {
            sqlx::query("UPDATE calls SET person_id = $1, caregiver_id = $2 WHERE id = $3")
                .bind(&person_id)
                .bind(caregiver_id)
                .bind(call_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        return Ok(PinCheck::Accepted { person_id });
    }
    let ticket = NewTicket {
        kind: TicketKind::Callback,
        topic: "kuemmerer".into(),
        callback_number: PhoneNumber::parse(row.get("phone")).ok(),
        postcode: row.get::<Option<String>, _>("postcode").and_then(|p| super::Postcode::parse(&p).ok()),
        person_id: Some(person_id),
        person_office_id: row.get("office_id"),
        call_id: call_id.map(str::to_string),
        window: None,
        message_audio_path: None,
        caregiver_id: Some(caregiver_id.to_string()),
        urgent: false,
    };
    // Routing reads only; the transaction below starts with its write (see offers::booking).
    let office = tickets::route(db, &ticket, default_office).await?;
    let mut tx = db.pool().begin().await?;
    // Counting and locking are conditional updates, so two calls trying at once neither
    // lose a count nor lock twice.
    let counted = sqlx::query("UPDATE caregivers SET pin_failures = pin_failures + 1 WHERE id = $1 AND locked_at IS NULL")
        .bind(caregiver_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if counted == 0 {
        tx.commit().await?;
        return Ok(PinCheck::Locked);
    }
    let locked = sqlx::query("UPDATE caregivers SET locked_at = $1 WHERE id = $2 AND locked_at IS NULL AND pin_failures >= $3")
        .bind(now())
        .bind(caregiver_id)
        .bind(i64::from(MAX_PIN_FAILURES))
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if locked == 1 {
        let detail = format!("Kümmerer-Zugang nach {MAX_PIN_FAILURES} falschen Geheimzahlen gesperrt: bitte zurückrufen und Zugang prüfen");
        let id = tickets::insert(&mut tx, &ticket, &office.id, &detail).await?;
        tx.commit().await?;
        tracing::warn!(caregiver = %caregiver_id, ticket = %id, "caregiver locked after wrong PINs");
        return Ok(PinCheck::LockedNow);
    }
    let failures = sqlx::query("SELECT pin_failures FROM caregivers WHERE id = $1").bind(caregiver_id).fetch_one(&mut *tx).await?;
    let failures = count(&failures, "pin_failures")?;
    tx.commit().await?;
    Ok(PinCheck::Wrong { tries_left: MAX_PIN_FAILURES.saturating_sub(failures) })
}

/// "Für Erika Mustermann durch Klaus Mustermann (+49…)": who acted for whom, for a
/// ticket's history; `None` when the caregiver is gone.
pub(crate) async fn acted_for(tx: &mut sqlx::Transaction<'_, sqlx::Any>, caregiver_id: &str) -> Result<Option<String>, DbError> {
    let row = sqlx::query(
        "SELECT c.name, c.phone, p.given_name, p.family_name FROM caregivers c JOIN people p ON p.id = c.person_id WHERE c.id = $1",
    )
    .bind(caregiver_id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|r| {
        format!(
            "Für {} {} durch {} ({}), Kümmerer am Telefon",
            r.get::<String, _>("given_name"),
            r.get::<String, _>("family_name"),
            r.get::<String, _>("name"),
            r.get::<String, _>("phone")
        )
    }))
}

/// A caregiver entry as staff see it (never the PIN or its hash).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Caregiver {
    pub id: String,
    pub person_id: String,
    pub name: String,
    /// E.164.
    pub phone: String,
    pub pin_set: bool,
    pub pin_failures: u32,
    pub locked_at: Option<String>,
    pub created_at: String,
}

const SELECT_CAREGIVER: &str = "SELECT id, person_id, name, phone, pin_hash IS NOT NULL AS pin_set, pin_failures, locked_at, created_at
                                FROM caregivers";

fn caregiver_from_row(r: &sqlx::any::AnyRow) -> Result<Caregiver, DbError> {
    Ok(Caregiver {
        id: r.try_get("id")?,
        person_id: r.try_get("person_id")?,
        name: r.try_get("name")?,
        phone: r.try_get("phone")?,
        // SQLite answers the comparison with an integer, PostgreSQL with a boolean.
        pin_set: r.try_get::<bool, _>("pin_set").or_else(|_| r.try_get::<i64, _>("pin_set").map(|v| v != 0))?,
        pin_failures: count(r, "pin_failures")?,
        locked_at: r.try_get("locked_at")?,
        created_at: r.try_get("created_at")?,
    })
}

/// The person's caregivers, in the order they were registered.
pub async fn of_person(db: &Db, person_id: &str) -> Result<Vec<Caregiver>, DbError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT_CAREGIVER} WHERE person_id = $1 ORDER BY created_at, id")))
        .bind(person_id)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(caregiver_from_row).collect()
}

pub async fn get(db: &Db, id: &str) -> Result<Option<Caregiver>, DbError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT_CAREGIVER} WHERE id = $1"))).bind(id).fetch_optional(db.pool()).await?;
    row.as_ref().map(caregiver_from_row).transpose()
}

/// Registers `phone` as a caregiver of the person (without a PIN yet); returns the id.
pub async fn register(db: &Db, person_id: &str, name: &str, phone: &PhoneNumber) -> Result<String, CaregiverError> {
    let id = new_id();
    let inserted = sqlx::query(
        "INSERT INTO caregivers (id, person_id, name, phone, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (person_id, phone) DO NOTHING",
    )
    .bind(&id)
    .bind(person_id)
    .bind(name.trim())
    .bind(phone.as_str())
    .bind(now())
    .execute(db.pool())
    .await?
    .rows_affected();
    if inserted == 0 {
        return Err(CaregiverError::Exists);
    }
    Ok(id)
}

/// Sets a new PIN; this also unlocks the entry and forgets earlier wrong tries.
pub async fn set_pin(db: &Db, id: &str, pin: &Pin) -> Result<(), CaregiverError> {
    let attempt = pin.clone();
    let hash = tokio::task::spawn_blocking(move || attempt.hash()).await.map_err(|e| CaregiverError::Hash(e.to_string()))??;
    let changed = sqlx::query("UPDATE caregivers SET pin_hash = $1, pin_failures = 0, locked_at = NULL WHERE id = $2")
        .bind(hash)
        .bind(id)
        .execute(db.pool())
        .await?
        .rows_affected();
    if changed == 0 { Err(CaregiverError::NotFound) } else { Ok(()) }
}

/// Lets a locked caregiver try again with the PIN they have.
pub async fn unlock(db: &Db, id: &str) -> Result<(), CaregiverError> {
    let changed = sqlx::query("UPDATE caregivers SET pin_failures = 0, locked_at = NULL WHERE id = $1")
        .bind(id)
        .execute(db.pool())
        .await?
        .rows_affected();
    if changed == 0 { Err(CaregiverError::NotFound) } else { Ok(()) }
}

pub async fn remove(db: &Db, id: &str) -> Result<(), CaregiverError> {
    let changed = sqlx::query("DELETE FROM caregivers WHERE id = $1").bind(id).execute(db.pool()).await?.rows_affected();
    if changed == 0 { Err(CaregiverError::NotFound) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_are_four_to_six_digits_and_never_printed() {
        for good in ["1234", "123456", " 4711 "] {
            assert!(Pin::parse(good).is_ok(), "{good}");
        }
        for bad in ["123", "1234567", "12a4", "", "12 34"] {
            assert_eq!(Pin::parse(bad), Err(PinError::Format), "{bad}");
        }
        let pin = Pin::parse("4711").unwrap();
        assert_eq!(format!("{pin:?}"), "Pin(****)");
        let generated = Pin::generate();
        assert!(Pin::parse(generated.as_str()).is_ok());
    }

    #[test]
    fn a_hash_matches_its_pin_only() {
        let pin = Pin::parse("4711").unwrap();
        let hash = pin.hash().unwrap();
        assert!(hash.starts_with("$argon2"), "{hash}");
        assert!(pin.matches(&hash));
        assert!(!Pin::parse("4712").unwrap().matches(&hash));
        assert!(!Pin::parse("47110").unwrap().matches(&hash));
        assert!(!pin.matches("not a hash"));
    }

    async fn db_with_caregiver() -> (tempfile::TempDir, Db, String) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display())).await.unwrap();
        db.migrate().await.unwrap();
        sqlx::query(
            "INSERT INTO offices (id, name, district, phone, address, opening_hours, created_at)
             VALUES ('do-hoerde', 'Seniorenbüro Hörde', 'Hörde', '+492315550110', 'Hörder Bahnhofstr. 1', 'Mo-Fr 09:00-12:00', '2026-01-01')",
        )
        .execute(db.pool())
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO people (id, given_name, family_name, phone, office_id, consent_caregivers, created_at, updated_at)
             VALUES ('p1', 'Erika', 'Mustermann', '+4923155512345', 'do-hoerde', 1, '2026-01-01', '2026-01-01')",
        )
        .execute(db.pool())
        .await
        .unwrap();
        let phone = PhoneNumber::parse("+491701234567").unwrap();
        let id = register(&db, "p1", "Klaus Mustermann", &phone).await.unwrap();
        set_pin(&db, &id, &Pin::parse("4711").unwrap()).await.unwrap();
        (dir, db, id)
    }

    async fn tickets(db: &Db) -> Vec<(String, Option<String>, Option<String>)> {
        sqlx::query_as("SELECT office_id, caregiver_id, callback_number FROM tickets").fetch_all(db.pool()).await.unwrap()
    }

    #[tokio::test]
    async fn five_wrong_pins_across_calls_lock_the_entry_with_a_ticket() {
        let (_dir, db, id) = db_with_caregiver().await;
        let (right, wrong) = (Pin::parse("4711").unwrap(), Pin::parse("0000").unwrap());
        assert_eq!(check_pin(&db, &id, &wrong, "do-hoerde", None).await.unwrap(), PinCheck::Wrong { tries_left: 4 });
        // A right PIN forgets earlier mistakes.
        assert_eq!(check_pin(&db, &id, &right, "do-hoerde", None).await.unwrap(), PinCheck::Accepted { person_id: "p1".into() });
        for left in (1..=4).rev() {
            assert_eq!(check_pin(&db, &id, &wrong, "do-hoerde", None).await.unwrap(), PinCheck::Wrong { tries_left: left });
        }
        assert!(tickets(&db).await.is_empty());
        assert_eq!(check_pin(&db, &id, &wrong, "do-hoerde", None).await.unwrap(), PinCheck::LockedNow);
        assert_eq!(tickets(&db).await, [("do-hoerde".to_string(), Some(id.clone()), Some("+491701234567".to_string()))]);
        // Locked: even the right PIN is refused, and no second ticket follows.
        assert_eq!(check_pin(&db, &id, &right, "do-hoerde", None).await.unwrap(), PinCheck::Locked);
        assert_eq!(check_pin(&db, &id, &wrong, "do-hoerde", None).await.unwrap(), PinCheck::Locked);
        assert_eq!(tickets(&db).await.len(), 1);
        let entry = get(&db, &id).await.unwrap().unwrap();
        assert!(entry.locked_at.is_some() && entry.pin_set);
        assert!(cared_for_by(&db, &PhoneNumber::parse("+491701234567").unwrap()).await.unwrap()[0].locked);

        unlock(&db, &id).await.unwrap();
        assert_eq!(check_pin(&db, &id, &right, "do-hoerde", None).await.unwrap(), PinCheck::Accepted { person_id: "p1".into() });
    }

    /// Whom a call was for and by which caregiver.
    async fn acting(db: &Db, call: &str) -> (Option<String>, Option<String>) {
        sqlx::query_as("SELECT person_id, caregiver_id FROM calls WHERE id = $1").bind(call).fetch_one(db.pool()).await.unwrap()
    }

    #[tokio::test]
    async fn a_right_pin_records_the_call_as_made_for_the_person() {
        let (_dir, db, id) = db_with_caregiver().await;
        for call in ["c1", "c2"] {
            sqlx::query(
                "INSERT INTO calls (id, transport, caller, started_at) VALUES ($1, 'twilio', '+491701234567', '2026-11-26T10:00:00Z')",
            )
            .bind(call)
            .execute(db.pool())
            .await
            .unwrap();
        }
        check_pin(&db, &id, &Pin::parse("0000").unwrap(), "do-hoerde", Some("c1")).await.unwrap();
        assert_eq!(acting(&db, "c1").await, (None, None), "a wrong PIN acts for nobody");
        let accepted = check_pin(&db, &id, &Pin::parse("4711").unwrap(), "do-hoerde", Some("c2")).await.unwrap();
        assert_eq!(accepted, PinCheck::Accepted { person_id: "p1".into() });
        assert_eq!(acting(&db, "c2").await, (Some("p1".into()), Some(id.clone())));
    }

    #[tokio::test]
    async fn a_new_pin_unlocks_and_consent_is_needed() {
        let (_dir, db, id) = db_with_caregiver().await;
        let wrong = Pin::parse("9999").unwrap();
        for _ in 0..MAX_PIN_FAILURES {
            check_pin(&db, &id, &wrong, "do-hoerde", None).await.unwrap();
        }
        set_pin(&db, &id, &Pin::parse("123456").unwrap()).await.unwrap();
        let entry = get(&db, &id).await.unwrap().unwrap();
        assert_eq!((entry.pin_failures, entry.locked_at), (0, None));
        assert_eq!(check_pin(&db, &id, &Pin::parse("4711").unwrap(), "do-hoerde", None).await.unwrap(), PinCheck::Wrong { tries_left: 4 });

        let klaus = PhoneNumber::parse("+491701234567").unwrap();
        assert_eq!(cared_for_by(&db, &klaus).await.unwrap().len(), 1);
        assert!(matches!(register(&db, "p1", "Klaus", &klaus).await, Err(CaregiverError::Exists)));
        sqlx::query("UPDATE people SET consent_caregivers = 0").execute(db.pool()).await.unwrap();
        assert!(cared_for_by(&db, &klaus).await.unwrap().is_empty(), "without the person's consent nobody acts for them");
        assert!(matches!(check_pin(&db, &id, &Pin::parse("123456").unwrap(), "do-hoerde", None).await, Err(CaregiverError::NotFound)));
    }
}
