//! One phone call as one task: drives the dialog, plays its prompts in real-time 20 ms
//! frames, times out silence, and commits requests before they are confirmed.

use crate::audio::{FRAME_MS, FRAME_SAMPLES, Frame, Pcm};
use crate::dialog::engine::{
    ActingFor, BookingOrder, BookingOutcome, CancelOrder, CancelRideOrder, KnownPerson, OfferAreas, OfferSearch, OfferSearchResult,
    PinOrder, PinOutcome, RideOffer, TransferTarget, Upcoming,
};
use crate::dialog::{Action, CallContext, Dialog, Event, Say, Stored};
use crate::domain::caregivers::{self, PinCheck};
use crate::domain::hours::OpeningHours;
use crate::domain::tickets::{self, CreatedTicket, NewTicket};
use crate::domain::{PhoneNumber, calls, directory};
use crate::offers::{self, BookingError};
use crate::rides::{self, phone::RideOrder};
use crate::server::AppState;
use crate::speech::keywords::Spotter;
use crate::telephony::hearing::{Ears, Heard, Recognised};
use crate::telephony::metrics::CallMetrics;
use crate::telephony::recording::{self, Recorder};
use futures_util::StreamExt;
use futures_util::stream::FuturesOrdered;
use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, LazyLock};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until};
use tracing::Instrument;

/// From the transport to the call.
#[derive(Debug, Clone, PartialEq)]
// Nearly every message is audio: boxing it would add an allocation and save nothing.
#[allow(clippy::large_enum_variant)]
pub enum Inbound {
    Dtmf(char),
    /// 20 ms of the caller's audio, 8 kHz.
    Audio(Frame),
    Hangup,
}

/// Messages a transport may queue for its call: about a second of audio, so a busy
/// moment of the call task loses nothing.
pub const INBOUND_QUEUE: usize = 64;

