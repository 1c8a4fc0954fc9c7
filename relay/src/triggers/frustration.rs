//! How frustrated the visitor sounds, from 0 to 1: what the newest message says (complaints,
//! insults, SHOUTING, "!!!") and how the conversation went (the same question again, turns the
//! bot could not answer, earlier complaints). No single mild signal reaches the default
//! threshold (0.6); two together do.

use crate::bot::Turn;
use crate::event::Role;

use std::{collections::HashSet, sync::LazyLock};

use super::text::{self, Phrases};

/// Complaints, in the seven languages, folded as [`text::words`] folds them.
static COMPLAINTS: LazyLock<Phrases> = LazyLock::new(|| {
    Phrases::new(&[
        // English
        "useless",
        "not helpful",
        "no help",
        "doesn t help",
        "didn t help",
        "waste of time",
        "ridiculous",
        "terrible",
        "worst",
        "fed up",
        "annoying",
        "annoyed",
        "frustrating",
        "frustrated",
        "unacceptable",
        "pathetic",
        "joke",
        "not what i asked",
        "already told you",
        "already asked",
        "i said",
        "again",
        "still no answer",
        "still not",
        "you don t understand",
        "not listening",
        "hopeless",
        "sick of",
        "angry",
        "furious",
        "disappointed",
        "awful",
        "nonsense",
        "how many times",
        "third time",
        "seriously",
        "or not",
        "answer the question",
        "answer me",
        "oder nicht",
        "ou pas",
        "o no",
        "of niet",
        // German
        "nutzlos",
        "sinnlos",
        "bringt nichts",
        "hilft nicht",
        "hilft nichts",
        "lacherlich",
        "unverschamt",
        "frechheit",
        "katastrophe",
        "zeitverschwendung",
        "nervig",
        "genervt",
        "schon gesagt",
        "schon wieder",
        "verstehst du nicht",
        "unmoglich",
        "schlecht",
        "wutend",
        "enttauscht",
        "zum dritten mal",
        // French
        "inutile",
        "ridicule",
        "n importe quoi",
        "marre",
        "nul",
        "nulle",
        "inadmissible",
        "inacceptable",
        "perte de temps",
        "deja dit",
        "encore",
        "tu ne comprends pas",
        "agace",
        "enerve",
        "furieux",
        "decu",
        "scandaleux",
        "toujours pas",
        "troisieme fois",
        // Spanish
        "inutil",
        "ridiculo",
        "harto",
        "harta",
        "no sirve",
        "no ayuda",
        "perdida de tiempo",
        "ya te dije",
        "otra vez",
        "no entiendes",
        "inaceptable",
        "pesimo",
        "terrible",
        "enfadado",
        "enojado",
        "decepcionado",
        "vergonzoso",
        "todavia no",
        "tercera vez",
        // Italian
        "inutile",
        "ridicolo",
        "assurdo",
        "stufo",
        "stufa",
        "non serve",
        "non aiuta",
        "perdita di tempo",
        "ho gia detto",
        "di nuovo",
        "non capisci",
        "inaccettabile",
        "pessimo",
        "arrabbiato",
        "deluso",
        "vergognoso",
        "ancora niente",
        "terza volta",
        // Portuguese
        "inutil",
        "ridiculo",
        "absurdo",
        "farto",
        "farta",
        "nao serve",
        "nao ajuda",
        "perda de tempo",
        "ja disse",
        "de novo",
        "nao entende",
        "inaceitavel",
        "pessimo",
        "irritado",
        "chateado",
        "decepcionado",
        "vergonha",
        "terceira vez",
        // Dutch
        "nutteloos",
        "belachelijk",
        "waardeloos",
        "helpt niet",
        "heb ik al gezegd",
        "alweer",
        "weer",
        "tijdverspilling",
        "snap je het niet",
        "onacceptabel",
        "schandalig",
        "boos",
        "teleurgesteld",
        "ergerlijk",
        "genoeg van",
        "derde keer",
    ])
});

/// Insults and swearing.
/// Not "con" (French insult, Spanish and Italian "with"), "mist" or "droga": ordinary words in
/// another of the seven languages.
static INSULTS: LazyLock<Phrases> = LazyLock::new(|| {
    Phrases::new(&[
        "stupid",
        "idiot",
        "idiots",
        "dumb",
        "moron",
        "crap",
        "shit",
        "damn",
        "wtf",
        "fuck",
        "fucking",
        "sucks",
        "trash",
        "garbage",
        "scheisse",
        "scheiss",
        "blod",
        "blode",
        "dumm",
        "dummer",
        "idiotisch",
        "merde",
        "putain",
        "debile",
        "stupide",
        "mierda",
        "estupido",
        "idiota",
        "basura",
        "joder",
        "cazzo",
        "merda",
        "stupido",
        "schifo",
        "porra",
        "lixo",
        "burro",
        "kut",
        "stom",
        "stomme",
        "klote",
        "waardeloze",
    ])
});

