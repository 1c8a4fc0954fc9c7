//! Accessibility in headless Chromium: axe-core (WCAG 2 A/AA and best practices) finds nothing
//! on any page of the owner dashboard, in the states an owner meets (errors at fields, a tried
//! sentence, a new invitation, a wrong password), nor in the widget's states on the demo page (closed, open,
//! answered by the bot, waiting for a person with the cancel button, with an agent, asking for a
//! rating, dark, German with a message in Arabic, on a phone); each widget state saved as a
//! screenshot (`widget-*`, `BATON_SCREENSHOT_DIR`); and from the
//! keyboard, Tab reaches every control of each page and each control shows its focus.
//! axe-core comes from `.tools/` (`scripts/tools.sh browser`); the widget from `dist/`
//! (`trunk build --release`).

use baton_tests::{
    agent_client::{AgentSocket, DEMO_TOKEN},
    axe,
    browser::{Browser, Options},
    dashboard::{set_up_and_sign_in, PASSWORD},
    test_config,
    widget_client::WidgetClient,
    TestDb, TestRelay,
};
use serde_json::json;
use shared::ClientFrame;

const SETUP_TOKEN: &str = "setup-token-for-axe-tests-0123456789";

/// axe-core finds nothing and the keyboard reaches everything on what `browser` shows.
async fn check(browser: &Browser, state: &str) {
    axe::assert_clean(browser, state).await;
    axe::assert_keyboard_usable(browser, state).await;
}

/// [`check`], after saving a screenshot of the state as `name` (`BATON_SCREENSHOT_DIR`).
async fn shot(browser: &Browser, name: &str, state: &str) {
    browser.screenshot(name).await;
    check(browser, state).await;
}

/// Opens `path` of the relay at `url` and checks it once `text` shows.
async fn visit(browser: &Browser, url: &str, path: &str, text: &str) {
    browser.goto(&format!("{url}{path}")).await;
    browser.page_shows(text).await;
    check(browser, path).await;
}

