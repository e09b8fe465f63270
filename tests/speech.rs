//! Speech for real: our German voice (Pico) through a telephone line (8 kHz μ-law) into
//! the converted whisper model; the piper path with the registry's Piper voice; and the
//! prompt audio cache.

mod common;

use chrono::{NaiveDate, NaiveTime};
use common::root;
use seniorentelefon::audio::dtmf::DtmfDetector;
use seniorentelefon::audio::vad::{Endpointer, VadConfig, VadEvent};
use seniorentelefon::audio::{FRAME_SAMPLES, Pcm, g711};
use seniorentelefon::speech::cache::PromptAudio;
use seniorentelefon::speech::pool::{PoolConfig, PoolError, SttPool};
use seniorentelefon::speech::stt::{Listen, Stt};
use seniorentelefon::speech::synthetic::{Renderer, TestVoice, mu_law_line};
use seniorentelefon::speech::tts::{Tts, VoiceSpec, VoicesConfig};
use seniorentelefon::speech::understand::{Expectation, PhraseSet, Understood, understand};
use std::sync::Arc;

fn voices() -> VoicesConfig {
    VoicesConfig::load(&root().join("voices/voices.toml")).unwrap()
}

/// What a caller's answer sounds like at our end: 8 kHz, μ-law coded and decoded.
fn through_the_phone(pcm: &Pcm) -> Pcm {
    let narrow = pcm.resampled(8000);
    let mut coded = Vec::new();
    let mut decoded = Vec::new();
    g711::encode_into(g711::Law::Mu, &narrow.samples, &mut coded);
    g711::decode_into(g711::Law::Mu, &coded, &mut decoded);
    Pcm { rate: 8000, samples: decoded }
}

fn words(text: &str) -> Vec<String> {
    text.to_lowercase().split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_string).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn german_speech_survives_the_phone_line_and_is_transcribed() {
    let tts = Tts::start(voices().voice("de").unwrap(), 1).unwrap();
    let stt =
        std::sync::Arc::new(Stt::load(&root().join("voices/whisper/ggml-base.bin"), 2).expect("whisper model (run scripts/setup.sh)"));
    // Answers a caller might give, with the hint the dialog gives at that step (the
    // words it expects; none for free speech). Pico's "Rückruf" is still misheard on the
    // narrow band ("Reprise"): making such words robust is the speech pipeline's job.
    for (sentence, hint) in [
        ("Guten Tag, ich brauche eine Fahrt zum Arzt am Dienstag.", ""),
        ("Ja, das ist richtig.", "Ja, nein."),
        ("Ich möchte mit einem Mitarbeiter sprechen.", ""),
    ] {
        let spoken = tts.synthesize(sentence).await.unwrap();
        assert_eq!(spoken.rate, 8000, "the TTS service delivers telephone audio");
        let line = through_the_phone(&spoken);
        let stt = std::sync::Arc::clone(&stt);
        let transcript = tokio::task::spawn_blocking(move || stt.transcribe(&line, &Listen::hint(hint)).unwrap()).await.unwrap();
        eprintln!("{sentence:?} -> {:?} ({:.2}, {:?})", transcript.text, transcript.confidence, transcript.elapsed);
        assert_eq!(words(&transcript.text), words(sentence), "heard {:?}", transcript.text);
        assert!(transcript.confidence > 0.5);
    }
}

