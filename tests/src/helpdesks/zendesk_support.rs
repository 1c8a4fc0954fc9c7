//! Zendesk Support's row: a ticket whose first comment is the private summary, the visitor its
//! requester; follow-ups are public comments; webhooks are two triggers signed HMAC-SHA256 over
//! timestamp and body; the agent solving the ticket closes it.

use serde_json::Value;

use super::{By, Entry, Kind, Profile, Remote, Row};
use crate::sim::{zendesk_support::*, Delivery};

fn comments(ticket: &Value) -> Vec<Value> {
    ticket["comments"].as_array().cloned().unwrap_or_default()
}

impl Row for Inner {
    const PROFILE: &'static Profile = &Profile {
        name: "zendesk_support",
        kind: Kind::Ticket,
        agent_name: AGENT_NAME,
        availability: Some("GET /api/v2/agent_availabilities"),
        open_call: "POST /api/v2/tickets",
        forward_echoes: true,
        close_echo: "solved",
        rating: true,
    };

    /// OAuth, the Agent Availability API asked.
    fn provider_settings(_sim: &ZendeskSupport) -> String {
        format!(
            r#"
            oauth_token = "{OAUTH_TOKEN}"
            tags = ["bot_handover"]
            subject_prefix = "Chat handover"
            priority = "normal"
            public_summary = false
            idempotency_key = true
            solve_on_cancel = true
            availability_channel = "support:online"
            "#
        )
    }

    fn webhook_settings() -> String {
        format!(
            r#"
            signing_secret = "{SIGNING_SECRET}"
            timestamp_window_seconds = 300
            api_user_id = "{API_USER}"
            "#
        )
    }

    fn remotes(sim: &ZendeskSupport) -> Vec<Remote> {
        let inner = sim.inner.lock().unwrap();
        let email = |id: &Value| inner.users.iter().find(|u| u["id"] == *id)?["email"].as_str().map(str::to_owned);
        let entry = |c: &Value| {
            let public = c["public"] == true;
            let text = c["body"].as_str().unwrap_or_default().to_string();
            Entry { text, by: if public { By::Visitor } else { By::Baton }, internal: !public }
        };
        let remote = |t: &Value| Remote {
            id: t["id"].to_string(),
            entries: comments(t).iter().map(entry).collect(),
            closed: t["status"] == "solved" || t["status"] == "closed",
            contact: email(&t["requester_id"]),
        };
        inner.tickets.iter().map(remote).collect()
    }

    fn set_available(sim: &ZendeskSupport, available: bool) {
        sim.inner.lock().unwrap().agents_online = available;
    }

    fn reply(_sim: &ZendeskSupport, hook: &str, remote: &str, text: &str) -> Delivery {
        ZendeskSupport::sign_webhook(
            hook,
            ZendeskSupport::comment_body(remote, "open", text, AGENT, AGENT_NAME, "agent"),
        )
    }

    fn close(hook: &str, remote: &str) -> Delivery {
        ZendeskSupport::sign_webhook(hook, ZendeskSupport::solved_body(remote, AGENT))
    }

    fn forgeries(_hook: &str, genuine: &Delivery) -> Vec<(&'static str, Delivery)> {
        let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let body = genuine.body.clone();
        vec![
            (
                "signed with another secret",
                ZendeskSupport::signed("bm90LXRoZS1zaWduaW5nLXNlY3JldA==", &now, body.clone()),
            ),
            ("unsigned", genuine.clone().without("x-zendesk-webhook-signature")),
            ("a changed body", genuine.clone().with_body(body.replacen('{', "{ ", 1))),
            ("stale", ZendeskSupport::signed(SIGNING_SECRET, "2024-01-01T00:00:00Z", body)),
        ]
    }

    /// The requester is Ada; the summary is the first, private, comment; tags, subject and
    /// Baton's external id.
    fn check_handover(sim: &ZendeskSupport, _remote: &Remote) {
        let ticket = sim.last_ticket().expect("ticket");
        let requester = sim.inner.lock().unwrap().users.iter().find(|u| u["id"] == ticket["requester_id"]).cloned();
        assert_eq!(requester.expect("the requester")["name"], "Ada", "{ticket}");
        assert_eq!(comments(&ticket)[0]["public"], false, "the summary is internal: {ticket}");
        assert!(ticket["tags"].as_array().unwrap().iter().any(|t| t == "bot_handover"), "{ticket}");
        assert!(ticket["subject"].as_str().unwrap().starts_with("Chat handover"), "{ticket}");
        assert!(ticket["external_id"].as_str().unwrap().starts_with("baton-"), "{ticket}");
    }

    /// A public comment by the requester.
    fn check_forward(sim: &ZendeskSupport, text: &str) {
        let ticket = sim.last_ticket().expect("ticket");
        let forward = comments(&ticket).into_iter().find(|c| c["body"] == text).expect("the forward");
        assert_eq!((&forward["public"], &forward["author_id"]), (&Value::Bool(true), &ticket["requester_id"]));
    }

    /// No end user is made up; the API user stands in as the requester.
    fn check_anonymous(sim: &ZendeskSupport, _remote: &Remote) {
        let ticket = sim.last_ticket().expect("ticket");
        assert_eq!(ticket["requester_id"], API_USER, "{ticket}");
        assert!(sim.inner.lock().unwrap().users.is_empty());
    }

    /// The create's answer is lost once: its retry, with the same `Idempotency-Key`, gets the
    /// same ticket back (one ticket, checked by the scenario).
    fn trouble_recovering(sim: &ZendeskSupport) {
        sim.inner.lock().unwrap().lose_next_create_answer = true;
    }
}
