//! Two tabs of one site in one Chromium (issue 13, point 8): one WebSocket at the relay for
//! both (`baton_sockets{kind="widget"}`), the second tab shows the conversation the first
//! started, a message written in either appears in the other, unread counts are the same in
//! both and reading in one clears the other; when the tab holding the socket closes, the other
//! opens its own, resumes, and nothing is lost (a message written at that moment reaches the
//! agent once).

use std::time::Duration;

use baton_tests::{
    agent_client::{AgentApi, AgentSocket, DEMO_TOKEN},
    browser::Browser,
    TestDb, TestRelay,
};
use fantoccini::wd::WindowHandle;
use serde_json::{json, Value};

const UNREAD: &str = "return root.querySelector('[data-testid=launcher]').getAttribute('data-unread');";

/// The widget sockets open at the relay.
async fn widget_sockets(url: &str) -> f64 {
    let scrape = reqwest::get(format!("{url}/metrics")).await.unwrap().text().await.unwrap();
    scrape
        .lines()
        .find_map(|line| line.strip_prefix(r#"baton_sockets{kind="widget"} "#))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

/// Waits until the visitor's message with `text` is shown as stored by the relay.
async fn delivered(browser: &Browser, text: &str) {
    let body = format!(
        "return Array.from(root.querySelectorAll('[data-testid=message][data-role=visitor]')).some(m => \
         m.textContent.includes({}) && m.getAttribute('data-status') === 'delivered');",
        json!(text)
    );
    browser.wait_for(&format!("{text:?} delivered"), &body).await;
}

async fn switch(browser: &Browser, tab: &WindowHandle) {
    browser.client.switch_to_window(tab.clone()).await.expect("switch tabs");
}

async fn close_panel(browser: &Browser) {
    browser.widget_element("[data-testid=launcher]").await.click().await.unwrap();
    browser.wait_for("the panel closed", "return !root.querySelector('[data-testid=panel]');").await;
}

/// How many of the conversation's stored events carry `text`.
async fn stored_with(api: &AgentApi, id: &str, text: &str) -> usize {
    let (_, body) = api.get(&format!("/conversations/{id}")).await;
    body["events"].as_array().map_or(0, |events| events.iter().filter(|e| e.to_string().contains(text)).count())
}

#[tokio::test]
async fn two_tabs_share_one_socket_and_the_conversation_and_survive_the_leaders_close() {
    let db = TestDb::new();
    let relay = TestRelay::start(&db).await;
    let url = relay.http_url();
    let mut agent = AgentSocket::connect(&relay.ws_base(), DEMO_TOKEN).await;
    let api = AgentApi::new(&url, DEMO_TOKEN);
    let browser = Browser::start().await;

    // Tab A starts the conversation and hands it to an agent.
    let a = browser.client.window().await.unwrap();
    browser.goto(&url).await;
    browser.open_chat().await;
    browser.wait_online().await;
    browser.type_and_send("Hello from the first tab").await;
    browser.wait_for_message("bot", "").await;
    browser.widget_element("[data-testid=handover-request]").await.click().await.unwrap();
    let waiting = agent
        .until("the waiting conversation", |f| f["type"] == "conversation" && f["conversation"]["phase"] == "waiting")
        .await;
    let id = waiting["conversation"]["id"].as_str().unwrap().to_string();
    assert_eq!(api.post(&format!("/conversations/{id}/accept"), json!({})).await.0, 200);
    browser.wait_for_message("system", "joined").await;
    assert_eq!(widget_sockets(&url).await, 1.0);

    // Tab B shows that conversation, through A's socket: still one socket at the relay.
    let b = browser.client.new_window(true).await.unwrap().handle;
    switch(&browser, &b).await;
    browser.goto(&url).await;
    browser.open_chat().await;
    browser.wait_for_message("visitor", "Hello from the first tab").await;
    browser.wait_for_message("system", "joined").await;
    browser.wait_online().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(widget_sockets(&url).await, 1.0, "the second tab opened no socket of its own");

    // Written in B, shown in A (and stored once).
    browser.type_and_send("Sent from the second tab").await;
    delivered(&browser, "Sent from the second tab").await;
    switch(&browser, &a).await;
    browser.wait_for_message("visitor", "Sent from the second tab").await;
    assert_eq!(stored_with(&api, &id, "Sent from the second tab").await, 1);

    // Both closed: the agent's answer is unread in both; reading it in B clears A.
    close_panel(&browser).await;
    switch(&browser, &b).await;
    close_panel(&browser).await;
    assert_eq!(api.post(&format!("/conversations/{id}/messages"), json!({"text": "Found it."})).await.0, 201);
    assert_eq!(browser.wait_for("the badge in B", UNREAD).await, json!("1"));
    switch(&browser, &a).await;
    assert_eq!(browser.wait_for("the badge in A", UNREAD).await, json!("1"));
    browser.wait_for("the title counter in A", "return document.title.startsWith('(1) ');").await;
    switch(&browser, &b).await;
    browser.open_chat().await;
    browser.wait_for_message("agent", "Found it.").await;
    switch(&browser, &a).await;
    browser
        .wait_for(
            "A's badge cleared",
            "return !root.querySelector('[data-testid=launcher]').hasAttribute('data-unread');",
        )
        .await;
    browser.wait_for("A's title restored", "return !document.title.startsWith('(');").await;

    // A, holding the socket, closes; B writes at once: B takes the socket over and resumes.
    browser.client.close_window().await.unwrap();
    switch(&browser, &b).await;
    browser.type_and_send("Written as the first tab closed").await;
    assert_eq!(api.post(&format!("/conversations/{id}/messages"), json!({"text": "Still here."})).await.0, 201);
    browser.wait_for_message("agent", "Still here.").await;
    browser.wait_online().await;
    delivered(&browser, "Written as the first tab closed").await;
    // The closed tab's socket goes; B's own stays.
    let mut sockets = widget_sockets(&url).await;
    for _ in 0..100 {
        if sockets == 1.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        sockets = widget_sockets(&url).await;
    }
    assert_eq!(sockets, 1.0);
    let texts: Value = browser.messages().await.into_iter().map(|(_, text)| text).collect::<Vec<_>>().into();
    for text in [
        "Hello from the first tab",
        "Sent from the second tab",
        "Found it.",
        "Written as the first tab closed",
        "Still here.",
    ] {
        assert!(texts.as_array().unwrap().iter().any(|t| t.as_str().unwrap().contains(text)), "{text} in {texts}");
    }
    assert_eq!(stored_with(&api, &id, "Written as the first tab closed").await, 1, "stored once");
    browser.close().await;
    relay.stop().await;
}
