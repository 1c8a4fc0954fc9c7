//! What the owner dashboard keeps (`crate::admin`): accounts and the sites they work on, their
//! sessions, invitations, the sites' settings documents and the audit log. One SQL text for both backends
//! (`$n` placeholders, which SQLite reads too), generated for each by [`admin_store!`]; the
//! tables are SQLite migrations 0024-0025 and PostgreSQL 0005-0006.

use async_trait::async_trait;

use super::Result;

/// What an account may do: an owner everything of its sites, an agent their inbox only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Owner,
    Agent,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Agent => "agent",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "owner" => Some(Role::Owner),
            "agent" => Some(Role::Agent),
            _ => None,
        }
    }
}

/// A stored account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    /// Lower-cased.
    pub email: String,
    pub name: String,
    pub role: Role,
    /// argon2id, as a PHC string.
    pub password_hash: String,
    /// Wrong passwords in a row.
    pub failed_attempts: u32,
    /// Refused until then (ms since the epoch), whatever the password.
    pub locked_until: Option<i64>,
    /// Site keys, or `*` for every site.
    pub sites: Vec<String>,
}

/// An account to create.
#[derive(Debug, Clone)]
pub struct NewAccount<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub password_hash: &'a str,
    pub sites: &'a [String],
}

/// A signed-in browser's session.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub account: Account,
    /// The synchronizer token its forms carry.
    pub csrf: String,
}

/// A site's settings document as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsDoc {
    pub site: String,
    /// 1 for the first document, one more at each change.
    pub version: i64,
    /// TOML of the `[sites.<key>]` table's shape.
    pub document: String,
    pub updated_by: String,
    pub updated_at: i64,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: i64,
    /// Who: an account's email, or `cli` / `setup`.
    pub actor: String,
    pub site: Option<String>,
    /// What kind of change (`settings`, `site.create`, `account.create`, `settings.import`, ...).
    pub action: String,
    /// What changed, in words (e.g. the keys and their old and new values).
    pub detail: String,
}

/// An invitation of an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    /// The SHA-256 of the link's token.
    pub token_hash: String,
    /// Lower-cased.
    pub email: String,
    pub name: String,
    pub sites: Vec<String>,
    /// The owner's email.
    pub invited_by: String,
    pub expires_at: i64,
}

/// What became of an invitation taken up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accepted {
    /// The agent's account.
    Created(Account),
    /// No such invitation, or it was used or expired.
    Unknown,
    /// An account with the invitation's email exists (the invitation stays unused).
    EmailTaken,
}

/// An event insights read, with its conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct InsightEvent {
    pub conversation_id: String,
    pub event: crate::event::Event,
}

/// What insights count of one conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationFacts {
    pub id: String,
    pub created_at: i64,
    /// Why it is handed over while it waits for a person (the stored state forgets it once an
    /// agent joins: insights read the phase events for that).
    pub reason: Option<crate::event::Reason>,
    /// Where that handover went.
    pub provider: Option<crate::connectors::ProviderKind>,
    /// The visitor's rating of the chat with a person, if given.
    pub rating: Option<u8>,
}

