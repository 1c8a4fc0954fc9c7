//! The owner dashboard in headless Chromium: the first owner sets up, signs in, changes the
//! handover texts in the form, and the site's real widget on the Test chat page (under the
//! dashboard's strict CSP) uses them at once, without a restart.

use baton_tests::{
    agent_client::{AgentSocket, DEMO_TOKEN},
    browser::Browser,
    dashboard::PASSWORD,
    test_config, TestDb, TestRelay,
};

const SETUP_TOKEN: &str = "setup-token-for-browser-tests-0123";

/// Types `text` into the page's input `selector` in place of what it holds.
async fn fill(browser: &Browser, selector: &str, text: &str) {
    let input = browser.page_element(selector).await;
    input.clear().await.unwrap_or_else(|e| panic!("clear {selector}: {e}"));
    input.send_keys(text).await.unwrap_or_else(|e| panic!("type into {selector}: {e}"));
}

async fn click(browser: &Browser, selector: &str) {
    browser.page_element(selector).await.click().await.unwrap_or_else(|e| panic!("click {selector}: {e}"));
}

/// Waits for the page (not the widget) to show `text`.
async fn page_shows(browser: &Browser, text: &str) {
    let body = format!("return document.body && document.body.textContent.includes({});", serde_json::json!(text));
    browser.wait_for(&format!("the page to show {text:?}"), &body).await;
}

#[tokio::test]
async fn an_owner_changes_the_handover_text_and_the_test_chat_uses_it_without_a_restart() {
    let db = TestDb::new();
    let mut config = test_config(&db);
    config.admin.setup_token = Some(SETUP_TOKEN.into());
    let relay = TestRelay::start_with(config).await;
    let url = relay.http_url();
    // An agent is online, so a request for a person starts the handover (not "unavailable").
    let _agent = AgentSocket::connect(&relay.ws_base(), DEMO_TOKEN).await;
    let owner = Browser::start().await;

    owner.goto(&format!("{url}/admin/")).await;
    owner.page_element("#f-token").await;
    fill(&owner, "#f-token", SETUP_TOKEN).await;
    fill(&owner, "#f-name", "Olivia Owner").await;
    fill(&owner, "#f-email", "olivia@example.com").await;
    fill(&owner, "#f-password", PASSWORD).await;
    owner.screenshot("dashboard-setup").await;
    click(&owner, "main form button[type=submit]").await;

    page_shows(&owner, "Sign in").await;
    fill(&owner, "#f-email", "olivia@example.com").await;
    fill(&owner, "#f-password", PASSWORD).await;
    click(&owner, "main form button[type=submit]").await;
    page_shows(&owner, "New site").await;

    owner.goto(&format!("{url}/admin/sites/demo/handover")).await;
    fill(&owner, "#f-text_message", "Dashboard text: a person is on the way ({{ wait_estimate }}).").await;
    fill(&owner, "#f-request_button_text", "Get a human").await;
    click(&owner, "button[value=preview]").await;
    page_shows(&owner, "Preview only").await;
    page_shows(&owner, "Dashboard text: a person is on the way (4 minutes).").await;
    click(&owner, "button[value=save]").await;
    page_shows(&owner, "Saved.").await;
    owner.screenshot("dashboard-handover-saved").await;

    owner.goto(&format!("{url}/admin/sites/demo/test")).await;
    owner.open_chat().await;
    owner.wait_online().await;
    owner
        .wait_for(
            "the button with the new text",
            "return root.querySelector('[data-testid=handover-request]')?.textContent.includes('Get a human');",
        )
        .await;
    owner.widget_element("[data-testid=handover-request]").await.click().await.unwrap();
    owner.wait_for_message("bot", "Dashboard text: a person is on the way").await;
    owner.screenshot("dashboard-test-chat-handover").await;
    owner.close().await;
}
