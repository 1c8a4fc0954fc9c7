//! How long the triggers take to classify one visitor message, and how big their models are.
//! Every message of the training corpus (all parts, requests and frustration, with the turns
//! before it) goes once through a warm-up and then, timed one by one, through
//! `Triggers::evaluate` with the default settings (the request model and rules, the
//! frustration model with the conversation's facts, topics and guidance rules): mean, median,
//! p99 and maximum. A figure printer, not a test: run it on a quiet machine, in release for
//! the figure that counts (`cargo run --release -p baton-tests --bin trigger-bench`); the
//! profile it was built with is printed.

use std::time::{Duration, Instant};

use relay::{
    config::{HandoverConfig, TriggersConfig},
    triggers::{
        learn::{self, corpus},
        Triggers,
    },
};

/// The target of issue 11: one message in at most this long.
const TARGET: Duration = Duration::from_micros(200);

fn main() -> anyhow::Result<()> {
    let triggers = Triggers::compile(&TriggersConfig::default(), &HandoverConfig::default())?;
    let mut messages = corpus::requests(corpus::SEED)?;
    messages.extend(corpus::frustration(corpus::SEED)?);
    let mut handed_over = 0usize;
    for m in &messages {
        handed_over += usize::from(triggers.evaluate(&m.text, &m.earlier).handover.is_some());
    }
    let mut times: Vec<Duration> = Vec::with_capacity(messages.len());
    for m in &messages {
        let start = Instant::now();
        let verdict = std::hint::black_box(triggers.evaluate(std::hint::black_box(&m.text), &m.earlier));
        times.push(start.elapsed());
        drop(verdict);
    }
    times.sort_unstable();
    let total: Duration = times.iter().sum();
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    let micros = |d: Duration| d.as_secs_f64() * 1e6;
    let profile = if cfg!(debug_assertions) { "debug (unoptimised)" } else { "release" };
    println!("trigger classification, {} corpus messages, one Triggers::evaluate each, {profile} build", times.len());
    println!(
        "  mean {:.1} µs, median {:.1} µs, p99 {:.1} µs, max {:.1} µs (target ≤ {} µs; {handed_over} of them hand over)",
        micros(total / times.len() as u32),
        micros(at(0.5)),
        micros(at(0.99)),
        micros(times[times.len() - 1]),
        TARGET.as_micros()
    );
    let models = learn::models();
    for (name, model) in [("request", &models.request), ("frustration", &models.frustration)] {
        println!(
            "  {name} model: {} bytes ({:.0} KiB; 2^{} one-byte weights, {} of them non-zero), threshold {:.2}",
            model.size(),
            model.size() as f64 / 1024.0,
            model.bits,
            model.nonzero(),
            model.threshold
        );
    }
    Ok(())
}
