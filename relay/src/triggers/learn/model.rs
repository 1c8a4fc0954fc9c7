//! A trained model as checked in: a small header, one signed byte per linear weight slot and,
//! when the model has one, a small hidden layer (one signed byte per embedding weight).
//!
//! Layout (little endian): `b"BTM2"`, bits (u8), weight scale (f32), bias (f32), threshold
//! (f32), the digest of the corpus it was trained on (u64), hidden bits (u8), hidden units
//! (u8, 0 for none), embedding scale (f32); then `2^bits` linear weights as `i8` (weight =
//! byte × scale); then, with hidden units, `2^hidden_bits × units` embedding weights as `i8`
//! (slot-major), the units' biases and their output weights (`units` f32 each).
//!
//! The score is `bias + Σ w[s]·v + Σ_j out[j]·relu(b[j] + Σ E[s][j]·v)` over the message's
//! features `(s, v)`: a linear model over the hashed features plus a small network over the
//! same features folded into fewer slots. The relay reads the bytes in place
//! (`include_bytes!`): loading copies nothing.

use super::features::Features;

const MAGIC: &[u8; 4] = b"BTM2";
const HEADER: usize = 4 + 1 + 4 + 4 + 4 + 8 + 1 + 1 + 4;

/// The most hidden units a model file may have (the score keeps them on the stack).
pub const MAX_UNITS: usize = 64;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ModelError {
    #[error("not a model file (no BTM2 header)")]
    Magic,
    #[error("the model holds {found} bytes after its header, its header says {expected}")]
    Size { expected: usize, found: usize },
    #[error("the model has {0} hidden units, at most {MAX_UNITS} are read")]
    Units(usize),
}

/// The hidden layer of a model, borrowed from its bytes.
#[derive(Debug, Clone, Copy)]
struct Hidden<'a> {
    bits: u8,
    units: usize,
    scale: f32,
    embedding: &'a [u8],
    biases: &'a [u8],
    outputs: &'a [u8],
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
    hidden: Option<Hidden<'a>>,
}

fn f32_at(bytes: &[u8], at: usize) -> f32 {
    f32::from_le_bytes(bytes[at..at + 4].try_into().expect("four bytes"))
}

impl<'a> Model<'a> {
    pub fn read(bytes: &'a [u8]) -> Result<Self, ModelError> {
        if bytes.len() < HEADER || &bytes[..4] != MAGIC {
            return Err(ModelError::Magic);
        }
        let bits = bytes[4];
        let (hidden_bits, units) = (bytes[25], usize::from(bytes[26]));
        if units > MAX_UNITS {
            return Err(ModelError::Units(units));
        }
        let linear = 1usize << bits;
        let embedding = if units > 0 { (1usize << hidden_bits) * units } else { 0 };
        let expected = linear + embedding + 8 * units;
        let rest = &bytes[HEADER..];
        if rest.len() != expected {
            return Err(ModelError::Size { expected, found: rest.len() });
        }
        let hidden = (units > 0).then(|| Hidden {
            bits: hidden_bits,
            units,
            scale: f32_at(bytes, 27),
            embedding: &rest[linear..linear + embedding],
            biases: &rest[linear + embedding..linear + embedding + 4 * units],
            outputs: &rest[linear + embedding + 4 * units..],
        });
        Ok(Self {
            bits,
            scale: f32_at(bytes, 5),
            bias: f32_at(bytes, 9),
            threshold: f32_at(bytes, 13),
            digest: u64::from_le_bytes(bytes[17..25].try_into().expect("eight bytes")),
            weights: &rest[..linear],
            hidden,
        })
    }

    /// The model's size in bytes, header included.
    pub fn size(&self) -> usize {
        HEADER + self.weights.len() + self.hidden.map_or(0, |h| h.embedding.len() + 8 * h.units)
    }

    /// How many linear weights are not zero (the slots the corpus's features reached).
    pub fn nonzero(&self) -> usize {
        self.weights.iter().filter(|&&w| w != 0).count()
    }

    /// The hidden layer's size: `(slots, units)`, `(0, 0)` for a linear model.
    pub fn hidden_shape(&self) -> (usize, usize) {
        self.hidden.map_or((0, 0), |h| (1 << h.bits, h.units))
    }

    /// The probability (0..1) that the features show what the model was trained to see.
    pub fn probability(&self, features: &Features) -> f32 {
        let mask = (1usize << self.bits) - 1;
        let sum: f32 = features.iter().map(|&(s, v)| f32::from(self.weights[s as usize & mask] as i8) * v).sum();
        let mut z = self.bias + self.scale * sum;
        if let Some(h) = &self.hidden {
            let mut units = [0.0f32; MAX_UNITS];
            let units = &mut units[..h.units];
            let mask = (1usize << h.bits) - 1;
            for &(s, v) in features {
                let row = (s as usize & mask) * h.units;
                for (u, &e) in units.iter_mut().zip(&h.embedding[row..row + h.units]) {
                    *u += f32::from(e as i8) * v;
                }
            }
            for (j, u) in units.iter().enumerate() {
                let a = (f32_at(h.biases, 4 * j) + h.scale * u).max(0.0);
                z += f32_at(h.outputs, 4 * j) * a;
            }
        }
        sigmoid(z)
    }
}

pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// The scale that keeps the 99.9th percentile of the non-zero magnitudes within a signed
/// byte; the few larger weights are clipped (they are far past what decides a message).
fn byte_scale(weights: &[f32]) -> f32 {
    let mut magnitudes: Vec<f32> = weights.iter().map(|w| w.abs()).filter(|w| *w > 0.0).collect();
    magnitudes.sort_unstable_by(f32::total_cmp);
    let top = magnitudes.get(magnitudes.len().saturating_sub(1 + magnitudes.len() / 1000)).copied().unwrap_or(1.0);
    if top > 0.0 {
        top / 127.0
    } else {
        1.0
    }
}

fn quantise(weights: &[f32], scale: f32) -> impl Iterator<Item = u8> + '_ {
    weights.iter().map(move |w| (w / scale).round().clamp(-127.0, 127.0) as i8 as u8)
}

/// A hidden layer to write: `embedding` is `2^bits × biases.len()` weights, slot-major.
pub struct HiddenWeights<'a> {
    pub bits: u8,
    pub embedding: &'a [f32],
    pub biases: &'a [f32],
    pub outputs: &'a [f32],
}

/// The file of a trained model: weights quantised to one signed byte each
/// ([`byte_scale`]), the hidden layer's biases and output weights in full.
pub fn write(weights: &[f32], bias: f32, threshold: f32, digest: u64, hidden: Option<HiddenWeights<'_>>) -> Vec<u8> {
    let bits = weights.len().trailing_zeros() as u8;
    assert_eq!(weights.len(), 1 << bits, "a power of two of weights");
    let scale = byte_scale(weights);
    let mut out = Vec::with_capacity(HEADER + weights.len());
    out.extend_from_slice(MAGIC);
    out.push(bits);
    out.extend_from_slice(&scale.to_le_bytes());
    out.extend_from_slice(&bias.to_le_bytes());
    out.extend_from_slice(&threshold.to_le_bytes());
    out.extend_from_slice(&digest.to_le_bytes());
    let units = hidden.as_ref().map_or(0, |h| h.biases.len());
    assert!(units <= MAX_UNITS, "at most {MAX_UNITS} hidden units");
    out.push(hidden.as_ref().map_or(0, |h| h.bits));
    out.push(units as u8);
    let hidden_scale = hidden.as_ref().map_or(1.0, |h| byte_scale(h.embedding));
    out.extend_from_slice(&hidden_scale.to_le_bytes());
    out.extend(quantise(weights, scale));
    if let Some(h) = hidden {
        assert_eq!(h.embedding.len(), (1 << h.bits) * units, "2^bits rows of one weight per unit");
        assert_eq!(h.outputs.len(), units, "one output weight per unit");
        out.extend(quantise(h.embedding, hidden_scale));
        out.extend(h.biases.iter().flat_map(|b| b.to_le_bytes()));
        out.extend(h.outputs.iter().flat_map(|w| w.to_le_bytes()));
    }
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
        let bytes = write(&weights, 0.5, 0.7, 42, None);
        let model = Model::read(&bytes).unwrap();
        assert_eq!((model.bits, model.threshold, model.digest, model.size()), (4, 0.7, 42, bytes.len()));
        let p = model.probability(&vec![(3, 1.0), (5, 0.5)]);
        assert!((p - sigmoid(0.5 + 2.0 - 0.5)).abs() < 0.02, "{p}");
        assert_eq!(Model::read(b"nope").unwrap_err(), ModelError::Magic);
        assert!(matches!(Model::read(&bytes[..bytes.len() - 1]), Err(ModelError::Size { .. })));
    }

    #[test]
    fn a_hidden_layer_reads_back_and_adds_its_units() {
        let weights = vec![0.0f32; 1 << 4];
        // Two slots of hidden layer, two units: slot 1 lights unit 0, slot 0 unit 1.
        let embedding = [0.0, 1.0, 2.0, 0.0];
        let (biases, outputs) = ([0.0, -0.5], [1.5, -2.0]);
        let hidden = HiddenWeights { bits: 1, embedding: &embedding, biases: &biases, outputs: &outputs };
        let bytes = write(&weights, 0.0, 0.5, 1, Some(hidden));
        let model = Model::read(&bytes).unwrap();
        assert_eq!((model.size(), model.hidden_shape()), (bytes.len(), (2, 2)));
        // Feature slot 3 folds into hidden slot 1: unit 0 = 2 * 0.5 = 1 → +1.5; unit 1 = relu(-0.5).
        let p = model.probability(&vec![(3, 0.5)]);
        assert!((p - sigmoid(1.5)).abs() < 0.01, "{p}");
        // Slot 2 folds into hidden slot 0: unit 1 = relu(-0.5 + 1) = 0.5 → -1.0.
        let p = model.probability(&vec![(2, 1.0)]);
        assert!((p - sigmoid(-1.0)).abs() < 0.01, "{p}");
    }
}
