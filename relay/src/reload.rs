//! Configuration changes without a restart: the relay re-reads its configuration file when
//! the file changes (checked every second) or on SIGHUP, and swaps in the new sites: texts,
//! triggers, bot, office hours and provider. A broken file is reported (with file and line)
//! and the running configuration stays. A conversation already handed over finishes on the
//! provider it started with: connectors are added or replaced on reload, never removed.
//! Server settings (address, database, folders) and agents are read at start only. The sites'
//! settings documents in the database (`crate::site_settings`) stay on top of the file.

use std::{path::Path, time::Duration, time::SystemTime};

use tokio_util::sync::CancellationToken;

use crate::{config::Config, state::AppState};

const POLL: Duration = Duration::from_secs(1);

fn modified(file: &Path) -> Option<SystemTime> {
    std::fs::metadata(file).and_then(|m| m.modified()).ok()
}

/// Watches the configuration file until `stop`.
pub async fn watch(state: AppState, stop: CancellationToken) {
    let Some(file) = state.config.source_file.clone() else { return };
    let mut seen = modified(&file);
    #[cfg(unix)]
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    loop {
        #[cfg(unix)]
        let signalled = async {
            match hangup.as_mut() {
                Some(signal) => {
                    signal.recv().await;
                }
                None => std::future::pending().await,
            }
        };
        #[cfg(not(unix))]
        let signalled = std::future::pending::<()>();
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = signalled => tracing::info!("SIGHUP: reloading the configuration"),
            _ = tokio::time::sleep(POLL) => {
                let now = modified(&file);
                if now == seen {
                    continue;
                }
                tracing::info!(file = %file.display(), "configuration file changed: reloading");
            }
        }
        seen = modified(&file);
        match Config::load_from(&file.to_string_lossy()) {
            Ok(config) => {
                // The sites' settings documents stay on top of the file.
                state.settings.set_file(config);
                match state.settings.apply(state.store.as_ref(), &state.sites, &state.presence).await {
                    Ok(()) => tracing::info!("configuration reloaded"),
                    Err(error) => tracing::error!(%error, "configuration not applied; the previous one stays"),
                }
            }
            Err(error) => tracing::error!(%error, "configuration not reloaded; the previous one stays"),
        }
    }
}
