//! Offices, the postcodes they serve, and registered people: who is calling and which
//! Seniorenbüro takes care of them. The directory file also brings the places rides go
//! to, the offices' vehicles, and the parts of town callers name (postcode and centre)
//! for offers near them.

use super::{PhoneNumber, Postcode};
use crate::db::{Db, DbError, bad_value, new_id, now};
use crate::rides::ClockTime;
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
    pub street: Option<String>,
    pub postcode: Option<Postcode>,
    pub office_id: Option<String>,
    /// What the person uses to get about ("Rollator", "Rollstuhl"), as staff noted it.
    pub mobility: String,
}

impl Person {
    /// How the hotline addresses the person ("Frau Mustermann" needs a salutation we do
    /// not store, so the full name is the polite neutral choice).
    pub fn display_name(&self) -> String {
        format!("{} {}", self.given_name, self.family_name)
    }
}

pub async fn find_person_by_phone(db: &Db, phone: &PhoneNumber) -> Result<Option<Person>, DbError> {
    find_person_where(db, "phone", phone.as_str()).await
}

pub async fn find_person(db: &Db, id: &str) -> Result<Option<Person>, DbError> {
    find_person_where(db, "id", id).await
}

/// The person whose `column` (a fixed name, never input) holds `value`.
async fn find_person_where(db: &Db, column: &'static str, value: &str) -> Result<Option<Person>, DbError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT id, given_name, family_name, street, postcode, office_id, mobility FROM people WHERE {column} = $1"
    )))
    .bind(value)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(|r| Person {
        id: r.get("id"),
        given_name: r.get("given_name"),
        family_name: r.get("family_name"),
        street: r.get("street"),
        postcode: r.get::<Option<String>, _>("postcode").and_then(|p| Postcode::parse(&p).ok()),
        office_id: r.get("office_id"),
        mobility: r.get("mobility"),
    }))
}

/// A registered person as staff look them up.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PersonListing {
    pub id: String,
    pub name: String,
    pub phone: Option<String>,
    pub postcode: Option<String>,
    pub office_id: Option<String>,
}

const SELECT_LISTING: &str = "SELECT id, given_name, family_name, phone, postcode, office_id FROM people";

fn listing_from_row(r: &sqlx::any::AnyRow) -> PersonListing {
    PersonListing {
        id: r.get("id"),
        name: format!("{} {}", r.get::<String, _>("given_name"), r.get::<String, _>("family_name")),
        phone: r.get("phone"),
        postcode: r.get("postcode"),
        office_id: r.get("office_id"),
    }
}

/// People whose name or phone number contains `text` (case-insensitive), at most 50;
/// only those of `office` unless it is empty.
pub async fn search_people(db: &Db, text: &str, office: &str) -> Result<Vec<PersonListing>, DbError> {
    let pattern = format!("%{}%", text.trim().to_lowercase().replace(['%', '_'], ""));
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT_LISTING} WHERE (lower(given_name || ' ' || family_name) LIKE $1 OR phone LIKE $1) AND ($2 = '' OR office_id = $2)
         ORDER BY family_name, given_name, id LIMIT 50"
    )))
    .bind(pattern)
    .bind(office)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(listing_from_row).collect())
}

pub async fn person_listing(db: &Db, id: &str) -> Result<Option<PersonListing>, DbError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT_LISTING} WHERE id = $1"))).bind(id).fetch_optional(db.pool()).await?;
    Ok(row.as_ref().map(listing_from_row))
}

/// What a person agreed to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Consents {
    /// Their caregivers may act for them on the phone.
    pub caregivers: bool,
    /// Their voice messages may be recorded.
    pub recording: bool,
}

pub async fn consents(db: &Db, person_id: &str) -> Result<Option<Consents>, DbError> {
    let row = sqlx::query("SELECT consent_caregivers, consent_recording FROM people WHERE id = $1")
        .bind(person_id)
        .fetch_optional(db.pool())
        .await?;
    Ok(row
        .map(|r| Consents { caregivers: r.get::<i64, _>("consent_caregivers") != 0, recording: r.get::<i64, _>("consent_recording") != 0 }))
}

