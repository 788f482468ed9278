//! One server connection: its prepared statements, the writes it holds back to send with the
//! next statement, and what the open write transaction already read.
//!
//! Every write of every host runs under one lock (see `mod.rs`), so the rate of all hosts
//! together is one over the time a call holds it, and most of that time is round trips to the
//! server. A connection therefore spends as few round trips as it can:
//! - **Writes travel with the next statement.** A write whose result the core never reads (a
//!   user row written back, a recovery code, a reset's record, an audit event) is held here
//!   and sent, with the other held writes and the next statement that needs an answer (a read,
//!   a savepoint, the `COMMIT`), in one round trip: the client sends them one after another
//!   without waiting (pipelining), and the server runs them in that order. A held write that
//!   fails fails the statement it travelled with, which may belong to the next call of the
//!   batch or be the commit: the transaction then cannot commit (`failed`), and every call
//!   that shared it fails with `storage`.
//! - **The write lock's round trip also reads what the call needs**: the key check, the head
//!   of the audit trail and the users the call is about, once the lock is granted.
//! - **Reading a user reads what comes next, and nothing is read twice** ([`Cached`]): under
//!   the write lock no other host writes, so a row read a moment ago is still the stored one
//!   until the transaction itself writes it.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::Poll;
use std::time::Duration;

use tokio::runtime::Runtime;
use tokio::task::JoinHandle;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Row, Statement};

use super::rows::{USER_WITH_CONTEXT, cache_user_with_context};
use super::url;
use crate::error::{Error, Result};
use crate::model::UnixTime;
use crate::store::rows::{RawCode, RawOrg, RawUser};

pub(super) type Args<'a> = [&'a (dyn ToSql + Sync)];
/// A held write's parameter, owned until the write is sent.
pub(super) type Owned = Box<dyn ToSql + Sync + Send>;
type AuditHead = Option<(u64, Vec<u8>)>;

/// Most writes held at once; more are sent on their own (a key rotation rewrites every row).
const MAX_HELD: usize = 256;

/// A server connection, driven by its own single-threaded runtime while a call waits on it.
pub(super) struct Conn {
    /// `None` only while the connection is dropped.
    runtime: Option<Runtime>,
    /// `None` only while the connection is dropped.
    client: Option<Client>,
    /// The task that reads and writes the socket; it ends when the connection does.
    connection: Option<JoinHandle<()>>,
    statements: RefCell<HashMap<String, Statement>>,
    held: RefCell<Vec<(Statement, Vec<Owned>)>>,
    cached: RefCell<Cached>,
    /// Set when a statement of the open transaction failed: the server then ends it with a
    /// rollback, even when asked to commit, so a commit must not report success.
    failed: Cell<bool>,
}

/// What the open transaction read and nothing has written since, by id. Forgotten at every
/// transaction boundary and at every rollback to a savepoint; a write forgets what it changes.
///
/// Reading a user row by id also reads, in the same statement, what the calls that read it
/// read next: its org, its recovery codes, and the time of its most recent resets that the
/// org's reset limit looks at (see `rows.rs`); a reset reads its actor and target in that one
/// statement. A reset then reads nothing else before writing, nor does a verification.
#[derive(Default)]
pub(super) struct Cached {
    pub users: HashMap<String, RawUser>,
    pub orgs: HashMap<String, RawOrg>,
    pub codes: HashMap<String, Vec<RawCode>>,
    /// For each user read, with the limit `n` of its org: when it made its `n`th most recent
    /// reset (`None`: fewer than `n`).
    pub nth_reset: HashMap<String, (u32, Option<UnixTime>)>,
    /// The audit trail's head: read with the write lock, then the event this transaction
    /// appended last.
    pub head: Option<AuditHead>,
}

