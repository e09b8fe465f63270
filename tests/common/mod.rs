//! The one way tests start the hotline: a real server on 127.0.0.1 (free port), its own
//! database (a fresh SQLite file, or a fresh PostgreSQL database), the real prompts and
//! voice, and the demo directory imported.
#![allow(dead_code)] // each test binary uses a part of this

pub mod speaking;
pub mod staff;

use chrono::{Datelike, Duration, NaiveDate};
use seniorentelefon::caller::{CallOptions, parse_script};
use seniorentelefon::config::Config;
use seniorentelefon::db::Db;
use seniorentelefon::dialog::Prompts;
use seniorentelefon::domain::directory::DirectoryFile;
use seniorentelefon::offers::OffersFile;
use seniorentelefon::server::{AppState, Server};
use sqlx::Row;
use std::path::{Path, PathBuf};
use tokio::sync::oneshot;

/// Runs `$run(backend)` as two tests, `$name::sqlite` and `$name::postgres`: every
/// scenario holds on both databases.
#[macro_export]
macro_rules! on_both_backends {
    ($name:ident => $run:ident) => {
        on_both_backends!($name => $run, workers = 2);
    };
    ($name:ident => $run:ident, workers = $workers:literal) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = $workers)]
            async fn sqlite() {
                super::$run($crate::common::Backend::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = $workers)]
            async fn postgres() {
                super::$run($crate::common::Backend::Postgres).await
            }
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The provider auth token of every test server: requests must be signed with it.
pub const AUTH_TOKEN: &str = "test-auth-token";
/// The shared secret for AudioSocket caller registration in tests.
pub const AUDIOSOCKET_TOKEN: &str = "test-audiosocket-token";

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn prompts() -> Prompts {
    Prompts::load(&root().join("prompts/de")).unwrap()
}

pub struct TestApp {
    pub base: String,
    pub audiosocket: std::net::SocketAddr,
    pub db: Db,
    pub state: AppState,
    _dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<()>,
}

impl TestApp {
    /// A caller that dials this server like the provider, with signed requests.
    pub fn caller(&self, from: &str, script: &str) -> CallOptions {
        CallOptions::new(&self.base, from, parse_script(script).unwrap()).signed_with(AUTH_TOKEN)
    }

    /// Stops the server and waits until it has finished.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.server).await;
    }
}

/// A database URL for a fresh, empty database on `backend`.
pub async fn fresh_database(backend: Backend, dir: &Path) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}?mode=rwc", dir.join("test.db").display()),
        Backend::Postgres => {
            let admin = std::env::var("HOTLINE_TEST_POSTGRES_URL")
                .expect("HOTLINE_TEST_POSTGRES_URL is not set: run scripts/test.sh, or scripts/postgres.sh and export the URL it prints");
            let name = format!("hotline_test_{}", uuid::Uuid::new_v4().simple());
            let db = Db::connect(&admin).await.expect("connect to the test PostgreSQL");
            // The name is ours (hex digits only), so building the statement is safe.
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(db.pool()).await.unwrap();
            db.close().await;
            let mut url = url::Url::parse(&admin).unwrap();
            url.set_path(&name);
            url.to_string()
        }
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &[]).await
}

