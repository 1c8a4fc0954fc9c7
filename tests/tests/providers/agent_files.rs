//! Agents' files from helpdesks reach the visitor as files the relay serves, copied from the
//! helpdesk's address with the rules of an upload (type sniffed from the bytes, the site's size
//! limit), or, when no copy can be made (an address that never answers, a page dressed as an
//! image), as a link in the agent's text. The relay acknowledges the webhook and goes on
//! meanwhile.

use std::time::{Duration, Instant};

use axum::{http::header, routing::get, Router};
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

/// A relay whose demo site hands over to `desk`, copying files within [`FETCH_TIMEOUT`], and a
/// visitor handed over to it: the relay, the webhook address, the visitor.
async fn handed_over(desk: &dyn Helpdesk, db: &TestDb) -> (TestRelay, String, WidgetClient) {
    let mut config = test_config(db);
    configure(config.sites.get_mut("demo").expect("demo site"), &desk.settings());
    config.attachments.fetch_timeout = FETCH_TIMEOUT;
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
