//! ITU-T G.711 companding: μ-law (Twilio media streams, `audio/x-mulaw`; North America and
//! Japan) and A-law (the European PSTN and most ISDN/SIP trunks here).
//!
//! The encoders follow the ITU reference and Sun's g711.c (segment search over the
//! magnitude); the decoders are 256-entry tables built from the same formulas, so decoding a
//! frame is one lookup per sample.

/// Which G.711 companding law a line uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Law {
    Mu,
    A,
}

impl Law {
    fn encoder(self) -> fn(i16) -> u8 {
        match self {
            Law::Mu => linear_to_ulaw,
            Law::A => linear_to_alaw,
        }
    }

    fn table(self) -> &'static [i16; 256] {
        match self {
            Law::Mu => &ULAW_TABLE,
            Law::A => &ALAW_TABLE,
        }
    }
}

const ULAW_BIAS: i32 = 0x84;
const ULAW_CLIP: i32 = 32635;
/// A-law inverts the even bits of every code so that idle lines carry transitions.
const ALAW_EVEN_BITS: u8 = 0x55;

/// Encodes one 16-bit linear sample to μ-law.
pub fn linear_to_ulaw(sample: i16) -> u8 {
    let mut magnitude = sample as i32;
    let sign = if magnitude < 0 {
        magnitude = -magnitude;
        0x80
    } else {
        0
    };
    let biased = magnitude.min(ULAW_CLIP) + ULAW_BIAS;
    let segment = (31 - ((biased >> 7) as u32 | 1).leading_zeros()).min(7) as i32;
    let mantissa = (biased >> (segment + 3)) & 0x0F;
    !(sign | (segment << 4) | mantissa) as u8
}

/// Decodes one μ-law byte to a 16-bit linear sample.
pub fn ulaw_to_linear(code: u8) -> i16 {
    ULAW_TABLE[code as usize]
}

/// Encodes one 16-bit linear sample to A-law (13-bit magnitude, as the standard codes it).
pub fn linear_to_alaw(sample: i16) -> u8 {
    let pcm = sample as i32 >> 3;
    // The sign bit is set for positive values; negatives are coded as one's complement.
    let (sign, magnitude) = if pcm >= 0 { (0x80, pcm) } else { (0x00, -pcm - 1) };
    // Segment 0 covers 0..=31, each further segment doubles; 13 bits never exceed 7.
    let segment = (32 - (magnitude as u32).leading_zeros()).saturating_sub(5) as i32;
    let mantissa = (magnitude >> segment.max(1)) & 0x0F;
    (sign | (segment << 4) | mantissa) as u8 ^ ALAW_EVEN_BITS
}

/// Decodes one A-law byte to a 16-bit linear sample.
pub fn alaw_to_linear(code: u8) -> i16 {
    ALAW_TABLE[code as usize]
}

/// Encodes a buffer of linear samples into `out` (cleared first), reusing its allocation.
pub fn encode_into(law: Law, samples: &[i16], out: &mut Vec<u8>) {
    let encode = law.encoder();
    out.clear();
    out.extend(samples.iter().map(|&s| encode(s)));
}

/// Decodes G.711 bytes into `out` (cleared first), reusing its allocation.
pub fn decode_into(law: Law, codes: &[u8], out: &mut Vec<i16>) {
    let table = law.table();
    out.clear();
    out.extend(codes.iter().map(|&c| table[c as usize]));
}

const fn ulaw_decode(code: u8) -> i16 {
    let code = !code;
    let segment = ((code >> 4) & 0x07) as i32;
    let mantissa = (code & 0x0F) as i32;
    let magnitude = (((mantissa << 3) + ULAW_BIAS) << segment) - ULAW_BIAS;
    if code & 0x80 != 0 { -magnitude as i16 } else { magnitude as i16 }
}

const fn alaw_decode(code: u8) -> i16 {
    let code = code ^ ALAW_EVEN_BITS;
    let segment = ((code >> 4) & 0x07) as i32;
    // The middle of the quantisation interval, in 16-bit scale.
    let mut magnitude = (((code & 0x0F) as i32) << 4) + if segment == 0 { 8 } else { 0x108 };
    if segment > 1 {
        magnitude <<= segment - 1;
    }
    if code & 0x80 != 0 { magnitude as i16 } else { -magnitude as i16 }
}

const fn decode_table(law: Law) -> [i16; 256] {
    let mut table = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = match law {
            Law::Mu => ulaw_decode(i as u8),
            Law::A => alaw_decode(i as u8),
        };
        i += 1;
    }
    table
}

