"""Backfill: simulate N days of history and write it straight into the landing zone.

Events (states, lot moves, counts, measurements, inspections, defects, interlocks) go through
``LandingSink``; sensor readings are binary-COPYed per UTC day:

- an empty day, native mode: into a fresh table, indexed once and attached as the partition;
- an empty day, TimescaleDB: one large COPY straight into the hypertable (the documented bulk
  path: no per-row triggers, the chunk created once), with the compression policy paused for
  the load and resumed after it, so compression follows the load instead of racing it;
- a day that already holds readings (either mode): through a staging table, inserting only keys
  the table lacks (an anti-join), so no new reading rests on ``ON CONFLICT`` inside a compressed
  chunk (timescale/timescaledb#7672).

Afterwards, on TimescaleDB, the continuous aggregate is refreshed over the hours written. A run
is a pure function of (plant, seed, origin): re-running the same window changes nothing, and a
later window with the same seed extends the run.
"""

from __future__ import annotations

import logging
import math
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import psycopg
from psycopg import sql

from fabstack.errors import FabError
from ingestion.landing.db import connect, storage_mode
from ingestion.landing.migrate import ensure_partitions, migrate
from ingestion.landing.seed import seed_plant
from ingestion.landing.timescale import refresh_rollup, set_jobs_scheduled
from ingestion.payloads import make_wafer_id
from ingestion.plant import PlantSpec, load_plant
from ingestion.simulator import pgbinary
from ingestion.simulator.model import WAFERS_PER_LOT, FabModel
from ingestion.simulator.queries import q
from ingestion.simulator.sensors import machine_block
from ingestion.simulator.sort import TEST_PROGRAM as SORT_PROGRAM
from ingestion.simulator.truth import dt, run_id_for, write_truth
from ingestion.sink import LandingSink
from ingestion.sort.landing import land_maps
from ingestion.sort.wafer_maps import WaferMaps

Progress = Callable[[str, float, float], None]  # (what, done, total)
BLOCK_S = 3600.0
INDEX_BUILD_MEMORY = "1GB"  # one day's sorted index build stays in memory
log = logging.getLogger(__name__)


@dataclass
class BackfillSummary:
    run_id: str
    plant: str
    seed: int
    start: datetime
    end: datetime
    written_from: datetime
    rows: dict[str, int] = field(default_factory=dict)
    truth_rows: dict[str, int] = field(default_factory=dict)
    readings: int = 0
    sensor_seconds: float = 0.0
    rollup_seconds: float = 0.0
    seconds: float = 0.0

    @property
    def readings_per_s(self) -> float:
        return self.readings / self.sensor_seconds if self.sensor_seconds else 0.0

    def as_dict(self) -> dict:
        return {
            "run_id": self.run_id,
            "plant": self.plant,
            "seed": self.seed,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "written_from": self.written_from.isoformat(),
            "rows": self.rows,
            "truth_rows": self.truth_rows,
            "readings": self.readings,
            "readings_per_s": round(self.readings_per_s),
            "rollup_seconds": round(self.rollup_seconds, 2),
            "seconds": round(self.seconds, 2),
        }


def default_end(now: datetime | None = None) -> datetime:
    """The last whole hour: re-running within the hour repeats the same window."""
    now = now or datetime.now(UTC)
    return now.replace(minute=0, second=0, microsecond=0)


def check_args(days: float, sensor_rate_hz: float) -> None:
    if not days > 0:
        raise FabError(f"--days: must be > 0, got {days}")
    if not (sensor_rate_hz > 0 and math.isfinite(sensor_rate_hz)):
        raise FabError(f"--rate: must be > 0, got {sensor_rate_hz}")


