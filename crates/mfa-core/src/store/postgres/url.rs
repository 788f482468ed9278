//! The PostgreSQL URL: libpq's form (`postgres://` or `postgresql://`, host, port, user,
//! password, dbname, and parameters such as `sslmode`, `application_name`, `connect_timeout`,
//! `options`; a Unix socket as a percent-encoded path host), plus the engine's own `pool_size`.
//!
//! The URL may hold a password: nothing here ever puts the URL, or any part of it, into an
//! error message.

use std::path::PathBuf;
use std::time::Duration;

use super::tls::{self, Mode};
use crate::error::{Error, Result};

/// Read connections per handle (beside its one write connection) when the URL does not say:
/// enough for a few threads to read while one writes, small enough for many hosts on one server.
pub(super) const DEFAULT_POOL_SIZE: usize = 4;
/// The largest `pool_size` accepted.
pub(super) const MAX_POOL_SIZE: usize = 64;
/// How long connecting may take when the URL's `connect_timeout` does not say.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether `location` names a PostgreSQL database rather than a file.
pub(crate) fn is_postgres_url(location: &str) -> bool {
    let lower = location.get(..13).unwrap_or(location).to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

pub(super) struct Target {
    pub config: tokio_postgres::Config,
    pub pool_size: usize,
    /// The TLS connector `sslmode` asks for (`None`: plain connections).
    pub tls: Option<tokio_postgres_rustls::MakeRustlsConnect>,
}

/// Parses the URL. Errors are `invalid_input` and never quote the URL.
pub(super) fn parse(url: &str) -> Result<Target> {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut pool_size = DEFAULT_POOL_SIZE;
    let mut mode = Mode::Prefer;
    let mut root_file = None;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            // The client knows only `disable`, `prefer` and `require`: the engine reads the
            // mode and the CA file itself (tls.rs) and gives the client the TLS it settled on.
            Some(("sslmode", v)) => mode = Mode::parse(&decode(v)?)?,
            Some(("sslrootcert", v)) => root_file = Some(PathBuf::from(decode(v)?)),
            Some(("pool_size", v)) => {
                pool_size = v.parse().ok().filter(|n| (1..=MAX_POOL_SIZE).contains(n)).ok_or_else(|| {
                    Error::InvalidInput(format!(
                        "pool_size in the PostgreSQL URL must be 1 to {MAX_POOL_SIZE}"
                    ))
                })?;
            }
            _ => kept.push(pair),
        }
    }
    let rest = if kept.is_empty() { base.to_string() } else { format!("{base}?{}", kept.join("&")) };
    let mut config: tokio_postgres::Config = rest.parse().map_err(|e: tokio_postgres::Error| {
        Error::InvalidInput(format!("invalid PostgreSQL URL: {}", describe(&e)))
    })?;
    if config.get_hosts().is_empty() {
        return Err(Error::InvalidInput("the PostgreSQL URL names no host".into()));
    }
    config.ssl_mode(mode.client_mode());
    // TLS runs over TCP only; a URL whose hosts are all Unix sockets connects without it.
    let tcp = config.get_hosts().iter().any(|h| matches!(h, tokio_postgres::config::Host::Tcp(_)));
    let tls = if tcp { tls::connector(mode, root_file.as_deref())? } else { None };
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(DEFAULT_CONNECT_TIMEOUT);
    }
    if config.get_application_name().is_none() {
        config.application_name("mfa-core");
    }
    Ok(Target { config, pool_size, tls })
}

/// A percent-decoded URL parameter value.
fn decode(value: &str) -> Result<String> {
    percent_encoding::percent_decode_str(value).decode_utf8().map(|v| v.into_owned()).map_err(|_| {
        Error::InvalidInput("a parameter of the PostgreSQL URL is not UTF-8 once decoded".into())
    })
}

/// An error of the client or the server, without anything the URL held: the server's own
/// message and SQLSTATE, or the client's description of what failed.
pub(super) fn describe(err: &tokio_postgres::Error) -> String {
    match err.as_db_error() {
        Some(db) => format!("PostgreSQL {} ({}): {}", db.severity(), db.code().code(), db.message()),
        None => {
            let source = std::error::Error::source(err).map(|s| format!(": {s}")).unwrap_or_default();
            format!("{err}{source}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_postgres_schemes_are_urls() {
        assert!(is_postgres_url("postgres://db.internal/mfa"));
        assert!(is_postgres_url("PostgreSQL://db.internal/mfa"));
        assert!(!is_postgres_url("/var/lib/mfa/store.db"));
        assert!(!is_postgres_url("postgres.db"));
        assert!(!is_postgres_url("pg://db/mfa"));
    }

    #[test]
    fn pool_size_is_ours_and_checked() {
        let t = parse("postgresql://u:pw@localhost:5433/mfa?pool_size=9&sslmode=disable").unwrap();
        assert_eq!(t.pool_size, 9);
        assert_eq!(t.config.get_ports(), &[5433]);
        assert_eq!(parse("postgres://localhost/mfa").unwrap().pool_size, DEFAULT_POOL_SIZE);
        for bad in ["0", "65", "x", ""] {
            let err = parse(&format!("postgres://localhost/mfa?pool_size={bad}")).err().unwrap();
            assert_eq!(err.code(), "invalid_input");
        }
    }

    #[test]
    fn errors_never_quote_the_url() {
        for url in [
            "postgres://ann:s3cret-pw@localhost/mfa?sslmode=bogus",
            "postgres://ann:s3cret-pw@localhost:notaport/mfa",
            "postgres://ann:s3cret-pw@localhost/mfa?nonsense=1",
            "postgres://ann:s3cret-pw@/mfa",
        ] {
            let err = parse(url).err().unwrap_or_else(|| panic!("{url} was accepted"));
            assert_eq!(err.code(), "invalid_input");
            assert!(!err.to_string().contains("s3cret"), "{err}");
        }
    }
}
