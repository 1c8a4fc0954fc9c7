//! The dashboard's storage (`relay::store::admin`), one suite for both backends like
//! `store.rs`: accounts and the setup's once, lockout counting, sessions, versioned settings
//! documents with their audit lines.

use baton_tests::TestDb;
use relay::store::{
    self,
    admin::{Accepted, AuditEntry, Invite, NewAccount, Role, SettingsDoc},
};
use relay::{
    connectors::ProviderKind,
    event::{Phase, Reason},
};

baton_tests::on_every_backend!(
    the_first_owner_is_made_once_and_emails_are_unique,
    wrong_passwords_lock_after_the_limit_and_a_right_one_clears_them,
    sessions_last_until_they_expire_or_are_deleted,
    settings_documents_are_versioned_and_audited_together,
    an_invitation_makes_one_agent_once_before_it_expires,
    conversation_facts_carry_the_handover_and_rating_of_the_range,
);

fn new<'a>(email: &'a str, role: Role, sites: &'a [String]) -> NewAccount<'a> {
    NewAccount { email, name: "Someone", role, password_hash: "$argon2id$fake", sites }
}

async fn the_first_owner_is_made_once_and_emails_are_unique(db: TestDb) {
    let store = store::connect(&db.url).await.unwrap();
    let admin = store.admin();
    assert!(!admin.has_owner().await.unwrap());
    let every = ["*".to_string()];
    let first = admin.create_account(&new("a@example.com", Role::Owner, &every), true).await.unwrap();
    let first = first.expect("the first owner");
    assert_eq!((first.role, first.sites.clone()), (Role::Owner, every.to_vec()));
    assert!(admin.has_owner().await.unwrap());
    assert!(admin.create_account(&new("b@example.com", Role::Owner, &every), true).await.unwrap().is_none());
    let agent_sites = ["demo".to_string(), "shop".to_string()];
    let agent = admin.create_account(&new("c@example.com", Role::Agent, &agent_sites), false).await.unwrap().unwrap();
    assert_eq!(agent.sites, agent_sites.to_vec());
    assert!(admin.create_account(&new("c@example.com", Role::Agent, &[]), false).await.unwrap().is_none());
    admin.add_account_site(&agent.id, "more").await.unwrap();
    let read = admin.account_by_email("c@example.com").await.unwrap().unwrap();
    assert_eq!(read.sites, ["demo", "more", "shop"]);
    assert!(admin.account_by_email("nobody@example.com").await.unwrap().is_none());
}

async fn wrong_passwords_lock_after_the_limit_and_a_right_one_clears_them(db: TestDb) {
    let store = store::connect(&db.url).await.unwrap();
    let admin = store.admin();
    let account = admin.create_account(&new("a@example.com", Role::Owner, &[]), false).await.unwrap().unwrap();
    for expected in 1..=2 {
        admin.sign_in_failed(&account.id, 3, 1_000).await.unwrap();
        let read = admin.account_by_email("a@example.com").await.unwrap().unwrap();
        assert_eq!((read.failed_attempts, read.locked_until), (expected, None));
    }
    admin.sign_in_failed(&account.id, 3, 1_000).await.unwrap();
    let locked = admin.account_by_email("a@example.com").await.unwrap().unwrap();
    assert_eq!((locked.failed_attempts, locked.locked_until), (0, Some(1_000)));
    admin.sign_in_failed(&account.id, 3, 2_000).await.unwrap();
    admin.sign_in_succeeded(&account.id).await.unwrap();
    let cleared = admin.account_by_email("a@example.com").await.unwrap().unwrap();
    assert_eq!((cleared.failed_attempts, cleared.locked_until), (0, None));
}

async fn sessions_last_until_they_expire_or_are_deleted(db: TestDb) {
    let store = store::connect(&db.url).await.unwrap();
    let admin = store.admin();
    let account = admin.create_account(&new("a@example.com", Role::Agent, &[]), false).await.unwrap().unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    admin.create_session("hash-1", &account.id, "token-1", now + 60_000).await.unwrap();
    let session = admin.session("hash-1", now).await.unwrap().expect("live");
    assert_eq!((session.account.email.as_str(), session.csrf.as_str()), ("a@example.com", "token-1"));
    assert!(admin.session("hash-1", now + 60_000).await.unwrap().is_none(), "expired");
    assert!(admin.session("hash-2", now).await.unwrap().is_none());
    admin.delete_session("hash-1").await.unwrap();
    assert!(admin.session("hash-1", now).await.unwrap().is_none());
}

