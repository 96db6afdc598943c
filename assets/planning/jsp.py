"""Standard job-shop instance files (JSPLIB / Taillard "standard" format) and their conversion.

First line ``n_jobs n_machines``; then one line per job of ``machine duration`` pairs in
processing order, machines numbered from 0. Blank lines and ``#`` comments are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from assets.planning.problem import Job, Operation, Problem
from fabstack.errors import FabError


@dataclass(frozen=True)
class JspInstance:
    name: str
    n_jobs: int
    n_machines: int
    jobs: tuple[tuple[tuple[int, int], ...], ...]  # per job: (machine, duration) in order


# Bounds that keep parsing and the CP-SAT model small and its horizon far from int64:
# JSPLIB's largest instances are 100 jobs x 20 machines (2,000 operations) with durations < 100.
MAX_JOBS = 10_000
MAX_MACHINES = 1_000
MAX_OPERATIONS = 20_000
MAX_DURATION = 10**9
MAX_TOTAL_DURATION = 2**40
MAX_FILE_BYTES = 64 * 2**20
ASCII_INT = re.compile(r"[+-]?[0-9]+")  # int() also takes '٣' and '1_000': not in this format


def _ints(path: Path, line_no: int, text: str) -> list[int]:
    tokens = text.split()
    bad = next((tok for tok in tokens if not ASCII_INT.fullmatch(tok)), None)
    if bad is not None:
        raise FabError(f"{path}:{line_no}: not an integer: {bad!r}")
    return [int(tok) for tok in tokens]


def _bounded(path: Path, line_no: int, what: str, value: int, limit: int) -> None:
    """``what`` names the value, e.g. '12 jobs' or 'job 3 operation 1: duration 7'."""
    if value > limit:
        raise FabError(f"{path}:{line_no}: {what} is above the limit of {limit:,}")


def parse_jsp(path: str | Path) -> JspInstance:
    """Parse a job-shop file; any problem is a FabError naming the file and line."""
    path = Path(path)
    if not path.is_file():
        raise FabError(f"{path}: instance file does not exist")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise FabError(f"{path}: instance file of {size:,} bytes is above {MAX_FILE_BYTES:,}")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FabError(f"{path}: cannot read instance file: {exc}") from None
    lines = [(i, ln.split("#", 1)[0].strip()) for i, ln in enumerate(text.splitlines(), start=1)]
    lines = [(i, ln) for i, ln in lines if ln]
    if not lines:
        raise FabError(f"{path}:1: empty instance file, expected header 'n_jobs n_machines'")
    header_no, header = lines[0]
    values = _ints(path, header_no, header)
    if len(values) != 2 or min(values) <= 0:
        raise FabError(
            f"{path}:{header_no}: bad header {header!r}, expected two positive integers "
            "'n_jobs n_machines'"
        )
    n_jobs, n_machines = values
    _bounded(path, header_no, f"{n_jobs} jobs", n_jobs, MAX_JOBS)
    _bounded(path, header_no, f"{n_machines} machines", n_machines, MAX_MACHINES)
    body = lines[1:]
    operations = total_duration = 0
    if len(body) < n_jobs:
        last = body[-1][0] if body else header_no
        raise FabError(
            f"{path}:{last}: header announces {n_jobs} jobs but the file has {len(body)} job lines"
        )
    if len(body) > n_jobs:
        raise FabError(f"{path}:{body[n_jobs][0]}: extra line after the {n_jobs} announced jobs")
    jobs = []
    for job_index, (line_no, line) in enumerate(body):
        vals = _ints(path, line_no, line)
        if len(vals) == 0 or len(vals) % 2:
            raise FabError(
                f"{path}:{line_no}: job {job_index}: expected 'machine duration' "
                f"pairs, got {len(vals)} numbers"
            )
        ops = []
        for k in range(0, len(vals), 2):
            machine, duration = vals[k], vals[k + 1]
            if not 0 <= machine < n_machines:
                raise FabError(
                    f"{path}:{line_no}: job {job_index} operation {k // 2}: machine "
                    f"index {machine} out of range 0..{n_machines - 1}"
                )
            if duration < 0:
                raise FabError(
                    f"{path}:{line_no}: job {job_index} operation {k // 2}: negative "
                    f"duration {duration}"
                )
            where = f"job {job_index} operation {k // 2}"
            _bounded(path, line_no, f"{where}: duration {duration}", duration, MAX_DURATION)
            operations += 1
            total_duration += duration
            _bounded(path, line_no, f"{operations} operations", operations, MAX_OPERATIONS)
            _bounded(
                path,
                line_no,
                f"total duration {total_duration}",
                total_duration,
                MAX_TOTAL_DURATION,
            )
            ops.append((machine, duration))
        jobs.append(tuple(ops))
    return JspInstance(path.stem, n_jobs, n_machines, tuple(jobs))


def jsp_problem(instance: JspInstance) -> Problem:
    """The classic job shop as the special case of the fab model: one eligible machine per step."""
    jobs = [
        Job(f"J{j}", tuple(Operation(f"J{j}", k, ((f"M{m}", d),)) for k, (m, d) in enumerate(ops)))
        for j, ops in enumerate(instance.jobs)
    ]
    return Problem(jobs=jobs, machines=[f"M{m}" for m in range(instance.n_machines)], time_unit="")
