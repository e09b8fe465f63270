//! A simulated caller that dials a running hotline the way a telephony provider does:
//! the voice webhook first, then the media-stream WebSocket, sending keys and audio in
//! real-time 20 ms frames and recording everything the hotline plays.
//!
//! It is the demo (`hotline call`), the smoke test and the end-to-end tests' telephone.

use crate::audio::{FRAME_MS, FRAME_SAMPLES, PHONE_RATE, Pcm, g711, wav};
use crate::dialog::Prompts;
use crate::telephony::signature;
use anyhow::{Context, anyhow, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use futures_util::{SinkExt, StreamExt};
use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// One thing the caller does.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Wait until the hotline has finished speaking, think briefly, press a key.
    Key(char),
    /// Press a key at once, even over a prompt (barge-in).
    BargeIn(char),
    /// Wait until the hotline has finished speaking.
    Wait,
    /// Do nothing for a while (silence is still sent, like a real line).
    Pause(Duration),
    /// Wait for the end of the prompt, then speak this recording (8 kHz after resampling).
    Speak(PathBuf),
    /// Hang up now.
    HangUp,
}

/// Parses a script: `3,1,1` (keys), or steps separated by commas or spaces:
/// `key:3`, `bargein:1`, `wait`, `pause:2000` (ms), `wav:FILE`, `hangup`.
pub fn parse_script(text: &str) -> anyhow::Result<Vec<Step>> {
    let mut steps = Vec::new();
    for token in text.split([',', ' ', '\n']).map(str::trim).filter(|t| !t.is_empty()) {
        let (verb, arg) = token.split_once(':').unwrap_or((token, ""));
        let key = |arg: &str| -> anyhow::Result<char> {
            match arg.chars().collect::<Vec<_>>()[..] {
                [c] if c.is_ascii_digit() || c == '*' || c == '#' => Ok(c),
                _ => bail!("{token:?}: a key is one of 0-9, * or #"),
            }
        };
        steps.push(match verb {
            "key" => Step::Key(key(arg)?),
            "bargein" => Step::BargeIn(key(arg)?),
            "wait" => Step::Wait,
            "pause" => Step::Pause(Duration::from_millis(arg.parse().with_context(|| format!("{token:?}: pause needs milliseconds"))?)),
            "wav" if !arg.is_empty() => Step::Speak(PathBuf::from(arg)),
            "hangup" => Step::HangUp,
            _ => Step::Key(key(token).with_context(|| format!("unknown script step {token:?}"))?),
        });
    }
    Ok(steps)
}

#[derive(Debug, Clone)]
pub struct CallOptions {
    /// Base URL of the hotline, e.g. `http://127.0.0.1:8080`.
    pub server: String,
    pub from: String,
    pub to: String,
    pub steps: Vec<Step>,
    /// Quiet from the hotline that means it has finished its turn.
    pub quiet: Duration,
    /// How long the caller "thinks" before pressing a key.
    pub think: Duration,
    /// Upper bound for the whole call.
    pub max_duration: Duration,
    /// Sign requests like the provider does (`X-Twilio-Signature`) with this auth token.
    pub auth_token: Option<String>,
}

impl CallOptions {
    pub fn new(server: &str, from: &str, steps: Vec<Step>) -> CallOptions {
        CallOptions {
            server: server.trim_end_matches('/').to_string(),
            from: from.to_string(),
            to: "+4923155500000".into(),
            steps,
            quiet: Duration::from_millis(700),
            think: Duration::from_millis(300),
            max_duration: Duration::from_secs(180),
            auth_token: None,
        }
    }

    pub fn signed_with(mut self, auth_token: &str) -> CallOptions {
        self.auth_token = Some(auth_token.to_string());
        self
    }

    /// A form POST as the provider sends it, signed when there is a token.
    fn post(&self, http: &reqwest::Client, url: &str, form: &[(&str, &str)]) -> reqwest::RequestBuilder {
        let request = http.post(url).form(form);
        match &self.auth_token {
            Some(token) => {
                let params: Vec<(String, String)> = form.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
                request.header(signature::HEADER, signature::sign(token, url, &params))
            }
            None => request,
        }
    }
}

