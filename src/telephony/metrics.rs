//! Live figures of the calls in progress, served at `GET /metrics` in the Prometheus text
//! format: how punctually audio frames leave, gaps inside prompts, answer latency after a
//! key press, calls and dropped frames. `hotline bench calls` reads them too.

use crate::speech::keywords::Keyword;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the histogram buckets in milliseconds: 1 ms steps up to 100 ms (so
/// percentiles of punctual playout are exact to the millisecond), coarser above.
const BOUNDS_MS: [u64; 116] = {
    let mut b = [0u64; 116];
    let mut i = 0;
    while i < 100 {
        b[i] = i as u64 + 1;
        i += 1;
    }
    // Speech recognition takes hundreds of milliseconds to seconds: steps fine enough there.
    let coarse = [120, 150, 200, 300, 400, 500, 700, 1000, 1500, 2000, 2500, 3000, 4000, 5000, 7500, 10_000];
    let mut j = 0;
    while j < coarse.len() {
        b[100 + j] = coarse[j];
        j += 1;
    }
    b
};

/// A histogram of durations with fixed millisecond buckets; lock-free.
pub struct Histogram {
    /// One count per bucket in `BOUNDS_MS`, plus one for everything above.
    counts: [AtomicU64; BOUNDS_MS.len() + 1],
    sum_us: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram { counts: std::array::from_fn(|_| AtomicU64::new(0)), sum_us: AtomicU64::new(0) }
    }
}

impl Histogram {
    pub fn record(&self, d: Duration) {
        let ms = d.as_secs_f64() * 1000.0;
        let bucket = BOUNDS_MS.iter().position(|&b| ms <= b as f64).unwrap_or(BOUNDS_MS.len());
        self.counts[bucket].fetch_add(1, Ordering::Relaxed);
        self.sum_us.fetch_add(d.as_micros() as u64, Ordering::Relaxed);
    }

    fn write(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (i, bound) in BOUNDS_MS.iter().enumerate() {
            cumulative += self.counts[i].load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{}\"}} {cumulative}", *bound as f64 / 1000.0);
        }
        cumulative += self.counts[BOUNDS_MS.len()].load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
        let _ = writeln!(out, "{name}_sum {}", self.sum_us.load(Ordering::Relaxed) as f64 / 1e6);
        let _ = writeln!(out, "{name}_count {cumulative}");
    }
}

#[derive(Default)]
pub struct CallMetrics {
    pub active_calls: AtomicI64,
    pub calls_total: AtomicU64,
    pub frames_sent: AtomicU64,
    pub frames_dropped: AtomicU64,
    /// Caller frames a busy call could not take (see `call::forward_audio`).
    pub caller_frames_dropped: AtomicU64,
    /// How late each frame left against its real-time schedule.
    pub frame_lateness: Histogram,
    /// Time between consecutive frames inside a prompt (20 ms when punctual).
    pub frame_interval: Histogram,
    /// Key press received to the first frame of the answer sent.
    pub answer_latency: Histogram,
    /// End of a spoken answer to the first frame of the hotline's answer sent.
    pub speech_answer_latency: Histogram,
    /// End of a spoken answer to its transcript.
    pub recognition_latency: Histogram,
    /// Spoken answers sent to recognition.
    pub utterances: AtomicU64,
    /// Spoken answers that could not be recognised (recognisers busy or failed).
    pub recognition_failed: AtomicU64,
    /// "Einen Moment bitte" said while an answer was being recognised.
    pub one_moment: AtomicU64,
    /// Keywords spotted and acted on, in the order of [`Keyword::ALL`].
    keywords: [AtomicU64; Keyword::ALL.len()],
    max_interval_us: AtomicU64,
}

impl CallMetrics {
    pub fn frame_sent(&self, lateness: Duration, interval: Option<Duration>) {
        self.frames_sent.fetch_add(1, Ordering::Relaxed);
        self.frame_lateness.record(lateness);
        if let Some(interval) = interval {
            self.frame_interval.record(interval);
            self.max_interval_us.fetch_max(interval.as_micros() as u64, Ordering::Relaxed);
        }
    }

