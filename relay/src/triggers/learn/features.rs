//! What the learned detectors see of a message: hashed features, the same at training and at
//! run time.
//!
//! The text is folded as the rules fold it ([`text::fold_to`]: accents and symbols to ASCII,
//! emoji to their names), lower-cased and split into words. Each word, padded with a space on
//! either side, gives its character n-grams of two to five bytes (single letters say nothing) (so "speek" shares most of
//! its n-grams with "speak", and "Mitarbeiterin" with "Mitarbeiter"), and the words give
//! unigrams and bigrams. The text's features are scaled to unit length, so a long message does
//! not weigh more than a short one. The conversation's features (frustration only) are named
//! facts ("two unanswered turns before", "the same question again") with weight one.
//!
//! Every feature is hashed (FNV-1a) into `2^BITS` slots: no vocabulary to ship, and a word
//! never seen in training still lands somewhere (where its n-grams carry what the corpus
//! taught about them).

use crate::bot::Turn;
use crate::event::Role;

use super::super::{frustration, text};

/// The number of weight slots is `2^BITS`. 18 bits (262,144 slots) keep collisions among the
/// corpus's few hundred thousand distinct n-grams rare; at one byte a weight the model is
/// 256 KiB.
pub const BITS: u32 = 18;

/// The most folded text (bytes) whose features are read: longer messages are judged by their
/// start, which keeps the cost per message bounded (about 1,000 n-gram hashes at most).
pub const MAX_TEXT_BYTES: usize = 512;

/// How many recent turns count for "the bot could not answer".
const RECENT_TURNS: usize = 6;

/// A sparse feature vector: (slot, value), slots sorted and unique.
pub type Features = Vec<(u32, f32)>;

fn fnv(parts: &[&[u8]]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            h ^= 0xff;
            h = h.wrapping_mul(0x0100_0193);
        }
        for &b in *part {
            h ^= u32::from(b);
            h = h.wrapping_mul(0x0100_0193);
        }
    }
    h
}

fn slot(parts: &[&[u8]]) -> u32 {
    fnv(parts) & ((1 << BITS) - 1)
}

/// The most sentences of a message read one by one (the whole message is always read).
pub const MAX_SENTENCES: usize = 6;

/// A message as the models read it: folded once (at most [`MAX_TEXT_BYTES`]), in clauses
/// for the rules and in words for the features, and its sentences (ranges of clauses) when
/// it has several: a request said beside a question is read alone as well.
pub struct Message<'a> {
    pub text: &'a str,
    pub clauses: Vec<Vec<String>>,
    pub words: Vec<String>,
    pub sentences: Vec<std::ops::Range<usize>>,
}

impl<'a> Message<'a> {
    pub fn read(text: &'a str) -> Self {
        let mut clauses = Vec::new();
        let mut sentences = Vec::new();
        for sentence in text::sentences_within(text, MAX_TEXT_BYTES) {
            let from = clauses.len();
            clauses.extend(sentence);
            sentences.push(from..clauses.len());
        }
        if sentences.len() < 2 {
            sentences.clear();
        }
        sentences.truncate(MAX_SENTENCES);
        let words = clauses.concat();
        Self { text, clauses, words, sentences }
    }

    /// The words of each sentence (none when the message is one sentence).
    pub fn sentence_words(&self) -> impl Iterator<Item = Vec<String>> + '_ {
        self.sentences.iter().map(|r| self.clauses[r.clone()].concat())
    }
}

/// The words of `text` as the models read them.
pub fn words(text: &str) -> Vec<String> {
    Message::read(text).words
}

/// A word as the models read it: a letter typed three times or more counts once
/// ("pleeease", "helloooo" → "please", "hello"; a doubled letter stays). Digits stay as they
/// are (written as `0` each, the callbacks' phone numbers made every number look like a
/// request).
pub fn normalise(word: &str) -> Vec<u8> {
    let bytes = word.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let run = bytes[i..].iter().take_while(|&&c| c == bytes[i]).count();
        let keep = if run >= 3 && !bytes[i].is_ascii_digit() { 1 } else { run };
        out.extend(std::iter::repeat_n(b, keep));
        i += run;
    }
    out
}

