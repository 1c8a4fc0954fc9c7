//! `scripts/bench.sh`: Baton against a minimal Node.js `ws` relay (`bench/node/relay.mjs`),
//! every row measured in this one run on this machine, printed as one Markdown table. Figures
//! are printed, never asserted; the last column says whether issue 10's target is met.
//!
//! Sizes can be changed with `BENCH_IDLE_SOCKETS` (default 50,000, capped by the open-file
//! limit), `BENCH_RATE` (visitor messages per second, default 1,000) and `BENCH_SECONDS`
//! (measured seconds per latency row, default 10).

mod agent;
mod chat;
mod client;
mod idle;
mod stats;
mod store;
mod table;
mod targets;
mod webhook;
mod wire;

use std::time::Duration;

use table::{Row, Table};
use targets::{open_files_limit, Kind, Target};

/// Visitor sockets sending in the sustained-rate row.
const CHAT_VISITORS: usize = 2000;
/// Agent messages per second in the agent → visitor row.
const AGENT_RATE: f64 = 200.0;
/// Webhook deliveries per second.
const WEBHOOK_RATE: f64 = 200.0;
/// File descriptors kept free beside the idle sockets (the store, logs, the other rows).
const SPARE_FILES: u64 = 1000;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Everything measured of one relay.
struct Measured {
    idle: idle::Idle,
    chat: chat::Chat,
    agent: Option<agent::AgentRun>,
    webhooks: webhook::Webhooks,
}

async fn measure(target: &Target, sockets: usize, rate: f64, seconds: Duration) -> Measured {
    let name = format!("{:?}", target.kind);
    eprintln!("[{name}] {sockets} idle sockets ...");
    let idle = idle::run(target, sockets).await;
    eprintln!("[{name}] visitor messages at {rate}/s ...");
    let chat = chat::run(&[target.addr], CHAT_VISITORS, rate, Duration::from_secs(3), seconds).await;
    eprintln!("[{name}] agent messages ...");
    let agent = match agent::run(target.kind, target.addr, target.addr, AGENT_RATE, seconds).await {
        Ok(run) => Some(run),
        Err(error) => {
            eprintln!("[{name}] agent row failed: {error:#}");
            None
        }
    };
    eprintln!("[{name}] webhooks ...");
    let webhooks = webhook::run(&target.http(), WEBHOOK_RATE, seconds / 2).await;
    Measured { idle, chat, agent, webhooks }
}

/// Everything measured of three relays on one database and Redis.
struct Scaled {
    backend: &'static str,
    chat: chat::Chat,
    agent: anyhow::Result<agent::AgentRun>,
    webhooks: webhook::Webhooks,
}

