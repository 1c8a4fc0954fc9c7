//! What a file is, judged from its bytes alone: the name and the type a client claims are
//! never believed. A file whose bytes are not one of the site's allowed types is refused, so a
//! page (HTML, SVG, script) renamed `photo.png` never gets in.

/// Why a file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the file is {size} bytes; this site accepts files up to {max} bytes")]
    TooLarge { size: u64, max: u64 },
    #[error("the file is empty")]
    Empty,
    #[error("files of this type ({found}) are not accepted here; allowed: {allowed}")]
    TypeNotAllowed { found: String, allowed: String },
}

/// How many leading bytes are searched for markup in a text file.
const MARKUP_WINDOW: usize = 4096;

/// The type of `bytes` if it is one of `allowed`: recognised by its magic numbers (the `infer`
/// crate), or `text/plain` for UTF-8 text without markup in it.
pub fn sniff(bytes: &[u8], allowed: &[String]) -> Result<&'static str, Refused> {
    if bytes.is_empty() {
        return Err(Refused::Empty);
    }
    let found = recognise(bytes);
    match found {
        Some(kind) if allowed.iter().any(|a| a == kind) => Ok(kind),
        _ => {
            Err(Refused::TypeNotAllowed { found: found.unwrap_or("unknown").to_string(), allowed: allowed.join(", ") })
        }
    }
}

/// The type of `bytes`, if Baton can tell it.
fn recognise(bytes: &[u8]) -> Option<&'static str> {
    if let Some(kind) = infer::get(bytes) {
        return Some(kind.mime_type());
    }
    let text = std::str::from_utf8(bytes).ok()?;
    if text.contains('\0') {
        return None;
    }
    let head: String = text.chars().take(MARKUP_WINDOW).collect::<String>().to_ascii_lowercase();
    let markup = ["<html", "<!doctype", "<svg", "<script", "<?xml", "<body", "<iframe", "<object", "<meta", "<head"];
    if markup.iter().any(|m| head.contains(m)) {
        return Some("text/html");
    }
    Some("text/plain")
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

    fn defaults() -> Vec<String> {
        crate::config::SiteAttachments::default().types
    }

    #[test]
    fn the_bytes_decide_not_the_name() {
        assert_eq!(sniff(PNG, &defaults()), Ok("image/png"));
        assert_eq!(sniff(b"%PDF-1.7\n", &defaults()), Ok("application/pdf"));
        assert_eq!(sniff("Order 1234, size M\n".as_bytes(), &defaults()), Ok("text/plain"));
        for page in [
            &b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"[..],
            b"<!DOCTYPE html><html><script>alert(1)</script></html>",
            b"  \n <HTML><body onload=alert(1)>",
            b"hello\n<script>alert(1)</script>",
            b"<?xml version='1.0'?><svg/>",
        ] {
            assert!(matches!(sniff(page, &defaults()), Err(Refused::TypeNotAllowed { .. })), "{page:?}");
        }
        let zip = b"PK\x03\x04\x14\0\0\0\0\0";
        assert!(matches!(sniff(zip, &defaults()), Err(Refused::TypeNotAllowed { .. })));
        assert!(matches!(sniff(b"\0\x01\x02binary", &defaults()), Err(Refused::TypeNotAllowed { .. })));
        assert_eq!(sniff(b"", &defaults()), Err(Refused::Empty));
        assert!(matches!(sniff(PNG, &["application/pdf".to_string()]), Err(Refused::TypeNotAllowed { .. })));
    }
}
