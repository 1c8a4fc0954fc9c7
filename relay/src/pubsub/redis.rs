//! The Redis driver: relays sharing one Redis see each other's messages.
//!
//! Each relay keeps the in-process broadcast per topic ([`Topics`]) that its sessions read, and
//! two Redis connections: one publishing (a task fed by a bounded queue, so `publish` never
//! waits, sending what was queued meanwhile as one pipeline), one subscribed to the topics this relay has subscribers for, plus a control channel.
//! A relay delivers its own messages locally at once and skips them when Redis echoes them.
//!
//! Redis pub/sub delivers at most once, so every way a message can be lost ends in a
//! [`BusMessage::Resync`] of the topics concerned, and their readers re-read the store:
//! - the subscriber connection dropped: after reconnecting and subscribing again, every open
//!   topic is resynced;
//! - a subscription just became live: that topic is resynced (what was published between the
//!   session's store read and the subscription is read again);
//! - this relay failed to publish (Redis down, queue full): once it can publish again it sends
//!   a resync on the control channel, and every relay resyncs all its topics.
//!
//! Channel names are `<prefix><topic>`; the prefix keeps deployments (and test runs) sharing a
//! Redis apart.

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use futures_util::StreamExt;
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::{CancellationToken, DropGuard};

use super::{envelope, local::Topics, BusMessage, Driver};

/// Messages waiting for the publishing connection. When Redis is slow or down the queue fills
/// and further messages are dropped (and a resync follows): `publish` never blocks an actor.
const PUBLISH_QUEUE: usize = 8192;
/// Queued messages sent in one pipeline at most.
const PUBLISH_BATCH: usize = 256;
/// A publish or subscribe that takes longer counts as a lost connection.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);
/// Reconnection backoff, doubling from the first to the last.
const RECONNECT_FIRST: Duration = Duration::from_millis(50);
const RECONNECT_MAX: Duration = Duration::from_secs(1);
/// The control topic (relay-wide notices), after the prefix.
const CONTROL: &str = "_control";

/// Where and as whom to connect.
#[derive(Debug, Clone)]
pub struct RedisSettings {
    /// `redis://host:port/db`.
    pub url: String,
    /// Prepended to every channel name.
    pub prefix: String,
    /// This relay's id on the bus (unique per process).
    pub node: String,
}

/// A topic's subscription changed (sent in the order the map changed).
enum Subscription {
    Open(String),
    Close(String),
}

pub struct RedisBus {
    /// For readiness checks, each on a connection of its own.
    client: redis::Client,
    shared: Arc<Shared>,
    outgoing: mpsc::Sender<(String, Vec<u8>)>,
    /// Stops both connections' tasks when the bus is dropped.
    _stop: DropGuard,
}

struct Shared {
    settings: RedisSettings,
    topics: Topics,
    /// To the subscriber task.
    subscriptions: mpsc::UnboundedSender<Subscription>,
    /// A message could not be published: the next successful connection sends a resync.
    lost: AtomicBool,
}

impl RedisBus {
    /// Starts the publishing and subscribing tasks (they connect, and reconnect, on their own).
    /// Fails only on a URL that is not a Redis URL.
    pub fn start(settings: RedisSettings) -> redis::RedisResult<Self> {
        let client = redis::Client::open(settings.url.as_str())?;
        let (subscriptions, requests) = mpsc::unbounded_channel();
        let shared =
            Arc::new(Shared { settings, topics: Topics::default(), subscriptions, lost: AtomicBool::new(false) });
        let (outgoing, queue) = mpsc::channel(PUBLISH_QUEUE);
        let stop = CancellationToken::new();
        let publishing = publish_loop(client.clone(), shared.clone(), queue);
        tokio::spawn(stop.clone().run_until_cancelled_owned(publishing));
        tokio::spawn(stop.clone().run_until_cancelled_owned(subscribe_loop(client.clone(), shared.clone(), requests)));
        Ok(Self { client, shared, outgoing, _stop: stop.drop_guard() })
    }
}

impl Driver for RedisBus {
    fn publish(&self, topic: &str, message: BusMessage) {
        let payload = envelope::encode(&self.shared.settings.node, message.clone());
        self.shared.deliver(topic, message);
        if self.outgoing.try_send((self.shared.channel(topic), payload)).is_err() {
            self.shared.lost.store(true, Ordering::Relaxed);
        }
    }

