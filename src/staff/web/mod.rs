//! The staff workspace in the browser: server-rendered pages (maud), a small script for
//! the queue's live refresh, and the JSON API, all behind one session guard.

pub(crate) mod actions;
pub(crate) mod caregivers;
mod chart;
mod error;
mod extract;
mod layout;
mod login;
pub(crate) mod offers;
pub(crate) mod people;
mod queue;
pub(crate) mod reports;
pub(crate) mod rides;
mod ticket;

pub use error::{Rejected, StaffError};
pub use extract::{CSRF_HEADER, SESSION_COOKIE, SignedIn, TicketAccess};
pub use queue::Filter;

use crate::server::AppState;
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

/// Every staff route. Routes added to `signed_in` sit behind the session and CSRF guard.
pub fn router(state: AppState) -> Router<AppState> {
    let signed_in = Router::new()
        .route("/staff/queue", get(queue::page_handler))
        .route("/staff/queue/rows", get(queue::rows_handler))
        .route("/staff/tickets/{id}", get(ticket::show))
        .route("/staff/tickets/{id}/audio", get(ticket::audio))
        .route("/staff/tickets/{id}/claim", post(ticket::claim))
        .route("/staff/tickets/{id}/note", post(ticket::note))
        .route("/staff/tickets/{id}/attempt", post(ticket::attempt))
        .route("/staff/tickets/{id}/close", post(ticket::close))
        .route("/staff/tickets/{id}/reassign", post(ticket::reassign))
        .route("/staff/rides", get(rides::list))
        .route("/staff/rides/{id}", get(rides::show))
        .route("/staff/rides/{id}/pickup", post(rides::pickup_form))
        .route("/staff/rides/{id}/accept", post(rides::accept_form))
        .route("/staff/rides/{id}/decline", post(rides::decline_form))
        .route("/staff/reports", get(reports::show))
        .route("/staff/reports/{file}", get(reports::download))
        .route("/staff/offers", get(offers::list_page))
        .route("/staff/offers/import", get(offers::import_form).post(offers::import_submit))
        .route("/staff/offers/{id}", get(offers::show))
        .route("/staff/offers/{id}/capacity", post(offers::capacity_form))
        .route("/staff/offers/{id}/dates/{date_id}/cancel", post(offers::cancel_form))
        .route("/staff/people", get(people::list))
        .route("/staff/people/{id}", get(people::show))
        .route("/staff/people/{id}/export", get(people::download))
        .route("/staff/people/{id}/erase", post(people::erase_form))
        .route("/staff/people/{id}/consent", post(caregivers::consent_submit))
        .route("/staff/people/{id}/caregivers", post(caregivers::register_form))
        .route("/staff/people/{id}/caregivers/{caregiver}/pin", post(caregivers::pin_form))
        .route("/staff/people/{id}/caregivers/{caregiver}/unlock", post(caregivers::unlock_form))
        .route("/staff/people/{id}/caregivers/{caregiver}/remove", post(caregivers::remove_form))
        .route("/staff/logout", post(login::logout))
        .merge(crate::staff::api::router())
        .route_layer(axum::middleware::from_fn_with_state(state, extract::guard));
    Router::new()
        .route("/staff", get(|| async { Redirect::to("/staff/queue") }))
        .route("/staff/login", get(login::form).post(login::submit))
        .route("/staff/assets/staff.css", get(|| asset("text/css; charset=utf-8", include_str!("assets/staff.css"))))
        .route("/staff/assets/staff.js", get(|| asset("text/javascript; charset=utf-8", include_str!("assets/staff.js"))))
        .route("/api/v1/openapi.json", get(crate::staff::api::openapi))
        .merge(signed_in)
        .layer(axum::middleware::map_response(security_headers))
}

async fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "max-age=300")], body).into_response()
}

/// Pages hold personal data: not cached, not framed, no foreign scripts or styles.
async fn security_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, name: &'static str, value: &'static str| {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set(h, "content-security-policy", "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'");
    set(h, "x-frame-options", "DENY");
    set(h, "x-content-type-options", "nosniff");
    set(h, "referrer-policy", "same-origin");
    set(h, "cache-control", "no-store");
    response
}
