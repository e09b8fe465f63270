//! `hotline bench speech --quick --json` runs the whole pipeline on a few utterances and
//! reports every figure (whether the targets are met is the bench's business, not this
//! test's).

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

fn figure<'a>(report: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(report, |v, key| &v[key])
}

#[test]
fn the_quick_speech_bench_reports_every_figure() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let cache = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(["bench", "speech", "--quick", "--json", "--cache"])
        .arg(cache.path())
        .current_dir(&root)
        .env("HOTLINE_TWILIO_SKIP_SIGNATURE_CHECK", "true")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "bench failed:\n{stderr}");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    assert_eq!(report["quick"], true);
    let mut missing = Vec::new();
    for class in ["short", "medium", "long"] {
        for p in ["p50_ms", "p95_ms"] {
            let path = format!("stt_single.{class}.{p}");
            if !figure(&report, &path).is_number() {
                missing.push(path);
            }
        }
    }
    let mut wrong = 0;
    for class in ["menu", "yes/no", "number", "date", "time"] {
        let a = &report["understanding"][class];
        if !a["percent"].is_number() {
            missing.push(format!("understanding.{class}"));
        }
        let count = |key: &str| a[key].as_u64().unwrap_or_else(|| panic!("understanding.{class}.{key}: {a}"));
        assert!(count("correct") + count("wrong") <= count("total"), "{a}");
        wrong += count("wrong");
    }
    // Wrong guesses are the misses that were understood as something.
    let misses = report["misses"].as_array().unwrap();
    assert_eq!(misses.iter().filter(|m| !m["understood"].is_null()).count() as u64, wrong, "{misses:#?}");
    for path in [
        "stt_concurrent.latency.p95_ms",
        "stt_concurrent.answered",
        "stt_concurrent.lost",
        "stt_concurrent.queue_wait.p95_ms",
        "real_time_factor",
        "wer.all_percent",
        "wer.clean_percent",
        "wer.noisy_percent",
        "end_to_understood.trailing_wait.p50_ms",
        "end_to_understood.short.p50_ms",
        "end_to_understood.short.p95_ms",
        "end_to_understood.all.p95_ms",
        "vad.missed",
        "vad.false_starts_on_tones",
        "tts.cached_memory.p95_ms",
        "tts.cached_disk.p95_ms",
        "tts.dynamic.p50_ms",
        "tts.dynamic.p95_ms",
        "dtmf.clean.percent",
        "dtmf.noisy.percent",
        "dtmf.talk_off",
    ] {
        if !figure(&report, path).is_number() {
            missing.push(path.to_string());
        }
    }
    let targets = report["targets"].as_array().unwrap();
    assert!(targets.len() >= 13, "{targets:?}");
    missing.extend(targets.iter().filter(|t| !t["measured"].is_number()).map(|t| format!("target {}", t["name"])));
    assert!(missing.is_empty(), "missing figures: {missing:?}\n{report:#}");
    // None lost with four callers, and every quick sample was recognised.
    assert_eq!(report["stt_concurrent"]["lost"], 0);
    assert_eq!(report["stt_concurrent"]["answered"], report["stt_concurrent"]["utterances"]);
}