/// Short times and dates whisper base mishears on its own are found in the closed set of
/// phrases the step understands, and what is found there is what was said; an answer that
/// is no time or date finds nothing there. Spoken by the tuning set's voices.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dates_and_times_whisper_mishears_are_found_among_the_phrases() {
    let VoiceSpec::Pico { dir, .. } = voices().voice("de").unwrap().clone() else { panic!("the prompt voice is Pico") };
    let cache = std::env::temp_dir().join(format!("hotline-phrases-{}", std::process::id()));
    let mut renderer = Renderer::new(cache.clone(), dir);
    let tuning_voices = [
        TestVoice::Pico { rate: 70, pitch: 1.06 },
        TestVoice::Espeak { voice: "de+m1".into(), speed: 130, pitch: 50 },
        TestVoice::Espeak { voice: "de+f2".into(), speed: 115, pitch: 60 },
    ];
    let stt = Arc::new(Stt::load(&root().join("voices/whisper/ggml-base.bin"), 2).expect("whisper model (run scripts/setup.sh)"));
    let today = NaiveDate::from_ymd_opt(2025, 12, 10).unwrap();
    let time = |h, m| Some(Understood::Time(NaiveTime::from_hms_opt(h, m, 0).unwrap()));
    let date = |m, d| Some(Understood::Date(NaiveDate::from_ymd_opt(2025, m, d).unwrap()));
    let mut recovered = Vec::new();
    for (sentence, set, meant) in [
        ("Um zehn Uhr vormittags.", PhraseSet::Times, time(10, 0)),
        ("Viertel vor drei.", PhraseSet::Times, time(14, 45)),
        ("Viertel nach zehn.", PhraseSet::Times, time(10, 15)),
        ("Um halb vier.", PhraseSet::Times, time(15, 30)),
        ("Übermorgen, bitte.", PhraseSet::Dates, date(12, 12)),
        ("Am Samstag.", PhraseSet::Dates, date(12, 13)),
        ("Ich weiß es nicht.", PhraseSet::Times, None),
        ("Können Sie das noch einmal sagen?", PhraseSet::Dates, None),
    ] {
        for voice in &tuning_voices {
            let line = Pcm { rate: 8000, samples: mu_law_line(&renderer.speech(voice, sentence).await.unwrap().samples) };
            let stt = Arc::clone(&stt);
            let listen = Listen { hint: set.hint(), phrases: Some(set), today };
            let heard = tokio::task::spawn_blocking(move || stt.transcribe(&line, &listen).unwrap()).await.unwrap();
            eprintln!("{} {sentence:?} -> {:?} {:?}", voice.label(), heard.text, heard.phrase);
            let Some(phrase) = heard.phrase else { continue };
            let expectation = if set == PhraseSet::Times { Expectation::Time } else { Expectation::Date };
            let understood = understand(&phrase.text, &expectation, today);
            assert!(meant.is_some() && understood == meant, "{sentence:?} was taken for {:?} ({understood:?})", phrase.text);
            recovered.push(sentence);
        }
    }
    let _ = std::fs::remove_dir_all(&cache);
    // On the tuning set about a third of the times whisper garbled were found this way.
    assert!(recovered.len() >= 3, "found only {recovered:?}");
}

/// Talk-off: speech must never be taken for a key press.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn speech_never_triggers_in_band_dtmf() {
    let tts = Tts::start(voices().voice("de").unwrap(), 1).unwrap();
    let prompts = common::prompts();
    let mut seconds = 0.0;
    for text in prompts.static_sentences() {
        let line = through_the_phone(&tts.synthesize(text).await.unwrap());
        seconds += line.samples.len() as f64 / 8000.0;
        let mut detector = DtmfDetector::default();
        let keys: Vec<char> = line.samples.chunks_exact(160).filter_map(|f| detector.push(f)).collect();
        assert!(keys.is_empty(), "{text:?} was heard as keys {keys:?}");
    }
    assert!(seconds > 120.0, "only {seconds} s of speech tested");
}

#[tokio::test]
async fn piper_voice_speaks_through_the_same_trait() {
    let voices = voices();
    let spec = voices.voice("en").unwrap();
    assert!(matches!(spec, VoiceSpec::Piper { .. }));
    // Piper's phonemiser reads its data directory from the environment (set once, here,
    // before any synthesis thread exists).
    let (key, value) = spec.process_env().unwrap();
    // SAFETY: this test binary sets this variable in this test only, before piper starts.
    unsafe { std::env::set_var(key, value) };
    let tts = Tts::start(spec, 1).unwrap();
    let pcm = tts.synthesize("Hello, this is the senior hotline.").await.unwrap();
    assert_eq!(pcm.rate, 8000);
    let seconds = pcm.samples.len() as f64 / 8000.0;
    assert!((1.0..6.0).contains(&seconds), "{seconds} s");
    let rms = (pcm.samples.iter().map(|&s| (s as f64).powi(2)).sum::<f64>() / pcm.samples.len() as f64).sqrt();
    assert!(rms > 300.0, "rms {rms}");
}

#[test]
fn a_missing_voice_file_is_named() {
    let spec = VoiceSpec::Pico { lang: "de-DE".into(), dir: "/nonexistent/pico".into(), rate: 85 };
    let err = Tts::start(&spec, 1).expect_err("must fail").to_string();
    assert!(err.contains("/nonexistent/pico") && err.contains("setup.sh"), "{err}");
    let spec = VoiceSpec::Piper {
        model: "/nonexistent/voice.onnx".into(),
        rate: 100,
        speaker: None,
        onnxruntime: "/nonexistent/libonnxruntime.so".into(),
        espeak_data: "/usr/lib".into(),
    };
    let err = Tts::start(&spec, 1).expect_err("must fail").to_string();
    assert!(err.contains("/nonexistent/voice.onnx"), "{err}");
}

