"""The Python replay of the cross-language scenarios (format: tests/scenarios/README.md).

It mirrors the Rust runner (crates/mfa-scenarios) step for step: the same key and manual clock,
in-memory or file stores and ``reopen``, names bound by ``as``, secrets and recovery codes kept
per NAME, the ``enroll`` shorthand, times made relative to T0 at any depth, strict keys, and
JSON-exact pattern matching (``True`` is not ``1``). The driver half calls the public
``mfa_core`` API and turns its results into the README's JSON shapes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable, Optional, Union

import mfa_core
from authenticator import totp, wrong_totp

T0 = 1_700_000_010
KEY = bytes(range(32))
# The keys a scenario names (README, "Keys"): the bytes 0-31, 32-63 and 64-95.
KEYS = {"first": KEY, "second": bytes(range(32, 64)), "third": bytes(range(64, 96))}
HEX = re.compile(r"(?:[0-9a-f]{2})*")
STORE_FILE = "store.db"
SCENARIO_DIR = Path(__file__).resolve().parents[3] / "tests" / "scenarios"
# Where a store is: ``:memory:`` (None), a store file, or a PostgreSQL URL.
Location = Optional[Union[Path, str]]

OPS = (
    "create_org", "create_user", "get_user", "list_users", "set_role", "disable_user",
    "enable_user", "update_policy", "delete_user", "rename_user", "begin_enrollment", "confirm_enrollment", "enroll", "verify",
    "regenerate_recovery_codes", "mfa_status", "reset_mfa", "reset_mfa_many", "audit_events",
    "audit_checkpoint", "verify_audit", "info", "backup", "rotate_key",
)  # fmt: skip
ID_ARGS = ("org", "user", "actor", "target")
# The operations whose result is a checkpoint, which ``as`` binds (instead of an id).
CHECKPOINT_OPS = ("audit_checkpoint", "rotate_key")
CODE_ARGS = ("code", "proof", "actor_proof")
TIME_KEYS = ("created_at", "deadline", "at")
U64_MAX = 2**64 - 1


def scenario_files(directory: Path = SCENARIO_DIR) -> list[Path]:
    """Every ``*.json`` file of the folder, sorted by name (as the Rust runner lists them)."""
    return sorted(p for p in directory.iterdir() if p.suffix == ".json" and p.is_file())


def postgres_location(path: Path) -> Optional[str]:
    """The PostgreSQL store of scenario ``path`` when ``MFA_CORE_TEST_PG_SCHEMAS`` names a
    schema prefix (scripts/test-postgres.sh, which creates the schemas and checks afterwards
    that each holds a store): scenario n of the folder (in file-name order, memory and file
    scenarios alike) opens ``MFA_CORE_TEST_PG`` with its search path set to ``<prefix>_<n>``,
    and its ``reopen`` steps open that URL again. None without the variable, and for a file
    outside the folder (the runner's own tests), which keep their own stores."""
    prefix = os.environ.get("MFA_CORE_TEST_PG_SCHEMAS")
    files = scenario_files()
    if prefix is None or path.resolve() not in files:
        return None
    url = os.environ.get("MFA_CORE_TEST_PG")
    if not url:
        raise ScenarioError("MFA_CORE_TEST_PG_SCHEMAS is set, MFA_CORE_TEST_PG is not")
    n = files.index(path.resolve()) + 1
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{prefix}_{n}"


class ScenarioError(Exception):
    """The scenario cannot be run, or a step's outcome differs from the file."""


@dataclasses.dataclass
class Failure:
    """A refused call: its error code and ``retry_after``; ``harness`` for a driver that
    could not even convert the step (matches no expectation)."""

    code: str
    retry_after: Optional[int]
    message: str

    HARNESS = "harness"

    @classmethod
    def of(cls, err: mfa_core.MfaError) -> Failure:
        return cls(err.code, getattr(err, "retry_after", None), err.message)

    @classmethod
    def harness(cls, message: str) -> Failure:
        return cls(cls.HARNESS, None, message)


class Harness(Exception):
    """Raised inside the driver for an argument it cannot convert."""


# ---- JSON helpers --------------------------------------------------------------------------


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def to_json(value: Any) -> Any:
    """A result of the API as JSON data, times as absolute Unix seconds."""
    if isinstance(value, mfa_core.MfaError):
        raise TypeError("errors are not results")
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime):
        return int(value.timestamp())
    if isinstance(value, dt.timedelta):
        return int(value.total_seconds())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, mfa_core.Checkpoint):  # a named tuple: its fields by name
        return {k: to_json(v) for k, v in value._asdict().items()}
    if isinstance(value, Mapping):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return value


