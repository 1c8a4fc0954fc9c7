//! The registry: [`registry!`] turns the one list of connectors in `connectors/mod.rs` into
//! their modules, [`ProviderKind`] and the dispatch from a kind to its connector's static
//! parts (name, settings, webhook check); the generic functions here do the work for any
//! [`Connector`].

use std::{marker::PhantomData, sync::Arc};

use figment::{providers::Serialized, Figment};
use serde::de::DeserializeOwned;

use super::{Connector, Context, Delivery, InboundEvent, Provider, ProviderError, ProviderKind, Refusal};
use crate::config::Table;

/// Declares the connector modules and generates [`ProviderKind`] (one variant per connector,
/// its serde name the connector's `NAME`) with its dispatch.
macro_rules! registry {
    ($($module:ident :: $connector:ident as $kind:ident),+ $(,)?) => {
        $(pub mod $module;)+

        /// Which helpdesk: one per connector in the registry.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum ProviderKind {
            $($kind),+
        }

        impl ProviderKind {
            /// Every registered helpdesk, in the registry's order.
            pub const ALL: &'static [ProviderKind] = &[$(ProviderKind::$kind),+];

            /// The connector's name (`kind = "..."`, URLs, the store).
            pub fn name(self) -> &'static str {
                match self {
                    $(Self::$kind => <$module::$connector as Connector>::NAME),+
                }
            }

            /// The helpdesk's name as people write it.
            pub fn label(self) -> &'static str {
                match self {
                    $(Self::$kind => <$module::$connector as Connector>::LABEL),+
                }
            }

            /// The provider settings the dashboard asks for.
            pub fn fields(self) -> &'static [Field] {
                match self {
                    $(Self::$kind => <$module::$connector as Connector>::FIELDS),+
                }
            }

            /// The webhook settings the dashboard asks for.
            pub fn webhook_fields(self) -> &'static [Field] {
                match self {
                    $(Self::$kind => <$module::$connector as Connector>::WEBHOOK_FIELDS),+
                }
            }

            fn aliases(self) -> &'static [&'static str] {
                match self {
                    $(Self::$kind => <$module::$connector as Connector>::ALIASES),+
                }
            }

            /// Whether `/webhooks/<name>/...` exists for this helpdesk.
            pub fn receives_webhooks(self) -> bool {
                match self {
                    $(Self::$kind => <$module::$connector as Connector>::RECEIVES_WEBHOOKS),+
                }
            }

            /// Builds this helpdesk's connector from its settings (the provider table without
            /// `kind`).
            fn build(self, settings: &$crate::config::Table, context: &Context<'_>)
                -> Result<std::sync::Arc<dyn Provider>, SettingsError> {
                match self {
                    $(Self::$kind => registry::build::<$module::$connector>(settings, context)),+
                }
            }

            /// This helpdesk's webhook check for a site, from `[sites.<key>.webhooks.<name>]`.
            pub fn webhook(self, settings: &$crate::config::Table)
                -> Result<std::sync::Arc<dyn Webhook>, SettingsError> {
                match self {
                    $(Self::$kind => registry::webhook::<$module::$connector>(settings)),+
                }
            }
        }
    };
}

impl ProviderKind {
    /// The helpdesk called `name` (its name or an alias; `-` and `_` alike).
    pub fn named(name: &str) -> Option<Self> {
        let name = name.replace('-', "_");
        Self::ALL.iter().copied().find(|kind| kind.name() == name || kind.aliases().contains(&name.as_str()))
    }
}