/// The dashboard's storage, every operation in one statement or transaction.
#[async_trait]
pub trait AdminStore: Send + Sync {
    /// Whether any owner exists.
    async fn has_owner(&self) -> Result<bool>;
    /// Creates an account; `None` when its email is taken. With `first_owner`, only while no
    /// first owner was made (the setup token's once), and marks it made.
    async fn create_account(&self, new: &NewAccount<'_>, first_owner: bool) -> Result<Option<Account>>;
    async fn account_by_email(&self, email: &str) -> Result<Option<Account>>;
    /// A wrong password: one more in a row; at `lock_after` in a row the account is locked
    /// until `lock_until` and the count starts again.
    async fn sign_in_failed(&self, account_id: &str, lock_after: u32, lock_until: i64) -> Result<()>;
    /// A right password: the count of wrong ones is cleared.
    async fn sign_in_succeeded(&self, account_id: &str) -> Result<()>;
    /// Gives the account `site` too.
    async fn add_account_site(&self, account_id: &str, site: &str) -> Result<()>;
    async fn create_session(&self, id_hash: &str, account_id: &str, csrf: &str, expires_at: i64) -> Result<()>;
    /// The live session with this id hash (not expired at `now`).
    async fn session(&self, id_hash: &str, now: i64) -> Result<Option<SessionRow>>;
    async fn delete_session(&self, id_hash: &str) -> Result<()>;
    /// Every site's settings document.
    async fn site_settings(&self) -> Result<Vec<SettingsDoc>>;
    async fn site_setting(&self, site: &str) -> Result<Option<SettingsDoc>>;
    /// Writes `site`'s document if its stored version is still `expected` (0: none stored yet),
    /// with the audit line, in one transaction. The new version, or `None` when someone else
    /// changed it first.
    async fn save_site_settings(&self, doc: &SettingsDoc, expected: i64, audit: &AuditEntry) -> Result<Option<i64>>;
    async fn audit(&self, entry: &AuditEntry) -> Result<()>;
    /// Every account, by email.
    async fn accounts(&self) -> Result<Vec<Account>>;
    /// Deletes the account; its sessions go with it.
    async fn delete_account(&self, account_id: &str) -> Result<()>;
    async fn create_invite(&self, invite: &Invite) -> Result<()>;
    /// Spends the invitation (unused, not expired at `now`) and makes its agent with
    /// `password_hash`, in one transaction.
    async fn accept_invite(&self, token_hash: &str, now: i64, password_hash: &str) -> Result<Accepted>;
    /// The conversations of `site` created in `from..to` (ms), at most `limit`.
    async fn conversation_facts(&self, site: &str, from: i64, to: i64, limit: u32) -> Result<Vec<ConversationFacts>>;
    /// The newest `limit` lines, of `site` only when given.
    async fn audit_log(&self, site: Option<&str>, limit: u32) -> Result<Vec<AuditEntry>>;
    /// What insights read of the events of `site`'s conversations created in `from..to` (ms),
    /// by conversation and sequence number, at most `limit`: every phase change and agent
    /// message, every bot answer that offered a person, and the event right before each such
    /// answer. A superset (the text filter is coarse): readers check each event's kind.
    async fn insight_events(&self, site: &str, from: i64, to: i64, limit: u32) -> Result<Vec<InsightEvent>>;
}

const ACCOUNT_COLUMNS: &str = "id, email, name, role, password_hash, failed_attempts, locked_until";

/// Implements [`AdminStore`] for a backend whose `pool` is a `sqlx::Pool`: the SQL is the same.
macro_rules! admin_store {
    ($store:ty) => {
        impl $store {
            async fn account_row<'e, E>(executor: E, by: &str, value: &str) -> $crate::store::Result<Option<Account>>
            where
                E: sqlx::Executor<'e, Database = <$store as $crate::store::admin::Backend>::Db> + Copy,
            {
                use $crate::store::rows::Columns;
                let query = format!("SELECT {} FROM admin_accounts WHERE {by} = $1", ACCOUNT_COLUMNS);
                let Some(row) = sqlx::query(&query).bind(value).fetch_optional(executor).await? else {
                    return Ok(None);
                };
                let role = row.text("role")?;
                let id = row.text("id")?;
                let sites = sqlx::query_scalar("SELECT site FROM admin_account_sites WHERE account_id = $1 ORDER BY site")
                    .bind(&id)
                    .fetch_all(executor)
                    .await?;
                Ok(Some(Account {
                    id,
                    email: row.text("email")?,
                    name: row.text("name")?,
                    role: Role::parse(&role)
                        .ok_or_else(|| $crate::store::StoreError::Corrupt(format!("account role {role:?}")))?,
                    password_hash: row.text("password_hash")?,
                    failed_attempts: u32::try_from(row.int("failed_attempts")?).unwrap_or(u32::MAX),
                    locked_until: row.maybe_int("locked_until")?,
                    sites,
                }))
            }

            fn settings_doc(row: &<<$store as $crate::store::admin::Backend>::Db as sqlx::Database>::Row) -> $crate::store::Result<SettingsDoc> {
                use $crate::store::rows::Columns;
                Ok(SettingsDoc {
                    site: row.text("site")?,
                    version: row.int("version")?,
                    document: row.text("document")?,
                    updated_by: row.text("updated_by")?,
                    updated_at: row.int("updated_at")?,
                })
            }

            fn audit_entry(row: &<<$store as $crate::store::admin::Backend>::Db as sqlx::Database>::Row) -> $crate::store::Result<AuditEntry> {
                use $crate::store::rows::Columns;
                Ok(AuditEntry {
                    at: row.int("at")?,
                    actor: row.text("actor")?,
                    site: row.maybe_text("site")?,
                    action: row.text("action")?,
                    detail: row.text("detail")?,
                })
            }
        }

        #[async_trait::async_trait]
        impl AdminStore for $store {
            async fn has_owner(&self) -> $crate::store::Result<bool> {
                let owners: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM admin_accounts WHERE role = 'owner'")
                    .fetch_one(&self.pool)
                    .await?;
                Ok(owners > 0)
            }

            async fn create_account(&self, new: &NewAccount<'_>, first_owner: bool) -> $crate::store::Result<Option<Account>> {
                let mut tx = self.pool.begin().await?;
                let now = $crate::store::now_millis();
                if first_owner || new.role == Role::Owner {
                    let made = sqlx::query("INSERT INTO admin_setup (id, done_at) VALUES (1, $1) ON CONFLICT DO NOTHING")
                        .bind(now)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    if first_owner && made == 0 {
                        return Ok(None);
                    }
                }
                let id = uuid::Uuid::new_v4().to_string();
                let inserted = sqlx::query(
                    "INSERT INTO admin_accounts (id, email, name, role, password_hash, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                )
                .bind(&id)
                .bind(new.email)
                .bind(new.name)
                .bind(new.role.name())
                .bind(new.password_hash)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if inserted == 0 {
                    return Ok(None);
                }
                Self::add_sites(&mut tx, &id, new.sites.iter().map(String::as_str)).await?;
                tx.commit().await?;
                Self::account_row(&self.pool, "id", &id).await
            }

            async fn account_by_email(&self, email: &str) -> $crate::store::Result<Option<Account>> {
                Self::account_row(&self.pool, "email", email).await
            }

            async fn sign_in_failed(&self, account_id: &str, lock_after: u32, lock_until: i64) -> $crate::store::Result<()> {
                sqlx::query(
                    "UPDATE admin_accounts SET \
                     locked_until = CASE WHEN failed_attempts + 1 >= $2 THEN $3 ELSE locked_until END, \
                     failed_attempts = CASE WHEN failed_attempts + 1 >= $2 THEN 0 ELSE failed_attempts + 1 END \
                     WHERE id = $1",
                )
                .bind(account_id)
                .bind(i64::from(lock_after))
                .bind(lock_until)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn sign_in_succeeded(&self, account_id: &str) -> $crate::store::Result<()> {
                sqlx::query("UPDATE admin_accounts SET failed_attempts = 0, locked_until = NULL WHERE id = $1")
                    .bind(account_id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn add_account_site(&self, account_id: &str, site: &str) -> $crate::store::Result<()> {
                sqlx::query("INSERT INTO admin_account_sites (account_id, site) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(account_id)
                    .bind(site)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn create_session(&self, id_hash: &str, account_id: &str, csrf: &str, expires_at: i64) -> $crate::store::Result<()> {
                let now = $crate::store::now_millis();
                // Expired sessions go as new ones come.
                sqlx::query("DELETE FROM admin_sessions WHERE expires_at <= $1").bind(now).execute(&self.pool).await?;
                sqlx::query(
                    "INSERT INTO admin_sessions (id_hash, account_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(id_hash)
                .bind(account_id)
                .bind(csrf)
                .bind(now)
                .bind(expires_at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn session(&self, id_hash: &str, now: i64) -> $crate::store::Result<Option<SessionRow>> {
                let found: Option<(String, String)> =
                    sqlx::query_as("SELECT account_id, csrf FROM admin_sessions WHERE id_hash = $1 AND expires_at > $2")
                        .bind(id_hash)
                        .bind(now)
                        .fetch_optional(&self.pool)
                        .await?;
                let Some((account_id, csrf)) = found else { return Ok(None) };
                let account = Self::account_row(&self.pool, "id", &account_id).await?;
                Ok(account.map(|account| SessionRow { account, csrf }))
            }

            async fn delete_session(&self, id_hash: &str) -> $crate::store::Result<()> {
                sqlx::query("DELETE FROM admin_sessions WHERE id_hash = $1").bind(id_hash).execute(&self.pool).await?;
                Ok(())
            }

            async fn site_settings(&self) -> $crate::store::Result<Vec<SettingsDoc>> {
                let rows = sqlx::query("SELECT site, version, document, updated_by, updated_at FROM site_settings ORDER BY site")
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(Self::settings_doc).collect()
            }

            async fn site_setting(&self, site: &str) -> $crate::store::Result<Option<SettingsDoc>> {
                let row = sqlx::query("SELECT site, version, document, updated_by, updated_at FROM site_settings WHERE site = $1")
                    .bind(site)
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(Self::settings_doc).transpose()
            }

            async fn save_site_settings(&self, doc: &SettingsDoc, expected: i64, audit: &AuditEntry) -> $crate::store::Result<Option<i64>> {
                let mut tx = self.pool.begin().await?;
                let version = expected + 1;
                let written = if expected == 0 {
                    sqlx::query(
                        "INSERT INTO site_settings (site, version, document, updated_by, updated_at) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                    )
                    .bind(&doc.site)
                    .bind(version)
                    .bind(&doc.document)
                    .bind(&doc.updated_by)
                    .bind(doc.updated_at)
                    .execute(&mut *tx)
                    .await?
                } else {
                    sqlx::query(
                        "UPDATE site_settings SET version = $2, document = $3, updated_by = $4, updated_at = $5 \
                         WHERE site = $1 AND version = $6",
                    )
                    .bind(&doc.site)
                    .bind(version)
                    .bind(&doc.document)
                    .bind(&doc.updated_by)
                    .bind(doc.updated_at)
                    .bind(expected)
                    .execute(&mut *tx)
                    .await?
                }
                .rows_affected();
                if written == 0 {
                    return Ok(None);
                }
                Self::insert_audit(&mut *tx, audit).await?;
                tx.commit().await?;
                Ok(Some(version))
            }

            async fn audit(&self, entry: &AuditEntry) -> $crate::store::Result<()> {
                Self::insert_audit(&self.pool, entry).await
            }

            async fn accounts(&self) -> $crate::store::Result<Vec<Account>> {
                let emails: Vec<String> = sqlx::query_scalar("SELECT email FROM admin_accounts ORDER BY email")
                    .fetch_all(&self.pool)
                    .await?;
                let mut accounts = Vec::with_capacity(emails.len());
                for email in emails {
                    accounts.extend(Self::account_row(&self.pool, "email", &email).await?);
                }
                Ok(accounts)
            }

            async fn delete_account(&self, account_id: &str) -> $crate::store::Result<()> {
                sqlx::query("DELETE FROM admin_accounts WHERE id = $1").bind(account_id).execute(&self.pool).await?;
                Ok(())
            }

            async fn create_invite(&self, invite: &Invite) -> $crate::store::Result<()> {
                sqlx::query(
                    "INSERT INTO admin_invites (token_hash, email, name, sites, invited_by, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&invite.token_hash)
                .bind(&invite.email)
                .bind(&invite.name)
                .bind(invite.sites.join("\n"))
                .bind(&invite.invited_by)
                .bind($crate::store::now_millis())
                .bind(invite.expires_at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn accept_invite(&self, token_hash: &str, now: i64, password_hash: &str) -> $crate::store::Result<Accepted> {
                let mut tx = self.pool.begin().await?;
                let taken: Option<(String, String, String)> = sqlx::query_as(
                    "UPDATE admin_invites SET used_at = $2 \
                     WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING email, name, sites",
                )
                .bind(token_hash)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((email, name, sites)) = taken else { return Ok(Accepted::Unknown) };
                let id = uuid::Uuid::new_v4().to_string();
                let inserted = sqlx::query(
                    "INSERT INTO admin_accounts (id, email, name, role, password_hash, created_at) \
                     VALUES ($1, $2, $3, 'agent', $4, $5) ON CONFLICT DO NOTHING",
                )
                .bind(&id)
                .bind(&email)
                .bind(&name)
                .bind(password_hash)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if inserted == 0 {
                    // Rolled back: the invitation stays unused.
                    return Ok(Accepted::EmailTaken);
                }
                Self::add_sites(&mut tx, &id, sites.lines().filter(|s| !s.is_empty())).await?;
                tx.commit().await?;
                let account = Self::account_row(&self.pool, "id", &id).await?;
                Ok(account.map_or(Accepted::Unknown, Accepted::Created))
            }

            async fn conversation_facts(&self, site: &str, from: i64, to: i64, limit: u32) -> $crate::store::Result<Vec<ConversationFacts>> {
                use $crate::store::rows::Columns;
                let rows = sqlx::query(
                    "SELECT id, created_at, reason, handover_provider, rating FROM conversations \
                     WHERE site = $1 AND created_at >= $2 AND created_at < $3 ORDER BY created_at LIMIT $4",
                )
                .bind(site)
                .bind(from)
                .bind(to)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|row| {
                        Ok(ConversationFacts {
                            id: row.text("id")?,
                            created_at: row.int("created_at")?,
                            reason: row.maybe_name("reason")?,
                            provider: row.maybe_name("handover_provider")?,
                            rating: row.maybe_int("rating")?.map(|r| r.clamp(0, 255) as u8),
                        })
                    })
                    .collect()
            }

            async fn audit_log(&self, site: Option<&str>, limit: u32) -> $crate::store::Result<Vec<AuditEntry>> {
                let rows = sqlx::query(
                    "SELECT at, actor, site, action, detail FROM audit_log \
                     WHERE $1 IS NULL OR site = $1 ORDER BY id DESC LIMIT $2",
                )
                .bind(site)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::audit_entry).collect()
            }

            async fn insight_events(&self, site: &str, from: i64, to: i64, limit: u32) -> $crate::store::Result<Vec<InsightEvent>> {
                use $crate::store::rows::Columns;
                // The body is TEXT on SQLite and JSON on PostgreSQL: both cast to text.
                let rows = sqlx::query(
                    "SELECT e.conversation_id, e.seq, e.at, CAST(e.body AS TEXT) AS body \
                     FROM events e JOIN conversations c ON c.id = e.conversation_id \
                     WHERE c.site = $1 AND c.created_at >= $2 AND c.created_at < $3 \
                     AND (CAST(e.body AS TEXT) LIKE '%\"phase\"%' OR CAST(e.body AS TEXT) LIKE '%\"agent\"%' \
                          OR CAST(e.body AS TEXT) LIKE '%request_handover%' \
                          OR EXISTS (SELECT 1 FROM events n WHERE n.conversation_id = e.conversation_id \
                                     AND n.seq = e.seq + 1 AND CAST(n.body AS TEXT) LIKE '%request_handover%')) \
                     ORDER BY e.conversation_id, e.seq LIMIT $4",
                )
                .bind(site)
                .bind(from)
                .bind(to)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|row| {
                        Ok(InsightEvent { conversation_id: row.text("conversation_id")?, event: $crate::store::rows::event(row)? })
                    })
                    .collect()
            }
        }

        impl $store {
            /// Gives the account `sites`, within the transaction.
            async fn add_sites<'s>(
                tx: &mut sqlx::Transaction<'_, <$store as $crate::store::admin::Backend>::Db>,
                id: &str,
                sites: impl Iterator<Item = &'s str>,
            ) -> $crate::store::Result<()> {
                for site in sites {
                    sqlx::query("INSERT INTO admin_account_sites (account_id, site) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                        .bind(id)
                        .bind(site)
                        .execute(&mut **tx)
                        .await?;
                }
                Ok(())
            }

            async fn insert_audit<'e, E>(executor: E, entry: &AuditEntry) -> $crate::store::Result<()>
            where
                E: sqlx::Executor<'e, Database = <$store as $crate::store::admin::Backend>::Db>,
            {
                sqlx::query("INSERT INTO audit_log (at, actor, site, action, detail) VALUES ($1, $2, $3, $4, $5)")
                    .bind(entry.at)
                    .bind(&entry.actor)
                    .bind(&entry.site)
                    .bind(&entry.action)
                    .bind(&entry.detail)
                    .execute(executor)
                    .await?;
                Ok(())
            }
        }
    };
}

/// The database a backend speaks, for [`admin_store!`]'s generic helpers.
pub(super) trait Backend {
    type Db: sqlx::Database;
}

impl Backend for super::SqliteStore {
    type Db = sqlx::Sqlite;
}

impl Backend for super::PostgresStore {
    type Db = sqlx::Postgres;
}

admin_store!(super::SqliteStore);
admin_store!(super::PostgresStore);
