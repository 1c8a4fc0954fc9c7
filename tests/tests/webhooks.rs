//! Webhook ingress against the real relay: signed deliveries are acknowledged at once and
//! processed once, forged, stale and unreadable ones are refused with the right status.
//! Processing is observed through the de-duplication table on the same SQLite file.

use std::time::{Duration, Instant};

use baton_tests::{
    sim::{hmac_sha1_hex, hmac_sha256_base64 as hmac256},
    test_config, TestDb, TestRelay,
};
use relay::connectors::ProviderKind;
use serde_json::{json, Value};

const INTERCOM_SECRET: &str = "test_client_secret";
const ZENDESK_SECRET: &str = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==";
const HUBSPOT_SECRET: &str = "test-client-secret";
const SUNSHINE_SECRET: &str = "8564b3e6a8b20a4bdb68b05ce9bc5936";

/// The demo site with every verifier configured, and the URL of `helpdesk`'s webhook there.
async fn relay(db: &TestDb, helpdesk: &str) -> (TestRelay, String) {
    let mut config = test_config(db);
    let settings = format!(
        r#"
        [webhooks.intercom]
        client_secret = "{INTERCOM_SECRET}"
        bot_admin_id = "991267459"

        [webhooks.zendesk_support]
        signing_secret = "{ZENDESK_SECRET}"
        timestamp_window_seconds = 300
        api_user_id = "900"

        [webhooks.hubspot]
        client_secret = "{HUBSPOT_SECRET}"

        [webhooks.zendesk_messaging]
        secret = "{SUNSHINE_SECRET}"

        [webhooks.freshdesk]
        secret = "fd-secret"
        "#
    );
    baton_tests::helpdesks::configure(config.sites.get_mut("demo").expect("demo site"), &settings);
    let relay = TestRelay::start_with(config).await;
    let hook = format!("{}/webhooks/{helpdesk}/demo", relay.http_url());
    (relay, hook)
}

fn intercom_reply(part_id: &str) -> String {
    json!({"type": "notification_event", "app_id": "q8sn4hth", "id": format!("notif_{part_id}"),
        "topic": "conversation.admin.replied", "delivery_attempts": 1, "created_at": 1719492901,
        "data": {"type": "notification_event_data", "item": {"type": "conversation", "id": "363", "state": "open",
            "conversation_parts": {"type": "conversation_part.list", "total_count": 1, "conversation_parts": [
                {"type": "conversation_part", "id": part_id, "part_type": "comment", "body": "<p>Hi Ada, I can help.</p>",
                 "author": {"type": "admin", "id": "991267594", "name": "Ciaran Lee"}}]}}}})
    .to_string()
}

fn intercom_signature(body: &str) -> String {
    format!("sha1={}", hmac_sha1_hex(INTERCOM_SECRET, body))
}

/// POSTs `body` with `headers`; (status, JSON answer, time to the answer).
async fn post(url: &str, headers: &[(&str, String)], body: &str) -> (u16, Value, Duration) {
    let mut request = reqwest::Client::new().post(url).body(body.to_string());
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let started = Instant::now();
    let response = request.send().await.expect("deliver");
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    let answer = response.json().await.unwrap_or(Value::Null);
    (status, answer, elapsed)
}

/// Waits until the relay has recorded `n` deliveries of the event (processing happens after
/// the acknowledgement).
async fn deliveries(db: &TestDb, provider: ProviderKind, event_id: &str, n: u32) -> u32 {
    let store = relay::store::connect(&db.url).await.expect("store");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let seen = store.webhook_deliveries(provider, event_id).await.expect("read");
        if seen >= n || Instant::now() > deadline {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn signed_intercom_reply_is_acknowledged_at_once_and_processed_once() {
    let db = TestDb::new();
    let (relay, url) = relay(&db, "intercom").await;
    let body = intercom_reply("9001");
    let headers = [("X-Hub-Signature", intercom_signature(&body))];
    let (status, answer, elapsed) = post(&url, &headers, &body).await;
    println!("intercom delivery acknowledged in {elapsed:?}");
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["received"], 1);
    assert!(elapsed < Duration::from_secs(1), "acknowledged in {elapsed:?}");
    assert_eq!(deliveries(&db, ProviderKind::Intercom, "part:9001", 1).await, 1);

    // The same delivery again (a retry or a replay): acknowledged, recorded, not processed again.
    let (status, _, elapsed) = post(&url, &headers, &body).await;
    println!("replayed delivery acknowledged in {elapsed:?}");
    assert_eq!(status, 200);
    assert_eq!(deliveries(&db, ProviderKind::Intercom, "part:9001", 2).await, 2);
    // No conversation was handed to Intercom as 9001 (yet): the event is kept, once, to be
    // tried again, not dropped.
    let store = relay::store::connect(&db.url).await.expect("store");
    let left = store.pending_events(10).await.unwrap();
    assert_eq!(left.len(), 1, "stored once, waiting for its conversation: {left:?}");
    assert_eq!(left[0].event_id, "part:9001");
    relay.stop().await;
}

#[tokio::test]
async fn forged_missing_and_malformed_deliveries_are_refused() {
    let db = TestDb::new();
    let (relay, url) = relay(&db, "intercom").await;
    let body = intercom_reply("9002");

    let tampered = body.replace("help", "hack");
    let (status, answer, _) = post(&url, &[("X-Hub-Signature", intercom_signature(&body))], &tampered).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (401, Some("invalid_signature")), "{answer}");
    let (status, answer, _) = post(&url, &[], &body).await;
    assert_eq!(status, 401);
    assert!(answer["error"]["message"].as_str().unwrap().contains("X-Hub-Signature"), "{answer}");
    let (status, _, _) = post(&url, &[("X-Hub-Signature", "sha1=00".into())], &body).await;
    assert_eq!(status, 401);
    assert_eq!(deliveries(&db, ProviderKind::Intercom, "part:9002", 0).await, 0, "nothing refused is processed");

    // Signed but not JSON: 400.
    let garbage = "{\"topic\": ";
    let (status, answer, _) = post(&url, &[("X-Hub-Signature", intercom_signature(garbage))], garbage).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (400, Some("malformed_payload")), "{answer}");

    // Intercom's ping: 200, nothing to deliver.
    let ping = r#"{"type":"notification_event","topic":"ping","data":{"type":"notification_event_data","item":{"type":"ping","message":"hello"}}}"#;
    let (status, answer, _) = post(&url, &[("X-Hub-Signature", intercom_signature(ping))], ping).await;
    assert_eq!((status, answer["received"].as_u64()), (200, Some(0)));

    // Unknown helpdesk, unknown site, a helpdesk the site did not configure: 404.
    for path in ["/webhooks/nope/demo", "/webhooks/intercom/nope", "/webhooks/gorgias/demo"] {
        let (status, _, _) = post(&format!("{}{path}", relay.http_url()), &[], "{}").await;
        assert_eq!(status, 404, "{path}");
    }
    let probe = reqwest::get(&url).await.expect("probe");
    assert_eq!(probe.status().as_u16(), 200);
    relay.stop().await;
}

