//! Audio formats and signal processing for telephone audio.
//!
//! Telephone audio is 8 kHz mono; speech engines work at 16 kHz (Pico, whisper) or
//! 22.05 kHz (most Piper voices). This module converts between those worlds. It knows
//! nothing about calls, dialogs or transports.

pub mod dtmf;
pub mod g711;
pub mod resample;
#[cfg(test)]
pub(crate) mod test_signals;
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

/// One 20 ms telephone frame.
pub type Frame = [i16; FRAME_SAMPLES];

/// Cuts a stream of samples arriving in chunks of any size (transports do not promise
/// 20 ms) into whole frames.
#[derive(Debug, Default)]
pub struct Framer {
    pending: Vec<i16>,
}

impl Framer {
    /// Adds `samples` and hands every frame now complete to `each`, in order.
    pub fn push(&mut self, samples: impl IntoIterator<Item = i16>, mut each: impl FnMut(&Frame)) {
        for sample in samples {
            self.pending.push(sample);
            if let Ok(frame) = <&Frame>::try_from(self.pending.as_slice()) {
                each(frame);
                self.pending.clear();
            }
        }
    }
}

/// Clamps and converts a float sample in [-1, 1] to 16 bits.
pub fn f32_to_i16(x: f32) -> i16 {
    (x * 32768.0).round().clamp(-32768.0, 32767.0) as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_of_any_size_become_whole_frames_in_order() {
        let mut framer = Framer::default();
        let mut frames = Vec::new();
        // 100 + 250 + 10 samples: two frames, 40 samples left over.
        for (start, len) in [(0i16, 100i16), (100, 250), (350, 10)] {
            framer.push(start..start + len, |f| frames.push(*f));
        }
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[0][0], 0);
        assert_eq!(frames[1][0], 160);
        assert_eq!(frames[1][159], 319);
        framer.push(360..480, |f| frames.push(*f));
        assert_eq!(frames.len(), 3);
        assert_eq!((frames[2][0], frames[2][159]), (320, 479));
    }
}
