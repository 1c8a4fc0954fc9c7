//! Freshdesk's row: a ticket whose HTML description is the summary, the visitor its requester
//! (the configured fallback without an email); follow-ups are public incoming notes, HTML
//! escaped; webhooks are automation rules with a secret header.

use serde_json::Value;

use super::{By, Entry, Kind, Profile, Remote, Row};
use crate::sim::{freshdesk::*, Delivery};

/// Freshdesk's HTML bodies as the text they show.
fn shown(html: &str) -> String {
    html.replace("<br>", "\n").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&")
}

/// `text` as Freshdesk writes it: escaped; the editor also breaks lines with `<br>` in a `<div>`.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn notes(ticket: &Value) -> Vec<Value> {
    ticket["notes"].as_array().cloned().unwrap_or_default()
}

impl Row for Inner {
    const PROFILE: &'static Profile = &Profile {
        name: "freshdesk",
        kind: Kind::Ticket,
        agent_name: AGENT_NAME,
        availability: Some("GET /api/v2/agents"),
        open_call: "POST /api/v2/tickets",
        forward_echoes: true,
        close_echo: "Resolved",
        rating: true,
    };

    /// The agents' availability asked.
    fn provider_settings(_sim: &Freshdesk) -> String {
        format!(
            r#"
            api_key = "{API_KEY}"
            fallback_email = "{FALLBACK_EMAIL}"
            tags = ["bot_handover"]
            subject_prefix = "Chat handover"
            priority = 2
            source = 7
            note_as_requester = true
            resolve_on_cancel = true
            availability_check = true
            "#
        )
    }

    fn webhook_settings() -> String {
        format!(
            r#"
            header = "{WEBHOOK_HEADER}"
            secret = "{WEBHOOK_SECRET}"
            ignore_agents = ["{API_AGENT_NAME}"]
            "#
        )
    }

    fn remotes(sim: &Freshdesk) -> Vec<Remote> {
        let inner = sim.inner.lock().unwrap();
        let email = |id: &Value| inner.contacts.iter().find(|c| c["id"] == *id)?["email"].as_str().map(str::to_owned);
        let note = |n: &Value| Entry {
            text: shown(n["body"].as_str().unwrap_or_default()),
            by: if n["incoming"] == true { By::Visitor } else { By::Baton },
            internal: n["private"] == true,
        };
        let remote = |t: &Value| {
            let description = shown(t["description"].as_str().unwrap_or_default());
            let description = Entry { text: description, by: By::Baton, internal: false };
            Remote {
                id: t["id"].to_string(),
                entries: std::iter::once(description).chain(notes(t).iter().map(note)).collect(),
                closed: t["status"].as_u64().is_some_and(|s| s >= 4),
                contact: email(&t["requester_id"]),
            }
        };
        inner.tickets.iter().map(remote).collect()
    }

    fn set_available(sim: &Freshdesk, available: bool) {
        sim.inner.lock().unwrap().agents_available = available;
    }

    fn reply(_sim: &Freshdesk, hook: &str, remote: &str, text: &str) -> Delivery {
        let html = format!("<div>{}</div>", escaped(text).replace('"', "&quot;").replace('\n', "<br>"));
        Freshdesk::sign_webhook(hook, Freshdesk::reply_body(remote, &html, AGENT_NAME))
    }

    fn close(hook: &str, remote: &str) -> Delivery {
        Freshdesk::sign_webhook(hook, Freshdesk::resolved_body(remote))
    }

    fn forgeries(_hook: &str, genuine: &Delivery) -> Vec<(&'static str, Delivery)> {
        super::secret_header_forgeries(WEBHOOK_HEADER, genuine)
    }

    /// Ada is the requester; the description is HTML; open, from the chat, tagged, with a subject.
    fn check_handover(sim: &Freshdesk, _remote: &Remote) {
        let ticket = sim.last_ticket().expect("ticket");
        let contact = sim.inner.lock().unwrap().contacts.iter().find(|c| c["id"] == ticket["requester_id"]).cloned();
        assert_eq!(contact.expect("the requester")["name"], "Ada", "{ticket}");
        assert!(ticket["description"].as_str().unwrap().contains("<br>"), "HTML, line breaks kept: {ticket}");
        assert_eq!((ticket["status"].as_u64(), ticket["source"].as_u64()), (Some(2), Some(7)));
        assert!(ticket["tags"].as_array().unwrap().iter().any(|t| t == "bot_handover"), "{ticket}");
        assert!(ticket["subject"].as_str().unwrap().starts_with("Chat handover"), "{ticket}");
    }

    /// A public, incoming note by the requester, its text HTML-escaped.
    fn check_forward(sim: &Freshdesk, text: &str) {
        let ticket = sim.last_ticket().expect("ticket");
        let note = notes(&ticket).into_iter().find(|n| n["body"] == escaped(text)).expect("the forward, escaped");
        assert_eq!((note["private"].as_bool(), note["incoming"].as_bool()), (Some(false), Some(true)));
        assert_eq!(note["user_id"], ticket["requester_id"]);
    }

    /// The configured fallback requester stands in.
    fn check_anonymous(_sim: &Freshdesk, remote: &Remote) {
        assert_eq!(remote.contact.as_deref(), Some(FALLBACK_EMAIL));
    }
}