def run_backfill(
    dsn: str,
    plant: str | PlantSpec,
    days: float,
    seed: int,
    end: datetime | None = None,
    *,
    sensor_rate_hz: float = 1.0,
    progress: Progress | None = None,
) -> BackfillSummary:
    """Simulate ``days`` up to ``end`` (default: the last whole hour) into the landing zone."""
    check_args(days, sensor_rate_hz)
    spec = load_plant(plant) if isinstance(plant, str) else plant
    if end is not None and end.tzinfo is None:
        raise FabError(f"--end: needs a UTC offset, got {end.isoformat()}")
    end_dt = (end or default_end()).astimezone(UTC)
    start_dt = end_dt - timedelta(days=days)
    t_start, t_end = start_dt.timestamp(), end_dt.timestamp()
    progress = progress or (lambda what, done, total: None)
    began = time.perf_counter()
    with connect(dsn) as conn:
        migrate(conn)
        seed_plant(conn, spec)
        conn.commit()
        conn.autocommit = True
        origin, write_from = _resolve_run(conn, spec.plant, seed, t_start, t_end)
        run_id = run_id_for(spec.plant, seed, origin)
        summary = BackfillSummary(run_id, spec.plant, seed, start_dt, end_dt, dt(write_from))
        model = FabModel(spec, seed, origin, horizon=t_end + 86400)
        # 1. events, day by day
        t = model.now
        while t < t_end:
            t = min(t + 86400, t_end)
            model.advance(t)
            progress("events", t - model.origin, t_end - model.origin)
        model.advance(t_end)
        events = model.drain(t_end)
        sink = LandingSink(conn)
        if write_from < t_end:
            ensure_partitions(conn, dt(write_from).date(), dt(t_end).date())
            _write_lots(conn, model, t_end)
            for table, rows in events.items():
                keep = [r for r in rows if write_from <= r[0] < t_end]
                rows_dt = [(dt(r[0]), *r[1:]) for r in keep]
                summary.rows[table] = sink.write(table, rows_dt) if rows_dt else 0
            summary.rows["sort_result"] = _write_sort(conn, model, write_from, t_end)
            # 2. sensors, UTC day by UTC day
            sensor_began = time.perf_counter()
            summary.readings = _write_sensors(
                conn, dsn, model, write_from, t_end, sensor_rate_hz, progress
            )
            summary.sensor_seconds = time.perf_counter() - sensor_began
            summary.rows["sensor_reading"] = summary.readings
            if storage_mode(conn) == "timescale":
                # The aggregate's policy covers only the last 3 days: older hours written here
                # would stay empty. (Native: the daily asset rebuilds the days the pipeline
                # uses; rebuilding all backfilled days here would add ~60% to the load.)
                rollup_began = time.perf_counter()
                lo, hi = _hours_covering(write_from, t_end)
                refresh_rollup(conn, "timescale", dt(lo), dt(hi))
                summary.rollup_seconds = time.perf_counter() - rollup_began
        # 3. truth
        summary.seconds = time.perf_counter() - began
        summary.truth_rows = write_truth(
            conn,
            model,
            run_id=run_id,
            start=t_start,
            end=max(t_end, write_from),
            mode="backfill",
            rate_hz=sensor_rate_hz,
            summary=summary.as_dict(),
        )
    summary.seconds = time.perf_counter() - began
    return summary


SORT_DAYS = 7


def _write_sort(conn: psycopg.Connection, model: FabModel, lo: float, hi: float) -> int:
    """Land the sort maps of wafers finished in [lo, hi) as sort results (die rows); only the
    last ``SORT_DAYS`` of a backfill, as a fab's 700 wafers a day are half a million dies."""
    lo = max(lo, hi - SORT_DAYS * 86400)
    done = [r for r in model.drain_sort() if lo <= r[0] < hi]
    if not done:
        return 0
    maps = WaferMaps(
        [r[2] for r in done],
        [r[5] for r in done],
        [r[1] for r in done],
        [None] * len(done),
        [None] * len(done),
    )
    result = land_maps(
        conn,
        maps,
        source="simulator",
        test_program=SORT_PROGRAM,
        tested_at=[dt(r[0]) for r in done],
    )
    return result.dies_written


def _resolve_run(
    conn: psycopg.Connection, plant: str, seed: int, start: float, end: float
) -> tuple[float, float]:
    """(origin, write_from): extend an earlier run with this seed, or start a new one."""
    runs = conn.execute(
        q("overlapping_runs"), {"plant": plant, "start": dt(start), "end": dt(end)}
    ).fetchall()
    if not runs:
        return start, start
    run_id, run_seed, origin, _, run_end = runs[-1]
    if run_seed != seed:
        raise FabError(
            f"--seed: landing zone already holds run {run_id} (seed {run_seed}) overlapping "
            f"{dt(start).isoformat()}..{dt(end).isoformat()}; use seed {run_seed} or a fresh "
            "database"
        )
    if origin.timestamp() > start:
        raise FabError(
            f"--days: the window starts before run {run_id} began ({origin.isoformat()}); "
            "shorten --days or use a fresh database"
        )
    return origin.timestamp(), max(start, run_end.timestamp())


