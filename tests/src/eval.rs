//! The triggers' evaluation: labelled messages and conversations run through the relay's own
//! triggers with the default settings, on four sets (see [`sets`]): the training corpus's test
//! part, the project's labelled data (`tests/data/`), the held-out files
//! (`tests/data/heldout/`) and the independent held-out files written by another author
//! (`tests/data/heldout/independent*`, when present). Precision, recall and the false-positive
//! rate come with 95 % Wilson intervals, per language and per kind of wording, with the top
//! confusions. `cargo run -p baton-tests --bin baton-eval` prints them; the `evaluation` test
//! asserts the floors.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use relay::{
    bot::Turn,
    config::{HandoverConfig, TriggersConfig},
    conversation::machine::Reason,
    event::Role,
    summary::{summarize, SummaryInput},
    triggers::{
        learn::corpus::{self, Part},
        Triggers,
    },
};
use serde::Deserialize;

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
    pub fn positives(&self) -> u32 {
        self.tp + self.fn_
    }
    pub fn negatives(&self) -> u32 {
        self.fp + self.tn
    }
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.positives())
    }
    /// Of the negatives, how many fired (0 when there are none).
    pub fn false_positive_rate(&self) -> f64 {
        if self.negatives() == 0 {
            0.0
        } else {
            ratio(self.fp, self.negatives())
        }
    }
    pub fn precision_interval(&self) -> (f64, f64) {
        wilson(self.tp, self.tp + self.fp)
    }
    pub fn recall_interval(&self) -> (f64, f64) {
        wilson(self.tp, self.positives())
    }
    pub fn false_positive_interval(&self) -> (f64, f64) {
        wilson(self.fp, self.negatives())
    }
}

fn ratio(a: u32, b: u32) -> f64 {
    if b == 0 {
        1.0
    } else {
        f64::from(a) / f64::from(b)
    }
}

/// The 95 % Wilson score interval of `k` successes in `n` trials ((0, 1) when `n` is 0).
pub fn wilson(k: u32, n: u32) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let (k, n, z) = (f64::from(k), f64::from(n), 1.959_964);
    let p = k / n;
    let centre = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
    let half = z / (1.0 + z * z / n) * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// Per trigger, then per language or kind ("all" for the total).
pub type Table = BTreeMap<String, BTreeMap<String, Counts>>;

/// A misclassified example: (trigger, language, kind, expected, text or conversation id).
pub type Error = (String, String, String, bool, String);

/// The figures on one set.
#[derive(Debug, Default)]
pub struct Report {
    pub name: String,
    /// Per trigger, per language.
    pub triggers: Table,
    /// Per trigger, per kind of wording.
    pub kinds: Table,
    /// Facts stated in the conversations, and how many the summaries carry.
    pub facts_stated: u32,
    pub facts_found: u32,
    /// Facts the summaries missed: (conversation, fact).
    pub missed: Vec<(String, String)>,
    pub errors: Vec<Error>,
    /// Rows of a trigger the evaluation does not know, skipped.
    pub skipped: u32,
    /// A held-out set: the printed report counts its errors and missed facts but never shows
    /// their texts, so that reading the figures cannot turn into tuning on them.
    pub blind: bool,
}

impl Report {
    fn new(name: &str) -> Self {
        Self { name: name.into(), ..Self::default() }
    }

    fn record(&mut self, trigger: &str, lang: &str, kind: &str, expected: bool, got: bool, text: &str) {
        for (table, key) in [(&mut self.triggers, lang), (&mut self.kinds, kind)] {
            let table = table.entry(trigger.to_string()).or_default();
            table.entry(key.to_string()).or_default().add(expected, got);
            table.entry("all".to_string()).or_default().add(expected, got);
        }
        if expected != got {
            self.errors.push((trigger.into(), lang.into(), kind.into(), expected, text.into()));
        }
    }

    /// The counts of `trigger` in `lang` ("all" for every language).
    pub fn counts(&self, trigger: &str, lang: &str) -> Counts {
        self.triggers.get(trigger).and_then(|t| t.get(lang)).copied().unwrap_or_default()
    }
}

#[derive(Deserialize)]
struct Conversation {
    id: String,
    lang: String,
    frustrated: bool,
    #[serde(default)]
    kind: Option<String>,
    turns: Vec<(String, String)>,
    #[serde(default)]
    facts: Vec<String>,
}

pub fn data_dir() -> PathBuf {
    crate::workspace_root().join("tests/data")
}

/// One set of labelled files: messages (`trigger lang label [kind] text`, tab-separated) and
/// conversations (JSON lines).
#[derive(Debug, Clone)]
pub struct Files {
    pub name: &'static str,
    pub utterances: PathBuf,
    pub conversations: PathBuf,
    /// Held out: its report withholds the texts of its errors ([`Report::blind`]).
    pub blind: bool,
}

/// A held-out set: two files of `tests/data/heldout/`, its errors' texts withheld.
fn held_out(dir: &Path, name: &'static str, utterances: &str, conversations: &str) -> Files {
    let dir = dir.join("heldout");
    Files { name, utterances: dir.join(utterances), conversations: dir.join(conversations), blind: true }
}

