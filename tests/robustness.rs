//! Bad input from the outside gets a clear answer and never a panic, and other calls go on:
//! malformed webhooks, WebSocket garbage, wrong media formats, oversized messages, broken
//! configuration.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
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
    start_message_for("CAbad", encoding)
}

fn start_message_for(call_sid: &str, encoding: &str) -> String {
    serde_json::json!({"event": "start", "streamSid": "MZ1", "start": {"streamSid": "MZ1", "callSid": call_sid,
        "customParameters": {"caller": "+4923155512345"},
        "mediaFormat": {"encoding": encoding, "sampleRate": 8000, "channels": 1}}})
    .to_string()
}

/// A media socket whose client side has a tiny receive buffer, so a client that stops
/// reading stalls the server's writes within seconds.
async fn media_socket_small_buffer(base: &str) -> Ws {
    let url = media_url(base);
    let addr: std::net::SocketAddr = base.trim_start_matches("http://").parse().unwrap();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(addr).await.unwrap();
    let mut request = url.as_str().into_client_request().unwrap();
    request.headers_mut().insert(signature::HEADER, signature::sign(AUTH_TOKEN, &url, &[]).parse().unwrap());
    tokio_tungstenite::client_async(request, tokio_tungstenite::MaybeTlsStream::Plain(stream)).await.unwrap().0
}

fn media_message() -> String {
    serde_json::json!({"event": "media", "streamSid": "MZ1", "media": {"payload": BASE64.encode([0xFFu8; 160])}}).to_string()
}

