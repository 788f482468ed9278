//! A password in the URL never appears in an error, in `Debug` output or in the store.

use mfa_core::{AuditQuery, Core, Error, OpenOptions, Policy, Role};

use crate::server::{KEY, Schema};

const PASSWORD: &str = "s3cret-pw";

/// `url` (the tests' server, user `postgres`) with a password, and another database name.
fn with_password(url: &str, dbname: &str) -> String {
    let url = url.replacen("postgresql://postgres@", &format!("postgresql://postgres:{PASSWORD}@"), 1);
    assert!(url.contains(PASSWORD), "MFA_CORE_TEST_PG is expected as scripts/postgres.sh prints it");
    url.replacen("/mfa?", &format!("/{dbname}?"), 1)
}

fn assert_hidden(what: &str, text: &str) {
    assert!(!text.contains(PASSWORD), "{what} shows the password: {text}");
}

fn assert_error_hides(url: &str, err: &Error) {
    assert_hidden(url, &err.to_string());
    assert_hidden(url, &format!("{err:?}"));
    assert_hidden(url, &err.problem_details().to_string());
}

pub fn password_never_shown(base: &str) {
    let refused = [
        // A socket folder where no server listens, a port where none listens.
        format!("postgresql://ann:{PASSWORD}@%2Ftmp%2Fmfa-core-no-server-here/mfa"),
        format!("postgresql://ann:{PASSWORD}@127.0.0.1:1/mfa"),
        format!("postgres://%2Ftmp%2Fmfa-core-no-server-here/mfa?user=ann&password={PASSWORD}"),
        // The tests' server, asked for a database it does not have.
        with_password(base, "no_such_database"),
    ];
    for url in &refused {
        let err = Core::open(url, &KEY, OpenOptions::default()).unwrap_err();
        assert_eq!(err.code(), "storage", "{err}");
        assert_error_hides(url, &err);
    }
    let malformed = [
        format!("postgresql://ann:{PASSWORD}@localhost:notaport/mfa"),
        format!("postgresql://ann:{PASSWORD}@localhost/mfa?pool_size=0"),
        format!("postgresql://ann:{PASSWORD}@localhost/mfa?sslmode=sometimes"),
    ];
    for url in &malformed {
        let err = Core::open(url, &KEY, OpenOptions::default()).unwrap_err();
        assert_eq!(err.code(), "invalid_input", "{err}");
        assert_error_hides(url, &err);
    }
}

pub fn password_never_stored(base: &str) {
    // The tests' server trusts local connections, so the password is sent and ignored.
    let schema = Schema::new(base, "password");
    let url = with_password(&schema.url, "mfa");
    let core = Core::open(&url, &KEY, OpenOptions::default()).unwrap();
    assert_hidden("Debug of the handle", &format!("{core:?}"));
    let org = core.create_org("Acme", Policy::default()).unwrap();
    let owner = core.create_user(&org.id, "owner@acme.test", Role::Owner).unwrap();
    let err = core.set_role(&owner.id, &owner.id, Role::Member, None).unwrap_err();
    assert_error_hides("a refusal", &err);
    assert_hidden("the store's facts", &format!("{:?}", core.info().unwrap()));
    let events = core.audit_events(&AuditQuery { limit: Some(10_000), ..Default::default() }).unwrap();
    assert_eq!(events.len(), 3);
    assert_hidden("the audit trail", &serde_json::to_string(&events).unwrap());
}
