//! The visitor's language and the site's look in Chromium (issue 13): a German page and a
//! German browser get the widget's German texts and the site's German handover text; Arabic
//! reads right to left, also on a right-to-left page; a site's colour, side and dark scheme
//! apply, the page's `Baton.configure` and its own stylesheet win over them, and the text on
//! the colour is readable. Every state is saved as a screenshot (the path is printed).
//! Pages come from a small server on another origin, under a strict CSP.

use baton_tests::{
    agent_client::{AgentSocket, DEMO_TOKEN},
    axe,
    browser::{Browser, Options},
    test_config, TestDb, TestRelay,
};
use relay::config::{Config, HandoverTexts, ThemeConfig};
use serde_json::json;

/// The demo site with German handover texts.
fn config(db: &TestDb) -> Config {
    let mut config = test_config(db);
    config.sites.get_mut("demo").unwrap().handover.texts.insert(
        "de".into(),
        HandoverTexts {
            templates: [(
                "text_message".into(),
                "Ich hole eine Person aus unserem Team. Die Wartezeit beträgt etwa {{ wait_estimate }}.".into(),
            )]
            .into(),
            request_button_text: Some("Mit einer Person sprechen".into()),
            quick_reply_text: Some("Anfrage abbrechen".into()),
            ..HandoverTexts::default()
        },
    );
    config
}

