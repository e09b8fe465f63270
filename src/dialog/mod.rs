//! The conversation with a caller: a pure state machine from events to actions.
//!
//! [`Dialog::handle`] takes what happened on the line (a key, a silence, a stored
//! request) and returns what to do (say a prompt, listen, store, hang up). It does no I/O
//! and knows no audio or sockets, so every path is tested with events alone.

pub mod engine;
pub mod prompts;

pub use engine::{Action, CallContext, Dialog, Event, Say, Stored};
pub use prompts::Prompts;
