//! Emailing a transcript through `[smtp]` (lettre over tokio, STARTTLS or TLS by rustls).
//!
//! A request is answered at once and sent by a background task: each try bounded by
//! `smtp.timeout`, `smtp.attempts` tries with a pause doubling from a second. The conversation
//! never waits for the mail server; when the mail is accepted, or every try failed (the server
//! down, refusing, or never answering), the visitor reads it as a system message in the chat,
//! in their language. A request still trying when the relay stops is dropped (logged).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use lettre::{
    message::{header::ContentType, Mailbox},
    transport::smtp::authentication::Credentials,
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};

use super::{render, Transcript};
use crate::{config::SmtpConfig, conversation::Command, state::AppState, store::Conversation};

const FIRST_PAUSE: Duration = Duration::from_secs(1);

/// The relay's mail server, built from `[smtp]`.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    attempts: u32,
    timeout: Duration,
    /// One mail per conversation at most this often (`smtp.every`).
    every: Duration,
    /// When each conversation last asked for a mail.
    recent: Arc<Mutex<HashMap<String, Instant>>>,
}

impl Mailer {
    pub fn new(config: &SmtpConfig) -> Result<Self, String> {
        if let Some(problem) = config.problem() {
            return Err(problem);
        }
        let from: Mailbox = config.from.parse().map_err(|e| format!("smtp.from {:?}: {e}", config.from))?;
        let host = config.host.trim();
        let builder = if config.tls {
            AsyncSmtpTransport::<Tokio1Executor>::relay(host)
        } else if config.starttls {
            AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
        } else {
            Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host))
        };
        let mut builder =
            builder.map_err(|e| format!("smtp.host {host:?}: {e}"))?.port(config.port).timeout(Some(config.timeout));
        if let (Some(user), Some(password)) = (&config.username, &config.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.expose().to_string()));
        }
        Ok(Self {
            transport: builder.build(),
            from,
            attempts: config.attempts,
            timeout: config.timeout,
            every: config.every,
            recent: Arc::default(),
        })
    }

    /// Takes the conversation's turn to send, or says how long until it has one.
    pub fn claim(&self, conversation: &str) -> Result<(), Duration> {
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        recent.retain(|_, at| now.duration_since(*at) < self.every);
        if let Some(at) = recent.get(conversation) {
            return Err(self.every.saturating_sub(now.duration_since(*at)));
        }
        recent.insert(conversation.to_string(), now);
        Ok(())
    }

    /// One try: the server accepted the mail, or why not.
    pub async fn send(&self, to: &str, subject: &str, body: String) -> Result<(), String> {
        let to: Mailbox = to.parse().map_err(|e| format!("the address {to:?}: {e}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| e.to_string())?;
        match tokio::time::timeout(self.timeout, self.transport.send(message)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(error)) => Err(error.to_string()),
            Err(_) => Err(format!("no answer within {:?}", self.timeout)),
        }
    }
}

/// Sends `transcript` to `to` in a task of its own, retrying, and tells the conversation how
/// it went (a system message).
pub fn send_in_background(
    state: &AppState,
    mailer: Mailer,
    conversation: &Conversation,
    to: &str,
    transcript: &Transcript,
) {
    let (registry, stop) = (state.conversations.clone(), state.shutdown.token.clone());
    let (id, site, to) = (conversation.id.clone(), conversation.site.clone(), to.to_string());
    let languages = conversation.visitor.languages.clone();
    let subject = transcript.subject();
    let body = render::text(transcript);
    state.shutdown.tracker.spawn(async move {
        let mut pause = FIRST_PAUSE;
        let mut tries = 0;
        let outcome = loop {
            tries += 1;
            match mailer.send(&to, &subject, body.clone()).await {
                Ok(()) => break Ok(()),
                Err(error) if tries >= mailer.attempts => break Err(error),
                Err(error) => {
                    tracing::warn!(conversation = %id, %error, tries, "transcript mail not sent yet; retrying");
                    tokio::select! {
                        () = stop.cancelled() => {
                            tracing::warn!(conversation = %id, "the relay is stopping: transcript mail dropped");
                            return;
                        }
                        () = tokio::time::sleep(pause) => {}
                    }
                    pause *= 2;
                }
            }
        };
        let text = match &outcome {
            Ok(()) => {
                tracing::info!(conversation = %id, tries, "transcript mailed");
                notice(&languages, Notice::Sent, &to)
            }
            Err(error) => {
                tracing::error!(conversation = %id, %error, tries, "transcript mail given up");
                notice(&languages, Notice::Failed, &to)
            }
        };
        if let Err(error) = registry.send(&id, &site, Command::Notice { text }).await {
            tracing::error!(conversation = %id, %error, "cannot tell the visitor how the transcript mail went");
        }
    });
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    Sent,
    Failed,
}

/// What the visitor reads in the chat, in the first of `languages` among the widget's seven.
pub fn notice(languages: &[String], notice: Notice, email: &str) -> String {
    let words = super::words::for_languages(languages);
    let text = match notice {
        Notice::Sent => words.mailed,
        Notice::Failed => words.not_mailed,
    };
    super::words::fill(text, &[("email", email)])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn smtp(toml: &str) -> SmtpConfig {
        toml::from_str(toml).unwrap()
    }

    #[test]
    fn the_notice_is_in_the_visitors_language_and_names_the_address() {
        let de = notice(&["de-AT".into(), "en".into()], Notice::Sent, "ada@example.com");
        assert_eq!(de, "Das Protokoll dieses Chats wurde an ada@example.com gesendet.");
        let other = notice(&["ja".into()], Notice::Failed, "ada@example.com");
        assert!(other.starts_with("The transcript could not be emailed to ada@example.com"), "{other}");
    }

    #[test]
    fn bad_settings_are_refused_naming_the_setting_and_one_mail_a_minute_per_conversation() {
        let ok = "host = \"mail.example.com\"\nfrom = \"Support <support@example.com>\"";
        assert_eq!(smtp(ok).port, 587);
        assert!(smtp(ok).starttls, "STARTTLS unless switched off");
        let mailer = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async { Mailer::new(&smtp(ok)) })
            .unwrap();
        assert_eq!(mailer.claim("c1"), Ok(()));
        assert!(mailer.claim("c1").is_err_and(|wait| wait <= crate::config::smtp::default_every()));
        assert_eq!(mailer.claim("c2"), Ok(()));
        for (bad, names) in [
            ("host = \"\"\nfrom = \"a@b.example\"", "smtp.host"),
            ("host = \"h\"\nfrom = \"nobody\"", "smtp.from"),
            ("host = \"h\"\nfrom = \"a@b.example\"\nusername = \"u\"", "smtp.username"),
            ("host = \"h\"\nfrom = \"a@b.example\"\nattempts = 0", "smtp.attempts"),
            ("host = \"h\"\nfrom = \"a@b.example\"\nevery = \"0s\"", "smtp.every"),
        ] {
            let problem = Mailer::new(&smtp(bad)).err().unwrap_or_default();
            assert!(problem.contains(names), "{bad}: {problem}");
        }
    }
}
