//! Hostile input (issue 8, point 1): sixteen visitors at once, eight over the socket and eight
//! over the HTTP channel, send the worst messages `baton_tests::hostile` can write (the longest
//! allowed, rare symbols that transliterate long, near-duplicates for the repeat comparison,
//! fact-shaped text for the summary's regexes, long tokens, mixed scripts, emoji) while the
//! test keeps measuring `GET /healthz` and a normal visitor's bot answer, over the socket and
//! over the HTTP channel. Each must stay under 500 ms.
//!
//! `cargo test -p baton-tests --test hostile -- --nocapture` prints p50 / p99 / max.

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use baton_tests::{
    hostile::Attack,
    test_config,
    widget_client::{as_message, send_text, WidgetClient},
    TestDb, TestRelay,
};
use futures_util::StreamExt;
use serde_json::json;
use shared::{Role, ServerFrame};
use tokio::{sync::oneshot, task::JoinSet};
use tokio_tungstenite::tungstenite::Message;

const ATTACKERS_PER_CHANNEL: u64 = 8;
/// What the issue asks of `/healthz` and of a normal visitor's answer under attack.
const BOUND: Duration = Duration::from_millis(500);
/// A sample that takes longer is counted as this long (today's code took 26–30 s and more).
const SAMPLE_TIMEOUT: Duration = Duration::from_secs(5);
/// Samples per series, and the pause between two of a series.
const SAMPLES: usize = 20;
const PAUSE: Duration = Duration::from_millis(250);
/// Questions the demo articles answer, each asked in a fresh conversation so that asking
/// again never reads as a frustrated repeat.
const QUESTIONS: &[&str] =
    &["How long does delivery take?", "Do you ship to Norway?", "How do I return an item?", "Can I pay by invoice?"];

/// One socket attacker: says hello, then sends hostile messages for as long as it lives,
/// paced by the acknowledgements (the actor acknowledges a message once the one before it
/// is handled) and by the gateway's rate limit. Never panics: on today's code its waits time
/// out, and it just goes on.
async fn socket_attacker(ws_url: String, seed: u64, sent: Arc<AtomicUsize>) {
    let Ok(Ok((socket, _))) =
        tokio::time::timeout(Duration::from_secs(60), tokio_tungstenite::connect_async(&ws_url)).await
    else {
        return;
    };
    let mut client = WidgetClient { socket };
    let hello = baton_tests::widget_client::hello_frame("demo", None, 0);
    client.send(&hello).await;
    for (i, text) in Attack::new(seed).enumerate() {
        let client_id = format!("hostile-{seed}-{i}");
        client.send(&send_text(&client_id, &text)).await;
        sent.fetch_add(1, Ordering::Relaxed);
        // Until the ack (or refusal) of this message, whatever else arrives.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let Ok(Some(Ok(message))) = tokio::time::timeout_at(deadline.into(), client.socket.next()).await else {
                return;
            };
            let Message::Text(text) = message else { continue };
            match serde_json::from_str::<ServerFrame>(text.as_str()) {
                Ok(ServerFrame::Ack { client_id: acked, .. }) if acked == client_id => break,
                Ok(ServerFrame::Error { client_id: Some(refused), .. }) if refused == client_id => break,
                _ => {}
            }
        }
    }
}

/// One HTTP-channel attacker: the same, one request at a time in one conversation.
async fn http_attacker(url: String, seed: u64, sent: Arc<AtomicUsize>) {
    let http = reqwest::Client::builder().timeout(Duration::from_secs(120)).build().expect("client");
    let mut conversation: Option<String> = None;
    for text in Attack::new(seed) {
        sent.fetch_add(1, Ordering::Relaxed);
        let Ok(reply) = http.post(&url).json(&json!({"text": text, "conversation": conversation})).send().await else {
            continue;
        };
        if let Ok(body) = reply.json::<serde_json::Value>().await {
            if let Some(token) = body["conversation"].as_str() {
                conversation = Some(token.to_string());
            }
        }
    }
}

/// `probe` run `SAMPLES` times, `PAUSE` apart; each takes at most `SAMPLE_TIMEOUT`.
async fn series<F, Fut>(mut probe: F) -> Vec<Duration>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let mut taken = Vec::new();
    for i in 0..SAMPLES {
        let start = Instant::now();
        let took = match tokio::time::timeout(SAMPLE_TIMEOUT, probe(i)).await {
            Ok(true) => start.elapsed(),
            Ok(false) => panic!("sample {i} failed (not a timeout)"),
            Err(_) => SAMPLE_TIMEOUT,
        };
        taken.push(took);
        tokio::time::sleep(PAUSE).await;
    }
    taken
}

