//! What only some helpdesks do: finding an existing contact by email, where an email the site
//! did not sign must never lead (Intercom's contacts, Zendesk Support's requesters); Sunshine's
//! webhooks for Baton's own switchboard actions.

use baton_tests::{
    eventually,
    helpdesks::{configure, Helpdesk},
    sim::{
        intercom::Intercom,
        zendesk_messaging::ZendeskMessaging,
        zendesk_support::{self as zendesk, ZendeskSupport},
        Sim,
    },
    test_config,
    widget_client::{as_message, claimed_visitor, signed_visitor, WidgetClient},
    TestDb, TestRelay,
};
use serde_json::{json, Value};
use shared::{ClientFrame, EmailStep, EventBody, Phase, Role, ServerFrame};

async fn relay_with(db: &TestDb, settings: &str) -> TestRelay {
    let mut config = test_config(db);
    configure(config.sites.get_mut("demo").expect("demo site"), settings);
    TestRelay::start_with(config).await
}

/// A visitor on the demo site who `identified` as Ada, and has asked for a person.
async fn asking(relay: &TestRelay, signed: bool) -> (WidgetClient, String) {
    let ada = if signed { signed_visitor("ada@example.com", "Ada") } else { claimed_visitor("ada@example.com", "Ada") };
    let (mut visitor, id) = WidgetClient::hello_as(&relay.ws_url(), "demo", Some(ada)).await;
    visitor.send(&ClientFrame::RequestHandover).await;
    (visitor, id)
}

/// Zendesk Support's `settings` with the API token (`{email}/token:{api_token}`) instead of OAuth.
fn with_api_token(settings: &str) -> String {
    let token = format!("email = \"{}\"\napi_token = \"{}\"", zendesk::EMAIL, zendesk::API_TOKEN);
    settings.replace(&format!("oauth_token = \"{}\"", zendesk::OAUTH_TOKEN), &token)
}

fn note_of(parts: &[Value]) -> Option<String> {
    parts.iter().find(|p| p["message_type"] == "note").and_then(|p| p["body"].as_str()).map(str::to_owned)
}

/// Ada already is an Intercom user. A visitor who merely claims her email must not land in her
/// contact (and her history); the same email signed by the site does.
#[tokio::test]
async fn only_a_signed_email_attaches_the_chat_to_the_existing_intercom_contact() {
    let sim = Intercom::start().await;
    let existing = "667d60b08a68186f43baada0";
    sim.inner.lock().unwrap().contacts.push(json!({
        "type": "contact", "id": existing, "role": "user", "email": "ada@example.com",
        "name": "Ada", "external_id": "shop-user-42"
    }));
    let db = TestDb::new();
    let relay = relay_with(&db, &sim.settings()).await;
    let conversation = |n: usize| {
        let sim = sim.clone();
        move || sim.inner.lock().unwrap().conversations.get(n).filter(|(_, parts)| note_of(parts).is_some()).cloned()
    };

    // Unsigned: a new lead keyed by Baton's id, without the email; the agent reads it as unverified.
    let (mut claimer, claimer_id) = asking(&relay, false).await;
    claimer.until_phase(Phase::Waiting).await;
    let (_, parts) =
        eventually("the unverified visitor's conversation", conversation(0), || sim.last_conversation()).await;
    assert_ne!(parts[0]["author"]["id"], existing, "attached to Ada's contact: {parts:?}");
    let lead = sim.inner.lock().unwrap().contacts.iter().find(|c| c["id"] == parts[0]["author"]["id"]).cloned();
    let lead = lead.expect("the conversation's contact");
    assert_eq!(lead["external_id"], format!("baton-{claimer_id}"));
    assert!(lead["email"].is_null(), "an unverified email is not put on a contact: {lead}");
    let note = note_of(&parts).unwrap();
    assert!(note.contains("Email (unverified, not matched to a contact): ada@example.com"), "{note}");
    let searched_email = sim
        .traffic
        .requests()
        .iter()
        .any(|(what, body)| what == "POST /contacts/search" && body["query"]["field"] == "email");
    assert!(!searched_email, "an unverified email is never searched for");

    // Signed by the site: Ada's existing contact.
    let (mut ada, _) = asking(&relay, true).await;
    ada.until_phase(Phase::Waiting).await;
    let (_, parts) =
        eventually("the verified visitor's conversation", conversation(1), || sim.last_conversation()).await;
    assert_eq!(parts[0]["author"]["id"], existing, "{parts:?}");
    assert!(note_of(&parts).unwrap().contains("Email: ada@example.com"), "{parts:?}");
}

