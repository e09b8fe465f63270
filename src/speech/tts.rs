//! Text-to-speech behind one trait, run on dedicated worker threads.
//!
//! Pico's engine is `Rc`-based and piper's ONNX session is heavy, so each worker thread
//! builds its own engine and keeps it; async callers send text over a channel and get
//! 8 kHz telephone audio back. Which engine speaks a language is configured in
//! `voices/voices.toml` (see [`VoicesConfig`]).

use crate::audio::{PHONE_RATE, Pcm};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use tokio::sync::oneshot;

#[derive(Debug, thiserror::Error)]
pub enum TtsError {
    #[error("voice configuration {path}: {message}")]
    Config { path: String, message: String },
    #[error("voice file {0} is missing (run scripts/setup.sh)")]
    MissingFile(PathBuf),
    #[error("cannot load voice: {0}")]
    Load(String),
    #[error("speech synthesis failed: {0}")]
    Synthesis(String),
    #[error("speech synthesis workers have stopped")]
    WorkerGone,
}

/// One engine instance, owned by one thread.
pub trait Synthesizer {
    /// Speaks `text` (plain text, no markup) at the configured rate.
    fn synthesize(&mut self, text: &str) -> Result<Pcm, TtsError>;
}

/// `voices/voices.toml`: which voice speaks each language.
#[derive(Debug, Clone, Deserialize)]
pub struct VoicesConfig {
    #[serde(flatten)]
    pub languages: std::collections::BTreeMap<String, VoiceSpec>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(tag = "engine", rename_all = "lowercase", deny_unknown_fields)]
pub enum VoiceSpec {
    /// SVOX Pico: `<dir>/<lang>_ta.bin` plus the `<lang>_*_sg.bin` file.
    Pico {
        lang: String,
        dir: PathBuf,
        /// Speaking rate in percent of normal (Pico accepts 20..500).
        #[serde(default = "default_rate")]
        rate: u32,
    },
    /// A Piper neural voice (`.onnx` plus `.onnx.json`), run by onnxruntime.
    Piper {
        model: PathBuf,
        #[serde(default = "default_rate")]
        rate: u32,
        speaker: Option<i64>,
        /// `libonnxruntime.so` (loaded at run time).
        onnxruntime: PathBuf,
        /// Directory that contains `espeak-ng-data` (for phonemisation).
        espeak_data: PathBuf,
    },
}

fn default_rate() -> u32 {
    100
}

