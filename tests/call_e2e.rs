//! End-to-end phone calls: a real server on 127.0.0.1, a simulated provider dialling it
//! over HTTP and WebSocket with real-time μ-law audio, real synthesised German prompts,
//! and the resulting rows in a real database (SQLite and PostgreSQL).

mod common;

use common::{Backend, prompts, root, spawn_app};
use seniorentelefon::audio::Pcm;
use seniorentelefon::caller::dial;
use seniorentelefon::speech::stt::{Listen, Stt};
use sqlx::Row;
use std::time::Duration;

/// Erika Mustermann in the demo directory: registered, lives in Hörde (44263).
const ERIKA: &str = "+4923155512345";

fn rms(pcm: &Pcm) -> f64 {
    (pcm.samples.iter().map(|&s| (s as f64).powi(2)).sum::<f64>() / pcm.samples.len().max(1) as f64).sqrt()
}

struct TicketRow {
    kind: String,
    office_id: String,
    topic: String,
    callback_number: Option<String>,
    status: String,
    person_id: Option<String>,
    call_id: Option<String>,
    events: i64,
}

async fn tickets(db: &seniorentelefon::db::Db) -> Vec<TicketRow> {
    let rows = sqlx::query(
        "SELECT t.kind, t.office_id, t.topic, t.callback_number, t.status, t.person_id, t.call_id,
                (SELECT COUNT(*) FROM ticket_events e WHERE e.ticket_id = t.id AND e.kind = 'created') AS events
         FROM tickets t ORDER BY t.created_at",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    rows.iter()
        .map(|r| TicketRow {
            kind: r.get("kind"),
            office_id: r.get("office_id"),
            topic: r.get("topic"),
            callback_number: r.get("callback_number"),
            status: r.get("status"),
            person_id: r.get("person_id"),
            call_id: r.get("call_id"),
            events: r.get("events"),
        })
        .collect()
}

async fn assert_callback_ticket(db: &seniorentelefon::db::Db, call_sid: &str) {
    let all = tickets(db).await;
    assert_eq!(all.len(), 1, "exactly one ticket");
    let t = &all[0];
    assert_eq!(t.kind, "callback");
    assert_eq!(t.office_id, "do-hoerde", "routed to Erika's district office");
    assert_eq!(t.topic, "pflege");
    assert_eq!(t.callback_number.as_deref(), Some(ERIKA));
    assert_eq!(t.status, "open");
    assert!(t.person_id.is_some(), "linked to the registered person");
    assert_eq!(t.events, 1, "history starts with 'created'");
    let (call_id, path, outcome) = common::ended_call(db, call_sid).await;
    assert_eq!(t.call_id.as_deref(), Some(call_id.as_str()));
    assert_eq!(outcome, "ticket_created");
    assert!(path.starts_with("main>callback>topic:pflege>number:ok>window:any>message:no>stored"), "{path}");
}

on_both_backends!(keypad_callback_request_creates_a_ticket => keypad_callback_request_creates_a_ticket);

/// The acceptance call: keys 3, 1, 1, 3, 2, each pressed after the prompt has finished, as
/// `hotline call --keys 3,1,1,3,2` does. What the caller hears is transcribed to prove it is
/// German speech.
async fn keypad_callback_request_creates_a_ticket(backend: Backend) {
    let app = spawn_app(backend).await;
    let prompts = prompts();
    let report = dial(&app.caller(ERIKA, "3,1,1,3,2"), Some(&prompts)).await.unwrap();
    for line in &report.lines {
        eprintln!("[{:6.2}] {} {}", line.at.as_secs_f32(), line.who, line.text);
    }
    let heard: Vec<&str> = report.played.iter().map(|p| p.prompt.as_str()).collect();
    assert_eq!(
        heard,
        [
            "greeting_known",
            "main_menu",
            "callback_topic_menu",
            "confirm_number",
            "callback_window_menu",
            "message_offer_menu",
            "request_received",
            "goodbye"
        ]
    );
    assert!(report.hung_up_by_hotline);
    assert!(report.transfers.is_empty(), "the call ends without a transfer");
    assert_eq!(report.turn_latencies.len(), 5);
    for latency in &report.turn_latencies {
        assert!(*latency < Duration::from_millis(1000), "answer took {latency:?}");
    }
    // Real audio: prompts last seconds and are loud enough to be speech.
    assert!(report.played.iter().all(|p| p.audio > Duration::from_secs(1)), "{:?}", report.played);
    assert!(rms(&report.received) > 500.0, "rms {}", rms(&report.received));
    // And it is German: the greeting, as heard on the line, transcribes to what it says.
    let greeting_end = report.played[0].audio.as_millis() as usize * 8;
    let first = Pcm { rate: 8000, samples: report.received.samples[..greeting_end.min(report.received.samples.len())].to_vec() };
    let stt = Stt::load(&root().join("voices/whisper/ggml-base.bin"), 2).expect("whisper model (run scripts/setup.sh)");
    let text = tokio::task::spawn_blocking(move || stt.transcribe(&first, &Listen::hint("Seniorentelefon, Seniorenbüros")).unwrap().text)
        .await
        .unwrap();
    // Whisper writes the compound either way ("Seniorentelefon", "Senioren-Telefon").
    let lower = text.to_lowercase().replace('-', "");
    assert!(lower.contains("guten tag") && lower.contains("seniorentelefon"), "heard: {text}");
    assert_callback_ticket(&app.db, &report.call_id).await;
    app.stop().await;
}

/// The same request from a caller who presses keys over the prompts (barge-in): the
/// hotline stops speaking at once and follows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keypad_callback_with_barge_in() {
    let app = spawn_app(Backend::Sqlite).await;
    let report = dial(
        &app.caller(ERIKA, "pause:1500 bargein:3 pause:1500 bargein:1 pause:1500 bargein:1 pause:1500 bargein:3 pause:1500 bargein:2"),
        Some(&prompts()),
    )
    .await
    .unwrap();
    let clears = report.lines.iter().filter(|l| l.text.contains("barge-in")).count();
    assert_eq!(clears, 5, "every key over a prompt stops it: {:#?}", report.lines);
    let heard: Vec<&str> = report.played.iter().map(|p| p.prompt.as_str()).collect();
    assert_eq!(heard, ["request_received", "goodbye"], "interrupted prompts never finish");
    assert_callback_ticket(&app.db, &report.call_id).await;
    app.stop().await;
}

