//! Staff-side helpers: accounts, tickets, and a signed-in HTTP client that keeps its
//! session cookie and CSRF token like a browser would.

use super::TestApp;
use seniorentelefon::db::Db;
use seniorentelefon::domain::tickets::{self, NewTicket, TicketKind};
use seniorentelefon::domain::{PhoneNumber, Postcode};
use seniorentelefon::staff::users::{self, NewUser};

pub const PASSWORD: &str = "ein sicheres Passwort";
/// Served by do-hoerde and do-innenstadt-west in the demo directory.
pub const HOERDE: &str = "44263";
pub const WEST: &str = "44137";

pub async fn add_user(db: &Db, username: &str, role: &str, office: Option<&str>) {
    let user = NewUser { username, display_name: &format!("Test {username}"), role, office_id: office, password: PASSWORD };
    users::add(db, &user).await.unwrap();
}

/// A ticket routed by postcode, as the phone dialog stores one.
pub async fn add_ticket(db: &Db, kind: TicketKind, topic: &str, postcode: &str) -> String {
    tickets::create(db, &phone_ticket(kind, topic, postcode), "").await.unwrap().id
}

/// A request as the phone dialog collects one, routed by postcode.
pub fn phone_ticket(kind: TicketKind, topic: &str, postcode: &str) -> NewTicket {
    NewTicket {
        kind,
        topic: topic.to_string(),
        callback_number: Some(PhoneNumber::parse("+49 231 5551 2345").unwrap()),
        postcode: Some(Postcode::parse(postcode).unwrap()),
        person_id: None,
        person_office_id: None,
        call_id: None,
        window: None,
        message_audio_path: None,
        caregiver_id: None,
        urgent: false,
    }
}

/// The value of `name="NAME" value="..."` in a page.
pub fn hidden_field(html: &str, name: &str) -> Option<String> {
    let start = html.find(&format!("name=\"{name}\" value=\""))? + name.len() + 15;
    Some(html[start..].split('"').next()?.to_string())
}

/// `name=value` of a response's Set-Cookie for `name`, if any.
pub fn set_cookie(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Posts the login form (with its anti-forgery token) and returns the response.
pub async fn submit_login(app: &TestApp, username: &str, password: &str) -> reqwest::Response {
    let http = http();
    let form = http.get(format!("{}/staff/login", app.base)).send().await.unwrap();
    let cookie = set_cookie(&form, "hotline_login").unwrap();
    let token = hidden_field(&form.text().await.unwrap(), "login_token").unwrap();
    let pair = cookie.split(';').next().unwrap().to_string();
    http.post(format!("{}/staff/login", app.base))
        .header(reqwest::header::COOKIE, pair)
        .form(&[("username", username), ("password", password), ("login_token", &token)])
        .send()
        .await
        .unwrap()
}

/// A signed-in staff member's client.
pub struct Staff {
    pub base: String,
    pub http: reqwest::Client,
    pub cookie: String,
    pub csrf: String,
}

impl Staff {
    pub async fn sign_in(app: &TestApp, username: &str) -> Staff {
        let resp = submit_login(app, username, PASSWORD).await;
        assert_eq!(resp.status(), 303, "sign-in of {username}");
        let cookie = set_cookie(&resp, "hotline_staff").unwrap().split(';').next().unwrap().to_string();
        let mut staff = Staff { base: app.base.clone(), http: http(), cookie, csrf: String::new() };
        let page = staff.get("/staff/queue").await;
        assert_eq!(page.status(), 200);
        staff.csrf = hidden_field(&page.text().await.unwrap(), "csrf").unwrap();
        staff
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(format!("{}{path}", self.base)).header(reqwest::header::COOKIE, &self.cookie).send().await.unwrap()
    }

    /// A form post with the session's CSRF token.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut form: Vec<(&str, &str)> = vec![("csrf", &self.csrf)];
        form.extend_from_slice(fields);
        self.http.post(format!("{}{path}", self.base)).header(reqwest::header::COOKIE, &self.cookie).form(&form).send().await.unwrap()
    }

    /// An API post with the CSRF header and a JSON body.
    pub async fn post_json(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .header(reqwest::header::COOKIE, &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .json(&body)
            .send()
            .await
            .unwrap()
    }
}

/// A ride request with its return trip, picked up at a verified address; returns the
/// outbound trip's id. `appointment` is local 'YYYY-MM-DDTHH:MM'.
pub async fn add_ride(db: &Db, office: &str, person: Option<&str>, appointment: &str) -> String {
    use seniorentelefon::rides::{Location, NewRide, Point, store};
    let ride = NewRide {
        office_id: office.to_string(),
        person_id: person.map(str::to_string),
        ticket_id: None,
        call_id: None,
        home: Location { text: "Faßstraße 12, 44263 Dortmund".into(), point: Some(Point { lat: 51.4832, lon: 7.5062 }) },
        destination: Location { text: "Praxis Dr. Sommer".into(), point: Some(Point { lat: 51.49, lon: 7.47 }) },
        destination_place_id: None,
        appointment_at: seniorentelefon::rides::parse_local(appointment).unwrap(),
        appointment_minutes: 60,
        wheelchair: false,
        rollator: true,
        companion: false,
        return_trip: true,
    };
    store::create(db, &ride).await.unwrap().outbound_id
}

/// Checks a JSON object against a schema of the OpenAPI document: every required
/// property is there, and no other when the schema allows none.
pub fn assert_matches_schema(value: &serde_json::Value, schema: &str) {
    let doc: serde_json::Value = serde_json::from_str(seniorentelefon::staff::api::OPENAPI).unwrap();
    let s = &doc["components"]["schemas"][schema];
    let object = value.as_object().unwrap_or_else(|| panic!("{schema}: not an object: {value}"));
    for key in s["required"].as_array().unwrap() {
        assert!(object.contains_key(key.as_str().unwrap()), "{schema}: {key} missing in {value}");
    }
    if s["additionalProperties"] == false {
        for key in object.keys() {
            assert!(s["properties"][key].is_object(), "{schema}: {key} is not documented");
        }
    }
}
