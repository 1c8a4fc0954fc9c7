//! Switching a site's provider is a configuration change applied without a restart: the relay
//! notices its file changed. Conversations already handed over finish where they started; a
//! broken file is refused and the running configuration stays.

use std::time::Duration;

use baton_tests::{
    agent_client::{AgentApi, AgentSocket, DEMO_TOKEN},
    widget_client::WidgetClient,
    workspace_root, TestDb, TestRelay,
};
use relay::config::Config;
use serde_json::json;
use shared::{Action, ClientFrame, EventBody, Phase, ServerFrame};

fn config_text(db: &TestDb, provider: &str) -> String {
    let root = workspace_root();
    format!(
        "database_url = \"{}\"\npublic_dir = \"{}\"\nwidget_dir = \"{}\"\ndemo = true\n\n[sites.demo]\nhelp_dir = \"{}\"\n\n{provider}\n",
        db.url,
        root.join("public").display(),
        root.join("dist").display(),
        root.join("public/help").display()
    )
}

async fn request(relay: &TestRelay) -> (WidgetClient, Vec<ServerFrame>) {
    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    visitor.next().await;
    visitor.send(&ClientFrame::RequestHandover).await;
    // Until the request's outcome: the link offered or the conversation waiting for a person
    // (not a pong: a link's summary is written first, so its message can come after one).
    let (outcome, mut frames) =
        visitor.until(|f| offers_link(std::slice::from_ref(f)) || went_waiting(std::slice::from_ref(f))).await;
    frames.push(outcome);
    (visitor, frames)
}

fn offers_link(frames: &[ServerFrame]) -> bool {
    frames.iter().any(|f| match f {
        ServerFrame::Event(e) => match &e.body {
            EventBody::Message(m) => m
                .quick_replies
                .iter()
                .any(|r| matches!(&r.action, Some(Action::OpenUrl { url }) if url == "https://shop.example/contact")),
            _ => false,
        },
        _ => false,
    })
}

fn went_waiting(frames: &[ServerFrame]) -> bool {
    frames.iter().any(
        |f| matches!(f, ServerFrame::Event(e) if matches!(&e.body, EventBody::Phase(p) if p.phase == Phase::Waiting)),
    )
}

#[tokio::test]
async fn switching_to_a_link_applies_at_once_and_handed_over_chats_finish_in_the_inbox() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("baton.toml");
    std::fs::write(&file, config_text(&db, "")).unwrap();
    let mut config = Config::load_from(&file.to_string_lossy()).unwrap();
    // Many handovers from 127.0.0.1 in a few seconds: not what this test is about.
    config.limits = relay::config::LimitsConfig::unlimited();
    let relay = TestRelay::start_with(config).await;
    let _agent = AgentSocket::connect(&relay.ws_base(), DEMO_TOKEN).await;

    // With the built-in inbox: a handover.
    let (_first, frames) = request(&relay).await;
    assert!(went_waiting(&frames), "{frames:?}");
    let api = AgentApi::new(&relay.http_url(), DEMO_TOKEN);
    let (_, waiting) = api.get("/conversations?phase=waiting").await;
    let first_id = waiting[0]["id"].as_str().unwrap().to_string();

    // The owner switches the site to a contact form link.
    let link = "[sites.demo.provider]\nkind = \"link\"\nurl = \"https://shop.example/contact\"\nlabel = \"Contact us\"";
    std::fs::write(&file, config_text(&db, link)).unwrap();
    let mut switched = false;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let (_visitor, frames) = request(&relay).await;
        if offers_link(&frames) {
            assert!(!went_waiting(&frames));
            switched = true;
            break;
        }
    }
    assert!(switched, "the new provider never applied");

    // The conversation handed over before the switch finishes in the inbox.
    assert_eq!(api.post(&format!("/conversations/{first_id}/accept"), json!({})).await.0, 200);

    // A broken file is refused; the link stays in force.
    std::fs::write(&file, config_text(&db, &format!("{link}\n[sites.demo.handover]\ntext_message = \"{{{{ broken\"")))
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let (_visitor, frames) = request(&relay).await;
    assert!(offers_link(&frames), "{frames:?}");
}
