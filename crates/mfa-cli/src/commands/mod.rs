//! One module per group of subcommands; `run` dispatches.

mod audit;
mod backup;
mod demo;
mod directory;
mod generate;
mod import;
mod info;
mod init;
mod mfa;
mod migrate;
mod reset;

use crate::cli::{Cli, Command, KeyCommand, StoreCommand};
use crate::exit::{Failure, Status, usage};
use crate::output::Out;
use crate::session;

pub fn run(cli: &Cli, out: &mut Out) -> Result<Status, Failure> {
    match &cli.command {
        Command::Init { generate_key } => init::run(cli, *generate_key, out),
        Command::Restore { src, force } => backup::restore(cli, src, *force, out),
        Command::Demo if cli.json => Err(usage("demo tells a story in text: it has no --json output")),
        Command::Demo => demo::run(out),
        Command::Completions { .. } | Command::Man { .. } if cli.json => {
            Err(usage("completions and man pages are text: they have no --json output"))
        }
        Command::Completions { shell } => generate::completions(*shell, out),
        Command::Man { out_dir } => generate::man(out_dir.as_deref(), out),
        Command::Migrate { from, to } => migrate::run(cli, from.as_deref(), to, out),
        Command::Store(command) => {
            if let StoreCommand::Backup { dest } = command {
                backup::refuse_urls("backup", cli.db.as_deref(), dest)?;
            }
            let core = session::open(cli)?;
            match command {
                StoreCommand::Org(c) => directory::org(&core, c, out),
                StoreCommand::User(c) => directory::user(&core, c, out),
                StoreCommand::Enroll { user, no_qr } => mfa::enroll(&core, user, *no_qr, out),
                StoreCommand::Confirm { user, code } => mfa::confirm(&core, user, code, out),
                StoreCommand::Verify { user, code } => mfa::verify(&core, user, code, out),
                StoreCommand::Status { user } => mfa::status(&core, user, out),
                StoreCommand::Reset(args) => reset::one(&core, args, out),
                StoreCommand::ResetMany(args) => reset::many(&core, args, out),
                StoreCommand::Audit(c) => audit::run(&core, c, out),
                StoreCommand::Info => info::run(&core, session::db_path(cli)?, out),
                StoreCommand::Backup { dest } => backup::backup(&core, dest, out),
                StoreCommand::Key(KeyCommand::Rotate { new_key_file }) => {
                    backup::rotate_key(&core, new_key_file, out)
                }
            }
        }
    }
}
