//! Band-limited sample-rate conversion for any rational ratio (8 kHz <-> 16 kHz,
//! 22.05 kHz -> 8 kHz, ...).
//!
//! Windowed-sinc interpolation with a Kaiser window. Output sample `n` sits at input time
//! `n * from / to`; its fractional part is always a multiple of `1 / (to / gcd)`, so all
//! filter phases are computed once in [`Resampler::new`] and the per-sample work is a dot
//! product. The cut-off is placed below the lower of the two Nyquist frequencies, which is
//! the anti-aliasing filter when going down (22.05 kHz -> 8 kHz) and the anti-imaging
//! filter when going up (8 kHz -> 16 kHz).

/// Zero crossings of the sinc on each side at the narrower of the two rates.
const ZERO_CROSSINGS: usize = 16;
/// Cut-off relative to the lower Nyquist frequency: leaves a transition band for the window.
const CUTOFF: f64 = 0.92;
/// Kaiser window shape (about 85 dB stop-band attenuation).
const KAISER_BETA: f64 = 8.6;

/// A converter from one sample rate to another; build once, use for many buffers.
#[derive(Debug, Clone)]
pub struct Resampler {
    /// Input step per output sample is `down / up` input samples.
    up: usize,
    down: usize,
    /// Taps on each side of the interpolation point.
    half: usize,
    /// `up` phases of `2 * half` taps each.
    table: Vec<f32>,
}

impl Resampler {
    pub fn new(from: u32, to: u32) -> Self {
        assert!(from > 0 && to > 0, "sample rates must be positive");
        let g = gcd(from as usize, to as usize);
        let (up, down) = (to as usize / g, from as usize / g);
        // Cut-off in cycles per input sample.
        let ratio = (to as f64 / from as f64).min(1.0);
        let cutoff = CUTOFF * ratio;
        let half = (ZERO_CROSSINGS as f64 / ratio).ceil() as usize;
        let taps = 2 * half;
        let norm = bessel_i0(KAISER_BETA);
        let mut table = vec![0f32; up * taps];
        for phase in 0..up {
            let frac = phase as f64 / up as f64;
            let row = &mut table[phase * taps..(phase + 1) * taps];
            for (k, tap) in row.iter_mut().enumerate() {
                // Input sample index relative to floor(t): -(half-1) ..= half.
                let x = k as f64 - (half as f64 - 1.0) - frac;
                let w = x / half as f64;
                let window = if w.abs() >= 1.0 { 0.0 } else { bessel_i0(KAISER_BETA * (1.0 - w * w).sqrt()) / norm };
                *tap = (cutoff * sinc(cutoff * x) * window) as f32;
            }
            // Unity gain at DC for every phase, so a constant stays constant.
            let sum: f32 = row.iter().sum();
            if sum.abs() > f32::EPSILON {
                row.iter_mut().for_each(|t| *t /= sum);
            }
        }
        Resampler { up, down, half, table }
    }

    /// Number of output samples for `input_len` input samples.
    pub fn output_len(&self, input_len: usize) -> usize {
        (input_len * self.up).div_ceil(self.down)
    }

    /// Converts a whole buffer; samples outside it are taken as silence.
    pub fn process(&self, input: &[f32]) -> Vec<f32> {
        let taps = 2 * self.half;
        let n_out = self.output_len(input.len());
        let mut out = Vec::with_capacity(n_out);
        for n in 0..n_out {
            let pos = n * self.down;
            let base = (pos / self.up) as isize;
            let phase = pos % self.up;
            let row = &self.table[phase * taps..(phase + 1) * taps];
            let first = base - (self.half as isize - 1);
            let mut acc = 0f32;
            if first >= 0 && (first as usize + taps) <= input.len() {
                let window = &input[first as usize..first as usize + taps];
                acc = window.iter().zip(row).map(|(x, h)| x * h).sum();
            } else {
                for (k, h) in row.iter().enumerate() {
                    let i = first + k as isize;
                    if i >= 0 && (i as usize) < input.len() {
                        acc += input[i as usize] * h;
                    }
                }
            }
            out.push(acc);
        }
        out
    }
}

fn sinc(x: f64) -> f64 {
    if x.abs() < 1e-12 { 1.0 } else { (std::f64::consts::PI * x).sin() / (std::f64::consts::PI * x) }
}

/// Modified Bessel function of the first kind, order 0 (power series).
fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    let q = x * x / 4.0;
    for k in 1..64 {
        term *= q / (k * k) as f64;
        sum += term;
        if term < sum * 1e-16 {
            break;
        }
    }
    sum
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(freq: f64, rate: u32, len: usize) -> Vec<f32> {
        (0..len).map(|i| (2.0 * std::f64::consts::PI * freq * i as f64 / rate as f64).sin() as f32 * 0.5).collect()
    }

    fn rms(x: &[f32]) -> f32 {
        (x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32).sqrt()
    }

    /// Amplitude of `freq` in `x` (single-bin DFT), skipping filter edges.
    fn amplitude(x: &[f32], freq: f64, rate: u32) -> f64 {
        let (mut re, mut im) = (0.0, 0.0);
        for (i, &v) in x.iter().enumerate() {
            let ph = 2.0 * std::f64::consts::PI * freq * i as f64 / rate as f64;
            re += v as f64 * ph.cos();
            im += v as f64 * ph.sin();
        }
        2.0 * (re * re + im * im).sqrt() / x.len() as f64
    }

    #[test]
    fn output_length_follows_the_ratio() {
        assert_eq!(Resampler::new(8000, 16000).output_len(160), 320);
        assert_eq!(Resampler::new(16000, 8000).output_len(320), 160);
        assert_eq!(Resampler::new(22050, 8000).output_len(22050), 8000);
    }

    #[test]
    fn passband_tone_keeps_its_level_up_and_down() {
        for (from, to) in [(8000, 16000), (16000, 8000), (22050, 8000), (8000, 22050)] {
            let x = tone(1000.0, from, from as usize);
            let y = Resampler::new(from, to).process(&x);
            let inner = &y[y.len() / 4..3 * y.len() / 4];
            let a = amplitude(inner, 1000.0, to);
            assert!((a - 0.5).abs() < 0.01, "{from}->{to}: amplitude {a}");
        }
    }

    #[test]
    fn downsampling_removes_what_would_alias() {
        // 6 kHz cannot exist at 8 kHz; without an anti-aliasing filter it would fold to 2 kHz.
        let x = tone(6000.0, 16000, 16000);
        let y = Resampler::new(16000, 8000).process(&x);
        let inner = &y[y.len() / 4..3 * y.len() / 4];
        assert!(rms(inner) < 0.5 * 0.001, "alias energy {}", rms(inner));
        let x = tone(7000.0, 22050, 22050);
        let y = Resampler::new(22050, 8000).process(&x);
        let inner = &y[y.len() / 4..3 * y.len() / 4];
        assert!(rms(inner) < 0.5 * 0.001, "alias energy {}", rms(inner));
    }

    #[test]
    fn upsampling_adds_no_images() {
        let x = tone(1000.0, 8000, 8000);
        let y = Resampler::new(8000, 16000).process(&x);
        let inner = &y[y.len() / 4..3 * y.len() / 4];
        // The image of 1 kHz at 7 kHz must be suppressed.
        assert!(amplitude(inner, 7000.0, 16000) < 0.5 * 0.001);
    }

    #[test]
    fn constant_stays_constant() {
        let x = vec![0.25f32; 1000];
        let y = Resampler::new(22050, 8000).process(&x);
        for v in &y[100..y.len() - 100] {
            assert!((v - 0.25).abs() < 1e-4);
        }
    }
}
