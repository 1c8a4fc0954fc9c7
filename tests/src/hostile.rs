//! The worst visitor messages we know how to write for the relay's per-message text analysis
//! (triggers, repeat detection, summary facts, retrieval): each at the longest length a message
//! may have ([`shared::MAX_MESSAGE_CHARS`] characters), built from a seed so a run can be
//! repeated. `tests/tests/hostile.rs` sends them from many visitors at once.

use shared::MAX_MESSAGE_CHARS;

/// U+26D5 (⛕), the symbol of the original report: transliterated, one character becomes
/// "alternate oneway left way traffic ", 34 bytes and five words.
pub const RARE_SYMBOL: char = '\u{26D5}';
/// U+1FAF0 (🫰), the longest transliteration there is (41 bytes, "hand with index finger and
/// thumb crossed ").
pub const LONGEST_SYMBOL: char = '\u{1FAF0}';

/// A small deterministic generator (xorshift64*), so the tests need no random-number crate.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// A random lower-case "word" of `len` letters: never in a lexicon, so every typo
    /// comparison runs.
    pub fn word(&mut self, len: usize) -> String {
        (0..len).map(|_| char::from(b'a' + self.below(26) as u8)).collect()
    }
}

/// The message kinds, each as long as a message may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The report: random words plus thousands of one rare symbol.
    RareSymbols,
    /// Nothing but the symbol with the longest transliteration.
    LongestTransliteration,
    /// Random words of five to eleven letters: the typo matcher's worst case.
    TypoBait,
    /// Words the request detector reads as roles, with no commas: every verb scans its
    /// neighbours, every negation the words around it.
    RequestShapes,
    /// Phone numbers, order numbers, links and emails back to back: the summary's regexes and
    /// its fact list.
    FactShapes,
    /// One token of 4,000 letters.
    LongToken,
    /// Scripts and symbols mixed: Han, Cyrillic, Arabic ligatures, Devanagari, emoji,
    /// combining marks.
    MixedScripts,
}

pub const KINDS: [Kind; 7] = [
    Kind::RareSymbols,
    Kind::LongestTransliteration,
    Kind::TypoBait,
    Kind::RequestShapes,
    Kind::FactShapes,
    Kind::LongToken,
    Kind::MixedScripts,
];

/// Repeats pieces from `next` until the message is full, cut at exactly
/// [`MAX_MESSAGE_CHARS`] characters.
fn fill(mut next: impl FnMut() -> String) -> String {
    let mut out = String::new();
    let mut chars = 0;
    while chars < MAX_MESSAGE_CHARS {
        let piece = next();
        chars += piece.chars().count();
        out.push_str(&piece);
    }
    out.chars().take(MAX_MESSAGE_CHARS).collect()
}

/// One message of `kind`.
pub fn message(kind: Kind, rng: &mut Rng) -> String {
    match kind {
        Kind::RareSymbols => {
            let mut words = 0;
            fill(|| {
                words += 1;
                // About a quarter words, the rest the symbol (thousands of it).
                if words <= 150 {
                    let len = 3 + rng.below(8);
                    format!("{} ", rng.word(len))
                } else {
                    RARE_SYMBOL.to_string()
                }
            })
        }
        Kind::LongestTransliteration => fill(|| LONGEST_SYMBOL.to_string()),
        Kind::TypoBait => fill(|| {
            let len = 5 + rng.below(7);
            format!("{} ", rng.word(len))
        }),
        Kind::RequestShapes => {
            const WORDS: &[&str] = &[
                "talk", "speek", "to", "a", "humen", "not", "want", "no", "real", "persn", "someone", "i", "can",
                "don", "t", "sprechen", "mit", "einem", "kein", "bot", "agnet", "need", "the", "please",
            ];
            fill(|| format!("{} ", WORDS[rng.below(WORDS.len())]))
        }
        Kind::FactShapes => {
            let shapes = [
                "+49 30 1234567 ",
                "(555) 123-4567 ",
                "order 12345678 ",
                "#A-55120 ",
                "NW-20481 ",
                "www.shop.example/x ",
                "https://a.example/b?c=d ",
                "ada@example.com ",
                "0 0 0 0 0 0 0 ",
                "((((((( ",
            ];
            let mut n = 0u64;
            fill(|| {
                n += 1;
                // Distinct facts, so de-duplication keeps them all.
                shapes[rng.below(shapes.len())].replace('0', &(n % 10).to_string()).replace("ada", &rng.word(4))
            })
        }
        Kind::LongToken => fill(|| rng.word(1)),
        Kind::MixedScripts => {
            const PIECES: &[&str] = &[
                "北京",
                "中国",
                "Привет",
                "﷽",
                "ﷺ",
                "नमस्ते",
                "🫰",
                "🫢",
                "⛕",
                "a\u{0301}\u{0302}\u{0303}",
                "ß",
                "Æ",
                "😜",
                "ℌ",
            ];
            fill(|| PIECES[rng.below(PIECES.len())].to_string())
        }
    }
}

/// `base` with a few characters changed: the same question "again", for the repeat comparison.
pub fn near_duplicate(base: &str, rng: &mut Rng) -> String {
    let mut chars: Vec<char> = base.chars().collect();
    for _ in 0..3 {
        let i = rng.below(chars.len());
        chars[i] = char::from(b'a' + rng.below(26) as u8);
    }
    chars.into_iter().collect()
}

/// An endless supply for one attacker: every kind in turn, each followed by near-duplicates of
/// itself so the repeat comparison always has long earlier messages to compare with.
pub struct Attack {
    rng: Rng,
    step: usize,
    last: String,
}

impl Attack {
    pub fn new(seed: u64) -> Self {
        Self { rng: Rng::new(seed), step: seed as usize, last: String::new() }
    }
}

impl Iterator for Attack {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        self.step += 1;
        self.last = if self.step.is_multiple_of(3) || self.last.is_empty() {
            message(KINDS[(self.step / 3) % KINDS.len()], &mut self.rng)
        } else {
            near_duplicate(&self.last, &mut self.rng)
        };
        Some(self.last.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_exactly_as_long_as_a_message_may_be() {
        let mut rng = Rng::new(7);
        for kind in KINDS {
            let text = message(kind, &mut rng);
            assert_eq!(text.chars().count(), MAX_MESSAGE_CHARS, "{kind:?}");
        }
        let rare = message(Kind::RareSymbols, &mut rng);
        assert!(rare.chars().filter(|&c| c == RARE_SYMBOL).count() > 2000);
        assert!(Attack::new(1).take(30).all(|m| !m.trim().is_empty() && m.chars().count() <= MAX_MESSAGE_CHARS));
    }
}
