//! End to end with each helpdesk as the site's provider: the real relay, its outbox and webhook
//! ingress, and the helpdesk's simulator over real HTTP. Each test is one scenario, run against
//! every helpdesk of the table (`baton_tests::helpdesks`) at once; a failure names the helpdesks
//! it failed for. `BATON_HELPDESKS=hubspot,gorgias` runs a scenario against those only.
//! `specific.rs` holds what only some helpdesks do.

mod agent_files;
mod files;
mod specific;

use std::time::Duration;

use baton_tests::{
    dashboard::{Dashboard, PASSWORD},
    eventually,
    helpdesks::{configure, everywhere, By, Helpdesk, Kind, Remote},
    sim::Mode,
    test_config,
    widget_client::{as_message, send_text, signed_visitor, WidgetClient},
    TestDb, TestRelay,
};
use shared::{ClientFrame, EmailStep, EventBody, Phase, Role, ServerFrame};

/// A relay whose demo site hands over to `desk`, and the demo site's webhook URL for it.
struct Setup {
    relay: TestRelay,
    hook: String,
    _db: TestDb,
}

async fn relay_for(desk: &dyn Helpdesk) -> Setup {
    let db = TestDb::new();
    let mut config = test_config(&db);
    configure(config.sites.get_mut("demo").expect("demo site"), &desk.settings());
    let relay = TestRelay::start_with(config).await;
    let hook = format!("{}/webhooks/{}/demo", relay.http_url(), desk.profile().name);
    desk.traffic().send_webhooks_to(&hook);
    Setup { relay, hook, _db: db }
}

/// A visitor connected and greeted.
async fn visitor(relay: &TestRelay) -> WidgetClient {
    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    visitor.next().await;
    visitor
}

/// Waits until the helpdesk's newest conversation satisfies `check`.
async fn until_remote(desk: &dyn Helpdesk, what: &str, check: impl Fn(&Remote) -> bool) -> Remote {
    eventually(&format!("{what} in {}", desk.profile().name), || desk.remote().filter(|r| check(r)), || desk.remote())
        .await
}

/// Waits until the handover has reached the helpdesk with every call it makes.
async fn until_handed_over(desk: &dyn Helpdesk, what: &str, check: impl Fn(&Remote) -> bool) -> Remote {
    let remote = until_remote(desk, what, check).await;
    eventually("the handover's last call", || desk.handed_over().then_some(()), || desk.remote()).await;
    desk.remote().unwrap_or(remote)
}

fn phase_changed(frames: &[ServerFrame]) -> bool {
    frames.iter().any(|f| matches!(f, ServerFrame::Event(e) if matches!(&e.body, EventBody::Phase(_))))
}

/// A visitor without an email asks for a person. A ticket helpdesk first has the widget ask
/// for one (email capture's default for tickets, answered by email); this visitor declines.
async fn ask_for_a_person(desk: &dyn Helpdesk, visitor: &mut WidgetClient) {
    visitor.send(&ClientFrame::RequestHandover).await;
    if desk.profile().kind == Kind::Ticket {
        let (ask, _) = visitor.until(|f| matches!(f, ServerFrame::AskEmail { .. })).await;
        assert_eq!(ask, ServerFrame::AskEmail { step: EmailStep::BeforeHandover }, "{}", desk.profile().name);
        visitor.send(&ClientFrame::SkipEmail).await;
    }
}

fn shown(frames: &[ServerFrame], text: &str) -> bool {
    frames.iter().any(|f| as_message(f).is_some_and(|m| m.text.contains(text)))
}

const REPLY: &str = "Hi Ada, \"blue jacket\" found.\nShipping today.";