#[test]
fn a_missing_whisper_model_is_named() {
    let err = Stt::load(std::path::Path::new("/nonexistent/ggml.bin"), 1).err().expect("must fail").to_string();
    assert!(err.contains("/nonexistent/ggml.bin") && err.contains("setup.sh"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_prompts_are_rendered_once_and_then_read_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    let texts = ["Guten Tag.", "Auf Wiederhören!"];
    let first = PromptAudio::new(Tts::start(voices().voice("de").unwrap(), 1).unwrap(), dir.path().to_path_buf());
    let stats = first.render_all(texts).await.unwrap();
    assert_eq!((stats.synthesised, stats.from_disk), (2, 0));
    let fresh = PromptAudio::new(Tts::start(voices().voice("de").unwrap(), 1).unwrap(), dir.path().to_path_buf());
    let stats = fresh.render_all(texts).await.unwrap();
    assert_eq!((stats.synthesised, stats.from_disk), (0, 2));
    assert_eq!(*first.cached("Guten Tag.").await.unwrap(), *fresh.cached("Guten Tag.").await.unwrap());
    // Personal text is never written to the cache.
    fresh.dynamic("Erika Mustermann").await.unwrap();
    assert_eq!(std::fs::read_dir(fresh.cache_dir()).unwrap().count(), 2);
}

fn whisper() -> Arc<Stt> {
    Arc::new(Stt::load(&root().join("voices/whisper/ggml-base.bin"), 2).expect("whisper model (run scripts/setup.sh)"))
}

/// A caller who answers after a second and then waits, on a slightly noisy line.
fn answer_on_a_line(speech: &Pcm) -> Vec<i16> {
    let mut seed = 17u32;
    let mut audio = vec![0i16; 8000];
    audio.extend(&speech.samples);
    audio.resize(audio.len() + 12_000, 0);
    audio.resize(audio.len().next_multiple_of(FRAME_SAMPLES), 0);
    audio
        .iter()
        .map(|&s| {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            s.saturating_add(((seed >> 16) as i16 as i32 * 60 / 32768) as i16)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_endpointer_cuts_our_voice_out_of_a_line_for_the_recogniser() {
    let tts = Tts::start(voices().voice("de").unwrap(), 1).unwrap();
    let stt = whisper();
    let sentence = "Ich brauche einen Fahrdienst.";
    let spoken = through_the_phone(&tts.synthesize(sentence).await.unwrap());
    let line = answer_on_a_line(&spoken);
    let mut vad = Endpointer::new(VadConfig::default());
    let events: Vec<(usize, VadEvent)> =
        line.chunks_exact(FRAME_SAMPLES).enumerate().filter_map(|(i, f)| vad.push(f.try_into().unwrap()).map(|e| (i, e))).collect();
    assert!(matches!(events[..], [(_, VadEvent::SpeechStarted), (_, VadEvent::Utterance(_))]), "{events:?}");
    // Speech starts at frame 50 (Pico adds a little silence of its own).
    assert!((50..=70).contains(&events[0].0), "started at frame {}", events[0].0);
    let VadEvent::Utterance(utterance) = events[1].1.clone() else { unreachable!() };
    assert!(utterance.duration_ms() < spoken.duration_ms() + 600, "{} ms", utterance.duration_ms());
    let hint = "Angebote, Fahrdienst, Rückruf, Mitarbeiter.";
    let text = tokio::task::spawn_blocking(move || stt.transcribe(&utterance, &Listen::hint(hint)).unwrap().text).await.unwrap();
    // Whisper sometimes hears the last sound of the last word as "d" for "t" (it did under
    // load); the dialog's understanding allows that one edit, so the test does too.
    let (heard, said) = (words(&text), words(sentence));
    assert_eq!(heard.len(), said.len(), "heard {text:?}");
    assert_eq!(heard[..3], said[..3], "heard {text:?}");
    assert!(heard[3].starts_with("fahrdiens"), "heard {text:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pool_recognises_refuses_when_full_and_counts() {
    let tts = Tts::start(voices().voice("de").unwrap(), 1).unwrap();
    let pool = SttPool::start(whisper(), &PoolConfig { workers: 1, threads_per_worker: 2, queue: 1 }).unwrap();
    let line = through_the_phone(&tts.synthesize("Ja, das ist richtig.").await.unwrap());
    let first = pool.transcribe(line.clone(), Listen::hint("Ja, nein."));
    while pool.queue_len() > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    let second = pool.transcribe(line.clone(), Listen::hint("Ja, nein."));
    assert_eq!(pool.queue_len(), 1);
    let third = pool.transcribe(line.clone(), Listen::hint("Ja, nein.")).await;
    assert!(matches!(third, Err(PoolError::Busy { queued: 1 })), "{third:?}");
    let first = first.await.unwrap();
    // The worker has taken the second answer: what comes now waits in the queue.
    while pool.queue_len() > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    // A caller who hangs up while waiting costs no recognition. (Dropped while the worker
    // was idle, the worker could take it before the hang-up is seen: then it is recognised.)
    drop(pool.transcribe(line.clone(), Listen::default()));
    let second = second.await.unwrap();
    for answer in [&first, &second] {
        assert_eq!(words(&answer.transcript.text), words("Ja, das ist richtig."), "{answer:?}");
    }
    assert!(second.queue_wait >= first.recognition / 2, "{:?} waited behind {:?}", second.queue_wait, first.recognition);
    while pool.queue_len() > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    let last = pool.transcribe(line, Listen::default()).await.unwrap();
    assert!(!last.transcript.text.is_empty());
    let m = pool.metrics();
    assert_eq!((m.submitted, m.completed, m.rejected, m.abandoned, m.failed), (4, 3, 1, 1, 0), "{m:?}");
    assert_eq!(m.recognition.len(), 3);
}

/// The keyword spotter's model is built reproducibly: the same specification trains the
/// same network (up to the rounding of sums, whose order rustpotter takes from a hash map),
/// another seed another one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_keyword_specification_trains_the_same_model() {
    use rustpotter::{WakewordLoad, WakewordModel};
    use seniorentelefon::speech::keywords;
    let VoiceSpec::Pico { dir, .. } = voices().voice("de").unwrap().clone() else { panic!("the prompt voice is Pico") };
    let work = tempfile::tempdir().unwrap();
    let spec = |seed: u64| {
        format!(
            r#"mfcc_size = 16
negatives = ["Guten Tag, hier spricht Hilde Schneider.", "Am Donnerstag um halb zehn beim Zahnarzt."]
[detector]
threshold = 0.7
min_scores = 5
score_ref = 0.22
[training]
window_ms = 1300
epochs = 20
learning_rate = 0.03
negative_hop_ms = 400
places = 3
seed = {seed}
[[keywords]]
name = "hilfe"
say = ["Hilfe"]
[[keywords]]
name = "zurueck"
say = ["zurück"]
[[voices]]
engine = "pico"
rate = 100
pitch = 1.0
[[voices]]
engine = "espeak"
voice = "de+m2"
speed = 120
pitch = 40
"#
        )
    };
    let mut renderer = Renderer::new(work.path().join("speech"), dir);
    let mut models = Vec::new();
    for (name, seed) in [("a", 1), ("b", 1), ("c", 2)] {
        let spec_path = work.path().join(format!("{name}.toml"));
        std::fs::write(&spec_path, spec(seed)).unwrap();
        let out = work.path().join(name);
        let summary = keywords::build(&spec_path, &out, &mut renderer, true).await.unwrap();
        assert!(!summary.up_to_date);
        models.push(WakewordModel::load_from_file(&out.join("keywords.rpw").to_string_lossy()).unwrap());
    }
    let weights = |m: &WakewordModel| -> Vec<(String, Vec<f32>)> {
        let mut layers: Vec<(String, Vec<f32>)> = m
            .weights
            .iter()
            .map(|(name, t)| (name.clone(), t.bytes.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect()))
            .collect();
        layers.sort_by(|a, b| a.0.cmp(&b.0));
        layers
    };
    let largest_difference = |a: &WakewordModel, b: &WakewordModel| {
        weights(a)
            .iter()
            .zip(weights(b))
            .flat_map(|((na, wa), (nb, wb))| {
                assert_eq!(na, &nb);
                wa.iter().zip(wb).map(|(x, y)| (x - y).abs()).collect::<Vec<_>>()
            })
            .fold(0.0f32, f32::max)
    };
    // The labels in the order of the specification, whatever order training met them in.
    for m in &models {
        assert_eq!(m.labels, ["hilfe", "zurueck", "none"]);
    }
    let same = largest_difference(&models[0], &models[1]);
    let other = largest_difference(&models[0], &models[2]);
    assert!(same < 1e-4, "two trainings of one specification differ by up to {same}");
    assert!(other > 0.05, "another seed gave nearly the same network ({other})");
}
