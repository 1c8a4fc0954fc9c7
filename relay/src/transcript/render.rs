//! A conversation's stored events as the visitor reads them: who said what, when (UTC), the
//! rating; quick-reply buttons and phase markers are left out (the messages say the same).

use chrono::{DateTime, Utc};
use maud::{html as markup, DOCTYPE};

use crate::event::{Event, EventBody, Role};

/// One line of the transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// Someone wrote: `who` is "You", the bot's or the agent's name.
    Said { at: i64, who: String, text: String, source: Option<(String, String)> },
    /// Something that happened: a system message, the rating.
    Note { at: i64, text: String },
}

/// A conversation as a transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transcript {
    /// Whom the chat was with (the bot's name).
    pub title: String,
    pub started: i64,
    pub lines: Vec<Line>,
}

impl Transcript {
    pub fn new(title: &str, started: i64, events: &[Event]) -> Self {
        let lines = events
            .iter()
            .filter_map(|event| match &event.body {
                EventBody::Message(m) if m.author.role == Role::System => {
                    Some(Line::Note { at: event.at, text: m.text.clone() })
                }
                EventBody::Message(m) => {
                    let who = match m.author.role {
                        Role::Visitor => "You".to_string(),
                        Role::Bot => m.author.name.clone().unwrap_or_else(|| title.to_string()),
                        Role::Agent | Role::System => m.author.name.clone().unwrap_or_else(|| "Agent".into()),
                    };
                    let source = m.source.as_ref().map(|s| (s.title.clone(), s.url.clone()));
                    Some(Line::Said { at: event.at, who, text: m.text.clone(), source })
                }
                EventBody::Rating { score } => {
                    Some(Line::Note { at: event.at, text: format!("You rated the chat {score} out of 5.") })
                }
                EventBody::Phase(_) => None,
            })
            .collect();
        Self { title: title.to_string(), started, lines }
    }

    /// `chat-transcript-2026-12-02`, without the extension.
    pub fn file_name(&self) -> String {
        format!("chat-transcript-{}", when(self.started).format("%Y-%m-%d"))
    }

    fn heading(&self) -> String {
        format!("Chat with {}, {} UTC", self.title, when(self.started).format("%Y-%m-%d %H:%M"))
    }
}

fn when(millis: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(millis).unwrap_or_default()
}

fn clock(millis: i64) -> String {
    when(millis).format("%H:%M").to_string()
}

/// The day a line starts, when it is not the day of the line before.
fn new_day(previous: Option<i64>, at: i64) -> Option<String> {
    let day = when(at).date_naive();
    (previous.map(|p| when(p).date_naive()) != Some(day)).then(|| day.format("%Y-%m-%d").to_string())
}

fn at(line: &Line) -> i64 {
    match line {
        Line::Said { at, .. } | Line::Note { at, .. } => *at,
    }
}

/// Plain text: a heading, then `[10:48] Name: text`, continuation lines indented, a date line
/// whenever the day changes.
pub fn text(transcript: &Transcript) -> String {
    let mut out = format!("{}\n", transcript.heading());
    let mut previous = Some(transcript.started);
    for line in &transcript.lines {
        if let Some(day) = new_day(previous, at(line)) {
            out.push_str(&format!("\n{day}\n"));
        }
        previous = Some(at(line));
        out.push('\n');
        match line {
            Line::Said { at, who, text, source } => {
                let mut rows = text.lines();
                out.push_str(&format!("[{}] {who}: {}\n", clock(*at), rows.next().unwrap_or_default()));
                for row in rows {
                    out.push_str(&format!("    {row}\n"));
                }
                if let Some((title, url)) = source {
                    out.push_str(&format!("    (from \"{title}\": {url})\n"));
                }
            }
            Line::Note { at, text } => out.push_str(&format!("[{}] -- {}\n", clock(*at), text.replace('\n', " "))),
        }
    }
    out
}

/// A standalone page (escaped by maud): the heading and the lines as a list.
pub fn html(transcript: &Transcript) -> String {
    let heading = transcript.heading();
    markup! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (heading) }
                style { "body{font:15px/1.5 system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}\
                         ol{list-style:none;padding:0}li{margin:.6rem 0}.who{font-weight:600}time{color:#555;margin-right:.5rem}\
                         .note{color:#555;font-style:italic}p{margin:0;white-space:pre-wrap}" }
            }
            body {
                h1 { (heading) }
                ol {
                    @for line in &transcript.lines {
                        @match line {
                            Line::Said { at, who, text, source } => li {
                                time { (clock(*at)) }
                                span.who { (who) }
                                p dir="auto" { (text) }
                                @if let Some((title, url)) = source {
                                    p { "From " a href=(url) { (title) } }
                                }
                            },
                            Line::Note { at, text } => li.note {
                                time { (clock(*at)) }
                                (text)
                            },
                        }
                    }
                }
            }
        }
    }
    .into_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Author, Message, Phase, PhaseChange, Source};

    fn event(seq: u64, at: i64, body: EventBody) -> Event {
        Event { seq, at, body }
    }

    /// 2026-12-02 10:48 UTC.
    const START: i64 = 1_796_208_480_000;

    fn sample() -> Transcript {
        let mut answer = Message::new(Author::bot("Baton Bot"), "Parcels arrive in 3 days.\nTrack them online.");
        answer.source = Some(Source { title: "Shipping".into(), url: "https://shop.example/help/shipping".into() });
        let events = [
            event(1, START, EventBody::Message(Message::new(Author::bot("Baton Bot"), "Hello!"))),
            event(2, START + 60_000, EventBody::Message(Message::new(Author::visitor(), "Where is <my> parcel?"))),
            event(3, START + 61_000, EventBody::Message(answer)),
            event(
                4,
                START + 120_000,
                EventBody::Phase(PhaseChange { phase: Phase::Agent, agent_name: Some("Alex".into()), reason: None }),
            ),
            event(5, START + 121_000, EventBody::Message(Message::new(Author::system(), "Alex joined the chat."))),
            event(6, START + 86_400_000, EventBody::Message(Message::new(Author::agent("Alex"), "Found it."))),
            event(7, START + 86_460_000, EventBody::Rating { score: 4 }),
        ];
        Transcript::new("Baton Bot", START, &events)
    }

    #[test]
    fn the_text_reads_who_said_what_when_with_the_rating_and_a_new_day() {
        let text = text(&sample());
        assert_eq!(
            text,
            "Chat with Baton Bot, 2026-12-02 10:48 UTC\n\
             \n[10:48] Baton Bot: Hello!\n\
             \n[10:49] You: Where is <my> parcel?\n\
             \n[10:49] Baton Bot: Parcels arrive in 3 days.\n    Track them online.\n    (from \"Shipping\": https://shop.example/help/shipping)\n\
             \n[10:50] -- Alex joined the chat.\n\
             \n2026-12-03\n\
             \n[10:48] Alex: Found it.\n\
             \n[10:49] -- You rated the chat 4 out of 5.\n"
        );
        assert_eq!(sample().file_name(), "chat-transcript-2026-12-02");
    }

    #[test]
    fn the_html_escapes_what_people_wrote() {
        let html = html(&sample());
        assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
        assert!(html.contains("Where is &lt;my&gt; parcel?"), "{html}");
        assert!(!html.contains("<my>"), "{html}");
        assert!(html.contains("<span class=\"who\">Alex</span>"), "{html}");
        assert!(html.contains("You rated the chat 4 out of 5."), "{html}");
    }
}
