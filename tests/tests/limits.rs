//! Limits per address and per site, refusals (HTTP 429 + `Retry-After`, error frames, close
//! 1013), the client's address behind trusted proxies, the header and body timeouts, and
//! retention pruning: against the real relay over real sockets and real SQLite.

use std::time::{Duration, Instant};

use baton_tests::{
    test_config,
    widget_client::{hello_frame, send_text, WidgetClient, WAIT},
    TestDb, TestRelay,
};
use futures_util::{SinkExt, StreamExt};
use relay::{
    config::{Config, LimitsConfig},
    connectors::ProviderKind,
    event::Phase,
    store::{Handover, SqliteStore, Store},
};
use serde_json::{json, Value};
use shared::{close_code, ClientFrame, ErrorCode, ServerFrame};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

fn config(db: &TestDb, limits: LimitsConfig) -> Config {
    let mut config = test_config(db);
    config.limits = limits;
    config
}

/// [`config`] behind a proxy at 127.0.0.1 that the relay trusts for `X-Forwarded-For`.
fn behind_a_proxy(db: &TestDb, limits: LimitsConfig) -> Config {
    let mut config = config(db, limits);
    config.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    config
}

/// Every rate off but the ones a test sets.
fn only(set: impl FnOnce(&mut LimitsConfig)) -> LimitsConfig {
    let mut limits = LimitsConfig::unlimited();
    set(&mut limits);
    limits
}

struct Answer {
    status: u16,
    retry_after: Option<u64>,
    body: Value,
}

/// Posts to the HTTP channel, as `forwarded_for` behind a proxy if given.
async fn post(relay: &TestRelay, forwarded_for: Option<&str>, body: Value) -> Answer {
    let mut request =
        reqwest::Client::new().post(format!("{}/api/v1/sites/demo/messages", relay.http_url())).json(&body);
    if let Some(xff) = forwarded_for {
        request = request.header("x-forwarded-for", xff);
    }
    let response = request.send().await.expect("HTTP channel reachable");
    let status = response.status().as_u16();
    let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().parse().unwrap());
    Answer { status, retry_after, body: response.json().await.unwrap_or(Value::Null) }
}

fn question(n: usize) -> Value {
    json!({"text": format!("How long does delivery take? ({n})")})
}

/// Checks a 429 refusal: status, header and JSON body agree.
fn assert_limited(answer: &Answer, what: &str) -> u64 {
    assert_eq!(answer.status, 429, "{what}: {}", answer.body);
    let seconds = answer.retry_after.expect("Retry-After on a 429");
    assert!(seconds >= 1, "{what}: Retry-After {seconds}");
    assert_eq!(answer.body["error"]["code"], "rate_limited", "{}", answer.body);
    assert_eq!(answer.body["error"]["retry_after"], seconds, "{}", answer.body);
    assert!(answer.body["error"]["message"].as_str().is_some_and(|m| m.contains(what)), "{}", answer.body);
    seconds
}

/// A `rate_limited` error frame; returns its `retry_after` and `client_id`.
async fn expect_limited(client: &mut WidgetClient) -> (u64, Option<String>) {
    match client.next().await {
        ServerFrame::Error { code: ErrorCode::RateLimited, retry_after: Some(seconds), client_id, message } => {
            assert!(seconds >= 1 && !message.is_empty(), "{message}");
            (seconds, client_id)
        }
        other => panic!("expected a rate_limited error with retry_after, got {other:?}"),
    }
}

#[tokio::test]
async fn the_reported_flood_of_new_conversations_is_refused_after_the_default_limit() {
    let db = TestDb::new();
    let relay = TestRelay::start_with(config(&db, LimitsConfig::default())).await;
    let default = LimitsConfig::default().conversations_per_ip as usize;
    let (mut served, mut refused) = (0, 0);
    for n in 0..100 {
        let answer = post(&relay, None, question(n)).await;
        match answer.status {
            200 => served += 1,
            _ => {
                assert_limited(&answer, "new conversations from your address");
                refused += 1;
            }
        }
    }
    println!("100 new conversations from one address: {served} served, {refused} refused");
    // A slow machine may see a token or two replenish during the run.
    assert!((default..default + 5).contains(&served), "served {served}");
}

