//! The Redis bus between relays (relay/src/pubsub/redis.rs), against a Redis server of the
//! test's own: messages cross relays once, prefixes keep runs apart, and every way a message
//! can be lost (a restart of Redis) ends in a resync of the topics concerned.

use std::time::Duration;

use baton_tests::redis::RedisServer;
use relay::{
    event::Author,
    pubsub::{Bus, BusMessage, RedisSettings},
};
use tokio::sync::broadcast::{self, error::TryRecvError};

fn bus(redis: &RedisServer, prefix: &str, node: &str) -> Bus {
    Bus::redis(RedisSettings { url: redis.url(), prefix: prefix.into(), node: node.into() }).expect("a redis url")
}

fn typing(on: bool) -> BusMessage {
    BusMessage::Typing { author: Author::visitor(), on }
}

/// The next message other than a resync, within 5 s.
async fn next(rx: &mut broadcast::Receiver<BusMessage>) -> BusMessage {
    tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match rx.recv().await.expect("topic open") {
                BusMessage::Resync => continue,
                message => return message,
            }
        }
    })
    .await
    .expect("a message within 5 s")
}

/// Waits for a resync (the subscription is live, or the connection came back).
async fn resynced(rx: &mut broadcast::Receiver<BusMessage>) {
    tokio::time::timeout(Duration::from_secs(10), async {
        while rx.recv().await.expect("topic open") != BusMessage::Resync {}
    })
    .await
    .expect("a resync within 10 s");
}

/// Nothing but resyncs arrive for a while.
async fn quiet(rx: &mut broadcast::Receiver<BusMessage>) {
    tokio::time::sleep(Duration::from_millis(300)).await;
    loop {
        match rx.try_recv() {
            Ok(BusMessage::Resync) => continue,
            Err(TryRecvError::Empty) => return,
            other => panic!("expected nothing, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_message_crosses_to_every_relay_once_and_stays_within_its_prefix() {
    let redis = RedisServer::start().await;
    let (a, b) = (bus(&redis, "run1:", "a"), bus(&redis, "run1:", "b"));
    let other_run = bus(&redis, "run2:", "c");
    let (mut on_a, mut on_b, mut on_other) = (a.subscribe("conv"), b.subscribe("conv"), other_run.subscribe("conv"));
    for rx in [&mut on_a, &mut on_b, &mut on_other] {
        resynced(rx).await;
    }

    a.publish("conv", typing(true));
    assert_eq!(next(&mut on_a).await, typing(true), "delivered locally");
    assert_eq!(next(&mut on_b).await, typing(true), "delivered through Redis");
    b.publish("conv", typing(false));
    assert_eq!(next(&mut on_a).await, typing(false));
    assert_eq!(next(&mut on_b).await, typing(false));
    quiet(&mut on_a).await;
    quiet(&mut on_b).await;
    quiet(&mut on_other).await;
    // A topic nobody watches on a relay is not delivered there.
    a.publish("elsewhere", typing(true));
    quiet(&mut on_b).await;
}

#[tokio::test]
async fn after_redis_restarts_every_topic_resyncs_and_messages_flow_again() {
    let mut redis = RedisServer::start().await;
    let (a, b) = (bus(&redis, "r:", "a"), bus(&redis, "r:", "b"));
    let (mut on_a, mut on_b) = (a.subscribe("conv"), b.subscribe("conv"));
    resynced(&mut on_a).await;
    resynced(&mut on_b).await;

    redis.kill();
    // Lost: nobody carries it while Redis is down.
    a.publish("conv", typing(true));
    assert_eq!(next(&mut on_a).await, typing(true), "local subscribers still hear it");
    redis.restart().await;
    // B's subscriber reconnects, subscribes again and tells its sessions to re-read the store.
    resynced(&mut on_b).await;

    // Once A publishes again, what it sends reaches B (A's own reconnection may take a try).
    let delivered = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            a.publish("conv", typing(false));
            match tokio::time::timeout(Duration::from_millis(200), on_b.recv()).await {
                Ok(Ok(message)) if message == typing(false) => return,
                _ => continue,
            }
        }
    })
    .await;
    assert!(delivered.is_ok(), "messages flow again after Redis came back");
}
