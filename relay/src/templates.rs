//! The handover texts of a site, compiled once at start (MiniJinja) and rendered with the
//! conversation's variables, in the visitor's language when the site has texts for it
//! (`[sites.<key>.handover.texts.<language>]`, else the site's default). The wait estimate is
//! worded in the seven languages the widget speaks ([`wait_wording`]).

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

use crate::config::{builtin_texts::BUILTIN, HandoverConfig};

/// Variables a handover text may use.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Vars {
    pub visitor_name: Option<String>,
    pub visitor_email: Option<String>,
    pub queue_position: usize,
    /// Human wording, e.g. "3 minutes".
    pub wait_estimate: String,
    pub agent_name: Option<String>,
}

/// A template that does not compile.
#[derive(Debug)]
pub struct TemplateError {
    /// The setting's path under `handover`: `text_message`, `texts.de.text_message`.
    pub setting: String,
    pub source_text: String,
    /// Line within the template, 1-based.
    pub line: usize,
    pub message: String,
}

pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    pub fn compile(config: &HandoverConfig) -> Result<Self, TemplateError> {
        let mut env = Environment::new();
        // A misspelt variable renders as empty text rather than failing a visitor's chat; the
        // names are documented and checked by tests of the defaults.
        env.set_undefined_behavior(UndefinedBehavior::Lenient);
        let languages = config.texts.iter().flat_map(|(language, texts)| {
            texts
                .templates
                .iter()
                .map(move |(setting, source)| (format!("texts.{language}.{setting}"), source.as_str()))
        });
        // Baton's translations of the defaults the site kept (`builtin_texts.rs`).
        let kept = config.kept_templates();
        let builtin = BUILTIN.iter().flat_map(|b| {
            b.templates
                .iter()
                .filter(|(setting, _)| kept.contains(setting))
                .map(move |(setting, source)| (format!("builtin.{}.{setting}", b.language), *source))
        });
        for (name, source) in
            config.templates().into_iter().map(|(s, t)| (s.to_string(), t)).chain(languages).chain(builtin)
        {
            env.add_template_owned(name.clone(), source.to_string()).map_err(|error| TemplateError {
                setting: name,
                source_text: source.to_string(),
                line: error.line().unwrap_or(1),
                message: error.detail().map_or_else(|| error.to_string(), str::to_string),
            })?;
        }
        Ok(Self { env })
    }

    /// Renders the text of `setting` (a name from [`HandoverConfig::templates`]) in `language`
    /// (a key of the site's `texts`, from [`HandoverConfig::language_for`]) if that language
    /// sets it, else in Baton's translation for `builtin` (from
    /// [`HandoverConfig::builtin_language`]) if the site kept the default, else the site's
    /// default. A failure at render time (rare: templates compiled) falls back to the raw text,
    /// logged.
    pub fn render_in(&self, language: Option<&str>, builtin: Option<&str>, setting: &str, vars: &Vars) -> String {
        let exists = |name: &String| self.env.get_template(name).is_ok();
        let own = language
            .map(|language| format!("texts.{language}.{setting}"))
            .filter(exists)
            .or_else(|| builtin.map(|language| format!("builtin.{language}.{setting}")).filter(exists));
        self.render(own.as_deref().unwrap_or(setting), vars)
    }

    /// Renders the template named `setting` (the site's default text, or `texts.<language>.<setting>`).
    pub fn render(&self, setting: &str, vars: &Vars) -> String {
        let rendered = self.env.get_template(setting).and_then(|t| t.render(vars));
        match rendered {
            Ok(text) => text.split_whitespace().collect::<Vec<_>>().join(" "),
            Err(error) => {
                tracing::error!(setting, %error, "rendering a handover text failed");
                self.env.get_template(setting).map(|t| t.source().to_string()).unwrap_or_default()
            }
        }
    }
}

