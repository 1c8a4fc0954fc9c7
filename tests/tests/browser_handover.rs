//! The handover as people meet it: a visitor in the widget and an agent in the built-in inbox
//! page, each in their own headless Chromium, against the real relay on real SQLite.

use baton_tests::{
    agent_client::{AgentApi, AgentSocket, DEMO_TOKEN},
    axe,
    browser::Browser,
    test_config, TestDb, TestRelay,
};
use serde_json::json;

/// Opens `url` and its chat, like a visitor, and waits until the widget is online.
async fn open_chat(browser: &Browser, url: &str) {
    browser.goto(url).await;
    browser.open_chat().await;
    browser.wait_online().await;
}

async fn waiting_text(browser: &Browser) -> String {
    let value = browser
        .wait_for(
            "the waiting bar",
            "return root.querySelector('[data-testid=handover][data-state=waiting]')?.textContent;",
        )
        .await;
    value.as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn visitor_and_agent_from_request_to_rating_and_back_to_the_bot() {
    let db = TestDb::new();
    let relay = TestRelay::start(&db).await;
    let url = relay.http_url();
    let agent = Browser::start().await;
    agent.sign_in_to_inbox(&url).await;
    let visitor = Browser::start().await;
    open_chat(&visitor, &url).await;
    visitor.type_and_send("My order 40123 never arrived").await;
    visitor.wait_for_message("bot", "").await;

    // The visitor asks for a person: waiting, place in line, wait estimate, cancel button.
    visitor.widget_element("[data-testid=handover-request]").await.click().await.unwrap();
    visitor.wait_for_message("bot", "bringing in a person").await;
    let waiting = waiting_text(&visitor).await;
    assert!(waiting.contains("You're next") && waiting.contains("min"), "{waiting}");
    assert!(waiting.contains("Cancel request"), "the configured quick reply text: {waiting}");
    visitor.screenshot("handover-waiting").await;

    // The agent sees it waiting with reason and summary, opens it, accepts.
    agent.page_element("[data-testid=waiting] [data-testid=conversation-item]").await.click().await.unwrap();
    let summary = agent
        .wait_for(
            "the summary",
            "const s = document.querySelector('[data-testid=summary]').textContent; return s.includes('40123') && s;",
        )
        .await;
    assert!(summary.as_str().unwrap().contains("asked for a person"), "{summary}");
    let meta = agent.eval("return document.querySelector('[data-testid=conv-meta]').textContent;").await;
    assert!(meta.as_str().unwrap().contains("reason: explicit request"), "{meta}");
    agent.page_element("[data-testid=accept]").await.click().await.unwrap();

    // The visitor sees the agent's name, typing, and the reply.
    visitor.wait_for_message("system", "Alex joined").await;
    visitor
        .wait_for(
            "the agent's name in the header",
            "return root.querySelector('.baton-header') && root.querySelector('.baton-header').textContent.includes('Alex');",
        )
        .await;
    let reply = agent.page_element("[data-testid=reply]").await;
    agent.wait_for("the reply box enabled", "return !document.querySelector('[data-testid=reply]').disabled;").await;
    reply.send_keys("Let me check order 40123 for you").await.unwrap();
    let typing =
        visitor.wait_for("Alex typing", "return root.querySelector('[data-testid=typing]')?.textContent;").await;
    assert!(typing.as_str().unwrap().contains("Alex is typing"), "{typing}");
    reply.send_keys("\u{E007}").await.unwrap();
    visitor.wait_for_message("agent", "Let me check order 40123").await;
    visitor.screenshot("handover-agent-reply").await;

    // The visitor types (the agent sees it) and answers; the bot stays silent.
    let composer = visitor.widget_element("[data-testid=composer]").await;
    composer.send_keys("Thank").await.unwrap();
    agent
        .wait_for("the visitor typing", "return !document.querySelector('[data-testid=visitor-typing]').hidden;")
        .await;
    composer.send_keys(" you!\u{E007}").await.unwrap();
    agent.wait_for("the visitor's message", "return Array.from(document.querySelectorAll('[data-testid=transcript-message][data-role=visitor]')).some(m => m.textContent.includes('Thank you!'));").await;
    let bot_messages = visitor.messages().await.into_iter().filter(|(role, _)| role == "bot").count();

    // The agent ends; the visitor rates; the bot greets again.
    agent.page_element("[data-testid=end]").await.click().await.unwrap();
    visitor.wait_for_message("system", "How was your chat with Alex").await;
    visitor.click_widget_button("[data-testid=quick-reply]", "5").await;
    visitor.wait_for_message("bot", "Thanks for your feedback").await;
    let after = visitor.messages().await.into_iter().filter(|(role, _)| role == "bot").count();
    assert_eq!(after, bot_messages + 1, "the bot said nothing while the agent chatted");
    visitor.widget_element("[data-testid=handover-request]").await;
    visitor.type_and_send("Do you accept PayPal?").await;
    visitor.wait_for_message("bot", "PayPal").await;
    agent
        .wait_for(
            "the rating in the inbox",
            "return document.querySelector('[data-testid=ended]').textContent.includes('rated 5/5');",
        )
        .await;
    visitor.close().await;
    agent.close().await;
}

#[tokio::test]
async fn cancel_with_the_button_and_with_the_phrase() {
    let db = TestDb::new();
    let relay = TestRelay::start(&db).await;
    let _agent = AgentSocket::connect(&relay.ws_base(), DEMO_TOKEN).await;
    let visitor = Browser::start().await;
    open_chat(&visitor, &relay.http_url()).await;

    visitor.widget_element("[data-testid=handover-request]").await.click().await.unwrap();
    waiting_text(&visitor).await;
    visitor.widget_element("[data-testid=handover-cancel]").await.click().await.unwrap();
    visitor.wait_for_message("bot", "request is cancelled").await;
    visitor.widget_element("[data-testid=handover-request]").await;

    visitor.type_and_send("Can I speak to a human?").await;
    waiting_text(&visitor).await;
    visitor.type_and_send("never mind").await;
    visitor.wait_for("a second cancel", "return root.querySelectorAll('[data-testid=message][data-role=bot]').length && Array.from(root.querySelectorAll('[data-testid=message][data-role=bot]')).filter(m => m.textContent.includes('request is cancelled')).length == 2;").await;
    visitor.type_and_send("How do I return an item?").await;
    visitor
        .wait_for(
            "an answer from the returns article",
            "return root.querySelector('[data-testid=source]')?.textContent.includes('Returns');",
        )
        .await;
    visitor.close().await;
}

#[tokio::test]
async fn unavailable_without_agents_and_outside_office_hours_leaves_an_email() {
    // Nobody online.
    let db = TestDb::new();
    let relay = TestRelay::start(&db).await;
    let visitor = Browser::start().await;
    open_chat(&visitor, &relay.http_url()).await;
    visitor.widget_element("[data-testid=handover-request]").await.click().await.unwrap();
    visitor.wait_for_message("bot", "nobody from our team is available").await;
    visitor.screenshot("handover-unavailable-email").await;
    axe::assert_clean(&visitor, "nobody available, the email asked for").await;
    visitor.type_and_send("ada@example.com").await;
    visitor.wait_for_message("bot", "We will write to ada@example.com").await;
    let (_, follow_ups) = AgentApi::new(&relay.http_url(), DEMO_TOKEN).get("/follow-ups").await;
    assert_eq!(follow_ups[0]["email"], "ada@example.com", "{follow_ups}");
    visitor.close().await;

    // An agent online, but the office is closed (open one minute on Sundays at 03:00 in
    // Kiritimati; this is not asserted in that one minute a week).
    let db = TestDb::new();
    let mut config = test_config(&db);
    config.sites.get_mut("demo").unwrap().office_hours = Some(baton_tests::one_minute_office_hours());
    let relay = TestRelay::start_with(config).await;
    let _agent = AgentSocket::connect(&relay.ws_base(), DEMO_TOKEN).await;
    let visitor = Browser::start().await;
    open_chat(&visitor, &relay.http_url()).await;
    visitor.type_and_send("I want to talk to a person").await;
    visitor.wait_for_message("bot", "nobody from our team is available").await;
    visitor.type_and_send("you can reach me at bob@example.org").await;
    visitor.wait_for_message("bot", "We will write to bob@example.org").await;
    visitor.close().await;
}

#[tokio::test]
async fn the_relay_restarts_while_waiting_and_while_chatting() {
    let db = TestDb::new();
    let relay = TestRelay::start(&db).await;
    let (addr, config, url) = (relay.addr, relay.config.clone(), relay.http_url());
    let agent = AgentSocket::connect(&relay.ws_base(), DEMO_TOKEN).await;
    let visitor = Browser::start().await;
    open_chat(&visitor, &url).await;
    visitor.widget_element("[data-testid=handover-request]").await.click().await.unwrap();
    waiting_text(&visitor).await;
    drop(agent);
    relay.stop().await;

    // Restart while waiting: the widget reconnects by itself and is still in line.
    let relay = TestRelay::start_on(addr, config.clone()).await;
    let agent = AgentSocket::connect(&relay.ws_base(), DEMO_TOKEN).await;
    visitor.wait_for("online again", "return root.querySelector('[data-testid=connection][data-state=online]');").await;
    let waiting = waiting_text(&visitor).await;
    assert!(waiting.contains("You're next"), "{waiting}");
    let api = AgentApi::new(&url, DEMO_TOKEN);
    let (_, list) = api.get("/conversations?phase=waiting").await;
    let id = list[0]["id"].as_str().expect("the waiting conversation").to_string();
    assert_eq!(api.post(&format!("/conversations/{id}/accept"), json!({})).await.0, 200);
    visitor.wait_for_message("system", "Alex joined").await;
    drop(agent);
    relay.stop().await;

    // Restart while chatting: the agent still owns it; messages flow both ways.
    let relay = TestRelay::start_on(addr, config).await;
    visitor.wait_for("online again", "return root.querySelector('[data-testid=connection][data-state=online]');").await;
    visitor.type_and_send("Still there?").await;
    let api = AgentApi::new(&relay.http_url(), DEMO_TOKEN);
    assert_eq!(api.post(&format!("/conversations/{id}/messages"), json!({"text": "Yes, still here."})).await.0, 201);
    visitor.wait_for_message("agent", "Yes, still here.").await;
    let (_, view) = api.get(&format!("/conversations/{id}")).await;
    let events = view["events"].as_array().unwrap();
    assert!(events.iter().any(|e| e["text"] == "Still there?"));
    let bot_after_join = events
        .iter()
        .skip_while(|e| e["kind"] != "phase" || e["phase"] != "agent")
        .filter(|e| e["kind"] == "message" && e["author"]["role"] == "bot")
        .count();
    assert_eq!(bot_after_join, 0, "the bot stayed silent across the restarts");
    visitor.close().await;
}

#[tokio::test]
async fn a_site_whose_helpdesk_is_a_link_shows_the_link_instead_of_a_handover() {
    let db = TestDb::new();
    let mut config = test_config(&db);
    baton_tests::helpdesks::configure(
        config.sites.get_mut("demo").unwrap(),
        r#"
        [provider]
        kind = "link"
        url = "https://shop.example/contact"
        label = "Open the contact form"
        message = "Our team answers through our contact form."
        "#,
    );
    let relay = TestRelay::start_with(config).await;
    let visitor = Browser::start().await;
    open_chat(&visitor, &relay.http_url()).await;
    visitor.widget_element("[data-testid=handover-request]").await.click().await.unwrap();
    visitor.wait_for_message("bot", "contact form").await;
    let link = visitor
        .wait_for(
            "the link button",
            "const a = Array.from(root.querySelectorAll('a[data-testid=quick-reply]')).find(a => a.textContent.includes('Open the contact form')); \
             return a && [a.getAttribute('href'), a.getAttribute('target')];",
        )
        .await;
    assert_eq!(link, json!(["https://shop.example/contact", "_blank"]));
    // No handover happened: the visitor is still with the bot.
    visitor.widget_element("[data-testid=handover-request]").await;
    visitor.close().await;
}
