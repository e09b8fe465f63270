//! Ride requests through the repository, a day planned by the dispatcher and stored, on
//! SQLite and PostgreSQL.

mod common;

use chrono::{NaiveDate, NaiveDateTime};
use common::{Backend, fresh_database, root};
use seniorentelefon::config::RidesConfig;
use seniorentelefon::db::Db;
use seniorentelefon::domain::directory::DirectoryFile;
use seniorentelefon::rides::{self, Location, NewRide, Point, store};
use sqlx::Row;
use std::time::Duration;

const DAY: &str = "2026-12-03";

fn day() -> NaiveDate {
    DAY.parse().unwrap()
}

fn at(hhmm: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(&format!("{DAY}T{hhmm}"), "%Y-%m-%dT%H:%M").unwrap()
}

/// A fresh database with the demo directory (offices, people, places, vehicles).
async fn database(backend: Backend) -> (Db, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::connect(&fresh_database(backend, dir.path()).await).await.unwrap();
    db.migrate().await.unwrap();
    let directory = DirectoryFile::parse(&std::fs::read_to_string(root().join("scripts/demo/directory.toml")).unwrap()).unwrap();
    directory.import(&db).await.unwrap();
    (db, dir)
}

async fn person(db: &Db, phone: &str) -> String {
    sqlx::query("SELECT id FROM people WHERE phone = $1").bind(phone).fetch_one(db.pool()).await.unwrap().get("id")
}

/// A ride to a demo place, as the dialog would book it.
async fn ride(db: &Db, phone: &str, office: &str, home: Location, place: &str, appointment: &str) -> NewRide {
    let row = sqlx::query("SELECT name, lat, lon FROM places WHERE id = $1").bind(place).fetch_one(db.pool()).await.unwrap();
    NewRide {
        office_id: office.into(),
        person_id: Some(person(db, phone).await),
        ticket_id: None,
        call_id: None,
        home,
        destination: Location { text: row.get("name"), point: Some(Point { lat: row.get("lat"), lon: row.get("lon") }) },
        destination_place_id: Some(place.into()),
        appointment_at: at(appointment),
        appointment_minutes: 45,
        wheelchair: false,
        rollator: false,
        companion: false,
        return_trip: false,
    }
}

fn verified(text: &str, lat: f64, lon: f64) -> Location {
    Location { text: text.into(), point: Some(Point { lat, lon }) }
}

async fn status(db: &Db, id: &str) -> String {
    sqlx::query("SELECT status FROM ride_requests WHERE id = $1").bind(id).fetch_one(db.pool()).await.unwrap().get("status")
}

async fn count(db: &Db, sql: &'static str, plan_id: &str) -> i64 {
    sqlx::query(sql).bind(plan_id).fetch_one(db.pool()).await.unwrap().get(0)
}

on_both_backends!(a_day_is_planned_and_stored => plan_a_day);

