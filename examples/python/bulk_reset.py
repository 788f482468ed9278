"""Reset the MFA of many users at once, from a CSV of emails or user ids.

An admin script over mfa_core: every line's user is reset by ``--actor`` (an owner or admin of
the org), with the same rules and audit trail as a single reset. Refusals do not stop the run;
a summary table of outcomes by code is printed at the end, and the exit status is 1 if any
line failed (0 when all succeeded, 2 for a usage or setup error).

    python examples/python/bulk_reset.py users.csv --db mfa.db --key-file mfa.key \\
        --actor 0190a1b2-... --reason "ticket 4711" --window 72h --dry-run

The CSV holds one user per line in its first column: an email (looked up in the actor's org)
or a user id. A first line of ``email``, ``id``, ``user`` or ``user_id`` is a header; blank
lines and lines starting with ``#`` are skipped. The store and key come from the options or
from the environment variables ``mfa-admin`` reads: ``--db`` or ``MFA_CORE_DB``; ``--key-file``
or ``MFA_CORE_KEY_FILE`` (a key file, 32 raw bytes or 64 hex digits, read by
``mfa_core.load_key``), or else ``MFA_CORE_KEY`` (64 hex digits).
"""

from __future__ import annotations

import argparse
import collections
import csv
import datetime as dt
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn, Optional, Sequence

from tqdm import tqdm

import mfa_core

HEADERS = {"email", "id", "user", "user_id"}
#: Users per `reset_mfa_many` call: small enough for a lively progress bar; each target is its
#: own transaction in the core either way.
BATCH = 50
#: The outcome name of a successful line.
RESET, WOULD_RESET = "reset", "would reset"


@dataclass(frozen=True)
class Line:
    """One user of the CSV: where it was and what it said."""

    number: int
    text: str


@dataclass(frozen=True)
class Result:
    line: Line
    outcome: str  # RESET, WOULD_RESET or an error code
    detail: str


def parse_window(text: str) -> dt.timedelta:
    """``3600``, ``90s``, ``15m``, ``72h`` or ``7d``; the core checks the range."""
    match = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (use e.g. 3600, 90m, 72h or 7d)")
    unit = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
    try:
        return dt.timedelta(seconds=int(match.group(1)) * unit)
    except OverflowError:
        raise argparse.ArgumentTypeError(f"duration too long: {text!r}") from None


def setup_error(message: str) -> NoReturn:
    """Stops the run before any reset, with exit status 2."""
    print(f"bulk_reset: {message}", file=sys.stderr)
    raise SystemExit(2)


def read_key(key_file: Optional[Path]) -> bytes:
    """The 32-byte master key, from a key file or ``MFA_CORE_KEY`` (hex), not both."""
    hex_key = os.environ.get("MFA_CORE_KEY")
    if key_file is not None and hex_key is not None:
        setup_error("both a key file and MFA_CORE_KEY are given: pass one key")
    if key_file is not None:
        try:
            return mfa_core.load_key(key_file)
        except mfa_core.MfaError as err:
            setup_error(f"{err.code}: {err}")
    if not hex_key:
        setup_error("give --key-file, or set MFA_CORE_KEY_FILE or MFA_CORE_KEY")
    try:
        key = bytes.fromhex(hex_key.strip(" \t\r\n"))
    except ValueError:
        key = b""
    if len(key) != 32:
        setup_error("MFA_CORE_KEY must be 64 hex digits")
    return key


def read_lines(path: str) -> list[Line]:
    """The users of the CSV (``-`` for standard input), with their line numbers."""
    handle = sys.stdin if path == "-" else open(path, newline="", encoding="utf-8")
    with handle:
        lines = []
        for number, row in enumerate(csv.reader(handle), start=1):
            text = row[0].strip() if row else ""
            if not text or text.startswith("#"):
                continue
            if number == 1 and text.lower() in HEADERS:
                continue
            lines.append(Line(number, text))
    return lines


