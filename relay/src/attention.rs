//! `GET /api/v1/sites/{site}/widget`: what the widget needs of a site before any conversation
//! exists, read once per page load: whether answers chime (`sound`) and the proactive messages
//! (`[[sites.<key>.proactive]]`) with every language's text (the widget picks the visitor's).
//! Public and cacheable for a minute, like the loader; a site's change in the dashboard reaches
//! pages within that minute.
//!
//! ```json
//! {"sound": false, "proactive": [{"path": "/pricing*", "after_secs": 20, "text": "…", "texts": {"de": "…"}}]}
//! ```

use axum::{
    extract::{Path, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use serde_json::json;
use tower_http::cors::CorsLayer;

use crate::{state::AppState, web::json_error};

const CACHE: &str = "public, max-age=60";

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/sites/{site}/widget", get(settings)).layer(CorsLayer::permissive())
}

async fn settings(State(state): State<AppState>, Path(site): Path<String>) -> Response {
    let Some(site) = state.sites.get(&site) else {
        return json_error(StatusCode::NOT_FOUND, "unknown_site", "no such site");
    };
    let body = json!({"sound": site.config.sound, "proactive": site.config.proactive});
    ([(header::CACHE_CONTROL, HeaderValue::from_static(CACHE))], axum::Json(body)).into_response()
}
