//! The server under test: its URL, a new schema per case, and what the tests read with plain
//! SQL (table contents, to prove that a refused open left a database untouched).

use mfa_core::{Core, OpenOptions};
use postgres::{Client, NoTls};

use crate::common::T0;

/// The key of every handle of the tests, unless a case says otherwise (the children's `open`
/// takes the byte 9 too).
pub const KEY: [u8; 32] = [9; 32];

pub fn url() -> String {
    std::env::var("MFA_CORE_TEST_PG").expect(
        "MFA_CORE_TEST_PG must name a PostgreSQL database (scripts/test-postgres.sh starts a server and sets it)",
    )
}

/// Session defaults that the engine must override for its own transactions, added to every
/// case's URL as a server's configuration could set them: SERIALIZABLE would give each write a
/// snapshot taken before it waited for the write lock, and a commit that does not wait for its
/// flush could be lost in a crash after the call returned.
const HOSTILE_DEFAULTS: &str =
    "%20-cdefault_transaction_isolation%3Dserializable%20-csynchronous_commit%3Doff";

/// A new, empty schema of the database, dropped again at the end of the case.
pub struct Schema {
    pub name: String,
    /// The database's URL with the connections' search path set to this schema, as a host
    /// would choose a schema.
    pub url: String,
    admin: Client,
}

impl Schema {
    pub fn new(base: &str, tag: &str) -> Schema {
        let name = format!("mfa_processes_{tag}");
        let mut admin = Client::connect(base, NoTls).expect("connect to MFA_CORE_TEST_PG");
        admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}")).unwrap();
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-csearch_path%3D{name}{HOSTILE_DEFAULTS}");
        let admin = Client::connect(&url, NoTls).unwrap();
        Schema { name, url, admin }
    }

    /// A handle of the parent process, on the tests' manual clock.
    pub fn core(&self) -> Core {
        Core::open(&self.url, &KEY, OpenOptions { manual_clock: Some(T0), ..Default::default() }).unwrap()
    }

    /// Connects again (after a server restart).
    pub fn reconnect(&mut self) {
        self.admin = Client::connect(&self.url, NoTls).unwrap();
    }

    pub fn sql(&mut self, sql: &str) {
        self.admin.batch_execute(sql).unwrap();
    }

    /// The first column of the first row of `sql`, a `bigint`.
    pub fn number(&mut self, sql: &str) -> i64 {
        self.admin.query_one(sql, &[]).unwrap().get(0)
    }

    /// The schema's tables, each with a digest of its contents: equal before and after means
    /// nothing was created, dropped or written.
    pub fn contents(&mut self) -> Vec<(String, String)> {
        let tables = self
            .admin
            .query(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1",
                &[&self.name],
            )
            .unwrap();
        tables
            .iter()
            .map(|row| {
                let table: String = row.get(0);
                let sql = format!(
                    "SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {}.{table} t",
                    self.name
                );
                let digest: String = self.admin.query_one(&sql, &[]).unwrap().get(0);
                (table, digest)
            })
            .collect()
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            self.admin.batch_execute(&format!("DROP SCHEMA {} CASCADE", self.name)).unwrap();
        }
    }
}
