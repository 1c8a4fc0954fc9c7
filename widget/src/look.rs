//! The site's and the page's theme turned into what the widget writes on its host element: an
//! adopted `:host { ... }` sheet of custom properties (so the host page's own rules on
//! `#baton-widget-host` still win, see `style/baton.css`) and two attributes. Pure: values are
//! checked by `shared::look` (a colour is only ever `#rrggbb` here), tested natively.

use shared::{
    look::{colour_hex, contrast, parse_colour, position, scheme, text_on, Theme},
    ServerFrame,
};

use crate::json::Value;

/// The light background the primary colour may be written on as text (`--baton-bg`).
const LIGHT_BG: [u8; 3] = [0xff, 0xff, 0xff];
/// The dark scheme's background (`--baton-bg` in the dark scheme).
const DARK_BG: [u8; 3] = [0x1e, 0x21, 0x28];
/// Text colours used instead when the primary colour is too faint as text on those.
const LIGHT_TEXT: [u8; 3] = [0x1f, 0x23, 0x29];
const DARK_TEXT: [u8; 3] = [0xe8, 0xea, 0xed];

/// The `:host` rule for `theme`'s colour, or `None` without one (the stylesheet's defaults).
pub fn host_css(theme: &Theme) -> Option<String> {
    let primary = parse_colour(theme.primary.as_deref()?)?;
    let as_text =
        |bg: [u8; 3], fallback: [u8; 3]| colour_hex(if contrast(primary, bg) >= 4.5 { primary } else { fallback });
    let values = [
        colour_hex(primary),
        colour_hex(primary),
        colour_hex(text_on(primary)),
        as_text(LIGHT_BG, LIGHT_TEXT),
        as_text(DARK_BG, DARK_TEXT),
    ];
    let names = ["primary", "primary-2", "on-primary", "primary-text", "primary-text-dark"];
    let mut css = String::from(":host{");
    for (name, value) in names.iter().zip(&values) {
        css.push_str("--baton-");
        css.push_str(name);
        css.push(':');
        css.push_str(value);
        css.push(';');
    }
    css.pop();
    css.push('}');
    Some(css)
}

/// `data-baton-scheme` on the host: the theme's `light` or `dark`, else (`auto`, nothing or
/// nonsense) what the visitor prefers.
pub fn scheme_attribute(theme: &Theme, prefers_dark: bool) -> &'static str {
    match theme.scheme.as_deref().and_then(scheme) {
        Some(fixed @ ("light" | "dark")) => fixed,
        _ if prefers_dark => "dark",
        _ => "light",
    }
}

/// `data-baton-position` on the host: `left`, or `None` (the default, right).
pub fn position_attribute(theme: &Theme) -> Option<&'static str> {
    position(theme.position.as_deref()?).filter(|p| *p == "left")
}

/// A page's theme from a `configure` command's JSON (`Baton.configure({...})`, the tag's
/// `data-*` attributes): its string fields, unchecked (`Theme::overlay` keeps the valid ones).
pub fn page_theme(value: &Value) -> Theme {
    let field = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_string);
    Theme {
        primary: field("primary"),
        position: field("position"),
        title: field("title"),
        avatar: field("avatar"),
        greeting: field("greeting"),
        scheme: field("scheme"),
    }
}

/// What the widget keeps of a site's `welcome` between page loads (localStorage), so a
/// returning visitor sees the site's look and language before the socket opens: one line per
/// value (language, then the theme's fields), empty for none. Plain lines, not JSON: building
/// a JSON object costs the wasm 3 KB.
pub fn remembered(welcome: &ServerFrame) -> Option<String> {
    let ServerFrame::Welcome { language, theme, .. } = welcome else { return None };
    let values =
        [language, &theme.primary, &theme.position, &theme.title, &theme.avatar, &theme.greeting, &theme.scheme];
    let lines: Vec<String> =
        values.iter().map(|v| v.as_deref().unwrap_or_default().replace(['\n', '\r'], " ")).collect();
    Some(lines.join("\n"))
}

