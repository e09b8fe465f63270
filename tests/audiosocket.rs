//! Asterisk AudioSocket end to end: a TCP client that behaves like Asterisk (caller ID
//! registered by the dialplan, UUID frame, slin audio every 20 ms, DTMF frames) against a
//! real server, and the resulting ticket; plus the ways a PBX connection can go wrong.

mod common;

use common::{AUDIOSOCKET_TOKEN, Backend, set_offices_open, spawn_app};
use seniorentelefon::caller::dial;
use seniorentelefon::telephony::audiosocket::{KIND_AUDIO, KIND_HANGUP, KIND_UUID, encode_frame, read_frame};
use sqlx::Row;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::mpsc;
use tokio::time::Instant;

async fn send(writer: &mut OwnedWriteHalf, kind: u8, payload: &[u8]) -> std::io::Result<()> {
    let mut frame = Vec::new();
    encode_frame(kind, payload, &mut frame);
    writer.write_all(&frame).await
}

async fn register(base: &str, call: uuid::Uuid, caller: &str, token: &str) -> reqwest::StatusCode {
    let form = [("uuid", call.to_string()), ("caller", caller.to_string()), ("token", token.to_string())];
    reqwest::Client::new().post(format!("{base}/audiosocket/caller")).form(&form).send().await.unwrap().status()
}

enum Heard {
    Audio,
    HangUp,
}

