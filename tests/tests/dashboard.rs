//! The owner dashboard (`/admin/`) over HTTP against a real relay and SQLite: the first owner
//! by the setup token, sign-in lockout and rate limit, CSRF refusals, roles, and a settings
//! change reaching a new conversation without a restart.

use baton_tests::{
    agent_client::{AgentApi, AgentSocket, DEMO_TOKEN},
    dashboard::{Dashboard, Page, PASSWORD},
    sim::intercom,
    test_config,
    widget_client::WidgetClient,
    TestDb, TestRelay,
};
use relay::{
    admin::password,
    config::Config,
    store::{
        self,
        admin::{NewAccount, Role},
    },
};
use reqwest::StatusCode;
use serde_json::json;
use shared::{ClientFrame, ServerFrame, Theme};

const SETUP_TOKEN: &str = "setup-token-for-tests-0123456789";
const OWNER: &str = "olivia@example.com";

fn config(db: &TestDb) -> Config {
    let mut config = test_config(db);
    config.admin.setup_token = Some(SETUP_TOKEN.into());
    config
}

/// A relay whose first owner is made and signed in.
async fn signed_in_owner(db: &TestDb) -> (TestRelay, Dashboard) {
    signed_in_owner_with(config(db)).await
}

/// A relay started with `config` whose first owner is made and signed in.
async fn signed_in_owner_with(config: Config) -> (TestRelay, Dashboard) {
    let relay = TestRelay::start_with(config).await;
    let mut browser = Dashboard::new(&relay.http_url());
    assert!(browser.set_up(SETUP_TOKEN, OWNER).await.redirects_to("/admin/sign-in"));
    assert!(browser.sign_in(OWNER, PASSWORD).await.redirects_to("/admin/"));
    (relay, browser)
}

/// An account made straight in the store (agents have no invitation page yet).
async fn account(db: &TestDb, email: &str, role: Role, sites: &[&str]) {
    let store = store::connect(&db.url).await.unwrap();
    let hash = password::hash(PASSWORD.into()).await.unwrap();
    let sites: Vec<String> = sites.iter().map(|s| s.to_string()).collect();
    let new = NewAccount { email, name: email, role, password_hash: &hash, sites: &sites };
    store.admin().create_account(&new, false).await.unwrap().expect("a new account");
}

