//! Logistic regression over hashed features, with an optional small hidden layer over the
//! same features folded into fewer slots (see [`super::model`]), trained by AdaGrad with L2
//! decay on one thread with a seeded shuffle: the same corpus and seed give the same weights,
//! bit for bit.

use super::features::Features;
use super::model::sigmoid;

/// One labelled example.
#[derive(Debug, Clone)]
pub struct Example {
    pub features: Features,
    pub label: bool,
}

/// How to train.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub bits: u32,
    pub epochs: usize,
    pub learning_rate: f32,
    /// L2 decay per update of a weight.
    pub l2: f32,
    pub seed: u64,
    /// How much more a negative weighs than a positive, both classes balanced first: false
    /// alarms cost more than misses (the floors allow 1 % of them, but 3 % of misses).
    pub negative_weight: f32,
    /// Hidden units (0: a linear model only).
    pub units: usize,
    /// The hidden layer reads the features folded into `2^hidden_bits` slots.
    pub hidden_bits: u32,
}

/// The hidden layer's weights, in full precision.
pub struct Hidden {
    pub bits: u32,
    /// `2^bits × units`, slot-major; slots no training example reached are zero.
    pub embedding: Vec<f32>,
    pub biases: Vec<f32>,
    pub outputs: Vec<f32>,
}

/// The trained weights, in full precision.
pub struct Weights {
    pub weights: Vec<f32>,
    pub bias: f32,
    pub hidden: Option<Hidden>,
}

impl Hidden {
    /// The units' activations for `features`.
    fn activations(&self, features: &Features) -> Vec<f32> {
        let units = self.biases.len();
        let mask = (1usize << self.bits) - 1;
        let mut out = self.biases.clone();
        for &(s, v) in features {
            let row = (s as usize & mask) * units;
            for (o, e) in out.iter_mut().zip(&self.embedding[row..row + units]) {
                *o += e * v;
            }
        }
        out
    }

    fn score(&self, activations: &[f32]) -> f32 {
        activations.iter().zip(&self.outputs).map(|(a, w)| a.max(0.0) * w).sum()
    }
}

impl Weights {
    pub fn probability(&self, features: &Features) -> f32 {
        let linear = self.bias + features.iter().map(|&(s, v)| self.weights[s as usize] * v).sum::<f32>();
        sigmoid(linear + self.hidden.as_ref().map_or(0.0, |h| h.score(&h.activations(features))))
    }
}

/// SplitMix64: a tiny, fixed random sequence (a dependency's generator could change between
/// versions and with it the checked-in weights).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