/// Passes a frame of caller audio to the call. Audio is never worth blocking the
/// transport for: if the call is not keeping up, the frame is dropped (keys and hang-up
/// still wait for room) and counted, as a lost piece of an answer can make it misheard.
pub fn forward_audio(inbound: &mpsc::Sender<Inbound>, frame: &Frame, metrics: &CallMetrics) {
    if let Err(mpsc::error::TrySendError::Full(_)) = inbound.try_send(Inbound::Audio(*frame)) {
        let dropped = metrics.caller_frames_dropped.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if dropped.is_power_of_two() {
            tracing::warn!(dropped, "calls not keeping up with caller audio; frames dropped");
        }
    }
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

/// Time the peer gets to close its side once we have closed ours.
const PEER_CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// Ends a transport connection without cutting its end off. The writer sends what is
/// still queued (waiting up to `far_end` for a provider that buffers audio to play it)
/// and closes; the reader then takes in the peer's last messages until the peer closes
/// too. Dropping the socket with unread data would reset the connection instead, and a
/// reset can throw away the goodbye still in flight to the caller.
pub async fn wind_down(mut reader: JoinHandle<()>, mut writer: JoinHandle<()>, far_end: Duration) {
    if tokio::time::timeout(far_end + PEER_CLOSE_TIMEOUT, &mut writer).await.is_err() {
        writer.abort();
    }
    if tokio::time::timeout(PEER_CLOSE_TIMEOUT, &mut reader).await.is_err() {
        reader.abort();
    }
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
    /// When the previous frame of the current speech left (None between turns).
    last_sent: Option<Instant>,
    /// A key press or spoken answer waiting for the first frame of its answer.
    answer_pending: Option<Input>,
    metrics: Arc<CallMetrics>,
}

/// The caller's last answer and when it was complete.
#[derive(Debug, Clone, Copy)]
enum Input {
    Key(Instant),
    /// The end of the utterance.
    Speech(Instant),
}

enum Tick {
    Sent,
    /// The transport is gone.
    Closed,
}

impl Player {
    fn new(metrics: Arc<CallMetrics>) -> Player {
        Player {
            queue: VecDeque::new(),
            offset: 0,
            next_due: Instant::now(),
            marks: 0,
            dropped: 0,
            last_sent: None,
            answer_pending: None,
            metrics,
        }
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
        self.last_sent = None;
        was_busy
    }

    /// The hotline has said everything it had to say for now.
    fn turn_done(&mut self) {
        self.last_sent = None;
    }

    /// Sends the next frame (and the prompt's mark after its last frame).
    fn tick(&mut self, out: &mpsc::Sender<Outbound>) -> Tick {
        let Some((clip, mark)) = self.queue.front() else { return Tick::Sent };
        let frame = Outbound::Audio { clip: Arc::clone(clip), offset: self.offset };
        let now = Instant::now();
        match out.try_send(frame) {
            Ok(()) => {
                self.metrics.frame_sent(now.saturating_duration_since(self.next_due), self.last_sent.map(|t| now - t));
                self.last_sent = Some(now);
                match self.answer_pending.take() {
                    Some(Input::Key(at)) => self.metrics.answer_latency.record(now - at),
                    Some(Input::Speech(at)) => self.metrics.speech_answer_latency.record(now - at),
                    None => {}
                }
            }
            Err(mpsc::error::TrySendError::Closed(_)) => return Tick::Closed,
            // The peer is not reading fast enough; dropping a frame beats stalling the call.
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.dropped += 1;
                self.metrics.frames_dropped.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
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

/// A request to commit: a ticket, or a ride booking with its ticket.
#[derive(Debug)]
enum Request {
    Ticket(Box<NewTicket>),
    Ride(Box<RideOrder>),
}

async fn store_with_retries(app: AppState, request: Request) -> Result<CreatedTicket, ()> {
    let mut last = None;
    for pause in STORE_RETRIES {
        tokio::time::sleep(pause).await;
        let stored = match &request {
            Request::Ticket(ticket) => tickets::create(&app.db, ticket, &app.config.dialog.default_office).await,
            Request::Ride(order) => {
                let minutes = app.config.rides.appointment_minutes;
                rides::phone::order(&app.db, order, &app.config.dialog.default_office, minutes).await.map(|o| {
                    tracing::info!(ride = %o.ride.outbound_id, return_trip = ?o.ride.return_id, "ride booked");
                    o.ticket
                })
            }
        };
        match stored {
            Ok(created) => return Ok(created),
            Err(e) => {
                tracing::warn!(error = %e, "storing the request failed, retrying");
                last = Some(e);
            }
        }
    }
    tracing::error!(error = ?last, request = ?request, "request could not be stored; the caller was told to call again");
    Err(())
}

/// Offers searched for within this distance of the caller.
const OFFERS_RADIUS_KM: f64 = 5.0;

/// Runs a job of the dialog's (store, search, book, cancel) and turns its result into the
/// event that reports it.
fn spawn_job(job: impl Future<Output = Event> + Send + 'static) -> JoinHandle<Event> {
    tokio::spawn(job)
}

/// Stores a request; its voice message, if any, is transcribed afterwards.
async fn store_request(app: AppState, request: Request, message: Option<Pcm>) -> Event {
    Event::Stored(store_with_retries(app.clone(), request).await.map(|t| {
        tracing::info!(ticket = %t.id, office = %t.office.id, "request stored");
        if let Some(message) = message {
            tokio::spawn(recording::transcribe(app, t.id.clone(), message));
        }
        Stored { office_name: t.office.name }
    }))
}

async fn find_offers(app: AppState, search: OfferSearch) -> Event {
    let found = async {
        let Some(near) = offers::locate(&app.db, &search.near).await? else { return Ok(OfferSearchResult::UnknownPlace) };
        let midnight = |d: chrono::NaiveDate| d.and_hms_opt(0, 0, 0).expect("midnight exists");
        let query = offers::Query {
            near,
            radius_km: OFFERS_RADIUS_KM,
            from: midnight(search.from).max(app.config.dialog.local_now()),
            until: midnight(search.until),
            categories: search.categories.clone(),
            limit: search.limit,
        };
        offers::search(&app.db, &query).await.map(OfferSearchResult::Found)
    };
    Event::OffersFound(found.await.unwrap_or_else(|e: crate::db::DbError| {
        tracing::error!(error = %e, search = ?search, "offer search failed");
        OfferSearchResult::Failed
    }))
}

async fn book_offer(app: AppState, order: BookingOrder) -> Event {
    for pause in STORE_RETRIES {
        tokio::time::sleep(pause).await;
        let now = app.config.dialog.local_now();
        match offers::book(&app.db, &order.offer_date_id, order.seats, &order.booker, now).await {
            Ok(booking) => {
                let office = directory::office(&app.db, &booking.office_id).await.ok().flatten();
                tracing::info!(booking = %booking.id, "offer booked on the phone");
                return Event::Booked(BookingOutcome::Booked {
                    office_name: office.map(|o| o.name).unwrap_or_else(|| "Seniorenbüro".into()),
                });
            }
            Err(BookingError::Full { free }) => return Event::Booked(BookingOutcome::Full { free }),
            Err(BookingError::Db(e)) => tracing::warn!(error = %e, "booking failed, retrying"),
            Err(e) => {
                tracing::info!(error = %e, offer_date = %order.offer_date_id, "booking refused");
                return Event::Booked(BookingOutcome::Unavailable);
            }
        }
    }
    tracing::error!(order = ?order, "booking could not be stored; the caller was told to call again");
    Event::Booked(BookingOutcome::Failed)
}

async fn cancel_booking(app: AppState, order: CancelOrder) -> Event {
    for pause in STORE_RETRIES {
        tokio::time::sleep(pause).await;
        match offers::cancel(&app.db, &order.booking_id, &order.booker).await {
            Ok(_) => return Event::Cancelled(Ok(())),
            Err(BookingError::Db(e)) => tracing::warn!(error = %e, "cancelling failed, retrying"),
            Err(e) => {
                tracing::warn!(error = %e, booking = %order.booking_id, "cancelling refused");
                return Event::Cancelled(Err(()));
            }
        }
    }
    Event::Cancelled(Err(()))
}

async fn cancel_ride(app: AppState, order: CancelRideOrder) -> Event {
    for pause in STORE_RETRIES {
        tokio::time::sleep(pause).await;
        match rides::phone::cancel(&app.db, &order.ride_id, &order.person_id).await {
            Ok(true) => return Event::Cancelled(Ok(())),
            Ok(false) => {
                tracing::warn!(ride = %order.ride_id, "nothing left to cancel");
                return Event::Cancelled(Err(()));
            }
            Err(e) => tracing::warn!(error = %e, "cancelling the ride failed, retrying"),
        }
    }
    Event::Cancelled(Err(()))
}

/// Checks a caregiver's PIN; when it is right, loads the person they act for as a
/// returning caller would be loaded.
async fn check_pin(app: AppState, order: PinOrder, call_id: Option<String>) -> Event {
    let checked =
        caregivers::check_pin(&app.db, &order.caregiver_id, &order.pin, &app.config.dialog.default_office, call_id.as_deref()).await;
    let outcome = match checked {
        Ok(PinCheck::Accepted { person_id }) => match directory::find_person(&app.db, &person_id).await {
            Ok(Some(person)) => {
                tracing::info!(caregiver = %order.caregiver_id, "caregiver acts for a person");
                PinOutcome::Accepted(Box::new(ActingFor {
                    upcoming: upcoming(&app, Some(&person)).await,
                    ride: ride_offer(&app, Some(&person)).await,
                    person: known_person(&app, person).await,
                }))
            }
            Ok(None) => PinOutcome::Failed,
            Err(e) => {
                tracing::error!(error = %e, "person of a caregiver not loaded");
                PinOutcome::Failed
            }
        },
        Ok(PinCheck::Wrong { tries_left }) => {
            tracing::info!(caregiver = %order.caregiver_id, tries_left, "wrong caregiver PIN");
            PinOutcome::Wrong
        }
        Ok(PinCheck::LockedNow) => PinOutcome::LockedNow,
        Ok(PinCheck::Locked) => PinOutcome::Locked,
        Err(e) => {
            tracing::error!(error = %e, caregiver = %order.caregiver_id, "caregiver PIN check failed");
            PinOutcome::Failed
        }
    };
    Event::PinChecked(outcome)
}

/// A registered person as the dialog knows them, with their checked home position.
async fn known_person(app: &AppState, p: directory::Person) -> KnownPerson {
    let home = directory::home_position(&app.db, &p.id).await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "home position lookup failed");
        None
    });
    let mobility = p.mobility.to_lowercase();
    KnownPerson {
        id: p.id.clone(),
        name: p.display_name(),
        office_id: p.office_id,
        postcode: p.postcode,
        street: p.street,
        wheelchair: mobility.contains("rollstuhl"),
        rollator: mobility.contains("rollator"),
        home,
    }
}

/// The caller's bookings and rides to come, soonest first, for a returning caller.
async fn upcoming(app: &AppState, person: Option<&directory::Person>) -> Vec<Upcoming> {
    let Some(person) = person else { return Vec::new() };
    let now = app.config.dialog.local_now();
    let bookings = offers::upcoming_for_person(&app.db, &person.id, now)
        .await
        .inspect_err(|e| tracing::warn!(error = %e, "upcoming bookings lookup failed"))
        .unwrap_or_default();
    let rides = rides::phone::upcoming_for_person(&app.db, &person.id, now)
        .await
        .inspect_err(|e| tracing::warn!(error = %e, "upcoming rides lookup failed"))
        .unwrap_or_default();
    let mut all: Vec<Upcoming> = bookings.into_iter().map(Upcoming::Booking).chain(rides.into_iter().map(Upcoming::Ride)).collect();
    all.sort_by_key(Upcoming::starts_at);
    all
}

/// Districts and parts of town for offers near a caller.
async fn offer_areas(app: &AppState) -> OfferAreas {
    let districts = directory::offices(&app.db).await.map(|o| o.into_iter().map(|o| o.district).collect());
    let areas = offers::area_names(&app.db).await;
    match (districts, areas) {
        (Ok(districts), Ok(areas)) => OfferAreas { districts, areas },
        (Err(e), _) | (_, Err(e)) => {
            tracing::warn!(error = %e, "area lookup failed; offers by postcode only");
            OfferAreas::default()
        }
    }
}

/// What the caller's office's ride service offers on the phone, if anything.
async fn ride_offer(app: &AppState, person: Option<&directory::Person>) -> Option<RideOffer> {
    let person = person?;
    let office = person.office_id.as_deref()?;
    let service = rides::phone::service_for(&app.db, office)
        .await
        .inspect_err(|e| tracing::warn!(error = %e, "ride service lookup failed; rides by callback"))
        .ok()??;
    // An office's ride service drives the people who live in its postcodes; its district
    // is looked up only to tell someone who lives elsewhere.
    let home_in_area = match &person.postcode {
        None => true,
        Some(pc) => match directory::office_for_postcode(&app.db, pc).await {
            Ok(served_by) => served_by.is_some_and(|o| o.id == office),
            Err(e) => {
                tracing::warn!(error = %e, "postcode lookup failed; the home is taken as inside the service area");
                true
            }
        },
    };
    let outside_area = if home_in_area {
        None
    } else {
        Some(directory::office(&app.db, office).await.ok().flatten().map(|o| o.district).unwrap_or_default())
    };
    let rules = &app.config.rides;
    Some(RideOffer {
        places: service.places,
        first_appointment: service.first_appointment,
        last_appointment: service.last_appointment,
        min_lead_days: rules.min_lead_days,
        horizon_days: rules.horizon_days,
        outside_area,
    })
}

/// Runs one call to its end. Never panics on peer behaviour; every exit path records the
/// call's path and outcome.
pub async fn run_call(app: AppState, io: CallIo, meta: CallMeta) {
    let _active = ActiveCall::new(Arc::clone(&app.metrics));
    let span = tracing::info_span!("call", id = tracing::field::Empty, transport = meta.transport);
    run_call_inner(app, io, meta, span.clone()).instrument(span).await
}

/// Counts a call as active for as long as it lives, however it ends.
struct ActiveCall(Arc<CallMetrics>);

impl ActiveCall {
    fn new(metrics: Arc<CallMetrics>) -> ActiveCall {
        metrics.calls_total.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        metrics.active_calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        ActiveCall(metrics)
    }
}

impl Drop for ActiveCall {
    fn drop(&mut self) {
        self.0.active_calls.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
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
    let local_now = app.config.dialog.local_now();
    let caregiving = match &meta.caller {
        Some(phone) => caregivers::cared_for_by(&app.db, phone).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "caregiver lookup failed; the caller is not offered to act for anyone");
            Vec::new()
        }),
        None => Vec::new(),
    };
    let ctx = CallContext {
        caller: meta.caller.clone(),
        upcoming: if earlier_path.is_some() { Vec::new() } else { upcoming(&app, person.as_ref()).await },
        offer_areas: offer_areas(&app).await,
        transfer: if earlier_path.is_some() { None } else { transfer_target(&app, person.as_ref()).await },
        ride: ride_offer(&app, person.as_ref()).await,
        person: match person {
            Some(p) => Some(known_person(&app, p).await),
            None => None,
        },
        caregiving,
        after_failed_transfer: earlier_path.is_some(),
        today: local_now.date(),
        time: local_now.time(),
        timezone: app.config.dialog.timezone,
    };
    let mut call = Call {
        app: app.clone(),
        dialog: Dialog::new(Arc::clone(&app.prompts), ctx),
        io,
        player: Player::new(Arc::clone(&app.metrics)),
        listen_pending: false,
        hangup_pending: false,
        transfer_pending: None,
        listen_deadline: None,
        store: None,
        call_id: call_id.clone(),
        earlier_path,
        synth: FuturesOrdered::new(),
        last_input: Input::Key(Instant::now()),
        ears: app.stt.as_ref().map(|pool| Ears::new(Arc::clone(pool), app.config.speech.vad.clone())),
        spotter: app
            .keywords
            .as_ref()
            .and_then(|k| k.spotter().inspect_err(|e| tracing::error!(error = %e, "no keyword spotting in this call")).ok()),
        moment_at: None,
        record_pending: false,
        recorder: None,
        message: None,
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
    /// A job of the dialog's running (store, search, book, cancel), reporting its event.
    store: Option<JoinHandle<Event>>,
    call_id: Option<String>,
    /// The path before a failed transfer, when the caller came back.
    earlier_path: Option<String>,
    /// Sentences being fetched or synthesised, in speaking order. They run beside the
    /// player, so synthesis never holds up audio that is already playing.
    synth: FuturesOrdered<Sentence>,
    /// The caller's last answer, for the answer latency figures.
    last_input: Input,
    /// Listens to the caller, when speech recognition is on.
    ears: Option<Ears>,
    /// Listens for keywords, when keyword spotting is on.
    spotter: Option<Spotter>,
    /// When to say "einen Moment bitte" if the answer is still being recognised.
    moment_at: Option<Instant>,
    /// A voice message is to be recorded once the instructions have been played.
    record_pending: bool,
    recorder: Option<Recorder>,
    /// The recorded message, transcribed once its request is stored.
    message: Option<Pcm>,
}

