//! The handover texts of a site, compiled once at start (MiniJinja) and rendered with the
//! conversation's variables.

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

use crate::config::HandoverConfig;

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
    pub setting: &'static str,
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
        for (setting, source) in config.templates() {
            env.add_template_owned(setting, source.to_string()).map_err(|error| TemplateError {
                setting,
                source_text: source.to_string(),
                line: error.line().unwrap_or(1),
                message: error.detail().map_or_else(|| error.to_string(), str::to_string),
            })?;
        }
        Ok(Self { env })
    }

    /// Renders the text of `setting` (a name from [`HandoverConfig::templates`]). A failure at
    /// render time (rare: templates compiled) falls back to the raw text, logged.
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

/// "less than a minute", "1 minute", "4 minutes", "about 2 hours".
pub fn wait_wording(seconds: u64) -> String {
    match seconds {
        0..=59 => "less than a minute".into(),
        60..=119 => "1 minute".into(),
        120..=5399 => format!("{} minutes", (seconds + 30) / 60),
        _ => format!("about {} hours", (seconds + 1800) / 3600),
    }
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
            wait_estimate: wait_wording(400),
            agent_name: Some("Alex".into()),
        };
        let started = templates.render("text_message", &vars);
        assert!(started.contains("number 3 in line"), "{started}");
        assert!(started.contains("7 minutes"), "{started}");
        assert_eq!(templates.render("agent_joined_message", &vars), "Alex joined the chat.");
        assert!(templates.render("unavailable_message", &vars).starts_with("Sorry Ada, nobody"));
        assert!(templates.render("follow_up_saved_message", &vars).contains("ada@example.com"));
        let first = Vars { queue_position: 1, wait_estimate: wait_wording(30), ..Vars::default() };
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
        assert_eq!(wait_wording(10), "less than a minute");
        assert_eq!(wait_wording(90), "1 minute");
        assert_eq!(wait_wording(180), "3 minutes");
        assert_eq!(wait_wording(7200), "about 2 hours");
    }
}
