"""`fab import klarf DIR` on the real landing zone: good files land (die index included), a
malformed file goes to the dead letters with file:line: field, a re-run adds nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg

from ingestion.klarf.landing import import_klarf
from tests.unit.test_klarf import DEFECTS, edit, sample


def test_folder_lands_good_files_and_dead_letters_the_bad(landing_dsn: str, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    sample(folder, "1.2", "a.klarf")
    edit(sample(folder, "1.8", "b.klarf"), '"W01"', '"W02"')
    bad = edit(sample(folder, "1.2", "c.klarf"), " 1.100 1.100 1.100 3", " 1.100 3")
    with psycopg.connect(landing_dsn, autocommit=True) as conn:
        first = import_klarf(conn, folder)
        again = import_klarf(conn, folder)
        rows = conn.execute(
            "SELECT wafer_id, count(*), count(die_col) FROM landing.defect "
            "WHERE inspection_id LIKE 'klarf:%' GROUP BY wafer_id ORDER BY wafer_id"
        ).fetchall()
        letters = conn.execute(
            "SELECT topic, error FROM landing.dead_letter WHERE source = 'klarf'"
        ).fetchall()
        inspections = conn.execute(
            "SELECT count(*) FROM landing.inspection WHERE inspection_id LIKE 'klarf:%'"
        ).fetchone()[0]
    assert (first.files, first.inspections_new, first.defects_new) == (3, 2, 2 * len(DEFECTS))
    assert (again.inspections_new, again.defects_new) == (0, 0)
    assert rows == [("W01", 3, 3), ("W02", 3, 3)]
    assert inspections == 2
    assert len(letters) == 1 and letters[0][0] == str(bad)
    assert letters[0][1].startswith(f"{bad}:") and ": DefectList: 7 values," in letters[0][1]
    # The CLI says the same in one line and exits 2; nothing landed is lost.
    env = {**os.environ, "FAB_PG_DSN": landing_dsn, "FAB_HOME": str(tmp_path / "home")}
    out = subprocess.run(
        [sys.executable, "-c", "from fabcli.main import run; run()", "import", "klarf", str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert out.returncode == 2
    assert out.stderr.strip() == f"fab: error: {letters[0][1]}"


def test_a_binary_file_is_a_dead_letter_not_a_crash(landing_dsn: str, tmp_path: Path) -> None:
    """NUL bytes cannot go into PostgreSQL text: the file is kept with them marked instead."""
    sample(tmp_path, "1.8", "good.klarf")
    (tmp_path / "scan.klarf").write_bytes(b"\x00\xff\x00garbage\x00" * 50)
    with psycopg.connect(landing_dsn, autocommit=True) as conn:
        result = import_klarf(conn, tmp_path)
        kept = conn.execute(
            "SELECT topic, payload FROM landing.dead_letter WHERE source = 'klarf'"
        ).fetchall()
    assert result.files == 2 and result.inspections == 1 and len(result.errors) == 1
    assert [Path(t).name for t, _ in kept] == ["scan.klarf"]
    assert "\x00" not in kept[0][1] and "\ufffd" in kept[0][1]
