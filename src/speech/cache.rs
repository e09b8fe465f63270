//! Prompt audio: static prompts are synthesised once per voice and kept on disk and in
//! memory; dynamic text (names, numbers) is synthesised per call and never stored, since
//! it may carry personal data.
//!
//! Disk layout: `<cache_dir>/<voice id>/<sha256 of text, 32 hex>.wav` (8 kHz mono WAV, so
//! an operator can listen to any prompt).

use super::tts::{Tts, TtsError};
use crate::audio::{Pcm, wav};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

pub struct PromptAudio {
    tts: Tts,
    dir: PathBuf,
    memory: RwLock<HashMap<String, Arc<Pcm>>>,
}

/// What [`PromptAudio::render_all`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct RenderStats {
    pub synthesised: usize,
    pub from_disk: usize,
    pub audio_ms: u64,
}

impl PromptAudio {
    pub fn new(tts: Tts, cache_root: PathBuf) -> PromptAudio {
        let dir = cache_root.join(tts.voice_id());
        PromptAudio { tts, dir, memory: RwLock::new(HashMap::new()) }
    }

    fn path_for(&self, text: &str) -> PathBuf {
        let hash = hex::encode(Sha256::digest(text.as_bytes()));
        self.dir.join(format!("{}.wav", &hash[..32]))
    }

    /// Audio of a static prompt: memory, then disk, then synthesised and stored.
    pub async fn cached(&self, text: &str) -> Result<Arc<Pcm>, TtsError> {
        Ok(self.load(text).await?.0)
    }

    async fn load(&self, text: &str) -> Result<(Arc<Pcm>, bool), TtsError> {
        if let Some(pcm) = self.memory.read().expect("prompt cache lock").get(text) {
            return Ok((Arc::clone(pcm), false));
        }
        let path = self.path_for(text);
        let (pcm, synthesised) = match wav::read(&path) {
            Ok(pcm) if pcm.rate == crate::audio::PHONE_RATE => (Arc::new(pcm), false),
            _ => {
                let pcm = self.tts.synthesize(text).await?;
                self.store(&path, &pcm);
                (pcm, true)
            }
        };
        self.memory.write().expect("prompt cache lock").insert(text.to_string(), Arc::clone(&pcm));
        Ok((pcm, synthesised))
    }

    /// Writes atomically; a failed write only costs a re-synthesis later.
    fn store(&self, path: &PathBuf, pcm: &Pcm) {
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let result = std::fs::create_dir_all(&self.dir)
            .map_err(|e| e.to_string())
            .and_then(|_| wav::write(&tmp, pcm).map_err(|e| e.to_string()))
            .and_then(|_| std::fs::rename(&tmp, path).map_err(|e| e.to_string()));
        if let Err(e) = result {
            tracing::warn!(path = %path.display(), error = %e, "cannot write prompt cache");
        }
    }

    /// Audio of text that may be personal: synthesised now, never stored.
    pub async fn dynamic(&self, text: &str) -> Result<Arc<Pcm>, TtsError> {
        self.tts.synthesize(text).await
    }

    /// Makes sure every static prompt is on disk and in memory.
    pub async fn render_all<'a>(&self, texts: impl IntoIterator<Item = &'a str>) -> Result<RenderStats, TtsError> {
        let mut stats = RenderStats::default();
        for text in texts {
            let (pcm, synthesised) = self.load(text).await?;
            if synthesised {
                stats.synthesised += 1;
            } else {
                stats.from_disk += 1;
            }
            stats.audio_ms += pcm.duration_ms();
        }
        Ok(stats)
    }

    pub fn cache_dir(&self) -> &std::path::Path {
        &self.dir
    }
}