/// A caller who hangs up in the middle leaves a call row and no ticket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hang_up_mid_flow_stores_nothing_but_the_call() {
    let app = spawn_app(Backend::Sqlite).await;
    let report = dial(&app.caller(ERIKA, "pause:1000 bargein:3 pause:800 hangup"), None).await.unwrap();
    assert!(!report.hung_up_by_hotline);
    let (_, _, outcome) = common::ended_call(&app.db, &report.call_id).await;
    assert_eq!(outcome, "caller_hung_up");
    assert!(tickets(&app.db).await.is_empty());
    app.stop().await;
}

/// A silent caller is asked again twice, then told the call ends, and it ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_caller_is_never_left_in_silence() {
    let app = spawn_app_fast_timeout().await;
    let report = dial(&app.caller(ERIKA, "pause:1000 bargein:*"), None).await.unwrap();
    let heard: Vec<&str> = report.played.iter().map(|p| p.prompt.as_str()).collect();
    assert_eq!(heard, ["main_menu", "no_input", "main_menu", "no_input_again", "main_menu", "goodbye_no_input"]);
    assert!(report.hung_up_by_hotline);
    let (_, _, outcome) = common::ended_call(&app.db, &report.call_id).await;
    assert_eq!(outcome, "no_input");
    app.stop().await;
}

async fn spawn_app_fast_timeout() -> common::TestApp {
    common::spawn_app_with(Backend::Sqlite, &[("HOTLINE_DIALOG_NO_INPUT_TIMEOUT_SECS", "1")]).await
}
