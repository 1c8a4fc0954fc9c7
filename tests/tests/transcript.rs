//! The visitor's transcript over real HTTP and SMTP: downloaded with the conversation's resume
//! token only (as text or HTML, an attachment), and emailed through `[smtp]` to the email the
//! visitor gave, in the background: a mail server that refuses, is down or never answers
//! never holds the chat up, loses nothing it could still deliver, and ends in a clear message
//! to the visitor. The mail server is `baton_tests::smtp::SmtpSink`, started by each test.

use std::time::{Duration, Instant};

use baton_tests::{
    smtp::SmtpSink,
    test_config,
    widget_client::{hello_frame, send_text, WidgetClient},
    TestDb, TestRelay,
};
use relay::config::{Config, SmtpConfig};
use reqwest::{header, StatusCode};
use shared::{ClientFrame, Role, ServerFrame, Visitor};

/// `[smtp]` at `port` on this machine, plain (the sink has no TLS), with short tries.
fn smtp(port: u16, attempts: u32) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        from: "Shop support <support@shop.example>".into(),
        username: None,
        password: None,
        starttls: false,
        tls: false,
        timeout: Duration::from_millis(800),
        attempts,
        every: relay::config::smtp::default_every(),
    }
}

fn with_smtp(db: &TestDb, smtp: Option<SmtpConfig>) -> Config {
    let mut config = test_config(db);
    config.smtp = smtp;
    config
}

/// A visitor who asked about a parcel and got the bot's answer, with their resume token.
async fn chatted(relay: &TestRelay) -> (WidgetClient, String, ServerFrame) {
    let (mut visitor, welcome) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    visitor.next().await; // the greeting
    visitor.send(&send_text("q1", "Where is my parcel <40123>? Grüße, Ada")).await;
    visitor.until_message(Role::Bot, "").await;
    let ServerFrame::Welcome { resume_token, .. } = &welcome else { panic!("not a welcome: {welcome:?}") };
    (visitor, resume_token.clone(), welcome)
}

fn transcript_url(relay: &TestRelay, site: &str) -> String {
    format!("{}/api/v1/sites/{site}/transcript", relay.http_url())
}

async fn get(url: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("the relay answers")
}

async fn ask_for_mail(relay: &TestRelay, token: &str) -> (StatusCode, serde_json::Value, Option<String>) {
    let response = reqwest::Client::new()
        .post(format!("{}/email", transcript_url(relay, "demo")))
        .bearer_auth(token)
        .send()
        .await
        .expect("the relay answers");
    let retry_after = response.headers().get(header::RETRY_AFTER).and_then(|v| v.to_str().ok()).map(str::to_owned);
    (response.status(), response.json().await.unwrap_or_default(), retry_after)
}

