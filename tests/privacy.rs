//! Data protection: the retention purge of voice messages, and a person's export and
//! erasure through the staff workspace and API, on SQLite and PostgreSQL.

mod common;

use chrono::{Duration, Utc};
use common::staff::{HOERDE, Staff, add_ticket, add_user, assert_matches_schema};
use common::{Backend, TestApp, spawn_app, spawn_app_with};
use seniorentelefon::db::{Db, timestamp};
use seniorentelefon::domain::tickets::TicketKind;
use seniorentelefon::privacy::retention;
use sqlx::Row;

async fn set(db: &Db, sql: &str, id: &str, value: &str) {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).bind(id).bind(value).execute(db.pool()).await.unwrap();
}

async fn event_kinds(db: &Db, ticket: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT kind FROM ticket_events WHERE ticket_id = $1 ORDER BY at, id")
        .bind(ticket)
        .fetch_all(db.pool())
        .await
        .unwrap()
}

async fn voice_columns(db: &Db, ticket: &str) -> (Option<String>, Option<String>) {
    let r =
        sqlx::query("SELECT message_audio_path, transcript FROM tickets WHERE id = $1").bind(ticket).fetch_one(db.pool()).await.unwrap();
    (r.get("message_audio_path"), r.get("transcript"))
}

/// A ticket created `age` ago with a voice message file in the data directory.
async fn ticket_with_voice(app: &TestApp, name: &str, age: Duration) -> (String, std::path::PathBuf) {
    let id = add_ticket(&app.db, TicketKind::Callback, "pflege", HOERDE).await;
    let data_dir = &app.state.config.server.data_dir;
    std::fs::create_dir_all(data_dir.join("messages")).unwrap();
    let file = data_dir.join("messages").join(format!("{name}.wav"));
    std::fs::write(&file, b"RIFF").unwrap();
    set(&app.db, "UPDATE tickets SET message_audio_path = $2 WHERE id = $1", &id, &format!("messages/{name}.wav")).await;
    set(&app.db, "UPDATE tickets SET transcript = $2 WHERE id = $1", &id, "Bitte rufen Sie mich wegen der Pflege an").await;
    set(&app.db, "UPDATE tickets SET created_at = $2 WHERE id = $1", &id, &timestamp(Utc::now() - age)).await;
    (id, file)
}

async fn retention_purges_only_expired_voice_messages(backend: Backend) {
    // The server's own job keeps ten years here, so only this test's calls purge.
    let app = spawn_app_with(backend, &[("HOTLINE_PRIVACY_VOICE_RETENTION_DAYS", "3650")]).await;
    let data_dir = app.state.config.server.data_dir.clone();
    let (old, old_file) = ticket_with_voice(&app, "old", Duration::days(31)).await;
    let (recent, recent_file) = ticket_with_voice(&app, "recent", Duration::days(29)).await;
    // A stored path leading outside the data directory is cleared but its file not touched.
    let outside_dir = tempfile::tempdir().unwrap();
    let outside = outside_dir.path().join("foreign.wav");
    std::fs::write(&outside, b"RIFF").unwrap();
    let (escaping, _) = ticket_with_voice(&app, "escaping", Duration::days(40)).await;
    set(&app.db, "UPDATE tickets SET message_audio_path = $2 WHERE id = $1", &escaping, &outside.display().to_string()).await;

    let now = Utc::now();
    assert_eq!(retention::purge(&app.db, &data_dir, Duration::days(30), now).await.unwrap(), 2);
    assert!(!old_file.exists(), "expired voice message file deleted");
    assert_eq!(voice_columns(&app.db, &old).await, (None, None));
    assert_eq!(event_kinds(&app.db, &old).await, ["created", "purged"]);
    let detail: String = sqlx::query_scalar("SELECT detail FROM ticket_events WHERE ticket_id = $1 AND kind = 'purged'")
        .bind(&old)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert!(detail.contains("30 Tagen"), "{detail}");
    assert!(outside.exists(), "a file outside the data directory is never deleted");
    assert_eq!(voice_columns(&app.db, &escaping).await, (None, None));

    assert!(recent_file.exists());
    assert!(voice_columns(&app.db, &recent).await.1.is_some());
    assert_eq!(event_kinds(&app.db, &recent).await, ["created"]);

    // Nothing left to do: a second run changes nothing and writes no second event.
    assert_eq!(retention::purge(&app.db, &data_dir, Duration::days(30), now).await.unwrap(), 0);
    assert_eq!(event_kinds(&app.db, &old).await, ["created", "purged"]);
    // Two days later the other one has expired too.
    assert_eq!(retention::purge(&app.db, &data_dir, Duration::days(30), now + Duration::days(2)).await.unwrap(), 1);
    assert!(!recent_file.exists());
    app.stop().await;
}

