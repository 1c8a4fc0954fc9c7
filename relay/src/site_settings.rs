//! Settings that live in the database: each site may have a settings document (TOML of the
//! `[sites.<key>]` table's shape, versioned, written by the owner dashboard) that overrides
//! the configuration file's table **for the keys it holds**; a document for a key the file does
//! not have makes a new site over the defaults. The file (and `BATON_*`) stays the bootstrap:
//! whatever a document does not hold comes from it.
//!
//! A change is applied live through [`Sites::reload`] (new conversations and the next input of
//! ongoing ones use it) and, with several relays, announced on the bus ([`SETTINGS`]) so every
//! relay re-reads the documents and reloads too. A file reload goes through here as well, so the
//! documents stay on top of a changed file.

use std::{collections::BTreeMap, sync::Arc};

use arc_swap::ArcSwap;
use figment::{
    providers::{Format, Serialized, Toml},
    Figment,
};
use tokio_util::sync::CancellationToken;

use crate::{
    agents::Presence,
    config::{Config, SiteConfig},
    outbox::Connectors,
    pubsub::{Bus, BusMessage},
    sites::Sites,
    store::{admin::SettingsDoc, Store, StoreError},
};

/// The bus topic on which relays tell each other that a site's settings changed.
pub const SETTINGS: &str = "_settings";

/// Keys a settings export leaves out: they hold secrets (identity key, helpdesk credentials
/// and webhook secrets), which are never shown again once set.
pub const SECRET_KEYS: [&str; 4] = ["identity_secret", "provider", "webhooks", "retired_providers"];

/// Why a settings document cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("not valid TOML: {0}")]
    Toml(String),
    #[error("{0}")]
    Invalid(String),
    #[error("the settings changed meanwhile (now version {0}); reload and try again")]
    Conflict(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The configuration file as last read, and the connectors the outbox uses (a reload adds to
/// them). Every clone shares both.
#[derive(Clone)]
pub struct SiteSettings {
    file: Arc<ArcSwap<Config>>,
    connectors: Connectors,
}

impl SiteSettings {
    pub fn new(file: Config, connectors: Connectors) -> Self {
        Self { file: Arc::new(ArcSwap::from_pointee(file)), connectors }
    }

    /// The configuration file's settings (without the documents).
    pub fn file(&self) -> Arc<Config> {
        self.file.load_full()
    }

    pub fn connectors(&self) -> &Connectors {
        &self.connectors
    }

    /// The file was read again: `config` is what it says now.
    pub fn set_file(&self, config: Config) {
        self.file.store(Arc::new(config));
    }

    /// Reads every document and swaps in the sites they and the file make. A document that no
    /// longer fits (the file changed under it) is left out, logged, and its site stays as the
    /// file has it.
    pub async fn apply(&self, store: &dyn Store, sites: &Sites, presence: &Presence) -> anyhow::Result<()> {
        let docs = store.admin().site_settings().await?;
        let config = overlay(&self.file(), &docs);
        sites.reload(&config, presence)?;
        self.connectors.merge(&sites.connectors());
        Ok(())
    }

    /// With several relays: re-applies whenever another relay announces a change (or the bus
    /// may have lost one), until `stop`.
    pub async fn follow(
        self,
        store: Arc<dyn Store>,
        bus: Bus,
        sites: Sites,
        presence: Presence,
        stop: CancellationToken,
    ) {
        let mut notices = bus.subscribe(SETTINGS);
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = notices.recv() => {}
            }
            if let Err(error) = self.apply(store.as_ref(), &sites, &presence).await {
                tracing::error!(%error, "settings from the database not applied");
            }
        }
    }
}

/// Tells every relay that `site`'s settings changed.
pub fn announce(bus: &Bus, site: &str) {
    bus.publish(SETTINGS, BusMessage::SettingsChanged { site: site.to_string() });
}