static ULAW_TABLE: [i16; 256] = decode_table(Law::Mu);
static ALAW_TABLE: [i16; 256] = decode_table(Law::A);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulaw_reference_decoder_values() {
        // Values from the ITU-T G.711 μ-law table (16-bit scaled, as in g711.c).
        for (code, linear) in
            [(0x00, -32124), (0x80, 32124), (0x7F, 0), (0xFF, 0), (0x0F, -16764), (0x8F, 16764), (0x70, -120), (0xF0, 120)]
        {
            assert_eq!(ulaw_to_linear(code), linear, "code {code:#04x}");
        }
    }

    #[test]
    fn ulaw_reference_encoder_values() {
        for (linear, code) in
            [(0, 0xFF), (-1, 0x7F), (32767, 0x80), (-32768, 0x00), (120, 0xF0), (-120, 0x70), (32124, 0x80), (-32124, 0x00)]
        {
            assert_eq!(linear_to_ulaw(linear), code, "sample {linear}");
        }
    }

    #[test]
    fn alaw_reference_decoder_values() {
        // ITU-T G.711 table 1a: decoder outputs are interval midpoints (13 bits, here x8).
        for (code, linear) in [
            (0xD5, 8),      // segment 0, first step; 0x80 before even-bit inversion
            (0x55, -8),     // all bits zero before inversion
            (0xD4, 24),     // segment 0, second step
            (0xC5, 264),    // segment 1 starts at 256
            (0xF5, 528),    // segment 2 starts at 512
            (0xE5, 1056),   // segment 3 starts at 1024
            (0xAA, 32256),  // largest positive: 0xFF before inversion
            (0x2A, -32256), // largest negative
            (0xA5, 16896),  // segment 7, first step
        ] {
            assert_eq!(alaw_to_linear(code), linear, "code {code:#04x}");
        }
    }

    #[test]
    fn alaw_reference_encoder_values() {
        for (linear, code) in
            [(0, 0xD5), (7, 0xD5), (8, 0xD5), (16, 0xD4), (-1, 0x55), (-8, 0x55), (32767, 0xAA), (-32768, 0x2A), (32256, 0xAA)]
        {
            assert_eq!(linear_to_alaw(linear), code, "sample {linear}");
        }
    }

    #[test]
    fn every_code_round_trips() {
        for code in 0..=255u8 {
            // μ-law 0x7F (negative zero) encodes back as positive zero 0xFF; A-law has no zero code.
            let mu_back = linear_to_ulaw(ulaw_to_linear(code));
            assert_eq!(mu_back, if code == 0x7F { 0xFF } else { code }, "μ-law code {code:#04x}");
            assert_eq!(linear_to_alaw(alaw_to_linear(code)), code, "A-law code {code:#04x}");
        }
    }

    #[test]
    fn quantisation_error_is_at_most_half_a_step() {
        for s in i16::MIN..=i16::MAX {
            let s32 = s as i32;
            if s32.abs() <= ULAW_CLIP {
                let biased = s32.abs() + ULAW_BIAS;
                let segment = (31 - ((biased >> 7) as u32 | 1).leading_zeros()).min(7);
                let err = (ulaw_to_linear(linear_to_ulaw(s)) as i32 - s32).abs();
                assert!(err <= 4 << segment, "μ-law sample {s}: error {err}");
            }
            let segment = (linear_to_alaw(s) ^ ALAW_EVEN_BITS) >> 4 & 0x07;
            let half_step = 8 << segment.saturating_sub(1);
            let err = (alaw_to_linear(linear_to_alaw(s)) as i32 - s32).abs();
            assert!(err <= half_step, "A-law sample {s}: error {err} > {half_step}");
        }
    }

    #[test]
    fn buffers_use_the_chosen_law() {
        let samples = [0i16, 8, -8, 32767, -32768];
        let (mut coded, mut decoded) = (vec![1, 2, 3, 4, 5, 6, 7], Vec::new());
        encode_into(Law::Mu, &samples, &mut coded);
        assert_eq!(coded, [0xFF, 0xFE, 0x7E, 0x80, 0x00]);
        decode_into(Law::Mu, &coded, &mut decoded);
        assert_eq!(decoded, [0, 8, -8, 32124, -32124]);
        encode_into(Law::A, &samples, &mut coded);
        assert_eq!(coded, [0xD5, 0xD5, 0x55, 0xAA, 0x2A]);
        decode_into(Law::A, &coded, &mut decoded);
        assert_eq!(decoded, [8, 8, -8, 32256, -32256]);
    }
}
