//! JSON API for tickets under `/api/v1/`, with the same session, CSRF and access rules
//! as the pages (writes send the session's CSRF token in `X-CSRF-Token`). The OpenAPI
//! document is hand-written next to this file; a test keeps it and [`endpoints`] in step.

use crate::domain::tickets::{self, Ticket, TicketEvent};
use crate::server::AppState;
use crate::staff::access;
use crate::staff::web::actions;
use crate::staff::web::{Filter, SignedIn, StaffError, TicketAccess};
use axum::extract::{Query, State};
use axum::handler::Handler;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

pub const OPENAPI: &str = include_str!("openapi.json");

/// One API route: what the OpenAPI document must describe.
pub struct Endpoint {
    pub method: Method,
    pub path: &'static str,
    handler: MethodRouter<AppState>,
}

fn endpoint<H: Handler<T, AppState>, T: 'static>(method: Method, path: &'static str, handler: H) -> Endpoint {
    let filter = MethodFilter::try_from(method.clone()).expect("a standard method");
    Endpoint { method, path, handler: on(filter, handler) }
}

/// Every signed-in API route (the document itself, `/api/v1/openapi.json`, is public).
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        endpoint(Method::GET, "/api/v1/tickets", list),
        endpoint(Method::GET, "/api/v1/tickets/{id}", show),
        endpoint(Method::POST, "/api/v1/tickets/{id}/claim", claim),
        endpoint(Method::POST, "/api/v1/tickets/{id}/note", note),
        endpoint(Method::POST, "/api/v1/tickets/{id}/close", close),
    ]
}

pub fn router() -> Router<AppState> {
    endpoints().into_iter().fold(Router::new(), |r, e| r.route(e.path, e.handler))
}

pub async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

/// A [`StaffError`] as `{"error": "..."}` with its status code.
pub struct ApiError(StaffError);

impl<E: Into<StaffError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.respond(true)
    }
}

#[derive(Serialize)]
pub struct TicketList {
    tickets: Vec<Ticket>,
}

#[derive(Serialize)]
pub struct TicketDetail {
    ticket: Ticket,
    events: Vec<TicketEvent>,
}

async fn list(State(app): State<AppState>, who: SignedIn, Query(filter): Query<Filter>) -> Result<Json<TicketList>, ApiError> {
    let tickets = access::tickets(&app.db, &who.session.staff, filter.query(&who)).await?;
    who.audit(&app, "api.tickets.list", "", "", &format!("{} Anliegen", tickets.len())).await?;
    Ok(Json(TicketList { tickets }))
}

/// The ticket as it is now, with its history (after a change, so the client sees it).
async fn detail(app: &AppState, who: &SignedIn, id: &str) -> Result<Json<TicketDetail>, ApiError> {
    let ticket = access::ticket(&app.db, &who.session.staff, id).await?;
    let events = tickets::events(&app.db, id).await?;
    Ok(Json(TicketDetail { ticket, events }))
}

async fn show(State(app): State<AppState>, TicketAccess { who, ticket }: TicketAccess) -> Result<Json<TicketDetail>, ApiError> {
    who.audit(&app, "ticket.view", "ticket", &ticket.id, "api").await?;
    detail(&app, &who, &ticket.id).await
}

async fn claim(State(app): State<AppState>, TicketAccess { who, ticket }: TicketAccess) -> Result<Json<TicketDetail>, ApiError> {
    actions::claim(&app, &who, &ticket).await?;
    detail(&app, &who, &ticket.id).await
}

#[derive(Deserialize)]
struct NoteRequest {
    text: String,
}

async fn note(
    State(app): State<AppState>,
    TicketAccess { who, ticket }: TicketAccess,
    Json(body): Json<NoteRequest>,
) -> Result<(StatusCode, Json<TicketDetail>), ApiError> {
    actions::note(&app, &who, &ticket, &body.text).await?;
    Ok((StatusCode::CREATED, detail(&app, &who, &ticket.id).await?))
}

#[derive(Deserialize, Default)]
struct CloseRequest {
    #[serde(default)]
    reason: String,
}

async fn close(
    State(app): State<AppState>,
    TicketAccess { who, ticket }: TicketAccess,
    body: Option<Json<CloseRequest>>,
) -> Result<Json<TicketDetail>, ApiError> {
    let Json(body) = body.unwrap_or_default();
    actions::close(&app, &who, &ticket, &body.reason).await?;
    detail(&app, &who, &ticket.id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_endpoint_is_documented_and_every_documented_path_exists() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI).expect("openapi.json is JSON");
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        let endpoints = endpoints();
        for e in &endpoints {
            let op = &doc["paths"][e.path][e.method.as_str().to_lowercase()];
            assert!(op.is_object(), "{} {} is missing from openapi.json", e.method, e.path);
            assert!(
                op["responses"]["200"].is_object() || op["responses"]["201"].is_object(),
                "{} {} has no success response",
                e.method,
                e.path
            );
        }
        for (path, ops) in doc["paths"].as_object().unwrap() {
            for method in ops.as_object().unwrap().keys() {
                let served = path == "/api/v1/openapi.json"
                    || endpoints.iter().any(|e| e.path == path && e.method.as_str().eq_ignore_ascii_case(method));
                assert!(served, "openapi.json documents {method} {path}, which no route serves");
            }
        }
    }
}
