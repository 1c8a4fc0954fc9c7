//! Health for orchestrators and load balancers: `GET /healthz` says the process is alive and
//! serving (no dependency is asked, so a slow database never gets a relay restarted);
//! `GET /readyz` says it should get traffic: its database (SQLite or PostgreSQL) answers, Redis
//! answers when the relay is configured with it, and it is not shutting down.

use std::time::Duration;

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
    Router,
};

use crate::state::AppState;

/// A database or Redis that takes longer than this to answer counts as unreachable.
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
    // Both asked at once: the answer comes within READY_TIMEOUT whatever either does.
    let database = tokio::time::timeout(READY_TIMEOUT, state.store.ping());
    let redis = async {
        match state.config.redis_url {
            Some(_) => Some(tokio::time::timeout(READY_TIMEOUT, state.bus.ping()).await),
            None => None,
        }
    };
    let (database, redis) = tokio::join!(database, redis);
    if let Some(why) = unreachable("database", database.map(|r| r.map_err(|e| e.to_string()))) {
        return why;
    }
    if let Some(why) = redis.and_then(|answer| unreachable("redis", answer)) {
        return why;
    }
    "ready".into_response()
}

/// The 503 for a dependency that failed or did not answer in time.
fn unreachable<E>(what: &str, answer: Result<Result<(), String>, E>) -> Option<Response> {
    let error = match answer {
        Ok(Ok(())) => return None,
        Ok(Err(error)) => error,
        Err(_) => "no answer within 2 s".to_string(),
    };
    tracing::warn!(%error, "not ready: {what} unreachable");
    Some((StatusCode::SERVICE_UNAVAILABLE, format!("{what} unreachable")).into_response())
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

    #[tokio::test]
    async fn readiness_needs_redis_when_configured() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            database_url: format!("sqlite://{}/h.db", dir.path().display()),
            // Nothing listens on port 1: refused at once.
            redis_url: Some("redis://127.0.0.1:1".into()),
            ..Config::default()
        };
        let state = crate::build_state(config).await.unwrap();
        let started = std::time::Instant::now();
        assert_eq!(status(&state, "/readyz").await, StatusCode::SERVICE_UNAVAILABLE);
        assert!(started.elapsed() <= READY_TIMEOUT + std::time::Duration::from_millis(500));
        assert_eq!(status(&state, "/healthz").await, StatusCode::OK);
        state.shutdown.token.cancel();
    }
}
