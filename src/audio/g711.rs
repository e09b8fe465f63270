//! ITU-T G.711 μ-law companding, as used by Twilio media streams (`audio/x-mulaw`).
//!
//! The encoder is the classic segment search over the biased magnitude (as in the ITU
//! reference and Sun's g711.c); the decoder is a 256-entry table built from the same
//! formula, so decoding a frame is one lookup per sample.

const BIAS: i32 = 0x84;
const CLIP: i32 = 32635;

/// Encodes one 16-bit linear sample to μ-law.
pub fn linear_to_ulaw(sample: i16) -> u8 {
    let mut magnitude = sample as i32;
    let sign = if magnitude < 0 {
        magnitude = -magnitude;
        0x80
    } else {
        0
    };
    let biased = magnitude.min(CLIP) + BIAS;
    let segment = (31 - ((biased >> 7) as u32 | 1).leading_zeros()).min(7) as i32;
    let mantissa = (biased >> (segment + 3)) & 0x0F;
    !(sign | (segment << 4) | mantissa) as u8
}

/// Decodes one μ-law byte to a 16-bit linear sample.
pub fn ulaw_to_linear(code: u8) -> i16 {
    ULAW_TABLE[code as usize]
}

const fn decode(code: u8) -> i16 {
    let code = !code;
    let segment = ((code >> 4) & 0x07) as i32;
    let mantissa = (code & 0x0F) as i32;
    let magnitude = (((mantissa << 3) + BIAS) << segment) - BIAS;
    if code & 0x80 != 0 { -magnitude as i16 } else { magnitude as i16 }
}

static ULAW_TABLE: [i16; 256] = {
    let mut table = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = decode(i as u8);
        i += 1;
    }
    table
};

/// Encodes a buffer of linear samples into `out` (cleared first), reusing its allocation.
pub fn encode_into(samples: &[i16], out: &mut Vec<u8>) {
    out.clear();
    out.extend(samples.iter().map(|&s| linear_to_ulaw(s)));
}

/// Decodes μ-law bytes into `out` (cleared first), reusing its allocation.
pub fn decode_into(codes: &[u8], out: &mut Vec<i16>) {
    out.clear();
    out.extend(codes.iter().map(|&c| ulaw_to_linear(c)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_decoder_values() {
        // Values from the ITU-T G.711 μ-law table (16-bit scaled, as in g711.c).
        assert_eq!(ulaw_to_linear(0x00), -32124);
        assert_eq!(ulaw_to_linear(0x80), 32124);
        assert_eq!(ulaw_to_linear(0x7F), 0);
        assert_eq!(ulaw_to_linear(0xFF), 0);
        assert_eq!(ulaw_to_linear(0x0F), -16764);
        assert_eq!(ulaw_to_linear(0x8F), 16764);
        assert_eq!(ulaw_to_linear(0x70), -120);
        assert_eq!(ulaw_to_linear(0xF0), 120);
    }

    #[test]
    fn reference_encoder_values() {
        assert_eq!(linear_to_ulaw(0), 0xFF);
        assert_eq!(linear_to_ulaw(-1), 0x7F);
        assert_eq!(linear_to_ulaw(32767), 0x80);
        assert_eq!(linear_to_ulaw(-32768), 0x00);
        assert_eq!(linear_to_ulaw(120), 0xF0);
        assert_eq!(linear_to_ulaw(-120), 0x70);
    }

    #[test]
    fn every_code_round_trips() {
        for code in 0..=255u8 {
            let linear = ulaw_to_linear(code);
            let back = linear_to_ulaw(linear);
            // 0x7F (negative zero) encodes back as positive zero 0xFF.
            if code == 0x7F {
                assert_eq!(back, 0xFF);
            } else {
                assert_eq!(back, code, "code {code:#04x} -> {linear}");
            }
        }
    }

    #[test]
    fn quantisation_error_is_at_most_half_a_step() {
        for s in -CLIP..=CLIP {
            let biased = s.abs() + BIAS;
            let segment = (31 - ((biased >> 7) as u32 | 1).leading_zeros()).min(7);
            let half_step = 4 << segment;
            let err = (ulaw_to_linear(linear_to_ulaw(s as i16)) as i32 - s).abs();
            assert!(err <= half_step, "sample {s}: error {err} > {half_step}");
        }
    }
}
