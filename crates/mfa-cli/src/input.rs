//! Reading files and standard input with a size limit, and giving stdin to one reader only:
//! the key (`--key-file -`), a code (`-`) or a list of targets or users each need all of it.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::sync::Mutex;

use mfa_core::Error;

use crate::exit::{Failure, usage};

/// What has read stdin so far in this run, if anything.
static STDIN_USED_BY: Mutex<Option<&'static str>> = Mutex::new(None);

/// Standard input for `what`; a second reader is a usage error naming the first, rather than
/// a read that finds stdin already drained.
pub fn stdin(what: &'static str) -> Result<io::StdinLock<'static>, Failure> {
    let mut used = STDIN_USED_BY.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(first) = *used {
        return Err(usage(format!("stdin already holds the {first}: give the {what} another way")));
    }
    *used = Some(what);
    Ok(io::stdin().lock())
}

/// A UTF-8 text file, or stdin for `-`, refused when larger than `max` bytes (only `max + 1`
/// bytes are ever read). Returns a name for messages and the text.
pub fn text(file: &Path, what: &'static str, max: u64) -> Result<(String, String), Failure> {
    let (name, reader): (String, Box<dyn Read>) = if file.as_os_str() == "-" {
        ("stdin".to_string(), Box::new(stdin(what)?))
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
