//! Does a message ask for a person? In English, German, French, Spanish, Italian, Portuguese
//! and Dutch, with typos.
//!
//! Not a phrase list: the message is read as words with roles (a contact verb such as "talk" or
//! "sprechen", a wish such as "want" or "quiero", a person such as "agent" or "Mitarbeiter",
//! small words that may stand between them) and a request is a contact verb or a wish that
//! governs a person: "talk to a real person", "mit einem Mitarbeiter sprechen" (German and
//! Dutch also put the verb last), "someone I can talk to". A person who is only mentioned ("is
//! the agent who packed my order…", "can a person return an item for someone else?") governs
//! nothing and does not count; neither does a negated wish ("I don't want to talk to anyone").
//! Words of five letters or more also match with one typo ("speek to a humen"), longer ones
//! with two.

use std::{collections::HashMap, sync::LazyLock};

use super::text;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Talk, speak, connect… (takes a person).
    Contact,
    /// Talk/speak in German or Dutch, where the verb may come last.
    ContactLast,
    /// Want, need… (takes a clear person: "I want a human", not "I want someone to…").
    Wish,
    /// Someone, person… (counts after a contact verb).
    Person,
    /// Human, agent, operator… (counts after a wish, or alone).
    Human,
    /// Real, actual, echte… ("real person" is a clear person).
    Real,
    /// Words that may stand between a verb and its person.
    Filler,
    /// Not, don't, kein, pas…
    Negation,
    /// Bot, robot, machine (in "not a bot").
    Machine,
    /// Please, hi, now… (ignored in a short message).
    Polite,
}

use Role::*;

const LEXICON: &[(Role, &str)] = &[
    (
        Contact,
        "talk speak chat connect transfer through contact reach escalate talking speaking \
               parler parle discuter joindre contacter transferer transferez passer passez passe relation \
               hablar hablo comunicarme contactar pasame pasarme paseme transferir transfiereme conectar conectarme atender atienda atiende \
               contacto parlare parlo contattare passami passarmi trasferire trasferiscimi collegarmi contatto \
               falar falo contatar transfere transferir conectar conversar passa",
    ),
    (
        ContactLast,
        "sprechen reden verbinden verbindung weiterleiten kontaktieren chatten erreichen kontakt sprechen \
                   spreken praten doorverbinden verbinden verbind bereiken chatten spreek praat",
    ),
    (
        Wish,
        "want need wanna get give like rather demand require \
            will mochte brauche brauchen hatte wurde moechte \
            veux voudrais besoin aimerais exige \
            quiero necesito quisiera exijo falta \
            voglio vorrei serve esigo \
            quero queria preciso gostaria exijo \
            wil wens graag nodig eis",
    ),
    (
        Person,
        "people someone somebody anyone anybody team support service staff colleague \
              personne quelqu equipe \
              persona alguien equipo soporte \
              qualcuno squadra assistenza addetto \
              pessoa alguem equipe suporte \
              jemand jemandem jemanden person personen team \
              persoon iemand team",
    ),
    (
        Human,
        "human humans person agent agents representative representatives rep operator manager supervisor employee \
             mensch menschen mitarbeiter mitarbeiterin mitarbeitern berater beraterin kundendienst kundenservice \
             humain humaine humains conseiller conseillere operateur operatrice \
             humano humana agente asesor asesora operador operadora representante \
             umano umana operatore operatrice consulente \
             atendente consultor \
             mens medewerker medewerkster klantenservice",
    ),
    (
        Real,
        "real actual live proper echten echte echter richtigen richtige vrai vraie veritable reale vero vera \
            verdadero verdadera verdadeiro verdadeira echt levende",
    ),
    (
        Filler,
        "to with a an the some one of your you me us now right just directly customer member please \
              mit einem einer einen ein eine dem der den die zu mal jetzt sofort ihrem ihrer ihren eurem bitte mich \
              menschlichen direkt gleich doch vielleicht kurz lieber sie \
              a au aux avec un une le la les l votre vos moi de du des en maintenant directement \
              con una el los las al su sus por favor ahora algun alguna \
              uno il lo gli per ora subito adesso qualche vostro vostra \
              com um uma o os as ao do da seu sua agora algum alguma para \
              met een het uw jullie nu even aan naar direct meteen mij door",
    ),
    (
        Negation,
        "not don dont doesn never no without nobody nicht kein keine keinen keinem nie niemand niemanden niemandem \
         pas jamais non nao ninguem niet geen nunca nadie mai nessuno ohne sans sin senza sem zonder inutile \
         aucun aucune ningun ninguna nessun nessuna nenhum nenhuma",
    ),
    (Machine, "bot bots robot robo chatbot machine maschine ki ai ia"),
    (
        Polite,
        "please pls plz hi hello hey thanks bitte hallo danke svp bonjour merci hola gracias ciao grazie ola \
              obrigado obrigada hoi alsjeblieft alstublieft dank now asap sofort vite ya subito ja nu",
    ),
];

