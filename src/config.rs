//! Service configuration: one TOML file (`hotline.toml`) plus environment overrides.
//!
//! Every setting has a default that works for a local demo. An environment variable
//! `HOTLINE_<SECTION>_<KEY>` overrides `key` in `[section]` (for example
//! `HOTLINE_DATABASE_URL`, `HOTLINE_SERVER_LISTEN`). Relative
//! paths are resolved against the directory of the config file (or the working directory
//! when there is none). [`Config::load`] validates everything a running service depends on
//! and says precisely what is wrong.

use crate::audio::vad::VadConfig;
use crate::speech::pool::PoolConfig;
use secrecy::SecretString;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("config file {path} is not valid: {message}")]
    Parse { path: String, message: String },
    #[error("environment variable {var}: {message}")]
    Env { var: String, message: String },
    #[error("config: {0}")]
    Invalid(String),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address to listen on for HTTP and WebSocket traffic.
    pub listen: SocketAddr,
    /// Base URL under which the telephony provider reaches this server (scheme and host,
    /// as seen from outside, e.g. behind a reverse proxy). Used to build the media-stream
    /// URL in TwiML. Empty: `http://<listen>`.
    pub public_url: String,
    /// Directory for the SQLite database, the prompt cache and voice messages.
    pub data_dir: PathBuf,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig { listen: "127.0.0.1:8080".parse().expect("valid address"), public_url: String::new(), data_dir: "data".into() }
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://PATH` or `postgres://USER:PASS@HOST/DB`. Empty: SQLite in `data_dir`.
    pub url: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SpeechConfig {
    /// Dialog language; prompts are read from `prompts_dir/<language>/`.
    pub language: String,
    pub prompts_dir: PathBuf,
    /// Voice selection per language (engine, model files, speaking rate).
    pub voices: PathBuf,
    /// Whisper GGML model for speech recognition. Empty: speech recognition is off and
    /// callers use the keypad only.
    pub whisper_model: PathBuf,
    /// Folder of the keyword spotter's references ("Hilfe", "Mitarbeiter", "wiederholen",
    /// "zurück" at any time), built by `hotline prompts keywords`. Empty: no spotting.
    pub keywords: PathBuf,
    /// Where answers start and end (`[speech.vad]`).
    pub vad: VadConfig,
    /// Recognition workers shared by all calls (`[speech.recognition]`).
    pub recognition: PoolConfig,
}

