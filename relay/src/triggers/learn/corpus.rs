//! The training corpus (`relay/data/triggers/`, see its README): templates per language, each
//! expanded into several messages with its slots and alternatives filled at random (seeded),
//! then varied as visitors write (lower case without punctuation, a typo, an emoji, capitals).
//!
//! A template line is `+kind text` (the detector should fire) or `-kind text` (it should not);
//! `{name}` draws from the slot `@name = a | b | c`, `[a|b]` from the alternatives in place
//! (an empty alternative is allowed). Frustration files also hold `@question = asked ~
//! reworded` pairs, from which the conversations around each message are built.
//!
//! Every template line goes, with all its expansions, to one part of the split (train,
//! development, test) by a hash of the seed and its text, so the test part holds wordings the
//! model never saw, not variants of trained ones.

use std::collections::{BTreeSet, HashMap};

use crate::bot::Turn;
use crate::event::Role;

use super::train::Rng;

/// The languages of the corpus.
pub const LANGUAGES: [&str; 7] = ["en", "de", "es", "fr", "it", "nl", "pt"];

macro_rules! sources {
    ($dir:literal) => {
        [
            ("en", include_str!(concat!("../../../data/triggers/", $dir, "/en.txt"))),
            ("de", include_str!(concat!("../../../data/triggers/", $dir, "/de.txt"))),
            ("es", include_str!(concat!("../../../data/triggers/", $dir, "/es.txt"))),
            ("fr", include_str!(concat!("../../../data/triggers/", $dir, "/fr.txt"))),
            ("it", include_str!(concat!("../../../data/triggers/", $dir, "/it.txt"))),
            ("nl", include_str!(concat!("../../../data/triggers/", $dir, "/nl.txt"))),
            ("pt", include_str!(concat!("../../../data/triggers/", $dir, "/pt.txt"))),
        ]
    };
}

/// Templates for asking for a person, per language.
pub const REQUEST: [(&str, &str); 7] = sources!("request");
/// Templates for frustrated and calm messages, per language.
pub const FRUSTRATION: [(&str, &str); 7] = sources!("frustration");

/// The seed of the checked-in models: the expansion, the split and the training order.
pub const SEED: u64 = 20_261_201;

/// How many messages one template line gives at most (before the variations).
const PER_TEMPLATE: usize = 10;

