//! The relay as a separate OS process, for tests that must survive what an in-process relay
//! cannot show: `kill -9` (no shutdown code runs, nothing is flushed) and a restart on the same
//! port and database.
//!
//! [`RelayProcess::start`] writes the configuration to a temporary `baton.toml`, spawns the
//! `baton-relay` binary with `BATON_CONFIG` pointing at it, and waits for `/readyz`.
//! [`RelayProcess::kill`] sends SIGKILL; [`RelayProcess::restart`] starts the same binary again on
//! the same port with the same file (so the same database). The binary is built once per test
//! process (`cargo build -p baton-relay --bin baton-relay`, next to the test binary) unless
//! `BATON_RELAY_BIN` names one. The relay's output goes to a log file ([`RelayProcess::log`]).

use std::{
    fs::File,
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::OnceLock,
    time::Duration,
};

use relay::config::Config;

/// How long a started relay may take to answer `/readyz` (a loaded CI machine, migrations).
const READY_WITHIN: Duration = Duration::from_secs(30);

pub struct RelayProcess {
    pub addr: SocketAddr,
    /// Holds `baton.toml` and the log; removed when the test ends.
    dir: tempfile::TempDir,
    child: Option<Child>,
    /// How many times the process was started (the log is appended across restarts).
    pub starts: u32,
}

impl RelayProcess {
    /// Starts the relay with `config` (its `bind` is replaced by a free loopback port).
    pub async fn start(mut config: Config) -> Self {
        let dir = tempfile::tempdir().expect("temp dir for the relay process");
        config.bind = free_port();
        let toml = toml::to_string(&config).expect("configuration as TOML");
        std::fs::write(dir.path().join("baton.toml"), toml).expect("write baton.toml");
        let mut process = Self { addr: config.bind, dir, child: None, starts: 0 };
        process.spawn_until_ready().await;
        process
    }

    /// Starts the relay from a TOML text written as is (give `bind` a port of your choosing).
    pub async fn start_toml(addr: SocketAddr, toml: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir for the relay process");
        std::fs::write(dir.path().join("baton.toml"), toml).expect("write baton.toml");
        let mut process = Self { addr, dir, child: None, starts: 0 };
        process.spawn_until_ready().await;
        process
    }

    pub fn http_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// `ws://host:port`, the base for agent sockets.
    pub fn ws_base(&self) -> String {
        format!("ws://{}", self.addr)
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("baton.toml")
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("relay.log")
    }

    /// Everything the relay printed so far, across restarts.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// The running process's id.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// SIGKILL: the relay stops at once, mid-write if it was writing. Waits until it is gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // `Child::kill` is SIGKILL on Unix.
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM: the relay's own graceful shutdown. Waits until it has exited.
    pub fn terminate(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
            let _ = child.wait();
        }
    }

    /// Starts the relay again on the same port, configuration and database (kills it first if
    /// it is still running) and waits until it answers.
    pub async fn restart(&mut self) {
        self.kill();
        self.spawn_until_ready().await;
    }

    async fn spawn_until_ready(&mut self) {
        let binary = tokio::task::spawn_blocking(binary).await.expect("locating baton-relay");
        let client = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().expect("http client");
        let health = format!("{}/readyz", self.http_url());
        let deadline = tokio::time::Instant::now() + READY_WITHIN;
        // The port a killed relay held can take a moment to be free again: a relay that exits
        // at start (it could not bind) is started again until the deadline.
        loop {
            if self.child.is_none() {
                self.child = Some(self.spawn(&binary));
                self.starts += 1;
            }
            if client.get(&health).send().await.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    self.child = None;
                    if tokio::time::Instant::now() > deadline {
                        panic!("baton-relay exited with {status} at start; log:\n{}", self.log());
                    }
                }
            }
            if tokio::time::Instant::now() > deadline {
                panic!("baton-relay did not answer /readyz within {READY_WITHIN:?}; log:\n{}", self.log());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn spawn(&self, binary: &Path) -> Child {
        use std::os::unix::process::CommandExt;
        let log = File::options().create(true).append(true).open(self.log_path()).expect("relay log file");
        let mut command = Command::new(binary);
        // The relay reads every BATON_* variable as configuration: the caller's (BATON_RELAY_BIN
        // for one) must not reach it; its configuration is the file written here.
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("BATON_") {
                command.env_remove(&name);
            }
        }
        let child = command
            .env("BATON_CONFIG", self.config_path())
            .env("RUST_LOG", std::env::var("RELAY_LOG").unwrap_or_else(|_| "info,tower_http=warn,sqlx=warn".into()))
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("spawning {}: {e}", binary.display()));
        // Whatever happens to this test process, the relay goes with it.
        crate::tie_to_this_process(child.id());
        child
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A loopback address nobody listens on right now (see [`crate::ports`]: the relay can be
/// started again on it after a kill).
fn free_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], crate::ports::free_port()))
}

/// The `baton-relay` binary: `BATON_RELAY_BIN`, else built once beside this test binary
/// (`target/<profile>/baton-relay`).
pub fn binary() -> PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY
        .get_or_init(|| {
            if let Ok(path) = std::env::var("BATON_RELAY_BIN") {
                return PathBuf::from(path);
            }
            let exe = std::env::current_exe().expect("test binary path");
            // target/<profile>/deps/<test binary>
            let profile_dir = exe.parent().and_then(Path::parent).expect("target/<profile>").to_path_buf();
            let target_dir = profile_dir.parent().expect("target dir").to_path_buf();
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let mut build = Command::new(cargo);
            build.args(["build", "--quiet", "-p", "baton-relay", "--bin", "baton-relay"]);
            // What cargo sets for this test process is not the caller's environment: build
            // scripts that watch such a variable (ring watches CARGO_MANIFEST_DIR) would rebuild
            // half the tree here and again at the next plain `cargo build`.
            for (name, _) in std::env::vars_os() {
                let name = name.to_string_lossy();
                if name.starts_with("CARGO_") && !["CARGO_HOME", "CARGO_TARGET_DIR"].contains(&name.as_ref()) {
                    build.env_remove(name.as_ref());
                }
            }
            if profile_dir.file_name().is_some_and(|n| n == "release") {
                build.arg("--release");
            }
            let status = build
                .env("CARGO_TARGET_DIR", &target_dir)
                .current_dir(crate::workspace_root())
                .status()
                .expect("running cargo build for baton-relay");
            assert!(status.success(), "cargo build -p baton-relay failed");
            let path = profile_dir.join(format!("baton-relay{}", std::env::consts::EXE_SUFFIX));
            assert!(path.exists(), "{} missing after the build", path.display());
            path
        })
        .clone()
}
