//! The staff workspace in a real browser: headless Chromium driven over WebDriver
//! (Debian's chromium and chromium-driver, installed by scripts/setup.sh). A staff member
//! signs in, sees only their office's tickets, claims one, adds a note and closes it; and a
//! request phoned in with a voice message is played and closed in the browser.
//! Screenshots of the queue and the ticket page land in `<target>/test-artifacts/`.

mod common;

use common::speaking::{erika_speaking, message_of_the_ticket, spawn_listening_app};
use common::staff::{HOERDE, PASSWORD, WEST, add_ticket, add_user};
use common::{Backend, spawn_app};
use fantoccini::{Client, ClientBuilder, Locator};
use seniorentelefon::audio::wav;
use seniorentelefon::caller::dial;
use seniorentelefon::domain::tickets::TicketKind;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// chromedriver on a free port, stopped when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    async fn start() -> Driver {
        assert!(
            std::path::Path::new(CHROMEDRIVER).exists(),
            "{CHROMEDRIVER} is missing: install Debian's chromium and chromium-driver (scripts/setup.sh does)"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(CHROMEDRIVER).arg(format!("--port={port}")).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        let started = Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            assert!(started.elapsed() < Duration::from_secs(20), "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Driver { child, url: format!("http://127.0.0.1:{port}") }
    }

    async fn browser(&self) -> Client {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000", "--lang=de-DE"]
            }),
        );
        ClientBuilder::native().capabilities(caps).connect(&self.url).await.expect("a WebDriver session with headless Chromium")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn artifacts() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| common::root().join("target"));
    let dir = target.join("test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    assert_eq!(&png[1..4], b"PNG");
    std::fs::write(artifacts().join(name), png).unwrap();
}

