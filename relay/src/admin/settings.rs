//! How a page changes a site's settings: the change goes into the site's settings document
//! (checked like a configuration file, written only if nobody changed it meanwhile, with its
//! audit line in the same transaction), then the sites are rebuilt here and every other relay
//! is told (`crate::site_settings`).

use super::session::Signed;
use crate::{
    config::SiteConfig,
    site_settings::{self, SettingsError},
    state::AppState,
    store::admin::{AuditEntry, SettingsDoc},
};

/// The site's settings as they are in effect (file and document), if it exists.
pub fn current(state: &AppState, site: &str) -> Option<SiteConfig> {
    state.sites.get(site).map(|site| site.config.clone())
}

/// Sets `changes` (dotted keys) in `site`'s document, as `action`, and applies it.
pub async fn save(
    state: &AppState,
    by: &Signed,
    site: &str,
    action: &str,
    changes: &[(&str, toml::Value)],
) -> Result<(), SettingsError> {
    let stored = state.store.admin().site_setting(site).await?;
    let (before, version) = stored.map_or((String::new(), 0), |doc| (doc.document, doc.version));
    let after = site_settings::with_changes(&before, changes)?;
    replace(state, by, site, action, &before, version, after).await
}

/// Edits `site`'s document as a TOML table with `change`, as `action`, and applies it.
pub async fn edit(
    state: &AppState,
    by: &Signed,
    site: &str,
    action: &str,
    change: impl FnOnce(&mut toml::Table) -> Result<(), SettingsError>,
) -> Result<(), SettingsError> {
    let stored = state.store.admin().site_setting(site).await?;
    let (before, version) = stored.map_or((String::new(), 0), |doc| (doc.document, doc.version));
    let mut table: toml::Table =
        before.parse().map_err(|e: toml::de::Error| SettingsError::Toml(e.message().into()))?;
    change(&mut table)?;
    let after = toml::to_string(&table).map_err(|e| SettingsError::Toml(e.to_string()))?;
    replace(state, by, site, action, &before, version, after).await
}

/// Puts `key` in the document's `unset` list (`unset` true: the file's value is taken away) or
/// takes it out, and removes the document's own value when unsetting.
pub fn unset(table: &mut toml::Table, key: &str, unset: bool) {
    let mut keys: Vec<toml::Value> = match table.remove("unset") {
        Some(toml::Value::Array(keys)) => keys,
        _ => Vec::new(),
    };
    keys.retain(|k| k.as_str() != Some(key));
    if unset {
        table.remove(key);
        keys.push(key.into());
    }
    if !keys.is_empty() {
        table.insert("unset".into(), toml::Value::Array(keys));
    }
}

/// Replaces `site`'s document (read at `version`, holding `before`) with `after`.
pub async fn replace(
    state: &AppState,
    by: &Signed,
    site: &str,
    action: &str,
    before: &str,
    version: i64,
    after: String,
) -> Result<(), SettingsError> {
    let file = state.settings.file();
    let base = file.sites.get(site).cloned().unwrap_or_default();
    let merged = site_settings::merge(&base, &after)?;
    site_settings::check(site, &merged, &file)?;
    let now = super::now();
    let audit = AuditEntry {
        at: now,
        actor: by.email().to_string(),
        site: Some(site.to_string()),
        action: action.to_string(),
        detail: site_settings::describe_changes(before, &after),
    };
    let doc = SettingsDoc {
        site: site.to_string(),
        version: version + 1,
        document: after,
        updated_by: by.email().to_string(),
        updated_at: now,
    };
    if state.store.admin().save_site_settings(&doc, version, &audit).await?.is_none() {
        let now_at = state.store.admin().site_setting(site).await?.map_or(0, |doc| doc.version);
        return Err(SettingsError::Conflict(now_at));
    }
    tracing::info!(site, by = by.email(), action, "site settings changed in the dashboard");
    state
        .settings
        .apply(state.store.as_ref(), &state.sites, &state.presence)
        .await
        .map_err(|error| SettingsError::Invalid(error.to_string()))?;
    site_settings::announce(&state.bus, site);
    Ok(())
}
