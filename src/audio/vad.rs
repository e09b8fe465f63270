//! Endpointing: finds where a caller's answer starts and ends in 8 kHz telephone audio fed
//! as 20 ms frames.
//!
//! A frame is speech when its energy is well above the line's noise floor and it is not a
//! tone. The noise floor is the lowest frame energy of the last few seconds (minimum
//! statistics), so it follows a noisy line up and down without a calibration phase and
//! without being dragged up by a long answer, which always has quieter moments. A frame
//! the DTMF detector accepts, or a steady tone that is predicted almost perfectly from its
//! last four samples (dial tone), counts neither as speech nor as noise.
//!
//! Seniors pause mid-sentence and answer late, so the silence that ends an answer is long
//! (1 s by default), and the wait for an answer to begin is generous. Clicks and coughs
//! shorter than `min_speech_ms` never start an answer; since [`VadEvent::SpeechStarted`]
//! interrupts a playing prompt (barge-in), that matters as much as catching the answer.

use super::{FRAME_MS, FRAME_SAMPLES, PHONE_RATE, Pcm, dtmf};
use serde::Deserialize;
use std::collections::VecDeque;

/// Endpointing settings (`[speech.vad]` in the configuration).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VadConfig {
    /// Silence after speech that ends the answer.
    pub trailing_silence_ms: u64,
    /// No speech at all for this long after [`Endpointer::reset`]: [`VadEvent::NoSpeech`].
    pub start_timeout_ms: u64,
    /// An answer is cut off after this long (the caller may be talking to someone else).
    pub max_utterance_ms: u64,
    /// Sound shorter than this (clicks, coughs) is not an answer.
    pub min_speech_ms: u64,
    /// Audio kept from before the detected start, so a soft first sound is not lost.
    pub pre_roll_ms: u64,
}

