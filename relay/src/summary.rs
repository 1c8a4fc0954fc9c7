//! The summary an agent gets with every handover, so the visitor never repeats themselves.
//! Extractive: what the visitor asked, what the bot answered, why it was handed over, and the
//! visitor's email. (The brain of a later issue adds facts and an LLM writer.)

use shared::Role;

use crate::bot::Turn;

pub struct SummaryInput<'a> {
    pub turns: &'a [Turn],
    pub reason: &'a str,
    pub email: Option<&'a str>,
}

pub fn summarize(input: &SummaryInput<'_>) -> String {
    let asked: Vec<&str> = input.turns.iter().filter(|t| t.role == Role::Visitor).map(|t| t.text.as_str()).collect();
    let answered = input.turns.iter().filter(|t| t.role == Role::Bot).count();
    let mut parts = Vec::new();
    match asked.as_slice() {
        [] => parts.push("The visitor asked for a person without asking anything else.".to_string()),
        [only] => parts.push(format!("The visitor wrote: \"{}\".", clip(only))),
        [.., previous, last] => {
            parts.push(format!("The visitor's latest message: \"{}\".", clip(last)));
            parts.push(format!("Before that: \"{}\" ({} visitor messages in all).", clip(previous), asked.len()));
        }
    }
    parts.push(format!("The bot answered {answered} time{}.", if answered == 1 { "" } else { "s" }));
    parts.push(format!("Handover reason: {}.", input.reason.replace('_', " ")));
    if let Some(email) = input.email {
        parts.push(format!("Email: {email}."));
    }
    parts.join(" ")
}

fn clip(text: &str) -> String {
    const MAX: usize = 200;
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= MAX {
        text
    } else {
        format!("{}…", text.chars().take(MAX).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(role: Role, text: &str) -> Turn {
        Turn { role, text: text.into() }
    }

    #[test]
    fn the_summary_carries_the_question_reason_and_email() {
        let turns = [
            turn(Role::Bot, "Hi!"),
            turn(Role::Visitor, "My order 12345 has not arrived"),
            turn(Role::Bot, "We ship within 1 business day."),
            turn(Role::Visitor, "talk to a person"),
        ];
        let summary =
            summarize(&SummaryInput { turns: &turns, reason: "explicit_request", email: Some("ada@example.com") });
        assert!(summary.contains("My order 12345 has not arrived"), "{summary}");
        assert!(summary.contains("explicit request"), "{summary}");
        assert!(summary.contains("ada@example.com"), "{summary}");
    }
}
