"""The `fab` console script: --help everywhere, one-line errors with exit 2, the db commands."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import typer.main
import typer.testing

from fabcli.main import app
from tests.conftest import REPO, server_mode

FAB = [sys.executable, "-m", "fabcli.main"]


def fab(*args: str, env: dict[str, str] | None = None, home: Path) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("FAB_")}
    full_env.update({"FAB_HOME": str(home), "NO_COLOR": "1", "COLUMNS": "160"})
    full_env.update(env or {})
    return subprocess.run(
        [*FAB, *args], capture_output=True, text=True, env=full_env, cwd=REPO, timeout=120
    )


def _all_command_paths(group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = []
    for name, cmd in group.commands.items():
        paths.append(prefix + (name,))
        if hasattr(cmd, "commands"):  # a group (typer vendors its own click classes)
            paths += _all_command_paths(cmd, prefix + (name,))
    return paths


def test_every_subcommand_has_help() -> None:
    root = typer.main.get_command(app)
    paths = _all_command_paths(root)
    assert ("services", "status") in paths and ("db", "migrate") in paths and ("demo",) in paths
    runner = typer.testing.CliRunner()
    for path in paths:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, path
        assert "Usage" in result.output


def test_db_commands_against_a_real_database(empty_db: str, tmp_path: Path) -> None:
    env = {"FAB_PG_DSN": empty_db}
    mode = server_mode()  # native here; timescale when FAB_TEST_PG_DSN is a TimescaleDB
    migrated = fab("db", "migrate", env=env, home=tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    assert f"applied 0001 reference ({mode})" in migrated.stdout
    again = fab("db", "migrate", env=env, home=tmp_path)
    assert f"up to date ({mode} mode)" in again.stdout
    seeded = fab("db", "seed", "--plant", "demo", env=env, home=tmp_path)
    assert seeded.returncode == 0, seeded.stderr
    assert "seeded plant demo" in seeded.stdout
    status = fab("db", "status", env=env, home=tmp_path)
    assert f"landing zone ({mode} mode)" in status.stdout
    unit = "chunks" if mode == "timescale" else "partitions"
    assert "sensor_reading" in status.stdout and unit in status.stdout
    retention = fab("db", "retention", "--keep-days", "30", env=env, home=tmp_path)
    assert retention.returncode == 0, retention.stderr
    assert f"dropped 0 {unit}" in retention.stdout  # nothing older than 30 days yet
    with psycopg.connect(empty_db) as conn:
        assert conn.execute("SELECT count(*) FROM landing.machine").fetchone()[0] == 10


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (("db", "seed", "--plant", "atlantis"), {}, "unknown plant 'atlantis'"),
        (
            ("db", "migrate"),
            {"FAB_PG_DSN": "postgresql://postgres@127.0.0.1:1/fab"},
            "FAB_PG_DSN: nothing answers at postgresql://postgres@127.0.0.1:1/fab",
        ),
        (("services", "status"), {"FAB_MQTT_URL": "http://x"}, "FAB_MQTT_URL:"),
        (("db", "retention", "--keep-days", "0"), {}, "Invalid value"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, env, expected, empty_db, tmp_path) -> None:
    result = fab(*args, env={"FAB_PG_DSN": empty_db, **env}, home=tmp_path)
    assert result.returncode == 2, result
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1  # click's usage errors too


def test_bad_plant_file_writes_nothing(empty_db: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    text = (REPO / "ingestion/plants/demo.yaml").read_text()
    broken.write_text(text.replace("{id: ETCH-02, type: ETCH", "{id: ETCH-01, type: ETCH"))
    env = {"FAB_PG_DSN": empty_db}
    assert fab("db", "migrate", env=env, home=tmp_path).returncode == 0
    result = fab("db", "seed", "--plant", str(broken), env=env, home=tmp_path)
    assert result.returncode == 2
    assert "duplicate id 'ETCH-01' in machines" in result.stderr
    with psycopg.connect(empty_db) as conn:
        assert conn.execute("SELECT count(*) FROM landing.site").fetchone()[0] == 0


def test_services_status_names_each_service(tmp_path: Path, empty_db: str) -> None:
    result = fab("services", "status", env={"FAB_PG_DSN": empty_db}, home=tmp_path)
    assert result.returncode == 0, result.stderr
    for role in ("landing zone", "broker", "warehouse", "OPC UA"):
        assert role in result.stdout
    assert "configured" in result.stdout and "chDB" in result.stdout
