//! Offers imported from the demo file, searched near a caller, booked and cancelled; and
//! the last seat of a date going to exactly one of several callers booking it at once.
//! On SQLite and PostgreSQL.

mod common;

use chrono::{NaiveDate, NaiveDateTime};
use common::{Backend, fresh_database, root};
use seniorentelefon::db::Db;
use seniorentelefon::domain::directory::DirectoryFile;
use seniorentelefon::domain::{PhoneNumber, Postcode};
use seniorentelefon::offers::{self, Booker, BookingError, Category, OfferHit, OffersFile, Query, Whereabouts};
use sqlx::Row;
use std::num::NonZeroU32;
use std::sync::Arc;

/// A Tuesday.
const TODAY: &str = "2026-12-01";
/// Erika Mustermann, Hörde, in the demo directory.
const ERIKA: &str = "+4923155512345";
const HEINZ: &str = "+4923155598765";

fn today() -> NaiveDate {
    TODAY.parse().unwrap()
}

fn at(s: &str) -> NaiveDateTime {
    seniorentelefon::rides::parse_local(s).unwrap()
}

fn seats(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap()
}

fn demo_offers() -> OffersFile {
    OffersFile::parse(&std::fs::read_to_string(root().join("scripts/demo/offers.csv")).unwrap()).unwrap()
}

/// A fresh database with the demo directory and the demo offers, imported on [`TODAY`].
async fn database(backend: Backend) -> (Db, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::connect(&fresh_database(backend, dir.path()).await).await.unwrap();
    db.migrate().await.unwrap();
    let directory = DirectoryFile::parse(&std::fs::read_to_string(root().join("scripts/demo/directory.toml")).unwrap()).unwrap();
    directory.import(&db).await.unwrap();
    demo_offers().import(&db, today(), 12).await.unwrap();
    (db, dir)
}

async fn person(db: &Db, phone: &str) -> String {
    sqlx::query("SELECT id FROM people WHERE phone = $1").bind(phone).fetch_one(db.pool()).await.unwrap().get("id")
}

fn booker(phone: &str, person_id: Option<String>) -> Booker {
    Booker { person_id, phone: PhoneNumber::parse(phone).unwrap(), caregiver_id: None, call_id: None }
}

/// The id of the offer's date starting at `starts_at`.
async fn date_id(db: &Db, offer: &str, starts_at: &str) -> String {
    sqlx::query("SELECT id FROM offer_dates WHERE offer_id = $1 AND starts_at = $2")
        .bind(offer)
        .bind(starts_at)
        .fetch_one(db.pool())
        .await
        .unwrap()
        .get("id")
}

async fn seats_taken(db: &Db, date_id: &str) -> i64 {
    sqlx::query("SELECT seats_taken FROM offer_dates WHERE id = $1").bind(date_id).fetch_one(db.pool()).await.unwrap().get(0)
}

fn two_weeks_near(near: seniorentelefon::rides::Point) -> Query {
    Query { near, radius_km: 10.0, from: at("2026-12-01T08:00"), until: at("2026-12-15T00:00"), categories: Vec::new(), limit: 50 }
}

fn offices(hits: &[OfferHit]) -> Vec<&str> {
    hits.iter().map(|h| h.offer.office_id.as_str()).collect()
}

on_both_backends!(importing_again_changes_nothing_and_dropped_dates_are_cancelled => import_again);

