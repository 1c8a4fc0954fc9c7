//! Drawing the visitor's attention in Chromium (issue 13, point 6): an agent's answer while the
//! chat is closed puts "1" on the launcher and "(1) " before the page title, chimes when the
//! page switched the sound on (the WebAudio tones counted), stays unread across a reload, and
//! opening the chat clears both; an answer while the chat is open in a hidden tab counts in the
//! title until the tab is seen. The site's proactive message shows by the launcher after its
//! seconds on a matching path only, in the visitor's language (`Baton.setLanguage`), opens the
//! chat, and not again the same day; not while the chat is open. Screenshots with
//! `BATON_SCREENSHOT_DIR`.

use std::{collections::BTreeMap, time::Duration};

use baton_tests::{
    agent_client::{AgentApi, AgentSocket, DEMO_TOKEN},
    axe,
    browser::Browser,
    test_config, TestDb, TestRelay,
};
use relay::config::ProactiveRule;
use serde_json::json;

const UNREAD: &str = "return root.querySelector('[data-testid=launcher]').getAttribute('data-unread');";
const PROACTIVE: &str = "return root && root.querySelector('[data-testid=proactive]')?.textContent;";

/// Counts the oscillators the widget starts (its tones), from now on.
const COUNT_TONES: &str = "window.__tones = 0; const Real = window.AudioContext; \
     window.AudioContext = class extends Real { createOscillator() { window.__tones++; return super.createOscillator(); } };";

