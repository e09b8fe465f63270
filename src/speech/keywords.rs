//! Keyword spotting: "Hilfe", "Mitarbeiter", "wiederholen" and "zurück" are heard at any
//! moment of a call, also over a prompt and while no answer is expected, without running
//! the recogniser all the time: a small rustpotter network scores the last second or so
//! of the line's MFCCs every 10 ms (keyword or not).
//!
//! Rustpotter's other way, comparing with reference recordings by time warping, was
//! measured first: on synthetic callers it missed a fifth of the keywords, raised hundreds
//! of false alarms per hour of speech and took 30 % of a core per call. A network that has
//! also learnt what is *not* a keyword does better at a fraction of the cost.
//!
//! The model is trained at setup (`hotline prompts keywords`) from synthetic callers: the
//! keywords (alone, with several intonations, and at the start or end of phrases) and
//! keyword-free sentences of `voices/keywords.toml` spoken by several voices, rates and
//! pitches, clean and with line noise, through the 8 kHz μ-law line the spotter listens
//! to. The examples are reproducible (same voices, seeded noise), and so are the network's
//! starting weights (seeded): the same specification trains the same model, up to the
//! rounding of sums whose order rustpotter takes from a hash map. A folder keeps the model
//! and a manifest with the detector settings and the hash of the specification.

use crate::audio::{FRAME_SAMPLES, PHONE_RATE, Pcm};
use crate::speech::synthetic::{Renderer, SynthError, TestVoice, add_line_noise, block_rms, mu_law_line};
use crate::speech::understand::normalized_words;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rustpotter::{
    AudioFmt, DetectorConfig, Endianness, ModelType, Rustpotter, RustpotterConfig, SampleFormat, ScoreMode, TensorData, VADMode,
    WakewordLoad, WakewordModel, WakewordModelTrain, WakewordModelTrainOptions, WakewordSave,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use thiserror::Error;

/// A word the caller may say at any time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Keyword {
    Help,
    Agent,
    Repeat,
    Back,
}

impl Keyword {
    pub const ALL: [Keyword; 4] = [Keyword::Help, Keyword::Agent, Keyword::Repeat, Keyword::Back];

    /// Its name in files, metrics and call paths.
    pub fn name(self) -> &'static str {
        match self {
            Keyword::Help => "hilfe",
            Keyword::Agent => "mitarbeiter",
            Keyword::Repeat => "wiederholen",
            Keyword::Back => "zurueck",
        }
    }

    pub fn from_name(name: &str) -> Option<Keyword> {
        Keyword::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Lower-case stem of the word and its forms ("Mitarbeiterin", "wiederholt"), to tell
    /// keyword-free speech for the false-alarm measurement.
    pub fn stem(self) -> &'static str {
        match self {
            Keyword::Help => "hilf",
            Keyword::Agent => "mitarbeit",
            Keyword::Repeat => "wiederhol",
            Keyword::Back => "zurück",
        }
    }

    /// Whether `text` contains any keyword in any form.
    pub fn any_in(text: &str) -> bool {
        let lower = text.to_lowercase();
        Keyword::ALL.iter().any(|k| lower.contains(k.stem()))
    }
}

#[derive(Debug, Error)]
pub enum KeywordError {
    #[error("keyword specification {path}: {message}")]
    Spec { path: String, message: String },
    #[error("keyword references in {path}: {message} (build them: hotline prompts keywords)")]
    Load { path: String, message: String },
    #[error("keyword references in {path}: {message}")]
    Save { path: String, message: String },
    #[error("keyword spotter: {0}")]
    Spotter(String),
    #[error(transparent)]
    Synth(#[from] SynthError),
}

/// How the spotter decides (rustpotter's detector settings), tuned on the tuning voices.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DetectorSettings {
    /// Score the model must give a keyword over "no keyword" (0-1).
    pub threshold: f32,
    /// Consecutive 10 ms windows above the threshold for a detection.
    pub min_scores: usize,
    /// Probability margin that maps to a score of 0.5.
    pub score_ref: f32,
}

