//! The visitor's language, for the summary: `whatlang` over everything the visitor wrote,
//! limited to the languages the triggers speak so a short message is not read as Latin.

use whatlang::{Detector, Lang};

/// The languages the triggers understand.
const LANGUAGES: [Lang; 7] = [Lang::Eng, Lang::Deu, Lang::Fra, Lang::Spa, Lang::Ita, Lang::Por, Lang::Nld];

/// How much of the text (bytes) is read: `whatlang` is sure of a language long before this,
/// and the summary hands it everything the visitor wrote (up to thirty long messages).
pub const MAX_DETECTED_BYTES: usize = 2048;

/// The language of `text` in English ("German"), or `None` when there is too little to tell.
/// Reads the first [`MAX_DETECTED_BYTES`] of it.
pub fn detect(text: &str) -> Option<&'static str> {
    let text = super::clip(text, MAX_DETECTED_BYTES);
    text.split_whitespace().nth(1)?;
    let info = Detector::with_allowlist(LANGUAGES.to_vec()).detect(text)?;
    Some(match info.lang() {
        Lang::Deu => "German",
        Lang::Fra => "French",
        Lang::Spa => "Spanish",
        Lang::Ita => "Italian",
        Lang::Por => "Portuguese",
        Lang::Nld => "Dutch",
        _ => "English",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seven_languages_are_told_apart() {
        for (text, lang) in [
            ("Where is my order? It has not arrived yet", "English"),
            ("Wo ist meine Bestellung? Sie ist noch nicht angekommen", "German"),
            ("Où est ma commande ? Elle n'est pas encore arrivée", "French"),
            ("¿Dónde está mi pedido? Todavía no ha llegado", "Spanish"),
            ("Dov'è il mio ordine? Non è ancora arrivato", "Italian"),
            ("Onde está a minha encomenda? Ainda não chegou", "Portuguese"),
            ("Waar is mijn bestelling? Die is nog niet aangekomen", "Dutch"),
        ] {
            assert_eq!(detect(text), Some(lang), "{text}");
        }
        assert_eq!(detect("ok"), None);
    }
}
