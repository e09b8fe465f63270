//! Synthetic callers: German speech from voices the prompts do not use (espeak-ng
//! variants, Pico at other rates and pitches), at the level and with the noise of a phone
//! line, sent through 8 kHz μ-law. The speech bench and the keyword spotter's references
//! are made of it.
//!
//! Speech is synthesised once per voice and text and kept in a cache folder; noise is
//! seeded, so every run hears exactly the same audio.

use crate::audio::{FRAME_SAMPLES, PHONE_RATE, Pcm, g711, wav};
use crate::dispatch::rng::Rng;
use crate::speech::tts::{Tts, TtsError, VoiceSpec};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::PathBuf;
use thiserror::Error;

/// Speech level on the line: active speech RMS about -22 dBFS.
pub const SPEECH_RMS: f64 = 2600.0;
/// Signal-to-noise ratio of the noisy variants (white noise), in dB.
pub const NOISE_SNR_DB: f64 = 15.0;

#[derive(Debug, Error)]
pub enum SynthError {
    #[error("cannot synthesise test speech with {voice}: {message}")]
    Render { voice: String, message: String },
    #[error("speech cache {path}: {message}")]
    Cache { path: String, message: String },
    #[error(transparent)]
    Tts(#[from] TtsError),
}

/// Line noise at the noisy variants' signal-to-noise ratio, added in place.
pub fn add_line_noise(samples: &mut [i16], seed: u64) {
    add_noise(samples, SPEECH_RMS / 10f64.powf(NOISE_SNR_DB / 20.0), &mut Rng::new(seed));
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "engine", rename_all = "lowercase", deny_unknown_fields)]
pub enum TestVoice {
    /// espeak-ng: voice with variant (`de+f3`), words per minute, pitch 0-99.
    Espeak { voice: String, speed: u32, pitch: u32 },
    /// Pico at `rate` percent, played back at `pitch` times its sample rate.
    Pico { rate: u32, pitch: f64 },
}

impl TestVoice {
    pub fn label(&self) -> String {
        match self {
            TestVoice::Espeak { voice, speed, pitch } => format!("espeak {voice} s{speed} p{pitch}"),
            TestVoice::Pico { rate, pitch } => format!("pico r{rate} x{pitch}"),
        }
    }
}

pub struct Renderer {
    cache: PathBuf,
    pico_dir: PathBuf,
    pico: BTreeMap<u32, Tts>,
}

impl Renderer {
    /// Renders into `cache`; Pico voices use the language files in `pico_dir`.
    pub fn new(cache: PathBuf, pico_dir: PathBuf) -> Renderer {
        Renderer { cache, pico_dir, pico: BTreeMap::new() }
    }

    /// Clean 8 kHz speech at the line level, from the cache or synthesised into it.
    pub async fn speech(&mut self, voice: &TestVoice, text: &str) -> Result<Pcm, SynthError> {
        let label = voice.label();
        let hash = hex::encode(Sha256::digest(format!("{label}\n{text}").as_bytes()));
        let path = self.cache.join(format!("{}.wav", &hash[..32]));
        if let Ok(pcm) = wav::read(&path) {
            return Ok(pcm);
        }
        let raw = match voice {
            TestVoice::Espeak { voice, speed, pitch } => espeak(voice, *speed, *pitch, text).await?,
            TestVoice::Pico { rate, pitch } => {
                let tts = match self.pico.get(rate) {
                    Some(tts) => tts.clone(),
                    None => {
                        let spec = VoiceSpec::Pico { lang: "de-DE".into(), dir: self.pico_dir.clone(), rate: *rate };
                        let tts = Tts::start(&spec, 1)?;
                        self.pico.insert(*rate, tts.clone());
                        tts
                    }
                };
                let pcm = tts.synthesize(text).await?;
                // Played faster or slower: another speaker's pitch and tempo.
                Pcm { rate: (pcm.rate as f64 * pitch).round() as u32, samples: pcm.samples.clone() }
            }
        };
        let pcm = at_line_level(&raw.resampled(PHONE_RATE));
        let cache_err = |e: String| SynthError::Cache { path: path.display().to_string(), message: e };
        std::fs::create_dir_all(&self.cache).map_err(|e| cache_err(e.to_string()))?;
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        wav::write(&tmp, &pcm).map_err(|e| cache_err(e.to_string()))?;
        std::fs::rename(&tmp, &path).map_err(|e| cache_err(e.to_string()))?;
        Ok(pcm)
    }
}

async fn espeak(voice: &str, speed: u32, pitch: u32, text: &str) -> Result<Pcm, SynthError> {
    let err = |message: String| SynthError::Render { voice: format!("espeak-ng {voice}"), message };
    let dir = tempfile_dir().map_err(|e| err(e.to_string()))?;
    let out = dir.join("speech.wav");
    let status = tokio::process::Command::new("espeak-ng")
        .args(["-v", voice, "-s", &speed.to_string(), "-p", &pitch.to_string(), "-w"])
        .arg(&out)
        .arg("--")
        .arg(text)
        .status()
        .await
        .map_err(|e| err(format!("{e} (install espeak-ng: scripts/setup.sh)")))?;
    if !status.success() {
        return Err(err(format!("espeak-ng exited with {status}")));
    }
    let pcm = wav::read(&out).map_err(|e| err(e.to_string()));
    let _ = std::fs::remove_dir_all(&dir);
    pcm
}

/// A private scratch folder (espeak-ng writes to a file).
fn tempfile_dir() -> std::io::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("hotline-bench-{}-{}", std::process::id(), uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// 20 ms blocks of `samples` with their RMS.
pub fn block_rms(samples: &[i16]) -> impl Iterator<Item = f64> + '_ {
    samples.chunks(FRAME_SAMPLES).map(|b| (b.iter().map(|&s| (s as f64).powi(2)).sum::<f64>() / b.len() as f64).sqrt())
}

/// Scales speech so its active part (blocks within 30 dB of the loudest) has `SPEECH_RMS`.
pub fn at_line_level(pcm: &Pcm) -> Pcm {
    let rms: Vec<f64> = block_rms(&pcm.samples).collect();
    let loudest = rms.iter().copied().fold(0.0, f64::max);
    let active: Vec<f64> = rms.iter().copied().filter(|&r| r > loudest / 31.6).collect();
    let level = (active.iter().map(|r| r * r).sum::<f64>() / active.len().max(1) as f64).sqrt();
    let gain = if level > 0.0 { SPEECH_RMS / level } else { 1.0 };
    let samples = pcm.samples.iter().map(|&s| (s as f64 * gain).round().clamp(-32768.0, 32767.0) as i16).collect();
    Pcm { rate: pcm.rate, samples }
}

/// Gaussian noise of RMS `rms` (Box-Muller over the seeded generator).
pub(crate) fn add_noise(samples: &mut [i16], rms: f64, rng: &mut Rng) {
    for s in samples {
        let (u, v) = (rng.f64().max(1e-12), rng.f64());
        let n = (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos() * rms;
        *s = (*s as f64 + n).round().clamp(-32768.0, 32767.0) as i16;
    }
}

pub fn mu_law_line(samples: &[i16]) -> Vec<i16> {
    let (mut coded, mut decoded) = (Vec::new(), Vec::new());
    g711::encode_into(g711::Law::Mu, samples, &mut coded);
    g711::decode_into(g711::Law::Mu, &coded, &mut decoded);
    decoded
}
