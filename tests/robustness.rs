//! Bad input from the outside gets a clear answer and never a panic, and other calls go on:
//! malformed webhooks, WebSocket garbage, wrong media formats, oversized messages, broken
//! configuration.

mod common;

use common::{Backend, spawn_app};
use futures_util::{SinkExt, StreamExt};
use seniorentelefon::caller::{CallOptions, dial, parse_script};
use std::process::Command;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn media_socket(base: &str) -> Ws {
    let url = format!("{}/twilio/media", base.replacen("http://", "ws://", 1));
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

fn start_message(encoding: &str) -> String {
    serde_json::json!({"event": "start", "streamSid": "MZ1", "start": {"streamSid": "MZ1", "callSid": "CAbad",
        "customParameters": {"caller": "+4923155512345"},
        "mediaFormat": {"encoding": encoding, "sampleRate": 8000, "channels": 1}}})
    .to_string()
}

/// Reads until the server closes; returns its close code and reason.
async fn closed_with(ws: &mut Ws) -> (CloseCode, String) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await.expect("server must close the socket") {
            Some(Ok(Message::Close(Some(frame)))) => return (frame.code, frame.reason.to_string()),
            Some(Ok(Message::Close(None))) | None => return (CloseCode::Abnormal, String::new()),
            Some(Ok(_)) => continue,
            Some(Err(e)) => return (CloseCode::Abnormal, e.to_string()),
        }
    }
}

async fn a_good_call_still_works(base: &str) {
    let report = dial(&CallOptions::new(base, "+4923155512345", parse_script("pause:2500 hangup").unwrap()), None).await.unwrap();
    let frames = report.received.samples.iter().filter(|&&s| s != 0).count();
    assert!(frames > 8000, "the good caller heard the greeting ({frames} non-zero samples)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_webhooks_get_clear_http_errors() {
    let app = spawn_app(Backend::Sqlite).await;
    let http = reqwest::Client::new();
    let url = format!("{}/twilio/voice", app.base);
    let r = http.post(&url).form(&[("From", "+4923155512345")]).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("CallSid"));
    let r = http.post(&url).header("content-type", "application/json").body("{\"CallSid\":\"CA1\"}").send().await.unwrap();
    assert_eq!(r.status(), 415);
    let r = http.post(&url).header("content-type", "application/x-www-form-urlencoded").body(vec![b'a'; 200 * 1024]).send().await.unwrap();
    assert_eq!(r.status(), 413, "oversized bodies are refused");
    let r = http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 405);
    // Caller ID that is not a number is treated as unknown, not as an error.
    let r = http.post(&url).form(&[("CallSid", "CA2"), ("From", "anonymous")]).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("<Stream url="));
    a_good_call_still_works(&app.base).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_garbage_is_closed_with_policy_violation_while_other_calls_go_on() {
    let app = spawn_app(Backend::Sqlite).await;
    let garbage = async {
        let mut ws = media_socket(&app.base).await;
        for i in 0..12 {
            let junk = if i % 3 == 0 { Message::Binary(vec![0xde, 0xad].into()) } else { Message::Text("{not json".into()) };
            if ws.send(junk).await.is_err() {
                break;
            }
        }
        closed_with(&mut ws).await
    };
    let (closed, ()) = tokio::join!(garbage, a_good_call_still_works(&app.base));
    assert_eq!(closed.0, CloseCode::Policy, "{closed:?}");
    assert!(closed.1.contains("invalid"), "{closed:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_during_a_call_ends_only_that_call() {
    let app = spawn_app(Backend::Sqlite).await;
    let garbage = async {
        let mut ws = media_socket(&app.base).await;
        ws.send(Message::Text(start_message("audio/x-mulaw").into())).await.unwrap();
        for payload in [
            r#"{"event":"media","media":{"payload":"%%%not base64"}}"#.to_string(),
            r#"{"event":"dtmf","dtmf":{"digit":"X"}}"#.to_string(),
            r#"{"event":"media","media":{}}"#.to_string(),
            format!(r#"{{"event":"media","media":{{"payload":"{}"}}}}"#, "A".repeat(20_000)),
            "[1,2,3]".to_string(),
            r#"{"event":"start"}"#.to_string(),
        ]
        .iter()
        .cycle()
        .take(12)
        {
            if ws.send(Message::Text(payload.clone().into())).await.is_err() {
                break;
            }
        }
        closed_with(&mut ws).await
    };
    let (closed, ()) = tokio::join!(garbage, a_good_call_still_works(&app.base));
    assert_eq!(closed.0, CloseCode::Policy, "{closed:?}");
    // The broken call is recorded as ended.
    let outcome: Option<String> =
        sqlx::query_scalar("SELECT outcome FROM calls WHERE provider_call_id = 'CAbad'").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(outcome.as_deref(), Some("caller_hung_up"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsupported_media_format_and_oversized_messages_are_refused() {
    let app = spawn_app(Backend::Sqlite).await;
    let mut ws = media_socket(&app.base).await;
    ws.send(Message::Text(start_message("audio/x-alaw").into())).await.unwrap();
    let (code, reason) = closed_with(&mut ws).await;
    assert_eq!(code, CloseCode::Policy);
    assert!(reason.contains("audio/x-alaw"), "{reason}");

    let mut ws = media_socket(&app.base).await;
    let _ = ws.send(Message::Text("x".repeat(200 * 1024).into())).await;
    let (code, _) = closed_with(&mut ws).await;
    assert_ne!(code, CloseCode::Normal, "an oversized message ends that socket");

    let health = reqwest::get(format!("{}/healthz", app.base)).await.unwrap();
    assert_eq!(health.status(), 200);
    a_good_call_still_works(&app.base).await;
    app.stop().await;
}

fn hotline(args: &[&str], config: &str) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hotline.toml");
    std::fs::write(&path, config).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(["--config", path.to_str().unwrap()])
        .args(args)
        .current_dir(common::root())
        .env_remove("HOTLINE_DATABASE_URL")
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stderr).to_string())
}

#[test]
fn broken_configuration_is_explained_without_a_panic() {
    let root = common::root();
    let paths = format!("[speech]\nprompts_dir = \"{0}/prompts\"\nvoices = \"{0}/voices/voices.toml\"\n", root.display());
    for (config, expected) in [
        (format!("{paths}[server]\npublic_url = \"ftp://hotline\"\n"), "public_url"),
        (format!("{paths}whisper_model = \"/nowhere/ggml-base.bin\"\n"), "/nowhere/ggml-base.bin"),
        (format!("{paths}[database]\nurl = \"mysql://x\"\n"), "database.url"),
        ("[server\n".to_string(), "not valid"),
        (format!("{paths}[dialog]\nno_input_timeout_secs = \"soon\"\n"), "no_input_timeout_secs"),
        (
            format!("[speech]\nprompts_dir = \"{0}/prompts\"\nvoices = \"{0}/tests/fixtures/missing-voice.toml\"\n", root.display()),
            "missing",
        ),
    ] {
        let (ok, stderr) = hotline(&["migrate"], &config);
        assert!(!ok, "{config} must fail");
        assert!(stderr.contains(expected), "{config}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_hotline")).args(["--config", "/nonexistent/hotline.toml", "migrate"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read config file /nonexistent/hotline.toml"));
}
