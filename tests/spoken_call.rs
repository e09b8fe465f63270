//! Calls answered by voice, end to end over real sockets: the caller's speech (a test voice
//! on the line, 8 kHz, like any other audio) is endpointed, recognised by whisper through
//! the shared workers and understood by the dialog. Speech over a prompt stops it, and a
//! spoken "Mitarbeiter" puts the caller through like the 0 key.

mod common;

use common::{AUDIOSOCKET_TOKEN, Backend, TestApp, ended_call, prompts, root, set_offices_open, spawn_app_with};
use seniorentelefon::caller::{CallOptions, dial};
use seniorentelefon::speech::tts::{Tts, VoicesConfig};
use sqlx::Row;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

const ERIKA: &str = "+4923155512345";
/// The Seniorenbüro Hörde (Erika's office) in the demo directory.
const HOERDE: &str = "+4923155501100";

async fn spawn_listening_app(backend: Backend) -> TestApp {
    let model = root().join("voices/whisper/ggml-base.bin");
    assert!(model.is_file(), "{} is missing: run scripts/setup.sh", model.display());
    spawn_app_with(backend, &[("HOTLINE_SPEECH_WHISPER_MODEL", model.to_str().unwrap())]).await
}

/// Erika, answering with her voice. She thinks a little longer than the keypad caller, so
/// an "einen Moment bitte" while her answer is recognised is not taken for the next
/// question.
fn erika_speaking(app: &TestApp, script: &str) -> CallOptions {
    let voices = VoicesConfig::load(&root().join("voices/voices.toml")).unwrap();
    let mut options = app.caller(ERIKA, script);
    options.voice = Some(Arc::new(Tts::start(voices.voice("de").unwrap(), 1).unwrap()));
    options.think = Duration::from_millis(1500);
    options
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_is_requested_by_voice_over_audiosocket() {
    let app = spawn_listening_app(Backend::Sqlite).await;
    let options = erika_speaking(&app, r#"say:"Einen Rückruf, bitte." say:"Es geht um die Pflege meiner Mutter." say:"Ja, genau.""#)
        .over_audiosocket(&app.audiosocket.to_string(), AUDIOSOCKET_TOKEN);
    let report = dial(&options, Some(&prompts())).await.unwrap();
    let lines = format!("{:#?}", report.lines);
    assert!(report.hung_up_by_hotline, "{lines}");

    let (call_id, path, outcome) = ended_call(&app.db, &report.call_id).await;
    assert_eq!(outcome, "ticket_created", "{lines}");
    // Steps taken by voice are marked as such.
    assert_eq!(path, "main>said>callback>said>topic:pflege>said>number:ok>stored", "{lines}");
    let t = sqlx::query("SELECT kind, topic, office_id, callback_number, call_id FROM tickets").fetch_all(app.db.pool()).await.unwrap();
    assert_eq!(t.len(), 1);
    let t = &t[0];
    assert_eq!(
        (t.get::<String, _>("kind"), t.get::<String, _>("topic"), t.get::<String, _>("office_id")),
        ("callback".into(), "pflege".into(), "do-hoerde".into())
    );
    assert_eq!(t.get::<Option<String>, _>("callback_number").as_deref(), Some(ERIKA));
    assert_eq!(t.get::<Option<String>, _>("call_id"), Some(call_id));
    // Three answers went to the recogniser, and each got its reply.
    let metrics = &app.state.metrics;
    assert_eq!(metrics.utterances.load(Ordering::Relaxed), 3, "{lines}");
    assert_eq!(metrics.recognition_failed.load(Ordering::Relaxed), 0);
    app.stop().await;
}

/// Speaking over the greeting stops it at once (the provider is told to drop what it has
/// buffered), and "Mitarbeiter" in the middle of a sentence means a person.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn speech_over_the_greeting_stops_it_and_mitarbeiter_puts_the_caller_through() {
    let app = spawn_listening_app(Backend::Sqlite).await;
    set_offices_open(&app, true).await;
    let report = dial(&erika_speaking(&app, r#"pause:3000 bargein:"Ich möchte bitte mit einem Mitarbeiter sprechen.""#), Some(&prompts()))
        .await
        .unwrap();
    let lines = format!("{:#?}", report.lines);
    assert!(report.lines.iter().any(|l| l.text.contains("barge-in")), "{lines}");
    let heard: Vec<&str> = report.played.iter().map(|p| p.prompt.as_str()).collect();
    assert!(!heard.contains(&"greeting_known") && !heard.contains(&"main_menu"), "interrupted prompts never finish: {heard:?}");
    assert_eq!(report.transfers, [HOERDE], "{lines}");
    let (_, path, outcome) = ended_call(&app.db, &report.call_id).await;
    assert_eq!((path.as_str(), outcome.as_str()), ("main>said>person>transfer", "transferred"));
    app.stop().await;
}

/// Words the dialog cannot use get a kind "not understood" and the question again; the
/// keypad still works, and nothing is stored from a misunderstanding.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_that_is_not_understood_is_asked_again() {
    let app = spawn_listening_app(Backend::Postgres).await;
    let report =
        dial(&erika_speaking(&app, r#"pause:3000 bargein:"Blumenkohl und Kartoffeln." wait hangup"#), Some(&prompts())).await.unwrap();
    let lines = format!("{:#?}", report.lines);
    // "Einen Moment bitte" comes first when recognition takes long (a busy machine).
    let heard: Vec<&str> = report.played.iter().map(|p| p.prompt.as_str()).filter(|p| *p != "one_moment").collect();
    assert_eq!(heard, ["not_understood", "main_menu"], "{lines}");
    let (_, path, outcome) = ended_call(&app.db, &report.call_id).await;
    assert_eq!((path.as_str(), outcome.as_str()), ("main>hangup", "caller_hung_up"), "{lines}");
    let tickets: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tickets").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(tickets, 0);
    app.stop().await;
}