    fn subscribe(&self, topic: &str) -> broadcast::Receiver<BusMessage> {
        self.shared.topics.subscribe(topic, || {
            let _ = self.shared.subscriptions.send(Subscription::Open(topic.to_string()));
        })
    }

    fn ping(&self) -> futures_util::future::BoxFuture<'static, Result<(), String>> {
        let client = self.client.clone();
        Box::pin(async move {
            let mut connection = client.get_multiplexed_async_connection().await.map_err(|e| e.to_string())?;
            redis::cmd("PING").query_async::<String>(&mut connection).await.map(drop).map_err(|e| e.to_string())
        })
    }
}

impl Shared {
    fn channel(&self, topic: &str) -> String {
        format!("{}{topic}", self.settings.prefix)
    }

    fn topic<'a>(&self, channel: &'a str) -> Option<&'a str> {
        channel.strip_prefix(self.settings.prefix.as_str())
    }

    /// To the topic's local subscribers; a topic left without any is unsubscribed.
    fn deliver(&self, topic: &str, message: BusMessage) {
        self.topics.deliver(topic, message, || {
            let _ = self.subscriptions.send(Subscription::Close(topic.to_string()));
        });
    }
}

/// Doubles `delay` up to the maximum.
fn backoff(delay: Duration) -> Duration {
    (delay * 2).min(RECONNECT_MAX)
}

/// Publishes queued messages in order. While Redis is unreachable, queued messages are dropped
/// (their readers catch up from the store after the resync that follows).
async fn publish_loop(client: redis::Client, shared: Arc<Shared>, mut queue: mpsc::Receiver<(String, Vec<u8>)>) {
    let control = shared.channel(CONTROL);
    let mut delay = RECONNECT_FIRST;
    let mut batch = Vec::with_capacity(PUBLISH_BATCH);
    loop {
        let connection = tokio::time::timeout(COMMAND_TIMEOUT, client.get_multiplexed_async_connection()).await;
        let mut connection = match connection {
            Ok(Ok(connection)) => connection,
            outcome => {
                let error = outcome
                    .map_or_else(|_| "timed out".to_string(), |r| r.err().map(|e| e.to_string()).unwrap_or_default());
                tracing::warn!(%error, "bus: cannot connect to Redis to publish; retrying");
                shared.lost.store(true, Ordering::Relaxed);
                // Keep the queue from holding stale messages while Redis is away.
                while queue.try_recv().is_ok() {}
                tokio::time::sleep(delay).await;
                delay = backoff(delay);
                continue;
            }
        };
        delay = RECONNECT_FIRST;
        loop {
            if shared.lost.swap(false, Ordering::Relaxed) {
                let resync = envelope::encode(&shared.settings.node, BusMessage::Resync);
                if !publish_all(&mut connection, &[(control.clone(), resync)]).await {
                    shared.lost.store(true, Ordering::Relaxed);
                    break;
                }
                tracing::info!("bus: publishing again; asked every relay to catch up from the store");
            }
            if queue.recv_many(&mut batch, PUBLISH_BATCH).await == 0 {
                return;
            }
            let sent = publish_all(&mut connection, &batch).await;
            batch.clear();
            if !sent {
                shared.lost.store(true, Ordering::Relaxed);
                break;
            }
        }
    }
}

/// The messages queued meanwhile, in order, as one pipeline: one write and one round trip for
/// all of them (awaiting each PUBLISH in turn made a relay's publishing rate one message per
/// round trip to Redis). False if the connection failed.
async fn publish_all(connection: &mut redis::aio::MultiplexedConnection, batch: &[(String, Vec<u8>)]) -> bool {
    let mut pipe = redis::pipe();
    for (channel, payload) in batch {
        pipe.publish(channel, payload).ignore();
    }
    match tokio::time::timeout(COMMAND_TIMEOUT, pipe.query_async::<()>(connection)).await {
        Ok(Ok(())) => true,
        Ok(Err(error)) => {
            tracing::warn!(%error, "bus: publishing to Redis failed");
            false
        }
        Err(_) => {
            tracing::warn!("bus: publishing to Redis timed out");
            false
        }
    }
}

