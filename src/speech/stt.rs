//! Speech recognition with whisper.cpp (via whisper-rs), fully local.
//!
//! One [`Stt`] holds the model; each thread that transcribes keeps its own whisper state
//! (a [`Recognizer`]), so several calls are recognised at once (see `speech::pool`). Decoding is tuned for
//! short telephone answers: German only, greedy, one segment, no context carried over, and
//! an encoder window (`audio_ctx`) sized to the utterance instead of the full 30 s.

use crate::audio::Pcm;
use std::path::Path;
use std::time::{Duration, Instant};
use whisper_rs::{FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters, WhisperState};

/// Whisper's input rate.
pub const STT_RATE: u32 = 16_000;
/// Encoder frames per second of audio (1500 frames for 30 s).
const ENCODER_FRAMES_PER_SEC: f32 = 50.0;
/// Extra encoder frames around the utterance; too tight a window garbles the end.
const AUDIO_CTX_MARGIN: i32 = 256;
/// Tokens decoded at most: an answer needs about four per second of speech. A repetition
/// loop ("Stimmt. Stimmt. Stimmt.") ends here instead of filling the text context.
const MAX_TOKENS: f32 = 10.0;
const MAX_TOKENS_PER_SEC: f32 = 6.0;
/// Silence put before the utterance.
const LEAD_IN_MS: usize = 300;

#[derive(Debug, thiserror::Error)]
pub enum SttError {
    #[error("speech model {path} is missing (run scripts/setup.sh)")]
    MissingModel { path: String },
    #[error("cannot load speech model {path}: {message}")]
    Load { path: String, message: String },
    #[error("speech recognition failed: {0}")]
    Recognition(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Transcript {
    pub text: String,
    /// Mean token probability of the decoded text (0..1).
    pub confidence: f32,
    pub elapsed: Duration,
}

pub struct Stt {
    ctx: WhisperContext,
    threads: i32,
}

impl Stt {
    pub fn load(path: &Path, threads: usize) -> Result<Stt, SttError> {
        if !path.is_file() {
            return Err(SttError::MissingModel { path: path.display().to_string() });
        }
        whisper_rs::install_logging_hooks();
        let ctx = WhisperContext::new_with_params(path, WhisperContextParameters::default())
            .map_err(|e| SttError::Load { path: path.display().to_string(), message: e.to_string() })?;
        Ok(Stt { ctx, threads: threads.max(1) as i32 })
    }

    /// Transcribes German speech with a fresh recogniser; see [`Recognizer::transcribe`].
    /// Blocking: run it off the async reactor.
    pub fn transcribe(&self, audio: &Pcm, hint: &str) -> Result<Transcript, SttError> {
        self.recognizer(self.threads as usize)?.transcribe(audio, hint)
    }

    /// Working memory for transcriptions on one thread, kept across utterances (creating it
    /// costs time and memory); `threads` is how many cores one transcription uses.
    pub fn recognizer(&self, threads: usize) -> Result<Recognizer, SttError> {
        let state = self.ctx.create_state().map_err(|e| SttError::Recognition(e.to_string()))?;
        Ok(Recognizer { state, threads: threads.max(1) as i32 })
    }
}

/// One whisper state; see [`Stt::recognizer`].
pub struct Recognizer {
    state: WhisperState,
    threads: i32,
}

impl Recognizer {
    /// Transcribes German speech. `hint` lists words expected at this point of the
    /// dialog; it steers decoding towards them. Blocking: run it off the async reactor.
    pub fn transcribe(&mut self, audio: &Pcm, hint: &str) -> Result<Transcript, SttError> {
        let started = Instant::now();
        let samples = audio.resampled(STT_RATE).to_f32();
        let seconds = (samples.len() as f32 / STT_RATE as f32) + LEAD_IN_MS as f32 / 1000.0;
        let mut params = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
        params.set_language(Some("de"));
        params.set_n_threads(self.threads);
        params.set_no_context(true);
        params.set_single_segment(true);
        params.set_print_special(false);
        params.set_print_progress(false);
        params.set_print_realtime(false);
        params.set_print_timestamps(false);
        params.set_suppress_blank(true);
        params.set_audio_ctx(((seconds * ENCODER_FRAMES_PER_SEC) as i32 + AUDIO_CTX_MARGIN).min(1500));
        // No retries at higher temperatures: on the tuning set they changed no answer but
        // multiplied the time of the hardest utterances.
        params.set_temperature_inc(0.0);
        params.set_no_timestamps(true);
        params.set_max_tokens((MAX_TOKENS + MAX_TOKENS_PER_SEC * seconds) as i32);
        if !hint.is_empty() {
            params.set_initial_prompt(hint);
        }
        // Lead-in silence: whisper mishears a word that starts at the very first sample
        // ("Ja" -> "Na"); and it needs at least one second of input in all.
        let lead = STT_RATE as usize * LEAD_IN_MS / 1000;
        let mut input = vec![0f32; lead];
        input.extend_from_slice(&samples);
        if input.len() < STT_RATE as usize + STT_RATE as usize / 10 {
            input.resize(STT_RATE as usize + STT_RATE as usize / 10, 0.0);
        }
        let state = &mut self.state;
        state.full(params, &input).map_err(|e| SttError::Recognition(e.to_string()))?;
        let mut text = String::new();
        let (mut prob_sum, mut prob_n) = (0f32, 0u32);
        for segment in state.as_iter() {
            text.push_str(&segment.to_str_lossy().map_err(|e| SttError::Recognition(e.to_string()))?);
            for i in 0..segment.n_tokens() {
                if let Some(token) = segment.get_token(i) {
                    // Special tokens ([_BEG_], <|de|>, ...) carry no meaning for confidence.
                    if token.to_str_lossy().is_ok_and(|t| !t.starts_with("[_") && !t.starts_with("<|")) {
                        prob_sum += token.token_probability();
                        prob_n += 1;
                    }
                }
            }
        }
        Ok(Transcript {
            text: text.trim().to_string(),
            confidence: if prob_n == 0 { 0.0 } else { prob_sum / prob_n as f32 },
            elapsed: started.elapsed(),
        })
    }
}
