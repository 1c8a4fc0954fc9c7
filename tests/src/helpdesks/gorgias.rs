//! Gorgias's row: an API-channel ticket whose first message is the summary from the visitor (a
//! customer found or made from the email, the configured fallback without one); follow-ups are
//! incoming messages, the cancel notice an internal note; webhooks are HTTP integrations with a
//! secret header.

use serde_json::Value;

use super::{By, Entry, Kind, Profile, Remote, Row};
use crate::sim::{gorgias::*, next_number, Delivery};

fn messages(ticket: &Value) -> Vec<Value> {
    ticket["messages"].as_array().cloned().unwrap_or_default()
}

impl Row for Inner {
    const PROFILE: &'static Profile = &Profile {
        name: "gorgias",
        kind: Kind::Ticket,
        agent_name: AGENT_NAME,
        // No availability or business-hours endpoint is known.
        availability: None,
        open_call: "POST /api/tickets",
        forward_echoes: true,
        close_echo: "ticket-updated",
        rating: true,
    };

    fn provider_settings(_sim: &Gorgias) -> String {
        format!(
            r#"
            email = "{EMAIL}"
            api_key = "{API_KEY}"
            fallback_email = "{FALLBACK_EMAIL}"
            tags = ["bot_handover"]
            send_tags = true
            subject_prefix = "Chat handover"
            note_user_id = {AGENT}
            close_on_cancel = true
            "#
        )
    }

    fn webhook_settings() -> String {
        format!(
            r#"
            header = "{WEBHOOK_HEADER}"
            secret = "{WEBHOOK_SECRET}"
            "#
        )
    }

    fn remotes(sim: &Gorgias) -> Vec<Remote> {
        let inner = sim.inner.lock().unwrap();
        let email = |id: &Value| inner.customers.iter().find(|c| c["id"] == *id)?["email"].as_str().map(str::to_owned);
        let entry = |m: &Value| {
            let internal = m["channel"] == "internal-note";
            let text = m["body_text"].as_str().unwrap_or_default().to_string();
            Entry { text, by: if internal { By::Baton } else { By::Visitor }, internal }
        };
        let remote = |t: &Value| Remote {
            id: t["id"].to_string(),
            entries: messages(t).iter().map(entry).collect(),
            closed: t["status"] == "closed",
            contact: email(&t["customer"]["id"]),
        };
        inner.tickets.iter().map(remote).collect()
    }

    fn reply(_sim: &Gorgias, hook: &str, remote: &str, text: &str) -> Delivery {
        Gorgias::sign_webhook(hook, Gorgias::agent_reply_body(remote, next_number(), text))
    }

    fn close(hook: &str, remote: &str) -> Delivery {
        Gorgias::sign_webhook(hook, Gorgias::updated_body(remote, "closed"))
    }

    fn forgeries(_hook: &str, genuine: &Delivery) -> Vec<(&'static str, Delivery)> {
        super::secret_header_forgeries(WEBHOOK_HEADER, genuine)
    }

    /// Ada is the customer; tagged (by name), with a subject.
    fn check_handover(sim: &Gorgias, _remote: &Remote) {
        let ticket = sim.last_ticket().expect("ticket");
        let customer =
            sim.inner.lock().unwrap().customers.iter().find(|c| c["id"] == ticket["customer"]["id"]).cloned();
        assert_eq!(customer.expect("the customer")["name"], "Ada", "{ticket}");
        assert!(ticket["tags"].as_array().unwrap().iter().any(|t| t["name"] == "bot_handover"), "{ticket}");
        assert!(ticket["subject"].as_str().unwrap().starts_with("Chat handover"), "{ticket}");
    }

    /// An incoming message from the customer, with Baton's id as its external id.
    fn check_forward(sim: &Gorgias, text: &str) {
        let ticket = sim.last_ticket().expect("ticket");
        let forward = messages(&ticket).into_iter().find(|m| m["body_text"] == text).expect("the forward");
        assert_eq!(
            (&forward["sender"]["id"], &forward["from_agent"]),
            (&ticket["customer"]["id"], &Value::Bool(false))
        );
        assert!(forward["external_id"].as_str().unwrap().starts_with("baton-"), "{forward}");
    }

    /// The configured fallback customer stands in.
    fn check_anonymous(_sim: &Gorgias, remote: &Remote) {
        assert_eq!(remote.contact.as_deref(), Some(FALLBACK_EMAIL));
    }
}
