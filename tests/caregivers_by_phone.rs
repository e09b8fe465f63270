//! Caregivers by phone, end to end: a real server, a caregiver dialling it over HTTP and
//! WebSocket with real-time audio and keys, and the rows in a real database. Klaus
//! Mustermann (demo directory: his number registered for his mother Erika, PIN 4711, her
//! consent given) books a seat for her, asks for a callback for her and hears her next
//! appointment; five wrong PINs over two calls lock him out with a ticket to her office;
//! hanging up halfway stores nothing.

mod common;

use common::{Backend, TestApp, ended_call, one_offer, spawn_app};
use seniorentelefon::caller::{CallReport, dial};
use seniorentelefon::domain::PhoneNumber;
use seniorentelefon::offers::{self, Booker};
use seniorentelefon::privacy::person;
use sqlx::Row;
use std::num::NonZeroU32;

const KLAUS: &str = "+491701234567";
const ERIKA: &str = "+4923155512345";

/// Main menu 9 over the greeting, then the PIN 4711 once asked for it.
const SIGN_IN: &str = "pause:1500 bargein:9 key:4 bargein:7 bargein:1 bargein:1 bargein:#";

fn heard(report: &CallReport) -> Vec<&str> {
    report.played.iter().map(|p| p.prompt.as_str()).collect()
}

fn script(after_sign_in: &str) -> String {
    // The PIN check takes a moment; then the caregiver menu is answered over its first words.
    format!("{SIGN_IN} pause:2500 {after_sign_in}")
}

async fn erika(app: &TestApp) -> String {
    sqlx::query_scalar("SELECT id FROM people WHERE phone = $1").bind(ERIKA).fetch_one(app.db.pool()).await.unwrap()
}

async fn klaus(app: &TestApp) -> String {
    sqlx::query_scalar("SELECT id FROM caregivers WHERE phone = $1").bind(KLAUS).fetch_one(app.db.pool()).await.unwrap()
}

/// The "for whom, by whom" line of a ticket's history.
async fn on_behalf(app: &TestApp, ticket: &str) -> String {
    sqlx::query_scalar("SELECT detail FROM ticket_events WHERE ticket_id = $1 AND kind = 'on_behalf'")
        .bind(ticket)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

async fn a_caregiver_books_a_seat_for_the_person(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, date_id) = one_offer(&app, 12).await;
    // Offers (2), all kinds (1), next week (3); the offer: book (2), one seat (1), yes (1).
    let steps = script("bargein:2 pause:1500 bargein:1 pause:1500 bargein:3 key:2 key:1 key:1 wait hangup");
    let report = dial(&app.caller(KLAUS, &steps), None).await.unwrap();
    let heard = heard(&report);
    // The welcome is cut short by the next key, so it never plays to its end.
    for prompt in ["caregiver_for", "caregiver_pin", "offer_summary", "offer_booked_for", "goodbye"] {
        assert!(heard.contains(&prompt), "{prompt} not heard: {heard:?}");
    }
    let (call_id, path, outcome) = ended_call(&app.db, &report.call_id).await;
    assert_eq!(outcome, "booking_created", "{path}");
    assert!(path.starts_with("main>caregiver>caregiver:pin>caregiver:in>offers>offers:home"), "{path}");

    let rows = sqlx::query("SELECT offer_date_id, person_id, phone, caregiver_id, call_id, ticket_id FROM bookings")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let b = &rows[0];
    assert_eq!(b.get::<String, _>("offer_date_id"), date_id);
    assert_eq!(b.get::<Option<String>, _>("person_id"), Some(erika(&app).await), "booked for Erika");
    assert_eq!(b.get::<Option<String>, _>("caregiver_id"), Some(klaus(&app).await), "by Klaus");
    assert_eq!(b.get::<String, _>("phone"), KLAUS, "the office reaches whoever booked");
    assert_eq!(b.get::<Option<String>, _>("call_id"), Some(call_id.clone()));
    let call = sqlx::query("SELECT person_id, caregiver_id, caller FROM calls WHERE id = $1")
        .bind(&call_id)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(
        (
            call.get::<Option<String>, _>("person_id"),
            call.get::<Option<String>, _>("caregiver_id"),
            call.get::<Option<String>, _>("caller")
        ),
        (Some(erika(&app).await), Some(klaus(&app).await), Some(KLAUS.to_string())),
        "the call is recorded as made for Erika by Klaus"
    );
    let ticket: String = b.get::<Option<String>, _>("ticket_id").unwrap();
    let t = sqlx::query("SELECT person_id, caregiver_id, office_id FROM tickets WHERE id = $1")
        .bind(&ticket)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(t.get::<Option<String>, _>("caregiver_id"), Some(klaus(&app).await));
    assert_eq!(t.get::<String, _>("office_id"), "do-hoerde");
    assert_eq!(on_behalf(&app, &ticket).await, "Für Erika Mustermann durch Klaus Mustermann (+491701234567), Kümmerer am Telefon");

    // Erasing Erika also erases who acted for her: his number and name leave with her.
    let data_dir = &app.state.config.server.data_dir;
    person::erase(&app.db, data_dir, &erika(&app).await, "test").await.unwrap().expect("erased");
    let b = sqlx::query("SELECT person_id, phone, caregiver_id FROM bookings").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(b.get::<Option<String>, _>("person_id"), None);
    assert_eq!((b.get::<String, _>("phone").as_str(), b.get::<Option<String>, _>("caregiver_id")), (person::ERASED, None));
    assert_eq!(on_behalf(&app, &ticket).await, "");
    let caregivers: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM caregivers").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(caregivers, 0);
    app.stop().await;
}