/// A fresh visitor over the socket asks one question; timed from sending it to the bot's answer.
async fn socket_answer(ws_url: &str, i: usize) -> Duration {
    let (mut client, _) = WidgetClient::hello(ws_url, None, 0).await;
    client.next().await; // the greeting
    let start = Instant::now();
    client.send(&send_text("q", QUESTIONS[i % QUESTIONS.len()])).await;
    let (answer, _) =
        client.until(|f| as_message(f).is_some_and(|m| m.author.role == Role::Bot && m.source.is_some())).await;
    assert!(as_message(&answer).is_some());
    start.elapsed()
}

/// Nearest-rank percentile.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn report(name: &str, mut taken: Vec<Duration>) -> (String, Duration) {
    taken.sort();
    let max = *taken.last().expect("samples");
    let line = format!(
        "{name:<16} n={:>2}  p50 {:>7.1} ms  p99 {:>7.1} ms  max {:>7.1} ms",
        taken.len(),
        percentile(&taken, 0.5).as_secs_f64() * 1e3,
        percentile(&taken, 0.99).as_secs_f64() * 1e3,
        max.as_secs_f64() * 1e3
    );
    println!("{line}");
    (line, max)
}

/// The relay on a runtime of its own with two workers, as on the two-core machine of the
/// report. The clients run on the test's runtime, so their timers and timeouts keep running
/// even when the relay's workers are stuck (as they were before the caps: the test then fails
/// after its timeouts instead of hanging with the relay).
struct RelayThread {
    http_url: String,
    ws_url: String,
    _stop: oneshot::Sender<()>,
}

fn start_relay(db: &TestDb) -> RelayThread {
    let config = test_config(db);
    let (ready, urls) = std::sync::mpsc::channel();
    let (stop, stopped) = oneshot::channel::<()>();
    std::thread::spawn(move || {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        runtime.block_on(async move {
            let relay = TestRelay::start_with(config).await;
            let _ = ready.send((relay.http_url(), relay.ws_url()));
            let _ = stopped.await;
        });
        // Stuck analyses (before the fix) must not hold the test process.
        runtime.shutdown_background();
    });
    let (http_url, ws_url) = urls.recv().expect("relay started");
    RelayThread { http_url, ws_url, _stop: stop }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_answers_stay_fast_while_many_visitors_send_hostile_messages() {
    let db = TestDb::new();
    let relay = start_relay(&db);
    let url = format!("{}/api/v1/sites/demo/messages", relay.http_url);
    let sent = Arc::new(AtomicUsize::new(0));
    let mut attackers = JoinSet::new();
    for seed in 0..ATTACKERS_PER_CHANNEL {
        attackers.spawn(socket_attacker(relay.ws_url.clone(), seed, sent.clone()));
        attackers.spawn(http_attacker(url.clone(), 100 + seed, sent.clone()));
    }
    // The attack is under way: every attacker has sent, and the relay has had a moment.
    let started = Instant::now();
    while sent.load(Ordering::Relaxed) < 2 * ATTACKERS_PER_CHANNEL as usize && started.elapsed() < SAMPLE_TIMEOUT {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    let http = reqwest::Client::new();
    let health_url = format!("{}/healthz", relay.http_url);
    let ws_url = relay.ws_url.clone();
    let health = series(|_| {
        let (http, url) = (http.clone(), health_url.clone());
        async move { http.get(&url).send().await.is_ok_and(|r| r.status().is_success()) }
    });
    let socket = async {
        let mut taken = Vec::new();
        for i in 0..SAMPLES {
            taken.push(tokio::time::timeout(SAMPLE_TIMEOUT, socket_answer(&ws_url, i)).await.unwrap_or(SAMPLE_TIMEOUT));
            tokio::time::sleep(PAUSE).await;
        }
        taken
    };
    let over_http = series(|i| {
        let (http, url) = (http.clone(), url.clone());
        async move {
            let reply = http.post(&url).json(&json!({"text": QUESTIONS[i % QUESTIONS.len()]})).send().await;
            let Ok(reply) = reply else { return false };
            let body: serde_json::Value = reply.json().await.unwrap_or_default();
            body["messages"].as_array().is_some_and(|m| m.iter().any(|m| m["source_url"].is_string()))
        }
    });
    let (health, socket, over_http) = tokio::join!(health, socket, over_http);
    let hostile_sent = sent.load(Ordering::Relaxed);
    attackers.abort_all();

    println!("under attack by {} visitors ({hostile_sent} hostile messages sent):", 2 * ATTACKERS_PER_CHANNEL);
    let results =
        [report("GET /healthz", health), report("answer (socket)", socket), report("answer (HTTP)", over_http)];
    for (line, max) in results {
        assert!(max < BOUND, "over {} ms: {line}", BOUND.as_millis());
    }
}
