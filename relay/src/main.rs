//! `baton-relay`: loads the configuration, binds, and runs until Ctrl-C or SIGTERM.
//! `baton-relay create-owner <email> [name]` makes a dashboard owner instead (password from
//! `BATON_OWNER_PASSWORD` or standard input).

use anyhow::Context;
use baton_relay::config::Config;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,tower_http=warn,sqlx=warn")),
        )
        .init();
    let config = Config::load().context("loading the configuration")?;
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        // An owner of the dashboard, without the setup page (scripted installs).
        Some("create-owner") => return baton_relay::admin::setup::create_owner(&config, &args[1..]).await,
        Some(other) => anyhow::bail!("unknown command {other:?}; the only one is create-owner <email> [name]"),
        None => {}
    }
    let listener =
        tokio::net::TcpListener::bind(config.bind).await.with_context(|| format!("binding {}", config.bind))?;
    let addr = listener.local_addr()?;
    // The first line is read by scripts (the benchmark): keep its shape.
    println!("Baton relay listening on http://{addr}/");
    println!("  demo shop:   http://{addr}/");
    println!("  agent inbox: http://{addr}/inbox/");
    if config.agents_in_effect().iter().any(|a| a.token == baton_relay::config::DEMO_TOKEN) {
        println!("               demo mode: sign in with the demo agent token {}", baton_relay::config::DEMO_TOKEN);
    } else if config.agents_in_effect().is_empty() {
        println!("               no agents configured: add [[agents]] (README) or run with BATON_DEMO=1");
    }
    baton_relay::run(config, listener, shutdown_signal()).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