def resolve(core: mfa_core.Core, org: str, line: Line) -> str:
    """An email's user id in the actor's org; an id as written (the core checks it)."""
    if "@" in line.text:
        return core.find_user_by_email(org, line.text).id
    return line.text


def run(core: mfa_core.Core, args: argparse.Namespace, lines: Sequence[Line]) -> list[Result]:
    actor = core.get_user(args.actor)
    results: list[Result] = []
    pending: list[tuple[Line, str]] = []
    # A step-up proof is spent by the first call that uses it: with one, everything is one call.
    batch = mfa_core.MAX_BULK_TARGETS if args.actor_proof else BATCH
    with tqdm(total=len(lines), unit="user", desc="dry run" if args.dry_run else "resetting", file=sys.stderr) as bar:

        def flush() -> None:
            outcomes = core.reset_mfa_many(
                actor.id,
                [target for _, target in pending],
                window=args.window,
                reason=args.reason,
                dry_run=args.dry_run,
                actor_proof=args.actor_proof,
            )
            for (line, _), outcome in zip(pending, outcomes):
                if outcome.error is None:
                    results.append(Result(line, WOULD_RESET if args.dry_run else RESET, ""))
                else:
                    results.append(Result(line, outcome.error.code, outcome.error.message))
            bar.update(len(pending))
            pending.clear()

        for line in lines:
            try:
                pending.append((line, resolve(core, actor.org, line)))
            except mfa_core.MfaError as err:
                results.append(Result(line, err.code, err.message))
                bar.update(1)
            if len(pending) == batch:
                flush()
        if pending:
            flush()
    results.sort(key=lambda r: r.line.number)
    return results


def summary(results: Sequence[Result]) -> str:
    """A table of outcomes by code, then every failed line."""
    counts = collections.Counter(r.outcome for r in results)
    width = max([len("outcome"), *(len(k) for k in counts)])
    rows = [f"{'outcome':<{width}}  count", f"{'-' * width}  -----"]
    ok = [k for k in (RESET, WOULD_RESET) if k in counts]
    for outcome in ok + sorted(k for k in counts if k not in ok):
        rows.append(f"{outcome:<{width}}  {counts[outcome]:>5}")
    rows.append(f"{'total':<{width}}  {len(results):>5}")
    failed = [r for r in results if r.outcome not in (RESET, WOULD_RESET)]
    if failed:
        rows.append("")
        rows.append("failed lines:")
        rows.extend(f"  line {r.line.number}: {r.line.text}: {r.outcome}: {r.detail}" for r in failed)
    return "\n".join(rows)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("csv", help="CSV of user emails or ids, one per line ('-' for stdin)")
    db, key_file = os.environ.get("MFA_CORE_DB"), os.environ.get("MFA_CORE_KEY_FILE")
    parser.add_argument(
        "--db", required=db is None, default=db, type=Path, help="the mfa-core SQLite file (default: $MFA_CORE_DB)"
    )
    parser.add_argument(
        "--key-file", default=key_file, type=Path, help="key file, raw or hex (default: $MFA_CORE_KEY_FILE)"
    )
    parser.add_argument("--actor", required=True, help="id of the owner or admin doing the resets")
    parser.add_argument("--reason", help="why, stored in every reset's audit event")
    parser.add_argument("--window", type=parse_window, help="time to re-enroll, e.g. 72h (default: the org's)")
    parser.add_argument("--actor-proof", help="the actor's current code, if the org requires step-up")
    parser.add_argument("--dry-run", action="store_true", help="check every line, change and record nothing")
    args = parser.parse_args(argv)

    if not args.db.is_file():
        print(f"bulk_reset: no database at {args.db}", file=sys.stderr)
        return 2
    key = read_key(args.key_file)
    lines = read_lines(args.csv)
    try:
        with mfa_core.Core.open(args.db, key) as core:
            results = run(core, args, lines)
    except mfa_core.MfaError as err:
        print(f"bulk_reset: {err.code}: {err}", file=sys.stderr)
        return 2
    print(summary(results))
    return 0 if all(r.outcome in (RESET, WOULD_RESET) for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
