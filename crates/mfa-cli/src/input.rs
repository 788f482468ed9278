//! Reading files and standard input with a size limit, and sharing stdin fairly: the key
//! (`--key-file -`) and a file of targets or users read all of it, so nothing may read it
//! before or after them; codes given as `-` read one line each, in turn.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::sync::Mutex;

use mfa_core::Error;

use crate::exit::{Failure, usage};

/// How a reader uses stdin.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// To the end: the key, a file of targets or users.
    All,
    /// One line, leaving the rest for the next such reader: a code.
    Line,
}

/// The first reader of stdin in this run and how it used it, if any.
static STDIN_USED_BY: Mutex<Option<(&'static str, Use)>> = Mutex::new(None);

/// Standard input for `what`. A reader that would find stdin drained by another (anything
/// after an `All` reader, an `All` reader after anything) is a usage error naming the first.
pub fn stdin(what: &'static str, how: Use) -> Result<io::StdinLock<'static>, Failure> {
    let mut used = STDIN_USED_BY.lock().unwrap_or_else(|e| e.into_inner());
    match *used {
        Some((first, first_how)) if first_how == Use::All || how == Use::All => {
            return Err(usage(format!("stdin already holds the {first}: give the {what} another way")));
        }
        Some(_) => {}
        None => *used = Some((what, how)),
    }
    Ok(io::stdin().lock())
}

/// A UTF-8 text file, or stdin for `-`, refused when larger than `max` bytes (only `max + 1`
/// bytes are ever read). Returns a name for messages and the text.
pub fn text(file: &Path, what: &'static str, max: u64) -> Result<(String, String), Failure> {
    let (name, reader): (String, Box<dyn Read>) = if file.as_os_str() == "-" {
        ("stdin".to_string(), Box::new(stdin(what, Use::All)?))
    } else {
        let opened = File::open(file)
            .map_err(|e| Error::InvalidInput(format!("cannot read {}: {e}", file.display())))?;
        (file.display().to_string(), Box::new(opened))
    };
    let mut bytes = Vec::new();
    reader
        .take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::InvalidInput(format!("cannot read {name}: {e}")))?;
    if bytes.len() as u64 > max {
        return Err(Error::InvalidInput(format!("{name} is larger than {} MiB", max >> 20)).into());
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::InvalidInput(format!("{name} is not valid UTF-8 text")))?;
    Ok((name, text))
}
