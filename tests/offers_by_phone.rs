//! Offers by phone, end to end: a real server, callers dialling it over HTTP and
//! WebSocket with real-time audio, and the rows in a real database. A registered caller
//! finds an offer near her home and books a seat by keypad; two callers race for the last
//! seat and exactly one gets it; a returning caller cancels her booking; a caller who
//! hangs up before confirming books nothing.

mod common;

use common::{Backend, ended_call, next_tuesday, one_offer, person_id, seats_taken, spawn_app};
use seniorentelefon::caller::{CallReport, dial};
use seniorentelefon::domain::PhoneNumber;
use seniorentelefon::offers::{self, Booker};
use sqlx::Row;
use std::num::NonZeroU32;

/// Registered in the demo directory, both in Hörde with their homes on file.
const ERIKA: &str = "+4923155512345";
const GISELA: &str = "+4923155544321";

/// Offers, all kinds, next week; then, after the offer was read out: book, one seat, yes.
/// The menus before the search are answered over their first words, like a practised caller.
const BOOK_ONE_SEAT: &str = "pause:1500 bargein:1 pause:1500 bargein:1 pause:1500 bargein:3 key:2 key:1 key:1 wait hangup";

fn heard(report: &CallReport) -> Vec<&str> {
    report.played.iter().map(|p| p.prompt.as_str()).collect()
}

async fn a_known_caller_books_a_seat_by_keypad(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, date_id) = one_offer(&app, 12).await;
    let report = dial(&app.caller(ERIKA, BOOK_ONE_SEAT), None).await.unwrap();
    assert!(report.hung_up_by_hotline, "{:#?}", report.lines);
    let heard = heard(&report);
    for prompt in
        ["offers_found_one", "offer_summary", "offer_actions_menu", "offer_seats_menu", "offer_confirm_menu", "offer_booked", "goodbye"]
    {
        assert!(heard.contains(&prompt), "{prompt} not heard: {heard:?}");
    }
    let (call_id, path, outcome) = ended_call(&app.db, &report.call_id).await;
    assert_eq!(outcome, "booking_created", "{path}");
    assert!(path.contains("offers:home>offers:cat:alle>offers:when:next_week>offers:search>offers:found:1>offers:book"), "{path}");
    assert!(path.ends_with("offers:seats:1>offers:confirm>booked"), "{path}");

    let rows = sqlx::query("SELECT offer_date_id, person_id, phone, seats, status, call_id, ticket_id FROM bookings")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let b = &rows[0];
    assert_eq!(b.get::<String, _>("offer_date_id"), date_id);
    assert_eq!(b.get::<Option<String>, _>("person_id"), Some(person_id(&app, ERIKA).await));
    assert_eq!(b.get::<String, _>("phone"), ERIKA);
    assert_eq!((b.get::<i64, _>("seats"), b.get::<String, _>("status").as_str()), (1, "booked"));
    assert_eq!(b.get::<Option<String>, _>("call_id"), Some(call_id));
    assert_eq!(seats_taken(&app, &date_id).await, 1);
    let ticket = sqlx::query("SELECT kind, office_id FROM tickets WHERE id = $1")
        .bind(b.get::<Option<String>, _>("ticket_id").expect("a confirmation ticket"))
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!((ticket.get::<String, _>("kind").as_str(), ticket.get::<String, _>("office_id").as_str()), ("booking", "do-hoerde"));
    app.stop().await;
}

on_both_backends!(a_known_caller_books_a_seat_by_keypad => a_known_caller_books_a_seat_by_keypad);

async fn two_callers_race_for_the_last_seat(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, date_id) = one_offer(&app, 1).await;
    let (erika, gisela) = (app.caller(ERIKA, BOOK_ONE_SEAT), app.caller(GISELA, BOOK_ONE_SEAT));
    let (a, b) = tokio::join!(dial(&erika, None), dial(&gisela, None));
    let reports = [a.unwrap(), b.unwrap()];
    let mut outcomes = Vec::new();
    for r in &reports {
        let (_, path, outcome) = ended_call(&app.db, &r.call_id).await;
        outcomes.push((outcome, path, heard(r).into_iter().map(str::to_string).collect::<Vec<_>>()));
    }
    let winners: Vec<_> = outcomes.iter().filter(|(o, _, _)| o == "booking_created").collect();
    assert_eq!(winners.len(), 1, "exactly one caller gets the seat: {outcomes:#?}");
    let (_, loser_path, loser_heard) = outcomes.iter().find(|(o, _, _)| o != "booking_created").unwrap();
    // Both heard the seat free and confirmed; the later one is told it has just gone.
    assert!(loser_path.contains("offers:full:0"), "{loser_path}");
    assert!(loser_heard.iter().any(|p| p == "offer_full_now"), "{loser_heard:?}");
    assert!(!loser_heard.iter().any(|p| p == "offer_booked"), "{loser_heard:?}");
    let booked: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM bookings WHERE status = 'booked'").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(booked, 1);
    assert_eq!(seats_taken(&app, &date_id).await, 1, "never more than the capacity");
    app.stop().await;
}

