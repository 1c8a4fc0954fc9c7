//! The owner dashboard in headless Chromium: the first owner sets up, signs in, changes the
//! handover texts in the form, and the site's real widget on the Test chat page (under the
//! dashboard's strict CSP) uses them at once, without a restart; and the owner switches the
//! site to a helpdesk (the Intercom simulator) on the Channels page, tests the connection with
//! wrong and right credentials, saves, and the next handover goes there; and the colour set on
//! the Appearance page is the Test chat launcher's.

use baton_tests::{
    agent_client::{AgentSocket, DEMO_TOKEN},
    browser::Browser,
    dashboard::set_up_and_sign_in,
    sim::intercom,
    test_config,
    widget_client::WidgetClient,
    TestDb, TestRelay,
};
use shared::ClientFrame;

const SETUP_TOKEN: &str = "setup-token-for-browser-tests-0123";

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

    set_up_and_sign_in(&owner, &url, SETUP_TOKEN).await;

    owner.goto(&format!("{url}/admin/sites/demo/handover")).await;
    owner.fill("#f-text_message", "Dashboard text: a person is on the way ({{ wait_estimate }}).").await;
    owner.fill("#f-request_button_text", "Get a human").await;
    owner.click("button[value=preview]").await;
    owner.page_shows("Preview only").await;
    owner.page_shows("Dashboard text: a person is on the way (4 minutes).").await;
    owner.click("button[value=save]").await;
    owner.page_shows("Saved.").await;
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

/// Fills the Intercom form of the Channels page with `token` (the secrets are never sent back
/// by the page, so they are typed each time).
async fn intercom_form(owner: &Browser, token: &str, base_url: &str) {
    owner.fill("#f-p-access_token", token).await;
    owner.fill("#f-p-base_url", base_url).await;
    owner.fill("#f-p-timeout_seconds", "3").await;
    owner.fill("#f-w-client_secret", intercom::CLIENT_SECRET).await;
}

#[tokio::test]
async fn an_owner_switches_the_site_to_a_helpdesk_tests_the_connection_and_the_next_handover_goes_there() {
    let db = TestDb::new();
    let mut config = test_config(&db);
    config.admin.setup_token = Some(SETUP_TOKEN.into());
    config.secret_key = Some(relay::config::SecretKey::new("YnJvd3Nlci10ZXN0LWtleS0zMi1ieXRlcy1sb25nISE="));
    let relay = TestRelay::start_with(config).await;
    let url = relay.http_url();
    let sim = intercom::Intercom::start().await;
    let owner = Browser::start().await;
    set_up_and_sign_in(&owner, &url, SETUP_TOKEN).await;

    owner.goto(&format!("{url}/admin/sites/demo/channels")).await;
    owner.page_shows("Handovers go to: Built-in inbox").await;
    owner.page_element("#f-kind").await.select_by_value("intercom").await.expect("choose Intercom");
    owner.click("main form[method=get] button[type=submit]").await;
    owner.page_shows("Access token (required)").await;

    intercom_form(&owner, "not-the-token", &sim.url()).await;
    owner.click("button[value=test]").await;
    owner.page_shows("Wrong credentials: the helpdesk refused them (401 Unauthorized)").await;
    owner.screenshot("dashboard-channels-wrong-credentials").await;

    intercom_form(&owner, intercom::TOKEN, &sim.url()).await;
    owner.click("button[value=test]").await;
    owner.page_shows("Connected: Intercom admin Baton Bot <bot@example.com>.").await;
    owner.screenshot("dashboard-channels-connected").await;

    intercom_form(&owner, intercom::TOKEN, &sim.url()).await;
    owner.click("button[value=save]").await;
    owner.page_shows("Saved: new handovers go to Intercom").await;
    owner.page_shows("Set (ends …oken)").await;
    owner.screenshot("dashboard-channels-saved").await;
    owner.close().await;

    // Without a restart, the next visitor asking for a person is handed to Intercom.
    let (mut visitor, _, _) = WidgetClient::greeted(&relay.ws_url()).await;
    visitor.send(&ClientFrame::RequestHandover).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while sim.last_conversation().is_none() {
        assert!(std::time::Instant::now() < deadline, "no conversation reached Intercom");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn an_owner_sets_the_colour_on_the_appearance_page_and_the_test_chat_launcher_wears_it() {
    let db = TestDb::new();
    let mut config = test_config(&db);
    config.admin.setup_token = Some(SETUP_TOKEN.into());
    let relay = TestRelay::start_with(config).await;
    let url = relay.http_url();
    let owner = Browser::start().await;
    set_up_and_sign_in(&owner, &url, SETUP_TOKEN).await;

    owner.goto(&format!("{url}/admin/sites/demo/appearance")).await;
    owner.fill("#f-primary", "#0b6e4f").await;
    owner.page_element("#f-position").await.select_by_value("left").await.expect("choose the left side");
    owner.fill("#f-title", "Northwind help").await;
    owner.click("button[value=preview]").await;
    owner.page_shows("Preview only").await;
    owner.page_shows("white (#ffffff), contrast 6.3:1, meets WCAG AA").await;
    owner.screenshot("dashboard-appearance-preview").await;
    owner.click("button[value=save]").await;
    owner.page_shows("Saved.").await;
    owner.screenshot("dashboard-appearance-saved").await;

    // The site's real widget on the Test chat page wears the colour, with white on it.
    owner.goto(&format!("{url}/admin/sites/demo/test")).await;
    owner.open_chat().await;
    owner.wait_online().await;
    let launcher = "getComputedStyle(root.querySelector('[data-testid=launcher]'))";
    owner
        .wait_for(
            "the launcher in the saved colour",
            &format!("return {launcher}.backgroundImage.includes('rgb(11, 110, 79)');"),
        )
        .await;
    assert_eq!(owner.in_widget(&format!("return {launcher}.color;")).await, "rgb(255, 255, 255)");
    let left =
        owner.in_widget("return root.querySelector('[data-testid=launcher]').getBoundingClientRect().left;").await;
    assert!((left.as_f64().unwrap() - 20.0).abs() < 2.0, "the launcher on the left: {left}");
    assert_eq!(owner.in_widget("return root.querySelector('#baton-title').textContent;").await, "Northwind help");
    owner.page_shows("The chat button at the bottom left").await;
    owner.screenshot("dashboard-appearance-test-chat").await;
    owner.close().await;
}