async fn import_again(backend: Backend) {
    let (db, _dir) = database(backend).await;
    let dates: i64 = sqlx::query("SELECT COUNT(*) FROM offer_dates").fetch_one(db.pool()).await.unwrap().get(0);
    // 23 offers, most of them weekly for 12 weeks.
    assert!(dates > 200, "{dates} dates");
    let again = demo_offers().import(&db, today(), 12).await.unwrap();
    assert_eq!(again, offers::ImportSummary { offers: 23, dates_added: 0, dates_changed: 0, dates_cancelled: 0, bookings_on_cancelled: 0 });

    // Gymnastics in Hörde ends after 8 December: the later Tuesdays up to twelve weeks
    // ahead are cancelled, and the booking on one of them is counted for staff to call.
    let later = date_id(&db, "sitzgymnastik-hoerde", "2026-12-15T10:00").await;
    offers::book(&db, &later, seats(1), &booker(ERIKA, None), at("2026-12-01T08:00")).await.unwrap();
    let text = std::fs::read_to_string(root().join("scripts/demo/offers.csv"))
        .unwrap()
        .replace("12,ja,,Di,,2026-11-03,,10:00", "12,ja,,Di,,2026-11-03,2026-12-08,10:00");
    let shortened = OffersFile::parse(&text).unwrap().import(&db, today(), 12).await.unwrap();
    assert_eq!((shortened.dates_added, shortened.dates_cancelled, shortened.bookings_on_cancelled), (0, 11, 1));
    let cancelled = offers::book(&db, &later, seats(1), &booker(HEINZ, None), at("2026-12-01T08:00")).await;
    assert!(matches!(cancelled, Err(BookingError::Cancelled)), "{cancelled:?}");
    // Back in the file, back on.
    let back = demo_offers().import(&db, today(), 12).await.unwrap();
    assert_eq!((back.dates_added, back.dates_changed), (0, 11));

    // An office the directory does not know: nothing imported, the line named.
    let unknown = text.replace("sitzgymnastik-west,do-innenstadt-west,", "sitzgymnastik-west,do-aplerbeck,");
    let err = OffersFile::parse(&unknown).unwrap().import(&db, today(), 12).await.unwrap_err();
    assert!(err.to_string().starts_with("line 17: office do-aplerbeck"), "{err}");
    db.close().await;
}

on_both_backends!(offers_near_a_hoerde_postcode_come_first => search_near);

async fn search_near(backend: Backend) {
    let (db, _dir) = database(backend).await;
    let hoerde = offers::locate(&db, &Whereabouts::Postcode(Postcode::parse("44263").unwrap())).await.unwrap().unwrap();
    let hits = offers::search(&db, &two_weeks_near(hoerde)).await.unwrap();
    let order = offices(&hits);
    let first_west = order.iter().position(|o| *o == "do-innenstadt-west").expect("offers of Innenstadt-West within 10 km");
    assert!(first_west >= 10, "{order:?}");
    assert!(order[first_west..].iter().all(|o| *o == "do-innenstadt-west"), "{order:?}");
    assert!(hits.windows(2).all(|w| w[0].distance_km < w[1].distance_km + 0.5), "nearest first");
    for h in &hits {
        assert!((1..=3).contains(&h.dates.len()), "{}", h.offer.id);
        assert!(h.dates.windows(2).all(|w| w[0].starts_at < w[1].starts_at));
        assert!(h.dates.iter().all(|d| d.starts_at >= at("2026-12-01T08:00") && d.starts_at < at("2026-12-15T00:00")));
    }
    // The same query, the same answer.
    assert_eq!(offers::search(&db, &two_weeks_near(hoerde)).await.unwrap(), hits);
    // The Adventsfeier on 10 December is in the two weeks, the Mitsingkonzert on 17 December is not.
    let ids: Vec<&str> = hits.iter().map(|h| h.offer.id.as_str()).collect();
    assert!(ids.contains(&"adventsfeier-hoerde") && !ids.contains(&"mitsingkonzert-west"), "{ids:?}");

    let nearby = Query { radius_km: 3.0, ..two_weeks_near(hoerde) };
    assert!(offices(&offers::search(&db, &nearby).await.unwrap()).iter().all(|o| *o == "do-hoerde"));
    let digital = Query { categories: vec![Category::Digital], limit: 3, ..two_weeks_near(hoerde) };
    let digital = offers::search(&db, &digital).await.unwrap();
    assert_eq!(
        digital.iter().map(|h| h.offer.id.as_str()).collect::<Vec<_>>(),
        [
            // Both in the library: the sooner first.
            "computer-treff-hoerde",
            "smartphone-sprechstunde-hoerde",
            "tablet-kurs-west"
        ]
    );

    // A district by name: its offers first.
    let west = offers::locate(&db, &Whereabouts::Area("Innenstadt West".into())).await.unwrap().unwrap();
    assert_eq!(offices(&offers::search(&db, &two_weeks_near(west)).await.unwrap())[0], "do-innenstadt-west");
    assert!(offers::area_names(&db).await.unwrap().contains(&"Kreuzviertel".to_string()));
    assert_eq!(offers::locate(&db, &Whereabouts::Area("Gotham".into())).await.unwrap(), None);
    assert_eq!(offers::locate(&db, &Whereabouts::Postcode(Postcode::parse("10115").unwrap())).await.unwrap(), None);

    // What the dialog reads out for the nearest offer.
    let first = &hits[0];
    let said = offers::spoken::summary(&first.offer, &first.dates[0], today());
    assert!(said.starts_with(&format!("{}, {}, ", first.offer.title, first.offer.venue)), "{said}");
    db.close().await;
}