/// [`remembered`]'s text read back: (site language, site theme), unchecked like a page's.
pub fn recall(text: &str) -> (Option<String>, Theme) {
    let mut lines = text.split('\n').map(|l| Some(l.to_string()).filter(|l| !l.is_empty()));
    let mut next = || lines.next().flatten();
    let language = next();
    let theme =
        Theme { primary: next(), position: next(), title: next(), avatar: next(), greeting: next(), scheme: next() };
    (language, theme)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_primary(colour: &str) -> Theme {
        Theme { primary: Some(colour.into()), ..Theme::default() }
    }

    #[test]
    fn a_colour_becomes_host_properties_with_readable_text() {
        assert_eq!(host_css(&Theme::default()), None);
        assert_eq!(host_css(&with_primary("not a colour")), None);
        // Dark green: white on it, itself readable on white, too dark as text on the dark
        // background (the dark scheme's text colour instead).
        assert_eq!(
            host_css(&with_primary("#0B6E4F")).unwrap(),
            ":host{--baton-primary:#0b6e4f;--baton-primary-2:#0b6e4f;--baton-on-primary:#ffffff;\
             --baton-primary-text:#0b6e4f;--baton-primary-text-dark:#e8eaed}"
        );
        // Yellow: near-black on it; as text, the light scheme's text colour; readable on dark.
        assert_eq!(
            host_css(&with_primary("#fc0")).unwrap(),
            ":host{--baton-primary:#ffcc00;--baton-primary-2:#ffcc00;--baton-on-primary:#050505;\
             --baton-primary-text:#1f2329;--baton-primary-text-dark:#ffcc00}"
        );
    }

    #[test]
    fn nothing_but_a_hex_colour_reaches_the_css() {
        for hostile in ["#fff;} :host{display:none", "red", "url(x)", "#fff\\;", "expression(alert(1))"] {
            assert_eq!(host_css(&with_primary(hostile)), None, "{hostile:?}");
        }
    }

    #[test]
    fn scheme_and_position_attributes() {
        let theme = |scheme: &str, position: &str| Theme {
            scheme: Some(scheme.into()),
            position: Some(position.into()),
            ..Theme::default()
        };
        for prefers_dark in [false, true] {
            assert_eq!(scheme_attribute(&theme("Dark", "left"), prefers_dark), "dark");
            assert_eq!(scheme_attribute(&theme("light", "left"), prefers_dark), "light");
        }
        assert_eq!(scheme_attribute(&theme("auto", "left"), true), "dark");
        assert_eq!(scheme_attribute(&theme("neon", "left"), false), "light");
        assert_eq!(scheme_attribute(&Theme::default(), true), "dark");
        assert_eq!(position_attribute(&theme("auto", "LEFT")), Some("left"));
        assert_eq!(position_attribute(&theme("auto", "right")), None);
        assert_eq!(position_attribute(&Theme::default()), None);
    }

    #[test]
    fn the_page_overlays_the_site_and_the_site_is_remembered() {
        let page = page_theme(
            &crate::json::parse(r##"{"cmd": "configure", "primary": "#123", "title": 5, "scheme": "dark"}"##).unwrap(),
        );
        assert_eq!(page, Theme { primary: Some("#123".into()), scheme: Some("dark".into()), ..Theme::default() });
        let welcome = ServerFrame::Welcome {
            v: 1,
            conversation_id: "c".into(),
            resume_token: "t".into(),
            last_seq: 0,
            bot_name: "B".into(),
            new_conversation: true,
            handover_button: "x".into(),
            language: Some("de".into()),
            theme: Theme { title: Some("Hilfe".into()), primary: Some("#0a7".into()), ..Theme::default() },
            email_capture: None,
            email: None,
            transcript_email: false,
            attachments: None,
        };
        let (language, site) = recall(&remembered(&welcome).unwrap());
        assert_eq!(language.as_deref(), Some("de"));
        assert_eq!(site.title.as_deref(), Some("Hilfe"));
        assert_eq!(site.overlay(&page).primary.as_deref(), Some("#123"));
        assert_eq!(recall(""), (None, Theme::default()));
        let (_, junk) = recall("x\n#fff;}\n");
        assert_eq!(Theme::default().overlay(&junk), Theme::default(), "what is read back is checked like a page's");
    }
}
