//! The store's behaviour, one suite for every backend: each scenario below runs against SQLite
//! (a temporary file) and PostgreSQL (a schema of its own on the test server, see
//! `baton_tests::postgres`), through `relay::store::connect` as the relay opens them. Two
//! handles on one database stand for two relays.

use std::{collections::HashSet, sync::Arc, time::Duration};

use baton_tests::TestDb;
use relay::{
    connectors::ProviderKind,
    event::{Attachment, Author, Channel, EventBody, Message, Phase, Reason},
    identity::Identity,
    store::{self, Appended, Claim, FollowUp, Handover, LeaseOutcome, PendingMessage, PruneBefore, Renewal, Store},
};

baton_tests::on_every_backend!(
    sequence_numbers_are_consecutive_and_survive_reopen,
    a_retried_client_id_is_stored_once,
    concurrent_appends_from_two_relays_are_gap_free_and_stored_once,
    concurrent_appends_to_one_conversation_keep_each_writers_order_without_gaps,
    an_append_the_database_refuses_fails_alone_among_concurrent_ones,
    events_after_pages_in_order,
    tokens_are_scoped_to_their_site_and_unknown_ids_fail,
    handover_state_is_kept_and_queryable,
    topic_rating_and_summary_are_kept,
    follow_ups_are_listed_newest_first,
    visitor_identity_is_stored_with_its_verification,
    a_visitor_message_stays_pending_until_handled,
    messages_appended_together_keep_their_files_and_their_marks_clear_together,
    the_outbox_hands_out_one_job_per_conversation_in_order,
    a_keyed_job_is_written_once_and_jobs_are_counted,
    a_try_under_way_is_uncertain_when_the_job_comes_back,
    a_lapsed_claim_is_taken_over_a_kept_or_released_one_as_it_says,
    two_relays_claiming_at_once_never_get_one_job_twice_and_keep_each_conversations_order,
    webhook_events_are_claimed_one_per_thread_in_arrival_order,
    two_relays_claiming_events_at_once_apply_each_once_in_each_threads_order,
    the_backlog_counts_what_waits,
    webhook_events_are_first_once,
    webhook_events_wait_until_processed,
    webhook_events_are_retried_in_arrival_order_and_kept_when_given_up,
    a_lease_has_one_holder_until_released_or_expired,
    two_relays_racing_for_a_lease_have_one_winner,
    empty_and_idle_conversations_go_active_ones_stay,
    a_conversation_with_a_message_still_to_handle_is_kept,
    recent_conversations_are_not_prunable,
    processed_webhook_events_and_delivered_jobs_go_in_batches,
);

async fn open(db: &TestDb) -> Arc<dyn Store> {
    store::connect(&db.url).await.unwrap_or_else(|e| panic!("opening {}: {e}", db.url))
}

/// A claim by relay `by` at `now`, for a minute.
fn relay(by: &str, now: i64) -> Claim<'_> {
    Claim { by, now, until: now + 60_000 }
}

fn now_millis() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

fn text(author: Author, text: &str) -> EventBody {
    EventBody::Message(Message::new(author, text))
}

fn new_seq(appended: Appended) -> u64 {
    match appended {
        Appended::New(event) => event.seq,
        Appended::Duplicate { seq } => panic!("expected a new event, got a duplicate of {seq}"),
    }
}

fn waiting() -> Handover {
    Handover {
        state: r#"{"phase":"waiting","reason":"explicit_request","since":7}"#.into(),
        phase: Phase::Waiting,
        reason: Some(Reason::ExplicitRequest),
        agent_id: None,
        waiting_since: Some(7),
        provider: Some(ProviderKind::Builtin),
    }
}

async fn sequence_numbers_are_consecutive_and_survive_reopen(db: TestDb) {
    let store = open(&db).await;
    store.ping().await.unwrap();
    let conv = store.create_conversation("demo", "h1").await.unwrap();
    assert_eq!((conv.last_seq, conv.site.as_str()), (0, "demo"));
    for i in 1..=3 {
        assert_eq!(new_seq(store.append(&conv.id, &text(Author::visitor(), "hi"), None).await.unwrap()), i);
    }
    drop(store);
    let store = open(&db).await;
    let found = store.conversation_by_token("demo", "h1").await.unwrap().unwrap();
    assert_eq!((found.id.as_str(), found.last_seq), (conv.id.as_str(), 3));
    assert!(found.updated_at >= conv.created_at);
    let events = store.events_after(&conv.id, 1, 100).await.unwrap();
    assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![2, 3]);
    assert_eq!(events[0].body, text(Author::visitor(), "hi"), "the body comes back as it went in");
}

async fn a_retried_client_id_is_stored_once(db: TestDb) {
    let store = open(&db).await;
    let conv = store.create_conversation("demo", "h").await.unwrap();
    let first = store.append(&conv.id, &text(Author::visitor(), "a"), Some("c1")).await.unwrap();
    let again = store.append(&conv.id, &text(Author::visitor(), "a"), Some("c1")).await.unwrap();
    assert!(matches!(first, Appended::New(ref e) if e.seq == 1));
    assert_eq!(again, Appended::Duplicate { seq: 1 });
    assert_eq!(new_seq(store.append(&conv.id, &text(Author::bot("B"), "b"), None).await.unwrap()), 2, "no gap");
    let other = store.create_conversation("demo", "h2").await.unwrap();
    let elsewhere = store.append(&other.id, &text(Author::visitor(), "a"), Some("c1")).await.unwrap();
    assert!(matches!(elsewhere, Appended::New(_)), "client ids are per conversation");
}