def _write_lots(conn: psycopg.Connection, model: FabModel, end: float) -> None:
    lots = [lot for lot in model.lots.values() if lot.release < end]
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            q("upsert_lot"),
            [
                (
                    lot.lot_id,
                    lot.product,
                    WAFERS_PER_LOT,
                    lot.priority,
                    lot.hot,
                    dt(lot.release),
                    dt(lot.due),
                    lot.status,
                )
                for lot in lots
            ],
        )
        cur.executemany(
            q("insert_wafer"),
            [
                (make_wafer_id(lot.lot_id, slot), lot.lot_id, slot)
                for lot in lots
                for slot in range(1, WAFERS_PER_LOT + 1)
            ],
        )


def _day_bounds(a: float, b: float) -> list[tuple[float, float]]:
    out = []
    day = math.floor(a / 86400) * 86400.0
    while day < b:
        out.append((max(a, day), min(b, day + 86400)))
        day += 86400
    return out


def _hours_covering(a: float, b: float) -> tuple[float, float]:
    """[a, b) widened to whole hours: a continuous aggregate refreshes whole buckets only."""
    return math.floor(a / 3600) * 3600.0, math.ceil(b / 3600) * 3600.0


def day_strategy(mode: str | None, day_empty: bool) -> str:
    """How one UTC day of readings lands: ``attach`` (native, empty day), ``copy`` (TimescaleDB,
    empty day) or ``staged`` (the day holds readings: anti-join on the unique key)."""
    if not day_empty:
        return "staged"
    return "copy" if mode == "timescale" else "attach"


def _write_sensors(
    conn: psycopg.Connection,
    dsn: str,
    model: FabModel,
    a: float,
    b: float,
    rate: float,
    progress: Progress,
) -> int:
    """Day by day. Native empty days load into a fresh table on ``conn`` while a second
    connection indexes and attaches the previous day, so both CPU-heavy halves run side by side.
    TimescaleDB empty days are one COPY each into the hypertable, compression paused meanwhile."""
    mode = storage_mode(conn)
    total = 0
    paused = set_jobs_scheduled(conn, "policy_compression", False) if mode == "timescale" else 0
    try:
        with connect(dsn, autocommit=True) as other, ThreadPoolExecutor(max_workers=1) as pool:
            pending: Future | None = None
            for lo, hi in _day_bounds(a, b):
                day_start = datetime.fromtimestamp(math.floor(lo / 86400) * 86400, UTC)
                part = f"sensor_reading_p{day_start:%Y%m%d}"
                empty = (
                    _partition_empty(conn, part)
                    if mode == "native"
                    else _day_empty(conn, day_start)
                )
                strategy = day_strategy(mode, empty)
                if strategy == "attach":
                    total += _load_day(conn, model, lo, hi, rate, part, progress, a, b)
                    if pending is not None:
                        pending.result()
                    pending = pool.submit(_attach_day, other, part, day_start)
                elif strategy == "copy":
                    try:
                        total += _copy_direct(conn, model, lo, hi, rate, progress, a, b)
                    except psycopg.errors.UniqueViolation:  # a live writer landed in the day
                        total += _copy_staged(conn, model, lo, hi, rate, progress, a, b)
                else:
                    total += _copy_staged(conn, model, lo, hi, rate, progress, a, b)
            if pending is not None:
                pending.result()
    finally:
        if paused:
            set_jobs_scheduled(conn, "policy_compression", True)
    return total


def _day_empty(conn: psycopg.Connection, day_start: datetime) -> bool:
    bounds = {"lo": day_start, "hi": day_start + timedelta(days=1)}
    return not conn.execute(q("readings_between"), bounds).fetchone()[0]