/// Trains on `examples`; both classes weigh the same in total (times
/// [`Settings::negative_weight`] for the negatives), however many of each there are.
pub fn train(examples: &[Example], settings: Settings) -> Weights {
    let size = 1usize << settings.bits;
    let mut weights = vec![0.0f32; size];
    let mut squares = vec![1e-6f32; size];
    let (mut bias, mut bias_squares) = (0.0f32, 1e-6f32);
    let positives = examples.iter().filter(|e| e.label).count().max(1) as f32;
    let negatives = (examples.len() as f32 - positives).max(1.0);
    let total = examples.len() as f32;
    let class_weight = |label: bool| {
        if label {
            total / (2.0 * positives)
        } else {
            settings.negative_weight * total / (2.0 * negatives)
        }
    };
    let mut rng = Rng::new(settings.seed);
    let units = settings.units;
    let mut hidden = (units > 0).then(|| {
        let mut init = |n: usize, range: f32| -> Vec<f32> {
            (0..n).map(|_| (rng.next_u64() >> 40) as f32 / (1u64 << 24) as f32 * 2.0 * range - range).collect()
        };
        let slots = 1usize << settings.hidden_bits;
        Hidden {
            bits: settings.hidden_bits,
            embedding: init(slots * units, 0.1),
            biases: vec![0.1; units],
            outputs: init(units, 0.5),
        }
    });
    let hidden_slots = 1usize << settings.hidden_bits;
    let mut hidden_squares = vec![1e-6f32; if units > 0 { hidden_slots * units } else { 0 }];
    let mut unit_squares = vec![1e-6f32; 2 * units];
    let mut reached = vec![false; if units > 0 { hidden_slots } else { 0 }];
    let mut order: Vec<usize> = (0..examples.len()).collect();
    for _ in 0..settings.epochs {
        rng.shuffle(&mut order);
        for &i in &order {
            let example = &examples[i];
            let mut z = bias + example.features.iter().map(|&(s, v)| weights[s as usize] * v).sum::<f32>();
            let activations = hidden.as_ref().map(|h| h.activations(&example.features));
            if let (Some(h), Some(a)) = (&hidden, &activations) {
                z += h.score(a);
            }
            let error = (sigmoid(z) - f32::from(u8::from(example.label))) * class_weight(example.label);
            for &(s, v) in &example.features {
                let s = s as usize;
                let gradient = error * v + settings.l2 * weights[s];
                squares[s] += gradient * gradient;
                weights[s] -= settings.learning_rate * gradient / squares[s].sqrt();
            }
            bias_squares += error * error;
            bias -= settings.learning_rate * error / bias_squares.sqrt();
            if let (Some(h), Some(a)) = (&mut hidden, &activations) {
                let mask = hidden_slots - 1;
                // The units' gradient (before this step's change of the output weights).
                let back: Vec<f32> =
                    a.iter().zip(&h.outputs).map(|(a, w)| if *a > 0.0 { error * w } else { 0.0 }).collect();
                for (j, a) in a.iter().enumerate() {
                    let g = error * a.max(0.0) + settings.l2 * h.outputs[j];
                    unit_squares[j] += g * g;
                    h.outputs[j] -= settings.learning_rate * g / unit_squares[j].sqrt();
                    let g = back[j];
                    unit_squares[units + j] += g * g;
                    h.biases[j] -= settings.learning_rate * g / unit_squares[units + j].sqrt();
                }
                for &(s, v) in &example.features {
                    let slot = s as usize & mask;
                    reached[slot] = true;
                    for (j, b) in back.iter().enumerate() {
                        let at = slot * units + j;
                        let g = b * v + settings.l2 * h.embedding[at];
                        hidden_squares[at] += g * g;
                        h.embedding[at] -= settings.learning_rate * g / hidden_squares[at].sqrt();
                    }
                }
            }
        }
    }
    if let Some(h) = &mut hidden {
        // A slot no example reached keeps its random start: zero it, so an unseen n-gram adds
        // nothing at run time.
        for (slot, reached) in reached.iter().enumerate() {
            if !reached {
                h.embedding[slot * units..(slot + 1) * units].fill(0.0);
            }
        }
    }
    Weights { weights, bias, hidden }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn training_is_deterministic_and_learns_a_separable_set() {
        let examples: Vec<Example> = (0..200u32)
            .map(|i| Example { features: vec![(i % 7, 1.0), (7 + (i % 2), 1.0)], label: i % 2 == 0 })
            .collect();
        let linear = Settings {
            bits: 4,
            epochs: 5,
            learning_rate: 0.5,
            l2: 1e-4,
            seed: 7,
            negative_weight: 1.0,
            units: 0,
            hidden_bits: 0,
        };
        for settings in [linear, Settings { units: 4, hidden_bits: 3, ..linear }] {
            let (a, b) = (train(&examples, settings), train(&examples, settings));
            assert_eq!(a.weights, b.weights);
            assert_eq!(a.hidden.as_ref().map(|h| &h.embedding), b.hidden.as_ref().map(|h| &h.embedding));
            assert!(examples.iter().all(|e| (a.probability(&e.features) >= 0.5) == e.label));
        }
    }

    #[test]
    fn a_hidden_layer_learns_what_no_linear_model_can() {
        // Exclusive or of two features: no weights of a linear model separate it.
        let examples: Vec<Example> = (0..400u32)
            .map(|i| {
                let (a, b) = (i % 2 == 1, (i / 2) % 2 == 1);
                let mut features = vec![(0, 1.0)];
                features.extend(a.then_some((1, 1.0)));
                features.extend(b.then_some((2, 1.0)));
                Example { features, label: a != b }
            })
            .collect();
        let settings = Settings {
            bits: 4,
            epochs: 40,
            learning_rate: 0.3,
            l2: 0.0,
            seed: 3,
            negative_weight: 1.0,
            units: 8,
            hidden_bits: 4,
        };
        let trained = train(&examples, settings);
        assert!(examples.iter().all(|e| (trained.probability(&e.features) >= 0.5) == e.label));
    }
}
