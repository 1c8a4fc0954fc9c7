//! How frustrated the visitor sounds, from 0 to 1: what the newest message says (complaints,
//! insults, SHOUTING, "!!!") and how the conversation went (the same question again, turns the
//! bot could not answer, earlier complaints). No single mild signal reaches the default
//! threshold (0.6); two together do.

use crate::bot::Turn;
use shared::Role;

use super::text::{self, Phrases};
use std::sync::LazyLock;

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

/// The score of `text`, given the turns before it (oldest first).
pub fn score(text: &str, earlier: &[Turn]) -> f32 {
    let mut score = message_score(text);
    let asked = text::words(text);
    let repeated = earlier.iter().filter(|t| t.role == Role::Visitor).any(|t| similar(&asked, &text::words(&t.text)));
    if repeated {
        score += REPEATED;
    }
    let recent = &earlier[earlier.len().saturating_sub(RECENT_TURNS)..];
    let unanswered = recent.iter().filter(|t| t.role == Role::Bot && t.unanswered).count();
    score += (unanswered as f32 * UNANSWERED).min(2.0 * UNANSWERED);
    // Questions already asked again earlier in the conversation keep counting.
    let visitor: Vec<Vec<String>> =
        earlier.iter().filter(|t| t.role == Role::Visitor).map(|t| text::words(&t.text)).collect();
    let earlier_repeats = (1..visitor.len()).filter(|&i| visitor[..i].iter().any(|v| similar(&visitor[i], v))).count();
    score += (earlier_repeats as f32 * EARLIER_REPEAT).min(2.0 * EARLIER_REPEAT);
    let earlier_upset =
        earlier.iter().filter(|t| t.role == Role::Visitor && message_score(&t.text) >= COMPLAINT).count();
    score += (earlier_upset as f32 * EARLIER).min(2.0 * EARLIER);
    score.clamp(0.0, 1.0)
}

/// What the message alone says.
fn message_score(text: &str) -> f32 {
    let words = text::words(text);
    let complaints = COMPLAINTS.count_inflected(&words);
    let mut score = match complaints {
        0 => 0.0,
        n => COMPLAINT + (n - 1) as f32 * EXTRA_COMPLAINT,
    };
    if INSULTS.find(&words).is_some() {
        score += INSULT;
    }
    let letters: Vec<char> = text.chars().filter(|c| c.is_alphabetic()).collect();
    let upper = letters.iter().filter(|c| c.is_uppercase()).count();
    if letters.len() >= 8 && upper * 10 >= letters.len() * 7 {
        score += SHOUTING;
    }
    if text.contains("!!") || text.contains("?!") || text.contains("!?") || text.contains("??") {
        score += EXCLAMATIONS;
    }
    score
}

/// The same question again: the shorter one's words nearly all in the other ("cancel my
/// order!!" after "how can I cancel my order?"), or nearly the same text.
fn similar(a: &[String], b: &[String]) -> bool {
    if a.len() < 3 || b.len() < 3 {
        return false;
    }
    let a_set: std::collections::HashSet<&String> = a.iter().collect();
    let b_set: std::collections::HashSet<&String> = b.iter().collect();
    let shared = a_set.intersection(&b_set).count() as f32;
    let contained = shared / a_set.len().min(b_set.len()) as f32;
    contained >= 0.75 || strsim::normalized_levenshtein(&a.join(" "), &b.join(" ")) >= 0.8
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
