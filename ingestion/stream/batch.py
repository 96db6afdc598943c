"""A batch of rows on its way to the landing zone, with the acknowledgements it owes."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field


@dataclass(slots=True)
class Batch:
    rows: defaultdict[str, list[tuple]] = field(default_factory=lambda: defaultdict(list))
    dead_letters: list[tuple] = field(default_factory=list)
    acks: list[tuple[int, int, int]] = field(default_factory=list)  # (epoch, mid, qos)
    messages: int = 0
    row_count: int = 0
    interlocks: int = 0
    first_arrival: float | None = None  # time.monotonic() of the first message
    machine_ts: list[float] = field(default_factory=list)  # epoch s of message ts (lag)

    def touch(self) -> None:
        self.messages += 1
        if self.first_arrival is None:
            self.first_arrival = time.monotonic()

    def add_rows(self, table: str, rows: list[tuple]) -> None:
        if rows:
            self.rows[table].extend(rows)
            self.row_count += len(rows)

    @property
    def empty(self) -> bool:
        return self.messages == 0 and not self.row_count and not self.dead_letters

    def age(self) -> float:
        return 0.0 if self.first_arrival is None else time.monotonic() - self.first_arrival
