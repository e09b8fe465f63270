//! `hotline`: the Seniorentelefon service and its tools.

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use seniorentelefon::caller::{self, CallOptions};
use seniorentelefon::config::Config;
use seniorentelefon::db::Db;
use seniorentelefon::dialog::Prompts;
use seniorentelefon::domain::directory::DirectoryFile;
use seniorentelefon::offers::OffersFile;
use seniorentelefon::rides;
use seniorentelefon::server::{AppState, Server};
use seniorentelefon::speech::cache::PromptAudio;
use seniorentelefon::speech::tts::{Tts, VoicesConfig};
use seniorentelefon::staff::users;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Parser)]
#[command(name = "hotline", version, about = "Seniorentelefon: a patient German phone hotline for older people")]
struct Cli {
    /// Configuration file (default: ./hotline.toml if it exists, else built-in defaults).
    #[arg(long, short, global = true, env = "HOTLINE_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

// Parsed once at start: the size of the largest variant (the caller's options) does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Answer calls (Twilio-compatible webhooks and media streams).
    Serve,
    /// Create or update the database schema.
    Migrate,
    /// Dial a running hotline like a telephony provider and play a scripted caller.
    Call(CallArgs),
    /// Prompt texts and their audio.
    Prompts {
        #[command(subcommand)]
        command: PromptsCommand,
    },
    /// Import data.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Staff accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Benchmarks.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
    /// Ride dispatcher.
    Dispatch {
        #[command(subcommand)]
        command: DispatchCommand,
    },
}

