//! A conversation's stored events as the visitor reads them: who said what, when (in the
//! visitor's time zone, named in the heading; UTC when it is unknown), the rating; quick-reply buttons and phase markers are left out (the messages say the same).
//! Its own words and dates are in the visitor's language ([`super::words`]).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use maud::{html as markup, DOCTYPE};

use super::words::{fill, Words};
use crate::event::{Event, EventBody, Role};

/// One line of the transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// Someone wrote: `who` is "You" (in the transcript's language), the bot's or the agent's name.
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
    /// The language it is written in.
    pub words: Words,
    /// The visitor's time zone, its times are in.
    pub zone: Tz,
}

impl Transcript {
    pub fn new(title: &str, started: i64, events: &[Event], words: Words) -> Self {
        let lines = events
            .iter()
            .filter_map(|event| match &event.body {
                EventBody::Message(m) if m.author.role == Role::System => {
                    Some(Line::Note { at: event.at, text: m.text.clone() })
                }
                EventBody::Message(m) => {
                    let who = match m.author.role {
                        Role::Visitor => words.you.to_string(),
                        Role::Bot => m.author.name.clone().unwrap_or_else(|| title.to_string()),
                        Role::Agent | Role::System => m.author.name.clone().unwrap_or_else(|| words.agent.into()),
                    };
                    let source = m.source.as_ref().map(|s| (s.title.clone(), s.url.clone()));
                    Some(Line::Said { at: event.at, who, text: m.text.clone(), source })
                }
                EventBody::Rating { score } => {
                    Some(Line::Note { at: event.at, text: fill(words.rated, &[("score", &score.to_string())]) })
                }
                EventBody::Phase(_) => None,
            })
            .collect();
        Self { title: title.to_string(), started, lines, words, zone: Tz::UTC }
    }

    /// The same, its times in `zone`.
    pub fn in_zone(self, zone: Tz) -> Self {
        Self { zone, ..self }
    }

    /// `chat-transcript-2026-12-02` (`chat-protokoll-2026-12-02`, ...), without the extension.
    pub fn file_name(&self) -> String {
        format!("{}-{}", self.words.file, self.when(self.started).format("%Y-%m-%d"))
    }

    /// The mail's subject.
    pub fn subject(&self) -> String {
        fill(self.words.subject, &[("name", &self.title)])
    }

    fn heading(&self) -> String {
        let (date, time) = (self.day(self.started), self.clock(self.started));
        let zone = self.zone.name();
        fill(self.words.heading, &[("name", &self.title), ("date", &date), ("time", &time), ("zone", zone)])
    }

    fn day(&self, millis: i64) -> String {
        self.when(millis).format(self.words.date).to_string()
    }

    /// The day a line starts (in the visitor's zone), when it is not the day of the line before.
    fn new_day(&self, previous: Option<i64>, at: i64) -> Option<String> {
        let day = self.when(at).date_naive();
        (previous.map(|p| self.when(p).date_naive()) != Some(day)).then(|| self.day(at))
    }

    fn when(&self, millis: i64) -> DateTime<Tz> {
        utc(millis).with_timezone(&self.zone)
    }

    fn clock(&self, millis: i64) -> String {
        self.when(millis).format("%H:%M").to_string()
    }
}

fn utc(millis: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(millis).unwrap_or_default()
}

/// The visitor's time zone from the widget (an IANA name, `Intl`'s `timeZone`): UTC for an
/// absent, overlong or unknown one.
pub fn zone(name: Option<&str>) -> Tz {
    name.map(str::trim).filter(|n| n.len() <= 64).and_then(|n| n.parse().ok()).unwrap_or(Tz::UTC)
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
        if let Some(day) = transcript.new_day(previous, at(line)) {
            out.push_str(&format!("\n{day}\n"));
        }
        previous = Some(at(line));
        out.push('\n');
        match line {
            Line::Said { at, who, text, source } => {
                let mut rows = text.lines();
                out.push_str(&format!("[{}] {who}: {}\n", transcript.clock(*at), rows.next().unwrap_or_default()));
                for row in rows {
                    out.push_str(&format!("    {row}\n"));
                }
                if let Some((title, url)) = source {
                    out.push_str(&format!(
                        "    {}\n",
                        fill(transcript.words.from_article, &[("title", title), ("url", url)])
                    ));
                }
            }
            Line::Note { at, text } => {
                out.push_str(&format!("[{}] -- {}\n", transcript.clock(*at), text.replace('\n', " ")))
            }
        }
    }
    out
}