impl Conn {
    /// Connects with `connect` (plain or TLS) on a runtime of the connection's own.
    pub(super) fn open<F, S, T>(connect: impl FnOnce() -> F) -> Result<Conn>
    where
        F: Future<
            Output = std::result::Result<(Client, tokio_postgres::Connection<S, T>), tokio_postgres::Error>,
        >,
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
        T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        if in_async_task() {
            return Err(refused_in_async_task());
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Storage(format!("cannot start the PostgreSQL client's runtime: {e}")))?;
        let (client, connection) = wait(&runtime, connect())?.map_err(|e| {
            Error::Storage(format!("cannot connect to the PostgreSQL server: {}", url::describe(&e)))
        })?;
        // Its errors reach the calls waiting on it; nothing is left to say when it ends.
        let connection = runtime.spawn(async move { drop(connection.await) });
        Ok(Conn {
            runtime: Some(runtime),
            client: Some(client),
            connection: Some(connection),
            statements: RefCell::new(HashMap::new()),
            held: RefCell::new(Vec::new()),
            cached: RefCell::new(Cached::default()),
            failed: Cell::new(false),
        })
    }

    fn runtime(&self) -> &Runtime {
        self.runtime.as_ref().expect("a connection keeps its runtime until dropped")
    }

    fn client(&self) -> &Client {
        self.client.as_ref().expect("a connection keeps its client until dropped")
    }

    /// Whether the connection is gone (server restart, network): it is then dropped, never
    /// returned to the pool.
    pub(super) fn is_closed(&self) -> bool {
        self.client().is_closed()
    }

    pub(super) fn cached(&self) -> std::cell::RefMut<'_, Cached> {
        self.cached.borrow_mut()
    }

    /// After a write to an org row.
    pub(super) fn forget_orgs(&self) {
        self.cached().orgs.clear();
    }

    fn statement(&self, sql: &str) -> Result<Statement> {
        if let Some(s) = self.statements.borrow().get(sql) {
            return Ok(s.clone());
        }
        let prepared = wait(self.runtime(), self.client().prepare(sql))??;
        self.statements.borrow_mut().insert(sql.to_string(), prepared.clone());
        Ok(prepared)
    }

    /// Sends the held writes and then `last` in one round trip, and returns `last`'s answer;
    /// the first error of a held write comes first (the statements after it failed because
    /// of it).
    fn send<T>(
        &self,
        last: impl Future<Output = std::result::Result<T, tokio_postgres::Error>>,
    ) -> Result<T> {
        let held = std::mem::take(&mut *self.held.borrow_mut());
        let client = self.client();
        let writes = held.iter().map(|(statement, args)| {
            client.execute_raw(statement, args.iter().map(|a| &**a as &(dyn ToSql + Sync)))
        });
        let (written, answer) = wait(self.runtime(), in_order(all_in_order(writes.collect()), last))?;
        let result = match written.into_iter().find_map(std::result::Result::err) {
            Some(e) => Err(e.into()),
            None => answer.map_err(Error::from),
        };
        if result.is_err() {
            self.failed.set(true);
        }
        result
    }

    /// Holds a write back until the next statement that needs an answer (see the module's
    /// documentation). The core never reads its row count.
    pub(super) fn hold(&self, sql: &str, args: Vec<Owned>) -> Result<()> {
        let statement = self.statement(sql)?;
        self.held.borrow_mut().push((statement, args));
        if self.held.borrow().len() >= MAX_HELD {
            self.send(std::future::ready(Ok(())))?;
        }
        Ok(())
    }

    /// Runs statements without parameters through the simple protocol: transaction control,
    /// session settings, cursors. Any of them may end the transaction, so what [`Cached`]
    /// holds is forgotten.
    pub(super) fn batch(&self, sql: &str) -> Result<()> {
        self.control(sql, true)
    }

    /// Takes, releases or rolls back to a savepoint. Only a rollback changes rows, so only a
    /// rollback forgets what [`Cached`] holds.
    pub(super) fn savepoint(&self, sql: &str) -> Result<()> {
        self.control(sql, false)
    }

    fn control(&self, sql: &str, forgets: bool) -> Result<()> {
        let rollback = sql.starts_with("ROLLBACK");
        if rollback {
            // Every held write came after the last statement sent, so the rollback undoes it.
            self.held.borrow_mut().clear();
        }
        if forgets || rollback {
            *self.cached() = Cached::default();
        }
        if sql.starts_with("BEGIN") {
            self.failed.set(false);
        }
        self.send(self.client().batch_execute(sql))?;
        if rollback {
            self.failed.set(false);
        }
        Ok(())
    }

    /// Whether a statement of the open transaction failed since it began, or since the last
    /// rollback to a savepoint (which undoes a failure inside it).
    pub(super) fn failed(&self) -> bool {
        self.failed.get()
    }

    /// Starts a write transaction with `begin` (see `begin_write_sql`) and, once its lock is
    /// granted, reads the store's key check, the audit trail's head and the (first two) `users`
    /// the call reads first, all in one round trip. Returns the key check; the rest is kept in
    /// [`Cached`].
    pub(super) fn begin_write(&self, begin: &str, users: &[&str]) -> Result<Option<Vec<u8>>> {
        let check = self.statement("SELECT value FROM meta WHERE key = 'key_check'")?;
        let head = self.statement(AUDIT_HEAD)?;
        let with_context = self.statement(&USER_WITH_CONTEXT)?;
        *self.cached() = Cached::default();
        self.failed.set(false);
        let client = self.client();
        let pair = users.first().map(|first| (*first, *users.get(1).unwrap_or(first)));
        let users = async {
            match pair {
                Some((a, b)) => client.query(&with_context, &[&a, &b]).await,
                None => Ok(Vec::new()),
            }
        };
        let reads = in_order(client.query_opt(&check, &[]), in_order(client.query_opt(&head, &[]), users));
        let (begun, (check, (head, users))) = self.send(async {
            Ok::<_, tokio_postgres::Error>(in_order(client.batch_execute(begin), reads).await)
        })?;
        begun?;
        let (check, head, users) = (check?, head?, users?);
        let mut cached = self.cached();
        cached.head = Some(head.as_ref().map(audit_head).transpose()?);
        users.iter().try_for_each(|r| cache_user_with_context(r, &mut cached))?;
        drop(cached);
        check.map(|r| Ok(r.try_get(0)?)).transpose()
    }

    pub(super) fn query(&self, sql: &str, args: &Args) -> Result<Vec<Row>> {
        let statement = self.statement(sql)?;
        self.send(self.client().query(&statement, args))
    }

    pub(super) fn query_opt(&self, sql: &str, args: &Args) -> Result<Option<Row>> {
        let statement = self.statement(sql)?;
        self.send(self.client().query_opt(&statement, args))
    }

    pub(super) fn execute(&self, sql: &str, args: &Args) -> Result<u64> {
        let statement = self.statement(sql)?;
        self.send(self.client().execute(&statement, args))
    }

    /// Runs `sql` (a query without parameters) through a cursor of the open transaction and
    /// hands each row to `visit`, a page at a time: a whole table never sits in memory, and
    /// every page comes from the transaction's snapshot.
    pub(super) fn each_row(&self, sql: &str, visit: &mut dyn FnMut(&Row) -> Result<()>) -> Result<()> {
        const PAGE: usize = 1000;
        self.batch(&format!("DECLARE mfa_copy NO SCROLL CURSOR FOR {sql}"))?;
        let fetch = format!("FETCH {PAGE} FROM mfa_copy");
        loop {
            // Not kept as a prepared statement: it names a cursor that lives only this long.
            let rows = self.send(self.client().query(fetch.as_str(), &[]))?;
            for r in &rows {
                visit(r)?;
            }
            if rows.len() < PAGE {
                return self.batch("CLOSE mfa_copy");
            }
        }
    }
}