async fn plan_a_day(backend: Backend) {
    let (db, _dir) = database(backend).await;
    // Heinz: his address still has to be checked by staff. Booked first, so that the
    // statements are prepared with missing positions before they are used with some.
    let mut heinz = ride(
        &db,
        "+4923155598765",
        "do-innenstadt-west",
        Location { text: "Lindemannstraße 40".into(), point: None },
        "praxis-westpark",
        "09:30",
    )
    .await;
    heinz.return_trip = true;
    let heinz = store::create(&db, &heinz).await.unwrap();
    // Erika: verified home, family doctor at 9:00, return trip; rollator.
    let mut erika = ride(
        &db,
        "+4923155512345",
        "do-hoerde",
        verified("Faßstraße 12, 44263 Dortmund", 51.4833, 7.5065),
        "hausarzt-phoenix-see",
        "09:00",
    )
    .await;
    (erika.return_trip, erika.rollator) = (true, true);
    let erika = store::create(&db, &erika).await.unwrap();
    let erika_back = erika.return_id.clone().expect("return trip created with the outbound trip");
    // Gisela: wheelchair, eye doctor at 10:00, one way.
    let mut gisela = ride(
        &db,
        "+4923155544321",
        "do-hoerde",
        verified("Wellinghofer Straße 101, 44265 Dortmund", 51.4820, 7.4985),
        "augenarzt-lindner",
        "10:00",
    )
    .await;
    gisela.wheelchair = true;
    let gisela = store::create(&db, &gisela).await.unwrap().outbound_id;
    // A cancelled ride is not planned at all.
    let cancelled =
        ride(&db, "+4923155512345", "do-hoerde", verified("Faßstraße 12", 51.4833, 7.5065), "apotheke-fassstrasse", "11:00").await;
    let cancelled = store::create(&db, &cancelled).await.unwrap().outbound_id;
    sqlx::query("UPDATE ride_requests SET status = 'cancelled' WHERE id = $1").bind(&cancelled).execute(db.pool()).await.unwrap();

    let requests = store::requests_on(&db, day()).await.unwrap();
    assert_eq!(requests.len(), 6);
    let back = requests.iter().find(|r| r.id == erika_back).unwrap();
    assert_eq!(back.return_of.as_deref(), Some(erika.outbound_id.as_str()));
    assert_eq!(back.pickup.text, "Hausarztpraxis am Phoenix-See", "the return trip starts at the practice");
    assert_eq!(requests.iter().find(|r| r.id == gisela).unwrap().seats, 0, "a wheelchair place, not a seat");

    let rules = RidesConfig::default();
    let plan = rides::plan_day(&db, day(), &rules, 1, Duration::from_millis(400)).await.unwrap();

    // Stored stops: pickup and drop-off of each served request, in one vehicle, in order,
    // each inside its window.
    let stops = sqlx::query(
        "SELECT vehicle_id, seq, request_id, kind, arrive_at, depart_at, window_start, window_end FROM ride_stops
         WHERE plan_id = $1 ORDER BY vehicle_id, seq",
    )
    .bind(&plan.id)
    .fetch_all(db.pool())
    .await
    .unwrap();
    assert_eq!(stops.len(), 6);
    let stop = |id: &str, kind: &str| {
        let s = stops.iter().find(|s| s.get::<String, _>("request_id") == id && s.get::<String, _>("kind") == kind).unwrap();
        (s.get::<String, _>("vehicle_id"), s.get::<i64, _>("seq"), s.get::<String, _>("arrive_at"))
    };
    for id in [&erika.outbound_id, &erika_back, &gisela] {
        let (pickup, dropoff) = (stop(id, "pickup"), stop(id, "dropoff"));
        assert_eq!(pickup.0, dropoff.0, "one vehicle per trip");
        assert!(pickup.1 < dropoff.1 && pickup.2 <= dropoff.2, "picked up before dropped off");
    }
    for s in &stops {
        let (t, from, to): (String, String, String) = (s.get("arrive_at"), s.get("window_start"), s.get("window_end"));
        assert!(from <= t && t <= to, "{t} in [{from}, {to}]");
        assert!(s.get::<String, _>("depart_at") > t);
    }
    assert!(stop(&erika.outbound_id, "dropoff").2.as_str() <= "2026-12-03T09:00", "at the doctor's by 9:00");
    assert!(stop(&erika_back, "pickup").2.as_str() >= "2026-12-03T09:45", "picked up after the appointment ends");
    assert_eq!(stop(&gisela, "pickup").0, "hoerde-kleinbus-1", "the only Hörde vehicle with a wheelchair place");

    // Unserved: Heinz's two trips, with the reason; never dropped silently.
    let unserved = sqlx::query("SELECT request_id, code, reason FROM ride_plan_unserved WHERE plan_id = $1 ORDER BY request_id")
        .bind(&plan.id)
        .fetch_all(db.pool())
        .await
        .unwrap();
    let mut expected = vec![heinz.outbound_id.clone(), heinz.return_id.clone().unwrap()];
    expected.sort();
    assert_eq!(unserved.iter().map(|u| u.get::<String, _>("request_id")).collect::<Vec<_>>(), expected);
    for u in &unserved {
        assert_eq!(
            (u.get::<String, _>("code"), u.get::<String, _>("reason")),
            ("address_unverified".into(), "Adresse nicht geprüft".into())
        );
    }

    for id in [&erika.outbound_id, &erika_back, &gisela] {
        assert_eq!(status(&db, id).await, "planned");
    }
    assert_eq!(status(&db, &heinz.outbound_id).await, "requested");
    assert_eq!(status(&db, &cancelled).await, "cancelled");

    let text = rides::report::schedule(&plan);
    assert!(text.starts_with("Fahrplan für Donnerstag, 03.12.2026: 3 Fahrten eingeplant, 2 nicht eingeplant"), "{text}");
    assert!(text.contains("Erika Mustermann") && text.contains("Kleinbus Hörde 1") && text.contains("[Rollator]"), "{text}");
    assert!(
        text.contains("Heinz Beispiel, Termin 09:30, Lindemannstraße 40 -> Gemeinschaftspraxis am Westpark: Adresse nicht geprüft"),
        "{text}"
    );

    // Planning again replaces the plan. Without vehicles in Hörde its requests are no
    // longer planned: reported, and back to verified.
    sqlx::query("UPDATE vehicles SET active = 0 WHERE office_id = 'do-hoerde'").execute(db.pool()).await.unwrap();
    let again = rides::plan_day(&db, day(), &rules, 1, Duration::from_millis(100)).await.unwrap();
    assert_ne!(again.id, plan.id);
    let plans: i64 =
        sqlx::query("SELECT COUNT(*) FROM ride_plans WHERE service_date = $1").bind(DAY).fetch_one(db.pool()).await.unwrap().get(0);
    assert_eq!(plans, 1, "one plan per day");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM ride_stops WHERE plan_id = $1", &plan.id).await, 0, "old stops went with the old plan");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM ride_stops WHERE plan_id = $1", &again.id).await, 0);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM ride_plan_unserved WHERE plan_id = $1", &again.id).await, 5);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM ride_plan_unserved WHERE plan_id = $1 AND code = 'no_vehicle'", &again.id).await, 3);
    assert_eq!(status(&db, &erika.outbound_id).await, "verified");
    db.close().await;
}