/// One line of the conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub at: Duration,
    pub who: &'static str,
    pub text: String,
}

/// A prompt the hotline played, reported by its mark.
#[derive(Debug, Clone, PartialEq)]
pub struct Played {
    pub prompt: String,
    /// When its mark arrived (end of the prompt).
    pub at: Duration,
    pub audio: Duration,
}

#[derive(Debug, Clone)]
pub struct CallReport {
    pub call_sid: String,
    pub lines: Vec<Line>,
    pub played: Vec<Played>,
    /// Key press to the first audio frame of the answer, for keys pressed while the hotline was quiet.
    pub turn_latencies: Vec<Duration>,
    /// Longest time between two audio frames inside one prompt (20 ms is perfect pacing).
    pub longest_gap: Duration,
    /// Everything the hotline played, on a real-time line.
    pub received: Pcm,
    /// The caller's own audio on the same timeline.
    pub sent: Pcm,
    pub hung_up_by_hotline: bool,
    pub after_stream_twiml: Option<String>,
}

impl CallReport {
    /// Both sides mixed, for listening to the call.
    pub fn mixed(&self) -> Pcm {
        let len = self.received.samples.len().max(self.sent.samples.len());
        let at = |v: &[i16], i: usize| v.get(i).copied().unwrap_or(0) as i32;
        let samples = (0..len).map(|i| (at(&self.received.samples, i) + at(&self.sent.samples, i)).clamp(-32768, 32767) as i16).collect();
        Pcm { rate: PHONE_RATE, samples }
    }
}

struct Twiml {
    stream_url: String,
    action: Option<String>,
    parameters: Vec<(String, String)>,
}

fn parse_twiml(xml: &str) -> anyhow::Result<Twiml> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let (mut stream_url, mut action, mut parameters) = (None, None, Vec::new());
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
                    b"Connect" => action = attr(b"action")?,
                    b"Stream" => stream_url = attr(b"url")?,
                    b"Parameter" => {
                        if let (Some(n), Some(v)) = (attr(b"name")?, attr(b"value")?) {
                            parameters.push((n, v));
                        }
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let stream_url = stream_url.ok_or_else(|| anyhow!("TwiML has no <Connect><Stream url=...>: {xml}"))?;
    Ok(Twiml { stream_url, action, parameters })
}

enum FromHotline {
    Media(Vec<u8>),
    Mark(String),
    Clear,
    Closed,
}