#[tokio::test]
async fn every_dashboard_page_passes_axe_and_is_usable_from_the_keyboard() {
    let db = TestDb::new();
    let mut config = test_config(&db);
    config.admin.setup_token = Some(SETUP_TOKEN.into());
    let relay = TestRelay::start_with(config).await;
    let url = relay.http_url();
    let owner = Browser::start().await;

    visit(&owner, &url, &format!("/admin/setup?token={SETUP_TOKEN}"), "Set up Baton").await;
    set_up_and_sign_in(&owner, &url, SETUP_TOKEN).await;
    for (path, text) in [
        ("/admin/sites", "New site"),
        ("/admin/sites/demo", "Embed"),
        ("/admin/sites/demo/handover", "Handover texts"),
        ("/admin/sites/demo/handover?lang=de", "Handover texts of demo in de"),
        ("/admin/sites/demo/chat", "Bot name"),
        ("/admin/sites/demo/office-hours", "Time zone"),
        ("/admin/sites/demo/insights", "Insights of demo"),
        ("/admin/inbox", "Open the inbox"),
    ] {
        visit(&owner, &url, path, text).await;
    }

    // Triggers: a tried sentence, and a topic refused at its field.
    visit(&owner, &url, "/admin/sites/demo/triggers", "Try a sentence").await;
    owner.fill("#f-sentence", "My charger caught fire").await;
    owner.click("form[action$='/triggers/try'] button[type=submit]").await;
    owner.page_shows("rule: safety issue").await;
    check(&owner, "the triggers page with a tried sentence").await;
    owner.fill("#f-topic-name", "billing dispute").await;
    owner.click("#topic-form button[value=save]").await;
    owner.page_shows("already named").await;
    check(&owner, "the triggers page with a topic refused at its field").await;

    // Channels: Link without its address.
    visit(&owner, &url, "/admin/sites/demo/channels?kind=link", "Handovers go to").await;
    owner.fill("#f-p-url", "").await;
    owner.click("button[value=save]").await;
    owner.page_shows("Please correct").await;
    check(&owner, "the channels page with an error at a field").await;

    // Office hours with an unknown time zone.
    owner.goto(&format!("{url}/admin/sites/demo/office-hours")).await;
    owner.click("#f-always").await; // not always open: the hours count
    owner.fill("#f-timezone", "Nowhere/City").await;
    owner.click("main form button[type=submit]").await;
    owner.page_shows("Please correct").await;
    check(&owner, "the office hours page with an error at a field").await;
    owner.fill("#f-timezone", "Europe/Berlin").await;
    owner.fill("#f-holidays", "2026-02-30 Not a day").await;
    owner.click("main form button[type=submit]").await;
    owner.page_shows("is not a date").await;
    check(&owner, "the office hours page with a holiday refused at its field").await;

    // Appearance (its colour swatch), and a colour that is not one.
    visit(&owner, &url, "/admin/sites/demo/appearance", "Brand colour").await;
    owner.fill("#f-primary", "not a colour").await;
    owner.click("button[value=save]").await;
    owner.page_shows("Please correct").await;
    check(&owner, "the appearance page with an error at a field").await;

    // Attention (sound, proactive messages), and a rule whose path is no path.
    visit(&owner, &url, "/admin/sites/demo/attention", "Proactive messages").await;
    owner.fill("#f-path_0", "pricing").await;
    owner.fill("#f-text_0", "Questions about our plans?").await;
    owner.click("form[action$='/attention'] button[type=submit]").await;
    owner.page_shows("Please correct").await;
    check(&owner, "the attention page with an error at a field").await;

    // Agents: an invitation made, then its page as the agent opens it.
    visit(&owner, &url, "/admin/agents", "Invite an agent").await;
    owner.fill("#f-name", "Alex Agent").await;
    owner.fill("#f-email", "alex@example.com").await;
    owner.click("main form button[type=submit]").await;
    owner.page_shows("Choose at least one").await;
    check(&owner, "the agents page without a site chosen").await;
    owner.click("input[name='site:demo']").await;
    owner.click("main form button[type=submit]").await;
    owner.page_shows("Invitation link").await;
    check(&owner, "the agents page with a new invitation link").await;
    let link = owner.eval("return document.querySelector('#f-link').value;").await;
    let link = link.as_str().expect("the invitation link").to_string();

    // The test chat: the dashboard page around the site's real widget.
    visit(&owner, &url, "/admin/sites/demo/test", "Test chat").await;

    let agent = Browser::start().await;
    agent.goto(&link).await;
    agent.page_shows("Password").await;
    check(&agent, "the invitation page").await;
    agent.close().await;

    // Signed out: the sign-in page, and its wrong-password state.
    owner.click(".sign-out button").await;
    owner.page_shows("Sign in").await;
    check(&owner, "the sign-in page").await;
    owner.fill("#f-email", "olivia@example.com").await;
    owner.fill("#f-password", &format!("{PASSWORD} but wrong")).await;
    owner.click("main form button[type=submit]").await;
    owner.page_shows("Wrong email or password.").await;
    check(&owner, "the sign-in page after a wrong password").await;
    owner.close().await;
}

/// The release widget is needed (`trunk build --release` makes `dist/`): without it the demo
/// page has no widget to check.
fn widget_built() {
    let dist = baton_tests::workspace_root().join("dist/index.html");
    assert!(dist.is_file(), "{} is missing: build the release widget with `trunk build --release`", dist.display());
}

