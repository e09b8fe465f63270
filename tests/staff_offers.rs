//! Offers management over real HTTP: seats per date (never below what is booked),
//! calling off a date with call-backs for everyone who booked, office scope, and the
//! offers file import with its line-by-line preview.

mod common;

use common::staff::{Staff, add_user, assert_matches_schema};
use common::{Backend, TestApp, spawn_app};
use sqlx::Row;

async fn exec(app: &TestApp, sql: &str) {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).execute(app.db.pool()).await.unwrap();
}

/// Gymnastics in Hörde (12 seats, booking required) with a date far ahead on which two
/// bookings hold 3 seats; a meeting in West.
async fn app_with_offers(backend: Backend) -> TestApp {
    let app = spawn_app(backend).await;
    add_user(&app.db, "anna", "staff", Some("do-hoerde")).await;
    add_user(&app.db, "clara", "coordinator", None).await;
    add_user(&app.db, "dora", "ride_desk", Some("do-hoerde")).await;
    let offer = |id: &str, office: &str, title: &str| {
        format!(
            "INSERT INTO offers (id, office_id, category, title, provider, venue, address, postcode, lat, lon, capacity, booking_required, created_at, updated_at)
             VALUES ('{id}', '{office}', 'bewegung', '{title}', 'AWO', 'im Treff', 'Weg 1', '44263', 51.5, 7.5, 12, 1, 'x', 'x')"
        )
    };
    exec(&app, &offer("gym", "do-hoerde", "Gymnastik im Sitzen")).await;
    exec(&app, &offer("treff", "do-innenstadt-west", "Erzählcafé")).await;
    exec(&app, "INSERT INTO offer_dates (id, offer_id, starts_at, ends_at, seats_taken, created_at, updated_at) VALUES ('gym1', 'gym', '2099-01-06T10:00', '2099-01-06T11:00', 3, 'x', 'x')").await;
    exec(&app, "INSERT INTO bookings (id, offer_date_id, phone, seats, created_at) VALUES ('b1', 'gym1', '+4923155512345', 2, 'x')").await;
    exec(&app, "INSERT INTO bookings (id, offer_date_id, phone, seats, created_at) VALUES ('b2', 'gym1', '+4923155544321', 1, 'y')").await;
    app
}