on_both_backends!(booking_and_cancelling => book_and_cancel);

async fn book_and_cancel(backend: Backend) {
    let (db, _dir) = database(backend).await;
    let now = at("2026-12-01T08:00");
    let erika = booker(ERIKA, Some(person(&db, ERIKA).await));
    // Advice in Hörde: four seats per date.
    let advice = date_id(&db, "sprechstunde-rente-pflege-hoerde", "2026-12-08T14:00").await;
    let booking = offers::book(&db, &advice, seats(3), &erika, now).await.unwrap();
    assert_eq!((booking.title.as_str(), booking.seats, booking.cancelled), ("Sprechstunde Rente und Pflege", 3, false));
    assert_eq!(booking.starts_at, at("2026-12-08T14:00"));
    let ticket = sqlx::query("SELECT kind, office_id, callback_number, person_id FROM tickets WHERE id = $1")
        .bind(booking.ticket_id.as_deref().unwrap())
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(
        (ticket.get::<String, _>("kind"), ticket.get::<String, _>("office_id"), ticket.get::<String, _>("callback_number")),
        ("booking".into(), "do-hoerde".into(), ERIKA.into())
    );
    assert_eq!(ticket.get::<Option<String>, _>("person_id"), erika.person_id);

    let heinz = booker(HEINZ, None);
    let full = offers::book(&db, &advice, seats(2), &heinz, now).await;
    assert!(matches!(full, Err(BookingError::Full { free: 1 })), "{full:?}");
    let hoerde = offers::locate(&db, &Whereabouts::Area("Hörde".into())).await.unwrap().unwrap();
    let hits = offers::search(&db, &Query { categories: vec![Category::Beratung], ..two_weeks_near(hoerde) }).await.unwrap();
    let date = hits.iter().flat_map(|h| &h.dates).find(|d| d.id == advice).unwrap();
    assert_eq!(date.free_seats, Some(1));

    let upcoming = offers::upcoming_for_person(&db, erika.person_id.as_deref().unwrap(), now).await.unwrap();
    assert_eq!(upcoming, std::slice::from_ref(&booking));
    assert!(offers::upcoming_for_person(&db, erika.person_id.as_deref().unwrap(), at("2026-12-08T14:01")).await.unwrap().is_empty());

    // Only Erika (her person or her phone) cancels her booking; again changes nothing.
    assert!(matches!(offers::cancel(&db, &booking.id, &heinz).await, Err(BookingError::NotYours)));
    let cancelled = offers::cancel(&db, &booking.id, &booker(ERIKA, None)).await.unwrap();
    assert!(cancelled.cancelled);
    assert_eq!(seats_taken(&db, &advice).await, 0);
    assert!(offers::cancel(&db, &booking.id, &erika).await.unwrap().cancelled);
    assert_eq!(seats_taken(&db, &advice).await, 0);
    let events: i64 = sqlx::query("SELECT COUNT(*) FROM ticket_events WHERE ticket_id = $1 AND kind = 'booking_cancelled'")
        .bind(booking.ticket_id.as_deref().unwrap())
        .fetch_one(db.pool())
        .await
        .unwrap()
        .get(0);
    assert_eq!(events, 1);
    assert!(offers::upcoming_for_person(&db, erika.person_id.as_deref().unwrap(), now).await.unwrap().is_empty());
    offers::book(&db, &advice, seats(4), &heinz, now).await.unwrap();

    // What cannot be booked, and why.
    let cafe = date_id(&db, "erzaehlcafe-hoerde", "2026-12-02T15:00").await;
    let refused = |r: Result<offers::Booking, BookingError>| r.unwrap_err().to_string();
    assert_eq!(refused(offers::book(&db, &cafe, seats(1), &heinz, now).await), BookingError::NoBookingNeeded.to_string());
    let today_gym = date_id(&db, "sitzgymnastik-hoerde", "2026-12-01T10:00").await;
    let late = offers::book(&db, &today_gym, seats(1), &heinz, at("2026-12-01T10:00")).await;
    assert!(matches!(late, Err(BookingError::InThePast)), "{late:?}");
    sqlx::query("UPDATE offers SET status = 'cancelled' WHERE id = 'sitzgymnastik-hoerde'").execute(db.pool()).await.unwrap();
    let off = offers::book(&db, &today_gym, seats(1), &heinz, now).await;
    assert!(matches!(off, Err(BookingError::Cancelled)), "{off:?}");
    assert!(matches!(offers::book(&db, "no-such-date", seats(1), &heinz, now).await, Err(BookingError::NotFound)));
    assert!(matches!(offers::cancel(&db, "no-such-booking", &heinz).await, Err(BookingError::NotFound)));
    db.close().await;
}

