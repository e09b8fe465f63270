//! One phone call as one task: drives the dialog, plays its prompts in real-time 20 ms
//! frames, times out silence, and commits requests before they are confirmed.

use crate::audio::{FRAME_MS, FRAME_SAMPLES, Pcm};
use crate::dialog::engine::{KnownPerson, TransferTarget};
use crate::dialog::{Action, CallContext, Dialog, Event, Say, Stored};
use crate::domain::hours::OpeningHours;
use crate::domain::tickets::{self, CreatedTicket, NewTicket};
use crate::domain::{PhoneNumber, calls, directory};
use crate::server::AppState;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until};
use tracing::Instrument;

/// From the transport to the call.
#[derive(Debug, Clone, PartialEq)]
pub enum Inbound {
    Dtmf(char),
    Hangup,
}

/// From the call to the transport.
#[derive(Debug, Clone)]
pub enum Outbound {
    /// One 20 ms frame: `FRAME_SAMPLES` samples of `clip` from `offset` (zero-padded at the end).
    Audio { clip: Arc<Pcm>, offset: usize },
    /// Marks the end of a prompt, so the provider can report when it has been played.
    Mark(String),
    /// Drop audio the provider has buffered but not yet played (barge-in).
    Clear,
    /// End the call from our side.
    Hangup,
}

/// Copies one frame of a clip, padding with silence past its end.
pub fn frame_of(clip: &Pcm, offset: usize) -> [i16; FRAME_SAMPLES] {
    let mut frame = [0i16; FRAME_SAMPLES];
    let end = (offset + FRAME_SAMPLES).min(clip.samples.len());
    if offset < end {
        frame[..end - offset].copy_from_slice(&clip.samples[offset..end]);
    }
    frame
}

/// The call's side of a transport.
pub struct CallIo {
    pub inbound: mpsc::Receiver<Inbound>,
    pub outbound: mpsc::Sender<Outbound>,
}

/// Transport facts about a call.
#[derive(Debug, Clone)]
pub struct CallMeta {
    pub transport: &'static str,
    pub provider_call_id: Option<String>,
    pub caller: Option<PhoneNumber>,
    pub called: Option<String>,
}

/// Queue of prompt clips, sent one frame per 20 ms.
struct Player {
    /// Clips with the mark to send after each (only the last piece of a prompt has one).
    queue: VecDeque<(Arc<Pcm>, Option<String>)>,
    offset: usize,
    next_due: Instant,
    marks: u64,
    /// Frames the transport could not take (logged sparsely).
    dropped: u64,
}

enum Tick {
    Sent,
    /// The transport is gone.
    Closed,
}

impl Player {
    fn new() -> Player {
        Player { queue: VecDeque::new(), offset: 0, next_due: Instant::now(), marks: 0, dropped: 0 }
    }

    fn busy(&self) -> bool {
        !self.queue.is_empty()
    }

    fn enqueue(&mut self, clip: Arc<Pcm>, mark: Option<&str>) {
        if self.queue.is_empty() {
            self.offset = 0;
            self.next_due = Instant::now();
        }
        let mark = mark.map(|name| {
            self.marks += 1;
            format!("{}:{name}", self.marks)
        });
        self.queue.push_back((clip, mark));
    }

    fn clear(&mut self) -> bool {
        let was_busy = self.busy();
        self.queue.clear();
        self.offset = 0;
        was_busy
    }

    /// Sends the next frame (and the prompt's mark after its last frame).
    fn tick(&mut self, out: &mpsc::Sender<Outbound>) -> Tick {
        let Some((clip, mark)) = self.queue.front() else { return Tick::Sent };
        let frame = Outbound::Audio { clip: Arc::clone(clip), offset: self.offset };
        match out.try_send(frame) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Closed(_)) => return Tick::Closed,
            // The peer is not reading fast enough; dropping a frame beats stalling the call.
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.dropped += 1;
                if self.dropped.is_power_of_two() {
                    tracing::warn!(dropped = self.dropped, "outgoing audio queue full, frames dropped");
                }
            }
        }
        self.offset += FRAME_SAMPLES;
        if self.offset >= clip.samples.len() {
            if let Some(name) = mark
                && out.try_send(Outbound::Mark(name.clone())).is_err()
            {
                tracing::warn!(mark = %name, "outgoing queue full or closed, mark dropped");
            }
            self.queue.pop_front();
            self.offset = 0;
        }
        let now = Instant::now();
        self.next_due += Duration::from_millis(FRAME_MS);
        // After a stall, resume at real time instead of bursting to catch up.
        if self.next_due + Duration::from_millis(3 * FRAME_MS) < now {
            self.next_due = now;
        }
        Tick::Sent
    }
}

/// Attempts and pauses for committing a request before the caller is told it failed.
const STORE_RETRIES: [Duration; 3] = [Duration::ZERO, Duration::from_millis(500), Duration::from_millis(1500)];

