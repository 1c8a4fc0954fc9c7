//! Reading helpdesk answers: vendors send ids as strings or numbers and leave fields out, so
//! answers are read as `serde_json::Value` through these tolerant accessors.

use serde_json::{json, Value};

/// An id or text the helpdesk sends as a string or a number; `None` when absent, empty or
/// anything else.
pub fn id_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// [`id_text`] of `value[key]`.
pub fn string_field(value: &Value, key: &str) -> Option<String> {
    id_text(value.get(key))
}

/// [`id_text`] at a JSON pointer (`/ticket/id`).
pub fn string_at(value: &Value, pointer: &str) -> Option<String> {
    id_text(value.pointer(pointer))
}

/// A non-empty string at `value[key]` (numbers do not count).
pub fn string(value: &Value, key: &str) -> Option<String> {
    value[key].as_str().filter(|s| !s.is_empty()).map(str::to_owned)
}

/// An id for a helpdesk whose ids are integers: a number when it is one, else the text as it is.
pub fn id_value(id: &str) -> Value {
    id.parse::<u64>().map(Value::from).unwrap_or_else(|_| json!(id))
}

/// A person as a helpdesk describes them (`name` or `firstname` + `lastname`, `email`), in
/// one line: `Ciaran Lee <ciaran@example.com>`; `None` when the answer names nobody.
pub fn person(value: &Value) -> Option<String> {
    let name = string(value, "name").or_else(|| {
        let parts: Vec<String> = ["firstname", "lastname"].iter().filter_map(|key| string(value, key)).collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    });
    match (name, string(value, "email")) {
        (Some(name), Some(email)) => Some(format!("{name} <{email}>")),
        (Some(one), None) | (None, Some(one)) => Some(one),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_read_as_strings_or_numbers_and_written_as_numbers_when_they_are() {
        let answer = json!({"id": 12, "name": "", "ticket": {"id": "t-7"}, "flag": true});
        assert_eq!(string_field(&answer, "id").as_deref(), Some("12"));
        assert_eq!(string_field(&answer, "name"), None);
        assert_eq!(string_field(&answer, "flag"), None);
        assert_eq!(string_field(&json!("not an object"), "id"), None);
        assert_eq!(string_at(&answer, "/ticket/id").as_deref(), Some("t-7"));
        assert_eq!(string(&answer, "id"), None, "numbers are not strings");
        assert_eq!(string(&answer["ticket"], "id").as_deref(), Some("t-7"));
        assert_eq!(id_value("20978392"), json!(20978392));
        assert_eq!(id_value("abc"), json!("abc"));
        assert_eq!(person(&json!({"name": "Ada", "email": "a@x.test"})).as_deref(), Some("Ada <a@x.test>"));
        assert_eq!(person(&json!({"firstname": "Ada", "lastname": "L"})).as_deref(), Some("Ada L"));
        assert_eq!(person(&json!({"id": 1})), None);
    }
}
