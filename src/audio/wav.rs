//! Reading and writing mono 16-bit WAV files (prompt cache, call recordings, test audio).

use super::Pcm;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum WavError {
    #[error("cannot read or write WAV file {path}: {source}")]
    Io { path: String, source: hound::Error },
    #[error("WAV file {path} has {channels} channels and {bits} bit samples; expected mono 16 bit")]
    Format { path: String, channels: u16, bits: u16 },
}

pub fn write(path: &Path, pcm: &Pcm) -> Result<(), WavError> {
    let err = |source| WavError::Io { path: path.display().to_string(), source };
    let spec = hound::WavSpec { channels: 1, sample_rate: pcm.rate, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    let mut writer = hound::WavWriter::create(path, spec).map_err(err)?;
    let mut samples = writer.get_i16_writer(pcm.samples.len() as u32);
    for &s in &pcm.samples {
        samples.write_sample(s);
    }
    samples.flush().map_err(err)?;
    writer.finalize().map_err(err)
}

pub fn read(path: &Path) -> Result<Pcm, WavError> {
    let err = |source| WavError::Io { path: path.display().to_string(), source };
    let mut reader = hound::WavReader::open(path).map_err(err)?;
    let spec = reader.spec();
    if spec.channels != 1 || spec.bits_per_sample != 16 || spec.sample_format != hound::SampleFormat::Int {
        return Err(WavError::Format { path: path.display().to_string(), channels: spec.channels, bits: spec.bits_per_sample });
    }
    let samples = reader.samples::<i16>().collect::<Result<Vec<_>, _>>().map_err(err)?;
    Ok(Pcm { rate: spec.sample_rate, samples })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.wav");
        let pcm = Pcm { rate: 8000, samples: vec![0, 1, -1, 32767, -32768] };
        write(&path, &pcm).unwrap();
        assert_eq!(read(&path).unwrap(), pcm);
    }

    #[test]
    fn stereo_is_rejected_clearly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.wav");
        let spec = hound::WavSpec { channels: 2, sample_rate: 8000, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
        let mut w = hound::WavWriter::create(&path, spec).unwrap();
        w.write_sample(0i16).unwrap();
        w.write_sample(0i16).unwrap();
        w.finalize().unwrap();
        assert!(matches!(read(&path), Err(WavError::Format { channels: 2, .. })));
    }
}