/// The tone before a voice message.
static TONE: LazyLock<Arc<Pcm>> = LazyLock::new(|| Arc::new(recording::tone()));

/// A spoken answer not recognised after this long gets an "einen Moment bitte", so the
/// caller knows they were heard.
const MOMENT_AFTER: Duration = Duration::from_millis(1200);

/// One sentence's audio, with the mark to send after it (the end of a prompt).
type Sentence = Pin<Box<dyn Future<Output = Option<(Arc<Pcm>, Option<String>)>> + Send>>;

impl Call {
    fn full_path(&self) -> String {
        match &self.earlier_path {
            Some(earlier) if !earlier.is_empty() => format!("{earlier}>{}", self.dialog.path()),
            _ => self.dialog.path(),
        }
    }

    /// Whether the hotline still has something to say (playing or being synthesised).
    fn speaking(&self) -> bool {
        self.player.busy() || !self.synth.is_empty()
    }

    async fn run(&mut self) -> Ended {
        self.dispatch(Event::CallStarted).await;
        loop {
            if !self.speaking()
                && let Some(number) = self.transfer_pending.take()
            {
                return self.transfer(number).await;
            }
            if self.hangup_pending && !self.speaking() {
                let _ = self.io.outbound.send(Outbound::Hangup).await;
                break;
            }
            let far_future = Instant::now() + Duration::from_secs(3600);
            tokio::select! {
                inbound = self.io.inbound.recv() => match inbound {
                    // A key ends a voice message (or, over its instructions, skips them).
                    Some(Inbound::Dtmf(_)) if self.recorder.is_some() => self.finish_recording().await,
                    Some(Inbound::Dtmf(_)) if self.record_pending => {
                        self.stop_speaking();
                        self.on_playback_done();
                    }
                    Some(Inbound::Dtmf(key)) => {
                        self.last_input = Input::Key(Instant::now());
                        self.interrupted(Ears::forget);
                        self.dispatch(Event::Key(key)).await;
                    }
                    Some(Inbound::Audio(frame)) => {
                        if self.recorder.as_mut().is_some_and(|r| r.push(&frame)) {
                            self.finish_recording().await;
                        } else if self.recorder.is_none() {
                            self.on_audio(&frame).await;
                        }
                    }
                    Some(Inbound::Hangup) | None => {
                        // Hanging up is how many end a message: it is kept, with its request.
                        self.finish_recording().await;
                        self.dialog.handle(Event::HangUp);
                        break;
                    }
                },
                _ = sleep_until(self.player.next_due), if self.player.busy() => {
                    if let Tick::Closed = self.player.tick(&self.io.outbound) {
                        self.dialog.handle(Event::HangUp);
                        break;
                    }
                    if !self.speaking() {
                        self.on_playback_done();
                    }
                }
                Some(sentence) = self.synth.next(), if !self.synth.is_empty() => {
                    if let Some((clip, mark)) = sentence {
                        self.player.enqueue(clip, mark.as_deref());
                    }
                    if !self.speaking() {
                        self.on_playback_done();
                    }
                }
                recognised = async { self.ears.as_mut().expect("guarded").next().await }, if self.ears.as_ref().is_some_and(Ears::waiting) => {
                    self.on_recognised(recognised).await;
                }
                _ = sleep_until(self.moment_at.unwrap_or(far_future)), if self.moment_at.is_some() => {
                    self.moment_at = None;
                    if !self.speaking() {
                        self.say_one_moment();
                    }
                }
                _ = sleep_until(self.listen_deadline.unwrap_or(far_future)), if self.listen_deadline.is_some() => {
                    self.listen_deadline = None;
                    self.dispatch(Event::Silence).await;
                }
                result = async { self.store.as_mut().expect("guarded").await }, if self.store.is_some() => {
                    self.store = None;
                    self.dispatch(result.unwrap_or(Event::Stored(Err(())))).await;
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

    /// Barge-in: the caller answers over the prompt, so it stops at once, also what the
    /// provider has buffered.
    fn stop_speaking(&mut self) {
        self.synth = FuturesOrdered::new();
        if self.player.clear() {
            let _ = self.io.outbound.try_send(Outbound::Clear);
        }
    }

    /// The caller answered by key or keyword: the prompt stops, and nothing waits for
    /// what they said before.
    fn interrupted(&mut self, forget: fn(&mut Ears)) {
        self.stop_speaking();
        if let Some(ears) = &mut self.ears {
            forget(ears);
        }
        self.moment_at = None;
        self.listen_deadline = None;
        self.listen_pending = false;
    }

    async fn on_audio(&mut self, frame: &Frame) {
        let ending = self.hangup_pending || self.transfer_pending.is_some();
        // A keyword counts whenever the dialog waits for an answer, also over its prompt.
        if let Some(spotted) = self.spotter.as_mut().and_then(|s| s.push(frame))
            && !ending
            && self.dialog.listen().is_some()
        {
            tracing::info!(keyword = spotted.keyword.name(), score = spotted.score, "keyword heard");
            self.app.metrics.keyword_spotted(spotted.keyword);
            self.last_input = Input::Speech(Instant::now());
            self.interrupted(Ears::forget_utterance);
            return self.dispatch(Event::Keyword(spotted.keyword)).await;
        }
        let Some(ears) = &mut self.ears else { return };
        let dialog = &self.dialog;
        match ears.hear(frame, || if ending { None } else { dialog.listen() }) {
            // The caller is answering: no timeout for silence now, and the reply to the
            // answer (an understood step or a kind re-ask) will listen again.
            Some(Heard::SpeechStarted) => {
                self.stop_speaking();
                self.listen_deadline = None;
                self.listen_pending = false;
            }
            Some(Heard::Submitted { queued }) => {
                tracing::info!(queued, "answer heard");
                self.listen_deadline = None;
                self.listen_pending = false;
                self.app.metrics.utterances.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                // Others are waiting for the recognisers too: say so at once.
                if queued > 0 && !self.speaking() {
                    self.say_one_moment();
                } else {
                    self.moment_at = Some(Instant::now() + MOMENT_AFTER);
                }
            }
            None => {}
        }
    }

    fn say_one_moment(&mut self) {
        self.app.metrics.one_moment.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.say(&Say { id: "one_moment".into(), args: Vec::new() });
    }

    async fn on_recognised(&mut self, recognised: Recognised) {
        self.moment_at = None;
        let (text, confidence, phrase) = match recognised.result {
            Ok(heard) => {
                self.app.metrics.recognition_latency.record(recognised.ended.elapsed());
                tracing::info!(
                    confidence = heard.transcript.confidence,
                    wait_ms = heard.queue_wait.as_millis() as u64,
                    recognition_ms = heard.recognition.as_millis() as u64,
                    "answer recognised"
                );
                // What callers say is theirs: transcripts only in debug logs.
                tracing::debug!(text = %heard.transcript.text, phrase = ?heard.transcript.phrase, "caller said");
                (heard.transcript.text, heard.transcript.confidence, heard.transcript.phrase.map(|p| p.text))
            }
            // Treated as not understood: the caller is asked again, and the keypad always works.
            Err(e) => {
                self.app.metrics.recognition_failed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tracing::warn!(error = %e, "answer not recognised");
                (String::new(), 0.0, None)
            }
        };
        self.last_input = Input::Speech(recognised.ended);
        self.dispatch(Event::Speech { text, confidence, phrase }).await;
    }

    async fn finish_recording(&mut self) {
        let Some(recorder) = self.recorder.take() else { return };
        self.stop_speaking();
        let path = match recorder.finish() {
            None => None,
            Some(message) => {
                let saved = recording::save(&self.app.config.server.data_dir, &message).await;
                self.message = Some(message);
                saved.inspect_err(|e| tracing::error!(error = %e, "voice message not saved; its transcript still reaches staff")).ok()
            }
        };
        tracing::info!(saved = path.is_some(), "voice message recorded");
        self.dispatch(Event::Recorded(path)).await;
    }

    fn on_playback_done(&mut self) {
        if self.record_pending && !self.hangup_pending {
            self.record_pending = false;
            self.player.enqueue(Arc::clone(&TONE), None);
            self.recorder = Some(Recorder::default());
            return;
        }
        self.player.turn_done();
        if self.listen_pending && !self.hangup_pending {
            self.listen_pending = false;
            self.listen_deadline = Some(Instant::now() + self.app.config.dialog.no_input_timeout());
        }
    }

    async fn dispatch(&mut self, event: Event) {
        // Answers to a key or speech, directly or after storing its request, count for the
        // latency figures.
        let answers = matches!(event, Event::Key(_) | Event::Keyword(_) | Event::Speech { .. } | Event::Stored(_));
        for action in self.dialog.handle(event) {
            match action {
                Action::Say(say) => {
                    if answers && !self.speaking() {
                        self.player.answer_pending = Some(self.last_input);
                    }
                    self.say(&say);
                }
                Action::Listen => self.listen_pending = true,
                Action::HangUp => self.hangup_pending = true,
                Action::Transfer(number) => self.transfer_pending = Some(number),
                Action::Store(mut ticket) => {
                    ticket.call_id = self.call_id.clone();
                    self.store = Some(spawn_job(store_request(self.app.clone(), Request::Ticket(Box::new(ticket)), self.message.take())));
                }
                Action::Record => self.record_pending = true,
                Action::StoreRide(mut order) => {
                    order.ticket.call_id = self.call_id.clone();
                    self.store = Some(spawn_job(store_request(self.app.clone(), Request::Ride(order), None)));
                }
                Action::FindOffers(search) => self.store = Some(spawn_job(find_offers(self.app.clone(), search))),
                Action::BookOffer(mut order) => {
                    order.booker.call_id = self.call_id.clone();
                    self.store = Some(spawn_job(book_offer(self.app.clone(), *order)));
                }
                Action::CancelBooking(mut order) => {
                    order.booker.call_id = self.call_id.clone();
                    self.store = Some(spawn_job(cancel_booking(self.app.clone(), order)));
                }
                Action::CancelRide(order) => self.store = Some(spawn_job(cancel_ride(self.app.clone(), order))),
                Action::CheckPin(order) => self.store = Some(spawn_job(check_pin(self.app.clone(), order, self.call_id.clone()))),
            }
        }
        if !self.speaking() {
            self.on_playback_done();
        }
    }

    /// Queues a prompt sentence by sentence: sentences without values come from the
    /// cache, so only the sentences that carry a name or number are synthesised now,
    /// all at once on the synthesis workers while earlier audio plays.
    fn say(&mut self, say: &Say) {
        let sentences = match self.app.prompts.render_sentences(&say.id, &say.args) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "prompt cannot be rendered");
                return;
            }
        };
        let last = sentences.len().saturating_sub(1);
        for (i, (text, is_static)) in sentences.into_iter().enumerate() {
            let audio = Arc::clone(&self.app.audio);
            let (prompt, mark) = (say.id.clone(), (i == last).then(|| say.id.clone()));
            self.synth.push_back(Box::pin(async move {
                let clip = if is_static { audio.cached(&text).await } else { audio.dynamic(&text).await };
                clip.inspect_err(|e| tracing::error!(error = %e, %prompt, "speech synthesis failed")).ok().map(|clip| (clip, mark))
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;

    #[test]
    fn caller_audio_a_busy_call_cannot_take_is_dropped_and_counted() {
        let (inbound, mut queue) = mpsc::channel(2);
        let metrics = CallMetrics::default();
        for sample in 1..=5 {
            forward_audio(&inbound, &[sample; FRAME_SAMPLES], &metrics);
        }
        assert_eq!(metrics.caller_frames_dropped.load(Ordering::Relaxed), 3);
        assert!(metrics.render().contains("\nhotline_caller_frames_dropped_total 3\n"));
        // The frames that fitted are the first ones, in order.
        for sample in 1..=2 {
            assert!(matches!(queue.try_recv(), Ok(Inbound::Audio(frame)) if frame[0] == sample));
        }
        assert!(queue.try_recv().is_err());
    }
}
