//! The visitor's language end to end (issue 13): a widget that says which languages its
//! visitor reads gets the site's handover texts in the first of them the site has texts for
//! (`[sites.<key>.handover.texts.<language>]`), else the site's default; the choice is stored
//! with the conversation, so it holds after a reconnect; a `language` frame switches it. The
//! site's `language` and `theme` reach the widget in `welcome`. Real relay, real SQLite.

use baton_tests::{
    agent_client::{AgentSocket, DEMO_TOKEN},
    test_config,
    widget_client::{hello_frame, WidgetClient},
    TestDb, TestRelay,
};
use relay::config::{Config, HandoverTexts, ThemeConfig};
use shared::{Action, ClientFrame, Phase, Role, ServerFrame, Theme};

/// The demo site with German and Brazilian Portuguese texts, German only in part.
fn config(db: &TestDb) -> Config {
    let mut config = test_config(db);
    let demo = config.sites.get_mut("demo").unwrap();
    demo.handover.texts.insert(
        "de".into(),
        HandoverTexts {
            templates: [
                (
                    "text_message".into(),
                    "Ich hole eine Person aus unserem Team. Die Wartezeit beträgt etwa {{ wait_estimate }}.".into(),
                ),
                (
                    "unavailable_message".into(),
                    "Leider ist{% if visitor_name %}, {{ visitor_name }},{% endif %} gerade niemand erreichbar.".into(),
                ),
            ]
            .into(),
            request_button_text: Some("Mit einer Person sprechen".into()),
            quick_reply_text: Some("Anfrage abbrechen".into()),
            cancel_phrases: vec!["abbrechen".into()],
        },
    );
    demo.handover.texts.insert(
        "pt-br".into(),
        HandoverTexts { request_button_text: Some("Falar com uma pessoa".into()), ..HandoverTexts::default() },
    );
    config
}

fn button(welcome: &ServerFrame) -> &str {
    let ServerFrame::Welcome { handover_button, .. } = welcome else { panic!("not a welcome: {welcome:?}") };
    handover_button
}

#[tokio::test]
async fn a_german_visitor_gets_the_german_handover_texts_and_keeps_them_after_a_reconnect() {
    let db = TestDb::new();
    let relay = TestRelay::start_with(config(&db)).await;
    let _agent = AgentSocket::connect(&relay.ws_base(), DEMO_TOKEN).await;

    // de-AT is not configured: its primary language is.
    let (mut visitor, welcome) = WidgetClient::hello_speaking(&relay.ws_url(), "demo", &["de-AT", "en"]).await;
    assert_eq!(button(&welcome), "Mit einer Person sprechen");
    let ServerFrame::Welcome { resume_token, .. } = &welcome else { unreachable!() };
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_phase(Phase::Waiting).await;
    let started = visitor.until_message(Role::Bot, "Ich hole eine Person").await;
    assert!(started.text.ends_with("etwa 3 Minuten."), "the wait in German too: {}", started.text);
    assert_eq!(started.quick_replies[0].title, "Anfrage abbrechen");
    assert_eq!(started.quick_replies[0].action, Some(Action::CancelHandover));
    // A German cancel phrase cancels; the text it answers with is Baton's German for the
    // default (the site's German texts do not set it and its default is Baton's).
    visitor.send(&baton_tests::widget_client::send_text("c", "Abbrechen")).await;
    visitor.until_message(Role::Bot, "die Anfrage ist abgebrochen").await;
    drop(visitor);

    // The widget reconnects without saying its languages (an older widget): stored.
    let mut visitor = WidgetClient::connect(&relay.ws_url()).await;
    visitor.send(&hello_frame("demo", Some(resume_token), 0)).await;
    let welcome = visitor.next().await;
    assert_eq!(button(&welcome), "Talk to a person", "the button follows the hello, which said nothing");
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_phase(Phase::Waiting).await;
    visitor.until_message(Role::Bot, "Ich hole eine Person").await;
}