impl Default for VadConfig {
    fn default() -> Self {
        VadConfig { trailing_silence_ms: 1000, start_timeout_ms: 8000, max_utterance_ms: 15_000, min_speech_ms: 150, pre_roll_ms: 300 }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum VadEvent {
    /// The caller started talking (confirmed after `min_speech_ms`): stop the prompt.
    SpeechStarted,
    /// A complete answer, 8 kHz, with pre-roll and a short tail of the trailing silence.
    Utterance(Pcm),
    /// Nothing was said within `start_timeout_ms`.
    NoSpeech,
}

/// Energy of a frame in dB over 16-bit units (RMS 1 is 0 dB, full scale about 90 dB).
type Db = f32;

/// Speech starts this far above the noise floor ...
const START_MARGIN_DB: Db = 10.0;
/// ... and continues while this far above it (hysteresis keeps soft word endings).
const CONTINUE_MARGIN_DB: Db = 6.0;
/// Nothing quieter is speech, whatever the floor (RMS 100, about -50 dBFS); keeps a
/// digitally silent line from turning μ-law's smallest steps into "speech".
const MIN_SPEECH_DB: Db = 40.0;
/// Order-4 prediction gain above which a frame is a steady tone (dial or busy tone). A
/// sinusoid is predicted almost perfectly, up to μ-law's quantisation noise (about 35 dB at
/// a normal level); our dull Pico voice reaches 30 dB in 1 % of its frames, 33 dB almost
/// never. Dual tones lose too much to μ-law for this test: the DTMF detector takes them.
const TONE_GAIN_DB: Db = 33.0;
/// Non-speech frames a starting sound may contain before it is dropped as a click.
const START_GAP_FRAMES: u32 = 3;
/// Trailing silence kept at the end of an utterance (recognisers like a little).
const TAIL_MS: u64 = 200;
/// Minimum statistics: the floor is the quietest frame of the last `FLOOR_BLOCKS` blocks of
/// `FLOOR_BLOCK_FRAMES` frames (3 s).
const FLOOR_BLOCK_FRAMES: u32 = 10;
const FLOOR_BLOCKS: usize = 15;

fn frames(ms: u64) -> u32 {
    ms.div_ceil(FRAME_MS).try_into().unwrap_or(u32::MAX)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Speech,
    Quiet,
    Tone,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    /// Waiting for speech; frames since reset.
    Waiting,
    /// Sound has begun but is not yet long enough to be speech; `start` is where it begins
    /// in `utterance` (after the pre-roll).
    Candidate { start: usize, speech: u32, gap: u32 },
    /// Inside an answer; consecutive non-speech frames at its end.
    Speaking { silence: u32 },
    /// An event ended this question; nothing more until [`Endpointer::reset`].
    Done,
    /// What is being said is no answer (a keyword was spotted in it): ignored until the
    /// caller has been silent for the trailing silence.
    Discarding { silence: u32 },
}

/// Turns a stream of 20 ms frames into answer events. One per call; [`Endpointer::reset`]
/// when the next question starts (the noise floor is kept: the line stays the same).
#[derive(Debug)]
pub struct Endpointer {
    config: VadConfig,
    floor: NoiseFloor,
    state: State,
    /// Frames since reset (for the start timeout).
    waited: u32,
    /// The last `pre_roll_ms` of audio, while no answer is being collected.
    pre_roll: VecDeque<i16>,
    /// The answer being collected, pre-roll included.
    utterance: Vec<i16>,
    /// Length of `utterance` at its last speech frame.
    speech_end: usize,
    /// Frames of `utterance` since the confirmed start.
    speech_frames: u32,
}

impl Endpointer {
    pub fn new(config: VadConfig) -> Endpointer {
        let pre_roll = VecDeque::with_capacity(frames(config.pre_roll_ms) as usize * FRAME_SAMPLES);
        Endpointer {
            config,
            floor: NoiseFloor::default(),
            state: State::Waiting,
            waited: 0,
            pre_roll,
            utterance: Vec::new(),
            speech_end: 0,
            speech_frames: 0,
        }
    }

    /// Starts listening for the next answer.
    pub fn reset(&mut self) {
        self.state = State::Waiting;
        self.waited = 0;
        self.utterance.clear();
        self.speech_end = 0;
        self.speech_frames = 0;
    }

    /// Drops the answer being spoken, and what follows of it until the caller pauses;
    /// then listens for the next answer.
    pub fn discard(&mut self) {
        self.reset();
        self.state = State::Discarding { silence: 0 };
    }

    /// Feeds one frame; returns an event when something happened.
    pub fn push(&mut self, frame: &[i16; FRAME_SAMPLES]) -> Option<VadEvent> {
        let kind = self.classify(frame);
        match self.state {
            State::Done => {
                self.remember(frame);
                None
            }
            State::Discarding { silence } => {
                let silence = if kind == Kind::Speech { 0 } else { silence + 1 };
                self.state = if silence >= frames(self.config.trailing_silence_ms) {
                    self.waited = 0;
                    State::Waiting
                } else {
                    State::Discarding { silence }
                };
                self.remember(frame);
                None
            }
            State::Waiting => {
                self.waited += 1;
                if kind == Kind::Speech {
                    self.utterance.extend(self.pre_roll.drain(..));
                    self.state = State::Candidate { start: self.utterance.len(), speech: 1, gap: 0 };
                    self.utterance.extend_from_slice(frame);
                    return self.confirm();
                }
                self.remember(frame);
                self.time_out()
            }
            State::Candidate { start, speech, gap } => {
                self.waited += 1;
                self.utterance.extend_from_slice(frame);
                let (speech, gap) = if kind == Kind::Speech { (speech + 1, 0) } else { (speech, gap + 1) };
                if gap > START_GAP_FRAMES {
                    // A click or a cough: back to waiting, its audio becomes pre-roll.
                    let sound = std::mem::take(&mut self.utterance);
                    self.state = State::Waiting;
                    for f in sound.chunks_exact(FRAME_SAMPLES) {
                        self.remember(f);
                    }
                    return self.time_out();
                }
                self.state = State::Candidate { start, speech, gap };
                self.confirm()
            }
            State::Speaking { silence } => {
                self.utterance.extend_from_slice(frame);
                self.speech_frames += 1;
                let silence = if kind == Kind::Speech {
                    self.speech_end = self.utterance.len();
                    0
                } else {
                    silence + 1
                };
                self.state = State::Speaking { silence };
                if silence >= frames(self.config.trailing_silence_ms) || self.speech_frames >= frames(self.config.max_utterance_ms) {
                    return Some(self.finish());
                }
                None
            }
        }
    }

    /// A starting sound never times out: it becomes an answer or falls back to waiting
    /// within a few frames, and timing it out would cut the first syllable off an answer
    /// begun just before the timeout ("Vier" heard as "Tier").
    fn confirm(&mut self) -> Option<VadEvent> {
        if let State::Candidate { start, speech, gap } = self.state
            && speech >= frames(self.config.min_speech_ms)
        {
            // The length limit counts from the first speech frame; the pre-roll is extra.
            self.speech_frames = ((self.utterance.len() - start) / FRAME_SAMPLES) as u32;
            self.speech_end = self.utterance.len() - gap as usize * FRAME_SAMPLES;
            self.state = State::Speaking { silence: gap };
            return Some(VadEvent::SpeechStarted);
        }
        None
    }

    fn time_out(&mut self) -> Option<VadEvent> {
        if self.waited >= frames(self.config.start_timeout_ms) {
            self.state = State::Done;
            self.utterance.clear();
            return Some(VadEvent::NoSpeech);
        }
        None
    }

    fn finish(&mut self) -> VadEvent {
        let tail = frames(TAIL_MS.min(self.config.trailing_silence_ms)) as usize * FRAME_SAMPLES;
        let end = (self.speech_end + tail).min(self.utterance.len());
        let mut samples = std::mem::take(&mut self.utterance);
        samples.truncate(end);
        self.state = State::Done;
        VadEvent::Utterance(Pcm { rate: PHONE_RATE, samples })
    }

    /// Keeps the frame as pre-roll for a later start.
    fn remember(&mut self, frame: &[i16]) {
        let keep = frames(self.config.pre_roll_ms) as usize * FRAME_SAMPLES;
        self.pre_roll.extend(frame);
        let excess = self.pre_roll.len().saturating_sub(keep);
        self.pre_roll.drain(..excess);
    }

    fn classify(&mut self, frame: &[i16]) -> Kind {
        let x: Vec<f32> = frame.iter().map(|&s| s as f32).collect();
        let energy = energy_db(&x);
        if energy >= MIN_SPEECH_DB && (prediction_gain_db(&x) > TONE_GAIN_DB || dtmf::classify(frame).is_some()) {
            return Kind::Tone;
        }
        let floor = self.floor.level().unwrap_or(energy);
        self.floor.push(energy);
        let in_speech = matches!(self.state, State::Speaking { .. } | State::Candidate { .. });
        let margin = if in_speech { CONTINUE_MARGIN_DB } else { START_MARGIN_DB };
        if energy >= MIN_SPEECH_DB && energy >= floor + margin { Kind::Speech } else { Kind::Quiet }
    }
}

fn energy_db(x: &[f32]) -> Db {
    let mean_square = x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32;
    10.0 * (mean_square + 1.0).log10()
}

/// How much better than its energy the frame is predicted by an order-4 linear predictor,
/// in dB: a measure of how peaky (tonal) its spectrum is. The covariance method (normal
/// equations over the frame itself, no window) predicts sinusoids almost perfectly even in
/// a 20 ms frame, where the autocorrelation method loses them at the frame edges.
fn prediction_gain_db(x: &[f32]) -> Db {
    const P: usize = 4;
    let dot = |i: usize, j: usize| (P..x.len()).map(|n| x[n - i] as f64 * x[n - j] as f64).sum::<f64>();
    let energy = dot(0, 0);
    if energy <= 0.0 {
        return 0.0;
    }
    // Augmented normal equations [Phi | c] for the coefficients a_1..a_P.
    let mut m = [[0f64; P + 1]; P];
    for (i, row) in m.iter_mut().enumerate() {
        for (j, cell) in row.iter_mut().enumerate() {
            *cell = if j == P { dot(i + 1, 0) } else { dot(i + 1, j + 1) };
        }
        // A touch of regularisation keeps silence-padded frames solvable.
        row[i] += energy * 1e-9;
    }
    // Gaussian elimination with partial pivoting; Phi is symmetric positive semidefinite.
    for col in 0..P {
        let pivot = (col..P).max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs())).unwrap_or(col);
        m.swap(col, pivot);
        if m[col][col].abs() < energy * 1e-12 {
            return 0.0;
        }
        let pivot_row = m[col];
        for row in m.iter_mut().skip(col + 1) {
            let f = row[col] / pivot_row[col];
            for (cell, p) in row.iter_mut().zip(pivot_row).skip(col) {
                *cell -= f * p;
            }
        }
    }
    let mut a = [0f64; P];
    for i in (0..P).rev() {
        a[i] = (m[i][P] - (i + 1..P).map(|k| m[i][k] * a[k]).sum::<f64>()) / m[i][i];
    }
    let predicted: f64 = (0..P).map(|i| a[i] * dot(i + 1, 0)).sum();
    let error = (energy - predicted).max(energy * 1e-9);
    (10.0 * (energy / error).log10()) as Db
}