/// Words that must match exactly: a typo of them is too often another real word ("reach" and
/// "teach", "staff" and "stuff", "manager" and "managed").
const EXACT_ONLY: &[&str] = &[
    "reach", "staff", "manager", "rather", "passe", "passer", "passez", "parle", "people", "through", "contact",
    "chatten",
];

/// Real words one typo away from a lexicon word, which are never typos of it: "argent"
/// (French money) is not "agent", "chatted" is past.
const NOT_TYPOS: &[&str] =
    &["argent", "though", "passed", "contract", "chatted", "stuff", "teach", "employer", "reason", "spoke", "talked"];

/// Relative-clause glue: "someone (that) I can talk to", "alguien con quien hablar".
const RELATIVE: &[&str] = &[
    "i", "we", "can", "could", "may", "might", "to", "who", "that", "con", "quien", "qui", "cui", "com", "quem", "met",
    "wie", "ich", "kann", "a", "je", "puisse", "pueda", "possa", "possa", "kan",
];

/// Words that may stand between a negation and the wish it negates: "não é preciso", "no
/// hace falta", "it's not needed", "non è necessario".
const NEGATION_GAP: &[&str] = &["t", "e", "es", "is", "ist", "est", "hace", "fa", "s", "c"];

/// "no human needed", "kein Mensch nötig", "geen mens nodig": a person said not to be needed.
const NEEDED: &[&str] =
    &["needed", "necessary", "required", "notig", "nodig", "necesario", "necessario", "necessaire", "preciso"];

/// A contact verb reaches its person across at most this many small words.
const MAX_GAP: usize = 4;