#[tokio::test]
async fn the_widget_passes_axe_closed_open_answered_waiting_with_an_agent_rating_and_dark() {
    widget_built();
    let db = TestDb::new();
    let relay = TestRelay::start(&db).await;
    // Someone is available, so a request for a person waits for them (with the cancel button).
    let mut agent = AgentSocket::connect(&relay.ws_base(), DEMO_TOKEN).await;
    let visitor = Browser::start().await;
    visitor.goto(&relay.http_url()).await;
    visitor.wait_for("the launcher", "return root && root.querySelector('[data-testid=launcher]');").await;
    shot(&visitor, "widget-closed", "the demo page with the widget closed").await;

    visitor.open_chat().await;
    visitor.wait_online().await;
    visitor.wait_for_message("bot", "I'm Baton").await;
    shot(&visitor, "widget-open", "the widget open").await;

    visitor.type_and_send("How long does delivery take?").await;
    visitor.wait_for_message("bot", "business days").await;
    shot(&visitor, "widget-bot-answer", "the widget with the bot's answer").await;

    visitor.click_widget_button("[data-testid=handover-request]", "").await;
    visitor.widget_element("[data-testid=handover-cancel]").await;
    shot(&visitor, "widget-waiting-cancel", "the widget waiting for a person, with the cancel button").await;

    // An agent joins and answers, then ends: the rating question.
    let waiting = agent
        .until("a waiting conversation", |f| f["type"] == "conversation" && f["conversation"]["phase"] == "waiting")
        .await;
    let id = waiting["conversation"]["id"].clone();
    agent.send(json!({"type": "accept", "conversation_id": id})).await;
    visitor.wait_for_message("system", "joined").await;
    agent.send(json!({"type": "send", "conversation_id": id, "text": "Hello, this is Alex. How can I help?"})).await;
    visitor.wait_for_message("agent", "How can I help?").await;
    shot(&visitor, "widget-agent", "the widget chatting with an agent").await;
    agent.send(json!({"type": "end", "conversation_id": id})).await;
    visitor.widget_element("[data-testid=quick-reply]").await;
    shot(&visitor, "widget-rating", "the widget asking for a rating").await;
    visitor.close().await;

    let dark = Browser::start_with(Options { dark: true, ..Options::default() }).await;
    dark.goto(&relay.http_url()).await;
    dark.open_chat().await;
    dark.wait_online().await;
    dark.wait_for_message("bot", "I'm Baton").await;
    let scheme = dark.in_widget("return host.getAttribute('data-baton-scheme');").await;
    assert_eq!(scheme, "dark", "the widget follows the browser's dark scheme");
    shot(&dark, "widget-dark", "the widget open in a dark colour scheme").await;
    dark.close().await;

    // The widget in German (the demo page says lang="en", so the page asks for German), and a
    // visitor writing Arabic (right to left).
    let german = Browser::start_with(Options { languages: Some("de-DE,de"), ..Options::default() }).await;
    german.goto(&relay.http_url()).await;
    german.open_chat().await;
    german.wait_online().await;
    german.eval("Baton.setLanguage('de'); return true;").await;
    let placeholder = "return root.querySelector('[data-testid=composer]').placeholder.startsWith('Nachricht');";
    german.wait_for("the German placeholder", placeholder).await;
    german.type_and_send("مرحبا، كم يستغرق التوصيل إلى دبي؟").await;
    german.wait_for_message("visitor", "مرحبا").await;
    german
        .wait_for(
            "the bot's answer",
            "return root.querySelectorAll('[data-testid=message][data-role=bot]').length >= 2;",
        )
        .await;
    shot(&german, "widget-german-arabic", "the widget in German with a message in Arabic").await;
    // The panel was drawn again in German (into the same elements): one header, one of each
    // message, in order.
    let drawn = german
        .in_widget(
            "const n = s => root.querySelectorAll(s).length; \
             const texts = [...root.querySelectorAll('[data-testid=message]')].map(m => m.dataset.role); \
             return [n('[data-testid=close]'), n('[data-testid=connection]'), n('#baton-title'), texts.join(',')].join(' ');",
        )
        .await;
    assert_eq!(drawn.as_str(), Some("1 1 1 bot,visitor,bot"), "the German panel drawn once: {drawn}");
    german.close().await;
}

