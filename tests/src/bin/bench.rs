//! `scripts/bench.sh`: speed and memory figures of the relay, printed, never asserted.
//!
//! Starts the release relay binary as its own process on a temporary SQLite file, then from
//! this process (over loopback):
//! 1. answer latency: many visitors at once each ask several questions; the time from sending
//!    a message to receiving the bot's stored answer, as percentiles, and the message rate;
//! 2. connection memory: many idle widget connections; the relay's resident memory per
//!    connection, read from /proc.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use baton_tests::widget_client::WidgetClient;
use shared::{ClientFrame, EventBody, Role, ServerFrame};

const VISITORS: usize = 200;
const QUESTIONS: usize = 5;
const IDLE_CONNECTIONS: usize = 2000;

fn rss_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

async fn visitor(ws: String, questions: &'static [&'static str]) -> Vec<Duration> {
    let (mut client, _) = WidgetClient::hello(&ws, None, 0).await;
    client.next().await; // greeting
    let mut times = Vec::new();
    for (i, question) in questions.iter().enumerate() {
        let started = Instant::now();
        client.send(&ClientFrame::Send { client_id: format!("q{i}"), text: question.to_string() }).await;
        client
            .until(|f| matches!(f, ServerFrame::Event(e) if matches!(&e.body, EventBody::Message(m) if m.author.role == Role::Bot)))
            .await;
        times.push(started.elapsed());
    }
    times
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let root = baton_tests::workspace_root();
    let binary = root.join("target/release/baton-relay");
    anyhow::ensure!(binary.exists(), "build it first: cargo build --release -p baton-relay");
    let dir = tempfile::tempdir()?;
    let mut relay = Command::new(&binary)
        .current_dir(&root)
        .env("BATON_BIND", "127.0.0.1:0")
        .env("BATON_DATABASE_URL", format!("sqlite://{}/bench.db", dir.path().display()))
        .env("RUST_LOG", "warn")
        // Every visitor comes from 127.0.0.1: the per-address limits would measure themselves.
        .envs(
            ["CONVERSATIONS", "MESSAGES", "HANDOVERS"]
                .iter()
                .flat_map(|kind| [format!("BATON_LIMITS__{kind}_PER_IP"), format!("BATON_LIMITS__{kind}_PER_SITE")])
                .chain(["BATON_LIMITS__SOCKETS_PER_IP".to_string()])
                .map(|key| (key, "0")),
        )
        .stdout(Stdio::piped())
        .spawn()?;
    let pid = relay.id();
    let mut first_line = String::new();
    BufReader::new(relay.stdout.take().expect("stdout")).read_line(&mut first_line)?;
    let addr = first_line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .ok_or_else(|| anyhow::anyhow!("unexpected relay banner: {first_line}"))?
        .to_string();
    let ws = format!("ws://{addr}/ws");
    println!("Baton relay benchmark (release binary, SQLite in a temp dir, loopback, {} cores)", num_cpus());
    println!("relay idle RSS: {} KiB", rss_kib(pid, "VmRSS:"));

    const QUESTION_TEXTS: [&str; QUESTIONS] = [
        "How long does delivery take?",
        "Do you accept PayPal?",
        "How do I return an item?",
        "What size of shoes should I order?",
        "Is there a warranty?",
    ];
    let questions = &QUESTION_TEXTS;
    let started = Instant::now();
    let tasks: Vec<_> = (0..VISITORS).map(|_| tokio::spawn(visitor(ws.clone(), &questions[..QUESTIONS]))).collect();
    let mut times = Vec::new();
    for task in tasks {
        times.extend(task.await?);
    }
    let elapsed = started.elapsed();
    times.sort();
    println!(
        "answer latency, {VISITORS} visitors x {QUESTIONS} questions at once: p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&times, 0.50).as_secs_f64() * 1e3,
        percentile(&times, 0.95).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
        times.last().map_or(0.0, |d| d.as_secs_f64() * 1e3),
    );
    println!(
        "throughput: {:.0} visitor messages answered per second ({} in {:.2} s, each one stored, answered and the answer stored)",
        times.len() as f64 / elapsed.as_secs_f64(),
        times.len(),
        elapsed.as_secs_f64()
    );

    // Sockets alone (upgraded, no hello yet), then each with its conversation open (hello:
    // a stored conversation, its greeting, its actor and its bus topic).
    let before = rss_kib(pid, "VmRSS:");
    let mut idle = Vec::with_capacity(IDLE_CONNECTIONS);
    for _ in 0..IDLE_CONNECTIONS {
        idle.push(WidgetClient::connect(&ws).await);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let sockets = rss_kib(pid, "VmRSS:");
    for client in &mut idle {
        client
            .send(&ClientFrame::Hello {
                v: shared::PROTOCOL_VERSION,
                site: "demo".into(),
                resume: None,
                last_seq: 0,
                visitor: None,
            })
            .await;
        client.next().await; // welcome
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_kib(pid, "VmRSS:");
    let per = |from: u64, to: u64| to.saturating_sub(from) as f64 / IDLE_CONNECTIONS as f64;
    println!(
        "memory: {IDLE_CONNECTIONS} idle widget connections: RSS {before} -> {sockets} KiB with the sockets open \
         ({:.1} KiB each) -> {after} KiB with their conversations ({:.1} KiB each more; {:.1} KiB per visitor in all)",
        per(before, sockets),
        per(sockets, after),
        per(before, after)
    );
    println!("relay peak RSS (VmHWM): {} KiB", rss_kib(pid, "VmHWM:"));
    drop(idle);
    relay.kill()?;
    let _ = relay.wait();
    Ok(())
}

fn num_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
