//! JSON API for tickets under `/api/v1/`, with the same session, CSRF and access rules
//! as the pages (writes send the session's CSRF token in `X-CSRF-Token`). The OpenAPI
//! document is hand-written next to this file; a test keeps it and [`endpoints`] in step.

use crate::domain::caregivers::Caregiver;
use crate::domain::directory::{Consents, PersonListing};
use crate::domain::tickets::{self, Ticket, TicketEvent};
use crate::offers::manage::ManagedOffer;
use crate::privacy::person::Erased;
use crate::reports::Report;
use crate::rides::desk::DeskRide;
use crate::server::AppState;
use crate::staff::access;
use crate::staff::web::{Filter, SignedIn, StaffError, TicketAccess};
use crate::staff::web::{actions, caregivers, offers, people, reports, rides};
use axum::extract::{Path, Query, State};
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
        endpoint(Method::GET, "/api/v1/rides", rides_day),
        endpoint(Method::GET, "/api/v1/rides/{id}", ride_show),
        endpoint(Method::POST, "/api/v1/rides/{id}/pickup", ride_pickup),
        endpoint(Method::POST, "/api/v1/rides/{id}/accept", ride_accept),
        endpoint(Method::POST, "/api/v1/rides/{id}/decline", ride_decline),
        endpoint(Method::GET, "/api/v1/reports", report),
        endpoint(Method::GET, "/api/v1/offers", offers_list),
        endpoint(Method::POST, "/api/v1/offers/{id}/capacity", offer_capacity),
        endpoint(Method::POST, "/api/v1/offers/{id}/dates/{date_id}/cancel", offer_cancel_date),
        endpoint(Method::GET, "/api/v1/people", people_search),
        endpoint(Method::GET, "/api/v1/people/{id}", person_show),
        endpoint(Method::POST, "/api/v1/people/{id}/consents", person_consents),
        endpoint(Method::POST, "/api/v1/people/{id}/caregivers", caregiver_register),
        endpoint(Method::POST, "/api/v1/people/{id}/caregivers/{caregiver}/pin", caregiver_pin),
        endpoint(Method::POST, "/api/v1/people/{id}/caregivers/{caregiver}/unlock", caregiver_unlock),
        endpoint(Method::POST, "/api/v1/people/{id}/caregivers/{caregiver}/remove", caregiver_remove),
        endpoint(Method::GET, "/api/v1/people/{id}/export", people_export),
        endpoint(Method::POST, "/api/v1/people/{id}/erase", people_erase),
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

#[derive(Serialize)]
pub struct RideDay {
    date: String,
    rides: Vec<DeskRide>,
}

async fn rides_day(State(app): State<AppState>, who: SignedIn, Query(q): Query<rides::DayQuery>) -> Result<Json<RideDay>, ApiError> {
    let (date, rides) = rides::day(&app, &who, &q.date).await?;
    Ok(Json(RideDay { date: date.to_string(), rides }))
}

async fn ride_show(State(app): State<AppState>, who: SignedIn, Path(id): Path<String>) -> Result<Json<DeskRide>, ApiError> {
    let ride = rides::ride(&app, &who, &id).await?;
    who.audit(&app, "ride.view", "ride", &id, "api").await?;
    Ok(Json(ride))
}

#[derive(Deserialize)]
struct PickupRequest {
    address: String,
    lat: f64,
    lon: f64,
}

async fn ride_pickup(
    State(app): State<AppState>,
    who: SignedIn,
    Path(id): Path<String>,
    Json(body): Json<PickupRequest>,
) -> Result<Json<DeskRide>, ApiError> {
    rides::set_pickup(&app, &who, &id, &body.address, &body.lat.to_string(), &body.lon.to_string()).await?;
    Ok(Json(rides::ride(&app, &who, &id).await?))
}

async fn ride_accept(State(app): State<AppState>, who: SignedIn, Path(id): Path<String>) -> Result<Json<DeskRide>, ApiError> {
    rides::accept(&app, &who, &id).await?;
    Ok(Json(rides::ride(&app, &who, &id).await?))
}

#[derive(Deserialize)]
struct DeclineRequest {
    reason: String,
}

#[derive(Serialize)]
pub struct Declined {
    ride: DeskRide,
    /// The call-back ticket that tells the person.
    callback_ticket_id: String,
}

async fn ride_decline(
    State(app): State<AppState>,
    who: SignedIn,
    Path(id): Path<String>,
    Json(body): Json<DeclineRequest>,
) -> Result<Json<Declined>, ApiError> {
    let callback_ticket_id = rides::decline(&app, &who, &id, &body.reason).await?;
    Ok(Json(Declined { ride: rides::ride(&app, &who, &id).await?, callback_ticket_id }))
}

async fn report(State(app): State<AppState>, who: SignedIn, Query(q): Query<reports::RangeQuery>) -> Result<Json<Report>, ApiError> {
    Ok(Json(reports::report(&app, &who, &q, "api").await?))
}

#[derive(Serialize)]
pub struct OfferList {
    offers: Vec<ManagedOffer>,
}

async fn offers_list(State(app): State<AppState>, who: SignedIn) -> Result<Json<OfferList>, ApiError> {
    Ok(Json(OfferList { offers: offers::list(&app, &who).await? }))
}

#[derive(Deserialize)]
struct CapacityRequest {
    /// Seats per date; null: open to all.
    capacity: Option<u32>,
}