/// Ada asks for a person → the helpdesk gets the conversation with the summary and her email →
/// her next message follows, as her → the webhooks for Baton's own writes change nothing → an
/// agent's signed reply reaches her → the agent closes → she rates → the bot is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handover_reaches_the_helpdesk_and_the_agent_answers_through_it() {
    everywhere(|desk| async move {
        let Setup { relay, hook, _db } = relay_for(&*desk).await;
        let mut visitor = visitor(&relay).await;
        visitor.send(&ClientFrame::Identify(signed_visitor("ada@example.com", "Ada"))).await;
        visitor.send(&send_text("q1", "My parcel for order 40123 never arrived")).await;
        visitor.until_message(Role::Bot, "").await;
        visitor.send(&ClientFrame::RequestHandover).await;
        visitor.until_phase(Phase::Waiting).await;
        if desk.profile().kind == Kind::Ticket {
            visitor.until_message(Role::Bot, "by email at ada@example.com").await;
        }

        let summarised = |r: &Remote| r.texts().iter().any(|t| t.contains("40123") && t.contains("ada@example.com"));
        let remote = until_handed_over(&*desk, "the summary with the email", summarised).await;
        assert_eq!(remote.contact.as_deref(), Some("ada@example.com"), "the contact: {remote:?}");
        desk.check_handover(&remote);

        let follow_up = "It was a <blue> jacket";
        visitor.send(&send_text("q2", follow_up)).await;
        let remote = until_remote(&*desk, "the follow-up", |r| r.position(follow_up).is_some()).await;
        assert_eq!(remote.entries[remote.position(follow_up).unwrap()].by, By::Visitor, "{remote:?}");
        desk.check_forward(follow_up);
        if desk.profile().forward_echoes {
            let traffic = desk.traffic();
            let echoed = || traffic.echoes().into_iter().find(|(_, body)| body.contains("jacket"));
            eventually("the follow-up's echo", echoed, || traffic.echoes()).await;
        }
        let between = visitor.settle().await;
        assert!(!between.iter().any(|f| as_message(f).is_some_and(|m| m.author.role == Role::Agent)), "{between:?}");
        let echoes = desk.traffic().echoes();
        assert!(echoes.iter().all(|(status, _)| *status == 200), "every echo acknowledged: {echoes:?}");

        assert_eq!(desk.reply(&hook, &remote.id, REPLY).send(&hook).await.0, 200);
        visitor.until_phase(Phase::Agent).await;
        let reply = visitor.until_message(Role::Agent, "Shipping today").await;
        assert_eq!(reply.text, REPLY, "as the agent wrote it, as text");
        assert_eq!(reply.author.name.as_deref(), Some(desk.profile().agent_name));

        assert_eq!(desk.close(&hook, &remote.id).send(&hook).await.0, 200);
        visitor.until_phase(Phase::Ended).await;
        visitor.send(&ClientFrame::Rate { score: 5 }).await;
        visitor.until_phase(Phase::Bot).await;
        visitor.send(&send_text("q3", "Do you accept PayPal?")).await;
        visitor.until_message(Role::Bot, "PayPal").await;

        // The rating reaches the helpdesk after its close, as a note agents see and the
        // visitor does not; helpdesks without a place for it get nothing.
        let rated = |r: &Remote| r.entries.iter().any(|e| e.text.contains("baton-rating-"));
        if desk.profile().rating {
            let remote = until_remote(&*desk, "the rating", rated).await;
            let note = remote.entries.iter().find(|e| e.text.contains("baton-rating-")).expect("the rating");
            assert!(
                note.text.contains("rated the chat 5 out of 5") && note.text.contains("baton-rating-5"),
                "{note:?}"
            );
            assert!(note.internal && note.by == By::Baton, "an internal note: {note:?}");
            assert_eq!(remote.entries.iter().filter(|e| e.text.contains("baton-rating-")).count(), 1, "{remote:?}");
        } else {
            visitor.settle().await;
            assert!(!desk.remote().is_some_and(|r| rated(&r)), "{:?}", desk.remote());
        }
    })
    .await;
}