/// How the model is trained.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingSettings {
    /// The window the model sees: long enough for the slowest keyword.
    pub window_ms: usize,
    pub epochs: usize,
    pub learning_rate: f64,
    /// Windows of keyword-free speech, this far apart.
    pub negative_hop_ms: usize,
    /// Places of a keyword in its windows, from the start to the end (at least 2): the
    /// spotter looks every 10 ms, so the model must know the word wherever it is.
    pub places: usize,
    /// Seeds the network's starting weights: the same specification trains the same model.
    pub seed: u64,
}

/// `voices/keywords.toml`: what the model is made of.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeywordSpec {
    pub detector: DetectorSettings,
    pub training: TrainingSettings,
    /// MFCC coefficients per frame.
    pub mfcc_size: u16,
    pub keywords: Vec<KeywordEntry>,
    /// Keyword-free sentences: the model learns what is not a keyword from them.
    pub negatives: Vec<String>,
    /// Voices that speak the examples. None may be a voice of the held-out speech set.
    pub voices: Vec<TestVoice>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeywordEntry {
    pub name: String,
    /// The word alone first, then other ways to say it: the word with other punctuation
    /// (another intonation: "Hilfe!", "Hilfe?") or a phrase that begins or ends with it
    /// ("Hilfe, ich bin gestürzt.", "Holen Sie Hilfe."), so the model hears the word also
    /// run together with speech before or after it.
    pub say: Vec<String>,
}

/// Where a form of the keyword has the word (see [`KeywordEntry::say`]).
#[derive(Debug, Clone, Copy, PartialEq)]
enum WordAt {
    /// The word alone, maybe with other punctuation.
    Alone,
    Start,
    End,
}

impl KeywordEntry {
    /// Where `form` has the word, compared word by word as understanding compares them
    /// (so "Hilfestellung" is not "Hilfe"); `None` if it neither begins nor ends with it.
    fn word_at(&self, form: &str) -> Option<WordAt> {
        let (word, form) = (normalized_words(&self.say[0]), normalized_words(form));
        if form == word {
            Some(WordAt::Alone)
        } else if form.ends_with(&word) {
            Some(WordAt::End)
        } else if form.starts_with(&word) {
            Some(WordAt::Start)
        } else {
            None
        }
    }
}

impl KeywordSpec {
    pub fn load(path: &Path) -> Result<(KeywordSpec, String), KeywordError> {
        let err = |message: String| KeywordError::Spec { path: path.display().to_string(), message };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let spec: KeywordSpec = toml::from_str(&text).map_err(|e| err(e.to_string()))?;
        for k in &spec.keywords {
            if Keyword::from_name(&k.name).is_none() {
                return Err(err(format!("unknown keyword {:?}", k.name)));
            }
            if k.say.is_empty() {
                return Err(err(format!("keyword {:?} has no words to say", k.name)));
            }
            if normalized_words(&k.say[0]).len() != 1 {
                return Err(err(format!("keyword {:?}: the first form to say is the word alone, not {:?}", k.name, k.say[0])));
            }
            if let Some(form) = k.say.iter().find(|f| k.word_at(f).is_none()) {
                return Err(err(format!("keyword {:?}: {form:?} neither begins nor ends with {:?}", k.name, k.say[0])));
            }
        }
        if let Some(n) = spec.negatives.iter().find(|n| Keyword::any_in(n)) {
            return Err(err(format!("negative sentence {n:?} contains a keyword")));
        }
        if spec.training.places < 2 {
            return Err(err("training.places must be at least 2 (the start and the end of the window)".into()));
        }
        if spec.voices.is_empty() || spec.negatives.is_empty() {
            return Err(err("needs voices and negative sentences".into()));
        }
        Ok((spec, hex::encode(Sha256::digest(text.as_bytes()))))
    }
}

/// The manifest written next to the model.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    /// SHA-256 of the specification the model was built from.
    spec_sha256: String,
    detector: DetectorSettings,
    keywords: Vec<String>,
    /// Training windows: with a keyword, and without.
    positives: usize,
    negatives: usize,
}

