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

/// TwiML that connects the call to our media stream, carrying the call's facts along.
fn connect_to_stream(app: &AppState, call_sid: &str, from: &str, to: &str) -> Response {
    let (base, ws_base) = public_bases(app);
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

fn hang_up() -> Response {
    twiml("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Hangup/></Response>".into())
}

fn required_call_sid(form: &[(String, String)]) -> Result<&str, (StatusCode, &'static str)> {
    field(form, "CallSid").filter(|s| !s.is_empty()).ok_or_else(|| {
        tracing::warn!("webhook without CallSid rejected");
        (StatusCode::BAD_REQUEST, "missing form field CallSid\n")
    })
}

/// `POST /twilio/voice`: a call comes in. Answering twice (a retried webhook) is harmless:
/// the call's conversation starts only once, when its stream connects.
pub async fn voice(State(app): State<AppState>, SignedForm(form): SignedForm) -> Response {
    let call_sid = match required_call_sid(&form) {
        Ok(sid) => sid,
        Err(rejection) => return rejection.into_response(),
    };
    tracing::info!(call_sid, "incoming call");
    connect_to_stream(&app, call_sid, field(&form, "From").unwrap_or(""), field(&form, "To").unwrap_or(""))
}

/// Seconds an office phone rings before the caller comes back to the hotline.
const DIAL_TIMEOUT_SECS: u32 = 25;

/// `POST /twilio/after-stream`: our side closed the stream. Either the caller asked for a
/// person and the office is open (dial it), or the call ends.
pub async fn after_stream(State(app): State<AppState>, SignedForm(form): SignedForm) -> Response {
    let call_sid = match required_call_sid(&form) {
        Ok(sid) => sid,
        Err(rejection) => return rejection.into_response(),
    };
    match calls::pending_transfer(&app.db, "twilio", call_sid).await {
        Ok(Some(number)) => {
            tracing::info!(call_sid, to = number.as_str(), "transferring the call");
            let (base, _) = public_bases(&app);
            twiml(format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Dial action=\"{}\" timeout=\"{DIAL_TIMEOUT_SECS}\">{}</Dial></Response>",
                xml_escape(&format!("{base}/twilio/dial-result")),
                xml_escape(number.as_str()),
            ))
        }
        Ok(None) => {
            tracing::debug!(call_sid, "stream ended, hanging up");
            hang_up()
        }
        Err(e) => {
            // 5xx makes the provider retry; the caller waits a moment instead of being cut off.
            tracing::error!(error = %e, call_sid, "cannot look up a transfer");
            (StatusCode::SERVICE_UNAVAILABLE, "try again\n").into_response()
        }
    }
}

/// `POST /twilio/dial-result`: how the transfer went. If nobody answered, the caller comes
/// back to the hotline, which offers a callback.
pub async fn dial_result(State(app): State<AppState>, SignedForm(form): SignedForm) -> Response {
    let call_sid = match required_call_sid(&form) {
        Ok(sid) => sid,
        Err(rejection) => return rejection.into_response(),
    };
    let status = field(&form, "DialCallStatus").unwrap_or("failed");
    if let Err(e) = calls::record_transfer_status(&app.db, "twilio", call_sid, status).await {
        tracing::error!(error = %e, call_sid, "cannot record the transfer's result");
        return (StatusCode::SERVICE_UNAVAILABLE, "try again\n").into_response();
    }
    tracing::info!(call_sid, status, "transfer ended");
    if status == "completed" {
        hang_up()
    } else {
        connect_to_stream(&app, call_sid, field(&form, "From").unwrap_or(""), field(&form, "To").unwrap_or(""))
    }
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