/// Weights: one mild signal stays under the default threshold of 0.6.
const COMPLAINT: f32 = 0.4;
const EXTRA_COMPLAINT: f32 = 0.2;
/// An insult alone is enough: calm visitors do not swear at the shop.
const INSULT: f32 = 0.6;
const SHOUTING: f32 = 0.35;
const EXCLAMATIONS: f32 = 0.15;
const REPEATED: f32 = 0.35;
const UNANSWERED: f32 = 0.2;
const EARLIER: f32 = 0.15;
const EARLIER_REPEAT: f32 = 0.2;
/// How many recent turns count for unanswered questions.
const RECENT_TURNS: usize = 6;
/// How many earlier turns (of both sides) are read at all: every one of them is folded and
/// compared with every other, so this bounds the work per message. Fifteen exchanges back is
/// further than "you already asked that" reaches.
pub const MAX_EARLIER_TURNS: usize = 30;
/// How many words of a message take part in the repeat comparison: the same question again
/// shows in its first words, and a cap keeps each comparison small whatever was pasted.
pub const MAX_COMPARED_WORDS: usize = 100;
/// How much of each earlier message is read (bytes of folded text, and of the text as written
/// for shouting and "!!"): its first words, which are all the repeat comparison uses, and where
/// a complaint shows. Without it, every message would read the whole conversation again.
pub const MAX_EARLIER_BYTES: usize = 1024;
/// Edit distance is only computed between texts this short (bytes of the compared words,
/// joined): it costs the product of the two lengths. Chat questions are far shorter; longer
/// texts are compared by their sets of character trigrams, in linear time.
pub const MAX_EDIT_DISTANCE_BYTES: usize = 300;

/// The score of `text`, given the turns before it (oldest first).
pub fn score(text: &str, earlier: &[Turn]) -> f32 {
    score_words(text, &text::words(text), earlier)
}

/// [`score`] with the message's words already split by [`text::words`].
pub fn score_words(text: &str, asked: &[String], earlier: &[Turn]) -> f32 {
    let earlier = &earlier[earlier.len().saturating_sub(MAX_EARLIER_TURNS)..];
    let mut score = message_score(text, asked);
    // Each earlier visitor message is folded and shaped once.
    let visitor: Vec<(&str, Vec<String>)> = earlier
        .iter()
        .filter(|t| t.role == Role::Visitor)
        .map(|t| (super::clip(&t.text, MAX_EARLIER_BYTES), text::words_within(&t.text, MAX_EARLIER_BYTES)))
        .collect();
    let shapes: Vec<Shape<'_>> = visitor.iter().map(|(_, words)| Shape::new(words)).collect();
    let asked = Shape::new(asked);
    if shapes.iter().any(|earlier| similar(&asked, earlier)) {
        score += REPEATED;
    }
    let recent = &earlier[earlier.len().saturating_sub(RECENT_TURNS)..];
    let unanswered = recent.iter().filter(|t| t.role == Role::Bot && t.unanswered).count();
    score += (unanswered as f32 * UNANSWERED).min(2.0 * UNANSWERED);
    // Questions already asked again earlier in the conversation keep counting.
    let earlier_repeats = (1..shapes.len()).filter(|&i| shapes[..i].iter().any(|v| similar(&shapes[i], v))).count();
    score += (earlier_repeats as f32 * EARLIER_REPEAT).min(2.0 * EARLIER_REPEAT);
    let earlier_upset = visitor.iter().filter(|(text, words)| message_score(text, words) >= COMPLAINT).count();
    score += (earlier_upset as f32 * EARLIER).min(2.0 * EARLIER);
    score.clamp(0.0, 1.0)
}

/// What the message alone says, from its text and its words.
pub(crate) fn message_score(text: &str, words: &[String]) -> f32 {
    let complaints = COMPLAINTS.count_inflected(words);
    let mut score = match complaints {
        0 => 0.0,
        n => COMPLAINT + (n - 1) as f32 * EXTRA_COMPLAINT,
    };
    if INSULTS.find(words).is_some() {
        score += INSULT;
    }
    let (mut letters, mut upper) = (0, 0);
    for c in text.chars().filter(|c| c.is_alphabetic()) {
        letters += 1;
        upper += usize::from(c.is_uppercase());
    }
    if letters >= 8 && upper * 10 >= letters * 7 {
        score += SHOUTING;
    }
    if text.contains("!!") || text.contains("?!") || text.contains("!?") || text.contains("??") {
        score += EXCLAMATIONS;
    }
    score
}