async fn concurrent_appends_from_two_relays_are_gap_free_and_stored_once(db: TestDb) {
    let (a, b) = (open(&db).await, open(&db).await);
    let conv = a.create_conversation("demo", "h").await.unwrap();
    let mut tasks = Vec::new();
    for n in 0..40 {
        let store = if n % 2 == 0 { a.clone() } else { b.clone() };
        let id = conv.id.clone();
        // Every message is sent twice (a retry reaching the other relay), half of them at once.
        let client_id = format!("c{}", n / 2);
        tasks.push(tokio::spawn(async move {
            store.append(&id, &text(Author::visitor(), &client_id), Some(&client_id)).await.unwrap()
        }));
    }
    let mut new = 0;
    for task in tasks {
        if matches!(task.await.unwrap(), Appended::New(_)) {
            new += 1;
        }
    }
    assert_eq!(new, 20, "one of each pair stored");
    let events = b.events_after(&conv.id, 0, 100).await.unwrap();
    assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=20).collect::<Vec<_>>());
    let texts: HashSet<String> = events
        .iter()
        .map(|e| match &e.body {
            EventBody::Message(m) => m.text.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(texts.len(), 20);
    assert_eq!(a.conversation(&conv.id).await.unwrap().unwrap().last_seq, 20);
}

/// Many writers at once on one conversation (and another beside it): appends are grouped into
/// shared transactions, yet the numbers run 1, 2, 3 ... without gaps or repeats and each
/// writer's messages keep its order.
async fn concurrent_appends_to_one_conversation_keep_each_writers_order_without_gaps(db: TestDb) {
    let store = open(&db).await;
    let (conv, other) =
        (store.create_conversation("demo", "h").await.unwrap(), store.create_conversation("demo", "o").await.unwrap());
    let mut tasks = Vec::new();
    for writer in 0..20 {
        let store = store.clone();
        let id = if writer % 4 == 3 { other.id.clone() } else { conv.id.clone() };
        tasks.push(tokio::spawn(async move {
            for n in 0..10 {
                let client_id = format!("w{writer}-{n}");
                let body = text(Author::visitor(), &client_id);
                new_seq(store.append_visitor(&id, &body, &client_id, Channel::Widget).await.unwrap());
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    for (id, count) in [(&conv.id, 150), (&other.id, 50)] {
        let events = store.events_after(id, 0, 500).await.unwrap();
        assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=count).collect::<Vec<_>>());
        let texts: Vec<String> = events
            .iter()
            .map(|e| match &e.body {
                EventBody::Message(m) => m.text.clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(texts.iter().collect::<HashSet<_>>().len(), count as usize, "each message once");
        for writer in 0..20 {
            let mine: Vec<&String> = texts.iter().filter(|t| t.starts_with(&format!("w{writer}-"))).collect();
            let expected: Vec<String> =
                if mine.is_empty() { vec![] } else { (0..10).map(|n| format!("w{writer}-{n}")).collect() };
            assert_eq!(mine, expected.iter().collect::<Vec<_>>(), "writer {writer}'s order");
        }
        assert_eq!(store.conversation(id).await.unwrap().unwrap().last_seq, count);
    }
}

/// Makes the database refuse any event whose client id is `poison` (a trigger).
async fn refuse_poison(db: &TestDb) {
    if db.url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
        sqlx::raw_sql(
            "CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.client_id = 'poison' \
             BEGIN SELECT RAISE(ABORT, 'poisoned'); END",
        )
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
        sqlx::raw_sql(
            "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             IF NEW.client_id = 'poison' THEN RAISE EXCEPTION 'poisoned'; END IF; RETURN NEW; END $$; \
             CREATE TRIGGER poison BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION poison();",
        )
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    }
}

/// One append the database refuses, sent at the same time as many others (so in a batch with
/// some of them): it alone fails, the others are stored, and no number is skipped.
async fn an_append_the_database_refuses_fails_alone_among_concurrent_ones(db: TestDb) {
    let store = open(&db).await;
    refuse_poison(&db).await;
    let conv = store.create_conversation("demo", "h").await.unwrap();
    let appends = (0..41).map(|n| {
        let (store, id) = (store.clone(), conv.id.clone());
        let client_id = if n == 20 { "poison".to_string() } else { format!("c{n}") };
        tokio::spawn(async move { store.append(&id, &text(Author::visitor(), &client_id), Some(&client_id)).await })
    });
    let mut refused = 0;
    for (n, task) in appends.collect::<Vec<_>>().into_iter().enumerate() {
        match task.await.unwrap() {
            Ok(Appended::New(_)) => assert_ne!(n, 20),
            Err(error) => {
                assert_eq!(n, 20, "only the refused one fails: {error}");
                assert!(error.to_string().contains("poisoned"), "the database's reason is given: {error}");
                refused += 1;
            }
            Ok(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(refused, 1);
    let events = store.events_after(&conv.id, 0, 100).await.unwrap();
    assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=40).collect::<Vec<_>>());
}

async fn events_after_pages_in_order(db: TestDb) {
    let store = open(&db).await;
    let conv = store.create_conversation("demo", "h").await.unwrap();
    for n in 0..7 {
        store.append(&conv.id, &text(Author::bot("B"), &n.to_string()), None).await.unwrap();
    }
    let page = store.events_after(&conv.id, 2, 3).await.unwrap();
    assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![3, 4, 5]);
    assert!(store.events_after(&conv.id, 7, 10).await.unwrap().is_empty());
    assert!(store.events_after("nobody", 0, 10).await.unwrap().is_empty());
}

async fn tokens_are_scoped_to_their_site_and_unknown_ids_fail(db: TestDb) {
    let store = open(&db).await;
    store.create_conversation("demo", "h").await.unwrap();
    assert!(store.conversation_by_token("other", "h").await.unwrap().is_none());
    assert!(store.conversation("nope").await.unwrap().is_none());
    let err = store.append("nope", &text(Author::visitor(), "x"), None).await.unwrap_err();
    assert!(matches!(err, store::StoreError::NotFound(_)), "{err:?}");
}

async fn handover_state_is_kept_and_queryable(db: TestDb) {
    let store = open(&db).await;
    let waiting_one = store.create_conversation("demo", "h1").await.unwrap();
    let bot = store.create_conversation("demo", "h2").await.unwrap();
    let handover = waiting();
    store.set_handover(&waiting_one.id, &handover).await.unwrap();
    store.set_summary(&waiting_one.id, "needs a refund").await.unwrap();
    let found = store.conversations_in(&[Phase::Waiting, Phase::Agent]).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, waiting_one.id);
    assert_eq!(found[0].handover, handover);
    assert_eq!(found[0].summary.as_deref(), Some("needs a refund"));
    assert_eq!(store.conversations_in(&[Phase::Bot]).await.unwrap()[0].id, bot.id);
    assert!(matches!(store.set_handover("nope", &handover).await, Err(store::StoreError::NotFound(_))));
    assert!(store.handed_back(10).await.unwrap().is_empty(), "still waiting");

    // Handed back to the bot: listed, most recent first.
    let later = store.create_conversation("demo", "h3").await.unwrap();
    for id in [&waiting_one.id, &later.id] {
        store.set_summary(id, "s").await.unwrap();
        store.set_handover(id, &Handover::default()).await.unwrap();
        store.append(id, &text(Author::system(), "back to the bot"), None).await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let back: Vec<String> = store.handed_back(10).await.unwrap().into_iter().map(|c| c.id).collect();
    assert_eq!(back, vec![later.id.clone(), waiting_one.id.clone()]);
    assert_eq!(store.handed_back(1).await.unwrap().len(), 1);

    // The line: oldest waiting first, then the most recently active.
    let mut early = waiting();
    early.waiting_since = Some(3);
    store.set_handover(&later.id, &early).await.unwrap();
    store.set_handover(&waiting_one.id, &waiting()).await.unwrap();
    let line: Vec<String> =
        store.conversations_in(&[Phase::Waiting]).await.unwrap().into_iter().map(|c| c.id).collect();
    assert_eq!(line, vec![later.id, waiting_one.id]);
}

async fn topic_rating_and_summary_are_kept(db: TestDb) {
    let store = open(&db).await;
    let conv = store.create_conversation("demo", "h").await.unwrap();
    assert_eq!((conv.topic.clone(), conv.rating, conv.summary.clone()), (None, None, None));
    store.set_topic(&conv.id, "billing").await.unwrap();
    store.set_rating(&conv.id, 5).await.unwrap();
    store.set_summary(&conv.id, "wants a refund").await.unwrap();
    let found = store.conversation(&conv.id).await.unwrap().unwrap();
    assert_eq!(found.topic.as_deref(), Some("billing"));
    assert_eq!(found.rating, Some(5));
    assert_eq!(found.summary.as_deref(), Some("wants a refund"));
    assert_eq!(found.handover, Handover::default());
}

async fn follow_ups_are_listed_newest_first(db: TestDb) {
    let store = open(&db).await;
    let conv = store.create_conversation("demo", "h").await.unwrap();
    for email in ["a@x.io", "b@x.io", "c@x.io"] {
        let follow_up = FollowUp {
            conversation_id: conv.id.clone(),
            site: "demo".into(),
            email: email.into(),
            summary: "s".into(),
            created_at: 1,
        };
        store.add_follow_up(&follow_up).await.unwrap();
    }
    let found = store.follow_ups(2).await.unwrap();
    let emails: Vec<_> = found.iter().map(|f| f.email.as_str()).collect();
    assert_eq!(emails, vec!["c@x.io", "b@x.io"]);
    assert_eq!((found[0].conversation_id.as_str(), found[0].created_at), (conv.id.as_str(), 1));
}

async fn visitor_identity_is_stored_with_its_verification(db: TestDb) {
    let store = open(&db).await;
    let conv = store.create_conversation("demo", "h").await.unwrap();
    assert_eq!(conv.visitor, Identity::default());
    let identity = Identity {
        email: Some("a@b.c".into()),
        email_verified: false,
        name: Some("Ada".into()),
        user_id: Some("42".into()),
        user_id_verified: true,
        languages: vec!["de-at".into(), "de".into()],
    };
    store.set_visitor(&conv.id, &identity).await.unwrap();
    assert_eq!(store.conversation(&conv.id).await.unwrap().unwrap().visitor, identity);
}

async fn a_visitor_message_stays_pending_until_handled(db: TestDb) {
    let store = open(&db).await;
    let c = store.create_conversation("demo", "h").await.unwrap();
    let seq =
        new_seq(store.append_visitor(&c.id, &text(Author::visitor(), "hi"), "m1", Channel::Widget).await.unwrap());
    let pending = store.pending_messages(&c.id).await.unwrap();
    let expected = PendingMessage {
        seq,
        client_id: "m1".into(),
        text: "hi".into(),
        attachments: vec![],
        channel: Channel::Widget,
        followed: false,
    };
    assert_eq!(pending, vec![expected]);
    assert_eq!(store.conversations_with_pending(10).await.unwrap(), vec![(c.id.clone(), "demo".to_string())]);
    // The retry is a duplicate; the mark stays until the effects are carried out.
    let retry = store.append_visitor(&c.id, &text(Author::visitor(), "hi"), "m1", Channel::Widget).await.unwrap();
    assert_eq!(retry, Appended::Duplicate { seq });
    store.append(&c.id, &text(Author::bot("Baton"), "hello"), None).await.unwrap();
    assert!(store.pending_messages(&c.id).await.unwrap()[0].followed, "an answer was stored after it");
    store.message_handled(&c.id, seq).await.unwrap();
    assert!(store.pending_messages(&c.id).await.unwrap().is_empty());
    assert!(store.conversations_with_pending(10).await.unwrap().is_empty());
}

/// Visitor messages of several conversations appended at once (so the store writes them in
/// batches), carrying files whose names need escaping: every message comes back with its
/// files, pending, and the marks cleared at once clear together.
async fn messages_appended_together_keep_their_files_and_their_marks_clear_together(db: TestDb) {
    let store = open(&db).await;
    let mut conversations = Vec::new();
    for n in 0..4 {
        conversations.push(store.create_conversation("demo", &format!("h{n}")).await.unwrap().id);
    }
    let body = |c: usize, m: usize| {
        let files = (0..m % 3)
            .map(|f| Attachment {
                id: format!("f-{c}-{m}-{f}"),
                name: format!("r\u{e9}sum\u{e9} \"{m}\"\\{f}'.pdf"),
                content_type: "application/pdf".into(),
                size: 1000 + f as u64,
            })
            .collect();
        EventBody::Message(Message {
            client_id: Some(format!("m{m}")),
            attachments: files,
            ..Message::new(Author::visitor(), format!("message {m} with \"quotes\" and \u{1f600}"))
        })
    };
    let appends = (0..4).flat_map(|c| (0..6).map(move |m| (c, m))).map(|(c, m)| {
        let store = store.clone();
        let id = conversations[c].clone();
        async move { store.append_visitor(&id, &body(c, m), &format!("m{m}"), Channel::Http).await.map(|a| (c, m, a)) }
    });
    for (c, m, appended) in futures_util::future::join_all(appends).await.into_iter().map(Result::unwrap) {
        let Appended::New(event) = appended else { panic!("message {m} of {c} was new") };
        assert_eq!(event.body, body(c, m));
    }
    for (c, id) in conversations.iter().enumerate() {
        let events = store.events_after(id, 0, 100).await.unwrap();
        assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3, 4, 5, 6], "gap-free");
        for event in &events {
            let EventBody::Message(message) = &event.body else { panic!("a message") };
            let m: usize = message.client_id.as_deref().unwrap()[1..].parse().unwrap();
            assert_eq!(event.body, body(c, m), "stored as it went in, files and all");
        }
        let pending = store.pending_messages(id).await.unwrap();
        assert_eq!(pending.len(), 6);
        for message in &pending {
            let m: usize = message.client_id[1..].parse().unwrap();
            let EventBody::Message(sent) = body(c, m) else { unreachable!() };
            assert_eq!(
                (&message.attachments, &message.text, message.channel),
                (&sent.attachments, &sent.text, Channel::Http)
            );
        }
    }
    let marks = conversations.iter().flat_map(|id| (1..=6).map(move |seq| (id.clone(), seq))).map(|(id, seq)| {
        let store = store.clone();
        async move { store.message_handled(&id, seq).await }
    });
    futures_util::future::join_all(marks).await.into_iter().collect::<Result<Vec<()>, _>>().unwrap();
    for id in &conversations {
        assert!(store.pending_messages(id).await.unwrap().is_empty());
    }
    assert!(store.conversations_with_pending(10).await.unwrap().is_empty());
    // A mark for a message that is not there changes nothing and is no error.
    store.message_handled(&conversations[0], 99).await.unwrap();
}

async fn the_outbox_hands_out_one_job_per_conversation_in_order(db: TestDb) {
    let store = open(&db).await;
    let a = store.create_conversation("demo", "ha").await.unwrap();
    let b = store.create_conversation("demo", "hb").await.unwrap();
    let a1 = store.enqueue(&a.id, "demo", ProviderKind::Intercom, "a1").await.unwrap();
    let a2 = store.enqueue(&a.id, "demo", ProviderKind::Intercom, "a2").await.unwrap();
    let b1 = store.enqueue(&b.id, "demo", ProviderKind::Intercom, "b1").await.unwrap();
    let now = now_millis() + 1;
    let jobs = store.claim_jobs(relay("r1", now), 10).await.unwrap();
    assert_eq!(jobs.iter().map(|j| j.job.as_str()).collect::<Vec<_>>(), vec!["a1", "b1"], "heads only");
    assert_eq!((jobs[0].conversation_id.as_str(), jobs[0].provider), (a.id.as_str(), ProviderKind::Intercom));
    assert!(store.claim_jobs(relay("r1", now), 10).await.unwrap().is_empty(), "claimed already");
    // a1 waits for a retry: a2 stays behind it; b goes on.
    store.job_retry(a1, now + 60_000, "503").await.unwrap();
    store.job_done(b1).await.unwrap();
    assert!(store.claim_jobs(relay("r1", now), 10).await.unwrap().is_empty());
    let later = store.claim_jobs(relay("r2", now + 60_000), 10).await.unwrap();
    assert_eq!((later.len(), later[0].id, later[0].attempts), (1, a1, 1));
    store.job_done(a1).await.unwrap();
    assert_eq!(store.claim_jobs(relay("r1", now), 10).await.unwrap()[0].id, a2);
    store.job_failed(a2, "400").await.unwrap();
    assert_eq!(store.pending_jobs(&a.id).await.unwrap(), 0);

    let remote = r#"{"provider":"intercom","conversation":"363"}"#;
    store.set_remote(&a.id, remote).await.unwrap();
    assert_eq!(store.remote(&a.id).await.unwrap().as_deref(), Some(remote));
    assert_eq!(
        store.conversation_by_remote("demo", ProviderKind::Intercom, "363").await.unwrap().map(|c| c.id),
        Some(a.id.clone())
    );
    assert!(store.conversation_by_remote("demo", ProviderKind::ZendeskSupport, "363").await.unwrap().is_none());
    // Another site's webhook naming the same helpdesk id finds nothing.
    assert!(store.conversation_by_remote("other", ProviderKind::Intercom, "363").await.unwrap().is_none());
    assert_eq!(store.remote(&b.id).await.unwrap(), None);
}

async fn a_keyed_job_is_written_once_and_jobs_are_counted(db: TestDb) {
    let store = open(&db).await;
    let a = store.create_conversation("demo", "ha").await.unwrap();
    let b = store.create_conversation("demo", "hb").await.unwrap();
    let since = now_millis();
    assert!(store.enqueue_once(&a.id, "demo", ProviderKind::Intercom, "f1", "forward:m1").await.unwrap());
    assert!(!store.enqueue_once(&a.id, "demo", ProviderKind::Intercom, "f1", "forward:m1").await.unwrap(), "key taken");
    assert!(
        store.enqueue_once(&b.id, "demo", ProviderKind::Intercom, "f1", "forward:m1").await.unwrap(),
        "keys are per conversation"
    );
    store.enqueue(&a.id, "demo", ProviderKind::Intercom, "close").await.unwrap();
    assert_eq!(store.jobs_since(&a.id, since).await.unwrap(), 2);
    assert_eq!(store.jobs_since(&a.id, now_millis() + 60_000).await.unwrap(), 0);
    assert_eq!(store.pending_jobs(&a.id).await.unwrap(), 2);
    assert_eq!(store.pending_jobs(&b.id).await.unwrap(), 1);
}

async fn a_try_under_way_is_uncertain_when_the_job_comes_back(db: TestDb) {
    let store = open(&db).await;
    let a = store.create_conversation("demo", "ha").await.unwrap();
    let id = store.enqueue(&a.id, "demo", ProviderKind::Intercom, "f").await.unwrap();
    let now = now_millis() + 1;
    assert!(!store.claim_jobs(relay("r1", now), 10).await.unwrap()[0].uncertain);
    store.job_started(id).await.unwrap();
    // r1 dies mid-call; once its claim lapsed, r2 takes the job over.
    let taken = store.claim_jobs(relay("r2", now + 120_000), 10).await.unwrap();
    assert!(taken[0].uncertain, "it may have reached the helpdesk");
    store.job_retry(id, 0, "timeout").await.unwrap();
    assert!(!store.claim_jobs(relay("r2", now), 10).await.unwrap()[0].uncertain, "a failed try cleared it");
}

async fn the_backlog_counts_what_waits(db: TestDb) {
    let store = open(&db).await;
    assert_eq!(store.backlog().await.unwrap(), store::Backlog::default());
    let a = store.create_conversation("demo", "ha").await.unwrap();
    let before = now_millis();
    let done = store.enqueue(&a.id, "demo", ProviderKind::Intercom, "1").await.unwrap();
    store.enqueue(&a.id, "demo", ProviderKind::Intercom, "2").await.unwrap();
    store.job_done(done).await.unwrap();
    store.record_event(ProviderKind::Intercom, "demo", "n1", "t", "{}").await.unwrap();
    store.record_event(ProviderKind::Intercom, "demo", "n2", "t", "{}").await.unwrap();
    store.event_processed(ProviderKind::Intercom, "n1").await.unwrap();
    let backlog = store.backlog().await.unwrap();
    assert_eq!((backlog.outbox_pending, backlog.webhook_pending), (1, 1));
    let (outbox, webhook) = (backlog.outbox_oldest.unwrap(), backlog.webhook_oldest.unwrap());
    assert!(outbox >= before && webhook >= before && outbox <= now_millis());
}

async fn webhook_events_are_first_once(db: TestDb) {
    let store = open(&db).await;
    assert_eq!(store.webhook_deliveries(ProviderKind::Intercom, "notif_1").await.unwrap(), 0);
    assert!(store.record_event(ProviderKind::Intercom, "demo", "notif_1", "t", "{}").await.unwrap());
    assert!(!store.record_event(ProviderKind::Intercom, "demo", "notif_1", "t", "{}").await.unwrap());
    assert!(
        store.record_event(ProviderKind::ZendeskSupport, "demo", "notif_1", "t", "{}").await.unwrap(),
        "ids are per provider"
    );
    assert_eq!(store.webhook_deliveries(ProviderKind::Intercom, "notif_1").await.unwrap(), 2);
}

async fn webhook_events_wait_until_processed(db: TestDb) {
    let store = open(&db).await;
    assert!(store.record_event(ProviderKind::Intercom, "demo", "n1", "t", r#"{"n":1}"#).await.unwrap());
    assert!(
        !store.record_event(ProviderKind::Intercom, "demo", "n1", "t", r#"{"n":1}"#).await.unwrap(),
        "a redelivery"
    );
    assert!(store.record_event(ProviderKind::Intercom, "demo", "n2", "t", r#"{"n":2}"#).await.unwrap());
    store.event_processed(ProviderKind::Intercom, "n1").await.unwrap();
    let pending = store.unprocessed_events(10).await.unwrap();
    assert_eq!(pending, vec![(ProviderKind::Intercom, "demo".to_string(), r#"{"n":2}"#.to_string())]);
}

async fn webhook_events_are_retried_in_arrival_order_and_kept_when_given_up(db: TestDb) {
    let store = open(&db).await;
    for id in ["n1", "n2", "n3"] {
        store.record_event(ProviderKind::Intercom, "demo", id, "t", "{}").await.unwrap();
    }
    store.record_event(ProviderKind::Intercom, "demo", "n1", "t", "{}").await.unwrap(); // a redelivery keeps its place
    store.event_retry(ProviderKind::Intercom, "n1", 42, "unknown conversation").await.unwrap();
    store.event_failed(ProviderKind::Intercom, "n2", "gave up").await.unwrap();
    let pending = store.pending_events(10).await.unwrap();
    let ids: Vec<&str> = pending.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids, ["n1", "n3"], "arrival order, the failed one left out");
    assert_eq!((pending[0].attempts, pending[0].not_before, pending[0].site.as_str()), (1, 42, "demo"));
    assert_eq!(store.unprocessed_events(10).await.unwrap().len(), 2);
    assert_eq!(store.webhook_deliveries(ProviderKind::Intercom, "n2").await.unwrap(), 1, "kept, not deleted");
}

async fn a_lease_has_one_holder_until_released_or_expired(db: TestDb) {
    let store = open(&db).await;
    let held_by = |holder: &str, node: &str| LeaseOutcome::Held { holder: holder.into(), node: node.into() };
    assert_eq!(store.acquire_lease("c", "a/1", "a", 60_000).await.unwrap(), LeaseOutcome::Acquired);
    assert_eq!(store.acquire_lease("c", "a/1", "a", 60_000).await.unwrap(), LeaseOutcome::Acquired, "again");
    assert_eq!(store.acquire_lease("c", "b/1", "b", 60_000).await.unwrap(), held_by("a/1", "a"));
    assert_eq!(store.acquire_lease("other", "b/1", "b", 60_000).await.unwrap(), LeaseOutcome::Acquired);

    let renew = |leases: &[(&str, &str)]| {
        let leases: Vec<(String, String)> = leases.iter().map(|(c, h)| ((*c).into(), (*h).into())).collect();
        let store = &store;
        async move {
            let pairs: Vec<(&str, &str)> = leases.iter().map(|(c, h)| (c.as_str(), h.as_str())).collect();
            store.renew_leases(&pairs, 60_000).await.unwrap()
        }
    };
    let kept = |release_requested| Renewal::Kept { release_requested };
    assert_eq!(renew(&[("c", "a/1"), ("other", "b/1")]).await, [kept(false), kept(false)]);
    store.request_release("c", "a/1").await.unwrap();
    assert_eq!(renew(&[("other", "b/1"), ("c", "a/1")]).await, [kept(false), kept(true)], "in the order given");
    store.release_lease("c", "b/1").await.unwrap();
    assert_eq!(store.acquire_lease("c", "b/1", "b", 60_000).await.unwrap(), held_by("a/1", "a"), "not b's to release");
    store.release_lease("c", "a/1").await.unwrap();
    assert_eq!(store.acquire_lease("c", "b/1", "b", 1).await.unwrap(), LeaseOutcome::Acquired);
    assert_eq!(renew(&[("c", "a/1"), ("other", "b/1")]).await, [Renewal::Lost, kept(false)], "a/1's is gone");
    assert_eq!(renew(&[]).await, Vec::<Renewal>::new());

    // b stops renewing: once its lease expired, a takes it (with no release asked), and b
    // learns it lost it.
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(store.acquire_lease("c", "a/2", "a", 60_000).await.unwrap(), LeaseOutcome::Acquired);
    assert_eq!(renew(&[("c", "b/1")]).await, [Renewal::Lost]);
    assert_eq!(renew(&[("c", "a/2")]).await, [kept(false)]);
}

async fn two_relays_racing_for_a_lease_have_one_winner(db: TestDb) {
    let (a, b) = (open(&db).await, open(&db).await);
    for round in 0..20 {
        let conversation = format!("c{round}");
        let (x, y) = tokio::join!(
            a.acquire_lease(&conversation, "a/1", "a", 60_000),
            b.acquire_lease(&conversation, "b/1", "b", 60_000)
        );
        let won = [x.unwrap(), y.unwrap()].iter().filter(|o| **o == LeaseOutcome::Acquired).count();
        assert_eq!(won, 1, "round {round}");
    }
}

/// Everything existing now counts as old.
fn everything() -> PruneBefore {
    let later = now_millis() + 60_000;
    PruneBefore { empty: Some(later), idle: Some(later) }
}

async fn empty_and_idle_conversations_go_active_ones_stay(db: TestDb) {
    let store = open(&db).await;
    let empty = store.create_conversation("demo", "h1").await.unwrap().id;
    store.append(&empty, &text(Author::bot("Baton"), "Hi!"), None).await.unwrap();
    let chatted = store.create_conversation("demo", "h2").await.unwrap().id;
    store.append(&chatted, &text(Author::bot("Baton"), "Hi!"), None).await.unwrap();
    store.append(&chatted, &text(Author::visitor(), "Where is my order?"), Some("c1")).await.unwrap();
    let follow_up = FollowUp {
        conversation_id: chatted.clone(),
        site: "demo".into(),
        email: "a@b.c".into(),
        summary: "s".into(),
        created_at: 1,
    };
    store.add_follow_up(&follow_up).await.unwrap();
    let done = store.enqueue(&chatted, "demo", ProviderKind::Intercom, "{}").await.unwrap();
    store.job_done(done).await.unwrap();
    let waiting_one = store.create_conversation("demo", "h3").await.unwrap().id;
    store.set_handover(&waiting_one, &Handover { phase: Phase::Waiting, ..Handover::default() }).await.unwrap();
    let forwarding = store.create_conversation("demo", "h4").await.unwrap().id;
    store.append(&forwarding, &text(Author::visitor(), "hello"), Some("c1")).await.unwrap();
    store.enqueue(&forwarding, "demo", ProviderKind::Intercom, "{}").await.unwrap();

    // Only the empty one is old enough to go as empty; idle pruning is off.
    let only_empty = PruneBefore { idle: None, ..everything() };
    assert_eq!(store.prunable_conversations(only_empty, 10).await.unwrap(), vec![empty.clone()]);
    // Idle: every conversation with the bot and no pending call.
    let ids: HashSet<String> = store.prunable_conversations(everything(), 10).await.unwrap().into_iter().collect();
    assert_eq!(ids, HashSet::from([empty.clone(), chatted.clone()]));
    assert_eq!(store.prunable_conversations(everything(), 1).await.unwrap().len(), 1, "a batch");

    // Asked to delete all four, only the prunable ones go, with their events, follow-ups, jobs.
    let all = vec![empty.clone(), chatted.clone(), waiting_one.clone(), forwarding.clone()];
    assert_eq!(store.delete_conversations(&all, everything()).await.unwrap(), 2);
    assert!(store.conversation(&empty).await.unwrap().is_none());
    assert!(store.conversation(&chatted).await.unwrap().is_none());
    assert!(store.events_after(&chatted, 0, 10).await.unwrap().is_empty());
    assert!(store.follow_ups(10).await.unwrap().is_empty());
    assert_eq!(store.jobs_since(&chatted, 0).await.unwrap(), 0);
    assert!(store.conversation(&waiting_one).await.unwrap().is_some());
    assert_eq!(store.events_after(&forwarding, 0, 10).await.unwrap().len(), 1);
    assert_eq!(store.pending_jobs(&forwarding).await.unwrap(), 1);
}

async fn a_conversation_with_a_message_still_to_handle_is_kept(db: TestDb) {
    let store = open(&db).await;
    let unhandled = store.create_conversation("demo", "h1").await.unwrap().id;
    store.append_visitor(&unhandled, &text(Author::visitor(), "hello?"), "c1", Channel::Widget).await.unwrap();
    assert!(store.prunable_conversations(everything(), 10).await.unwrap().is_empty());
    assert_eq!(store.delete_conversations(std::slice::from_ref(&unhandled), everything()).await.unwrap(), 0);
    assert!(store.conversation(&unhandled).await.unwrap().is_some());
}

async fn recent_conversations_are_not_prunable(db: TestDb) {
    let store = open(&db).await;
    store.create_conversation("demo", "h1").await.unwrap();
    let an_hour_ago = now_millis() - 3_600_000;
    let before = PruneBefore { empty: Some(an_hour_ago), idle: Some(an_hour_ago) };
    assert!(store.prunable_conversations(before, 10).await.unwrap().is_empty());
    assert!(store.prunable_conversations(PruneBefore::default(), 10).await.unwrap().is_empty(), "pruning off");
}

async fn processed_webhook_events_and_delivered_jobs_go_in_batches(db: TestDb) {
    let store = open(&db).await;
    for n in 0..5 {
        store.record_event(ProviderKind::Intercom, "demo", &format!("e{n}"), "t", "{}").await.unwrap();
    }
    for n in 0..4 {
        store.event_processed(ProviderKind::Intercom, &format!("e{n}")).await.unwrap();
    }
    let later = now_millis() + 60_000;
    assert_eq!(store.prune_webhook_events(later, 3).await.unwrap(), 3);
    assert_eq!(store.prune_webhook_events(later, 3).await.unwrap(), 1);
    assert_eq!(store.prune_webhook_events(later, 3).await.unwrap(), 0);
    assert_eq!(store.unprocessed_events(10).await.unwrap().len(), 1, "unprocessed events are kept");

    let conversation = store.create_conversation("demo", "h").await.unwrap().id;
    let done = store.enqueue(&conversation, "demo", ProviderKind::Intercom, "{}").await.unwrap();
    store.enqueue(&conversation, "demo", ProviderKind::Intercom, "{}").await.unwrap();
    store.job_done(done).await.unwrap();
    assert_eq!(store.prune_outbox(now_millis() - 60_000, 10).await.unwrap(), 0, "too recent");
    assert_eq!(store.prune_outbox(later, 10).await.unwrap(), 1);
    assert_eq!(store.pending_jobs(&conversation).await.unwrap(), 1, "pending jobs are kept");
}

#[tokio::test]
async fn an_unreachable_server_and_an_unknown_scheme_are_named_in_the_error() {
    // Nothing listens on port 1.
    let Err(error) = store::connect("postgres://baton:secret@127.0.0.1:1/baton").await else {
        panic!("connected to nothing")
    };
    assert!(matches!(error, store::StoreError::Unreachable { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("127.0.0.1:1/baton") && !message.contains("secret"), "{message}");
    let Err(error) = store::connect("mysql://127.0.0.1/baton").await else { panic!("mysql accepted") };
    assert!(error.to_string().contains("postgres://"), "{error}");
}

async fn a_lapsed_claim_is_taken_over_a_kept_or_released_one_as_it_says(db: TestDb) {
    let store = open(&db).await;
    let a = store.create_conversation("demo", "ha").await.unwrap();
    store.enqueue(&a.id, "demo", ProviderKind::Intercom, "j").await.unwrap();
    store.record_event(ProviderKind::Intercom, "demo", "e1", "t", "{}").await.unwrap();
    let now = now_millis() + 1;
    let short = Claim { by: "r1", now, until: now + 50 };
    assert_eq!(store.claim_jobs(short, 10).await.unwrap().len(), 1);
    assert_eq!(store.claim_events(short, 10).await.unwrap().len(), 1);
    // Still r1's at now + 49; kept, it still is at now + 100.
    assert!(store.claim_jobs(relay("r2", now + 49), 10).await.unwrap().is_empty());
    store.keep_claims("r1", now + 1_000).await.unwrap();
    store.keep_claims("r3", now + 60_000).await.unwrap(); // keeps nothing of r1's
    assert!(store.claim_jobs(relay("r2", now + 100), 10).await.unwrap().is_empty());
    assert!(store.claim_events(relay("r2", now + 100), 10).await.unwrap().is_empty());
    // Not kept any longer: lapsed at now + 1000, r2 takes both over.
    assert_eq!(store.claim_jobs(relay("r2", now + 1_000), 10).await.unwrap().len(), 1);
    assert_eq!(store.claim_events(relay("r2", now + 1_000), 10).await.unwrap().len(), 1);
    // A relay alone at start ends every claim.
    store.release_claims().await.unwrap();
    assert_eq!(store.claim_jobs(relay("r1", now), 10).await.unwrap().len(), 1);
    assert_eq!(store.claim_events(relay("r1", now), 10).await.unwrap().len(), 1);
}

/// Conversations and jobs per conversation for the two-relay claim races.
const RACED: usize = 30;
const PER_LINE: usize = 3;

async fn two_relays_claiming_at_once_never_get_one_job_twice_and_keep_each_conversations_order(db: TestDb) {
    let (a, b) = (open(&db).await, open(&db).await);
    // job number -> (conversation index, place in its line)
    let mut lines = std::collections::HashMap::new();
    for c in 0..RACED {
        let conversation = a.create_conversation("demo", &format!("h{c}")).await.unwrap();
        for k in 0..PER_LINE {
            let id = a.enqueue(&conversation.id, "demo", ProviderKind::Intercom, &format!("{c}/{k}")).await.unwrap();
            lines.insert(id, (c, k));
        }
    }
    let done: Arc<std::sync::Mutex<Vec<i64>>> = Arc::default();
    let worker = |store: Arc<dyn Store>, name: &'static str| {
        let (done, lines) = (done.clone(), lines.clone());
        async move {
            let mut idle = 0;
            while idle < 20 {
                let claimed = store.claim_jobs(relay(name, now_millis()), 7).await.unwrap();
                if claimed.is_empty() {
                    idle += 1;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    continue;
                }
                idle = 0;
                for job in claimed {
                    let (c, k) = lines[&job.id];
                    {
                        // The guard ends with this block, before the store is awaited.
                        let mut done = done.lock().unwrap();
                        let before = done.iter().filter(|id| lines[*id].0 == c).count();
                        assert_eq!(before, k, "{name} got job {k} of conversation {c} with {before} before it done");
                        assert!(!done.contains(&job.id), "job {} handed out twice", job.id);
                        done.push(job.id);
                    }
                    store.job_done(job.id).await.unwrap();
                }
            }
        }
    };
    tokio::join!(worker(a.clone(), "r1"), worker(b.clone(), "r2"));
    assert_eq!(done.lock().unwrap().len(), RACED * PER_LINE, "every job carried out once");
    assert_eq!(a.backlog().await.unwrap().outbox_pending, 0);
}

async fn webhook_events_are_claimed_one_per_thread_in_arrival_order(db: TestDb) {
    let store = open(&db).await;
    for (event, thread) in [("e1", "363"), ("e2", "363"), ("e3", "364"), ("e4", "364")] {
        store.record_event(ProviderKind::Intercom, "demo", event, thread, "{}").await.unwrap();
    }
    store.record_event(ProviderKind::Intercom, "other", "e5", "363", "{}").await.unwrap(); // another site's line
    let now = now_millis() + 1;
    let ids = |events: Vec<store::PendingEvent>| events.into_iter().map(|e| e.event_id).collect::<Vec<_>>();
    assert_eq!(ids(store.claim_events(relay("r1", now), 10).await.unwrap()), ["e1", "e3", "e5"]);
    assert!(store.claim_events(relay("r2", now), 10).await.unwrap().is_empty(), "heads claimed, lines held");
    store.event_processed(ProviderKind::Intercom, "e1").await.unwrap();
    store.event_retry(ProviderKind::Intercom, "e3", now + 60_000, "not yet").await.unwrap();
    assert_eq!(ids(store.claim_events(relay("r2", now), 10).await.unwrap()), ["e2"], "e4 waits behind e3");
    store.event_processed(ProviderKind::Intercom, "e2").await.unwrap();
    store.event_processed(ProviderKind::Intercom, "e5").await.unwrap();
    let later = store.claim_events(relay("r2", now + 60_000), 10).await.unwrap();
    assert_eq!((later[0].event_id.as_str(), later[0].attempts, later.len()), ("e3", 1, 1));
    store.event_failed(ProviderKind::Intercom, "e3", "gave up").await.unwrap();
    assert_eq!(ids(store.claim_events(relay("r1", now + 60_000), 10).await.unwrap()), ["e4"]);
}

async fn two_relays_claiming_events_at_once_apply_each_once_in_each_threads_order(db: TestDb) {
    let (a, b) = (open(&db).await, open(&db).await);
    for k in 0..PER_LINE {
        for t in 0..RACED {
            a.record_event(ProviderKind::Intercom, "demo", &format!("{t}/{k}"), &t.to_string(), "{}").await.unwrap();
        }
    }
    let applied: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
    let worker = |store: Arc<dyn Store>, name: &'static str| {
        let applied = applied.clone();
        async move {
            let mut idle = 0;
            while idle < 20 {
                let claimed = store.claim_events(relay(name, now_millis()), 7).await.unwrap();
                if claimed.is_empty() {
                    idle += 1;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    continue;
                }
                idle = 0;
                for event in claimed {
                    let (thread, k) = event.event_id.split_once('/').unwrap();
                    {
                        // The guard ends with this block, before the store is awaited.
                        let mut applied = applied.lock().unwrap();
                        let before = applied.iter().filter(|id| id.split_once('/').unwrap().0 == thread).count();
                        assert_eq!(
                            before.to_string(),
                            k,
                            "{name} got {} with {before} of its thread before it",
                            event.event_id
                        );
                        assert!(!applied.contains(&event.event_id), "{} handed out twice", event.event_id);
                        applied.push(event.event_id.clone());
                    }
                    store.event_processed(event.provider, &event.event_id).await.unwrap();
                }
            }
        }
    };
    tokio::join!(worker(a.clone(), "r1"), worker(b.clone(), "r2"));
    assert_eq!(applied.lock().unwrap().len(), RACED * PER_LINE, "every event applied once");
    assert!(b.unprocessed_events(10).await.unwrap().is_empty());
}
