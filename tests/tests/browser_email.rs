//! Email capture and the visitor's summary in Chromium (issue 13, points 4 and 5): the prompt
//! shown before the handover with the consent wording and the focus in its field, a malformed
//! email refused with a message, a good one passed on and changed later; the summary shown at
//! the handover, equal to what the agent got, copied with the Copy button (the clipboard's
//! `writeText` recorded) or, without a clipboard, selected whole for Ctrl+C; on a site whose
//! helpdesk is a contact form, the summary offered before the form's link. axe-core finds
//! nothing in these states and each is usable from the keyboard; every state is saved as a
//! screenshot (`BATON_SCREENSHOT_DIR`).

use baton_tests::{
    agent_client::{AgentSocket, DEMO_TOKEN},
    axe,
    browser::Browser,
    helpdesks::configure,
    test_config, TestDb, TestRelay,
};
use relay::config::CaptureWhen;

/// Opens the demo shop at `url` and its chat, and asks the bot something.
async fn asking(browser: &Browser, url: &str, question: &str) {
    browser.goto(url).await;
    browser.open_chat().await;
    browser.wait_online().await;
    browser.type_and_send(question).await;
    browser.wait_for_message("bot", "").await;
}

/// Waits until the widget's email line and the agent's view of the conversation both show `email`.
async fn email_shown_to_both(visitor: &Browser, agent: &mut AgentSocket, email: &str) {
    let shown = format!("return root.querySelector('[data-testid=email-value]')?.textContent === '{email}';");
    visitor.wait_for("the new email", &shown).await;
    agent
        .until("the changed email", |f| f["type"] == "conversation" && f["conversation"]["visitor"]["email"] == email)
        .await;
}

/// Types `email` into the prompt's field (emptied first) and presses Save.
async fn give_email(browser: &Browser, email: &str) {
    let input = browser.widget_element("[data-testid=email-input]").await;
    input.clear().await.expect("empty the email field");
    input.send_keys(email).await.expect("type the email");
    browser.widget_element("[data-testid=email-save]").await.click().await.expect("click Save");
}

const SUMMARY_TEXT: &str = "return root.querySelector('[data-testid=summary-text]')?.value;";
const COPY_STATUS: &str = "return root.querySelector('[data-testid=summary-status]')?.textContent;";

