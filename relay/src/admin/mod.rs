//! The owner dashboard at `/admin/`: server-rendered pages (maud, auto-escaped) under a strict
//! CSP (no inline script or style; one stylesheet, `/admin/admin.css`).
//!
//! - [`password`]: argon2id hashing, off the async workers.
//! - [`session`]: the session cookie (random id, stored as its SHA-256; `HttpOnly`,
//!   `SameSite=Strict`, `Secure` behind TLS), the CSRF check every `POST` goes through, and the
//!   [`session::Signed`] / [`session::Owner`] / [`session::SiteOwner`] extractors (roles and
//!   sites).
//! - [`sign_in`]: sign in and out with per-address rate limiting and per-account lockout, and
//!   the first owner's setup page.
//! - [`setup`]: the one-time setup token printed at start, and `baton-relay create-owner`.
//! - [`agents`]: invitations by one-time link, revoking at once.
//! - [`insights`]: per-day figures, an SVG chart and CSV.
//! - [`channels`]: where handovers go, the helpdesk's settings (credentials sealed at rest),
//!   "Test connection" and the webhook to give the helpdesk.
//! - [`sites`], [`chat`], [`handover`], [`triggers`] (with [`guidance`]: its rules and topics),
//!   [`office_hours`], [`appearance`], [`test_chat`]: the pages; their changes go through
//!   [`settings::save`] (the site's settings document, audited, applied live).
//! - [`view`]: the layout and form pieces every page uses.

pub mod agents;
pub mod appearance;
pub mod attention;
pub mod channels;
pub mod chat;
pub mod guidance;
pub mod handover;
pub mod insights;
pub mod office_hours;
pub mod password;
pub mod session;
pub mod settings;
pub mod setup;
pub mod sign_in;
pub mod sites;
pub mod test_chat;
pub mod triggers;
pub mod view;

use std::{net::IpAddr, num::NonZeroU32};

use axum::{
    http::{header, HeaderValue, StatusCode},
    middleware,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Router,
};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::{config::AdminConfig, state::AppState, store::StoreError};

/// The dashboard's pages may load scripts and styles from the relay only (the test chat loads
/// the real widget: its loader, module and wasm), post forms to it only, and never be framed.
const ADMIN_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
                         img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; \
                         frame-ancestors 'none'";

/// What the dashboard keeps in memory: the sign-in attempts per address and the setup token.
pub struct Admin {
    sign_ins: DefaultKeyedRateLimiter<IpAddr>,
    /// The first owner's one-time token (while no owner exists).
    setup_token: String,
}

impl Admin {
    pub fn new(config: &AdminConfig) -> Self {
        let per_minute = NonZeroU32::new(config.sign_ins_per_minute).unwrap_or(NonZeroU32::MIN);
        let setup_token = config.setup_token.clone().unwrap_or_else(session::random_token);
        Self { sign_ins: RateLimiter::keyed(Quota::per_minute(per_minute)), setup_token }
    }

    /// Counts a sign-in attempt from `ip`; `Err` with the seconds to wait when over the limit.
    pub fn sign_in_allowed(&self, ip: IpAddr) -> Result<(), u64> {
        self.sign_ins.check_key(&ip).map_err(|not_until| {
            not_until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default())).as_secs()
                + 1
        })
    }

    pub fn setup_token(&self) -> &str {
        &self.setup_token
    }
}

/// Why a dashboard request fails, each shown as a page with its status.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("this page is for site owners")]
    Forbidden,
    #[error("the form expired or did not come from this dashboard; go back, reload and try again")]
    Csrf,
    #[error("no such page")]
    NotFound,
    #[error("the form could not be read: {0}")]
    BadForm(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let status = match &self {
            AdminError::Forbidden | AdminError::Csrf => StatusCode::FORBIDDEN,
            AdminError::NotFound => StatusCode::NOT_FOUND,
            AdminError::BadForm(_) => StatusCode::BAD_REQUEST,
            AdminError::Store(_) | AdminError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let message = if status.is_server_error() {
            tracing::error!(error = %self, "dashboard request failed");
            "Something went wrong on the server; try again in a moment.".to_string()
        } else {
            self.to_string()
        };
        let title = status.canonical_reason().unwrap_or("Error");
        (status, view::page(title, None, view::problem(&message))).into_response()
    }
}

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/admin", get(|| async { Redirect::permanent("/admin/") }))
        .route("/admin/", get(sign_in::home))
        .route("/admin/admin.css", get(stylesheet))
        .route("/admin/setup", get(sign_in::setup_page).post(sign_in::setup))
        .route("/admin/sign-in", get(sign_in::sign_in_page).post(sign_in::sign_in))
        .route("/admin/sign-out", post(sign_in::sign_out))
        .route("/admin/inbox", get(sign_in::inbox))
        .route("/admin/agents", get(agents::page).post(agents::invite))
        .route("/admin/agents/{id}/revoke", post(agents::revoke))
        .route("/admin/invite", get(agents::accept_page).post(agents::accept))
        .route("/admin/sites", get(sites::list).post(sites::create))
        .route("/admin/sites/{site}", get(sites::overview))
        .route("/admin/sites/{site}/origins", post(sites::origins))
        .route("/admin/sites/{site}/export", get(sites::export))
        .route("/admin/sites/{site}/import", post(sites::import))
        .route("/admin/sites/{site}/handover", get(handover::page).post(handover::submit))
        .route("/admin/sites/{site}/test", get(test_chat::page))
        .route("/admin/sites/{site}/insights", get(insights::page))
        .route("/admin/sites/{site}/insights.csv", get(insights::csv))
        .route("/admin/sites/{site}/chat", get(chat::page).post(chat::submit))
        .route("/admin/sites/{site}/channels", get(channels::page).post(channels::submit))
        .route("/admin/sites/{site}/office-hours", get(office_hours::page).post(office_hours::submit))
        .route("/admin/sites/{site}/appearance", get(appearance::page).post(appearance::submit))
        .route("/admin/sites/{site}/attention", get(attention::page).post(attention::submit))
        .route("/admin/sites/{site}/triggers", get(triggers::page).post(triggers::submit))
        .route("/admin/sites/{site}/triggers/try", post(triggers::try_sentence))
        .route("/admin/sites/{site}/triggers/rules", post(guidance::rules))
        .route("/admin/sites/{site}/triggers/topics", post(guidance::topics))
        .layer(middleware::from_fn_with_state(state.clone(), session::guard))
        .layer(SetResponseHeaderLayer::overriding(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(ADMIN_CSP)))
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
}

async fn stylesheet() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("admin.css")).into_response()
}

/// Shared by the pages: the current time in ms since the epoch.
fn now() -> i64 {
    crate::store::now_millis()
}