/// The file's configuration with every usable document on top of its site.
pub fn overlay(file: &Config, docs: &[SettingsDoc]) -> Config {
    let mut config = file.clone();
    for doc in docs {
        let base = file.sites.get(&doc.site).cloned().unwrap_or_default();
        match merge(&base, &doc.document).and_then(|site| check(&doc.site, &site, file).map(|()| site)) {
            Ok(site) => {
                config.sites.insert(doc.site.clone(), site);
            }
            Err(error) => {
                tracing::error!(site = %doc.site, version = doc.version, %error, "the site's settings document is not used")
            }
        }
    }
    config
}

/// The optional keys a document can take away from the file's table (TOML has no null):
/// `unset = ["office_hours"]` makes the site always open whatever the file says, and
/// `unset = ["theme.avatar"]` gives the widget back its own default for that part of the look.
pub const UNSETTABLE: [&str; 8] = [
    "office_hours",
    "identity_secret",
    "theme.primary",
    "theme.position",
    "theme.title",
    "theme.avatar",
    "theme.greeting",
    "theme.scheme",
];

/// `document`'s keys over `base` (tables merge key by key, other values replace), then the
/// keys listed in its `unset` removed. A helpdesk's tables are the exception: a document's
/// `provider` table replaces the file's whole (another helpdesk takes other keys), and so does
/// each of its `webhooks.<name>` tables; the file's other webhook tables stay, so conversations
/// handed to the previous helpdesk still hear from it. Each `handover.texts.<language>` table
/// replaces the file's for that language whole too.
pub fn merge(base: &SiteConfig, document: &str) -> Result<SiteConfig, SettingsError> {
    let mut table = document.parse::<toml::Table>().map_err(|e| SettingsError::Toml(e.message().to_string()))?;
    let unset = match table.remove("unset") {
        None => Vec::new(),
        Some(toml::Value::Array(keys)) => keys.iter().map(|k| k.as_str().unwrap_or_default().to_string()).collect(),
        Some(_) => return Err(SettingsError::Invalid("`unset` is a list of keys".into())),
    };
    if let Some(key) = unset.iter().find(|k| !UNSETTABLE.contains(&k.as_str())) {
        return Err(SettingsError::Invalid(format!("{key:?} cannot be unset (only {})", UNSETTABLE.join(", "))));
    }
    let rest = toml::to_string(&table).map_err(|e| SettingsError::Toml(e.to_string()))?;
    let mut base = base.clone();
    if table.contains_key("provider") {
        // The file's helpdesk stays reachable for the conversations handed to it.
        let file_provider = std::mem::take(&mut base.provider);
        let kind =
            file_provider.get("kind").and_then(|kind| kind.as_str()).and_then(crate::connectors::ProviderKind::named);
        if let Some(kind) = kind.filter(|kind| kind.receives_webhooks()) {
            base.retired_providers.entry(kind.name().to_string()).or_insert(file_provider);
        }
    }
    // A language's handover texts replace the file's whole: a text the document's table leaves
    // out is the site's default one (the Handover page's empty field), not the file's.
    if let Some(texts) = table.get("handover").and_then(|h| h.get("texts")).and_then(toml::Value::as_table) {
        for language in texts.keys() {
            base.handover.texts.remove(language);
        }
    }
    for key in ["webhooks", "retired_providers"] {
        if let Some(toml::Value::Table(tables)) = table.get(key) {
            for name in tables.keys() {
                match key {
                    "webhooks" => base.webhooks.remove(name),
                    _ => base.retired_providers.remove(name),
                };
            }
        }
    }
    let mut site: SiteConfig = Figment::from(Serialized::defaults(&base))
        .merge(Toml::string(&rest))
        .extract()
        .map_err(|error| SettingsError::Invalid(error.to_string()))?;
    // The helpdesk in use is not retired.
    if let Some(kind) = site.provider_kind().map(str::to_string) {
        site.retired_providers.remove(&kind);
    }
    for key in unset {
        match key.as_str() {
            "office_hours" => site.office_hours = None,
            "identity_secret" => site.identity_secret = None,
            theme => {
                let field = theme.strip_prefix("theme.").and_then(|field| site.theme.field_mut(field));
                if let Some(value) = field {
                    *value = None;
                }
            }
        }
    }
    Ok(site)
}