/// Starts the hotline with extra `HOTLINE_...` settings.
pub async fn spawn_app_with(backend: Backend, settings: &[(&str, &str)]) -> TestApp {
    // A failing test shows what the server logged, with what whisper heard (debug only,
    // as transcripts are callers' words).
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "warn,seniorentelefon=info,seniorentelefon::telephony::call=debug".into());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
    let dir = tempfile::tempdir().unwrap();
    let server =
        Server::bind("127.0.0.1:0".parse().unwrap()).await.unwrap().with_audiosocket("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let audiosocket = server.audiosocket_addr().unwrap();
    let addr = server.local_addr();
    let mut env = vec![
        ("HOTLINE_SERVER_PUBLIC_URL".to_string(), format!("http://{addr}")),
        ("HOTLINE_SERVER_DATA_DIR".to_string(), dir.path().display().to_string()),
        ("HOTLINE_DATABASE_URL".to_string(), fresh_database(backend, dir.path()).await),
        ("HOTLINE_TWILIO_AUTH_TOKEN".to_string(), AUTH_TOKEN.to_string()),
        ("HOTLINE_AUDIOSOCKET_TOKEN".to_string(), AUDIOSOCKET_TOKEN.to_string()),
    ];
    env.extend(settings.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let config = Config::from_parts("", "test", &env, &root()).unwrap();
    let state = AppState::load(config).await.unwrap();
    let directory = DirectoryFile::parse(&std::fs::read_to_string(root().join("scripts/demo/directory.toml")).unwrap()).unwrap();
    directory.import(&state.db).await.unwrap();
    let (stop, stopped) = oneshot::channel();
    let serving = state.clone();
    let server = tokio::spawn(async move {
        server
            .serve_until(serving, async {
                let _ = stopped.await;
            })
            .await
            .unwrap()
    });
    TestApp { base: format!("http://{addr}"), audiosocket, db: state.db.clone(), state, _dir: dir, stop: Some(stop), server }
}

/// The call row for a provider call id, once the server has recorded its end (it does
/// so just after closing the line, so the caller may be faster): (id, path, outcome).
pub async fn ended_call(db: &Db, call_sid: &str) -> (String, String, String) {
    for _ in 0..100 {
        let r: sqlx::any::AnyRow = sqlx::query("SELECT id, path, outcome, ended_at FROM calls WHERE provider_call_id = $1")
            .bind(call_sid)
            .fetch_one(db.pool())
            .await
            .unwrap();
        if r.get::<Option<String>, _>("ended_at").is_some() {
            return (r.get("id"), r.get("path"), r.get::<Option<String>, _>("outcome").unwrap_or_default());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("call {call_sid} was never recorded as ended");
}

/// Sets every office's opening hours: open around the clock, or closed right now.
pub async fn set_offices_open(app: &TestApp, open: bool) {
    let hours = if open {
        "täglich 00:00-24:00"
    } else if app.state.config.dialog.local_now().format("%H:%M").to_string() == "00:00" {
        "täglich 12:00-12:01"
    } else {
        "täglich 00:00-00:01"
    };
    sqlx::query("UPDATE offices SET opening_hours = $1").bind(hours).execute(app.db.pool()).await.unwrap();
}

/// Tuesday next week: always "nächste Woche" (key 3) in the dialog.
pub fn next_tuesday(today: NaiveDate) -> NaiveDate {
    today + Duration::days(8 - i64::from(today.weekday().num_days_from_monday()))
}

/// The id of the registered person with this phone number.
pub async fn person_id(app: &TestApp, phone: &str) -> String {
    sqlx::query("SELECT id FROM people WHERE phone = $1").bind(phone).fetch_one(app.db.pool()).await.unwrap().get("id")
}

/// Seats booked on an offer's date.
pub async fn seats_taken(app: &TestApp, date_id: &str) -> i64 {
    sqlx::query("SELECT seats_taken FROM offer_dates WHERE id = $1").bind(date_id).fetch_one(app.db.pool()).await.unwrap().get(0)
}

/// One offer near Hörde on Tuesday next week at 10:00 with `capacity` seats; the only one
/// in the database, so the search finds just it.
pub async fn one_offer(app: &TestApp, capacity: u32) -> (NaiveDate, String) {
    let today = app.state.config.dialog.local_now().date();
    let day = next_tuesday(today);
    let csv = format!(
        "id,office,category,title,provider,description,venue,address,postcode,lat,lon,price,wheelchair,hearing_loop,step_free,capacity,booking_required,date,weekday,every_weeks,first_date,last_date,time,end_time\n\
         gymnastik-test,do-hoerde,bewegung,Gymnastik im Sitzen,Nachbarschaftsverein Hörde,Sanfte Übungen auf dem Stuhl.,im Begegnungszentrum Hörde,Wiggerstraße 4,44263,51.4872,7.5062,0,ja,nein,ja,{capacity},ja,{day},,,,,10:00,11:00\n"
    );
    OffersFile::parse(&csv).unwrap().import(&app.db, today, 4).await.unwrap();
    let date_id: String =
        sqlx::query_scalar("SELECT id FROM offer_dates WHERE offer_id = 'gymnastik-test'").fetch_one(app.db.pool()).await.unwrap();
    (day, date_id)
}
