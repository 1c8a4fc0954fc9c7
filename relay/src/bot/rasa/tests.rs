//! The Rasa bot against a local server that speaks the Rasa REST channel format.

use std::sync::{Arc, Mutex};

use axum::{extract::State, routing::post, Json, Router};

use super::*;

type Seen = Arc<Mutex<Vec<Value>>>;

/// Answers every webhook call with `answer` (status 200) and records the requests.
async fn webhook(answer: Value) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let app = Router::new()
        .route(
            "/webhooks/rest/webhook",
            post(move |State(seen): State<Seen>, Json(body): Json<Value>| {
                let answer = answer.clone();
                async move {
                    seen.lock().unwrap().push(body);
                    Json(answer)
                }
            }),
        )
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhooks/rest/webhook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

fn bot(url: &str) -> RasaBot {
    RasaBot::new(
        RasaConfig { url: url.into(), timeout_seconds: 2, ..RasaConfig::default() },
        "I cannot answer that.".into(),
    )
}

fn ask(question: &str) -> Ask<'_> {
    Ask { conversation_id: "conv-1", question, history: &[] }
}

#[tokio::test]
async fn texts_are_joined_and_buttons_become_quick_replies() {
    let (url, seen) = webhook(json!([
        {"recipient_id": "conv-1", "text": "Hi! I can help with orders."},
        {"recipient_id": "conv-1", "text": "What do you need?",
         "buttons": [{"title": "Track my order", "payload": "/track_order"}, {"title": "Returns", "payload": "/returns"}]},
        {"recipient_id": "conv-1", "image": "https://shop.example/map.png"},
    ]))
    .await;
    let answer = bot(&url).answer(ask("hello")).await;
    assert_eq!(answer.text, "Hi! I can help with orders.\n\nWhat do you need?\n\nhttps://shop.example/map.png");
    assert_eq!(answer.confidence, 1.0);
    assert!(!answer.handover);
    let titles: Vec<_> = answer.quick_replies.iter().map(|q| (q.title.as_str(), q.payload.as_str())).collect();
    assert_eq!(titles, [("Track my order", "/track_order"), ("Returns", "/returns")]);
    assert_eq!(seen.lock().unwrap()[0], json!({"sender": "conv-1", "message": "hello"}));
}

#[tokio::test]
async fn a_custom_handover_payload_asks_for_a_person() {
    let (url, _) = webhook(json!([
        {"recipient_id": "conv-1", "text": "Let me get a colleague."},
        {"recipient_id": "conv-1", "custom": {"handover": true}},
    ]))
    .await;
    let answer = bot(&url).answer(ask("my parcel is on fire")).await;
    assert!(answer.handover);
    assert_eq!((answer.text.as_str(), answer.confidence), ("Let me get a colleague.", 1.0));
    let (url, _) = webhook(json!([{"recipient_id": "conv-1", "custom": {"handover": false, "x": 1}}])).await;
    assert!(!bot(&url).answer(ask("hi")).await.handover);
}

#[tokio::test]
async fn nothing_said_is_cannot_answer_and_a_broken_bot_is_unavailable() {
    let (url, _) = webhook(json!([])).await;
    let answer = bot(&url).answer(ask("?")).await;
    assert_eq!((answer.text.as_str(), answer.confidence), ("I cannot answer that.", 0.0));
    let (url, _) = webhook(json!({"unexpected": "object"})).await;
    let answer = bot(&url).answer(ask("?")).await;
    assert_eq!((answer.text, answer.confidence), (RasaConfig::default().unavailable_message, 0.0));
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let answer = bot(&format!("http://127.0.0.1:{port}/webhook")).answer(ask("?")).await;
    assert_eq!(answer.confidence, 0.0);
    assert!(!answer.handover);
}