struct Lexicon {
    roles: HashMap<&'static str, Vec<Role>>,
    /// The four-letter words, sorted: what a four-letter typo is compared with.
    four: Vec<&'static str>,
    /// Words that typos are matched against: (word, allowed edit distance, its letters).
    fuzzy: Vec<(&'static str, usize, Letters)>,
    /// The longest word a typo may be of, plus its allowed distance: longer words are never
    /// compared (the cap that keeps a 4,000-letter token from costing anything).
    longest_typo: usize,
}

static LEX: LazyLock<Lexicon> = LazyLock::new(|| {
    let mut roles: HashMap<&'static str, Vec<Role>> = HashMap::new();
    for (role, list) in LEXICON {
        for word in list.split_whitespace() {
            let entry = roles.entry(word).or_default();
            if !entry.contains(role) {
                entry.push(*role);
            }
        }
    }
    // In the words' order, not the map's (which differs from process to process): a typo as
    // near to two lexicon words reads as the first of them, the same in every run.
    let mut words: Vec<&'static str> = roles.keys().copied().collect();
    words.sort_unstable();
    let four = words.iter().copied().filter(|w| w.len() == 4).collect();
    let fuzzy: Vec<(&'static str, usize, Letters)> = words
        .iter()
        .map(|word| (word, &roles[word]))
        .filter(|(word, r)| {
            word.len() >= 5
                && !EXACT_ONLY.contains(word)
                && r.iter().any(|r| matches!(r, Contact | ContactLast | Person | Human))
        })
        .map(|(word, _)| (*word, if word.len() >= 9 { 2 } else { 1 }, Letters::of(word)))
        .collect();
    let longest_typo = fuzzy.iter().map(|(word, max, _)| word.len() + max).max().unwrap_or(0);
    Lexicon { roles, four, fuzzy, longest_typo }
});

/// The roles of a word, or of the lexicon word it is a typo of.
fn roles(word: &str) -> &'static [Role] {
    if let Some(roles) = LEX.roles.get(word) {
        return roles;
    }
    if word.len() < 4 || word.len() > LEX.longest_typo || NOT_TYPOS.contains(&word) {
        return &[];
    }
    #[cfg(test)]
    super::meter::add(super::meter::Work::TypoLookups, 1);
    if word.len() == 4 {
        // Four letters: only two swapped letters ("tlak"); any other edit is too often
        // another word ("that" and "chat").
        return LEX
            .four
            .iter()
            .find(|known| swapped(known, word) && strsim::osa_distance(known, word) == 1)
            .map_or(&[], |known| LEX.roles[known].as_slice());
    }
    // The letter counts rule out nearly every lexicon word before the edit distance is
    // computed: an edit changes them by two at most, so more than twice the allowed
    // distance apart means further than allowed.
    let letters = Letters::of(word);
    LEX.fuzzy
        .iter()
        .filter(|(known, max, known_letters)| {
            known.len().abs_diff(word.len()) <= *max
                && (letters.present ^ known_letters.present).count_ones() as usize <= 2 * max
                && letters.difference(known_letters) <= 2 * max
        })
        .filter_map(|(known, max, _)| {
            let distance = strsim::osa_distance(known, word);
            (distance <= *max).then_some((known, distance))
        })
        .min_by_key(|(_, distance)| *distance)
        .and_then(|(known, _)| LEX.roles.get(known))
        .map_or(&[], Vec::as_slice)
}

/// How often each letter and digit occurs in a (folded) word, and which occur; other
/// characters are not counted, which only makes the differences smaller, so they stay lower
/// bounds. Both differences (of the sets, of the counts) are at most twice the edit distance:
/// a substitution changes them by two at most, an insertion or deletion by one, a swap not at
/// all.
#[derive(Clone, Copy)]
struct Letters {
    counts: [u8; 36],
    /// Bit `i` set when `counts[i] > 0`: the cheap first test.
    present: u64,
}

impl Letters {
    fn of(word: &str) -> Self {
        let mut counts = [0u8; 36];
        let mut present = 0u64;
        for b in word.bytes() {
            let slot = match b {
                b'a'..=b'z' => b - b'a',
                b'0'..=b'9' => 26 + b - b'0',
                _ => continue,
            };
            counts[usize::from(slot)] = counts[usize::from(slot)].saturating_add(1);
            present |= 1 << slot;
        }
        Self { counts, present }
    }

    /// The size of the two multisets' symmetric difference.
    fn difference(&self, other: &Self) -> usize {
        self.counts.iter().zip(other.counts).map(|(a, b)| usize::from(a.abs_diff(b))).sum()
    }
}

/// Whether `a` and `b` differ only by two neighbouring letters swapped.
fn swapped(a: &str, b: &str) -> bool {
    let mut x: Vec<char> = a.chars().collect();
    let mut y: Vec<char> = b.chars().collect();
    x.sort_unstable();
    y.sort_unstable();
    x == y
}

/// A word of the message with its roles, looked up once: the checks below ask about each
/// word many times (as a verb, as the neighbour of a verb, of a negation…).
struct Word<'a> {
    text: &'a str,
    roles: &'static [Role],
}

impl Word<'_> {
    fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// Does `text` ask for a person?
