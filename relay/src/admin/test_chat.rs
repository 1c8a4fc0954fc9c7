//! The Test chat page: the site's real widget, loaded by the loader (`/embed.js` with
//! `data-site`) exactly as on the owner's pages, so the owner can ask a question, ask for a
//! person and watch the handover with the settings in effect now.

use axum::{extract::State, http::HeaderMap};
use maud::{html, Markup};

use super::{session::SiteOwner, sites::relay_url, view, AdminError};
use crate::state::AppState;

pub async fn page(
    State(state): State<AppState>,
    SiteOwner { owner, site, live }: SiteOwner,
    headers: HeaderMap,
) -> Result<Markup, AdminError> {
    let config = live.config.clone();
    let here = relay_url(&state, &headers);
    let refused = !config.allowed_origins.is_empty() && !config.allowed_origins.iter().any(|o| o == &here);
    let side = shared::look::position(config.theme.position.as_deref().unwrap_or_default()).unwrap_or("right");
    let body = html! {
        @if refused {
            (view::problem(&format!("This site accepts chats only from its allowed origins: add {here} to them to test here.")))
        }
        p {
            "The chat button at the bottom " (side) " is this site's real widget, with the settings in effect now. "
            "Ask a question, then ask for a person (or use the \"" (config.handover.request_button_text) "\" button) "
            "and watch the handover; answer as an agent in the "
            a href="/inbox/" { "inbox" } "."
        }
        p { a href={ "/admin/sites/" (site) "/handover" } { "Change the handover texts" } }
        script src="/embed.js" data-site=(site) async {}
    };
    Ok(view::page(&format!("Test chat: {site}"), Some(&owner), body))
}
