//! Plain HTTP: the loader script, the built widget, the demo page, help articles and health.

use std::path::Path;

use axum::{
    extract::{Path as UrlPath, State},
    http::{header, HeaderValue, StatusCode},
    response::{Html, IntoResponse, Response},
    routing::get,
    Router,
};
use tower_http::{
    cors::CorsLayer,
    services::{ServeDir, ServeFile},
    set_header::SetResponseHeaderLayer,
};

use crate::state::AppState;

/// The demo page is served under the strict policy a careful site owner would set: scripts only
/// from this origin plus WebAssembly compilation, no inline script or style, no eval.
const DEMO_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
                        img-src 'self' data:; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'";

pub fn router(state: &AppState) -> Router<AppState> {
    let public = &state.config.public_dir;
    let widget_dir = &state.config.widget_dir;
    if !widget_dir.join("baton-widget_bg.wasm").exists() {
        tracing::warn!(dir = %widget_dir.display(), "the widget is not built here; run `trunk build --release`");
    }
    // Host pages on other origins import the widget as an ES module and fetch its wasm: both
    // are CORS requests, so the widget's files carry `Access-Control-Allow-Origin: *`.
    let widget =
        Router::new().fallback_service(ServeDir::new(widget_dir)).layer(CorsLayer::permissive()).layer(no_cache());
    let embed = Router::new()
        .route_service("/embed.js", ServeFile::new(public.join("embed.js")))
        .layer(CorsLayer::permissive())
        .layer(no_cache());
    let demo = Router::new()
        .fallback_service(ServeDir::new(public))
        .layer(SetResponseHeaderLayer::overriding(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(DEMO_CSP)));
    Router::new()
        .route("/healthz", get(health))
        .route("/help/{site}/{slug}", get(article))
        .merge(embed)
        .nest("/widget", widget)
        .merge(demo)
}

/// Revalidate on every load (ETag/Last-Modified make that cheap), so a new widget build is
/// picked up at once.
fn no_cache() -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"))
}

async fn health(State(state): State<AppState>) -> Response {
    match state.store.conversation("health-check").await {
        Ok(_) => "ok".into_response(),
        Err(error) => {
            tracing::error!(%error, "health check: store unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, "store unavailable").into_response()
        }
    }
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
