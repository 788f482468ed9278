//! A progress bar on stderr for long runs: redrawn in place on a terminal, one line per step
//! otherwise (so logs show how far a run got), never on stdout, which holds the results.

use std::io::{self, IsTerminal, Write};

pub struct Progress {
    label: String,
    total: usize,
    tty: bool,
}

/// Width of the bar, in characters.
const WIDTH: usize = 30;

impl Progress {
    pub fn new(total: usize) -> Progress {
        Progress::labelled("", total)
    }

    /// A bar that says what it counts, for runs of several steps.
    pub fn labelled(label: &str, total: usize) -> Progress {
        let label = if label.is_empty() { String::new() } else { format!("{label} ") };
        Progress { label, total, tty: io::stderr().is_terminal() }
    }

    /// Shows `done` of the total. Progress is best effort: a closed stderr does not stop a run.
    pub fn show(&self, done: usize) {
        let filled = (done * WIDTH).checked_div(self.total).unwrap_or(WIDTH);
        let bar = format!(
            "{}[{}{}] {done}/{}",
            self.label,
            "#".repeat(filled),
            "-".repeat(WIDTH - filled),
            self.total
        );
        let mut err = io::stderr().lock();
        let _ = if self.tty { write!(err, "\r{bar}") } else { writeln!(err, "progress {bar}") };
        if self.tty && done == self.total {
            let _ = writeln!(err);
        }
    }
}
