"""The examples in examples/python run as a user would run them, and do what they say."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

import mfa_core
from authenticator import totp
from conftest import KEY

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "python"


def run(script: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_quickstart() -> None:
    done = run("quickstart.py")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Enrollment(secret=<redacted>, uri=<redacted>)" in out
    assert "RecoveryCodes(<10 redacted>)" in out
    assert "reset: enrolled -> enrollment_required" in out
    assert "refused (forbidden, HTTP 403)" in out
    assert "audit chain ok=True" in out


class Store:
    """A file store with an owner and users for the bulk script, opened on the real clock
    (the script's own handle uses the real clock too)."""

    def __init__(self, tmp_path: Path) -> None:
        self.path = tmp_path / "mfa.db"
        self.key_file = tmp_path / "mfa.key"
        self.key_file.write_text(KEY.hex() + "\n")
        self.key_file.chmod(0o600)
        with mfa_core.Core.open(self.path, KEY) as core:
            self.org = core.create_org("Acme", mfa_core.Policy(reset_limit_per_hour=100))
            self.owner = core.create_user(self.org.id, "olga@acme.test", "owner")
            self.users = [core.create_user(self.org.id, f"u{i}@acme.test", "member") for i in range(4)]
            for user in self.users[:3]:  # u3 never enrolls
                secret = core.begin_enrollment(user.id).secret
                core.confirm_enrollment(user.id, totp(secret, int(time.time())))
            self.seq = core.audit_checkpoint().seq

    def csv(self, text: str) -> str:
        path = self.path.with_name("users.csv")
        path.write_text(text)
        return str(path)

    def args(self, csv: str, *extra: str) -> list[str]:
        return [csv, "--db", str(self.path), "--key-file", str(self.key_file), "--actor", self.owner.id, *extra]

    def epochs(self) -> list[int]:
        with mfa_core.Core.open(self.path, KEY) as core:
            return [core.get_user(u.id).credential_epoch for u in self.users]

    def events_since(self) -> list[mfa_core.AuditEvent]:
        with mfa_core.Core.open(self.path, KEY) as core:
            assert core.verify_audit().ok
            return core.audit_events(after_seq=self.seq)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path)


def test_bulk_reset_by_email_and_id(store: Store) -> None:
    csv = store.csv(f"email\nu0@acme.test\n\n# a comment\n{store.users[1].id.upper()}\nU2@ACME.TEST\n")
    done = run("bulk_reset.py", *store.args(csv, "--reason", "ticket 4711", "--window", "72h"))
    assert done.returncode == 0, done.stderr
    table = dict(line.rsplit(None, 1) for line in done.stdout.splitlines()[2:] if line.strip())
    assert table == {"reset": "3", "total": "3"}
    assert "100%" in done.stderr  # the progress bar ran to the end
    assert store.epochs() == [1, 1, 1, 0]
    events = store.events_since()
    assert [(e.action, e.outcome, e.reason) for e in events] == [("mfa.reset", "success", "ticket 4711")] * 3
    assert all(e.detail["window"] == 72 * 3600 for e in events)


def test_bulk_reset_dry_run_reports_failures_and_changes_nothing(store: Store) -> None:
    csv = store.csv(
        "\n".join(["id", store.users[0].id, "u3@acme.test", "nobody@acme.test", "not-an-id", store.users[2].id])
    )
    done = run("bulk_reset.py", *store.args(csv, "--dry-run"))
    assert done.returncode == 1, done.stderr
    table, _, failed = done.stdout.partition("\n\nfailed lines:\n")
    counts = dict(line.rsplit(None, 1) for line in table.splitlines()[2:])
    assert counts == {"would reset": "2", "invalid_input": "1", "mfa_not_enabled": "1", "not_found": "1",
                      "total": "5"}  # fmt: skip
    assert "line 3: u3@acme.test: mfa_not_enabled" in failed
    assert "line 4: nobody@acme.test: not_found" in failed
    assert "line 5: not-an-id: invalid_input" in failed
    assert store.epochs() == [0, 0, 0, 0]
    assert store.events_since() == []


