//! The command line, declared with clap's derive API. `--help` on any command shows its
//! options; the top-level help ends with the exit-status table.

use std::fmt;
use std::path::PathBuf;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use mfa_core::Role;
use zeroize::Zeroizing;

use crate::exit;
use crate::location;
use crate::window;

/// Parses the command line, with the exit-status table at the end of the top-level help.
pub fn parse() -> Cli {
    let matches = command().get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

/// The whole command tree as `--help`, the completions and the man pages show it.
pub fn command() -> clap::Command {
    Cli::command().after_help(exit::help())
}

/// A TOTP or recovery code from the command line (or `-` for stdin). A secret: its `Debug`
/// never shows it, and it is wiped when dropped.
#[derive(Clone)]
pub struct Code(Zeroizing<String>);

impl std::str::FromStr for Code {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Code, Self::Err> {
        Ok(Code(Zeroizing::new(s.to_string())))
    }
}

impl std::ops::Deref for Code {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Code(<redacted>)")
    }
}

/// A store's location (`--db`, `--from`, `--to`): a file path, or a PostgreSQL URL that may
/// hold a password, which its `Debug` never shows.
#[derive(Clone)]
pub struct Db(PathBuf);

impl From<std::ffi::OsString> for Db {
    fn from(s: std::ffi::OsString) -> Db {
        Db(PathBuf::from(s))
    }
}

