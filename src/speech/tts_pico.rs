//! SVOX Pico, the default German voice: small, fast, builds from source.

use super::tts::{Synthesizer, TtsError};
use crate::audio::Pcm;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use ttspico as pico;

const PICO_RATE: u32 = 16_000;
/// Working memory for one Pico system (the upstream examples use 4 MB too).
const PICO_MEMORY: usize = 4 * 1024 * 1024;

pub struct PicoVoice {
    engine: pico::Engine,
    rate: u32,
    // The engine borrows from these through raw pointers; keep them alive with it.
    _system: Rc<std::cell::RefCell<pico::System>>,
}

/// The speech-generation file for `lang` (`de-DE_gl0_sg.bin`: the speaker tag varies).
pub fn signal_file(dir: &Path, lang: &str) -> Result<PathBuf, TtsError> {
    let prefix = format!("{lang}_");
    let entries = std::fs::read_dir(dir).map_err(|_| TtsError::MissingFile(dir.to_path_buf()))?;
    entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(&prefix) && n.ends_with("_sg.bin")))
        .ok_or_else(|| TtsError::MissingFile(dir.join(format!("{lang}_*_sg.bin"))))
}

impl PicoVoice {
    pub fn load(dir: &Path, lang: &str, rate: u32) -> Result<PicoVoice, TtsError> {
        let load_err = |e: pico::PicoError| TtsError::Load(format!("Pico: {e:?}"));
        let ta = dir.join(format!("{lang}_ta.bin"));
        let sg = signal_file(dir, lang)?;
        let system = pico::System::new(PICO_MEMORY).map_err(load_err)?;
        let ta = pico::System::load_resource(Rc::clone(&system), ta.to_string_lossy()).map_err(load_err)?;
        let sg = pico::System::load_resource(Rc::clone(&system), sg.to_string_lossy()).map_err(load_err)?;
        let voice = pico::System::create_voice(Rc::clone(&system), "hotline").map_err(load_err)?;
        voice.borrow_mut().add_resource(ta).map_err(load_err)?;
        voice.borrow_mut().add_resource(sg).map_err(load_err)?;
        // SAFETY: both resources (text analysis and signal generation) are attached above,
        // which is what `create_engine` requires.
        let engine = unsafe { pico::Voice::create_engine(voice) }.map_err(load_err)?;
        Ok(PicoVoice { engine, rate: rate.clamp(20, 500), _system: system })
    }
}

impl Synthesizer for PicoVoice {
    fn synthesize(&mut self, text: &str) -> Result<Pcm, TtsError> {
        let err = |e: pico::PicoError| TtsError::Synthesis(format!("Pico: {e:?}"));
        // Pico reads markup; text from prompts must not inject any.
        let clean: String = text.chars().map(|c| if matches!(c, '<' | '>' | '\0') { ' ' } else { c }).collect();
        let input = format!("<speed level=\"{}\">{clean}</speed>\0", self.rate);
        let mut remaining = input.as_bytes();
        let mut samples = Vec::with_capacity(clean.len() * 1600);
        let mut buf = [0i16; 1024];
        while !remaining.is_empty() {
            let n = self.engine.put_text(remaining).map_err(err)?;
            remaining = &remaining[n..];
            loop {
                let (written, status) = self.engine.get_data(&mut buf[..]).map_err(err)?;
                samples.extend_from_slice(&buf[..written]);
                if status == pico::EngineStatus::Idle {
                    break;
                }
            }
        }
        Ok(Pcm { rate: PICO_RATE, samples })
    }
}