on_both_backends!(two_callers_race_for_the_last_seat => two_callers_race_for_the_last_seat);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_returning_caller_cancels_her_booking() {
    let app = spawn_app(Backend::Sqlite).await;
    let (_, date_id) = one_offer(&app, 12).await;
    let erika = Booker {
        person_id: Some(person_id(&app, ERIKA).await),
        phone: PhoneNumber::parse(ERIKA).unwrap(),
        caregiver_id: None,
        call_id: None,
    };
    let now = app.state.config.dialog.local_now();
    let booking = offers::book(&app.db, &date_id, NonZeroU32::new(2).unwrap(), &erika, now).await.unwrap();
    assert_eq!(seats_taken(&app, &date_id).await, 2);

    // She hears her booking after the greeting: 2 to cancel, 1 to confirm, then she hangs up.
    let report = dial(&app.caller(ERIKA, "key:2 key:1 wait hangup"), None).await.unwrap();
    let heard = heard(&report);
    assert_eq!(&heard[..3], ["greeting_known", "upcoming_menu", "upcoming_cancel_menu"], "{:#?}", report.lines);
    assert!(heard.contains(&"upcoming_cancelled"), "{heard:?}");
    let (_, path, outcome) = ended_call(&app.db, &report.call_id).await;
    assert_eq!(outcome, "booking_cancelled", "{path}");
    assert!(path.starts_with("main>upcoming>menu:upcoming_cancel>upcoming:cancel>cancelled"), "{path}");
    let status: String =
        sqlx::query_scalar("SELECT status FROM bookings WHERE id = $1").bind(&booking.id).fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(status, "cancelled");
    assert_eq!(seats_taken(&app, &date_id).await, 0, "her seats are free again");
    let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ticket_events WHERE ticket_id = $1 AND kind = 'booking_cancelled'")
        .bind(booking.ticket_id.unwrap())
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(events, 1, "the office sees the cancellation on the booking's ticket");

    // Next time she is not asked about it any more.
    let report = dial(&app.caller(ERIKA, "hangup"), None).await.unwrap();
    let _ = ended_call(&app.db, &report.call_id).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hang_up_before_confirming_books_nothing() {
    let app = spawn_app(Backend::Sqlite).await;
    let (_, date_id) = one_offer(&app, 12).await;
    let script = "pause:1500 bargein:1 pause:1500 bargein:1 pause:1500 bargein:3 key:2 key:1 pause:2500 hangup";
    let report = dial(&app.caller(ERIKA, script), None).await.unwrap();
    assert!(!report.hung_up_by_hotline);
    let (_, path, outcome) = ended_call(&app.db, &report.call_id).await;
    assert_eq!(outcome, "caller_hung_up", "{path}");
    assert!(path.ends_with("offers:seats:1>hangup"), "{path}");
    let bookings: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM bookings").fetch_one(app.db.pool()).await.unwrap();
    let tickets: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tickets").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!((bookings, tickets), (0, 0));
    assert_eq!(seats_taken(&app, &date_id).await, 0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_returning_caller_cancels_her_ride() {
    use seniorentelefon::domain::tickets::{NewTicket, TicketKind};
    use seniorentelefon::rides::phone::{RideOrder, order};
    let app = spawn_app(Backend::Sqlite).await;
    let erika = person_id(&app, ERIKA).await;
    let day = next_tuesday(app.state.config.dialog.local_now().date());
    let ride = RideOrder {
        ticket: NewTicket {
            kind: TicketKind::Ride,
            topic: "fahrdienst".into(),
            callback_number: Some(PhoneNumber::parse(ERIKA).unwrap()),
            postcode: None,
            person_id: Some(erika.clone()),
            person_office_id: Some("do-hoerde".into()),
            call_id: None,
            window: None,
            message_audio_path: None,
            caregiver_id: None,
            urgent: false,
        },
        person_id: erika,
        place_id: "augenarzt-lindner".into(),
        appointment_at: day.and_hms_opt(9, 30, 0).unwrap(),
        return_trip: true,
        wheelchair: false,
        rollator: true,
        companion: false,
    };
    let ordered = order(&app.db, &ride, "do-hoerde", 60).await.unwrap();

    let report = dial(&app.caller(ERIKA, "key:2 key:1 wait hangup"), None).await.unwrap();
    let heard = heard(&report);
    assert_eq!(&heard[..3], ["greeting_known", "upcoming_ride_menu", "upcoming_ride_cancel_menu"], "{:#?}", report.lines);
    assert!(heard.contains(&"upcoming_ride_cancelled"), "{heard:?}");
    let (_, path, outcome) = ended_call(&app.db, &report.call_id).await;
    assert_eq!(outcome, "ride_cancelled", "{path}");
    let statuses: Vec<String> = sqlx::query_scalar("SELECT status FROM ride_requests").fetch_all(app.db.pool()).await.unwrap();
    assert_eq!(statuses, ["cancelled", "cancelled"], "the trip there and back");
    let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ticket_events WHERE ticket_id = $1 AND kind = 'ride_cancelled'")
        .bind(&ordered.ticket.id)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(events, 1, "the ride desk sees it on the ride's ticket");
    app.stop().await;
}