/// The outcome of a provider call once its end is recorded, waiting up to `secs`.
async fn outcome_within(db: &seniorentelefon::db::Db, call_sid: &str, secs: u64) -> Option<String> {
    for _ in 0..secs * 10 {
        let outcome: Option<Option<String>> = sqlx::query_scalar("SELECT outcome FROM calls WHERE provider_call_id = $1")
            .bind(call_sid)
            .fetch_optional(db.pool())
            .await
            .unwrap();
        if let Some(Some(o)) = outcome {
            return Some(o);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
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

/// Twilio signatures carry no timestamp, so a captured stream request can be replayed:
/// the call's row decides. A second stream for a running call, or any stream for a call
/// that has ended, is closed at once and changes nothing; the running call goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_and_replayed_streams_are_refused() {
    let app = spawn_app(Backend::Sqlite).await;
    let mut first = media_socket(&app.base).await;
    first.send(Message::Text(start_message_for("CAdup", "audio/x-mulaw").into())).await.unwrap();
    for _ in 0..50 {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM calls WHERE provider_call_id = 'CAdup'").fetch_one(app.db.pool()).await.unwrap();
        if n == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut second = media_socket(&app.base).await;
    second.send(Message::Text(start_message_for("CAdup", "audio/x-mulaw").into())).await.unwrap();
    let refused = tokio::time::timeout(Duration::from_secs(5), closed_with(&mut second)).await;
    assert!(refused.is_ok(), "the duplicate stream is closed at once");
    // The first stream still hears its greeting.
    let mut media = 0;
    while media < 50 {
        match tokio::time::timeout(Duration::from_secs(5), first.next()).await.unwrap() {
            Some(Ok(Message::Text(t))) if t.contains("\"media\"") => media += 1,
            Some(Ok(_)) => {}
            other => panic!("first stream ended: {other:?}"),
        }
    }
    first.close(None).await.unwrap();
    assert_eq!(outcome_within(&app.db, "CAdup", 10).await.as_deref(), Some("caller_hung_up"));

    // Replaying the stream of a call that is over.
    let report = dial(&app.caller("+4923155512345", "pause:1500 hangup"), None).await.unwrap();
    let before: (String, String) = sqlx::query_as("SELECT path, ended_at FROM calls WHERE provider_call_id = $1")
        .bind(&report.call_id)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let mut replay = media_socket(&app.base).await;
    replay.send(Message::Text(start_message_for(&report.call_id, "audio/x-mulaw").into())).await.unwrap();
    assert!(tokio::time::timeout(Duration::from_secs(5), closed_with(&mut replay)).await.is_ok(), "the replay is closed at once");
    let after: (String, String) = sqlx::query_as("SELECT path, ended_at FROM calls WHERE provider_call_id = $1")
        .bind(&report.call_id)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(before, after, "the replay changed nothing");
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM calls").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(rows, 2);

    // A retried voice webhook gets the same answer and starts nothing by itself.
    let url = format!("{}/twilio/voice", app.base);
    let form = [("CallSid", report.call_id.as_str()), ("From", "+4923155512345")];
    let (name, sig) = signed_form(&url, &form);
    let twice: Vec<String> =
        futures_util::future::join_all((0..2).map(|_| async {
            reqwest::Client::new().post(&url).header(&name, &sig).form(&form).send().await.unwrap().text().await.unwrap()
        }))
        .await;
    assert_eq!(twice[0], twice[1]);
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM calls").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(rows, 2);
    app.stop().await;
}

/// A provider connection that stops reading (it keeps sending audio, but takes none) or
/// goes quiet altogether (half-open TCP) ends its own call within seconds; a good call at
/// the same time is not disturbed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_stops_reading_or_goes_quiet_ends_only_its_own_call() {
    let app = spawn_app(Backend::Sqlite).await;
    let stuck = async {
        let ws = media_socket_small_buffer(&app.base).await;
        let (mut tx, _rx_never_read) = ws.split();
        tx.send(Message::Text(start_message_for("CAstuck", "audio/x-mulaw").into())).await.unwrap();
        let started = tokio::time::Instant::now();
        // Keep talking, never listen.
        let talking = async {
            let mut tick = tokio::time::interval(Duration::from_millis(20));
            loop {
                tick.tick().await;
                if tx.send(Message::Text(media_message().into())).await.is_err() {
                    break;
                }
            }
        };
        tokio::select! {
            outcome = outcome_within(&app.db, "CAstuck", 40) => (outcome, started.elapsed()),
            () = talking => (outcome_within(&app.db, "CAstuck", 10).await, started.elapsed()),
        }
    };
    let quiet = async {
        let mut ws = media_socket(&app.base).await;
        ws.send(Message::Text(start_message_for("CAquiet", "audio/x-mulaw").into())).await.unwrap();
        // Reads what comes (so only the silence matters), sends nothing more.
        let started = tokio::time::Instant::now();
        let reading = async { while let Some(Ok(_)) = ws.next().await {} };
        let (outcome, ()) = tokio::join!(outcome_within(&app.db, "CAquiet", 30), reading);
        (outcome, started.elapsed())
    };
    let ((stuck, stuck_after), (quiet, quiet_after), ()) = tokio::join!(stuck, quiet, a_good_call_still_works(&app.base));
    assert_eq!(stuck.as_deref(), Some("caller_hung_up"), "stuck reader's call ended");
    assert!(stuck_after < Duration::from_secs(40), "{stuck_after:?}");
    assert_eq!(quiet.as_deref(), Some("caller_hung_up"), "quiet peer's call ended");
    assert!(quiet_after >= Duration::from_secs(9) && quiet_after < Duration::from_secs(30), "{quiet_after:?}");
    app.stop().await;
}

/// The provider plays what it has buffered and echoes our mark when the audio before it
/// has been played. The hotline must not close the stream before the goodbye's mark comes
/// back (that would cut the goodbye off), and then closes it cleanly, so even a peer that
/// reads slowly receives everything that was sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hotline_hangs_up_only_after_its_goodbye_was_played() {
    const ECHO_DELAY: Duration = Duration::from_millis(1500);
    let app = spawn_app(Backend::Sqlite).await;
    let mut ws = media_socket(&app.base).await;
    ws.send(Message::Text(start_message_for("CAbye", "audio/x-mulaw").into())).await.unwrap();
    // A callback request by keys, each pressed as soon as the hotline starts its answer.
    let mut keys = vec!["2", "3", "1", "1", "3"];
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut media_since_key = 0;
    let mut goodbye_echo: Option<(tokio::time::Instant, String)> = None;
    let mut echoed_at = None;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    let (code, after_echo) = loop {
        tokio::select! {
            _ = tick.tick() => {
                assert!(tokio::time::Instant::now() < deadline, "the hotline never hung up");
                if media_since_key > 10 && let Some(key) = keys.pop() {
                    let dtmf = serde_json::json!({"event": "dtmf", "streamSid": "MZ1", "dtmf": {"digit": key}});
                    ws.send(Message::Text(dtmf.to_string().into())).await.unwrap();
                    media_since_key = 0;
                }
                if let Some((_, name)) = goodbye_echo.take_if(|(due, _)| *due <= tokio::time::Instant::now()) {
                    let echo = serde_json::json!({"event": "mark", "streamSid": "MZ1", "mark": {"name": name}});
                    ws.send(Message::Text(echo.to_string().into())).await.unwrap();
                    echoed_at = Some(tokio::time::Instant::now());
                }
                // Closing frames race with this audio; the server may already be gone.
                let _ = ws.send(Message::Text(media_message().into())).await;
            }
            message = ws.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                    match v["event"].as_str() {
                        Some("media") => media_since_key += 1,
                        Some("mark") => {
                            let name = v["mark"]["name"].as_str().unwrap().to_string();
                            if name.ends_with(":goodbye") {
                                goodbye_echo = Some((tokio::time::Instant::now() + ECHO_DELAY, name));
                            } else {
                                let echo = serde_json::json!({"event": "mark", "streamSid": "MZ1", "mark": {"name": name}});
                                ws.send(Message::Text(echo.to_string().into())).await.unwrap();
                            }
                        }
                        _ => {}
                    }
                }
                Some(Ok(Message::Close(frame))) => {
                    break (frame.map(|f| f.code), echoed_at.map(|at| at.elapsed()));
                }
                Some(Ok(_)) => {}
                other => panic!("the stream ended without a clean close: {other:?}"),
            }
        }
    };
    assert_eq!(code, Some(CloseCode::Normal));
    assert!(after_echo.is_some(), "the hotline closed before the goodbye was reported played");
    assert_eq!(outcome_within(&app.db, "CAbye", 10).await.as_deref(), Some("ticket_created"));
    app.stop().await;
}