def relativise(value: Any) -> Any:
    """Every integer under a TIME_KEYS key, at any depth, minus T0 (``null`` stays)."""
    if isinstance(value, dict):
        return {
            k: (v - T0 if k in TIME_KEYS and is_int(v) else relativise(v)) for k, v in value.items()
        }
    if isinstance(value, list):
        return [relativise(v) for v in value]
    return value


def json_equal(a: Any, b: Any) -> bool:
    """Equality as serde_json sees it: ``true`` is not ``1``, ``1`` is not ``1.0``."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    return bool(a == b)


def check(pattern: Any, actual: Any, names: Mapping[str, str], path: str = "") -> None:
    """README "Expectations": raises ScenarioError on the first difference."""
    where = path or "/"

    def differ() -> ScenarioError:
        return ScenarioError(
            f"at {where!r}: expected {json.dumps(pattern)}, got {json.dumps(actual)}"
        )

    if isinstance(pattern, dict):
        # `{"$len": N}` with N a whole number; anything else is an ordinary object pattern.
        if len(pattern) == 1 and is_int(pattern.get("$len")) and pattern["$len"] >= 0:
            n = pattern["$len"]
            if not (isinstance(actual, list) and len(actual) == n):
                raise differ()
            return
        if not isinstance(actual, dict):
            raise differ()
        for key, p in pattern.items():
            if key not in actual:
                raise ScenarioError(f"at {path}/{key!r}: missing key, expected {json.dumps(p)}")
            check(p, actual[key], names, f"{path}/{key}")
        return
    if isinstance(pattern, list):
        if not (isinstance(actual, list) and len(actual) == len(pattern)):
            raise differ()
        for i, (p, v) in enumerate(zip(pattern, actual)):
            check(p, v, names, f"{path}/{i}")
        return
    if isinstance(pattern, str) and pattern.startswith("$"):
        name = pattern[1:]
        if name not in names:
            raise ScenarioError(f"at {where!r}: {pattern} names nothing bound by \"as\"")
        if actual != names[name] or not isinstance(actual, str):
            raise ScenarioError(f"at {where!r}: expected the id of {name}, got {actual!r}")
        return
    if not json_equal(pattern, actual):
        raise differ()


def only_keys(mapping: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    for key in mapping:
        if key not in allowed:
            raise ScenarioError(f"unknown key {key!r} (allowed: {list(allowed)})")


def raw(value: Any) -> Optional[str]:
    """``{"raw": "text"}``: the text as is."""
    if isinstance(value, dict) and len(value) == 1 and isinstance(value.get("raw"), str):
        return str(value["raw"])
    return None


def key_bytes(spec: Any) -> bytes:
    """A key written as ``"first"``, ``"second"``, ``"third"`` or ``{"hex": "..."}``
    (lowercase, two digits a byte, any length)."""
    bad = ScenarioError(f'a key is "first", "second", "third" or {{"hex": text}}, got {json.dumps(spec)}')
    if isinstance(spec, str):
        if spec not in KEYS:
            raise bad
        return KEYS[spec]
    if isinstance(spec, dict):
        only_keys(spec, ("hex",))
        text = spec.get("hex")
        if not (isinstance(text, str) and HEX.fullmatch(text)):
            raise bad
        return bytes.fromhex(text)
    raise bad


def without_secret(uri: str) -> str:
    """An otpauth URI without its ``secret=...&`` parameter."""
    start = uri.find("secret=")
    if start < 0:
        return uri
    end = uri.find("&", start)
    if end >= 0:
        return uri[:start] + uri[end + 1 :]
    head = uri[:start]
    return head[:-1] if head.endswith("&") else head


# ---- the driver: the public API, JSON in and out --------------------------------------------


class Args:
    """Typed access to a step's resolved arguments (``null`` is absent); a missing or mistyped
    argument is a harness failure, as in the Rust CoreDriver."""

    def __init__(self, args: Mapping[str, Any]) -> None:
        self.args = args

    def get(self, key: str) -> Any:
        return self.args.get(key)

    def _typed(self, key: str, what: str, ok: Callable[[Any], bool]) -> Any:
        value = self.get(key)
        if value is not None and not ok(value):
            raise Harness(f"{key!r} must be {what}, got {json.dumps(value)}")
        return value

    def _required(self, key: str, value: Any) -> Any:
        if value is None:
            raise Harness(f"missing argument {key!r}")
        return value

    def opt_str(self, key: str) -> Optional[str]:
        return self._typed(key, "a string", lambda v: isinstance(v, str))  # type: ignore[no-any-return]

    def str(self, key: str) -> str:
        return self._required(key, self.opt_str(key))  # type: ignore[no-any-return]

    def opt_u64(self, key: str) -> Optional[int]:
        return self._typed(key, "a whole number", lambda v: is_int(v) and 0 <= v <= U64_MAX)  # type: ignore[no-any-return]

    def opt_bool(self, key: str) -> Optional[bool]:
        return self._typed(key, "true or false", lambda v: isinstance(v, bool))  # type: ignore[no-any-return]

    def strings(self, key: str) -> list[str]:
        ok = lambda v: isinstance(v, list) and all(isinstance(s, str) for s in v)  # noqa: E731
        return self._required(key, self._typed(key, "a list of strings", ok))  # type: ignore[no-any-return]


POLICY_FIELDS = {
    "mfa_required": lambda v: isinstance(v, bool),
    "enrollment_window": lambda v: is_int(v) and 0 <= v <= U64_MAX,
    "reset_limit_per_hour": lambda v: is_int(v) and 0 <= v < 2**32,
    "max_failed_verifications": lambda v: is_int(v) and 0 <= v < 2**32,
    "require_step_up": lambda v: isinstance(v, bool),
}


def policy_fields(name: str, value: Any) -> dict[str, Any]:
    """The given fields of a policy object, type-checked."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Harness(f"{name!r} must be an object")
    for key, v in value.items():
        if key not in POLICY_FIELDS:
            raise Harness(f"unknown policy field {key!r}")
        if v is None or not POLICY_FIELDS[key](v):
            raise Harness(f"policy field {key!r} has the wrong type: {json.dumps(v)}")
    return dict(value)


