//! The transcript's own words (heading, "You", the rating line, a help article's source, the
//! mail's subject, the file's name) and its date format, in the seven languages the widget
//! speaks. The language is the first of the visitor's (the conversation's stored tags, best
//! first, as the widget last said them) among those; English for any other.
//!
//! What people wrote, and the system messages (rendered from the site's handover texts in the
//! visitor's language when they were sent), are kept as they are.

/// One language's words. Placeholders in braces are filled by [`fill`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Words {
    /// The language's tag, for `<html lang>`.
    pub lang: &'static str,
    /// `{name}` (whom the chat was with), `{date}`, `{time}`, `{zone}` (the time zone's name).
    pub heading: &'static str,
    /// A `chrono` format of a day: the heading's and the day lines'.
    pub date: &'static str,
    /// The visitor, as the author of their messages.
    pub you: &'static str,
    /// An agent without a name.
    pub agent: &'static str,
    /// `{score}`: the visitor's rating out of 5.
    pub rated: &'static str,
    /// In the text, under an answer taken from a help article: `{title}`, `{url}`.
    pub from_article: &'static str,
    /// In the page, before the article's link.
    pub source: &'static str,
    /// The mail's subject: `{name}`.
    pub subject: &'static str,
    /// The file's name before its date (ASCII: it goes into a header).
    pub file: &'static str,
    /// Told in the chat once the mail server took the mail: `{email}`.
    pub mailed: &'static str,
    /// Told in the chat when every try failed: `{email}`.
    pub not_mailed: &'static str,
}

pub const ENGLISH: Words = Words {
    lang: "en",
    heading: "Chat with {name}, {date} {time} {zone}",
    date: "%Y-%m-%d",
    you: "You",
    agent: "Agent",
    rated: "You rated the chat {score} out of 5.",
    from_article: "(from \"{title}\": {url})",
    source: "From",
    subject: "Your chat with {name}: the transcript",
    file: "chat-transcript",
    mailed: "The transcript of this chat was emailed to {email}.",
    not_mailed: "The transcript could not be emailed to {email}: the mail server did not answer or refused it. \
     Please download it instead, or try again later.",
};

const GERMAN: Words = Words {
    lang: "de",
    heading: "Chat mit {name} am {date} um {time} {zone}",
    date: "%d.%m.%Y",
    you: "Sie",
    agent: "Mitarbeiter",
    rated: "Sie haben den Chat mit {score} von 5 bewertet.",
    from_article: "(aus „{title}“: {url})",
    source: "Quelle:",
    subject: "Ihr Chat mit {name}: das Protokoll",
    file: "chat-protokoll",
    mailed: "Das Protokoll dieses Chats wurde an {email} gesendet.",
    not_mailed: "Das Protokoll konnte nicht an {email} gesendet werden: Der Mailserver hat nicht geantwortet oder \
     es abgelehnt. Bitte laden Sie es stattdessen herunter oder versuchen Sie es später noch einmal.",
};

const FRENCH: Words = Words {
    lang: "fr",
    heading: "Conversation avec {name}, le {date} à {time} {zone}",
    date: "%d/%m/%Y",
    you: "Vous",
    agent: "Conseiller",
    rated: "Vous avez noté la conversation {score} sur 5.",
    from_article: "(d’après « {title} » : {url})",
    source: "Source :",
    subject: "Votre conversation avec {name} : la transcription",
    file: "transcription-conversation",
    mailed: "La transcription de cette conversation a été envoyée à {email}.",
    not_mailed: "La transcription n’a pas pu être envoyée à {email} : le serveur de messagerie n’a pas répondu ou \
     l’a refusée. Téléchargez-la plutôt, ou réessayez plus tard.",
};

const SPANISH: Words = Words {
    lang: "es",
    heading: "Chat con {name}, {date} a las {time} {zone}",
    date: "%d/%m/%Y",
    you: "Tú",
    agent: "Agente",
    rated: "Valoraste el chat con {score} de 5.",
    from_article: "(de «{title}»: {url})",
    source: "Fuente:",
    subject: "Tu chat con {name}: la transcripción",
    file: "transcripcion-chat",
    mailed: "La transcripción de este chat se ha enviado a {email}.",
    not_mailed: "No se pudo enviar la transcripción a {email}: el servidor de correo no respondió o la rechazó. \
     Descárgala en su lugar o inténtalo más tarde.",
};

