//! What the widget needs to look and speak as the site wants: the visitor's languages and the
//! site's theme. Checked here, once, for both sides: the relay refuses a bad value when it loads
//! the configuration, the widget ignores one given by a page. A colour is only ever `#rgb` or
//! `#rrggbb` and an image only an `http(s)` URL without quotes, brackets or spaces, so neither
//! can carry CSS or script into the widget.

use serde::{Deserialize, Serialize};

/// The most languages a client may give (its preference list, best first).
pub const MAX_LANGUAGES: usize = 8;

/// A BCP 47 language tag in lower case (`de`, `pt-br`, `zh-hant-tw`), or `None` when `tag` is
/// not shaped like one (letters first, then letters and digits in parts of 1 to 8, `-` or `_`
/// between them, at most 35 characters).
pub fn language_tag(tag: &str) -> Option<String> {
    let tag = tag.trim();
    if tag.is_empty() || tag.len() > 35 {
        return None;
    }
    let mut parts = tag.split(['-', '_']);
    let primary = parts.next()?;
    if !(2..=8).contains(&primary.len()) || !primary.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let mut out = primary.to_ascii_lowercase();
    for part in parts {
        if !(1..=8).contains(&part.len()) || !part.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        out.push('-');
        out.push_str(&part.to_ascii_lowercase());
    }
    Some(out)
}

/// The primary language of a tag: `pt` for `pt-br`.
pub fn primary_language(tag: &str) -> &str {
    tag.split('-').next().unwrap_or(tag)
}

/// A site's look, sent in `welcome` (every field optional: the widget's own default stands).
/// Unknown fields are ignored, so a newer relay's additions do not break an older widget.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Theme {
    /// The brand colour of the launcher, the header and the visitor's bubbles: `#rgb` or
    /// `#rrggbb`. The text on it is chosen by the widget for contrast ([`text_on`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<String>,
    /// Where the launcher sits: `right` (default) or `left`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
    /// The panel's title, instead of the bot's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// An image shown in the header instead of the title's initial: an absolute `http(s)` URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    /// A line shown above the messages while the conversation is empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub greeting: Option<String>,
    /// `light`, `dark` or `auto` (follows the visitor's `prefers-color-scheme`; the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
}

/// The longest title or greeting kept, in characters.
pub const MAX_THEME_TEXT_CHARS: usize = 200;

impl Theme {
    pub fn is_empty(&self) -> bool {
        *self == Theme::default()
    }

    /// What is wrong with the first bad field, as `(field, reason)`.
    pub fn check(&self) -> Result<(), (&'static str, &'static str)> {
        if self.primary.as_deref().is_some_and(|c| parse_colour(c).is_none()) {
            return Err(("primary", "a colour is #rgb or #rrggbb"));
        }
        if self.position.as_deref().is_some_and(|p| position(p).is_none()) {
            return Err(("position", "left or right"));
        }
        if self.avatar.as_deref().is_some_and(|a| image_url(a).is_none()) {
            return Err(("avatar", "an absolute http(s) URL without quotes, brackets, backslashes or spaces"));
        }
        if self.scheme.as_deref().is_some_and(|s| scheme(s).is_none()) {
            return Err(("scheme", "light, dark or auto"));
        }
        for (field, text) in [("title", &self.title), ("greeting", &self.greeting)] {
            if text.as_ref().is_some_and(|t| t.chars().count() > MAX_THEME_TEXT_CHARS) {
                return Err((field, "at most 200 characters"));
            }
        }
        Ok(())
    }

    /// `self` with every field of `over` that is valid put on top (a page's settings over the
    /// site's); invalid ones are left out.
    pub fn overlay(&self, over: &Theme) -> Theme {
        let pick = |mine: &Option<String>, theirs: &Option<String>, ok: fn(&str) -> bool| {
            theirs.clone().filter(|v| ok(v)).or_else(|| mine.clone())
        };
        let text_ok: fn(&str) -> bool = |t| !t.trim().is_empty() && t.chars().count() <= MAX_THEME_TEXT_CHARS;
        Theme {
            primary: pick(&self.primary, &over.primary, |c| parse_colour(c).is_some()),
            position: pick(&self.position, &over.position, |p| position(p).is_some()),
            title: pick(&self.title, &over.title, text_ok),
            avatar: pick(&self.avatar, &over.avatar, |a| image_url(a).is_some()),
            greeting: pick(&self.greeting, &over.greeting, text_ok),
            scheme: pick(&self.scheme, &over.scheme, |s| scheme(s).is_some()),
        }
    }
}

