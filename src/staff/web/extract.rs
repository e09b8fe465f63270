//! The session guard in front of every signed-in route, and the extractors handlers use:
//! [`SignedIn`] (who is asking) and [`TicketAccess`] (a ticket they may see).

use super::error::{Rejected, StaffError};
use crate::db::DbError;
use crate::domain::tickets::Ticket;
use crate::server::AppState;
use crate::staff::sessions::{self, Session};
use crate::staff::{access, audit};
use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, Path, Request, State};
use axum::http::{HeaderMap, Method, header, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;

pub const SESSION_COOKIE: &str = "hotline_staff";
/// Header of the queue's background refresh: not the user's own activity.
pub const LIVE_REFRESH_HEADER: &str = "x-live-refresh";
/// Header API clients send the CSRF token in; forms send the field `csrf`.
pub const CSRF_HEADER: &str = "x-csrf-token";
const FORM_LIMIT: usize = 64 * 1024;

/// The signed-in staff member of this request, and where they connect from.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub session: Session,
    pub ip: String,
}

impl SignedIn {
    pub fn username(&self) -> &str {
        &self.session.staff.username
    }

    pub async fn audit(&self, app: &AppState, action: &str, object_type: &str, object_id: &str, detail: &str) -> Result<(), DbError> {
        let entry = audit::Entry { actor: self.username(), action, object_type, object_id, detail, ip: &self.ip };
        audit::record(&app.db, &entry).await
    }
}

/// A cookie's value from the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

pub fn client_ip(extensions: &axum::http::Extensions) -> String {
    extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string()).unwrap_or_default()
}

/// Middleware: lets a request through only with a live session, and a write only with
/// the session's CSRF token; hands the session on to [`SignedIn`].
pub async fn guard(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    match check(&app, request).await {
        Ok(request) => next.run(request).await,
        Err(e) => Rejected::new(e, &path).into_response(),
    }
}

async fn check(app: &AppState, request: Request) -> Result<Request, StaffError> {
    let token = cookie(request.headers(), SESSION_COOKIE).ok_or(StaffError::SignedOut)?;
    let activity = !request.headers().contains_key(LIVE_REFRESH_HEADER);
    let session = sessions::find(&app.db, &token, activity).await?.ok_or(StaffError::SignedOut)?;
    let mut request = if matches!(*request.method(), Method::GET | Method::HEAD) { request } else { check_csrf(&session, request).await? };
    let ip = client_ip(request.extensions());
    request.extensions_mut().insert(SignedIn { session, ip });
    Ok(request)
}

async fn check_csrf(session: &Session, request: Request) -> Result<Request, StaffError> {
    if let Some(given) = request.headers().get(CSRF_HEADER) {
        return match given.to_str() {
            Ok(given) if session.csrf_matches(given) => Ok(request),
            _ => Err(StaffError::Forbidden),
        };
    }
    let is_form =
        request.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/x-www-form-urlencoded"));
    if !is_form {
        return Err(StaffError::Forbidden);
    }
    // The token is a field of the form: read the body, check, and pass it on unchanged.
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, FORM_LIMIT).await.map_err(|_| StaffError::Invalid("Das Formular ist zu groß."))?;
    let given = url::form_urlencoded::parse(&bytes).find(|(k, _)| k == "csrf").map(|(_, v)| v.into_owned()).unwrap_or_default();
    if !session.csrf_matches(&given) {
        return Err(StaffError::Forbidden);
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = Rejected;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        // Only missing when a route was added outside the guard: fail closed.
        parts.extensions.get::<SignedIn>().cloned().ok_or_else(|| Rejected::new(StaffError::SignedOut, parts.uri.path()))
    }
}

/// The ticket named by the route's `{id}`, if the signed-in person may see it (404
/// otherwise, exactly as for a ticket that does not exist).
pub struct TicketAccess {
    pub who: SignedIn,
    pub ticket: Ticket,
}

impl FromRequestParts<AppState> for TicketAccess {
    type Rejection = Rejected;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Self::Rejection> {
        let who = SignedIn::from_request_parts(parts, app).await?;
        let path = parts.uri.path().to_string();
        let Path(id) = Path::<String>::from_request_parts(parts, app).await.map_err(|_| Rejected::new(StaffError::NotFound, &path))?;
        let ticket = access::ticket(&app.db, &who.session.staff, &id).await.map_err(|e| Rejected::new(e, &path))?;
        Ok(TicketAccess { who, ticket })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_cookie_among_several() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=1; hotline_staff=abc; b=2".parse().unwrap());
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "c"), None);
    }
}