on_both_backends!(the_last_seat_goes_to_one_caller_only => last_seat_race, workers = 4);

/// Callers at once, more than SQLite's pool has connections.
const CALLERS: usize = 6;
const ROUNDS: usize = 10;

async fn last_seat_race(backend: Backend) {
    let (db, _dir) = database(backend).await;
    let one_seat = "id,office,category,title,provider,venue,address,postcode,lat,lon,capacity,booking_required,weekday,first_date,time,end_time\n\
                    einzelberatung,do-hoerde,beratung,Einzelberatung,Seniorenbüro Hörde,im Seniorenbüro Hörde,Hörder Bahnhofstraße 16,44263,51.4858,7.504,1,ja,Mo Di Mi Do Fr Sa So,2026-12-02,09:00,09:30\n";
    OffersFile::parse(one_seat).unwrap().import(&db, today(), 2).await.unwrap();
    let dates: Vec<String> = sqlx::query_scalar("SELECT id FROM offer_dates WHERE offer_id = 'einzelberatung' ORDER BY starts_at")
        .fetch_all(db.pool())
        .await
        .unwrap();
    assert!(dates.len() >= ROUNDS, "{} dates", dates.len());
    for date in &dates[..ROUNDS] {
        let start = Arc::new(tokio::sync::Barrier::new(CALLERS));
        let callers: Vec<_> = (0..CALLERS)
            .map(|i| {
                let (db, date, start) = (db.clone(), date.clone(), start.clone());
                tokio::spawn(async move {
                    let who = booker(&format!("+49231555100{i:02}"), None);
                    start.wait().await;
                    offers::book(&db, &date, seats(1), &who, at("2026-12-01T08:00")).await
                })
            })
            .collect();
        let mut booked = 0;
        for caller in callers {
            match caller.await.unwrap() {
                Ok(_) => booked += 1,
                Err(BookingError::Full { free: 0 }) => {}
                Err(e) => panic!("a caller got {e:?}"),
            }
        }
        assert_eq!(booked, 1, "date {date}");
        assert_eq!(seats_taken(&db, date).await, 1);
        let bookings: i64 =
            sqlx::query("SELECT COUNT(*) FROM bookings WHERE offer_date_id = $1").bind(date).fetch_one(db.pool()).await.unwrap().get(0);
        assert_eq!(bookings, 1);
    }
    db.close().await;
}
