//! The helpdesk side: an Intercom simulator (tests/src/sim/intercom.rs) whose agent answers
//! every forwarded visitor message `v<i>-<k>` with `h<i>-<k>` through a signed webhook, retried
//! with the same part id until the relay answers 200 (as Intercom retries); and the weather:
//! bursts of 503 and 429 from the simulator's API.

use std::{
    collections::{BTreeMap, HashSet},
    sync::{Arc, Mutex},
    time::Duration,
};

use baton_tests::sim::{intercom, intercom::Intercom, Delivery, Mode};
use rand::{rngs::StdRng, Rng};
use serde_json::{json, Value};
use tokio::sync::watch;

use crate::tally::{Direction, Tally};

/// A visitor message as the simulator stored it, if it is one of the soak's (`v<i>-<k>`).
pub fn visitor_text(part: &Value) -> Option<String> {
    let body = part["body"].as_str()?.trim();
    let body = body.strip_prefix("<p>").and_then(|b| b.strip_suffix("</p>")).unwrap_or(body);
    let rest = body.strip_prefix('v')?;
    let (i, k) = rest.split_once('-')?;
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (numeric(i) && numeric(k)).then(|| body.to_string())
}

pub struct HelpdeskAgent {
    pub sim: Intercom,
    pub webhook_url: String,
    pub tally: Arc<Mutex<Tally>>,
}

impl HelpdeskAgent {
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("http client");
        let mut answered: HashSet<String> = HashSet::new();
        // answer → its delivery, built once so every retry is the same delivery.
        let mut pending: BTreeMap<String, Delivery> = BTreeMap::new();
        while !*stop.borrow() {
            let conversations = self.sim.inner.lock().unwrap().conversations.clone();
            for (remote, parts) in conversations {
                for text in parts.iter().filter_map(visitor_text) {
                    let answer = format!("h{}", &text[1..]);
                    if answered.contains(&answer) || pending.contains_key(&answer) {
                        continue;
                    }
                    let part = json!({"type": "conversation_part", "id": answer, "part_type": "comment",
                        "body": format!("<p>{answer}</p>"), "created_at": 0, "attachments": [],
                        "author": {"type": "admin", "id": intercom::AGENT_ADMIN, "name": "Ciaran Lee"}});
                    pending.insert(answer, Intercom::webhook("conversation.admin.replied", &remote, part));
                }
            }
            let due: Vec<(String, Delivery)> = pending.iter().map(|(a, d)| (a.clone(), d.clone())).collect();
            for (answer, delivery) in due {
                let delivered =
                    delivery.request(&http, &self.webhook_url).send().await.is_ok_and(|r| r.status().is_success());
                if delivered {
                    pending.remove(&answer);
                    answered.insert(answer.clone());
                    self.tally.lock().unwrap().sent(Direction::HelpdeskToVisitor, &answer);
                }
            }
            tokio::select! {
                _ = stop.changed() => {}
                _ = tokio::time::sleep(Duration::from_millis(200)) => {}
            }
        }
    }
}

/// Until `stop`: normal for 2–5 s, then a burst of 1–1.5 s of 503s or 429s.
pub async fn weather(sim: Intercom, mut rng: StdRng, mut stop: watch::Receiver<bool>) -> (u32, u32) {
    let (mut down, mut limited) = (0, 0);
    while !*stop.borrow() {
        let calm = Duration::from_millis(rng.random_range(2000..5000));
        if tokio::time::timeout(calm, stop.changed()).await.is_ok() {
            break;
        }
        let mode = if rng.random_bool(0.5) {
            down += 1;
            Mode::Down
        } else {
            limited += 1;
            Mode::RateLimited
        };
        sim.traffic.set_mode(mode);
        tokio::time::sleep(Duration::from_millis(rng.random_range(1000..1500))).await;
        sim.traffic.set_mode(Mode::Normal);
    }
    sim.traffic.set_mode(Mode::Normal);
    (down, limited)
}
