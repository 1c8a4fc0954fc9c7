//! What a helpdesk's webhook means, without the helpdesk: the provider-neutral events every
//! parser produces, and the small tools the parsers share (tolerant field access, HTML to
//! text, content-addressed ids).
//!
//! Parsers read `serde_json::Value` through JSON pointers rather than typed structs: vendors
//! send ids as strings or numbers and add fields freely, and a missing optional field must
//! never fail a delivery.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// One thing an agent did in the helpdesk, about one remote conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundEvent {
    /// The de-duplication key (SPEC 8.2): deliveries are at-least-once.
    pub event_id: String,
    /// The helpdesk's conversation, ticket or thread id.
    pub remote_conversation_id: String,
    pub kind: InboundKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InboundKind {
    /// `agent_name` is empty when the payload does not carry it (Freshchat, some HubSpot and
    /// Intercom events): whoever consumes the event looks the agent up.
    AgentJoined {
        agent_id: String,
        agent_name: String,
    },
    AgentMessage {
        agent_id: String,
        agent_name: String,
        text: String,
    },
    AgentTyping {
        on: bool,
    },
    /// The agent closed, solved or resolved it, or handed control back.
    Closed,
}

/// A body the relay cannot read: answered 400 and logged with the body, so nothing is lost.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("the body is not JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the payload has no {0}")]
    Missing(&'static str),
}

pub(super) fn json(body: &[u8]) -> Result<Value, ParseError> {
    Ok(serde_json::from_slice(body)?)
}

/// The string or number at `pointer`, as text; `None` when absent, null or empty.
pub(super) fn text(value: &Value, pointer: &str) -> Option<String> {
    match value.pointer(pointer)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Like [`text`], but a missing value fails the parse.
pub(super) fn required(value: &Value, pointer: &str, what: &'static str) -> Result<String, ParseError> {
    text(value, pointer).ok_or(ParseError::Missing(what))
}

/// A boolean that templating helpdesks may render as text (`"true"`, `"True"`, `"1"`).
pub(super) fn flag(value: &Value, pointer: &str) -> Option<bool> {
    match value.pointer(pointer)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Some(true),
            "false" | "0" | "no" | "" => Some(false),
            _ => None,
        },
        Value::Number(n) => Some(n.as_i64() != Some(0)),
        _ => None,
    }
}

/// A content-addressed event id for helpdesks whose templates carry no id of their own: a
/// redelivery of the same body is the same event. Templates should include something that
/// changes per update (see docs/webhooks.md), or two identical replies would merge.
pub(super) fn body_id(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    format!("sha256:{}", hex::encode(&digest[..16]))
}

/// Agent message bodies as plain text: tags dropped, block ends as line breaks, entities
/// decoded, `<script>`/`<style>` content removed.
///
/// A minimal stripper rather than `html2text`/`ammonia`: both pull in html5ever (a full HTML5
/// parser and its code generation) for bodies that are a few paragraphs of `<p>`, `<br>`, `<b>`
/// and `<a>`. A `<` not followed by a letter, `/` or `!` is kept as text ("a < b").
pub fn strip_html(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&decode_entities(&rest[..start]));
        let after = &rest[start + 1..];
        let is_tag = after.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '!');
        let Some(end) = after.find('>').filter(|_| is_tag) else {
            out.push('<');
            rest = after;
            continue;
        };
        let tag = after[..end].trim_start_matches('/').to_ascii_lowercase();
        let name: String = tag.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
        rest = &after[end + 1..];
        match name.as_str() {
            // A line break is always one; a block's start or end only ends the current line,
            // so `</p><p>` is one break, not a blank line.
            "br" => out.push('\n'),
            "p" | "div" | "li" | "tr" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "blockquote" | "pre"
                if !out.is_empty() && !out.ends_with('\n') =>
            {
                out.push('\n')
            }
            "script" | "style" if !after.starts_with('/') => {
                let close = format!("</{name}");
                rest = rest.to_ascii_lowercase().find(&close).map_or("", |i| &rest[i..]);
            }
            _ => {}
        }
    }
    out.push_str(&decode_entities(rest));
    tidy(&out)
}

/// Trims each line and collapses runs of blank lines into one.
fn tidy(text: &str) -> String {
    let mut lines: Vec<&str> = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() && lines.last().is_none_or(|l| l.is_empty()) {
            continue;
        }
        lines.push(line);
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines.join("\n")
}

fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let decoded = after.find(';').filter(|&end| end <= 10).and_then(|end| {
            let name = &after[..end];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_intercom_style_html() {
        assert_eq!(strip_html("<p>Hi Ada, I can help.</p>"), "Hi Ada, I can help.");
        assert_eq!(strip_html("<p>Line <b>one</b></p><p>Two &amp; three<br>four</p>"), "Line one\nTwo & three\nfour");
        assert_eq!(strip_html("<a href=\"https://x.test/?a=1&amp;b=2\">link</a> &#39;q&#x27;"), "link 'q'");
        assert_eq!(strip_html("a < b and c > d"), "a < b and c > d");
        assert_eq!(strip_html("x<script>alert(1)</script>y<style>p{}</style>z"), "xyz");
        assert_eq!(strip_html("5 &euro; &unknown; & done"), "5 &euro; &unknown; & done");
        assert_eq!(strip_html("unclosed <b"), "unclosed <b");
        assert_eq!(strip_html("<p>é ünïcode</p>"), "é ünïcode");
    }

    #[test]
    fn tolerant_fields() {
        let v: Value = serde_json::json!({"a": 1, "b": "x", "c": "", "d": null, "t": "True", "f": false});
        assert_eq!(text(&v, "/a").as_deref(), Some("1"));
        assert_eq!(text(&v, "/b").as_deref(), Some("x"));
        assert_eq!(text(&v, "/c"), None);
        assert_eq!(text(&v, "/d"), None);
        assert_eq!(flag(&v, "/t"), Some(true));
        assert_eq!(flag(&v, "/f"), Some(false));
        assert_eq!(body_id(b"x"), body_id(b"x"));
        assert_ne!(body_id(b"x"), body_id(b"y"));
    }
}