/// A standalone page (escaped by maud, `lang` the transcript's language): the heading and the
/// lines as a list, each time with its full instant (with the zone's offset), a day line whenever the day changes.
pub fn html(transcript: &Transcript) -> String {
    let heading = transcript.heading();
    let mut previous = Some(transcript.started);
    let days: Vec<Option<String>> = transcript
        .lines
        .iter()
        .map(|line| {
            let day = transcript.new_day(previous, at(line));
            previous = Some(at(line));
            day
        })
        .collect();
    let instant = |millis: i64| transcript.when(millis).format("%Y-%m-%dT%H:%M%:z").to_string();
    markup! {
        (DOCTYPE)
        html lang=(transcript.words.lang) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (heading) }
                style { "body{font:15px/1.5 system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}\
                         ol{list-style:none;padding:0}li{margin:.6rem 0}.who{font-weight:600}time{color:#555;margin-right:.5rem}\
                         .note{color:#555;font-style:italic}.day{font-weight:600;margin-top:1.2rem}p{margin:0;white-space:pre-wrap}" }
            }
            body {
                h1 { (heading) }
                ol {
                    @for (line, day) in transcript.lines.iter().zip(&days) {
                        @if let Some(day) = day {
                            li.day { (day) }
                        }
                        @match line {
                            Line::Said { at, who, text, source } => li {
                                time datetime=(instant(*at)) { (transcript.clock(*at)) }
                                span.who { (who) }
                                p dir="auto" { (text) }
                                @if let Some((title, url)) = source {
                                    p { (transcript.words.source) " " a href=(url) { (title) } }
                                }
                            },
                            Line::Note { at, text } => li.note {
                                time datetime=(instant(*at)) { (transcript.clock(*at)) }
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
    use crate::transcript::words::{for_languages, ENGLISH};

    fn event(seq: u64, at: i64, body: EventBody) -> Event {
        Event { seq, at, body }
    }

    /// 2026-12-02 10:48 UTC.
    const START: i64 = 1_796_208_480_000;

    fn sample() -> Transcript {
        in_words(ENGLISH)
    }

    fn in_words(words: Words) -> Transcript {
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
            event(
                8,
                START + 86_470_000,
                EventBody::Message(Message::new(Author { role: Role::Agent, name: None }, "Bye.")),
            ),
        ];
        Transcript::new("Baton Bot", START, &events, words)
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
             \n[10:49] -- You rated the chat 4 out of 5.\n\
             \n[10:49] Agent: Bye.\n"
        );
        assert_eq!(sample().file_name(), "chat-transcript-2026-12-02");
        assert_eq!(sample().subject(), "Your chat with Baton Bot: the transcript");
    }

    #[test]
    fn a_german_visitor_reads_the_transcript_s_own_words_and_dates_in_german() {
        let german = in_words(for_languages(&["de-DE".into(), "en".into()]));
        assert_eq!(
            text(&german),
            "Chat mit Baton Bot am 02.12.2026 um 10:48 UTC\n\
             \n[10:48] Baton Bot: Hello!\n\
             \n[10:49] Sie: Where is <my> parcel?\n\
             \n[10:49] Baton Bot: Parcels arrive in 3 days.\n    Track them online.\n    (aus „Shipping“: https://shop.example/help/shipping)\n\
             \n[10:50] -- Alex joined the chat.\n\
             \n03.12.2026\n\
             \n[10:48] Alex: Found it.\n\
             \n[10:49] -- Sie haben den Chat mit 4 von 5 bewertet.\n\
             \n[10:49] Mitarbeiter: Bye.\n"
        );
        assert_eq!(german.file_name(), "chat-protokoll-2026-12-02");
        assert_eq!(german.subject(), "Ihr Chat mit Baton Bot: das Protokoll");
        let page = html(&german);
        assert!(page.contains("<html lang=\"de\">"), "{page}");
        assert!(page.contains("<h1>Chat mit Baton Bot am 02.12.2026 um 10:48 UTC</h1>"), "{page}");
        assert!(page.contains("<li class=\"day\">03.12.2026</li>"), "{page}");
        assert!(page.contains("<time datetime=\"2026-12-03T10:48+00:00\">10:48</time>"), "{page}");
        assert!(page.contains("Quelle: <a href=\"https://shop.example/help/shipping\">Shipping</a>"), "{page}");
        assert!(!page.contains("You"), "no English word of the transcript's own: {page}");
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

    #[test]
    fn times_and_days_are_the_visitors_and_the_zone_is_named() {
        let pacific = sample().in_zone(zone(Some("America/Los_Angeles")));
        let text = text(&pacific);
        assert!(text.starts_with("Chat with Baton Bot, 2026-12-02 02:48 America/Los_Angeles\n"), "{text}");
        assert!(text.contains("\n[02:49] You: Where is <my> parcel?\n"), "{text}");
        assert!(text.contains("\n2026-12-03\n\n[02:48] Alex: Found it.\n"), "{text}");
        let page = html(&pacific);
        assert!(page.contains("<time datetime=\"2026-12-03T02:48-08:00\">02:48</time>"), "{page}");
        // Kiritimati is a day ahead: the heading, the file and the day lines are its days.
        let kiritimati = sample().in_zone(zone(Some("Pacific/Kiritimati")));
        assert_eq!(kiritimati.file_name(), "chat-transcript-2026-12-03");
        let text = super::text(&kiritimati);
        assert!(text.starts_with("Chat with Baton Bot, 2026-12-03 00:48 Pacific/Kiritimati\n"), "{text}");
        assert!(text.contains("\n2026-12-04\n\n[00:48] Alex: Found it.\n"), "{text}");
        let german = in_words(for_languages(&["de".into()])).in_zone(zone(Some("Europe/Berlin")));
        let text = super::text(&german);
        assert!(text.starts_with("Chat mit Baton Bot am 02.12.2026 um 11:48 Europe/Berlin\n"), "{text}");
    }

    #[test]
    fn an_unknown_or_odd_zone_is_utc() {
        let long = "A/".repeat(40);
        for name in [None, Some(""), Some("Mars/Olympus_Mons"), Some("Europe/Berlin/x"), Some(long.as_str())] {
            assert_eq!(zone(name), Tz::UTC, "{name:?}");
        }
        assert_eq!(zone(Some(" Europe/Berlin ")), Tz::Europe__Berlin);
        assert_eq!(zone(Some("UTC")), Tz::UTC);
    }
}