/// Why a site's helpdesk settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("no helpdesk is called {0:?}")]
    UnknownKind(String),
    #[error("`kind` is missing")]
    NoKind,
    #[error("{0} sends no webhooks")]
    NoWebhooks(&'static str),
    /// The settings do not read as the connector's type: what is wrong, and with which key
    /// of the table when one is to blame (`availability.base_url`).
    #[error("{message}")]
    Invalid { key: Option<String>, message: String },
    #[error(transparent)]
    Connector(#[from] ProviderError),
}

impl SettingsError {
    /// The setting (within the helpdesk's table) the error is about, when it names one.
    pub fn setting(&self) -> Option<String> {
        match self {
            Self::Invalid { key, .. } => key.clone(),
            // `require` and the connectors say `<name>.<setting> is empty` (or similar).
            Self::Connector(ProviderError::Config(message)) => {
                let first = message.split_whitespace().next()?;
                let (_, setting) = first.split_once('.')?;
                Some(setting.trim_end_matches([',', ':']).to_string())
            }
            _ => None,
        }
    }
}

/// A webhook setting refused at load: `setting` (within the helpdesk's table; `None` for the
/// table as a whole) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeakWebhook {
    pub setting: Option<&'static str>,
    pub problem: String,
}

impl WeakWebhook {
    /// `secret` as the key of `setting` is too short (or empty) to be safe.
    pub fn short(setting: &'static str, secret: &str) -> Option<Self> {
        let short = secret.trim().chars().count() < crate::config::MIN_SECRET_CHARS;
        short.then(|| Self {
            setting: Some(setting),
            problem: format!("empty or shorter than {} characters", crate::config::MIN_SECRET_CHARS),
        })
    }

    /// As `<name>.<setting>: <problem>` (or `<name>: <problem>`).
    pub fn describe(&self, name: &str) -> String {
        match self.setting {
            Some(setting) => format!("{name}.{setting}: {}", self.problem),
            None => format!("{name}: {}", self.problem),
        }
    }
}

/// A site's check of one helpdesk's webhooks (its settings read once, when the site is built).
pub trait Webhook: Send + Sync {
    fn verify_and_parse(&self, delivery: &Delivery<'_>) -> Result<Vec<InboundEvent>, Refusal>;
    /// A setting refused when the configuration file loads.
    fn weak(&self) -> Option<WeakWebhook>;
}

struct Verifier<C: Connector> {
    settings: C::Webhook,
    connector: PhantomData<fn() -> C>,
}

impl<C: Connector> Webhook for Verifier<C> {
    fn verify_and_parse(&self, delivery: &Delivery<'_>) -> Result<Vec<InboundEvent>, Refusal> {
        C::verify_and_parse(&self.settings, delivery)
    }