on_both_backends!(a_ride_that_will_not_happen_leaves_the_stored_plan => rides_that_will_not_happen_leave_the_plan);

/// Planned rides, then one cancelled on the phone (with its return trip) and one declined
/// by the ride desk: their stops leave the plan, the other rides' stops stay.
async fn rides_that_will_not_happen_leave_the_plan(backend: Backend) {
    let (db, _dir) = database(backend).await;
    let home = verified("Faßstraße 12, 44263 Dortmund", 51.4833, 7.5065);
    let mut erika = ride(&db, "+4923155512345", "do-hoerde", home.clone(), "hausarzt-phoenix-see", "09:00").await;
    erika.return_trip = true;
    let erika = store::create(&db, &erika).await.unwrap();
    let erika_person = person(&db, "+4923155512345").await;
    let gisela =
        ride(&db, "+4923155544321", "do-hoerde", verified("Wellinghofer Straße 101", 51.4820, 7.4985), "augenarzt-lindner", "10:00");
    let gisela = store::create(&db, &gisela.await).await.unwrap().outbound_id;
    let later = ride(&db, "+4923155512345", "do-hoerde", home, "apotheke-fassstrasse", "11:00").await;
    let later = store::create(&db, &later).await.unwrap().outbound_id;
    let plan = rides::plan_day(&db, day(), &RidesConfig::default(), 1, Duration::from_millis(300)).await.unwrap();
    let stops_of = |id: String| {
        let db = db.clone();
        let plan = plan.id.clone();
        async move {
            sqlx::query("SELECT COUNT(*) FROM ride_stops WHERE plan_id = $1 AND request_id = $2")
                .bind(plan)
                .bind(id)
                .fetch_one(db.pool())
                .await
                .unwrap()
                .get::<i64, _>(0)
        }
    };
    for id in [&erika.outbound_id, erika.return_id.as_ref().unwrap(), &gisela, &later] {
        assert_eq!(stops_of(id.clone()).await, 2, "{id} planned");
    }

    assert!(rides::phone::cancel(&db, &erika.outbound_id, &erika_person).await.unwrap());
    rides::desk::decline(&db, &gisela, "dora", "Kein Platz für den Rollstuhl").await.unwrap();
    for id in [&erika.outbound_id, erika.return_id.as_ref().unwrap(), &gisela] {
        assert_eq!(stops_of(id.clone()).await, 0, "{id} left the plan");
    }
    assert_eq!(stops_of(later.clone()).await, 2, "the other ride stays planned");
    assert_eq!(status(&db, &later).await, "planned");
    db.close().await;
}