const MANIFEST: &str = "keywords.toml";
const MODEL: &str = "keywords.rpw";

/// Margin kept around the word when it is cut from synthetic speech.
const EDGE_MS: usize = 40;
/// 20 ms blocks quieter than this (RMS) are not the word.
const WORD_EDGE_RMS: f64 = 150.0;
/// Every fifth window is kept out of training, to report the model's accuracy.
const TEST_EVERY: usize = 5;

/// What a build did.
#[derive(Debug)]
pub struct BuildSummary {
    /// Nothing to do: the model matches the specification.
    pub up_to_date: bool,
    pub positives: usize,
    pub negatives: usize,
}

/// Training windows, named the way rustpotter reads labels: `[label]name.wav`, or no
/// brackets for "no keyword".
#[derive(Default)]
struct Examples {
    train: HashMap<String, Vec<u8>>,
    test: HashMap<String, Vec<u8>>,
    count: usize,
}

impl Examples {
    fn add(&mut self, name: String, window: &[i16]) -> Result<(), hound::Error> {
        let bytes = wav_bytes(&Pcm { rate: PHONE_RATE, samples: mu_law_line(window) })?;
        self.count += 1;
        let set = if self.count.is_multiple_of(TEST_EVERY) { &mut self.test } else { &mut self.train };
        set.insert(name, bytes);
        Ok(())
    }
}

