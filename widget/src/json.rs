//! JSON without `serde_json` in the wasm: the browser parses (`JSON.parse`) and this module
//! walks the result into a small [`Value`] tree; JSON text going out is written by [`Obj`].
//!
//! Why: `serde_json` (its parser, `Value` with a `BTreeMap`, its errors and number printing)
//! cost the widget ~40 KB of wasm, about 12 KB of brotli on the wire, for what the browser
//! already does. The decoders (`ws/decode.rs`, `bridge/command.rs`, `look::page_theme`) read
//! [`Value`] with the same names as `serde_json::Value` (`Value::Object`, `as_u64`, `get`,
//! `remove`), so they stay plain Rust. Natively (the unit tests, the fuzz targets) the text is
//! parsed by `serde_json` and converted, keeping its numbers exact; in the browser a number is
//! a double, so `1.0` reads as `1` and integers above 2^53 are rounded (the relay's sequence
//! numbers and times are far below).
//!
//! This file is also compiled into the fuzz crate (`fuzz/fuzz_targets/widget_decode.rs`), so
//! it depends on `serde_json` (natively) and `wasm-bindgen`/`js-sys` (in wasm) only.

/// The deepest nesting read (`serde_json`'s own limit); deeper input is refused, never a
/// stack overflow.
pub const MAX_DEPTH: usize = 128;

/// A JSON value, named as `serde_json::Value` is.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Value>),
    Object(Object),
}

/// A JSON number as `serde_json` keeps it: a non-negative integer, a negative one, or a float.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    PosInt(u64),
    NegInt(i64),
    Float(f64),
}

/// A JSON object: its members in order, keys unique.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Object(Vec<(String, Value)>);

impl Object {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let at = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.swap_remove(at).1)
    }

    /// The members, in the order read.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl Number {
    /// From a double (what the browser gives): an integer when it is one.
    pub fn from_f64(n: f64) -> Number {
        // 2^64: every integral double below it fits a u64 exactly.
        if n.fract() == 0.0 && (0.0..18_446_744_073_709_551_616.0).contains(&n) {
            Number::PosInt(n as u64)
        } else if n.fract() == 0.0 && (-9_223_372_036_854_775_808.0..0.0).contains(&n) {
            Number::NegInt(n as i64)
        } else {
            Number::Float(n)
        }
    }
}

impl Number {
    /// The number as text: integers as digits, other numbers as JavaScript's `String(n)`
    /// writes them (natively, as Rust does).
    pub fn text(self) -> String {
        match self {
            Number::PosInt(n) => n.to_string(),
            Number::NegInt(n) => n.to_string(),
            Number::Float(f) => float_text(f),
        }
    }
}

#[cfg(target_arch = "wasm32")]
fn float_text(f: f64) -> String {
    js_sys::Number::from(f).to_string_with_radix(10).map(String::from).unwrap_or_default()
}

#[cfg(not(target_arch = "wasm32"))]
fn float_text(f: f64) -> String {
    f.to_string()
}

impl Value {
    /// A member of an object (`None` for anything else), as `serde_json::Value::get`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(o) => o.get(key),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Number(Number::PosInt(n)) => Some(*n),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(Number::PosInt(n)) => i64::try_from(*n).ok(),
            Value::Number(Number::NegInt(n)) => Some(*n),
            _ => None,
        }
    }
}

/// Parses JSON text.
pub fn parse(text: &str) -> Result<Value, String> {
    parse_text(text)
}

#[cfg(not(target_arch = "wasm32"))]
fn parse_text(text: &str) -> Result<Value, String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    Ok(from_serde(value))
}

/// A `serde_json` value as a [`Value`] (natively: tests, fuzzing).
#[cfg(not(target_arch = "wasm32"))]
pub fn from_serde(value: serde_json::Value) -> Value {
    match value {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => Value::Number(match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Number::PosInt(u),
            (None, Some(i)) => Number::NegInt(i),
            _ => Number::Float(n.as_f64().unwrap_or(f64::NAN)),
        }),
        serde_json::Value::String(s) => Value::String(s),
        serde_json::Value::Array(items) => Value::Array(items.into_iter().map(from_serde).collect()),
        serde_json::Value::Object(map) => {
            Value::Object(Object(map.into_iter().map(|(k, v)| (k, from_serde(v))).collect()))
        }
    }
}

#[cfg(target_arch = "wasm32")]
fn parse_text(text: &str) -> Result<Value, String> {
    let value = js_sys::JSON::parse(text).map_err(|_| String::from("not JSON"))?;
    from_js(&value)
}

/// A JS value as `JSON.parse` gives it (strings, numbers, booleans, null, arrays and plain
/// objects) as a [`Value`]; `undefined` and anything else reads as null.
#[cfg(target_arch = "wasm32")]
pub fn from_js(value: &wasm_bindgen::JsValue) -> Result<Value, String> {
    from_js_at(value, 0)
}

#[cfg(target_arch = "wasm32")]
fn from_js_at(value: &wasm_bindgen::JsValue, depth: usize) -> Result<Value, String> {
    use wasm_bindgen::JsCast;
    if depth > MAX_DEPTH {
        return Err("nested too deeply".into());
    }
    Ok(if let Some(s) = value.as_string() {
        Value::String(s)
    } else if let Some(n) = value.as_f64() {
        Value::Number(Number::from_f64(n))
    } else if let Some(b) = value.as_bool() {
        Value::Bool(b)
    } else if js_sys::Array::is_array(value) {
        let items = value.unchecked_ref::<js_sys::Array>();
        Value::Array(items.iter().map(|item| from_js_at(&item, depth + 1)).collect::<Result<_, _>>()?)
    } else if value.is_object() {
        let entries = js_sys::Object::entries(value.unchecked_ref());
        let mut members = Vec::with_capacity(entries.length() as usize);
        for entry in entries.iter() {
            let entry = entry.unchecked_into::<js_sys::Array>();
            members.push((entry.get(0).as_string().unwrap_or_default(), from_js_at(&entry.get(1), depth + 1)?));
        }
        Value::Object(Object(members))
    } else {
        Value::Null
    })
}

