//! A trained linear model as checked in: a small header and one signed byte per weight slot.
//!
//! Layout (little endian): `b"BTM1"`, bits (u8), weight scale (f32), bias (f32), threshold
//! (f32), the digest of the corpus it was trained on (u64), then `2^bits` weights as `i8`
//! (weight = byte × scale). The relay reads the bytes in place (`include_bytes!`): loading
//! copies nothing.

use super::features::Features;

const MAGIC: &[u8; 4] = b"BTM1";
const HEADER: usize = 4 + 1 + 4 + 4 + 4 + 8;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ModelError {
    #[error("not a model file (no BTM1 header)")]
    Magic,
    #[error("the model holds {found} bytes of weights, its header says {expected}")]
    Size { expected: usize, found: usize },
}

/// A model ready to score, borrowing its weights.
#[derive(Debug, Clone, Copy)]
pub struct Model<'a> {
    pub bits: u8,
    scale: f32,
    pub bias: f32,
    /// The probability from which the model says yes, chosen by the trainer on the corpus's
    /// development part.
    pub threshold: f32,
    /// [`super::corpus::digest`] of the corpus the model was trained on.
    pub digest: u64,
    weights: &'a [u8],
}

impl<'a> Model<'a> {
    pub fn read(bytes: &'a [u8]) -> Result<Self, ModelError> {
        if bytes.len() < HEADER || &bytes[..4] != MAGIC {
            return Err(ModelError::Magic);
        }
        let f32_at = |at: usize| f32::from_le_bytes(bytes[at..at + 4].try_into().expect("four bytes"));
        let bits = bytes[4];
        let expected = 1usize << bits;
        let weights = &bytes[HEADER..];
        if weights.len() != expected {
            return Err(ModelError::Size { expected, found: weights.len() });
        }
        Ok(Self {
            bits,
            scale: f32_at(5),
            bias: f32_at(9),
            threshold: f32_at(13),
            digest: u64::from_le_bytes(bytes[17..25].try_into().expect("eight bytes")),
            weights,
        })
    }

    /// The model's size in bytes, header included.
    pub fn size(&self) -> usize {
        HEADER + self.weights.len()
    }

    /// How many weights are not zero (the slots the corpus's features reached).
    pub fn nonzero(&self) -> usize {
        self.weights.iter().filter(|&&w| w != 0).count()
    }

    /// The probability (0..1) that the features show what the model was trained to see.
    pub fn probability(&self, features: &Features) -> f32 {
        let mask = (1usize << self.bits) - 1;
        let sum: f32 = features.iter().map(|&(s, v)| f32::from(self.weights[s as usize & mask] as i8) * v).sum();
        sigmoid(self.bias + self.scale * sum)
    }
}

pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// The file of a trained model: weights quantised to one signed byte each. The scale keeps the
/// 99.9th percentile of the non-zero weights' magnitudes within the byte; the few larger ones
/// are clipped (they are far past what decides a message anyway).
pub fn write(weights: &[f32], bias: f32, threshold: f32, digest: u64) -> Vec<u8> {
    let bits = weights.len().trailing_zeros() as u8;
    assert_eq!(weights.len(), 1 << bits, "a power of two of weights");
    let mut magnitudes: Vec<f32> = weights.iter().map(|w| w.abs()).filter(|w| *w > 0.0).collect();
    magnitudes.sort_unstable_by(f32::total_cmp);
    let top = magnitudes.get(magnitudes.len().saturating_sub(1 + magnitudes.len() / 1000)).copied().unwrap_or(1.0);
    let scale = if top > 0.0 { top / 127.0 } else { 1.0 };
    let mut out = Vec::with_capacity(HEADER + weights.len());
    out.extend_from_slice(MAGIC);
    out.push(bits);
    out.extend_from_slice(&scale.to_le_bytes());
    out.extend_from_slice(&bias.to_le_bytes());
    out.extend_from_slice(&threshold.to_le_bytes());
    out.extend_from_slice(&digest.to_le_bytes());
    out.extend(weights.iter().map(|w| (w / scale).round().clamp(-127.0, 127.0) as i8 as u8));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_model_reads_back_and_scores_as_its_weights() {
        let mut weights = vec![0.0f32; 1 << 4];
        weights[3] = 2.0;
        weights[5] = -1.0;
        let bytes = write(&weights, 0.5, 0.7, 42);
        let model = Model::read(&bytes).unwrap();
        assert_eq!((model.bits, model.threshold, model.digest, model.size()), (4, 0.7, 42, bytes.len()));
        let p = model.probability(&vec![(3, 1.0), (5, 0.5)]);
        assert!((p - sigmoid(0.5 + 2.0 - 0.5)).abs() < 0.02, "{p}");
        assert_eq!(Model::read(b"nope").unwrap_err(), ModelError::Magic);
        assert!(matches!(Model::read(&bytes[..bytes.len() - 1]), Err(ModelError::Size { .. })));
    }
}
