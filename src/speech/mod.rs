//! Local speech: synthesis (Pico, piper), the prompt audio cache, recognition (whisper)
//! and understanding of transcripts. Nothing here talks to the network; models are files
//! fetched at setup.

pub mod bench;
pub mod cache;
pub mod keywords;
pub mod numbers_de;
pub mod pool;
pub mod stt;
pub mod synthetic;
pub mod tts;
mod tts_pico;
mod tts_piper;
pub mod understand;