#[tokio::test]
async fn the_setup_token_creates_the_first_owner_once() {
    let db = TestDb::new();
    let relay = TestRelay::start_with(config(&db)).await;
    let mut browser = Dashboard::new(&relay.http_url());
    assert!(browser.get("/admin/").await.redirects_to("/admin/setup"));

    let wrong = browser
        .submit(
            "/admin/setup",
            "/admin/setup",
            &[("token", "not-the-token"), ("name", "Mallory"), ("email", "m@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("not the setup token"), "{}", wrong.body);
    let short = browser
        .submit(
            "/admin/setup",
            "/admin/setup",
            &[("token", SETUP_TOKEN), ("name", "Olivia"), ("email", OWNER), ("password", "short")],
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.body.contains("at least 12 characters"), "{}", short.body);
    assert!(short.body.contains("aria-invalid=\"true\""), "the field is marked: {}", short.body);

    assert!(browser.set_up(SETUP_TOKEN, OWNER).await.redirects_to("/admin/sign-in"));
    // Spent: the page sends to sign-in, and a second try (another browser) makes nobody.
    let mut other = Dashboard::new(&relay.http_url());
    assert!(other.get("/admin/setup").await.redirects_to("/admin/sign-in"));
    let form = other.get("/admin/sign-in").await.csrf();
    let again = other
        .post_raw(
            "/admin/setup",
            &[
                ("token", SETUP_TOKEN),
                ("name", "Eve"),
                ("email", "eve@example.com"),
                ("password", PASSWORD),
                ("csrf", &form),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::GONE, "{}", again.body);
    let eve = other.sign_in("eve@example.com", PASSWORD).await;
    assert_eq!(eve.status, StatusCode::UNAUTHORIZED);

    let signed = browser.sign_in(OWNER, PASSWORD).await;
    assert!(signed.redirects_to("/admin/"));
    let cookie = signed.set_cookies.iter().find(|c| c.starts_with("baton_admin=")).expect("a session cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
    assert!(browser.get("/admin/").await.redirects_to("/admin/sites"));
    let sites = browser.get("/admin/sites").await;
    assert_eq!(sites.status, StatusCode::OK);
    assert!(sites.body.contains("href=\"/admin/sites/demo\""), "{}", sites.body);

    // Signing out ends the session on the server, not only in the browser.
    let csrf = sites.csrf();
    let session = browser_cookie(&signed);
    assert!(browser.post_raw("/admin/sign-out", &[("csrf", &csrf)]).await.redirects_to("/admin/sign-in"));
    let mut replay = Dashboard::new(&relay.http_url());
    replay.set_cookie(&session);
    assert!(replay.get("/admin/sites").await.redirects_to("/admin/sign-in"));
}

fn browser_cookie(page: &baton_tests::dashboard::Page) -> String {
    page.set_cookies.iter().find(|c| c.starts_with("baton_admin=")).unwrap().split(';').next().unwrap().to_string()
}

#[tokio::test]
async fn behind_tls_the_session_cookie_is_secure_and_host_bound() {
    let db = TestDb::new();
    let mut config = config(&db);
    config.admin.public_url = Some("https://chat.example.com".into());
    let relay = TestRelay::start_with(config).await;
    let mut browser = Dashboard::new(&relay.http_url());
    browser.set_up(SETUP_TOKEN, OWNER).await;
    let signed = browser.sign_in(OWNER, PASSWORD).await;
    let cookie = signed.set_cookies.iter().find(|c| c.starts_with("__Host-baton_admin=")).expect("a __Host- cookie");
    assert!(cookie.contains("Secure") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
}

#[tokio::test]
async fn wrong_passwords_lock_the_account_and_one_address_is_rate_limited() {
    let db = TestDb::new();
    let mut config = config(&db);
    config.admin.sign_ins_per_minute = 8;
    let relay = TestRelay::start_with(config).await;
    let mut browser = Dashboard::new(&relay.http_url());
    browser.set_up(SETUP_TOKEN, OWNER).await;

    for attempt in 1..=4 {
        let wrong = browser.sign_in(OWNER, "wrong password here").await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
        assert!(wrong.body.contains("Wrong email or password"), "{}", wrong.body);
    }
    let fifth = browser.sign_in(OWNER, "wrong password here").await;
    assert_eq!(fifth.status, StatusCode::FORBIDDEN);
    assert!(fifth.body.contains("locked"), "{}", fifth.body);
    // Locked: even the right password is refused, and no session is made.
    let right = browser.sign_in(OWNER, PASSWORD).await;
    assert_eq!(right.status, StatusCode::FORBIDDEN);
    assert!(right.body.contains("locked"), "{}", right.body);
    assert!(right.set_cookies.iter().all(|c| !c.starts_with("baton_admin=")), "{:?}", right.set_cookies);
    // An unknown email answers like a wrong password.
    let unknown = browser.sign_in("nobody@example.com", PASSWORD).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert!(unknown.body.contains("Wrong email or password"), "{}", unknown.body);

    // Eight attempts a minute from one address: the next ones wait, whatever the account.
    browser.sign_in("nobody@example.com", PASSWORD).await;
    let limited = browser.sign_in("nobody@example.com", PASSWORD).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS, "{}", limited.body);
    assert!(limited.body.contains("Too many sign-in attempts"), "{}", limited.body);
}

#[tokio::test]
async fn forms_without_the_right_csrf_token_are_refused() {
    let db = TestDb::new();
    let (relay, mut browser) = signed_in_owner(&db).await;
    let missing = browser.post_raw("/admin/sites", &[("key", "sneaky"), ("bot_name", "Sneaky")]).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    let wrong =
        browser.post_raw("/admin/sites", &[("key", "sneaky"), ("bot_name", "Sneaky"), ("csrf", "forged")]).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let handover = browser
        .post_raw("/admin/sites/demo/handover", &[("action", "save"), ("text_message", "Forged"), ("csrf", "")])
        .await;
    assert_eq!(handover.status, StatusCode::FORBIDDEN);
    let channels = browser
        .post_raw("/admin/sites/demo/channels", &[("kind", "link"), ("action", "save"), ("p.url", "https://x.test")])
        .await;
    assert_eq!(channels.status, StatusCode::FORBIDDEN);
    let appearance =
        browser.post_raw("/admin/sites/demo/appearance", &[("action", "save"), ("primary", "#000000")]).await;
    assert_eq!(appearance.status, StatusCode::FORBIDDEN);
    let topic = browser
        .post_raw("/admin/sites/demo/triggers/topics", &[("action", "save"), ("topic.name", "x"), ("topic.cues", "x")])
        .await;
    assert_eq!(topic.status, StatusCode::FORBIDDEN);
    let sites = browser.get("/admin/sites").await;
    assert!(!sites.body.contains("sneaky"), "nothing was created: {}", sites.body);
    // Another session's token is no good either.
    let mut other = Dashboard::new(&relay.http_url());
    other.sign_in(OWNER, PASSWORD).await;
    let theirs = other.get("/admin/sites").await.csrf();
    let crossed =
        browser.post_raw("/admin/sites", &[("key", "sneaky"), ("bot_name", "Sneaky"), ("csrf", &theirs)]).await;
    assert_eq!(crossed.status, StatusCode::FORBIDDEN);
    // A sign-in form without its form cookie's token is refused too.
    let mut fresh = Dashboard::new(&relay.http_url());
    let bare = fresh.post_raw("/admin/sign-in", &[("email", OWNER), ("password", PASSWORD)]).await;
    assert_eq!(bare.status, StatusCode::FORBIDDEN);

    let made = browser.submit("/admin/sites", "/admin/sites", &[("key", "shop"), ("bot_name", "Shop Bot")]).await;
    assert!(made.redirects_to("/admin/sites/shop"), "{made:?}");
}

#[tokio::test]
async fn an_agent_is_refused_on_owner_pages_and_an_owner_on_other_owners_sites() {
    let db = TestDb::new();
    let (relay, _owner) = signed_in_owner(&db).await;
    account(&db, "alex@example.com", Role::Agent, &["demo"]).await;
    account(&db, "other@example.com", Role::Owner, &["elsewhere"]).await;

    let mut agent = Dashboard::new(&relay.http_url());
    assert!(agent.sign_in("alex@example.com", PASSWORD).await.redirects_to("/admin/"));
    assert!(agent.get("/admin/").await.redirects_to("/admin/inbox"));
    let inbox = agent.get("/admin/inbox").await;
    assert_eq!(inbox.status, StatusCode::OK);
    for page in [
        "/admin/sites",
        "/admin/sites/demo",
        "/admin/sites/demo/handover",
        "/admin/sites/demo/test",
        "/admin/sites/demo/channels",
        "/admin/sites/demo/appearance",
    ] {
        assert_eq!(agent.get(page).await.status, StatusCode::FORBIDDEN, "{page}");
    }
    let csrf = inbox.csrf();
    let post = agent
        .post_raw("/admin/sites/demo/handover", &[("action", "save"), ("text_message", "Hi"), ("csrf", &csrf)])
        .await;
    assert_eq!(post.status, StatusCode::FORBIDDEN);
    let switch =
        agent.post_raw("/admin/sites/demo/channels", &[("kind", "builtin"), ("action", "save"), ("csrf", &csrf)]).await;
    assert_eq!(switch.status, StatusCode::FORBIDDEN);
    let themed = agent
        .post_raw("/admin/sites/demo/appearance", &[("action", "save"), ("primary", "#000000"), ("csrf", &csrf)])
        .await;
    assert_eq!(themed.status, StatusCode::FORBIDDEN);
    let removed = agent
        .post_raw(
            "/admin/sites/demo/triggers/topics",
            &[("action", "remove"), ("at", "0"), ("was", "billing dispute"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(removed.status, StatusCode::FORBIDDEN);

    let mut other = Dashboard::new(&relay.http_url());
    assert!(other.sign_in("other@example.com", PASSWORD).await.redirects_to("/admin/"));
    let list = other.get("/admin/sites").await;
    assert!(!list.body.contains("/admin/sites/demo\""), "{}", list.body);
    assert_eq!(other.get("/admin/sites/demo/handover").await.status, StatusCode::FORBIDDEN);
    assert_eq!(other.get("/admin/sites/demo/export").await.status, StatusCode::FORBIDDEN);
    assert_eq!(other.get("/admin/sites/demo/channels").await.status, StatusCode::FORBIDDEN);
    let csrf = list.csrf();
    let switched = other
        .post_raw(
            "/admin/sites/demo/channels",
            &[("kind", "link"), ("action", "save"), ("p.url", "https://x.test"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(switched.status, StatusCode::FORBIDDEN, "another owner cannot switch this site");
    let tested =
        other.post_raw("/admin/sites/demo/channels", &[("kind", "builtin"), ("action", "test"), ("csrf", &csrf)]).await;
    assert_eq!(tested.status, StatusCode::FORBIDDEN);
    assert_eq!(other.get("/admin/sites/demo/appearance").await.status, StatusCode::FORBIDDEN);
    let themed = other
        .post_raw("/admin/sites/demo/appearance", &[("action", "save"), ("primary", "#000000"), ("csrf", &csrf)])
        .await;
    assert_eq!(themed.status, StatusCode::FORBIDDEN, "another owner cannot restyle this site");
    let rule = other
        .post_raw(
            "/admin/sites/demo/triggers/rules",
            &[("action", "save"), ("rule.name", "x"), ("rule.keywords", "x"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(rule.status, StatusCode::FORBIDDEN, "another owner cannot add a rule to this site");
}

/// The "unsupported channel" text the HTTP channel answers a request for a person with.
async fn unsupported_answer(relay: &TestRelay) -> String {
    let reply: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/api/v1/sites/demo/messages", relay.http_url()))
        .json(&json!({"text": "hello", "request_handover": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    reply["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap_or_default())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Sends the Handover page's form with `text` as the unsupported-channel message.
async fn unsupported_channel_message(
    browser: &mut Dashboard,
    action: &str,
    text: &str,
) -> baton_tests::dashboard::Page {
    let page = "/admin/sites/demo/handover";
    browser.submit(page, page, &[("action", action), ("unsupported_channel_message", text)]).await
}

#[tokio::test]
async fn a_handover_text_changed_in_the_dashboard_reaches_new_conversations_without_a_restart() {
    let db = TestDb::new();
    let (relay, mut browser) = signed_in_owner(&db).await;
    assert!(unsupported_answer(&relay).await.contains("not possible on this channel"));

    // A broken template is shown next to its field and nothing is saved.
    let broken = unsupported_channel_message(&mut browser, "save", "Oops {% if %}").await;
    assert_eq!(broken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(broken.body.contains("id=\"f-unsupported_channel_message-error\""), "{}", broken.body);

    let text = "Dashboard says: {% if visitor_name %}{{ visitor_name }}, {% endif %}no live chat here.";
    let preview = unsupported_channel_message(&mut browser, "preview", text).await;
    assert_eq!(preview.status, StatusCode::OK);
    assert!(preview.body.contains("Dashboard says: Ada, no live chat here."), "{}", preview.body);
    assert!(unsupported_answer(&relay).await.contains("not possible on this channel"), "a preview saves nothing");

    let saved = unsupported_channel_message(&mut browser, "save", text).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert!(saved.body.contains("Saved."), "{}", saved.body);
    assert!(unsupported_answer(&relay).await.contains("Dashboard says: no live chat here."));

    // Audited, exported, and kept over the file's settings after a restart.
    let overview = browser.get("/admin/sites/demo").await;
    assert!(overview.body.contains("settings.handover"), "{}", overview.body);
    assert!(overview.body.contains(OWNER), "{}", overview.body);
    assert!(overview.body.contains("handover.unsupported_channel_message"), "{}", overview.body);
    let export = browser.get("/admin/sites/demo/export").await;
    assert!(export.body.contains("[sites.demo.handover]"), "{}", export.body);
    assert!(export.body.contains("Dashboard says:"), "{}", export.body);
    assert!(!export.body.contains(baton_tests::widget_client::IDENTITY_SECRET), "no secrets in exports");
    relay.stop().await;
    let relay = TestRelay::start_with(config(&db)).await;
    assert!(unsupported_answer(&relay).await.contains("Dashboard says: no live chat here."));
}

#[tokio::test]
async fn a_change_made_at_one_relay_applies_at_another_sharing_the_database_and_redis() {
    let db = TestDb::postgres().await;
    let redis = baton_tests::redis::RedisServer::start().await;
    let shared = |db: &TestDb| {
        let mut config = config(db);
        config.redis_url = Some(redis.url());
        config.redis_prefix = format!("dashboard-{}:", std::process::id());
        config
    };
    let a = TestRelay::start_with(shared(&db)).await;
    let b = TestRelay::start_with(shared(&db)).await;
    let mut browser = Dashboard::new(&a.http_url());
    assert!(browser.set_up(SETUP_TOKEN, OWNER).await.redirects_to("/admin/sign-in"));
    assert!(browser.sign_in(OWNER, PASSWORD).await.redirects_to("/admin/"));
    assert!(unsupported_answer(&b).await.contains("not possible on this channel"));

    let saved = unsupported_channel_message(&mut browser, "save", "Changed at relay A.").await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let answer = unsupported_answer(&b).await;
        if answer.contains("Changed at relay A.") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "relay B still answers {answer:?}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Tries `sentence` in the Triggers page's box and gives the outcome shown.
async fn try_sentence(browser: &mut Dashboard, sentence: &str) -> String {
    let page =
        browser.submit("/admin/sites/demo/triggers", "/admin/sites/demo/triggers/try", &[("sentence", sentence)]).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let at = page.body.find("data-testid=\"outcome\">").expect("an outcome");
    let rest = &page.body[at + "data-testid=\"outcome\">".len()..];
    rest[..rest.find('<').unwrap()].to_string()
}

#[tokio::test]
async fn the_triggers_page_tries_a_sentence_and_switches_triggers_live() {
    let db = TestDb::new();
    let (_relay, mut browser) = signed_in_owner(&db).await;
    let asked = try_sentence(&mut browser, "Can I talk to a person please?").await;
    assert!(asked.contains("Hands over to a person: the visitor asked for a person"), "{asked}");
    let rule = try_sentence(&mut browser, "My charger caught fire").await;
    assert!(rule.contains("rule: safety issue"), "{rule}");
    let plain = try_sentence(&mut browser, "How long does shipping take?").await;
    assert!(plain.contains("no trigger fires"), "{plain}");

    let bad = browser
        .submit(
            "/admin/sites/demo/triggers",
            "/admin/sites/demo/triggers",
            &[
                ("frustration", "on"),
                ("frustration_threshold", "2"),
                ("frustration_action", "offer"),
                ("min_confidence", "0.2"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("id=\"f-frustration_threshold-error\""), "{}", bad.body);

    // Requests in words off (the box unticked): the same sentence no longer hands over.
    let saved = browser
        .submit(
            "/admin/sites/demo/triggers",
            "/admin/sites/demo/triggers",
            &[
                ("frustration", "on"),
                ("frustration_threshold", "0.6"),
                ("frustration_action", "offer"),
                ("min_confidence", "0.2"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert!(saved.body.contains("Triggers saved."), "{}", saved.body);
    let now = try_sentence(&mut browser, "Can I talk to a person please?").await;
    assert!(now.contains("no trigger fires"), "{now}");
    let log = browser.get("/admin/sites/demo").await;
    assert!(log.body.contains("triggers.explicit_request.enabled: set to false"), "{}", log.body);
}

/// Posts the Triggers page's topic form with `fields` (and the page's CSRF token).
async fn topic_form(browser: &mut Dashboard, fields: &[(&str, &str)]) -> Page {
    browser.submit("/admin/sites/demo/triggers", "/admin/sites/demo/triggers/topics", fields).await
}

/// The error shown at the Triggers page's field `id` (`f-topic-name`).
fn field_error<'a>(page: &'a Page, id: &str) -> &'a str {
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", page.body);
    between(&page.body, &format!("id=\"{id}-error\">"), '<')
}

#[tokio::test]
async fn a_topic_added_in_the_triggers_page_fires_live_and_bad_ones_are_refused_at_the_field() {
    let db = TestDb::new();
    let (relay, mut browser) = signed_in_owner(&db).await;
    let _agent = AgentSocket::connect(&relay.ws_base(), DEMO_TOKEN).await; // someone is available
    let sentence = "I want my money back for this jacket";
    let before = try_sentence(&mut browser, sentence).await;
    assert!(before.contains("no trigger fires"), "{before}");

    let added = topic_form(
        &mut browser,
        &[
            ("action", "save"),
            ("topic.name", " refunds "),
            ("topic.cues", "refund\n\n money back \n"),
            ("topic.always_human", "on"),
        ],
    )
    .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    assert!(added.body.contains("Topic “refunds” added."), "{}", added.body);
    assert!(added.body.contains("<td>refunds</td><td>refund, money back</td><td>yes</td>"), "{}", added.body);
    let now = try_sentence(&mut browser, sentence).await;
    assert!(now.contains("Hands over to a person: topic: refunds (always handled by a person)"), "{now}");

    // A widget conversation saying a cue is handed over, tagged with the topic.
    let (mut visitor, id, _) = WidgetClient::greeted(&relay.ws_url()).await;
    visitor.send(&ClientFrame::Send { client_id: "r1".into(), text: sentence.into(), attachments: vec![] }).await;
    visitor.until_phase(shared::Phase::Waiting).await;
    let api = AgentApi::new(&relay.http_url(), DEMO_TOKEN);
    let conversation = api.get(&format!("/conversations/{id}")).await.1["conversation"].clone();
    assert_eq!((&conversation["reason"], &conversation["topic"]), (&json!("topic"), &json!("refunds")));

    // Refused at the field, nothing saved: empty or taken names, too many or too long cues,
    // a pattern that does not compile.
    let empty = topic_form(&mut browser, &[("action", "save"), ("topic.name", "  "), ("topic.cues", "x")]).await;
    assert_eq!(field_error(&empty, "f-topic-name"), "A name is needed.");
    assert!(empty.body.contains("aria-invalid=\"true\""), "{}", empty.body);
    let taken = topic_form(&mut browser, &[("action", "save"), ("topic.name", "Refunds"), ("topic.cues", "x")]).await;
    assert!(field_error(&taken, "f-topic-name").contains("already named &quot;refunds&quot;"), "{}", taken.body);
    let many = vec!["cue"; 101].join("\n");
    let crowded = topic_form(&mut browser, &[("action", "save"), ("topic.name", "many"), ("topic.cues", &many)]).await;
    assert_eq!(field_error(&crowded, "f-topic-cues"), "At most 100 cues, not 101.");
    assert!(crowded.body.contains(&many), "what was typed stays in the form");
    let long = "a".repeat(81);
    let long = topic_form(&mut browser, &[("action", "save"), ("topic.name", "long"), ("topic.cues", &long)]).await;
    assert!(field_error(&long, "f-topic-cues").contains("longer than 80 characters"), "{}", long.body);
    let none = topic_form(&mut browser, &[("action", "save"), ("topic.name", "quiet"), ("topic.cues", "")]).await;
    assert_eq!(field_error(&none, "f-topic-cues"), "A topic needs at least one cue.");
    let pattern = browser
        .submit(
            "/admin/sites/demo/triggers",
            "/admin/sites/demo/triggers/rules",
            &[("action", "save"), ("rule.name", "legal"), ("rule.patterns", "(lawyer")],
        )
        .await;
    assert!(field_error(&pattern, "f-rule-patterns").contains("does not compile"), "{}", pattern.body);
    let page = browser.get("/admin/sites/demo/triggers").await;
    assert!(!page.body.contains("<td>many</td>") && !page.body.contains("<td>legal</td>"), "{}", page.body);

    // Edited (no longer always a person): named as the topic, and the bot answers.
    let edit = browser.get("/admin/sites/demo/triggers?topic=2").await;
    assert!(edit.body.contains("Edit topic “refunds”"), "{}", edit.body);
    let stale = topic_form(
        &mut browser,
        &[("action", "save"), ("at", "2"), ("was", "returns"), ("topic.name", "refunds"), ("topic.cues", "refund")],
    )
    .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "another name at that place: the list changed");
    let edited = topic_form(
        &mut browser,
        &[
            ("action", "save"),
            ("at", "2"),
            ("was", "refunds"),
            ("topic.name", "refunds"),
            ("topic.cues", "refund\nmoney back"),
        ],
    )
    .await;
    assert!(edited.body.contains("Topic “refunds” saved."), "{}", edited.body);
    let tagged =
        browser.submit("/admin/sites/demo/triggers", "/admin/sites/demo/triggers/try", &[("sentence", sentence)]).await;
    assert!(tagged.body.contains("<dt>Topic</dt><dd>refunds</dd>"), "{}", tagged.body);
    assert!(between(&tagged.body, "data-testid=\"outcome\">", '<').contains("no trigger fires"), "{}", tagged.body);

    let removed = topic_form(&mut browser, &[("action", "remove"), ("at", "2"), ("was", "refunds")]).await;
    assert!(removed.body.contains("Topic “refunds” removed."), "{}", removed.body);
    assert!(!removed.body.contains("<td>refunds</td>"), "{}", removed.body);
    let gone = try_sentence(&mut browser, sentence).await;
    assert!(gone.contains("no trigger fires"), "{gone}");
    let log = browser.get("/admin/sites/demo").await;
    assert_eq!(log.body.matches("settings.triggers.topics").count(), 3, "added, edited, removed: {}", log.body);
}

#[tokio::test]
async fn the_cli_creates_an_owner_who_can_sign_in_and_setup_is_then_closed() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("baton.toml");
    std::fs::write(&file, format!("database_url = {:?}\n", db.url)).unwrap();
    let create = |email: &str| {
        std::process::Command::new(baton_tests::process::binary())
            .args(["create-owner", email, "Cli Owner"])
            .env("BATON_CONFIG", &file)
            .env("BATON_OWNER_PASSWORD", PASSWORD)
            .output()
            .expect("running baton-relay create-owner")
    };
    let made = create("cli@example.com");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    assert!(String::from_utf8_lossy(&made.stdout).contains("owner cli@example.com created"));
    let again = create("cli@example.com");
    assert!(!again.status.success(), "the same email twice");
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("exists already"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );

    let relay = TestRelay::start_with(config(&db)).await;
    let mut browser = Dashboard::new(&relay.http_url());
    assert!(browser.get("/admin/").await.redirects_to("/admin/sign-in"), "an owner exists: no setup");
    assert!(browser.get("/admin/setup").await.redirects_to("/admin/sign-in"));
    assert!(browser.sign_in("cli@example.com", PASSWORD).await.redirects_to("/admin/"));
    assert_eq!(browser.get("/admin/sites/demo/handover").await.status, StatusCode::OK);
}

#[tokio::test]
async fn office_hours_set_in_the_dashboard_close_and_open_the_handover_live() {
    let db = TestDb::new();
    let (relay, mut browser) = signed_in_owner(&db).await;
    let _agent = AgentSocket::connect(&relay.ws_base(), DEMO_TOKEN).await;
    let page = "/admin/sites/demo/office-hours";
    let bad = browser.submit(page, page, &[("timezone", "Nowhere/City"), ("sun", "03:00-03:01")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("id=\"f-timezone-error\""), "{}", bad.body);
    let backwards = browser.submit(page, page, &[("timezone", "UTC"), ("tue", "17:00-09:00")]).await;
    assert!(backwards.body.contains("id=\"f-tue-error\""), "{}", backwards.body);

    // One minute a week (baton_tests::one_minute_office_hours): closed whenever this runs.
    let closed = browser.submit(page, page, &[("timezone", "Pacific/Kiritimati"), ("sun", "03:00-03:01")]).await;
    assert_eq!(closed.status, StatusCode::OK, "{}", closed.body);
    if baton_tests::office_hours_open_now() {
        return;
    }
    assert!(closed.body.contains("Closed now"), "{}", closed.body);
    let (mut visitor, _, _) = WidgetClient::greeted(&relay.ws_url()).await;
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_message(shared::Role::Bot, "nobody from our team is available").await;

    let open = browser.submit(page, page, &[("always", "on"), ("timezone", "UTC")]).await;
    assert!(open.body.contains("Always open"), "{}", open.body);
    let (mut visitor, _, _) = WidgetClient::greeted(&relay.ws_url()).await;
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_message(shared::Role::Bot, "bringing in a person").await;
}

/// The text in `body` between `start` and the next `end`.
fn between<'a>(body: &'a str, start: &str, end: char) -> &'a str {
    let at = body.find(start).unwrap_or_else(|| panic!("no {start:?} in {body}")) + start.len();
    &body[at..at + body[at..].find(end).unwrap()]
}

#[tokio::test]
async fn an_invited_agent_joins_once_and_a_revoked_one_is_out_at_once() {
    let db = TestDb::new();
    let (relay, mut owner) = signed_in_owner(&db).await;
    let bad = owner.submit("/admin/agents", "/admin/agents", &[("name", ""), ("email", "not an email")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Enter the agent") && bad.body.contains("Choose at least one"), "{}", bad.body);
    assert!(
        bad.body.contains("<fieldset aria-describedby=\"f-sites-error\">"),
        "the group names its error: {}",
        bad.body
    );
    let made = owner
        .submit(
            "/admin/agents",
            "/admin/agents",
            &[("name", "Alex Agent"), ("email", "Alex@Example.com"), ("site:demo", "on")],
        )
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    let token = between(&made.body, "/admin/invite?token=", '"').to_string();

    let mut agent = Dashboard::new(&relay.http_url());
    let join = format!("/admin/invite?token={token}");
    let short = agent.submit(&join, "/admin/invite", &[("token", &token), ("password", "short")]).await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    let joined = agent.submit(&join, "/admin/invite", &[("token", &token), ("password", PASSWORD)]).await;
    assert!(joined.redirects_to("/admin/sign-in"), "{joined:?}");
    let mut again = Dashboard::new(&relay.http_url());
    let spent = again.submit(&join, "/admin/invite", &[("token", &token), ("password", PASSWORD)]).await;
    assert_eq!(spent.status, StatusCode::GONE, "the link works once");

    assert!(agent.sign_in("alex@example.com", PASSWORD).await.redirects_to("/admin/"));
    let inbox = agent.get("/admin/inbox").await;
    assert!(inbox.body.contains("<li>demo</li>"), "{}", inbox.body);
    assert_eq!(agent.get("/admin/agents").await.status, StatusCode::FORBIDDEN, "agents do not invite");

    // The inbox signs the agent in by the dashboard session (an empty token) from the relay's
    // own pages only; another site's page cannot ride on the cookie.
    let own_origin = ("origin", relay.http_url());
    let cookie = ("cookie", agent.cookie_header());
    let mut inbox_socket = AgentSocket::sign_in_with(&relay.ws_base(), "", &[cookie.clone(), own_origin.clone()])
        .await
        .expect("signed in by session");
    assert_eq!(inbox_socket.ready["agent"]["name"], "Alex Agent", "{}", inbox_socket.ready);
    assert_eq!(inbox_socket.ready["agent"]["sites"], json!(["demo"]), "{}", inbox_socket.ready);
    let foreign = ("origin", "https://evil.example".to_string());
    let refused = AgentSocket::sign_in_with(&relay.ws_base(), "", &[cookie.clone(), foreign]).await.err();
    assert_eq!(refused.map(|(code, _)| code), Some(4003), "a foreign page's upgrade is not signed in by the cookie");
    let anonymous = AgentSocket::sign_in_with(&relay.ws_base(), "", std::slice::from_ref(&own_origin)).await.err();
    assert_eq!(anonymous.map(|(code, _)| code), Some(4003), "no session, no sign-in");

    let list = owner.get("/admin/agents").await;
    assert!(list.body.contains("alex@example.com"), "{}", list.body);
    let id = between(&list.body, "action=\"/admin/agents/", '/').to_string();
    let revoked = owner.submit("/admin/agents", &format!("/admin/agents/{id}/revoke"), &[]).await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    assert!(revoked.body.contains("can no longer sign in"), "{}", revoked.body);
    let closed = tokio::time::timeout(std::time::Duration::from_secs(2), inbox_socket.closed()).await;
    assert_eq!(closed.expect("the open inbox socket closes at once"), (4003, "revoked".to_string()));
    let after = AgentSocket::sign_in_with(&relay.ws_base(), "", &[cookie, own_origin]).await.err();
    assert_eq!(after.map(|(code, _)| code), Some(4003), "the revoked session signs nobody in");
    assert!(agent.get("/admin/inbox").await.redirects_to("/admin/sign-in"), "the session ended with the account");
    assert_eq!(agent.sign_in("alex@example.com", PASSWORD).await.status, StatusCode::UNAUTHORIZED);

    let store = store::connect(&db.url).await.unwrap();
    let actions: Vec<String> = store.admin().audit_log(None, 10).await.unwrap().into_iter().map(|e| e.action).collect();
    assert_eq!(actions[..3], ["agent.revoke", "agent.join", "agent.invite"], "{actions:?}");
}

#[tokio::test]
async fn the_chat_page_renames_the_bot_and_sets_generates_and_removes_the_identity_secret() {
    let db = TestDb::new();
    let (relay, mut browser) = signed_in_owner(&db).await;
    let page = "/admin/sites/demo/chat";
    let empty = browser.submit(page, page, &[("bot_name", " "), ("greeting", "Hello")]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("id=\"f-bot_name-error\""), "{}", empty.body);

    let greeting = "Hello from the dashboard!";
    let saved = browser
        .submit(page, page, &[("bot_name", "Dash"), ("greeting", greeting), ("identity_secret", "a-new-secret-wxyz")])
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert!(saved.body.contains("ends in …wxyz"), "{}", saved.body);
    assert!(!saved.body.contains("a-new-secret-wxyz"), "never shown again in full");
    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    let first = visitor.until_message(shared::Role::Bot, "").await;
    assert_eq!(first.text, greeting);

    let generated =
        browser.submit(page, page, &[("bot_name", "Dash"), ("greeting", greeting), ("generate_secret", "on")]).await;
    assert!(generated.body.contains("copy it now"), "{}", generated.body);
    let removed =
        browser.submit(page, page, &[("bot_name", "Dash"), ("greeting", greeting), ("remove_secret", "on")]).await;
    assert!(removed.body.contains("Not set"), "{}", removed.body);
    let log = browser.get("/admin/sites/demo").await;
    assert!(
        log.body.contains("identity_secret: set to (secret)") || log.body.contains("identity_secret: (secret)"),
        "{}",
        log.body
    );
    assert!(!log.body.contains("a-new-secret-wxyz"), "the audit log masks secrets");
}

#[tokio::test]
async fn insights_count_a_scripted_set_of_conversations_and_export_them_as_csv() {
    let db = TestDb::new();
    let (relay, mut browser) = signed_in_owner(&db).await;
    let mut agent = AgentSocket::connect(&relay.ws_base(), DEMO_TOKEN).await;
    // Four conversations today, one of them handed to a person, who joins after a second or
    // more and answers; two others ask the same thing the bot cannot answer (in other case).
    let mut visitors = Vec::new();
    let mut ids = Vec::new();
    for _ in 0..4 {
        let (visitor, id, _) = WidgetClient::greeted(&relay.ws_url()).await;
        visitors.push(visitor);
        ids.push(id);
    }
    visitors[0].send(&ClientFrame::RequestHandover).await;
    visitors[0].until_message(shared::Role::Bot, "bringing in a person").await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    agent.send(json!({"type": "accept", "conversation_id": ids[0]})).await;
    visitors[0].until_message(shared::Role::System, "joined").await;
    agent.send(json!({"type": "send", "conversation_id": ids[0], "text": "Hello, how can I help?"})).await;
    visitors[0].until_message(shared::Role::Agent, "how can I help").await;
    for (visitor, question) in [(1, "Is the CEO married?"), (2, "is the ceo married?")] {
        visitors[visitor]
            .send(&ClientFrame::Send { client_id: "q1".into(), text: question.into(), attachments: vec![] })
            .await;
        let answer = visitors[visitor].until_message(shared::Role::Bot, "").await;
        assert!(answer.text.contains("can't answer"), "{}", answer.text);
    }

    let today = chrono::Utc::now().date_naive();
    let page = browser.get("/admin/sites/demo/insights").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let totals = between(&page.body, "data-testid=\"totals\">", '<');
    assert!(totals.starts_with("4 conversations, 1 handed to a person (25 %)"), "{totals}");
    assert!(page.body.contains("<td>explicit_request</td><td>1</td>"), "{}", page.body);
    assert!(page.body.contains("<td>builtin</td><td>1</td>"), "{}", page.body);
    assert!(page.body.contains("<svg class=\"chart\""), "{}", page.body);
    let waiting = between(&page.body, "data-testid=\"waiting\">", '<');
    assert!(waiting.starts_with("Waiting for a person: median ") && waiting.ends_with("(1 handover)."), "{waiting}");
    let reply = between(&page.body, "data-testid=\"first-reply\">", '<');
    assert!(reply.starts_with("Until the agent's first reply: median ") && reply.ends_with("(1 handover)."), "{reply}");
    // One row for both wordings (either one may be the one shown).
    assert!(page.body.to_lowercase().contains("<td>is the ceo married?</td><td>2</td>"), "{}", page.body);

    let csv = browser.get(&format!("/admin/sites/demo/insights.csv?from={today}&to={today}")).await;
    let mut lines = csv.body.lines();
    assert_eq!(lines.next(), Some("day,conversations,handed_over,median_wait_s,median_first_reply_s"));
    let row: Vec<&str> = lines.next().expect("today's row").split(',').collect();
    assert_eq!(row[..3], [today.to_string().as_str(), "4", "1"], "{}", csv.body);
    let (wait, first_reply): (i64, i64) = (row[3].parse().expect("a wait"), row[4].parse().expect("a first reply"));
    assert!(wait >= 1 && first_reply >= wait, "waited {wait} s, first reply after {first_reply} s");
    let earlier = today - chrono::Duration::days(3);
    let before = browser.get(&format!("/admin/sites/demo/insights.csv?from={earlier}&to={earlier}")).await;
    assert_eq!(
        before.body,
        format!("day,conversations,handed_over,median_wait_s,median_first_reply_s\n{earlier},0,0,,\n")
    );
    let backwards = browser.get(&format!("/admin/sites/demo/insights?from={today}&to={earlier}")).await;
    assert!(backwards.body.contains("The first day comes after the last."), "{}", backwards.body);
}

/// The key the channel tests seal credentials with (32 bytes, base64).
const SECRET_KEY: &str = "Y2hhbm5lbHMtdGVzdC1rZXktMzItYnl0ZXMtbG9uZyE=";

/// A relay with the sealing key, its first owner signed in.
async fn owner_with_secret_key(db: &TestDb) -> (TestRelay, Dashboard) {
    let mut config = config(db);
    config.secret_key = Some(relay::config::SecretKey::new(SECRET_KEY));
    signed_in_owner_with(config).await
}

const CHANNELS: &str = "/admin/sites/demo/channels";

/// Sends the Channels form of `kind` with `action` (`save` or `test`) and `fields`.
async fn channels(browser: &mut Dashboard, kind: &str, action: &str, fields: &[(&str, &str)]) -> Page {
    let mut all = vec![("kind", kind), ("action", action)];
    all.extend_from_slice(fields);
    browser.submit(&format!("{CHANNELS}?kind={kind}"), CHANNELS, &all).await
}

/// Intercom's settings pointing at `sim`.
fn intercom_fields(sim: &intercom::Intercom) -> Vec<(&'static str, String)> {
    vec![
        ("p.access_token", intercom::TOKEN.to_string()),
        ("p.base_url", sim.url()),
        ("p.timeout_seconds", "3".to_string()),
        ("w.client_secret", intercom::CLIENT_SECRET.to_string()),
    ]
}

fn borrowed<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(name, value)| (*name, value.as_str())).collect()
}

/// Every file of the SQLite database (with its write-ahead log) as bytes.
fn database_bytes(db: &TestDb) -> Vec<u8> {
    let path = db.url.trim_start_matches("sqlite://").split('?').next().unwrap().to_string();
    let mut bytes = Vec::new();
    for file in [path.clone(), format!("{path}-wal"), format!("{path}-shm")] {
        bytes.extend(std::fs::read(&file).unwrap_or_default());
    }
    assert!(!bytes.is_empty(), "no database at {path}");
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle.as_bytes())
}

#[tokio::test]
async fn the_channels_page_switches_to_a_helpdesk_live_and_handed_over_conversations_stay_where_they_are() {
    let db = TestDb::new();
    let (relay, mut browser) = owner_with_secret_key(&db).await;
    let sim = intercom::Intercom::start().await;
    let hook = format!("{}/webhooks/intercom/demo", relay.http_url());

    // Before: the built-in inbox. A visitor is handed over and an inbox agent takes them.
    let mut agent = AgentSocket::connect(&relay.ws_base(), DEMO_TOKEN).await;
    let (mut inbox_visitor, inbox_id, _) = WidgetClient::greeted(&relay.ws_url()).await;
    inbox_visitor.send(&ClientFrame::RequestHandover).await;
    inbox_visitor.until_message(shared::Role::Bot, "bringing in a person").await;
    agent.send(json!({"type": "accept", "conversation_id": inbox_id})).await;
    inbox_visitor.until_phase(shared::Phase::Agent).await;

    // Every helpdesk of the registry can be chosen; each field is labelled.
    let page = browser.get(CHANNELS).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Handovers go to: <strong>Built-in inbox</strong>"), "{}", page.body);
    for label in [
        "Built-in inbox",
        "Link to a contact page",
        "Intercom",
        "Zendesk Messaging",
        "Zendesk tickets",
        "HubSpot",
        "Freshchat",
        "Freshdesk",
        "Gorgias",
    ] {
        assert!(page.body.contains(&format!(">{label}</option>")), "{label}: {}", page.body);
    }
    let form = browser.get(&format!("{CHANNELS}?kind=intercom")).await;
    assert!(form.body.contains("<label for=\"f-p-access_token\">Access token (required)</label>"), "{}", form.body);
    assert!(form.body.contains(&format!("{}/webhooks/intercom/demo", relay.http_url())), "the webhook address");

    // The connector's own settings type judges the form: errors at their fields, nothing saved.
    let fields = intercom_fields(&sim);
    let missing: Vec<_> = borrowed(&fields).into_iter().filter(|(name, _)| *name != "p.access_token").collect();
    let refused = channels(&mut browser, "intercom", "save", &missing).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(refused.body.contains("id=\"f-p-access_token-error\""), "{}", refused.body);
    let mut weak = borrowed(&fields);
    weak.retain(|(name, _)| *name != "w.client_secret");
    weak.push(("w.client_secret", "short"));
    let refused = channels(&mut browser, "intercom", "save", &weak).await;
    assert!(refused.body.contains("id=\"f-w-client_secret-error\""), "{}", refused.body);
    assert!(browser.get(CHANNELS).await.body.contains("<strong>Built-in inbox</strong>"));

    let saved = channels(&mut browser, "intercom", "save", &borrowed(&fields)).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert!(saved.body.contains("Saved: new handovers go to Intercom"), "{}", saved.body);
    assert!(saved.body.contains("Handovers go to: <strong>Intercom</strong>"), "{}", saved.body);
    assert!(saved.body.contains("Set (ends …oken)"), "only the last four: {}", saved.body);
    assert!(!saved.body.contains(intercom::TOKEN) && !saved.body.contains(intercom::CLIENT_SECRET));

    // The conversation handed to the inbox before the switch stays there: its agent still answers.
    agent.send(json!({"type": "send", "conversation_id": inbox_id, "text": "Still here from the inbox."})).await;
    inbox_visitor.until_message(shared::Role::Agent, "Still here from the inbox.").await;

    // A new handover goes to Intercom, without a restart, and Intercom's agent answers.
    let (mut visitor, _, resume) = WidgetClient::greeted(&relay.ws_url()).await;
    visitor.send(&ClientFrame::RequestHandover).await;
    let remote = wait_for(|| sim.last_conversation().map(|(id, _)| id)).await;
    let (status, _) = intercom::Intercom::agent_reply(&hook, &remote, "Hello from Intercom.").await;
    assert_eq!(status, 200);
    visitor.until_message(shared::Role::Agent, "Hello from Intercom.").await;

    // Switching again (back to the inbox) leaves that conversation with Intercom too.
    let back = channels(&mut browser, "builtin", "save", &[]).await;
    assert!(back.body.contains("Handovers go to: <strong>Built-in inbox</strong>"), "{}", back.body);
    let (status, _) = intercom::Intercom::agent_reply(&hook, &remote, "Intercom again after the switch.").await;
    assert_eq!(status, 200);
    visitor.until_message(shared::Role::Agent, "Intercom again after the switch.").await;

    // Audited with the secrets masked; never in the export, nor in plain text in the database.
    let overview = browser.get("/admin/sites/demo").await;
    assert!(overview.body.contains("settings.channels"), "{}", overview.body);
    assert!(
        overview.body.contains("provider.kind: &quot;builtin&quot; -&gt; &quot;intercom&quot;")
            || overview.body.contains("provider.kind: set to &quot;intercom&quot;"),
        "{}",
        overview.body
    );
    assert!(overview.body.contains("provider.access_token: set to (secret)"), "{}", overview.body);
    assert!(!overview.body.contains(intercom::TOKEN) && !overview.body.contains(intercom::CLIENT_SECRET));
    let export = browser.get("/admin/sites/demo/export").await;
    assert!(!export.body.contains(intercom::TOKEN) && !export.body.contains(intercom::CLIENT_SECRET));
    let bytes = database_bytes(&db);
    assert!(contains(&bytes, "sealed:v1:"), "the credentials are stored sealed");
    assert!(!contains(&bytes, intercom::TOKEN), "the access token is not in the database in plain text");
    assert!(!contains(&bytes, intercom::CLIENT_SECRET), "nor the webhook secret");

    // After a restart the sealed credentials open again with the key.
    relay.stop().await;
    let mut config = config(&db);
    config.secret_key = Some(relay::config::SecretKey::new(SECRET_KEY));
    let relay = TestRelay::start_with(config).await;
    let (status, _) = intercom::Intercom::agent_reply(
        &format!("{}/webhooks/intercom/demo", relay.http_url()),
        &remote,
        "And after a restart.",
    )
    .await;
    assert_eq!(status, 200, "the webhook secret opened after the restart");
    // The visitor still with Intercom writes again: Intercom, no longer in use, still gets it.
    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), Some(&resume), 0).await;
    visitor.until_message(shared::Role::Agent, "And after a restart.").await;
    let text = "Forwarded after the restart";
    visitor.send(&baton_tests::widget_client::send_text("after-restart", text)).await;
    wait_for(|| sim.last_conversation().filter(|(_, parts)| parts.iter().any(|p| p["body"] == text))).await;
}

/// Polls `what` until it gives a value (10 s at most).
async fn wait_for<T>(what: impl Fn() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Some(value) = what() {
            return value;
        }
        assert!(std::time::Instant::now() < deadline, "timed out waiting");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The outcome a "Test connection" shows.
fn outcome(page: &Page) -> String {
    between(&page.body, "data-testid=\"test-outcome\">", '<').to_string()
}

#[tokio::test]
async fn test_connection_names_the_helpdesk_user_or_says_wrong_credentials_timeout_or_unreachable() {
    let db = TestDb::new();
    let (_relay, mut browser) = owner_with_secret_key(&db).await;
    let sim = intercom::Intercom::start().await;
    let fields = intercom_fields(&sim);

    let ok = channels(&mut browser, "intercom", "test", &borrowed(&fields)).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(outcome(&ok), "Connected: Intercom admin Baton Bot &lt;bot@example.com&gt;.");
    assert_eq!(sim.traffic.asked("GET /me"), 1, "one read-only call");
    assert!(sim.traffic.requests().iter().all(|(what, _)| what.starts_with("GET ")), "nothing written");
    assert!(browser.get(CHANNELS).await.body.contains("<strong>Built-in inbox</strong>"), "a test saves nothing");

    let mut wrong = borrowed(&fields);
    wrong[0].1 = "not-the-token";
    let refused = channels(&mut browser, "intercom", "test", &wrong).await;
    assert!(
        outcome(&refused).starts_with("Wrong credentials: the helpdesk refused them (401 Unauthorized)"),
        "{}",
        outcome(&refused)
    );

    // A helpdesk that never answers: the test ends at its bound (the form's 3 s timeout).
    sim.traffic.set_mode(baton_tests::sim::Mode::BlackHole);
    let started = std::time::Instant::now();
    let late = channels(&mut browser, "intercom", "test", &borrowed(&fields)).await;
    let took = started.elapsed();
    assert!(outcome(&late).starts_with("Timed out: the helpdesk did not answer within 3 s"), "{}", outcome(&late));
    assert!(took >= std::time::Duration::from_secs(3) && took < std::time::Duration::from_secs(6), "{took:?}");

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let mut unreachable = borrowed(&fields);
    unreachable[1].1 = &nowhere;
    let down = channels(&mut browser, "intercom", "test", &unreachable).await;
    assert!(outcome(&down).starts_with("Unreachable"), "{}", outcome(&down));
}

#[tokio::test]
async fn without_a_secret_key_the_channels_page_says_credentials_cannot_be_saved() {
    let db = TestDb::new();
    let (_relay, mut browser) = signed_in_owner(&db).await;
    let sim = intercom::Intercom::start().await;
    let page = browser.get(CHANNELS).await;
    assert!(page.body.contains("BATON_SECRET_KEY is not set"), "{}", page.body);
    let refused = channels(&mut browser, "intercom", "save", &borrowed(&intercom_fields(&sim))).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(refused.body.contains("id=\"f-p-access_token-error\""), "{}", refused.body);
    // Testing needs no key; a provider without secrets can still be chosen.
    let ok = channels(&mut browser, "intercom", "test", &borrowed(&intercom_fields(&sim))).await;
    assert!(outcome(&ok).starts_with("Connected"), "{}", outcome(&ok));
    // A required field left empty is named at its field, not as the settings type's "missing field".
    let empty = channels(&mut browser, "link", "save", &[("p.url", "")]).await;
    assert!(field_error(&empty, "f-p-url").ends_with("is required."), "{}", empty.body);
    let link = channels(&mut browser, "link", "save", &[("p.url", "https://shop.example/contact")]).await;
    assert!(link.body.contains("Handovers go to: <strong>Link to a contact page</strong>"), "{}", link.body);
}

/// The theme a new widget connection to the demo site is welcomed with.
async fn welcome_theme(relay: &TestRelay) -> Theme {
    let (_, welcome) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    let ServerFrame::Welcome { theme, .. } = welcome else { unreachable!() };
    theme
}

#[tokio::test]
async fn the_appearance_page_themes_new_widgets_live_and_refuses_bad_values_at_their_field() {
    let db = TestDb::new();
    let mut config = config(&db);
    config.sites.get_mut("demo").unwrap().theme.avatar = Some("https://cdn.example/logo.png".into());
    let (relay, mut browser) = signed_in_owner_with(config).await;
    let page = "/admin/sites/demo/appearance";
    let shown = browser.get(page).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.body.contains("value=\"https://cdn.example/logo.png\""), "the file's avatar: {}", shown.body);
    assert!(shown.body.contains("data-primary=\"#4f46e5\""), "no colour set: the widget's own: {}", shown.body);

    // A colour that is none and a script URL: each refused at its field, nothing saved.
    let bad =
        browser.submit(page, page, &[("action", "save"), ("primary", "red"), ("avatar", "javascript:alert(1)")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    for name in ["primary", "avatar"] {
        assert!(
            bad.body.contains(&format!("aria-describedby=\"f-{name}-hint f-{name}-error\"")),
            "{name}: {}",
            bad.body
        );
        assert!(bad.body.contains(&format!("id=\"f-{name}-error\"")), "{name}: {}", bad.body);
    }
    assert!(bad.body.contains("#rgb or #rrggbb"), "{}", bad.body);
    let forged = browser.submit(page, page, &[("action", "save"), ("position", "top")]).await;
    assert!(forged.body.contains("id=\"f-position-error\""), "{}", forged.body);
    assert_eq!(welcome_theme(&relay).await.primary, None);

    // A preview shows the text the widget writes on the colour (yellow: near-black), saves nothing.
    let preview = browser.submit(page, page, &[("action", "preview"), ("primary", "#fc0")]).await;
    assert_eq!(preview.status, StatusCode::OK);
    assert!(preview.body.contains("data-primary=\"#ffcc00\" data-on-primary=\"#050505\""), "{}", preview.body);
    assert!(preview.body.contains("meets WCAG AA"), "{}", preview.body);
    assert_eq!(welcome_theme(&relay).await.primary, None, "a preview saves nothing");

    // Saved: the next widget is welcomed with the new look, the file's avatar taken away.
    let fields = [
        ("action", "save"),
        ("primary", "#0b6e4f"),
        ("position", "left"),
        ("title", "Northwind help"),
        ("avatar", ""),
        ("greeting", "Questions? We answer."),
        ("scheme", "dark"),
    ];
    let saved = browser.submit(page, page, &fields).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert!(saved.body.contains("Saved."), "{}", saved.body);
    assert!(saved.body.contains("data-primary=\"#0b6e4f\" data-on-primary=\"#ffffff\""), "{}", saved.body);
    let expected = Theme {
        primary: Some("#0b6e4f".into()),
        position: Some("left".into()),
        title: Some("Northwind help".into()),
        avatar: None,
        greeting: Some("Questions? We answer.".into()),
        scheme: Some("dark".into()),
    };
    assert_eq!(welcome_theme(&relay).await, expected);

    // Audited; and kept over the file after a restart.
    let overview = browser.get("/admin/sites/demo").await;
    assert!(overview.body.contains("settings.appearance"), "{}", overview.body);
    assert!(overview.body.contains("theme.primary: set to"), "{}", overview.body);
    assert!(overview.body.contains("href=\"/admin/sites/demo/appearance\""), "linked: {}", overview.body);
    relay.stop().await;
    let mut config = self::config(&db);
    config.sites.get_mut("demo").unwrap().theme.avatar = Some("https://cdn.example/logo.png".into());
    let relay = TestRelay::start_with(config).await;
    assert_eq!(welcome_theme(&relay).await, expected);
}

/// The label of the "Talk to a person" button a widget is welcomed with.
fn handover_button(welcome: &ServerFrame) -> &str {
    let ServerFrame::Welcome { handover_button, .. } = welcome else { panic!("not a welcome: {welcome:?}") };
    handover_button
}

/// Sends the Handover page's form for `language` with `fields`.
async fn handover_in(browser: &mut Dashboard, language: &str, fields: &[(&str, &str)]) -> Page {
    let page = format!("/admin/sites/demo/handover?lang={language}");
    browser.submit(&page, &page, fields).await
}

#[tokio::test]
async fn a_languages_handover_texts_set_in_the_dashboard_reach_its_visitors_and_empty_ones_are_the_default() {
    let db = TestDb::new();
    let (relay, mut browser) = signed_in_owner(&db).await;
    let _agent = AgentSocket::connect(&relay.ws_base(), DEMO_TOKEN).await;
    let german = browser.get("/admin/sites/demo/handover?lang=de").await;
    assert_eq!(german.status, StatusCode::OK);
    assert!(
        german.body.contains("aria-current=\"page\" lang=\"de\"")
            || german.body.contains("lang=\"de\" aria-current=\"page\""),
        "{}",
        german.body
    );
    assert!(german.body.contains("action=\"/admin/sites/demo/handover?lang=de\""), "{}", german.body);
    assert!(!german.body.contains("id=\"f-average_handling_minutes\""), "the same in every language: {}", german.body);
    assert_eq!(browser.get("/admin/sites/demo/handover?lang=%3Cb%3E").await.status, StatusCode::BAD_REQUEST);

    // A broken German template is refused at its field.
    let broken = handover_in(&mut browser, "de", &[("action", "save"), ("text_message", "Hallo {% if %}")]).await;
    assert_eq!(broken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(broken.body.contains("id=\"f-text_message-error\""), "{}", broken.body);

    // Previewed with the sample values and the wait in German; empty fields preview the default
    // (in Baton's German).
    let text = "Ich hole eine Person aus dem Team. Wartezeit: etwa {{ wait_estimate }}.";
    let fields =
        [("action", "preview"), ("text_message", text), ("request_button_text", "Mit einem Menschen sprechen")];
    let preview = handover_in(&mut browser, "de", &fields).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert!(preview.body.contains("Wartezeit: etwa 4 Minuten."), "{}", preview.body);
    // An empty field is what a German visitor gets: Baton's German for the default the site kept.
    assert!(
        preview.body.contains("Entschuldigung Ada, gerade ist niemand aus unserem Team erreichbar."),
        "the default unavailable text, in German: {}",
        preview.body
    );

    let saved = handover_in(
        &mut browser,
        "de",
        &[("action", "save"), ("text_message", text), ("request_button_text", "Mit einem Menschen sprechen")],
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert!(saved.body.contains("Saved."), "{}", saved.body);

    // A German visitor gets the German button and text; an English one the default.
    let (mut visitor, welcome) = WidgetClient::hello_speaking(&relay.ws_url(), "demo", &["de"]).await;
    assert_eq!(handover_button(&welcome), "Mit einem Menschen sprechen");
    visitor.send(&ClientFrame::RequestHandover).await;
    let started = visitor.until_message(shared::Role::Bot, "Ich hole eine Person").await;
    assert!(started.text.ends_with("etwa 3 Minuten."), "{}", started.text);
    let (mut visitor, welcome) = WidgetClient::hello_speaking(&relay.ws_url(), "demo", &["en"]).await;
    assert_eq!(handover_button(&welcome), "Talk to a person");
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_message(shared::Role::Bot, "bringing in a person").await;

    // The German text emptied: German visitors get the default text (Baton's German for it, the
    // site having kept Baton's default), and still the site's German button.
    let emptied = handover_in(&mut browser, "de", &[("action", "save"), ("text_message", "")]).await;
    assert_eq!(emptied.status, StatusCode::OK, "{}", emptied.body);
    let (mut visitor, welcome) = WidgetClient::hello_speaking(&relay.ws_url(), "demo", &["de"]).await;
    assert_eq!(handover_button(&welcome), "Mit einem Menschen sprechen");
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_message(shared::Role::Bot, "Ich hole eine Person aus unserem Team.").await;
    let overview = browser.get("/admin/sites/demo").await;
    assert!(overview.body.contains("handover.texts.de.text_message"), "audited: {}", overview.body);
}

/// The Office hours form: open every day all day in Kiritimati (UTC+14, no summer time) but on
/// `holidays`.
fn all_day_in_kiritimati(holidays: &str) -> Vec<(&str, &str)> {
    let mut fields: Vec<_> =
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].iter().map(|day| (*day, "00:00-23:59")).collect();
    fields.extend([("timezone", "Pacific/Kiritimati"), ("holidays", holidays)]);
    fields
}

#[tokio::test]
async fn a_holiday_set_in_the_dashboard_closes_the_handover_today_and_removing_it_opens_it_again() {
    let db = TestDb::new();
    let (relay, mut browser) = signed_in_owner(&db).await;
    let _agent = AgentSocket::connect(&relay.ws_base(), DEMO_TOKEN).await;
    let page = "/admin/sites/demo/office-hours";
    let bad = browser.submit(page, page, &all_day_in_kiritimati("2026-02-30")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("id=\"f-holidays-error\""), "{}", bad.body);
    assert!(bad.body.contains("aria-describedby=\"f-holidays-hint f-holidays-error\""), "{}", bad.body);
    let twice = browser.submit(page, page, &all_day_in_kiritimati("2026-12-25\n2026-12-25 Christmas")).await;
    assert!(twice.body.contains("2026-12-25 is listed twice"), "{}", twice.body);

    let local = chrono::Utc::now() + chrono::Duration::hours(14);
    let minute = local.format("%H:%M").to_string();
    if minute.as_str() >= "23:58" || minute.as_str() < "00:01" {
        return; // The day may turn while the test runs.
    }
    let today = local.date_naive().to_string();
    let holiday = format!("{today} Company day");
    let closed = browser.submit(page, page, &all_day_in_kiritimati(&holiday)).await;
    assert_eq!(closed.status, StatusCode::OK, "{}", closed.body);
    assert!(closed.body.contains(&format!("Closed today, {today}, a holiday (Company day)")), "{}", closed.body);
    let (mut visitor, _, _) = WidgetClient::greeted(&relay.ws_url()).await;
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_message(shared::Role::Bot, "nobody from our team is available").await;

    let open = browser.submit(page, page, &all_day_in_kiritimati("")).await;
    assert!(open.body.contains("Open now."), "{}", open.body);
    let (mut visitor, _, _) = WidgetClient::greeted(&relay.ws_url()).await;
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_message(shared::Role::Bot, "bringing in a person").await;
}

/// `GET /api/v1/sites/demo/widget`: the sound and proactive messages pages get.
async fn widget_settings(relay: &TestRelay) -> serde_json::Value {
    let url = format!("{}/api/v1/sites/demo/widget", relay.http_url());
    reqwest::get(&url).await.expect("the relay answers").json().await.expect("JSON")
}

#[tokio::test]
async fn the_attention_page_sets_the_sound_and_proactive_messages_live_and_refuses_what_the_file_would() {
    let db = TestDb::new();
    let file_config = |db: &TestDb| {
        let mut config = config(db);
        config.sites.get_mut("demo").unwrap().proactive = vec![relay::config::ProactiveRule {
            path: "/pricing*".into(),
            after_secs: 20,
            text: "Questions about our plans?".into(),
            texts: [("de".to_string(), "Fragen zu unseren Tarifen?".to_string())].into(),
        }];
        config
    };
    let (relay, mut browser) = signed_in_owner_with(file_config(&db)).await;
    let page = "/admin/sites/demo/attention";
    let shown = browser.get(page).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.body.contains("value=\"/pricing*\""), "the file's rule: {}", shown.body);
    assert!(shown.body.contains("de: Fragen zu unseren Tarifen?</textarea>"), "{}", shown.body);
    assert!(shown.body.contains("name=\"rows\" value=\"2\""), "the rule and one to add: {}", shown.body);
    let fingerprint = between(&shown.body, "name=\"shown\" value=\"", '"').to_string();
    let before = widget_settings(&relay).await;
    assert_eq!(before["sound"], false);

    // The file's rule as shown, and a second one from `extra`.
    let form = |extra: &[(&str, &str)]| -> Vec<(String, String)> {
        let first = [
            ("shown", fingerprint.as_str()),
            ("rows", "2"),
            ("path_0", "/pricing*"),
            ("after_secs_0", "20"),
            ("text_0", "Questions about our plans?"),
            ("texts_0", "de: Fragen zu unseren Tarifen?"),
        ];
        let extra_names: Vec<&str> = extra.iter().map(|(k, _)| *k).collect();
        let kept = first.into_iter().filter(|(k, _)| !extra_names.contains(k));
        kept.chain(extra.iter().copied()).map(|(k, v)| (k.to_string(), v.to_string())).collect()
    };
    let long = "x".repeat(281);
    // Each refused at its field, by the configuration's own rules; nothing saved.
    for (extra, at) in [
        (vec![("path_1", "pricing"), ("text_1", "Hi")], "f-path_1"),
        (vec![("path_1", "/a b"), ("text_1", "Hi")], "f-path_1"),
        (vec![("path_1", "/"), ("after_secs_1", "3601"), ("text_1", "Hi")], "f-after_secs_1"),
        (vec![("path_1", "/"), ("after_secs_1", "soon"), ("text_1", "Hi")], "f-after_secs_1"),
        (vec![("path_1", "/"), ("texts_1", "de: Hallo")], "f-text_1"),
        (vec![("path_1", "/"), ("text_1", long.as_str())], "f-text_1"),
        (vec![("path_1", "/"), ("text_1", "Hi"), ("texts_1", "DE: Hallo")], "f-texts_1"),
        (vec![("path_1", "/"), ("text_1", "Hi"), ("texts_1", "Hallo")], "f-texts_1"),
        (vec![("path_1", "/"), ("text_1", "Hi"), ("texts_1", "fr:  ")], "f-texts_1"),
    ] {
        let fields = form(&extra);
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let refused = browser.submit(page, page, &fields).await;
        let error = field_error(&refused, at);
        assert!(!error.is_empty(), "{extra:?}: {}", refused.body);
        assert!(refused.body.contains("aria-invalid=\"true\""), "{extra:?}");
    }
    assert_eq!(widget_settings(&relay).await, before, "nothing saved");

    // Saved: the sound on, the first rule changed, a second added; pages get them at once.
    let fields = form(&[
        ("sound", "on"),
        ("after_secs_0", "30"),
        ("path_1", "/checkout"),
        ("after_secs_1", "5"),
        ("text_1", "Need help paying?"),
        ("texts_1", "de: Hilfe beim Bezahlen?\r\nfr: Besoin d’aide pour payer ?"),
    ]);
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let saved = browser.submit(page, page, &fields).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert!(saved.body.contains("Saved."), "{}", saved.body);
    let expected = json!({"sound": true, "proactive": [
        {"path": "/pricing*", "after_secs": 30, "text": "Questions about our plans?", "texts": {"de": "Fragen zu unseren Tarifen?"}},
        {"path": "/checkout", "after_secs": 5, "text": "Need help paying?",
         "texts": {"de": "Hilfe beim Bezahlen?", "fr": "Besoin d’aide pour payer ?"}},
    ]});
    assert_eq!(widget_settings(&relay).await, expected);
    let overview = browser.get("/admin/sites/demo").await;
    assert!(overview.body.contains("settings.attention"), "audited: {}", overview.body);
    assert!(overview.body.contains("href=\"/admin/sites/demo/attention\""), "linked: {}", overview.body);

    // A form showing the list as it was before is refused whole (409): nothing changes.
    let stale = browser.submit(page, page, &[("shown", fingerprint.as_str()), ("rows", "1"), ("sound", "on")]).await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    assert!(stale.body.contains("changed meanwhile"), "{}", stale.body);
    assert_eq!(widget_settings(&relay).await, expected);

    // Removing the first and switching the sound off; kept over the file after a restart.
    let now = browser.get(page).await;
    let fingerprint = between(&now.body, "name=\"shown\" value=\"", '"').to_string();
    assert!(now.body.contains("name=\"rows\" value=\"3\""), "{}", now.body);
    let removed = browser
        .submit(
            page,
            page,
            &[
                ("shown", fingerprint.as_str()),
                ("rows", "3"),
                ("path_0", "/pricing*"),
                ("after_secs_0", "30"),
                ("text_0", "Questions about our plans?"),
                ("texts_0", "de: Fragen zu unseren Tarifen?"),
                ("remove_0", "on"),
                ("path_1", "/checkout"),
                ("after_secs_1", "5"),
                ("text_1", "Need help paying?"),
                ("texts_1", "de: Hilfe beim Bezahlen?\nfr: Besoin d’aide pour payer ?"),
            ],
        )
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    let left = json!({"sound": false, "proactive": [expected["proactive"][1].clone()]});
    assert_eq!(widget_settings(&relay).await, left);
    relay.stop().await;
    let relay = TestRelay::start_with(file_config(&db)).await;
    assert_eq!(widget_settings(&relay).await, left, "the document wins over the file after a restart");
}
