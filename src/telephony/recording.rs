//! Voice messages for the advisor: recorded after a tone, kept as WAV files in the data
//! directory, transcribed after the call when the recognisers have time.

use crate::audio::vad::{Endpointer, VadConfig, VadEvent};
use crate::audio::{FRAME_SAMPLES, Frame, PHONE_RATE, Pcm, wav};
use crate::domain::tickets;
use crate::server::AppState;
use crate::speech::pool::PoolError;
use crate::speech::stt::Listen;
use std::path::Path;
use std::time::Duration;

/// The longest message (the prompt promises a minute).
pub const MAX_MESSAGE: Duration = Duration::from_secs(60);
/// Where messages live, inside the data directory.
const MESSAGE_DIR: &str = "messages";

/// Endpointing for a message: people think while they speak, so only a long silence ends
/// it; one who says nothing at all is asked no longer than a few seconds.
fn message_vad() -> VadConfig {
    VadConfig {
        trailing_silence_ms: 3000,
        start_timeout_ms: 8000,
        max_utterance_ms: MAX_MESSAGE.as_millis() as u64,
        min_speech_ms: 300,
        pre_roll_ms: 300,
    }
}

/// The tone before the message: 1 kHz for a quarter of a second, softly faded.
pub fn tone() -> Pcm {
    let n = PHONE_RATE as usize / 4;
    let fade = PHONE_RATE as usize / 100;
    let samples = (0..n)
        .map(|i| {
            let envelope = (i.min(n - 1 - i) as f32 / fade as f32).min(1.0);
            let phase = 2.0 * std::f32::consts::PI * 1000.0 * i as f32 / PHONE_RATE as f32;
            (phase.sin() * envelope * 8000.0) as i16
        })
        .collect();
    Pcm { rate: PHONE_RATE, samples }
}

/// One message being recorded.
pub struct Recorder {
    endpointer: Endpointer,
    samples: Vec<i16>,
    heard_speech: bool,
    /// Ended by the silence after speech (rather than a key, hanging up or the time limit).
    silence_ended: bool,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder { endpointer: Endpointer::new(message_vad()), samples: Vec::new(), heard_speech: false, silence_ended: false }
    }
}

impl Recorder {
    /// Adds a frame; true when the message is complete (silence after speech, nothing
    /// said at all, or the time is up).
    pub fn push(&mut self, frame: &Frame) -> bool {
        self.samples.extend_from_slice(frame);
        let full = self.samples.len() >= MAX_MESSAGE.as_secs() as usize * PHONE_RATE as usize;
        match self.endpointer.push(frame) {
            Some(VadEvent::SpeechStarted) => {
                self.heard_speech = true;
                full
            }
            Some(VadEvent::Utterance(_)) => {
                self.silence_ended = true;
                true
            }
            Some(VadEvent::NoSpeech) => true,
            None => full,
        }
    }