async fn wait_for_text(c: &Client, text: &str) {
    let started = Instant::now();
    while !c.source().await.unwrap().contains(text) {
        assert!(started.elapsed() < Duration::from_secs(10), "page never showed {text:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Opens the queue, is sent to the login, and signs in there with the keyboard.
async fn sign_in_to_the_queue(c: &Client, base: &str, username: &str) {
    c.goto(&format!("{base}/staff/queue")).await.unwrap();
    assert!(c.current_url().await.unwrap().path().ends_with("/staff/login"), "signed out: to the login");
    c.find(Locator::Id("username")).await.unwrap().send_keys(username).await.unwrap();
    // Enter submits, as for anyone working with the keyboard.
    c.find(Locator::Id("password")).await.unwrap().send_keys(&format!("{PASSWORD}\u{E007}")).await.unwrap();
}

#[tokio::test]
async fn staff_member_signs_in_claims_notes_and_closes_in_chromium() {
    let app = spawn_app(Backend::Sqlite).await;
    add_user(&app.db, "anna", "staff", Some("do-hoerde")).await;
    let mine = add_ticket(&app.db, TicketKind::Callback, "pflege", HOERDE).await;
    add_ticket(&app.db, TicketKind::DigitalHelp, "smartphone", HOERDE).await;
    add_ticket(&app.db, TicketKind::Callback, "nachbarschaftshilfe-west", WEST).await;
    // One overdue, so the colours show.
    let old = seniorentelefon::db::timestamp(chrono::Utc::now() - chrono::Duration::hours(30));
    sqlx::query("UPDATE tickets SET created_at = $1 WHERE id = $2").bind(&old).bind(&mine).execute(app.db.pool()).await.unwrap();

    let driver = Driver::start().await;
    let c = driver.browser().await;
    sign_in_to_the_queue(&c, &app.base, "anna").await;
    wait_for_text(&c, "Warteschlange – Seniorenbüro Hörde").await;
    let queue = c.source().await.unwrap();
    assert!(queue.contains("Pflege und Unterstützung") && queue.contains("smartphone"));
    assert!(!queue.contains("nachbarschaftshilfe-west"), "another office's ticket in the queue");
    assert!(queue.contains("überfällig"));
    screenshot(&c, "staff-queue.png").await;

    c.find(Locator::LinkText("Pflege und Unterstützung")).await.unwrap().click().await.unwrap();
    wait_for_text(&c, "Rückruf: Pflege und Unterstützung").await;
    c.find(Locator::Css("form[action$='/claim'] button")).await.unwrap().click().await.unwrap();
    wait_for_text(&c, "Sie bearbeiten dieses Anliegen jetzt.").await;
    c.find(Locator::Id("note-text")).await.unwrap().send_keys("Frau Mustermann bittet um Rückruf am Nachmittag.").await.unwrap();
    c.find(Locator::Css("form[action$='/note'] button")).await.unwrap().click().await.unwrap();
    wait_for_text(&c, "Die Notiz ist gespeichert.").await;
    c.set_window_size(1280, 1900).await.unwrap();
    screenshot(&c, "staff-ticket.png").await;

    c.find(Locator::Css("form[action$='/close'] button")).await.unwrap().click().await.unwrap();
    wait_for_text(&c, "Das Anliegen ist geschlossen.").await;
    c.close().await.unwrap();

    let kinds: Vec<String> = sqlx::query_scalar("SELECT kind FROM ticket_events WHERE ticket_id = $1 ORDER BY at, id")
        .bind(&mine)
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    assert_eq!(kinds, ["created", "claimed", "note", "closed"]);
    app.stop().await;
}

/// From a phone call to a closed ticket: Erika asks by keypad for an advisor to call her
/// back and leaves a spoken message after the tone. Anna of her office finds the request
/// in the queue, plays the message in the browser, reads its transcript, claims it and
/// closes it with a call-back marked done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phoned_in_voice_message_is_played_and_closed_in_chromium() {
    let app = spawn_listening_app(Backend::Sqlite).await;
    add_user(&app.db, "anna", "staff", Some("do-hoerde")).await;
    let script = r#"3,1,1,1,1 say:"Bitte rufen Sie mich nach zehn Uhr an, es geht um den Pflegegrad meiner Mutter.""#;
    let report = dial(&erika_speaking(&app, script), None).await.unwrap();
    assert!(report.hung_up_by_hotline, "{:#?}", report.lines);
    let (_, audio, transcript) = message_of_the_ticket(&app).await;
    let seconds = wav::read(&app.state.config.server.data_dir.join(audio.unwrap())).unwrap().duration_ms() as f64 / 1000.0;
    let transcript = transcript.unwrap();
    let ticket: String = sqlx::query_scalar("SELECT id FROM tickets").fetch_one(app.db.pool()).await.unwrap();

    let driver = Driver::start().await;
    let c = driver.browser().await;
    sign_in_to_the_queue(&c, &app.base, "anna").await;
    wait_for_text(&c, "Warteschlange – Seniorenbüro Hörde").await;
    c.find(Locator::Css(&format!("a[href='/staff/tickets/{ticket}']"))).await.unwrap().click().await.unwrap();
    wait_for_text(&c, "Sprachnachricht").await;
    let page = c.source().await.unwrap();
    let first_words: String = transcript.split_whitespace().take(3).collect::<Vec<_>>().join(" ");
    assert!(page.contains(&first_words), "transcript {transcript:?} not on the page");

    // The player plays the recording (muted: no sound card here), the whole of it.
    let played = c
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               const a = document.querySelector('audio');
               a.muted = true;
               a.play().then(() => setTimeout(() => done({ok: true, at: a.currentTime, duration: a.duration}), 1500),
                             e => done({ok: false, error: String(e)}));"#,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(played["ok"], true, "{played}");
    assert!(played["at"].as_f64().unwrap() > 0.5, "{played}");
    let duration = played["duration"].as_f64().unwrap();
    assert!((duration - seconds).abs() < 0.1, "the browser's {duration} s, the file's {seconds} s");
    let listened: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE actor = 'anna' AND action = 'ticket.audio' AND object_id = $1")
            .bind(&ticket)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert!(listened >= 1, "listening is in the audit log");
    c.set_window_size(1280, 1900).await.unwrap();
    screenshot(&c, "staff-ticket-voice-message.png").await;

    c.find(Locator::Css("form[action$='/claim'] button")).await.unwrap().click().await.unwrap();
    wait_for_text(&c, "Sie bearbeiten dieses Anliegen jetzt.").await;
    c.find(Locator::Id("attempt-note")).await.unwrap().send_keys("Pflegegrad besprochen, Antrag geht raus.").await.unwrap();
    c.find(Locator::Css("form[action$='/attempt'] button[value='done']")).await.unwrap().click().await.unwrap();
    wait_for_text(&c, "Der Rückrufversuch ist eingetragen.").await;
    c.close().await.unwrap();

    let status: String =
        sqlx::query_scalar("SELECT status FROM tickets WHERE id = $1").bind(&ticket).fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(status, "closed");
    let kinds: Vec<String> = sqlx::query_scalar("SELECT kind FROM ticket_events WHERE ticket_id = $1 ORDER BY at, id")
        .bind(&ticket)
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    assert_eq!(kinds, ["created", "transcribed", "claimed", "attempt"]);
    app.stop().await;
}