/// The helpdesk is down during the handover (its availability check still answering) and
/// rate-limited as it recovers (and whatever else it gets wrong then); during the chat it is
/// rate-limited, down, then hangs without answering. Every message arrives once, in order, in
/// one conversation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_helpdesk_down_rate_limited_or_hanging_loses_nothing() {
    everywhere(|desk| async move {
        let Setup { relay, hook, _db } = relay_for(&*desk).await;
        let (profile, traffic) = (desk.profile(), desk.traffic());
        if let Some(check) = profile.availability {
            traffic.keep_up(check);
        }
        let mut visitor = visitor(&relay).await;
        visitor.send(&send_text("q0", "Hello")).await;
        visitor.until_message(Role::Bot, "").await;
        traffic.set_mode(Mode::Down);
        ask_for_a_person(&*desk, &mut visitor).await;
        visitor.until_phase(Phase::Waiting).await;
        visitor.until_message(Role::System, "slow to answer").await;
        visitor.send(&send_text("q1", "First while down")).await;
        visitor.send(&send_text("q2", "Second while down")).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(desk.remote().is_none(), "nothing reached the helpdesk while it was down: {:?}", desk.remote());

        traffic.set_mode(Mode::RateLimited);
        tokio::time::sleep(Duration::from_millis(500)).await;
        desk.trouble_recovering();
        traffic.set_mode(Mode::Normal);
        let remote = until_remote(&*desk, "both messages", |r| r.position("Second while down").is_some()).await;
        assert!(remote.position("First while down") < remote.position("Second while down"), "{remote:?}");
        assert_eq!(remote.count("First while down"), 1, "not duplicated: {remote:?}");
        assert_eq!(desk.remotes().len(), 1, "one conversation despite the retries");
        assert!(traffic.asked(profile.open_call) >= 2, "the open was retried: {:?}", traffic.requests());
        desk.check_recovered(&remote);

        assert_eq!(desk.reply(&hook, &remote.id, "Sorry for the wait!").send(&hook).await.0, 200);
        visitor.until_message(Role::Agent, "Sorry for the wait").await;
        let outages = [
            (Mode::RateLimited, "Written while rate limited"),
            (Mode::Down, "Written while down"),
            (Mode::BlackHole, "Written while it hung"),
        ];
        for (n, (mode, text)) in outages.into_iter().enumerate() {
            traffic.set_mode(mode);
            let arrived = traffic.arrivals().len();
            visitor.send(&send_text(&format!("o{n}"), text)).await;
            eventually(
                "a call during the outage",
                || (traffic.arrivals().len() > arrived).then_some(()),
                || traffic.arrivals(),
            )
            .await;
        }
        traffic.set_mode(Mode::Normal);
        let remote =
            until_remote(&*desk, "the outage's messages", |r| r.position("Written while it hung").is_some()).await;
        let at: Vec<Option<usize>> = outages.iter().map(|(_, text)| remote.position(text)).collect();
        assert!(at.windows(2).all(|w| w[0].is_some() && w[0] < w[1]), "in order: {remote:?}");
        assert!(outages.iter().all(|(_, text)| remote.count(text) == 1), "each once: {remote:?}");
    })
    .await;
}

/// Deliveries the helpdesk did not sign (a wrong secret, none, a changed body, and whatever
/// else its scheme guards against) are refused with 401 and show nothing; the same signed
/// delivery twice shows one message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_unsigned_and_replayed_webhooks_change_nothing() {
    everywhere(|desk| async move {
        let Setup { relay, hook, _db } = relay_for(&*desk).await;
        let mut visitor = visitor(&relay).await;
        ask_for_a_person(&*desk, &mut visitor).await;
        visitor.until_phase(Phase::Waiting).await;
        let remote = until_handed_over(&*desk, "the handover", |r| !r.entries.is_empty()).await;

        let forged = desk.reply(&hook, &remote.id, "forged");
        for (what, delivery) in desk.forgeries(&hook, &forged) {
            assert_eq!(delivery.send(&hook).await.0, 401, "{what}");
        }
        let once = desk.reply(&hook, &remote.id, "Once only");
        for _ in 0..2 {
            assert_eq!(once.send(&hook).await.0, 200);
        }
        visitor.until_message(Role::Agent, "Once only").await;
        let between = visitor.settle().await;
        assert!(!shown(&between, "Once only") && !shown(&between, "forged"), "{between:?}");
        assert!(!phase_changed(&between), "{between:?}");
    })
    .await;
}

/// Another tenant of the same relay whose settings (secrets included, the worst case) are the
/// demo site's: a delivery verified for their URL never reaches the demo site's conversation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_verified_for_another_site_never_reaches_this_sites_conversation() {
    everywhere(|desk| async move {
        let db = TestDb::new();
        let mut config = test_config(&db);
        configure(config.sites.get_mut("demo").expect("demo site"), &desk.settings());
        let other = config.sites["demo"].clone();
        config.sites.insert("other".into(), other);
        let relay = TestRelay::start_with(config).await;
        let hook = |site: &str| format!("{}/webhooks/{}/{site}", relay.http_url(), desk.profile().name);

        let mut visitor = visitor(&relay).await;
        ask_for_a_person(&*desk, &mut visitor).await;
        visitor.until_phase(Phase::Waiting).await;
        let remote = until_handed_over(&*desk, "the handover", |r| !r.entries.is_empty()).await;

        let injected = desk.reply(&hook("other"), &remote.id, "Injected");
        assert_eq!(injected.send(&hook("other")).await.0, 200, "verified for its own site, so acknowledged");
        let frames = visitor.settle().await;
        assert!(!shown(&frames, "Injected"), "another site's webhook reached the conversation: {frames:?}");
        let genuine = desk.reply(&hook("demo"), &remote.id, "Genuine");
        assert_eq!(genuine.send(&hook("demo")).await.0, 200);
        visitor.until_message(Role::Agent, "Genuine").await;
    })
    .await;
}