impl Drop for Conn {
    /// Ends the session cleanly: with its client gone, the connection task tells the server
    /// it is leaving, then ends (given a moment, so that a dead network cannot hold the drop).
    fn drop(&mut self) {
        self.client = None;
        let Some(runtime) = self.runtime.take() else { return };
        if in_async_task() {
            // Neither waiting nor an ordinary drop of a runtime is allowed there: the session
            // just ends.
            runtime.shutdown_background();
        } else if let Some(connection) = self.connection.take() {
            // The timer is made inside the runtime, which it needs.
            let _ =
                runtime.block_on(async { tokio::time::timeout(Duration::from_secs(1), connection).await });
        }
    }
}

/// Runs `future` on the connection's runtime until it is done. The engine's calls block, so a
/// thread that runs an async runtime's tasks (a tokio worker, or inside its `block_on`) cannot
/// make them: waiting there would stall every task of that thread, and tokio refuses it with a
/// panic. Such a call is refused with `storage` and says what to do instead.
fn wait<F: Future>(runtime: &Runtime, future: F) -> Result<F::Output> {
    if in_async_task() {
        return Err(refused_in_async_task());
    }
    Ok(runtime.block_on(future))
}

fn refused_in_async_task() -> Error {
    Error::Storage(
        "the PostgreSQL engine blocks while it waits for the server, and this thread runs an async \
         runtime's tasks: call mfa-core from a blocking thread (with tokio, spawn_blocking)"
            .into(),
    )
}