fn error_code(body: &serde_json::Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn the_visitor_downloads_the_transcript_as_text_or_html_with_their_token_only() {
    let db = TestDb::new();
    let mut config = with_smtp(&db, None);
    let other = config.sites["demo"].clone();
    config.sites.insert("other".into(), other);
    let relay = TestRelay::start_with(config).await;
    let (_visitor, token, welcome) = chatted(&relay).await;
    assert!(matches!(welcome, ServerFrame::Welcome { transcript_email: false, .. }), "no [smtp]: {welcome:?}");

    let text = get(&transcript_url(&relay, "demo"), Some(&token)).await;
    assert_eq!(text.status(), StatusCode::OK);
    let header = |response: &reqwest::Response, name: header::HeaderName| {
        response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
    };
    assert_eq!(header(&text, header::CONTENT_TYPE), "text/plain; charset=utf-8");
    let disposition = header(&text, header::CONTENT_DISPOSITION);
    assert!(
        disposition.starts_with("attachment; filename=\"chat-transcript-20") && disposition.ends_with(".txt\""),
        "{disposition}"
    );
    assert_eq!(header(&text, header::CACHE_CONTROL), "no-store");
    let body = text.text().await.unwrap();
    assert!(body.starts_with("Chat with "), "{body}");
    assert!(body.contains("] You: Where is my parcel <40123>? Grüße, Ada\n"), "{body}");
    let greeting = relay.config.sites["demo"].greeting.clone();
    assert!(body.contains(greeting.lines().next().unwrap_or_default()), "the bot's greeting: {body}");

    let html = get(&format!("{}?format=html", transcript_url(&relay, "demo")), Some(&token)).await;
    assert_eq!(header(&html, header::CONTENT_TYPE), "text/html; charset=utf-8");
    assert!(header(&html, header::CONTENT_DISPOSITION).ends_with(".html\""));
    let page = html.text().await.unwrap();
    assert!(page.contains("Where is my parcel &lt;40123&gt;? Grüße, Ada"), "escaped: {page}");
    assert!(!page.contains("<40123>"), "{page}");

    // Never without the token: none, a wrong one, the conversation's id, another site's URL.
    let ServerFrame::Welcome { conversation_id, .. } = &welcome else { unreachable!() };
    for (what, url, token) in [
        ("no token", transcript_url(&relay, "demo"), None),
        ("a wrong token", transcript_url(&relay, "demo"), Some("x".repeat(43))),
        ("the conversation id", transcript_url(&relay, "demo"), Some(conversation_id.clone())),
        ("another site", transcript_url(&relay, "other"), Some(token.clone())),
    ] {
        let refused = get(&url, token.as_deref()).await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "{what}");
        let body: serde_json::Value = refused.json().await.unwrap();
        assert_eq!(error_code(&body), "unauthorized", "{what}: {body}");
    }
    assert_eq!(get(&transcript_url(&relay, "nosuch"), Some(&token)).await.status(), StatusCode::NOT_FOUND);
    let pdf = get(&format!("{}?format=pdf", transcript_url(&relay, "demo")), Some(&token)).await;
    assert_eq!(pdf.status(), StatusCode::BAD_REQUEST);

    // Without a mail server the widget is not offered the mail, and asking says why.
    let (status, body, _) = ask_for_mail(&relay, &token).await;
    assert_eq!((status, error_code(&body)), (StatusCode::SERVICE_UNAVAILABLE, "smtp_not_configured"), "{body}");
}

#[tokio::test]
async fn the_transcript_is_emailed_to_the_email_the_visitor_gave_and_the_chat_says_so() {
    let sink = SmtpSink::start().await;
    let db = TestDb::new();
    let relay = TestRelay::start_with(with_smtp(&db, Some(smtp(sink.port, 3)))).await;
    let (mut visitor, token, welcome) = chatted(&relay).await;
    assert!(matches!(welcome, ServerFrame::Welcome { transcript_email: true, .. }), "{welcome:?}");

    let (status, body, _) = ask_for_mail(&relay, &token).await;
    assert_eq!((status, error_code(&body)), (StatusCode::CONFLICT, "no_email"), "no email given yet: {body}");
    visitor.send(&ClientFrame::Email { email: "ada@example.com".into() }).await;
    visitor.until(|f| matches!(f, ServerFrame::EmailSaved { .. })).await;

    let (status, body, _) = ask_for_mail(&relay, &token).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["email"], "ada@example.com");
    let told = visitor.until_message(Role::System, "was emailed to ada@example.com").await;
    assert_eq!(told.text, "The transcript of this chat was emailed to ada@example.com.");
    let mails = sink.mails();
    assert_eq!(mails.len(), 1, "{mails:?}");
    let mail = &mails[0];
    assert_eq!(mail.to, ["ada@example.com"]);
    assert_eq!(mail.from, "support@shop.example");
    assert_eq!(mail.subject(), format!("Your chat with {}: the transcript", relay.config.sites["demo"].bot_name));
    let body = mail.body();
    assert!(body.contains("] You: Where is my parcel <40123>? Grüße, Ada"), "the transcript in the body: {body}");

    // One mail a minute per conversation.
    let (status, body, retry_after) = ask_for_mail(&relay, &token).await;
    assert_eq!((status, error_code(&body)), (StatusCode::TOO_MANY_REQUESTS, "rate_limited"), "{body}");
    assert!(retry_after.and_then(|s| s.parse::<u64>().ok()).is_some_and(|s| (1..=60).contains(&s)));
    assert_eq!(sink.mails().len(), 1);
}