def policy(value: Any) -> mfa_core.Policy:
    """A policy from any subset of its fields; the others keep the documented defaults."""
    return mfa_core.Policy(**policy_fields("policy", value))


class PythonDriver:
    """Replays scenarios against ``mfa_core.Core``: a new in-memory store (``path`` None), the
    scenario's store file or its PostgreSQL URL, opened with ``key`` and a manual clock at ``now``."""

    def __init__(self, path: Location, key: bytes, now: int) -> None:
        self.core = mfa_core.Core.open(":memory:" if path is None else path, key, manual_clock=now)
        # The store is on the engine the location names.
        on_server = isinstance(path, str) and path.startswith("postgres")
        engine = self.core.info().engine
        if engine != ("postgresql" if on_server else "sqlite"):
            self.core.close()
            raise Harness(f"the store opened on engine {engine}")

    def close(self) -> None:
        self.core.close()

    def set_time(self, unix_seconds: int) -> None:
        self.core.set_time(unix_seconds)

    def call(self, op: str, args: Mapping[str, Any]) -> Any:
        """The op's result in the README's shape with absolute times; raises MfaError on a
        refusal and Harness on an argument it cannot convert."""
        a, c = Args(args), self.core
        reset_options = lambda: dict(  # noqa: E731
            window=a.opt_u64("window"),
            reason=a.opt_str("reason"),
            dry_run=a.opt_bool("dry_run") or False,
            proof=a.opt_str("proof"),
            actor_proof=a.opt_str("actor_proof"),
        )
        if op == "create_org":
            return to_json(c.create_org(a.str("name"), policy(a.get("policy"))))
        if op == "create_user":
            return to_json(c.create_user(a.str("org"), a.str("email"), a.str("role")))
        if op == "get_user":
            return to_json(c.get_user(a.str("user")))
        if op == "list_users":
            return to_json(c.list_users(a.str("org")))
        if op == "set_role":
            return to_json(
                c.set_role(
                    a.str("actor"), a.str("target"), a.str("role"), actor_proof=a.opt_str("actor_proof")
                )
            )
        if op == "disable_user":
            return to_json(
                c.disable_user(a.str("actor"), a.str("target"), actor_proof=a.opt_str("actor_proof"))
            )
        if op == "enable_user":
            return to_json(c.enable_user(a.str("actor"), a.str("target")))
        if op == "update_policy":
            changes = policy_fields("changes", a.get("changes"))
            return to_json(
                c.update_policy(
                    a.str("actor"), a.str("org"), **changes, actor_proof=a.opt_str("actor_proof")
                )
            )
        if op == "info":
            return to_json(c.info())
        if op == "backup":
            return to_json(c.backup(a.str("path")))
        if op == "rotate_key":
            key = a.get("key")
            if not isinstance(key, bytes):
                raise Harness('"key" must be a key')
            return to_json(c.rotate_key(key))
        if op == "delete_user":
            c.delete_user(a.str("actor"), a.str("target"), actor_proof=a.opt_str("actor_proof"))
            return None
        if op == "rename_user":
            return to_json(
                c.rename_user(
                    a.str("actor"), a.str("target"), a.str("email"), actor_proof=a.opt_str("actor_proof")
                )
            )
        if op == "begin_enrollment":
            e = c.begin_enrollment(a.str("user"))
            return {"secret": e.secret, "uri": e.uri}
        if op == "confirm_enrollment":
            return {"recovery_codes": list(c.confirm_enrollment(a.str("user"), a.str("code")))}
        if op == "regenerate_recovery_codes":
            codes = c.regenerate_recovery_codes(a.str("user"), a.str("proof"))
            return {"recovery_codes": list(codes)}
        if op == "verify":
            return to_json(c.verify(a.str("user"), a.str("code")))
        if op == "mfa_status":
            return to_json(c.mfa_status(a.str("user")))
        if op == "reset_mfa":
            return to_json(c.reset_mfa(a.str("actor"), a.str("target"), **reset_options()))
        if op == "reset_mfa_many":
            targets = a.strings("targets")
            outcomes = c.reset_mfa_many(a.str("actor"), targets, **reset_options())
            return [outcome(o) for o in outcomes]
        if op == "audit_events":
            limit = a.opt_u64("limit")
            return to_json(
                c.audit_events(
                    after_seq=a.opt_u64("after_seq"),
                    # As the Rust driver: a limit past u32 is the largest u32 (refused by the core).
                    limit=None if limit is None else min(limit, 2**32 - 1),
                    actor=a.opt_str("actor"),
                    target=a.opt_str("target"),
                    action=a.opt_str("action"),
                )
            )
        if op == "audit_checkpoint":
            return to_json(c.audit_checkpoint())
        if op == "verify_audit":
            checkpoint = a.get("checkpoint")
            if checkpoint is None:
                return to_json(c.verify_audit())
            return to_json(c.verify_audit((checkpoint["seq"], checkpoint["mac"])))
        raise Harness(f"PythonDriver has no op {op!r}")


