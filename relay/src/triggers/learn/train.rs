//! Logistic regression over hashed features, trained by AdaGrad with L2 decay, on one thread
//! with a seeded shuffle: the same corpus and seed give the same weights, bit for bit.

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
}

/// The trained weights, in full precision.
pub struct Weights {
    pub weights: Vec<f32>,
    pub bias: f32,
}

impl Weights {
    pub fn probability(&self, features: &Features) -> f32 {
        sigmoid(self.bias + features.iter().map(|&(s, v)| self.weights[s as usize] * v).sum::<f32>())
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
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let mut rng = Rng::new(settings.seed);
    for _ in 0..settings.epochs {
        rng.shuffle(&mut order);
        for &i in &order {
            let example = &examples[i];
            let z = bias + example.features.iter().map(|&(s, v)| weights[s as usize] * v).sum::<f32>();
            let error = (sigmoid(z) - f32::from(u8::from(example.label))) * class_weight(example.label);
            for &(s, v) in &example.features {
                let s = s as usize;
                let gradient = error * v + settings.l2 * weights[s];
                squares[s] += gradient * gradient;
                weights[s] -= settings.learning_rate * gradient / squares[s].sqrt();
            }
            bias_squares += error * error;
            bias -= settings.learning_rate * error / bias_squares.sqrt();
        }
    }
    Weights { weights, bias }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn training_is_deterministic_and_learns_a_separable_set() {
        let examples: Vec<Example> = (0..200u32)
            .map(|i| Example { features: vec![(i % 7, 1.0), (7 + (i % 2), 1.0)], label: i % 2 == 0 })
            .collect();
        let settings = Settings { bits: 4, epochs: 5, learning_rate: 0.5, l2: 1e-4, seed: 7, negative_weight: 1.0 };
        let (a, b) = (train(&examples, settings), train(&examples, settings));
        assert_eq!(a.weights, b.weights);
        assert!(examples.iter().all(|e| (a.probability(&e.features) >= 0.5) == e.label));
    }
}
