//! The visitor's transcript in Chromium (issue 13, point 7): the header's download button saves
//! the conversation as a file (Chromium's download directory, set per browser); after a chat
//! with a person that the agent ends, the rating, then "Download transcript" (the file now
//! holds the agent's answer and the rating, its times in the browser's time zone) and "Email me
//! the transcript" (the card confirms it is on its way, the mail reaches the SMTP sink, the
//! visitor reads the confirmation in the chat; a second ask within the relay's window is
//! refused and the card says so, one after it is sent); in German, the labels, the file, the mail and the
//! confirmation in German. Every state is saved as a screenshot (`BATON_SCREENSHOT_DIR`) and
//! axe-core finds nothing in it.

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use baton_tests::{
    agent_client::{AgentSocket, DEMO_TOKEN},
    axe,
    browser::{Browser, Options},
    smtp::SmtpSink,
    test_config, TestDb, TestRelay,
};
use relay::config::SmtpConfig;
use serde_json::json;

/// A relay on a fresh database whose `[smtp]` is `sink`, and a connected agent (so a request
/// for a person waits for them).
async fn relay_with_mail(db: &TestDb, sink: &SmtpSink) -> (TestRelay, AgentSocket) {
    let mut config = test_config(db);
    config.smtp = Some(SmtpConfig {
        host: "127.0.0.1".into(),
        port: sink.port,
        from: "Shop support <support@shop.example>".into(),
        username: None,
        password: None,
        starttls: false,
        tls: false,
        timeout: Duration::from_secs(2),
        attempts: 2,
        every: Duration::from_secs(3),
    });
    let relay = TestRelay::start_with(config).await;
    let agent = AgentSocket::connect(&relay.ws_base(), DEMO_TOKEN).await;
    (relay, agent)
}

/// The files in `dir` whose download finished, by name.
fn downloads(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "txt"));
    files.sort();
    files
}

/// Waits for the `n`th finished download in `dir` and returns its text.
async fn nth_download(dir: &Path, n: usize) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let files = downloads(dir);
        if files.len() >= n {
            let newest = files
                .iter()
                .max_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
                .expect("a file")
                .clone();
            return std::fs::read_to_string(&newest).unwrap_or_else(|e| panic!("read {}: {e}", newest.display()));
        }
        let all: Vec<_> =
            std::fs::read_dir(dir).map(|e| e.filter_map(Result::ok).map(|e| e.path()).collect()).unwrap_or_default();
        assert!(Instant::now() < deadline, "no download number {n} in {}: {all:?}", dir.display());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Saves a screenshot of `state` and fails on anything axe-core finds there.
async fn shown(browser: &Browser, shot: &str, state: &str) {
    browser.screenshot(shot).await;
    axe::assert_clean(browser, state).await;
}

/// The visitor (who gave `email` through `Baton.identify`) asks the bot, asks for a person; the
/// agent accepts, answers and ends; the visitor rates 5. Returns when the card is shown.
async fn chat_with_a_person_ended_and_rated(
    visitor: &Browser,
    agent: &mut AgentSocket,
    url: &str,
    language: Option<&str>,
    question: &str,
    shot: &str,
) {
    visitor.goto(url).await;
    let set_language = language.map(|l| format!("window.Baton.setLanguage('{l}');")).unwrap_or_default();
    visitor.eval(&format!("window.Baton.identify({{email: 'ada@example.com'}}); {set_language} return true;")).await;
    visitor.open_chat().await;
    visitor.wait_online().await;
    visitor.type_and_send(question).await;
    visitor.wait_for_message("bot", "").await;
    visitor.click_widget_button("[data-testid=handover-request]", "").await;
    let waiting = agent
        .until("a waiting conversation", |f| f["type"] == "conversation" && f["conversation"]["phase"] == "waiting")
        .await;
    let id = waiting["conversation"]["id"].clone();
    agent.send(json!({"type": "accept", "conversation_id": id})).await;
    visitor.wait_for_message("system", "Alex").await;
    agent.send(json!({"type": "send", "conversation_id": id, "text": "Your parcel 40123 left today."})).await;
    visitor.wait_for_message("agent", "parcel 40123 left today").await;
    agent.send(json!({"type": "end", "conversation_id": id})).await;
    visitor.widget_element("[data-testid=quick-reply]").await;
    shown(visitor, &format!("{shot}-rating"), "the rating question after the agent ended").await;
    let bot_messages = visitor.messages().await.iter().filter(|(role, _)| role == "bot").count();
    visitor.click_widget_button("[data-testid=quick-reply]", "5").await;
    let thanked =
        format!("return root.querySelectorAll('[data-testid=message][data-role=bot]').length > {bot_messages};");
    visitor.wait_for("the bot's thanks for the rating", &thanked).await;
    visitor.widget_element("[data-testid=transcript]").await;
}

