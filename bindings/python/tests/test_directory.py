"""Orgs and users (docs/concepts.md, docs/directory.md): bootstrap calls, reads, roles, disable/enable."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from pathlib import Path

import pytest

import mfa_core
from conftest import T0, enroll

UTC = dt.timezone.utc


def test_create_org_with_the_default_policy(core: mfa_core.Core) -> None:
    org = core.create_org("  Acme  ")
    assert org.name == "Acme"
    assert org.created_at == dt.datetime.fromtimestamp(T0, UTC)
    assert uuid.UUID(org.id).version == 7 and org.id == org.id.lower()
    # The Python defaults are the core's (a drift between the two would show here).
    assert org.policy == mfa_core.Policy()
    assert org.policy.enrollment_window == dt.timedelta(days=7)


def test_policy_windows_are_seconds_or_timedeltas(core: mfa_core.Core) -> None:
    p = mfa_core.Policy(mfa_required=True, enrollment_window=3600, reset_limit_per_hour=3,
                        max_failed_verifications=2, require_step_up=True)  # fmt: skip
    assert p.enrollment_window == dt.timedelta(hours=1)
    assert core.create_org("Acme", p).policy == p
    org = core.create_org("Globex", mfa_core.Policy(enrollment_window=dt.timedelta(days=2)))
    assert org.policy.enrollment_window == dt.timedelta(days=2)


@pytest.mark.parametrize(
    "policy",
    [
        mfa_core.Policy(enrollment_window=0),
        mfa_core.Policy(enrollment_window=dt.timedelta(days=366)),
        mfa_core.Policy(enrollment_window=dt.timedelta(seconds=1.5)),
        mfa_core.Policy(enrollment_window=-5),
        mfa_core.Policy(enrollment_window=2**64),
        mfa_core.Policy(reset_limit_per_hour=0),
        mfa_core.Policy(reset_limit_per_hour=2**32),
        mfa_core.Policy(max_failed_verifications=0),
    ],
)
def test_bad_policies_are_invalid_input(core: mfa_core.Core, policy: mfa_core.Policy) -> None:
    with pytest.raises(mfa_core.InvalidInput):
        core.create_org("Acme", policy)
    assert core.list_orgs() == []


@pytest.mark.parametrize(
    "policy",
    [
        mfa_core.Policy(mfa_required=1),  # type: ignore[arg-type]
        mfa_core.Policy(reset_limit_per_hour=True),
        mfa_core.Policy(enrollment_window="7d"),  # type: ignore[arg-type]
    ],
)
def test_policy_fields_of_the_wrong_type_are_type_errors(core: mfa_core.Core, policy: mfa_core.Policy) -> None:
    with pytest.raises(TypeError, match=r"^policy\.\w+ must be "):
        core.create_org("Acme", policy)
    assert core.list_orgs() == []


def test_policy_must_be_a_policy(core: mfa_core.Core) -> None:
    with pytest.raises(TypeError, match="mfa_core.Policy"):
        core.create_org("Acme", {"mfa_required": True})  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["", "   ", "a\0b", "x" * 201, "a\nb"])
def test_bad_org_names(core: mfa_core.Core, name: str) -> None:
    with pytest.raises(mfa_core.InvalidInput):
        core.create_org(name)


@pytest.mark.parametrize("name", [None, b"Acme", 3])
def test_org_names_of_the_wrong_type(core: mfa_core.Core, name: object) -> None:
    with pytest.raises(TypeError, match="^name must be str, not "):
        core.create_org(name)  # type: ignore[arg-type]


def test_users_and_reads(core: mfa_core.Core, org: mfa_core.Org) -> None:
    ann = core.create_user(org.id, "Ann@Acme.test", mfa_core.Role.OWNER)
    bob = core.create_user(uuid.UUID(org.id), "bob@acme.test", "MEMBER")
    assert ann.role is mfa_core.Role.OWNER and ann.role == "owner" and str(ann.role) == "owner"
    assert bob.role is mfa_core.Role.MEMBER
    assert ann.status is mfa_core.UserStatus.ACTIVE and ann.credential_epoch == 0
    assert ann.email == "Ann@Acme.test" and ann.org == org.id
    assert core.get_user(ann.id.upper()) == ann
    assert core.get_user(uuid.UUID(ann.id)) == ann
    assert core.find_user_by_email(org.id, "ANN@acme.TEST") == ann
    assert core.list_users(org.id) == [ann, bob]
    assert core.list_orgs() == [org] and core.get_org(org.id) == org
    with pytest.raises(mfa_core.Conflict):
        core.create_user(org.id, "ann@ACME.test", "member")
    with pytest.raises(mfa_core.NotFound):
        core.find_user_by_email(org.id, "nobody@acme.test")


def test_unknown_ids_are_not_found(core: mfa_core.Core) -> None:
    missing = str(uuid.uuid4())
    for call in (core.get_user, core.get_org, core.list_users, core.mfa_status):
        with pytest.raises(mfa_core.NotFound) as caught:
            call(missing)
        assert isinstance(caught.value, LookupError) and caught.value.http_status == 404
    with pytest.raises(mfa_core.NotFound):
        core.create_user(missing, "a@b.test", "member")


@pytest.mark.parametrize("email", ["", "ab", "@b", "a@", "a b@c", "a@b@c", "a\0@b", "a" * 250 + "@x.test"])
def test_bad_emails(core: mfa_core.Core, org: mfa_core.Org, email: str) -> None:
    with pytest.raises(mfa_core.InvalidInput):
        core.create_user(org.id, email, "member")


@pytest.mark.parametrize("role", ["root", "", "owner\0"])
def test_bad_roles(core: mfa_core.Core, org: mfa_core.Org, role: str) -> None:
    with pytest.raises(mfa_core.InvalidInput):
        core.create_user(org.id, "a@b.test", role)


@pytest.mark.parametrize("role", [None, 1, b"owner"])
def test_roles_of_the_wrong_type(core: mfa_core.Core, org: mfa_core.Org, role: object) -> None:
    with pytest.raises(TypeError, match="^role must be str, not "):
        core.create_user(org.id, "a@b.test", role)  # type: ignore[arg-type]


def test_new_users_in_an_mfa_required_org_must_enroll(core: mfa_core.Core) -> None:
    org = core.create_org("Acme", mfa_core.Policy(mfa_required=True, enrollment_window=3600))
    ann = core.create_user(org.id, "ann@acme.test", "owner")
    status = core.mfa_status(ann.id)
    assert status.state is mfa_core.MfaState.ENROLLMENT_REQUIRED
    assert status.deadline == dt.datetime.fromtimestamp(T0 + 3600, UTC)
    core.set_time(T0 + 3600)
    assert core.mfa_status(ann.id).state is mfa_core.MfaState.LOCKED_OUT


def test_set_role_rules_and_the_last_owner(core: mfa_core.Core, org: mfa_core.Org) -> None:
    olga = core.create_user(org.id, "olga@acme.test", "owner")
    ann = core.create_user(org.id, "ann@acme.test", "admin")
    bob = core.create_user(org.id, "bob@acme.test", "member")
    assert core.set_role(olga.id, bob.id, "admin").role is mfa_core.Role.ADMIN
    with pytest.raises(mfa_core.Forbidden):
        core.set_role(ann.id, bob.id, mfa_core.Role.OWNER)
    with pytest.raises(mfa_core.Forbidden):
        core.set_role(ann.id, olga.id, "member")
    with pytest.raises(mfa_core.Conflict, match="last active owner"):
        core.set_role(olga.id, olga.id, "admin")
    with pytest.raises(mfa_core.Conflict):
        core.disable_user(olga.id, olga.id)
    assert core.get_user(olga.id).role is mfa_core.Role.OWNER


def test_disable_and_enable(core: mfa_core.Core, org: mfa_core.Org) -> None:
    olga = core.create_user(org.id, "olga@acme.test", "owner")
    bob = core.create_user(org.id, "bob@acme.test", "member")
    assert core.disable_user(olga.id, bob.id).status is mfa_core.UserStatus.DISABLED
    with pytest.raises(mfa_core.Unauthenticated) as caught:
        core.begin_enrollment(bob.id)
    assert caught.value.http_status == 401
    assert core.enable_user(olga.id, bob.id).status is mfa_core.UserStatus.ACTIVE


def test_step_up_for_directory_changes(core: mfa_core.Core) -> None:
    org = core.create_org("Acme", mfa_core.Policy(require_step_up=True))
    olga = core.create_user(org.id, "olga@acme.test", "owner")
    bob = core.create_user(org.id, "bob@acme.test", "member")
    secret, _ = enroll(core, olga.id)
    core.set_time(T0 + 30)
    with pytest.raises(mfa_core.Forbidden, match="step-up"):
        core.disable_user(olga.id, bob.id)
    from authenticator import totp

    code = totp(secret, T0 + 30)
    assert core.set_role(olga.id, bob.id, "admin", actor_proof=code).role == "admin"
    with pytest.raises(mfa_core.Forbidden):  # the proof was spent
        core.disable_user(olga.id, bob.id, actor_proof=code)


def test_values_are_immutable(core: mfa_core.Core, org: mfa_core.Org) -> None:
    user = core.create_user(org.id, "ann@acme.test", "owner")
    with pytest.raises(dataclasses.FrozenInstanceError):
        user.role = mfa_core.Role.MEMBER  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        org.policy.mfa_required = True  # type: ignore[misc]
    assert hash(user) == hash(core.get_user(user.id))


def test_update_policy_changes_only_the_given_fields(core: mfa_core.Core, org: mfa_core.Org) -> None:
    olga = core.create_user(org.id, "olga@acme.test", "owner")
    ann = core.create_user(org.id, "ann@acme.test", "admin")
    with pytest.raises(mfa_core.Forbidden):
        core.update_policy(ann.id, org.id, reset_limit_per_hour=3)
    with pytest.raises(mfa_core.InvalidInput, match="no policy field"):
        core.update_policy(olga.id, org.id)
    with pytest.raises(mfa_core.InvalidInput):
        core.update_policy(olga.id, org.id, enrollment_window=dt.timedelta(days=366))
    with pytest.raises(TypeError, match="^mfa_required must be bool, not int$"):
        core.update_policy(olga.id, org.id, mfa_required=1)  # type: ignore[arg-type]
    updated = core.update_policy(olga.id, org.id, enrollment_window=dt.timedelta(hours=1), mfa_required=True)
    assert updated.policy == dataclasses.replace(org.policy, enrollment_window=3600, mfa_required=True)
    assert core.get_org(org.id) == updated
    (event,) = core.audit_events(action="org.policy")[1:]
    assert event.detail == {
        "from": {"mfa_required": False, "enrollment_window": 604800},
        "to": {"mfa_required": True, "enrollment_window": 3600},
    }


def test_rename_and_delete_users(core: mfa_core.Core, org: mfa_core.Org) -> None:
    olga = core.create_user(org.id, "olga@acme.test", "owner")
    ann = core.create_user(org.id, "ann@acme.test", "admin")
    bob = core.create_user(org.id, "bob@acme.test", "member")
    renamed = core.rename_user(ann.id, bob.id, "Robert@acme.test")
    assert (renamed.id, renamed.email) == (bob.id, "Robert@acme.test")
    with pytest.raises(mfa_core.Conflict):
        core.rename_user(ann.id, bob.id, "OLGA@acme.test")
    with pytest.raises(mfa_core.Forbidden):
        core.rename_user(ann.id, olga.id, "boss@acme.test")
    enroll(core, bob.id)
    with pytest.raises(mfa_core.Forbidden):
        core.delete_user(ann.id, olga.id)
    with pytest.raises(mfa_core.Conflict, match="last active owner"):
        core.delete_user(olga.id, olga.id)
    core.delete_user(ann.id, bob.id)
    with pytest.raises(mfa_core.NotFound):
        core.get_user(bob.id)
    assert core.create_user(org.id, "robert@acme.test", "member").id != bob.id
    assert [e.detail for e in core.audit_events(action="user.rename")][0] == {
        "from": "bob@acme.test",
        "to": "Robert@acme.test",
    }
    assert core.audit_events(action="user.delete", target=bob.id)[-1].outcome == "success"
    assert core.verify_audit().ok


def test_info_counts_users_by_state_and_gives_the_head(core: mfa_core.Core, org: mfa_core.Org) -> None:
    olga = core.create_user(org.id, "olga@acme.test", "owner")
    bob = core.create_user(org.id, "bob@acme.test", "member")
    enroll(core, bob.id)
    info = core.info()
    assert info.users == mfa_core.UserCounts(
        total=2, not_enrolled=1, enrollment_required=0, locked_out=0, enrolled=1, disabled=0
    )
    assert (info.orgs, info.key_check_ok, info.file_size, info.path) == (1, True, None, None)
    assert info.audit_head == core.audit_checkpoint()
    assert info.audit_events == info.audit_head.seq
    assert core.verify_audit(info.audit_head).ok
    core.disable_user(olga.id, bob.id)
    assert core.info().users.disabled == 1


def test_backup_copies_a_live_store(tmp_path: Path) -> None:
    with mfa_core.Core.open(tmp_path / "store.db", bytes(range(32)), manual_clock=T0) as core:
        org = core.create_org("Acme")
        core.create_user(org.id, "olga@acme.test", "owner")
        head = core.backup(tmp_path / "copy.db")
        assert head == core.audit_checkpoint()
        with pytest.raises(mfa_core.Conflict):
            core.backup(str(tmp_path / "copy.db"))
    assert (tmp_path / "copy.db").stat().st_mode & 0o777 == 0o600
    with mfa_core.Core.open(tmp_path / "copy.db", bytes(range(32)), create_if_missing=False) as copy:
        assert copy.audit_checkpoint() == head
        assert copy.verify_audit(head).ok
        assert [u.email for u in copy.list_users(org.id)] == ["olga@acme.test"]
    with mfa_core.Core.open(":memory:", bytes(range(32))) as memory, pytest.raises(mfa_core.InvalidInput):
        memory.backup(tmp_path / "memory.db")
