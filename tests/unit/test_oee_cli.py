"""`fab oee` on a CSV of events: the oee.com worked example and bad input."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from fabcli.oee import oee_report
from fabstack.errors import FabError
from tests.conftest import REFERENCE


def _example_csv(path: Path) -> Path:
    ex = json.loads((REFERENCE / "oee_worked_example.json").read_text())["inputs"]
    start = datetime(2026, 11, 20, 6, tzinfo=ZoneInfo("Europe/Berlin"))  # demo shift A
    down = ex["down_time_min"]
    plan = [
        (0, "RUN"),
        (120, "BREAK"),
        (135, "RUN"),
        (180, "WEAR_OUT"),
        (180 + down, "RUN"),
        (240, "BREAK"),
        (270, "RUN"),
        (360, "BREAK"),
        (375, "RUN"),
        (480, "NO_SHIFT"),
    ]
    lines = ["ts,machine_id,kind,reason_code,good,scrap"]
    lines += [f"{(start + timedelta(minutes=m)).isoformat()},M1,state,{r},," for m, r in plan]
    good, rejects = ex["total_count"] - ex["reject_count"], ex["reject_count"]
    lines.append(
        f"{(start + timedelta(minutes=100)).isoformat()},M1,count,,{good - 100},{rejects - 3}"
    )
    lines.append(f"{(start + timedelta(minutes=470)).isoformat()},M1,count,,100,3")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_worked_example_from_a_csv(tmp_path: Path) -> None:
    report = oee_report(_example_csv(tmp_path / "events.csv"), "demo", 1.0)
    (row,) = report["machines"]
    got = {k: round(100 * row[k], 2) for k in ("availability", "performance", "quality", "oee")}
    assert got == {"availability": 88.81, "performance": 86.11, "quality": 97.8, "oee": 74.79}
    assert report["plant_total"][0]["oee"] == pytest.approx(row["oee"])


@pytest.mark.parametrize(
    "text,ideal,needle",
    [
        ("ts,machine_id\n", 1.0, "'kind'"),
        ("ts,machine_id,kind,reason_code\nyesterday,M1,state,RUN\n", 1.0, "'yesterday'"),
        ("ts,machine_id,kind,reason_code\n2026-11-20T06:00:00+01:00,M1,state,NAP\n", 1.0, "'NAP'"),
        (
            "ts,machine_id,kind,reason_code\n2026-11-20T06:00:00+01:00,M1,state,RUN\n",
            None,
            "--ideal-cycle-s",
        ),
        (
            "ts,machine_id,kind,reason_code,good,scrap\n2026-11-20T06:00:00+01:00,M1,state,RUN,,\n"
            "2026-11-20T07:00:00+01:00,M1,count,,-4,0\n",
            1.0,
            "'-4'",
        ),
    ],
)
def test_bad_events_are_one_line_errors(tmp_path: Path, text: str, ideal, needle: str) -> None:
    f = tmp_path / "events.csv"
    f.write_text(text)
    with pytest.raises(FabError, match=needle) as err:
        oee_report(f, "demo", ideal)
    assert "\n" not in str(err.value)