/// Everything loading a configuration file checks, for one site: templates, triggers, office
/// hours, identity secret, helpdesk settings (their sealed secrets opened with `file`'s key)
/// and webhook secrets.
pub fn check(key: &str, site: &SiteConfig, file: &Config) -> Result<(), SettingsError> {
    let invalid = |error: &dyn std::fmt::Display| SettingsError::Invalid(error.to_string());
    let demo = file.demo;
    if let Some(hours) = &site.office_hours {
        hours.schedule().map_err(|e| invalid(&e))?;
    }
    crate::config::check_identity_secret(demo, key, site, "settings", None).map_err(|e| invalid(&e))?;
    let alone = Config {
        sites: BTreeMap::from([(key.to_string(), site.clone())]),
        demo,
        secret_key: file.secret_key.clone(),
        ..Config::default()
    };
    alone.check("settings", None).map_err(|e| invalid(&e))
}

/// The document with `changes` set (dotted keys, `handover.text_message`), as TOML text.
pub fn with_changes(document: &str, changes: &[(&str, toml::Value)]) -> Result<String, SettingsError> {
    let mut table: toml::Table =
        document.parse().map_err(|e: toml::de::Error| SettingsError::Toml(e.message().into()))?;
    for (key, value) in changes {
        let mut at = &mut table;
        let mut parts = key.split('.').peekable();
        while let Some(part) = parts.next() {
            if parts.peek().is_none() {
                at.insert(part.to_string(), value.clone());
                break;
            }
            let next = at.entry(part.to_string()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if !next.is_table() {
                *next = toml::Value::Table(toml::Table::new());
            }
            let toml::Value::Table(next) = next else { unreachable!("made a table just above") };
            at = next;
        }
    }
    toml::to_string(&table).map_err(|e| SettingsError::Toml(e.to_string()))
}

/// `over`'s keys over `under`'s (tables merge key by key), as TOML text.
pub fn combine(under: &str, over: &str) -> Result<String, SettingsError> {
    let parse = |text: &str| text.parse::<toml::Table>().map_err(|e| SettingsError::Toml(e.message().into()));
    fn deep(into: &mut toml::Table, from: toml::Table) {
        for (key, value) in from {
            match (into.get_mut(&key), value) {
                (Some(toml::Value::Table(into)), toml::Value::Table(from)) => deep(into, from),
                (_, value) => {
                    into.insert(key, value);
                }
            }
        }
    }
    let mut table = parse(under)?;
    deep(&mut table, parse(over)?);
    toml::to_string(&table).map_err(|e| SettingsError::Toml(e.to_string()))
}

/// What changed between two documents, key by key (`handover.text_message: "a" -> "b"`), for
/// the audit log.
pub fn describe_changes(before: &str, after: &str) -> String {
    let flat = |document: &str| {
        let mut keys = BTreeMap::new();
        if let Ok(table) = document.parse::<toml::Table>() {
            flatten("", &toml::Value::Table(table), &mut keys);
        }
        keys
    };
    let (before, after) = (flat(before), flat(after));
    let mut lines = Vec::new();
    for (key, new) in &after {
        match before.get(key) {
            Some(old) if old == new => {}
            Some(old) => lines.push(format!("{key}: {old} -> {new}")),
            None => lines.push(format!("{key}: set to {new}")),
        }
    }
    lines.extend(before.keys().filter(|key| !after.contains_key(*key)).map(|key| format!("{key}: removed")));
    if lines.is_empty() {
        "no change".into()
    } else {
        lines.join("\n")
    }
}

/// Whether the audit log shows `value` at `key` only as `(secret)`: a sealed value, the
/// identity secret, and within the helpdesk tables (`provider`, `webhooks`) every setting but
/// those the connectors declare plain (`kind`, URLs, ids, switches).
fn is_secret(key: &str, value: &toml::Value) -> bool {
    if value.as_str().is_some_and(crate::sealed::is_sealed) || key == "identity_secret" {
        return true;
    }
    let setting = match key.split_once('.') {
        Some(("provider", setting)) => setting,
        Some(("webhooks" | "retired_providers", rest)) => rest.split_once('.').map_or(rest, |(_, setting)| setting),
        _ => return false,
    };
    setting != "kind" && !crate::connectors::is_plain_setting(setting)
}

fn flatten(prefix: &str, value: &toml::Value, into: &mut BTreeMap<String, String>) {
    match value {
        toml::Value::Table(table) => {
            for (key, value) in table {
                let key = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                flatten(&key, value, into);
            }
        }
        other => {
            let shown = if is_secret(prefix, other) { "(secret)".to_string() } else { other.to_string() };
            into.insert(prefix.to_string(), shown);
        }
    }
}

/// `site` as a TOML `[sites.<key>]` table, without its secrets ([`SECRET_KEYS`]).
pub fn export(key: &str, site: &SiteConfig) -> Result<String, SettingsError> {
    let toml::Value::Table(mut table) = toml::Value::try_from(site).map_err(|e| SettingsError::Toml(e.to_string()))?
    else {
        return Err(SettingsError::Invalid("a site's settings are a table".into()));
    };
    for secret in SECRET_KEYS {
        table.remove(secret);
    }
    let wrapped = toml::Table::from_iter([(
        "sites".to_string(),
        toml::Value::Table(toml::Table::from_iter([(key.to_string(), toml::Value::Table(table))])),
    )]);
    toml::to_string(&wrapped).map_err(|e| SettingsError::Toml(e.to_string()))
}

/// An imported TOML text as a document for `key`: either a `[sites.<key>]` table (of this site
/// only) or the site's keys at the top.
pub fn import(key: &str, text: &str) -> Result<String, SettingsError> {
    let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| SettingsError::Toml(e.message().into()))?;
    if let Some(sites) = table.remove("sites") {
        let toml::Value::Table(mut sites) = sites else {
            return Err(SettingsError::Invalid("`sites` must be a table".into()));
        };
        let Some(toml::Value::Table(site)) = sites.remove(key) else {
            return Err(SettingsError::Invalid(format!("the file has no [sites.{key}] table")));
        };
        if !sites.is_empty() || !table.is_empty() {
            return Err(SettingsError::Invalid(format!("only [sites.{key}] can be imported here")));
        }
        table = site;
    }
    // Helpdesk credentials are sealed when set on the Channels page; an import would store them
    // as typed.
    if let Some(key) = ["provider", "webhooks", "retired_providers"].into_iter().find(|key| table.contains_key(*key)) {
        return Err(SettingsError::Invalid(format!(
            "`{key}` is not imported: choose the helpdesk and enter its credentials on the Channels page"
        )));
    }
    toml::to_string(&table).map_err(|e| SettingsError::Toml(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(site: &str, document: &str) -> SettingsDoc {
        SettingsDoc {
            site: site.into(),
            version: 1,
            document: document.into(),
            updated_by: "test".into(),
            updated_at: 0,
        }
    }

    #[test]
    fn a_document_wins_for_the_keys_it_holds_and_the_file_keeps_the_rest() {
        let mut file = Config::default();
        file.sites.get_mut("demo").unwrap().bot_name = "File Bot".into();
        file.sites.get_mut("demo").unwrap().greeting = "From the file".into();
        let document = "bot_name = \"Database Bot\"\n[handover]\nquick_reply_text = \"Stop it\"\n";
        let config = overlay(&file, &[doc("demo", document), doc("fresh", "greeting = \"New site\"")]);
        let demo = &config.sites["demo"];
        assert_eq!(demo.bot_name, "Database Bot");
        assert_eq!(demo.greeting, "From the file");
        assert_eq!(demo.handover.quick_reply_text, "Stop it");
        assert_eq!(demo.handover.text_message, file.sites["demo"].handover.text_message);
        assert_eq!(config.sites["fresh"].greeting, "New site");
    }

    #[test]
    fn a_document_can_unset_the_files_office_hours_and_nothing_else() {
        let base = SiteConfig {
            office_hours: Some(crate::config::OfficeHours {
                timezone: "UTC".into(),
                days: Default::default(),
                holidays: Vec::new(),
            }),
            ..SiteConfig::default()
        };
        assert!(merge(&base, "").unwrap().office_hours.is_some());
        let open = merge(&base, "unset = [\"office_hours\"]\nbot_name = \"B\"").unwrap();
        assert_eq!((open.office_hours, open.bot_name.as_str()), (None, "B"));
        assert!(merge(&base, "unset = [\"bot_name\"]").is_err());
        assert!(merge(&base, "unset = \"office_hours\"").is_err());
    }

    #[test]
    fn a_document_can_unset_one_theme_setting_of_the_file_and_set_another() {
        let theme = crate::config::ThemeConfig {
            primary: Some("#0b6e4f".into()),
            avatar: Some("https://cdn.example/a.png".into()),
            ..Default::default()
        };
        let base = SiteConfig { theme, ..SiteConfig::default() };
        let site = merge(&base, "unset = [\"theme.avatar\"]\n[theme]\ntitle = \"Help\"\n").unwrap();
        assert_eq!(site.theme.primary.as_deref(), Some("#0b6e4f"), "the file's colour stays");
        assert_eq!(site.theme.avatar, None);
        assert_eq!(site.theme.title.as_deref(), Some("Help"));
        assert!(merge(&base, "unset = [\"theme.font\"]").is_err());
    }

    #[test]
    fn a_languages_handover_texts_replace_the_files_for_that_language_whole() {
        let mut base = SiteConfig::default();
        for language in ["de", "fr"] {
            let texts = crate::config::HandoverTexts {
                request_button_text: Some(format!("button {language}")),
                templates: [("text_message".to_string(), format!("started {language}"))].into(),
                ..Default::default()
            };
            base.handover.texts.insert(language.into(), texts);
        }
        let site = merge(&base, "[handover.texts.de]\nquick_reply_text = \"Abbrechen\"\n").unwrap();
        let de = &site.handover.texts["de"];
        assert_eq!(de.quick_reply_text.as_deref(), Some("Abbrechen"));
        assert_eq!((de.request_button_text.as_ref(), de.templates.get("text_message")), (None, None), "not the file's");
        assert_eq!(site.handover.texts["fr"], base.handover.texts["fr"], "other languages stay the file's");
    }

    #[test]
    fn a_document_that_does_not_check_is_left_out() {
        let file = Config::default();
        let broken = "[handover]\ntext_message = \"{% if %}\"\n";
        let config = overlay(&file, &[doc("demo", broken), doc("other", "no_such_key = 1")]);
        assert_eq!(config.sites["demo"].handover.text_message, file.sites["demo"].handover.text_message);
        assert!(!config.sites.contains_key("other"));
    }

    #[test]
    fn changes_set_dotted_keys_and_are_described_for_the_audit_log() {
        let before = "bot_name = \"A\"\n";
        let after = with_changes(
            before,
            &[("handover.text_message", "Hello".into()), ("bot_name", "B".into()), ("provider.token", "x".into())],
        )
        .unwrap();
        let table: toml::Table = after.parse().unwrap();
        assert_eq!(table["handover"]["text_message"].as_str(), Some("Hello"));
        let described = describe_changes(before, &after);
        assert!(described.contains("bot_name: \"A\" -> \"B\""), "{described}");
        assert!(described.contains("handover.text_message: set to \"Hello\""), "{described}");
        assert!(described.contains("provider.token: set to (secret)"), "{described}");
        assert!(!described.contains("\"x\""), "{described}");
    }

    #[test]
    fn helpdesk_tables_replace_the_files_whole_and_are_not_imported() {
        let mut base = SiteConfig::default();
        base.provider.insert("kind".into(), "intercom".into());
        base.provider.insert("access_token".into(), "from-the-file".into());
        base.webhooks.insert("intercom".into(), crate::config::Table::from([("client_secret".into(), "x".into())]));
        base.webhooks.insert("gorgias".into(), crate::config::Table::from([("secret".into(), "y".into())]));
        let site = merge(
            &base,
            "[provider]\nkind = \"link\"\nurl = \"https://x.test\"\n[webhooks.gorgias]\nheader = \"X-B\"\n",
        )
        .unwrap();
        assert_eq!(site.provider_kind(), Some("link"));
        assert!(!site.provider.contains_key("access_token"), "nothing of the file's intercom table");
        assert!(site.webhooks.contains_key("intercom"), "the previous helpdesk's webhooks stay");
        let retired = &site.retired_providers["intercom"];
        assert_eq!(retired.get("access_token").and_then(|v| v.as_str()), Some("from-the-file"), "and its calls");
        let back = merge(&base, "[provider]\nkind = \"intercom\"\naccess_token = \"new\"\n").unwrap();
        assert!(back.retired_providers.is_empty(), "the helpdesk in use is not retired");
        assert!(!site.webhooks["gorgias"].contains_key("secret"), "a webhook table is replaced whole");
        assert!(import("demo", "[provider]\nkind = \"builtin\"\n").is_err());
        assert!(import("demo", "[retired_providers.intercom]\nkind = \"intercom\"\n").is_err());
        assert!(import("demo", "[sites.demo.webhooks.intercom]\nclient_secret = \"x\"\n").is_err());
    }

    #[test]
    fn sealed_values_and_helpdesk_secrets_are_masked_in_the_audit_log() {
        let after = "[provider]\nkind = \"intercom\"\naccess_token = \"sealed:v1:oken:AAAA\"\nbase_url = \"https://api.intercom.io\"\n\
                     [webhooks.intercom]\nclient_secret = \"plain-but-secret\"\n";
        let described = describe_changes("", after);
        assert!(described.contains("provider.kind: set to \"intercom\""), "{described}");
        assert!(described.contains("provider.base_url: set to \"https://api.intercom.io\""), "{described}");
        assert!(described.contains("provider.access_token: set to (secret)"), "{described}");
        assert!(described.contains("webhooks.intercom.client_secret: set to (secret)"), "{described}");
        assert!(!described.contains("plain-but-secret") && !described.contains("AAAA"), "{described}");
    }

    #[test]
    fn an_export_imports_back_to_the_same_site_without_its_secrets() {
        let mut site = SiteConfig { identity_secret: Some("a-very-secret-key-123".into()), ..SiteConfig::default() };
        site.handover.quick_reply_text = "Stop".into();
        let exported = export("shop", &site).unwrap();
        assert!(exported.contains("[sites.shop"), "{exported}");
        assert!(!exported.contains("a-very-secret-key-123"), "{exported}");
        let document = import("shop", &exported).unwrap();
        let back = merge(&SiteConfig::default(), &document).unwrap();
        assert_eq!(back.handover, site.handover);
        assert_eq!(back.identity_secret, None);
        assert!(import("other", &exported).is_err());
        assert!(import("shop", "[sites.shop]\n[sites.else]\n").is_err());
        assert_eq!(import("shop", "bot_name = \"X\"").unwrap().trim(), "bot_name = \"X\"");
    }
}