#[tokio::test]
async fn the_visitor_downloads_the_transcript_and_has_it_emailed_after_the_agent_ends() {
    let sink = SmtpSink::start().await;
    let db = TestDb::new();
    let (relay, mut agent) = relay_with_mail(&db, &sink).await;
    let dir = tempfile::tempdir().expect("a download directory");
    let visitor = Browser::start_with(Options { downloads: Some(dir.path()), ..Options::default() }).await;

    // Once the conversation exists, the header offers its download.
    visitor.goto(&relay.http_url()).await;
    visitor.open_chat().await;
    visitor.wait_online().await;
    visitor.wait_for_message("bot", "").await;
    let label = visitor
        .wait_for(
            "the header's download button",
            "return root.querySelector('[data-testid=transcript-download-menu]')?.getAttribute('aria-label');",
        )
        .await;
    assert_eq!(label.as_str(), Some("Download transcript"));
    visitor.type_and_send("Where is my parcel 40123?").await;
    visitor.wait_for_message("bot", "").await;
    shown(&visitor, "transcript-header-button", "the chat with the header's download button").await;

    // The header's button saves the conversation so far.
    visitor.widget_element("[data-testid=transcript-download-menu]").await.click().await.expect("click download");
    let first = nth_download(dir.path(), 1).await;
    assert!(first.starts_with("Chat with "), "{first}");
    assert!(first.contains("] You: Where is my parcel 40123?"), "{first}");
    assert!(
        downloads(dir.path())[0].file_name().is_some_and(|n| n == "chat-transcript.txt"),
        "{:?}",
        downloads(dir.path())
    );
    visitor.close().await;

    // A new visitor who gave their email, on Kiritimati (UTC+14), chats with a person, who
    // ends; they rate.
    let options = Options { downloads: Some(dir.path()), time_zone: Some(KIRITIMATI), ..Options::default() };
    let visitor = Browser::start_with(options).await;
    let url = relay.http_url();
    chat_with_a_person_ended_and_rated(&visitor, &mut agent, &url, None, "Where is my parcel 40123?", "transcript")
        .await;
    let title = visitor.in_widget("return root.querySelector('#baton-transcript-title').textContent;").await;
    assert_eq!(title.as_str(), Some("Your transcript"));
    shown(&visitor, "transcript-offer", "the transcript offered after the chat").await;
    axe::assert_keyboard_usable(&visitor, "the transcript offered after the chat").await;

    // Download: the file holds the agent's answer and the rating.
    visitor.click_widget_button("[data-testid=transcript-download]", "Download transcript").await;
    let second = nth_download(dir.path(), 2).await;
    assert!(second.contains("] Alex: Your parcel 40123 left today."), "{second}");
    assert_in_kiritimati(&second);
    assert!(second.contains("-- You rated the chat 5 out of 5."), "{second}");

    // Email: the card says it is on its way, the mail arrives, the chat confirms.
    let mail_state = "return root.querySelector('[data-testid=transcript-status]')?.dataset.state";
    visitor.click_widget_button("[data-testid=transcript-email]", "Email me the transcript").await;
    visitor.wait_for("the mail sent", &format!("{mail_state} === 'sent'")).await;
    assert_eq!(status(&visitor).await, "The transcript is on its way to ada@example.com.");
    visitor.wait_for_message("system", "The transcript of this chat was emailed to ada@example.com.").await;
    let mails = sink.mails();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].to, ["ada@example.com"]);
    assert!(mails[0].body().contains("] Alex: Your parcel 40123 left today."), "{}", mails[0].body());
    assert_in_kiritimati(&mails[0].body());
    shown(&visitor, "transcript-emailed", "the transcript emailed and confirmed").await;

    // Asked again within the relay's window (3 s here): refused, and the card says it did not work.
    visitor.click_widget_button("[data-testid=transcript-email]", "Email me the transcript").await;
    visitor.wait_for("the refusal", &format!("{mail_state} === 'failed'")).await;
    assert_eq!(status(&visitor).await, "That did not work. Please try again later.");
    shown(&visitor, "transcript-email-refused", "the second mail refused").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.mails().len(), 1, "no second mail");

    // Once the window passed, it can be sent again: confirmed again, a second mail.
    tokio::time::sleep(Duration::from_secs(3)).await;
    visitor.click_widget_button("[data-testid=transcript-email]", "Email me the transcript").await;
    visitor.wait_for("the mail sent again", &format!("{mail_state} === 'sent'")).await;
    assert_eq!(status(&visitor).await, "The transcript is on its way to ada@example.com.");
    let deadline = Instant::now() + Duration::from_secs(10);
    while sink.mails().len() < 2 {
        assert!(Instant::now() < deadline, "no second mail: {:?}", sink.mails());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    visitor.close().await;
}

