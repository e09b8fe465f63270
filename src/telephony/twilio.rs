//! Twilio-compatible voice webhooks: the provider asks what to do with a new call, and we
//! answer with TwiML that connects the call to our media-stream WebSocket.

use crate::server::AppState;
use axum::Form;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;

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

/// `POST /twilio/voice`: a call comes in.
pub async fn voice(State(app): State<AppState>, Form(form): Form<HashMap<String, String>>) -> Response {
    let Some(call_sid) = form.get("CallSid").filter(|s| !s.is_empty()) else {
        tracing::warn!("voice webhook without CallSid rejected");
        return (StatusCode::BAD_REQUEST, "missing form field CallSid\n").into_response();
    };
    let from = form.get("From").map(String::as_str).unwrap_or("");
    let to = form.get("To").map(String::as_str).unwrap_or("");
    tracing::info!(call_sid, "incoming call");
    let base = app.config.server.public_url.trim_end_matches('/');
    let ws_base =
        if let Some(rest) = base.strip_prefix("https://") { format!("wss://{rest}") } else { base.replacen("http://", "ws://", 1) };
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
pub async fn after_stream(Form(form): Form<HashMap<String, String>>) -> Response {
    tracing::debug!(call_sid = form.get("CallSid").map(String::as_str).unwrap_or("-"), "stream ended, hanging up");
    twiml("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Hangup/></Response>".into())
}