/// Which character n-grams a model reads besides the words'.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grams {
    /// Within words only (frustration: the n-grams across words did not help it on the
    /// development part, 0.63 against 0.66 recall at its false-alarm limit).
    Within,
    /// Also across each word boundary ("k to", "to a h"): the glue of a phrase ("put me
    /// through", "passe-moi"), which the words and in-word n-grams miss (requests: recall on
    /// the development part at 1 % false positives 0.90 against 0.81).
    Across,
}

/// The text's features, unit length.
pub fn text_features(words: &[String], grams: Grams) -> Features {
    let mut slots: Vec<u32> = Vec::with_capacity(words.len() * 16);
    let mut padded = Vec::with_capacity(32);
    let words: Vec<Vec<u8>> = words.iter().map(|w| normalise(w)).collect();
    for (i, word) in words.iter().enumerate() {
        slots.push(slot(&[b"w", word]));
        if let Some(next) = words.get(i + 1) {
            slots.push(slot(&[b"b", word, next]));
        }
        padded.clear();
        padded.push(b' ');
        padded.extend_from_slice(word);
        padded.push(b' ');
        for n in 2..=5 {
            for gram in padded.windows(n) {
                slots.push(slot(&[b"c", gram]));
            }
        }
    }
    let across: &[Vec<u8>] = if grams == Grams::Across { &words } else { &[] };
    for pair in across.windows(2) {
        padded.clear();
        padded.push(b' ');
        padded.extend_from_slice(&pair[0]);
        let space = padded.len();
        padded.push(b' ');
        padded.extend_from_slice(&pair[1]);
        padded.push(b' ');
        for n in 3..=6 {
            for (start, gram) in padded.windows(n).enumerate() {
                if start < space && start + n > space + 1 {
                    slots.push(slot(&[b"x", gram]));
                }
            }
        }
    }
    if words.is_empty() {
        slots.push(slot(&[b"empty"]));
    }
    slots.sort_unstable();
    let mut features: Features = Vec::with_capacity(slots.len());
    for s in slots {
        match features.last_mut() {
            Some((last, count)) if *last == s => *count += 1.0,
            _ => features.push((s, 1.0)),
        }
    }
    let norm = features.iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
    for (_, v) in &mut features {
        *v /= norm;
    }
    features
}

/// What the conversation says about the visitor's mood, as named facts: how many of the
/// recent bot turns could not answer, whether this message asks an earlier one again (and
/// both together), shouting, "!!" and "??", weary or friendly emoji, the last mark, how many
/// earlier messages sounded upset, and the rules' own score of the message.
pub fn conversation_facts(text: &str, words: &[String], earlier: &[Turn]) -> Vec<String> {
    let earlier = &earlier[earlier.len().saturating_sub(frustration::MAX_EARLIER_TURNS)..];
    let recent = &earlier[earlier.len().saturating_sub(RECENT_TURNS)..];
    let unanswered = recent.iter().filter(|t| t.role == Role::Bot && t.unanswered).count().min(2);
    let (repeat, upset) = frustration::history(words, earlier);
    let upset = upset.min(2);
    let visitor_turns = earlier.iter().filter(|t| t.role == Role::Visitor).count().min(3);
    let text = super::super::clip(text, super::super::MAX_PATTERN_BYTES);
    let rules = frustration::message_score(text, words);
    let rules = if rules >= 0.6 {
        2
    } else if rules >= 0.3 {
        1
    } else {
        0
    };
    let mut facts = vec![
        format!("unanswered {unanswered}"),
        format!("repeat {repeat}"),
        format!("repeat {repeat} unanswered {unanswered}"),
        format!("turns {visitor_turns}"),
        format!("upset {upset}"),
        format!("rules {rules}"),
        format!("rules {rules} unanswered {unanswered}"),
    ];
    let (mut letters, mut upper) = (0, 0);
    for c in text.chars().filter(|c| c.is_alphabetic()) {
        letters += 1;
        upper += usize::from(c.is_uppercase());
    }
    if letters >= 8 && upper * 10 >= letters * 7 {
        facts.push("shouting".into());
    }
    for (mark, name) in [("!!", "exclamations"), ("??", "questions"), ("?!", "outrage"), ("!?", "outrage")] {
        if text.contains(mark) {
            facts.push(name.into());
        }
    }
    // The tone of the emoji and of the last mark, which the words (folded, without marks or
    // emoji) do not carry: "great, thanks 🙄" is not "great, thanks 🙂".
    for (emoji, name) in [(WEARY, "weary emoji"), (FRIENDLY, "friendly emoji")] {
        if text.chars().any(|c| emoji.contains(&c)) {
            facts.push(name.into());
        }
    }
    let last = text.chars().rev().find(|c| c.is_alphanumeric() || c.is_ascii_punctuation());
    facts.push(
        match last {
            Some('?') => "ends question",
            Some('!') => "ends exclamation",
            Some('.') => "ends stop",
            Some(c) if c.is_alphanumeric() => "ends bare",
            _ => "ends other",
        }
        .into(),
    );
    facts
}