#[tokio::test]
async fn the_visitor_gives_an_email_before_the_handover_and_copies_the_summary() {
    let db = TestDb::new();
    let mut config = test_config(&db);
    config.sites.get_mut("demo").unwrap().email_capture.when = Some(CaptureWhen::BeforeHandover);
    let relay = TestRelay::start_with(config).await;
    let mut agent = AgentSocket::connect(&relay.ws_base(), DEMO_TOKEN).await;
    let visitor = Browser::start().await;
    asking(&visitor, &relay.http_url(), "My order 40123 never arrived").await;

    // Asking for a person opens the prompt first, its field focused; nothing is waiting yet.
    visitor.widget_element("[data-testid=handover-request]").await.click().await.unwrap();
    let consent = visitor
        .wait_for("the email prompt", "return root.querySelector('[data-testid=email-consent]')?.textContent;")
        .await;
    assert!(consent.as_str().unwrap().contains("only for this request"), "the widget's own wording: {consent}");
    visitor
        .wait_for(
            "the focus in the email field",
            "return root.activeElement?.getAttribute('data-testid') === 'email-input';",
        )
        .await;
    let label = visitor.in_widget("return root.querySelector('label[for=baton-email-input]')?.textContent;").await;
    assert_eq!(label.as_str(), Some("Your email"), "the field is labelled");
    let waiting = visitor.in_widget("return !!root.querySelector('[data-testid=handover][data-state=waiting]');").await;
    assert_eq!(waiting, serde_json::json!(false), "the handover waits for the email");
    visitor.screenshot("email-prompt").await;
    axe::assert_clean(&visitor, "the email prompt").await;
    axe::assert_keyboard_usable(&visitor, "the email prompt").await;

    // A malformed email is refused here, with a message on the field.
    give_email(&visitor, "grace at example").await;
    let typed = visitor.in_widget("return root.querySelector('[data-testid=email-input]').value;").await;
    assert_eq!(typed.as_str(), Some("grace at example"), "the field keeps what was typed, in order");
    let error = visitor
        .wait_for("the email error", "return root.querySelector('[data-testid=email-error]')?.textContent;")
        .await;
    assert!(error.as_str().unwrap().contains("doesn't look like an email"), "{error}");
    let invalid =
        visitor.in_widget("return root.querySelector('[data-testid=email-input]').getAttribute('aria-invalid');").await;
    assert_eq!(invalid.as_str(), Some("true"));
    visitor.screenshot("email-refused").await;
    axe::assert_clean(&visitor, "the email refused").await;

    // A good one goes on: the handover starts and the visitor sees the summary passed on.
    give_email(&visitor, "grace@example.com").await;
    visitor
        .wait_for("the waiting bar", "return root.querySelector('[data-testid=handover][data-state=waiting]');")
        .await;
    let shown = visitor.wait_for("the summary", SUMMARY_TEXT).await;
    let shown = shown.as_str().unwrap().to_string();
    assert!(shown.contains("40123") && shown.contains("grace@example.com"), "{shown}");
    let line = visitor
        .wait_for("the email given", "return root.querySelector('[data-testid=email-value]')?.textContent;")
        .await;
    assert_eq!(line.as_str(), Some("grace@example.com"));
    let live = visitor
        .in_widget(
            "return root.querySelector('[data-testid=summary]').closest('[aria-live]')?.getAttribute('aria-live');",
        )
        .await;
    assert_eq!(live.as_str(), Some("polite"), "the summary is announced");
    let agents =
        agent.until("the summary", |f| f["type"] == "conversation" && f["conversation"]["summary"].is_string()).await;
    assert_eq!(agents["conversation"]["summary"].as_str(), Some(shown.as_str()), "the visitor sees what the agent got");
    assert_eq!(agents["conversation"]["visitor"]["email"], "grace@example.com");

    // Copy: the clipboard gets the summary (its writeText recorded).
    visitor
        .eval("window.__copied = null; navigator.clipboard.writeText = (text) => { window.__copied = text; return Promise.resolve(); };")
        .await;
    visitor.widget_element("[data-testid=summary-copy]").await.click().await.unwrap();
    let status = visitor.wait_for("Copied", COPY_STATUS).await;
    assert_eq!(status.as_str(), Some("Copied."));
    assert_eq!(visitor.eval("return window.__copied;").await.as_str(), Some(shown.as_str()));
    visitor.screenshot("summary-copied").await;
    axe::assert_clean(&visitor, "the summary copied").await;
    axe::assert_keyboard_usable(&visitor, "the summary copied").await;

    // Without a clipboard (an insecure page): the whole summary is selected for Ctrl+C.
    visitor.eval("Object.defineProperty(navigator, 'clipboard', { value: undefined, configurable: true });").await;
    visitor.widget_element("[data-testid=summary-copy]").await.click().await.unwrap();
    let status = visitor.wait_for("the fallback", "const s = root.querySelector('[data-testid=summary-status]').textContent; return s.includes('Ctrl+C') && s;").await;
    assert_eq!(status.as_str(), Some("Selected: press Ctrl+C to copy."));
    let selected = visitor
        .in_widget("const t = root.querySelector('[data-testid=summary-text]'); return [t.selectionStart, t.selectionEnd, t.value.length];")
        .await;
    let length = shown.encode_utf16().count();
    assert_eq!(selected, serde_json::json!([0, length, length]), "the whole summary is selected");
    visitor.screenshot("summary-selected").await;

    // The email can be changed afterwards; the agent's view follows.
    visitor.widget_element("[data-testid=email-change]").await.click().await.unwrap();
    give_email(&visitor, "grace.hopper@example.org").await;
    email_shown_to_both(&visitor, &mut agent, "grace.hopper@example.org").await;
    visitor.screenshot("email-changed").await;
}