/// Trains the model of `spec_path` into `out`, unless it is there and matches.
pub async fn build(spec_path: &Path, out: &Path, renderer: &mut Renderer, force: bool) -> Result<BuildSummary, KeywordError> {
    let (spec, hash) = KeywordSpec::load(spec_path)?;
    let save_err = |message: String| KeywordError::Save { path: out.display().to_string(), message };
    if !force
        && let Ok(existing) = read_manifest(out)
        && existing.spec_sha256 == hash
        && out.join(MODEL).is_file()
    {
        return Ok(BuildSummary { up_to_date: true, positives: existing.positives, negatives: existing.negatives });
    }
    let window = spec.training.window_ms * PHONE_RATE as usize / 1000;
    let wav_err = |e: hound::Error| save_err(e.to_string());
    let (mut positives, mut negatives) = (Examples::default(), Examples::default());
    for (v, voice) in spec.voices.iter().enumerate() {
        // Keyword-free speech by this voice, in windows; its sentences also give the
        // keywords a context (speech before the word, as in "Ich brauche Hilfe").
        let mut sentences = Vec::new();
        for (n, text) in spec.negatives.iter().enumerate() {
            let speech = renderer.speech(voice, text).await?;
            let mut line = vec![0i16; window / 2];
            line.extend_from_slice(&speech.samples);
            line.resize(line.len() + window / 2, 0);
            if (v + n) % 2 == 1 {
                add_line_noise(&mut line, seed(v, n, 0, 0));
            }
            let hop = spec.training.negative_hop_ms * PHONE_RATE as usize / 1000;
            for (w, start) in (0..line.len().saturating_sub(window)).step_by(hop).enumerate() {
                negatives.add(format!("none-{v}-{n}-{w}.wav"), &line[start..start + window]).map_err(wav_err)?;
            }
            sentences.push(speech.samples);
        }
        for (k, keyword) in spec.keywords.iter().enumerate() {
            // The word's length as this voice says it alone: in a phrase, that much of the
            // phrase's start or end is taken for the word (they differ only a little).
            let alone_len = word_of(&renderer.speech(voice, &keyword.say[0]).await?).len();
            for (s, text) in keyword.say.iter().enumerate() {
                let speech = word_of(&renderer.speech(voice, text).await?);
                let (word_start, word_len) = match keyword.word_at(text) {
                    Some(WordAt::Alone) => (0, speech.len()),
                    Some(WordAt::End) => (speech.len().saturating_sub(alone_len), alone_len),
                    Some(WordAt::Start) | None => (0, alone_len),
                };
                if word_len >= window {
                    return Err(KeywordError::Spec {
                        path: spec_path.display().to_string(),
                        message: format!("{text:?} by {} is longer than the window ({} ms)", voice.label(), spec.training.window_ms),
                    });
                }
                let context = &sentences[(k + s + v) % sentences.len()];
                // The word at several places in the window (the spotter looks every 10 ms),
                // with the phrase's speech around it; every other place with speech before
                // it where the phrase has none; each clean and on a noisy line.
                let places = spec.training.places;
                for p in 0..places {
                    let offset = (window - word_len) * p / (places - 1);
                    let mut w = around(&speech, word_start, offset, window);
                    // Silence before the phrase, if it starts within the window.
                    let gap = offset.saturating_sub(word_start);
                    if p % 2 == 1 {
                        let before = &context[context.len().saturating_sub(gap)..];
                        w[gap - before.len()..gap].copy_from_slice(before);
                    }
                    for noisy in [false, true] {
                        let mut w = w.clone();
                        if noisy {
                            add_line_noise(&mut w, seed(v, k, s, p + 1));
                        }
                        let name = format!("[{}]{v}-{s}-{p}-{}.wav", keyword.name, if noisy { "noisy" } else { "clean" });
                        positives.add(name, &w).map_err(wav_err)?;
                    }
                }
                // Only the first half of the word, at the end of the window: not yet the
                // keyword, so the model waits until it has heard all of it.
                let half = (word_start + word_len / 2).min(speech.len());
                let w = around(&speech[..half], half, window, window);
                negatives.add(format!("half-{v}-{k}-{s}.wav"), &w).map_err(wav_err)?;
            }
        }
    }
    let (n_pos, n_neg) = (positives.count, negatives.count);
    let (mut train, mut test) = (positives.train, positives.test);
    train.extend(negatives.train);
    test.extend(negatives.test);
    let t = &spec.training;
    let labels: Vec<String> = spec.keywords.iter().map(|k| k.name.clone()).chain([NONE_LABEL.to_string()]).collect();
    let (seed, mfcc_size) = (t.seed, spec.mfcc_size);
    let options = WakewordModelTrainOptions::new(ModelType::Medium, t.learning_rate, t.epochs, t.epochs, mfcc_size);
    // Training is CPU-bound for a minute or so.
    let model = tokio::task::spawn_blocking(move || {
        let start = seeded_start(&train, labels, mfcc_size, seed)?;
        WakewordModel::train_from_buffers(options, train, test, Some(start))
    })
    .await
    .map_err(|e| save_err(e.to_string()))?
    .map_err(|e| save_err(format!("training: {e}")))?;
    std::fs::create_dir_all(out).map_err(|e| save_err(e.to_string()))?;
    model.save_to_file(&out.join(MODEL).to_string_lossy()).map_err(save_err)?;
    let manifest = Manifest {
        spec_sha256: hash,
        detector: spec.detector,
        keywords: spec.keywords.iter().map(|k| k.name.clone()).collect(),
        positives: n_pos,
        negatives: n_neg,
    };
    let text = toml::to_string(&manifest).map_err(|e| save_err(e.to_string()))?;
    // Written last: a build cut short leaves no manifest that claims it is complete.
    std::fs::write(out.join(MANIFEST), text).map_err(|e| save_err(e.to_string()))?;
    Ok(BuildSummary { up_to_date: false, positives: n_pos, negatives: n_neg })
}

/// Rustpotter's label of windows without a keyword.
const NONE_LABEL: &str = "none";

