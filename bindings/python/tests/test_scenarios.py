"""Every scenario of tests/scenarios/ replayed through the Python API, with the outcomes the
Rust runner expects; and the replay itself is checked to fail where it should."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scenario_replay import SCENARIO_DIR, ScenarioError, check, relativise, run_file, scenario_files

FILES = scenario_files()


def test_the_replay_finds_the_scenario_files() -> None:
    # The Rust replay requires at least 25; the Python one must see the same folder.
    assert len(FILES) >= 25, SCENARIO_DIR


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_scenario(path: Path) -> None:
    run_file(path)


def write(tmp_path: Path, steps: list[object], **top: object) -> Path:
    path = tmp_path / "case.json"
    path.write_text(json.dumps({"name": "case", "covers": ["s4"], "steps": steps, **top}))
    return path


ORG = {"op": "create_org", "args": {"name": "Acme"}, "as": "acme"}


def test_a_wrong_expectation_fails_naming_the_step(tmp_path: Path) -> None:
    path = write(tmp_path, [ORG, {"op": "create_org", "args": {"name": ""}, "expect": {"error": "conflict"}}])
    with pytest.raises(ScenarioError, match=r"step 1 .*expected error conflict.*invalid_input"):
        run_file(path)


def test_a_wrong_result_fails(tmp_path: Path) -> None:
    steps = [ORG, {"op": "create_user", "args": {"org": "acme", "email": "a@b.test", "role": "owner"},
                   "expect": {"ok": {"role": "admin"}}}]  # fmt: skip
    with pytest.raises(ScenarioError, match="/role"):
        run_file(write(tmp_path, steps))


def test_unknown_keys_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="unknown key"):
        run_file(write(tmp_path, [], stepz=[]))
    with pytest.raises(ScenarioError, match="unknown key"):
        run_file(write(tmp_path, [{"op": "create_org", "args": {"name": "A"}, "expct": {}}]))
    with pytest.raises(ScenarioError, match="unknown op"):
        run_file(write(tmp_path, [{"op": "create_orgs"}]))


def test_a_harness_failure_matches_no_expectation(tmp_path: Path) -> None:
    step = {"op": "create_org", "args": {"name": 5}, "expect": {"error": "invalid_input"}}
    with pytest.raises(ScenarioError, match="driver could not run"):
        run_file(write(tmp_path, [step]))


def test_patterns_are_json_exact() -> None:
    check({"a": 1}, {"a": 1, "b": 2}, {})
    for pattern, actual in [({"a": True}, {"a": 1}), ({"a": 1}, {"a": 1.0}), ([{}], [{}, {}]),
                            ({"$len": 2}, [1]), ({"missing": None}, {})]:  # fmt: skip
        with pytest.raises(ScenarioError):
            check(pattern, actual, {})
    check({"$len": -1}, {"$len": -1}, {})  # not a length: an object pattern, as in the Rust runner
    check("$bob", "id-of-bob", {"bob": "id-of-bob"})
    with pytest.raises(ScenarioError):
        check("$bob", "someone-else", {"bob": "id-of-bob"})


def test_times_are_relative_at_any_depth() -> None:
    value = [{"at": 1_700_000_070, "detail": {"deadline": 1_700_003_670, "window": 3600}, "deadline": None}]
    assert relativise(value) == [{"at": 60, "detail": {"deadline": 3660, "window": 3600}, "deadline": None}]


# ---- file stores and reopen (README, "Stores and reopening") ----------------------------------

SETUP = [
    ORG,
    {"op": "create_user", "args": {"org": "acme", "email": "olga@acme.test", "role": "owner"}, "as": "olga"},
    {"op": "create_user", "args": {"org": "acme", "email": "bob@acme.test", "role": "member"}, "as": "bob"},
]
REFUSED = {"reopen": {"key": "second"}, "expect": {"error": "invalid_input"}}


def test_a_file_store_is_opened_again_with_the_clock_where_the_scenario_is(tmp_path: Path) -> None:
    steps = [*SETUP, {"advance": 45}, {"reopen": {"key": "first"}},
             {"op": "get_user", "args": {"user": "bob"}, "expect": {"ok": {"created_at": 0}}},
             {"op": "create_user", "args": {"org": "acme", "email": "carl@acme.test", "role": "member"},
              "expect": {"ok": {"created_at": 45}}}]  # fmt: skip
    run_file(write(tmp_path, steps, store="file"))


def test_memory_scenarios_cannot_reopen_and_store_must_be_memory_or_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r'step 3 .*"store": "file"'):
        run_file(write(tmp_path, [*SETUP, {"reopen": {"key": "first"}}]))
    with pytest.raises(ScenarioError, match='"store" must be'):
        run_file(write(tmp_path, [], store="disk"))


def test_a_reopen_fails_when_its_outcome_differs(tmp_path: Path) -> None:
    step = {"reopen": {"key": "first"}, "expect": {"error": "invalid_input"}}
    with pytest.raises(ScenarioError, match="step 3 .*expected error invalid_input"):
        run_file(write(tmp_path, [*SETUP, step], store="file"))
    with pytest.raises(ScenarioError, match="expected success.*invalid_input"):
        run_file(write(tmp_path, [*SETUP, {"reopen": {"key": "second"}}], store="file"))


def test_after_a_failed_reopen_no_store_is_open_until_one_succeeds(tmp_path: Path) -> None:
    steps = [*SETUP, REFUSED, {"op": "get_user", "args": {"user": "bob"}}]
    with pytest.raises(ScenarioError, match="step 4 .*no store is open"):
        run_file(write(tmp_path, steps, store="file"))
    steps = [*SETUP, REFUSED, {"advance": 30}, {"reopen": {"key": "first"}},
             {"op": "create_user", "args": {"org": "acme", "email": "carl@acme.test", "role": "member"},
              "expect": {"ok": {"created_at": 30}}}]  # fmt: skip
    run_file(write(tmp_path, steps, store="file"))


@pytest.mark.parametrize("key", ["fourth", {"hex": "0G"}, {"hex": "ABCD"}, {"hex": "abc"}, {"hex": "00", "x": 1}, 7,
                                 {"hex": "00 01"}])  # fmt: skip
def test_keys_are_the_three_names_or_lowercase_hex(tmp_path: Path, key: object) -> None:
    with pytest.raises(ScenarioError, match="key"):
        run_file(write(tmp_path, [*SETUP, {"reopen": {"key": key}}], store="file"))
    step = {"op": "rotate_key", "args": {"key": key}, "expect": {"error": "invalid_input"}}
    with pytest.raises(ScenarioError, match="key"):
        run_file(write(tmp_path, [*SETUP, step]))


def test_rotate_key_passes_the_bytes_written(tmp_path: Path) -> None:
    steps: list[object] = [*SETUP, {"op": "rotate_key", "args": {"key": {"hex": "0001"}}, "expect": {"error": "invalid_input"}},
             {"op": "rotate_key", "args": {"key": "first"}, "expect": {"error": "invalid_input"}},
             {"op": "rotate_key", "args": {"key": "second"}, "expect": {"ok": {"seq": 4}}}]  # fmt: skip
    run_file(write(tmp_path, steps))


def test_checkpoints_are_bound_by_as_or_written_out(tmp_path: Path) -> None:
    saved: list[object] = [*SETUP, {"op": "audit_checkpoint", "as": "cp", "expect": {"ok": {"seq": 3}}},
                           {"op": "create_user", "args": {"org": "acme", "email": "carl@acme.test", "role": "member"}}]  # fmt: skip
    verify = {"op": "verify_audit", "args": {"checkpoint": "cp"}, "expect": {"ok": {"ok": True, "checked": 4}}}
    run_file(write(tmp_path, [*saved, verify]))
    with pytest.raises(ScenarioError, match="'cp' is not bound"):
        run_file(write(tmp_path, [*saved, {"op": "get_user", "args": {"user": "cp"}}]))
    with pytest.raises(ScenarioError, match="not a bound checkpoint"):
        run_file(write(tmp_path, [*SETUP, {"op": "verify_audit", "args": {"checkpoint": "bob"}}]))
    rotate = {"op": "rotate_key", "args": {"key": "first"}, "as": "cp", "expect": {"error": "invalid_input"}}
    with pytest.raises(ScenarioError, match="needs a checkpoint"):
        run_file(write(tmp_path, [*SETUP, rotate]))
    for bad in [{"seq": 3}, {"seq": -1, "mac": ""}, {"seq": 3, "mac": "", "at": 0}, 3]:
        with pytest.raises(ScenarioError, match="checkpoint|unknown key"):
            run_file(write(tmp_path, [*SETUP, {"op": "verify_audit", "args": {"checkpoint": bad}}]))