def outcome(o: mfa_core.ResetOutcome) -> dict[str, Any]:
    """One ``reset_mfa_many`` outcome: ``{"ok": receipt}`` or ``{"error": code}`` (+
    ``retry_after``)."""
    if o.error is None:
        return {"ok": to_json(o.receipt)}
    if isinstance(o.error, mfa_core.RateLimited):
        return {"error": o.error.code, "retry_after": o.error.retry_after}
    return {"error": o.error.code}


# ---- the runner ----------------------------------------------------------------------------


class Replay:
    """One scenario in progress: the driver, the clock, and what steps bound by name.
    ``driver`` is None after a ``reopen`` that failed, until one succeeds; ``path`` is the
    store (file or URL) of a ``"store": "file"`` scenario."""

    def __init__(self, driver: PythonDriver, path: Location) -> None:
        self.driver: Optional[PythonDriver] = driver
        self.path = path
        self.now = T0
        self.names: dict[str, str] = {}
        self.secrets: dict[str, str] = {}
        self.recovery_codes: dict[str, list[str]] = {}
        self.checkpoints: dict[str, dict[str, Any]] = {}

    def step(self, step: Mapping[str, Any]) -> None:
        if "advance" in step:
            only_keys(step, ("advance",))
            if not is_int(step["advance"]):
                raise ScenarioError('"advance" must be an integer')
            return self.set_clock(self.now + step["advance"])
        if "at" in step:
            only_keys(step, ("at",))
            if not is_int(step["at"]):
                raise ScenarioError('"at" must be an integer')
            return self.set_clock(T0 + step["at"])
        if "reopen" in step:
            only_keys(step, ("reopen", "expect"))
            reopen = step["reopen"]
            if not isinstance(reopen, dict):
                raise ScenarioError('"reopen" must be an object')
            only_keys(reopen, ("key",))
            if "key" not in reopen:
                raise ScenarioError('"reopen" needs a "key"')
            failure = self.reopen(key_bytes(reopen["key"]))
            return self.expect("reopen", step.get("expect"), None, failure)
        only_keys(step, ("op", "args", "as", "expect"))
        op = step.get("op")
        if not isinstance(op, str):
            raise ScenarioError('a step needs "op", "advance", "at" or "reopen"')
        if op not in OPS:
            raise ScenarioError(f"unknown op {op!r}")
        args = step.get("args", {})
        if not isinstance(args, dict):
            raise ScenarioError('"args" must be an object')
        result, failure = self.call(op, args)
        if failure is not None and failure.code == Failure.HARNESS:
            raise ScenarioError(f"{op}: the driver could not run the step: {failure.message}")
        self.expect(op, step.get("expect"), result, failure)
        if "as" in step:
            name = step["as"]
            if not isinstance(name, str):
                raise ScenarioError('"as" must be a string')
            if op in CHECKPOINT_OPS:
                if not (failure is None and isinstance(result, dict) and "seq" in result and "mac" in result):
                    raise ScenarioError(f'{op}: "as" needs a checkpoint')
                self.checkpoints[name] = result
                return None
            bound = result.get("id") if failure is None and isinstance(result, dict) else None
            if not isinstance(bound, str):
                raise ScenarioError(f'{op}: "as" needs a result with an "id"')
            self.names[name] = bound
        return None

    def set_clock(self, t: int) -> None:
        """Without an open handle (after a failed ``reopen``) only the scenario's clock moves:
        the next ``reopen`` starts the store's clock there."""
        self.now = t
        if self.driver is None:
            return
        try:
            self.driver.set_time(t)
        except mfa_core.MfaError as err:
            raise ScenarioError(f"set_time({t}) failed: {err.code}: {err}") from err

    def reopen(self, key: bytes) -> Optional[Failure]:
        """Closes the handle (if one is open) and opens the store file again with ``key`` and a
        manual clock at the scenario's current time; returns the open's refusal, if any."""
        if self.path is None:
            raise ScenarioError('"reopen" needs a scenario with "store": "file"')
        if self.driver is not None:
            self.driver.close()
            self.driver = None
        try:
            self.driver = PythonDriver(self.path, key, self.now)
        except mfa_core.MfaError as err:
            return Failure.of(err)
        return None

    def open_driver(self) -> PythonDriver:
        if self.driver is None:
            raise Harness('no store is open: the last "reopen" failed')
        return self.driver

    def call(self, op: str, args: Mapping[str, Any]) -> tuple[Any, Optional[Failure]]:
        resolved = self.resolve(args)
        user = args.get("user") if isinstance(args.get("user"), str) else None
        try:
            if op == "enroll":
                if user is None:
                    raise ScenarioError('enroll needs a "user" NAME')
                result = self.enroll(user, resolved)
            else:
                result = self.keep_secrets(op, user, self.open_driver().call(op, resolved))
        except mfa_core.MfaError as err:
            return None, Failure.of(err)
        except Harness as err:
            return None, Failure.harness(str(err))
        return relativise(result), None

    def enroll(self, user: str, args: Mapping[str, Any]) -> Any:
        begun = self.open_driver().call("begin_enrollment", args)
        self.keep_secrets("begin_enrollment", user, begun)
        confirm = dict(args, code=totp(self.secrets[user], self.now))
        confirmed = self.open_driver().call("confirm_enrollment", confirm)
        return self.keep_secrets("confirm_enrollment", user, confirmed)

    def keep_secrets(self, op: str, user: Optional[str], result: Any) -> Any:
        """Remembers a secret or recovery codes under the user's NAME and returns the result as
        the README compares it, without them."""
        if op == "begin_enrollment":
            if user is not None:
                self.secrets[user] = result["secret"]
            return {"uri": without_secret(result["uri"])}
        if op in ("confirm_enrollment", "regenerate_recovery_codes"):
            codes = result["recovery_codes"]
            if user is not None:
                self.recovery_codes[user] = codes
            return {"recovery_codes": len(codes)}
        return result

    def resolve(self, args: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in args.items():
            if value is None:
                out[key] = None
            elif key in ID_ARGS:
                out[key] = self.id(value)
            elif key == "targets":
                if not isinstance(value, list):
                    raise ScenarioError('"targets" must be a list')
                out[key] = [self.id(v) for v in value]
            elif key in CODE_ARGS:
                out[key] = self.code(value)
            elif key == "key":
                out[key] = key_bytes(value)
            elif key == "checkpoint":
                out[key] = self.checkpoint(value)
            else:
                out[key] = value
        return out

    def checkpoint(self, value: Any) -> dict[str, Any]:
        """A checkpoint: a NAME bound by ``as``, or ``{"seq": N, "mac": text}`` as written."""
        if isinstance(value, str):
            if value not in self.checkpoints:
                raise ScenarioError(f"{value!r} is not a bound checkpoint")
            return self.checkpoints[value]
        if not (
            isinstance(value, dict)
            and is_int(value.get("seq"))
            and 0 <= value["seq"] <= U64_MAX
            and isinstance(value.get("mac"), str)
        ):
            raise ScenarioError(f'a checkpoint is a NAME or {{"seq", "mac"}}, got {json.dumps(value)}')
        only_keys(value, ("seq", "mac"))
        return dict(value)

    def id(self, value: Any) -> str:
        if isinstance(value, str):
            if value not in self.names:
                raise ScenarioError(f'{value!r} is not bound by "as"')
            return self.names[value]
        text = raw(value)
        if text is None:
            raise ScenarioError(f'an id is a NAME or {{"raw": text}}, got {json.dumps(value)}')
        return text

    def code(self, spec: Any) -> str:
        bad = ScenarioError(f"a code is {{totp}}, {{wrong_totp}}, {{recovery}} or {{raw}}, got {spec}")
        if not isinstance(spec, dict):
            raise bad

        def secret_of(name: Any) -> str:
            if not isinstance(name, str):
                raise bad
            if name not in self.secrets:
                raise ScenarioError(f"{name!r} has begun no enrollment")
            return self.secrets[name]

        if "totp" in spec:
            only_keys(spec, ("totp", "offset"))
            offset = spec.get("offset", 0)
            if not is_int(offset):
                raise ScenarioError('"offset" must be an integer')
            return totp(secret_of(spec["totp"]), self.now, offset)
        if "wrong_totp" in spec:
            only_keys(spec, ("wrong_totp",))
            return wrong_totp(secret_of(spec["wrong_totp"]), self.now)
        if "recovery" in spec:
            only_keys(spec, ("recovery", "index"))
            name, index = spec["recovery"], spec.get("index")
            if not isinstance(name, str):
                raise bad
            if not (is_int(index) and index >= 0):
                raise ScenarioError('"recovery" needs an "index"')
            if name not in self.recovery_codes:
                raise ScenarioError(f"{name!r} has no recovery codes")
            codes = self.recovery_codes[name]
            if index >= len(codes):
                raise ScenarioError(f"{name!r} has no code {index}")
            return codes[index]
        text = raw(spec)
        if text is None:
            raise bad
        return text

    def expect(self, op: str, expect: Any, result: Any, failure: Optional[Failure]) -> None:
        got = f"ok {json.dumps(result)}" if failure is None else f"error {failure.code}: {failure.message}"
        if expect is None:
            if failure is not None:
                raise ScenarioError(f"{op}: expected success, got {got}")
            return
        if not isinstance(expect, dict):
            raise ScenarioError('"expect" must be an object')
        if "ok" in expect:
            only_keys(expect, ("ok",))
            if failure is not None:
                raise ScenarioError(f"{op}: expected ok {json.dumps(expect['ok'])}, got {got}")
            try:
                check(expect["ok"], result, self.names)
            except ScenarioError as err:
                raise ScenarioError(f"{op}: {err}; result {json.dumps(result)}") from None
            return
        only_keys(expect, ("error", "retry_after"))
        code = expect.get("error")
        if not isinstance(code, str):
            raise ScenarioError('"expect" needs "ok" or "error"')
        retry_after = expect.get("retry_after")
        if retry_after is not None and not (is_int(retry_after) and retry_after >= 0):
            raise ScenarioError('"retry_after" must be a whole number')
        if failure is None or failure.code != code or (
            retry_after is not None and failure.retry_after != retry_after
        ):
            raise ScenarioError(f"{op}: expected error {code} (retry_after {retry_after}), got {got}")


def run_file(path: Path) -> None:
    """Replays one file on a fresh store (a new in-memory one, or a new file in a temporary
    folder for ``"store": "file"``; on PostgreSQL, see ``postgres_location``); raises
    ScenarioError naming the file and step."""
    try:
        scenario = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ScenarioError(f"{path.name}: cannot read: {err}") from err
    if not isinstance(scenario, dict):
        raise ScenarioError(f"{path.name}: a scenario is a JSON object")
    only_keys(scenario, ("name", "covers", "store", "steps"))
    name, covers, steps = scenario.get("name"), scenario.get("covers"), scenario.get("steps")
    store = scenario.get("store", "memory")
    if not isinstance(name, str):
        raise ScenarioError(f'{path.name}: "name" must be a string')
    if not (isinstance(covers, list) and covers and all(isinstance(c, str) for c in covers)):
        raise ScenarioError(f'{path.name}: "covers" must list at least one section or seed')
    if store not in ("memory", "file"):
        raise ScenarioError(f'{path.name}: "store" must be "memory" or "file", got {json.dumps(store)}')
    if not (isinstance(steps, list) and all(isinstance(s, dict) for s in steps)):
        raise ScenarioError(f'{path.name}: "steps" must be a list of objects')
    on_server = postgres_location(path)
    folder = tempfile.TemporaryDirectory(prefix="mfa-scenario-") if store == "file" and on_server is None else None
    try:
        store_file: Location = None if folder is None else Path(folder.name) / STORE_FILE
        # A memory scenario cannot reopen, even on the server.
        reopens: Location = (on_server or store_file) if store == "file" else None
        replay = Replay(PythonDriver(on_server or store_file, KEY, T0), reopens)
        try:
            for i, step in enumerate(steps):
                try:
                    replay.step(step)
                except ScenarioError as err:
                    raise ScenarioError(f"{path.name} step {i} ({name!r}): {err}") from None
        finally:
            if replay.driver is not None:
                replay.driver.close()
    finally:
        # After the handle is closed: the store file outlives it.
        if folder is not None:
            folder.cleanup()