/// The network rustpotter trains, with starting weights drawn from `seed` (rustpotter's
/// own are random, so each build would differ): Kaiming-normal weights and uniform biases,
/// the initialisation candle gives a layer. The shapes come from a model rustpotter builds,
/// untrained, from one window of each label.
fn seeded_start(train: &HashMap<String, Vec<u8>>, labels: Vec<String>, mfcc_size: u16, seed: u64) -> std::io::Result<WakewordModel> {
    let mut names: Vec<&String> = train.keys().collect();
    names.sort();
    let mut probe = HashMap::new();
    for label in &labels {
        let tag = format!("[{label}]");
        let name = names.iter().find(|n| if label == NONE_LABEL { !n.starts_with('[') } else { n.starts_with(&tag) });
        if let Some(name) = name {
            probe.insert((*name).clone(), train[*name].clone());
        }
    }
    let options = WakewordModelTrainOptions::new(ModelType::Medium, 0.0, 0, 1, mfcc_size);
    let shapes = WakewordModel::train_from_buffers(options, probe.clone(), probe, None)?;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut layers: Vec<(&String, &TensorData)> = shapes.weights.iter().collect();
    layers.sort_by_key(|(name, _)| name.as_str());
    let mut weights = HashMap::new();
    for (name, data) in layers {
        let layer = name.rsplit_once('.').map_or(name.as_str(), |(layer, _)| layer);
        let fan_in = shapes.weights.get(&format!("{layer}.weight")).and_then(|w| w.dims.get(1)).copied().unwrap_or(1) as f64;
        let count: usize = data.dims.iter().product();
        let values: Vec<f32> = if name.ends_with(".bias") {
            let bound = 1.0 / fan_in.sqrt();
            (0..count).map(|_| rng.gen_range(-bound..bound) as f32).collect()
        } else {
            let std = (2.0 / fan_in).sqrt();
            (0..count).map(|_| (std * standard_normal(&mut rng)) as f32).collect()
        };
        let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        weights.insert(name.clone(), TensorData { bytes, dims: data.dims.clone(), d_type: "f32".into() });
    }
    Ok(WakewordModel { labels, weights, ..shapes })
}