impl Default for SpeechConfig {
    fn default() -> Self {
        SpeechConfig {
            language: "de".into(),
            prompts_dir: "prompts".into(),
            voices: "voices/voices.toml".into(),
            whisper_model: PathBuf::new(),
            keywords: PathBuf::new(),
            vad: VadConfig::default(),
            recognition: PoolConfig::default(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct TwilioConfig {
    /// Auth token of the provider account: webhooks and the media-stream upgrade are
    /// signed with it (`X-Twilio-Signature`). Never logged.
    pub auth_token: Option<SecretString>,
    /// Accept unsigned requests. For local development only.
    pub skip_signature_check: bool,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct AudioSocketConfig {
    /// TCP address for Asterisk AudioSocket connections. Empty: off.
    pub listen: Option<SocketAddr>,
    /// Shared secret the dialplan sends when it registers a call's caller ID
    /// (`POST /audiosocket/caller`). Never logged.
    pub token: Option<SecretString>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DialogConfig {
    /// Seconds of silence after a question before it is asked again.
    pub no_input_timeout_secs: u64,
    /// Office that receives requests whose postcode no office serves.
    pub default_office: String,
    /// The offices' time zone, for opening hours ("Europe/Berlin").
    pub timezone: chrono_tz::Tz,
}

impl Default for DialogConfig {
    fn default() -> Self {
        DialogConfig { no_input_timeout_secs: 8, default_office: String::new(), timezone: chrono_tz::Europe::Berlin }
    }
}

impl DialogConfig {
    pub fn no_input_timeout(&self) -> Duration {
        Duration::from_secs(self.no_input_timeout_secs)
    }

    /// The offices' wall-clock time now.
    pub fn local_now(&self) -> chrono::NaiveDateTime {
        chrono::Utc::now().with_timezone(&self.timezone).naive_local()
    }
}

/// Service rules of the ride service, used when the dispatcher plans a day.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RidesConfig {
    /// Longest time a person sits in the vehicle, in minutes.
    pub max_ride_minutes: u32,
    /// Width of the time window on the side that matters: arrive at most this long before
    /// the appointment; be picked up at most this long after it ends.
    pub window_minutes: u32,
    /// Minutes at each stop to help someone in or out.
    pub service_minutes: u32,
    /// The same for a wheelchair user (ramp or lift, securing the chair).
    pub wheelchair_service_minutes: u32,
    /// Average speed in town, for travel times estimated from straight-line distances.
    pub speed_kmh: f64,
    /// Road distance / straight-line distance.
    pub detour_factor: f64,
    /// Rides are booked by phone at least this many days ahead (tomorrow at the earliest
    /// with 1), so the ride desk can plan them.
    pub min_lead_days: u32,
    /// And at most this many days ahead.
    pub horizon_days: u32,
    /// How long an appointment is assumed to take, for the return trip.
    pub appointment_minutes: u32,
}

impl RidesConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        let bad = |what: &str| Err(ConfigError::Invalid(format!("rides.{what}")));
        if !(5..=240).contains(&self.max_ride_minutes) {
            return bad("max_ride_minutes must be between 5 and 240");
        }
        if !(5..=240).contains(&self.window_minutes) {
            return bad("window_minutes must be between 5 and 240");
        }
        if self.service_minutes > 60 || self.wheelchair_service_minutes > 60 {
            return bad("service_minutes and wheelchair_service_minutes must be at most 60");
        }
        if !(self.speed_kmh > 0.0 && self.speed_kmh <= 130.0) {
            return bad("speed_kmh must be above 0 and at most 130");
        }
        if !(1.0..=3.0).contains(&self.detour_factor) {
            return bad("detour_factor must be between 1.0 and 3.0");
        }
        if self.min_lead_days > 30 || !(1..=365).contains(&self.horizon_days) || self.min_lead_days > self.horizon_days {
            return bad("min_lead_days must be 0..=30 and at most horizon_days (1..=365)");
        }
        if !(10..=480).contains(&self.appointment_minutes) {
            return bad("appointment_minutes must be between 10 and 480");
        }
        Ok(())
    }
}

impl Default for RidesConfig {
    fn default() -> Self {
        RidesConfig {
            max_ride_minutes: 45,
            window_minutes: 30,
            service_minutes: 3,
            wheelchair_service_minutes: 8,
            speed_kmh: 25.0,
            detour_factor: 1.3,
            min_lead_days: 1,
            horizon_days: 60,
            appointment_minutes: 60,
        }
    }
}

/// Data protection: how long personal recordings are kept.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrivacyConfig {
    /// Voice messages and their transcripts are deleted this many days after the call
    /// (the ticket itself stays, for the office's records and statistics).
    pub voice_retention_days: u32,
}

impl Default for PrivacyConfig {
    fn default() -> Self {
        PrivacyConfig { voice_retention_days: 30 }
    }
}

impl PrivacyConfig {
    pub fn voice_retention(&self) -> chrono::Duration {
        chrono::Duration::days(i64::from(self.voice_retention_days))
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub speech: SpeechConfig,
    pub twilio: TwilioConfig,
    pub audiosocket: AudioSocketConfig,
    pub dialog: DialogConfig,
    pub rides: RidesConfig,
    pub privacy: PrivacyConfig,
}

const ENV_PREFIX: &str = "HOTLINE_";
const SECTIONS: [&str; 8] = ["server", "database", "speech", "twilio", "audiosocket", "dialog", "rides", "privacy"];

impl Config {
    /// Reads `path` (if given; a missing file is an error), applies environment overrides,
    /// resolves relative paths and validates.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let (text, base, name) = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|source| ConfigError::Read { path: p.to_path_buf(), source })?;
                let base = p.parent().map(Path::to_path_buf).unwrap_or_default();
                (text, base, p.display().to_string())
            }
            None => (String::new(), PathBuf::new(), "(defaults)".to_string()),
        };
        let env: Vec<(String, String)> = std::env::vars().filter(|(k, _)| k.starts_with(ENV_PREFIX)).collect();
        Self::from_parts(&text, &name, &env, &base)
    }

