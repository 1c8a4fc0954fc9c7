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
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Connector(#[from] ProviderError),
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
        let key = error.path.join(".");
        SettingsError::Invalid(if key.is_empty() { error.kind.to_string() } else { format!("{key}: {}", error.kind) })
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
}
