//! The LLM bot against a local server that speaks the OpenAI streaming wire format.

use std::{
    path::Path,
    sync::{Arc, Mutex},
};

use axum::{body::Body, extract::State, http::HeaderMap, response::Response, routing::post, Json, Router};
use futures_util::stream;

use super::*;
use crate::bot::{Library, Turn};

const THRESHOLD: f32 = crate::config::CannotAnswerConfig::DEFAULT_MIN_CONFIDENCE;
const ANSWERABLE: &str = "Do you accept PayPal?";

/// What the fake endpoint saw: the request bodies and their `Authorization` headers.
type Seen = Arc<Mutex<Vec<(Value, Option<String>)>>>;

/// Serves `chunks` (raw bytes of the response body, split where they are) as an event stream.
async fn endpoint(chunks: Vec<&'static str>, content_type: &'static str) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let handler = move |State(seen): State<Seen>, headers: HeaderMap, Json(body): Json<Value>| {
        let chunks = chunks.clone();
        async move {
            let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_string);
            seen.lock().unwrap().push((body, auth));
            let parts = stream::iter(chunks.into_iter().map(|c| Ok::<_, std::io::Error>(c.as_bytes().to_vec())));
            Response::builder().header("content-type", content_type).body(Body::from_stream(parts)).unwrap()
        }
    };
    let app = Router::new().route("/v1/chat/completions", post(handler)).with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, seen)
}

fn bot(base_url: &str, fallback_to_articles: bool) -> LlmBot {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../public/help");
    let knowledge = KnowledgeBot::new(Library::open(&dir), "/help/demo", THRESHOLD, "I cannot answer that.");
    let settings = LlmConfig {
        base_url: base_url.into(),
        model: "test-model".into(),
        api_key: "sk-test".into(),
        timeout_seconds: 2,
        fallback_to_articles,
        ..LlmConfig::default()
    };
    LlmBot::new(settings, knowledge, vec!["If the visitor reports a safety issue, hand over.".into()])
}

/// Asks, collecting every text the drafts would show.
async fn ask(bot: &LlmBot, question: &str) -> (Answer, Vec<String>) {
    let drafts = Mutex::new(Vec::new());
    let answer = bot.answer_streaming(Ask::new(question), &|t| drafts.lock().unwrap().push(t.to_string())).await;
    (answer, drafts.into_inner().unwrap())
}

#[tokio::test]
async fn streams_a_grounded_answer_with_the_best_passages_link() {
    let (base, seen) = endpoint(
        vec![
            ": keep-alive\n\n",
            "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\n",
            "data: {\"choices\":[{\"delta\":{\"content\":\"Yes, we \"}}]}\n\ndata: {\"choi",
            "ces\":[{\"delta\":{\"content\":\"accept PayPal.\"}}]}\n\n",
            "data: not json at all\n\n",
            "data: [DONE]\n\n",
        ],
        "text/event-stream",
    )
    .await;
    let (answer, drafts) = ask(&bot(&base, true), ANSWERABLE).await;
    assert_eq!(answer.text, "Yes, we accept PayPal.");
    assert_eq!(answer.source.map(|s| s.url), Some("/help/demo/payment".to_string()));
    assert!(answer.confidence >= THRESHOLD, "the retrieval's confidence: {}", answer.confidence);
    assert_eq!(drafts, ["Yes, we ", "Yes, we accept PayPal."]);
    let seen = seen.lock().unwrap();
    let (body, auth) = &seen[0];
    assert_eq!(auth.as_deref(), Some("Bearer sk-test"));
    assert_eq!((body["model"].as_str(), body["stream"].as_bool()), (Some("test-model"), Some(true)));
    let system = body["messages"][0]["content"].as_str().unwrap();
    assert!(system.contains("PayPal") && system.contains(NO_ANSWER), "{system}");
    assert!(system.contains("safety issue"), "the guidance rules are in the prompt");
    assert_eq!(body["messages"].as_array().unwrap().last().unwrap()["content"], ANSWERABLE);
}

#[tokio::test]
async fn a_declined_answer_is_cannot_answer_and_never_shown_as_a_draft() {
    let (base, _) = endpoint(
        vec![
            "data: {\"choices\":[{\"delta\":{\"content\":\"NO_\"}}]}\n\n",
            "data: {\"choices\":[{\"delta\":{\"content\":\"ANSWER\"}}]}\n\ndata: [DONE]\n\n",
        ],
        "text/event-stream",
    )
    .await;
    let (answer, drafts) = ask(&bot(&base, true), ANSWERABLE).await;
    assert_eq!((answer.text.as_str(), answer.confidence, answer.source), ("I cannot answer that.", 0.0, None));
    assert!(drafts.is_empty(), "{drafts:?}");
}

#[tokio::test]
async fn below_the_threshold_the_model_is_not_asked() {
    let (base, seen) = endpoint(vec!["data: [DONE]\n\n"], "text/event-stream").await;
    let (answer, drafts) = ask(&bot(&base, true), "Can I bring my dog to the moon?").await;
    assert_eq!((answer.text.as_str(), answer.source), ("I cannot answer that.", None));
    assert!(answer.confidence < THRESHOLD);
    assert!(drafts.is_empty());
    assert!(seen.lock().unwrap().is_empty(), "no call for a question the articles cannot answer");
}

#[tokio::test]
async fn an_endpoint_that_is_down_falls_back_to_the_articles_or_says_so() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}/v1");
    let (answer, _) = ask(&bot(&base, true), ANSWERABLE).await;
    assert_eq!(answer.source.map(|s| s.url), Some("/help/demo/payment".to_string()));
    assert!(answer.text.contains("PayPal"), "the best passage: {}", answer.text);
    let (answer, _) = ask(&bot(&base, false), ANSWERABLE).await;
    assert_eq!(answer.text, LlmConfig::default().unavailable_message);
    assert_eq!((answer.confidence, answer.source), (0.0, None));
}

