//! A ride booked on the phone ends up in the day's plan: Erika (registered, address
//! checked) calls, books a ride to her eye doctor (the first place read out) with a return trip by keypad, the ticket and
//! both ride requests are stored together, and the dispatcher plans them into a vehicle's
//! route, checked by the independent validator.

mod common;

use common::{Backend, ended_call, spawn_app};
use seniorentelefon::caller::dial;
use seniorentelefon::config::RidesConfig;
use seniorentelefon::rides;
use sqlx::Row;
use std::time::Duration;

const ERIKA: &str = "+4923155512345";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ride_booked_by_phone_is_planned() {
    let app = spawn_app(Backend::Sqlite).await;
    let day = app.state.config.dialog.local_now().date() + chrono::Duration::days(2);
    let typed_day = day.format("%d%m").to_string();
    // Type-ahead like a practised caller: each answer over the question's first words.
    let typed = |digits: &str| digits.chars().map(|k| format!("bargein:{k} pause:150")).collect::<Vec<_>>().join(" ");
    // Ride, first place, the day, 9:30, return trip yes, no wheelchair, no companion, then
    // the summary is heard to the end and confirmed.
    let script = format!(
        "pause:1500 bargein:2 pause:2500 bargein:1 pause:1500 {} pause:1500 {} pause:1500 bargein:1 pause:1500 bargein:2 pause:1500 bargein:2 key:1",
        typed(&typed_day),
        typed("0930")
    );
    let report = dial(&app.caller(ERIKA, &script), None).await.unwrap();
    assert!(report.hung_up_by_hotline, "{:#?}", report.lines);
    let (call_id, path, outcome) = ended_call(&app.db, &report.call_id).await;
    assert_eq!(outcome, "ticket_created", "{path}");
    assert!(path.starts_with("main>ride>ride:place:augenarzt-lindner>ride:date>ride:time>ride:return:yes"), "{path}");

    let ticket = sqlx::query("SELECT id, kind, office_id, call_id FROM tickets").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(ticket.get::<String, _>("kind"), "ride");
    assert_eq!(ticket.get::<String, _>("office_id"), "do-hoerde");
    assert_eq!(ticket.get::<Option<String>, _>("call_id").as_deref(), Some(call_id.as_str()));
    let requests = sqlx::query(
        "SELECT id, direction, ticket_id, appointment_at, pickup_lat, rollator, wheelchair FROM ride_requests ORDER BY direction",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert_eq!(requests.len(), 2, "the trip there and the return trip");
    assert_eq!(requests[0].get::<String, _>("direction"), "outbound");
    assert_eq!(requests[1].get::<String, _>("direction"), "return");
    for r in &requests {
        assert_eq!(r.get::<Option<String>, _>("ticket_id"), Some(ticket.get("id")));
        assert_eq!(r.get::<String, _>("appointment_at"), format!("{day}T09:30"));
        assert!(r.get::<Option<f64>, _>("pickup_lat").is_some(), "positions known: plannable at once");
        assert_eq!((r.get::<i64, _>("rollator"), r.get::<i64, _>("wheelchair")), (1, 0), "her rollator is on file");
    }

    let plan = rides::plan_day(&app.db, day, &RidesConfig::default(), 1, Duration::from_secs(2)).await.unwrap();
    let ids: Vec<String> = requests.iter().map(|r| r.get("id")).collect();
    for id in &ids {
        let stops: Vec<_> = plan.rows.stops.iter().filter(|s| &s.request_id == id).collect();
        assert_eq!(stops.len(), 2, "pickup and drop-off of {id} are planned: {:?}", plan.rows.unserved);
    }
    let outbound_drop = plan.rows.stops.iter().find(|s| s.request_id == ids[0] && s.arrive_at > s.window_start).map(|s| s.arrive_at);
    assert!(outbound_drop.is_some_and(|t| t <= day.and_hms_opt(9, 30, 0).unwrap()), "she arrives by 9:30");
    let statuses: Vec<String> = sqlx::query_scalar("SELECT status FROM ride_requests").fetch_all(app.db.pool()).await.unwrap();
    assert_eq!(statuses, ["planned", "planned"]);
    app.stop().await;
}

/// Erika has moved to another part of town but is still with the Hörde office: its ride
/// service does not drive there. She is told so, and the office plans with her by phone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_home_outside_the_service_area_is_explained_and_planned_by_phone() {
    let app = spawn_app(Backend::Sqlite).await;
    sqlx::query("UPDATE people SET postcode = '44137' WHERE phone = $1").bind(ERIKA).execute(app.db.pool()).await.unwrap();
    let report = dial(&app.caller(ERIKA, "pause:1500 bargein:2 key:1"), None).await.unwrap();
    let heard: Vec<&str> = report.played.iter().map(|p| p.prompt.as_str()).collect();
    assert_eq!(heard, ["ride_outside_area", "ride_by_callback", "confirm_number", "request_received", "goodbye"], "{:#?}", report.lines);
    let (_, path, outcome) = ended_call(&app.db, &report.call_id).await;
    assert_eq!((path.as_str(), outcome.as_str()), ("main>ride>ride:outside_area>number:ok>stored", "ticket_created"));
    let rides: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ride_requests").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(rides, 0, "no ride request without the office");
    let ticket = sqlx::query("SELECT kind, office_id FROM tickets").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!((ticket.get::<String, _>("kind"), ticket.get::<String, _>("office_id")), ("ride".into(), "do-hoerde".into()));
    app.stop().await;
}
