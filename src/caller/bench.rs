//! `hotline bench calls`: many simulated callers at once against a real `hotline serve`
//! on 127.0.0.1, started as a child process so that its CPU time and memory are its own.
//!
//! Figures: outgoing frame lateness and intervals (from the server's `/metrics`), key press
//! to first answer frame (as the callers hear it), the longest gap inside a prompt (the
//! callers see prompt ends through Twilio marks), CPU and memory per call (from `/proc`),
//! failures, and whether every caller's request is in the database.

use super::{CallOptions, CallReport, dial, parse_script};
use crate::config::Config;
use crate::db::Db;
use crate::domain::directory::DirectoryFile;
use crate::speech::tts::{Tts, VoicesConfig};
use crate::telephony::metrics::{ScrapedHistogram, scrape_value};
use anyhow::{Context, bail};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// The default script: a callback request by keypad.
pub const KEYPAD_CALLBACK: &str = "3,1,1,3,2";
/// The same request answered by voice.
pub const SPOKEN_CALLBACK: &str =
    r#"say:"Einen Rückruf, bitte." say:"Es geht um die Pflege meiner Mutter." say:"Ja, genau." say:"Egal." say:"Nein, danke.""#;

/// What speaking callers need: the hotline's recogniser and a voice to speak with.
#[derive(Clone)]
pub struct BenchSpeech {
    pub whisper_model: PathBuf,
    pub voice: Arc<Tts>,
}

impl std::fmt::Debug for BenchSpeech {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BenchSpeech").field("whisper_model", &self.whisper_model).finish_non_exhaustive()
    }
}

/// The recogniser of `config` (or the one setup installs) and its language's voice for
/// the callers.
pub fn speech_for_bench(config: &Config) -> anyhow::Result<BenchSpeech> {
    let whisper_model = match &config.speech.whisper_model {
        m if m.as_os_str().is_empty() => PathBuf::from("voices/whisper/ggml-base.bin"),
        m => m.clone(),
    };
    if !whisper_model.is_file() {
        bail!("{} is missing: run scripts/setup.sh, or set speech.whisper_model", whisper_model.display());
    }
    let whisper_model = whisper_model.canonicalize()?;
    let voices = VoicesConfig::load(&config.speech.voices)?;
    let voice = Arc::new(Tts::start(voices.voice(&config.speech.language)?, 1)?);
    Ok(BenchSpeech { whisper_model, voice })
}

#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub calls: usize,
    /// Calls start evenly spread over this time, as they would arrive in real life.
    pub ramp: Duration,
    /// `twilio` or `audiosocket`.
    pub transport: String,
    /// What every caller does; the default requests a callback by keypad (a ticket each).
    pub script: String,
    /// Callers speak, and the hotline listens.
    pub speech: Option<BenchSpeech>,
    /// The `hotline` executable to serve with, and its configuration file (voices, prompts).
    pub hotline: PathBuf,
    pub config: Option<PathBuf>,
    pub directory: PathBuf,
}

#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub calls: usize,
    pub transport: String,
    pub script: String,
    pub completed: usize,
    pub failed: usize,
    pub failures: Vec<String>,
    /// Tickets found in the database afterwards (the default script stores one per call).
    pub tickets: i64,
    pub wall_seconds: f64,
    pub frames_sent: u64,
    pub frames_dropped: u64,
    /// Caller frames the server dropped because a call was not keeping up.
    pub caller_frames_dropped: u64,
    pub frame_lateness_p50_ms: Option<f64>,
    pub frame_lateness_p99_ms: Option<f64>,
    pub frame_interval_p99_ms: Option<f64>,
    /// Longest time between two frames inside a prompt, measured where they leave.
    pub frame_interval_max_ms: Option<f64>,
    /// Longest gap inside a prompt as the callers received it (Twilio marks only).
    pub caller_longest_gap_ms: Option<f64>,
    pub answer_latency_p50_ms: Option<f64>,
    pub answer_latency_p95_ms: Option<f64>,
    pub answer_latency_max_ms: Option<f64>,
    /// Spoken answers recognised, and those that could not be (busy or failed).
    pub utterances: u64,
    pub recognition_failed: u64,
    /// Times a caller heard "einen Moment bitte" while their answer was recognised.
    pub one_moment: u64,
    /// End of a spoken answer to its transcript.
    pub recognition_p50_ms: Option<f64>,
    pub recognition_p95_ms: Option<f64>,
    /// End of a spoken answer to the first frame of the reply.
    pub speech_answer_p50_ms: Option<f64>,
    pub speech_answer_p95_ms: Option<f64>,
    pub speech_answer_max_ms: Option<f64>,
    pub server_cpu_seconds: f64,
    /// Server CPU per call, in percent of one core.
    pub cpu_per_call_percent: f64,
    pub rss_idle_mib: f64,
    pub rss_peak_mib: f64,
    /// Peak active calls while memory was sampled, and memory per call at that moment.
    pub peak_active_calls: u64,
    pub memory_per_call_mib: f64,
}