#[tokio::test]
async fn zendesk_support_signature_and_timestamp_window() {
    let db = TestDb::new();
    let (relay, url) = relay(&db, "zendesk_support").await;
    let body =
        r#"{"ticket_id":"35436","comment":"We are on it.","author_id":"501","author_name":"Sam","event_id":"zd-1"}"#;
    let now = iso_now();
    let headers = |timestamp: &str, signature: String| {
        [("X-Zendesk-Webhook-Signature", signature), ("X-Zendesk-Webhook-Signature-Timestamp", timestamp.to_string())]
    };
    let (status, answer, elapsed) = post(&url, &headers(&now, hmac256(ZENDESK_SECRET, &[&now, body])), body).await;
    println!("zendesk delivery acknowledged in {elapsed:?}");
    assert_eq!(status, 200, "{answer}");
    assert_eq!(deliveries(&db, ProviderKind::ZendeskSupport, "zd-1", 1).await, 1);

    // Correctly signed, but an hour old: refused.
    let old = "2024-01-01T00:00:00Z";
    let (status, answer, _) = post(&url, &headers(old, hmac256(ZENDESK_SECRET, &[old, body])), body).await;
    assert_eq!(status, 401);
    assert!(answer["error"]["message"].as_str().unwrap().contains("window"), "{answer}");
    let (status, _, _) = post(&url, &headers(&now, hmac256("wrong", &[&now, body])), body).await;
    assert_eq!(status, 401);
    relay.stop().await;
}

#[tokio::test]
async fn hubspot_v3_with_the_url_it_called_and_a_fresh_timestamp() {
    let db = TestDb::new();
    let (relay, url) = relay(&db, "hubspot").await;
    let body = json!([{"eventId": 77, "subscriptionType": "conversation.propertyChange", "objectId": 6065362089u64,
        "propertyName": "status", "propertyValue": "CLOSED"}])
    .to_string();
    let sign = |timestamp: i64| {
        let ts = timestamp.to_string();
        [
            ("X-HubSpot-Signature-v3", hmac256(HUBSPOT_SECRET, &["POST", &url, &body, &ts])),
            ("X-HubSpot-Request-Timestamp", ts),
        ]
    };
    let now_ms = chrono::Utc::now().timestamp_millis();
    let (status, answer, elapsed) = post(&url, &sign(now_ms), &body).await;
    println!("hubspot delivery acknowledged in {elapsed:?}");
    assert_eq!(status, 200, "{answer}");
    assert_eq!(deliveries(&db, ProviderKind::Hubspot, "event:77", 1).await, 1);
    let (status, _, _) = post(&url, &sign(now_ms - 301_000), &body).await;
    assert_eq!(status, 401, "older than five minutes");
    relay.stop().await;
}

#[tokio::test]
async fn shared_secret_providers() {
    let db = TestDb::new();
    let (relay, sunshine) = relay(&db, "zendesk_messaging").await;
    let body = json!({"app": {"id": "a"}, "webhook": {"id": "w", "version": "v2"}, "events": [
        {"id": "ev-1", "type": "switchboard:releaseControl", "payload": {"conversation": {"id": "c1"}, "reason": "ticketClosed"}}]})
    .to_string();
    let (status, _, _) = post(&sunshine, &[("X-API-Key", SUNSHINE_SECRET.into())], &body).await;
    assert_eq!(status, 200);
    assert_eq!(deliveries(&db, ProviderKind::ZendeskMessaging, "ev-1", 1).await, 1);
    let (status, _, _) = post(&sunshine, &[("X-API-Key", "guess".into())], &body).await;
    assert_eq!(status, 401);

    let freshdesk = format!("{}/webhooks/freshdesk/demo", relay.http_url());
    let body = r#"{"event":"closed","ticket_id":"4521","status":"Resolved","event_id":"fd-1"}"#;
    let (status, _, _) = post(&freshdesk, &[("X-Baton-Webhook-Secret", "fd-secret".into())], body).await;
    assert_eq!(status, 200);
    assert_eq!(deliveries(&db, ProviderKind::Freshdesk, "fd-1", 1).await, 1);
    let (status, _, _) = post(&freshdesk, &[], body).await;
    assert_eq!(status, 401);
    relay.stop().await;
}

/// Now as ISO-8601 UTC, the format Zendesk is observed to send.
fn iso_now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}