/// Connects like Asterisk and returns the writer and what the hotline sends.
async fn connect(addr: std::net::SocketAddr, call: uuid::Uuid) -> (OwnedWriteHalf, mpsc::UnboundedReceiver<(Instant, Heard)>) {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut read_half, mut write_half) = stream.into_split();
    send(&mut write_half, KIND_UUID, call.as_bytes()).await.unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok(frame) = read_frame(&mut read_half).await {
            let heard = match frame.kind {
                KIND_AUDIO => Heard::Audio,
                KIND_HANGUP => Heard::HangUp,
                _ => continue,
            };
            if tx.send((Instant::now(), heard)).is_err() {
                return;
            }
        }
        let _ = tx.send((Instant::now(), Heard::HangUp));
    });
    (write_half, rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keypad_callback_over_audiosocket_creates_a_ticket() {
    let app = spawn_app(Backend::Sqlite).await;
    let options = app.caller("+4923155512345", "3,1,1,3,2").over_audiosocket(&app.audiosocket.to_string(), AUDIOSOCKET_TOKEN);
    let report = dial(&options, None).await.unwrap();
    assert!(report.hung_up_by_hotline);
    let latencies = &report.turn_latencies;
    assert_eq!(latencies.len(), 5, "every key got an answer");
    assert!(latencies.iter().all(|l| *l < Duration::from_millis(1000)), "{latencies:?}");
    let audio = &report.received.samples;
    let rms = (audio.iter().map(|&s| (s as f64).powi(2)).sum::<f64>() / audio.len() as f64).sqrt();
    assert!(audio.len() > 8000 * 30 && rms > 500.0, "{} samples, rms {rms}", audio.len());
    let row = sqlx::query(
        "SELECT t.office_id, t.topic, t.callback_number, c.transport, c.caller FROM tickets t JOIN calls c ON c.id = t.call_id",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(row.get::<String, _>("office_id"), "do-hoerde");
    assert_eq!(row.get::<String, _>("topic"), "pflege");
    assert_eq!(row.get::<Option<String>, _>("callback_number").as_deref(), Some("+4923155512345"));
    assert_eq!(row.get::<String, _>("transport"), "audiosocket");
    assert_eq!(row.get::<Option<String>, _>("caller").as_deref(), Some("+4923155512345"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_peers_are_refused_and_dead_lines_end_the_call() {
    let app = spawn_app(Backend::Sqlite).await;
    // Registration needs the shared secret and a UUID.
    assert_eq!(register(&app.base, uuid::Uuid::new_v4(), "+4923155512345", "guess").await, 403);
    let r = reqwest::Client::new()
        .post(format!("{}/audiosocket/caller", app.base))
        .form(&[("uuid", "nope"), ("token", AUDIOSOCKET_TOKEN)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // A first frame that is not the UUID: the hotline hangs up at once.
    let stream = TcpStream::connect(app.audiosocket).await.unwrap();
    let (mut read_half, mut write_half) = stream.into_split();
    send(&mut write_half, KIND_AUDIO, &[0u8; 320]).await.unwrap();
    let frame = tokio::time::timeout(Duration::from_secs(5), read_frame(&mut read_half)).await.unwrap().unwrap();
    assert_eq!(frame.kind, KIND_HANGUP);

    // Audio at 16 kHz (type 0x12) is not supported: the call ends cleanly.
    let call = uuid::Uuid::new_v4();
    let (mut writer, mut heard) = connect(app.audiosocket, call).await;
    send(&mut writer, 0x12, &[0u8; 640]).await.unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some((_, h)) = heard.recv().await {
            if let Heard::HangUp = h {
                return true;
            }
        }
        true
    })
    .await;
    assert_eq!(ended, Ok(true));

    // A peer that goes silent (half-open line) is hung up on after the silence timeout,
    // and the call is recorded as ended, without a caller ID (none was registered).
    let call = uuid::Uuid::new_v4();
    let (_writer, _heard) = connect(app.audiosocket, call).await;
    let mut outcome = None;
    for _ in 0..150 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let row = sqlx::query("SELECT outcome, caller FROM calls WHERE provider_call_id = $1")
            .bind(call.to_string())
            .fetch_optional(app.db.pool())
            .await
            .unwrap();
        if let Some(row) = row
            && let Some(o) = row.get::<Option<String>, _>("outcome")
        {
            assert_eq!(row.get::<Option<String>, _>("caller"), None);
            outcome = Some(o);
            break;
        }
    }
    assert_eq!(outcome.as_deref(), Some("caller_hung_up"));
    app.stop().await;
}

/// `ms` of the DTMF tones of `key` (8 kHz slin, little-endian bytes), as an old phone or
/// PBX sends them in the audio instead of as DTMF frames.
fn key_tone(key: char, ms: usize) -> Vec<u8> {
    let (row, col) = match key {
        '0' => (941.0, 1336.0),
        '1' => (697.0, 1209.0),
        _ => panic!("only 0 and 1 are used here"),
    };
    (0..ms * 8)
        .flat_map(|i| {
            let t = i as f32 / 8000.0;
            let v = 5000.0 * ((2.0 * std::f32::consts::PI * row * t).sin() + (2.0 * std::f32::consts::PI * col * t).sin());
            (v as i16).to_le_bytes()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_sent_as_tones_in_the_audio_are_understood() {
    let app = spawn_app(Backend::Sqlite).await;
    // "0" asks for a person; with the office closed that is a callback.
    set_offices_open(&app, false).await;
    let call = uuid::Uuid::new_v4();
    assert_eq!(register(&app.base, call, "+4923155512345", AUDIOSOCKET_TOKEN).await, 204);
    let (mut writer, mut heard) = connect(app.audiosocket, call).await;
    // Over the greeting: 0 (a person), then over the next prompt: 1 (yes, this number).
    let mut script: Vec<u8> = Vec::new();
    for part in [vec![0u8; 16000], key_tone('0', 100), vec![0u8; 24000], key_tone('1', 100)] {
        script.extend(part);
    }
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut sent = 0;
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                assert!(Instant::now() < deadline, "the hotline never finished");
                let chunk: Vec<u8> = script.get(sent..sent + 320).map(<[u8]>::to_vec).unwrap_or_else(|| vec![0u8; 320]);
                sent += 320;
                if send(&mut writer, KIND_AUDIO, &chunk).await.is_err() {
                    break;
                }
            }
            event = heard.recv() => if matches!(event, Some((_, Heard::HangUp)) | None) { break },
        }
    }
    // The path is written when the call has ended, just after the hotline hung up.
    let mut ended = None;
    for _ in 0..100 {
        ended = sqlx::query_as::<_, (String, String)>(
            "SELECT t.topic, c.path FROM tickets t JOIN calls c ON c.id = t.call_id WHERE c.ended_at IS NOT NULL",
        )
        .fetch_optional(app.db.pool())
        .await
        .unwrap();
        if ended.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (topic, path) = ended.expect("the call was recorded as ended");
    assert_eq!(topic, "persoenlich");
    assert!(path.starts_with("main>person>number:ok>stored"), "{path}");
    app.stop().await;
}

/// A PBX connection that keeps sending audio but stops reading ours ends its call within
/// seconds (bounded send buffer, write timeout), instead of buffering the prompts forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pbx_that_stops_reading_ends_its_call() {
    let app = spawn_app(Backend::Sqlite).await;
    let call = uuid::Uuid::new_v4();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let (_never_read, mut writer) = socket.connect(app.audiosocket).await.unwrap().into_split();
    send(&mut writer, KIND_UUID, call.as_bytes()).await.unwrap();
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let ended = loop {
        tick.tick().await;
        assert!(started.elapsed() < Duration::from_secs(40), "the stuck call was never ended");
        let _ = send(&mut writer, KIND_AUDIO, &[0u8; 320]).await;
        if started.elapsed().as_millis() % 500 < 20 {
            let outcome: Option<Option<String>> = sqlx::query_scalar("SELECT outcome FROM calls WHERE provider_call_id = $1")
                .bind(call.to_string())
                .fetch_optional(app.db.pool())
                .await
                .unwrap();
            if let Some(Some(outcome)) = outcome {
                break outcome;
            }
        }
    };
    assert_eq!(ended, "caller_hung_up");
    app.stop().await;
}