pub async fn set_consents(db: &Db, person_id: &str, consents: Consents) -> Result<(), DbError> {
    sqlx::query("UPDATE people SET consent_caregivers = $1, consent_recording = $2, updated_at = $3 WHERE id = $4")
        .bind(i64::from(consents.caregivers))
        .bind(i64::from(consents.recording))
        .bind(now())
        .bind(person_id)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Where the person lives, when the office checked the address (offers near home).
pub async fn home_position(db: &Db, person_id: &str) -> Result<Option<crate::rides::Point>, DbError> {
    let row = sqlx::query("SELECT home_lat, home_lon FROM people WHERE id = $1").bind(person_id).fetch_optional(db.pool()).await?;
    Ok(row.and_then(|r| match (r.get::<Option<f64>, _>("home_lat"), r.get::<Option<f64>, _>("home_lon")) {
        (Some(lat), Some(lon)) => Some(crate::rides::Point { lat, lon }),
        _ => None,
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

/// Every office, by name (staff pick one to hand a ticket over).
pub async fn offices(db: &Db) -> Result<Vec<Office>, DbError> {
    let rows = sqlx::query("SELECT id, name, district, phone, opening_hours FROM offices ORDER BY name").fetch_all(db.pool()).await?;
    Ok(rows.iter().map(office_from_row).collect())
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

/// A directory file: offices with their postcodes, registered people, the places rides
/// go to, the offices' vehicles and the parts of town (TOML).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoryFile {
    #[serde(default, rename = "office")]
    pub offices: Vec<OfficeEntry>,
    #[serde(default, rename = "person")]
    pub people: Vec<PersonEntry>,
    #[serde(default, rename = "place")]
    pub places: Vec<PlaceEntry>,
    #[serde(default, rename = "vehicle")]
    pub vehicles: Vec<VehicleEntry>,
    #[serde(default, rename = "area")]
    pub areas: Vec<AreaEntry>,
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
    /// Position of the home address, once checked (WGS 84).
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// The person agrees that their caregivers act for them on the phone.
    #[serde(default)]
    pub consent_caregivers: bool,
    #[serde(default)]
    pub caregivers: Vec<CaregiverEntry>,
}

/// A caregiver of a person, with the PIN they use on the phone (for demo and test data:
/// real PINs are set in the staff workspace, where nobody writes them into a file).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaregiverEntry {
    pub name: String,
    pub phone: PhoneNumber,
    pub pin: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlaceKind {
    Practice,
    Hospital,
    Pharmacy,
    Service,
    Home,
}

impl PlaceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PlaceKind::Practice => "practice",
            PlaceKind::Hospital => "hospital",
            PlaceKind::Pharmacy => "pharmacy",
            PlaceKind::Service => "service",
            PlaceKind::Home => "home",
        }
    }
}

/// A destination the dialog can offer by name.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaceEntry {
    pub id: String,
    /// Office whose callers are offered the place; none: every office.
    pub office: Option<String>,
    pub name: String,
    pub kind: PlaceKind,
    pub address: String,
    pub postcode: Option<Postcode>,
    pub lat: f64,
    pub lon: f64,
    /// Other names callers use for it.
    #[serde(default)]
    pub aliases: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VehicleEntry {
    pub id: String,
    pub office: String,
    pub name: String,
    pub depot_lat: f64,
    pub depot_lon: f64,
    pub shift_start: ClockTime,
    pub shift_end: ClockTime,
    pub seats: u32,
    #[serde(default)]
    pub wheelchair_places: u32,
    pub max_route_minutes: u32,
    #[serde(default = "in_service")]
    pub active: bool,
}

fn in_service() -> bool {
    true
}

/// A part of town as callers name it ("Hörde", "Kreuzviertel"), with its postcode and
/// centre: where a caller is who gives only a postcode or a district.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreaEntry {
    pub name: String,
    pub postcode: Postcode,
    pub lat: f64,
    pub lon: f64,
}

#[derive(Debug, Default, PartialEq)]
pub struct ImportSummary {
    pub offices: usize,
    pub postcodes: usize,
    pub people: usize,
    pub caregivers: usize,
    pub places: usize,
    pub vehicles: usize,
    pub areas: usize,
}

/// Readable ids (offices, places, vehicles) are lowercase letters, digits and '-'.
pub(crate) fn check_slug(what: &str, id: &str) -> Result<(), String> {
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        return Err(format!("{what} id {id:?}: use lowercase letters, digits and '-'"));
    }
    Ok(())
}

pub(crate) fn check_position(what: &str, lat: f64, lon: f64) -> Result<(), String> {
    if !((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)) {
        return Err(format!("{what}: ({lat}, {lon}) is not a position in degrees (latitude, longitude)"));
    }
    Ok(())
}

