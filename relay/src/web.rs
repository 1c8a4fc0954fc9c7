//! Plain HTTP: the loader script, the built widget, the demo page and help articles; and the
//! JSON error answer every API of the relay gives ([`json_error`], [`api_error`]).

use std::path::Path;

use axum::{
    body::Bytes,
    extract::{Path as UrlPath, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{Html, IntoResponse, Response},
    routing::get,
    Router,
};
use sha2::{Digest, Sha256};
use tower_http::{cors::CorsLayer, services::ServeDir, set_header::SetResponseHeaderLayer};

use crate::state::AppState;

/// The demo page is served under the strict policy a careful site owner would set: scripts only
/// from this origin plus WebAssembly compilation, no inline script or style, no eval.
const DEMO_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
                        img-src 'self' data:; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'";

/// `status` with the relay's JSON error body: `{"error": {"code": code, "message": message}}`.
pub fn json_error(status: StatusCode, code: &str, message: impl std::fmt::Display) -> Response {
    let body = serde_json::json!({"error": {"code": code, "message": message.to_string()}});
    (status, axum::Json(body)).into_response()
}

/// [`json_error`] for an API whose callers must not read internal causes: a server error is
/// logged as `what` failing and answered with `instead`; any other says what went wrong.
pub fn api_error(
    status: StatusCode,
    code: &str,
    error: &impl std::fmt::Display,
    what: &str,
    instead: &str,
) -> Response {
    if status.is_server_error() {
        tracing::error!(error = %error, "{what} failed");
        json_error(status, code, instead)
    } else {
        json_error(status, code, error)
    }
}

pub fn router(state: &AppState) -> Router<AppState> {
    let public = &state.config.public_dir;
    let widget_dir = &state.config.widget_dir;
    if !widget_dir.join("baton-widget_bg.wasm").exists() {
        tracing::warn!(dir = %widget_dir.display(), "the widget is not built here; run `trunk build --release`");
    }
    // Host pages on other origins import the widget as an ES module and fetch its wasm: both
    // are CORS requests, so the widget's files carry `Access-Control-Allow-Origin: *`. Trunk's
    // post-build hook wrote `.br`/`.gz` beside each file; the variant the browser accepts goes out.
    let widget_files = || ServeDir::new(widget_dir).precompressed_br().precompressed_gzip();
    // The loader asks for the widget under `/widget/<build>/`: a digest of the files, so those
    // URLs never change content and are cached for a year; a new build gets new URLs.
    let build = widget_build(widget_dir);
    let versioned = Router::new()
        .fallback_service(widget_files())
        .layer(CorsLayer::permissive())
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE)));
    // Unversioned names stay served (tools, older loaders), revalidated on every load.
    let widget = Router::new().fallback_service(widget_files()).layer(CorsLayer::permissive()).layer(no_cache());
    let loader = Loader::read(&public.join("embed.js"), &build);
    let embed = Router::new()
        .route("/embed.js", get(move |headers: HeaderMap| std::future::ready(loader.respond(&headers))))
        .layer(CorsLayer::permissive());
    let demo = Router::new()
        .fallback_service(ServeDir::new(public))
        .layer(SetResponseHeaderLayer::overriding(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(DEMO_CSP)));
    Router::new()
        .route("/help/{site}/{slug}", get(article))
        .merge(embed)
        .nest(&format!("/widget/{build}"), versioned)
        .nest("/widget", widget)
        .merge(demo)
}

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// The loader is the one URL host pages hard-code: cached briefly, so a new widget build
/// reaches every page within minutes.
const LOADER_CACHE: &str = "public, max-age=300";

/// A digest of the built widget's files (12 hex digits), naming this build in its URLs: the
/// glue, the wasm, the stylesheet and the text tables (`texts/<code>.json`, fetched by the
/// wasm for visitors who do not speak English).
fn widget_build(dir: &Path) -> String {
    let mut names: Vec<String> = ["baton-widget.js", "baton-widget_bg.wasm", "baton.css"].map(String::from).into();
    let mut tables: Vec<String> = std::fs::read_dir(dir.join("texts"))
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".json"))
        .map(|name| format!("texts/{name}"))
        .collect();
    tables.sort();
    names.extend(tables);
    let mut digest = Sha256::new();
    for name in names {
        digest.update(name.as_bytes());
        digest.update(std::fs::read(dir.join(name)).unwrap_or_default());
    }
    hex::encode(digest.finalize())[..12].to_string()
}

/// `embed.js` as served: the widget folder it loads from points at this build's URLs. It is
/// compressed once, here, at the best settings (brotli quality 11, gzip level 9): every page
/// of every site loads it, and on-the-fly compression at a per-request speed sent ~400 B more
/// brotli (issue 13's first-open budget).
#[derive(Clone)]
struct Loader {
    body: Bytes,
    br: Bytes,
    gzip: Bytes,
    etag: HeaderValue,
}

