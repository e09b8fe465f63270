//! Twilio-compatible bidirectional media stream over WebSocket (`GET /twilio/media`).
//!
//! Inbound JSON text frames: `connected`, `start` (stream and call ids, custom parameters,
//! media format), `media` (base64 μ-law, 20 ms), `dtmf`, `mark` (echo of ours once played),
//! `stop`. Outbound: `media`, `mark` after each prompt, `clear` on barge-in.
//! A reader task turns frames into [`Inbound`] events, a writer task turns [`Outbound`]
//! into frames; the call itself runs in [`run_call`]. Garbage from the peer is logged and
//! tolerated up to a limit, then the socket is closed with a policy-violation code.

use super::call::{CallIo, CallMeta, INBOUND_QUEUE, Inbound, Outbound, forward_audio, frame_of, run_call, wind_down};
use super::metrics::CallMetrics;
use super::twilio::{PARAM_CALL_SID, PARAM_CALLED, PARAM_CALLER, authenticate};
use crate::audio::{Framer, g711};
use crate::domain::PhoneNumber;
use crate::server::AppState;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{OriginalUri, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// Largest message we accept (a 20 ms media frame is about 400 bytes of JSON).
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Time for the peer to send `start` after connecting.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Invalid messages tolerated before the stream is closed.
const MAX_BAD_MESSAGES: u32 = 10;
/// Largest decoded media payload (1 s of μ-law).
const MAX_MEDIA_BYTES: usize = 8000;
/// Outgoing frames buffered towards a slow peer before frames are dropped.
const OUTBOUND_QUEUE: usize = 50;
/// No message from the peer for this long: the line is dead (half-open TCP).
const SILENT_PEER_TIMEOUT: Duration = Duration::from_secs(10);
/// A peer that accepts no data for this long is gone (half-open or stuck).
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a hang-up waits for the provider to report the last prompt played (Twilio
/// plays what it has buffered and echoes our mark; closing earlier cuts the goodbye off).
const LAST_MARK_TIMEOUT: Duration = Duration::from_secs(5);
/// WebSocket close codes (RFC 6455).
const CLOSE_NORMAL: u16 = 1000;
const CLOSE_POLICY: u16 = 1008;

#[derive(Debug, Deserialize)]
#[serde(tag = "event", rename_all = "lowercase")]
enum StreamMessage {
    Connected,
    Start {
        start: StartInfo,
    },
    Media {
        media: MediaInfo,
    },
    Dtmf {
        dtmf: DtmfInfo,
    },
    Mark {
        mark: MarkInfo,
    },
    Stop,
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StartInfo {
    stream_sid: String,
    #[serde(default)]
    call_sid: String,
    #[serde(default)]
    custom_parameters: HashMap<String, String>,
    media_format: Option<MediaFormat>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MediaFormat {
    encoding: String,
    sample_rate: u32,
    #[serde(default = "one")]
    channels: u32,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Deserialize)]
struct MediaInfo {
    payload: String,
}

#[derive(Debug, Deserialize)]
struct DtmfInfo {
    digit: String,
}

#[derive(Debug, Deserialize)]
struct MarkInfo {
    name: String,
}

type Sink = SplitSink<WebSocket, Message>;
type Source = SplitStream<WebSocket>;
type CloseReason = Arc<Mutex<Option<(u16, String)>>>;

/// `GET /twilio/media`: upgrade to the media-stream WebSocket (signed over its wss:// URL).
pub async fn media(ws: WebSocketUpgrade, State(app): State<AppState>, headers: HeaderMap, uri: OriginalUri) -> Response {
    if let Err(denied) = authenticate(&app, &headers, &uri, &[], true) {
        return denied.into_response();
    }
    ws.max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .on_failed_upgrade(|e| tracing::warn!(error = %e, "media stream upgrade failed"))
        .on_upgrade(move |socket| serve(app, socket))
}

async fn serve(app: AppState, socket: WebSocket) {
    let (mut sink, mut source) = socket.split();
    let start = match tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake(&mut source)).await {
        Ok(Ok(start)) => start,
        Ok(Err(reason)) => {
            tracing::warn!(%reason, "media stream rejected");
            close(&mut sink, CLOSE_POLICY, &reason).await;
            return;
        }
        Err(_) => {
            tracing::warn!("media stream sent no start message in time");
            close(&mut sink, CLOSE_POLICY, "no start message").await;
            return;
        }
    };
    let params = &start.custom_parameters;
    let meta = CallMeta {
        transport: "twilio",
        provider_call_id: Some(params.get(PARAM_CALL_SID).cloned().unwrap_or(start.call_sid.clone())).filter(|s| !s.is_empty()),
        caller: params.get(PARAM_CALLER).and_then(|c| PhoneNumber::from_caller_id(c)),
        called: params.get(PARAM_CALLED).cloned(),
    };
    let (in_tx, in_rx) = mpsc::channel(INBOUND_QUEUE);
    let (out_tx, out_rx) = mpsc::channel(OUTBOUND_QUEUE);
    let close_reason: CloseReason = Arc::default();
    let (played_tx, played_rx) = watch::channel(None);
    let writer = tokio::spawn(write_loop(sink, out_rx, start.stream_sid.clone(), Arc::clone(&close_reason), played_rx));
    let reader = tokio::spawn(read_loop(source, in_tx, Arc::clone(&app.metrics), close_reason, played_tx));
    run_call(app, CallIo { inbound: in_rx, outbound: out_tx }, meta).await;
    wind_down(reader, writer, LAST_MARK_TIMEOUT).await;
}

/// Reads until `start`; `connected` and early marks may precede it.
async fn handshake(source: &mut Source) -> Result<StartInfo, String> {
    let mut bad = 0;
    while let Some(message) = source.next().await {
        let text = match message {
            Ok(Message::Text(text)) => text,
            Ok(Message::Close(_)) | Err(_) => return Err("peer left before start".into()),
            Ok(Message::Ping(_) | Message::Pong(_)) => continue,
            Ok(Message::Binary(_)) => {
                bad += 1;
                if bad > MAX_BAD_MESSAGES { return Err("binary frames instead of JSON".into()) } else { continue }
            }
        };
        match serde_json::from_str::<StreamMessage>(&text) {
            Ok(StreamMessage::Start { start }) => {
                if let Some(f) = &start.media_format
                    && (f.encoding != "audio/x-mulaw" || f.sample_rate != 8000 || f.channels != 1)
                {
                    return Err(format!("unsupported media format {} {} Hz x{}", f.encoding, f.sample_rate, f.channels));
                }
                return Ok(start);
            }
            Ok(StreamMessage::Connected) => {}
            Ok(StreamMessage::Stop) => return Err("stream stopped before start".into()),
            Ok(other) => tracing::debug!(message = ?other, "message before start ignored"),
            Err(e) => {
                bad += 1;
                tracing::warn!(error = %e, "invalid message before start");
                if bad > MAX_BAD_MESSAGES {
                    return Err("too many invalid messages".into());
                }
            }
        }
    }
    Err("peer left before start".into())
}

async fn read_loop(
    mut source: Source,
    inbound: mpsc::Sender<Inbound>,
    metrics: Arc<CallMetrics>,
    close_reason: CloseReason,
    played: watch::Sender<Option<String>>,
) {
    let mut bad = 0u32;
    let mut media_buf = vec![0u8; MAX_MEDIA_BYTES + 3];
    let mut framer = Framer::default();
    let mut complain = |what: String| {
        bad += 1;
        tracing::warn!(problem = %what, count = bad, "invalid media-stream message");
        bad > MAX_BAD_MESSAGES
    };
    loop {
        // The provider streams the caller's audio every 20 ms; a long quiet is a dead line.
        let message = match tokio::time::timeout(SILENT_PEER_TIMEOUT, source.next()).await {
            Ok(Some(message)) => message,
            Ok(None) => break,
            Err(_) => {
                tracing::warn!("media stream silent for {} s; treating the line as dead", SILENT_PEER_TIMEOUT.as_secs());
                break;
            }
        };
        let text = match message {
            Ok(Message::Text(text)) => text,
            Ok(Message::Close(_)) | Err(_) => break,
            Ok(Message::Ping(_) | Message::Pong(_)) => continue,
            Ok(Message::Binary(b)) => {
                if complain(format!("binary frame of {} bytes", b.len())) {
                    break_with(&close_reason, "too many invalid messages");
                    break;
                }
                continue;
            }
        };
        let problem = match serde_json::from_str::<StreamMessage>(&text) {
            Ok(StreamMessage::Media { media }) => match BASE64.decode_slice(media.payload.as_bytes(), &mut media_buf) {
                Ok(n) if n <= MAX_MEDIA_BYTES => {
                    framer.push(media_buf[..n].iter().map(|&code| g711::ulaw_to_linear(code)), |frame| {
                        forward_audio(&inbound, frame, &metrics)
                    });
                    None
                }
                Ok(n) => Some(format!("media payload of {n} bytes")),
                Err(e) => Some(format!("media payload is not base64: {e}")),
            },
            Ok(StreamMessage::Dtmf { dtmf }) => match dtmf.digit.chars().collect::<Vec<_>>()[..] {
                [d] if d.is_ascii_digit() || d == '*' || d == '#' => {
                    if inbound.send(Inbound::Dtmf(d)).await.is_err() {
                        return;
                    }
                    None
                }
                _ => Some(format!("dtmf digit {:?}", dtmf.digit)),
            },
            Ok(StreamMessage::Mark { mark }) => {
                tracing::debug!(mark = %mark.name, "played");
                played.send_replace(Some(mark.name));
                None
            }
            Ok(StreamMessage::Stop) => break,
            Ok(StreamMessage::Connected | StreamMessage::Start { .. }) => Some("repeated connected/start".into()),
            Ok(StreamMessage::Unknown) => {
                tracing::debug!("unknown media-stream event ignored");
                None
            }
            Err(e) => Some(format!("not a media-stream message: {e}")),
        };
        if let Some(problem) = problem
            && complain(problem)
        {
            break_with(&close_reason, "too many invalid messages");
            break;
        }
    }
    let _ = inbound.send(Inbound::Hangup).await;
}

fn break_with(reason: &CloseReason, text: &str) {
    *reason.lock().expect("close reason lock") = Some((CLOSE_POLICY, text.to_string()));
}

async fn write_loop(
    mut sink: Sink,
    mut outbound: mpsc::Receiver<Outbound>,
    stream_sid: String,
    close_reason: CloseReason,
    mut played: watch::Receiver<Option<String>>,
) {
    let sid = serde_json::to_string(&stream_sid).expect("string serialises");
    let mut ulaw = Vec::with_capacity(crate::audio::FRAME_SAMPLES);
    let mut last_mark = None;
    while let Some(out) = outbound.recv().await {
        let json = match out {
            Outbound::Audio { clip, offset } => {
                g711::encode_into(g711::Law::Mu, &frame_of(&clip, offset), &mut ulaw);
                format!(r#"{{"event":"media","streamSid":{sid},"media":{{"payload":"{}"}}}}"#, BASE64.encode(&ulaw))
            }
            Outbound::Mark(name) => {
                let json = format!(
                    r#"{{"event":"mark","streamSid":{sid},"mark":{{"name":{}}}}}"#,
                    serde_json::to_string(&name).expect("string serialises")
                );
                last_mark = Some(name);
                json
            }
            Outbound::Clear => {
                last_mark = None;
                format!(r#"{{"event":"clear","streamSid":{sid}}}"#)
            }
            Outbound::Hangup => {
                // The goodbye is still in the provider's buffer until its mark comes back.
                if let Some(mark) = last_mark {
                    let echoed = played.wait_for(|echo| echo.as_ref() == Some(&mark));
                    if tokio::time::timeout(LAST_MARK_TIMEOUT, echoed).await.is_err() {
                        tracing::warn!(%mark, "last prompt not reported played in time; hanging up anyway");
                    }
                }
                break;
            }
        };
        match tokio::time::timeout(WRITE_TIMEOUT, sink.send(Message::Text(json.into()))).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return,
            Err(_) => {
                // Dropping the receiver ends the call: its next frame finds the line closed.
                tracing::warn!("media-stream peer stopped reading; closing the stream");
                return;
            }
        }
    }
    let (code, reason) = close_reason.lock().expect("close reason lock").take().unwrap_or((CLOSE_NORMAL, "call ended".into()));
    close(&mut sink, code, &reason).await;
}

async fn close(sink: &mut Sink, code: u16, reason: &str) {
    let _ = sink.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
    let _ = sink.close().await;
}