/// Whether this thread is inside an async runtime (see [`wait`]).
fn in_async_task() -> bool {
    tokio::runtime::Handle::try_current().is_ok()
}

/// Runs `a` and `b` until both are done, polling `a` first. A request of the client leaves on
/// its future's first poll, so `a`'s request is sent before `b`'s, without waiting for its
/// answer: both travel in one round trip, and the server runs them in that order.
async fn in_order<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let (mut a, mut b) = (pin!(a), pin!(b));
    let (mut first, mut second) = (None, None);
    poll_fn(|cx| {
        if first.is_none()
            && let Poll::Ready(v) = a.as_mut().poll(cx)
        {
            first = Some(v);
        }
        if second.is_none()
            && let Poll::Ready(v) = b.as_mut().poll(cx)
        {
            second = Some(v);
        }
        if first.is_some() && second.is_some() { Poll::Ready(()) } else { Poll::Pending }
    })
    .await;
    (first.expect("polled until ready"), second.expect("polled until ready"))
}

/// [`in_order`] for any number of requests: sent in the order given, all answers awaited.
async fn all_in_order<F: Future>(requests: Vec<F>) -> Vec<F::Output> {
    let mut requests: Vec<Pin<Box<F>>> = requests.into_iter().map(Box::pin).collect();
    let mut answers: Vec<Option<F::Output>> = requests.iter().map(|_| None).collect();
    poll_fn(|cx| {
        let mut done = true;
        for (request, answer) in requests.iter_mut().zip(answers.iter_mut()) {
            if answer.is_none() {
                match request.as_mut().poll(cx) {
                    Poll::Ready(v) => *answer = Some(v),
                    Poll::Pending => done = false,
                }
            }
        }
        if done { Poll::Ready(()) } else { Poll::Pending }
    })
    .await;
    answers.into_iter().map(|a| a.expect("polled until ready")).collect()
}

/// The last event of the audit trail.
pub(super) const AUDIT_HEAD: &str = "SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1";

pub(super) fn audit_head(r: &Row) -> Result<(u64, Vec<u8>)> {
    let seq: i64 = r.try_get(0)?;
    let seq = u64::try_from(seq).map_err(|_| crate::store::integrity::tampered("the audit head".into()))?;
    Ok((seq, r.try_get(1)?))
}

impl From<tokio_postgres::Error> for Error {
    fn from(err: tokio_postgres::Error) -> Self {
        Error::Storage(url::describe(&err))
    }
}