/// Visitors spread over relays A, B and C; agent at B writing to visitors at A; webhooks at C.
async fn measure_cluster(cluster: &targets::Cluster, rate: f64, seconds: Duration) -> Scaled {
    let addrs = cluster.addrs();
    eprintln!("[3 relays] visitor messages at {rate}/s ...");
    let chat = chat::run(&addrs, CHAT_VISITORS, rate, Duration::from_secs(3), seconds).await;
    eprintln!("[3 relays] agent messages (agent at B, visitors at A) ...");
    let agent = agent::run(Kind::Baton, addrs[1], addrs[0], AGENT_RATE, seconds).await;
    eprintln!("[3 relays] webhooks at C ...");
    let webhooks = webhook::run(&cluster.relays[2].http_url(), WEBHOOK_RATE, seconds / 2).await;
    Scaled { backend: cluster.backend, chat, agent, webhooks }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let files = open_files_limit();
    let asked: usize = env_or("BENCH_IDLE_SOCKETS", 50_000);
    let sockets = asked.min(files.saturating_sub(SPARE_FILES) as usize);
    let rate: f64 = env_or("BENCH_RATE", 1000.0);
    let seconds = Duration::from_secs(env_or("BENCH_SECONDS", 10));

    match std::env::var("BENCH_ONLY").as_deref() {
        Ok("idle") => return idle_only(sockets).await,
        Ok("chat") => return chat_only(rate, seconds).await,
        Ok("store") => return store_only(seconds).await,
        Ok("agent") => return agent_only(seconds).await,
        Ok("scaled") => return scaled_only(rate, seconds).await,
        _ => {}
    }
    let baton = Target::baton().await?;
    let baton_measured = measure(&baton, sockets, rate, seconds).await;
    eprintln!("[Baton] the widget's bytes on the wire ...");
    let wire = wire::run(&baton).await;
    drop(baton);
    eprintln!("[Baton] the store's rate ...");
    let sqlite = baton_tests::TestDb::new();
    let store = store::run(&sqlite.url, "SQLite", seconds / 2).await;
    let postgres = baton_tests::TestDb::postgres().await;
    let store_postgres = store::run(&postgres.url, "PostgreSQL", seconds / 2).await;
    drop(postgres);
    let redis_url = std::env::var("BENCH_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let scaled = match targets::Cluster::start(baton_tests::TestDb::postgres().await, "PostgreSQL", &redis_url).await {
        Ok(cluster) => Ok(measure_cluster(&cluster, rate, seconds).await),
        Err(error) => Err(error),
    };
    let node = Target::node()?;
    let node_measured = measure(&node, sockets, rate, seconds).await;
    drop(node);

    let mut table = Table::new();
    let (b, n) = (&baton_measured, &node_measured);
    table.push(Row::count("idle visitor sockets held after `hello`", b.idle.held, n.idle.held, 50_000));
    table.push(Row::less(
        "memory per idle socket, relay RSS (KiB)",
        Some(b.idle.rss_kib),
        Some(n.idle.rss_kib),
        Some(10.0),
        "≤ 10 KiB",
    ));
    table.push(Row::less(
        "memory per idle socket, kernel TCP (KiB, both ends)",
        Some(b.idle.kernel_kib),
        Some(n.idle.kernel_kib),
        None,
        "",
    ));
    for (label, p, target) in [("p50", 0.50, None), ("p99", 0.99, Some(2.0)), ("p99.9", 0.999, None)] {
        table.push(Row::less(
            &format!("visitor message → `ack` {label} at {rate:.0} msg/s (ms)"),
            b.chat.acks.ms(p),
            n.chat.acks.ms(p),
            target,
            if target.is_some() { "≤ 2 ms" } else { "" },
        ));
    }
    for (label, p) in [("p50", 0.50), ("p99", 0.99), ("p99.9", 0.999)] {
        table.push(Row::other(
            &format!("visitor message → bot answer {label} at {rate:.0} msg/s (ms)"),
            b.chat.answers.ms(p),
            n.chat.answers.ms(p),
            "Baton searches the help articles; Node echoes",
        ));
    }
    let agent_ms = |m: &Measured, p| m.agent.as_ref().and_then(|a| a.latencies.ms(p));
    table.push(Row::less("agent message → visitor socket p50 (ms)", agent_ms(b, 0.50), agent_ms(n, 0.50), None, ""));
    table.push(Row::less(
        "agent message → visitor socket p99 (ms)",
        agent_ms(b, 0.99),
        agent_ms(n, 0.99),
        Some(1.5),
        "≤ 1.5 ms",
    ));
    for store in [&store, &store_postgres] {
        match store {
            Ok(rate) => table.push(Row::more_only(
                &format!("durably stored messages per second ({})", rate.backend),
                rate.per_second,
                5000.0,
                "≥ 5,000",
                "Node stores nothing",
            )),
            Err(error) => table.push(Row::not_measured("durably stored messages per second", &format!("{error:#}"))),
        }
    }
    table.push(Row::other_target(
        "webhook → 200 p99 (ms)",
        b.webhooks.latencies.ms(0.99),
        n.webhooks.latencies.ms(0.99),
        Some(50.0),
        "≤ 50 ms",
        "Baton stores the event first; Node verifies and parses",
    ));
    match &wire {
        Ok(Some(wire)) => table.push(Row::less_only(
            "widget first open on the wire, brotli (KB)",
            wire.total() as f64 / 1000.0,
            120.0,
            "≤ 120 KB",
        )),
        Ok(None) => table.push(Row::not_measured(
            "widget first open on the wire, brotli (KB)",
            "the widget is not built (trunk build --release)",
        )),
        Err(error) => {
            table.push(Row::not_measured("widget first open on the wire, brotli (KB)", &format!("{error:#}")))
        }
    }
    scaled_rows(&mut table, &scaled, n, rate);

    println!(
        "Baton vs Node.js `ws` {}, one run, loopback, {} cores, open-file limit {files}",
        node_version(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!();
    table.print();
    println!();
    for (kind, m) in [(Kind::Baton, b), (Kind::Node, n)] {
        let agent = m.agent.as_ref().map_or("failed".into(), agent::AgentRun::summary);
        println!(
            "{kind:?}: idle {} of {} sockets in {:.1} s ({} failed{}); {}; agent: {agent}; {}",
            m.idle.held,
            m.idle.asked,
            m.idle.took.as_secs_f64(),
            m.idle.failed,
            m.idle.first_error.as_deref().map(|e| format!(": {e}")).unwrap_or_default(),
            m.chat.summary(),
            m.webhooks.summary(),
        );
    }
    if let Ok(s) = &scaled {
        let agent = s.agent.as_ref().map_or_else(|e| format!("failed: {e:#}"), agent::AgentRun::summary);
        println!("3 relays ({}): {}; agent: {agent}; {}", s.backend, s.chat.summary(), s.webhooks.summary());
    }
    if let Ok(Some(wire)) = &wire {
        let files: Vec<String> = wire.files.iter().map(|(f, b, e)| format!("{f} {b} B ({e})")).collect();
        println!("widget files: {}", files.join(", "));
    }
    if sockets < asked {
        println!(
            "idle sockets: {asked} asked, {sockets} tried: the open-file limit here is {files} \
             (raise it with `ulimit -n` where the hard limit allows)"
        );
    }
    Ok(())
}

/// `BENCH_ONLY=idle`: the idle-socket rows alone, for working on memory.
async fn idle_only(sockets: usize) -> anyhow::Result<()> {
    let baton = Target::baton().await?;
    let b = idle::run(&baton, sockets).await;
    drop(baton);
    let node = Target::node()?;
    let n = idle::run(&node, sockets).await;
    for (name, idle) in [("Baton", b), ("Node", n)] {
        println!(
            "{name}: {} of {} sockets held, {:.2} KiB RSS and {:.2} KiB kernel TCP per socket",
            idle.held, idle.asked, idle.rss_kib, idle.kernel_kib
        );
    }
    Ok(())
}

/// `BENCH_ONLY=chat`: the visitor message → ack / → bot answer rows alone, Baton's then the
/// Node relay's in the same run (Node's when `bench/node` has its `ws`), for working on the
/// relay's per-message path.
async fn chat_only(rate: f64, seconds: Duration) -> anyhow::Result<()> {
    let baton = Target::baton().await?;
    let chat = chat::run(&[baton.addr], CHAT_VISITORS, rate, Duration::from_secs(3), seconds).await;
    drop(baton);
    print_chat("Baton", rate, &chat);
    if let Some(node) = node_if_installed()? {
        let chat = chat::run(&[node.addr], CHAT_VISITORS, rate, Duration::from_secs(3), seconds).await;
        drop(node);
        print_chat("Node", rate, &chat);
    }
    Ok(())
}

/// The Node relay, if scripts/bench.sh installed its `ws`.
fn node_if_installed() -> anyhow::Result<Option<Target>> {
    if !baton_tests::workspace_root().join("bench/node/node_modules/ws").is_dir() {
        eprintln!("Node relay not measured: run scripts/bench.sh once (it installs bench/node's ws)");
        return Ok(None);
    }
    Target::node().map(Some)
}

fn print_chat(name: &str, rate: f64, chat: &chat::Chat) {
    for (what, latencies) in [
        ("visitor message → ack", &chat.acks),
        ("visitor message → ack, timed from the send", &chat.acks_from_send),
        ("visitor message → bot answer", &chat.answers),
        ("the generator's own lateness (sent − due)", &chat.late),
    ] {
        let ms = |p| latencies.ms(p).map_or("-".into(), |ms| format!("{ms:.2}"));
        println!("{name} {what} at {rate:.0} msg/s: p50 {} ms, p99 {} ms, p99.9 {} ms", ms(0.50), ms(0.99), ms(0.999));
    }
    println!("{name}: {}", chat.summary());
}

/// `BENCH_ONLY=store`: the durably-stored-messages rows alone (SQLite, then PostgreSQL).
async fn store_only(seconds: Duration) -> anyhow::Result<()> {
    let sqlite = baton_tests::TestDb::new();
    let postgres = baton_tests::TestDb::postgres().await;
    for (url, backend) in [(&sqlite.url, "SQLite"), (&postgres.url, "PostgreSQL")] {
        match store::run(url, backend, seconds / 2).await {
            Ok(rate) => println!("durably stored messages per second ({backend}): {:.0}", rate.per_second),
            Err(error) => println!("durably stored messages per second ({backend}): not measured: {error:#}"),
        }
    }
    Ok(())
}

/// `BENCH_ONLY=agent`: the agent → visitor row alone (one relay), Baton's then the Node
/// relay's in the same run (as for `chat`).
async fn agent_only(seconds: Duration) -> anyhow::Result<()> {
    let baton = Target::baton().await?;
    let run = agent::run(Kind::Baton, baton.addr, baton.addr, AGENT_RATE, seconds).await?;
    drop(baton);
    print_agent("Baton", &run);
    if let Some(node) = node_if_installed()? {
        let run = agent::run(Kind::Node, node.addr, node.addr, AGENT_RATE, seconds).await?;
        drop(node);
        print_agent("Node", &run);
    }
    Ok(())
}

fn print_agent(name: &str, run: &agent::AgentRun) {
    let ms = |p| run.latencies.ms(p).map_or("-".into(), |ms| format!("{ms:.2}"));
    println!(
        "{name} agent message → visitor socket at {AGENT_RATE:.0} msg/s: p50 {} ms, p99 {} ms, p99.9 {} ms; {}",
        ms(0.50),
        ms(0.99),
        ms(0.999),
        run.summary()
    );
}

/// `BENCH_ONLY=scaled`: the three-relay rows alone (PostgreSQL + Redis), as the full run
/// measures them.
async fn scaled_only(rate: f64, seconds: Duration) -> anyhow::Result<()> {
    let redis_url = std::env::var("BENCH_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let cluster = targets::Cluster::start(baton_tests::TestDb::postgres().await, "PostgreSQL", &redis_url).await?;
    let s = measure_cluster(&cluster, rate, seconds).await;
    drop(cluster);
    let ms = |l: &stats::Latencies, p| l.ms(p).map_or("-".into(), |ms| format!("{ms:.2}"));
    let line = |what: &str, l: &stats::Latencies| {
        println!(
            "3 relays, {} + Redis: {what}: p50 {} ms, p99 {} ms, p99.9 {} ms",
            s.backend,
            ms(l, 0.50),
            ms(l, 0.99),
            ms(l, 0.999)
        )
    };
    line(&format!("visitor message → `ack` at {rate:.0} msg/s"), &s.chat.acks);
    line(&format!("visitor message → bot answer at {rate:.0} msg/s"), &s.chat.answers);
    match &s.agent {
        Ok(agent) => line("agent at B → visitor at A", &agent.latencies),
        Err(error) => println!("3 relays: agent row failed: {error:#}"),
    }
    line("webhook at C → 200", &s.webhooks.latencies);
    let agent = s.agent.as_ref().map_or_else(|e| format!("failed: {e:#}"), agent::AgentRun::summary);
    println!("3 relays ({}): {}; agent: {agent}; {}", s.backend, s.chat.summary(), s.webhooks.summary());
    Ok(())
}

/// The scaled-out rows, beside Node's one process (it has no scaled-out form).
fn scaled_rows(table: &mut Table, scaled: &anyhow::Result<Scaled>, n: &Measured, rate: f64) {
    let s = match scaled {
        Ok(s) => s,
        Err(error) => {
            table.push(Row::not_measured("three relays on one database + Redis", &format!("{error:#}")));
            return;
        }
    };
    let on = format!("3 relays, {} + Redis:", s.backend);
    // p50, and p99 against the scaled-out target of 20 ms.
    let mut p50_p99 = |what: &str, baton: &dyn Fn(f64) -> Option<f64>, node: &dyn Fn(f64) -> Option<f64>| {
        for (label, p, target) in [("p50", 0.50, None), ("p99", 0.99, Some(20.0))] {
            let target_text = if target.is_some() { "≤ 20 ms" } else { "" };
            table.push(Row::less(&format!("{on} {what} {label} (ms)"), baton(p), node(p), target, target_text));
        }
    };
    p50_p99(&format!("visitor message → `ack` at {rate:.0} msg/s"), &|p| s.chat.acks.ms(p), &|p| n.chat.acks.ms(p));
    let agent_ms = |p| s.agent.as_ref().ok().and_then(|a| a.latencies.ms(p));
    let node_agent_ms = |p| n.agent.as_ref().and_then(|a| a.latencies.ms(p));
    p50_p99("agent at B → visitor at A", &agent_ms, &node_agent_ms);
    table.push(Row::other(
        &format!("{on} visitor message → bot answer p99 (ms)"),
        s.chat.answers.ms(0.99),
        n.chat.answers.ms(0.99),
        "Baton searches the help articles; Node echoes",
    ));
    table.push(Row::other_target(
        &format!("{on} webhook at C → 200 p99 (ms)"),
        s.webhooks.latencies.ms(0.99),
        n.webhooks.latencies.ms(0.99),
        Some(50.0),
        "≤ 50 ms",
        "Baton stores the event first; Node verifies and parses",
    ));
    if let Err(error) = &s.agent {
        eprintln!("[3 relays] agent row failed: {error:#}");
    }
}

fn node_version() -> String {
    std::process::Command::new("node")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}
