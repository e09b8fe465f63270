//! `hotline bench speech`: the speech pipeline as callers meet it, measured on a test set of
//! German answers (`tests/speech/*.toml`) spoken by voices the prompts do not use (espeak-ng
//! variants, Pico at another rate and pitch), sent through an 8 kHz μ-law line with and
//! without noise, endpointed by the VAD, recognised by the worker pool and understood for
//! the dialog step they answer. Also the prompt voice's time to first audio and in-band
//! DTMF accuracy. Every figure is printed next to the target.
//!
//! Test audio is synthesised once per voice and text and kept in a cache folder; noise is
//! seeded, so every run hears exactly the same audio.

use crate::audio::dtmf::DtmfDetector;
use crate::audio::vad::{Endpointer, VadConfig, VadEvent};
use crate::audio::{FRAME_MS, FRAME_SAMPLES, PHONE_RATE, Pcm};
use crate::dialog::Prompts;
use crate::dispatch::rng::Rng;
use crate::speech::cache::PromptAudio;
use crate::speech::keywords::{Keyword, Keywords};
use crate::speech::pool::{PoolConfig, PoolError, PoolTranscript, SttPool};
use crate::speech::stt::{Stt, SttError};
use crate::speech::synthetic::{
    NOISE_SNR_DB, Renderer, SPEECH_RMS, SynthError, TestVoice, add_line_noise, add_noise, block_rms, mu_law_line,
};
use crate::speech::tts::{Tts, TtsError, VoiceSpec};
use crate::speech::understand::{self, Expectation, Understood};
use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use thiserror::Error;

/// Silence (or line noise) before the answer and after it.
const LEAD_MS: usize = 700;
const TAIL_MS: usize = 1600;
/// 20 ms blocks quieter than this (RMS) are not speech when locating its end.
const SPEECH_EDGE_RMS: f64 = 100.0;
/// Callers answering at once in the concurrency run.
const CONCURRENT_CALLS: usize = 4;
/// Utterance length classes for latency (speech without the silence around it).
const SHORT_MS: u64 = 2000;
const MEDIUM_MS: u64 = 5000;
/// Dynamic sentences the dialog speaks (one sentence each: audio is rendered sentence-wise).
const DYNAMIC_SENTENCES: [&str; 8] = [
    "Ihre Fahrt am Dienstag, dem sechzehnten Dezember, um vierzehn Uhr dreißig ist gebucht.",
    "Wir rufen Sie unter der Nummer null zwo drei eins, fünf fünf fünf, eins zwo drei vier zurück.",
    "Guten Tag, Frau Mustermann.",
    "Das Seniorenbüro Hörde hat heute bis sechzehn Uhr geöffnet.",
    "Der Gymnastikkurs beginnt am Montag um zehn Uhr im Gemeindehaus.",
    "Ich habe die Postleitzahl vier vier eins drei neun verstanden.",
    "Am Freitag ist noch ein Platz frei.",
    "Ihre Anfrage hat die Nummer siebenundvierzig.",
];

