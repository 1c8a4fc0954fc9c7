//! Idle visitors: as many sockets as asked (or as the open-file limit allows), each after
//! `hello` (a conversation opened, its greeting received), held open; the relay's resident
//! memory and the kernel's TCP memory before and after, per socket.

use std::time::{Duration, Instant};

use futures_util::{stream, StreamExt};

use crate::{
    client,
    targets::{kernel_tcp_kib, Target},
};

/// Connections being opened at once.
const OPENING: usize = 64;

pub struct Idle {
    pub asked: usize,
    pub held: usize,
    pub failed: usize,
    /// Resident memory added per held socket, KiB.
    pub rss_kib: f64,
    /// Kernel TCP memory added per held socket (both ends are on this machine), KiB.
    pub kernel_kib: f64,
    pub took: Duration,
    pub first_error: Option<String>,
}

pub async fn run(target: &Target, sockets: usize) -> Idle {
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (rss_before, kernel_before) = (target.rss_kib(), kernel_tcp_kib());
    let started = Instant::now();
    let addr = target.addr;
    let results: Vec<_> = stream::iter(0..sockets)
        .map(|n| async move { client::visitor(addr, client::source(n)).await })
        .buffer_unordered(OPENING)
        .collect()
        .await;
    let took = started.elapsed();
    let mut held = Vec::with_capacity(sockets);
    let mut first_error = None;
    let mut failed = 0;
    for result in results {
        match result {
            Ok((ws, _)) => held.push(ws),
            Err(error) => {
                failed += 1;
                first_error.get_or_insert_with(|| format!("{error:#}"));
            }
        }
    }
    // Let allocations settle (greeting writes, actor work) before reading.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (rss_after, kernel_after) = (target.rss_kib(), kernel_tcp_kib());
    let per = |before: u64, after: u64| after.saturating_sub(before) as f64 / held.len().max(1) as f64;
    let idle = Idle {
        asked: sockets,
        held: held.len(),
        failed,
        rss_kib: per(rss_before, rss_after),
        kernel_kib: per(kernel_before, kernel_after),
        took,
        first_error,
    };
    drop(held);
    // Let the relay notice the closes before the next measurement.
    tokio::time::sleep(Duration::from_secs(3)).await;
    idle
}