def test_bulk_reset_refusals_are_counted_by_code(store: Store) -> None:
    with mfa_core.Core.open(store.path, KEY) as core:
        admin = core.create_user(store.org.id, "ann@acme.test", "admin")
    csv = store.csv(f"{store.users[0].id}\nolga@acme.test\n")
    args = store.args(csv)
    args[args.index("--actor") + 1] = admin.id
    done = run("bulk_reset.py", *args)
    assert done.returncode == 1
    assert "forbidden" in done.stdout and "line 2: olga@acme.test: forbidden" in done.stdout
    assert store.epochs()[0] == 1


def test_bulk_reset_setup_errors(store: Store, tmp_path: Path) -> None:
    csv = store.csv("u0@acme.test\n")
    bad_window = run("bulk_reset.py", *store.args(csv, "--window", "soon"))
    assert bad_window.returncode == 2 and "not a duration" in bad_window.stderr
    too_long = run("bulk_reset.py", *store.args(csv, "--window", "400d"))
    assert too_long.returncode == 2 and "invalid_input" in too_long.stderr
    wrong_key = tmp_path / "wrong.key"
    wrong_key.write_bytes(bytes(32))
    wrong_key.chmod(0o600)
    args = store.args(csv)
    args[args.index("--key-file") + 1] = str(wrong_key)
    refused = run("bulk_reset.py", *args)
    assert refused.returncode == 2 and "invalid_input" in refused.stderr
    missing = run("bulk_reset.py", *store.args(csv)[:2], str(tmp_path / "none.db"), "--key-file",
                  str(store.key_file), "--actor", store.owner.id)  # fmt: skip
    assert missing.returncode == 2 and "no database" in missing.stderr
    assert not (tmp_path / "none.db").exists()
    assert store.epochs() == [0, 0, 0, 0]


def test_bulk_reset_key_from_the_environment(store: Store) -> None:
    csv = store.csv("u1@acme.test\n")
    env = {"MFA_CORE_KEY": KEY.hex(), "PATH": "/usr/bin:/bin"}
    done = run("bulk_reset.py", csv, "--db", str(store.path), "--actor", store.owner.id, "--dry-run", env=env)
    assert done.returncode == 0, done.stderr
    assert "would reset" in done.stdout
    assert store.epochs() == [0, 0, 0, 0]


def test_bulk_reset_store_and_key_file_from_the_environment(store: Store) -> None:
    csv = store.csv("u1@acme.test\n")
    env = {"MFA_CORE_DB": str(store.path), "MFA_CORE_KEY_FILE": str(store.key_file), "PATH": "/usr/bin:/bin"}
    done = run("bulk_reset.py", csv, "--actor", store.owner.id, "--dry-run", env=env)
    assert done.returncode == 0, done.stderr
    assert "would reset" in done.stdout
    both = run("bulk_reset.py", csv, "--actor", store.owner.id, env={**env, "MFA_CORE_KEY": KEY.hex()})
    assert both.returncode == 2 and "pass one key" in both.stderr
    store.key_file.chmod(0o644)
    exposed = run("bulk_reset.py", csv, "--actor", store.owner.id, env=env)
    assert exposed.returncode == 2 and "invalid_input" in exposed.stderr and "chmod 600" in exposed.stderr
    assert KEY.hex() not in exposed.stderr
    assert store.epochs() == [0, 0, 0, 0]


