//! Bad input from the outside gets a clear answer and never a panic, and other calls go on:
//! malformed webhooks, WebSocket garbage, wrong media formats, oversized messages, broken
//! configuration.

mod common;

use common::{AUTH_TOKEN, Backend, spawn_app};
use futures_util::{SinkExt, StreamExt};
use seniorentelefon::caller::{CallOptions, dial, parse_script};
use seniorentelefon::telephony::signature;
use std::process::Command;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn media_url(base: &str) -> String {
    format!("{}/twilio/media", base.replacen("http://", "ws://", 1))
}

/// A media-stream socket opened like the provider opens it (signed upgrade).
async fn media_socket(base: &str) -> Ws {
    let url = media_url(base);
    let mut request = url.as_str().into_client_request().unwrap();
    request.headers_mut().insert(signature::HEADER, signature::sign(AUTH_TOKEN, &url, &[]).parse().unwrap());
    tokio_tungstenite::connect_async(request).await.unwrap().0
}

fn signed_form(url: &str, form: &[(&str, &str)]) -> (String, String) {
    let params: Vec<(String, String)> = form.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    (signature::HEADER.to_string(), signature::sign(AUTH_TOKEN, url, &params))
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
    let options = CallOptions::new(base, "+4923155512345", parse_script("pause:2500 hangup").unwrap()).signed_with(AUTH_TOKEN);
    let report = dial(&options, None).await.unwrap();
    let frames = report.received.samples.iter().filter(|&&s| s != 0).count();
    assert!(frames > 8000, "the good caller heard the greeting ({frames} non-zero samples)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_webhooks_get_clear_http_errors() {
    let app = spawn_app(Backend::Sqlite).await;
    let http = reqwest::Client::new();
    let url = format!("{}/twilio/voice", app.base);
    let form = [("From", "+4923155512345")];
    let (h, sig) = signed_form(&url, &form);
    let r = http.post(&url).header(h, sig).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("CallSid"));
    let r = http.post(&url).header("content-type", "application/json").body("{\"CallSid\":\"CA1\"}").send().await.unwrap();
    assert_eq!(r.status(), 415);
    let r = http.post(&url).header("content-type", "application/x-www-form-urlencoded").body(vec![b'a'; 200 * 1024]).send().await.unwrap();
    assert_eq!(r.status(), 413, "oversized bodies are refused");
    let r = http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 405);
    // Caller ID that is not a number is treated as unknown, not as an error.
    let form = [("CallSid", "CA2"), ("From", "anonymous")];
    let (h, sig) = signed_form(&url, &form);
    let r = http.post(&url).header(h, sig).form(&form).send().await.unwrap();
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
        // These configurations are broken elsewhere; signatures are not what is tested.
        .env("HOTLINE_TWILIO_SKIP_SIGNATURE_CHECK", "true")
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_or_forged_requests_are_refused() {
    let app = spawn_app(Backend::Sqlite).await;
    let http = reqwest::Client::new();
    let url = format!("{}/twilio/voice", app.base);
    let form = [("CallSid", "CA9"), ("From", "+4923155512345")];
    let r = http.post(&url).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 403, "no signature");
    let (h, sig) = signed_form(&url, &[("CallSid", "CA9"), ("From", "+4923155599999")]);
    let r = http.post(&url).header(h, sig).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 403, "signature over other parameters");
    let (h, sig) = signed_form(&format!("{url}?x=1"), &form);
    let r = http.post(&url).header(h, sig).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 403, "signature over another URL");
    let (h, sig) = signed_form(&url, &form);
    let r = http.post(&url).header(h, sig).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 200);
    // The media stream upgrade is signed too.
    let err = tokio_tungstenite::connect_async(media_url(&app.base)).await.expect_err("unsigned upgrade");
    assert!(err.to_string().contains("403"), "{err}");
    let mut request = media_url(&app.base).into_client_request().unwrap();
    request.headers_mut().insert(signature::HEADER, "AAAA".parse().unwrap());
    assert!(tokio_tungstenite::connect_async(request).await.is_err(), "forged upgrade");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_callbacks_are_recorded_on_the_call_row() {
    let app = spawn_app(Backend::Sqlite).await;
    // A call that went through the hotline, then its final status.
    let report = dial(&app.caller("+4923155512345", "pause:1500 hangup"), None).await.unwrap();
    let http = reqwest::Client::new();
    let url = format!("{}/twilio/status", app.base);
    let form = [("CallSid", report.call_id.as_str()), ("CallStatus", "completed"), ("CallDuration", "3")];
    let (h, sig) = signed_form(&url, &form);
    assert_eq!(http.post(&url).header(h, sig).form(&form).send().await.unwrap().status(), 204);
    // A call that never reached the media stream.
    let form = [("CallSid", "CAbusy"), ("CallStatus", "busy"), ("From", "+4923155598765")];
    let (h, sig) = signed_form(&url, &form);
    assert_eq!(http.post(&url).header(h, sig).form(&form).send().await.unwrap().status(), 204);
    let rows: Vec<(String, Option<String>, Option<i64>)> =
        sqlx::query_as("SELECT provider_call_id, provider_status, duration_secs FROM calls ORDER BY started_at")
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    assert_eq!(rows, vec![(report.call_id.clone(), Some("completed".into()), Some(3)), ("CAbusy".into(), Some("busy".into()), None)]);
    let form = [("CallSid", "CAx")];
    let (h, sig) = signed_form(&url, &form);
    assert_eq!(http.post(&url).header(h, sig).form(&form).send().await.unwrap().status(), 400, "status is required");
    app.stop().await;
}
