//! The relays measured: Baton (the release binary as its own process, SQLite in a temp
//! folder, the demo site plus a site handed to the Intercom simulator for webhooks) and the
//! Node.js `ws` baseline (`bench/node/relay.mjs`, in memory). And what `/proc` tells of them.

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    process::{Child, Command, Stdio},
};

use anyhow::Context;
use baton_tests::{
    helpdesks::{configure, Helpdesk},
    process::RelayProcess,
    sim::intercom::Intercom,
    test_config, TestDb,
};
use relay::config::Config;

/// The site whose webhooks the benchmark posts (Intercom's signature).
pub const WEBHOOK_SITE: &str = "helpdesk";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Baton,
    Node,
}

pub struct Target {
    pub kind: Kind,
    pub addr: SocketAddr,
    pub pid: u32,
    _process: Running,
}

enum Running {
    // Boxed: the relay's processes are many times the size of a `Child`.
    Baton { _processes: Box<BatonProcesses> },
    Node(Child),
}

/// A relay's processes, dropped (stopped) in this order.
struct BatonProcesses {
    _relay: RelayProcess,
    _db: TestDb,
    _sim: Intercom,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Running::Node(child) = self {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The relay's configuration: the demo site, and a site whose helpdesk is `sim`.
fn baton_config(db: &TestDb, sim: &Intercom) -> anyhow::Result<Config> {
    let mut config = test_config(db);
    let mut helpdesk = config.sites.get("demo").context("the demo site")?.clone();
    configure(&mut helpdesk, &sim.settings());
    config.sites.insert(WEBHOOK_SITE.into(), helpdesk);
    Ok(config)
}

/// Three relay processes on one database and one Redis (a key prefix of this run's own),
/// as a site runs them behind a load balancer.
pub struct Cluster {
    pub relays: Vec<RelayProcess>,
    /// The database's kind, for the table.
    pub backend: &'static str,
    _db: TestDb,
    _sim: Intercom,
}

impl Cluster {
    pub async fn start(db: TestDb, backend: &'static str, redis_url: &str) -> anyhow::Result<Self> {
        let sim = Intercom::start().await;
        let mut config = baton_config(&db, &sim)?;
        config.redis_url = Some(redis_url.into());
        let run = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis();
        config.redis_prefix = format!("bench-{}-{run}:", std::process::id());
        let mut relays = Vec::new();
        for _ in 0..3 {
            relays.push(RelayProcess::start(config.clone()).await);
        }
        Ok(Self { relays, backend, _db: db, _sim: sim })
    }

    pub fn addrs(&self) -> Vec<SocketAddr> {
        self.relays.iter().map(|r| r.addr).collect()
    }
}

impl Target {
    pub async fn baton() -> anyhow::Result<Self> {
        let db = TestDb::new();
        let sim = Intercom::start().await;
        let relay = RelayProcess::start(baton_config(&db, &sim)?).await;
        let pid = relay.pid().context("the relay's pid")?;
        Ok(Self {
            kind: Kind::Baton,
            addr: relay.addr,
            pid,
            _process: Running::Baton { _processes: Box::new(BatonProcesses { _relay: relay, _db: db, _sim: sim }) },
        })
    }

    /// Starts `node bench/node/relay.mjs` (its `ws` installed by scripts/bench.sh) and reads
    /// the port it printed.
    pub fn node() -> anyhow::Result<Self> {
        let script = baton_tests::workspace_root().join("bench/node/relay.mjs");
        let mut child = Command::new("node")
            .arg(&script)
            .env("PORT", "0")
            .env("WEBHOOK_SECRET", baton_tests::sim::intercom::CLIENT_SECRET)
            .stdout(Stdio::piped())
            .spawn()
            .context("starting node (is Node.js installed?)")?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().context("node's stdout")?).read_line(&mut line)?;
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .and_then(|rest| rest.strip_suffix('/'))
            .with_context(|| format!("unexpected first line from the Node relay: {line:?}"))?
            .parse()?;
        Ok(Self { kind: Kind::Node, addr, pid: child.id(), _process: Running::Node(child) })
    }

    pub fn http(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Resident memory, KiB.
    pub fn rss_kib(&self) -> u64 {
        proc_status(self.pid, "VmRSS:")
    }
}

fn proc_status(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The kernel's memory for TCP sockets, machine-wide (`/proc/net/sockstat`, `TCP: ... mem N`
/// in pages), in KiB.
pub fn kernel_tcp_kib() -> u64 {
    let sockstat = std::fs::read_to_string("/proc/net/sockstat").unwrap_or_default();
    let pages = sockstat
        .lines()
        .find(|l| l.starts_with("TCP:"))
        .and_then(|l| l.split_whitespace().skip_while(|w| *w != "mem").nth(1))
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    pages * 4
}

/// This process's soft limit of open files.
pub fn open_files_limit() -> u64 {
    std::fs::read_to_string("/proc/self/limits")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024)
}
