//! People and their caregivers in the staff workspace, over real HTTP: staff of an office
//! list their people, register a caregiver's phone, set a PIN (typed or made up and shown
//! once), unlock a caregiver after wrong PINs, remove one, and record consents; every
//! change is audit-logged and CSRF-protected; people of another office do not exist for
//! them, in the pages and the API alike.

mod common;

use common::staff::{Staff, add_user, assert_matches_schema, hidden_field};
use common::{Backend, TestApp, spawn_app};
use seniorentelefon::domain::caregivers::{self, Pin, PinCheck};
use sqlx::Row;

async fn person(app: &TestApp, phone: &str) -> String {
    sqlx::query_scalar("SELECT id FROM people WHERE phone = $1").bind(phone).fetch_one(app.db.pool()).await.unwrap()
}

async fn audit_actions(app: &TestApp, object: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT action FROM audit_log WHERE object_id = $1 ORDER BY at, id")
        .bind(object)
        .fetch_all(app.db.pool())
        .await
        .unwrap()
}

async fn caregiver_of(app: &TestApp, person: &str, phone: &str) -> String {
    sqlx::query_scalar("SELECT id FROM caregivers WHERE person_id = $1 AND phone = $2")
        .bind(person)
        .bind(phone)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

async fn register_pin_unlock_and_consent(backend: Backend) {
    let app = spawn_app(backend).await;
    add_user(&app.db, "anna", "staff", Some("do-hoerde")).await;
    let gisela = person(&app, "+4923155544321").await;
    let anna = Staff::sign_in(&app, "anna").await;

    // Her office's people without a search; Heinz lives in West.
    let list = anna.get("/staff/people").await.text().await.unwrap();
    assert!(list.contains("Gisela Sonnenschein") && list.contains("Erika Mustermann") && !list.contains("Heinz"), "{list}");
    let page = anna.get(&format!("/staff/people/{gisela}")).await.text().await.unwrap();
    assert!(page.contains("Noch niemand eingetragen") && !page.contains("Endgültig löschen"), "no erasure for staff");

    // Register her daughter; a wrong number or no CSRF token are refused.
    let base = format!("/staff/people/{gisela}/caregivers");
    assert_eq!(anna.post_form(&base, &[("name", "Tochter Petra"), ("phone", "12ab")]).await.status(), 422);
    let no_csrf = anna.http.post(format!("{}{base}", app.base)).header(reqwest::header::COOKIE, &anna.cookie);
    assert_eq!(no_csrf.form(&[("name", "Petra"), ("phone", "0170 7654321")]).send().await.unwrap().status(), 403);
    let added = anna.post_form(&base, &[("name", "Tochter Petra"), ("phone", "0170 7654321")]).await;
    assert_eq!(added.status(), 303);
    assert_eq!(anna.post_form(&base, &[("name", "Petra"), ("phone", "+49 170 7654321")]).await.status(), 409, "registered already");
    let petra = caregiver_of(&app, &gisela, "+491707654321").await;

    // A typed PIN, then one the server makes up: shown once, stored only as a hash.
    assert_eq!(anna.post_form(&format!("{base}/{petra}/pin"), &[("pin", "12")]).await.status(), 422);
    let typed = anna.post_form(&format!("{base}/{petra}/pin"), &[("pin", "2468")]).await;
    assert_eq!(typed.status(), 200);
    assert!(typed.text().await.unwrap().contains("2468"));
    let made_up = anna.post_form(&format!("{base}/{petra}/pin"), &[("pin", "")]).await.text().await.unwrap();
    let shown = made_up.split("class=\"pin\">").nth(1).and_then(|r| r.get(..6)).expect("the new PIN on the page").to_string();
    assert!(shown.chars().all(|c| c.is_ascii_digit()), "{shown}");
    let hash: String =
        sqlx::query_scalar("SELECT pin_hash FROM caregivers WHERE id = $1").bind(&petra).fetch_one(app.db.pool()).await.unwrap();
    assert!(hash.starts_with("$argon2") && !hash.contains(&shown));
    let pin = Pin::parse(&shown).unwrap();

    // Without Gisela's consent Petra cannot act for her; with it she can.
    assert!(matches!(caregivers::check_pin(&app.db, &petra, &pin, "do-hoerde", None).await, Err(caregivers::CaregiverError::NotFound)));
    assert_eq!(anna.post_form(&format!("/staff/people/{gisela}/consent"), &[("caregivers", "ja")]).await.status(), 303);
    let consents = sqlx::query("SELECT consent_caregivers, consent_recording FROM people WHERE id = $1")
        .bind(&gisela)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!((consents.get::<i64, _>("consent_caregivers"), consents.get::<i64, _>("consent_recording")), (1, 0));
    assert_eq!(
        caregivers::check_pin(&app.db, &petra, &pin, "do-hoerde", None).await.unwrap(),
        PinCheck::Accepted { person_id: gisela.clone() }
    );

    // Five wrong PINs lock her out; staff see it and unlock.
    let wrong = Pin::parse("0000").unwrap();
    for _ in 0..5 {
        caregivers::check_pin(&app.db, &petra, &wrong, "do-hoerde", None).await.unwrap();
    }
    assert!(anna.get(&format!("/staff/people/{gisela}")).await.text().await.unwrap().contains("gesperrt seit"));
    assert_eq!(anna.post_form(&format!("{base}/{petra}/unlock"), &[]).await.status(), 303);
    assert_eq!(
        caregivers::check_pin(&app.db, &petra, &pin, "do-hoerde", None).await.unwrap(),
        PinCheck::Accepted { person_id: gisela.clone() }
    );

    // The same through the API, then removal.
    let detail: serde_json::Value = anna.get(&format!("/api/v1/people/{gisela}")).await.json().await.unwrap();
    assert_matches_schema(&detail, "PersonDetail");
    assert_eq!(detail["caregivers"][0]["name"], "Tochter Petra");
    assert_eq!(detail["caregivers"][0]["pin_set"], true);
    assert!(detail.to_string().find("argon2").is_none(), "no hash leaves the server");
    let resp = anna.post_json(&format!("/api/v1/people/{gisela}/caregivers/{petra}/pin"), serde_json::json!({})).await;
    assert_eq!(resp.status(), 200);
    let new_pin: serde_json::Value = resp.json().await.unwrap();
    assert_matches_schema(&new_pin, "NewPin");
    let resp =
        anna.post_json(&format!("/api/v1/people/{gisela}/consents"), serde_json::json!({"caregivers": true, "recording": true})).await;
    assert_eq!(resp.status(), 200);
    let resp = anna
        .post_json(&format!("/api/v1/people/{gisela}/caregivers"), serde_json::json!({"name": "Nachbar Ali", "phone": "0231 5550001"}))
        .await;
    assert_eq!(resp.status(), 200);
    let ali: serde_json::Value = resp.json().await.unwrap();
    assert_matches_schema(&ali, "Caregiver");
    assert_eq!((ali["phone"].as_str(), ali["pin_set"].as_bool()), (Some("+492315550001"), Some(false)));
    assert_eq!(anna.post_form(&format!("{base}/{petra}/remove"), &[]).await.status(), 303);
    let left: Vec<String> =
        sqlx::query_scalar("SELECT name FROM caregivers WHERE person_id = $1").bind(&gisela).fetch_all(app.db.pool()).await.unwrap();
    assert_eq!(left, ["Nachbar Ali"]);

    let actions = audit_actions(&app, &gisela).await;
    for action in ["person.view", "caregiver.register", "caregiver.pin", "person.consent", "caregiver.unlock", "caregiver.remove"] {
        assert!(actions.iter().any(|a| a == action), "{action} not audited: {actions:?}");
    }
    let details: Vec<String> =
        sqlx::query_scalar("SELECT detail FROM audit_log WHERE action = 'caregiver.pin'").fetch_all(app.db.pool()).await.unwrap();
    assert!(details.iter().all(|d| !d.contains(&shown) && !d.contains("2468")), "PINs never reach the audit log: {details:?}");
    app.stop().await;
}

on_both_backends!(register_pin_unlock_and_consent => register_pin_unlock_and_consent);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_of_another_office_do_not_exist_for_staff() {
    let app = spawn_app(Backend::Sqlite).await;
    add_user(&app.db, "wera", "staff", Some("do-innenstadt-west")).await;
    add_user(&app.db, "dora", "ride_desk", Some("do-hoerde")).await;
    add_user(&app.db, "clara", "coordinator", None).await;
    let erika = person(&app, "+4923155512345").await;
    let klaus = caregiver_of(&app, &erika, "+491701234567").await;
    let wera = Staff::sign_in(&app, "wera").await;

    let list = wera.get("/staff/people").await.text().await.unwrap();
    assert!(list.contains("Heinz Beispiel") && !list.contains("Erika"), "only West's people");
    assert!(!wera.get("/staff/people?q=Erika").await.text().await.unwrap().contains("Erika Mustermann"));
    let found: serde_json::Value = wera.get("/api/v1/people?q=mustermann").await.json().await.unwrap();
    assert_eq!(found["people"], serde_json::json!([]));
    for path in [format!("/staff/people/{erika}"), format!("/api/v1/people/{erika}")] {
        assert_eq!(wera.get(&path).await.status(), 404, "{path}");
    }
    let base = format!("/staff/people/{erika}");
    for (path, fields) in [
        (format!("{base}/caregivers"), vec![("name", "Fremder"), ("phone", "0170 1111111")]),
        (format!("{base}/caregivers/{klaus}/pin"), vec![("pin", "1234")]),
        (format!("{base}/caregivers/{klaus}/unlock"), vec![]),
        (format!("{base}/caregivers/{klaus}/remove"), vec![]),
        (format!("{base}/consent"), vec![("caregivers", "ja")]),
    ] {
        assert_eq!(wera.post_form(&path, &fields).await.status(), 404, "{path}");
    }
    let api = format!("/api/v1/people/{erika}/caregivers/{klaus}/pin");
    assert_eq!(wera.post_json(&api, serde_json::json!({"pin": "1234"})).await.status(), 404);
    // A caregiver id under another person of one's own office is no way round.
    let heinz = person(&app, "+4923155598765").await;
    assert_eq!(wera.post_form(&format!("/staff/people/{heinz}/caregivers/{klaus}/remove"), &[]).await.status(), 404);
    let still: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM caregivers WHERE id = $1").bind(&klaus).fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(still, 1);
    assert!(caregivers::check_pin(&app.db, &klaus, &Pin::parse("4711").unwrap(), "do-hoerde", None).await.is_ok(), "his PIN unchanged");
    assert_eq!(
        caregivers::check_pin(&app.db, &klaus, &Pin::parse("4711").unwrap(), "do-hoerde", None).await.unwrap(),
        PinCheck::Accepted { person_id: erika.clone() }
    );

    // The ride desk has no people pages; coordinators see everyone's.
    let dora = Staff::sign_in(&app, "dora").await;
    assert_eq!(dora.get("/staff/people").await.status(), 404);
    assert_eq!(dora.get(&format!("/staff/people/{erika}")).await.status(), 404);
    let clara = Staff::sign_in(&app, "clara").await;
    let page = clara.get(&format!("/staff/people/{erika}")).await.text().await.unwrap();
    assert!(page.contains("Klaus Mustermann") && page.contains("Endgültig löschen"), "{page}");
    assert!(hidden_field(&page, "csrf").is_some());
    app.stop().await;
}
