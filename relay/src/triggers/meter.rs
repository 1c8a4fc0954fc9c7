//! Test-only counters of the work the text analyses do, so a test can check that the caps
//! hold for the worst messages without timing anything (timings on a shared machine flake).
//! The counting calls are compiled into test builds only.

use std::cell::Cell;

/// What is counted.
#[derive(Debug, Clone, Copy)]
pub enum Work {
    /// Bytes of folded text produced ([`super::text::fold`]).
    FoldedBytes,
    /// Pairs of messages compared for "the same question again".
    Comparisons,
    /// Cells of edit-distance tables computed (the product of the two lengths).
    EditCells,
    /// Words matched against the lexicon for typos (each distinct word of a message once).
    TypoLookups,
}

thread_local! {
    static COUNTS: [Cell<u64>; 4] = const { [const { Cell::new(0) }; 4] };
}

pub fn add(work: Work, n: usize) {
    COUNTS.with(|c| c[work as usize].set(c[work as usize].get() + n as u64));
}

/// The count of `work` since the last [`reset`] on this thread.
pub fn count(work: Work) -> u64 {
    COUNTS.with(|c| c[work as usize].get())
}

pub fn reset() {
    COUNTS.with(|c| c.iter().for_each(|c| c.set(0)));
}

#[cfg(test)]
mod tests {
    use shared::MAX_MESSAGE_CHARS;

    use crate::event::Role;

    use super::*;
    use crate::{
        bot::Turn,
        config::{HandoverConfig, TriggersConfig},
        triggers::{frustration, text, Triggers},
    };

    /// A few letters from a seed (xorshift), so the hostile messages need no random crate.
    fn letters(seed: &mut u64, len: usize) -> String {
        (0..len)
            .map(|_| {
                *seed ^= *seed << 13;
                *seed ^= *seed >> 7;
                *seed ^= *seed << 17;
                char::from(b'a' + (*seed % 26) as u8)
            })
            .collect()
    }

    /// Messages of the longest allowed length that cost the most: random words and thousands
    /// of U+26D5 (34 bytes transliterated, as in the report), only U+1FAF0 (the longest
    /// transliteration, 41 bytes), random typo bait, and one endless token.
    fn hostile(seed: &mut u64) -> Vec<String> {
        let fill = |piece: &mut dyn FnMut() -> String| {
            let mut out = String::new();
            while out.chars().count() < MAX_MESSAGE_CHARS {
                out.push_str(&piece());
            }
            out.chars().take(MAX_MESSAGE_CHARS).collect::<String>()
        };
        let mut n = 0;
        let rare = fill(&mut || {
            n += 1;
            if n < 150 {
                format!("{} ", letters(seed, 3 + n % 8))
            } else {
                "\u{26D5}".into()
            }
        });
        let typo_bait = fill(&mut || format!("{} ", letters(seed, 5 + (n % 7))));
        vec![rare, "\u{1FAF0}".repeat(MAX_MESSAGE_CHARS), typo_bait, letters(seed, MAX_MESSAGE_CHARS)]
    }

    /// `text` with a few letters changed: "the same question again".
    fn near_duplicate(text: &str, seed: &mut u64) -> String {
        let mut chars: Vec<char> = text.chars().collect();
        for _ in 0..3 {
            let at = (letters(seed, 1).as_bytes()[0] as usize * 97) % chars.len();
            chars[at] = 'x';
        }
        chars.into_iter().collect()
    }

    #[test]
    fn the_worst_messages_cost_no_more_than_the_caps() {
        let triggers = Triggers::compile(&TriggersConfig::default(), &HandoverConfig::default()).unwrap();
        let mut seed = 0x5eed_u64;
        let messages = hostile(&mut seed);
        // A long conversation of near-duplicates of every kind, as an attacker builds it:
        // every earlier message is compared with the newest and with each other.
        let mut earlier = Vec::new();
        for i in 0..100 {
            let base = &messages[i % messages.len()];
            earlier.push(Turn { role: Role::Visitor, text: near_duplicate(base, &mut seed), unanswered: false });
            earlier.push(Turn { role: Role::Bot, text: "Sorry, I can't answer that.".into(), unanswered: true });
        }
        let read = &earlier[earlier.len() - frustration::MAX_EARLIER_TURNS..];
        let visitor = read.iter().filter(|t| t.role == Role::Visitor).count() as u64;
        for text in &messages {
            reset();
            let start = std::time::Instant::now();
            let verdict = triggers.evaluate(text, &earlier);
            let took = start.elapsed();
            let (folded, compared, cells, typos) =
                (count(Work::FoldedBytes), count(Work::Comparisons), count(Work::EditCells), count(Work::TypoLookups));
            println!(
                "{:>5} bytes: folded {folded} B, {compared} comparisons, {cells} edit cells, {typos} typo lookups, \
                 {took:?}, frustration {:.2}",
                text.len(),
                verdict.frustration
            );
            // The newest message is folded once, at most MAX_FOLDED_BYTES, and each earlier
            // visitor message read once, at most MAX_EARLIER_BYTES (the code before the caps
            // folded the newest five times and each earlier one three times, whole: 136 KB
            // each for a message of U+26D5).
            // The learned detectors read the newest message's start once more, folded to at most
            // `learn::features::MAX_TEXT_BYTES`.
            let most = (text::MAX_FOLDED_BYTES + super::super::learn::features::MAX_TEXT_BYTES) as u64
                + visitor * frustration::MAX_EARLIER_BYTES as u64;
            assert!(folded <= most, "{folded} > {most}");
            // The newest against each earlier one, and each earlier against those before it.
            assert!(compared <= visitor + visitor * (visitor - 1) / 2, "{compared}");
            // Edit distance only between short texts (before: 136 KB × 136 KB per pair).
            let max_cells = (frustration::MAX_EDIT_DISTANCE_BYTES * frustration::MAX_EDIT_DISTANCE_BYTES) as u64;
            assert!(cells <= compared * max_cells, "{cells}");
            // Each distinct word is typo-matched once, however often it occurs.
            let distinct: std::collections::HashSet<String> = text::words(text).into_iter().collect();
            assert!(typos <= distinct.len() as u64, "{typos} > {}", distinct.len());
        }
    }
}
