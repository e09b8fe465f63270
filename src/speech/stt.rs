//! Speech recognition with whisper.cpp (via whisper-rs), fully local.
//!
//! One [`Stt`] holds the model; each thread that transcribes keeps its own whisper state
//! (a [`Recognizer`]), so several calls are recognised at once (see `speech::pool`). Decoding is tuned for
//! short telephone answers: German only, greedy, one segment, no context carried over, and
//! an encoder window (`audio_ctx`) sized to the utterance instead of the full 30 s.

use crate::audio::Pcm;
use crate::speech::understand::PhraseSet;
use chrono::NaiveDate;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use whisper_rs::{FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters, WhisperState, WhisperTokenId};

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

/// What the recogniser is told about the answer expected at this step of the dialog.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Listen {
    /// Words expected here (whisper's initial prompt); they win over sound-alikes.
    pub hint: String,
    /// The closed set the answer belongs to, if it does: the audio is then decoded a
    /// second time, allowed to write only a phrase of that set (see [`Transcript::phrase`]),
    /// unless the transcript already says something the step understands.
    pub phrases: Option<PhraseSet>,
    /// The caller's today, for understanding dates.
    pub today: NaiveDate,
}

impl Listen {
    pub fn hint(hint: &str) -> Listen {
        Listen { hint: hint.into(), ..Listen::default() }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Transcript {
    pub text: String,
    /// Mean token probability of the decoded text (0..1).
    pub confidence: f32,
    /// The phrase of [`Listen::phrases`] the audio sounds most like, when whisper itself
    /// would have been likely enough to write it (see [`min_phrase_confidence`]).
    pub phrase: Option<Phrase>,
    pub elapsed: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Phrase {
    pub text: String,
    /// Geometric mean of the probabilities whisper, unconstrained, gave the phrase's tokens.
    pub confidence: f32,
}

/// Hypotheses the phrase search follows at each token.
const PHRASE_BEAM: usize = 3;

pub struct Stt {
    ctx: WhisperContext,
    threads: i32,
    phrases: Arc<HashMap<PhraseSet, PhraseDecoder>>,
}

impl Stt {
    pub fn load(path: &Path, threads: usize) -> Result<Stt, SttError> {
        if !path.is_file() {
            return Err(SttError::MissingModel { path: path.display().to_string() });
        }
        whisper_rs::install_logging_hooks();
        let ctx = WhisperContext::new_with_params(path, WhisperContextParameters::default())
            .map_err(|e| SttError::Load { path: path.display().to_string(), message: e.to_string() })?;
        let phrases = PhraseSet::ALL.into_iter().map(|set| Ok((set, PhraseDecoder::new(&ctx, set)?))).collect::<Result<_, SttError>>()?;
        Ok(Stt { ctx, threads: threads.max(1) as i32, phrases: Arc::new(phrases) })
    }

    /// Transcribes German speech with a fresh recogniser; see [`Recognizer::transcribe`].
    /// Blocking: run it off the async reactor.
    pub fn transcribe(&self, audio: &Pcm, listen: &Listen) -> Result<Transcript, SttError> {
        self.recognizer(self.threads as usize)?.transcribe(audio, listen)
    }

    /// Working memory for transcriptions on one thread, kept across utterances (creating it
    /// costs time and memory); `threads` is how many cores one transcription uses.
    pub fn recognizer(&self, threads: usize) -> Result<Recognizer, SttError> {
        let state = self.ctx.create_state().map_err(|e| SttError::Recognition(e.to_string()))?;
        Ok(Recognizer { state, threads: threads.max(1) as i32, phrases: Arc::clone(&self.phrases) })
    }
}

/// One whisper state; see [`Stt::recognizer`].
pub struct Recognizer {
    state: WhisperState,
    threads: i32,
    phrases: Arc<HashMap<PhraseSet, PhraseDecoder>>,
}

impl Recognizer {
    /// Transcribes German speech, steered by what the dialog expects (`listen`). Blocking:
    /// run it off the async reactor.
    pub fn transcribe(&mut self, audio: &Pcm, listen: &Listen) -> Result<Transcript, SttError> {
        let hint = listen.hint.as_str();
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
        let max_tokens = (MAX_TOKENS + MAX_TOKENS_PER_SEC * seconds) as u32;
        params.set_max_tokens(max_tokens as i32);
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
        // Stopped by the token cap: whisper was repeating itself ("Nein. Nein. Nein. ...");
        // what it heard is what came before the repeats.
        let text = if prob_n >= max_tokens { collapse_loop(text.trim()) } else { text.trim().to_string() };
        let text = text.as_str();
        let unclear = listen.phrases.filter(|set| !set.understands(text, listen.today));
        let phrase = match unclear.and_then(|set| self.phrases.get(&set)) {
            Some(decoder) => decoder.decode(&mut self.state, self.threads as usize)?,
            None => None,
        };
        tracing::debug!(text, ?phrase, "transcribed");
        Ok(Transcript {
            text: text.to_string(),
            confidence: if prob_n == 0 { 0.0 } else { prob_sum / prob_n as f32 },
            phrase: phrase.filter(|p| listen.phrases.is_some_and(|set| p.confidence >= min_phrase_confidence(set))),
            elapsed: started.elapsed(),
        })
    }
}

/// `text` up to the first copy of the words it ends repeating (at least twice more, the
/// last copy possibly cut short, as the token cap cuts it): "Nein. Das stimmt nicht. Nein.
/// Das stimmt nicht. Nein. Das" becomes "Nein. Das stimmt nicht.". Text that does not end
/// in a loop is returned as it is. Only for text that ran into the token cap: a number
/// ending "fünf, fünf, fünf" would lose digits.
fn collapse_loop(text: &str) -> String {
    /// The longest repeated unit looked for, in words.
    const MAX_UNIT: usize = 12;
    let words: Vec<&str> = text.split_whitespace().collect();
    let keys: Vec<String> =
        words.iter().map(|w| w.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()).collect();
    let n = words.len();
    // Word k of the tail from `start` repeats the unit of `len` words (a cut last word
    // may be the start of its word).
    let repeats = |start: usize, len: usize| {
        (start + len..n).all(|k| {
            let unit = &keys[start + (k - start) % len];
            &keys[k] == unit || (k == n - 1 && !keys[k].is_empty() && unit.starts_with(keys[k].as_str()))
        })
    };
    for start in 0..n {
        if let Some(len) = (1..=MAX_UNIT).take_while(|len| n - start >= 3 * len - 1).find(|&len| repeats(start, len)) {
            let kept = words[..start + len].join(" ");
            return kept.trim_end_matches([',', ';', ' ']).to_string();
        }
    }
    text.to_string()
}

/// A closed-set phrase less likely than this to whisper is no answer. Tuned on the tuning
/// set, where no wrong phrase came above these and a third of the right ones did; dates
/// need more, as near misses ("am ersten September" for "am ersten Februar") score higher.
fn min_phrase_confidence(set: PhraseSet) -> f32 {
    match set {
        PhraseSet::Dates => 0.25,
        PhraseSet::Times => 0.1,
    }
}

/// Decodes audio whisper has just encoded once more, allowed to write only a phrase of a
/// closed set: a small beam search through the tree of the phrases' tokens. The encoder's
/// work is reused, and so is the decoder's for the tokens a hypothesis shares with the one
/// decoded before it; the search costs a few dozen decoder steps (about 0.4 s more for an
/// answer on the tuning set, release build, 2 cores), and only for an answer whose
/// transcript said nothing the step understands.
struct PhraseDecoder {
    /// The decoder's prompt: the set's hint and the German transcription task, as
    /// `whisper_full` builds it.
    prompt: Vec<WhisperTokenId>,
    eot: WhisperTokenId,
    /// The phrases' tokens as a tree; node 0 is the root.
    nodes: Vec<PhraseNode>,
    /// The phrases, by the index their last node names.
    texts: Vec<String>,
}

#[derive(Default)]
struct PhraseNode {
    next: Vec<(WhisperTokenId, usize)>,
    /// The phrase that may end here.
    ends: Option<usize>,
}

impl PhraseDecoder {
    fn new(ctx: &WhisperContext, set: PhraseSet) -> Result<PhraseDecoder, SttError> {
        let tokenize =
            |text: &str| ctx.tokenize(text, 512).map_err(|e| SttError::Load { path: format!("{set:?} phrases"), message: e.to_string() });
        let german = whisper_rs::get_lang_id("de").ok_or_else(|| SttError::Recognition("whisper knows no German".into()))?;
        let mut prompt = vec![ctx.token_prev()];
        prompt.extend(tokenize(&set.hint())?);
        prompt.extend([ctx.token_sot(), ctx.token_lang(german), ctx.token_transcribe(), ctx.token_not()]);
        let mut decoder = PhraseDecoder { prompt, eot: ctx.token_eot(), nodes: vec![PhraseNode::default()], texts: Vec::new() };
        for text in set.phrases() {
            // Whisper begins with a space and mostly ends with a full stop.
            for written in [format!(" {text}."), format!(" {text}")] {
                decoder.insert(&tokenize(&written)?, decoder.texts.len());
            }
            decoder.texts.push(text);
        }
        Ok(decoder)
    }

    fn insert(&mut self, tokens: &[WhisperTokenId], phrase: usize) {
        let mut node = 0;
        for &token in tokens {
            node = match self.nodes[node].next.iter().find(|(t, _)| *t == token) {
                Some(&(_, child)) => child,
                None => {
                    self.nodes.push(PhraseNode::default());
                    let child = self.nodes.len() - 1;
                    self.nodes[node].next.push((token, child));
                    child
                }
            };
        }
        self.nodes[node].ends.get_or_insert(phrase);
    }

    /// The phrase for the audio `state` last encoded, with whisper's own probability for
    /// it: a beam search through the phrase tree, scoring each phrase by the sum of its
    /// tokens' log probabilities.
    fn decode(&self, state: &mut WhisperState, threads: usize) -> Result<Option<Phrase>, SttError> {
        let failed = |e: whisper_rs::WhisperError| SttError::Recognition(e.to_string());
        // Log probabilities among the text tokens and the end, as whisper would sample.
        let log_softmax = |logits: &[f32]| -> Vec<f32> {
            let text = &logits[..=self.eot as usize];
            let max = text.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let log_sum = max + text.iter().map(|l| (l - max).exp()).sum::<f32>().ln();
            text.iter().map(|l| l - log_sum).collect()
        };
        // whisper keeps the logits of the last token of a decoded batch in its row, but
        // `get_logits` reads the first row: so each batch's last token is decoded alone.
        let decode = |state: &mut WhisperState, tokens: &[WhisperTokenId], n_past: usize| -> Result<(), SttError> {
            let (last, before) = tokens.split_last().expect("tokens to decode");
            if !before.is_empty() {
                state.decode(before, n_past, threads).map_err(failed)?;
            }
            state.decode(&[*last], n_past + before.len(), threads).map_err(failed)
        };
        decode(state, &self.prompt, 0)?;
        let prompt_len = self.prompt.len();
        // The tokens after the prompt the state holds keys and values for: decoding at a
        // position drops everything after it, so a hypothesis decodes only what it does
        // not share with these (the same phrases as decoding it whole, measured).
        let mut decoded: Vec<WhisperTokenId> = Vec::new();
        struct Hypothesis {
            tokens: Vec<WhisperTokenId>,
            node: usize,
            logprob: f32,
        }
        let mut beams = vec![Hypothesis { tokens: Vec::new(), node: 0, logprob: 0.0 }];
        let mut best: Option<(usize, f32, usize)> = None;
        while !beams.is_empty() {
            let mut next = Vec::new();
            for hypothesis in &beams {
                // The root's logits are the prompt's; others decode their tokens after it,
                // all but those already decoded for the hypothesis before (at least the
                // last, whose logits are wanted).
                if !hypothesis.tokens.is_empty() {
                    let shared = decoded.iter().zip(&hypothesis.tokens).take_while(|(a, b)| a == b).count();
                    let from = shared.min(hypothesis.tokens.len() - 1);
                    decode(state, &hypothesis.tokens[from..], prompt_len + from)?;
                    decoded.clone_from(&hypothesis.tokens);
                }
                let logits = state.get_logits().map_err(failed)?;
                let lp = log_softmax(logits);
                let lp = |token: WhisperTokenId| lp[token as usize];
                let node = &self.nodes[hypothesis.node];
                if let Some(phrase) = node.ends {
                    let total = hypothesis.logprob + lp(self.eot);
                    if best.is_none_or(|(_, b, _)| total > b) {
                        best = Some((phrase, total, hypothesis.tokens.len() + 1));
                    }
                }
                for &(token, child) in &node.next {
                    let mut tokens = hypothesis.tokens.clone();
                    tokens.push(token);
                    next.push(Hypothesis { tokens, node: child, logprob: hypothesis.logprob + lp(token) });
                }
            }
            next.sort_by(|a, b| b.logprob.total_cmp(&a.logprob));
            next.truncate(PHRASE_BEAM);
            // Log probabilities only fall: a hypothesis already below the best phrase stays there.
            next.retain(|h| best.is_none_or(|(_, b, _)| h.logprob > b));
            beams = next;
        }
        Ok(best.map(|(phrase, logprob, tokens)| Phrase { text: self.texts[phrase].clone(), confidence: (logprob / tokens as f32).exp() }))
    }
}

#[cfg(test)]
mod tests {
    use super::collapse_loop;

    #[test]
    fn a_loop_at_the_end_is_cut_to_its_first_copy() {
        for (looped, kept) in [
            ("Nein. Nein. Nein. Nein. Nein. Nein", "Nein."),
            ("Nein. Das stimmt nicht. Nein. Das stimmt nicht. Nein. Das stimmt nicht. Nein. Das", "Nein. Das stimmt nicht."),
            ("Viertel nach, Viertel nach, Viertel nach, Viertel nach,", "Viertel nach"),
            ("mitarbeiter, mitarbeiterin, mitarbeiterin, mitarbeiterin, mit", "mitarbeiter, mitarbeiterin"),
            ("Sie, eins, zwei, vier, eins, zwei, vier, eins, zwei, vier, eins, zwei,", "Sie, eins, zwei, vier"),
            ("- - - - - - - -", "-"),
        ] {
            assert_eq!(collapse_loop(looped), kept, "{looped:?}");
        }
    }

    #[test]
    fn text_without_a_loop_at_its_end_stays_as_it_is() {
        for text in [
            "",
            "Ja, bitte.",
            // Real numbers repeat digits: repeats are cut only where they run to the end
            // (and the recogniser looks only at text that ran into the token cap).
            "Null, zwei, drei, vier, vier, vier, neun.",
            "Fünf fünf fünf, eins zwei",
            "Ich brauche einen Fahrdienst zum Krankenhaus.",
        ] {
            assert_eq!(collapse_loop(text), text);
        }
    }
}
