//! The staff workspace in a real browser: headless Chromium driven over WebDriver
//! (Debian's chromium and chromium-driver, installed by scripts/setup.sh). A staff member
//! signs in, sees only their office's tickets, claims one, adds a note and closes it.
//! Screenshots of the queue and the ticket page land in `<target>/test-artifacts/`.

mod common;

use common::staff::{HOERDE, PASSWORD, WEST, add_ticket, add_user};
use common::{Backend, spawn_app};
use fantoccini::{Client, ClientBuilder, Locator};
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
    c.goto(&format!("{}/staff/queue", app.base)).await.unwrap();
    assert!(c.current_url().await.unwrap().path().ends_with("/staff/login"), "signed out: to the login");
    c.find(Locator::Id("username")).await.unwrap().send_keys("anna").await.unwrap();
    // Enter submits, as for anyone working with the keyboard.
    c.find(Locator::Id("password")).await.unwrap().send_keys(&format!("{PASSWORD}\u{E007}")).await.unwrap();
    wait_for_text(&c, "Warteschlange – Seniorenbüro Hörde").await;
    let queue = c.source().await.unwrap();
    assert!(queue.contains("pflege") && queue.contains("smartphone"));
    assert!(!queue.contains("nachbarschaftshilfe-west"), "another office's ticket in the queue");
    assert!(queue.contains("überfällig"));
    screenshot(&c, "staff-queue.png").await;

    c.find(Locator::LinkText("pflege")).await.unwrap().click().await.unwrap();
    wait_for_text(&c, "Rückruf: pflege").await;
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