#[derive(Debug, Error)]
pub enum BenchError {
    #[error("test set {path}: {message}")]
    Set { path: String, message: String },
    #[error(transparent)]
    Synth(#[from] SynthError),
    #[error(transparent)]
    Keywords(#[from] crate::speech::keywords::KeywordError),
    #[error(transparent)]
    Tts(#[from] TtsError),
    #[error(transparent)]
    Stt(#[from] SttError),
    #[error(transparent)]
    Pool(#[from] PoolError),
}

pub struct BenchOptions {
    /// The test set (`tests/speech/heldout.toml` or `tuning.toml`).
    pub set: PathBuf,
    /// Where synthesised test speech and the bench's prompt cache are kept.
    pub cache: PathBuf,
    pub whisper_model: PathBuf,
    /// Folder of the Pico language files (for the test voices).
    pub pico_dir: PathBuf,
    /// The prompt voice (for time to first audio).
    pub prompt_voice: VoiceSpec,
    /// Menus the test answers refer to, and static prompts for the cache measurement.
    pub prompts: Prompts,
    pub vad: VadConfig,
    pub pool: PoolConfig,
    /// A few utterances of each kind, for tests.
    pub quick: bool,
    /// The keyword spotter's references, when it is to be measured.
    pub keywords: Option<PathBuf>,
}

mod keywords;
pub use keywords::{KeywordFigures, lines as keyword_lines};

// ---------------------------------------------------------------------------------------
// The test set

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetFile {
    today: NaiveDate,
    voices: Vec<TestVoice>,
    utterances: Vec<UtteranceEntry>,
    /// Phrases with a keyword, for the spotter's hit rate.
    #[serde(default)]
    keywords: Vec<KeywordPhraseEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeywordPhraseEntry {
    text: String,
    keyword: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UtteranceEntry {
    text: String,
    expect: String,
    answer: Option<String>,
}

/// What a dialog step asks for, as named in the set.
#[derive(Debug, Clone, PartialEq)]
enum Asked {
    Menu(String),
    YesNo,
    Number(usize, usize),
    Date,
    Time,
    Free,
}

impl Asked {
    fn parse(s: &str) -> Option<Asked> {
        Some(match s.split_once(':') {
            Some(("menu", name)) => Asked::Menu(name.to_string()),
            Some(("number", range)) => {
                let (lo, hi) = range.split_once('-')?;
                Asked::Number(lo.parse().ok()?, hi.parse().ok()?)
            }
            None if s == "yesno" => Asked::YesNo,
            None if s == "date" => Asked::Date,
            None if s == "time" => Asked::Time,
            None if s == "free" => Asked::Free,
            _ => return None,
        })
    }

    /// The accuracy class in the report.
    fn class(&self) -> &'static str {
        match self {
            Asked::Menu(_) => "menu",
            Asked::YesNo => "yes/no",
            Asked::Number(..) => "number",
            Asked::Date => "date",
            Asked::Time => "time",
            Asked::Free => "free",
        }
    }

    fn expectation<'a>(&self, prompts: &'a Prompts) -> Option<Expectation<'a>> {
        Some(match self {
            Asked::Menu(name) => Expectation::Menu(prompts.menu(name).ok()?),
            Asked::YesNo => Expectation::YesNo,
            Asked::Number(min_digits, max_digits) => Expectation::Number { min_digits: *min_digits, max_digits: *max_digits },
            Asked::Date => Expectation::Date,
            Asked::Time => Expectation::Time,
            Asked::Free => return None,
        })
    }
}

fn parse_answer(asked: &Asked, answer: &str) -> Option<Understood> {
    Some(match (answer, asked) {
        ("repeat", _) => Understood::Repeat,
        ("back", _) => Understood::Back,
        ("person", _) => Understood::Person,
        (_, Asked::Menu(_)) if answer.chars().count() == 1 => Understood::Key(answer.chars().next()?),
        ("yes", Asked::YesNo) => Understood::Yes,
        ("no", Asked::YesNo) => Understood::No,
        (_, Asked::Number(..)) if answer.chars().all(|c| c.is_ascii_digit()) => Understood::Digits(answer.to_string()),
        (_, Asked::Date) => Understood::Date(NaiveDate::parse_from_str(answer, "%Y-%m-%d").ok()?),
        (_, Asked::Time) => Understood::Time(NaiveTime::parse_from_str(answer, "%H:%M").ok()?),
        _ => return None,
    })
}

struct Utterance {
    text: String,
    asked: Asked,
    answer: Option<Understood>,
}

struct TestSet {
    today: NaiveDate,
    voices: Vec<TestVoice>,
    utterances: Vec<Utterance>,
    phrases: Vec<keywords::Phrase>,
}

fn load_set(path: &Path, prompts: &Prompts) -> Result<TestSet, BenchError> {
    let err = |message: String| BenchError::Set { path: path.display().to_string(), message };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let file: SetFile = toml::from_str(&text).map_err(|e| err(e.to_string()))?;
    if file.voices.len() < 2 {
        return Err(err("needs at least two voices (one clean, one noisy per utterance)".into()));
    }
    let mut utterances = Vec::new();
    for (i, entry) in file.utterances.into_iter().enumerate() {
        let at = |m: &str| err(format!("utterance {} ({:?}): {m}", i + 1, entry.text));
        let asked = Asked::parse(&entry.expect).ok_or_else(|| at(&format!("unknown expect {:?}", entry.expect)))?;
        if asked != Asked::Free && asked.expectation(prompts).is_none() {
            return Err(at(&format!("no menu {:?} in the prompts", entry.expect)));
        }
        let answer = match (&asked, &entry.answer) {
            (Asked::Free, None) => None,
            (Asked::Free, Some(_)) => return Err(at("free speech has no answer")),
            (_, None) => return Err(at("answer missing")),
            (_, Some(a)) => Some(parse_answer(&asked, a).ok_or_else(|| at(&format!("cannot read answer {a:?}")))?),
        };
        utterances.push(Utterance { text: entry.text, asked, answer });
    }
    let mut phrases = Vec::new();
    for entry in file.keywords {
        let keyword =
            Keyword::from_name(&entry.keyword).ok_or_else(|| err(format!("{:?}: unknown keyword {:?}", entry.text, entry.keyword)))?;
        phrases.push(keywords::Phrase { text: entry.text, keyword });
    }
    Ok(TestSet { today: file.today, voices: file.voices, utterances, phrases })
}

/// With `--quick`: the first two answers of each kind and the longest free speech.
fn quick_subset(set: &mut TestSet) {
    let longest = set.utterances.iter().filter(|u| u.asked == Asked::Free).map(|u| u.text.len()).max();
    let mut seen: BTreeMap<&'static str, usize> = BTreeMap::new();
    let keep: Vec<bool> = set
        .utterances
        .iter()
        .map(|u| {
            let n = seen.entry(u.asked.class()).or_default();
            *n += 1;
            if u.asked == Asked::Free { Some(u.text.len()) == longest } else { *n <= 2 }
        })
        .collect();
    let mut keep = keep.into_iter();
    set.utterances.retain(|_| keep.next().unwrap_or(false));
    set.phrases.truncate(4);
}

// ---------------------------------------------------------------------------------------
// Test audio

/// One utterance as it arrives at the hotline.
struct Sample {
    utterance: usize,
    voice: String,
    noisy: bool,
    /// 8 kHz after μ-law, whole frames: lead, speech, tail.
    line: Vec<i16>,
    /// Where the speech ends in `line` (samples), and its length.
    speech_end: usize,
    speech_ms: u64,
}

fn sample_of(utterance: usize, voice: &TestVoice, speech: &Pcm, noisy: bool, seed: u64) -> Sample {
    let lead = LEAD_MS * PHONE_RATE as usize / 1000;
    let rms: Vec<f64> = block_rms(&speech.samples).collect();
    let first = rms.iter().position(|&r| r >= SPEECH_EDGE_RMS).unwrap_or(0);
    let last = rms.iter().rposition(|&r| r >= SPEECH_EDGE_RMS).map_or(0, |i| i + 1);
    let mut line = vec![0i16; lead];
    line.extend(&speech.samples);
    line.resize((line.len() + TAIL_MS * PHONE_RATE as usize / 1000).next_multiple_of(FRAME_SAMPLES), 0);
    if noisy {
        add_line_noise(&mut line, seed);
    }
    Sample {
        utterance,
        voice: voice.label(),
        noisy,
        line: mu_law_line(&line),
        speech_end: lead + last * FRAME_SAMPLES,
        speech_ms: ((last.saturating_sub(first)) as u64) * FRAME_MS,
    }
}

// ---------------------------------------------------------------------------------------
// The report

#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub count: usize,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
}

impl Latency {
    fn of(samples: &[Duration]) -> Latency {
        let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
        ms.sort_by(f64::total_cmp);
        let pct = |p: f64| (!ms.is_empty()).then(|| ms[((ms.len() as f64 * p).ceil() as usize).clamp(1, ms.len()) - 1]);
        Latency { count: ms.len(), p50_ms: pct(0.5), p95_ms: pct(0.95) }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Accuracy {
    pub correct: usize,
    pub total: usize,
    pub percent: Option<f64>,
}

impl Accuracy {
    fn of(correct: usize, total: usize) -> Accuracy {
        Accuracy { correct, total, percent: (total > 0).then(|| 100.0 * correct as f64 / total as f64) }
    }
}

/// How the answers of one kind were understood.
#[derive(Debug, Clone, Serialize)]
pub struct AnswerAccuracy {
    pub correct: usize,
    /// Taken for another answer: a wrong guess instead of a re-ask (the dialog reads
    /// numbers, dates and times back before it stores them).
    pub wrong: usize,
    pub total: usize,
    pub percent: Option<f64>,
}

impl AnswerAccuracy {
    fn of(correct: usize, wrong: usize, total: usize) -> AnswerAccuracy {
        AnswerAccuracy { correct, wrong, total, percent: Accuracy::of(correct, total).percent }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Concurrent {
    pub calls: usize,
    pub utterances: usize,
    pub answered: usize,
    /// Refused as busy, failed or never answered.
    pub lost: usize,
    /// Submission to understood, per utterance.
    pub latency: Latency,
    /// Of that, waiting for a worker (the pool's own figures).
    pub queue_wait: Latency,
    /// Refused by the pool as busy.
    pub rejected: u64,
    pub max_queue_len: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct EndToUnderstood {
    /// End of speech to the VAD's endpoint: the trailing silence the caller waits through.
    pub trailing_wait: Latency,
    /// Endpoint to understood (recognition and understanding), short answers.
    pub short: Latency,
    /// Endpoint to understood, all answers.
    pub all: Latency,
}

#[derive(Debug, Clone, Serialize)]
pub struct WerFigures {
    pub all_percent: Option<f64>,
    pub clean_percent: Option<f64>,
    pub noisy_percent: Option<f64>,
    pub reference_words: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct VadFigures {
    /// Utterances the endpointer did not deliver.
    pub missed: usize,
    /// Barge-ins (SpeechStarted) on the DTMF test tones.
    pub false_starts_on_tones: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct TtsFigures {
    /// A static prompt already in memory.
    pub cached_memory: Latency,
    /// A static prompt read from the disk cache (first use after a restart).
    pub cached_disk: Latency,
    /// A dynamic sentence synthesised on demand (the first audio of a dynamic prompt).
    pub dynamic: Latency,
}

#[derive(Debug, Clone, Serialize)]
pub struct DtmfFigures {
    pub clean: Accuracy,
    pub noisy: Accuracy,
    /// Key presses detected in all the test speech (should be none).
    pub talk_off: usize,
    pub speech_seconds: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Target {
    pub name: String,
    pub target: String,
    pub measured: Option<f64>,
    pub unit: &'static str,
    pub met: Option<bool>,
}

/// One answer that was not understood right (for looking into).
#[derive(Debug, Clone, Serialize)]
pub struct Miss {
    pub text: String,
    pub voice: String,
    pub noisy: bool,
    pub heard: Option<String>,
    /// The closed-set phrase the recogniser also found, with whisper's confidence in it.
    pub phrase: Option<String>,
    pub understood: Option<String>,
    pub expected: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SpeechReport {
    pub set: String,
    pub quick: bool,
    pub utterances: usize,
    pub samples: usize,
    pub load_average_before: Option<f64>,
    pub load_average_after: Option<f64>,
    pub workers: usize,
    pub threads_per_worker: usize,
    pub trailing_silence_ms: u64,
    /// Recognition time with one caller, by utterance length (short, medium, long).
    pub stt_single: BTreeMap<String, Latency>,
    pub stt_concurrent: Concurrent,
    pub real_time_factor: Option<f64>,
    pub wer: WerFigures,
    pub understanding: BTreeMap<String, AnswerAccuracy>,
    pub understanding_noisy: BTreeMap<String, AnswerAccuracy>,
    /// All answers with an expected meaning, by voice.
    pub understanding_by_voice: BTreeMap<String, AnswerAccuracy>,
    pub end_to_understood: EndToUnderstood,
    pub vad: VadFigures,
    pub tts: TtsFigures,
    pub dtmf: DtmfFigures,
    pub keywords: Option<KeywordFigures>,
    pub targets: Vec<Target>,
    pub misses: Vec<Miss>,
}

// ---------------------------------------------------------------------------------------
// Running it

/// What the endpointer made of one sample.
struct Endpointed {
    sample: usize,
    /// The utterance and the frame after which it was delivered.
    utterance: Option<(Pcm, usize)>,
}

struct Heard {
    sample: usize,
    result: Result<PoolTranscript, String>,
    understood: Option<Understood>,
    /// Submission to understood.
    latency: Duration,
}

fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg").ok()?.split_whitespace().next()?.parse().ok()
}

/// Runs the whole bench; `progress` hears what it is doing.
pub async fn run(opts: &BenchOptions, progress: impl Fn(&str)) -> Result<SpeechReport, BenchError> {
    let load_average_before = load_average();
    let mut set = load_set(&opts.set, &opts.prompts)?;
    if opts.quick {
        quick_subset(&mut set);
    }
    progress(&format!("rendering {} utterances with {} voices", set.utterances.len(), set.voices.len()));
    let samples = render_all(&set, opts).await?;

    progress("endpointing");
    let endpointed: Vec<Endpointed> = samples.iter().enumerate().map(|(i, s)| endpoint(i, s, &opts.vad)).collect();

    let stt = Arc::new(Stt::load(&opts.whisper_model, opts.pool.threads_per_worker)?);
    let pool = SttPool::start(stt, &opts.pool)?;
    progress(&format!("recognising {} samples, one caller", samples.len()));
    let mut single = Vec::new();
    for e in &endpointed {
        single.push(hear(&pool, &set, &samples, e, &opts.prompts).await);
    }
    progress(&format!("recognising with {CONCURRENT_CALLS} callers at once"));
    let stt_concurrent = concurrent(&pool, &set, &samples, &endpointed, &opts.prompts).await;

    progress("prompt voice: time to first audio");
    let tts = tts_figures(opts).await?;
    progress("DTMF");
    let (dtmf_clean, dtmf_noisy, false_starts_on_tones) = dtmf_figures(&opts.vad, opts.quick);
    let mut talk_off = 0;
    for s in &samples {
        let mut detector = DtmfDetector::default();
        talk_off += s.line.chunks_exact(FRAME_SAMPLES).filter_map(|f| detector.push(f)).count();
    }
    let speech_seconds = samples.iter().map(|s| s.line.len() as f64 / PHONE_RATE as f64).sum();
    let keywords = match &opts.keywords {
        Some(_) => {
            progress("keyword spotting");
            Some(keyword_figures(&set, opts).await?)
        }
        None => None,
    };

    let mut report = SpeechReport {
        set: opts.set.display().to_string(),
        quick: opts.quick,
        utterances: set.utterances.len(),
        samples: samples.len(),
        load_average_before,
        load_average_after: load_average(),
        workers: opts.pool.workers,
        threads_per_worker: opts.pool.threads_per_worker,
        trailing_silence_ms: opts.vad.trailing_silence_ms,
        stt_single: stt_by_length(&samples, &single),
        stt_concurrent,
        real_time_factor: real_time_factor(&endpointed, &single),
        wer: wer(&set, &samples, &single),
        understanding: accuracy_by(&set, &samples, &single, |u, _| Some(u.asked.class().to_string())),
        understanding_noisy: accuracy_by(&set, &samples, &single, |u, s| s.noisy.then(|| u.asked.class().to_string())),
        understanding_by_voice: accuracy_by(&set, &samples, &single, |_, s| Some(s.voice.clone())),
        end_to_understood: end_to_understood(&samples, &endpointed, &single),
        vad: VadFigures { missed: endpointed.iter().filter(|e| e.utterance.is_none()).count(), false_starts_on_tones },
        tts,
        dtmf: DtmfFigures { clean: dtmf_clean, noisy: dtmf_noisy, talk_off, speech_seconds },
        keywords,
        targets: Vec::new(),
        misses: misses(&set, &samples, &single),
    };
    report.targets = targets(&report);
    Ok(report)
}

/// The keyword spotter alone (`hotline bench speech --keywords-only`).
pub async fn run_keywords(opts: &BenchOptions) -> Result<KeywordFigures, BenchError> {
    let mut set = load_set(&opts.set, &opts.prompts)?;
    if opts.quick {
        quick_subset(&mut set);
    }
    keyword_figures(&set, opts).await
}

async fn keyword_figures(set: &TestSet, opts: &BenchOptions) -> Result<KeywordFigures, BenchError> {
    let dir =
        opts.keywords.as_deref().ok_or_else(|| BenchError::Set { path: "keywords".into(), message: "no keyword references".into() })?;
    let references = Keywords::load(dir)?;
    // Keyword-free speech: the set's answers and every static prompt sentence.
    let mut free: Vec<String> =
        set.utterances.iter().map(|u| u.text.clone()).chain(opts.prompts.static_sentences().map(String::from)).collect();
    free.retain(|t| !Keyword::any_in(t));
    if opts.quick {
        free.truncate(6);
    }
    let mut renderer = Renderer::new(opts.cache.join("speech"), opts.pico_dir.clone());
    keywords::figures(&references, &set.phrases, &free, &set.voices, &mut renderer).await
}

async fn render_all(set: &TestSet, opts: &BenchOptions) -> Result<Vec<Sample>, BenchError> {
    let mut renderer = Renderer::new(opts.cache.join("speech"), opts.pico_dir.clone());
    let mut samples = Vec::new();
    let n = set.voices.len();
    for (i, u) in set.utterances.iter().enumerate() {
        // Each utterance by two voices in turn: one clean, the next one on a noisy line.
        for (k, noisy) in [(i % n, false), ((i + 1) % n, true)] {
            if opts.quick && noisy && i % 2 == 0 {
                continue;
            }
            let voice = &set.voices[k];
            let speech = renderer.speech(voice, &u.text).await?;
            samples.push(sample_of(i, voice, &speech, noisy, (i * 2 + usize::from(noisy)) as u64));
        }
    }
    Ok(samples)
}

fn endpoint(index: usize, sample: &Sample, config: &VadConfig) -> Endpointed {
    let mut vad = Endpointer::new(config.clone());
    let mut utterance = None;
    for (frame, samples) in sample.line.chunks_exact(FRAME_SAMPLES).enumerate() {
        if let Some(VadEvent::Utterance(pcm)) = vad.push(samples.try_into().expect("whole frames")) {
            utterance = Some((pcm, frame));
            break;
        }
    }
    Endpointed { sample: index, utterance }
}

async fn hear(pool: &SttPool, set: &TestSet, samples: &[Sample], e: &Endpointed, prompts: &Prompts) -> Heard {
    let started = Instant::now();
    let utterance = &set.utterances[samples[e.sample].utterance];
    let expectation = utterance.asked.expectation(prompts);
    let Some((pcm, _)) = &e.utterance else {
        return Heard {
            sample: e.sample,
            result: Err("the endpointer heard no answer".into()),
            understood: None,
            latency: started.elapsed(),
        };
    };
    let listen = expectation.as_ref().map(|x| understand::listen(x, set.today)).unwrap_or_default();
    let result = pool.transcribe(pcm.clone(), listen).await.map_err(|e| e.to_string());
    let understood = match (&result, &expectation) {
        (Ok(t), Some(x)) => {
            let phrase = t.transcript.phrase.as_ref().map(|p| p.text.as_str());
            understand::understand_heard(&t.transcript.text, phrase, x, set.today)
        }
        _ => None,
    };
    Heard { sample: e.sample, result, understood, latency: started.elapsed() }
}

async fn concurrent(pool: &SttPool, set: &TestSet, samples: &[Sample], endpointed: &[Endpointed], prompts: &Prompts) -> Concurrent {
    let heard: Vec<&Endpointed> = endpointed.iter().filter(|e| e.utterance.is_some()).collect();
    let before = pool.metrics();
    let max_queue = std::sync::atomic::AtomicUsize::new(0);
    // Each caller answers its questions one after the other, without pauses: all four
    // keep the pool busy the whole time.
    let calls = (0..CONCURRENT_CALLS).map(|call| {
        let mine: Vec<&Endpointed> = heard.iter().copied().skip(call).step_by(CONCURRENT_CALLS).collect();
        let max_queue = &max_queue;
        async move {
            let mut results = Vec::new();
            for e in mine {
                max_queue.fetch_max(pool.queue_len(), std::sync::atomic::Ordering::Relaxed);
                results.push(hear(pool, set, samples, e, prompts).await);
            }
            results
        }
    });
    let results: Vec<Heard> = futures_util::future::join_all(calls).await.into_iter().flatten().collect();
    let answered: Vec<Duration> = results.iter().filter(|h| h.result.is_ok()).map(|h| h.latency).collect();
    let after = pool.metrics();
    // The pool keeps the latest samples; these runs added `completed` new ones.
    let new = (after.completed - before.completed) as usize;
    Concurrent {
        calls: CONCURRENT_CALLS,
        utterances: heard.len(),
        answered: answered.len(),
        lost: heard.len() - answered.len(),
        latency: Latency::of(&answered),
        queue_wait: Latency::of(&after.queue_wait[after.queue_wait.len().saturating_sub(new)..]),
        rejected: after.rejected - before.rejected,
        max_queue_len: max_queue.into_inner(),
    }
}

fn length_class(speech_ms: u64) -> &'static str {
    if speech_ms <= SHORT_MS {
        "short"
    } else if speech_ms <= MEDIUM_MS {
        "medium"
    } else {
        "long"
    }
}

fn stt_by_length(samples: &[Sample], heard: &[Heard]) -> BTreeMap<String, Latency> {
    ["short", "medium", "long"]
        .into_iter()
        .map(|class| {
            let times: Vec<Duration> = heard
                .iter()
                .filter(|h| length_class(samples[h.sample].speech_ms) == class)
                .filter_map(|h| h.result.as_ref().ok().map(|t| t.recognition))
                .collect();
            (class.to_string(), Latency::of(&times))
        })
        .collect()
}

fn real_time_factor(endpointed: &[Endpointed], heard: &[Heard]) -> Option<f64> {
    let (mut audio, mut work) = (0.0, 0.0);
    for (e, h) in endpointed.iter().zip(heard) {
        if let (Some((pcm, _)), Ok(t)) = (&e.utterance, &h.result) {
            audio += pcm.duration_ms() as f64 / 1000.0;
            work += t.recognition.as_secs_f64();
        }
    }
    (audio > 0.0).then(|| work / audio)
}

/// Word-level edit distance.
fn edits(reference: &[String], hypothesis: &[String]) -> usize {
    let mut row: Vec<usize> = (0..=hypothesis.len()).collect();
    for r in reference {
        let mut diagonal = row[0];
        row[0] += 1;
        for (j, h) in hypothesis.iter().enumerate() {
            let next = (diagonal + usize::from(r != h)).min(row[j] + 1).min(row[j + 1] + 1);
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[hypothesis.len()]
}

fn wer(set: &TestSet, samples: &[Sample], heard: &[Heard]) -> WerFigures {
    let rate = |noisy: Option<bool>| {
        let (mut errors, mut words) = (0, 0);
        for h in heard.iter().filter(|h| noisy.is_none_or(|n| samples[h.sample].noisy == n)) {
            let reference = understand::normalized_words(&set.utterances[samples[h.sample].utterance].text);
            let hypothesis = h.result.as_ref().map(|t| understand::normalized_words(&t.transcript.text)).unwrap_or_default();
            errors += edits(&reference, &hypothesis);
            words += reference.len();
        }
        ((words > 0).then(|| 100.0 * errors as f64 / words as f64), words)
    };
    let (all_percent, reference_words) = rate(None);
    WerFigures { all_percent, clean_percent: rate(Some(false)).0, noisy_percent: rate(Some(true)).0, reference_words }
}

/// Answers understood, grouped by `group` (none: left out).
fn accuracy_by(
    set: &TestSet,
    samples: &[Sample],
    heard: &[Heard],
    group: impl Fn(&Utterance, &Sample) -> Option<String>,
) -> BTreeMap<String, AnswerAccuracy> {
    // Correct, wrong and all answers of each group.
    let mut counts: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    for h in heard {
        let s = &samples[h.sample];
        let u = &set.utterances[s.utterance];
        let (Some(answer), Some(key)) = (&u.answer, group(u, s)) else { continue };
        let (correct, wrong, total) = counts.entry(key).or_default();
        match &h.understood {
            Some(x) if x == answer => *correct += 1,
            Some(_) => *wrong += 1,
            None => {}
        }
        *total += 1;
    }
    counts.into_iter().map(|(key, (correct, wrong, total))| (key, AnswerAccuracy::of(correct, wrong, total))).collect()
}

fn end_to_understood(samples: &[Sample], endpointed: &[Endpointed], heard: &[Heard]) -> EndToUnderstood {
    let mut trailing = Vec::new();
    let (mut short, mut all) = (Vec::new(), Vec::new());
    for (e, h) in endpointed.iter().zip(heard) {
        let Some((_, frame)) = &e.utterance else { continue };
        let s = &samples[e.sample];
        let endpoint = (frame + 1) * FRAME_SAMPLES;
        trailing.push(Duration::from_millis((endpoint.saturating_sub(s.speech_end) * 1000 / PHONE_RATE as usize) as u64));
        if h.result.is_ok() {
            all.push(h.latency);
            if s.speech_ms <= SHORT_MS {
                short.push(h.latency);
            }
        }
    }
    EndToUnderstood { trailing_wait: Latency::of(&trailing), short: Latency::of(&short), all: Latency::of(&all) }
}

fn misses(set: &TestSet, samples: &[Sample], heard: &[Heard]) -> Vec<Miss> {
    heard
        .iter()
        .filter_map(|h| {
            let s = &samples[h.sample];
            let u = &set.utterances[s.utterance];
            let answer = u.answer.as_ref()?;
            (h.understood.as_ref() != Some(answer)).then(|| Miss {
                text: u.text.clone(),
                voice: s.voice.clone(),
                noisy: s.noisy,
                heard: h.result.as_ref().ok().map(|t| t.transcript.text.clone()),
                phrase: h
                    .result
                    .as_ref()
                    .ok()
                    .and_then(|t| t.transcript.phrase.as_ref())
                    .map(|p| format!("{} ({:.2})", p.text, p.confidence)),
                understood: h.understood.as_ref().map(|x| format!("{x:?}")),
                expected: format!("{answer:?}"),
            })
        })
        .collect()
}

async fn tts_figures(opts: &BenchOptions) -> Result<TtsFigures, BenchError> {
    let dir = opts.cache.join("prompt-cache");
    let texts: Vec<&str> = opts.prompts.static_sentences().take(if opts.quick { 3 } else { 20 }).collect();
    let warm = PromptAudio::new(Tts::start(&opts.prompt_voice, 1)?, dir.clone());
    warm.render_all(texts.iter().copied()).await?;
    let mut memory = Vec::new();
    for text in &texts {
        let started = Instant::now();
        warm.cached(text).await?;
        memory.push(started.elapsed());
    }
    let fresh = PromptAudio::new(Tts::start(&opts.prompt_voice, 1)?, dir);
    let mut disk = Vec::new();
    for text in &texts {
        let started = Instant::now();
        fresh.cached(text).await?;
        disk.push(started.elapsed());
    }
    let mut dynamic = Vec::new();
    for text in DYNAMIC_SENTENCES.iter().take(if opts.quick { 2 } else { DYNAMIC_SENTENCES.len() }) {
        let started = Instant::now();
        fresh.dynamic(text).await?;
        dynamic.push(started.elapsed());
    }
    Ok(TtsFigures { cached_memory: Latency::of(&memory), cached_disk: Latency::of(&disk), dynamic: Latency::of(&dynamic) })
}

/// A DTMF key's two tones, `amplitude` each, for `ms`.
fn dtmf_tone(key: char, ms: usize, amplitude: f64) -> Vec<i16> {
    const ROWS: [f64; 4] = [697.0, 770.0, 852.0, 941.0];
    const COLS: [f64; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
    let i = "123A456B789C*0#D".find(key).expect("a DTMF key");
    let (r, c) = (ROWS[i / 4], COLS[i % 4]);
    let tau = 2.0 * std::f64::consts::PI;
    (0..ms * PHONE_RATE as usize / 1000)
        .map(|n| {
            let t = n as f64 / PHONE_RATE as f64;
            (amplitude * ((tau * r * t).sin() + (tau * c * t).sin())).round() as i16
        })
        .collect()
}

/// Keypad tones at three levels (about -7, -13 and -20 dBm0 per tone) and two lengths:
/// detection accuracy clean and with noise 15 dB below the tone pair; and the barge-ins the
/// endpointer would wrongly start on all of them, played one after the other on a quiet
/// line and on a line with the noisy samples' noise.
fn dtmf_figures(vad: &VadConfig, quick: bool) -> (Accuracy, Accuracy, usize) {
    let keys = if quick { "159#" } else { "0123456789*#ABCD" };
    let mut rng = Rng::new(7);
    let detect = |audio: &[i16]| {
        let mut d = DtmfDetector::default();
        audio.chunks_exact(FRAME_SAMPLES).filter_map(|f| d.push(f)).collect::<Vec<char>>()
    };
    let (mut clean, mut noisy, mut total) = (0, 0, 0);
    let mut sequence = Vec::new();
    for key in keys.chars() {
        for amplitude in [10_000.0, 5000.0, 2240.0] {
            for ms in [60, 100] {
                total += 1;
                let gap = vec![0i16; 200 * PHONE_RATE as usize / 1000];
                let mut clip = [gap.clone(), dtmf_tone(key, ms, amplitude), gap].concat();
                clip.resize(clip.len().next_multiple_of(FRAME_SAMPLES), 0);
                sequence.extend(&clip);
                clean += usize::from(detect(&mu_law_line(&clip)) == [key]);
                // Tone pair RMS is `amplitude` (two sines of amplitude A: A^2/2 each).
                add_noise(&mut clip, amplitude / 10f64.powf(NOISE_SNR_DB / 20.0), &mut rng);
                noisy += usize::from(detect(&mu_law_line(&clip)) == [key]);
            }
        }
    }
    let mut false_starts = count_starts(vad, &mu_law_line(&sequence));
    add_noise(&mut sequence, SPEECH_RMS / 10f64.powf(NOISE_SNR_DB / 20.0), &mut rng);
    false_starts += count_starts(vad, &mu_law_line(&sequence));
    (Accuracy::of(clean, total), Accuracy::of(noisy, total), false_starts)
}

/// How often the endpointer reports the start of speech in `audio`.
fn count_starts(vad: &VadConfig, audio: &[i16]) -> usize {
    let mut endpointer = Endpointer::new(VadConfig { start_timeout_ms: u64::MAX / 2, ..vad.clone() });
    let mut starts = 0;
    for frame in audio.chunks_exact(FRAME_SAMPLES) {
        if endpointer.push(frame.try_into().expect("whole frames")) == Some(VadEvent::SpeechStarted) {
            starts += 1;
            endpointer.reset();
        }
    }
    starts
}

fn targets(r: &SpeechReport) -> Vec<Target> {
    let at_most = |name: &str, target: f64, unit: &'static str, measured: Option<f64>| Target {
        name: name.into(),
        target: format!("<= {target} {unit}"),
        measured,
        unit,
        met: measured.map(|m| m <= target),
    };
    let at_least = |name: &str, target: f64, measured: Option<f64>| Target {
        name: name.into(),
        target: format!(">= {target} %"),
        measured,
        unit: "%",
        met: measured.map(|m| m >= target),
    };
    let class = |c: &str| r.understanding.get(c).and_then(|a| a.percent);
    let mut targets = vec![
        at_most("short answer end->understood p50 (1 call)", 700.0, "ms", r.end_to_understood.short.p50_ms),
        at_most("short answer end->understood p95 (1 call)", 1200.0, "ms", r.end_to_understood.short.p95_ms),
        at_most("4 concurrent calls p95", 2500.0, "ms", r.stt_concurrent.latency.p95_ms),
        at_least("understanding menu", 97.0, class("menu")),
        at_least("understanding yes/no", 97.0, class("yes/no")),
        at_least("understanding number", 95.0, class("number")),
        at_least("understanding date", 95.0, class("date")),
        at_least("understanding time", 95.0, class("time")),
        at_least("DTMF clean", 100.0, r.dtmf.clean.percent),
        at_least("DTMF noisy", 99.0, r.dtmf.noisy.percent),
        at_most("DTMF talk-off", 0.0, "keys", Some(r.dtmf.talk_off as f64)),
        at_most("TTS cached first frame p95 (disk)", 5.0, "ms", r.tts.cached_disk.p95_ms),
        at_most("TTS dynamic first frame p95", 100.0, "ms", r.tts.dynamic.p95_ms),
    ];
    // Measured only when the spotter is configured.
    if let Some(k) = &r.keywords {
        targets.push(at_least("keyword hits", 90.0, k.hit_rate.percent));
        targets.push(at_most("keyword false alarms", 1.0, "per hour", k.false_alarms_per_hour));
    }
    targets
}

/// The report as a text table.
pub fn table(r: &SpeechReport) -> String {
    use std::fmt::Write;
    let ms = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.0} ms"));
    let ms1 = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.2} ms"));
    let pct = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.1} %"));
    let load = |v: Option<f64>| v.map_or("?".to_string(), |v| format!("{v:.2}"));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "speech bench on {}{}: {} utterances, {} samples (clean and noisy at {NOISE_SNR_DB} dB SNR), μ-law 8 kHz",
        r.set,
        if r.quick { " (quick)" } else { "" },
        r.utterances,
        r.samples
    );
    let _ = writeln!(
        out,
        "recognition: {} workers x {} threads; trailing silence {} ms; load average {} before, {} after\n",
        r.workers,
        r.threads_per_worker,
        r.trailing_silence_ms,
        load(r.load_average_before),
        load(r.load_average_after)
    );
    let _ = writeln!(out, "STT recognition time, 1 call        n     p50      p95");
    for class in ["short", "medium", "long"] {
        if let Some(l) = r.stt_single.get(class) {
            let label = match class {
                "short" => "short (<= 2 s)",
                "medium" => "medium (<= 5 s)",
                _ => "long (<= 15 s)",
            };
            let _ = writeln!(out, "  {label:<32} {:>3} {:>8} {:>8}", l.count, ms(l.p50_ms), ms(l.p95_ms));
        }
    }
    let c = &r.stt_concurrent;
    let _ = writeln!(
        out,
        "  {} calls at once, back to back    {:>3} {:>8} {:>8}   answered {}/{}, lost {}, refused busy {}",
        c.calls,
        c.latency.count,
        ms(c.latency.p50_ms),
        ms(c.latency.p95_ms),
        c.answered,
        c.utterances,
        c.lost,
        c.rejected
    );
    let _ = writeln!(
        out,
        "    of which queue wait                 {:>8} {:>8}   longest queue {}",
        ms(c.queue_wait.p50_ms),
        ms(c.queue_wait.p95_ms),
        c.max_queue_len
    );
    let _ = writeln!(out, "  real-time factor (1 call)        {}", r.real_time_factor.map_or("-".into(), |v| format!("{v:.3}")));
    let _ = writeln!(
        out,
        "  WER                              {} (clean {}, noisy {}; {} reference words, numbers as digits)\n",
        pct(r.wer.all_percent),
        pct(r.wer.clean_percent),
        pct(r.wer.noisy_percent),
        r.wer.reference_words
    );
    let _ = writeln!(out, "understanding                      all              wrong   noisy only");
    for (class, a) in &r.understanding {
        let n = r.understanding_noisy.get(class);
        let _ = writeln!(
            out,
            "  {class:<32} {:>7} {:>3}/{:<3}  {:>5}  {:>7} {:>3}/{:<3}",
            pct(a.percent),
            a.correct,
            a.total,
            a.wrong,
            pct(n.and_then(|n| n.percent)),
            n.map_or(0, |n| n.correct),
            n.map_or(0, |n| n.total)
        );
    }
    for (voice, a) in &r.understanding_by_voice {
        let _ = writeln!(out, "  by voice: {voice:<22} {:>7} {:>3}/{:<3}  {:>5}", pct(a.percent), a.correct, a.total, a.wrong);
    }
    let e = &r.end_to_understood;
    let _ = writeln!(out, "\nend of speech -> understood         n     p50      p95");
    let _ = writeln!(
        out,
        "  trailing silence (VAD endpoint)  {:>3} {:>8} {:>8}",
        e.trailing_wait.count,
        ms(e.trailing_wait.p50_ms),
        ms(e.trailing_wait.p95_ms)
    );
    let _ = writeln!(out, "  endpoint -> understood, short    {:>3} {:>8} {:>8}", e.short.count, ms(e.short.p50_ms), ms(e.short.p95_ms));
    let _ = writeln!(out, "  endpoint -> understood, all      {:>3} {:>8} {:>8}", e.all.count, ms(e.all.p50_ms), ms(e.all.p95_ms));
    let _ = writeln!(out, "  VAD: {} utterances missed, {} false barge-ins on DTMF tones", r.vad.missed, r.vad.false_starts_on_tones);
    let t = &r.tts;
    let _ = writeln!(out, "\nTTS time to first audio              n      p50       p95");
    for (label, l) in
        [("cached prompt, memory", &t.cached_memory), ("cached prompt, disk", &t.cached_disk), ("dynamic sentence", &t.dynamic)]
    {
        let _ = writeln!(out, "  {label:<32} {:>3} {:>9} {:>9}", l.count, ms1(l.p50_ms), ms1(l.p95_ms));
    }
    let d = &r.dtmf;
    let _ = writeln!(
        out,
        "\nDTMF: clean {} ({}/{}), noisy {} ({}/{}), talk-off {} in {:.0} s of test audio (answers with their pauses)",
        pct(d.clean.percent),
        d.clean.correct,
        d.clean.total,
        pct(d.noisy.percent),
        d.noisy.correct,
        d.noisy.total,
        d.talk_off,
        d.speech_seconds
    );
    if let Some(k) = &r.keywords {
        out.push('\n');
        out.push_str(&keywords::lines(k));
    }
    let _ = writeln!(out, "\ntargets                                         target        measured    met");
    for t in &r.targets {
        let measured = t.measured.map_or("-".to_string(), |m| format!("{m:.1} {}", t.unit));
        let met = match t.met {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "-",
        };
        let _ = writeln!(out, "  {:<45} {:<13} {:>11}    {met}", t.name, t.target, measured);
    }
    if !r.misses.is_empty() {
        let _ = writeln!(out, "\nnot understood ({}):", r.misses.len());
        for m in &r.misses {
            let _ = writeln!(
                out,
                "  {:?} [{}{}] heard {:?}{} -> {} (expected {})",
                m.text,
                m.voice,
                if m.noisy { ", noisy" } else { "" },
                m.heard.as_deref().unwrap_or("-"),
                m.phrase.as_ref().map(|p| format!(", phrase {p:?}")).unwrap_or_default(),
                m.understood.as_deref().unwrap_or("nothing"),
                m.expected
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::speech::keywords::KeywordSpec;
    use crate::speech::synthetic::at_line_level;

    fn w(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn edit_distance_counts_substitutions_insertions_and_deletions() {
        assert_eq!(edits(&w("a b c"), &w("a b c")), 0);
        assert_eq!(edits(&w("a b c"), &w("a x c")), 1);
        assert_eq!(edits(&w("a b c"), &w("a c")), 1);
        assert_eq!(edits(&w("a b"), &w("a b c d")), 2);
        assert_eq!(edits(&w("a b"), &[]), 2);
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let d: Vec<Duration> = (1..=20).map(Duration::from_millis).collect();
        let l = Latency::of(&d);
        assert_eq!((l.count, l.p50_ms, l.p95_ms), (20, Some(10.0), Some(19.0)));
        assert_eq!(Latency::of(&[]).p50_ms, None);
    }

    #[test]
    fn answers_are_read_for_their_step() {
        assert_eq!(Asked::parse("number:5-5"), Some(Asked::Number(5, 5)));
        assert_eq!(Asked::parse("menu:main"), Some(Asked::Menu("main".into())));
        assert_eq!(Asked::parse("weather"), None);
        assert_eq!(parse_answer(&Asked::Menu("main".into()), "2"), Some(Understood::Key('2')));
        assert_eq!(parse_answer(&Asked::YesNo, "repeat"), Some(Understood::Repeat));
        assert_eq!(parse_answer(&Asked::Time, "14:30"), Some(Understood::Time(NaiveTime::from_hms_opt(14, 30, 0).unwrap())));
        assert_eq!(parse_answer(&Asked::Number(5, 5), "4413x"), None);
    }

    #[test]
    fn both_sets_load_against_the_real_menus() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let prompts = Prompts::load(&root.join("prompts/de")).unwrap();
        let heldout = load_set(&root.join("tests/speech/heldout.toml"), &prompts).unwrap();
        let tuning = load_set(&root.join("tests/speech/tuning.toml"), &prompts).unwrap();
        // No voice and no sentence is in both.
        let labels = |s: &TestSet| s.voices.iter().map(TestVoice::label).collect::<Vec<_>>();
        assert!(labels(&heldout).iter().all(|l| !labels(&tuning).contains(l)));
        assert!(heldout.utterances.iter().all(|h| tuning.utterances.iter().all(|t| t.text != h.text || t.text.len() < 8)));
        let mut quick = heldout;
        quick_subset(&mut quick);
        let classes: std::collections::BTreeSet<_> = quick.utterances.iter().map(|u| u.asked.class()).collect();
        assert_eq!(classes.len(), 6, "{classes:?}");
    }

    #[test]
    fn the_keyword_spotter_learns_from_no_voice_of_either_set_nor_a_held_out_sentence() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let prompts = Prompts::load(&root.join("prompts/de")).unwrap();
        let heldout = load_set(&root.join("tests/speech/heldout.toml"), &prompts).unwrap();
        let tuning = load_set(&root.join("tests/speech/tuning.toml"), &prompts).unwrap();
        let (spec, _) = KeywordSpec::load(&root.join("voices/keywords.toml")).unwrap();
        // Both sets measure the spotter on speakers it has never heard: tuning on voices it
        // knows would choose settings for them.
        let measured: Vec<String> = heldout.voices.iter().chain(&tuning.voices).map(TestVoice::label).collect();
        for voice in spec.voices.iter().map(TestVoice::label) {
            assert!(!measured.contains(&voice), "{voice} is a voice of a speech set");
        }
        // Nor an espeak-ng speaker of a set at another speed or pitch.
        let espeak_speaker = |v: &TestVoice| match v {
            TestVoice::Espeak { voice, .. } => Some(voice.clone()),
            TestVoice::Pico { .. } => None,
        };
        let measured: Vec<String> = heldout.voices.iter().chain(&tuning.voices).filter_map(espeak_speaker).collect();
        for speaker in spec.voices.iter().filter_map(espeak_speaker) {
            assert!(!measured.contains(&speaker), "espeak-ng {speaker} speaks in a speech set");
        }
        // Nor is any sentence the bench counts false alarms on: its answers and the prompts.
        let prompt_sentences: Vec<&str> = prompts.static_sentences().collect();
        for sentence in &spec.negatives {
            assert!(heldout.utterances.iter().all(|u| &u.text != sentence), "{sentence:?} is held out");
            assert!(!prompt_sentences.contains(&sentence.as_str()), "{sentence:?} is a prompt");
        }
        assert!(spec.negatives.len() >= 90 && spec.voices.len() >= 25, "{} sentences, {} voices", spec.negatives.len(), spec.voices.len());
    }

    #[test]
    fn line_audio_has_the_speech_level_and_noise_is_seeded() {
        let speech = Pcm { rate: 8000, samples: (0..8000).map(|i| ((i as f64 * 0.3).sin() * 500.0) as i16).collect() };
        let level = at_line_level(&speech);
        let rms = (level.samples.iter().map(|&s| (s as f64).powi(2)).sum::<f64>() / 8000.0).sqrt();
        assert!((rms - SPEECH_RMS).abs() < 50.0, "{rms}");
        let voice = TestVoice::Pico { rate: 100, pitch: 1.0 };
        let a = sample_of(0, &voice, &level, true, 3);
        let b = sample_of(0, &voice, &level, true, 3);
        assert_eq!(a.line, b.line);
        assert_eq!(a.speech_end, 5600 + 8000);
        assert_eq!(a.speech_ms, 1000);
        assert_eq!(a.line.len() % FRAME_SAMPLES, 0);
    }
}
