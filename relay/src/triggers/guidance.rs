//! What makes a site's guidance rules and topics usable, checked when a configuration file is
//! loaded and when the dashboard's Triggers page saves one (both through
//! [`super::Triggers::compile`], the page also through [`problems`] to put each message at its
//! field): a name, unique in its list; something to match on; bounded counts and lengths, so a
//! site's lists stay readable and every message stays cheap to judge.

use regex::Regex;

use crate::config::{RuleConfig, TopicConfig, TriggersConfig};

/// The most rules, and the most topics, a site has.
pub const MAX_ENTRIES: usize = 50;
/// The longest name (characters): it is shown to agents as the trigger or the tag.
pub const MAX_NAME_CHARS: usize = 60;
/// The longest rule description (characters); a language model reads it with every message.
pub const MAX_DESCRIPTION_CHARS: usize = 1000;
/// The most keywords of a rule, and cues of a topic.
pub const MAX_PHRASES: usize = 100;
/// The longest keyword or cue (characters).
pub const MAX_PHRASE_CHARS: usize = 80;
/// The most patterns of a rule, and the longest (characters).
pub const MAX_PATTERNS: usize = 20;
pub const MAX_PATTERN_CHARS: usize = 300;

/// Which list an entry is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Rule,
    Topic,
}

impl Kind {
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Rule => "rule",
            Kind::Topic => "topic",
        }
    }
}

/// A rule or topic that cannot be used: which one (its place in its list, from 0) and which of
/// its settings (`name`, `description`, `keywords`, `patterns`, `cues`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} {} ({name:?}): {field}: {problem}", kind.noun(), position + 1)]
pub struct Problem {
    pub kind: Kind,
    pub position: usize,
    pub name: String,
    pub field: &'static str,
    pub problem: String,
}

/// A pattern compiled, or what is wrong with it.
pub fn pattern(text: &str) -> Result<Regex, String> {
    if text.chars().count() > MAX_PATTERN_CHARS {
        return Err(format!("is longer than {MAX_PATTERN_CHARS} characters"));
    }
    Regex::new(text).map_err(|error| format!("does not compile: {error}"))
}

/// Every problem of `config`'s rules and topics, in list order.
pub fn problems(config: &TriggersConfig) -> Vec<Problem> {
    let mut found = Vec::new();
    list(Kind::Rule, &config.rules, |r| &r.name, rule, &mut found);
    list(Kind::Topic, &config.topics, |t| &t.name, topic, &mut found);
    found
}

