//! The Intercom connector against Prism serving Intercom's official OpenAPI file (2.11): every
//! request it makes must satisfy the vendor's contract (Prism answers 422 otherwise).

use baton_tests::prism;
use relay::connectors::{
    intercom::{Intercom, IntercomSettings},
    CloseReason, Handover, Provider, ProviderError, ProviderKind, RemoteThread,
};

fn connector() -> Intercom {
    let base_url = prism::mock("intercom-2.11.openapi.yaml");
    Intercom::new(IntercomSettings {
        base_url,
        access_token: "test-token".into(),
        version: "2.11".into(),
        admin_id: None,
        timeout_seconds: 30,
    })
    .expect("connector")
}

fn handover(email: Option<&str>) -> Handover {
    Handover { files: prism::files(), ..prism::handover(email, &["I need a refund for order 1234"]) }
}

#[tokio::test]
async fn availability_reads_the_admins() {
    assert_eq!(connector().available().await, Ok(true));
}

/// The handover: contact search (by email, then external id), lead creation, conversation as
/// the lead with the visitor's image as `attachment_urls`, summary note. Intercom's own 2.11 file declares `from.id` of
/// `create_conversation_request` as `format: uuid` while its contact ids (and its own example
/// contact) are 24-hex strings; Prism enforces the declared format. So the one violation this
/// test accepts is exactly that one, and every other request must pass untouched.
#[tokio::test]
async fn a_handover_satisfies_the_contract_but_for_the_files_own_contact_id_format() {
    let intercom = connector();
    for email in [Some("ada@example.com"), None] {
        match intercom.open(&handover(email)).await {
            Ok(thread) => assert_eq!(thread.provider, ProviderKind::Intercom),
            Err(ProviderError::Rejected(detail)) => {
                assert!(detail.starts_with("422"), "{detail}");
                let violations: serde_json::Value =
                    serde_json::from_str(detail.split_once(": ").map_or("", |(_, body)| body)).unwrap_or_default();
                let messages: Vec<&str> = violations["validation"]
                    .as_array()
                    .map_or(vec![], |v| v.iter().filter_map(|x| x["message"].as_str()).collect());
                assert_eq!(messages, vec!["Request body property from.id must match format \"uuid\""], "{detail}");
            }
            Err(other) => panic!("unexpected failure: {other}"),
        }
    }
}

#[tokio::test]
async fn forwarding_cancelling_and_leaving_satisfy_the_contract() {
    let intercom = connector();
    let thread = RemoteThread {
        provider: ProviderKind::Intercom,
        conversation: "123".into(),
        user: Some("667d60b08a68186f43bafdbf".into()),
        extra: serde_json::json!({"role": "lead"}),
    };
    intercom.forward(&thread, "My order number is 1234", "m-1").await.expect("reply as the contact");
    let files = prism::files();
    intercom.forward_files(&thread, "The receipt", &files, "m-2").await.expect("a reply with attachment_urls");
    intercom.forward_files(&thread, "", &files[..1], "m-3").await.expect("an image alone");
    intercom.close(&thread, CloseReason::Left).await.expect("note by the bot admin");
    intercom.close(&thread, CloseReason::Cancelled).await.expect("close by the bot admin");
}

/// The guard that Prism checks `attachment_urls` at all: more than ten, or something that is
/// not an address, is refused, so the connector's requests above are really checked.
#[tokio::test]
async fn attachment_urls_beyond_ten_or_not_addresses_break_the_contract() {
    let url = format!("{}/conversations/123/reply", prism::mock("intercom-2.11.openapi.yaml"));
    let reply = |urls: serde_json::Value| {
        let body = serde_json::json!({"message_type": "comment", "type": "user",
            "intercom_user_id": "667d60b08a68186f43bafdbf", "body": "x", "attachment_urls": urls});
        reqwest::Client::new().post(&url).bearer_auth("t").header("Intercom-Version", "2.11").json(&body).send()
    };
    let eleven: Vec<String> = (0..11).map(|n| format!("https://relay.example.com/a/{n}")).collect();
    assert_eq!(reply(serde_json::json!(eleven)).await.unwrap().status(), 422);
    assert_eq!(reply(serde_json::json!(["not an address"])).await.unwrap().status(), 422);
    assert_eq!(reply(serde_json::json!(eleven[..10])).await.unwrap().status(), 200);
}

#[tokio::test]
async fn a_request_breaking_the_contract_would_fail() {
    // The guard against a lenient mock: a wrong Intercom-Version is refused by Prism.
    let intercom = Intercom::new(IntercomSettings {
        base_url: prism::mock("intercom-2.11.openapi.yaml"),
        access_token: "test-token".into(),
        version: "1.0-not-a-version".into(),
        admin_id: Some("991267459".into()),
        timeout_seconds: 30,
    })
    .unwrap();
    let error = intercom.available().await.unwrap_err();
    assert!(matches!(&error, ProviderError::Rejected(d) if d.starts_with("422")), "{error}");
}
