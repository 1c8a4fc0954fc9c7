//! The table the provider scenarios (`tests/tests/providers/`) run against: one row per
//! helpdesk, each a simulator (`crate::sim`) seen through [`Helpdesk`], which says only what
//! differs between helpdesks: live chat or ticket, who the agent is, how the site is configured
//! (the documented TOML), how a conversation looks there ([`Remote`]), how an agent's reply,
//! close and a forged delivery are made, and the contract details each checks of what Baton
//! wrote. [`everywhere`] runs one scenario against every row at once.

mod freshchat;
mod freshdesk;
mod gorgias;
mod hubspot;
mod intercom;
mod zendesk_messaging;
mod zendesk_support;

use std::{future::Future, sync::Arc};

use serde::{de::DeserializeOwned, Serialize};

use crate::sim::{Delivery, Sim, Traffic, Vendor};

/// How the helpdesk answers a visitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An agent answers in the chat while the visitor waits.
    LiveChat,
    /// A ticket: the visitor is told the answer comes by email and here.
    Ticket,
}

/// A row's plain facts.
#[derive(Debug)]
pub struct Profile {
    /// The provider's `kind` and its webhook path (`/webhooks/<name>/<site>`).
    pub name: &'static str,
    pub kind: Kind,
    /// The agent's name as the visitor sees it on the simulator's replies.
    pub agent_name: &'static str,
    /// "METHOD /path" of the availability check, when the helpdesk has one.
    pub availability: Option<&'static str>,
    /// "METHOD /path" of the call that opens the remote conversation or ticket.
    pub open_call: &'static str,
    /// The helpdesk's webhooks report the visitor messages Baton writes (echoes to drop).
    pub forward_echoes: bool,
    /// Words of the helpdesk's webhook for Baton's own close (an echo to drop).
    pub close_echo: &'static str,
    /// Baton writes the visitor's rating there, as an internal note saying
    /// `baton-rating-<score>` (helpdesks whose only write is the visitor's own message, which
    /// would reopen the closed conversation, get none).
    pub rating: bool,
}

/// Who wrote an entry in the helpdesk's conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    /// The visitor (written by Baton on their behalf).
    Visitor,
    /// Baton itself: the summary, notices.
    Baton,
}

/// One message, note or description in the helpdesk's conversation, as plain text.
#[derive(Debug, Clone)]
pub struct Entry {
    pub text: String,
    pub by: By,
    /// Agents see it, the visitor does not (a private note).
    pub internal: bool,
}

/// A file the helpdesk holds as an attachment (not a link in a message's text): the address it
/// was given and whether it is shown as an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attached {
    pub url: String,
    pub image: bool,
}

/// A conversation or ticket in the helpdesk, whatever its shape there.
#[derive(Debug, Clone)]
pub struct Remote {
    /// The id the helpdesk's webhooks name it by.
    pub id: String,
    pub entries: Vec<Entry>,
    /// Closed, solved or resolved (or control released).
    pub closed: bool,
    /// The email of its contact (requester, user, customer), if the helpdesk has one.
    pub contact: Option<String>,
}

impl Remote {
    /// The entries' texts, in order.
    pub fn texts(&self) -> Vec<&str> {
        self.entries.iter().map(|e| e.text.as_str()).collect()
    }

    /// Where the entry with exactly `text` stands, if there is one.
    pub fn position(&self, text: &str) -> Option<usize> {
        self.entries.iter().position(|e| e.text == text)
    }

    /// How many entries say exactly `text`.
    pub fn count(&self, text: &str) -> usize {
        self.entries.iter().filter(|e| e.text == text).count()
    }
}