async fn capacity_and_cancelled_dates(backend: Backend) {
    let app = app_with_offers(backend).await;
    let anna = Staff::sign_in(&app, "anna").await;
    let list = anna.get("/staff/offers").await.text().await.unwrap();
    assert!(list.contains("Gymnastik im Sitzen") && !list.contains("Erzählcafé"), "only Hörde's offers");
    assert_eq!(anna.get("/staff/offers/treff").await.status(), 404);
    assert_eq!(anna.post_form("/staff/offers/treff/capacity", &[("capacity", "5")]).await.status(), 404);

    assert_eq!(anna.post_form("/staff/offers/gym/capacity", &[("capacity", "2")]).await.status(), 409, "3 seats are booked");
    assert_eq!(anna.post_form("/staff/offers/gym/capacity", &[("capacity", "")]).await.status(), 422, "booking needs seats");
    assert_eq!(anna.post_form("/staff/offers/gym/capacity", &[("capacity", "zwölf")]).await.status(), 422);
    assert_eq!(anna.post_form("/staff/offers/gym/capacity", &[("capacity", "3")]).await.status(), 303);
    let resp = anna.post_json("/api/v1/offers/gym/capacity", serde_json::json!({"capacity": 8})).await;
    assert_eq!(resp.status(), 200);
    let offer: serde_json::Value = resp.json().await.unwrap();
    assert_matches_schema(&offer, "Offer");
    assert_eq!(offer["capacity"], 8);
    assert_eq!(anna.post_json("/api/v1/offers/gym/capacity", serde_json::json!({"capacity": 0})).await.status(), 422);

    let page = anna.get("/staff/offers/gym").await.text().await.unwrap();
    assert!(page.contains("2099-01-06 um 10:00 Uhr"), "upcoming date listed");
    let cancel = anna.post_form("/staff/offers/gym/dates/gym1/cancel", &[("reason", "Kursleiterin krank")]).await;
    assert_eq!(cancel.status(), 303);
    let status: String = sqlx::query_scalar("SELECT status FROM offer_dates WHERE id = 'gym1'").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(status, "cancelled");
    let tickets = sqlx::query("SELECT t.kind, t.office_id, t.callback_number, e.actor, e.detail FROM tickets t JOIN ticket_events e ON e.ticket_id = t.id WHERE t.topic = 'Termin abgesagt' ORDER BY t.callback_number")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    assert_eq!(tickets.len(), 2, "one call-back per booking");
    assert_eq!(tickets[0].get::<Option<String>, _>("callback_number").as_deref(), Some("+4923155512345"));
    for t in &tickets {
        assert_eq!((t.get::<String, _>("kind"), t.get::<String, _>("office_id")), ("booking".into(), "do-hoerde".into()));
        assert_eq!(t.get::<String, _>("actor"), "anna");
        let detail: String = t.get("detail");
        assert!(detail.contains("06.01.2099 10:00") && detail.contains("Kursleiterin krank"), "{detail}");
    }
    assert_eq!(anna.post_json("/api/v1/offers/gym/dates/gym1/cancel", serde_json::json!({})).await.status(), 409, "cancelled already");
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE actor = 'anna'").fetch_all(app.db.pool()).await.unwrap();
    assert!(actions.iter().any(|a| a == "offer.capacity") && actions.iter().any(|a| a == "offer.cancel_date"), "{actions:?}");
    app.stop().await;
}

on_both_backends!(capacity_and_cancelled_dates => capacity_and_cancelled_dates);

#[tokio::test]
async fn import_previews_every_bad_line_and_imports_a_clean_file() {
    let app = app_with_offers(Backend::Sqlite).await;
    let good = std::fs::read_to_string(common::root().join("scripts/demo/offers.csv")).unwrap();
    let bad = good.replacen(",bewegung,Gymnastik im Sitzen,", ",sport,Gymnastik im Sitzen,", 1).replacen(",14:00,16:00", ",16:00,14:00", 1);
    assert_ne!(bad, good);

    let anna = Staff::sign_in(&app, "anna").await;
    assert_eq!(anna.get("/staff/offers/import").await.status(), 404, "staff do not import");
    let dora = Staff::sign_in(&app, "dora").await;
    assert_eq!(dora.get("/staff/offers").await.status(), 404, "the ride desk has no offers");

    let clara = Staff::sign_in(&app, "clara").await;
    assert_eq!(clara.get("/staff/offers/import").await.status(), 200);
    let count = || async { sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM offers").fetch_one(app.db.pool()).await.unwrap() };
    let preview = clara.post_form("/staff/offers/import", &[("csv", &bad), ("step", "preview")]).await.text().await.unwrap();
    assert!(preview.contains("2 Fehler"), "{preview}");
    assert!(preview.contains("<td>5</td>") && preview.contains("<td>6</td>"), "errors by line");
    let refused = clara.post_form("/staff/offers/import", &[("csv", &bad), ("step", "import")]).await.text().await.unwrap();
    assert!(refused.contains("nichts wurde eingelesen"));
    assert_eq!(count().await, 2, "nothing imported");

    let checked = clara.post_form("/staff/offers/import", &[("csv", &good), ("step", "preview")]).await.text().await.unwrap();
    assert!(checked.contains("keine Fehler") && checked.contains("value=\"import\""));
    assert_eq!(count().await, 2, "a preview stores nothing");
    let done = clara.post_form("/staff/offers/import", &[("csv", &good), ("step", "import")]).await.text().await.unwrap();
    assert!(done.contains("Eingelesen:"), "{done}");
    assert!(count().await > 2);
    app.stop().await;
}
