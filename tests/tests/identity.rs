//! Who is who, end to end over real sockets against the real relay on real SQLite: identities
//! the site signed are shown verified to agents, forged or unsigned ones unverified; agents
//! see and act on their own sites' conversations only; no agent exists outside demo mode.

use baton_tests::{
    agent_client::{AgentApi, AgentSocket, DEMO_TOKEN},
    test_config,
    widget_client::{claimed_visitor, identity_hash, signed_visitor, WidgetClient, IDENTITY_SECRET},
    TestDb, TestRelay,
};
use relay::config::AgentConfig;
use serde_json::{json, Value};
use shared::{ClientFrame, Phase, Role, ServerFrame, Visitor};

/// Asks for a person and returns the agent's view of the waiting conversation once its
/// summary is written.
async fn hand_over(visitor: &mut WidgetClient, agent: &mut AgentSocket, id: &str) -> Value {
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_phase(Phase::Waiting).await;
    agent
        .until(&format!("{id} waiting with its summary"), |f| {
            f["type"] == "conversation"
                && f["conversation"]["id"] == id
                && f["conversation"]["phase"] == "waiting"
                && f["conversation"]["summary"].is_string()
        })
        .await["conversation"]
        .clone()
}

#[tokio::test]
async fn a_signed_identity_is_verified_for_the_agent_and_a_forged_one_is_not() {
    let db = TestDb::new();
    let relay = TestRelay::start(&db).await;
    let mut agent = AgentSocket::connect(&relay.ws_base(), DEMO_TOKEN).await;

    // Signed by the site's server, sent with hello.
    let (mut ada, ada_id) =
        WidgetClient::hello_as(&relay.ws_url(), "demo", Some(signed_visitor("ada@example.com", "Ada"))).await;
    let view = hand_over(&mut ada, &mut agent, &ada_id).await;
    assert_eq!(view["visitor"]["email"], "ada@example.com");
    assert_eq!(view["visitor"]["email_verified"], true, "{view}");
    let summary = view["summary"].as_str().unwrap();
    assert!(summary.contains("ada@example.com (verified by the site)"), "{summary}");

    // A visitor claims someone's email with a signature made with another key, by identify.
    let (mut eve, eve_id) = WidgetClient::hello_as(&relay.ws_url(), "demo", None).await;
    let forged = Visitor {
        user_hash: Some(identity_hash("guessed-secret-0123456789", "ceo@example.com")),
        ..claimed_visitor("ceo@example.com", "CEO")
    };
    eve.send(&ClientFrame::Identify(forged)).await;
    let view = hand_over(&mut eve, &mut agent, &eve_id).await;
    assert_eq!(view["visitor"]["email"], "ceo@example.com", "the claim is kept for the agent");
    assert_eq!(view["visitor"]["email_verified"], false, "{view}");
    let summary = view["summary"].as_str().unwrap();
    assert!(summary.contains("ceo@example.com (unverified)"), "{summary}");
    assert!(!summary.contains("given by the site") && !summary.contains("verified by the site"), "{summary}");

    // Unsigned, and a signed user id with an email the signature does not cover.
    let (mut bob, bob_id) =
        WidgetClient::hello_as(&relay.ws_url(), "demo", Some(claimed_visitor("bob@example.com", "Bob"))).await;
    let with_id = Visitor {
        user_id: Some("42".into()),
        user_hash: Some(identity_hash(IDENTITY_SECRET, "42")),
        ..claimed_visitor("ada@example.com", "Bob")
    };
    bob.send(&ClientFrame::Identify(with_id)).await;
    let view = hand_over(&mut bob, &mut agent, &bob_id).await;
    assert_eq!(view["visitor"]["user_id"], "42");
    assert_eq!(view["visitor"]["user_id_verified"], true, "{view}");
    assert_eq!(view["visitor"]["email"], "ada@example.com");
    assert_eq!(view["visitor"]["email_verified"], false, "a user id's signature does not cover the email: {view}");

    // The REST view says the same.
    let (_, body) = AgentApi::new(&relay.http_url(), DEMO_TOKEN).get(&format!("/conversations/{eve_id}")).await;
    assert_eq!(body["conversation"]["visitor"]["email_verified"], false, "{body}");
}

const ALEX: &str = "alex-token-0123456789";
const SAM: &str = "sam-token-0123456789";

/// Two sites, `demo` (Alex's) and `shop` (Sam's); not in demo mode.
async fn two_site_relay(db: &TestDb) -> TestRelay {
    let mut config = test_config(db);
    config.demo = false;
    let shop = config.sites["demo"].clone();
    config.sites.insert("shop".into(), shop);
    let agent = |id: &str, token: &str, site: &str| AgentConfig {
        id: id.into(),
        name: id.to_uppercase(),
        token: token.into(),
        sites: vec![site.into()],
    };
    config.agents = vec![agent("alex", ALEX, "demo"), agent("sam", SAM, "shop")];
    TestRelay::start_with(config).await
}