/// `left` or `right`, in any case.
pub fn position(text: &str) -> Option<&'static str> {
    match text.trim().to_ascii_lowercase().as_str() {
        "left" => Some("left"),
        "right" => Some("right"),
        _ => None,
    }
}

/// `light`, `dark` or `auto`, in any case.
pub fn scheme(text: &str) -> Option<&'static str> {
    match text.trim().to_ascii_lowercase().as_str() {
        "light" => Some("light"),
        "dark" => Some("dark"),
        "auto" => Some("auto"),
        _ => None,
    }
}

/// An absolute `http:` or `https:` URL made only of characters that need no escaping in an
/// attribute or a CSS `url()`; anything else (`javascript:`, `data:`, quotes, spaces) is `None`.
pub fn image_url(url: &str) -> Option<&str> {
    let url = url.trim();
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let safe = |c: char| c.is_ascii_alphanumeric() || "-._~:/?#[]@!$&*+,;=%".contains(c);
    (host_end > 0 && url.len() <= 2048 && url.chars().all(safe)).then_some(url)
}

/// The red, green and blue of `#rgb` or `#rrggbb` (any case); anything else is `None`.
/// (Digit by digit rather than `from_str_radix` or `format!`: this code is in the widget's wasm,
/// where those cost kilobytes.)
pub fn parse_colour(text: &str) -> Option<[u8; 3]> {
    let digits = text.trim().strip_prefix('#')?.as_bytes();
    let digit = |i: usize| -> Option<u8> { char::from(*digits.get(i)?).to_digit(16).map(|d| d as u8) };
    match digits.len() {
        3 => Some([digit(0)? * 17, digit(1)? * 17, digit(2)? * 17]),
        6 => Some([digit(0)? << 4 | digit(1)?, digit(2)? << 4 | digit(3)?, digit(4)? << 4 | digit(5)?]),
        _ => None,
    }
}

/// A colour as `#rrggbb`, the only form the widget writes into its style.
pub fn colour_hex(rgb: [u8; 3]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(7);
    out.push('#');
    for c in rgb {
        out.push(char::from(HEX[usize::from(c >> 4)]));
        out.push(char::from(HEX[usize::from(c & 15)]));
    }
    out
}

/// The relative luminance of an sRGB colour (WCAG 2.x), 0 (black) to 1 (white).
pub fn luminance(rgb: [u8; 3]) -> f64 {
    let channel = |c: u8| f64::from(LINEAR[usize::from(c)]) / 65535.0;
    0.2126 * channel(rgb[0]) + 0.7152 * channel(rgb[1]) + 0.0722 * channel(rgb[2])
}

