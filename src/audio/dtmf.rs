//! In-band DTMF detection (Goertzel), for transports that deliver key presses only as
//! tones in the audio (older Asterisk versions over AudioSocket).
//!
//! Each 20 ms frame at 8 kHz is tested at the eight DTMF frequencies. A frame holds a
//! digit when one row and one column tone together carry most of the frame's energy,
//! each is well above the other tones of its group, both are loud enough, and their
//! level difference (twist) is within the limits of ITU-T Q.24 (row up to 8 dB above
//! the column tone, column up to 4 dB above the row tone). A tone that is off its
//! nominal frequency by more than a few percent loses most of its Goertzel power and is
//! not accepted. A digit is reported once, when it has lasted two frames (40 ms); it must
//! stop before the same digit can be reported again.

use super::FRAME_SAMPLES;

const ROWS: [f32; 4] = [697.0, 770.0, 852.0, 941.0];
const COLS: [f32; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
const KEYS: [[char; 4]; 4] = [['1', '2', '3', 'A'], ['4', '5', '6', 'B'], ['7', '8', '9', 'C'], ['*', '0', '#', 'D']];
/// Share of the frame's energy the two tones must carry together.
const MIN_DOMINANCE: f32 = 0.7;
/// Each tone must be this much stronger than any other tone of its group (8 dB).
const MIN_GROUP_MARGIN: f32 = 6.3;
/// Minimum amplitude of each tone (about -27 dBm0 in 16-bit μ-law scale).
const MIN_AMPLITUDE: f32 = 1000.0;
/// Q.24 twist: row tone may be up to 8 dB stronger, column tone up to 4 dB stronger.
const MAX_ROW_OVER_COL: f32 = 6.31; // 8 dB in power
const MAX_COL_OVER_ROW: f32 = 2.51; // 4 dB in power
const FRAMES_TO_ACCEPT: u32 = 2;

/// Goertzel power of `freq` over `samples` (8 kHz).
fn goertzel(samples: &[f32], freq: f32) -> f32 {
    let coeff = 2.0 * (2.0 * std::f32::consts::PI * freq / super::PHONE_RATE as f32).cos();
    let (mut s1, mut s2) = (0f32, 0f32);
    for &x in samples {
        let s = x + coeff * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    s1 * s1 + s2 * s2 - coeff * s1 * s2
}

/// The strongest tone of a group, its power, and the next strongest power.
fn strongest(samples: &[f32], freqs: &[f32; 4]) -> (usize, f32, f32) {
    let powers: Vec<f32> = freqs.iter().map(|&f| goertzel(samples, f)).collect();
    let (best, &p) = powers.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).expect("four tones");
    let second = powers.iter().enumerate().filter(|(i, _)| *i != best).map(|(_, &q)| q).fold(0f32, f32::max);
    (best, p, second)
}

/// The digit whose tones fill this frame, if any.
pub fn classify(frame: &[i16]) -> Option<char> {
    let samples: Vec<f32> = frame.iter().map(|&s| s as f32).collect();
    let n = samples.len() as f32;
    let energy: f32 = samples.iter().map(|x| x * x).sum();
    if energy <= 0.0 {
        return None;
    }
    let (row, row_power, row_second) = strongest(&samples, &ROWS);
    let (col, col_power, col_second) = strongest(&samples, &COLS);
    // A pure sine of amplitude A has Goertzel power (A N / 2)^2 and energy N A^2 / 2.
    let share = |p: f32| p / (n * energy / 2.0);
    let amplitude = |p: f32| 2.0 * p.sqrt() / n;
    let ok = share(row_power) + share(col_power) >= MIN_DOMINANCE
        && row_power >= MIN_GROUP_MARGIN * row_second
        && col_power >= MIN_GROUP_MARGIN * col_second
        && amplitude(row_power) >= MIN_AMPLITUDE
        && amplitude(col_power) >= MIN_AMPLITUDE
        && row_power <= MAX_ROW_OVER_COL * col_power
        && col_power <= MAX_COL_OVER_ROW * row_power;
    ok.then_some(KEYS[row][col])
}

/// Turns a stream of 20 ms frames into key presses.
#[derive(Debug, Default)]
pub struct DtmfDetector {
    current: Option<char>,
    frames: u32,
}

impl DtmfDetector {
    /// Feeds one frame of `FRAME_SAMPLES` samples; returns a digit the moment it counts.
    pub fn push(&mut self, frame: &[i16]) -> Option<char> {
        debug_assert_eq!(frame.len(), FRAME_SAMPLES);
        let digit = classify(frame);
        if digit == self.current {
            self.frames = self.frames.saturating_add(1);
        } else {
            self.current = digit;
            self.frames = 1;
        }
        (self.current.is_some() && self.frames == FRAMES_TO_ACCEPT).then_some(self.current).flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ms` of the DTMF tone pair for `key`, each tone at `amplitude`, frequencies scaled
    /// by `detune`, with `row_gain` applied to the row tone.
    pub fn tone(key: char, ms: usize, amplitude: f32, detune: f32, row_gain: f32) -> Vec<i16> {
        let (r, c) = (0..4).flat_map(|r| (0..4).map(move |c| (r, c))).find(|&(r, c)| KEYS[r][c] == key).expect("a DTMF key");
        (0..ms * 8)
            .map(|i| {
                let t = i as f32 / 8000.0;
                let v = row_gain * amplitude * (2.0 * std::f32::consts::PI * ROWS[r] * detune * t).sin()
                    + amplitude * (2.0 * std::f32::consts::PI * COLS[c] * detune * t).sin();
                v.clamp(-32768.0, 32767.0) as i16
            })
            .collect()
    }

    fn detect(samples: &[i16]) -> Vec<char> {
        let mut d = DtmfDetector::default();
        samples.chunks_exact(FRAME_SAMPLES).filter_map(|f| d.push(f)).collect()
    }

    fn with_gap(parts: &[Vec<i16>]) -> Vec<i16> {
        parts.iter().flat_map(|p| p.iter().copied().chain(std::iter::repeat_n(0, 480))).collect()
    }

    #[test]
    fn every_key_is_detected_once() {
        let keys = "1234567890*#ABCD";
        let audio = with_gap(&keys.chars().map(|k| tone(k, 100, 6000.0, 1.0, 1.0)).collect::<Vec<_>>());
        assert_eq!(detect(&audio).into_iter().collect::<String>(), keys);
    }

    #[test]
    fn short_weak_detuned_or_twisted_tones_are_rejected() {
        assert!(detect(&tone('5', 20, 6000.0, 1.0, 1.0)).is_empty(), "20 ms is too short");
        assert!(detect(&tone('5', 100, 500.0, 1.0, 1.0)).is_empty(), "too quiet");
        assert!(detect(&tone('5', 100, 6000.0, 1.05, 1.0)).is_empty(), "5 % off frequency");
        assert_eq!(detect(&tone('5', 100, 6000.0, 1.015, 1.0)), ['5'], "1.5 % off is within tolerance");
        assert!(detect(&tone('5', 100, 4000.0, 1.0, 3.5)).is_empty(), "row 11 dB above column");
        assert_eq!(detect(&tone('5', 100, 4000.0, 1.0, 2.0)), ['5'], "row 6 dB above column is normal twist");
        assert!(detect(&tone('5', 100, 6000.0, 1.0, 0.5)).is_empty(), "column 6 dB above row");
    }

    #[test]
    fn sixty_ms_tones_are_found_at_any_alignment() {
        for offset in [0, 40, 80, 120] {
            let mut audio = vec![0i16; offset];
            audio.extend(tone('0', 60, 6000.0, 1.0, 1.0));
            audio.resize(audio.len() + 480, 0);
            assert_eq!(detect(&audio), ['0'], "offset {offset}");
        }
    }

    #[test]
    fn a_held_key_counts_once_and_a_repeat_needs_a_pause() {
        assert_eq!(detect(&tone('7', 400, 6000.0, 1.0, 1.0)), ['7']);
        let twice = with_gap(&[tone('7', 60, 6000.0, 1.0, 1.0), tone('7', 60, 6000.0, 1.0, 1.0)]);
        assert_eq!(detect(&twice), ['7', '7']);
    }

    #[test]
    fn moderate_noise_does_not_hide_a_key() {
        let mut seed = 1u32;
        let noisy: Vec<i16> = tone('9', 100, 6000.0, 1.0, 1.0)
            .into_iter()
            .map(|s| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                s.saturating_add(((seed >> 16) as i16 as i32 * 600 / 32768) as i16)
            })
            .collect();
        assert_eq!(detect(&noisy), ['9']);
    }
}