    /// The pure part of [`Config::load`], for tests.
    pub fn from_parts(text: &str, name: &str, env: &[(String, String)], base: &Path) -> Result<Config, ConfigError> {
        let mut table: toml::Table =
            text.parse().map_err(|e: toml::de::Error| ConfigError::Parse { path: name.to_string(), message: e.to_string() })?;
        for (var, value) in env {
            apply_env(&mut table, var, value)?;
        }
        // serde_path_to_error names the offending setting ("dialog.no_input_timeout_secs").
        let mut config: Config = serde_path_to_error::deserialize(toml::Value::Table(table))
            .map_err(|e| ConfigError::Parse { path: name.to_string(), message: format!("{}: {}", e.path(), e.inner().message()) })?;
        config.resolve_paths(base);
        config.validate()?;
        Ok(config)
    }

    fn resolve_paths(&mut self, base: &Path) {
        let resolve = |p: &mut PathBuf| {
            if !p.as_os_str().is_empty() && p.is_relative() {
                *p = base.join(&*p);
            }
        };
        resolve(&mut self.server.data_dir);
        resolve(&mut self.speech.prompts_dir);
        resolve(&mut self.speech.voices);
        resolve(&mut self.speech.whisper_model);
        resolve(&mut self.speech.keywords);
        if self.database.url.is_empty() {
            self.database.url = format!("sqlite://{}?mode=rwc", self.server.data_dir.join("hotline.db").display());
        }
        if self.server.public_url.is_empty() {
            self.server.public_url = format!("http://{}", self.server.listen);
        }
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let url = url::Url::parse(&self.server.public_url)
            .map_err(|e| ConfigError::Invalid(format!("server.public_url {:?} is not a URL: {e}", self.server.public_url)))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(ConfigError::Invalid(format!(
                "server.public_url {:?} must be an http:// or https:// URL with a host",
                self.server.public_url
            )));
        }
        let db = &self.database.url;
        if !(db.starts_with("sqlite:") || db.starts_with("postgres://") || db.starts_with("postgresql://")) {
            return Err(ConfigError::Invalid(format!("database.url must start with sqlite: or postgres:// (got {:?})", redact_url(db))));
        }
        let dir = self.speech.prompts_dir.join(&self.speech.language);
        if !dir.is_dir() {
            return Err(ConfigError::Invalid(format!(
                "prompt folder {} for language {:?} does not exist",
                dir.display(),
                self.speech.language
            )));
        }
        if !self.speech.voices.is_file() {
            return Err(ConfigError::Invalid(format!("voice configuration {} does not exist", self.speech.voices.display())));
        }
        let model = &self.speech.whisper_model;
        if !model.as_os_str().is_empty() && !model.is_file() {
            return Err(ConfigError::Invalid(format!(
                "speech.whisper_model {} does not exist (run scripts/setup.sh to fetch and convert it)",
                model.display()
            )));
        }
        if self.twilio.auth_token.is_none() && !self.twilio.skip_signature_check {
            return Err(ConfigError::Invalid(
                "twilio.auth_token is not set: webhooks could not be authenticated (set it, or twilio.skip_signature_check = true for local development only)".into(),
            ));
        }
        if self.audiosocket.listen.is_some() && self.audiosocket.token.is_none() {
            return Err(ConfigError::Invalid(
                "audiosocket.listen is set but audiosocket.token is not: callers' numbers could be registered by anyone".into(),
            ));
        }
        let vad = &self.speech.vad;
        if vad.trailing_silence_ms < 200 || vad.min_speech_ms == 0 || vad.max_utterance_ms <= vad.min_speech_ms {
            return Err(ConfigError::Invalid(
                "speech.vad: trailing_silence_ms must be at least 200, min_speech_ms above 0 and below max_utterance_ms".into(),
            ));
        }
        let recognition = &self.speech.recognition;
        if recognition.workers == 0 || recognition.threads_per_worker == 0 {
            return Err(ConfigError::Invalid("speech.recognition: workers and threads_per_worker must be at least 1".into()));
        }
        if self.dialog.no_input_timeout_secs == 0 || self.dialog.no_input_timeout_secs > 60 {
            return Err(ConfigError::Invalid("dialog.no_input_timeout_secs must be between 1 and 60".into()));
        }
        if !(1..=3650).contains(&self.privacy.voice_retention_days) {
            return Err(ConfigError::Invalid("privacy.voice_retention_days must be between 1 and 3650".into()));
        }
        self.rides.validate()
    }

    pub fn is_postgres(&self) -> bool {
        self.database.url.starts_with("postgres")
    }
}