async fn store_with_retries(app: AppState, ticket: NewTicket) -> Result<CreatedTicket, ()> {
    let mut last = None;
    for pause in STORE_RETRIES {
        tokio::time::sleep(pause).await;
        match tickets::create(&app.db, &ticket, &app.config.dialog.default_office).await {
            Ok(created) => return Ok(created),
            Err(e) => {
                tracing::warn!(error = %e, "storing the request failed, retrying");
                last = Some(e);
            }
        }
    }
    tracing::error!(error = ?last, ticket = ?ticket, "request could not be stored; the caller was told to call again");
    Err(())
}

/// Runs one call to its end. Never panics on peer behaviour; every exit path records the
/// call's path and outcome.
pub async fn run_call(app: AppState, io: CallIo, meta: CallMeta) {
    let span = tracing::info_span!("call", id = tracing::field::Empty, transport = meta.transport);
    run_call_inner(app, io, meta, span.clone()).instrument(span).await
}

/// The office a "person, please" goes to (the caller's own, else the fallback office),
/// if it is open now.
async fn transfer_target(app: &AppState, person: Option<&directory::Person>) -> Option<TransferTarget> {
    let db = &app.db;
    let office = async {
        if let Some(id) = person.and_then(|p| p.office_id.as_deref()) {
            return directory::office(db, id).await;
        }
        if let Some(pc) = person.and_then(|p| p.postcode.as_ref())
            && let Some(o) = directory::office_for_postcode(db, pc).await?
        {
            return Ok(Some(o));
        }
        directory::fallback_office(db, &app.config.dialog.default_office).await
    }
    .await
    .unwrap_or_else(|e| {
        tracing::warn!(error = %e, "office lookup failed; no transfer offered");
        None
    })?;
    let hours = OpeningHours::parse(&office.opening_hours)
        .inspect_err(|e| tracing::warn!(office = %office.id, error = %e, "opening hours unreadable; no transfer offered"))
        .ok()?;
    let number =
        PhoneNumber::parse(&office.phone).inspect_err(|e| tracing::warn!(office = %office.id, error = %e, "office phone unusable")).ok()?;
    hours.is_open(app.config.dialog.local_now()).then_some(TransferTarget { office_name: office.name, number })
}

async fn run_call_inner(app: AppState, io: CallIo, meta: CallMeta, span: tracing::Span) {
    let person = match &meta.caller {
        Some(phone) => directory::find_person_by_phone(&app.db, phone).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "caller lookup failed; treating caller as unknown");
            None
        }),
        None => None,
    };
    let started = calls::start(
        &app.db,
        &calls::NewCall {
            transport: meta.transport,
            provider_call_id: meta.provider_call_id.as_deref(),
            caller: meta.caller.as_ref(),
            called: meta.called.as_deref(),
            person_id: person.as_ref().map(|p| p.id.as_str()),
        },
    )
    .await;
    let (call_id, earlier_path) = match started {
        Ok(calls::Started::New { id }) => (Some(id), None),
        Ok(calls::Started::Resumed { id, path }) => (Some(id), Some(path)),
        Ok(calls::Started::Refused { active }) => {
            tracing::warn!(provider_call_id = ?meta.provider_call_id, active, "duplicate or replayed stream for a known call refused");
            let _ = io.outbound.try_send(Outbound::Hangup);
            return;
        }
        Err(e) => {
            // The caller still gets served; only reporting loses this call.
            tracing::error!(error = %e, "cannot record call");
            (None, None)
        }
    };
    if let Some(id) = &call_id {
        span.record("id", id.as_str());
    }
    tracing::info!(known_caller = person.is_some(), resumed = earlier_path.is_some(), "call started");
    let ctx = CallContext {
        caller: meta.caller.clone(),
        transfer: if earlier_path.is_some() { None } else { transfer_target(&app, person.as_ref()).await },
        person: person.map(|p| KnownPerson { id: p.id.clone(), name: p.display_name(), office_id: p.office_id, postcode: p.postcode }),
        after_failed_transfer: earlier_path.is_some(),
    };
    let mut call = Call {
        app: app.clone(),
        dialog: Dialog::new(Arc::clone(&app.prompts), ctx),
        io,
        player: Player::new(),
        listen_pending: false,
        hangup_pending: false,
        transfer_pending: None,
        listen_deadline: None,
        store: None,
        call_id: call_id.clone(),
        earlier_path,
    };
    let outcome = call.run().await;
    if let Some(id) = &call_id
        && outcome != Ended::Transferred
        && let Err(e) = calls::finish(&app.db, id, &call.full_path(), call.dialog.outcome().unwrap_or("caller_hung_up")).await
    {
        tracing::error!(error = %e, "cannot record end of call");
    }
    tracing::info!(outcome = call.dialog.outcome().unwrap_or("caller_hung_up"), path = %call.full_path(), "call ended");
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Ended {
    /// The end is recorded already (before the transport handed the call over).
    Transferred,
    Other,
}