async fn offer_capacity(
    State(app): State<AppState>,
    who: SignedIn,
    Path(id): Path<String>,
    Json(body): Json<CapacityRequest>,
) -> Result<Json<ManagedOffer>, ApiError> {
    offers::set_capacity(&app, &who, &id, body.capacity).await?;
    Ok(Json(offers::offer(&app, &who, &id).await?))
}

#[derive(Deserialize, Default)]
struct CancelDateRequest {
    #[serde(default)]
    reason: String,
}

#[derive(Serialize)]
pub struct CancelledDate {
    /// One call-back ticket per booking on the date.
    callback_ticket_ids: Vec<String>,
}

async fn offer_cancel_date(
    State(app): State<AppState>,
    who: SignedIn,
    Path((id, date_id)): Path<(String, String)>,
    body: Option<Json<CancelDateRequest>>,
) -> Result<Json<CancelledDate>, ApiError> {
    let Json(body) = body.unwrap_or_default();
    Ok(Json(CancelledDate { callback_ticket_ids: offers::cancel_date(&app, &who, &id, &date_id, &body.reason).await? }))
}

#[derive(Serialize)]
pub struct PeopleList {
    people: Vec<PersonListing>,
}

async fn people_search(State(app): State<AppState>, who: SignedIn, Query(s): Query<people::Search>) -> Result<Json<PeopleList>, ApiError> {
    Ok(Json(PeopleList { people: people::search(&app, &who, &s.q).await? }))
}

async fn person_show(State(app): State<AppState>, who: SignedIn, Path(id): Path<String>) -> Result<Json<people::PersonDetail>, ApiError> {
    Ok(Json(people::detail(&app, &who, &id).await?))
}

async fn person_consents(
    State(app): State<AppState>,
    who: SignedIn,
    Path(id): Path<String>,
    Json(consents): Json<Consents>,
) -> Result<Json<Consents>, ApiError> {
    caregivers::set_consents(&app, &who, &id, consents).await?;
    Ok(Json(consents))
}

#[derive(Deserialize)]
struct NewCaregiver {
    name: String,
    phone: String,
}

/// The caregiver `id` as it is now (after a change, so no second audit entry for a view).
async fn caregiver_now(app: &AppState, id: &str) -> Result<Json<Caregiver>, ApiError> {
    Ok(Json(crate::domain::caregivers::get(&app.db, id).await?.ok_or(StaffError::NotFound)?))
}

async fn caregiver_register(
    State(app): State<AppState>,
    who: SignedIn,
    Path(id): Path<String>,
    Json(body): Json<NewCaregiver>,
) -> Result<Json<Caregiver>, ApiError> {
    let caregiver = caregivers::register(&app, &who, &id, &body.name, &body.phone).await?;
    caregiver_now(&app, &caregiver).await
}

#[derive(Deserialize, Default)]
struct PinRequest {
    /// 4 to 6 digits; none or empty: the server makes one up.
    #[serde(default)]
    pin: String,
}

#[derive(Serialize)]
struct NewPin {
    pin: String,
}

async fn caregiver_pin(
    State(app): State<AppState>,
    who: SignedIn,
    Path((id, caregiver)): Path<(String, String)>,
    body: Option<Json<PinRequest>>,
) -> Result<Json<NewPin>, ApiError> {
    let Json(body) = body.unwrap_or_default();
    let pin = caregivers::set_pin(&app, &who, &id, &caregiver, &body.pin).await?;
    Ok(Json(NewPin { pin: pin.as_str().to_string() }))
}

async fn caregiver_unlock(
    State(app): State<AppState>,
    who: SignedIn,
    Path((id, caregiver)): Path<(String, String)>,
) -> Result<Json<Caregiver>, ApiError> {
    caregivers::unlock(&app, &who, &id, &caregiver).await?;
    caregiver_now(&app, &caregiver).await
}

#[derive(Serialize)]
struct Removed {
    removed: bool,
}

async fn caregiver_remove(
    State(app): State<AppState>,
    who: SignedIn,
    Path((id, caregiver)): Path<(String, String)>,
) -> Result<Json<Removed>, ApiError> {
    caregivers::remove(&app, &who, &id, &caregiver).await?;
    Ok(Json(Removed { removed: true }))
}

async fn people_export(State(app): State<AppState>, who: SignedIn, Path(id): Path<String>) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(people::export(&app, &who, &id).await?))
}

#[derive(Deserialize)]
struct EraseRequest {
    /// Must be `true`: erasure cannot be undone.
    confirm: bool,
}

async fn people_erase(
    State(app): State<AppState>,
    who: SignedIn,
    Path(id): Path<String>,
    Json(body): Json<EraseRequest>,
) -> Result<Json<Erased>, ApiError> {
    if !body.confirm {
        return Err(StaffError::Invalid("confirm must be true").into());
    }
    Ok(Json(people::erase(&app, &who, &id).await?))
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

    #[test]
    fn every_reference_in_the_document_resolves() {
        fn refs<'a>(v: &'a serde_json::Value, out: &mut Vec<&'a str>) {
            match v {
                serde_json::Value::Object(m) => {
                    out.extend(m.get("$ref").and_then(|r| r.as_str()));
                    m.values().for_each(|v| refs(v, out));
                }
                serde_json::Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
                _ => {}
            }
        }
        let doc: serde_json::Value = serde_json::from_str(OPENAPI).unwrap();
        let mut found = Vec::new();
        refs(&doc, &mut found);
        assert!(found.len() > 20);
        for r in found {
            let pointer = r.strip_prefix('#').expect("local reference");
            assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
        }
    }
}
