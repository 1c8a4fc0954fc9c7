//! The first owner. While no owner exists, the relay prints a one-time setup token at start
//! (random, or `[admin] setup_token`) with the setup page's address; the token is spent when
//! the first owner is made (`admin_setup`'s one row, written in the same transaction).
//! Without a browser: `baton-relay create-owner <email> [name]`, the password from
//! `BATON_OWNER_PASSWORD` or the first line of standard input.

use anyhow::{bail, Context};

use super::password;
use crate::{
    config::{Config, ALL_SITES},
    state::AppState,
    store::admin::{AuditEntry, NewAccount, Role},
};

/// Prints the setup token when no owner exists yet.
pub async fn announce(state: &AppState) {
    match state.store.admin().has_owner().await {
        Ok(true) => {}
        Ok(false) => {
            let base = state.config.admin.public_url.clone().unwrap_or_else(|| format!("http://{}", state.config.bind));
            let url = format!("{}/admin/setup?token={}", base.trim_end_matches('/'), state.admin.setup_token());
            tracing::warn!(%url, "no dashboard owner yet: open the setup page (the token is good once)");
            println!("  dashboard:   no owner yet; create one at {url}");
        }
        Err(error) => tracing::error!(%error, "cannot tell whether the dashboard has an owner"),
    }
}

/// `baton-relay create-owner <email> [name]`: makes an owner of every site.
pub async fn create_owner(config: &Config, args: &[String]) -> anyhow::Result<()> {
    let Some(email) = args.first().map(|e| e.trim().to_lowercase()) else {
        bail!("usage: baton-relay create-owner <email> [name]  (password from BATON_OWNER_PASSWORD or stdin)");
    };
    if !email.contains('@') {
        bail!("{email:?} is not an email address");
    }
    let name = args.get(1).cloned().unwrap_or_else(|| email.clone());
    let password = match std::env::var("BATON_OWNER_PASSWORD") {
        Ok(password) => password,
        Err(_) => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).context("reading the password from standard input")?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    let hash = password::hash(password).await?;
    let store = crate::store::connect(&config.database_url).await?;
    let sites = [ALL_SITES.to_string()];
    let new = NewAccount { email: &email, name: &name, role: Role::Owner, password_hash: &hash, sites: &sites };
    if store.admin().create_account(&new, false).await?.is_none() {
        bail!("an account with the email {email} exists already");
    }
    let entry = AuditEntry {
        at: crate::store::now_millis(),
        actor: "cli".into(),
        site: None,
        action: "account.create".into(),
        detail: format!("owner {email}"),
    };
    store.admin().audit(&entry).await?;
    println!("owner {email} created");
    Ok(())
}