struct Call {
    app: AppState,
    dialog: Dialog,
    io: CallIo,
    player: Player,
    listen_pending: bool,
    hangup_pending: bool,
    transfer_pending: Option<PhoneNumber>,
    listen_deadline: Option<Instant>,
    store: Option<JoinHandle<Result<CreatedTicket, ()>>>,
    call_id: Option<String>,
    /// The path before a failed transfer, when the caller came back.
    earlier_path: Option<String>,
}

impl Call {
    fn full_path(&self) -> String {
        match &self.earlier_path {
            Some(earlier) if !earlier.is_empty() => format!("{earlier}>{}", self.dialog.path()),
            _ => self.dialog.path(),
        }
    }

    async fn run(&mut self) -> Ended {
        self.dispatch(Event::CallStarted).await;
        loop {
            if let Some(number) = self.transfer_pending.take_if(|_| !self.player.busy()) {
                return self.transfer(number).await;
            }
            if self.hangup_pending && !self.player.busy() {
                let _ = self.io.outbound.send(Outbound::Hangup).await;
                break;
            }
            let far_future = Instant::now() + Duration::from_secs(3600);
            tokio::select! {
                inbound = self.io.inbound.recv() => match inbound {
                    Some(Inbound::Dtmf(key)) => {
                        if self.player.clear() {
                            let _ = self.io.outbound.try_send(Outbound::Clear);
                        }
                        self.listen_deadline = None;
                        self.listen_pending = false;
                        self.dispatch(Event::Key(key)).await;
                    }
                    Some(Inbound::Hangup) | None => {
                        self.dialog.handle(Event::HangUp);
                        break;
                    }
                },
                _ = sleep_until(self.player.next_due), if self.player.busy() => {
                    if let Tick::Closed = self.player.tick(&self.io.outbound) {
                        self.dialog.handle(Event::HangUp);
                        break;
                    }
                    if !self.player.busy() {
                        self.on_playback_done();
                    }
                }
                _ = sleep_until(self.listen_deadline.unwrap_or(far_future)), if self.listen_deadline.is_some() => {
                    self.listen_deadline = None;
                    self.dispatch(Event::Silence).await;
                }
                result = async { self.store.as_mut().expect("guarded").await }, if self.store.is_some() => {
                    self.store = None;
                    let result = result.unwrap_or(Err(()));
                    let stored = result.map(|t| {
                        tracing::info!(ticket = %t.id, office = %t.office.id, "request stored");
                        Stored { office_name: t.office.name }
                    });
                    self.dispatch(Event::Stored(stored)).await;
                }
            }
        }
        // A request being stored when the line dropped is still committed.
        if let Some(store) = self.store.take() {
            let _ = store.await;
        }
        Ended::Other
    }

    /// Records the transfer before the transport closes, so the provider's follow-up
    /// request (or the dialplan's) finds the number to dial.
    async fn transfer(&mut self, number: PhoneNumber) -> Ended {
        let Some(id) = &self.call_id else {
            tracing::error!("transfer impossible without a call row; ending the call");
            let _ = self.io.outbound.send(Outbound::Hangup).await;
            return Ended::Other;
        };
        if let Err(e) = calls::finish_with_transfer(&self.app.db, id, &self.full_path(), &number).await {
            tracing::error!(error = %e, "cannot record the transfer; ending the call");
            let _ = self.io.outbound.send(Outbound::Hangup).await;
            return Ended::Other;
        }
        tracing::info!(to = %number.as_str(), "putting the caller through");
        let _ = self.io.outbound.send(Outbound::Hangup).await;
        Ended::Transferred
    }

    fn on_playback_done(&mut self) {
        if self.listen_pending && !self.hangup_pending {
            self.listen_pending = false;
            self.listen_deadline = Some(Instant::now() + self.app.config.dialog.no_input_timeout());
        }
    }

    async fn dispatch(&mut self, event: Event) {
        for action in self.dialog.handle(event) {
            match action {
                Action::Say(say) => self.say(&say).await,
                Action::Listen => self.listen_pending = true,
                Action::HangUp => self.hangup_pending = true,
                Action::Transfer(number) => self.transfer_pending = Some(number),
                Action::Store(mut ticket) => {
                    ticket.call_id = self.call_id.clone();
                    self.store = Some(tokio::spawn(store_with_retries(self.app.clone(), ticket)));
                }
            }
        }
        if !self.player.busy() {
            self.on_playback_done();
        }
    }

    /// Queues a prompt sentence by sentence: sentences without values come from the
    /// cache, so only the sentences that carry a name or number are synthesised now.
    async fn say(&mut self, say: &Say) {
        let sentences = match self.app.prompts.render_sentences(&say.id, &say.args) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "prompt cannot be rendered");
                return;
            }
        };
        let last = sentences.len().saturating_sub(1);
        for (i, (text, is_static)) in sentences.iter().enumerate() {
            let audio = if *is_static { self.app.audio.cached(text).await } else { self.app.audio.dynamic(text).await };
            match audio {
                Ok(clip) => self.player.enqueue(clip, (i == last).then_some(say.id.as_str())),
                Err(e) => tracing::error!(error = %e, prompt = %say.id, "speech synthesis failed"),
            }
        }
    }
}
