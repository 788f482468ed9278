//! The tamper-evident audit trail (docs/audit.md).
//!
//! Each event's MAC is HMAC-SHA256, under a key derived from the master key, over the previous
//! event's MAC and this event's canonical bytes. Editing, deleting, reordering or inserting a
//! row breaks the chain at that row; a checkpoint kept elsewhere also catches a cut tail.

use serde_json::Value;

use crate::crypto::{Keys, RetiredChainKeys, chain_mac};
use crate::error::{Error, Result};
use crate::model::{AuditReport, Checkpoint, Outcome, UnixTime};
use crate::store::{AuditRow, Tx};

/// Every action the trail records.
pub const ACTIONS: [&str; 15] = [
    "org.create",
    "user.create",
    "user.role",
    "user.disable",
    "user.enable",
    "mfa.enroll.begin",
    "mfa.enroll.confirm",
    "mfa.verify",
    "mfa.recovery_code.use",
    // Regenerating recovery codes is security-relevant, so it is audited under its own name
    // rather than hidden under another action.
    "mfa.recovery_codes.regenerate",
    "mfa.reset",
    // Changes to a store that lives for years: an org's policy, and users who leave or
    // change their email.
    "org.policy",
    "user.delete",
    "user.rename",
    // The master key was rotated: the last event MAC'd under the old chain key
    // (docs/key-rotation.md).
    "key.rotate",
];

/// The MAC that precedes event 1.
const GENESIS: [u8; 32] = [0; 32];

/// An event to append. It holds ids, the action, codes and host-given text: never a secret.
pub(crate) struct Draft<'a> {
    pub at: UnixTime,
    pub actor: Option<&'a str>,
    pub target: Option<&'a str>,
    pub org: Option<&'a str>,
    pub action: &'static str,
    pub outcome: Outcome,
    pub code: Option<&'static str>,
    pub reason: Option<&'a str>,
    pub detail: Value,
}

/// The fields the MAC covers, as stored.
struct Fields<'a> {
    seq: u64,
    at: UnixTime,
    actor: Option<&'a str>,
    target: Option<&'a str>,
    org: Option<&'a str>,
    action: &'a str,
    outcome: &'a str,
    code: Option<&'a str>,
    reason: Option<&'a str>,
    detail: &'a str,
}

impl Fields<'_> {
    /// Unambiguous bytes: fixed-width integers, and each text as a presence byte, a length and
    /// its bytes, so that no two different events share an encoding.
    fn canonical(&self) -> Vec<u8> {
        // Room for a typical event (three ids, the action, a short detail) without growing.
        let mut out = Vec::with_capacity(512);
        out.extend_from_slice(b"mfa-core audit v1\0");
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.at.to_be_bytes());
        for field in [
            self.actor,
            self.target,
            self.org,
            Some(self.action),
            Some(self.outcome),
            self.code,
            self.reason,
            Some(self.detail),
        ] {
            match field {
                None => out.push(0),
                Some(text) => {
                    out.push(1);
                    out.extend_from_slice(&(text.len() as u64).to_be_bytes());
                    out.extend_from_slice(text.as_bytes());
                }
            }
        }
        out
    }

    fn of_row(row: &AuditRow) -> Fields<'_> {
        let e = &row.event;
        Fields {
            seq: e.seq,
            at: e.at,
            actor: e.actor.as_deref(),
            target: e.target.as_deref(),
            org: e.org.as_deref(),
            action: &e.action,
            outcome: &row.outcome_raw,
            code: e.code.as_deref(),
            reason: e.reason.as_deref(),
            detail: &row.detail_raw,
        }
    }
}

/// Appends one event inside the caller's transaction and returns its seq.
pub(crate) fn append(tx: &Tx, keys: &Keys, draft: Draft) -> Result<u64> {
    let (prev_seq, prev_mac) = tx.audit_head()?.unwrap_or((0, GENESIS.to_vec()));
    let seq = prev_seq + 1;
    let detail = draft.detail.to_string();
    let fields = Fields {
        seq,
        at: draft.at,
        actor: draft.actor,
        target: draft.target,
        org: draft.org,
        action: draft.action,
        outcome: draft.outcome.as_str(),
        code: draft.code,
        reason: draft.reason,
        detail: &detail,
    };
    let mac = keys.audit_mac(&prev_mac, &fields.canonical());
    let event = crate::model::AuditEvent {
        seq,
        at: draft.at,
        actor: draft.actor.map(str::to_string),
        target: draft.target.map(str::to_string),
        org: draft.org.map(str::to_string),
        action: draft.action.to_string(),
        outcome: draft.outcome,
        code: draft.code.map(str::to_string),
        reason: draft.reason.map(str::to_string),
        detail: draft.detail,
        mac: String::new(),
    };
    tx.insert_audit(&event, &detail, &mac)?;
    Ok(seq)
}

/// The last `(seq, mac)`, or `(0, zeros)` for an empty trail.
pub(crate) fn checkpoint(tx: &Tx) -> Result<Checkpoint> {
    let (seq, mac) = tx.audit_head()?.unwrap_or((0, GENESIS.to_vec()));
    Ok(Checkpoint { seq, mac: crate::store::hex(&mac) })
}

/// The chain keys of the store's earlier master keys, opened with the current one.
pub(crate) fn retired_keys(tx: &Tx, keys: &Keys) -> Result<RetiredChainKeys> {
    match tx.retired_chain_keys()? {
        Some(blob) => keys.open_retired(&blob),
        None => Ok(RetiredChainKeys::none()),
    }
}

/// Walks the chain from seq 1, each event under the chain key of the master key it was
/// written with (earlier ones come from the sealed list a rotation keeps). With a checkpoint,
/// also requires the event at its seq to exist with its MAC, which catches a cut tail or a file
/// restored from an older copy.
pub(crate) fn verify(tx: &Tx, keys: &Keys, checkpoint: Option<&Checkpoint>) -> Result<AuditReport> {
    let retired = retired_keys(tx, keys)?;
    let mut prev_mac = GENESIS.to_vec();
    let mut expected_seq = 1u64;
    let mut first_bad = None;
    tx.audit_walk(|row| {
        let Some(row) = row.filter(|row| {
            row.event.seq == expected_seq
                && chain_mac(retired.key_for(expected_seq, keys), &prev_mac, &Fields::of_row(row).canonical())
                    [..]
                    == row.mac[..]
        }) else {
            first_bad = Some(expected_seq);
            return false;
        };
        prev_mac = row.mac;
        expected_seq += 1;
        true
    })?;
    let checked = expected_seq - 1;
    if first_bad.is_none()
        && let Some(cp) = checkpoint
    {
        let wanted = data_encoding::HEXLOWER_PERMISSIVE
            .decode(cp.mac.as_bytes())
            .map_err(|_| Error::InvalidInput("checkpoint mac is not hex".into()))?;
        if cp.seq > checked {
            first_bad = Some(checked + 1);
        } else if cp.seq > 0 && tx.audit_mac_at(cp.seq)?.as_deref() != Some(&wanted[..]) {
            first_bad = Some(cp.seq);
        }
    }
    Ok(AuditReport { ok: first_bad.is_none(), checked, first_bad_seq: first_bad })
}
