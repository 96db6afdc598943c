"""GEM host load: N simulated tools (fab50's GEM default map) each tracing its SVIDs at 1 Hz
into the host over real HSMS/TCP, plus a state event per tool every 10 s. Reports readings
fed vs landed (distinct keys), publish-to-commit p50/p99 (equipment time -> commit) and the
host process's CPU per 1,000 readings/s. ``--cut-tools K --cut-s S`` cuts K tools' links for S
seconds in the middle (through a TCP proxy) and checks nothing is lost or doubled.

Tools and host share this process (the equipment's CPU is counted too: an upper bound).
Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from ingestion.gem.equipment import SimulatedTool
from ingestion.plant import default_gem, load_plant
from tests.conftest import drop_database, free_port, migrated_and_seeded
from tests.integration.gem_support import CuttableLink, HostThread


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tools", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--cut-tools", type=int, default=10)
    parser.add_argument("--cut-s", type=float, default=30.0)
    args = parser.parse_args()
    plant = load_plant("fab50")
    specs = default_gem(plant, 1).tools[: args.tools]
    dsn = migrated_and_seeded("fab50")
    tools, links, host_specs = [], [], []
    for i, spec in enumerate(specs):
        tool_port = free_port()
        if i < args.cut_tools:
            link_port = free_port()
            links.append(CuttableLink(link_port, tool_port))
            spec = spec.model_copy(update={"port": link_port})
        else:
            spec = spec.model_copy(update={"port": tool_port})
        tool = SimulatedTool(spec, port=tool_port)
        tool.start()
        tools.append(tool)
        host_specs.append(spec)
    fed = 0
    try:
        with tempfile.TemporaryDirectory() as tmp, HostThread(host_specs, dsn, Path(tmp)) as host:
            deadline = time.monotonic() + 150
            while not all(link.ready.is_set() for link in host.links.values()):
                if time.monotonic() > deadline:
                    raise SystemExit("GEM set-up did not finish in 150 s")
                time.sleep(0.2)
            cpu0, wall0 = _cpu(), time.monotonic()
            cut_at = args.seconds / 2 - args.cut_s / 2
            cut = False
            for second in range(args.seconds):
                tick = wall0 + second
                time.sleep(max(0.0, tick - time.monotonic()))
                if links and not cut and second >= cut_at:
                    for link in links:
                        link.cut()
                    cut, cut_end = True, second + args.cut_s
                if cut and links and second >= cut_end:
                    for link in links:
                        link.heal()
                    links_healed, links[:] = list(links), []
                ts = datetime.now(UTC)
                for tool in tools:
                    tool.sample(ts, {s.metric: 1.0 for s in tool.spec.svids.values()})
                    fed += len(tool.spec.svids)
                    if second % 10 == 0:
                        tool.state_changed(ts, "RUNNING", "RUN")
            span = time.monotonic() - wall0
            with psycopg.connect(dsn) as conn:
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline:
                    landed = conn.execute("SELECT count(*) FROM landing.sensor_reading").fetchone()[
                        0
                    ]
                    if landed >= fed:
                        break
                    time.sleep(0.5)
            cpu = _cpu() - cpu0
            p50, p99 = host.pipeline.stats.lag_percentiles()
    finally:
        for tool in tools:
            tool.stop()
        for link in locals().get("links_healed", []) + links:
            link.close()
        drop_database(dsn)
    rate = fed / span
    figures = {
        "tools": args.tools,
        "svids_per_tool": round(fed / args.tools / args.seconds, 1),
        "seconds": args.seconds,
        "readings_fed": fed,
        "readings_landed": landed,
        "lost": fed - landed,
        "cut_tools": args.cut_tools,
        "cut_s": args.cut_s,
        "lag_p50_ms": round(p50 or 0),
        "lag_p99_ms": round(p99 or 0),
        "readings_per_s": round(rate),
        "cpu_s_per_1000_readings_per_s": round(cpu / span / (rate / 1000), 3),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
