//! HTML in both directions: agent message bodies from helpdesks as plain text, and Baton's text
//! as the HTML bodies some helpdesks take.

/// Text as an HTML body (Freshdesk, Gorgias's `body_html`): escaped, line breaks kept.
pub fn from_text(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\n', "<br>")
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
    fn text_becomes_escaped_html_with_its_line_breaks() {
        assert_eq!(from_text("a <b> & \"c\"\nd"), "a &lt;b&gt; &amp; &quot;c&quot;<br>d");
    }
}