fn listed(conversations: &Value) -> Vec<String> {
    conversations.as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn agents_see_and_act_on_their_own_sites_only() {
    let db = TestDb::new();
    let relay = two_site_relay(&db).await;

    // Only Sam (shop) is online: a demo visitor has nobody to ask.
    let mut sam = AgentSocket::connect(&relay.ws_base(), SAM).await;
    assert_eq!(sam.ready["agent"]["sites"], json!(["shop"]));
    let (mut early, _) = WidgetClient::hello_as(&relay.ws_url(), "demo", None).await;
    early.send(&ClientFrame::RequestHandover).await;
    early.until_message(Role::Bot, "nobody from our team is available").await;

    // With Alex online, a demo visitor waits; so does a shop visitor.
    let mut alex = AgentSocket::connect(&relay.ws_base(), ALEX).await;
    let (mut demo_visitor, demo_id) = WidgetClient::hello_as(&relay.ws_url(), "demo", None).await;
    let view = hand_over(&mut demo_visitor, &mut alex, &demo_id).await;
    assert_eq!(view["site"], "demo");
    let (mut shop_visitor, shop_id) = WidgetClient::hello_as(&relay.ws_url(), "shop", None).await;
    hand_over(&mut shop_visitor, &mut sam, &shop_id).await;

    // Sam's socket heard nothing of the demo conversation; Alex's nothing of the shop one.
    // (A ping answered after both handovers bounds what arrived.)
    for (agent, foreign) in [(&mut sam, &demo_id), (&mut alex, &shop_id)] {
        agent.send(json!({"type": "ping"})).await;
        let mut seen = Vec::new();
        loop {
            let frame = agent.next().await;
            if frame["type"] == "pong" {
                break;
            }
            seen.push(frame);
        }
        assert!(!seen.iter().any(|f| f.to_string().contains(foreign.as_str())), "{foreign} leaked: {seen:?}");
    }

    // Listing, reading and acting through the API stay within the agent's sites.
    let alex_api = AgentApi::new(&relay.http_url(), ALEX);
    let (_, list) = alex_api.get("/conversations").await;
    assert_eq!(listed(&list), vec![demo_id.clone()]);
    let (_, me) = alex_api.get("/me").await;
    assert_eq!(me["sites"], json!(["demo"]));
    for (path, body) in [
        (format!("/conversations/{shop_id}/accept"), None),
        (format!("/conversations/{shop_id}/messages"), Some(json!({"text": "hi"}))),
        (format!("/conversations/{shop_id}/typing"), Some(json!({"on": true}))),
        (format!("/conversations/{shop_id}/end"), None),
    ] {
        let (status, answer) = alex_api.post(&path, body.unwrap_or(json!({}))).await;
        assert_eq!((status, answer["error"]["code"].as_str()), (404, Some("not_found")), "{path}: {answer}");
    }
    assert_eq!(alex_api.get(&format!("/conversations/{shop_id}")).await.0, 404);

    // Over the socket too: watching or accepting another site's conversation is not found.
    alex.send(json!({"type": "watch", "conversation_id": shop_id})).await;
    let refused = alex.until("watch refused", |f| f["type"] == "error").await;
    assert_eq!(refused["code"], "not_found", "{refused}");
    alex.send(json!({"type": "accept", "conversation_id": shop_id})).await;
    let refused = alex.until("accept refused", |f| f["type"] == "error").await;
    assert_eq!(refused["code"], "not_found", "{refused}");

    // Each accepts their own.
    let sam_api = AgentApi::new(&relay.http_url(), SAM);
    assert_eq!(sam_api.post(&format!("/conversations/{shop_id}/accept"), json!({})).await.0, 200);
    assert_eq!(alex_api.post(&format!("/conversations/{demo_id}/accept"), json!({})).await.0, 200);
    shop_visitor.until_message(Role::System, "SAM joined").await;
    demo_visitor.until_message(Role::System, "ALEX joined").await;
    let (_, list) = sam_api.get("/conversations").await;
    assert_eq!(listed(&list), vec![shop_id.clone()]);
}

#[tokio::test]
async fn follow_ups_reach_only_the_sites_agents() {
    let db = TestDb::new();
    let relay = two_site_relay(&db).await;
    // Nobody online: the shop visitor leaves an email.
    let (mut visitor, id) = WidgetClient::hello_as(&relay.ws_url(), "shop", None).await;
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_message(Role::Bot, "nobody from our team is available").await;
    visitor.send(&baton_tests::widget_client::send_text("e", "it's kim@example.com")).await;
    visitor.until_message(Role::Bot, "kim@example.com").await;
    let (_, for_sam) = AgentApi::new(&relay.http_url(), SAM).get("/follow-ups").await;
    assert_eq!(for_sam[0]["conversation_id"], id.as_str(), "{for_sam}");
    let (_, for_alex) = AgentApi::new(&relay.http_url(), ALEX).get("/follow-ups").await;
    assert_eq!(for_alex, json!([]));
    let alex = AgentSocket::connect(&relay.ws_base(), ALEX).await;
    assert_eq!(alex.ready["follow_ups"], json!([]));
}

#[tokio::test]
async fn outside_demo_mode_the_demo_token_signs_nobody_in() {
    let db = TestDb::new();
    let mut config = test_config(&db);
    config.demo = false;
    let relay = TestRelay::start_with(config).await;
    let (status, body) = AgentApi::new(&relay.http_url(), DEMO_TOKEN).get("/me").await;
    assert_eq!(status, 401, "{body}");
    // A visitor asking for a person: nobody can ever be online.
    let (mut visitor, _) = WidgetClient::hello_as(&relay.ws_url(), "demo", None).await;
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_message(Role::Bot, "nobody from our team is available").await;
}

/// A signed email is never replaced by an unsigned one: a later `identify`, a typed email, or
/// a reload's `hello` with another address leave the signed one for the agent, the summary and
/// the widget; the name (never signed) is the newer.
#[tokio::test]
async fn an_unsigned_email_does_not_replace_the_signed_one() {
    let db = TestDb::new();
    let relay = TestRelay::start(&db).await;
    let mut agent = AgentSocket::connect(&relay.ws_base(), DEMO_TOKEN).await;
    let mut ada = WidgetClient::connect(&relay.ws_url()).await;
    let hello = |resume: Option<String>, visitor| ClientFrame::Hello {
        v: shared::PROTOCOL_VERSION,
        site: "demo".into(),
        resume,
        last_seq: 0,
        visitor: Some(visitor),
        languages: vec![],
    };
    ada.send(&hello(None, signed_visitor("ada@example.com", "Ada"))).await;
    let ServerFrame::Welcome { conversation_id: ada_id, resume_token, email, .. } = ada.next().await else {
        panic!("no welcome")
    };
    assert_eq!(email.as_deref(), Some("ada@example.com"));
    ada.send(&ClientFrame::Identify(claimed_visitor("eve@example.com", "Eve"))).await;
    ada.send(&ClientFrame::Email { email: "mallory@example.com".into() }).await;
    ada.until(|f| matches!(f, ServerFrame::EmailSaved { .. })).await;
    let view = hand_over(&mut ada, &mut agent, &ada_id).await;
    assert_eq!(view["visitor"]["email"], "ada@example.com", "{view}");
    assert_eq!(view["visitor"]["email_verified"], true, "{view}");
    assert_eq!(view["visitor"]["name"], "Eve", "a name is never signed: the newer one");
    let summary = view["summary"].as_str().unwrap();
    assert!(summary.contains("ada@example.com (verified by the site)"), "{summary}");
    assert!(!summary.contains("eve@") && !summary.contains("mallory@"), "{summary}");

    // A reload whose page identifies the visitor with another email, unsigned.
    drop(ada);
    let mut back = WidgetClient::connect(&relay.ws_url()).await;
    back.send(&hello(Some(resume_token), claimed_visitor("eve@example.com", "Eve"))).await;
    let ServerFrame::Welcome { email, .. } = back.next().await else { panic!("no welcome") };
    assert_eq!(email.as_deref(), Some("ada@example.com"), "the widget is told the signed email");
    back.settle().await;
    let (_, body) = AgentApi::new(&relay.http_url(), DEMO_TOKEN).get(&format!("/conversations/{ada_id}")).await;
    assert_eq!(body["conversation"]["visitor"]["email"], "ada@example.com", "{body}");
    assert_eq!(body["conversation"]["visitor"]["email_verified"], true, "{body}");
}

/// The page identifies the visitor after the widget connected, while the site's email prompt
/// holds a handover: the handover goes on with that email, as if it had been typed.
#[tokio::test]
async fn an_email_identified_while_the_prompt_holds_a_handover_lets_it_go_on() {
    let db = TestDb::new();
    let mut config = test_config(&db);
    config.sites.get_mut("demo").expect("demo site").email_capture.when =
        Some(relay::config::CaptureWhen::BeforeHandover);
    let relay = TestRelay::start_with(config).await;
    let mut agent = AgentSocket::connect(&relay.ws_base(), DEMO_TOKEN).await;
    let (mut visitor, id) = WidgetClient::hello_as(&relay.ws_url(), "demo", None).await;
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until(|f| matches!(f, ServerFrame::AskEmail { .. })).await;
    visitor.send(&ClientFrame::Identify(claimed_visitor("grace@example.com", "Grace"))).await;
    visitor.until_phase(Phase::Waiting).await;
    let (summary, _) = visitor.until(|f| matches!(f, ServerFrame::Summary { .. })).await;
    assert!(matches!(&summary, ServerFrame::Summary { text, .. } if text.contains("grace@example.com")), "{summary:?}");
    let view = agent
        .until("the waiting conversation", |f| {
            f["type"] == "conversation"
                && f["conversation"]["id"] == id.as_str()
                && f["conversation"]["phase"] == "waiting"
        })
        .await;
    assert_eq!(view["conversation"]["visitor"]["email"], "grace@example.com", "{view}");
}