/// Each 8-bit sRGB channel value linearised (c / 12.92 up to 0.04045, else ((c + 0.055) /
/// 1.055)^2.4), times 65535: a table instead of `powf`, whose code would cost the widget 2 KB
/// (the test below checks it against the formula).
const LINEAR: [u16; 256] = [
    0, 20, 40, 60, 80, 99, 119, 139, 159, 179, 199, 219, 241, 264, 288, 313, 340, 367, 396, 427, 458, 491, 526, 562,
    599, 637, 677, 718, 761, 805, 851, 898, 947, 997, 1048, 1101, 1156, 1212, 1270, 1330, 1391, 1453, 1517, 1583, 1651,
    1720, 1790, 1863, 1937, 2013, 2090, 2170, 2250, 2333, 2418, 2504, 2592, 2681, 2773, 2866, 2961, 3058, 3157, 3258,
    3360, 3464, 3570, 3678, 3788, 3900, 4014, 4129, 4247, 4366, 4488, 4611, 4736, 4864, 4993, 5124, 5257, 5392, 5530,
    5669, 5810, 5953, 6099, 6246, 6395, 6547, 6700, 6856, 7014, 7174, 7335, 7500, 7666, 7834, 8004, 8177, 8352, 8528,
    8708, 8889, 9072, 9258, 9445, 9635, 9828, 10022, 10219, 10417, 10619, 10822, 11028, 11235, 11446, 11658, 11873,
    12090, 12309, 12530, 12754, 12980, 13209, 13440, 13673, 13909, 14146, 14387, 14629, 14874, 15122, 15371, 15623,
    15878, 16135, 16394, 16656, 16920, 17187, 17456, 17727, 18001, 18277, 18556, 18837, 19121, 19407, 19696, 19987,
    20281, 20577, 20876, 21177, 21481, 21787, 22096, 22407, 22721, 23038, 23357, 23678, 24002, 24329, 24658, 24990,
    25325, 25662, 26001, 26344, 26688, 27036, 27386, 27739, 28094, 28452, 28813, 29176, 29542, 29911, 30282, 30656,
    31033, 31412, 31794, 32179, 32567, 32957, 33350, 33745, 34143, 34544, 34948, 35355, 35764, 36176, 36591, 37008,
    37429, 37852, 38278, 38706, 39138, 39572, 40009, 40449, 40891, 41337, 41785, 42236, 42690, 43147, 43606, 44069,
    44534, 45002, 45473, 45947, 46423, 46903, 47385, 47871, 48359, 48850, 49344, 49841, 50341, 50844, 51349, 51858,
    52369, 52884, 53401, 53921, 54445, 54971, 55500, 56032, 56567, 57105, 57646, 58190, 58737, 59287, 59840, 60396,
    60955, 61517, 62082, 62650, 63221, 63795, 64372, 64952, 65535,
];

/// The WCAG contrast ratio of two colours, 1 to 21.
pub fn contrast(a: [u8; 3], b: [u8; 3]) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// White text, for dark brand colours.
pub const WHITE: [u8; 3] = [0xff, 0xff, 0xff];
/// Near-black text, for light brand colours. Dark enough that every background reaches 4.5:1
/// with it or with white: the two ratios multiply to 1.05 / (L + 0.05), which must be at least
/// 4.5² = 20.25, so L ≤ 0.0019 (#111111, L = 0.0056, leaves mid tones at 4.35:1).
pub const NEAR_BLACK: [u8; 3] = [0x05, 0x05, 0x05];

