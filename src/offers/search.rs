//! Finding offers near a caller: where they are (a position, a postcode or a part of
//! town), then the offers with dates in the wanted days, nearest first.

use super::{Access, Category, Offer};
use crate::db::{Db, DbError, bad_value, count};
use crate::dispatch::great_circle_km;
use crate::domain::Postcode;
use crate::rides::{Point, format_local, parse_local};
use chrono::NaiveDateTime;
use sqlx::Row;
use sqlx::any::AnyRow;

/// Offers closer together than this count as equally near, and the sooner one comes
/// first: a few hundred metres more matter less to a caller than waiting a week.
const EQUALLY_NEAR_KM: f64 = 0.5;
/// Dates given with each hit: enough to offer another one when the first does not suit.
const DATES_PER_HIT: usize = 3;
const KM_PER_DEGREE_LATITUDE: f64 = 111.2;

/// Where the caller is, as the dialog learnt it.
#[derive(Debug, Clone, PartialEq)]
pub enum Whereabouts {
    /// A known position (a registered address with coordinates).
    At(Point),
    /// The centre of the postcode's parts of town.
    Postcode(Postcode),
    /// A part of town or an office's district by name, as [`area_names`] lists them.
    Area(String),
}

/// The position for `whereabouts`; `None` when the directory does not know the
/// postcode or the name.
pub async fn locate(db: &Db, whereabouts: &Whereabouts) -> Result<Option<Point>, DbError> {
    let rows = match whereabouts {
        Whereabouts::At(point) => return Ok(Some(*point)),
        Whereabouts::Postcode(postcode) => {
            sqlx::query("SELECT lat, lon FROM postcode_areas WHERE postcode = $1").bind(postcode.as_str()).fetch_all(db.pool()).await?
        }
        Whereabouts::Area(name) => {
            let areas: Vec<String> = sqlx::query_scalar("SELECT name FROM postcode_areas").fetch_all(db.pool()).await?;
            let districts: Vec<String> = sqlx::query_scalar("SELECT district FROM offices").fetch_all(db.pool()).await?;
            if let Some(area) = areas.into_iter().find(|a| same_name(a, name)) {
                sqlx::query("SELECT lat, lon FROM postcode_areas WHERE name = $1").bind(area).fetch_all(db.pool()).await?
            } else if let Some(district) = districts.into_iter().find(|d| same_name(d, name)) {
                // A district is where its office's parts of town are.
                sqlx::query(
                    "SELECT a.lat, a.lon FROM postcode_areas a JOIN office_postcodes p ON p.postcode = a.postcode
                     JOIN offices o ON o.id = p.office_id WHERE o.district = $1",
                )
                .bind(district)
                .fetch_all(db.pool())
                .await?
            } else {
                Vec::new()
            }
        }
    };
    let points =
        rows.iter().map(|r| Ok(Point { lat: r.try_get("lat")?, lon: r.try_get("lon")? })).collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(centre(&points))
}

/// Names a caller may give for where they are: parts of town and the offices' districts,
/// sorted, for the dialog to recognise one.
pub async fn area_names(db: &Db) -> Result<Vec<String>, DbError> {
    let mut names: Vec<String> =
        sqlx::query_scalar("SELECT name FROM postcode_areas UNION SELECT district FROM offices").fetch_all(db.pool()).await?;
    names.sort();
    names.dedup();
    Ok(names)
}

/// Names compare without case, spaces and dashes: "Innenstadt West" is "Innenstadt-West".
fn same_name(a: &str, b: &str) -> bool {
    let key = |s: &str| s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect::<String>();
    key(a) == key(b)
}

/// The mean position; fine for the few kilometres of a town.
fn centre(points: &[Point]) -> Option<Point> {
    let n = points.len() as f64;
    (!points.is_empty())
        .then(|| Point { lat: points.iter().map(|p| p.lat).sum::<f64>() / n, lon: points.iter().map(|p| p.lon).sum::<f64>() / n })
}

