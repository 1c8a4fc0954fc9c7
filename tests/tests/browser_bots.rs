//! A streamed LLM answer as a visitor sees it: the bot's bubble grows while the model writes,
//! then the stored answer takes its place (headless Chromium, the real relay, a local
//! OpenAI-compatible endpoint).

use std::time::Duration;

use baton_tests::{browser::Browser, test_config, TestDb, TestRelay};
use relay::config::{BotConfig, LlmConfig};

/// Streams [`baton_tests::llm::TOKENS`] slowly enough for the browser to see each step.
async fn llm_endpoint() -> String {
    baton_tests::llm::streaming_endpoint(Duration::from_millis(400)).await
}

const DRAFT: &str = "const d = root && root.querySelector('[data-testid=message][data-status=draft] \
                     [data-testid=message-text]'); return d ? d.textContent : null;";

#[tokio::test]
async fn the_visitor_sees_the_answer_grow_then_settle() {
    let db = TestDb::new();
    let mut config = test_config(&db);
    let base_url = llm_endpoint().await;
    for site in config.sites.values_mut() {
        site.bot = BotConfig::Llm(LlmConfig { base_url: base_url.clone(), ..LlmConfig::default() });
    }
    let relay = TestRelay::start_with(config).await;
    let browser = Browser::start().await;
    browser.goto(&relay.http_url()).await;
    browser.open_chat().await;
    browser.wait_for_message("bot", "I'm Baton").await;
    browser.type_and_send("Do you accept PayPal?").await;

    let first = browser.wait_for("a draft", DRAFT).await;
    let first = first.as_str().unwrap().to_string();
    assert!(!first.contains("checkout"), "seen before the end: {first}");
    let grown = browser
        .wait_for(
            "the draft to grow",
            &format!("const t = (() => {{ {DRAFT} }})(); return t && t.length > {} ? t : null;", first.len()),
        )
        .await;
    println!("draft seen: {first:?} then {grown}");
    // The draft bubble is also a bot message: wait for the stored one (it has a `seq`).
    browser
        .wait_for(
            "the stored answer",
            "return [...root.querySelectorAll('[data-testid=message][data-role=bot][data-seq]')]\
             .some(m => m.textContent.includes('PayPal at checkout.'));",
        )
        .await;
    browser.screenshot("llm-answer").await;
    let left = browser.in_widget(DRAFT).await;
    assert!(left.is_null(), "the stored answer replaced the draft: {left}");
    let source = browser.in_widget("return root.querySelector('[data-testid=source]').getAttribute('href');").await;
    assert_eq!(source, format!("{}/help/demo/payment", relay.http_url()));
    browser.close().await;
}
