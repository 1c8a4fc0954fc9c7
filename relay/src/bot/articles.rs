//! Help articles: Markdown (`*.md`) and HTML (`*.html`, `*.htm`) files in a site's help folder,
//! split into sections at level-two headings. HTML is reduced to the same shape (title from
//! `<h1>` or `<title>`, sections at `<h2>`, tags dropped) so the ranking never sees markup.

use std::sync::LazyLock;

use regex::Regex;

use std::path::Path;

/// One help article.
#[derive(Debug, Clone)]
pub struct Article {
    /// The file stem, used in the article's URL.
    pub slug: String,
    pub title: String,
    /// The source as written: Markdown, or an HTML article's markup (which Markdown passes
    /// through when the article is served).
    pub markdown: String,
    pub sections: Vec<Section>,
}

/// A part of an article under one `##` heading (or the text before the first heading).
#[derive(Debug, Clone)]
pub struct Section {
    pub heading: String,
    pub text: String,
}

/// All articles of a site.
#[derive(Debug, Clone, Default)]
pub struct Articles(pub Vec<Article>);

impl Articles {
    /// Reads every article in `dir`. A missing folder yields no articles (and a warning).
    pub fn load(dir: &Path) -> Self {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(error) => {
                tracing::warn!(dir = %dir.display(), %error, "help folder unreadable; the bot has no articles");
                return Self::default();
            }
        };
        let mut articles: Vec<Article> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| article_kind(path).is_some())
            .filter_map(|path| {
                let slug = path.file_stem()?.to_str()?.to_string();
                let source = std::fs::read_to_string(&path)
                    .inspect_err(|error| tracing::warn!(path = %path.display(), %error, "skipping article"))
                    .ok()?;
                Some(match article_kind(&path)? {
                    Kind::Markdown => Article::parse(slug, source),
                    Kind::Html => Article::parse_html(slug, &source),
                })
            })
            .collect();
        articles.sort_by(|a, b| a.slug.cmp(&b.slug));
        Self(articles)
    }

    pub fn get(&self, slug: &str) -> Option<&Article> {
        self.0.iter().find(|a| a.slug == slug)
    }
}

enum Kind {
    Markdown,
    Html,
}

/// Whether `path` is an article, and of which kind.
fn article_kind(path: &Path) -> Option<Kind> {
    match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "md" | "markdown" => Some(Kind::Markdown),
        "html" | "htm" => Some(Kind::Html),
        _ => None,
    }
}

/// The parts of HTML that carry no article text.
static HTML_NOISE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?is)<!--.*?-->|<(script|style|head|nav|footer)\b.*?</(script|style|head|nav|footer)\s*>")
        .expect("static regex")
});
static HTML_TITLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?is)<title[^>]*>(.*?)</title\s*>").expect("static regex"));
static HTML_HEADING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?is)<h([12])\b[^>]*>(.*?)</h[12]\s*>").expect("static regex"));
static HTML_BLOCK_END: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)</(p|li|div|tr|td|th|section|article|ul|ol|table)\s*>|<br\s*/?>").expect("static regex")
});
static HTML_TAG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?s)<[^>]*>").expect("static regex"));

/// Tags dropped and the common entities decoded.
fn html_text(html: &str) -> String {
    // Inline tags vanish without a space ("<b>wax</b>." stays "wax."); blocks already
    // ended their line.
    let text = HTML_TAG.replace_all(html, "");
    let text = text
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Article {
    /// An HTML article as a Markdown-shaped one: `#`/`##` headings and one line per block.
    pub fn parse_html(slug: String, html: &str) -> Self {
        let title = HTML_TITLE.captures(html).map(|c| html_text(&c[1]));
        let body = HTML_NOISE.replace_all(html, " ");
        let body = HTML_HEADING.replace_all(&body, |c: &regex::Captures<'_>| {
            let marks = if &c[1] == "1" { "#" } else { "##" };
            format!("\n{marks} {}\n", html_text(&c[2]))
        });
        let body = HTML_BLOCK_END.replace_all(&body, "\n");
        let shaped: String =
            body.lines().map(|line| html_text(line) + "\n").collect::<String>().replace("\n#", "\n\n#");
        let mut article = Self::parse(slug, shaped.replace("\n\n\n", "\n\n"));
        if let Some(title) = title.filter(|t| !t.is_empty()) {
            if article.title == article.slug {
                article.title = title;
            }
        }
        // Served as written: Markdown passes the markup through.
        article.markdown = HTML_NOISE.replace_all(html, "").trim().to_string();
        article
    }

    pub fn parse(slug: String, markdown: String) -> Self {
        let mut title = slug.clone();
        let mut sections = vec![Section { heading: String::new(), text: String::new() }];
        for line in markdown.lines() {
            if let Some(h1) = line.strip_prefix("# ") {
                title = h1.trim().to_string();
            } else if let Some(h2) = line.strip_prefix("## ") {
                sections.push(Section { heading: h2.trim().to_string(), text: String::new() });
            } else if let Some(section) = sections.last_mut() {
                if !line.trim().is_empty() {
                    if !section.text.is_empty() {
                        section.text.push(' ');
                    }
                    section.text.push_str(line.trim());
                }
            }
        }
        sections.retain(|s| !s.text.is_empty());
        Self { slug, title, markdown, sections }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_follow_level_two_headings() {
        let a = Article::parse("x".into(), "# Title\nintro\n## One\nfirst\nline\n\n## Two\nsecond\n".into());
        assert_eq!(a.title, "Title");
        let parts: Vec<_> = a.sections.iter().map(|s| (s.heading.as_str(), s.text.as_str())).collect();
        assert_eq!(parts, vec![("", "intro"), ("One", "first line"), ("Two", "second")]);
    }

    #[test]
    fn html_articles_take_the_same_shape() {
        let html = "<html><head><title>Care</title><style>p{}</style></head><body><h1>Caring for shoes</h1>\
                    <p>Brush &amp; air them.</p><h2 class=\"x\">Leather</h2><p>Use <b>wax</b>.</p>\
                    <p>Never a dryer.</p><script>alert(1)</script></body></html>";
        let a = Article::parse_html("care".into(), html);
        assert_eq!(a.title, "Caring for shoes");
        let parts: Vec<_> = a.sections.iter().map(|s| (s.heading.as_str(), s.text.as_str())).collect();
        assert_eq!(parts, vec![("", "Brush & air them."), ("Leather", "Use wax. Never a dryer.")]);
    }

    #[test]
    fn the_demo_articles_load() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../public/help");
        let articles = Articles::load(&dir);
        assert!(articles.get("shipping").is_some());
        assert!(articles.0.len() >= 5);
    }
}