/// Places one call and returns what happened. Errors only for failures to connect or
/// protocol violations by the hotline; a hang-up by either side is a normal end.
pub async fn dial(options: &CallOptions, prompts: Option<&Prompts>) -> anyhow::Result<CallReport> {
    let http = reqwest::Client::new();
    let call_sid = format!("CA{}", uuid::Uuid::new_v4().simple());
    let form = [
        ("CallSid", call_sid.as_str()),
        ("AccountSid", "AC00000000000000000000000000000000"),
        ("From", options.from.as_str()),
        ("To", options.to.as_str()),
        ("CallStatus", "ringing"),
        ("Direction", "inbound"),
        ("ApiVersion", "2010-04-01"),
    ];
    let response = options
        .post(&http, &format!("{}/twilio/voice", options.server), &form)
        .send()
        .await
        .with_context(|| format!("cannot reach the hotline at {}", options.server))?;
    let status = response.status();
    let body = response.text().await?;
    if !status.is_success() {
        bail!("voice webhook answered {status}: {body}");
    }
    let twiml = parse_twiml(&body)?;
    let mut upgrade = twiml.stream_url.as_str().into_client_request().context("bad stream URL in TwiML")?;
    if let Some(token) = &options.auth_token {
        upgrade.headers_mut().insert(signature::HEADER, signature::sign(token, &twiml.stream_url, &[]).parse()?);
    }
    let (ws, _) =
        tokio_tungstenite::connect_async(upgrade).await.with_context(|| format!("cannot open media stream {}", twiml.stream_url))?;
    let (mut ws_tx, mut ws_rx) = ws.split();
    let stream_sid = format!("MZ{}", uuid::Uuid::new_v4().simple());
    let custom: serde_json::Map<String, serde_json::Value> =
        twiml.parameters.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect();
    let start = serde_json::json!({
        "event": "start", "sequenceNumber": "1", "streamSid": stream_sid,
        "start": {
            "accountSid": "AC00000000000000000000000000000000", "streamSid": stream_sid, "callSid": call_sid,
            "tracks": ["inbound"], "customParameters": custom,
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}
        }
    });
    ws_tx.send(Message::Text(r#"{"event":"connected","protocol":"Call","version":"1.0.0"}"#.into())).await?;
    ws_tx.send(Message::Text(start.to_string().into())).await?;

    let (events_tx, mut events) = mpsc::unbounded_channel();
    let reader = tokio::spawn(async move {
        while let Some(message) = ws_rx.next().await {
            let text = match message {
                Ok(Message::Text(t)) => t,
                Ok(Message::Close(_)) | Err(_) => break,
                Ok(_) => continue,
            };
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else { continue };
            let event = match v["event"].as_str() {
                Some("media") => match v["media"]["payload"].as_str().map(|p| BASE64.decode(p)) {
                    Some(Ok(bytes)) => FromHotline::Media(bytes),
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

    let t0 = Instant::now();
    let mut sim = Simulation::new(prompts, t0);
    let mut steps: VecDeque<Step> = options.steps.iter().cloned().collect();
    let mut seq = 2u64;
    let mut tick = tokio::time::interval(Duration::from_millis(FRAME_MS));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let deadline = t0 + options.max_duration;
    let mut frame_no = 0u64;
    let mut hung_up_by_hotline = false;
    let mut waiting_since = Instant::now();
    let mut paused_until = t0;
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let now = Instant::now();
                if now > deadline {
                    sim.line(now, "caller", "gives up: call took too long".into());
                    break;
                }
                // What the caller does next, if it is time.
                if sim.speaking.is_empty() && now >= paused_until && let Some(step) = steps.front().cloned() {
                    let ready = match &step {
                        Step::Key(_) | Step::Wait | Step::Speak(_) => sim.turn_over(now, waiting_since, options),
                        Step::BargeIn(_) | Step::HangUp | Step::Pause(_) => true,
                    };
                    if ready {
                        steps.pop_front();
                        waiting_since = now;
                        match step {
                            Step::Key(k) | Step::BargeIn(k) => {
                                seq += 1;
                                let msg = serde_json::json!({"event": "dtmf", "streamSid": stream_sid, "sequenceNumber": seq.to_string(),
                                    "dtmf": {"track": "inbound_track", "digit": k.to_string()}});
                                ws_tx.send(Message::Text(msg.to_string().into())).await?;
                                sim.key_sent(now, k, matches!(step, Step::Key(_)));
                            }
                            Step::Wait => {}
                            Step::Pause(d) => {
                                sim.line(now, "caller", format!("is silent for {:.1} s", d.as_secs_f32()));
                                paused_until = now + d;
                            }
                            Step::Speak(path) => {
                                let pcm = wav::read(&path)?.resampled(PHONE_RATE);
                                sim.line(now, "caller", format!("speaks {} ({:.1} s)", path.display(), pcm.duration_ms() as f32 / 1000.0));
                                sim.speaking = pcm.samples.into();
                            }
                            Step::HangUp => {
                                sim.line(now, "caller", "hangs up".into());
                                seq += 1;
                                let stop = serde_json::json!({"event": "stop", "streamSid": stream_sid, "sequenceNumber": seq.to_string(),
                                    "stop": {"accountSid": "AC00000000000000000000000000000000", "callSid": call_sid}});
                                let _ = ws_tx.send(Message::Text(stop.to_string().into())).await;
                                let _ = ws_tx.close().await;
                                break;
                            }
                        }
                    }
                }
                // Like a real line, the caller's side always streams audio, silence included.
                let frame = sim.next_caller_frame(now);
                seq += 1;
                frame_no += 1;
                let msg = serde_json::json!({"event": "media", "streamSid": stream_sid, "sequenceNumber": seq.to_string(),
                    "media": {"track": "inbound", "chunk": frame_no.to_string(), "timestamp": (frame_no * FRAME_MS).to_string(),
                              "payload": BASE64.encode(&frame)}});
                if ws_tx.send(Message::Text(msg.to_string().into())).await.is_err() {
                    hung_up_by_hotline = true;
                    break;
                }
            }
            event = events.recv() => {
                let Some((at, event)) = event else { hung_up_by_hotline = true; break };
                match event {
                    FromHotline::Media(bytes) => sim.media(at, &bytes),
                    FromHotline::Mark(name) => {
                        sim.mark(at, &name);
                        // Twilio echoes a mark once the audio before it has been played.
                        let echo = serde_json::json!({"event": "mark", "streamSid": stream_sid, "sequenceNumber": "0", "mark": {"name": name}});
                        let _ = ws_tx.send(Message::Text(echo.to_string().into())).await;
                    }
                    FromHotline::Clear => sim.line(at, "hotline", "stops speaking (barge-in)".into()),
                    FromHotline::Closed => {
                        sim.line(at, "hotline", "hangs up".into());
                        hung_up_by_hotline = true;
                        break;
                    }
                }
            }
        }
    }
    // What the hotline sent before it closed may still be queued: take it in.
    let mut reader = reader;
    if tokio::time::timeout(Duration::from_secs(2), &mut reader).await.is_err() {
        reader.abort();
    }
    while let Ok((at, event)) = events.try_recv() {
        match event {
            FromHotline::Media(bytes) => sim.media(at, &bytes),
            FromHotline::Mark(name) => sim.mark(at, &name),
            FromHotline::Clear | FromHotline::Closed => {}
        }
    }
    let mut after_stream_twiml = None;
    if hung_up_by_hotline && let Some(action) = &twiml.action {
        // The provider asks what comes after the stream; the hotline decides (hang up, transfer).
        let answer = options.post(&http, action, &[("CallSid", call_sid.as_str()), ("CallStatus", "in-progress")]).send().await?;
        after_stream_twiml = Some(answer.text().await?);
    }
    Ok(sim.finish(call_sid, hung_up_by_hotline, after_stream_twiml))
}

/// The caller's view of the call as it unfolds.
struct Simulation<'a> {
    t0: Instant,
    prompts: Option<&'a Prompts>,
    lines: Vec<Line>,
    played: Vec<Played>,
    latencies: Vec<Duration>,
    received: Vec<i16>,
    sent: Vec<i16>,
    frames_since_mark: usize,
    last_media: Option<Instant>,
    longest_gap: Duration,
    /// Key press waiting for the first answer frame (only presses made in quiet).
    pending_latency: Option<Instant>,
    speaking: VecDeque<i16>,
    decoded: Vec<i16>,
}

impl<'a> Simulation<'a> {
    fn new(prompts: Option<&'a Prompts>, t0: Instant) -> Simulation<'a> {
        Simulation {
            t0,
            prompts,
            lines: Vec::new(),
            played: Vec::new(),
            latencies: Vec::new(),
            received: Vec::new(),
            sent: Vec::new(),
            frames_since_mark: 0,
            last_media: None,
            longest_gap: Duration::ZERO,
            pending_latency: None,
            speaking: VecDeque::new(),
            decoded: Vec::with_capacity(FRAME_SAMPLES),
        }
    }

    fn line(&mut self, at: Instant, who: &'static str, text: String) {
        self.lines.push(Line { at: at - self.t0, who, text });
    }

    /// The hotline has spoken since our last action and has now been quiet long enough.
    /// If it says nothing at all for a long while, the caller acts anyway.
    fn turn_over(&self, now: Instant, since: Instant, options: &CallOptions) -> bool {
        match self.last_media {
            Some(last) if last > since => now - last >= options.quiet + options.think,
            _ => now - since >= Duration::from_secs(15),
        }
    }

    fn key_sent(&mut self, at: Instant, key: char, measure: bool) {
        self.line(at, "caller", format!("presses {key}"));
        self.pending_latency = measure.then_some(at);
    }

    /// Position on the real-time line for something happening at `at`.
    fn timeline_pos(&self, at: Instant) -> usize {
        ((at - self.t0).as_micros() as usize * PHONE_RATE as usize / 1_000_000) / FRAME_SAMPLES * FRAME_SAMPLES
    }

    fn media(&mut self, at: Instant, bytes: &[u8]) {
        if let Some(pressed) = self.pending_latency.take() {
            self.latencies.push(at - pressed);
        }
        if self.frames_since_mark > 0
            && let Some(last) = self.last_media
        {
            self.longest_gap = self.longest_gap.max(at - last);
        }
        g711::decode_into(g711::Law::Mu, bytes, &mut self.decoded);
        // Frames arrive paced; a gap of more than two frames is real silence on the line.
        let pos = self.timeline_pos(at);
        if pos > self.received.len() + 2 * FRAME_SAMPLES {
            self.received.resize(pos, 0);
        }
        self.received.extend_from_slice(&self.decoded);
        self.frames_since_mark += 1;
        self.last_media = Some(at);
    }

    fn mark(&mut self, at: Instant, name: &str) {
        let prompt = name.split_once(':').map(|(_, p)| p).unwrap_or(name).to_string();
        let audio = Duration::from_millis(self.frames_since_mark as u64 * FRAME_MS);
        self.frames_since_mark = 0;
        let text = self.prompts.and_then(|p| p.text(&prompt).ok()).map(|t| format!(": {t}")).unwrap_or_default();
        self.line(at, "hotline", format!("[{prompt}, {:.1} s]{text}", audio.as_secs_f32()));
        self.played.push(Played { prompt, at: at - self.t0, audio });
    }

    fn next_caller_frame(&mut self, now: Instant) -> Vec<u8> {
        let mut frame = [0i16; FRAME_SAMPLES];
        for s in frame.iter_mut() {
            *s = self.speaking.pop_front().unwrap_or(0);
        }
        let pos = self.timeline_pos(now);
        if self.sent.len() < pos {
            self.sent.resize(pos, 0);
        }
        self.sent.extend_from_slice(&frame);
        frame.iter().map(|&s| g711::linear_to_ulaw(s)).collect()
    }

    fn finish(self, call_sid: String, hung_up_by_hotline: bool, after_stream_twiml: Option<String>) -> CallReport {
        CallReport {
            call_sid,
            lines: self.lines,
            played: self.played,
            turn_latencies: self.latencies,
            longest_gap: self.longest_gap,
            received: Pcm { rate: PHONE_RATE, samples: self.received },
            sent: Pcm { rate: PHONE_RATE, samples: self.sent },
            hung_up_by_hotline,
            after_stream_twiml,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_parse() {
        assert_eq!(parse_script("3,1,1").unwrap(), vec![Step::Key('3'), Step::Key('1'), Step::Key('1')]);
        assert_eq!(
            parse_script("key:3 bargein:# pause:1500 wav:a.wav wait hangup").unwrap(),
            vec![
                Step::Key('3'),
                Step::BargeIn('#'),
                Step::Pause(Duration::from_millis(1500)),
                Step::Speak("a.wav".into()),
                Step::Wait,
                Step::HangUp
            ]
        );
        assert!(parse_script("key:12").is_err());
        assert!(parse_script("pause:soon").is_err());
        assert!(parse_script("dance").is_err());
    }

    #[test]
    fn twiml_is_read_with_escapes() {
        let t = parse_twiml(r#"<?xml version="1.0"?><Response><Connect action="http://h/after?a=1&amp;b=2"><Stream url="ws://h/twilio/media"><Parameter name="caller" value="+49 &quot;x&quot;"/></Stream></Connect></Response>"#).unwrap();
        assert_eq!(t.stream_url, "ws://h/twilio/media");
        assert_eq!(t.action.as_deref(), Some("http://h/after?a=1&b=2"));
        assert_eq!(t.parameters, vec![("caller".to_string(), "+49 \"x\"".to_string())]);
        assert!(parse_twiml("<Response><Say>hi</Say></Response>").is_err());
    }
}
