//! The HTTP/WebSocket service: shared state, routes, and start-up.

use crate::config::Config;
use crate::db::Db;
use crate::dialog::Prompts;
use crate::speech::cache::PromptAudio;
use crate::speech::keywords::Keywords;
use crate::speech::pool::SttPool;
use crate::speech::stt::Stt;
use crate::speech::tts::{Tts, VoicesConfig};
use crate::telephony::metrics::CallMetrics;
use crate::telephony::{audiosocket, twilio, twilio_stream};
use axum::Router;
use axum::routing::{get, post};
use std::net::SocketAddr;
use std::sync::Arc;

/// Everything a request or call needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
    pub prompts: Arc<Prompts>,
    pub audio: Arc<PromptAudio>,
    pub audiosocket_callers: Arc<audiosocket::CallerRegistry>,
    pub metrics: Arc<CallMetrics>,
    /// Speech recognition shared by all calls; `None` when it is off (keypad only).
    pub stt: Option<Arc<SttPool>>,
    /// Keyword references shared by all calls; `None` when spotting is off.
    pub keywords: Option<Arc<Keywords>>,
}

/// Worker threads for speech synthesis (Pico renders ~200x faster than real time, so two
/// threads serve many calls).
const TTS_WORKERS: usize = 2;

impl AppState {
    /// Loads prompts and voice, connects and migrates the database, and makes sure every
    /// static prompt is rendered. Any missing piece is a clear error here, before the
    /// first call.
    pub async fn load(config: Config) -> anyhow::Result<AppState> {
        let prompts = Prompts::load(&config.speech.prompts_dir.join(&config.speech.language))?;
        let voices = VoicesConfig::load(&config.speech.voices)?;
        let voice = voices.voice(&config.speech.language)?;
        let tts = Tts::start(voice, TTS_WORKERS)?;
        let audio = PromptAudio::new(tts, config.server.data_dir.join("prompt-cache"));
        let db = Db::connect(&config.database.url).await?;
        db.migrate().await?;
        let stats = audio.render_all(prompts.static_sentences()).await?;
        tracing::info!(synthesised = stats.synthesised, from_disk = stats.from_disk, "static prompts ready");
        let stt = match &config.speech.whisper_model {
            model if model.as_os_str().is_empty() => {
                tracing::info!("speech recognition off (no speech.whisper_model): callers use the keypad");
                None
            }
            model => {
                let recognition = &config.speech.recognition;
                let stt = Arc::new(Stt::load(model, recognition.threads_per_worker)?);
                let pool = SttPool::start(stt, recognition)?;
                tracing::info!(model = %model.display(), workers = recognition.workers, "speech recognition ready");
                Some(Arc::new(pool))
            }
        };
        let keywords = match &config.speech.keywords {
            dir if dir.as_os_str().is_empty() => {
                tracing::info!("keyword spotting off (no speech.keywords)");
                None
            }
            dir => {
                let keywords = Keywords::load(dir)?;
                tracing::info!(dir = %dir.display(), keywords = keywords.keywords().count(), "keyword spotting ready");
                Some(keywords)
            }
        };
        Ok(AppState {
            config: Arc::new(config),
            db,
            prompts: Arc::new(prompts),
            audio: Arc::new(audio),
            audiosocket_callers: Arc::default(),
            metrics: Arc::default(),
            stt,
            keywords,
        })
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/metrics", get(metrics))
        .route("/twilio/voice", post(twilio::voice))
        .route("/twilio/after-stream", post(twilio::after_stream))
        .route("/twilio/dial-result", post(twilio::dial_result))
        .route("/twilio/status", post(twilio::status))
        .route("/twilio/media", get(twilio_stream::media))
        .route("/audiosocket/caller", post(audiosocket::register_caller))
        .route("/audiosocket/transfer", post(audiosocket::transfer))
        .merge(crate::staff::web::router(state.clone()))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(64 * 1024))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// `GET /metrics`: call and playout figures for monitoring (Prometheus text format; counts
/// and timings only, nothing about callers).
async fn metrics(axum::extract::State(app): axum::extract::State<AppState>) -> impl axum::response::IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], app.metrics.render())
}

/// Bound, not yet serving, listeners: HTTP, and AudioSocket if enabled. Binding port 0
/// gives a free port (tests), whose address can go into the configuration before the
/// state is loaded.
pub struct Server {
    listener: tokio::net::TcpListener,
    audiosocket: Option<tokio::net::TcpListener>,
}

impl Server {
    pub async fn bind(addr: SocketAddr) -> anyhow::Result<Server> {
        Ok(Server { listener: bind(addr).await?, audiosocket: None })
    }

    /// Also accept Asterisk AudioSocket connections on `addr`.
    pub async fn with_audiosocket(mut self, addr: SocketAddr) -> anyhow::Result<Server> {
        self.audiosocket = Some(bind(addr).await?);
        Ok(self)
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("bound listener has an address")
    }

    pub fn audiosocket_addr(&self) -> Option<SocketAddr> {
        self.audiosocket.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// Serves until SIGINT or SIGTERM.
    pub async fn serve(self, state: AppState) -> anyhow::Result<()> {
        self.serve_until(state, shutdown_signal()).await
    }

    pub async fn serve_until(self, state: AppState, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        tracing::info!(addr = %self.local_addr(), audiosocket = ?self.audiosocket_addr(), "serving");
        let audiosocket = self.audiosocket.map(|l| tokio::spawn(audiosocket::serve(l, state.clone())));
        let retention = tokio::spawn(crate::privacy::retention::run(
            state.db.clone(),
            state.config.server.data_dir.clone(),
            state.config.privacy.voice_retention(),
        ));
        let result = axum::serve(self.listener, router(state).into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown)
            .await;
        if let Some(task) = audiosocket {
            task.abort();
        }
        retention.abort();
        Ok(result?)
    }
}

/// Send buffer of every accepted connection (inherited from the listener). The kernel
/// would otherwise grow it to megabytes, so a peer that stops reading a media stream
/// would soak up minutes of audio before our write timeout could notice; this is ~5 s of
/// media-stream JSON, plenty for a peer that reads.
const SEND_BUFFER_BYTES: u32 = 64 * 1024;

async fn bind(addr: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    let listen = || -> std::io::Result<tokio::net::TcpListener> {
        let socket = if addr.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
        socket.set_reuseaddr(true)?;
        socket.set_send_buffer_size(SEND_BUFFER_BYTES)?;
        socket.bind(addr)?;
        socket.listen(1024)
    };
    listen().map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
