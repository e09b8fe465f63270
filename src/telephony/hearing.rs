//! The caller's side of a call: finds answers in the incoming audio and has them
//! recognised by the workers all calls share. The call task sees only "the caller started
//! talking" (stop the prompt) and transcripts, in the order they were spoken.
//!
//! The line is listened to all the time, so a caller who answers over the prompt or
//! before it has ended is heard; but only while the dialog waits for an answer, so a cough
//! during the goodbye interrupts nothing.

use crate::audio::vad::{Endpointer, VadConfig, VadEvent};
use crate::audio::{Frame, Pcm};
use crate::speech::pool::{PoolError, PoolTranscript, SttPool};
use crate::speech::stt::Listen;
use futures_util::StreamExt;
use futures_util::stream::FuturesOrdered;
use std::pin::Pin;
use std::sync::Arc;
use tokio::time::Instant;

/// What a frame of caller audio led to.
#[derive(Debug, Clone, PartialEq)]
pub enum Heard {
    /// The caller started talking (long enough not to be a click): stop the prompt.
    SpeechStarted,
    /// An answer went to recognition; `queued` answers of any call were waiting for a
    /// worker before it, so this one waits too.
    Submitted { queued: usize },
}

/// A recognised answer.
#[derive(Debug)]
pub struct Recognised {
    /// When the caller stopped talking (the endpoint).
    pub ended: Instant,
    pub result: Result<PoolTranscript, PoolError>,
}

type Recognition = Pin<Box<dyn Future<Output = Recognised> + Send>>;

pub struct Ears {
    endpointer: Endpointer,
    pool: Arc<SttPool>,
    /// Answers being recognised, in speaking order.
    pending: FuturesOrdered<Recognition>,
}

impl Ears {
    pub fn new(pool: Arc<SttPool>, vad: VadConfig) -> Ears {
        Ears { endpointer: Endpointer::new(vad), pool, pending: FuturesOrdered::new() }
    }

    /// Feeds one frame. `listening` is asked only when something was heard: the words the
    /// dialog expects now (see [`Listen`]), or `None` when it waits for no answer.
    pub fn hear(&mut self, frame: &Frame, listening: impl FnOnce() -> Option<Listen>) -> Option<Heard> {
        match self.endpointer.push(frame)? {
            // The call has its own timeout for silence; keep listening.
            VadEvent::NoSpeech => {
                self.endpointer.reset();
                None
            }
            VadEvent::SpeechStarted => listening().map(|_| Heard::SpeechStarted),
            VadEvent::Utterance(audio) => {
                self.endpointer.reset();
                let listen = listening()?;
                Some(self.submit(audio, listen))
            }
        }
    }

    fn submit(&mut self, audio: Pcm, listen: Listen) -> Heard {
        let ended = Instant::now();
        let queued = self.pool.queue_len();
        let recognition = self.pool.transcribe(audio, listen);
        self.pending.push_back(Box::pin(async move { Recognised { ended, result: recognition.await } }));
        Heard::Submitted { queued }
    }

    /// Whether answers are being recognised.
    pub fn waiting(&self) -> bool {
        !self.pending.is_empty()
    }

    /// The next recognised answer; pending forever when none is waiting.
    pub async fn next(&mut self) -> Recognised {
        match self.pending.next().await {
            Some(recognised) => recognised,
            None => std::future::pending().await,
        }
    }

    /// The caller answered by key: what they said before no longer counts, and what
    /// they are saying now starts a new answer.
    pub fn forget(&mut self) {
        self.pending = FuturesOrdered::new();
        self.endpointer.reset();
    }

    /// The caller said a keyword: neither what they said before nor the rest of what they
    /// are saying now is an answer ("Mitarbeiter, bitte").
    pub fn forget_utterance(&mut self) {
        self.pending = FuturesOrdered::new();
        self.endpointer.discard();
    }
}
