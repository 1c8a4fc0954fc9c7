//! Attachments end to end over real HTTP and sockets against the real relay: uploads by the
//! widget's resume token, the type sniffed from the bytes, the site's size limit, signed and
//! expiring addresses, the headers that keep a file from running as a page, and files both
//! ways between a visitor and an inbox agent.

use baton_tests::{
    agent_client::{AgentApi, AgentSocket, DEMO_TOKEN},
    test_config,
    widget_client::{self, as_message, WidgetClient, PNG},
    TestDb, TestRelay,
};
use serde_json::{json, Value};
use shared::{ClientFrame, Phase, Role, ServerFrame};

async fn upload(relay: &TestRelay, token: &str, name: &str, bytes: Vec<u8>) -> (u16, Value) {
    widget_client::upload(&relay.http_url(), token, name, bytes).await
}

async fn get(url: &str) -> reqwest::Response {
    reqwest::get(url).await.expect("GET")
}

/// Where the relay keeps files: every test runs against both.
#[derive(Debug, Clone, Copy)]
enum Backend {
    Disk,
    S3,
}

/// The demo configuration keeping files on `backend` (a fresh bucket on the local moto server
/// for S3); `None`, said on stderr, when there is no S3 server to test against.
async fn config_for(db: &TestDb, backend: Backend) -> Option<relay::config::Config> {
    let mut config = test_config(db);
    if let Backend::S3 = backend {
        match baton_tests::s3::bucket().await {
            Ok(bucket) => {
                config.attachments.backend = relay::config::StorageBackend::S3;
                config.attachments.s3 = Some(bucket);
            }
            Err(why) => {
                eprintln!("SKIPPED on S3: {why}");
                return None;
            }
        }
    }
    Some(config)
}

/// Each scenario as a test on disk and a test on S3 (`disk::<name>`, `s3::<name>`).
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod disk {
            $(#[tokio::test]
            async fn $name() {
                super::$name(super::Backend::Disk).await
            })*
        }
        mod s3 {
            $(#[tokio::test]
            async fn $name() {
                super::$name(super::Backend::S3).await
            })*
        }
    };
}

on_both_backends!(
    an_image_uploads_is_sent_in_a_message_and_served_inline_with_safe_headers,
    too_large_disguised_and_unauthenticated_uploads_are_refused,
    forged_expired_and_unsigned_addresses_are_403_and_other_conversations_files_cannot_be_sent,
    files_go_both_ways_between_the_visitor_and_an_inbox_agent,
    retention_deletes_uploads_never_sent_and_keeps_sent_ones,
);

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

async fn an_image_uploads_is_sent_in_a_message_and_served_inline_with_safe_headers(backend: Backend) {
    let db = TestDb::new();
    let Some(config) = config_for(&db, backend).await else { return };
    let relay = TestRelay::start_with(config).await;
    let (mut visitor, _, token) = WidgetClient::greeted(&relay.ws_url()).await;

    let (status, uploaded) = upload(&relay, &token, "photo.png", PNG.to_vec()).await;
    assert_eq!(status, 201, "{uploaded}");
    assert_eq!(uploaded["content_type"], "image/png");
    assert_eq!(uploaded["size"], PNG.len());
    assert_eq!(uploaded["name"], "photo.png");
    let id = uploaded["id"].as_str().unwrap().to_string();
    assert!(uploaded["url"].as_str().unwrap().starts_with(&format!("/attachments/{id}?expires=")));

    // A message naming it is stored with it and comes back with a signed address.
    let send = ClientFrame::Send { client_id: "f1".into(), text: String::new(), attachments: vec![id.clone()] };
    visitor.send(&send).await;
    let (frame, _) = visitor.until(|f| as_message(f).is_some_and(|m| !m.attachments.is_empty())).await;
    let message = as_message(&frame).unwrap();
    assert_eq!(message.author.role, Role::Visitor);
    let attachment = &message.attachments[0];
    assert_eq!((attachment.id.as_str(), attachment.content_type.as_str()), (id.as_str(), "image/png"));

    let served = get(&format!("{}{}", relay.http_url(), attachment.url)).await;
    assert_eq!(served.status(), 200);
    assert_eq!(header(&served, "content-type"), "image/png");
    assert_eq!(header(&served, "x-content-type-options"), "nosniff");
    assert_eq!(header(&served, "content-security-policy"), "sandbox; default-src 'none'");
    assert!(
        header(&served, "content-disposition").starts_with("inline;"),
        "{}",
        header(&served, "content-disposition")
    );
    assert_eq!(&served.bytes().await.unwrap()[..], PNG);

    // After a reconnect the stored message carries it again, with a fresh address.
    let (mut again, _) = WidgetClient::hello(&relay.ws_url(), Some(&token), 0).await;
    let (frame, _) = again.until(|f| as_message(f).is_some_and(|m| !m.attachments.is_empty())).await;
    assert_eq!(as_message(&frame).unwrap().attachments[0].name, "photo.png");
}