def _collation_order(conn: psycopg.Connection, names: list[str]) -> list[str]:
    """``names`` sorted as the database sorts text (the unique index's order)."""
    rows = conn.execute("SELECT x FROM unnest(%s::text[]) AS x ORDER BY x", (names,)).fetchall()
    return [r[0] for r in rows]


def _day_tuples(order: dict[str, list[str]], model: FabModel, lo: float, hi: float, rate: float):
    """Binary COPY tuples of [lo, hi) in the unique index's order (machine, metric, ts), so
    the index build at attach finds its input presorted. Values come from hour blocks, so a
    run split at any hour gives the same readings."""
    machines = {m.id: m for m in model.machines.values()}
    for machine_id in order["machines"]:
        m = machines[machine_id]
        times, columns = [], defaultdict(list)
        t = lo
        while t < hi:
            t1 = min(math.floor(t / BLOCK_S) * BLOCK_S + BLOCK_S, hi)
            ts, values = machine_block(model, m, t, t1, rate)
            times.append(ts)
            for metric, v in values.items():
                columns[metric].append(v)
            t = t1
        ts = np.concatenate(times) if times else np.empty(0)
        chunks = [
            pgbinary.sensor_tuples(ts, m.id, metric, np.concatenate(columns[metric]))
            for metric in order[m.type]
        ]
        yield m.index, ts.size * len(chunks), b"".join(chunks)


def _blocks(model: FabModel, lo: float, hi: float, rate: float):
    """Binary COPY tuples, an hour of every machine at a time."""
    t = lo
    while t < hi:
        t1 = min(math.floor(t / BLOCK_S) * BLOCK_S + BLOCK_S, hi)
        chunks, n = [], 0
        for m in model.machines.values():
            ts, values = machine_block(model, m, t, t1, rate)
            for metric, v in values.items():
                chunks.append(pgbinary.sensor_tuples(ts, m.id, metric, v))
                n += ts.size
        yield t1, n, b"".join(chunks)
        t = t1


def _stream(
    cur: psycopg.Cursor,
    target: sql.Composable,
    model,
    lo,
    hi,
    rate,
    progress,
    a,
    b,
    freeze: bool = False,
) -> int:
    n_total = 0
    n_machines = len(model.machines)
    # ask the database how it sorts the names before COPY takes the connection
    order = {"machines": _collation_order(cur.connection, list(model.machines))}
    for mtype, spec in model.types.items():
        order[mtype] = _collation_order(cur.connection, list(spec.sensors))
    options = sql.SQL("FORMAT BINARY, FREEZE" if freeze else "FORMAT BINARY")
    with cur.copy(
        sql.SQL("COPY {} (ts, machine_id, metric, value, quality) FROM STDIN ({})").format(
            target, options
        )
    ) as copy:
        copy.write(pgbinary.HEADER)
        for done, (_, n, data) in enumerate(_day_tuples(order, model, lo, hi, rate), 1):
            copy.write(data)
            n_total += n
            progress("sensors", (lo - a) + (hi - lo) * done / n_machines, b - a)
        copy.write(pgbinary.TRAILER)
    return n_total


def _partition_empty(conn: psycopg.Connection, part: str) -> bool:
    name = f"landing.{part}"
    present = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()[0]
    if not present:
        return True
    return conn.execute(
        sql.SQL("SELECT NOT EXISTS (SELECT 1 FROM landing.{})").format(sql.Identifier(part))
    ).fetchone()[0]


def _load_day(conn, model, lo, hi, rate, part, progress, a, b) -> int:
    """COPY one day into ``{part}_load``, a new table outside the partition tree."""
    new = sql.Identifier(f"{part}_load")
    began = time.perf_counter()
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("SET LOCAL synchronous_commit = off")
        cur.execute(sql.SQL("DROP TABLE IF EXISTS landing.{}").format(new))
        cur.execute(
            sql.SQL(
                "CREATE TABLE landing.{} (LIKE landing.sensor_reading INCLUDING DEFAULTS)"
            ).format(new)
        )
        # FREEZE: the table is new in this transaction, so rows need no later hint-bit pass
        n = _stream(
            cur, sql.SQL("landing.{}").format(new), model, lo, hi, rate, progress, a, b, freeze=True
        )
    log.debug("%s: %d readings copied in %.1fs", part, n, time.perf_counter() - began)
    return n