#[tokio::test]
async fn new_conversations_per_address_over_http_get_429_with_retry_after() {
    let db = TestDb::new();
    let relay = TestRelay::start_with(config(&db, only(|l| l.conversations_per_ip = 3))).await;
    let mut token = None;
    for n in 0..3 {
        let answer = post(&relay, None, question(n)).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        token = answer.body["conversation"].as_str().map(str::to_owned);
    }
    let seconds = assert_limited(&post(&relay, None, question(4)).await, "new conversations from your address");
    // Three a minute: the next one in about 20 s.
    assert!((1..=20).contains(&seconds), "Retry-After {seconds}");
    // Going on with a conversation is not a new one.
    let answer = post(&relay, None, json!({"text": "And returns?", "conversation": token})).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

#[tokio::test]
async fn on_the_socket_a_new_conversation_over_the_limit_gets_an_error_frame_and_close_1013() {
    let db = TestDb::new();
    let relay = TestRelay::start_with(config(&db, only(|l| l.conversations_per_ip = 2))).await;
    let (_first, welcome) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    let ServerFrame::Welcome { resume_token, .. } = welcome else { unreachable!() };
    let _second = WidgetClient::hello(&relay.ws_url(), None, 0).await;

    let mut third = WidgetClient::connect(&relay.ws_url()).await;
    third.send(&hello_frame("demo", None, 0)).await;
    let (seconds, _) = expect_limited(&mut third).await;
    assert!(seconds <= 30, "two a minute: {seconds}");
    third.expect_close(close_code::TRY_AGAIN_LATER).await;

    // A returning visitor (a known token) is not a new conversation.
    let (_back, welcome) = WidgetClient::hello(&relay.ws_url(), Some(&resume_token), 0).await;
    assert!(matches!(welcome, ServerFrame::Welcome { new_conversation: false, .. }));
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_address_has_its_own_allowance() {
    let db = TestDb::new();
    let relay = TestRelay::start_with(behind_a_proxy(&db, only(|l| l.conversations_per_ip = 1))).await;

    assert_eq!(post(&relay, Some("203.0.113.1"), question(1)).await.status, 200);
    assert_limited(&post(&relay, Some("203.0.113.1"), question(2)).await, "from your address");
    // Another visitor behind the same proxy is still served.
    assert_eq!(post(&relay, Some("203.0.113.2"), question(3)).await.status, 200);
    // A hop the visitor wrote in front of the proxy's is not believed: this is 203.0.113.2.
    assert_limited(&post(&relay, Some("198.51.100.7, 203.0.113.2"), question(4)).await, "from your address");

    // The socket reads the same address.
    let mut request = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(relay.ws_url())
        .expect("request");
    request.headers_mut().insert("x-forwarded-for", "203.0.113.1".parse().unwrap());
    let (socket, _) = tokio_tungstenite::connect_async(request).await.expect("connect");
    let mut client = WidgetClient { socket };
    client.send(&hello_frame("demo", None, 0)).await;
    expect_limited(&mut client).await;
}

#[tokio::test]
async fn a_forwarded_for_header_from_an_untrusted_peer_is_ignored() {
    let db = TestDb::new();
    // No trusted proxies: 127.0.0.1 is the client, whatever it claims.
    let relay = TestRelay::start_with(config(&db, only(|l| l.conversations_per_ip = 1))).await;
    assert_eq!(post(&relay, Some("203.0.113.1"), question(1)).await.status, 200);
    assert_limited(&post(&relay, Some("203.0.113.2"), question(2)).await, "from your address");
    assert_limited(&post(&relay, None, question(3)).await, "from your address");
}

#[tokio::test]
async fn messages_per_site_count_every_address_together() {
    let db = TestDb::new();
    let relay = TestRelay::start_with(behind_a_proxy(&db, only(|l| l.messages_per_site = 3))).await;
    for n in 1..=3 {
        let answer = post(&relay, Some(&format!("203.0.113.{n}")), question(n)).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    assert_limited(&post(&relay, Some("203.0.113.9"), question(9)).await, "messages on this site");

    // A widget on the same site: the greeting is not a visitor message; its first one is refused.
    let (mut client, _) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    client.next().await; // greeting
    client.send(&send_text("c-1", "Do you ship to Norway?")).await;
    let (_, client_id) = expect_limited(&mut client).await;
    assert_eq!(client_id.as_deref(), Some("c-1"), "the refusal names the message");
    // The connection stays open.
    client.send(&ClientFrame::Ping).await;
    assert_eq!(client.next().await, ServerFrame::Pong);
}

#[tokio::test]
async fn a_site_can_raise_its_own_limits() {
    let db = TestDb::new();
    let mut config = config(&db, only(|l| l.conversations_per_ip = 1));
    config.sites.get_mut("demo").unwrap().limits.conversations_per_ip = Some(3);
    let relay = TestRelay::start_with(config).await;
    for n in 0..3 {
        assert_eq!(post(&relay, None, question(n)).await.status, 200);
    }
    assert_limited(&post(&relay, None, question(3)).await, "new conversations");
}

#[tokio::test]
async fn handovers_per_address_are_limited() {
    let db = TestDb::new();
    let relay = TestRelay::start_with(config(&db, only(|l| l.handovers_per_ip = 1))).await;
    let (mut first, _) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    first.next().await; // greeting
    first.send(&ClientFrame::RequestHandover).await;
    let (frame, before) = first.until(|f| matches!(f, ServerFrame::Event(_) | ServerFrame::Error { .. })).await;
    assert!(matches!(frame, ServerFrame::Event(_)), "the first request is handled: {frame:?} after {before:?}");

    let (mut second, _) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    second.next().await; // greeting
    second.send(&ClientFrame::RequestHandover).await;
    let (seconds, client_id) = expect_limited(&mut second).await;
    assert!(seconds >= 30, "one a minute: {seconds}");
    assert_eq!(client_id, None);

    // Over HTTP too.
    let answer = post(&relay, None, json!({"request_handover": true})).await;
    assert_limited(&answer, "requests for a person from your address");
}

#[tokio::test]
async fn sockets_per_address_are_limited_with_close_1013() {
    let db = TestDb::new();
    let relay = TestRelay::start_with(config(&db, only(|l| l.sockets_per_ip = 2))).await;
    let (first, _) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    let _second = WidgetClient::hello(&relay.ws_url(), None, 0).await;

    let mut third = WidgetClient::connect(&relay.ws_url()).await;
    let (seconds, _) = expect_limited(&mut third).await;
    assert!(seconds >= 1);
    third.expect_close(close_code::TRY_AGAIN_LATER).await;

    // A closed tab frees its slot.
    drop(first);
    let mut served = false;
    for _ in 0..100 {
        // Raw socket calls: a refused attempt may be closed before its hello is written.
        let mut next = WidgetClient::connect(&relay.ws_url()).await;
        let hello = serde_json::to_string(&hello_frame("demo", None, 0)).expect("encode");
        let _ = next.socket.send(Message::Text(hello.into())).await;
        if let Ok(Some(Ok(Message::Text(text)))) = tokio::time::timeout(WAIT, next.socket.next()).await {
            if text.contains("\"welcome\"") {
                served = true;
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(served, "a slot came free after a socket closed");
}

#[tokio::test]
async fn a_client_stalling_in_its_request_line_is_disconnected_after_the_header_timeout() {
    let db = TestDb::new();
    let relay = TestRelay::start_with(config(&db, only(|l| l.header_read_timeout = Duration::from_secs(1)))).await;
    let mut stalled = tokio::net::TcpStream::connect(relay.addr).await.expect("connect");
    stalled.write_all(b"GET /heal").await.expect("half a request line");
    let started = Instant::now();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), stalled.read_to_end(&mut rest)).await;
    let waited = started.elapsed();
    println!("half a request line: disconnected after {waited:?} (header timeout 1 s)");
    assert!(read.is_ok(), "the relay never closed a stalled connection");
    assert!(waited >= Duration::from_millis(900), "closed before the timeout: {waited:?}");

    // Ordinary requests and sockets are unaffected.
    let health = reqwest::get(format!("{}/healthz", relay.http_url())).await.expect("healthz");
    assert!(health.status().is_success());
    let (_client, _) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
}

#[tokio::test]
async fn a_body_that_stops_arriving_is_cut_off_after_the_body_timeout() {
    let db = TestDb::new();
    let relay = TestRelay::start_with(config(&db, only(|l| l.body_timeout = Duration::from_secs(1)))).await;
    let mut stalled = tokio::net::TcpStream::connect(relay.addr).await.expect("connect");
    let head = "POST /api/v1/sites/demo/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                Content-Length: 100\r\n\r\n{\"text\": ";
    stalled.write_all(head.as_bytes()).await.expect("headers");
    let started = Instant::now();
    let mut answer = vec![0; 1024];
    let read = tokio::time::timeout(Duration::from_secs(20), stalled.read(&mut answer)).await;
    let waited = started.elapsed();
    let n = read.expect("the relay waited for the body forever").expect("read");
    let answer = String::from_utf8_lossy(&answer[..n]);
    println!("body stalled: answered after {waited:?} (body timeout 1 s): {}", answer.lines().next().unwrap_or(""));
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

#[tokio::test]
async fn retention_prunes_empty_and_old_conversations_processed_events_and_delivered_jobs() {
    let db = TestDb::new();
    let mut config = test_config(&db);
    config.retention.interval = Duration::from_millis(200);
    config.retention.empty_conversations = Duration::from_secs(1);
    config.retention.idle_conversations = Duration::ZERO;
    // Opened (and migrated) before the relay, so the two do not migrate at once.
    let store = SqliteStore::open(&db.url).await.expect("the relay's database");
    let relay = TestRelay::start_with(config.clone()).await;

    // An empty conversation (a greeting only), one still open in a widget, one with a message.
    let (empty, welcome) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    let empty_id = conversation_id(&welcome);
    drop(empty);
    let (mut open, welcome) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    let open_id = conversation_id(&welcome);
    open.next().await; // greeting
    let (mut chat, welcome) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    let chatted_id = conversation_id(&welcome);
    chat.send(&send_text("c-1", "Do you ship to Norway?")).await;
    chat.until(|f| matches!(f, ServerFrame::Ack { .. })).await;
    drop(chat);

    eventually("the empty conversation pruned", || async { store.conversation(&empty_id).await.unwrap().is_none() })
        .await;
    // Another pass or two: what must stay, stays.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(store.conversation(&open_id).await.unwrap().is_some(), "open in a widget: kept");
    assert!(store.conversation(&chatted_id).await.unwrap().is_some(), "the visitor wrote: kept");
    // The widget is closed: its empty conversation goes too.
    drop(open);
    eventually("the closed widget's conversation pruned", || async {
        store.conversation(&open_id).await.unwrap().is_none()
    })
    .await;
    relay.stop().await;

    // Old data of every kind, then a relay that keeps things for a second only.
    let waiting = store.create_conversation("demo", "waiting").await.unwrap().id;
    store.set_handover(&waiting, &Handover { phase: Phase::Waiting, ..Handover::default() }).await.unwrap();
    let forwarding = store.create_conversation("demo", "forwarding").await.unwrap().id;
    let pending = store.enqueue(&forwarding, "demo", ProviderKind::Intercom, "{}").await.unwrap();
    // Not due while the test runs: the outbox worker leaves it pending.
    store.job_retry(pending, i64::MAX / 2, "the helpdesk is down").await.unwrap();
    let done_job = store.enqueue(&waiting, "demo", ProviderKind::Intercom, "{}").await.unwrap();
    store.job_done(done_job).await.unwrap();
    store.record_event(ProviderKind::Intercom, "demo", "processed", "t", "{}").await.unwrap();
    store.event_processed(ProviderKind::Intercom, "processed").await.unwrap();
    store.record_event(ProviderKind::Intercom, "demo", "unprocessed", "t", "{}").await.unwrap();

    config.retention.idle_conversations = Duration::from_secs(1);
    config.retention.webhook_events = Duration::from_secs(1);
    config.retention.outbox = Duration::from_secs(1);
    let relay = TestRelay::start_with(config).await;
    eventually("the idle conversation pruned", || async { store.conversation(&chatted_id).await.unwrap().is_none() })
        .await;
    eventually("the processed webhook event pruned", || async {
        store.webhook_deliveries(ProviderKind::Intercom, "processed").await.unwrap() == 0
    })
    .await;
    let db_pool = sqlx::SqlitePool::connect(&db.url).await.expect("the relay's database");
    let jobs = |state: &'static str| {
        let db_pool = db_pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM outbox WHERE state = ?")
                .bind(state)
                .fetch_one(&db_pool)
                .await
                .unwrap()
        }
    };
    eventually("the delivered job pruned", || async { jobs("done").await == 0 }).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(store.conversation(&waiting).await.unwrap().is_some(), "waiting for an agent: kept");
    assert!(store.conversation(&forwarding).await.unwrap().is_some(), "a helpdesk call pending: kept");
    assert_eq!(store.pending_jobs(&forwarding).await.unwrap(), 1, "pending calls kept");
    assert_eq!(jobs("pending").await, 1);
    assert_eq!(
        store.webhook_deliveries(ProviderKind::Intercom, "unprocessed").await.unwrap(),
        1,
        "unprocessed event kept"
    );
    relay.stop().await;
}

fn conversation_id(welcome: &ServerFrame) -> String {
    match welcome {
        ServerFrame::Welcome { conversation_id, .. } => conversation_id.clone(),
        other => panic!("not a welcome: {other:?}"),
    }
}

async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never: {what}");
}
