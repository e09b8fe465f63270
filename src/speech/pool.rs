//! The speech recognition workers all calls share: a few dedicated threads, each with its
//! own whisper state, behind a bounded queue.
//!
//! Recognition is CPU-bound and takes hundreds of milliseconds, so it never runs on the
//! async reactor: a call submits its utterance and awaits a oneshot answer. The queue is
//! bounded: when it is full the call hears "einen Moment bitte" or is asked to use the
//! keypad ([`PoolError::Busy`]) instead of waiting without end, and [`SttPool::queue_len`]
//! lets it say so before it waits. Workers skip utterances whose caller has stopped waiting
//! (hung up). Timings are kept for the bench and for monitoring.

use super::stt::{Listen, Stt, SttError, Transcript};
use crate::audio::Pcm;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::future::Future;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, mpsc};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Samples of each timing kept for [`SttPool::metrics`] (the most recent ones).
const MAX_SAMPLES: usize = 4096;

/// Recognition workers (`[speech.recognition]` in the configuration).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PoolConfig {
    /// Utterances recognised at the same time.
    pub workers: usize,
    /// Cores one recognition uses. `workers * threads_per_worker` should not exceed the
    /// machine's cores: whisper's threads spin while they wait for each other.
    pub threads_per_worker: usize,
    /// Utterances that may wait for a worker; one more is refused as busy.
    pub queue: usize,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig { workers: 2, threads_per_worker: 1, queue: 8 }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error("speech recognition is busy ({queued} utterances waiting)")]
    Busy { queued: usize },
    #[error("speech recognition workers have stopped")]
    Stopped,
    #[error(transparent)]
    Recognition(#[from] SttError),
}

/// A transcript and how long it took.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolTranscript {
    pub transcript: Transcript,
    /// From submission until a worker took the utterance.
    pub queue_wait: Duration,
    /// The worker's time on it.
    pub recognition: Duration,
}

/// Counts and timings since the pool started.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PoolMetrics {
    pub submitted: u64,
    pub completed: u64,
    pub failed: u64,
    /// Refused with [`PoolError::Busy`].
    pub rejected: u64,
    /// Dropped unrecognised because nobody was waiting for them any more.
    pub abandoned: u64,
    /// The most recent queue waits and recognition times (of completed utterances).
    pub queue_wait: Vec<Duration>,
    pub recognition: Vec<Duration>,
}

struct Job {
    audio: Pcm,
    listen: Listen,
    queued: Instant,
    reply: oneshot::Sender<Result<PoolTranscript, PoolError>>,
}

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Job>,
    closed: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    ready: Condvar,
    capacity: usize,
    metrics: Mutex<PoolMetrics>,
}

impl Shared {
    fn queue(&self) -> MutexGuard<'_, Queue> {
        // A worker that panicked while holding the lock left a consistent queue behind.
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn metrics(&self) -> MutexGuard<'_, PoolMetrics> {
        self.metrics.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Closes the queue when the last handle goes; workers finish what is queued and exit.
struct Closer(Arc<Shared>);

impl Drop for Closer {
    fn drop(&mut self) {
        self.0.queue().closed = true;
        self.0.ready.notify_all();
    }
}

/// Handle to the recognition workers; cheap to clone.
#[derive(Clone)]
pub struct SttPool {
    shared: Arc<Shared>,
    _closer: Arc<Closer>,
}

impl SttPool {
    /// Starts `config.workers` threads, each with its own recogniser for `stt`. Fails
    /// (leaving no threads behind) if a recogniser cannot be created.
    pub fn start(stt: Arc<Stt>, config: &PoolConfig) -> Result<SttPool, PoolError> {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            ready: Condvar::new(),
            capacity: config.queue,
            metrics: Mutex::new(PoolMetrics::default()),
        });
        let closer = Arc::new(Closer(Arc::clone(&shared)));
        for i in 0..config.workers.max(1) {
            let (ready_tx, ready_rx) = mpsc::channel();
            let (stt, shared, threads) = (Arc::clone(&stt), Arc::clone(&shared), config.threads_per_worker);
            std::thread::Builder::new()
                .name(format!("stt-{i}"))
                .spawn(move || match stt.recognizer(threads) {
                    Ok(recognizer) => {
                        let _ = ready_tx.send(Ok(()));
                        work(&shared, recognizer);
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                })
                .map_err(|e| SttError::Recognition(format!("cannot start a recognition thread: {e}")))?;
            // On error `closer` drops here and the workers already started exit.
            ready_rx.recv().map_err(|_| PoolError::Stopped)??;
        }
        Ok(SttPool { shared, _closer: closer })
    }

    /// Queues `audio` for recognition at once (or refuses it when the queue is full); the
    /// future resolves when it is recognised. `listen`: see [`Stt::transcribe`].
    pub fn transcribe(&self, audio: Pcm, listen: Listen) -> impl Future<Output = Result<PoolTranscript, PoolError>> + use<> {
        let (reply, answer) = oneshot::channel();
        let submitted = self.submit(Job { audio, listen, queued: Instant::now(), reply });
        async move {
            submitted?;
            answer.await.map_err(|_| PoolError::Stopped)?
        }
    }

    fn submit(&self, job: Job) -> Result<(), PoolError> {
        let mut queue = self.shared.queue();
        let queued = queue.jobs.len();
        let mut metrics = self.shared.metrics();
        if queued >= self.shared.capacity {
            metrics.rejected += 1;
            return Err(PoolError::Busy { queued });
        }
        metrics.submitted += 1;
        queue.jobs.push_back(job);
        self.shared.ready.notify_one();
        Ok(())
    }

    /// Utterances waiting for a worker (not counting those being recognised).
    pub fn queue_len(&self) -> usize {
        self.shared.queue().jobs.len()
    }

    pub fn metrics(&self) -> PoolMetrics {
        self.shared.metrics().clone()
    }
}

fn work(shared: &Shared, mut recognizer: super::stt::Recognizer) {
    loop {
        let job = {
            let mut queue = shared.queue();
            loop {
                if let Some(job) = queue.jobs.pop_front() {
                    break job;
                }
                if queue.closed {
                    return;
                }
                queue = shared.ready.wait(queue).unwrap_or_else(|e| e.into_inner());
            }
        };
        let queue_wait = job.queued.elapsed();
        if job.reply.is_closed() {
            shared.metrics().abandoned += 1;
            continue;
        }
        let started = Instant::now();
        let result = recognizer.transcribe(&job.audio, &job.listen);
        let recognition = started.elapsed();
        {
            let mut m = shared.metrics();
            match &result {
                Ok(_) => {
                    m.completed += 1;
                    push_sample(&mut m.queue_wait, queue_wait);
                    push_sample(&mut m.recognition, recognition);
                }
                Err(e) => {
                    m.failed += 1;
                    tracing::warn!(error = %e, "speech recognition failed");
                }
            }
        }
        let _ = job.reply.send(result.map(|transcript| PoolTranscript { transcript, queue_wait, recognition }).map_err(PoolError::from));
    }
}

fn push_sample(samples: &mut Vec<Duration>, sample: Duration) {
    if samples.len() == MAX_SAMPLES {
        samples.remove(0);
    }
    samples.push(sample);
}
