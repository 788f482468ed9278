//! `org ...` and `user ...`: the directory.

use std::io::Write;

use mfa_core::{Core, Policy, PolicyChanges, User};
use serde_json::json;

use crate::cli::{ChangeArgs, OrgCommand, UserCommand};
use crate::exit::{Failure, Status};
use crate::output::{self, Out};
use crate::session;

use super::import;

pub fn org(core: &Core, command: &OrgCommand, out: &mut Out) -> Result<Status, Failure> {
    match command {
        OrgCommand::Create {
            name,
            mfa_required,
            enrollment_window,
            reset_limit_per_hour,
            max_failed_verifications,
            require_step_up,
        } => {
            let policy = Policy {
                mfa_required: *mfa_required,
                enrollment_window: *enrollment_window,
                reset_limit_per_hour: *reset_limit_per_hour,
                max_failed_verifications: *max_failed_verifications,
                require_step_up: *require_step_up,
            };
            let org = core.create_org(name, policy)?;
            if out.json {
                out.json(&org)?;
            } else {
                writeln!(out, "created org {} \"{}\"", org.id, output::clean(&org.name))?;
                writeln!(out, "{}", policy_line(&org.policy))?;
            }
        }
        OrgCommand::Policy {
            org,
            actor,
            mfa_required,
            enrollment_window,
            reset_limit_per_hour,
            max_failed_verifications,
            require_step_up,
            actor_proof,
        } => {
            let org = session::org_id(core, org)?;
            let actor = session::user_id(core, actor, None, Some(&org))?;
            let changes = PolicyChanges {
                mfa_required: *mfa_required,
                enrollment_window: *enrollment_window,
                reset_limit_per_hour: *reset_limit_per_hour,
                max_failed_verifications: *max_failed_verifications,
                require_step_up: *require_step_up,
            };
            let proof = actor_proof.as_deref().map(session::code).transpose()?;
            let org = core.update_policy(&actor, &org, &changes, proof.as_ref().map(|p| p.as_str()))?;
            if out.json {
                out.json(&org)?;
            } else {
                writeln!(out, "policy of org {} \"{}\" changed", org.id, output::clean(&org.name))?;
                writeln!(out, "{}", policy_line(&org.policy))?;
            }
        }
        OrgCommand::List => {
            for org in &core.list_orgs()? {
                if out.json {
                    out.json_line(org)?;
                } else {
                    let name = output::clean(&org.name);
                    writeln!(out, "{}  {:<24}  {}", org.id, name, policy_line(&org.policy))?;
                }
            }
        }
    }
    Ok(Status::Ok)
}

fn policy_line(p: &Policy) -> String {
    format!(
        "mfa_required={} enrollment_window={}s reset_limit_per_hour={} max_failed_verifications={} require_step_up={}",
        p.mfa_required,
        p.enrollment_window,
        p.reset_limit_per_hour,
        p.max_failed_verifications,
        p.require_step_up
    )
}

pub fn user(core: &Core, command: &UserCommand, out: &mut Out) -> Result<Status, Failure> {
    match command {
        UserCommand::Add { org, email, role } => {
            let org = session::org_id(core, org)?;
            let user = core.create_user(&org, email, (*role).into())?;
            print_user(out, "added", &user)?;
        }
        UserCommand::List { org } => {
            for user in &core.list_users(&session::org_id(core, org)?)? {
                // Each user's state is derived from the clock when listed.
                let mfa = core.mfa_status(&user.id)?;
                if out.json {
                    let mut line = serde_json::to_value(user).map_err(std::io::Error::from)?;
                    line["mfa"] = serde_json::to_value(&mfa).map_err(std::io::Error::from)?;
                    out.json_line(&line)?;
                } else {
                    let deadline = mfa.deadline.map_or_else(|| "-".to_string(), output::time);
                    let state = mfa.state.to_string();
                    writeln!(out, "{}  mfa {state:<19}  deadline {deadline}", output::user_row(user))?;
                }
            }
        }
        UserCommand::Import { org, file, dry_run } => return import::run(core, org, file, *dry_run, out),
        UserCommand::Show { user } => {
            let id = session::user_id(core, &user.user, user.org.as_deref(), None)?;
            let (user, mfa) = (core.get_user(&id)?, core.mfa_status(&id)?);
            if out.json {
                out.json(&json!({ "user": user, "mfa": mfa }))?;
            } else {
                writeln!(out, "id: {}\norg: {}\nemail: {}", user.id, user.org, output::clean(&user.email))?;
                writeln!(out, "role: {}\nstatus: {}", user.role, user.status)?;
                writeln!(out, "created: {}", output::time(user.created_at))?;
                writeln!(out, "{}", output::status_lines(&mfa))?;
            }
        }
        UserCommand::Role { change, role, actor_proof } => {
            let (actor, target) = change_parties(core, change)?;
            let proof = actor_proof.as_deref().map(session::code).transpose()?;
            let user = core.set_role(&actor, &target, (*role).into(), proof.as_ref().map(|p| p.as_str()))?;
            print_user(out, "role changed", &user)?;
        }
        UserCommand::Disable { change, actor_proof } => {
            let (actor, target) = change_parties(core, change)?;
            let proof = actor_proof.as_deref().map(session::code).transpose()?;
            let user = core.disable_user(&actor, &target, proof.as_ref().map(|p| p.as_str()))?;
            print_user(out, "disabled", &user)?;
        }
        UserCommand::Enable { change } => {
            let (actor, target) = change_parties(core, change)?;
            let user = core.enable_user(&actor, &target)?;
            print_user(out, "enabled", &user)?;
        }
        UserCommand::Rename { change, email, actor_proof } => {
            let (actor, target) = change_parties(core, change)?;
            let proof = actor_proof.as_deref().map(session::code).transpose()?;
            let user = core.rename_user(&actor, &target, email, proof.as_ref().map(|p| p.as_str()))?;
            print_user(out, "renamed", &user)?;
        }
        UserCommand::Delete { change, actor_proof } => {
            let (actor, target) = change_parties(core, change)?;
            let proof = actor_proof.as_deref().map(session::code).transpose()?;
            core.delete_user(&actor, &target, proof.as_ref().map(|p| p.as_str()))?;
            if out.json {
                out.json(&json!({ "deleted": target }))?;
            } else {
                writeln!(out, "deleted: {target}")?;
            }
        }
    }
    Ok(Status::Ok)
}

/// The actor and the target (by email in `--org`, else in the actor's org).
fn change_parties(core: &Core, change: &ChangeArgs) -> Result<(String, String), Failure> {
    let actor = session::user_id(core, &change.actor, change.org.as_deref(), None)?;
    let target = session::user_id(
        core,
        &change.target,
        change.org.as_deref(),
        session::org_of(core, &actor).as_deref(),
    )?;
    Ok((actor, target))
}

fn print_user(out: &mut Out, what: &str, user: &User) -> Result<(), Failure> {
    if out.json {
        out.json(user)?;
    } else {
        writeln!(out, "{what}: {}", output::user_row(user))?;
    }
    Ok(())
}