/// The held-out files of the project (written after the rules were tuned, never trained on).
pub fn heldout(dir: &Path) -> Files {
    held_out(dir, "held-out", "utterances.tsv", "conversations.jsonl")
}

/// The independent held-out files, written by another author without seeing the detector.
pub fn independent(dir: &Path) -> Files {
    held_out(dir, "independent", "independent.tsv", "independent_conversations.jsonl")
}

/// The fresh held-out files (issue 11's sixth pass): written by another author on 2026-12-03,
/// who saw neither the corpus, the models nor the other files, before the models were
/// retrained on that day's corpus; never trained or tuned on.
pub fn fresh(dir: &Path) -> Files {
    held_out(dir, "fresh", "fresh.tsv", "fresh_conversations.jsonl")
}

/// The project's own labelled files (the rules were tuned on them).
pub fn project(dir: &Path) -> Files {
    Files {
        name: "tests/data",
        utterances: dir.join("utterances.tsv"),
        conversations: dir.join("conversations.jsonl"),
        blind: false,
    }
}

fn triggers() -> anyhow::Result<Triggers> {
    Ok(Triggers::compile(&TriggersConfig::default(), &HandoverConfig::default())?)
}

fn turns(conversation: &[(String, String)]) -> Vec<Turn> {
    conversation
        .iter()
        .map(|(who, text)| Turn {
            role: if who == "v" { Role::Visitor } else { Role::Bot },
            text: text.clone(),
            unanswered: who == "x",
        })
        .collect()
}

/// Whether any visitor message of `turns`, given the turns before it, counts as frustrated.
fn frustrated(triggers: &Triggers, turns: &[Turn]) -> bool {
    let threshold = triggers.config().frustration.threshold;
    turns
        .iter()
        .enumerate()
        .filter(|(_, t)| t.role == Role::Visitor)
        .any(|(i, t)| triggers.evaluate(&t.text, &turns[..i]).frustration >= threshold)
}

/// The corpus's test part: wordings (template lines) the models never saw, used neither for
/// training nor for choosing the thresholds or the settings.
pub fn corpus_test() -> anyhow::Result<Report> {
    let part = Part::Test;
    let triggers = triggers()?;
    let mut report = Report::new("corpus test part");
    for sample in corpus::requests(corpus::SEED)?.iter().filter(|s| s.part() == part) {
        let got = triggers.asks_for_person(&sample.text);
        report.record("explicit_request", sample.lang, &sample.kind, sample.label, got, &sample.text);
    }
    let threshold = triggers.config().frustration.threshold;
    for sample in corpus::frustration(corpus::SEED)?.iter().filter(|s| s.part() == part) {
        let got = triggers.evaluate(&sample.text, &sample.earlier).frustration >= threshold;
        report.record("frustration (message)", sample.lang, &sample.kind, sample.label, got, &sample.text);
    }
    Ok(report)
}

/// The figures on one set of files; `None` when its files are not there.
pub fn run_files(files: &Files) -> anyhow::Result<Option<Report>> {
    if !files.utterances.exists() && !files.conversations.exists() {
        return Ok(None);
    }
    let triggers = triggers()?;
    let mut report = Report { blind: files.blind, ..Report::new(files.name) };
    if files.utterances.exists() {
        let utterances = std::fs::read_to_string(&files.utterances)?;
        // A frustrated message alone is read as coming right after the bot could not answer.
        let missed = [Turn { role: Role::Bot, text: "Sorry, I can't answer that.".into(), unanswered: true }];
        for line in utterances.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
            let fields: Vec<&str> = if line.matches('\t').count() >= 4 {
                line.splitn(5, '\t').collect()
            } else {
                let mut four: Vec<&str> = line.splitn(4, '\t').collect();
                four.insert(3, "-");
                four
            };
            let [trigger, lang, label, kind, text] = fields[..] else {
                anyhow::bail!("bad line in {}: {line:?}", files.utterances.display());
            };
            let got = match trigger {
                "explicit_request" => triggers.asks_for_person(text),
                "frustration" => {
                    triggers.evaluate(text, &missed).frustration >= triggers.config().frustration.threshold
                }
                "rule" | "topic" => {
                    let verdict = triggers.evaluate(text, &[]);
                    let reason = if trigger == "rule" { Reason::Rule } else { Reason::Topic };
                    verdict.handover.is_some_and(|t| t.reason == reason)
                }
                _ => {
                    report.skipped += 1;
                    continue;
                }
            };
            report.record(trigger, lang, kind, label.trim() == "1", got, text);
        }
    }
    if files.conversations.exists() {
        let conversations = std::fs::read_to_string(&files.conversations)?;
        for line in conversations.lines().filter(|l| !l.trim().is_empty()) {
            let conversation: Conversation = serde_json::from_str(line)?;
            let turns = turns(&conversation.turns);
            let got = frustrated(&triggers, &turns);
            let kind = conversation.kind.as_deref().unwrap_or("-");
            report.record("frustration", &conversation.lang, kind, conversation.frustrated, got, &conversation.id);
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
    }
    Ok(Some(report))
}

