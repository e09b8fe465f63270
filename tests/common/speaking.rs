//! Callers who speak: the hotline with speech recognition on, and Erika answering with a
//! test voice on the line.

use super::{TestApp, root, spawn_app_with};
use seniorentelefon::caller::CallOptions;
use seniorentelefon::speech::tts::{Tts, VoicesConfig};
use sqlx::Row;
use std::sync::Arc;
use std::time::Duration;

/// Erika Mustermann's number in the demo directory.
pub const ERIKA: &str = "+4923155512345";

/// The hotline with whisper listening (the model comes with scripts/setup.sh).
pub async fn spawn_listening_app(backend: super::Backend) -> TestApp {
    let model = root().join("voices/whisper/ggml-base.bin");
    assert!(model.is_file(), "{} is missing: run scripts/setup.sh", model.display());
    spawn_app_with(backend, &[("HOTLINE_SPEECH_WHISPER_MODEL", model.to_str().unwrap())]).await
}

/// Erika, answering with her voice. She waits longer than the keypad caller before she
/// answers, so an "einen Moment bitte" while her last answer is still being recognised (on
/// a busy machine) is not taken for the next question.
pub fn erika_speaking(app: &TestApp, script: &str) -> CallOptions {
    speaking(app, ERIKA, script)
}

/// Any caller answering with the test voice, as patient as Erika.
pub fn speaking(app: &TestApp, caller: &str, script: &str) -> CallOptions {
    let voices = VoicesConfig::load(&root().join("voices/voices.toml")).unwrap();
    let mut options = app.caller(caller, script);
    options.voice = Some(Arc::new(Tts::start(voices.voice("de").unwrap(), 1).unwrap()));
    options.think = Duration::from_millis(3000);
    options
}

/// The message row of the only ticket, once its transcript is in (it is made after the
/// call): (window_start, message_audio_path, transcript).
pub async fn message_of_the_ticket(app: &TestApp) -> (Option<String>, Option<String>, Option<String>) {
    for _ in 0..600 {
        let r = sqlx::query("SELECT window_start, message_audio_path, transcript FROM tickets").fetch_one(app.db.pool()).await.unwrap();
        let transcript: Option<String> = r.get("transcript");
        if transcript.is_some() {
            return (r.get("window_start"), r.get("message_audio_path"), transcript);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the voice message was not transcribed within a minute");
}
