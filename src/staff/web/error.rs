//! What can go wrong in a staff request, rendered once: as a German HTML page for the
//! browser, or as `{"error": "..."}` for the API.

use super::layout;
use crate::db::DbError;
use crate::rides::desk::DeskError;
use crate::staff::access::AccessError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

#[derive(Debug)]
pub enum StaffError {
    SignedOut,
    NotFound,
    /// Missing or wrong CSRF token.
    Forbidden,
    /// The ticket moved on (claimed by someone else, closed meanwhile).
    Conflict(&'static str),
    Invalid(&'static str),
    Internal(String),
}

impl StaffError {
    fn status(&self) -> StatusCode {
        match self {
            StaffError::SignedOut => StatusCode::UNAUTHORIZED,
            StaffError::NotFound => StatusCode::NOT_FOUND,
            StaffError::Forbidden => StatusCode::FORBIDDEN,
            StaffError::Conflict(_) => StatusCode::CONFLICT,
            StaffError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            StaffError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn message(&self) -> &'static str {
        match self {
            StaffError::SignedOut => "Bitte melden Sie sich an.",
            StaffError::NotFound => "Diese Seite oder dieses Anliegen gibt es nicht.",
            StaffError::Forbidden => "Die Anfrage war ungültig. Bitte laden Sie die Seite neu und versuchen Sie es noch einmal.",
            StaffError::Conflict(m) | StaffError::Invalid(m) => m,
            StaffError::Internal(_) => "Es ist ein Fehler aufgetreten. Bitte versuchen Sie es gleich noch einmal.",
        }
    }

    pub fn respond(self, api: bool) -> Response {
        if let StaffError::Internal(e) = &self {
            tracing::error!(error = %e, "staff request failed");
        }
        if api {
            return (self.status(), axum::Json(serde_json::json!({ "error": self.message() }))).into_response();
        }
        if let StaffError::SignedOut = self {
            return Redirect::to("/staff/login").into_response();
        }
        (self.status(), layout::message_page("Hinweis", self.message())).into_response()
    }
}

impl IntoResponse for StaffError {
    fn into_response(self) -> Response {
        self.respond(false)
    }
}

impl From<DbError> for StaffError {
    fn from(e: DbError) -> Self {
        StaffError::Internal(e.to_string())
    }
}

impl From<AccessError> for StaffError {
    fn from(e: AccessError) -> Self {
        match e {
            AccessError::NotFound => StaffError::NotFound,
            AccessError::Db(e) => e.into(),
        }
    }
}

impl From<DeskError> for StaffError {
    fn from(e: DeskError) -> Self {
        match e {
            DeskError::NotOpen => StaffError::Conflict("Diese Fahrt ist nicht mehr offen (schon eingeplant, abgelehnt oder storniert)."),
            DeskError::Unverified => StaffError::Invalid("Bitte zuerst die Abholadresse mit Position prüfen."),
            DeskError::Db(e) => e.into(),
        }
    }
}

/// An error from an extractor or the session guard, which serve pages and API alike.
pub struct Rejected {
    pub error: StaffError,
    pub api: bool,
}

impl Rejected {
    pub fn new(error: impl Into<StaffError>, path: &str) -> Rejected {
        Rejected { error: error.into(), api: path.starts_with("/api/") }
    }
}

impl IntoResponse for Rejected {
    fn into_response(self) -> Response {
        self.error.respond(self.api)
    }
}
