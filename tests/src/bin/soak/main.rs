//! The soak: many simulated visitors on a relay running as its own process, against the
//! built-in inbox (an agent on the agent socket) and a helpdesk (the Intercom simulator, with
//! bursts of 503 and 429), with random disconnects, resumes, duplicate sends and a relay
//! restart in the middle. Prints sent / delivered / lost / duplicated per direction and exits
//! non-zero unless lost and duplicated are all zero. `scripts/soak.sh` runs it.
//!
//! Usage: `soak [--seed N] [--visitors N] [--messages N] [--seconds N] [--kill]`
//! (`--kill` restarts with SIGKILL instead of SIGTERM). Every random choice comes from the
//! seed; the interleaving with the relay does not, so a failure names the texts involved.

mod agent;
mod helpdesk;
mod tally;
mod visitor;

use std::{
    process::ExitCode,
    sync::{Arc, Mutex},
    time::Duration,
};

use baton_tests::{process::RelayProcess, sim::intercom::Intercom, test_config, TestDb};
use rand::{rngs::StdRng, SeedableRng};
use shared::Role;
use tokio::{sync::watch, time::Instant};

use tally::{Direction, Tally};

/// The two sites: one handed to the built-in inbox, one to Intercom.
const INBOX_SITE: &str = "demo";
const HELPDESK_SITE: &str = "help";
/// How long after the last message answers may take (outbox retries back off to a few seconds).
const DRAIN: Duration = Duration::from_secs(45);

#[derive(Debug)]
struct Options {
    seed: u64,
    visitors: usize,
    messages: usize,
    seconds: u64,
    kill: bool,
}