/// A digest of every corpus file (FNV-1a, 64 bits): the model files carry the one they were
/// trained on, so a corpus edited without retraining is noticed.
pub fn digest() -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (lang, text) in REQUEST.iter().chain(FRUSTRATION.iter()) {
        for b in lang.bytes().chain(text.bytes()).chain([0]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    Train,
    /// For choosing the threshold.
    Dev,
    Test,
}

/// One message of the corpus, with the turns before it (frustration only).
#[derive(Debug, Clone)]
pub struct Sample {
    pub lang: &'static str,
    pub kind: String,
    pub label: bool,
    pub text: String,
    pub earlier: Vec<Turn>,
    /// The tenth of the corpus its template line fell in (0-1 the test part, 2 the development
    /// part, 3-9 training; see [`FOLDS`]).
    pub tenth: u8,
}

impl Sample {
    /// The part of the split the sample is in (of its tenth).
    pub fn part(&self) -> Part {
        part_of(self.tenth)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{lang} line {line}: {message}")]
pub struct CorpusError {
    lang: String,
    line: usize,
    message: String,
}

struct Template {
    label: bool,
    kind: String,
    text: String,
}

struct Source {
    slots: HashMap<String, Vec<String>>,
    templates: Vec<Template>,
    questions: Vec<(String, String)>,
}

fn parse(lang: &str, text: &str) -> Result<Source, CorpusError> {
    let mut source = Source { slots: HashMap::new(), templates: Vec::new(), questions: Vec::new() };
    for (i, line) in text.lines().enumerate() {
        let error = |message: &str| CorpusError { lang: lang.into(), line: i + 1, message: message.into() };
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(slot) = line.strip_prefix('@') {
            let (name, values) = slot.split_once('=').ok_or_else(|| error("a slot needs `=`"))?;
            let values: Vec<String> = values.split('|').map(|v| v.trim().to_string()).collect();
            if name.trim() == "question" {
                for pair in values.iter().filter(|v| !v.is_empty()) {
                    let (asked, reworded) = pair.split_once('~').ok_or_else(|| error("a question needs `~`"))?;
                    source.questions.push((asked.trim().into(), reworded.trim().into()));
                }
            } else {
                source.slots.entry(name.trim().into()).or_default().extend(values);
            }
            continue;
        }
        let label = match line.as_bytes()[0] {
            b'+' => true,
            b'-' => false,
            _ => return Err(error("a line starts with +, -, @ or #")),
        };
        let (kind, text) = line[1..].split_once(' ').ok_or_else(|| error("a template needs a kind and a text"))?;
        source.templates.push(Template { label, kind: kind.into(), text: text.trim().into() });
    }
    for template in &source.templates {
        for name in slot_names(&template.text) {
            if !source.slots.contains_key(&name) {
                return Err(CorpusError { lang: lang.into(), line: 0, message: format!("no slot {name:?}") });
            }
        }
    }
    Ok(source)
}

fn slot_names(text: &str) -> Vec<String> {
    text.split('{').skip(1).filter_map(|s| s.split_once('}')).map(|(name, _)| name.to_string()).collect()
}

/// `template` with its slots and alternatives drawn from `rng`.
fn render(template: &str, slots: &HashMap<String, Vec<String>>, rng: &mut Rng, depth: usize) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(at) = rest.find(['{', '[']) {
        out.push_str(&rest[..at]);
        let close = if rest[at..].starts_with('{') { '}' } else { ']' };
        let Some(end) = rest[at..].find(close).map(|e| at + e) else {
            out.push_str(&rest[at..]);
            return out;
        };
        let inner = &rest[at + 1..end];
        let picked = if close == '}' {
            let values = &slots[inner];
            values[rng.below(values.len())].clone()
        } else {
            let values: Vec<&str> = inner.split('|').collect();
            values[rng.below(values.len())].to_string()
        };
        if depth < 4 {
            out.push_str(&render(&picked, slots, rng, depth + 1));
        } else {
            out.push_str(&picked);
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    tidy(&out)
}

/// Single spaces, no space before a comma or a full stop (one before "?" and "!" stays: it
/// is French typography).
fn tidy(text: &str) -> String {
    let out = text.split_whitespace().collect::<Vec<_>>().join(" ");
    out.replace(" ,", ",").replace(" .", ".").trim_start_matches([',', ' ']).to_string()
}

/// The tenth of the corpus a template line `group` falls in, by a hash of the seed and the line.
fn tenth_of(seed: u64, lang: &str, group: &str) -> u8 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for b in lang.bytes().chain([0]).chain(group.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    ((h >> 17) % 10) as u8
}

/// The part of a tenth: two tenths are the test part, one the development part.
fn part_of(tenth: u8) -> Part {
    match tenth {
        0 | 1 => Part::Test,
        2 => Part::Dev,
        _ => Part::Train,
    }
}

/// The tenths outside the test part: the folds of the trainer's cross-validation, each left
/// out of training in turn and scored by a model trained on the others.
pub const FOLDS: std::ops::RangeInclusive<u8> = 2..=9;

/// Up to [`PER_TEMPLATE`] distinct renderings of a template.
fn expand(template: &str, slots: &HashMap<String, Vec<String>>, rng: &mut Rng) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for _ in 0..3 * PER_TEMPLATE {
        let text = render(template, slots, rng, 0);
        if !text.is_empty() && seen.insert(text.clone()) {
            out.push(text);
            if out.len() == PER_TEMPLATE {
                break;
            }
        }
    }
    out
}

const KEYBOARD_NEIGHBOURS: &[(char, char)] =
    &[('a', 's'), ('e', 'r'), ('i', 'o'), ('o', 'p'), ('n', 'm'), ('t', 'r'), ('s', 'd'), ('l', 'k'), ('u', 'y')];

/// One variation of `text` as visitors write it. `shout`: capitals and weary emoji are allowed
/// (they do not change the label).
fn vary(text: &str, rng: &mut Rng, shout: bool) -> String {
    let kinds = if shout { 5 } else { 4 };
    match rng.below(kinds) {
        0 => text.to_lowercase().chars().filter(|c| !matches!(c, '?' | '!' | '.' | ',' | '¿' | '¡')).collect(),
        1 => {
            let mut words: Vec<String> = text.split(' ').map(str::to_string).collect();
            let long: Vec<usize> = (0..words.len()).filter(|&i| words[i].chars().count() >= 5).collect();
            if long.is_empty() {
                return format!("{text}!");
            }
            let at = long[rng.below(long.len())];
            let mut chars: Vec<char> = words[at].chars().collect();
            let i = 1 + rng.below(chars.len() - 2);
            match rng.below(4) {
                0 => chars.swap(i, i + 1),
                1 => {
                    chars.remove(i);
                }
                2 => chars.insert(i, chars[i]),
                _ => {
                    let c = chars[i].to_ascii_lowercase();
                    if let Some((_, n)) = KEYBOARD_NEIGHBOURS.iter().find(|(k, _)| *k == c) {
                        chars[i] = *n;
                    } else {
                        chars.swap(i, i + 1);
                    }
                }
            }
            words[at] = chars.into_iter().collect();
            words.join(" ")
        }
        2 => {
            // Eye-rolling and weariness only where they do not change the label: a calm
            // message with 🙄 is no longer calm.
            let emoji: &[&str] = if shout {
                &["🙏", "🙂", "😕", "🤔", "😅", "👍", "😩", "🙄"]
            } else {
                &["🙏", "🙂", "😕", "🤔", "😅", "👍"]
            };
            format!("{text} {}", emoji[rng.below(emoji.len())])
        }
        3 => {
            let mut lower = text.to_lowercase();
            if let Some(stripped) = lower.strip_suffix(['?', '.', '!']) {
                lower = stripped.to_string();
            }
            lower
        }
        _ => text.to_uppercase(),
    }
}

/// Which conversation a corpus message comes after (0: none; 1: an answered question; 2: one
/// turn the bot could not answer; 3: two of them; 4: an ordinary answered exchange), drawn
/// as in the conversations visitors have: a frustrated message mostly follows turns the bot
/// could not answer (two thirds of them), a calm one mostly does not (three in ten do, as a
/// question asked again politely after a miss). Drawn independently of the label, the
/// unanswered turns taught the model nothing but what the `repeat` cases say.
fn context_kind(rng: &mut Rng, frustrated: bool) -> usize {
    const FRUSTRATED: [usize; 5] = [2, 3, 7, 6, 2];
    const CALM: [usize; 5] = [5, 5, 4, 2, 4];
    let weights = if frustrated { FRUSTRATED } else { CALM };
    let mut at = rng.below(weights.iter().sum());
    for (kind, w) in weights.iter().enumerate() {
        if at < *w {
            return kind;
        }
        at -= w;
    }
    0
}

fn turn(role: Role, text: &str, unanswered: bool) -> Turn {
    Turn { role, text: text.into(), unanswered }
}

const ANSWER: &str = "Here is what our help pages say about that: …";
const MISSED: &str = "Sorry, I can't answer that. A person from our team can.";

/// The requests corpus: every language's templates, expanded and varied.
pub fn requests(seed: u64) -> Result<Vec<Sample>, CorpusError> {
    let mut samples = Vec::new();
    for (lang, text) in REQUEST {
        let source = parse(lang, text)?;
        let mut rng = Rng::new(seed ^ u64::from(lang.as_bytes()[0]) << 8 ^ u64::from(lang.as_bytes()[1]));
        for template in &source.templates {
            let tenth = tenth_of(seed, lang, &template.text);
            for text in expand(&template.text, &source.slots, &mut rng) {
                let varied = vary(&text, &mut rng, true);
                for text in [text, varied] {
                    samples.push(Sample {
                        lang,
                        kind: template.kind.clone(),
                        label: template.label,
                        text,
                        earlier: Vec::new(),
                        tenth,
                    });
                }
            }
        }
        let from = samples.len() - samples.iter().rev().take_while(|s| s.lang == lang).count();
        let added = in_context(&samples[from..], &mut rng);
        samples.extend(added);
    }
    Ok(samples)
}

/// Every third message again, with an ordinary question of the same language and part said
/// before or after it ("My order is late. Can I talk to someone?"): visitors give context,
/// and a request or a complaint stays one with a question beside it, a question with another.
/// (Of the part, not of the tenth: a cross-validation fold may meet a question of another
/// training tenth beside its own lines; the test part never does.)
fn in_context(samples: &[Sample], rng: &mut Rng) -> Vec<Sample> {
    let questions = |part: Part| -> Vec<&str> {
        samples
            .iter()
            .step_by(2)
            .filter(|s| s.part() == part && !s.label && s.kind == "question")
            .map(|s| s.text.as_str())
            .collect()
    };
    let pools = [Part::Train, Part::Dev, Part::Test].map(|part| (part, questions(part)));
    let mut out = Vec::new();
    for sample in samples.iter().step_by(3) {
        let Some((_, pool)) = pools.iter().find(|(part, pool)| *part == sample.part() && !pool.is_empty()) else {
            continue;
        };
        let question = pool[rng.below(pool.len())];
        let ended = |t: &str| {
            if t.ends_with(['.', '?', '!']) {
                t.to_string()
            } else {
                format!("{t}.")
            }
        };
        let text = if rng.below(2) == 0 {
            format!("{} {}", ended(question), sample.text)
        } else {
            format!("{} {question}", ended(&sample.text))
        };
        out.push(Sample { text, ..sample.clone() });
    }
    out
}

/// The frustration corpus: each message line (and each ordinary question of the requests
/// corpus) in a conversation drawn from the language's question pairs, plus the conversations built from the questions alone: the
/// same question asked again after the bot failed twice (frustrated), a reworded question
/// after one miss and a first question (calm).
pub fn frustration(seed: u64) -> Result<Vec<Sample>, CorpusError> {
    let mut samples = Vec::new();
    for (lang, text) in FRUSTRATION {
        let source = parse(lang, text)?;
        if source.questions.len() < 2 {
            return Err(CorpusError { lang: lang.into(), line: 0, message: "fewer than two @question pairs".into() });
        }
        let mut rng = Rng::new(seed ^ 0xf0 ^ u64::from(lang.as_bytes()[0]) << 8 ^ u64::from(lang.as_bytes()[1]));
        let questions = &source.questions;
        let context = |rng: &mut Rng, frustrated: bool| -> Vec<Turn> {
            let (q1, q2) = &questions[rng.below(questions.len())];
            let (r1, _) = &questions[rng.below(questions.len())];
            match context_kind(rng, frustrated) {
                0 => Vec::new(),
                1 => vec![turn(Role::Visitor, q1, false), turn(Role::Bot, ANSWER, false)],
                2 => vec![turn(Role::Visitor, q1, false), turn(Role::Bot, MISSED, true)],
                3 => vec![
                    turn(Role::Visitor, q1, false),
                    turn(Role::Bot, MISSED, true),
                    turn(Role::Visitor, q2, false),
                    turn(Role::Bot, MISSED, true),
                ],
                _ => vec![
                    turn(Role::Visitor, r1, false),
                    turn(Role::Bot, ANSWER, false),
                    turn(Role::Visitor, q1, false),
                    turn(Role::Bot, ANSWER, false),
                ],
            }
        };
        for template in &source.templates {
            let tenth = tenth_of(seed, lang, &template.text);
            let shout = template.label;
            for text in expand(&template.text, &source.slots, &mut rng) {
                let varied = vary(&text, &mut rng, shout);
                for text in [text, varied] {
                    let earlier = context(&mut rng, template.label);
                    samples.push(Sample {
                        lang,
                        kind: template.kind.clone(),
                        label: template.label,
                        text,
                        earlier,
                        tenth,
                    });
                }
            }
        }
        // Every ordinary question of the requests corpus is a calm message too.
        let (_, requests) = REQUEST.iter().find(|(l, _)| *l == lang).expect("every language has both files");
        let ordinary = parse(lang, requests)?;
        for template in ordinary.templates.iter().filter(|t| !t.label) {
            let tenth = tenth_of(seed, lang, &template.text);
            for text in expand(&template.text, &ordinary.slots, &mut rng) {
                let earlier = context(&mut rng, false);
                samples.push(Sample { lang, kind: template.kind.clone(), label: false, text, earlier, tenth });
            }
        }
        let from = samples.len() - samples.iter().rev().take_while(|s| s.lang == lang).count();
        let added = in_context(&samples[from..], &mut rng);
        samples.extend(added);
        let again = source.slots.get("again").cloned().unwrap_or_default();
        for (i, (q1, q2)) in questions.iter().enumerate() {
            let tenth = tenth_of(seed, lang, q1);
            let (r1, _) = &questions[(i + 1) % questions.len()];
            let missed_twice = vec![
                turn(Role::Visitor, q1, false),
                turn(Role::Bot, MISSED, true),
                turn(Role::Visitor, q2, false),
                turn(Role::Bot, MISSED, true),
            ];
            let same_twice = vec![
                turn(Role::Visitor, q1, false),
                turn(Role::Bot, MISSED, true),
                turn(Role::Visitor, q1, false),
                turn(Role::Bot, MISSED, true),
            ];
            let prefix = if again.is_empty() { String::new() } else { again[rng.below(again.len())].clone() };
            let mut push = |kind: &str, label: bool, text: String, earlier: Vec<Turn>| {
                samples.push(Sample { lang, kind: kind.into(), label, text: tidy(&text), earlier, tenth });
            };
            push("repeat", true, q1.clone(), missed_twice.clone());
            push("repeat", true, format!("{}??", q1.trim_end_matches(['?', '.'])), missed_twice.clone());
            push("repeat", true, format!("{prefix} {}", q1.to_lowercase()), same_twice.clone());
            push("repeat", true, q2.clone(), same_twice);
            // The same question again, word for word or with "again:", after a single miss
            // or an answer that did not help: the visitor is repeating themselves. (A
            // reworded question after one miss stays calm: `rephrase` below.)
            let missed_once = vec![turn(Role::Visitor, q1, false), turn(Role::Bot, MISSED, true)];
            let answered_once = vec![turn(Role::Visitor, q1, false), turn(Role::Bot, ANSWER, false)];
            push("repeat", true, q1.clone(), missed_once.clone());
            push("repeat", true, format!("{prefix} {}", q1.to_lowercase()), missed_once);
            push("repeat", true, format!("{}??", q1.trim_end_matches(['?', '.'])), answered_once);
            push("rephrase", false, q2.clone(), vec![turn(Role::Visitor, q1, false), turn(Role::Bot, MISSED, true)]);
            push("question", false, q1.clone(), Vec::new());
            push(
                "question",
                false,
                q1.to_lowercase(),
                vec![turn(Role::Visitor, r1, false), turn(Role::Bot, ANSWER, false)],
            );
            push("question", false, q2.clone(), vec![turn(Role::Visitor, r1, false), turn(Role::Bot, MISSED, true)]);
        }
    }
    Ok(samples)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_corpus_parses_expands_and_splits_the_same_way_every_time() {
        let (a, b) = (requests(SEED).unwrap(), requests(SEED).unwrap());
        assert_eq!(a.len(), b.len());
        assert!(a.iter().zip(&b).all(|(x, y)| x.text == y.text && x.tenth == y.tenth));
        for lang in LANGUAGES {
            let of = |label: bool, part: Part| {
                a.iter().filter(|s| s.lang == lang && s.label == label && s.part() == part).count()
            };
            assert!(of(true, Part::Test) > 20 && of(false, Part::Test) > 20, "{lang}: too little test data");
            assert!(of(true, Part::Train) > 200 && of(false, Part::Train) > 200, "{lang}: too little training data");
        }
        let f = frustration(SEED).unwrap();
        for lang in LANGUAGES {
            assert!(f.iter().filter(|s| s.lang == lang && s.label).count() > 100, "{lang}");
            assert!(f.iter().filter(|s| s.lang == lang && !s.label).count() > 100, "{lang}");
        }
    }

    #[test]
    fn templates_render_slots_and_alternatives() {
        let slots = HashMap::from([("p".to_string(), vec!["a person".to_string(), "[an agent|a human]".to_string()])]);
        let mut rng = Rng::new(1);
        let all: BTreeSet<String> =
            (0..50).map(|_| render("I [want|need] {p} , [|please]", &slots, &mut rng, 0)).collect();
        assert!(all.contains("I want a person,") || all.contains("I want a person, please"), "{all:?}");
        assert!(all.iter().any(|t| t.contains("an agent")) && all.iter().any(|t| t.contains("a human")));
        assert!(all.iter().all(|t| !t.contains("  ") && !t.contains(" ,")));
    }
}