on_both_backends!(retention_purges_only_expired_voice_messages => retention_purges_only_expired_voice_messages);

#[tokio::test]
async fn the_job_purges_at_once_when_started() {
    let app = spawn_app_with(Backend::Sqlite, &[("HOTLINE_PRIVACY_VOICE_RETENTION_DAYS", "3650")]).await;
    let (old, file) = ticket_with_voice(&app, "old", Duration::days(31)).await;
    let job = tokio::spawn(retention::run(app.db.clone(), app.state.config.server.data_dir.clone(), Duration::days(30)));
    for _ in 0..100 {
        if voice_columns(&app.db, &old).await == (None, None) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    job.abort();
    assert_eq!(voice_columns(&app.db, &old).await, (None, None));
    assert!(!file.exists());
    app.stop().await;
}

const PHONE: &str = "+4923155599999";

/// Frieda Beispiel with a caregiver, a ticket with voice message and note, a call, a
/// booking and a ride (with its return trip). Returns (person id, ticket id, audio file).
async fn person_with_history(app: &TestApp) -> (String, String, std::path::PathBuf) {
    let db = &app.db;
    let person = seniorentelefon::db::new_id();
    let ts = seniorentelefon::db::now();
    sqlx::query(
        "INSERT INTO people (id, given_name, family_name, phone, street, postcode, city, office_id, created_at, updated_at)
         VALUES ($1, 'Frieda', 'Beispiel', $2, 'Hörder Bahnhofstraße 3', '44263', 'Dortmund', 'do-hoerde', $3, $3)",
    )
    .bind(&person)
    .bind(PHONE)
    .bind(&ts)
    .execute(db.pool())
    .await
    .unwrap();
    sqlx::query("INSERT INTO caregivers (id, person_id, name, phone, created_at) VALUES ('cg1', $1, 'Sohn Klaus', '+491701234567', $2)")
        .bind(&person)
        .bind(&ts)
        .execute(db.pool())
        .await
        .unwrap();
    sqlx::query("INSERT INTO calls (id, transport, caller, person_id, started_at, path, outcome) VALUES ('call1', 'twilio', $1, $2, $3, 'main>callback', 'stored')")
        .bind(PHONE)
        .bind(&person)
        .bind(&ts)
        .execute(db.pool())
        .await
        .unwrap();
    let (ticket, file) = ticket_with_voice(app, "frieda", Duration::days(1)).await;
    sqlx::query("UPDATE tickets SET person_id = $1, callback_number = $2, call_id = 'call1' WHERE id = $3")
        .bind(&person)
        .bind(PHONE)
        .bind(&ticket)
        .execute(db.pool())
        .await
        .unwrap();
    seniorentelefon::domain::tickets::add_note(db, &ticket, "anna", "Frieda hat Schmerzen im Knie").await.unwrap();
    sqlx::query(
        "INSERT INTO offers (id, office_id, category, title, provider, venue, address, postcode, lat, lon, capacity, created_at, updated_at)
         VALUES ('gym', 'do-hoerde', 'bewegung', 'Sitzgymnastik', 'AWO', 'im Treff', 'Weg 1', '44263', 51.5, 7.5, 10, $1, $1)",
    )
    .bind(&ts)
    .execute(db.pool())
    .await
    .unwrap();
    sqlx::query("INSERT INTO offer_dates (id, offer_id, starts_at, ends_at, seats_taken, created_at, updated_at) VALUES ('gym1', 'gym', '2026-12-10T10:00', '2026-12-10T11:00', 1, $1, $1)")
        .bind(&ts)
        .execute(db.pool())
        .await
        .unwrap();
    sqlx::query("INSERT INTO bookings (id, offer_date_id, person_id, phone, seats, created_at) VALUES ('b1', 'gym1', $1, $2, 1, $3)")
        .bind(&person)
        .bind(PHONE)
        .bind(&ts)
        .execute(db.pool())
        .await
        .unwrap();
    common::staff::add_ride(db, "do-hoerde", Some(&person), "2026-12-10T09:00").await;
    (person, ticket, file)
}

async fn audit(app: &TestApp, action: &str) -> Vec<(String, String)> {
    sqlx::query("SELECT actor, object_id FROM audit_log WHERE action = $1 ORDER BY at, id")
        .bind(action)
        .fetch_all(app.db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get("actor"), r.get("object_id")))
        .collect()
}