/// A draw of N(0, 1) (Box-Muller).
fn standard_normal(rng: &mut StdRng) -> f64 {
    let u1: f64 = 1.0 - rng.r#gen::<f64>();
    let u2: f64 = rng.r#gen();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A distinct noise seed per voice, item, variant and place.
fn seed(voice: usize, item: usize, variant: usize, place: usize) -> u64 {
    (((voice * 1000 + item) * 100 + variant) * 10 + place) as u64
}

fn read_manifest(dir: &Path) -> Result<Manifest, KeywordError> {
    let err = |message: String| KeywordError::Load { path: dir.display().to_string(), message };
    let text = std::fs::read_to_string(dir.join(MANIFEST)).map_err(|e| err(format!("{MANIFEST}: {e}")))?;
    toml::from_str(&text).map_err(|e| err(format!("{MANIFEST}: {e}")))
}

/// A window of `len` samples with `speech[at]` at `offset`: the speech around that point
/// as far as it goes, silence beyond.
fn around(speech: &[i16], at: usize, offset: usize, len: usize) -> Vec<i16> {
    let mut w = vec![0i16; len];
    let first = at.saturating_sub(offset);
    let start = offset + first - at;
    let count = (speech.len() - first).min(len - start);
    w[start..start + count].copy_from_slice(&speech[first..first + count]);
    w
}

/// The word alone: cut to its speech with a small margin.
fn word_of(speech: &Pcm) -> Vec<i16> {
    let rms: Vec<f64> = block_rms(&speech.samples).collect();
    let first = rms.iter().position(|&r| r >= WORD_EDGE_RMS).unwrap_or(0) * FRAME_SAMPLES;
    let last = rms.iter().rposition(|&r| r >= WORD_EDGE_RMS).map_or(speech.samples.len(), |i| (i + 1) * FRAME_SAMPLES);
    let edge = EDGE_MS * PHONE_RATE as usize / 1000;
    speech.samples[first.saturating_sub(edge)..(last + edge).min(speech.samples.len())].to_vec()
}

fn wav_bytes(pcm: &Pcm) -> Result<Vec<u8>, hound::Error> {
    let spec = hound::WavSpec { channels: 1, sample_rate: pcm.rate, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    let mut cursor = std::io::Cursor::new(Vec::new());
    let mut writer = hound::WavWriter::new(&mut cursor, spec)?;
    for &s in &pcm.samples {
        writer.write_sample(s)?;
    }
    writer.finalize()?;
    Ok(cursor.into_inner())
}

/// The model, loaded once and shared by all calls.
#[derive(Debug)]
pub struct Keywords {
    detector: DetectorSettings,
    keywords: Vec<Keyword>,
    model: Vec<u8>,
}

impl Keywords {
    /// Loads the model built into `dir`.
    pub fn load(dir: &Path) -> Result<Arc<Keywords>, KeywordError> {
        let manifest = read_manifest(dir)?;
        let err = |message: String| KeywordError::Load { path: dir.display().to_string(), message };
        let keywords = manifest
            .keywords
            .iter()
            .map(|name| Keyword::from_name(name).ok_or_else(|| err(format!("unknown keyword {name:?}"))))
            .collect::<Result<Vec<_>, _>>()?;
        let model = std::fs::read(dir.join(MODEL)).map_err(|e| err(format!("{MODEL}: {e}")))?;
        // Checked once here, so that starting a call's spotter cannot fail on the file.
        WakewordModel::load_from_buffer(&model).map_err(|e| err(format!("{MODEL}: {e}")))?;
        Ok(Arc::new(Keywords { detector: manifest.detector, keywords, model }))
    }

    pub fn keywords(&self) -> impl Iterator<Item = Keyword> + '_ {
        self.keywords.iter().copied()
    }

    /// A spotter for one call's line (8 kHz).
    pub fn spotter(&self) -> Result<Spotter, KeywordError> {
        let d = &self.detector;
        let config = RustpotterConfig {
            fmt: AudioFmt {
                sample_rate: PHONE_RATE as usize,
                sample_format: SampleFormat::I16,
                channels: 1,
                endianness: Endianness::Little,
            },
            detector: DetectorConfig {
                // The model scores keyword against "no keyword"; no second score.
                avg_threshold: 0.0,
                threshold: d.threshold,
                min_scores: d.min_scores,
                eager: false,
                score_ref: d.score_ref,
                band_size: 5,
                score_mode: ScoreMode::Max,
                // Windows without voice are not scored at all: most of a call is silence.
                vad_mode: Some(VADMode::Easy),
            },
            filters: Default::default(),
        };
        let mut detector = Rustpotter::new(&config).map_err(KeywordError::Spotter)?;
        detector.add_wakeword_from_buffer("keywords", &self.model).map_err(KeywordError::Spotter)?;
        let chunk = detector.get_samples_per_frame();
        Ok(Spotter { detector, chunk, buffer: Vec::with_capacity(chunk + FRAME_SAMPLES) })
    }
}

/// A keyword heard on the line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spotted {
    pub keyword: Keyword,
    pub score: f32,
}

/// Listens to one call's line for the keywords.
pub struct Spotter {
    detector: Rustpotter,
    /// Samples per rustpotter frame (30 ms).
    chunk: usize,
    buffer: Vec<i16>,
}

impl Spotter {
    /// Feeds line audio (8 kHz, any length); returns a keyword once it has been said.
    pub fn push(&mut self, samples: &[i16]) -> Option<Spotted> {
        self.buffer.extend_from_slice(samples);
        let mut spotted = None;
        let mut start = 0;
        while self.buffer.len() - start >= self.chunk {
            let chunk = self.buffer[start..start + self.chunk].to_vec();
            start += self.chunk;
            if let Some(d) = self.detector.process_samples(chunk)
                && let Some(keyword) = Keyword::from_name(&d.name)
            {
                spotted.get_or_insert(Spotted { keyword, score: d.score });
            }
        }
        self.buffer.drain(..start);
        spotted
    }
}

