"""`fab import readings|events`: historian exports into the landing zone (real PostgreSQL)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import psycopg

from tests.conftest import REPO

NOW = datetime.now(UTC).replace(microsecond=0)
T = NOW - timedelta(days=2)


def fab(dsn: str, home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAB_")}
    env.update({"FAB_HOME": str(home), "FAB_PG_DSN": dsn, "NO_COLOR": "1", "COLUMNS": "200"})
    return subprocess.run(
        [sys.executable, "-m", "fabcli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
    )


def _count(dsn: str, sql: str) -> int:
    with psycopg.connect(dsn) as conn:
        return conn.execute(sql).fetchone()[0]


def _dead(dsn: str) -> dict[str, str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT topic, error FROM landing.dead_letter WHERE source = 'import'"
        ).fetchall()
    return {topic.rsplit(":", 1)[1]: error for topic, error in rows}


def test_readings_csv_bom_separator_map_bad_rows_and_idempotence(
    landing_dsn: str, tmp_path: Path
) -> None:
    t = T.isoformat()
    naive = T.replace(tzinfo=None).isoformat()
    lines = [
        "Time;Tool;Tag;Val",
        f"{t};ETCH-01;temperature;175.5",  # 2: lands
        f"{naive};ETCH-01;temperature;175.5",  # 3: naive
        f"{t};ETCH-01;pressure;abc",  # 4: non-numeric
        f"{t};ETCH-01;pressure;NaN",  # 5
        f"{t};ETCH-01;rf_power;1e400",  # 6: overflow
        f"{t};NOPE-9;temperature;1",  # 7: unknown machine
        f"{t};;temperature;1",  # 8: empty machine
        f"{t};ETCH-01;bogus;1",  # 9: unknown metric
        f"{t};ETCH-01;gas_flow;99999",  # 10: out of range
        f"{(T + timedelta(seconds=1)).isoformat().replace('+00:00', 'Z')};ETCH-01;gas_flow;201",
    ]
    path = tmp_path / "pi export.csv"
    path.write_bytes(("\ufeff" + "\n".join(lines) + "\n").encode())
    mapping = tmp_path / "map.yaml"
    mapping.write_text("ts: Time\nmachine: Tool\nmetric: Tag\n")
    args = (
        "import",
        "readings",
        str(path),
        "--separator",
        ";",
        "--column-map",
        str(mapping),
        "-c",
        "value=Val",
    )
    first = fab(landing_dsn, tmp_path, *args)
    assert first.returncode == 0, first.stderr
    assert "landed 2" in first.stdout and "set aside 8" in first.stdout
    assert _count(landing_dsn, "SELECT count(*) FROM landing.sensor_reading") == 2
    dead = _dead(landing_dsn)
    assert dead["3"].startswith("bad_timestamp:") and "naive" in dead["3"]
    assert dead["4"].startswith("non_numeric:") and "'abc'" in dead["4"]
    assert dead["5"].startswith("non_finite:")
    assert dead["6"].startswith("overflow:")
    assert dead["7"].startswith("unknown_machine:") and "NOPE-9" in dead["7"]
    assert dead["8"].startswith("empty_machine:")
    assert dead["9"].startswith("unknown_metric:")
    assert dead["10"].startswith("out_of_range:")
    assert len(dead) == 8
    # the landing sensor sees the imported day
    assert _count(landing_dsn, "SELECT count(*) FROM landing.import_arrival") >= 1

    again = fab(landing_dsn, tmp_path, *args)
    assert again.returncode == 0, again.stderr
    assert "landed 0" in again.stdout and "already there 2" in again.stdout
    assert _count(landing_dsn, "SELECT count(*) FROM landing.sensor_reading") == 2
    assert _count(landing_dsn, "SELECT count(*) FROM landing.dead_letter") == 8
    arrivals = _count(landing_dsn, "SELECT count(*) FROM landing.import_arrival")
    assert arrivals == 2  # a re-run that lands nothing records no arrival


def test_unreadable_tables_exit_2_and_land_nothing(landing_dsn: str, tmp_path: Path) -> None:
    good = tmp_path / "dir" / "a.csv"
    good.parent.mkdir()
    good.write_text(f"ts,machine,metric,value\n{T.isoformat()},ETCH-01,temperature,175\n")
    missing = tmp_path / "dir" / "b.csv"
    missing.write_text(f"ts,machine,value\n{T.isoformat()},ETCH-01,175\n")
    result = fab(landing_dsn, tmp_path, "import", "readings", str(good.parent))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "b.csv" in result.stderr
    assert "missing required column 'metric'" in result.stderr
    assert "Traceback" not in result.stderr
    wrong = tmp_path / "wrong.parquet"
    pl.DataFrame(
        {"ts": [T], "machine": ["ETCH-01"], "metric": ["temperature"], "value": ["175"]}
    ).write_parquet(wrong)
    result = fab(landing_dsn, tmp_path, "import", "readings", str(wrong))
    assert result.returncode == 2 and "'value' is String, expected a number" in result.stderr
    naive = tmp_path / "naive.parquet"
    pl.DataFrame(
        {"ts": [T.replace(tzinfo=None)], "machine": ["ETCH-01"], "metric": ["t"], "value": [1.0]}
    ).write_parquet(naive)
    result = fab(landing_dsn, tmp_path, "import", "readings", str(naive))
    assert result.returncode == 2 and "naive" in result.stderr
    assert _count(landing_dsn, "SELECT count(*) FROM landing.sensor_reading") == 0


def test_readings_parquet_and_events(landing_dsn: str, tmp_path: Path) -> None:
    readings = tmp_path / "r.parquet"
    pl.DataFrame(
        {
            "ts": [T, T + timedelta(seconds=1), T],
            "machine": ["DEP-01", "DEP-01", "DEP-01"],
            "metric": ["temperature", "temperature", "pressure"],
            "value": [400.0, float("nan"), 2.0],
            "quality": [0, 0, 192],
        }
    ).write_parquet(readings)
    result = fab(landing_dsn, tmp_path, "import", "readings", str(readings))
    assert result.returncode == 0, result.stderr
    assert "landed 2" in result.stdout and "set aside 1" in result.stdout
    assert _dead(landing_dsn)["2"].startswith("non_finite:")
    with psycopg.connect(landing_dsn) as conn:
        assert conn.execute(
            "SELECT quality FROM landing.sensor_reading WHERE metric = 'pressure'"
        ).fetchone() == (192,)

    events = tmp_path / "events.csv"
    t = [(T + timedelta(minutes=m)).isoformat() for m in range(6)]
    events.write_text(
        "ts\tmachine\tevent\tcode\tseverity\tmessage\n"
        f"{t[0]}\tCMP-01\tstate\tRUN\t\t\n"
        f"{t[1]}\tCMP-01\tfailure\tVACUUM_LEAK\t\t\n"
        f"{t[2]}\tCMP-01\tmaintenance\tPM\t\t\n"
        f"{t[3]}\tCMP-01\talarm\tTEMP_HIGH\t4\tPad temperature high\n"
        f"{t[4]}\tCMP-01\tfailure\tPM\t\t\n"  # a maintenance reason as a failure
        f"{t[5]}\tCMP-01\talarm\tX\t9\t\n"  # severity out of range
    )
    result = fab(landing_dsn, tmp_path, "import", "events", str(events), "--separator", "tab")
    assert result.returncode == 0, result.stderr
    assert "landed 4" in result.stdout and "set aside 2" in result.stdout
    with psycopg.connect(landing_dsn) as conn:
        states = conn.execute(
            "SELECT state, reason_code FROM landing.machine_state ORDER BY ts"
        ).fetchall()
        alarm = conn.execute("SELECT alarm_code, severity, message FROM landing.alarm").fetchall()
    assert states == [("RUNNING", "RUN"), ("DOWN", "VACUUM_LEAK"), ("MAINTENANCE", "PM")]
    assert alarm == [("TEMP_HIGH", 4, "Pad temperature high")]
    dead = _dead(landing_dsn)
    assert dead["6"].startswith("wrong_reason:") and dead["7"].startswith("out_of_range:")


def test_imported_days_reach_the_landing_sensor(landing_dsn: str, tmp_path: Path) -> None:
    from orchestration.sensors import days_to_run, landing_day_counts

    since = NOW - timedelta(days=7)
    with psycopg.connect(landing_dsn) as conn:
        before = landing_day_counts(conn, "Europe/Berlin", since)
    old = NOW - timedelta(days=40)  # older than the sensor's look-back, still within retention
    path = tmp_path / "old.csv"
    path.write_text(f"ts,machine,metric,value\n{old.isoformat()},ETCH-01,temperature,175\n")
    assert fab(landing_dsn, tmp_path, "import", "readings", str(path)).returncode == 0
    with psycopg.connect(landing_dsn) as conn:
        after = landing_day_counts(conn, "Europe/Berlin", since)
    from zoneinfo import ZoneInfo

    old_day = old.astimezone(ZoneInfo("Europe/Berlin")).date().isoformat()
    assert old_day in days_to_run(before, after, NOW.date())
