//! Text as the triggers read it: accents folded, lower case, split into clauses and words.
//! "Können Sie mich, bitte, VERBINDEN?" → [["konnen", "sie", "mich"], ["bitte"], ["verbinden"]].

/// Lower case, accents folded (`é` → `e`, `ß` → `ss`), one word per token. Apostrophes split
/// words ("l'agent" → "l", "agent"; "don't" → "don", "t"), so elisions never hide a word.
pub fn words(text: &str) -> Vec<String> {
    clauses(text).into_iter().flatten().collect()
}

/// Words grouped by clause: sentence punctuation and commas end a clause, so "No, I want a
/// person" does not read as a negated request.
pub fn clauses(text: &str) -> Vec<Vec<String>> {
    let folded = deunicode::deunicode(text).to_lowercase();
    folded
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

/// A configured word list, folded once.
#[derive(Debug, Clone, Default)]
pub struct Phrases(Vec<Vec<String>>);

impl Phrases {
    pub fn new<S: AsRef<str>>(list: &[S]) -> Self {
        Self(list.iter().map(|p| words(p.as_ref())).filter(|p| !p.is_empty()).collect())
    }

    /// How many of the phrases occur in `words`.
    pub fn count(&self, words: &[String]) -> usize {
        self.0.iter().filter(|p| contains_phrase(words, p)).count()
    }

    /// Like [`Phrases::count`], but a one-word phrase of six letters or more also matches the
    /// start of a word, so inflections count ("nutzloser" for "nutzlos").
    pub fn count_inflected(&self, words: &[String]) -> usize {
        self.0
            .iter()
            .filter(|p| match p.as_slice() {
                [one] if one.len() >= 6 => words.iter().any(|w| w.starts_with(one.as_str())),
                _ => contains_phrase(words, p),
            })
            .count()
    }

    /// The first phrase found in `words`, as configured (folded).
    pub fn find(&self, words: &[String]) -> Option<String> {
        self.0.iter().find(|p| contains_phrase(words, p)).map(|p| p.join(" "))
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
}
