//! The caller's side of the Twilio-compatible front door: the provider's webhooks and
//! the media-stream WebSocket.

use super::{CallOptions, FromHotline, Heard};
use crate::audio::{FRAME_SAMPLES, g711};
use crate::telephony::signature;
use anyhow::{Context, anyhow, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const ACCOUNT_SID: &str = "AC00000000000000000000000000000000";

/// What the hotline's TwiML asks the provider to do.
#[derive(Debug, Default, PartialEq)]
struct Twiml {
    stream_url: Option<String>,
    /// `<Connect action=...>`: asked when the stream ends.
    connect_action: Option<String>,
    parameters: Vec<(String, String)>,
    /// `<Dial action=...>number</Dial>`.
    dial: Option<String>,
    dial_action: Option<String>,
}

fn parse_twiml(xml: &str) -> anyhow::Result<Twiml> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut twiml = Twiml::default();
    let mut in_dial = false;
    loop {
        match reader.read_event().context("TwiML is not XML")? {
            Event::Start(e) | Event::Empty(e) => {
                let attr = |name: &[u8]| -> anyhow::Result<Option<String>> {
                    for a in e.attributes() {
                        let a = a?;
                        if a.key.as_ref() == name {
                            return Ok(Some(a.unescape_value()?.into_owned()));
                        }
                    }
                    Ok(None)
                };
                match e.name().as_ref() {
                    b"Connect" => twiml.connect_action = attr(b"action")?,
                    b"Stream" => twiml.stream_url = attr(b"url")?,
                    b"Parameter" => {
                        if let (Some(n), Some(v)) = (attr(b"name")?, attr(b"value")?) {
                            twiml.parameters.push((n, v));
                        }
                    }
                    b"Dial" => {
                        twiml.dial_action = attr(b"action")?;
                        in_dial = true;
                    }
                    _ => {}
                }
            }
            Event::Text(t) if in_dial => twiml.dial = Some(t.decode()?.trim().to_string()),
            Event::End(e) if e.name().as_ref() == b"Dial" => in_dial = false,
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(twiml)
}

/// One call as the provider sees it, across its streams.
pub struct Call {
    http: reqwest::Client,
    pub call_sid: String,
    /// The TwiML that opened the current stream.
    current: Option<Twiml>,
    /// The TwiML that answered the transfer.
    dial: Option<Twiml>,
}

impl Call {
    pub fn new(_options: &CallOptions) -> Call {
        Call { http: reqwest::Client::new(), call_sid: format!("CA{}", uuid::Uuid::new_v4().simple()), current: None, dial: None }
    }

    /// A form POST as the provider sends it, signed when there is a token.
    async fn post(&self, options: &CallOptions, url: &str, extra: &[(&str, &str)]) -> anyhow::Result<Twiml> {
        let mut form = vec![
            ("CallSid", self.call_sid.as_str()),
            ("AccountSid", ACCOUNT_SID),
            ("From", options.from.as_str()),
            ("To", options.to.as_str()),
            ("Direction", "inbound"),
            ("ApiVersion", "2010-04-01"),
        ];
        form.extend_from_slice(extra);
        let mut request = self.http.post(url).form(&form);
        if let Some(token) = &options.auth_token {
            let params: Vec<(String, String)> = form.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            request = request.header(signature::HEADER, signature::sign(token, url, &params));
        }
        let response = request.send().await.with_context(|| format!("cannot reach the hotline at {url}"))?;
        let status = response.status();
        let body = response.text().await?;
        if !status.is_success() {
            bail!("{url} answered {status}: {body}");
        }
        parse_twiml(&body)
    }

    /// Opens a media stream: the first time after the voice webhook, later after an
    /// unanswered transfer (with the TwiML the dial result returned).
    pub async fn connect(&mut self, options: &CallOptions) -> anyhow::Result<(Wire, Heard)> {
        let twiml = match self.dial.take() {
            Some(twiml) => twiml,
            None => self.post(options, &format!("{}/twilio/voice", options.server), &[("CallStatus", "ringing")]).await?,
        };
        let stream_url = twiml.stream_url.clone().ok_or_else(|| anyhow!("TwiML has no <Connect><Stream url=...>: {twiml:?}"))?;
        let mut upgrade = stream_url.as_str().into_client_request().context("bad stream URL in TwiML")?;
        if let Some(token) = &options.auth_token {
            upgrade.headers_mut().insert(signature::HEADER, signature::sign(token, &stream_url, &[]).parse()?);
        }
        let (ws, _) = tokio_tungstenite::connect_async(upgrade).await.with_context(|| format!("cannot open media stream {stream_url}"))?;
        let (mut tx, mut rx) = ws.split();
        let stream_sid = format!("MZ{}", uuid::Uuid::new_v4().simple());
        let custom: serde_json::Map<String, serde_json::Value> =
            twiml.parameters.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect();
        let start = serde_json::json!({
            "event": "start", "sequenceNumber": "1", "streamSid": stream_sid,
            "start": {
                "accountSid": ACCOUNT_SID, "streamSid": stream_sid, "callSid": self.call_sid,
                "tracks": ["inbound"], "customParameters": custom,
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}
            }
        });
        tx.send(Message::Text(r#"{"event":"connected","protocol":"Call","version":"1.0.0"}"#.into())).await?;
        tx.send(Message::Text(start.to_string().into())).await?;
        self.current = Some(twiml);

        let (events_tx, events) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut decoded = Vec::with_capacity(FRAME_SAMPLES);
            while let Some(message) = rx.next().await {
                let text = match message {
                    Ok(Message::Text(t)) => t,
                    Ok(Message::Close(_)) | Err(_) => break,
                    Ok(_) => continue,
                };
                let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else { continue };
                let event = match v["event"].as_str() {
                    Some("media") => match v["media"]["payload"].as_str().map(|p| BASE64.decode(p)) {
                        Some(Ok(bytes)) => {
                            g711::decode_into(g711::Law::Mu, &bytes, &mut decoded);
                            FromHotline::Media(decoded.clone())
                        }
                        _ => continue,
                    },
                    Some("mark") => FromHotline::Mark(v["mark"]["name"].as_str().unwrap_or_default().to_string()),
                    Some("clear") => FromHotline::Clear,
                    _ => continue,
                };
                if events_tx.send((Instant::now(), event)).is_err() {
                    return;
                }
            }
            let _ = events_tx.send((Instant::now(), FromHotline::Closed));
        });
        Ok((Wire { tx, stream_sid, call_sid: self.call_sid.clone(), seq: 1, chunk: 0, ulaw: Vec::with_capacity(FRAME_SAMPLES) }, events))
    }

    /// The hotline closed the stream: the provider asks what comes next. Returns the
    /// number to put the call through to, if the hotline answers with `<Dial>`.
    pub async fn after_stream(&mut self, options: &CallOptions) -> anyhow::Result<Option<String>> {
        let Some(action) = self.current.take().and_then(|t| t.connect_action) else { return Ok(None) };
        let twiml = self.post(options, &action, &[("CallStatus", "in-progress")]).await?;
        let number = twiml.dial.clone();
        self.dial = Some(twiml);
        Ok(number)
    }

    /// Reports how the transfer went; if the hotline wants the caller back, the next
    /// [`Call::connect`] opens the stream its answer names.
    pub async fn dial_result(&mut self, options: &CallOptions, status: &str) -> anyhow::Result<()> {
        let Some(action) = self.dial.take().and_then(|t| t.dial_action) else { return Ok(()) };
        let twiml = self.post(options, &action, &[("CallStatus", "in-progress"), ("DialCallStatus", status)]).await?;
        self.dial = twiml.stream_url.is_some().then_some(twiml);
        Ok(())
    }
}

type Sink = SplitSink<WebSocketStream<MaybeTlsStream<TcpStream>>, Message>;

pub struct Wire {
    tx: Sink,
    stream_sid: String,
    call_sid: String,
    seq: u64,
    chunk: u64,
    ulaw: Vec<u8>,
}

impl Wire {
    fn next_seq(&mut self) -> String {
        self.seq += 1;
        self.seq.to_string()
    }

    pub async fn key(&mut self, key: char) -> anyhow::Result<()> {
        let msg = serde_json::json!({"event": "dtmf", "streamSid": self.stream_sid, "sequenceNumber": self.next_seq(),
            "dtmf": {"track": "inbound_track", "digit": key.to_string()}});
        Ok(self.tx.send(Message::Text(msg.to_string().into())).await?)
    }

    pub async fn audio(&mut self, frame: &[i16; FRAME_SAMPLES]) -> anyhow::Result<()> {
        g711::encode_into(g711::Law::Mu, frame, &mut self.ulaw);
        self.chunk += 1;
        let msg = serde_json::json!({"event": "media", "streamSid": self.stream_sid, "sequenceNumber": self.next_seq(),
            "media": {"track": "inbound", "chunk": self.chunk.to_string(), "timestamp": (self.chunk * crate::audio::FRAME_MS).to_string(),
                      "payload": BASE64.encode(&self.ulaw)}});
        Ok(self.tx.send(Message::Text(msg.to_string().into())).await?)
    }

    /// Twilio echoes a mark once the audio before it has been played.
    pub async fn played(&mut self, mark: &str) {
        let echo =
            serde_json::json!({"event": "mark", "streamSid": self.stream_sid, "sequenceNumber": self.next_seq(), "mark": {"name": mark}});
        let _ = self.tx.send(Message::Text(echo.to_string().into())).await;
    }

    pub async fn hang_up(&mut self) {
        let stop = serde_json::json!({"event": "stop", "streamSid": self.stream_sid, "sequenceNumber": self.next_seq(),
            "stop": {"accountSid": ACCOUNT_SID, "callSid": self.call_sid}});
        let _ = self.tx.send(Message::Text(stop.to_string().into())).await;
        let _ = self.tx.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twiml_is_read_with_escapes() {
        let t = parse_twiml(r#"<?xml version="1.0"?><Response><Connect action="http://h/after?a=1&amp;b=2"><Stream url="ws://h/twilio/media"><Parameter name="caller" value="+49 &quot;x&quot;"/></Stream></Connect></Response>"#).unwrap();
        assert_eq!(t.stream_url.as_deref(), Some("ws://h/twilio/media"));
        assert_eq!(t.connect_action.as_deref(), Some("http://h/after?a=1&b=2"));
        assert_eq!(t.parameters, vec![("caller".to_string(), "+49 \"x\"".to_string())]);
        let dial = parse_twiml(r#"<Response><Dial action="http://h/dial-result" timeout="25">+492315550110</Dial></Response>"#).unwrap();
        assert_eq!((dial.dial.as_deref(), dial.dial_action.as_deref()), (Some("+492315550110"), Some("http://h/dial-result")));
        assert_eq!(parse_twiml("<Response><Hangup/></Response>").unwrap(), Twiml::default());
    }
}