def test_bulk_reset_under_step_up_spends_the_proof_once(tmp_path: Path) -> None:
    path, key_file = tmp_path / "mfa.db", tmp_path / "mfa.key"
    key_file.write_bytes(KEY)  # raw bytes this time
    key_file.chmod(0o600)
    with mfa_core.Core.open(path, KEY) as core:
        org = core.create_org("Acme", mfa_core.Policy(require_step_up=True, reset_limit_per_hour=100))
        olga = core.create_user(org.id, "olga@acme.test", "owner")
        now = int(time.time())
        secret = core.begin_enrollment(olga.id).secret
        core.confirm_enrollment(olga.id, totp(secret, now))
        users = [core.create_user(org.id, f"u{i}@acme.test", "member") for i in range(60)]
        for user in users:
            core.confirm_enrollment(user.id, totp(core.begin_enrollment(user.id).secret, now))
    csv = tmp_path / "users.csv"
    csv.write_text("".join(f"u{i}@acme.test\n" for i in range(60)))
    base = [str(csv), "--db", str(path), "--key-file", str(key_file), "--actor", olga.id]
    refused = run("bulk_reset.py", *base)  # no proof: the whole run is refused
    assert refused.returncode == 2 and "forbidden" in refused.stderr and "step-up" in refused.stderr
    # The next step's code: later than the confirming step, so never a replay of it. One proof
    # serves all 60 users (more than one batch): the script makes them one call.
    done = run("bulk_reset.py", *base, "--actor-proof", totp(secret, int(time.time()), 1))
    assert done.returncode == 0, done.stdout + done.stderr
    counts = dict(line.rsplit(None, 1) for line in done.stdout.splitlines()[2:])
    assert counts == {"reset": "60", "total": "60"}
    with mfa_core.Core.open(path, KEY) as core:
        assert all(core.get_user(u.id).credential_epoch == 1 for u in users)


def test_workloads_print_one_json_line_per_run(tmp_path: Path) -> None:
    done = run("workloads.py", "--members", "80", "--resets", "20", "--verifies", "60", "--dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    python, floor = (json.loads(line) for line in done.stdout.splitlines())
    sizes = {"sync": "FULL", "members": 80, "resets": 20, "verifies": 60}
    assert python.items() >= {"impl": "python", **sizes}.items()
    assert floor.items() >= {"impl": "baseline-sql-python", **sizes}.items()
    for phase in ("A_reset", "B_verify", "C_reset_8_threads"):
        assert set(python[phase]) == {"ops_per_s", "p50_us", "p99_us"} and python[phase]["ops_per_s"] > 0
    assert python["D_bulk"]["targets_per_s"] > 0
    # Every event of the first store: bootstrap, enrollments, 20 + 20 resets, 60 verifications.
    users = 1 + 20 + 80
    assert python["E_verify_audit"]["events"] == 1 + users * 3 + 20 + 60 + 20
    assert list(tmp_path.iterdir()) == []  # the stores are removed


def test_overhead_compares_python_with_the_rust_api_on_the_same_calls(tmp_path: Path) -> None:
    """The per-call overhead bench, at a tiny size: the Rust half (an example of the core,
    built here as `cargo test` builds it) and the Python half take turns on both stores."""
    root = EXAMPLES.parents[1]
    build = subprocess.run(["cargo", "build", "-q", "-p", "mfa-core", "--example", "single_calls"], cwd=root,
                           capture_output=True, text=True, timeout=600)  # fmt: skip
    assert build.returncode == 0, build.stderr
    rust = root / "target" / "debug" / "examples" / "single_calls"
    done = run("overhead.py", "--rust", str(rust), "--calls", "12", "--rounds", "2", "--dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    runs, summary = [x for x in lines if "impl" in x], [x for x in lines if "op" in x]
    assert [(r["impl"], r["store"]) for r in runs] == [(i, s) for s in ("memory", "file") for _ in range(2)
                                                        for i in ("rust", "python")]  # fmt: skip
    for r in runs:
        assert r["calls"] == 12
        assert all(r[op][f] > 0 for op in ("reset", "verify") for f in ("cpu_us", "mean_us", "p50_us"))
    assert [(s["store"], s["op"]) for s in summary] == [(s, op) for s in ("memory", "file") for op in ("reset", "verify")]
    for s in summary:
        assert s["ratio_cpu"] == round(s["rust_cpu_us"] / s["python_cpu_us"], 3) > 0
        assert s["ratio_p50"] == round(s["rust_p50_us"] / s["python_p50_us"], 3) > 0
        assert s["overhead_mean_us"] == round(s["python_mean_us"] - s["rust_mean_us"], 1)
    assert list(tmp_path.iterdir()) == []  # the stores are removed
