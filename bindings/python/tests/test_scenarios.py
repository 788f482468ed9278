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