impl std::ops::Deref for Db {
    type Target = std::path::Path;

    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl fmt::Debug for Db {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Db").field(&location::shown(&self.0)).finish()
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "mfa-admin",
    version,
    about = "Operate an mfa-core store: orgs, users, TOTP enrollment, MFA resets and the audit trail."
)]
pub struct Cli {
    /// The store: an SQLite file (created by `init`), or a PostgreSQL database given as a
    /// postgres:// or postgresql:// URL (`init` creates the tables). A password in the URL is
    /// never shown.
    #[arg(long, global = true, env = "MFA_CORE_DB", value_name = "PATH|URL")]
    pub db: Option<Db>,
    /// A file holding the 32-byte key: raw bytes or 64 hex digits; `-` reads it from stdin.
    /// Without it the key is read from MFA_CORE_KEY (64 hex digits).
    #[arg(long, global = true, env = "MFA_CORE_KEY_FILE", value_name = "PATH")]
    pub key_file: Option<PathBuf>,
    /// Print JSON instead of text (errors too, as RFC 7807 problem details on stderr). Lists
    /// (`org list`, `user list`, `audit tail`, `user import`) print JSON lines: one object a
    /// line, each flushed as it is written.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new, empty store (refuses to touch an existing file).
    Init {
        /// Also create the key: write 32 random bytes as hex to --key-file (mode 0600; the
        /// file must not exist). The key is never printed.
        #[arg(long)]
        generate_key: bool,
    },
    /// Replace the store at --db with a backup, after checking it: it must open with the key
    /// and its audit trail must verify. Stop every program using the store first.
    Restore {
        /// The backup (a file written by `backup`).
        #[arg(value_name = "SRC")]
        src: PathBuf,
        /// Replace an existing store (otherwise refused).
        #[arg(long)]
        force: bool,
    },
    /// Copy a whole store into an empty one, between engines (an SQLite file and a PostgreSQL
    /// database, either way) or between two files: every row as stored and the audit trail
    /// byte for byte, in one transaction, so the copy has the same audit head and every user
    /// signs in as before. The source is read from one snapshot: stop the programs writing to
    /// it first. Progress goes to stderr.
    Migrate {
        /// The store to copy (a file or a PostgreSQL URL); default: --db.
        #[arg(long, value_name = "PATH|URL")]
        from: Option<Db>,
        /// The new store: a file that does not exist yet, or an empty PostgreSQL database or
        /// schema (a destination holding any org, user or event is refused and left as it is).
        #[arg(long, value_name = "PATH|URL")]
        to: Db,
    },
    /// Run the whole story on a throwaway store with a random key: no set-up needed.
    Demo,
    /// Print a shell completion script, e.g. `source <(mfa-admin completions bash)`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (`mfa-admin man | man -l -`), or write one page per command.
    Man {
        /// Write mfa-admin.1 and a page for each subcommand (mfa-admin-user-import.1, ...)
        /// into this existing directory instead.
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
    #[command(flatten)]
    Store(StoreCommand),
}

/// The commands that work on an existing store, opened with the key.
#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Create and list orgs (tenants), and change their policy.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Add, list, show, re-role, disable, enable, rename and delete users.
    #[command(subcommand)]
    User(UserCommand),
    /// Start TOTP enrollment: prints the otpauth URI, the secret and a QR code for the user's
    /// authenticator app. Run it in front of the user only.
    Enroll {
        #[command(flatten)]
        user: UserArg,
        /// Do not draw the QR code.
        #[arg(long)]
        no_qr: bool,
    },
    /// Confirm enrollment with the code the app shows; prints the ten recovery codes, once.
    Confirm {
        #[command(flatten)]
        user: UserArg,
        /// The six-digit code, or `-` to read it from stdin.
        code: Code,
    },
    /// Check a sign-in code (TOTP or recovery code) as a host would.
    Verify {
        #[command(flatten)]
        user: UserArg,
        /// The code, or `-` to read it from stdin.
        code: Code,
    },
    /// A user's MFA state: not_enrolled, enrollment_required, locked_out or enrolled.
    Status {
        #[command(flatten)]
        user: UserArg,
    },
    /// Reset a user's MFA: the secret and recovery codes are destroyed and the user must
    /// enroll again within the window.
    Reset(ResetArgs),
    /// Reset many users: ids or emails, one a line, from a file or stdin.
    ResetMany(ResetManyArgs),
    /// Read, export and verify the tamper-evident audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Copy the live store into a new file (0600) while it keeps working; prints the copy's
    /// audit head. Never replaces a file.
    Backup {
        /// The new file.
        #[arg(value_name = "DEST")]
        dest: PathBuf,
    },
    /// Manage the store's master key.
    #[command(subcommand)]
    Key(KeyCommand),
    /// What the store holds: schema version, file size and permissions, key check, counts of
    /// orgs, users by MFA state and audit events, and the audit head. Nothing secret.
    Info,
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Move the store to a new master key in one transaction: TOTP secrets sealed again, rows
    /// MAC'd again, the audit trail kept verifiable with the new key alone. Recovery codes are
    /// invalidated (users regenerate them). Writes nothing but the store; prints the new audit
    /// head. Programs still using the old key are refused afterwards: restart them with the new
    /// one.
    Rotate {
        /// A file holding the new 32-byte key (raw bytes or 64 hex digits, owner-only), or `-`
        /// for stdin. Create it first, e.g. with `init --generate-key` on a scratch path, and
        /// keep it safe: the old key no longer opens the store.
        #[arg(long, value_name = "PATH")]
        new_key_file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Create an org with its policy.
    Create {
        /// The org's name (also the issuer shown in authenticator apps).
        name: String,
        /// New users must enroll within the enrollment window.
        #[arg(long)]
        mfa_required: bool,
        /// Time a new or reset user has to enroll: 90s, 15m, 12h, 7d.
        #[arg(long, value_name = "DURATION", default_value = "7d", value_parser = window::parse)]
        enrollment_window: u64,
        /// Successful resets one actor may make in any hour.
        #[arg(long, value_name = "N", default_value_t = 20)]
        reset_limit_per_hour: u32,
        /// Consecutive failed verifications before throttling.
        #[arg(long, value_name = "N", default_value_t = 5)]
        max_failed_verifications: u32,
        /// An enrolled actor must pass their own current code (--actor-proof) to reset,
        /// re-role or disable anyone.
        #[arg(long)]
        require_step_up: bool,
    },
    /// List every org.
    List,
    /// Change some of an org's policy (owners only): the options given change, the others
    /// stay. A shorter window applies to users created or reset afterwards.
    Policy {
        /// The org: its id or its name.
        org: String,
        /// The owner making the change (id, or email in the org); recorded in the audit trail.
        #[arg(long, value_name = "USER")]
        actor: String,
        /// New users must enroll within the enrollment window.
        #[arg(long, value_name = "BOOL", action = clap::ArgAction::Set)]
        mfa_required: Option<bool>,
        /// Time a new or reset user has to enroll: 90s, 15m, 12h, 7d.
        #[arg(long, value_name = "DURATION", value_parser = window::parse)]
        enrollment_window: Option<u64>,
        /// Successful resets one actor may make in any hour.
        #[arg(long, value_name = "N")]
        reset_limit_per_hour: Option<u32>,
        /// Consecutive failed verifications before throttling.
        #[arg(long, value_name = "N")]
        max_failed_verifications: Option<u32>,
        /// An enrolled actor must pass their own current code to reset, re-role, disable,
        /// rename or delete anyone, or to change the policy.
        #[arg(long, value_name = "BOOL", action = clap::ArgAction::Set)]
        require_step_up: Option<bool>,
        /// The actor's own current code, when the org requires step-up (`-`: read stdin).
        #[arg(long, value_name = "CODE")]
        actor_proof: Option<Code>,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user to an org.
    Add {
        /// The org: its id, or its name when no other org has that name.
        #[arg(long)]
        org: String,
        email: String,
        #[arg(long, value_enum, default_value_t = RoleArg::Member)]
        role: RoleArg,
    },
    /// List the users of an org, with their MFA state and enrollment deadline.
    List {
        /// The org: its id or its name.
        #[arg(long)]
        org: String,
    },
    /// Add many users from a file: CSV with the header `email,role`, or JSON lines
    /// ({"email": ..., "role": ...}). A line that is refused is reported and skipped; the
    /// others are added, 100 per transaction.
    Import {
        /// The org: its id or its name.
        #[arg(long)]
        org: String,
        /// The file; `-` reads stdin.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Check every line (format, email, role, duplicates); add and record nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// One user with their MFA state.
    Show {
        #[command(flatten)]
        user: UserArg,
    },
    /// Change a user's role (only an owner grants owner; the last owner stays).
    Role {
        #[command(flatten)]
        change: ChangeArgs,
        #[arg(value_enum)]
        role: RoleArg,
        /// The actor's own current code, when the org requires step-up (`-`: read stdin).
        #[arg(long, value_name = "CODE")]
        actor_proof: Option<Code>,
    },
    /// Disable a user: they can no longer act or sign in.
    Disable {
        #[command(flatten)]
        change: ChangeArgs,
        /// The actor's own current code, when the org requires step-up (`-`: read stdin).
        #[arg(long, value_name = "CODE")]
        actor_proof: Option<Code>,
    },
    /// Enable a disabled user.
    Enable {
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Change a user's email (unique in the org, in any case).
    Rename {
        #[command(flatten)]
        change: ChangeArgs,
        /// The new email.
        #[arg(value_name = "NEW_EMAIL")]
        email: String,
        /// The actor's own current code, when the org requires step-up (`-`: read stdin).
        #[arg(long, value_name = "CODE")]
        actor_proof: Option<Code>,
    },
    /// Delete a user who left: their secret and recovery codes are destroyed, the audit trail
    /// keeps their id, and the email can be used again (the last owner stays).
    Delete {
        #[command(flatten)]
        change: ChangeArgs,
        /// The actor's own current code, when the org requires step-up (`-`: read stdin).
        #[arg(long, value_name = "CODE")]
        actor_proof: Option<Code>,
    },
}

/// A user named by id, or by email within `--org`.
#[derive(Debug, Args)]
pub struct UserArg {
    /// The user's id, or their email with --org.
    #[arg(value_name = "USER")]
    pub user: String,
    /// The org of users given by email: its id or its name.
    #[arg(long)]
    pub org: Option<String>,
}

/// Who changes whom, for the directory commands.
#[derive(Debug, Args)]
pub struct ChangeArgs {
    /// The user making the change (id, or email with --org); recorded in the audit trail.
    #[arg(long, value_name = "USER")]
    pub actor: String,
    /// The user to change (id, or email: looked up in --org, else in the actor's org).
    #[arg(value_name = "USER")]
    pub target: String,
    /// The org of users given by email: its id or its name.
    #[arg(long)]
    pub org: Option<String>,
}

#[derive(Debug, Args)]
pub struct ResetArgs {
    /// The user resetting (id, or email with --org); recorded in the audit trail.
    #[arg(long, value_name = "USER")]
    pub actor: String,
    /// The user to reset (id, or email: looked up in --org, else in the actor's org).
    #[arg(value_name = "USER")]
    pub target: String,
    /// The org of users given by email: its id or its name.
    #[arg(long)]
    pub org: Option<String>,
    #[command(flatten)]
    pub options: ResetOptionArgs,
    /// For a self-reset: the user's current code or an unused recovery code (`-`: stdin).
    #[arg(long, value_name = "CODE")]
    pub proof: Option<Code>,
}

#[derive(Debug, Args)]
pub struct ResetOptionArgs {
    /// Why: stored in the audit event (up to 1,000 characters).
    #[arg(long)]
    pub reason: Option<String>,
    /// Time the user has to enroll again (90s, 15m, 12h, 7d); default: the org's window.
    #[arg(long, value_name = "DURATION", value_parser = window::parse)]
    pub window: Option<u64>,
    /// Check everything; change and record nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The actor's own current code, when the org requires step-up (`-`: read stdin).
    #[arg(long, value_name = "CODE")]
    pub actor_proof: Option<Code>,
}

#[derive(Debug, Args)]
pub struct ResetManyArgs {
    /// The user resetting (id, or email with --org); recorded in the audit trail.
    #[arg(long, value_name = "USER")]
    pub actor: String,
    /// The org of targets given by email (id or name); default: the actor's org.
    #[arg(long)]
    pub org: Option<String>,
    /// A file of targets, one id or email a line (blank lines and `#` comments skipped);
    /// `-` or nothing: stdin.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    #[command(flatten)]
    pub options: ResetOptionArgs,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Show the latest events, or the events after --after.
    Tail {
        /// Show events after this seq instead of the latest ones.
        #[arg(long, value_name = "SEQ")]
        after: Option<u64>,
        /// How many events (1 to 10000).
        #[arg(short = 'n', long, value_name = "N", default_value_t = 20,
              value_parser = clap::value_parser!(u32).range(1..=i64::from(mfa_core::MAX_AUDIT_PAGE)))]
        limit: u32,
        /// Only events by this actor (id, or email with --org).
        #[arg(long, value_name = "USER")]
        actor: Option<String>,
        /// Only events about this target (id, or email with --org).
        #[arg(long, value_name = "USER")]
        target: Option<String>,
        /// Only this action, e.g. mfa.reset.
        #[arg(long)]
        action: Option<String>,
        /// The org of users given by email: its id or its name.
        #[arg(long)]
        org: Option<String>,
        /// Keep running and print new events as they are appended (checked every second;
        /// with --json, one JSON object a line). Stop it with Ctrl-C.
        #[arg(short = 'f', long)]
        follow: bool,
    },
    /// Write every event, in seq order, as JSON lines or CSV.
    Export {
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// Write to this file instead of stdout (it must not exist).
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Walk the MAC chain; with --checkpoint, also detect a cut tail or an older copy.
    /// Exits 1 when the trail is not intact.
    Verify {
        /// A checkpoint saved earlier by `audit checkpoint`: SEQ:MAC.
        #[arg(long, value_name = "SEQ:MAC", value_parser = parse_checkpoint)]
        checkpoint: Option<mfa_core::Checkpoint>,
    },
    /// Print the head of the chain as SEQ:MAC, to store where the database cannot rewrite it.
    Checkpoint,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Jsonl,
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    Owner,
    Admin,
    Member,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Role {
        match role {
            RoleArg::Owner => Role::Owner,
            RoleArg::Admin => Role::Admin,
            RoleArg::Member => Role::Member,
        }
    }
}

/// `SEQ:MAC`; the core checks that the MAC is 64 hex digits.
fn parse_checkpoint(text: &str) -> Result<mfa_core::Checkpoint, String> {
    let (seq, mac) =
        text.split_once(':').ok_or("a checkpoint is SEQ:MAC, as `audit checkpoint` prints it")?;
    let seq = seq.parse().map_err(|_| format!("checkpoint seq {seq:?} is not a number"))?;
    Ok(mfa_core::Checkpoint { seq, mac: mac.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_a_code() {
        let argv =
            ["mfa-admin", "reset", "--actor", "a", "b", "--proof", "abcde-23456", "--actor-proof", "654321"];
        let cli = Cli::try_parse_from(argv).unwrap();
        let debug = format!("{cli:?}");
        assert!(!debug.contains("abcde-23456") && !debug.contains("654321"), "{debug}");
        assert!(debug.contains("Code(<redacted>)"), "{debug}");
        let cli = Cli::try_parse_from(["mfa-admin", "verify", "u", "123456"]).unwrap();
        assert!(!format!("{cli:?}").contains("123456"));
        // Nor a password of a PostgreSQL URL.
        let url = "postgresql://ann:s3cret-pw@db/mfa";
        let cli =
            Cli::try_parse_from(["mfa-admin", "--db", url, "migrate", "--from", url, "--to", url]).unwrap();
        let debug = format!("{cli:?}");
        assert!(!debug.contains("s3cret-pw") && debug.contains("postgresql://ann:***@db/mfa"), "{debug}");
    }
}