async fn settings_documents_are_versioned_and_audited_together(db: TestDb) {
    let store = store::connect(&db.url).await.unwrap();
    let admin = store.admin();
    let doc = |version: i64, document: &str| SettingsDoc {
        site: "demo".into(),
        version,
        document: document.into(),
        updated_by: "a@example.com".into(),
        updated_at: 5,
    };
    let audit = |detail: &str| AuditEntry {
        at: 5,
        actor: "a@example.com".into(),
        site: Some("demo".into()),
        action: "settings".into(),
        detail: detail.into(),
    };
    assert_eq!(admin.save_site_settings(&doc(1, "bot_name = \"A\""), 0, &audit("first")).await.unwrap(), Some(1));
    // Someone else's change got there first: refused, and not audited.
    assert_eq!(admin.save_site_settings(&doc(1, "bot_name = \"B\""), 0, &audit("lost")).await.unwrap(), None);
    assert_eq!(admin.save_site_settings(&doc(2, "bot_name = \"C\""), 1, &audit("second")).await.unwrap(), Some(2));
    assert_eq!(admin.save_site_settings(&doc(2, "bot_name = \"D\""), 1, &audit("stale")).await.unwrap(), None);
    let stored = admin.site_setting("demo").await.unwrap().unwrap();
    assert_eq!((stored.version, stored.document.as_str()), (2, "bot_name = \"C\""));
    assert_eq!(admin.site_settings().await.unwrap(), vec![stored]);
    let other = AuditEntry { site: None, action: "account.create".into(), ..audit("owner") };
    admin.audit(&other).await.unwrap();
    let details: Vec<String> = admin.audit_log(Some("demo"), 10).await.unwrap().into_iter().map(|e| e.detail).collect();
    assert_eq!(details, ["second", "first"]);
    assert_eq!(admin.audit_log(None, 10).await.unwrap().len(), 3);
    assert_eq!(admin.audit_log(None, 1).await.unwrap()[0].detail, "owner");
}

async fn an_invitation_makes_one_agent_once_before_it_expires(db: TestDb) {
    let store = store::connect(&db.url).await.unwrap();
    let admin = store.admin();
    let invite = |hash: &str, email: &str, expires_at: i64| Invite {
        token_hash: hash.into(),
        email: email.into(),
        name: "Alex".into(),
        sites: vec!["demo".into(), "shop".into()],
        invited_by: "owner@example.com".into(),
        expires_at,
    };
    admin.create_invite(&invite("h1", "alex@example.com", 1_000)).await.unwrap();
    admin.create_invite(&invite("h2", "late@example.com", 1_000)).await.unwrap();
    admin.create_invite(&invite("h3", "alex@example.com", 1_000)).await.unwrap();
    let Accepted::Created(agent) = admin.accept_invite("h1", 500, "$argon2id$x").await.unwrap() else {
        panic!("the first use makes the agent")
    };
    assert_eq!((agent.role, agent.sites.clone()), (Role::Agent, vec!["demo".to_string(), "shop".to_string()]));
    assert_eq!(admin.accept_invite("h1", 600, "$argon2id$x").await.unwrap(), Accepted::Unknown, "spent");
    assert_eq!(admin.accept_invite("h2", 1_000, "$argon2id$x").await.unwrap(), Accepted::Unknown, "expired");
    assert_eq!(admin.accept_invite("nope", 1, "$argon2id$x").await.unwrap(), Accepted::Unknown);
    assert_eq!(admin.accept_invite("h3", 700, "$argon2id$x").await.unwrap(), Accepted::EmailTaken);
    // The email's owner goes: the same invitation, left unused, works now.
    admin.delete_account(&agent.id).await.unwrap();
    assert!(matches!(admin.accept_invite("h3", 800, "$argon2id$x").await.unwrap(), Accepted::Created(_)));
    assert_eq!(admin.accounts().await.unwrap().len(), 1);
}

async fn conversation_facts_carry_the_handover_and_rating_of_the_range(db: TestDb) {
    let store = store::connect(&db.url).await.unwrap();
    let handed = store.create_conversation("demo", "t1").await.unwrap();
    store.create_conversation("demo", "t2").await.unwrap();
    store.create_conversation("other", "t3").await.unwrap();
    let handover = store::Handover {
        state: r#"{"phase":"waiting","reason":"rule","since":7}"#.into(),
        phase: Phase::Waiting,
        reason: Some(Reason::Rule),
        agent_id: None,
        waiting_since: Some(7),
        provider: Some(ProviderKind::Intercom),
    };
    store.set_handover(&handed.id, &handover).await.unwrap();
    store.set_rating(&handed.id, 4).await.unwrap();
    let facts = store.admin().conversation_facts("demo", 0, i64::MAX, 10).await.unwrap();
    assert_eq!(facts.len(), 2, "{facts:?}");
    let first = facts.iter().find(|f| f.reason.is_some()).expect("the handed-over one");
    assert_eq!(
        (first.reason, first.provider, first.rating),
        (Some(Reason::Rule), Some(ProviderKind::Intercom), Some(4))
    );
    assert!(
        store.admin().conversation_facts("demo", 0, handed.created_at, 10).await.unwrap().is_empty(),
        "before the range"
    );
}
