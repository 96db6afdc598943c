"""HSMS link settings shared by the host and the simulated equipment."""

from __future__ import annotations

import contextlib

import secsgem.gem
import secsgem.hsms


def hsms_timeouts(settings: secsgem.hsms.HsmsSettings, reply_s: float, reconnect_s: float) -> None:
    """Short reply (T3) and reconnect (T5) times: a cut link is noticed and retried quickly."""
    settings.timeouts.t3 = reply_s
    # secsgem waits int(T5) whole seconds between connect attempts: below 1 s it does not wait
    settings.timeouts.t5 = max(1, round(reconnect_s))


def watch_link(handler: secsgem.gem.GemHandler, on_lost=None) -> None:
    """The library leaves the GEM communication state COMMUNICATING when the TCP link drops;
    without this a reconnect never repeats S1F13."""

    def lost(_data) -> None:
        with contextlib.suppress(Exception):
            if handler.communication_state.current.name == "COMMUNICATING":
                handler.communication_state.communicationfail()
        if on_lost:
            on_lost()

    handler.protocol.events.disconnected += lost