/// Keeps one subscriber connection, subscribed to the control channel and every open topic,
/// and delivers what arrives to the local subscribers.
async fn subscribe_loop(
    client: redis::Client,
    shared: Arc<Shared>,
    mut requests: mpsc::UnboundedReceiver<Subscription>,
) {
    let control = shared.channel(CONTROL);
    let mut delay = RECONNECT_FIRST;
    let mut connected_before = false;
    loop {
        let pubsub = match tokio::time::timeout(COMMAND_TIMEOUT, client.get_async_pubsub()).await {
            Ok(Ok(pubsub)) => pubsub,
            outcome => {
                let error = outcome
                    .map_or_else(|_| "timed out".to_string(), |r| r.err().map(|e| e.to_string()).unwrap_or_default());
                tracing::warn!(%error, "bus: cannot connect to Redis to subscribe; retrying");
                tokio::time::sleep(delay).await;
                delay = backoff(delay);
                continue;
            }
        };
        let (mut sink, mut stream) = pubsub.split();
        // Requests queued while disconnected are covered by subscribing to what is open now.
        while requests.try_recv().is_ok() {}
        let mut channels: Vec<String> = shared.topics.names().iter().map(|t| shared.channel(t)).collect();
        channels.push(control.clone());
        if let Err(error) = subscribe(&mut sink, channels, true).await {
            tracing::warn!(%error, "bus: subscribing after connecting failed; retrying");
            tokio::time::sleep(delay).await;
            delay = backoff(delay);
            continue;
        }
        delay = RECONNECT_FIRST;
        if connected_before {
            tracing::info!("bus: subscribed to Redis again; every open topic catches up from the store");
        }
        // Whatever was published while this relay was not subscribed (on a first connection:
        // since its sessions subscribed locally) is read again from the store.
        shared.topics.resync_all();
        connected_before = true;
        loop {
            tokio::select! {
                request = requests.recv() => {
                    let Some(request) = request else { return };
                    let result = match request {
                        Subscription::Open(topic) => {
                            let result = subscribe(&mut sink, vec![shared.channel(&topic)], true).await;
                            if result.is_ok() {
                                // Live from now on: what fell before is read from the store.
                                shared.deliver(&topic, BusMessage::Resync);
                            }
                            result
                        }
                        // Re-opened meanwhile: keep the subscription (its Open follows).
                        Subscription::Close(topic) if shared.topics.is_open(&topic) => Ok(()),
                        Subscription::Close(topic) => subscribe(&mut sink, vec![shared.channel(&topic)], false).await,
                    };
                    if let Err(error) = result {
                        tracing::warn!(%error, "bus: Redis subscription change failed; reconnecting");
                        break;
                    }
                }
                message = stream.next() => {
                    let Some(message) = message else { break };
                    deliver(&shared, &control, message.get_channel_name(), message.get_payload_bytes());
                }
            }
        }
        tracing::warn!("bus: lost the Redis subscriber connection; reconnecting");
    }
}

/// SUBSCRIBE (or UNSUBSCRIBE) within the command timeout.
async fn subscribe(sink: &mut redis::aio::PubSubSink, channels: Vec<String>, on: bool) -> Result<(), String> {
    let command = async {
        if on {
            sink.subscribe(channels).await
        } else {
            sink.unsubscribe(channels).await
        }
    };
    match tokio::time::timeout(COMMAND_TIMEOUT, command).await {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(_) => Err("timed out".into()),
    }
}

/// Hands one message from Redis to the local subscribers of its topic.
fn deliver(shared: &Shared, control: &str, channel: &str, payload: &[u8]) {
    let (node, message) = match envelope::decode(payload) {
        Ok(decoded) => decoded,
        Err(error) => return tracing::warn!(%channel, %error, "bus: ignored a message from Redis"),
    };
    if node == shared.settings.node {
        return;
    }
    if channel == control {
        if message == BusMessage::Resync {
            tracing::info!(%node, "bus: a relay lost messages; every open topic catches up from the store");
            shared.topics.resync_all();
        }
        return;
    }
    if let Some(topic) = shared.topic(channel) {
        shared.deliver(topic, message);
    }
}