    /// The message, without the silence that ended it; `None` if nothing was said.
    pub fn finish(self) -> Option<Pcm> {
        if !self.heard_speech {
            return None;
        }
        let mut samples = self.samples;
        if self.silence_ended {
            let trailing = (message_vad().trailing_silence_ms as usize).saturating_sub(500) * PHONE_RATE as usize / 1000;
            samples.truncate(samples.len().saturating_sub(trailing).max(FRAME_SAMPLES));
        }
        Some(Pcm { rate: PHONE_RATE, samples })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("cannot create the message folder: {0}")]
    Folder(#[from] std::io::Error),
    #[error(transparent)]
    Wav(#[from] wav::WavError),
    #[error("saving was interrupted: {0}")]
    Interrupted(#[from] tokio::task::JoinError),
}

/// Saves a message as a WAV file; returns its path inside `data_dir`.
pub async fn save(data_dir: &Path, message: &Pcm) -> Result<String, SaveError> {
    let relative = format!("{MESSAGE_DIR}/{}.wav", uuid::Uuid::now_v7());
    let (path, message) = (data_dir.join(&relative), message.clone());
    tokio::task::spawn_blocking(move || -> Result<(), SaveError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        Ok(wav::write(&path, &message)?)
    })
    .await??;
    Ok(relative)
}

/// Whisper decodes at most 30 s at once: longer messages are cut at the quietest moment
/// between 18 and 25 s.
fn pieces(message: &Pcm) -> Vec<Pcm> {
    let rate = message.rate as usize;
    let (min, max) = (18 * rate, 25 * rate);
    let mut rest = message.samples.as_slice();
    let mut out = Vec::new();
    while rest.len() > max {
        let cut = (min..max - FRAME_SAMPLES)
            .step_by(FRAME_SAMPLES)
            .min_by_key(|&at| rest[at..at + FRAME_SAMPLES].iter().map(|&s| (s as i64).pow(2)).sum::<i64>())
            .unwrap_or(max);
        out.push(Pcm { rate: message.rate, samples: rest[..cut].to_vec() });
        rest = &rest[cut..];
    }
    out.push(Pcm { rate: message.rate, samples: rest.to_vec() });
    out
}

/// Busy recognisers are asked again after these pauses; live callers come first.
const BUSY_RETRIES: [Duration; 5] =
    [Duration::from_secs(5), Duration::from_secs(15), Duration::from_secs(30), Duration::from_secs(60), Duration::from_secs(120)];

/// Transcribes a stored ticket's message and stores the transcript. Failures are logged:
/// the message itself is safe and staff can listen to it.
pub async fn transcribe(app: AppState, ticket_id: String, message: Pcm) {
    let Some(pool) = app.stt.clone() else { return };
    let mut text = Vec::new();
    for piece in pieces(&message) {
        let mut retries = BUSY_RETRIES.iter();
        let heard = loop {
            match pool.transcribe(piece.clone(), Listen::default()).await {
                Err(PoolError::Busy { .. }) if let Some(pause) = retries.next() => tokio::time::sleep(*pause).await,
                other => break other,
            }
        };
        match heard {
            Ok(heard) => text.push(heard.transcript.text),
            Err(e) => {
                tracing::warn!(ticket = %ticket_id, error = %e, "voice message not transcribed; staff can listen to it");
                return;
            }
        }
    }
    match tickets::set_transcript(&app.db, &ticket_id, text.join(" ").trim()).await {
        Ok(_) => tracing::info!(ticket = %ticket_id, seconds = message.duration_ms() / 1000, "voice message transcribed"),
        Err(e) => tracing::error!(ticket = %ticket_id, error = %e, "cannot store the transcript"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::test_signals::voice;

    fn feed(recorder: &mut Recorder, samples: &[i16]) -> Option<usize> {
        samples.chunks_exact(FRAME_SAMPLES).enumerate().find_map(|(i, f)| recorder.push(f.try_into().unwrap()).then_some(i))
    }

    #[test]
    fn a_message_ends_after_three_seconds_of_silence_and_keeps_the_speech() {
        let mut r = Recorder::default();
        let mut line = vec![0i16; PHONE_RATE as usize / 2];
        line.extend(voice(4000, 8000.0));
        line.extend(vec![0i16; 10 * PHONE_RATE as usize]);
        let done_at = feed(&mut r, &line).expect("silence ends the message");
        let seconds = done_at as f32 * 0.02;
        assert!((7.3..7.8).contains(&seconds), "ended at {seconds} s");
        let message = r.finish().expect("speech was heard");
        let ms = message.duration_ms();
        assert!((4500..=5200).contains(&ms), "{ms} ms kept");
    }

    #[test]
    fn a_message_ended_by_a_key_or_hanging_up_keeps_its_last_words() {
        let mut r = Recorder::default();
        let mut line = vec![0i16; PHONE_RATE as usize / 2];
        line.extend(voice(3000, 8000.0));
        assert_eq!(feed(&mut r, &line), None);
        assert_eq!(r.finish().unwrap().duration_ms(), 3500);
    }

    #[test]
    fn nothing_said_is_no_message_and_long_talk_stops_at_a_minute() {
        let mut silent = Recorder::default();
        let done_at = feed(&mut silent, &vec![0i16; 20 * PHONE_RATE as usize]).expect("gives up");
        assert!((done_at as f32 * 0.02) <= 8.1);
        assert!(silent.finish().is_none());

        let mut talker = Recorder::default();
        let done_at = feed(&mut talker, &voice(90_000, 8000.0)).expect("time is up");
        assert!((done_at as f32 * 0.02 - 60.0).abs() < 0.1, "{done_at}");
        assert!(talker.finish().unwrap().duration_ms() >= 57_000);
    }

    #[test]
    fn long_messages_are_cut_where_it_is_quiet() {
        let mut samples = voice(21_000, 8000.0);
        samples.extend(vec![0i16; 800]);
        samples.extend(voice(30_000, 8000.0));
        let parts = pieces(&Pcm { rate: PHONE_RATE, samples });
        assert_eq!(parts.len(), 3);
        let first = parts[0].duration_ms();
        assert!((21_000..=21_100).contains(&first), "cut in the pause: {first} ms");
        assert!(parts.iter().all(|p| p.duration_ms() <= 25_000));
        assert!(tone().samples.iter().any(|&s| s > 7000));
    }
}
