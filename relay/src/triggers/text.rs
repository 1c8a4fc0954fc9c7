//! Text as the triggers read it: accents folded, lower case, split into clauses and words.
//! "Können Sie mich, bitte, VERBINDEN?" → [["konnen", "sie", "mich"], ["bitte"], ["verbinden"]].
//!
//! Folding is where a message can grow: `deunicode` spells symbols out ("⛕" becomes
//! "alternate oneway left way traffic ", 34 bytes and five words from one character), so a
//! message of rare symbols would be read as tens of thousands of words. [`fold`] stops at
//! [`MAX_FOLDED_BYTES`], and every analysis downstream works on words, so its cost is bounded by
//! that cap whatever the message holds.

use std::{
    borrow::Cow,
    collections::{HashMap, HashSet},
};

use deunicode::AsciiChars;

/// The most folded text an analysis reads, in bytes. Honest text in the seven languages folds
/// to about its own length (`ß` → `ss`, `æ` → `ae`), so a message of the longest allowed length
/// ([`shared::MAX_MESSAGE_CHARS`] characters) fits twice over; what this cuts is symbols and
/// scripts that transliterate to long names, which say nothing the triggers look for.
pub const MAX_FOLDED_BYTES: usize = 2 * shared::MAX_MESSAGE_CHARS;

/// What `deunicode` writes for a character it does not know (as `deunicode::deunicode` does).
const UNKNOWN: &str = "[?]";

/// `text` transliterated to ASCII exactly as `deunicode::deunicode` does, cut at
/// [`MAX_FOLDED_BYTES`] (and reading at most as many characters). Case is kept.
pub fn fold(text: &str) -> Cow<'_, str> {
    fold_to(text, MAX_FOLDED_BYTES)
}

/// [`fold`] with a smaller cap of `max` bytes.
pub fn fold_to(text: &str, max: usize) -> Cow<'_, str> {
    let max = max.min(MAX_FOLDED_BYTES);
    let folded = fold_uncounted(text, max);
    #[cfg(test)]
    super::meter::add(super::meter::Work::FoldedBytes, folded.len());
    folded
}

fn fold_uncounted(text: &str, max: usize) -> Cow<'_, str> {
    // The ASCII start is its own transliteration (`deunicode`'s own fast path).
    let ascii = text.bytes().take_while(|&b| b < 0x7F).count();
    if ascii >= text.len().min(max) {
        return Cow::Borrowed(&text[..text.len().min(max)]);
    }
    let mut out = String::with_capacity(max.min(2 * text.len()));
    out.push_str(&text[..ascii]);
    for piece in text[ascii..].ascii_chars().take(max) {
        out.push_str(piece.unwrap_or(UNKNOWN));
        if out.len() >= max {
            // ASCII only, so any byte is a character boundary.
            out.truncate(max);
            break;
        }
    }
    Cow::Owned(out)
}

/// Lower case, accents folded (`é` → `e`, `ß` → `ss`), one word per token. Apostrophes split
/// words ("l'agent" → "l", "agent"; "don't" → "don", "t"), so elisions never hide a word.
pub fn words(text: &str) -> Vec<String> {
    clauses(text).into_iter().flatten().collect()
}

/// [`words`] of the first `max` bytes of folded text.
pub fn words_within(text: &str, max: usize) -> Vec<String> {
    split(&fold_to(text, max)).into_iter().flatten().collect()
}

/// Words grouped by clause: sentence punctuation and commas end a clause, so "No, I want a
/// person" does not read as a negated request.
pub fn clauses(text: &str) -> Vec<Vec<String>> {
    split(&fold(text))
}

/// [`clauses`] of the first `max` bytes of folded text.
pub fn clauses_within(text: &str, max: usize) -> Vec<Vec<String>> {
    split(&fold_to(text, max))
}

/// [`clauses_within`] grouped by sentence (ended by `.`, `?`, `!`, `;` or a new line): the
/// clauses of each sentence, in order. Folds once.
pub fn sentences_within(text: &str, max: usize) -> Vec<Vec<Vec<String>>> {
    fold_to(text, max).split(['.', '?', '!', ';', '\n']).map(split).filter(|s| !s.is_empty()).collect()
}