#[tokio::test]
async fn with_a_contact_form_the_summary_is_offered_before_the_link() {
    let db = TestDb::new();
    let mut config = test_config(&db);
    let form = "https://shop.example/contact";
    configure(
        config.sites.get_mut("demo").unwrap(),
        &format!("[provider]\nkind = \"link\"\nurl = \"{form}\"\nlabel = \"Contact form\"\n"),
    );
    let relay = TestRelay::start_with(config).await;
    let visitor = Browser::start().await;
    asking(&visitor, &relay.http_url(), "I want to return order 40123").await;
    visitor.widget_element("[data-testid=handover-request]").await.click().await.unwrap();

    let shown = visitor.wait_for("the summary", SUMMARY_TEXT).await;
    assert!(shown.as_str().unwrap().contains("40123"), "{shown}");
    let title = visitor.in_widget("return root.querySelector('#baton-summary-title').textContent;").await;
    assert_eq!(title.as_str(), Some("Copy this summary into the contact form:"));
    let href =
        visitor.in_widget("return root.querySelector('[data-testid=summary-link]')?.getAttribute('href');").await;
    assert_eq!(href.as_str(), Some(form));
    // In the panel's order: the summary, its Copy button, then the form's link.
    let order = visitor
        .in_widget(
            "const copy = root.querySelector('[data-testid=summary-copy]'); \
             const link = root.querySelector('[data-testid=summary-link]'); \
             return !!(copy.compareDocumentPosition(link) & Node.DOCUMENT_POSITION_FOLLOWING);",
        )
        .await;
    assert_eq!(order, serde_json::json!(true));
    visitor.wait_for_message("bot", "contact form").await;
    visitor.screenshot("summary-for-the-contact-form").await;
    axe::assert_clean(&visitor, "the summary for the contact form").await;
}

/// The page calls `Baton.identify` after the widget connected, while the email prompt holds a
/// handover: the prompt closes at once, the handover goes on with the page's email, the email
/// line shows it and the agent gets it; a later `identify` with another email changes the
/// line and the agent's view without a reload, and the field of "Change" is prefilled with it.
#[tokio::test]
async fn an_email_the_page_identifies_after_connecting_is_used_at_once() {
    let db = TestDb::new();
    let mut config = test_config(&db);
    config.sites.get_mut("demo").unwrap().email_capture.when = Some(CaptureWhen::BeforeHandover);
    let relay = TestRelay::start_with(config).await;
    let mut agent = AgentSocket::connect(&relay.ws_base(), DEMO_TOKEN).await;
    let visitor = Browser::start().await;
    asking(&visitor, &relay.http_url(), "My order 40123 never arrived").await;
    visitor.widget_element("[data-testid=handover-request]").await.click().await.unwrap();
    visitor.widget_element("[data-testid=email-prompt]").await;

    visitor.eval("window.Baton.identify({email: 'grace@example.com', name: 'Grace'}); return true;").await;
    visitor
        .wait_for(
            "the prompt closed and the email shown",
            "return !root.querySelector('[data-testid=email-prompt]') \
             && root.querySelector('[data-testid=email-value]')?.textContent === 'grace@example.com';",
        )
        .await;
    visitor
        .wait_for("the waiting bar", "return root.querySelector('[data-testid=handover][data-state=waiting]');")
        .await;
    let shown = visitor.wait_for("the summary", SUMMARY_TEXT).await;
    assert!(shown.as_str().unwrap().contains("grace@example.com"), "{shown}");
    let waiting = agent
        .until("the waiting conversation", |f| {
            f["type"] == "conversation"
                && f["conversation"]["phase"] == "waiting"
                && f["conversation"]["summary"].is_string()
        })
        .await;
    assert_eq!(waiting["conversation"]["visitor"]["email"], "grace@example.com", "{waiting}");
    visitor.screenshot("email-identified").await;
    axe::assert_clean(&visitor, "the email the page identified").await;

    visitor.eval("window.Baton.identify({email: 'grace.hopper@example.org'}); return true;").await;
    email_shown_to_both(&visitor, &mut agent, "grace.hopper@example.org").await;
    visitor.widget_element("[data-testid=email-change]").await.click().await.unwrap();
    let field = visitor.wait_for("the field", "return root.querySelector('[data-testid=email-input]')?.value;").await;
    assert_eq!(field.as_str(), Some("grace.hopper@example.org"));
}