    fn weak(&self) -> Option<WeakWebhook> {
        C::weak_webhook(&self.settings)
    }
}

/// A connector's typed settings from a raw table, as the configuration loader would read them.
fn settings<T: DeserializeOwned>(table: &Table) -> Result<T, SettingsError> {
    Figment::from(Serialized::defaults(table)).extract().map_err(|error| {
        // The key within the table and what is wrong; where the table is, the caller says.
        let path = error.path.join(".");
        let message = if path.is_empty() { error.kind.to_string() } else { format!("{path}: {}", error.kind) };
        let key = match &error.kind {
            figment::error::Kind::MissingField(field) => {
                Some(if path.is_empty() { field.to_string() } else { format!("{path}.{field}") })
            }
            _ => (!path.is_empty()).then_some(path),
        };
        SettingsError::Invalid { key, message }
    })
}

pub(super) fn build<C: Connector>(table: &Table, context: &Context<'_>) -> Result<Arc<dyn Provider>, SettingsError> {
    Ok(Arc::new(C::build(settings(table)?, context)?))
}

pub(super) fn webhook<C: Connector>(table: &Table) -> Result<Arc<dyn Webhook>, SettingsError> {
    if !C::RECEIVES_WEBHOOKS {
        return Err(SettingsError::NoWebhooks(C::NAME));
    }
    Ok(Arc::new(Verifier::<C> { settings: settings(table)?, connector: PhantomData }))
}

/// Builds the connector `[sites.<key>.provider]` names with its `kind`; returns that kind too.
pub fn build_provider(
    table: &Table,
    context: &Context<'_>,
) -> Result<(ProviderKind, Arc<dyn Provider>), SettingsError> {
    let kind = table.get("kind").and_then(|kind| kind.as_str()).ok_or(SettingsError::NoKind)?;
    let kind = ProviderKind::ALL
        .iter()
        .copied()
        .find(|k| k.name() == kind)
        .ok_or_else(|| SettingsError::UnknownKind(kind.to_string()))?;
    let mut settings = table.clone();
    settings.remove("kind");
    Ok((kind, kind.build(&settings, context)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectors::{form::put, Field, FieldKind};

    #[test]
    fn every_kind_is_stored_and_named_by_its_connectors_name() {
        for &kind in ProviderKind::ALL {
            assert_eq!(serde_json::to_value(kind).unwrap(), serde_json::json!(kind.name()));
            assert_eq!(ProviderKind::named(kind.name()), Some(kind));
        }
        assert_eq!(ProviderKind::named("zendesk-support"), Some(ProviderKind::ZendeskSupport));
        assert_eq!(ProviderKind::named("zendesk"), Some(ProviderKind::ZendeskSupport));
        assert_eq!(ProviderKind::named("sunshine"), Some(ProviderKind::ZendeskMessaging));
        assert_eq!(ProviderKind::named("nobody"), None);
    }

    /// A value of `field`'s kind that every connector accepts.
    fn sample(field: &Field) -> figment::value::Value {
        use figment::value::Value;
        match field.kind {
            FieldKind::Text | FieldKind::LongText => Value::from("https://a@x.test"),
            FieldKind::Secret => Value::from("0123456789abcdef-secret"),
            FieldKind::Number => Value::from(5u64),
            FieldKind::List => Value::from(vec![Value::from("a")]),
            FieldKind::Flag { default } => Value::from(!default),
            FieldKind::Choice(values) => Value::from(values[0]),
        }
    }

    /// The dashboard's forms are drawn from the connectors' field lists: every field is a
    /// setting its connector's type reads (they refuse unknown keys), the required ones are
    /// enough, and leaving out any of those is refused naming that field.
    #[test]
    fn every_field_is_a_setting_of_its_connector_and_the_required_ones_are_named() {
        let presence = crate::agents::Presence::default();
        let context = Context { presence: &presence };
        for &kind in ProviderKind::ALL {
            let table = |fields: &mut dyn Iterator<Item = &Field>| {
                let mut table = Table::from([("kind".to_string(), kind.name().into())]);
                fields.for_each(|field| put(&mut table, field.name, sample(field)));
                table
            };
            let all = table(&mut kind.fields().iter());
            if let Err(error) = build_provider(&all, &context) {
                panic!("{}: every field filled: {error}", kind.name());
            }
            let required: Vec<&Field> = kind.fields().iter().filter(|f| f.required).collect();
            match build_provider(&table(&mut required.iter().copied()), &context) {
                Ok(_) => {}
                // Zendesk tickets want a token or OAuth: a rule across fields, not a missing one.
                Err(error) => assert!(error.setting().is_none(), "{}: required fields only: {error}", kind.name()),
            }
            for left_out in &required {
                let without = table(&mut required.iter().copied().filter(|f| f.name != left_out.name));
                let error = build_provider(&without, &context).err().expect("refused");
                assert_eq!(error.setting().as_deref(), Some(left_out.name), "{}: {error}", kind.name());
            }
            if kind.receives_webhooks() {
                let mut all = Table::new();
                kind.webhook_fields().iter().for_each(|field| put(&mut all, field.name, sample(field)));
                if let Err(error) = kind.webhook(&all) {
                    panic!("{} webhook: {error}", kind.name());
                }
                assert!(!kind.webhook_fields().is_empty(), "{}: the dashboard asks for its webhook", kind.name());
            }
        }
        assert!(crate::connectors::is_plain_setting("base_url") && crate::connectors::is_plain_setting("tags"));
        for secret in
            ["access_token", "key_secret", "api_token", "api_key", "client_secret", "secret", "signing_secret"]
        {
            assert!(!crate::connectors::is_plain_setting(secret), "{secret}");
        }
    }
}