/// Serves one page with the embed tag (`html_attributes` on `<html>`, `tag_attributes` on the
/// script tag, `style` as the page's stylesheet at /page.css) on another origin than the
/// relay's, under a CSP that allows only the relay and wasm; returns its URL.
async fn page(relay: &TestRelay, html_attributes: &str, tag_attributes: &str, style: &str) -> String {
    let origin = relay.http_url();
    let csp = format!(
        "default-src 'none'; script-src {origin} 'wasm-unsafe-eval'; style-src 'self' {origin}; \
         connect-src {origin} ws://{}; img-src data: {origin}",
        relay.addr
    );
    let html = format!(
        "<!doctype html><html {html_attributes}><head><title>Shop</title><link rel=\"stylesheet\" href=\"/page.css\">\
         <script src=\"{origin}/csp-watch.js\"></script></head>\
         <body><main><h1>Shop</h1><p>Lorem ipsum.</p></main>\
         <script src=\"{origin}/embed.js\" data-site=\"demo\" {tag_attributes} async></script></body></html>"
    );
    let style = style.to_string();
    let app = axum::Router::new()
        .route(
            "/",
            axum::routing::get(move || {
                let (html, csp) = (html.clone(), csp.clone());
                async move { ([("content-security-policy", csp)], axum::response::Html(html)) }
            }),
        )
        .route(
            "/page.css",
            axum::routing::get(move || {
                let style = style.clone();
                async move { ([("content-type", "text/css")], style) }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://localhost:{port}/")
}

async fn csp_violations(browser: &Browser) -> serde_json::Value {
    browser.eval("return window.__cspViolations || ['csp-watch.js did not run'];").await
}

/// An attribute or property of the first element matching `selector` in the widget.
async fn widget_value(browser: &Browser, selector: &str, expression: &str) -> serde_json::Value {
    browser.in_widget(&format!("const el = root.querySelector({}); return el && {expression};", json!(selector))).await
}

async fn computed(browser: &Browser, selector: &str, property: &str) -> String {
    let expression = format!("getComputedStyle(el).getPropertyValue({})", json!(property));
    widget_value(browser, selector, &expression).await.as_str().unwrap_or_default().trim().to_string()
}

/// Checks the widget's own texts are German, then asks for a person and waits for the site's
/// German handover text.
async fn german_widget_and_handover(browser: &Browser, shot: &str) {
    browser
        .wait_for(
            "the launcher's German label",
            "return root && root.querySelector('[data-testid=launcher]').getAttribute('aria-label') === 'Chat öffnen';",
        )
        .await;
    browser.open_chat().await;
    browser.wait_online().await;
    let composer = "[data-testid=composer]";
    assert_eq!(widget_value(browser, composer, "el.getAttribute('placeholder')").await, "Nachricht schreiben…");
    assert_eq!(widget_value(browser, composer, "el.getAttribute('aria-label')").await, "Nachricht");
    assert_eq!(widget_value(browser, "[data-testid=send]", "el.getAttribute('aria-label')").await, "Nachricht senden");
    assert_eq!(widget_value(browser, "[data-testid=close]", "el.getAttribute('aria-label')").await, "Chat schließen");
    assert_eq!(widget_value(browser, "[data-testid=messages]", "el.getAttribute('aria-label')").await, "Nachrichten");
    assert_eq!(widget_value(browser, ".baton-root", "el.getAttribute('lang')").await, "de");
    assert_eq!(
        widget_value(browser, "[data-testid=launcher]", "el.getAttribute('aria-label')").await,
        "Chat schließen"
    );
    browser.screenshot(&format!("{shot}-open")).await;
    browser.click_widget_button("[data-testid=handover-request]", "Mit einer Person sprechen").await;
    browser.wait_for_message("bot", "Ich hole eine Person aus unserem Team").await;
    browser.wait_for_message("bot", "Minute").await;
    browser
        .wait_for(
            "the German waiting line",
            "return root.querySelector('[data-testid=handover]').textContent.includes('Sie sind als Nächstes dran');",
        )
        .await;
    browser.click_widget_button("[data-testid=quick-reply]", "Anfrage abbrechen").await;
    browser.screenshot(&format!("{shot}-handover")).await;
}

#[tokio::test]
async fn a_german_page_and_a_german_browser_get_german_texts_and_the_german_handover_text() {
    let db = TestDb::new();
    let relay = TestRelay::start_with(config(&db)).await;
    let _agent = AgentSocket::connect(&relay.ws_base(), DEMO_TOKEN).await;

    // An English browser on a page in German.
    let url = page(&relay, "lang=\"de\"", "", "").await;
    let browser = Browser::start().await;
    browser.goto(&url).await;
    german_widget_and_handover(&browser, "german-page").await;
    assert_eq!(csp_violations(&browser).await, json!([]));
    // After the CSP check: axe-core, run through WebDriver, adds a style element.
    axe::assert_clean(&browser, "the German widget after the handover was cancelled").await;
    browser.close().await;

    // A German browser on a page that says nothing of its language.
    let url = page(&relay, "", "", "").await;
    let browser = Browser::start_with(Options { languages: Some("de-DE,de"), ..Options::default() }).await;
    browser.goto(&url).await;
    assert_eq!(browser.eval("return navigator.languages[0];").await, "de-DE");
    german_widget_and_handover(&browser, "german-browser").await;

    // The page switches the widget to French: its own texts at once. The relay has no French
    // handover texts, and the visitor's next language (the browser's) is German: the button
    // stays German.
    browser.eval("Baton.setLanguage('fr'); return true;").await;
    browser
        .wait_for(
            "the French placeholder",
            "return root.querySelector('[data-testid=composer]').getAttribute('placeholder') === 'Écrivez un message…';",
        )
        .await;
    assert_eq!(
        widget_value(&browser, "[data-testid=send]", "el.getAttribute('aria-label')").await,
        "Envoyer le message"
    );
    assert_eq!(widget_value(&browser, ".baton-root", "el.getAttribute('lang')").await, "fr");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        widget_value(&browser, "[data-testid=handover-request]", "el.textContent").await,
        "Mit einer Person sprechen"
    );
    browser.screenshot("french-by-set-language").await;
    browser.close().await;
}

#[tokio::test]
async fn arabic_reads_right_to_left_and_a_right_to_left_page_keeps_the_layout() {
    let db = TestDb::new();
    let relay = TestRelay::start_with(config(&db)).await;
    let url = page(&relay, "lang=\"ar\" dir=\"rtl\"", "", "").await;
    let browser = Browser::start().await;
    browser.goto(&url).await;
    browser.open_chat().await;
    browser.wait_online().await;
    let arabic = "مرحبا، أين طلبي رقم 40123؟";
    browser.type_and_send(arabic).await;
    browser.wait_for_message("visitor", "40123").await;
    let bubble = "[data-testid=message][data-role=visitor] [data-testid=message-text]";
    assert_eq!(computed(&browser, bubble, "direction").await, "rtl", "an Arabic message reads right to left");
    assert_eq!(computed(&browser, bubble, "text-align").await, "start");
    // The widget's own (English: no Arabic texts) stays left to right; the page is rtl.
    assert_eq!(browser.eval("return getComputedStyle(document.body).direction;").await, "rtl");
    assert_eq!(computed(&browser, ".baton-root", "direction").await, "ltr");
    let greeting = "[data-testid=message][data-role=bot] [data-testid=message-text]";
    assert_eq!(computed(&browser, greeting, "direction").await, "ltr", "an English message stays ltr");
    // Launcher and panel at the right edge, inside the window.
    let rects = browser
        .in_widget(
            "const r = e => root.querySelector(e).getBoundingClientRect(); \
             return [innerWidth, r('[data-testid=launcher]').right, r('[data-testid=panel]').right, r('[data-testid=panel]').left];",
        )
        .await;
    let [width, launcher_right, panel_right, panel_left] = serde_json::from_value::<[f64; 4]>(rects).unwrap();
    assert!((width - launcher_right - 20.0).abs() < 2.0, "launcher at the right: {width} {launcher_right}");
    assert!((width - panel_right - 20.0).abs() < 2.0 && panel_left > 0.0, "panel: {panel_left}..{panel_right}");
    browser.screenshot("arabic-on-rtl-page").await;
    axe::assert_clean(&browser, "an Arabic message on a right-to-left page").await;
    browser.close().await;
}

#[tokio::test]
async fn the_site_colour_side_and_dark_scheme_apply_and_the_page_can_override_them() {
    let db = TestDb::new();
    let mut config = config(&db);
    config.sites.get_mut("demo").unwrap().theme = ThemeConfig {
        primary: Some("#0b6e4f".into()),
        position: Some("left".into()),
        title: Some("Northwind help".into()),
        greeting: Some("Fragen? / Questions?".into()),
        ..ThemeConfig::default()
    };
    let relay = TestRelay::start_with(config).await;
    // The page's own stylesheet sets one of the widget's properties on the host.
    let url = page(&relay, "lang=\"en\"", "", "#baton-widget-host { --baton-bg-soft: rgb(1, 2, 3); }").await;

    let browser = Browser::start_with(Options { dark: true, ..Options::default() }).await;
    browser.goto(&url).await;
    assert_eq!(browser.eval("return matchMedia('(prefers-color-scheme: dark)').matches;").await, true);
    browser.open_chat().await;
    browser.wait_online().await;
    // The site's colour, with white on it (dark green: 6.4:1), on the launcher and header.
    let launcher = "[data-testid=launcher]";
    browser
        .wait_for(
            "the site's colour",
            "return getComputedStyle(root.querySelector('[data-testid=launcher]')).backgroundImage.includes('rgb(11, 110, 79)');",
        )
        .await;
    assert_eq!(computed(&browser, launcher, "color").await, "rgb(255, 255, 255)");
    assert_eq!(computed(&browser, ".baton-header", "color").await, "rgb(255, 255, 255)");
    let host = browser.eval("return getComputedStyle(document.getElementById('baton-widget-host')).getPropertyValue('--baton-primary').trim();").await;
    assert_eq!(host, "#0b6e4f", "exposed as a custom property on the host");
    // Left side, the site's title, dark scheme from the browser, the page's own override.
    let left = widget_value(&browser, launcher, "el.getBoundingClientRect().left").await;
    assert!((left.as_f64().unwrap() - 20.0).abs() < 2.0, "launcher on the left: {left}");
    assert_eq!(widget_value(&browser, "#baton-title", "el.textContent").await, "Northwind help");
    assert_eq!(computed(&browser, ".baton-panel", "background-color").await, "rgb(30, 33, 40)", "dark scheme");
    assert_eq!(
        computed(&browser, "[data-testid=messages]", "background-color").await,
        "rgb(1, 2, 3)",
        "the page's rule wins"
    );
    browser.screenshot("site-colour-dark").await;
    assert_eq!(csp_violations(&browser).await, json!([]), "the adopted sheet needs no inline style");

    // The page's configure wins over the site: yellow gets near-black text, light scheme.
    browser
        .eval("Baton.configure({primary: '#ffcc00', scheme: 'light', avatar: 'javascript:alert(1)'}); return true;")
        .await;
    browser
        .wait_for(
            "the page's colour",
            "return getComputedStyle(root.querySelector('.baton-header')).color === 'rgb(5, 5, 5)';",
        )
        .await;
    assert_eq!(computed(&browser, ".baton-panel", "background-color").await, "rgb(255, 255, 255)", "light by override");
    assert_eq!(widget_value(&browser, "[data-testid=avatar]", "true").await, serde_json::Value::Null, "no such avatar");
    browser.screenshot("page-colour-light").await;
    browser.close().await;
}

#[tokio::test]
async fn data_attributes_theme_the_launcher_before_the_first_connection() {
    let db = TestDb::new();
    let relay = TestRelay::start_with(config(&db)).await;
    let url = page(&relay, "", "data-primary=\"#7f1d1d\" data-position=\"left\" data-scheme=\"dark\"", "").await;
    let browser = Browser::start().await;
    browser.goto(&url).await;
    browser
        .wait_for(
            "the tag's colour",
            "return getComputedStyle(root.querySelector('[data-testid=launcher]')).backgroundImage.includes('rgb(127, 29, 29)');",
        )
        .await;
    let left = widget_value(&browser, "[data-testid=launcher]", "el.getBoundingClientRect().left").await;
    assert!((left.as_f64().unwrap() - 20.0).abs() < 2.0, "launcher on the left: {left}");
    browser.open_chat().await;
    assert_eq!(computed(&browser, ".baton-panel", "background-color").await, "rgb(30, 33, 40)", "dark by the tag");
    browser.screenshot("data-attributes").await;
    browser.close().await;
}
