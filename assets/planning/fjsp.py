"""Flexible job-shop instance files (the standard ``.fjs`` format of Brandimarte, Hurink and
Dauzère-Pérès) and their conversion into the fab's scheduling problem.

First line ``n_jobs n_machines [average machines per operation]``; then one line per job:
the number of operations, then per operation the number k of eligible machines followed by k
``machine duration`` pairs, machines numbered from 1. Blank lines are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assets.planning.problem import Job, Operation, Problem
from fabstack.errors import FabError

Alternatives = tuple[tuple[int, int], ...]  # (machine index from 0, duration)


@dataclass(frozen=True)
class FjspInstance:
    name: str
    n_jobs: int
    n_machines: int
    jobs: tuple[tuple[Alternatives, ...], ...]  # per job, per operation: its alternatives


def _int(path: Path, line_no: int, token: str, what: str) -> int:
    try:
        return int(token)
    except ValueError:
        raise FabError(f"{path}:{line_no}: {what}: not an integer: {token!r}") from None


def _read_lines(path: Path) -> list[tuple[int, str]]:
    if not path.is_file():
        raise FabError(f"{path}: instance file does not exist")
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise FabError(f"{path}: cannot read instance file: {exc}") from None
    return [(i, ln.strip()) for i, ln in enumerate(text.splitlines(), start=1) if ln.strip()]


def _job(path: Path, line_no: int, job: int, tokens: list[str], n_machines: int):
    where = f"{path}:{line_no}: job {job}"
    n_ops = _int(path, line_no, tokens[0], f"job {job}: operation count")
    if n_ops <= 0:
        raise FabError(f"{where}: operation count must be > 0, got {n_ops}")
    pos, ops = 1, []
    while pos < len(tokens):
        k = _int(path, line_no, tokens[pos], f"job {job} operation {len(ops)}: machine count")
        if k <= 0:
            raise FabError(f"{where} operation {len(ops)}: zero eligible machines")
        pairs = tokens[pos + 1 : pos + 1 + 2 * k]
        if len(pairs) < 2 * k:
            raise FabError(
                f"{where} operation {len(ops)}: announces {k} machines but the line ends "
                f"after {len(pairs) // 2}"
            )
        alts = []
        for i in range(k):
            what = f"job {job} operation {len(ops)}"
            machine = _int(path, line_no, pairs[2 * i], f"{what}: machine")
            duration = _int(path, line_no, pairs[2 * i + 1], f"{what}: duration")
            if not 1 <= machine <= n_machines:
                raise FabError(
                    f"{where} operation {len(ops)}: machine index {machine} out of range "
                    f"1..{n_machines}"
                )
            if duration < 0:
                raise FabError(f"{where} operation {len(ops)}: negative duration {duration}")
            alts.append((machine - 1, duration))
        ops.append(tuple(alts))
        pos += 1 + 2 * k
    if len(ops) != n_ops:
        raise FabError(f"{where}: announces {n_ops} operations but the line has {len(ops)}")
    return tuple(ops)


def parse_fjsp(path: str | Path) -> FjspInstance:
    """Parse an .fjs file; any problem is a FabError naming the file, line and field."""
    path = Path(path)
    lines = _read_lines(path)
    if not lines:
        raise FabError(f"{path}:1: empty instance file, expected header 'n_jobs n_machines'")
    header_no, header = lines[0]
    tokens = header.split()
    if len(tokens) < 2:
        raise FabError(f"{path}:{header_no}: bad header {header!r}, expected 'n_jobs n_machines'")
    n_jobs = _int(path, header_no, tokens[0], "header n_jobs")
    n_machines = _int(path, header_no, tokens[1], "header n_machines")
    if n_jobs <= 0 or n_machines <= 0:
        raise FabError(
            f"{path}:{header_no}: bad header {header!r}, expected two positive integers "
            "'n_jobs n_machines'"
        )
    body = lines[1:]
    if len(body) != n_jobs:
        at = body[n_jobs][0] if len(body) > n_jobs else (body[-1][0] if body else header_no)
        raise FabError(f"{path}:{at}: header announces {n_jobs} jobs but the file has {len(body)}")
    jobs = tuple(
        _job(path, line_no, j, line.split(), n_machines) for j, (line_no, line) in enumerate(body)
    )
    return FjspInstance(path.stem, n_jobs, n_machines, jobs)


def fjsp_problem(instance: FjspInstance) -> Problem:
    """Each operation may run on any of its machines, with that machine's duration."""
    jobs = [
        Job(
            f"J{j}",
            tuple(
                Operation(f"J{j}", k, tuple((f"M{m}", d) for m, d in alts))
                for k, alts in enumerate(ops)
            ),
        )
        for j, ops in enumerate(instance.jobs)
    ]
    return Problem(jobs=jobs, machines=[f"M{m}" for m in range(instance.n_machines)], time_unit="")