/// One row of the table, implemented by a simulator's state: what differs between helpdesks,
/// as the scenarios need it.
pub trait Row: Vendor {
    const PROFILE: &'static Profile;
    /// The helpdesk documents attachments Baton can pass by address (SPEC.md); the others get
    /// files as links in the text.
    const TAKES_FILES: bool = false;
    /// Where the connector finds the simulator's API.
    fn base_url(sim: &Sim<Self>) -> String {
        sim.url()
    }
    /// The row's own settings in the site's `[provider]` table (TOML lines; [`site_settings`]
    /// adds the kind, the base URL and the timeout every row has).
    fn provider_settings(sim: &Sim<Self>) -> String;
    /// The lines of the site's `[webhooks.<name>]` table (TOML).
    fn webhook_settings() -> String;
    /// Its conversations or tickets, oldest first.
    fn remotes(sim: &Sim<Self>) -> Vec<Remote>;
    /// Makes anyone available (`true`) or nobody; called only for rows with an availability check.
    fn set_available(_sim: &Sim<Self>, _available: bool) {
        unreachable!("{} has no availability check", Self::PROFILE.name);
    }
    /// The signed delivery of an agent's reply `text` (plain, possibly multi-line) to `hook`.
    fn reply(sim: &Sim<Self>, hook: &str, remote: &str, text: &str) -> Delivery;
    /// The signed delivery of an agent closing (solving, resolving) the conversation.
    fn close(hook: &str, remote: &str) -> Delivery;
    /// Deliveries of `genuine` the relay must refuse (401): wrong secret, unsigned, and whatever
    /// else the helpdesk's scheme guards against (a changed body, another URL, a stale timestamp).
    fn forgeries(hook: &str, genuine: &Delivery) -> Vec<(&'static str, Delivery)>;
    /// The handover's last call has landed (when it makes more than the one with the summary).
    fn handed_over(_sim: &Sim<Self>) -> bool {
        true
    }
    /// The contract details of the round trip's handover (Ada, signed, order 40123).
    fn check_handover(sim: &Sim<Self>, remote: &Remote);
    /// How a visitor's later message `text` was written.
    fn check_forward(sim: &Sim<Self>, text: &str);
    /// Who stands in for a visitor without an email.
    fn check_anonymous(sim: &Sim<Self>, remote: &Remote);
    /// Something the helpdesk gets wrong while recovering from an outage (an answer lost, a
    /// refused note), checked by [`Row::check_recovered`].
    fn trouble_recovering(_sim: &Sim<Self>) {}
    fn check_recovered(_sim: &Sim<Self>, _remote: &Remote) {}
    /// The files the newest conversation holds as attachments, in order (none for helpdesks
    /// that do not take files).
    fn attached(_sim: &Sim<Self>) -> Vec<Attached> {
        vec![]
    }
}

/// A row as the scenarios hold it: [`Row`] on a running simulator, object-safe so that one
/// scenario can run against every row.
pub trait Helpdesk: Send + Sync {
    fn profile(&self) -> &'static Profile;
    fn traffic(&self) -> &Traffic;
    fn settings(&self) -> String;
    fn remotes(&self) -> Vec<Remote>;
    /// The newest conversation or ticket.
    fn remote(&self) -> Option<Remote> {
        self.remotes().pop()
    }
    fn set_available(&self, available: bool);
    fn reply(&self, hook: &str, remote: &str, text: &str) -> Delivery;
    fn close(&self, hook: &str, remote: &str) -> Delivery;
    fn forgeries(&self, hook: &str, genuine: &Delivery) -> Vec<(&'static str, Delivery)>;
    fn handed_over(&self) -> bool;
    fn check_handover(&self, remote: &Remote);
    fn check_forward(&self, text: &str);
    fn check_anonymous(&self, remote: &Remote);
    fn trouble_recovering(&self);
    fn check_recovered(&self, remote: &Remote);
    fn takes_files(&self) -> bool;
    fn attached(&self) -> Vec<Attached>;
}

impl<V: Row> Helpdesk for Sim<V> {
    fn profile(&self) -> &'static Profile {
        V::PROFILE
    }

    fn traffic(&self) -> &Traffic {
        &self.traffic
    }

    fn settings(&self) -> String {
        site_settings(V::PROFILE.name, &V::base_url(self), &V::provider_settings(self), &V::webhook_settings())
    }

    fn remotes(&self) -> Vec<Remote> {
        V::remotes(self)
    }

    fn set_available(&self, available: bool) {
        V::set_available(self, available)
    }

    fn reply(&self, hook: &str, remote: &str, text: &str) -> Delivery {
        V::reply(self, hook, remote, text)
    }

    fn close(&self, hook: &str, remote: &str) -> Delivery {
        V::close(hook, remote)
    }

    fn forgeries(&self, hook: &str, genuine: &Delivery) -> Vec<(&'static str, Delivery)> {
        V::forgeries(hook, genuine)
    }

    fn handed_over(&self) -> bool {
        V::handed_over(self)
    }

    fn check_handover(&self, remote: &Remote) {
        V::check_handover(self, remote)
    }

    fn check_forward(&self, text: &str) {
        V::check_forward(self, text)
    }

