//! The summary an agent gets with every handover, so the visitor never repeats themselves.
//! Always written (it cannot be turned off) and extractive, with no model: what the visitor
//! needs, what the bot already answered, why it was handed over, the visitor's language, and
//! the facts found in the conversation (email, order numbers, phone numbers, links).

use std::sync::LazyLock;

use regex::Regex;

use crate::{
    bot::Turn,
    conversation::signals::{find_emails, mask_emails},
    event::Role,
    triggers::{budget, language},
};

/// At most this many facts of each kind are kept (and read from any one message): an agent
/// reads ten order numbers, not a thousand, and a message pasted full of links or numbers
/// costs no more than this.
pub const MAX_FACTS: usize = 10;

pub struct SummaryInput<'a> {
    pub turns: &'a [Turn],
    /// The trigger as the agent reads it ("the visitor asked for a person", "rule: safety issue").
    pub trigger: &'a str,
    /// The topic tag, if one was found.
    pub topic: Option<&'a str>,
    /// The email the host page gave (`Baton.identify`) or the visitor left for a follow-up.
    pub email: Option<&'a str>,
    /// The site signed `email` (identity verification); otherwise anyone could have claimed it.
    pub email_verified: bool,
    /// Whether an email the visitor typed may be passed on (`summary.use_typed_email`).
    pub use_typed_email: bool,
}

/// Facts found in what the visitor wrote, in order of first appearance, without repeats.
#[derive(Debug, Default, PartialEq)]
pub struct Facts {
    pub emails: Vec<String>,
    pub orders: Vec<String>,
    pub phones: Vec<String>,
    pub links: Vec<String>,
}

static LINK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(?:https?://|www\.)[^\s<>()]+[^\s<>().,;:!?]").expect("static regex"));
/// International (`+49 …`, `0049 …`) or national (`030 …`, `(555) …`) numbers with at least 7
/// digits; separators allowed.
static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:\+|\b00|\b0|\(\d)[\d\s\-/().]{5,}\d|\b\d{3}[\s\-.]\d{3}[\s\-.]\d{4}\b").expect("static regex")
});
/// An order number: after an order word (any of the seven languages), or `#` and digits, or a
/// code such as `NW-20481`.
static ORDER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
        (?:order|bestellung|bestellnummer|auftrag|commande|pedido|ordine|encomenda|bestelling|ordernummer|nr|no|n°|number|nummer|numero|número)
        [\s.:\#°-]*(?:is|ist|est|es|e|é|is|was)?[\s.:\#-]*
        (?P<a>[A-Z]{0,4}-?\d{4,12})\b
        | \#\s?(?P<b>[A-Z]{0,4}-?\d{3,12})\b
        | \b(?P<c>[A-Z]{2,4}-\d{4,12})\b",
    )
    .expect("static regex")
});

pub fn facts(turns: &[Turn], use_typed_email: bool) -> Facts {
    let mut facts = Facts::default();
    let push = |list: &mut Vec<String>, item: String| {
        if list.len() < MAX_FACTS && !list.contains(&item) {
            list.push(item);
        }
    };
    for turn in turns.iter().filter(|t| t.role == Role::Visitor) {
        for link in LINK.find_iter(&turn.text).take(MAX_FACTS) {
            push(&mut facts.links, link.as_str().to_string());
        }
        // Links and typed emails are blanked (each in one pass) before numbers are looked
        // for, so their digits are not read as orders or phones.
        let mut rest = LINK.replace_all(&turn.text, " ").into_owned();
        if use_typed_email {
            for email in find_emails(&turn.text).take(MAX_FACTS) {
                push(&mut facts.emails, email);
            }
            rest = mask_emails(&rest, " ");
        }
        for order in ORDER.captures_iter(&rest).take(MAX_FACTS) {
            if let Some(m) = order.name("a").or(order.name("b")).or(order.name("c")) {
                push(&mut facts.orders, m.as_str().to_string());
            }
        }
        for phone in PHONE.find_iter(&rest).take(MAX_FACTS) {
            let digits = phone.as_str().chars().filter(char::is_ascii_digit).count();
            let is_order = facts.orders.iter().any(|o| phone.as_str().contains(o.as_str()));
            if (7..=15).contains(&digits) && !is_order {
                push(&mut facts.phones, phone.as_str().trim().to_string());
            }
        }
    }
    facts
}

