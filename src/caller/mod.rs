//! A simulated caller that dials a running hotline the way a telephony provider or an
//! Asterisk PBX does: Twilio-style (voice webhook, then the media-stream WebSocket) or
//! AudioSocket (caller registration, then the TCP stream), sending keys and audio in
//! real-time 20 ms frames and recording everything the hotline plays. Transfers are
//! followed like the provider does: the office phone answers, or the caller comes back.
//!
//! It is the demo (`hotline call`), the smoke test, the load generator (`hotline bench
//! calls`) and the end-to-end tests' telephone.

mod audiosocket;
pub mod bench;
mod twilio;

use crate::audio::{FRAME_MS, FRAME_SAMPLES, PHONE_RATE, Pcm, wav};
use crate::dialog::Prompts;
use crate::speech::tts::Tts;
use anyhow::{Context, bail};
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

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
    /// Wait for the end of the prompt, then say this text with the test voice.
    Say(String),
    /// Say this text at once, even over a prompt (barge-in by voice).
    SayOver(String),
    /// Hang up now.
    HangUp,
}

/// Parses a script: `3,1,1,3,2` (keys), or steps separated by commas or spaces:
/// `key:3`, `bargein:1`, `wait`, `pause:2000` (ms), `wav:FILE`, `say:"Einen Rückruf, bitte"`
/// (text in double quotes, spoken by the test voice), `bargein:"Rückruf"` (said at once,
/// over the prompt), `hangup`.
pub fn parse_script(text: &str) -> anyhow::Result<Vec<Step>> {
    let mut steps = Vec::new();
    for token in script_tokens(text)? {
        let token = token.as_str();
        let (verb, arg) = token.split_once(':').unwrap_or((token, ""));
        let key = |arg: &str| -> anyhow::Result<char> {
            match arg.chars().collect::<Vec<_>>()[..] {
                [c] if c.is_ascii_digit() || c == '*' || c == '#' => Ok(c),
                _ => bail!("{token:?}: a key is one of 0-9, * or #"),
            }
        };
        steps.push(match verb {
            "key" => Step::Key(key(arg)?),
            "bargein" if arg.starts_with('"') => Step::SayOver(quoted(token, arg)?),
            "bargein" => Step::BargeIn(key(arg)?),
            "wait" => Step::Wait,
            "pause" => Step::Pause(Duration::from_millis(arg.parse().with_context(|| format!("{token:?}: pause needs milliseconds"))?)),
            "wav" if !arg.is_empty() => Step::Speak(PathBuf::from(arg)),
            "say" => Step::Say(quoted(token, arg)?),
            "hangup" => Step::HangUp,
            _ => Step::Key(key(token).with_context(|| format!("unknown script step {token:?}"))?),
        });
    }
    Ok(steps)
}

/// The text of a `say:` or `bargein:` step, without its double quotes.
fn quoted(token: &str, arg: &str) -> anyhow::Result<String> {
    match arg.strip_prefix('"').and_then(|a| a.strip_suffix('"')) {
        Some(text) if !text.is_empty() => Ok(text.to_string()),
        _ => bail!("{token:?}: put the text in double quotes, e.g. say:\"Ja, bitte\""),
    }
}

/// A call written down for a demo (`hotline call --scenario FILE`): who calls, over which
/// transport, and what they do, as a TOML file:
///
/// ```toml
/// description = "Erika books a seat at the chair gymnastics"
/// from = "+4923155512345"
/// transport = "twilio"        # or "audiosocket"
/// steps = "key:1 key:1 key:2 key:2 key:1 key:1 wait hangup"
/// ```
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// What the call shows, printed before it starts.
    #[serde(default)]
    pub description: String,
    /// The caller ID presented.
    pub from: String,
    #[serde(default = "Scenario::default_transport")]
    pub transport: String,
    /// A script as [`parse_script`] reads it.
    pub steps: String,
}

impl Scenario {
    fn default_transport() -> String {
        "twilio".into()
    }

    /// Reads a scenario and checks its transport and steps.
    pub fn parse(text: &str) -> anyhow::Result<Scenario> {
        let scenario: Scenario = toml::from_str(text)?;
        if !["twilio", "audiosocket"].contains(&scenario.transport.as_str()) {
            bail!("transport {:?}: use \"twilio\" or \"audiosocket\"", scenario.transport);
        }
        parse_script(&scenario.steps).context("steps")?;
        Ok(scenario)
    }
}

