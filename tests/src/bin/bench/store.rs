//! Durably stored messages per second: the relay's store (opened in this process through
//! `relay::store::connect`, as the relay opens it) appending visitor messages from many
//! conversations at once, as the conversation actors do; each append is committed before it
//! returns, which is when a visitor gets its `ack`.

use std::time::Duration;

use relay::event::{Author, EventBody, Message};
use tokio::time::Instant;

/// Conversations writing at once.
const WRITERS: usize = 200;

pub struct StoreRate {
    pub per_second: f64,
    pub backend: String,
}

/// Appends through the store at `url` (`backend` names it in the table).
pub async fn run(url: &str, backend: &str, measured: Duration) -> anyhow::Result<StoreRate> {
    let store = relay::store::connect(url).await?;
    let mut ids = Vec::with_capacity(WRITERS);
    for n in 0..WRITERS {
        ids.push(store.create_conversation("demo", &format!("bench-token-{n}")).await?.id);
    }
    let stop = Instant::now() + measured;
    let started = Instant::now();
    let tasks: Vec<_> = ids
        .into_iter()
        .map(|id| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut stored = 0u64;
                while Instant::now() < stop {
                    let message = Message::new(Author::visitor(), format!("message {stored}"));
                    let body = EventBody::Message(Message { client_id: Some(format!("c{stored}")), ..message });
                    if store
                        .append_visitor(&id, &body, &format!("c{stored}"), relay::event::Channel::Widget)
                        .await
                        .is_err()
                    {
                        break;
                    }
                    stored += 1;
                }
                stored
            })
        })
        .collect();
    let mut stored = 0;
    for task in tasks {
        stored += task.await.unwrap_or(0);
    }
    Ok(StoreRate { per_second: stored as f64 / started.elapsed().as_secs_f64(), backend: backend.into() })
}