/// What the conversation before `asked` says, for the learned detector: how far `asked`
/// repeats an earlier visitor message (0 not at all, 1 the same question reworded, 2 nearly
/// word for word) and how many earlier visitor messages sounded upset by themselves. Each
/// earlier message is folded once, at most [`MAX_EARLIER_BYTES`].
pub(crate) fn history(asked: &[String], earlier: &[Turn]) -> (u8, usize) {
    let asked = Shape::new(asked);
    let (mut repeat, mut upset) = (0, 0);
    for turn in earlier.iter().filter(|t| t.role == Role::Visitor) {
        let words = text::words_within(&turn.text, MAX_EARLIER_BYTES);
        if message_score(super::clip(&turn.text, MAX_EARLIER_BYTES), &words) >= COMPLAINT {
            upset += 1;
        }
        repeat = repeat.max(similarity(&asked, &Shape::new(&words)));
    }
    (repeat, upset)
}

/// A message as the repeat comparison sees it: its first [`MAX_COMPARED_WORDS`] words as a
/// set, and joined, for the edit distance or the trigrams.
struct Shape<'a> {
    words: usize,
    set: HashSet<&'a str>,
    joined: String,
}

impl<'a> Shape<'a> {
    fn new(words: &'a [String]) -> Self {
        let words = &words[..words.len().min(MAX_COMPARED_WORDS)];
        Self { words: words.len(), set: words.iter().map(String::as_str).collect(), joined: words.join(" ") }
    }
}

/// The same question again: the shorter one's words nearly all in the other ("cancel my
/// order!!" after "how can I cancel my order?"), or nearly the same text. Linear in the
/// (capped) lengths: edit distance only between short texts.
fn similar(a: &Shape<'_>, b: &Shape<'_>) -> bool {
    similarity(a, b) > 0
}

/// 0: different; 1: the same question ([`similar`]); 2: nearly word for word (the same words,
/// or 90 % alike letter by letter).
fn similarity(a: &Shape<'_>, b: &Shape<'_>) -> u8 {
    if a.words < 3 || b.words < 3 {
        return 0;
    }
    #[cfg(test)]
    super::meter::add(super::meter::Work::Comparisons, 1);
    let same_words = a.set == b.set;
    let shared = a.set.intersection(&b.set).count() as f32;
    let contained = shared / a.set.len().min(b.set.len()) as f32;
    let alike = if a.joined.len() <= MAX_EDIT_DISTANCE_BYTES && b.joined.len() <= MAX_EDIT_DISTANCE_BYTES {
        #[cfg(test)]
        super::meter::add(super::meter::Work::EditCells, a.joined.len() * b.joined.len());
        strsim::normalized_levenshtein(&a.joined, &b.joined) as f32
    } else {
        trigram_dice(&a.joined, &b.joined)
    };
    if same_words || alike >= 0.9 {
        2
    } else if contained >= 0.75 || alike >= 0.8 {
        1
    } else {
        0
    }
}

/// The Dice coefficient of the two texts' sets of byte trigrams (0..1).
fn trigram_dice(a: &str, b: &str) -> f32 {
    let trigrams = |s: &str| s.as_bytes().windows(3).map(|w| [w[0], w[1], w[2]]).collect::<HashSet<[u8; 3]>>();
    let (a, b) = (trigrams(a), trigrams(b));
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    2.0 * a.intersection(&b).count() as f32 / (a.len() + b.len()) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(role: Role, text: &str, unanswered: bool) -> Turn {
        Turn { role, text: text.into(), unanswered }
    }

    #[test]
    fn one_mild_signal_is_not_frustration() {
        assert!(score("This is useless", &[]) < 0.6);
        assert!(score("WHERE IS MY ORDER", &[]) < 0.6);
        assert!(score("How long does shipping take?", &[]) < 0.1);
    }

    #[test]
    fn signals_add_up_in_every_language() {
        for text in [
            "This is useless, you stupid bot",
            "WHY IS THIS SO USELESS!!!",
            "Das ist doch lächerlich, ich habe es schon gesagt!!",
            "C'est n'importe quoi, ce bot est nul",
            "Esto es inútil, qué mierda",
            "È assurdo, non serve a niente!!",
            "Isso é ridículo, que porcaria de lixo",
            "Dit is belachelijk en nutteloos",
        ] {
            assert!(score(text, &[]) >= 0.6, "{text}: {}", score(text, &[]));
        }
    }

    #[test]
    fn the_conversation_counts() {
        let earlier = [
            turn(Role::Visitor, "Can I pay with bitcoin?", false),
            turn(Role::Bot, "Sorry, I can't answer that.", true),
            turn(Role::Visitor, "Is bitcoin accepted as payment?", false),
            turn(Role::Bot, "Sorry, I can't answer that.", true),
        ];
        assert!(score("Can I pay with bitcoin or not?", &earlier) >= 0.6);
        assert!(score("Is bitcoin accepted as payment?", &earlier[..2]) < 0.6, "one miss and a rephrase is calm");
    }
}