/// True when `written` still states every fact: a model's summary is used only then.
pub fn keeps_facts(written: &str, facts: &Facts) -> bool {
    facts
        .emails
        .iter()
        .chain(&facts.orders)
        .chain(&facts.phones)
        .chain(&facts.links)
        .all(|f| written.contains(f.as_str()))
}

/// [`summarize`] and the [`facts`] it states, on the analysis [`budget`] (a blocking thread):
/// what the actor calls when a handover starts or a follow-up is saved.
pub async fn summarize_off_workers(input: &SummaryInput<'_>) -> (String, Facts) {
    let turns = input.turns.to_vec();
    let (trigger, topic, email) =
        (input.trigger.to_string(), input.topic.map(str::to_string), input.email.map(str::to_string));
    let (use_typed_email, email_verified) = (input.use_typed_email, input.email_verified);
    budget::run(budget::Weight::Heavy, move || {
        let input = SummaryInput {
            turns: &turns,
            trigger: &trigger,
            topic: topic.as_deref(),
            email: email.as_deref(),
            email_verified,
            use_typed_email,
        };
        summarize_with_facts(&input)
    })
    .await
}

pub fn summarize(input: &SummaryInput<'_>) -> String {
    summarize_with_facts(input).0
}

fn summarize_with_facts(input: &SummaryInput<'_>) -> (String, Facts) {
    // Without consent a typed address is not passed on, not even inside a quoted message.
    let asked: Vec<String> = input
        .turns
        .iter()
        .filter(|t| t.role == Role::Visitor)
        .map(|t| if input.use_typed_email { t.text.clone() } else { mask_emails(&t.text, "[email]") })
        .collect();
    let bot: Vec<&Turn> = input.turns.iter().filter(|t| t.role == Role::Bot).collect();
    let mut parts = Vec::new();
    // What the visitor needs: the first message with substance, and the latest if different.
    let need = asked.iter().find(|t| t.split_whitespace().count() >= 4).or(asked.first());
    match (need, asked.last()) {
        (None, _) | (_, None) => parts.push("The visitor asked for a person without asking anything else.".into()),
        (Some(need), Some(last)) if need == last => parts.push(format!("The visitor needs: \"{}\".", clip(need))),
        (Some(need), Some(last)) => {
            parts.push(format!("The visitor needs: \"{}\".", clip(need)));
            parts.push(format!("Latest message: \"{}\".", clip(last)));
        }
    }
    let answered = bot.iter().filter(|t| !t.unanswered).count().saturating_sub(1); // minus the greeting
    let unanswered = bot.iter().filter(|t| t.unanswered).count();
    match bot.iter().rev().find(|t| !t.unanswered).filter(|_| answered > 0) {
        Some(last) => parts.push(format!(
            "The bot answered {answered} time{} (last: \"{}\"){}.",
            plural(answered),
            clip_to(&last.text, 120),
            if unanswered > 0 { format!(" and could not answer {unanswered}") } else { String::new() }
        )),
        None if unanswered > 0 => {
            parts.push(format!("The bot could not answer {unanswered} question{}.", plural(unanswered)))
        }
        None => parts.push("The bot has not answered anything yet.".into()),
    }
    parts.push(format!("Handed over because {}.", input.trigger));
    if let Some(topic) = input.topic {
        parts.push(format!("Topic: {topic}."));
    }
    if let Some(lang) = language::detect(&asked.join(" ")) {
        parts.push(format!("Language: {lang}."));
    }
    let facts = facts(input.turns, input.use_typed_email);
    let mut found = Vec::new();
    let label = if input.email_verified { "verified by the site" } else { "unverified" };
    let mut emails: Vec<String> = input.email.map(|e| format!("{e} ({label})")).into_iter().collect();
    emails.extend(facts.emails.iter().filter(|e| Some(e.as_str()) != input.email).map(|e| format!("{e} (typed)")));
    for (label, list) in
        [("email", &emails), ("order", &facts.orders), ("phone", &facts.phones), ("link", &facts.links)]
    {
        if !list.is_empty() {
            found.push(format!("{label} {}", list.join(", ")));
        }
    }
    if !found.is_empty() {
        parts.push(format!("Facts: {}.", found.join("; ")));
    }
    (parts.join(" "), facts)
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn clip(text: &str) -> String {
    clip_to(text, 200)
}

fn clip_to(text: &str, max: usize) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= max {
        text
    } else {
        format!("{}…", text.chars().take(max).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_summary_must_keep_every_fact() {
        let facts = Facts { emails: vec!["ada@example.com".into()], orders: vec!["40123".into()], ..Facts::default() };
        assert!(keeps_facts("Ada (ada@example.com) waits for order 40123.", &facts));
        assert!(!keeps_facts("Ada waits for her order.", &facts));
    }

    fn turn(role: Role, text: &str) -> Turn {
        Turn { role, text: text.into(), unanswered: false }
    }

    /// What summarises `turns` for a plain trigger: no topic, no email given, typed emails kept out.
    fn plain(turns: &[Turn]) -> SummaryInput<'_> {
        SummaryInput { turns, trigger: "x", topic: None, email: None, email_verified: false, use_typed_email: false }
    }

    #[test]
    fn the_summary_carries_need_answers_trigger_language_and_facts() {
        let turns = [
            turn(Role::Bot, "Hi!"),
            turn(Role::Visitor, "Meine Bestellung 40123 ist nicht angekommen, Tracking: https://track.example/40123"),
            turn(Role::Bot, "We ship within 1 business day."),
            turn(Role::Visitor, "Rufen Sie mich an: +49 30 1234567 oder schreiben Sie an ada@example.com"),
        ];
        let summary = summarize(&SummaryInput {
            turns: &turns,
            trigger: "the visitor asked for a person",
            topic: Some("order status"),
            email: None,
            email_verified: false,
            use_typed_email: true,
        });
        for fact in [
            "Meine Bestellung 40123",
            "answered 1 time",
            "asked for a person",
            "Topic: order status",
            "German",
            "order 40123",
            "+49 30 1234567",
            "ada@example.com (typed)",
            "https://track.example/40123",
        ] {
            assert!(summary.contains(fact), "{fact} missing: {summary}");
        }
    }

    #[test]
    fn facts_are_told_apart() {
        let facts = facts(
            &[turn(
                Role::Visitor,
                "Order #A-55120 and NW-20481, call 0171 5550199, see www.shop.example/x. Paid 49.90 on 12.03.2024",
            )],
            false,
        );
        assert_eq!(facts.orders, ["A-55120", "NW-20481"]);
        assert_eq!(facts.phones, ["0171 5550199"]);
        assert_eq!(facts.links, ["www.shop.example/x"]);
    }

    #[test]
    fn facts_are_capped_however_many_a_message_holds() {
        // Messages of the longest length, full of distinct links, emails, orders and phones.
        let text: String = (0..2000)
            .map(|i| format!("www.s{i}.example/p x{i}@mail.example order {} +49 30 7{i:06} ", 100_000 + i))
            .collect::<String>()
            .chars()
            .take(shared::MAX_MESSAGE_CHARS)
            .collect();
        let turns: Vec<Turn> = (0..30).map(|_| turn(Role::Visitor, &text)).collect();
        let facts = facts(&turns, true);
        for list in [&facts.links, &facts.emails, &facts.orders, &facts.phones] {
            assert_eq!(list.len(), MAX_FACTS, "{facts:?}");
        }
        assert_eq!(facts.links[0], "www.s0.example/p");
        assert_eq!(facts.orders[0], "100000");
        let summary = summarize(&plain(&turns));
        assert!(!summary.contains("@mail.example"), "{summary}");
        assert!(summary.len() < 4000, "{} bytes", summary.len());
    }

    #[test]
    fn a_typed_email_is_left_out_without_consent() {
        let turns = [turn(Role::Visitor, "write to me at bob@example.com please")];
        assert!(!summarize(&plain(&turns)).contains("bob@example.com"));
    }

    #[test]
    fn the_page_given_email_says_whether_the_site_signed_it() {
        let turns = [turn(Role::Visitor, "where is my parcel?")];
        let input = |email_verified| SummaryInput {
            email: Some("ada@example.com"),
            email_verified,
            use_typed_email: true,
            ..plain(&turns)
        };
        assert!(summarize(&input(true)).contains("ada@example.com (verified by the site)"));
        let unsigned = summarize(&input(false));
        assert!(unsigned.contains("ada@example.com (unverified)"), "{unsigned}");
        assert!(!unsigned.contains("given by the site"), "{unsigned}");
    }
}
