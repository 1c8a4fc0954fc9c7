//! The outbox against a scripted provider and real SQLite: order, retries, Retry-After,
//! give-up, and nothing lost across a worker restart.

use std::sync::Mutex;

use async_trait::async_trait;

use super::*;
use crate::{
    connectors::Capabilities,
    store::{Claimer, SqliteStore},
};

/// A provider that answers from a script and records what it was asked.
#[derive(Default)]
struct Scripted {
    answers: Mutex<Vec<Result<(), ProviderError>>>,
    calls: Mutex<Vec<String>>,
    /// What the helpdesk says when asked whether a forward landed.
    landed: Mutex<Option<bool>>,
}

impl Scripted {
    fn next(&self, call: String) -> Result<(), ProviderError> {
        self.calls.lock().unwrap().push(call);
        let mut answers = self.answers.lock().unwrap();
        if answers.is_empty() {
            Ok(())
        } else {
            answers.remove(0)
        }
    }
}

#[async_trait]
impl Provider for Scripted {
    fn capabilities(&self) -> Capabilities {
        Capabilities::live_chat()
    }
    async fn test_connection(&self) -> Result<String, ProviderError> {
        Ok("scripted".into())
    }
    async fn open(&self, handover: &Handover) -> Result<RemoteThread, ProviderError> {
        self.next(format!("open {}", handover.summary)).map(|()| RemoteThread {
            provider: ProviderKind::Intercom,
            conversation: "r-1".into(),
            user: Some("u-1".into()),
            extra: serde_json::Value::Null,
        })
    }
    async fn forward(&self, thread: &RemoteThread, text: &str, _: &str) -> Result<(), ProviderError> {
        self.next(format!("forward {} {text}", thread.conversation))
    }
    async fn close(&self, thread: &RemoteThread, reason: CloseReason) -> Result<(), ProviderError> {
        self.next(format!("close {} {reason:?}", thread.conversation))
    }
    async fn has_forwarded(&self, _: &RemoteThread, text: &str, _: &str) -> Result<Option<bool>, ProviderError> {
        self.calls.lock().unwrap().push(format!("has {text}"));
        Ok(*self.landed.lock().unwrap())
    }
}

fn handover(id: &str) -> Handover {
    Handover {
        conversation_id: id.into(),
        site: "demo".into(),
        visitor: crate::identity::Identity::default(),
        summary: "S".into(),
        reason: "explicit_request".into(),
        visitor_messages: vec![],
        given_email_is_contact: false,
        files: vec![],
    }
}

struct Rig {
    _dir: tempfile::TempDir,
    store: Arc<dyn Store>,
    outbox: Outbox,
    provider: Arc<Scripted>,
    outcomes: Arc<Mutex<Vec<Outcome>>>,
    stop: CancellationToken,
}

fn claimer() -> Claimer {
    Claimer::new("this relay", Duration::from_secs(10))
}

async fn rig(answers: Vec<Result<(), ProviderError>>) -> (Rig, String) {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> =
        Arc::new(SqliteStore::open(&format!("sqlite://{}/o.db", dir.path().display())).await.unwrap());
    let conversation = store.create_conversation("demo", "h").await.unwrap();
    let provider = Arc::new(Scripted { answers: Mutex::new(answers), ..Scripted::default() });
    let rig = Rig {
        _dir: dir,
        outbox: Outbox::new(store.clone(), claimer()),
        store,
        provider,
        outcomes: Arc::default(),
        stop: CancellationToken::new(),
    };
    (rig, conversation.id)
}

impl Rig {
    fn start(&self) {
        let connectors = Connectors::new(HashMap::from([(
            ("demo".to_string(), ProviderKind::Intercom),
            self.provider.clone() as Arc<dyn Provider>,
        )]));
        let outcomes = self.outcomes.clone();
        let report = move |_: &str, _: &str, outcome: Outcome| outcomes.lock().unwrap().push(outcome);
        tokio::spawn(self.outbox.clone().run(connectors, report, self.stop.clone()));
    }