/// Ada already is a Zendesk end user. A visitor who merely claims her email gets a ticket with
/// the API user as requester (nothing goes to Ada's inbox or history) and is not promised an
/// email; the same email signed by the site makes Ada the requester. (With the API token.)
#[tokio::test]
async fn only_a_signed_email_makes_the_existing_zendesk_user_the_requester() {
    let sim: ZendeskSupport = Sim::start().await;
    let ada = 20_978_000_u64;
    sim.inner
        .lock()
        .unwrap()
        .users
        .push(json!({"id": ada, "name": "Ada", "email": "ada@example.com", "role": "end-user"}));
    let db = TestDb::new();
    let relay = relay_with(&db, &with_api_token(&sim.settings())).await;
    let first_comment = |ticket: &Value| ticket["comments"][0]["body"].as_str().unwrap_or_default().to_string();

    let (mut claimer, _) = asking(&relay, false).await;
    let told = claimer.until_message(Role::Bot, "as a ticket").await;
    assert!(!told.text.contains("by email"), "no email is promised to an unverified address: {}", told.text);
    let ticket = eventually("the unverified visitor's ticket", || sim.last_ticket(), || sim.last_ticket()).await;
    assert_eq!(ticket["requester_id"], zendesk::API_USER, "{ticket}");
    let summary = first_comment(&ticket);
    assert!(summary.contains("Email (unverified, not matched to a contact): ada@example.com"), "{summary}");
    assert_eq!(sim.inner.lock().unwrap().users.len(), 1, "no user created from a claim");

    let (mut signed, _) = asking(&relay, true).await;
    signed.until_message(Role::Bot, "by email at ada@example.com").await;
    let verified = || sim.last_ticket().filter(|t| t["requester_id"] == ada);
    let ticket = eventually("the verified visitor's ticket", verified, || sim.last_ticket()).await;
    assert!(first_comment(&ticket).contains("Email: ada@example.com"), "{ticket}");
}

/// A visitor on the demo site who wrote `question`, asked for a person, was asked for their
/// email (before the handover) and gave `email`: the summary they were shown, and the frames
/// read up to it, the handover's phase and the email's confirmation (in any order).
async fn giving_email(relay: &TestRelay, question: &str, email: &str) -> (WidgetClient, String, Vec<ServerFrame>) {
    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    visitor.next().await;
    visitor.send(&baton_tests::widget_client::send_text("q1", question)).await;
    visitor.until_message(Role::Bot, "").await;
    visitor.send(&ClientFrame::RequestHandover).await;
    let (ask, _) = visitor.until(|f| matches!(f, ServerFrame::AskEmail { .. })).await;
    assert_eq!(ask, ServerFrame::AskEmail { step: EmailStep::BeforeHandover });
    visitor.send(&ClientFrame::Email { email: email.into() }).await;
    let saved = |f: &ServerFrame| *f == ServerFrame::EmailSaved { email: email.into() };
    let waiting = |f: &ServerFrame| matches!(f, ServerFrame::Event(e) if matches!(&e.body, EventBody::Phase(p) if p.phase == Phase::Waiting));
    let summary = |f: &ServerFrame| matches!(f, ServerFrame::Summary { .. });
    let frames = visitor.until_each(&[&saved, &waiting, &summary]).await;
    let Some(ServerFrame::Summary { text, link: None }) = frames.iter().find(|f| summary(f)).cloned() else {
        panic!("a summary without a link: {frames:?}")
    };
    (visitor, text, frames)
}

/// Email capture with Intercom (live chat), on a site that lets the email given be the
/// contact's: the lead Intercom gets carries it, and the summary the visitor is shown is the
/// one in the agent's note.
#[tokio::test]
async fn the_email_given_in_the_prompt_is_the_intercom_leads_and_the_visitor_sees_the_notes_summary() {
    let sim = Intercom::start().await;
    let db = TestDb::new();
    let capture = "[email_capture]\nwhen = \"before_handover\"\nuse_as_contact = true\n";
    let relay = relay_with(&db, &format!("{}\n{capture}", sim.settings())).await;
    let (_visitor, summary, _) =
        giving_email(&relay, "My parcel 40123 is late, can someone check?", "grace@example.com").await;
    let conversation = || sim.last_conversation().filter(|(_, parts)| note_of(parts).is_some());
    let (_, parts) = eventually("the conversation with its note", conversation, || sim.last_conversation()).await;
    let contact = sim.inner.lock().unwrap().contacts.iter().find(|c| c["id"] == parts[0]["author"]["id"]).cloned();
    let contact = contact.expect("the conversation's contact");
    assert_eq!(contact["email"], "grace@example.com", "{contact}");
    let note = note_of(&parts).unwrap();
    let escaped = summary.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    assert!(note.contains(&format!("<p>{escaped}</p>")), "the visitor's summary is the agent's:\n{summary}\n{note}");
    assert!(summary.contains("40123") && summary.contains("grace@example.com"), "{summary}");
    assert!(note.contains("Email (given by the visitor, not verified): grace@example.com"), "{note}");
}

