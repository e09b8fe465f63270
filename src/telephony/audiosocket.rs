//! Asterisk AudioSocket front door (on-prem PBX).
//!
//! Asterisk connects over TCP (`AudioSocket(uuid,host:port)` in the dialplan) and sends
//! frames of 1 byte type, 2 bytes big-endian length, payload: `0x01` call UUID (first),
//! `0x10` audio (signed 16-bit little-endian, 8 kHz mono, 320 bytes per 20 ms), `0x03` a
//! DTMF digit, `0x00` hang-up, `0xff` error. Older Asterisk versions send no DTMF
//! frames, so key tones are also detected in the audio (deduplicated against frames). We
//! answer with `0x10` audio frames paced in real time (there is no "clear": to stop a
//! prompt we simply stop sending) and `0x00` to hang up. Caller ID does not travel in AudioSocket: the dialplan registers it for
//! the UUID first (`POST /audiosocket/caller`, see the README), and the call looks it up.

use super::call::{CallIo, CallMeta, INBOUND_QUEUE, Inbound, Outbound, forward_audio, frame_of, run_call, wind_down};
use super::metrics::CallMetrics;
use crate::audio::Framer;
use crate::audio::dtmf::DtmfDetector;
use crate::domain::{PhoneNumber, calls};
use crate::server::AppState;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

pub const KIND_HANGUP: u8 = 0x00;
pub const KIND_UUID: u8 = 0x01;
pub const KIND_DTMF: u8 = 0x03;
pub const KIND_AUDIO: u8 = 0x10;
pub const KIND_ERROR: u8 = 0xff;
/// Newer Asterisk versions send audio at higher rates with types 0x11..0x18.
const KIND_AUDIO_OTHER_RATES: std::ops::RangeInclusive<u8> = 0x11..=0x18;
/// The first frame (the UUID) must arrive within this time.
const HELLO_TIMEOUT: Duration = Duration::from_secs(5);
/// Asterisk sends audio every 20 ms; this long without any frame is a dead line.
const SILENT_PEER_TIMEOUT: Duration = Duration::from_secs(10);
/// A peer that does not take a frame for this long has stopped reading.
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);
/// Registered caller IDs are kept this long for the connection that follows.
const REGISTRATION_TTL: Duration = Duration::from_secs(60);
const MAX_REGISTRATIONS: usize = 10_000;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FrameError {
    #[error("connection closed")]
    Closed,
    #[error("read failed: {0}")]
    Io(String),
}

/// One AudioSocket frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub kind: u8,
    pub payload: Vec<u8>,
}

pub async fn read_frame<R: AsyncRead + Unpin>(reader: &mut R) -> Result<Frame, FrameError> {
    let mut header = [0u8; 3];
    match reader.read_exact(&mut header).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Err(FrameError::Closed),
        Err(e) => return Err(FrameError::Io(e.to_string())),
    }
    let len = u16::from_be_bytes([header[1], header[2]]) as usize;
    let mut payload = vec![0u8; len];
    reader.read_exact(&mut payload).await.map_err(|e| FrameError::Io(e.to_string()))?;
    Ok(Frame { kind: header[0], payload })
}

pub fn encode_frame(kind: u8, payload: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.push(kind);
    out.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    out.extend_from_slice(payload);
}

/// Caller IDs announced by the dialplan, by call UUID, until the call connects.
#[derive(Default)]
pub struct CallerRegistry {
    entries: Mutex<HashMap<uuid::Uuid, (Option<PhoneNumber>, Instant)>>,
}

impl CallerRegistry {
    pub fn register(&self, call: uuid::Uuid, caller: Option<PhoneNumber>) {
        let mut entries = self.entries.lock().expect("registry lock");
        if entries.len() >= MAX_REGISTRATIONS {
            entries.retain(|_, (_, at)| at.elapsed() < REGISTRATION_TTL);
        }
        if entries.len() < MAX_REGISTRATIONS {
            entries.insert(call, (caller, Instant::now()));
        }
    }

