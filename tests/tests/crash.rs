//! The relay as a separate process, killed with SIGKILL and started again on the same port and
//! database (tests/src/process.rs): what was acknowledged before the kill is still there after.

use baton_tests::{
    process::RelayProcess,
    test_config,
    widget_client::{as_message, send_text, WidgetClient},
    TestDb,
};
use shared::{Role, ServerFrame};

#[tokio::test]
async fn a_conversation_survives_kill_9_and_a_restart_on_the_same_port() {
    let db = TestDb::new();
    let mut relay = RelayProcess::start(test_config(&db)).await;
    let (mut visitor, welcome) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    let ServerFrame::Welcome { resume_token, .. } = welcome else { unreachable!() };
    visitor.send(&send_text("m1", "How long does shipping take?")).await;
    let (ack, _) = visitor.until(|f| matches!(f, ServerFrame::Ack { .. })).await;
    assert!(matches!(ack, ServerFrame::Ack { ref client_id, .. } if client_id == "m1"), "{ack:?}");
    visitor.until_message(Role::Bot, "").await;

    relay.kill();
    assert!(relay.pid().is_none());
    let old_port = relay.addr;
    relay.restart().await;
    assert_eq!(relay.addr, old_port);
    assert_eq!(relay.starts, 2);

    // The same token resumes the same conversation with everything stored before the kill.
    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), Some(&resume_token), 0).await;
    let mut seen = Vec::new();
    while !seen.iter().any(|m: &shared::Message| m.author.role == Role::Visitor) {
        if let Some(message) = as_message(&visitor.next().await) {
            seen.push(message.clone());
        }
    }
    assert_eq!(seen.last().unwrap().text, "How long does shipping take?", "{seen:?}");
    assert!(relay.log().contains("listening"), "the relay's output is kept: {}", relay.log());
}