/// The text colour on a background of `primary`: white where it reaches WCAG AA for normal text
/// (4.5:1), else whichever of white and near-black contrasts more, which then reaches AA.
pub fn text_on(primary: [u8; 3]) -> [u8; 3] {
    let (white, dark) = (contrast(primary, WHITE), contrast(primary, NEAR_BLACK));
    if white >= 4.5 || white >= dark {
        WHITE
    } else {
        NEAR_BLACK
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags_are_checked_and_lowered() {
        assert_eq!(language_tag("de").as_deref(), Some("de"));
        assert_eq!(language_tag(" pt-BR ").as_deref(), Some("pt-br"));
        assert_eq!(language_tag("zh_Hant_TW").as_deref(), Some("zh-hant-tw"));
        for bad in ["", "d", "1de", "de--at", "de-", "de;x", "en-toolongpart", "<b>", &"a".repeat(40)] {
            assert_eq!(language_tag(bad), None, "{bad:?}");
        }
        assert_eq!(primary_language("pt-br"), "pt");
        assert_eq!(primary_language("nl"), "nl");
    }

    #[test]
    fn only_hex_colours_pass() {
        assert_eq!(parse_colour("#0a7"), Some([0x00, 0xaa, 0x77]));
        assert_eq!(parse_colour("#FFcc00"), Some([0xff, 0xcc, 0x00]));
        for bad in ["red", "#12", "#12345", "#1234567", "#ggg", "0a7", "#fff;background:url(x)", "#fff}", ""] {
            assert_eq!(parse_colour(bad), None, "{bad:?}");
        }
        assert_eq!(colour_hex([0, 0xaa, 0x77]), "#00aa77");
    }

    #[test]
    fn the_linear_table_is_the_srgb_formula() {
        for (c, &v) in LINEAR.iter().enumerate() {
            let x = c as f64 / 255.0;
            let linear = if x <= 0.04045 { x / 12.92 } else { ((x + 0.055) / 1.055).powf(2.4) };
            assert!((f64::from(v) / 65535.0 - linear).abs() <= 0.5 / 65535.0, "{c}");
        }
    }

    #[test]
    fn contrast_matches_wcag_reference_values() {
        assert!((contrast(WHITE, [0, 0, 0]) - 21.0).abs() < 1e-9);
        assert!((contrast(WHITE, WHITE) - 1.0).abs() < 1e-9);
        // WebAIM's checker: #777777 on white is 4.48:1, #767676 is 4.54:1.
        assert!((contrast([0x77; 3], WHITE) - 4.48).abs() < 0.01);
        assert!((contrast([0x76; 3], WHITE) - 4.54).abs() < 0.01);
        // The widget's default blue, #2563eb, with white: 5.17:1.
        assert!((contrast([0x25, 0x63, 0xeb], WHITE) - 5.17).abs() < 0.01);
    }

    #[test]
    fn the_text_on_a_colour_reaches_aa_whenever_black_or_white_can() {
        assert_eq!(text_on([0x25, 0x63, 0xeb]), WHITE, "dark blue");
        assert_eq!(text_on([0xff, 0xcc, 0x00]), NEAR_BLACK, "yellow");
        assert_eq!(text_on([0xff, 0xff, 0xff]), NEAR_BLACK, "white");
        assert_eq!(text_on([0x00, 0x00, 0x00]), WHITE, "black");
        assert_eq!(text_on([0x00, 0xaa, 0x77]), NEAR_BLACK, "green: white is only 2.9:1");
        // Every grey and a spread of colours: the chosen text reaches 4.5:1.
        for v in (0..=255).step_by(5) {
            for rgb in [[v, v, v], [v, 0, 0], [0, v, 0], [0, 0, v], [v, 255 - v, 128]] {
                let ratio = contrast(rgb, text_on(rgb));
                assert!(ratio >= 4.5, "{rgb:?}: {ratio:.2}");
            }
        }
    }

    #[test]
    fn images_must_be_plain_http_urls() {
        assert_eq!(image_url("https://cdn.example.com/a.png"), Some("https://cdn.example.com/a.png"));
        assert!(image_url("http://127.0.0.1:8080/x?y=1&z=%20").is_some());
        for bad in [
            "javascript:alert(1)",
            "data:image/png;base64,AAAA",
            "//cdn.example.com/a.png",
            "https://a.example/x\"onerror=1",
            "https://a.example/x) ; background:red",
            "https://a.example/a b.png",
            "https:///nohost",
            "https://a.example/\\x",
        ] {
            assert_eq!(image_url(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_theme_is_checked_and_a_page_overlays_only_valid_fields() {
        let site = Theme { primary: Some("#123456".into()), title: Some("Help".into()), ..Theme::default() };
        assert_eq!(site.check(), Ok(()));
        assert_eq!(Theme { primary: Some("red".into()), ..Theme::default() }.check().unwrap_err().0, "primary");
        assert_eq!(Theme { position: Some("top".into()), ..Theme::default() }.check().unwrap_err().0, "position");
        assert_eq!(Theme { scheme: Some("neon".into()), ..Theme::default() }.check().unwrap_err().0, "scheme");
        let page = Theme {
            primary: Some("#fff;}body{display:none".into()),
            position: Some("left".into()),
            avatar: Some("javascript:alert(1)".into()),
            greeting: Some("Hallo!".into()),
            ..Theme::default()
        };
        let merged = site.overlay(&page);
        assert_eq!(merged.primary.as_deref(), Some("#123456"), "an invalid colour leaves the site's");
        assert_eq!(merged.position.as_deref(), Some("left"));
        assert_eq!(merged.avatar, None);
        assert_eq!(merged.title.as_deref(), Some("Help"));
        assert_eq!(merged.greeting.as_deref(), Some("Hallo!"));
    }
}