pub fn asks_for_person(text: &str) -> bool {
    asks_in(&text::clauses(text))
}

/// [`asks_for_person`] over a message already split by [`text::clauses`]. Each distinct word
/// is looked up (and typo-matched) once.
pub fn asks_in(clauses: &[Vec<String>]) -> bool {
    let clauses = looked_up(clauses, &mut HashMap::new());
    short_call(&clauses) || clauses.iter().any(|clause| clause_asks(clause))
}

/// The clauses' words with their roles, each distinct word looked up once.
fn looked_up<'a>(clauses: &'a [Vec<String>], known: &mut HashMap<&'a str, &'static [Role]>) -> Vec<Vec<Word<'a>>> {
    clauses
        .iter()
        .map(|clause| {
            clause
                .iter()
                .map(|w| Word { text: w, roles: known.entry(w.as_str()).or_insert_with(|| roles(w)) })
                .collect()
        })
        .collect()
}

/// What the rules make of a message already split by [`text::clauses`]: (it asks for a person,
/// it refuses one; see [`refuses_in`]), each distinct word looked up once for both.
pub fn read(clauses: &[Vec<String>]) -> (bool, bool) {
    let known = looked_up(clauses, &mut HashMap::new());
    let asks = short_call(&known) || known.iter().any(|clause| clause_asks(clause));
    (asks, refuses(&known))
}

/// Does `clauses` refuse a person ("I don't want to talk to a person", "no need for a human",
/// "nicht mit einem Mitarbeiter sprechen", "ich brauche keinen Mitarbeiter") and ask for none
/// elsewhere? The precise rule the learned detector defers to: a refusal is never a request.
pub fn refuses_in(clauses: &[Vec<String>]) -> bool {
    refuses(&looked_up(clauses, &mut HashMap::new()))
}

