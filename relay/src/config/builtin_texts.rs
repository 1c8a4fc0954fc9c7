//! The default handover texts in the six other languages the widget speaks. A visitor whose
//! language is one of them reads these wherever the site kept Baton's English default and set
//! nothing for that language (`[sites.<key>.handover.texts.<language>]` still wins, and so does
//! a default the site rewrote: Baton cannot translate the site's own words). The templates
//! take the same variables as the English ones (`HandoverConfig`'s documentation).

/// One language's default texts.
pub struct BuiltinTexts {
    pub language: &'static str,
    pub request_button_text: &'static str,
    pub quick_reply_text: &'static str,
    /// What a visitor types to cancel a pending handover in this language (the message as a
    /// whole, compared without case and punctuation, as the site's `cancel_phrases`).
    pub cancel_phrases: &'static [&'static str],
    /// By setting name, as [`super::HandoverConfig::templates`] names them.
    pub templates: [(&'static str, &'static str); 12],
}

/// The built-in texts for `language` (a primary language tag, lower case).
pub fn builtin(language: &str) -> Option<&'static BuiltinTexts> {
    BUILTIN.iter().find(|b| b.language == language)
}

pub static BUILTIN: [BuiltinTexts; 6] = [
    BuiltinTexts {
        language: "de",
        request_button_text: "Mit einer Person sprechen",
        quick_reply_text: "Anfrage abbrechen",
        cancel_phrases: &["abbrechen", "anfrage abbrechen", "doch nicht", "vergiss es", "schon gut", "nicht mehr warten", "zurück zum bot"],
        templates: [
            (
                "text_message",
                "Ich hole eine Person aus unserem Team. {% if queue_position > 1 %}Sie sind Nummer \
                 {{ queue_position }} in der Warteschlange, die Wartezeit beträgt voraussichtlich {{ wait_estimate \
                 }}.{% else %}Die Wartezeit beträgt voraussichtlich {{ wait_estimate }}.{% endif %} Sie können gern \
                 weiterschreiben: Unser Team sieht alles.",
            ),
            (
                "ticket_message",
                "Ich habe Ihre Anfrage als Ticket an unser Team weitergegeben. {% if visitor_email %}Die Antwort \
                 kommt per E-Mail an {{ visitor_email }} und erscheint auch hier.{% else %}Die Antwort erscheint \
                 hier, schauen Sie also später wieder in diesen Chat.{% endif %} Sie können gern weiterschreiben: \
                 Unser Team sieht alles.",
            ),
            (
                "unavailable_message",
                "Entschuldigung{% if visitor_name %} {{ visitor_name }}{% endif %}, gerade ist niemand aus unserem \
                 Team erreichbar. Hinterlassen Sie hier Ihre E-Mail-Adresse, dann melden wir uns bei Ihnen.",
            ),
            (
                "unsupported_channel_message",
                "Ein Gespräch mit einer Person ist über diesen Kanal nicht möglich. Bitte nutzen Sie den Chat auf \
                 unserer Website oder schreiben Sie an support@northwind.example.",
            ),
            ("cancelled_message", "Kein Problem, die Anfrage ist abgebrochen. Ich bin da, wenn Sie weitere Fragen haben."),
            ("agent_joined_message", "{{ agent_name }} ist dem Chat beigetreten."),
            ("agent_ended_message", "{{ agent_name }} hat den Chat beendet."),
            ("follow_up_saved_message", "Danke! Wir schreiben an {{ visitor_email }}, sobald jemand verfügbar ist."),
            ("rating_prompt", "Wie war Ihr Chat mit {{ agent_name }}?"),
            ("rated_message", "Danke für Ihr Feedback! Ich bin wieder da: Fragen Sie mich gern alles."),
            ("bot_back_message", "Ich bin wieder da: Fragen Sie mich alles, oder bitten Sie jederzeit wieder um eine Person."),
            (
                "delayed_message",
                "Das Helpdesk unseres Teams antwortet gerade langsam. Ihre Anfrage ist gespeichert und erreicht das \
                 Team, sobald es antwortet; Sie können hier weiterschreiben.",
            ),
        ],
    },
    BuiltinTexts {
        language: "fr",
        request_button_text: "Parler à une personne",
        quick_reply_text: "Annuler la demande",
        cancel_phrases: &["annuler", "annuler la demande", "laisse tomber", "laissez tomber", "tant pis", "finalement non", "retour au bot"],
        templates: [
            (
                "text_message",
                "Je fais appel à une personne de notre équipe. {% if queue_position > 1 %}Vous êtes numéro \
                 {{ queue_position }} dans la file, attente estimée : {{ wait_estimate }}.{% else %}Attente estimée : \
                 {{ wait_estimate }}.{% endif %} Vous pouvez continuer à écrire : notre équipe verra tout.",
            ),
            (
                "ticket_message",
                "J’ai transmis votre demande à notre équipe sous forme de ticket. {% if visitor_email %}La réponse \
                 vous sera envoyée par e-mail à {{ visitor_email }} et apparaîtra aussi ici.{% else %}La réponse \
                 apparaîtra ici : revenez sur ce chat plus tard.{% endif %} Vous pouvez continuer à écrire : notre \
                 équipe verra tout.",
            ),
            (
                "unavailable_message",
                "Désolé{% if visitor_name %} {{ visitor_name }}{% endif %}, personne de notre équipe n’est disponible \
                 pour le moment. Laissez votre adresse e-mail ici et nous reviendrons vers vous.",
            ),
            (
                "unsupported_channel_message",
                "Discuter avec une personne n’est pas possible sur ce canal. Utilisez le chat de notre site ou \
                 écrivez à support@northwind.example.",
            ),
            ("cancelled_message", "Pas de souci, la demande est annulée. Je reste là si vous avez d’autres questions."),
            ("agent_joined_message", "{{ agent_name }} a rejoint la conversation."),
            ("agent_ended_message", "{{ agent_name }} a mis fin à la conversation."),
            ("follow_up_saved_message", "Merci ! Nous écrirons à {{ visitor_email }} dès que quelqu’un sera disponible."),
            ("rating_prompt", "Comment s’est passée votre conversation avec {{ agent_name }} ?"),
            ("rated_message", "Merci pour votre avis ! Je suis de retour : posez-moi vos questions."),
            (
                "bot_back_message",
                "Je suis de retour : posez-moi vos questions, ou demandez à nouveau une personne à tout moment.",
            ),
            (
                "delayed_message",
                "Le service d’assistance de notre équipe répond lentement en ce moment. Votre demande est \
                 enregistrée et lui parviendra dès qu’il répondra ; vous pouvez continuer à écrire ici.",
            ),
        ],
    },
    BuiltinTexts {
        language: "es",
        request_button_text: "Hablar con una persona",
        quick_reply_text: "Cancelar solicitud",
        cancel_phrases: &["cancelar", "cancelar solicitud", "olvídalo", "déjalo", "no importa", "ya no hace falta", "volver al bot"],
        templates: [
            (
                "text_message",
                "Le paso con una persona de nuestro equipo. {% if queue_position > 1 %}Es el número \
                 {{ queue_position }} en la cola; espera estimada: {{ wait_estimate }}.{% else %}Espera estimada: \
                 {{ wait_estimate }}.{% endif %} Puede seguir escribiendo: nuestro equipo lo verá todo.",
            ),
            (
                "ticket_message",
                "He enviado su solicitud a nuestro equipo como ticket. {% if visitor_email %}Le responderán por \
                 correo a {{ visitor_email }} y la respuesta también aparecerá aquí.{% else %}La respuesta aparecerá \
                 aquí, así que vuelva a este chat más tarde.{% endif %} Puede seguir escribiendo: nuestro equipo lo \
                 verá todo.",
            ),
            (
                "unavailable_message",
                "Lo sentimos{% if visitor_name %}, {{ visitor_name }}{% endif %}: ahora mismo no hay nadie de nuestro \
                 equipo disponible. Deje aquí su correo electrónico y le responderemos.",
            ),
            (
                "unsupported_channel_message",
                "No es posible hablar con una persona por este canal. Use el chat de nuestra web o escriba a \
                 support@northwind.example.",
            ),
            ("cancelled_message", "Sin problema, la solicitud está cancelada. Sigo aquí si tiene más preguntas."),
            ("agent_joined_message", "{{ agent_name }} se ha unido al chat."),
            ("agent_ended_message", "{{ agent_name }} ha finalizado el chat."),
            ("follow_up_saved_message", "¡Gracias! Escribiremos a {{ visitor_email }} en cuanto haya alguien disponible."),
            ("rating_prompt", "¿Qué tal su chat con {{ agent_name }}?"),
            ("rated_message", "¡Gracias por su opinión! Vuelvo a estar aquí: pregúnteme lo que quiera."),
            (
                "bot_back_message",
                "Vuelvo a estar aquí: pregúnteme lo que quiera o pida hablar con una persona cuando quiera.",
            ),
            (
                "delayed_message",
                "El sistema de atención de nuestro equipo responde despacio en este momento. Su solicitud está \
                 guardada y les llegará en cuanto responda; puede seguir escribiendo aquí.",
            ),
        ],
    },
    BuiltinTexts {
        language: "it",
        request_button_text: "Parla con una persona",
        quick_reply_text: "Annulla richiesta",
        cancel_phrases: &["annulla", "annulla richiesta", "lascia perdere", "lasciamo perdere", "non importa", "non serve più", "torna al bot"],
        templates: [
            (
                "text_message",
                "Sto chiamando una persona del nostro team. {% if queue_position > 1 %}Sei il numero \
                 {{ queue_position }} in coda; attesa stimata: {{ wait_estimate }}.{% else %}Attesa stimata: \
                 {{ wait_estimate }}.{% endif %} Puoi continuare a scrivere: il team vedrà tutto.",
            ),
            (
                "ticket_message",
                "Ho inoltrato la tua richiesta al nostro team come ticket. {% if visitor_email %}Ti risponderanno via \
                 email a {{ visitor_email }} e la risposta comparirà anche qui.{% else %}La risposta comparirà qui, \
                 quindi torna su questa chat più tardi.{% endif %} Puoi continuare a scrivere: il team vedrà tutto.",
            ),
            (
                "unavailable_message",
                "Ci dispiace{% if visitor_name %} {{ visitor_name }}{% endif %}, al momento nessuno del nostro team è \
                 disponibile. Lascia qui il tuo indirizzo email e ti ricontatteremo.",
            ),
            (
                "unsupported_channel_message",
                "Su questo canale non è possibile parlare con una persona. Usa la chat sul nostro sito o scrivi a \
                 support@northwind.example.",
            ),
            ("cancelled_message", "Nessun problema, la richiesta è annullata. Sono qui se hai altre domande."),
            ("agent_joined_message", "{{ agent_name }} è ora nella chat."),
            ("agent_ended_message", "{{ agent_name }} ha chiuso la chat."),
            ("follow_up_saved_message", "Grazie! Scriveremo a {{ visitor_email }} appena qualcuno sarà disponibile."),
            ("rating_prompt", "Com’è andata la chat con {{ agent_name }}?"),
            ("rated_message", "Grazie per il tuo feedback! Sono di nuovo qui: chiedimi pure."),
            (
                "bot_back_message",
                "Sono di nuovo qui: chiedimi qualsiasi cosa, o chiedi di nuovo una persona quando vuoi.",
            ),
            (
                "delayed_message",
                "L’helpdesk del nostro team sta rispondendo lentamente. La tua richiesta è salvata e arriverà al team \
                 appena risponde; puoi continuare a scrivere qui.",
            ),
        ],
    },
    BuiltinTexts {
        language: "pt",
        request_button_text: "Falar com uma pessoa",
        quick_reply_text: "Cancelar pedido",
        cancel_phrases: &["cancelar", "cancelar pedido", "esquece", "deixa pra lá", "deixa para lá", "não importa", "voltar ao bot"],
        templates: [
            (
                "text_message",
                "Vou chamar uma pessoa da nossa equipe. {% if queue_position > 1 %}Você é o número \
                 {{ queue_position }} na fila; espera estimada: {{ wait_estimate }}.{% else %}Espera estimada: \
                 {{ wait_estimate }}.{% endif %} Pode continuar escrevendo: a equipe verá tudo.",
            ),
            (
                "ticket_message",
                "Encaminhei seu pedido para a nossa equipe como um ticket. {% if visitor_email %}A resposta será \
                 enviada por e-mail para {{ visitor_email }} e também aparecerá aqui.{% else %}A resposta aparecerá \
                 aqui, então volte a este chat mais tarde.{% endif %} Pode continuar escrevendo: a equipe verá tudo.",
            ),
            (
                "unavailable_message",
                "Desculpe{% if visitor_name %}, {{ visitor_name }}{% endif %}, ninguém da nossa equipe está disponível \
                 agora. Deixe seu e-mail aqui e entraremos em contato.",
            ),
            (
                "unsupported_channel_message",
                "Não é possível falar com uma pessoa por este canal. Use o chat do nosso site ou escreva para \
                 support@northwind.example.",
            ),
            ("cancelled_message", "Sem problema, o pedido foi cancelado. Estou aqui se tiver mais perguntas."),
            ("agent_joined_message", "{{ agent_name }} entrou no chat."),
            ("agent_ended_message", "{{ agent_name }} encerrou o chat."),
            ("follow_up_saved_message", "Obrigado! Vamos escrever para {{ visitor_email }} assim que alguém estiver disponível."),
            ("rating_prompt", "Como foi o seu chat com {{ agent_name }}?"),
            ("rated_message", "Obrigado pela sua avaliação! Estou de volta: pergunte o que quiser."),
            (
                "bot_back_message",
                "Estou de volta: pergunte o que quiser ou peça uma pessoa novamente a qualquer momento.",
            ),
            (
                "delayed_message",
                "O helpdesk da nossa equipe está respondendo devagar agora. Seu pedido está salvo e chegará assim que \
                 ele responder; você pode continuar escrevendo aqui.",
            ),
        ],
    },
    BuiltinTexts {
        language: "nl",
        request_button_text: "Met een medewerker praten",
        quick_reply_text: "Verzoek annuleren",
        cancel_phrases: &["annuleren", "verzoek annuleren", "laat maar", "laat maar zitten", "toch niet", "niet meer nodig", "terug naar de bot"],
        templates: [
            (
                "text_message",
                "Ik haal iemand van ons team erbij. {% if queue_position > 1 %}Je bent nummer {{ queue_position }} \
                 in de rij; verwachte wachttijd: {{ wait_estimate }}.{% else %}Verwachte wachttijd: \
                 {{ wait_estimate }}.{% endif %} Je kunt gewoon verder typen: het team ziet alles.",
            ),
            (
                "ticket_message",
                "Ik heb je vraag als ticket aan ons team doorgegeven. {% if visitor_email %}Je krijgt antwoord per \
                 e-mail op {{ visitor_email }}, en het antwoord verschijnt ook hier.{% else %}Het antwoord verschijnt \
                 hier, kom dus later terug in deze chat.{% endif %} Je kunt gewoon verder typen: het team ziet alles.",
            ),
            (
                "unavailable_message",
                "Sorry{% if visitor_name %} {{ visitor_name }}{% endif %}, er is op dit moment niemand van ons team \
                 beschikbaar. Laat hier je e-mailadres achter, dan nemen we contact met je op.",
            ),
            (
                "unsupported_channel_message",
                "Chatten met een medewerker kan niet via dit kanaal. Gebruik de chat op onze website of mail naar \
                 support@northwind.example.",
            ),
            ("cancelled_message", "Geen probleem, het verzoek is geannuleerd. Ik ben er als je nog vragen hebt."),
            ("agent_joined_message", "{{ agent_name }} neemt deel aan de chat."),
            ("agent_ended_message", "{{ agent_name }} heeft de chat beëindigd."),
            ("follow_up_saved_message", "Bedankt! We mailen naar {{ visitor_email }} zodra er iemand beschikbaar is."),
            ("rating_prompt", "Hoe was je chat met {{ agent_name }}?"),
            ("rated_message", "Bedankt voor je feedback! Ik ben er weer: vraag maar raak."),
            (
                "bot_back_message",
                "Ik ben er weer: vraag me alles, of vraag op elk moment opnieuw naar een medewerker.",
            ),
            (
                "delayed_message",
                "De helpdesk van ons team reageert nu traag. Je verzoek is opgeslagen en komt bij het team aan zodra \
                 die reageert; je kunt hier gewoon verder typen.",
            ),
        ],
    },
];
