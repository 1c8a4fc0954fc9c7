//! The widget's own texts in English, German, French, Spanish, Italian, Portuguese and Dutch,
//! and the choice of language. A plain table of `&'static str` (no i18n crate: the whole table
//! is a few KB of wasm data). Texts with a value carry `{n}`, `{name}` or `{wait}`, filled by
//! [`fill`].
//!
//! The visitor's languages, best first: what the page set with `Baton.setLanguage` (or
//! `data-language`), the site's `language` (from the relay's `welcome`), the page's
//! `<html lang>`, then the browser's `navigator.languages`. The widget speaks the first of them
//! it has texts for (English when none); the whole list goes to the relay, which picks the
//! site's handover texts by it.

use shared::{look::language_tag, MAX_LANGUAGES};

/// A language the widget has texts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    De,
    Fr,
    Es,
    It,
    Pt,
    Nl,
}

impl Lang {
    /// The language of a tag, by its primary subtag (`pt-BR` is Portuguese).
    pub fn of(tag: &str) -> Option<Lang> {
        let tag = language_tag(tag)?;
        Some(match shared::look::primary_language(&tag) {
            "en" => Lang::En,
            "de" => Lang::De,
            "fr" => Lang::Fr,
            "es" => Lang::Es,
            "it" => Lang::It,
            "pt" => Lang::Pt,
            "nl" => Lang::Nl,
            _ => return None,
        })
    }

    /// The first language of `preferences` the widget speaks, else English.
    pub fn pick(preferences: &[String]) -> Lang {
        preferences.iter().find_map(|tag| Lang::of(tag)).unwrap_or(Lang::En)
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
            Lang::Fr => "fr",
            Lang::Es => "es",
            Lang::It => "it",
            Lang::Pt => "pt",
            Lang::Nl => "nl",
        }
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::En => &EN,
            Lang::De => &DE,
            Lang::Fr => &FR,
            Lang::Es => &ES,
            Lang::It => &IT,
            Lang::Pt => &PT,
            Lang::Nl => &NL,
        }
    }
}

