//! What each side sent (acknowledged) and saw, per direction, and the table it makes.

use std::collections::{BTreeMap, BTreeSet};

/// The four directions the soak checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Direction {
    VisitorToAgent,
    AgentToVisitor,
    VisitorToHelpdesk,
    HelpdeskToVisitor,
}

impl Direction {
    pub const ALL: [Direction; 4] =
        [Self::VisitorToAgent, Self::AgentToVisitor, Self::VisitorToHelpdesk, Self::HelpdeskToVisitor];

    fn label(self) -> &'static str {
        match self {
            Self::VisitorToAgent => "visitor -> agent",
            Self::AgentToVisitor => "agent -> visitor",
            Self::VisitorToHelpdesk => "visitor -> helpdesk",
            Self::HelpdeskToVisitor => "helpdesk -> visitor",
        }
    }
}

/// Sent: texts the sender got an acknowledgement for (every text is unique). Seen: how many
/// stored copies the receiving side ended up with (a copy is a distinct `seq`, or a distinct
/// helpdesk part), so a redelivery the receiver de-duplicates by `seq` is not a duplicate.
#[derive(Debug, Default)]
pub struct Tally {
    pub sent: BTreeMap<Direction, BTreeSet<String>>,
    pub seen: BTreeMap<Direction, BTreeMap<String, usize>>,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Row {
    pub sent: usize,
    pub delivered: usize,
    pub lost: usize,
    pub duplicated: usize,
}

impl Tally {
    pub fn sent(&mut self, direction: Direction, text: &str) {
        self.sent.entry(direction).or_default().insert(text.to_string());
    }

    pub fn seen(&mut self, direction: Direction, text: &str, copies: usize) {
        *self.seen.entry(direction).or_default().entry(text.to_string()).or_default() += copies;
    }

    pub fn row(&self, direction: Direction) -> Row {
        let empty = Default::default();
        let sent = self.sent.get(&direction).unwrap_or(&empty);
        let seen_empty = Default::default();
        let seen = self.seen.get(&direction).unwrap_or(&seen_empty);
        let delivered = sent.iter().filter(|t| seen.contains_key(*t)).count();
        Row {
            sent: sent.len(),
            delivered,
            lost: sent.len() - delivered,
            duplicated: seen.values().map(|n| n.saturating_sub(1)).sum(),
        }
    }

    /// The texts sent but never seen, for the report.
    pub fn lost(&self, direction: Direction) -> Vec<String> {
        let seen = self.seen.get(&direction);
        self.sent
            .get(&direction)
            .map(|s| s.iter().filter(|t| !seen.is_some_and(|seen| seen.contains_key(*t))).cloned().collect())
            .unwrap_or_default()
    }

    /// The texts seen more than once.
    pub fn duplicated(&self, direction: Direction) -> Vec<String> {
        self.seen
            .get(&direction)
            .map(|s| s.iter().filter(|(_, n)| **n > 1).map(|(t, n)| format!("{t} x{n}")).collect())
            .unwrap_or_default()
    }

    /// Prints the table; true when nothing was lost or duplicated.
    pub fn print(&self) -> bool {
        println!("{:<20} {:>6} {:>9} {:>5} {:>10}", "direction", "sent", "delivered", "lost", "duplicated");
        let mut clean = true;
        for direction in Direction::ALL {
            let row = self.row(direction);
            println!(
                "{:<20} {:>6} {:>9} {:>5} {:>10}",
                direction.label(),
                row.sent,
                row.delivered,
                row.lost,
                row.duplicated
            );
            clean &= row.lost == 0 && row.duplicated == 0;
        }
        for direction in Direction::ALL {
            let (lost, duplicated) = (self.lost(direction), self.duplicated(direction));
            if !lost.is_empty() {
                println!("lost {}: {}", direction.label(), lost.join(", "));
            }
            if !duplicated.is_empty() {
                println!("duplicated {}: {}", direction.label(), duplicated.join(", "));
            }
        }
        clean
    }
}
