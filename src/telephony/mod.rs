//! Front doors for phone calls. Each transport turns its protocol into the same
//! [`call::CallIo`] (keys, caller audio and hang-up in, paced audio and marks out) and hands it to
//! [`call::run_call`]; nothing past this module knows which transport carried a call.

pub mod audiosocket;
pub mod call;
pub mod hearing;
pub mod metrics;
pub mod recording;
pub mod signature;
pub mod twilio;
pub mod twilio_stream;