#[tokio::test]
async fn broken_streams_and_errors_fall_back_without_panicking() {
    for (chunks, content_type) in [
        (vec!["data: {\"error\":{\"message\":\"model not found\"}}\n\n"], "text/event-stream"),
        (vec!["data: {\"choices\":[]}\n\n", "data: [DONE]\n\n"], "text/event-stream"),
        (vec!["\u{0}\u{1}garbage"], "text/event-stream"),
        (vec!["{\"not\": \"a completion\"}"], "application/json"),
    ] {
        let (base, _) = endpoint(chunks.clone(), content_type).await;
        let (answer, _) = ask(&bot(&base, true), ANSWERABLE).await;
        assert!(answer.source.is_some() && answer.text.contains("PayPal"), "{chunks:?}: {}", answer.text);
    }
}

#[tokio::test]
async fn an_endpoint_that_ignores_stream_true_still_answers() {
    let body = r#"{"choices":[{"message":{"role":"assistant","content":"PayPal works."}}]}"#;
    let (base, _) = endpoint(vec![body], "application/json").await;
    let (answer, _) = ask(&bot(&base, true), ANSWERABLE).await;
    assert_eq!(answer.text, "PayPal works.");
}

#[tokio::test]
async fn the_model_writes_the_summary_from_the_notes_and_the_conversation() {
    let body =
        r#"{"choices":[{"message":{"role":"assistant","content":"Ada needs order 40123, which has not arrived."}}]}"#;
    let (base, seen) = endpoint(vec![body], "application/json").await;
    let history = [crate::bot::Turn { role: Role::Visitor, text: "Order 40123 never came".into(), unanswered: false }];
    let written = bot(&base, true).write_summary("The visitor wrote about order 40123.", &history).await;
    assert_eq!(written.as_deref(), Some("Ada needs order 40123, which has not arrived."));
    let request = &seen.lock().unwrap()[0].0;
    assert_eq!(request["stream"], false);
    let prompt = request["messages"][1]["content"].as_str().unwrap();
    assert!(prompt.contains("order 40123") && prompt.contains("Visitor: Order 40123 never came"), "{prompt}");
}

#[tokio::test]
async fn a_model_that_is_down_leaves_the_extractive_summary() {
    let bot = bot("http://127.0.0.1:9/v1", true);
    assert_eq!(bot.write_summary("notes", &[]).await, None);
}

/// The site's rules as the classification is given them.
fn rules() -> Vec<(String, String)> {
    vec![("safety issue".into(), "If the visitor reports a safety issue, hand over.".into())]
}

/// A whole (non-streamed) chat-completions answer whose message is `content`.
fn completion(content: &str) -> &'static str {
    let body = json!({"choices": [{"message": {"role": "assistant", "content": content}}]}).to_string();
    Box::leak(body.into_boxed_str())
}

#[tokio::test]
async fn the_model_reads_a_message_for_the_triggers_in_strict_json() {
    let answer = r#"{"handover": true, "frustrated": false, "rules": ["safety issue"]}"#;
    let (base, seen) = endpoint(vec![completion(answer)], "application/json").await;
    let history = [Turn { role: Role::Bot, text: "Sorry, I can't answer that.".into(), unanswered: true }];
    let reading = bot(&base, true).classify("my charger smoked, put me through to someone", &history, &rules()).await;
    assert_eq!(reading, Some(Classification { handover: true, frustrated: false, rules: vec!["safety issue".into()] }));
    let body = &seen.lock().unwrap()[0].0;
    assert_eq!(body["stream"], false);
    let system = body["messages"][0]["content"].as_str().unwrap();
    assert!(system.contains("- safety issue: If the visitor reports a safety issue"), "{system}");
    let user = body["messages"][1]["content"].as_str().unwrap();
    assert!(user.contains("Bot (could not answer): Sorry") && user.ends_with("put me through to someone"), "{user}");
}

#[tokio::test]
async fn a_malformed_or_unknown_reading_is_no_reading() {
    for content in [
        "Sure! The visitor wants a human.",
        r#"{"handover": "yes", "frustrated": false}"#,
        r#"{"handover": true, "frustrated": false, "rules": ["no such rule"]}"#,
        r#"{"handover": true, "frustrated": false, "mood": "angry"}"#,
    ] {
        let (base, _) = endpoint(vec![completion(content)], "application/json").await;
        assert_eq!(bot(&base, true).classify("a human please", &[], &rules()).await, None, "{content}");
    }
}

#[tokio::test]
async fn a_model_that_never_answers_is_given_up_after_the_timeout() {
    let app = Router::new().route(
        "/v1/chat/completions",
        post(|| async {
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            "never"
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../public/help");
    let knowledge = KnowledgeBot::new(Library::open(&dir), "/help/demo", THRESHOLD, "I cannot answer that.");
    let settings = LlmConfig { base_url: base, classify_timeout_ms: 300, ..LlmConfig::default() };
    let bot = LlmBot::new(settings, knowledge, Vec::new());
    let start = std::time::Instant::now();
    assert_eq!(bot.classify("a human please", &[], &rules()).await, None);
    assert!(start.elapsed() < std::time::Duration::from_secs(2), "{:?}", start.elapsed());
    let off = LlmConfig { classify: false, ..LlmConfig::default() };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../public/help");
    let knowledge = KnowledgeBot::new(Library::open(&dir), "/help/demo", THRESHOLD, "I cannot answer that.");
    assert_eq!(LlmBot::new(off, knowledge, Vec::new()).classify("a human please", &[], &rules()).await, None);
}