/// Where the specification is by default, relative to the voices configuration.
pub fn default_spec(voices_config: &Path) -> PathBuf {
    voices_config.parent().unwrap_or(Path::new(".")).join("keywords.toml")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_stems_find_the_forms() {
        for k in Keyword::ALL {
            assert_eq!(Keyword::from_name(k.name()), Some(k));
        }
        assert!(Keyword::any_in("Ich möchte eine Mitarbeiterin sprechen."));
        assert!(Keyword::any_in("Bitte noch einmal wiederholen."));
        assert!(Keyword::any_in("Zurück, bitte."));
        assert!(!Keyword::any_in("Einen Rückruf, bitte."));
    }

    #[test]
    fn a_word_is_cut_to_its_speech_with_a_margin() {
        let mut samples = vec![0i16; 8000];
        samples.extend((0..4000).map(|i| if i % 2 == 0 { 3000 } else { -3000 }));
        samples.extend(vec![0i16; 8000]);
        let word = word_of(&Pcm { rate: PHONE_RATE, samples });
        assert_eq!(word.len(), 4000 + 2 * EDGE_MS * PHONE_RATE as usize / 1000);
    }

    #[test]
    fn a_form_has_the_word_alone_at_its_start_or_at_its_end() {
        let entry = KeywordEntry { name: "hilfe".into(), say: vec!["Hilfe".into()] };
        assert_eq!(entry.word_at("Hilfe!"), Some(WordAt::Alone));
        assert_eq!(entry.word_at("Holen Sie Hilfe."), Some(WordAt::End));
        assert_eq!(entry.word_at("Hilfe, ich bin gestürzt."), Some(WordAt::Start));
        assert_eq!(entry.word_at("Ich brauche Hilfe im Haus."), None);
        assert_eq!(entry.word_at("Hilfestellung, bitte."), None);
    }

    #[test]
    fn a_specification_names_the_word_first_and_only_forms_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keywords.toml");
        let spec = |say: &str| {
            format!(
                "mfcc_size = 12\nnegatives = [\"Guten Tag.\"]\n[detector]\nthreshold = 0.9\nmin_scores = 5\nscore_ref = 0.22\n\
                 [training]\nwindow_ms = 1300\nepochs = 1\nlearning_rate = 0.03\nnegative_hop_ms = 400\nplaces = 2\nseed = 1\n\
                 [[keywords]]\nname = \"hilfe\"\nsay = {say}\n[[voices]]\nengine = \"pico\"\nrate = 100\npitch = 1.0\n"
            )
        };
        std::fs::write(&path, spec(r#"["Hilfe", "Hilfe?", "Holen Sie Hilfe."]"#)).unwrap();
        assert!(KeywordSpec::load(&path).is_ok());
        std::fs::write(&path, spec(r#"["Holen Sie Hilfe."]"#)).unwrap();
        assert!(KeywordSpec::load(&path).unwrap_err().to_string().contains("the word alone"));
        std::fs::write(&path, spec(r#"["Hilfe", "Ich brauche Hilfe im Haus."]"#)).unwrap();
        assert!(KeywordSpec::load(&path).unwrap_err().to_string().contains("neither begins nor ends"));
    }

    #[test]
    fn a_window_holds_the_speech_around_a_point_and_silence_beyond() {
        let speech: Vec<i16> = (1..=10).collect();
        // Sample 6 at place 2: the speech from sample 4 on, cut at the window's end.
        assert_eq!(around(&speech, 5, 2, 6), vec![4, 5, 6, 7, 8, 9]);
        // Sample 0 at place 3: silence before the speech, the speech up to the end.
        assert_eq!(around(&speech, 0, 3, 6), vec![0, 0, 0, 1, 2, 3]);
        // The end of the speech at the end of the window.
        assert_eq!(around(&speech[..4], 4, 6, 6), vec![0, 0, 1, 2, 3, 4]);
    }

    #[test]
    fn examples_are_split_into_training_and_test_windows() {
        let mut examples = Examples::default();
        for i in 0..10 {
            examples.add(format!("[hilfe]{i}.wav"), &[0i16; 800]).unwrap();
        }
        assert_eq!((examples.train.len(), examples.test.len()), (8, 2));
    }
}
