//! The product as a visitor meets it: headless Chromium loads a page with the one script tag,
//! against the real relay and real SQLite.

use std::time::Duration;

use baton_tests::{axe, browser::Browser, TestDb, TestRelay};

async fn csp_violations(browser: &Browser) -> serde_json::Value {
    browser.eval("return window.__cspViolations || ['csp-watch.js did not run'];").await
}

#[tokio::test]
async fn a_visitor_asks_the_bot_and_finds_the_conversation_after_a_reload() {
    let db = TestDb::new();
    let relay = TestRelay::start(&db).await;
    let browser = Browser::start().await;
    browser.goto(&relay.http_url()).await;

    // The launcher is drawn by the loader at once.
    browser.wait_for("the launcher", "return root && root.querySelector('[data-testid=launcher]');").await;
    browser.open_chat().await;
    browser.wait_online().await;
    browser.wait_for_message("bot", "I'm Baton").await;

    browser.type_and_send("How long does delivery take?").await;
    browser.wait_for_message("visitor", "How long does delivery take?").await;
    browser.wait_for_message("bot", "business days").await;
    browser.screenshot("bot-answer").await;
    // The page's own script runs beside the widget and hears about messages through the API.
    let status = browser.eval("return document.querySelector('[data-testid=page-status]').textContent;").await;
    assert!(status.as_str().unwrap().contains("Chat messages seen"), "{status}");
    let source = browser.in_widget("return root.querySelector('[data-testid=source]').getAttribute('href');").await;
    assert_eq!(source, format!("{}/help/demo/shipping", relay.http_url()));

    // Reload: same conversation, no second greeting, nothing duplicated.
    browser.goto(&relay.http_url()).await;
    browser.open_chat().await;
    browser.wait_for_message("bot", "business days").await;
    let messages = browser.messages().await;
    let roles: Vec<&str> = messages.iter().map(|(role, _)| role.as_str()).collect();
    assert_eq!(roles, vec!["bot", "visitor", "bot"], "{messages:?}");

    // The page's own script still runs, and nothing broke the page's strict CSP.
    assert_eq!(browser.eval("return document.body.getAttribute('data-shop-script');").await, "ran");
    assert_eq!(csp_violations(&browser).await, serde_json::json!([]));
    browser.close().await;
}

#[tokio::test]
async fn shift_enter_makes_a_new_line_and_enter_sends() {
    let db = TestDb::new();
    let relay = TestRelay::start(&db).await;
    let browser = Browser::start().await;
    browser.goto(&relay.http_url()).await;
    browser.open_chat().await;
    browser.wait_online().await;
    let composer = browser.widget_element("[data-testid=composer]").await;
    composer.send_keys("Do you ship").await.unwrap();
    // Shift+Enter: WebDriver's Shift key code, Enter, then release the modifiers.
    composer.send_keys("\u{E008}\u{E007}\u{E000}").await.unwrap();
    composer.send_keys("to Norway?").await.unwrap();
    let value = browser.in_widget("return root.querySelector('[data-testid=composer]').value;").await;
    assert_eq!(value, "Do you ship\nto Norway?");
    composer.send_keys("\u{E007}").await.unwrap();
    browser.wait_for_message("bot", "Norway").await;
    let value = browser.in_widget("return root.querySelector('[data-testid=composer]').value;").await;
    assert_eq!(value, "");
    browser.close().await;
}

#[tokio::test]
async fn messages_typed_while_the_relay_is_down_are_delivered_once_when_it_returns() {
    let db = TestDb::new();
    let relay = TestRelay::start(&db).await;
    let (addr, config) = (relay.addr, relay.config.clone());
    let browser = Browser::start().await;
    browser.goto(&relay.http_url()).await;
    browser.open_chat().await;
    browser.wait_online().await;
    browser.wait_for_message("bot", "I'm Baton").await;

    relay.stop().await;
    browser
        .wait_for(
            "the widget to notice",
            "return root.querySelector('[data-testid=connection]').getAttribute('data-state') !== 'online';",
        )
        .await;
    browser.type_and_send("Do you accept PayPal?").await;
    browser
        .wait_for(
            "the message shown as sending",
            "return root.querySelector('[data-testid=message][data-status=sending]');",
        )
        .await;
    let banner = browser.in_widget("return root.querySelector('[data-testid=connection]').textContent;").await;
    assert!(banner.as_str().is_some_and(|b| b.contains("Offline") || b.contains("Connecting")), "{banner}");
    browser.screenshot("widget-offline-sending").await;
    axe::assert_clean(&browser, "the widget offline with a message waiting to be sent").await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    let relay = TestRelay::start_on(addr, config).await;
    browser.wait_online().await;
    browser.wait_for_message("bot", "PayPal").await;
    let messages = browser.messages().await;
    let sent = messages.iter().filter(|(role, text)| role == "visitor" && text.contains("PayPal")).count();
    assert_eq!(sent, 1, "{messages:?}");
    browser
        .wait_for(
            "delivered",
            "return root.querySelector('[data-testid=message][data-role=visitor][data-status=delivered]');",
        )
        .await;
    drop(relay);
    browser.close().await;
}