impl Loader {
    fn read(path: &Path, build: &str) -> Self {
        let source = std::fs::read_to_string(path).unwrap_or_else(|error| {
            tracing::error!(path = %path.display(), %error, "the loader cannot be read");
            String::new()
        });
        // The leading comment documents the page API for readers of the file; browsers do not
        // need it (a sixth of the loader, gzipped).
        let source = match source.trim_start().strip_prefix("/*").and_then(|rest| rest.split_once("*/")) {
            Some((_, code)) => code.trim_start(),
            None => source.as_str(),
        };
        let body =
            without_line_comments(source).replace("relay + \"/widget/\"", &format!("relay + \"/widget/{build}/\""));
        let etag = format!("\"{}\"", &hex::encode(Sha256::digest(body.as_bytes()))[..16]);
        let mut br = Vec::new();
        let params = brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 22, ..Default::default() };
        if brotli::BrotliCompress(&mut body.as_bytes(), &mut br, &params).is_err() {
            br.clear();
        }
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let gzip =
            std::io::Write::write_all(&mut gzip, body.as_bytes()).and_then(|()| gzip.finish()).unwrap_or_default();
        Self {
            body: Bytes::from(body),
            br: Bytes::from(br),
            gzip: Bytes::from(gzip),
            etag: HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"0\"")),
        }
    }

    fn respond(&self, request: &HeaderMap) -> Response {
        let headers = [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static(LOADER_CACHE)),
            (header::ETAG, self.etag.clone()),
        ];
        if request.get(header::IF_NONE_MATCH) == Some(&self.etag) {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        let vary = (header::VARY, HeaderValue::from_static("accept-encoding"));
        let (encoding, body) = match accepted(request) {
            (true, _) if !self.br.is_empty() => ("br", self.br.clone()),
            (_, true) if !self.gzip.is_empty() => ("gzip", self.gzip.clone()),
            _ => return (headers, [vary], self.body.clone()).into_response(),
        };
        (headers, [vary, (header::CONTENT_ENCODING, HeaderValue::from_static(encoding))], body).into_response()
    }
}

/// Whether `Accept-Encoding` takes brotli and gzip (a coding named, or `*`, without `q=0`).
fn accepted(request: &HeaderMap) -> (bool, bool) {
    let header = request.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()).unwrap_or("");
    let takes = |name: &str| {
        header.split(',').any(|part| {
            let mut pieces = part.split(';').map(str::trim);
            let coding = pieces.next().unwrap_or("");
            let refused =
                pieces.any(|p| p.strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()).is_some_and(|q| q <= 0.0));
            (coding.eq_ignore_ascii_case(name) || coding == "*") && !refused
        })
    };
    (takes("br"), takes("gzip"))
}

/// The loader without its whole-line `//` comments, indentation and empty lines (0.3 KB of
/// brotli on the widget's first open, issue 13's budget). Only a template literal could hold a
/// line break inside a string, and the loader has none: one there leaves it as written.
fn without_line_comments(source: &str) -> String {
    if source.contains('`') {
        return source.to_string();
    }
    let lines = source.lines().map(str::trim_start).filter(|line| !line.is_empty() && !line.starts_with("//"));
    lines.collect::<Vec<_>>().join("\n") + "\n"
}

/// Revalidate on every load (ETag/Last-Modified make that cheap), so a new widget build is
/// picked up at once.
fn no_cache() -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"))
}

/// A help article rendered from its Markdown, linked from bot answers.
async fn article(State(state): State<AppState>, UrlPath((site, slug)): UrlPath<(String, String)>) -> Response {
    let Some(article) = state.sites.get(&site).and_then(|s| s.library.shelf().articles.get(&slug).cloned()) else {
        return (StatusCode::NOT_FOUND, "no such article").into_response();
    };
    let mut rendered = String::new();
    pulldown_cmark::html::push_html(&mut rendered, pulldown_cmark::Parser::new(&article.markdown));
    // Markdown passes raw HTML through and HTML articles are served as written: whatever the
    // help folder holds, no script, handler or `javascript:` link reaches a visitor.
    let body = ammonia::clean(&rendered);
    let title = html_escape(&article.title);
    let css = if Path::new(&state.config.public_dir).join("help.css").exists() {
        "<link rel=\"stylesheet\" href=\"/help.css\">"
    } else {
        ""
    };
    (
        [(header::CONTENT_SECURITY_POLICY, DEMO_CSP)],
        Html(format!("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>{css}</head><body><main>{body}</main></body></html>")),
    )
        .into_response()
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::{widget_build, without_line_comments};

    #[test]
    fn the_build_digest_changes_with_any_file_the_widget_loads_its_text_tables_too() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["baton-widget.js", "baton-widget_bg.wasm", "baton.css"] {
            std::fs::write(dir.path().join(name), name).unwrap();
        }
        let bare = widget_build(dir.path());
        std::fs::create_dir(dir.path().join("texts")).unwrap();
        std::fs::write(dir.path().join("texts/de.json"), r#"{"send":"Senden"}"#).unwrap();
        let with_german = widget_build(dir.path());
        assert_ne!(with_german, bare);
        std::fs::write(dir.path().join("texts/de.json"), r#"{"send":"Nachricht senden"}"#).unwrap();
        let changed = widget_build(dir.path());
        assert_ne!(changed, with_german, "a changed table is a new build");
        std::fs::write(dir.path().join("texts/notes.txt"), "not a table").unwrap();
        assert_eq!(widget_build(dir.path()), changed, "only the tables count in texts/");
        std::fs::write(dir.path().join("baton.css"), "changed").unwrap();
        assert_ne!(widget_build(dir.path()), changed);
        assert_eq!(changed.len(), 12);
    }

    #[test]
    fn whole_line_comments_and_indentation_go_unless_a_template_literal_could_hold_them() {
        let source = "(function () {\n  // why\n  var a = \"//not a comment\";\n\n    return a; // kept\n})();\n";
        assert_eq!(
            without_line_comments(source),
            "(function () {\nvar a = \"//not a comment\";\nreturn a; // kept\n})();\n"
        );
        let template = "var t = `\n  // inside the string\n`;\n";
        assert_eq!(without_line_comments(template), template);
    }
}
