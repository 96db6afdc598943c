"""The scheduling problem as plain data: jobs of ordered operations, machines and their calendars.

Times are integers in one unit (minutes for the fab, the instance's own unit for job-shop files),
counted from the plan start (t = 0). A classic job shop is the special case where every operation
has exactly one eligible machine, no calendar, no setups and no due dates.
"""

from __future__ import annotations

from dataclasses import dataclass, field

OpKey = tuple[str, int]  # (job id, step number)


@dataclass(frozen=True)
class Operation:
    """One step of a job: run on exactly one of ``alternatives`` = ((machine, duration), ...)."""

    job: str
    step: int
    alternatives: tuple[tuple[str, int], ...]
    family: str = ""  # recipe family, for sequence-dependent setups
    fixed: tuple[str, int] | None = None  # (machine, start): in progress or frozen
    recipe: str = ""
    wafers: int = 0

    @property
    def key(self) -> OpKey:
        return (self.job, self.step)

    def duration_on(self, machine: str) -> int | None:
        return next((d for m, d in self.alternatives if m == machine), None)


@dataclass(frozen=True)
class Job:
    """A job (a lot): operations in route order, release, optional due date and a weight."""

    job_id: str
    operations: tuple[Operation, ...]
    release: int = 0
    due: int | None = None
    weight: int = 1


@dataclass
class Problem:
    jobs: list[Job]
    machines: list[str]
    # machine -> unavailable [start, end) windows (breaks, off-shift, exceptions, maintenance)
    downtime: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    # (machine, from_family, to_family) -> setup time; missing pairs mean 0
    setup: dict[tuple[str, str, str], int] = field(default_factory=dict)
    # machine -> family it is set up for at t = 0
    initial_family: dict[str, str] = field(default_factory=dict)
    time_unit: str = "min"

    def setup_time(self, machine: str, from_family: str, to_family: str) -> int:
        if not from_family or from_family == to_family:
            return 0
        return self.setup.get((machine, from_family, to_family), 0)

    @property
    def operations(self) -> list[Operation]:
        return [op for job in self.jobs for op in job.operations]

    @property
    def has_due_dates(self) -> bool:
        return any(job.due is not None for job in self.jobs)


@dataclass(frozen=True)
class Slot:
    """One scheduled operation."""

    job: str
    step: int
    machine: str
    start: int
    end: int
    setup: int = 0  # setup time just before this operation on its machine
    family: str = ""
    frozen: bool = False

    @property
    def key(self) -> OpKey:
        return (self.job, self.step)
