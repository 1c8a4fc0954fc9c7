//! The one table `scripts/bench.sh` prints: a row per figure, Baton and Node side by side, the
//! ratio, issue 10's target and whether Baton meets it (and is ahead of Node where both do the
//! same work).

pub struct Row {
    label: String,
    baton: String,
    node: String,
    ratio: String,
    target: String,
    verdict: String,
}

fn value(v: Option<f64>) -> String {
    match v {
        None => "—".into(),
        Some(v) if v >= 1000.0 => format!("{v:.0}"),
        Some(v) if v >= 10.0 => format!("{v:.1}"),
        Some(v) => format!("{v:.2}"),
    }
}

fn ratio(baton: Option<f64>, node: Option<f64>) -> String {
    match (baton, node) {
        (Some(b), Some(n)) if n > 0.0 => format!("{:.2}", b / n),
        _ => "—".into(),
    }
}

fn verdict(met: Option<bool>, ahead: Option<bool>) -> String {
    let met = match met {
        Some(true) => "target met",
        Some(false) => "target MISSED",
        None => "",
    };
    let ahead = match ahead {
        Some(true) => "ahead of Node",
        Some(false) => "BEHIND Node",
        None => "",
    };
    joined(&[met, ahead], ", ")
}

fn joined(parts: &[&str], separator: &str) -> String {
    parts.iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>().join(separator)
}

impl Row {
    fn new(label: &str, baton: Option<f64>, node: Option<f64>, target: &str, verdict: String) -> Self {
        Self {
            label: label.into(),
            baton: value(baton),
            node: value(node),
            ratio: ratio(baton, node),
            target: target.into(),
            verdict,
        }
    }

    /// More is better (sockets held); Baton must reach `at_least`.
    pub fn count(label: &str, baton: usize, node: usize, at_least: usize) -> Self {
        let mut row = Self::new(
            label,
            Some(baton as f64),
            Some(node as f64),
            &format!("≥ {at_least}"),
            verdict(Some(baton >= at_least), Some(baton >= node)),
        );
        (row.baton, row.node) = (baton.to_string(), node.to_string());
        row
    }

    /// Less is better and both relays do the same work.
    pub fn less(label: &str, baton: Option<f64>, node: Option<f64>, at_most: Option<f64>, target: &str) -> Self {
        let met = at_most.map(|t| baton.is_some_and(|b| b <= t));
        Self::new(label, baton, node, target, verdict(met, baton.zip(node).map(|(b, n)| b <= n)))
    }

    /// Both measured, but the relays do different work (`why`): no "ahead" verdict.
    pub fn other(label: &str, baton: Option<f64>, node: Option<f64>, why: &str) -> Self {
        Self::other_target(label, baton, node, None, "", why)
    }

    pub fn other_target(
        label: &str,
        baton: Option<f64>,
        node: Option<f64>,
        at_most: Option<f64>,
        target: &str,
        why: &str,
    ) -> Self {
        let met = verdict(at_most.map(|t| baton.is_some_and(|b| b <= t)), None);
        Self::new(label, baton, node, target, joined(&[&met, why], "; "))
    }

    /// Only Baton does this; more is better.
    pub fn more_only(label: &str, baton: f64, at_least: f64, target: &str, why: &str) -> Self {
        Self::new(label, Some(baton), None, target, joined(&[&verdict(Some(baton >= at_least), None), why], "; "))
    }

    /// Only Baton has this; less is better.
    pub fn less_only(label: &str, baton: f64, at_most: f64, target: &str) -> Self {
        Self::new(label, Some(baton), None, target, verdict(Some(baton <= at_most), None))
    }

    pub fn not_measured(label: &str, why: &str) -> Self {
        let mut row = Self::new(label, None, None, "", format!("needs: {why}"));
        row.baton = "not measured".into();
        row
    }
}

#[derive(Default)]
pub struct Table(Vec<Row>);

impl Table {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, row: Row) {
        self.0.push(row);
    }

    pub fn print(&self) {
        println!("| row | Baton | Node `ws` | Baton ÷ Node | target | verdict |");
        println!("|---|---:|---:|---:|---|---|");
        for r in &self.0 {
            println!("| {} | {} | {} | {} | {} | {} |", r.label, r.baton, r.node, r.ratio, r.target, r.verdict);
        }
    }
}
