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
    prism::handover(email, &["I need a refund for order 1234"])
}

#[tokio::test]
async fn availability_reads_the_admins() {
    assert_eq!(connector().available().await, Ok(true));
}

/// The handover: contact search (by email, then external id), lead creation, conversation as
/// the lead, summary note. Intercom's own 2.11 file declares `from.id` of
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
    intercom.close(&thread, CloseReason::Left).await.expect("note by the bot admin");
    intercom.close(&thread, CloseReason::Cancelled).await.expect("close by the bot admin");
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