/// Emoji of anger, eye-rolling and weariness.
const WEARY: &[char] = &['😡', '🤬', '😤', '😠', '👎', '🙄', '😩', '😒', '😑', '🤦', '😫', '😖', '😣', '💢', '🥵'];
/// Emoji of thanks and good humour.
const FRIENDLY: &[char] = &['🙂', '😊', '👍', '🙏', '😀', '😄', '😃', '❤', '🥰', '😉', '🤗', '👌', '✨'];

/// The text's features and the conversation's facts, in one vector.
pub fn with_facts(mut features: Features, facts: &[String]) -> Features {
    features.extend(facts.iter().map(|f| (slot(&[b"f", f.as_bytes()]), 1.0)));
    features.sort_unstable_by_key(|(s, _)| *s);
    features.dedup_by(|b, a| {
        if a.0 == b.0 {
            a.1 += b.1;
            true
        } else {
            false
        }
    });
    features
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_features_within(words: &[String]) -> Features {
        text_features(words, Grams::Within)
    }

    #[test]
    fn features_are_unit_length_sorted_and_bounded() {
        let f = text_features_within(&words("Can I talk to a PERSON, please?"));
        assert!(f.windows(2).all(|w| w[0].0 < w[1].0));
        let norm: f32 = f.iter().map(|(_, v)| v * v).sum();
        assert!((norm - 1.0).abs() < 1e-4);
        assert!(f.iter().all(|(s, _)| *s < 1 << BITS));
        let long = "word ".repeat(10_000);
        assert!(text_features_within(&words(&long)).len() < 200, "the same words hash to the same slots");
        assert!(words(&"x".repeat(100_000)).concat().len() <= MAX_TEXT_BYTES);
    }

    #[test]
    fn n_grams_across_words_read_a_phrase_and_stay_unit_length() {
        let words = words("put me through");
        let (within, across) = (text_features(&words, Grams::Within), text_features(&words, Grams::Across));
        let has = |f: &Features, s: u32| f.iter().any(|(t, _)| *t == s);
        for gram in [&b"t me"[..], b"e thr", b"ut me "] {
            let s = slot(&[b"x", gram]);
            assert!(has(&across, s) && !has(&within, s), "{}", String::from_utf8_lossy(gram));
        }
        assert!(!has(&across, slot(&[b"x", b"put"])), "only grams that cross a boundary");
        let norm: f32 = across.iter().map(|(_, v)| v * v).sum();
        assert!((norm - 1.0).abs() < 1e-4);
        assert!(text_features(&super::words(&"ab ".repeat(10_000)), Grams::Across).len() < 200);
    }

    #[test]
    fn stretched_letters_and_digits_are_normalised() {
        assert_eq!(normalise("pleeeease"), b"please");
        assert_eq!(normalise("hellooooo"), b"hello");
        assert_eq!(normalise("speed"), b"speed");
        assert_eq!(normalise("4471"), b"4471");
        assert_eq!(normalise("1000"), b"1000");
        assert_eq!(text_features_within(&words("HELLOOOO anyone???")), text_features_within(&words("hello anyone")));
    }

    #[test]
    fn typos_share_most_features() {
        let overlap = |a: &str, b: &str| {
            let (a, b) = (text_features_within(&words(a)), text_features_within(&words(b)));
            a.iter().filter(|(s, _)| b.iter().any(|(t, _)| t == s)).count() as f32 / a.len() as f32
        };
        let (typo, other) =
            (overlap("speak to a human", "speek to a humen"), overlap("speak to a human", "where is my parcel"));
        assert!(typo > 0.4 && other < 0.1, "{typo} {other}");
    }
}