#[derive(Subcommand)]
enum DispatchCommand {
    /// Plan a service day from the ride requests in the database, store the plan
    /// (replacing an older one of that day) and print it.
    Plan {
        /// Service day, YYYY-MM-DD.
        #[arg(long)]
        date: chrono::NaiveDate,
        /// Search time for the whole day, in seconds.
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Many simulated callers at once against a hotline this command starts on 127.0.0.1.
    Calls {
        /// Concurrent calls.
        #[arg(long, default_value_t = 100)]
        calls: usize,
        /// Seconds over which the calls start.
        #[arg(long, default_value_t = 10.0)]
        ramp_secs: f64,
        /// twilio or audiosocket.
        #[arg(long, default_value = "twilio")]
        transport: String,
        /// What each caller does (see `hotline call --script`); the default asks for a
        /// callback, by keypad (`3,1,1,3,2`) or, with `--speech`, in five spoken answers.
        #[arg(long)]
        script: Option<String>,
        /// Callers speak: the hotline recognises their answers with the configuration's
        /// whisper model (or voices/whisper/ggml-base.bin), and `say:` steps use its voice.
        #[arg(long)]
        speech: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Ride dispatcher on the Cordeau (2006) a-instances, plus dynamic insertion latency.
    Dispatch {
        /// Folder with the a*.txt instance files.
        #[arg(long, default_value = "../shared/data/darp-cordeau")]
        dir: PathBuf,
        /// Time limit per instance, in seconds.
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Speech pipeline: endpointing, recognition latency and accuracy, understanding,
    /// prompt audio latency and in-band DTMF, on a synthesised test set.
    Speech(BenchSpeechArgs),
}

#[derive(clap::Args)]
struct BenchSpeechArgs {
    /// Test set (tune only on tests/speech/tuning.toml).
    #[arg(long, default_value = "tests/speech/heldout.toml")]
    set: PathBuf,
    /// Cache for the synthesised test speech (default: <data_dir>/bench-speech).
    #[arg(long)]
    cache: Option<PathBuf>,
    /// Recognition workers (default: speech.recognition.workers).
    #[arg(long)]
    workers: Option<usize>,
    /// Cores per recognition (default: speech.recognition.threads_per_worker).
    #[arg(long)]
    threads: Option<usize>,
    /// A few utterances of each kind only.
    #[arg(long)]
    quick: bool,
    /// Measure the keyword spotter only (no recognition, synthesis or DTMF).
    #[arg(long)]
    keywords_only: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct CallArgs {
    /// Base URL of the hotline.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    server: String,
    /// Caller ID to present (the demo number of Erika Mustermann, Hörde, by default).
    #[arg(long, default_value = "+4923155512345")]
    from: String,
    /// Keys to press, one per turn, e.g. 3,1,1,3,2.
    #[arg(long, conflicts_with = "script")]
    keys: Option<String>,
    /// A scenario file (caller ID, transport and steps), e.g. scripts/demo/scenarios/offers.toml.
    #[arg(long, conflicts_with_all = ["keys", "script"])]
    scenario: Option<PathBuf>,
    /// A script: key:3 bargein:1 wait pause:2000 wav:FILE hangup.
    #[arg(long)]
    script: Option<String>,
    /// Save the call (both sides) as a WAV file.
    #[arg(long)]
    wav: Option<PathBuf>,
    /// Prompt folder to show texts of what is played.
    #[arg(long, default_value = "prompts/de")]
    prompts: PathBuf,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 180)]
    max_secs: u64,
    /// Place this many calls at once (a load test) and print a summary.
    #[arg(long, default_value_t = 1)]
    parallel: usize,
    /// Sign requests like the provider (for a hotline that checks signatures).
    #[arg(long, env = "HOTLINE_TWILIO_AUTH_TOKEN", hide_env_values = true)]
    auth_token: Option<String>,
    /// twilio (webhooks + media stream at --server) or audiosocket (like the Asterisk
    /// dialplan in docs/asterisk: registration at --server, audio at --audiosocket).
    #[arg(long, default_value = "twilio", value_parser = ["twilio", "audiosocket"])]
    transport: String,
    /// AudioSocket address of the hotline.
    #[arg(long, default_value = "127.0.0.1:9092")]
    audiosocket: String,
    /// The dialplan's shared secret ([audiosocket] token).
    #[arg(long, env = "HOTLINE_AUDIOSOCKET_TOKEN", hide_env_values = true)]
    audiosocket_token: Option<String>,
    /// When the hotline puts the call through to an office, nobody answers there (the
    /// caller comes back to the hotline).
    #[arg(long)]
    office_no_answer: bool,
    /// Voice configuration for `say:` steps (the German voice in it speaks for the caller).
    #[arg(long, default_value = "voices/voices.toml")]
    voices: PathBuf,
}

#[derive(Subcommand)]
enum PromptsCommand {
    /// Synthesise every static prompt into the audio cache.
    Render,
    /// Build the keyword spotter's references (speech.keywords) from the synthetic voices
    /// of voices/keywords.toml; skipped when they match it already.
    Keywords {
        /// Specification (default: keywords.toml beside the voice configuration).
        #[arg(long)]
        spec: Option<PathBuf>,
        /// Build again even if the references are up to date.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Offices with their postcodes and registered people, from a TOML file.
    Directory { file: PathBuf },
    /// Offers with their dates, from a CSV file (columns in the README); importing it
    /// again updates in place.
    Offers {
        file: PathBuf,
        /// Weekly series get their dates this many weeks ahead; import again (weekly,
        /// say) to keep them coming.
        #[arg(long, default_value_t = 12)]
        weeks: u32,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a staff user; the password is read from standard input.
    Add {
        #[arg(long)]
        username: String,
        #[arg(long)]
        name: String,
        /// staff, ride_desk, coordinator or admin.
        #[arg(long)]
        role: String,
        /// Office id (needed for staff and ride_desk).
        #[arg(long)]
        office: Option<String>,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into()))
        .with_writer(std::io::stderr)
        .init();
    if let Command::Call(args) = cli.command {
        return runtime()?.block_on(call(args));
    }
    // Needs neither configuration nor voices.
    if let Command::Bench { command: BenchCommand::Dispatch { dir, seconds, seed, json } } = cli.command {
        return bench_dispatch(dir, seconds, seed, json);
    }
    let config_path = cli.config.or_else(|| Some(PathBuf::from("hotline.toml")).filter(|p| p.exists()));
    if let Command::Bench { command: BenchCommand::Calls { calls, ramp_secs, transport, script, speech, json } } = cli.command {
        let speech = if speech {
            let config = Config::load(config_path.as_deref())?;
            prepare_voice_env(&config)?;
            Some(caller::bench::speech_for_bench(&config)?)
        } else {
            None
        };
        let options = caller::bench::BenchOptions {
            calls,
            ramp: Duration::from_secs_f64(ramp_secs),
            transport,
            script: script.unwrap_or_else(|| {
                if speech.is_some() { caller::bench::SPOKEN_CALLBACK.to_string() } else { caller::bench::KEYPAD_CALLBACK.to_string() }
            }),
            speech,
            hotline: caller::bench::this_executable()?,
            directory: caller::bench::demo_directory(config_path.as_deref()),
            config: config_path,
        };
        let report = runtime()?.block_on(caller::bench::run(&options))?;
        if json {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            print!("{}", caller::bench::table(&report));
        }
        return Ok(());
    }
    let config = Config::load(config_path.as_deref())?;
    // Needs the database, not the voices.
    if let Command::Dispatch { command: DispatchCommand::Plan { date, seconds, seed } } = cli.command {
        return runtime()?.block_on(plan_rides(&config, date, seconds, seed));
    }
    prepare_voice_env(&config)?;
    runtime()?.block_on(async move {
        match cli.command {
            Command::Serve => serve(config).await,
            Command::Migrate => {
                let db = Db::connect(&config.database.url).await?;
                db.migrate().await?;
                println!("database is up to date");
                Ok(())
            }
            Command::Prompts { command: PromptsCommand::Render } => render_prompts(&config).await,
            Command::Prompts { command: PromptsCommand::Keywords { spec, force } } => build_keywords(&config, spec, force).await,
            Command::Import { command: ImportCommand::Directory { file } } => import_directory(&config, &file).await,
            Command::Import { command: ImportCommand::Offers { file, weeks } } => import_offers(&config, &file, weeks).await,
            Command::User { command: UserCommand::Add { username, name, role, office } } => {
                add_user(&config, &username, &name, &role, office.as_deref()).await
            }
            Command::Bench { command: BenchCommand::Speech(args) } => bench_speech(&config, args).await,
            Command::Call(_) | Command::Bench { .. } | Command::Dispatch { .. } => unreachable!("handled above"),
        }
    })
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

/// Piper reads its espeak-ng data location from the environment; set it while the
/// process still has a single thread.
fn prepare_voice_env(config: &Config) -> anyhow::Result<()> {
    let voices = VoicesConfig::load(&config.speech.voices)?;
    let voice = voices.voice(&config.speech.language)?;
    voice.check_files()?;
    if let Some((key, value)) = voice.process_env() {
        // SAFETY: called from main before the runtime or any other thread is started.
        unsafe { std::env::set_var(key, value) };
    }
    Ok(())
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let listen = config.server.listen;
    let public = config.server.public_url.clone();
    let mut server = Server::bind(listen).await?;
    if let Some(addr) = config.audiosocket.listen {
        server = server.with_audiosocket(addr).await?;
    }
    let state = AppState::load(config).await?;
    eprintln!("Seniorentelefon answers calls at {public}/twilio/voice (listening on {})", server.local_addr());
    server.serve(state).await
}

async fn render_prompts(config: &Config) -> anyhow::Result<()> {
    let prompts = Prompts::load(&config.speech.prompts_dir.join(&config.speech.language))?;
    let voices = VoicesConfig::load(&config.speech.voices)?;
    let tts = Tts::start(voices.voice(&config.speech.language)?, 2)?;
    let audio = PromptAudio::new(tts, config.server.data_dir.join("prompt-cache"));
    let started = std::time::Instant::now();
    let stats = audio.render_all(prompts.static_sentences()).await?;
    println!(
        "{} static prompts ({:.1} s of speech): {} synthesised, {} already cached, in {:.2} s -> {}",
        stats.synthesised + stats.from_disk,
        stats.audio_ms as f64 / 1000.0,
        stats.synthesised,
        stats.from_disk,
        started.elapsed().as_secs_f64(),
        audio.cache_dir().display()
    );
    Ok(())
}

async fn import_directory(config: &Config, file: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let directory = DirectoryFile::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let db = Db::connect(&config.database.url).await?;
    db.migrate().await?;
    let s = directory.import(&db).await?;
    println!(
        "imported {} offices ({} postcodes), {} people ({} caregivers), {} places, {} vehicles and {} areas from {}",
        s.offices,
        s.postcodes,
        s.people,
        s.caregivers,
        s.places,
        s.vehicles,
        s.areas,
        file.display()
    );
    Ok(())
}

async fn import_offers(config: &Config, file: &Path, weeks: u32) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let offers = OffersFile::parse(&text).map_err(|e| anyhow::anyhow!("{}: nothing imported:\n{e}", file.display()))?;
    let db = Db::connect(&config.database.url).await?;
    db.migrate().await?;
    let today = config.dialog.local_now().date();
    let s = offers.import(&db, today, weeks).await.map_err(|e| anyhow::anyhow!("{}: nothing imported:\n{e}", file.display()))?;
    println!(
        "imported {} offers from {}: {} dates added, {} changed, {} cancelled (up to {weeks} weeks ahead)",
        s.offers,
        file.display(),
        s.dates_added,
        s.dates_changed,
        s.dates_cancelled
    );
    if s.bookings_on_cancelled > 0 {
        println!("{} bookings are on the dates just cancelled: tell those people", s.bookings_on_cancelled);
    }
    Ok(())
}

async fn add_user(config: &Config, username: &str, name: &str, role: &str, office: Option<&str>) -> anyhow::Result<()> {
    let mut password = String::new();
    std::io::stdin().read_line(&mut password).context("cannot read the password from standard input")?;
    let password = password.trim_end_matches(['\r', '\n']);
    let db = Db::connect(&config.database.url).await?;
    db.migrate().await?;
    let user = users::NewUser { username, display_name: name, role, office_id: office, password };
    let id = users::add(&db, &user).await?;
    println!("user {username} ({role}) created with id {id}");
    Ok(())
}

async fn plan_rides(config: &Config, date: chrono::NaiveDate, seconds: f64, seed: u64) -> anyhow::Result<()> {
    let limit = Duration::try_from_secs_f64(seconds).context("--seconds must be a number of seconds >= 0")?;
    let db = Db::connect(&config.database.url).await?;
    db.migrate().await?;
    let plan = rides::plan_day(&db, date, &config.rides, seed, limit).await?;
    print!("{}", rides::report::schedule(&plan));
    Ok(())
}

fn bench_dispatch(dir: PathBuf, seconds: f64, seed: u64, json: bool) -> anyhow::Result<()> {
    use seniorentelefon::dispatch::bench;
    let opts = bench::BenchOptions::new(dir, seconds, seed);
    let report = bench::run(&opts, |r| {
        let gap = r.gap_percent.map(|g| format!("{g:.2} %")).unwrap_or_else(|| "-".into());
        eprintln!("{}: cost {:.2}, gap {gap}, {:.1} s, valid {}", r.name, r.cost, r.seconds, r.valid);
    })?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", bench::table(&report));
    }
    if !report.all_valid || !report.insertion.inserted_plans_valid {
        bail!("the validator found violations in some plans");
    }
    Ok(())
}

/// The folder of the Pico language files, for the synthetic voices.
fn pico_dir(voices: &VoicesConfig) -> anyhow::Result<PathBuf> {
    use seniorentelefon::speech::tts::VoiceSpec;
    voices
        .languages
        .values()
        .find_map(|v| match v {
            VoiceSpec::Pico { dir, .. } => Some(dir.clone()),
            VoiceSpec::Piper { .. } => None,
        })
        .context("the synthetic voices need Pico: no Pico voice in the voice configuration")
}

async fn build_keywords(config: &Config, spec: Option<PathBuf>, force: bool) -> anyhow::Result<()> {
    use seniorentelefon::speech::{keywords, synthetic::Renderer};
    let out = &config.speech.keywords;
    anyhow::ensure!(!out.as_os_str().is_empty(), "speech.keywords names no folder for the references: keyword spotting is off");
    let spec = spec.unwrap_or_else(|| keywords::default_spec(&config.speech.voices));
    let voices = VoicesConfig::load(&config.speech.voices)?;
    let mut renderer = Renderer::new(config.server.data_dir.join("keyword-speech"), pico_dir(&voices)?);
    let started = std::time::Instant::now();
    let summary = keywords::build(&spec, out, &mut renderer, force).await?;
    let windows = format!("{} windows with a keyword, {} without", summary.positives, summary.negatives);
    if summary.up_to_date {
        println!("keyword model in {} matches {} ({windows})", out.display(), spec.display());
    } else {
        println!("keyword model trained on {windows} in {:.1} s -> {}", started.elapsed().as_secs_f64(), out.display());
    }
    Ok(())
}

async fn bench_speech(config: &Config, args: BenchSpeechArgs) -> anyhow::Result<()> {
    use seniorentelefon::speech::bench;
    let voices = VoicesConfig::load(&config.speech.voices)?;
    let pico_dir = pico_dir(&voices)?;
    let whisper_model = if config.speech.whisper_model.as_os_str().is_empty() {
        PathBuf::from("voices/whisper/ggml-base.bin")
    } else {
        config.speech.whisper_model.clone()
    };
    let mut pool = config.speech.recognition.clone();
    pool.workers = args.workers.unwrap_or(pool.workers);
    pool.threads_per_worker = args.threads.unwrap_or(pool.threads_per_worker);
    let opts = bench::BenchOptions {
        set: args.set,
        cache: args.cache.unwrap_or_else(|| config.server.data_dir.join("bench-speech")),
        whisper_model,
        pico_dir,
        prompt_voice: voices.voice(&config.speech.language)?.clone(),
        prompts: Prompts::load(&config.speech.prompts_dir.join(&config.speech.language))?,
        vad: config.speech.vad.clone(),
        pool,
        quick: args.quick,
        keywords: (!config.speech.keywords.as_os_str().is_empty()).then(|| config.speech.keywords.clone()),
    };
    if args.keywords_only {
        let figures = bench::run_keywords(&opts).await?;
        if args.json {
            println!("{}", serde_json::to_string_pretty(&figures)?);
        } else {
            print!("{}", bench::keyword_lines(&figures));
        }
        return Ok(());
    }
    let report = bench::run(&opts, |step| eprintln!("{step} ...")).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", bench::table(&report));
    }
    Ok(())
}

async fn call(mut args: CallArgs) -> anyhow::Result<()> {
    if let Some(path) = &args.scenario {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let scenario = caller::Scenario::parse(&text).with_context(|| format!("scenario {}", path.display()))?;
        if !scenario.description.is_empty() {
            println!("{}", scenario.description.trim());
        }
        (args.from, args.transport, args.script) = (scenario.from, scenario.transport, Some(scenario.steps));
    }
    let script = match (&args.keys, &args.script) {
        (Some(keys), _) => keys.clone(),
        (None, Some(script)) => script.clone(),
        (None, None) => bail!("say what the caller does: --keys 3,1,1,3,2, --script \"key:3 wait hangup\" or --scenario FILE"),
    };
    let steps = caller::parse_script(&script)?;
    let prompts = Prompts::load(&args.prompts).ok();
    let mut options = CallOptions::new(&args.server, &args.from, steps);
    options.max_duration = Duration::from_secs(args.max_secs);
    options.auth_token = args.auth_token;
    options.office_answers = !args.office_no_answer;
    if options.steps.iter().any(|s| matches!(s, caller::Step::Say(_))) {
        let voices = VoicesConfig::load(&args.voices)?;
        options.voice = Some(std::sync::Arc::new(Tts::start(voices.voice("de")?, 1)?));
    }
    if args.transport == "audiosocket" {
        let token = args.audiosocket_token.context("--transport audiosocket needs --audiosocket-token (or HOTLINE_AUDIOSOCKET_TOKEN)")?;
        options = options.over_audiosocket(&args.audiosocket, &token);
    }
    if args.parallel > 1 {
        return call_in_parallel(&options, prompts, args.parallel).await;
    }
    let report = caller::dial(&options, prompts.as_ref()).await?;
    for line in &report.lines {
        println!("[{:7.2} s] {:8} {}", line.at.as_secs_f32(), line.who, line.text);
    }
    for (i, latency) in report.turn_latencies.iter().enumerate() {
        println!("turn {}: key press -> first answer frame {:.1} ms", i + 1, latency.as_secs_f64() * 1000.0);
    }
    println!("longest gap between audio frames inside a prompt: {:.1} ms", report.longest_gap.as_secs_f64() * 1000.0);
    if let Some(path) = &args.wav {
        seniorentelefon::audio::wav::write(path, &report.mixed())?;
        println!("call saved to {}", path.display());
    }
    Ok(())
}

/// Many scripted callers at once; prints what the callers experienced.
async fn call_in_parallel(options: &CallOptions, prompts: Option<Prompts>, n: usize) -> anyhow::Result<()> {
    let prompts = prompts.map(std::sync::Arc::new);
    let calls: Vec<_> = (0..n)
        .map(|_| {
            let options = options.clone();
            let prompts = prompts.clone();
            tokio::spawn(async move { caller::dial(&options, prompts.as_deref()).await })
        })
        .collect();
    let (mut latencies, mut gaps, mut failures, mut completed) = (Vec::new(), Vec::new(), 0, 0);
    for call in calls {
        match call.await {
            Ok(Ok(report)) => {
                completed += usize::from(report.hung_up_by_hotline);
                latencies.extend(report.turn_latencies);
                gaps.push(report.longest_gap);
            }
            Ok(Err(e)) => {
                failures += 1;
                eprintln!("call failed: {e:#}");
            }
            Err(e) => {
                failures += 1;
                eprintln!("call task failed: {e}");
            }
        }
    }
    latencies.sort();
    let ms = |d: Option<Duration>| d.map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0);
    let pct = |p: f64| caller::bench::percentile(&latencies, p);
    println!("{n} calls: {completed} finished by the hotline, {failures} failed");
    println!(
        "key press -> first answer frame over {} turns: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
        latencies.len(),
        ms(pct(0.5)),
        ms(pct(0.95)),
        ms(latencies.last().copied())
    );
    println!("longest gap between frames inside a prompt, worst call: {:.1} ms", ms(gaps.iter().max().copied()));
    if failures > 0 {
        bail!("{failures} of {n} calls failed");
    }
    Ok(())
}
