//! A Redis server of the test's own: `redis-server --port <free port> --save ''` as a child
//! process, so a test can kill it and start it again without touching the machine's Redis on
//! 6379 (which other tests and programs share).

use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// How long a started server may take to answer PING.
const READY_WITHIN: Duration = Duration::from_secs(10);

pub struct RedisServer {
    pub port: u16,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts a server on a free loopback port and waits until it answers.
    pub async fn start() -> Self {
        let port = crate::ports::free_port();
        let mut server = Self { port, child: None };
        server.spawn_until_ready().await;
        server
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// SIGKILL: every connection drops at once; nothing is kept (the server saves nothing).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port (empty: no subscriptions, no data).
    pub async fn restart(&mut self) {
        self.kill();
        self.spawn_until_ready().await;
    }

    async fn spawn_until_ready(&mut self) {
        let deadline = tokio::time::Instant::now() + READY_WITHIN;
        loop {
            if self.child.is_none() {
                let child = Command::new("redis-server")
                    .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("redis-server on the PATH (Debian package redis-server)");
                crate::tie_to_this_process(child.id());
                self.child = Some(child);
            }
            if self.ping().await {
                return;
            }
            if let Some(child) = self.child.as_mut() {
                // The port of a killed server can take a moment to be free again.
                if let Ok(Some(_)) = child.try_wait() {
                    self.child = None;
                }
            }
            assert!(tokio::time::Instant::now() < deadline, "redis-server on port {} did not answer", self.port);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn ping(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)).await else { return false };
        if stream.write_all(b"PING\r\n").await.is_err() {
            return false;
        }
        let mut answer = [0u8; 7];
        matches!(
            tokio::time::timeout(Duration::from_secs(1), stream.read_exact(&mut answer)).await,
            Ok(Ok(_)) if &answer == b"+PONG\r\n"
        )
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}