async fn export_and_erase_one_person(backend: Backend) {
    let app = spawn_app(backend).await;
    add_user(&app.db, "anna", "staff", Some("do-hoerde")).await;
    add_user(&app.db, "clara", "coordinator", None).await;
    let (person, ticket, file) = person_with_history(&app).await;
    // Someone else's ticket, which must come through unchanged.
    let other = add_ticket(&app.db, TicketKind::Callback, "wohnen", HOERDE).await;
    seniorentelefon::domain::tickets::add_note(&app.db, &other, "anna", "Herr Müller braucht Hilfe").await.unwrap();

    let anna = Staff::sign_in(&app, "anna").await;
    for path in [format!("/staff/people/{person}/export"), format!("/api/v1/people/{person}/export")] {
        assert_eq!(anna.get(&path).await.status(), 404, "{path} is not for staff");
    }
    // Staff of her office keep her caregivers, but answer no data protection requests.
    let page = anna.get(&format!("/staff/people/{person}")).await.text().await.unwrap();
    assert!(page.contains("Sohn Klaus") && !page.contains("Endgültig löschen"), "{page}");
    assert_eq!(anna.post_json(&format!("/api/v1/people/{person}/erase"), serde_json::json!({"confirm": true})).await.status(), 404);

    let clara = Staff::sign_in(&app, "clara").await;
    let found: serde_json::Value = clara.get("/api/v1/people?q=frieda").await.json().await.unwrap();
    assert_eq!(found["people"][0]["id"], person.as_str());
    assert_matches_schema(&found["people"][0], "PersonListing");
    let page = clara.get("/staff/people?q=Frieda").await.text().await.unwrap();
    assert!(page.contains(&format!("/staff/people/{person}")), "search page links the person");
    assert!(clara.get(&format!("/staff/people/{person}")).await.text().await.unwrap().contains("Endgültig löschen"));

    let download = clara.get(&format!("/staff/people/{person}/export")).await;
    assert_eq!(download.status(), 200);
    assert!(download.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    let doc: serde_json::Value = download.json().await.unwrap();
    assert_matches_schema(&doc, "PersonExport");
    assert_eq!(doc["person"]["family_name"], "Beispiel");
    assert_eq!(doc["caregivers"][0]["phone"], "+491701234567");
    assert!(doc["caregivers"][0].get("pin_hash").is_none(), "a PIN's hash is no one's business");
    assert_eq!(doc["tickets"].as_array().unwrap().len(), 1, "only Frieda's ticket: {}", doc["tickets"]);
    assert_eq!(doc["tickets"][0]["transcript"], "Bitte rufen Sie mich wegen der Pflege an");
    assert!(doc["ticket_events"].as_array().unwrap().iter().any(|e| e["detail"] == "Frieda hat Schmerzen im Knie"));
    assert_eq!(doc["calls"][0]["id"], "call1");
    assert_eq!(doc["bookings"][0]["seats"], 1);
    assert_eq!(doc["rides"].as_array().unwrap().len(), 2, "outbound and return trip");
    assert!(doc["rides"][0]["pickup_lat"].is_f64());

    let unconfirmed = clara.post_form(&format!("/staff/people/{person}/erase"), &[]).await;
    assert_eq!(unconfirmed.status(), 422);
    let erased = clara.post_form(&format!("/staff/people/{person}/erase"), &[("confirm", "ja")]).await;
    assert_eq!(erased.status(), 303);

    let db = &app.db;
    let people: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM people WHERE id = $1").bind(&person).fetch_one(db.pool()).await.unwrap();
    let caregivers: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM caregivers WHERE person_id = $1").bind(&person).fetch_one(db.pool()).await.unwrap();
    assert_eq!((people, caregivers), (0, 0));
    let t = sqlx::query("SELECT person_id, callback_number, transcript, message_audio_path, topic, office_id FROM tickets WHERE id = $1")
        .bind(&ticket)
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(t.get::<Option<String>, _>("person_id"), None);
    assert_eq!(t.get::<Option<String>, _>("callback_number"), None);
    assert_eq!(t.get::<Option<String>, _>("transcript"), None);
    assert_eq!(t.get::<Option<String>, _>("message_audio_path"), None);
    assert_eq!((t.get::<String, _>("topic"), t.get::<String, _>("office_id")), ("pflege".into(), "do-hoerde".into()), "statistics stay");
    assert!(!file.exists(), "voice message file deleted");
    let details: Vec<String> = sqlx::query_scalar("SELECT detail FROM ticket_events WHERE ticket_id = $1 AND kind = 'note'")
        .bind(&ticket)
        .fetch_all(db.pool())
        .await
        .unwrap();
    assert_eq!(details, [""]);
    assert_eq!(event_kinds(db, &ticket).await.last().unwrap(), "erased");
    let call = sqlx::query("SELECT caller, person_id, path FROM calls WHERE id = 'call1'").fetch_one(db.pool()).await.unwrap();
    assert_eq!((call.get::<Option<String>, _>("caller"), call.get::<Option<String>, _>("person_id")), (None, None));
    assert_eq!(call.get::<String, _>("path"), "main>callback");
    let booking = sqlx::query("SELECT person_id, phone, seats FROM bookings WHERE id = 'b1'").fetch_one(db.pool()).await.unwrap();
    assert_eq!(booking.get::<Option<String>, _>("person_id"), None);
    assert_eq!(booking.get::<String, _>("phone"), seniorentelefon::privacy::person::ERASED);
    let rides = sqlx::query("SELECT pickup_address, pickup_lat, status FROM ride_requests").fetch_all(db.pool()).await.unwrap();
    assert_eq!(rides.len(), 2);
    for r in &rides {
        assert_eq!(r.get::<String, _>("pickup_address"), seniorentelefon::privacy::person::ERASED);
        assert_eq!(r.get::<Option<f64>, _>("pickup_lat"), None);
        assert_eq!(r.get::<String, _>("status"), "cancelled");
    }
    // Nothing of anybody else changed.
    let other_notes: Vec<String> = sqlx::query_scalar("SELECT detail FROM ticket_events WHERE ticket_id = $1 AND kind = 'note'")
        .bind(&other)
        .fetch_all(db.pool())
        .await
        .unwrap();
    assert_eq!(other_notes, ["Herr Müller braucht Hilfe"]);
    let erika: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM people WHERE family_name = 'Mustermann'").fetch_one(db.pool()).await.unwrap();
    assert_eq!(erika, 1);

    assert_eq!(clara.get(&format!("/api/v1/people/{person}/export")).await.status(), 404, "gone");
    assert_eq!(audit(&app, "person.export").await, [("clara".to_string(), person.clone())]);
    assert_eq!(audit(&app, "person.erase").await, [("clara".to_string(), person.clone())]);
    let viewed_by: Vec<String> = audit(&app, "person.view").await.into_iter().map(|(actor, _)| actor).collect();
    assert_eq!(viewed_by, ["anna", "clara"]);
    app.stop().await;
}

on_both_backends!(export_and_erase_one_person => export_and_erase_one_person);

#[tokio::test]
async fn erase_through_the_api_needs_confirmation_and_reports_counts() {
    let app = spawn_app(Backend::Sqlite).await;
    add_user(&app.db, "adam", "admin", None).await;
    let (person, _, _) = person_with_history(&app).await;
    let admin = Staff::sign_in(&app, "adam").await;
    let path = format!("/api/v1/people/{person}/erase");
    assert_eq!(admin.post_json(&path, serde_json::json!({"confirm": false})).await.status(), 422);
    let resp = admin.post_json(&path, serde_json::json!({"confirm": true})).await;
    assert_eq!(resp.status(), 200);
    let counts: serde_json::Value = resp.json().await.unwrap();
    assert_matches_schema(&counts, "Erased");
    assert_eq!(counts, serde_json::json!({"tickets": 1, "calls": 1, "bookings": 1, "rides": 2, "caregivers": 1}));
    assert_eq!(admin.post_json(&path, serde_json::json!({"confirm": true})).await.status(), 404);
    app.stop().await;
}