/// Sets `[section] key = value` from `HOTLINE_SECTION_KEY=value`. Values that parse as a
/// TOML integer, float (with a decimal point) or boolean keep that type; everything else
/// is a string.
fn apply_env(table: &mut toml::Table, var: &str, value: &str) -> Result<(), ConfigError> {
    let rest = &var[ENV_PREFIX.len()..];
    let lower = rest.to_ascii_lowercase();
    let Some(section) = SECTIONS.iter().find(|s| lower.starts_with(&format!("{s}_"))) else {
        // Other HOTLINE_ variables (e.g. HOTLINE_CONFIG, HOTLINE_MODEL_DIR) belong to the CLI or scripts.
        return Ok(());
    };
    let key = &lower[section.len() + 1..];
    if key.is_empty() {
        return Err(ConfigError::Env { var: var.into(), message: "names no setting".into() });
    }
    let parsed = value
        .parse::<i64>()
        .map(toml::Value::Integer)
        // Only with a decimal point, so that a secret like "12e34" stays a string.
        .or_else(|_| {
            Some(value)
                .filter(|v| v.contains('.'))
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|f| f.is_finite())
                .map(toml::Value::Float)
                .ok_or(())
        })
        .or_else(|_| value.parse::<bool>().map(toml::Value::Boolean))
        .unwrap_or_else(|_| toml::Value::String(value.to_string()));
    let entry = table.entry(section.to_string()).or_insert_with(|| toml::Value::Table(Default::default()));
    let toml::Value::Table(section_table) = entry else {
        return Err(ConfigError::Env { var: var.into(), message: format!("[{section}] in the config file is not a table") });
    };
    section_table.insert(key.to_string(), parsed);
    Ok(())
}