/// Email capture with Zendesk Support (tickets): asked before the handover without the site
/// saying when (a ticket is answered by email), the email given is the new requester's, the
/// visitor is promised the answer there, and the summary shown is the ticket's first comment's.
#[tokio::test]
async fn a_ticket_helpdesk_asks_for_the_email_which_becomes_the_zendesk_requester() {
    let sim: ZendeskSupport = Sim::start().await;
    let db = TestDb::new();
    let settings = format!("{}\n[email_capture]\nuse_as_contact = true\n", with_api_token(&sim.settings()));
    let relay = relay_with(&db, &settings).await;
    let (mut visitor, summary, frames) =
        giving_email(&relay, "I was charged twice for order 40123", "grace@example.com").await;
    let promise = "by email at grace@example.com";
    if !frames.iter().any(|f| as_message(f).is_some_and(|m| m.author.role == Role::Bot && m.text.contains(promise))) {
        visitor.until_message(Role::Bot, promise).await;
    }
    let ticket = eventually("the ticket", || sim.last_ticket(), || sim.last_ticket()).await;
    let requester = sim.inner.lock().unwrap().users.iter().find(|u| u["id"] == ticket["requester_id"]).cloned();
    let requester = requester.expect("the ticket's requester is a user");
    assert_eq!(requester["email"], "grace@example.com", "{ticket}");
    let first = ticket["comments"][0]["body"].as_str().unwrap_or_default().to_string();
    assert!(first.contains(&format!("Bot summary:\n{}\n", summary.trim())), "{summary}\n{first}");
}

/// Zendesk Messaging's `open` first passes control to Baton's own switchboard integration
/// (`bot_switchboard_integration`), then to the agent workspace. Sunshine fires
/// `switchboard:passControl` for both (its metadata "will be included in the
/// `switchboard:passControl` webhook"); the first names Baton's integration as the active one,
/// as when the agent workspace hands the conversation back. Baton marks its own pass in the
/// metadata, so that echo leaves the handover waiting (it once ended it within a second).
#[tokio::test]
async fn sunshines_echo_of_batons_own_pass_control_does_not_end_the_handover() {
    let sim: ZendeskMessaging = Sim::start().await;
    sim.inner.lock().unwrap().echo_pass_control_to_baton = true;
    let db = TestDb::new();
    let relay = relay_with(&db, &sim.settings()).await;
    sim.traffic.send_webhooks_to(&format!("{}/webhooks/zendesk_messaging/demo", relay.http_url()));
    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    visitor.next().await;
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_phase(Phase::Waiting).await;
    let echoed = || sim.traffic.echoes().into_iter().find(|(_, body)| body.contains("switchboard:passControl"));
    eventually("the echo of Baton's passControl", echoed, || sim.traffic.echoes()).await;
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let frames = visitor.settle().await;
    let phases: Vec<&ServerFrame> = frames
        .iter()
        .filter(|f| matches!(f, ServerFrame::Event(e) if matches!(&e.body, EventBody::Phase(_))))
        .collect();
    assert!(phases.is_empty(), "the handover changed phase without an agent: {phases:?}");
}

/// The page identifies the visitor (`Baton.identify`) after a handover to Intercom started:
/// the agent is told the new email in the conversation, marked as not verified; the same email
/// again tells nothing new.
#[tokio::test]
async fn an_email_identified_during_an_intercom_handover_reaches_the_agent() {
    let sim = Intercom::start().await;
    let db = TestDb::new();
    let relay = relay_with(&db, &sim.settings()).await;
    let (mut visitor, _) = WidgetClient::hello_as(&relay.ws_url(), "demo", None).await;
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_phase(Phase::Waiting).await;
    eventually(
        "the conversation with its note",
        || sim.last_conversation().filter(|(_, p)| note_of(p).is_some()),
        || sim.last_conversation(),
    )
    .await;
    visitor.send(&ClientFrame::Identify(claimed_visitor("grace@example.com", "Grace"))).await;
    visitor.send(&ClientFrame::Identify(claimed_visitor("grace@example.com", "Grace Hopper"))).await;
    let told = |parts: &[Value]| {
        parts.iter().filter(|p| p["body"].as_str().is_some_and(|b| b.contains("grace@example.com"))).count()
    };
    let (_, parts) = eventually(
        "the email told in the conversation",
        || sim.last_conversation().filter(|(_, p)| told(p) > 0),
        || sim.last_conversation(),
    )
    .await;
    let part = parts.iter().find(|p| p["body"].as_str().is_some_and(|b| b.contains("grace@example.com"))).unwrap();
    assert!(
        part["body"].as_str().unwrap().contains("The visitor's email is now grace@example.com (not verified)"),
        "{part}"
    );
    visitor.send(&ClientFrame::Ping).await;
    visitor.until(|f| *f == ServerFrame::Pong).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let (_, parts) = sim.last_conversation().unwrap();
    assert_eq!(told(&parts), 1, "the same email again is not told again: {parts:?}");
}
