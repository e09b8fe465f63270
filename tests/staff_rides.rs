//! The ride desk over real HTTP: a day's ride requests by office scope, checking the
//! pickup address, accepting, and declining with a call-back ticket, on SQLite and
//! PostgreSQL.

mod common;

use common::staff::{Staff, add_ride, add_user, assert_matches_schema};
use common::{Backend, TestApp, spawn_app};
use seniorentelefon::db::Db;
use sqlx::Row;

const DAY: &str = "2026-12-10";

async fn person(db: &Db, family: &str) -> (String, String) {
    let r = sqlx::query("SELECT id, phone FROM people WHERE family_name = $1").bind(family).fetch_one(db.pool()).await.unwrap();
    (r.get("id"), r.get("phone"))
}

async fn ride_row(db: &Db, id: &str) -> sqlx::any::AnyRow {
    sqlx::query("SELECT status, pickup_address, pickup_lat, destination, destination_lat FROM ride_requests WHERE id = $1")
        .bind(id)
        .fetch_one(db.pool())
        .await
        .unwrap()
}

async fn return_of(db: &Db, id: &str) -> String {
    sqlx::query_scalar("SELECT id FROM ride_requests WHERE return_of = $1").bind(id).fetch_one(db.pool()).await.unwrap()
}

async fn app_with_desk(backend: Backend) -> (TestApp, String, String) {
    let app = spawn_app(backend).await;
    add_user(&app.db, "dora", "ride_desk", Some("do-hoerde")).await;
    add_user(&app.db, "anna", "staff", Some("do-hoerde")).await;
    add_user(&app.db, "bernd", "staff", Some("do-innenstadt-west")).await;
    let (erika, _) = person(&app.db, "Mustermann").await;
    let (heinz, _) = person(&app.db, "Beispiel").await;
    let hoerde = add_ride(&app.db, "do-hoerde", Some(&erika), &format!("{DAY}T09:00")).await;
    let west = add_ride(&app.db, "do-innenstadt-west", Some(&heinz), &format!("{DAY}T11:30")).await;
    (app, hoerde, west)
}

