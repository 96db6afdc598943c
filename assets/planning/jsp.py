"""Standard job-shop instance files (JSPLIB / Taillard "standard" format) and their conversion.

First line ``n_jobs n_machines``; then one line per job of ``machine duration`` pairs in
processing order, machines numbered from 0. Blank lines and ``#`` comments are skipped.
"""

from __future__ import annotations

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


def _ints(path: Path, line_no: int, text: str) -> list[int]:
    try:
        return [int(tok) for tok in text.split()]
    except ValueError:
        bad = next(tok for tok in text.split() if not tok.lstrip("-").isdigit())
        raise FabError(f"{path}:{line_no}: not an integer: {bad!r}") from None


def parse_jsp(path: str | Path) -> JspInstance:
    """Parse a job-shop file; any problem is a FabError naming the file and line."""
    path = Path(path)
    if not path.is_file():
        raise FabError(f"{path}: instance file does not exist")
    try:
        text = path.read_text()
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
    body = lines[1:]
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