/// What the caller looks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub near: Point,
    pub radius_km: f64,
    /// Dates starting from (inclusive), local time: usually now.
    pub from: NaiveDateTime,
    /// Dates starting before, local time.
    pub until: NaiveDateTime,
    /// Any of these; empty: every category.
    pub categories: Vec<Category>,
    /// At most this many offers.
    pub limit: usize,
}

/// One date of an offer.
#[derive(Debug, Clone, PartialEq)]
pub struct OfferDate {
    /// What [`super::book`] takes.
    pub id: String,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    /// `None`: open to all, nothing to book; `Some(0)`: fully booked.
    pub free_seats: Option<u32>,
}

/// An offer found, with its distance and its next dates in the query's days.
#[derive(Debug, Clone, PartialEq)]
pub struct OfferHit {
    pub offer: Offer,
    pub distance_km: f64,
    /// Soonest first, at most three; fully booked dates included (the dialog says so).
    pub dates: Vec<OfferDate>,
}

/// The active offers within the radius that have a date in the query's days, nearest
/// first (within half a kilometre: soonest first), then by title and id, so the same
/// query always gives the same order.
pub async fn search(db: &Db, q: &Query) -> Result<Vec<OfferHit>, DbError> {
    // A box around the circle narrows the rows in SQL (portable SQL has no trigonometry);
    // the exact distance is computed here.
    let dlat = q.radius_km / KM_PER_DEGREE_LATITUDE;
    let dlon = q.radius_km / (KM_PER_DEGREE_LATITUDE * q.near.lat.to_radians().cos().max(0.01));
    let rows = sqlx::query(
        "SELECT o.id, o.office_id, o.category, o.title, o.provider, o.description, o.venue, o.address, o.postcode, o.lat, o.lon,
                o.price_cents, o.wheelchair, o.hearing_loop, o.step_free, o.capacity, o.booking_required,
                d.id AS date_id, d.starts_at, d.ends_at, d.seats_taken
         FROM offers o JOIN offer_dates d ON d.offer_id = o.id
         WHERE o.status = 'active' AND d.status = 'scheduled' AND d.starts_at >= $1 AND d.starts_at < $2
           AND o.lat BETWEEN $3 AND $4 AND o.lon BETWEEN $5 AND $6
         ORDER BY o.id, d.starts_at",
    )
    .bind(format_local(q.from))
    .bind(format_local(q.until))
    .bind(q.near.lat - dlat)
    .bind(q.near.lat + dlat)
    .bind(q.near.lon - dlon)
    .bind(q.near.lon + dlon)
    .fetch_all(db.pool())
    .await?;
    let mut hits: Vec<OfferHit> = Vec::new();
    for r in &rows {
        let id: String = r.try_get("id")?;
        if hits.last().is_none_or(|h| h.offer.id != id) {
            let offer = offer_from_row(r)?;
            let distance_km = great_circle_km((q.near.lat, q.near.lon), (offer.point.lat, offer.point.lon));
            hits.push(OfferHit { offer, distance_km, dates: Vec::new() });
        }
        let hit = hits.last_mut().expect("pushed above");
        if hit.dates.len() < DATES_PER_HIT {
            let date = date_from_row(r, hit.offer.capacity)?;
            hit.dates.push(date);
        }
    }
    hits.retain(|h| h.distance_km <= q.radius_km && (q.categories.is_empty() || q.categories.contains(&h.offer.category)));
    rank(&mut hits);
    hits.truncate(q.limit);
    Ok(hits)
}

fn rank(hits: &mut [OfferHit]) {
    hits.sort_by(|a, b| {
        let band = |h: &OfferHit| (h.distance_km / EQUALLY_NEAR_KM).floor() as u64;
        let first = |h: &OfferHit| h.dates.first().map(|d| d.starts_at);
        (band(a), first(a), &a.offer.title, &a.offer.id).cmp(&(band(b), first(b), &b.offer.title, &b.offer.id))
    });
}

