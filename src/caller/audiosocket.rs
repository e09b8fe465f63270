//! The caller's side of the AudioSocket front door, as Asterisk and the documented
//! dialplan do it: register the caller ID for the call's UUID, connect over TCP, stream
//! 8 kHz slin frames and DTMF frames; after the hotline hangs up, ask whether to put the
//! call through, report the dial status, and reconnect with the same UUID if nobody answered.

use super::{CallOptions, FromHotline, Heard};
use crate::audio::FRAME_SAMPLES;
use crate::telephony::audiosocket::{KIND_AUDIO, KIND_DTMF, KIND_ERROR, KIND_HANGUP, KIND_UUID, encode_frame, read_frame};
use anyhow::{Context, bail};
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::mpsc;
use tokio::time::Instant;

pub struct Call {
    http: reqwest::Client,
    pub uuid: uuid::Uuid,
    address: String,
    token: String,
}

impl Call {
    pub fn new(_options: &CallOptions, address: &str, token: &str) -> Call {
        Call { http: reqwest::Client::new(), uuid: uuid::Uuid::new_v4(), address: address.to_string(), token: token.to_string() }
    }

    /// A dialplan request (`CURL()` with POST data) to the hotline's HTTP side.
    async fn post(&self, options: &CallOptions, path: &str, extra: &[(&str, &str)]) -> anyhow::Result<(reqwest::StatusCode, String)> {
        let uuid = self.uuid.to_string();
        let mut form = vec![("uuid", uuid.as_str()), ("token", self.token.as_str())];
        form.extend_from_slice(extra);
        let url = format!("{}{path}", options.server);
        let response = self.http.post(&url).form(&form).send().await.with_context(|| format!("cannot reach the hotline at {url}"))?;
        let status = response.status();
        let body = response.text().await?;
        if !status.is_success() {
            bail!("{url} answered {status}: {body}");
        }
        Ok((status, body))
    }

    pub async fn connect(&mut self, options: &CallOptions) -> anyhow::Result<(Wire, Heard)> {
        // Like the dialplan: the registration is used once, so every connection registers.
        self.post(options, "/audiosocket/caller", &[("caller", options.from.as_str())]).await?;
        let stream = TcpStream::connect(&self.address).await.with_context(|| format!("cannot connect to AudioSocket {}", self.address))?;
        stream.set_nodelay(true)?;
        let (read_half, mut write_half) = stream.into_split();
        let mut frame = Vec::new();
        encode_frame(KIND_UUID, self.uuid.as_bytes(), &mut frame);
        write_half.write_all(&frame).await?;
        let (events_tx, events) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut reader = BufReader::new(read_half);
            while let Ok(frame) = read_frame(&mut reader).await {
                let event = match frame.kind {
                    KIND_AUDIO => FromHotline::Media(frame.payload.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])).collect()),
                    KIND_HANGUP | KIND_ERROR => break,
                    _ => continue,
                };
                if events_tx.send((Instant::now(), event)).is_err() {
                    return;
                }
            }
            let _ = events_tx.send((Instant::now(), FromHotline::Closed));
        });
        Ok((Wire { tx: write_half, buf: Vec::with_capacity(3 + 2 * FRAME_SAMPLES) }, events))
    }

    /// After the hotline hung up, the dialplan asks whether to transfer the call.
    pub async fn after_stream(&mut self, options: &CallOptions) -> anyhow::Result<Option<String>> {
        let (status, body) = self.post(options, "/audiosocket/transfer", &[]).await?;
        Ok((status == reqwest::StatusCode::OK).then(|| body.trim().to_string()))
    }

    /// Reports Asterisk's DIALSTATUS of the transfer.
    pub async fn dial_result(&mut self, options: &CallOptions, status: &str) -> anyhow::Result<()> {
        self.post(options, "/audiosocket/transfer", &[("status", status)]).await.map(|_| ())
    }
}

pub struct Wire {
    tx: OwnedWriteHalf,
    buf: Vec<u8>,
}

impl Wire {
    async fn send(&mut self, kind: u8, payload: &[u8]) -> anyhow::Result<()> {
        self.buf.clear();
        encode_frame(kind, payload, &mut self.buf);
        Ok(self.tx.write_all(&self.buf).await?)
    }

    pub async fn key(&mut self, key: char) -> anyhow::Result<()> {
        self.send(KIND_DTMF, &[key as u8]).await
    }

    pub async fn audio(&mut self, frame: &[i16; FRAME_SAMPLES]) -> anyhow::Result<()> {
        let bytes: Vec<u8> = frame.iter().flat_map(|s| s.to_le_bytes()).collect();
        self.send(KIND_AUDIO, &bytes).await
    }

    pub async fn hang_up(&mut self) {
        let _ = self.send(KIND_HANGUP, &[]).await;
        let _ = self.tx.shutdown().await;
    }
}
