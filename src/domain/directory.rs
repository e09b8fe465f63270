//! Offices, the postcodes they serve, and registered people: who is calling and which
//! Seniorenbüro takes care of them.

use super::{PhoneNumber, Postcode};
use crate::db::{Db, DbError, new_id, now};
use serde::Deserialize;
use sqlx::Row;

#[derive(Debug, Clone, PartialEq)]
pub struct Office {
    pub id: String,
    pub name: String,
    pub district: String,
    pub phone: String,
    /// As staff wrote them; see [`super::hours::OpeningHours`].
    pub opening_hours: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub id: String,
    pub given_name: String,
    pub family_name: String,
    pub postcode: Option<Postcode>,
    pub office_id: Option<String>,
}

impl Person {
    /// How the hotline addresses the person ("Frau Mustermann" needs a salutation we do
    /// not store, so the full name is the polite neutral choice).
    pub fn display_name(&self) -> String {
        format!("{} {}", self.given_name, self.family_name)
    }
}

pub async fn find_person_by_phone(db: &Db, phone: &PhoneNumber) -> Result<Option<Person>, DbError> {
    let row = sqlx::query("SELECT id, given_name, family_name, postcode, office_id FROM people WHERE phone = $1")
        .bind(phone.as_str())
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|r| Person {
        id: r.get("id"),
        given_name: r.get("given_name"),
        family_name: r.get("family_name"),
        postcode: r.get::<Option<String>, _>("postcode").and_then(|p| Postcode::parse(&p).ok()),
        office_id: r.get("office_id"),
    }))
}

/// An office from a row with the columns id, name, district, phone, opening_hours.
fn office_from_row(r: &sqlx::any::AnyRow) -> Office {
    Office {
        id: r.get("id"),
        name: r.get("name"),
        district: r.get("district"),
        phone: r.get("phone"),
        opening_hours: r.get("opening_hours"),
    }
}