const KIRITIMATI: &str = "Pacific/Kiritimati";

/// The transcript's heading names the visitor's zone and its time is the zone's (UTC+14):
/// within two minutes of now there.
fn assert_in_kiritimati(transcript: &str) {
    let heading = transcript.trim_start().lines().next().unwrap_or_default();
    assert!(heading.ends_with(&format!(" {KIRITIMATI}")), "{heading}");
    let at = heading.trim_end_matches(&format!(" {KIRITIMATI}")).rsplitn(3, ' ').take(2).collect::<Vec<_>>();
    let at = format!("{} {}", at[1], at[0]);
    let at = chrono::NaiveDateTime::parse_from_str(&at, "%Y-%m-%d %H:%M").unwrap_or_else(|e| panic!("{heading}: {e}"));
    let there = chrono::Utc::now().naive_utc() + chrono::Duration::hours(14);
    assert!((there - at).num_minutes().abs() <= 2, "{heading} is not Kiritimati's time now ({there})");
}

async fn status(visitor: &Browser) -> String {
    let text = visitor.in_widget("return root.querySelector('[data-testid=transcript-status]')?.textContent;").await;
    text.as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn a_german_visitor_reads_the_transcript_buttons_file_and_mail_in_german() {
    let sink = SmtpSink::start().await;
    let db = TestDb::new();
    let (relay, mut agent) = relay_with_mail(&db, &sink).await;
    let dir = tempfile::tempdir().expect("a download directory");
    let options = Options { languages: Some("de-DE,de"), downloads: Some(dir.path()), ..Options::default() };
    let visitor = Browser::start_with(options).await;
    let url = relay.http_url();
    // The demo page says lang="en": the page asks for German, as a German shop would.
    chat_with_a_person_ended_and_rated(
        &visitor,
        &mut agent,
        &url,
        Some("de"),
        "Wo ist mein Paket 40123?",
        "transcript-de",
    )
    .await;
    let labels = visitor
        .in_widget(
            "return [root.querySelector('[data-testid=transcript-download-menu]').getAttribute('aria-label'), \
             root.querySelector('#baton-transcript-title').textContent, \
             root.querySelector('[data-testid=transcript-download]').textContent, \
             root.querySelector('[data-testid=transcript-email]').textContent];",
        )
        .await;
    assert_eq!(
        labels,
        json!([
            "Protokoll herunterladen",
            "Ihr Chatprotokoll",
            "Protokoll herunterladen",
            "Protokoll per E-Mail senden"
        ])
    );
    shown(&visitor, "transcript-offer-de", "the transcript offered in German").await;

    visitor.click_widget_button("[data-testid=transcript-download]", "Protokoll herunterladen").await;
    let file = nth_download(dir.path(), 1).await;
    assert!(file.starts_with("Chat mit "), "{file}");
    assert!(file.contains("] Sie: Wo ist mein Paket 40123?"), "{file}");
    assert!(file.contains("-- Sie haben den Chat mit 5 von 5 bewertet."), "{file}");

    visitor.click_widget_button("[data-testid=transcript-email]", "Protokoll per E-Mail senden").await;
    visitor
        .wait_for(
            "the mail sent",
            "return root.querySelector('[data-testid=transcript-status]')?.dataset.state === 'sent';",
        )
        .await;
    assert_eq!(status(&visitor).await, "Das Protokoll ist unterwegs an ada@example.com.");
    visitor.wait_for_message("system", "Das Protokoll dieses Chats wurde an ada@example.com gesendet.").await;
    let mails = sink.mails();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0].subject().starts_with("Ihr Chat mit "), "{}", mails[0].subject());
    assert!(mails[0].body().contains("] Sie: Wo ist mein Paket 40123?"), "{}", mails[0].body());
    shown(&visitor, "transcript-emailed-de", "the transcript emailed, in German").await;
    visitor.close().await;
}
