//! The keyword spotter as callers meet it: each keyword phrase of the test set spoken by
//! every test voice, clean and on a noisy line, must be spotted as that keyword (hit
//! rate); keyword-free speech (the set's other utterances and every static prompt
//! sentence, by every test voice, clean and noisy) streamed through one spotter per voice
//! and line must spot nothing (false alarms per hour of that speech).

use super::{Accuracy, BenchError, sample_of};
use crate::audio::{FRAME_MS, FRAME_SAMPLES, PHONE_RATE};
use crate::speech::keywords::{Keyword, Keywords};
use crate::speech::synthetic::{Renderer, TestVoice};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Serialize)]
pub struct KeywordFigures {
    /// Spotted as the keyword said, by keyword.
    pub hits: BTreeMap<String, Accuracy>,
    pub hit_rate: Accuracy,
    /// Spotted as the keyword said, by voice: which speakers the model misses.
    pub hits_by_voice: BTreeMap<String, Accuracy>,
    /// Keyword phrases spotted as another keyword.
    pub wrong_keyword: usize,
    /// Keyword-free speech listened to (speech only, without the pauses around it).
    pub speech_minutes: f64,
    pub false_alarms: usize,
    pub false_alarms_per_hour: Option<f64>,
    /// Which keyword the false alarms were.
    pub false_alarm_keywords: BTreeMap<String, usize>,
    /// Spotter processing time per second of line audio.
    pub real_time_factor: f64,
}

/// A keyword phrase of the test set.
pub(super) struct Phrase {
    pub text: String,
    pub keyword: Keyword,
}

pub(super) async fn figures(
    keywords: &Keywords,
    phrases: &[Phrase],
    free: &[String],
    voices: &[TestVoice],
    renderer: &mut Renderer,
) -> Result<KeywordFigures, BenchError> {
    let mut busy = Duration::ZERO;
    let mut line_ms = 0u64;

    let mut hits: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut by_voice: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut wrong_keyword = 0;
    for (i, phrase) in phrases.iter().enumerate() {
        for voice in voices {
            let speech = renderer.speech(voice, &phrase.text).await?;
            for noisy in [false, true] {
                let line = sample_of(i, voice, &speech, noisy, 9000 + (i * 2 + usize::from(noisy)) as u64).line;
                let mut spotter = keywords.spotter()?;
                let started = Instant::now();
                let spotted = line.chunks(FRAME_SAMPLES).find_map(|f| spotter.push(f));
                busy += started.elapsed();
                line_ms += (line.len() as u64 * 1000) / PHONE_RATE as u64;
                let hit = matches!(spotted, Some(s) if s.keyword == phrase.keyword);
                wrong_keyword += usize::from(spotted.is_some() && !hit);
                for entry in [hits.entry(phrase.keyword.name().to_string()).or_default(), by_voice.entry(voice.label()).or_default()] {
                    entry.0 += usize::from(hit);
                    entry.1 += 1;
                }
            }
        }
    }

    let mut false_alarm_keywords: BTreeMap<String, usize> = BTreeMap::new();
    let mut speech_ms = 0u64;
    for voice in voices {
        for noisy in [false, true] {
            // One spotter per voice and line, listening to all of it like a long call.
            let mut spotter = keywords.spotter()?;
            for (i, text) in free.iter().enumerate() {
                let speech = renderer.speech(voice, text).await?;
                let sample = sample_of(i, voice, &speech, noisy, 5000 + (i * 2 + usize::from(noisy)) as u64);
                speech_ms += sample.speech_ms;
                line_ms += sample.line.len() as u64 * FRAME_MS / FRAME_SAMPLES as u64;
                let started = Instant::now();
                for frame in sample.line.chunks(FRAME_SAMPLES) {
                    if let Some(s) = spotter.push(frame) {
                        *false_alarm_keywords.entry(s.keyword.name().to_string()).or_default() += 1;
                    }
                }
                busy += started.elapsed();
            }
        }
    }
    let false_alarms = false_alarm_keywords.values().sum();
    let hours = speech_ms as f64 / 3_600_000.0;
    let (correct, total) = hits.values().fold((0, 0), |(c, t), (hc, ht)| (c + hc, t + ht));
    let accuracies = |counts: BTreeMap<String, (usize, usize)>| counts.into_iter().map(|(k, (c, t))| (k, Accuracy::of(c, t))).collect();
    Ok(KeywordFigures {
        hits: accuracies(hits),
        hit_rate: Accuracy::of(correct, total),
        hits_by_voice: accuracies(by_voice),
        wrong_keyword,
        speech_minutes: speech_ms as f64 / 60_000.0,
        false_alarms,
        false_alarms_per_hour: (hours > 0.0).then(|| false_alarms as f64 / hours),
        false_alarm_keywords,
        real_time_factor: busy.as_secs_f64() / (line_ms as f64 / 1000.0).max(f64::MIN_POSITIVE),
    })
}

/// The figures as lines of the bench's table.
pub fn lines(k: &KeywordFigures) -> String {
    use std::fmt::Write;
    let pct = |a: &Accuracy| a.percent.map_or("-".into(), |p| format!("{p:.1} % ({}/{})", a.correct, a.total));
    let mut s = String::new();
    let _ = writeln!(s, "keyword spotting (rustpotter, the set's voices, clean and noisy):");
    for (keyword, a) in &k.hits {
        let _ = writeln!(s, "  hits {keyword:<12} {}", pct(a));
    }
    let _ = writeln!(s, "  hits all          {} (spotted as another keyword: {})", pct(&k.hit_rate), k.wrong_keyword);
    for (voice, a) in &k.hits_by_voice {
        let _ = writeln!(s, "  hits by {voice:<22} {}", pct(a));
    }
    let _ = writeln!(
        s,
        "  false alarms      {} in {:.1} min of keyword-free speech = {} per hour {:?}",
        k.false_alarms,
        k.speech_minutes,
        k.false_alarms_per_hour.map_or("-".into(), |f| format!("{f:.2}")),
        k.false_alarm_keywords
    );
    let _ = writeln!(s, "  spotter CPU       {:.4} s per s of line audio (one core)", k.real_time_factor);
    s
}
