//! Visitor messages at a sustained rate: `VISITORS` sockets each send a question every
//! `VISITORS / rate` seconds (spread evenly, open loop: a send never waits for an answer), and
//! each latency is taken from the time the message was due, so a stalled relay or generator
//! shows in the figures instead of hiding them. Measured: due → `ack`, and due → the bot's
//! answer (the next bot message on that socket).

use std::{
    collections::{HashMap, VecDeque},
    net::SocketAddr,
    time::Duration,
};

use futures_util::{stream, StreamExt};
use shared::{ClientFrame, EventBody, Role, ServerFrame};
use tokio::time::Instant;

use crate::{client, stats::Latencies};

/// Questions the demo site's help articles answer; each visitor goes through them in turn.
const QUESTIONS: [&str; 8] = [
    "How long does delivery take?",
    "Do you accept PayPal?",
    "How do I return an item?",
    "What size of shoes should I order?",
    "Is there a warranty?",
    "Can I pay by credit card?",
    "How much does shipping cost?",
    "How do I wash the jacket?",
];

pub struct Chat {
    pub acks: Latencies,
    /// The same acks timed from when the message was really sent, not from when it was due:
    /// without the generator's own lateness ([`Chat::late`]).
    pub acks_from_send: Latencies,
    /// How late the generator sent each message (sent − due): its own share of the figures
    /// when it waits for a core beside the relay.
    pub late: Latencies,
    pub answers: Latencies,
    pub sent: usize,
    /// Sends with no ack (or no answer) before the drain deadline.
    pub missing_acks: usize,
    pub missing_answers: usize,
    pub visitors: usize,
    pub errors: usize,
}

impl Chat {
    /// What was sent, timed and missed, for the lines under the table.
    pub fn summary(&self) -> String {
        format!(
            "messages: {} visitors, {} due after the warm-up, {} acks and {} answers timed, {} and {} missing, \
             {} sockets failed",
            self.visitors,
            self.sent,
            self.acks.len(),
            self.answers.len(),
            self.missing_acks,
            self.missing_answers,
            self.errors
        )
    }
}

/// `visitors` sockets spread over the relays at `addrs` in turn, `rate` messages per second in
/// all, for `warmup + measured` (only messages due after the warm-up are counted).
pub async fn run(addrs: &[SocketAddr], visitors: usize, rate: f64, warmup: Duration, measured: Duration) -> Chat {
    let opened: Vec<_> = stream::iter(0..visitors)
        .map(|n| {
            let addr = addrs[n % addrs.len()];
            async move { client::visitor(addr, client::source(n)).await }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let sockets: Vec<_> = opened.into_iter().filter_map(Result::ok).collect();
    let errors = visitors - sockets.len();
    let period = Duration::from_secs_f64(sockets.len() as f64 / rate);
    let start = Instant::now() + Duration::from_millis(500);
    let count_from = start + warmup;
    let stop = count_from + measured;
    let spacing = period / sockets.len().max(1) as u32;
    let tasks: Vec<_> = sockets
        .into_iter()
        .enumerate()
        .map(|(i, (ws, _))| tokio::spawn(visitor(ws, start + spacing * i as u32, period, count_from, stop)))
        .collect();
    let mut chat = Chat {
        acks: Latencies::default(),
        acks_from_send: Latencies::default(),
        late: Latencies::default(),
        answers: Latencies::default(),
        sent: 0,
        missing_acks: 0,
        missing_answers: 0,
        visitors,
        errors,
    };
    for task in tasks {
        match task.await {
            Ok(one) => {
                chat.acks.extend(one.acks);
                chat.acks_from_send.extend(one.acks_from_send);
                chat.late.extend(one.late);
                chat.answers.extend(one.answers);
                chat.sent += one.sent;
                chat.missing_acks += one.missing_acks;
                chat.missing_answers += one.missing_answers;
            }
            Err(_) => chat.errors += 1,
        }
    }
    chat
}

#[derive(Default)]
struct One {
    acks: Vec<Duration>,
    acks_from_send: Vec<Duration>,
    late: Vec<Duration>,
    answers: Vec<Duration>,
    sent: usize,
    missing_acks: usize,
    missing_answers: usize,
}

async fn visitor(mut ws: client::Ws, first: Instant, period: Duration, count_from: Instant, stop: Instant) -> One {
    let mut one = One::default();
    let mut due_at = first;
    let mut k = 0usize;
    // client id → (due time, sent time), for acks; due times of questions not answered yet, in order.
    let mut unacked: HashMap<String, (Instant, Instant)> = HashMap::new();
    let mut unanswered: VecDeque<Instant> = VecDeque::new();
    let drain_until = stop + client::FRAME_WAIT;
    loop {
        let sending = due_at < stop;
        if !sending && unacked.is_empty() && unanswered.is_empty() {
            break;
        }
        tokio::select! {
            () = tokio::time::sleep_until(due_at), if sending => {
                let client_id = format!("q{k}");
                let text = QUESTIONS[k % QUESTIONS.len()].to_string();
                let sent_at = Instant::now();
                if client::send(&mut ws, &ClientFrame::Send { client_id: client_id.clone(), text, attachments: vec![] }).await.is_err() {
                    break;
                }
                unacked.insert(client_id, (due_at, sent_at));
                unanswered.push_back(due_at);
                if due_at >= count_from {
                    one.sent += 1;
                    one.late.push(sent_at - due_at);
                }
                k += 1;
                due_at += period;
            }
            () = tokio::time::sleep_until(drain_until), if !sending => break,
            frame = client::next(&mut ws) => match frame {
                Ok(Some(ServerFrame::Ack { client_id, .. })) => {
                    if let Some((due, sent_at)) = unacked.remove(&client_id) {
                        if due >= count_from {
                            one.acks.push(due.elapsed());
                            one.acks_from_send.push(sent_at.elapsed());
                        }
                    }
                }
                Ok(Some(ServerFrame::Event(event))) => {
                    if matches!(&event.body, EventBody::Message(m) if m.author.role == Role::Bot) {
                        if let Some(due) = unanswered.pop_front() {
                            if due >= count_from {
                                one.answers.push(due.elapsed());
                            }
                        }
                    }
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            },
        }
    }
    one.missing_acks = unacked.values().filter(|(due, _)| *due >= count_from).count();
    one.missing_answers = unanswered.iter().filter(|due| **due >= count_from).count();
    one
}