    /// The caller registered for `call` (each registration is used once).
    pub fn take(&self, call: &uuid::Uuid) -> Option<PhoneNumber> {
        let (caller, at) = self.entries.lock().expect("registry lock").remove(call)?;
        if at.elapsed() < REGISTRATION_TTL { caller } else { None }
    }
}

/// Checks the dialplan's shared secret (constant time). Rejections are responses.
fn check_token(app: &AppState, form: &HashMap<String, String>) -> Result<(), Rejection> {
    let Some(expected) = &app.config.audiosocket.token else {
        return Err((StatusCode::NOT_FOUND, "AudioSocket is not enabled\n"));
    };
    let given = form.get("token").map(String::as_str).unwrap_or("");
    let matches = given.len() == expected.expose_secret().len()
        && given.bytes().zip(expected.expose_secret().bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
    if !matches {
        tracing::warn!("AudioSocket dialplan request with a wrong token rejected");
        return Err((StatusCode::FORBIDDEN, "wrong token\n"));
    }
    Ok(())
}

fn call_uuid(form: &HashMap<String, String>) -> Result<uuid::Uuid, Rejection> {
    form.get("uuid").and_then(|u| uuid::Uuid::parse_str(u).ok()).ok_or((StatusCode::BAD_REQUEST, "form field uuid must be a UUID\n"))
}

/// A refused dialplan request: status and a one-line explanation.
type Rejection = (StatusCode, &'static str);

/// `POST /audiosocket/caller` (form: `uuid`, `caller`, `token`): the dialplan announces
/// who is calling before it connects the AudioSocket with that UUID.
pub async fn register_caller(State(app): State<AppState>, Form(form): Form<HashMap<String, String>>) -> Response {
    let call = match check_token(&app, &form).and_then(|()| call_uuid(&form)) {
        Ok(call) => call,
        Err(rejection) => return rejection.into_response(),
    };
    let caller = form.get("caller").and_then(|c| PhoneNumber::from_caller_id(c));
    app.audiosocket_callers.register(call, caller);
    StatusCode::NO_CONTENT.into_response()
}

/// `POST /audiosocket/transfer` (form: `uuid`, `token`, optional `status`): after the
/// AudioSocket ends, the dialplan asks whether to put the caller through. The answer is
/// the number to dial (200, plain text) or nothing (204). With `status` (Asterisk's
/// DIALSTATUS) it reports how the transfer went instead; reconnecting the AudioSocket
/// with the same UUID after a failed transfer brings the caller back to the hotline.
pub async fn transfer(State(app): State<AppState>, Form(form): Form<HashMap<String, String>>) -> Response {
    let call = match check_token(&app, &form).and_then(|()| call_uuid(&form)) {
        Ok(call) => call,
        Err(rejection) => return rejection.into_response(),
    };
    let call = call.to_string();
    let result = match form.get("status") {
        // Asterisk says ANSWER where Twilio says completed.
        Some(status) => {
            let status = if status == "ANSWER" { "completed".to_string() } else { status.to_lowercase() };
            calls::record_transfer_status(&app.db, "audiosocket", &call, &status).await.map(|()| StatusCode::NO_CONTENT.into_response())
        }
        None => calls::pending_transfer(&app.db, "audiosocket", &call).await.map(|number| match number {
            Some(n) => (StatusCode::OK, n.as_str().to_string()).into_response(),
            None => StatusCode::NO_CONTENT.into_response(),
        }),
    };
    result.unwrap_or_else(|e| {
        tracing::error!(error = %e, "transfer lookup failed");
        (StatusCode::SERVICE_UNAVAILABLE, "try again\n").into_response()
    })
}

/// Accepts AudioSocket connections until the listener fails; each call is its own task.
pub async fn serve(listener: TcpListener, app: AppState) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let app = app.clone();
                tokio::spawn(async move {
                    let _ = stream.set_nodelay(true);
                    if let Err(reason) = handle(stream, app).await {
                        tracing::warn!(%peer, %reason, "AudioSocket connection refused");
                    }
                });
            }
            Err(e) => {
                // Out of file descriptors and the like: pause instead of spinning.
                tracing::error!(error = %e, "AudioSocket accept failed");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

async fn handle(stream: TcpStream, app: AppState) -> Result<(), String> {
    let (read_half, mut write_half) = stream.into_split();
    let mut reader = BufReader::new(read_half);
    let hello = tokio::time::timeout(HELLO_TIMEOUT, read_frame(&mut reader))
        .await
        .map_err(|_| "no UUID frame in time".to_string())?
        .map_err(|e| format!("before the UUID frame: {e}"))?;
    if hello.kind != KIND_UUID || hello.payload.len() != 16 {
        let mut frame = Vec::new();
        encode_frame(KIND_HANGUP, &[], &mut frame);
        let _ = write_half.write_all(&frame).await;
        return Err(format!("first frame is type {:#04x} with {} bytes, expected the 16-byte call UUID", hello.kind, hello.payload.len()));
    }
    let call = uuid::Uuid::from_slice(&hello.payload).expect("16 bytes");
    let meta = CallMeta {
        transport: "audiosocket",
        provider_call_id: Some(call.to_string()),
        caller: app.audiosocket_callers.take(&call),
        called: None,
    };
    let (in_tx, in_rx) = mpsc::channel(INBOUND_QUEUE);
    let (out_tx, out_rx) = mpsc::channel(50);
    let reader_task = tokio::spawn(read_loop(reader, in_tx, Arc::clone(&app.metrics)));
    let writer_task = tokio::spawn(write_loop(write_half, out_rx));
    run_call(app, CallIo { inbound: in_rx, outbound: out_tx }, meta).await;
    // Audio is paced in real time, so there is no far-end buffer to wait for.
    wind_down(reader_task, writer_task, Duration::ZERO).await;
    Ok(())
}

/// Keys arrive as DTMF frames, as tones in the audio, or both (depending on the Asterisk
/// version and channel driver): the same key from the other source within this window is
/// the same press.
const SAME_PRESS_WINDOW: Duration = Duration::from_millis(300);

#[derive(Default)]
struct KeyDeduper {
    last: Option<(char, Instant, bool)>,
}

impl KeyDeduper {
    /// Whether a key from `in_band` (or frame) source is a new press.
    fn is_new(&mut self, key: char, in_band: bool, now: Instant) -> bool {
        let duplicate =
            matches!(self.last, Some((k, at, source)) if k == key && source != in_band && now.duration_since(at) < SAME_PRESS_WINDOW);
        if !duplicate {
            self.last = Some((key, now, in_band));
        }
        !duplicate
    }
}

async fn read_loop<R: AsyncRead + Unpin>(mut reader: R, inbound: mpsc::Sender<Inbound>, metrics: Arc<CallMetrics>) {
    let mut detector = DtmfDetector::default();
    let mut dedup = KeyDeduper::default();
    let mut framer = Framer::default();
    loop {
        let frame = match tokio::time::timeout(SILENT_PEER_TIMEOUT, read_frame(&mut reader)).await {
            Ok(Ok(frame)) => frame,
            Ok(Err(FrameError::Closed)) => break,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "AudioSocket read failed");
                break;
            }
            Err(_) => {
                tracing::warn!("AudioSocket peer silent for {SILENT_PEER_TIMEOUT:?}; treating the line as dead");
                break;
            }
        };
        let key = match frame.kind {
            // Caller audio: searched for key tones (not every PBX sends DTMF frames), and
            // passed on to be listened to.
            KIND_AUDIO if frame.payload.len() % 2 == 0 => {
                let mut found = None;
                framer.push(frame.payload.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])), |frame| {
                    found = detector.push(frame).map(|k| (k, true)).or(found);
                    forward_audio(&inbound, frame, &metrics);
                });
                found
            }
            KIND_AUDIO => {
                tracing::warn!(bytes = frame.payload.len(), "odd-sized audio frame ignored");
                None
            }
            KIND_DTMF => match frame.payload.first().map(|&b| b as char) {
                Some(d) if d.is_ascii_digit() || d == '*' || d == '#' => Some((d, false)),
                other => {
                    tracing::warn!(digit = ?other, "invalid DTMF frame ignored");
                    None
                }
            },
            KIND_HANGUP => break,
            KIND_ERROR => {
                tracing::warn!(code = ?frame.payload, "AudioSocket peer reported an error");
                break;
            }
            kind if KIND_AUDIO_OTHER_RATES.contains(&kind) => {
                tracing::warn!(kind, "audio at a sample rate other than 8 kHz is not supported; use slin (8 kHz) in the dialplan");
                break;
            }
            kind => {
                tracing::warn!(kind, "unknown AudioSocket frame type ignored");
                None
            }
        };
        if let Some((key, in_band)) = key
            && dedup.is_new(key, in_band, Instant::now())
            // The A-D column keys exist on no senior's phone and mean nothing to the dialog.
            && !key.is_ascii_uppercase()
            && inbound.send(Inbound::Dtmf(key)).await.is_err()
        {
            return;
        }
    }
    let _ = inbound.send(Inbound::Hangup).await;
}