fn refuses(known: &[Vec<Word<'_>>]) -> bool {
    // A clause that both asks and refuses ("Ik wil geen medewerker spreken": the rules read
    // "medewerker spreken") is a refusal.
    if short_call(known) || known.iter().any(|clause| clause_asks(clause) && !clause_refuses(clause)) {
        return false;
    }
    known.iter().any(|clause| clause_refuses(clause))
}

fn clause_refuses(clause: &[Word<'_>]) -> bool {
    let person = |w: &Word<'_>| w.has(Person) || w.has(Human);
    let wish_or_contact = |w: &Word<'_>| w.has(Wish) || w.has(Contact) || w.has(ContactLast);
    clause.iter().enumerate().filter(|(_, w)| w.has(Negation)).any(|(i, _)| {
        // "don't want to talk to a person", "no need for a human", "pas parler à quelqu'un"
        let verb_then_person = (i + 1..=i + 2).filter(|&j| j < clause.len()).any(|j| {
            (j == i + 1 || NEGATION_GAP.contains(&clause[i + 1].text) || clause[i + 1].has(Filler))
                && wish_or_contact(&clause[j])
                && clause.iter().skip(j + 1).take(5).any(person)
        });
        // "nicht mit einem Mitarbeiter sprechen", "geen medewerker spreken"
        let person_then_verb = (i + 1..clause.len().min(i + 5))
            .any(|k| person(&clause[k]) && clause.iter().skip(k + 1).take(2).any(|w| w.has(ContactLast)));
        // "ich brauche keinen Mitarbeiter", "I want no agent"
        let wish_before = i > 0 && clause[i - 1].has(Wish) && clause.iter().skip(i + 1).take(3).any(person);
        // "no human needed", "kein Mensch nötig", "geen mens nodig"
        let person_not_needed = (i + 1..clause.len().min(i + 5))
            .any(|k| person(&clause[k]) && clause.iter().skip(k + 1).take(2).any(|w| NEEDED.contains(&w.text)));
        verb_then_person || person_then_verb || wish_before || person_not_needed
    })
}

/// "Agent!", "human please", "Mitarbeiter bitte", "una persona real": a message that is only a
/// clear person (and polite words).
fn short_call(clauses: &[Vec<Word<'_>>]) -> bool {
    let content: Vec<&Word<'_>> =
        clauses.iter().flatten().filter(|w| !w.has(Polite) && (!w.has(Filler) || w.has(Human))).take(3).collect();
    if content.is_empty() || content.len() > 2 {
        return false;
    }
    let clear = content.iter().any(|w| w.has(Human) && !w.has(Negation));
    let real_person = content.len() == 2
        && content.iter().any(|w| w.has(Real))
        && content.iter().any(|w| w.has(Person) || w.has(Human));
    clear || real_person
}

fn clause_asks(clause: &[Word<'_>]) -> bool {
    // Found once per clause, not once per negation: "not a bot" after "are" is a question.
    let copula = clause
        .iter()
        .position(|w| matches!(w.text, "are" | "is" | "bist" | "es" | "e" | "ben" | "est"))
        .unwrap_or(clause.len());
    clause.iter().enumerate().any(|(i, word)| {
        let request = (word.has(Contact) || word.has(ContactLast)) && person_after(clause, i, false)
            || word.has(ContactLast) && person_before(clause, i)
            || (word.has(Contact) || word.has(ContactLast)) && relative_person(clause, i)
            || word.has(Wish) && person_after(clause, i, true);
        (request && !negated(clause, i)) || refuses_machine(clause, i, copula)
    })
}

/// A person after the verb at `at`, across small words. `clear`: only a human or real person.
fn person_after(clause: &[Word<'_>], at: usize, clear: bool) -> bool {
    let mut real = false;
    for word in clause.iter().skip(at + 1).take(MAX_GAP + 1) {
        if word.has(Human) {
            return true;
        }
        if word.has(Person) && (!clear || real) {
            return true;
        }
        real |= word.has(Real);
        if !(word.has(Filler) || word.has(Real) || word.has(Polite)) {
            return false;
        }
    }
    false
}

/// A person before a verb that comes last: "mit einem Mitarbeiter sprechen".
fn person_before(clause: &[Word<'_>], at: usize) -> bool {
    for word in clause[..at].iter().rev().take(MAX_GAP + 1) {
        if word.has(Human) || word.has(Person) {
            return true;
        }
        if !(word.has(Filler) || word.has(Real) || word.has(Polite)) {
            return false;
        }
    }
    false
}

/// "someone I can talk to", "alguien con quien hablar".
fn relative_person(clause: &[Word<'_>], at: usize) -> bool {
    for (glue, word) in clause[..at].iter().rev().take(MAX_GAP + 1).enumerate() {
        if (word.has(Human) || word.has(Person)) && glue > 0 {
            return true;
        }
        if !RELATIVE.contains(&word.text) {
            return false;
        }
    }
    false
}

/// A negation that governs the request: "don't want to talk", "no need to speak", "nicht mit
/// einem Mitarbeiter sprechen"; not one that belongs to another verb ("I don't understand").
fn negated(clause: &[Word<'_>], at: usize) -> bool {
    let from = at.saturating_sub(6);
    (from..at).any(|k| {
        clause[k].has(Negation) && {
            let mut next = k + 1;
            if clause.get(next).is_some_and(|w| w.text == "t") {
                next += 1;
            }
            clause.get(next).is_some_and(|w| {
                next == at
                    || w.has(Wish)
                    || w.has(Filler)
                    || matches!(w.text, "have" | "to" | "do" | "will")
                    || NEGATION_GAP.contains(&w.text)
            })
        }
    })
}

/// "not a bot", "kein Bot", "pas un robot": refusing the machine is asking for a person,
/// unless a copula (at `copula`, the clause's first) comes before: "are you not a bot?".
fn refuses_machine(clause: &[Word<'_>], at: usize, copula: usize) -> bool {
    clause[at].has(Negation) && clause.iter().skip(at + 1).take(4).any(|w| w.has(Machine)) && copula >= at
}

#[cfg(test)]
mod tests;