on_both_backends!(a_caregiver_books_a_seat_for_the_person => a_caregiver_books_a_seat_for_the_person);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caregiver_asks_for_a_callback_for_the_person() {
    let app = spawn_app(Backend::Sqlite).await;
    // Callback (4), care (1), his own number is right (1), any time (3), no message (2).
    let steps = script("bargein:4 pause:1500 bargein:1 pause:1500 bargein:1 pause:1500 bargein:3 pause:1500 bargein:2 wait hangup");
    let report = dial(&app.caller(KLAUS, &steps), None).await.unwrap();
    assert!(heard(&report).contains(&"request_received"), "{:#?}", report.lines);
    let (_, path, outcome) = ended_call(&app.db, &report.call_id).await;
    assert_eq!(outcome, "ticket_created", "{path}");
    let rows = sqlx::query("SELECT id, kind, topic, person_id, caregiver_id, callback_number, office_id FROM tickets")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let t = &rows[0];
    assert_eq!((t.get::<String, _>("kind"), t.get::<String, _>("topic")), ("callback".into(), "pflege".into()));
    assert_eq!(t.get::<Option<String>, _>("person_id"), Some(erika(&app).await));
    assert_eq!(t.get::<Option<String>, _>("caregiver_id"), Some(klaus(&app).await));
    assert_eq!(t.get::<Option<String>, _>("callback_number").as_deref(), Some(KLAUS), "the caregiver is called back");
    assert_eq!(t.get::<String, _>("office_id"), "do-hoerde", "Erika's office");
    assert!(on_behalf(&app, &t.get::<String, _>("id")).await.starts_with("Für Erika Mustermann durch Klaus Mustermann"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caregiver_hears_the_persons_next_appointment() {
    let app = spawn_app(Backend::Sqlite).await;
    let (_, date_id) = one_offer(&app, 12).await;
    let by_erika =
        Booker { person_id: Some(erika(&app).await), phone: PhoneNumber::parse(ERIKA).unwrap(), caregiver_id: None, call_id: None };
    offers::book(&app.db, &date_id, NonZeroU32::new(1).unwrap(), &by_erika, app.state.config.dialog.local_now()).await.unwrap();
    // Appointments (1): hears the booking, keeps it (1), and is back in the caregiver menu.
    let report = dial(&app.caller(KLAUS, &script("bargein:1 key:1 wait hangup")), None).await.unwrap();
    let heard = heard(&report);
    assert!(heard.ends_with(&["upcoming_menu_for", "upcoming_kept", "caregiver_menu"]), "{heard:?}");
    let (_, path, _) = ended_call(&app.db, &report.call_id).await;
    assert!(path.contains("caregiver:in>caregiver:upcoming>upcoming>upcoming:keep"), "{path}");
    let status: String = sqlx::query_scalar("SELECT status FROM bookings").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(status, "booked");
    app.stop().await;
}

async fn locked(app: &TestApp) -> (i64, Option<String>) {
    let r =
        sqlx::query("SELECT pin_failures, locked_at FROM caregivers WHERE phone = $1").bind(KLAUS).fetch_one(app.db.pool()).await.unwrap();
    (r.get("pin_failures"), r.get("locked_at"))
}

async fn five_wrong_pins_lock_the_caregiver_out(backend: Backend) {
    let app = spawn_app(backend).await;
    // Three wrong PINs, then he gives up.
    let three = "pause:1500 bargein:9 key:1 bargein:1 bargein:1 bargein:1 bargein:# key:2 bargein:2 bargein:2 bargein:2 bargein:# \
                 key:3 bargein:3 bargein:3 bargein:3 bargein:# wait hangup";
    let report = dial(&app.caller(KLAUS, three), None).await.unwrap();
    assert_eq!(heard(&report).iter().filter(|p| **p == "caregiver_pin_wrong").count(), 3, "{:#?}", report.lines);
    let _ = ended_call(&app.db, &report.call_id).await;
    assert_eq!(locked(&app).await, (3, None), "wrong PINs count across calls");
    let tickets: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tickets").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(tickets, 0);

    // Two more in the next call: the fifth locks, he is told kindly, the hotline hangs up.
    let two = "pause:1500 bargein:9 key:5 bargein:5 bargein:5 bargein:5 bargein:# key:6 bargein:6 bargein:6 bargein:6 bargein:# wait";
    let report = dial(&app.caller(KLAUS, two), None).await.unwrap();
    assert!(report.hung_up_by_hotline, "{:#?}", report.lines);
    let heard_now = heard(&report);
    assert!(heard_now.ends_with(&["caregiver_locked_now", "goodbye"]), "{heard_now:?}");
    let (locking_call, path, outcome) = ended_call(&app.db, &report.call_id).await;
    assert_eq!(outcome, "caregiver_locked", "{path}");
    let (failures, locked_at) = locked(&app).await;
    assert_eq!(failures, 5);
    assert!(locked_at.is_some(), "locked");
    let rows = sqlx::query("SELECT id, kind, topic, person_id, caregiver_id, callback_number, office_id, call_id FROM tickets")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "one ticket to the office");
    let t = &rows[0];
    assert_eq!((t.get::<String, _>("kind"), t.get::<String, _>("topic")), ("callback".into(), "kuemmerer".into()));
    assert_eq!(t.get::<String, _>("office_id"), "do-hoerde", "Erika's office");
    assert_eq!(t.get::<Option<String>, _>("person_id"), Some(erika(&app).await));
    assert_eq!(t.get::<Option<String>, _>("caregiver_id"), Some(klaus(&app).await));
    assert_eq!(t.get::<Option<String>, _>("callback_number").as_deref(), Some(KLAUS));
    assert_eq!(t.get::<Option<String>, _>("call_id"), Some(locking_call), "the ticket leads to the call that locked");
    let history = on_behalf(&app, &t.get::<String, _>("id")).await;
    assert!(history.contains("Klaus") && history.contains(KLAUS), "staff see who was locked out: {history}");

    // Locked: he is not even asked for his PIN (the domain refuses the right one too, see
    // its tests), and is offered a callback or a person instead.
    let report = dial(&app.caller(KLAUS, "pause:1500 bargein:9 wait hangup"), None).await.unwrap();
    let heard_locked = heard(&report);
    assert!(heard_locked.contains(&"caregiver_locked") && heard_locked.contains(&"caregiver_help_menu"), "{heard_locked:?}");
    assert!(!heard_locked.contains(&"caregiver_welcome") && !heard_locked.contains(&"caregiver_pin"), "{heard_locked:?}");
    let (_, path, _) = ended_call(&app.db, &report.call_id).await;
    assert!(path.starts_with("main>caregiver>caregiver:locked"), "{path}");
    assert!(!path.contains("caregiver:in"), "{path}");
    assert_eq!(locked(&app).await.0, 5);
    app.stop().await;
}

on_both_backends!(five_wrong_pins_lock_the_caregiver_out => five_wrong_pins_lock_the_caregiver_out);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hang_up_halfway_stores_nothing() {
    let app = spawn_app(Backend::Sqlite).await;
    // In, callback, topic care; he hangs up while his number is read back.
    let steps = script("bargein:4 pause:1500 bargein:1 pause:1500 hangup");
    let report = dial(&app.caller(KLAUS, &steps), None).await.unwrap();
    assert!(!report.hung_up_by_hotline);
    let (_, path, outcome) = ended_call(&app.db, &report.call_id).await;
    assert_eq!(outcome, "caller_hung_up", "{path}");
    assert!(path.contains("caregiver:in>callback>topic:pflege>hangup"), "{path}");
    let tickets: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tickets").fetch_one(app.db.pool()).await.unwrap();
    let bookings: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM bookings").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!((tickets, bookings), (0, 0));
    assert_eq!(locked(&app).await, (0, None), "the right PIN counts nothing against him");
    app.stop().await;
}