/// The quietest frame energy of the last few seconds.
#[derive(Debug, Default)]
struct NoiseFloor {
    /// Minimum of each completed block, oldest first.
    blocks: VecDeque<Db>,
    current: Option<Db>,
    in_block: u32,
}

impl NoiseFloor {
    fn push(&mut self, energy: Db) {
        self.current = Some(self.current.map_or(energy, |m| m.min(energy)));
        self.in_block += 1;
        if self.in_block == FLOOR_BLOCK_FRAMES {
            if self.blocks.len() == FLOOR_BLOCKS {
                self.blocks.pop_front();
            }
            self.blocks.extend(self.current.take());
            self.in_block = 0;
        }
    }

    fn level(&self) -> Option<Db> {
        self.blocks.iter().copied().chain(self.current).reduce(Db::min)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_signals::voice;
    use super::*;
    use std::f32::consts::PI;

    /// Deterministic white noise of RMS `rms`.
    fn noise(ms: u64, rms: f32, seed: &mut u64) -> Vec<i16> {
        (0..ms * 8)
            .map(|_| {
                // Sum of uniforms: close enough to Gaussian, variance 12 * 1/12 = 1.
                let v: f32 = (0..12)
                    .map(|_| {
                        *seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                        (*seed >> 40) as f32 / (1u64 << 24) as f32
                    })
                    .sum::<f32>()
                    - 6.0;
                (v * rms).clamp(-32768.0, 32767.0) as i16
            })
            .collect()
    }

    fn dtmf_tone(key: char, ms: u64, amplitude: f32) -> Vec<i16> {
        const ROWS: [f32; 4] = [697.0, 770.0, 852.0, 941.0];
        const COLS: [f32; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
        let keys = "123A456B789C*0#D";
        let i = keys.find(key).expect("a DTMF key");
        let (r, c) = (ROWS[i / 4], COLS[i % 4]);
        (0..ms * 8)
            .map(|n| {
                let t = n as f32 / 8000.0;
                (amplitude * ((2.0 * PI * r * t).sin() + (2.0 * PI * c * t).sin())) as i16
            })
            .collect()
    }

    fn mix(a: &[i16], b: &[i16]) -> Vec<i16> {
        a.iter().zip(b.iter().chain(std::iter::repeat(&0))).map(|(x, y)| x.saturating_add(*y)).collect()
    }

    /// Runs `audio` through a fresh endpointer; events with the frame index they came at.
    fn events(config: VadConfig, audio: &[i16]) -> Vec<(usize, VadEvent)> {
        let mut vad = Endpointer::new(config);
        audio
            .chunks_exact(FRAME_SAMPLES)
            .enumerate()
            .filter_map(|(i, f)| vad.push(f.try_into().expect("a full frame")).map(|e| (i, e)))
            .collect()
    }

    fn kinds(events: &[(usize, VadEvent)]) -> Vec<&'static str> {
        events
            .iter()
            .map(|(_, e)| match e {
                VadEvent::SpeechStarted => "started",
                VadEvent::Utterance(_) => "utterance",
                VadEvent::NoSpeech => "no speech",
            })
            .collect()
    }

    fn concat(parts: &[Vec<i16>]) -> Vec<i16> {
        parts.concat()
    }

    #[test]
    fn an_answer_in_line_noise_is_found_with_pre_roll_and_tail() {
        let mut seed = 7;
        let line = noise(6000, 60.0, &mut seed);
        let speech = concat(&[vec![0; 1000 * 8], voice(1200, 8000.0)]);
        let audio = mix(&line, &speech);
        let ev = events(VadConfig::default(), &audio);
        assert_eq!(kinds(&ev), ["started", "utterance"], "{ev:?}");
        // Speech begins at frame 50; confirmed after 150 ms.
        assert!((57..=60).contains(&ev[0].0), "started at frame {}", ev[0].0);
        // Speech ends at frame 110; the endpoint is one second later.
        assert!((158..=162).contains(&ev[1].0), "ended at frame {}", ev[1].0);
        let VadEvent::Utterance(pcm) = &ev[1].1 else { unreachable!() };
        assert_eq!(pcm.rate, 8000);
        // 300 ms pre-roll + 1200 ms speech + 200 ms tail, give or take a frame.
        assert!((1660..=1740).contains(&pcm.duration_ms()), "{} ms", pcm.duration_ms());
    }

    #[test]
    fn a_discarded_answer_is_dropped_to_its_end_and_the_next_one_is_heard() {
        // "Mitarbeiter, bitte" (a keyword, discarded mid-word), a pause, then an answer.
        let audio = concat(&[vec![0; 4000], voice(1500, 8000.0), vec![0; 1200 * 8], voice(700, 8000.0), vec![0; 1500 * 8]]);
        let mut vad = Endpointer::new(VadConfig::default());
        let mut ev = Vec::new();
        for (i, f) in audio.chunks_exact(FRAME_SAMPLES).enumerate() {
            if i == 60 {
                vad.discard();
            }
            ev.extend(vad.push(f.try_into().unwrap()).map(|e| (i, e)));
        }
        assert_eq!(kinds(&ev), ["started", "started", "utterance"], "{ev:?}");
        // The second answer starts at frame 160 (after 3.2 s); only it is kept.
        assert!(ev[1].0 >= 160, "{ev:?}");
        let VadEvent::Utterance(pcm) = &ev[2].1 else { unreachable!() };
        assert!(pcm.duration_ms() < 1400, "{} ms", pcm.duration_ms());
    }

    #[test]
    fn pauses_shorter_than_the_trailing_silence_stay_inside_the_answer() {
        let speech = concat(&[vec![0; 4000], voice(800, 8000.0), vec![0; 800 * 8], voice(600, 8000.0), vec![0; 1500 * 8]]);
        let ev = events(VadConfig::default(), &speech);
        assert_eq!(kinds(&ev), ["started", "utterance"]);
        let VadEvent::Utterance(pcm) = &ev[1].1 else { unreachable!() };
        assert!(pcm.duration_ms() > 2000, "{} ms", pcm.duration_ms());
        // A shorter trailing silence splits it.
        let config = VadConfig { trailing_silence_ms: 500, ..VadConfig::default() };
        let ev = events(config, &speech);
        assert_eq!(kinds(&ev), ["started", "utterance"]);
        let VadEvent::Utterance(pcm) = &ev[1].1 else { unreachable!() };
        assert!(pcm.duration_ms() < 1400, "{} ms", pcm.duration_ms());
    }

    #[test]
    fn line_noise_alone_is_no_speech_even_when_it_gets_louder() {
        let mut seed = 3;
        let quiet = noise(2000, 30.0, &mut seed);
        let loud = noise(7000, 600.0, &mut seed);
        let audio = concat(&[quiet, loud]);
        // The jump sounds like speech until the floor has followed it (its 3 s window): an
        // answer at most that long (plus the trailing silence), never a stuck line.
        let ev = events(VadConfig::default(), &audio);
        assert_eq!(kinds(&ev), ["started", "utterance"]);
        let VadEvent::Utterance(pcm) = &ev[1].1 else { unreachable!() };
        assert!(pcm.duration_ms() <= 3600, "{} ms", pcm.duration_ms());
        let config = VadConfig::default();
        let steady = noise(9000, 600.0, &mut seed);
        let ev = events(config, &steady);
        assert_eq!(kinds(&ev), ["no speech"]);
        assert_eq!(ev[0].0 + 1, 400, "8 s start timeout");
    }

    #[test]
    fn digital_silence_times_out() {
        let ev = events(VadConfig { start_timeout_ms: 2000, ..VadConfig::default() }, &vec![0; 3000 * 8]);
        assert_eq!(ev.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [99]);
        assert_eq!(kinds(&ev), ["no speech"]);
    }

    #[test]
    fn an_answer_begun_just_before_the_start_timeout_is_kept_whole() {
        // As the call listens: after "no speech" it listens again at once.
        for start_ms in [1900, 1940, 1980] {
            let audio = concat(&[vec![0; start_ms * 8], voice(800, 8000.0), vec![0; 1500 * 8]]);
            let mut vad = Endpointer::new(VadConfig { start_timeout_ms: 2000, ..VadConfig::default() });
            let mut ev = Vec::new();
            for f in audio.chunks_exact(FRAME_SAMPLES) {
                let e = vad.push(f.try_into().unwrap());
                if e == Some(VadEvent::NoSpeech) {
                    vad.reset();
                }
                ev.extend(e);
            }
            let [VadEvent::SpeechStarted, VadEvent::Utterance(pcm)] = &ev[..] else {
                panic!("at {start_ms} ms: {:?}", kinds(&ev.into_iter().enumerate().collect::<Vec<_>>()))
            };
            // 300 ms pre-roll + 800 ms speech + 200 ms tail.
            assert!((1260..=1340).contains(&pcm.duration_ms()), "at {start_ms} ms: {} ms", pcm.duration_ms());
        }
    }

    #[test]
    fn clicks_and_short_coughs_do_not_start_an_answer() {
        let mut seed = 11;
        let mut audio = noise(4000, 40.0, &mut seed);
        for at in [500, 1500, 2500] {
            // A 10 ms click and a 100 ms cough-like burst.
            for i in 0..80 {
                audio[at * 8 + i] = if i % 2 == 0 { 20000 } else { -20000 };
            }
            let burst = noise(100, 5000.0, &mut seed);
            audio[(at + 300) * 8..(at + 400) * 8].copy_from_slice(&burst);
        }
        let ev = events(VadConfig::default(), &audio);
        assert!(ev.is_empty(), "{:?}", kinds(&ev));
    }

    #[test]
    fn dtmf_and_other_tones_are_not_speech() {
        let mut seed = 5;
        for noisy in [false, true] {
            let mut audio = Vec::new();
            for key in "1234567890*#ABCD".chars() {
                audio.extend(dtmf_tone(key, 300, 5000.0));
                audio.extend(vec![0; 100 * 8]);
            }
            if noisy {
                audio = mix(&audio, &noise(6400, 150.0, &mut seed));
            } else {
                // German dial tone (425 Hz), long. In noise it is no longer predictable
                // enough to be told from our dull voice: only DTMF is caught there.
                audio.extend((0..2000 * 8).map(|n| (6000.0 * (2.0 * PI * 425.0 * n as f32 / 8000.0).sin()) as i16));
            }
            let ev = events(VadConfig { start_timeout_ms: 60_000, ..VadConfig::default() }, &audio);
            assert!(ev.is_empty(), "noisy {noisy}: {:?} at {:?}", kinds(&ev), ev.iter().map(|e| e.0).collect::<Vec<_>>());
        }
    }

    #[test]
    fn long_talk_is_cut_at_the_maximum() {
        let speech = concat(&[vec![0; 4000], voice(5000, 8000.0)]);
        let ev = events(VadConfig { max_utterance_ms: 3000, ..VadConfig::default() }, &speech);
        assert_eq!(kinds(&ev), ["started", "utterance"]);
        let VadEvent::Utterance(pcm) = &ev[1].1 else { unreachable!() };
        // 300 ms pre-roll + 3 s.
        assert!((3200..=3400).contains(&pcm.duration_ms()), "{} ms", pcm.duration_ms());
    }

    #[test]
    fn reset_listens_again_and_keeps_the_floor() {
        let mut vad = Endpointer::new(VadConfig::default());
        let first = concat(&[vec![0; 4000], voice(600, 8000.0), vec![0; 1500 * 8]]);
        let mut got = Vec::new();
        for f in first.chunks_exact(FRAME_SAMPLES) {
            got.extend(vad.push(f.try_into().unwrap()));
        }
        assert_eq!(got.len(), 2);
        // After the answer nothing more is reported until the next question.
        for f in voice(600, 8000.0).chunks_exact(FRAME_SAMPLES) {
            assert_eq!(vad.push(f.try_into().unwrap()), None);
        }
        vad.reset();
        let mut got = Vec::new();
        for f in first.chunks_exact(FRAME_SAMPLES) {
            got.extend(vad.push(f.try_into().unwrap()));
        }
        assert!(matches!(got[..], [VadEvent::SpeechStarted, VadEvent::Utterance(_)]), "{got:?}");
    }

    #[test]
    fn prediction_gain_separates_tones_from_voice_and_noise() {
        let gain = |x: &[i16]| prediction_gain_db(&x[..160].iter().map(|&s| s as f32).collect::<Vec<_>>());
        assert!(gain(&dtmf_tone('5', 20, 5000.0)) > 40.0, "before μ-law coding");
        let mut seed = 1;
        assert!(gain(&noise(20, 1000.0, &mut seed)) < 3.0);
        let v = voice(1000, 8000.0);
        let max = v.chunks_exact(160).map(gain).fold(0f32, f32::max);
        assert!(max < TONE_GAIN_DB, "voice gain {max}");
    }
}
