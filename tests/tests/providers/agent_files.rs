//! Agents' files from helpdesks reach the visitor as files the relay serves, copied from the
//! helpdesk's address with the rules of an upload (type sniffed from the bytes, the site's size
//! limit), or, when no copy can be made (an address that never answers, a page dressed as an
//! image), as a link in the agent's text. The relay acknowledges the webhook and goes on
//! meanwhile. An address on the relay's own network (loopback, private, link-local, the cloud's
//! metadata service), written out, resolved to, or redirected to, is never fetched and not
//! passed on either (`[attachments] allow_private_fetch`, off by default; these tests' media
//! servers are on 127.0.0.1, so the other tests turn it on).

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use axum::{http::header, response::Redirect, routing::get, Router};
use baton_tests::{
    eventually,
    helpdesks::{configure, Helpdesk},
    sim::{intercom::Intercom, zendesk_messaging::ZendeskMessaging, Delivery, Sim},
    test_config,
    widget_client::{as_message, send_text, WidgetClient, PNG},
    TestDb, TestRelay,
};
use serde_json::{json, Value};
use shared::{ClientFrame, Phase, Role, ServerFrame};

/// How long the relay may take to copy a file in these tests.
const FETCH_TIMEOUT: Duration = Duration::from_secs(3);

/// Where the helpdesk keeps agents' files: a PNG, an HTML page served as `image/png`, and an
/// address that accepts the connection and never answers.
async fn media_server() -> String {
    let app = Router::new()
        .route("/photo.png", get(|| async { ([(header::CONTENT_TYPE, "image/png")], PNG) }))
        .route(
            "/cat.png",
            get(|| async { ([(header::CONTENT_TYPE, "image/png")], "<!DOCTYPE html><script>alert(1)</script>") }),
        )
        .route("/hang.png", get(std::future::pending::<&'static str>));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// A relay whose demo site hands over to `desk`, copying files within [`FETCH_TIMEOUT`] (from
/// the media servers on 127.0.0.1: `allow_private_fetch`), and a visitor handed over to it:
/// the relay, the webhook address, the visitor.
async fn handed_over(desk: &dyn Helpdesk, db: &TestDb) -> (TestRelay, String, WidgetClient) {
    handed_over_with(desk, db, |attachments| attachments.allow_private_fetch = true).await
}

async fn handed_over_with(
    desk: &dyn Helpdesk,
    db: &TestDb,
    policy: impl FnOnce(&mut relay::config::AttachmentsConfig),
) -> (TestRelay, String, WidgetClient) {
    let mut config = test_config(db);
    configure(config.sites.get_mut("demo").expect("demo site"), &desk.settings());
    config.attachments.fetch_timeout = FETCH_TIMEOUT;
    policy(&mut config.attachments);
    let relay = TestRelay::start_with(config).await;
    let hook = format!("{}/webhooks/{}/demo", relay.http_url(), desk.profile().name);
    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    visitor.next().await;
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_phase(Phase::Waiting).await;
    eventually("the handover", || desk.remote().filter(|_| desk.handed_over()), || desk.remote()).await;
    (relay, hook, visitor)
}

/// The next agent message the visitor gets.
async fn agents_message(visitor: &mut WidgetClient) -> shared::Message {
    let (frame, _) = visitor.until(|f| as_message(f).is_some_and(|m| m.author.role == Role::Agent)).await;
    as_message(&frame).cloned().expect("a message")
}

async fn served(relay: &TestRelay, url: &str) -> Vec<u8> {
    let response = reqwest::get(format!("{}{url}", relay.http_url())).await.expect("GET");
    assert_eq!(response.status(), 200, "{url}");
    response.bytes().await.expect("body").to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sunshine_agents_files_are_copied_and_a_hanging_or_disguised_one_is_a_link() {
    let media = media_server().await;
    let sim: ZendeskMessaging = Sim::start().await;
    let db = TestDb::new();
    let (relay, hook, mut visitor) = handed_over(&sim, &db).await;
    let remote = sim.last_conversation().expect("the conversation").id;
    let agent_file = |content: Value| {
        let mut message = ZendeskMessaging::agent_message("");
        message["message"]["content"] = content;
        ZendeskMessaging::delivery("conversation:message", &remote, message)
    };

    // A file the helpdesk serves: copied, shown as the relay's own file.
    let photo = json!({"type": "image", "mediaUrl": format!("{media}/photo.png"), "mediaType": "image/png",
                       "altText": "parcel.png"});
    assert_eq!(agent_file(photo).send(&hook).await.0, 200);
    let message = agents_message(&mut visitor).await;
    let [file] = &message.attachments[..] else { panic!("one file: {message:?}") };
    assert_eq!((file.name.as_str(), file.content_type.as_str()), ("parcel.png", "image/png"));
    assert!(file.url.starts_with(&format!("/attachments/{}?", file.id)), "served by the relay: {}", file.url);
    assert_eq!(served(&relay, &file.url).await, PNG);
    assert!(!message.text.contains(&media), "no link for a copied file: {}", message.text);

    // An address that never answers: the webhook is acknowledged at once, the visitor's next
    // message reaches the helpdesk while the copy waits, and the file becomes a link when the
    // copy gives up.
    let started = Instant::now();
    let hang = json!({"type": "file", "mediaUrl": format!("{media}/hang.png"), "altText": "slow.png",
                      "text": "The label"});
    assert_eq!(agent_file(hang).send(&hook).await.0, 200);
    assert!(started.elapsed() < Duration::from_secs(1), "acknowledged after {:?}", started.elapsed());
    visitor.send(&send_text("v1", "Are you still there?")).await;
    let forwarded = || {
        let conversation = sim.last_conversation()?;
        conversation.messages.iter().any(|m| m["content"]["text"] == "Are you still there?").then_some(())
    };
    eventually("the visitor's message at the helpdesk", forwarded, || sim.last_conversation()).await;
    assert!(started.elapsed() < FETCH_TIMEOUT, "forwarded while the copy waited ({:?})", started.elapsed());
    let message = agents_message(&mut visitor).await;
    assert!(started.elapsed() >= FETCH_TIMEOUT, "the copy gave up early: {:?}", started.elapsed());
    assert!(message.attachments.is_empty(), "{message:?}");
    assert_eq!(message.text, format!("The label\n📎 slow.png: {media}/hang.png"));

    // A page served as an image: not an allowed type, so never stored; a link instead.
    let disguised = json!({"type": "image", "mediaUrl": format!("{media}/cat.png")});
    assert_eq!(agent_file(disguised).send(&hook).await.0, 200);
    let message = agents_message(&mut visitor).await;
    assert!(message.attachments.is_empty(), "{message:?}");
    assert_eq!(message.text, format!("📎 cat.png: {media}/cat.png"));
}

/// Intercom's conversation parts list the agent's files as `attachments`; a reply of a file
/// alone (no body) reaches the visitor too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intercom_agents_attachments_are_copied() {
    let media = media_server().await;
    let sim: Intercom = Sim::start().await;
    let db = TestDb::new();
    let (relay, hook, mut visitor) = handed_over(&sim, &db).await;
    let (remote, _) = sim.last_conversation().expect("the conversation");
    let mut part = Intercom::agent_comment("part-files-1", "");
    part["attachments"] = json!([{"type": "upload", "name": "parcel.png", "url": format!("{media}/photo.png"),
                                  "content_type": "image/png", "filesize": PNG.len()}]);
    let delivery: Delivery = Intercom::webhook("conversation.admin.replied", &remote, part);
    assert_eq!(delivery.send(&hook).await.0, 200);
    let message = agents_message(&mut visitor).await;
    let [file] = &message.attachments[..] else { panic!("one file: {message:?}") };
    assert_eq!(file.name, "parcel.png");
    assert_eq!(served(&relay, &file.url).await, PNG);
    let frames = visitor.settle().await;
    assert!(!frames.iter().any(|f| matches!(f, ServerFrame::Error { .. })), "{frames:?}");
}

/// A server on the relay's own network (127.0.0.1) that counts the requests it gets.
async fn internal_server() -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let app = Router::new().fallback(move || {
        counted.fetch_add(1, Ordering::SeqCst);
        async { ([(header::CONTENT_TYPE, "image/png")], PNG) }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("127.0.0.1:{port}"), hits)
}

/// A helpdesk's file server at 127.0.0.2 (the one internal address the relay is told to allow):
/// a PNG, and redirects to `internal` by address and by name.
async fn allowed_server(internal: &str) -> String {
    let port = internal.rsplit(':').next().expect("a port").to_string();
    let (by_address, by_name) = (format!("http://{internal}/photo.png"), format!("http://localhost:{port}/photo.png"));
    let app = Router::new()
        .route("/photo.png", get(|| async { ([(header::CONTENT_TYPE, "image/png")], PNG) }))
        .route("/moved.png", get(move || async move { Redirect::temporary(&by_address) }))
        .route("/renamed.png", get(move || async move { Redirect::temporary(&by_name) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.2:0").await.expect("bind 127.0.0.2");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// With `allow_private_fetch` off (the default), a webhook naming an internal address, written
/// out (127.0.0.1, the metadata service 169.254.169.254), as a name resolving to one
/// (`localhost`), or reached by a redirect from an allowed server, makes no request there: the
/// visitor gets the file's name without the address. A file at the allowed network is copied.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_at_internal_addresses_are_not_fetched_nor_passed_on() {
    let (internal, hits) = internal_server().await;
    let allowed = allowed_server(&internal).await;
    let sim: ZendeskMessaging = Sim::start().await;
    let db = TestDb::new();
    let only_127_0_0_2 = |a: &mut relay::config::AttachmentsConfig| {
        assert!(!a.allow_private_fetch, "off by default");
        a.fetch_allowed_networks = vec!["127.0.0.2/32".parse().expect("a network")];
    };
    let (relay, hook, mut visitor) = handed_over_with(&sim, &db, only_127_0_0_2).await;
    let remote = sim.last_conversation().expect("the conversation").id;
    let agent_file = |url: String, name: &str| {
        let mut message = ZendeskMessaging::agent_message("");
        message["message"]["content"] = json!({"type": "image", "mediaUrl": url, "altText": name});
        ZendeskMessaging::delivery("conversation:message", &remote, message)
    };

    let port = internal.rsplit(':').next().expect("a port");
    let refused = [
        (format!("http://{internal}/photo.png"), "loopback.png"),
        ("http://169.254.169.254/latest/meta-data/iam/security-credentials/".to_string(), "metadata.png"),
        (format!("http://[::ffff:127.0.0.1]:{port}/photo.png"), "mapped.png"),
        (format!("http://localhost:{port}/photo.png"), "by-name.png"),
        (format!("{allowed}/moved.png"), "redirected.png"),
        (format!("{allowed}/renamed.png"), "redirected-by-name.png"),
    ];
    for (url, name) in refused {
        assert_eq!(agent_file(url.clone(), name).send(&hook).await.0, 200);
        let message = agents_message(&mut visitor).await;
        assert!(message.attachments.is_empty(), "{url}: {message:?}");
        assert_eq!(message.text, format!("📎 {name}"), "{url}: the name without the address");
        assert_eq!(hits.load(Ordering::SeqCst), 0, "{url} reached the internal server");
    }

    // The allowed helpdesk's own file is copied as ever.
    assert_eq!(agent_file(format!("{allowed}/photo.png"), "parcel.png").send(&hook).await.0, 200);
    let message = agents_message(&mut visitor).await;
    let [file] = &message.attachments[..] else { panic!("one file: {message:?}") };
    assert_eq!(served(&relay, &file.url).await, PNG);
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}
