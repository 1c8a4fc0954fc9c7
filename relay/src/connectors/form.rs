//! How the owner dashboard asks for a connector's settings: each connector lists its
//! `[sites.<key>.provider]` and webhook settings as [`Field`]s (name, label, hint, what kind of
//! value, whether it is a secret), next to its settings type, and the dashboard draws a form
//! from them. The settings type stays the judge of what is valid: the form's values are read
//! by it like a file's (`registry::tests::every_field_is_a_setting_of_its_connector`).

use figment::value::Value;

use crate::config::Table;

/// What kind of value a setting takes, and so how the form asks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// One line of text.
    Text,
    /// Several lines (a PEM key).
    LongText,
    /// A credential: asked in a password input, sealed at rest, never shown again in full.
    Secret,
    /// A whole number.
    Number,
    /// Several values, one a line (or separated by commas).
    List,
    /// On or off, with its default.
    Flag { default: bool },
    /// One of these values.
    Choice(&'static [&'static str]),
}

/// One setting of a connector as the dashboard asks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// The key in the connector's table; a dot for a nested table (`availability.api_token`).
    pub name: &'static str,
    pub label: &'static str,
    /// What to enter and what an empty field means.
    pub hint: &'static str,
    pub kind: FieldKind,
    /// The settings type has no default for it.
    pub required: bool,
}

impl Field {
    pub const fn text(name: &'static str, label: &'static str, hint: &'static str) -> Self {
        Self { name, label, hint, kind: FieldKind::Text, required: false }
    }

    pub const fn secret(name: &'static str, label: &'static str, hint: &'static str) -> Self {
        Self { name, label, hint, kind: FieldKind::Secret, required: false }
    }

    pub const fn long_text(name: &'static str, label: &'static str, hint: &'static str) -> Self {
        Self { name, label, hint, kind: FieldKind::LongText, required: false }
    }

    pub const fn number(name: &'static str, label: &'static str, hint: &'static str) -> Self {
        Self { name, label, hint, kind: FieldKind::Number, required: false }
    }

    pub const fn list(name: &'static str, label: &'static str, hint: &'static str) -> Self {
        Self { name, label, hint, kind: FieldKind::List, required: false }
    }

    pub const fn flag(name: &'static str, label: &'static str, hint: &'static str, default: bool) -> Self {
        Self { name, label, hint, kind: FieldKind::Flag { default }, required: false }
    }

    pub const fn choice(
        name: &'static str,
        label: &'static str,
        hint: &'static str,
        values: &'static [&'static str],
    ) -> Self {
        Self { name, label, hint, kind: FieldKind::Choice(values), required: false }
    }

    /// The settings type needs a value.
    pub const fn required(self) -> Self {
        Self { required: true, ..self }
    }

    pub fn is_secret(&self) -> bool {
        self.kind == FieldKind::Secret
    }

    /// The tags the ticket helpdesks put on every ticket (`connectors::settings::default_tags`).
    pub const fn tags() -> Self {
        Self::list(
            "tags",
            "Tags",
            "On every ticket, one a line (the helpdesk's rules can filter on them). Empty: bot_handover.",
        )
    }

    /// The ticket helpdesks' subject prefix (`connectors::settings::default_subject_prefix`).
    pub const fn subject_prefix() -> Self {
        Self::text("subject_prefix", "Subject prefix", "Empty: Chat handover.")
    }

    /// The request timeout every helpdesk connector has.
    pub const fn timeout() -> Self {
        Self::number(
            "timeout_seconds",
            "Timeout (seconds)",
            "How long a call may take before it counts as failed. Empty: 10.",
        )
    }

    /// `text` as this field's value in a settings table; `None` for an empty field (the
    /// default applies), `Err` when it is not of the field's kind.
    pub fn value(&self, text: &str) -> Result<Option<Value>, String> {
        let text = text.trim();
        Ok(Some(match self.kind {
            FieldKind::Flag { .. } => Value::from(!text.is_empty() && text != "off" && text != "false"),
            _ if text.is_empty() => return Ok(None),
            FieldKind::Number => Value::from(text.parse::<u64>().map_err(|_| "Enter a whole number.".to_string())?),
            FieldKind::List => Value::from(
                text.split(['\n', ','])
                    .map(str::trim)
                    .filter(|item| !item.is_empty())
                    .map(Value::from)
                    .collect::<Vec<_>>(),
            ),
            FieldKind::Choice(values) if !values.contains(&text) => {
                return Err(format!("Choose one of {}.", values.join(", ")))
            }
            FieldKind::LongText => Value::from(text.replace("\r\n", "\n")),
            FieldKind::Text | FieldKind::Secret | FieldKind::Choice(_) => Value::from(text),
        }))
    }

    /// How a value of this field in a settings table reads in the form.
    pub fn text_of(&self, value: &Value) -> String {
        match value {
            Value::Array(_, items) => items.iter().filter_map(|item| item.as_str()).collect::<Vec<_>>().join("\n"),
            Value::String(_, text) => text.clone(),
            Value::Bool(_, on) => if *on { "on" } else { "" }.to_string(),
            Value::Num(_, number) => number.to_u128().map_or_else(String::new, |n| n.to_string()),
            _ => String::new(),
        }
    }
}

/// The value at `dotted` in `table`, if any.
pub fn get<'a>(table: &'a Table, dotted: &str) -> Option<&'a Value> {
    match dotted.split_once('.') {
        None => table.get(dotted),
        Some((head, rest)) => get(table.get(head)?.as_dict()?, rest),
    }
}

/// Puts `value` at `dotted` in `table`, making the nested tables on the way.
pub fn put(table: &mut Table, dotted: &str, value: Value) {
    match dotted.split_once('.') {
        None => {
            table.insert(dotted.to_string(), value);
        }
        Some((head, rest)) => {
            let inner = table.entry(head.to_string()).or_insert_with(|| Value::from(Table::new()));
            if inner.as_dict().is_none() {
                *inner = Value::from(Table::new());
            }
            if let Value::Dict(_, inner) = inner {
                put(inner, rest, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_text_becomes_typed_values_and_back() {
        let number = Field::timeout();
        assert_eq!(number.value(" 7 ").unwrap(), Some(Value::from(7u64)));
        assert_eq!(number.value("").unwrap(), None);
        assert!(number.value("seven").is_err());
        let list = Field::list("tags", "Tags", "");
        let tags = list.value("a, b\nc").unwrap().unwrap();
        assert_eq!(list.text_of(&tags), "a\nb\nc");
        let flag = Field::flag("on", "On", "", true);
        assert_eq!(flag.value("").unwrap(), Some(Value::from(false)));
        assert_eq!(flag.value("on").unwrap(), Some(Value::from(true)));
        let choice = Field::choice("auth", "Auth", "", &["basic", "jwt"]);
        assert!(choice.value("oauth").is_err());
        let mut table = Table::new();
        put(&mut table, "availability.api_token", Value::from("t"));
        assert_eq!(get(&table, "availability.api_token").and_then(Value::as_str), Some("t"));
    }
}
