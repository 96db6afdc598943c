"""Late data next to rows already landed: every new row lands, whatever the mode.

Each write path gets [duplicate, new] and then [new, duplicate, new] for a day that already
holds readings. On TimescaleDB that day's chunk is compressed first: before 2.18.1
``INSERT ... ON CONFLICT DO NOTHING`` stopped at the first duplicate in a compressed chunk and
dropped the rest of the batch (timescale/timescaledb#7672); the anti-joins must carry it.
The paths: the sink (staged and optimistic COPY), the backfill's staged insert, and plain SQL.
There is no bulk import module on this branch yet; add it here when one lands.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from psycopg import sql

from ingestion.landing.db import storage_mode
from ingestion.simulator.backfill import insert_new_readings
from ingestion.sink import LandingSink
from tests.conftest import server_mode

DAY = (datetime.now(UTC) - timedelta(days=10)).replace(hour=0, minute=0, second=0, microsecond=0)
OLD = [(DAY + timedelta(minutes=m), "ETCH-01", "temperature", float(m), 0) for m in range(60)]


def _reading(minute: int, value: float) -> tuple:
    return (DAY + timedelta(minutes=minute, seconds=30), "ETCH-01", "temperature", value, 0)


def _via_sink(conn: psycopg.Connection, rows: list[tuple]) -> None:
    LandingSink(conn).write("sensor_reading", rows)


def _via_sink_optimistic(conn: psycopg.Connection, rows: list[tuple]) -> None:
    LandingSink(conn).write_optimistic("sensor_reading", rows)


def _via_backfill(conn: psycopg.Connection, rows: list[tuple]) -> None:
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS _late_stage "
            "(LIKE landing.sensor_reading INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        with cur.copy("COPY _late_stage (ts, machine_id, metric, value, quality) FROM STDIN") as cp:
            for row in rows:
                cp.write_row(row)
        insert_new_readings(cur, sql.SQL("_late_stage"), DAY, DAY + timedelta(days=1))


def _via_sql(conn: psycopg.Connection, rows: list[tuple]) -> None:
    """The anti-join in plain SQL, as an operator would write a manual correction."""
    with conn.transaction():
        conn.execute(
            """INSERT INTO landing.sensor_reading (ts, machine_id, metric, value, quality)
               SELECT s.ts, s.machine_id, s.metric, s.value, s.quality
               FROM unnest(%(ts)s::timestamptz[], %(m)s::text[], %(k)s::text[],
                           %(v)s::float8[], %(q)s::int[])
                    AS s(ts, machine_id, metric, value, quality)
               WHERE NOT EXISTS (
                   SELECT 1 FROM landing.sensor_reading r
                   WHERE (r.machine_id, r.metric, r.ts) = (s.machine_id, s.metric, s.ts))
               ON CONFLICT DO NOTHING""",
            dict(zip(("ts", "m", "k", "v", "q"), map(list, zip(*rows, strict=True)), strict=True)),
        )


PATHS = {
    "sink": _via_sink,
    "sink_optimistic": _via_sink_optimistic,
    "backfill": _via_backfill,
    "sql": _via_sql,
}


def _compress_day(conn: psycopg.Connection) -> int:
    """Compress the chunks holding the old rows; returns how many are compressed now."""
    with conn.transaction():
        conn.execute(
            "SELECT compress_chunk(c, if_not_compressed => true) "
            "FROM show_chunks('landing.sensor_reading') c"
        )
    return conn.execute(
        "SELECT count(*) FROM timescaledb_information.chunks "
        "WHERE hypertable_schema = 'landing' AND hypertable_name = 'sensor_reading' "
        "AND is_compressed"
    ).fetchone()[0]


def _check_every_new_row_lands(dsn: str, write, compress: bool) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        LandingSink(conn).write("sensor_reading", OLD)
        if compress:
            assert _compress_day(conn) >= 1
        first = [OLD[5], _reading(5, 1.5)]
        second = [_reading(6, 2.5), OLD[7], _reading(8, 3.5)]
        write(conn, first)
        write(conn, second)
        write(conn, second)  # redelivered: lands nothing more
        rows = conn.execute(
            "SELECT ts, machine_id, metric, value, quality FROM landing.sensor_reading "
            "WHERE ts >= %s AND ts < %s ORDER BY ts",
            (DAY, DAY + timedelta(days=1)),
        ).fetchall()
    new = [first[1], second[0], second[2]]
    assert len(rows) == len(OLD) + len(new)
    landed = set(rows)
    assert all(r in landed for r in new), "a new row next to a duplicate was lost"
    assert all(r in landed for r in OLD)  # duplicates did not overwrite


@pytest.mark.parametrize("path", list(PATHS))
def test_late_rows_land_next_to_duplicates_in_either_mode(landing_dsn: str, path: str) -> None:
    """Runs here on plain PostgreSQL; on TimescaleDB the day's chunk is compressed first."""
    with psycopg.connect(landing_dsn) as conn:
        compress = storage_mode(conn) == "timescale"
    _check_every_new_row_lands(landing_dsn, PATHS[path], compress)


@pytest.mark.skipif(
    server_mode() != "timescale",
    reason="the timescaledb extension is not installed on FAB_TEST_PG_DSN's server "
    "(set FAB_TEST_PG_DSN to a TimescaleDB to run it)",
)
@pytest.mark.parametrize("path", list(PATHS))
def test_late_rows_land_next_to_compressed_duplicates_on_timescaledb(
    landing_dsn: str, path: str
) -> None:
    with psycopg.connect(landing_dsn) as conn:
        assert storage_mode(conn) == "timescale"
    _check_every_new_row_lands(landing_dsn, PATHS[path], compress=True)
