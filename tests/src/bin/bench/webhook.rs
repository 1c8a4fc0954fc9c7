//! Webhook acknowledgements: signed Intercom `conversation.admin.replied` deliveries posted at
//! a steady rate (each in its own task, so a slow answer does not delay the next post), timed
//! from the moment each was due to the relay's answer. Baton verifies the signature, parses,
//! and stores the event before it answers 200; the Node relay verifies and parses.

use std::time::Duration;

use baton_tests::sim::intercom::Intercom;
use serde_json::json;
use tokio::time::Instant;

use crate::{stats::Latencies, targets::WEBHOOK_SITE};

pub struct Webhooks {
    pub latencies: Latencies,
    pub sent: usize,
    pub failed: usize,
}

impl Webhooks {
    pub fn summary(&self) -> String {
        format!("webhooks: {} sent, {} timed, {} failed", self.sent, self.latencies.len(), self.failed)
    }
}

/// Posts to the relay at `http` (`http://host:port`).
pub async fn run(http_base: &str, rate: f64, measured: Duration) -> Webhooks {
    let url = format!("{http_base}/webhooks/intercom/{WEBHOOK_SITE}");
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("http client");
    let count = (rate * measured.as_secs_f64()) as usize;
    let period = Duration::from_secs_f64(1.0 / rate);
    let start = Instant::now() + Duration::from_millis(200);
    let tasks: Vec<_> = (0..count)
        .map(|n| {
            let due = start + period * n as u32;
            let part = json!({"type": "conversation_part", "id": format!("bench-part-{n}"), "part_type": "comment",
                "body": format!("<p>answer {n}</p>"), "created_at": 0, "attachments": [],
                "author": {"type": "admin", "id": baton_tests::sim::intercom::AGENT_ADMIN, "name": "Ciaran Lee"}});
            let delivery = Intercom::webhook("conversation.admin.replied", &format!("bench-remote-{}", n % 100), part);
            let (http, url) = (http.clone(), url.clone());
            tokio::spawn(async move {
                tokio::time::sleep_until(due).await;
                let mut request = http.post(&url);
                for (name, value) in &delivery.headers {
                    request = request.header(name, value);
                }
                let response = request.body(delivery.body).send().await;
                match response {
                    Ok(r) if r.status().is_success() => Some(due.elapsed()),
                    _ => None,
                }
            })
        })
        .collect();
    let mut webhooks = Webhooks { latencies: Latencies::default(), sent: count, failed: 0 };
    for task in tasks {
        match task.await {
            Ok(Some(took)) => webhooks.latencies.push(took),
            _ => webhooks.failed += 1,
        }
    }
    webhooks
}