impl Options {
    fn parse() -> Result<Self, String> {
        let mut options = Self { seed: 1, visitors: 12, messages: 1000, seconds: 40, kill: false };
        let mut args = std::env::args().skip(1);
        while let Some(flag) = args.next() {
            if flag == "--kill" {
                options.kill = true;
                continue;
            }
            let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
            let number = |v: &str| v.parse::<u64>().map_err(|_| format!("{flag}: not a number: {v}"));
            match flag.as_str() {
                "--seed" => options.seed = number(&value)?,
                "--visitors" => options.visitors = number(&value)?.clamp(1, 500) as usize,
                "--messages" => options.messages = number(&value)?.clamp(1, 100_000) as usize,
                "--seconds" => options.seconds = number(&value)?.clamp(5, 3600),
                _ => return Err(format!("unknown flag {flag}")),
            }
        }
        Ok(options)
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = match Options::parse() {
        Ok(options) => options,
        Err(error) => {
            eprintln!("soak: {error}");
            return ExitCode::from(2);
        }
    };
    println!("soak: {options:?}");
    // RelayProcess keeps BATON_* variables (BATON_RELAY_BIN included) out of the relay's
    // environment.
    let binary = baton_tests::process::binary();
    println!("soak: relay binary {}", binary.display());
    let sim = Intercom::start().await;
    let db = TestDb::new();
    let mut relay = RelayProcess::start(config(&db, &sim)).await;
    let tally = Arc::new(Mutex::new(Tally::default()));
    let (stop, stopped) = watch::channel(false);
    let started = Instant::now();

    let agent = agent::Agent {
        ws_base: relay.ws_base(),
        token: baton_tests::agent_client::DEMO_TOKEN.into(),
        site: INBOX_SITE,
        tally: tally.clone(),
    };
    let agent = tokio::spawn(agent.run(stopped.clone()));
    let helpdesk = helpdesk::HelpdeskAgent {
        sim: sim.clone(),
        webhook_url: format!("{}/webhooks/intercom/{HELPDESK_SITE}", relay.http_url()),
        tally: tally.clone(),
    };
    let helpdesk = tokio::spawn(helpdesk.run(stopped.clone()));
    let weather =
        tokio::spawn(helpdesk::weather(sim.clone(), StdRng::seed_from_u64(options.seed ^ 0x5eed), stopped.clone()));

    let send_until = started + Duration::from_secs(options.seconds);
    let visitors: Vec<_> = (0..options.visitors)
        .map(|index| {
            let inbox = index % 2 == 0;
            let plan = visitor::Plan {
                index,
                site: if inbox { INBOX_SITE } else { HELPDESK_SITE },
                ws_url: relay.ws_url(),
                messages: options.messages,
                send_until,
                drain_until: send_until + DRAIN,
                answer_prefix: if inbox { 'a' } else { 'h' },
            };
            tokio::spawn(visitor::run(plan, StdRng::seed_from_u64(options.seed.wrapping_add(index as u64))))
        })
        .collect();

    // The restart, halfway through the sending.
    tokio::time::sleep_until(started + Duration::from_secs(options.seconds / 2)).await;
    let down = Instant::now();
    if options.kill {
        relay.kill();
    } else {
        relay.terminate();
    }
    relay.restart().await;
    println!(
        "soak: relay restarted ({}) in {} ms",
        if options.kill { "SIGKILL" } else { "SIGTERM" },
        down.elapsed().as_millis()
    );

    let mut outcomes = Vec::new();
    for visitor in visitors {
        outcomes.push(visitor.await.expect("visitor task"));
    }
    let _ = stop.send(true);
    let _ = agent.await;
    let _ = helpdesk.await;
    let (bursts_503, bursts_429) = weather.await.unwrap_or_default();

    // What each receiving side ended with.
    let api = baton_tests::agent_client::AgentApi::new(&relay.http_url(), baton_tests::agent_client::DEMO_TOKEN);
    let mut problems = Vec::new();
    let (mut reconnects, mut duplicate_sends) = (0, 0);
    {
        let mut tally = tally.lock().unwrap();
        for (index, outcome) in outcomes.iter().enumerate() {
            let inbox = index % 2 == 0;
            reconnects += outcome.reconnects;
            duplicate_sends += outcome.duplicate_sends;
            problems.extend(outcome.problems.iter().cloned());
            let to = if inbox { Direction::VisitorToAgent } else { Direction::VisitorToHelpdesk };
            for text in outcome.acked.iter().filter(|t| t.starts_with('v')) {
                tally.sent(to, text);
            }
            let (from, prefix) =
                if inbox { (Direction::AgentToVisitor, 'a') } else { (Direction::HelpdeskToVisitor, 'h') };
            for (_, text) in outcome.seen.values().filter(|(r, t)| *r == Role::Agent && t.starts_with(prefix)) {
                tally.seen(from, text, 1);
            }
        }
    }
    for (index, outcome) in outcomes.iter().enumerate().filter(|(i, _)| i % 2 == 0) {
        if outcome.conversation_id.is_empty() {
            problems.push(format!("visitor {index}: never got a conversation"));
            continue;
        }
        let (status, body) = api.get(&format!("/conversations/{}", outcome.conversation_id)).await;
        if status != 200 {
            problems.push(format!("transcript of {}: HTTP {status}", outcome.conversation_id));
            continue;
        }
        let mut tally = tally.lock().unwrap();
        for event in body["events"].as_array().into_iter().flatten() {
            let text = event["text"].as_str().unwrap_or_default();
            if event["kind"] == "message" && event["author"]["role"] == "visitor" && text.starts_with('v') {
                tally.seen(Direction::VisitorToAgent, text, 1);
            }
        }
    }
    {
        let conversations = sim.inner.lock().unwrap().conversations.clone();
        let mut tally = tally.lock().unwrap();
        for (_, parts) in conversations {
            for text in parts.iter().filter_map(helpdesk::visitor_text) {
                tally.seen(Direction::VisitorToHelpdesk, &text, 1);
            }
        }
    }

    println!(
        "soak: {} visitors, {} s of sending, {reconnects} reconnects, {duplicate_sends} duplicate sends, \
         {bursts_503} bursts of 503 and {bursts_429} of 429, relay started {} times, {} s in all",
        options.visitors,
        options.seconds,
        relay.starts,
        started.elapsed().as_secs()
    );
    let clean = tally.lock().unwrap().print();
    for problem in &problems {
        println!("problem: {problem}");
    }
    // A resume into another conversation, a visitor that could not get back, an error frame:
    // each is a failure even when the counts add up.
    if clean && problems.is_empty() {
        println!("soak: nothing lost, nothing duplicated");
        ExitCode::SUCCESS
    } else {
        // The relay's temp dir goes with it: keep its log for the investigation.
        let copy = std::env::temp_dir().join("baton-soak-relay.log");
        let _ = std::fs::write(&copy, relay.log());
        println!("soak: FAILED (relay log: {})", copy.display());
        ExitCode::FAILURE
    }
}

/// The demo site on the built-in inbox, and a second site handed to the Intercom simulator.
fn config(db: &TestDb, sim: &Intercom) -> relay::config::Config {
    let mut config = test_config(db);
    let mut help = config.sites.get(INBOX_SITE).expect("demo site").clone();
    baton_tests::helpdesks::configure(&mut help, &baton_tests::helpdesks::Helpdesk::settings(sim));
    config.sites.insert(HELPDESK_SITE.into(), help);
    config
}