const ITALIAN: Words = Words {
    lang: "it",
    heading: "Chat con {name}, {date} alle {time} {zone}",
    date: "%d/%m/%Y",
    you: "Tu",
    agent: "Operatore",
    rated: "Hai valutato la chat {score} su 5.",
    from_article: "(da «{title}»: {url})",
    source: "Fonte:",
    subject: "La tua chat con {name}: la trascrizione",
    file: "trascrizione-chat",
    mailed: "La trascrizione di questa chat è stata inviata a {email}.",
    not_mailed: "Non è stato possibile inviare la trascrizione a {email}: il server di posta non ha risposto o l’ha \
     rifiutata. Scaricala invece, oppure riprova più tardi.",
};

const PORTUGUESE: Words = Words {
    lang: "pt",
    heading: "Conversa com {name}, {date} às {time} {zone}",
    date: "%d/%m/%Y",
    you: "Você",
    agent: "Atendente",
    rated: "Avaliou a conversa com {score} em 5.",
    from_article: "(de «{title}»: {url})",
    source: "Fonte:",
    subject: "A sua conversa com {name}: a transcrição",
    file: "transcricao-conversa",
    mailed: "A transcrição desta conversa foi enviada para {email}.",
    not_mailed: "Não foi possível enviar a transcrição para {email}: o servidor de email não respondeu ou recusou-a. \
     Descarregue-a em vez disso, ou tente mais tarde.",
};

const DUTCH: Words = Words {
    lang: "nl",
    heading: "Chat met {name} op {date} om {time} {zone}",
    date: "%d-%m-%Y",
    you: "Jij",
    agent: "Medewerker",
    rated: "Je gaf het gesprek {score} van de 5.",
    from_article: "(uit ‘{title}’: {url})",
    source: "Bron:",
    subject: "Je chat met {name}: het transcript",
    file: "chat-transcript",
    mailed: "Het transcript van dit gesprek is gemaild naar {email}.",
    not_mailed: "Het transcript kon niet worden gemaild naar {email}: de mailserver antwoordde niet of weigerde het. \
     Download het in plaats daarvan, of probeer het later opnieuw.",
};

/// The words of the first of `languages` (tags such as `de-AT`, best first) the transcript
/// speaks, else English.
pub fn for_languages(languages: &[String]) -> Words {
    languages
        .iter()
        .find_map(|tag| {
            let language = tag.split(['-', '_']).next().unwrap_or(tag).to_ascii_lowercase();
            [ENGLISH, GERMAN, FRENCH, SPANISH, ITALIAN, PORTUGUESE, DUTCH].into_iter().find(|w| w.lang == language)
        })
        .unwrap_or(ENGLISH)
}

/// `text` with each `{key}` replaced by its value, in one pass (a value holding a placeholder
/// stays as it is).
pub fn fill(text: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after
            .find('}')
            .and_then(|close| values.iter().find(|(key, _)| *key == &after[..close]).map(|(_, v)| (close, *v)));
        match value {
            Some((close, value)) => {
                out.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_language_the_transcript_speaks_wins_else_english() {
        let tags = |tags: &[&str]| tags.iter().map(|t| t.to_string()).collect::<Vec<_>>();
        assert_eq!(for_languages(&tags(&["de-AT", "en"])).lang, "de");
        assert_eq!(for_languages(&tags(&["ja", "PT-br"])).lang, "pt");
        assert_eq!(for_languages(&tags(&["ar"])).lang, "en");
        assert_eq!(for_languages(&[]).lang, "en");
    }

    #[test]
    fn every_language_fills_every_placeholder() {
        for words in [ENGLISH, GERMAN, FRENCH, SPANISH, ITALIAN, PORTUGUESE, DUTCH] {
            let heading = fill(words.heading, &[("name", "Bot"), ("date", "D"), ("time", "T"), ("zone", "Z/Z")]);
            let rated = fill(words.rated, &[("score", "4")]);
            let from = fill(words.from_article, &[("title", "Shipping"), ("url", "https://x.example")]);
            let subject = fill(words.subject, &[("name", "Bot")]);
            for filled in [&heading, &rated, &from, &subject] {
                assert!(!filled.contains(['{', '}']), "{}: {filled}", words.lang);
            }
            assert!(heading.contains("Bot") && heading.contains('D') && heading.contains('T'), "{heading}");
            assert!(heading.ends_with("T Z/Z"), "the zone named after the time: {heading}");
            assert!(rated.contains('4') && from.contains("Shipping") && from.contains("https://x.example"));
            assert!(words.file.is_ascii() && !words.file.contains(['"', ' ', '/']), "{}", words.file);
        }
    }

    #[test]
    fn a_value_holding_a_placeholder_is_not_filled_again() {
        assert_eq!(
            fill("Chat with {name}, {date}", &[("name", "{date}"), ("date", "today")]),
            "Chat with {date}, today"
        );
        assert_eq!(fill("{unknown} {name", &[("name", "x")]), "{unknown} {name");
    }
}