def _attach_day(conn: psycopg.Connection, part: str, day_start: datetime) -> None:
    """Index the loaded day once (its input is presorted) and swap it in as the partition,
    in one transaction: readers see the whole day or none of it."""
    new = sql.Identifier(f"{part}_load")
    day_end = day_start + timedelta(days=1)
    began = time.perf_counter()
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'")
        cur.execute("SET LOCAL synchronous_commit = off")
        if not _partition_empty(conn, part):  # someone wrote into the day meanwhile: merge
            insert_new_readings(cur, sql.SQL("landing.{}").format(new), day_start, day_end)
            cur.execute(sql.SQL("DROP TABLE landing.{}").format(new))
            return
        # The parent's unique constraint and a CHECK of the day's bounds: ATTACH then adopts
        # the index and skips its validation scan.
        key, bounds = f"{part}_load_key", f"{part}_load_bounds"
        cur.execute(
            sql.SQL(
                "ALTER TABLE landing.{} ADD CONSTRAINT {} UNIQUE (machine_id, metric, ts)"
            ).format(new, sql.Identifier(key))
        )
        cur.execute(
            sql.SQL("ALTER TABLE landing.{} ADD CONSTRAINT {} CHECK (ts >= {} AND ts < {})").format(
                new, sql.Identifier(bounds), sql.Literal(day_start), sql.Literal(day_end)
            )
        )
        cur.execute(sql.SQL("DROP TABLE IF EXISTS landing.{}").format(sql.Identifier(part)))
        cur.execute(
            sql.SQL("ALTER TABLE landing.{} RENAME TO {}").format(new, sql.Identifier(part))
        )
        cur.execute(
            sql.SQL("ALTER INDEX landing.{} RENAME TO {}").format(
                sql.Identifier(key), sql.Identifier(f"{part}_machine_id_metric_ts_key")
            )
        )
        cur.execute(
            sql.SQL(
                "ALTER TABLE landing.sensor_reading ATTACH PARTITION landing.{} "
                "FOR VALUES FROM ({}) TO ({})"
            ).format(sql.Identifier(part), sql.Literal(day_start), sql.Literal(day_end))
        )
        cur.execute(
            sql.SQL("ALTER TABLE landing.{} DROP CONSTRAINT {}").format(
                sql.Identifier(part), sql.Identifier(bounds)
            )
        )
    log.debug("%s: indexed and attached in %.1fs", part, time.perf_counter() - began)


def insert_new_readings(cur: psycopg.Cursor, source: sql.Composable, lo, hi) -> int:
    """Insert the rows of ``source`` whose key the table lacks. The anti-join, bounded to
    [lo, hi) so only that day's chunk or partition is probed, carries correctness; ON CONFLICT
    stays only as a guard against a concurrent writer."""
    cur.execute(
        sql.SQL(
            "INSERT INTO landing.sensor_reading (ts, machine_id, metric, value, quality) "
            "SELECT s.ts, s.machine_id, s.metric, s.value, s.quality FROM {} s "
            "WHERE NOT EXISTS (SELECT 1 FROM landing.sensor_reading r "
            "WHERE r.machine_id = s.machine_id AND r.metric = s.metric AND r.ts = s.ts "
            "AND r.ts >= %(lo)s AND r.ts < %(hi)s) "
            "ON CONFLICT DO NOTHING"
        ).format(source),
        {"lo": lo, "hi": hi},
    )
    return cur.rowcount


def _copy_direct(conn, model, lo, hi, rate, progress, a, b) -> int:
    """One binary COPY of the day straight into the table (TimescaleDB's bulk-load path)."""
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("SET LOCAL synchronous_commit = off")
        return _stream(cur, sql.SQL("landing.sensor_reading"), model, lo, hi, rate, progress, a, b)


def _copy_staged(conn, model, lo, hi, rate, progress, a, b) -> int:
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS _sim_sensor_stage "
            "(LIKE landing.sensor_reading INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        n = _stream(cur, sql.SQL("_sim_sensor_stage"), model, lo, hi, rate, progress, a, b)
        insert_new_readings(cur, sql.SQL("_sim_sensor_stage"), dt(lo), dt(hi))
    return n
