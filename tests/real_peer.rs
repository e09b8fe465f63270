//! The media-stream front door against a provider that shares none of our code: a Python
//! client on Debian's `websockets` library (`tests/peers/twilio_provider.py`, installed by
//! scripts/setup.sh). It signs its requests, streams 20 ms μ-law frames, presses 3, 1, 1
//! after each prompt and echoes marks; the ticket must be in the database.

mod common;

use common::{AUTH_TOKEN, Backend, ended_call, root, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_independent_websocket_client_books_a_callback() {
    let app = spawn_app(Backend::Sqlite).await;
    let script = root().join("tests/peers/twilio_provider.py");
    let base = app.base.clone();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("/usr/bin/python3").arg(script).args([base.as_str(), AUTH_TOKEN, "+4923155512345", "31132"]).output()
    })
    .await
    .unwrap()
    .expect("python3 runs (scripts/setup.sh installs python3-websockets)");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the provider script failed: {stderr}");
    let heard: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(heard["keys_sent"], 5, "{heard}");
    assert!(heard["media"].as_u64().unwrap() > 1000, "{heard}");
    let marks: Vec<&str> = heard["marks"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
    assert!(marks.iter().any(|m| m.ends_with(":request_received")), "{marks:?}");
    assert_eq!(heard["close_code"], 1000, "the hotline closes the stream normally");
    assert_eq!(heard["after_stream"], serde_json::json!(["Hangup"]));
    let (_, path, outcome) = ended_call(&app.db, heard["call_sid"].as_str().unwrap()).await;
    assert_eq!((path.as_str(), outcome.as_str()), ("main>callback>topic:pflege>number:ok>window:any>message:no>stored", "ticket_created"));
    let tickets: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tickets").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(tickets, 1);
    app.stop().await;
}