/// Writes a JSON object's text member by member, as `serde_json::to_string` would write it
/// (same escapes, no spaces): `Obj::new().str("type", "ping").end()`.
pub struct Obj(String);

impl Default for Obj {
    fn default() -> Self {
        Self::new()
    }
}

impl Obj {
    pub fn new() -> Self {
        Obj(String::from("{"))
    }

    fn key(&mut self, key: &str) {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        quote(&mut self.0, key);
        self.0.push(':');
    }

    /// A member whose value is already JSON text.
    pub fn raw(mut self, key: &str, json: &str) -> Self {
        self.key(key);
        self.0.push_str(json);
        self
    }

    pub fn str(mut self, key: &str, value: &str) -> Self {
        self.key(key);
        quote(&mut self.0, value);
        self
    }

    /// The string, or `null`.
    pub fn opt_str(self, key: &str, value: Option<&str>) -> Self {
        match value {
            Some(value) => self.str(key, value),
            None => self.raw(key, "null"),
        }
    }

    /// The string, or nothing (`skip_serializing_if = "Option::is_none"`).
    pub fn some_str(self, key: &str, value: Option<&str>) -> Self {
        match value {
            Some(value) => self.str(key, value),
            None => self,
        }
    }

    pub fn u64(self, key: &str, value: u64) -> Self {
        self.raw(key, &value.to_string())
    }

    pub fn i64(self, key: &str, value: i64) -> Self {
        self.raw(key, &value.to_string())
    }

    pub fn bool(self, key: &str, value: bool) -> Self {
        self.raw(key, if value { "true" } else { "false" })
    }

    /// An array of strings.
    pub fn strs(mut self, key: &str, values: &[String]) -> Self {
        self.key(key);
        self.0.push('[');
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                self.0.push(',');
            }
            quote(&mut self.0, value);
        }
        self.0.push(']');
        self
    }

    pub fn end(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

/// Appends `s` as a JSON string, escaped as `serde_json` escapes (`\"`, `\\`, `\b`, `\f`, `\n`,
/// `\r`, `\t`, other control characters as `\u00xx`; everything else as it is).
pub fn quote(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c < ' ' => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(char::from(HEX[(c as usize) >> 4]));
                out.push(char::from(HEX[(c as usize) & 0xf]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let all: String = (0u32..0x80).filter_map(char::from_u32).chain("é€😀\u{2028}".chars()).collect();
        for s in ["", "plain", "quote \" back \\ slash", "\n\r\t\u{8}\u{c}\u{0}\u{1f}\u{7f}", &all] {
            let mut ours = String::new();
            quote(&mut ours, s);
            assert_eq!(ours, serde_json::to_string(s).unwrap());
        }
    }

    #[test]
    fn objects_are_written_as_serde_json_writes_them() {
        let text = Obj::new()
            .str("type", "x\"y")
            .opt_str("none", None)
            .some_str("skipped", None)
            .some_str("kept", Some("k"))
            .u64("big", u64::MAX)
            .i64("neg", -5)
            .bool("yes", true)
            .strs("list", &["a".into(), "b\n".into()])
            .strs("empty", &[])
            .end();
        let expected = serde_json::json!({"type": "x\"y", "none": null, "kept": "k", "big": u64::MAX, "neg": -5,
                                          "yes": true, "list": ["a", "b\n"], "empty": []});
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), expected);
        assert_eq!(Obj::new().end(), "{}");
    }

    #[test]
    fn numbers_keep_their_kind() {
        let v = parse(r#"{"u": 18446744073709551615, "i": -3, "f": 1.5, "s": "t", "b": false, "n": null}"#).unwrap();
        assert_eq!(v.get("u").and_then(Value::as_u64), Some(u64::MAX));
        assert_eq!(v.get("u").and_then(Value::as_i64), None);
        assert_eq!(v.get("i").and_then(Value::as_i64), Some(-3));
        assert_eq!(v.get("i").and_then(Value::as_u64), None);
        assert_eq!(v.get("f").and_then(Value::as_u64), None);
        assert_eq!(v.get("s").and_then(Value::as_str), Some("t"));
        assert_eq!(v.get("b").and_then(Value::as_bool), Some(false));
        assert_eq!(v.get("n"), Some(&Value::Null));
        assert_eq!(v.get("missing"), None);
        assert!(parse("{").is_err());
    }

    #[test]
    fn doubles_read_as_the_browser_gives_them() {
        assert_eq!(Number::from_f64(3.0), Number::PosInt(3));
        assert_eq!(Number::from_f64(-0.0), Number::PosInt(0));
        assert_eq!(Number::from_f64(-7.0), Number::NegInt(-7));
        assert_eq!(Number::from_f64(1.5), Number::Float(1.5));
        assert_eq!(Number::from_f64(1e300), Number::Float(1e300));
        assert!(matches!(Number::from_f64(f64::NAN), Number::Float(_)));
        assert_eq!(Number::from_f64(f64::INFINITY), Number::Float(f64::INFINITY));
    }

    #[test]
    fn members_are_removed_once() {
        let Value::Object(mut o) = parse(r#"{"a": 1, "b": 2, "c": 3}"#).unwrap() else { panic!() };
        assert_eq!(o.remove("a"), Some(Value::Number(Number::PosInt(1))));
        assert_eq!(o.remove("a"), None);
        assert_eq!(o.get("c"), Some(&Value::Number(Number::PosInt(3))));
    }
}
