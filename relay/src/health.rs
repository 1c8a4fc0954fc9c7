//! Health for orchestrators and load balancers: `GET /healthz` says the process is alive and
//! serving (no dependency is asked, so a slow database never gets a relay restarted);
//! `GET /readyz` says it should get traffic: its database answers and it is not shutting down.

use std::time::Duration;

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
    Router,
};

use crate::state::AppState;

/// A database that takes longer than this to answer counts as unreachable.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(alive))
        .route("/readyz", get(ready))
        .route("/metrics", get(crate::metrics::scrape))
}

async fn alive() -> &'static str {
    "ok"
}

async fn ready(State(state): State<AppState>) -> Response {
    if state.shutdown.token.is_cancelled() {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down").into_response();
    }
    match tokio::time::timeout(READY_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => "ready".into_response(),
        Ok(Err(error)) => {
            tracing::warn!(%error, "not ready: the database is unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
        }
        Err(_) => {
            tracing::warn!("not ready: the database did not answer in time");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::{body::Body, http::Request};
    use tower::ServiceExt;

    use super::*;
    use crate::{config::Config, store::failing::FailingStore};

    async fn status(state: &AppState, path: &str) -> StatusCode {
        let request = Request::get(path).body(Body::empty()).unwrap();
        router().with_state(state.clone()).oneshot(request).await.unwrap().status()
    }

    #[tokio::test]
    async fn readiness_follows_the_database_and_shutdown_while_liveness_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config { database_url: format!("sqlite://{}/h.db", dir.path().display()), ..Config::default() };
        let mut state = crate::build_state(config).await.unwrap();
        let store = Arc::new(FailingStore::new(state.store.clone()));
        state.store = store.clone();
        assert_eq!(status(&state, "/readyz").await, StatusCode::OK);

        store.fail("ping");
        assert_eq!(status(&state, "/readyz").await, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(status(&state, "/healthz").await, StatusCode::OK, "alive without its database");

        store.heal();
        assert_eq!(status(&state, "/readyz").await, StatusCode::OK);
        state.shutdown.token.cancel();
        assert_eq!(status(&state, "/readyz").await, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(status(&state, "/healthz").await, StatusCode::OK);
    }
}