/// Every set: the corpus's test part, the project's data, the held-out, the independent and
/// the fresh files under `dir` (those present).
pub fn sets(dir: &Path) -> anyhow::Result<Vec<Report>> {
    let mut reports = vec![corpus_test()?];
    for files in [project(dir), heldout(dir), independent(dir), fresh(dir)] {
        reports.extend(run_files(&files)?);
    }
    Ok(reports)
}

fn interval((lo, hi): (f64, f64)) -> String {
    format!("[{lo:.2}-{hi:.2}]")
}

fn percent_interval((lo, hi): (f64, f64)) -> String {
    format!("[{:.1}-{:.1}%]", 100.0 * lo, 100.0 * hi)
}

fn table(f: &mut std::fmt::Formatter<'_>, by: &str, table: &Table) -> std::fmt::Result {
    writeln!(
        f,
        "{:<22} {:<14} {:>4} {:>4}  {:<17} {:<17} {:<18}",
        "trigger", by, "pos", "neg", "precision [95%]", "recall [95%]", "FP rate [95%]"
    )?;
    for (trigger, rows) in table {
        for (key, c) in rows {
            writeln!(
                f,
                "{trigger:<22} {key:<14} {:>4} {:>4}  {:.2} {:<12} {:.2} {:<12} {:>5.1}% {}",
                c.positives(),
                c.negatives(),
                c.precision(),
                interval(c.precision_interval()),
                c.recall(),
                interval(c.recall_interval()),
                100.0 * c.false_positive_rate(),
                percent_interval(c.false_positive_interval())
            )?;
        }
    }
    Ok(())
}

/// A kind of error: its trigger, its kind, and whether the trigger was expected (missed) or
/// not (a false alarm).
pub type Confusion = (String, String, bool);

/// How many errors of each (trigger, kind, missed or false alarm), most first.
pub fn confusions(errors: &[Error]) -> Vec<(Confusion, Vec<&str>)> {
    let mut groups: BTreeMap<Confusion, Vec<&str>> = BTreeMap::new();
    for (trigger, _, kind, expected, text) in errors {
        groups.entry((trigger.clone(), kind.clone(), *expected)).or_default().push(text);
    }
    let mut groups: Vec<_> = groups.into_iter().collect();
    groups.sort_by_key(|(_, texts)| std::cmp::Reverse(texts.len()));
    groups
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "== {} ==", self.name)?;
        table(f, "lang", &self.triggers)?;
        writeln!(f)?;
        table(f, "kind", &self.kinds)?;
        if self.facts_stated > 0 {
            writeln!(f, "summary facts: {}/{} found", self.facts_found, self.facts_stated)?;
            for (id, fact) in &self.missed {
                if self.blind {
                    writeln!(f, "  missed in {id}: (held out: fact not shown)")?;
                } else {
                    writeln!(f, "  missed in {id}: {fact}")?;
                }
            }
        }
        if self.skipped > 0 {
            writeln!(f, "skipped {} rows of triggers the evaluation does not know", self.skipped)?;
        }
        if self.blind {
            writeln!(f, "top confusions (held out: counts only, texts not shown):")?;
        } else {
            writeln!(f, "top confusions:")?;
        }
        for ((trigger, kind, expected), texts) in confusions(&self.errors).iter().take(8) {
            let what = if *expected { "missed" } else { "false alarm" };
            let examples = if self.blind {
                String::new()
            } else {
                format!(": {}", texts.iter().take(3).copied().collect::<Vec<_>>().join(" | "))
            };
            writeln!(f, "  {:>3} × {what} ({trigger}, {kind}){examples}", texts.len())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_intervals_match_the_textbook() {
        let (lo, hi) = wilson(49, 58);
        assert!((lo - 0.7307).abs() < 1e-3 && (hi - 0.9162).abs() < 1e-3, "{lo} {hi}");
        assert_eq!(wilson(0, 0), (0.0, 1.0));
        let (lo, hi) = wilson(10, 10);
        assert!(hi > 0.9999 && (lo - 0.7225).abs() < 1e-3, "{lo}");
    }

    #[test]
    fn a_held_out_report_counts_its_errors_without_their_texts() {
        let mut report = Report { blind: true, ..Report::new("held-out") };
        report.record("explicit_request", "en", "callback", true, false, "ring me back please");
        report.facts_stated = 1;
        report.missed.push(("c1".into(), "order 4411".into()));
        let printed = report.to_string();
        assert!(printed.contains("1 × missed (explicit_request, callback)"), "{printed}");
        assert!(!printed.contains("ring me back") && !printed.contains("4411"), "{printed}");
        report.blind = false;
        let printed = report.to_string();
        assert!(printed.contains("ring me back please") && printed.contains("order 4411"), "{printed}");
    }
}