/// "less than a minute", "1 minute", "4 minutes", "about 2 hours", in the first of `languages`
/// (tags, best first) among English, German, French, Spanish, Italian, Portuguese and Dutch;
/// English for any other.
pub fn wait_wording(seconds: u64, languages: &[String]) -> String {
    // less than a minute, one minute, N minutes, about N hours
    let [under, one, minutes, hours] = languages
        .iter()
        .find_map(|tag| wait_words(tag.split('-').next().unwrap_or(tag)))
        .unwrap_or(["less than a minute", "1 minute", "{} minutes", "about {} hours"]);
    match seconds {
        0..=59 => under.into(),
        60..=119 => one.into(),
        120..=5399 => minutes.replace("{}", &((seconds + 30) / 60).to_string()),
        _ => hours.replace("{}", &((seconds + 1800) / 3600).to_string()),
    }
}

fn wait_words(language: &str) -> Option<[&'static str; 4]> {
    Some(match language {
        "en" => ["less than a minute", "1 minute", "{} minutes", "about {} hours"],
        "de" => ["weniger als eine Minute", "1 Minute", "{} Minuten", "etwa {} Stunden"],
        "fr" => ["moins d’une minute", "1 minute", "{} minutes", "environ {} heures"],
        "es" => ["menos de un minuto", "1 minuto", "{} minutos", "unas {} horas"],
        "it" => ["meno di un minuto", "1 minuto", "{} minuti", "circa {} ore"],
        "pt" => ["menos de um minuto", "1 minuto", "{} minutos", "cerca de {} horas"],
        "nl" => ["minder dan een minuut", "1 minuut", "{} minuten", "ongeveer {} uur"],
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_texts_render_with_their_variables() {
        let templates = Templates::compile(&HandoverConfig::default()).unwrap();
        let vars = Vars {
            visitor_name: Some("Ada".into()),
            visitor_email: Some("ada@example.com".into()),
            queue_position: 3,
            wait_estimate: wait_wording(400, &[]),
            agent_name: Some("Alex".into()),
        };
        let started = templates.render("text_message", &vars);
        assert!(started.contains("number 3 in line"), "{started}");
        assert!(started.contains("7 minutes"), "{started}");
        assert_eq!(templates.render("agent_joined_message", &vars), "Alex joined the chat.");
        assert!(templates.render("unavailable_message", &vars).starts_with("Sorry Ada, nobody"));
        assert!(templates.render("follow_up_saved_message", &vars).contains("ada@example.com"));
        let first = Vars { queue_position: 1, wait_estimate: wait_wording(30, &[]), ..Vars::default() };
        let started = templates.render("text_message", &first);
        assert!(!started.contains("in line"), "{started}");
        assert!(started.contains("team. The wait is about less than a minute."), "{started}");
        assert!(templates.render("unavailable_message", &first).starts_with("Sorry, nobody"));
    }

    #[test]
    fn a_broken_template_names_its_setting_and_line() {
        let config = HandoverConfig { cancelled_message: "ok\n{% if %}".into(), ..HandoverConfig::default() };
        let error = Templates::compile(&config).err().expect("must fail");
        assert_eq!(error.setting, "cancelled_message");
        assert_eq!(error.line, 2);
    }

    #[test]
    fn wait_wording_reads_naturally() {
        assert_eq!(wait_wording(10, &[]), "less than a minute");
        assert_eq!(wait_wording(90, &[]), "1 minute");
        assert_eq!(wait_wording(180, &[]), "3 minutes");
        assert_eq!(wait_wording(7200, &[]), "about 2 hours");
        let german = ["ar".to_string(), "de-at".to_string()];
        assert_eq!(wait_wording(180, &german), "3 Minuten", "the first language it has words for");
        assert_eq!(wait_wording(7200, &["nl".into()]), "ongeveer 2 uur");
        assert_eq!(wait_wording(10, &["pt-br".into()]), "menos de um minuto");
    }

    #[test]
    fn a_language_s_texts_replace_the_defaults_it_sets_and_only_those() {
        let mut config = HandoverConfig::default();
        config.texts.insert(
            "de".into(),
            crate::config::HandoverTexts {
                templates: [("text_message".into(), "Ich hole eine Person. Wartezeit: {{ wait_estimate }}.".into())]
                    .into(),
                request_button_text: Some("Mit einer Person sprechen".into()),
                ..Default::default()
            },
        );
        let templates = Templates::compile(&config).unwrap();
        let vars = Vars { wait_estimate: wait_wording(180, &["de".into()]), ..Vars::default() };
        let visitor = ["de-at".to_string(), "en".to_string()];
        let language = config.language_for(&visitor);
        assert_eq!(language, Some("de"), "de-at falls back to de");
        assert_eq!(
            templates.render_in(language, None, "text_message", &vars),
            "Ich hole eine Person. Wartezeit: 3 Minuten."
        );
        assert_eq!(
            templates.render_in(language, None, "cancelled_message", &vars),
            config.cancelled_message,
            "not set: default"
        );
        assert_eq!(config.request_button_text(&visitor), "Mit einer Person sprechen");
        assert_eq!(config.quick_reply_text(&visitor), "Anfrage abbrechen", "not set: Baton's German");
        assert_eq!(config.language_for(&["fr".into()]), None);
        assert_eq!(config.request_button_text(&["fr".into()]), "Parler à une personne", "Baton's French");
        assert_eq!(config.request_button_text(&["en".into()]), "Talk to a person");
        assert!(templates.render_in(None, None, "text_message", &vars).starts_with("I'm bringing in a person"));

        config.texts.get_mut("de").unwrap().templates.insert("rated_message".into(), "Danke {% if %}".into());
        let error = Templates::compile(&config).err().expect("a language's broken template fails");
        assert_eq!(error.setting, "texts.de.rated_message");
    }

    #[test]
    fn defaults_the_site_kept_are_in_the_visitors_language_and_its_own_words_stay() {
        let config = HandoverConfig {
            cancelled_message: "Okay, cancelled.".into(),
            request_button_text: "Get a human".into(),
            ..HandoverConfig::default()
        };
        let templates = Templates::compile(&config).unwrap();
        let vars = Vars {
            visitor_name: Some("Ada".into()),
            visitor_email: Some("ada@example.org".into()),
            queue_position: 3,
            wait_estimate: "4 Minuten".into(),
            agent_name: Some("Alex".into()),
        };
        let german = ["de-DE".to_string(), "en".to_string()];
        let builtin = HandoverConfig::builtin_language(&german);
        assert_eq!(builtin, Some("de"));
        assert_eq!(
            templates.render_in(None, builtin, "text_message", &vars),
            "Ich hole eine Person aus unserem Team. Sie sind Nummer 3 in der Warteschlange, die Wartezeit beträgt \
             voraussichtlich 4 Minuten. Sie können gern weiterschreiben: Unser Team sieht alles."
        );
        assert_eq!(
            templates.render_in(None, builtin, "cancelled_message", &vars),
            "Okay, cancelled.",
            "the site's words"
        );
        assert_eq!(config.request_button_text(&german), "Get a human", "the site's words");
        assert_eq!(config.quick_reply_text(&german), "Anfrage abbrechen");
        // English first, or no language Baton has texts in: the defaults.
        assert_eq!(HandoverConfig::builtin_language(&["en-GB".into(), "de".into()]), None);
        assert_eq!(HandoverConfig::builtin_language(&["ar".into(), "nl-BE".into()]), Some("nl"));
        assert_eq!(HandoverConfig::builtin_language(&["ar".into()]), None);
        // Every translation compiles, renders every variable and leaves no template syntax.
        let templates = Templates::compile(&HandoverConfig::default()).unwrap();
        for b in &crate::config::builtin_texts::BUILTIN {
            let languages = [b.language.to_string()];
            for (setting, _) in HandoverConfig::default().templates() {
                let text = templates.render_in(None, HandoverConfig::builtin_language(&languages), setting, &vars);
                assert!(!text.contains("{{") && !text.contains("{%"), "{} {setting}: {text}", b.language);
                assert_ne!(text, templates.render(setting, &vars), "{} {setting} is translated", b.language);
            }
            assert_ne!(HandoverConfig::default().request_button_text(&languages), "Talk to a person");
        }
    }
}