fn split(folded: &str) -> Vec<Vec<String>> {
    folded
        .to_lowercase()
        .split(['.', '?', '!', ';', ',', ':', '\n', '(', ')'])
        .map(|clause| {
            clause
                .split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter(|clause| !clause.is_empty())
        .collect()
}

/// A phrase ("caught fire") found as whole words in a message's words.
pub fn contains_phrase(haystack: &[String], phrase: &[String]) -> bool {
    !phrase.is_empty() && haystack.windows(phrase.len()).any(|window| window == phrase)
}

/// A configured word list, folded once, indexed by first word so that looking for all of
/// them costs one pass over the message, not one pass per phrase.
#[derive(Debug, Clone, Default)]
pub struct Phrases {
    list: Vec<Vec<String>>,
    /// First word → the phrases (indexes into `list`) that start with it.
    by_first: HashMap<String, Vec<usize>>,
    /// The one-word phrases of [`INFLECTED_MIN`] letters or more, and the longest of them.
    stems: HashMap<String, Vec<usize>>,
    longest_stem: usize,
    /// The stems' first [`INFLECTED_MIN`] letters: a word that starts otherwise starts with
    /// none of them, so one lookup rules most words out.
    stem_starts: HashSet<String>,
}

/// A one-word phrase this long or longer also matches the start of a word.
const INFLECTED_MIN: usize = 6;

impl Phrases {
    pub fn new<S: AsRef<str>>(list: &[S]) -> Self {
        let list: Vec<Vec<String>> = list.iter().map(|p| words(p.as_ref())).filter(|p| !p.is_empty()).collect();
        let mut by_first: HashMap<String, Vec<usize>> = HashMap::new();
        let mut stems: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, phrase) in list.iter().enumerate() {
            by_first.entry(phrase[0].clone()).or_default().push(i);
            if let [one] = phrase.as_slice() {
                if one.len() >= INFLECTED_MIN {
                    stems.entry(one.clone()).or_default().push(i);
                }
            }
        }
        let longest_stem = stems.keys().map(String::len).max().unwrap_or(0);
        let stem_starts = stems.keys().filter_map(|stem| stem.get(..INFLECTED_MIN)).map(str::to_string).collect();
        Self { list, by_first, stems, longest_stem, stem_starts }
    }

    /// Which phrases occur in `words` (by index), in one pass over the words. `inflected`:
    /// long one-word phrases also match the start of a word.
    fn found(&self, words: &[String], inflected: bool) -> Vec<bool> {
        let mut found = vec![false; self.list.len()];
        for (at, word) in words.iter().enumerate() {
            for &i in self.by_first.get(word).into_iter().flatten() {
                found[i] |= words[at..].starts_with(&self.list[i]);
            }
            let may_inflect = word.get(..INFLECTED_MIN).is_some_and(|start| self.stem_starts.contains(start));
            if inflected && may_inflect {
                for len in INFLECTED_MIN..=word.len().min(self.longest_stem) {
                    let stem = word.get(..len).and_then(|prefix| self.stems.get(prefix));
                    for &i in stem.into_iter().flatten() {
                        found[i] = true;
                    }
                }
            }
        }
        found
    }

    /// How many of the phrases occur in `words`.
    pub fn count(&self, words: &[String]) -> usize {
        self.found(words, false).into_iter().filter(|&f| f).count()
    }

    /// Like [`Phrases::count`], but a one-word phrase of six letters or more also matches the
    /// start of a word, so inflections count ("nutzloser" for "nutzlos").
    pub fn count_inflected(&self, words: &[String]) -> usize {
        self.found(words, true).into_iter().filter(|&f| f).count()
    }

    /// The first phrase found in `words`, as configured (folded).
    pub fn find(&self, words: &[String]) -> Option<String> {
        let found = self.found(words, false);
        self.list.iter().zip(found).find(|(_, f)| *f).map(|(p, _)| p.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accents_case_and_elisions_fold() {
        assert_eq!(
            clauses("Können Sie mich, bitte, VERBINDEN?"),
            vec![vec!["konnen", "sie", "mich"], vec!["bitte"], vec!["verbinden"]]
        );
        assert_eq!(words("Je veux parler à quelqu'un"), ["je", "veux", "parler", "a", "quelqu", "un"]);
        assert!(Phrases::new(&["caught fire"]).find(&words("It CAUGHT fire!")).is_some());
        assert!(Phrases::new(&["burn"]).find(&words("sunburned")).is_none());
    }

    #[test]
    fn folding_is_deunicode_until_the_cap() {
        for text in ["plain ascii", "Können Sie mich, bitte?", "北京 ⛕ 🫰 ﷽ a\u{301}", "x\u{7F}y", ""] {
            assert_eq!(fold(text), deunicode::deunicode(text), "{text:?}");
        }
        let hostile = "\u{26D5}".repeat(shared::MAX_MESSAGE_CHARS);
        assert!(deunicode::deunicode(&hostile).len() > 10 * MAX_FOLDED_BYTES);
        assert_eq!(fold(&hostile).len(), MAX_FOLDED_BYTES);
        assert!(deunicode::deunicode(&hostile).starts_with(fold(&hostile).as_ref()));
        let long_ascii = "a".repeat(3 * MAX_FOLDED_BYTES);
        assert_eq!(fold(&long_ascii).len(), MAX_FOLDED_BYTES);
        assert!(words(&hostile).len() <= MAX_FOLDED_BYTES / 2);
    }

    #[test]
    fn phrases_count_as_the_plain_search_did() {
        let list = ["terrible", "terrible", "not helpful", "nutzlos", "fed up", "up"];
        let phrases = Phrases::new(&list);
        let text = words("Terrible and NOT helpful, nutzloser Service, fed up");
        let plain = |inflected: bool| {
            list.iter()
                .map(|p| words(p))
                .filter(|p| match p.as_slice() {
                    [one] if inflected && one.len() >= 6 => text.iter().any(|w| w.starts_with(one.as_str())),
                    _ => contains_phrase(&text, p),
                })
                .count()
        };
        assert_eq!(phrases.count(&text), plain(false));
        assert_eq!(phrases.count_inflected(&text), plain(true));
        assert_eq!(phrases.count_inflected(&text), 6);
        assert_eq!(phrases.find(&words("so fed up")).as_deref(), Some("fed up"));
        assert_eq!(phrases.find(&words("nothing here")), None);
    }
}