/// A database URL without its password, for messages.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project_root() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    fn load(text: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let mut env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        if !text.contains("[twilio]") && !env.iter().any(|(k, _)| k.starts_with("HOTLINE_TWILIO")) {
            env.insert(0, ("HOTLINE_TWILIO_AUTH_TOKEN".into(), "test-token".into()));
        }
        Config::from_parts(text, "test.toml", &env, &project_root())
    }

    #[test]
    fn defaults_work_from_the_project_root() {
        let c = load("", &[]).unwrap();
        assert!(c.database.url.starts_with("sqlite://"));
        assert_eq!(c.server.public_url, "http://127.0.0.1:8080");
        assert!(c.speech.prompts_dir.ends_with("prompts"));
        assert_eq!(c.speech.vad, VadConfig::default());
    }

    #[test]
    fn voice_retention_is_configurable_and_bounded() {
        assert_eq!(load("", &[]).unwrap().privacy.voice_retention_days, 30);
        let c = load("[privacy]\nvoice_retention_days = 7\n", &[]).unwrap();
        assert_eq!(c.privacy.voice_retention(), chrono::Duration::days(7));
        assert_eq!(load("", &[("HOTLINE_PRIVACY_VOICE_RETENTION_DAYS", "90")]).unwrap().privacy.voice_retention_days, 90);
        assert!(load("[privacy]\nvoice_retention_days = 0\n", &[]).is_err());
    }

    #[test]
    fn speech_tables_override_single_values() {
        let c = load("[speech.vad]\ntrailing_silence_ms = 1200\n[speech.recognition]\nworkers = 3\n", &[]).unwrap();
        assert_eq!(c.speech.vad.trailing_silence_ms, 1200);
        assert_eq!(c.speech.vad.max_utterance_ms, VadConfig::default().max_utterance_ms);
        assert_eq!((c.speech.recognition.workers, c.speech.recognition.queue), (3, PoolConfig::default().queue));
    }

    #[test]
    fn environment_overrides_the_file() {
        let c = load(
            "[server]\nlisten = \"127.0.0.1:9000\"\n",
            &[("HOTLINE_SERVER_LISTEN", "127.0.0.1:9100"), ("HOTLINE_DIALOG_NO_INPUT_TIMEOUT_SECS", "10"), ("HOTLINE_MODEL_DIR", "/x")],
        )
        .unwrap();
        assert_eq!(c.server.listen.port(), 9100);
        assert_eq!(c.dialog.no_input_timeout_secs, 10);
    }

    #[test]
    fn bad_values_are_explained() {
        let e = load("[server]\npublic_url = \"ftp://x\"\n", &[]).unwrap_err().to_string();
        assert!(e.contains("public_url"), "{e}");
        let e = load("[server]\npublic_url = \"not a url\"\n", &[]).unwrap_err().to_string();
        assert!(e.contains("not a URL"), "{e}");
        let e = load("[database]\nurl = \"mysql://u:secret@h/db\"\n", &[]).unwrap_err().to_string();
        assert!(e.contains("database.url") && !e.contains("secret"), "{e}");
        let e = load("[speech]\nwhisper_model = \"nowhere/ggml.bin\"\n", &[]).unwrap_err().to_string();
        assert!(e.contains("whisper_model") && e.contains("setup.sh"), "{e}");
        let e = load("[server]\nlisten = \"nonsense\"\n", &[]).unwrap_err().to_string();
        assert!(e.contains("test.toml"), "{e}");
        let e = load("[server]\nlisten_port = 1\n", &[]).unwrap_err().to_string();
        assert!(e.contains("unknown field"), "{e}");
        let e = load("", &[("HOTLINE_DIALOG_NO_INPUT_TIMEOUT_SECS", "0")]).unwrap_err().to_string();
        assert!(e.contains("no_input_timeout_secs"), "{e}");
        let e = load("[speech]\nlanguage = \"tlh\"\n", &[]).unwrap_err().to_string();
        assert!(e.contains("prompt folder"), "{e}");
        let e = load("[speech.vad]\ntrailing_silence_ms = 50\n", &[]).unwrap_err().to_string();
        assert!(e.contains("trailing_silence_ms"), "{e}");
        let e = load("[speech.recognition]\nworkers = 0\n", &[]).unwrap_err().to_string();
        assert!(e.contains("workers"), "{e}");
        let e = load("[speech.vad]\nhangover = 1\n", &[]).unwrap_err().to_string();
        assert!(e.contains("speech.vad") && e.contains("unknown field"), "{e}");
        let e = load("[twilio]\n", &[]).unwrap_err().to_string();
        assert!(e.contains("twilio.auth_token") && e.contains("skip_signature_check"), "{e}");
        assert!(load("[twilio]\nskip_signature_check = true\n", &[]).is_ok());
    }

    #[test]
    fn ride_rules_have_defaults_env_overrides_and_limits() {
        let c = load("", &[]).unwrap();
        assert_eq!(c.rides.max_ride_minutes, 45);
        let c = load(
            "[rides]\nspeed_kmh = 30.0\n",
            &[("HOTLINE_RIDES_DETOUR_FACTOR", "1.5"), ("HOTLINE_RIDES_MAX_RIDE_MINUTES", "60"), ("HOTLINE_RIDES_SPEED_KMH", "20")],
        )
        .unwrap();
        assert_eq!((c.rides.detour_factor, c.rides.max_ride_minutes, c.rides.speed_kmh), (1.5, 60, 20.0));
        let e = load("", &[("HOTLINE_RIDES_DETOUR_FACTOR", "0.5")]).unwrap_err().to_string();
        assert!(e.contains("rides.detour_factor"), "{e}");
        let e = load("[rides]\nwindow_minutes = 0\n", &[]).unwrap_err().to_string();
        assert!(e.contains("rides.window_minutes"), "{e}");
    }

    #[test]
    fn secrets_do_not_appear_in_debug_output() {
        let c = load("[twilio]\nauth_token = \"topsecret\"\n", &[]).unwrap();
        assert!(!format!("{c:?}").contains("topsecret"));
    }
}
