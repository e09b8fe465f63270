//! Synthetic signals for tests of code that listens to callers.

use std::f32::consts::PI;

/// A vowel-like sound: a glottal buzz (falling f0) through two formant resonators, with
/// syllable-rate amplitude modulation, peak amplitude around `level`.
pub fn voice(ms: u64, level: f32) -> Vec<i16> {
    let n = (ms * 8) as usize;
    let mut out = Vec::with_capacity(n);
    let mut phase = 0f32;
    // Two-pole resonators at 700 Hz and 1200 Hz.
    let resonator = |f: f32, bw: f32| {
        let r = (-PI * bw / 8000.0).exp();
        (2.0 * r * (2.0 * PI * f / 8000.0).cos(), -r * r)
    };
    let (a1, a2) = resonator(700.0, 130.0);
    let (b1, b2) = resonator(1200.0, 150.0);
    let (mut y1, mut y2, mut z1, mut z2) = (0f32, 0f32, 0f32, 0f32);
    for i in 0..n {
        let t = i as f32 / 8000.0;
        let f0 = 180.0 - 40.0 * t / (ms as f32 / 1000.0);
        phase += f0 / 8000.0;
        let pulse = if phase >= 1.0 {
            phase -= 1.0;
            1.0
        } else {
            0.0
        };
        let y = pulse + a1 * y1 + a2 * y2;
        (y2, y1) = (y1, y);
        let z = y + b1 * z1 + b2 * z2;
        (z2, z1) = (z1, z);
        let envelope = 0.6 + 0.4 * (2.0 * PI * 4.0 * t).sin();
        out.push(z * envelope);
    }
    let peak = out.iter().fold(0f32, |m, v| m.max(v.abs()));
    out.iter().map(|v| (v / peak * level) as i16).collect()
}