/// A server that refuses for a while: the next try delivers, once.
#[tokio::test]
async fn a_mail_server_refusing_for_a_while_gets_the_mail_on_a_later_try() {
    let sink = SmtpSink::start().await;
    sink.refuse_next(2);
    let db = TestDb::new();
    let relay = TestRelay::start_with(with_smtp(&db, Some(smtp(sink.port, 4)))).await;
    let (mut visitor, token, _) = chatted(&relay).await;
    visitor.send(&ClientFrame::Email { email: "ada@example.com".into() }).await;
    visitor.until(|f| matches!(f, ServerFrame::EmailSaved { .. })).await;
    assert_eq!(ask_for_mail(&relay, &token).await.0, StatusCode::ACCEPTED);
    visitor.until_message(Role::System, "was emailed to ada@example.com").await;
    assert_eq!(sink.mails().len(), 1, "delivered once");
    assert_eq!(sink.connections(), 3, "two refused tries, then the one that went through");
}

/// A server that never answers (and one that is not there at all): the chat goes on meanwhile,
/// and once every try failed the visitor is told so and offered the download.
#[tokio::test]
async fn a_mail_server_down_or_never_answering_holds_nothing_up_and_the_visitor_is_told() {
    let silent = SmtpSink::start().await;
    silent.go_silent();
    let down = baton_tests::ports::free_port(); // nothing listens there
    for (what, port) in [("never answering", silent.port), ("down", down)] {
        let db = TestDb::new();
        let relay = TestRelay::start_with(with_smtp(&db, Some(smtp(port, 2)))).await;
        let (mut visitor, token, _) = chatted(&relay).await;
        visitor.send(&ClientFrame::Email { email: "ada@example.com".into() }).await;
        visitor.until(|f| matches!(f, ServerFrame::EmailSaved { .. })).await;
        let asked = Instant::now();
        assert_eq!(ask_for_mail(&relay, &token).await.0, StatusCode::ACCEPTED, "{what}");
        assert!(asked.elapsed() < Duration::from_millis(500), "{what}: answered at once, {:?}", asked.elapsed());

        visitor.send(&send_text("q2", "Do you accept PayPal?")).await;
        let answered = visitor.until_message(Role::Bot, "").await;
        assert!(!answered.text.is_empty());
        let failed = visitor.until_message(Role::System, "could not be emailed to ada@example.com").await;
        assert!(failed.text.contains("Please download it instead"), "{what}: {}", failed.text);
        assert!(asked.elapsed() >= Duration::from_secs(1), "{what}: the second try came after a pause");
    }
    assert_eq!(silent.connections(), 2, "each try connected once");
    assert!(silent.mails().is_empty());
}

