//! Reports over real HTTP on SQLite and PostgreSQL: figures bucketed by local day and
//! hour, percentiles of the call-back wait, SVG charts, CSV downloads, and access only
//! for coordinators and admins.

mod common;

use common::staff::{HOERDE, Staff, WEST, add_ride, add_ticket, add_user, assert_matches_schema};
use common::{Backend, spawn_app};
use seniorentelefon::db::{Db, new_id};
use seniorentelefon::domain::tickets::TicketKind;

async fn call(db: &Db, id: &str, started_utc: &str, path: &str, outcome: &str) {
    sqlx::query("INSERT INTO calls (id, transport, started_at, path, outcome) VALUES ($1, 'twilio', $2, $3, $4)")
        .bind(id)
        .bind(started_utc)
        .bind(path)
        .bind(outcome)
        .execute(db.pool())
        .await
        .unwrap();
}

/// A ticket created at `created`, from call `call_id` if given, first attempted at `attempt`.
async fn ticket(db: &Db, postcode: &str, topic: &str, created: &str, call_id: Option<&str>, attempt: Option<&str>) {
    let id = add_ticket(db, TicketKind::Callback, topic, postcode).await;
    sqlx::query("UPDATE tickets SET created_at = $1, call_id = $2 WHERE id = $3")
        .bind(created)
        .bind(call_id)
        .bind(&id)
        .execute(db.pool())
        .await
        .unwrap();
    if let Some(at) = attempt {
        for (i, at) in [at, "2026-11-29T12:00:00.000Z"].into_iter().enumerate() {
            sqlx::query("INSERT INTO ticket_events (id, ticket_id, at, actor, kind, detail) VALUES ($1, $2, $3, 'anna', 'attempt', $4)")
                .bind(new_id())
                .bind(&id)
                .bind(at)
                .bind(format!("Versuch {i}"))
                .execute(db.pool())
                .await
                .unwrap();
        }
    }
}

async fn reports(backend: Backend) {
    let app = spawn_app(backend).await;
    let db = &app.db;
    add_user(db, "clara", "coordinator", None).await;
    add_user(db, "anna", "staff", Some("do-hoerde")).await;
    // Berlin is UTC+1 in November.
    call(db, "c1", "2026-11-20T08:15:00.000Z", "main>callback", "stored").await;
    call(db, "c2", "2026-11-20T08:45:00.000Z", "main>callback", "stored").await;
    call(db, "c3", "2026-11-20T13:05:00.000Z", "main>offers", "caller_hung_up").await;
    // 00:30 on the 21st, local time.
    call(db, "c4", "2026-11-20T23:30:00.000Z", "main>callback", "stored").await;
    call(db, "c5", "2026-11-25T10:00:00.000Z", "main>rides", "caller_hung_up").await;
    // Waits of 30, 60 and 120 minutes (the later attempts do not count).
    ticket(db, HOERDE, "pflege", "2026-11-20T08:17:00.000Z", Some("c1"), Some("2026-11-20T08:45:00.000Z")).await;
    ticket(db, HOERDE, "pflege", "2026-11-20T10:00:00.000Z", None, Some("2026-11-20T11:00:00.000Z")).await;
    ticket(db, WEST, "wohnen", "2026-11-21T10:00:00.000Z", None, Some("2026-11-21T12:00:00.000Z")).await;
    ticket(db, WEST, "wohnen", "2026-11-21T11:00:00.000Z", None, None).await;
    ticket(db, WEST, "wohnen", "2026-11-26T11:00:00.000Z", None, None).await;
    add_ride(db, "do-hoerde", None, "2026-11-21T09:00").await;

    let clara = Staff::sign_in(&app, "clara").await;
    let range = "from=2026-11-20&to=2026-11-21";
    let resp = clara.get(&format!("/api/v1/reports?{range}")).await;
    assert_eq!(resp.status(), 200);
    let r: serde_json::Value = resp.json().await.unwrap();
    assert_matches_schema(&r, "Report");
    assert_eq!(r["calls"], 4);
    assert_eq!(r["calls_per_day"], serde_json::json!([{"label": "2026-11-20", "count": 3}, {"label": "2026-11-21", "count": 1}]));
    let hours = r["calls_per_hour"].as_array().unwrap();
    assert_eq!(hours.len(), 24);
    assert_eq!((hours[9]["count"].as_u64(), hours[14]["count"].as_u64(), hours[0]["count"].as_u64()), (Some(2), Some(1), Some(1)));
    assert_eq!(r["paths"], serde_json::json!([{"label": "main>callback", "count": 3}, {"label": "main>offers", "count": 1}]));
    assert_eq!(r["abandoned"], 1);
    let tickets = r["tickets"].as_array().unwrap();
    assert_eq!(tickets.len(), 2, "{tickets:?}");
    assert!(tickets.iter().any(|t| t["topic"] == "wohnen" && t["count"] == 2));
    assert!(tickets.iter().any(|t| t["topic"] == "pflege" && t["count"] == 2));
    assert_eq!(r["callback_wait"], serde_json::json!({"tickets": 3, "median_minutes": 60, "p90_minutes": 120}));
    assert_eq!(r["rides"], serde_json::json!([{"label": "requested", "count": 2}]));

    let page = clara.get(&format!("/staff/reports?{range}")).await.text().await.unwrap();
    for text in [
        "<svg",
        "role=\"img\"",
        "<title id=\"c-day-title\">Anrufe pro Tag</title>",
        "2026-11-20: 3",
        "60 Minuten",
        "120 Minuten",
        "Pflege und Unterstützung",
    ] {
        assert!(page.contains(text), "{text} missing");
    }
    let csv = clara.get(&format!("/staff/reports/anrufe-pro-tag.csv?{range}")).await;
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert_eq!(csv.text().await.unwrap(), "\u{feff}Tag;Anzahl\r\n2026-11-20;3\r\n2026-11-21;1\r\n");
    let tickets_csv = clara.get(&format!("/staff/reports/anliegen.csv?{range}")).await.text().await.unwrap();
    assert!(tickets_csv.contains("Büro;Thema;Anzahl\r\n") && tickets_csv.contains(";Pflege und Unterstützung;2\r\n"), "{tickets_csv}");
    assert_eq!(clara.get(&format!("/staff/reports/unbekannt.csv?{range}")).await.status(), 404);
    assert_eq!(clara.get("/api/v1/reports?from=2026-11-21&to=2026-11-20").await.status(), 422);

    let anna = Staff::sign_in(&app, "anna").await;
    for path in ["/staff/reports", "/staff/reports/anliegen.csv", "/api/v1/reports"] {
        assert_eq!(anna.get(path).await.status(), 404, "{path} is not for staff");
    }
    let audited: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE actor = 'clara' AND action = 'reports.view'")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert!(audited >= 4);
    app.stop().await;
}

on_both_backends!(reports => reports);
