//! The staff workspace over real HTTP: sign-in, sessions, CSRF, rate limits, office
//! isolation on every route, claiming under concurrency, and the ticket workflow.

mod common;

use common::staff::{HOERDE, PASSWORD, Staff, WEST, add_ticket, add_user, phone_ticket, set_cookie, submit_login};
use common::{Backend, TestApp, spawn_app};
use seniorentelefon::domain::tickets::{self, NewTicket, TicketKind};
use sqlx::Row;

async fn app_with_staff(backend: Backend) -> TestApp {
    let app = spawn_app(backend).await;
    add_user(&app.db, "anna", "staff", Some("do-hoerde")).await;
    add_user(&app.db, "bernd", "staff", Some("do-innenstadt-west")).await;
    app
}

async fn audit_actions(app: &TestApp, actor: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT action FROM audit_log WHERE actor = $1 ORDER BY at, id").bind(actor).fetch_all(app.db.pool()).await.unwrap()
}

#[tokio::test]
async fn sign_in_sets_a_strict_http_only_cookie_and_sign_out_ends_the_session() {
    let app = app_with_staff(Backend::Sqlite).await;
    let wrong = submit_login(&app, "anna", "falsches Passwort!").await;
    assert_eq!(wrong.status(), 401);
    assert!(wrong.text().await.unwrap().contains("Benutzername oder Passwort ist falsch."));

    let ok = submit_login(&app, "anna", PASSWORD).await;
    assert_eq!(ok.status(), 303);
    let cookie = set_cookie(&ok, "hotline_staff").unwrap();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(flag), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http test server: {cookie}");
    let token = cookie.split(';').next().unwrap().trim_start_matches("hotline_staff=");
    let stored: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM staff_sessions WHERE token_hash = $1").bind(token).fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(stored, 0, "only the token's hash is stored");

    let anna = Staff::sign_in(&app, "anna").await;
    let out = anna.post_form("/staff/logout", &[]).await;
    assert_eq!(out.status(), 303);
    assert!(set_cookie(&out, "hotline_staff").unwrap().contains("Max-Age=0"));
    let after = anna.get("/staff/queue").await;
    assert_eq!((after.status().as_u16(), after.headers()["location"].to_str().unwrap()), (303, "/staff/login"));
    assert_eq!(anna.get("/api/v1/tickets").await.status(), 401);
    let actions = audit_actions(&app, "anna").await;
    assert!(actions.contains(&"login".to_string()) && actions.contains(&"logout".to_string()), "{actions:?}");
    app.stop().await;
}

#[tokio::test]
async fn secure_cookie_when_public_over_https() {
    let app = common::spawn_app_with(Backend::Sqlite, &[("HOTLINE_SERVER_PUBLIC_URL", "https://hotline.example.org")]).await;
    add_user(&app.db, "anna", "staff", Some("do-hoerde")).await;
    let ok = submit_login(&app, "anna", PASSWORD).await;
    assert!(set_cookie(&ok, "hotline_staff").unwrap().contains("; Secure"));
    app.stop().await;
}

#[tokio::test]
async fn five_failures_per_username_or_address_answer_429() {
    let app = app_with_staff(Backend::Sqlite).await;
    for _ in 0..5 {
        assert_eq!(submit_login(&app, "anna", "falsches Passwort!").await.status(), 401);
    }
    // Now even the right password is not checked, for this username ...
    let blocked = submit_login(&app, "anna", PASSWORD).await;
    assert_eq!(blocked.status(), 429);
    assert!(blocked.text().await.unwrap().contains("Bitte warten Sie 15 Minuten"));
    // ... and, since all came from 127.0.0.1, for this address too.
    assert_eq!(submit_login(&app, "bernd", PASSWORD).await.status(), 429);
    // The window passes: the failures age out.
    sqlx::query("UPDATE staff_login_failures SET at = '2000-01-01T00:00:00.000Z'").execute(app.db.pool()).await.unwrap();
    assert_eq!(submit_login(&app, "bernd", PASSWORD).await.status(), 303);
    app.stop().await;
}