    pub fn keyword_spotted(&self, keyword: Keyword) {
        let i = Keyword::ALL.iter().position(|k| *k == keyword).expect("every keyword is in ALL");
        self.keywords[i].fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition of every figure.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let gauge = |out: &mut String, name: &str, kind: &str, help: &str, value: String| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
        };
        gauge(&mut out, "hotline_calls_active", "gauge", "Calls in progress.", self.active_calls.load(Ordering::Relaxed).to_string());
        gauge(&mut out, "hotline_calls_total", "counter", "Calls started.", self.calls_total.load(Ordering::Relaxed).to_string());
        gauge(&mut out, "hotline_frames_sent_total", "counter", "Audio frames sent.", self.frames_sent.load(Ordering::Relaxed).to_string());
        gauge(
            &mut out,
            "hotline_frames_dropped_total",
            "counter",
            "Audio frames a slow peer could not take.",
            self.frames_dropped.load(Ordering::Relaxed).to_string(),
        );
        gauge(
            &mut out,
            "hotline_caller_frames_dropped_total",
            "counter",
            "Caller audio frames dropped because the call was not keeping up.",
            self.caller_frames_dropped.load(Ordering::Relaxed).to_string(),
        );
        gauge(
            &mut out,
            "hotline_frame_interval_max_seconds",
            "gauge",
            "Longest time between two frames inside a prompt since start.",
            (self.max_interval_us.load(Ordering::Relaxed) as f64 / 1e6).to_string(),
        );
        self.frame_lateness.write(&mut out, "hotline_frame_lateness_seconds", "Frame send time minus its real-time schedule.");
        self.frame_interval.write(&mut out, "hotline_frame_interval_seconds", "Time between consecutive frames inside a prompt.");
        gauge(
            &mut out,
            "hotline_utterances_total",
            "counter",
            "Spoken answers sent to recognition.",
            self.utterances.load(Ordering::Relaxed).to_string(),
        );
        gauge(
            &mut out,
            "hotline_recognition_failed_total",
            "counter",
            "Spoken answers not recognised (recognisers busy or failing).",
            self.recognition_failed.load(Ordering::Relaxed).to_string(),
        );
        gauge(
            &mut out,
            "hotline_one_moment_total",
            "counter",
            "Times callers were asked to wait a moment while their answer was recognised.",
            self.one_moment.load(Ordering::Relaxed).to_string(),
        );
        let _ = writeln!(out, "# HELP hotline_keywords_total Keywords spotted and acted on.\n# TYPE hotline_keywords_total counter");
        for (keyword, count) in Keyword::ALL.iter().zip(&self.keywords) {
            let _ = writeln!(out, "hotline_keywords_total{{keyword=\"{}\"}} {}", keyword.name(), count.load(Ordering::Relaxed));
        }
        self.answer_latency.write(&mut out, "hotline_answer_latency_seconds", "Key press received to first answer frame sent.");
        self.speech_answer_latency.write(
            &mut out,
            "hotline_speech_answer_latency_seconds",
            "End of a spoken answer to the first frame of the reply sent.",
        );
        self.recognition_latency.write(&mut out, "hotline_recognition_latency_seconds", "End of a spoken answer to its transcript.");
        out
    }
}

/// A histogram read back from the text exposition: (upper bound in seconds, cumulative count).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScrapedHistogram {
    pub buckets: Vec<(f64, u64)>,
}

impl ScrapedHistogram {
    pub fn parse(text: &str, name: &str) -> ScrapedHistogram {
        let prefix = format!("{name}_bucket{{le=\"");
        let buckets = text
            .lines()
            .filter_map(|l| l.strip_prefix(&prefix))
            .filter_map(|rest| {
                let (le, count) = rest.split_once("\"} ")?;
                let bound = if le == "+Inf" { f64::INFINITY } else { le.parse().ok()? };
                Some((bound, count.trim().parse().ok()?))
            })
            .collect();
        ScrapedHistogram { buckets }
    }

    /// Counts recorded since `earlier` (a scrape of the same histogram).
    pub fn since(&self, earlier: &ScrapedHistogram) -> ScrapedHistogram {
        let buckets =
            self.buckets.iter().map(|&(b, c)| (b, c - earlier.buckets.iter().find(|e| e.0 == b).map(|e| e.1).unwrap_or(0))).collect();
        ScrapedHistogram { buckets }
    }

    pub fn count(&self) -> u64 {
        self.buckets.last().map(|b| b.1).unwrap_or(0)
    }

    /// The upper bound of the bucket holding quantile `q` (so "p99 ≤ x").
    pub fn quantile(&self, q: f64) -> Option<Duration> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        let rank = (q * total as f64).ceil().max(1.0) as u64;
        let bound = self.buckets.iter().find(|b| b.1 >= rank)?.0;
        Some(if bound.is_finite() { Duration::from_secs_f64(bound) } else { Duration::MAX })
    }
}

/// A single value from the text exposition.
pub fn scrape_value(text: &str, name: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_round_trips_and_gives_percentiles() {
        let m = CallMetrics::default();
        for ms in 0..100u64 {
            m.frame_sent(Duration::from_micros(ms * 100), Some(Duration::from_millis(20)));
        }
        m.frame_sent(Duration::from_millis(250), Some(Duration::from_millis(70)));
        let before = ScrapedHistogram::parse(&CallMetrics::default().render(), "hotline_frame_lateness_seconds");
        let text = m.render();
        let h = ScrapedHistogram::parse(&text, "hotline_frame_lateness_seconds").since(&before);
        assert_eq!(h.count(), 101);
        // 0.0 .. 9.9 ms: half are at most 5 ms, 99 % at most 10 ms; the 250 ms one is the max.
        assert_eq!(h.quantile(0.5), Some(Duration::from_millis(5)));
        assert_eq!(h.quantile(0.98), Some(Duration::from_millis(10)));
        assert_eq!(h.quantile(1.0), Some(Duration::from_millis(300)));
        assert_eq!(scrape_value(&text, "hotline_frames_sent_total"), Some(101.0));
        assert_eq!(scrape_value(&text, "hotline_frame_interval_max_seconds"), Some(0.07));
        assert!(text.contains("hotline_frame_lateness_seconds_bucket{le=\"+Inf\"} 101"));
    }
}