pub async fn office(db: &Db, id: &str) -> Result<Option<Office>, DbError> {
    let row = sqlx::query("SELECT id, name, district, phone, opening_hours FROM offices WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.as_ref().map(office_from_row))
}

pub async fn office_for_postcode(db: &Db, postcode: &Postcode) -> Result<Option<Office>, DbError> {
    let row = sqlx::query(
        "SELECT o.id, o.name, o.district, o.phone, o.opening_hours FROM office_postcodes p JOIN offices o ON o.id = p.office_id WHERE p.postcode = $1",
    )
    .bind(postcode.as_str())
    .fetch_optional(db.pool())
    .await?;
    Ok(row.as_ref().map(office_from_row))
}

/// The office used when nothing else decides: the configured default, else the first
/// office by id (so a request is never dropped for want of routing).
pub async fn fallback_office(db: &Db, configured: &str) -> Result<Option<Office>, DbError> {
    if !configured.is_empty()
        && let Some(o) = office(db, configured).await?
    {
        return Ok(Some(o));
    }
    let row =
        sqlx::query("SELECT id, name, district, phone, opening_hours FROM offices ORDER BY id LIMIT 1").fetch_optional(db.pool()).await?;
    Ok(row.as_ref().map(office_from_row))
}

/// A directory file: offices with their postcodes, and registered people (TOML).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoryFile {
    #[serde(default, rename = "office")]
    pub offices: Vec<OfficeEntry>,
    #[serde(default, rename = "person")]
    pub people: Vec<PersonEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfficeEntry {
    pub id: String,
    pub name: String,
    pub district: String,
    pub phone: PhoneNumber,
    pub email: Option<String>,
    pub address: String,
    pub opening_hours: String,
    pub postcodes: Vec<Postcode>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonEntry {
    pub given_name: String,
    pub family_name: String,
    pub phone: PhoneNumber,
    pub street: Option<String>,
    pub postcode: Postcode,
    pub city: Option<String>,
    #[serde(default)]
    pub mobility: String,
}

#[derive(Debug, Default, PartialEq)]
pub struct ImportSummary {
    pub offices: usize,
    pub postcodes: usize,
    pub people: usize,
}

impl DirectoryFile {
    /// Parses and checks cross-references, so a broken file is rejected before anything is written.
    pub fn parse(text: &str) -> Result<DirectoryFile, String> {
        let file: DirectoryFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut seen = std::collections::HashSet::new();
        for o in &file.offices {
            if o.id.is_empty() || !o.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
                return Err(format!("office id {:?}: use lowercase letters, digits and '-'", o.id));
            }
            // Transfers to the office depend on reading these.
            super::hours::OpeningHours::parse(&o.opening_hours).map_err(|e| format!("office {}: {e}", o.id))?;
            for p in &o.postcodes {
                if !seen.insert(p.clone()) {
                    return Err(format!("postcode {p} is assigned to more than one office"));
                }
            }
        }
        Ok(file)
    }

    /// Inserts or updates everything in one transaction: all or nothing.
    pub async fn import(&self, db: &Db) -> Result<ImportSummary, DbError> {
        let mut tx = db.pool().begin().await?;
        let ts = now();
        let mut summary = ImportSummary::default();
        for o in &self.offices {
            sqlx::query(
                "INSERT INTO offices (id, name, district, phone, email, address, opening_hours, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, district = excluded.district, phone = excluded.phone,
                   email = excluded.email, address = excluded.address, opening_hours = excluded.opening_hours",
            )
            .bind(&o.id)
            .bind(&o.name)
            .bind(&o.district)
            .bind(o.phone.as_str())
            .bind(o.email.as_deref())
            .bind(&o.address)
            .bind(&o.opening_hours)
            .bind(&ts)
            .execute(&mut *tx)
            .await?;
            summary.offices += 1;
            for p in &o.postcodes {
                sqlx::query(
                    "INSERT INTO office_postcodes (postcode, office_id) VALUES ($1, $2)
                     ON CONFLICT (postcode) DO UPDATE SET office_id = excluded.office_id",
                )
                .bind(p.as_str())
                .bind(&o.id)
                .execute(&mut *tx)
                .await?;
                summary.postcodes += 1;
            }
        }
        for p in &self.people {
            let office: Option<String> = sqlx::query_scalar("SELECT office_id FROM office_postcodes WHERE postcode = $1")
                .bind(p.postcode.as_str())
                .fetch_optional(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO people (id, given_name, family_name, phone, street, postcode, city, office_id, mobility, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
                 ON CONFLICT (phone) DO UPDATE SET given_name = excluded.given_name, family_name = excluded.family_name,
                   street = excluded.street, postcode = excluded.postcode, city = excluded.city,
                   office_id = excluded.office_id, mobility = excluded.mobility, updated_at = excluded.updated_at",
            )
            .bind(new_id())
            .bind(&p.given_name)
            .bind(&p.family_name)
            .bind(p.phone.as_str())
            .bind(p.street.as_deref())
            .bind(p.postcode.as_str())
            .bind(p.city.as_deref())
            .bind(office)
            .bind(&p.mobility)
            .bind(&ts)
            .execute(&mut *tx)
            .await?;
            summary.people += 1;
        }
        tx.commit().await?;
        Ok(summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_postcodes_are_rejected_before_import() {
        let text = r#"
[[office]]
id = "a"
name = "A"
district = "A"
phone = "+492311111111"
address = "x"
opening_hours = "Mo-Fr 9-12"
postcodes = ["44263"]
[[office]]
id = "b"
name = "B"
district = "B"
phone = "+492312222222"
address = "y"
opening_hours = "Mo-Fr 9-12"
postcodes = ["44263"]
"#;
        assert!(DirectoryFile::parse(text).unwrap_err().contains("44263"));
    }

    #[test]
    fn bad_values_name_the_field() {
        let text = "[[person]]\ngiven_name = \"A\"\nfamily_name = \"B\"\nphone = \"abc\"\npostcode = \"44263\"\n";
        let err = DirectoryFile::parse(text).unwrap_err();
        assert!(err.contains("phone"), "{err}");
    }

    #[test]
    fn the_demo_directory_parses() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/demo/directory.toml")).unwrap();
        let file = DirectoryFile::parse(&text).unwrap();
        assert_eq!(file.offices.len(), 2);
        assert!(!file.people.is_empty());
    }
}
