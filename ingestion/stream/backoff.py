"""Exponential backoff with full jitter, for reconnect loops."""

from __future__ import annotations

import random


class Backoff:
    def __init__(self, initial: float = 0.2, maximum: float = 30.0, factor: float = 2.0) -> None:
        self.initial, self.maximum, self.factor = initial, maximum, factor
        self.attempt = 0

    def next_delay(self) -> float:
        """The next wait: ``initial * factor**attempt`` capped, scaled by a random 50-100 %."""
        ceiling = min(self.maximum, self.initial * self.factor ** min(self.attempt, 64))
        self.attempt += 1  # capped exponent above: a long outage must not overflow the float
        return ceiling * random.uniform(0.5, 1.0)

    def reset(self) -> None:
        self.attempt = 0
