//! Where the store is: an SQLite file, or a PostgreSQL database named by a `postgres://` or
//! `postgresql://` URL (the same rule as `Core::open`). A URL may hold a password, so the tool
//! shows a location only through [`shown`].

use std::path::Path;

/// Whether `db` is a PostgreSQL URL rather than a file path.
pub fn is_url(db: &Path) -> bool {
    db.to_str().is_some_and(mfa_core::is_postgres_url)
}

/// `db` as the tool shows it: a path as it is, a URL without its password.
pub fn shown(db: &Path) -> String {
    match db.to_str() {
        Some(url) if mfa_core::is_postgres_url(url) => redact(url),
        _ => db.display().to_string(),
    }
}

/// A URL with the password of its user part and of any `password=` parameter replaced by
/// `***`. The user part ends at the first `@`, as the PostgreSQL client reads it, so whatever
/// the client could take for a password is hidden.
fn redact(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let (creds, rest) = match rest.split_once('@') {
        Some((creds, rest)) => {
            let user = creds.split_once(':').map_or(creds.to_string(), |(user, _)| format!("{user}:***"));
            (format!("{user}@"), rest)
        }
        None => (String::new(), rest),
    };
    let rest = match rest.split_once('?') {
        Some((base, query)) => {
            let params: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((name, _)) if name == "password" => format!("{name}=***"),
                    _ => pair.to_string(),
                })
                .collect();
            format!("{base}?{}", params.join("&"))
        }
        None => rest.to_string(),
    };
    format!("{scheme}://{creds}{rest}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden_and_the_rest_is_kept() {
        let cases = [
            ("postgresql://ann:s3cret@db.internal:5433/mfa", "postgresql://ann:***@db.internal:5433/mfa"),
            ("postgres://ann@db/mfa?sslmode=require", "postgres://ann@db/mfa?sslmode=require"),
            (
                "postgres://db/mfa?user=ann&password=s3cret&pool_size=8",
                "postgres://db/mfa?user=ann&password=***&pool_size=8",
            ),
            ("postgres://ann:p/w?x@db/mfa", "postgres://ann:***@db/mfa"),
            ("POSTGRES://%2Frun%2Fpg/mfa", "POSTGRES://%2Frun%2Fpg/mfa"),
            ("postgresql://:s3cret@db/mfa", "postgresql://:***@db/mfa"),
        ];
        for (url, want) in cases {
            assert_eq!(shown(Path::new(url)), want);
            assert!(is_url(Path::new(url)), "{url}");
        }
        assert_eq!(shown(Path::new("/var/lib/mfa/store.db")), "/var/lib/mfa/store.db");
        assert!(!is_url(Path::new("postgres.db")));
    }
}
