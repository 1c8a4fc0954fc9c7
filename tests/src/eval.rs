//! The triggers' evaluation: labelled utterances (`tests/data/utterances.tsv`) and labelled
//! conversations (`tests/data/conversations.jsonl`) run through the relay's own detectors with
//! the default settings. `cargo run -p baton-tests --bin baton-eval` prints the figures; the
//! `evaluation` test asserts the targets.

use std::{collections::BTreeMap, path::Path};

use relay::{
    bot::Turn,
    config::{HandoverConfig, TriggersConfig},
    conversation::machine::Reason,
    summary::{summarize, SummaryInput},
    triggers::{frustration, Triggers},
};
use serde::Deserialize;
use shared::Role;

/// Counts for precision and recall.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub tp: u32,
    pub fp: u32,
    pub tn: u32,
    pub fn_: u32,
}

impl Counts {
    fn add(&mut self, expected: bool, got: bool) {
        match (expected, got) {
            (true, true) => self.tp += 1,
            (false, true) => self.fp += 1,
            (false, false) => self.tn += 1,
            (true, false) => self.fn_ += 1,
        }
    }
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    /// Of the negatives, how many fired.
    pub fn false_positive_rate(&self) -> f64 {
        if self.fp + self.tn == 0 {
            0.0
        } else {
            ratio(self.fp, self.fp + self.tn)
        }
    }
}

fn ratio(a: u32, b: u32) -> f64 {
    if b == 0 {
        1.0
    } else {
        f64::from(a) / f64::from(b)
    }
}

/// Per trigger, then per language ("all" for the total).
pub type Table = BTreeMap<String, BTreeMap<String, Counts>>;

#[derive(Debug, Default)]
pub struct Report {
    pub triggers: Table,
    /// Facts stated in the conversations, and how many the summaries carry.
    pub facts_stated: u32,
    pub facts_found: u32,
    /// Facts the summaries missed: (conversation, fact).
    pub missed: Vec<(String, String)>,
    /// Misclassified examples: (trigger, language, expected, text).
    pub errors: Vec<(String, String, bool, String)>,
}

#[derive(Deserialize)]
struct Conversation {
    id: String,
    lang: String,
    frustrated: bool,
    turns: Vec<(String, String)>,
    facts: Vec<String>,
}

pub fn data_dir() -> std::path::PathBuf {
    crate::workspace_root().join("tests/data")
}

pub fn run(dir: &Path) -> anyhow::Result<Report> {
    let triggers = Triggers::compile(&TriggersConfig::default(), &HandoverConfig::default())?;
    let mut report = Report::default();
    let record = |report: &mut Report, trigger: &str, lang: &str, expected: bool, got: bool, text: &str| {
        let table = report.triggers.entry(trigger.to_string()).or_default();
        table.entry(lang.to_string()).or_default().add(expected, got);
        table.entry("all".to_string()).or_default().add(expected, got);
        if expected != got {
            report.errors.push((trigger.into(), lang.into(), expected, text.into()));
        }
    };
    let utterances = std::fs::read_to_string(dir.join("utterances.tsv"))?;
    for line in utterances.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let [trigger, lang, label, text] = line.splitn(4, '\t').collect::<Vec<_>>()[..] else {
            anyhow::bail!("bad line in utterances.tsv: {line:?}");
        };
        let verdict = triggers.evaluate(text, &[]);
        let got = match trigger {
            "explicit_request" => triggers.asks_for_person(text),
            "rule" => verdict.handover.is_some_and(|t| t.reason == Reason::Rule),
            "topic" => verdict.handover.is_some_and(|t| t.reason == Reason::Topic),
            other => anyhow::bail!("unknown trigger {other:?}"),
        };
        record(&mut report, trigger, lang, label == "1", got, text);
    }
    let threshold = TriggersConfig::default().frustration.threshold;
    let conversations = std::fs::read_to_string(dir.join("conversations.jsonl"))?;
    for line in conversations.lines().filter(|l| !l.trim().is_empty()) {
        let conversation: Conversation = serde_json::from_str(line)?;
        let turns: Vec<Turn> = conversation
            .turns
            .iter()
            .map(|(who, text)| Turn {
                role: if who == "v" { Role::Visitor } else { Role::Bot },
                text: text.clone(),
                unanswered: who == "x",
            })
            .collect();
        // Frustrated if any visitor message, given the turns before it, crosses the threshold.
        let frustrated = turns
            .iter()
            .enumerate()
            .filter(|(_, t)| t.role == Role::Visitor)
            .any(|(i, t)| frustration::score(&t.text, &turns[..i]) >= threshold);
        record(&mut report, "frustration", &conversation.lang, conversation.frustrated, frustrated, &conversation.id);
        let summary = summarize(&SummaryInput {
            turns: &turns,
            trigger: "the visitor asked for a person",
            topic: None,
            email: None,
            email_verified: false,
            use_typed_email: true,
        });
        for fact in &conversation.facts {
            report.facts_stated += 1;
            if summary.contains(fact.as_str()) {
                report.facts_found += 1;
            } else {
                report.missed.push((conversation.id.clone(), fact.clone()));
            }
        }
    }
    Ok(report)
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{:<18} {:<5} {:>4} {:>4} {:>9} {:>7} {:>6}",
            "trigger", "lang", "pos", "neg", "precision", "recall", "FP"
        )?;
        for (trigger, langs) in &self.triggers {
            for (lang, c) in langs {
                writeln!(
                    f,
                    "{trigger:<18} {lang:<5} {:>4} {:>4} {:>9.3} {:>7.3} {:>5.1}%",
                    c.tp + c.fn_,
                    c.fp + c.tn,
                    c.precision(),
                    c.recall(),
                    100.0 * c.false_positive_rate()
                )?;
            }
        }
        writeln!(f, "summary facts: {}/{} found", self.facts_found, self.facts_stated)?;
        for (id, fact) in &self.missed {
            writeln!(f, "  missed in {id}: {fact}")?;
        }
        for (trigger, lang, expected, text) in &self.errors {
            let kind = if *expected { "missed" } else { "false alarm" };
            writeln!(f, "  {kind} ({trigger}, {lang}): {text}")?;
        }
        Ok(())
    }
}
