"""TimescaleDB mode without a TimescaleDB: the version gate, the migration's SQL and the
backfill's choice of path (the SQL itself runs on a real TimescaleDB in the integration suite)."""

from __future__ import annotations

import re

import pytest

from fabstack.errors import FabError
from ingestion.landing.migrate import MIGRATIONS_DIR, discover
from ingestion.landing.timescale import check_version, parse_version, q
from ingestion.simulator.backfill import _hours_covering, day_strategy

HYPERTABLES = [
    "sensor_reading",
    "machine_state",
    "production_count",
    "lot_move",
    "alarm",
    "process_measurement",
    "inspection",
    "defect",
    "interlock_event",
    "quarantine_log",
]


def _timescale_sql() -> str:
    return next(m for m in discover(MIGRATIONS_DIR, "timescale") if m.version == 11).sql(
        "timescale"
    )


@pytest.mark.parametrize("version", ["2.10.3", "2.9.0", "1.7.5"])
def test_releases_before_2_11_are_refused_by_name(version: str) -> None:
    with pytest.raises(FabError, match=rf"^timescaledb {re.escape(version)}: 2\.11 or later"):
        check_version(version, allow_unfixed=True)


@pytest.mark.parametrize("version", ["2.17.2", "2.18.0", "2.11.0"])
def test_releases_with_issue_7672_are_refused_unless_allowed(version: str) -> None:
    with pytest.raises(FabError, match=rf"timescaledb {re.escape(version)}: 2\.18\.1 .*#7672"):
        check_version(version)
    check_version(version, allow_unfixed=True)  # the anti-join carries it


@pytest.mark.parametrize("version", ["2.18.1", "2.19.3", "2.22.0-dev", "3.0"])
def test_fixed_releases_pass(version: str) -> None:
    check_version(version)


def test_unreadable_version_is_one_line() -> None:
    assert parse_version("2.19.3") == (2, 19, 3)
    with pytest.raises(FabError, match="cannot read extension version 'x'"):
        check_version("x")


def test_compose_pins_a_fixed_release() -> None:
    from tests.conftest import REPO

    image = re.search(
        r"image: timescale/timescaledb:(\S+)-pg", (REPO / "docker-compose.yml").read_text()
    )
    check_version(image[1])


def test_every_hypertable_gets_explicit_segmentby_and_orderby() -> None:
    text = _timescale_sql()
    for table in HYPERTABLES:
        match = re.search(
            rf"ALTER TABLE landing\.{table} SET \(timescaledb\.compress,\s*"
            r"timescaledb\.compress_segmentby = '([^']*)',\s*"
            r"timescaledb\.compress_orderby = '([^']*)'\);",
            text,
        )
        assert match, f"{table}: no explicit compression settings"
        segmentby, orderby = match[1], match[2]
        assert orderby.endswith("ts DESC")
        assert "_id" not in segmentby or segmentby.startswith("machine_id")
    assert "compress_segmentby = 'inspection_id" not in text  # per-row id: one batch per row


def test_retention_uses_drop_chunks_and_the_rollup_refuses_to_fake_it() -> None:
    text = _timescale_sql()
    assert "FROM drop_chunks(h, older_than => p_before::timestamp AT TIME ZONE 'UTC')" in text
    assert "SELECT 0" not in text
    refresh = text[text.index("FUNCTION landing.refresh_sensor_reading_hourly") :]
    assert "RAISE EXCEPTION" in refresh


def test_rollup_refresh_is_a_top_level_call() -> None:
    assert "CALL refresh_continuous_aggregate('landing.sensor_reading_hourly'" in q(
        "refresh_hourly"
    )
    assert "alter_job(j.job_id, scheduled => %(scheduled)s)" in q("set_jobs_scheduled")


@pytest.mark.parametrize(
    ("mode", "empty", "expected"),
    [
        ("native", True, "attach"),
        ("timescale", True, "copy"),
        ("native", False, "staged"),
        ("timescale", False, "staged"),
    ],
)
def test_backfill_path_per_mode(mode: str, empty: bool, expected: str) -> None:
    assert day_strategy(mode, empty) == expected


def test_rollup_window_covers_whole_hours() -> None:
    assert _hours_covering(3600 * 5 + 10, 3600 * 7 + 1) == (3600 * 5, 3600 * 8)
    assert _hours_covering(3600.0, 7200.0) == (3600.0, 7200.0)