impl VoicesConfig {
    /// Reads the file and resolves relative paths against its directory.
    pub fn load(path: &Path) -> Result<VoicesConfig, TtsError> {
        let err = |message: String| TtsError::Config { path: path.display().to_string(), message };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let mut config: VoicesConfig = toml::from_str(&text).map_err(|e| err(e.to_string()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        for spec in config.languages.values_mut() {
            spec.resolve(base);
        }
        Ok(config)
    }

    pub fn voice(&self, language: &str) -> Result<&VoiceSpec, TtsError> {
        self.languages.get(language).ok_or_else(|| TtsError::Config {
            path: "voices.toml".into(),
            message: format!("no voice configured for language {language:?}"),
        })
    }
}

impl VoiceSpec {
    fn resolve(&mut self, base: &Path) {
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        match self {
            VoiceSpec::Pico { dir, .. } => fix(dir),
            VoiceSpec::Piper { model, onnxruntime, espeak_data, .. } => {
                fix(model);
                fix(onnxruntime);
                fix(espeak_data);
            }
        }
    }

    /// Identifies the sound of this voice: part of the prompt cache key, so a change of
    /// voice or rate never plays stale audio.
    pub fn cache_id(&self) -> String {
        match self {
            VoiceSpec::Pico { lang, rate, .. } => format!("pico-{lang}-r{rate}"),
            VoiceSpec::Piper { model, rate, speaker, .. } => {
                let stem = model.file_stem().and_then(|s| s.to_str()).unwrap_or("piper");
                format!("piper-{stem}-s{}-r{rate}", speaker.unwrap_or(0))
            }
        }
    }

    /// Checks every file the voice needs, so a missing model is reported at start-up.
    pub fn check_files(&self) -> Result<(), TtsError> {
        let need = |p: &Path| if p.exists() { Ok(()) } else { Err(TtsError::MissingFile(p.to_path_buf())) };
        match self {
            VoiceSpec::Pico { lang, dir, .. } => {
                need(&dir.join(format!("{lang}_ta.bin")))?;
                super::tts_pico::signal_file(dir, lang).map(|_| ())
            }
            VoiceSpec::Piper { model, onnxruntime, espeak_data, .. } => {
                need(model)?;
                need(&piper_config_path(model))?;
                need(onnxruntime)?;
                need(&espeak_data.join("espeak-ng-data"))
            }
        }
    }

    fn build(&self) -> Result<Box<dyn Synthesizer>, TtsError> {
        self.check_files()?;
        match self {
            VoiceSpec::Pico { lang, dir, rate } => Ok(Box::new(super::tts_pico::PicoVoice::load(dir, lang, *rate)?)),
            VoiceSpec::Piper { model, rate, speaker, onnxruntime, .. } => {
                Ok(Box::new(super::tts_piper::PiperVoice::load(model, &piper_config_path(model), onnxruntime, *rate, *speaker)?))
            }
        }
    }

    /// Piper finds espeak-ng's data through an environment variable, read when it first
    /// phonemises. Call this before the process starts other threads.
    pub fn process_env(&self) -> Option<(&'static str, PathBuf)> {
        match self {
            VoiceSpec::Piper { espeak_data, .. } => Some(("PIPER_ESPEAKNG_DATA_DIRECTORY", espeak_data.clone())),
            VoiceSpec::Pico { .. } => None,
        }
    }
}

fn piper_config_path(model: &Path) -> PathBuf {
    let mut s = model.as_os_str().to_owned();
    s.push(".json");
    PathBuf::from(s)
}

struct Job {
    text: String,
    reply: oneshot::Sender<Result<Arc<Pcm>, TtsError>>,
}

/// Async handle to the synthesis workers; cheap to clone.
#[derive(Clone)]
pub struct Tts {
    jobs: mpsc::SyncSender<Job>,
    voice_id: Arc<str>,
}

impl std::fmt::Debug for Tts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tts").field("voice", &self.voice_id).finish()
    }
}

impl Tts {
    /// Starts `workers` threads, each with its own engine for `spec`. Fails (without
    /// leaving threads behind) if the voice cannot be loaded.
    pub fn start(spec: &VoiceSpec, workers: usize) -> Result<Tts, TtsError> {
        let (tx, rx) = mpsc::sync_channel::<Job>(64);
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..workers.max(1) {
            let (ready_tx, ready_rx) = mpsc::channel();
            let spec = spec.clone();
            let rx = Arc::clone(&rx);
            std::thread::Builder::new()
                .name(format!("tts-{i}"))
                .spawn(move || {
                    let mut engine = match spec.build() {
                        Ok(e) => {
                            let _ = ready_tx.send(Ok(()));
                            e
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    loop {
                        // The lock is held only while waiting for the next job.
                        let job = match rx.lock() {
                            Ok(guard) => guard.recv(),
                            Err(_) => return,
                        };
                        let Ok(job) = job else { return };
                        let result = engine.synthesize(&job.text).map(|pcm| Arc::new(pcm.resampled(PHONE_RATE)));
                        let _ = job.reply.send(result);
                    }
                })
                .map_err(|e| TtsError::Load(format!("cannot start synthesis thread: {e}")))?;
            ready_rx.recv().map_err(|_| TtsError::WorkerGone)??;
        }
        Ok(Tts { jobs: tx, voice_id: spec.cache_id().into() })
    }

    /// Speaks `text`; returns 8 kHz mono audio.
    pub async fn synthesize(&self, text: &str) -> Result<Arc<Pcm>, TtsError> {
        let (reply, answer) = oneshot::channel();
        let jobs = self.jobs.clone();
        let job = Job { text: text.to_string(), reply };
        // A full queue blocks the sender; keep that off the async reactor.
        tokio::task::spawn_blocking(move || jobs.send(job)).await.map_err(|_| TtsError::WorkerGone)?.map_err(|_| TtsError::WorkerGone)?;
        answer.await.map_err(|_| TtsError::WorkerGone)?
    }

    pub fn voice_id(&self) -> &str {
        &self.voice_id
    }
}