/// The problems of one list: each entry's own, a name used twice, too many entries.
fn list<T>(
    kind: Kind,
    entries: &[T],
    name: impl Fn(&T) -> &String,
    own: impl Fn(&T) -> Vec<(&'static str, String)>,
    into: &mut Vec<Problem>,
) {
    let folded = |entry: &T| name(entry).trim().to_lowercase();
    for (position, entry) in entries.iter().enumerate() {
        let mut problems = own(entry);
        let taken = entries[..position].iter().find(|e| folded(e) == folded(entry));
        if let Some(other) = taken.filter(|_| !folded(entry).is_empty()) {
            problems.push(("name", format!("another {} is already named {:?}", kind.noun(), name(other).trim())));
        }
        if position == MAX_ENTRIES {
            problems.push(("name", format!("a site has at most {MAX_ENTRIES} {}s", kind.noun())));
        }
        into.extend(problems.into_iter().map(|(field, problem)| Problem {
            kind,
            position,
            name: name(entry).clone(),
            field,
            problem,
        }));
    }
}

fn rule(rule: &RuleConfig) -> Vec<(&'static str, String)> {
    let mut problems = named(&rule.name);
    if rule.description.chars().count() > MAX_DESCRIPTION_CHARS {
        problems.push(("description", format!("a description has at most {MAX_DESCRIPTION_CHARS} characters")));
    }
    problems.extend(phrases("keywords", &rule.keywords));
    if rule.patterns.len() > MAX_PATTERNS {
        problems.push(("patterns", format!("a rule has at most {MAX_PATTERNS} patterns")));
    }
    let broken = rule.patterns.iter().find_map(|p| pattern(p).err().map(|problem| format!("{p:?} {problem}")));
    problems.extend(broken.map(|problem| ("patterns", problem)));
    if rule.description.trim().is_empty() && rule.keywords.is_empty() && rule.patterns.is_empty() {
        problems.push(("description", "a rule needs a description, keywords or patterns to match on".into()));
    }
    problems
}

fn topic(topic: &TopicConfig) -> Vec<(&'static str, String)> {
    let mut problems = named(&topic.name);
    problems.extend(phrases("cues", &topic.cues));
    if topic.cues.is_empty() {
        problems.push(("cues", "a topic needs at least one cue".into()));
    }
    problems
}

fn named(name: &str) -> Vec<(&'static str, String)> {
    if name.trim().is_empty() {
        vec![("name", "a name is needed".into())]
    } else if name.chars().count() > MAX_NAME_CHARS {
        vec![("name", format!("a name has at most {MAX_NAME_CHARS} characters"))]
    } else {
        Vec::new()
    }
}

/// Keywords or cues: not too many, each short and with a word in it.
fn phrases(field: &'static str, list: &[String]) -> Option<(&'static str, String)> {
    if list.len() > MAX_PHRASES {
        return Some((field, format!("at most {MAX_PHRASES} {field}, not {}", list.len())));
    }
    if let Some(long) = list.iter().find(|p| p.chars().count() > MAX_PHRASE_CHARS) {
        let start: String = long.chars().take(20).collect();
        return Some((field, format!("\"{start}…\" is longer than {MAX_PHRASE_CHARS} characters")));
    }
    list.iter()
        .find(|p| super::text::words(p).is_empty())
        .map(|p| (field, format!("{p:?} has no word in it (letters or digits)")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topic_named(name: &str, cues: &[&str]) -> TopicConfig {
        TopicConfig { name: name.into(), cues: cues.iter().map(|c| c.to_string()).collect(), always_human: false }
    }

    #[test]
    fn the_default_rules_and_topics_have_no_problem() {
        assert_eq!(problems(&TriggersConfig::default()), Vec::new());
    }

    #[test]
    fn each_problem_names_its_entry_and_field() {
        let config = TriggersConfig {
            topics: vec![
                topic_named("refunds", &["refund"]),
                topic_named(" Refunds ", &["money back"]),
                topic_named("", &[]),
                topic_named("long", &[&"x".repeat(MAX_PHRASE_CHARS + 1)]),
                topic_named("many", &vec!["cue"; MAX_PHRASES + 1]),
                topic_named("blank", &["!!"]),
            ],
            rules: vec![RuleConfig { name: "r".into(), patterns: vec!["(open".into()], ..RuleConfig::default() }],
            ..TriggersConfig::default()
        };
        let found: Vec<_> = problems(&config).into_iter().map(|p| (p.kind, p.position, p.field)).collect();
        assert_eq!(
            found,
            [
                (Kind::Rule, 0, "patterns"),
                (Kind::Topic, 1, "name"),
                (Kind::Topic, 2, "name"),
                (Kind::Topic, 2, "cues"),
                (Kind::Topic, 3, "cues"),
                (Kind::Topic, 4, "cues"),
                (Kind::Topic, 5, "cues"),
            ]
        );
    }

    #[test]
    fn a_list_holds_at_most_its_limit() {
        let topics = (0..=MAX_ENTRIES).map(|i| topic_named(&format!("topic {i}"), &["cue"])).collect();
        let config = TriggersConfig { topics, ..TriggersConfig::default() };
        let found = problems(&config);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].position, found[0].field), (MAX_ENTRIES, "name"));
    }
}
