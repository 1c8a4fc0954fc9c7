//! Help articles: Markdown files in a site's help folder, split into sections at `##` headings.

use std::path::Path;

/// One help article.
#[derive(Debug, Clone)]
pub struct Article {
    /// The file stem, used in the article's URL.
    pub slug: String,
    pub title: String,
    /// The Markdown source.
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
    /// Reads every `*.md` file in `dir`. A missing folder yields no articles (and a warning).
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
            .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
            .filter_map(|path| {
                let slug = path.file_stem()?.to_str()?.to_string();
                let markdown = std::fs::read_to_string(&path)
                    .inspect_err(|error| tracing::warn!(path = %path.display(), %error, "skipping article"))
                    .ok()?;
                Some(Article::parse(slug, markdown))
            })
            .collect();
        articles.sort_by(|a, b| a.slug.cmp(&b.slug));
        Self(articles)
    }

    pub fn get(&self, slug: &str) -> Option<&Article> {
        self.0.iter().find(|a| a.slug == slug)
    }
}

impl Article {
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
    fn the_demo_articles_load() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../public/help");
        let articles = Articles::load(&dir);
        assert!(articles.get("shipping").is_some());
        assert!(articles.0.len() >= 5);
    }
}