#[tokio::test]
async fn login_form_needs_its_own_token() {
    let app = app_with_staff(Backend::Sqlite).await;
    let forged = common::staff::http()
        .post(format!("{}/staff/login", app.base))
        .form(&[("username", "anna"), ("password", PASSWORD), ("login_token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 400);
    assert!(set_cookie(&forged, "hotline_staff").is_none());
    app.stop().await;
}

#[tokio::test]
async fn every_post_needs_the_session_csrf_token() {
    let app = app_with_staff(Backend::Sqlite).await;
    let id = add_ticket(&app.db, TicketKind::Callback, "pflege", HOERDE).await;
    let anna = Staff::sign_in(&app, "anna").await;
    let url = format!("{}/staff/tickets/{id}/claim", app.base);
    use reqwest::header::COOKIE as cookie;
    let no_token = anna.http.post(&url).header(cookie, &anna.cookie).form(&[("x", "1")]).send().await.unwrap();
    assert_eq!(no_token.status(), 403);
    let wrong = anna.http.post(&url).header(cookie, &anna.cookie).form(&[("csrf", "0".repeat(64))]).send().await.unwrap();
    assert_eq!(wrong.status(), 403);
    let api = format!("{}/api/v1/tickets/{id}/claim", app.base);
    let api_no_header = anna.http.post(&api).header(cookie, &anna.cookie).send().await.unwrap();
    assert_eq!(api_no_header.status(), 403);
    assert_eq!(api_no_header.json::<serde_json::Value>().await.unwrap()["error"].as_str().map(|s| !s.is_empty()), Some(true));
    let status: String = sqlx::query_scalar("SELECT status FROM tickets WHERE id = $1").bind(&id).fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(status, "open");
    assert_eq!(anna.post_form(&format!("/staff/tickets/{id}/claim"), &[]).await.status(), 303);
    app.stop().await;
}

#[tokio::test]
async fn idle_sessions_end() {
    let app = app_with_staff(Backend::Sqlite).await;
    let anna = Staff::sign_in(&app, "anna").await;
    sqlx::query("UPDATE staff_sessions SET last_seen_at = $1")
        .bind(seniorentelefon::db::timestamp(chrono::Utc::now() - chrono::Duration::minutes(31)))
        .execute(app.db.pool())
        .await
        .unwrap();
    assert_eq!(anna.get("/staff/queue").await.status(), 303);
    app.stop().await;
}

/// Every signed-in route that names a ticket: pages, actions, audio, API.
fn ticket_routes(id: &str) -> Vec<(&'static str, String)> {
    let mut routes: Vec<(&str, String)> = ["", "/audio"].iter().map(|s| ("GET", format!("/staff/tickets/{id}{s}"))).collect();
    for action in ["claim", "note", "attempt", "close", "reassign"] {
        routes.push(("POST", format!("/staff/tickets/{id}/{action}")));
    }
    // Other resources' `{id}` (rides, people) name no ticket; their own tests cover them.
    for e in seniorentelefon::staff::api::endpoints().iter().filter(|e| e.path.starts_with("/api/v1/tickets/{id}")) {
        routes.push((if e.method == "GET" { "GET" } else { "POST" }, e.path.replace("{id}", id)));
    }
    routes
}

#[tokio::test]
async fn staff_of_one_office_get_404_for_another_office_ticket_everywhere() {
    let app = app_with_staff(Backend::Sqlite).await;
    add_user(&app.db, "fahrdienst", "ride_desk", Some("do-hoerde")).await;
    add_user(&app.db, "kora", "coordinator", None).await;
    let mine = add_ticket(&app.db, TicketKind::Callback, "pflege", HOERDE).await;
    let theirs = add_ticket(&app.db, TicketKind::Callback, "einsamkeit", WEST).await;
    let ride = add_ticket(&app.db, TicketKind::Ride, "fahrt", WEST).await;
    let audio = app.state.config.server.data_dir.join("theirs.wav");
    std::fs::write(&audio, b"RIFF").unwrap();
    sqlx::query("UPDATE tickets SET message_audio_path = 'theirs.wav'").execute(app.db.pool()).await.unwrap();

    let anna = Staff::sign_in(&app, "anna").await;
    for (method, path) in ticket_routes(&theirs) {
        let resp = if method == "GET" {
            anna.get(&path).await
        } else if path.starts_with("/api/") {
            anna.post_json(&path, serde_json::json!({ "text": "x" })).await
        } else {
            anna.post_form(&path, &[("text", "x"), ("outcome", "done"), ("office_id", "do-hoerde")]).await
        };
        assert_eq!(resp.status(), 404, "{method} {path}");
    }
    // Unknown ids look the same.
    assert_eq!(anna.get("/staff/tickets/does-not-exist").await.status(), 404);
    // Their ticket is untouched, and the queue and API list only Hörde.
    let untouched: (String, i64) = {
        let r =
            sqlx::query("SELECT status, (SELECT COUNT(*) FROM ticket_events e WHERE e.ticket_id = t.id) AS n FROM tickets t WHERE id = $1")
                .bind(&theirs)
                .fetch_one(app.db.pool())
                .await
                .unwrap();
        (r.get("status"), r.get("n"))
    };
    assert_eq!(untouched, ("open".to_string(), 1));
    let queue = anna.get("/staff/queue").await.text().await.unwrap();
    assert!(queue.contains(&mine) && !queue.contains(&theirs) && !queue.contains(&ride));
    let rows = anna.get("/staff/queue/rows?kind=&topic=&status=&assignee=").await.text().await.unwrap();
    assert!(rows.contains(&mine) && !rows.contains(&theirs));
    let ids =
        |v: serde_json::Value| v["tickets"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(ids(anna.get("/api/v1/tickets").await.json().await.unwrap()), vec![mine.clone()]);
    // Asking for the other office by filter yields nothing, not their tickets.
    let filtered = anna.get("/api/v1/tickets?kind=ride").await.json().await.unwrap();
    assert!(ids(filtered).is_empty());
    // Own ticket: page and audio work.
    assert_eq!(anna.get(&format!("/staff/tickets/{mine}")).await.status(), 200);
    assert_eq!(anna.get(&format!("/staff/tickets/{mine}/audio")).await.bytes().await.unwrap().as_ref(), b"RIFF");

    // The ride desk sees ride tickets of every office and nothing else.
    let desk = Staff::sign_in(&app, "fahrdienst").await;
    assert_eq!(ids(desk.get("/api/v1/tickets").await.json().await.unwrap()), vec![ride.clone()]);
    assert_eq!(desk.get(&format!("/api/v1/tickets/{mine}")).await.status(), 404);
    // Coordinators see all.
    let kora = Staff::sign_in(&app, "kora").await;
    let mut all = ids(kora.get("/api/v1/tickets").await.json().await.unwrap());
    all.sort();
    let mut expected = vec![mine, theirs, ride];
    expected.sort();
    assert_eq!(all, expected);
    app.stop().await;
}

#[tokio::test]
async fn audio_outside_the_data_directory_is_refused() {
    let app = app_with_staff(Backend::Sqlite).await;
    let id = add_ticket(&app.db, TicketKind::Callback, "pflege", HOERDE).await;
    sqlx::query("UPDATE tickets SET message_audio_path = '../../../../etc/passwd'").execute(app.db.pool()).await.unwrap();
    let anna = Staff::sign_in(&app, "anna").await;
    assert_eq!(anna.get(&format!("/staff/tickets/{id}/audio")).await.status(), 404);
    app.stop().await;
}

async fn concurrent_claims_have_one_winner(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = add_ticket(&app.db, TicketKind::Callback, "pflege", HOERDE).await;
    let mut staff = Vec::new();
    for i in 0..6 {
        let name = format!("team{i}");
        add_user(&app.db, &name, "staff", Some("do-hoerde")).await;
        staff.push(Staff::sign_in(&app, &name).await);
    }
    let path = format!("/api/v1/tickets/{id}/claim");
    let results = futures_util::future::join_all(staff.iter().map(|s| s.post_json(&path, serde_json::json!({})))).await;
    let codes: Vec<u16> = results.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(codes.iter().filter(|c| **c == 200).count(), 1, "{codes:?}");
    assert_eq!(codes.iter().filter(|c| **c == 409).count(), 5, "{codes:?}");
    let claims: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ticket_events WHERE ticket_id = $1 AND kind = 'claimed'")
        .bind(&id)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(claims, 1);
    // Also straight against the domain, many at once.
    let id2 = add_ticket(&app.db, TicketKind::Callback, "pflege", HOERDE).await;
    let wins = futures_util::future::join_all(
        (0..12).map(|i| seniorentelefon::domain::tickets::claim(&app.db, &id2, if i % 2 == 0 { "team0" } else { "team1" })),
    )
    .await;
    assert_eq!(wins.into_iter().map(Result::unwrap).filter(|w| *w).count(), 1);
    app.stop().await;
}

on_both_backends!(concurrent_claims_have_one_winner => concurrent_claims_have_one_winner);

async fn ticket_workflow(backend: Backend) {
    let app = app_with_staff(backend).await;
    let id = add_ticket(&app.db, TicketKind::Callback, "pflege", HOERDE).await;
    let anna = Staff::sign_in(&app, "anna").await;
    let page = |p: &str| format!("/staff/tickets/{id}{p}");
    assert_eq!(anna.post_form(&page("/claim"), &[]).await.status(), 303);
    assert_eq!(anna.post_form(&page("/claim"), &[]).await.status(), 409, "claimed already");
    assert_eq!(anna.post_form(&page("/note"), &[("text", "Tochter ruft zurück")]).await.status(), 303);
    assert_eq!(anna.post_form(&page("/note"), &[("text", "  ")]).await.status(), 422);
    assert_eq!(anna.post_form(&page("/attempt"), &[("outcome", "not_reached"), ("note", "")]).await.status(), 303);
    assert_eq!(anna.post_form(&page("/attempt"), &[("outcome", "appointment"), ("note", "Mo 10 Uhr")]).await.status(), 303);
    let html = anna.get(&page("")).await.text().await.unwrap();
    for text in ["Tochter ruft zurück", "nicht erreicht", "Termin vereinbart: Mo 10 Uhr", "wartet", "Weg durch das Menü"] {
        if text == "Weg durch das Menü" {
            assert!(!html.contains(text), "no call, no menu path");
        } else {
            assert!(html.contains(text), "{text} missing");
        }
    }
    assert_eq!(anna.post_form(&page("/close"), &[("reason", "erledigt")]).await.status(), 303);
    assert_eq!(anna.post_form(&page("/close"), &[("reason", "")]).await.status(), 409);
    let events: Vec<(String, String)> = sqlx::query("SELECT actor, kind FROM ticket_events WHERE ticket_id = $1 ORDER BY at, id")
        .bind(&id)
        .fetch_all(app.db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get("actor"), r.get("kind")))
        .collect();
    let kinds: Vec<&str> = events.iter().map(|(_, k)| k.as_str()).collect();
    assert_eq!(kinds, ["created", "claimed", "note", "attempt", "attempt", "closed"]);
    assert!(events[1..].iter().all(|(actor, _)| actor == "anna"));
    let actions = audit_actions(&app, "anna").await;
    for a in ["ticket.claim", "ticket.note", "ticket.attempt", "ticket.view", "ticket.close"] {
        assert!(actions.iter().any(|x| x == a), "{a} not audited: {actions:?}");
    }

    // Handing over: the ticket leaves Hörde's queue for West's, open and unassigned.
    let other = add_ticket(&app.db, TicketKind::Callback, "wohnen", HOERDE).await;
    anna.post_form(&format!("/staff/tickets/{other}/claim"), &[]).await;
    let moved = anna.post_form(&format!("/staff/tickets/{other}/reassign"), &[("office_id", "do-innenstadt-west")]).await;
    assert_eq!(moved.headers()["location"], "/staff/queue");
    assert_eq!(anna.get(&format!("/staff/tickets/{other}")).await.status(), 404);
    let bernd = Staff::sign_in(&app, "bernd").await;
    let t: serde_json::Value = bernd.get(&format!("/api/v1/tickets/{other}")).await.json().await.unwrap();
    assert_eq!((t["ticket"]["status"].as_str(), t["ticket"]["assignee"].as_str()), (Some("open"), None));
    assert_eq!(t["events"].as_array().unwrap().last().unwrap()["detail"], "do-hoerde → do-innenstadt-west");
    app.stop().await;
}

on_both_backends!(ticket_workflow => ticket_workflow);

#[tokio::test]
async fn queue_shows_call_details_filters_and_due_colours() {
    let app = app_with_staff(Backend::Sqlite).await;
    let late = add_ticket(&app.db, TicketKind::Callback, "pflege", HOERDE).await;
    let today = add_ticket(&app.db, TicketKind::DigitalHelp, "computer", HOERDE).await;
    let old = seniorentelefon::db::timestamp(chrono::Utc::now() - chrono::Duration::hours(30));
    sqlx::query("UPDATE tickets SET created_at = $1 WHERE id = $2").bind(&old).bind(&late).execute(app.db.pool()).await.unwrap();
    let soon = seniorentelefon::db::timestamp(chrono::Utc::now() + chrono::Duration::minutes(1));
    sqlx::query("UPDATE tickets SET window_end = $1 WHERE id = $2").bind(&soon).bind(&today).execute(app.db.pool()).await.unwrap();
    let anna = Staff::sign_in(&app, "anna").await;
    let html = anna.get("/staff/queue").await.text().await.unwrap();
    assert!(html.contains("überfällig") && html.contains("heute fällig"), "{html}");
    assert!(html.find(&late).unwrap() < html.find(&today).unwrap(), "overdue first");
    // A caller who spoke of an emergency comes before everything else.
    let urgent = NewTicket { urgent: true, ..phone_ticket(TicketKind::Callback, "notfall", HOERDE) };
    let urgent = tickets::create(&app.db, &urgent, "").await.unwrap().id;
    let html = anna.get("/staff/queue").await.text().await.unwrap();
    assert!(html.find(&urgent).unwrap() < html.find(&late).unwrap(), "urgent first");
    assert_eq!(html.matches("due urgent").count(), 1, "{html}");
    let filtered = anna.get("/staff/queue?kind=digital_help").await.text().await.unwrap();
    assert!(filtered.contains(&today) && !filtered.contains(&late));
    let by_topic = anna.get("/staff/queue?topic=pflege").await.text().await.unwrap();
    assert!(by_topic.contains(&late) && !by_topic.contains(&today));
    anna.post_form(&format!("/staff/tickets/{late}/claim"), &[]).await;
    let mine = anna.get("/staff/queue?assignee=me").await.text().await.unwrap();
    assert!(mine.contains(&late) && !mine.contains(&today));
    let nobody = anna.get("/staff/queue?assignee=-").await.text().await.unwrap();
    assert!(nobody.contains(&today) && !nobody.contains(&late));
    let claimed = anna.get("/staff/queue?status=claimed").await.text().await.unwrap();
    assert!(claimed.contains(&late) && !claimed.contains(&today));

    // A ticket from a call shows the caller and the way through the menu.
    sqlx::query("INSERT INTO calls (id, transport, caller, started_at, path, outcome) VALUES ('c1', 'twilio', '+492315551234', $1, 'main>callback>topic:pflege>stored', 'ticket')")
        .bind(&old)
        .execute(app.db.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE tickets SET call_id = 'c1', transcript = 'Bitte rufen Sie mich an' WHERE id = $1")
        .bind(&today)
        .execute(app.db.pool())
        .await
        .unwrap();
    let page = anna.get(&format!("/staff/tickets/{today}")).await.text().await.unwrap();
    for text in ["+492315551234", "<li>topic:pflege</li>", "Bitte rufen Sie mich an", "Weg durch das Menü"] {
        assert!(page.contains(text), "{text} missing");
    }
    app.stop().await;
}
