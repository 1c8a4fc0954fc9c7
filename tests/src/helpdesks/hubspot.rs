//! HubSpot's row: a live chat on a custom channel, where everything Baton writes is an INCOMING
//! message from the visitor, the summary first, on one `integrationThreadId`; webhooks signed v3
//! over method, URL, body and timestamp.

use serde_json::json;

use super::{By, Entry, Kind, Profile, Remote, Row};
use crate::sim::{hubspot::*, Delivery};

fn newest(sim: &Hubspot) -> Thread {
    sim.last_thread().expect("a thread")
}

impl Row for Inner {
    const PROFILE: &'static Profile = &Profile {
        name: "hubspot",
        kind: Kind::LiveChat,
        agent_name: AGENT_NAME,
        // No agent-online API: HubSpot's routing decides.
        availability: None,
        open_call: "POST /conversations/v3/custom-channels/1001/messages",
        // HubSpot's webhooks report Baton's closes, not the visitor messages it writes.
        forward_echoes: false,
        close_echo: "CLOSED",
        rating: false,
    };

    fn provider_settings(_sim: &Hubspot) -> String {
        format!(
            r#"
            access_token = "{TOKEN}"
            channel_id = "{CHANNEL}"
            channel_account_id = "{CHANNEL_ACCOUNT}"
            channel_account_identifier = "website-chat"
            custom_channels_path = "/conversations/v3/custom-channels"
            close_on_cancel = true
            visitor_name = "Website visitor"
            "#
        )
    }

    /// No public URL: the relay rebuilds the URL HubSpot signed from the Host header.
    fn webhook_settings() -> String {
        format!(
            r#"
            client_secret = "{CLIENT_SECRET}"
            legacy_signatures = false
            "#
        )
    }

    fn remotes(sim: &Hubspot) -> Vec<Remote> {
        let entry = |m: &serde_json::Value| Entry {
            text: m["text"].as_str().unwrap_or_default().to_string(),
            by: By::Visitor,
            internal: false,
        };
        let email = |t: &Thread| {
            let sender = &t.messages.first()?["senders"][0]["deliveryIdentifier"];
            (sender["type"] == "HS_EMAIL_ADDRESS").then(|| sender["value"].as_str().map(str::to_owned)).flatten()
        };
        let threads = sim.inner.lock().unwrap().threads.clone();
        let remote = |t: &Thread| Remote {
            id: t.id.clone(),
            entries: t.messages.iter().map(entry).collect(),
            closed: t.status == "CLOSED",
            contact: email(t),
        };
        threads.iter().map(remote).collect()
    }

    fn reply(sim: &Hubspot, hook: &str, remote: &str, text: &str) -> Delivery {
        let thread = sim.inner.lock().unwrap().threads.iter().find(|t| t.id == remote).cloned().expect("the thread");
        Hubspot::sign_webhook(hook, Hubspot::reply_body(&thread, &format!("{:x}", event_number()), text))
    }

    fn close(hook: &str, remote: &str) -> Delivery {
        Hubspot::sign_webhook(hook, Hubspot::closed_body(remote, event_number(), "USER"))
    }

    fn forgeries(hook: &str, genuine: &Delivery) -> Vec<(&'static str, Delivery)> {
        let now = chrono::Utc::now().timestamp_millis();
        let (signed_now, body) = (now.to_string(), genuine.body.clone());
        vec![
            ("signed with another secret", Hubspot::signed("not-the-client-secret", hook, &signed_now, body.clone())),
            ("unsigned", genuine.clone().without("x-hubspot-signature-v3")),
            (
                "signed for another URL",
                Hubspot::signed(CLIENT_SECRET, "https://evil.example/hook", &signed_now, body.clone()),
            ),
            ("a changed body", genuine.clone().with_body(body.replacen('{', "{ ", 1))),
            ("older than five minutes", Hubspot::signed(CLIENT_SECRET, hook, &(now - 301_000).to_string(), body)),
        ]
    }

    /// The summary first, sent as Ada by email to the channel account, on Baton's thread id.
    fn check_handover(sim: &Hubspot, remote: &Remote) {
        let thread = newest(sim);
        let first = &thread.messages[0];
        assert!(remote.entries[0].text.contains("40123"), "the summary comes first: {remote:?}");
        assert_eq!((first["messageDirection"].as_str(), first["type"].as_str()), (Some("INCOMING"), Some("MESSAGE")));
        assert_eq!(
            first["senders"][0],
            json!({"name": "Ada", "deliveryIdentifier": {"type": "HS_EMAIL_ADDRESS", "value": "ada@example.com"}})
        );
        assert_eq!(first["recipients"][0]["deliveryIdentifier"]["value"], "website-chat");
        assert!(first["integrationThreadId"].as_str().unwrap().starts_with("baton-"), "{first}");
    }

    /// The same thread, a new idempotency id.
    fn check_forward(sim: &Hubspot, text: &str) {
        let thread = newest(sim);
        let first = &thread.messages[0];
        let forward = thread.messages.iter().find(|m| m["text"] == text).expect("the forward");
        assert_eq!(forward["integrationThreadId"], first["integrationThreadId"]);
        assert_ne!(forward["integrationIdempotencyId"], first["integrationIdempotencyId"]);
    }

    /// The visitor is sent by Baton's opaque id.
    fn check_anonymous(sim: &Hubspot, remote: &Remote) {
        let thread = newest(sim);
        assert_eq!(thread.messages[0]["senders"][0]["deliveryIdentifier"]["type"], "CHANNEL_SPECIFIC_OPAQUE_ID");
        assert!(remote.entries[0].text.contains("Bot summary"), "the summary comes first: {remote:?}");
    }
}
