//! A PostgreSQL schema of the test's own on the machine's server (`postgres://127.0.0.1:5432/test`,
//! trust auth; `BATON_TEST_POSTGRES` names another): created empty, handed to relays through
//! the database URL (`options=-c search_path=<schema>`), dropped with everything in it when the
//! test is done, so runs never see each other's rows.

use sqlx::{Connection, PgConnection};

/// The server and database tests use unless `BATON_TEST_POSTGRES` says otherwise.
pub const DEFAULT_SERVER: &str = "postgres://127.0.0.1:5432/test";

fn server() -> String {
    std::env::var("BATON_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_SERVER.to_string())
}

pub struct Schema {
    pub name: String,
    /// The database URL with the schema first on the search path.
    pub url: String,
}

impl Schema {
    pub async fn create() -> Self {
        let name = format!("baton_t_{}", uuid_like());
        let server = server();
        let mut connection = PgConnection::connect(&server)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {server} (tests need it running): {e}"));
        sqlx::query(&format!("CREATE SCHEMA {name}")).execute(&mut connection).await.expect("create schema");
        connection.close().await.ok();
        let separator = if server.contains('?') { '&' } else { '?' };
        let url = format!("{server}{separator}options=-c%20search_path%3D{name}");
        Self { name, url }
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, which cannot block on async work: a thread of
        // its own with a runtime of its own does.
        let (server, name) = (server(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(async {
                let mut connection = PgConnection::connect(&server).await?;
                sqlx::query(&format!("DROP SCHEMA IF EXISTS {name} CASCADE")).execute(&mut connection).await?;
                connection.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test schema {}: {dropped:?}", self.name);
        }
    }
}

/// 16 random hex digits: schema names must be unique across concurrent test processes.
fn uuid_like() -> String {
    format!("{:016x}", rand::random::<u64>())
}
