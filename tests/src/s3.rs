//! A local S3-compatible server for the attachment tests: `moto_server` (PyPI `moto[server]`,
//! installed by `scripts/tools.sh`), one per test binary, started on a free port on first use;
//! each caller gets a bucket of its own. Absent `moto_server`, [`bucket`] says why and the
//! caller skips.

use std::{
    os::unix::process::CommandExt,
    process::{Command, Stdio},
    sync::{Mutex, OnceLock},
    time::{Duration, Instant},
};

use relay::config::{S3Settings, SecretKey};

use crate::prism::{ChildGuard, Running};

fn start() -> Result<Running, String> {
    let port = crate::ports::free_port();
    let mut child = Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| {
            format!("moto_server cannot start ({e}); scripts/tools.sh installs it (pip install 'moto[server]')")
        })?;
    crate::tie_to_this_process(child.id());
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if started.elapsed() > Duration::from_secs(60) || child.try_wait().ok().flatten().is_some() {
            return Err("moto_server did not listen within 60 s".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(Running { url: format!("http://127.0.0.1:{port}"), _child: ChildGuard(child) })
}

/// Settings for a new, empty bucket on the shared moto server (path-style, as self-hosted
/// servers need), or why there is none.
pub async fn bucket() -> Result<S3Settings, String> {
    static SERVER: OnceLock<Mutex<Option<Result<Running, String>>>> = OnceLock::new();
    let url = {
        let mut server = SERVER.get_or_init(Mutex::default).lock().unwrap_or_else(|e| e.into_inner());
        match server.get_or_insert_with(start) {
            Ok(running) => running.url.clone(),
            Err(why) => return Err(why.clone()),
        }
    };
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = format!("baton-{}-{n}", std::process::id());
    // moto takes any credentials; creating a bucket is a plain PUT.
    let created = reqwest::Client::new().put(format!("{url}/{name}")).send().await.map_err(|e| e.to_string())?;
    if !created.status().is_success() {
        return Err(format!("moto refused to create bucket {name}: {}", created.status()));
    }
    Ok(S3Settings {
        bucket: name,
        endpoint: url,
        region: "us-east-1".into(),
        access_key_id: "baton-test".into(),
        secret_access_key: SecretKey::new("baton-test-secret"),
        path_style: true,
        prefix: "files/".into(),
    })
}
