//! Twilio-compatible voice webhooks: the provider asks what to do with a new call, and we
//! answer with TwiML that connects the call to our media-stream WebSocket.

use super::signature;
use crate::domain::{PhoneNumber, calls};
use crate::server::AppState;
use axum::Form;
use axum::extract::{FromRequest, OriginalUri, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;

/// Query and TwiML parameter names shared with the stream handler.
pub const PARAM_CALLER: &str = "caller";
pub const PARAM_CALLED: &str = "called";
pub const PARAM_CALL_SID: &str = "callSid";

fn twiml(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

/// Escapes text for XML attribute values and content.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// The provider's view of our base URL, for HTTP and for WebSocket.
fn public_bases(app: &AppState) -> (String, String) {
    let base = app.config.server.public_url.trim_end_matches('/').to_string();
    let ws = if let Some(rest) = base.strip_prefix("https://") { format!("wss://{rest}") } else { base.replacen("http://", "ws://", 1) };
    (base, ws)
}

/// Checks `X-Twilio-Signature` over the URL the provider requested (our public base plus
/// the request's path and query) and the form parameters. `websocket` selects the
/// wss:// form of the URL, which is what the media-stream upgrade is signed over.
pub fn authenticate(
    app: &AppState,
    headers: &HeaderMap,
    uri: &OriginalUri,
    params: &[(String, String)],
    websocket: bool,
) -> Result<(), BadSignature> {
    let Some(token) = &app.config.twilio.auth_token else {
        // Only reachable with twilio.skip_signature_check (validated at start-up).
        return Ok(());
    };
    let (http, ws) = public_bases(app);
    let path = uri.0.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let url = format!("{}{path}", if websocket { ws } else { http });
    let given = headers.get(signature::HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
    if signature::verify(token.expose_secret(), &url, params, given) {
        Ok(())
    } else {
        tracing::warn!(%url, present = !given.is_empty(), "request with a missing or wrong signature rejected");
        Err(BadSignature)
    }
}

/// A form POST from the provider whose signature has been checked. Rejections are
/// responses: 403 for a bad signature, 4xx from the form parser for a malformed body.
pub struct SignedForm(pub Vec<(String, String)>);

impl FromRequest<AppState> for SignedForm {
    type Rejection = Response;

    async fn from_request(request: Request, app: &AppState) -> Result<Self, Self::Rejection> {
        let headers = request.headers().clone();
        let uri = OriginalUri(request.extensions().get::<OriginalUri>().map(|u| u.0.clone()).unwrap_or_else(|| request.uri().clone()));
        let Form(form) = Form::<Vec<(String, String)>>::from_request(request, app).await.map_err(IntoResponse::into_response)?;
        authenticate(app, &headers, &uri, &form, false).map_err(IntoResponse::into_response)?;
        Ok(SignedForm(form))
    }
}

/// A request whose signature is missing or wrong: 403.
#[derive(Debug)]
pub struct BadSignature;

impl IntoResponse for BadSignature {
    fn into_response(self) -> Response {
        (StatusCode::FORBIDDEN, "missing or invalid X-Twilio-Signature\n").into_response()
    }
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// `POST /twilio/voice`: a call comes in.
pub async fn voice(State(app): State<AppState>, SignedForm(form): SignedForm) -> Response {
    let Some(call_sid) = field(&form, "CallSid").filter(|s| !s.is_empty()) else {
        tracing::warn!("voice webhook without CallSid rejected");
        return (StatusCode::BAD_REQUEST, "missing form field CallSid\n").into_response();
    };
    let from = field(&form, "From").unwrap_or("");
    let to = field(&form, "To").unwrap_or("");
    tracing::info!(call_sid, "incoming call");
    let (base, ws_base) = public_bases(&app);
    let param = |name: &str, value: &str| format!("<Parameter name=\"{}\" value=\"{}\"/>", xml_escape(name), xml_escape(value));
    twiml(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Connect action=\"{}\"><Stream url=\"{}\">{}{}{}</Stream></Connect></Response>",
        xml_escape(&format!("{base}/twilio/after-stream")),
        xml_escape(&format!("{ws_base}/twilio/media")),
        param(PARAM_CALLER, from),
        param(PARAM_CALLED, to),
        param(PARAM_CALL_SID, call_sid),
    ))
}

/// `POST /twilio/after-stream`: our side closed the stream; the call ends.
pub async fn after_stream(SignedForm(form): SignedForm) -> Response {
    tracing::debug!(call_sid = field(&form, "CallSid").unwrap_or("-"), "stream ended, hanging up");
    twiml("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Hangup/></Response>".into())
}

/// `POST /twilio/status`: the provider reports how a call ended (completed, busy,
/// no-answer, failed, canceled), also for calls that never reached the media stream.
pub async fn status(State(app): State<AppState>, SignedForm(form): SignedForm) -> Response {
    let (Some(call_sid), Some(status)) = (field(&form, "CallSid").filter(|s| !s.is_empty()), field(&form, "CallStatus")) else {
        return (StatusCode::BAD_REQUEST, "missing form field CallSid or CallStatus\n").into_response();
    };
    let duration = field(&form, "CallDuration").and_then(|d| d.parse::<i64>().ok());
    let caller = field(&form, "From").and_then(PhoneNumber::from_caller_id);
    match calls::record_provider_status(&app.db, "twilio", call_sid, status, duration, caller.as_ref()).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => {
            tracing::error!(error = %e, call_sid, "cannot record call status");
            // 5xx makes the provider retry later.
            (StatusCode::SERVICE_UNAVAILABLE, "status not recorded, try again\n").into_response()
        }
    }
}