/// On a phone (Chromium's mobile emulation, 390×844): the launcher alone, then the panel over
/// the whole screen with the launcher hidden and a composer whose text is 16 px (iOS would zoom
/// in under that); axe-core finds nothing closed, open or answered, and the keyboard reaches
/// every control.
#[tokio::test]
async fn on_a_phone_the_panel_fills_the_screen_and_passes_axe() {
    widget_built();
    let db = TestDb::new();
    let relay = TestRelay::start(&db).await;
    let phone = Browser::start_with(Options { mobile: true, ..Options::default() }).await;
    phone.goto(&relay.http_url()).await;
    phone.wait_for("the launcher", "return root && root.querySelector('[data-testid=launcher]');").await;
    let width = phone.eval("return [innerWidth, matchMedia('(pointer: coarse)').matches];").await;
    assert_eq!(width, json!([390, true]), "a phone's viewport and touch");
    shot(&phone, "widget-mobile-closed", "the widget closed on a phone").await;

    phone.open_chat().await;
    phone.wait_online().await;
    phone.wait_for_message("bot", "I'm Baton").await;
    // axe-core lets the panel's opening animation end first; measured after it.
    shot(&phone, "widget-mobile-open", "the widget open on a phone").await;
    let layout = phone
        .in_widget(
            "const p = root.querySelector('[data-testid=panel]').getBoundingClientRect(); \
             const launcher = root.querySelector('[data-testid=launcher]'); \
             return [Math.round(p.left), Math.round(p.top), Math.round(p.width), Math.round(p.height), innerHeight, \
             launcher ? getComputedStyle(launcher).display : 'none', \
             getComputedStyle(root.querySelector('[data-testid=composer]')).fontSize];",
        )
        .await;
    let height = layout[4].clone();
    assert_eq!(layout, json!([0, 0, 390, height, height, "none", "16px"]), "the panel over the whole screen");

    phone.type_and_send("How long does delivery take?").await;
    phone.wait_for_message("bot", "business days").await;
    shot(&phone, "widget-mobile-answer", "the bot's answer on a phone").await;
    phone.close().await;
}

/// The checks fail where they should: on a page with an image without a text, an unlabelled
/// input, no language and a button that hides its focus, axe-core names those rules and the
/// keyboard walk the button.
#[tokio::test]
async fn the_checks_find_what_is_broken_on_a_page() {
    let page = "<!doctype html><title>Broken</title><main><h1>Broken</h1><img src='x.png'>\
                <input type='text'><button id='hidden-focus' style='outline:none'>Go</button></main>";
    let browser = Browser::start().await;
    browser.goto(&format!("data:text/html,{}", urlencoding(page))).await;
    let found = axe::violations(&browser).await;
    let ids: Vec<&str> = found.iter().map(|v| v.id.as_str()).collect();
    for rule in ["image-alt", "label", "html-has-lang"] {
        assert!(ids.contains(&rule), "{rule} not found:{}", axe::describe(&found));
    }
    assert!(axe::describe(&found).contains("img"), "the failure names the element");
    let problems = axe::keyboard_problems(&browser).await;
    assert!(problems.iter().any(|p| p.contains("button#hidden-focus")), "{problems:?}");
    browser.close().await;
}

/// `text` for a `data:` URL.
fn urlencoding(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b" <>/='!-.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn the_agent_inbox_passes_axe_and_a_conversation_is_chosen_from_the_keyboard() {
    let db = TestDb::new();
    let relay = TestRelay::start(&db).await;
    let url = relay.http_url();
    let agent = Browser::start().await;
    agent.goto(&format!("{url}/inbox/")).await;
    agent.page_element("[data-testid=token]").await;
    check(&agent, "the inbox's sign-in form").await;
    agent.fill("[data-testid=token]", DEMO_TOKEN).await;
    agent.click("[data-testid=signin-button]").await;
    let online = "return document.querySelector('[data-testid=inbox-status][data-state=online]');";
    agent.wait_for("the inbox online", online).await;

    let (mut visitor, _, _) = WidgetClient::greeted(&relay.ws_url()).await;
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_message(shared::Role::Bot, "bringing in a person").await;
    agent.wait_for("a waiting conversation", "return document.querySelector('[data-testid=conversation-item]');").await;
    check(&agent, "the inbox with a waiting conversation").await;

    // Chosen with the keyboard: focused by Tab (the walk above reached it), opened with Enter.
    agent.eval("document.querySelector('[data-testid=conversation-item] button').focus();").await;
    agent
        .page_element("[data-testid=conversation-item] button")
        .await
        .send_keys("\u{E007}")
        .await
        .expect("press Enter");
    agent
        .wait_for("the conversation open", "return !document.querySelector('[data-testid=conversation]').hidden;")
        .await;
    check(&agent, "the inbox with a conversation open").await;
    agent.close().await;
}
