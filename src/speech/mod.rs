//! Local speech: synthesis (Pico, piper), the prompt audio cache, and recognition
//! (whisper). Nothing here talks to the network; models are files fetched at setup.

pub mod cache;
pub mod numbers_de;
pub mod stt;
pub mod tts;
mod tts_pico;
mod tts_piper;
