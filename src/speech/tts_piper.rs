//! Piper neural voices via onnxruntime (loaded dynamically from the path in voices.toml).

use super::tts::{Synthesizer, TtsError};
use crate::audio::{Pcm, f32_to_i16};
use std::path::Path;

pub struct PiperVoice {
    piper: piper_rs::Piper,
    length_scale: f32,
    speaker: Option<i64>,
}

impl PiperVoice {
    pub fn load(model: &Path, config: &Path, onnxruntime: &Path, rate: u32, speaker: Option<i64>) -> Result<PiperVoice, TtsError> {
        // ort blocks forever on a wrong library path; the caller has checked the file exists.
        if !onnxruntime.is_file() {
            return Err(TtsError::MissingFile(onnxruntime.to_path_buf()));
        }
        ort::init_from(onnxruntime).map_err(|e| TtsError::Load(format!("onnxruntime {}: {e}", onnxruntime.display())))?.commit();
        let piper = piper_rs::Piper::new(model, config).map_err(|e| TtsError::Load(e.to_string()))?;
        let defaults: serde_json::Value =
            std::fs::read_to_string(config).ok().and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();
        let base = defaults["inference"]["length_scale"].as_f64().unwrap_or(1.0) as f32;
        // A longer length scale is slower speech: rate 80 % -> 1.25 x length.
        Ok(PiperVoice { piper, length_scale: base * 100.0 / rate.clamp(20, 500) as f32, speaker })
    }
}

impl Synthesizer for PiperVoice {
    fn synthesize(&mut self, text: &str) -> Result<Pcm, TtsError> {
        let (samples, rate) = self
            .piper
            .create(text, false, self.speaker, Some(self.length_scale), None, None)
            .map_err(|e| TtsError::Synthesis(e.to_string()))?;
        Ok(Pcm { rate, samples: samples.iter().map(|&x| f32_to_i16(x)).collect() })
    }
}