#[tokio::test]
async fn an_answer_while_closed_shows_the_badge_and_title_counter_and_opening_clears_them() {
    let db = TestDb::new();
    let relay = TestRelay::start(&db).await;
    let url = relay.http_url();
    let mut agent = AgentSocket::connect(&relay.ws_base(), DEMO_TOKEN).await;
    let api = AgentApi::new(&url, DEMO_TOKEN);
    let visitor = Browser::start().await;
    visitor.goto(&url).await;
    let title = visitor.eval("return document.title;").await.as_str().unwrap().to_string();
    visitor.open_chat().await;
    visitor.wait_online().await;
    visitor.widget_element("[data-testid=handover-request]").await.click().await.unwrap();
    let waiting = agent
        .until("the waiting conversation", |f| f["type"] == "conversation" && f["conversation"]["phase"] == "waiting")
        .await;
    let id = waiting["conversation"]["id"].as_str().unwrap().to_string();
    assert_eq!(api.post(&format!("/conversations/{id}/accept"), json!({})).await.0, 200);
    visitor.wait_for_message("system", "joined").await;

    // Closed, with the sound switched on by the page: the agent writes.
    visitor.widget_element("[data-testid=launcher]").await.click().await.unwrap();
    visitor.wait_for("the panel closed", "return !root.querySelector('[data-testid=panel]');").await;
    visitor.eval("Baton.configure({sound: 'on'});").await;
    visitor.eval(COUNT_TONES).await;
    assert_eq!(visitor.in_widget(UNREAD).await, json!(null), "nothing unread yet");
    assert_eq!(api.post(&format!("/conversations/{id}/messages"), json!({"text": "Found your parcel."})).await.0, 201);
    assert_eq!(visitor.wait_for("the badge", UNREAD).await, json!("1"));
    let titled =
        visitor.wait_for("the title counter", "return document.title.startsWith('(1) ') && document.title;").await;
    assert_eq!(titled.as_str(), Some(format!("(1) {title}").as_str()));
    let label =
        visitor.in_widget("return root.querySelector('[data-testid=launcher]').getAttribute('aria-label');").await;
    assert_eq!(label.as_str(), Some("Open chat, 1 unread"));
    let tones = visitor.wait_for("the chime", "return window.__tones;").await;
    assert_eq!(tones, json!(2), "two notes, once");
    visitor.screenshot("attention-unread").await;
    axe::assert_clean(&visitor, "an unread answer").await;

    // Still unread after a reload (the read mark is kept).
    visitor.goto(&url).await;
    assert_eq!(visitor.wait_for("the badge after a reload", UNREAD).await, json!("1"));
    visitor.wait_for("the title counter after a reload", "return document.title.startsWith('(1) ');").await;

    // Opening the chat reads it: badge and counter go, the title is the page's again.
    visitor.open_chat().await;
    visitor.wait_for_message("agent", "Found your parcel.").await;
    visitor.wait_for("the title restored", &format!("return document.title === {};", json!(title))).await;
    visitor.widget_element("[data-testid=launcher]").await.click().await.unwrap();
    assert_eq!(visitor.in_widget(UNREAD).await, json!(null), "read");

    // With the sound off (the default; this page load did not switch it on), an answer only
    // counts.
    visitor.eval(COUNT_TONES).await;
    assert_eq!(api.post(&format!("/conversations/{id}/messages"), json!({"text": "It ships today."})).await.0, 201);
    assert_eq!(visitor.wait_for("the badge again", UNREAD).await, json!("1"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(visitor.eval("return window.__tones;").await, json!(0), "silent when off");

    // Open but the tab hidden (its visibilityState, as the browser reports it when the visitor
    // switches tabs): the answer counts in the title until the tab is seen again.
    visitor.open_chat().await;
    visitor.wait_for("the title restored", &format!("return document.title === {};", json!(title))).await;
    visitor.eval(&set_visibility("hidden")).await;
    assert_eq!(
        api.post(&format!("/conversations/{id}/messages"), json!({"text": "Are you still there?"})).await.0,
        201
    );
    visitor.wait_for_message("agent", "Are you still there?").await;
    visitor.wait_for("the title counter while hidden", "return document.title.startsWith('(1) ');").await;
    visitor.eval(&set_visibility("visible")).await;
    visitor.wait_for("the title restored when seen", &format!("return document.title === {};", json!(title))).await;
    visitor.close().await;
    relay.stop().await;
}

/// Makes the page report `state` as its `document.visibilityState` and tells it so.
fn set_visibility(state: &str) -> String {
    format!(
        "Object.defineProperty(document, 'visibilityState', {{ value: {state:?}, configurable: true }}); \
         document.dispatchEvent(new Event('visibilitychange'));"
    )
}

fn pricing_rule() -> ProactiveRule {
    ProactiveRule {
        path: "/".into(),
        after_secs: 3,
        text: "Questions about our plans? Ask us.".into(),
        texts: BTreeMap::from([("de".to_string(), "Fragen zu unseren Tarifen? Fragen Sie uns.".to_string())]),
    }
}

/// Waits until the widget is loaded, then `secs` more, and says whether a proactive bubble showed.
async fn bubble_within(browser: &Browser, secs: u64) -> bool {
    browser.wait_for("the widget", "return root && !root.querySelector('[data-baton-placeholder]');").await;
    tokio::time::sleep(Duration::from_secs(secs)).await;
    browser.in_widget(PROACTIVE).await.is_string()
}

#[tokio::test]
async fn the_proactive_message_shows_after_its_seconds_on_its_path_once_a_day() {
    let db = TestDb::new();
    let mut config = test_config(&db);
    config.sites.get_mut("demo").unwrap().proactive = vec![pricing_rule()];
    let relay = TestRelay::start_with(config).await;
    let url = relay.http_url();

    // The widget's settings: the rule with its texts; an unknown site is a 404.
    let settings: serde_json::Value =
        reqwest::get(format!("{url}/api/v1/sites/demo/widget")).await.unwrap().json().await.unwrap();
    assert_eq!(settings["sound"], json!(false));
    assert_eq!(settings["proactive"][0]["after_secs"], json!(3));
    assert_eq!(settings["proactive"][0]["texts"]["de"], json!("Fragen zu unseren Tarifen? Fragen Sie uns."));
    assert_eq!(reqwest::get(format!("{url}/api/v1/sites/nope/widget")).await.unwrap().status().as_u16(), 404);

    let visitor = Browser::start().await;
    // Another path: nothing.
    visitor.goto(&format!("{url}/index.html")).await;
    assert!(!bubble_within(&visitor, 4).await, "/index.html does not match \"/\"");
    // The path: after three seconds on the page, not before.
    visitor.goto(&url).await;
    visitor.wait_for("the widget", "return root && !root.querySelector('[data-baton-placeholder]');").await;
    let early = visitor
        .in_widget(&format!(
            "return [performance.now(), {}];",
            PROACTIVE.trim_start_matches("return ").trim_end_matches(';')
        ))
        .await;
    if early[0].as_f64().unwrap() < 2900.0 {
        assert_eq!(early[1], json!(null), "not before its seconds: {early}");
    } else {
        println!("the widget loaded after {} ms: too late to see the page before the message", early[0]);
    }
    let shown = visitor.wait_for("the proactive message", PROACTIVE).await;
    assert_eq!(shown.as_str(), Some("Questions about our plans? Ask us.×"));
    let after = visitor.eval("return performance.now();").await.as_f64().unwrap();
    assert!(after >= 3000.0, "shown after {after} ms");
    visitor.screenshot("attention-proactive").await;
    axe::assert_clean(&visitor, "the proactive message").await;
    // Its text opens the chat; it goes.
    visitor.widget_element("[data-testid=proactive-open]").await.click().await.unwrap();
    visitor.wait_for("the chat panel", "return root.querySelector('[data-testid=composer]');").await;
    assert_eq!(visitor.in_widget(PROACTIVE).await, json!(null));
    // Not again today.
    visitor.goto(&url).await;
    assert!(!bubble_within(&visitor, 5).await, "once a day");
    visitor.close().await;

    // In German on a page that chose German; dismissed with ×.
    let german = Browser::start().await;
    german.goto(&url).await;
    german.eval("Baton.setLanguage('de');").await;
    let shown = german.wait_for("the German proactive message", PROACTIVE).await;
    assert_eq!(shown.as_str(), Some("Fragen zu unseren Tarifen? Fragen Sie uns.×"));
    let close = german
        .in_widget("return root.querySelector('[data-testid=proactive-close]').getAttribute('aria-label');")
        .await;
    assert_eq!(close.as_str(), Some("Schließen"));
    german.widget_element("[data-testid=proactive-close]").await.click().await.unwrap();
    german.wait_for("the message dismissed", "return !root.querySelector('[data-testid=proactive]');").await;
    german.close().await;

    // Never while the chat is open.
    let chatting = Browser::start().await;
    chatting.goto(&url).await;
    chatting.open_chat().await;
    assert!(!bubble_within(&chatting, 4).await, "not while the chat is open");
    let stored = chatting.eval("return localStorage.getItem('baton:demo:proactive');").await;
    assert_eq!(stored, json!(null), "not counted as shown");
    chatting.close().await;
    relay.stop().await;
}
