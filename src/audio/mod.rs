//! Audio formats and signal processing for telephone audio.
//!
//! Telephone audio is 8 kHz mono; speech engines work at 16 kHz (Pico, whisper) or
//! 22.05 kHz (most Piper voices). This module converts between those worlds. It knows
//! nothing about calls, dialogs or transports.

pub mod dtmf;
pub mod g711;
pub mod resample;
pub mod vad;
pub mod wav;

/// Telephone sample rate (G.711, Twilio media streams, AudioSocket slin).
pub const PHONE_RATE: u32 = 8000;
/// Samples in one 20 ms telephone frame.
pub const FRAME_SAMPLES: usize = 160;
/// Duration of one frame.
pub const FRAME_MS: u64 = 20;

/// Mono 16-bit PCM with its sample rate.
#[derive(Debug, Clone, PartialEq)]
pub struct Pcm {
    pub rate: u32,
    pub samples: Vec<i16>,
}

impl Pcm {
    pub fn duration_ms(&self) -> u64 {
        self.samples.len() as u64 * 1000 / self.rate.max(1) as u64
    }

    /// The same audio at another sample rate (band-limited resampling).
    pub fn resampled(&self, rate: u32) -> Pcm {
        if rate == self.rate {
            return self.clone();
        }
        let input: Vec<f32> = self.samples.iter().map(|&s| s as f32 / 32768.0).collect();
        let output = resample::Resampler::new(self.rate, rate).process(&input);
        Pcm { rate, samples: output.iter().map(|&x| f32_to_i16(x)).collect() }
    }

    /// Samples as f32 in [-1, 1], the format speech recognisers want.
    pub fn to_f32(&self) -> Vec<f32> {
        self.samples.iter().map(|&s| s as f32 / 32768.0).collect()
    }
}

/// Clamps and converts a float sample in [-1, 1] to 16 bits.
pub fn f32_to_i16(x: f32) -> i16 {
    (x * 32768.0).round().clamp(-32768.0, 32767.0) as i16
}