impl DirectoryFile {
    /// Parses and checks cross-references, so a broken file is rejected before anything is written.
    pub fn parse(text: &str) -> Result<DirectoryFile, String> {
        let file: DirectoryFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut seen = std::collections::HashSet::new();
        for o in &file.offices {
            check_slug("office", &o.id)?;
            // Transfers to the office depend on reading these.
            super::hours::OpeningHours::parse(&o.opening_hours).map_err(|e| format!("office {}: {e}", o.id))?;
            for p in &o.postcodes {
                if !seen.insert(p.clone()) {
                    return Err(format!("postcode {p} is assigned to more than one office"));
                }
            }
        }
        for p in &file.people {
            for c in &p.caregivers {
                super::caregivers::Pin::parse(&c.pin).map_err(|e| format!("caregiver {} of {}: {e}", c.name, p.phone.as_str()))?;
            }
        }
        for p in &file.places {
            check_slug("place", &p.id)?;
            check_position(&format!("place {}", p.id), p.lat, p.lon)?;
            if p.aliases.iter().any(|a| a.contains(';')) {
                return Err(format!("place {}: aliases must not contain ';'", p.id));
            }
        }
        for v in &file.vehicles {
            check_slug("vehicle", &v.id)?;
            check_position(&format!("vehicle {} depot", v.id), v.depot_lat, v.depot_lon)?;
            if v.shift_start >= v.shift_end || v.max_route_minutes == 0 {
                return Err(format!("vehicle {}: the shift must end after it starts, and max_route_minutes be above 0", v.id));
            }
        }
        let mut names = std::collections::HashSet::new();
        for a in &file.areas {
            check_position(&format!("area {}", a.name), a.lat, a.lon)?;
            if a.name.trim().is_empty() || !names.insert(a.name.as_str()) {
                return Err(format!("area {:?}: every area needs its own name", a.name));
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
                "INSERT INTO people (id, given_name, family_name, phone, street, postcode, city, office_id, mobility, consent_caregivers,
                                     created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
                 ON CONFLICT (phone) DO UPDATE SET given_name = excluded.given_name, family_name = excluded.family_name,
                   street = excluded.street, postcode = excluded.postcode, city = excluded.city, office_id = excluded.office_id,
                   mobility = excluded.mobility, consent_caregivers = excluded.consent_caregivers, updated_at = excluded.updated_at",
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
            .bind(i64::from(p.consent_caregivers))
            .bind(&ts)
            .execute(&mut *tx)
            .await?;
            if !p.caregivers.is_empty() {
                let person_id: String =
                    sqlx::query_scalar("SELECT id FROM people WHERE phone = $1").bind(p.phone.as_str()).fetch_one(&mut *tx).await?;
                for c in &p.caregivers {
                    let pin = super::caregivers::Pin::parse(&c.pin).map_err(|e| bad_value("pin", &e.to_string()))?;
                    let hash = pin.hash().map_err(|e| bad_value("pin_hash", &e.to_string()))?;
                    // A new import sets the file's PIN again and unlocks the entry.
                    sqlx::query(
                        "INSERT INTO caregivers (id, person_id, name, phone, pin_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)
                         ON CONFLICT (person_id, phone) DO UPDATE SET name = excluded.name, pin_hash = excluded.pin_hash,
                           pin_failures = 0, locked_at = NULL",
                    )
                    .bind(new_id())
                    .bind(&person_id)
                    .bind(&c.name)
                    .bind(c.phone.as_str())
                    .bind(hash)
                    .bind(&ts)
                    .execute(&mut *tx)
                    .await?;
                    summary.caregivers += 1;
                }
            }
            // Bound only when known: see rides::store on sqlx's typing of a missing f64.
            if let (Some(lat), Some(lon)) = (p.lat, p.lon) {
                sqlx::query("UPDATE people SET home_lat = $1, home_lon = $2 WHERE phone = $3")
                    .bind(lat)
                    .bind(lon)
                    .bind(p.phone.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
            summary.people += 1;
        }
        for p in &self.places {
            sqlx::query(
                "INSERT INTO places (id, office_id, name, kind, address, postcode, lat, lon, aliases, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                 ON CONFLICT (id) DO UPDATE SET office_id = excluded.office_id, name = excluded.name, kind = excluded.kind,
                   address = excluded.address, postcode = excluded.postcode, lat = excluded.lat, lon = excluded.lon,
                   aliases = excluded.aliases",
            )
            .bind(&p.id)
            .bind(p.office.as_deref())
            .bind(&p.name)
            .bind(p.kind.as_str())
            .bind(&p.address)
            .bind(p.postcode.as_ref().map(Postcode::as_str))
            .bind(p.lat)
            .bind(p.lon)
            .bind(p.aliases.join(";"))
            .bind(&ts)
            .execute(&mut *tx)
            .await?;
            summary.places += 1;
        }
        for v in &self.vehicles {
            sqlx::query(
                "INSERT INTO vehicles (id, office_id, name, depot_lat, depot_lon, shift_start, shift_end, seats, wheelchair_places,
                   max_route_minutes, active, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                 ON CONFLICT (id) DO UPDATE SET office_id = excluded.office_id, name = excluded.name, depot_lat = excluded.depot_lat,
                   depot_lon = excluded.depot_lon, shift_start = excluded.shift_start, shift_end = excluded.shift_end,
                   seats = excluded.seats, wheelchair_places = excluded.wheelchair_places,
                   max_route_minutes = excluded.max_route_minutes, active = excluded.active",
            )
            .bind(&v.id)
            .bind(&v.office)
            .bind(&v.name)
            .bind(v.depot_lat)
            .bind(v.depot_lon)
            .bind(v.shift_start.to_string())
            .bind(v.shift_end.to_string())
            .bind(i64::from(v.seats))
            .bind(i64::from(v.wheelchair_places))
            .bind(i64::from(v.max_route_minutes))
            .bind(i64::from(v.active))
            .bind(&ts)
            .execute(&mut *tx)
            .await?;
            summary.vehicles += 1;
        }
        for a in &self.areas {
            sqlx::query(
                "INSERT INTO postcode_areas (name, postcode, lat, lon, created_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (name) DO UPDATE SET postcode = excluded.postcode, lat = excluded.lat, lon = excluded.lon",
            )
            .bind(&a.name)
            .bind(a.postcode.as_str())
            .bind(a.lat)
            .bind(a.lon)
            .bind(&ts)
            .execute(&mut *tx)
            .await?;
            summary.areas += 1;
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
        assert!(file.places.len() >= 4);
        assert!(file.vehicles.len() >= 2);
        let served: Vec<&Postcode> = file.offices.iter().flat_map(|o| &o.postcodes).collect();
        for p in served.iter().copied() {
            assert!(file.areas.iter().any(|a| &a.postcode == p), "postcode {p} has an area");
        }
        for v in &file.vehicles {
            assert!(file.offices.iter().any(|o| o.id == v.office), "vehicle {} of an office in the file", v.id);
        }
    }

    #[test]
    fn places_and_vehicles_are_checked_before_import() {
        let place = "[[place]]\nid = \"p\"\nname = \"P\"\nkind = \"practice\"\naddress = \"x\"\n";
        assert!(DirectoryFile::parse(&format!("{place}lat = 51.5\nlon = 7.5\n")).is_ok());
        let err = DirectoryFile::parse(&format!("{place}lat = 151.5\nlon = 7.5\n")).unwrap_err();
        assert!(err.contains("place p"), "{err}");
        let err = DirectoryFile::parse(&place.replace("practice", "zoo")).unwrap_err();
        assert!(err.contains("kind"), "{err}");
        let vehicle = "[[vehicle]]\nid = \"v\"\noffice = \"o\"\nname = \"V\"\ndepot_lat = 51.5\ndepot_lon = 7.5\nseats = 3\nmax_route_minutes = 300\n";
        assert!(DirectoryFile::parse(&format!("{vehicle}shift_start = \"08:00\"\nshift_end = \"14:00\"\n")).is_ok());
        let err = DirectoryFile::parse(&format!("{vehicle}shift_start = \"14:00\"\nshift_end = \"08:00\"\n")).unwrap_err();
        assert!(err.contains("vehicle v"), "{err}");
        let err = DirectoryFile::parse(&format!("{vehicle}shift_start = \"8 Uhr\"\nshift_end = \"14:00\"\n")).unwrap_err();
        assert!(err.contains("07:30"), "{err}");
        let area = "[[area]]\nname = \"Hörde\"\npostcode = \"44263\"\nlat = 51.49\nlon = 7.51\n";
        assert!(DirectoryFile::parse(area).is_ok());
        let err = DirectoryFile::parse(&format!("{area}{area}")).unwrap_err();
        assert!(err.contains("Hörde"), "{err}");
    }
}