/// The visitor's languages, best first, as checked lower-case tags without repeats (at most
/// [`MAX_LANGUAGES`]): `chosen` (`Baton.setLanguage`), the site's, the page's, the browser's.
pub fn preferences(chosen: Option<&str>, site: Option<&str>, page: Option<&str>, browser: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let given = [chosen, site, page].into_iter().flatten().chain(browser.iter().map(String::as_str));
    for tag in given.filter_map(language_tag) {
        if out.len() == MAX_LANGUAGES {
            break;
        }
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    out
}

/// `text` with `{key}` replaced by `value`.
pub fn fill(text: &str, key: &str, value: &str) -> String {
    text.replace(&format!("{{{key}}}"), value)
}

/// Every text of the widget's own, in one language.
pub struct Texts {
    pub placeholder: &'static str,
    pub message_label: &'static str,
    pub send: &'static str,
    pub too_long: &'static str,
    pub unavailable: &'static str,
    pub open_chat: &'static str,
    /// `{n}`: the unread count.
    pub open_chat_unread: &'static str,
    pub close_chat: &'static str,
    pub connecting: &'static str,
    pub online: &'static str,
    pub offline: &'static str,
    pub messages: &'static str,
    pub empty: &'static str,
    pub suggested: &'static str,
    pub sending: &'static str,
    pub retry: &'static str,
    /// Before a help article's title.
    pub source: &'static str,
    /// An agent without a name, as the author of a message.
    pub agent: &'static str,
    /// An agent without a name, typing.
    pub an_agent: &'static str,
    /// `{name}`.
    pub typing: &'static str,
    pub waiting: &'static str,
    pub under_a_minute: &'static str,
    /// `{n}`: minutes.
    pub about_minutes: &'static str,
    /// `{wait}`.
    pub next_in_line: &'static str,
    /// `{n}`: the place, `{wait}`.
    pub place_in_line: &'static str,
    pub cancel: &'static str,
    pub rate_limited: &'static str,
    pub not_sent: &'static str,
    pub not_delivered: &'static str,
    pub reload: &'static str,
    pub site_unavailable: &'static str,
    pub chat_unavailable: &'static str,
    /// The email prompt's consent wording (a site may set its own).
    pub email_consent: &'static str,
    pub email_label: &'static str,
    pub email_save: &'static str,
    pub email_skip: &'static str,
    /// An email the widget or the relay refused.
    pub email_invalid: &'static str,
    /// An email that could not go out: the chat is offline.
    pub email_offline: &'static str,
    /// Before the email given, with a button to change it.
    pub email_yours: &'static str,
    pub email_change: &'static str,
    pub summary_title: &'static str,
    /// Above the summary on a site whose helpdesk is a contact form.
    pub summary_for_form: &'static str,
    pub copy: &'static str,
    pub copied: &'static str,
    /// The clipboard refused: the summary is selected instead.
    pub copy_by_hand: &'static str,
    pub open_form: &'static str,
    /// Closes the proactive message by the launcher.
    pub dismiss: &'static str,
    pub transcript_title: &'static str,
    pub transcript_download: &'static str,
    pub transcript_email: &'static str,
    /// `{email}`: where the transcript is being sent.
    pub transcript_sending: &'static str,
    pub transcript_failed: &'static str,
    /// The paperclip button (opens the file picker).
    pub attach: &'static str,
    /// The list of files about to be sent.
    pub files: &'static str,
    /// `{name}`: a file being uploaded.
    pub uploading: &'static str,
    /// `{name}`.
    pub file_ready: &'static str,
    /// `{name}`: the button taking a file off the message.
    pub remove_file: &'static str,
    /// Shown over the panel while files are dragged over it.
    pub drop_files: &'static str,
    /// `{name}`, `{max}`: the site's largest file.
    pub file_too_large: &'static str,
    /// `{name}`.
    pub file_type: &'static str,
    /// `{name}`.
    pub file_failed: &'static str,
    /// `{name}`.
    pub file_offline: &'static str,
    /// `{n}`: files per message.
    pub too_many_files: &'static str,
}

pub static EN: Texts = Texts {
    placeholder: "Write a message…",
    message_label: "Message",
    send: "Send message",
    too_long: "This message is too long.",
    unavailable: "The chat is unavailable.",
    open_chat: "Open chat",
    open_chat_unread: "Open chat, {n} unread",
    close_chat: "Close chat",
    connecting: "Connecting…",
    online: "Online",
    offline: "Offline — reconnecting",
    messages: "Messages",
    empty: "Ask us anything — we usually answer right away.",
    suggested: "Suggested replies",
    sending: "Sending…",
    retry: "Retry",
    source: "From: ",
    agent: "Agent",
    an_agent: "An agent",
    typing: "{name} is typing…",
    waiting: "Waiting for a person…",
    under_a_minute: "less than a minute",
    about_minutes: "about {n} min",
    next_in_line: "You're next · {wait}",
    place_in_line: "You're #{n} in line · {wait}",
    cancel: "Cancel",
    rate_limited: "Too many messages. Try again in a moment.",
    not_sent: "This message could not be sent.",
    not_delivered: "Not delivered.",
    reload: "Chat unavailable: please reload the page.",
    site_unavailable: "Chat unavailable for this site.",
    chat_unavailable: "Chat unavailable.",
    email_consent: "Leave your email and our team can answer you there too. We use it only for this request.",
    email_label: "Your email",
    email_save: "Save",
    email_skip: "No, thanks",
    email_invalid: "That doesn't look like an email address (like name@example.com).",
    email_offline: "Not saved: the chat is offline. Try again in a moment.",
    email_yours: "Your email:",
    email_change: "Change",
    summary_title: "Summary passed to our team",
    summary_for_form: "Copy this summary into the contact form:",
    copy: "Copy",
    copied: "Copied.",
    copy_by_hand: "Selected: press Ctrl+C to copy.",
    open_form: "Open the contact form",
    dismiss: "Dismiss",
    transcript_title: "Your transcript",
    transcript_download: "Download transcript",
    transcript_email: "Email me the transcript",
    transcript_sending: "Sending the transcript to {email}…",
    transcript_failed: "That did not work. Please try again later.",
    attach: "Attach files",
    files: "Files to send",
    uploading: "Uploading {name}…",
    file_ready: "{name} is ready to send.",
    remove_file: "Remove {name}",
    drop_files: "Drop files here to send them",
    file_too_large: "{name} is too large: files can be up to {max}.",
    file_type: "{name} can't be sent: this kind of file isn't accepted here.",
    file_failed: "{name} could not be uploaded. Please try again.",
    file_offline: "{name} was not uploaded: you're offline.",
    too_many_files: "Up to {n} files per message.",
};

pub static DE: Texts = Texts {
    placeholder: "Nachricht schreiben…",
    message_label: "Nachricht",
    send: "Nachricht senden",
    too_long: "Diese Nachricht ist zu lang.",
    unavailable: "Der Chat ist nicht verfügbar.",
    open_chat: "Chat öffnen",
    open_chat_unread: "Chat öffnen, {n} ungelesen",
    close_chat: "Chat schließen",
    connecting: "Verbinde…",
    online: "Online",
    offline: "Offline – neuer Verbindungsversuch",
    messages: "Nachrichten",
    empty: "Fragen Sie uns alles – wir antworten meist sofort.",
    suggested: "Antwortvorschläge",
    sending: "Wird gesendet…",
    retry: "Erneut senden",
    source: "Quelle: ",
    agent: "Mitarbeiter",
    an_agent: "Ein Mitarbeiter",
    typing: "{name} schreibt…",
    waiting: "Warte auf eine Person…",
    under_a_minute: "weniger als eine Minute",
    about_minutes: "etwa {n} Min.",
    next_in_line: "Sie sind als Nächstes dran · {wait}",
    place_in_line: "Sie sind Nr. {n} in der Warteschlange · {wait}",
    cancel: "Abbrechen",
    rate_limited: "Zu viele Nachrichten. Bitte gleich noch einmal versuchen.",
    not_sent: "Diese Nachricht konnte nicht gesendet werden.",
    not_delivered: "Nicht zugestellt.",
    reload: "Chat nicht verfügbar: Bitte laden Sie die Seite neu.",
    site_unavailable: "Chat für diese Website nicht verfügbar.",
    chat_unavailable: "Chat nicht verfügbar.",    email_consent: "Hinterlassen Sie Ihre E-Mail-Adresse, dann kann unser Team Ihnen auch dorthin antworten. Wir nutzen sie nur für diese Anfrage.",
    email_label: "Ihre E-Mail-Adresse",
    email_save: "Speichern",
    email_skip: "Nein, danke",
    email_invalid: "Das sieht nicht wie eine E-Mail-Adresse aus (z. B. name@example.com).",
    email_offline: "Nicht gespeichert: Der Chat ist offline. Bitte gleich noch einmal versuchen.",
    email_yours: "Ihre E-Mail:",
    email_change: "Ändern",
    summary_title: "Zusammenfassung für unser Team",
    summary_for_form: "Kopieren Sie diese Zusammenfassung in das Kontaktformular:",
    copy: "Kopieren",
    copied: "Kopiert.",
    copy_by_hand: "Markiert: Drücken Sie Strg+C zum Kopieren.",
    open_form: "Kontaktformular öffnen",
    dismiss: "Schließen",
    transcript_title: "Ihr Chatprotokoll",
    transcript_download: "Protokoll herunterladen",
    transcript_email: "Protokoll per E-Mail senden",
    transcript_sending: "Das Protokoll wird an {email} gesendet…",
    transcript_failed: "Das hat nicht geklappt. Bitte versuchen Sie es später noch einmal.",
    attach: "Dateien anhängen",
    files: "Zu sendende Dateien",
    uploading: "{name} wird hochgeladen…",
    file_ready: "{name} ist bereit zum Senden.",
    remove_file: "{name} entfernen",
    drop_files: "Dateien hier ablegen, um sie zu senden",
    file_too_large: "{name} ist zu groß: Dateien dürfen höchstens {max} groß sein.",
    file_type: "{name} kann nicht gesendet werden: Dieser Dateityp wird hier nicht angenommen.",
    file_failed: "{name} konnte nicht hochgeladen werden. Bitte versuchen Sie es noch einmal.",
    file_offline: "{name} wurde nicht hochgeladen: Sie sind offline.",
    too_many_files: "Höchstens {n} Dateien pro Nachricht.",
};

pub static FR: Texts = Texts {
    placeholder: "Écrivez un message…",
    message_label: "Message",
    send: "Envoyer le message",
    too_long: "Ce message est trop long.",
    unavailable: "Le chat n’est pas disponible.",
    open_chat: "Ouvrir le chat",
    open_chat_unread: "Ouvrir le chat, {n} non lus",
    close_chat: "Fermer le chat",
    connecting: "Connexion…",
    online: "En ligne",
    offline: "Hors ligne — reconnexion",
    messages: "Messages",
    empty: "Posez-nous vos questions — nous répondons généralement tout de suite.",
    suggested: "Réponses suggérées",
    sending: "Envoi…",
    retry: "Réessayer",
    source: "Source : ",
    agent: "Conseiller",
    an_agent: "Un conseiller",
    typing: "{name} écrit…",
    waiting: "En attente d’une personne…",
    under_a_minute: "moins d’une minute",
    about_minutes: "environ {n} min",
    next_in_line: "Vous êtes le prochain · {wait}",
    place_in_line: "Vous êtes n° {n} dans la file · {wait}",
    cancel: "Annuler",
    rate_limited: "Trop de messages. Réessayez dans un instant.",
    not_sent: "Ce message n’a pas pu être envoyé.",
    not_delivered: "Non distribué.",
    reload: "Chat indisponible : veuillez recharger la page.",
    site_unavailable: "Chat indisponible pour ce site.",
    chat_unavailable: "Chat indisponible.",    email_consent: "Laissez votre adresse e-mail et notre équipe pourra aussi vous y répondre. Nous l'utilisons uniquement pour cette demande.",
    email_label: "Votre adresse e-mail",
    email_save: "Enregistrer",
    email_skip: "Non merci",
    email_invalid: "Cela ne ressemble pas à une adresse e-mail (par ex. nom@example.com).",
    email_offline: "Non enregistré : le chat est hors ligne. Réessayez dans un instant.",
    email_yours: "Votre e-mail :",
    email_change: "Modifier",
    summary_title: "Résumé transmis à notre équipe",
    summary_for_form: "Copiez ce résumé dans le formulaire de contact :",
    copy: "Copier",
    copied: "Copié.",
    copy_by_hand: "Sélectionné : appuyez sur Ctrl+C pour copier.",
    open_form: "Ouvrir le formulaire de contact",
    dismiss: "Fermer",
    transcript_title: "Votre transcription",
    transcript_download: "Télécharger la transcription",
    transcript_email: "M’envoyer la transcription",
    transcript_sending: "Envoi de la transcription à {email}…",
    transcript_failed: "Cela n’a pas fonctionné. Veuillez réessayer plus tard.",
    attach: "Joindre des fichiers",
    files: "Fichiers à envoyer",
    uploading: "Envoi de {name}…",
    file_ready: "{name} est prêt à être envoyé.",
    remove_file: "Retirer {name}",
    drop_files: "Déposez des fichiers ici pour les envoyer",
    file_too_large: "{name} est trop volumineux : les fichiers peuvent faire jusqu’à {max}.",
    file_type: "{name} ne peut pas être envoyé : ce type de fichier n’est pas accepté ici.",
    file_failed: "{name} n’a pas pu être envoyé. Veuillez réessayer.",
    file_offline: "{name} n’a pas été envoyé : vous êtes hors ligne.",
    too_many_files: "{n} fichiers au maximum par message.",
};

pub static ES: Texts = Texts {
    placeholder: "Escribe un mensaje…",
    message_label: "Mensaje",
    send: "Enviar mensaje",
    too_long: "Este mensaje es demasiado largo.",
    unavailable: "El chat no está disponible.",
    open_chat: "Abrir chat",
    open_chat_unread: "Abrir chat, {n} sin leer",
    close_chat: "Cerrar chat",
    connecting: "Conectando…",
    online: "En línea",
    offline: "Sin conexión — reconectando",
    messages: "Mensajes",
    empty: "Pregúntanos lo que quieras — solemos responder al momento.",
    suggested: "Respuestas sugeridas",
    sending: "Enviando…",
    retry: "Reintentar",
    source: "Fuente: ",
    agent: "Agente",
    an_agent: "Un agente",
    typing: "{name} está escribiendo…",
    waiting: "Esperando a una persona…",
    under_a_minute: "menos de un minuto",
    about_minutes: "unos {n} min",
    next_in_line: "Eres el siguiente · {wait}",
    place_in_line: "Eres el n.º {n} en la cola · {wait}",
    cancel: "Cancelar",
    rate_limited: "Demasiados mensajes. Inténtalo de nuevo en un momento.",
    not_sent: "No se pudo enviar este mensaje.",
    not_delivered: "No entregado.",
    reload: "Chat no disponible: recarga la página.",
    site_unavailable: "Chat no disponible para este sitio.",
    chat_unavailable: "Chat no disponible.",    email_consent: "Déjanos tu correo electrónico y nuestro equipo también podrá responderte allí. Solo lo usamos para esta consulta.",
    email_label: "Tu correo electrónico",
    email_save: "Guardar",
    email_skip: "No, gracias",
    email_invalid: "Eso no parece una dirección de correo (por ejemplo, nombre@example.com).",
    email_offline: "No guardado: el chat está sin conexión. Inténtalo de nuevo en un momento.",
    email_yours: "Tu correo:",
    email_change: "Cambiar",
    summary_title: "Resumen enviado a nuestro equipo",
    summary_for_form: "Copia este resumen en el formulario de contacto:",
    copy: "Copiar",
    copied: "Copiado.",
    copy_by_hand: "Seleccionado: pulsa Ctrl+C para copiar.",
    open_form: "Abrir el formulario de contacto",
    dismiss: "Cerrar",
    transcript_title: "Tu transcripción",
    transcript_download: "Descargar la transcripción",
    transcript_email: "Enviarme la transcripción",
    transcript_sending: "Enviando la transcripción a {email}…",
    transcript_failed: "No ha funcionado. Inténtalo de nuevo más tarde.",
    attach: "Adjuntar archivos",
    files: "Archivos para enviar",
    uploading: "Subiendo {name}…",
    file_ready: "{name} está listo para enviar.",
    remove_file: "Quitar {name}",
    drop_files: "Suelta aquí los archivos para enviarlos",
    file_too_large: "{name} es demasiado grande: los archivos pueden ocupar hasta {max}.",
    file_type: "No se puede enviar {name}: aquí no se acepta este tipo de archivo.",
    file_failed: "No se pudo subir {name}. Inténtalo de nuevo.",
    file_offline: "{name} no se ha subido: no tienes conexión.",
    too_many_files: "Como máximo {n} archivos por mensaje.",
};

pub static IT: Texts = Texts {
    placeholder: "Scrivi un messaggio…",
    message_label: "Messaggio",
    send: "Invia messaggio",
    too_long: "Questo messaggio è troppo lungo.",
    unavailable: "La chat non è disponibile.",
    open_chat: "Apri la chat",
    open_chat_unread: "Apri la chat, {n} non letti",
    close_chat: "Chiudi la chat",
    connecting: "Connessione…",
    online: "Online",
    offline: "Offline — riconnessione",
    messages: "Messaggi",
    empty: "Chiedici qualsiasi cosa — di solito rispondiamo subito.",
    suggested: "Risposte suggerite",
    sending: "Invio…",
    retry: "Riprova",
    source: "Fonte: ",
    agent: "Operatore",
    an_agent: "Un operatore",
    typing: "{name} sta scrivendo…",
    waiting: "In attesa di una persona…",
    under_a_minute: "meno di un minuto",
    about_minutes: "circa {n} min",
    next_in_line: "Sei il prossimo · {wait}",
    place_in_line: "Sei il n. {n} in coda · {wait}",
    cancel: "Annulla",
    rate_limited: "Troppi messaggi. Riprova tra un momento.",
    not_sent: "Impossibile inviare questo messaggio.",
    not_delivered: "Non consegnato.",
    reload: "Chat non disponibile: ricarica la pagina.",
    site_unavailable: "Chat non disponibile per questo sito.",
    chat_unavailable: "Chat non disponibile.",
    email_consent:
        "Lasciaci la tua email e il nostro team potrà risponderti anche lì. La usiamo solo per questa richiesta.",
    email_label: "La tua email",
    email_save: "Salva",
    email_skip: "No, grazie",
    email_invalid: "Non sembra un indirizzo email (ad es. nome@example.com).",
    email_offline: "Non salvata: la chat è offline. Riprova tra un attimo.",
    email_yours: "La tua email:",
    email_change: "Modifica",
    summary_title: "Riepilogo inviato al nostro team",
    summary_for_form: "Copia questo riepilogo nel modulo di contatto:",
    copy: "Copia",
    copied: "Copiato.",
    copy_by_hand: "Selezionato: premi Ctrl+C per copiare.",
    open_form: "Apri il modulo di contatto",
    dismiss: "Chiudi",
    transcript_title: "La tua trascrizione",
    transcript_download: "Scarica la trascrizione",
    transcript_email: "Inviami la trascrizione",
    transcript_sending: "Invio della trascrizione a {email}…",
    transcript_failed: "Non ha funzionato. Riprova più tardi.",
    attach: "Allega file",
    files: "File da inviare",
    uploading: "Caricamento di {name}…",
    file_ready: "{name} è pronto per l’invio.",
    remove_file: "Rimuovi {name}",
    drop_files: "Trascina qui i file per inviarli",
    file_too_large: "{name} è troppo grande: i file possono essere al massimo di {max}.",
    file_type: "Impossibile inviare {name}: questo tipo di file non è accettato.",
    file_failed: "Impossibile caricare {name}. Riprova.",
    file_offline: "{name} non è stato caricato: sei offline.",
    too_many_files: "Al massimo {n} file per messaggio.",
};

pub static PT: Texts = Texts {
    placeholder: "Escreva uma mensagem…",
    message_label: "Mensagem",
    send: "Enviar mensagem",
    too_long: "Esta mensagem é muito longa.",
    unavailable: "O chat não está disponível.",
    open_chat: "Abrir o chat",
    open_chat_unread: "Abrir o chat, {n} não lidas",
    close_chat: "Fechar o chat",
    connecting: "Conectando…",
    online: "Online",
    offline: "Offline — reconectando",
    messages: "Mensagens",
    empty: "Pergunte-nos o que quiser — normalmente respondemos de imediato.",
    suggested: "Respostas sugeridas",
    sending: "Enviando…",
    retry: "Tentar novamente",
    source: "Fonte: ",
    agent: "Atendente",
    an_agent: "Um atendente",
    typing: "{name} está escrevendo…",
    waiting: "Aguardando uma pessoa…",
    under_a_minute: "menos de um minuto",
    about_minutes: "cerca de {n} min",
    next_in_line: "Você é o próximo · {wait}",
    place_in_line: "Você é o n.º {n} na fila · {wait}",
    cancel: "Cancelar",
    rate_limited: "Muitas mensagens. Tente novamente em instantes.",
    not_sent: "Não foi possível enviar esta mensagem.",
    not_delivered: "Não entregue.",
    reload: "Chat indisponível: recarregue a página.",
    site_unavailable: "Chat indisponível para este site.",
    chat_unavailable: "Chat indisponível.",
    email_consent:
        "Deixe o seu e-mail para que a nossa equipa também possa responder por lá. Só o usamos para este pedido.",
    email_label: "O seu e-mail",
    email_save: "Guardar",
    email_skip: "Não, obrigado",
    email_invalid: "Isto não parece um endereço de e-mail (por ex., nome@example.com).",
    email_offline: "Não guardado: o chat está offline. Tente de novo daqui a pouco.",
    email_yours: "O seu e-mail:",
    email_change: "Alterar",
    summary_title: "Resumo enviado à nossa equipa",
    summary_for_form: "Copie este resumo para o formulário de contacto:",
    copy: "Copiar",
    copied: "Copiado.",
    copy_by_hand: "Selecionado: prima Ctrl+C para copiar.",
    open_form: "Abrir o formulário de contacto",
    dismiss: "Fechar",
    transcript_title: "A sua transcrição",
    transcript_download: "Descarregar a transcrição",
    transcript_email: "Enviar-me a transcrição",
    transcript_sending: "A enviar a transcrição para {email}…",
    transcript_failed: "Não funcionou. Tente novamente mais tarde.",
    attach: "Anexar ficheiros",
    files: "Ficheiros a enviar",
    uploading: "A carregar {name}…",
    file_ready: "{name} está pronto para enviar.",
    remove_file: "Remover {name}",
    drop_files: "Largue aqui os ficheiros para os enviar",
    file_too_large: "{name} é demasiado grande: os ficheiros podem ter até {max}.",
    file_type: "Não é possível enviar {name}: este tipo de ficheiro não é aceite aqui.",
    file_failed: "Não foi possível carregar {name}. Tente novamente.",
    file_offline: "{name} não foi carregado: está offline.",
    too_many_files: "No máximo {n} ficheiros por mensagem.",
};

pub static NL: Texts = Texts {
    placeholder: "Schrijf een bericht…",
    message_label: "Bericht",
    send: "Bericht versturen",
    too_long: "Dit bericht is te lang.",
    unavailable: "De chat is niet beschikbaar.",
    open_chat: "Chat openen",
    open_chat_unread: "Chat openen, {n} ongelezen",
    close_chat: "Chat sluiten",
    connecting: "Verbinden…",
    online: "Online",
    offline: "Offline — opnieuw verbinden",
    messages: "Berichten",
    empty: "Vraag ons alles — we antwoorden meestal direct.",
    suggested: "Voorgestelde antwoorden",
    sending: "Verzenden…",
    retry: "Opnieuw proberen",
    source: "Bron: ",
    agent: "Medewerker",
    an_agent: "Een medewerker",
    typing: "{name} typt…",
    waiting: "Wachten op een persoon…",
    under_a_minute: "minder dan een minuut",
    about_minutes: "ongeveer {n} min",
    next_in_line: "U bent de volgende · {wait}",
    place_in_line: "U bent nr. {n} in de wachtrij · {wait}",
    cancel: "Annuleren",
    rate_limited: "Te veel berichten. Probeer het zo opnieuw.",
    not_sent: "Dit bericht kon niet worden verzonden.",
    not_delivered: "Niet afgeleverd.",
    reload: "Chat niet beschikbaar: laad de pagina opnieuw.",
    site_unavailable: "Chat niet beschikbaar voor deze site.",
    chat_unavailable: "Chat niet beschikbaar.",
    email_consent:
        "Laat je e-mailadres achter, dan kan ons team je ook daar antwoorden. We gebruiken het alleen voor deze vraag.",
    email_label: "Je e-mailadres",
    email_save: "Opslaan",
    email_skip: "Nee, bedankt",
    email_invalid: "Dat lijkt geen e-mailadres (zoals naam@example.com).",
    email_offline: "Niet opgeslagen: de chat is offline. Probeer het zo opnieuw.",
    email_yours: "Je e-mail:",
    email_change: "Wijzigen",
    summary_title: "Samenvatting voor ons team",
    summary_for_form: "Kopieer deze samenvatting naar het contactformulier:",
    copy: "Kopiëren",
    copied: "Gekopieerd.",
    copy_by_hand: "Geselecteerd: druk op Ctrl+C om te kopiëren.",
    open_form: "Contactformulier openen",
    dismiss: "Sluiten",
    transcript_title: "Uw transcript",
    transcript_download: "Transcript downloaden",
    transcript_email: "Transcript naar mij mailen",
    transcript_sending: "Het transcript wordt naar {email} gestuurd…",
    transcript_failed: "Dat is niet gelukt. Probeer het later opnieuw.",
    attach: "Bestanden bijvoegen",
    files: "Te verzenden bestanden",
    uploading: "{name} wordt geüpload…",
    file_ready: "{name} is klaar om te verzenden.",
    remove_file: "{name} verwijderen",
    drop_files: "Zet bestanden hier neer om ze te versturen",
    file_too_large: "{name} is te groot: bestanden mogen maximaal {max} zijn.",
    file_type: "{name} kan niet worden verzonden: dit bestandstype wordt hier niet geaccepteerd.",
    file_failed: "{name} kon niet worden geüpload. Probeer het opnieuw.",
    file_offline: "{name} is niet geüpload: u bent offline.",
    too_many_files: "Maximaal {n} bestanden per bericht.",
};

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Lang; 7] = [Lang::En, Lang::De, Lang::Fr, Lang::Es, Lang::It, Lang::Pt, Lang::Nl];

    fn strings(t: &Texts) -> Vec<&'static str> {
        vec![
            t.placeholder,
            t.message_label,
            t.send,
            t.too_long,
            t.unavailable,
            t.open_chat,
            t.open_chat_unread,
            t.close_chat,
            t.connecting,
            t.online,
            t.offline,
            t.messages,
            t.empty,
            t.suggested,
            t.sending,
            t.retry,
            t.source,
            t.agent,
            t.an_agent,
            t.typing,
            t.waiting,
            t.under_a_minute,
            t.about_minutes,
            t.next_in_line,
            t.place_in_line,
            t.cancel,
            t.rate_limited,
            t.not_sent,
            t.not_delivered,
            t.reload,
            t.site_unavailable,
            t.chat_unavailable,
            t.email_consent,
            t.email_label,
            t.email_save,
            t.email_skip,
            t.email_invalid,
            t.email_offline,
            t.email_yours,
            t.email_change,
            t.summary_title,
            t.summary_for_form,
            t.copy,
            t.copied,
            t.copy_by_hand,
            t.open_form,
            t.transcript_title,
            t.transcript_download,
            t.transcript_email,
            t.transcript_sending,
            t.transcript_failed,
            t.attach,
            t.files,
            t.uploading,
            t.file_ready,
            t.remove_file,
            t.drop_files,
            t.file_too_large,
            t.file_type,
            t.file_failed,
            t.file_offline,
            t.too_many_files,
        ]
    }

    #[test]
    fn the_page_then_the_browser_decide_and_the_page_script_and_site_override() {
        let browser = |tags: &[&str]| tags.iter().map(|t| t.to_string()).collect::<Vec<_>>();
        // Only the browser: its first language the widget speaks.
        let p = preferences(None, None, None, &browser(&["de-AT", "de", "en-US"]));
        assert_eq!(p, ["de-at", "de", "en-us"]);
        assert_eq!(Lang::pick(&p), Lang::De);
        // The page's <html lang> comes before the browser.
        let p = preferences(None, None, Some("fr"), &browser(&["de"]));
        assert_eq!(Lang::pick(&p), Lang::Fr);
        // The site's setting before the page; Baton.setLanguage before everything.
        assert_eq!(Lang::pick(&preferences(None, Some("it"), Some("fr"), &browser(&["de"]))), Lang::It);
        assert_eq!(Lang::pick(&preferences(Some("NL"), Some("it"), Some("fr"), &[])), Lang::Nl);
        // A language the widget lacks is kept for the relay (the site may have handover texts in
        // it) and the widget speaks the next one it has, else English.
        let p = preferences(None, None, Some("ar"), &browser(&["pt-BR", "en"]));
        assert_eq!(p, ["ar", "pt-br", "en"]);
        assert_eq!(Lang::pick(&p), Lang::Pt);
        assert_eq!(Lang::pick(&preferences(None, None, Some("he"), &[])), Lang::En);
        assert_eq!(Lang::pick(&[]), Lang::En);
        // Junk is dropped, repeats once, at most MAX_LANGUAGES.
        let p =
            preferences(Some("x<y"), None, Some("de"), &browser(&["DE", "", "es", "fr", "it", "nl", "pt", "en", "da"]));
        assert_eq!(p, ["de", "es", "fr", "it", "nl", "pt", "en", "da"]);
    }

    #[test]
    fn every_language_has_every_text_with_its_placeholders() {
        let english = strings(&EN);
        for lang in ALL {
            let texts = strings(lang.texts());
            assert_eq!(texts.len(), english.len());
            for (text, en) in texts.iter().zip(&english) {
                assert!(!text.trim().is_empty(), "{lang:?}: empty text for {en:?}");
                for key in ["{n}", "{name}", "{wait}", "{email}", "{max}"] {
                    assert_eq!(text.contains(key), en.contains(key), "{lang:?}: {text:?} vs {en:?}");
                }
            }
            assert_eq!(Lang::of(lang.code()), Some(lang));
        }
        // Translated, not copied: most texts differ from English.
        for lang in &ALL[1..] {
            let same = strings(lang.texts()).iter().zip(&english).filter(|(a, b)| a == b).count();
            assert!(same <= 3, "{lang:?} has {same} English texts");
        }
        assert_eq!(fill(DE.place_in_line, "n", "3"), "Sie sind Nr. 3 in der Warteschlange · {wait}");
    }
}