/// A visitor without an email asks for a person, then cancels: the helpdesk's conversation is
/// closed with a notice (an internal note on a ticket); the helpdesk's webhook for that close
/// is acknowledged and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_who_cancels_closes_the_helpdesks_conversation() {
    everywhere(|desk| async move {
        let Setup { relay, hook: _, _db } = relay_for(&*desk).await;
        let (profile, traffic) = (desk.profile(), desk.traffic());
        let mut visitor = visitor(&relay).await;
        ask_for_a_person(&*desk, &mut visitor).await;
        visitor.until_phase(Phase::Waiting).await;
        if profile.kind == Kind::Ticket {
            visitor.until_message(Role::Bot, "will appear here").await;
        }
        let remote = until_handed_over(&*desk, "the handover", |r| !r.entries.is_empty()).await;
        desk.check_anonymous(&remote);
        if let Some(check) = profile.availability {
            assert!(traffic.asked(check) >= 1, "availability asked: {:?}", traffic.requests());
        }

        visitor.send(&send_text("c1", "never mind")).await;
        visitor.until_phase(Phase::Bot).await;
        let remote = until_remote(&*desk, "the close", |r| r.closed).await;
        let notice = remote.entries.last().expect("the notice");
        assert!(notice.text.contains("cancelled"), "{remote:?}");
        assert!(profile.kind == Kind::LiveChat || notice.internal, "not sent to the visitor: {remote:?}");
        let echoed = || traffic.echoes().into_iter().find(|(_, body)| body.contains(profile.close_echo));
        let (status, _) = eventually("the close's echo", echoed, || traffic.echoes()).await;
        assert_eq!(status, 200);
        let between = visitor.settle().await;
        assert!(!phase_changed(&between), "{between:?}");
    })
    .await;
}

/// With nobody available the visitor is told so and may leave an email; only the availability
/// check reaches the helpdesk. (Helpdesks without a check leave that to their own routing.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_available_means_the_unavailable_path() {
    everywhere(|desk| async move {
        let Some(check) = desk.profile().availability else { return };
        let Setup { relay, hook: _, _db } = relay_for(&*desk).await;
        desk.set_available(false);
        let mut visitor = visitor(&relay).await;
        visitor.send(&ClientFrame::RequestHandover).await;
        visitor.until_message(Role::Bot, "nobody from our team is available").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(desk.remote().is_none(), "no handover while nobody is available");
        let asked = desk.traffic().requests();
        assert!(!asked.is_empty() && asked.iter().all(|(what, _)| what.starts_with(check)), "{asked:?}");
    })
    .await;
}

fn as_str(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect()
}

/// `settings` (the row's `[provider]` and `[webhooks.<name>]` TOML) as an owner types them into
/// the Channels form of helpdesk `name`: `p.<setting>` and `w.<setting>` (nested tables dotted,
/// lists one a line, switches ticked or not), every switch the row leaves out at its default.
fn channels_form(name: &str, settings: &str) -> Vec<(String, String)> {
    fn flatten(prefix: &str, table: &toml::Table, into: &mut Vec<(String, String)>) {
        for (key, value) in table {
            let name = format!("{prefix}.{key}");
            match value {
                toml::Value::Table(inner) => flatten(&name, inner, into),
                toml::Value::Array(items) => into.push((
                    name,
                    items.iter().map(|item| item.as_str().unwrap_or_default()).collect::<Vec<_>>().join("\n"),
                )),
                toml::Value::Boolean(on) => {
                    if *on {
                        into.push((name, "on".into()));
                    }
                }
                toml::Value::String(text) => into.push((name, text.clone())),
                other => into.push((name, other.to_string())),
            }
        }
    }
    let tables: toml::Table = settings.parse().expect("the row's settings are TOML");
    let mut provider = tables["provider"].as_table().expect("a provider table").clone();
    provider.remove("kind");
    let mut form = Vec::new();
    flatten("p", &provider, &mut form);
    flatten("w", tables["webhooks"][name].as_table().expect("a webhook table"), &mut form);
    let kind = relay::connectors::ProviderKind::named(name).expect("a registered helpdesk");
    let webhook = tables["webhooks"][name].as_table().unwrap();
    for (prefix, fields, table) in [("p", kind.fields(), &provider), ("w", kind.webhook_fields(), webhook)] {
        let asked: Vec<String> = fields.iter().map(|f| format!("{prefix}.{}", f.name)).collect();
        for (used, _) in form.iter().filter(|(n, _)| n.starts_with(&format!("{prefix}."))) {
            assert!(asked.contains(used), "{name}: the Channels page has no field for {used}");
        }
        for field in fields {
            let set = field.name.split('.').try_fold(toml::Value::Table(table.clone()), |at, key| at.get(key).cloned());
            if field.kind == (relay::connectors::FieldKind::Flag { default: true }) && set.is_none() {
                form.push((format!("{prefix}.{}", field.name), "on".into()));
            }
        }
    }
    form
}