    fn check_anonymous(&self, remote: &Remote) {
        V::check_anonymous(self, remote)
    }

    fn trouble_recovering(&self) {
        V::trouble_recovering(self)
    }

    fn check_recovered(&self, remote: &Remote) {
        V::check_recovered(self, remote)
    }

    fn takes_files(&self) -> bool {
        V::TAKES_FILES
    }

    fn attached(&self) -> Vec<Attached> {
        V::attached(self)
    }
}

/// Every row's simulator, started; only those named in `BATON_HELPDESKS` (comma-separated)
/// when it is set.
pub async fn start_all() -> Vec<Arc<dyn Helpdesk>> {
    let only = std::env::var("BATON_HELPDESKS").ok();
    let wanted = |name: &str| only.as_deref().is_none_or(|only| only.split(',').any(|n| n.trim() == name));
    let all: Vec<Arc<dyn Helpdesk>> = vec![
        Arc::new(Sim::<crate::sim::intercom::Inner>::start().await),
        Arc::new(Sim::<crate::sim::zendesk_messaging::Inner>::start().await),
        Arc::new(Sim::<crate::sim::zendesk_support::Inner>::start().await),
        Arc::new(Sim::<crate::sim::hubspot::Inner>::start().await),
        Arc::new(Sim::<crate::sim::freshchat::Inner>::start().await),
        Arc::new(Sim::<crate::sim::freshdesk::Inner>::start().await),
        Arc::new(Sim::<crate::sim::gorgias::Inner>::start().await),
    ];
    all.into_iter().filter(|desk| wanted(desk.profile().name)).collect()
}

/// Runs `scenario` against every helpdesk at once; fails naming each helpdesk it failed for.
pub async fn everywhere<F, Fut>(scenario: F)
where
    F: Fn(Arc<dyn Helpdesk>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let runs: Vec<_> =
        start_all().await.into_iter().map(|desk| (desk.profile().name, tokio::spawn(scenario(desk)))).collect();
    let mut failed = Vec::new();
    for (name, run) in runs {
        if let Err(error) = run.await {
            let message = match error.try_into_panic() {
                Ok(panic) => panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default(),
                Err(error) => error.to_string(),
            };
            failed.push(format!("{name}: {message}"));
        }
    }
    assert!(failed.is_empty(), "failed for {} helpdesk(s):\n{}", failed.len(), failed.join("\n"));
}

/// The site's `[provider]` and `[webhooks.<name>]` tables (TOML) for helpdesk `name` at
/// `base_url`: its `provider` and `webhook` lines, with the 2 s timeout the scenarios use.
pub fn site_settings(name: &str, base_url: &str, provider: &str, webhook: &str) -> String {
    format!(
        "[provider]\nkind = \"{name}\"\nbase_url = \"{base_url}\"\ntimeout_seconds = 2\n{provider}\n\n\
         [webhooks.{name}]\n{webhook}"
    )
}

/// The forgeries of a delivery whose proof is a secret in `header`: another secret, none, an
/// empty one.
pub fn secret_header_forgeries(header: &str, genuine: &Delivery) -> Vec<(&'static str, Delivery)> {
    vec![
        ("another secret", genuine.clone().with(header, "not-the-webhook-secret")),
        ("no secret header", genuine.clone().without(header)),
        ("an empty secret", genuine.clone().with(header, "")),
    ]
}

/// Merges the TOML tables `toml` into `site` (a site's configuration), as a `baton.toml` would
/// set them; tables replace tables of the same name, except that `webhooks` is merged per helpdesk.
pub fn configure<T: Serialize + DeserializeOwned>(site: &mut T, toml: &str) {
    let mut merged = toml::Value::try_from(&*site).expect("site as TOML");
    let tables: toml::Table = toml.parse().expect("settings are TOML");
    for (key, value) in tables {
        match (merged.get_mut(&key), value) {
            (Some(toml::Value::Table(existing)), toml::Value::Table(new)) if key == "webhooks" => existing.extend(new),
            (_, value) => {
                merged.as_table_mut().expect("a site is a table").insert(key, value);
            }
        }
    }
    *site = merged.try_into().expect("settings the relay accepts");
}

/// `text` with its lines as HTML paragraphs (`<p>..</p>`), as HTML-bodied helpdesks send replies.
pub fn paragraphs(text: &str) -> String {
    text.lines().map(|line| format!("<p>{line}</p>")).collect()
}