/// The served child process; killed when dropped.
struct Served {
    child: Child,
    base: String,
    audiosocket: String,
    token: String,
    db_url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

async fn serve(options: &BenchOptions) -> anyhow::Result<Served> {
    let dir = tempfile::tempdir()?;
    let (http, audiosocket) = (free_port()?, free_port()?);
    let db_url = format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display());
    let db = Db::connect(&db_url).await?;
    db.migrate().await?;
    let directory = std::fs::read_to_string(&options.directory).with_context(|| format!("cannot read {}", options.directory.display()))?;
    DirectoryFile::parse(&directory).map_err(anyhow::Error::msg)?.import(&db).await?;
    db.close().await;
    let token = format!("bench-{}", uuid::Uuid::new_v4().simple());
    let mut command = Command::new(&options.hotline);
    if let Some(config) = &options.config {
        command.arg("--config").arg(config);
    }
    let log = std::fs::File::create(dir.path().join("serve.log"))?;
    if let Some(speech) = &options.speech {
        command.env("HOTLINE_SPEECH_WHISPER_MODEL", &speech.whisper_model);
    }
    let child = command
        .arg("serve")
        .env("HOTLINE_SERVER_LISTEN", format!("127.0.0.1:{http}"))
        .env("HOTLINE_SERVER_PUBLIC_URL", format!("http://127.0.0.1:{http}"))
        .env("HOTLINE_SERVER_DATA_DIR", dir.path())
        .env("HOTLINE_DATABASE_URL", &db_url)
        .env("HOTLINE_TWILIO_AUTH_TOKEN", &token)
        .env("HOTLINE_AUDIOSOCKET_LISTEN", format!("127.0.0.1:{audiosocket}"))
        .env("HOTLINE_AUDIOSOCKET_TOKEN", &token)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .with_context(|| format!("cannot start {}", options.hotline.display()))?;
    let served = Served {
        child,
        base: format!("http://127.0.0.1:{http}"),
        audiosocket: format!("127.0.0.1:{audiosocket}"),
        token,
        db_url,
        _dir: dir,
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if reqwest::get(format!("{}/healthz", served.base)).await.is_ok_and(|r| r.status().is_success()) {
            return Ok(served);
        }
        if Instant::now() > deadline {
            let log = std::fs::read_to_string(served._dir.path().join("serve.log")).unwrap_or_default();
            bail!("the hotline did not come up within 120 s:\n{log}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// CPU seconds (user + system, all threads) and resident memory of a process.
fn process_usage(pid: u32) -> anyhow::Result<(f64, f64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let fields: Vec<&str> = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("").split_whitespace().collect();
    let ticks: f64 = fields.get(11).and_then(|u| u.parse::<f64>().ok()).unwrap_or(0.0)
        + fields.get(12).and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0);
    // SAFETY: sysconf has no preconditions.
    let per_sec = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let rss_kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    Ok((ticks / per_sec, rss_kib / 1024.0))
}

async fn scrape(base: &str) -> anyhow::Result<String> {
    Ok(reqwest::get(format!("{base}/metrics")).await?.error_for_status()?.text().await?)
}

fn ms(d: Option<Duration>) -> Option<f64> {
    d.map(|d| if d == Duration::MAX { f64::INFINITY } else { d.as_secs_f64() * 1000.0 })
}

/// The `q` quantile of sorted durations (nearest rank).
pub fn percentile(sorted: &[Duration], q: f64) -> Option<Duration> {
    (!sorted.is_empty()).then(|| sorted[((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1])
}

pub async fn run(options: &BenchOptions) -> anyhow::Result<BenchReport> {
    let steps = parse_script(&options.script)?;
    let served = serve(options).await?;
    let pid = served.child.id();
    // Let start-up work (prompt rendering) settle before the idle reading.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (cpu_before, rss_idle) = process_usage(pid)?;
    let metrics_before = scrape(&served.base).await?;

    let mut caller = CallOptions::new(&served.base, "+4923155512345", steps).signed_with(&served.token);
    caller.max_duration = Duration::from_secs(600);
    if let Some(speech) = &options.speech {
        caller.voice = Some(Arc::clone(&speech.voice));
        // Time for an "einen Moment bitte" before the answer, as a patient caller would wait.
        caller.think = Duration::from_millis(1500);
    }
    if options.transport == "audiosocket" {
        caller = caller.over_audiosocket(&served.audiosocket, &served.token);
    } else if options.transport != "twilio" {
        bail!("transport must be twilio or audiosocket, not {:?}", options.transport);
    }
    let started = Instant::now();
    let tasks: Vec<_> = (0..options.calls)
        .map(|i| {
            let caller = caller.clone();
            let delay = options.ramp.mul_f64(i as f64 / options.calls.max(1) as f64);
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                dial(&caller, None).await
            })
        })
        .collect();
    // Sample memory while the calls run; remember it at the most calls at once.
    let (mut rss_peak, mut rss_at_peak_calls, mut peak_active) = (rss_idle, rss_idle, 0u64);
    while tasks.iter().any(|t| !t.is_finished()) {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (_, rss) = process_usage(pid)?;
        rss_peak = rss_peak.max(rss);
        let active = scrape(&served.base).await.ok().and_then(|m| scrape_value(&m, "hotline_calls_active")).unwrap_or(0.0) as u64;
        if active > peak_active || (active == peak_active && rss > rss_at_peak_calls) {
            (peak_active, rss_at_peak_calls) = (active, rss);
        }
    }
    let mut reports: Vec<CallReport> = Vec::new();
    let mut failures = Vec::new();
    for task in tasks {
        match task.await {
            Ok(Ok(report)) if report.hung_up_by_hotline || options.script.contains("hangup") => reports.push(report),
            Ok(Ok(report)) => failures.push(format!("call {} did not end properly: {:?}", report.call_id, report.lines.last())),
            Ok(Err(e)) => failures.push(format!("{e:#}")),
            Err(e) => failures.push(format!("caller task failed: {e}")),
        }
    }
    let wall = started.elapsed();
    // The server records each call's end just after hanging up.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (cpu_after, _) = process_usage(pid)?;
    let metrics_after = scrape(&served.base).await?;
    let db = Db::connect(&served.db_url).await?;
    let tickets: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tickets").fetch_one(db.pool()).await?;
    db.close().await;

    let hist = |name: &str| ScrapedHistogram::parse(&metrics_after, name).since(&ScrapedHistogram::parse(&metrics_before, name));
    let lateness = hist("hotline_frame_lateness_seconds");
    let recognition = hist("hotline_recognition_latency_seconds");
    let speech_answer = hist("hotline_speech_answer_latency_seconds");
    let interval = hist("hotline_frame_interval_seconds");
    let counter =
        |name: &str| (scrape_value(&metrics_after, name).unwrap_or(0.0) - scrape_value(&metrics_before, name).unwrap_or(0.0)) as u64;
    let mut latencies: Vec<Duration> = reports.iter().flat_map(|r| r.turn_latencies.iter().copied()).collect();
    latencies.sort();
    let call_seconds: f64 = reports.iter().map(|r| r.received.duration_ms() as f64 / 1000.0).sum::<f64>().max(1.0);
    let cpu = cpu_after - cpu_before;
    let with_marks = reports.iter().filter(|r| !r.played.is_empty());
    Ok(BenchReport {
        calls: options.calls,
        transport: options.transport.clone(),
        script: options.script.clone(),
        completed: reports.len(),
        failed: failures.len(),
        failures,
        tickets,
        wall_seconds: wall.as_secs_f64(),
        frames_sent: counter("hotline_frames_sent_total"),
        frames_dropped: counter("hotline_frames_dropped_total"),
        caller_frames_dropped: counter("hotline_caller_frames_dropped_total"),
        frame_lateness_p50_ms: ms(lateness.quantile(0.5)),
        frame_lateness_p99_ms: ms(lateness.quantile(0.99)),
        frame_interval_p99_ms: ms(interval.quantile(0.99)),
        frame_interval_max_ms: scrape_value(&metrics_after, "hotline_frame_interval_max_seconds").map(|s| s * 1000.0),
        caller_longest_gap_ms: with_marks.map(|r| r.longest_gap).max().map(|d| d.as_secs_f64() * 1000.0),
        answer_latency_p50_ms: ms(percentile(&latencies, 0.5)),
        answer_latency_p95_ms: ms(percentile(&latencies, 0.95)),
        answer_latency_max_ms: ms(latencies.last().copied()),
        utterances: counter("hotline_utterances_total"),
        recognition_failed: counter("hotline_recognition_failed_total"),
        one_moment: counter("hotline_one_moment_total"),
        recognition_p50_ms: ms(recognition.quantile(0.5)),
        recognition_p95_ms: ms(recognition.quantile(0.95)),
        speech_answer_p50_ms: ms(speech_answer.quantile(0.5)),
        speech_answer_p95_ms: ms(speech_answer.quantile(0.95)),
        speech_answer_max_ms: ms(speech_answer.quantile(1.0)),
        server_cpu_seconds: cpu,
        cpu_per_call_percent: cpu / call_seconds * 100.0,
        rss_idle_mib: rss_idle,
        rss_peak_mib: rss_peak,
        peak_active_calls: peak_active,
        memory_per_call_mib: if peak_active > 0 { (rss_at_peak_calls - rss_idle).max(0.0) / peak_active as f64 } else { 0.0 },
    })
}

fn show(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.1}")).unwrap_or_else(|| "-".into())
}

/// The report as a table, with the issue's targets beside the figures.
pub fn table(r: &BenchReport) -> String {
    let mut out = format!("{} concurrent calls over {} (script {:?}), {:.1} s\n", r.calls, r.transport, r.script, r.wall_seconds);
    let mut rows = vec![
        ("completed / failed", format!("{} / {}", r.completed, r.failed), "all complete".to_string()),
        ("tickets stored", r.tickets.to_string(), "one per callback call".into()),
        ("frames sent / dropped", format!("{} / {}", r.frames_sent, r.frames_dropped), "none dropped".into()),
        ("caller frames dropped", r.caller_frames_dropped.to_string(), "none".into()),
        ("frame lateness p50 ms", show(r.frame_lateness_p50_ms), String::new()),
        ("frame lateness p99 ms", show(r.frame_lateness_p99_ms), "< 20".into()),
        ("frame interval p99 ms", show(r.frame_interval_p99_ms), "20 is punctual".into()),
        ("longest gap in a prompt, sent ms", show(r.frame_interval_max_ms), "<= 60".into()),
        ("longest gap in a prompt, heard ms", show(r.caller_longest_gap_ms), "<= 60".into()),
        ("key -> first answer frame p50 ms", show(r.answer_latency_p50_ms), String::new()),
        ("key -> first answer frame p95 ms", show(r.answer_latency_p95_ms), "< 150".into()),
        ("key -> first answer frame max ms", show(r.answer_latency_max_ms), String::new()),
        ("server CPU s (per call, % of a core)", format!("{:.1} ({:.2} %)", r.server_cpu_seconds, r.cpu_per_call_percent), String::new()),
        ("server memory idle / peak MiB", format!("{:.1} / {:.1}", r.rss_idle_mib, r.rss_peak_mib), String::new()),
        ("memory per call MiB (at peak calls)", format!("{:.2} ({} calls)", r.memory_per_call_mib, r.peak_active_calls), "< 2".into()),
    ];
    if r.utterances > 0 {
        rows.extend([
            ("spoken answers / not recognised", format!("{} / {}", r.utterances, r.recognition_failed), "none lost".to_string()),
            ("\"einen Moment bitte\" said", r.one_moment.to_string(), "when recognition queues".into()),
            (
                "end of speech -> transcript p50 / p95 ms",
                format!("{} / {}", show(r.recognition_p50_ms), show(r.recognition_p95_ms)),
                String::new(),
            ),
            (
                "end of speech -> reply p50 / p95 / max ms",
                format!("{} / {} / {}", show(r.speech_answer_p50_ms), show(r.speech_answer_p95_ms), show(r.speech_answer_max_ms)),
                "histogram bucket bounds".into(),
            ),
        ]);
    }
    for (name, value, target) in rows {
        out.push_str(&format!("{name:<40} {value:>22}   {target}\n"));
    }
    for f in r.failures.iter().take(10) {
        out.push_str(&format!("failure: {f}\n"));
    }
    out
}

/// The executable to serve with: this one.
pub fn this_executable() -> anyhow::Result<PathBuf> {
    std::env::current_exe().context("cannot find the hotline executable")
}

/// The demo directory next to the configuration (or the working directory).
pub fn demo_directory(config: Option<&Path>) -> PathBuf {
    let base = config.and_then(Path::parent).filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    base.join("scripts/demo/directory.toml")
}
