//! "A person, please" (key 0): put through to the caller's Seniorenbüro while it is open,
//! over both front doors; if nobody answers, the caller comes back to the hotline and
//! gets a callback; while the office is closed, a callback straight away. Each test
//! asserts the call row and tickets the server stored.

mod common;

use common::{AUDIOSOCKET_TOKEN, Backend, TestApp, ended_call, set_offices_open, spawn_app};
use seniorentelefon::caller::{CallOptions, dial};
use seniorentelefon::db::Db;
use sqlx::Row;

const ERIKA: &str = "+4923155512345";
/// The Seniorenbüro Hörde (Erika's office) in the demo directory.
const HOERDE: &str = "+4923155501100";

/// (transfer_to, transfer_status) of the call.
async fn transfer_of(db: &Db, provider_call_id: &str) -> (Option<String>, Option<String>) {
    let r = sqlx::query("SELECT transfer_to, transfer_status FROM calls WHERE provider_call_id = $1")
        .bind(provider_call_id)
        .fetch_one(db.pool())
        .await
        .unwrap();
    (r.get("transfer_to"), r.get("transfer_status"))
}

/// (kind, topic, office_id, call_id) of every ticket.
async fn tickets(db: &Db) -> Vec<(String, String, String, Option<String>)> {
    sqlx::query("SELECT kind, topic, office_id, call_id FROM tickets")
        .fetch_all(db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get("kind"), r.get("topic"), r.get("office_id"), r.get("call_id")))
        .collect()
}

async fn calls_count(db: &Db) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM calls").fetch_one(db.pool()).await.unwrap()
}

fn over_audiosocket(app: &TestApp, options: CallOptions) -> CallOptions {
    options.over_audiosocket(&app.audiosocket.to_string(), AUDIOSOCKET_TOKEN)
}

async fn put_through_and_answered(app: TestApp, options: CallOptions) {
    set_offices_open(&app, true).await;
    let report = dial(&options, None).await.unwrap();
    assert_eq!(report.transfers, [HOERDE], "{:#?}", report.lines);
    assert_eq!(report.connections, 1);
    let (_, path, outcome) = ended_call(&app.db, &report.call_id).await;
    assert_eq!((path.as_str(), outcome.as_str()), ("main>person>transfer", "transferred"));
    assert_eq!(transfer_of(&app.db, &report.call_id).await, (Some(HOERDE.into()), Some("completed".into())));
    assert!(tickets(&app.db).await.is_empty(), "a call that reached a person needs no ticket");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twilio_caller_is_put_through_to_the_open_office() {
    let app = spawn_app(Backend::Sqlite).await;
    let options = app.caller(ERIKA, "pause:1200 bargein:0");
    put_through_and_answered(app, options).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audiosocket_caller_is_put_through_to_the_open_office() {
    let app = spawn_app(Backend::Sqlite).await;
    let options = over_audiosocket(&app, app.caller(ERIKA, "pause:1200 bargein:0"));
    put_through_and_answered(app, options).await;
}

/// Nobody answers in the office: the caller is back on the same call, hears why, confirms
/// the number, and a callback ticket is stored on the one call row.
async fn unanswered_transfer_becomes_a_callback(app: TestApp, mut options: CallOptions) {
    set_offices_open(&app, true).await;
    options.office_answers = false;
    let report = dial(&options, None).await.unwrap();
    assert_eq!(report.transfers, [HOERDE], "{:#?}", report.lines);
    assert_eq!(report.connections, 2, "the caller came back to the hotline");
    assert!(report.hung_up_by_hotline);
    let (call_id, path, outcome) = ended_call(&app.db, &report.call_id).await;
    assert_eq!(path, "main>person>transfer>transfer_failed>number:ok>stored");
    assert_eq!(outcome, "ticket_created");
    assert_eq!(transfer_of(&app.db, &report.call_id).await.1.as_deref(), Some("resumed"));
    assert_eq!(calls_count(&app.db).await, 1, "one call, one row");
    assert_eq!(tickets(&app.db).await, [("callback".into(), "persoenlich".into(), "do-hoerde".into(), Some(call_id))]);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twilio_unanswered_transfer_becomes_a_callback_postgres() {
    let app = spawn_app(Backend::Postgres).await;
    let options = app.caller(ERIKA, "pause:1200 bargein:0 key:1");
    unanswered_transfer_becomes_a_callback(app, options).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audiosocket_unanswered_transfer_becomes_a_callback() {
    let app = spawn_app(Backend::Sqlite).await;
    let options = over_audiosocket(&app, app.caller(ERIKA, "pause:1200 bargein:0 key:1"));
    unanswered_transfer_becomes_a_callback(app, options).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_office_means_a_callback_without_ringing_anyone() {
    let app = spawn_app(Backend::Sqlite).await;
    set_offices_open(&app, false).await;
    let report = dial(&over_audiosocket(&app, app.caller(ERIKA, "pause:1200 bargein:0 pause:1500 bargein:1")), None).await.unwrap();
    assert!(report.transfers.is_empty());
    let (_, path, outcome) = ended_call(&app.db, &report.call_id).await;
    assert_eq!((path.as_str(), outcome.as_str()), ("main>person>number:ok>stored", "ticket_created"));
    assert_eq!(transfer_of(&app.db, &report.call_id).await, (None, None));
    assert_eq!(tickets(&app.db).await.len(), 1);
    app.stop().await;
}