/// A visitor whose widget reads German gets the transcript's own words, dates and file name in
/// German, downloaded and mailed (subject and notice too); after the widget switches to French
/// (`Baton.setLanguage`, a `language` frame) the next download is in French.
#[tokio::test]
async fn a_german_visitor_gets_the_transcript_in_german_and_in_french_after_switching() {
    let sink = SmtpSink::start().await;
    let db = TestDb::new();
    let relay = TestRelay::start_with(with_smtp(&db, Some(smtp(sink.port, 3)))).await;
    let (mut visitor, welcome) = WidgetClient::hello_speaking(&relay.ws_url(), "demo", &["de-CH", "en"]).await;
    let ServerFrame::Welcome { resume_token: token, .. } = welcome else { unreachable!() };
    visitor.send(&send_text("q1", "Wo ist mein Paket 40123?")).await;
    visitor.until_message(Role::Bot, "").await;

    let text = get(&transcript_url(&relay, "demo"), Some(&token)).await;
    let disposition = text.headers()[header::CONTENT_DISPOSITION].to_str().unwrap_or_default().to_string();
    assert!(disposition.starts_with("attachment; filename=\"chat-protokoll-20"), "{disposition}");
    let body = text.text().await.unwrap();
    let bot = &relay.config.sites["demo"].bot_name;
    let heading = body.lines().next().unwrap_or_default();
    assert!(heading.starts_with(&format!("Chat mit {bot} am ")) && heading.ends_with(" UTC"), "{body}");
    let date = heading.split(" am ").nth(1).and_then(|rest| rest.split(" um ").next()).unwrap_or_default();
    assert!(chrono::NaiveDate::parse_from_str(date, "%d.%m.%Y").is_ok(), "a German date: {date:?} in {heading:?}");
    assert!(body.contains("] Sie: Wo ist mein Paket 40123?\n"), "{body}");
    assert!(!body.contains("] You:") && !body.contains("Chat with"), "no English word of its own: {body}");

    let page =
        get(&format!("{}?format=html", transcript_url(&relay, "demo")), Some(&token)).await.text().await.unwrap();
    assert!(page.contains("<html lang=\"de\">"), "{page}");
    assert!(page.contains(&format!("<h1>Chat mit {bot} am {date} um ")), "{page}");
    assert!(page.contains("<span class=\"who\">Sie</span>"), "{page}");

    visitor.send(&ClientFrame::Email { email: "ada@example.com".into() }).await;
    visitor.until(|f| matches!(f, ServerFrame::EmailSaved { .. })).await;
    assert_eq!(ask_for_mail(&relay, &token).await.0, StatusCode::ACCEPTED);
    let told = visitor.until_message(Role::System, "ada@example.com").await;
    assert_eq!(told.text, "Das Protokoll dieses Chats wurde an ada@example.com gesendet.");
    let mails = sink.mails();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].subject(), format!("Ihr Chat mit {bot}: das Protokoll"));
    assert!(mails[0].body().contains(&format!("Chat mit {bot} am {date}")), "{}", mails[0].body());
    assert!(mails[0].body().contains("] Sie: Wo ist mein Paket 40123?"), "{}", mails[0].body());

    // The widget switches to French: the next transcript follows.
    visitor.send(&ClientFrame::Language { languages: vec!["fr-FR".into()] }).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let french = loop {
        let body = get(&transcript_url(&relay, "demo"), Some(&token)).await.text().await.unwrap();
        if body.starts_with("Conversation avec ") || Instant::now() > deadline {
            break body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(french.starts_with(&format!("Conversation avec {bot}, le ")), "{french}");
    assert!(french.contains("] Vous: Wo ist mein Paket 40123?\n"), "{french}");
}

/// A page that identified the visitor before the widget connected (`Baton.identify`, carried by
/// `hello`): the welcome already has the email, so the widget offers the mail at once, and the
/// mail goes there; an address that is not usable is not offered.
#[tokio::test]
async fn the_email_the_page_identified_is_in_the_welcome_and_gets_the_transcript() {
    let sink = SmtpSink::start().await;
    let db = TestDb::new();
    let relay = TestRelay::start_with(with_smtp(&db, Some(smtp(sink.port, 3)))).await;
    let hello = |email: &str| {
        let ClientFrame::Hello { v, site, resume, last_seq, languages, .. } = hello_frame("demo", None, 0) else {
            unreachable!()
        };
        let visitor = Visitor { email: Some(email.into()), name: Some("Ada".into()), ..Visitor::default() };
        ClientFrame::Hello { v, site, resume, last_seq, visitor: Some(visitor), languages }
    };
    let mut visitor = WidgetClient::connect(&relay.ws_url()).await;
    visitor.send(&hello("ada@example.com")).await;
    let welcome = visitor.next().await;
    let ServerFrame::Welcome { email, resume_token, .. } = &welcome else { panic!("{welcome:?}") };
    assert_eq!(email.as_deref(), Some("ada@example.com"), "{welcome:?}");
    visitor.until_message(Role::Bot, "").await; // the greeting
                                                // The actor records the identity after the greeting, in order: once it answered this, it has.
    visitor.send(&send_text("q1", "Where is my parcel?")).await;
    visitor.until_message(Role::Bot, "").await;
    assert_eq!(ask_for_mail(&relay, resume_token).await.0, StatusCode::ACCEPTED);
    visitor.until_message(Role::System, "was emailed to ada@example.com").await;
    assert_eq!(sink.mails()[0].to, ["ada@example.com"]);

    // `a@b` passes `identify`'s length check but is no address to mail: not in the welcome.
    let mut other = WidgetClient::connect(&relay.ws_url()).await;
    other.send(&hello("a@b")).await;
    let welcome = other.next().await;
    assert!(matches!(welcome, ServerFrame::Welcome { email: None, .. }), "{welcome:?}");
}

/// The widget passes the browser's time zone (`?tz=`): the downloaded and the emailed
/// transcript read the visitor's local time, the zone named in the heading; an unknown or
/// malformed zone gives UTC.
#[tokio::test]
async fn the_transcript_is_in_the_visitors_time_zone_and_utc_for_an_unknown_one() {
    let sink = SmtpSink::start().await;
    let db = TestDb::new();
    let relay = TestRelay::start_with(with_smtp(&db, Some(smtp(sink.port, 3)))).await;
    let (mut visitor, token, _) = chatted(&relay).await;
    let bot = &relay.config.sites["demo"].bot_name;
    // Kiritimati is UTC+14 all year: its day is usually another than UTC's.
    let local = || chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(14 * 3600).unwrap());
    let heading = |body: &str| body.lines().next().unwrap_or_default().to_string();
    let before = local();
    let body = get(&format!("{}?tz=Pacific/Kiritimati", transcript_url(&relay, "demo")), Some(&token))
        .await
        .text()
        .await
        .unwrap();
    let expected = |at: chrono::DateTime<chrono::FixedOffset>| {
        format!("Chat with {bot}, {} Pacific/Kiritimati", at.format("%Y-%m-%d %H:%M"))
    };
    // The conversation started a moment before `before`: in its minute or the one before.
    let first = heading(&body);
    let possible = [expected(before), expected(before - chrono::Duration::minutes(1))];
    assert!(possible.contains(&first), "{first:?} is none of {possible:?}");

    for odd in ["Mars/Olympus_Mons", "%2E%2E%2Fetc", "Europe%2FBerlin%00", &"A".repeat(200)] {
        let body =
            get(&format!("{}?tz={odd}", transcript_url(&relay, "demo")), Some(&token)).await.text().await.unwrap();
        assert!(heading(&body).ends_with(" UTC"), "{odd}: {body}");
    }

    visitor.send(&ClientFrame::Email { email: "ada@example.com".into() }).await;
    visitor.until(|f| matches!(f, ServerFrame::EmailSaved { .. })).await;
    let response = reqwest::Client::new()
        .post(format!("{}/email?tz=Europe/Berlin", transcript_url(&relay, "demo")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    visitor.until_message(Role::System, "was emailed to ada@example.com").await;
    let mail = sink.mails()[0].body();
    let berlin = heading(mail.trim_start());
    assert!(berlin.starts_with(&format!("Chat with {bot}, ")) && berlin.ends_with(" Europe/Berlin"), "{mail}");
}