const SETUP_TOKEN: &str = "setup-token-for-provider-tests-0123";
const SECRET_KEY: &str = "cHJvdmlkZXJzLXRlc3Qta2V5LTMyLWJ5dGVzLWxuZyE=";

/// The Channels page of a relay on the built-in inbox, given the helpdesk's settings as an
/// owner types them: its Test connection names the credentials' user (and says wrong ones are
/// wrong); saved, without a restart, the next handover goes to the helpdesk, whose agent's
/// reply comes back through the webhook set on the same page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_helpdesk_set_up_on_the_channels_page_tests_its_connection_and_takes_the_next_handover() {
    everywhere(|desk| async move {
        let db = TestDb::new();
        let mut config = test_config(&db);
        config.admin.setup_token = Some(SETUP_TOKEN.into());
        config.secret_key = Some(relay::config::SecretKey::new(SECRET_KEY));
        let relay = TestRelay::start_with(config).await;
        let name = desk.profile().name;
        let hook = format!("{}/webhooks/{name}/demo", relay.http_url());
        desk.traffic().send_webhooks_to(&hook);
        let mut browser = Dashboard::new(&relay.http_url());
        browser.set_up(SETUP_TOKEN, "owner@example.com").await;
        assert!(browser.sign_in("owner@example.com", PASSWORD).await.redirects_to("/admin/"));

        let form = channels_form(name, &desk.settings());
        let page = format!("/admin/sites/demo/channels?kind={name}");
        let send = |action: &'static str, form: Vec<(String, String)>| {
            let mut fields: Vec<(String, String)> =
                vec![("kind".into(), name.into()), ("action".into(), action.into())];
            fields.extend(form);
            fields
        };
        let outcome = |body: &str| {
            let at = body.find("data-testid=\"test-outcome\">").unwrap_or_else(|| panic!("no outcome in {body}"));
            let rest = &body[at + "data-testid=\"test-outcome\">".len()..];
            rest[..rest.find('<').unwrap()].to_string()
        };

        let test = send("test", form.clone());
        let tested = browser.submit(&page, "/admin/sites/demo/channels", &as_str(&test)).await;
        assert!(outcome(&tested.body).starts_with("Connected: "), "{}", outcome(&tested.body));

        let kind = relay::connectors::ProviderKind::named(name).unwrap();
        let secrets: Vec<String> =
            kind.fields().iter().filter(|f| f.is_secret()).map(|f| format!("p.{}", f.name)).collect();
        let wrong: Vec<(String, String)> = form
            .iter()
            .map(|(n, v)| (n.clone(), if secrets.contains(n) { "wrong-credentials-0123".into() } else { v.clone() }))
            .collect();
        let refused = browser.submit(&page, "/admin/sites/demo/channels", &as_str(&send("test", wrong))).await;
        assert!(outcome(&refused.body).starts_with("Wrong credentials"), "{}", outcome(&refused.body));

        let saved = browser.submit(&page, "/admin/sites/demo/channels", &as_str(&send("save", form))).await;
        assert_eq!(saved.status, reqwest::StatusCode::OK, "{}", saved.body);
        assert!(saved.body.contains("Saved: new handovers go to"), "{}", saved.body);

        let mut visitor = visitor(&relay).await;
        visitor.send(&send_text("q1", "My parcel for order 40123 never arrived")).await;
        visitor.until_message(Role::Bot, "").await;
        ask_for_a_person(&*desk, &mut visitor).await;
        visitor.until_phase(Phase::Waiting).await;
        let remote = until_handed_over(&*desk, "the handover", |r| r.texts().iter().any(|t| t.contains("40123"))).await;
        assert_eq!(desk.reply(&hook, &remote.id, REPLY).send(&hook).await.0, 200);
        let reply = visitor.until_message(Role::Agent, "Shipping today").await;
        assert_eq!(reply.text, REPLY);
    })
    .await;
}
