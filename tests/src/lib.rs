//! Test harness shared by Baton's end-to-end tests: boots the real relay on `127.0.0.1:0`
//! against a real SQLite file (or a PostgreSQL schema of the test's own), and talks to it as a
//! widget would.

pub mod agent_client;
pub mod axe;
pub mod browser;
pub mod dashboard;
pub mod eval;
pub mod helpdesks;
pub mod hostile;
pub mod llm;
pub mod ports;
pub mod postgres;
pub mod prism;
pub mod process;
pub mod redis;
pub mod s3;
pub mod sim;
pub mod smtp;
pub mod widget_client;

use std::{net::SocketAddr, path::PathBuf};

use relay::config::Config;
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

/// The workspace root (where `public/` and `dist/` live).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A relay running in this process.
pub struct TestRelay {
    pub addr: SocketAddr,
    pub config: Config,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

/// A database that outlives relay restarts within one test: a SQLite file in a temporary
/// folder, or a PostgreSQL schema of its own. Either is gone when it drops.
pub struct TestDb {
    _dir: Option<tempfile::TempDir>,
    _schema: Option<postgres::Schema>,
    pub url: String,
}

impl TestDb {
    /// A SQLite file.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/baton.db", dir.path().display());
        Self { _dir: Some(dir), _schema: None, url }
    }

    /// A fresh schema on the test PostgreSQL server ([`postgres::Schema`]).
    pub async fn postgres() -> Self {
        let schema = postgres::Schema::create().await;
        Self { url: schema.url.clone(), _dir: None, _schema: Some(schema) }
    }
}

/// Each scenario (an `async fn(TestDb)`) as a `#[tokio::test]` per backend, `sqlite::name`
/// on a temporary file and `postgres::name` on a schema of its own, so one behaviour is written
/// once and checked on both.
#[macro_export]
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::TestDb::new()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::TestDb::postgres().await).await;
                }
            )*
        }
    };
}

impl Default for TestDb {
    fn default() -> Self {
        Self::new()
    }
}

/// The demo configuration pointed at `db` and at the workspace's files, in demo mode (so the
/// demo agent, token `demo-agent`, answers every site), with identities signed by
/// [`widget_client::IDENTITY_SECRET`] verified.
pub fn test_config(db: &TestDb) -> Config {
    let root = workspace_root();
    let mut config = Config { database_url: db.url.clone(), demo: true, ..Config::default() };
    config.public_dir = root.join("public");
    config.widget_dir = root.join("dist");
    // Tests open many conversations from 127.0.0.1; `tests/limits.rs` sets its own limits.
    config.limits = relay::config::LimitsConfig::unlimited();
    for site in config.sites.values_mut() {
        site.help_dir = root.join("public/help");
        site.identity_secret = Some(widget_client::IDENTITY_SECRET.into());
    }
    config
}

/// Office hours open one minute a week, Sundays 03:00-03:01 in Kiritimati (UTC+14): a site with
/// them is closed whenever a test runs, unless [`office_hours_open_now`].
pub fn one_minute_office_hours() -> relay::config::OfficeHours {
    relay::config::OfficeHours {
        timezone: "Pacific/Kiritimati".into(),
        days: [("sun".to_string(), "03:00-03:01".to_string())].into(),
        holidays: Vec::new(),
    }
}

/// Whether the clock is inside the open minute of [`one_minute_office_hours`] (then a test of
/// closed hours cannot judge).
pub fn office_hours_open_now() -> bool {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    // Kiritimati is UTC+14; 1970-01-01 was a Thursday.
    let local = secs + 14 * 3600;
    let weekday = (local / 86_400 + 3) % 7; // 0 = Monday
    let minute_of_day = (local % 86_400) / 60;
    weekday == 6 && minute_of_day == 180
}

impl TestRelay {
    /// Starts the relay with the demo configuration on a fresh port.
    pub async fn start(db: &TestDb) -> Self {
        Self::start_with(test_config(db)).await
    }

    pub async fn start_with(config: Config) -> Self {
        Self::start_on("127.0.0.1:0".parse().expect("addr"), config).await
    }

    /// Starts on a given address (to restart a relay on the port its clients know).
    pub async fn start_on(addr: SocketAddr, config: Config) -> Self {
        let listener = bind_retrying(addr).await;
        let addr = listener.local_addr().expect("local addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(relay::run(config.clone(), listener, async move {
            let _ = stopped.await;
        }));
        Self { addr, config, stop: Some(stop), task: Some(task) }
    }

    pub fn http_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// Stops the relay gracefully and waits until it has.
    pub async fn stop(mut self) {
        self.shutdown().await;
    }

    async fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("relay task panicked").expect("relay failed");
        }
    }
}

impl Drop for TestRelay {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Binding the port a stopped relay just released can briefly fail; retry for a moment.
async fn bind_retrying(addr: SocketAddr) -> TcpListener {
    for _ in 0..50 {
        if let Ok(listener) = TcpListener::bind(addr).await {
            return listener;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("could not bind {addr}");
}

impl TestRelay {
    /// `ws://host:port`, the base for agent sockets.
    pub fn ws_base(&self) -> String {
        format!("ws://{}", self.addr)
    }
}

/// Ends the process group led by `leader` (a helper such as chromedriver or Prism, started
/// with `process_group(0)`, and everything it started, such as Chromium) when this test process
/// exits, however it exits. Statics are never dropped, so a guard alone would leak them.
pub fn tie_to_this_process(leader: u32) {
    let watchdog = format!(
        "while kill -0 {parent} 2>/dev/null; do sleep 0.5; done; kill -TERM -{leader} 2>/dev/null",
        parent = std::process::id()
    );
    let _ = std::process::Command::new("sh")
        .args(["-c", &watchdog])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
}

/// Polls `probe` every 50 ms for up to 10 s until it yields something; panics naming `what`
/// and showing `state()` (what the simulator holds) if it never does.
pub async fn eventually<T, S: std::fmt::Debug>(
    what: &str,
    mut probe: impl FnMut() -> Option<T>,
    state: impl Fn() -> S,
) -> T {
    for _ in 0..200 {
        if let Some(found) = probe() {
            return found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("never got {what}: {:?}", state());
}
