//! Per language: requests (with typos) fire, mentions of people do not. The broader labelled
//! set is in `tests/data/` and runs with `baton-eval`.

use super::{asks_for_person, refuses_in};
use crate::triggers::text;

fn check(lang: &str, requests: &[&str], not_requests: &[&str]) {
    for text in requests {
        assert!(asks_for_person(text), "{lang}: should be a request: {text}");
    }
    for text in not_requests {
        assert!(!asks_for_person(text), "{lang}: not a request: {text}");
    }
}

#[test]
fn english() {
    check(
        "en",
        &[
            "Can I talk to a person?",
            "HUMAN PLEASE",
            "I want to speak to someone.",
            "operator",
            "get me a real human",
            "is there someone I can talk to?",
            "pls let me speek to a humen",
            "No, I want an agent",
            "I don't want a bot, I want a person",
            "transfer me to a representitive",
        ],
        &[
            "Is the agent who packed my order responsible for the damage?",
            "Can a person return an item for someone else?",
            "How long does shipping take?",
            "Does the delivery person need a signature?",
            "I don't want to talk to anyone, just tell me the return address",
            "Are you a real person?",
            "Je voudrais l'argent",
            "I chatted with an agent yesterday",
        ],
    );
}

#[test]
fn german() {
    check(
        "de",
        &[
            "Ich möchte mit einem Mitarbeiter sprechen",
            "Kann ich mit einem Menschen reden?",
            "Mitarbeiter bitte!",
            "kein Bot, echter Mensch",
        ],
        &["Muss die Person, die das Paket annimmt, unterschreiben?", "Kann jemand anders mein Paket abholen?"],
    );
}

#[test]
fn french() {
    check(
        "fr",
        &["Je voudrais parler à un conseiller", "Est-ce que je peux parler à quelqu'un ?", "un humain svp"],
        &[
            "La personne qui livre le colis doit-elle signer ?",
            "Je ne veux pas parler à quelqu'un, juste savoir le prix",
        ],
    );
}

#[test]
fn spanish_italian_portuguese_dutch() {
    check(
        "es",
        &["Quiero hablar con una persona", "pásame con un agente"],
        &["¿Puede otra persona recoger mi pedido?"],
    );
    check(
        "it",
        &["Vorrei parlare con un operatore", "posso parlare con qualcuno?"],
        &["La persona che riceve il pacco deve firmare?"],
    );
    check(
        "pt",
        &["Quero falar com um atendente", "posso falar com uma pessoa?"],
        &["Outra pessoa pode receber a encomenda?"],
    );
    check(
        "nl",
        &["Ik wil een medewerker spreken", "Kan ik met iemand praten?"],
        &["Moet de persoon die het pakket ontvangt tekenen?"],
    );
}

#[test]
fn refusals_are_told_from_requests() {
    for text in [
        "I don't want to talk to a person, just tell me the price",
        "no need for a human, thanks",
        "Ich möchte nicht mit einem Mitarbeiter sprechen",
        "ich brauche keinen Mitarbeiter",
        "Je ne veux pas parler à quelqu'un",
        "no necesito un agente",
        "não preciso de um atendente",
        "Ik wil geen medewerker spreken",
        "não é preciso um humano, obrigado",
        "no hace falta un humano, gracias",
        "no human needed, just the price",
        "kein Mensch nötig, danke",
        "geen mens nodig, bedankt",
    ] {
        assert!(refuses_in(&text::clauses(text)), "a refusal: {text}");
    }
    for text in [
        "I don't want a bot, I want a person",
        "No, I want an agent",
        "why is there no way to talk to a human?",
        "How long does shipping take?",
        "I don't understand, can I talk to someone?",
        "hace falta un humano, esto no se resuelve solo",
    ] {
        assert!(!refuses_in(&text::clauses(text)), "not a refusal: {text}");
    }
}

#[test]
fn typos_are_tried_against_the_lexicon_in_one_fixed_order() {
    // A typo as near to two lexicon words reads as the first one tried: in the words' sorted
    // order, never a hash map's (which differs between processes, and made retraining write
    // different models from one run to the next).
    let lexicon = &*super::LEX;
    assert!(lexicon.fuzzy.windows(2).all(|w| w[0].0 < w[1].0), "the typo list is sorted");
    assert!(lexicon.four.windows(2).all(|w| w[0] < w[1]), "the four-letter words are sorted");
    assert!(lexicon.four.iter().all(|w| w.len() == 4) && !lexicon.four.is_empty());
}