fn offer_from_row(r: &AnyRow) -> Result<Offer, DbError> {
    let category: String = r.try_get("category")?;
    let postcode: String = r.try_get("postcode")?;
    let flag = |col: &str| -> Result<bool, DbError> { Ok(r.try_get::<i64, _>(col)? != 0) };
    Ok(Offer {
        id: r.try_get("id")?,
        office_id: r.try_get("office_id")?,
        category: Category::parse(&category).ok_or_else(|| bad_value("category", &category))?,
        title: r.try_get("title")?,
        provider: r.try_get("provider")?,
        description: r.try_get("description")?,
        venue: r.try_get("venue")?,
        address: r.try_get("address")?,
        postcode: Postcode::parse(&postcode).map_err(|_| bad_value("postcode", &postcode))?,
        point: Point { lat: r.try_get("lat")?, lon: r.try_get("lon")? },
        price_cents: count(r, "price_cents")?,
        access: Access { wheelchair: flag("wheelchair")?, hearing_loop: flag("hearing_loop")?, step_free: flag("step_free")? },
        capacity: r
            .try_get::<Option<i64>, _>("capacity")?
            .map(|c| u32::try_from(c).map_err(|_| bad_value("capacity", &c.to_string())))
            .transpose()?,
        booking_required: flag("booking_required")?,
    })
}

fn date_from_row(r: &AnyRow, capacity: Option<u32>) -> Result<OfferDate, DbError> {
    let time = |col: &str| -> Result<NaiveDateTime, DbError> {
        let s: String = r.try_get(col)?;
        parse_local(&s).map_err(|_| bad_value(col, &s))
    };
    let taken = count(r, "seats_taken")?;
    Ok(OfferDate {
        id: r.try_get("date_id")?,
        starts_at: time("starts_at")?,
        ends_at: time("ends_at")?,
        free_seats: capacity.map(|c| c.saturating_sub(taken)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(id: &str, title: &str, km: f64, first: &str) -> OfferHit {
        OfferHit {
            offer: Offer {
                id: id.into(),
                office_id: "o".into(),
                category: Category::Bewegung,
                title: title.into(),
                provider: "P".into(),
                description: String::new(),
                venue: "im Saal".into(),
                address: "Weg 1".into(),
                postcode: Postcode::parse("44263").unwrap(),
                point: Point { lat: 51.5, lon: 7.5 },
                price_cents: 0,
                access: Access::default(),
                capacity: None,
                booking_required: false,
            },
            distance_km: km,
            dates: vec![OfferDate {
                id: format!("{id}-1"),
                starts_at: parse_local(first).unwrap(),
                ends_at: parse_local(first).unwrap(),
                free_seats: None,
            }],
        }
    }

    #[test]
    fn nearest_first_and_the_sooner_of_two_equally_near() {
        let mut hits = vec![
            hit("far", "A", 3.0, "2026-12-01T09:00"),
            hit("near-later", "B", 0.1, "2026-12-09T10:00"),
            hit("near-sooner", "C", 0.4, "2026-12-02T10:00"),
            hit("next-band", "D", 0.6, "2026-12-01T08:00"),
            hit("twin-b", "E", 1.2, "2026-12-05T10:00"),
            hit("twin-a", "E", 1.3, "2026-12-05T10:00"),
        ];
        rank(&mut hits);
        let order: Vec<&str> = hits.iter().map(|h| h.offer.id.as_str()).collect();
        assert_eq!(order, ["near-sooner", "near-later", "next-band", "twin-a", "twin-b", "far"]);
    }

    #[test]
    fn names_compare_loosely_and_centres_are_means() {
        assert!(same_name("Innenstadt West", "Innenstadt-West"));
        assert!(same_name("hörde", "Hörde"));
        assert!(!same_name("Hoerde", "Hörde"));
        let c = centre(&[Point { lat: 51.0, lon: 7.0 }, Point { lat: 52.0, lon: 8.0 }]).unwrap();
        assert_eq!((c.lat, c.lon), (51.5, 7.5));
        assert_eq!(centre(&[]), None);
    }
}