    async fn wait_for_calls(&self, n: usize) -> Vec<String> {
        for _ in 0..200 {
            if self.provider.calls.lock().unwrap().len() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        self.provider.calls.lock().unwrap().clone()
    }
}

#[test]
fn backoff_doubles_with_jitter_and_stops_at_the_cap() {
    assert_eq!(backoff(0, 1.0), Duration::from_secs(1));
    assert_eq!(backoff(0, 0.0), Duration::from_millis(500));
    assert_eq!(backoff(3, 1.0), Duration::from_secs(8));
    assert_eq!(backoff(30, 1.0), BACKOFF_CAP);
    assert!(backoff(30, 0.0) >= BACKOFF_CAP / 2);
}

#[tokio::test]
async fn calls_run_in_order_and_a_failure_holds_the_line_until_it_passes() {
    let (rig, id) = rig(vec![Err(ProviderError::RateLimited { retry_after: Some(Duration::from_millis(300)) })]).await;
    rig.outbox.push(&id, "demo", ProviderKind::Intercom, &Job::Open { handover: handover(&id) }).await.unwrap();
    rig.outbox
        .push(
            &id,
            "demo",
            ProviderKind::Intercom,
            &Job::Forward { text: "hi".into(), message_id: "m1".into(), files: vec![] },
        )
        .await
        .unwrap();
    rig.outbox.push(&id, "demo", ProviderKind::Intercom, &Job::Close { reason: CloseReason::Cancelled }).await.unwrap();
    rig.start();
    // Settled, not only called: the last call is made before its job is marked done.
    let calls = until_settled(&rig, &id, 4).await;
    assert_eq!(calls, vec!["open S", "open S", "forward r-1 hi", "close r-1 Cancelled"]);
    assert_eq!(rig.store.pending_jobs(&id).await.unwrap(), 0);
    assert_eq!(*rig.outcomes.lock().unwrap(), vec![Outcome::Delivered]);
    rig.stop.cancel();
}

#[tokio::test]
async fn a_helpdesk_down_delays_the_handover_and_nothing_is_lost() {
    let down = || Err(ProviderError::Unavailable("503".into()));
    let (rig, id) = rig(vec![down(), down()]).await;
    rig.outbox.push(&id, "demo", ProviderKind::Intercom, &Job::Open { handover: handover(&id) }).await.unwrap();
    rig.start();
    let calls = rig.wait_for_calls(3).await;
    assert_eq!(calls.len(), 3, "two failures, then through: {calls:?}");
    for _ in 0..100 {
        if rig.outcomes.lock().unwrap().len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(*rig.outcomes.lock().unwrap(), vec![Outcome::Delayed, Outcome::Delivered]);
    rig.stop.cancel();
}

#[tokio::test]
async fn a_refused_handover_is_given_up_and_reported() {
    let (rig, id) = rig(vec![Err(ProviderError::Rejected("400 bad".into()))]).await;
    rig.outbox.push(&id, "demo", ProviderKind::Intercom, &Job::Open { handover: handover(&id) }).await.unwrap();
    rig.outbox
        .push(
            &id,
            "demo",
            ProviderKind::Intercom,
            &Job::Forward { text: "hi".into(), message_id: "m1".into(), files: vec![] },
        )
        .await
        .unwrap();
    rig.start();
    rig.wait_for_calls(1).await;
    for _ in 0..100 {
        if rig.store.pending_jobs(&id).await.unwrap() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(rig.store.pending_jobs(&id).await.unwrap(), 0, "the forward after a failed open is dropped too");
    assert!(matches!(rig.outcomes.lock().unwrap().first(), Some(Outcome::Undeliverable(why)) if why.contains("400")));
    rig.stop.cancel();
}

#[tokio::test]
async fn jobs_survive_a_restart_of_the_worker() {
    let (rig, id) = rig(vec![]).await;
    rig.outbox.push(&id, "demo", ProviderKind::Intercom, &Job::Open { handover: handover(&id) }).await.unwrap();
    // No worker ran yet (as if the relay stopped right after storing the job); one starts now.
    rig.start();
    assert_eq!(rig.wait_for_calls(1).await, vec!["open S"]);
    rig.stop.cancel();
}

/// A rig whose store fails on demand (the same SQLite file underneath).
async fn failing_rig() -> (Rig, Arc<crate::store::failing::FailingStore>, String) {
    let (mut rig, id) = rig(vec![]).await;
    let failing = Arc::new(crate::store::failing::FailingStore::new(rig.store.clone()));
    rig.store = failing.clone();
    rig.outbox = Outbox::new(failing.clone(), claimer());
    (rig, failing, id)
}

/// Waits until `calls` calls were made and no job of the conversation is pending.
async fn until_settled(rig: &Rig, id: &str, calls: usize) -> Vec<String> {
    for _ in 0..400 {
        if rig.provider.calls.lock().unwrap().len() >= calls && rig.store.pending_jobs(id).await.unwrap() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    rig.provider.calls.lock().unwrap().clone()
}

#[tokio::test]
async fn a_store_error_while_forwarding_or_closing_is_retried_not_given_up_or_skipped() {
    let (rig, store, id) = failing_rig().await;
    store.set_remote(&id, &serde_json::to_string(&thread()).unwrap()).await.unwrap();
    rig.outbox
        .push(
            &id,
            "demo",
            ProviderKind::Intercom,
            &Job::Forward { text: "hi".into(), message_id: "m1".into(), files: vec![] },
        )
        .await
        .unwrap();
    rig.outbox.push(&id, "demo", ProviderKind::Intercom, &Job::Close { reason: CloseReason::Cancelled }).await.unwrap();
    // The store cannot say where the conversation is for a while.
    store.fail("remote");
    rig.start();
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(rig.provider.calls.lock().unwrap().is_empty(), "nothing can be called without the thread");
    assert_eq!(rig.store.pending_jobs(&id).await.unwrap(), 2, "both jobs wait; neither given up nor done");
    store.heal();
    let calls = until_settled(&rig, &id, 2).await;
    assert_eq!(calls, vec!["forward r-1 hi", "close r-1 Cancelled"]);
    rig.stop.cancel();
}

#[tokio::test]
async fn a_store_error_after_the_helpdesk_opened_stores_the_thread_without_opening_twice() {
    let (rig, store, id) = failing_rig().await;
    rig.outbox.push(&id, "demo", ProviderKind::Intercom, &Job::Open { handover: handover(&id) }).await.unwrap();
    store.fail("set_remote");
    rig.start();
    rig.wait_for_calls(1).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    store.heal();
    let calls = until_settled(&rig, &id, 1).await;
    assert_eq!(calls, vec!["open S"], "opened once");
    assert!(rig.store.remote(&id).await.unwrap().is_some_and(|r| r.contains("r-1")));
    rig.stop.cancel();
}

#[tokio::test]
async fn a_visitor_message_forwarded_again_is_written_once() {
    let (rig, id) = rig(vec![]).await;
    let forward = Job::Forward { text: "hi".into(), message_id: "m1".into(), files: vec![] };
    rig.outbox.push(&id, "demo", ProviderKind::Intercom, &forward).await.unwrap();
    rig.outbox.push(&id, "demo", ProviderKind::Intercom, &forward).await.unwrap();
    assert_eq!(rig.store.pending_jobs(&id).await.unwrap(), 1);
}

fn thread() -> RemoteThread {
    RemoteThread {
        provider: ProviderKind::Intercom,
        conversation: "r-1".into(),
        user: Some("u-1".into()),
        extra: serde_json::Value::Null,
    }
}

/// A forward whose try was under way when the relay stopped (its job still marked started).
async fn cut_short(landed: Option<bool>) -> Vec<String> {
    let (rig, id) = rig(vec![]).await;
    *rig.provider.landed.lock().unwrap() = landed;
    rig.store.set_remote(&id, &serde_json::to_string(&thread()).unwrap()).await.unwrap();
    let forward = Job::Forward { text: "hi".into(), message_id: "m1".into(), files: vec![] };
    rig.outbox.push(&id, "demo", ProviderKind::Intercom, &forward).await.unwrap();
    // A relay that died: it had claimed the job and begun the call; the relay starting alone
    // after it ends its claims.
    let job = rig.store.claim_jobs(Claimer::new("dead", Duration::from_secs(60)).claim(), 10).await.unwrap()[0].id;
    rig.store.job_started(job).await.unwrap();
    rig.store.release_claims().await.unwrap();
    rig.start();
    let calls = until_settled(&rig, &id, 1).await;
    rig.stop.cancel();
    calls
}

#[tokio::test]
async fn a_forward_cut_short_by_a_stop_is_not_made_again_if_it_landed() {
    assert_eq!(cut_short(Some(true)).await, vec!["has hi"]);
    assert_eq!(cut_short(Some(false)).await, vec!["has hi", "forward r-1 hi"]);
    assert_eq!(cut_short(None).await, vec!["has hi", "forward r-1 hi"], "a helpdesk that cannot tell gets it again");
}
