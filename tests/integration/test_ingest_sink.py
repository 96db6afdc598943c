"""The landing sink: staging that a failed batch cannot poison, landing that does not rest on
ON CONFLICT (TimescaleDB's compressed-chunk bug), and conflicting duplicates kept by name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import psycopg
import pytest

from ingestion.sink import TABLE_COLUMNS, UNIQUE_KEYS, LandingSink

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


def _state(second: int, state: str = "IDLE", seq: int = 1) -> tuple:
    return (T0 + timedelta(seconds=second), "ETCH-01", state, "X", seq)


def _count(dsn: str, query: str, params: tuple = ()) -> int:
    with psycopg.connect(dsn) as conn:
        return conn.execute(query, params).fetchone()[0]


def test_a_refused_batch_does_not_poison_the_staging_table(landing_dsn):
    """Issue 18 break 1: seq 2**70 is refused, then B, C, D must all land (before, only C did:
    the staging table was marked made although its CREATE had been rolled back)."""
    with psycopg.connect(landing_dsn, autocommit=True) as conn:
        sink = LandingSink(conn)
        with pytest.raises(psycopg.errors.NumericValueOutOfRange):
            sink.write_many({"machine_state": [_state(0, seq=2**70)]})
        for second in (1, 2, 3):
            assert sink.write_many({"machine_state": [_state(second)]}) == {"machine_state": 1}
    assert _count(landing_dsn, "SELECT count(*) FROM landing.machine_state") == 3


def test_unique_keys_are_the_tables_unique_constraints(landing_dsn):
    with psycopg.connect(landing_dsn) as conn:
        for table, key in UNIQUE_KEYS.items():
            rows = conn.execute(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'u'",
                (f"landing.{table}",),
            ).fetchall()
            assert [r[0] for r in rows] == [f"UNIQUE ({', '.join(key)})"], table
            assert set(key) <= set(TABLE_COLUMNS[table])


def test_landing_skips_existing_keys_without_relying_on_on_conflict(landing_dsn):
    """Issue 17 item 1: on TimescaleDB 2.17.2, ON CONFLICT DO NOTHING into a compressed chunk
    drops the rest of the batch at the first duplicate. Here the unique constraint is removed,
    so ON CONFLICT catches nothing (as there): only the anti-join and the in-batch dedupe keep
    [dup, new1, new2] and [new3, dup, new4, new4] exactly once."""
    with psycopg.connect(landing_dsn, autocommit=True) as conn:
        conn.execute(
            "ALTER TABLE landing.machine_state DROP CONSTRAINT machine_state_machine_id_ts_key"
        )
        sink = LandingSink(conn)
        assert sink.write("machine_state", [_state(0)]) == 1
        assert sink.write("machine_state", [_state(0), _state(1), _state(2)]) == 2
        assert sink.write("machine_state", [_state(3), _state(0), _state(4), _state(4)]) == 2
    assert _count(landing_dsn, "SELECT count(*) FROM landing.machine_state") == 5
    assert _count(landing_dsn, "SELECT count(DISTINCT ts) FROM landing.machine_state") == 5


def test_conflicting_duplicate_is_dead_lettered_with_its_own_kind(landing_dsn):
    """Issue 18 break 5: same key, different value: neither landed nor lost (before: dropped)."""
    with psycopg.connect(landing_dsn, autocommit=True) as conn:
        sink = LandingSink(conn)
        first = (T0, "ETCH-01", "pressure", 30.0, 0)
        assert sink.write_many({"sensor_reading": [first]}, source="mqtt")["sensor_reading"] == 1
        again = [first, (T0, "ETCH-01", "pressure", 31.5, 0), (T0, "ETCH-01", "pressure", 32.0, 0)]
        for _ in range(2):  # a re-delivery keeps each conflicting row once
            landed = sink.write_many({"sensor_reading": again}, source="mqtt")
            assert landed["sensor_reading"] == 0
    with psycopg.connect(landing_dsn) as conn:
        rows = conn.execute(
            "SELECT source, topic, payload, error, dedupe_key FROM landing.dead_letter ORDER BY id"
        ).fetchall()
        assert conn.execute("SELECT value FROM landing.sensor_reading").fetchall() == [(30.0,)]
    assert len(rows) == 2
    assert {orjson.loads(r[2])["row"]["value"] for r in rows} == {31.5, 32.0}
    for source, topic, payload, error, key in rows:
        assert (source, topic) == ("mqtt", "sensor_reading")
        assert error.startswith("conflicting_duplicate: sensor_reading: ")
        assert "machine_id='ETCH-01'" in error and "\n" not in error
        assert key and orjson.loads(payload)["table"] == "sensor_reading"


def test_in_batch_conflict_keeps_the_first_and_dead_letters_the_other(landing_dsn):
    with psycopg.connect(landing_dsn, autocommit=True) as conn:
        sink = LandingSink(conn)
        batch = [_state(5, "IDLE"), _state(5, "DOWN")]
        assert sink.write_many({"machine_state": batch}, source="mqtt") == {
            "machine_state": 1,
            "dead_letter": 1,
        }
    assert (
        _count(landing_dsn, "SELECT count(*) FROM landing.machine_state WHERE state = 'IDLE'") == 1
    )
    assert (
        _count(
            landing_dsn,
            "SELECT count(*) FROM landing.dead_letter WHERE payload LIKE %s",
            ("%DOWN%",),
        )
        == 1
    )


def test_a_table_without_a_declared_key_takes_it_from_the_catalog(landing_dsn, monkeypatch):
    """A producer that adds a landing table (and its TABLE_COLUMNS) lands it exactly once too."""
    monkeypatch.delitem(UNIQUE_KEYS, "alarm")
    row = (T0, "ETCH-01", "A1", 3, "door", 1)
    with psycopg.connect(landing_dsn, autocommit=True) as conn:
        sink = LandingSink(conn)
        assert sink.write("alarm", [row, row]) == 1
        assert sink.write("alarm", [row]) == 0
    assert UNIQUE_KEYS["alarm"] == ("machine_id", "alarm_code", "ts")
