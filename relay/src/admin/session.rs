//! Sessions and CSRF. A sign-in makes a session: 32 random bytes in a cookie (`HttpOnly`,
//! `SameSite=Strict`, path `/`; `Secure` and `__Host-` prefixed when the dashboard is served
//! over TLS), kept in the store only as their SHA-256 with the account and a synchronizer
//! token. Every `POST` under `/admin/` passes [`guard`]: its form's `csrf` field must equal the
//! session's token (or, for the sign-in and setup forms, which come before any session, the
//! token of the short-lived form cookie set with the form); anything else is refused with 403
//! before a handler runs.

use std::sync::Arc;

use axum::{
    body::Body,
    extract::{FromRequestParts, Request, State},
    http::{request::Parts, Method},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::AdminError;
use crate::{
    config::AdminConfig,
    state::AppState,
    store::admin::{Role, SessionRow},
};

/// The largest form the dashboard reads (a settings import included).
pub const MAX_FORM_BYTES: usize = 256 * 1024;

/// Forms posted before a session exists, checked against the form cookie.
const BEFORE_SIGN_IN: [&str; 3] = ["/admin/sign-in", "/admin/setup", "/admin/invite"];

/// 32 random bytes, URL-safe base64.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// How a session id is kept in the store.
pub fn id_hash(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

/// The dashboard's cookies, named and flagged for how it is served.
pub struct Cookies<'a>(pub &'a AdminConfig);

impl Cookies<'_> {
    pub fn session_name(&self) -> &'static str {
        if self.0.behind_tls() {
            "__Host-baton_admin"
        } else {
            "baton_admin"
        }
    }

    pub fn form_name(&self) -> &'static str {
        if self.0.behind_tls() {
            "__Host-baton_form"
        } else {
            "baton_form"
        }
    }

    fn build(&self, name: &'static str, value: String, max_age: std::time::Duration) -> Cookie<'static> {
        Cookie::build((name, value))
            .http_only(true)
            .same_site(SameSite::Strict)
            .secure(self.0.behind_tls())
            .path("/")
            .max_age(time::Duration::seconds(i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX)))
            .build()
    }

    pub fn session(&self, id: String) -> Cookie<'static> {
        self.build(self.session_name(), id, self.0.session_ttl)
    }

    /// The pre-session token of the sign-in and setup forms, good for an hour.
    pub fn form(&self, token: String) -> Cookie<'static> {
        self.build(self.form_name(), token, std::time::Duration::from_secs(3600))
    }

    /// Removes a cookie (same name, path and flags).
    pub fn removal(&self, name: &'static str) -> Cookie<'static> {
        let mut cookie = self.build(name, String::new(), std::time::Duration::ZERO);
        cookie.make_removal();
        cookie
    }
}

/// The signed-in session, put in the request by [`guard`].
#[derive(Debug, Clone)]
pub struct Signed(pub Arc<SessionRow>);

impl Signed {
    /// Whether the account works on `site`.
    pub fn may(&self, site: &str) -> bool {
        self.0.account.sites.iter().any(|s| s == site || s == crate::config::ALL_SITES)
    }

    pub fn csrf(&self) -> &str {
        &self.0.csrf
    }

    pub fn email(&self) -> &str {
        &self.0.account.email
    }
}

/// An owner's session.
#[derive(Debug, Clone)]
pub struct Owner(pub Signed);

/// An owner on a page of one of their sites (`/admin/sites/{site}/...`): 403 for a site that
/// is not theirs, 404 for one that does not exist.
pub struct SiteOwner {
    pub owner: Signed,
    pub site: String,
    /// The site as it runs now (file and settings document).
    pub live: Arc<crate::sites::Site>,
}

impl FromRequestParts<AppState> for SiteOwner {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Owner(owner) = Owner::from_request_parts(parts, state).await?;
        let axum::extract::Path(site) = axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| AdminError::NotFound.into_response())?;
        if !owner.may(&site) {
            return Err(AdminError::Forbidden.into_response());
        }
        let live = state.sites.get(&site).ok_or_else(|| AdminError::NotFound.into_response())?;
        Ok(SiteOwner { owner, site, live })
    }
}

/// Not signed in: to the sign-in page.
pub struct SignInFirst;

impl IntoResponse for SignInFirst {
    fn into_response(self) -> Response {
        Redirect::to("/admin/sign-in").into_response()
    }
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = SignInFirst;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Signed>().cloned().ok_or(SignInFirst)
    }
}

impl axum::extract::OptionalFromRequestParts<AppState> for Signed {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<Signed>().cloned())
    }
}

impl FromRequestParts<AppState> for Owner {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let signed = Signed::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        if signed.0.account.role != Role::Owner {
            return Err(AdminError::Forbidden.into_response());
        }
        Ok(Owner(signed))
    }
}

/// Every dashboard request: finds the session of its cookie, and refuses a `POST` whose form
/// does not carry the right CSRF token.
pub async fn guard(State(state): State<AppState>, jar: CookieJar, request: Request, next: Next) -> Response {
    let cookies = Cookies(&state.config.admin);
    let session = match jar.get(cookies.session_name()) {
        Some(cookie) => match state.store.admin().session(&id_hash(cookie.value()), super::now()).await {
            Ok(session) => session.map(|s| Signed(Arc::new(s))),
            Err(error) => return AdminError::from(error).into_response(),
        },
        None => None,
    };
    let mut request = if request.method() == Method::POST {
        let (parts, body) = request.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
            return AdminError::BadForm("too large or cut short".into()).into_response();
        };
        let sent = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
            .ok()
            .and_then(|fields| fields.into_iter().find(|(name, _)| name == "csrf").map(|(_, value)| value));
        let form_cookie = BEFORE_SIGN_IN
            .contains(&parts.uri.path())
            .then(|| jar.get(cookies.form_name()).map(|c| c.value().to_string()))
            .flatten();
        let expected = [session.as_ref().map(|s| s.csrf().to_string()), form_cookie];
        let good = sent.is_some_and(|sent| {
            expected
                .iter()
                .flatten()
                .any(|token| !token.is_empty() && bool::from(token.as_bytes().ct_eq(sent.as_bytes())))
        });
        if !good {
            tracing::warn!(path = %parts.uri.path(), "dashboard form refused: CSRF token missing or wrong");
            return AdminError::Csrf.into_response();
        }
        Request::from_parts(parts, Body::from(bytes))
    } else {
        request
    };
    if let Some(session) = session {
        request.extensions_mut().insert(session);
    }
    next.run(request).await
}

/// The inbox's agent for a dashboard session: an account signed in to the dashboard (agent or
/// owner) answers its sites' visitors in the built-in inbox without a separate token. `None`
/// without a session cookie, for an unknown or expired session, or when the store cannot say.
pub async fn inbox_agent(state: &AppState, jar: &CookieJar) -> Option<crate::agents::SignedIn> {
    let cookie = jar.get(Cookies(&state.config.admin).session_name())?;
    let session = match state.store.admin().session(&id_hash(cookie.value()), super::now()).await {
        Ok(session) => session?,
        Err(error) => {
            tracing::warn!(%error, "inbox sign-in by dashboard session: store not readable");
            return None;
        }
    };
    let account = session.account;
    Some(crate::agents::SignedIn {
        agent: crate::conversation::machine::AgentRef { id: account.id, name: account.name },
        sites: account.sites.into(),
    })
}
