//! A local OpenAI-compatible endpoint for the LLM bot's tests: it streams one fixed answer,
//! [`TOKENS`], a token at a time.

use std::time::Duration;

use axum::{body::Body, response::Response, routing::post, Router};
use serde_json::json;

/// The streamed answer, token by token.
pub const TOKENS: &[&str] = &["Yes, ", "we ", "accept ", "PayPal ", "at ", "checkout."];

/// Serves `POST /v1/chat/completions` on a free local port, streaming [`TOKENS`] with `pause`
/// before each (slow enough for drafts to show); returns the base URL (`http://…/v1`).
pub async fn streaming_endpoint(pause: Duration) -> String {
    let stream = move || async move {
        let events = futures_util::stream::unfold(0usize, move |i| async move {
            tokio::time::sleep(pause).await;
            let data = match TOKENS.get(i) {
                Some(token) => json!({"choices": [{"delta": {"content": token}}]}).to_string(),
                None if i == TOKENS.len() => "[DONE]".to_string(),
                None => return None,
            };
            Some((Ok::<_, std::io::Error>(format!("data: {data}\n\n")), i + 1))
        });
        Response::builder().header("content-type", "text/event-stream").body(Body::from_stream(events)).unwrap()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind LLM endpoint");
    let base = format!("http://{}/v1", listener.local_addr().expect("LLM endpoint address"));
    let app = Router::new().route("/v1/chat/completions", post(stream));
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}