/// Splits a script at commas, spaces and new lines, except inside double quotes.
fn script_tokens(text: &str) -> anyhow::Result<Vec<String>> {
    let (mut tokens, mut current, mut quoted) = (Vec::new(), String::new(), false);
    for c in text.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            ',' | ' ' | '\n' | '\t' if !quoted => {
                if !current.is_empty() {
                    tokens.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if quoted {
        bail!("a quote in the script is not closed: {current}");
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    Ok(tokens)
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
    pub transport: Transport,
    /// Whether the office phone answers when the hotline puts the call through.
    pub office_answers: bool,
    /// The voice for `say:` steps.
    pub voice: Option<Arc<Tts>>,
}

/// How the simulated caller reaches the hotline.
#[derive(Debug, Clone, PartialEq)]
pub enum Transport {
    /// Webhooks and the media stream at [`CallOptions::server`].
    Twilio,
    /// AudioSocket at `address` (host:port); the caller ID is registered at
    /// [`CallOptions::server`] with the dialplan's `token`, as the documented dialplan does.
    AudioSocket { address: String, token: String },
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
            transport: Transport::Twilio,
            office_answers: true,
            voice: None,
        }
    }

    pub fn over_audiosocket(mut self, address: &str, token: &str) -> CallOptions {
        self.transport = Transport::AudioSocket { address: address.to_string(), token: token.to_string() };
        self
    }

    pub fn signed_with(mut self, auth_token: &str) -> CallOptions {
        self.auth_token = Some(auth_token.to_string());
        self
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
    /// The provider's id of the call (Twilio CallSid, or the AudioSocket UUID).
    pub call_id: String,
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
    /// Numbers the hotline put the call through to.
    pub transfers: Vec<String>,
    /// Connections to the hotline (more than one after an unanswered transfer).
    pub connections: u32,
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

/// What the caller hears from the hotline, whatever the transport.
enum FromHotline {
    /// One frame of audio, decoded to linear samples.
    Media(Vec<i16>),
    /// End of a prompt (Twilio only; AudioSocket has no marks).
    Mark(String),
    /// Buffered audio dropped (barge-in; Twilio only).
    Clear,
    Closed,
}

type Heard = mpsc::UnboundedReceiver<(Instant, FromHotline)>;

/// The caller's side of one connection to the hotline.
enum Wire {
    Twilio(twilio::Wire),
    AudioSocket(audiosocket::Wire),
}

impl Wire {
    async fn key(&mut self, key: char) -> anyhow::Result<()> {
        match self {
            Wire::Twilio(w) => w.key(key).await,
            Wire::AudioSocket(w) => w.key(key).await,
        }
    }

    /// One 20 ms frame of the caller's audio; an error means the hotline closed the line.
    async fn audio(&mut self, frame: &[i16; FRAME_SAMPLES]) -> anyhow::Result<()> {
        match self {
            Wire::Twilio(w) => w.audio(frame).await,
            Wire::AudioSocket(w) => w.audio(frame).await,
        }
    }

    /// Tells the hotline a prompt has been played (Twilio echoes marks).
    async fn played(&mut self, mark: &str) {
        if let Wire::Twilio(w) = self {
            w.played(mark).await;
        }
    }

    async fn hang_up(&mut self) {
        match self {
            Wire::Twilio(w) => w.hang_up().await,
            Wire::AudioSocket(w) => w.hang_up().await,
        }
    }
}

/// How one connection ended.
enum Hung {
    ByCaller,
    ByHotline,
    TimedOut,
}

/// Places one call and returns what happened. Errors only for failures to connect or
/// protocol violations by the hotline; a hang-up by either side is a normal end. When
/// the hotline transfers the call, the office phone answers or not as the options say;
/// if not, the caller is back on the hotline and the script goes on.
pub async fn dial(options: &CallOptions, prompts: Option<&Prompts>) -> anyhow::Result<CallReport> {
    let t0 = Instant::now();
    let mut sim = Simulation::new(prompts, t0);
    let mut steps: VecDeque<Step> = options.steps.iter().cloned().collect();
    let mut call = match &options.transport {
        Transport::Twilio => Call::Twilio(twilio::Call::new(options)),
        Transport::AudioSocket { address, token } => Call::AudioSocket(audiosocket::Call::new(options, address, token)),
    };
    let mut connections = 0;
    loop {
        let (wire, heard) = match &mut call {
            Call::Twilio(c) => c.connect(options).await.map(|(w, h)| (Wire::Twilio(w), h))?,
            Call::AudioSocket(c) => c.connect(options).await.map(|(w, h)| (Wire::AudioSocket(w), h))?,
        };
        connections += 1;
        let hung = converse(wire, heard, &mut steps, &mut sim, options, t0).await?;
        if !matches!(hung, Hung::ByHotline) {
            break;
        }
        let transfer = match &mut call {
            Call::Twilio(c) => c.after_stream(options).await?,
            Call::AudioSocket(c) => c.after_stream(options).await?,
        };
        let Some(number) = transfer else { break };
        sim.line(Instant::now(), "hotline", format!("puts the call through to {number}"));
        sim.transfers.push(number);
        if options.office_answers {
            sim.line(Instant::now(), "office", "answers".into());
            match &mut call {
                Call::Twilio(c) => c.dial_result(options, "completed").await?,
                Call::AudioSocket(c) => c.dial_result(options, "ANSWER").await?,
            };
            break;
        }
        sim.line(Instant::now(), "office", "does not answer".into());
        match &mut call {
            Call::Twilio(c) => c.dial_result(options, "no-answer").await?,
            Call::AudioSocket(c) => c.dial_result(options, "NOANSWER").await?,
        };
    }
    Ok(sim.finish(call.id(), connections))
}

/// Transport state of one call across its connections (a transfer that nobody answers
/// brings the caller back on a new connection).
enum Call {
    Twilio(twilio::Call),
    AudioSocket(audiosocket::Call),
}

impl Call {
    fn id(&self) -> String {
        match self {
            Call::Twilio(c) => c.call_sid.clone(),
            Call::AudioSocket(c) => c.uuid.to_string(),
        }
    }
}

/// One connection: plays the script in real time against what the hotline says.
async fn converse(
    mut wire: Wire,
    mut heard: Heard,
    steps: &mut VecDeque<Step>,
    sim: &mut Simulation<'_>,
    options: &CallOptions,
    t0: Instant,
) -> anyhow::Result<Hung> {
    let mut tick = tokio::time::interval(Duration::from_millis(FRAME_MS));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let deadline = t0 + options.max_duration;
    let mut waiting_since = Instant::now();
    let mut paused_until = Instant::now();
    let hung = loop {
        tokio::select! {
            _ = tick.tick() => {
                let now = Instant::now();
                if now > deadline {
                    sim.line(now, "caller", "gives up: call took too long".into());
                    wire.hang_up().await;
                    break Hung::TimedOut;
                }
                // What the caller does next, if it is time.
                if sim.speaking.is_empty() && now >= paused_until && let Some(step) = steps.front().cloned() {
                    let ready = match &step {
                        Step::Key(_) | Step::Wait | Step::Speak(_) | Step::Say(_) => sim.turn_over(now, waiting_since, options),
                        Step::BargeIn(_) | Step::SayOver(_) | Step::HangUp | Step::Pause(_) => true,
                    };
                    if ready {
                        steps.pop_front();
                        waiting_since = now;
                        match step {
                            Step::Key(k) | Step::BargeIn(k) => {
                                if wire.key(k).await.is_err() {
                                    break Hung::ByHotline;
                                }
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
                            Step::Say(text) | Step::SayOver(text) => {
                                let voice = options.voice.as_ref().context("say: steps need a test voice")?;
                                let pcm = voice.synthesize(&text).await?.resampled(PHONE_RATE);
                                sim.line(now, "caller", format!("says \"{text}\" ({:.1} s)", pcm.duration_ms() as f32 / 1000.0));
                                sim.speaking = pcm.samples.into();
                            }
                            Step::HangUp => {
                                sim.line(now, "caller", "hangs up".into());
                                wire.hang_up().await;
                                break Hung::ByCaller;
                            }
                        }
                    }
                }
                // Like a real line, the caller's side always streams audio, silence included.
                let was_speaking = !sim.speaking.is_empty();
                let frame = sim.next_caller_frame(now);
                // The caller's turn ends when they stop talking: only what the hotline
                // says after that is its answer.
                if was_speaking && sim.speaking.is_empty() {
                    waiting_since = now;
                }
                if wire.audio(&frame).await.is_err() {
                    break Hung::ByHotline;
                }
            }
            event = heard.recv() => {
                let Some((at, event)) = event else { break Hung::ByHotline };
                match event {
                    FromHotline::Media(samples) => sim.media(at, &samples),
                    FromHotline::Mark(name) => {
                        sim.mark(at, &name);
                        wire.played(&name).await;
                    }
                    FromHotline::Clear => sim.line(at, "hotline", "stops speaking (barge-in)".into()),
                    FromHotline::Closed => {
                        sim.line(at, "hotline", "hangs up".into());
                        break Hung::ByHotline;
                    }
                }
            }
        }
    };
    // What the hotline sent before it closed may still be queued: take it in.
    drop(wire);
    let until = Instant::now() + Duration::from_secs(2);
    while let Ok(Some((at, event))) = tokio::time::timeout_at(until, heard.recv()).await {
        match event {
            FromHotline::Media(samples) => sim.media(at, &samples),
            FromHotline::Mark(name) => sim.mark(at, &name),
            FromHotline::Clear => {}
            FromHotline::Closed => break,
        }
    }
    if matches!(hung, Hung::ByHotline) {
        sim.hung_up_by_hotline = true;
    }
    Ok(hung)
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
    transfers: Vec<String>,
    hung_up_by_hotline: bool,
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
            transfers: Vec::new(),
            hung_up_by_hotline: false,
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

    fn media(&mut self, at: Instant, samples: &[i16]) {
        if let Some(pressed) = self.pending_latency.take() {
            self.latencies.push(at - pressed);
        }
        if self.frames_since_mark > 0
            && let Some(last) = self.last_media
        {
            self.longest_gap = self.longest_gap.max(at - last);
        }
        // Frames arrive paced; a gap of more than two frames is real silence on the line.
        let pos = self.timeline_pos(at);
        if pos > self.received.len() + 2 * FRAME_SAMPLES {
            self.received.resize(pos, 0);
        }
        self.received.extend_from_slice(samples);
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

    fn next_caller_frame(&mut self, now: Instant) -> [i16; FRAME_SAMPLES] {
        let mut frame = [0i16; FRAME_SAMPLES];
        for s in frame.iter_mut() {
            *s = self.speaking.pop_front().unwrap_or(0);
        }
        let pos = self.timeline_pos(now);
        if self.sent.len() < pos {
            self.sent.resize(pos, 0);
        }
        self.sent.extend_from_slice(&frame);
        frame
    }

    fn finish(self, call_id: String, connections: u32) -> CallReport {
        CallReport {
            call_id,
            lines: self.lines,
            played: self.played,
            turn_latencies: self.latencies,
            longest_gap: self.longest_gap,
            received: Pcm { rate: PHONE_RATE, samples: self.received },
            sent: Pcm { rate: PHONE_RATE, samples: self.sent },
            hung_up_by_hotline: self.hung_up_by_hotline,
            transfers: self.transfers,
            connections,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenarios_are_read_and_checked() {
        let s = Scenario::parse("from = \"+4923155512345\"\nsteps = \"key:1 wait hangup\"\n").unwrap();
        assert_eq!((s.transport.as_str(), s.description.as_str()), ("twilio", ""));
        assert!(Scenario::parse("from = \"x\"\nsteps = \"key:1\"\ntransport = \"sip\"\n").is_err());
        assert!(Scenario::parse("from = \"x\"\nsteps = \"key:x\"\n").is_err());
        assert!(Scenario::parse("from = \"x\"\nsteps = \"key:1\"\nkeys = \"1\"\n").is_err(), "unknown fields");
        for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/demo/scenarios")).unwrap() {
            let path = entry.unwrap().path();
            Scenario::parse(&std::fs::read_to_string(&path).unwrap()).unwrap_or_else(|e| panic!("{}: {e:#}", path.display()));
        }
    }

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
        assert_eq!(
            parse_script(r#"say:"Einen Rückruf, bitte" key:1"#).unwrap(),
            vec![Step::Say("Einen Rückruf, bitte".into()), Step::Key('1')]
        );
        assert_eq!(parse_script(r#"bargein:"Rückruf" bargein:3"#).unwrap(), vec![Step::SayOver("Rückruf".into()), Step::BargeIn('3')]);
        assert!(parse_script(r#"say:"offen"#).is_err());
        assert!(parse_script("say:ohne").is_err());
        assert!(parse_script("key:12").is_err());
        assert!(parse_script("pause:soon").is_err());
        assert!(parse_script("dance").is_err());
    }
}