async fn ride_desk_workflow(backend: Backend) {
    let (app, hoerde, west) = app_with_desk(backend).await;
    let db = &app.db;
    // The address the caller gave is not checked yet.
    sqlx::query("UPDATE ride_requests SET pickup_lat = NULL, pickup_lon = NULL WHERE id = $1")
        .bind(&hoerde)
        .execute(db.pool())
        .await
        .unwrap();

    let dora = Staff::sign_in(&app, "dora").await;
    let day = dora.get(&format!("/staff/rides?date={DAY}")).await.text().await.unwrap();
    assert!(day.contains(&format!("/staff/rides/{hoerde}")) && day.contains(&format!("/staff/rides/{west}")), "desk sees every office");
    assert!(day.contains("nicht geprüft") && day.contains("09:00 Uhr") && day.contains("Rückfahrt"));
    let listed: serde_json::Value = dora.get(&format!("/api/v1/rides?date={DAY}")).await.json().await.unwrap();
    assert_eq!(listed["rides"].as_array().unwrap().len(), 4, "two trips with their return trips");
    assert_matches_schema(&listed["rides"][0], "Ride");
    assert_eq!(dora.get("/api/v1/rides?date=10.12.").await.status(), 422);

    let ride = |what: &str| format!("/staff/rides/{hoerde}{what}");
    assert_eq!(dora.post_form(&ride("/accept"), &[]).await.status(), 422, "address not verified yet");
    let bad = dora.post_form(&ride("/pickup"), &[("address", "Faßstraße 14"), ("lat", "viel"), ("lon", "7,5")]).await;
    assert_eq!(bad.status(), 422);
    let ok = dora.post_form(&ride("/pickup"), &[("address", "Faßstraße 14, 44263 Dortmund"), ("lat", "51,4840"), ("lon", "7,5070")]).await;
    assert_eq!(ok.status(), 303);
    let r = ride_row(db, &hoerde).await;
    assert_eq!(r.get::<String, _>("pickup_address"), "Faßstraße 14, 44263 Dortmund");
    assert_eq!(r.get::<Option<f64>, _>("pickup_lat"), Some(51.484));
    let back = ride_row(db, &return_of(db, &hoerde).await).await;
    assert_eq!(back.get::<String, _>("destination"), "Faßstraße 14, 44263 Dortmund", "the return trip ends at the checked address");
    assert_eq!(back.get::<Option<f64>, _>("destination_lat"), Some(51.484));
    assert_eq!(dora.post_form(&ride("/accept"), &[]).await.status(), 303);
    assert_eq!(ride_row(db, &hoerde).await.get::<String, _>("status"), "verified");
    assert_eq!(dora.post_form(&ride("/accept"), &[]).await.status(), 409, "accepted already");
    assert!(dora.get(&ride("")).await.text().await.unwrap().contains("angenommen"));

    // Declining: the reason is required; the person's office gets a call-back ticket.
    let decline = format!("/api/v1/rides/{west}/decline");
    assert_eq!(dora.post_json(&decline, serde_json::json!({"reason": "  "})).await.status(), 422);
    let resp = dora.post_json(&decline, serde_json::json!({"reason": "Kein Fahrzeug mit Platz frei"})).await;
    assert_eq!(resp.status(), 200);
    let declined: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(declined["ride"]["status"], "declined");
    assert_matches_schema(&declined["ride"], "Ride");
    let ticket = declined["callback_ticket_id"].as_str().unwrap().to_string();
    assert_eq!(ride_row(db, &return_of(db, &west).await).await.get::<String, _>("status"), "declined", "its return trip too");
    let t = sqlx::query("SELECT kind, office_id, topic, callback_number, person_id, status FROM tickets WHERE id = $1")
        .bind(&ticket)
        .fetch_one(db.pool())
        .await
        .unwrap();
    let (heinz, heinz_phone) = person(db, "Beispiel").await;
    assert_eq!(t.get::<String, _>("kind"), "callback");
    assert_eq!(t.get::<String, _>("office_id"), "do-innenstadt-west");
    assert_eq!(t.get::<String, _>("topic"), "Fahrt abgelehnt");
    assert_eq!(t.get::<Option<String>, _>("callback_number"), Some(heinz_phone));
    assert_eq!(t.get::<Option<String>, _>("person_id"), Some(heinz));
    let created = sqlx::query("SELECT actor, detail FROM ticket_events WHERE ticket_id = $1 AND kind = 'created'")
        .bind(&ticket)
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(created.get::<String, _>("actor"), "dora");
    let detail: String = created.get("detail");
    assert!(detail.contains("Kein Fahrzeug mit Platz frei") && detail.contains("10.12.2026 11:30"), "{detail}");
    assert_eq!(dora.post_json(&decline, serde_json::json!({"reason": "noch mal"})).await.status(), 409);

    // West's staff find the call-back in their queue.
    let bernd = Staff::sign_in(&app, "bernd").await;
    let queue: serde_json::Value = bernd.get("/api/v1/tickets").await.json().await.unwrap();
    assert!(queue["tickets"].as_array().unwrap().iter().any(|t| t["id"] == ticket.as_str()), "{queue}");

    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE actor = 'dora' ORDER BY at, id").fetch_all(db.pool()).await.unwrap();
    for a in ["rides.list", "ride.pickup", "ride.accept", "ride.view", "ride.decline"] {
        assert!(actions.iter().any(|x| x == a), "{a} not audited: {actions:?}");
    }
    app.stop().await;
}

on_both_backends!(ride_desk_workflow => ride_desk_workflow);

#[tokio::test]
async fn staff_see_only_their_office_rides() {
    let (app, hoerde, west) = app_with_desk(Backend::Sqlite).await;
    let anna = Staff::sign_in(&app, "anna").await;
    let day = anna.get(&format!("/staff/rides?date={DAY}")).await.text().await.unwrap();
    assert!(day.contains(&format!("/staff/rides/{hoerde}")));
    assert!(!day.contains(&format!("/staff/rides/{west}")), "another office's ride listed");
    for path in [format!("/staff/rides/{west}"), format!("/api/v1/rides/{west}")] {
        assert_eq!(anna.get(&path).await.status(), 404, "{path}");
    }
    assert_eq!(anna.post_form(&format!("/staff/rides/{west}/decline"), &[("reason", "x")]).await.status(), 404);
    assert_eq!(anna.post_json(&format!("/api/v1/rides/{west}/accept"), serde_json::json!({})).await.status(), 404);
    let status: String =
        sqlx::query_scalar("SELECT status FROM ride_requests WHERE id = $1").bind(&west).fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(status, "requested");
    app.stop().await;
}