async fn too_large_disguised_and_unauthenticated_uploads_are_refused(backend: Backend) {
    let db = TestDb::new();
    let Some(mut config) = config_for(&db, backend).await else { return };
    config.sites.get_mut("demo").unwrap().attachments.max_bytes = 1024;
    let relay = TestRelay::start_with(config).await;
    let (_visitor, _, token) = WidgetClient::greeted(&relay.ws_url()).await;

    let mut big = PNG.to_vec();
    big.resize(2048, 0);
    let (status, body) = upload(&relay, &token, "big.png", big).await;
    assert_eq!((status, body["error"]["code"].as_str()), (413, Some("too_large")), "{body}");

    // Pages renamed as images: the bytes decide, and they are not an allowed type.
    for (name, bytes) in [
        ("cat.png", &b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>"[..]),
        ("cat.png", b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"),
        ("notes.txt", b"see <script>alert(1)</script>"),
        ("app.pdf", b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0"),
    ] {
        let (status, body) = upload(&relay, &token, name, bytes.to_vec()).await;
        assert_eq!((status, body["error"]["code"].as_str()), (415, Some("type_not_allowed")), "{name}: {body}");
    }

    let (status, _) = upload(&relay, "not-a-token", "a.png", PNG.to_vec()).await;
    assert_eq!(status, 401);
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/sites/demo/attachments?name=a.png", relay.http_url()))
        .body(PNG.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401, "no token");

    // A plain text file is fine; it downloads, never renders.
    let (status, text) = upload(&relay, &token, "order.txt", b"Order 40123, size M".to_vec()).await;
    assert_eq!((status, text["content_type"].as_str()), (201, Some("text/plain")), "{text}");
    let served = get(&format!("{}{}", relay.http_url(), text["url"].as_str().unwrap())).await;
    assert!(
        header(&served, "content-disposition").starts_with("attachment;"),
        "{}",
        header(&served, "content-disposition")
    );
    assert_eq!(header(&served, "content-security-policy"), "sandbox; default-src 'none'");
    assert_eq!(header(&served, "x-content-type-options"), "nosniff");
}

async fn forged_expired_and_unsigned_addresses_are_403_and_other_conversations_files_cannot_be_sent(backend: Backend) {
    let db = TestDb::new();
    let Some(config) = config_for(&db, backend).await else { return };
    let relay = TestRelay::start_with(config).await;
    let (_visitor, _, token) = WidgetClient::greeted(&relay.ws_url()).await;
    let (_, uploaded) = upload(&relay, &token, "photo.png", PNG.to_vec()).await;
    let id = uploaded["id"].as_str().unwrap();
    let url = format!("{}{}", relay.http_url(), uploaded["url"].as_str().unwrap());
    assert_eq!(get(&url).await.status(), 200);

    let (base, query) = url.split_once('?').unwrap();
    let (expires, sig) = query.trim_start_matches("expires=").split_once("&sig=").unwrap();
    let expires: u64 = expires.parse().unwrap();
    let mut forged = sig.to_string();
    forged.replace_range(0..1, if sig.starts_with('A') { "B" } else { "A" });
    for bad in [
        format!("{base}?expires={expires}&sig={forged}"),
        format!("{base}?expires={}&sig={sig}", expires + 3600),
        format!("{base}?expires=1&sig={sig}"),
        base.to_string(),
        format!("{}/attachments/{}?expires={expires}&sig={sig}", relay.http_url(), "A".repeat(22)),
    ] {
        assert_eq!(get(&bad).await.status(), 403, "{bad}");
    }
    // An address signed with the right key but expired: 403 too. (Signed here as the relay
    // does, with the key a relay without `secret_key` would not share: so use a relay with one.)
    let db2 = TestDb::new();
    let Some(mut config) = config_for(&db2, backend).await else { return };
    config.secret_key = Some(relay::config::SecretKey::new("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="));
    let keyed = TestRelay::start_with(config).await;
    let (_v, _, token2) = WidgetClient::greeted(&keyed.ws_url()).await;
    let (_, uploaded2) = upload(&keyed, &token2, "photo.png", PNG.to_vec()).await;
    let id2 = uploaded2["id"].as_str().unwrap();
    let links = relay::attachments::Links::new(Some("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="));
    let past = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() - 1;
    let expired = format!("{}{}", keyed.http_url(), links.path(id2, past));
    assert_eq!(get(&expired).await.status(), 403, "expired");
    let fresh = format!("{}{}", keyed.http_url(), links.path(id2, past + 600));
    assert_eq!(get(&fresh).await.status(), 200, "the same key signs alike");

    // Another visitor cannot send this conversation's file.
    let (mut other, _, _) = WidgetClient::greeted(&relay.ws_url()).await;
    other.send(&ClientFrame::Send { client_id: "x1".into(), text: "look".into(), attachments: vec![id.into()] }).await;
    let (error, _) = other.until(|f| matches!(f, ServerFrame::Error { .. })).await;
    let ServerFrame::Error { code, client_id, .. } = error else { unreachable!() };
    assert_eq!((code, client_id.as_deref()), (shared::ErrorCode::InvalidMessage, Some("x1")));
}

async fn files_go_both_ways_between_the_visitor_and_an_inbox_agent(backend: Backend) {
    let db = TestDb::new();
    let Some(config) = config_for(&db, backend).await else { return };
    let relay = TestRelay::start_with(config).await;
    let mut agent = AgentSocket::connect(&relay.ws_base(), DEMO_TOKEN).await;
    let (mut visitor, id, token) = WidgetClient::greeted(&relay.ws_url()).await;
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_phase(Phase::Waiting).await;
    agent.send(json!({"type": "accept", "conversation_id": id})).await;
    visitor.until_phase(Phase::Agent).await;
    agent.send(json!({"type": "watch", "conversation_id": id})).await;
    agent.until("transcript", |f| f["type"] == "transcript").await;

    // The visitor's photo reaches the agent with an address the agent can open.
    let (_, uploaded) = upload(&relay, &token, "broken.png", PNG.to_vec()).await;
    let photo = uploaded["id"].as_str().unwrap().to_string();
    visitor
        .send(&ClientFrame::Send { client_id: "p1".into(), text: "It arrived broken".into(), attachments: vec![photo] })
        .await;
    let seen = agent
        .until("the visitor's photo", |f| f["type"] == "event" && f["event"]["attachments"][0]["name"] == "broken.png")
        .await;
    let url = seen["event"]["attachments"][0]["url"].as_str().unwrap();
    assert_eq!(get(&format!("{}{url}", relay.http_url())).await.status(), 200);

    // The agent uploads a PDF and sends it; the visitor gets it as a download.
    let api = AgentApi::new(&relay.http_url(), DEMO_TOKEN);
    let response = reqwest::Client::new()
        .post(format!("{}/conversations/{id}/attachments?name=label.pdf", api.base))
        .bearer_auth(DEMO_TOKEN)
        .body(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let label: Value = response.json().await.unwrap();
    assert_eq!(label["content_type"], "application/pdf");
    agent.send(json!({"type": "send", "conversation_id": id, "text": "", "attachments": [label["id"]]})).await;
    let (frame, _) = visitor
        .until(|f| as_message(f).is_some_and(|m| m.author.role == Role::Agent && !m.attachments.is_empty()))
        .await;
    let file = &as_message(&frame).unwrap().attachments[0];
    assert_eq!((file.name.as_str(), file.content_type.as_str()), ("label.pdf", "application/pdf"));
    let served = get(&format!("{}{}", relay.http_url(), file.url)).await;
    assert!(header(&served, "content-disposition").starts_with("attachment;"));
    assert_eq!(header(&served, "content-type"), "application/pdf");

    // Another agent's token is refused, and an unknown one cannot upload.
    let refused = reqwest::Client::new()
        .post(format!("{}/conversations/{id}/attachments?name=x.pdf", api.base))
        .bearer_auth("nobody")
        .body(b"%PDF-1.4\n".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
}

async fn retention_deletes_uploads_never_sent_and_keeps_sent_ones(backend: Backend) {
    let db = TestDb::new();
    let Some(mut config) = config_for(&db, backend).await else { return };
    config.retention.interval = std::time::Duration::from_millis(200);
    config.attachments.unsent = std::time::Duration::from_secs(1);
    let relay = TestRelay::start_with(config).await;
    let (mut visitor, _, token) = WidgetClient::greeted(&relay.ws_url()).await;
    let (_, sent) = upload(&relay, &token, "sent.png", PNG.to_vec()).await;
    let (_, unsent) = upload(&relay, &token, "unsent.png", PNG.to_vec()).await;
    let send = ClientFrame::Send {
        client_id: "s1".into(),
        text: "here".into(),
        attachments: vec![sent["id"].as_str().unwrap().into()],
    };
    visitor.send(&send).await;
    visitor.until(|f| matches!(f, ServerFrame::Ack { .. })).await;
    let url = |v: &Value| format!("{}{}", relay.http_url(), v["url"].as_str().unwrap());
    let mut status = 0;
    for _ in 0..100 {
        status = get(&url(&unsent)).await.status().as_u16();
        if status == 404 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, 404, "the unsent upload is deleted");
    assert_eq!(get(&url(&sent)).await.status(), 200, "a sent file stays");
}

#[tokio::test]
async fn welcome_tells_the_widget_the_sites_limits_and_nothing_when_it_takes_no_files() {
    let db = TestDb::new();
    let mut config = test_config(&db);
    let site = config.sites.get_mut("demo").unwrap();
    site.attachments.types = vec!["image/png".into(), "application/pdf".into()];
    site.attachments.max_bytes = 2048;
    let relay = TestRelay::start_with(config).await;
    let (_visitor, welcome) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    let ServerFrame::Welcome { attachments, .. } = welcome else { unreachable!() };
    let limits = attachments.expect("the site takes files");
    assert_eq!((limits.types, limits.max_bytes), (vec!["image/png".to_string(), "application/pdf".to_string()], 2048));

    let db = TestDb::new();
    let mut config = test_config(&db);
    config.sites.get_mut("demo").unwrap().attachments.enabled = false;
    let off = TestRelay::start_with(config).await;
    let (_visitor, welcome) = WidgetClient::hello(&off.ws_url(), None, 0).await;
    assert!(matches!(welcome, ServerFrame::Welcome { attachments: None, .. }), "{welcome:?}");
    let (_, _, token) = WidgetClient::greeted(&off.ws_url()).await;
    let (status, body) = upload(&off, &token, "photo.png", PNG.to_vec()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("attachments_off")), "{body}");
}
