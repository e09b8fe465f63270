//! Sign-in and sign-out pages.
//!
//! The sign-in form carries a one-off token that must match a cookie set with the form
//! (double submit), so another site cannot sign a browser into someone else's account.

use super::error::StaffError;
use super::extract::{SESSION_COOKIE, SignedIn, client_ip, cookie};
use super::layout::page;
use crate::server::AppState;
use crate::staff::login::{self, Outcome};
use crate::staff::sessions::{self, MAX_AGE};
use crate::staff::{audit, sessions::random_token};
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use subtle::ConstantTimeEq;

const LOGIN_COOKIE: &str = "hotline_login";

#[derive(Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    bye: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    login_token: String,
}

/// `Set-Cookie` value: HttpOnly, SameSite=Strict, Secure when the service is public over
/// https. `max_age` 0 deletes the cookie.
fn set_cookie(app: &AppState, name: &str, value: &str, path: &str, max_age: i64) -> HeaderValue {
    let secure = if app.config.server.public_url.starts_with("https://") { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"))
        .expect("cookie values are hex tokens")
}

pub async fn form(State(app): State<AppState>, Query(q): Query<LoginQuery>) -> Response {
    let notice = q.bye.is_some().then_some("Sie sind abgemeldet.");
    login_page(&app, StatusCode::OK, notice, None, "")
}

fn login_page(app: &AppState, status: StatusCode, notice: Option<&str>, error: Option<&str>, username: &str) -> Response {
    let token = random_token();
    let body = page("Anmelden", None, login_markup(&token, notice, error, username));
    let cookie = set_cookie(app, LOGIN_COOKIE, &token, "/staff/login", 3600);
    (status, [(header::SET_COOKIE, cookie)], body).into_response()
}

fn login_markup(token: &str, notice: Option<&str>, error: Option<&str>, username: &str) -> Markup {
    html! {
        div.login {
            h1 { "Anmelden" }
            @if let Some(n) = notice { p.notice role="status" { (n) } }
            @if let Some(e) = error { p.error role="alert" { (e) } }
            form method="post" action="/staff/login" {
                input type="hidden" name="login_token" value=(token);
                p {
                    label for="username" { "Benutzername" }
                    input #username name="username" type="text" autocomplete="username" required autofocus value=(username);
                }
                p {
                    label for="password" { "Passwort" }
                    input #password name="password" type="password" autocomplete="current-password" required;
                }
                p { button type="submit" { "Anmelden" } }
            }
        }
    }
}

pub async fn submit(
    State(app): State<AppState>,
    headers: HeaderMap,
    request_parts: axum::http::Extensions,
    Form(f): Form<LoginForm>,
) -> Response {
    match sign_in(&app, &headers, &client_ip(&request_parts), f).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn sign_in(app: &AppState, headers: &HeaderMap, ip: &str, f: LoginForm) -> Result<Response, StaffError> {
    let expected = cookie(headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !bool::from(expected.as_bytes().ct_eq(f.login_token.as_bytes())) {
        let msg = "Das Anmeldeformular war abgelaufen. Bitte melden Sie sich noch einmal an.";
        return Ok(login_page(app, StatusCode::BAD_REQUEST, None, Some(msg), &f.username));
    }
    let log = |actor: &'static str, action: &'static str| audit::Entry { actor, action, object_type: "", object_id: "", detail: "", ip };
    match login::attempt(&app.db, &f.username, &f.password, ip).await? {
        Outcome::Throttled => {
            audit::record(&app.db, &audit::Entry { detail: &f.username, ..log("-", "login.throttled") }).await?;
            let msg = "Zu viele fehlgeschlagene Anmeldeversuche. Bitte warten Sie 15 Minuten und versuchen Sie es dann noch einmal.";
            Ok(login_page(app, StatusCode::TOO_MANY_REQUESTS, None, Some(msg), &f.username))
        }
        Outcome::WrongCredentials => {
            audit::record(&app.db, &audit::Entry { detail: &f.username, ..log("-", "login.failed") }).await?;
            Ok(login_page(app, StatusCode::UNAUTHORIZED, None, Some("Benutzername oder Passwort ist falsch."), &f.username))
        }
        Outcome::SignedIn(staff) => {
            let token = sessions::start(&app.db, &staff.id).await?;
            audit::record(&app.db, &audit::Entry { actor: &staff.username, ..log("-", "login") }).await?;
            let session = set_cookie(app, SESSION_COOKIE, &token, "/", MAX_AGE.num_seconds());
            let clear = set_cookie(app, LOGIN_COOKIE, "", "/staff/login", 0);
            // Two cookies: AppendHeaders, since a header array would keep only the last.
            Ok((AppendHeaders([(header::SET_COOKIE, session), (header::SET_COOKIE, clear)]), Redirect::to("/staff/queue")).into_response())
        }
    }
}

pub async fn logout(State(app): State<AppState>, who: SignedIn) -> Result<Response, StaffError> {
    sessions::end(&app.db, &who.session).await?;
    who.audit(&app, "logout", "", "", "").await?;
    let clear = set_cookie(&app, SESSION_COOKIE, "", "/", 0);
    Ok(([(header::SET_COOKIE, clear)], Redirect::to("/staff/login?bye=1")).into_response())
}