#[tokio::test]
async fn other_languages_get_the_default_or_their_own_and_a_language_frame_switches() {
    let db = TestDb::new();
    let relay = TestRelay::start_with(config(&db)).await;

    // French is not configured: Baton's French for the default the site kept (a site's own
    // default wording stays: `templates::tests`); the first configured later language is not
    // skipped to (Arabic, then Brazilian Portuguese: Portuguese button).
    let (_, welcome) = WidgetClient::hello_speaking(&relay.ws_url(), "demo", &["fr-FR", "fr"]).await;
    assert_eq!(button(&welcome), "Parler à une personne");
    let (_, welcome) = WidgetClient::hello_speaking(&relay.ws_url(), "demo", &["ar", "pt-BR"]).await;
    assert_eq!(button(&welcome), "Falar com uma pessoa");
    // Junk is no language.
    let (_, welcome) = WidgetClient::hello_speaking(&relay.ws_url(), "demo", &["<script>", "de;q=1"]).await;
    assert_eq!(button(&welcome), "Talk to a person");

    // An English visitor switches to German (Baton.setLanguage): new button label at once,
    // German handover texts from then on (nobody online: the unavailable text).
    let (mut visitor, welcome) = WidgetClient::hello_speaking(&relay.ws_url(), "demo", &["en-US"]).await;
    assert_eq!(button(&welcome), "Talk to a person");
    visitor.send(&ClientFrame::Language { languages: vec!["de".into(), "en".into()] }).await;
    let (texts, _) = visitor.until(|f| matches!(f, ServerFrame::Texts { .. })).await;
    assert_eq!(texts, ServerFrame::Texts { handover_button: "Mit einer Person sprechen".into(), email_consent: None });
    visitor.send(&ClientFrame::RequestHandover).await;
    let unavailable = visitor.until_message(Role::Bot, "gerade niemand erreichbar").await;
    assert_eq!(unavailable.text, "Leider ist gerade niemand erreichbar.");
}

#[tokio::test]
async fn the_site_language_and_theme_come_with_the_welcome() {
    let db = TestDb::new();
    let mut config = config(&db);
    let demo = config.sites.get_mut("demo").unwrap();
    demo.language = Some("nl".into());
    demo.theme = ThemeConfig {
        primary: Some("#0a7".into()),
        position: Some("left".into()),
        scheme: Some("dark".into()),
        ..ThemeConfig::default()
    };
    let relay = TestRelay::start_with(config).await;
    let (_, welcome) = WidgetClient::hello_speaking(&relay.ws_url(), "demo", &["de"]).await;
    let ServerFrame::Welcome { language, theme, .. } = welcome else { unreachable!() };
    assert_eq!(language.as_deref(), Some("nl"));
    let expected = Theme {
        primary: Some("#0a7".into()),
        position: Some("left".into()),
        scheme: Some("dark".into()),
        ..Theme::default()
    };
    assert_eq!(theme, expected);
}

#[test]
fn a_bad_language_or_theme_is_refused_at_load_naming_the_setting() {
    let db = TestDb::new();
    /// Spoils one setting of the demo site.
    type Spoil = fn(&mut relay::config::SiteConfig);
    let cases: [(&str, Spoil); 5] = [
        ("sites.demo.handover.texts.de.txt_message", |s| {
            s.handover.texts.get_mut("de").unwrap().templates.insert("txt_message".into(), "typo".into());
        }),
        ("sites.demo.theme.primary", |s| s.theme.primary = Some("red;background:url(x)".into())),
        ("sites.demo.theme.avatar", |s| s.theme.avatar = Some("javascript:alert(1)".into())),
        ("sites.demo.language", |s| s.language = Some("German".into())),
        ("sites.demo.handover.texts.DE", |s| {
            s.handover.texts.insert("DE".into(), HandoverTexts::default());
        }),
    ];
    for (setting, spoil) in cases {
        let mut config = config(&db);
        spoil(config.sites.get_mut("demo").unwrap());
        let error = config.check("baton.toml", None).expect_err(setting).to_string();
        assert!(error.contains(setting), "{setting}: {error}");
    }
    config(&db).check("baton.toml", None).expect("the languages' texts check");
}