#[tokio::test]
async fn the_page_api_opens_the_chat_identifies_and_reports_messages() {
    let db = TestDb::new();
    let relay = TestRelay::start(&db).await;
    let browser = Browser::start().await;
    browser.goto(&relay.http_url()).await;
    browser
        .eval(
            "window.__seen = []; window.Baton.on('message', e => window.__seen.push(e.message.role + ':' + e.message.text)); \
             window.Baton.identify({email: 'ada@example.com', name: 'Ada'}); window.Baton.open(); return true;",
        )
        .await;
    browser
        .wait_for("the panel opened by Baton.open()", "return root && root.querySelector('[data-testid=composer]');")
        .await;
    browser.wait_online().await;
    browser.type_and_send("Is there a warranty?").await;
    browser.wait_for_message("bot", "warranty").await;
    let seen = browser.eval("return window.__seen;").await;
    let seen: Vec<String> = serde_json::from_value(seen).unwrap();
    assert!(seen.iter().any(|s| s.starts_with("visitor:Is there a warranty?")), "{seen:?}");
    assert!(seen.iter().any(|s| s.starts_with("bot:") && s.contains("warranty")), "{seen:?}");
    browser.eval("window.Baton.close(); return true;").await;
    browser.wait_for("the panel closed", "return root && !root.querySelector('[data-testid=composer]') || (root.querySelector('[data-testid=panel]') && root.querySelector('[data-testid=panel]').hidden);").await;

    // The identity reached the relay.
    let api = baton_tests::agent_client::AgentApi::new(&relay.http_url(), baton_tests::agent_client::DEMO_TOKEN);
    let (_, list) = api.get("/conversations?phase=bot").await;
    assert_eq!(list[0]["visitor"]["email"], "ada@example.com", "{list}");
    browser.close().await;
}

/// A shop on another origin whose CSP allows only the relay's origin and wasm compilation.
#[tokio::test]
async fn the_widget_works_on_a_foreign_page_under_a_strict_csp() {
    let db = TestDb::new();
    let relay = TestRelay::start(&db).await;
    let relay_origin = relay.http_url();
    let csp = format!(
        "default-src 'none'; script-src {relay_origin} 'wasm-unsafe-eval'; style-src {relay_origin}; \
         connect-src {relay_origin} ws://{}; img-src data:",
        relay.addr
    );
    let page = format!(
        "<!doctype html><html><head><title>Foreign shop</title>\
         <script src=\"{relay_origin}/csp-watch.js\"></script></head>\
         <body><h1 style=\"color:red\">A shop</h1>\
         <script src=\"{relay_origin}/embed.js\" data-site=\"demo\" async></script></body></html>"
    );
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(move || {
            let (page, csp) = (page.clone(), csp.clone());
            async move { ([("content-security-policy", csp)], axum::response::Html(page)) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let browser = Browser::start().await;
    // `localhost` and `127.0.0.1` are different origins: the page is cross-origin to the relay.
    browser.goto(&format!("http://localhost:{port}/")).await;
    browser.open_chat().await;
    browser.wait_online().await;
    browser.type_and_send("How do I return an item?").await;
    browser.wait_for_message("bot", "return").await;
    // The page's own inline style is blocked (the CSP works), the widget needed nothing blocked.
    let violations: Vec<String> = serde_json::from_value(csp_violations(&browser).await).unwrap();
    assert!(violations.iter().all(|v| v.starts_with("style-src") && v.ends_with("inline")), "{violations:?}");
    let styled = browser
        .in_widget("const b = root.querySelector('[data-testid=launcher]'); return getComputedStyle(b).borderRadius;")
        .await;
    assert_ne!(styled, "0px", "the widget's stylesheet applied inside the shadow root");
    browser.close().await;
}