async fn write_loop<W: AsyncWrite + Unpin>(mut writer: W, mut outbound: mpsc::Receiver<Outbound>) {
    let mut frame = Vec::with_capacity(3 + 320);
    let mut pcm = [0u8; 320];
    while let Some(out) = outbound.recv().await {
        match out {
            Outbound::Audio { clip, offset } => {
                for (bytes, sample) in pcm.chunks_exact_mut(2).zip(frame_of(&clip, offset)) {
                    bytes.copy_from_slice(&sample.to_le_bytes());
                }
                encode_frame(KIND_AUDIO, &pcm, &mut frame);
            }
            // Played audio is paced in real time, so nothing is buffered at the far end:
            // marks need no echo and a barge-in needs no clear.
            Outbound::Mark(_) | Outbound::Clear => continue,
            Outbound::Hangup => break,
        }
        match tokio::time::timeout(WRITE_TIMEOUT, writer.write_all(&frame)).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return,
            Err(_) => {
                tracing::warn!("AudioSocket peer stopped reading; ending the call");
                return;
            }
        }
    }
    encode_frame(KIND_HANGUP, &[], &mut frame);
    let _ = tokio::time::timeout(WRITE_TIMEOUT, writer.write_all(&frame)).await;
    let _ = writer.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn frames_round_trip_and_truncation_is_an_error() {
        let mut bytes = Vec::new();
        let mut frame = Vec::new();
        encode_frame(KIND_DTMF, b"5", &mut frame);
        bytes.extend_from_slice(&frame);
        encode_frame(KIND_AUDIO, &[1u8; 320], &mut frame);
        bytes.extend_from_slice(&frame);
        encode_frame(KIND_HANGUP, &[], &mut frame);
        bytes.extend_from_slice(&frame);
        let mut reader = &bytes[..];
        assert_eq!(read_frame(&mut reader).await.unwrap(), Frame { kind: KIND_DTMF, payload: b"5".to_vec() });
        assert_eq!(read_frame(&mut reader).await.unwrap().payload.len(), 320);
        assert_eq!(read_frame(&mut reader).await.unwrap(), Frame { kind: KIND_HANGUP, payload: vec![] });
        assert_eq!(read_frame(&mut reader).await, Err(FrameError::Closed));
        let truncated = [KIND_AUDIO, 0x01, 0x40, 0, 0];
        assert!(matches!(read_frame(&mut &truncated[..]).await, Err(FrameError::Io(_))));
    }

    #[test]
    fn the_same_press_from_both_sources_counts_once() {
        let mut d = KeyDeduper::default();
        let t = Instant::now();
        assert!(d.is_new('5', false, t));
        assert!(!d.is_new('5', true, t + Duration::from_millis(60)), "tone of the same press");
        assert!(d.is_new('5', false, t + Duration::from_millis(200)), "a second frame is a second press");
        assert!(d.is_new('6', true, t + Duration::from_millis(250)));
        assert!(d.is_new('6', false, t + Duration::from_millis(900)), "outside the window");
    }

    #[test]
    fn registrations_are_used_once() {
        let registry = CallerRegistry::default();
        let call = uuid::Uuid::new_v4();
        registry.register(call, PhoneNumber::from_caller_id("+4923155512345"));
        assert_eq!(registry.take(&call).unwrap().as_str(), "+4923155512345");
        assert_eq!(registry.take(&call), None);
    }
}
