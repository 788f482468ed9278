//! Copying a whole store into an empty one, on either engine (`Core::copy_to`, `mfa-admin
//! migrate`): every row as stored, with its MAC, sealed secrets and the audit trail byte for
//! byte, so that the copy opens with the same key, its audit chain has the same head, and every
//! user signs in as before.
//!
//! The source is read in one read transaction (one snapshot: writers may go on meanwhile and
//! are not copied) and the destination written in one write transaction that keeps nothing
//! unless the whole copy succeeds. Each user, org and recovery-code row is checked against its
//! MAC on the way: a row changed without the key is refused, not carried over.

use super::rows::RowCounts;
use super::{Store, Tx, integrity};
use crate::error::{Error, Result, conflict};

/// Rows copied between two progress reports within one table.
const REPORT_EVERY: u64 = 10_000;

/// The meta entries an engine writes itself when it creates a store: the key check (the same
/// bytes for the same key) and PostgreSQL's schema version (SQLite keeps its version in the
/// file header). A destination holding only these is empty.
const ENGINE_META: [&str; 2] = ["key_check", "schema_version"];

/// Told `(table, rows done, rows in the table)` at the start and end of each table, and every
/// [`REPORT_EVERY`] rows in between.
pub(crate) type Progress<'a> = &'a mut dyn FnMut(&'static str, u64, u64);

impl Store {
    /// Runs `f` in one write transaction that is committed only when `f` succeeds. Unlike
    /// [`Store::write`], a refusal keeps nothing either: a copy that stops half-way must leave
    /// no half of it behind. The refusal itself is returned as it was raised.
    pub(crate) fn write_whole<T>(&self, f: impl FnOnce(&Tx) -> Result<T>) -> Result<T> {
        let mut refusal = None;
        let outcome = self.write(|tx| match f(tx) {
            Err(e) if !super::undoes_writes(&e) => {
                refusal = Some(e);
                // Any `internal` error rolls the transaction back; it is never shown.
                Err(Error::Internal("the copy was refused".into()))
            }
            other => other,
        });
        match refusal {
            Some(e) => Err(e),
            None => outcome,
        }
    }
}

impl Tx<'_> {
    /// Rows in each table.
    pub(crate) fn row_counts(&self) -> Result<RowCounts> {
        self.rows.row_counts()
    }

    /// Refuses (`conflict`) a destination that holds anything but what creating a store writes.
    pub(crate) fn check_empty(&self) -> Result<()> {
        let counts = self.rows.row_counts()?;
        let extra_meta = self.rows.every_meta()?.iter().any(|(k, _)| !ENGINE_META.contains(&k.as_str()));
        if counts != RowCounts::default() || extra_meta {
            return Err(conflict(format!(
                "the destination already holds a store ({} orgs, {} users, {} audit events): a copy goes \
                 only into an empty one, and this one is left as it is",
                counts.orgs, counts.users, counts.audit
            )));
        }
        Ok(())
    }

    /// Copies every row of this transaction (the source) into `dest`, which must be empty:
    /// meta entries (the key check, the sealed chain keys of retired master keys), orgs, users,
    /// recovery codes, the reset log and the audit trail, each as stored. `totals` are the
    /// source's [`Tx::row_counts`], for the progress reports; a table that yields another
    /// number of rows than counted in the same snapshot is an `internal` error.
    pub(crate) fn copy_rows(&self, dest: &Tx, totals: &RowCounts, progress: Progress) -> Result<()> {
        let (src, dst, key) = (self.rows, dest.rows, self.key);
        dest.forget_users();
        for (name, value) in src.every_meta()? {
            // PostgreSQL's schema version belongs to the engine that created the store.
            if name != "schema_version" {
                dst.put_meta(&name, &value)?;
            }
        }

        let mut step = Step::start("orgs", totals.orgs, progress);
        for (org, mac) in src.every_org()? {
            integrity::check_org(key, &org, &mac)?;
            dst.insert_org(&org, &mac)?;
            step.one();
        }
        step.finish()?;

        let mut step = Step::start("users", totals.users, step.progress);
        src.each_user(&mut |raw| {
            let (row, mac) = raw.parse()?;
            integrity::check_user(key, &row, &mac)?;
            dst.copy_user(&row, &mac)?;
            step.one();
            Ok(())
        })?;
        step.finish()?;

        let mut step = Step::start("recovery_codes", totals.recovery_codes, step.progress);
        src.each_recovery_code(&mut |code| {
            integrity::check_recovery_code(key, &code.user, &code.hash, code.used_at, &code.mac)?;
            dst.copy_recovery_code(&code)?;
            step.one();
            Ok(())
        })?;
        step.finish()?;

        let mut step = Step::start("reset_log", totals.reset_log, step.progress);
        src.each_reset(&mut |row| {
            dst.copy_reset(&row)?;
            step.one();
            Ok(())
        })?;
        step.finish()?;

        let mut step = Step::start("audit", totals.audit, step.progress);
        let mut failed = None;
        src.audit_walk(&mut |row| {
            let copied = match row {
                // The raw outcome is what the chain covers; the row is written from the parsed
                // one, so they must agree (they do for every event this library wrote).
                Some(row) if row.event.outcome.as_str() == row.outcome_raw => {
                    dst.insert_audit(&row.event, &row.detail_raw, &row.mac)
                }
                _ => Err(Error::Storage(format!(
                    "the source's audit event {} is not as this library writes it: it is damaged",
                    step.done + 1
                ))),
            };
            match copied {
                Ok(()) => {
                    step.one();
                    true
                }
                Err(e) => {
                    failed = Some(e);
                    false
                }
            }
        })?;
        if let Some(e) = failed {
            return Err(e);
        }
        step.finish()
    }
}

/// The progress of one table.
struct Step<'a, 'p> {
    table: &'static str,
    total: u64,
    done: u64,
    progress: &'a mut (dyn FnMut(&'static str, u64, u64) + 'p),
}

impl<'a, 'p> Step<'a, 'p> {
    fn start(
        table: &'static str,
        total: u64,
        progress: &'a mut (dyn FnMut(&'static str, u64, u64) + 'p),
    ) -> Self {
        progress(table, 0, total);
        Step { table, total, done: 0, progress }
    }

    fn one(&mut self) {
        self.done += 1;
        if self.done.is_multiple_of(REPORT_EVERY) && self.done < self.total {
            (self.progress)(self.table, self.done, self.total);
        }
    }

    fn finish(&mut self) -> Result<()> {
        if self.done != self.total {
            return Err(Error::Internal(format!(
                "the source's {} table gave {} rows in a snapshot that counted {}",
                self.table, self.done, self.total
            )));
        }
        (self.progress)(self.table, self.done, self.total);
        Ok(())
    }
}
